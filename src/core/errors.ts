// The project's one error hierarchy: every error credanchor throws on purpose is a CredanchorError with a stable code.

/** One problem at one place in the input: `path` is dotted (`credentialSubject.achievement.name`) or a JSON pointer. */
export type ErrorDetail = { path: string; message: string };

/**
 * Every machine-readable error code, with what it means. Codes are stable strings: clients and
 * the HTTP API's single code → status mapping rely on them, so never rename one (add a new one).
 */
export const ERROR_CODES = {
  INTERNAL: "a bug: an invariant of credanchor itself did not hold",
  JSON_SYNTAX: "the text is not valid JSON (RFC 8259)",
  JSON_DUPLICATE_KEY: "a JSON object has the same member name twice",
  JSON_LIMIT_EXCEEDED: "the JSON value is too large, too deep or has too many fields (see JSON_LIMITS)",
  JSON_UNSUPPORTED_VALUE:
    "a value cannot be canonicalised (RFC 8785): non-finite number, lone surrogate, or not a plain JSON value",
  CREDENTIAL_INVALID: "the credential is not a valid W3C VC 2.0 / Open Badges 3.0 credential or JSON object",
  CONTEXT_INVALID: "the anchoring context (chain id, registry, issuer id, status index) is out of range",
  DISCLOSURE_INVALID: "a selective-disclosure request is malformed (bad pointer, hiding the root)",
  DISCLOSURE_MISMATCH: "a disclosed view does not fit its salts and hidden hashes (tampered or corrupted)",
  BUNDLE_INVALID: "the proof bundle does not match the bundle schema",
  BUNDLE_UNSUPPORTED_VERSION: "the proof bundle has a version this implementation does not know",
  // The issuer service and its HTTP API.
  REQUEST_INVALID: "the request is malformed: a wrong type, a missing or unknown field, an out-of-range value",
  PAYLOAD_TOO_LARGE: "the request body is larger than the endpoint accepts",
  UNSUPPORTED_MEDIA_TYPE: "the request body must be JSON (Content-Type: application/json)",
  UNAUTHORIZED: "no valid API key was given (Authorization: Bearer <key>)",
  FORBIDDEN: "the API key may not do this: another issuer's data, or an operator-only action",
  NOT_FOUND: "no such resource",
  METHOD_NOT_ALLOWED: "the resource does not support this HTTP method",
  IDEMPOTENCY_CONFLICT: "the Idempotency-Key was already used with a different request body",
  CONFLICT: "the request contradicts the resource's current state (e.g. reinstating a revoked credential)",
  GONE: "the resource was erased",
  STATUS_LIST_FULL: "the issuer's status list has no free index left",
  ASSERTION_KEY_MISSING: "the issuer has no assertion key configured here, so it cannot sign: issue anchor-only through POST /v1/credentials, or configure ASSERTION_KEY_<issuerId>",
  VERIFICATION_FAILED: "the credential or presentation did not verify: the answer lists the failed checks",
  ISSUER_MISMATCH: "a credential's issuer (issuer or issuer.id) is not the issuer's identity recorded on-chain",
  STORAGE_UNAVAILABLE: "the database cannot store data right now (disk full, read-only); nothing was accepted",
  CHAIN_UNAVAILABLE: "the chain's JSON-RPC endpoint does not answer or answers wrongly",
  RATE_LIMITED: "this client sent more requests than the endpoint allows; retry after the Retry-After header's seconds",
  TIMEOUT: "the request took longer than the server allows; a POST may still take effect: retry with the same Idempotency-Key",
  CONFIG_INVALID: "a setting is missing or wrong; the message names it",
  SHARE_LINK_REVOKED: "the share link was revoked by the issuer or the holder: ask the holder for a new one",
  SHARE_LINK_EXPIRED: "the share link has expired: ask the holder for a new one",
  OVERLOADED: "the server has as much work queued as it accepts (e.g. bundles to verify); retry after the Retry-After header's seconds",
  WORKER_FAILED: "the worker thread doing this request's work stopped twice (a crash): retry",
} as const;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

export type CredanchorErrorOptions = {
  code?: ErrorCode;
  details?: readonly ErrorDetail[];
  cause?: unknown;
};

// Long lists of details (e.g. a badly broken credential) must not make a megabyte message.
const MAX_DETAILS_IN_MESSAGE = 20;

/**
 * Base class of every error credanchor throws on purpose.
 *
 * `shortMessage` is one line for people; `message` adds the details; `code` is for machines;
 * `details` lists every problem found (validation collects them all, not just the first).
 *
 * @example
 * try { validateCredential(input); } catch (error) {
 *   if (error instanceof CredanchorError) console.log(error.code, error.details);
 * }
 */
export class CredanchorError extends Error {
  override name = "CredanchorError";
  readonly code: ErrorCode;
  readonly shortMessage: string;
  readonly details: readonly ErrorDetail[];

  constructor(shortMessage: string, options: CredanchorErrorOptions = {}) {
    const details = options.details ?? [];
    super(formatMessage(shortMessage, details), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? "INTERNAL";
    this.shortMessage = shortMessage;
    this.details = details;
  }
}

function formatMessage(shortMessage: string, details: readonly ErrorDetail[]): string {
  if (details.length === 0) return shortMessage;
  const lines = details.slice(0, MAX_DETAILS_IN_MESSAGE).map((d) => `  ${d.path || "(root)"}: ${d.message}`);
  if (details.length > MAX_DETAILS_IN_MESSAGE) lines.push(`  … and ${details.length - MAX_DETAILS_IN_MESSAGE} more`);
  return `${shortMessage}\n${lines.join("\n")}`;
}

/** JSON text or value problems: syntax, duplicate keys, limits, values RFC 8785 cannot represent. */
export class JsonError extends CredanchorError {
  override name = "JsonError";
  constructor(
    shortMessage: string,
    options: CredanchorErrorOptions & {
      code: "JSON_SYNTAX" | "JSON_DUPLICATE_KEY" | "JSON_LIMIT_EXCEEDED" | "JSON_UNSUPPORTED_VALUE";
    },
  ) {
    super(shortMessage, options);
  }
}

/** A credential or an anchoring context failed validation; `details` lists every problem. */
export class ValidationError extends CredanchorError {
  override name = "ValidationError";
  constructor(shortMessage: string, options: CredanchorErrorOptions & { code: "CREDENTIAL_INVALID" | "CONTEXT_INVALID" }) {
    super(shortMessage, options);
  }
}

/** Selective disclosure: a bad hiding request, or a disclosed view that does not add up. */
export class DisclosureError extends CredanchorError {
  override name = "DisclosureError";
  constructor(shortMessage: string, options: CredanchorErrorOptions & { code: "DISCLOSURE_INVALID" | "DISCLOSURE_MISMATCH" }) {
    super(shortMessage, options);
  }
}

/** The issuer service refused a request or cannot serve it; the API maps `code` to an HTTP status. */
export class ServiceError extends CredanchorError {
  override name = "ServiceError";
}

/** A proof bundle that cannot be decoded or encoded. */
export class BundleError extends CredanchorError {
  override name = "BundleError";
  constructor(shortMessage: string, options: CredanchorErrorOptions & { code: "BUNDLE_INVALID" | "BUNDLE_UNSUPPORTED_VERSION" }) {
    super(shortMessage, options);
  }
}
