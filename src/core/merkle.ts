// Merkle trees over a batch of credential leaves: one build, then any leaf's proof on demand.
import { CredanchorError } from "./errors.ts";
import { credentialLeaf } from "./leaf.ts";
import { createKeccakWasm, KECCAK_WASM_DATA_OFFSET, SHARED_KECCAK_WASM_BYTES, sharedKeccakWasm } from "./keccak-wasm.ts";
import { hashMerklePair, proofToHex, type Hex32, type MerkleProof } from "./merkle-proof.ts";

/** Values a tree is built from: one flat array of 32-byte values, or one array per value. */
export type MerkleValues = Uint8Array | readonly Uint8Array[];

/** How a tree is hashed: `"wasm"` (default where available) or the portable `"js"` path. */
export interface BuildMerkleTreeOptions {
  readonly implementation?: "wasm" | "js";
}

/** The most leaves a tree can have: its nodes must fit one 4 GiB wasm32 memory. */
export const MAX_MERKLE_LEAVES = 2 ** 26 - 32;

/**
 * A built tree. Layout (docs/formats.md, "Merkle tree"): OpenZeppelin's heap order, node i
 * at bytes [32i, 32i + 32) of `nodes`, children of i at 2i + 1 and 2i + 2, leaf k (batch order)
 * at node 2n − 2 − k, root at node 0.
 */
export class MerkleTree {
  /** All 2n − 1 nodes, heap order, 32 bytes each. */
  readonly nodes: Uint8Array;
  readonly leafCount: number;
  /** The longest proof's length in nodes (a one-leaf tree has depth 0). */
  readonly depth: number;
  readonly root: Uint8Array;
  // The same bytes as 32-bit words, so copying a proof moves 8 words per node.
  readonly #words: Int32Array;

  /** Wraps finished nodes; use `buildMerkleTree` or `buildCredentialTree`. */
  constructor(nodes: Uint8Array, leafCount: number) {
    this.nodes = nodes;
    this.leafCount = leafCount;
    this.depth = proofLength(2 * leafCount - 2);
    this.root = nodes.slice(0, 32);
    this.#words = new Int32Array(nodes.buffer, nodes.byteOffset, nodes.length / 4);
  }

  /**
   * Leaf `index` (batch order).
   *
   * @example
   * tree.leaf(0); // Uint8Array(32)
   */
  leaf(index: number): Uint8Array {
    const node = this.#nodeOfLeaf(index);
    return this.nodes.slice(32 * node, 32 * node + 32);
  }

  /**
   * The proof of leaf `index` (batch order) in its stored form: siblings from leaf to root.
   *
   * Like Node's small Buffers, proofs are carved from a shared 16 KiB pool (a separate
   * allocation each cost more than copying the proof): use the view's `byteOffset` and
   * `length`, never its `.buffer` alone.
   *
   * @throws CredanchorError (code `INTERNAL`) when `index` is not a leaf index.
   *
   * @example
   * const proof = tree.getProof(3);
   * verifyMerkleProof(tree.leaf(3), proof, tree.root); // true
   */
  getProof(index: number): MerkleProof {
    const node = this.#nodeOfLeaf(index);
    const bytes = 32 * proofLength(node);
    if (bytes > POOL_BYTES / 4) {
      const words = new Int32Array(bytes / 4);
      this.#copyProof(node, words, 0);
      return new Uint8Array(words.buffer);
    }
    if (poolUsed + bytes > POOL_BYTES) {
      pool = new Int32Array(POOL_BYTES / 4);
      poolUsed = 0;
    }
    const proof = new Uint8Array(pool.buffer, poolUsed, bytes);
    this.#copyProof(node, pool, poolUsed / 4);
    poolUsed += bytes;
    return proof;
  }

  #copyProof(node: number, to: Int32Array, at: number): void {
    const from = this.#words;
    for (; node > 0; at += 8) {
      // The sibling of an odd (left) node is the next one; of an even (right) node, the previous.
      const sibling = 8 * (node & 1 ? node + 1 : node - 1);
      to[at] = from[sibling]!;
      to[at + 1] = from[sibling + 1]!;
      to[at + 2] = from[sibling + 2]!;
      to[at + 3] = from[sibling + 3]!;
      to[at + 4] = from[sibling + 4]!;
      to[at + 5] = from[sibling + 5]!;
      to[at + 6] = from[sibling + 6]!;
      to[at + 7] = from[sibling + 7]!;
      node = (node - 1) >> 1;
    }
  }

  /**
   * The proof of leaf `index` as `bytes32[]` hex, for contracts and `@openzeppelin/merkle-tree`.
   *
   * @example
   * StandardMerkleTree.verify(rootHex, ["bytes32"], [digestHex], tree.getProofHex(3)); // true
   */
  getProofHex(index: number): Hex32[] {
    return proofToHex(this.getProof(index));
  }

  #nodeOfLeaf(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.leafCount) {
      throw new CredanchorError(`Merkle leaf index ${index} out of range [0, ${this.leafCount})`);
    }
    return 2 * this.leafCount - 2 - index;
  }
}

const POOL_BYTES = 16 * 1024;
let pool = new Int32Array(POOL_BYTES / 4);
let poolUsed = 0;

/** Proof length of heap node `node`: its depth, floor(log2(node + 1)). */
function proofLength(node: number): number {
  return 31 - Math.clz32(node + 1);
}

function countValues(values: MerkleValues): number {
  if (values instanceof Uint8Array) {
    if (values.length === 0 || values.length % 32 !== 0) {
      throw new CredanchorError(`Merkle values: expected a non-empty multiple of 32 bytes, got ${values.length}`);
    }
    return values.length / 32;
  }
  if (values.length === 0) throw new CredanchorError("Merkle values: expected at least one value");
  values.forEach((value, k) => {
    if (value.length !== 32) throw new CredanchorError(`Merkle value ${k} must be 32 bytes, got ${value.length}`);
  });
  return values.length;
}

/** Copies value k to node 2n − 2 − k of `nodes` (n = count). */
function placeLeaves(values: MerkleValues, count: number, nodes: Uint8Array): void {
  const last = 2 * count - 2;
  if (!(values instanceof Uint8Array)) {
    values.forEach((value, k) => nodes.set(value, 32 * (last - k)));
  } else if (values.byteOffset % 4 === 0 && nodes.byteOffset % 4 === 0) {
    // Word copies: a million subarray() views would cost more than the copy itself.
    const from = new Int32Array(values.buffer, values.byteOffset, values.length / 4);
    const to = new Int32Array(nodes.buffer, nodes.byteOffset, nodes.length / 4);
    for (let k = 0; k < count; k++) {
      const s = 8 * k;
      const d = 8 * (last - k);
      for (let w = 0; w < 8; w++) to[d + w] = from[s + w]!;
    }
  } else {
    for (let k = 0; k < count; k++) nodes.set(values.subarray(32 * k, 32 * k + 32), 32 * (last - k));
  }
}

function hashNodesJs(nodes: Uint8Array, count: number, hashLeaves: boolean): void {
  if (hashLeaves) {
    for (let node = count - 1; node < 2 * count - 1; node++) {
      nodes.set(credentialLeaf(nodes.subarray(32 * node, 32 * node + 32)), 32 * node);
    }
  }
  for (let node = count - 2; node >= 0; node--) {
    const left = 32 * (2 * node + 1);
    nodes.set(hashMerklePair(nodes.subarray(left, left + 32), nodes.subarray(left + 32, left + 64)), 32 * node);
  }
}

function buildTree(values: MerkleValues, hashLeaves: boolean, options: BuildMerkleTreeOptions): MerkleTree {
  const count = countValues(values);
  if (count > MAX_MERKLE_LEAVES) throw new CredanchorError(`Merkle tree: ${count} leaves exceed ${MAX_MERKLE_LEAVES}`);
  const size = 32 * (2 * count - 1);
  if (options.implementation === "js" || sharedKeccakWasm() === undefined) {
    const nodes = new Uint8Array(size);
    placeLeaves(values, count, nodes);
    hashNodesJs(nodes, count, hashLeaves);
    return new MerkleTree(nodes, count);
  }
  // Small trees borrow the shared kernel and copy their nodes out; large ones get a memory of
  // their own and keep it as their nodes (no copy: at a million leaves that is 64 MB less).
  const small = size <= SHARED_KECCAK_WASM_BYTES;
  const kernel = small ? sharedKeccakWasm()! : createKeccakWasm(KECCAK_WASM_DATA_OFFSET + size)!;
  const view = new Uint8Array(kernel.memory.buffer, KECCAK_WASM_DATA_OFFSET, size);
  placeLeaves(values, count, view);
  // Whole tree in two kernel calls: no per-hash crossing between JavaScript and WebAssembly.
  if (hashLeaves) kernel.exports.doubleHash32(KECCAK_WASM_DATA_OFFSET + 32 * (count - 1), count);
  kernel.exports.hashNodes(KECCAK_WASM_DATA_OFFSET, 0, count - 1);
  return new MerkleTree(small ? view.slice() : view, count);
}

/**
 * A tree over ready-made 32-byte leaves, in the given order (leaf k = `leaves[k]`).
 *
 * @throws CredanchorError (code `INTERNAL`) when there are no leaves, a leaf is not 32 bytes, or there are more than `MAX_MERKLE_LEAVES`.
 *
 * @example
 * const tree = buildMerkleTree(digests.map(credentialLeaf));
 * const proof = tree.getProof(0);
 */
export function buildMerkleTree(leaves: MerkleValues, options: BuildMerkleTreeOptions = {}): MerkleTree {
  return buildTree(leaves, false, options);
}

/**
 * A batch's tree from its credential digests, in batch order: leaf k = `credentialLeaf(digests[k])`.
 * The root equals `StandardMerkleTree.of(digests.map((d) => [d]), ["bytes32"], { sortLeaves: false }).root`.
 *
 * @throws CredanchorError (code `INTERNAL`) as `buildMerkleTree`.
 *
 * @example
 * const tree = buildCredentialTree(batch.map((c) => c.digest));
 * await registry.anchor(tree.root);
 */
export function buildCredentialTree(digests: MerkleValues, options: BuildMerkleTreeOptions = {}): MerkleTree {
  return buildTree(digests, true, options);
}
