// Credential rows the status-index re-check needs: the queue since a point, and re-indexing one row.
import type { Db } from "./db.ts";

export type QueuedCredential = { seq: number; id: string; status_index: number };

/** Credentials of `issuerId` not yet in a batch, accepted after `afterSeq`, in order (without their content). */
export function queuedCredentialsAfter(db: Db, issuerId: number, afterSeq: number): QueuedCredential[] {
  return db
    .prepare("SELECT seq, id, status_index FROM credentials WHERE issuer_id = ? AND batch_id IS NULL AND seq > ? ORDER BY seq")
    .all(issuerId, afterSeq) as QueuedCredential[];
}

/** A credential's stored content (null once erased). */
export function credentialContent(db: Db, seq: number): string | null {
  return (db.prepare("SELECT content FROM credentials WHERE seq = ?").pluck().get(seq) as string | null | undefined) ?? null;
}

/**
 * Gives a still-queued credential a new status index with the salts, digest and leaf prepared
 * for it; returns false if a batch claimed it meanwhile (then nothing changes).
 */
export function reindexQueuedCredential(
  db: Db,
  seq: number,
  r: { statusIndex: number; salts: Uint8Array; digest: Uint8Array; leaf: Uint8Array; validFrom: number; validUntil: number },
): boolean {
  return (
    db
      .prepare("UPDATE credentials SET status_index = ?, salts = ?, digest = ?, leaf = ?, valid_from = ?, valid_until = ? WHERE seq = ? AND batch_id IS NULL")
      .run(r.statusIndex, r.salts, r.digest, r.leaf, r.validFrom, r.validUntil, seq).changes === 1
  );
}
