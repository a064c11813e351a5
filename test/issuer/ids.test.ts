// Credential ids: RFC 9562 version 7, time-ordered, random in the rest, never repeated.
import { expect } from "chai";
import { z } from "zod";
import { newCredentialId } from "../../src/issuer/ids.ts";

describe("src/issuer/ids.ts", function () {
  it("default: version 7 UUIDs, valid for the API's id schema, ordered by time", function () {
    const a = newCredentialId(1_795_000_000_000);
    const b = newCredentialId(1_795_000_000_001);
    expect(a).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(z.string().uuid().safeParse(a).success).to.equal(true);
    expect(parseInt(a.slice(0, 8) + a.slice(9, 13), 16)).to.equal(1_795_000_000_000);
    expect(a < b).to.equal(true);
  });

  it("behavior: 100,000 ids in the same millisecond are all different (74 random bits)", function () {
    const ids = new Set(Array.from({ length: 100_000 }, () => newCredentialId(1_795_000_000_000)));
    expect(ids.size).to.equal(100_000);
  });
});
