// Copies the write-ahead log back into the database file on a thread of its own, so the
// service's connection only appends to the log and fsyncs it at COMMIT. The checkpointer is only
// an optimisation: when its thread dies it is started again, and once it keeps dying the
// connection checkpoints itself in its COMMITs again (SQLite's default).
import Database from "better-sqlite3";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Db } from "./database.ts";
import { Restarts, type StoreLog } from "./restarts.ts";

/** Pages the service's own connection lets the log grow to before it checkpoints itself (64 MiB at 4 KiB): the checkpointer fell behind. */
const FALLBACK_CHECKPOINT_PAGES = 16_384;

/** SQLite's default: what the connection goes back to once the checkpointer is given up on. */
const SELF_CHECKPOINT_PAGES = 1_000;

/** How often the checkpointer looks for committed pages to copy back. */
const INTERVAL_MS = 250;

type Start = { credanchorCheckpointer: true; path: string; intervalMs: number };

/** From the checkpointer: its first pass worked (it is not dying at start), or it stopped on request. */
type Report = { working: true } | { stopped: true };

if (!isMainThread && parentPort && (workerData as Start | undefined)?.credanchorCheckpointer) {
  const { path, intervalMs } = workerData as Start;
  const port = parentPort;
  const db = new Database(path, { fileMustExist: true });
  db.pragma("wal_autocheckpoint = 0");
  let working = false;
  const tick = () => {
    try {
      // PASSIVE: copies what no reader still needs, never waits on a lock and never blocks the
      // writer; the writer restarts the log from its beginning once everything is copied.
      db.pragma("wal_checkpoint(PASSIVE)");
      if (!working) port.postMessage({ working: (working = true) } satisfies Report);
    } catch {
      // A busy or vanishing file: the next tick tries again, and the service's own fallback bounds the log.
    }
  };
  const timer = setInterval(tick, intervalMs);
  port.on("message", (message: "stop" | "crash") => {
    // A fault injected by a test: an uncaught error ends this thread as a bug would.
    if (message === "crash") throw new Error("the checkpointer was told to crash (fault injection)");
    clearInterval(timer);
    tick();
    db.close();
    port.postMessage({ stopped: true } satisfies Report);
  });
}

/** A running checkpointer: `stop()` closes its connection; `crash()` (tests only) makes its thread die as a bug would. */
export type Checkpointer = { stop(): Promise<void>; crash(): void };

/**
 * Checkpoints the WAL of the database file at `path` on a worker thread, `db` (the caller's
 * connection) checkpointing itself only if that thread falls far behind. A checkpointer thread
 * that dies is started again (backing off, see ./restarts.ts); once it keeps dying, `db`
 * checkpoints itself as SQLite does by default. Each death and the fallback are logged.
 *
 * @example
 * const checkpointer = startCheckpointer("data/credanchor.db", db, { log: console.log });
 * await checkpointer.stop();
 */
export function startCheckpointer(path: string, db: Db, { log, intervalMs = INTERVAL_MS, restarts = new Restarts() }: { log: StoreLog; intervalMs?: number; restarts?: Restarts }): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
  let worker: Worker | undefined;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    const w = new Worker(new URL(import.meta.url), { workerData: { credanchorCheckpointer: true, path, intervalMs } satisfies Start });
    worker = w;
    w.unref();
    let failure: Error | undefined;
    w.on("message", (report: Report) => void ("working" in report && restarts.worked()));
    w.on("error", (error) => (failure = error));
    w.on("exit", (code) => {
      worker = undefined;
      if (!stopping) died(failure ? `failed: ${failure.message}` : `exited (code ${code})`);
    });
  };
  const died = (why: string) => {
    const delay = restarts.died();
    if (delay === undefined) {
      db.pragma(`wal_autocheckpoint = ${SELF_CHECKPOINT_PAGES}`);
      log("error", `the checkpointer thread ${why}, ${restarts.inARow} times in a row: given up; the database connection now checkpoints itself in its COMMITs (slower writes, nothing lost)`, { module: "store", thread: "checkpointer", inARow: restarts.inARow });
      return;
    }
    log("warn", `the checkpointer thread ${why}: starting it again in ${delay} ms (nothing lost; the log grows meanwhile)`, { module: "store", thread: "checkpointer", restartInMs: delay, inARow: restarts.inARow });
    timer = setTimeout(start, delay);
  };
  start();
  return {
    stop: async () => {
      stopping = true;
      clearTimeout(timer);
      const w = worker;
      if (!w) return;
      const ended = new Promise<void>((resolve) => {
        w.on("message", (report: Report) => void ("stopped" in report && resolve()));
        w.once("exit", () => resolve());
      });
      w.postMessage("stop");
      await ended;
      await w.terminate();
    },
    crash: () => worker?.postMessage("crash"),
  };
}
