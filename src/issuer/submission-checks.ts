// The checks a submission's credentials pass before anything is stored (validity, the issuer's
// identity filled in or matched), as data: run on the main thread or on a prepare worker.
import { credentialIssues } from "../core/credential.ts";
import { CredanchorError, ServiceError, ValidationError, type ErrorDetail } from "../core/errors.ts";
import { issuerClaimIssues, withIssuer } from "./issuer-claim.ts";

/** Most problems one refusal lists. */
export const MAX_DETAILS = 100;

/** A submission's credentials with the issuer filled in, and what is wrong with them (empty lists: nothing). */
export type CheckedSubmission = { credentials: unknown[]; details: ErrorDetail[]; mismatches: ErrorDetail[] };

/** Every validation problem of the credentials (at most MAX_DETAILS), paths relative to the request. */
function validationDetails(credentials: readonly unknown[]): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (let i = 0; i < credentials.length && details.length < MAX_DETAILS; i++) {
    try {
      for (const issue of credentialIssues(credentials[i]).issues) details.push({ path: `credentials[${i}]${issue.path ? "." + issue.path : ""}`, message: issue.message });
    } catch (error) {
      if (!(error instanceof CredanchorError)) throw error;
      details.push({ path: `credentials[${i}]`, message: error.shortMessage });
    }
  }
  return details;
}

/**
 * Fills in the issuer's identity where a credential names none and collects every problem:
 * validation first, issuer mismatches only when every credential is valid.
 *
 * @example
 * const { credentials, details, mismatches } = checkSubmission(request.credentials, "did:web:uni.example");
 */
export function checkSubmission(submitted: readonly unknown[], identity: string): CheckedSubmission {
  // A credential without an issuer is issued under the issuer's on-chain identity (filled in);
  // one naming anyone else is refused (ISSUER_MISMATCH) after the validation problems, if any.
  const credentials = submitted.map((c) => withIssuer(c, identity));
  const details = validationDetails(credentials);
  const mismatches = details.length > 0 ? [] : issuerClaimIssues(credentials, identity, MAX_DETAILS);
  return { credentials, details, mismatches };
}

/**
 * Throws the refusal a checked submission earns, if any.
 *
 * @throws ValidationError `CREDENTIAL_INVALID`; ServiceError `ISSUER_MISMATCH`.
 *
 * @example
 * refuseUnlessValid(checkSubmission(credentials, identity), identity);
 */
export function refuseUnlessValid({ details, mismatches }: Pick<CheckedSubmission, "details" | "mismatches">, identity: string): void {
  if (details.length > 0) {
    throw new ValidationError(`${details.length >= MAX_DETAILS ? "at least " : ""}${details.length} problem${details.length === 1 ? "" : "s"} in the credentials; nothing was accepted`, {
      code: "CREDENTIAL_INVALID",
      details: details.slice(0, MAX_DETAILS),
    });
  }
  if (mismatches.length > 0) {
    throw new ServiceError(`${mismatches.length} credential${mismatches.length === 1 ? " names" : "s name"} another issuer than this issuer's on-chain identity ${identity}; nothing was accepted`, {
      code: "ISSUER_MISMATCH",
      details: mismatches,
    });
  }
}
