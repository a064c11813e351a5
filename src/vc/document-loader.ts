// The JSON-LD document loader: pinned contexts and did:key only, never the network.
import { securityLoader } from "@digitalbazaar/security-document-loader";
import { PINNED_CONTEXTS } from "./contexts.ts";

/** What jsonld.js expects a document loader to return. */
export type RemoteDocument = { contextUrl: string | null; documentUrl: string; document: unknown };
export type DocumentLoader = (url: string) => Promise<RemoteDocument>;

/** Thrown for a URL the loader does not hold: it never fetches, so an unknown context is an error naming it. */
export class DocumentNotPinnedError extends Error {
  override name = "DocumentNotPinnedError";
  readonly url: string;
  constructor(url: string) {
    super(`${url} is not a pinned context or a did:key (this loader never fetches)`);
    this.url = url;
  }
}

/**
 * Creates the offline document loader: every context of {@link PINNED_CONTEXTS} (VC 1.1 and
 * 2.0, Data Integrity, Multikey, Bitstring Status List, Open Badges 3.0.x, credanchor) plus the
 * DID, Ed25519 2020 and related contexts `@digitalbazaar/security-document-loader` ships, and
 * did:key resolution (a DID document, or one verification method for a `did:key:…#…` URL).
 * Anything else is refused with {@link DocumentNotPinnedError}.
 *
 * @param extra - more documents by URL (tests; a deployment's own pinned contexts).
 *
 * @example
 * const documentLoader = createDocumentLoader();
 * await vc.verifyCredential({ credential, suite, documentLoader });
 */
export function createDocumentLoader(extra: ReadonlyMap<string, object> = new Map()): DocumentLoader {
  const loader = securityLoader();
  for (const [url, document] of [...PINNED_CONTEXTS, ...extra]) loader.addStatic(url, document);
  const load = loader.build();
  return async (url) => {
    if (typeof url !== "string" || !(url.startsWith("did:key:") || PINNED_CONTEXTS.has(url) || extra.has(url) || LEGACY_URL.test(url))) {
      throw new DocumentNotPinnedError(String(url));
    }
    try {
      return await load(url);
    } catch (error) {
      if (url.startsWith("did:key:")) throw error; // a malformed did:key: say why
      throw new DocumentNotPinnedError(url);
    }
  };
}

// Contexts security-document-loader itself ships (DID core, Ed25519 2020, X25519, Veres One).
const LEGACY_URL = /^https:\/\/(www\.w3\.org\/ns\/did\/|w3id\.org\/security\/suites\/|w3id\.org\/veres-one\/)/;

let shared: DocumentLoader | undefined;

/**
 * One process-wide loader (its did:key cache and jsonld.js's context cache then serve every call).
 *
 * @example
 * const documentLoader = defaultDocumentLoader();
 */
export function defaultDocumentLoader(): DocumentLoader {
  shared ??= createDocumentLoader();
  return shared;
}
