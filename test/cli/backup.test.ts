// `credanchor backup`: a consistent copy of a database another process holds open and writes (WAL), mode 0600, never overwriting (issue 14, F9).
import { expect } from "chai";
import Database from "better-sqlite3";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createApiKey } from "../../src/issuer/api-keys.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/store.ts";
import { CLI } from "../helpers/server-process.ts";

const exec = promisify(execFile);

describe("credanchor backup", function () {
  this.timeout(60_000);
  let dataDir: string;
  let store: SqliteStore;

  before(async function () {
    dataDir = mkdtempSync(join(tmpdir(), "credanchor-backup-"));
    // Held open like the running service holds it; its writes sit in the WAL, not yet checkpointed.
    store = openSqliteStore(join(dataDir, "credanchor.db"));
    store.db.pragma("wal_autocheckpoint = 0");
    await store.meta.set("registry", "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    for (let i = 0; i < 50; i++) await createApiKey(store.apiKeys, null, `key ${i}`);
  });

  after(async function () {
    await store?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const backup = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [CLI, "backup", ...args, "--data-dir", dataDir]);
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it("default: copies everything committed, WAL included, while the database is open; mode 0600", async function () {
    const file = join(dataDir, "backup-1.db");
    const { code, stdout, stderr } = await backup(file);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.include("mode 0600");
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const copy = new Database(file, { readonly: true });
    try {
      expect(copy.pragma("integrity_check", { simple: true })).to.equal("ok");
      expect(copy.prepare("SELECT count(*) FROM api_keys").pluck().get()).to.equal(50);
      expect(copy.prepare("SELECT value FROM meta WHERE key = 'registry'").pluck().get()).to.equal("0x5FbDB2315678afecb367f032d93F642f64180aa3");
      expect(copy.pragma("user_version", { simple: true })).to.equal(store.db.pragma("user_version", { simple: true }));
    } finally {
      copy.close();
    }
  });

  it("error: never overwrites; a data directory without a database is named", async function () {
    const file = join(dataDir, "backup-2.db");
    expect((await backup(file)).code).to.equal(0);
    const again = await backup(file);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include("exists");
    const empty = mkdtempSync(join(tmpdir(), "credanchor-backup-empty-"));
    try {
      const { code, stderr } = await exec(process.execPath, [CLI, "backup", join(empty, "x.db"), "--data-dir", empty]).then(
        () => ({ code: 0, stderr: "" }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(code).to.equal(1);
      expect(stderr).to.include("no database");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
