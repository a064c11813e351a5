// Verifying a VC (ours or anyone's did:key VC) and a VP: each proof and each check reported separately, warnings apart from failures.
import * as vc from "@digitalbazaar/vc";
import { bundleDigest, type Bundle } from "../core/bundle.ts";
import { bytesToHex, hexToBytes } from "../core/encoding.ts";
import { CredanchorError } from "../core/errors.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import { proofFromHex, verifyMerkleProof } from "../core/merkle-proof.ts";
import { readValidity } from "../core/validity.ts";
import { UNDECIDED_CODES } from "../verifier/result.ts";
import { verifyBundle, type VerifyOptions as BundleVerifyOptions } from "../verifier/verify-bundle.ts";
import { ANCHOR_CRYPTOSUITE, proofsOf, vcToBundle } from "./anchor-proof.ts";
import { defaultDocumentLoader, type DocumentLoader } from "./document-loader.ts";
import { asJsonLdError } from "./jsonld-errors.ts";
import { publicKeyOfDidKey } from "./keys.ts";
import { chainStatusEntryOf } from "./status-entries.ts";
import { verifyingSuites } from "./suites.ts";

/** The checks of a VC verification, in order. */
export const VC_CHECK_NAMES = ["format", "signature", "integrity", "inclusion", "anchored", "issuer", "status", "validity", "identity"] as const;
export type VcCheckName = (typeof VC_CHECK_NAMES)[number] | "presentation";

export type VcCheck = { name: VcCheckName; outcome: "pass" | "fail" | "skip"; code: string; message: string };
export type VcWarning = { code: string; message: string };
export type VcVerdict = "valid" | "invalid" | "error";

/** What the registry says of an Ed25519 assertion key (the v2 IssuerRegistry, or any directory the caller trusts). */
export type KeyBindingAnswer =
  | { bound: false }
  | {
      bound: true;
      /** The on-chain issuer the key belongs to. */
      issuerId: bigint | number;
      /** The issuer's organisational identity (DID or URL) as the accreditor set it, for reports. */
      identity?: string;
      /** Unix seconds: valid from `addedAt`, until `retiredAt` (exclusive); `compromisedFrom` voids everything from then on. */
      addedAt: number;
      retiredAt?: number;
      compromisedFrom?: number;
    };
/** Looks up a raw 32-byte Ed25519 public key. */
export type KeyBinding = (publicKey: Uint8Array) => Promise<KeyBindingAnswer>;

export type VerifyVcOptions = {
  /** Binds signing keys to on-chain issuers; without it any did:key signature is accepted as the claimed issuer's own (identity = the key). */
  keyBinding?: KeyBinding;
  /** Chain access for the anchor proof (trusted deployments + RPC); without it only its off-chain parts are checked. */
  chain?: Pick<BundleVerifyOptions, "trust" | "rpc" | "privacy">;
  /** Unix seconds now (injectable for tests). */
  now?: () => number;
  documentLoader?: DocumentLoader;
};

export type VcVerificationReport = {
  verdict: VcVerdict;
  checks: VcCheck[];
  warnings: VcWarning[];
  /** The signing key's did:key and its verification method, when an issuer signature verified. */
  signer?: { did: string; verificationMethod: string; cryptosuite: string };
  /** What the anchor proof says and the chain confirmed. */
  anchor?: { chainId: number; registry: string; issuerId: number; statusIndex: number; anchoredAt?: number; blockNumber: number };
};

const SIGNATURE_SUITES = new Set(["eddsa-rdfc-2022", "eddsa-jcs-2022"]);
const check = (name: VcCheckName, outcome: VcCheck["outcome"], code: string, message: string): VcCheck => ({ name, outcome, code, message });

function verdictOf(checks: readonly VcCheck[]): VcVerdict {
  if (checks.some((c) => c.outcome === "fail")) return "invalid";
  if (checks.some((c) => c.outcome === "skip" && (UNDECIDED_CODES as ReadonlySet<string>).has(c.code))) return "error";
  return "valid";
}

function describe(error: unknown): { code: string; message: string } {
  const mapped = asJsonLdError(error);
  if (mapped) return { code: mapped.reason, message: mapped.shortMessage };
  if (error instanceof CredanchorError) return { code: error.code, message: error.message.split("\n").slice(0, 2).join(": ") };
  const e = error as { message?: string; errors?: Array<{ message?: string }> };
  return { code: "ERROR", message: (e?.errors?.[0]?.message ?? e?.message ?? String(error)).split("\n")[0]! };
}

const issuerIdOf = (credential: JsonObject): string | undefined => {
  const issuer = credential.issuer;
  if (typeof issuer === "string") return issuer;
  return isPlainObject(issuer) && typeof issuer.id === "string" ? issuer.id : undefined;
};

const iso = (t: number) => new Date(t * 1000).toISOString();

type SignatureOutcome = { check: VcCheck; warnings: VcWarning[]; signer?: VcVerificationReport["signer"]; created?: number };

/** The issuer's signature(s): every eddsa / Ed25519Signature2020 proof, through @digitalbazaar/vc. */
async function checkSignature(credential: JsonObject, derived: boolean, hasAnchor: boolean, documentLoader: DocumentLoader): Promise<SignatureOutcome> {
  const signatures = proofsOf(credential).filter((p) => p.type === "Ed25519Signature2020" || (p.type === "DataIntegrityProof" && SIGNATURE_SUITES.has(String(p.cryptosuite))));
  if (signatures.length === 0) {
    if (!hasAnchor) return { check: check("signature", "fail", "NO_PROOF", "no issuer signature and no anchor proof"), warnings: [] };
    const why = derived ? "a derived credential (fields hidden): the issuer's signature covers the whole credential, so it does not apply; the anchor proof vouches for the disclosed fields" : "anchor-only credential: no issuer signature, the anchor proof vouches for it";
    return { check: check("signature", "skip", derived ? "SIGNATURE_NOT_APPLICABLE" : "NO_SIGNATURE", why), warnings: [{ code: derived ? "SIGNATURE_NOT_APPLICABLE" : "NO_SIGNATURE", message: why }] };
  }
  // Dates are judged by the validity check: let the signature check run inside the window.
  const { window } = readValidity(credential);
  const at = window.validFrom > 0 ? iso(window.validFrom) : typeof credential.issuanceDate === "string" ? credential.issuanceDate : undefined;
  const result = await vc.verifyCredential({
    credential: JSON.parse(JSON.stringify(credential)) as JsonObject, // a copy: the suites may touch what they verify
    suite: verifyingSuites(signatures.map((p) => String(p.type === "DataIntegrityProof" ? p.cryptosuite : p.type))),
    documentLoader,
    checkStatus: async () => ({ verified: true }), // status is its own check
    ...(at ? { now: at } : {}),
  }).catch((error: unknown) => ({ verified: false, error: error as Error, results: undefined }));
  const verified = (result.results ?? []).filter((r) => r.verified);
  if (!result.verified || verified.length !== signatures.length) {
    const failure = (result.results ?? []).find((r) => !r.verified)?.error ?? result.error;
    const { code, message } = describe(failure);
    if (derived) {
      const why = `a derived credential (fields hidden): the issuer's signature does not apply (${message}); the anchor proof vouches for the disclosed fields`;
      return { check: check("signature", "skip", "SIGNATURE_NOT_APPLICABLE", why), warnings: [{ code: "SIGNATURE_NOT_APPLICABLE", message: why }] };
    }
    return { check: check("signature", "fail", code === "ERROR" ? "SIGNATURE_INVALID" : code, `the issuer's signature does not verify: ${message}`), warnings: [] };
  }
  const proof = verified[0]!.proof;
  const verificationMethod = String(proof.verificationMethod);
  const suite = String(proof.cryptosuite ?? proof.type);
  const created = typeof proof.created === "string" ? Math.floor(Date.parse(proof.created) / 1000) : undefined;
  return {
    check: check("signature", "pass", "OK", `${suite} by ${verificationMethod}${signatures.length > 1 ? ` (${signatures.length} signatures)` : ""}`),
    warnings: [],
    signer: { did: verificationMethod.split("#")[0]!, verificationMethod, cryptosuite: suite },
    ...(created !== undefined && Number.isFinite(created) ? { created } : {}),
  };
}

/** The anchor proof: off-chain (integrity, inclusion) always, on-chain (anchored, issuer, status) with `chain`. */
async function checkAnchor(bundle: Bundle, options: VerifyVcOptions, now: number): Promise<{ checks: VcCheck[]; anchoredAt?: number }> {
  if (options.chain) {
    // The chain's issuer check also accepts a did:key issuer: one the registry binds to the
    // anchoring issuer as an assertion key valid at the anchoring time (src/verifier/chain-checks.ts).
    const report = await verifyBundle(bundle, { ...options.chain, now: () => now });
    const checks = report.checks.filter((c) => c.name !== "format" && c.name !== "validity").map((c) => ({ ...c }) as VcCheck);
    return { checks, ...(report.anchor ? { anchoredAt: report.anchor.anchoredAt } : {}) };
  }
  const checks: VcCheck[] = [];
  let leaf: Uint8Array | undefined;
  try {
    leaf = bundleDigest(bundle).leaf;
  } catch (error) {
    const { code, message } = describe(error);
    checks.push(check("integrity", "fail", code, message));
  }
  if (leaf && bytesToHex(leaf) !== bundle.leaf) {
    checks.push(check("integrity", "fail", "LEAF_MISMATCH", "the credential, salts and hidden hashes do not recompute to the anchor proof's leaf: the credential was changed"));
    leaf = undefined;
  } else if (leaf) checks.push(check("integrity", "pass", "OK", "the disclosed fields, salts and hidden hashes recompute the leaf"));
  if (!leaf) checks.push(check("inclusion", "skip", "INTEGRITY_FAILED", "skipped: integrity failed"));
  else if (verifyMerkleProof(leaf, proofFromHex(bundle.proof)!, hexToBytes(bundle.root, 32)!)) checks.push(check("inclusion", "pass", "OK", `the Merkle proof (${bundle.proof.length} nodes) leads from the leaf to the root`));
  else checks.push(check("inclusion", "fail", "PROOF_INVALID", "the Merkle proof does not lead from the leaf to the root"));
  for (const name of ["anchored", "issuer", "status"] as const) checks.push(check(name, "skip", "NOT_CHECKED", "skipped: no chain access was given"));
  return { checks };
}

function checkValidity(credential: JsonObject, now: number): VcCheck {
  const { window, issues } = readValidity(credential);
  if (issues.length > 0) return check("validity", "fail", "DATE_INVALID", `${issues[0]!.path}: ${issues[0]!.message}`);
  if (window.validFrom !== 0 && now < window.validFrom) return check("validity", "fail", "NOT_YET_VALID", `not valid before ${iso(window.validFrom)}`);
  if (window.validUntil !== 0 && now > window.validUntil) return check("validity", "fail", "EXPIRED", `expired at ${iso(window.validUntil)}`);
  return check("validity", "pass", "OK", `valid${window.validFrom ? ` from ${iso(window.validFrom)}` : ""}${window.validUntil ? ` until ${iso(window.validUntil)}` : " with no end date"}`);
}

/**
 * Issuer identity: the claimed issuer must be the signing did:key; with a key binding, that key
 * must belong to the on-chain issuer the anchor and status entry name, and be valid when the
 * credential was made: at its anchoring time when the chain confirmed it, else at the proof's
 * `created` (a compromised key's claims of time are not believed: it fails).
 */
async function checkIdentity(credential: JsonObject, signature: SignatureOutcome, bundle: Bundle | undefined, anchoredAt: number | undefined, keyBinding: KeyBinding | undefined): Promise<VcCheck> {
  const claimed = issuerIdOf(credential);
  if (!claimed) return check("identity", "fail", "NO_ISSUER", "the credential names no issuer");
  const chainEntry = chainStatusEntryOf(credential);
  if (bundle && chainEntry && (BigInt(chainEntry.chainId) !== BigInt(bundle.chainId) || chainEntry.registry.toLowerCase() !== bundle.registry.toLowerCase() || BigInt(chainEntry.issuerId) !== BigInt(bundle.issuerId) || Number(chainEntry.statusIndex) !== bundle.statusIndex)) {
    return check("identity", "fail", "STATUS_ENTRY_MISMATCH", "the on-chain status entry names another chain, registry, issuer or index than the anchor proof");
  }
  const signer = signature.signer?.did;
  if (signer !== undefined && signer !== claimed) return check("identity", "fail", "ISSUER_NOT_SIGNER", `the credential claims issuer ${claimed} but is signed by ${signer}`);
  if (signer === undefined && !bundle) return check("identity", "skip", "NO_SIGNATURE", "skipped: no verified signature");
  // An anchor-only credential naming its issuer by organisational identity (an exported v1
  // bundle, a did:web issuer): no key to look up; the anchor's chain checks compare that identity
  // with the one the chain records for the anchoring issuer.
  const organisational = signer === undefined && bundle !== undefined && !claimed.startsWith("did:key:");
  if (!keyBinding || organisational) {
    if (signer === undefined) return check("identity", "skip", "ANCHOR_ONLY", `the anchor proof names on-chain issuer ${bundle!.issuerId}; no signature or key registry binds the claimed issuer ${claimed}`);
    return check("identity", "pass", "SELF_CERTIFIED", `issuer ${signer} signed it (no key registry consulted)`);
  }
  // Without a signature (a derived credential), the claimed did:key is checked against the
  // issuer the chain says anchored it.
  const did = signer ?? claimed;
  if (signer === undefined && anchoredAt === undefined) return check("identity", "skip", "NOT_CHECKED", "skipped: without a signature, the key is judged at its anchoring time, and the chain was not read");
  let publicKey: Uint8Array;
  try {
    publicKey = publicKeyOfDidKey(did);
  } catch {
    return check("identity", "fail", "KEY_NOT_BOUND", `${did} is not an Ed25519 did:key: no registry can bind it`);
  }
  let answer: KeyBindingAnswer;
  try {
    answer = await keyBinding(publicKey);
  } catch (error) {
    return check("identity", "skip", "RPC_UNAVAILABLE", `could not look up the key: ${describe(error).message}`);
  }
  if (!answer.bound) {
    // A credential that claims nothing of the chain (no anchor proof, no on-chain status entry),
    // issued by the did:key that signed it, is that key's own: VC-API verifiers accept anyone's.
    // Anything claiming an on-chain issuer must have its key bound.
    if (signer !== undefined && !bundle && !chainEntry) return check("identity", "pass", "SELF_CERTIFIED", `issuer ${signer} signed it; that key is bound to no issuer on-chain (not an accredited issuer's credential)`);
    return check("identity", "fail", "KEY_NOT_BOUND", `${did} is not registered to any issuer`);
  }
  const who = answer.identity ?? `issuer ${answer.issuerId}`;
  const expectedIssuer = bundle?.issuerId ?? (chainEntry ? chainEntry.issuerId : undefined);
  if (expectedIssuer !== undefined && BigInt(expectedIssuer) !== BigInt(answer.issuerId)) {
    return check("identity", "fail", "KEY_OF_OTHER_ISSUER", `${did} belongs to ${who}, but the credential is anchored/registered under issuer ${expectedIssuer}`);
  }
  const attested = anchoredAt !== undefined;
  const at = anchoredAt ?? signature.created;
  if (answer.compromisedFrom !== undefined && (!attested || at === undefined || at >= answer.compromisedFrom)) {
    return check("identity", "fail", "KEY_COMPROMISED", `${did} is compromised from ${iso(answer.compromisedFrom)}${attested ? `; the credential was anchored at ${iso(at!)}` : " and the credential has no chain-attested time before it"}`);
  }
  if (at === undefined) return check("identity", "fail", "NO_TIME", "neither an anchoring time nor a proof creation time says when the key was used");
  if (at < answer.addedAt) return check("identity", "fail", "KEY_NOT_YET_VALID", `${did} was registered at ${iso(answer.addedAt)}, after the credential (${iso(at)})`);
  if (answer.retiredAt !== undefined && at >= answer.retiredAt) return check("identity", "fail", "KEY_RETIRED", `${did} was retired at ${iso(answer.retiredAt)}, before the credential (${iso(at)})`);
  return check("identity", "pass", "BOUND", `${did} belongs to ${who}, valid at ${iso(at)}${attested ? " (anchoring time)" : " (proof creation time)"}`);
}

/**
 * Verifies a VC: the issuer's signature (eddsa-rdfc-2022, eddsa-jcs-2022 or Ed25519Signature2020,
 * through `@digitalbazaar/vc`), the anchor proof (integrity and inclusion; anchored, issuer
 * authorised, a did:key issuer included, and on-chain status through verifyBundle's chain checks when `chain` is given), validity
 * dates and issuer identity. Never throws for bad input. A derived credential's inapplicable
 * signature is a warning, not a failure.
 *
 * @example
 * const report = await verifyVc(vc, { chain: { trust, rpc: { 31337: url } }, keyBinding });
 * report.verdict; // "valid" | "invalid" | "error"
 */
export async function verifyVc(input: unknown, options: VerifyVcOptions = {}): Promise<VcVerificationReport> {
  const now = options.now?.() ?? Math.floor(Date.now() / 1000);
  const documentLoader = options.documentLoader ?? defaultDocumentLoader();
  if (!isPlainObject(input) || input.proof === undefined) {
    const checks = [check("format", "fail", "CREDENTIAL_INVALID", isPlainObject(input) ? "the credential has no proof" : "a credential must be a JSON object")];
    return { verdict: "invalid", checks, warnings: [] };
  }
  const credential = input;
  const checks: VcCheck[] = [];
  const warnings: VcWarning[] = [];
  let bundle: Bundle | undefined;
  const hasAnchor = proofsOf(credential).some((p) => p.cryptosuite === ANCHOR_CRYPTOSUITE);
  try {
    if (hasAnchor) bundle = vcToBundle(credential);
    checks.push(check("format", "pass", "OK", hasAnchor ? `VC with a ${ANCHOR_CRYPTOSUITE} anchor proof` : "VC"));
  } catch (error) {
    const { code, message } = describe(error);
    checks.push(check("format", "fail", code, message));
  }
  const derived = bundle !== undefined && (bundle.hiddenFieldHashes.length > 0 || bundle.hiddenElements.length > 0);
  const signature = await checkSignature(credential, derived, hasAnchor, documentLoader);
  checks.push(signature.check);
  warnings.push(...signature.warnings);
  let anchoredAt: number | undefined;
  if (bundle) {
    const anchor = await checkAnchor(bundle, options, now);
    checks.push(...anchor.checks);
    anchoredAt = anchor.anchoredAt;
  } else {
    for (const name of ["integrity", "inclusion", "anchored", "issuer", "status"] as const) checks.push(check(name, "skip", "NO_ANCHOR_PROOF", `skipped: no ${ANCHOR_CRYPTOSUITE} proof`));
  }
  checks.push(checkValidity(credential, now));
  const identity = await checkIdentity(credential, signature, bundle, anchoredAt, options.keyBinding);
  checks.push(identity);
  if (identity.code === "SELF_CERTIFIED" && options.keyBinding) warnings.push({ code: "ISSUER_NOT_ACCREDITED", message: identity.message });
  if (bundle && !options.chain) warnings.push({ code: "NOT_CHECKED", message: "the anchor and on-chain status were not checked: no chain access was given" });
  return {
    verdict: verdictOf(checks),
    checks,
    warnings,
    ...(signature.signer ? { signer: signature.signer } : {}),
    ...(bundle ? { anchor: { chainId: bundle.chainId, registry: bundle.registry, issuerId: bundle.issuerId, statusIndex: bundle.statusIndex, blockNumber: bundle.blockNumber, ...(anchoredAt !== undefined ? { anchoredAt } : {}) } } : {}),
  };
}

export type VerifyVpOptions = VerifyVcOptions & { challenge: string; domain?: string };

export type VpVerificationReport = { verdict: VcVerdict; checks: VcCheck[]; warnings: VcWarning[]; credentials: VcVerificationReport[] };

/**
 * Verifies a VP: the holder's proof (eddsa, with `challenge` and `domain` as given: a wrong one
 * fails), then each credential as {@link verifyVc} does.
 *
 * @example
 * const report = await verifyVp(vp, { challenge: "b0a7…", domain: "verifier.example" });
 */
export async function verifyVp(input: unknown, options: VerifyVpOptions): Promise<VpVerificationReport> {
  const documentLoader = options.documentLoader ?? defaultDocumentLoader();
  if (!isPlainObject(input)) return { verdict: "invalid", checks: [check("presentation", "fail", "PRESENTATION_INVALID", "a presentation must be a JSON object")], warnings: [], credentials: [] };
  // The holder's proof covers the embedded credentials; @digitalbazaar/vc also judges those,
  // but they get our own checks below: only its presentation result is read here.
  // @digitalbazaar/vc throws (rather than reports) for some malformed presentations.
  const result = await vc.verify({
    presentation: input,
    challenge: options.challenge,
    ...(options.domain !== undefined ? { domain: options.domain } : {}),
    suite: verifyingSuites(),
    documentLoader,
    checkStatus: async () => ({ verified: true }),
  }).catch((error: unknown) => ({ verified: false, error: error as Error, presentationResult: undefined }));
  const holder = result.presentationResult as { verified: boolean; results?: Array<{ error?: Error }>; error?: Error } | undefined;
  const presentation = holder?.verified
    ? check("presentation", "pass", "OK", "the holder's proof verifies with this challenge and domain")
    : check("presentation", "fail", "PRESENTATION_PROOF_INVALID", `the holder's proof does not verify: ${describe(holder?.results?.find((r) => r.error)?.error ?? holder?.error ?? result.error).message}`);
  const list = input.verifiableCredential;
  const credentials = await Promise.all((Array.isArray(list) ? list : list === undefined ? [] : [list]).map((c) => verifyVc(c, { ...options, documentLoader })));
  const checks = [presentation];
  const verdict: VcVerdict = presentation.outcome === "fail" || credentials.some((c) => c.verdict === "invalid") ? "invalid" : credentials.some((c) => c.verdict === "error") ? "error" : "valid";
  return { verdict, checks, warnings: credentials.flatMap((c) => c.warnings), credentials };
}
