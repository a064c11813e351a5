// POST /v1/verify on threads of its own: each thread parses a request's body, verifies it (hashing,
// coalesced chain reads, kept anchoring transactions) and writes the answer's bytes, so the main
// thread, busy with issuing, only moves bytes in and out.
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData, type MessagePort } from "node:worker_threads";
import { keepAliveTransport } from "../chain/keep-alive-transport.ts";
import { CredanchorError, ServiceError, type ErrorCode, type ErrorDetail } from "../core/errors.ts";
import { checkOffChain } from "../verifier/off-chain-checks.ts";
import { trustListOf, type TrustedDeployment } from "../verifier/trust.ts";
import { createVerifier, DEFAULT_MAX_QUEUED } from "../verifier/verifier.ts";
import { answerVerify, type VerifyEndpoint, type VerifyRequestLimits } from "./verify-endpoint.ts";

/** Options of {@link VerifyThreads}: what each thread's verifier is built from (plain data: it crosses to the threads). */
export type VerifyThreadsOptions = {
  /** The trusted deployments (a trust list's `deployments`). */
  deployments: readonly TrustedDeployment[];
  /** RPC URL per chain id. */
  rpc: Readonly<Record<number, string>>;
  /** Blocks after which an anchoring transaction is final and kept (the service's confirmation depth). */
  confirmations: number;
  /** Most bundles admitted and not yet answered, all threads together; beyond, `503 OVERLOADED`. */
  maxQueued?: number;
  limits: VerifyRequestLimits;
  /** Threads (default: 2, or 1 on a one-core machine). */
  threads?: number;
};

const ROLE = "credanchor-verify-thread";
/** What a thread starts with: the verifier's options, the shared queue count and its own cell in it. */
type ThreadData = { role: typeof ROLE; options: Omit<VerifyThreadsOptions, "threads">; queued: SharedArrayBuffer; slot: number };
type Job = { id: number; body: Uint8Array };
type Abort = { abort: number };
type Failure = { code: ErrorCode; message: string; details: readonly ErrorDetail[] };
type Reply = { id: number; body?: Uint8Array; error?: Failure };
/** Messages go in batches: the requests (or answers) of one event-loop turn cross in one message, one wake-up. */
type Jobs = { jobs: Job[] };
type Replies = { replies: Reply[] };

/**
 * Collects items and posts them together once the current event-loop turn's I/O is handled
 * (`setImmediate`): under load, many requests arrive in one turn and cost one message.
 */
function batcher<T>(post: (items: T[], transfer: ArrayBuffer[]) => void): { add(item: T, transfer?: ArrayBuffer): void; clear(): void } {
  let items: T[] = [];
  let transfer: ArrayBuffer[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const [sent, moved] = [items, transfer];
    [items, transfer] = [[], []];
    if (sent.length > 0) post(sent, moved);
  };
  return {
    add(item, buffer) {
      items.push(item);
      if (buffer) transfer.push(buffer);
      if (!scheduled) (scheduled = true), setImmediate(flush);
    },
    clear: () => void ([items, transfer] = [[], []]),
  };
}

/** How often a request is tried on a fresh thread after its thread died under it. */
const ATTEMPTS = 2;

if (!isMainThread && parentPort && (workerData as ThreadData | undefined)?.role === ROLE) serve(parentPort, workerData as ThreadData);

/** A thread's side: one verifier (hashing inline: this thread is the pool) answering the main thread's jobs. */
function serve(port: MessagePort, { options, queued, slot }: ThreadData): void {
  const verifier = createVerifier({
    trust: trustListOf(options.deployments),
    rpc: options.rpc,
    confirmations: options.confirmations,
    maxQueued: options.maxQueued ?? DEFAULT_MAX_QUEUED,
    queued: { cells: new Int32Array(queued), slot },
    pool: { check: async (inputs) => inputs.map(checkOffChain) },
    // One round in flight per thread: concurrent requests then share fewer, larger eth_calls.
    readRounds: 1,
    transport: (url) => keepAliveTransport(url),
  });
  const running = new Map<number, AbortController>();
  const replies = batcher<Reply>((items, transfer) => port.postMessage({ replies: items } satisfies Replies, transfer));
  const run = ({ id, body }: Job) => {
    const ended = new AbortController();
    running.set(id, ended);
    answerVerify(body, verifier, options.limits, ended.signal).then(
      (answer) => replies.add({ id, body: answer }, answer.buffer as ArrayBuffer),
      (error: unknown) => replies.add({ id, error: failureOf(error) }),
    ).finally(() => running.delete(id));
  };
  port.on("message", (message: Jobs | Abort) => {
    if ("abort" in message) return void running.get(message.abort)?.abort();
    message.jobs.forEach(run);
  });
}

function failureOf(error: unknown): Failure {
  if (error instanceof CredanchorError) return { code: error.code, message: error.shortMessage, details: error.details };
  return { code: "INTERNAL", message: `verification thread: ${(error as Error)?.stack ?? String(error)}`, details: [] };
}

type Pending = { job: Job; attempts: number; thread?: Thread; resolve: (body: Uint8Array) => void; reject: (e: Error) => void };
type Thread = { worker: Worker; slot: number; jobs: Map<number, Pending>; bytes: number; outbox: ReturnType<typeof batcher<Job>> };

/**
 * The verification threads (the main thread's side). A request goes to the thread with the fewest
 * bytes pending; at most `maxQueued` requests are held (503 OVERLOADED beyond, before any work),
 * and the threads together admit at most `maxQueued` bundles. A thread that dies is replaced and
 * its requests are sent to another, once: a request that kills two threads is answered `503 WORKER_FAILED`.
 *
 * @example
 * const threads = new VerifyThreads({ deployments: trust.deployments, rpc: { 31337: url }, confirmations: 3, limits });
 * const answer = await threads.answer(body, signal);
 */
export class VerifyThreads implements VerifyEndpoint {
  readonly #threads: Thread[] = [];
  readonly #size: number;
  readonly #options: Omit<VerifyThreadsOptions, "threads">;
  /** One cell per thread: the bundles it admitted (zeroed when it dies, since it holds none then). */
  readonly #queued: SharedArrayBuffer;
  readonly #maxHeld: number;
  #held = 0;
  #next = 1;
  #closed = false;

  constructor({ threads = Math.min(2, availableParallelism()), ...options }: VerifyThreadsOptions) {
    this.#size = threads;
    this.#maxHeld = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.#options = options;
    this.#queued = new SharedArrayBuffer(4 * threads);
  }

  /** Starts the threads now rather than with the first request (they take a moment to load). */
  start(): this {
    while (this.#threads.length < this.#size) this.#spawn();
    return this;
  }

  answer(body: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new ServiceError("the server is shutting down", { code: "WORKER_FAILED" }));
    if (this.#held >= this.#maxHeld) {
      return Promise.reject(new ServiceError(`the server holds ${this.#held} verification requests already (at most ${this.#maxHeld}): retry in a second`, { code: "OVERLOADED" }));
    }
    this.#held++;
    const id = this.#next++;
    let pending!: Pending;
    const answered = new Promise<Uint8Array>((resolve, reject) => {
      pending = { job: { id, body }, attempts: 0, resolve, reject };
      this.#send(pending);
    });
    // Only a request that ends before its answer tells its thread (one message, not one per request).
    const onAbort = () => pending.thread?.worker.postMessage({ abort: id } satisfies Abort);
    signal.addEventListener("abort", onAbort, { once: true });
    return answered.finally(() => {
      this.#held--;
      signal.removeEventListener("abort", onAbort);
    });
  }

  /** Ends every thread at once, as a crash would (their requests go to fresh threads): what the crash test drives. */
  async crashThreads(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const threads = this.#threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
    for (const t of threads) for (const p of t.jobs.values()) p.reject(new ServiceError("the server is shutting down", { code: "WORKER_FAILED" }));
  }

  #send(pending: Pending): void {
    this.start();
    const thread = this.#threads.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    thread.jobs.set(pending.job.id, pending);
    thread.bytes += pending.job.body.byteLength;
    pending.thread = thread;
    // A thread with requests keeps the process alive until it answers; an idle one does not.
    if (thread.jobs.size === 1) thread.worker.ref();
    // Copied, not transferred: a request is sent again if its thread dies.
    thread.outbox.add(pending.job);
  }

  #spawn(): Thread {
    const slot = [...Array(this.#size).keys()].find((k) => !this.#threads.some((t) => t.slot === k))!;
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, options: this.#options, queued: this.#queued, slot } satisfies ThreadData });
    const thread: Thread = { worker, slot, jobs: new Map(), bytes: 0, outbox: batcher<Job>((jobs) => worker.postMessage({ jobs } satisfies Jobs)) };
    const settle = (reply: Reply) => {
      const pending = thread.jobs.get(reply.id);
      if (!pending) return;
      thread.jobs.delete(reply.id);
      thread.bytes -= pending.job.body.byteLength;
      if (reply.body) pending.resolve(reply.body);
      else if (reply.error?.code === "INTERNAL") pending.reject(new Error(reply.error.message));
      else pending.reject(new ServiceError(reply.error!.message, { code: reply.error!.code, details: [...reply.error!.details] }));
    };
    worker.on("message", ({ replies }: Replies) => {
      replies.forEach(settle);
      if (thread.jobs.size === 0) worker.unref();
    });
    // An uncaught error is followed by 'exit': the requests are handled there, once.
    worker.on("error", () => {});
    worker.once("exit", () => {
      const at = this.#threads.indexOf(thread);
      if (at >= 0) this.#threads.splice(at, 1);
      Atomics.store(new Int32Array(this.#queued), slot, 0);
      thread.outbox.clear();
      if (this.#closed) return;
      for (const pending of thread.jobs.values()) {
        if (++pending.attempts >= ATTEMPTS) pending.reject(new ServiceError("the verification thread stopped twice on this request (a crash): retry", { code: "WORKER_FAILED" }));
        else this.#send(pending);
      }
    });
    // Idle until its first request: after the listeners, since adding a 'message' listener refs the worker's port again.
    worker.unref();
    this.#threads.push(thread);
    return thread;
  }
}
