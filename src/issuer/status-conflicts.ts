// Which status changes cannot take effect: a request whose effect is impossible or already there
// (revoking a revoked credential, suspending a revoked or suspended one, reinstating one that is
// not suspended, revoking a batch that is revoked or being revoked) is refused with 409 CONFLICT
// before anything is queued, so the chain never mines a change that changes nothing.
import { ServiceError, type ErrorDetail } from "../core/errors.ts";
import type { Db } from "../store/db.ts";
import { inFlightStatusChanges } from "../store/outbox.ts";
import type { StatusAction } from "./types.ts";

type Status = { revoked: boolean; suspended: boolean };
const MAX_DETAILS = 100;

/**
 * Each index's status as it will be once the issuer's changes in flight land (the stored status
 * as confirmed on-chain, a revoked batch, then the pending changes in request order).
 */
function expectedStatuses(db: Db, issuerId: number, indices: readonly number[]): Map<number, Status> {
  const read = db.prepare(
    "SELECT c.revoked, c.suspended, coalesce(b.root_revoked, 0) AS root_revoked FROM credentials c LEFT JOIN batches b ON b.id = c.batch_id WHERE c.issuer_id = ? AND c.status_index = ?",
  );
  const statuses = new Map<number, Status>();
  for (const index of indices) {
    const row = read.get(issuerId, index) as { revoked: number; suspended: number; root_revoked: number };
    statuses.set(index, { revoked: row.revoked === 1 || row.root_revoked === 1, suspended: row.suspended === 1 });
  }
  for (const change of inFlightStatusChanges(db, issuerId)) {
    if (change.batch_id !== null) continue; // a whole-batch revocation is checked by batch
    for (const index of JSON.parse(change.indices) as number[]) {
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
 * assertStatusChangePossible(db, 1, "suspend", [42]); // throws if 42 is revoked or suspended
 */
export function assertStatusChangePossible(db: Db, issuerId: number, action: StatusAction, indices: readonly number[]): void {
  const details: ErrorDetail[] = [];
  let count = 0;
  for (const [index, status] of expectedStatuses(db, issuerId, indices)) {
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
 * assertBatchRevocable(db, 1, batchRow);
 */
export function assertBatchRevocable(db: Db, issuerId: number, batch: { id: number; state: string; root_revoked: number; failed_at: number | null }): void {
  if (batch.root_revoked === 1) throw new ServiceError(`batch ${batch.id} is already revoked`, { code: "CONFLICT" });
  const pending = inFlightStatusChanges(db, issuerId).find((c) => c.batch_id === batch.id);
  if (pending) throw new ServiceError(`batch ${batch.id} is being revoked by revocation request ${pending.id}`, { code: "CONFLICT", details: [{ path: "batchId", message: `revocation ${pending.id}` }] });
  if (batch.failed_at !== null || (batch.state !== "mined" && batch.state !== "confirmed")) {
    const state = batch.failed_at !== null ? "failed" : batch.state;
    throw new ServiceError(`batch ${batch.id} is ${state}, not anchored: its root cannot be revoked on-chain; revoke its credentials by id instead (that works before anchoring)`, {
      code: "CONFLICT",
    });
  }
}
