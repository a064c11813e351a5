// The SQLite store: one better-sqlite3 connection whose every statement and transaction goes
// through one queue, so an async transaction (BEGIN IMMEDIATE … COMMIT around awaits) never
// interleaves with anything else the process runs on the connection. Transactions waiting
// together commit together (one fsync), each in its own savepoint. A long-running service keeps
// the connection on a thread of its own (./thread.ts); short-lived commands and tests use it here.
import { AsyncLocalStorage } from "node:async_hooks";
import { dirname, resolve } from "node:path";
import type { Repositories, Store } from "../types.ts";
import { sqliteSignedCredentials } from "./credentials.ts";
import { openDatabase, storageError, type Db } from "./database.ts";
import { repositoriesOf } from "./repositories.ts";
import type { StoreLog } from "./restarts.ts";
import { startConnectionThread, type ConnectionThreadOptions, type ThreadFault, type ThreadedConnection } from "./thread.ts";

/** The store whose transaction the current async call chain runs in (calling the store itself there would wait forever). */
const insideTransaction = new AsyncLocalStorage<SqliteStore>();

/** Runs tasks one at a time, in call order; a failing task does not stop the next. */
class Queue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => {});
    return result;
  }
}

/** The repositories of a connection on another thread: each method a message to it; `tx`: the ones a transaction gets (each step checked to run inside it). */
function threadedRepositories(connection: ThreadedConnection, tx: boolean): Repositories {
  const repository = (name: keyof Repositories) =>
    new Proxy(
      {},
      { get: (_, method) => (typeof method !== "string" || method === "then" ? undefined : (...args: unknown[]) => connection.call(name, method, args, tx)) },
    );
  const names: (keyof Repositories)[] = ["meta", "issuers", "credentials", "credentialIds", "signedCredentials", "batches", "statusChanges", "outbox", "webhooks", "apiKeys", "idempotency", "audit", "stats", "shareLinks", "registries"];
  return Object.fromEntries(names.map((name) => [name, repository(name)])) as unknown as Repositories;
}

/** Each method of `repository`, run through `run`. */
function routed<R extends object>(repository: R, run: <T>(task: () => Promise<T>) => Promise<T>): R {
  const method = (name: string | symbol) => {
    const m = (repository as Record<string | symbol, unknown>)[name];
    return typeof m === "function" ? (...args: unknown[]) => run(() => m(...args) as Promise<unknown>) : m;
  };
  // The repositories of a connection thread are proxies (any method name is a message).
  if (Object.keys(repository).length === 0) return new Proxy({}, { get: (_, name) => method(name) }) as R;
  return Object.fromEntries(Object.keys(repository).map((name) => [name, method(name)])) as R;
}

/** The connection the store's queue drives: here (synchronous calls) or on its own thread (messages). */
type Connection =
  | { thread: false; db: Db }
  | { thread: true; path: string; connection: ThreadedConnection };

/** The SQLite implementation of {@link Store}; `db` is the connection when it is on this thread (backups and tests read it). */
export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly soleWriter = true;
  readonly directory: string | undefined;
  readonly #connection: Connection;
  readonly #queue = new Queue();
  /** Transactions called but not started: the next group commit runs them together. */
  readonly #waiting: { fn: (tx: Repositories) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  readonly #tx: Repositories;
  readonly meta: Repositories["meta"];
  readonly issuers: Repositories["issuers"];
  readonly credentials: Repositories["credentials"];
  readonly credentialIds: Repositories["credentialIds"];
  readonly signedCredentials: Repositories["signedCredentials"];
  readonly batches: Repositories["batches"];
  readonly statusChanges: Repositories["statusChanges"];
  readonly outbox: Repositories["outbox"];
  readonly webhooks: Repositories["webhooks"];
  readonly apiKeys: Repositories["apiKeys"];
  readonly idempotency: Repositories["idempotency"];
  readonly audit: Repositories["audit"];
  readonly stats: Repositories["stats"];
  readonly shareLinks: Repositories["shareLinks"];
  readonly registries: Repositories["registries"];

  /** A connection on this thread (`db`), or the connection thread of the file at `path`. */
  constructor(connection: Db | { path: string; connection: ThreadedConnection }) {
    if ("connection" in connection) {
      this.#connection = { thread: true, ...connection };
      this.directory = dirname(resolve(connection.path));
      this.#tx = threadedRepositories(connection.connection, true);
    } else {
      this.#connection = { thread: false, db: connection };
      this.directory = connection.memory ? undefined : dirname(resolve(connection.name));
      this.#tx = repositoriesOf(connection);
    }
    const run = <T>(task: () => Promise<T>) => this.#run(task);
    const t = this.#connection.thread ? threadedRepositories(this.#connection.connection, false) : this.#tx;
    this.meta = routed(t.meta, run);
    this.issuers = routed(t.issuers, run);
    this.credentials = routed(t.credentials, run);
    this.credentialIds = routed(t.credentialIds, run);
    this.signedCredentials = routed(t.signedCredentials, run);
    this.batches = routed(t.batches, run);
    this.statusChanges = routed(t.statusChanges, run);
    this.outbox = routed(t.outbox, run);
    this.webhooks = routed(t.webhooks, run);
    this.apiKeys = routed(t.apiKeys, run);
    this.idempotency = routed(t.idempotency, run);
    this.audit = routed(t.audit, run);
    this.stats = routed(t.stats, run);
    this.shareLinks = routed(t.shareLinks, run);
    this.registries = routed(t.registries, run);
    if (this.#connection.thread) {
      const signed = this.signedCredentials;
      const seal = (mac: (issuerId: number, vcId: string) => Buffer) => this.#sealHere(mac);
      this.signedCredentials = new Proxy(signed, { get: (target, name) => (name === "sealLegacyVcIds" ? seal : (target as unknown as Record<string | symbol, unknown>)[name]) });
    }
  }

  /** The connection, when it is on this thread. */
  get db(): Db {
    if (this.#connection.thread) throw new Error("this store's connection runs on its own thread: use the store's methods");
    return this.#connection.db;
  }

  /** Runs a PRAGMA on the store's connection (wherever it runs), in turn with everything else. */
  pragma(sql: string): Promise<unknown> {
    const c = this.#connection;
    return this.#run(async () => (c.thread ? c.connection.pragma(sql) : c.db.pragma(sql)));
  }

  /** Runs `sql`; `tx`: a step of the open transaction (on a connection thread it fails if none is open, see ./thread.ts). */
  async #exec(sql: string, tx = true): Promise<void> {
    const c = this.#connection;
    if (c.thread) await c.connection.exec(sql, tx);
    else c.db.exec(sql);
  }

  async #inTransaction(): Promise<boolean> {
    const c = this.#connection;
    return c.thread ? c.connection.inTransaction() : c.db.inTransaction;
  }

  /**
   * Sealing the VC ids of a database from before migration 6 takes a function (the MAC), which no
   * message carries: it runs once, at start, on a connection of this thread's own, in its turn.
   */
  #sealHere(mac: (issuerId: number, vcId: string) => Buffer): Promise<number> {
    return this.#run(async () => {
      const db = openDatabase((this.#connection as { path: string }).path);
      try {
        return await sqliteSignedCredentials(db).sealLegacyVcIds(mac);
      } finally {
        db.close();
      }
    });
  }

  /** One step outside any transaction: queued behind every transaction and step before it. */
  #run<T>(task: () => Promise<T>): Promise<T> {
    if (insideTransaction.getStore() === this) return Promise.reject(new Error("the store was called inside its own transaction: use the transaction's repositories (tx)"));
    return this.#queue.run(task).catch((error: unknown) => {
      throw storageError(error);
    });
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    if (insideTransaction.getStore() === this) return Promise.reject(new Error("the store was called inside its own transaction: use the transaction's repositories (tx)"));
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      // The first transaction of a group queues it; the ones called before it starts join it.
      if (this.#waiting.length === 1) void this.#queue.run(() => this.#commitGroup());
    });
  }

  /**
   * Group commit: every transaction waiting when the group starts runs in one BEGIN IMMEDIATE …
   * COMMIT, each inside its own savepoint (one that fails is rolled back alone), so concurrent
   * requests share one fsync of the write-ahead log. Each promise settles after the COMMIT: what
   * a transaction wrote is durable before its caller hears of it.
   */
  async #commitGroup(): Promise<void> {
    const group = this.#waiting.splice(0);
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      // IMMEDIATE: take the write lock now, so no other connection (another process on the same
      // file) can make this transaction fail later with SQLITE_BUSY on its first write.
      // Neighbouring statements travel together (one message to the connection's thread each):
      // BEGIN with the first savepoint, each RELEASE with the next SAVEPOINT, the last with COMMIT.
      // SAVEPOINT and RELEASE of a savepoint inside BEGIN do not fail on their own; if the thread
      // dies under them, the group fails as it would have.
      await this.#exec("BEGIN IMMEDIATE; SAVEPOINT member", false);
      for (const [k, member] of group.entries()) {
        const then = k === group.length - 1 ? "; COMMIT" : "; SAVEPOINT member";
        let value: unknown;
        try {
          value = await insideTransaction.run(this, () => member.fn(this.#tx));
        } catch (error) {
          // SQLite may have rolled back the whole transaction already (a full disk does): then nothing of the group stays.
          if (!(await this.#inTransaction())) throw error;
          await this.#exec(`ROLLBACK TO member; RELEASE member${then}`);
          outcomes.push({ ok: false, error });
          continue;
        }
        await this.#exec(`RELEASE member${then}`);
        outcomes.push({ ok: true, value });
      }
    } catch (error) {
      if (await this.#inTransaction().catch(() => false)) await this.#exec("ROLLBACK", false).catch(() => {});
      for (const member of group) member.reject(storageError(error));
      return;
    }
    group.forEach((member, k) => {
      const outcome = outcomes[k]!;
      if (outcome.ok) member.resolve(outcome.value);
      else member.reject(storageError(outcome.error));
    });
  }

  unrecoverable(): string | undefined {
    const c = this.#connection;
    return c.thread ? c.connection.givenUp() : undefined;
  }

  afterErasure(): Promise<boolean> {
    // secure_delete zeroed the erased cells in the main file; the WAL still holds page images with them.
    const c = this.#connection;
    return this.#run(async () => {
      try {
        const [result] = (c.thread ? await c.connection.pragma("wal_checkpoint(TRUNCATE)") : c.db.pragma("wal_checkpoint(TRUNCATE)")) as { busy: number }[];
        return result?.busy === 0;
      } catch {
        return false;
      }
    });
  }

  /**
   * Tests only: makes the connection thread (or its checkpointer) die as a bug or a crash would,
   * outside the queue, so a step the store sent just after it is in flight when it dies
   * (`thread-throws-at-next-step`: the next step that reaches the thread kills it). Resolves
   * once the store has seen the death (or the fault is armed).
   */
  injectThreadFault(fault: ThreadFault): Promise<void> {
    const c = this.#connection;
    if (!c.thread) return Promise.reject(new Error("this store's connection runs on this thread"));
    return c.connection.inject(fault);
  }

  close(): Promise<void> {
    const c = this.#connection;
    return this.#queue.run(async () => {
      if (c.thread) await c.connection.close();
      else if (c.db.open) c.db.close();
    });
  }
}

/**
 * Opens (creating if needed) the SQLite store at `path` (`:memory:` for throwaway use), its
 * schema brought up to date. `background: true` for a long-running service: the connection then
 * runs on a thread of its own (statements and COMMITs' fsyncs off the event loop) and its
 * write-ahead log is checkpointed on another (./thread.ts, ./checkpointer.ts). When one of these
 * threads dies it is started again (`restartDelaysMs`, see ./restarts.ts), reported to `log`
 * (default: standard error).
 *
 * @throws ServiceError `STORAGE_UNAVAILABLE` when the file cannot be opened or written.
 *
 * @example
 * const store = openSqliteStore("data/credanchor.db");
 * console.log(await store.meta.get("chainId"));
 */
export function openSqliteStore(path: string, { background = false, log = logToStderr, ...restarts }: SqliteStoreOptions = {}): SqliteStore {
  const db = openDatabase(path);
  if (!background || db.memory) return new SqliteStore(db);
  // Opened (and migrated) here first, so a file that cannot be opened fails now, as ever.
  db.close();
  return new SqliteStore({ path, connection: startConnectionThread(path, { log, ...restarts }) });
}

/** How {@link openSqliteStore} runs the store: `background` puts the connection on a thread of its own. */
export type SqliteStoreOptions = { background?: boolean; log?: StoreLog } & Omit<ConnectionThreadOptions, "log">;

/** Where a store opened without a logger reports its threads' deaths. */
const logToStderr: StoreLog = (level, message) => console.error(`credanchor store ${level}: ${message}`);
