// Accepting credentials: validate, deduplicate by the credential's own id, draw status indices,
// salt and hash them off the main thread, and store them all in one transaction before the 202.
import { credentialIssues } from "../../core/credential.ts";
import { CredanchorError, ServiceError, ValidationError, type ErrorDetail } from "../../core/errors.ts";
import { crashPoint } from "../../chain/crash-points.ts";
import type { NewCredential } from "../../store/types.ts";
import { acceptedInOrder, credentialIdMac, planSubmission } from "../dedupe.ts";
import { newCredentialId } from "../ids.ts";
import { issuerClaimIssues, withIssuer } from "../issuer-claim.ts";
import type { AcceptedCredential, SubmitRequest, SubmitResult } from "../types.ts";
import { assertServedIssuer, type IssuerDeps } from "./deps.ts";
import { purgeIdempotencyIfDue, remember, replay, requestMac } from "./idempotency.ts";
import { drawIndices, retryIndexRaces } from "./status-indices.ts";

const MAX_DETAILS = 100;

/** Every validation problem of the credentials (at most MAX_DETAILS), paths relative to the request. */
function validationDetails(credentials: readonly unknown[]): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (let i = 0; i < credentials.length && details.length < MAX_DETAILS; i++) {
    try {
      for (const issue of credentialIssues(credentials[i]).issues) details.push({ path: `credentials[${i}]${issue.path ? "." + issue.path : ""}`, message: issue.message });
    } catch (error) {
      if (!(error instanceof CredanchorError)) throw error;
      details.push({ path: `credentials[${i}]`, message: error.shortMessage });
    }
  }
  return details;
}

/** The request's credentials with the issuer's identity filled in; throws unless every one is valid and names this issuer. */
function checkedCredentials(deps: IssuerDeps, issuerId: number, request: SubmitRequest): unknown[] {
  // A credential without an issuer is issued under the issuer's on-chain identity (filled in);
  // one naming anyone else is refused (ISSUER_MISMATCH) after the validation problems, if any.
  const identity = deps.identities.get(issuerId)!;
  const credentials = request.credentials.map((c) => withIssuer(c, identity));
  const details = validationDetails(credentials);
  if (details.length > 0) {
    throw new ValidationError(`${details.length >= MAX_DETAILS ? "at least " : ""}${details.length} problem${details.length === 1 ? "" : "s"} in the credentials; nothing was accepted`, {
      code: "CREDENTIAL_INVALID",
      details: details.slice(0, MAX_DETAILS),
    });
  }
  const mismatches = issuerClaimIssues(credentials, identity, MAX_DETAILS);
  if (mismatches.length > 0) {
    throw new ServiceError(`${mismatches.length} credential${mismatches.length === 1 ? " names" : "s name"} another issuer than this issuer's on-chain identity ${identity}; nothing was accepted`, {
      code: "ISSUER_MISMATCH",
      details: mismatches,
    });
  }
  return credentials;
}

/**
 * Accepts credentials for anchoring: on return they are stored (a 202 may be answered). A
 * credential whose own `id` the issuer submitted before is answered with that record
 * (`duplicate: true`); an Idempotency-Key replays the first answer.
 *
 * @throws ValidationError `CREDENTIAL_INVALID`; ServiceError `ISSUER_MISMATCH`, `REQUEST_INVALID`, `IDEMPOTENCY_CONFLICT`, `CHAIN_UNAVAILABLE`.
 *
 * @example
 * const { credentials } = await submitCredentials(deps, 1, { credentials: [credential], idempotencyKey: "run-42" });
 */
export function submitCredentials(deps: IssuerDeps, issuerId: number, request: SubmitRequest): Promise<SubmitResult> {
  return retryIndexRaces(deps, issuerId, () => submitOnce(deps, issuerId, request));
}

async function submitOnce(deps: IssuerDeps, issuerId: number, request: SubmitRequest): Promise<SubmitResult> {
  assertServedIssuer(deps, issuerId);
  const { idempotencyKey: key } = request;
  const max = deps.limits.maxPerRequest;
  if (request.credentials.length === 0 || request.credentials.length > max) {
    throw new ServiceError(`send between 1 and ${max} credentials per request (got ${request.credentials.length})`, { code: "REQUEST_INVALID" });
  }
  const mac = key === undefined ? Buffer.alloc(0) : requestMac(deps, request.credentials, { maxBytes: 64 * 2 ** 20, maxDepth: 34, maxFields: 10_000_000 });
  const replayed = await replay(deps, deps.store.idempotency, { issuerId, scope: "submit", key, mac });
  if (replayed) return { credentials: JSON.parse(replayed) as AcceptedCredential[], replayed: true };
  const credentials = checkedCredentials(deps, issuerId, request);

  // Credentials whose own id this issuer submitted before are not issued again (issue 14, F3).
  const macs = credentials.map((c) => credentialIdMac(deps.secret, issuerId, c));
  const plan = planSubmission(macs, await deps.store.credentialIds.known(issuerId, macs.filter((m): m is Buffer => m !== undefined)));
  const fresh = plan.flatMap((earlier, i) => (earlier === undefined ? [i] : []));
  const allocator = deps.allocators.get(issuerId)!;
  const indices = fresh.length > 0 ? await drawIndices(deps, issuerId, fresh.length) : [];
  const unused = new Set(indices);
  try {
    const { chainId, registry } = deps;
    const prepared = fresh.length === 0 ? [] : await deps.pool.prepare(fresh.map((i) => credentials[i]!), indices.map((statusIndex) => ({ chainId, registry, issuerId, statusIndex })));
    const createdAt = deps.now();
    const candidates = fresh.map((at, k): NewCredential & { at: number } => ({ at, id: newCredentialId(createdAt), issuerId, statusIndex: indices[k]!, ...prepared[k]!, createdAt }));
    // Computed afresh from what it reads: the store may run it again (see Store.transaction).
    const outcome = await deps.store.transaction(async (tx) => {
      // A concurrent request with the same key may have committed while we were hashing…
      const again = await replay(deps, tx.idempotency, { issuerId, scope: "submit", key, mac });
      if (again) return { credentials: JSON.parse(again) as AcceptedCredential[], replayed: true, used: [] as number[] };
      // …or one carrying the same credential ids.
      const raced = await tx.credentialIds.known(issuerId, fresh.flatMap((i) => (macs[i] ? [macs[i]] : [])));
      const finalPlan = [...plan];
      const stored = new Map<number, AcceptedCredential>();
      const rows: NewCredential[] = [];
      const idMacs: { mac: Buffer; credentialId: string }[] = [];
      for (const { at, ...row } of candidates) {
        const idMac = macs[at];
        const known = idMac && raced.get(idMac.toString("hex"));
        if (known) {
          finalPlan[at] = known;
          continue;
        }
        rows.push(row);
        if (idMac) idMacs.push({ mac: idMac, credentialId: row.id });
        stored.set(at, { id: row.id, statusIndex: row.statusIndex, state: "queued" });
      }
      await tx.credentials.insertMany(rows);
      await tx.credentialIds.remember(issuerId, idMacs);
      const accepted = acceptedInOrder(finalPlan, stored);
      await remember(deps, tx.idempotency, { issuerId, scope: "submit", key, mac, response: accepted });
      return { credentials: accepted, replayed: false, used: rows.map((r) => r.statusIndex) };
    });
    // Committed: the indices of the stored credentials are taken; the rest go back.
    for (const index of outcome.used) unused.delete(index);
    if (outcome.used.length > 0) {
      crashPoint("accept:after-commit");
      deps.runtime.onAccepted?.(issuerId, outcome.used.length);
    }
    if (key !== undefined) await purgeIdempotencyIfDue(deps);
    return { credentials: outcome.credentials, replayed: outcome.replayed };
  } finally {
    if (unused.size > 0) allocator.release([...unused]);
  }
}
