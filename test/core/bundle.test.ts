// Pins the proof bundle: schema, exact encode/decode round trips (JSON and compact), precise errors, integrity, size.
import { expect } from "chai";
import fc from "fast-check";
import { bundleDigest, bundleView, createBundle, decodeBundle, encodeBundle, type Bundle } from "../../src/core/bundle.ts";
import { decodeCompactBundle, encodeCompactBundle } from "../../src/core/bundle-compact.ts";
import { discloseCredential } from "../../src/core/disclosure.ts";
import { bytesToBase64url, bytesToHex, hexToBytes } from "../../src/core/encoding.ts";
import { BundleError, CredanchorError, DisclosureError } from "../../src/core/errors.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { proofFromHex, verifyCredentialProof } from "../../src/core/merkle-proof.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { createDeterministicSaltSource } from "../../src/core/salt.ts";
import { arbitraryBundle } from "./arbitrary-bundle.ts";
import { CONTEXT, expectCode, sampleBadge } from "./helpers.ts";

/** A badge anchored in a batch of 2^16 + 1 credentials: its proof has 17 nodes. */
function anchoredBadge(): { bundle: Bundle } {
  const badge = sampleBadge("https://example.edu/issuers/565049", { keepId: true }); // the fixture as it is: its sizes are recorded in docs/formats.md
  const context = { ...CONTEXT, chainId: 11155111, issuerId: 12, statusIndex: 100_000 };
  const p = prepareCredential(badge, context, createDeterministicSaltSource("bundle"));
  const digests = new Uint8Array(32 * (2 ** 16 + 1));
  for (let i = 1; i <= 2 ** 16; i++) new DataView(digests.buffer).setUint32(32 * i, i);
  digests.set(p.digest, 0);
  const tree = buildCredentialTree(digests);
  const bundle = createBundle({ credential: badge, salts: p.salts, hiddenFieldHashes: [], hiddenElements: [] }, {
    ...context,
    validFrom: p.validFrom,
    validUntil: p.validUntil,
    leaf: tree.leaf(0),
    proof: tree.getProof(0),
    root: tree.root,
    txHash: new Uint8Array(32).fill(0xab),
    blockNumber: 7_654_321,
  });
  return { bundle };
}

const arbitrary = arbitraryBundle();

describe("core/bundle", () => {
  const { bundle } = anchoredBadge();

  it("default: a bundle's leaf recomputes from its content and its proof reaches the root", () => {
    const { digest, leaf } = bundleDigest(bundle);
    expect(bytesToHex(leaf)).to.equal(bundle.leaf);
    expect(bundle.proof).to.have.length(17);
    expect(verifyCredentialProof(digest, proofFromHex(bundle.proof)!, hexToBytes(bundle.root, 32)!)).to.equal(true);
  });

  it("behavior: a disclosed bundle (hidden fields) recomputes to the same leaf", () => {
    const view = discloseCredential(bundleView(bundle), ["/credentialSubject/id", "/type/1", "/validUntil"]);
    const disclosed: Bundle = { ...decodeBundle(encodeBundle(bundle)), credential: view.credential, salts: bytesToBase64url(view.salts), hiddenFieldHashes: view.hiddenFieldHashes.map(bytesToHex), hiddenElements: view.hiddenElements };
    const back = decodeBundle(encodeBundle(disclosed));
    expect(bytesToHex(bundleDigest(back).leaf)).to.equal(bundle.leaf);
    expect(back.credential).not.to.have.property("validUntil");
  });

  it("behavior: a tampered credential, or dates that disagree with it, do not reach the leaf", () => {
    const tampered = structuredClone(bundle);
    tampered.credential.name = "Leadership Badge";
    expect(bytesToHex(bundleDigest(tampered).leaf)).not.to.equal(bundle.leaf);
    expectCode(() => bundleDigest({ ...bundle, validUntil: bundle.validUntil + 1 }), DisclosureError, "DISCLOSURE_MISMATCH");
    expect(bytesToHex(bundleDigest({ ...bundle, statusIndex: bundle.statusIndex + 1 }).leaf)).not.to.equal(bundle.leaf);
  });

  it("behavior: size of a typical Open Badge bundle with a depth-17 proof (plain JSON and compact)", () => {
    const json = new TextEncoder().encode(encodeBundle(bundle)).length;
    const compact = encodeCompactBundle(bundle).length;
    const compactText = bytesToBase64url(encodeCompactBundle(bundle)).length;
    // Recorded in docs/formats.md; QR version 40-L holds 2,953 bytes in byte mode.
    expect({ json, compact, compactText }).to.deep.equal({ json: 3145, compact: 2012, compactText: 2683 });
    expect(compactText).to.be.at.most(2900);
  });

  it("behavior: decodeBundle(encodeBundle(b)) equals b and encoding is canonical (property)", () => {
    fc.assert(
      fc.property(arbitrary, (b) => {
        const text = encodeBundle(b);
        const back = decodeBundle(text);
        expect(back).to.deep.equal(b);
        expect(encodeBundle(back)).to.equal(text);
        const compact = decodeCompactBundle(encodeCompactBundle(b));
        expect(compact).to.deep.equal(b);
        expect(encodeBundle(compact)).to.equal(text);
      }),
      { numRuns: 200 },
    );
  });

  it("behavior: a credential member named __proto__ survives decoding as a member", () => {
    const text = encodeBundle(bundle).replace('"credential":{', '"credential":{"__proto__":{"x":1},');
    const back = decodeBundle(text);
    expect(Object.keys(back.credential)).to.include("__proto__");
    expect(Object.getPrototypeOf(back.credential)).to.equal(Object.prototype);
    expect(encodeBundle(back)).to.contain('"__proto__":{"x":1}');
    expect(encodeBundle(decodeBundle(encodeBundle(back)))).to.equal(encodeBundle(back));
  });

  it("error: every schema problem with its path", () => {
    const b = JSON.parse(encodeBundle(bundle));
    b.proof[2] = "0x12";
    b.statusIndex = 2 ** 32;
    delete b.root;
    b.extra = true;
    b.registry = "0x5fbDB2315678afecb367f032d93F642f64180aa3";
    const e = expectCode(() => decodeBundle(JSON.stringify(b)), BundleError, "BUNDLE_INVALID");
    expect(e.details.map((d) => d.path).sort()).to.deep.equal(["", "proof[2]", "registry", "root", "statusIndex"]);
    expect(e.details.find((d) => d.path === "")!.message).to.equal('unknown member(s) "extra"');
  });

  it("error: duplicate names, bad JSON, wrong version, salts of a wrong length", () => {
    const text = encodeBundle(bundle);
    expect(expectCode(() => decodeBundle(text.replace('"version":1', '"version":1,"version":1')), BundleError, "BUNDLE_INVALID").details[0]!.path).to.equal("/version");
    expectCode(() => decodeBundle(text.slice(0, -1)), BundleError, "BUNDLE_INVALID");
    expectCode(() => decodeBundle(text.replace('"version":1', '"version":2')), BundleError, "BUNDLE_UNSUPPORTED_VERSION");
    expect(expectCode(() => decodeBundle(text.replace(/"salts":"[^"]*"/, '"salts":"AAAA"')), BundleError, "BUNDLE_INVALID").details[0]!.path).to.equal("salts");
    expectCode(() => encodeBundle({ ...bundle, leaf: "0xAB" as never }), BundleError, "BUNDLE_INVALID");
    expect(expectCode(() => encodeBundle({ ...bundle, credential: { a: "\uD800" } }), BundleError, "BUNDLE_INVALID").details[0]!.path).to.equal("credential/a");
  });

  it("error: compact bytes that are truncated, foreign or of another version", () => {
    const bytes = encodeCompactBundle(bundle);
    expectCode(() => decodeCompactBundle(bytes.subarray(0, 100)), BundleError, "BUNDLE_INVALID");
    expectCode(() => decodeCompactBundle(Uint8Array.of(0x7b, 1)), BundleError, "BUNDLE_INVALID");
    expectCode(() => decodeCompactBundle(Uint8Array.of(0xca, 2)), BundleError, "BUNDLE_UNSUPPORTED_VERSION");
  });

  it("behavior: decoding never throws anything but a CredanchorError (property)", () => {
    const text = encodeBundle(bundle);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length }), fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 300 }), (cut, insert, bytes) => {
        for (const run of [() => decodeBundle(text.slice(0, cut) + insert + text.slice(cut + insert.length)), () => decodeCompactBundle(bytes), () => decodeCompactBundle(Uint8Array.of(0xca, 1, ...bytes))]) {
          try {
            run();
          } catch (error) {
            expect(error).to.be.instanceOf(CredanchorError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
