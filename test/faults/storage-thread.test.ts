// The service over a SQLite store whose connection thread dies (as a bug or a crash in it would
// end it), on the real API: the request in flight is answered 503 STORAGE_UNAVAILABLE with
// nothing of it stored, and the next request is accepted without restarting the service.
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../../src/store/sqlite/store.ts";
import { namedBadge as badge } from "../core/helpers.ts";
import { closeStack, openStack, serveApi, sharedChain } from "../helpers/stack.ts";

describe("storage faults: the SQLite connection thread dies under the service", function () {
  this.timeout(120_000);

  it("error: the request in flight → 503 STORAGE_UNAVAILABLE, nothing of it stored; /healthz stays 200; the next request → 202 without a restart", async function () {
    const chain = await sharedChain();
    const dir = mkdtempSync(join(tmpdir(), "credanchor-thread-"));
    const logged: string[] = [];
    // As `credanchor serve` runs it: the connection on its own thread (the stack's own store reads the same file).
    const store = openSqliteStore(join(dir, "credanchor.db"), { background: true, log: (level, message) => logged.push(`${level}: ${message}`) });
    const stack = await openStack(chain, { dir, store });
    const api = await serveApi(stack);
    const submit = (name: string) =>
      fetch(`${api.base}/v1/credentials`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${stack.tokens[1]}` },
        body: JSON.stringify({ credentials: [badge(name)] }),
      });
    try {
      expect((await submit("before")).status).to.equal(202);
      await store.injectThreadFault("thread-throws-at-next-step");
      const refused = await submit("in flight");
      expect(refused.status).to.equal(503);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).to.equal("STORAGE_UNAVAILABLE");
      expect(body.error.message).to.match(/the database thread failed/);
      expect((await fetch(`${api.base}/healthz`)).status).to.equal(200);
      expect((await submit("after")).status).to.equal(202);
      expect((await fetch(`${api.base}/readyz`)).status).to.equal(200);
      const names = stack.db.prepare("SELECT content FROM credential_texts").pluck().all() as string[];
      expect(names.filter((c) => c.includes("in flight")), "nothing of the refused request").to.deep.equal([]);
      expect(names.filter((c) => c.includes("before") || c.includes("after"))).to.have.length(2);
      expect(logged.map((l) => l.split(":")[0])).to.deep.equal(["warn", "info"]);
    } finally {
      await api.close();
      await closeStack(stack);
      await store.close();
    }
  });

  it("error: a thread given up on (it kept dying) turns /healthz 503 'failing' with the reason, so an orchestrator restarts the process", async function () {
    const chain = await sharedChain();
    const dir = mkdtempSync(join(tmpdir(), "credanchor-thread-"));
    // One restart allowed: the second death in a row with no answer between gives up.
    const store = openSqliteStore(join(dir, "credanchor.db"), { background: true, restartDelaysMs: [0], log: () => {} });
    const stack = await openStack(chain, { dir, store });
    const api = await serveApi(stack);
    try {
      const alive = await fetch(`${api.base}/healthz`);
      expect(alive.status).to.equal(200);
      expect(await alive.json()).to.include({ status: "ok" });
      await store.injectThreadFault("thread-throws");
      expect((await fetch(`${api.base}/healthz`)).status, "restarting is not dead").to.equal(200);
      await store.injectThreadFault("thread-throws");
      const dead = await fetch(`${api.base}/healthz`);
      expect(dead.status).to.equal(503);
      const body = (await dead.json()) as { status: string; message: string; uptimeSeconds: number };
      expect(body.status).to.equal("failing");
      expect(body.message).to.match(/no longer restarted: restart the service/);
      expect((await fetch(`${api.base}/readyz`)).status).to.equal(503);
    } finally {
      await api.close();
      await closeStack(stack);
      await store.close();
    }
  });
});
