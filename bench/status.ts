// Status list benchmark (`npm run bench:status [-- --json] [--rounds N] [--seconds S | --requests R]`): a 131,072-entry
// list read from a local hardhat node (512 words, one eth_call), mapped, GZIP + multibase encoded and signed
// eddsa-rdfc-2022, beside @digitalbazaar/vc-bitstring-status-list's own encode/decode of the same bits; then cached
// GET /status-lists/… per second over HTTP (200s and If-None-Match 304s on the fast path, and 304s through express;
// autocannon in a worker thread, the server in this process), beside GET /healthz on the same app (express's floor here).
import autocannon from "autocannon";
import { createList, decodeList } from "@digitalbazaar/vc-bitstring-status-list";
import { parseArgs } from "node:util";
import { credentialRegistryV2Abi } from "../src/chain/abi.ts";
import { readStatusWords } from "../src/chain/read-registry.ts";
import { StatusListPublisher } from "../src/issuer/status-lists.ts";
import { generateAssertionKey } from "../src/vc/keys.ts";
import { STATUS_LIST_LENGTH } from "../src/vc/status-entries.ts";
import { buildStatusListCredential, decodeBitstring, encodeBitstring, getBit, WORDS_PER_LIST, wordsToBitstring } from "../src/vc/status-list.ts";
import { openStack, removeDir, serveApi, benchChain } from "../test/helpers/stack.ts";
import { rng as seeded } from "../test/helpers/rng.ts";

const { values } = parseArgs({ options: { json: { type: "boolean" }, rounds: { type: "string" }, seconds: { type: "string" }, requests: { type: "string" }, set: { type: "string" } } });
const ROUNDS = Number(values.rounds ?? 10);
const SECONDS = Number(values.seconds ?? 5);
const REQUESTS = values.requests === undefined ? undefined : Number(values.requests);
/** Revoked indices on-chain (random, 1 % by default: a realistic list that compresses like one). */
const SET = Number(values.set ?? 1311);
const log = (line: string) => (values.json ? process.stderr : process.stdout).write(line + "\n");
const round = (x: number, d = 2) => Number(x.toFixed(d));
const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 1) : "∞");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Cannon = { latency: { p50: number; p99: number }; non2xx: number; errors: number; "2xx": number; statusCodeStats: Record<string, { count: number }>; duration: number };
const phase = () => (REQUESTS === undefined ? { duration: SECONDS } : { amount: REQUESTS });
const cannon = (o: autocannon.Options) => new Promise<Cannon>((res, rej) => autocannon(o, (e, r) => (e ? rej(e) : res(r as unknown as Cannon))));
const countOf = (c: Cannon, status: number) => c.statusCodeStats[String(status)]?.count ?? 0;

/** Milliseconds of `f`, median of ROUNDS runs. */
async function timed(f: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return round(median(times));
}

async function main(): Promise<void> {
  const chain = await benchChain();
  const stack = await openStack(chain);
  try {
    // SET random revoked indices in list 0 of issuer 1.
    const rng = seeded(7);
    const indices = [...new Set(Array.from({ length: SET }, () => Math.floor(rng() * STATUS_LIST_LENGTH)))];
    const wallet = chain.wallet(chain.issuers[0]!.key);
    for (let i = 0; i < indices.length; i += 400) {
      const hash = await wallet.writeContract({ address: chain.registry, abi: credentialRegistryV2Abi, functionName: "updateStatuses", args: [0, indices.slice(i, i + 400).map(BigInt), 0], chain: wallet.chain, account: wallet.account! });
      await chain.publicClient.waitForTransactionReceipt({ hash });
    }
    const key = await generateAssertionKey();
    const url = "http://127.0.0.1/status-lists/1/revocation/0";
    const read = () => readStatusWords(chain.publicClient, chain.registry, 1n, 0n, BigInt(WORDS_PER_LIST));
    const { revoked } = await read();
    const bits = wordsToBitstring(revoked);
    const encoded = encodeBitstring(bits);
    const sign = () => buildStatusListCredential({ url, purpose: "revocation", words: revoked, key, validFrom: new Date(), validForSeconds: 86_400, ttlMs: 300_000 });

    const ours = {
      readMs: await timed(read),
      mapMs: await timed(() => wordsToBitstring(revoked)),
      encodeMs: await timed(() => encodeBitstring(bits)),
      decodeMs: await timed(() => decodeBitstring(encoded)),
      buildAndSignMs: await timed(sign),
      totalMs: await timed(async () => {
        const { revoked: words } = await read();
        await buildStatusListCredential({ url, purpose: "revocation", words, key, validFrom: new Date(), validForSeconds: 86_400, ttlMs: 300_000 });
      }),
      encodedChars: encoded.length,
    };
    // The library's own list with the same bits: set one by one, encode, decode.
    const theirList = await createList({ length: STATUS_LIST_LENGTH });
    for (const i of indices) theirList.setStatus(i, true);
    const theirEncoded = await theirList.encode();
    const theirs = {
      encodeMs: await timed(() => theirList.encode()),
      decodeMs: await timed(() => decodeList({ encodedList: theirEncoded })),
    };
    const back = await decodeList({ encodedList: encoded });
    if (!indices.every((i) => back.getStatus(i)) || indices.some((i) => !getBit(bits, i))) throw new Error("the library reads other bits than ours");

    // Cached GETs over HTTP: one build, then memory (the fast path before express, as the service serves them).
    let base = "";
    const publisher = new StatusListPublisher({ client: chain.publicClient, chainId: 31337, registry: chain.registry, keys: new Map([[1, key]]), baseUrl: () => base, refreshMs: 5000 });
    const api = await serveApi(stack, { statusLists: publisher });
    base = api.base;
    const path = `${api.base}/status-lists/1/revocation/0`;
    const first = await fetch(path);
    const etag = first.headers.get("etag")!;
    const bodyBytes = (await first.arrayBuffer()).byteLength;
    // The app's own floor on this machine, first: the cheapest route through the same middleware.
    const floor = await cannon({ url: `${api.base}/healthz`, connections: 8, workers: 1, ...phase() });
    const notModified = await cannon({ url: path, headers: { "if-none-match": etag }, connections: 8, workers: 1, ...phase() });
    const ok = await cannon({ url: path, connections: 8, workers: 1, ...phase() });
    // The same 304s through express (a query string skips the fast path): what the fast path saves.
    const routed = await cannon({ url: `${path}?via=route`, headers: { "if-none-match": etag }, connections: 8, workers: 1, ...phase() });
    await api.close();
    const http = {
      get200PerSecond: round(countOf(ok, 200) / Math.max(ok.duration, 0.001), 0),
      get304PerSecond: round(countOf(notModified, 304) / Math.max(notModified.duration, 0.001), 0),
      p99Ms200: ok.latency.p99,
      p99Ms304: notModified.latency.p99,
      routed304PerSecond: round(countOf(routed, 304) / Math.max(routed.duration, 0.001), 0),
      healthzPerSecond: round(countOf(floor, 200) / Math.max(floor.duration, 0.001), 0),
      errors: ok.errors + notModified.errors + routed.errors + (ok["2xx"] - countOf(ok, 200)) + countOf(notModified, 200) + countOf(routed, 200),
      bodyBytes,
    };
    const result = { entries: STATUS_LIST_LENGTH, set: indices.length, rounds: ROUNDS, ours, theirs, http };
    log(`list: ${STATUS_LIST_LENGTH.toLocaleString("en")} entries, ${indices.length} revoked, encodedList ${ours.encodedChars} chars, served body ${bodyBytes} bytes`);
    log(`ours:   read ${ours.readMs} ms, map ${ours.mapMs} ms, gzip+multibase ${ours.encodeMs} ms, decode ${ours.decodeMs} ms, build+sign ${ours.buildAndSignMs} ms; read→signed ${ours.totalMs} ms (target ≤ 1000)`);
    log(`theirs: @digitalbazaar/vc-bitstring-status-list encode ${theirs.encodeMs} ms, decode ${theirs.decodeMs} ms`);
    log(`ratio:  theirs ÷ ours: encode ×${ratio(theirs.encodeMs, ours.encodeMs)}, decode ×${ratio(theirs.decodeMs, ours.decodeMs)}`);
    log(`http:   cached 200 ${http.get200PerSecond}/s (p99 ${http.p99Ms200} ms), 304 ${http.get304PerSecond}/s (p99 ${http.p99Ms304} ms, target ≥ 5000/s); through express: 304 ${http.routed304PerSecond}/s, GET /healthz ${http.healthzPerSecond}/s; errors ${http.errors}`);
    log(`ratio:  fast-path 304 ÷ express 304 ×${ratio(http.get304PerSecond, http.routed304PerSecond)}, ÷ /healthz ×${ratio(http.get304PerSecond, http.healthzPerSecond)}`);
    if (values.json) console.log(JSON.stringify(result));
  } finally {
    await stack.close();
    removeDir(stack.dir);
    await chain.stop();
  }
}

await main();
