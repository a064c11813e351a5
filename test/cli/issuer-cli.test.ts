// The issuer and operator commands against the real service process: issue (with --wait and
// bundles written), status, revoke, erase, keys, and the errors a user sees.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { JsonObject } from "../../src/core/json.ts";
import { API_KEY_CACHE_MS } from "../../src/issuer/use-cases/api-keys.ts";
import { sampleBadge } from "../core/helpers.ts";
import { CLI, createKeyIn, startServerProcess, type ServerProcess } from "../helpers/server-process.ts";
import { sharedChain, type Chain } from "../helpers/stack.ts";

const exec = promisify(execFile);

describe("credanchor issue / status / revoke / erase / keys (real service process)", function () {
  this.timeout(120_000);
  let chain: Chain;
  let server: ServerProcess;
  let dataDir: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    chain = await sharedChain();
    dataDir = mkdtempSync(join(tmpdir(), "credanchor-cli-data-"));
    dir = mkdtempSync(join(tmpdir(), "credanchor-cli-files-"));
    server = await startServerProcess({ rpcUrl: chain.url, registry: chain.registry, dataDir });
    const deployments = mkdtempSync(join(tmpdir(), "credanchor-cli-books-"));
    writeFileSync(
      join(deployments, "test.json"),
      JSON.stringify(chain.addressBook()),
    );
    env = { ...process.env, CREDANCHOR_URL: server.url, CREDANCHOR_API_KEY: await createKeyIn(dataDir, 1), RPC_URL: chain.url, DEPLOYMENTS_DIR: deployments, DATA_DIR: dataDir };
  });

  after(async function () {
    await server?.kill("SIGTERM");
    for (const d of [dataDir, dir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { env, maxBuffer: 16 << 20 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it("default: issue --wait --out writes verifiable bundles; re-running issues nothing twice; status, revoke, erase", async function () {
    const many = Array.from({ length: 2500 }, (_, k) => {
      const c = sampleBadge();
      ((c.credentialSubject as JsonObject).achievement as JsonObject).name = `CLI ${k}`;
      return c;
    });
    writeFileSync(join(dir, "many.json"), JSON.stringify(many.slice(0, 2499)));
    writeFileSync(join(dir, "one.json"), JSON.stringify(many[2499]));
    const out = join(dir, "bundles");
    const issued = await cli("issue", join(dir, "many.json"), join(dir, "one.json"), "--wait", "--out", out);
    expect(issued.code, issued.stderr).to.equal(0);
    const lines = issued.stdout.trim().split("\n").filter((l) => /status index/.test(l));
    expect(lines).to.have.length(2500);
    expect(issued.stderr).to.match(/submitted 2500\/2500 \(100%\)/);
    expect(issued.stderr).to.match(/anchored 2500\/2500/);
    expect(readdirSync(out).filter((f) => f !== "manifest.json")).to.have.length(2500);

    // Re-running the same command is safe: same ids (Idempotency-Key from the content).
    const again = await cli("issue", join(dir, "many.json"), join(dir, "one.json"));
    expect(again.stdout.trim().split("\n").filter((l) => /status index/.test(l))).to.deep.equal(lines);

    const id = lines[0]!.split(" ")[0]!;
    const bundleFile = join(out, `${id}.json`);
    const verified = await cli("verify", bundleFile);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);

    const status = await cli("status", id);
    expect(status.stdout).to.match(new RegExp(`^${id}: confirmed, batch \\d+, status index \\d+\\n  anchored in tx 0x[0-9a-f]{64}, block \\d+`));
    const batchId = /batch (\d+)/.exec(status.stdout)![1]!;
    const batch = await cli("status", "--batch", batchId);
    expect(batch.stdout).to.match(/gas \d+ \(\d+ per credential\), cost \d+ wei/);

    const revoked = await cli("revoke", id, "--reason", "4", "--wait");
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(revoked.stdout).to.match(/confirmed in tx 0x[0-9a-f]{64}/);
    const after = await cli("verify", bundleFile);
    expect(after.code).to.equal(1);
    expect(after.stdout).to.match(/✗ status\s+status index \d+ is revoked/);

    const erased = await cli("erase", id);
    expect(erased.stdout).to.match(new RegExp(`${id}: erased at \\d{4}-`));
    expect((await cli("status", id)).stdout).to.match(/erased/);
    expect((await cli("verify", bundleFile)).stdout).to.match(/✗ status/); // the holder's bundle still verifies cryptographically; only the status fails
  });

  it("behavior: a cohort from a directory of files, a list file and a CSV with a template; the manifest maps each input to its id and bundle", async function () {
    const cohort = join(dir, "cohort");
    mkdirSync(cohort);
    const files: string[] = [];
    for (let k = 0; k < 302; k++) {
      const c = sampleBadge();
      c.id = `urn:uuid:${randomUUID()}`;
      ((c.credentialSubject as JsonObject).achievement as JsonObject).name = `Dir ${k}`;
      const f = join(k < 300 ? cohort : dir, `student-${String(k).padStart(4, "0")}.json`);
      writeFileSync(f, JSON.stringify(c));
      files.push(f);
    }
    const template = sampleBadge();
    template.id = "urn:uuid:{{uuid}}";
    (template.credentialSubject as JsonObject).id = "{{learner}}";
    ((template.credentialSubject as JsonObject).achievement as JsonObject).name = "{{course}} {{year}}";
    writeFileSync(join(dir, "template.json"), JSON.stringify(template));
    // Distinct ids (a template literal): two rows with one credential id would be one credential.
    writeFileSync(join(dir, "cohort.csv"), `uuid,learner,course,year\n${randomUUID()},mailto:a@example.org,"Welding, advanced",2026\n${randomUUID()},mailto:b@example.org,Carpentry,2026\n`);
    writeFileSync(join(dir, "list.txt"), `${files[300]}\n${files[301]}\n`);
    const out = join(dir, "cohort-bundles");
    const issued = await cli("issue", cohort, join(dir, "cohort.csv"), "--list", join(dir, "list.txt"), "--template", join(dir, "template.json"), "--chunk", "120", "--wait", "--out", out);
    expect(issued.code, issued.stderr).to.equal(0);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { credentials: { id: string; statusIndex: number; source: string; bundle: string }[] };
    expect(manifest.credentials).to.have.length(304);
    expect(manifest.credentials.map((c) => c.source)).to.deep.equal([...files.slice(0, 300), `${join(dir, "cohort.csv")}: row 1`, `${join(dir, "cohort.csv")}: row 2`, files[300], files[301]]);
    for (const c of manifest.credentials) expect(readdirSync(out)).to.include(c.bundle);
    const csvRow = manifest.credentials[300]!;
    const bundle = JSON.parse(readFileSync(join(out, csvRow.bundle), "utf8")) as { credential: JsonObject };
    expect(bundle.credential.credentialSubject).to.deep.include({ id: "mailto:a@example.org" });
    expect(((bundle.credential.credentialSubject as JsonObject).achievement as JsonObject).name).to.equal("Welding, advanced 2026");
    const verified = await cli("verify", join(out, csvRow.bundle));
    expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
    expect(issued.stdout).to.include(`${csvRow.id}  status index ${csvRow.statusIndex}  ${join(dir, "cohort.csv")}: row 1`);
  });

  it("error: a bad third file: the first two stay accepted and are printed, the error names the file and field; --bundle takes one id", async function () {
    const good = [0, 1].map((k) => {
      const c = sampleBadge();
      c.id = `urn:uuid:${randomUUID()}`;
      ((c.credentialSubject as JsonObject).achievement as JsonObject).name = `Partial ${k}`;
      const f = join(dir, `partial-${k}.json`);
      writeFileSync(f, JSON.stringify(c));
      return f;
    });
    const bad = sampleBadge();
    bad.validFrom = "last Tuesday";
    const badFile = join(dir, "partial-2.json");
    writeFileSync(badFile, JSON.stringify(bad));
    const manifestFile = join(dir, "partial-manifest.json");
    const run = await cli("issue", ...good, badFile, "--chunk", "1", "--manifest", manifestFile);
    expect(run.code).to.equal(1);
    const ids = run.stdout.trim().split("\n").filter((l) => /status index/.test(l));
    expect(ids).to.have.length(2);
    expect(ids[1]).to.include(good[1]);
    expect(run.stderr).to.include(`${badFile} validFrom`);
    expect(run.stderr).to.match(/2 of 3 were accepted before the request with .*partial-2\.json/);
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { credentials: { id: string; source: string }[] };
    expect(manifest.credentials.map((c) => c.source)).to.deep.equal(good);

    const [a, b] = manifest.credentials.map((c) => c.id);
    const two = await cli("status", a!, b!, "--bundle", join(dir, "one-bundle.json"));
    expect(two.code).to.equal(2);
    expect(two.stderr).to.match(/--bundle writes one file/);
  });

  it("error: clear messages and exit codes: invalid credential, wrong key, unreachable service, bad flags", async function () {
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ type: ["VerifiableCredential"] }));
    // Independent runs side by side (each is a process start): the same checks, less waiting.
    const [bad, wrongKey, down, flags, help] = await Promise.all([
      cli("issue", join(dir, "bad.json")),
      cli("status", "00000000-0000-4000-8000-000000000000", "--api-key", "cak_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
      cli("status", "x", "--url", "http://127.0.0.1:9"),
      cli("issue", "--nope"),
      cli("revoke", "--help"),
    ]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/error: 1 problem|error: \d+ problems/);
    expect(bad.stderr).to.include(`${join(dir, "bad.json")} @context`);
    expect(wrongKey.code).to.equal(1);
    expect(wrongKey.stderr).to.match(/\[UNAUTHORIZED\]/);
    expect(down.code).to.equal(2);
    expect(down.stderr).to.match(/cannot reach the credanchor API at http:\/\/127\.0\.0\.1:9/);
    expect(flags.code).to.equal(2);
    expect(flags.stderr).to.match(/Unknown option '--nope'/);
    expect(help.stdout).to.match(/Usage: credanchor revoke/);
  });

  it("behavior: keys create/revoke work on the service's database", async function () {
    const created = await cli("keys", "create", "--issuer", "1", "--label", "ci");
    expect(created.code, created.stderr).to.equal(0);
    const token = /^(cak_\S+)$/m.exec(created.stdout)![1]!;
    const keyId = token.slice(4, 20);
    const [withKey, notServed] = await Promise.all([cli("status", "--batch", "1", "--api-key", token), cli("keys", "create", "--issuer", "77")]);
    expect(withKey.code, withKey.stderr).to.equal(0);
    expect((await cli("keys", "revoke", keyId)).stdout).to.match(/revoked/);
    // Revoked by another process (this CLI, on the database): the service may answer from its key
    // cache for API_KEY_CACHE_MS after its last read (docs/operations.md), never longer.
    await new Promise((r) => setTimeout(r, API_KEY_CACHE_MS + 50));
    expect((await cli("status", "--batch", "1", "--api-key", token)).stderr).to.match(/UNAUTHORIZED/);
    expect(notServed.stderr).to.match(/issuer 77 is not served/);
    expect(readFileSync(join(dataDir, "credanchor.db")).length).to.be.greaterThan(0);
  });

  it("behavior: keys create --expires, keys list (states, never secrets), scoped operator keys (issue 10, item 16)", async function () {
    const created = await cli("keys", "create", "--issuer", "1", "--label", "registrar", "--expires", "90d");
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.match(/for issuer 1, expires \d{4}-\d\d-\d\dT/);
    const token = /^(cak_\S+)$/m.exec(created.stdout)![1]!;
    const keyId = token.slice(4, 20);
    const listed = await cli("keys", "list", "--json");
    expect(listed.code, listed.stderr).to.equal(0);
    const keys = JSON.parse(listed.stdout) as { keyId: string; state: string; expiresAt?: string; label?: string }[];
    const mine = keys.find((k) => k.keyId === keyId)!;
    expect(mine).to.include({ state: "active", label: "registrar" });
    expect(Date.parse(mine.expiresAt!) - Date.now()).to.be.within(89 * 86_400_000, 91 * 86_400_000);
    expect(listed.stdout).not.to.include(token.slice(21));
    // The refusals and the scoped key do not depend on the revocation: they run beside it.
    const refusals = Promise.all([["--expires", "2001-01-01T00:00:00Z"], ["--expires", "soon"]].map((bad) => cli("keys", "create", "--issuer", "1", ...bad)));
    const issuersWithoutAdmin = cli("keys", "create", "--issuer", "1", "--issuers", "2");
    const [, scoped] = await Promise.all([cli("keys", "revoke", keyId), cli("keys", "create", "--admin", "--issuers", "2")]);
    expect((await cli("keys", "list")).stdout).to.match(new RegExp(`^${keyId}  revoked  issuer 1 .*"registrar"$`, "m"));
    for (const r of await refusals) {
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/--expires/);
    }
    // An operator key limited to issuer 2 sees issuer 1's batches as missing.
    expect(scoped.stdout).to.match(/for the operator \(issuers 2\)/);
    const scopedToken = /^(cak_\S+)$/m.exec(scoped.stdout)![1]!;
    expect((await cli("status", "--batch", "1", "--api-key", scopedToken)).stderr).to.match(/NOT_FOUND/);
    expect((await issuersWithoutAdmin).stderr).to.match(/--admin/);
  });
});
