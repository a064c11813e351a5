// Bitstring Status List credentials from the contract's words, cross-checked with @digitalbazaar/vc-bitstring-status-list.
import { checkStatus, decodeList } from "@digitalbazaar/vc-bitstring-status-list";
import { expect } from "chai";
import type { JsonObject } from "../../src/core/json.ts";
import { createDocumentLoader } from "../../src/vc/document-loader.ts";
import { STATUS_LIST_LENGTH } from "../../src/vc/status-entries.ts";
import { bitstringToWords, buildStatusListCredential, decodeBitstring, diffBitstrings, getBit, readStatusListCredential, WORDS_PER_LIST, wordsToBitstring } from "../../src/vc/status-list.ts";
import { verifyingSuites } from "../../src/vc/suites.ts";
import { verifyVc } from "../../src/vc/verify.ts";
import { fixedKey, issuedBadge } from "./fixtures.ts";

const BOUNDARIES = [0, 7, 8, 255, 256, 131_071];

/** Contract words with `indices` set, as the status registry stores them: index i at bit i mod 256 of word ⌊i / 256⌋. */
function contractWords(indices: readonly number[]): bigint[] {
  const words = new Array<bigint>(WORDS_PER_LIST).fill(0n);
  for (const i of indices) words[Math.floor(i / 256)]! |= 1n << BigInt(i % 256);
  return words;
}

describe("vc: status list bit mapping (contract words ↔ W3C bitstring)", () => {
  for (const i of BOUNDARIES) {
    it(`behavior: index ${i} alone maps to byte ${i >> 3}, mask 0x${(0x80 >> (i & 7)).toString(16)}, and back`, async () => {
      const bits = wordsToBitstring(contractWords([i]));
      expect(bits.length).to.equal(16_384);
      expect(bits[i >> 3]).to.equal(0x80 >> (i & 7));
      expect(diffBitstrings(bits, new Uint8Array(bits.length))).to.deep.equal([i]);
      expect(bitstringToWords(bits)).to.deep.equal(contractWords([i]));
      // the independent implementation reads the same bit from our encoding
      const list = await decodeList({ encodedList: (await import("../../src/vc/status-list.ts")).encodeBitstring(bits) });
      for (const j of BOUNDARIES) expect(list.getStatus(j), `${j}`).to.equal(j === i);
    });
  }

  it("behavior: all boundary indices together, and every bit of one word, round-trip", () => {
    const words = contractWords(BOUNDARIES);
    expect(bitstringToWords(wordsToBitstring(words))).to.deep.equal(words);
    const full = [(1n << 256n) - 1n];
    const bits = wordsToBitstring(full);
    expect([...bits.subarray(0, 32)].every((b) => b === 0xff)).to.equal(true);
    expect(getBit(bits, 256)).to.equal(false);
  });

  it("error: a word beyond uint256 is refused", () => {
    expect(() => wordsToBitstring([1n << 256n])).to.throw(RangeError);
  });
});

describe("vc: BitstringStatusListCredential", () => {
  const url = "https://issuer.example/status-lists/1/revocation/0";

  it("default: built from words, signed, decoded by @digitalbazaar/vc-bitstring-status-list at the right bits", async () => {
    const key = await fixedKey();
    const list = await buildStatusListCredential({ url, purpose: "revocation", words: contractWords([7, 131_071]), key, validFrom: new Date("2024-06-01T00:00:00Z"), validForSeconds: 86_400, ttlMs: 300_000 });
    expect(list.issuer).to.equal(key.did);
    expect(list.type).to.deep.equal(["VerifiableCredential", "BitstringStatusListCredential"]);
    expect(list.validUntil).to.equal("2024-06-02T00:00:00Z");
    const subject = list.credentialSubject as JsonObject;
    expect(subject).to.include({ id: `${url}#list`, type: "BitstringStatusList", statusPurpose: "revocation", ttl: 300_000 });
    expect(String(subject.encodedList)).to.match(/^uH4sI/); // u + base64url of a GZIP stream
    const decoded = await decodeList({ encodedList: String(subject.encodedList) });
    expect(decoded.length).to.equal(STATUS_LIST_LENGTH);
    expect([decoded.getStatus(6), decoded.getStatus(7), decoded.getStatus(131_071)]).to.deep.equal([false, true, true]);
    expect((await verifyVc(list, { now: () => Date.parse("2024-06-01T12:00:00Z") / 1000 })).verdict).to.equal("valid");
    expect(readStatusListCredential(list).purpose).to.equal("revocation");
  });

  it("default: @digitalbazaar/vc-bitstring-status-list checks our issued VC against our lists (revoked / not suspended)", async () => {
    const key = await fixedKey();
    const credential = await issuedBadge(key); // status index 7
    const validFrom = new Date(Date.now() - 3600_000); // the library judges the list at the real clock
    const revocation = await buildStatusListCredential({ url, purpose: "revocation", words: contractWords([7]), key, validFrom, validForSeconds: 86_400, ttlMs: 300_000 });
    const suspension = await buildStatusListCredential({ url: url.replace("revocation", "suspension"), purpose: "suspension", words: contractWords([8]), key, validFrom, validForSeconds: 86_400, ttlMs: 300_000 });
    const documentLoader = createDocumentLoader(new Map([[url, revocation], [url.replace("revocation", "suspension"), suspension]]));
    const result = await checkStatus({ credential, documentLoader, suite: verifyingSuites(), verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true });
    expect(result.verified, String(result.error)).to.equal(true);
    const statuses = (result as unknown as { results: Array<{ status: boolean; credentialStatus: { statusPurpose: string } }> }).results.map((r) => [r.credentialStatus.statusPurpose, r.status]);
    // The third entry carries the on-chain entry and reads the revocation list at the same index.
    expect(statuses).to.deep.equal([["revocation", true], ["suspension", false], ["revocation", true]]);
  });

  it("behavior: a flipped bit (a lying list) shows in the diff against the chain's words", () => {
    const truth = wordsToBitstring(contractWords([7, 300]));
    const lie = truth.slice();
    lie[37]! ^= 0x08; // index 300 cleared
    lie[0]! ^= 0x01; // index 7 cleared
    expect(diffBitstrings(lie, truth)).to.deep.equal([7, 300]);
  });

  it("error: not a status list, not GZIP, or fewer than 131,072 entries", async () => {
    expect(() => readStatusListCredential({ type: ["VerifiableCredential"] })).to.throw(/not a BitstringStatusListCredential/);
    expect(() => decodeBitstring("uAAAA")).to.throw(/not GZIP/);
    expect(() => decodeBitstring("zAAAA")).to.throw(/base64url/);
    const { encodeBitstring } = await import("../../src/vc/status-list.ts");
    const short = { type: ["VerifiableCredential", "BitstringStatusListCredential"], credentialSubject: { type: "BitstringStatusList", statusPurpose: "revocation", encodedList: encodeBitstring(new Uint8Array(16)) } };
    expect(() => readStatusListCredential(short)).to.throw(/fewer than 131072/);
  });
});
