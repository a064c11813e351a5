// Crash safety with real process kills: `credanchor serve` is SIGKILLed at each step of the
// pipeline (and at random times in the long suite), restarted on the same SQLite file, and must
// end with every 2xx-accepted credential anchored exactly once, every stored proof verifying, no
// root anchored twice and no revocation lost or applied to the wrong index.
//
// FAULT_RUNS (default 1 here; `npm run test:faults` sets 20) random-kill runs are added.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEventLogs } from "viem";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { CRASH_POINTS } from "../../src/chain/crash-points.ts";
import { openDatabase } from "../../src/store/sqlite/database.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundles } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { createKeyIn, startServerProcess, type ServerProcess } from "../helpers/server-process.ts";
import { ISSUER_IDENTITIES, sharedChain, type Chain } from "../helpers/stack.ts";

const RANDOM_RUNS = Number(process.env.FAULT_RUNS ?? 1);

/** The sample badge, named, issued by test issuer 1 or 2 (its on-chain identity as `issuer.id`). */
const badge = (name: string, issuerId: 1 | 2 = 1) => {
  const c = sampleBadge();
  ((c.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  (c.issuer as JsonObject).id = ISSUER_IDENTITIES[issuerId];
  return c;
};

type Accepted = { id: string; statusIndex: number };

describe("crash safety: SIGKILL the service at every step, restart, nothing lost or doubled", function () {
  this.timeout(600_000);
  let chain: Chain;

  before(async function () {
    chain = await sharedChain();
  });

  const start = (dataDir: string, env: Record<string, string> = {}, signers = [1]) => startServerProcess({ rpcUrl: chain.url, registry: chain.registry, dataDir, env, signers });

  async function post(server: ServerProcess, token: string, path: string, body: unknown, key?: string): Promise<{ status: number; body: any } | undefined> {
    try {
      const r = await fetch(server.url + path, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...(key ? { "idempotency-key": key } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: r.status, body: await r.json() };
    } catch {
      return undefined; // the process died mid-request: no answer, no promise made
    }
  }

  async function get(server: ServerProcess, token: string, path: string): Promise<any> {
    return (await fetch(server.url + path, { headers: { authorization: `Bearer ${token}` } })).json();
  }

  async function waitAnchored(server: ServerProcess, token: string, ids: string[]): Promise<any[]> {
    const deadline = Date.now() + 60_000;
    const views: any[] = [];
    for (const id of ids) {
      for (;;) {
        const view = await get(server, token, `/v1/credentials/${id}`);
        if (view.state === "anchored" || view.state === "confirmed") {
          views.push(view);
          break;
        }
        if (Date.now() > deadline) throw new Error(`${id} stuck in ${view.state}:\n${server.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return views;
  }

  /** The invariants, checked on the database, the chain and the bundles. */
  async function checkInvariants(dataDir: string, accepted: Accepted[], views: any[]): Promise<void> {
    const db = openDatabase(join(dataDir, "credanchor.db"));
    try {
      // Each accepted credential exists once, with the status index it was promised, in one batch.
      for (const a of accepted) {
        const row = db.prepare("SELECT status_index, batch_id FROM credentials WHERE id = ?").get(a.id) as { status_index: number; batch_id: number | null };
        expect(row, a.id).to.not.equal(undefined);
        expect(row.status_index).to.equal(a.statusIndex);
        expect(row.batch_id).to.not.equal(null);
      }
      // Status indices are unique per issuer; no credential is in two batches (one row, one batch_id).
      const dupes = db.prepare("SELECT issuer_id, status_index, count(*) AS n FROM credentials GROUP BY 1, 2 HAVING n > 1").all();
      expect(dupes).to.deep.equal([]);
      // Each batch's size equals its credentials; each root anchored exactly once on-chain.
      const batches = db.prepare("SELECT id, root, size, reconciled, (SELECT count(*) FROM credentials c WHERE c.batch_id = b.id) AS n FROM batches b").all() as { id: number; root: Buffer; size: number; reconciled: number; n: number }[];
      for (const b of batches) expect(b.n, `batch ${b.id}`).to.equal(b.size);
      const logs = await chain.publicClient.getLogs({ address: chain.registry, fromBlock: 0n });
      const anchored = parseEventLogs({ abi: credentialRegistryAbi, logs, eventName: "RootAnchored" }).map((l) => l.args.root.toLowerCase());
      for (const b of batches) {
        const root = `0x${b.root.toString("hex")}`;
        // A reconciled batch (size 0) is an anchor of an earlier test's database on this chain, found at start.
        expect(anchored.filter((r) => r === root), `root of batch ${b.id}`).to.have.length(b.size > 0 || b.reconciled ? 1 : 0);
      }
    } finally {
      db.close();
    }
    // Every stored proof verifies against the chain.
    const book = chain.addressBook();
    const reports = await verifyBundles(views.map((v) => v.bundle), { trust: createTrustList([book]), rpc: { 31337: chain.url } });
    reports.forEach((r, i) => expect(r.verdict, `${views[i].id}: ${JSON.stringify(r.checks.filter((c) => c.outcome !== "pass"))}`).to.equal("valid"));
  }

  for (const point of CRASH_POINTS.filter((p) => p !== "status:after-sign")) {
    it(`behavior: killed at ${point}: restart completes the work exactly once`, async function () {
      const dataDir = mkdtempSync(join(tmpdir(), "credanchor-crash-"));
      try {
        const first = await start(dataDir, { CREDANCHOR_CRASH_AT: point });
        const token = await createKeyIn(dataDir, 1);
        const body = { credentials: [badge(`${point} 1`), badge(`${point} 2`), badge(`${point} 3`)] };
        const answer = await post(first, token, "/v1/credentials", body, `crash-${point}`);
        const exit = await Promise.race([first.exited, new Promise((r) => setTimeout(() => r("alive"), 20_000))]);
        expect(exit, first.output().slice(-2000)).to.deep.equal({ code: null, signal: "SIGKILL" });

        const second = await start(dataDir);
        try {
          let accepted: Accepted[];
          if (answer?.status === 202) {
            accepted = answer.body.credentials;
          } else {
            // Killed before answering: the client retries with the same key and gets one answer.
            expect(point).to.equal("accept:after-commit");
            const retry = await post(second, token, "/v1/credentials", body, `crash-${point}`);
            expect(retry?.status).to.equal(202);
            accepted = retry!.body.credentials;
          }
          const views = await waitAnchored(second, token, accepted.map((a) => a.id));
          const db = openDatabase(join(dataDir, "credanchor.db"));
          const total = db.prepare("SELECT count(*) FROM credentials").pluck().get();
          db.close();
          expect(total, "the retry stored nothing twice").to.equal(3);
          await checkInvariants(dataDir, accepted, views);
          for (const v of views) expect(v.bundle.txHash).to.match(/^0x[0-9a-f]{64}$/);
        } finally {
          await second.kill("SIGTERM");
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }

  it("behavior: killed after signing a revocation: restart applies it to exactly the right indices", async function () {
    const dataDir = mkdtempSync(join(tmpdir(), "credanchor-crash-"));
    try {
      // Issuer 2: its status list is not shared with the other runs' databases on this chain.
      const first = await start(dataDir, {}, [2]);
      const token = await createKeyIn(dataDir, 2);
      const accepted = (await post(first, token, "/v1/credentials", { credentials: Array.from({ length: 6 }, (_, k) => badge(`Rev ${k}`, 2)) }))!.body.credentials as Accepted[];
      await waitAnchored(first, token, accepted.map((a) => a.id));
      await first.kill("SIGTERM");

      const second = await start(dataDir, { CREDANCHOR_CRASH_AT: "status:after-sign" }, [2]);
      const revoked = accepted.slice(0, 2);
      const change = await post(second, token, "/v1/revocations", { action: "revoke", credentialIds: revoked.map((a) => a.id) });
      expect(change?.status).to.equal(202);
      expect(await second.exited).to.deep.equal({ code: null, signal: "SIGKILL" });

      const third = await start(dataDir, {}, [2]);
      try {
        for (let k = 0; ; k++) {
          const state = (await get(third, token, `/v1/revocations/${change!.body.id}`)).state;
          if (state === "confirmed") break;
          if (k > 400) throw new Error(`revocation stuck in ${state}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        for (const a of accepted) {
          const [revokedBit] = await chain.publicClient.readContract({ address: chain.registry, abi: credentialRegistryAbi, functionName: "getStatus", args: [2n, BigInt(a.statusIndex)] });
          expect(revokedBit, `index ${a.statusIndex}`).to.equal(revoked.some((r) => r.id === a.id));
        }
      } finally {
        await third.kill("SIGTERM");
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  for (let run = 0; run < RANDOM_RUNS; run++) {
    it(`behavior: random SIGKILL during continuous submissions (run ${run + 1}/${RANDOM_RUNS})`, async function () {
      const dataDir = mkdtempSync(join(tmpdir(), "credanchor-crash-"));
      try {
        const server = await start(dataDir, { BATCH_MAX_SIZE: "50" });
        const token = await createKeyIn(dataDir, 1);
        const accepted: Accepted[] = [];
        let alive = true;
        const killAfter = Math.floor(Math.random() * 2_500);
        let submitting = true;
        const submitter = (async () => {
          for (let k = 0; alive; k++) {
            const r = await post(server, token, "/v1/credentials", { credentials: Array.from({ length: 20 }, (_, j) => badge(`R${run}-${k}-${j}`)) });
            if (r?.status === 202) accepted.push(...r.body.credentials);
            else if (r === undefined) break;
          }
        })().finally(() => (submitting = false));
        // The random delay counts from the first accepted request (work done), not from the start.
        while (accepted.length === 0 && submitting) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, killAfter));
        await server.kill("SIGKILL");
        alive = false;
        await submitter;
        expect(accepted.length, "some credentials were accepted before the kill").to.be.greaterThan(0);

        const again = await start(dataDir, { BATCH_MAX_SIZE: "50" });
        try {
          const views = await waitAnchored(again, token, accepted.map((a) => a.id));
          await checkInvariants(dataDir, accepted, views);
        } finally {
          await again.kill("SIGTERM");
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});

