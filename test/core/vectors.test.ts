// Recomputes the committed test vectors (test/vectors/*.json) and the committed bundle JSON Schema.
import { readFileSync, readdirSync } from "node:fs";
import { expect } from "chai";
import { bundleJsonSchema } from "../../src/core/bundle.ts";
import { credentialDigest, encodeDigestInput } from "../../src/core/digest.ts";
import { disclosedFieldHashes } from "../../src/core/disclosure.ts";
import { base64urlToBytes, bytesToHex, hexToBytes } from "../../src/core/encoding.ts";
import { fieldPreimage, hashFields } from "../../src/core/fields.ts";
import { credentialLeaf } from "../../src/core/leaf.ts";
import { parsePointer } from "../../src/core/pointer.ts";
import type { JsonObject, JsonValue } from "../../src/core/json.ts";
import { buildVectors, formatJson } from "../vectors/generate.ts";
import { keccak256 } from "../../src/core/keccak.ts";

const dir = new URL("../vectors/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

type Vector = {
  credential: JsonObject;
  context: { chainId: number; registry: string; issuerId: number; statusIndex: number };
  validFrom: number;
  validUntil: number;
  fields: { pointer: string; salt: string; preimage: string; hash: string }[];
  digestPreimage: string;
  digest: string;
  leaf: string;
  disclosure: { credential: JsonObject; salts: string; hiddenFieldHashes: string[]; hiddenElements: string[] };
};

const at = (root: JsonValue, pointer: string): JsonValue =>
  parsePointer(pointer)!.reduce<JsonValue>((v, token) => (v as Record<string, JsonValue>)[token]!, root);

describe("test vectors", () => {
  it("default: the committed files are what `npm run vectors` generates", () => {
    const built = buildVectors();
    expect(files).to.deep.equal(Object.keys(built).sort());
    for (const name of files) expect(readFileSync(new URL(name, dir), "utf8"), name).to.equal(formatJson(built[name]));
  });

  it("default: docs/bundle.schema.json is the schema generated from the zod source of truth", () => {
    expect(readFileSync(new URL("../../docs/bundle.schema.json", import.meta.url), "utf8")).to.equal(formatJson(bundleJsonSchema()));
  });

  for (const name of files) {
    it(`behavior: ${name} recomputes from its own salts (field preimages and hashes, digest, leaf, disclosure)`, () => {
      const v = JSON.parse(readFileSync(new URL(name, dir), "utf8")) as Vector;
      const salts = new Uint8Array(v.fields.flatMap((f) => [...hexToBytes(f.salt, 16)!]));
      const { hashes, pointers } = hashFields(v.credential, salts, { withPointers: true });
      expect(pointers).to.deep.equal(v.fields.map((f) => f.pointer));
      v.fields.forEach((f, i) => {
        const preimage = fieldPreimage(hexToBytes(f.salt, 16)!, f.pointer, at(v.credential, f.pointer));
        expect(bytesToHex(preimage), f.pointer).to.equal(f.preimage);
        expect(bytesToHex(keccak256(preimage)), f.pointer).to.equal(f.hash);
        expect(bytesToHex(hashes[i]!), f.pointer).to.equal(f.hash);
      });
      const input = { context: v.context, validFrom: v.validFrom, validUntil: v.validUntil, fieldHashes: hashes };
      expect(bytesToHex(encodeDigestInput(input))).to.equal(v.digestPreimage);
      const digest = credentialDigest(input);
      expect(bytesToHex(digest)).to.equal(v.digest);
      expect(bytesToHex(credentialLeaf(digest))).to.equal(v.leaf);
      const view = {
        credential: v.disclosure.credential,
        salts: base64urlToBytes(v.disclosure.salts)!,
        hiddenFieldHashes: v.disclosure.hiddenFieldHashes.map((h) => hexToBytes(h, 32)!),
        hiddenElements: v.disclosure.hiddenElements,
      };
      expect(bytesToHex(credentialDigest({ ...input, fieldHashes: disclosedFieldHashes(view) }))).to.equal(v.digest);
    });
  }
});
