// Restoring a backup taken before more credentials were anchored (issue 14, F9): `credanchor
// restore` reconciles with a real chain, so the lost batch is known again, its indices are
// revocable by index and never drawn again, batch ids move past it, and credentials still queued
// in the backup, anchored after it, are adopted (their anchor is never sent again).
import { expect } from "chai";
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { JsonObject } from "../../src/core/json.ts";
import type { Bundle } from "../../src/core/bundle.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { reconcileWithChain } from "../../src/issuer/use-cases/reconcile.ts";
import { openSqliteStore } from "../../src/store/sqlite/store.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle, type VerifyOptions } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { CLI } from "../helpers/server-process.ts";
import { ISSUER_IDENTITIES, openStack, removeDir, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

const exec = promisify(execFile);
const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k1" };
const BATCH = 50;

function badge(name: string): JsonObject {
  const credential = sampleBadge();
  ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  (credential.issuer as JsonObject).id = ISSUER_IDENTITIES[1];
  return credential;
}

describe("credanchor restore: reconciliation with the chain (real chain, real CLI)", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let dir: string;
  let verifyOptions: VerifyOptions;
  const overrides = () => ({ batch: { maxSize: BATCH, maxWaitMs: 0 } });

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain, overrides());
    dir = stack.dir;
    verifyOptions = { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } };
  });

  after(async function () {
    await stack?.close();
    if (dir) removeDir(dir);
  });

  const cli = async (...args: string[]) => {
    const env = { ...process.env, RPC_URL: chain.url, CHAIN_ID: "31337", BATCH_MAX_SIZE: String(BATCH), DATA_DIR: dir };
    try {
      const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const issue = async (prefix: string, count: number) => (await stack.service.submitCredentials(1, { credentials: Array.from({ length: count }, (_, k) => badge(`${prefix} ${k}`)) })).credentials;
  const anchoredAll = (ids: readonly string[]) => async () =>
    (await Promise.all(ids.map(async (id) => (await stack.service.getCredential(issuer1, id)).state))).every((s) => s === "anchored" || s === "confirmed");
  const statusOf = async (bundle: Bundle) => (await verifyBundle(bundle, verifyOptions)).checks.find((c) => c.name === "status")!.code;

  it("default: lost batch known again, revocable by index, ids and indices never reused; queued credentials adopted", async function () {
    // Batch A anchored; then credentials Q queued (not batched) when the backup is taken.
    const a = await issue("A", 3);
    await runUntil(stack, anchoredAll(a.map((c) => c.id)));
    const q = await issue("Q", 2);
    const backupFile = join(dir, "backup.db");
    const backup = await cli("backup", backupFile);
    expect(backup.code, backup.stderr).to.equal(0);
    expect(statSync(backupFile).mode & 0o777).to.equal(0o600);

    // After the backup: Q anchored (batch 2), then batch B of 50 anchored (batch 3).
    await runUntil(stack, anchoredAll(q.map((c) => c.id)));
    const b = await issue("B", BATCH);
    await runUntil(stack, anchoredAll(b.map((c) => c.id)));
    const bViews = await Promise.all(b.map((c) => stack.service.getCredential(issuer1, c.id)));
    const bBatch = bViews[0]!.batchId!;
    const bIndices = new Set(b.map((c) => c.statusIndex));
    const bBundles = bViews.map((v) => v.bundle!);
    const qBatch = (await stack.service.getCredential(issuer1, q[0]!.id)).batchId!;
    expect(bBatch).to.be.greaterThan(qBatch);
    const anchorTxs = async () => (await stack.rows("SELECT count(*) AS n FROM tx_attempts a JOIN chain_txs t ON t.id = a.tx_id WHERE t.kind = 'anchor'"))[0]!.n;
    const sentBefore = Number(await anchorTxs());
    await stack.close();

    const restored = await cli("restore", backupFile);
    expect(restored.code, restored.stderr + restored.stdout).to.equal(0);
    expect(restored.stdout).to.include("2 unknown anchor(s)");
    expect(restored.stdout).to.include("cannot be rebuilt");
    expect(statSync(join(dir, "credanchor.db")).mode & 0o777).to.equal(0o600);

    stack = await openStack(chain, { ...overrides(), dir });
    // B's credentials are gone from the database (never in the backup)…
    try {
      await stack.service.getCredential(issuer1, b[0]!.id);
      expect.fail("B's credential should be unknown");
    } catch (error) {
      expect((error as { code?: string }).code).to.equal("NOT_FOUND");
    }
    // …but B's bundle still verifies, and its index is revocable by index.
    expect(await statusOf(bBundles[0]!)).to.equal("ACTIVE");
    const [revokedIndex] = [...bIndices];
    const { change } = await stack.service.requestStatusChange(issuer1, { action: "revoke", statusIndices: [revokedIndex!] });
    await runUntil(stack, async () => (await stack.service.getStatusChange(issuer1, change.id)).state === "confirmed");
    const revokedBundle = bBundles.find((x) => x.statusIndex === revokedIndex)!;
    expect(await statusOf(revokedBundle)).to.equal("REVOKED");

    // Q, queued in the backup and anchored after it, is adopted: its bundle is served again, its anchor not sent twice.
    await runUntil(stack, anchoredAll(q.map((c) => c.id)));
    const qView = await stack.service.getCredential(issuer1, q[0]!.id);
    expect(qView.batchId).to.equal(qBatch);
    expect(await statusOf(qView.bundle!)).to.equal("ACTIVE");

    // A new batch takes the next id past B's and none of B's indices (nor any below the floor).
    const c = await issue("C", 5);
    await runUntil(stack, anchoredAll(c.map((x) => x.id)));
    const cView = await stack.service.getCredential(issuer1, c[0]!.id);
    expect(cView.batchId).to.be.greaterThan(bBatch);
    const floor = await stack.store.registries.indexFloor(1);
    for (const x of c) {
      expect(bIndices.has(x.statusIndex)).to.equal(false);
      expect(x.statusIndex).to.be.at.least(floor);
    }
    expect(await statusOf(cView.bundle!)).to.equal("ACTIVE");
    // Anchor attempts now: A's (in the backup) and C's. Q's and B's landed before the restore and were never signed again.
    expect(sentBefore).to.equal(3);
    expect(Number(await anchorTxs())).to.equal(2);

    // An index above the floor that nobody holds stays NOT_FOUND.
    try {
      await stack.service.requestStatusChange(issuer1, { action: "revoke", statusIndices: [floor + 1] });
      expect.fail("expected NOT_FOUND");
    } catch (error) {
      expect((error as { code?: string }).code).to.equal("NOT_FOUND");
    }
  });
  it("behavior: a first reconciliation starts at the registry's deployment block from the address books, and finds the same anchors as a scan from block 0", async function () {
    // Issuer 1 has anchors on this registry (the case above, or other files on the shared chain).
    await runUntil(stack, anchoredAll((await issue("D", 1)).map((c) => c.id)));
    const scan = async (deployBlocks?: ReadonlyMap<string, number>) => {
      const fresh = openSqliteStore(":memory:");
      try {
        await fresh.issuers.upsert({ id: 1, signer: chain.issuers.find((i) => i.id === 1)!.key.address, listSize: 1024, at: 1 });
        const [report] = await reconcileWithChain(fresh, { client: chain.publicClient, registry: chain.registry, issuerIds: [1], maxBatchSize: BATCH, syncStatuses: false, now: Date.now, ...(deployBlocks ? { deployBlocks } : {}) });
        return { fromBlock: report!.scanned[0]!.fromBlock, roots: report!.found.map((f) => f.root).sort() };
      } finally {
        await fresh.close();
      }
    };
    expect(chain.deployBlock).to.be.greaterThan(0);
    const booked = await scan(new Map([[chain.registry.toLowerCase(), chain.deployBlock]]));
    const whole = await scan();
    expect(booked.fromBlock).to.equal(chain.deployBlock);
    expect(whole.fromBlock).to.equal(0);
    expect(booked.roots.length).to.be.greaterThan(0);
    expect(booked.roots).to.deep.equal(whole.roots);
  });
});
