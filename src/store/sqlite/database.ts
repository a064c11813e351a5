// The service's SQLite file: opening it safely (WAL, full fsync, secure delete) at the current schema, and what its errors mean to clients.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ServiceError } from "../../core/errors.ts";
import { migrate } from "./migrations.ts";

export type Db = Database.Database;
export type Statement = Database.Statement<unknown[]>;

/**
 * Opens (creating if needed) the service database at `path`, in WAL mode with full fsync, and
 * brings its schema up to date. `:memory:` works for throwaway use.
 *
 * @throws ServiceError `STORAGE_UNAVAILABLE` when the file cannot be opened or written.
 *
 * @example
 * const db = openDatabase("data/credanchor.db");
 */
export function openDatabase(path: string): Db {
  let db: Db;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma("journal_mode = WAL");
    // FULL: a commit survives power loss, not just a process crash. A 2xx means stored.
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    // Erased content (GDPR) must not linger in free pages or freed cells: overwrite it with zeros.
    db.pragma("secure_delete = ON");
    migrate(db);
  } catch (error) {
    throw new ServiceError(`cannot open the database at ${path}: ${(error as Error).message}`, { code: "STORAGE_UNAVAILABLE", cause: error });
  }
  return db;
}

/**
 * A step that did not run, or whose effect is gone: the connection's thread died before it
 * answered (SQLite rolled back the open transaction when that connection closed), or the
 * transaction the step belongs to is no longer open. Nothing of the caller's transaction is stored.
 */
export class StorageInterrupted extends Error {
  override readonly name = "StorageInterrupted";
  readonly code = "STORAGE_INTERRUPTED";
}

/**
 * Maps a SQLite failure to what a client should hear: a full disk, a read-only or locked file
 * is `STORAGE_UNAVAILABLE` (HTTP 503), so nothing is answered 2xx that was not stored.
 * An interrupted step (see {@link StorageInterrupted}) is one too, its reason kept in the message.
 */
export function storageError(error: unknown): unknown {
  if (error instanceof StorageInterrupted) return new ServiceError(`the database cannot store data right now: ${error.message}`, { code: "STORAGE_UNAVAILABLE", cause: error });
  const code = (error as { code?: string })?.code ?? "";
  if (/^SQLITE_(FULL|READONLY|IOERR|BUSY|LOCKED|CANTOPEN|CORRUPT|NOTADB)/.test(code)) {
    return new ServiceError(`the database cannot store data right now (${code})`, { code: "STORAGE_UNAVAILABLE", cause: error });
  }
  return error;
}
