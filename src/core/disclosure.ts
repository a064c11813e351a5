// Selective disclosure: hide fields of a salted credential, and recompute the digest from what is left.
import { compareBytes } from "./encoding.ts";
import { DisclosureError, type ErrorDetail } from "./errors.ts";
import { hashFields } from "./fields.ts";
import { isPlainObject, type JsonObject, type JsonValue } from "./json.ts";
import { escapePointerToken, parsePointer } from "./pointer.ts";
import { SALT_BYTES } from "./salt.ts";

/**
 * A credential as a holder shows it: some fields hidden.
 *
 * - `credential`: the disclosed view. A hidden object member is absent; a hidden array element
 *   is `null` and its pointer is listed in `hiddenElements` (so later indices keep their pointers).
 * - `salts`: `SALT_BYTES` per disclosed field, in the view's field order (placeholders skipped).
 * - `hiddenFieldHashes`: the field hash of every hidden field (a hidden container's descendants
 *   included), sorted ascending, no duplicates.
 *
 * A full credential is the view with nothing hidden: `{ credential, salts, hiddenFieldHashes: [], hiddenElements: [] }`.
 */
export type DisclosedCredential = {
  credential: JsonObject;
  salts: Uint8Array;
  hiddenFieldHashes: Uint8Array[];
  hiddenElements: string[];
};

/**
 * Hides the fields at `hide` (JSON pointers; hiding a container hides everything under it)
 * from a credential or from an already disclosed view. The result recomputes to the same
 * digest: hiding is not tampering. Hiding an already hidden array element is a no-op.
 *
 * @throws DisclosureError `DISCLOSURE_INVALID` for a malformed pointer, the root, or a pointer
 *   naming no disclosed field; `DISCLOSURE_MISMATCH` when `source` itself does not add up.
 *
 * @example
 * const view = discloseCredential({ credential, salts, hiddenFieldHashes: [], hiddenElements: [] }, ["/credentialSubject/id"]);
 */
export function discloseCredential(source: DisclosedCredential, hide: readonly string[]): DisclosedCredential {
  const placeholders = checkedPlaceholders(source.hiddenElements);
  if (!isPlainObject(source.credential)) mismatch("", "the credential must be a JSON object");
  const { hashes, pointers } = hashFields(source.credential, source.salts, { withPointers: true, placeholders });
  const fieldPointers = pointers!;

  const issues: ErrorDetail[] = [];
  const known = new Set(fieldPointers);
  const toHide = new Set<string>();
  for (const pointer of hide) {
    if (parsePointer(pointer) === undefined) issues.push({ path: pointer, message: "not a JSON pointer (RFC 6901)" });
    else if (pointer === "") issues.push({ path: pointer, message: "the whole credential cannot be hidden" });
    else if (known.has(pointer)) toHide.add(pointer);
    else if (!placeholders.has(pointer)) issues.push({ path: pointer, message: "no such disclosed field" });
  }
  if (issues.length > 0) throw new DisclosureError("cannot hide these fields", { code: "DISCLOSURE_INVALID", details: issues });

  // Pre-order puts a field's descendants right after it, so one open prefix marks them all.
  const hidden = new Set<string>();
  const saltParts: Uint8Array[] = [];
  const hiddenFieldHashes = [...source.hiddenFieldHashes];
  let openPrefix: string | undefined;
  fieldPointers.forEach((pointer, i) => {
    const inside = openPrefix !== undefined && pointer.startsWith(openPrefix);
    if (!inside && toHide.has(pointer)) {
      openPrefix = pointer + "/";
      hidden.add(pointer);
    }
    if (inside || toHide.has(pointer)) hiddenFieldHashes.push(hashes[i]!);
    else saltParts.push(source.salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES));
  });

  const hiddenElements: string[] = [];
  const copy = (value: JsonValue, pointer: string): JsonValue => {
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        const itemPointer = `${pointer}/${i}`;
        if (hidden.has(itemPointer) || placeholders.has(itemPointer)) {
          hiddenElements.push(itemPointer);
          return null;
        }
        return copy(item, itemPointer);
      });
    }
    if (!isPlainObject(value)) return value;
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const memberPointer = `${pointer}/${escapePointerToken(key)}`;
      if (hidden.has(memberPointer)) continue;
      const member = copy(value[key]!, memberPointer);
      if (key === "__proto__") Object.defineProperty(out, key, { value: member, enumerable: true, writable: true, configurable: true });
      else out[key] = member;
    }
    return out;
  };

  const salts = new Uint8Array(saltParts.length * SALT_BYTES);
  saltParts.forEach((salt, i) => salts.set(salt, i * SALT_BYTES));
  return {
    credential: copy(source.credential, "") as JsonObject,
    salts,
    hiddenFieldHashes: hiddenFieldHashes.sort(compareBytes),
    hiddenElements,
  };
}

/**
 * Every field hash of the credential behind a disclosed view: the disclosed fields' hashes
 * (recomputed from the view and its salts) plus the hidden ones. Feed them to
 * `credentialDigest`; a tampered view cannot produce the committed set.
 *
 * Rejected as `DISCLOSURE_MISMATCH`: salts that do not match the disclosed fields one to one,
 * hidden hashes out of order or repeated, a hidden hash equal to a disclosed one, placeholders
 * that are not `null` array elements of the view.
 *
 * @example
 * const digest = credentialDigest({ context, validFrom, validUntil, fieldHashes: disclosedFieldHashes(view) });
 */
export function disclosedFieldHashes(view: DisclosedCredential): Uint8Array[] {
  if (!isPlainObject(view.credential)) mismatch("", "the credential must be a JSON object");
  const placeholders = checkedPlaceholders(view.hiddenElements);
  const hidden = view.hiddenFieldHashes;
  for (let i = 0; i < hidden.length; i++) {
    if (hidden[i]!.length !== 32) mismatch(`hiddenFieldHashes/${i}`, "not 32 bytes");
    if (i > 0 && compareBytes(hidden[i - 1]!, hidden[i]!) >= 0) mismatch(`hiddenFieldHashes/${i}`, "hidden field hashes must be sorted ascending, without duplicates");
  }
  const { hashes } = hashFields(view.credential, view.salts, { placeholders });
  const disclosed = new Set(hashes.map((h) => h.join(",")));
  hidden.forEach((h, i) => {
    if (disclosed.has(h.join(","))) mismatch(`hiddenFieldHashes/${i}`, "a hidden field hash equals a disclosed field's hash");
  });
  return [...hashes, ...hidden];
}

function checkedPlaceholders(hiddenElements: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const pointer of hiddenElements) {
    const tokens = parsePointer(pointer);
    if (tokens === undefined || tokens.length === 0 || !/^(0|[1-9][0-9]*)$/.test(tokens[tokens.length - 1]!)) {
      mismatch(pointer, "a hidden element must be the JSON pointer of an array element");
    }
    if (set.has(pointer)) mismatch(pointer, "listed twice in hiddenElements");
    set.add(pointer);
  }
  return set;
}

function mismatch(path: string, message: string): never {
  throw new DisclosureError(message, { code: "DISCLOSURE_MISMATCH", details: [{ path, message }] });
}
