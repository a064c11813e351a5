// SQLite repositories of accepted credentials, their id MACs and their signed proofs.
import type { StatusAction } from "../../issuer/types.ts";
import type {
  CredentialIdRepository,
  CredentialRepository,
  CredentialRow,
  KnownCredential,
  QueuedCredential,
  SignedCredentialRepository,
  SignedCredentialRow,
  StoredStatus,
} from "../types.ts";
import { ANCHOR_COLUMNS, splitAnchor, type JoinedAnchorRow } from "../anchor-row.ts";
import type { Db, Statement } from "./database.ts";

/** Runs `fn` atomically: inside the caller's transaction if one is open, else in its own. */
function atomic<T>(db: Db, fn: () => T): T {
  return db.inTransaction ? fn() : db.transaction(fn)();
}

/** Rows claimed for a batch between two turns of the event loop. */
const CLAIM_SLICE = 2_000;

/** A credential's text columns, from `credential_texts x` (NULL once erased). */
const TEXT_COLUMNS = "x.content AS content, x.salts AS salts";

/** The flag each status action sets. */
const STATUS_SET: Record<StatusAction, string> = { revoke: "revoked = 1", suspend: "suspended = 1", reinstate: "suspended = 0" };

/**
 * The credentials repository over `db`.
 *
 * @example
 * await sqliteCredentials(db).insertMany([{ id, issuerId: 1, statusIndex: 7, …prepared, createdAt: Date.now() }]);
 */
export function sqliteCredentials(db: Db): CredentialRepository {
  // A credential's text and salts live in credential_texts (migration 10), so a batch claim
  // rewrites a row of about 150 bytes instead of 1.5 KB.
  const insert = db.prepare("INSERT INTO credentials (id, issuer_id, status_index, digest, leaf, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const insertText = db.prepare("INSERT INTO credential_texts (seq, content, salts) VALUES (?, ?, ?)");
  const byId = db.prepare(`SELECT c.*, ${TEXT_COLUMNS} FROM credentials c LEFT JOIN credential_texts x ON x.seq = c.seq WHERE c.id = ?`);
  const locate = db.prepare("SELECT issuer_id, status_index FROM credentials WHERE id = ?");
  const atIndex = db.prepare("SELECT 1 FROM credentials WHERE issuer_id = ? AND status_index = ?");
  const allIndices = db.prepare("SELECT status_index FROM credentials WHERE issuer_id = ?").pluck();
  const status = db.prepare(
    "SELECT c.revoked, c.suspended, coalesce(b.root_revoked, 0) AS root_revoked FROM credentials c LEFT JOIN batches b ON b.id = c.batch_id WHERE c.issuer_id = ? AND c.status_index = ?",
  );
  const apply = Object.fromEntries(
    Object.entries(STATUS_SET).map(([action, set]) => [action, db.prepare(`UPDATE credentials SET ${set} WHERE issuer_id = ? AND status_index = ?`)]),
  ) as Record<StatusAction, Statement>;
  const depths = db.prepare("SELECT issuer_id, count(*) AS n FROM credentials WHERE batch_id IS NULL GROUP BY issuer_id");
  const oldest = db.prepare("SELECT created_at FROM credentials WHERE issuer_id = ? AND batch_id IS NULL ORDER BY seq LIMIT 1").pluck();
  const next = db.prepare("SELECT seq, digest FROM credentials WHERE issuer_id = ? AND batch_id IS NULL ORDER BY seq LIMIT ?");
  // One statement per slice: leaf_index = offset + position in the JSON array of seqs. The unary
  // `+` keeps the planner off the batch_id index (it would scan every queued row per seq): the
  // plan walks the array and finds each row by its rowid.
  const claim = db.prepare(
    "UPDATE credentials SET batch_id = ?, leaf_index = ? + j.key FROM json_each(?) AS j WHERE credentials.seq = j.value AND +credentials.batch_id IS NULL",
  );
  const anchored = db.prepare(
    `SELECT c.*, ${TEXT_COLUMNS}, ${ANCHOR_COLUMNS}
       FROM credentials c LEFT JOIN credential_texts x ON x.seq = c.seq LEFT JOIN batches b ON b.id = c.batch_id LEFT JOIN chain_txs t ON t.id = b.tx_id
      WHERE c.id = ?`,
  );
  const queuedAfter = db.prepare("SELECT seq, id, status_index FROM credentials WHERE issuer_id = ? AND batch_id IS NULL AND seq > ? ORDER BY seq");
  const content = db.prepare("SELECT content FROM credential_texts WHERE seq = ?").pluck();
  const reindex = db.prepare("UPDATE credentials SET status_index = ?, digest = ?, leaf = ?, valid_from = ?, valid_until = ? WHERE seq = ? AND batch_id IS NULL");
  const resalt = db.prepare("UPDATE credential_texts SET salts = ? WHERE seq = ?");
  // The triggers of migrations 4 to 6 and 10 delete the text, the id MAC and the signed-credential rows with it.
  const erase = db.prepare("UPDATE credentials SET erased_at = ? WHERE id = ? AND erased_at IS NULL");
  return {
    async insertMany(rows) {
      atomic(db, () => {
        for (const r of rows) {
          const { lastInsertRowid } = insert.run(r.id, r.issuerId, r.statusIndex, r.digest, r.leaf, r.validFrom, r.validUntil, r.createdAt);
          insertText.run(lastInsertRowid, r.content, r.salts);
        }
      });
    },
    async get(id) {
      return byId.get(id) as CredentialRow | undefined;
    },
    async getAnchored(id) {
      const row = anchored.get(id) as JoinedAnchorRow | undefined;
      return row && splitAnchor(row);
    },
    async locate(ids) {
      const found = new Map<string, { issuerId: number; statusIndex: number }>();
      for (const id of ids) {
        const row = locate.get(id) as { issuer_id: number; status_index: number } | undefined;
        if (row) found.set(id, { issuerId: row.issuer_id, statusIndex: row.status_index });
      }
      return found;
    },
    async heldIndices(issuerId, indices) {
      return new Set(indices.filter((index) => atIndex.get(issuerId, index) !== undefined));
    },
    async allIndices(issuerId) {
      return allIndices.all(issuerId) as number[];
    },
    async statuses(issuerId, indices) {
      const found = new Map<number, StoredStatus>();
      for (const index of indices) {
        const row = status.get(issuerId, index) as { revoked: number; suspended: number; root_revoked: number } | undefined;
        if (row) found.set(index, { revoked: row.revoked === 1 || row.root_revoked === 1, suspended: row.suspended === 1 });
      }
      return found;
    },
    async applyStatus(issuerId, action, indices) {
      atomic(db, () => {
        for (const index of indices) apply[action].run(issuerId, index);
      });
    },
    async queueDepths() {
      return new Map((depths.all() as { issuer_id: number; n: number }[]).map((r) => [r.issuer_id, r.n]));
    },
    async oldestQueuedAt(issuerId) {
      return oldest.get(issuerId) as number | undefined;
    },
    async nextForBatch(issuerId, limit) {
      return next.all(issuerId, limit) as { seq: number; digest: Buffer }[];
    },
    async claimForBatch(batchId, seqs) {
      const claimFrom = (k: number) => claim.run(batchId, k, JSON.stringify(seqs.slice(k, k + CLAIM_SLICE))).changes;
      if (!db.inTransaction) {
        return atomic(db, () => {
          let claimed = 0;
          for (let k = 0; k < seqs.length; k += CLAIM_SLICE) claimed += claimFrom(k);
          return claimed;
        });
      }
      // Inside the caller's transaction (nothing else runs on the connection until it ends): a
      // batch of 100,000 rows is claimed in slices with the event loop let through between them,
      // so HTTP requests keep being read and answered (their sockets' timeouts keep running).
      let claimed = 0;
      for (let k = 0; k < seqs.length; k += CLAIM_SLICE) {
        if (k > 0) await new Promise((resolve) => setImmediate(resolve));
        claimed += claimFrom(k);
      }
      return claimed;
    },
    async queuedAfter(issuerId, afterSeq) {
      return queuedAfter.all(issuerId, afterSeq) as QueuedCredential[];
    },
    async content(seq) {
      return (content.get(seq) as string | null | undefined) ?? null;
    },
    async reindexQueued(seq, r) {
      return atomic(db, () => {
        if (reindex.run(r.statusIndex, r.digest, r.leaf, r.validFrom, r.validUntil, seq).changes !== 1) return false;
        resalt.run(r.salts, seq);
        return true;
      });
    },
    async erase(id, at) {
      return erase.run(at, id).changes === 1;
    },
    // One process serves a SQLite database: its in-memory allocator alone decides who holds an index.
    async reserveIndices(_issuerId, indices) {
      return new Set(indices);
    },
    async releaseIndices() {},
    async expireReservations() {
      return 0;
    },
  };
}

// The pipeline state as surfaces show it (credentialState(batchState(batch)) in the use cases).
const STATE_SQL = `CASE WHEN c.batch_id IS NULL THEN 'queued' WHEN b.failed_at IS NOT NULL THEN 'failed'
  WHEN b.state = 'built' THEN 'batched' WHEN b.state = 'sending' THEN 'anchoring' WHEN b.state = 'mined' THEN 'anchored' ELSE b.state END`;

/**
 * The credential-id MAC repository over `db`.
 *
 * @example
 * const known = await sqliteCredentialIds(db).known(1, [mac]); // Map { "ab12…" => { id, statusIndex: 7, state: "anchored" } }
 */
export function sqliteCredentialIds(db: Db): CredentialIdRepository {
  const known = db.prepare(
    `SELECT c.id AS id, c.status_index AS statusIndex, ${STATE_SQL} AS state
       FROM credential_id_macs m JOIN credentials c ON c.id = m.credential_id LEFT JOIN batches b ON b.id = c.batch_id
      WHERE m.issuer_id = ? AND m.id_mac = ?`,
  );
  const remember = db.prepare("INSERT INTO credential_id_macs (issuer_id, id_mac, credential_id) VALUES (?, ?, ?)");
  return {
    async known(issuerId, macs) {
      const found = new Map<string, KnownCredential>();
      for (const mac of macs) {
        const row = known.get(issuerId, mac) as KnownCredential | undefined;
        if (row) found.set(mac.toString("hex"), row);
      }
      return found;
    },
    async remember(issuerId, entries) {
      atomic(db, () => {
        for (const e of entries) remember.run(issuerId, e.mac, e.credentialId);
      });
    },
  };
}

/**
 * The signed-credential repository over `db`.
 *
 * @example
 * await sqliteSignedCredentials(db).insert({ credentialId, vcIdMac, proof: JSON.stringify(proof) });
 */
export function sqliteSignedCredentials(db: Db): SignedCredentialRepository {
  const insert = db.prepare("INSERT INTO signed_credentials (credential_id, vc_id_mac, proof) VALUES (?, ?, ?)");
  const byId = db.prepare(
    "SELECT s.credential_id, c.issuer_id, s.proof, c.seq FROM signed_credentials s JOIN credentials c ON c.id = s.credential_id WHERE s.credential_id = ?",
  );
  const byMac = db.prepare(
    "SELECT s.credential_id, c.issuer_id, s.proof, c.seq FROM signed_credentials s JOIN credentials c ON c.id = s.credential_id WHERE s.vc_id_mac = ?",
  );
  const legacy = db.prepare("SELECT l.credential_id, l.vc_id, c.issuer_id FROM legacy_vc_ids l JOIN credentials c ON c.id = l.credential_id");
  const seal = db.prepare("UPDATE signed_credentials SET vc_id_mac = ? WHERE credential_id = ?");
  const forget = db.prepare("DELETE FROM legacy_vc_ids WHERE credential_id = ?");
  return {
    async insert(row) {
      insert.run(row.credentialId, row.vcIdMac, row.proof);
    },
    async find(credentialId, vcIdMacs) {
      const rows = new Map<string, SignedCredentialRow & { seq: number }>();
      for (const row of [byId.get(credentialId), ...vcIdMacs.map((mac) => byMac.all(mac)).flat()] as ((SignedCredentialRow & { seq: number }) | undefined)[]) {
        if (row) rows.set(row.credential_id, row);
      }
      return [...rows.values()].sort((a, b) => b.seq - a.seq).map(({ credential_id, issuer_id, proof }) => ({ credential_id, issuer_id, proof }));
    },
    async sealLegacyVcIds(mac) {
      return atomic(db, () => {
        const rows = legacy.all() as { credential_id: string; vc_id: string; issuer_id: number }[];
        for (const r of rows) {
          seal.run(mac(r.issuer_id, r.vc_id), r.credential_id);
          forget.run(r.credential_id);
        }
        return rows.length;
      });
    },
  };
}
