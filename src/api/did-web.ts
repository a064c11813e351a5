// did:web documents for issuers whose on-chain identity is a did:web of this service, built from the chain's assertion keys valid now.
// They are for standard verifiers: credanchor's own verifier binds keys through the registry and never reads them.
import type { Address, PublicClient } from "viem";
import { readIssuerIdentity, readActiveAssertionKeys } from "../chain/assertion-keys.ts";
import { ServiceError } from "../core/errors.ts";
import { didDocumentOf, didWebOf, type DidDocument } from "../vc/did-web.ts";
import type { Route, RouteContext } from "./routes.ts";
import * as S from "./schemas.ts";

/** Where the documents come from: this service's public URL and the registry. */
export type DidWebSource = {
  /** `https://issuer.example` (no trailing slash): the host every served did:web names. */
  publicBaseUrl(): string;
  /** The issuers this service serves: the candidates for the host's own DID (`/.well-known/did.json`). */
  servedIssuers(): Iterable<number>;
  /** The issuer's on-chain identity; `undefined` for an issuer the registry does not have. */
  identityOf(issuerId: number): Promise<string | undefined>;
  /** The issuer's assertion keys that can sign now (not retired, not compromised; raw 32-byte Ed25519). */
  activeKeysOf(issuerId: number): Promise<Uint8Array[]>;
};

/**
 * The did:web source over a v2 registry, read on every request (a retired key leaves the document at once).
 *
 * @example
 * const didWeb = createDidWebSource({ client, registry, fromBlock: 0n, servedIssuers: () => [1], publicBaseUrl: () => "https://issuer.example" });
 */
export function createDidWebSource(options: { client: PublicClient; registry: Address; fromBlock: bigint; servedIssuers: () => Iterable<number>; publicBaseUrl: () => string }): DidWebSource {
  return {
    publicBaseUrl: () => options.publicBaseUrl().replace(/\/+$/, ""),
    servedIssuers: options.servedIssuers,
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

/** The document of `did` for `issuerId`, when the chain says that issuer's identity is `did`. */
async function documentFor(source: DidWebSource, issuerId: number, did: string): Promise<DidDocument | undefined> {
  const identity = await fromChain(`issuer ${issuerId}'s identity`, () => source.identityOf(issuerId));
  if (identity !== did) return undefined;
  return didDocumentOf(did, await fromChain(`issuer ${issuerId}'s assertion keys`, () => source.activeKeysOf(issuerId)));
}

function send(res: Parameters<Route["handler"]>[2], document: DidDocument) {
  res.setHeader("Access-Control-Allow-Origin", "*");
  // Short: a retired or compromised key must leave resolvers' caches soon.
  res.setHeader("Cache-Control", "public, max-age=60");
  res.type("application/did+ld+json").send(JSON.stringify(document));
}

const DOCUMENT_RESPONSES = {
  200: { description: "The DID document (DID Core 1.0): the issuer's assertion keys valid now, as Multikey `assertionMethod`s", contentType: "application/did+ld+json" },
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
      "Built from the registry at its latest block: the issuer's assertion keys that can sign now (not retired, not compromised, the issuer accredited). For standard verifiers: credanchor's verifier binds keys through the registry and never reads this document.",
    auth: "none",
    responses: DOCUMENT_RESPONSES,
    handler: async (ctx, _req, res) => {
      const source = sourceOf(ctx);
      const did = didWebOf(source.publicBaseUrl());
      for (const issuerId of source.servedIssuers()) {
        const document = await documentFor(source, issuerId, did);
        if (document) return send(res, document);
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
    responses: { ...DOCUMENT_RESPONSES, 400: { description: "The issuer id is not a positive integer (REQUEST_INVALID)", schema: S.ErrorResponse } },
    handler: async (ctx, _req, res, { params }) => {
      const source = sourceOf(ctx);
      const issuerId = params.issuerId as number;
      const did = didWebOf(source.publicBaseUrl(), ["issuers", String(issuerId)]);
      const document = await documentFor(source, issuerId, did);
      if (!document) throw new ServiceError(`issuer ${issuerId} does not exist or its on-chain identity is not ${did}`, { code: "NOT_FOUND" });
      send(res, document);
    },
  },
];
