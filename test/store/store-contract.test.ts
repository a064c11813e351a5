// The store contract (src/store/types.ts), one set of cases run against both implementations:
// SQLite on a real file and PostgreSQL on a real server. Both must return the same rows.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { openPostgresStore } from "../../src/store/postgres/store.ts";
import { openSqliteStore } from "../../src/store/sqlite/store.ts";
import type { NewCredential, Store } from "../../src/store/types.ts";
import { sharedPostgres } from "../helpers/postgres.ts";
import { describeStore } from "../helpers/store-suite.ts";

const SIGNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

const credential = (id: string, statusIndex: number, issuerId = 1): NewCredential => ({
  id,
  issuerId,
  statusIndex,
  content: JSON.stringify({ name: id, "z-last": 1, a: [2, 1] }),
  salts: new Uint8Array(32).fill(statusIndex + 1),
  digest: new Uint8Array(32).fill(statusIndex + 2),
  leaf: new Uint8Array(32).fill(statusIndex + 3),
  validFrom: 1_700_000_000,
  validUntil: 0,
  createdAt: 1_000 + statusIndex,
});

/** Each backend: how to open a fresh, empty store and how to dispose of it. */
const BACKENDS: { name: string; open(): Promise<{ store: Store; dispose(): Promise<void> }> }[] = [
  {
    name: "sqlite",
    async open() {
      const dir = mkdtempSync(join(tmpdir(), "credanchor-contract-"));
      const store = openSqliteStore(join(dir, "credanchor.db"));
      return { store, dispose: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
    },
  },
  {
    name: "postgres",
    async open() {
      const store = await openPostgresStore(await (await sharedPostgres()).createDatabase());
      return { store, dispose: () => store.close() };
    },
  },
];

/** A scenario touching every repository; returns everything it read, to compare across backends. */
async function scenario(store: Store): Promise<unknown[]> {
  const seen: unknown[] = [];
  await store.issuers.upsert({ id: 1, signer: SIGNER.toLowerCase(), listSize: 1024, at: 1 });
  await store.credentials.insertMany([credential("c1", 5), credential("c2", 9), credential("c3", 7)]);
  seen.push(await store.credentials.get("c2"), await store.credentials.queueDepths(), await store.credentials.nextForBatch(1, 2));
  const batchId = await store.transaction(async (tx) => {
    const id = await tx.batches.insert({ issuerId: 1, root: new Uint8Array(32).fill(9), size: 2, at: 50 });
    await tx.batches.setLeaves(id, new Uint8Array(64).fill(4));
    const claimed = await tx.credentials.claimForBatch(id, [1, 2]);
    const txId = await tx.outbox.enqueue({ signer: SIGNER, kind: "anchor", refId: id, data: "0xabcd", at: 60 });
    await tx.batches.setTx(id, txId);
    seen.push(claimed);
    return id;
  });
  const [open] = await store.outbox.open(SIGNER);
  await store.outbox.addAttempt(open!.id, { hash: `0x${"01".repeat(32)}`, nonce: 3, raw: "0x01", max_fee: "100", priority_fee: "2", sent_at: 70 });
  await store.outbox.addAttempt(open!.id, { hash: `0x${"02".repeat(32)}`, nonce: 3, raw: "0x02", max_fee: "200", priority_fee: "3", sent_at: 70 });
  seen.push(
    await store.outbox.update(open!.id, { state: "mined", nonce: 3, tx_hash: `0x${"02".repeat(32)}` as Hex, block_number: 12, block_hash: "0xbb", block_time: 99, gas_used: "50000", gas_price: "123456789012345678901" }, 80),
  );
  await store.batches.markMined(batchId, 81);
  seen.push(await store.outbox.attempts(open!.id), await store.outbox.recordedBlocks(SIGNER, 100, 5), await store.outbox.landedSince(SIGNER, 12), await store.outbox.byOwner(["anchor", "status"], batchId));
  seen.push(await store.batches.get(batchId), await store.credentials.queueDepths(), await store.credentials.queuedAfter(1, 0));
  seen.push(await store.batches.leaves(batchId), await store.batches.leaves(batchId + 1), await store.credentials.getAnchored("c2"), await store.credentials.getAnchored("c3"), await store.credentials.getAnchored("nope"));
  const changeId = await store.statusChanges.insert({ issuerId: 1, action: "revoke", reason: 2, indices: [5, 9], batchId: null, at: 90 });
  await store.credentials.applyStatus(1, "revoke", [5]);
  await store.statusChanges.noteError(changeId, "busy");
  seen.push(await store.statusChanges.get(changeId), await store.statusChanges.inFlight(1), await store.credentials.statuses(1, [5, 9, 11]));
  await store.credentialIds.remember(1, [{ mac: Buffer.alloc(32, 0xaa), credentialId: "c1" }, { mac: Buffer.alloc(32, 0xbb), credentialId: "c3" }]);
  seen.push(await store.credentialIds.known(1, [Buffer.alloc(32, 0xaa), Buffer.alloc(32, 0xbb), Buffer.alloc(32, 0xcc)]));
  await store.signedCredentials.insert({ credentialId: "c3", vcIdMac: Buffer.alloc(32, 0xdd), proof: "{}" });
  seen.push(await store.signedCredentials.find("nope", [Buffer.alloc(32, 0xdd)]));
  await store.apiKeys.insert({ id: "k1", issuer_id: null, secret_hash: Buffer.alloc(32, 1), label: "ops", created_at: 5, expires_at: null, issuer_scope: "[1]" });
  seen.push(await store.apiKeys.insert({ id: "k1", issuer_id: 1, secret_hash: Buffer.alloc(32, 2), label: null, created_at: 6, expires_at: 10, issuer_scope: null }, { orIgnore: true }));
  seen.push(await store.apiKeys.list(), await store.apiKeys.hasActiveAdmin(7), await store.apiKeys.revoke("k1", 8), await store.apiKeys.revoke("k1", 9), await store.apiKeys.findActive("k1", 9));
  await store.idempotency.save({ issuerId: 1, scope: "submit", key: "run-1", requestMac: Buffer.alloc(32, 3), response: JSON.stringify([{ id: "c1" }]), at: 100 });
  seen.push(await store.idempotency.find({ issuerId: 1, scope: "submit", key: "run-1", since: 50 }), await store.idempotency.find({ issuerId: 1, scope: "status", key: "run-1", since: 50 }));
  const link = (id: string, credentialId: string, expiresAt: number | null) => ({
    id,
    credential_id: credentialId,
    secret_hash: Buffer.alloc(32, id.charCodeAt(0)),
    bundle: `{"link":"${id}"}`,
    hidden: '["/name"]',
    created_by: "holder",
    created_at: 150,
    expires_at: expiresAt,
  });
  await store.shareLinks.insert(link("l1", "c1", null));
  await store.shareLinks.insert(link("l2", "c2", 160));
  await store.shareLinks.insert(link("l3", "c2", null));
  await store.shareLinks.setHolderKey({ credential_id: "c1", secret_hash: Buffer.alloc(32, 1), created_at: 150 });
  await store.shareLinks.setHolderKey({ credential_id: "c1", secret_hash: Buffer.alloc(32, 2), created_at: 151 });
  seen.push(await store.shareLinks.holderKey("c1"), await store.shareLinks.purgeExpired(159), await store.shareLinks.purgeExpired(160), await store.shareLinks.revoke("l3", 170), await store.shareLinks.revoke("l3", 171));
  seen.push(await store.shareLinks.list("c2"), await store.shareLinks.get("l1"));
  expect(await store.credentials.erase("c1", 200)).to.equal(true);
  seen.push(await store.shareLinks.get("l1"), await store.shareLinks.list("c1"), await store.shareLinks.holderKey("c1"));
  expect(await store.credentials.erase("c1", 201)).to.equal(false);
  await store.idempotency.forgetErased(1, "c1");
  seen.push(await store.credentials.get("c1"), await store.credentialIds.known(1, [Buffer.alloc(32, 0xaa)]), await store.idempotency.find({ issuerId: 1, scope: "submit", key: "run-1", since: 0 }));
  await store.webhooks.enqueue({ issuerId: 1, event: "batch.confirmed", payload: "{}", at: 10 });
  await store.issuers.setWebhook(1, "http://127.0.0.1:1/hook", "s3cret-s3cret-s3cret");
  seen.push(await store.webhooks.due(20, 5), await store.stats.counts(), await store.stats.oldestOpenTxAt());
  await store.meta.set("chainId", "31337");
  await store.meta.set("chainId", "1");
  seen.push(await store.meta.get("chainId"), await store.issuers.listSize(1), await store.issuers.isKnown(2));
  return seen;
}

const results = new Map<string, unknown[]>();

for (const backend of BACKENDS) {
  describe(`store contract: ${backend.name}`, function () {
    this.timeout(120_000);
    let store: Store;
    let dispose: () => Promise<void>;

    beforeEach(async function () {
      ({ store, dispose } = await backend.open());
    });
    afterEach(async function () {
      await dispose?.();
    });

    it("default: a scenario over every repository reads back what it wrote", async function () {
      const seen = await scenario(store);
      results.set(backend.name, seen);
      const [c2] = seen as [Record<string, unknown>];
      expect(c2).to.include({ id: "c2", seq: 2, issuer_id: 1, status_index: 9, revoked: 0, suspended: 0, batch_id: null, erased_at: null });
      expect(c2.content).to.equal(JSON.stringify({ name: "c2", "z-last": 1, a: [2, 1] }), "the text exactly as stored");
      expect(Buffer.isBuffer(c2.digest)).to.equal(true);
    });

    it("behavior: share links: revoking or expiring drops the bundle, erasing the credential deletes its links and holder key", async function () {
      await store.issuers.upsert({ id: 1, signer: "0x01", listSize: 1024, at: 1 });
      await store.credentials.insertMany([credential("a", 1), credential("b", 2)]);
      const row = { secret_hash: Buffer.alloc(32, 7), bundle: "{}", hidden: "[]", created_by: "issuer", created_at: 10 };
      await store.shareLinks.insert({ ...row, id: "x1", credential_id: "a", expires_at: 20 });
      await store.shareLinks.insert({ ...row, id: "x2", credential_id: "a", expires_at: null });
      await store.shareLinks.insert({ ...row, id: "x3", credential_id: "b", expires_at: null });
      await store.shareLinks.setHolderKey({ credential_id: "a", secret_hash: Buffer.alloc(32, 8), created_at: 10 });
      const again = await store.shareLinks.insert({ ...row, id: "x1", credential_id: "b", expires_at: null }).then(() => undefined, (e: Error) => e);
      expect(again, "a link id is unique").to.be.instanceOf(Error);
      expect(await store.shareLinks.purgeExpired(19)).to.equal(0);
      expect(await store.shareLinks.purgeExpired(20)).to.equal(1);
      expect((await store.shareLinks.get("x1"))?.bundle).to.equal(null);
      expect(await store.shareLinks.revoke("x2", 30)).to.equal(true);
      expect(await store.shareLinks.get("x2")).to.include({ bundle: null, revoked_at: 30 });
      expect(await store.shareLinks.revoke("nope", 30)).to.equal(false);
      await store.credentials.erase("a", 40);
      expect(await store.shareLinks.list("a")).to.deep.equal([]);
      expect(await store.shareLinks.holderKey("a")).to.equal(undefined);
      expect((await store.shareLinks.get("x3"))?.bundle, "another credential's link stays").to.equal("{}");
    });

    it("behavior: insertMany stores all or nothing (a status index already held rejects the whole call)", async function () {
      await store.issuers.upsert({ id: 1, signer: "0x01", listSize: 1024, at: 1 });
      await store.credentials.insertMany([credential("a", 1)]);
      const error = await store.credentials.insertMany([credential("b", 2), credential("c", 1)]).then(() => undefined, (e: Error) => e);
      expect(error).to.be.instanceOf(Error);
      expect(await store.credentials.get("b")).to.equal(undefined);
      expect([...(await store.credentials.queueDepths())]).to.deep.equal([[1, 1]]);
    });

    it("behavior: status index reservations: a reserved or held index is not reserved again; released or expired, it is", async function () {
      await store.issuers.upsert({ id: 1, signer: "0x01", listSize: 1024, at: 1 });
      await store.credentials.insertMany([credential("a", 5)]);
      const reserve = async (indices: number[], at = 100) => [...(await store.credentials.reserveIndices(1, indices, at))].sort((x, y) => x - y);
      expect(await reserve([1, 2, 3])).to.deep.equal([1, 2, 3]);
      if (store.kind === "sqlite") {
        // One process: its allocator alone decides, so the store grants every index asked.
        expect(await reserve([2, 3, 4, 5])).to.deep.equal([2, 3, 4, 5]);
        expect(await store.credentials.expireReservations(1_000, 1_000)).to.equal(0);
        return;
      }
      expect(await reserve([2, 3, 4, 5]), "reserved by the first draw, or held by credential a").to.deep.equal([4]);
      expect(await store.credentials.reserveIndices(2, [2], 100), "another issuer's list").to.deep.equal(new Set([2]));
      await store.credentials.releaseIndices(1, [2]);
      expect(await reserve([2, 3], 500)).to.deep.equal([2]);
      await store.credentials.insertMany([credential("b", 3)]);
      expect(await store.credentials.expireReservations(200, 50), "held by credential b since before 200: 3").to.equal(1);
      expect(await store.credentials.expireReservations(0, 500), "made before 500: 1, 4 and issuer 2's 2").to.equal(3);
      expect(await reserve([1, 2, 3, 4])).to.deep.equal([1, 4]);
    });

    it("behavior: a credential is never claimed by two batches (the second claim counts 0)", async function () {
      await store.issuers.upsert({ id: 1, signer: "0x01", listSize: 1024, at: 1 });
      await store.credentials.insertMany([credential("a", 1)]);
      const claim = async (fill: number) =>
        store.transaction(async (tx) => {
          const id = await tx.batches.insert({ issuerId: 1, root: new Uint8Array(32).fill(fill), size: 1, at: 1 });
          return tx.credentials.claimForBatch(id, [1]);
        });
      expect(await claim(1)).to.equal(1);
      expect(await claim(2)).to.equal(0);
    });

    it("behavior: a rejected transaction leaves nothing, and concurrent read-modify-write transactions are serialisable", async function () {
      const error = await store
        .transaction(async (tx) => {
          await tx.meta.set("inside", "1");
          throw new Error("abort");
        })
        .then(() => undefined, (e: Error) => e);
      expect(error?.message).to.equal("abort");
      expect(await store.meta.get("inside")).to.equal(undefined);
      await store.meta.set("counter", "0");
      await Promise.all(
        Array.from({ length: 12 }, () =>
          store.transaction(async (tx) => {
            const value = Number(await tx.meta.get("counter"));
            await new Promise((r) => setTimeout(r, 2));
            await tx.meta.set("counter", String(value + 1));
          }),
        ),
      );
      expect(await store.meta.get("counter")).to.equal("12");
    });
  });
}

describe("store contract: both implementations", function () {
  it("behavior: the scenario reads exactly the same rows from SQLite and PostgreSQL", function () {
    if (results.size < BACKENDS.length) this.skip(); // a backend's own scenario failed and says why
    expect(results.get("postgres")).to.deep.equal(results.get("sqlite"));
  });
});

// The store branch's shared contract suite (SQLite runs it in sqlite-store.test.ts), on PostgreSQL.
describeStore("postgres", async () => {
  const store = await openPostgresStore(await (await sharedPostgres()).createDatabase());
  return { store, cleanup: () => store.close() };
});
