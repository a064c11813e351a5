// A long-running verifier for a server: hashing on worker threads, one chain read for many
// concurrent requests, final anchoring transactions remembered, and a bounded queue.
import type { Transport } from "viem";
import { ServiceError } from "../core/errors.ts";
import { checkOnChain, skipAll, type AnchorClaim, type ChainCheckResult, type ClientForChain, type Privacy } from "./chain-checks.ts";
import { OffChainPool } from "./off-chain-pool.ts";
import { createChainReadCache, type ChainReadCache } from "./read-cache.ts";
import type { ChainReads } from "./shared-reads.ts";
import type { TrustList } from "./trust.ts";
import { clientFactory, completeReports, type VerificationReport, type VerifyOptions } from "./verify-bundle.ts";

/** Options of {@link createVerifier}. */
export type VerifierOptions = {
  trust: TrustList;
  rpc: VerifyOptions["rpc"];
  /** Blocks after which an anchoring transaction is final and kept (the service's confirmation depth). */
  confirmations: number;
  /** Most bundles admitted and not yet answered; beyond, `503 OVERLOADED` with Retry-After. */
  maxQueued?: number;
  /** Where the off-chain checks run; default: one pool shared by the process. */
  pool?: Pick<OffChainPool, "check">;
  /**
   * The count of bundles admitted and not yet answered (default: this verifier's own). Verifiers
   * on several threads share one over a `SharedArrayBuffer`, so `maxQueued` bounds them together.
   */
  queued?: QueueCount;
  /** Most claims read in one coalesced round of chain reads. */
  maxClaimsPerRead?: number;
  /** The transport of the long-lived direct-mode clients, per RPC URL (default: viem's HTTP transport, batched). */
  transport?: (url: string) => Transport;
  /** Coalesced rounds of chain reads in flight at once (default 2: one is filled while the other is read). */
  readRounds?: number;
  /**
   * How direct-mode reads are made, given this verifier's own coalesced rounds (default: those):
   * verification threads route them to one reading thread (`SharedChainReads`, shared-reads.ts).
   */
  chainReads?: (own: ChainReads) => ChainReads;
};

/** Options of one {@link Verifier.verify} call. */
export type VerifyCallOptions = {
  privacy?: Privacy;
  /** Fires when the request ends: a verification not yet at its chain reads skips them (undecided). */
  signal?: AbortSignal;
};

export type Verifier = {
  /** One report per input, in order; throws `OVERLOADED` (503) when the queue is full, before any work. */
  verify(inputs: readonly unknown[], options?: VerifyCallOptions): Promise<VerificationReport[]>;
};

/** Default of {@link VerifierOptions.maxQueued}: about a second of hashing on two threads. */
export const DEFAULT_MAX_QUEUED = 2_000;
/** Rounds of coalesced chain reads in flight at once (one is filled while the other is read). */
const READ_ROUNDS = 2;

/**
 * A count of bundles admitted and not yet answered, in cells a `SharedArrayBuffer` may share
 * between threads: each thread adds to its own `slot`, and the total is their sum (so a thread
 * that dies can be cleared by zeroing its slot).
 */
export type QueueCount = { cells: Int32Array; slot: number };

/**
 * Admits `n` more bundles unless that would pass `max` while others are queued (one request larger
 * than `max` alone is admitted). Threads admitting at the same instant may pass `max` by one
 * request each: a bound on memory, not an exact count.
 *
 * @example
 * const queued = { cells: new Int32Array(1), slot: 0 };
 * if (!admit(queued, 1, 2000)) throw overloaded;
 * try { … } finally { Atomics.sub(queued.cells, queued.slot, 1); }
 */
export function admit({ cells, slot }: QueueCount, n: number, max: number): boolean {
  const now = queuedNow(cells);
  if (now > 0 && now + n > max) return false;
  Atomics.add(cells, slot, n);
  return true;
}

const queuedNow = (cells: Int32Array): number => {
  let sum = 0;
  for (let i = 0; i < cells.length; i++) sum += Atomics.load(cells, i);
  return sum;
};

let shared: OffChainPool | undefined;
/** The process's one verification pool, started on first use. */
const sharedPool = (): OffChainPool => (shared ??= new OffChainPool());

type Waiting = { claims: readonly AnchorClaim[]; signal?: AbortSignal; resolve: (r: ChainCheckResult[]) => void; reject: (e: unknown) => void };

/**
 * Coalesces the direct-mode chain checks of concurrent requests: up to two rounds of reads run at
 * once; a request's claims join the next round that starts after it arrived, so its status bits
 * are read after it was made (never a cached answer), and N waiting requests cost one `eth_call`
 * per registry instead of N. A request whose signal fired while it waited is not read (undecided).
 *
 * @example
 * const check = coalesceChainChecks((claims) => checkOnChain(claims, trust, clientFor), 1000);
 * const [result] = await check([claim]);
 */
export function coalesceChainChecks(read: (claims: readonly AnchorClaim[]) => Promise<ChainCheckResult[]>, maxClaims: number, maxRounds = READ_ROUNDS): ChainReads {
  const queue: Waiting[] = [];
  let rounds = 0;
  const take = (): Waiting[] => {
    const taken: Waiting[] = [];
    let claims = 0;
    while (queue.length > 0 && (taken.length === 0 || claims + queue[0]!.claims.length <= maxClaims)) {
      const w = queue.shift()!;
      if (w.signal?.aborted) w.resolve(w.claims.map(() => ({ checks: skipAll("RPC_UNAVAILABLE", "not read: the request ended before its chain reads started") })));
      else (taken.push(w), (claims += w.claims.length));
    }
    return taken;
  };
  const round = async (): Promise<void> => {
    rounds++;
    try {
      for (let taken = take(); taken.length > 0; taken = take()) {
        try {
          const results = await read(taken.flatMap((w) => w.claims));
          let at = 0;
          for (const w of taken) w.resolve(results.slice(at, (at += w.claims.length)));
        } catch (error) {
          for (const w of taken) w.reject(error);
        }
      }
    } finally {
      rounds--;
    }
  };
  return (claims, signal) =>
    new Promise((resolve, reject) => {
      queue.push({ claims, ...(signal ? { signal } : {}), resolve, reject });
      if (rounds < maxRounds) void round();
    });
}

/**
 * A verifier for a long-running server. Same reports as {@link verifyBundles}; in direct mode the
 * chain reads of concurrent requests are made together and final anchoring transactions are
 * remembered ({@link ChainReadCache}); status bits and issuer facts are read for every request.
 * Private mode reads per request, as {@link verifyBundles} does (its reads are budgeted per request).
 *
 * @example
 * const verifier = createVerifier({ trust, rpc: { 31337: rpcUrl }, confirmations: 3 });
 * const [report] = await verifier.verify([bundle]);
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const { trust, rpc, confirmations, maxQueued = DEFAULT_MAX_QUEUED, maxClaimsPerRead = 1_000, readRounds = READ_ROUNDS } = options;
  const pool = options.pool ?? sharedPool();
  const cache: ChainReadCache = createChainReadCache({ confirmations });
  // Long-lived clients: their chain id is remembered and concurrent reads share JSON-RPC batches.
  const clientFor: ClientForChain = clientFactory(rpc, undefined, options.transport);
  const own = coalesceChainChecks((claims) => checkOnChain(claims, trust, clientFor, { cache }), maxClaimsPerRead, readRounds);
  const direct = options.chainReads?.(own) ?? own;
  const queued = options.queued ?? { cells: new Int32Array(1), slot: 0 };

  return {
    async verify(inputs, { privacy = "direct", signal } = {}) {
      if (!admit(queued, inputs.length, maxQueued)) {
        throw new ServiceError(`the server is verifying ${queuedNow(queued.cells)} bundles already (at most ${maxQueued} queued): retry in a second`, { code: "OVERLOADED" });
      }
      try {
        const offChain = await pool.check(inputs);
        const now = Math.floor(Date.now() / 1000);
        if (privacy === "private") {
          const perRequest = clientFactory(rpc, signal);
          return await completeReports(offChain, (claims) => checkOnChain(claims, trust, perRequest, { privacy, ...(signal ? { signal } : {}) }), now);
        }
        return await completeReports(offChain, (claims) => direct(claims, signal), now);
      } finally {
        Atomics.sub(queued.cells, queued.slot, inputs.length);
      }
    },
  };
}
