// Merkle trees of batches kept in memory, so a bundle's proof is computed from its batch's stored
// leaf digests (migration 9) once per batch, not stored per credential. Bounded in bytes; a tree
// is the same bytes forever (a batch's leaves never change), so entries need no revalidation.
import { CredanchorError } from "../core/errors.ts";
import { buildCredentialTree, type MerkleTree } from "../core/merkle.ts";

/**
 * A least-recently-used map of batch id → built tree, bounded by the trees' node bytes (64 bytes
 * per credential). Concurrent requests for one batch share one build.
 *
 * @example
 * const trees = new BatchTrees();
 * const tree = await trees.get(3, () => store.batches.leaves(3), root);
 * tree.getProof(leafIndex);
 */
export class BatchTrees {
  readonly #entries = new Map<number, MerkleTree>();
  readonly #building = new Map<number, Promise<MerkleTree>>();
  readonly #maxBytes: number;
  #bytes = 0;

  /** `maxBytes`: 256 MiB by default, the trees of four batches of a million credentials. */
  constructor({ maxBytes = 256 * 2 ** 20 }: { maxBytes?: number } = {}) {
    this.#maxBytes = maxBytes;
  }

  /**
   * The tree of batch `batchId`, built from `leaves()` (its digests in leaf order) unless held.
   * The built root must equal `root` (the anchored one): anything else is corrupt storage.
   *
   * @throws CredanchorError (code `INTERNAL`) when the batch has no stored leaves or they do not give `root`.
   */
  async get(batchId: number, leaves: () => Promise<Uint8Array | undefined>, root: Uint8Array): Promise<MerkleTree> {
    const held = this.#entries.get(batchId);
    if (held) {
      this.#entries.delete(batchId);
      this.#entries.set(batchId, held);
      return held;
    }
    let building = this.#building.get(batchId);
    if (!building) {
      building = this.#build(batchId, leaves, root).finally(() => this.#building.delete(batchId));
      this.#building.set(batchId, building);
    }
    return building;
  }

  async #build(batchId: number, leaves: () => Promise<Uint8Array | undefined>, root: Uint8Array): Promise<MerkleTree> {
    const digests = await leaves();
    if (!digests) throw new CredanchorError(`batch ${batchId} has neither stored proofs nor stored leaves`);
    const tree = buildCredentialTree(digests);
    if (Buffer.compare(tree.root, root) !== 0) throw new CredanchorError(`the stored leaves of batch ${batchId} do not give its root`);
    this.#keep(batchId, tree);
    return tree;
  }

  #keep(batchId: number, tree: MerkleTree): void {
    if (tree.nodes.length > this.#maxBytes) return;
    this.#entries.set(batchId, tree);
    this.#bytes += tree.nodes.length;
    // Oldest first (Map keeps insertion order, and a hit re-inserts).
    for (const [oldest, t] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= t.nodes.length;
    }
  }
}
