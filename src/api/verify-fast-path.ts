// POST /v1/verify answered before express: the main thread checks the headers and the client's rate,
// reads the body's bytes and hands them to the verify endpoint (its threads), then writes the answer's bytes.
// The same serving answers every request on the verification listener (verify-listener.ts).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { CredanchorError, ServiceError } from "../core/errors.ts";
import { errorBody } from "./errors.ts";
import type { Metrics } from "./metrics.ts";
import { clientOf, type RateLimiter } from "./rate-limit.ts";
import type { FastPath } from "./status-list-fast-path.ts";
import type { VerifyEndpoint } from "./verify-endpoint.ts";

export const VERIFY_ROUTE = "/v1/verify";
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(;|$)/i;

/** What {@link createVerifyFastPath} serves with: the app's own endpoint, limiter, limits, metrics and log. */
export type VerifyFastPathOptions = {
  endpoint: VerifyEndpoint;
  limiter: RateLimiter;
  /** The route's body limit in bytes. */
  bodyLimit: number;
  handlerTimeoutMs: number;
  metrics: Pick<Metrics, "observe" | "error">;
  log: Pick<Logger, "info" | "warn" | "error">;
};

/** One request's answer: counted and logged under its route when it finishes; `fail` answers an error in the one error shape. */
type Exchange = { requestId: string; send(status: number, body: Uint8Array, extra?: Record<string, string>): void; fail(error: unknown, extra?: Record<string, string>): void; timedOut(): boolean; markTimedOut(): void };

/**
 * The fast path of POST /v1/verify. It takes only what it answers exactly as the route would: the
 * path itself, a JSON media type and a Content-Length within the limit (no chunked body); anything
 * else goes to express, whose route answers it (and every error of it) over the same endpoint.
 * Rate limit first (429, before the body is read), `503 TIMEOUT` after `handlerTimeoutMs`,
 * `Retry-After: 1` on `503 OVERLOADED`; the request's end stops its chain reads. Counted and
 * logged like any request.
 *
 * @example
 * const fast = createVerifyFastPath({ endpoint, limiter, bodyLimit: 16 << 20, handlerTimeoutMs: 60_000, metrics, log });
 * http.createServer((req, res) => fast(req, res) || app(req, res));
 */
export function createVerifyFastPath(options: VerifyFastPathOptions): FastPath {
  const serve = createVerifyServing(options);
  return (req, res) => {
    if (req.method !== "POST" || req.url !== VERIFY_ROUTE) return false;
    const type = req.headers["content-type"];
    const length = Number(req.headers["content-length"]);
    if (type === undefined || !JSON_TYPE.test(type) || req.headers["transfer-encoding"] !== undefined || !(length > 0 && length <= options.bodyLimit)) return false;
    serve.verify(req, res);
    return true;
  };
}

/**
 * POST /v1/verify in every form, answered as express's route answers it (the same statuses, error
 * codes, messages and headers): rate limit, media type (415), body limit (413, then the connection
 * closes), empty body, then the endpoint; and an error answer for requests that are not it.
 *
 * @example
 * const serve = createVerifyServing({ endpoint, limiter, bodyLimit, handlerTimeoutMs, metrics, log });
 * http.createServer((req, res) => serve.verify(req, res));
 */
export function createVerifyServing(options: VerifyFastPathOptions): {
  verify(req: IncomingMessage, res: ServerResponse): void;
  refuse(req: IncomingMessage, res: ServerResponse, route: string, error: ServiceError, extra?: Record<string, string>): void;
} {
  const { endpoint, limiter, bodyLimit, handlerTimeoutMs, metrics, log } = options;

  function exchange(req: IncomingMessage, res: ServerResponse, route: string): Exchange {
    const requestId = randomUUID();
    const started = process.hrtime.bigint();
    const common = { "X-Request-Id": requestId, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };
    let code: string | undefined;
    let timedOut = false;
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observe(req.method ?? "", route, res.statusCode, seconds);
      const fields = { method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000 * 10) / 10, requestId, ...(code ? { code } : {}) };
      if (res.statusCode >= 500) log.error(fields, "request failed");
      else log.info(fields, "request");
    });
    const send = (status: number, body: Uint8Array, extra: Record<string, string> = {}) =>
      res.writeHead(status, { ...common, ...extra, "Content-Type": "application/json; charset=utf-8", "Content-Length": body.byteLength }).end(body);
    const fail = (error: unknown, extra: Record<string, string> = {}) => {
      if (timedOut) {
        // The 503 TIMEOUT went out already: the late error has no one to go to but the log.
        log.warn({ requestId, err: error }, "handler ended after its timeout");
        return;
      }
      const { status, body } = errorBody(error, requestId);
      metrics.error(body.error.code);
      code = body.error.code;
      if (status >= 500 && !(error instanceof CredanchorError && status === 503)) log.error({ requestId, err: error }, "unexpected error");
      if (res.headersSent) return void (res.writableEnded || res.destroy());
      // As express's error handler: a refused large body is not read, so the connection cannot go on.
      send(status, Buffer.from(JSON.stringify(body)), code === "PAYLOAD_TOO_LARGE" ? { ...extra, Connection: "close" } : extra);
    };
    return { requestId, send, fail, timedOut: () => timedOut, markTimedOut: () => void (timedOut = true) };
  }

  function verify(req: IncomingMessage, res: ServerResponse): void {
    const { requestId, send, fail, timedOut, markTimedOut } = exchange(req, res, VERIFY_ROUTE);
    // Before the body is read: a refused request costs neither parsing nor chain reads.
    const taken = limiter.take(clientOf(req));
    if (!taken.ok) {
      // The body is left unread: drained by the server, the connection stays usable.
      req.resume();
      return fail(new ServiceError(`too many requests from this client: retry in ${taken.retryAfterSeconds} s`, { code: "RATE_LIMITED" }), { "Retry-After": String(taken.retryAfterSeconds) });
    }
    const type = req.headers["content-type"];
    if (!type || !JSON_TYPE.test(type)) {
      req.resume();
      return fail(new ServiceError(`the body must be JSON: send Content-Type: application/json${type ? ` (got ${type.slice(0, 80)})` : ""}`, { code: "UNSUPPORTED_MEDIA_TYPE" }));
    }
    if (Number(req.headers["content-length"] ?? "0") > bodyLimit) return fail(tooLarge(bodyLimit));
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= bodyLimit) return void chunks.push(chunk);
      req.off("data", onData).off("end", onEnd);
      req.resume(); // drain the rest so the 413 can be read by the client
      fail(tooLarge(bodyLimit));
    };
    const onEnd = () => {
      if (size === 0) return fail(new ServiceError("the body is empty: send a JSON object", { code: "REQUEST_INVALID" }));
      // The answer's end (sent, timed out, or the client gone) stops the chain reads.
      const ended = new AbortController();
      res.once("close", () => res.writableFinished || ended.abort());
      const timer = setTimeout(() => {
        if (res.headersSent) return;
        fail(new ServiceError(`the request took longer than ${handlerTimeoutMs} ms; a POST may still take effect: retry with the same Idempotency-Key`, { code: "TIMEOUT" }));
        markTimedOut();
        ended.abort();
      }, handlerTimeoutMs);
      res.once("close", () => clearTimeout(timer));
      endpoint.answer(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), ended.signal).then(
        (body) => {
          if (timedOut()) return void log.warn({ requestId }, "handler ended after its timeout");
          send(200, body);
        },
        (error: unknown) => fail(error, (error as CredanchorError)?.code === "OVERLOADED" ? { "Retry-After": "1" } : {}),
      );
    };
    req.on("data", onData).once("end", onEnd);
    req.once("error", (error) => fail(new ServiceError(`the request body could not be read: ${error.message}`, { code: "REQUEST_INVALID" })));
  }

  function refuse(req: IncomingMessage, res: ServerResponse, route: string, error: ServiceError, extra: Record<string, string> = {}): void {
    req.resume();
    exchange(req, res, route).fail(error, extra);
  }

  return { verify, refuse };
}

const tooLarge = (limit: number) =>
  new ServiceError(`the request body is larger than this endpoint accepts (${limit.toLocaleString("en")} bytes)`, { code: "PAYLOAD_TOO_LARGE" });
