// The PostgreSQL schema: the same tables and columns as SQLite's, migrations recorded once and
// safe when several replicas start together, and a database from before migration 6 moving its texts.
import { expect } from "chai";
import pg from "pg";
import { migratePostgres, POSTGRES_MIGRATIONS } from "../../src/store/postgres/migrations.ts";
import { openPostgresStore } from "../../src/store/postgres/store.ts";
import { openDatabase } from "../../src/store/sqlite/database.ts";
import { sharedPostgres } from "../helpers/postgres.ts";

/** SQLite tables PostgreSQL has no need for: ids kept in clear before SQLite's migration 6. */
const SQLITE_ONLY = new Set(["legacy_vc_ids"]);
/** PostgreSQL columns SQLite has implicitly (a rowid: the order attempts were stored in), and the reservations between replicas (one process serves SQLite). */
const POSTGRES_ONLY = new Set(["tx_attempts.seq", ...["issuer_id", "status_index", "reserved_at"].map((c) => `status_index_reservations.${c}`)]);

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function sqliteColumns(): Map<string, string[]> {
  const db = openDatabase(":memory:");
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    return new Map(tables.filter((t) => !SQLITE_ONLY.has(t)).map((t) => [t, (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]).sort()]));
  } finally {
    db.close();
  }
}

async function postgresColumns(client: pg.Client): Promise<Map<string, string[]>> {
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'",
  );
  const tables = new Map<string, string[]>();
  for (const r of rows) {
    if (!POSTGRES_ONLY.has(`${r.table_name}.${r.column_name}`)) tables.set(r.table_name, [...(tables.get(r.table_name) ?? []), r.column_name]);
  }
  for (const columns of tables.values()) columns.sort();
  return tables;
}

describe("PostgreSQL schema and migrations", function () {
  this.timeout(120_000);

  it("default: every SQLite table and column exists in PostgreSQL, and no other", async function () {
    const url = await (await sharedPostgres()).createDatabase();
    await withClient(url, async (client) => {
      await migratePostgres(client);
      const postgres = await postgresColumns(client);
      const sqlite = sqliteColumns();
      expect(Object.fromEntries([...postgres].sort())).to.deep.equal(Object.fromEntries([...sqlite].sort()));
    });
  });

  it("behavior: replicas migrating at the same time apply each migration once", async function () {
    const url = await (await sharedPostgres()).createDatabase();
    await Promise.all([1, 2, 3].map(() => withClient(url, (client) => migratePostgres(client))));
    await withClient(url, async (client) => {
      await migratePostgres(client); // and again later: nothing to do
      const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
      expect(rows.map((r) => r.version)).to.deep.equal(POSTGRES_MIGRATIONS.map((_, k) => k + 1));
    });
  });

  it("behavior: erasing a credential deletes its text, id MACs and signed-credential row in the same statement", async function () {
    const url = await (await sharedPostgres()).createDatabase();
    await withClient(url, async (client) => {
      await migratePostgres(client);
      await client.query("INSERT INTO issuers (id, signer, list_size, created_at) VALUES (1, '0xabc', 16, 0)");
      await client.query(
        `INSERT INTO credentials (seq, id, issuer_id, status_index, digest, leaf, valid_from, valid_until, created_at)
         VALUES (1, 'c1', 1, 0, '\\x01', '\\x02', 0, 0, 0), (2, 'c2', 1, 1, '\\x03', '\\x04', 0, 0, 0)`,
      );
      await client.query("INSERT INTO credential_texts (seq, content, salts) VALUES (1, '{}', '\\x00'), (2, '{}', '\\x00')");
      await client.query("INSERT INTO credential_id_macs (issuer_id, id_mac, credential_id) VALUES (1, '\\xaa', 'c1'), (1, '\\xbb', 'c2')");
      await client.query("INSERT INTO signed_credentials (credential_id, vc_id_mac, proof) VALUES ('c1', '\\xcc', '{}'), ('c2', '\\xdd', '{}')");
      await client.query("UPDATE credentials SET erased_at = 5 WHERE id = 'c1'");
      expect((await client.query("SELECT seq FROM credential_texts")).rows).to.deep.equal([{ seq: "2" }]);
      expect((await client.query("SELECT credential_id FROM credential_id_macs")).rows).to.deep.equal([{ credential_id: "c2" }]);
      expect((await client.query("SELECT credential_id FROM signed_credentials")).rows).to.deep.equal([{ credential_id: "c2" }]);
    });
  });

  it("behavior: a database at migration 5 opens with its credential texts moved to their own table, readable, re-indexable and erasable", async function () {
    const url = await (await sharedPostgres()).createDatabase();
    await withClient(url, async (client) => {
      await client.query("CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)");
      for (let version = 1; version <= 5; version++) {
        await client.query(POSTGRES_MIGRATIONS[version - 1]!);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)", [version]);
      }
      await client.query("INSERT INTO issuers (id, signer, list_size, created_at) VALUES (1, '0xabc', 16, 0)");
      await client.query(
        `INSERT INTO credentials (id, issuer_id, status_index, content, salts, digest, leaf, valid_from, valid_until, created_at, erased_at)
         VALUES ('kept', 1, 0, '{"name":"kept"}', '\\x0101', '\\x01', '\\x02', 0, 0, 0, NULL), ('gone', 1, 1, NULL, NULL, '\\x03', '\\x04', 0, 0, 0, 5)`,
      );
    });
    const store = await openPostgresStore(url);
    try {
      const kept = (await store.credentials.get("kept"))!;
      expect({ content: kept.content, salts: kept.salts }).to.deep.equal({ content: '{"name":"kept"}', salts: Buffer.from([1, 1]) });
      expect((await store.credentials.getAnchored("kept"))!.content).to.equal('{"name":"kept"}');
      const gone = (await store.credentials.get("gone"))!;
      expect({ content: gone.content, salts: gone.salts }).to.deep.equal({ content: null, salts: null });
      const moved = { statusIndex: 9, salts: Buffer.from([9]), digest: Buffer.from([9]), leaf: Buffer.from([8]), validFrom: 0, validUntil: 0 };
      expect(await store.credentials.reindexQueued(kept.seq, moved)).to.equal(true);
      expect((await store.credentials.get("kept"))!).to.include({ status_index: 9 }).and.to.have.deep.property("salts", Buffer.from([9]));
      expect(await store.credentials.erase("kept", 6)).to.equal(true);
      expect(await store.credentials.content(kept.seq)).to.equal(null);
      expect(await withClient(url, async (client) => (await client.query("SELECT count(*)::int AS n FROM credential_texts")).rows[0].n)).to.equal(0);
    } finally {
      await store.close();
    }
  });
});
