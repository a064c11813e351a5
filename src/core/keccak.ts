// keccak256 for the core: the hot loop of hashing and Merkle trees.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { createKeccakWasm, KECCAK_WASM_DATA_OFFSET, SHARED_KECCAK_WASM_BYTES, sharedKeccakWasm, type KeccakWasm } from "./keccak-wasm.ts";

const RATE = 136;
/** Where the digest is written: inside the kernel's reserved area, clear of the message. */
const OUT = 512;

function hashWithKernel(kernel: KeccakWasm, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const blocks = Math.floor(data.length / RATE) + 1;
  const end = KECCAK_WASM_DATA_OFFSET + blocks * RATE;
  const bytes = new Uint8Array(kernel.memory.buffer);
  bytes.set(data, KECCAK_WASM_DATA_OFFSET);
  bytes.fill(0, KECCAK_WASM_DATA_OFFSET + data.length, end);
  // keccak (not SHA-3) padding: 0x01 after the message, 0x80 in the block's last byte.
  bytes[KECCAK_WASM_DATA_OFFSET + data.length]! ^= 0x01;
  bytes[end - 1]! ^= 0x80;
  kernel.exports.hashBlocks(KECCAK_WASM_DATA_OFFSET, blocks, OUT);
  return bytes.slice(OUT, OUT + 32);
}

/**
 * keccak256 of `data` (the EVM's hash; not SHA3-256). Synchronous; safe in Node and browsers.
 *
 * Runs the WebAssembly kernel (src/core/keccak-wasm.ts) and falls back to `@noble/hashes`
 * where WebAssembly is unavailable.
 *
 * @returns a new 32-byte array.
 *
 * @example
 * keccak256(new Uint8Array()); // c5d24601…5d85a470
 */
export function keccak256(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const shared = sharedKeccakWasm();
  if (shared === undefined) return keccak_256(data);
  if (data.length < SHARED_KECCAK_WASM_BYTES - RATE) return hashWithKernel(shared, data);
  // Rare large messages get a kernel of their own rather than growing the shared one for good.
  const own = createKeccakWasm(KECCAK_WASM_DATA_OFFSET + data.length + RATE);
  return own === undefined ? keccak_256(data) : hashWithKernel(own, data);
}
