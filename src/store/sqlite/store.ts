// The SQLite store: one better-sqlite3 connection whose every statement and transaction goes
// through one queue, so an async transaction (BEGIN IMMEDIATE … COMMIT around awaits) never
// interleaves with anything else the process runs on the connection.
import { AsyncLocalStorage } from "node:async_hooks";
import { dirname, resolve } from "node:path";
import type { Repositories, Store } from "../types.ts";
import { sqliteApiKeys, sqliteAudit, sqliteCounts, sqliteIdempotency, sqliteIssuers, sqliteMeta } from "./admin.ts";
import { sqliteCredentialIds, sqliteCredentials, sqliteSignedCredentials } from "./credentials.ts";
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
  readonly registries: Repositories["registries"];

  constructor(db: Db) {
    this.db = db;
    this.directory = db.memory ? undefined : dirname(resolve(db.name));
    this.#tx = repositoriesOf(db);
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
    return this.#run(async () => {
      // IMMEDIATE: take the write lock now, so no other connection (another process on the same
      // file) can make this transaction fail later with SQLITE_BUSY on its first write.
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const result = await insideTransaction.run(this, () => fn(this.#tx));
        this.db.exec("COMMIT");
        return result;
      } catch (error) {
        // SQLite may have rolled back already (a full disk does).
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw error;
      }
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
      if (this.db.open) this.db.close();
    });
  }
}

/**
 * Opens (creating if needed) the SQLite store at `path` (`:memory:` for throwaway use), its
 * schema brought up to date.
 *
 * @throws ServiceError `STORAGE_UNAVAILABLE` when the file cannot be opened or written.
 *
 * @example
 * const store = openSqliteStore("data/credanchor.db");
 * console.log(await store.meta.get("chainId"));
 */
export function openSqliteStore(path: string): SqliteStore {
  return new SqliteStore(openDatabase(path));
}
