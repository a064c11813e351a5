// POST /v1/verify on threads of its own: each thread parses a request's body, verifies it (hashing,
// coalesced chain reads, kept anchoring transactions) and writes the answer's bytes, so the main
// thread, busy with issuing, only moves bytes in and out.
import { availableParallelism } from "node:os";
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from "node:worker_threads";
import { keepAliveTransport } from "../chain/keep-alive-transport.ts";
import { CredanchorError, ServiceError, type ErrorCode, type ErrorDetail } from "../core/errors.ts";
import { checkOffChain } from "../verifier/off-chain-checks.ts";
import { trustListOf, type TrustedDeployment } from "../verifier/trust.ts";
import { SharedChainReads } from "../verifier/shared-reads.ts";
import { turnBatch, type TurnBatch } from "../verifier/turn-batch.ts";
import { createVerifier, DEFAULT_MAX_QUEUED } from "../verifier/verifier.ts";
import { closeWorkers, watchWorker } from "../verifier/worker-respawn.ts";
import { listenRequests, type ListenOptions } from "./listen.ts";
import type { VerifyFastPathOptions } from "./verify-fast-path.ts";
import type { RateLimit } from "./rate-limit.ts";
import { answerVerify, inThreadEndpoint, type VerifyEndpoint, type VerifyRequestLimits } from "./verify-endpoint.ts";
import { createVerifyListener } from "./verify-listener.ts";
import { createSharedRateLimiter } from "./verify-rate-limit.ts";

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
  /** Each thread also serves POST /v1/verify on a port of its own (all threads on one port). */
  listener?: VerifyListenerOptions;
};

/**
 * The verification port: where, and the limits the main port's /v1/verify has (its body limit and
 * handler timeout; `metrics` and `log` get the threads' requests on the main thread, a few times a second).
 */
export type VerifyListenerOptions = Omit<VerifyFastPathOptions, "endpoint" | "limiter"> & {
  /** Host, port (0: a free one), TLS and receive timeouts, as the main port's. */
  listen: ListenOptions;
  rate: RateLimit;
  /** The rate limiter's shared buckets (`createRateTable`), the same the main port's limiter uses. */
  rateTable: SharedArrayBuffer;
};

/** What crosses to a thread of the listener (plain data). */
type ListenerData = Omit<VerifyListenerOptions, "metrics" | "log">;

const ROLE = "credanchor-verify-thread";
/** What a thread starts with: the verifier's options, the shared queue count and its own cell in it. */
type ThreadData = { role: typeof ROLE; options: ThreadOptions; queued: SharedArrayBuffer; slot: number; listener?: ListenerData };
type ThreadOptions = Omit<VerifyThreadsOptions, "threads" | "listener">;
type Job = { id: number; body: Uint8Array };
type Abort = { abort: number };
/** The main thread wires the threads' chain reads: a client is given its reader's port, the reader one port per client. */
type Wiring = { reader: MessagePort } | { client: MessagePort };
type Failure = { code: ErrorCode; message: string; details: readonly ErrorDetail[] };
type Reply = { id: number; body?: Uint8Array; error?: Failure };
/** Messages go in batches ({@link turnBatch}): the requests (or answers) of one event-loop turn cross in one message. */
type Jobs = { jobs: Job[] };
type Replies = { replies: Reply[] };
/** The listener's side: its port once listening (or why not), and its requests' metrics and log lines. */
type Event = ["observe", string, string, number, number] | ["error", string] | ["log", "info" | "warn" | "error", object, string];
type ListenerNews = { listening: number } | { listenFailed: Failure } | { events: Event[] };
/**
 * The thread that makes the chain reads of all (the others send it their claims): one round in
 * flight for the whole service, so each eth_call carries more claims. When it dies, the others
 * read themselves until its replacement is wired to them.
 */
const READER_SLOT = 0;
/** How often a thread hands its listener's metrics and log lines to the main thread. */
const EVENTS_MS = 250;

/** A promise with its settling functions (Promise.withResolvers, not in this project's TypeScript lib yet). */
function withResolvers<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((a, b) => ([resolve, reject] = [a, b]));
  return { promise, resolve, reject };
}


if (!isMainThread && parentPort && (workerData as ThreadData | undefined)?.role === ROLE) serve(parentPort, workerData as ThreadData);

/** A thread's side: one verifier (hashing inline: this thread is the pool) answering the main thread's jobs. */
function serve(port: MessagePort, { options, queued, slot, listener }: ThreadData): void {
  const sharing = new SharedChainReads();
  const verifier = createVerifier({
    trust: trustListOf(options.deployments),
    rpc: options.rpc,
    confirmations: options.confirmations,
    maxQueued: options.maxQueued ?? DEFAULT_MAX_QUEUED,
    queued: { cells: new Int32Array(queued), slot },
    pool: { check: async (inputs) => inputs.map(checkOffChain) },
    // One round in flight, made by one thread for all (READER_SLOT): concurrent requests then share fewer, larger eth_calls.
    readRounds: 1,
    chainReads: (own) => sharing.via(own),
    transport: (url) => keepAliveTransport(url),
  });
  const running = new Map<number, AbortController>();
  const replies = turnBatch<Reply>((items, transfer) => port.postMessage({ replies: items } satisfies Replies, transfer));
  const run = ({ id, body }: Job) => {
    const ended = new AbortController();
    running.set(id, ended);
    answerVerify(body, verifier, options.limits, ended.signal).then(
      (answer) => replies.add({ id, body: answer }, answer.buffer as ArrayBuffer),
      (error: unknown) => replies.add({ id, error: failureOf(error) }),
    ).finally(() => running.delete(id));
  };
  port.on("message", (message: Jobs | Abort | Wiring) => {
    if ("abort" in message) return void running.get(message.abort)?.abort();
    if ("reader" in message) return sharing.useReader(message.reader);
    if ("client" in message) return sharing.serve(message.client);
    message.jobs.forEach(run);
  });
  if (listener) listen(port, listener, inThreadEndpoint(verifier, options.limits));
}

/** A thread's own listener: requests answered here, start to end; their metrics and log lines go to the main thread in batches. */
function listen(port: MessagePort, { listen: where, bodyLimit, handlerTimeoutMs, rate, rateTable }: ListenerData, endpoint: VerifyEndpoint): void {
  let events: Event[] = [];
  const timer = setInterval(() => {
    if (events.length === 0) return;
    port.postMessage({ events } satisfies ListenerNews);
    events = [];
  }, EVENTS_MS);
  timer.unref();
  const line = (level: "info" | "warn" | "error") => (fields: object, message: string) => void events.push(["log", level, logFields(fields), message]);
  const serve = createVerifyListener({
    endpoint,
    limiter: createSharedRateLimiter(rate, rateTable),
    bodyLimit,
    handlerTimeoutMs,
    metrics: { observe: (...a) => void events.push(["observe", ...a]), error: (code) => void events.push(["error", code]) },
    log: { info: line("info"), warn: line("warn"), error: line("error") } as never,
  });
  listenRequests(serve, { ...where, reusePort: true }, "VERIFY_PORT").then(
    (server) => port.postMessage({ listening: (server.address() as { port: number }).port } satisfies ListenerNews),
    (error: unknown) => port.postMessage({ listenFailed: failureOf(error) } satisfies ListenerNews),
  );
}

/** Log fields as plain data: an error as what the log shows of it. */
function logFields(fields: object): object {
  const { err, ...rest } = fields as { err?: unknown };
  if (err === undefined) return rest;
  const error = err as Error;
  return { ...rest, err: error instanceof Error ? { type: error.name, message: error.message, stack: error.stack, ...("code" in error ? { code: error.code } : {}) } : err };
}

function failureOf(error: unknown): Failure {
  if (error instanceof CredanchorError) return { code: error.code, message: error.shortMessage, details: error.details };
  return { code: "INTERNAL", message: `verification thread: ${(error as Error)?.stack ?? String(error)}`, details: [] };
}

type Pending = { job: Job; attempts: number; thread?: Thread; resolve: (body: Uint8Array) => void; reject: (e: Error) => void };
type Thread = { worker: Worker; slot: number; jobs: Map<number, Pending>; bytes: number; outbox: TurnBatch<Job> };

/**
 * The verification threads (the main thread's side). A request goes to the thread with the fewest
 * bytes pending; at most `maxQueued` requests are held (503 OVERLOADED beyond, before any work),
 * and the threads together admit at most `maxQueued` bundles. A thread that dies is replaced and
 * its requests are sent to another, once: a request that kills two threads is answered `503 WORKER_FAILED`.
 * The thread of slot 0 makes the chain reads of every thread ({@link SharedChainReads}); while it
 * is down, the others read for themselves.
 *
 * @example
 * const threads = new VerifyThreads({ deployments: trust.deployments, rpc: { 31337: url }, confirmations: 3, limits });
 * const answer = await threads.answer(body, signal);
 */
export class VerifyThreads implements VerifyEndpoint {
  readonly #threads: Thread[] = [];
  readonly #size: number;
  readonly #options: ThreadOptions;
  /** One cell per thread: the bundles it admitted (zeroed when it dies, since it holds none then). */
  readonly #queued: SharedArrayBuffer;
  readonly #maxHeld: number;
  readonly #listener: VerifyListenerOptions | undefined;
  /** The listener's port once known (the first thread picks it when asked for port 0; the others share it). */
  #port: number | undefined;
  readonly #listening = withResolvers<number>();
  #listeningThreads = 0;
  #held = 0;
  #next = 1;
  #closed = false;

  constructor({ threads = Math.min(2, availableParallelism()), listener, ...options }: VerifyThreadsOptions) {
    this.#size = threads;
    this.#maxHeld = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.#options = options;
    this.#queued = new SharedArrayBuffer(4 * threads);
    this.#listener = listener;
    this.#port = listener?.listen.port || undefined;
    // Awaited by whoever serves the port; never an unhandled rejection when no one does.
    this.#listening.promise.catch(() => {});
  }

  /** Starts the threads now rather than with the first request (they take a moment to load). */
  start(): this {
    // A free port is picked by the first thread alone; the others start once it is known.
    while (this.#threads.length < this.#size && !(this.#listener && this.#port === undefined && this.#threads.length > 0)) this.#spawn();
    return this;
  }

  /**
   * The verification port once every thread listens on it (with the `listener` option).
   *
   * @throws ServiceError `CONFIG_INVALID` when a thread cannot listen (the port in use, a bad certificate).
   *
   * @example
   * const port = await threads.start().listening();
   */
  listening(): Promise<number> {
    if (!this.#listener) return Promise.reject(new Error("these verification threads have no listener"));
    return this.#listening.promise;
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

  /**
   * Ends every thread at once (or the thread of `slot`: 0 is the one reading the chain for all), as a
   * crash would (their requests go to fresh threads): what the crash tests drive.
   */
  async crashThreads(slot?: number): Promise<void> {
    await Promise.all(this.#threads.filter((t) => slot === undefined || t.slot === slot).map((t) => t.worker.terminate()));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await closeWorkers(this.#threads);
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

  #listenerData(): { listener: ListenerData } | Record<string, never> {
    if (!this.#listener) return {};
    const { metrics: _metrics, log: _log, ...data } = this.#listener;
    // PEM as text: a Buffer would arrive as a plain Uint8Array.
    const tls = data.listen.tls && { cert: data.listen.tls.cert.toString(), key: data.listen.tls.key.toString() };
    return { listener: { ...data, listen: { ...data.listen, port: this.#port ?? data.listen.port, ...(tls ? { tls } : {}) } } };
  }

  /** A thread's listener news: its port, a failure to listen, its requests' metrics and log lines. */
  #heard(news: ListenerNews): void {
    const { metrics, log } = this.#listener!;
    if ("events" in news) {
      for (const event of news.events) {
        if (event[0] === "observe") metrics.observe(event[1], event[2], event[3], event[4]);
        else if (event[0] === "error") metrics.error(event[1]);
        else log[event[1]](event[2], event[3]);
      }
    } else if ("listenFailed" in news) {
      this.#listening.reject(new ServiceError(`the verification port cannot be served: ${news.listenFailed.message}`, { code: "CONFIG_INVALID" }));
    } else {
      this.#port ??= news.listening;
      if (++this.#listeningThreads === this.#size) this.#listening.resolve(this.#port);
      this.start();
    }
  }

  #spawn(): Thread {
    const slot = [...Array(this.#size).keys()].find((k) => !this.#threads.some((t) => t.slot === k))!;
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, options: this.#options, queued: this.#queued, slot, ...this.#listenerData() } satisfies ThreadData });
    const thread: Thread = { worker, slot, jobs: new Map(), bytes: 0, outbox: turnBatch<Job>((jobs) => worker.postMessage({ jobs } satisfies Jobs)) };
    const settle = (reply: Reply) => {
      const pending = thread.jobs.get(reply.id);
      if (!pending) return;
      thread.jobs.delete(reply.id);
      thread.bytes -= pending.job.body.byteLength;
      if (reply.body) pending.resolve(reply.body);
      else if (reply.error?.code === "INTERNAL") pending.reject(new Error(reply.error.message));
      else pending.reject(new ServiceError(reply.error!.message, { code: reply.error!.code, details: [...reply.error!.details] }));
    };
    worker.on("message", (message: Replies | ListenerNews) => {
      if (!("replies" in message)) return this.#heard(message);
      message.replies.forEach(settle);
      if (thread.jobs.size === 0) worker.unref();
    });
    watchWorker<Pending>(thread, this.#threads, {
      closed: () => this.#closed,
      resend: (pending) => this.#send(pending),
      left: () => {
        Atomics.store(new Int32Array(this.#queued), slot, 0);
        thread.outbox.clear();
      },
      what: "verification thread",
    });
    this.#threads.push(thread);
    this.#wire(thread);
    return thread;
  }

  /** Connects a new thread's chain reads: the reader to every other thread, or another thread to the reader. */
  #wire(thread: Thread): void {
    const reader = this.#threads.find((t) => t.slot === READER_SLOT);
    if (!reader) return;
    for (const client of this.#threads.filter((t) => t !== reader && (thread === reader || t === thread))) {
      const { port1, port2 } = new MessageChannel();
      reader.worker.postMessage({ client: port1 } satisfies Wiring, [port1]);
      client.worker.postMessage({ reader: port2 } satisfies Wiring, [port2]);
    }
  }
}
