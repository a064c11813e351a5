// The embedded chain keeps its state (real Anvil processes): blocks and transactions survive a
// restart; a kill -9 loses at most the last state dump and the outbox re-anchors what was lost;
// the supervisor restarts a dead chain (bounded) and the monitor reports outages once each way.
import { expect } from "chai";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http, type Hex, type PublicClient } from "viem";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";
import { setAsideBrokenState, startAnvil } from "../../src/chain/anvil.ts";
import { ChainMonitor } from "../../src/chain/chain-monitor.ts";
import { superviseChain, type SupervisorEvent } from "../../src/chain/chain-supervisor.ts";
import { getFreePort, type LocalNode } from "../../src/chain/local-node.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle } from "../../src/verifier/verify-bundle.ts";
import { namedBadge as badge } from "../core/helpers.ts";
import { openStack, removeDir, runUntil, startChain } from "../helpers/stack.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };
const clientOf = (url: string) => createPublicClient({ transport: http(url, { retryCount: 0 }), pollingInterval: 50 }) as PublicClient;
const killHard = async (node: LocalNode) => {
  const exited = new Promise((r) => node.process.once("exit", r));
  node.process.kill("SIGKILL");
  await exited;
};

describe("src/chain/anvil.ts: the embedded chain keeps its state (real Anvil)", function () {
  this.timeout(120_000);
  let dir: string;
  let statePath: string;
  let port: number;

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), "credanchor-anvil-"));
    statePath = join(dir, "chain-state.json");
    port = await getFreePort();
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("default: blocks, transactions, receipts and contract state survive a restart", async function () {
    const first = await startAnvil({ port, statePath });
    const chain = await startChain({ node: first });
    const head = await chain.publicClient.getBlock();
    const block1 = await chain.publicClient.getBlock({ blockNumber: 1n });
    const tx = block1.transactions[0]!;
    await first.stop(); // SIGTERM: Anvil writes its state file on the way out

    const second = await startAnvil({ port, statePath });
    try {
      const client = clientOf(second.url);
      expect(await client.getBlockNumber()).to.equal(head.number);
      expect((await client.getBlock({ blockNumber: 1n })).hash).to.equal(block1.hash);
      expect((await client.getTransactionReceipt({ hash: tx })).blockHash).to.equal(block1.hash);
      const key = await client.readContract({ address: chain.registry, abi: credentialRegistryAbi, functionName: "getSignerKey", args: [chain.issuers[0]!.key.address] });
      expect(Number(key.issuerId)).to.equal(1);
    } finally {
      await second.stop();
    }
  });

  it("behavior: a kill -9 loses the blocks after the last dump; the outbox sees the chain went back and re-anchors batches and status changes", async function () {
    // A dump interval far longer than the test: what the file holds is what the last clean stop wrote.
    const slow = { port, statePath, stateIntervalSeconds: 3600 };
    let node = await startAnvil(slow);
    const chain = await startChain({ node });
    const logged: string[] = [];
    const restack = await openStack(chain, { log: (_level, message) => logged.push(message) });
    const changeState = (id: number) => restack.db.prepare("SELECT state FROM status_changes WHERE id = ?").pluck().get(id);
    try {
      // Batch 1, anchored and kept (a clean stop dumps the state).
      const kept = (await restack.service.submitCredentials(1, { credentials: [badge("kept")] })).credentials[0]!.id;
      await runUntil(restack, async () => (await restack.service.getCredential(issuer1, kept)).state === "confirmed");
      await node.stop();
      node = await startAnvil(slow);

      // Batch 2 and a revocation of batch 1's credential, then the chain dies before its next dump.
      const lost = (await restack.service.submitCredentials(1, { credentials: [badge("lost")] })).credentials[0]!.id;
      await runUntil(restack, async () => (await restack.service.getCredential(issuer1, lost)).state === "confirmed");
      const { change } = await restack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [kept] });
      await runUntil(restack, () => changeState(change.id) === "confirmed");
      const lostRoot = (await restack.service.getCredential(issuer1, lost)).bundle!.root as Hex;
      const headBefore = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
      await killHard(node);
      node = await startAnvil(slow);
      const headAfter = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
      expect(headAfter).to.be.lessThan(headBefore);
      const onChain = (root: Hex) => chain.publicClient.readContract({ address: chain.registry, abi: credentialRegistryAbi, functionName: "verify", args: [1n, root, 0n] });
      expect((await onChain(lostRoot)).anchored, "the chain forgot batch 2").to.equal(false);

      // What the monitor does when the chain comes back: ask the pipeline to check.
      restack.pipeline.recheckChain();
      await restack.pipeline.tick();
      expect(logged.join("\n")).to.match(new RegExp(`the chain went back to block ${headAfter}: batches 2 and status changes 1 .*no longer on-chain`));
      await runUntil(restack, async () => (await restack.service.getCredential(issuer1, lost)).state === "confirmed" && changeState(change.id) === "confirmed");

      expect((await onChain(lostRoot)).anchored, "batch 2 anchored again").to.equal(true);
      const trust = createTrustList([chain.addressBook()]);
      const verify = async (id: string) => verifyBundle((await restack.service.getCredential(issuer1, id)).bundle, { trust, rpc: { 31337: chain.url } });
      expect((await verify(lost)).verdict).to.equal("valid");
      const revoked = await verify(kept);
      expect(revoked.verdict, "the revocation is on-chain again").to.equal("invalid");
      expect(revoked.checks.find((c) => c.name === "status")!.outcome).to.equal("fail");
    } finally {
      await restack.close();
      removeDir(restack.dir);
      await node.stop();
    }
  });

  it("error: a chain without the registry's code (reset under a running service) gets nothing sent until the code is back", async function () {
    const node = await startAnvil({ port });
    const chain = await startChain({ node });
    const logged: string[] = [];
    const stack = await openStack(chain, { log: (_level, message) => logged.push(message) });
    try {
      const code = await chain.publicClient.getCode({ address: chain.registry });
      await chain.publicClient.request({ method: "anvil_setCode" as never, params: [chain.registry, "0x"] as never });
      const id = (await stack.service.submitCredentials(1, { credentials: [badge("held")] })).credentials[0]!.id;
      stack.pipeline.recheckChain();
      for (let k = 0; k < 5; k++) await stack.pipeline.tick();
      expect((await stack.service.getCredential(issuer1, id)).state).to.be.oneOf(["queued", "batched"]);
      expect(stack.db.prepare("SELECT count(*) FROM tx_attempts").pluck().get(), "nothing signed or sent").to.equal(0);
      expect(logged.filter((m) => /anchoring round failed/.test(m)), "logged once").to.have.length(1);

      await chain.publicClient.request({ method: "anvil_setCode" as never, params: [chain.registry, code] as never });
      await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).state === "confirmed");
    } finally {
      await stack.close();
      removeDir(stack.dir);
      await chain.stop();
    }
  });

  it("behavior: a state file cut short by a kill during a dump is set aside, not fatal", function () {
    writeFileSync(statePath, '{"block":{"number":"0x2"');
    const aside = setAsideBrokenState(statePath);
    expect(aside).to.match(/chain-state\.json\.broken-/);
    expect(readdirSync(dir)).to.deep.equal([aside!.split("/").at(-1)]);
    expect(setAsideBrokenState(statePath)).to.equal(undefined);
  });
});

describe("src/chain/chain-supervisor.ts (real Anvil)", function () {
  this.timeout(120_000);

  it("behavior: a chain killed with -9 is restarted with its state; one event each way", async function () {
    const dir = mkdtempSync(join(tmpdir(), "credanchor-supervise-"));
    const statePath = join(dir, "chain-state.json");
    const port = await getFreePort();
    const events: SupervisorEvent[] = [];
    const supervised = await superviseChain({ start: () => startAnvil({ port, statePath, stateIntervalSeconds: 1 }), restoredFrom: statePath, onEvent: (e) => events.push(e), retryDelayMs: 100 });
    try {
      const chain = await startChain({ node: supervised.node });
      await new Promise((r) => setTimeout(r, 2_500)); // one dump after the deployment
      await killHard(supervised.node);
      for (let k = 0; k < 200 && !events.some((e) => e.kind === "restarted"); k++) await new Promise((r) => setTimeout(r, 50));
      expect(events.map((e) => e.kind)).to.deep.equal(["exited", "restarted"]);
      expect(events[0]!.message).to.match(/was killed \(SIGKILL\); restarting it from .*chain-state\.json/);
      const code = await clientOf(supervised.url).getCode({ address: chain.registry });
      expect(code, "the registry survived the kill").to.not.equal(undefined);
      expect(supervised.failure).to.equal(undefined);
    } finally {
      await supervised.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("error: gives up after the allowed restarts and says what to do", async function () {
    const port = await getFreePort();
    const events: SupervisorEvent[] = [];
    const supervised = await superviseChain({ start: () => startAnvil({ port, timeoutMs: 5_000 }), restoredFrom: "nothing", onEvent: (e) => events.push(e), maxRestarts: 2, retryDelayMs: 50 });
    // Something else takes the port as soon as the chain dies: every restart fails to bind.
    const squatter = createServer();
    try {
      const exited = new Promise((r) => supervised.node.process.once("exit", r));
      supervised.node.process.kill("SIGKILL");
      await exited;
      await new Promise<void>((r) => squatter.listen(port, "127.0.0.1", () => r()));
      for (let k = 0; k < 400 && !events.some((e) => e.kind === "gave-up"); k++) await new Promise((r) => setTimeout(r, 50));
      expect(events.filter((e) => e.kind === "exited")).to.have.length(2);
      expect(supervised.failure).to.match(/restarted 2 times .*not restarting it again.*run npm start again/);
    } finally {
      squatter.close();
      await supervised.stop();
    }
  });
});

describe("src/chain/chain-monitor.ts (real Anvil)", function () {
  this.timeout(60_000);

  it("behavior: an outage is logged once when it starts and once when it ends, with its length; readiness follows", async function () {
    const node = await startAnvil();
    const chain = await startChain({ node });
    const proxy = await startTcpProxy(chain.url);
    const lines: string[] = [];
    const monitor = new ChainMonitor({ client: clientOf(proxy.url), chainId: 31337, registry: chain.registry, deployHint: "deploy it", intervalMs: 20, log: (_l, m) => lines.push(m) });
    try {
      await monitor.start();
      expect(monitor.check()).to.deep.include({ ok: true });
      proxy.block();
      for (let k = 0; k < 200 && monitor.check().ok; k++) await new Promise((r) => setTimeout(r, 20));
      expect(monitor.check().message).to.match(/^JSON-RPC unreachable since /);
      // Many failing probes, still one line.
      for (let k = 0; k < 10; k++) await monitor.probe();
      proxy.unblock();
      for (let k = 0; k < 200 && !monitor.check().ok; k++) await new Promise((r) => setTimeout(r, 20));
      expect(monitor.check().ok).to.equal(true);
      expect(lines.filter((l) => /chain unreachable/.test(l))).to.have.length(1);
      expect(lines.filter((l) => /chain reachable again after \d+\.\d s/.test(l))).to.have.length(1);
    } finally {
      monitor.stop();
      await proxy.close();
      await chain.stop();
    }
  });

  it("error: not ready when the registry's code is gone (a chain reset under a running service), with a hint that works", async function () {
    const node = await startAnvil();
    const chain = await startChain({ node });
    const lines: string[] = [];
    let rewinds = 0;
    const client = clientOf(chain.url);
    const monitor = new ChainMonitor({ client, chainId: 31337, registry: chain.registry, deployHint: "run npm start again", intervalMs: 20, codeEveryMs: 0, log: (_l, m) => lines.push(m), onMayHaveRewound: () => rewinds++ });
    try {
      await monitor.start();
      expect(monitor.check().ok).to.equal(true);
      await client.request({ method: "anvil_setCode" as never, params: [chain.registry, "0x"] as never });
      for (let k = 0; k < 200 && monitor.check().ok; k++) await new Promise((r) => setTimeout(r, 20));
      expect(monitor.check()).to.deep.equal({ ok: false, message: `no contract code at the registry address ${chain.registry} on chain 31337 (block ${await client.getBlockNumber()}): run npm start again` });
      for (let k = 0; k < 5; k++) await monitor.probe();
      expect(lines.filter((l) => /no contract code/.test(l))).to.have.length(1);
      expect(rewinds).to.equal(0);
    } finally {
      monitor.stop();
      await chain.stop();
    }
  });
});
