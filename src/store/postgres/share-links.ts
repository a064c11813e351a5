// PostgreSQL repository of share links and holder keys (migration 2, SQLite's 7).
import type { HolderKeyRow, ShareLinkRepository, ShareLinkRow } from "../types.ts";
import type { Sql } from "./sql.ts";

/** The share-link repository over `sql`. @example await postgresShareLinks(sql).list("0192…"); */
export function postgresShareLinks(sql: Sql): ShareLinkRepository {
  return {
    async insert(r) {
      await sql(
        "INSERT INTO share_links (id, credential_id, secret_hash, bundle, hidden, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [r.id, r.credential_id, r.secret_hash, r.bundle, r.hidden, r.created_by, r.created_at, r.expires_at],
      );
    },
    async get(id) {
      return (await sql<ShareLinkRow>("SELECT * FROM share_links WHERE id = $1", [id])).rows[0];
    },
    async list(credentialId) {
      return (await sql<ShareLinkRow>("SELECT * FROM share_links WHERE credential_id = $1 ORDER BY created_at, id", [credentialId])).rows;
    },
    async revoke(id, at) {
      return (await sql("UPDATE share_links SET revoked_at = $1, bundle = NULL WHERE id = $2 AND revoked_at IS NULL", [at, id])).rowCount === 1;
    },
    async purgeExpired(now) {
      return (await sql("UPDATE share_links SET bundle = NULL WHERE bundle IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= $1", [now])).rowCount ?? 0;
    },
    async setHolderKey(r) {
      await sql(
        "INSERT INTO holder_keys (credential_id, secret_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (credential_id) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = excluded.created_at",
        [r.credential_id, r.secret_hash, r.created_at],
      );
    },
    async holderKey(credentialId) {
      return (await sql<HolderKeyRow>("SELECT * FROM holder_keys WHERE credential_id = $1", [credentialId])).rows[0];
    },
  };
}
