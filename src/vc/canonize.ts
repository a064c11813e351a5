// RDFC-1.0 canonical N-Quads of a JSON-LD document, exactly as jsonld.js + rdf-canonize make them, with jsonld's toRDF compiled once per document shape.
import { randomBytes } from "node:crypto";
import { cryptosuite as eddsaRdfc2022 } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import jsonld from "jsonld";
import * as rdfCanonize from "rdf-canonize";
import type { DocumentLoader } from "./document-loader.ts";

// Why this exists: jsonld.js spends ~90 % of a credential's toRDF in context processing (every
// typed node clones the whole Open Badges active context for its type-scoped context), and
// that work depends only on the document's keys, types and contexts, not on its values. So
// for each *shape* (the document with its free string values replaced by placeholders),
// jsonld.js itself converts a placeholder document once; a credential of that shape then gets
// the same quads with its own values put back. rdf-canonize (the reference RDFC-1.0) then
// canonicalises the dataset as before. A shape is only used when every placeholder came out
// of jsonld.js unchanged, as a whole literal or a whole IRI (so jsonld.js copied it verbatim);
// values in IRI positions must then also be ones jsonld.js copies verbatim (absolute, no
// whitespace, not a term of any context involved). Anything else falls back to jsonld.js,
// which also raises the JSON-LD safe-mode errors (a shape jsonld.js refuses is never cached).

type Term = { termType: string; value: string; datatype?: { termType: string; value: string }; language?: string };
type Quad = { subject: Term; predicate: Term; object: Term; graph: Term };
/** A quad position: a constant term, or the value of placeholder `slot` (an IRI, or a literal with the given datatype/language). */
type Part = Term | { slot: number; term: Term };
type Template = { quads: Part[][]; iriSlots: number[] };
type Shape = { key: string; values: string[] };
/** The contexts a document uses: which documents (by identity) and every name they could define as a term. */
type Contexts = { fingerprint: string; names: ReadonlySet<string> };

/** Placeholder marker: random per process, so no input can forge one (an input containing it is not compiled). */
const MARK = `credanchor-c14n-${randomBytes(6).toString("hex")}-`;
/** jsonld.js's own absolute-IRI test (lib/url.js): an IRI value it copies verbatim must pass it. */
const ABSOLUTE_IRI = /^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$/;
const MAX_SHAPES = 512;

const templates = new Map<string, Template | null>();
const counters = { compiled: 0, reused: 0, fallback: 0 };

/**
 * Strings whose exact text shapes jsonld.js's output structurally, kept in the shape verbatim:
 * types, keyword values, keywords, blank node ids, and any name a context defines (a value
 * jsonld.js may expand as a term, e.g. `proofPurpose: "assertionMethod"`).
 */
function isStructural(value: string, property: string | undefined, names: ReadonlySet<string>): boolean {
  if (property === "@type" || property === "type") return true;
  if (property !== undefined && property.startsWith("@") && property !== "@id" && property !== "@value") return true;
  return value.startsWith("@") || value.startsWith("_:") || names.has(value);
}

/** The part of a string that decides how jsonld.js expands it as an IRI: its scheme/prefix and whether `//` follows. */
function iriClass(value: string): string {
  const colon = value.indexOf(":");
  if (colon <= 0) return "";
  return value.slice(0, colon + 1) + (value.startsWith("//", colon + 1) ? "//" : "");
}

const isPlain = (v: object) => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** The document's shape key and its free values, or undefined for anything not plain JSON. */
function shapeOf(document: unknown, contexts: Contexts): Shape | undefined {
  const index = new Map<string, number>();
  const values: string[] = [];
  const walk = (value: unknown, property: string | undefined): string | undefined => {
    if (typeof value === "string") {
      if (value.includes(MARK)) return undefined;
      if (isStructural(value, property, contexts.names)) return JSON.stringify(value);
      let slot = index.get(value);
      if (slot === undefined) {
        slot = values.push(value) - 1;
        index.set(value, slot);
      }
      return `$${slot}${JSON.stringify(iriClass(value))}`;
    }
    if (value === null || typeof value === "boolean") return String(value);
    if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0) ? JSON.stringify(value) : undefined;
    if (Array.isArray(value)) {
      const parts: string[] = [];
      for (const item of value) {
        const part = walk(item, property);
        if (part === undefined) return undefined;
        parts.push(part);
      }
      return `[${parts.join(",")}]`;
    }
    if (typeof value !== "object" || !isPlain(value)) return undefined;
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) return undefined;
      const part = k === "@context" ? `#${JSON.stringify(v)}` : walk(v, k);
      if (part === undefined) return undefined;
      parts.push(`${JSON.stringify(k)}:${part}`);
    }
    return `{${parts.join(",")}}`;
  };
  const key = walk(document, undefined);
  return key === undefined ? undefined : { key: `${contexts.fingerprint}|${key}`, values };
}

/** The placeholder document of a shape: the same JSON with each free value replaced by its class and a marked slot number. */
function placeholderDocument(document: unknown, shape: Shape, names: ReadonlySet<string>): unknown {
  const slots = new Map(shape.values.map((v, i) => [v, i]));
  const walk = (value: unknown, property: string | undefined): unknown => {
    if (typeof value === "string") return isStructural(value, property, names) ? value : `${iriClass(value)}${MARK}${slots.get(value)}`;
    if (Array.isArray(value)) return value.map((item) => walk(item, property));
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === "@context" ? v : walk(v, k)]));
  };
  return walk(document, undefined);
}

/** Per loaded context document (by identity): a number for fingerprints, the names it defines, the contexts it references. */
type LoadedContext = { id: number; names: string[]; references: unknown[] };
const loadedContexts = new WeakMap<object, LoadedContext>();
let nextContextId = 0;
const namesByFingerprint = new Map<string, ReadonlySet<string>>();

/** Every key of a context (a superset of its terms) and the context references (`@context`, `@import`) inside it. */
function scanContext(context: unknown, names: string[], references: unknown[]): void {
  if (Array.isArray(context)) {
    for (const item of context) scanContext(item, names, references);
    return;
  }
  if (context === null || typeof context !== "object") return;
  for (const [k, v] of Object.entries(context)) {
    names.push(k);
    if (k === "@context" || k === "@import") references.push(v);
    else scanContext(v, names, references);
  }
}

/**
 * The contexts of a document, through the loader jsonld.js would use: documents are told apart
 * by identity (a loader answering a URL with another document gives another fingerprint, so
 * another shape), inline contexts by their JSON.
 */
async function contextsOf(document: unknown, documentLoader: DocumentLoader): Promise<Contexts> {
  const parts: string[] = [];
  const loaded = new Set<string>();
  const collected: LoadedContext[] = [];
  const inline: unknown[] = [];
  const resolve = async (context: unknown): Promise<void> => {
    if (Array.isArray(context)) {
      for (const item of context) await resolve(item);
    } else if (typeof context === "string") {
      if (loaded.has(context)) return;
      loaded.add(context);
      const { document: remote } = await documentLoader(context);
      if (remote === null || typeof remote !== "object") throw new Error(`context ${context} is not a JSON object`);
      let info = loadedContexts.get(remote);
      if (!info) {
        info = { id: nextContextId++, names: [], references: [] };
        scanContext(remote, info.names, info.references);
        loadedContexts.set(remote, info);
      }
      parts.push(`${info.id}`);
      collected.push(info);
      for (const reference of info.references) await resolve(reference);
    } else if (context !== null && typeof context === "object") {
      inline.push(context);
      parts.push(JSON.stringify(context));
      const references: unknown[] = [];
      scanContext(context, [], references);
      for (const reference of references) await resolve(reference);
    }
  };
  const found: unknown[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) (k === "@context" ? found.push(v) : visit(v));
    }
  };
  visit(document);
  for (const context of found) await resolve(context);
  const fingerprint = JSON.stringify(parts);
  let names = namesByFingerprint.get(fingerprint);
  if (!names) {
    const all = new Set<string>();
    for (const info of collected) for (const name of info.names) all.add(name);
    for (const context of inline) {
      const found: string[] = [];
      scanContext(context, found, []);
      for (const name of found) all.add(name);
    }
    names = all;
    if (namesByFingerprint.size >= MAX_SHAPES) namesByFingerprint.delete(namesByFingerprint.keys().next().value!);
    namesByFingerprint.set(fingerprint, names);
  }
  return { fingerprint, names };
}

/** Compiles jsonld.js's dataset of the placeholder document, or null when any placeholder did not come out whole and verbatim. */
async function compile(document: unknown, shape: Shape, contexts: Contexts, options: Record<string, unknown>): Promise<Template | null> {
  let dataset: Quad[];
  try {
    dataset = (await jsonld.toRDF(placeholderDocument(document, shape, contexts.names), options)) as Quad[];
  } catch {
    return null; // jsonld.js refuses the shape: every document of it goes to jsonld.js for its error
  }
  const seen = new Set<number>();
  const iriSlots = new Set<number>();
  const slotOf = (text: string): number | undefined => {
    const at = text.indexOf(MARK);
    if (at < 0) return undefined;
    const slot = Number(text.slice(at + MARK.length));
    const expected = shape.values[slot];
    return expected !== undefined && text === `${iriClass(expected)}${MARK}${slot}` ? slot : -1;
  };
  const quads: Part[][] = [];
  for (const quad of dataset) {
    const parts: Part[] = [];
    for (const term of [quad.subject, quad.predicate, quad.object, quad.graph]) {
      if ((term.datatype && term.datatype.value.includes(MARK)) || term.language?.includes(MARK)) return null;
      const slot = slotOf(term.value);
      if (slot === undefined) {
        parts.push(term);
        continue;
      }
      if (slot < 0 || (term.termType !== "NamedNode" && term.termType !== "Literal")) return null;
      seen.add(slot);
      if (term.termType === "NamedNode") iriSlots.add(slot);
      parts.push({ slot, term });
    }
    quads.push(parts);
  }
  if (seen.size !== shape.values.length) return null; // a value jsonld.js dropped or transformed
  return { quads, iriSlots: [...iriSlots] };
}

/** The document's dataset from the template, or undefined when one of its values is not one jsonld.js would copy verbatim there. */
function instantiate(template: Template, values: readonly string[]): Quad[] | undefined {
  for (const slot of template.iriSlots) {
    const value = values[slot]!;
    if (!ABSOLUTE_IRI.test(value)) return undefined;
  }
  const term = (part: Part): Term => {
    if (!("slot" in part)) return part;
    return { ...part.term, value: values[part.slot]! };
  };
  return template.quads.map((parts) => ({ subject: term(parts[0]!), predicate: term(parts[1]!), object: term(parts[2]!), graph: term(parts[3]!) }));
}

async function datasetOf(input: unknown, options: Record<string, unknown>, documentLoader: DocumentLoader): Promise<Quad[] | undefined> {
  let contexts: Contexts;
  try {
    contexts = await contextsOf(input, documentLoader);
  } catch {
    return undefined; // an unpinned or malformed context: jsonld.js says which
  }
  const shape = shapeOf(input, contexts);
  if (!shape) return undefined;
  let template = templates.get(shape.key);
  if (template === undefined) {
    template = await compile(input, shape, contexts, options);
    if (templates.size >= MAX_SHAPES) templates.delete(templates.keys().next().value!);
    templates.set(shape.key, template);
    if (template) counters.compiled++;
  } else if (template) counters.reused++;
  return template ? instantiate(template, shape.values) : undefined;
}

/**
 * RDFC-1.0 canonical N-Quads of a JSON-LD document: a drop-in for the eddsa-rdfc-2022
 * cryptosuite's `canonize` (same options, same output byte for byte), faster for documents
 * whose shape was seen before. Options it does not know (an event handler, a base, unsafe
 * mode, skipped expansion) go straight to the cryptosuite's own.
 *
 * @throws whatever jsonld.js throws for the document (safe-mode errors included).
 *
 * @example
 * const nquads = await canonizeRdfc(credential, { documentLoader });
 */
export async function canonizeRdfc(input: unknown, options: Record<string, unknown> & { documentLoader?: DocumentLoader }): Promise<string> {
  const merged: Record<string, unknown> = { algorithm: "RDFC-1.0", format: "application/n-quads", base: null, safe: true, ...options };
  const { documentLoader } = options;
  const known = Object.keys(options).every((k) => ["documentLoader", "base", "safe", "skipExpansion"].includes(k));
  if (typeof documentLoader !== "function" || !known || merged.base !== null || merged.safe !== true || merged.skipExpansion === true) {
    return eddsaRdfc2022.canonize(input, options);
  }
  const toRdfOptions: Record<string, unknown> = { rdfDirection: "i18n-datatype", ...merged, produceGeneralizedRdf: false };
  delete toRdfOptions.format;
  const dataset = await datasetOf(input, toRdfOptions, documentLoader);
  if (!dataset) {
    counters.fallback++;
    return eddsaRdfc2022.canonize(input, options);
  }
  return rdfCanonize.canonize(dataset, merged);
}

/**
 * How many documents took each path since start (tests check the fast path is really taken).
 *
 * @example
 * canonizeCounters(); // { compiled: 3, reused: 120, fallback: 1 }
 */
export function canonizeCounters(): { compiled: number; reused: number; fallback: number } {
  return { ...counters };
}

/** eddsa-rdfc-2022 with {@link canonizeRdfc}: same name, algorithm and verifier as Digital Bazaar's cryptosuite. */
export const fastEddsaRdfc2022 = { ...eddsaRdfc2022, canonize: canonizeRdfc };
