// Serialised proof bundles kept in memory, so GET …/bundle does not rebuild one per request. An
// entry is only ever served after the database said the credential is still there and anchored
// by the same transaction in the same block (its stamp): erasure or a reorganisation anywhere,
// by any replica, takes effect on the next request without telling this process.
import { createHash } from "node:crypto";

/** A bundle as served: its canonical JSON text and the ETag of those bytes. */
export type CachedBundle = { text: string; etag: string };

/**
 * A least-recently-used map of credential id → bundle text, bounded in bytes and in age (an
 * erased credential's text, evicted here when erased through this process, ages out of other
 * replicas' memory within `maxAgeMs` even if no one asks for it again).
 *
 * @example
 * const cache = new BundleCache();
 * cache.set(id, "0xabc…:17", text);
 * cache.get(id, "0xabc…:17")?.text;
 */
export class BundleCache {
  readonly #entries = new Map<string, CachedBundle & { stamp: string; at: number }>();
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor({ maxBytes = 64 * 2 ** 20, maxAgeMs = 10 * 60_000, now = Date.now }: { maxBytes?: number; maxAgeMs?: number; now?: () => number } = {}) {
    this.#maxBytes = maxBytes;
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
    // Entries no one asks for again leave memory too (unref: never keeps the process alive).
    setInterval(() => this.sweep(), Math.max(1_000, maxAgeMs / 10)).unref();
  }

  /** Drops every entry older than the maximum age. */
  sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) if (now - entry.at > this.#maxAgeMs) this.delete(id);
  }

  /** The entry for `id` if it was stored under `stamp` and is young enough (then it becomes the most recent). */
  get(id: string, stamp: string): CachedBundle | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.stamp !== stamp || this.#now() - entry.at > this.#maxAgeMs) {
      this.delete(id);
      return undefined;
    }
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry;
  }

  /** Stores `text` for `id` under `stamp`; returns the entry (with its ETag). */
  set(id: string, stamp: string, text: string): CachedBundle {
    this.delete(id);
    const entry = { text, etag: `"${createHash("sha256").update(text).digest("base64url").slice(0, 27)}"`, stamp, at: this.#now() };
    if (text.length > this.#maxBytes) return entry;
    this.#entries.set(id, entry);
    this.#bytes += text.length;
    // Oldest first (Map keeps insertion order, and a hit re-inserts).
    for (const [oldest, e] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= e.text.length;
    }
    return entry;
  }

  /** Forgets `id` (erased, or no longer anchored as it was). */
  delete(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#bytes -= entry.text.length;
  }
}
