// The service's SQLite connection on a thread of its own: better-sqlite3 is synchronous, so every
// statement (inserts, a batch's claim) and every COMMIT's fsync would otherwise stop the event
// loop that serves HTTP. The main thread sends each step as a message; this thread runs them one
// after another, in the order they arrive, on its one connection. The store's queue on the main
// thread decides that order (transactions, group commit), exactly as for a connection on the main
// thread. When the thread dies, the steps it had not answered fail (SQLite rolls back the open
// transaction as the connection closes) and a new thread takes over (./restarts.ts).
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Repositories } from "../types.ts";
import { startCheckpointer, type Checkpointer } from "./checkpointer.ts";
import { StorageInterrupted, openDatabase, type Db } from "./database.ts";
import { repositoriesOf } from "./repositories.ts";
import { RESTART_DELAYS_MS, Restarts, type StoreLog } from "./restarts.ts";

type Start = { credanchorSqliteThread: true; path: string; checkpointerRestartDelaysMs: readonly number[] };

/** Ways to make a thread die as a bug or a crash would (tests only): now, or as the connection thread receives its next step. */
export type ThreadFault = "thread-throws" | "thread-exits" | "thread-terminated" | "thread-throws-at-next-step" | "checkpointer-throws";

/** `tx`: the step belongs to an open transaction; it fails, instead of running on its own, if none is open. */
type Request =
  | { id: number; op: "call"; repository: keyof Repositories; method: string; args: unknown[]; tx: boolean }
  | { id: number; op: "exec"; sql: string; tx: boolean }
  | { id: number; op: "inTransaction" }
  | { id: number; op: "pragma"; sql: string }
  | { id: number; op: "close" }
  | { id: number; op: "fault"; fault: ThreadFault };

type Reply = { id: number; value?: unknown; error?: { message: string; name: string; code?: string } };

/** A line for the store's log, from the thread (the checkpointer's deaths). */
type LogLine = { log: Parameters<StoreLog> };

/**
 * Buffers arrive on the other side of a thread as plain Uint8Arrays: the store's callers (and
 * its repositories) rely on Buffer's methods, so every byte array in a value is made a Buffer
 * again (a view, not a copy). Walks arrays, plain objects, Maps and Sets.
 */
function revive<T>(value: T, depth = 0): T {
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
  const { path, checkpointerRestartDelaysMs } = workerData as Start;
  let db: Db | undefined;
  let repositories: Repositories | undefined;
  let checkpointer: Checkpointer | undefined;
  let armed = false;
  const open = () => {
    if (!db) {
      db = openDatabase(path);
      repositories = repositoriesOf(db);
      // Copying the log back into the file (and that file's fsync) happens on a third thread.
      const log: StoreLog = (...line) => port.postMessage({ log: line } satisfies LogLine);
      checkpointer = startCheckpointer(path, db, { log, restarts: new Restarts(checkpointerRestartDelaysMs) });
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
    if ((request.op === "call" || request.op === "exec") && request.tx && !connection.db.inTransaction) {
      // A new thread after a crash, or SQLite rolled the transaction back itself: run alone, this step would store part of a transaction.
      throw new StorageInterrupted("the transaction this step belongs to is no longer open (rolled back); nothing of it was stored");
    }
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
      case "fault":
        if (request.fault === "thread-throws-at-next-step") armed = true;
        else checkpointer?.crash();
        return undefined;
    }
  };
  const answer = (request: Request) =>
    run(request).then(
      (value) => port.postMessage({ id: request.id, value } satisfies Reply),
      (error: unknown) => {
        const e = error as { message?: string; name?: string; code?: unknown };
        port.postMessage({ id: request.id, error: { message: String(e?.message ?? error), name: String(e?.name ?? "Error"), ...(typeof e?.code === "string" ? { code: e.code } : {}) } } satisfies Reply);
      },
    );
  // One step at a time, each after the one before has finished, even if a step awaits: the
  // order the store chose holds here without relying on how many steps it has in flight.
  let tail: Promise<void> = Promise.resolve();
  port.on("message", (request: Request) => {
    // Faults injected by a test end this thread at once, as a bug (uncaught error) or a crash would.
    if (armed || (request.op === "fault" && request.fault === "thread-throws")) throw new Error("the database thread was told to crash (fault injection)");
    if (request.op === "fault" && request.fault === "thread-exits") process.exit(70);
    tail = tail.then(() => answer(request));
  });
}

/** The main thread's side of a connection on its own thread; `tx` marks a step of an open transaction. */
export type ThreadedConnection = {
  call(repository: keyof Repositories, method: string, args: unknown[], tx: boolean): Promise<unknown>;
  exec(sql: string, tx: boolean): Promise<void>;
  inTransaction(): Promise<boolean>;
  pragma(sql: string): Promise<unknown>;
  /** Tests only: makes the connection thread, or its checkpointer, die; resolves once the store has seen the thread die (or the fault is armed). */
  inject(fault: ThreadFault): Promise<void>;
  /** Why steps are refused for good (the thread was given up on), or undefined while it runs or is being restarted. */
  givenUp(): string | undefined;
  close(): Promise<void>;
};

/** How the connection thread is run: where its deaths are reported, and how fast it (and its checkpointer) are started again. */
export type ConnectionThreadOptions = { log: StoreLog; restartDelaysMs?: readonly number[]; checkpointerRestartDelaysMs?: readonly number[] };

/** An error as the thread sent it, with its name and code (a SQLite code survives the crossing). */
function errorOf(sent: NonNullable<Reply["error"]>): Error {
  if (sent.code === "STORAGE_INTERRUPTED") return new StorageInterrupted(sent.message);
  return Object.assign(new Error(sent.message), { name: sent.name, ...(sent.code ? { code: sent.code } : {}) });
}

/**
 * Starts the connection thread for the database at `path` (opened, and migrated, by the caller
 * first on its own thread, so a file that cannot be opened fails there, at once). When the
 * thread dies, the steps it had not answered reject with {@link StorageInterrupted} and a new
 * thread is started (backing off; given up on when it keeps dying before it answers anything,
 * after which every step rejects). Deaths, restarts and giving up go to `log`.
 *
 * @example
 * const connection = startConnectionThread("data/credanchor.db", { log: console.log });
 * await connection.exec("BEGIN IMMEDIATE", false);
 */
export function startConnectionThread(path: string, { log, restartDelaysMs = RESTART_DELAYS_MS, checkpointerRestartDelaysMs = restartDelaysMs }: ConnectionThreadOptions): ThreadedConnection {
  const restarts = new Restarts(restartDelaysMs);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 1;
  let current: { worker: Worker; exited: Promise<void> } | undefined;
  /** Why steps are refused now: the thread is down (waiting to restart, or given up on), or the store closed. */
  let refused: Error | undefined;
  let recovering = false;
  let gaveUp = false;
  let closing = false;
  let timer: NodeJS.Timeout | undefined;

  const start = () => {
    refused = undefined;
    const worker = new Worker(new URL(import.meta.url), { workerData: { credanchorSqliteThread: true, path, checkpointerRestartDelaysMs } satisfies Start });
    worker.unref();
    let failure: Error | undefined;
    worker.on("message", (message: Reply | LogLine) => ("log" in message ? log(...message.log) : settle(message)));
    worker.on("error", (error) => (failure = error));
    const exited = new Promise<void>((resolve) =>
      worker.once("exit", (code) => {
        died(failure ? `failed: ${failure.message}` : `exited (code ${code})`);
        resolve();
      }),
    );
    current = { worker, exited };
  };

  const settle = (reply: Reply) => {
    restarts.worked();
    if (recovering) {
      recovering = false;
      log("info", "the database thread answers again", { module: "store", thread: "connection" });
    }
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.error) p.reject(errorOf(reply.error));
    else p.resolve(revive(reply.value));
  };

  const died = (why: string) => {
    current = undefined;
    const inFlight = pending.size;
    const lost = new StorageInterrupted(`the database thread ${why} before it answered; SQLite rolled back its open transaction, so nothing of it was stored`);
    for (const p of pending.values()) p.reject(lost);
    pending.clear();
    if (closing) return;
    const delay = restarts.died();
    const fields = { module: "store", thread: "connection", inFlight, inARow: restarts.inARow };
    if (delay === undefined) {
      gaveUp = true;
      refused = new StorageInterrupted(`the database thread died ${restarts.inARow} times in a row before answering anything and is no longer restarted: restart the service`);
      log("error", `the database thread ${why}, ${restarts.inARow} times in a row before answering anything: given up; every request needing the database now fails (503) until the service is restarted`, fields);
      return;
    }
    refused = new StorageInterrupted(`the database thread ${why} and is being restarted; retry`);
    recovering = true;
    log("warn", `the database thread ${why}: ${inFlight} step(s) in flight failed (their transactions rolled back); starting a new thread in ${delay} ms`, { ...fields, restartInMs: delay });
    if (delay === 0) start();
    else timer = setTimeout(start, delay).unref();
  };

  const send = (request: Omit<Request, "id"> & { id?: never }): Promise<unknown> => {
    const worker = current?.worker;
    if (refused || !worker) return Promise.reject(refused ?? new StorageInterrupted("the database thread is not running"));
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  };

  start();
  return {
    call: (repository, method, args, tx) => send({ op: "call", repository, method, args, tx } as Omit<Request, "id">),
    exec: async (sql, tx) => void (await send({ op: "exec", sql, tx } as Omit<Request, "id">)),
    inTransaction: async () => (await send({ op: "inTransaction" } as Omit<Request, "id">)) as boolean,
    pragma: (sql) => send({ op: "pragma", sql } as Omit<Request, "id">),
    givenUp: () => (gaveUp ? refused?.message : undefined),
    inject: async (fault) => {
      const running = current;
      if (!running) throw new Error("the database thread is not running");
      if (fault === "checkpointer-throws" || fault === "thread-throws-at-next-step") return void (await send({ op: "fault", fault } as Omit<Request, "id">));
      if (fault === "thread-terminated") void running.worker.terminate();
      else running.worker.postMessage({ op: "fault", fault, id: 0 } satisfies Request);
      await running.exited;
    },
    close: async () => {
      closing = true;
      clearTimeout(timer);
      const running = current;
      if (!running) return;
      await send({ op: "close" } as Omit<Request, "id">).catch(() => {});
      await running.worker.terminate();
    },
  };
}
