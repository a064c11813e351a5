// The fast path for GET /v1/credentials/{id}/bundle: the holder's most frequent read, answered
// before express with exactly the route's semantics (API key, 401/403/404/409/410/503, ETag and
// 304, Cache-Control, X-Request-Id, the error shape, metrics, the request log, the handler
// deadline). Anything unusual (HEAD, a query string, a malformed id) goes on to the route.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { CredanchorError, ServiceError } from "../core/errors.ts";
import type { IssuerService, Principal } from "../issuer/types.ts";
import { errorBody } from "./errors.ts";
import type { Metrics } from "./metrics.ts";
import { CredentialIdParam } from "./schemas.ts";
import { etagMatches, type FastPath } from "./status-list-fast-path.ts";

const ROUTE = "/v1/credentials/:id/bundle";
const PATH = /^\/v1\/credentials\/([0-9a-fA-F-]{36})\/bundle$/;

/**
 * The token of an `Authorization` header: undefined without one, "" when it is not `Bearer <token>`.
 *
 * @example
 * bearerToken("Bearer cak_0123_abc"); // "cak_0123_abc"
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? "";
}

/**
 * The principal of an API key token (from {@link bearerToken}), or 401 UNAUTHORIZED.
 *
 * @example
 * const principal = await apiKeyPrincipal(service, bearerToken(req.headers.authorization));
 */
export async function apiKeyPrincipal(service: Pick<IssuerService, "authenticate">, token: string | undefined): Promise<Principal> {
  if (token === undefined) throw new ServiceError("this endpoint needs an API key: Authorization: Bearer <key>", { code: "UNAUTHORIZED" });
  const principal = await service.authenticate(token);
  if (!principal) throw new ServiceError("the API key is not valid (unknown, revoked or malformed)", { code: "UNAUTHORIZED" });
  return principal;
}

export type BundleFastPathOptions = {
  service: Pick<IssuerService, "authenticate" | "getBundleText">;
  metrics: Metrics;
  /** The app's request logger (redacting, as createApp makes it). */
  log: Logger;
  /** The route's handler deadline: after it, `503 TIMEOUT`. */
  handlerTimeoutMs: number;
};

/**
 * The fast path for bundle GETs (createApp registers it; listenApi puts it in front of express).
 *
 * @example
 * const fast = createBundleFastPath({ service, metrics, log, handlerTimeoutMs: 60_000 });
 * http.createServer((req, res) => fast(req, res) || app(req, res));
 */
export function createBundleFastPath(options: BundleFastPathOptions): FastPath {
  return (req, res) => {
    if (req.method !== "GET" || !req.url!.startsWith("/v1/credentials/")) return false;
    const match = PATH.exec(req.url!);
    if (!match || !CredentialIdParam.safeParse(match[1]).success) return false;
    void answer(options, req, res, match[1]!);
    return true;
  };
}

/** One request, as the express middleware, route and handler together answer it. */
async function answer(o: BundleFastPathOptions, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const started = process.hrtime.bigint();
  const requestId = randomUUID();
  res.setHeader("X-Request-Id", requestId);
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("X-Content-Type-Options", "nosniff");
  let principal: Principal | undefined;
  let code: string | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    code = fail(o, res, new ServiceError(`the request took longer than ${o.handlerTimeoutMs} ms; a POST may still take effect: retry with the same Idempotency-Key`, { code: "TIMEOUT" }), requestId);
    done();
  }, o.handlerTimeoutMs);
  const done = () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    o.metrics.observe("GET", ROUTE, res.statusCode, seconds);
    const fields = {
      method: "GET",
      route: ROUTE,
      status: res.statusCode,
      ms: Math.round(seconds * 1000 * 10) / 10,
      requestId,
      ...(principal ? { principal: principal.kind, keyId: principal.keyId, ...(principal.kind === "issuer" ? { issuerId: principal.issuerId } : {}) } : {}),
      ...(code ? { code } : {}),
    };
    if (res.statusCode >= 500) o.log.error(fields, "request failed");
    else o.log.info(fields, "request");
  };
  try {
    principal = await apiKeyPrincipal(o.service, bearerToken(req.headers.authorization));
    const { text, etag } = await o.service.getBundleText(principal, id);
    if (timedOut) return o.log.warn({ requestId }, "handler ended after its timeout");
    // The bytes stay the same until erasure: a holder's copy is revalidated (304), never kept by shared caches.
    res.setHeader("ETag", etag);
    res.setHeader("Cache-Control", "private, no-cache");
    const held = req.headers["if-none-match"];
    if (held !== undefined && etagMatches(held, etag)) res.writeHead(304).end();
    else res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) }).end(text);
  } catch (error) {
    if (timedOut) return o.log.warn({ requestId, err: error }, "handler ended after its timeout");
    code = fail(o, res, error, requestId);
  } finally {
    clearTimeout(timer);
  }
  done();
}

/** Answers `error` in the one shape (as createApp's `fail` and `sendError` do); returns its code. */
function fail(o: BundleFastPathOptions, res: ServerResponse, error: unknown, requestId: string): string {
  const { status, body } = errorBody(error, requestId);
  o.metrics.error(body.error.code);
  if (status >= 500 && !(error instanceof CredanchorError && status === 503)) o.log.error({ requestId, err: error }, "unexpected error");
  const text = JSON.stringify(body);
  if (status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="credanchor"');
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) }).end(text);
  return body.error.code;
}
