// API keys: `cak_<id>_<secret>` tokens; only SHA-256(secret) is stored, compared in constant time.
// A key acts for one issuer, or is an operator key (optionally limited to some issuers); it may expire.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { ApiKeyRepository, ApiKeyRow } from "../store/types.ts";
import type { ApiKeyView, Principal } from "./types.ts";

const TOKEN = /^cak_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

const hashSecret = (secret: string): Buffer => createHash("sha256").update(secret).digest();

export type ApiKeyOptions = {
  label?: string;
  /** Unix ms after which the key no longer authenticates; absent: never. */
  expiresAt?: number;
  /** Operator keys only: the issuers it may act for; absent: every issuer served. */
  issuers?: readonly number[];
  now?: number;
};

/**
 * Creates an API key for `issuerId` (or an operator key, with null) and stores its hash.
 * The returned token is the only copy of the secret.
 *
 * @example
 * const { token } = await createApiKey(store.apiKeys, 1, { label: "ci pipeline", expiresAt: Date.now() + 90 * 86_400_000 }); // "cak_…_…"
 */
export async function createApiKey(keys: ApiKeyRepository, issuerId: number | null, options: ApiKeyOptions | string = {}): Promise<{ keyId: string; token: string }> {
  const o = typeof options === "string" ? { label: options } : options;
  const keyId = randomBytes(10).toString("hex").slice(0, 16);
  const secret = randomBytes(32).toString("base64url");
  await keys.insert({
    id: keyId,
    issuer_id: issuerId,
    secret_hash: hashSecret(secret),
    label: o.label ?? null,
    created_at: o.now ?? Date.now(),
    expires_at: o.expiresAt ?? null,
    issuer_scope: issuerId === null && o.issuers ? JSON.stringify([...o.issuers].sort((a, b) => a - b)) : null,
  });
  return { keyId, token: `cak_${keyId}_${secret}` };
}

/** The principal a stored key stands for. */
function principalOf(row: ApiKeyRow): Principal {
  if (row.issuer_id !== null) return { kind: "issuer", issuerId: row.issuer_id, keyId: row.id };
  return row.issuer_scope === null ? { kind: "admin", keyId: row.id } : { kind: "admin", keyId: row.id, issuers: JSON.parse(row.issuer_scope) as number[] };
}

/**
 * The principal behind a token, or undefined (unknown, revoked, expired or malformed). The
 * secret's hash is compared with `timingSafeEqual`; an unknown key id costs the same hash as a known one.
 *
 * @example
 * const who = await authenticateApiKey(store.apiKeys, request.headers.authorization?.slice(7) ?? "");
 */
export async function authenticateApiKey(keys: Pick<ApiKeyRepository, "findActive">, token: string, now = Date.now()): Promise<Principal | undefined> {
  const match = TOKEN.exec(token);
  const presented = hashSecret(match?.[2] ?? token);
  if (!match) return undefined;
  const row = await keys.findActive(match[1]!, now);
  const expected = row?.secret_hash ?? Buffer.alloc(32);
  const equal = timingSafeEqual(presented, expected);
  if (!row || !equal) return undefined;
  return principalOf(row);
}

/**
 * Stores an existing token again (its hash), e.g. the local demo keys after the development chain
 * and its database were reset. Returns false if the token is malformed or its id is taken.
 */
export async function importApiKey(keys: ApiKeyRepository, issuerId: number | null, token: string, label?: string): Promise<boolean> {
  const match = TOKEN.exec(token);
  if (!match) return false;
  return keys.insert(
    { id: match[1]!, issuer_id: issuerId, secret_hash: hashSecret(match[2]!), label: label ?? null, created_at: Date.now(), expires_at: null, issuer_scope: null },
    { orIgnore: true },
  );
}

/** Revokes a key by id; returns whether one was revoked. */
export function revokeApiKey(keys: ApiKeyRepository, keyId: string, now = Date.now()): Promise<boolean> {
  return keys.revoke(keyId, now);
}

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

/** What may be shown of a key: never its secret (only its hash exists) nor the hash. */
export function apiKeyView(row: ApiKeyRow, now = Date.now()): ApiKeyView {
  const view: ApiKeyView = {
    keyId: row.id,
    kind: row.issuer_id === null ? "admin" : "issuer",
    createdAt: iso(row.created_at)!,
    state: row.revoked_at !== null ? "revoked" : row.expires_at !== null && row.expires_at <= now ? "expired" : "active",
  };
  if (row.issuer_id !== null) view.issuerId = row.issuer_id;
  if (row.issuer_scope !== null) view.issuers = JSON.parse(row.issuer_scope) as number[];
  if (row.label !== null) view.label = row.label;
  if (row.expires_at !== null) view.expiresAt = iso(row.expires_at)!;
  if (row.revoked_at !== null) view.revokedAt = iso(row.revoked_at)!;
  return view;
}

/**
 * Every key as a view, oldest first.
 *
 * @example
 * for (const key of await listApiKeys(store.apiKeys)) console.log(key.keyId, key.state);
 */
export async function listApiKeys(keys: ApiKeyRepository, now = Date.now()): Promise<ApiKeyView[]> {
  return (await keys.list()).map((row) => apiKeyView(row, now));
}
