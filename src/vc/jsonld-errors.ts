// JSON-LD failures (safe mode, protected terms, unpinned contexts) turned into the project's ValidationError, naming the term.
import { ValidationError } from "../core/errors.ts";

/**
 * Why a credential failed JSON-LD processing. The error's `code` stays `CREDENTIAL_INVALID`
 * (HTTP 422 in the API's table); `reason` is the finer, stable machine-readable cause.
 */
export const JSONLD_REASONS = {
  JSONLD_UNDEFINED_TERM: "a property or type that no context defines (safe mode drops nothing silently)",
  JSONLD_PROTECTED_TERM: "a context tries to redefine a protected term (e.g. of the VC 2.0 context)",
  JSONLD_UNKNOWN_CONTEXT: "a context URL that is not pinned: the document loader never fetches",
  JSONLD_INVALID: "another JSON-LD error (relative IRI, malformed context or value)",
} as const;
export type JsonLdReason = keyof typeof JSONLD_REASONS;

/** A credential that JSON-LD (in safe mode) refuses; `term` names the culprit (term, type, IRI or context URL). */
export class JsonLdError extends ValidationError {
  override name = "JsonLdError";
  readonly reason: JsonLdReason;
  readonly term: string;
  constructor(reason: JsonLdReason, term: string, message: string, cause?: unknown) {
    super(`${reason}: ${message}`, { code: "CREDENTIAL_INVALID", details: [{ path: term, message: `${reason}: ${message}` }], cause });
    this.reason = reason;
    this.term = term;
  }
}

type JsonLdFailure = { name?: string; message?: string; details?: Record<string, unknown> & { event?: { code?: string; details?: Record<string, unknown> } }; cause?: unknown };

/**
 * The {@link JsonLdError} for a jsonld.js error, or `undefined` when `error` is not one.
 *
 * @example
 * try { await vc.issue({ credential, suite, documentLoader }); }
 * catch (error) { throw asJsonLdError(error) ?? error; }
 */
export function asJsonLdError(error: unknown): JsonLdError | undefined {
  const e = error as JsonLdFailure | null;
  if (typeof e !== "object" || e === null || typeof e.name !== "string" || !e.name.startsWith("jsonld.")) {
    // Data Integrity wraps some errors once.
    return e && typeof e === "object" && e.cause ? asJsonLdError(e.cause) : undefined;
  }
  const details = e.details ?? {};
  const event = details.event;
  const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v) ?? "?");
  if (event?.code === "invalid property") {
    const term = text(event.details?.property);
    return new JsonLdError("JSONLD_UNDEFINED_TERM", term, `the property "${term}" is not defined by any context`, error);
  }
  if (event?.code === "relative @type reference" || event?.code === "invalid type value") {
    const term = text(event.details?.type ?? event.details?.typeValue);
    return new JsonLdError("JSONLD_UNDEFINED_TERM", term, `the type "${term}" is not defined by any context`, error);
  }
  if (details.code === "protected term redefinition") {
    const term = text(details.term);
    return new JsonLdError("JSONLD_PROTECTED_TERM", term, `a context redefines the protected term "${term}"`, error);
  }
  if (details.code === "loading remote context failed" || details.code === "loading document failed") {
    const url = text(details.url);
    return new JsonLdError("JSONLD_UNKNOWN_CONTEXT", url, `the context ${url} is not pinned (no context is fetched)`, error);
  }
  const where = event ? text(event.details) : text(details.code);
  return new JsonLdError("JSONLD_INVALID", event?.code ?? text(details.code), `${(e.message ?? "").split("\n")[0]} (${where})`, error);
}
