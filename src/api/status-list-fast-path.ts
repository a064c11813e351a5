// The fast path for cached status list GETs: answered from prepared bytes and headers before express, so a
// busy list costs a Map lookup and a write (the route itself answers everything else, errors included).
import type { Express } from "express";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StatusListProvider } from "../issuer/status-lists.ts";
import type { Metrics } from "./metrics.ts";
import { MAX_IF_NONE_MATCH } from "./schemas.ts";

const ROUTE = "/status-lists/:issuerId/:purpose/:list";
/** Canonical forms only (the route's own param rules); anything else goes to the route, which explains the 400. */
const PATH = /^\/status-lists\/([1-9][0-9]{0,15})\/(revocation|suspension)\/(0|[1-9][0-9]{0,4})$/;

/** Answers the request if it can; false hands it on to the app. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const fastPaths = new WeakMap<Express, FastPath>();

/**
 * Whether `held` (an If-None-Match value) names `etag`: `*`, or one of its comma-separated tags,
 * weak or strong (RFC 9110 §13.1.2 compares weakly). The exact header first: what a cache sends back.
 *
 * @example
 * etagMatches('W/"31337-1-revocation-0-42"', '"31337-1-revocation-0-42"'); // true
 */
export function etagMatches(held: string, etag: string): boolean {
  if (held === etag) return true;
  if (held.trim() === "*") return true;
  return held.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/**
 * The fast path over `provider`: a GET or HEAD of a list it holds fresh (`peek`) is answered with
 * its prepared headers, If-None-Match compared first (304 without the body). A list not cached or
 * stale, a malformed path, a query string or an If-None-Match over {@link MAX_IF_NONE_MATCH}
 * characters go to the route. Counted in the metrics like any request; not logged one by one
 * (a public cached read, as a CDN would answer it).
 *
 * @example
 * const fast = createStatusListFastPath(publisher, metrics);
 * http.createServer((req, res) => fast(req, res) || app(req, res));
 */
export function createStatusListFastPath(provider: StatusListProvider, metrics: Metrics): FastPath {
  const peek = provider.peek?.bind(provider);
  if (!peek) return () => false;
  return (req, res) => {
    const method = req.method;
    if ((method !== "GET" && method !== "HEAD") || !req.url!.startsWith("/status-lists/")) return false;
    const match = PATH.exec(req.url!);
    if (!match) return false;
    const held = req.headers["if-none-match"];
    if (held !== undefined && held.length > MAX_IF_NONE_MATCH) return false;
    const served = peek(`${match[1]}/${match[2]}/${match[3]}`);
    if (!served) return false;
    const started = process.hrtime.bigint();
    res.setHeader("X-Request-Id", randomUUID());
    const status = held !== undefined && etagMatches(held, served.etag) ? 304 : 200;
    if (status === 304) res.writeHead(304, served.headers.notModified).end();
    else res.writeHead(200, served.headers.ok).end(method === "HEAD" ? undefined : served.bytes);
    metrics.observe(method, ROUTE, status, Number(process.hrtime.bigint() - started) / 1e9);
    return true;
  };
}

/**
 * Registers `app`'s fast path (done by `createApp`), so that `listenApi` puts it in front.
 *
 * @example
 * setFastPath(app, createStatusListFastPath(statusLists, metrics));
 */
export function setFastPath(app: Express, fast: FastPath): void {
  fastPaths.set(app, fast);
}

/**
 * The request listener for `app`: its fast path first, when it has one, then express.
 *
 * @example
 * http.createServer(requestListenerOf(app));
 */
export function requestListenerOf(app: Express): (req: IncomingMessage, res: ServerResponse) => void {
  const fast = fastPaths.get(app);
  if (!fast) return app;
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!fast(req, res)) app(req, res);
  };
}
