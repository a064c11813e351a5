// The service's SQLite connection on a thread of its own: better-sqlite3 is synchronous, so every
// statement (inserts, a batch's claim) and every COMMIT's fsync would otherwise stop the event
// loop that serves HTTP. The main thread sends each step as a message; this thread runs them in
// the order they arrive on its one connection. The store's queue on the main thread still decides
// that order (transactions, group commit), exactly as for a connection on the main thread.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Repositories } from "../types.ts";
import { FALLBACK_CHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from "./checkpointer.ts";
import { openDatabase, type Db } from "./database.ts";
import { repositoriesOf } from "./repositories.ts";

type Start = { credanchorSqliteThread: true; path: string };

type Request =
  | { id: number; op: "call"; repository: keyof Repositories; method: string; args: unknown[] }
  | { id: number; op: "exec"; sql: string }
  | { id: number; op: "inTransaction" }
  | { id: number; op: "pragma"; sql: string }
  | { id: number; op: "close" };

type Reply = { id: number; value?: unknown; error?: { message: string; name: string; code?: string } };

/**
 * Buffers arrive on the other side of a thread as plain Uint8Arrays: the store's callers (and
 * its repositories) rely on Buffer's methods, so every byte array in a value is made a Buffer
 * again (a view, not a copy). Walks arrays, plain objects, Maps and Sets.
 */
export function revive<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== "object" || depth > 16) return value;
  if (value instanceof Uint8Array) return (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length)) as T;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], depth + 1);
    return value;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) value.set(k, revive(v, depth + 1));
    return value;
  }
  if (value instanceof Set) return value;
  for (const key of Object.keys(value)) (value as Record<string, unknown>)[key] = revive((value as Record<string, unknown>)[key], depth + 1);
  return value;
}

if (!isMainThread && parentPort && (workerData as Start | undefined)?.credanchorSqliteThread) {
  const port = parentPort;
  const { path } = workerData as Start;
  let db: Db | undefined;
  let repositories: Repositories | undefined;
  let checkpointer: Checkpointer | undefined;
  const open = () => {
    if (!db) {
      db = openDatabase(path);
      repositories = repositoriesOf(db);
      // Copying the log back into the file (and that file's fsync) happens on a third thread.
      checkpointer = startCheckpointer(path);
      db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    }
    return { db, repositories: repositories! };
  };
  const run = async (request: Request): Promise<unknown> => {
    if (request.op === "close") {
      await checkpointer?.stop();
      if (db?.open) db.close();
      return true;
    }
    const connection = open();
    switch (request.op) {
      case "call": {
        const repository = connection.repositories[request.repository] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
        return repository[request.method]!(...revive(request.args));
      }
      case "exec":
        connection.db.exec(request.sql);
        return undefined;
      case "inTransaction":
        return connection.db.inTransaction;
      case "pragma":
        return connection.db.pragma(request.sql);
    }
  };
  port.on("message", (request: Request) => {
    run(request).then(
      (value) => port.postMessage({ id: request.id, value } satisfies Reply),
      (error: unknown) => {
        const e = error as { message?: string; name?: string; code?: unknown };
        port.postMessage({ id: request.id, error: { message: String(e?.message ?? error), name: String(e?.name ?? "Error"), ...(typeof e?.code === "string" ? { code: e.code } : {}) } } satisfies Reply);
      },
    );
  });
}

/** The main thread's side of a connection on its own thread. */
export type ThreadedConnection = {
  call(repository: keyof Repositories, method: string, args: unknown[]): Promise<unknown>;
  exec(sql: string): Promise<void>;
  inTransaction(): Promise<boolean>;
  pragma(sql: string): Promise<unknown>;
  close(): Promise<void>;
};

/**
 * Starts the connection thread for the database at `path` (opened, and migrated, by the caller
 * first on its own thread, so a file that cannot be opened fails there, at once).
 *
 * @example
 * const connection = startConnectionThread("data/credanchor.db");
 * await connection.exec("BEGIN IMMEDIATE");
 */
export function startConnectionThread(path: string): ThreadedConnection {
  const worker = new Worker(new URL(import.meta.url), { workerData: { credanchorSqliteThread: true, path } satisfies Start });
  worker.unref();
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 1;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on("message", (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.error) p.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, ...(reply.error.code ? { code: reply.error.code } : {}) }));
    else p.resolve(revive(reply.value));
  });
  worker.on("error", (error) => failAll(Object.assign(new Error(`the database thread failed: ${error.message}`), { code: "SQLITE_IOERR" })));
  worker.on("exit", () => failAll(Object.assign(new Error("the database thread has stopped"), { code: "SQLITE_CANTOPEN" })));
  const send = (request: Omit<Request, "id"> & { id?: never }): Promise<unknown> => {
    if (failure) return Promise.reject(failure);
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  };
  return {
    call: (repository, method, args) => send({ op: "call", repository, method, args } as Omit<Request, "id">),
    exec: async (sql) => void (await send({ op: "exec", sql } as Omit<Request, "id">)),
    inTransaction: async () => (await send({ op: "inTransaction" } as Omit<Request, "id">)) as boolean,
    pragma: (sql) => send({ op: "pragma", sql } as Omit<Request, "id">),
    close: async () => {
      if (!failure) await send({ op: "close" } as Omit<Request, "id">).catch(() => {});
      await worker.terminate();
    },
  };
}
