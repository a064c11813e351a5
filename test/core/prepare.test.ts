// Pins field hashing, the digest's ABI encoding and the prepareCredential fast path.
import { expect } from "chai";
import fc from "fast-check";
import { encodeAbiParameters, keccak256 as viemKeccak, toHex } from "viem";
import { DIGEST_TAG, DIGEST_TAG_TEXT, credentialDigest } from "../../src/core/digest.ts";
import { bytesToHex } from "../../src/core/encoding.ts";
import { CredanchorError, DisclosureError, JsonError, ValidationError } from "../../src/core/errors.ts";
import { fieldHash, hashFields } from "../../src/core/fields.ts";
import type { JsonValue } from "../../src/core/json.ts";
import { parsePointer } from "../../src/core/pointer.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { createDeterministicSaltSource, cryptoSaltSource } from "../../src/core/salt.ts";
import { CONTEXT, expectCode, sampleBadge } from "./helpers.ts";

const at = (root: JsonValue, pointer: string): JsonValue =>
  parsePointer(pointer)!.reduce<JsonValue>((v, token) => (v as Record<string, JsonValue>)[token]!, root);

describe("core/fields hashFields", () => {
  it("behavior: every node is a field, in pre-order with members sorted by UTF-16 name", () => {
    const { pointers, salts, hashes } = hashFields({ b: [true, { "~/": null }], a: 1, "é": "x" }, createDeterministicSaltSource("t"), { withPointers: true });
    expect(pointers).to.deep.equal(["", "/a", "/b", "/b/0", "/b/1", "/b/1/~0~1", "/é"]);
    expect(salts.length).to.equal(16 * 7);
    expect(hashes).to.have.length(7);
  });

  it("behavior: the fast walk equals the reference fieldHash of each field (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), fc.integer(), (value, seed) => {
        const { salts, hashes, pointers } = hashFields(value, createDeterministicSaltSource(String(seed)), { withPointers: true });
        pointers!.forEach((pointer, i) => {
          expect(bytesToHex(hashes[i]!)).to.equal(bytesToHex(fieldHash(salts.subarray(16 * i, 16 * i + 16), pointer, at(value as JsonValue, pointer))));
        });
        // given salts reproduce the hashes
        expect(hashFields(value, salts).hashes.map(bytesToHex)).to.deep.equal(hashes.map(bytesToHex));
      }),
      { numRuns: 200 },
    );
  });

  it("behavior: type, path and value each change the hash; a salt hides even a one-bit value", () => {
    const salt = new Uint8Array(16).fill(9);
    const hex = (p: string, v: JsonValue) => bytesToHex(fieldHash(salt, p, v));
    const all = [hex("/a", 1), hex("/a", "1"), hex("/b", 1), hex("/a", true), hex("/a", null), hex("/a", {}), hex("/a", []), hex("/a", [null]), hex("/a", 2)];
    expect(new Set(all).size).to.equal(all.length);
    expect(hex("/a", true)).not.to.equal(bytesToHex(fieldHash(new Uint8Array(16).fill(8), "/a", true)));
  });

  it("behavior: the CSPRNG gives every field a fresh salt", () => {
    const a = hashFields(sampleBadge(), cryptoSaltSource).salts;
    const b = hashFields(sampleBadge(), cryptoSaltSource).salts;
    const saltSet = new Set<string>();
    for (const s of [a, b]) for (let i = 0; i < s.length; i += 16) saltSet.add(bytesToHex(s.subarray(i, i + 16)));
    expect(saltSet.size).to.equal((a.length + b.length) / 16);
  });

  it("error: given salts must match the field count exactly", () => {
    expectCode(() => hashFields({ a: 1 }, new Uint8Array(16)), DisclosureError, "DISCLOSURE_MISMATCH");
    expectCode(() => hashFields({ a: 1 }, new Uint8Array(48)), DisclosureError, "DISCLOSURE_MISMATCH");
    expectCode(() => hashFields({ a: 1 }, new Uint8Array(33)), DisclosureError, "DISCLOSURE_MISMATCH");
  });

  it("error: non-JSON values and lone surrogates, with the pointer", () => {
    const e = expectCode(() => hashFields({ a: [1, { b: NaN }] }, cryptoSaltSource), JsonError, "JSON_UNSUPPORTED_VALUE");
    expect(e.details[0]!.path).to.equal("/a/1/b");
    expect(expectCode(() => hashFields({ x: "\uDC00" }, cryptoSaltSource), JsonError, "JSON_UNSUPPORTED_VALUE").details[0]!.path).to.equal("/x");
    expect(expectCode(() => hashFields({ ["\uD800/"]: 1 }, cryptoSaltSource), JsonError, "JSON_UNSUPPORTED_VALUE").details[0]!.path).to.equal("/\uD800~1");
    expectCode(() => hashFields({ d: new Date() }, cryptoSaltSource), JsonError, "JSON_UNSUPPORTED_VALUE");
    expectCode(() => hashFields(JSON.parse("[".repeat(33) + "]".repeat(33)), cryptoSaltSource), JsonError, "JSON_LIMIT_EXCEEDED");
    expectCode(() => hashFields(new Array(10_000).fill(0), cryptoSaltSource), JsonError, "JSON_LIMIT_EXCEEDED");
  });
});

describe("core/digest credentialDigest", () => {
  const hashes = [new Uint8Array(32).fill(3), new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];

  it("behavior: equals keccak256(abi.encode(tag, chainId, registry, issuerId, statusIndex, validFrom, validUntil, sorted hashes))", () => {
    const ctx = { chainId: 11155111n, registry: CONTEXT.registry, issuerId: 2n ** 64n - 1n, statusIndex: 2 ** 32 - 1 };
    const expected = viemKeccak(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "uint256" }, { type: "address" }, { type: "uint64" }, { type: "uint32" }, { type: "uint64" }, { type: "uint64" }, { type: "bytes32[]" }],
        [viemKeccak(toHex(DIGEST_TAG_TEXT)), ctx.chainId, ctx.registry as `0x${string}`, ctx.issuerId, ctx.statusIndex, 1704067200n, 9007199254740991n, [...hashes].sort((a, b) => a[0]! - b[0]!).map((h) => bytesToHex(h))],
      ),
    );
    expect(bytesToHex(DIGEST_TAG)).to.equal(viemKeccak(toHex(DIGEST_TAG_TEXT)));
    expect(bytesToHex(credentialDigest({ context: ctx, validFrom: 1704067200, validUntil: 9007199254740991, fieldHashes: hashes }))).to.equal(expected);
  });

  it("behavior: independent of field hash order, dependent on every context member", () => {
    const base = { context: CONTEXT, validFrom: 10, validUntil: 20, fieldHashes: hashes };
    const d = bytesToHex(credentialDigest(base));
    expect(bytesToHex(credentialDigest({ ...base, fieldHashes: [...hashes].reverse() }))).to.equal(d);
    const variants = [
      { ...base, context: { ...CONTEXT, chainId: 1 } },
      { ...base, context: { ...CONTEXT, registry: "0x0000000000000000000000000000000000000001" } },
      { ...base, context: { ...CONTEXT, issuerId: 2 } },
      { ...base, context: { ...CONTEXT, statusIndex: 43 } },
      { ...base, validFrom: 11 },
      { ...base, validUntil: 0 },
      { ...base, fieldHashes: hashes.slice(1) },
    ];
    const digests = variants.map((v) => bytesToHex(credentialDigest(v)));
    expect(new Set([d, ...digests]).size).to.equal(variants.length + 1);
  });

  it("error: a duplicated field hash", () => {
    expectCode(() => credentialDigest({ context: CONTEXT, validFrom: 0, validUntil: 0, fieldHashes: [hashes[0]!, hashes[0]!] }), DisclosureError, "DISCLOSURE_MISMATCH");
  });

  it("error: an invalid context lists every bad member", () => {
    const e = expectCode(
      () => credentialDigest({ context: { chainId: 0, registry: "0x5fbDB2315678afecb367f032d93F642f64180aa3", issuerId: 0, statusIndex: 2 ** 32 }, validFrom: 0, validUntil: 0, fieldHashes: [] }),
      ValidationError,
      "CONTEXT_INVALID",
    );
    expect(e.details.map((d) => d.path)).to.deep.equal(["chainId", "registry", "issuerId", "statusIndex"]);
    expectCode(() => credentialDigest({ context: { ...CONTEXT, statusIndex: 1.5 }, validFrom: 0, validUntil: 0, fieldHashes: [] }), ValidationError, "CONTEXT_INVALID");
    expectCode(() => credentialDigest({ context: CONTEXT, validFrom: -1, validUntil: 0, fieldHashes: [] }), ValidationError, "CONTEXT_INVALID");
  });

  it("behavior: a mutated context object is re-checked", () => {
    const ctx = { ...CONTEXT };
    credentialDigest({ context: ctx, validFrom: 0, validUntil: 0, fieldHashes: [] });
    ctx.statusIndex = -1;
    expectCode(() => credentialDigest({ context: ctx, validFrom: 0, validUntil: 0, fieldHashes: [] }), ValidationError, "CONTEXT_INVALID");
  });
});

describe("core/prepare prepareCredential", () => {
  it("behavior: salts, field hashes and digest of the sample badge, dates from the credential", () => {
    const p = prepareCredential(sampleBadge(undefined, { keepId: true }), CONTEXT, createDeterministicSaltSource("sample"));
    expect(p.fieldHashes).to.have.length(28);
    expect(p.salts.length).to.equal(28 * 16);
    expect(p.validFrom).to.equal(Date.parse("2024-05-01T09:00:00Z") / 1000);
    expect(p.validUntil).to.equal(Date.parse("2029-05-01T09:00:00Z") / 1000);
    expect(bytesToHex(p.digest)).to.equal(bytesToHex(credentialDigest({ context: CONTEXT, validFrom: p.validFrom, validUntil: p.validUntil, fieldHashes: p.fieldHashes })));
    const again = prepareCredential(sampleBadge(undefined, { keepId: true }), CONTEXT, createDeterministicSaltSource("sample"));
    expect(bytesToHex(again.digest)).to.equal(bytesToHex(p.digest));
    expect(bytesToHex(prepareCredential(sampleBadge(undefined, { keepId: true }), CONTEXT).digest)).not.to.equal(bytesToHex(p.digest));
  });

  it("behavior: absent dates are 0", () => {
    const p = prepareCredential({ hello: "world" }, CONTEXT);
    expect([p.validFrom, p.validUntil]).to.deep.equal([0, 0]);
  });

  it("error: a credential that is not an object, or with bad dates", () => {
    for (const bad of [[], "x", null, 1]) expectCode(() => prepareCredential(bad, CONTEXT), ValidationError, "CREDENTIAL_INVALID");
    const e = expectCode(() => prepareCredential({ validFrom: "2024-02-30T00:00:00Z", validUntil: 5 }, CONTEXT), ValidationError, "CREDENTIAL_INVALID");
    expect(e.details.map((d) => d.path)).to.deep.equal(["validFrom", "validUntil"]);
  });

  it("behavior: never throws anything but a CredanchorError (property, fc.anything)", () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withTypedArray: true, withSparseArray: true }), (value) => {
        try {
          prepareCredential(value, CONTEXT);
        } catch (error) {
          expect(error).to.be.instanceOf(CredanchorError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
