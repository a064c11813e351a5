// An RPC outage seen by the real service process: the chain is cut off (a TCP proxy resets every
// connection) for OUTAGE_SECONDS (default 3 here; `npm run test:faults` uses 60) while issuers
// keep submitting. The API keeps answering 202, /readyz says not ready, and anchoring resumes
// by itself once the chain is back, with every accepted credential anchored exactly once.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "../../src/core/json.ts";
import { sampleBadge } from "../core/helpers.ts";
import { createKeyIn, startServerProcess } from "../helpers/server-process.ts";
import { sharedChain, type Chain } from "../helpers/stack.ts";
import { startTcpProxy } from "../helpers/tcp-proxy.ts";

const OUTAGE_SECONDS = Number(process.env.OUTAGE_SECONDS ?? 3);

describe(`RPC outage of ${OUTAGE_SECONDS} s under submissions (real service process)`, function () {
  this.timeout(OUTAGE_SECONDS * 1000 + 120_000);
  let chain: Chain;

  before(async function () {
    chain = await sharedChain();
  });

  it("behavior: accepts during the outage, not ready, then anchors everything by itself", async function () {
    const proxy = await startTcpProxy(chain.url);
    const dataDir = mkdtempSync(join(tmpdir(), "credanchor-outage-"));
    const server = await startServerProcess({ rpcUrl: proxy.url, registry: chain.registry, dataDir });
    try {
      const token = await createKeyIn(dataDir, 1);
      const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
      const submit = async (name: string) => {
        const c = sampleBadge();
        ((c.credentialSubject as JsonObject).achievement as JsonObject).name = name;
        const r = await fetch(`${server.url}/v1/credentials`, { method: "POST", headers, body: JSON.stringify({ credentials: [c] }) });
        expect(r.status, await r.clone().text()).to.equal(202);
        return ((await r.json()) as { credentials: { id: string }[] }).credentials[0]!.id;
      };
      const ids = [await submit("before")];
      proxy.block();
      const until = Date.now() + OUTAGE_SECONDS * 1000;
      let notReady = 0;
      while (Date.now() < until) {
        ids.push(await submit(`during ${ids.length}`));
        if ((await fetch(`${server.url}/readyz`)).status === 503) notReady++;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(notReady, "readyz said not ready during the outage").to.be.greaterThan(0);
      const states = await Promise.all(ids.slice(1).map(async (id) => ((await (await fetch(`${server.url}/v1/credentials/${id}`, { headers })).json()) as { state: string }).state));
      expect(states.filter((s) => s === "anchored" || s === "confirmed")).to.deep.equal([]);
      proxy.unblock();

      const deadline = Date.now() + 60_000;
      for (const id of ids) {
        for (;;) {
          const view = (await (await fetch(`${server.url}/v1/credentials/${id}`, { headers })).json()) as { state: string };
          if (view.state === "confirmed") break;
          if (Date.now() > deadline) throw new Error(`${id} still ${view.state} a minute after the outage`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      // Readiness is the chain monitor's last probe (every 2 s): it turns ready at its next probe.
      let ready = 0;
      for (let probe = 0; probe < 300 && ready !== 200; probe++) {
        ready = (await fetch(`${server.url}/readyz`)).status;
        if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready, "ready again after the outage").to.equal(200);
      // One line when the outage starts, one when it ends with its length: no flapping.
      expect(server.output().match(/chain unreachable: anchoring waits/g), "outage start lines").to.have.length(1);
      expect(server.output().match(/chain reachable again after \d+\.\d s/g), "outage end lines").to.have.length(1);
    } finally {
      await server.kill("SIGTERM");
      await proxy.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
