// Thousands of bundles from many batches in one verifyBundles call over plain HTTP JSON-RPC:
// the batched reads stay under the transport's limits (a JSON-RPC batch of every read at once
// once exceeded viem's 10 MB response limit and came back undecided). MANY_BUNDLES (default 2,000
// here: 10 chunks of VERIFICATIONS_PER_CALL reads in two JSON-RPC batches; `npm run test:scale`
// sets 10,000) credentials are issued in batches of 250.
import { expect } from "chai";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundles } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };
const BATCH = 250;
const COUNT = Number(process.env.MANY_BUNDLES ?? 2_000);
const REQUEST = Math.min(COUNT, 1_000);

describe("verifyBundles at scale (real hardhat node, HTTP transport)", function () {
  this.timeout(300_000);
  let chain: Chain;
  let stack: Stack;

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain, { batch: { maxSize: BATCH, maxWaitMs: 0 } });
  });
  after(async function () {
    await closeStack(stack);
  });

  it(`behavior: ${COUNT.toLocaleString("en")} bundles from ${COUNT / BATCH} batches verify in one call, all valid`, async function () {
    expect(COUNT % REQUEST === 0 && COUNT % BATCH === 0, "MANY_BUNDLES must be a multiple of 1,000 (or of 250 below it)").to.equal(true);
    const ids: string[] = [];
    for (let r = 0; r < COUNT / REQUEST; r++) {
      const { credentials } = await stack.service.submitCredentials(1, {
        credentials: Array.from({ length: REQUEST }, (_, k) => {
          const c = sampleBadge();
          ((c.credentialSubject as JsonObject).achievement as JsonObject).name = `Scale ${r}-${k}`;
          return c;
        }),
      });
      ids.push(...credentials.map((c) => c.id));
    }
    await runUntil(stack, async () => (await stack.service.getCredential(issuer1, ids.at(-1)!)).state === "confirmed", 120_000);
    const bundles = await Promise.all(ids.map(async (id) => (await stack.service.getCredential(issuer1, id)).bundle));
    expect(new Set(bundles.map((b) => b!.txHash)).size).to.equal(COUNT / BATCH);
    const reports = await verifyBundles(bundles, { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } });
    const verdicts = reports.reduce<Record<string, number>>((acc, r) => ((acc[r.verdict] = (acc[r.verdict] ?? 0) + 1), acc), {});
    expect(verdicts, JSON.stringify(reports.find((r) => r.verdict !== "valid")?.checks.slice(3, 6))).to.deep.equal({ valid: COUNT });
  });
});
