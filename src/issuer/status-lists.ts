// Serves signed Bitstring Status List credentials built from the on-chain status words (never the database), cached per block.
import type { Address, PublicClient } from "viem";
import { readStatusWords } from "../chain/read-registry.ts";
import { ServiceError } from "../core/errors.ts";
import type { IssuerRepository } from "../store/types.ts";
import { STATUS_LIST_SOURCE_TYPE } from "../vc/contexts.ts";
import type { AssertionKey } from "../vc/keys.ts";
import { STATUS_LIST_LENGTH, statusListUrlFrom, type StatusPurpose } from "../vc/status-entries.ts";
import { buildStatusListCredential, WORDS_PER_LIST } from "../vc/status-list.ts";

export type StatusListPublisherOptions = {
  client: PublicClient;
  chainId: number;
  registry: Address;
  /** The issuers whose lists are served, by on-chain id, with the key that signs them (did:key). */
  keys: ReadonlyMap<number, AssertionKey>;
  /** The service's public base URL: a list's `id` is `<baseUrl>/status-lists/<issuer>/<purpose>/<list>`, what its entries name. */
  baseUrl: string | (() => string);
  /**
   * An issuer's status index space (entries handed out so far); lists beyond it are 404, so the
   * cache holds only lists in use (each list is one chain read and one signature to build).
   * Default: one list (131,072 entries).
   */
  listSize?: (issuerId: number) => Promise<number | undefined>;
  /** How long a built list is served without asking the chain for a newer block (default 5 s): the poll interval. */
  refreshMs?: number;
  /** Blocks behind the head the lists are read at (default 0: the head). */
  confirmations?: number;
  /** validUntil − validFrom of a list (default 1 day); a list is rebuilt when half of it has passed. */
  validForSeconds?: number;
  /** The lists' `ttl` (default 5 minutes). */
  ttlMs?: number;
  /** Milliseconds now (tests). */
  now?: () => number;
};

/**
 * One served list: the signed credential's JSON text, its ETag and the block it was read at;
 * `bytes` and `headers` are that body and its response headers prepared once per build, so a
 * cached answer does no JSON, string or header work per request.
 */
export type ServedList = { body: string; etag: string; blockNumber: bigint; maxAgeSeconds: number; bytes: Buffer; headers: ServedHeaders };

/** Response headers of a served list, ready for `writeHead`: the 200's (with the body's type and length) and the 304's. */
export type ServedHeaders = { ok: Record<string, string>; notModified: Record<string, string> };

/**
 * What the route needs: the served list of (issuer, purpose, list); and, when the provider
 * keeps one, the fresh cached list for a route key without waiting (the fast path).
 */
export type StatusListProvider = Pick<StatusListPublisher, "get"> & Partial<Pick<StatusListPublisher, "peek">>;

/**
 * The headers every answer of a list carries: CORS open (a browser verifier fetches lists from any
 * origin), its ETag (the block it was read at) and how long a cache may keep it.
 */
function servedHeaders(etag: string, maxAgeSeconds: number, bytes: Buffer): ServedHeaders {
  const common = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag",
    "X-Content-Type-Options": "nosniff",
    ETag: etag,
    "Cache-Control": `public, max-age=${maxAgeSeconds}`,
  };
  return { ok: { ...common, "Content-Type": "application/vc+ld+json; charset=utf-8", "Content-Length": String(bytes.length) }, notModified: common };
}

type Entry = { served: ServedList; words: readonly bigint[]; builtAt: number; checkedAt: number; seenBlock: bigint };

const DEFAULTS = { refreshMs: 5000, confirmations: 0, validForSeconds: 86_400, ttlMs: 300_000 } as const;
const sameWords = (a: readonly bigint[], b: readonly bigint[]) => a.length === b.length && a.every((w, i) => w === b[i]);

/**
 * Builds each (issuer, purpose, list) once per block whose words differ, and serves it from
 * memory in between. Freshness is checked on request: a request more than `refreshMs` after
 * the last check reads the head block number and, if it moved, the list's words at that
 * block; unchanged words keep the same signed list and ETag. So a status change confirmed
 * on-chain shows within `refreshMs` of the next request, and a quiet list costs one
 * `eth_blockNumber` per interval, however many GETs arrive.
 *
 * @example
 * const lists = new StatusListPublisher({ client, chainId: 31337, registry, keys, baseUrl: "https://issuer.example" });
 * const { body, etag } = await lists.get(1, "revocation", 0);
 */
export class StatusListPublisher {
  readonly #o: Required<Omit<StatusListPublisherOptions, "listSize">> & Pick<StatusListPublisherOptions, "listSize">;
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<void>>();

  constructor(options: StatusListPublisherOptions) {
    this.#o = { ...DEFAULTS, now: Date.now, ...options };
  }

  /**
   * The list, fresh to within the poll interval.
   *
   * @throws ServiceError `NOT_FOUND` for an issuer not served here or a list beyond its index space; `CHAIN_UNAVAILABLE` when the chain cannot be read.
   */
  async get(issuerId: number, purpose: StatusPurpose, list: number): Promise<ServedList> {
    const key = this.#o.keys.get(issuerId);
    if (!key) throw new ServiceError(`no status lists are served here for issuer ${issuerId}`, { code: "NOT_FOUND" });
    const size = this.#o.listSize ? await this.#o.listSize(issuerId) : STATUS_LIST_LENGTH;
    const lists = Math.ceil((size ?? 0) / STATUS_LIST_LENGTH);
    if (list >= lists) throw new ServiceError(`issuer ${issuerId} has ${lists === 0 ? "no status list" : `status lists 0 to ${lists - 1}`}; there is no list ${list}`, { code: "NOT_FOUND" });
    const id = `${issuerId}/${purpose}/${list}`;
    const fresh = this.peek(id);
    if (fresh) return fresh;
    // One refresh per list at a time: concurrent requests wait for the same chain read.
    let pending = this.#pending.get(id);
    if (!pending) {
      pending = this.#refresh(id, key, issuerId, purpose, list).finally(() => this.#pending.delete(id));
      this.#pending.set(id, pending);
    }
    await pending;
    return this.#entries.get(id)!.served;
  }

  /**
   * The cached list under `key` (`<issuerId>/<purpose>/<list>`, canonical decimals) if it is
   * fresh (checked within the poll interval, built within half its validity), without waiting;
   * undefined otherwise (then `get` reads the chain). The HTTP fast path answers from it.
   *
   * @example
   * const served = lists.peek("1/revocation/0"); // undefined until a `get` built it
   */
  peek(key: string): ServedList | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const now = this.#o.now();
    return now - entry.checkedAt < this.#o.refreshMs && now - entry.builtAt < (this.#o.validForSeconds * 1000) / 2 ? entry.served : undefined;
  }

  /** Reads the head and, if it moved (or the list is old), the words; rebuilds only when they changed. */
  async #refresh(id: string, key: AssertionKey, issuerId: number, purpose: StatusPurpose, list: number): Promise<void> {
    const o = this.#o;
    let head: bigint;
    try {
      head = (await o.client.getBlockNumber({ cacheTime: 0 })) - BigInt(o.confirmations);
    } catch (error) {
      throw new ServiceError(`cannot read the chain's head block: ${(error as Error).message.split("\n")[0]}`, { code: "CHAIN_UNAVAILABLE", cause: error });
    }
    if (head < 0n) head = 0n;
    const now = o.now();
    const old = this.#entries.get(id);
    const stale = !old || now - old.builtAt >= (o.validForSeconds * 1000) / 2;
    if (old && !stale && head <= old.seenBlock) {
      old.checkedAt = now;
      return;
    }
    let words: readonly bigint[];
    let blockHash: string;
    try {
      const block = await o.client.getBlock({ blockNumber: head });
      blockHash = block.hash!;
      const read = await readStatusWords(o.client, o.registry, BigInt(issuerId), BigInt(list * WORDS_PER_LIST), BigInt(WORDS_PER_LIST), head);
      words = purpose === "revocation" ? read.revoked : read.suspended;
    } catch (error) {
      throw new ServiceError(`cannot read issuer ${issuerId}'s status words: ${(error as Error).message.split("\n")[0]}`, { code: "CHAIN_UNAVAILABLE", cause: error });
    }
    if (old && !stale && sameWords(old.words, words)) {
      Object.assign(old, { checkedAt: now, seenBlock: head });
      return;
    }
    const credential = await buildStatusListCredential({
      url: statusListUrlFrom(typeof o.baseUrl === "string" ? o.baseUrl : o.baseUrl(), issuerId)(purpose, list),
      purpose,
      words,
      key,
      validFrom: new Date(now),
      validForSeconds: o.validForSeconds,
      ttlMs: o.ttlMs,
      source: { type: STATUS_LIST_SOURCE_TYPE, chainId: String(o.chainId), registry: o.registry, issuerId: String(issuerId), list: String(list), blockNumber: String(head), blockHash },
    });
    const body = JSON.stringify(credential);
    const bytes = Buffer.from(body, "utf8");
    const etag = `"${o.chainId}-${issuerId}-${purpose}-${list}-${head}"`;
    const maxAgeSeconds = Math.max(0, Math.floor(o.refreshMs / 1000));
    const served: ServedList = { body, etag, blockNumber: head, maxAgeSeconds, bytes, headers: servedHeaders(etag, maxAgeSeconds, bytes) };
    this.#entries.set(id, { served, words, builtAt: now, checkedAt: now, seenBlock: head });
  }
}

/**
 * The publisher over the service's chain and store, serving the issuers whose assertion keys are loaded (`loadAssertionKeys(config,
 * dataDir)`), each up to its status index space. Pass the result as `createApp({ statusLists })`.
 *
 * @example
 * const statusLists = statusListPublisherFor({ client, chainId, registry, issuers: store.issuers, keys: await loadAssertionKeys(config, dataDir), baseUrl: publicUrl });
 */
export function statusListPublisherFor(options: Omit<StatusListPublisherOptions, "listSize"> & { issuers: IssuerRepository }): StatusListPublisher {
  const { issuers, ...rest } = options;
  return new StatusListPublisher({ ...rest, listSize: (id) => issuers.listSize(id) });
}
