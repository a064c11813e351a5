// fast-check arbitraries of well-formed proof bundles (random content, the bundle schema's shapes), shared by the bundle tests.
import fc from "fast-check";
import type { Bundle } from "../../src/core/bundle.ts";
import { bytesToBase64url, bytesToHex } from "../../src/core/encoding.ts";
import type { JsonObject } from "../../src/core/json.ts";

/** 32 random bytes as 0x hex. */
export const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);

/**
 * Bundles the schema accepts (their hashes and proofs need not verify): at most `maxFields`
 * salts, `maxHidden` hidden field hashes and `maxProof` proof nodes.
 *
 * @example
 * fc.assert(fc.property(arbitraryBundle({ maxProof: 8 }), (b) => parseBundle(b) !== undefined));
 */
export function arbitraryBundle({ maxFields = 40, maxHidden = 5, maxProof = 20 } = {}): fc.Arbitrary<Bundle> {
  return fc.record({
    version: fc.constant(1 as const),
    credential: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })).map((c) => JSON.parse(JSON.stringify(c)) as JsonObject),
    salts: fc.integer({ min: 0, max: maxFields }).chain((n) => fc.uint8Array({ minLength: 16 * n, maxLength: 16 * n })).map(bytesToBase64url),
    hiddenFieldHashes: fc.array(hex32, { maxLength: maxHidden }),
    hiddenElements: fc.array(fc.string(), { maxLength: 3 }),
    validFrom: fc.maxSafeNat(),
    validUntil: fc.maxSafeNat(),
    chainId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    registry: fc.constantFrom("0x5FbDB2315678afecb367f032d93F642f64180aa3", "0x5fbdb2315678afecb367f032d93f642f64180aa3"),
    issuerId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    statusIndex: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    leaf: hex32,
    proof: fc.array(hex32, { maxLength: maxProof }),
    root: hex32,
    txHash: hex32,
    blockNumber: fc.maxSafeNat(),
  }) as fc.Arbitrary<Bundle>;
}
