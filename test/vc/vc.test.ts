// Standard credentials: keys, safe-mode JSON-LD, issuing, verification cross-checked with @digitalbazaar/vc both ways, the anchor proof, derivation, key binding, presentations.
import { inspect } from "node:util";
import * as vc from "@digitalbazaar/vc";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { cryptosuite as eddsaRdfc2022 } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import { createSignCryptosuite } from "@digitalbazaar/eddsa-jcs-2022-cryptosuite";
import { Ed25519Signature2020 } from "@digitalbazaar/ed25519-signature-2020";
import { expect } from "chai";
import { createBundle, decodeBundle, encodeBundle } from "../../src/core/bundle.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { createDeterministicSaltSource } from "../../src/core/salt.ts";
import { bytesToHex } from "../../src/core/encoding.ts";
import { CredanchorError } from "../../src/core/errors.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { ANCHOR_CRYPTOSUITE, bundleToVc, deriveCredential, proofsOf, vcToBundle } from "../../src/vc/anchor-proof.ts";
import { defaultDocumentLoader } from "../../src/vc/document-loader.ts";
import { issueCredential } from "../../src/vc/issue.ts";
import { JsonLdError } from "../../src/vc/jsonld-errors.ts";
import { decryptAssertionKeystore, didKeyOfPublicKey, encryptAssertionKeystore, generateAssertionKey, importAssertionKey, publicKeyOfDidKey, type AssertionKey } from "../../src/vc/keys.ts";
import { chainStatusEntryOf } from "../../src/vc/status-entries.ts";
import { signingSuite, verifyingSuites } from "../../src/vc/suites.ts";
import { verifyVc, verifyVp, type KeyBinding, type VcVerificationReport } from "../../src/vc/verify.ts";
import { ANCHOR_CONTEXT, ISSUED_AT, NOW, REGISTRY, anchorOffChain, fixedKey, issuedBadge, openBadge, statusEntries } from "./fixtures.ts";

const documentLoader = defaultDocumentLoader();
const noStatusCheck = async () => ({ verified: true });
const dbVerify = (credential: JsonObject) => vc.verifyCredential({ credential, suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }), documentLoader, checkStatus: noStatusCheck, now: "2025-01-01T00:00:00Z" });
const outcome = (report: VcVerificationReport, name: string) => report.checks.find((c) => c.name === name);

async function rejection(promise: Promise<unknown>): Promise<CredanchorError> {
  try {
    await promise;
  } catch (error) {
    return error as CredanchorError;
  }
  throw new Error("expected a rejection");
}

describe("vc: assertion keys", () => {
  it("default: generate → export → import gives the same did:key; keystore round trip", async () => {
    const key = await generateAssertionKey();
    expect(key.did).to.match(/^did:key:z6Mk/);
    expect((await importAssertionKey(key.exportSecret())).did).to.equal(key.did);
    expect((await decryptAssertionKeystore(await encryptAssertionKeystore(key, "correct horse"), "correct horse")).did).to.equal(key.did);
  });

  it("behavior: the raw 32-byte public key is derivable from the did:key, and back", async () => {
    const key = await fixedKey();
    expect(bytesToHex(publicKeyOfDidKey(key.did))).to.equal("0x4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5");
    expect(didKeyOfPublicKey(key.publicKey)).to.equal(key.did);
  });

  it("behavior: the secret never shows in JSON, inspect or error messages", async () => {
    const key = await fixedKey();
    const secret = key.exportSecret();
    expect(JSON.stringify(key)).not.to.include(secret.slice(1));
    expect(inspect(key, { showHidden: true, depth: 5 })).not.to.include("6241a409");
    const error = await rejection(importAssertionKey("z" + "1".repeat(40)));
    expect(error.message).not.to.include("1".repeat(40));
  });

  it("error: a wrong keystore password and a non-Ed25519 did:key are refused", async () => {
    const key = await generateAssertionKey();
    expect((await rejection(decryptAssertionKeystore(await encryptAssertionKeystore(key, "a"), "b"))).code).to.equal("CONTEXT_INVALID");
    expect(() => publicKeyOfDidKey("did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169")).to.throw(/not an Ed25519 did:key/);
  });
});

describe("vc: JSON-LD safe mode and the pinned loader", () => {
  let key: AssertionKey;
  before(async () => (key = await fixedKey()));
  const v11 = (extra: JsonObject): JsonObject => ({ "@context": ["https://www.w3.org/2018/credentials/v1"], type: ["VerifiableCredential"], issuer: "did:example:x", issuanceDate: "2024-01-01T00:00:00Z", credentialSubject: { id: "did:example:s" }, ...extra });

  it("error: an undefined term fails naming it (JSONLD_UNDEFINED_TERM, a CREDENTIAL_INVALID ValidationError)", async () => {
    const credential = v11({});
    delete (credential as { "@context"?: unknown })["@context"];
    const error = await rejection(issueCredential({ ...v11({}), credentialSubject: { id: "did:example:s", favouriteColour: "blue" } }, { key }));
    expect(error).to.be.instanceOf(JsonLdError);
    expect(error.code).to.equal("CREDENTIAL_INVALID");
    expect((error as JsonLdError).reason).to.equal("JSONLD_UNDEFINED_TERM");
    expect((error as JsonLdError).term).to.equal("favouriteColour");
  });

  it("error: an undefined type fails naming it", async () => {
    const error = (await rejection(issueCredential(v11({ type: ["VerifiableCredential", "MadeUpCredential"] }), { key }))) as JsonLdError;
    expect(error.reason).to.equal("JSONLD_UNDEFINED_TERM");
    expect(error.term).to.equal("MadeUpCredential");
  });

  it("error: redefining a protected term fails naming it (JSONLD_PROTECTED_TERM)", async () => {
    const badge = openBadge();
    badge["@context"] = [...(badge["@context"] as string[]), { VerifiableCredential: "https://evil.example/vc" }];
    const error = (await rejection(issueCredential(badge, { key }))) as JsonLdError;
    expect(error.reason).to.equal("JSONLD_PROTECTED_TERM");
    expect(error.term).to.equal("VerifiableCredential");
  });

  it("error: a context that is not pinned is never fetched (JSONLD_UNKNOWN_CONTEXT naming the URL)", async () => {
    const badge = openBadge();
    badge["@context"] = [...(badge["@context"] as string[]), "https://contexts.example/unknown.jsonld"];
    const error = (await rejection(issueCredential(badge, { key }))) as JsonLdError;
    expect(error.reason).to.equal("JSONLD_UNKNOWN_CONTEXT");
    expect(error.term).to.equal("https://contexts.example/unknown.jsonld");
  });

  it("behavior: verification reports a JSON-LD failure as a failed signature check naming the reason", async () => {
    const signed = await issuedBadge(key);
    const report = await verifyVc({ ...signed, "@context": [...(signed["@context"] as string[]), { name: "https://evil.example/name" }] }, { now: NOW });
    expect(report.verdict).to.equal("invalid");
    expect(outcome(report, "signature")!.code).to.equal("JSONLD_PROTECTED_TERM");
  });
});

describe("vc: issuing", () => {
  let key: AssertionKey;
  before(async () => (key = await fixedKey()));

  it("default: an Open Badge becomes a VC 2.0 OpenBadgeCredential with our issuer, id, status entries and an eddsa-rdfc-2022 proof", async () => {
    const signed = await issuedBadge(key);
    expect(signed["@context"]).to.deep.equal(["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", "https://credanchor.dev/contexts/v1.jsonld"]);
    expect(signed.issuer).to.deep.equal({ id: key.did, type: ["Profile"], name: "Example University" });
    expect(signed.id).to.equal(openBadge().id); // an id given is kept
    const { id: _given, ...withoutId } = openBadge();
    const fresh = await issueCredential(withoutId, { key, newId: () => "https://issuer.example/credentials/42" });
    expect(fresh.id).to.equal("https://issuer.example/credentials/42");
    const status = signed.credentialStatus as JsonObject[];
    expect(status.map((e) => [e.type, e.statusPurpose])).to.deep.equal([["BitstringStatusListEntry", "revocation"], ["BitstringStatusListEntry", "suspension"], ["BitstringStatusListEntry", "revocation"]]);
    expect(status[2]).to.deep.include({ statusListCredential: status[0]!.statusListCredential, statusListIndex: "7", chainStatus: { type: "CredanchorChainStatusEntry", chainId: "31337", registry: REGISTRY, issuerId: "1", statusIndex: "7" } });
    expect(signed.proof).to.include({ type: "DataIntegrityProof", cryptosuite: "eddsa-rdfc-2022", verificationMethod: key.verificationMethod, created: "2024-06-01T12:00:00Z" });
  });

  it("behavior: VC 1.1 input (credentials/v1, issuanceDate) is issued as VC 2.0 (validFrom)", async () => {
    const signed = await issueCredential({ "@context": ["https://www.w3.org/2018/credentials/v1"], type: ["VerifiableCredential"], issuer: "did:example:ignored", issuanceDate: "2024-01-01T00:00:00Z", credentialSubject: { id: "did:example:s" } }, { key });
    expect(signed["@context"]).to.deep.equal(["https://www.w3.org/ns/credentials/v2"]);
    expect(signed.validFrom).to.equal("2024-01-01T00:00:00Z");
    expect(signed.issuanceDate).to.equal(undefined);
    expect(signed.issuer).to.equal(key.did);
    expect(signed.id).to.match(/^urn:uuid:[0-9a-f-]{36}$/);
    expect((await dbVerify(signed)).verified).to.equal(true);
  });

  it("behavior: validFrom defaults to now", async () => {
    const signed = await issueCredential({ "@context": ["https://www.w3.org/ns/credentials/v2"], type: ["VerifiableCredential"], credentialSubject: { id: "did:example:s" } }, { key, now: () => ISSUED_AT });
    expect(signed.validFrom).to.equal("2024-06-01T12:00:00Z");
  });

  it("error: a malformed status entry anywhere in the input is refused", async () => {
    const badge = openBadge();
    (badge.credentialSubject as JsonObject).credentialStatus = { type: "BitstringStatusListEntry", statusPurpose: "revocation", statusListIndex: 7, statusListCredential: "https://x.example/l" };
    const error = await rejection(issueCredential(badge, { key }));
    expect(error.code).to.equal("CREDENTIAL_INVALID");
    expect(error.details[0]!.path).to.equal("/credentialSubject/credentialStatus/statusListIndex");
    const other = openBadge();
    other.credentialStatus = [{ type: "CredanchorChainStatusEntry", chainId: "1", registry: "0xnope", issuerId: "1", statusIndex: "1" }];
    expect((await rejection(issueCredential(other, { key }))).details.map((d) => d.path)).to.deep.equal(["/credentialStatus/0/registry"]);
    expect((await rejection(issueCredential({ ...openBadge(), credentialStatus: "revoked" }, { key }))).details[0]!.message).to.match(/must be an object/);
  });

  it("error: an entry carrying chainStatus must read the same bit (revocation, the index's place in its list), and carry a typed node", async () => {
    const [revocation, suspension, carrier] = statusEntries(131_079);
    const refused = async (changed: JsonObject) => (await rejection(issueCredential({ ...openBadge(), credentialStatus: [revocation!, suspension!, changed] }, { key }))).details.map((d) => d.path);
    expect(carrier!.statusListIndex).to.equal("7");
    expect(await refused({ ...carrier!, statusListIndex: "8" })).to.deep.equal(["/credentialStatus/2/statusListIndex"]);
    expect(await refused({ ...carrier!, statusPurpose: "suspension" })).to.deep.equal(["/credentialStatus/2/statusPurpose"]);
    expect(await refused({ ...carrier!, chainStatus: { chainId: "1" } })).to.deep.equal(["/credentialStatus/2/chainStatus/type"]);
    expect(await refused({ ...carrier!, chainStatus: { ...(carrier!.chainStatus as JsonObject), registry: "0xnope" } })).to.deep.equal(["/credentialStatus/2/chainStatus/registry"]);
  });

  it("behavior: the first form (the on-chain entry as an entry of its own, in VCs issued before) is still read and verified; two on-chain entries are none", async () => {
    const [revocation, suspension, carrier] = statusEntries();
    const chainEntry = carrier!.chainStatus as JsonObject;
    expect(chainStatusEntryOf({ credentialStatus: statusEntries() })).to.deep.include({ chainId: "31337", issuerId: "1", statusIndex: "7" });
    expect(chainStatusEntryOf({ credentialStatus: [revocation!, suspension!, chainEntry] })).to.deep.include({ chainId: "31337", issuerId: "1", statusIndex: "7" });
    expect(chainStatusEntryOf({ credentialStatus: [...statusEntries(), chainEntry] })).to.equal(undefined);
    const first = await issueCredential(openBadge(), { key, credentialStatus: [revocation!, suspension!, chainEntry], now: () => ISSUED_AT, newId: () => "urn:uuid:6f1a3c2e-0000-4000-8000-000000000003" });
    expect(first["@context"]).to.include("https://credanchor.dev/contexts/v1.jsonld");
    expect((await dbVerify(first)).verified).to.equal(true);
    expect((await verifyVc(anchorOffChain(first), { now: NOW })).verdict).to.equal("valid");
    const other = anchorOffChain(await issueCredential(openBadge(), { key, credentialStatus: [revocation!, suspension!, { ...chainEntry, statusIndex: "8" }], now: () => ISSUED_AT }));
    expect(outcome(await verifyVc(other, { now: NOW }), "identity")!.code).to.equal("STATUS_ENTRY_MISMATCH");
  });

  it("error: input with a proof, or that is no VC, is refused", async () => {
    expect((await rejection(issueCredential({ ...openBadge(), proof: {} }, { key }))).code).to.equal("CREDENTIAL_INVALID");
    expect((await rejection(issueCredential([], { key }))).code).to.equal("CREDENTIAL_INVALID");
    let deep: JsonObject = { credentialStatus: { type: "BitstringStatusListEntry" } };
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect((await rejection(issueCredential({ ...openBadge(), credentialSubject: deep }, { key }))).code).to.equal("JSON_LIMIT_EXCEEDED");
  });

  it("error: a type missing, not an array of strings, or without VerifiableCredential is CREDENTIAL_INVALID naming type (the W3C VC-API issuer suite got 500s)", async () => {
    const base = { "@context": ["https://www.w3.org/2018/credentials/v1"], credentialSubject: { id: "did:example:1" } };
    for (const type of [undefined, null, true, 4, [], [4], "VerifiableCredential2", ["AlumniCredential"]]) {
      const error = await rejection(issueCredential({ ...base, ...(type === undefined ? {} : { type }) }, { key }));
      expect(error.code, JSON.stringify(type)).to.equal("CREDENTIAL_INVALID");
      expect(error.details.map((d) => d.path), JSON.stringify(type)).to.include("type");
    }
  });

  it("error: VC 2.0 rules the W3C data model suite checks: a null id, a credentialSchema without id, malformed relatedResource, an issuer name that is no language value (W3C VC 2.0 §4.4, §4.11, §5.3, §11.1)", async () => {
    const base = { "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"], type: ["VerifiableCredential"], credentialSubject: { id: "did:example:1" } };
    const digest = { digestSRI: "sha384-ZzzZ" };
    const cases: [JsonObject, string][] = [
      [{ id: null }, "id"],
      [{ credentialSchema: { type: "JsonSchema" } }, "credentialSchema.id"],
      [{ relatedResource: ["https://example.org/a"] }, "relatedResource[0]"],
      [{ relatedResource: [{ ...digest }] }, "relatedResource[0].id"],
      [{ relatedResource: [{ id: "https://example.org/a", ...digest }, { id: "https://example.org/a", ...digest }] }, "relatedResource[1].id"],
      [{ relatedResource: [{ id: "https://example.org/a" }] }, "relatedResource[0]"],
      [{ issuer: { id: key.did, name: { "@value": "Uni", "@language": "en", extra: "x" } } }, "issuer.name"],
      [{ issuer: { id: key.did, description: 4 } }, "issuer.description"],
    ];
    for (const [extra, path] of cases) {
      // issuerName: the service replaces the name by the on-chain one; a malformed input name is still refused
      const error = await rejection(issueCredential({ ...base, ...extra }, { key, issuerName: "On-chain name" }));
      expect(error.code, JSON.stringify(extra)).to.equal("CREDENTIAL_INVALID");
      expect(error.details.map((d) => d.path), JSON.stringify(extra)).to.include(path);
    }
    await issueCredential({ ...base, issuer: { id: key.did, name: [{ "@value": "Uni", "@language": "en" }, "Uni"] }, credentialSchema: { id: "https://example.org/schema", type: "JsonSchema" }, relatedResource: [{ id: "https://example.org/a", ...digest }] }, { key });
  });

  it("default: the W3C VC 2.0 examples context is pinned: a credential using its terms issues and verifies with @digitalbazaar/vc", async () => {
    const credential = {
      "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
      type: ["VerifiableCredential", "AlumniCredential"],
      credentialSubject: { id: "did:example:abcdefgh", alumniOf: "The School of Examples" },
    };
    const signed = await issueCredential(credential, { key });
    const result = await vc.verifyCredential({ credential: signed, suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }), documentLoader, checkStatus: noStatusCheck });
    expect(result.verified, JSON.stringify(result.error)).to.equal(true);
  });
});

describe("vc: cross-checked with @digitalbazaar/vc", () => {
  let key: AssertionKey;
  let signed: JsonObject;
  before(async () => {
    key = await fixedKey();
    signed = await issuedBadge(key);
  });

  it("default: our issued VC verifies with @digitalbazaar/vc, with our anchor proof in the proof set (it matches no suite and is ignored)", async () => {
    const anchored = anchorOffChain(signed);
    expect(proofsOf(anchored).map((p) => p.cryptosuite)).to.deep.equal(["eddsa-rdfc-2022", ANCHOR_CRYPTOSUITE]);
    const result = await dbVerify(anchored);
    expect(result.verified, String(result.error)).to.equal(true);
    expect(result.results).to.have.length(1); // only the eddsa proof was evaluated
  });

  it("default: our verifier accepts a VC issued by @digitalbazaar/vc from another did:key", async () => {
    const other = await generateAssertionKey();
    const credential = { "@context": ["https://www.w3.org/ns/credentials/v2"], type: ["VerifiableCredential"], issuer: other.did, validFrom: "2024-01-01T00:00:00Z", credentialSubject: { id: "did:example:s", name: "Ada" } };
    const theirs = await vc.issue({ credential, suite: signingSuite(other.signer()), documentLoader });
    const report = await verifyVc(theirs, { now: NOW });
    expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    expect(report.signer?.did).to.equal(other.did);
  });

  it("behavior: eddsa-jcs-2022 and legacy Ed25519Signature2020 proofs from a did:key verify too", async () => {
    const other = await generateAssertionKey();
    const credential = { "@context": ["https://www.w3.org/ns/credentials/v2"], type: ["VerifiableCredential"], issuer: other.did, validFrom: "2024-01-01T00:00:00Z", credentialSubject: { id: "did:example:s" } };
    // @digitalbazaar/vc's issue adds the proof to the object it is given: hand it copies.
    const jcs = await vc.issue({ credential: structuredClone(credential), suite: new DataIntegrityProof({ signer: other.signer(), cryptosuite: createSignCryptosuite() }), documentLoader });
    const jcsReport = await verifyVc(jcs, { now: NOW });
    expect(jcsReport.verdict, JSON.stringify(jcsReport.checks)).to.equal("valid");
    expect(jcsReport.signer?.cryptosuite).to.equal("eddsa-jcs-2022");
    const legacy = await vc.issue({
      credential: { ...credential, "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/security/suites/ed25519-2020/v1"], issuanceDate: "2024-01-01T00:00:00Z", validFrom: undefined },
      suite: new Ed25519Signature2020({ signer: other.signer() }),
      documentLoader,
    });
    const legacyReport = await verifyVc(JSON.parse(JSON.stringify(legacy)), { now: NOW });
    expect(legacyReport.verdict, JSON.stringify(legacyReport.checks)).to.equal("valid");
    expect(legacyReport.signer?.cryptosuite).to.equal("Ed25519Signature2020");
  });

  it("behavior: tampering any field fails both verifiers", async () => {
    const anchored = anchorOffChain(signed);
    const edits: Array<(c: JsonObject) => void> = [
      (c) => (c.name = "Forged Badge"),
      (c) => ((c.credentialSubject as JsonObject).id = "did:example:mallory"),
      (c) => (c.validFrom = "2024-05-01T09:00:01Z"),
      (c) => ((c.credentialStatus as JsonObject[])[0]!.statusListIndex = "8"),
      (c) => (((c.credentialSubject as JsonObject).achievement as JsonObject).name = "Leadership"),
    ];
    for (const edit of edits) {
      const copy = structuredClone(anchored);
      edit(copy);
      expect((await dbVerify(copy)).verified, String(edit)).to.equal(false);
      const report = await verifyVc(copy, { now: NOW });
      expect(report.verdict, String(edit)).to.equal("invalid");
      expect(outcome(report, "signature")!.outcome).to.equal("fail");
      expect(outcome(report, "integrity")!.outcome).to.equal("fail");
    }
  });
});

describe("vc: the anchor proof (credanchor-merkle-2026)", () => {
  let anchored: JsonObject;
  before(async () => (anchored = anchorOffChain(await issuedBadge(await fixedKey()))));

  it("default: off-chain parts verify (integrity, inclusion) and the chain checks say they were not run", async () => {
    const report = await verifyVc(anchored, { now: NOW });
    expect(report.verdict).to.equal("valid");
    expect(report.checks.map((c) => `${c.name}:${c.outcome}`)).to.deep.equal(["format:pass", "signature:pass", "integrity:pass", "inclusion:pass", "anchored:skip", "issuer:skip", "status:skip", "validity:pass", "identity:pass"]);
    expect(report.warnings.map((w) => w.code)).to.deep.equal(["NOT_CHECKED"]);
  });

  it("behavior: the anchor proof is the v1 bundle re-expressed: vcToBundle → bundleToVc round trip, v1 bundle exported to the VC form", async () => {
    const bundle = vcToBundle(anchored);
    expect(bundle.credential.proof).to.equal(undefined);
    expect(decodeBundle(encodeBundle(bundle))).to.deep.equal(bundle);
    const exported = bundleToVc(bundle);
    expect(exported.proof).to.deep.equal(proofsOf(anchored)[1]);
    expect(vcToBundle(exported)).to.deep.equal(bundle);
    const report = await verifyVc(exported, { now: NOW });
    expect(report.warnings.map((w) => w.code)).to.include("NO_SIGNATURE");
    expect(outcome(report, "integrity")!.outcome).to.equal("pass");
  });

  it("behavior: a v1 bundle of a plain Open Badge exports to the VC form and verifies there (anchor-only, said so)", async () => {
    const badge = openBadge();
    const prepared = prepareCredential(badge, ANCHOR_CONTEXT, createDeterministicSaltSource("v1-export"));
    const tree = buildCredentialTree([prepared.digest]);
    const bundle = createBundle({ credential: badge, salts: prepared.salts, hiddenFieldHashes: [], hiddenElements: [] }, { ...ANCHOR_CONTEXT, validFrom: prepared.validFrom, validUntil: prepared.validUntil, leaf: tree.leaf(0), proof: new Uint8Array(0), root: tree.root, txHash: new Uint8Array(32).fill(1), blockNumber: 5 });
    const exported = bundleToVc(bundle);
    expect(vcToBundle(exported)).to.deep.equal(bundle);
    const report = await verifyVc(exported, { now: NOW });
    expect(report.verdict).to.equal("valid");
    expect(outcome(report, "signature")!.code).to.equal("NO_SIGNATURE");
    expect(outcome(report, "identity")!.code).to.equal("ANCHOR_ONLY");
    expect(() => bundleToVc({ ...bundle, credential: { ...badge, proof: {} } })).to.throw(/proof member/);
  });

  it("behavior: a derived credential: fields hidden, anchor proof valid, the signature reported as not applicable (a warning)", async () => {
    const derived = deriveCredential(anchored, ["/credentialSubject/id", "/name"]);
    expect(derived.name).to.equal(undefined);
    expect((derived.credentialSubject as JsonObject).id).to.equal(undefined);
    const report = await verifyVc(derived, { now: NOW });
    expect(report.verdict).to.equal("valid");
    expect(outcome(report, "signature")).to.include({ outcome: "skip", code: "SIGNATURE_NOT_APPLICABLE" });
    expect(outcome(report, "integrity")!.outcome).to.equal("pass");
    expect(report.warnings.map((w) => w.code)).to.include("SIGNATURE_NOT_APPLICABLE");
    // Keeping the issuer's (now inapplicable) signature in the set is a warning too, not a failure.
    const kept = { ...derived, proof: [proofsOf(anchored)[0]!, ...proofsOf(derived)] };
    expect((await verifyVc(kept, { now: NOW })).verdict).to.equal("valid");
    // @digitalbazaar/vc finds no proof it can check in the derived form.
    expect((await dbVerify(derived)).verified).to.equal(false);
  });

  it("error: a tampered derived credential fails integrity; hiding @context/type/issuer/credentialStatus is refused", async () => {
    const derived = deriveCredential(anchored, ["/credentialSubject/id"]);
    const report = await verifyVc({ ...derived, name: "Forged" }, { now: NOW });
    expect(report.verdict).to.equal("invalid");
    expect(outcome(report, "integrity")!.code).to.equal("LEAF_MISMATCH");
    for (const pointer of ["/issuer", "/@context", "/type/0", "/credentialStatus"]) {
      expect(() => deriveCredential(anchored, [pointer]), pointer).to.throw(/cannot be hidden/);
    }
  });

  it("error: two anchor proofs, a malformed proofValue, a status entry contradicting the anchor", async () => {
    const [sig, anchor] = proofsOf(anchored);
    expect(outcome(await verifyVc({ ...anchored, proof: [sig!, anchor!, anchor!] }, { now: NOW }), "format")!.code).to.equal("BUNDLE_INVALID");
    expect(outcome(await verifyVc({ ...anchored, proof: [sig!, { ...anchor!, proofValue: "zABC" }] }, { now: NOW }), "format")!.code).to.equal("BUNDLE_INVALID");
    const other = anchorOffChain(await issueCredential(openBadge(), { key: await fixedKey(), credentialStatus: statusEntries(8), now: () => ISSUED_AT, newId: () => "urn:uuid:6f1a3c2e-0000-4000-8000-000000000002" }));
    expect(outcome(await verifyVc(other, { now: NOW }), "identity")!.code).to.equal("STATUS_ENTRY_MISMATCH");
  });
});

describe("vc: issuer identity through a key binding", () => {
  let key: AssertionKey;
  let anchored: JsonObject;
  const created = Math.floor(ISSUED_AT.getTime() / 1000);
  before(async () => {
    key = await fixedKey();
    anchored = anchorOffChain(await issuedBadge(key));
  });
  const bindingOf = (answer: Awaited<ReturnType<KeyBinding>>): KeyBinding => async (publicKey) => (bytesToHex(publicKey) === bytesToHex(key.publicKey) ? answer : { bound: false });
  const identity = async (answer: Awaited<ReturnType<KeyBinding>>) => outcome(await verifyVc(anchored, { now: NOW, keyBinding: bindingOf(answer) }), "identity")!;

  it("default: a key bound to the anchor's issuer and valid at the proof's time passes", async () => {
    expect(await identity({ bound: true, issuerId: ANCHOR_CONTEXT.issuerId, identity: "did:web:uni.example", addedAt: created - 10 })).to.include({ outcome: "pass", code: "BOUND" });
  });

  it("error: retired before issuance, compromised, bound to another issuer, unknown, registered after", async () => {
    expect((await identity({ bound: true, issuerId: 1, addedAt: created - 100, retiredAt: created - 1 })).code).to.equal("KEY_RETIRED");
    expect((await identity({ bound: true, issuerId: 1, addedAt: created - 100, compromisedFrom: created + 1_000_000 })).code).to.equal("KEY_COMPROMISED");
    expect((await identity({ bound: true, issuerId: 2, addedAt: created - 100 })).code).to.equal("KEY_OF_OTHER_ISSUER");
    expect((await identity({ bound: false })).code).to.equal("KEY_NOT_BOUND");
    expect((await identity({ bound: true, issuerId: 1, addedAt: created + 1 })).code).to.equal("KEY_NOT_YET_VALID");
    const report = await verifyVc(anchored, { now: NOW, keyBinding: bindingOf({ bound: true, issuerId: 1, addedAt: created - 100, retiredAt: created - 1 }) });
    expect(report.verdict).to.equal("invalid");
  });

  it("behavior: anyone's self-issued did:key VC (no anchor proof, no on-chain status entry) verifies with a warning; claiming the chain needs a bound key", async () => {
    const other = await generateAssertionKey();
    const { credentialStatus: _s, ...plain } = await issueCredential({ "@context": ["https://www.w3.org/ns/credentials/v2"], type: ["VerifiableCredential"], credentialSubject: { id: "did:example:1" } }, { key: other, now: () => ISSUED_AT });
    const report = await verifyVc(plain, { now: NOW, keyBinding: async () => ({ bound: false }) });
    expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    expect(outcome(report, "identity")).to.include({ outcome: "pass", code: "SELF_CERTIFIED" });
    expect(report.warnings.map((w) => w.code)).to.include("ISSUER_NOT_ACCREDITED");
    // The same key claiming an on-chain status entry (a credanchor credential) must be bound.
    const claiming = await issueCredential(openBadge(), { key: other, credentialStatus: statusEntries(9), now: () => ISSUED_AT });
    expect(outcome(await verifyVc(claiming, { now: NOW, keyBinding: async () => ({ bound: false }) }), "identity")!.code).to.equal("KEY_NOT_BOUND");
  });

  it("behavior: retired after issuance still passes", async () => {
    expect((await identity({ bound: true, issuerId: 1, addedAt: created - 100, retiredAt: created + 1 })).outcome).to.equal("pass");
  });

  it("error: a claimed issuer that is not the signing key fails", async () => {
    const other = await generateAssertionKey();
    const credential = { "@context": ["https://www.w3.org/ns/credentials/v2"], type: ["VerifiableCredential"], issuer: "did:web:uni.example", validFrom: "2024-01-01T00:00:00Z", credentialSubject: { id: "did:example:s" } };
    const theirs = await vc.issue({ credential, suite: signingSuite(other.signer()), documentLoader });
    // @digitalbazaar/vc's issuance purpose already refuses a signature by a key the issuer does not control.
    const report = await verifyVc(theirs, { now: NOW });
    expect(report.verdict).to.equal("invalid");
    expect(outcome(report, "signature")!.outcome).to.equal("fail");
  });
});

describe("vc: bad input never throws", () => {
  it("error: garbage credentials and presentations give an invalid report", async () => {
    const inputs: unknown[] = [null, 5, "x", [], {}, { proof: 5 }, { proof: [{ cryptosuite: ANCHOR_CRYPTOSUITE, type: "DataIntegrityProof", proofPurpose: "assertionMethod", proofValue: 5 }] },
      { "@context": ["https://www.w3.org/ns/credentials/v2"], type: ["VerifiableCredential"], issuer: "did:key:z6Mkfoo", credentialSubject: {}, proof: { type: "DataIntegrityProof", cryptosuite: "eddsa-rdfc-2022", proofValue: "z1", verificationMethod: "did:key:z6Mkfoo#z6Mkfoo", proofPurpose: "assertionMethod" } }];
    for (const input of inputs) {
      expect((await verifyVc(input, { now: NOW })).verdict, JSON.stringify(input)).to.equal("invalid");
      expect((await verifyVp(input, { challenge: "c", now: NOW })).verdict, JSON.stringify(input)).to.equal("invalid");
    }
  });
});

describe("vc: presentations", () => {
  it("default: a VP with the holder's proof, challenge and domain verifies; a wrong challenge or domain fails", async () => {
    const issuer = await fixedKey();
    const holder = await generateAssertionKey();
    const credential = await issuedBadge(issuer);
    const presentation = vc.createPresentation({ verifiableCredential: [credential], holder: holder.did });
    const vp = await vc.signPresentation({ presentation, suite: signingSuite(holder.signer()), challenge: "c-123", domain: "verifier.example", documentLoader });
    const ok = await verifyVp(vp, { challenge: "c-123", domain: "verifier.example", now: NOW });
    expect(ok.verdict, JSON.stringify(ok.checks)).to.equal("valid");
    expect(ok.credentials[0]!.verdict).to.equal("valid");
    const wrong = await verifyVp(vp, { challenge: "c-999", domain: "verifier.example", now: NOW });
    expect(wrong.verdict).to.equal("invalid");
    expect(wrong.checks[0]!.code).to.equal("PRESENTATION_PROOF_INVALID");
    expect((await verifyVp(vp, { challenge: "c-123", domain: "evil.example", now: NOW })).verdict).to.equal("invalid");
  });
});
