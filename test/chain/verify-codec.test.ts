// The hand decoder of a v2 registry's multicall of verify() views against viem's decoder: the same
// answers on every well-formed input (random facts, any Unicode, strings across word boundaries), and
// on a corrupted answer either the same answer or none (viem then decides, or refuses). The hand
// encoder of the call against viem's encoder likewise, for both registry versions.
import { expect } from "chai";
import fc from "fast-check";
import { decodeFunctionResult, encodeFunctionData, encodeFunctionResult, type Hex } from "viem";
import { credentialRegistryV1Abi, credentialRegistryV2Abi } from "../../src/chain/abi.ts";
import { decodeCanonicalVerifications, encodeVerifyMulticall, type VerificationQuery } from "../../src/chain/read-registry.ts";

/** What readVerifications made of a v2 answer before the hand decoder (viem's decoder). */
function viemDecode(data: Hex): unknown {
  const results = decodeFunctionResult({ abi: credentialRegistryV2Abi, functionName: "multicall", data });
  return results.map((r) => {
    const v = decodeFunctionResult({ abi: credentialRegistryV2Abi, functionName: "verify", data: r });
    return { ...v, issuerMetadataURI: v.issuerIdentity };
  });
}

const verification = fc.record({
  anchored: fc.boolean(),
  issuerId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  signer: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString("hex")}`),
  anchoredAt: fc.integer({ min: 0, max: 2 ** 40 - 1 }),
  blockNumber: fc.integer({ min: 0, max: 2 ** 40 - 1 }),
  rootRevoked: fc.boolean(),
  signerValidAtAnchoring: fc.boolean(),
  issuerAccreditedAtAnchoring: fc.boolean(),
  revoked: fc.boolean(),
  suspended: fc.boolean(),
  valid: fc.boolean(),
  issuerIdentity: fc.oneof(fc.string({ unit: "grapheme", maxLength: 70 }), fc.constantFrom("", "did:web:example.edu", "x".repeat(32), "x".repeat(33))),
  issuerName: fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("", "é".repeat(16))),
});
const answer = fc.array(verification, { maxLength: 6 }).map((vs) => {
  const each = vs.map((v) => encodeFunctionResult({ abi: credentialRegistryV2Abi, functionName: "verify", result: v as never }));
  return encodeFunctionResult({ abi: credentialRegistryV2Abi, functionName: "multicall", result: each as never });
});

describe("chain/read-registry: the hand decoder of verify() answers agrees with viem's", () => {
  it("behavior: well-formed answers decode by hand to exactly what viem decodes (members in the same order)", function () {
    fc.assert(
      fc.property(answer, fc.boolean(), (data, upper) => {
        const given = (upper ? `0x${data.slice(2).toUpperCase()}` : data) as Hex;
        const fast = decodeCanonicalVerifications(given);
        expect(fast).to.not.equal(undefined);
        expect(fast).to.deep.equal(viemDecode(given));
        expect(fast!.map((v) => Object.keys(v))).to.deep.equal((viemDecode(given) as object[]).map((v) => Object.keys(v)));
      }),
      { numRuns: 400, seed: 21 },
    );
  });

  it("error: a corrupted answer (a digit changed, cut, lengthened, odd): the hand decoder gives viem's answer or none, never another", function () {
    const corrupt = fc.tuple(answer, fc.nat(), fc.constantFrom(..."0123456789abcdefxg"), fc.constantFrom("digit", "cut", "append", "odd"));
    fc.assert(
      fc.property(corrupt, ([data, at, digit, how]) => {
        const hex = data.slice(2);
        const i = hex.length === 0 ? 0 : at % hex.length;
        const broken = `0x${how === "digit" ? hex.slice(0, i) + digit + hex.slice(i + 1) : how === "cut" ? hex.slice(0, i - (i % 2)) : how === "append" ? hex + "00".repeat(32) : hex + "0"}` as Hex;
        const fast = decodeCanonicalVerifications(broken);
        if (fast === undefined) return;
        expect(fast).to.deep.equal(viemDecode(broken));
      }),
      { numRuns: 3000, seed: 22 },
    );
  });
});

/** What readVerifications sent before the hand encoder (viem's encoder). */
function viemEncode(major: 1 | 2, queries: readonly VerificationQuery[]): Hex {
  const calls = queries.map(({ root, statusIndex, issuerId = 0n }) =>
    major === 1
      ? encodeFunctionData({ abi: credentialRegistryV1Abi, functionName: "verify", args: [root, statusIndex] })
      : encodeFunctionData({ abi: credentialRegistryV2Abi, functionName: "verify", args: [issuerId, root, statusIndex] }),
  );
  return encodeFunctionData({ abi: credentialRegistryV2Abi, functionName: "multicall", args: [calls] });
}

const uint256 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.constantFrom(0n, 1n, 2n ** 256n - 1n, 2n ** 64n));
const query = fc.record({
  root: fc.uint8Array({ minLength: 32, maxLength: 32 }).chain((b) => fc.constantFrom(`0x${Buffer.from(b).toString("hex")}`, `0x${Buffer.from(b).toString("hex").toUpperCase()}`)) as fc.Arbitrary<Hex>,
  statusIndex: uint256,
  issuerId: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 2n ** 64n - 1n)),
});

describe("chain/read-registry: the hand encoder of verify() multicalls agrees with viem's", () => {
  it("behavior: any number of queries encode by hand to the calldata viem encodes (v1 and v2; hex digits in either case)", function () {
    fc.assert(
      fc.property(fc.constantFrom(1 as const, 2 as const), fc.array(query, { maxLength: 8 }), (major, queries) => {
        expect(encodeVerifyMulticall(major, queries)).to.equal(viemEncode(major, queries).toLowerCase());
      }),
      { numRuns: 300 },
    );
  });

  it("error: a root that is not 32 bytes of hex or a number outside its type is not encoded by hand (left to viem's encoder, as before)", function () {
    const good = { root: `0x${"ab".repeat(32)}` as Hex, statusIndex: 1n, issuerId: 1n };
    const bad = [{ ...good, root: "0x01" as Hex }, { ...good, root: `0x${"zz".repeat(32)}` as Hex }, { ...good, statusIndex: -1n }, { ...good, statusIndex: 2n ** 256n }];
    for (const major of [1, 2] as const) for (const query of bad) expect(encodeVerifyMulticall(major, [good, query])).to.equal(undefined);
    // v2 names the issuer (uint64); v1 ignores it.
    expect(encodeVerifyMulticall(2, [{ ...good, issuerId: 2n ** 64n }])).to.equal(undefined);
    expect(encodeVerifyMulticall(1, [{ ...good, issuerId: 2n ** 64n }])).to.equal(viemEncode(1, [good]).toLowerCase());
  });
});
