// The API's one error shape and the one table from error code to HTTP status.
import type { Response } from "express";
import { CredanchorError, type ErrorCode, type ErrorDetail } from "../core/errors.ts";

/** HTTP status of every error code; anything not here is a 500 (a bug, never bad input). */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  INTERNAL: 500,
  JSON_SYNTAX: 400,
  JSON_DUPLICATE_KEY: 400,
  JSON_LIMIT_EXCEEDED: 413,
  JSON_UNSUPPORTED_VALUE: 400,
  CREDENTIAL_INVALID: 422,
  CONTEXT_INVALID: 422,
  DISCLOSURE_INVALID: 422,
  DISCLOSURE_MISMATCH: 422,
  BUNDLE_INVALID: 422,
  BUNDLE_UNSUPPORTED_VERSION: 422,
  REQUEST_INVALID: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  IDEMPOTENCY_CONFLICT: 409,
  CONFLICT: 409,
  GONE: 410,
  STATUS_LIST_FULL: 409,
  ASSERTION_KEY_MISSING: 409,
  VERIFICATION_FAILED: 422,
  ISSUER_MISMATCH: 422,
  STORAGE_UNAVAILABLE: 503,
  CHAIN_UNAVAILABLE: 503,
  TIMEOUT: 503,
  RATE_LIMITED: 429,
  CONFIG_INVALID: 500,
  SHARE_LINK_REVOKED: 410,
  SHARE_LINK_EXPIRED: 410,
  OVERLOADED: 503,
  WORKER_FAILED: 503,
};

/** `details` is always there (empty when there is nothing to add), so clients can always iterate it. */
export type ErrorBody = { error: { code: string; message: string; details: ErrorDetail[]; requestId?: string } };

const MAX_DETAILS = 100;

/** The response body for an error; unexpected errors get a generic message (the log has the rest). */
export function errorBody(error: unknown, requestId?: string): { status: number; body: ErrorBody } {
  if (error instanceof CredanchorError && error.code !== "INTERNAL" && error.code !== "CONFIG_INVALID") {
    const details = error.details.slice(0, MAX_DETAILS).map(({ path, message }) => ({ path, message }));
    const body: ErrorBody = { error: { code: error.code, message: error.shortMessage, details } };
    if (requestId) body.error.requestId = requestId;
    return { status: STATUS_OF[error.code], body };
  }
  return {
    status: 500,
    body: { error: { code: "INTERNAL", message: "an internal error occurred; it was logged with this request id", details: [], ...(requestId ? { requestId } : {}) } },
  };
}

/** Sends `error` in the one shape. */
export function sendError(res: Response, error: unknown): void {
  const { status, body } = errorBody(error, res.locals.requestId as string | undefined);
  if (status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="credanchor"');
  res.status(status).json(body);
}
