// The CPU part of verification (field hashes, digest, Merkle proof) on worker threads, so a
// server's main thread answers while bundles are hashed and issuing is not starved by verifying.
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { checkOffChain, type OffChainResult } from "./off-chain-checks.ts";
import { closeWorkers, watchWorker } from "./worker-respawn.ts";

type Job = { id: number; inputs: readonly unknown[] };
type Reply = { id: number; results: OffChainResult[] };

/** Marks this pool's workers: another worker thread that imports this module (through the verifier) is not one. */
const ROLE = "credanchor-off-chain-pool";

if (!isMainThread && parentPort && workerData === ROLE) {
  const port = parentPort;
  // checkOffChain never throws: every problem is a failed check in its result.
  port.on("message", (job: Job) => port.postMessage({ id: job.id, results: job.inputs.map(checkOffChain) } satisfies Reply));
}

/** Requests of at least this many bundles are split between the workers (one bundle is ≈ 0.5 ms of hashing). */
const SPLIT_FROM = 32;

type Pending = { job: Job; attempts: number; resolve: (r: OffChainResult[]) => void; reject: (e: Error) => void };
type Thread = { worker: Worker; jobs: Map<number, Pending> };

/**
 * A pool of worker threads running {@link checkOffChain}. A worker that dies (a crash, an
 * out-of-memory) is replaced and its jobs are sent to the others again, once: a job that kills
 * two workers is refused with `WORKER_FAILED` (503), never left waiting.
 *
 * @example
 * const pool = new OffChainPool({ threads: 1 });
 * const [result] = await pool.check([bundle]);
 * await pool.close();
 */
export class OffChainPool {
  readonly #threads: Thread[] = [];
  readonly #size: number;
  #next = 1;
  #closed = false;

  constructor({ threads = Math.min(2, availableParallelism()) }: { threads?: number } = {}) {
    this.#size = threads;
  }

  /** The off-chain checks of every input, in order: one job, or one per worker for a large request. */
  async check(inputs: readonly unknown[]): Promise<OffChainResult[]> {
    if (this.#closed) throw new Error("the verification pool is closed");
    if (inputs.length < SPLIT_FROM || this.#size === 1) return this.#job(inputs);
    const size = Math.ceil(inputs.length / this.#size);
    const parts = Array.from({ length: Math.ceil(inputs.length / size) }, (_, k) => this.#job(inputs.slice(k * size, (k + 1) * size)));
    return (await Promise.all(parts)).flat();
  }

  #job(inputs: readonly unknown[]): Promise<OffChainResult[]> {
    return new Promise((resolve, reject) => this.#send({ job: { id: this.#next++, inputs }, attempts: 0, resolve, reject }));
  }

  /**
   * Ends every worker at once, as a crash would (their jobs go to fresh workers): what the crash
   * test drives, since a healthy worker cannot be made to crash from outside.
   */
  async crashWorkers(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await closeWorkers(this.#threads);
  }

  #send(pending: Pending): void {
    // All workers start with the first job: a later large request does not wait for a cold one.
    while (this.#threads.length < this.#size) this.#spawn();
    const thread = this.#threads.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    thread.jobs.set(pending.job.id, pending);
    // A worker with jobs keeps the process alive until it answers; an idle one does not.
    if (thread.jobs.size === 1) thread.worker.ref();
    thread.worker.postMessage(pending.job);
  }

  #spawn(): Thread {
    const worker = new Worker(new URL(import.meta.url), { workerData: ROLE });
    const thread: Thread = { worker, jobs: new Map() };
    worker.on("message", (reply: Reply) => {
      const pending = thread.jobs.get(reply.id);
      if (!pending) return;
      thread.jobs.delete(reply.id);
      if (thread.jobs.size === 0) worker.unref();
      pending.resolve(reply.results);
    });
    watchWorker<Pending>(thread, this.#threads, { closed: () => this.#closed, resend: (pending) => this.#send(pending), what: "verification worker" });
    this.#threads.push(thread);
    return thread;
  }
}
