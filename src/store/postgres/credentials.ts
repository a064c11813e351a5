// PostgreSQL repositories of accepted credentials, their id MACs and their signed proofs. Bulk
// calls are one statement each (arrays through unnest / ANY), so each is atomic on its own.
import type { StatusAction } from "../../issuer/types.ts";
import type { NewCredential, CredentialIdRepository, CredentialRepository, CredentialRow, KnownCredential, QueuedCredential, SignedCredentialRepository, SignedCredentialRow } from "../types.ts";
import { ANCHOR_COLUMNS, splitAnchor, type JoinedAnchorRow } from "../anchor-row.ts";
import { StatusIndexTakenError } from "../errors.ts";
import { asBuffer, type Sql } from "./sql.ts";

/** A credential's text columns, from `credential_texts x` (NULL once erased). */
const TEXT_COLUMNS = "x.content AS content, x.salts AS salts";

/** The flag each status action sets. */
const STATUS_SET: Record<StatusAction, string> = { revoke: "revoked = 1", suspend: "suspended = 1", reinstate: "suspended = 0" };

/**
 * The credentials repository over `sql`.
 *
 * @example
 * await postgresCredentials(sql).insertMany([{ id, issuerId: 1, statusIndex: 7, …prepared, createdAt: Date.now() }]);
 */
export function postgresCredentials(sql: Sql): CredentialRepository {
  return {
    async insertMany(rows) {
      if (rows.length === 0) return;
      await insertCredentials(sql, rows).catch((error: { code?: string; constraint?: string }) => {
        throw error?.code === "23505" && error.constraint === "credentials_issuer_id_status_index_key" ? new StatusIndexTakenError(error) : error;
      });
    },
    async get(id) {
      return (await sql<CredentialRow>(`SELECT c.*, ${TEXT_COLUMNS} FROM credentials c LEFT JOIN credential_texts x ON x.seq = c.seq WHERE c.id = $1`, [id])).rows[0];
    },
    async getAnchored(id) {
      const { rows } = await sql<JoinedAnchorRow>(
        `SELECT c.*, ${TEXT_COLUMNS}, ${ANCHOR_COLUMNS}
           FROM credentials c LEFT JOIN credential_texts x ON x.seq = c.seq LEFT JOIN batches b ON b.id = c.batch_id LEFT JOIN chain_txs t ON t.id = b.tx_id
          WHERE c.id = $1`,
        [id],
      );
      return rows[0] && splitAnchor(rows[0]);
    },
    async locate(ids) {
      const { rows } = await sql<{ id: string; issuer_id: number; status_index: number }>("SELECT id, issuer_id, status_index FROM credentials WHERE id = ANY($1::text[])", [ids]);
      return new Map(rows.map((r) => [r.id, { issuerId: r.issuer_id, statusIndex: r.status_index }]));
    },
    async heldIndices(issuerId, indices) {
      const { rows } = await sql<{ status_index: number }>("SELECT status_index FROM credentials WHERE issuer_id = $1 AND status_index = ANY($2::bigint[])", [issuerId, indices]);
      return new Set(rows.map((r) => r.status_index));
    },
    async allIndices(issuerId) {
      return (await sql<{ status_index: number }>("SELECT status_index FROM credentials WHERE issuer_id = $1", [issuerId])).rows.map((r) => r.status_index);
    },
    async statuses(issuerId, indices) {
      const { rows } = await sql<{ status_index: number; revoked: number; suspended: number; root_revoked: number }>(
        `SELECT c.status_index, c.revoked, c.suspended, coalesce(b.root_revoked, 0) AS root_revoked
           FROM credentials c LEFT JOIN batches b ON b.id = c.batch_id WHERE c.issuer_id = $1 AND c.status_index = ANY($2::bigint[])`,
        [issuerId, indices],
      );
      return new Map(rows.map((r) => [r.status_index, { revoked: r.revoked === 1 || r.root_revoked === 1, suspended: r.suspended === 1 }]));
    },
    async applyStatus(issuerId, action, indices) {
      await sql(`UPDATE credentials SET ${STATUS_SET[action]} WHERE issuer_id = $1 AND status_index = ANY($2::bigint[])`, [issuerId, indices]);
    },
    async queueDepths() {
      const { rows } = await sql<{ issuer_id: number; n: number }>("SELECT issuer_id, count(*) AS n FROM credentials WHERE batch_id IS NULL GROUP BY issuer_id");
      return new Map(rows.map((r) => [r.issuer_id, r.n]));
    },
    async oldestQueuedAt(issuerId) {
      return (await sql<{ created_at: number }>("SELECT created_at FROM credentials WHERE issuer_id = $1 AND batch_id IS NULL ORDER BY seq LIMIT 1", [issuerId])).rows[0]?.created_at;
    },
    async nextForBatch(issuerId, limit) {
      return (await sql<{ seq: number; digest: Buffer }>("SELECT seq, digest FROM credentials WHERE issuer_id = $1 AND batch_id IS NULL ORDER BY seq LIMIT $2", [issuerId, limit])).rows;
    },
    async claimForBatch(batchId, seqs) {
      if (seqs.length === 0) return 0;
      // Re-checked per row under its lock: a credential another transaction claimed first is not counted.
      const result = await sql(
        `UPDATE credentials c SET batch_id = $1, leaf_index = u.n - 1
           FROM unnest($2::bigint[]) WITH ORDINALITY AS u(seq, n)
          WHERE c.seq = u.seq AND c.batch_id IS NULL`,
        [batchId, seqs],
      );
      return result.rowCount ?? 0;
    },
    async queuedAfter(issuerId, afterSeq) {
      return (await sql<QueuedCredential>("SELECT seq, id, status_index FROM credentials WHERE issuer_id = $1 AND batch_id IS NULL AND seq > $2 ORDER BY seq", [issuerId, afterSeq])).rows;
    },
    async content(seq) {
      return (await sql<{ content: string }>("SELECT content FROM credential_texts WHERE seq = $1", [seq])).rows[0]?.content ?? null;
    },
    async reindexQueued(seq, r) {
      // One statement: the row and its text's salts change together (an erased row has no text to change).
      const { rows } = await sql<{ n: number }>(
        `WITH c AS (UPDATE credentials SET status_index = $1, digest = $3, leaf = $4, valid_from = $5, valid_until = $6 WHERE seq = $7 AND batch_id IS NULL RETURNING seq),
              x AS (UPDATE credential_texts SET salts = $2 FROM c WHERE credential_texts.seq = c.seq)
         SELECT count(*)::int AS n FROM c`,
        [r.statusIndex, asBuffer(r.salts), asBuffer(r.digest), asBuffer(r.leaf), r.validFrom, r.validUntil, seq],
      );
      return rows[0]!.n === 1;
    },
    async erase(id, at) {
      // The trigger of migrations 1 and 6 deletes the text, id MAC and signed-credential rows in the same statement.
      const result = await sql("UPDATE credentials SET erased_at = $1 WHERE id = $2 AND erased_at IS NULL", [at, id]);
      return result.rowCount === 1;
    },
    async reserveIndices(issuerId, indices, at) {
      if (indices.length === 0) return new Set();
      // A row another replica's statement inserted and has not committed makes this one wait, then
      // skip it; inserting in ascending order, two replicas' statements never wait on each other (deadlock).
      const { rows } = await sql<{ status_index: number }>(
        `INSERT INTO status_index_reservations (issuer_id, status_index, reserved_at)
         SELECT $1, u.i, $3 FROM unnest($2::bigint[]) AS u(i)
          WHERE NOT EXISTS (SELECT 1 FROM credentials c WHERE c.issuer_id = $1 AND c.status_index = u.i)
          ORDER BY u.i
         ON CONFLICT DO NOTHING RETURNING status_index`,
        [issuerId, indices, at],
      );
      return new Set(rows.map((r) => r.status_index));
    },
    async releaseIndices(issuerId, indices) {
      if (indices.length === 0) return;
      await sql("DELETE FROM status_index_reservations WHERE issuer_id = $1 AND status_index = ANY($2::bigint[])", [issuerId, indices]);
    },
    async expireReservations(heldBefore, before) {
      const result = await sql(
        `DELETE FROM status_index_reservations r
          WHERE r.reserved_at < $2
             OR (r.reserved_at < $1 AND EXISTS (SELECT 1 FROM credentials c WHERE c.issuer_id = r.issuer_id AND c.status_index = r.status_index))`,
        [heldBefore, before],
      );
      return result.rowCount ?? 0;
    },
  };
}

// The pipeline state as surfaces show it (credentialState(batchState(batch)) in the use cases).
const STATE_SQL = `CASE WHEN c.batch_id IS NULL THEN 'queued' WHEN b.failed_at IS NOT NULL THEN 'failed'
  WHEN b.state = 'built' THEN 'batched' WHEN b.state = 'sending' THEN 'anchoring' WHEN b.state = 'mined' THEN 'anchored' ELSE b.state END`;

/**
 * The credential-id MAC repository over `sql`.
 *
 * @example
 * const known = await postgresCredentialIds(sql).known(1, [mac]); // Map { "ab12…" => { id, statusIndex: 7, state: "anchored" } }
 */
export function postgresCredentialIds(sql: Sql): CredentialIdRepository {
  return {
    async known(issuerId, macs) {
      if (macs.length === 0) return new Map();
      const { rows } = await sql<KnownCredential & { mac: Buffer }>(
        `SELECT m.id_mac AS mac, c.id AS id, c.status_index AS "statusIndex", ${STATE_SQL} AS state
           FROM credential_id_macs m JOIN credentials c ON c.id = m.credential_id LEFT JOIN batches b ON b.id = c.batch_id
          WHERE m.issuer_id = $1 AND m.id_mac = ANY($2::bytea[])`,
        [issuerId, macs],
      );
      return new Map(rows.map(({ mac, ...known }) => [mac.toString("hex"), known]));
    },
    async remember(issuerId, entries) {
      if (entries.length === 0) return;
      await sql("INSERT INTO credential_id_macs (issuer_id, id_mac, credential_id) SELECT $1, * FROM unnest($2::bytea[], $3::text[])", [
        issuerId,
        entries.map((e) => e.mac),
        entries.map((e) => e.credentialId),
      ]);
    },
  };
}

/**
 * The signed-credential repository over `sql`.
 *
 * @example
 * await postgresSignedCredentials(sql).insert({ credentialId, vcIdMac, proof: JSON.stringify(proof) });
 */
export function postgresSignedCredentials(sql: Sql): SignedCredentialRepository {
  return {
    async insert(row) {
      await sql("INSERT INTO signed_credentials (credential_id, vc_id_mac, proof) VALUES ($1, $2, $3)", [row.credentialId, row.vcIdMac, row.proof]);
    },
    async find(credentialId, vcIdMacs) {
      const { rows } = await sql<SignedCredentialRow>(
        `SELECT s.credential_id, c.issuer_id, s.proof FROM signed_credentials s JOIN credentials c ON c.id = s.credential_id
          WHERE s.credential_id = $1 OR s.vc_id_mac = ANY($2::bytea[]) ORDER BY c.seq DESC`,
        [credentialId, vcIdMacs],
      );
      return rows;
    },
    async sealLegacyVcIds() {
      return 0; // PostgreSQL support began after VC ids became MACs: no id was ever stored in clear
    },
  };
}

/**
 * One statement for the whole call (all or nothing), rows and texts alike; WITH ORDINALITY …
 * ORDER BY: seq grows in the order given.
 */
function insertCredentials(sql: Sql, rows: readonly NewCredential[]) {
  return sql(
    `WITH r AS (
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bigint[], $9::bigint[], $10::bigint[])
              WITH ORDINALITY AS r(id, issuer_id, status_index, content, salts, digest, leaf, valid_from, valid_until, created_at, n)
     ), c AS (
       INSERT INTO credentials (id, issuer_id, status_index, digest, leaf, valid_from, valid_until, created_at)
       SELECT id, issuer_id, status_index, digest, leaf, valid_from, valid_until, created_at FROM r ORDER BY n
       RETURNING seq, id
     )
     INSERT INTO credential_texts (seq, content, salts) SELECT c.seq, r.content, r.salts FROM c JOIN r ON r.id = c.id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.issuerId),
      rows.map((r) => r.statusIndex),
      rows.map((r) => r.content),
      rows.map((r) => asBuffer(r.salts)),
      rows.map((r) => asBuffer(r.digest)),
      rows.map((r) => asBuffer(r.leaf)),
      rows.map((r) => r.validFrom),
      rows.map((r) => r.validUntil),
      rows.map((r) => r.createdAt),
    ],
  );
}
