// JSON values, the size limits every credanchor input obeys, and a strict JSON text parser.
import { JsonError } from "./errors.ts";
import { escapePointerToken } from "./pointer.ts";

export type JsonPrimitive = null | boolean | number | string;
export type JsonObject = { [key: string]: JsonValue };
export type JsonArray = JsonValue[];
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;

/** Bounds on a JSON value (see {@link JSON_LIMITS}). */
export type JsonLimits = {
  /** Maximum size of the JSON text in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Maximum nesting of containers: `[]` has depth 1, `[[]]` depth 2, a primitive depth 0. */
  readonly maxDepth: number;
  /** Maximum number of values (fields), containers and the root included: `{"a":[1]}` has 3. */
  readonly maxFields: number;
};

/**
 * The limits of a credential: 1 MiB of UTF-8 JSON, 32 levels of nesting, 10,000 fields.
 * Large enough for any real badge (an embedded image included), small enough that one
 * request cannot exhaust memory or the stack, and each field costs one salt and one hash.
 */
export const JSON_LIMITS: JsonLimits = Object.freeze({ maxBytes: 1_048_576, maxDepth: 32, maxFields: 10_000 });

// Lone surrogates cannot be encoded in UTF-8, so RFC 8785 (and credanchor) refuse them.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True when `s` contains an unpaired UTF-16 surrogate.
 *
 * @example
 * hasLoneSurrogate("\uD800"); // true
 * hasLoneSurrogate("😀"); // false
 */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/**
 * True for objects JSON could have produced: prototype `Object.prototype` or `null`, not an array.
 *
 * @example
 * isPlainObject({}); // true
 * isPlainObject(new Date()); // false
 */
export function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The number of UTF-8 bytes of `s` (a lone surrogate counts 3, as its replacement would).
 *
 * @example
 * utf8Length("é€😀"); // 2 + 3 + 4 = 9
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // 2 units → 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

// Sets the member even when it is "__proto__" (plain assignment would change the prototype).
function setMember(target: JsonObject, key: string, value: JsonValue): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Parses JSON text (RFC 8259) strictly: duplicate member names, lone surrogates (raw or
 * `\uXXXX`), numbers that overflow to ±Infinity and anything beyond `limits` are errors, each
 * naming the JSON pointer where it happened. `-0` is read as `0` (RFC 8785 writes both as `0`).
 * Members named `__proto__` are ordinary members, as with `JSON.parse`.
 *
 * @throws JsonError `JSON_SYNTAX`, `JSON_DUPLICATE_KEY`, `JSON_LIMIT_EXCEEDED` or `JSON_UNSUPPORTED_VALUE`.
 *
 * @example
 * parseJson('{"a":[1,2]}'); // { a: [1, 2] }
 * parseJson('{"a":1,"a":2}'); // throws JsonError, code JSON_DUPLICATE_KEY, path "/a"
 */
export function parseJson(text: string, limits: JsonLimits = JSON_LIMITS): JsonValue {
  assertTextSize(text, limits);
  return parseNative(text, limits) ?? parseJsonStrictly(text, limits);
}

function assertTextSize(text: string, limits: JsonLimits): void {
  if (text.length > limits.maxBytes || (text.length * 3 > limits.maxBytes && utf8Length(text) > limits.maxBytes)) {
    throw new JsonError(`JSON text is larger than ${limits.maxBytes} bytes`, {
      code: "JSON_LIMIT_EXCEEDED",
      details: [{ path: "", message: `at most ${limits.maxBytes} UTF-8 bytes` }],
    });
  }
}

// Any UTF-16 surrogate in the text, raw or as a `\uD800`–`\uDFFF` escape (a pair or not).
const SURROGATE_CHAR = /[\uD800-\uDFFF]/;
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * `JSON.parse` (native, several times faster than {@link parseJsonStrictly}) where it gives exactly
 * what the strict parser would; undefined wherever they could differ, and {@link parseJsonStrictly} then
 * parses again (and names the error). Both read the same grammar (ECMA-404 is RFC 8259's), but
 * `JSON.parse` keeps the last of duplicate members, lets lone surrogates, `-0` and ±Infinity
 * through and knows no limits: a text with any surrogate at all, a value out of the checks of
 * {@link withinLimits}, or fewer members than the text has name separators is left to the strict
 * parser. (A valid JSON text has exactly one `:` outside strings per member written.)
 */
function parseNative(text: string, limits: JsonLimits): JsonValue | undefined {
  if (SURROGATE_CHAR.test(text) || SURROGATE_ESCAPE.test(text)) return undefined;
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
  const count = { fields: 0, members: 0 };
  if (!withinLimits(value, 0, limits, count) || count.members !== nameSeparators(text)) return undefined;
  return value;
}

/** Counts values and members into `count`; false past a limit or at a number the strict parser reads differently (-0, ±Infinity). */
function withinLimits(value: JsonValue, depth: number, limits: JsonLimits, count: { fields: number; members: number }): boolean {
  if (++count.fields > limits.maxFields) return false;
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== "object" || value === null) return true;
  if (depth + 1 > limits.maxDepth) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!withinLimits(value[i]!, depth + 1, limits, count)) return false;
    return true;
  }
  for (const key in value) {
    count.members++;
    if (!withinLimits(value[key]!, depth + 1, limits, count)) return false;
  }
  return true;
}

/** The `:` outside strings in a JSON text that JSON.parse accepted: one per member written. */
function nameSeparators(text: string): number {
  let n = 0;
  let pos = 0;
  for (;;) {
    const quote = text.indexOf('"', pos);
    const end = quote === -1 ? text.length : quote;
    for (let i = pos; i < end; i++) if (text.charCodeAt(i) === 0x3a) n++;
    if (quote === -1) return n;
    // The string's closing quote: the next one not escaped by an odd run of backslashes.
    let close = quote;
    for (;;) {
      close = text.indexOf('"', close + 1);
      if (close === -1) return -1; // not a text JSON.parse accepted
      let backslashes = 0;
      while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
      if ((backslashes & 1) === 0) break;
    }
    pos = close + 1;
  }
}

/**
 * The strict parser proper, character by character: what {@link parseJson} falls back to, the one
 * that names errors, and the reference its native fast path is tested against. Call parseJson.
 *
 * @example
 * parseJsonStrictly('{"a":1}', JSON_LIMITS); // { a: 1 }
 */
export function parseJsonStrictly(text: string, limits: JsonLimits): JsonValue {
  assertTextSize(text, limits);
  let pos = 0;
  let fields = 0;

  const fail = (code: "JSON_SYNTAX" | "JSON_DUPLICATE_KEY" | "JSON_LIMIT_EXCEEDED" | "JSON_UNSUPPORTED_VALUE", path: string, message: string): never => {
    const short = code === "JSON_SYNTAX" ? `invalid JSON at offset ${pos}: ${message}` : message;
    throw new JsonError(short, { code, details: [{ path, message: code === "JSON_SYNTAX" ? `offset ${pos}: ${message}` : message }] });
  };
  const skipWhitespace = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };
  const describe = (at: number) => (at >= text.length ? "end of text" : JSON.stringify(text[at]));

  const parseString = (path: string): string => {
    // pos is on the opening quote
    pos++;
    let out = "";
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail("JSON_SYNTAX", path, "unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        break;
      }
      if (c < 0x20) fail("JSON_SYNTAX", path, "control character in string (escape it)");
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const e = text[pos + 1];
      switch (e) {
        case '"': out += '"'; break;
        case "\\": out += "\\"; break;
        case "/": out += "/"; break;
        case "b": out += "\b"; break;
        case "f": out += "\f"; break;
        case "n": out += "\n"; break;
        case "r": out += "\r"; break;
        case "t": out += "\t"; break;
        case "u": {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("JSON_SYNTAX", path, "bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          fail("JSON_SYNTAX", path, `bad escape ${describe(pos + 1)}`);
      }
      pos += 2;
      start = pos;
    }
    if (hasLoneSurrogate(out)) fail("JSON_UNSUPPORTED_VALUE", path, "string contains a lone surrogate (not Unicode text)");
    return out;
  };

  const parseValue = (path: string, depth: number): JsonValue => {
    if (++fields > limits.maxFields) fail("JSON_LIMIT_EXCEEDED", path, `more than ${limits.maxFields} fields`);
    skipWhitespace();
    const c = text.charCodeAt(pos);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth + 1 > limits.maxDepth) fail("JSON_LIMIT_EXCEEDED", path, `nested deeper than ${limits.maxDepth} levels`);
      return c === 0x7b ? parseObject(path, depth + 1) : parseArray(path, depth + 1);
    }
    if (c === 0x22) return parseString(path);
    if (text.startsWith("true", pos)) return (pos += 4), true;
    if (text.startsWith("false", pos)) return (pos += 5), false;
    if (text.startsWith("null", pos)) return (pos += 4), null;
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null) return fail("JSON_SYNTAX", path, `unexpected ${describe(pos)}`);
    pos += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) fail("JSON_UNSUPPORTED_VALUE", path, `number ${m[0]} is out of the IEEE 754 double range`);
    return n === 0 ? 0 : n;
  };

  const parseArray = (path: string, depth: number): JsonArray => {
    pos++;
    const out: JsonArray = [];
    skipWhitespace();
    if (text.charCodeAt(pos) === 0x5d) return pos++, out;
    for (;;) {
      out.push(parseValue(`${path}/${out.length}`, depth));
      skipWhitespace();
      const c = text.charCodeAt(pos++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) pos--, fail("JSON_SYNTAX", path, `expected ',' or ']' but found ${describe(pos)}`);
    }
  };

  const parseObject = (path: string, depth: number): JsonObject => {
    pos++;
    const out: JsonObject = {};
    skipWhitespace();
    if (text.charCodeAt(pos) === 0x7d) return pos++, out;
    for (;;) {
      skipWhitespace();
      if (text.charCodeAt(pos) !== 0x22) fail("JSON_SYNTAX", path, `expected a member name but found ${describe(pos)}`);
      const key = parseString(path);
      const memberPath = `${path}/${escapePointerToken(key)}`;
      if (Object.prototype.hasOwnProperty.call(out, key)) fail("JSON_DUPLICATE_KEY", memberPath, `duplicate member name ${JSON.stringify(key)}`);
      skipWhitespace();
      if (text.charCodeAt(pos) !== 0x3a) fail("JSON_SYNTAX", memberPath, `expected ':' but found ${describe(pos)}`);
      pos++;
      setMember(out, key, parseValue(memberPath, depth));
      skipWhitespace();
      const c = text.charCodeAt(pos++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) pos--, fail("JSON_SYNTAX", path, `expected ',' or '}' but found ${describe(pos)}`);
    }
  };

  const value = parseValue("", 0);
  skipWhitespace();
  if (pos !== text.length) fail("JSON_SYNTAX", "", `unexpected ${describe(pos)} after the value`);
  return value;
}
