// Issuer service benchmark (`npm run bench:service [-- --json] [--seconds S | --requests R] [--anchor N]`):
// the real service process on a local hardhat node, loaded over HTTP with autocannon.
//
//  1. accepted credentials/s: POST /v1/credentials with 1,000 credentials per request, durable
//     (SQLite, synchronous=FULL) before the 202; beside it, the same work in-process without
//     HTTP, so the ratio shows what the HTTP layer costs;
//  2. time from the first submission of N (default 100,000) credentials to all of them
//     anchored with proofs available;
//  3. GET /v1/credentials/{id}/bundle latency p50/p99, beside GET /healthz.
// `--requests R` replaces every time window by a count of requests (R per phase), so a short run
// measures completed work whatever the machine's speed (the smoke test in `npm test` uses it).
import autocannon from "autocannon";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { JsonObject } from "../src/core/json.ts";
import { sampleBadge } from "../test/core/helpers.ts";
import { createKeyIn, startServerProcess } from "../test/helpers/server-process.ts";
import { openStack, startChain } from "../test/helpers/stack.ts";

const { values } = parseArgs({ options: { json: { type: "boolean" }, seconds: { type: "string" }, requests: { type: "string" }, anchor: { type: "string" }, connections: { type: "string" } } });
const SECONDS = Number(values.seconds ?? 10);
const REQUESTS = values.requests === undefined ? undefined : Number(values.requests);
/** A phase's length: a fixed number of requests (`--requests`), else a time window. */
const phase = (seconds: number) => (REQUESTS === undefined ? { duration: seconds } : { amount: REQUESTS });
const ANCHOR_N = Number(values.anchor ?? 100_000);
const CONNECTIONS = Number(values.connections ?? 4);
const PER_REQUEST = 1000;
const log = (line: string) => (values.json ? process.stderr : process.stdout).write(line + "\n");

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

async function main(): Promise<void> {
  const chain = await startChain();
  const dataDir = mkdtempSync(join(tmpdir(), "credanchor-bench-service-"));
  const server = await startServerProcess({
    rpcUrl: chain.url,
    registry: chain.registry,
    dataDir,
    env: { BATCH_MAX_SIZE: String(ANCHOR_N), BATCH_MAX_WAIT_SECONDS: "2", LOG_LEVEL: "warn", POLL_MS: "100" },
  });
  const token = await createKeyIn(dataDir, 1);
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  try {
    // 1. Acceptance throughput.
    const body = JSON.stringify({ credentials: credentials(PER_REQUEST, "Load") });
    log(`accepting: ${CONNECTIONS} connections × ${PER_REQUEST} credentials per request, ${REQUESTS === undefined ? `${SECONDS} s` : `${REQUESTS} requests`}…`);
    const accept = await cannon({ url: `${server.url}/v1/credentials`, method: "POST", headers, body, connections: CONNECTIONS, timeout: 60, ...phase(SECONDS) });
    // Completed requests over the time they took: never a window that a slow machine leaves empty.
    const acceptedCount = accept["2xx"] * PER_REQUEST;
    const acceptedPerSecond = acceptedCount / Math.max(accept.duration, 0.001);

    // The same acceptance in-process (no HTTP), beside it: what the HTTP layer costs.
    const local = await openStack(chain, { dir: mkdtempSync(join(tmpdir(), "credanchor-bench-local-")), batch: { maxSize: 1e6, maxWaitMs: 1e9 } });
    const batch = credentials(PER_REQUEST, "Local");
    await local.service.submitCredentials(1, { credentials: batch });
    const t0 = performance.now();
    let rounds = 0;
    // Completed submissions only (each awaited), for 3 s or `--requests` of them.
    while (REQUESTS === undefined ? performance.now() - t0 < 3_000 : rounds < REQUESTS) {
      await local.service.submitCredentials(1, { credentials: batch });
      rounds++;
    }
    const inProcessPerSecond = (rounds * PER_REQUEST) / ((performance.now() - t0) / 1000);
    await local.close();
    rmSync(local.dir, { recursive: true, force: true });

    // Let the load's batches anchor before timing the next phase.
    await waitIdle(server.url, token, 300_000);

    // 2. N credentials: first submission → all anchored with proofs.
    log(`anchoring ${ANCHOR_N.toLocaleString("en")} credentials…`);
    const requests = Math.ceil(ANCHOR_N / PER_REQUEST);
    const bodies = Array.from({ length: Math.min(requests, 8) }, (_, k) => JSON.stringify({ credentials: credentials(PER_REQUEST, `Batch${k}`) }));
    const start = performance.now();
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (next < requests) {
          const k = next++;
          const response = await fetch(`${server.url}/v1/credentials`, { method: "POST", headers, body: bodies[k % bodies.length]! });
          if (response.status !== 202) throw new Error(`POST /v1/credentials answered ${response.status}: ${await response.text()}`);
          const accepted = (await response.json()) as { credentials: { id: string }[] };
          ids.push(...accepted.credentials.map((c) => c.id));
        }
      }),
    );
    const submittedSeconds = (performance.now() - start) / 1000;
    const lastId = ids.at(-1)!;
    for (;;) {
      const view = (await (await fetch(`${server.url}/v1/credentials/${lastId}`, { headers })).json()) as { state: string };
      if (view.state === "anchored" || view.state === "confirmed") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitIdle(server.url, token, 300_000);
    const anchorSeconds = (performance.now() - start) / 1000;
    const probe = (await (await fetch(`${server.url}/v1/credentials/${ids[0]}/bundle`, { headers })).json()) as { proof?: unknown[] };
    if (!Array.isArray(probe.proof)) throw new Error("no bundle for the first credential after anchoring");

    // 3. Bundle latency, beside /healthz.
    const sample = Array.from({ length: 1000 }, () => ids[Math.floor(Math.random() * ids.length)]!);
    let k = 0;
    const bundles = await cannon({
      url: server.url,
      headers,
      connections: CONNECTIONS,
      ...phase(Math.max(3, Math.floor(SECONDS / 2))),
      requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: `/v1/credentials/${sample[k++ % sample.length]}/bundle` }) }],
    });
    const health = await cannon({ url: `${server.url}/healthz`, connections: CONNECTIONS, ...phase(Math.max(3, Math.floor(SECONDS / 2))) });

    const result = {
      acceptedCount,
      acceptedPerSecond: Math.round(acceptedPerSecond),
      inProcessAcceptedPerSecond: Math.round(inProcessPerSecond),
      acceptErrors: accept.non2xx + accept.errors + accept.timeouts,
      acceptP50Ms: accept.latency.p50,
      acceptP99Ms: accept.latency.p99,
      anchorN: ids.length,
      anchorSubmitSeconds: Number(submittedSeconds.toFixed(2)),
      anchorSeconds: Number(anchorSeconds.toFixed(2)),
      bundlePerSecond: Math.round(bundles["2xx"] / Math.max(bundles.duration, 0.001)),
      bundleP50Ms: bundles.latency.p50,
      bundleP99Ms: bundles.latency.p99,
      bundleErrors: bundles.non2xx + bundles.errors + bundles.timeouts,
      healthP50Ms: health.latency.p50,
      healthP99Ms: health.latency.p99,
    };
    log("");
    log("| measure | value | beside it | ratio |");
    log("|---|---:|---:|---:|");
    log(`| credentials accepted/s (HTTP, 1,000 per request) | ${result.acceptedPerSecond.toLocaleString("en")} | ${result.inProcessAcceptedPerSecond.toLocaleString("en")} in-process | ${(acceptedPerSecond / inProcessPerSecond).toFixed(2)}× |`);
    log(`| accept latency p50 / p99 (ms per 1,000) | ${result.acceptP50Ms} / ${result.acceptP99Ms} | | |`);
    log(`| ${ids.length.toLocaleString("en")} credentials: submit → all anchored (s) | ${result.anchorSeconds} | ${result.anchorSubmitSeconds} s submitting | ${(anchorSeconds / submittedSeconds).toFixed(2)}× |`);
    log(`| GET bundle p50 / p99 (ms) | ${result.bundleP50Ms} / ${result.bundleP99Ms} | /healthz ${result.healthP50Ms} / ${result.healthP99Ms} | |`);
    log(`| GET bundle/s | ${result.bundlePerSecond.toLocaleString("en")} | /healthz ${Math.round(health.requests.average).toLocaleString("en")} | ${(bundles.requests.average / health.requests.average).toFixed(2)}× |`);
    log(`errors: accept ${result.acceptErrors}, bundle ${result.bundleErrors}`);
    if (values.json) console.log(JSON.stringify(result));
  } finally {
    await server.kill("SIGTERM");
    await chain.stop();
    rmSync(dataDir, { recursive: true, force: true });
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
