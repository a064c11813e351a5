// POST /credentials/status (W3C VC-API "update status"): revoke, suspend or reinstate one VC by its id and status purpose, through the bulk status pipeline.
import { z } from "zod";
import { ServiceError, type ErrorDetail } from "../core/errors.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import type { IssuerService, Principal, StatusAction, StatusChangeView } from "../issuer/types.ts";
import { STATUS_LIST_LENGTH, type StatusPurpose } from "../vc/status-entries.ts";
import type { Route } from "./routes.ts";
import * as S from "./schemas.ts";

/** The entry to update: which of the credential's BitstringStatusListEntry, by purpose; the other members, when given, must be the credential's own. */
const StatusEntryRef = z.strictObject({
  id: z.string().max(2048).optional(),
  // The spec's example says "BitstringStatusList"; the entry's own type is "BitstringStatusListEntry".
  type: z.enum(["BitstringStatusListEntry", "BitstringStatusList"], { error: 'must be "BitstringStatusListEntry"' }),
  statusPurpose: z.enum(["revocation", "suspension"], { error: 'must be "revocation" or "suspension"' }),
  statusListIndex: z.string().regex(/^(0|[1-9][0-9]{0,9})$/, { error: "must be a decimal integer string" }).optional(),
  statusListCredential: z.string().max(2048).optional(),
});

export const UpdateStatusBody = z
  .strictObject({
    credentialId: z.string().min(1).max(2048).describe("The credential's own `id` (URL or URN), or the service's credential id (UUID)."),
    credentialStatus: z
      .union([StatusEntryRef, z.array(StatusEntryRef).length(1, { error: "name exactly one status entry" })])
      .describe("The status entry to update, by `statusPurpose` (an object; a one-element array is accepted too)."),
    status: z.boolean({ error: "must be true (set: revoke or suspend) or false (clear: reinstate a suspension)" }).describe("The new value of the status bit."),
    indexAllocator: z.string().max(2048).optional().describe("Accepted and ignored: the service allocates indices itself."),
  })
  .meta({
    id: "UpdateCredentialStatusRequest",
    examples: [
      { credentialId: "https://issuer.example/credentials/0b9d7a2e-5c1f-4c6e-9a55-3f1d2e8c7b10", credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: true },
      { credentialId: "0b9d7a2e-5c1f-4c6e-9a55-3f1d2e8c7b10", credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "suspension" }, status: false },
    ],
  });
export type UpdateStatusRequest = z.infer<typeof UpdateStatusBody>;

export const UpdateStatusResponse = z
  .strictObject({
    credentialId: z.string(),
    credentialStatus: z.record(z.string(), z.unknown()).describe("The credential's entry that was updated, as the credential carries it."),
    status: z.boolean(),
    statusChange: S.StatusChangeResponse.describe("The on-chain change: GET /v1/revocations/{id} follows it to `confirmed`; the published list shows it within one poll interval after."),
  })
  .meta({ id: "UpdateCredentialStatusResponse" });

/** (purpose, new bit) → the pipeline's action; clearing a revocation is impossible. */
function actionOf(purpose: StatusPurpose, status: boolean): StatusAction {
  if (purpose === "suspension") return status ? "suspend" : "reinstate";
  if (status) return "revoke";
  throw new ServiceError("revocation is final: a revoked credential cannot be reinstated (suspend it instead when the change may be undone)", {
    code: "CONFLICT",
    details: [{ path: "status", message: "false is only possible for statusPurpose suspension" }],
  });
}

/**
 * The credential's BitstringStatusListEntry for `purpose`, when its content is still stored: the
 * one with the given `id` if it has it (the chain entry is a second revocation entry on the same
 * list and index), else the first.
 */
function entryOf(credential: JsonObject | undefined, purpose: StatusPurpose, id: string | undefined): JsonObject | undefined {
  const status = credential?.credentialStatus;
  const entries = (Array.isArray(status) ? status : status === undefined ? [] : [status]).filter((e): e is JsonObject => isPlainObject(e) && e.type === "BitstringStatusListEntry" && e.statusPurpose === purpose);
  return entries.find((e) => id !== undefined && e.id === id) ?? entries[0];
}

/** Refuses members of the request's entry that are not the credential's (a request for another entry must not touch this one). */
function assertSameEntry(given: z.infer<typeof StatusEntryRef>, own: JsonObject, statusIndex: number): void {
  const details: ErrorDetail[] = [];
  const expected = { id: own.id, statusListIndex: own.statusListIndex ?? String(statusIndex % STATUS_LIST_LENGTH), statusListCredential: own.statusListCredential };
  for (const member of ["id", "statusListIndex", "statusListCredential"] as const) {
    if (given[member] !== undefined && given[member] !== expected[member]) details.push({ path: `credentialStatus.${member}`, message: `is not this credential's ${given.statusPurpose} entry (${String(expected[member]).slice(0, 200)})` });
  }
  if (details.length > 0) throw new ServiceError("the status entry named is not this credential's", { code: "REQUEST_INVALID", details });
}

/**
 * Queues the status change a VC-API update asks for: finds the caller's signed credential (by
 * its VC id or service id), checks the named entry is its own, maps (purpose, status) to
 * revoke / suspend / reinstate and hands it to `requestStatusChange`, whose rules refuse what
 * cannot take effect (409 CONFLICT).
 *
 * @throws ServiceError `NOT_FOUND` (unknown, or another issuer's), `REQUEST_INVALID` (not its entry), `CONFLICT` (impossible change).
 *
 * @example
 * const { change } = await updateCredentialStatus(service, principal, { credentialId, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "suspension" }, status: true });
 */
export async function updateCredentialStatus(
  service: IssuerService,
  principal: Principal,
  request: UpdateStatusRequest,
  idempotencyKey?: string,
): Promise<{ entry: JsonObject; change: StatusChangeView; replayed: boolean }> {
  const given = Array.isArray(request.credentialStatus) ? request.credentialStatus[0]! : request.credentialStatus;
  const { view } = await service.getSignedCredential(principal, request.credentialId);
  const within = String(view.statusIndex % STATUS_LIST_LENGTH);
  const own = entryOf(view.credential, given.statusPurpose, given.id) ?? { type: "BitstringStatusListEntry", statusPurpose: given.statusPurpose, statusListIndex: within };
  assertSameEntry(given, own, view.statusIndex);
  const action = actionOf(given.statusPurpose, request.status);
  const { change, replayed } = await service.requestStatusChange(principal, { action, credentialIds: [view.id], ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) });
  return { entry: own, change, replayed };
}

const ERRORS: Record<number, string> = {
  400: "Malformed request, or an entry member that is not the credential's (REQUEST_INVALID, JSON_SYNTAX, JSON_DUPLICATE_KEY, JSON_UNSUPPORTED_VALUE)",
  401: "No valid API key (UNAUTHORIZED)",
  403: "Not an issuer's key (FORBIDDEN)",
  404: "No such signed credential, or another issuer's (NOT_FOUND)",
  409: "The change cannot take effect: already revoked or suspended, not suspended, revocation is final (CONFLICT); or the Idempotency-Key was used with another body (IDEMPOTENCY_CONFLICT)",
  413: "Body too large (PAYLOAD_TOO_LARGE, JSON_LIMIT_EXCEEDED)",
  415: "Body is not JSON (UNSUPPORTED_MEDIA_TYPE)",
  503: "Cannot store right now (STORAGE_UNAVAILABLE, TIMEOUT)",
};

export const VC_STATUS_ROUTE: Route = {
  method: "post",
  path: "/credentials/status",
  tag: "vc-api",
  summary: "Update a credential's status (VC-API): revoke, suspend, or reinstate a suspension, on-chain",
  description:
    "`{credentialId, credentialStatus: {type: \"BitstringStatusListEntry\", statusPurpose}, status}`: revocation + true revokes (final); suspension + true suspends; suspension + false reinstates. `credentialId` is the VC's `id` or the service's credential id; `id`, `statusListIndex` and `statusListCredential`, when given, must be the credential's own entry. Same auth and pipeline as POST /v1/revocations (Idempotency-Key too): the answer (200, as the VC-API defines it) means the change is stored and queued for the chain; `statusChange` follows it (GET /v1/revocations/{id}), and the published list shows it within one poll interval of its confirmation. 409 CONFLICT for a change that cannot take effect.",
  auth: "issuer",
  body: UpdateStatusBody,
  headers: { "Idempotency-Key": { schema: S.IdempotencyKeyHeader, description: "Makes retries safe: same key and body → the same answer; same key, other body → 409." } },
  responses: {
    200: { description: "Stored and queued for the chain", schema: UpdateStatusResponse },
    ...Object.fromEntries(Object.entries(ERRORS).map(([s, description]) => [Number(s), { description, schema: S.ErrorResponse }])),
  },
  handler: async (ctx, req, res, { body, principal }) => {
    const request = body as UpdateStatusRequest;
    const { entry, change, replayed } = await updateCredentialStatus(ctx.service, principal!, request, req.get("idempotency-key"));
    if (replayed) res.setHeader("Idempotent-Replayed", "true");
    res.setHeader("Location", `/v1/revocations/${change.id}`);
    res.status(200).json({ credentialId: request.credentialId, credentialStatus: entry, status: request.status, statusChange: change });
  },
};
