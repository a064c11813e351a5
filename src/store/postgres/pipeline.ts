// PostgreSQL repositories of the anchoring pipeline: batches, status changes, the chain outbox, webhooks.
import type { ChainTxRow, OutboxRepository, RecordedBlock, TxAttemptRow } from "../../chain/outbox.ts";
import type { BatchRepository, BatchRow, DueWebhook, InFlightStatusChange, StatusChangeRepository, StatusChangeRow, WebhookRepository } from "../types.ts";
import { asBuffer, type Sql } from "./sql.ts";

/**
 * The batch repository over `sql`.
 *
 * @example
 * const id = await postgresBatches(sql).insert({ issuerId: 1, root, size: 100, at: Date.now() });
 */
export function postgresBatches(sql: Sql): BatchRepository {
  const run = async (text: string, values: unknown[]) => {
    await sql(text, values);
  };
  return {
    async insert(b) {
      return (await sql<{ id: number }>("INSERT INTO batches (issuer_id, root, size, state, created_at) VALUES ($1, $2, $3, 'built', $4) RETURNING id", [b.issuerId, asBuffer(b.root), b.size, b.at])).rows[0]!.id;
    },
    async get(id) {
      return (await sql<BatchRow>("SELECT * FROM batches WHERE id = $1", [id])).rows[0];
    },
    setTx: (id, txId) => run("UPDATE batches SET tx_id = $1 WHERE id = $2", [txId, id]),
    markSending: (id) => run("UPDATE batches SET state = 'sending' WHERE id = $1 AND state = 'built'", [id]),
    markMined: (id, at) => run("UPDATE batches SET state = 'mined', mined_at = $1 WHERE id = $2", [at, id]),
    markConfirmed: (id, at) => run("UPDATE batches SET state = 'confirmed', confirmed_at = $1 WHERE id = $2", [at, id]),
    markUnmined: (id) => run("UPDATE batches SET state = 'sending', mined_at = NULL WHERE id = $1", [id]),
    markFailed: (id, at, error) => run("UPDATE batches SET failed_at = $1, error = $2 WHERE id = $3", [at, error, id]),
    markRootRevoked: (id) => run("UPDATE batches SET root_revoked = 1 WHERE id = $1", [id]),
    setLeaves: (id, digests) => run("INSERT INTO batch_leaves (batch_id, digests) VALUES ($1, $2)", [id, asBuffer(digests)]),
    async leaves(id) {
      return (await sql<{ digests: Buffer }>("SELECT digests FROM batch_leaves WHERE batch_id = $1", [id])).rows[0]?.digests;
    },
  };
}

const parsed = <T extends { indices: string }>(row: T): Omit<T, "indices"> & { indices: number[] } => ({ ...row, indices: JSON.parse(row.indices) as number[] });

/**
 * The status-change repository over `sql` (indices stored as a JSON array, as SQLite does).
 *
 * @example
 * const id = await postgresStatusChanges(sql).insert({ issuerId: 1, action: "revoke", reason: 0, indices: [7], batchId: null, at: Date.now() });
 */
export function postgresStatusChanges(sql: Sql): StatusChangeRepository {
  return {
    async insert(c) {
      const { rows } = await sql<{ id: number }>(
        "INSERT INTO status_changes (issuer_id, action, reason, indices, batch_id, state, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id",
        [c.issuerId, c.action, c.reason, JSON.stringify(c.indices), c.batchId, c.at],
      );
      return rows[0]!.id;
    },
    async get(id) {
      const row = (await sql<Omit<StatusChangeRow, "indices"> & { indices: string }>("SELECT * FROM status_changes WHERE id = $1", [id])).rows[0];
      return row && parsed(row);
    },
    async setTx(id, txId) {
      await sql("UPDATE status_changes SET tx_id = $1 WHERE id = $2", [txId, id]);
    },
    async inFlight(issuerId) {
      const { rows } = await sql<Omit<InFlightStatusChange, "indices"> & { indices: string }>(
        "SELECT id, action, indices, batch_id FROM status_changes WHERE issuer_id = $1 AND state IN ('pending','sending','mined') ORDER BY id",
        [issuerId],
      );
      return rows.map(parsed);
    },
    async setState(id, state, error) {
      await sql("UPDATE status_changes SET state = $1, error = $2 WHERE id = $3", [state, error, id]);
    },
    async noteError(id, error) {
      await sql("UPDATE status_changes SET error = $1 WHERE id = $2 AND state <> 'failed'", [error, id]);
    },
  };
}

// Updates name their columns from a fixed list (never from input), so the SQL is a closed set.
const TX_COLUMNS = new Set(["state", "nonce", "tx_hash", "block_number", "block_hash", "block_time", "gas_used", "gas_price", "errors", "last_error", "not_before", "outcome", "failure", "reverts"]);

/**
 * The chain outbox over `sql` (`chain_txs`, `tx_attempts`). A signer's rows are only written by
 * that signer's elected leader (src/store/postgres/leader.ts): the lock is the claim on them.
 *
 * @example
 * const txId = await postgresOutbox(sql).enqueue({ signer, kind: "anchor", refId: batchId, data, at: Date.now() });
 */
export function postgresOutbox(sql: Sql): OutboxRepository {
  return {
    async enqueue(c) {
      const { rows } = await sql<{ id: number }>(
        "INSERT INTO chain_txs (signer, kind, ref_id, data, state, created_at, updated_at, target) VALUES ($1, $2, $3, $4, 'queued', $5, $5, $6) RETURNING id",
        [c.signer.toLowerCase(), c.kind, c.refId, c.data, c.at, c.target?.toLowerCase() ?? null],
      );
      return rows[0]!.id;
    },
    async get(id) {
      return (await sql<ChainTxRow>("SELECT * FROM chain_txs WHERE id = $1", [id])).rows[0];
    },
    async open(signer) {
      return (await sql<ChainTxRow>("SELECT * FROM chain_txs WHERE signer = $1 AND state <> 'confirmed' AND outcome IS NULL ORDER BY id", [signer.toLowerCase()])).rows;
    },
    async update(id, change, at) {
      const keys = Object.keys(change).sort();
      for (const k of keys) if (!TX_COLUMNS.has(k)) throw new Error(`chain_txs has no column ${k} the sender may change`);
      const values = keys.map((k) => (change as Record<string, unknown>)[k]);
      const set = [...keys.map((k, i) => `${k} = $${i + 1}`), `updated_at = $${keys.length + 1}`].join(", ");
      const { rows } = await sql<ChainTxRow>(`UPDATE chain_txs SET ${set} WHERE id = $${keys.length + 2} RETURNING *`, [...values, at, id]);
      return rows[0]!;
    },
    async byOwner(kinds, refId) {
      return (await sql<ChainTxRow>("SELECT * FROM chain_txs WHERE kind = ANY($1::text[]) AND ref_id = $2 ORDER BY id", [kinds, refId])).rows;
    },
    async addAttempt(txId, a: TxAttemptRow) {
      await sql("INSERT INTO tx_attempts (hash, tx_id, nonce, raw, max_fee, priority_fee, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
        a.hash,
        txId,
        a.nonce,
        a.raw,
        a.max_fee,
        a.priority_fee,
        a.sent_at,
      ]);
    },
    async attempts(txId) {
      return (await sql<TxAttemptRow>("SELECT hash, nonce, raw, max_fee, priority_fee, sent_at FROM tx_attempts WHERE tx_id = $1 ORDER BY sent_at DESC, seq DESC", [txId])).rows;
    },
    async recordedBlocks(signer, below, limit) {
      const { rows } = await sql<RecordedBlock>(
        `SELECT DISTINCT block_number AS number, block_hash AS hash FROM chain_txs
          WHERE signer = $1 AND state IN ('mined', 'confirmed') AND block_number IS NOT NULL AND block_number < $2
          ORDER BY block_number DESC LIMIT $3`,
        [signer.toLowerCase(), below, limit],
      );
      return rows;
    },
    async landedSince(signer, fromBlock) {
      return (await sql<ChainTxRow>("SELECT * FROM chain_txs WHERE signer = $1 AND state IN ('mined', 'confirmed') AND block_number >= $2 ORDER BY id", [signer.toLowerCase(), fromBlock])).rows;
    },
    async resendSent(signer, at) {
      return (await sql("UPDATE chain_txs SET state = 'signed', updated_at = $1 WHERE signer = $2 AND state = 'sent'", [at, signer.toLowerCase()])).rowCount ?? 0;
    },
  };
}

/**
 * The webhook delivery repository over `sql`.
 *
 * @example
 * for (const d of await postgresWebhooks(sql).due(Date.now(), 20)) console.log(d.event, d.url);
 */
export function postgresWebhooks(sql: Sql): WebhookRepository {
  return {
    async enqueue(d) {
      await sql("INSERT INTO webhook_deliveries (issuer_id, event, payload, next_at) VALUES ($1, $2, $3, $4)", [d.issuerId, d.event, d.payload, d.at]);
    },
    async due(now, limit) {
      const { rows } = await sql<DueWebhook>(
        `SELECT d.id, d.payload, d.attempts, d.event, i.webhook_url AS url, i.webhook_secret AS secret
           FROM webhook_deliveries d JOIN issuers i ON i.id = d.issuer_id
          WHERE d.delivered_at IS NULL AND d.given_up = 0 AND d.next_at <= $1 ORDER BY d.next_at LIMIT $2`,
        [now, limit],
      );
      return rows;
    },
    async delivered(id, attempts, at) {
      await sql("UPDATE webhook_deliveries SET delivered_at = $1, attempts = $2 WHERE id = $3", [at, attempts, id]);
    },
    async failed(id, u) {
      await sql("UPDATE webhook_deliveries SET attempts = $1, next_at = $2, last_error = $3, given_up = $4 WHERE id = $5", [u.attempts, u.nextAt, u.error, u.givenUp ? 1 : 0, id]);
    },
  };
}
