// Direct-mode chain reads shared between verification threads: one thread (the reader) makes the
// coalesced rounds for every thread over MessagePorts, so concurrent requests on all threads share
// one eth_call, where each thread made its own (an eth_call costs the chain ≈ 1.5 ms of CPU, whatever its size).
import type { MessagePort } from "node:worker_threads";
import type { AnchorClaim, ChainCheckResult } from "./chain-checks.ts";
import { turnBatch } from "./turn-batch.ts";

/** Direct-mode chain checks of one request's claims; `signal` fired before its round: not read (undecided). */
export type ChainReads = (claims: readonly AnchorClaim[], signal?: AbortSignal) => Promise<ChainCheckResult[]>;

type Ask = { id: number; claims: readonly AnchorClaim[] };
/** Client → reader: the asks of one event-loop turn, or a request that ended. */
type ToReader = { asks: Ask[] } | { abort: number };
type Answer = { id: number; results?: ChainCheckResult[]; error?: string };
/** Reader → client: the answers of one event-loop turn. */
type ToClient = { answers: Answer[] };

type Pending = Ask & { signal: AbortSignal | undefined; onAbort: () => void; resolve: (r: ChainCheckResult[]) => void; reject: (e: unknown) => void };

/**
 * A thread's side of shared chain reads. As a client ({@link SharedChainReads.useReader}), its
 * requests' claims are read by the reader's rounds; until it has a reader, or once the reader's
 * port closes (the reader thread died), it reads itself, and the asks the dead reader held are
 * read again here (in a round that starts after they were made, as always). As a reader
 * ({@link SharedChainReads.serve}), it reads its clients' claims with its own rounds.
 *
 * @example
 * const sharing = new SharedChainReads();
 * const verifier = createVerifier({ …, chainReads: (own) => sharing.via(own) });
 * sharing.useReader(port); // on a client thread; on the reader: sharing.serve(port)
 */
export class SharedChainReads {
  #own: ChainReads | undefined;
  #reader: MessagePort | undefined;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  readonly #asks = turnBatch<Ask>((asks) => this.#reader?.postMessage({ asks } satisfies ToReader));

  /** The reads a verifier makes: through the reader when there is one, else `own` (this thread's coalesced rounds). */
  via(own: ChainReads): ChainReads {
    this.#own = own;
    return (claims, signal) => (this.#reader && !signal?.aborted ? this.#ask(claims, signal) : own(claims, signal));
  }

  /** From now on this thread's claims are read by the reader on the other end of `port`. */
  useReader(port: MessagePort): void {
    this.#reader = port;
    port.on("message", ({ answers }: ToClient) => answers.forEach((a) => this.#settle(a)));
    port.once("close", () => this.#lost(port));
  }

  /** Reads the claims a client thread sends on `port` with this thread's own rounds; a client's ended request is not read. */
  serve(port: MessagePort): void {
    const own = this.#own!;
    const running = new Map<number, AbortController>();
    const answers = turnBatch<Answer>((items) => port.postMessage({ answers: items } satisfies ToClient));
    port.on("message", (message: ToReader) => {
      if ("abort" in message) return void running.get(message.abort)?.abort();
      for (const { id, claims } of message.asks) {
        const ended = new AbortController();
        running.set(id, ended);
        own(claims, ended.signal).then(
          (results) => answers.add({ id, results }),
          (error: unknown) => answers.add({ id, error: (error as Error)?.message ?? String(error) }),
        ).finally(() => running.delete(id));
      }
    });
    // A client that died asks nothing more; what it asked and is not yet read is dropped.
    port.once("close", () => running.forEach((ended) => ended.abort()));
  }

  #ask(claims: readonly AnchorClaim[], signal: AbortSignal | undefined): Promise<ChainCheckResult[]> {
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      const onAbort = () => this.#reader?.postMessage({ abort: id } satisfies ToReader);
      this.#pending.set(id, { id, claims, signal, onAbort, resolve, reject });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#asks.add({ id, claims });
    });
  }

  #settle({ id, results, error }: Answer): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.signal?.removeEventListener("abort", p.onAbort);
    if (results) p.resolve(results);
    else p.reject(new Error(`the reading thread: ${error}`));
  }

  /** The reader is gone: this thread reads itself, starting with what the reader held unanswered. */
  #lost(port: MessagePort): void {
    if (this.#reader !== port) return;
    this.#reader = undefined;
    this.#asks.clear();
    const held = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of held) {
      p.signal?.removeEventListener("abort", p.onAbort);
      this.#own!(p.claims, p.signal).then(p.resolve, p.reject);
    }
  }
}
