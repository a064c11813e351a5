// Building a batch: the oldest queued credentials of an issuer, their Merkle tree's root, its
// ordered leaf digests (proofs are computed from them when served) and the queued anchor call,
// stored in one transaction.
import { encodeFunctionData } from "viem";
import { credentialRegistryAbi } from "../../chain/abi.ts";
import { crashPoint } from "../../chain/crash-points.ts";
import { bytesToHex } from "../../core/encoding.ts";
import { CredanchorError } from "../../core/errors.ts";
import { buildCredentialTree } from "../../core/merkle.ts";
import type { Repositories } from "../../store/types.ts";
import type { IssuerDeps } from "./deps.ts";

/**
 * Claims the oldest queued credentials of `issuerId` (up to `maxSize`), builds their tree, and in
 * ONE transaction stores the batch with its leaf digests in order, each credential's place in it
 * (one set-based claim, no per-row proof) and the queued anchor transaction. A credential is
 * claimed only if still unclaimed, so it can never be in two batches. Returns the batch's id and
 * size, or undefined when nothing is queued.
 *
 * @example
 * const built = await buildBatch(deps, 1, 100_000); // { id: 3, size: 812 }
 */
export async function buildBatch(deps: IssuerDeps, issuerId: number, maxSize: number): Promise<{ id: number; size: number } | undefined> {
  const rows = await deps.store.credentials.nextForBatch(issuerId, maxSize);
  if (rows.length === 0) return undefined;
  const digests = new Uint8Array(rows.length * 32);
  rows.forEach((r, k) => digests.set(r.digest, 32 * k));
  const tree = buildCredentialTree(digests);
  const seqs = rows.map((r) => r.seq);
  const signer = deps.issuers.get(issuerId)!.address;
  const data = encodeFunctionData({ abi: credentialRegistryAbi, functionName: "anchor", args: [bytesToHex(tree.root)] });
  const id = await deps.store.transaction(async (tx) => {
    const at = deps.now();
    // Credentials queued in a restored backup and anchored after it: the batch found on-chain is theirs.
    const adopted = await tx.registries.reconciledBatch(issuerId, tree.root);
    if (adopted) return adoptBatch(tx, adopted.id, seqs, digests);
    const batchId = await tx.batches.insert({ issuerId, root: tree.root, size: rows.length, at });
    const txId = await tx.outbox.enqueue({ signer, kind: "anchor", refId: batchId, data, at });
    await tx.batches.setTx(batchId, txId);
    await claim(tx, batchId, seqs, digests);
    return batchId;
  });
  crashPoint("batch:after-build");
  return { id, size: rows.length };
}

/** Claims the credentials into a reconciled batch with their root (already anchored: nothing to send). */
async function adoptBatch(tx: Repositories, batchId: number, seqs: readonly number[], digests: Uint8Array): Promise<number> {
  await claim(tx, batchId, seqs, digests);
  await tx.registries.adopt(batchId, seqs.length);
  return batchId;
}

/** Stores the batch's leaves and claims its credentials; throws (the transaction aborts) if any was claimed by another batch meanwhile. */
async function claim(tx: Repositories, batchId: number, seqs: readonly number[], digests: Uint8Array): Promise<void> {
  await tx.batches.setLeaves(batchId, digests);
  const claimed = await tx.credentials.claimForBatch(batchId, seqs);
  if (claimed !== seqs.length) throw new CredanchorError(`${seqs.length - claimed} of the credentials were claimed by another batch while batch ${batchId} was built`);
}
