// The verifier's typed result: one verdict and, per check, pass / fail / skip with a reason.

/** The checks, in the order they run. */
export const CHECK_NAMES = ["format", "integrity", "inclusion", "anchored", "issuer", "status", "validity"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export type CheckOutcome = "pass" | "fail" | "skip";

export type Check = {
  name: CheckName;
  outcome: CheckOutcome;
  /** Machine-readable reason, e.g. `ROOT_NOT_ANCHORED`, `RPC_UNAVAILABLE`. */
  code: string;
  /** What a person reads. */
  message: string;
};

/**
 * `valid`: every check passed. `invalid`: a check failed. `error`: nothing failed but a check
 * could not be decided (RPC down, RPC on the wrong chain): never reported as valid or invalid.
 */
export type Verdict = "valid" | "invalid" | "error";

/** Reason codes of a skip that means "could not decide" (as opposed to "not needed"). */
export const UNDECIDED_CODES: ReadonlySet<string> = new Set(["RPC_UNAVAILABLE", "RPC_WRONG_CHAIN", "RPC_BAD_RESPONSE", "NO_RPC"]);

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
