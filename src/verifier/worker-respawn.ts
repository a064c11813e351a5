// What a pool of worker threads does when a worker dies or the pool closes: the dead worker's jobs
// go to a fresh one, once; a job that outlives two workers is refused; a closing pool refuses what it holds.
import type { Worker } from "node:worker_threads";
import { ServiceError } from "../core/errors.ts";

/** How often a job is tried on a fresh worker after its worker died under it. */
export const ATTEMPTS = 2;

/** A job a pool holds: how many workers it outlived, and how to refuse it. */
export type HeldJob = { attempts: number; reject: (e: Error) => void };
/** A pool's worker and the jobs it holds, by id. */
export type PoolWorker<P extends HeldJob> = { worker: Worker; jobs: Map<number, P> };

/** What {@link watchWorker} does on an exit. */
export type WatchOptions<P extends HeldJob> = {
  /** Whether the pool is closing (its jobs are then refused by {@link closeWorkers}, not sent again). */
  closed(): boolean;
  /** Sends a job to another worker (a fresh one if none is left). */
  resend(job: P): void;
  /** Runs once the worker has left the pool, before its jobs are sent again. */
  left?(): void;
  /** What the refusal calls the worker: `the ${what} stopped twice on this request`. */
  what: string;
};

/**
 * Watches `thread`'s worker (call it after adding the worker's 'message' listener): when the worker
 * exits (a crash, out of memory, terminated), it leaves `threads` and each of its jobs is sent
 * again, or refused `503 WORKER_FAILED` once it has outlived {@link ATTEMPTS} workers. The worker
 * is left unreferenced: idle, it does not keep the process alive.
 *
 * @example
 * worker.on("message", settle);
 * watchWorker(thread, this.#threads, { closed: () => this.#closed, resend: (job) => this.#send(job), what: "verification worker" });
 */
export function watchWorker<P extends HeldJob>(thread: PoolWorker<P>, threads: PoolWorker<P>[], options: WatchOptions<P>): void {
  // An uncaught error is followed by 'exit': the jobs are handled there, once.
  thread.worker.on("error", () => {});
  thread.worker.once("exit", () => {
    const at = threads.indexOf(thread);
    if (at >= 0) threads.splice(at, 1);
    options.left?.();
    if (options.closed()) return;
    for (const job of thread.jobs.values()) {
      if (++job.attempts >= ATTEMPTS) job.reject(new ServiceError(`the ${options.what} stopped twice on this request (a crash): retry`, { code: "WORKER_FAILED" }));
      else options.resend(job);
    }
  });
  // After the listeners, since adding a 'message' listener refs the worker's port again.
  thread.worker.unref();
}

/**
 * Ends every worker of `threads` (which it empties) and refuses their jobs `503 WORKER_FAILED`: a pool's close.
 *
 * @example
 * this.#closed = true;
 * await closeWorkers(this.#threads);
 */
export async function closeWorkers<P extends HeldJob>(threads: PoolWorker<P>[]): Promise<void> {
  const ended = threads.splice(0);
  await Promise.all(ended.map((t) => t.worker.terminate()));
  for (const t of ended) for (const job of t.jobs.values()) job.reject(new ServiceError("the server is shutting down", { code: "WORKER_FAILED" }));
}
