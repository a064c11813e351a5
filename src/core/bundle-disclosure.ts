// Selective disclosure on whole proof bundles: what the holder may hide, and the derived bundle.
import { bundleView, parseBundle, type Bundle } from "./bundle.ts";
import { discloseCredential } from "./disclosure.ts";
import { bytesToBase64url, bytesToHex } from "./encoding.ts";
import { hashFields } from "./fields.ts";

/**
 * The JSON pointers of the fields a bundle still discloses, in field order: each one can be
 * hidden (hiding a container hides everything under it). The root is not listed: it cannot be hidden.
 *
 * @example
 * disclosableFields(bundle); // ["/@context", "/@context/0", …, "/credentialSubject/birthDate", …]
 */
export function disclosableFields(bundle: Bundle): string[] {
  const view = bundleView(bundle);
  const { pointers } = hashFields(view.credential, view.salts, { withPointers: true, placeholders: new Set(view.hiddenElements) });
  return pointers!.filter((p) => p !== "");
}

/**
 * A derived bundle with the fields at `hide` hidden: their values are gone, their field hashes
 * stay, so it verifies against the same anchor. Works on a bundle that already hides fields.
 *
 * @throws DisclosureError `DISCLOSURE_INVALID` naming every pointer that is malformed, the root,
 *   or no disclosed field; `DISCLOSURE_MISMATCH` when the bundle itself does not add up.
 *
 * @example
 * const derived = discloseBundle(bundle, ["/credentialSubject/birthDate"]);
 */
export function discloseBundle(bundle: Bundle, hide: readonly string[]): Bundle {
  const view = discloseCredential(bundleView(bundle), hide);
  return parseBundle({
    ...bundle,
    credential: view.credential,
    salts: bytesToBase64url(view.salts),
    hiddenFieldHashes: view.hiddenFieldHashes.map(bytesToHex),
    hiddenElements: view.hiddenElements,
  });
}
