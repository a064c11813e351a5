// `credanchor keys` on a PostgreSQL deployment: with DATABASE_URL the keys land in (and are read
// from) the shared database every replica authenticates against, not a local SQLite file.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { authenticateApiKey } from "../../src/issuer/api-keys.ts";
import { openPostgresStore } from "../../src/store/postgres/store.ts";
import { sharedPostgres } from "../helpers/postgres.ts";
import { CLI } from "../helpers/server-process.ts";

const exec = promisify(execFile);

describe("credanchor keys with DATABASE_URL", function () {
  this.timeout(120_000);

  it("behavior: an operator key created by the CLI is stored in PostgreSQL and listed from there", async function () {
    const url = await (await sharedPostgres()).createDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), "credanchor-keys-"));
    try {
      const env = { ...process.env, DATABASE_URL: url, DATA_DIR: dataDir };
      const created = await exec(process.execPath, [CLI, "keys", "create", "--admin", "--label", "ops"], { env });
      const token = created.stdout.split("\n")[1]!.trim(); // the line after "key <id> for the operator:"
      const listed = await exec(process.execPath, [CLI, "keys", "list", "--json"], { env });
      expect(JSON.parse(listed.stdout)).to.have.length(1);
      expect(existsSync(join(dataDir, "credanchor.db")), "no SQLite file").to.equal(false);
      const store = await openPostgresStore(url);
      try {
        expect(await store.apiKeys.hasActiveAdmin(Date.now())).to.equal(true);
        expect(await authenticateApiKey(store.apiKeys, token)).to.not.equal(undefined);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
