// API keys through the service: who a token stands for, and the operator's key management
// (limited to the issuers in its scope; an issuer outside it is answered like one not served).
import { ServiceError } from "../../core/errors.ts";
import { apiKeyView, authenticateApiKey, createApiKey, listApiKeys } from "../api-keys.ts";
import type { ApiKeyView, CreateApiKeyRequest, Principal } from "../types.ts";
import { assertOperator, mayAct, type IssuerDeps } from "./deps.ts";

/**
 * The principal behind an API token, or undefined; constant-time.
 *
 * @example
 * const principal = await authenticate(deps, "cak_…_…");
 */
export function authenticate(deps: IssuerDeps, token: string): Promise<Principal | undefined> {
  return authenticateApiKey(deps.store.apiKeys, token, deps.now());
}

/** Whether an operator key may see key `view`: keys of issuers in its scope; operator keys only if unlimited. */
function keyVisible(principal: Extract<Principal, { kind: "admin" }>, view: ApiKeyView): boolean {
  return view.issuerId === undefined ? principal.issuers === undefined : mayAct(principal, view.issuerId);
}

/**
 * Operator only: a new API key for an issuer served here and in the key's scope; the token is shown only here.
 *
 * @example
 * const { token } = await createIssuerApiKey(deps, admin, 1, { label: "registrar" });
 */
export async function createIssuerApiKey(deps: IssuerDeps, principal: Principal, issuerId: number, request: CreateApiKeyRequest = {}): Promise<{ keyId: string; token: string; expiresAt?: string }> {
  assertOperator(principal, "create API keys");
  // An issuer outside the operator key's scope is answered like one not served here: no hint it exists.
  if (!deps.issuers.has(issuerId) || !mayAct(principal, issuerId)) {
    throw new ServiceError(`issuer ${issuerId} is not served here for this key`, { code: "NOT_FOUND" });
  }
  const expiresAt = request.expiresAt === undefined ? undefined : Date.parse(request.expiresAt);
  if (expiresAt !== undefined && !(expiresAt > deps.now())) {
    throw new ServiceError("expiresAt must be a date-time in the future", { code: "REQUEST_INVALID", details: [{ path: "expiresAt", message: String(request.expiresAt) }] });
  }
  const created = await createApiKey(deps.store.apiKeys, issuerId, {
    now: deps.now(),
    ...(request.label !== undefined ? { label: request.label } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  });
  return expiresAt === undefined ? created : { ...created, expiresAt: new Date(expiresAt).toISOString() };
}

/**
 * Operator only: the keys of the issuers in the key's scope (and operator keys, for an unlimited operator key).
 *
 * @example
 * const keys = await listVisibleApiKeys(deps, admin);
 */
export async function listVisibleApiKeys(deps: IssuerDeps, principal: Principal): Promise<ApiKeyView[]> {
  assertOperator(principal, "list API keys");
  return (await listApiKeys(deps.store.apiKeys, deps.now())).filter((view) => keyVisible(principal, view));
}

/**
 * Operator only: revokes a key it may see (NOT_FOUND otherwise); returns the key as it is now.
 *
 * @example
 * const { state } = await revokeVisibleApiKey(deps, admin, "0123abcd4567ef89"); // "revoked"
 */
export async function revokeVisibleApiKey(deps: IssuerDeps, principal: Principal, keyId: string): Promise<ApiKeyView> {
  assertOperator(principal, "revoke API keys");
  const row = await deps.store.apiKeys.get(keyId);
  if (!row || !keyVisible(principal, apiKeyView(row))) throw new ServiceError(`no API key ${keyId}`, { code: "NOT_FOUND" });
  await deps.store.apiKeys.revoke(keyId, deps.now());
  return apiKeyView((await deps.store.apiKeys.get(keyId))!, deps.now());
}
