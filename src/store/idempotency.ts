// Idempotency-Key rows: a keyed MAC of each request and its answer, per issuer and kind of request, for a bounded time.
import type { Db } from "./db.ts";

/** Submissions and status changes keep their keys apart: the same key may name one of each. */
export type IdempotencyScope = "submit" | "status";

export type IdempotencyRow = { requestMac: Buffer; response: string };

/**
 * The stored answer for (issuer, scope, key) if it was stored at or after `since` (unix ms).
 *
 * @example
 * const row = findIdempotency(db, { issuerId: 1, scope: "submit", key: "k-1", since: Date.now() - 86_400_000 });
 */
export function findIdempotency(db: Db, q: { issuerId: number; scope: IdempotencyScope; key: string; since: number }): IdempotencyRow | undefined {
  const row = db
    .prepare("SELECT request_mac, response FROM idempotency WHERE issuer_id = ? AND scope = ? AND key = ? AND created_at >= ?")
    .get(q.issuerId, q.scope, q.key, q.since) as { request_mac: Buffer; response: string } | undefined;
  return row && { requestMac: row.request_mac, response: row.response };
}

/**
 * Stores an answer; an expired row with the same key is replaced.
 *
 * @example
 * saveIdempotency(db, { issuerId: 1, scope: "status", key: "k-1", requestMac, response: "7", at: Date.now() });
 */
export function saveIdempotency(db: Db, r: { issuerId: number; scope: IdempotencyScope; key: string; requestMac: Buffer; response: string; at: number }): void {
  db.prepare("INSERT OR REPLACE INTO idempotency (issuer_id, scope, key, request_mac, response, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
    r.issuerId,
    r.scope,
    r.key,
    r.requestMac,
    r.response,
    r.at,
  );
}

/** Deletes the rows stored before `before` (unix ms); returns how many. */
export function purgeIdempotency(db: Db, before: number): number {
  return db.prepare("DELETE FROM idempotency WHERE created_at < ?").run(before).changes;
}

/**
 * After a credential is erased: the MAC of every submission that carried it is cleared (it is
 * derived from the erased content), so its key can no longer be replayed or matched.
 */
export function forgetErasedSubmission(db: Db, issuerId: number, credentialId: string): void {
  db.prepare("UPDATE idempotency SET request_mac = X'' WHERE issuer_id = ? AND scope = 'submit' AND instr(response, ?) > 0").run(issuerId, `"${credentialId}"`);
}
