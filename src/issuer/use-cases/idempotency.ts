// Idempotency-Key handling shared by submissions and status changes: a keyed MAC of the request,
// the stored answer replayed for the same request, a conflict for another one.
import { createHmac } from "node:crypto";
import { canonicalize } from "../../core/canonical.ts";
import { ServiceError } from "../../core/errors.ts";
import type { IdempotencyRepository, IdempotencyScope } from "../../store/types.ts";
import type { IssuerDeps } from "./deps.ts";

/**
 * HMAC-SHA-256 of a request under the server secret: without the secret no dictionary can match it.
 *
 * @example
 * const mac = requestMac(deps, { action: "revoke", statusIndices: [7] });
 */
export function requestMac(deps: IssuerDeps, value: unknown, limits?: Parameters<typeof canonicalize>[1]): Buffer {
  return createHmac("sha256", deps.secret).update(canonicalize(value, limits)).digest();
}

/**
 * The stored answer to this key if the same request was made within the window; undefined for a
 * new key. Throws IDEMPOTENCY_CONFLICT for another request under the key (or one since erased).
 *
 * @example
 * const answer = await replay(deps, deps.store.idempotency, { issuerId: 1, scope: "submit", key: "k-1", mac });
 */
export async function replay(
  deps: IssuerDeps,
  idempotency: IdempotencyRepository,
  q: { issuerId: number; scope: IdempotencyScope; key: string | undefined; mac: Buffer },
): Promise<string | undefined> {
  if (q.key === undefined) return undefined;
  const row = await idempotency.find({ issuerId: q.issuerId, scope: q.scope, key: q.key, since: deps.now() - deps.limits.idempotencyWindowMs });
  if (!row) return undefined;
  if (row.requestMac.length === 0) {
    throw new ServiceError(`the Idempotency-Key "${q.key}" was used for a request whose credentials were since erased; use a new key`, { code: "IDEMPOTENCY_CONFLICT" });
  }
  if (!row.requestMac.equals(q.mac)) {
    throw new ServiceError(`the Idempotency-Key "${q.key}" was already used with a different request`, { code: "IDEMPOTENCY_CONFLICT" });
  }
  return row.response;
}

/**
 * Stores the answer to a keyed request (in the transaction that made it).
 *
 * @example
 * await remember(deps, tx.idempotency, { issuerId: 1, scope: "status", key: "k-1", mac, response: 7 });
 */
export async function remember(
  deps: IssuerDeps,
  idempotency: IdempotencyRepository,
  r: { issuerId: number; scope: IdempotencyScope; key: string | undefined; mac: Buffer; response: unknown },
): Promise<void> {
  if (r.key === undefined) return;
  await idempotency.save({ issuerId: r.issuerId, scope: r.scope, key: r.key, requestMac: r.mac, response: JSON.stringify(r.response), at: deps.now() });
}

/**
 * Deletes Idempotency-Key rows older than the window; returns how many.
 *
 * @example
 * await purgeIdempotency(deps); // at start
 */
export async function purgeIdempotency(deps: IssuerDeps): Promise<number> {
  deps.runtime.purgedAt = deps.now();
  return deps.store.idempotency.purge(deps.now() - deps.limits.idempotencyWindowMs);
}

/** Purges at most once a minute, after keyed requests were stored; a failure is logged (the request itself was stored). */
export async function purgeIdempotencyIfDue(deps: IssuerDeps): Promise<void> {
  if (deps.now() - deps.runtime.purgedAt <= 60_000) return;
  try {
    await purgeIdempotency(deps);
  } catch (error) {
    deps.log?.("warn", "purging old Idempotency-Keys failed; the next stored key retries", { error: (error as Error).message });
  }
}
