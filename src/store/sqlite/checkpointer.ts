// Copies the write-ahead log back into the database file on a thread of its own, so the
// service's connection (on the event loop) only appends to the log and fsyncs it at COMMIT.
import Database from "better-sqlite3";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

/** Pages the service's own connection lets the log grow to before it checkpoints itself (64 MiB at 4 KiB): the checkpointer fell behind. */
export const FALLBACK_CHECKPOINT_PAGES = 16_384;

/** How often the checkpointer looks for committed pages to copy back. */
const INTERVAL_MS = 250;

type Start = { credanchorCheckpointer: true; path: string; intervalMs: number };

if (!isMainThread && parentPort && (workerData as Start | undefined)?.credanchorCheckpointer) {
  const { path, intervalMs } = workerData as Start;
  const port = parentPort;
  const db = new Database(path, { fileMustExist: true });
  db.pragma("wal_autocheckpoint = 0");
  let checkpoints = 0;
  const tick = () => {
    try {
      // PASSIVE: copies what no reader still needs, never waits on a lock and never blocks the
      // writer; the writer restarts the log from its beginning once everything is copied.
      db.pragma("wal_checkpoint(PASSIVE)");
      checkpoints++;
    } catch {
      // A busy or vanishing file: the next tick tries again, and the service's own fallback bounds the log.
    }
  };
  const timer = setInterval(tick, intervalMs);
  port.on("message", (message: "stop" | "count") => {
    if (message === "count") return port.postMessage({ checkpoints });
    clearInterval(timer);
    tick();
    db.close();
    port.postMessage({ stopped: true });
  });
}

/** A running checkpointer: `checkpoints()` counts the passes it made (tests wait on it); `stop()` closes its connection. */
export type Checkpointer = { checkpoints(): Promise<number>; stop(): Promise<void> };

/**
 * Starts checkpointing the WAL of the database file at `path` on a worker thread. The caller's
 * connection should set `wal_autocheckpoint` to {@link FALLBACK_CHECKPOINT_PAGES}: it then
 * checkpoints only if this thread falls far behind.
 *
 * @example
 * const checkpointer = startCheckpointer("data/credanchor.db");
 * db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
 * await checkpointer.stop();
 */
export function startCheckpointer(path: string, intervalMs = INTERVAL_MS): Checkpointer {
  const worker = new Worker(new URL(import.meta.url), { workerData: { credanchorCheckpointer: true, path, intervalMs } satisfies Start });
  worker.unref();
  // A checkpointer that cannot run leaves the service's own fallback checkpoints to bound the log.
  worker.on("error", () => {});
  let exited = false;
  const ended = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  void ended.then(() => (exited = true));
  const ask = <T>(message: "stop" | "count", key: string): Promise<T | undefined> =>
    exited
      ? Promise.resolve(undefined)
      : new Promise((resolve) => {
          const onMessage = (reply: Record<string, T>) => {
            if (!(key in reply)) return;
            worker.off("message", onMessage);
            resolve(reply[key]);
          };
          worker.on("message", onMessage);
          void ended.then(() => resolve(undefined));
          worker.postMessage(message);
        });
  return {
    checkpoints: async () => (await ask<number>("count", "checkpoints")) ?? 0,
    stop: async () => {
      await ask<boolean>("stop", "stopped");
      await worker.terminate();
    },
  };
}
