// Accepting credentials: validate, deduplicate by the credential's own id, draw status indices,
// salt and hash them off the main thread (a large body is parsed and checked there too), and
// store them all in one transaction before the 202.
import type { AnchorContext } from "../../core/digest.ts";
import { ServiceError } from "../../core/errors.ts";
import type { JsonLimits } from "../../core/json.ts";
import { crashPoint } from "../../chain/crash-points.ts";
import type { CredentialIdRepository, KnownCredential, NewCredential } from "../../store/types.ts";
import { acceptedInOrder, credentialIdMac, planSubmission } from "../dedupe.ts";
import { newCredentialId } from "../ids.ts";
import type { HeldSubmission, Prepared } from "../prepare-pool.ts";
import { checkSubmission, refuseUnlessValid } from "../submission-checks.ts";
import type { AcceptedCredential, SubmitRequest, SubmitResult } from "../types.ts";
import { assertServedIssuer, type IssuerDeps } from "./deps.ts";
import { purgeIdempotencyIfDue, remember, replay, requestMac } from "./idempotency.ts";
import { drawIndices, giveBackIndices, retryIndexRaces } from "./status-indices.ts";

/** Bounds of the canonical text an Idempotency-Key's request MAC covers. */
const MAC_LIMITS: JsonLimits = { maxBytes: 64 * 2 ** 20, maxDepth: 34, maxFields: 10_000_000 };

/** Bodies from this size on are parsed and checked on a worker thread (smaller ones cost less inline). */
export const OFFLOAD_FROM_BYTES = 32 * 1024;

/**
 * One submission, wherever its credentials were parsed: on the main thread (in memory) or on a
 * worker (held there). The steps run in the order the refusals are promised in.
 */
type Submission = {
  count: number;
  /** The request's MAC (called only with an Idempotency-Key). */
  mac(): Buffer;
  /** Throws CREDENTIAL_INVALID / ISSUER_MISMATCH; else each credential's id MAC. */
  check(): (Buffer | undefined)[];
  /** Salts and hashes the credentials at `positions` (after `check`). */
  prepare(positions: readonly number[], contexts: readonly AnchorContext[]): Promise<Prepared[]>;
};

function inMemory(deps: IssuerDeps, issuerId: number, submitted: readonly unknown[]): Submission {
  let credentials: unknown[] = [];
  return {
    count: submitted.length,
    mac: () => requestMac(deps, submitted, MAC_LIMITS),
    check: () => {
      const identity = deps.identities.get(issuerId)!;
      const checked = checkSubmission(submitted, identity);
      refuseUnlessValid(checked, identity);
      credentials = checked.credentials;
      return credentials.map((c) => credentialIdMac(deps.secret, issuerId, c));
    },
    prepare: (positions, contexts) => deps.pool.prepare(positions.map((i) => credentials[i]!), contexts),
  };
}

function onWorker(deps: IssuerDeps, issuerId: number, held: HeldSubmission): Submission {
  return {
    count: held.count,
    mac: () => Buffer.from(held.requestMac ?? []),
    check: () => {
      refuseUnlessValid(held, deps.identities.get(issuerId)!);
      return held.idMacs.map((m) => (m ? Buffer.from(m) : undefined));
    },
    prepare: (positions, contexts) => held.prepare(positions, contexts),
  };
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
  assertServedIssuer(deps, issuerId);
  const submission = inMemory(deps, issuerId, request.credentials);
  return retryIndexRaces(deps, issuerId, () => submitOnce(deps, issuerId, submission, request.idempotencyKey));
}

/**
 * Accepts a submission from its body's bytes (UTF-8 JSON `{"credentials":[…]}`), decoded, parsed
 * and checked on a worker thread so the main thread keeps serving. The same answers and refusals as
 * {@link submitCredentials}; undefined when the caller must parse the body itself (small body,
 * no workers, an issuer not served here, or a body that is not a well-formed submission: the
 * caller's own parse then gives the usual error).
 *
 * @example
 * const result = (await submitCredentialText(deps, 1, { body, jsonLimits })) ?? (await submitCredentials(deps, 1, parse(body)));
 */
export async function submitCredentialText(
  deps: IssuerDeps,
  issuerId: number,
  request: { body: Uint8Array; jsonLimits: JsonLimits; idempotencyKey?: string },
): Promise<SubmitResult | undefined> {
  const identity = deps.identities.get(issuerId);
  if (request.body.length < OFFLOAD_FROM_BYTES || !deps.pool.threaded || !deps.issuers.has(issuerId) || identity === undefined) return undefined;
  const key = request.idempotencyKey;
  const held = await deps.pool.parseSubmission(request.body, {
    issuerId,
    identity,
    secret: deps.secret,
    keyed: key !== undefined,
    maxPerRequest: deps.limits.maxPerRequest,
    jsonLimits: request.jsonLimits,
    macLimits: MAC_LIMITS,
  });
  if (!held) return undefined;
  try {
    const submission = onWorker(deps, issuerId, held);
    return await retryIndexRaces(deps, issuerId, () => submitOnce(deps, issuerId, submission, key));
  } finally {
    held.release();
  }
}

/** The earlier credentials with these id MACs; none asked, no trip to the store (credentials without an `id` of their own). */
function knownIds(ids: CredentialIdRepository, issuerId: number, macs: readonly Buffer[]): Promise<Map<string, KnownCredential>> {
  return macs.length === 0 ? Promise.resolve(new Map()) : ids.known(issuerId, macs);
}

async function submitOnce(deps: IssuerDeps, issuerId: number, submission: Submission, key: string | undefined): Promise<SubmitResult> {
  const max = deps.limits.maxPerRequest;
  if (submission.count === 0 || submission.count > max) {
    throw new ServiceError(`send between 1 and ${max} credentials per request (got ${submission.count})`, { code: "REQUEST_INVALID" });
  }
  const mac = key === undefined ? Buffer.alloc(0) : submission.mac();
  const replayed = await replay(deps, deps.store.idempotency, { issuerId, scope: "submit", key, mac });
  if (replayed) return { credentials: JSON.parse(replayed) as AcceptedCredential[], replayed: true };

  // Credentials whose own id this issuer submitted before are not issued again (issue 14, F3).
  const macs = submission.check();
  const plan = planSubmission(macs, await knownIds(deps.store.credentialIds, issuerId, macs.filter((m): m is Buffer => m !== undefined)));
  const fresh = plan.flatMap((earlier, i) => (earlier === undefined ? [i] : []));
  const indices = fresh.length > 0 ? await drawIndices(deps, issuerId, fresh.length) : [];
  const unused = new Set(indices);
  try {
    const { chainId, registry } = deps;
    const prepared = fresh.length === 0 ? [] : await submission.prepare(fresh, indices.map((statusIndex) => ({ chainId, registry, issuerId, statusIndex })));
    const createdAt = deps.now();
    const candidates = fresh.map((at, k): NewCredential & { at: number } => ({ at, id: newCredentialId(createdAt), issuerId, statusIndex: indices[k]!, ...prepared[k]!, createdAt }));
    // Computed afresh from what it reads: the store may run it again (see Store.transaction).
    const outcome = await deps.store.transaction(async (tx) => {
      // A concurrent request with the same key may have committed while we were hashing…
      const again = await replay(deps, tx.idempotency, { issuerId, scope: "submit", key, mac });
      if (again) return { credentials: JSON.parse(again) as AcceptedCredential[], replayed: true, used: [] as number[] };
      // …or one carrying the same credential ids.
      const raced = await knownIds(tx.credentialIds, issuerId, fresh.flatMap((i) => (macs[i] ? [macs[i]] : [])));
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
      if (idMacs.length > 0) await tx.credentialIds.remember(issuerId, idMacs);
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
    await giveBackIndices(deps, issuerId, [...unused]);
  }
}
