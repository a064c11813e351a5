// SQLite repository of registry upgrades and restore reconciliation (issue 14, F9 and F11).
import type { BatchRow, RegistryRepository, RegistryRow } from "../types.ts";
import type { Db } from "./database.ts";

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

/**
 * The registry repository over `db`.
 *
 * @example
 * await sqliteRegistries(db).upgrade({ from: "0x5fbd…", to: "0xcf7e…", at: Date.now() });
 */
export function sqliteRegistries(db: Db): RegistryRepository {
  const history = db.prepare("SELECT address, since, until FROM registries ORDER BY since, rowid");
  const upgrade = db.transaction((from: string, to: string, at: number) => {
    db.prepare("UPDATE batches SET registry = ? WHERE registry IS NULL").run(from);
    db.prepare("UPDATE chain_txs SET target = ? WHERE target IS NULL").run(from);
    db.prepare("INSERT INTO registries (address, since, until) VALUES (?, 0, ?) ON CONFLICT (address) DO UPDATE SET until = excluded.until").run(from, at);
    db.prepare("INSERT INTO registries (address, since, until) VALUES (?, ?, NULL) ON CONFLICT (address) DO UPDATE SET since = excluded.since, until = NULL").run(to, at);
  });
  const registryOf = db.prepare("SELECT c.status_index AS i, b.registry AS r FROM credentials c JOIN batches b ON b.id = c.batch_id WHERE c.issuer_id = ? AND c.status_index = ?");
  const knownRoot = db.prepare("SELECT 1 FROM batches WHERE issuer_id = ? AND root = ?").pluck();
  const insertBatch = db.prepare("INSERT INTO batches (issuer_id, root, size, state, created_at, mined_at, confirmed_at, registry, reconciled) VALUES (?, ?, 0, 'confirmed', ?, ?, ?, ?, 1)");
  const insertTx = db.prepare(
    `INSERT INTO chain_txs (signer, kind, ref_id, data, state, tx_hash, block_number, block_hash, block_time, created_at, updated_at, target, outcome)
     VALUES (?, 'anchor', ?, ?, 'confirmed', ?, ?, ?, ?, ?, ?, ?, 'done')`,
  );
  const setTx = db.prepare("UPDATE batches SET tx_id = ? WHERE id = ?");
  const current = db.prepare("SELECT value FROM meta WHERE key = 'registry'").pluck();
  const reconciledRegistry = db.prepare("SELECT registry FROM batches WHERE issuer_id = ? AND reconciled = 1 ORDER BY id DESC LIMIT 1");
  const floor = db.prepare("SELECT index_floor FROM issuers WHERE id = ?").pluck();
  const issuerIds = db.prepare("SELECT id FROM issuers ORDER BY id").pluck();
  const reconciledBatch = db.prepare("SELECT * FROM batches WHERE issuer_id = ? AND root = ? AND reconciled = 1");
  const adopt = db.prepare("UPDATE batches SET size = ?, reconciled = 0 WHERE id = ? AND reconciled = 1");
  const raise = db.prepare("UPDATE issuers SET index_floor = ? WHERE id = ? AND index_floor < ?");
  return {
    async history() {
      return history.all() as RegistryRow[];
    },
    async upgrade(u) {
      upgrade(u.from.toLowerCase(), u.to.toLowerCase(), u.at);
    },
    async registriesOf(issuerId, indices) {
      const out = new Map<number, string | null>();
      for (const index of indices) {
        const row = registryOf.get(issuerId, index) as { i: number; r: string | null } | undefined;
        if (row) out.set(row.i, row.r);
      }
      return out;
    },
    async knownRoots(issuerId, roots) {
      return new Set(roots.filter((root) => knownRoot.get(issuerId, Buffer.from(root)) !== undefined).map(hex));
    },
    async insertReconciled(a) {
      // The registry column stays NULL while the anchor is on the current registry (NULL's meaning).
      const registry = a.registry.toLowerCase() === String(current.get() ?? "").toLowerCase() ? null : a.registry.toLowerCase();
      const minedAt = a.blockTime * 1000;
      return db.transaction(() => {
        const batchId = Number(insertBatch.run(a.issuerId, Buffer.from(a.root), a.at, minedAt, minedAt, registry).lastInsertRowid);
        const txId = Number(insertTx.run(a.signer.toLowerCase(), batchId, a.data, a.txHash, a.blockNumber, a.blockHash, a.blockTime, a.at, a.at, registry).lastInsertRowid);
        setTx.run(txId, batchId);
        return batchId;
      })();
    },
    async reconciledRegistry(issuerId) {
      const row = reconciledRegistry.get(issuerId) as { registry: string | null } | undefined;
      return row?.registry;
    },
    async indexFloor(issuerId) {
      return (floor.get(issuerId) as number | undefined) ?? 0;
    },
    async raiseIndexFloor(issuerId, value) {
      raise.run(value, issuerId, value);
    },
    async issuerIds() {
      return issuerIds.all() as number[];
    },
    async reconciledBatch(issuerId, root) {
      return reconciledBatch.get(issuerId, Buffer.from(root)) as BatchRow | undefined;
    },
    async adopt(batchId, size) {
      adopt.run(size, batchId);
    },
  };
}
