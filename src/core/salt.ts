// Where salts come from: the platform CSPRNG by default, a seeded stream for vectors and tests.
import { keccak256 } from "./keccak.ts";

/** Fills `out` with fresh salt bytes. Must be a CSPRNG in production. */
export type SaltSource = (out: Uint8Array) => void;

/** Bytes per field salt: 128 bits, beyond brute force even for a one-bit value. */
export const SALT_BYTES = 16;

// getRandomValues costs a call into the platform per use and refuses more than 65,536 bytes:
// draw 16 KiB at a time and hand out slices.
const POOL_BYTES = 16_384;
const pool = new Uint8Array(POOL_BYTES);
let poolUsed = POOL_BYTES;

/**
 * The default salt source: `globalThis.crypto.getRandomValues` (Node ≥ 19 and browsers),
 * drawn in 16 KiB blocks. Bytes handed out are zeroed in the pool, never reused.
 *
 * @example
 * const salt = new Uint8Array(16);
 * cryptoSaltSource(salt);
 */
export const cryptoSaltSource: SaltSource = (out) => {
  let filled = 0;
  while (filled < out.length) {
    if (poolUsed === POOL_BYTES) {
      globalThis.crypto.getRandomValues(pool);
      poolUsed = 0;
    }
    const n = Math.min(out.length - filled, POOL_BYTES - poolUsed);
    out.set(pool.subarray(poolUsed, poolUsed + n), filled);
    pool.fill(0, poolUsed, poolUsed + n);
    poolUsed += n;
    filled += n;
  }
};

/**
 * A deterministic salt source for test vectors and tests, NEVER for real credentials (its salts
 * are guessable from the seed): the stream keccak256(seed ‖ uint32be(0)) ‖ keccak256(seed ‖ uint32be(1)) ‖ …
 *
 * @example
 * const source = createDeterministicSaltSource("vector-1");
 * prepareCredential(badge, context, source); // same salts on every run
 */
export function createDeterministicSaltSource(seed: string | Uint8Array): SaltSource {
  const seedBytes = typeof seed === "string" ? new TextEncoder().encode(seed) : seed;
  const input = new Uint8Array(seedBytes.length + 4);
  input.set(seedBytes);
  let counter = 0;
  let block = new Uint8Array(0);
  let used = 0;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      if (used === block.length) {
        new DataView(input.buffer).setUint32(seedBytes.length, counter++);
        block = keccak256(input);
        used = 0;
      }
      out[i] = block[used++]!;
    }
  };
}
