// Replicas on one PostgreSQL: two real `credanchor serve` processes share a database and a
// chain; both accept, only the elected leader anchors. The leader is SIGKILLed at a crash point
// while both take submissions: the other takes over, every accepted credential is anchored
// exactly once, and a client's retry with the same Idempotency-Key to the other replica stores once.
//
// `npm test` kills at two points; `npm run test:faults` (REPLICA_KILLS=all) at every pipeline point.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { parseEventLogs } from "viem";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";
import { CRASH_POINTS, type CrashPoint } from "../../src/chain/crash-points.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { createApiKey } from "../../src/issuer/api-keys.ts";
import { openPostgresStore } from "../../src/store/postgres/store.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundles } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { sharedPostgres } from "../helpers/postgres.ts";
import { startServerProcess, type ServerProcess } from "../helpers/server-process.ts";
import { ISSUER_IDENTITIES, sharedChain, type Chain } from "../helpers/stack.ts";

const POINTS: readonly CrashPoint[] =
  process.env.REPLICA_KILLS === "all" ? CRASH_POINTS.filter((p) => p !== "status:after-sign") : ["accept:after-commit", "send:after-broadcast"];
const SERVER_SECRET = "ab".repeat(32);

const badge = (name: string) => {
  const c = sampleBadge();
  ((c.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  (c.issuer as JsonObject).id = ISSUER_IDENTITIES[1];
  return c;
};

type Accepted = { id: string; statusIndex: number };

async function post(server: ServerProcess, token: string, body: unknown, key: string): Promise<{ status: number; body: any } | undefined> {
  try {
    const r = await fetch(`${server.url}/v1/credentials`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "idempotency-key": key },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: r.status, body: await r.json() };
  } catch {
    return undefined; // the process died mid-request: no answer, no promise made
  }
}

async function waitFor(condition: () => boolean, what: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const leads = (server: ServerProcess) => server.output().includes("became the anchoring leader");

describe("replicas on PostgreSQL: SIGKILL the anchoring leader, the other replica finishes, nothing lost or doubled", function () {
  this.timeout(600_000);
  let chain: Chain;

  before(async function () {
    chain = await sharedChain();
  });

  for (const point of POINTS) {
    it(`behavior: leader killed at ${point} while both replicas accept`, async function () {
      const url = await (await sharedPostgres()).createDatabase();
      const dirs = [mkdtempSync(join(tmpdir(), "credanchor-replica-")), mkdtempSync(join(tmpdir(), "credanchor-replica-"))];
      const env = { DATABASE_URL: url, SERVER_SECRET, BATCH_MAX_SIZE: "4" };
      const servers: ServerProcess[] = [];
      try {
        const start = (dataDir: string, extra: Record<string, string> = {}) => startServerProcess({ rpcUrl: chain.url, registry: chain.registry, dataDir, env: { ...env, ...extra } });
        const leader = await start(dirs[0]!, { CREDANCHOR_CRASH_AT: point });
        servers.push(leader);
        await waitFor(() => leads(leader), () => `the first replica to lead:\n${leader.output().slice(-2000)}`);
        // An API key in the shared database (the replica registered issuer 1 there) works on both.
        const setup = await openPostgresStore(url);
        const token = (await createApiKey(setup.apiKeys, 1, "test")).token;
        await setup.close();
        const other = await start(dirs[1]!);
        servers.push(other);

        // Both accept: the follower first (the leader's accept may be where it dies), then the leader.
        const accepted: Accepted[] = [];
        const follower = await post(other, token, { credentials: [badge(`${point} b1`), badge(`${point} b2`), badge(`${point} b3`)] }, `b-${point}`);
        expect(follower?.status, JSON.stringify(follower?.body)).to.equal(202);
        accepted.push(...follower!.body.credentials);
        const body = { credentials: [badge(`${point} a1`), badge(`${point} a2`), badge(`${point} a3`)] };
        const first = await post(leader, token, body, `a-${point}`);
        let answer = first;
        if (first?.status !== 202) {
          // No answer from the leader: the client retries the same request, same key, at the other replica.
          expect(point).to.equal("accept:after-commit");
          answer = await post(other, token, body, `a-${point}`);
          expect(answer?.status, JSON.stringify(answer?.body)).to.equal(202);
          expect(answer!.body.credentials.map((c: Accepted) => c.id).length).to.equal(3);
        }
        accepted.push(...answer!.body.credentials);

        // (unref: a pending timer must not keep the test process alive after the run)
        const exit = await Promise.race([leader.exited, new Promise((r) => setTimeout(() => r("alive"), 60_000).unref())]);
        expect(exit, leader.output().slice(-2000)).to.deep.equal({ code: null, signal: "SIGKILL" });
        await waitFor(() => leads(other), () => `the other replica to take over:\n${other.output().slice(-2000)}`);

        // Every accepted credential gets anchored, by the new leader.
        const views: any[] = [];
        for (const a of accepted) {
          const deadline = Date.now() + 90_000;
          for (;;) {
            const view = (await (await fetch(`${other.url}/v1/credentials/${a.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;
            if (view.state === "anchored" || view.state === "confirmed") {
              expect(view.statusIndex).to.equal(a.statusIndex);
              views.push(view);
              break;
            }
            if (Date.now() > deadline) throw new Error(`${a.id} stuck in ${view.state}:\n${other.output().slice(-3000)}`);
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        await checkInvariants(url, accepted, views);
      } finally {
        for (const s of servers) await s.kill("SIGKILL");
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    });
  }

  /** Stored once, batched once, each root anchored once on-chain, every bundle valid. */
  async function checkInvariants(url: string, accepted: Accepted[], views: any[]): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const total = await client.query<{ n: string }>("SELECT count(*) AS n FROM credentials");
      expect(Number(total.rows[0]!.n), "each accepted credential stored once (the retry too)").to.equal(accepted.length);
      expect(new Set(accepted.map((a) => a.id)).size).to.equal(accepted.length);
      const batches = await client.query<{ id: string; root: Buffer; size: string; n: string }>(
        "SELECT id, root, size, (SELECT count(*) FROM credentials c WHERE c.batch_id = b.id) AS n FROM batches b",
      );
      for (const b of batches.rows) expect(Number(b.n), `batch ${b.id}`).to.equal(Number(b.size));
      const unbatched = await client.query("SELECT id FROM credentials WHERE batch_id IS NULL");
      expect(unbatched.rows).to.deep.equal([]);
      const logs = await chain.publicClient.getLogs({ address: chain.registry, fromBlock: 0n });
      const anchored = parseEventLogs({ abi: credentialRegistryAbi, logs, eventName: "RootAnchored" }).map((l) => l.args.root.toLowerCase());
      for (const b of batches.rows) {
        expect(anchored.filter((r) => r === `0x${b.root.toString("hex")}`), `root of batch ${b.id} anchored exactly once`).to.have.length(1);
      }
    } finally {
      await client.end();
    }
    const reports = await verifyBundles(
      views.map((v) => v.bundle),
      { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } },
    );
    reports.forEach((r, i) => expect(r.verdict, `${views[i].id}: ${JSON.stringify(r.checks.filter((c) => c.outcome !== "pass"))}`).to.equal("valid"));
  }
});
