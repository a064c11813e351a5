// SQLite repositories of the anchoring pipeline: batches, status changes, the chain outbox, webhooks.
import type { ChainTxRow, OutboxRepository, RecordedBlock, TxAttemptRow } from "../../chain/outbox.ts";
import type { BatchRepository, BatchRow, DueWebhook, InFlightStatusChange, StatusChangeRepository, StatusChangeRow, WebhookRepository } from "../types.ts";
import type { Db, Statement } from "./database.ts";

/**
 * The batch repository over `db`.
 *
 * @example
 * const id = await sqliteBatches(db).insert({ issuerId: 1, root, size: 100, at: Date.now() });
 */
export function sqliteBatches(db: Db): BatchRepository {
  const insert = db.prepare("INSERT INTO batches (issuer_id, root, size, state, created_at) VALUES (?, ?, ?, 'built', ?)");
  const get = db.prepare("SELECT * FROM batches WHERE id = ?");
  const setTx = db.prepare("UPDATE batches SET tx_id = ? WHERE id = ?");
  const sending = db.prepare("UPDATE batches SET state = 'sending' WHERE id = ? AND state = 'built'");
  const mined = db.prepare("UPDATE batches SET state = 'mined', mined_at = ? WHERE id = ?");
  const confirmed = db.prepare("UPDATE batches SET state = 'confirmed', confirmed_at = ? WHERE id = ?");
  const unmined = db.prepare("UPDATE batches SET state = 'sending', mined_at = NULL WHERE id = ?");
  const failed = db.prepare("UPDATE batches SET failed_at = ?, error = ? WHERE id = ?");
  const rootRevoked = db.prepare("UPDATE batches SET root_revoked = 1 WHERE id = ?");
  const setLeaves = db.prepare("INSERT INTO batch_leaves (batch_id, digests) VALUES (?, ?)");
  const leaves = db.prepare("SELECT digests FROM batch_leaves WHERE batch_id = ?").pluck();
  return {
    async insert(b) {
      return Number(insert.run(b.issuerId, b.root, b.size, b.at).lastInsertRowid);
    },
    async get(id) {
      return get.get(id) as BatchRow | undefined;
    },
    async setTx(id, txId) {
      setTx.run(txId, id);
    },
    async markSending(id) {
      sending.run(id);
    },
    async markMined(id, at) {
      mined.run(at, id);
    },
    async markConfirmed(id, at) {
      confirmed.run(at, id);
    },
    async markUnmined(id) {
      unmined.run(id);
    },
    async markFailed(id, at, error) {
      failed.run(at, error, id);
    },
    async markRootRevoked(id) {
      rootRevoked.run(id);
    },
    async setLeaves(id, digests) {
      setLeaves.run(id, Buffer.from(digests.buffer, digests.byteOffset, digests.length));
    },
    async leaves(id) {
      return leaves.get(id) as Buffer | undefined;
    },
  };
}

type StoredStatusChange = Omit<StatusChangeRow, "indices"> & { indices: string };
const parsed = <T extends { indices: string }>(row: T): Omit<T, "indices"> & { indices: number[] } => ({ ...row, indices: JSON.parse(row.indices) as number[] });

/**
 * The status-change repository over `db` (indices stored as a JSON array).
 *
 * @example
 * const id = await sqliteStatusChanges(db).insert({ issuerId: 1, action: "revoke", reason: 0, indices: [7], batchId: null, at: Date.now() });
 */
export function sqliteStatusChanges(db: Db): StatusChangeRepository {
  const insert = db.prepare("INSERT INTO status_changes (issuer_id, action, reason, indices, batch_id, state, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)");
  const get = db.prepare("SELECT * FROM status_changes WHERE id = ?");
  const setTx = db.prepare("UPDATE status_changes SET tx_id = ? WHERE id = ?");
  const inFlight = db.prepare("SELECT id, action, indices, batch_id FROM status_changes WHERE issuer_id = ? AND state IN ('pending','sending','mined') ORDER BY id");
  const setState = db.prepare("UPDATE status_changes SET state = ?, error = ? WHERE id = ?");
  const noteError = db.prepare("UPDATE status_changes SET error = ? WHERE id = ? AND state <> 'failed'");
  return {
    async insert(c) {
      return Number(insert.run(c.issuerId, c.action, c.reason, JSON.stringify(c.indices), c.batchId, c.at).lastInsertRowid);
    },
    async get(id) {
      const row = get.get(id) as StoredStatusChange | undefined;
      return row && parsed(row);
    },
    async setTx(id, txId) {
      setTx.run(txId, id);
    },
    async inFlight(issuerId) {
      return (inFlight.all(issuerId) as (Omit<InFlightStatusChange, "indices"> & { indices: string })[]).map(parsed);
    },
    async setState(id, state, error) {
      setState.run(state, error, id);
    },
    async noteError(id, error) {
      noteError.run(error, id);
    },
  };
}

/**
 * The chain outbox over `db` (`chain_txs`, `tx_attempts`).
 *
 * @example
 * const txId = await sqliteOutbox(db).enqueue({ signer, kind: "anchor", refId: batchId, data, at: Date.now() });
 */
export function sqliteOutbox(db: Db): OutboxRepository {
  const enqueue = db.prepare("INSERT INTO chain_txs (signer, kind, ref_id, data, state, created_at, updated_at, target) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)");
  const get = db.prepare("SELECT * FROM chain_txs WHERE id = ?");
  const open = db.prepare("SELECT * FROM chain_txs WHERE signer = ? AND state <> 'confirmed' AND outcome IS NULL ORDER BY id");
  const addAttempt = db.prepare("INSERT INTO tx_attempts (hash, tx_id, nonce, raw, max_fee, priority_fee, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const attempts = db.prepare("SELECT hash, nonce, raw, max_fee, priority_fee, sent_at FROM tx_attempts WHERE tx_id = ? ORDER BY sent_at DESC, rowid DESC");
  const blocks = db.prepare(
    `SELECT DISTINCT block_number AS number, block_hash AS hash FROM chain_txs
     WHERE signer = ? AND state IN ('mined', 'confirmed') AND block_number IS NOT NULL AND block_number < ?
     ORDER BY block_number DESC LIMIT ?`,
  );
  const landedSince = db.prepare("SELECT * FROM chain_txs WHERE signer = ? AND state IN ('mined', 'confirmed') AND block_number >= ? ORDER BY id");
  const resendSent = db.prepare("UPDATE chain_txs SET state = 'signed', updated_at = ? WHERE signer = ? AND state = 'sent'");
  // Updates name their columns from a fixed list (never from input), so the SQL is a closed set.
  const columns = new Set(["state", "nonce", "tx_hash", "block_number", "block_hash", "block_time", "gas_used", "gas_price", "errors", "last_error", "not_before", "outcome", "failure", "reverts"]);
  const updates = new Map<string, Statement>();
  const updateStatement = (keys: string[]) => {
    const name = keys.join(",");
    let statement = updates.get(name);
    if (!statement) {
      for (const k of keys) if (!columns.has(k)) throw new Error(`chain_txs has no column ${k} the sender may change`);
      statement = db.prepare(`UPDATE chain_txs SET ${keys.map((k) => `${k} = @${k}`).join(", ")}, updated_at = @updated_at WHERE id = @id`);
      updates.set(name, statement);
    }
    return statement;
  };
  const byOwner = new Map<string, Statement>();
  return {
    async enqueue(c) {
      return Number(enqueue.run(c.signer.toLowerCase(), c.kind, c.refId, c.data, c.at, c.at, c.target?.toLowerCase() ?? null).lastInsertRowid);
    },
    async get(id) {
      return get.get(id) as ChainTxRow | undefined;
    },
    async open(signer) {
      return open.all(signer.toLowerCase()) as ChainTxRow[];
    },
    async update(id, change, at) {
      const keys = Object.keys(change).sort();
      updateStatement(keys).run({ ...change, updated_at: at, id });
      return get.get(id) as ChainTxRow;
    },
    async byOwner(kinds, refId) {
      const key = [...kinds].sort().join(",");
      let statement = byOwner.get(key);
      if (!statement) {
        statement = db.prepare(`SELECT * FROM chain_txs WHERE kind IN (${kinds.map(() => "?").join(", ")}) AND ref_id = ? ORDER BY id`);
        byOwner.set(key, statement);
      }
      return statement.all(...[...kinds].sort(), refId) as ChainTxRow[];
    },
    async addAttempt(txId, a: TxAttemptRow) {
      addAttempt.run(a.hash, txId, a.nonce, a.raw, a.max_fee, a.priority_fee, a.sent_at);
    },
    async attempts(txId) {
      return attempts.all(txId) as TxAttemptRow[];
    },
    async recordedBlocks(signer, below, limit) {
      return blocks.all(signer.toLowerCase(), below, limit) as RecordedBlock[];
    },
    async landedSince(signer, fromBlock) {
      return landedSince.all(signer.toLowerCase(), fromBlock) as ChainTxRow[];
    },
    async resendSent(signer, at) {
      return resendSent.run(at, signer.toLowerCase()).changes;
    },
  };
}

/**
 * The webhook delivery repository over `db`.
 *
 * @example
 * for (const d of await sqliteWebhooks(db).due(Date.now(), 20)) console.log(d.event, d.url);
 */
export function sqliteWebhooks(db: Db): WebhookRepository {
  const enqueue = db.prepare("INSERT INTO webhook_deliveries (issuer_id, event, payload, next_at) VALUES (?, ?, ?, ?)");
  const due = db.prepare(
    `SELECT d.id, d.payload, d.attempts, d.event, i.webhook_url AS url, i.webhook_secret AS secret
     FROM webhook_deliveries d JOIN issuers i ON i.id = d.issuer_id
     WHERE d.delivered_at IS NULL AND d.given_up = 0 AND d.next_at <= ? ORDER BY d.next_at LIMIT ?`,
  );
  const delivered = db.prepare("UPDATE webhook_deliveries SET delivered_at = ?, attempts = ? WHERE id = ?");
  const failed = db.prepare("UPDATE webhook_deliveries SET attempts = ?, next_at = ?, last_error = ?, given_up = ? WHERE id = ?");
  return {
    async enqueue(d) {
      enqueue.run(d.issuerId, d.event, d.payload, d.at);
    },
    async due(now, limit) {
      return due.all(now, limit) as DueWebhook[];
    },
    async delivered(id, attempts, at) {
      delivered.run(at, attempts, id);
    },
    async failed(id, u) {
      failed.run(u.attempts, u.nextAt, u.error, u.givenUp ? 1 : 0, id);
    },
  };
}
