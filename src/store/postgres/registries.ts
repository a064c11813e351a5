// PostgreSQL repository of registry upgrades and restore reconciliation (issue 14, F9 and F11), as SQLite's.
import type { BatchRow, RegistryRepository, RegistryRow } from "../types.ts";
import { asBuffer, type Sql } from "./sql.ts";

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

/**
 * The registry repository over `sql`. `insertReconciled` writes several rows: call it inside
 * `transaction()` (the use cases do) so they commit together.
 *
 * @example
 * await postgresRegistries(sql).upgrade({ from: "0x5fbd…", to: "0xcf7e…", at: Date.now() });
 */
export function postgresRegistries(sql: Sql): RegistryRepository {
  return {
    async history() {
      return (await sql<RegistryRow>("SELECT address, since, until FROM registries ORDER BY since, address")).rows;
    },
    async upgrade(u) {
      const from = u.from.toLowerCase();
      const to = u.to.toLowerCase();
      await sql(
        `WITH b AS (UPDATE batches SET registry = $1 WHERE registry IS NULL),
              t AS (UPDATE chain_txs SET target = $1 WHERE target IS NULL),
              f AS (INSERT INTO registries (address, since, until) VALUES ($1, 0, $3) ON CONFLICT (address) DO UPDATE SET until = excluded.until)
         INSERT INTO registries (address, since, until) VALUES ($2, $3, NULL) ON CONFLICT (address) DO UPDATE SET since = excluded.since, until = NULL`,
        [from, to, u.at],
      );
    },
    async registriesOf(issuerId, indices) {
      const { rows } = await sql<{ i: number; r: string | null }>(
        "SELECT c.status_index AS i, b.registry AS r FROM credentials c JOIN batches b ON b.id = c.batch_id WHERE c.issuer_id = $1 AND c.status_index = ANY($2::bigint[])",
        [issuerId, indices],
      );
      return new Map(rows.map((row) => [row.i, row.r]));
    },
    async knownRoots(issuerId, roots) {
      const { rows } = await sql<{ root: Buffer }>("SELECT root FROM batches WHERE issuer_id = $1 AND root = ANY($2::bytea[])", [issuerId, roots.map(asBuffer)]);
      return new Set(rows.map((row) => hex(row.root)));
    },
    async insertReconciled(a) {
      const current = (await sql<{ value: string }>("SELECT value FROM meta WHERE key = 'registry'")).rows[0]?.value ?? "";
      // The registry column stays NULL while the anchor is on the current registry (NULL's meaning).
      const registry = a.registry.toLowerCase() === current.toLowerCase() ? null : a.registry.toLowerCase();
      const minedAt = a.blockTime * 1000;
      const batchId = (
        await sql<{ id: number }>(
          "INSERT INTO batches (issuer_id, root, size, state, created_at, mined_at, confirmed_at, registry, reconciled) VALUES ($1, $2, 0, 'confirmed', $3, $4, $4, $5, 1) RETURNING id",
          [a.issuerId, asBuffer(a.root), a.at, minedAt, registry],
        )
      ).rows[0]!.id;
      const txId = (
        await sql<{ id: number }>(
          `INSERT INTO chain_txs (signer, kind, ref_id, data, state, tx_hash, block_number, block_hash, block_time, created_at, updated_at, target, outcome)
           VALUES ($1, 'anchor', $2, $3, 'confirmed', $4, $5, $6, $7, $8, $8, $9, 'done') RETURNING id`,
          [a.signer.toLowerCase(), batchId, a.data, a.txHash, a.blockNumber, a.blockHash, a.blockTime, a.at, registry],
        )
      ).rows[0]!.id;
      await sql("UPDATE batches SET tx_id = $1 WHERE id = $2", [txId, batchId]);
      return batchId;
    },
    async reconciledRegistry(issuerId) {
      const { rows } = await sql<{ registry: string | null }>("SELECT registry FROM batches WHERE issuer_id = $1 AND reconciled = 1 ORDER BY id DESC LIMIT 1", [issuerId]);
      return rows[0]?.registry;
    },
    async indexFloor(issuerId) {
      return (await sql<{ index_floor: number }>("SELECT index_floor FROM issuers WHERE id = $1", [issuerId])).rows[0]?.index_floor ?? 0;
    },
    async raiseIndexFloor(issuerId, value) {
      await sql("UPDATE issuers SET index_floor = $1 WHERE id = $2 AND index_floor < $1", [value, issuerId]);
    },
    async reconciledBatch(issuerId, root) {
      return (await sql<BatchRow>("SELECT * FROM batches WHERE issuer_id = $1 AND root = $2 AND reconciled = 1", [issuerId, asBuffer(root)])).rows[0];
    },
    async adopt(batchId, size) {
      await sql("UPDATE batches SET size = $1, reconciled = 0 WHERE id = $2 AND reconciled = 1", [size, batchId]);
    },
    async issuerIds() {
      return (await sql<{ id: number }>("SELECT id FROM issuers ORDER BY id")).rows.map((row) => row.id);
    },
  };
}
