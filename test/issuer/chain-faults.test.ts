// The anchoring outbox under chain trouble, on a real `hardhat node`: a reorg that drops the
// anchoring block, a transaction stuck in the mempool (replaced with higher fees), an RPC outage.
import { expect } from "chai";
import { createPublicClient, http, type PublicClient } from "viem";
import { startLocalNode, type LocalNode } from "../../src/chain/local-node.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { namedBadge as badge } from "../core/helpers.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";
import { openStack, removeDir, runUntil, startChain, type Chain } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };
const rpc = (chain: Chain, method: string, params: unknown[] = []) => chain.publicClient.request({ method: method as never, params: params as never });

describe("src/chain/sender.ts under chain faults (real hardhat node)", function () {
  let chain: Chain;
  let node: LocalNode | undefined;

  // One node for the file (its tests revert blocks and pause mining: no other file's registry may
  // share it), a fresh registry with both issuers for each test (a fraction of a node start).
  before(async function () {
    node = await startLocalNode();
  });
  beforeEach(async function () {
    chain = await startChain({ node });
  });
  after(async function () {
    await node?.stop();
  });

  it("behavior: a reorg drops the anchoring block; the batch is sent again and the bundle names the final block", async function () {
    const stack = await openStack(chain, { confirmations: 3 });
    try {
      const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Reorg A"), badge("Reorg B")] });
      const id = credentials[0]!.id;
      const snapshot = await rpc(chain, "evm_snapshot");
      await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).state === "anchored");
      const first = (await stack.service.getCredential(issuer1, id)).bundle!;
      const batchId = (await stack.service.getCredential(issuer1, id)).batchId!;
      expect((await stack.service.getBatch(issuer1, batchId)).state).to.equal("mined");

      // Drop the block, then build a different chain of the same height and more.
      expect(await rpc(chain, "evm_revert", [snapshot])).to.equal(true);
      for (let k = 0; k < 3; k++) await rpc(chain, "evm_mine");
      // The database still names the dropped block: the bundle is held, just confirmed, in memory.
      expect(JSON.parse((await stack.service.getBundleText(issuer1, id)).text).blockNumber).to.equal(first.blockNumber);
      await stack.pipeline.tick();
      expect((await stack.service.getCredential(issuer1, id)).state).to.be.oneOf(["anchoring", "anchored"]);
      // The bytes held in memory name the dropped block: never served once the reorg is seen.
      const served = await stack.service.getBundleText(issuer1, id).then((b) => JSON.parse(b.text).blockNumber, (e: { code: string }) => e.code);
      const now = (await stack.service.getCredential(issuer1, id)).bundle?.blockNumber;
      expect(served).to.equal(now ?? "CONFLICT");

      await runUntil(stack, async () => {
        if ((await stack.service.getCredential(issuer1, id)).state === "confirmed") return true;
        void rpc(chain, "evm_mine");
        return false;
      });
      const final = (await stack.service.getCredential(issuer1, id)).bundle!;
      const receipt = await chain.publicClient.getTransactionReceipt({ hash: final.txHash as `0x${string}` });
      expect(Number(receipt.blockNumber)).to.equal(final.blockNumber);
      expect(final.blockNumber).to.be.greaterThan(first.blockNumber); // re-mined after the 3 new blocks
      expect(final.root).to.equal(first.root); // same batch, same proofs
      // Anchored exactly once on the surviving chain.
      const logs = await chain.publicClient.getLogs({ address: chain.registry, fromBlock: 0n });
      expect(logs.filter((l) => l.topics[1] === final.root)).to.have.length(1);
    } finally {
      await stack.close();
      removeDir(stack.dir);
    }
  });

  it("behavior: a transaction stuck in the mempool is replaced with the same nonce and higher fees", async function () {
    const stack = await openStack(chain, { bumpAfterMs: 150 });
    try {
      await rpc(chain, "evm_setAutomine", [false]);
      const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Stuck")] });
      const id = credentials[0]!.id;
      await stack.pipeline.tick(); // builds the batch, signs and sends
      const batchId = (await stack.service.getCredential(issuer1, id)).batchId!;
      const firstTx = (await stack.service.getBatch(issuer1, batchId)).tx!;
      await new Promise((r) => setTimeout(r, 200));
      await stack.pipeline.tick(); // not mined after bumpAfterMs: replace
      const attempts = stack.db.prepare("SELECT hash, nonce, max_fee, priority_fee FROM tx_attempts ORDER BY sent_at, rowid").all() as { hash: string; nonce: number; max_fee: string; priority_fee: string }[];
      expect(attempts).to.have.length(2);
      expect(attempts[1]!.nonce).to.equal(attempts[0]!.nonce);
      expect(BigInt(attempts[1]!.max_fee) * 1000n >= BigInt(attempts[0]!.max_fee) * 1125n).to.equal(true);
      expect(BigInt(attempts[1]!.priority_fee) * 1000n >= BigInt(attempts[0]!.priority_fee) * 1125n).to.equal(true);

      await rpc(chain, "evm_mine");
      await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).state === "confirmed");
      const finalTx = (await stack.service.getBatch(issuer1, batchId)).tx!;
      expect(finalTx.hash).to.equal(attempts[1]!.hash);
      expect(finalTx.hash).not.to.equal(firstTx.hash);
      expect((await stack.service.getCredential(issuer1, id)).bundle!.txHash).to.equal(attempts[1]!.hash);
    } finally {
      await rpc(chain, "evm_setAutomine", [true]);
      await stack.close();
      removeDir(stack.dir);
    }
  });

  it("behavior: an RPC outage parks anchoring; submissions are still accepted; it resumes by itself", async function () {
    const proxy = await startTcpProxy(chain.url);
    const client = createPublicClient({ transport: http(proxy.url, { retryCount: 0, timeout: 1_000 }) }) as PublicClient;
    const stack = await openStack(chain, { client });
    try {
      const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Outage")] });
      const id = credentials[0]!.id;
      proxy.block();
      // No batch is built while the chain is down: its status indices are re-checked on-chain first.
      await stack.pipeline.tick();
      expect((await stack.service.getCredential(issuer1, id)).state).to.equal("queued");
      expect(stack.pipeline.lastChainError).to.be.a("string");
      const readiness = await stack.service.readiness();
      expect(readiness.ready).to.equal(false);
      expect(readiness.checks.chain.ok).to.equal(false);
      expect(readiness.checks.database.ok).to.equal(true);
      const during = (await stack.service.submitCredentials(1, { credentials: [badge("During outage")] })).credentials[0]!.id;
      for (let k = 0; k < 3; k++) await stack.pipeline.tick();
      expect((await stack.service.getCredential(issuer1, id)).state).to.equal("queued");

      proxy.unblock();
      await runUntil(stack, async () => (await Promise.all([id, during].map(async (c) => (await stack.service.getCredential(issuer1, c)).state === "confirmed"))).every(Boolean));
      expect(stack.pipeline.lastChainError).to.equal(undefined);
      expect((await stack.service.readiness()).ready).to.equal(true);
    } finally {
      await stack.close();
      removeDir(stack.dir);
      await proxy.close();
    }
  });
});
