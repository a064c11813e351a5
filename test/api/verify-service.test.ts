// POST /v1/verify as a long-running server runs it (issue 11 item 6): whole requests on threads of
// their own (the service's way), or hashing on worker threads (a given verifier); coalesced chain
// reads, final anchoring transactions kept, a bounded queue. What must not change: a status change
// shows at once, a kept transaction never vouches for another registry, a full queue is a clean
// 503, a crashed thread neither loses nor hangs a request, the answer is the same on every path.
import { createServer, type Socket } from "node:net";
import { expect } from "chai";
import type { Hex } from "viem";
import { addSignerKey, deployRegistry, registerIssuer } from "../../src/chain/admin.ts";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";
import { createBundle, type Bundle } from "../../src/core/bundle.ts";
import { bytesToHex } from "../../src/core/encoding.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { OffChainPool } from "../../src/verifier/off-chain-pool.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { checkOffChain } from "../../src/verifier/off-chain-checks.ts";
import { admit, coalesceChainChecks, createVerifier } from "../../src/verifier/verifier.ts";
import { bodyJsonLimits } from "../../src/api/json-body.ts";
import { VerifyThreads } from "../../src/api/verify-threads.ts";
import { sampleBadge } from "../core/helpers.ts";
import { startRpcRecorder, type RpcRecorder } from "../helpers/rpc-recorder.ts";
import { closeStack, ISSUER_IDENTITIES, openStack, runUntil, serveApi, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { call, expectError } from "./http.ts";

type Report = { verdict: string; checks: { name: string; outcome: string; code: string }[] };
const statusOf = (r: Report) => r.checks.find((c) => c.name === "status")!.code;
const anchoredOf = (r: Report) => r.checks.find((c) => c.name === "anchored")!.code;

describe("POST /v1/verify on a long-running server (worker threads, coalesced reads, kept transactions, bounded queue)", function () {
  let chain: Chain;
  let stack: Stack;
  let recorder: RpcRecorder;
  let base: string;
  let bundle: Bundle;
  let credentialId: string;
  const closers: (() => Promise<void>)[] = [];

  async function verify(at: string, b: unknown): Promise<Report> {
    const r = await call(at, "POST", "/v1/verify", { body: { bundle: b } });
    expect(r.status, r.text).to.equal(200);
    return r.body.results[0] as Report;
  }

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    recorder = await startRpcRecorder(chain.url);
    // The stack's confirmation depth (0): a transaction is kept once its block is the head.
    const trust = createTrustList([chain.addressBook()]);
    const api = await serveApi(stack, { verify: { trust, rpc: { 31337: recorder.url } }, verifyThreads: { confirmations: 0 } });
    closers.push(async () => (api.server.closeAllConnections(), await api.close()));
    base = api.base;
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [sampleBadge()] });
    credentialId = credentials[0]!.id;
    await runUntil(stack, async () => ["anchored", "confirmed"].includes((await call(base, "GET", `/v1/credentials/${credentialId}`, { token: stack.tokens[1] })).body.state));
    const got = await call(base, "GET", `/v1/credentials/${credentialId}/bundle`, { token: stack.tokens[1] });
    bundle = got.body as Bundle;
  });

  after(async function () {
    for (const close of closers) await close();
    await recorder?.close();
    await closeStack(stack);
  });

  it("behavior: a final anchoring transaction is read once, the status for every request; a revocation shows as soon as it is confirmed", async function () {
    expect((await verify(base, bundle)).verdict).to.equal("valid");
    // The head is known by now (read in the background after the first lookup): the next lookup is kept.
    while (recorder.calls.filter((c) => c.method === "eth_blockNumber").length === 0) await new Promise((r) => setTimeout(r, 10));
    expect((await verify(base, bundle)).verdict).to.equal("valid");
    recorder.calls.length = 0;
    for (let k = 0; k < 3; k++) expect((await verify(base, bundle)).verdict).to.equal("valid");
    const methods = recorder.calls.map((c) => c.method);
    expect(methods.filter((m) => m === "eth_getTransactionByHash")).to.deep.equal([]);
    expect(methods.filter((m) => m === "eth_call")).to.have.length(3); // the status, read per request

    const change = await call(base, "POST", "/v1/revocations", { token: stack.tokens[1], body: { action: "revoke", credentialIds: [credentialId] } });
    expect(change.status, change.text).to.equal(202);
    await runUntil(stack, async () => (await call(base, "GET", `/v1/revocations/${change.body.id}`, { token: stack.tokens[1] })).body.state === "confirmed");
    const revoked = await verify(base, bundle);
    expect(revoked.verdict).to.equal("invalid");
    expect(statusOf(revoked)).to.equal("REVOKED");
  });

  it("behavior: concurrent single-bundle requests each get their own bundle's answer (reads coalesced, never more than one eth_call each)", async function () {
    const tampered = { ...bundle, statusIndex: bundle.statusIndex + 1 };
    recorder.calls.length = 0;
    const answers = await Promise.all(Array.from({ length: 16 }, (_, k) => verify(base, k % 2 ? tampered : bundle)));
    // Revoked (the test before), and the tampered index breaks the leaf.
    expect(answers.filter((_, k) => k % 2 === 0).map(statusOf)).to.deep.equal(Array(8).fill("REVOKED"));
    expect(answers.filter((_, k) => k % 2 === 1).map((a) => a.checks.find((c) => c.name === "integrity")!.code)).to.deep.equal(Array(8).fill("LEAF_MISMATCH"));
    expect(recorder.calls.filter((c) => c.method === "eth_call").length).to.be.within(1, 8);
  });

  it("behavior: coalescing: requests waiting for a round are read together in the next one, each gets its own results; one whose request ended is not read", async function () {
    const rounds: number[][] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const read = async (claims: readonly { statusIndex: bigint }[]) => {
      rounds.push(claims.map((c) => Number(c.statusIndex)));
      await gate;
      return claims.map((c) => ({ checks: [{ name: "status" as const, outcome: "pass" as const, code: "ACTIVE" as const, message: String(c.statusIndex) }] }));
    };
    const check = coalesceChainChecks(read as never, 1000);
    const claim = (statusIndex: number) => ({ chainId: 31337, registry: chain.registry, root: bundle.root as Hex, issuerId: 1n, statusIndex: BigInt(statusIndex) });
    const ended = new AbortController();
    const pending = [0, 1, 2, 3, 4].map((k) => check([claim(k)], k === 3 ? ended.signal : undefined));
    ended.abort();
    expect(rounds).to.deep.equal([[0], [1]]); // two rounds in flight at once; the rest wait
    open();
    const results = await Promise.all(pending);
    expect(rounds).to.deep.equal([[0], [1], [2, 4]]);
    expect(results.map((r) => r[0]!.checks[0]!.message)).to.deep.equal(["0", "1", "2", results[3]![0]!.checks[0]!.message, "4"]);
    expect(results[3]![0]!.checks[0]).to.deep.include({ outcome: "skip", code: "RPC_UNAVAILABLE" });
  });

  it("error: a kept transaction never vouches for another registry's bundle (two deployments on one chain)", async function () {
    const governance = { publicClient: chain.publicClient, walletClient: chain.wallet(chain.governance), account: chain.governance };
    const other = await deployRegistry(governance);
    const issuer = chain.issuers[0]!;
    const otherIssuerId = await registerIssuer(governance, other.address, issuer.admin.address, ISSUER_IDENTITIES[1], { name: "University" });
    await addSignerKey({ publicClient: chain.publicClient, walletClient: chain.wallet(issuer.admin), account: issuer.admin }, other.address, issuer.key.address);
    const book = chain.addressBook();
    book.deployments.push({ ...book.deployments[0]!, address: other.address, deployBlock: other.blockNumber });
    const api = await serveApi(stack, { verify: { trust: createTrustList([book]), rpc: { 31337: chain.url } }, verifyThreads: { confirmations: 0 } });
    closers.push(async () => (api.server.closeAllConnections(), await api.close()));

    const [ours, theirs] = [await anchoredBundle(chain.registry, 1), await anchoredBundle(other.address, otherIssuerId)];
    // Ours is verified (and its transaction kept) first; theirs then names our transaction.
    for (let k = 0; k < 3; k++) expect((await verify(api.base, ours)).verdict).to.equal("valid");
    const borrowed = await verify(api.base, { ...theirs, txHash: ours.txHash });
    expect(anchoredOf(borrowed)).to.equal("TX_MISMATCH");
    expect((await verify(api.base, theirs)).verdict).to.equal("valid");
    expect((await verify(api.base, ours)).verdict).to.equal("valid");
  });

  it("error: a full queue answers 503 OVERLOADED (JSON, Retry-After) at once, and frees its place when the verification ends", async function () {
    // An RPC endpoint that accepts and never answers holds the first request at its chain reads.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s.on("error", () => {})));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const rpc = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const api = await serveApi(stack, { verify: { trust: createTrustList([chain.addressBook()]), rpc: { 31337: rpc } }, verifyThreads: { confirmations: 0, maxQueued: 1 } });
    closers.push(async () => (api.server.closeAllConnections(), await api.close()));

    const held = call(api.base, "POST", "/v1/verify", { body: { bundle } });
    while (sockets.size === 0) await new Promise((r) => setTimeout(r, 10));
    const refused = await call(api.base, "POST", "/v1/verify", { body: { bundle } });
    expectError(refused, 503, "OVERLOADED");
    expect(refused.headers.get("retry-after")).to.equal("1");

    // The endpoint goes away: the held verification ends undecided, and its place is free again.
    silent.close();
    for (const s of sockets) s.destroy();
    const first = await held;
    expect(first.status, first.text).to.equal(200);
    expect(first.body.results[0].verdict).to.equal("error");
    const after = await call(api.base, "POST", "/v1/verify", { body: { bundle } });
    expect(after.status, after.text).to.equal(200);
  });

  it("error: a worker that dies loses no job (each is answered by a fresh worker); a job that kills two workers is refused with WORKER_FAILED", async function () {
    const pool = new OffChainPool({ threads: 1 });
    try {
      const expected = checkOffChain(bundle);
      const jobs = Array.from({ length: 20 }, (_, k) => pool.check(k % 2 ? [bundle] : [bundle, { broken: true }]));
      await pool.crashWorkers();
      const answers = await Promise.all(jobs);
      for (const [k, results] of answers.entries()) {
        expect(results[0]).to.deep.equal(expected);
        if (k % 2 === 0) expect(results[1]!.checks[0]).to.deep.include({ name: "format", outcome: "fail" });
      }
      // With no worker left, the job goes to a fresh one, still loading its modules when it is
      // ended; then to another, ended the same way: its second death.
      await pool.crashWorkers();
      const doomed = pool.check([bundle]);
      await pool.crashWorkers();
      await pool.crashWorkers();
      const failure = await doomed.then(
        () => undefined,
        (e: { code?: string }) => e,
      );
      expect(failure?.code).to.equal("WORKER_FAILED");
      expect(await pool.check([bundle])).to.deep.equal([expected]);
    } finally {
      await pool.close();
    }
  });

  it("behavior: the same answers on every path: the threads before express, the express route, a verifier on the main thread", async function () {
    const local = await serveApi(stack, { verifier: createVerifier({ trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url }, confirmations: 0 }) });
    closers.push(async () => (local.server.closeAllConnections(), await local.close()));
    const bodies = [{ bundle }, { bundles: [bundle, { ...bundle, statusIndex: bundle.statusIndex + 1 }, { broken: true }] }, { bundle: 1, bundles: [] }, { bundles: [bundle], extra: 1 }];
    for (const body of bodies) {
      // `?via=express`: not the fast path's exact path, so express's route answers it.
      const [fast, routed, onMain] = await Promise.all([call(base, "POST", "/v1/verify", { body }), call(base, "POST", "/v1/verify?via=express", { body }), call(local.base, "POST", "/v1/verify", { body })]);
      const strip = (r: typeof fast) => (r.status === 200 ? r.body : { ...r.body, error: { ...r.body.error, requestId: undefined } });
      expect(routed.status, routed.text).to.equal(fast.status);
      expect(onMain.status, onMain.text).to.equal(fast.status);
      expect(strip(routed)).to.deep.equal(strip(fast));
      expect(strip(onMain)).to.deep.equal(strip(fast));
      if (fast.status !== 200) expectError(fast, 400, "REQUEST_INVALID");
      expect(fast.headers.get("content-type")).to.equal("application/json; charset=utf-8");
      expect(fast.headers.get("cache-control")).to.equal("no-store");
    }
    expectError(await call(base, "POST", "/v1/verify", { raw: '{"bundle": ' }), 400, "JSON_SYNTAX");
    expectError(await call(base, "POST", "/v1/verify", { raw: '{"bundle": 1}', headers: { "content-type": "text/plain" } }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("error: a verification thread that dies loses no request (each is answered by a fresh thread); a request that kills two threads is refused with WORKER_FAILED", async function () {
    const threads = new VerifyThreads({ deployments: createTrustList([chain.addressBook()]).deployments, rpc: { 31337: chain.url }, confirmations: 0, limits: { maxBundles: 10, json: bodyJsonLimits(1 << 20) }, threads: 1 });
    try {
      const body = new TextEncoder().encode(JSON.stringify({ bundle }));
      const signal = new AbortController().signal;
      const verdicts = async (answer: Promise<Uint8Array>) => (JSON.parse(Buffer.from(await answer).toString()) as { results: Report[] }).results.map((r) => r.checks.find((c) => c.name === "integrity")!.code);
      const jobs = Array.from({ length: 6 }, () => verdicts(threads.answer(body, signal)));
      await threads.crashThreads();
      expect(await Promise.all(jobs)).to.deep.equal(Array(6).fill(["OK"]));
      // The request goes to a fresh thread, ended while it loads; then to another, ended the same way: its second death.
      await threads.crashThreads();
      const doomed = threads.answer(body, signal);
      await threads.crashThreads();
      await threads.crashThreads();
      const failure = await doomed.then(
        () => undefined,
        (e: { code?: string }) => e,
      );
      expect(failure?.code).to.equal("WORKER_FAILED");
      expect(await verdicts(threads.answer(body, signal))).to.deep.equal(["OK"]);
    } finally {
      await threads.close();
    }
  });

  /** Two verification threads reading through the recorder; `ask` answers one request's status code. */
  function twoThreads(): { threads: VerifyThreads; ask: () => Promise<string> } {
    const threads = new VerifyThreads({ deployments: createTrustList([chain.addressBook()]).deployments, rpc: { 31337: recorder.url }, confirmations: 0, limits: { maxBundles: 10, json: bodyJsonLimits(1 << 20) }, threads: 2 }).start();
    const body = new TextEncoder().encode(JSON.stringify({ bundle }));
    const signal = new AbortController().signal;
    const ask = async () => statusOf((JSON.parse(Buffer.from(await threads.answer(body, signal)).toString()) as { results: Report[] }).results[0]!);
    return { threads, ask };
  }
  const ethCalls = () => recorder.calls.filter((c) => c.method === "eth_call").length;
  const firstEthCall = async () => {
    while (ethCalls() === 0) await new Promise((r) => setTimeout(r, 10));
  };

  it("behavior: the verification threads share one round of chain reads: while it is held no other eth_call starts, and 16 concurrent requests cost fewer than 8", async function () {
    const { threads, ask } = twoThreads();
    try {
      // Requests alternate between the threads (the one with fewer bytes pending): both are loaded and wired.
      const read = await Promise.all([ask(), ask()]);
      expect(read[0]).to.be.oneOf(["ACTIVE", "REVOKED"]).and.equal(read[1]); // the status was read
      recorder.calls.length = 0;
      recorder.hold(true);
      const answers = Array.from({ length: 16 }, ask);
      answers.forEach((a) => a.catch(() => {})); // awaited below; a failed assertion first must not leave them unhandled
      await firstEthCall();
      // Time for both threads' requests to reach their chain reads: each thread would have a round of its own in flight.
      await new Promise((r) => setTimeout(r, 300));
      expect(ethCalls()).to.equal(1);
      recorder.hold(false);
      expect(await Promise.all(answers)).to.deep.equal(Array(16).fill(read[0]));
      expect(ethCalls()).to.be.below(8);
    } finally {
      recorder.hold(false);
      await threads.close();
    }
  });

  it("error: when the thread reading for both dies, no request hangs: the other thread reads its own, the dead one's go to a fresh thread", async function () {
    const { threads, ask } = twoThreads();
    try {
      const read = await Promise.all([ask(), ask()]);
      expect(read[0]).to.be.oneOf(["ACTIVE", "REVOKED"]).and.equal(read[1]); // the status was read
      recorder.calls.length = 0;
      recorder.hold(true);
      const answers = Array.from({ length: 6 }, ask);
      await firstEthCall();
      await threads.crashThreads(0);
      recorder.hold(false);
      expect(await Promise.all(answers)).to.deep.equal(Array(6).fill(read[0]));
      // The fresh reader serves both threads again.
      expect(await Promise.all([ask(), ask()])).to.deep.equal([read[0], read[0]]);
    } finally {
      recorder.hold(false);
      await threads.close();
    }
  });

  it("behavior: the queue count shared by threads: the sum of their cells bounds admission, one request larger than the bound is admitted alone, a dead thread's cell is cleared", function () {
    const cells = new Int32Array(new SharedArrayBuffer(8));
    expect(admit({ cells, slot: 0 }, 5, 2)).to.equal(true); // alone: admitted though larger than the bound
    expect(admit({ cells, slot: 1 }, 1, 2)).to.equal(false);
    Atomics.store(cells, 0, 0); // its thread died
    expect(admit({ cells, slot: 1 }, 1, 2)).to.equal(true);
    expect(admit({ cells, slot: 0 }, 1, 2)).to.equal(true);
    expect(admit({ cells, slot: 0 }, 1, 2)).to.equal(false);
    expect([...cells]).to.deep.equal([1, 1]);
  });

  /** One badge of issuer `issuerId` anchored alone in `registry` by issuer 1's hot key. */
  async function anchoredBundle(registry: Hex, issuerId: number): Promise<Bundle> {
    const credential = sampleBadge();
    ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = `In ${registry}`;
    const context = { chainId: 31337, registry, issuerId, statusIndex: 9 };
    const p = prepareCredential(credential, context);
    const tree = buildCredentialTree([p.digest, prepareCredential(sampleBadge(), { ...context, statusIndex: 10 }).digest]);
    const key = chain.issuers[0]!.key;
    const hash = await chain.wallet(key).writeContract({ address: registry, abi: credentialRegistryAbi, functionName: "anchor", args: [bytesToHex(tree.root) as Hex], chain: null, account: key });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    return createBundle(
      { credential, salts: p.salts, hiddenFieldHashes: [], hiddenElements: [] },
      { ...context, validFrom: p.validFrom, validUntil: p.validUntil, leaf: tree.leaf(0), proof: tree.getProof(0), root: tree.root, txHash: Buffer.from(hash.slice(2), "hex"), blockNumber: Number(receipt.blockNumber) },
    );
  }
});
