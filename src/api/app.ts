// The express application: auth, strict JSON bodies, validation, one error shape, request logs
// and metrics around the route table.
import express, { type Request, type Response, type Router } from "express";
import { randomUUID } from "node:crypto";
import pino, { type Logger } from "pino";
import { z } from "zod";
import { CredanchorError, ServiceError, type ErrorDetail } from "../core/errors.ts";
import type { StatusListProvider } from "../issuer/status-lists.ts";
import type { IssuerService, Principal } from "../issuer/types.ts";
import { HOLDER_KEY } from "../issuer/use-cases/share-links.ts";
import type { VerifyOptions } from "../verifier/verify-bundle.ts";
import { createVerifier, type Verifier } from "../verifier/verifier.ts";
import { apiKeyPrincipal, bearerToken, createBundleFastPath } from "./bundle-fast-path.ts";
import { inThreadEndpoint, type VerifyEndpoint, type VerifyRequestLimits } from "./verify-endpoint.ts";
import { createVerifyFastPath } from "./verify-fast-path.ts";
import { VerifyThreads, type VerifyListenerOptions } from "./verify-threads.ts";
import { createRateTable, createSharedRateLimiter } from "./verify-rate-limit.ts";
import type { ListenOptions } from "./listen.ts";
import { errorBody, sendError } from "./errors.ts";
import { bodyJsonLimits, parseJsonBody, zodDetails } from "./json-body.ts";
import { Metrics } from "./metrics.ts";
import { clientOf, createRateLimiter } from "./rate-limit.ts";
import { openApiDocument } from "./openapi.ts";
import { createStatusListFastPath, setFastPath, type FastPath } from "./status-list-fast-path.ts";
import { ROUTES, type RawBody, type Route, type RouteContext } from "./routes.ts";
import type { DidWebSource } from "./did-web.ts";
import type { VcApiContext } from "./vc-api.ts";

/** Limits of the HTTP layer; everything optional, the defaults suit one service on one machine. */
export const AppLimitsSchema = z.strictObject({
  /**
   * Body limit in bytes per route, keyed by method and path (`"POST /v1/credentials"`). Defaults:
   * the route table's (64 MiB for credentials, 16 MiB for verify, 4 MiB for revocations), else `defaultBodyBytes`.
   */
  bodyBytes: z.record(z.string().refine((key) => ROUTES.some((r) => r.body && routeKey(r) === key), { error: "not a route with a body: use e.g. \"POST /v1/credentials\"" }), z.number().int().min(2)).optional(),
  /** Body limit of routes the table gives none (default 1 MiB). */
  defaultBodyBytes: z.number().int().min(2).optional(),
  /** Longest a handler may run once the body is read; then `503 TIMEOUT` (default 60 s). */
  handlerTimeoutMs: z.number().int().positive().optional(),
  /**
   * Per client (IP address, IPv6 by /64) on the costly public routes (POST /v1/verify, GET /v1/share/{token}; one bucket for both):
   * `burst` requests at once, refilled at `perMinute`; beyond, `429 RATE_LIMITED` with Retry-After.
   * `perMinute: 0` turns it off. Default 60 and 60.
   */
  verifyRate: z.strictObject({ perMinute: z.number().int().min(0), burst: z.number().int().min(1) }).optional(),
  /** Most bundles in one POST /v1/verify (default and most: 1,000). */
  verifyMaxBundles: z.number().int().min(1).max(1000).optional(),
});
export type AppLimits = z.infer<typeof AppLimitsSchema>;

export type AppOptions = {
  service: IssuerService;
  /** Options of POST /v1/verify: trusted deployments and RPC per chain. */
  verify: VerifyOptions;
  logger: Logger;
  /** Extra routers mounted before the 404 fallback (the verifier page); their paths get 405s too. */
  routers?: Router[];
  metrics?: Metrics;
  limits?: AppLimits;
  /** Serves GET /status-lists/… (the issuers' lists built from the chain). */
  statusLists?: StatusListProvider;
  /** This service's public address (`https://issuer.example`), for links it prints (QR codes); default: the request's own. */
  publicUrl?: string;
  /** Keys and key binding of the VC-API routes (/credentials/…, /presentations/verify). */
  vc?: VcApiContext;
  /** Serves did:web documents (/.well-known/did.json, /issuers/{id}/did.json) built from the chain. */
  didWeb?: DidWebSource;
  /**
   * Runs POST /v1/verify on this thread (hashing on a worker pool, coalesced chain reads, bounded
   * queue); default: one over `verify` that keeps anchoring transactions 3 blocks deep. Ignored
   * when `verifyThreads` is given and `verify.rpc` is a table of URLs.
   */
  verifier?: Verifier;
  /**
   * Runs POST /v1/verify whole on threads of its own (parse, hashing, chain reads, answer), over
   * `verify`'s trusted deployments and RPC URLs: what a service does, so issuing on the main
   * thread does not starve verification (src/api/verify-threads.ts).
   */
  verifyThreads?: {
    confirmations: number;
    maxQueued?: number;
    threads?: number;
    /**
     * The threads also serve POST /v1/verify on a port of their own (VERIFY_PORT), with this
     * route's limits and one rate-limit bucket per client across both ports: read the port with
     * {@link verifyListenerOf}.
     */
    listen?: ListenOptions;
  };
};

const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DEFAULT_HANDLER_TIMEOUT_MS = 60_000;
const DEFAULT_VERIFY_RATE = { perMinute: 60, burst: 60 };
const DEFAULT_VERIFY_MAX_BUNDLES = 1000;

/** Never written to a log, whatever a caller passes to it (the app itself logs no headers or bodies). */
const REDACT = ["authorization", "token", "apiKey", "privateKey", "credential", "credentials", "*.authorization", "*.token", "*.apiKey", "*.privateKey", "req.headers.authorization", "headers.authorization"];

/** API tokens and bearer values in free text (an error message, a stack) keep only their public key id. */
export function scrubSecrets(text: string): string {
  return text.replace(/\b(cak_[a-z0-9]{16}_|csl_[0-9a-f]{16}_|chk_)[A-Za-z0-9_-]+/g, "$1[redacted]").replace(/\b(Bearer\s+)(?!\[redacted\])\S+/gi, "$1[redacted]");
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubSecrets(value);
  if (depth > 8 || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, depth + 1)]));
}

/** The standard error serializer, minus any token an error's text happens to carry. */
const serializeError = (error: unknown) => scrubDeep(error instanceof Error ? pino.stdSerializers.err(error) : error);

/** `"POST /v1/credentials"`: how limits and logs name a route. */
export const routeKey = (route: Pick<Route, "method" | "path">) => `${route.method.toUpperCase()} ${route.path}`;

/** Reads the raw body up to `limit` bytes; a bigger body is refused without reading it all. */
function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.get("content-length") ?? "0");
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.resume(); // drain the rest so the 413 can be read by the client
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", (error) => reject(new ServiceError(`the request body could not be read: ${error.message}`, { code: "REQUEST_INVALID" })));
  });
}

const tooLarge = (limit: number) =>
  new ServiceError(`the request body is larger than this endpoint accepts (${limit.toLocaleString("en")} bytes)`, { code: "PAYLOAD_TOO_LARGE" });

async function authenticate(ctx: RouteContext, route: Route, req: Request, res: Response): Promise<Principal | undefined> {
  if (route.auth === "none") return undefined;
  const token = bearerToken(req.get("authorization"));
  // A holder key is checked by the use case against the credential the path names.
  if (route.auth === "holder" && token !== undefined && HOLDER_KEY.test(token)) {
    res.locals.holderKey = token;
    return undefined;
  }
  const principal = await apiKeyPrincipal(ctx.service, token);
  res.locals.principal = principal;
  if (route.auth === "admin" && principal.kind !== "admin") throw new ServiceError("this endpoint needs the operator's key", { code: "FORBIDDEN" });
  if (route.auth === "issuer" && principal.kind !== "issuer") throw new ServiceError("this endpoint needs an issuer's API key (the operator key cannot issue or revoke)", { code: "FORBIDDEN" });
  return principal;
}

async function parseInput(route: Route, req: Request, limit: number): Promise<{ body: unknown; params: Record<string, unknown>; raw?: RawBody }> {
  const params: Record<string, unknown> = {};
  const details: ErrorDetail[] = [];
  for (const [name, schema] of Object.entries(route.params ?? {})) {
    const parsed = schema.safeParse(req.params[name]);
    if (parsed.success) params[name] = parsed.data;
    else details.push(...zodDetails(parsed.error).map((d) => ({ path: name, message: d.message })));
  }
  for (const [name, header] of Object.entries(route.headers ?? {})) {
    const value = req.get(name);
    if (value === undefined) continue;
    const parsed = header.schema.safeParse(value);
    if (!parsed.success) details.push({ path: name, message: parsed.error.issues[0]?.message ?? "invalid" });
  }
  if (details.length) throw new ServiceError("the request is malformed", { code: "REQUEST_INVALID", details });
  if (!route.body) return { body: undefined, params };

  const type = req.get("content-type");
  if (route.bodyOptional && !type && !req.get("transfer-encoding") && Number(req.get("content-length") ?? "0") === 0) {
    const parsed = route.body.safeParse({});
    if (!parsed.success) throw new ServiceError("the request body is malformed", { code: "REQUEST_INVALID", details: zodDetails(parsed.error) });
    return { body: parsed.data, params };
  }
  if (!type || !/^application\/(?:[\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new ServiceError(`the body must be JSON: send Content-Type: application/json${type ? ` (got ${type.slice(0, 80)})` : ""}`, { code: "UNSUPPORTED_MEDIA_TYPE" });
  }
  const bytes = await readBody(req, limit);
  if (bytes.length === 0) throw new ServiceError("the body is empty: send a JSON object", { code: "REQUEST_INVALID" });
  const limits = bodyJsonLimits(limit);
  const schema = route.body;
  const parse = () => parseJsonBody(bytes, schema, limits);
  if (route.rawBody) return { body: undefined, params, raw: { bytes, limits, parse } };
  return { body: parse(), params };
}

/**
 * Builds the HTTP API over `service`.
 *
 * @example
 * const app = createApp({ service, verify: { trust, rpc: { 31337: rpcUrl } }, logger: pino() });
 * app.listen(8080, "127.0.0.1");
 */
export function createApp(options: AppOptions): express.Express {
  const limits = parseLimits(options.limits);
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  const metrics = options.metrics ?? new Metrics();
  const log = options.logger.child({ module: "http" }, { redact: { paths: REDACT, censor: "[redacted]" }, serializers: { err: serializeError } });
  const bodyLimitOf = (route: Route) => limits.bodyBytes[routeKey(route)] ?? route.bodyLimit ?? limits.defaultBodyBytes;
  const verifyBodyLimit = bodyLimitOf(ROUTES.find((r) => r.method === "post" && r.path === "/v1/verify")!);
  // One bucket per client for every listener of POST /v1/verify: in shared memory when threads serve a port too.
  const rateTable = options.verifyThreads?.listen && typeof options.verify.rpc !== "function" ? createRateTable() : undefined;
  const listener = rateTable && { listen: options.verifyThreads!.listen!, bodyLimit: verifyBodyLimit, handlerTimeoutMs: limits.handlerTimeoutMs, rate: limits.verifyRate, rateTable, metrics, log };
  const ctx: RouteContext = {
    service: options.service,
    verify: options.verify,
    verifyEndpoint: verifyEndpointOf(options, { maxBundles: limits.verifyMaxBundles, json: bodyJsonLimits(verifyBodyLimit) }, listener),
    metrics,
    startedAt: Date.now(),
    ...(options.publicUrl ? { publicUrl: options.publicUrl.replace(/\/+$/, "") } : {}),
    ...(options.statusLists ? { statusLists: options.statusLists } : {}),
    ...(options.vc ? { vc: options.vc } : {}),
    ...(options.didWeb ? { didWeb: options.didWeb } : {}),
  };
  const limiter = rateTable ? createSharedRateLimiter(limits.verifyRate, rateTable) : createRateLimiter(limits.verifyRate);
  if (ctx.verifyEndpoint instanceof VerifyThreads && listener) verifyListeners.set(app, ctx.verifyEndpoint);
  // Answered before express when served through listenApi (the routes answer the rest): bundle
  // GETs, cached status lists, and verification requests (handed to their threads as bytes).
  const fast: FastPath[] = [
    createBundleFastPath({ service: options.service, metrics, log, handlerTimeoutMs: limits.handlerTimeoutMs }),
    createVerifyFastPath({ endpoint: ctx.verifyEndpoint, limiter, bodyLimit: verifyBodyLimit, handlerTimeoutMs: limits.handlerTimeoutMs, metrics, log }),
  ];
  if (options.statusLists) fast.unshift(createStatusListFastPath(options.statusLists, metrics));
  setFastPath(app, (req, res) => fast.some((f) => f(req, res)));

  app.use((req, res, next) => {
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Content-Type-Options", "nosniff");
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (res.locals.route as string | undefined) ?? "unmatched";
      metrics.observe(req.method, route, res.statusCode, seconds);
      const principal = res.locals.principal as Principal | undefined;
      const fields = {
        method: req.method,
        route,
        status: res.statusCode,
        ms: Math.round(seconds * 1000 * 10) / 10,
        requestId,
        ...(principal ? { principal: principal.kind, keyId: principal.keyId, ...(principal.kind === "issuer" ? { issuerId: principal.issuerId } : {}) } : {}),
        ...(res.locals.errorCode ? { code: res.locals.errorCode as string } : {}),
      };
      if (res.statusCode >= 500) log.error(fields, "request failed");
      else log.info(fields, "request");
    });
    next();
  });

  const fail = (res: Response, error: unknown) => {
    if (res.locals.timedOut) {
      // The 503 TIMEOUT went out already; the handler's late answer (which cannot be sent: headers
      // sent) or its error has no one to go to but the log.
      const answered = (error as { code?: unknown })?.code === "ERR_HTTP_HEADERS_SENT";
      log.warn({ requestId: res.locals.requestId, ...(answered ? {} : { err: error }) }, "handler ended after its timeout");
      return;
    }
    const { status, body } = errorBody(error, res.locals.requestId as string);
    metrics.error(body.error.code);
    res.locals.errorCode = body.error.code;
    if (status >= 500 && !(error instanceof CredanchorError && status === 503)) {
      log.error({ requestId: res.locals.requestId, err: error }, "unexpected error");
    }
    if (res.headersSent) {
      // Part of an answer went out: cut the connection rather than let a truncated body look whole.
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (body.error.code === "PAYLOAD_TOO_LARGE") res.setHeader("Connection", "close");
    sendError(res, error);
  };

  /** Answers 503 TIMEOUT if the handler has not answered within the limit. */
  const deadline = (res: Response) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      fail(res, new ServiceError(`the request took longer than ${limits.handlerTimeoutMs} ms; a POST may still take effect: retry with the same Idempotency-Key`, { code: "TIMEOUT" }));
      res.locals.timedOut = true;
    }, limits.handlerTimeoutMs);
    res.once("close", () => clearTimeout(timer));
  };

  const openapi = openApiDocument(ROUTES);
  app.get("/openapi.json", (_req, res) => {
    res.locals.route = "/openapi.json";
    res.json(openapi);
  });

  // `/credentials/issue` is its own resource, not `/credentials/:id` with id "issue": a GET there
  // goes on to the 405 answer below.
  const literalPaths = new Set(ROUTES.filter((r) => !r.path.includes(":")).map((r) => r.path));
  for (const route of ROUTES) {
    const bodyLimit = bodyLimitOf(route);
    app[route.method](route.path, async (req: Request, res: Response, next: express.NextFunction) => {
      if (route.params && literalPaths.has(req.path)) return next();
      res.locals.route = route.path;
      try {
        const principal = await authenticate(ctx, route, req, res);
        if (route.rateLimited) {
          // Before the body is read: a refused request costs neither parsing nor chain reads.
          const taken = limiter.take(clientOf(req));
          if (!taken.ok) {
            res.setHeader("Retry-After", String(taken.retryAfterSeconds));
            throw new ServiceError(`too many requests from this client: retry in ${taken.retryAfterSeconds} s`, { code: "RATE_LIMITED" });
          }
        }
        const input = await parseInput(route, req, bodyLimit);
        if (route.timeout !== false) deadline(res);
        const holderKey = res.locals.holderKey as string | undefined;
        await route.handler(ctx, req, res, { ...input, ...(principal ? { principal } : {}), ...(holderKey ? { holderKey } : {}) });
      } catch (error) {
        fail(res, error);
      }
    });
  }

  for (const router of options.routers ?? []) app.use(router);

  // A known path with another method: 405 with Allow (the mounted routers' paths included).
  const methods = new Map<string, Set<string>>();
  const allow = (path: string, method: string) => methods.set(path, (methods.get(path) ?? new Set()).add(method.toUpperCase()));
  for (const route of ROUTES) allow(route.path, route.method);
  allow("/openapi.json", "get");
  for (const router of options.routers ?? []) for (const { path, method } of routerRoutes(router)) allow(path, method);
  // Literal paths first: PUT /credentials/verify is answered for that resource, not /credentials/:id.
  for (const [path, allowed] of [...methods].sort(([a], [b]) => Number(a.includes(":")) - Number(b.includes(":")))) {
    const list = [...allowed];
    if (allowed.has("GET") && !allowed.has("HEAD")) list.push("HEAD");
    // route().all() marks the route `_all` (app.all would register every method one by one), so
    // routerRoutes() can tell these catch-alls from the real routes.
    app.route(path).all((req, res) => {
      res.locals.route = path;
      res.setHeader("Allow", list.join(", "));
      fail(res, new ServiceError(`${req.method} is not supported on ${path}; use ${[...allowed].join(" or ")}`, { code: "METHOD_NOT_ALLOWED" }));
    });
  }

  app.use((req, res) => {
    res.locals.route = "unmatched";
    fail(res, new ServiceError(`no such endpoint: ${req.method} ${req.path.slice(0, 200)} (see /openapi.json)`, { code: "NOT_FOUND" }));
  });
  // Errors thrown by express itself or a mounted router (malformed URL encoding, …).
  app.use((error: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) fail(res, new ServiceError((error as Error).message || "bad request", { code: status === 413 ? "PAYLOAD_TOO_LARGE" : "REQUEST_INVALID" }));
    else fail(res, error);
  });
  return app;
}

const verifyListeners = new WeakMap<express.Express, VerifyThreads>();

/**
 * The verification port of `app` (its `verifyThreads.listen` option): its port once its threads
 * listen, and how to stop them; undefined for an app without one.
 *
 * @example
 * const port = await verifyListenerOf(app)?.listening(); // then, to stop: await verifyListenerOf(app)?.close()
 */
export function verifyListenerOf(app: express.Express): Pick<VerifyThreads, "listening" | "close"> | undefined {
  return verifyListeners.get(app);
}

/** Where POST /v1/verify runs: its own threads when asked for and the RPC is a table of URLs, else a verifier on this thread. */
function verifyEndpointOf(options: AppOptions, limits: VerifyRequestLimits, listener: VerifyListenerOptions | undefined): VerifyEndpoint {
  const { verify, verifyThreads } = options;
  if (verifyThreads && typeof verify.rpc !== "function") {
    const { listen: _listen, ...threads } = verifyThreads;
    return new VerifyThreads({ deployments: verify.trust.deployments, rpc: verify.rpc, ...threads, limits, ...(listener ? { listener } : {}) }).start();
  }
  return inThreadEndpoint(options.verifier ?? createVerifier({ ...verify, confirmations: 3 }), limits);
}

function parseLimits(given: AppLimits | undefined): { bodyBytes: Record<string, number>; defaultBodyBytes: number; handlerTimeoutMs: number; verifyRate: { perMinute: number; burst: number }; verifyMaxBundles: number } {
  const parsed = AppLimitsSchema.safeParse(given ?? {});
  if (!parsed.success) throw new ServiceError("the API limits are invalid", { code: "CONFIG_INVALID", details: zodDetails(parsed.error, "limits.") });
  return {
    bodyBytes: parsed.data.bodyBytes ?? {},
    defaultBodyBytes: parsed.data.defaultBodyBytes ?? DEFAULT_BODY_LIMIT,
    handlerTimeoutMs: parsed.data.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
    verifyRate: parsed.data.verifyRate ?? DEFAULT_VERIFY_RATE,
    verifyMaxBundles: parsed.data.verifyMaxBundles ?? DEFAULT_VERIFY_MAX_BUNDLES,
  };
}

/** The method + path routes of an express router (for 405 answers on its paths). */
export function routerRoutes(router: Router): { path: string; method: string }[] {
  const out: { path: string; method: string }[] = [];
  for (const layer of (router as unknown as { stack: { route?: { path: string | string[]; methods: Record<string, boolean> } }[] }).stack) {
    if (!layer.route) continue;
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    for (const path of paths) for (const method of Object.keys(layer.route.methods)) if (method !== "_all" && typeof path === "string") out.push({ path, method });
  }
  return out;
}
