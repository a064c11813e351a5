// Chooses the store from configuration: PostgreSQL when a DATABASE_URL is given, else the
// embedded SQLite file (the default).
import { openPostgresStore } from "./postgres/store.ts";
import type { StoreLog } from "./sqlite/restarts.ts";
import { openSqliteStore } from "./sqlite/store.ts";
import type { Store } from "./types.ts";

/**
 * Opens the configured store, its schema brought up to date. `background: true` for the
 * long-running service (see openSqliteStore), `log` where its threads' deaths are reported.
 *
 * @throws ServiceError `STORAGE_UNAVAILABLE` when the database cannot be opened or reached.
 *
 * @example
 * const store = await openStore({ databaseUrl: process.env.DATABASE_URL, sqlitePath: "data/credanchor.db" });
 */
export async function openStore(options: { databaseUrl?: string | undefined; sqlitePath: string; background?: boolean; log?: StoreLog }): Promise<Store> {
  return options.databaseUrl ? openPostgresStore(options.databaseUrl) : openSqliteStore(options.sqlitePath, { background: options.background ?? false, ...(options.log ? { log: options.log } : {}) });
}
