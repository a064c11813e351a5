// The issuer's proof and VC id of credentials issued signed (VC-API): one row beside the credential row.
import type { Db } from "./db.ts";

export type SignedCredentialRow = { credential_id: string; vc_id: string; proof: string };

/** Records the issuer's proof (JSON) of a stored credential; inside the transaction that stores it. */
export function insertSignedCredential(db: Db, row: SignedCredentialRow): void {
  db.prepare("INSERT INTO signed_credentials (credential_id, vc_id, proof) VALUES (?, ?, ?)").run(row.credential_id, row.vc_id, row.proof);
}

/** The signed-credential rows for a service id or a VC id (VC ids may repeat across issuers), newest first. */
export function findSignedCredentials(db: Db, id: string): (SignedCredentialRow & { issuer_id: number })[] {
  return db
    .prepare("SELECT s.*, c.issuer_id FROM signed_credentials s JOIN credentials c ON c.id = s.credential_id WHERE s.credential_id = ? OR s.vc_id = ? ORDER BY c.seq DESC")
    .all(id, id) as (SignedCredentialRow & { issuer_id: number })[];
}
