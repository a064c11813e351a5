// The SQLite store: one better-sqlite3 connection whose every statement and transaction goes
// through one queue, so an async transaction (BEGIN IMMEDIATE … COMMIT around awaits) never
// interleaves with anything else the process runs on the connection. Transactions waiting
// together commit together (one fsync), each in its own savepoint.
import { AsyncLocalStorage } from "node:async_hooks";
import { dirname, resolve } from "node:path";
import type { Repositories, Store } from "../types.ts";
import { sqliteApiKeys, sqliteAudit, sqliteCounts, sqliteIdempotency, sqliteIssuers, sqliteMeta } from "./admin.ts";
import { sqliteCredentialIds, sqliteCredentials, sqliteSignedCredentials } from "./credentials.ts";
import { sqliteShareLinks } from "./share-links.ts";
import { FALLBACK_CHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from "./checkpointer.ts";
import { openDatabase, storageError, type Db } from "./database.ts";
import { sqliteRegistries } from "./registries.ts";
import { sqliteBatches, sqliteOutbox, sqliteStatusChanges, sqliteWebhooks } from "./pipeline.ts";

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

function repositoriesOf(db: Db): Repositories {
  return {
    meta: sqliteMeta(db),
    issuers: sqliteIssuers(db),
    credentials: sqliteCredentials(db),
    credentialIds: sqliteCredentialIds(db),
    signedCredentials: sqliteSignedCredentials(db),
    batches: sqliteBatches(db),
    statusChanges: sqliteStatusChanges(db),
    outbox: sqliteOutbox(db),
    webhooks: sqliteWebhooks(db),
    apiKeys: sqliteApiKeys(db),
    idempotency: sqliteIdempotency(db),
    audit: sqliteAudit(db),
    stats: sqliteCounts(db),
    shareLinks: sqliteShareLinks(db),
    registries: sqliteRegistries(db),
  };
}

/** Each method of `repository`, run through `run`. */
function routed<R extends object>(repository: R, run: <T>(task: () => Promise<T>) => Promise<T>): R {
  const entries = Object.entries(repository as Record<string, (...args: unknown[]) => Promise<unknown>>);
  return Object.fromEntries(entries.map(([name, method]) => [name, (...args: unknown[]) => run(() => method(...args))])) as R;
}

/** The SQLite implementation of {@link Store}; `db` is the connection (backups and tests read it). */
export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly directory: string | undefined;
  readonly db: Db;
  readonly #queue = new Queue();
  /** Transactions called but not started: the next group commit runs them together. */
  readonly #waiting: { fn: (tx: Repositories) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  readonly #tx: Repositories;
  /** Copies the WAL into the file off the event loop (a file database only). */
  readonly checkpointer: Checkpointer | undefined;
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

  /** `background`: a long-running service; its WAL is checkpointed on a thread of its own ({@link startCheckpointer}). */
  constructor(db: Db, { background = false }: { background?: boolean } = {}) {
    this.db = db;
    this.directory = db.memory ? undefined : dirname(resolve(db.name));
    this.#tx = repositoriesOf(db);
    if (background && !db.memory) {
      this.checkpointer = startCheckpointer(db.name);
      // The COMMIT on the event loop then only appends to the log and fsyncs it; copying pages
      // back (and the file's fsync) happens on the checkpointer's thread.
      db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    }
    const run = <T>(task: () => Promise<T>) => this.#run(task);
    const t = this.#tx;
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
      this.db.exec("BEGIN IMMEDIATE");
      for (const member of group) {
        this.db.exec("SAVEPOINT member");
        try {
          const value = await insideTransaction.run(this, () => member.fn(this.#tx));
          this.db.exec("RELEASE member");
          outcomes.push({ ok: true, value });
        } catch (error) {
          // SQLite may have rolled back the whole transaction already (a full disk does): then nothing of the group stays.
          if (!this.db.inTransaction) throw error;
          this.db.exec("ROLLBACK TO member");
          this.db.exec("RELEASE member");
          outcomes.push({ ok: false, error });
        }
      }
      this.db.exec("COMMIT");
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      for (const member of group) member.reject(storageError(error));
      return;
    }
    group.forEach((member, k) => {
      const outcome = outcomes[k]!;
      if (outcome.ok) member.resolve(outcome.value);
      else member.reject(storageError(outcome.error));
    });
  }

  afterErasure(): Promise<boolean> {
    // secure_delete zeroed the erased cells in the main file; the WAL still holds page images with them.
    return this.#run(async () => {
      try {
        const [result] = this.db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
        return result?.busy === 0;
      } catch {
        return false;
      }
    });
  }

  close(): Promise<void> {
    return this.#queue.run(async () => {
      await this.checkpointer?.stop();
      if (this.db.open) this.db.close();
    });
  }
}

/**
 * Opens (creating if needed) the SQLite store at `path` (`:memory:` for throwaway use), its
 * schema brought up to date. `background: true` for a long-running service (its write-ahead log
 * is checkpointed on a worker thread instead of inside COMMITs on the event loop).
 *
 * @throws ServiceError `STORAGE_UNAVAILABLE` when the file cannot be opened or written.
 *
 * @example
 * const store = openSqliteStore("data/credanchor.db");
 * console.log(await store.meta.get("chainId"));
 */
export function openSqliteStore(path: string, options: { background?: boolean } = {}): SqliteStore {
  return new SqliteStore(openDatabase(path), options);
}
