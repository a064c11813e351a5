// The SQLite store's connection and checkpointer threads dying (an uncaught error, an exit, a
// terminate) on real files: the step in flight fails with STORAGE_UNAVAILABLE, a transaction
// open at the time leaves no row, a new thread takes over at once (backing off, then giving up
// when it keeps dying without answering), and the checkpointer is restarted or replaced by the
// connection's own checkpoints. Each is logged.
import { expect } from "chai";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ServiceError } from "../../src/core/errors.ts";
import { Restarts, type StoreLog } from "../../src/store/sqlite/restarts.ts";
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from "../../src/store/sqlite/store.ts";

type Line = { level: string; message: string; fields?: Record<string, unknown> };

describe("src/store/sqlite: a connection or checkpointer thread that dies is replaced", function () {
  this.timeout(60_000);
  let dir: string;
  let path: string;
  let store: SqliteStore;
  let lines: Line[];

  const open = (options: SqliteStoreOptions = {}) => {
    const log: StoreLog = (level, message, fields) => lines.push({ level, message, ...(fields ? { fields } : {}) });
    store = openSqliteStore(path, { background: true, log, restartDelaysMs: [0, 0, 0], ...options });
    return store;
  };
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: ServiceError) => e);
  /** Waits for a line the store logs from another thread (waited for, never timed). */
  const logged = async (pattern: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (!lines.some((l) => pattern.test(l.message))) {
      if (Date.now() > deadline) throw new Error(`nothing logged matches ${pattern}: ${JSON.stringify(lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  // Starting a thread costs seconds on a loaded machine: these share one store (each ends with the store answering).
  describe("one store, killed again and again", function () {
    before(function () {
      dir = mkdtempSync(join(tmpdir(), "credanchor-thread-"));
      path = join(dir, "credanchor.db");
      lines = [];
      open();
    });
    beforeEach(() => void (lines = []));
    after(async function () {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("error: the step in flight when the connection thread dies rejects with STORAGE_UNAVAILABLE; the next steps run on a new thread; both are logged", async function () {
      await store.meta.set("before", "1");
      await store.injectThreadFault("thread-throws-at-next-step");
      const error = await failure(store.meta.set("in flight", "1"));
      expect(error).to.be.instanceOf(ServiceError);
      expect(error?.code).to.equal("STORAGE_UNAVAILABLE");
      expect(error?.message).to.match(/the database thread failed: .*fault injection.* before it answered/);
      expect(await store.meta.get("before"), "the new thread reads what was committed").to.equal("1");
      await store.meta.set("after", "1");
      expect(await store.meta.get("after")).to.equal("1");
      expect(lines.map((l) => l.level)).to.deep.equal(["warn", "info"]);
      expect(lines[0]!.message).to.match(/the database thread failed: .*1 step\(s\) in flight failed .*starting a new thread in 0 ms/);
      expect(lines[0]!.fields).to.include({ module: "store", thread: "connection", inFlight: 1, inARow: 1 });
      expect(lines[1]!.message).to.equal("the database thread answers again");
    });

    it("error: a step sent just after the thread throws or exits (so in flight as it dies) rejects; the store then works", async function () {
      for (const fault of ["thread-throws", "thread-exits"] as const) {
        // The fault goes to the thread at once; the step, queued, follows it.
        const write = store.meta.set(fault, "1");
        await store.injectThreadFault(fault);
        const error = await failure(write);
        expect(error?.code, fault).to.equal("STORAGE_UNAVAILABLE");
        expect(error?.message, fault).to.match(fault === "thread-throws" ? /the database thread failed/ : /the database thread exited \(code 70\)/);
        await store.meta.set(`${fault} after`, "1");
        expect(await store.meta.get(`${fault} after`)).to.equal("1");
      }
    });

    for (const fault of ["thread-throws", "thread-exits", "thread-terminated"] as const) {
      it(`behavior: a transaction open when the thread dies (${fault}) stores nothing, not even the steps it runs afterwards; its BEGIN IMMEDIATE lock is gone and the next transaction commits`, async function () {
        let opened!: () => void;
        let release!: () => void;
        const isOpen = new Promise<void>((resolve) => (opened = resolve));
        const gate = new Promise<void>((resolve) => (release = resolve));
        const pending = store.transaction(async (tx) => {
          await tx.meta.set("first half", "1");
          opened();
          await gate; // the thread dies here, the transaction open
          await tx.meta.set("second half", "1"); // on the new thread this would commit on its own
          return "stored";
        });
        await isOpen;
        await store.injectThreadFault(fault);
        release();
        const error = await failure(pending);
        expect(error?.code).to.equal("STORAGE_UNAVAILABLE");
        expect(error?.message).to.match(/no longer open|before it answered/);
        const outside = new Database(path, { readonly: true });
        try {
          expect(outside.prepare("SELECT key FROM meta WHERE key LIKE '% half'").pluck().all(), "seen by another connection").to.deep.equal([]);
        } finally {
          outside.close();
        }
        expect(await store.meta.get("first half")).to.equal(undefined);
        expect(await store.meta.get("second half")).to.equal(undefined);
        expect(await store.transaction(async (tx) => (await tx.meta.set("next", "1"), "committed"))).to.equal("committed");
        expect(await store.meta.get("next")).to.equal("1");
      });
    }
  });

  describe("a store of its own each", function () {
    beforeEach(function () {
      dir = mkdtempSync(join(tmpdir(), "credanchor-thread-"));
      path = join(dir, "credanchor.db");
      lines = [];
    });
    afterEach(async function () {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("behavior: a thread that keeps dying before it answers is restarted after a back-off (steps fail fast meanwhile), then given up on; answering starts the count again", async function () {
      open({ restartDelaysMs: [0, 60_000] });
      await store.injectThreadFault("thread-terminated");
      expect(await store.meta.get("x"), "restarted at once; answering resets the count").to.equal(undefined);
      await store.injectThreadFault("thread-terminated");
      await store.injectThreadFault("thread-terminated");
      // Second death in a row: the next start waits 60 s (never waited for here); meanwhile a step fails at once.
      const waiting = await failure(store.meta.get("x"));
      expect(waiting?.code).to.equal("STORAGE_UNAVAILABLE");
      expect(waiting?.message).to.match(/is being restarted; retry/);
      expect(lines.at(-1)?.fields).to.include({ restartInMs: 60_000, inARow: 2 });
      await store.close();

      lines = [];
      open({ restartDelaysMs: [0] });
      await store.injectThreadFault("thread-throws");
      await store.injectThreadFault("thread-throws");
      const gone = await failure(store.meta.get("x"));
      expect(gone?.code).to.equal("STORAGE_UNAVAILABLE");
      expect(gone?.message).to.match(/died 2 times in a row before answering anything and is no longer restarted: restart the service/);
      expect(lines.map((l) => l.level)).to.deep.equal(["warn", "error"]);
      expect(lines[1]!.message).to.match(/given up; every request needing the database now fails \(503\)/);
    });

    it("behavior: a checkpointer thread that dies is started again and checkpoints again; one that keeps dying leaves the connection checkpointing itself", async function () {
      open({ checkpointerRestartDelaysMs: [0] });
      await store.issuers.upsert({ id: 1, signer: "0x01", listSize: 1024, at: 1 });
      await store.injectThreadFault("checkpointer-throws");
      await logged(/the checkpointer thread failed: .*fault injection.*: starting it again in 0 ms/);
      expect(await store.pragma("wal_autocheckpoint")).to.deep.equal([{ wal_autocheckpoint: 16_384 }]);
      // The new checkpointer copies newly committed pages into the database file.
      const before = statSync(path).size;
      await store.credentials.insertMany(
        Array.from({ length: 100 }, (_, n) => ({ id: `c${n}`, issuerId: 1, statusIndex: n, content: "x".repeat(2_000), salts: Buffer.alloc(64, n), digest: Buffer.alloc(32, n), leaf: Buffer.alloc(32, n + 1), validFrom: 0, validUntil: 0, createdAt: n })),
      );
      const deadline = Date.now() + 20_000;
      while (statSync(path).size - before < 150_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(statSync(path).size - before, "pages copied into the database file").to.be.greaterThan(150_000);
      await store.close();

      lines = [];
      open({ checkpointerRestartDelaysMs: [] });
      await store.meta.set("x", "1");
      await store.injectThreadFault("checkpointer-throws");
      await logged(/the checkpointer thread failed: .*given up; the database connection now checkpoints itself/);
      expect(await store.pragma("wal_autocheckpoint"), "SQLite's default").to.deep.equal([{ wal_autocheckpoint: 1_000 }]);
      await store.meta.set("y", "1");
      expect(await store.meta.get("y")).to.equal("1");
      expect(lines.map((l) => l.level)).to.deep.equal(["error"]);
    });

    it("default: deaths in a row are counted until the thread answers", function () {
      const restarts = new Restarts([0, 100]);
      expect([restarts.died(), restarts.died(), restarts.died()]).to.deep.equal([0, 100, undefined]);
      restarts.worked();
      expect([restarts.died(), restarts.inARow]).to.deep.equal([0, 1]);
    });
  });
});
