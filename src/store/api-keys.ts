// API key rows: the hash of each secret, whom it acts for, when it expires or was revoked.
import type { Db } from "./db.ts";

export type ApiKeyRow = {
  id: string;
  /** NULL: an operator (admin) key. */
  issuer_id: number | null;
  secret_hash: Buffer;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
  expires_at: number | null;
  /** Operator keys only: JSON array of the issuer ids it may act for; NULL: every issuer. */
  issuer_scope: string | null;
};

/** Stores a key; `orIgnore`: keep an existing row with the same id (returns false then). */
export function insertApiKey(db: Db, row: Omit<ApiKeyRow, "revoked_at">, { orIgnore = false } = {}): boolean {
  return (
    db
      .prepare(`INSERT ${orIgnore ? "OR IGNORE " : ""}INTO api_keys (id, issuer_id, secret_hash, label, created_at, expires_at, issuer_scope) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(row.id, row.issuer_id, row.secret_hash, row.label, row.created_at, row.expires_at, row.issuer_scope).changes === 1
  );
}

/** The key with this id if it is neither revoked nor expired at `now`. */
export function findActiveApiKey(db: Db, id: string, now: number): ApiKeyRow | undefined {
  return db.prepare("SELECT * FROM api_keys WHERE id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)").get(id, now) as ApiKeyRow | undefined;
}

/** One key by id (any state). */
export function getApiKeyRow(db: Db, id: string): ApiKeyRow | undefined {
  return db.prepare("SELECT * FROM api_keys WHERE id = ?").get(id) as ApiKeyRow | undefined;
}

/** Every key, oldest first (no secrets: only their hashes exist). */
export function listApiKeyRows(db: Db): ApiKeyRow[] {
  return db.prepare("SELECT * FROM api_keys ORDER BY created_at, id").all() as ApiKeyRow[];
}

/** Revokes a key by id; returns whether an unrevoked one was found. */
export function revokeApiKeyRow(db: Db, id: string, now: number): boolean {
  return db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(now, id).changes === 1;
}

/** Whether an operator key that is neither revoked nor expired exists. */
export function hasActiveAdminKey(db: Db, now: number): boolean {
  return db.prepare("SELECT 1 FROM api_keys WHERE issuer_id IS NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)").get(now) !== undefined;
}
