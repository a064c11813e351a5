// A malicious or broken RPC endpoint between the verifier and a real chain: wrong data must give
// "error" (could not decide) or "invalid", never a false "valid" where the lie is detectable.
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundles, type VerifyOptions } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };
type Rpc = { id: unknown; method: string; params?: unknown[] };
type Mode = "honest" | "garbage" | "empty" | "wrong-chain" | "short" | "error" | "slow-null";

describe("the verifier behind a malicious RPC endpoint (real chain behind it)", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let proxy: Server;
  let mode: Mode = "honest";
  let bundles: unknown[];
  let options: VerifyOptions;

  /** Forwards to the real node, then lies according to `mode`. */
  async function answer(call: Rpc): Promise<unknown> {
    const upstream = (await (await fetch(chain.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(call) })).json()) as { result?: unknown; error?: unknown };
    const reply: Record<string, unknown> = { jsonrpc: "2.0", id: call.id, ...upstream };
    if (call.method === "eth_chainId" && mode === "wrong-chain") reply.result = "0x1";
    if (call.method === "eth_call") {
      if (mode === "garbage") reply.result = "0x" + "13".repeat(200);
      if (mode === "empty") reply.result = "0x";
      if (mode === "short" && typeof upstream.result === "string") reply.result = upstream.result.slice(0, Math.floor(upstream.result.length / 2));
      if (mode === "error") {
        delete reply.result;
        reply.error = { code: -32000, message: "execution reverted" };
      }
    }
    if (call.method === "eth_getTransactionByHash" && mode === "slow-null") reply.result = null;
    return reply;
  }

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    const { credentials } = await stack.service.submitCredentials(1, {
      credentials: ["M1", "M2", "M3"].map((n) => {
        const c = sampleBadge();
        ((c.credentialSubject as JsonObject).achievement as JsonObject).name = n;
        return c;
      }),
    });
    await runUntil(stack, async () => (await Promise.all(credentials.map(async (c) => (await stack.service.getCredential(issuer1, c.id)).state === "confirmed"))).every(Boolean));
    bundles = await Promise.all(credentials.map(async (c) => (await stack.service.getCredential(issuer1, c.id)).bundle));
    proxy = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", async () => {
        const parsed = JSON.parse(body) as Rpc | Rpc[];
        const out = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const book = chain.addressBook();
    options = { trust: createTrustList([book]), rpc: { 31337: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` } };
  });
  after(async function () {
    await new Promise((r) => proxy?.close(r));
    await closeStack(stack);
  });

  for (const [lie, expected] of [
    ["garbage", "error"],
    ["empty", "error"],
    ["short", "error"],
    ["error", "error"],
    ["wrong-chain", "error"],
    ["slow-null", "invalid"],
  ] as const) {
    it(`error: an endpoint answering ${lie} → ${expected}, never valid`, async function () {
      mode = "honest";
      // Fresh options per case: the chain id an endpoint serves is remembered for a minute.
      const honest = await verifyBundles(bundles, { ...options, rpc: { ...(options.rpc as Record<number, string>) } });
      expect(honest.map((r) => r.verdict)).to.deep.equal(["valid", "valid", "valid"]);
      mode = lie;
      const reports = await verifyBundles(bundles, { ...options, rpc: { ...(options.rpc as Record<number, string>) } });
      expect(reports.map((r) => r.verdict), JSON.stringify(reports[0]!.checks.slice(3, 6))).to.deep.equal([expected, expected, expected]);
    });
  }
});
