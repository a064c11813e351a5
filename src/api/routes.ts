// The route table: every endpoint once, with its auth, schemas and handler. The express app and
// the OpenAPI document are both built from it.
import type { Request, Response } from "express";
import type { z } from "zod";
import { encodeBundle, type Bundle } from "../core/bundle.ts";
import { discloseBundle } from "../core/bundle-disclosure.ts";
import { ServiceError } from "../core/errors.ts";
import type { StatusListProvider } from "../issuer/status-lists.ts";
import type { IssuerService, Principal } from "../issuer/types.ts";
import { exportBundleAsVc } from "../vc/export-bundle.ts";
import type { ShareActor } from "../issuer/use-cases/share-links.ts";
import type { JsonLimits } from "../core/json.ts";
import type { StatusPurpose } from "../vc/status-entries.ts";
import { verifyBundles, type VerifyOptions } from "../verifier/verify-bundle.ts";
import type { VerifyEndpoint } from "./verify-endpoint.ts";
import type { Metrics } from "./metrics.ts";
import { CONTEXT_ROUTE } from "./context-route.ts";
import { DID_WEB_ROUTES, type DidWebSource } from "./did-web.ts";
import { VC_API_ROUTES, type VcApiContext } from "./vc-api.ts";
import { VC_STATUS_ROUTE } from "./vc-status.ts";
import { etagMatches } from "./status-list-fast-path.ts";
import * as S from "./schemas.ts";

/**
 * Who may call: none (public), any valid key, an issuer key, the operator key, or `holder`: any
 * valid key or the holder key of the credential the path names (`Authorization: Bearer chk_…`).
 */
export type Auth = "none" | "any" | "issuer" | "admin" | "holder";

export type RouteContext = {
  service: IssuerService;
  verify: VerifyOptions;
  /** Answers POST /v1/verify bodies (its threads, or a verifier on this thread): coalesced chain reads, a bounded queue, the bundle cap. */
  verifyEndpoint: VerifyEndpoint;
  metrics: Metrics;
  startedAt: number;
  /** Serves the issuers' Bitstring Status List credentials; without it their URLs answer 404. */
  statusLists?: StatusListProvider;
  /** This service's public address without a trailing slash; absent: the request's own. */
  publicUrl?: string;
  /** The VC-API's keys and key binding; absent: its routes answer 409 ASSERTION_KEY_MISSING. */
  vc?: VcApiContext;
  /** Serves did:web documents from the chain; absent: their URLs answer 404. */
  didWeb?: DidWebSource;
};

export type Route = {
  method: "get" | "post" | "delete";
  /** Express pattern (`/v1/credentials/:id`). */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  auth: Auth;
  /** Default body limit in bytes (requests with a body); `createApp`'s `limits` can change it. */
  bodyLimit?: number;
  /** `false`: bounded on its own, no handler deadline (so it never answers `503 TIMEOUT`). */
  timeout?: false;
  /** Public and costly: limited per client (`createApp`'s `limits.verifyRate`), `429 RATE_LIMITED` beyond. */
  rateLimited?: true;
  body?: z.ZodType;
  /** The body may be left out entirely (no Content-Type, no bytes): it is then parsed as `{}`. */
  bodyOptional?: true;
  /** The handler gets the body's bytes (`input.raw`, its media type checked) and parses them itself, or off the main thread. */
  rawBody?: true;
  params?: Record<string, z.ZodType>;
  headers?: Record<string, { schema: z.ZodType; description: string }>;
  /** Status → description and schema (JSON) or content type for non-JSON bodies. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler: (ctx: RouteContext, req: Request, res: Response, input: { body: unknown; params: Record<string, unknown>; principal?: Principal; holderKey?: string; raw?: RawBody }) => unknown;
};

/** A body handed over unparsed (`Route.rawBody`): its bytes, the JSON limits it obeys, and the usual decoding, parse and schema check. */
export type RawBody = { bytes: Uint8Array; limits: JsonLimits; parse: () => unknown };

const MiB = 1024 * 1024;
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: ERROR_DESCRIPTIONS[s] ?? "error", schema: S.ErrorResponse }]));
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request (REQUEST_INVALID, JSON_SYNTAX, JSON_DUPLICATE_KEY, JSON_UNSUPPORTED_VALUE)",
  401: "No valid API key (UNAUTHORIZED)",
  403: "Not this kind of key's action (FORBIDDEN)",
  404: "No such resource, or not this key's (NOT_FOUND: another issuer's ids are answered as missing)",
  409: "Conflict (IDEMPOTENCY_CONFLICT, CONFLICT, STATUS_LIST_FULL)",
  410: "Erased (GONE)",
  413: "Body too large (PAYLOAD_TOO_LARGE, JSON_LIMIT_EXCEEDED)",
  415: "Body is not JSON (UNSUPPORTED_MEDIA_TYPE)",
  422: "Invalid credential or bundle, with every problem's path (CREDENTIAL_INVALID, ISSUER_MISMATCH, …)",
  429: "Too many requests from this client; retry after the Retry-After header's seconds (RATE_LIMITED)",
  503: "Cannot store or reach the chain right now, took too long, or too busy: retry after Retry-After (STORAGE_UNAVAILABLE, CHAIN_UNAVAILABLE, TIMEOUT, OVERLOADED, WORKER_FAILED)",
};
const idempotency = {
  "Idempotency-Key": { schema: S.IdempotencyKeyHeader, description: "Makes retries safe: same key and body → the same answer; same key, other body → 409." },
};

/** Who acts on a credential's share links: the holder key given, else the API key's principal. */
const actorOf = (input: { principal?: Principal; holderKey?: string }): ShareActor => (input.holderKey ? { holderKey: input.holderKey } : { principal: input.principal! });

/** This service's public address (for links it hands out). */
const baseUrl = (ctx: RouteContext, req: Request) => ctx.publicUrl ?? `${req.protocol}://${req.get("host")}`;

function issuerOf(principal: Principal | undefined): number {
  if (principal?.kind !== "issuer") throw new ServiceError("this action needs an issuer's API key (the operator key cannot issue or revoke)", { code: "FORBIDDEN" });
  return principal.issuerId;
}

/** The bundle of an anchored credential this key may read: 410 once erased, 409 before anchoring. */
async function anchoredBundle(ctx: RouteContext, principal: Principal | undefined, id: string): Promise<Bundle> {
  const view = await ctx.service.getCredential(principal!, id);
  if (view.erasedAt) throw new ServiceError(`credential ${view.id} was erased at ${view.erasedAt}`, { code: "GONE" });
  if (!view.bundle) throw new ServiceError(`credential ${view.id} is ${view.state}: its bundle exists once it is anchored`, { code: "CONFLICT" });
  return view.bundle;
}

export const ROUTES: readonly Route[] = [
  {
    method: "post",
    path: "/v1/credentials",
    tag: "credentials",
    summary: "Submit credentials for anchoring",
    description:
      "Validates every credential (all problems reported with their paths; nothing is stored if one is invalid), assigns each a random status index, salts and hashes it, and stores it durably before answering 202. Batching and anchoring follow asynchronously. A credential's issuer (`issuer` or `issuer.id`) must be the issuer's identity recorded on-chain (else 422 ISSUER_MISMATCH); a credential without one gets it filled in.",
    auth: "issuer",
    bodyLimit: 64 * MiB,
    body: S.SubmitBody,
    // A large body is parsed and checked on a worker thread; anything it cannot take is parsed here as usual.
    rawBody: true,
    headers: idempotency,
    responses: { 202: { description: "Stored; ids and status indices", schema: S.SubmitResponse }, ...errors(400, 401, 403, 409, 413, 415, 422, 503) },
    handler: async (ctx, req, res, { raw, principal }) => {
      const issuerId = issuerOf(principal);
      const key = req.get("idempotency-key");
      const idempotencyKey = key !== undefined ? { idempotencyKey: key } : {};
      const result =
        (await ctx.service.submitCredentialText(issuerId, { body: raw!.bytes, jsonLimits: raw!.limits, ...idempotencyKey })) ??
        (await ctx.service.submitCredentials(issuerId, { credentials: (raw!.parse() as z.infer<typeof S.SubmitBody>).credentials, ...idempotencyKey }));
      if (result.replayed) res.setHeader("Idempotent-Replayed", "true");
      res.status(202).json({ credentials: result.credentials });
    },
  },
  {
    method: "get",
    path: "/v1/credentials/:id",
    tag: "credentials",
    summary: "A credential's state and, once anchored, its proof bundle",
    auth: "any",
    params: { id: S.CredentialIdParam },
    responses: { 200: { description: "The credential", schema: S.CredentialResponse }, ...errors(400, 401, 403, 404, 503) },
    handler: async (ctx, _req, res, { params, principal }) => res.json(await ctx.service.getCredential(principal!, params.id as string)),
  },
  {
    method: "get",
    path: "/v1/credentials/:id/bundle",
    tag: "credentials",
    summary: "The proof bundle alone (what the holder keeps)",
    auth: "any",
    params: { id: S.CredentialIdParam },
    responses: {
      200: { description: "The bundle (canonical JSON), with an ETag; `Cache-Control: private, no-cache`", schema: S.Bundle },
      304: { description: "Unchanged since the ETag in If-None-Match (checked after erasure: an erased credential answers 410)" },
      ...errors(400, 401, 403, 404, 409, 410, 503),
    },
    handler: async (ctx, req, res, { params, principal }) => {
      const { text, etag } = await ctx.service.getBundleText(principal!, params.id as string);
      // The bytes stay the same until erasure: a holder's copy is revalidated (304), never kept by shared caches.
      res.setHeader("ETag", etag);
      res.setHeader("Cache-Control", "private, no-cache");
      const held = req.get("if-none-match");
      if (held !== undefined && etagMatches(held, etag)) return res.status(304).end();
      res.type("application/json").send(text);
    },
  },
  {
    method: "get",
    path: "/v1/credentials/:id/vc",
    tag: "credentials",
    summary: "The proof bundle exported in the W3C VC form: the credential with the anchor proof",
    description:
      "The anchored credential exactly as the bundle holds it, with one `proof`: the `credanchor-merkle-2026` anchor proof (a `DataIntegrityProof` carrying the rest of the bundle; docs/formats.md). Lossless: credanchor's verifiers (library, CLI, page, POST /credentials/verify) verify it against the chain as they verify the bundle. Nothing is added to the credential, since every member is anchored: a credential submitted without `credentialStatus` has none (its on-chain status index travels in the anchor proof), and it has no issuer signature (an anchor-only credential has none; one issued through POST /credentials/issue has its signed form at GET /credentials/{id}). 422 CREDENTIAL_INVALID for a credential that is not a W3C VC (anchored arbitrary JSON).",
    auth: "any",
    params: { id: S.CredentialIdParam },
    responses: { 200: { description: "The VC (JSON)", contentType: "application/vc+ld+json" }, ...errors(400, 401, 403, 404, 409, 410, 422, 503) },
    handler: async (ctx, _req, res, { params, principal }) => res.type("application/vc+ld+json").send(JSON.stringify(exportBundleAsVc(await anchoredBundle(ctx, principal, params.id as string)))),
  },
  {
    method: "post",
    path: "/v1/credentials/:id/disclose",
    tag: "credentials",
    summary: "A derived proof bundle that hides chosen fields (selective disclosure)",
    description:
      "The credential's bundle with the fields at `hide` removed (their salted hashes stay, so it verifies against the same anchor). Nothing is stored. A pointer that names no disclosed field, a malformed one or the root is refused as 422 DISCLOSURE_INVALID, with every such pointer in `details`.",
    auth: "any",
    params: { id: S.CredentialIdParam },
    body: S.DiscloseBody,
    responses: { 200: { description: "The derived bundle (canonical JSON)", schema: S.Bundle }, ...errors(400, 401, 403, 404, 409, 410, 413, 415, 422, 503) },
    handler: async (ctx, _req, res, { body, params, principal }) => {
      const bundle = await anchoredBundle(ctx, principal, params.id as string);
      res.type("application/json").send(encodeBundle(discloseBundle(bundle, (body as z.infer<typeof S.DiscloseBody>).hide)));
    },
  },
  {
    method: "get",
    path: "/v1/credentials/:id/pdf",
    tag: "credentials",
    summary: "A printable one-page certificate (PDF) with a QR code that verifies it",
    description:
      "Achievement, holder, issuer (its name and identity as the chain records them, with a warning when the credential names another), dates, and a QR code. The QR code opens the verifier page with the compact proof bundle in the URL fragment (`/verify#b=…`), so a phone verifies the paper against the chain without the issuer; a credential too large for a QR code (over 2,200 characters of URL) gets a share link instead (`/verify#share=…`): a link of the whole credential, listed with `createdBy: \"pdf\"`, the same for every PDF of the credential until it is revoked (then the next PDF makes a new one).",
    auth: "issuer",
    params: { id: S.CredentialIdParam },
    responses: { 200: { description: "The certificate", contentType: "application/pdf" }, ...errors(400, 401, 403, 404, 409, 410, 503) },
    handler: async (ctx, req, res, { params, principal }) => {
      issuerOf(principal);
      const bundle = await anchoredBundle(ctx, principal, params.id as string);
      const ended = new AbortController();
      res.once("close", () => ended.abort());
      const [report] = await verifyBundles([bundle], { ...ctx.verify, signal: ended.signal });
      const base = baseUrl(ctx, req);
      // Too large for the code: the credential's printed share link (listed as made by "pdf", the same for every PDF until revoked).
      const shareUrl = async () => `${base}/verify#share=${(await ctx.service.printedShareLink({ principal: principal! }, params.id as string)).token}`;
      // Loaded on the first certificate asked for: pdf-lib and the QR encoder cost every start about half a second of CPU otherwise.
      const { certificatePdf } = await import("../issuer/certificate-pdf.ts");
      const { pdf } = await certificatePdf({ bundle, credentialId: params.id as string, verifierUrl: `${base}/verify`, shareUrl, ...(report?.issuer ? { issuer: report.issuer } : {}) });
      res.type("application/pdf").setHeader("Content-Disposition", `inline; filename="certificate-${params.id as string}.pdf"`);
      res.send(Buffer.from(pdf));
    },
  },
  {
    method: "delete",
    path: "/v1/credentials/:id",
    tag: "credentials",
    summary: "Erase a credential's content and salts (GDPR); a tombstone stays in the audit log",
    auth: "any",
    params: { id: S.CredentialIdParam },
    responses: { 200: { description: "Erased", schema: S.TombstoneResponse }, ...errors(400, 401, 403, 404, 410, 503) },
    handler: async (ctx, _req, res, { params, principal }) => res.json(await ctx.service.eraseCredential(principal!, params.id as string)),
  },
  {
    method: "post",
    path: "/v1/credentials/:id/holder-key",
    tag: "share links",
    summary: "A new holder key for the credential (shown once): the holder's key to its share links",
    description:
      "Hand it to the holder with the bundle: with it (`Authorization: Bearer chk_…`) the holder creates, lists and revokes the credential's share links, with no account. A new key replaces (revokes) the earlier one. Only its SHA-256 is stored; erasing the credential deletes it.",
    auth: "any",
    params: { id: S.CredentialIdParam },
    responses: { 201: { description: "Created", schema: S.HolderKeyResponse }, ...errors(400, 401, 403, 404, 410, 503) },
    handler: async (ctx, _req, res, { params, principal }) => res.status(201).json(await ctx.service.createHolderKey(principal!, params.id as string)),
  },
  {
    method: "post",
    path: "/v1/credentials/:id/share-links",
    tag: "share links",
    summary: "Create a share link serving the credential's bundle minus the fields at `hide` (issuer or holder)",
    description:
      "The link serves only the derived bundle (the fields at `hide` removed, their salted hashes kept, so it verifies against the same anchor); only that derived bundle is stored for it, and only a SHA-256 of its token. `url` opens the verifier page with it loaded. Expires at `expiresAt` if given (then 410 SHARE_LINK_EXPIRED). Callers: an API key that may see the credential, or its holder key.",
    auth: "holder",
    params: { id: S.CredentialIdParam },
    body: S.CreateShareLinkBody,
    bodyOptional: true,
    responses: { 201: { description: "Created; the token is shown only here", schema: S.ShareLinkCreated }, ...errors(400, 401, 403, 404, 409, 410, 413, 415, 422, 503) },
    handler: async (ctx, req, res, input) => {
      const created = await ctx.service.createShareLink(actorOf(input), input.params.id as string, input.body as z.infer<typeof S.CreateShareLinkBody>);
      res.status(201).json({ ...created, url: `${baseUrl(ctx, req)}/verify#share=${created.token}` });
    },
  },
  {
    method: "get",
    path: "/v1/credentials/:id/share-links",
    tag: "share links",
    summary: "The credential's share links (never a token), oldest first (issuer or holder)",
    auth: "holder",
    params: { id: S.CredentialIdParam },
    responses: { 200: { description: "The links", schema: S.ShareLinkListResponse }, ...errors(400, 401, 403, 404, 503) },
    handler: async (ctx, _req, res, input) => res.json({ links: await ctx.service.listShareLinks(actorOf(input), input.params.id as string) }),
  },
  {
    method: "delete",
    path: "/v1/credentials/:id/share-links/:linkId",
    tag: "share links",
    summary: "Revoke a share link (issuer or holder): it stops opening at once and its bundle is deleted",
    auth: "holder",
    params: { id: S.CredentialIdParam, linkId: S.ShareLinkIdParam },
    responses: { 200: { description: "Revoked (revoking twice answers the same)", schema: S.ShareLinkInfo }, ...errors(400, 401, 403, 404, 503) },
    handler: async (ctx, _req, res, input) => res.json(await ctx.service.revokeShareLink(actorOf(input), input.params.id as string, input.params.linkId as string)),
  },
  {
    method: "get",
    path: "/v1/share/:token",
    tag: "share links",
    summary: "Open a share link: the disclosed bundle it serves (public; the token is the capability)",
    description:
      "The bundle the holder or issuer chose to disclose, nothing else. The verifier page (`/verify#share=<token>`) fetches it and verifies it against the chain itself: the answer is only the bundle's transport. Unknown or wrong token: 404 NOT_FOUND; revoked: 410 SHARE_LINK_REVOKED; expired: 410 SHARE_LINK_EXPIRED; the credential erased: 404 (its links left no trace). Limited per client like POST /v1/verify (429 with Retry-After). CORS open, so a verifier page saved to disk can fetch it.",
    auth: "none",
    rateLimited: true,
    params: { token: S.ShareTokenParam },
    responses: {
      200: { description: "The disclosed bundle (canonical JSON)", schema: S.Bundle },
      ...errors(400, 404, 429, 503),
      410: { description: "The link was revoked or has expired (SHARE_LINK_REVOKED, SHARE_LINK_EXPIRED)", schema: S.ErrorResponse },
    },
    handler: async (ctx, _req, res, { params }) => {
      res.setHeader("Access-Control-Allow-Origin", "*");
      res.setHeader("Referrer-Policy", "no-referrer");
      res.type("application/json").send(await ctx.service.openShareLink(params.token as string));
    },
  },
  {
    method: "get",
    path: "/v1/batches/:id",
    tag: "batches",
    summary: "A batch: root, anchor transaction, gas used and cost per credential",
    auth: "any",
    params: { id: S.NumericIdParam },
    responses: { 200: { description: "The batch", schema: S.BatchResponse }, ...errors(400, 401, 403, 404, 503) },
    handler: async (ctx, _req, res, { params, principal }) => res.json(await ctx.service.getBatch(principal!, params.id as number)),
  },
  {
    method: "post",
    path: "/v1/revocations",
    tag: "revocations",
    summary: "Revoke, suspend or reinstate credentials (or revoke a whole batch) on-chain, in bulk",
    auth: "issuer",
    bodyLimit: 4 * MiB,
    body: S.StatusChangeBody,
    headers: idempotency,
    responses: { 202: { description: "Queued for the chain", schema: S.StatusChangeResponse }, ...errors(400, 401, 403, 404, 409, 413, 415, 503) },
    handler: async (ctx, req, res, { body, principal }) => {
      issuerOf(principal);
      const key = req.get("idempotency-key");
      const { change, replayed } = await ctx.service.requestStatusChange(principal!, { ...(body as object), ...(key !== undefined ? { idempotencyKey: key } : {}) } as never);
      if (replayed) res.setHeader("Idempotent-Replayed", "true");
      res.status(202).json(change);
    },
  },
  {
    method: "get",
    path: "/v1/revocations/:id",
    tag: "revocations",
    summary: "A revocation request's state (pending → sending → mined → confirmed)",
    auth: "any",
    params: { id: S.NumericIdParam },
    responses: { 200: { description: "The request", schema: S.StatusChangeResponse }, ...errors(400, 401, 403, 404, 503) },
    handler: async (ctx, _req, res, { params, principal }) => res.json(await ctx.service.getStatusChange(principal!, params.id as number)),
  },
  {
    method: "post",
    path: "/v1/admin/issuers/:issuerId/api-keys",
    tag: "admin",
    summary: "Create an API key for an issuer (operator only, within the operator key's issuers); the key is shown once",
    description: "The body is optional: a label and an expiry (`expiresAt`). Operator keys themselves are created only on the service's machine (`credanchor keys create --admin`).",
    auth: "admin",
    params: { issuerId: S.NumericIdParam },
    body: S.CreateApiKeyBody,
    bodyOptional: true,
    responses: { 201: { description: "Created", schema: S.ApiKeyResponse }, ...errors(400, 401, 403, 404, 413, 415, 503) },
    handler: async (ctx, _req, res, { body, params, principal }) =>
      res.status(201).json(await ctx.service.createApiKey(principal!, params.issuerId as number, body as z.infer<typeof S.CreateApiKeyBody>)),
  },
  {
    method: "get",
    path: "/v1/admin/api-keys",
    tag: "admin",
    summary: "List API keys (operator only): the keys of the operator key's issuers, never a secret",
    auth: "admin",
    responses: { 200: { description: "The keys, oldest first", schema: S.ApiKeyListResponse }, ...errors(401, 403, 503) },
    handler: async (ctx, _req, res, { principal }) => res.json({ keys: await ctx.service.listApiKeys(principal!) }),
  },
  {
    method: "delete",
    path: "/v1/admin/api-keys/:keyId",
    tag: "admin",
    summary: "Revoke an API key (operator only); it stops authenticating at once (on other replicas sharing the database, within 1 s)",
    auth: "admin",
    params: { keyId: S.ApiKeyIdParam },
    responses: { 200: { description: "Revoked (revoking twice answers the same)", schema: S.ApiKeyInfo }, ...errors(400, 401, 403, 404, 503) },
    handler: async (ctx, _req, res, { params, principal }) => res.json(await ctx.service.revokeApiKey(principal!, params.keyId as string)),
  },
  {
    method: "post",
    path: "/v1/verify",
    tag: "verify",
    summary: "Verify proof bundles independently (stateless; the same library as the CLI)",
    description:
      "Checks format, integrity, inclusion, anchor, issuer authorisation and identity, status and validity window. `error` means it could not decide (e.g. the chain is unreachable), never valid or invalid. Limited per client (429 with Retry-After); when the server has too many bundles queued, 503 OVERLOADED with Retry-After. Chain reads stop when the request ends or times out.",
    auth: "none",
    bodyLimit: 16 * MiB,
    rateLimited: true,
    body: S.VerifyBody,
    responses: { 200: { description: "One report per bundle, in order", schema: S.VerifyResponse }, ...errors(400, 413, 415, 429, 503) },
    // Parsed and verified by the endpoint (on its threads); the fast path serves the usual requests before express.
    rawBody: true,
    handler: async (ctx, _req, res, { raw }) => {
      // The answer's end (sent, timed out, or the client gone) stops the chain reads.
      const ended = new AbortController();
      res.once("close", () => ended.abort());
      try {
        const answer = await ctx.verifyEndpoint.answer(raw!.bytes, ended.signal);
        res.set("Content-Type", "application/json; charset=utf-8").send(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
      } catch (error) {
        // A full queue clears within about a second (DEFAULT_MAX_QUEUED bundles of hashing).
        if ((error as ServiceError).code === "OVERLOADED") res.setHeader("Retry-After", "1");
        throw error;
      }
    },
  },
  ...VC_API_ROUTES,
  VC_STATUS_ROUTE,
  ...DID_WEB_ROUTES,
  CONTEXT_ROUTE,
  {
    method: "get",
    path: "/status-lists/:issuerId/:purpose/:list",
    tag: "status",
    summary: "A W3C BitstringStatusListCredential built from the on-chain status words, signed by the issuer's assertion key",
    description:
      "Built from the registry's words at a block (never from the database), 131,072 entries, GZIP + multibase base64url, signed eddsa-rdfc-2022. Its `evidence` names the chain, registry, issuer, list and block it was read at, so anyone can rebuild it (`credanchor status-list check`). Cached in memory per block: a status change confirmed on-chain shows within the poll interval. `ETag` names the block; `If-None-Match` answers 304. CORS open.",
    auth: "none",
    params: { issuerId: S.NumericIdParam, purpose: S.StatusPurposeParam, list: S.StatusListParam },
    headers: { "If-None-Match": { schema: S.IfNoneMatchHeader, description: "ETags of lists already held: 304 when the current one is among them." } },
    responses: {
      200: { description: "The signed list credential", contentType: "application/vc+ld+json" },
      304: { description: "Not modified (the If-None-Match ETag is the current one)" },
      ...errors(400, 404, 503),
    },
    handler: async (ctx, req, res, { params }) => {
      res.setHeader("Access-Control-Allow-Origin", "*");
      res.setHeader("Access-Control-Expose-Headers", "ETag");
      if (!ctx.statusLists) throw new ServiceError("this service publishes no status lists", { code: "NOT_FOUND" });
      const served = await ctx.statusLists.get(params.issuerId as number, params.purpose as StatusPurpose, params.list as number);
      const held = req.get("if-none-match");
      if (held !== undefined && etagMatches(held, served.etag)) res.writeHead(304, served.headers.notModified).end();
      else res.writeHead(200, served.headers.ok).end(req.method === "HEAD" ? undefined : served.bytes);
    },
  },
  {
    method: "get",
    path: "/healthz",
    tag: "operations",
    summary: "Liveness: the process answers and can work without a restart",
    auth: "none",
    timeout: false,
    responses: {
      200: { description: "Alive", schema: S.HealthResponse },
      503: { description: "Only a restart helps (the SQLite database thread was given up on); the message says why", schema: S.HealthResponse },
    },
    handler: (ctx, _req, res) => {
      const uptimeSeconds = Math.round((Date.now() - ctx.startedAt) / 1000);
      const why = ctx.service.unrecoverable();
      if (why === undefined) res.json({ status: "ok", uptimeSeconds });
      else res.status(503).json({ status: "failing", uptimeSeconds, message: why });
    },
  },
  {
    method: "get",
    path: "/readyz",
    tag: "operations",
    summary: "Readiness: the database is writable and the chain answers",
    auth: "none",
    timeout: false, // the service bounds its chain probe (2 s); a TIMEOUT would not be the documented shape
    responses: { 200: { description: "Ready", schema: S.ReadyResponse }, 503: { description: "Not ready; the failing check says why", schema: S.ReadyResponse } },
    handler: async (ctx, _req, res) => {
      const readiness = await ctx.service.readiness();
      res.status(readiness.ready ? 200 : 503).json(readiness);
    },
  },
  {
    method: "get",
    path: "/metrics",
    tag: "operations",
    summary: "Prometheus metrics (text exposition format)",
    auth: "none",
    timeout: false,
    responses: { 200: { description: "Metrics", contentType: "text/plain; version=0.0.4" } },
    handler: async (ctx, _req, res) => {
      const text = await ctx.metrics.render(await ctx.service.stats());
      res.type(ctx.metrics.contentType).send(text);
    },
  },
];
