// Verification benchmark (`npm run bench:verify [-- --json] [--n N] [--seconds S | --requests R] [--cpu-prof DIR]`): N real
// bundles issued by the real service on a local hardhat node, then verified
//   - through the library: all at once (batched chain reads), one by one, 16 at a time;
//   - through POST /v1/verify with autocannon: 100 bundles per request, and 1 per request;
// beside one bare eth_call round trip, so one-by-one latency reads as "RPC round trips", and the API's
// 1 per request beside the library one by one. `--cpu-prof DIR`: the service writes a V8 CPU profile there.
import autocannon from "autocannon";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, encodeFunctionData, http, type PublicClient } from "viem";
import { credentialRegistryAbi } from "../src/chain/abi.ts";
import type { JsonObject } from "../src/core/json.ts";
import { createTrustList } from "../src/verifier/trust.ts";
import { verifyBundle, verifyBundles, type VerifyOptions } from "../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../test/core/helpers.ts";
import { createKeyIn, startServerProcess } from "../test/helpers/server-process.ts";
import { benchChain } from "../test/helpers/stack.ts";

const { values } = parseArgs({ options: { json: { type: "boolean" }, n: { type: "string" }, seconds: { type: "string" }, requests: { type: "string" }, "cpu-prof": { type: "string" } } });
/** `--requests R`: each HTTP phase sends R requests instead of running for a time window (counts completed work). */
const REQUESTS = values.requests === undefined ? undefined : Number(values.requests);
const N = Number(values.n ?? 1000);
const SECONDS = Number(values.seconds ?? 5);
const log = (line: string) => (values.json ? process.stderr : process.stdout).write(line + "\n");
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (x: number, d = 2) => Number(x.toFixed(d));

type Cannon = { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; "2xx": number; duration: number };
const phase = () => (REQUESTS === undefined ? { duration: SECONDS } : { amount: REQUESTS });
/** Completed requests per second of the phase's own length. */
const rate = (c: Cannon) => c["2xx"] / Math.max(c.duration, 0.001);
const cannon = (o: autocannon.Options) => new Promise<Cannon>((res, rej) => autocannon(o, (e, r) => (e ? rej(e) : res(r as unknown as Cannon))));

async function main(): Promise<void> {
  const chain = await benchChain();
  const dataDir = mkdtempSync(join(tmpdir(), "credanchor-bench-verify-"));
  const profile: Record<string, string> = values["cpu-prof"] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values["cpu-prof"]}` } : {};
  const server = await startServerProcess({ rpcUrl: chain.url, registry: chain.registry, dataDir, env: { LOG_LEVEL: "warn", VERIFY_RATE_PER_MINUTE: "0", ...profile }, addressBooks: [chain.addressBook("bench")] });
  try {
    // N real bundles through the real pipeline.
    const token = await createKeyIn(dataDir, 1);
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const ids: string[] = [];
    for (let start = 0; start < N; start += 1000) {
      const credentials = Array.from({ length: Math.min(1000, N - start) }, (_, k) => {
        const c = sampleBadge();
        ((c.credentialSubject as JsonObject).achievement as JsonObject).name = `Verify ${start + k}`;
        return c;
      });
      const r = await fetch(`${server.url}/v1/credentials`, { method: "POST", headers, body: JSON.stringify({ credentials }) });
      ids.push(...((await r.json()) as { credentials: { id: string }[] }).credentials.map((c) => c.id));
    }
    const bundles: unknown[] = [];
    for (const id of ids) {
      for (;;) {
        const r = await fetch(`${server.url}/v1/credentials/${id}/bundle`, { headers });
        if (r.status === 200) {
          bundles.push(await r.json());
          break;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    }

    const client = createPublicClient({ transport: http(chain.url, { retryCount: 0 }) }) as PublicClient;
    const trust = createTrustList([chain.addressBook("bench")]);
    // Unbatched transport for the library: one HTTP request per RPC call, like a plain provider.
    const options: VerifyOptions = { trust, rpc: () => client };

    // One bare eth_call round trip (verify of one root), the floor of one-by-one verification.
    const { root, issuerId } = bundles[0] as { root: `0x${string}`; issuerId: number };
    const data = encodeFunctionData({ abi: credentialRegistryAbi, functionName: "verify", args: [BigInt(issuerId), root, 0n] });
    const rtts: number[] = [];
    for (let k = 0; k < 200; k++) {
      const t = performance.now();
      await client.call({ to: chain.registry, data });
      rtts.push(performance.now() - t);
    }
    rtts.sort((a, b) => a - b);
    const rpcRoundTripMs = pct(rtts, 0.5);

    // Library, batched.
    await verifyBundles(bundles.slice(0, 50), options);
    let t = performance.now();
    const reports = await verifyBundles(bundles, options);
    const batchedSeconds = (performance.now() - t) / 1000;
    const invalid = reports.filter((r) => r.verdict !== "valid").length;
    if (invalid) throw new Error(`${invalid} bundles did not verify`);

    // Library, one by one.
    const latencies: number[] = [];
    const sample = bundles.slice(0, Math.min(bundles.length, 500));
    t = performance.now();
    for (const bundle of sample) {
      const s = performance.now();
      await verifyBundle(bundle, options);
      latencies.push(performance.now() - s);
    }
    const oneByOneSeconds = (performance.now() - t) / 1000;
    latencies.sort((a, b) => a - b);

    // Library, 16 concurrent.
    let next = 0;
    t = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < sample.length) await verifyBundle(sample[next++]!, options);
      }),
    );
    const concurrentSeconds = (performance.now() - t) / 1000;

    // HTTP: POST /v1/verify, 100 bundles per request, then 1 per request (valid ones: checked first).
    const probe = (await (await fetch(`${server.url}/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ bundle: bundles[0] }) })).json()) as { results: { verdict: string }[] };
    if (probe.results[0]?.verdict !== "valid") throw new Error(`POST /v1/verify says ${JSON.stringify(probe)}`);
    const per = Math.min(100, bundles.length);
    const api100 = await cannon({ url: `${server.url}/v1/verify`, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ bundles: bundles.slice(0, per) }), connections: 4, ...phase() });
    const api1 = await cannon({ url: `${server.url}/v1/verify`, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ bundle: bundles[0] }), connections: 8, ...phase() });

    const result = {
      n: bundles.length,
      batchedPerSecond: Math.round(bundles.length / batchedSeconds),
      oneByOnePerSecond: Math.round(sample.length / oneByOneSeconds),
      concurrentPerSecond: Math.round(sample.length / concurrentSeconds),
      p50Ms: round(pct(latencies, 0.5)),
      p99Ms: round(pct(latencies, 0.99)),
      rpcRoundTripMs: round(rpcRoundTripMs),
      apiBatchedPerSecond: Math.round(rate(api100) * per),
      apiBatchP50Ms: api100.latency.p50,
      apiBatchP99Ms: api100.latency.p99,
      apiSinglePerSecond: Math.round(rate(api1)),
      apiSingleP50Ms: api1.latency.p50,
      apiSingleP99Ms: api1.latency.p99,
      apiErrors: api100.non2xx + api100.errors + api1.non2xx + api1.errors,
      apiBatchedCount: api100["2xx"] * per,
      apiSingleCount: api1["2xx"],
    };
    log("");
    log("| path | verifications/s | latency p50 / p99 | beside it |");
    log("|---|---:|---|---|");
    log(`| library, ${result.n.toLocaleString("en")} at once (batched reads) | ${result.batchedPerSecond.toLocaleString("en")} | ${round(batchedSeconds * 1000, 0)} ms for all | ${(result.batchedPerSecond / result.oneByOnePerSecond).toFixed(1)}× one by one |`);
    log(`| library, one by one | ${result.oneByOnePerSecond.toLocaleString("en")} | ${result.p50Ms} / ${result.p99Ms} ms | ${(result.p50Ms / rpcRoundTripMs).toFixed(1)} RPC round trips (${result.rpcRoundTripMs} ms each) |`);
    log(`| library, 16 concurrent | ${result.concurrentPerSecond.toLocaleString("en")} | | ${(result.concurrentPerSecond / result.oneByOnePerSecond).toFixed(1)}× one by one |`);
    log(`| POST /v1/verify, ${per} per request | ${result.apiBatchedPerSecond.toLocaleString("en")} | ${result.apiBatchP50Ms} / ${result.apiBatchP99Ms} ms per request | ${(result.apiBatchedPerSecond / result.apiSinglePerSecond).toFixed(1)}× 1 per request |`);
    log(`| POST /v1/verify, 1 per request | ${result.apiSinglePerSecond.toLocaleString("en")} | ${result.apiSingleP50Ms} / ${result.apiSingleP99Ms} ms | ${(result.apiSinglePerSecond / result.oneByOnePerSecond).toFixed(1)}× library one by one |`);
    log(`errors: ${result.apiErrors}`);
    if (values.json) console.log(JSON.stringify(result));
  } finally {
    await server.kill("SIGTERM");
    await chain.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
