// A credential's `issuer` against the issuer's on-chain identity: filled in when absent, refused when another.
import type { ErrorDetail } from "../core/errors.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";

const BADGE_TYPES = ["OpenBadgeCredential", "AchievementCredential"];

/** The issuer a credential claims: `issuer` when a string, else `issuer.id` when a string. */
export function claimedIssuer(credential: JsonObject): string | undefined {
  const issuer = credential.issuer;
  if (typeof issuer === "string") return issuer;
  return isPlainObject(issuer) && typeof issuer.id === "string" ? issuer.id : undefined;
}

/**
 * `credential` with `identity` filled in where it names no issuer: `issuer` absent becomes
 * `identity` (an Open Badge gets a `Profile` object, as OB 3.0 asks), an issuer object without
 * `id` gets it. Anything else is returned as it is (a copy only when something was filled in).
 *
 * @example
 * withIssuer({ type: ["VerifiableCredential"], credentialSubject: {} }, "did:web:uni.example").issuer; // "did:web:uni.example"
 */
export function withIssuer(credential: unknown, identity: string): unknown {
  if (!isPlainObject(credential)) return credential;
  const issuer = credential.issuer;
  if (issuer === undefined) {
    const types = Array.isArray(credential.type) ? credential.type : [credential.type];
    const badge = types.some((t) => typeof t === "string" && BADGE_TYPES.includes(t));
    return { ...credential, issuer: badge ? { id: identity, type: ["Profile"] } : identity };
  }
  if (isPlainObject(issuer) && issuer.id === undefined) return { ...credential, issuer: { id: identity, ...issuer } };
  return credential;
}

/**
 * One detail per credential whose issuer is not `identity` (exact string comparison, as DIDs
 * and URLs are compared by verifiers), naming its index and both values; at most `max`.
 *
 * @example
 * issuerClaimIssues([{ issuer: "did:web:other.example" }], "did:web:uni.example");
 * // [{ path: "credentials[0].issuer", message: "is did:web:other.example; must be this issuer's on-chain identity did:web:uni.example" }]
 */
export function issuerClaimIssues(credentials: readonly unknown[], identity: string, max = 100): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (let i = 0; i < credentials.length && out.length < max; i++) {
    const credential = credentials[i];
    if (!isPlainObject(credential)) continue;
    const claimed = claimedIssuer(credential);
    if (claimed === identity) continue;
    const path = `credentials[${i}].${typeof credential.issuer === "string" || claimed === undefined ? "issuer" : "issuer.id"}`;
    const shown = claimed === undefined ? "not a URI or an object with an id" : JSON.stringify(claimed);
    out.push({ path, message: `is ${shown}; must be this issuer's on-chain identity ${JSON.stringify(identity)}` });
  }
  return out;
}
