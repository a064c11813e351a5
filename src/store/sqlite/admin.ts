// SQLite repositories of the service's own records: meta, issuers, API keys, idempotency, audit, counts.
import type { BatchState, StatusChangeState } from "../../issuer/types.ts";
import type {
  ApiKeyRepository,
  ApiKeyRow,
  AuditRepository,
  ClosedTxCount,
  CountsRepository,
  IdempotencyRepository,
  IssuerRepository,
  MetaRepository,
} from "../types.ts";
import type { Db } from "./database.ts";

/** The meta repository over `db`. @example await sqliteMeta(db).set("chainId", "31337"); */
export function sqliteMeta(db: Db): MetaRepository {
  const get = db.prepare("SELECT value FROM meta WHERE key = ?").pluck();
  const set = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  return {
    async get(key) {
      return get.get(key) as string | undefined;
    },
    async set(key, value) {
      set.run(key, value);
    },
  };
}

/** The issuer repository over `db`. @example await sqliteIssuers(db).listSize(1); // 131072 */
export function sqliteIssuers(db: Db): IssuerRepository {
  const upsert = db.prepare("INSERT INTO issuers (id, signer, list_size, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET signer = excluded.signer");
  const listSize = db.prepare("SELECT list_size FROM issuers WHERE id = ?").pluck();
  const grow = db.prepare("UPDATE issuers SET list_size = ? WHERE id = ? AND list_size < ?");
  const webhook = db.prepare("SELECT webhook_url AS url, webhook_secret AS secret FROM issuers WHERE id = ?");
  const setWebhook = db.prepare("UPDATE issuers SET webhook_url = ?, webhook_secret = ? WHERE id = ?");
  return {
    async upsert(i) {
      upsert.run(i.id, i.signer, i.listSize, i.at);
    },
    async isKnown(issuerId) {
      return listSize.get(issuerId) !== undefined;
    },
    async listSize(issuerId) {
      return listSize.get(issuerId) as number | undefined;
    },
    async growListSize(issuerId, size) {
      grow.run(size, issuerId, size);
    },
    async webhook(issuerId) {
      return webhook.get(issuerId) as { url: string | null; secret: string | null } | undefined;
    },
    async setWebhook(issuerId, url, secret) {
      setWebhook.run(url, secret, issuerId);
    },
  };
}

/** The API key repository over `db`. @example await sqliteApiKeys(db).findActive("0123abcd4567ef89", Date.now()); */
export function sqliteApiKeys(db: Db): ApiKeyRepository {
  const columns = "(id, issuer_id, secret_hash, label, created_at, expires_at, issuer_scope) VALUES (?, ?, ?, ?, ?, ?, ?)";
  const insert = db.prepare(`INSERT INTO api_keys ${columns}`);
  const insertOrIgnore = db.prepare(`INSERT OR IGNORE INTO api_keys ${columns}`);
  const findActive = db.prepare("SELECT * FROM api_keys WHERE id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)");
  const get = db.prepare("SELECT * FROM api_keys WHERE id = ?");
  const list = db.prepare("SELECT * FROM api_keys ORDER BY created_at, id");
  const revoke = db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  const activeAdmin = db.prepare("SELECT 1 FROM api_keys WHERE issuer_id IS NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)");
  return {
    async insert(row, { orIgnore = false } = {}) {
      return (orIgnore ? insertOrIgnore : insert).run(row.id, row.issuer_id, row.secret_hash, row.label, row.created_at, row.expires_at, row.issuer_scope).changes === 1;
    },
    async findActive(id, now) {
      return findActive.get(id, now) as ApiKeyRow | undefined;
    },
    async get(id) {
      return get.get(id) as ApiKeyRow | undefined;
    },
    async list() {
      return list.all() as ApiKeyRow[];
    },
    async revoke(id, at) {
      return revoke.run(at, id).changes === 1;
    },
    async hasActiveAdmin(now) {
      return activeAdmin.get(now) !== undefined;
    },
  };
}

/** The Idempotency-Key repository over `db`. @example await sqliteIdempotency(db).purge(Date.now() - 86_400_000); */
export function sqliteIdempotency(db: Db): IdempotencyRepository {
  const find = db.prepare("SELECT request_mac, response FROM idempotency WHERE issuer_id = ? AND scope = ? AND key = ? AND created_at >= ?");
  const save = db.prepare("INSERT OR REPLACE INTO idempotency (issuer_id, scope, key, request_mac, response, created_at) VALUES (?, ?, ?, ?, ?, ?)");
  const purge = db.prepare("DELETE FROM idempotency WHERE created_at < ?");
  const forget = db.prepare("UPDATE idempotency SET request_mac = X'' WHERE issuer_id = ? AND scope = 'submit' AND instr(response, ?) > 0");
  return {
    async find(q) {
      const row = find.get(q.issuerId, q.scope, q.key, q.since) as { request_mac: Buffer; response: string } | undefined;
      return row && { requestMac: row.request_mac, response: row.response };
    },
    async save(r) {
      save.run(r.issuerId, r.scope, r.key, r.requestMac, r.response, r.at);
    },
    async purge(before) {
      return purge.run(before).changes;
    },
    async forgetErased(issuerId, credentialId) {
      forget.run(issuerId, `"${credentialId}"`);
    },
  };
}

/** The audit log over `db`. @example await sqliteAudit(db).append({ at, actor: "admin:k1", action: "erase", subject: id, details: "{}" }); */
export function sqliteAudit(db: Db): AuditRepository {
  const append = db.prepare("INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)");
  return {
    async append(e) {
      append.run(e.at, e.actor, e.action, e.subject, e.details);
    },
  };
}

/** The metrics counts over `db`. @example const { queued } = await sqliteCounts(db).counts(); */
export function sqliteCounts(db: Db): CountsRepository {
  const queued = db.prepare("SELECT count(*) FROM credentials WHERE batch_id IS NULL").pluck();
  const batches = db.prepare("SELECT CASE WHEN failed_at IS NULL THEN state ELSE 'failed' END AS state, count(*) AS count, sum(size) AS credentials FROM batches GROUP BY 1");
  const changes = db.prepare("SELECT state, count(*) AS count FROM status_changes GROUP BY state");
  const gas = db.prepare("SELECT gas_used, gas_price FROM chain_txs WHERE gas_used IS NOT NULL");
  const closed = db.prepare(
    "SELECT kind, outcome, coalesce(failure, 'Unknown') AS failure, count(*) AS count FROM chain_txs WHERE outcome IS NOT NULL GROUP BY kind, outcome, failure ORDER BY kind, outcome, failure",
  );
  const oldestOpen = db.prepare("SELECT min(created_at) FROM chain_txs WHERE state <> 'confirmed' AND outcome IS NULL").pluck();
  return {
    async counts() {
      let gasUsed = 0n;
      let feesPaidWei = 0n;
      // Summed as bigints: wei amounts overflow SQLite's integers.
      for (const r of gas.all() as { gas_used: string; gas_price: string | null }[]) {
        gasUsed += BigInt(r.gas_used);
        feesPaidWei += BigInt(r.gas_used) * BigInt(r.gas_price ?? "0");
      }
      return {
        queued: queued.get() as number,
        batches: batches.all() as { state: BatchState; count: number; credentials: number }[],
        statusChanges: changes.all() as { state: StatusChangeState; count: number }[],
        gasUsed,
        feesPaidWei,
        closedTxs: closed.all() as ClosedTxCount[],
      };
    },
    async oldestOpenTxAt() {
      return (oldestOpen.get() as number | null) ?? undefined;
    },
  };
}
