// The outbox's hooks: keep batches, status changes and webhooks in step with each chain
// transaction, inside the storage transaction that records the transaction's new state.
import { bytesToHex } from "../../core/encoding.ts";
import type { ChainTxRow, TxHooks } from "../../chain/outbox.ts";
import type { Repositories } from "../../store/types.ts";
import { statusIndicesOfCall } from "../status-parts.ts";
import type { StatusChangeState } from "../types.ts";
import type { IssuerDeps } from "./deps.ts";

/** Queues a signed webhook delivery of `event` (only when the issuer has a webhook URL). */
async function queueWebhook(deps: IssuerDeps, tx: Repositories, issuerId: number, event: string, fields: Record<string, unknown>): Promise<void> {
  const hook = await tx.issuers.webhook(issuerId);
  if (!hook?.url) return;
  const payload = { event, ...fields, issuerId, chainId: deps.chainId, registry: deps.registry };
  await tx.webhooks.enqueue({ issuerId, event, payload: JSON.stringify(payload), at: deps.now() });
}

/** Records on the credentials (or the batch) what one landed status transaction changed. */
async function applyStatusTx(tx: Repositories, row: ChainTxRow): Promise<void> {
  const change = (await tx.statusChanges.get(row.ref_id))!;
  if (row.kind === "revokeRoot") return tx.batches.markRootRevoked(change.batch_id!);
  await tx.credentials.applyStatus(change.issuer_id, change.action, statusIndicesOfCall(row.data));
}

/**
 * A status change's state from its transactions: failed as soon as one failed for good (the
 * others still land and are recorded), confirmed when all landed, mined when all are mined,
 * sending once one is signed. Announces a failure once, by webhook.
 */
async function settleStatusChange(deps: IssuerDeps, tx: Repositories, changeId: number): Promise<void> {
  const change = (await tx.statusChanges.get(changeId))!;
  if (change.state === "failed") return;
  const txs = await tx.outbox.byOwner(["status", "revokeRoot"], changeId);
  const failed = txs.find((t) => t.outcome === "failed");
  const landed = (t: ChainTxRow) => t.outcome === "done" || t.state === "confirmed";
  let state: StatusChangeState;
  if (failed) state = "failed";
  else if (txs.every(landed)) state = "confirmed";
  else if (txs.every((t) => landed(t) || t.state === "mined")) state = "mined";
  else if (txs.some((t) => t.state !== "queued" || landed(t))) state = "sending";
  else state = "pending";
  if (state === change.state) return;
  await tx.statusChanges.setState(changeId, state, failed ? failed.last_error : state === "confirmed" ? null : change.error);
  if (failed) {
    await queueWebhook(deps, tx, change.issuer_id, "revocation.failed", {
      revocationId: change.id,
      action: change.action,
      batchId: change.batch_id,
      error: failed.last_error,
      failure: failed.failure,
      transactions: txs.length,
      landed: txs.filter(landed).length,
    });
  }
}

/** The anchor will never land: the batch (and its credentials) show `failed` with the reason. */
async function failBatch(deps: IssuerDeps, tx: Repositories, row: ChainTxRow): Promise<void> {
  const batch = (await tx.batches.get(row.ref_id))!;
  if (batch.tx_id !== row.id) return;
  await tx.batches.markFailed(batch.id, deps.now(), row.last_error);
  await queueWebhook(deps, tx, batch.issuer_id, "batch.failed", { batchId: batch.id, root: bytesToHex(batch.root), size: batch.size, error: row.last_error, failure: row.failure });
}

async function batchMined(deps: IssuerDeps, tx: Repositories, row: ChainTxRow): Promise<void> {
  await tx.batches.markMined(row.ref_id, deps.now());
  const batch = (await tx.batches.get(row.ref_id))!;
  const latencies = deps.runtime.latencies;
  latencies.push((deps.now() - batch.created_at) / 1000);
  if (latencies.length > 1000) latencies.splice(0, latencies.length - 1000);
}

async function batchConfirmed(deps: IssuerDeps, tx: Repositories, row: ChainTxRow): Promise<void> {
  await tx.batches.markConfirmed(row.ref_id, deps.now());
  const batch = (await tx.batches.get(row.ref_id))!;
  await queueWebhook(deps, tx, batch.issuer_id, "batch.confirmed", { batchId: batch.id, root: bytesToHex(batch.root), size: batch.size, txHash: row.tx_hash, blockNumber: row.block_number });
}

/**
 * The hooks every signer's TxSender runs.
 *
 * @example
 * new TxSender({ store, hooks: createOutboxHooks(deps), … });
 */
export function createOutboxHooks(deps: IssuerDeps): TxHooks<Repositories> {
  return {
    signed: (tx, row) => (row.kind === "anchor" ? tx.batches.markSending(row.ref_id) : settleStatusChange(deps, tx, row.ref_id)),
    mined: (tx, row) => (row.kind === "anchor" ? batchMined(deps, tx, row) : settleStatusChange(deps, tx, row.ref_id)),
    confirmed: async (tx, row) => {
      if (row.kind === "anchor") return batchConfirmed(deps, tx, row);
      await applyStatusTx(tx, row);
      await settleStatusChange(deps, tx, row.ref_id);
    },
    reorged: (tx, row) => {
      if (row.kind !== "anchor") return settleStatusChange(deps, tx, row.ref_id);
      // Bundles naming the dropped block must not be served from memory (rare: drop them all).
      deps.runtime.bundles.clear();
      return tx.batches.markUnmined(row.ref_id);
    },
    // Retried after a backoff: say why in the view, but the request is not failed.
    reverted: async (tx, row, reason) => {
      if (row.kind !== "anchor") await tx.statusChanges.noteError(row.ref_id, reason);
    },
    closed: async (tx, row) => {
      if (row.kind === "anchor") return failBatch(deps, tx, row);
      if (row.outcome === "done") await applyStatusTx(tx, row); // the effect is on-chain already
      await settleStatusChange(deps, tx, row.ref_id);
    },
  };
}
