// Merkle proofs: the sorted-pair node hash, verification, and the proof's byte and hex forms.
import { keccak256 } from "./keccak.ts";
import { KECCAK_WASM_DATA_OFFSET, SHARED_KECCAK_WASM_BYTES, sharedKeccakWasm } from "./keccak-wasm.ts";
import { CredanchorError } from "./errors.ts";
import { bytesToHex, hexToBytes } from "./encoding.ts";
import { credentialLeaf } from "./leaf.ts";

/**
 * A Merkle proof in its stored form: the sibling hashes from the leaf up to the root,
 * concatenated (32 bytes each; empty for a one-leaf tree).
 */
export type MerkleProof = Uint8Array;

/** A 32-byte value as `0x`-prefixed lower-case hex (Solidity `bytes32`). */
export type Hex32 = `0x${string}`;

function compareBytes32(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * An inner node: keccak256(min(a, b) ‖ max(a, b)), the two values compared as big-endian
 * numbers. It is OpenZeppelin's `Hashes.commutativeKeccak256`, so proofs carry no left/right
 * flags.
 *
 * @example
 * const parent = hashMerklePair(leftChild, rightChild); // same as hashMerklePair(rightChild, leftChild)
 */
export function hashMerklePair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const pair = new Uint8Array(64);
  const aFirst = compareBytes32(a, b) <= 0;
  pair.set(aFirst ? a : b, 0);
  pair.set(aFirst ? b : a, 32);
  return keccak256(pair);
}

/**
 * The root a proof leads to from `leaf` (OpenZeppelin's `MerkleProof.processProof`).
 *
 * @throws CredanchorError (code `INTERNAL`) when `leaf` is not 32 bytes or `proof` is not a whole number of 32-byte nodes.
 *
 * @example
 * const root = processMerkleProof(tree.leaf(7), tree.getProof(7)); // equals tree.root
 */
export function processMerkleProof(leaf: Uint8Array, proof: MerkleProof): Uint8Array {
  if (leaf.length !== 32) throw new CredanchorError(`Merkle leaf must be 32 bytes, got ${leaf.length}`);
  if (proof.length % 32 !== 0) throw new CredanchorError(`Merkle proof must be a multiple of 32 bytes, got ${proof.length}`);
  const kernel = sharedKeccakWasm();
  if (kernel === undefined || proof.length + 32 > SHARED_KECCAK_WASM_BYTES) {
    let node = leaf;
    for (let at = 0; at < proof.length; at += 32) node = hashMerklePair(node, proof.subarray(at, at + 32));
    return node.slice();
  }
  // One kernel call per level on bytes copied once, instead of a 64-byte buffer per level.
  const bytes = new Uint8Array(kernel.memory.buffer);
  const acc = KECCAK_WASM_DATA_OFFSET;
  bytes.set(leaf, acc);
  bytes.set(proof, acc + 32);
  for (let at = 0; at < proof.length; at += 32) kernel.exports.hashPair(acc, acc + 32 + at, acc);
  return bytes.slice(acc, acc + 32);
}

/**
 * Whether `proof` proves `leaf` under `root` (OpenZeppelin's `MerkleProof.verify`).
 * Malformed input (wrong sizes) is not a proof: it returns false.
 *
 * @example
 * verifyMerkleProof(tree.leaf(7), tree.getProof(7), tree.root); // true
 */
export function verifyMerkleProof(leaf: Uint8Array, proof: MerkleProof, root: Uint8Array): boolean {
  if (leaf.length !== 32 || root.length !== 32 || proof.length % 32 !== 0) return false;
  return compareBytes32(processMerkleProof(leaf, proof), root) === 0;
}

/**
 * Whether `proof` proves the credential `digest` under `root`: what
 * `CredentialRegistry.verifyInclusion(digest, proof, root)` computes on chain.
 *
 * @example
 * verifyCredentialProof(digest, tree.getProof(0), tree.root); // true
 */
export function verifyCredentialProof(digest: Uint8Array, proof: MerkleProof, root: Uint8Array): boolean {
  return digest.length === 32 && verifyMerkleProof(credentialLeaf(digest), proof, root);
}

/**
 * The proof as `bytes32[]` hex strings, the form `MerkleProof.sol`, ethers, viem and
 * `@openzeppelin/merkle-tree` take.
 *
 * @throws CredanchorError (code `INTERNAL`) when `proof` is not a whole number of 32-byte nodes.
 *
 * @example
 * await registry.verifyInclusion(digestHex, proofToHex(tree.getProof(0)), rootHex);
 */
export function proofToHex(proof: MerkleProof): Hex32[] {
  if (proof.length % 32 !== 0) throw new CredanchorError(`Merkle proof must be a multiple of 32 bytes, got ${proof.length}`);
  const out: Hex32[] = [];
  for (let at = 0; at < proof.length; at += 32) out.push(bytesToHex(proof.subarray(at, at + 32)) as Hex32);
  return out;
}

/**
 * A proof from `bytes32[]` hex strings (`0x`-prefixed, either case); `undefined` when an
 * element is not exactly 32 bytes of hex (untrusted input is a value, not an exception).
 *
 * @example
 * const proof = proofFromHex(["0x5931b4ed56ace4c46b68524cb5bcbf4195f1bbaacbe5228fbd090546c88dd229"]);
 */
export function proofFromHex(hex: readonly string[]): MerkleProof | undefined {
  const proof = new Uint8Array(hex.length * 32);
  for (let k = 0; k < hex.length; k++) {
    const node = hexToBytes(hex[k]!, 32);
    if (!node) return undefined;
    proof.set(node, k * 32);
  }
  return proof;
}
