// The test PostgreSQL server itself: it starts as the right user, hands out independent
// databases, and leaves nothing behind when stopped or when its test process dies.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startPostgres, type PostgresServer } from "../helpers/postgres.ts";

const HELPER = join(dirname(fileURLToPath(import.meta.url)), "..", "helpers", "postgres.ts");

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function refused(url: string): Promise<boolean> {
  return query(url, "SELECT 1").then(
    () => false,
    () => true,
  );
}

describe("test helper: a real PostgreSQL server", function () {
  this.timeout(120_000);
  let server: PostgresServer;

  before(async function () {
    server = await startPostgres();
  });
  after(async function () {
    await server?.stop();
  });

  it("default: serves PostgreSQL 15 or later on 127.0.0.1, with the socket in its temp dir", async function () {
    const [row] = await query<{ version: number; socket: string }>(server.url, "SELECT current_setting('server_version_num')::int AS version, current_setting('unix_socket_directories') AS socket");
    expect(row!.version).to.be.at.least(150000);
    expect(row!.socket).to.equal(server.dir);
    expect(server.dir.startsWith("/")).to.equal(true);
  });

  it("behavior: the server process runs as the postgres user when the tests run as root", async function () {
    const [row] = await query<{ owner: string }>(server.url, "SELECT pg_catalog.pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'template1'");
    expect(row!.owner).to.equal("postgres");
    const data = join(server.dir, "data");
    const { uid } = await import("node:fs").then((fs) => fs.statSync(data));
    if (process.getuid?.() === 0) expect(uid, "data directory owned by the postgres user").to.not.equal(0);
  });

  it("behavior: each createDatabase() is a separate, empty database", async function () {
    const a = await server.createDatabase();
    const b = await server.createDatabase();
    expect(a).to.not.equal(b);
    await query(a, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
    expect(await query(a, "SELECT x FROM t")).to.deep.equal([{ x: 1 }]);
    expect(await query(b, "SELECT to_regclass('t') AS t")).to.deep.equal([{ t: null }]);
  });

  it("behavior: stop() shuts the server down and removes its directory", async function () {
    const other = await startPostgres();
    expect(await refused(other.url)).to.equal(false);
    await other.stop();
    expect(existsSync(other.dir)).to.equal(false);
    expect(await refused(other.url)).to.equal(true);
  });

  it("behavior: a test process that dies with an error still stops its server and removes its directory", async function () {
    const script = `import { startPostgres } from ${JSON.stringify(HELPER)};
      const s = await startPostgres();
      console.log(JSON.stringify({ url: s.url, dir: s.dir }));
      throw new Error("a failing test");`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).to.not.equal(0);
    const { url, dir } = JSON.parse(out.trim().split("\n").at(-1)!) as { url: string; dir: string };
    expect(existsSync(dir), dir).to.equal(false);
    expect(await refused(url)).to.equal(true);
  });
});
