// Serialised proof bundles kept in memory, so GET …/bundle does not rebuild one per request. An
// entry is served only after the database said the credential is still there and anchored by the
// same transaction in the same block (its stamp). Where this process is the database's only
// writer (SQLite), that answer is trusted for BUNDLE_RECHECK_MS without asking again: every
// erasure and re-anchoring goes through this process, which drops the entry at once (and a read
// that raced with it cannot put it back). Where replicas share the database (PostgreSQL), every
// request asks it (recheckMs 0): an erasure by another replica takes effect on the next request.
import { createHash } from "node:crypto";

/** A bundle as served: its canonical JSON text and the ETag of those bytes. */
export type CachedBundle = { text: string; etag: string };

/** How long a bundle the database confirmed is served without asking it again, where this process is its only writer. */
export const BUNDLE_RECHECK_MS = 1_000;

/** Taken before a database read: what {@link BundleCache.get} and {@link BundleCache.set} need to trust its answer. */
export type BundleRead = { generation: number; at: number };

type Entry = CachedBundle & { stamp: string; issuerId: number; at: number; checkedAt: number };

/**
 * A least-recently-used map of credential id → bundle text, bounded in bytes and in age (an
 * erased credential's text, evicted here when erased through this process, ages out of other
 * replicas' memory within `maxAgeMs` even if no one asks for it again).
 *
 * @example
 * const cache = new BundleCache();
 * const read = cache.beforeRead();
 * // … the database says credential `id` of issuer 1 is anchored under stamp "3:0xabc…:17" …
 * cache.get(id, "3:0xabc…:17", read) ?? cache.set(id, "3:0xabc…:17", text, 1, read);
 * cache.recent(id)?.text; // within BUNDLE_RECHECK_MS, without the database
 */
export class BundleCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #recheckMs: number;
  readonly #now: () => number;
  #bytes = 0;
  /** Counts deletions: a read that saw another value may have read what was deleted since. */
  #generation = 0;

  /** `recheckMs`: 0 where other processes write the database too (then every request asks it). */
  constructor({ maxBytes = 64 * 2 ** 20, maxAgeMs = 10 * 60_000, recheckMs = BUNDLE_RECHECK_MS, now = Date.now }: { maxBytes?: number; maxAgeMs?: number; recheckMs?: number; now?: () => number } = {}) {
    this.#maxBytes = maxBytes;
    this.#maxAgeMs = maxAgeMs;
    this.#recheckMs = recheckMs;
    this.#now = now;
    // Entries no one asks for again leave memory too (unref: never keeps the process alive).
    setInterval(() => this.sweep(), Math.max(1_000, maxAgeMs / 10)).unref();
  }

  /** Drops every entry older than the maximum age. */
  sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) if (now - entry.at > this.#maxAgeMs) this.#forget(id);
  }

  /** To take just before reading the credential from the database. */
  beforeRead(): BundleRead {
    return { generation: this.#generation, at: this.#now() };
  }

  /**
   * The entry for `id` if the database confirmed it within the recheck window (then it becomes
   * the most recent), with the issuer whose keys may read it; undefined means: ask the database.
   */
  recent(id: string): (CachedBundle & { issuerId: number }) | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    const since = this.#now() - entry.checkedAt;
    if (since < 0 || since >= this.#recheckMs) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry;
  }

  /**
   * The entry for `id` if it was stored under `stamp` and is young enough (then it becomes the
   * most recent, confirmed by `read` unless something was deleted since `read` began).
   */
  get(id: string, stamp: string, read: BundleRead): CachedBundle | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.stamp !== stamp || this.#now() - entry.at > this.#maxAgeMs) {
      this.delete(id);
      return undefined;
    }
    if (read.generation === this.#generation) entry.checkedAt = Math.max(entry.checkedAt, read.at);
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry;
  }

  /**
   * Stores `text` for `id` (of issuer `issuerId`) under `stamp`, as the database said in `read`;
   * returns the entry (with its ETag). Not stored if anything was deleted since `read` began: the
   * read may predate an erasure.
   */
  set(id: string, stamp: string, text: string, issuerId: number, read: BundleRead): CachedBundle {
    const entry: Entry = { text, etag: `"${createHash("sha256").update(text).digest("base64url").slice(0, 27)}"`, stamp, issuerId, at: this.#now(), checkedAt: read.at };
    if (read.generation !== this.#generation || text.length > this.#maxBytes) return { text: entry.text, etag: entry.etag };
    this.#forget(id);
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

  /** Forgets everything (an anchor moved); a read begun before cannot store. */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Forgets `id` (erased, or no longer anchored as it was); a read begun before cannot store it again. */
  delete(id: string): void {
    this.#generation++;
    this.#forget(id);
  }

  #forget(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#bytes -= entry.text.length;
  }
}
