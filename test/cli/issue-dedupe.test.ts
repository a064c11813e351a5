// `credanchor issue` re-runs against the real service process (issue 14, F3): the same credentials in other chunk sizes and order issue nothing new; an added file issues only itself; erasure forgets the id.
import { expect } from "chai";
import Database from "better-sqlite3";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sampleBadge } from "../core/helpers.ts";
import { CLI, createKeyIn, startServerProcess, type ServerProcess } from "../helpers/server-process.ts";
import { sharedChain, type Chain } from "../helpers/stack.ts";

const exec = promisify(execFile);

describe("credanchor issue: re-runs deduplicated by the credential's own id (real service process)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let server: ServerProcess;
  let dataDir: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const ids = Array.from({ length: 5 }, (_, i) => `urn:uuid:00000000-0000-4000-8000-00000000000${i}`);

  before(async function () {
    chain = await sharedChain();
    dataDir = mkdtempSync(join(tmpdir(), "credanchor-dedupe-data-"));
    dir = mkdtempSync(join(tmpdir(), "credanchor-dedupe-files-"));
    server = await startServerProcess({ rpcUrl: chain.url, registry: chain.registry, dataDir });
    env = { ...process.env, CREDANCHOR_URL: server.url, CREDANCHOR_API_KEY: await createKeyIn(dataDir, 1) };
    mkdirSync(join(dir, "cohort"));
    ids.forEach((id, i) => writeFileSync(join(dir, "cohort", `c${i}.json`), JSON.stringify({ ...sampleBadge(), id })));
  });

  after(async function () {
    await server?.kill("SIGTERM");
    for (const d of [dataDir, dir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const issue = async (...args: string[]) => {
    const { stdout, stderr } = await exec(process.execPath, [CLI, "issue", ...args, "--json"], { env });
    return { items: JSON.parse(stdout) as { id: string; source: string; duplicate?: true }[], stderr };
  };
  const count = (sql: string) => {
    const db = new Database(join(dataDir, "credanchor.db"), { readonly: true });
    try {
      return db.prepare(sql).pluck().get() as number;
    } finally {
      db.close();
    }
  };

  it("default: a re-run in other chunk sizes and order issues nothing; an added file issues only itself", async function () {
    const first = await issue(join(dir, "cohort"), "--chunk", "2");
    expect(first.items.filter((c) => c.duplicate)).to.have.length(0);
    const issued = new Map(first.items.map((c) => [c.source, c.id]));
    expect(count("SELECT count(*) FROM credentials")).to.equal(5);

    // Other chunk size, reversed order, through a list file.
    const list = join(dir, "list.txt");
    writeFileSync(list, ids.map((_, i) => join(dir, "cohort", `c${i}.json`)).reverse().join("\n"));
    const again = await issue("--list", list, "--chunk", "3");
    expect(again.items).to.have.length(5);
    for (const c of again.items) expect(c, c.source).to.include({ duplicate: true, id: issued.get(c.source) });
    expect(again.stderr).to.include("skipped 5 of 5");
    expect(count("SELECT count(*) FROM credentials")).to.equal(5);

    // One new file beside the cohort: only it is issued.
    writeFileSync(join(dir, "cohort", "c9.json"), JSON.stringify({ ...sampleBadge(), id: "urn:uuid:00000000-0000-4000-8000-000000000009" }));
    const added = await issue(join(dir, "cohort"), "--chunk", "4");
    expect(added.items.filter((c) => !c.duplicate).map((c) => c.source)).to.deep.equal([join(dir, "cohort", "c9.json")]);
    expect(added.stderr).to.include("skipped 5 of 6").and.include("1 new");
    expect(count("SELECT count(*) FROM credentials")).to.equal(6);
  });

  it("behavior: with --wait --out, a skipped input's manifest entry names the bundle of the credential it repeats", async function () {
    const out = join(dir, "bundles");
    const { stdout, stderr } = await exec(process.execPath, [CLI, "issue", join(dir, "cohort", "c3.json"), join(dir, "cohort", "c1.json"), "--wait", "--out", out], { env });
    expect(stderr).to.include("skipped 2 of 2");
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { credentials: { id: string; bundle?: string; duplicate?: true }[] };
    for (const c of manifest.credentials) expect(c).to.include({ duplicate: true, bundle: `${c.id}.json` });
    expect(stdout).to.include("(skipped: its credential id was issued before)");
  });

  it("behavior: the same id twice in one request is issued once; credentials without an id are always new", async function () {
    const file = join(dir, "twice.json");
    const id = "urn:uuid:00000000-0000-4000-8000-0000000000aa";
    const noId = () => {
      const badge = sampleBadge();
      delete badge.id;
      return badge;
    };
    writeFileSync(file, JSON.stringify([{ ...sampleBadge(), id }, { ...sampleBadge(), id }, noId(), noId()]));
    const { items } = await issue(file);
    expect(items[1]).to.include({ duplicate: true, id: items[0]!.id });
    expect(items[0]!.duplicate).to.equal(undefined);
    expect(items[2]!.duplicate).to.equal(undefined);
    expect(items[3]!.duplicate).to.equal(undefined);
    expect(new Set(items.map((c) => c.id)).size).to.equal(3);
  });

  it("privacy: only a keyed MAC of the id is stored, never the id; erasure removes it (a re-submission is then new)", async function () {
    const raw = readFileSync(join(dataDir, "credanchor.db"));
    const macs = count("SELECT count(*) FROM credential_id_macs");
    expect(macs).to.equal(7);
    const db = new Database(join(dataDir, "credanchor.db"), { readonly: true });
    const rows = db.prepare("SELECT id_mac FROM credential_id_macs").pluck().all() as Buffer[];
    db.close();
    for (const mac of rows) expect(mac.length).to.equal(32);
    expect(raw.includes(Buffer.from("credanchor credential id"))).to.equal(false);

    const { items } = await issue(join(dir, "cohort", "c0.json"));
    const credentialId = items[0]!.id;
    const admin = await createKeyIn(dataDir, null);
    const erased = await fetch(`${server.url}/v1/credentials/${credentialId}`, { method: "DELETE", headers: { authorization: `Bearer ${admin}` } });
    expect(erased.status).to.equal(200);
    expect(count("SELECT count(*) FROM credential_id_macs")).to.equal(6);
    // Straight to the API: the CLI's content-derived Idempotency-Key of that request is refused after an erasure.
    const body = JSON.stringify({ credentials: [JSON.parse(readFileSync(join(dir, "cohort", "c0.json"), "utf8"))] });
    const headers = { authorization: `Bearer ${env.CREDANCHOR_API_KEY}`, "content-type": "application/json" };
    const resubmitted = await (await fetch(`${server.url}/v1/credentials`, { method: "POST", headers, body })).json();
    expect(resubmitted.credentials[0].duplicate).to.equal(undefined);
    expect(resubmitted.credentials[0].id).to.not.equal(credentialId);
  });
});
