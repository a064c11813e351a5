// did:web for issuers whose on-chain identity is a DID of this service: the DID ↔ URL mapping and the DID document (DID Core, Multikey).
import { didKeyOfPublicKey } from "./keys.ts";

/** The contexts of a DID document whose keys are Multikey (DID Core 1.0, Controlled Identifiers' Multikey). */
export const DID_DOCUMENT_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"] as const;

export type DidDocument = {
  "@context": typeof DID_DOCUMENT_CONTEXT;
  id: string;
  verificationMethod: { id: string; type: "Multikey"; controller: string; publicKeyMultibase: string }[];
  assertionMethod: string[];
};

/**
 * The did:web a resolver maps to `<baseUrl>/<segments…>/did.json`, or to
 * `<baseUrl>/.well-known/did.json` without segments (the did:web method: the port's `:` is
 * percent-encoded, path segments become `:`-separated).
 *
 * @example
 * didWebOf("https://issuer.example:8443", ["issuers", "1"]); // "did:web:issuer.example%3A8443:issuers:1"
 * didWebOf("https://issuer.example"); // "did:web:issuer.example"
 */
export function didWebOf(baseUrl: string, segments: readonly string[] = []): string {
  const url = new URL(baseUrl);
  const path = url.pathname.split("/").filter(Boolean);
  return ["did:web", encodeURIComponent(url.host), ...path, ...segments].map((part, i) => (i < 2 ? part : encodeURIComponent(decodeURIComponent(part)))).join(":");
}

/**
 * The DID document of `did` listing `publicKeys` (raw 32-byte Ed25519) as Multikey verification
 * methods for `assertionMethod`, in the order given. Ids are `<did>#<publicKeyMultibase>`.
 *
 * @example
 * const doc = didDocumentOf("did:web:issuer.example", [key.publicKey]);
 * doc.assertionMethod; // ["did:web:issuer.example#z6Mk…"]
 */
export function didDocumentOf(did: string, publicKeys: readonly Uint8Array[]): DidDocument {
  const verificationMethod = publicKeys.map((publicKey) => {
    const publicKeyMultibase = didKeyOfPublicKey(publicKey).slice("did:key:".length);
    return { id: `${did}#${publicKeyMultibase}`, type: "Multikey" as const, controller: did, publicKeyMultibase };
  });
  return { "@context": DID_DOCUMENT_CONTEXT, id: did, verificationMethod, assertionMethod: verificationMethod.map((m) => m.id) };
}
