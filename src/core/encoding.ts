// Byte ↔ text encodings used by the formats: lowercase 0x-hex and unpadded base64url, both strict.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Lowercase `0x`-prefixed hex of `bytes`.
 *
 * @example
 * bytesToHex(new Uint8Array([1, 255])); // "0x01ff"
 */
export function bytesToHex(bytes: Uint8Array): `0x${string}` {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out as `0x${string}`;
}

/**
 * Bytes of a `0x`-prefixed hex string (either case); `undefined` when it is not one, or when
 * `length` is given and the byte length differs.
 *
 * @example
 * hexToBytes("0x01ff"); // Uint8Array [1, 255]
 * hexToBytes("0x01f"); // undefined
 */
export function hexToBytes(hex: string, length?: number): Uint8Array | undefined {
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(hex)) return undefined;
  const n = (hex.length - 2) / 2;
  if (length !== undefined && n !== length) return undefined;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64URL_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_INDEX[B64URL.charCodeAt(i)] = i;

/**
 * Unpadded base64url (RFC 4648 §5) of `bytes`.
 *
 * @example
 * bytesToBase64url(new Uint8Array([251, 255])); // "-_8"
 */
export function bytesToBase64url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Bytes of unpadded base64url text; `undefined` for any other alphabet, padding, an impossible
 * length, or non-zero unused trailing bits (so each byte string has exactly one encoding).
 *
 * @example
 * base64urlToBytes("-_8"); // Uint8Array [251, 255]
 * base64urlToBytes("-_9"); // undefined (non-canonical)
 */
export function base64urlToBytes(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64URL_INDEX[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/**
 * Orders byte strings as unsigned big-endian numbers (then shorter first): the order of sorted
 * field hashes.
 *
 * @example
 * [b, a].sort(compareBytes);
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
