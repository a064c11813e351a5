// Multibase text forms the VC formats use: base58btc (`z`, keys and signatures) and base64url without padding (`u`, our proof values and status lists).
import { base64urlToBytes, bytesToBase64url } from "./encoding.ts";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

/**
 * `z` + base58btc of `bytes` (multibase).
 *
 * @example
 * base58btcEncode(Uint8Array.of(0xed, 0x01, ...publicKey)); // "z6Mk…"
 */
export function base58btcEncode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)]! + out;
    n /= 58n;
  }
  return "z" + "1".repeat(zeros) + out;
}

/**
 * The bytes of a `z` (base58btc) multibase string; `undefined` when it is not one.
 *
 * @example
 * base58btcDecode("z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")?.length; // 34
 */
export function base58btcDecode(text: string): Uint8Array | undefined {
  if (!text.startsWith("z") || text.length > 512) return undefined;
  const body = text.slice(1);
  let zeros = 0;
  while (zeros < body.length && body[zeros] === "1") zeros++;
  let n = 0n;
  for (const c of body) {
    const v = INDEX.get(c);
    if (v === undefined) return undefined;
    n = n * 58n + BigInt(v);
  }
  const out: number[] = [];
  while (n > 0n) {
    out.unshift(Number(n & 255n));
    n >>= 8n;
  }
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...out]);
}

/**
 * `u` + unpadded base64url of `bytes` (multibase).
 *
 * @example
 * base64urlMultibaseEncode(gzipped); // "uH4sIAAAAAAAA…"
 */
export function base64urlMultibaseEncode(bytes: Uint8Array): string {
  return "u" + bytesToBase64url(bytes);
}

/**
 * The bytes of a `u` (base64url, no padding) multibase string; `undefined` when it is not one.
 *
 * @example
 * base64urlMultibaseDecode("uAQI"); // Uint8Array [1, 2]
 */
export function base64urlMultibaseDecode(text: string): Uint8Array | undefined {
  return text.startsWith("u") ? base64urlToBytes(text.slice(1)) : undefined;
}

/** The multicodec prefix of an Ed25519 public key (`0xed 0x01`): what makes a did:key `z6Mk…`. */
const ED25519_PUB_PREFIX = [0xed, 0x01] as const;

/**
 * The raw 32-byte Ed25519 public key of a `did:key:z6Mk…` (a fragment after `#` is ignored), or
 * undefined when `did` is not one. Pure: the verifier and the page use it to ask the chain whose
 * key it is.
 *
 * @example
 * ed25519KeyOfDidKey("did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")?.length; // 32
 */
export function ed25519KeyOfDidKey(did: string): Uint8Array | undefined {
  const id = did.split("#")[0]!;
  const bytes = id.startsWith("did:key:") ? base58btcDecode(id.slice(8)) : undefined;
  if (!bytes || bytes.length !== 34 || bytes[0] !== ED25519_PUB_PREFIX[0] || bytes[1] !== ED25519_PUB_PREFIX[1]) return undefined;
  return bytes.slice(2);
}
