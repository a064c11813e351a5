// Erasure on request (GDPR): the content and salts go, the leaf stays (anchored), a tombstone is
// written to the audit log, and the MAC of every submission that carried it is forgotten.
import { bytesToHex } from "../../core/encoding.ts";
import { ServiceError } from "../../core/errors.ts";
import type { Principal, Tombstone } from "../types.ts";
import { actorOf, iso, type IssuerDeps } from "./deps.ts";
import { credentialRowFor } from "./views.ts";

/**
 * Erases a credential's content; returns its tombstone.
 *
 * @throws ServiceError `NOT_FOUND`, `GONE` (already erased).
 *
 * @example
 * const { leaf, erasedAt } = await eraseCredential(deps, admin, "0192…");
 */
export async function eraseCredential(deps: IssuerDeps, principal: Principal, id: string): Promise<Tombstone> {
  const row = await credentialRowFor(deps, principal, id);
  if (row.erased_at !== null) throw new ServiceError(`credential ${id} was already erased`, { code: "GONE" });
  const erasedAt = deps.now();
  const erasedBy = actorOf(principal);
  const tombstone: Tombstone = { id, leaf: bytesToHex(row.leaf), erasedAt: iso(erasedAt)!, erasedBy };
  await deps.store.transaction(async (tx) => {
    if (!(await tx.credentials.erase(id, erasedAt))) throw new ServiceError(`credential ${id} was already erased`, { code: "GONE" });
    await tx.audit.append({ at: erasedAt, actor: erasedBy, action: "erase", subject: id, details: JSON.stringify({ leaf: tombstone.leaf, issuerId: row.issuer_id }) });
    // The MAC of the request that carried it is derived from the erased content: drop it too.
    await tx.idempotency.forgetErased(row.issuer_id, id);
  });
  // Other replicas see erased_at before they serve their copy (and let it age out).
  deps.runtime.bundles.delete(row.id);
  if (!(await deps.store.afterErasure())) deps.log?.("warn", "the erased text may stay in the write-ahead log until the next checkpoint", { id });
  return tombstone;
}
