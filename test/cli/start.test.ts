// `npm start` as a new user runs it: a chain, contracts, a demo issuer, the API; the printed curl
// works; Ctrl-C stops cleanly; a second start reuses the demo key and notices the fresh chain.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getFreePort } from "../../src/chain/local-node.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

async function npmStart(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [join(ROOT, "src", "cli", "start.ts")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const deadline = Date.now() + 90_000;
  while (!out.includes("Press Ctrl-C to stop")) {
    if (child.exitCode !== null) throw new Error(`npm start exited:\n${out}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => out, exited };
}

describe("npm start (the embedded default)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let deploymentsDir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;

  before(async function () {
    dataDir = mkdtempSync(join(tmpdir(), "credanchor-start-"));
    deploymentsDir = mkdtempSync(join(tmpdir(), "credanchor-start-books-"));
    port = await getFreePort();
    env = { ...process.env, DATA_DIR: dataDir, DEPLOYMENTS_DIR: deploymentsDir, PORT: String(port), CHAIN_PORT: String(await getFreePort()), BATCH_MAX_WAIT_SECONDS: "0.5" };
    delete env.RPC_URL;
  });
  after(function () {
    for (const d of [dataDir, deploymentsDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("default: prints URLs, the demo key and a curl that issues; the bundle appears; Ctrl-C stops cleanly", async function () {
    const first = await npmStart(env);
    const out = first.output();
    expect(out).to.include(`API              http://127.0.0.1:${port}/v1`);
    expect(out).to.include(`verifier page    http://127.0.0.1:${port}/verify`);
    expect(out).to.match(/chain\s+http:\/\/127\.0\.0\.1:\d+ \(chain 31337, started here\)/);
    const key = /Demo issuer 1 API key[^\n]*\n\s+(cak_\S+)/.exec(out)![1]!;
    expect(out).to.include(`curl -s http://127.0.0.1:${port}/v1/credentials -H 'Authorization: Bearer ${key}'`);
    expect(statSync(join(dataDir, "demo-keys.json")).mode & 0o777).to.equal(0o600);
    expect(readFileSync(join(deploymentsDir, "localhost.json"), "utf8")).to.include("CredentialRegistry");

    // The printed curl, as fetch.
    const body = readFileSync(join(ROOT, "examples", "issue-request.json"), "utf8");
    const issued = await fetch(`http://127.0.0.1:${port}/v1/credentials`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body });
    expect(issued.status).to.equal(202);
    const id = ((await issued.json()) as { credentials: { id: string }[] }).credentials[0]!.id;
    let status = 0;
    for (let k = 0; k < 100 && status !== 200; k++) {
      status = (await fetch(`http://127.0.0.1:${port}/v1/credentials/${id}/bundle`, { headers: { authorization: `Bearer ${key}` } })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).to.equal(200);
    expect((await fetch(`http://127.0.0.1:${port}/verify`)).status).to.equal(200);

    first.child.kill("SIGINT");
    expect(await first.exited).to.equal(0);
    expect(first.output()).to.match(/Stopping: finishing the current step[\s\S]*Stopped\./);
    const logs = readFileSync(join(dataDir, "credanchor.log"), "utf8");
    expect(logs).to.include('"msg":"credanchor started"');
    expect(logs).not.to.include(key.slice(21));

    // Again: the same demo key; the chain is new (in memory), so the old database is moved aside.
    const second = await npmStart(env);
    expect(second.output()).to.include(key);
    expect(second.output()).to.match(/The local chain started empty, so the previous database \(whose anchors are gone\) was moved to/);
    second.child.kill("SIGTERM");
    expect(await second.exited).to.equal(0);
  });

  it("error: a bad setting stops the start with a message that names it", async function () {
    const child = spawn(process.execPath, [join(ROOT, "src", "cli", "start.ts")], { cwd: ROOT, env: { ...env, PORT: "eighty" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).to.equal(1);
    expect(out).to.match(/credanchor cannot start: the configuration is invalid\n\s+port \(PORT\): /);
    expect(out).not.to.match(/at .*\.ts:\d+/);
  });
});
