// Who a credential says issued it, against who anchored it on-chain: the issuer spoofing check.
import type { OnChainVerification } from "../chain/read-registry.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";

/**
 * What the credential's `issuer` says: `absent` (no member, or hidden by selective disclosure:
 * nothing is claimed), an `id` (a string issuer, or `issuer.id`), or `malformed` (present but
 * naming no identity, e.g. an object whose `id` is hidden while its `name` still shows).
 */
export type IssuerClaim = { kind: "absent" } | { kind: "id"; id: string } | { kind: "malformed" };

/** The report's `issuer` field: the claim beside the anchoring issuer's on-chain identity. */
export type IssuerIdentity = {
  /** The issuer that anchored the root (on-chain id). */
  issuerId: number;
  /** What the credential says (`issuer` or `issuer.id`), when it names one. */
  claimed?: string;
  /** The anchoring issuer's identity (DID or URL) as recorded on-chain. */
  onChain?: string;
  /** The anchoring issuer's on-chain name, when the registry records one. */
  name?: string;
  /** The claim equals the on-chain identity, is a did:key bound on-chain to the issuer, or the credential claims none. */
  matches: boolean;
};

/**
 * Reads the `issuer` member of a (disclosed) credential.
 *
 * @example
 * claimedIssuerOf({ issuer: { id: "did:web:uni.example", name: "Uni" } }); // { kind: "id", id: "did:web:uni.example" }
 */
export function claimedIssuerOf(credential: JsonObject): IssuerClaim {
  const issuer = credential.issuer;
  if (issuer === undefined) return { kind: "absent" };
  if (typeof issuer === "string") return { kind: "id", id: issuer };
  if (isPlainObject(issuer) && typeof issuer.id === "string") return { kind: "id", id: issuer.id };
  return { kind: "malformed" };
}

/**
 * The anchoring issuer's identity as the chain records it: the ONE place that decides which
 * on-chain field is the identity (v2: the accreditor-set `issuerIdentity` and `issuerName`; v1
 * reads fill `issuerIdentity` with the issuer's metadata URI and leave the name empty).
 *
 * @example
 * onChainIdentityOf(verification); // { identity: "did:web:uni.example", name: "University of Example" }
 */
export function onChainIdentityOf(v: Pick<OnChainVerification, "issuerIdentity" | "issuerName">): { identity?: string; name?: string } {
  return { ...(v.issuerIdentity !== "" ? { identity: v.issuerIdentity } : {}), ...(v.issuerName !== "" ? { name: v.issuerName } : {}) };
}

/**
 * Compares a claim with the anchoring issuer's on-chain identity. Equality is exact (a DID or
 * URL is compared as the string the issuer wrote, no normalisation); a did:key claim matches when
 * the caller found it bound on-chain to the issuer (`boundKey`).
 *
 * @example
 * compareIssuer({ kind: "id", id: "did:web:a" }, 1n, { issuerIdentity: "did:web:b", issuerName: "" }).matches; // false
 */
export function compareIssuer(claim: IssuerClaim, issuerId: bigint, v: Pick<OnChainVerification, "issuerIdentity" | "issuerName">, boundKey = false): IssuerIdentity {
  const { identity, name } = onChainIdentityOf(v);
  // `boundKey`: the claim is a did:key the registry binds to this issuer, valid when it anchored.
  const matches = claim.kind === "absent" || (claim.kind === "id" && (boundKey || (identity !== undefined && claim.id === identity)));
  return {
    issuerId: Number(issuerId),
    ...(claim.kind === "id" ? { claimed: claim.id } : {}),
    ...(identity !== undefined ? { onChain: identity } : {}),
    ...(name !== undefined ? { name } : {}),
    matches,
  };
}
