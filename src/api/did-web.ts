// did:web documents for issuers whose on-chain identity is a did:web of this service, built from the assertion keys valid at the chain's head, once per block.
// They are for standard verifiers: credanchor's own verifier binds keys through the registry and never reads them.
import { createHash } from "node:crypto";
import type { Address, PublicClient } from "viem";
import { readIssuerIdentity, readActiveAssertionKeys } from "../chain/assertion-keys.ts";
import { ServiceError } from "../core/errors.ts";
import { didDocumentOf, didWebOf } from "../vc/did-web.ts";
import type { Route, RouteContext } from "./routes.ts";
import { etagMatches } from "./status-list-fast-path.ts";
import * as S from "./schemas.ts";

/** Where the documents come from: this service's public URL and the registry. */
export type DidWebSource = {
  /** `https://issuer.example` (no trailing slash): the host every served did:web names. */
  publicBaseUrl(): string;
  /** The issuers this service serves: the candidates for the host's own DID (`/.well-known/did.json`). */
  servedIssuers(): Iterable<number>;
  /** The chain's head: documents are cached per head (number and hash, so a reorg rebuilds them). */
  head(): Promise<{ number: bigint; hash: string }>;
  /** The issuer's on-chain identity; `undefined` for an issuer the registry does not have. */
  identityOf(issuerId: number): Promise<string | undefined>;
  /** The issuer's assertion keys that can sign now (not retired, not compromised; raw 32-byte Ed25519). */
  activeKeysOf(issuerId: number): Promise<Uint8Array[]>;
};

/**
 * The did:web source over a v2 registry, read at the chain's head (a retired key leaves the document at the next block).
 *
 * @example
 * const didWeb = createDidWebSource({ client, registry, fromBlock: 0n, servedIssuers: () => [1], publicBaseUrl: () => "https://issuer.example" });
 */
export function createDidWebSource(options: { client: PublicClient; registry: Address; fromBlock: bigint; servedIssuers: () => Iterable<number>; publicBaseUrl: () => string }): DidWebSource {
  return {
    publicBaseUrl: () => options.publicBaseUrl().replace(/\/+$/, ""),
    servedIssuers: options.servedIssuers,
    head: async () => {
      const block = await options.client.getBlock({ blockTag: "latest" });
      return { number: block.number, hash: block.hash };
    },
    identityOf: (issuerId) => readIssuerIdentity(options.client, options.registry, issuerId),
    activeKeysOf: (issuerId) => readActiveAssertionKeys(options.client, options.registry, issuerId, options.fromBlock),
  };
}

/** Chain reads that fail are "cannot decide now" (503), never a 500 or a wrong 404. */
async function fromChain<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new ServiceError(`cannot read ${what} from the chain: ${(error as Error).message.split("\n")[0]}`, { code: "CHAIN_UNAVAILABLE", cause: error });
  }
}

function sourceOf(ctx: RouteContext): DidWebSource {
  if (!ctx.didWeb) throw new ServiceError("this service serves no did:web documents", { code: "NOT_FOUND" });
  return ctx.didWeb;
}

/** A document as served: its bytes and their ETag (a content hash, so an unchanged document keeps it across blocks). */
type Served = { bytes: string; etag: string };

/** Most (issuer, DID) documents kept; each is one small JSON document for the current head only. */
const MAX_CACHED = 1024;

/** Per source: (issuer, DID) → the document (or its absence) at one head, in flight or built. */
const caches = new WeakMap<DidWebSource, Map<string, { head: string; served: Promise<Served | undefined> }>>();

/** Builds `did`'s document for `issuerId` from the chain, when the chain says that issuer's identity is `did`. */
async function build(source: DidWebSource, issuerId: number, did: string): Promise<Served | undefined> {
  const identity = await fromChain(`issuer ${issuerId}'s identity`, () => source.identityOf(issuerId));
  if (identity !== did) return undefined;
  const bytes = JSON.stringify(didDocumentOf(did, await fromChain(`issuer ${issuerId}'s assertion keys`, () => source.activeKeysOf(issuerId))));
  return { bytes, etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 22)}"` };
}

/**
 * The document of `did` for `issuerId` at the chain's head: built once per (issuer, head block),
 * every other request at that head costs one head read. A failed build is not kept.
 *
 * @throws ServiceError `CHAIN_UNAVAILABLE` when the chain cannot be read.
 *
 * @example
 * const served = await documentAtHead(source, 3, "did:web:issuer.example:issuers:3"); // { bytes, etag } or undefined
 */
export async function documentAtHead(source: DidWebSource, issuerId: number, did: string): Promise<Served | undefined> {
  const head = await fromChain("the chain's head", () => source.head());
  const at = `${head.number}:${head.hash}`;
  let cache = caches.get(source);
  if (!cache) caches.set(source, (cache = new Map()));
  const key = `${issuerId} ${did}`;
  const cached = cache.get(key);
  if (cached?.head === at) return cached.served;
  const served = build(source, issuerId, did);
  cache.delete(key); // re-inserted last: the Map's order is the eviction order
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, { head: at, served });
  served.catch(() => cache.get(key)?.served === served && cache.delete(key));
  return served;
}

function send(req: Parameters<Route["handler"]>[1], res: Parameters<Route["handler"]>[2], served: Served) {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Expose-Headers", "ETag");
  // Stored but revalidated on every use (a 304 is cheap): a retired or compromised key must leave resolvers' caches at the next block.
  res.setHeader("Cache-Control", "public, no-cache");
  res.setHeader("ETag", served.etag);
  const held = req.get("if-none-match");
  if (held !== undefined && etagMatches(held, served.etag)) return res.status(304).end();
  res.type("application/did+ld+json").send(served.bytes);
}

const IF_NONE_MATCH = { "If-None-Match": { schema: S.IfNoneMatchHeader, description: "ETags of documents already held: 304 when the current one is among them." } };

const DOCUMENT_RESPONSES = {
  200: { description: "The DID document (DID Core 1.0): the issuer's assertion keys valid at the chain's head, as Multikey `assertionMethod`s; `ETag` (content hash), `Cache-Control: public, no-cache`", contentType: "application/did+ld+json" },
  304: { description: "Not modified (the If-None-Match ETag is the current document's)" },
  404: { description: "No issuer served here has this DID as its on-chain identity (NOT_FOUND)", schema: S.ErrorResponse },
  503: { description: "The chain cannot be read right now (CHAIN_UNAVAILABLE)", schema: S.ErrorResponse },
};

export const DID_WEB_ROUTES: readonly Route[] = [
  {
    method: "get",
    path: "/.well-known/did.json",
    tag: "did",
    summary: "The DID document of did:web:<this host>, for the issuer served here whose on-chain identity it is",
    description:
      "Built from the registry at its latest block, once per block (cached per issuer and head block): the issuer's assertion keys that can sign at that block (not retired, not compromised, the issuer accredited). `ETag` is a hash of the document; `If-None-Match` answers 304. For standard verifiers: credanchor's verifier binds keys through the registry and never reads this document.",
    auth: "none",
    headers: IF_NONE_MATCH,
    responses: DOCUMENT_RESPONSES,
    handler: async (ctx, req, res) => {
      const source = sourceOf(ctx);
      const did = didWebOf(source.publicBaseUrl());
      for (const issuerId of source.servedIssuers()) {
        const served = await documentAtHead(source, issuerId, did);
        if (served) return send(req, res, served);
      }
      throw new ServiceError(`no issuer served here has ${did} as its on-chain identity`, { code: "NOT_FOUND" });
    },
  },
  {
    method: "get",
    path: "/issuers/:issuerId/did.json",
    tag: "did",
    summary: "The DID document of did:web:<this host>:issuers:<issuerId>, when that is the issuer's on-chain identity",
    description: "As /.well-known/did.json, for a path DID: any issuer of the registry whose on-chain identity is exactly this DID.",
    auth: "none",
    params: { issuerId: S.NumericIdParam },
    headers: IF_NONE_MATCH,
    responses: { ...DOCUMENT_RESPONSES, 400: { description: "The issuer id is not a positive integer (REQUEST_INVALID)", schema: S.ErrorResponse } },
    handler: async (ctx, req, res, { params }) => {
      const source = sourceOf(ctx);
      const issuerId = params.issuerId as number;
      const did = didWebOf(source.publicBaseUrl(), ["issuers", String(issuerId)]);
      const served = await documentAtHead(source, issuerId, did);
      if (!served) throw new ServiceError(`issuer ${issuerId} does not exist or its on-chain identity is not ${did}`, { code: "NOT_FOUND" });
      send(req, res, served);
    },
  },
];
