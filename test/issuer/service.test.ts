// The issuer service end to end on a real `hardhat node` and a real SQLite file: accept, batch,
// anchor, bundle verifies; statuses on-chain; idempotency; isolation between issuers; erasure.
import { expect } from "chai";
import type { Hex } from "viem";
import type { JsonObject } from "../../src/core/json.ts";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle, type VerifyOptions } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, ISSUER_IDENTITIES, openStack, removeDir, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

/** The sample badge, named, issued by test issuer 1 or 2 (its on-chain identity as `issuer.id`). */
function badge(name: string, issuerId: 1 | 2 = 1): JsonObject {
  const credential = sampleBadge();
  ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  (credential.issuer as JsonObject).id = ISSUER_IDENTITIES[issuerId];
  return credential;
}

async function expectCode(fn: () => unknown, code: string): Promise<void> {
  try {
    await fn();
  } catch (error) {
    expect((error as { code?: string }).code, (error as Error).message).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("src/issuer/service.ts (real chain, real SQLite)", function () {
  let chain: Chain;
  let stack: Stack;
  let verifyOptions: VerifyOptions;
  const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k1" };
  const issuer2: Principal = { kind: "issuer", issuerId: 2, keyId: "k2" };
  const admin: Principal = { kind: "admin", keyId: "ka" };

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    const book = chain.addressBook();
    verifyOptions = { trust: createTrustList([book]), rpc: { 31337: chain.url } };
  });

  after(async function () {
    await closeStack(stack);
  });

  const anchored = (id: string) => async () => ["anchored", "confirmed"].includes((await stack.service.getCredential(issuer1, id)).state);

  it("default: accepted credentials are batched, anchored once, and their bundles verify", async function () {
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("A"), badge("B"), badge("C")] });
    expect(credentials).to.have.length(3);
    expect(new Set(credentials.map((c) => c.statusIndex)).size).to.equal(3);
    expect((await stack.service.getCredential(issuer1, credentials[0]!.id)).state).to.equal("queued");
    await runUntil(stack, async () => (await Promise.all(credentials.map((c) => anchored(c.id)()))).every(Boolean));

    const views = await Promise.all(credentials.map((c) => stack.service.getCredential(issuer1, c.id)));
    expect(views.map((v) => v.state)).to.deep.equal(["confirmed", "confirmed", "confirmed"]); // K = 0
    const batchIds = new Set(views.map((v) => v.batchId));
    expect(batchIds.size).to.equal(1);
    const batch = await stack.service.getBatch(issuer1, views[0]!.batchId!);
    expect(batch).to.include({ size: 3, state: "confirmed", issuerId: 1 });
    expect(batch.tx!.hash).to.match(/^0x[0-9a-f]{64}$/);
    expect(Number(batch.tx!.gasUsed)).to.be.greaterThan(21_000);
    expect(batch.gasPerCredential).to.equal(Math.round(Number(batch.tx!.gasUsed) / 3));

    // On-chain: the root is anchored by issuer 1, in the tx the bundle names.
    const onChain = await chain.publicClient.readContract({ address: chain.registry, abi: credentialRegistryAbi, functionName: "verify", args: [1n, batch.root as Hex, 0n] });
    expect(onChain.anchored).to.equal(true);
    expect(Number(onChain.issuerId)).to.equal(1);
    expect(onChain.signer).to.equal(chain.issuers[0]!.key.address);
    for (const view of views) {
      expect(view.bundle!.txHash).to.equal(batch.tx!.hash);
      expect(view.bundle!.root).to.equal(batch.root);
      const report = await verifyBundle(view.bundle, verifyOptions);
      expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    }
    // Exactly one anchor transaction for the batch.
    expect((await stack.rows("SELECT count(*) AS n FROM chain_txs WHERE kind = 'anchor'"))[0]!.n).to.equal(1);
  });

  it("behavior: a batch closes at N credentials; the rest waits for the next", async function () {
    const small = await openStack(chain, { batch: { maxSize: 4, maxWaitMs: 60_000 } });
    try {
      await small.service.submitCredentials(1, { credentials: Array.from({ length: 6 }, (_, k) => badge(`N${k}`)) });
      expect(await small.pipeline.closeDueBatches()).to.have.length(1); // 4 of 6, the 2 wait for T
      expect(await small.pipeline.closeDueBatches()).to.have.length(0);
      expect((await small.service.stats()).credentialsByState.queued).to.equal(2);
    } finally {
      await small.close();
      removeDir(small.dir);
    }
  });

  it("behavior: credentials accepted while the pipeline counts the queue are not lost from its count (they batch next round)", async function () {
    const small = await openStack(chain, { batch: { maxSize: 4, maxWaitMs: 60_000 } });
    try {
      await small.service.submitCredentials(1, { credentials: Array.from({ length: 4 }, (_, k) => badge(`C${k}`)) });
      // The count is read (4 queued), and before the pipeline sees it 4 more are stored and told.
      const count = small.store.credentials.queueDepths.bind(small.store.credentials);
      let release!: () => void;
      let counted!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const read = new Promise<void>((resolve) => (counted = resolve));
      small.store.credentials.queueDepths = async () => {
        const depths = await count();
        counted();
        await gate;
        return depths;
      };
      const round = small.pipeline.closeDueBatches();
      await read;
      await small.service.submitCredentials(1, { credentials: Array.from({ length: 4 }, (_, k) => badge(`D${k}`)) });
      release();
      expect(await round).to.have.length(1);
      small.store.credentials.queueDepths = count;
      expect(await small.pipeline.closeDueBatches(), "the 4 told during the count are due too").to.have.length(1);
      expect((await small.service.stats()).credentialsByState.queued).to.equal(0);
    } finally {
      await small.close();
      removeDir(small.dir);
    }
  });

  it("behavior: Idempotency-Key: same body → same answer, other body → IDEMPOTENCY_CONFLICT", async function () {
    const body = [badge("Idem")];
    const first = await stack.service.submitCredentials(1, { credentials: body, idempotencyKey: "k-1" });
    const again = await stack.service.submitCredentials(1, { credentials: body, idempotencyKey: "k-1" });
    expect(again.replayed).to.equal(true);
    expect(again.credentials).to.deep.equal(first.credentials);
    await expectCode(() => stack.service.submitCredentials(1, { credentials: [badge("Other")], idempotencyKey: "k-1" }), "IDEMPOTENCY_CONFLICT");
    // Keys are per issuer: issuer 2 may use the same key for its own request.
    expect((await stack.service.submitCredentials(2, { credentials: [badge("Idem", 2)], idempotencyKey: "k-1" })).replayed).to.equal(false);
  });

  it("error: invalid credentials are refused with every problem's path, and nothing is stored", async function () {
    const before = (await stack.rows("SELECT count(*) AS n FROM credentials"))[0]!.n;
    const broken = badge("X");
    delete ((broken.credentialSubject as JsonObject).achievement as JsonObject).name;
    try {
      await stack.service.submitCredentials(1, { credentials: [badge("fine"), broken, "not an object"] });
      expect.fail("accepted");
    } catch (error) {
      const e = error as { code: string; details: { path: string }[] };
      expect(e.code).to.equal("CREDENTIAL_INVALID");
      expect(e.details.map((d) => d.path)).to.include("credentials[1].credentialSubject.achievement.name");
      expect(e.details.map((d) => d.path)).to.include("credentials[2]");
    }
    expect((await stack.rows("SELECT count(*) AS n FROM credentials"))[0]!.n).to.equal(before);
    await expectCode(() => stack.service.submitCredentials(1, { credentials: [] }), "REQUEST_INVALID");
  });

  it("error: issuers are isolated: another issuer's credential is NOT_FOUND, exactly like a missing one (issue 10, item 15)", async function () {
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Mine")] });
    const id = credentials[0]!.id;
    await expectCode(() => stack.service.getCredential(issuer2, id), "NOT_FOUND");
    await expectCode(() => stack.service.requestStatusChange(issuer2, { action: "revoke", credentialIds: [id] }), "NOT_FOUND");
    await expectCode(() => stack.service.eraseCredential(issuer2, id), "NOT_FOUND");
    await expectCode(() => stack.service.requestStatusChange(issuer2, { action: "revoke", statusIndices: [credentials[0]!.statusIndex] }), "NOT_FOUND");
    await expectCode(() => stack.service.createApiKey(issuer1, 1), "FORBIDDEN");
    await expectCode(() => stack.service.getCredential(issuer1, "no-such-id"), "NOT_FOUND");
    expect((await stack.service.getCredential(admin, id)).issuerId).to.equal(1);
    expect(await stack.service.authenticate(stack.tokens[2]!)).to.deep.include({ kind: "issuer", issuerId: 2 });
    expect(await stack.service.authenticate(stack.adminToken)).to.deep.include({ kind: "admin" });
    const token = stack.tokens[2]!;
    expect(await stack.service.authenticate(token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"))).to.equal(undefined);
    expect(await stack.service.authenticate("nonsense")).to.equal(undefined);
  });

  it("default: revoke, suspend and reinstate reach the chain in bulk and the verifier sees them", async function () {
    const { credentials } = await stack.service.submitCredentials(1, { credentials: Array.from({ length: 5 }, (_, k) => badge(`S${k}`)) });
    await runUntil(stack, async () => (await Promise.all(credentials.map((c) => anchored(c.id)()))).every(Boolean));
    const [a, b, c] = credentials;
    const revoke = await stack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [a!.id, b!.id], reason: 3, idempotencyKey: "r1" });
    expect(revoke.change.state).to.equal("pending");
    expect((await stack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [a!.id, b!.id], reason: 3, idempotencyKey: "r1" })).change.id).to.equal(revoke.change.id);
    const suspend = await stack.service.requestStatusChange(issuer1, { action: "suspend", statusIndices: [c!.statusIndex] });
    await runUntil(stack, async () => (await stack.service.getStatusChange(issuer1, suspend.change.id)).state === "confirmed");
    expect((await stack.service.getStatusChange(issuer1, revoke.change.id)).state).to.equal("confirmed");

    const verdictOf = async (id: string) => (await verifyBundle((await stack.service.getCredential(issuer1, id)).bundle, verifyOptions));
    expect((await verdictOf(a!.id)).checks.find((k) => k.name === "status")!.code).to.equal("REVOKED");
    expect((await verdictOf(c!.id)).checks.find((k) => k.name === "status")!.code).to.equal("SUSPENDED");
    expect(await stack.service.getCredential(issuer1, a!.id)).to.include({ revoked: true, suspended: false });

    const reinstate = await stack.service.requestStatusChange(issuer1, { action: "reinstate", credentialIds: [c!.id] });
    await runUntil(stack, async () => (await stack.service.getStatusChange(issuer1, reinstate.change.id)).state === "confirmed");
    expect((await verdictOf(c!.id)).verdict).to.equal("valid");
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "reinstate", credentialIds: [a!.id] }), "CONFLICT");
  });

  it("default: revoking a whole batch root", async function () {
    const { credentials } = await stack.service.submitCredentials(2, { credentials: [badge("R1", 2), badge("R2", 2)] });
    const issuer2Anchored = async () => (await Promise.all(credentials.map(async (c) => ["anchored", "confirmed"].includes((await stack.service.getCredential(issuer2, c.id)).state)))).every(Boolean);
    await runUntil(stack, issuer2Anchored);
    const batchId = (await stack.service.getCredential(issuer2, credentials[0]!.id)).batchId!;
    // Another issuer's batch and revocation ids answer NOT_FOUND, as ids that do not exist (item 15).
    await expectCode(() => stack.service.requestStatusChange(issuer1, { action: "revoke", batchId }), "NOT_FOUND");
    await expectCode(() => stack.service.getBatch(issuer1, batchId), "NOT_FOUND");
    const change = await stack.service.requestStatusChange(issuer2, { action: "revoke", batchId });
    await expectCode(() => stack.service.getStatusChange(issuer1, change.change.id), "NOT_FOUND");
    await runUntil(stack, async () => (await stack.service.getStatusChange(issuer2, change.change.id)).state === "confirmed");
    expect((await stack.service.getBatch(issuer2, batchId)).rootRevoked).to.equal(true);
    const report = await verifyBundle((await stack.service.getCredential(issuer2, credentials[1]!.id)).bundle, verifyOptions);
    expect(report.checks.find((k) => k.name === "status")!.code).to.equal("BATCH_REVOKED");
  });

  it("default: erasure drops content and salts, keeps a tombstone, and the holder's bundle still verifies", async function () {
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Erase me")] });
    const id = credentials[0]!.id;
    await runUntil(stack, anchored(id));
    const held = (await stack.service.getCredential(issuer1, id)).bundle!;
    const tombstone = await stack.service.eraseCredential(issuer1, id);
    expect(tombstone).to.include({ id, leaf: held.leaf, erasedBy: "issuer:1:k1" });
    const row = (await stack.store.credentials.get(id))!;
    expect({ content: row.content, salts: row.salts }).to.deep.equal({ content: null, salts: null });
    expect(await stack.store.credentials.content(row.seq)).to.equal(null);
    const view = await stack.service.getCredential(issuer1, id);
    expect(view.erasedAt).to.be.a("string");
    expect(view.credential).to.equal(undefined);
    expect(view.bundle).to.equal(undefined);
    await expectCode(() => stack.service.eraseCredential(issuer1, id), "GONE");
    const audit = (await stack.rows("SELECT actor, action, subject, details FROM audit_log WHERE subject = ?", id))[0] as { details: string };
    expect(audit).to.include({ actor: "issuer:1:k1", action: "erase", subject: id });
    expect(JSON.parse(audit.details)).to.deep.equal({ leaf: held.leaf, issuerId: 1 });
    // Nothing in the database still holds the person's name.
    const dump = await stack.rows("SELECT * FROM credentials WHERE id = ?", id);
    expect(JSON.stringify(dump)).not.to.include("Erase me");
    expect((await verifyBundle(held, verifyOptions)).verdict).to.equal("valid");
  });

  it("behavior: large requests are hashed on worker threads; concurrent retries with one key store once", async function () {
    const body = Array.from({ length: 300 }, (_, k) => badge(`Pool ${k}`));
    const before = (await stack.rows("SELECT count(*) AS n FROM credentials"))[0]!.n as number;
    const [a, b] = await Promise.all([
      stack.service.submitCredentials(1, { credentials: body, idempotencyKey: "race" }),
      stack.service.submitCredentials(1, { credentials: body, idempotencyKey: "race" }),
    ]);
    expect(a.credentials).to.deep.equal(b.credentials);
    expect([a.replayed, b.replayed].sort()).to.deep.equal([false, true]);
    expect((await stack.rows("SELECT count(*) AS n FROM credentials"))[0]!.n).to.equal(before + 300);
    const ids = [a.credentials[0]!.id, a.credentials[299]!.id];
    await runUntil(stack, async () => (await Promise.all(ids.map((id) => anchored(id)()))).every(Boolean));
    for (const id of ids) expect((await verifyBundle((await stack.service.getCredential(issuer1, id)).bundle, verifyOptions)).verdict).to.equal("valid");
  });

  it("error: a credential whose dates cannot be read is refused with its index", async function () {
    const bad = badge("Bad date");
    bad.validFrom = "yesterday";
    try {
      await stack.service.submitCredentials(1, { credentials: [badge("ok"), bad] });
      expect.fail("accepted");
    } catch (error) {
      const e = error as { code: string; details: { path: string }[] };
      expect(e.code).to.equal("CREDENTIAL_INVALID");
      expect(e.details[0]!.path).to.match(/^credentials\[1\]\.validFrom/);
    }
  });

  it("behavior: a fresh database never hands out an index whose bits are already set on-chain", async function () {
    // Issuer 2 revokes all of word 0 directly on-chain (as a lost database or another tool would).
    const wallet = chain.wallet(chain.issuers[1]!.key);
    const hash = await wallet.writeContract({
      address: chain.registry,
      abi: credentialRegistryAbi,
      functionName: "updateStatusWords",
      args: [0, [0n], [(1n << 256n) - 1n], 0],
      account: chain.issuers[1]!.key,
      chain: wallet.chain ?? null,
    });
    await chain.publicClient.waitForTransactionReceipt({ hash });
    const fresh = await openStack(chain, { statusListSize: 512 });
    try {
      const { credentials } = await fresh.service.submitCredentials(2, { credentials: Array.from({ length: 200 }, (_, k) => badge(`Fresh ${k}`, 2)) });
      expect(credentials.filter((c) => c.statusIndex < 256).map((c) => c.statusIndex)).to.deep.equal([]);
    } finally {
      await fresh.close();
      removeDir(fresh.dir);
    }
  });

  it("behavior: readiness and stats reflect the database and the chain", async function () {
    const ready = await stack.service.readiness();
    expect(ready.ready).to.equal(true);
    expect(ready.checks.chain.message).to.match(/chain 31337 at block \d+/);
    const stats = await stack.service.stats();
    expect(stats.gasUsedTotal > 0n).to.equal(true);
    expect(stats.batchesByState.confirmed).to.be.greaterThan(0);
  });
});
