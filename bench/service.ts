// Issuer service benchmark (`npm run bench:service [-- --json] [--seconds S | --requests R] [--n N]
// [--store sqlite|postgres …] [--replicas K] [--connections C] [--pipelining P] [--cpu-prof DIR] [--bundles-only]`):
// the real service process(es) on a
// local hardhat node, loaded over HTTP with autocannon.
//
//  1. accepted credentials/s: POST /v1/credentials with 1,000 credentials per request, durable
//     before the 202 (SQLite synchronous=FULL; PostgreSQL with fsync on); beside it, the same
//     work in-process without HTTP on the same store, so the ratio shows what HTTP costs; and the
//     CPU time (every thread, from /proc) per accepted credential of each, the figure that stays
//     comparable when other work shares the machine (the in-process peer sends one request at a
//     time and anchors nothing meanwhile, the serve process anchors batches as they fill);
//  2. time from the first submission of N (default 100,000; `--n 1000000` for the million)
//     credentials to all of them anchored with proofs available;
//  3. GET /v1/credentials/{id}/bundle requests/s and latency p50/p99, beside GET /healthz.
// `--store` may be given twice (or `sqlite,postgres`): the stores run one after the other on the
// same chain and are printed side by side. `--replicas K` (PostgreSQL only; `1,2` runs both)
// starts K serve processes on one database and spreads every phase's load evenly across them.
// `--requests R` replaces every time window by a count of requests (R per phase and replica), so a
// short run measures completed work whatever the machine's speed (the smoke test in `npm test` uses it).
// `--bundles-only` skips phase 1 (so a `--cpu-prof` profile is mostly bundle and /healthz GETs);
// `--pipelining P` sends P requests per connection without waiting (phase 3 only), to see whether
// the load generator or the service is the ceiling.
import autocannon from "autocannon";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { JsonObject } from "../src/core/json.ts";
import { createApiKey } from "../src/issuer/api-keys.ts";
import { createIssuerService } from "../src/issuer/service.ts";
import { openPostgresStore } from "../src/store/postgres/store.ts";
import { openSqliteStore } from "../src/store/sqlite/store.ts";
import { sampleBadge } from "../test/core/helpers.ts";
import { startPostgres, type PostgresServer } from "../test/helpers/postgres.ts";
import { createKeyIn, startServerProcess, type ServerProcess } from "../test/helpers/server-process.ts";
import { benchChain, type Chain } from "../test/helpers/stack.ts";

const { values } = parseArgs({
  options: {
    json: { type: "boolean" },
    seconds: { type: "string" },
    requests: { type: "string" },
    anchor: { type: "string" },
    n: { type: "string" },
    connections: { type: "string" },
    store: { type: "string", multiple: true },
    replicas: { type: "string" },
    "cpu-prof": { type: "string" },
    "bundles-only": { type: "boolean" },
    pipelining: { type: "string" },
  },
});
const SECONDS = Number(values.seconds ?? 10);
const REQUESTS = values.requests === undefined ? undefined : Number(values.requests);
/** A phase's length: a fixed number of requests (`--requests`), else a time window. */
const phase = (seconds: number) => (REQUESTS === undefined ? { duration: seconds } : { amount: REQUESTS });
const ANCHOR_N = Number(values.n ?? values.anchor ?? 100_000);
const CONNECTIONS = Number(values.connections ?? 4);
const PIPELINING = Number(values.pipelining ?? 1);
/** Replica counts to run PostgreSQL with (`--replicas 1,2`: both, side by side). */
const REPLICAS = (values.replicas ?? "1").split(",").map(Number);
const STORES = (values.store ?? ["sqlite"]).flatMap((s) => s.split(",")).map((s) => s.trim());
const PER_REQUEST = 1000;
const SERVER_SECRET = "cd".repeat(32);
const log = (line: string) => (values.json ? process.stderr : process.stdout).write(line + "\n");

type StoreKind = "sqlite" | "postgres";
for (const s of STORES) if (s !== "sqlite" && s !== "postgres") throw new Error(`--store ${s}: use sqlite or postgres`);
if (!REPLICAS.every((r) => Number.isInteger(r) && r >= 1)) throw new Error("--replicas must be positive integers (e.g. 2 or 1,2)");
if (REPLICAS.some((r) => r > 1) && !STORES.includes("postgres")) throw new Error("--replicas needs --store postgres (replicas share one PostgreSQL database)");

function credentials(n: number, tag: string): JsonObject[] {
  return Array.from({ length: n }, (_, k) => {
    const c = sampleBadge();
    ((c.credentialSubject as JsonObject).achievement as JsonObject).name = `${tag} ${k}`;
    return c;
  });
}

type Cannon = { requests: { average: number }; latency: { p50: number; p99: number; average: number }; non2xx: number; errors: number; timeouts: number; "2xx": number; duration: number };

function cannon(options: autocannon.Options): Promise<Cannon> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result as unknown as Cannon)));
  });
}

/** The same load on every replica at once (connections split between them); counts summed, latencies of the slowest. */
async function cannonAll(urls: string[], options: (url: string) => autocannon.Options): Promise<{ ok: number; perSecond: number; p50: number; p99: number; errors: number }> {
  const results = await Promise.all(urls.map((url) => cannon({ ...options(url), connections: Math.max(1, Math.round(CONNECTIONS / urls.length)) })));
  return {
    ok: results.reduce((s, r) => s + r["2xx"], 0),
    perSecond: results.reduce((s, r) => s + r["2xx"] / Math.max(r.duration, 0.001), 0),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    errors: results.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
  };
}

/**
 * CPU seconds (user + system, every thread) a process has used so far, from /proc: unlike a rate,
 * CPU time per credential hardly moves when other work shares the machine.
 */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks
}

type Result = {
  store: StoreKind;
  replicas: number;
  acceptedCount: number;
  acceptedPerSecond: number;
  /** CPU of the serve processes (all their threads) per accepted credential while accepting, µs. */
  acceptCpuMicros: number;
  inProcessAcceptedPerSecond: number;
  /** CPU of the in-process peer (the bench process, all its threads) per accepted credential, µs. */
  inProcessCpuMicros: number;
  acceptErrors: number;
  acceptP50Ms: number;
  acceptP99Ms: number;
  anchorN: number;
  anchorSubmitSeconds: number;
  anchorSeconds: number;
  /** Submissions answered 503 (a status index race between replicas, nothing stored) and sent again. */
  anchorRetries: number;
  bundlePerSecond: number;
  bundleP50Ms: number;
  bundleP99Ms: number;
  bundleErrors: number;
  healthPerSecond: number;
  healthP50Ms: number;
  healthP99Ms: number;
};

/** The service's database for one store: a data directory each, and the PostgreSQL URL they share. */
async function database(kind: StoreKind, replicas: number, postgres: () => Promise<PostgresServer>): Promise<{ url?: string; dirs: string[] }> {
  const dirs = Array.from({ length: replicas }, () => mkdtempSync(join(tmpdir(), "credanchor-bench-service-")));
  return kind === "postgres" ? { url: await (await postgres()).createDatabase(), dirs } : { dirs };
}

async function apiKey(kind: StoreKind, db: { url?: string; dirs: string[] }): Promise<string> {
  if (kind === "sqlite") return createKeyIn(db.dirs[0]!, 1);
  const store = await openPostgresStore(db.url!);
  try {
    return (await createApiKey(store.apiKeys, 1, "bench")).token;
  } finally {
    await store.close();
  }
}

/** The same acceptance in-process (no HTTP) on a fresh database of the same kind: what the HTTP layer costs. */
async function inProcess(chain: Chain, kind: StoreKind, postgres: () => Promise<PostgresServer>): Promise<{ perSecond: number; cpuMicros: number }> {
  const dir = mkdtempSync(join(tmpdir(), "credanchor-bench-local-"));
  // SQLite as the service opens it: the connection on a thread of its own.
  const store = kind === "postgres" ? await openPostgresStore(await (await postgres()).createDatabase()) : openSqliteStore(join(dir, "credanchor.db"), { background: true });
  const running = await createIssuerService({
    store,
    client: chain.publicClient,
    chainId: 31337,
    registry: chain.registry,
    signers: chain.issuers.map((i) => i.key),
    // BATCH_MAX_SIZE as the serve processes: reconciliation fences off the earlier runs' anchors on this chain by it.
    batch: { maxSize: Math.min(ANCHOR_N, 100_000), maxWaitMs: 1e9 },
  });
  try {
    const batch = credentials(PER_REQUEST, "Local");
    await running.service.submitCredentials(1, { credentials: batch });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let rounds = 0;
    // Completed submissions only (each awaited, one at a time), for 3 s or `--requests` of them.
    // (Before 2026-12-02 this loop did not await: it counted calls started, not work done, which
    // is why the in-process figures of the first wave, 28,000-40,000/s, were so much higher.)
    while (REQUESTS === undefined ? performance.now() - t0 < 3_000 : rounds < REQUESTS) {
      await running.service.submitCredentials(1, { credentials: batch });
      rounds++;
    }
    const cpu = process.cpuUsage(cpu0);
    return { perSecond: (rounds * PER_REQUEST) / ((performance.now() - t0) / 1000), cpuMicros: (cpu.user + cpu.system) / (rounds * PER_REQUEST) };
  } finally {
    await running.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(chain: Chain, kind: StoreKind, replicas: number, postgres: () => Promise<PostgresServer>): Promise<Result> {
  const db = await database(kind, replicas, postgres);
  const env = {
    BATCH_MAX_SIZE: String(Math.min(ANCHOR_N, 100_000)),
    BATCH_MAX_WAIT_SECONDS: "2",
    LOG_LEVEL: "warn",
    POLL_MS: "100",
    ...(db.url ? { DATABASE_URL: db.url, SERVER_SECRET } : {}),
    // `--cpu-prof DIR`: each serve process (and its worker threads) writes a CPU profile there on exit.
    ...(values["cpu-prof"] ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --cpu-prof --cpu-prof-dir=${values["cpu-prof"]}`.trim() } : {}),
  };
  const servers: ServerProcess[] = [];
  try {
    // One after the other: the first registers the issuer in the database the others then find.
    for (const dataDir of db.dirs) servers.push(await startServerProcess({ rpcUrl: chain.url, registry: chain.registry, dataDir, env }));
    const urls = servers.map((s) => s.url);
    const token = await apiKey(kind, db);
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const label = `${kind}${servers.length > 1 ? ` × ${servers.length} replicas` : ""}`;

    // 1. Acceptance throughput.
    const body = JSON.stringify({ credentials: credentials(PER_REQUEST, "Load") });
    if (!values["bundles-only"]) log(`[${label}] accepting: ${CONNECTIONS} connections × ${PER_REQUEST} credentials per request, ${REQUESTS === undefined ? `${SECONDS} s` : `${REQUESTS} requests per replica`}…`);
    const skipped = { ok: 0, perSecond: 0, p50: 0, p99: 0, errors: 0 };
    const cpuBefore = servers.map((s) => cpuSeconds(s.child.pid!));
    const accept = values["bundles-only"] ? skipped : await cannonAll(urls, (url) => ({ url: `${url}/v1/credentials`, method: "POST", headers, body, timeout: 60, ...phase(SECONDS) }));
    const acceptCpu = servers.reduce((sum, s, k) => sum + cpuSeconds(s.child.pid!) - cpuBefore[k]!, 0);
    const local = values["bundles-only"] ? { perSecond: 0, cpuMicros: 0 } : await inProcess(chain, kind, postgres);
    // Let the load's batches anchor before timing the next phase.
    await waitIdle(urls[0]!, token, 600_000);

    // 2. N credentials: first submission → all anchored with proofs.
    log(`[${label}] anchoring ${ANCHOR_N.toLocaleString("en")} credentials…`);
    const requests = Math.ceil(ANCHOR_N / PER_REQUEST);
    const bodies = Array.from({ length: Math.min(requests, 8) }, (_, k) => JSON.stringify({ credentials: credentials(PER_REQUEST, `Batch${k}`) }));
    const start = performance.now();
    const ids: string[] = [];
    let next = 0;
    let retries = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, c) => {
        const url = urls[c % urls.length]!;
        while (next < requests) {
          const k = next++;
          let response = await fetch(`${url}/v1/credentials`, { method: "POST", headers, body: bodies[k % bodies.length]! });
          // Replicas drawing the same status index: the loser stored nothing and says so (503); a client retries.
          for (let retry = 0; response.status === 503 && retry < 5; retry++) {
            await response.text();
            retries++;
            response = await fetch(`${url}/v1/credentials`, { method: "POST", headers, body: bodies[k % bodies.length]! });
          }
          if (response.status !== 202) throw new Error(`POST /v1/credentials answered ${response.status}: ${await response.text()}`);
          const accepted = (await response.json()) as { credentials: { id: string }[] };
          for (const a of accepted.credentials) ids.push(a.id);
        }
      }),
    );
    const submittedSeconds = (performance.now() - start) / 1000;
    await waitIdle(urls[0]!, token, 900_000);
    const anchorSeconds = (performance.now() - start) / 1000;
    const probe = (await (await fetch(`${urls.at(-1)}/v1/credentials/${ids[0]}/bundle`, { headers })).json()) as { proof?: unknown[] };
    if (!Array.isArray(probe.proof)) throw new Error("no bundle for the first credential after anchoring");

    // 3. Bundles, beside /healthz.
    const sample = Array.from({ length: 1000 }, () => ids[Math.floor(Math.random() * ids.length)]!);
    let k = 0;
    const seconds = Math.max(3, Math.floor(SECONDS / 2));
    const bundles = await cannonAll(urls, (url) => ({
      url,
      headers,
      pipelining: PIPELINING,
      ...phase(seconds),
      requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: `/v1/credentials/${sample[k++ % sample.length]}/bundle` }) }],
    }));
    const health = await cannonAll(urls, (url) => ({ url: `${url}/healthz`, pipelining: PIPELINING, ...phase(seconds) }));

    return {
      store: kind,
      replicas: servers.length,
      acceptedCount: accept.ok * PER_REQUEST,
      acceptedPerSecond: Math.round(accept.perSecond * PER_REQUEST),
      acceptCpuMicros: Math.round((acceptCpu * 1e6) / Math.max(1, accept.ok * PER_REQUEST)),
      inProcessAcceptedPerSecond: Math.round(local.perSecond),
      inProcessCpuMicros: Math.round(local.cpuMicros),
      acceptErrors: accept.errors,
      acceptP50Ms: accept.p50,
      acceptP99Ms: accept.p99,
      anchorN: ids.length,
      anchorSubmitSeconds: Number(submittedSeconds.toFixed(2)),
      anchorSeconds: Number(anchorSeconds.toFixed(2)),
      anchorRetries: retries,
      bundlePerSecond: Math.round(bundles.perSecond),
      bundleP50Ms: bundles.p50,
      bundleP99Ms: bundles.p99,
      bundleErrors: bundles.errors,
      healthPerSecond: Math.round(health.perSecond),
      healthP50Ms: health.p50,
      healthP99Ms: health.p99,
    };
  } finally {
    for (const s of servers) await s.kill("SIGTERM");
    for (const dir of db.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

function table(results: Result[]): void {
  const n = (x: number) => x.toLocaleString("en");
  const head = results.map((r) => `${r.store}${r.replicas > 1 ? ` × ${r.replicas}` : ""}`);
  const rows: [string, (r: Result) => string][] = [
    ["credentials accepted/s (HTTP, 1,000 per request)", (r) => n(r.acceptedPerSecond)],
    ["… in-process, same store (no HTTP)", (r) => n(r.inProcessAcceptedPerSecond)],
    ["… HTTP / in-process", (r) => `${(r.acceptedPerSecond / r.inProcessAcceptedPerSecond).toFixed(2)}×`],
    ["CPU per credential accepted, all threads (µs): HTTP / in-process", (r) => `${r.acceptCpuMicros} / ${r.inProcessCpuMicros}`],
    ["accept latency p50 / p99 (ms per 1,000)", (r) => `${r.acceptP50Ms} / ${r.acceptP99Ms}`],
    [`${n(results[0]!.anchorN)} credentials: submit → all anchored (s)`, (r) => `${r.anchorSeconds} (${r.anchorSubmitSeconds} submitting)`],
    ["GET bundle/s", (r) => n(r.bundlePerSecond)],
    ["… /healthz/s beside it", (r) => `${n(r.healthPerSecond)} (bundle ${(r.bundlePerSecond / r.healthPerSecond).toFixed(2)}×)`],
    ["GET bundle p50 / p99 (ms)", (r) => `${r.bundleP50Ms} / ${r.bundleP99Ms} (/healthz ${r.healthP50Ms} / ${r.healthP99Ms})`],
    ["errors (accept, bundle); 503 retried while anchoring", (r) => `${r.acceptErrors}, ${r.bundleErrors}; ${r.anchorRetries}`],
  ];
  log("");
  log(`| measure | ${head.join(" | ")} |`);
  log(`|---|${head.map(() => "---:").join("|")}|`);
  for (const [name, cell] of rows) log(`| ${name} | ${results.map(cell).join(" | ")} |`);
}

async function main(): Promise<void> {
  const chain = await benchChain();
  let pg: Promise<PostgresServer> | undefined;
  // Durable like production (fsync on): the test helper's throwaway settings would flatter it.
  const postgres = () => (pg ??= startPostgres({ durable: true }));
  try {
    const results: Result[] = [];
    for (const kind of STORES as StoreKind[]) {
      for (const replicas of kind === "postgres" ? REPLICAS : [1]) {
        results.push(await run(chain, kind, replicas, postgres));
        log(`[${kind}${replicas > 1 ? ` × ${replicas} replicas` : ""}] ${JSON.stringify(results.at(-1))}`);
      }
    }
    table(results);
    if (values.json) console.log(JSON.stringify(results.length === 1 ? results[0] : results));
  } finally {
    if (pg) await (await pg).stop();
    await chain.stop();
  }
}

/** Waits until nothing is queued or in flight (per /metrics). */
async function waitIdle(url: string, token: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    const busy = text
      .split("\n")
      .filter((l) => /^credanchor_credentials\{state="(queued|batched|anchoring)"\}/.test(l))
      .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
    if (busy === 0) return;
    if (Date.now() > deadline) throw new Error(`service still busy after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

await main();
