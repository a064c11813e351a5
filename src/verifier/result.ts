// The verifier's typed result: one verdict and, per check, pass / fail / skip with a reason.
import type { ErrorCode } from "../core/errors.ts";

/** The checks, in the order they run. */
export const CHECK_NAMES = ["format", "integrity", "inclusion", "anchored", "issuer", "status", "validity"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export type CheckOutcome = "pass" | "fail" | "skip";

/**
 * Every reason code a check can carry besides the core's error codes (a bundle that does not
 * parse fails `format` with its `CredanchorError` code): what it means. Stable strings, like
 * the core's: clients and the page rely on them, so never rename one (add a new one).
 */
export const CHECK_CODES = {
  OK: "the check passed",
  ANCHORED: "the root is anchored in a trusted registry by the issuer the bundle names",
  AUTHORISED: "the issuer was accredited and the anchoring key valid at anchoring time, and the credential's issuer is the anchoring issuer's on-chain identity",
  ACTIVE: "not revoked, not suspended, the batch not revoked",
  LEAF_MISMATCH: "the credential, salts and hidden hashes do not recompute the bundle's leaf",
  PROOF_INVALID: "the Merkle proof does not lead from the leaf to the root",
  UNKNOWN_REGISTRY: "the bundle names a registry that is not in the trusted deployments",
  REGISTRY_RETIRED: "the root was anchored in a registry at or after the block its address book retired it at",
  ROOT_NOT_ANCHORED: "the root is not anchored in the registry",
  ROOT_OF_ANOTHER_ISSUER: "the root was anchored by another issuer than the bundle names",
  BLOCK_MISMATCH: "the root was anchored in another block than the bundle says",
  TX_MISMATCH: "the bundle's transaction is not the one that anchored the root",
  ISSUER_NOT_ACCREDITED: "the issuer was not accredited when the root was anchored",
  SIGNER_KEY_INVALID: "the anchoring key was retired or compromised when it anchored the root",
  ISSUER_MISMATCH: "the credential's issuer (issuer or issuer.id) is not the anchoring issuer's on-chain identity",
  REVOKED: "the credential's status index is revoked",
  SUSPENDED: "the credential's status index is suspended",
  BATCH_REVOKED: "the whole batch was revoked",
  NOT_YET_VALID: "now is before the credential's validFrom",
  EXPIRED: "now is after the credential's validUntil",
  FORMAT_FAILED: "skipped: the bundle could not be read",
  INTEGRITY_FAILED: "skipped: integrity failed",
  OFF_CHAIN_FAILED: "skipped: the bundle itself does not hold",
  NOT_ANCHORED: "skipped: the root is not anchored",
  // Undecided: the verdict is `error`, never valid or invalid.
  RPC_UNAVAILABLE: "undecided: the RPC endpoint could not be read (down, timed out, or the request was aborted)",
  RPC_WRONG_CHAIN: "undecided: the RPC endpoint serves another chain than the bundle names",
  RPC_BAD_RESPONSE: "undecided: the RPC endpoint answered something that cannot be right",
  RPC_BEHIND: "undecided: the endpoint's chain has no block as high as the anchor's block (another chain, or not synced)",
  NO_RPC: "undecided: no RPC endpoint is configured for the bundle's chain",
  PRIVATE_READ_LIMIT: "undecided: private mode would read more status words than one request may (send fewer bundles per request)",
} as const;

/** A check's reason code: one of {@link CHECK_CODES}, or a core error code for a bundle that does not parse. */
export type CheckCode = keyof typeof CHECK_CODES | ErrorCode;

export type Check = {
  name: CheckName;
  outcome: CheckOutcome;
  /** Machine-readable reason, e.g. `ROOT_NOT_ANCHORED`, `RPC_UNAVAILABLE` (see {@link CHECK_CODES}). */
  code: CheckCode;
  /** What a person reads. */
  message: string;
};

/**
 * `valid`: every check passed. `invalid`: a check failed. `error`: nothing failed but a check
 * could not be decided (RPC down, RPC on the wrong chain): never reported as valid or invalid.
 */
export type Verdict = "valid" | "invalid" | "error";

/** Reason codes of a skip that means "could not decide" (as opposed to "not needed"). */
export const UNDECIDED_CODES: ReadonlySet<CheckCode> = new Set<CheckCode>(["RPC_UNAVAILABLE", "RPC_WRONG_CHAIN", "RPC_BAD_RESPONSE", "RPC_BEHIND", "NO_RPC", "PRIVATE_READ_LIMIT"]);

/**
 * The verdict for a set of checks: any fail → invalid; else any undecided skip → error; else valid.
 *
 * @example
 * verdictOf([{ name: "format", outcome: "pass", code: "OK", message: "…" }]); // "valid"
 */
export function verdictOf(checks: readonly Check[]): Verdict {
  if (checks.some((c) => c.outcome === "fail")) return "invalid";
  if (checks.some((c) => c.outcome === "skip" && UNDECIDED_CODES.has(c.code))) return "error";
  if (checks.length === 0) return "error";
  return "valid";
}
