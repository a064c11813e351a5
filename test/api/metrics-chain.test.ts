// /metrics of a real service process on a real chain: signer balance (wei and ether), chain head, blocks behind, outbox age, default process metrics; batch costs in ether beside wei.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatEther } from "viem";
import { sampleBadge } from "../core/helpers.ts";
import { createKeyIn, startServerProcess, type ServerProcess } from "../helpers/server-process.ts";
import { sharedChain, type Chain } from "../helpers/stack.ts";

/** The value of one sample line, by its exact name and labels. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("/metrics: chain gauges and costs in the chain's currency (real service process)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let server: ServerProcess;
  let dataDir: string;
  let token: string;

  before(async function () {
    chain = await sharedChain();
    dataDir = mkdtempSync(join(tmpdir(), "credanchor-metrics-"));
    server = await startServerProcess({ rpcUrl: chain.url, registry: chain.registry, dataDir });
    token = await createKeyIn(dataDir, 1);
  });

  after(async function () {
    await server?.kill("SIGTERM");
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const metrics = async () => (await fetch(`${server.url}/metrics`)).text();

  it("default: signer balance in wei and ether, chain head, blocks behind, outbox age, process metrics", async function () {
    const text = await metrics();
    const signer = chain.issuers[0]!.key.address;
    const wei = await chain.publicClient.getBalance({ address: signer });
    const sampledWei = sample(text, `credanchor_signer_balance_wei{signer="${signer}"}`);
    // The balance is read at scrape time: the same as ours unless a transaction landed in between (none is sent here).
    expect(sampledWei).to.equal(Number(wei));
    expect(sample(text, `credanchor_signer_balance_ether{signer="${signer}"}`)).to.equal(Number(formatEther(wei)));
    const head = sample(text, "credanchor_chain_head_block")!;
    expect(head).to.be.at.least(Number(await chain.publicClient.getBlockNumber()) - 1);
    expect(sample(text, "credanchor_chain_blocks_behind")).to.be.a("number").and.at.least(0);
    expect(sample(text, "credanchor_outbox_oldest_age_seconds")).to.equal(0);
    for (const name of ["process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes"]) expect(sample(text, name), name).to.be.greaterThan(0);
  });

  it("behavior: a mined batch shows its cost in wei and in ether (GET /v1/batches/{id}); fees paid grow", async function () {
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const submitted = await (await fetch(`${server.url}/v1/credentials`, { method: "POST", headers, body: JSON.stringify({ credentials: [sampleBadge()] }) })).json();
    const id = submitted.credentials[0].id as string;
    let view: { state: string; batchId?: number } = { state: "queued" };
    for (let i = 0; i < 400 && !["anchored", "confirmed"].includes(view.state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      view = await (await fetch(`${server.url}/v1/credentials/${id}`, { headers })).json();
    }
    expect(view.state).to.be.oneOf(["anchored", "confirmed"]);
    const batch = await (await fetch(`${server.url}/v1/batches/${view.batchId}`, { headers })).json();
    expect(batch.costEther).to.equal(formatEther(BigInt(batch.costWei)));
    expect(batch.costPerCredentialEther).to.equal(formatEther(BigInt(batch.costPerCredentialWei)));
    expect(batch.tx.blockTime).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(batch.createdAt).to.match(/^\d{4}-\d{2}-\d{2}T/);
    const text = await metrics();
    expect(sample(text, "credanchor_fees_paid_wei_total")).to.equal(Number(batch.costWei));
  });
});
