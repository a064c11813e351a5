// The proof bundle a holder keeps (version 1): schema, encode/decode, and the digest it recomputes to.
import { isAddress } from "./address.ts";
import { z } from "zod";
import { canonicalize } from "./canonical.ts";
import { credentialDigest, type AnchorContext } from "./digest.ts";
import { disclosedFieldHashes, type DisclosedCredential } from "./disclosure.ts";
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes } from "./encoding.ts";
import { BundleError, CredanchorError, DisclosureError, type ErrorDetail } from "./errors.ts";
import { JSON_LIMITS, isPlainObject, parseJson, type JsonLimits, type JsonObject } from "./json.ts";
import { credentialLeaf } from "./leaf.ts";
import { proofToHex, type MerkleProof } from "./merkle-proof.ts";
import { SALT_BYTES } from "./salt.ts";
import { readValidity } from "./validity.ts";

/** The bundle format version this code writes and reads. */
export const BUNDLE_VERSION = 1;

/** Limits for a bundle's JSON text: a credential at its limits plus room for the envelope. */
export const BUNDLE_LIMITS: JsonLimits = Object.freeze({
  maxBytes: JSON_LIMITS.maxBytes * 2,
  maxDepth: JSON_LIMITS.maxDepth + 1,
  maxFields: JSON_LIMITS.maxFields * 2 + 200,
});

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, { error: "must be 0x and 64 lowercase hex digits" });
const uint = (min: number, max: number, what: string) =>
  z.number({ error: `must be a number (${what})` }).int({ error: `must be an integer (${what})` }).min(min, { error: `must be ≥ ${min}` }).max(max, { error: `must be ≤ ${max}` });

/**
 * The proof bundle, version 1: the source of truth for `docs/bundle.schema.json`.
 * Hashes are lowercase hex; salts are one unpadded base64url string (16 bytes per disclosed
 * field, in field order); numbers are JSON integers (all fit IEEE 754 doubles exactly).
 */
export const BundleSchema = z
  .strictObject({
    version: z.literal(BUNDLE_VERSION, { error: `must be ${BUNDLE_VERSION}` }).describe("Bundle format version."),
    credential: z
      .record(z.string(), z.json())
      .describe("The credential, or the disclosed view of it: hidden members absent, hidden array elements null (listed in hiddenElements)."),
    salts: z
      .string()
      .regex(/^[A-Za-z0-9_-]*$/, { error: "must be unpadded base64url" })
      .refine((s) => base64urlToBytes(s)?.length !== undefined && base64urlToBytes(s)!.length % SALT_BYTES === 0, {
        error: `must encode a whole number of ${SALT_BYTES}-byte salts`,
      })
      .describe("Salts of the disclosed fields, 16 bytes each in field order, concatenated, unpadded base64url."),
    hiddenFieldHashes: z.array(hex32).describe("Field hashes of the hidden fields, sorted ascending, no duplicates."),
    hiddenElements: z.array(z.string()).describe("JSON pointers of hidden array elements (null placeholders in credential)."),
    validFrom: uint(0, Number.MAX_SAFE_INTEGER, "unix seconds").describe("Unix seconds of validFrom the digest commits to; 0 if absent."),
    validUntil: uint(0, Number.MAX_SAFE_INTEGER, "unix seconds").describe("Unix seconds of validUntil the digest commits to; 0 if absent."),
    chainId: uint(1, Number.MAX_SAFE_INTEGER, "EVM chain id").describe("EVM chain id of the anchor."),
    registry: z
      .string()
      .refine((s) => isAddress(s), { error: "must be a 20-byte 0x address (EIP-55 checksum if mixed case)" })
      .describe("Address of the CredentialRegistry contract holding the anchor."),
    issuerId: uint(1, Number.MAX_SAFE_INTEGER, "on-chain issuer id").describe("The issuer's numeric id in the IssuerRegistry (uint64)."),
    statusIndex: uint(0, 0xffff_ffff, "uint32").describe("Index of the credential in the issuer's status bitmaps."),
    leaf: hex32.describe("Merkle leaf: keccak256(keccak256(digest))."),
    proof: z.array(hex32).max(64, { error: "at most 64 proof nodes" }).describe("Merkle proof: sibling hashes from the leaf up (OpenZeppelin MerkleProof, sorted pairs)."),
    root: hex32.describe("Merkle root anchored on-chain."),
    txHash: hex32.describe("Hash of the transaction that anchored the root."),
    blockNumber: uint(0, Number.MAX_SAFE_INTEGER, "block number").describe("Block that included the anchoring transaction."),
  })
  .describe("credanchor proof bundle, version 1 (docs/formats.md)");

/**
 * The JSON Schema of the bundle (draft 2020-12), generated from {@link BundleSchema}: what
 * `docs/bundle.schema.json` holds.
 *
 * @example
 * writeFileSync("docs/bundle.schema.json", JSON.stringify(bundleJsonSchema(), null, 2) + "\n");
 */
export function bundleJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(BundleSchema), $id: "https://credanchor.dev/schemas/bundle-v1.schema.json", title: "credanchor proof bundle v1" };
}

/** A decoded proof bundle. */
export type Bundle = z.infer<typeof BundleSchema> & { credential: JsonObject };

/**
 * Encodes a bundle as RFC 8785 canonical JSON, after checking it against the schema.
 * Canonical form makes `encodeBundle(decodeBundle(text)) === text` for any encoded bundle.
 *
 * @throws BundleError `BUNDLE_INVALID` with one detail per schema problem.
 *
 * @example
 * const text = encodeBundle(bundle); // '{"blockNumber":…,"chainId":…,…,"version":1}'
 */
export function encodeBundle(bundle: Bundle): string {
  parseBundle(bundle);
  try {
    return canonicalize(bundle, BUNDLE_LIMITS);
  } catch (error) {
    throw asBundleError(error);
  }
}

/**
 * Decodes a bundle from its JSON text: strict JSON (no duplicate names, limits), then the
 * schema. Does not check integrity or inclusion: see {@link bundleDigest} and the Merkle proof.
 *
 * @throws BundleError `BUNDLE_UNSUPPORTED_VERSION`, or `BUNDLE_INVALID` listing every problem with its path.
 *
 * @example
 * const bundle = decodeBundle(await file.text());
 */
export function decodeBundle(text: string): Bundle {
  let raw: unknown;
  try {
    raw = parseJson(text, BUNDLE_LIMITS);
  } catch (error) {
    throw asBundleError(error);
  }
  return parseBundle(raw);
}

/**
 * Checks an already parsed value against the bundle schema (what {@link decodeBundle} does
 * after parsing the text).
 *
 * @throws BundleError `BUNDLE_UNSUPPORTED_VERSION`, or `BUNDLE_INVALID` listing every problem with its path.
 *
 * @example
 * const bundle = parseBundle(JSON.parse(text)); // prefer decodeBundle(text): it refuses duplicate names
 */
export function parseBundle(raw: unknown): Bundle {
  if (isPlainObject(raw) && raw.version !== BUNDLE_VERSION && typeof raw.version === "number") {
    throw new BundleError(`unsupported bundle version ${raw.version}`, {
      code: "BUNDLE_UNSUPPORTED_VERSION",
      details: [{ path: "version", message: `this implementation reads version ${BUNDLE_VERSION}` }],
    });
  }
  const data = wellFormedBundle(raw) ?? schemaParse(raw);
  // zod rebuilds records by assignment, which would turn a member named "__proto__" into a
  // prototype: keep the credential exactly as given, once it is known to be canonicalisable.
  const credential = (raw as Bundle).credential;
  try {
    canonicalize(credential);
  } catch (error) {
    throw asBundleError(error, "credential");
  }
  return { ...data, credential };
}

/** The schema's parse, its problems as `BUNDLE_INVALID` details. */
function schemaParse(raw: unknown): Omit<Bundle, "credential"> {
  const result = BundleSchema.safeParse(raw);
  if (result.success) return result.data;
  const details: ErrorDetail[] = result.error.issues.map((issue) => ({
    path: dotted(issue.path),
    message: issue.code === "unrecognized_keys" ? `unknown member(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}` : issue.message,
  }));
  throw new BundleError(`invalid proof bundle: ${details.length} problem${details.length === 1 ? "" : "s"}`, { code: "BUNDLE_INVALID", details });
}

const HEX32 = /^0x[0-9a-f]{64}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** The schema's members, in its order (zod's output order). */
const MEMBERS = Object.keys(BundleSchema.shape);
const isUint = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isHex32 = (v: unknown): v is string => typeof v === "string" && HEX32.test(v);
/** A dense array whose every element passes `each` (a hole is an element `undefined`, as zod reads it). */
const isArrayOf = (v: unknown, each: (e: unknown) => boolean, max = Infinity): v is unknown[] => {
  if (!Array.isArray(v) || v.length > max) return false;
  for (let i = 0; i < v.length; i++) if (!each(v[i])) return false;
  return true;
};
/** A plain object (or array) holding JSON values only, no symbol, hidden or `__proto__` member: what `z.json()` surely accepts. */
function isJsonValue(v: unknown): boolean {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return Object.getPrototypeOf(v) === Array.prototype && isArrayOf(v, isJsonValue);
  return isJsonObject(v);
}
function isJsonObject(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  if (Reflect.ownKeys(v).length !== keys.length) return false;
  for (const key of keys) if (key === "__proto__" || !isJsonValue(v[key])) return false;
  return true;
}

/**
 * The bundle as the schema's parse would give it, when it surely holds (zod's validation costs a
 * tenth of a verification's CPU); `undefined` when in doubt, and the schema then decides and says
 * why. Accepts only what the schema accepts (test/core/bundle-fast-parse.test.ts compares them).
 */
function wellFormedBundle(raw: unknown): Omit<Bundle, "credential"> | undefined {
  if (!isPlainObject(raw)) return undefined;
  const keys = Object.keys(raw);
  if (keys.length !== MEMBERS.length || Reflect.ownKeys(raw).length !== keys.length || !MEMBERS.every((m) => Object.hasOwn(raw, m))) return undefined;
  const b = raw as Record<string, unknown>;
  const salts = b.salts;
  const ok =
    b.version === BUNDLE_VERSION &&
    isJsonObject(b.credential) &&
    typeof salts === "string" &&
    BASE64URL.test(salts) &&
    (base64urlToBytes(salts)?.length ?? 1) % SALT_BYTES === 0 &&
    isArrayOf(b.hiddenFieldHashes, isHex32) &&
    isArrayOf(b.hiddenElements, (e) => typeof e === "string") &&
    isUint(b.validFrom, 0, Number.MAX_SAFE_INTEGER) &&
    isUint(b.validUntil, 0, Number.MAX_SAFE_INTEGER) &&
    isUint(b.chainId, 1, Number.MAX_SAFE_INTEGER) &&
    typeof b.registry === "string" &&
    isAddress(b.registry) &&
    isUint(b.issuerId, 1, Number.MAX_SAFE_INTEGER) &&
    isUint(b.statusIndex, 0, 0xffff_ffff) &&
    isHex32(b.leaf) &&
    isArrayOf(b.proof, isHex32, 64) &&
    isHex32(b.root) &&
    isHex32(b.txHash) &&
    isUint(b.blockNumber, 0, Number.MAX_SAFE_INTEGER);
  if (!ok) return undefined;
  // The schema's output: its members in its order, arrays copied (parseBundle then keeps the credential as given).
  const out: Record<string, unknown> = {};
  for (const m of MEMBERS) {
    const v = b[m];
    out[m] = Array.isArray(v) ? Array.from({ length: v.length }, (_, i) => v[i] as unknown) : v;
  }
  return out as Omit<Bundle, "credential">;
}

function dotted(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : `${out === "" ? "" : "."}${String(key)}`;
  return out;
}

// Re-labels a JSON problem as a bundle problem; `prefix` places JSON-pointer paths inside the bundle.
function asBundleError(error: unknown, prefix = ""): BundleError {
  if (!(error instanceof CredanchorError)) throw error;
  const details = error.details.map((d) => ({ path: prefix + d.path, message: d.message }));
  return new BundleError(`invalid proof bundle: ${error.shortMessage}`, { code: "BUNDLE_INVALID", details, cause: error });
}

/** What is needed besides a disclosed view to make a bundle. */
export type BundleAnchor = AnchorContext & {
  validFrom: number;
  validUntil: number;
  leaf: Uint8Array;
  /** The Merkle proof as merkle.ts gives it: sibling hashes concatenated, 32 bytes each. */
  proof: MerkleProof;
  root: Uint8Array;
  txHash: Uint8Array;
  blockNumber: number;
};

/**
 * Assembles a bundle from a (possibly disclosed) credential and where it is anchored.
 *
 * @example
 * const bundle = createBundle(discloseCredential(full, ["/credentialSubject/id"]), { ...context, ...window, leaf, proof, root, txHash, blockNumber });
 */
export function createBundle(view: DisclosedCredential, anchor: BundleAnchor): Bundle {
  const bundle: Bundle = {
    version: BUNDLE_VERSION,
    credential: view.credential,
    salts: bytesToBase64url(view.salts),
    hiddenFieldHashes: view.hiddenFieldHashes.map(bytesToHex),
    hiddenElements: [...view.hiddenElements],
    validFrom: anchor.validFrom,
    validUntil: anchor.validUntil,
    chainId: Number(anchor.chainId),
    registry: anchor.registry as `0x${string}`,
    issuerId: Number(anchor.issuerId),
    statusIndex: anchor.statusIndex,
    leaf: bytesToHex(anchor.leaf),
    proof: proofToHex(anchor.proof),
    root: bytesToHex(anchor.root),
    txHash: bytesToHex(anchor.txHash),
    blockNumber: anchor.blockNumber,
  };
  parseBundle(bundle);
  return bundle;
}

/**
 * The disclosed view inside a bundle, as bytes.
 *
 * @example
 * const view = bundleView(bundle); // then discloseCredential(view, [...]) to hide more
 */
export function bundleView(bundle: Bundle): DisclosedCredential {
  return {
    credential: bundle.credential,
    salts: base64urlToBytes(bundle.salts) ?? new Uint8Array(1), // the schema checked it; 1 byte would fail loudly
    hiddenFieldHashes: bundle.hiddenFieldHashes.map((h) => hexToBytes(h, 32)!),
    hiddenElements: bundle.hiddenElements,
  };
}

/**
 * Recomputes a bundle's digest and leaf from its credential, salts, hidden hashes and anchor
 * fields (the integrity check). Compare `leaf` with `bundle.leaf`, then check `bundle.proof`.
 * A disclosed `validFrom` / `validUntil` must equal the bundle's numbers.
 *
 * @throws DisclosureError `DISCLOSURE_MISMATCH` when the view cannot be the committed one.
 *
 * @example
 * const { leaf } = bundleDigest(bundle);
 * if (bytesToHex(leaf) !== bundle.leaf) … // tampered
 */
export function bundleDigest(bundle: Bundle): { digest: Uint8Array; leaf: Uint8Array } {
  const { window } = readValidity(bundle.credential);
  for (const name of ["validFrom", "validUntil"] as const) {
    if (Object.prototype.hasOwnProperty.call(bundle.credential, name) && window[name] !== bundle[name]) {
      throw new DisclosureError(`the credential's ${name} differs from the bundle's`, {
        code: "DISCLOSURE_MISMATCH",
        details: [{ path: name, message: `the credential says ${window[name]}, the bundle ${bundle[name]} (unix seconds)` }],
      });
    }
  }
  const digest = credentialDigest({
    context: { chainId: bundle.chainId, registry: bundle.registry, issuerId: bundle.issuerId, statusIndex: bundle.statusIndex },
    validFrom: bundle.validFrom,
    validUntil: bundle.validUntil,
    fieldHashes: disclosedFieldHashes(bundleView(bundle)),
  });
  return { digest, leaf: credentialLeaf(digest) };
}
