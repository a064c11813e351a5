// Revoking, suspending and reinstating credentials, or revoking a whole batch's root: checked
// against what is stored and in flight, then queued as registry calls in one transaction.
import { encodeFunctionData } from "viem";
import { credentialRegistryAbi } from "../../chain/abi.ts";
import { bytesToHex } from "../../core/encoding.ts";
import { ServiceError } from "../../core/errors.ts";
import type { BatchRow } from "../../store/types.ts";
import { assertBatchRevocable, assertStatusChangePossible } from "../status-conflicts.ts";
import { statusCalls } from "../status-parts.ts";
import type { Principal, StatusChangeRequest, StatusChangeView } from "../types.ts";
import { assertServedIssuer, type IssuerDeps } from "./deps.ts";
import { purgeIdempotencyIfDue, remember, replay, requestMac } from "./idempotency.ts";
import { getStatusChange } from "./views.ts";

/** Throws REQUEST_INVALID for a request that names nothing, mixes a batch with credentials, or has a bad reason. */
function assertWellFormed(request: StatusChangeRequest): void {
  const { action, credentialIds = [], statusIndices = [], batchId, reason = 0 } = request;
  if (credentialIds.length === 0 && statusIndices.length === 0 && batchId === undefined) {
    throw new ServiceError("name the credentials: credentialIds, statusIndices or batchId", { code: "REQUEST_INVALID" });
  }
  if (!Number.isInteger(reason) || reason < 0 || reason > 255) throw new ServiceError("reason must be an integer from 0 to 255", { code: "REQUEST_INVALID" });
  if (batchId !== undefined && action !== "revoke") throw new ServiceError("a whole batch can only be revoked (not suspended or reinstated)", { code: "REQUEST_INVALID" });
  if (batchId !== undefined && (credentialIds.length > 0 || statusIndices.length > 0)) {
    throw new ServiceError("revoke either a batch or credentials, not both in one request", { code: "REQUEST_INVALID" });
  }
}

/**
 * The status indices a request names (by id or index), all the issuer's; NOT_FOUND names the first
 * that is not. An index below the issuer's floor that no stored credential holds may be one of a
 * credential only the chain knows (a batch found by reconcileWithChain): it is accepted by index.
 */
async function namedIndices(deps: IssuerDeps, issuerId: number, credentialIds: readonly string[], statusIndices: readonly number[]): Promise<number[]> {
  const indices = new Set<number>();
  const located = await deps.store.credentials.locate(credentialIds);
  for (const id of credentialIds) {
    const found = located.get(id);
    if (!found || found.issuerId !== issuerId) throw new ServiceError(`no credential ${id}`, { code: "NOT_FOUND", details: [{ path: "credentialIds", message: id }] });
    indices.add(found.statusIndex);
  }
  const held = await deps.store.credentials.heldIndices(issuerId, statusIndices);
  const floor = statusIndices.some((i) => !held.has(i)) ? await deps.store.registries.indexFloor(issuerId) : 0;
  for (const index of statusIndices) {
    if (!held.has(index) && index >= floor) {
      throw new ServiceError(`no credential of issuer ${issuerId} has status index ${index}`, { code: "NOT_FOUND", details: [{ path: "statusIndices", message: String(index) }] });
    }
    indices.add(index);
  }
  return [...indices].sort((a, b) => a - b);
}

/**
 * The indices grouped by the registry their credentials are anchored on (null: the current one;
 * registry upgrades). A stored credential in no batch yet is on the current one; an index no
 * stored credential holds (one only the chain knows) goes where the issuer's newest batch found
 * on-chain is.
 */
async function byRegistry(deps: IssuerDeps, issuerId: number, indices: readonly number[]): Promise<Map<string | null, number[]>> {
  const registries = await deps.store.registries.registriesOf(issuerId, indices);
  const held = await deps.store.credentials.heldIndices(issuerId, indices);
  const orphans = indices.some((i) => !held.has(i)) ? ((await deps.store.registries.reconciledRegistry(issuerId)) ?? null) : null;
  const groups = new Map<string | null, number[]>();
  for (const index of indices) {
    const registry = registries.get(index) ?? (held.has(index) ? null : orphans);
    groups.set(registry, [...(groups.get(registry) ?? []), index]);
  }
  return groups;
}

/**
 * Queues a status change of the caller's credentials (or a batch's root) for the chain; returns
 * its view. An Idempotency-Key replays the first answer.
 *
 * @throws ServiceError `FORBIDDEN`, `REQUEST_INVALID`, `NOT_FOUND`, `CONFLICT` (impossible or already made), `IDEMPOTENCY_CONFLICT`.
 *
 * @example
 * const { change } = await requestStatusChange(deps, issuer, { action: "revoke", credentialIds: [id], reason: 1 });
 */
export async function requestStatusChange(deps: IssuerDeps, principal: Principal, request: StatusChangeRequest): Promise<{ change: StatusChangeView; replayed: boolean }> {
  if (principal.kind !== "issuer") throw new ServiceError("status changes are made with the issuer's own API key", { code: "FORBIDDEN" });
  const issuerId = principal.issuerId;
  assertServedIssuer(deps, issuerId);
  const { action, credentialIds = [], statusIndices = [], batchId, reason = 0, idempotencyKey: key } = request;
  const mac = requestMac(deps, { action, credentialIds, statusIndices, batchId: batchId ?? null, reason });
  const replayed = await replay(deps, deps.store.idempotency, { issuerId, scope: "status", key, mac });
  if (replayed) return { change: await getStatusChange(deps, principal, Number(replayed)), replayed: true };
  assertWellFormed(request);

  const indices = await namedIndices(deps, issuerId, credentialIds, statusIndices);
  let batch: BatchRow | undefined;
  if (batchId !== undefined) {
    batch = await deps.store.batches.get(batchId);
    if (!batch || batch.issuer_id !== issuerId) throw new ServiceError(`no batch ${batchId}`, { code: "NOT_FOUND" });
  }
  const signer = deps.issuers.get(issuerId)!.address;
  // A bulk change becomes several transactions, each under the gas budget, each to the registry its credentials are on.
  const calls = batch
    ? [{ target: batch.registry, data: encodeFunctionData({ abi: credentialRegistryAbi, functionName: "revokeRoot", args: [bytesToHex(batch.root), reason] }) }]
    : [...(await byRegistry(deps, issuerId, indices))].flatMap(([target, part]) => statusCalls(action, part, reason, deps.limits.statusGasBudget).map((data) => ({ target, data })));
  const id = await deps.store.transaction(async (tx) => {
    // Checked inside the transaction: two requests can never both pass against the same state.
    if (batch) await assertBatchRevocable(tx, issuerId, (await tx.batches.get(batch.id))!);
    else await assertStatusChangePossible(tx, issuerId, action, indices);
    const at = deps.now();
    const changeId = await tx.statusChanges.insert({ issuerId, action, reason, indices, batchId: batchId ?? null, at });
    const txIds: number[] = [];
    for (const { target, data } of calls) txIds.push(await tx.outbox.enqueue({ signer, kind: batch ? "revokeRoot" : "status", refId: changeId, data, at, target }));
    await tx.statusChanges.setTx(changeId, txIds[0]!);
    await remember(deps, tx.idempotency, { issuerId, scope: "status", key, mac, response: changeId });
    return changeId;
  });
  if (key !== undefined) await purgeIdempotencyIfDue(deps);
  return { change: await getStatusChange(deps, principal, id), replayed: false };
}
