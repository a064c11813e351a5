// Names what was changed in a tampered bundle, when that can be known (for people, not for the verdict).
import { bundleDigest, bundleView, type Bundle } from "../core/bundle.ts";
import { bytesToHex } from "../core/encoding.ts";
import { CredanchorError } from "../core/errors.ts";
import { fieldHash, hashFields } from "../core/fields.ts";
import type { JsonValue } from "../core/json.ts";
import { SALT_BYTES } from "../core/salt.ts";

/** One thing found changed: a JSON pointer into the credential, or a bundle member (`bundle.statusIndex`). */
export type FieldChange = { path: string; message: string };

/** Bundle members the digest commits to besides the fields: changing one changes the leaf. */
const ENVELOPE = ["chainId", "registry", "issuerId", "statusIndex", "validFrom", "validUntil", "leaf", "root"] as const;

// A salt source for walking a view only to learn its pointers and values (no hash is kept).
const zeroSalts = (out: Uint8Array) => out.fill(0);

/** The disclosed fields of a view in field order: pointer → value. */
function fieldsOf(bundle: Bundle): Map<string, JsonValue> {
  const view = bundleView(bundle);
  const { pointers } = hashFields(view.credential, zeroSalts, { withPointers: true, placeholders: new Set(view.hiddenElements) });
  const values = new Map<string, JsonValue>();
  for (const pointer of pointers!) values.set(pointer, valueAt(view.credential, pointer));
  return values;
}

function valueAt(root: JsonValue, pointer: string): JsonValue {
  let value = root;
  for (const token of pointer.split("/").slice(1)) {
    const key = token.replaceAll("~1", "/").replaceAll("~0", "~");
    value = (value as Record<string, JsonValue>)[key]!;
  }
  return value;
}

/** pointer → { salt, hash } of every disclosed field of a bundle whose salts fit it. */
function saltedFields(bundle: Bundle): Map<string, { salt: Uint8Array; hash: string }> {
  const view = bundleView(bundle);
  const { hashes, pointers } = hashFields(view.credential, view.salts, { withPointers: true, placeholders: new Set(view.hiddenElements) });
  return new Map(pointers!.map((p, i) => [p, { salt: view.salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES), hash: bytesToHex(hashes[i]!) }]));
}

/** The same anchored credential: same chain, registry, root and status index. */
function sameCredential(a: Bundle, b: Bundle): boolean {
  return a.chainId === b.chainId && a.registry.toLowerCase() === b.registry.toLowerCase() && a.root === b.root && a.statusIndex === b.statusIndex;
}

const holds = (bundle: Bundle): boolean => {
  try {
    return bytesToHex(bundleDigest(bundle).leaf) === bundle.leaf;
  } catch {
    return false;
  }
};

/** What the bundle itself says is inconsistent (structure, salts, validity window vs. the bundle's numbers). */
function selfInconsistencies(bundle: Bundle): FieldChange[] {
  try {
    bundleDigest(bundle);
    return [];
  } catch (error) {
    if (!(error instanceof CredanchorError)) throw error;
    return error.details.map((d) => {
      if (d.path === "validFrom" || d.path === "validUntil") return { path: `/${d.path}`, message: d.message };
      if (/^salts for \d+ fields/.test(d.message)) return { path: "", message: `a field was added or removed (${d.message})` };
      return { path: d.path, message: d.message };
    });
  }
}

/** Field by field against the reference: changed values, fields the reference lacks, fields gone. */
function againstReference(bundle: Bundle, reference: Bundle): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const name of ENVELOPE) {
    if (String(bundle[name]).toLowerCase() !== String(reference[name]).toLowerCase()) {
      changes.push({ path: `bundle.${name}`, message: `${String(bundle[name])} here, ${String(reference[name])} in the original` });
    }
  }
  const original = saltedFields(reference);
  const committed = new Set([...[...original.values()].map((f) => f.hash), ...reference.hiddenFieldHashes]);
  const hiddenHere = new Set(bundle.hiddenFieldHashes);
  const present = fieldsOf(bundle);
  for (const [pointer, value] of present) {
    const before = original.get(pointer);
    if (!before) {
      // Disclosed here but hidden in the reference: its hash (with this bundle's salt) must be one the reference commits to.
      if (!ownHashIsCommitted(bundle, pointer, committed)) changes.push({ path: pointer, message: "not in the original" });
    } else if (bytesToHex(fieldHash(before.salt, pointer, value)) !== before.hash) {
      changes.push({ path: pointer, message: "its value differs from the original" });
    }
  }
  for (const [pointer, { hash }] of original) {
    if (!present.has(pointer) && !hiddenHere.has(hash) && !covered(pointer, present)) changes.push({ path: pointer, message: "removed" });
  }
  return changes;
}

// A removed field inside a removed or hidden parent is reported once, as its parent.
function covered(pointer: string, present: Map<string, JsonValue>): boolean {
  const parent = pointer.slice(0, pointer.lastIndexOf("/"));
  return parent !== "" && !present.has(parent);
}

function ownHashIsCommitted(bundle: Bundle, pointer: string, committed: Set<string>): boolean {
  try {
    const own = saltedFields(bundle).get(pointer);
    return own !== undefined && committed.has(own.hash);
  } catch {
    return false; // the bundle's salts do not fit its fields: nothing of it can be vouched for
  }
}

/**
 * What was changed in a bundle whose integrity check fails, as far as it can be known. A
 * bundle alone tells only what is inconsistent within it (a field added or removed, the
 * credential's `validUntil` edited without the bundle's number, a hidden-element placeholder
 * filled in); an edited value is found only against a `reference`: an intact bundle of the
 * same credential (same root and status index), e.g. the holder's original. An empty list means
 * "changed, but which field cannot be told". Never used for the verdict.
 *
 * @example
 * changedFields(tampered, original); // [{ path: "/credentialSubject/achievement/name", message: "its value differs from the original" }]
 */
export function changedFields(bundle: Bundle, reference?: Bundle): FieldChange[] {
  const own = selfInconsistencies(bundle);
  if (!reference || !sameCredential(bundle, reference) || !holds(reference)) return own;
  let found: FieldChange[];
  try {
    found = againstReference(bundle, reference);
  } catch (error) {
    if (!(error instanceof CredanchorError)) throw error;
    return own; // this view cannot even be walked (a bad placeholder): what it says of itself is all there is
  }
  const seen = new Set(found.map((c) => c.path));
  return [...found, ...own.filter((c) => !seen.has(c.path) && c.path !== "")];
}

/**
 * An intact bundle of the same credential among `candidates` (for {@link changedFields}).
 *
 * @example
 * const original = findReference(tampered, otherBundlesDroppedWithIt);
 */
export function findReference(bundle: Bundle, candidates: readonly Bundle[]): Bundle | undefined {
  return candidates.find((c) => c !== bundle && sameCredential(bundle, c) && holds(c));
}
