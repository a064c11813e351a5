// Builds the deterministic test vectors of docs/formats.md (fixed salt seeds); `npm run vectors` writes them.
import { readFileSync } from "node:fs";
import { bundleJsonSchema } from "../../src/core/bundle.ts";
import { encodeDigestInput, credentialDigest, type AnchorContext } from "../../src/core/digest.ts";
import { discloseCredential, disclosedFieldHashes } from "../../src/core/disclosure.ts";
import { bytesToBase64url, bytesToHex } from "../../src/core/encoding.ts";
import { FIELD_TYPES, fieldPreimage, hashFields, type FieldType } from "../../src/core/fields.ts";
import type { JsonObject, JsonValue } from "../../src/core/json.ts";
import { credentialLeaf } from "../../src/core/leaf.ts";
import { parsePointer } from "../../src/core/pointer.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { createDeterministicSaltSource } from "../../src/core/salt.ts";

const CONTEXT: AnchorContext = { chainId: 11155111, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3", issuerId: 12, statusIndex: 4242 };

const badge = JSON.parse(readFileSync(new URL("../fixtures/credentials/open-badge.json", import.meta.url), "utf8")) as JsonObject;

const CASES: { name: string; description: string; credential: JsonObject; context: AnchorContext; hide: string[] }[] = [
  {
    name: "open-badge",
    description: "The sample Open Badge 3.0 credential; the disclosure hides the subject's id, the achievement criteria (a container) and type[1] (an array element).",
    credential: badge,
    context: CONTEXT,
    hide: ["/credentialSubject/id", "/credentialSubject/achievement/criteria", "/type/1"],
  },
  {
    name: "edge-cases",
    description: "A generic credential: RFC 6901 escapes, non-ASCII and astral names, RFC 8785 numbers, empty containers, null, booleans, no dates.",
    credential: {
      "a/b": 1,
      "m~n": [1e21, 1e-7, 5e-324, -0, 0.000001, 333333333.33333329],
      "é": { "😀": "€\n\"", "": null },
      "\u0080": [[], {}, true, false, [null, "x"]],
    },
    context: { chainId: 1, registry: "0x0000000000000000000000000000000000000001", issuerId: 1, statusIndex: 0 },
    hide: ["/é/😀", "/\u0080/4/1", "/m~0n/0"],
  },
  {
    name: "minimal",
    description: "The smallest credential: an empty object (one field, the root); maximal context values.",
    credential: {},
    context: { chainId: 2 ** 53 - 1, registry: "0xffffffffffffffffffffffffffffffffffffffff", issuerId: 2 ** 53 - 1, statusIndex: 2 ** 32 - 1 },
    hide: [],
  },
];

const typeOf = (v: JsonValue): FieldType => (v === null ? "null" : Array.isArray(v) ? "array" : (typeof v as FieldType));
const at = (root: JsonValue, pointer: string): JsonValue =>
  parsePointer(pointer)!.reduce<JsonValue>((v, token) => (v as Record<string, JsonValue>)[token]!, root);

/** Every vector file: name → content. */
export function buildVectors(): Record<string, unknown> {
  const files: Record<string, unknown> = {};
  for (const c of CASES) {
    const seed = `credanchor vector ${c.name}`;
    const prepared = prepareCredential(c.credential, c.context, createDeterministicSaltSource(seed));
    const { pointers } = hashFields(c.credential, prepared.salts, { withPointers: true });
    const fields = pointers!.map((pointer, i) => {
      const salt = prepared.salts.subarray(16 * i, 16 * i + 16);
      const value = at(c.credential, pointer);
      return {
        pointer,
        type: typeOf(value),
        typeCode: FIELD_TYPES[typeOf(value)],
        salt: bytesToHex(salt),
        preimage: bytesToHex(fieldPreimage(salt, pointer, value)),
        hash: bytesToHex(prepared.fieldHashes[i]!),
      };
    });
    const window = { validFrom: prepared.validFrom, validUntil: prepared.validUntil };
    const view = discloseCredential({ credential: c.credential, salts: prepared.salts, hiddenFieldHashes: [], hiddenElements: [] }, c.hide);
    const disclosedDigest = credentialDigest({ context: c.context, ...window, fieldHashes: disclosedFieldHashes(view) });
    if (bytesToHex(disclosedDigest) !== bytesToHex(prepared.digest)) throw new Error(`vector ${c.name}: disclosure changed the digest`);
    files[`${c.name}.json`] = {
      description: c.description,
      saltSeed: seed,
      credential: c.credential,
      context: c.context,
      ...window,
      fields,
      digestPreimage: bytesToHex(encodeDigestInput({ context: c.context, ...window, fieldHashes: prepared.fieldHashes })),
      digest: bytesToHex(prepared.digest),
      leaf: bytesToHex(credentialLeaf(prepared.digest)),
      disclosure: {
        hide: c.hide,
        credential: view.credential,
        salts: bytesToBase64url(view.salts),
        hiddenFieldHashes: view.hiddenFieldHashes.map(bytesToHex),
        hiddenElements: view.hiddenElements,
      },
    };
  }
  return files;
}

/** The committed JSON Schema of the bundle. */
export function buildBundleSchema(): unknown {
  return bundleJsonSchema();
}

/** How every generated file is written: 2-space JSON and a final newline. */
export const formatJson = (value: unknown) => JSON.stringify(value, null, 2) + "\n";
