// --private: the verifier reads the issuer's whole status list, so the RPC provider never sees
// which status index is checked; the verdicts are the same as in direct mode.
import { expect } from "chai";
import { createPublicClient, http, type PublicClient } from "viem";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { privateWordRange } from "../../src/verifier/chain-checks.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundles, type VerifyOptions } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };

describe("src/verifier private mode (real hardhat node)", function () {
  let chain: Chain;
  let stack: Stack;
  let bundles: unknown[];
  let indices: number[];
  const calls: string[] = [];
  let options: VerifyOptions;

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    const badges = ["P valid", "P revoked", "P suspended"].map((name) => {
      const c = sampleBadge();
      ((c.credentialSubject as JsonObject).achievement as JsonObject).name = name;
      return c;
    });
    const { credentials } = await stack.service.submitCredentials(1, { credentials: badges });
    await runUntil(stack, async () => (await Promise.all(credentials.map(async (c) => (await stack.service.getCredential(issuer1, c.id)).state === "confirmed"))).every(Boolean));
    const revoke = await stack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [credentials[1]!.id] });
    const suspend = await stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [credentials[2]!.id] });
    await runUntil(stack, async () => (await Promise.all([revoke, suspend].map(async (c) => (await stack.service.getStatusChange(issuer1, c.change.id)).state === "confirmed"))).every(Boolean));
    bundles = await Promise.all(credentials.map(async (c) => (await stack.service.getCredential(issuer1, c.id)).bundle));
    indices = credentials.map((c) => c.statusIndex);
    // A transport that records every request body: an observer on the wire, the chain is real.
    const recorder: typeof fetch = async (input, init) => {
      calls.push(String(init?.body ?? ""));
      return fetch(input, init);
    };
    const client = createPublicClient({ transport: http(chain.url, { fetchFn: recorder, retryCount: 0 }) }) as PublicClient;
    const book = chain.addressBook();
    options = { trust: createTrustList([book]), rpc: () => client };
  });

  after(async function () {
    await closeStack(stack);
  });

  const seen = (index: number) => calls.some((body) => body.toLowerCase().includes(index.toString(16).padStart(64, "0")));
  const statusCodes = (reports: Awaited<ReturnType<typeof verifyBundles>>) => reports.map((r) => `${r.verdict}:${r.checks.find((c) => c.name === "status")!.code}`);

  it("behavior: same verdicts as direct mode; the status indices never appear in what the RPC endpoint receives", async function () {
    calls.length = 0;
    const direct = await verifyBundles(bundles, options);
    expect(statusCodes(direct)).to.deep.equal(["valid:ACTIVE", "invalid:REVOKED", "invalid:SUSPENDED"]);
    expect(indices.every(seen), "direct mode sends the indices (control)").to.equal(true);

    calls.length = 0;
    const hidden = await verifyBundles(bundles, { ...options, privacy: "private" });
    expect(statusCodes(hidden)).to.deep.equal(statusCodes(direct));
    expect(indices.filter(seen), "indices seen by the RPC endpoint in private mode").to.deep.equal([]);
    expect(calls.filter((c) => c.includes("eth_call")).length).to.be.at.most(3); // facts + one status list (+ chain id batching)
  });

  it("default: the range read covers the index's word and rounds up to a power of two (at least 16 words)", function () {
    expect(privateWordRange(0n)).to.equal(16n);
    expect(privateWordRange(15n)).to.equal(16n);
    expect(privateWordRange(16n)).to.equal(32n);
    expect(privateWordRange(511n)).to.equal(512n);
    expect(privateWordRange(512n)).to.equal(1024n);
  });
});
