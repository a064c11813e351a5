// Naming what was changed in a tampered bundle: from the bundle alone where it can tell, and
// field by field against an intact bundle of the same credential.
import { expect } from "chai";
import { bundleDigest, createBundle, type Bundle } from "../../src/core/bundle.ts";
import { bytesToHex } from "../../src/core/encoding.ts";
import { discloseCredential } from "../../src/core/disclosure.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { createDeterministicSaltSource } from "../../src/core/salt.ts";
import { changedFields, findReference } from "../../src/verifier/diagnose.ts";
import { CONTEXT, sampleBadge } from "../core/helpers.ts";

/** An anchored bundle of the sample badge (a batch of one), optionally with fields hidden. */
function original(hide: string[] = []): Bundle {
  const badge = sampleBadge();
  const p = prepareCredential(badge, CONTEXT, createDeterministicSaltSource("diagnose"));
  const tree = buildCredentialTree(p.digest);
  const view = discloseCredential({ credential: badge, salts: p.salts, hiddenFieldHashes: [], hiddenElements: [] }, hide);
  return createBundle(view, {
    ...CONTEXT, validFrom: p.validFrom, validUntil: p.validUntil, leaf: tree.leaf(0), proof: tree.getProof(0), root: tree.root, txHash: new Uint8Array(32).fill(1), blockNumber: 9,
  });
}

const copy = (b: Bundle): Bundle => structuredClone(b);
const achievement = (b: Bundle) => (b.credential.credentialSubject as JsonObject).achievement as JsonObject;
const intact = (b: Bundle) => bytesToHex(bundleDigest(b).leaf) === b.leaf;

describe("src/verifier/diagnose.ts", () => {
  it("default: an intact bundle has no changed fields", () => {
    expect(changedFields(original())).to.deep.equal([]);
    expect(changedFields(original(), original())).to.deep.equal([]);
  });

  it("behavior: an edited value cannot be named from the bundle alone; against the original it is named exactly", () => {
    const tampered = copy(original());
    achievement(tampered).name = "Doctor of Medicine";
    expect(intact(tampered)).to.equal(false);
    expect(changedFields(tampered)).to.deep.equal([]);
    expect(changedFields(tampered, original())).to.deep.equal([{ path: "/credentialSubject/achievement/name", message: "its value differs from the original" }]);
  });

  it("behavior: an extended validUntil is named from the bundle alone (the credential no longer matches the bundle's number)", () => {
    const tampered = copy(original());
    tampered.credential.validUntil = "2099-01-01T00:00:00Z";
    expect(changedFields(tampered).map((c) => c.path)).to.deep.equal(["/validUntil"]);
  });

  it("behavior: the bundle's number edited too: validUntil and bundle.validUntil named against the original", () => {
    const tampered = copy(original());
    tampered.credential.validUntil = "2099-01-01T00:00:00Z";
    tampered.validUntil = Date.parse("2099-01-01T00:00:00Z") / 1000;
    expect(changedFields(tampered)).to.deep.equal([]);
    expect(changedFields(tampered, original()).map((c) => c.path)).to.deep.equal(["bundle.validUntil", "/validUntil"]);
  });

  it("behavior: a moved status index (to dodge a revocation) is named against the original", () => {
    const tampered = copy(original());
    tampered.statusIndex = 43;
    expect(changedFields(tampered, original())).to.deep.equal([]); // another credential: no reference
    expect(findReference(tampered, [original()])).to.equal(undefined);
    // Same root and index kept, leaf moved: the reference applies.
    const leafMoved = copy(original());
    leafMoved.leaf = `0x${"ab".repeat(32)}`;
    expect(changedFields(leafMoved, original()).map((c) => c.path)).to.deep.equal(["bundle.leaf"]);
  });

  it("behavior: an added field is named from the bundle alone as a structural change, and exactly against the original", () => {
    const tampered = copy(original());
    achievement(tampered).level = "Expert";
    const alone = changedFields(tampered);
    expect(alone).to.have.length(1);
    expect(alone[0]!.message).to.match(/^a field was added or removed/);
    const found = changedFields(tampered, original());
    expect(found.map((c) => c.path)).to.include("/credentialSubject/achievement/level");
    expect(found.find((c) => c.path === "/credentialSubject/achievement/level")!.message).to.equal("not in the original");
  });

  it("behavior: a removed field is named against the original; a field hidden by disclosure is not a change", () => {
    const tampered = copy(original());
    delete achievement(tampered).description;
    expect(changedFields(tampered, original()).map((c) => c.path)).to.include("/credentialSubject/achievement/description");
    const disclosed = original(["/credentialSubject/achievement/description"]);
    expect(intact(disclosed)).to.equal(true);
    expect(changedFields(disclosed, original())).to.deep.equal([]);
    // A disclosed view as the reference of a tampered full bundle: the fields it hides are vouched for by their hashes.
    const full = copy(original());
    achievement(full).name = "Changed";
    expect(changedFields(full, disclosed).map((c) => c.path)).to.deep.equal(["/credentialSubject/achievement/name"]);
  });

  it("error: a view that cannot be walked (a placeholder that is not null) is named from itself, never throws", () => {
    const tampered = copy(original());
    tampered.hiddenElements = ["/type/0"];
    const alone = changedFields(tampered);
    expect(alone.map((c) => c.path)).to.deep.equal(["/type/0"]);
    expect(changedFields(tampered, original())).to.deep.equal(alone);
  });

  it("behavior: findReference picks an intact bundle of the same credential, never a tampered one or itself", () => {
    const tampered = copy(original());
    achievement(tampered).name = "X";
    const alsoTampered = copy(original());
    achievement(alsoTampered).name = "Y";
    expect(findReference(tampered, [tampered, alsoTampered])).to.equal(undefined);
    const good = original();
    expect(findReference(tampered, [tampered, alsoTampered, good])).to.equal(good);
  });
});
