// Sustained mixed load (`npm run bench:load [-- --json] [--seconds S | --requests R] [--verify-connections C] [--cpu-prof DIR] [--main-port-verify]`, default 60 s): the real
// service process on a local hardhat node, loaded at the same time with
//   - issue:  POST /v1/credentials, 100 credentials per request (2 connections),
//   - status: GET /v1/credentials/{id} of random earlier credentials (4 connections),
//   - verify: POST /v1/verify of one real bundle (C connections, default 32),
// while the service's RSS is sampled every second; before it, the same verify stream alone, so
// verifications/s while issuing read against the same alone in one run. Reports throughput, p50/p99 latency and
// errors per stream, and RSS over time (first quarter vs the end: memory must stay flat).
// `--requests R`: each stream sends R requests instead of running S seconds; rates are completed
// requests over the time they took, so a short run never depends on the machine's speed.
// The service has a verification port (VERIFY_PORT): the verify stream goes there, as a load
// balancer routes /v1/verify; `--main-port-verify` sends it to the main port instead (the old way).
// The verify stream is a closed loop: each connection sends its next request when the last is
// answered, so with few connections its rate is connections / latency, not what the service can
// do. 32 connections keep the service busy; `--verify-connections 8` shows the latency-bound rate.
import autocannon from "autocannon";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getFreePort } from "../src/chain/local-node.ts";
import type { JsonObject } from "../src/core/json.ts";
import { sampleBadge } from "../test/core/helpers.ts";
import { createKeyIn, startServerProcess } from "../test/helpers/server-process.ts";
import { benchChain } from "../test/helpers/stack.ts";

const { values } = parseArgs({ options: { json: { type: "boolean" }, seconds: { type: "string" }, requests: { type: "string" }, "cpu-prof": { type: "string" }, "main-port-verify": { type: "boolean" }, "verify-connections": { type: "string" } } });
/** A flag's whole positive number, or exit 2 naming the flag (autocannon's own error for NaN says nothing about it). */
function count(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (Number.isInteger(n) && n > 0) return n;
  process.stderr.write(`bench:load: --${flag} takes a whole number above 0, not "${text}"\n`);
  process.exit(2);
}
const SECONDS = count("seconds", values.seconds, 60);
const REQUESTS = values.requests === undefined ? undefined : count("requests", values.requests, 0);
// autocannon refuses more connections than requests (`--requests R` below 32).
const VERIFY_CONNECTIONS = Math.min(count("verify-connections", values["verify-connections"], 32), REQUESTS ?? Infinity);
const phase = () => (REQUESTS === undefined ? { duration: SECONDS } : { amount: REQUESTS });
const log = (line: string) => (values.json ? process.stderr : process.stdout).write(line + "\n");

type Cannon = { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number; "2xx": number; duration: number };
/** Completed requests per second of the stream's own length. */
const rate = (c: Cannon) => c["2xx"] / Math.max(c.duration, 0.001);
const cannon = (o: autocannon.Options) => new Promise<Cannon>((res, rej) => autocannon(o, (e, r) => (e ? rej(e) : res(r as unknown as Cannon))));

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

function badges(n: number, tag: string): JsonObject[] {
  return Array.from({ length: n }, (_, k) => {
    const c = sampleBadge();
    ((c.credentialSubject as JsonObject).achievement as JsonObject).name = `${tag} ${k}`;
    return c;
  });
}

async function main(): Promise<void> {
  const chain = await benchChain();
  const dataDir = mkdtempSync(join(tmpdir(), "credanchor-bench-load-"));
  // `--cpu-prof DIR`: the service writes a V8 CPU profile per thread there when it stops.
  const profile: Record<string, string> = values["cpu-prof"] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values["cpu-prof"]}` } : {};
  const verifyPort = values["main-port-verify"] ? undefined : await getFreePort();
  const server = await startServerProcess({
    rpcUrl: chain.url,
    registry: chain.registry,
    dataDir,
    env: { LOG_LEVEL: "warn", BATCH_MAX_WAIT_SECONDS: "1", VERIFY_RATE_PER_MINUTE: "0", ...(verifyPort ? { VERIFY_PORT: String(verifyPort) } : {}), ...profile },
    addressBooks: [chain.addressBook("bench")],
  });
  const verifyUrl = verifyPort ? `http://127.0.0.1:${verifyPort}` : server.url;
  const where = verifyPort ? `the verification port ${verifyPort}` : "the main port";
  try {
    const token = await createKeyIn(dataDir, 1);
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    // Seed: credentials to read and one anchored bundle to verify.
    const seeded = (await (await fetch(`${server.url}/v1/credentials`, { method: "POST", headers, body: JSON.stringify({ credentials: badges(500, "Seed") }) })).json()) as { credentials: { id: string }[] };
    const ids = seeded.credentials.map((c) => c.id);
    let bundle: unknown;
    for (;;) {
      const r = await fetch(`${server.url}/v1/credentials/${ids[0]}/bundle`, { headers });
      if (r.status === 200) {
        bundle = await r.json();
        break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }

    const probe = (await (await fetch(`${verifyUrl}/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ bundle }) })).json()) as { results: { verdict: string }[] };
    if (probe.results[0]?.verdict !== "valid") throw new Error(`POST /v1/verify says ${JSON.stringify(probe)}`);
    const verifyStream = () => cannon({ url: `${verifyUrl}/v1/verify`, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ bundle }), connections: VERIFY_CONNECTIONS, ...phase(), timeout: 30 });
    log(`verify alone for ${SECONDS} s (${VERIFY_CONNECTIONS} connections, to ${where})…`);
    const alone = await verifyStream();
    const pid = server.child.pid!;
    const samples: { t: number; rss: number }[] = [];
    const started = Date.now();
    const sampler = setInterval(() => samples.push({ t: (Date.now() - started) / 1000, rss: rssMiB(pid) }), 1000);
    samples.push({ t: 0, rss: rssMiB(pid) });
    log(`mixed load for ${SECONDS} s: issue (2 connections × 100 per request), status (4), verify (${VERIFY_CONNECTIONS}, to ${where})…`);
    let k = 0;
    const [issue, status, verify] = await Promise.all([
      cannon({ url: `${server.url}/v1/credentials`, method: "POST", headers, body: JSON.stringify({ credentials: badges(100, "Load") }), connections: 2, ...phase(), timeout: 30 }),
      cannon({
        url: server.url,
        headers,
        connections: 4,
        ...phase(),
        requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: `/v1/credentials/${ids[k++ % ids.length]}` }) }],
      }),
      verifyStream(),
    ]);
    clearInterval(sampler);
    samples.push({ t: (Date.now() - started) / 1000, rss: rssMiB(pid) });

    const ran = samples.at(-1)!.t;
    const quarter = samples.filter((s) => s.t <= ran / 4);
    const lastQuarter = samples.filter((s) => s.t >= (ran * 3) / 4);
    const mean = (xs: { rss: number }[]) => xs.reduce((a, s) => a + s.rss, 0) / Math.max(1, xs.length);
    const errors = (c: Cannon) => c.non2xx + c.errors + c.timeouts;
    const result = {
      seconds: Number(ran.toFixed(1)),
      verifyListener: verifyPort ? "verification port" : "main port",
      verifyConnections: VERIFY_CONNECTIONS,
      issuedPerSecond: Math.round(rate(issue) * 100),
      issueP50Ms: issue.latency.p50,
      issueP99Ms: issue.latency.p99,
      statusPerSecond: Math.round(rate(status)),
      statusP50Ms: status.latency.p50,
      statusP99Ms: status.latency.p99,
      verifyPerSecond: Math.round(rate(verify)),
      verifyP50Ms: verify.latency.p50,
      verifyP99Ms: verify.latency.p99,
      verifyAlonePerSecond: Math.round(rate(alone)),
      verifyAloneP50Ms: alone.latency.p50,
      verifyAloneP99Ms: alone.latency.p99,
      errors: errors(issue) + errors(status) + errors(verify) + errors(alone),
      issuedCount: issue["2xx"] * 100,
      statusCount: status["2xx"],
      verifyCount: verify["2xx"],
      rssStartMiB: Math.round(samples[0]!.rss),
      rssFirstQuarterMiB: Math.round(mean(quarter)),
      rssLastQuarterMiB: Math.round(mean(lastQuarter)),
      rssMaxMiB: Math.round(Math.max(...samples.map((s) => s.rss))),
    };
    log("");
    log("| stream | throughput | p50 / p99 | errors |");
    log("|---|---:|---|---:|");
    log(`| issue (100 per request) | ${result.issuedPerSecond.toLocaleString("en")} credentials/s | ${result.issueP50Ms} / ${result.issueP99Ms} ms | ${errors(issue)} |`);
    log(`| status (GET credential) | ${result.statusPerSecond.toLocaleString("en")} requests/s | ${result.statusP50Ms} / ${result.statusP99Ms} ms | ${errors(status)} |`);
    log(`| verify (POST one bundle, ${result.verifyListener}, ${VERIFY_CONNECTIONS} connections) | ${result.verifyPerSecond.toLocaleString("en")} requests/s (${(result.verifyPerSecond / Math.max(1, result.verifyAlonePerSecond)).toFixed(2)}× alone) | ${result.verifyP50Ms} / ${result.verifyP99Ms} ms | ${errors(verify)} |`);
    log(`| verify alone, before (POST one bundle, ${result.verifyListener}, ${VERIFY_CONNECTIONS} connections) | ${result.verifyAlonePerSecond.toLocaleString("en")} requests/s | ${result.verifyAloneP50Ms} / ${result.verifyAloneP99Ms} ms | ${errors(alone)} |`);
    log("");
    log(`service RSS: start ${result.rssStartMiB} MiB, first quarter ${result.rssFirstQuarterMiB} MiB, last quarter ${result.rssLastQuarterMiB} MiB (${(result.rssLastQuarterMiB / Math.max(1, result.rssFirstQuarterMiB)).toFixed(2)}×), max ${result.rssMaxMiB} MiB`);
    log(`RSS over time (s: MiB): ${samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0).map((s) => `${Math.round(s.t)}: ${Math.round(s.rss)}`).join(", ")}`);
    if (values.json) console.log(JSON.stringify(result));
  } finally {
    await server.kill("SIGTERM");
    await chain.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
