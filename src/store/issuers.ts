// Issuer rows: who the service anchors for and how large each status list has grown.
import type { Db } from "./db.ts";

/** Records a served issuer (its signer may change between starts; its list size is kept). */
export function upsertIssuer(db: Db, r: { id: number; signer: string; listSize: number; at: number }): void {
  db.prepare("INSERT INTO issuers (id, signer, list_size, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET signer = excluded.signer").run(
    r.id,
    r.signer,
    r.listSize,
    r.at,
  );
}

/** The status list size handed out so far (every index below it was checked on-chain). */
export function getListSize(db: Db, issuerId: number): number {
  return db.prepare("SELECT list_size FROM issuers WHERE id = ?").pluck().get(issuerId) as number;
}

/** Persists a grown status list size (only after its new range was checked on-chain). */
export function setListSize(db: Db, issuerId: number, size: number): void {
  db.prepare("UPDATE issuers SET list_size = ? WHERE id = ? AND list_size < ?").run(size, issuerId, size);
}

/** Status indices already given to credentials of an issuer. */
export function takenStatusIndices(db: Db, issuerId: number): number[] {
  return db.prepare("SELECT status_index FROM credentials WHERE issuer_id = ?").pluck().all(issuerId) as number[];
}

/** Whether an issuer is served here (has a row). */
export function isKnownIssuer(db: Db, issuerId: number): boolean {
  return db.prepare("SELECT 1 FROM issuers WHERE id = ?").get(issuerId) !== undefined;
}
