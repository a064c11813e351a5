// Which status changes cannot take effect: a request whose effect is impossible or already there
// (revoking a revoked credential, suspending a revoked or suspended one, reinstating one that is
// not suspended, revoking a batch that is revoked or being revoked) is refused with 409 CONFLICT
// before anything is queued, so the chain never mines a change that changes nothing.
import { ServiceError, type ErrorDetail } from "../core/errors.ts";
import type { BatchRow, Repositories, StoredStatus } from "../store/types.ts";
import type { StatusAction } from "./types.ts";

type Status = StoredStatus;
const MAX_DETAILS = 100;

/**
 * Each index's status as it will be once the issuer's changes in flight land (the stored status
 * as confirmed on-chain, a revoked batch, then the pending changes in request order).
 */
async function expectedStatuses(tx: Repositories, issuerId: number, indices: readonly number[]): Promise<Map<number, Status>> {
  const statuses = await tx.credentials.statuses(issuerId, indices);
  for (const change of await tx.statusChanges.inFlight(issuerId)) {
    if (change.batch_id !== null) continue; // a whole-batch revocation is checked by batch
    for (const index of change.indices) {
      const status = statuses.get(index);
      if (!status) continue;
      if (change.action === "revoke") status.revoked = true;
      else status.suspended = change.action === "suspend";
    }
  }
  return statuses;
}

/** Why `action` cannot apply to a credential in `status`, or undefined when it can. */
function conflictOf(action: StatusAction, status: Status): string | undefined {
  if (status.revoked) return action === "revoke" ? "already revoked (or being revoked)" : "revoked: revocation is final";
  if (action === "suspend" && status.suspended) return "already suspended (or being suspended)";
  if (action === "reinstate" && !status.suspended) return "not suspended: nothing to reinstate";
  return undefined;
}

/**
 * Throws `CONFLICT` (HTTP 409) naming every status index whose change is impossible or already
 * made (all or nothing: a bulk request with one such index queues nothing).
 *
 * @example
 * await assertStatusChangePossible(tx, 1, "suspend", [42]); // throws if 42 is revoked or suspended
 */
export async function assertStatusChangePossible(tx: Repositories, issuerId: number, action: StatusAction, indices: readonly number[]): Promise<void> {
  const details: ErrorDetail[] = [];
  let count = 0;
  for (const [index, status] of await expectedStatuses(tx, issuerId, indices)) {
    const conflict = conflictOf(action, status);
    if (!conflict) continue;
    count++;
    if (details.length < MAX_DETAILS) details.push({ path: "statusIndices", message: `${index}: ${conflict}` });
  }
  if (count === 0) return;
  throw new ServiceError(`${count} of the credentials cannot be changed by "${action}": ${details[0]!.message}${count > 1 ? " (see details)" : ""}`, {
    code: "CONFLICT",
    details,
  });
}

/**
 * Throws `CONFLICT` unless the batch's root can be revoked now: it is anchored (mined or
 * confirmed), not revoked, and no revocation of it is in flight.
 *
 * @example
 * await assertBatchRevocable(tx, 1, batchRow);
 */
export async function assertBatchRevocable(tx: Repositories, issuerId: number, batch: Pick<BatchRow, "id" | "state" | "root_revoked" | "failed_at">): Promise<void> {
  if (batch.root_revoked === 1) throw new ServiceError(`batch ${batch.id} is already revoked`, { code: "CONFLICT" });
  const pending = (await tx.statusChanges.inFlight(issuerId)).find((c) => c.batch_id === batch.id);
  if (pending) throw new ServiceError(`batch ${batch.id} is being revoked by revocation request ${pending.id}`, { code: "CONFLICT", details: [{ path: "batchId", message: `revocation ${pending.id}` }] });
  if (batch.failed_at !== null || (batch.state !== "mined" && batch.state !== "confirmed")) {
    const state = batch.failed_at !== null ? "failed" : batch.state;
    throw new ServiceError(`batch ${batch.id} is ${state}, not anchored: its root cannot be revoked on-chain; revoke its credentials by id instead (that works before anchoring)`, {
      code: "CONFLICT",
    });
  }
}
