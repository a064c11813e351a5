// The per-client rate limit of POST /v1/verify shared by threads: token buckets in shared memory, so
// a client has one bucket whichever listener (the main port, a verification thread) takes its request.
import type { RateLimit, RateLimiter } from "./rate-limit.ts";

/** Buckets kept by default (a power of two); a client's bucket lives in one of {@link PROBE} slots from its hash. */
const SLOTS = 1 << 17;
const PROBE = 16;
/** The table: a lock word and a spare, two key words per slot, then tokens and time per slot (float64). */
const KEYS_AT = 8;
const slotsOf = (table: SharedArrayBuffer) => (table.byteLength - KEYS_AT) / 24;

/**
 * A zeroed table of `slots` buckets (a power of two) for {@link createSharedRateLimiter}: pass the
 * same one to every thread's limiter.
 *
 * @example
 * const table = createRateTable(); // then post it to each thread
 */
export function createRateTable(slots = SLOTS): SharedArrayBuffer {
  return new SharedArrayBuffer(KEYS_AT + 24 * slots);
}

/** Two independent 32-bit FNV-1a hashes of `text` (the second never 0: a 0 key word marks a free slot). */
function hashes(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return [a >>> 0, (b | 1) >>> 0];
}

/**
 * A token-bucket limiter over `table`, the same rule as `createRateLimiter` (`burst` at once, then
 * `perMinute`; `perMinute: 0` turns it off; the same Retry-After), with its buckets in shared
 * memory: limiters on several threads over one table count a client once. Bounded: a full
 * neighbourhood forgets a full bucket first (it equals none), then the least recently used.
 *
 * @example
 * const limiter = createSharedRateLimiter({ perMinute: 60, burst: 60 }, table);
 * limiter.take(clientOf(req)); // { ok: true } or { ok: false, retryAfterSeconds }
 */
export function createSharedRateLimiter({ perMinute, burst }: RateLimit, table: SharedArrayBuffer, now: () => number = Date.now): RateLimiter {
  const slots = slotsOf(table);
  const lock = new Int32Array(table, 0, 1);
  const keys = new Int32Array(table, KEYS_AT, 2 * slots);
  const floats = new Float64Array(table, KEYS_AT + 8 * slots, 2 * slots);
  const perMs = perMinute / 60_000;
  const level = (slot: number, t: number) => Math.min(burst, floats[2 * slot]! + (t - floats[2 * slot + 1]!) * perMs);

  /** The client's slot, or the one it takes over (a free one, a full bucket, the least recently used). */
  const find = (h1: number, h2: number, t: number): { slot: number; known: boolean } => {
    let spare = -1;
    let spareRank = Infinity;
    for (let k = 0; k < PROBE; k++) {
      const slot = (h1 + k) & (slots - 1);
      const [k1, k2] = [keys[2 * slot]! >>> 0, keys[2 * slot + 1]! >>> 0];
      if (k1 === h1 && k2 === h2) return { slot, known: true };
      // Free first, then a full bucket, then the oldest use.
      const rank = k2 === 0 ? -2 : level(slot, t) >= burst ? -1 : floats[2 * slot + 1]!;
      if (rank < spareRank) [spare, spareRank] = [slot, rank];
    }
    return { slot: spare, known: false };
  };

  return {
    take(client) {
      if (perMinute === 0) return { ok: true };
      const [h1, h2] = hashes(client);
      // The critical section is a few loads and stores: the other thread spins for well under a microsecond.
      while (Atomics.compareExchange(lock, 0, 0, 1) !== 0);
      try {
        const t = now();
        const { slot, known } = find(h1, h2, t);
        const tokens = known ? level(slot, t) : burst;
        if (tokens < 1) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
        keys[2 * slot] = h1 | 0;
        keys[2 * slot + 1] = h2 | 0;
        floats[2 * slot] = tokens - 1;
        floats[2 * slot + 1] = t;
        return { ok: true };
      } finally {
        Atomics.store(lock, 0, 0);
      }
    },
  };
}
