// The anchor proof: cryptosuite credanchor-merkle-2026, a DataIntegrityProof whose proofValue is the v1 proof bundle minus its credential.
import { bundleView, createBundle, parseBundle, type Bundle, type BundleAnchor } from "../core/bundle.ts";
import { decodeCompactBundle, encodeCompactBundle } from "../core/bundle-compact.ts";
import { discloseCredential, type DisclosedCredential } from "../core/disclosure.ts";
import { BundleError, DisclosureError } from "../core/errors.ts";
import { hexToBytes } from "../core/encoding.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import { proofFromHex } from "../core/merkle-proof.ts";
import { base64urlMultibaseDecode, base64urlMultibaseEncode } from "../core/multibase.ts";

/** Our cryptosuite's name: the year is its version, as in the W3C suites' names. */
export const ANCHOR_CRYPTOSUITE = "credanchor-merkle-2026";

/** An anchor proof as it sits in a credential's proof set. */
export type AnchorProof = {
  type: "DataIntegrityProof";
  cryptosuite: typeof ANCHOR_CRYPTOSUITE;
  proofPurpose: "assertionMethod";
  /** `u` + base64url of the compact bundle (docs/formats.md) without its trailing credential JSON. */
  proofValue: string;
};

// encodeCompactBundle ends with the credential's RFC 8785 JSON: `{}` for the empty object.
const EMPTY_CREDENTIAL = new TextEncoder().encode("{}");

const badProof = (message: string) => new BundleError(`invalid anchor proof: ${message}`, { code: "BUNDLE_INVALID", details: [{ path: "proof", message }] });

/**
 * The proof set of a credential as a list (a single `proof` object counts as a set of one).
 *
 * @example
 * proofsOf(vc).filter((p) => p.cryptosuite === "eddsa-rdfc-2022");
 */
export function proofsOf(credential: JsonObject): JsonObject[] {
  const proof = credential.proof;
  const list = proof === undefined ? [] : Array.isArray(proof) ? proof : [proof];
  return list.filter(isPlainObject);
}

/**
 * The credential without its proof set: what every proof of the set signs or anchors.
 *
 * @example
 * withoutProofs(vc).proof; // undefined
 */
export function withoutProofs(credential: JsonObject): JsonObject {
  const { proof: _proof, ...rest } = credential;
  return rest;
}

/**
 * The anchor proof carrying a bundle's anchoring data (everything but its credential).
 *
 * @throws BundleError `BUNDLE_INVALID` when the bundle does not match the schema.
 *
 * @example
 * const proof = anchorProofOf(bundle); // { type: "DataIntegrityProof", cryptosuite: "credanchor-merkle-2026", … }
 */
export function anchorProofOf(bundle: Bundle): AnchorProof {
  const bytes = encodeCompactBundle({ ...bundle, credential: {} });
  return {
    type: "DataIntegrityProof",
    cryptosuite: ANCHOR_CRYPTOSUITE,
    proofPurpose: "assertionMethod",
    proofValue: base64urlMultibaseEncode(bytes.subarray(0, bytes.length - EMPTY_CREDENTIAL.length)),
  };
}

/**
 * The v1 bundle a credential with an anchor proof stands for: its credential is the VC
 * without proofs, the rest comes from the anchor proof's `proofValue`.
 *
 * @throws BundleError `BUNDLE_INVALID`: no anchor proof, more than one, or a malformed one.
 *
 * @example
 * const report = await verifyBundle(vcToBundle(vc), { trust, rpc }); // the v1 verifier checks it
 */
export function vcToBundle(credential: JsonObject): Bundle {
  const anchors = proofsOf(credential).filter((p) => p.cryptosuite === ANCHOR_CRYPTOSUITE);
  if (anchors.length !== 1) throw badProof(anchors.length === 0 ? `no ${ANCHOR_CRYPTOSUITE} proof` : `${anchors.length} ${ANCHOR_CRYPTOSUITE} proofs: one expected`);
  const proof = anchors[0]!;
  if (proof.type !== "DataIntegrityProof") throw badProof('type must be "DataIntegrityProof"');
  if (proof.proofPurpose !== "assertionMethod") throw badProof('proofPurpose must be "assertionMethod"');
  const bytes = typeof proof.proofValue === "string" ? base64urlMultibaseDecode(proof.proofValue) : undefined;
  if (!bytes) throw badProof("proofValue must be u + unpadded base64url");
  const full = new Uint8Array(bytes.length + EMPTY_CREDENTIAL.length);
  full.set(bytes);
  full.set(EMPTY_CREDENTIAL, bytes.length);
  const decoded = decodeCompactBundle(full);
  return parseBundle({ ...decoded, credential: withoutProofs(credential) });
}

/**
 * The VC form of a v1 bundle: its credential with the anchor proof as its proof set. A
 * credential that already has a `proof` member cannot carry one (that member is part of what
 * the bundle anchors).
 *
 * @throws BundleError `BUNDLE_INVALID`.
 *
 * @example
 * const vc = bundleToVc(decodeBundle(text));
 */
export function bundleToVc(bundle: Bundle): JsonObject {
  parseBundle(bundle);
  if (bundle.credential.proof !== undefined) throw badProof("the bundle's credential has a proof member: its VC form would hide it");
  return { ...bundle.credential, proof: anchorProofOf(bundle) as unknown as JsonObject };
}

/**
 * Adds the anchor proof to a signed credential, as an independent member of its proof set
 * (after the eddsa proof, not chained to it). `salts` are those the credential without
 * proofs was prepared with (prepareCredential); `anchor` says where it is anchored.
 *
 * @throws BundleError / ValidationError when the parts do not make a valid bundle.
 *
 * @example
 * const anchored = addAnchorProof(signed, prepared.salts, { chainId, registry, issuerId, statusIndex, validFrom, validUntil, leaf, proof, root, txHash, blockNumber });
 */
export function addAnchorProof(credential: JsonObject, salts: Uint8Array, anchor: BundleAnchor): JsonObject {
  const view: DisclosedCredential = { credential: withoutProofs(credential), salts, hiddenFieldHashes: [], hiddenElements: [] };
  const proof = anchorProofOf(createBundle(view, anchor));
  const others = proofsOf(credential).filter((p) => p.cryptosuite !== ANCHOR_CRYPTOSUITE);
  return { ...credential, proof: [...others, proof as unknown as JsonObject] };
}

// Hiding these would leave no credential a verifier can read or attribute.
const UNHIDEABLE = /^\/(@context|type|issuer|credentialStatus)(\/|$)/;

/**
 * A holder's derived credential: the fields at `hide` (JSON pointers into the credential)
 * removed, the anchor proof re-expressed for the view (it still verifies). The issuer's
 * signature covers the whole credential, so it is dropped: verifiers report it as not
 * applicable, not as a failure.
 *
 * @throws DisclosureError `DISCLOSURE_INVALID` (bad pointer; `@context`, `type`, `issuer` and
 *   `credentialStatus` cannot be hidden); BundleError without a valid anchor proof.
 *
 * @example
 * const shown = deriveCredential(anchored, ["/credentialSubject/id"]);
 */
export function deriveCredential(credential: JsonObject, hide: readonly string[]): JsonObject {
  const refused = hide.filter((p) => UNHIDEABLE.test(p));
  if (refused.length > 0) {
    throw new DisclosureError("these fields cannot be hidden in a VC", { code: "DISCLOSURE_INVALID", details: refused.map((path) => ({ path, message: "needed to read or attribute the credential" })) });
  }
  const bundle = vcToBundle(credential);
  const view = discloseCredential(bundleView(bundle), hide);
  const { version: _v, credential: _c, salts: _s, hiddenFieldHashes: _h, hiddenElements: _e, ...anchor } = bundle;
  const bytes32 = (h: string) => hexToBytes(h, 32)!; // the schema checked every hash
  return bundleToVc(createBundle(view, { ...anchor, leaf: bytes32(anchor.leaf), proof: proofFromHex(anchor.proof)!, root: bytes32(anchor.root), txHash: bytes32(anchor.txHash) }));
}
