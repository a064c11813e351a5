// Pins credential validation: VC 2.0 and Open Badges 3.0 rules, path-precise collected errors, no crash on any input.
import { expect } from "chai";
import fc from "fast-check";
import { credentialIssues, validateCredential } from "../../src/core/credential.ts";
import { CredanchorError, JsonError, ValidationError } from "../../src/core/errors.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { expectCode, sampleBadge } from "./helpers.ts";

const paths = (value: unknown) => credentialIssues(value).issues.map((i) => `${i.path}: ${i.message}`);

describe("core/credential", () => {
  it("default: the sample Open Badge is valid, with its window in unix seconds", () => {
    const v = validateCredential(sampleBadge());
    expect(v.kind).to.equal("OpenBadgeCredential");
    expect(v.validFrom).to.equal(Date.parse("2024-05-01T09:00:00Z") / 1000);
    expect(v.validUntil).to.equal(Date.parse("2029-05-01T09:00:00Z") / 1000);
  });

  it("behavior: issuer may be a URI string; AchievementCredential counts as a badge", () => {
    const b = sampleBadge();
    b.issuer = "did:web:example.edu";
    b.type = ["VerifiableCredential", "AchievementCredential"];
    expect(validateCredential(b).kind).to.equal("OpenBadgeCredential");
  });

  it("behavior: any other JSON object is a generic credential", () => {
    expect(validateCredential({ hello: "world" }).kind).to.equal("generic");
    expect(validateCredential({}).kind).to.equal("generic");
  });

  it("behavior: a plain VC 2.0 credential", () => {
    const vc = { "@context": ["https://www.w3.org/ns/credentials/v2"], type: "VerifiableCredential", issuer: "https://issuer.example", credentialSubject: [{ id: "did:example:1" }] };
    expect(validateCredential(vc).kind).to.equal("VerifiableCredential");
  });

  it("error: achievement fields, each with its path, all collected", () => {
    const b = sampleBadge();
    const achievement = (b.credentialSubject as JsonObject).achievement as JsonObject;
    delete achievement.name;
    achievement.description = 5;
    achievement.type = ["Thing"];
    achievement.criteria = {};
    achievement.id = "not a uri";
    const e = expectCode(() => validateCredential(b), ValidationError, "CREDENTIAL_INVALID");
    expect(e.details.map((d) => `${d.path}: ${d.message}`)).to.deep.equal([
      "credentialSubject.achievement.id: must be a URI (scheme:rest, no spaces)",
      'credentialSubject.achievement.type: must include "Achievement"',
      "credentialSubject.achievement.name: required",
      "credentialSubject.achievement.description: must be a string",
      "credentialSubject.achievement.criteria: must have an id or a narrative",
    ]);
    expect(e.message).to.contain("credentialSubject.achievement.name: required");
  });

  it("error: an Open Badge needs a non-empty credential-level name (OB 3.0: name [1])", () => {
    const b = sampleBadge();
    delete b.name;
    expect(paths(b)).to.deep.equal(["name: required"]);
    b.name = "  ";
    expect(paths(b)).to.deep.equal(["name: must not be empty"]);
  });

  it("error: VC 2.0 envelope: context, type, issuer, subject", () => {
    expect(paths({ type: ["VerifiableCredential", "OpenBadgeCredential"] })).to.deep.equal([
      "@context: required",
      "issuer: required",
      "credentialSubject: required",
      "validFrom: required",
      "name: required",
    ]);
    expect(paths({ "@context": ["https://www.w3.org/2018/credentials/v1"], type: ["VerifiableCredential"], issuer: { name: "x" }, credentialSubject: [] })).to.deep.equal([
      '@context[0]: must be "https://www.w3.org/ns/credentials/v2"',
      "issuer.id: required",
      "credentialSubject: must not be empty",
    ]);
    const b = sampleBadge();
    b["@context"] = ["https://www.w3.org/ns/credentials/v2"];
    (b.credentialSubject as JsonObject).type = "Person";
    b.credentialStatus = { id: "https://status.example/1" };
    expect(paths(b)).to.deep.equal([
      "credentialStatus.type: required",
      "@context: must include the Open Badges 3.0 context (https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json)",
      'credentialSubject.type: must include "AchievementSubject"',
    ]);
  });

  it("error: dates: format, time zone, calendar, order (every kind, generic included)", () => {
    expect(paths({ validFrom: "2024-01-01T00:00:00", validUntil: "2024-13-01T00:00:00Z" })).to.deep.equal([
      "validFrom: must be an XML Schema dateTimeStamp like 2024-01-31T12:00:00Z (time zone required)",
      "validUntil: month 13 does not exist",
    ]);
    expect(paths({ validFrom: "2024-06-01T00:00:00+02:00", validUntil: "2024-05-31T22:59:59+01:00" })).to.deep.equal(["validUntil: must not be before validFrom"]);
    expect(paths({ validFrom: "2023-02-29T00:00:00Z" })).to.deep.equal(["validFrom: day 29 does not exist in 2023-02"]);
    expect(paths({ validFrom: "1969-12-31T23:59:59Z" })).to.have.length(1);
    expect(validateCredential({ validFrom: "2024-02-29T23:59:59.999-00:30" }).validFrom).to.equal(Date.parse("2024-03-01T00:29:59Z") / 1000);
    expect(validateCredential({ validFrom: "2024-01-01T24:00:00Z" }).validFrom).to.equal(Date.parse("2024-01-02T00:00:00Z") / 1000);
  });

  it("error: not an object; not JSON at all", () => {
    for (const bad of [[], "x", 1, null, true]) expect(paths(bad)).to.deep.equal([": a credential must be a JSON object"]);
    expectCode(() => validateCredential({ a: NaN }), JsonError, "JSON_UNSUPPORTED_VALUE");
    expectCode(() => validateCredential({ a: new Date() }), JsonError, "JSON_UNSUPPORTED_VALUE");
  });

  it("behavior: never crashes, never throws anything but a CredanchorError (property: jsonValue, anything)", () => {
    const badgeLike = fc.record({
      "@context": fc.oneof(fc.constant(["https://www.w3.org/ns/credentials/v2"]), fc.jsonValue()),
      type: fc.oneof(fc.constant(["VerifiableCredential", "OpenBadgeCredential"]), fc.jsonValue()),
      issuer: fc.jsonValue(),
      validFrom: fc.oneof(fc.constant("2024-01-01T00:00:00Z"), fc.jsonValue()),
      validUntil: fc.jsonValue(),
      credentialSubject: fc.oneof(fc.record({ type: fc.jsonValue(), achievement: fc.jsonValue() }), fc.jsonValue()),
    }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything({ withNullPrototype: true, withDate: true, withMap: true, withBigInt: true }), badgeLike), (value) => {
        try {
          validateCredential(value);
        } catch (error) {
          expect(error).to.be.instanceOf(CredanchorError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
