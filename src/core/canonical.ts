// RFC 8785 JSON Canonicalization Scheme (JCS): the one text form credanchor hashes and encodes.
import { JsonError } from "./errors.ts";
import { JSON_LIMITS, hasLoneSurrogate, isPlainObject, type JsonLimits } from "./json.ts";
import { escapePointerToken } from "./pointer.ts";

/**
 * RFC 8785 text of one number: ECMAScript `Number::toString` (shortest round-trip digits,
 * exponent from 1e21 and below 1e-6), with `-0` written `0`.
 *
 * @throws JsonError `JSON_UNSUPPORTED_VALUE` for NaN and ±Infinity.
 *
 * @example
 * canonicalNumber(1e21); // "1e+21"
 * canonicalNumber(0.000001); // "0.000001"
 */
export function canonicalNumber(n: number, path = ""): string {
  if (!Number.isFinite(n)) {
    throw new JsonError(`${n} is not a JSON number`, { code: "JSON_UNSUPPORTED_VALUE", details: [{ path, message: `${n} is not a JSON number` }] });
  }
  // String(-0) is already "0"; ECMAScript's algorithm is exactly the one RFC 8785 §3.2.2.3 adopts.
  return String(n);
}

/**
 * RFC 8785 text of one string: JSON.stringify's escaping (`"`, `\`, and U+0000–U+001F with
 * `\b \t \n \f \r` or lowercase `\u00xx`), every other character as itself.
 *
 * @throws JsonError `JSON_UNSUPPORTED_VALUE` if `s` has a lone surrogate.
 *
 * @example
 * canonicalString("€\n"); // "\"€\\n\""
 */
export function canonicalString(s: string, path = ""): string {
  if (hasLoneSurrogate(s)) {
    throw new JsonError("string contains a lone surrogate", {
      code: "JSON_UNSUPPORTED_VALUE",
      details: [{ path, message: "string contains a lone surrogate (not Unicode text)" }],
    });
  }
  return JSON.stringify(s);
}

/**
 * Serialises a JSON value per RFC 8785: no whitespace, object members sorted by the UTF-16
 * code units of their names, numbers and strings as {@link canonicalNumber} /
 * {@link canonicalString}. Anything that is not plain JSON is refused, not skipped:
 * `undefined`, functions, symbols, bigints, class instances (Date, Map, …), sparse arrays.
 *
 * @throws JsonError `JSON_UNSUPPORTED_VALUE` or `JSON_LIMIT_EXCEEDED` (depth, field count), with the pointer.
 *
 * @example
 * canonicalize({ b: [1e21, -0], a: "x" }); // '{"a":"x","b":[1e+21,0]}'
 */
export function canonicalize(value: unknown, limits: JsonLimits = JSON_LIMITS): string {
  let fields = 0;
  const write = (v: unknown, path: string, depth: number): string => {
    if (++fields > limits.maxFields) {
      throw new JsonError(`more than ${limits.maxFields} fields`, { code: "JSON_LIMIT_EXCEEDED", details: [{ path, message: `more than ${limits.maxFields} fields` }] });
    }
    switch (typeof v) {
      case "string":
        return canonicalString(v, path);
      case "number":
        return canonicalNumber(v, path);
      case "boolean":
        return v ? "true" : "false";
      case "object":
        if (v === null) return "null";
        if (depth >= limits.maxDepth) {
          throw new JsonError(`nested deeper than ${limits.maxDepth} levels`, {
            code: "JSON_LIMIT_EXCEEDED",
            details: [{ path, message: `nested deeper than ${limits.maxDepth} levels` }],
          });
        }
        if (Array.isArray(v)) {
          let out = "[";
          for (let i = 0; i < v.length; i++) {
            if (!(i in v)) unsupported(`${path}/${i}`, "sparse array (hole)");
            out += (i === 0 ? "" : ",") + write(v[i], `${path}/${i}`, depth + 1);
          }
          return out + "]";
        }
        if (!isPlainObject(v)) return unsupported(path, `${describeType(v)} is not a plain JSON object`);
        {
          const keys = Object.keys(v).sort();
          let out = "{";
          for (let i = 0; i < keys.length; i++) {
            const key = keys[i]!;
            const memberPath = `${path}/${escapePointerToken(key)}`;
            out += (i === 0 ? "" : ",") + canonicalString(key, memberPath) + ":" + write(v[key], memberPath, depth + 1);
          }
          return out + "}";
        }
      default:
        return unsupported(path, `${describeType(v)} is not a JSON value`);
    }
  };
  return write(value, "", 0);
}

/**
 * Throws exactly what {@link canonicalize} would throw for `value`, without building its text:
 * a check that allocates nothing for valid JSON (the common case) and asks canonicalize for the
 * error (and its pointer) only when there is one.
 *
 * @throws JsonError as {@link canonicalize}.
 *
 * @example
 * assertCanonicalizable({ a: [1, "x"] }); // returns
 * assertCanonicalizable({ a: NaN }); // throws JSON_UNSUPPORTED_VALUE at /a
 */
export function assertCanonicalizable(value: unknown, limits: JsonLimits = JSON_LIMITS): void {
  let fields = 0;
  const ok = (v: unknown, depth: number): boolean => {
    if (++fields > limits.maxFields) return false;
    switch (typeof v) {
      case "string":
        return !hasLoneSurrogate(v);
      case "number":
        return Number.isFinite(v);
      case "boolean":
        return true;
      case "object": {
        if (v === null) return true;
        if (depth >= limits.maxDepth) return false;
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) if (!(i in v) || !ok(v[i], depth + 1)) return false;
          return true;
        }
        if (!isPlainObject(v)) return false;
        for (const key of Object.keys(v)) if (hasLoneSurrogate(key) || !ok(v[key], depth + 1)) return false;
        return true;
      }
      default:
        return false;
    }
  };
  if (!ok(value, 0)) canonicalize(value, limits);
}

function unsupported(path: string, message: string): never {
  throw new JsonError(message, { code: "JSON_UNSUPPORTED_VALUE", details: [{ path, message }] });
}

function describeType(v: unknown): string {
  if (typeof v !== "object" || v === null) return typeof v;
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === "string" && name !== "" ? `a ${name}` : "an object";
}
