// Pins RFC 8785 canonicalisation (the RFC's own examples) and the strict JSON parser's refusals and limits.
import { expect } from "chai";
import fc from "fast-check";
import { assertCanonicalizable, canonicalize, canonicalNumber } from "../../src/core/canonical.ts";
import { JsonError } from "../../src/core/errors.ts";
import { JSON_LIMITS, parseJson, parseJsonStrictly, type JsonLimits } from "../../src/core/json.ts";
import { utf8Length } from "../../src/core/json.ts";

const fromIeeeHex = (hex: string) => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt("0x" + hex));
  return view.getFloat64(0);
};

function expectJsonError(fn: () => unknown, code: string, path?: string) {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(JsonError);
    expect((error as JsonError).code).to.equal(code);
    if (path !== undefined) expect((error as JsonError).details[0]?.path).to.equal(path);
    return error as JsonError;
  }
  expect.fail("expected a JsonError");
}

describe("core/canonical (RFC 8785)", () => {
  it("behavior: RFC 8785 §3.2.2 example (numbers, string escapes, literals)", () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    expect(canonicalize(parseJson(input))).to.equal(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it("behavior: RFC 8785 §3.2.3 member sorting by UTF-16 code units", () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`;
    expect(canonicalize(parseJson(input))).to.equal(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("behavior: RFC 8785 Appendix B number serialisation", () => {
    const table: [string, string][] = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"],
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["ffefffffffffffff", "-1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["c340000000000000", "-9007199254740992"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef4f", "999999999999999900000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555554", "333333333.33333325"],
      ["41b3de4355555555", "333333333.3333333"],
      ["41b3de4355555556", "333333333.3333334"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"],
    ];
    for (const [hex, text] of table) expect(canonicalNumber(fromIeeeHex(hex)), hex).to.equal(text);
  });

  it("behavior: number edge cases 1e21, 1e-7, -0, 5e-324, 0.000001", () => {
    expect(canonicalize([1e21, 1e20, 1e-7, -0, 5e-324, 0.000001, 1.5e-7])).to.equal("[1e+21,100000000000000000000,1e-7,0,5e-324,0.000001,1.5e-7]");
  });

  it("error: NaN and ±Infinity (RFC 8785 Appendix B) are refused with their path", () => {
    expectJsonError(() => canonicalNumber(fromIeeeHex("7fffffffffffffff")), "JSON_UNSUPPORTED_VALUE");
    expectJsonError(() => canonicalNumber(fromIeeeHex("7ff0000000000000")), "JSON_UNSUPPORTED_VALUE");
    expectJsonError(() => canonicalize({ a: [1, -Infinity] }), "JSON_UNSUPPORTED_VALUE", "/a/1");
  });

  it("error: lone surrogates in strings and member names", () => {
    expectJsonError(() => canonicalize({ a: "x\uD800" }), "JSON_UNSUPPORTED_VALUE", "/a");
    expectJsonError(() => canonicalize({ ["k\uDC00"]: 1 }), "JSON_UNSUPPORTED_VALUE", "/k\uDC00");
  });

  it("error: values that are not plain JSON", () => {
    for (const bad of [undefined, () => 1, Symbol("s"), 1n, new Date(0), new Map(), new Uint8Array(1)]) {
      expectJsonError(() => canonicalize({ x: [bad] }), "JSON_UNSUPPORTED_VALUE", "/x/0");
    }
    expectJsonError(() => canonicalize([1, , 3]), "JSON_UNSUPPORTED_VALUE", "/1");
  });

  it("behavior: accepts null-prototype objects and members named __proto__", () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 1;
    expect(canonicalize(o)).to.equal('{"b":1}');
    expect(canonicalize(parseJson('{"__proto__":{"x":1},"a":2}'))).to.equal('{"__proto__":{"x":1},"a":2}');
  });

  it("error: a cycle is reported as too deep, not a stack overflow", () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    expectJsonError(() => canonicalize(o), "JSON_LIMIT_EXCEEDED");
  });

  it("behavior: canonicalize(parseJson(JSON.stringify(v))) is a fixpoint and parses back equal (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const c = canonicalize(parseJson(JSON.stringify(v)));
        expect(canonicalize(parseJson(c))).to.equal(c);
        expect(parseJson(c)).to.deep.equal(JSON.parse(c));
      }),
      { numRuns: 300 },
    );
  });

  it("behavior: agrees with JSON.parse on every valid text without duplicates (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
        const text = JSON.stringify(v, null, 1);
        expect(canonicalize(parseJson(text))).to.equal(canonicalize(JSON.parse(text)));
      }),
      { numRuns: 300 },
    );
  });
});

describe("core/canonical assertCanonicalizable (the check without the text)", () => {
  /** What canonicalize throws for `v` (code and pointer), or undefined; assertCanonicalizable must match it. */
  const outcome = (fn: () => unknown) => {
    try {
      fn();
      return undefined;
    } catch (error) {
      expect(error).to.be.instanceOf(JsonError);
      return { code: (error as JsonError).code, path: (error as JsonError).details[0]?.path, message: (error as JsonError).message };
    }
  };
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
  const bad: unknown[] = [
    { a: [1, -Infinity] }, { a: "x\uD800" }, { ["k\uDC00"]: 1 }, [1, , 3], cycle, nested(33), { z: NaN, a: NaN },
    ...[undefined, () => 1, Symbol("s"), 1n, new Date(0), new Map(), new Uint8Array(1)].map((x) => ({ x: [x] })),
  ];

  it("error: throws what canonicalize throws (code, pointer, message) for every refused value", () => {
    for (const v of bad) {
      const expected = outcome(() => canonicalize(v));
      expect(expected, String(v)).to.not.equal(undefined);
      expect(outcome(() => assertCanonicalizable(v))).to.deep.equal(expected);
    }
    const few = { maxBytes: 1e6, maxDepth: 32, maxFields: 3 };
    expect(outcome(() => assertCanonicalizable({ a: 1, b: 2, c: 3 }, few))).to.deep.equal(outcome(() => canonicalize({ a: 1, b: 2, c: 3 }, few)));
  });

  it("behavior: accepts what canonicalize accepts (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        expect(outcome(() => assertCanonicalizable(v))).to.equal(outcome(() => canonicalize(v)));
      }),
      { numRuns: 300 },
    );
  });
});

describe("core/json parseJson", () => {
  it("error: duplicate member names, with the pointer of the duplicate", () => {
    expectJsonError(() => parseJson('{"a":{"b~/":1,"b~/":2}}'), "JSON_DUPLICATE_KEY", "/a/b~0~1");
    // equal after unescaping counts as a duplicate too
    expectJsonError(() => parseJson('{"a":1,"\\u0061":2}'), "JSON_DUPLICATE_KEY", "/a");
  });

  it("error: lone surrogates, escaped or raw, in strings and names", () => {
    expectJsonError(() => parseJson('["\\ud800"]'), "JSON_UNSUPPORTED_VALUE", "/0");
    expectJsonError(() => parseJson('{"\\udc00x":1}'), "JSON_UNSUPPORTED_VALUE", "");
    expectJsonError(() => parseJson('["\uD800"]'), "JSON_UNSUPPORTED_VALUE", "/0");
    expect(parseJson('"\\ud83d\\ude00"')).to.equal("😀");
  });

  it("error: numbers out of the double range", () => {
    expectJsonError(() => parseJson("[1e400]"), "JSON_UNSUPPORTED_VALUE", "/0");
    expect(parseJson("[1e-400, -0]")).to.deep.equal([0, 0]);
  });

  it("error: syntax errors JSON.parse also rejects", () => {
    for (const bad of ["", "{", "[1,]", '{"a":1,}', "01", "+1", "1.", ".5", "'a'", '"\t"', "[1] x", "NaN", "tru", '{"a" 1}', '"\\x"', "\uFEFF1"]) {
      expect(() => JSON.parse(bad), bad).to.throw();
      expectJsonError(() => parseJson(bad), "JSON_SYNTAX");
    }
  });

  it("behavior: __proto__ is an own member, the prototype is untouched", () => {
    const v = parseJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).to.equal(Object.prototype);
    expect(Object.keys(v)).to.deep.equal(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it("error: limits on size, depth and field count", () => {
    expect(JSON_LIMITS).to.deep.equal({ maxBytes: 1_048_576, maxDepth: 32, maxFields: 10_000 });
    const nest = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(() => parseJson(nest(32))).not.to.throw();
    expectJsonError(() => parseJson(nest(33)), "JSON_LIMIT_EXCEEDED");
    expectJsonError(() => canonicalize(JSON.parse(nest(33))), "JSON_LIMIT_EXCEEDED");
    expect(() => parseJson(JSON.stringify(new Array(9_999).fill(0)))).not.to.throw();
    expectJsonError(() => parseJson(JSON.stringify(new Array(10_000).fill(0))), "JSON_LIMIT_EXCEEDED", "/9999");
    expectJsonError(() => parseJson(JSON.stringify("é".repeat(600_000))), "JSON_LIMIT_EXCEEDED", "");
    expect(utf8Length("é€😀")).to.equal(9);
  });

  // parseJson answers through JSON.parse when it can; the character-by-character parser is the reference.
  const answer = (parse: () => unknown) => {
    try {
      return { value: parse() };
    } catch (error) {
      expect(error).to.be.instanceOf(JsonError);
      const e = error as JsonError;
      return { code: e.code, message: e.message, details: e.details };
    }
  };
  // Texts made to hit every case the native path must hand over: duplicate names (also after
  // unescaping), colons and escaped quotes/backslashes inside strings, surrogates raw and escaped,
  // -0, out-of-range numbers, nesting and field counts around the limits, whitespace, bad syntax.
  const names = fc.constantFrom('"a"', '"b"', '"\\u0061"', '"a:b"', '"c\\""', '"c\\\\"', '"__proto__"', '"\\ud83d\\ude00"', '"\\ud800"', '"\uD800"', '"😀"');
  const scalars = fc.constantFrom("0", "-0", "-0.0", "1e400", "-1e400", "1e-400", "12.5e3", "true", "null", '"x:y"', '"q\\"\\":"', '"\\\\"', '"\\u00e9"', '"\\udc00"', '"\uDC00z"', '"😀"', '"é"', "01", "[1,]", "");
  const space = fc.constantFrom("", " ", "\n\t", "\r");
  const text = fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      scalars,
      fc.array(tie("value"), { maxLength: 4 }).chain((items) => space.map((w) => `[${w}${items.join(`,${w}`)}]`)),
      fc.array(fc.tuple(names, tie("value")), { maxLength: 4 }).chain((members) => space.map((w) => `{${members.map(([k, v]) => `${w}${k}${w}:${w}${v}`).join(",")}${w}}`)),
    ),
  })).value;
  const limits = fc.constantFrom<JsonLimits>(JSON_LIMITS, { maxBytes: 60, maxDepth: 3, maxFields: 8 }, { maxBytes: 1e6, maxDepth: 2, maxFields: 1e6 });

  it("behavior: answers exactly as the strict parser, value or error (differential property)", () => {
    fc.assert(
      fc.property(text, limits, (t, l) => {
        expect(answer(() => parseJson(t, l)), t).to.deep.equal(answer(() => parseJsonStrictly(t, l)));
      }),
      { numRuns: 3000 },
    );
    // Arbitrary JSON and arbitrary text too.
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string({ unit: "binary" }), fc.json().map((j) => j.replace(/:/g, ": ").replace(/,/g, ",\n"))), (t) => {
        expect(answer(() => parseJson(t)), t).to.deep.equal(answer(() => parseJsonStrictly(t, JSON_LIMITS)));
      }),
      { numRuns: 1000 },
    );
  });

  it("behavior: never throws anything but JsonError on arbitrary text (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.json().map((t) => t.slice(0, -1)), fc.json()), (text) => {
        try {
          parseJson(text);
        } catch (error) {
          expect(error).to.be.instanceOf(JsonError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
