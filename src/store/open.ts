// Chooses the store from configuration: PostgreSQL when a DATABASE_URL is given, else the
// embedded SQLite file (the default).
import { openPostgresStore } from "./postgres/store.ts";
import { openSqliteStore } from "./sqlite/store.ts";
import type { Store } from "./types.ts";

/**
 * Opens the configured store, its schema brought up to date. `background: true` for the
 * long-running service (see openSqliteStore).
 *
 * @throws ServiceError `STORAGE_UNAVAILABLE` when the database cannot be opened or reached.
 *
 * @example
 * const store = await openStore({ databaseUrl: process.env.DATABASE_URL, sqlitePath: "data/credanchor.db" });
 */
export async function openStore(options: { databaseUrl?: string | undefined; sqlitePath: string; background?: boolean }): Promise<Store> {
  return options.databaseUrl ? openPostgresStore(options.databaseUrl) : openSqliteStore(options.sqlitePath, { background: options.background ?? false });
}
