// API keys: `cak_<id>_<secret>` tokens; only SHA-256(secret) is stored, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../store/db.ts";
import type { Principal } from "./types.ts";

const TOKEN = /^cak_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

const hashSecret = (secret: string): Buffer => createHash("sha256").update(secret).digest();

/**
 * Creates an API key for `issuerId` (or the operator, with null) and stores its hash.
 * The returned token is the only copy of the secret.
 *
 * @example
 * const { token } = createApiKey(db, 1, "ci pipeline"); // "cak_…_…"
 */
export function createApiKey(db: Db, issuerId: number | null, label?: string): { keyId: string; token: string } {
  const keyId = randomBytes(10).toString("hex").slice(0, 16);
  const secret = randomBytes(32).toString("base64url");
  db.prepare("INSERT INTO api_keys (id, issuer_id, secret_hash, label, created_at) VALUES (?, ?, ?, ?, ?)").run(
    keyId,
    issuerId,
    hashSecret(secret),
    label ?? null,
    Date.now(),
  );
  return { keyId, token: `cak_${keyId}_${secret}` };
}

/**
 * The principal behind a token, or undefined. The secret's hash is compared with
 * `timingSafeEqual`; an unknown key id costs the same hash as a known one.
 *
 * @example
 * const who = authenticateApiKey(db, request.headers.authorization?.slice(7) ?? "");
 */
export function authenticateApiKey(db: Db, token: string): Principal | undefined {
  const match = TOKEN.exec(token);
  const presented = hashSecret(match?.[2] ?? token);
  if (!match) return undefined;
  const row = db.prepare("SELECT issuer_id, secret_hash FROM api_keys WHERE id = ? AND revoked_at IS NULL").get(match[1]) as
    | { issuer_id: number | null; secret_hash: Buffer }
    | undefined;
  const expected = row?.secret_hash ?? Buffer.alloc(32);
  const equal = timingSafeEqual(presented, expected);
  if (!row || !equal) return undefined;
  return row.issuer_id === null ? { kind: "admin", keyId: match[1]! } : { kind: "issuer", issuerId: row.issuer_id, keyId: match[1]! };
}

/**
 * Stores an existing token again (its hash), e.g. the local demo keys after the development chain
 * and its database were reset. Returns false if the token is malformed or its id is taken.
 */
export function importApiKey(db: Db, issuerId: number | null, token: string, label?: string): boolean {
  const match = TOKEN.exec(token);
  if (!match) return false;
  const result = db
    .prepare("INSERT OR IGNORE INTO api_keys (id, issuer_id, secret_hash, label, created_at) VALUES (?, ?, ?, ?, ?)")
    .run(match[1], issuerId, hashSecret(match[2]!), label ?? null, Date.now());
  return result.changes === 1;
}

/** Revokes a key by id; returns whether one was revoked. */
export function revokeApiKey(db: Db, keyId: string): boolean {
  return db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(Date.now(), keyId).changes === 1;
}
