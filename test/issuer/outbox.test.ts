// The outbox never wedges (issue 10 item 2), on a real `hardhat node` and a real SQLite file: a batch
// revoked twice, a bulk status change larger than one transaction may be, a root anchored by
// someone else first (front-run from the mempool), a call that always reverts, and one that keeps
// failing for a reason nobody can name. After each, the signer's later anchors and status changes land.
import { expect } from "chai";
import type { Hex, LocalAccount } from "viem";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";
import { startLocalNode, type LocalNode } from "../../src/chain/local-node.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { STATUS_WORD_GAS, statusCalls, wordsPerStatusCall } from "../../src/issuer/status-parts.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { openStack, removeDir, runUntil, serveApi, startChain, type Chain, type Stack } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k1" };
const badge = (name: string): JsonObject => {
  const c = sampleBadge();
  ((c.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  return c;
};
const rpc = (chain: Chain, method: string, params: unknown[] = []) => chain.publicClient.request({ method: method as never, params: params as never });

async function send(chain: Chain, key: LocalAccount, functionName: "anchor" | "revokeRoot" | "setIssuerValidity", args: readonly unknown[], fees: { gas?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint } = {}): Promise<Hex> {
  const wallet = chain.wallet(key);
  return wallet.writeContract({ address: chain.registry, abi: credentialRegistryAbi, functionName, args: args as never, account: key, chain: wallet.chain ?? null, ...fees } as never);
}

async function expectCode(fn: () => unknown, code: string, message?: RegExp): Promise<void> {
  try {
    await fn();
  } catch (error) {
    expect((error as { code?: string }).code, (error as Error).message).to.equal(code);
    if (message) expect((error as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected ${code}`);
}

/** Proves the signer is not wedged: a new credential anchors and a status change lands. */
async function laterWorkLands(stack: Stack, label: string): Promise<void> {
  const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge(`${label} after`)] });
  const id = credentials[0]!.id;
  await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).state === "confirmed", 30_000);
  const change = (await stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [id] })).change;
  await runUntil(stack, async () => (await stack.service.getStatusChange(issuer1, change.id)).state === "confirmed", 30_000);
  expect((await stack.service.getCredential(issuer1, id)).suspended).to.equal(true);
}

async function anchoredBatch(stack: Stack, label: string, count = 2): Promise<{ ids: string[]; batchId: number }> {
  const { credentials } = await stack.service.submitCredentials(1, { credentials: Array.from({ length: count }, (_, k) => badge(`${label} ${k}`)) });
  const ids = credentials.map((c) => c.id);
  await runUntil(stack, async () => (await Promise.all(ids.map(async (id) => (await stack.service.getCredential(issuer1, id)).state === "confirmed"))).every(Boolean));
  return { ids, batchId: (await stack.service.getCredential(issuer1, ids[0]!)).batchId! };
}

describe("src/chain/sender.ts + src/issuer/service.ts: the outbox never wedges (real hardhat node)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let stack: Stack;

  let node: LocalNode | undefined;

  // One node for the file (a test pauses its mining: no other file's registry may share it), a
  // fresh registry with both issuers for each test (deploying one costs a fraction of a node start).
  before(async function () {
    node = await startLocalNode();
  });
  beforeEach(async function () {
    chain = await startChain({ node });
  });
  afterEach(async function () {
    if (stack) {
      await stack.close();
      removeDir(stack.dir);
    }
  });
  after(async function () {
    await node?.stop();
  });

  it("behavior: (a) a batch revoked twice: the second request is 409, a root already revoked on-chain counts as done, later work lands", async function () {
    stack = await openStack(chain);
    const { ids, batchId } = await anchoredBatch(stack, "Twice");
    const root = (await stack.service.getBatch(issuer1, batchId)).root as Hex;

    // The same root revoked behind the service's back (another tool, a restored backup).
    const hash = await send(chain, chain.issuers[0]!.key, "revokeRoot", [root, 1]);
    await chain.publicClient.waitForTransactionReceipt({ hash });

    const change = (await stack.service.requestStatusChange(issuer1, { action: "revoke", batchId })).change;
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "revoke", batchId }), "CONFLICT", /being revoked by revocation request/);
    await runUntil(stack, async () => (await stack.service.getStatusChange(issuer1, change.id)).state === "confirmed");
    const view = await stack.service.getStatusChange(issuer1, change.id);
    expect(view.progress).to.deep.equal({ transactions: 1, landed: 1, failed: 0 });
    const tx = (await stack.rows("SELECT outcome, failure FROM chain_txs WHERE kind = 'revokeRoot'"))[0];
    expect(tx).to.deep.equal({ outcome: "done", failure: "AnchorRootAlreadyRevoked" });
    expect((await stack.service.getBatch(issuer1, batchId)).rootRevoked).to.equal(true);
    expect((await stack.service.getCredential(issuer1, ids[0]!)).revoked).to.equal(true);
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "revoke", batchId }), "CONFLICT", /already revoked/);
    // A credential of a revoked batch can be neither suspended nor revoked again.
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [ids[1]!] }), "CONFLICT", /revocation is final/);

    await laterWorkLands(stack, "Twice");
  });

  it("behavior: (b) a bulk revocation touching ~1,900 words is split under the gas budget; every part lands and the view reports progress", async function () {
    stack = await openStack(chain, { statusListSize: 2 ** 19, batch: { maxSize: 10_000, maxWaitMs: 0 } });
    const credentials = [];
    for (let k = 0; k < 3; k++) credentials.push(...(await stack.service.submitCredentials(1, { credentials: Array.from({ length: 2_000 }, (_, j) => badge(`Bulk ${k}-${j}`)) })).credentials);
    const indices = credentials.map((c) => c.statusIndex);
    const words = new Set(indices.map((i) => i >> 8)).size;
    expect(words).to.be.greaterThan(1_850);

    // One transaction for all of it cannot be mined: the node refuses it (~740 fresh words already).
    const budget = 10_000_000;
    const expectedParts = Math.ceil(words / wordsPerStatusCall(budget));
    expect(statusCalls("revoke", indices, 0, budget)).to.have.length(expectedParts);
    expect(expectedParts).to.be.within(5, 7);

    const change = (await stack.service.requestStatusChange(issuer1, { action: "revoke", statusIndices: indices })).change;
    expect(change.progress).to.deep.equal({ transactions: expectedParts, landed: 0, failed: 0 });
    await runUntil(stack, async () => {
      const view = await stack.service.getStatusChange(issuer1, change.id);
      expect(view.progress.landed).to.be.at.most(expectedParts);
      return view.state === "confirmed";
    }, 120_000);
    const view = await stack.service.getStatusChange(issuer1, change.id);
    expect(view.progress).to.deep.equal({ transactions: expectedParts, landed: expectedParts, failed: 0 });
    expect(view.transactions).to.have.length(expectedParts);
    for (const tx of view.transactions!) {
      expect(Number(tx.gasUsed)).to.be.at.most(budget);
      const receipt = await chain.publicClient.getTransactionReceipt({ hash: tx.hash as Hex });
      expect(receipt.status).to.equal("success");
    }
    // The per-word bound the split relies on holds (each part writes fresh words).
    const perWord = Number(view.transactions![0]!.gasUsed) / wordsPerStatusCall(budget);
    expect(perWord).to.be.below(STATUS_WORD_GAS);

    // On-chain: every index is revoked; in the service too.
    const [revoked] = await chain.publicClient.readContract({ address: chain.registry, abi: credentialRegistryAbi, functionName: "getStatusWords", args: [1n, 0n, 2048n] });
    for (const index of indices) expect((revoked[index >> 8]! >> BigInt(index & 255)) & 1n, `index ${index}`).to.equal(1n);
    const stored = (await stack.rows("SELECT count(*) AS n FROM credentials WHERE issuer_id = 1 AND revoked = 1"))[0]!.n;
    expect(stored).to.equal(indices.length);

    await laterWorkLands(stack, "Bulk");
  });

  it("behavior: (b') a status change too large for one transaction fails for good (reason, metric, webhook) instead of blocking; later work lands", async function () {
    stack = await openStack(chain, { statusListSize: 2 ** 19, batch: { maxSize: 10_000, maxWaitMs: 0 }, statusGasBudget: 1_000_000_000 });
    await stack.rows("UPDATE issuers SET webhook_url = 'http://127.0.0.1:9/hook' WHERE id = 1");
    const { credentials } = await stack.service.submitCredentials(1, { credentials: Array.from({ length: 2_000 }, (_, j) => badge(`Huge ${j}`)) });
    const change = (await stack.service.requestStatusChange(issuer1, { action: "revoke", statusIndices: credentials.map((c) => c.statusIndex) })).change;
    expect(change.progress.transactions).to.equal(1);
    await runUntil(stack, async () => (await stack.service.getStatusChange(issuer1, change.id)).state === "failed", 60_000);
    const view = await stack.service.getStatusChange(issuer1, change.id);
    expect(view.error).to.match(/too large for one transaction/);
    expect(view.progress).to.deep.equal({ transactions: 1, landed: 0, failed: 1 });
    expect((await stack.service.stats()).chainTxsClosed).to.deep.include({ kind: "status", outcome: "failed", failure: "GasLimitExceeded", count: 1 });
    const hook = (await stack.rows("SELECT payload FROM webhook_deliveries WHERE event = 'revocation.failed'"))[0]!.payload as string;
    expect(JSON.parse(hook)).to.include({ event: "revocation.failed", revocationId: change.id, failure: "GasLimitExceeded" });
    // Nothing was mined for it, and its credentials can still be revoked (in smaller requests).
    expect((await stack.service.getCredential(issuer1, credentials[0]!.id)).revoked).to.equal(false);
    await laterWorkLands(stack, "Huge");
  });

  it("behavior: (c) a root front-run from the mempool by another issuer changes nothing (v2 keys anchors by issuer): ours lands as built, its bundles verify, later work lands", async function () {
    stack = await openStack(chain);
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Front A"), badge("Front B"), badge("Front C")] });
    const ids = credentials.map((c) => c.id);
    await rpc(chain, "evm_setAutomine", [false]);
    let frontRun: Hex;
    let firstRoot: Hex;
    try {
      await stack.pipeline.tick(); // builds the batch, signs and broadcasts anchor(root)
      const batchId = (await stack.service.getCredential(issuer1, ids[0]!)).batchId!;
      firstRoot = (await stack.service.getBatch(issuer1, batchId)).root as Hex;
      const ours = (await stack.rows("SELECT max_fee, priority_fee FROM tx_attempts"))[0] as { max_fee: string; priority_fee: string };
      // Issuer 2 copies the root from the mempool and outbids us.
      frontRun = await send(chain, chain.issuers[1]!.key, "anchor", [firstRoot], {
        gas: 100_000n,
        maxFeePerGas: BigInt(ours.max_fee) * 10n,
        maxPriorityFeePerGas: BigInt(ours.priority_fee) * 10n,
      });
      await rpc(chain, "evm_mine");
    } finally {
      await rpc(chain, "evm_setAutomine", [true]);
    }
    expect((await chain.publicClient.getTransactionReceipt({ hash: frontRun })).status).to.equal("success");
    const ourAttempt = (await stack.rows("SELECT hash FROM tx_attempts"))[0]!.hash as Hex;
    expect((await chain.publicClient.getTransactionReceipt({ hash: ourAttempt })).status).to.equal("success");

    await runUntil(stack, async () => (await Promise.all(ids.map(async (id) => (await stack.service.getCredential(issuer1, id)).state === "confirmed"))).every(Boolean), 30_000);
    const batch = await stack.service.getBatch(issuer1, (await stack.service.getCredential(issuer1, ids[0]!)).batchId!);
    expect(batch.root).to.equal(firstRoot);
    expect(batch.rebuilds ?? 0).to.equal(0);
    const verifyAs = (issuerId: bigint) => chain.publicClient.readContract({ address: chain.registry, abi: credentialRegistryAbi, functionName: "verify", args: [issuerId, batch.root as Hex, 0n] });
    expect(Number((await verifyAs(1n)).issuerId)).to.equal(1);
    expect(Number((await verifyAs(2n)).issuerId)).to.equal(2); // the copy is issuer 2's own record, not ours
    const trust = { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } };
    for (const id of ids) {
      const report = await verifyBundle((await stack.service.getCredential(issuer1, id)).bundle!, trust);
      expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    }
    await laterWorkLands(stack, "Front");
  });

  it("behavior: (c') a root another issuer anchored before we send: ours is anchored as built, one attempt, no rebuild", async function () {
    stack = await openStack(chain);
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Taken")] });
    const batchId = (await stack.pipeline.closeDueBatches())[0]!;
    const root = (await stack.service.getBatch(issuer1, batchId)).root as Hex;
    await chain.publicClient.waitForTransactionReceipt({ hash: await send(chain, chain.issuers[1]!.key, "anchor", [root]) });
    await runUntil(stack, async () => (await stack.service.getCredential(issuer1, credentials[0]!.id)).state === "confirmed");
    expect((await stack.service.getBatch(issuer1, batchId)).root).to.equal(root);
    expect((await stack.rows("SELECT count(*) AS n FROM tx_attempts"))[0]!.n).to.equal(1);
    await laterWorkLands(stack, "Taken");
  });

  it("behavior: a root already anchored by our own issuer (an attempt we lost track of, a restored database) is recorded, not rebuilt", async function () {
    stack = await openStack(chain);
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Ours already")] });
    const id = credentials[0]!.id;
    const batchId = (await stack.pipeline.closeDueBatches())[0]!;
    const root = (await stack.service.getBatch(issuer1, batchId)).root as Hex;
    const hash = await send(chain, chain.issuers[0]!.key, "anchor", [root]);
    await chain.publicClient.waitForTransactionReceipt({ hash });
    await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).state === "confirmed");
    const batch = await stack.service.getBatch(issuer1, batchId);
    expect(batch).to.include({ root, state: "confirmed" });
    expect(batch.rebuilds).to.equal(undefined);
    expect(batch.tx!.hash).to.equal(hash);
    const report = await verifyBundle((await stack.service.getCredential(issuer1, id)).bundle, { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } });
    expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    await laterWorkLands(stack, "Ours already");
  });

  it("behavior: one stuck item never blocks the others: a call that keeps reverting for an unknown reason backs off while later anchors and status changes land", async function () {
    stack = await openStack(chain);
    const signer = chain.issuers[0]!.key.address;
    // A registry call that always reverts without a reason we can decode (no such function).
    const stuck = await stack.store.outbox.enqueue({ signer, kind: "status", refId: 999_999, data: "0xdeadbeef", at: Date.now() });
    await laterWorkLands(stack, "Stuck");
    const row = (await stack.rows("SELECT state, outcome, errors, nonce FROM chain_txs WHERE id = ?", stuck))[0] as { state: string; outcome: string | null; errors: number; nonce: number | null };
    expect(row).to.include({ state: "queued", outcome: null, nonce: null }); // still retried, never holding a nonce
    expect(row.errors).to.be.greaterThan(0);
    // No nonce gap: every transaction of the signer was mined in order.
    const nonces = (await stack.rows("SELECT nonce FROM chain_txs WHERE nonce IS NOT NULL ORDER BY nonce")).map((r) => r.nonce as number);
    expect(nonces).to.deep.equal(nonces.map((_, k) => nonces[0]! + k));
  });

  it("behavior: an anchor that will always revert (issuer no longer accredited) fails its batch, visible in the API; status changes still land", async function () {
    stack = await openStack(chain);
    const api = await serveApi(stack);
    try {
      const { ids } = await anchoredBatch(stack, "Before");
      // The accreditor ends issuer 1's accreditation: anchors now revert IssuerNotAccredited.
      await chain.publicClient.waitForTransactionReceipt({ hash: await send(chain, chain.governance, "setIssuerValidity", [1n, 1, 2]) });
      const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Too late")] });
      const late = credentials[0]!.id;
      await runUntil(stack, async () => (await stack.service.getCredential(issuer1, late)).state === "failed");
      const batchId = (await stack.service.getCredential(issuer1, late)).batchId!;
      const response = await fetch(`${api.base}/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${stack.tokens[1]}` } });
      const body = (await response.json()) as { state: string; error: string };
      expect(response.status).to.equal(200);
      expect(body.state).to.equal("failed");
      expect(body.error).to.match(/^IssuerNotAccredited\(1, /);
      expect((await stack.service.stats()).batchesByState.failed).to.equal(1);
      await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "revoke", batchId }), "CONFLICT", /failed, not anchored/);

      // Status changes need no accreditation: they still land after the failed anchor.
      const change = (await stack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [ids[0]!] })).change;
      await runUntil(stack, async () => (await stack.service.getStatusChange(issuer1, change.id)).state === "confirmed");
      const conflict = await fetch(`${api.base}/v1/revocations`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.tokens[1]}`, "content-type": "application/json" },
        body: JSON.stringify({ action: "suspend", credentialIds: [ids[0]!] }),
      });
      expect(conflict.status).to.equal(409);
      const error = ((await conflict.json()) as { error: { code: string; details: { message: string }[] } }).error;
      expect(error.code).to.equal("CONFLICT");
      expect(error.details[0]!.message).to.match(/revocation is final/);
    } finally {
      await api.close();
    }
  });

  it("error: impossible or no-op status changes are 409 CONFLICT and queue nothing", async function () {
    stack = await openStack(chain);
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("C0"), badge("C1"), badge("C2")] });
    const [a, b, c] = credentials.map((x) => x.id) as [string, string, string];
    const before = (await stack.rows("SELECT count(*) AS n FROM chain_txs"))[0]!.n as number;
    // Nothing anchored yet: the batch cannot be revoked as a root, its credentials can.
    await stack.pipeline.closeDueBatches();
    const batchId = (await stack.service.getCredential(issuer1, a)).batchId!;
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "revoke", batchId }), "CONFLICT", /not anchored/);
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "reinstate", credentialIds: [a] }), "CONFLICT", /not suspended/);
    await stack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [a] });
    await stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [b] });
    // In flight counts as done already.
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [a] }), "CONFLICT", /already revoked/);
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [a] }), "CONFLICT", /revocation is final/);
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [b] }), "CONFLICT", /already suspended/);
    // All or nothing: one conflicting index refuses the whole request.
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [c, b] }), "CONFLICT");
    const queued = (await stack.rows("SELECT count(*) AS n FROM chain_txs"))[0]!.n as number;
    expect(queued).to.equal(before + 3); // the batch's anchor and the two accepted changes
    // Suspended then reinstated, then suspendable again; revoking a suspended one is fine.
    await stack.service.requestStatusChange(issuer1, { action: "reinstate", credentialIds: [b] });
    await stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [b] });
    await stack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [b] });
    await runUntil(stack, async () => (await stack.service.stats()).statusChangesByState.confirmed === 5);
    expect(await stack.service.getCredential(issuer1, b)).to.include({ revoked: true, suspended: true });
  });
});
