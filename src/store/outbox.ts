// Queries of the outbox's owners: the transactions of one status change, what is still in flight
// for an issuer's statuses, and counts of transactions closed without landing (for metrics).
import type { ChainTxRow } from "../chain/sender.ts";
import type { Db } from "./db.ts";

/** Every transaction of a status change (a bulk change has several), in sending order. */
export function statusChangeTxs(db: Db, changeId: number): ChainTxRow[] {
  return db.prepare("SELECT * FROM chain_txs WHERE kind IN ('status','revokeRoot') AND ref_id = ? ORDER BY id").all(changeId) as ChainTxRow[];
}

/** Status changes of an issuer not yet confirmed nor failed, oldest first. */
export function inFlightStatusChanges(db: Db, issuerId: number): { id: number; action: string; indices: string; batch_id: number | null }[] {
  return db
    .prepare("SELECT id, action, indices, batch_id FROM status_changes WHERE issuer_id = ? AND state IN ('pending','sending','mined') ORDER BY id")
    .all(issuerId) as { id: number; action: string; indices: string; batch_id: number | null }[];
}

/** Batch credentials' digests in leaf order (what a rebuilt tree is made of). */
export function batchCredentials(db: Db, batchId: number): { seq: number; digest: Buffer }[] {
  return db.prepare("SELECT seq, digest FROM credentials WHERE batch_id = ? ORDER BY leaf_index").all(batchId) as { seq: number; digest: Buffer }[];
}

export type ClosedTxCount = { kind: string; outcome: string; failure: string; count: number };

/** Transactions closed without being confirmed, by kind, outcome and error class (a counter: rows are never deleted). */
export function closedTxCounts(db: Db): ClosedTxCount[] {
  return db
    .prepare("SELECT kind, outcome, coalesce(failure, 'Unknown') AS failure, count(*) AS count FROM chain_txs WHERE outcome IS NOT NULL GROUP BY kind, outcome, failure ORDER BY kind, outcome, failure")
    .all() as ClosedTxCount[];
}

/** Creation time (unix ms) of the oldest transaction still open (neither confirmed nor closed), if any. */
export function oldestOpenTxAt(db: Db): number | undefined {
  return (db.prepare("SELECT min(created_at) FROM chain_txs WHERE state <> 'confirmed' AND outcome IS NULL").pluck().get() as number | null) ?? undefined;
}
