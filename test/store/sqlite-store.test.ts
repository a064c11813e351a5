// The SQLite store (real files): the shared Store contract, transactions that span awaits never
// interleaving with other statements of the process, group commit, and a database from before migration 6
// opening with its signed credentials' VC ids sealed into MACs, erasable to nothing, and one from before
// migration 10 opening with its credential texts moved to their own table, erasable to nothing too.
import { expect } from "chai";
import Database from "better-sqlite3";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/store.ts";
import { describeStore } from "../helpers/store-suite.ts";

describeStore("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "credanchor-store-"));
  // As the service runs it: the write-ahead log checkpointed on a thread of its own.
  const store = openSqliteStore(join(dir, "credanchor.db"), { background: true });
  return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
});

describe("src/store/sqlite: one queue for the connection", function () {
  let dir: string;
  let store: SqliteStore;

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), "credanchor-store-"));
    store = openSqliteStore(join(dir, "credanchor.db"));
    await store.issuers.upsert({ id: 1, signer: "0x01", listSize: 1024, at: 1 });
  });

  afterEach(async function () {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("behavior: a statement from outside waits for an open transaction (never runs inside it) and is not rolled back with it", async function () {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const aborted = store.transaction(async (tx) => {
      await tx.meta.set("inside", "1");
      await gate; // the transaction is open across this await
      throw new Error("abort");
    });
    let outsideDone = false;
    const outside = store.meta.set("outside", "1").then(() => (outsideDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(outsideDone, "queued behind the open transaction").to.equal(false);
    release();
    const error = await aborted.then(() => undefined, (e: Error) => e);
    expect(error?.message).to.equal("abort");
    await outside;
    expect(await store.meta.get("inside")).to.equal(undefined);
    expect(await store.meta.get("outside")).to.equal("1");
  });

  for (const background of [false, true]) it(`behavior: transactions called together commit together (one fsync); one that fails is rolled back alone; each settles after the COMMIT${background ? " (connection on its own thread)" : ""}`, async function () {
    if (background) {
      await store.close();
      store = openSqliteStore(join(dir, "threaded.db"), { background: true });
    }
    const events: string[] = [];
    const a = store.transaction(async (tx) => {
      await tx.meta.set("a", "1");
      events.push("a ran");
      return "A";
    });
    const b = store.transaction(async (tx) => {
      await tx.meta.set("b", "1");
      throw new Error("b fails");
    });
    const c = store.transaction(async (tx) => {
      await tx.meta.set("c", "1");
      events.push("c ran");
      return "C";
    });
    void a.then(() => events.push("a settled"));
    expect(await a).to.equal("A");
    expect(await b.then(() => undefined, (e: Error) => e.message)).to.equal("b fails");
    expect(await c).to.equal("C");
    expect(events.slice(0, 3)).to.deep.equal(["a ran", "c ran", "a settled"]);
    expect([await store.meta.get("a"), await store.meta.get("b"), await store.meta.get("c")]).to.deep.equal(["1", undefined, "1"]);
    // The next transaction starts a new group.
    expect(await store.transaction(async (tx) => (await tx.meta.set("d", "1"), "D"))).to.equal("D");
    // The last of a group fails (its rollback travels with the COMMIT), and a group of one fails.
    const e = store.transaction(async (tx) => (await tx.meta.set("e", "1"), "E"));
    const f = store.transaction(async (tx) => (await tx.meta.set("f", "1"), Promise.reject(new Error("f fails"))));
    expect([await e, await f.catch((error: Error) => error.message)]).to.deep.equal(["E", "f fails"]);
    expect(await store.transaction(async (tx) => (await tx.meta.set("g", "1"), Promise.reject(new Error("g fails")))).catch((error: Error) => error.message)).to.equal("g fails");
    expect(await Promise.all(["d", "e", "f", "g"].map((key) => store.meta.get(key)))).to.deep.equal(["1", "1", undefined, undefined]);
  });

  it("error: calling the store itself inside its own transaction rejects instead of waiting forever", async function () {
    const error = await store.transaction(() => store.meta.get("x")).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.match(/inside its own transaction/);
    expect(await store.meta.get("x"), "the store still answers afterwards").to.equal(undefined);
  });
});

describe("src/store/sqlite: a service's connection runs on a thread of its own", function () {
  it("behavior: a background store works through its connection thread, whose log is checkpointed on a third thread (not in its COMMITs); a short-lived store keeps the connection here with SQLite's defaults", async function () {
    const dir = mkdtempSync(join(tmpdir(), "credanchor-store-"));
    const path = join(dir, "credanchor.db");
    const store = openSqliteStore(path, { background: true });
    try {
      expect(() => store.db, "no connection on this thread").to.throw(/its own thread/);
      // The connection checkpoints into the file itself only at 16,384 pages (64 MiB) of log: far more than written here.
      expect(await store.pragma("wal_autocheckpoint")).to.deep.equal([{ wal_autocheckpoint: 16_384 }]);
      await store.issuers.upsert({ id: 1, signer: "0x01", listSize: 1 << 20, at: 1 });
      const before = statSync(path).size;
      // About 6 MB of log in 20 commits (SQLite's default would have checkpointed in the COMMIT after 4 MB).
      for (let t = 0; t < 20; t++) {
        await store.transaction(async (tx) => {
          await tx.credentials.insertMany(
            Array.from({ length: 100 }, (_, k) => {
              const n = t * 100 + k;
              return { id: `c${n}`, issuerId: 1, statusIndex: n, content: "x".repeat(2_000), salts: Buffer.alloc(640, n), digest: Buffer.alloc(32, n), leaf: Buffer.alloc(32, n + 1), validFrom: 0, validUntil: 0, createdAt: n };
            }),
          );
        });
      }
      const row = await store.credentials.get("c1999");
      expect(Buffer.isBuffer(row?.digest), "byte columns come back as Buffers").to.equal(true);
      expect(row?.digest.equals(Buffer.alloc(32, 1999 & 255))).to.equal(true);
      // The checkpointer copies the pages into the file (it looks every 250 ms; waited for, not timed).
      const deadline = Date.now() + 30_000;
      while (statSync(path).size - before < 4_000_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(statSync(path).size - before, "pages copied into the database file").to.be.greaterThan(4_000_000);
      const failed = await store.transaction(async (tx) => tx.meta.set("x", "y").then(() => tx.credentials.insertMany([{ id: "c0", issuerId: 1, statusIndex: 5_000, content: "", salts: Buffer.alloc(0), digest: Buffer.alloc(32), leaf: Buffer.alloc(32), validFrom: 0, validUntil: 0, createdAt: 0 }]))).then(() => undefined, (e: { code?: string }) => e);
      expect(failed?.code, "a SQLite error keeps its code across the thread").to.equal("SQLITE_CONSTRAINT_UNIQUE");
      expect(await store.meta.get("x"), "and its transaction was rolled back").to.equal(undefined);
    } finally {
      await store.close();
    }
    const plain = openSqliteStore(path);
    try {
      expect(plain.db.pragma("wal_autocheckpoint", { simple: true })).to.equal(1_000);
      expect(await plain.credentials.get("c1999")).to.have.property("status_index", 1999);
    } finally {
      await plain.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("src/store/sqlite migration 6: signed credentials keep their VC id only as a MAC", function () {
  for (const background of [false, true]) it(`behavior: a version-5 database opens${background ? " (connection on its own thread: the MAC is computed here)" : ""}; its clear VC id is sealed into a MAC, found by it, and erasure leaves the id nowhere in the file`, async function () {
    const dir = mkdtempSync(join(tmpdir(), "credanchor-store-v5-"));
    const path = join(dir, "credanchor.db");
    const vcId = "urn:uuid:student-record-4711";
    try {
      const old = new Database(path);
      for (const migration of MIGRATIONS.slice(0, 5)) old.exec(migration);
      old.pragma("user_version = 5");
      old.prepare("INSERT INTO issuers (id, signer, list_size, created_at) VALUES (1, '0x01', 1024, 1)").run();
      old.prepare("INSERT INTO credentials (id, issuer_id, status_index, content, salts, digest, leaf, valid_from, valid_until, created_at) VALUES ('c1', 1, 7, ?, x'00', x'01', x'02', 0, 0, 1)").run(JSON.stringify({ id: vcId }));
      old.prepare("INSERT INTO signed_credentials (credential_id, vc_id, proof) VALUES ('c1', ?, '{}')").run(vcId);
      old.close();

      const store = openSqliteStore(path, { background });
      try {
        const mac = (issuerId: number, id: string) => createHmac("sha256", "k").update(`${issuerId}\0${id}`).digest();
        expect(await store.signedCredentials.sealLegacyVcIds(mac)).to.equal(1);
        expect(await store.signedCredentials.sealLegacyVcIds(mac), "sealed once").to.equal(0);
        expect(await store.signedCredentials.find("unknown", [mac(1, vcId)])).to.deep.equal([{ credential_id: "c1", issuer_id: 1, proof: "{}" }]);
        expect(await store.pragma("user_version")).to.deep.equal([{ user_version: MIGRATIONS.length }]);

        expect(await store.credentials.erase("c1", 2)).to.equal(true);
        expect(await store.signedCredentials.find("c1", [mac(1, vcId)])).to.deep.equal([]);
        expect(await store.afterErasure()).to.equal(true);
      } finally {
        await store.close();
      }
      const after = new Database(path, { readonly: true });
      expect(after.prepare("SELECT count(*) FROM legacy_vc_ids").pluck().get(), "every legacy id sealed and forgotten").to.equal(0);
      after.close();
      expect(readFileSync(path).includes(Buffer.from("student-record-4711")), "the erased id is nowhere in the database file").to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("src/store/sqlite migration 10: a credential's text and salts in a table of their own", function () {
  for (const background of [false, true]) it(`behavior: a version-9 database opens${background ? " (connection on its own thread)" : ""} with its texts moved, still readable and re-indexable; erasing one after the move leaves no byte of it in the file, short or spilling onto overflow pages`, async function () {
    const dir = mkdtempSync(join(tmpdir(), "credanchor-store-v9-"));
    const path = join(dir, "credanchor.db");
    // One text inline in its page, one long enough for overflow pages (a 4 KiB page holds about 4,000 bytes of a row).
    const texts = { kept: JSON.stringify({ name: "Ambrose Kept-After-Move" }), short: JSON.stringify({ name: "Cordelia Erased-After-Move" }), long: JSON.stringify({ name: "Lysander Erased-Long", pad: "Lysander-Overflow ".repeat(600) }) };
    try {
      const old = new Database(path);
      for (const migration of MIGRATIONS.slice(0, 9)) old.exec(migration);
      old.pragma("user_version = 9");
      old.prepare("INSERT INTO issuers (id, signer, list_size, created_at) VALUES (1, '0x01', 1024, 1)").run();
      const insert = old.prepare("INSERT INTO credentials (id, issuer_id, status_index, content, salts, digest, leaf, valid_from, valid_until, created_at, erased_at) VALUES (?, 1, ?, ?, ?, x'01', x'02', 0, 0, 1, ?)");
      insert.run("kept", 1, texts.kept, Buffer.alloc(16, 1), null);
      insert.run("short", 2, texts.short, Buffer.alloc(16, 2), null);
      insert.run("long", 3, texts.long, Buffer.alloc(16, 3), null);
      insert.run("gone", 4, null, null, 5);
      old.close();

      const store = openSqliteStore(path, { background });
      try {
        expect(await store.pragma("user_version")).to.deep.equal([{ user_version: MIGRATIONS.length }]);
        const kept = (await store.credentials.get("kept"))!;
        expect({ content: kept.content, salts: kept.salts }).to.deep.equal({ content: texts.kept, salts: Buffer.alloc(16, 1) });
        expect((await store.credentials.getAnchored("long"))!.content).to.equal(texts.long);
        expect(await store.credentials.content(kept.seq)).to.equal(texts.kept);
        const gone = (await store.credentials.get("gone"))!;
        expect({ content: gone.content, salts: gone.salts, erased_at: gone.erased_at }).to.deep.equal({ content: null, salts: null, erased_at: 5 });
        // Re-indexing a queued row changes both tables, or neither.
        const moved = { statusIndex: 9, salts: Buffer.alloc(16, 9), digest: Buffer.alloc(32, 9), leaf: Buffer.alloc(32, 8), validFrom: 0, validUntil: 0 };
        expect(await store.credentials.reindexQueued(kept.seq, moved)).to.equal(true);
        expect((await store.credentials.get("kept"))!).to.include({ status_index: 9 }).and.to.have.deep.property("salts", Buffer.alloc(16, 9));

        expect(await store.credentials.erase("short", 6)).to.equal(true);
        expect(await store.credentials.erase("long", 6)).to.equal(true);
        expect(await store.credentials.content((await store.credentials.get("long"))!.seq)).to.equal(null);
        expect(await store.afterErasure()).to.equal(true);
      } finally {
        await store.close();
      }
      const bytes = readFileSync(path);
      expect(bytes.includes(Buffer.from("Ambrose Kept-After-Move")), "the test can see a text that was kept").to.equal(true);
      for (const marker of ["Cordelia Erased-After-Move", "Lysander Erased-Long", "Lysander-Overflow"]) {
        expect(bytes.includes(Buffer.from(marker)), `${marker}: no copy from before the move either`).to.equal(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
