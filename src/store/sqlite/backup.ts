// Online backups of the service database: consistent while the service runs, readable only by its owner.
import { chmodSync, closeSync, existsSync, openSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import Database from "better-sqlite3";
import { ServiceError } from "../../core/errors.ts";
import type { Db } from "./database.ts";

/**
 * Copies the open database `db` into `file` with SQLite's online backup API (a consistent
 * snapshot, also while the service writes), through a temporary file created with mode 0600 in
 * the same directory and renamed into place, so a backup is never world-readable, even briefly,
 * and never half-written under its final name. Refuses to overwrite an existing file.
 *
 * @throws ServiceError `STORAGE_UNAVAILABLE` when `file` exists or cannot be written.
 *
 * @example
 * const { pages } = await backupDatabase(db, "/backups/credanchor-2026-12-02.db");
 */
export async function backupDatabase(db: Db, file: string): Promise<{ file: string; pages: number }> {
  if (existsSync(file)) throw new ServiceError(`${file} exists: give a new file name (a backup never overwrites)`, { code: "STORAGE_UNAVAILABLE" });
  const temporary = join(dirname(file), `.${basename(file)}.partial-${process.pid}`);
  try {
    closeSync(openSync(temporary, "wx", 0o600));
    const { totalPages } = await db.backup(temporary);
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
    return { file, pages: totalPages };
  } catch (error) {
    rmSync(temporary, { force: true });
    if (error instanceof ServiceError) throw error;
    throw new ServiceError(`cannot write the backup ${file}: ${(error as Error).message}`, { code: "STORAGE_UNAVAILABLE", cause: error });
  }
}

/**
 * Copies the backup `file` to `target` (mode 0600, never overwriting) after SQLite's integrity
 * check, opening the backup read-only so it stays as it was.
 *
 * @throws ServiceError `STORAGE_UNAVAILABLE` when the backup is unreadable or damaged, or `target` exists.
 *
 * @example
 * await restoreDatabase("/backups/credanchor-2026-12-02.db", "data/credanchor.db");
 */
export async function restoreDatabase(file: string, target: string): Promise<{ pages: number }> {
  let source: Db;
  try {
    source = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new ServiceError(`cannot open the backup ${file}: ${(error as Error).message}`, { code: "STORAGE_UNAVAILABLE", cause: error });
  }
  try {
    const check = source.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new ServiceError(`${file} fails SQLite's integrity check: ${String(check)}`, { code: "STORAGE_UNAVAILABLE" });
    return { pages: (await backupDatabase(source, target)).pages };
  } finally {
    source.close();
  }
}
