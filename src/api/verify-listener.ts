// The verification listener's requests: each verification thread serves POST /v1/verify on a port
// of its own (VERIFY_PORT), so a verify request never waits for the main thread's issuing loop.
import type { IncomingMessage, ServerResponse } from "node:http";
import { ServiceError } from "../core/errors.ts";
import { createVerifyServing, VERIFY_ROUTE, type VerifyFastPathOptions } from "./verify-fast-path.ts";

/** The path as express's route matches it: any case, an optional trailing slash, the query ignored. */
const PATH = /^\/v1\/verify\/?$/i;

/**
 * The request listener of the verification port: POST /v1/verify in every form answered as the
 * main port answers it (the same bytes but for the request id and date); another method on it
 * 405 with `Allow: POST`; any other path 404 (this port serves verification only).
 *
 * @example
 * const server = await listenRequests(createVerifyListener({ endpoint, limiter, bodyLimit, handlerTimeoutMs, metrics, log }), { host, port, reusePort: true });
 */
export function createVerifyListener(options: VerifyFastPathOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const serving = createVerifyServing(options);
  return (req, res) => {
    const path = req.url!.split("?")[0]!;
    if (!PATH.test(path)) {
      return serving.refuse(req, res, "unmatched", new ServiceError(`no such endpoint on the verification port: ${req.method} ${path.slice(0, 200)} (it serves POST ${VERIFY_ROUTE} only)`, { code: "NOT_FOUND" }));
    }
    if (req.method !== "POST") {
      return serving.refuse(req, res, VERIFY_ROUTE, new ServiceError(`${req.method} is not supported on ${VERIFY_ROUTE}; use POST`, { code: "METHOD_NOT_ALLOWED" }), { Allow: "POST" });
    }
    serving.verify(req, res);
  };
}
