// SQLite repository of share links and holder keys (migration 7).
import type { HolderKeyRow, ShareLinkRepository, ShareLinkRow } from "../types.ts";
import type { Db } from "./database.ts";

/** The share-link repository over `db`. @example await sqliteShareLinks(db).list("0192…"); */
export function sqliteShareLinks(db: Db): ShareLinkRepository {
  const insert = db.prepare(
    "INSERT INTO share_links (id, credential_id, secret_hash, bundle, hidden, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const get = db.prepare("SELECT * FROM share_links WHERE id = ?");
  const list = db.prepare("SELECT * FROM share_links WHERE credential_id = ? ORDER BY created_at, id");
  const revoke = db.prepare("UPDATE share_links SET revoked_at = ?, bundle = NULL WHERE id = ? AND revoked_at IS NULL");
  const purge = db.prepare("UPDATE share_links SET bundle = NULL WHERE bundle IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ?");
  const setKey = db.prepare(
    "INSERT INTO holder_keys (credential_id, secret_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (credential_id) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = excluded.created_at",
  );
  const key = db.prepare("SELECT * FROM holder_keys WHERE credential_id = ?");
  return {
    async insert(r) {
      insert.run(r.id, r.credential_id, r.secret_hash, r.bundle, r.hidden, r.created_by, r.created_at, r.expires_at);
    },
    async get(id) {
      return get.get(id) as ShareLinkRow | undefined;
    },
    async list(credentialId) {
      return list.all(credentialId) as ShareLinkRow[];
    },
    async revoke(id, at) {
      return revoke.run(at, id).changes === 1;
    },
    async purgeExpired(now) {
      return purge.run(now).changes;
    },
    async setHolderKey(r) {
      setKey.run(r.credential_id, r.secret_hash, r.created_at);
    },
    async holderKey(credentialId) {
      return key.get(credentialId) as HolderKeyRow | undefined;
    },
  };
}
