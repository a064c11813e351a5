// Salted field hashes: every node of a credential (containers included) hashed with its own salt.
import { CredanchorError, DisclosureError, JsonError } from "./errors.ts";
import { canonicalNumber } from "./canonical.ts";
import { JSON_LIMITS, hasLoneSurrogate, isPlainObject, type JsonLimits, type JsonValue } from "./json.ts";
import { keccak256 } from "./keccak.ts";
import { escapePointerToken } from "./pointer.ts";
import { SALT_BYTES, type SaltSource } from "./salt.ts";

/** Domain tag opening every field hash preimage (ASCII, 19 bytes). */
export const FIELD_TAG = "credanchor/field/v1";

/** JSON type codes in the field hash. */
export const FIELD_TYPES = { null: 0, boolean: 1, number: 2, string: 3, object: 4, array: 5 } as const;
export type FieldType = keyof typeof FIELD_TYPES;

/** The fields of a value, in field order (pre-order; members by UTF-16 name order; elements by index). */
export type HashedFields = {
  /** `SALT_BYTES` × field count: salt i belongs to field i. */
  salts: Uint8Array;
  /** Field hash i of field i. */
  hashes: Uint8Array[];
  /** JSON pointer of field i (only with `withPointers`). */
  pointers?: string[];
};

export type HashFieldsOptions = {
  /** Return `pointers` too (disclosure and vectors need them; batching does not). */
  withPointers?: boolean;
  /**
   * Pointers of array elements that are hidden-element placeholders in a disclosed view: each
   * must be `null` in the value and is skipped (no salt, no hash).
   */
  placeholders?: ReadonlySet<string>;
  limits?: JsonLimits;
};

// One preimage buffer, laid out as the field hash defines it:
// TAG(19) ‖ salt(16) ‖ uint32be(pointer byte length) ‖ pointer ‖ type(1) ‖ payload.
// A child's pointer extends its parent's in place, so no pointer is ever built twice.
const TAG = new TextEncoder().encode(FIELD_TAG);
const SALT_AT = TAG.length;
const LEN_AT = SALT_AT + SALT_BYTES;
const PATH_AT = LEN_AT + 4;
let buf = new Uint8Array(8192);
buf.set(TAG);
const decoder = new TextDecoder();

function ensure(size: number): void {
  if (size <= buf.length) return;
  const bigger = new Uint8Array(Math.max(size, buf.length * 2));
  bigger.set(buf);
  buf = bigger;
}

// UTF-8 of s at p (room for 3 bytes per unit must exist); -1 on a lone surrogate. With
// `escape`, `~` and `/` become RFC 6901's `~0` and `~1` (room for 2 per unit then, hence ensure).
function writeUtf8(s: string, p: number, escape: boolean): number {
  const b = buf;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (escape && (c === 0x7e || c === 0x2f)) {
        b[p++] = 0x7e;
        b[p++] = c === 0x7e ? 0x30 : 0x31;
      } else b[p++] = c;
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >> 6);
      b[p++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return -1;
      i++;
      c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      b[p++] = 0xf0 | (c >> 18);
      b[p++] = 0x80 | ((c >> 12) & 63);
      b[p++] = 0x80 | ((c >> 6) & 63);
      b[p++] = 0x80 | (c & 63);
    } else {
      b[p++] = 0xe0 | (c >> 12);
      b[p++] = 0x80 | ((c >> 6) & 63);
      b[p++] = 0x80 | (c & 63);
    }
  }
  return p;
}

function writeAscii(s: string, p: number): number {
  for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
  return p;
}

function writeUint32(n: number, p: number): void {
  buf[p] = n >>> 24;
  buf[p + 1] = (n >>> 16) & 255;
  buf[p + 2] = (n >>> 8) & 255;
  buf[p + 3] = n & 255;
}

const pointerAt = (end: number) => decoder.decode(buf.subarray(PATH_AT, end));

/**
 * Hashes every field of `value` with its own salt, in field order (see docs/formats.md, "Fields").
 *
 * Field i's hash is keccak256(`credanchor/field/v1` ‖ salt_i ‖ uint32be(len(p)) ‖ p ‖ type ‖
 * payload), p the field's JSON pointer in UTF-8, payload: none (null, object), 0x00/0x01
 * (boolean), the RFC 8785 text (number), the UTF-8 text (string), uint32be(length) (array).
 *
 * `salts` is either the salts to use (`SALT_BYTES` per field, exactly) or a source of fresh
 * ones. The walk also enforces the JSON rules (plain values, finite numbers, no lone
 * surrogates) and `limits`.
 *
 * @throws JsonError for a value that is not plain JSON or exceeds the limits; DisclosureError
 *   `DISCLOSURE_MISMATCH` when given salts do not match the field count or a placeholder is bad.
 *
 * @example
 * const { salts, hashes } = hashFields(credential, cryptoSaltSource);
 */
export function hashFields(value: unknown, salts: Uint8Array | SaltSource, options: HashFieldsOptions = {}): HashedFields {
  const limits = options.limits ?? JSON_LIMITS;
  const placeholders = options.placeholders;
  const pointers: string[] | undefined = options.withPointers ? [] : undefined;
  const hashes: Uint8Array[] = [];
  const source = typeof salts === "function" ? salts : undefined;
  // Fresh salts are drawn 32 fields at a time, then doubling: a deterministic pattern, so a
  // deterministic source gives the same salts for the same value whatever ran before.
  let saltBuf = source ? new Uint8Array(32 * SALT_BYTES) : (salts as Uint8Array);
  if (source) source(saltBuf);
  else if (saltBuf.length % SALT_BYTES !== 0) mismatch("", `salts are ${saltBuf.length} bytes, not a multiple of ${SALT_BYTES}`);
  let count = 0;
  let placeholdersSeen = 0;

  const visit = (v: unknown, pathEnd: number, depth: number): void => {
    if (count >= limits.maxFields) tooMuch(pointerAt(pathEnd), `more than ${limits.maxFields} fields`);
    const saltAt = count * SALT_BYTES;
    if (saltAt + SALT_BYTES > saltBuf.length) {
      if (!source) mismatch(pointerAt(pathEnd), `salts for ${saltBuf.length / SALT_BYTES} fields, but the value has more`);
      const more = new Uint8Array(saltBuf.length * 2);
      more.set(saltBuf);
      source(more.subarray(saltBuf.length));
      saltBuf = more;
    }
    for (let i = 0; i < SALT_BYTES; i++) buf[SALT_AT + i] = saltBuf[saltAt + i]!;
    writeUint32(pathEnd - PATH_AT, LEN_AT);
    count++;
    if (pointers) pointers.push(pointerAt(pathEnd));
    let p = pathEnd;
    switch (typeof v) {
      case "string":
        ensure(p + 1 + 3 * v.length);
        buf[p++] = FIELD_TYPES.string;
        p = writeUtf8(v, p, false);
        if (p < 0) unsupported(pointerAt(pathEnd), "string contains a lone surrogate (not Unicode text)");
        hashes.push(keccak256(buf.subarray(0, p)));
        return;
      case "number": {
        if (!Number.isFinite(v)) unsupported(pointerAt(pathEnd), `${v} is not a JSON number`);
        const text = String(v);
        ensure(p + 1 + text.length);
        buf[p++] = FIELD_TYPES.number;
        p = writeAscii(text, p);
        hashes.push(keccak256(buf.subarray(0, p)));
        return;
      }
      case "boolean":
        ensure(p + 2);
        buf[p++] = FIELD_TYPES.boolean;
        buf[p++] = v ? 1 : 0;
        hashes.push(keccak256(buf.subarray(0, p)));
        return;
      case "object":
        break;
      default:
        return unsupported(pointerAt(pathEnd), `${typeof v} is not a JSON value`);
    }
    ensure(p + 5);
    if (v === null) {
      buf[p++] = FIELD_TYPES.null;
      hashes.push(keccak256(buf.subarray(0, p)));
      return;
    }
    if (depth >= limits.maxDepth) tooMuch(pointerAt(pathEnd), `nested deeper than ${limits.maxDepth} levels`);
    if (Array.isArray(v)) {
      buf[p++] = FIELD_TYPES.array;
      writeUint32(v.length, p);
      hashes.push(keccak256(buf.subarray(0, p + 4)));
      for (let i = 0; i < v.length; i++) {
        const index = String(i);
        ensure(pathEnd + 1 + index.length);
        buf[pathEnd] = 0x2f;
        const childEnd = writeAscii(index, pathEnd + 1);
        if (placeholders !== undefined && placeholders.size > 0 && placeholders.has(pointerAt(childEnd))) {
          if (v[i] !== null) mismatch(pointerAt(childEnd), "a hidden-element placeholder must be null");
          placeholdersSeen++;
          continue;
        }
        if (!(i in v)) unsupported(pointerAt(childEnd), "sparse array (hole)");
        visit(v[i], childEnd, depth + 1);
      }
      return;
    }
    if (!isPlainObject(v)) unsupported(pointerAt(pathEnd), "not a plain JSON object");
    buf[p++] = FIELD_TYPES.object;
    hashes.push(keccak256(buf.subarray(0, p)));
    const keys = Object.keys(v).sort();
    for (const key of keys) {
      ensure(pathEnd + 1 + 3 * key.length);
      buf[pathEnd] = 0x2f;
      const childEnd = writeUtf8(key, pathEnd + 1, true);
      if (childEnd < 0) unsupported(`${pointerAt(pathEnd)}/${escapePointerToken(key)}`, "member name contains a lone surrogate");
      visit((v as Record<string, unknown>)[key], childEnd, depth + 1);
    }
  };

  visit(value, PATH_AT, 0);
  if (placeholders !== undefined && placeholdersSeen !== placeholders.size) {
    mismatch("", `${placeholders.size - placeholdersSeen} hidden-element placeholder(s) name no array element of the view`);
  }
  const used = count * SALT_BYTES;
  if (!source && used !== saltBuf.length) mismatch("", `salts for ${saltBuf.length / SALT_BYTES} fields, but the value has ${count}`);
  return { salts: source ? saltBuf.slice(0, used) : saltBuf, hashes, ...(pointers ? { pointers } : {}) };
}

/**
 * The preimage of one field's hash (see {@link hashFields} for the layout). For a container only
 * its type (and an array's length) count, its members being fields of their own. Reference
 * form for specs and vectors; batching uses {@link hashFields}.
 *
 * @example
 * fieldPreimage(salt, "/credentialSubject/achievement/name", "Teamwork");
 */
export function fieldPreimage(salt: Uint8Array, pointer: string, value: JsonValue): Uint8Array {
  if (salt.length !== SALT_BYTES) throw new CredanchorError(`fieldPreimage: salt must be ${SALT_BYTES} bytes`);
  if (hasLoneSurrogate(pointer)) unsupported(pointer, "pointer contains a lone surrogate");
  const encoder = new TextEncoder();
  const path = encoder.encode(pointer);
  const parts: number[] = [...TAG, ...salt, ...u32(path.length), ...path];
  if (value === null) parts.push(FIELD_TYPES.null);
  else if (typeof value === "boolean") parts.push(FIELD_TYPES.boolean, value ? 1 : 0);
  else if (typeof value === "number") parts.push(FIELD_TYPES.number, ...encoder.encode(canonicalNumber(value, pointer)));
  else if (typeof value === "string") {
    if (hasLoneSurrogate(value)) unsupported(pointer, "string contains a lone surrogate (not Unicode text)");
    parts.push(FIELD_TYPES.string, ...encoder.encode(value));
  } else if (Array.isArray(value)) parts.push(FIELD_TYPES.array, ...u32(value.length));
  else parts.push(FIELD_TYPES.object);
  return Uint8Array.from(parts);
}

/**
 * The hash of one field: keccak256 of {@link fieldPreimage}.
 *
 * @example
 * fieldHash(salt, "/credentialSubject/achievement/name", "Teamwork");
 */
export function fieldHash(salt: Uint8Array, pointer: string, value: JsonValue): Uint8Array {
  return keccak256(fieldPreimage(salt, pointer, value));
}

const u32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

function unsupported(path: string, message: string): never {
  throw new JsonError(message, { code: "JSON_UNSUPPORTED_VALUE", details: [{ path, message }] });
}
function tooMuch(path: string, message: string): never {
  throw new JsonError(message, { code: "JSON_LIMIT_EXCEEDED", details: [{ path, message }] });
}
function mismatch(path: string, message: string): never {
  throw new DisclosureError(message, { code: "DISCLOSURE_MISMATCH", details: [{ path, message }] });
}
