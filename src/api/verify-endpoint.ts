// POST /v1/verify from body bytes to answer bytes: parse and validate, verify, serialize. The same
// function serves on the main thread (a given verifier) or on the verification threads (verify-threads.ts).
import { ServiceError } from "../core/errors.ts";
import type { JsonLimits } from "../core/json.ts";
import type { VerificationReport } from "../verifier/verify-bundle.ts";
import type { Verifier } from "../verifier/verifier.ts";
import { parseJsonBody } from "./json-body.ts";
import { VerifyBody } from "./schemas.ts";

/** Answers POST /v1/verify bodies: the 200 answer's JSON bytes, or a `CredanchorError` (400, 503 OVERLOADED, …). */
export type VerifyEndpoint = {
  /** The answer to one request's body; `signal` fires when the request ends (its chain reads stop). */
  answer(body: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
};

/** What {@link answerVerify} needs besides the body. */
export type VerifyRequestLimits = {
  /** Most bundles in one request (400 REQUEST_INVALID beyond). */
  maxBundles: number;
  /** The JSON limits of the route's body. */
  json: JsonLimits;
};

/** JSON-safe copy of a verification report (bigints as numbers, no decoded bundle). */
export function reportJson(report: VerificationReport): Record<string, unknown> {
  const out: Record<string, unknown> = { verdict: report.verdict, checks: report.checks };
  if (report.anchor) out.anchor = Object.fromEntries(Object.entries(report.anchor).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]));
  if (report.issuer) out.issuer = report.issuer;
  return out;
}

/**
 * One POST /v1/verify: the body parsed and validated (400 as the app answers them), the bundle
 * cap, the verification, the `{ results }` answer as UTF-8 JSON bytes.
 *
 * @example
 * const bytes = await answerVerify(body, verifier, { maxBundles: 1000, json: limits }, signal);
 */
export async function answerVerify(body: Uint8Array, verifier: Verifier, limits: VerifyRequestLimits, signal: AbortSignal): Promise<Uint8Array> {
  const b = parseJsonBody(body, VerifyBody, limits.json) as { bundle?: unknown; bundles?: unknown[]; private?: boolean };
  const inputs = b.bundles ?? [b.bundle];
  if (inputs.length > limits.maxBundles) {
    throw new ServiceError("the request is malformed", { code: "REQUEST_INVALID", details: [{ path: "bundles", message: `at most ${limits.maxBundles} bundles per request on this server (got ${inputs.length})` }] });
  }
  const reports = await verifier.verify(inputs, { privacy: b.private ? "private" : "direct", signal });
  // Its own ArrayBuffer (not Buffer's shared pool), so a thread can transfer it.
  return new TextEncoder().encode(JSON.stringify({ results: reports.map(reportJson) }));
}

/**
 * The endpoint over a verifier on this thread (a caller's own verifier, or an RPC given as a function).
 *
 * @example
 * const endpoint = inThreadEndpoint(createVerifier({ trust, rpc, confirmations: 3 }), { maxBundles: 1000, json });
 */
export function inThreadEndpoint(verifier: Verifier, limits: VerifyRequestLimits): VerifyEndpoint {
  return { answer: (body, signal) => answerVerify(body, verifier, limits, signal) };
}
