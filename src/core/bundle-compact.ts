// A compact binary form of the proof bundle, for QR codes and URLs (about two thirds of the JSON).
import { getAddress } from "viem";
import { BUNDLE_LIMITS, encodeBundle, parseBundle, type Bundle } from "./bundle.ts";
import { canonicalize } from "./canonical.ts";
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes } from "./encoding.ts";
import { BundleError, CredanchorError } from "./errors.ts";
import { JSON_LIMITS, parseJson } from "./json.ts";

/** First two bytes of every compact bundle: 0xCA (credanchor) and the bundle version. */
export const COMPACT_BUNDLE_MAGIC = 0xca;

// The registry is stored as 20 bytes plus how it was written: all lowercase (0) or EIP-55 (1),
// the only two forms the schema admits.
const REGISTRY_CASE = ["lower", "checksum"] as const;

/**
 * Encodes a bundle in the compact binary form (docs/formats.md, "Compact bundle"): numbers as
 * LEB128 varints, hashes and salts as raw bytes, the credential as RFC 8785 JSON. Lossless:
 * `decodeCompactBundle(encodeCompactBundle(b))` encodes to the same JSON as `b`.
 *
 * @throws BundleError `BUNDLE_INVALID` when `bundle` does not match the schema.
 *
 * @example
 * const bytes = encodeCompactBundle(bundle); // put in a QR code (byte mode) or base64url it
 */
export function encodeCompactBundle(bundle: Bundle): Uint8Array {
  encodeBundle(bundle); // validates
  const out: number[] = [COMPACT_BUNDLE_MAGIC, bundle.version];
  const varint = (n: number) => {
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
    out.push(n);
  };
  const raw = (bytes: Uint8Array) => {
    for (const b of bytes) out.push(b);
  };
  const hashes = (list: readonly string[]) => {
    varint(list.length);
    for (const h of list) raw(hexToBytes(h, 32)!);
  };
  varint(bundle.chainId);
  const registry = bundle.registry;
  const registryCase = registry === registry.toLowerCase() ? 0 : 1;
  out.push(registryCase);
  raw(hexToBytes(registry.toLowerCase(), 20)!);
  varint(bundle.issuerId);
  varint(bundle.statusIndex);
  varint(bundle.validFrom);
  varint(bundle.validUntil);
  varint(bundle.blockNumber);
  raw(hexToBytes(bundle.txHash, 32)!);
  raw(hexToBytes(bundle.root, 32)!);
  raw(hexToBytes(bundle.leaf, 32)!);
  hashes(bundle.proof);
  hashes(bundle.hiddenFieldHashes);
  const salts = base64urlToBytes(bundle.salts)!;
  varint(salts.length);
  raw(salts);
  varint(bundle.hiddenElements.length);
  const encoder = new TextEncoder();
  for (const pointer of bundle.hiddenElements) {
    const bytes = encoder.encode(pointer);
    varint(bytes.length);
    raw(bytes);
  }
  raw(encoder.encode(canonicalize(bundle.credential)));
  return Uint8Array.from(out);
}

/**
 * Decodes the compact binary form back into a bundle, checked against the schema.
 *
 * @throws BundleError `BUNDLE_INVALID` (truncated or malformed bytes, or a schema problem) or `BUNDLE_UNSUPPORTED_VERSION`.
 *
 * @example
 * const bundle = decodeCompactBundle(bytesFromQr);
 */
export function decodeCompactBundle(bytes: Uint8Array): Bundle {
  let at = 0;
  const fail = (message: string): never => {
    throw new BundleError(`invalid compact bundle: ${message}`, { code: "BUNDLE_INVALID", details: [{ path: `byte ${at}`, message }] });
  };
  const take = (n: number): Uint8Array => {
    if (at + n > bytes.length) fail("truncated");
    const slice = bytes.subarray(at, at + n);
    at += n;
    return slice;
  };
  const varint = (): number => {
    let n = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const b = take(1)[0]!;
      n += (b & 0x7f) * scale;
      if (n > Number.MAX_SAFE_INTEGER) fail("number too large");
      if (b < 0x80) {
        if (b === 0 && scale > 1) fail("non-minimal varint");
        return n;
      }
    }
  };
  const hashes = (): string[] => {
    const n = varint();
    if (n * 32 > bytes.length - at) fail("truncated");
    return Array.from({ length: n }, () => bytesToHex(take(32)));
  };
  if (take(1)[0] !== COMPACT_BUNDLE_MAGIC) fail("not a compact credanchor bundle (magic byte 0xca)");
  const version = take(1)[0]!;
  if (version !== 1) {
    throw new BundleError(`unsupported bundle version ${version}`, { code: "BUNDLE_UNSUPPORTED_VERSION", details: [{ path: "version", message: "this implementation reads version 1" }] });
  }
  const chainId = varint();
  const registryCase = REGISTRY_CASE[take(1)[0]!] ?? fail("bad registry case flag");
  const lower = bytesToHex(take(20));
  const registry = registryCase === "lower" ? lower : getAddress(lower);
  const issuerId = varint();
  const statusIndex = varint();
  const validFrom = varint();
  const validUntil = varint();
  const blockNumber = varint();
  const txHash = bytesToHex(take(32));
  const root = bytesToHex(take(32));
  const leaf = bytesToHex(take(32));
  const proof = hashes();
  const hiddenFieldHashes = hashes();
  const salts = bytesToBase64url(take(varint()));
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const utf8 = (b: Uint8Array) => {
    try {
      return decoder.decode(b);
    } catch {
      return fail("invalid UTF-8");
    }
  };
  const elementCount = varint();
  if (elementCount > JSON_LIMITS.maxFields) fail("too many hidden elements");
  const hiddenElements = Array.from({ length: elementCount }, () => utf8(take(varint())));
  let credential: unknown;
  try {
    credential = parseJson(utf8(take(bytes.length - at)), BUNDLE_LIMITS);
  } catch (error) {
    throw new BundleError(`invalid compact bundle: ${(error as CredanchorError).shortMessage}`, {
      code: "BUNDLE_INVALID",
      details: (error as CredanchorError).details.map((d) => ({ path: `credential${d.path}`, message: d.message })),
      cause: error,
    });
  }
  return parseBundle({
    version, credential, salts, hiddenFieldHashes, hiddenElements, validFrom, validUntil,
    chainId, registry, issuerId, statusIndex, leaf, proof, root, txHash, blockNumber,
  });
}
