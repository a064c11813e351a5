// PostgreSQL repositories of the service's own records: meta, issuers, API keys, idempotency, audit, counts.
import type { BatchState, StatusChangeState } from "../../issuer/types.ts";
import type { ApiKeyRepository, ApiKeyRow, AuditRepository, ClosedTxCount, CountsRepository, IdempotencyRepository, IssuerRepository, MetaRepository } from "../types.ts";
import type { Sql } from "./sql.ts";

/** The meta repository over `sql`. @example await postgresMeta(sql).set("chainId", "31337"); */
export function postgresMeta(sql: Sql): MetaRepository {
  return {
    async get(key) {
      return (await sql<{ value: string }>("SELECT value FROM meta WHERE key = $1", [key])).rows[0]?.value;
    },
    async set(key, value) {
      await sql("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]);
    },
  };
}

/** The issuer repository over `sql`. @example await postgresIssuers(sql).listSize(1); // 131072 */
export function postgresIssuers(sql: Sql): IssuerRepository {
  const listSize = async (issuerId: number) => (await sql<{ list_size: number }>("SELECT list_size FROM issuers WHERE id = $1", [issuerId])).rows[0]?.list_size;
  return {
    async upsert(i) {
      await sql("INSERT INTO issuers (id, signer, list_size, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET signer = excluded.signer", [i.id, i.signer, i.listSize, i.at]);
    },
    async isKnown(issuerId) {
      return (await listSize(issuerId)) !== undefined;
    },
    listSize,
    async growListSize(issuerId, size) {
      await sql("UPDATE issuers SET list_size = $1 WHERE id = $2 AND list_size < $1", [size, issuerId]);
    },
    async webhook(issuerId) {
      return (await sql<{ url: string | null; secret: string | null }>("SELECT webhook_url AS url, webhook_secret AS secret FROM issuers WHERE id = $1", [issuerId])).rows[0];
    },
    async setWebhook(issuerId, url, secret) {
      await sql("UPDATE issuers SET webhook_url = $1, webhook_secret = $2 WHERE id = $3", [url, secret, issuerId]);
    },
  };
}

/** The API key repository over `sql`. @example await postgresApiKeys(sql).findActive("0123abcd4567ef89", Date.now()); */
export function postgresApiKeys(sql: Sql): ApiKeyRepository {
  return {
    async insert(row, { orIgnore = false } = {}) {
      const result = await sql(
        `INSERT INTO api_keys (id, issuer_id, secret_hash, label, created_at, expires_at, issuer_scope) VALUES ($1, $2, $3, $4, $5, $6, $7)${orIgnore ? " ON CONFLICT (id) DO NOTHING" : ""}`,
        [row.id, row.issuer_id, row.secret_hash, row.label, row.created_at, row.expires_at, row.issuer_scope],
      );
      return result.rowCount === 1;
    },
    async findActive(id, now) {
      return (await sql<ApiKeyRow>("SELECT * FROM api_keys WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)", [id, now])).rows[0];
    },
    async get(id) {
      return (await sql<ApiKeyRow>("SELECT * FROM api_keys WHERE id = $1", [id])).rows[0];
    },
    async list() {
      return (await sql<ApiKeyRow>("SELECT * FROM api_keys ORDER BY created_at, id")).rows;
    },
    async revoke(id, at) {
      return (await sql("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [at, id])).rowCount === 1;
    },
    async hasActiveAdmin(now) {
      return (await sql("SELECT 1 FROM api_keys WHERE issuer_id IS NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1) LIMIT 1", [now])).rowCount === 1;
    },
  };
}

/** The Idempotency-Key repository over `sql`. @example await postgresIdempotency(sql).purge(Date.now() - 86_400_000); */
export function postgresIdempotency(sql: Sql): IdempotencyRepository {
  return {
    async find(q) {
      const { rows } = await sql<{ request_mac: Buffer; response: string }>(
        "SELECT request_mac, response FROM idempotency WHERE issuer_id = $1 AND scope = $2 AND key = $3 AND created_at >= $4",
        [q.issuerId, q.scope, q.key, q.since],
      );
      return rows[0] && { requestMac: rows[0].request_mac, response: rows[0].response };
    },
    async save(r) {
      await sql(
        `INSERT INTO idempotency (issuer_id, scope, key, request_mac, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (issuer_id, scope, key) DO UPDATE SET request_mac = excluded.request_mac, response = excluded.response, created_at = excluded.created_at`,
        [r.issuerId, r.scope, r.key, r.requestMac, r.response, r.at],
      );
    },
    async purge(before) {
      return (await sql("DELETE FROM idempotency WHERE created_at < $1", [before])).rowCount ?? 0;
    },
    async forgetErased(issuerId, credentialId) {
      await sql("UPDATE idempotency SET request_mac = '\\x' WHERE issuer_id = $1 AND scope = 'submit' AND strpos(response, $2) > 0", [issuerId, `"${credentialId}"`]);
    },
  };
}

/** The audit log over `sql`. @example await postgresAudit(sql).append({ at, actor: "admin:k1", action: "erase", subject: id, details: "{}" }); */
export function postgresAudit(sql: Sql): AuditRepository {
  return {
    async append(e) {
      await sql("INSERT INTO audit_log (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)", [e.at, e.actor, e.action, e.subject, e.details]);
    },
  };
}

/** The metrics counts over `sql`. @example const { queued } = await postgresCounts(sql).counts(); */
export function postgresCounts(sql: Sql): CountsRepository {
  return {
    async counts() {
      const [queued, batches, changes, gas, closed] = await Promise.all([
        sql<{ n: number }>("SELECT count(*) AS n FROM credentials WHERE batch_id IS NULL"),
        sql<{ state: BatchState; count: number; credentials: number }>(
          "SELECT CASE WHEN failed_at IS NULL THEN state ELSE 'failed' END AS state, count(*) AS count, sum(size)::bigint AS credentials FROM batches GROUP BY 1",
        ),
        sql<{ state: StatusChangeState; count: number }>("SELECT state, count(*) AS count FROM status_changes GROUP BY state"),
        // Summed as numeric and read as text: wei amounts overflow bigint.
        sql<{ gas_used: string | null; fees: string | null }>(
          "SELECT sum(gas_used::numeric)::text AS gas_used, sum(gas_used::numeric * coalesce(gas_price, '0')::numeric)::text AS fees FROM chain_txs WHERE gas_used IS NOT NULL",
        ),
        sql<ClosedTxCount>(
          "SELECT kind, outcome, coalesce(failure, 'Unknown') AS failure, count(*) AS count FROM chain_txs WHERE outcome IS NOT NULL GROUP BY kind, outcome, failure ORDER BY kind, outcome, failure",
        ),
      ]);
      return {
        queued: queued.rows[0]!.n,
        batches: batches.rows,
        statusChanges: changes.rows,
        gasUsed: BigInt(gas.rows[0]?.gas_used ?? "0"),
        feesPaidWei: BigInt(gas.rows[0]?.fees ?? "0"),
        closedTxs: closed.rows,
      };
    },
    async oldestOpenTxAt() {
      return (await sql<{ at: number | null }>("SELECT min(created_at) AS at FROM chain_txs WHERE state <> 'confirmed' AND outcome IS NULL")).rows[0]?.at ?? undefined;
    },
  };
}
