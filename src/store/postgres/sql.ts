// How the PostgreSQL repositories talk to the server: one query function (a pool outside a
// transaction, the transaction's client inside), rows typed as SQLite's, errors as clients hear them.
import pg from "pg";
import { ServiceError } from "../../core/errors.ts";

/** Runs one statement; the pool's or the open transaction's. */
export type Sql = <R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: readonly unknown[]) => Promise<pg.QueryResult<R>>;

// bigint (OID 20) as a JS number: ids, counters, times and block numbers stay far below 2^53,
// and rows then equal SQLite's (which better-sqlite3 reads as numbers). Wei amounts are text.
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => (oid === INT8 && format !== "binary" ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

/**
 * A connection pool to `connectionString` whose rows read bigint columns as numbers.
 *
 * @example
 * const pool = createPool("postgres://credanchor@db.internal/credanchor", 20);
 */
export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, types, keepAlive: true, connectionTimeoutMillis: 10_000 });
  // An idle client's connection may drop (server restart, failover): the pool replaces it.
  pool.on("error", () => {});
  return pool;
}

/** A {@link Sql} over a pool or a client. */
export function sqlOf(target: pg.Pool | pg.PoolClient): Sql {
  return (text, values) => target.query(text, values as unknown[]);
}

// SQLSTATE classes meaning "the database cannot serve now", not "this request is wrong":
// 08 connection exception, 53 insufficient resources (disk full, too many connections),
// 57P0x admin shutdown / crash shutdown / cannot connect now, 25006 read-only transaction (a standby).
const UNAVAILABLE = /^(08|53|57P0|58)|^25006$/;

/**
 * Maps a PostgreSQL or connection failure to what a client should hear: `STORAGE_UNAVAILABLE`
 * (HTTP 503), so nothing is answered 2xx that was not stored. Other errors pass unchanged.
 */
export function storageError(error: unknown): unknown {
  const code = (error as { code?: string })?.code ?? "";
  const network = /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NOTFOUND|AI_AGAIN)$/.test(code);
  const lost = error instanceof Error && /Connection terminated|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end/i.test(error.message);
  if (UNAVAILABLE.test(code) || network || lost) {
    return new ServiceError(`the database cannot store data right now (${code || (error as Error).message})`, { code: "STORAGE_UNAVAILABLE", cause: error });
  }
  return error;
}

/** Whether a transaction failed only because it ran beside another (run it again from the start). */
export function isSerializationFailure(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === "40001" || code === "40P01";
}

/** A Uint8Array as a Buffer without copying (pg sends Buffers as bytea). */
export const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
