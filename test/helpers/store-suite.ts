// The behaviour every Store implementation must show (src/store/types.ts), as one suite each
// implementation's test runs over real storage: `describeStore("sqlite", openFreshStore)`.
import { expect } from "chai";
import type { NewCredential, Store } from "../../src/store/types.ts";

/** A credential row of issuer 1 for store tests (content and hashes are placeholders). */
export const credentialRow = (id: string, statusIndex: number, content = "{}"): NewCredential => ({
  id,
  issuerId: 1,
  statusIndex,
  content,
  salts: new Uint8Array(16),
  digest: new Uint8Array(32).fill(1),
  leaf: new Uint8Array(32).fill(statusIndex),
  validFrom: 0,
  validUntil: 0,
  createdAt: 1,
});

/**
 * Registers the shared store tests. `open` gives an empty store (schema applied) and a cleanup;
 * issuer 1 is recorded before each test.
 */
export function describeStore(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>): void {
  describe(`Store contract: ${name}`, function () {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async function () {
      ({ store, cleanup } = await open());
      await store.issuers.upsert({ id: 1, signer: "0x01", listSize: 1024, at: 1 });
    });

    afterEach(async function () {
      await cleanup();
    });

    it("behavior: a rejected transaction leaves nothing; a write from outside during it is kept", async function () {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const aborted = store.transaction(async (tx) => {
        await tx.meta.set("inside", "1");
        entered();
        await gate; // the transaction is open across this await
        throw new Error("abort");
      });
      await inside;
      const outside = store.meta.set("outside", "1");
      release();
      expect((await aborted.then(() => undefined, (e: Error) => e))?.message).to.equal("abort");
      await outside;
      expect(await store.meta.get("inside")).to.equal(undefined);
      expect(await store.meta.get("outside")).to.equal("1");
    });

    it("behavior: a transaction's writes commit together and its result is returned", async function () {
      const id = await store.transaction(async (tx) => {
        const batchId = await tx.batches.insert({ issuerId: 1, root: new Uint8Array(32).fill(9), size: 1, at: 5 });
        const txId = await tx.outbox.enqueue({ signer: "0xAB", kind: "anchor", refId: batchId, data: "0x01", at: 5 });
        await tx.batches.setTx(batchId, txId);
        return batchId;
      });
      const batch = (await store.batches.get(id))!;
      expect(batch.state).to.equal("built");
      const row = (await store.outbox.get(batch.tx_id!))!;
      expect(row).to.include({ signer: "0xab", kind: "anchor", ref_id: id, state: "queued", outcome: null });
      expect(await store.outbox.open("0xAB")).to.have.length(1);
    });

    it("behavior: insertMany stores all of the credentials or none (a repeated status index)", async function () {
      await store.credentials.insertMany([credentialRow("a", 1), credentialRow("b", 2)]);
      const error = await store.credentials.insertMany([credentialRow("c", 3), credentialRow("d", 2)]).then(() => undefined, (e: Error) => e);
      expect(error).to.be.instanceOf(Error);
      expect(await store.credentials.get("c")).to.equal(undefined);
      expect(await store.credentials.allIndices(1)).to.have.members([1, 2]);
      expect(await store.credentials.queueDepths()).to.deep.equal(new Map([[1, 2]]));
    });

    it("behavior: claimForBatch claims only unbatched credentials (never one credential in two batches)", async function () {
      await store.credentials.insertMany([credentialRow("a", 1), credentialRow("b", 2)]);
      const first = await store.batches.insert({ issuerId: 1, root: new Uint8Array(32).fill(1), size: 1, at: 1 });
      const second = await store.batches.insert({ issuerId: 1, root: new Uint8Array(32).fill(2), size: 2, at: 1 });
      const [a, b] = await store.credentials.nextForBatch(1, 10);
      expect(await store.credentials.claimForBatch(first, [a!.seq])).to.equal(1);
      expect(await store.credentials.claimForBatch(second, [a!.seq, b!.seq])).to.equal(1);
      expect(await store.credentials.get("a")).to.include({ batch_id: first, leaf_index: 0, proof: null });
      expect(await store.credentials.get("b"), "its place in the second batch").to.include({ batch_id: second, leaf_index: 1 });
      expect(await store.credentials.queueDepths()).to.deep.equal(new Map());
    });

    it("behavior: erase clears content and salts, and deletes the id MAC and signed-credential rows", async function () {
      const mac = Buffer.alloc(32, 7);
      await store.credentials.insertMany([credentialRow("a", 1, '{"id":"urn:x"}')]);
      await store.credentialIds.remember(1, [{ mac, credentialId: "a" }]);
      await store.signedCredentials.insert({ credentialId: "a", vcIdMac: mac, proof: "{}" });
      expect((await store.credentialIds.known(1, [mac])).get(mac.toString("hex"))).to.deep.equal({ id: "a", statusIndex: 1, state: "queued" });
      expect(await store.credentials.erase("a", 9)).to.equal(true);
      expect(await store.credentials.erase("a", 10), "only once").to.equal(false);
      expect(await store.credentials.get("a")).to.include({ content: null, salts: null, erased_at: 9 });
      expect(await store.credentialIds.known(1, [mac])).to.deep.equal(new Map());
      expect(await store.signedCredentials.find("a", [mac])).to.deep.equal([]);
    });

    it("behavior: registries: an upgrade stamps the old registry on what exists; new rows follow the current one", async function () {
      await store.meta.set("registry", "0xAA");
      await store.credentials.insertMany([credentialRow("a", 1), credentialRow("b", 2)]);
      const old = await store.batches.insert({ issuerId: 1, root: new Uint8Array(32).fill(1), size: 1, at: 1 });
      const [a] = await store.credentials.nextForBatch(1, 1);
      await store.credentials.claimForBatch(old, [a!.seq]);
      const oldTx = await store.outbox.enqueue({ signer: "0x01", kind: "anchor", refId: old, data: "0x", at: 1 });
      await store.transaction(async (tx) => {
        await tx.registries.upgrade({ from: "0xAA", to: "0xBB", at: 5 });
        await tx.meta.set("registry", "0xBB");
      });
      const newTx = await store.outbox.enqueue({ signer: "0x01", kind: "status", refId: 1, data: "0x", at: 6, target: "0xAA" });
      expect(await store.registries.history()).to.deep.equal([
        { address: "0xaa", since: 0, until: 5 },
        { address: "0xbb", since: 5, until: null },
      ]);
      expect((await store.batches.get(old))!.registry).to.equal("0xaa");
      expect((await store.outbox.get(oldTx))!.target).to.equal("0xaa");
      expect((await store.outbox.get(newTx))!.target).to.equal("0xaa");
      expect(await store.registries.registriesOf(1, [1, 2])).to.deep.equal(new Map([[1, "0xaa"]]));
    });

    it("behavior: registries: a reconciled anchor is a confirmed batch with its transaction, known by root, adoptable; the index floor only rises", async function () {
      await store.meta.set("registry", "0xAA");
      const root = new Uint8Array(32).fill(4);
      const at = { issuerId: 1, root, registry: "0xAA", signer: "0x01", data: "0x1234", txHash: `0x${"ab".repeat(32)}`, blockNumber: 7, blockHash: `0x${"cd".repeat(32)}`, blockTime: 100, at: 9 };
      const id = await store.transaction((tx) => tx.registries.insertReconciled(at));
      const batch = (await store.batches.get(id))!;
      expect(batch).to.include({ state: "confirmed", size: 0, reconciled: 1, registry: null, mined_at: 100_000 });
      expect(await store.outbox.get(batch.tx_id!)).to.include({ state: "confirmed", kind: "anchor", tx_hash: at.txHash, block_number: 7, outcome: "done" });
      expect(await store.registries.knownRoots(1, [root, new Uint8Array(32)])).to.deep.equal(new Set([`0x${"04".repeat(32)}`]));
      expect(await store.registries.reconciledRegistry(1)).to.equal(null);
      expect((await store.registries.reconciledBatch(1, root))!.id).to.equal(id);
      await store.registries.adopt(id, 3);
      expect(await store.batches.get(id)).to.include({ size: 3, reconciled: 0 });
      expect(await store.registries.reconciledBatch(1, root)).to.equal(undefined);
      expect(await store.registries.indexFloor(1)).to.equal(0);
      await store.registries.raiseIndexFloor(1, 4096);
      await store.registries.raiseIndexFloor(1, 2048);
      expect(await store.registries.indexFloor(1)).to.equal(4096);
      expect(await store.registries.issuerIds()).to.deep.equal([1]);
    });
  });
}
