// Per-client rate limits of the public endpoints: a token bucket per client address, in memory.
import type { IncomingMessage } from "node:http";

/** `burst` requests at once, then `perMinute` more each minute; `perMinute: 0` turns the limit off. */
export type RateLimit = { perMinute: number; burst: number };

export type RateLimiter = {
  /** Takes one request's token for `client`: allowed, or how many seconds until one is free. */
  take(client: string): { ok: true } | { ok: false; retryAfterSeconds: number };
};

// Buckets of clients that went quiet are dropped once this many are kept (a full bucket equals none).
const MAX_CLIENTS = 100_000;

/**
 * A token-bucket limiter keyed by client. Memory is bounded: past {@link MAX_CLIENTS} clients, full
 * buckets are forgotten first, then the oldest.
 *
 * @example
 * const limiter = createRateLimiter({ perMinute: 60, burst: 60 });
 * const answer = limiter.take(clientOf(req));
 * if (!answer.ok) res.setHeader("Retry-After", answer.retryAfterSeconds);
 */
export function createRateLimiter({ perMinute, burst }: RateLimit, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  const level = (b: { tokens: number; at: number }, t: number) => Math.min(burst, b.tokens + (t - b.at) * perMs);
  const prune = (t: number) => {
    for (const [key, b] of buckets) if (level(b, t) >= burst) buckets.delete(key);
    for (const key of buckets.keys()) {
      if (buckets.size < MAX_CLIENTS) break;
      buckets.delete(key);
    }
  };
  return {
    take(client) {
      if (perMinute === 0) return { ok: true };
      const t = now();
      const known = buckets.get(client);
      const tokens = known ? level(known, t) : burst;
      if (tokens < 1) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
      if (!known && buckets.size >= MAX_CLIENTS) prune(t);
      buckets.delete(client); // re-insert: the map's order is then least recently seen first
      buckets.set(client, { tokens: tokens - 1, at: t });
      return { ok: true };
    },
  };
}

/**
 * The client a request is counted against: its TCP peer address (an IPv4-mapped IPv6 address as
 * IPv4; IPv6 by its /64, which one subscriber usually holds whole). Behind a reverse proxy every
 * client is the proxy: limit there, or turn this off.
 *
 * @example
 * clientOf(req); // "203.0.113.7" or "2001:db8:1:2::/64"
 */
export function clientOf(req: Pick<IncomingMessage, "socket">): string {
  const address = req.socket.remoteAddress ?? "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  return `${expandIpv6(address).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, zone id dropped). */
function expandIpv6(address: string): string[] {
  const [head = "", tail] = address.split("%")[0]!.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const middle = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0");
  return [...left, ...middle, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""));
}
