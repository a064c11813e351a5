// Status indices: drawn for new credentials from each issuer's list (which grows when half full,
// its new range checked on-chain first), and re-checked on-chain before queued credentials are batched.
import type { Address, PublicClient } from "viem";
import { ServiceError } from "../../core/errors.ts";
import type { JsonObject } from "../../core/json.ts";
import { readStatusWords } from "../../chain/read-registry.ts";
import { describeChainError } from "../../chain/sender.ts";
import { StatusIndexTakenError } from "../../store/errors.ts";
import type { QueuedCredential } from "../../store/types.ts";
import type { StatusIndexAllocator } from "../status-index.ts";
import type { IssuerDeps } from "./deps.ts";

/**
 * Indices in [from, to) whose revocation or suspension bit is set on-chain in an issuer's lists.
 *
 * @example
 * const taken = await setStatusBits(client, registry, 1, 0, 131_072);
 */
export async function setStatusBits(client: PublicClient, registry: Address, issuerId: number, from: number, to: number): Promise<number[]> {
  const taken: number[] = [];
  const words = Math.ceil(to / 256);
  for (let first = Math.floor(from / 256); first < words; first += 2048) {
    const count = Math.min(2048, words - first);
    const { revoked, suspended } = await readStatusWords(client, registry, BigInt(issuerId), BigInt(first), BigInt(count));
    for (let w = 0; w < count; w++) {
      const bits = revoked[w]! | suspended[w]!;
      if (bits === 0n) continue;
      for (let b = 0; b < 256; b++) {
        const index = (first + w) * 256 + b;
        if ((bits >> BigInt(b)) & 1n && index >= from && index < to) taken.push(index);
      }
    }
  }
  return taken;
}

/**
 * The smallest `initial · 2^k` above every index already given out (databases from before the size was kept).
 *
 * @example
 * listSizeCovering(1024, [5000]); // 8192
 */
export function listSizeCovering(size: number, taken: readonly number[]): number {
  const highest = taken.reduce((a, b) => Math.max(a, b), -1);
  while (highest >= size) size *= 2;
  return size;
}

/** Stores lost to another replica before the request is answered 503 (the client retries); reservations make them rare. */
const MAX_INDEX_RACES = 5;

/**
 * Runs `attempt` (which draws indices and stores them) again when another replica stored one of
 * its indices first: the backstop behind the reservations of {@link drawIndices} (a reservation
 * checked just as another replica's credential committed and its reservation was dropped).
 * Before the next draw, the issuer's allocator learns every index stored.
 *
 * @example
 * const result = await retryIndexRaces(deps, 1, () => submitOnce(deps, 1, request));
 */
export async function retryIndexRaces<T>(deps: IssuerDeps, issuerId: number, attempt: () => Promise<T>): Promise<T> {
  for (let round = 1; ; round++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof StatusIndexTakenError) || round >= MAX_INDEX_RACES) throw error;
      deps.allocators.get(issuerId)!.markTaken(await deps.store.credentials.allIndices(issuerId));
    }
  }
}

/**
 * Ages after which a reservation is dropped: once its credential holds the index (kept a while
 * rather than dropped at commit, so that another replica's reservation statement that began
 * before the commit still meets it), or in any case (its process stopped mid-draw).
 */
export const RESERVATION_HELD_MS = 60_000;
export const RESERVATION_TTL_MS = 3600_000;

/**
 * Draws `count` status indices and, where replicas share the database, reserves them in the store,
 * first growing the list if it would pass half full. Replicas on PostgreSQL each draw from their
 * own view of the list: an index another replica reserved or stored meanwhile is kept taken here
 * and only that one is drawn again, so a race costs a redraw of the collided indices, before any
 * is prepared. A new range is read on-chain before any of it is handed out (bits the issuer's keys
 * set outside this service stay taken), and the new size is stored, so a restart checks the whole
 * list again. The caller gives back what it does not store with {@link giveBackIndices}.
 *
 * @example
 * const indices = await drawIndices(deps, 1, 100);
 */
export async function drawIndices(deps: IssuerDeps, issuerId: number, count: number): Promise<number[]> {
  // The only writer's allocator is the authority: nothing to reserve against (and no turn in the store's queue to wait for).
  if (deps.store.soleWriter) return drawFree(deps, issuerId, count);
  await expireReservationsIfDue(deps);
  const reserved: number[] = [];
  try {
    while (reserved.length < count) {
      const drawn = await drawFree(deps, issuerId, count - reserved.length);
      const won = await deps.store.credentials.reserveIndices(issuerId, drawn, deps.now()).catch((error: unknown) => {
        deps.allocators.get(issuerId)!.release(drawn);
        throw error;
      });
      for (const index of drawn) if (won.has(index)) reserved.push(index);
    }
    return reserved;
  } catch (error) {
    await giveBackIndices(deps, issuerId, reserved);
    throw error;
  }
}

/**
 * Gives back drawn indices that no credential was stored with: to the issuer's allocator, and
 * their reservations are dropped (one that cannot be dropped now is only logged: it expires).
 * The reservations of stored indices expire on their own ({@link RESERVATION_HELD_MS}).
 *
 * @example
 * await giveBackIndices(deps, 1, notStored);
 */
export async function giveBackIndices(deps: IssuerDeps, issuerId: number, unused: readonly number[]): Promise<void> {
  if (unused.length === 0) return;
  deps.allocators.get(issuerId)!.release(unused);
  if (deps.store.soleWriter) return;
  await deps.store.credentials.releaseIndices(issuerId, unused).catch((error: unknown) => {
    deps.log?.("warn", "status index reservations not dropped (they expire)", { issuerId, count: unused.length, error: String(error) });
  });
}

/**
 * Drops expired reservations (of every issuer, by any replica) at most once a minute per process.
 *
 * @example
 * await expireReservationsIfDue(deps);
 */
export async function expireReservationsIfDue(deps: IssuerDeps): Promise<void> {
  const now = deps.now();
  if (now - deps.runtime.reservationsExpiredAt < RESERVATION_HELD_MS) return;
  deps.runtime.reservationsExpiredAt = now;
  await deps.store.credentials.expireReservations(now - RESERVATION_HELD_MS, now - RESERVATION_TTL_MS).catch((error: unknown) => {
    deps.log?.("warn", "dropping expired status index reservations failed; retried in a minute", { error: String(error) });
  });
}

/** Draws `count` indices free in this process's view, growing the list first when needed. */
async function drawFree(deps: IssuerDeps, issuerId: number, count: number): Promise<number[]> {
  for (;;) {
    const allocator = deps.allocators.get(issuerId)!;
    const size = allocator.sizeFor(count);
    if (size <= allocator.size) return allocator.allocate(count);
    const pending = deps.runtime.growing.get(issuerId);
    if (pending) {
      await pending;
      continue;
    }
    const growth = growList(deps, issuerId, allocator, size).finally(() => deps.runtime.growing.delete(issuerId));
    deps.runtime.growing.set(issuerId, growth);
    await growth;
  }
}

async function growList(deps: IssuerDeps, issuerId: number, allocator: StatusIndexAllocator, size: number): Promise<void> {
  let onChain: number[];
  try {
    onChain = await setStatusBits(deps.client, deps.registry, issuerId, allocator.size, size);
  } catch (error) {
    throw new ServiceError(`the status list must grow and its new range cannot be checked on-chain now: ${describeChainError(error)}`, { code: "CHAIN_UNAVAILABLE", cause: error });
  }
  await deps.store.issuers.growListSize(issuerId, size);
  allocator.grow(size, onChain);
  deps.log?.("info", "status list grown", { issuerId, size, setOnChain: onChain.length });
}

/**
 * Re-checks on-chain, before they are batched, the status indices of credentials accepted
 * since the last call: a bit set meanwhile by the issuer's keys outside this service (the list
 * was checked when it grew, not at every draw) would make a new credential born revoked. Such a
 * credential gets a fresh index, salts and digest (its content is kept; GET shows the new index).
 * Returns how many were re-indexed. Called by the pipeline before each round of batch building.
 *
 * @example
 * const moved = await recheckQueuedIndices(deps);
 */
export async function recheckQueuedIndices(deps: IssuerDeps): Promise<number> {
  let moved = 0;
  for (const issuerId of deps.issuers.keys()) {
    const queued = await deps.store.credentials.queuedAfter(issuerId, deps.runtime.recheckedUpTo.get(issuerId) ?? 0);
    if (queued.length === 0) continue;
    const onChain = new Set(await setBitsInWords(deps, issuerId, queued.map((q) => q.status_index >> 8)));
    deps.allocators.get(issuerId)!.markTaken(onChain);
    // An erased queued credential cannot be prepared again: it keeps its index (and shows revoked).
    const hit: (QueuedCredential & { content: string })[] = [];
    for (const q of queued) {
      const content = onChain.has(q.status_index) ? await deps.store.credentials.content(q.seq) : null;
      if (content !== null) hit.push({ ...q, content });
    }
    if (hit.length > 0) moved += await reindex(deps, issuerId, hit);
    deps.runtime.recheckedUpTo.set(issuerId, queued.at(-1)!.seq);
  }
  return moved;
}

/** Set status bits in the given words of an issuer's lists (contiguous runs read in one call each). */
async function setBitsInWords(deps: IssuerDeps, issuerId: number, words: readonly number[]): Promise<number[]> {
  const sorted = [...new Set(words)].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]! - sorted[i]! < 2048 && sorted[j + 1]! - sorted[j]! <= 64) j++;
    out.push(...(await setStatusBits(deps.client, deps.registry, issuerId, sorted[i]! * 256, (sorted[j]! + 1) * 256)));
    i = j + 1;
  }
  return out;
}

async function reindex(deps: IssuerDeps, issuerId: number, hit: readonly (QueuedCredential & { content: string })[]): Promise<number> {
  const indices = await drawIndices(deps, issuerId, hit.length);
  const { chainId, registry } = deps;
  let moved: number;
  try {
    const prepared = await deps.pool.prepare(
      hit.map((q) => JSON.parse(q.content) as JsonObject),
      indices.map((statusIndex) => ({ chainId, registry, issuerId, statusIndex })),
    );
    moved = await deps.store.transaction(async (tx) => {
      let count = 0;
      for (const [k, q] of hit.entries()) if (await tx.credentials.reindexQueued(q.seq, { statusIndex: indices[k]!, ...prepared[k]! })) count++;
      return count;
    });
  } catch (error) {
    await giveBackIndices(deps, issuerId, indices);
    throw error;
  }
  deps.log?.("warn", "status indices set on-chain before anchoring: credentials re-indexed", { issuerId, count: moved, ids: hit.slice(0, 10).map((q) => q.id) });
  return moved;
}
