// The one definition of a credential's Merkle leaf: keccak256(keccak256(digest)), as the registry's leafHash.
import { CredanchorError } from "./errors.ts";
import { keccak256 } from "./keccak.ts";

/**
 * The Merkle leaf of a credential: `keccak256(keccak256(digest))`.
 *
 * Double hashing is OpenZeppelin StandardMerkleTree's leaf encoding for a single `bytes32`
 * value (`keccak256(bytes.concat(keccak256(abi.encode(digest))))`, and `abi.encode` of one
 * `bytes32` is the 32 bytes themselves). It is what `CredentialRegistry.leafHash(digest)`
 * computes, and it keeps a 64-byte inner node from ever being presented as a leaf
 * (second-preimage trick): a leaf is the hash of a 32-byte value, never of two children.
 *
 * @param digest - the 32-byte credential digest.
 * @returns a new 32-byte array.
 * @throws CredanchorError (`INTERNAL`) when `digest` is not 32 bytes: a caller bug, not bad input.
 *
 * @example
 * const leaf = credentialLeaf(prepared.digest); // Uint8Array(32)
 */
export function credentialLeaf(digest: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new CredanchorError(`credentialLeaf: digest must be 32 bytes, got ${digest.length}`);
  return keccak256(keccak256(digest));
}
