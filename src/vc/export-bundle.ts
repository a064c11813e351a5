// Exporting a v1 proof bundle in the VC form: the bundle's credential, unchanged, with the anchor proof as its proof set.
import { decodeBundle, parseBundle, type Bundle } from "../core/bundle.ts";
import { ValidationError } from "../core/errors.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import { bundleToVc } from "./anchor-proof.ts";

const notAVc = (path: string, message: string) =>
  new ValidationError(`this bundle's credential is not a W3C VC, so it has no VC form: ${message}`, { code: "CREDENTIAL_INVALID", details: [{ path, message }] });

/**
 * The VC form of a v1 proof bundle (a bundle object, or its JSON text): the credential exactly
 * as anchored, with one `proof`, the `credanchor-merkle-2026` anchor proof carrying the rest of
 * the bundle (docs/formats.md, "The anchor proof"). Nothing is added to the credential: every
 * member is part of what the anchor commits to, so a v1 credential that had no
 * `credentialStatus` gets none (its on-chain status location travels in the anchor proof), and
 * there is no issuer signature (a v1 bundle has none). A derived bundle exports as a derived VC.
 * The export is lossless: `vcToBundle(exportBundleAsVc(b))` is `b`.
 *
 * @throws ValidationError `CREDENTIAL_INVALID` when the credential is not a VC (no `@context`,
 *   no `VerifiableCredential` type: an anchored arbitrary JSON document); BundleError / JsonError
 *   for an unreadable bundle; BundleError `BUNDLE_INVALID` when the credential has a `proof` member.
 *
 * @example
 * const vc = exportBundleAsVc(readFileSync("badge.bundle.json", "utf8"));
 * (await verifyVc(vc, { chain: { trust, rpc } })).verdict; // "valid"
 */
export function exportBundleAsVc(bundle: Bundle | string): JsonObject {
  const parsed = typeof bundle === "string" ? decodeBundle(bundle) : parseBundle(bundle);
  const { credential } = parsed;
  if (!Array.isArray(credential["@context"]) && typeof credential["@context"] !== "string") throw notAVc("/@context", "no @context (hidden, or never there)");
  const types = Array.isArray(credential.type) ? credential.type : [credential.type];
  if (!types.includes("VerifiableCredential")) throw notAVc("/type", 'the type does not include "VerifiableCredential"');
  if (!isPlainObject(credential.issuer) && typeof credential.issuer !== "string") throw notAVc("/issuer", "no issuer");
  return bundleToVc(parsed);
}

