// Pins selective disclosure: hiding keeps the digest, every kind of structural tampering changes it or is refused.
import { expect } from "chai";
import fc from "fast-check";
import { credentialDigest } from "../../src/core/digest.ts";
import { discloseCredential, disclosedFieldHashes, type DisclosedCredential } from "../../src/core/disclosure.ts";
import { bytesToHex } from "../../src/core/encoding.ts";
import { CredanchorError, DisclosureError } from "../../src/core/errors.ts";
import { hashFields } from "../../src/core/fields.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { createDeterministicSaltSource } from "../../src/core/salt.ts";
import { CONTEXT, expectCode, sampleBadge } from "./helpers.ts";

const source = createDeterministicSaltSource("disclosure");

function full(credential: JsonObject): { view: DisclosedCredential; digest: string } {
  const p = prepareCredential(credential, CONTEXT, source);
  return { view: { credential, salts: p.salts, hiddenFieldHashes: [], hiddenElements: [] }, digest: bytesToHex(p.digest) };
}

const digestOf = (view: DisclosedCredential, window = { validFrom: 1714554000, validUntil: 1872320400 }) =>
  bytesToHex(credentialDigest({ context: CONTEXT, ...window, fieldHashes: disclosedFieldHashes(view) }));

const clone = <T>(v: T): T => structuredClone(v);

/** The salts of a view as a list, to splice. */
const saltList = (salts: Uint8Array) => Array.from({ length: salts.length / 16 }, (_, i) => salts.slice(16 * i, 16 * i + 16));
const joinSalts = (list: Uint8Array[]) => {
  const out = new Uint8Array(list.length * 16);
  list.forEach((s, i) => out.set(s, 16 * i));
  return out;
};

describe("core/disclosure", () => {
  const { view: fullView, digest } = full(sampleBadge());
  const hiddenView = discloseCredential(fullView, ["/credentialSubject/id", "/credentialSubject/achievement/criteria", "/type/1", "/issuer/name"]);

  it("behavior: the full credential recomputes to its digest", () => {
    expect(digestOf(fullView)).to.equal(digest);
  });

  it("behavior: hiding is not tampering: the disclosed view recomputes to the same digest", () => {
    expect(digestOf(hiddenView)).to.equal(digest);
    expect(hiddenView.credential.credentialSubject).not.to.have.property("id");
    expect((hiddenView.credential.credentialSubject as JsonObject).achievement).not.to.have.property("criteria");
    expect(hiddenView.credential.type).to.deep.equal(["VerifiableCredential", null]);
    expect(hiddenView.hiddenElements).to.deep.equal(["/type/1"]);
    // criteria and its narrative, id, type/1, issuer name
    expect(hiddenView.hiddenFieldHashes).to.have.length(5);
    expect(hiddenView.salts.length).to.equal(fullView.salts.length - 5 * 16);
  });

  it("behavior: hiding more from a disclosed view equals hiding it all at once", () => {
    const twoSteps = discloseCredential(discloseCredential(fullView, ["/type/1", "/issuer/name"]), ["/credentialSubject/id", "/credentialSubject/achievement/criteria", "/type/1"]);
    expect(twoSteps.credential).to.deep.equal(hiddenView.credential);
    expect(bytesToHex(twoSteps.salts)).to.equal(bytesToHex(hiddenView.salts));
    expect(twoSteps.hiddenFieldHashes.map(bytesToHex)).to.deep.equal(hiddenView.hiddenFieldHashes.map(bytesToHex));
    expect(twoSteps.hiddenElements).to.deep.equal(hiddenView.hiddenElements);
  });

  it("behavior: hiding any set of fields keeps the digest (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1 }), fc.infiniteStream(fc.boolean()), (credential, coin) => {
        const { view, digest: d } = full(credential as JsonObject);
        const pointers = hashFields(credential, view.salts, { withPointers: true }).pointers!.slice(1);
        const it = coin[Symbol.iterator]();
        const hide = pointers.filter(() => it.next().value);
        const disclosed = discloseCredential(view, hide);
        expect(digestOf(disclosed, { validFrom: 0, validUntil: 0 })).to.equal(d);
      }),
      { numRuns: 150 },
    );
  });

  describe("tampering", () => {
    it("error: inserting {} or [] as a new member (no salt for it)", () => {
      for (const inserted of [{}, []]) {
        const v = clone(hiddenView);
        (v.credential as JsonObject).extra = inserted;
        expectCode(() => digestOf(v), DisclosureError, "DISCLOSURE_MISMATCH");
      }
    });

    it("behavior: inserting {} or [] with a made-up salt changes the digest", () => {
      for (const inserted of [{}, []]) {
        const v = clone(hiddenView);
        (v.credential as JsonObject).credentialSubject = { ...(v.credential.credentialSubject as JsonObject), aaa: inserted };
        const pointers = hashFields(v.credential, createDeterministicSaltSource("x"), { withPointers: true, placeholders: new Set(v.hiddenElements) }).pointers!;
        const salts = saltList(v.salts);
        salts.splice(pointers.indexOf("/credentialSubject/aaa"), 0, new Uint8Array(16).fill(7));
        v.salts = joinSalts(salts);
        expect(digestOf(v)).not.to.equal(digest);
      }
    });

    it("behavior: replacing a primitive by {} under its own name and salt changes the digest", () => {
      // the holder knows the id's salt, but the id was a string, not an object
      const salts = saltList(fullView.salts);
      const v = clone(fullView);
      (v.credential.credentialSubject as JsonObject).id = {};
      expect(digestOf({ ...v, salts: joinSalts(salts) })).not.to.equal(digest);
    });

    it("behavior: changing a value's JSON type changes the digest", () => {
      const v = clone(fullView);
      (v.credential.issuer as JsonObject).type = "Profile"; // was ["Profile"]: one field fewer, so drop the element's salt
      const pointers = hashFields(fullView.credential, fullView.salts, { withPointers: true }).pointers!;
      const salts = saltList(fullView.salts);
      salts.splice(pointers.indexOf("/issuer/type/0"), 1);
      expect(digestOf({ ...v, salts: joinSalts(salts) })).not.to.equal(digest);
      const w = clone(fullView);
      w.credential.name = 1 as never;
      expect(digestOf(w)).not.to.equal(digest);
    });

    it("behavior: moving a value to another path (salt moved along) changes the digest", () => {
      const v = clone(fullView);
      const achievement = v.credential.credentialSubject as JsonObject;
      // swap the badge name and the achievement name: same salts in the same order, values moved
      [v.credential.name, (achievement.achievement as JsonObject).name] = [(achievement.achievement as JsonObject).name!, v.credential.name!];
      expect(digestOf(v)).not.to.equal(digest);
    });

    it("behavior: dropping a hidden hash changes the digest", () => {
      const v = clone(hiddenView);
      v.hiddenFieldHashes = v.hiddenFieldHashes.slice(1);
      expect(digestOf(v)).not.to.equal(digest);
    });

    it("error: duplicating a hidden hash, or a hidden hash equal to a disclosed one", () => {
      const v = clone(hiddenView);
      v.hiddenFieldHashes = [v.hiddenFieldHashes[0]!, ...v.hiddenFieldHashes];
      expectCode(() => digestOf(v), DisclosureError, "DISCLOSURE_MISMATCH");
      const w = clone(hiddenView);
      const disclosedHash = hashFields(w.credential, w.salts, { placeholders: new Set(w.hiddenElements) }).hashes[3]!;
      w.hiddenFieldHashes = [...w.hiddenFieldHashes.slice(1), disclosedHash].sort((a, b) => bytesToHex(a).localeCompare(bytesToHex(b)));
      expectCode(() => digestOf(w), DisclosureError, "DISCLOSURE_MISMATCH");
    });

    it("error: hidden hashes out of order", () => {
      const v = clone(hiddenView);
      v.hiddenFieldHashes = [...v.hiddenFieldHashes].reverse();
      expectCode(() => digestOf(v), DisclosureError, "DISCLOSURE_MISMATCH");
    });

    it("behavior: an extra placeholder appended to an array changes the digest (lengths are committed)", () => {
      const v = clone(hiddenView);
      (v.credential.type as null[]).push(null);
      v.hiddenElements = [...v.hiddenElements, "/type/2"];
      expect(digestOf(v)).not.to.equal(digest);
    });

    it("behavior: dropping a hidden array element instead of leaving a placeholder changes the digest", () => {
      const v = clone(hiddenView);
      (v.credential.type as unknown[]).pop();
      v.hiddenElements = [];
      expect(digestOf(v)).not.to.equal(digest);
    });

    it("error: a placeholder that is not null, not an array element, or listed twice", () => {
      const v = clone(hiddenView);
      (v.credential.type as unknown[])[1] = "OpenBadgeCredential";
      expectCode(() => digestOf(v), DisclosureError, "DISCLOSURE_MISMATCH");
      expectCode(() => digestOf({ ...hiddenView, hiddenElements: [...hiddenView.hiddenElements, "/name"] }), DisclosureError, "DISCLOSURE_MISMATCH");
      expectCode(() => digestOf({ ...hiddenView, hiddenElements: ["/type/1", "/type/1"] }), DisclosureError, "DISCLOSURE_MISMATCH");
      expectCode(() => digestOf({ ...hiddenView, hiddenElements: [...hiddenView.hiddenElements, "/issuer/type/5"] }), DisclosureError, "DISCLOSURE_MISMATCH");
    });

    it("behavior: turning a disclosed element into a placeholder without supplying its hash changes the digest", () => {
      const v = clone(fullView);
      (v.credential.type as unknown[])[0] = null;
      v.hiddenElements = ["/type/0"];
      const pointers = hashFields(fullView.credential, fullView.salts, { withPointers: true }).pointers!;
      const salts = saltList(fullView.salts);
      salts.splice(pointers.indexOf("/type/0"), 1);
      expect(digestOf({ ...v, salts: joinSalts(salts) })).not.to.equal(digest);
    });

    it("behavior: tampering never throws anything but a CredanchorError (property)", () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 3 }), fc.array(fc.string()), (junk, elements) => {
          try {
            digestOf({ credential: { ...hiddenView.credential, junk: junk as JsonObject }, salts: hiddenView.salts, hiddenFieldHashes: hiddenView.hiddenFieldHashes, hiddenElements: elements });
          } catch (error) {
            expect(error).to.be.instanceOf(CredanchorError);
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  describe("requests", () => {
    it("error: hiding the root, a malformed pointer, or a field that is not there", () => {
      const e = expectCode(() => discloseCredential(fullView, ["", "name", "/nope", "/type/7", "/a~2"]), DisclosureError, "DISCLOSURE_INVALID");
      expect(e.details.map((d) => d.path)).to.deep.equal(["", "name", "/nope", "/type/7", "/a~2"]);
    });

    it("behavior: hiding a field twice, or inside a hidden container, is the same as hiding it once", () => {
      const a = discloseCredential(fullView, ["/issuer"]);
      const b = discloseCredential(fullView, ["/issuer/name", "/issuer", "/issuer"]);
      expect(b.credential).to.deep.equal(a.credential);
      expect(b.hiddenFieldHashes.map(bytesToHex)).to.deep.equal(a.hiddenFieldHashes.map(bytesToHex));
      expect(digestOf(b)).to.equal(digest);
    });
  });
});
