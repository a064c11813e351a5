// parseBundle's fast path (a hand-written check before zod's) against the schema alone, on valid and
// broken bundles: the same bundles accepted (the same data, members in the same order), the same refused
// with the same error code and details.
import { expect } from "chai";
import fc from "fast-check";
import { BundleSchema, parseBundle, type Bundle } from "../../src/core/bundle.ts";
import { canonicalize } from "../../src/core/canonical.ts";
import { CredanchorError } from "../../src/core/errors.ts";
import { arbitraryBundle } from "./arbitrary-bundle.ts";

/** parseBundle as it was: the schema decides everything (the reference). */
function schemaOnly(raw: unknown): unknown {
  const r = raw as { version?: unknown } | null;
  if (typeof r === "object" && r !== null && !Array.isArray(r) && [Object.prototype, null].includes(Object.getPrototypeOf(r)) && r.version !== 1 && typeof r.version === "number") {
    return { code: "BUNDLE_UNSUPPORTED_VERSION" };
  }
  const result = BundleSchema.safeParse(raw);
  if (!result.success) {
    const dotted = (path: readonly PropertyKey[]) => path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : `${out === "" ? "" : `${out}.`}${String(key)}`), "");
    const details = result.error.issues.map((i) => ({ path: dotted(i.path), message: i.code === "unrecognized_keys" ? `unknown member(s) ${i.keys.map((k) => JSON.stringify(k)).join(", ")}` : i.message }));
    return { code: "BUNDLE_INVALID", details };
  }
  const credential = (raw as Bundle).credential;
  try {
    canonicalize(credential);
  } catch (error) {
    return { code: "BUNDLE_INVALID", details: (error as CredanchorError).details.map((d) => ({ path: `credential${d.path}`, message: d.message })) };
  }
  return { ok: { ...result.data, credential } };
}

/** parseBundle's outcome in the reference's terms. */
function actual(raw: unknown): unknown {
  try {
    return { ok: parseBundle(raw) };
  } catch (error) {
    if (!(error instanceof CredanchorError)) throw error;
    if (error.code === "BUNDLE_UNSUPPORTED_VERSION") return { code: error.code };
    return { code: error.code, details: error.details };
  }
}

/** Both outcomes, accepted data compared member by member in order (zod's output order). */
function expectSame(raw: unknown): void {
  const want = schemaOnly(raw) as { ok?: object };
  const got = actual(raw) as { ok?: object };
  if (want.ok) {
    expect(got.ok, JSON.stringify(got)).to.not.equal(undefined);
    expect(Object.keys(got.ok!)).to.deep.equal(Object.keys(want.ok));
    expect(got.ok).to.deep.equal(want.ok);
  } else {
    expect(got).to.deep.equal(want);
  }
}

const validBundle = arbitraryBundle({ maxFields: 8, maxHidden: 4, maxProof: 8 }) as fc.Arbitrary<Record<string, unknown>>;

const holed = (n: number) => {
  const a = new Array(n);
  a[0] = "0x" + "ab".repeat(32);
  return a;
};
/** Values that sit on the schema's edges, for any member. */
const edgy = fc.constantFrom<unknown>(
  undefined, null, 0, -0, 1, -1, 1.5, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, NaN, Infinity, -Infinity, 2, "1", true, [], {}, 1n,
  "0x" + "ab".repeat(32), "0x" + "AB".repeat(32), "0x" + "ab".repeat(31), "0X" + "ab".repeat(32), "0x" + "ab".repeat(32) + "\n",
  "0x5FbDB2315678afecb367f032d93F642f64180aa3", "0x5FBDB2315678afecb367f032d93F642f64180aa3", "0x5fbdb2315678afecb367f032d93f642f64180aa", "",
  "AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAA", "A", "AAAAAAAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAAAAAA+/",
  Array(65).fill("0x" + "ab".repeat(32)), Array(64).fill("0x" + "ab".repeat(32)), ["0x" + "ab".repeat(32), 1], [""], holed(2), [null],
  Object.create(null), { a: undefined }, { a: NaN }, { a: [1, , 2] }, { a: () => 1 }, { a: new Date(0) }, { a: { b: Infinity } }, { [Symbol("s")]: 1 },
  JSON.parse('{"__proto__": {"x": 1}}'), JSON.parse('{"a": {"__proto__": 1}}'), { constructor: { prototype: 5 } }, new Map(), Object.assign(Object.create({ x: 1 }), { a: 1 }),
);

describe("core/bundle: the fast parse agrees with the schema", () => {
  it("behavior: valid bundles: the same data, members in the schema's order, whatever order they came in", function () {
    fc.assert(
      fc.property(validBundle, fc.boolean(), (b, reversed) => expectSame(reversed ? Object.fromEntries(Object.entries(b).reverse()) : b)),
      { numRuns: 300, seed: 11 },
    );
  });

  it("behavior: a valid bundle is accepted without the schema's parse (what makes it cheaper); a broken one is refused by it", function () {
    const b = fc.sample(validBundle, { numRuns: 1, seed: 3 })[0]!;
    const parse = BundleSchema.safeParse.bind(BundleSchema);
    let parses = 0;
    BundleSchema.safeParse = ((raw: unknown) => (parses++, parse(raw))) as typeof BundleSchema.safeParse;
    try {
      parseBundle(b);
      expect(parses).to.equal(0);
      expect(() => parseBundle({ ...b, proof: "0x" })).to.throw(CredanchorError);
      expect(parses).to.equal(1);
    } finally {
      BundleSchema.safeParse = parse;
    }
  });

  it("error: broken bundles (a member replaced by an edge value, removed, an extra one, a non-JSON credential): refused the same, with the same details", function () {
    const member = fc.constantFrom(...Object.keys(BundleSchema.shape));
    fc.assert(
      fc.property(validBundle, member, edgy, fc.constantFrom("set", "delete", "extra", "credential"), (b, m, value, how) => {
        const raw: Record<string, unknown> = { ...b };
        if (how === "set") raw[m] = value;
        else if (how === "delete") delete raw[m];
        else if (how === "extra") raw[`x${m}`] = value;
        else raw.credential = { ...(b.credential as object), nested: value };
        expectSame(raw);
      }),
      { numRuns: 2000, seed: 12 },
    );
    for (const raw of [null, [], "x", 1, Object.create(null), Object.assign(Object.create(null), { version: 1 })]) expectSame(raw);
  });
});
