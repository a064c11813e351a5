// `npm start` as a new user runs it: a chain, contracts, a demo issuer, the API; the printed curl
// works; Ctrl-C stops cleanly; the next start continues on the same chain (Anvil keeps its state):
// earlier bundles verify, queued work resumes; a chain killed with -9 is restarted and said so.
import { expect } from "chai";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
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

  const issue = (key: string) =>
    fetch(`http://127.0.0.1:${port}/v1/credentials`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: readFileSync(join(ROOT, "examples", "issue-request.json"), "utf8"),
    });
  /** The credential's bundle once anchored (polls). */
  const bundleOf = async (key: string, id: string): Promise<unknown> => {
    for (let k = 0; k < 300; k++) {
      const response = await fetch(`http://127.0.0.1:${port}/v1/credentials/${id}/bundle`, { headers: { authorization: `Bearer ${key}` } });
      if (response.status === 200) return response.json();
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no bundle for ${id} after 30 s`);
  };
  const verdictOf = async (bundle: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ bundle }) });
    return ((await response.json()) as { results: { verdict: string }[] }).results[0]!.verdict;
  };

  it("default: prints URLs, the demo key and a curl that issues; the bundle appears; Ctrl-C stops cleanly", async function () {
    const first = await npmStart(env);
    const out = first.output();
    expect(out).to.include(`API              http://127.0.0.1:${port}/v1`);
    expect(out).to.include(`verifier page    http://127.0.0.1:${port}/verify`);
    expect(out).to.match(/chain\s+http:\/\/127\.0\.0\.1:\d+ \(chain 31337, started here, state in .*chain-state\.json\)/);
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
    const bundle = await bundleOf(key, id);
    expect(await verdictOf(bundle)).to.equal("valid");
    expect((await fetch(`http://127.0.0.1:${port}/verify`)).status).to.equal(200);

    first.child.kill("SIGINT");
    expect(await first.exited).to.equal(0);
    expect(first.output()).to.match(/Stopping: finishing the current step[\s\S]*Stopped\./);
    const logs = readFileSync(join(dataDir, "credanchor.log"), "utf8");
    expect(logs).to.include('"msg":"credanchor started"');
    expect(logs).not.to.include(key.slice(21));

    // Again, with batches held back: the same chain (nothing moved aside, no redeployment), the
    // earlier bundle still verifies, and a credential accepted now stays queued when we stop.
    const book = readFileSync(join(deploymentsDir, "localhost.json"), "utf8");
    const second = await npmStart({ ...env, BATCH_MAX_WAIT_SECONDS: "3600" });
    expect(second.output()).to.include(key);
    expect(second.output()).not.to.match(/moved to/);
    expect(await verdictOf(bundle)).to.equal("valid");
    const queuedId = ((await (await issue(key)).json()) as { credentials: { id: string }[] }).credentials[0]!.id;
    second.child.kill("SIGTERM");
    expect(await second.exited).to.equal(0);

    // A third start resumes the queued work; the registry is the one deployed first.
    const third = await npmStart(env);
    try {
      expect(await bundleOf(key, queuedId)).to.have.property("root");
      expect(await verdictOf(bundle)).to.equal("valid");
      expect(readFileSync(join(deploymentsDir, "localhost.json"), "utf8")).to.equal(book);
      expect(readdirSync(dataDir).filter((n) => n.startsWith("chain-reset"))).to.deep.equal([]);
      expect(readdirSync(dataDir)).to.include("chain-state.json");
    } finally {
      third.child.kill("SIGINT");
      expect(await third.exited).to.equal(0);
    }
  });

  it("behavior: a kill -9 of the chain is reported, the chain restarts with its state, and issuing goes on", async function () {
    const started = await npmStart(env);
    try {
      const key = /Demo issuer 1 API key[^\n]*\n\s+(cak_\S+)/.exec(started.output())![1]!;
      const before = await bundleOf(key, ((await (await issue(key)).json()) as { credentials: { id: string }[] }).credentials[0]!.id);
      // The chain this `npm start` runs: the Anvil process listening on CHAIN_PORT.
      const pid = Number(execFileSync("pgrep", ["-f", `anvil .*--port ${env.CHAIN_PORT} `]).toString().trim().split("\n")[0]);
      process.kill(pid, "SIGKILL");
      for (let k = 0; k < 300 && !/the local chain is back at block \d+/.test(started.output()); k++) await new Promise((r) => setTimeout(r, 100));
      expect(started.output()).to.match(new RegExp(`! the local chain \\(anvil, pid ${pid}\\) was killed \\(SIGKILL\\); restarting it from .*chain-state\\.json`));
      expect(started.output()).to.match(/! the local chain is back at block \d+ after [\d.]+ s/);
      let ready = 0;
      for (let k = 0; k < 100 && ready !== 200; k++) {
        ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
        if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready).to.equal(200);
      const after = await bundleOf(key, ((await (await issue(key)).json()) as { credentials: { id: string }[] }).credentials[0]!.id);
      expect(await verdictOf(after)).to.equal("valid");
      expect(await verdictOf(before)).to.equal("valid");
    } finally {
      started.child.kill("SIGINT");
      expect(await started.exited).to.equal(0);
    }
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
