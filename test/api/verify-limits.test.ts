// POST /v1/verify cannot be turned into an amplifier (security review, issue 10 item 3): a bundle
// with status index 2^32 − 1 once made 8,192 getStatusWords calls that went on after the answer.
// Every chain call is counted on the wire by a recording proxy in front of a real node.
import { request } from "node:http";
import { Writable } from "node:stream";
import { expect } from "chai";
import pino from "pino";
import { toFunctionSelector, type Hex } from "viem";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";
import { createBundle, type Bundle } from "../../src/core/bundle.ts";
import { bytesToHex } from "../../src/core/encoding.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { PRIVATE_MAX_WORDS, PRIVATE_MAX_WORDS_PER_REQUEST, WORDS_PER_CALL } from "../../src/verifier/chain-checks.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { sampleBadge } from "../core/helpers.ts";
import { startRpcRecorder, type RpcRecorder } from "../helpers/rpc-recorder.ts";
import { closeStack, openStack, serveApi, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { call, expectError } from "./http.ts";

const STATUS_WORDS = toFunctionSelector("getStatusWords(uint64,uint256,uint256)");
const LAST_INDEX = 2 ** 32 - 1;
const BLOCK = PRIVATE_MAX_WORDS * 256; // statuses in one private range of PRIVATE_MAX_WORDS words

describe("POST /v1/verify: bounded chain work per request (real node, calls counted on the wire)", function () {
  let chain: Chain;
  let stack: Stack;
  let recorder: RpcRecorder;
  const closers: (() => Promise<void>)[] = [];

  /** Badges of issuer 1 at `indices`, one tree, anchored by issuer 1 directly (unless `anchor` is false). */
  async function bundlesAt(indices: number[], { anchor = true } = {}): Promise<Bundle[]> {
    const prepared = indices.map((statusIndex) => {
      const credential = sampleBadge();
      ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = `Index ${statusIndex}`;
      const context = { chainId: 31337, registry: chain.registry, issuerId: 1, statusIndex };
      return { credential, context, ...prepareCredential(credential, context) };
    });
    const tree = buildCredentialTree(prepared.map((p) => p.digest));
    let txHash = `0x${"ab".repeat(32)}`;
    let blockNumber = 1;
    if (anchor) {
      const hash = await chain.wallet(chain.issuers[0]!.key).writeContract({ address: chain.registry, abi: credentialRegistryAbi, functionName: "anchor", args: [bytesToHex(tree.root) as Hex], chain: null, account: chain.issuers[0]!.key });
      const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
      txHash = hash;
      blockNumber = Number(receipt.blockNumber);
    }
    return prepared.map((p, k) =>
      createBundle(
        { credential: p.credential, salts: p.salts, hiddenFieldHashes: [], hiddenElements: [] },
        { ...p.context, validFrom: p.validFrom, validUntil: p.validUntil, leaf: tree.leaf(k), proof: tree.getProof(k), root: tree.root, txHash: Buffer.from(txHash.slice(2), "hex"), blockNumber },
      ),
    );
  }

  async function serve(limits: Record<string, unknown> = {}, logs?: Writable): Promise<string> {
    const api = await serveApi(stack, {
      verify: { trust: createTrustList([chain.addressBook()]), rpc: { 31337: recorder.url } },
      limits,
      ...(logs ? { logger: pino({ level: "info" }, logs) } : {}),
    });
    closers.push(async () => {
      api.server.closeAllConnections();
      await api.close();
    });
    return api.base;
  }

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    recorder = await startRpcRecorder(chain.url);
  });

  after(async function () {
    for (const close of closers) await close();
    await recorder?.close();
    await closeStack(stack);
  });

  it("error: the reviewer's bundle (index 2^32 − 1, root never anchored) costs 3 calls in private mode and reads no status word", async function () {
    const base = await serve();
    const [crafted] = await bundlesAt([LAST_INDEX], { anchor: false });
    recorder.calls.length = 0;
    const r = await call(base, "POST", "/v1/verify", { body: { bundle: crafted, private: true } });
    expect(r.status, r.text).to.equal(200);
    expect(r.body.results[0].checks[3]).to.deep.include({ outcome: "fail", code: "ROOT_NOT_ANCHORED" });
    // eth_chainId, the verify() views, eth_blockNumber (is the anchor's block on this chain?).
    expect(recorder.calls.map((c) => c.method)).to.deep.equal(["eth_chainId", "eth_call", "eth_blockNumber"]);
    expect(recorder.callsTo(STATUS_WORDS)).to.have.length(0);
    // Three of them in one request: the same views call, still no status read.
    recorder.calls.length = 0;
    const three = await call(base, "POST", "/v1/verify", { body: { bundles: [crafted, crafted, crafted], private: true } });
    expect(three.status).to.equal(200);
    expect(recorder.calls.length).to.be.at.most(3);
  });

  it("behavior: an anchored bundle at index 2^32 − 1 reads one block of PRIVATE_MAX_WORDS words (2 calls), and its bit is the right one", async function () {
    const base = await serve();
    const [last, first] = await bundlesAt([LAST_INDEX, 5]);
    const revoke = await chain.wallet(chain.issuers[0]!.key).writeContract({ address: chain.registry, abi: credentialRegistryAbi, functionName: "updateStatus", args: [0, BigInt(LAST_INDEX), 1], chain: null, account: chain.issuers[0]!.key });
    await chain.publicClient.waitForTransactionReceipt({ hash: revoke });
    recorder.calls.length = 0;
    const r = await call(base, "POST", "/v1/verify", { body: { bundles: [last, first], private: true } });
    expect(r.status, r.text).to.equal(200);
    expect(r.body.results.map((x: { verdict: string }) => x.verdict)).to.deep.equal(["invalid", "valid"]);
    expect(r.body.results[0].checks[5]).to.deep.include({ outcome: "fail", code: "REVOKED" });
    // The top block (PRIVATE_MAX_WORDS words, WORDS_PER_CALL a call) plus the first 16 words.
    expect(recorder.callsTo(STATUS_WORDS)).to.have.length(PRIVATE_MAX_WORDS / WORDS_PER_CALL + 1);
    expect(recorder.calls.length).to.be.at.most(2 + PRIVATE_MAX_WORDS / WORDS_PER_CALL + 1 + 1); // + chain id, views, transaction
  });

  it("behavior: one request reads at most PRIVATE_MAX_WORDS_PER_REQUEST status words; the rest is undecided (PRIVATE_READ_LIMIT), never a verdict", async function () {
    const base = await serve();
    const ranges = PRIVATE_MAX_WORDS_PER_REQUEST / PRIVATE_MAX_WORDS;
    // One index in each of ranges + 1 distinct top blocks of 2M statuses.
    const bundles = await bundlesAt(Array.from({ length: ranges + 1 }, (_, k) => LAST_INDEX - 1 - k * BLOCK));
    recorder.calls.length = 0;
    const r = await call(base, "POST", "/v1/verify", { body: { bundles, private: true } });
    expect(r.status, r.text).to.equal(200);
    expect(recorder.callsTo(STATUS_WORDS)).to.have.length(PRIVATE_MAX_WORDS_PER_REQUEST / WORDS_PER_CALL);
    const verdicts = r.body.results.map((x: { verdict: string }) => x.verdict);
    expect(verdicts.slice(0, ranges)).to.deep.equal(Array(ranges).fill("valid"));
    expect(verdicts[ranges]).to.equal("error");
    expect(r.body.results[ranges].checks[5]).to.deep.include({ outcome: "skip", code: "PRIVATE_READ_LIMIT" });
  });

  it("error: a request that times out stops its chain reads (the read in flight is abandoned, none follows)", async function () {
    let logs = "";
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const base = await serve({ handlerTimeoutMs: 300 }, sink);
    const [bundle] = await bundlesAt([7]);
    recorder.calls.length = 0;
    recorder.hold(true);
    try {
      const r = await call(base, "POST", "/v1/verify", { body: { bundle, private: true } });
      expectError(r, 503, "TIMEOUT");
      await recorder.abandoned(1); // the verifier's HTTP client gave the held call up
      while (!logs.includes("handler ended after its timeout")) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      recorder.hold(false);
    }
    // The handler has ended: nothing more can be sent. It sent only the first call.
    expect(recorder.calls.map((c) => c.method)).to.deep.equal(["eth_chainId"]);
  });

  it("error: more requests than the client's budget get 429 RATE_LIMITED with Retry-After; another client is not affected", async function () {
    const base = await serve({ verifyRate: { perMinute: 1, burst: 2 } });
    const body = { bundle: {} };
    for (let k = 0; k < 2; k++) expect((await call(base, "POST", "/v1/verify", { body })).status).to.equal(200);
    recorder.calls.length = 0;
    const refused = await call(base, "POST", "/v1/verify", { body });
    expectError(refused, 429, "RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).to.be.within(1, 60);
    expect(recorder.calls).to.have.length(0);
    // The same server from 127.0.0.2: its own bucket.
    const other = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/v1/verify`, { method: "POST", localAddress: "127.0.0.2", headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.once("error", reject);
      req.end(JSON.stringify(body));
    });
    expect(other).to.equal(200);
  });

  it("error: more bundles than the server's cap is 400 REQUEST_INVALID naming the cap, before any chain read", async function () {
    const base = await serve({ verifyMaxBundles: 2 });
    recorder.calls.length = 0;
    const r = await call(base, "POST", "/v1/verify", { body: { bundles: [{}, {}, {}] } });
    expectError(r, 400, "REQUEST_INVALID");
    expect(r.body.error.details[0]).to.deep.equal({ path: "bundles", message: "at most 2 bundles per request on this server (got 3)" });
    expect(recorder.calls).to.have.length(0);
  });
});
