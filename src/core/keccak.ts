// keccak256 for the core: the hot loop of hashing and Merkle trees.
import { keccak_256 } from "@noble/hashes/sha3.js";

/** keccak256 of `data` (32 bytes out). Synchronous; safe in Node and browsers. */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}
