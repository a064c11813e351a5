// API keys through the service: who a token stands for, and the operator's key management
// (limited to the issuers in its scope; an issuer outside it is answered like one not served).
import { ServiceError } from "../../core/errors.ts";
import { apiKeyView, authenticateApiKey, createApiKey, listApiKeys } from "../api-keys.ts";
import type { ApiKeyRow } from "../../store/types.ts";
import type { ApiKeyView, CreateApiKeyRequest, Principal } from "../types.ts";
import { assertOperator, mayAct, type IssuerDeps } from "./deps.ts";

/**
 * How long an active key read from the store is trusted without reading it again. A key revoked
 * through this process stops at once; revoked by another replica or by the CLI on the database,
 * it stops within this time (docs/operations.md, "API keys"). Expiry is checked on every request.
 */
export const API_KEY_CACHE_MS = 1_000;
/** Most keys remembered (a flood of distinct valid keys cannot grow memory beyond it). */
const API_KEY_CACHE_MAX = 10_000;

/**
 * The principal behind an API token, or undefined; constant-time (the secret's hash is compared
 * on every request, cached key or not).
 *
 * @example
 * const principal = await authenticate(deps, "cak_…_…");
 */
export function authenticate(deps: IssuerDeps, token: string): Promise<Principal | undefined> {
  return authenticateApiKey({ findActive: (keyId, now) => activeKey(deps, keyId, now) }, token, deps.now());
}

/** The key if active at `now`: from this process's memory if read within API_KEY_CACHE_MS, else from the store. */
async function activeKey(deps: IssuerDeps, keyId: string, now: number): Promise<ApiKeyRow | undefined> {
  const cache = deps.runtime.apiKeys;
  const held = cache.get(keyId);
  if (held && now - held.at >= 0 && now - held.at < API_KEY_CACHE_MS && (held.row.expires_at === null || held.row.expires_at > now)) return held.row;
  const row = await deps.store.apiKeys.findActive(keyId, now);
  if (!row) {
    cache.delete(keyId);
    return undefined;
  }
  if (cache.size >= API_KEY_CACHE_MAX) cache.clear();
  cache.set(keyId, { row, at: now });
  return row;
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
  deps.runtime.apiKeys.delete(keyId);
  return apiKeyView((await deps.store.apiKeys.get(keyId))!, deps.now());
}
