// Which credential ids (the credential's own `id`, kept only as a keyed MAC) an issuer already submitted: deduplication of re-runs.
import type { CredentialState } from "../issuer/types.ts";
import type { Db } from "./db.ts";

/** The stored credential a credential id MAC points to, with its current pipeline state. */
export type KnownCredential = { id: string; statusIndex: number; state: CredentialState };

// The pipeline state as credentialState(batchState(batch)) computes it in the service.
const STATE_SQL = `CASE WHEN c.batch_id IS NULL THEN 'queued' WHEN b.failed_at IS NOT NULL THEN 'failed'
  WHEN b.state = 'built' THEN 'batched' WHEN b.state = 'sending' THEN 'anchoring' WHEN b.state = 'mined' THEN 'anchored' ELSE b.state END`;

/**
 * The credentials of `issuerId` already stored under these id MACs (hex of the MAC → credential).
 *
 * @example
 * const known = knownCredentialIds(db, 1, [mac]); // Map { "ab12…" => { id, statusIndex: 7, state: "anchored" } }
 */
export function knownCredentialIds(db: Db, issuerId: number, macs: readonly Buffer[]): Map<string, KnownCredential> {
  const found = new Map<string, KnownCredential>();
  const query = db.prepare(
    `SELECT c.id AS id, c.status_index AS statusIndex, ${STATE_SQL} AS state
       FROM credential_id_macs m JOIN credentials c ON c.id = m.credential_id LEFT JOIN batches b ON b.id = c.batch_id
      WHERE m.issuer_id = ? AND m.id_mac = ?`,
  );
  for (const mac of macs) {
    const row = query.get(issuerId, mac) as KnownCredential | undefined;
    if (row) found.set(mac.toString("hex"), row);
  }
  return found;
}

/**
 * Records that credential `credentialId` carried the id whose MAC is `mac` (in the caller's transaction).
 *
 * @example
 * rememberCredentialId(db, 1, mac, "0192…");
 */
export function rememberCredentialId(db: Db, issuerId: number, mac: Buffer, credentialId: string): void {
  db.prepare("INSERT INTO credential_id_macs (issuer_id, id_mac, credential_id) VALUES (?, ?, ?)").run(issuerId, mac, credentialId);
}
