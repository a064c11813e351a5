// Storage faults and secrets, on the real API over real SQLite:
// - a full disk (SQLite's page limit reached) or a read-only database answers 503
//   STORAGE_UNAVAILABLE, never a 2xx for data that was not stored, and /readyz says so;
// - the signer's private key appears nowhere: not in the database file, logs, metrics, errors.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { devPrivateKey } from "../../src/chain/dev-accounts.ts";
import { namedBadge as badge } from "../core/helpers.ts";
import { createKeyIn, startServerProcess } from "../helpers/server-process.ts";
import { closeStack, openStack, removeDir, serveApi, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

describe("storage faults and secrets", function () {
  this.timeout(120_000);
  let chain: Chain;

  before(async function () {
    chain = await sharedChain();
  });

  describe("a full or read-only database", function () {
    let stack: Stack;
    let api: Awaited<ReturnType<typeof serveApi>>;
    let base: string;
    before(async function () {
      stack = await openStack(chain);
      api = await serveApi(stack);
      base = api.base;
    });
    after(async function () {
      await api?.close();
      await closeStack(stack);
    });

    const submit = (names: string[]) =>
      fetch(`${base}/v1/credentials`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${stack.tokens[1]}` },
        body: JSON.stringify({ credentials: names.map(badge) }),
      });
    const count = () => stack.db.prepare("SELECT count(*) FROM credentials").pluck().get() as number;

    it("error: the disk is full → 503 STORAGE_UNAVAILABLE, nothing half-stored, and it recovers when space is back", async function () {
      expect((await submit(["before"])).status).to.equal(202);
      const pages = stack.db.pragma("page_count", { simple: true }) as number;
      stack.db.pragma(`max_page_count = ${pages + 2}`); // SQLite refuses to grow: SQLITE_FULL
      const stored = count();
      const full = await submit(Array.from({ length: 200 }, (_, k) => `full ${k}`));
      expect(full.status).to.equal(503);
      const body = (await full.json()) as { error: { code: string; message: string } };
      expect(body.error.code).to.equal("STORAGE_UNAVAILABLE");
      expect(body.error.message).to.match(/SQLITE_FULL/);
      expect(count(), "a refused request stores nothing").to.equal(stored);
      const erase = await fetch(`${base}/v1/credentials/00000000-0000-4000-8000-000000000000`, { method: "DELETE", headers: { authorization: `Bearer ${stack.tokens[1]}` } });
      expect(erase.status).to.equal(404);
      stack.db.pragma("max_page_count = 4294967294");
      expect((await submit(["after"])).status).to.equal(202);
    });

    it("error: the database is read-only → 503, and /readyz reports the database check failing", async function () {
      stack.db.pragma("query_only = ON"); // every write now fails with SQLITE_READONLY
      try {
        const stored = count();
        const r = await submit(["read-only"]);
        expect(r.status).to.equal(503);
        expect(((await r.json()) as { error: { code: string } }).error.code).to.equal("STORAGE_UNAVAILABLE");
        expect(count()).to.equal(stored);
        const ready = await fetch(`${base}/readyz`);
        expect(ready.status).to.equal(503);
        const checks = ((await ready.json()) as { checks: { database: { ok: boolean; message: string } } }).checks;
        expect(checks.database.ok).to.equal(false);
        expect((await fetch(`${base}/healthz`)).status).to.equal(200); // alive, just not ready
      } finally {
        stack.db.pragma("query_only = OFF");
      }
      expect((await fetch(`${base}/readyz`)).status).to.equal(200);
    });
  });

  it("behavior: the signer's private key is nowhere: database, logs, metrics, error answers, the start-up output", async function () {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dataDir = mkdtempSync(join(tmpdir(), "credanchor-secrets-"));
    const server = await startServerProcess({ rpcUrl: chain.url, registry: chain.registry, dataDir, env: { LOG_LEVEL: "debug" } });
    try {
      const token = await createKeyIn(dataDir, 1);
      const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
      const issued = (await (await fetch(`${server.url}/v1/credentials`, { method: "POST", headers, body: JSON.stringify({ credentials: [badge("Secret keeper")] }) })).json()) as { credentials: { id: string }[] };
      const id = issued.credentials[0]!.id;
      for (let k = 0; k < 100; k++) {
        const view = (await (await fetch(`${server.url}/v1/credentials/${id}`, { headers })).json()) as { state: string };
        if (view.state === "confirmed") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await fetch(`${server.url}/v1/revocations`, { method: "POST", headers, body: JSON.stringify({ action: "revoke", credentialIds: [id] }) });
      const answers = [
        await (await fetch(`${server.url}/metrics`)).text(),
        await (await fetch(`${server.url}/v1/credentials`, { method: "POST", headers, body: "{broken" })).text(),
        await (await fetch(`${server.url}/readyz`)).text(),
        await (await fetch(`${server.url}/openapi.json`)).text(),
      ].join("\n");
      await server.kill("SIGTERM");
      const key = devPrivateKey(1).slice(2).toLowerCase();
      const haystacks: [string, string][] = [
        ["HTTP answers", answers],
        ["process output (logs)", server.output()],
        ...readdirSync(dataDir).map((f): [string, string] => [f, readFileSync(join(dataDir, f)).toString("latin1")]),
      ];
      for (const [where, text] of haystacks) {
        expect(text.toLowerCase().includes(key), `private key found in ${where}`).to.equal(false);
        expect(text.includes(token), `API token found in ${where}`).to.equal(false);
      }
      expect(server.output()).to.match(/"msg":"transaction mined"/); // the logs were there to search
    } finally {
      await server.kill("SIGKILL");
      removeDir(dataDir);
    }
  });

  it("behavior: pino logs of the in-process API never carry the Authorization header even at trace level", async function () {
    let logs = "";
    const sink = new Writable({ write: (c, _e, done) => ((logs += c.toString()), done()) });
    const stack = await openStack(chain);
    const api = await serveApi(stack, { logger: pino({ level: "trace" }, sink) });
    const base = api.base;
    await fetch(`${base}/v1/credentials/x`, { headers: { authorization: `Bearer ${stack.tokens[1]}` } });
    await fetch(`${base}/v1/credentials`, { method: "POST", headers: { authorization: `Bearer ${stack.tokens[1]}`, "content-type": "application/json" }, body: JSON.stringify({ credentials: [badge("Trace me")] }) });
    await api.close();
    await stack.close();
    removeDir(stack.dir);
    expect(logs).to.include('"route":"/v1/credentials"');
    expect(logs).not.to.include(stack.tokens[1]!.slice(21));
    expect(logs).not.to.include("Trace me");
  });
});
