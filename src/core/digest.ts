// The credential digest: one bytes32 committing to the field hashes and where and by whom it is anchored.
import { isAddress } from "./address.ts";
import { DisclosureError, ValidationError, type ErrorDetail } from "./errors.ts";
import { compareBytes } from "./encoding.ts";
import { keccak256 } from "./keccak.ts";

/** Text whose keccak256 is the digest's domain tag (the first ABI word). */
export const DIGEST_TAG_TEXT = "credanchor/credential-digest/v1";
/** keccak256(`credanchor/credential-digest/v1`). */
export const DIGEST_TAG: Uint8Array = keccak256(new TextEncoder().encode(DIGEST_TAG_TEXT));

/** Where and under which on-chain identity a credential is anchored. */
export type AnchorContext = {
  /** EVM chain id (uint256, ≥ 1). */
  chainId: number | bigint;
  /** The CredentialRegistry contract: 0x + 40 hex digits, any case (mixed case must be an EIP-55 checksum). */
  registry: string;
  /** The issuer's numeric id in the IssuerRegistry (uint64, ≥ 1): not the issuer's URI or DID. */
  issuerId: number | bigint;
  /** Index of the credential's bits in the issuer's status bitmaps: an integer, 0 ≤ i < 2^32. */
  statusIndex: number;
};

export type DigestInput = {
  context: AnchorContext;
  /** Unix seconds of the credential's validFrom, 0 if absent (uint64). */
  validFrom: number;
  /** Unix seconds of the credential's validUntil, 0 if absent (uint64). */
  validUntil: number;
  /** Every field hash of the credential, any order (they are sorted here). */
  fieldHashes: readonly Uint8Array[];
};

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT256 = (1n << 256n) - 1n;

/**
 * Checks an anchoring context and reports every problem at once.
 *
 * @throws ValidationError `CONTEXT_INVALID` with one detail per bad member.
 *
 * @example
 * checkAnchorContext({ chainId: 31337, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3", issuerId: 1, statusIndex: 0 });
 */
export function checkAnchorContext(context: AnchorContext): void {
  const details: ErrorDetail[] = [];
  const c = context as Partial<Record<keyof AnchorContext, unknown>> | null;
  if (typeof c !== "object" || c === null) {
    throw new ValidationError("anchor context must be an object", { code: "CONTEXT_INVALID", details: [{ path: "", message: "must be an object" }] });
  }
  if (!isUint(c.chainId, 1n, MAX_UINT256)) details.push({ path: "chainId", message: "must be an integer ≥ 1 (uint256)" });
  if (typeof c.registry !== "string" || !isValidRegistry(c.registry)) {
    details.push({ path: "registry", message: "must be a 20-byte 0x address (mixed case must be a valid EIP-55 checksum)" });
  }
  if (!isUint(c.issuerId, 1n, MAX_UINT64)) details.push({ path: "issuerId", message: "must be an integer ≥ 1 (uint64)" });
  if (!isUint(c.statusIndex, 0n, 0xffffffffn) || typeof c.statusIndex !== "number") {
    details.push({ path: "statusIndex", message: "must be an integer, 0 ≤ i < 2^32" });
  }
  if (details.length > 0) throw new ValidationError("invalid anchor context", { code: "CONTEXT_INVALID", details });
}

const isSeconds = (t: number) => Number.isSafeInteger(t) && t >= 0;

function badSeconds(name: string): never {
  throw new ValidationError(`${name} must be unix seconds`, { code: "CONTEXT_INVALID", details: [{ path: name, message: "must be an integer ≥ 0 (unix seconds)" }] });
}

function isUint(v: unknown, min: bigint, max: bigint): boolean {
  if (typeof v === "number") return Number.isSafeInteger(v) && BigInt(v) >= min && BigInt(v) <= max;
  return typeof v === "bigint" && v >= min && v <= max;
}

// Every credential of a batch has its own status index but the same registry: the registry's
// EIP-55 check (a keccak) and hex parsing run once per distinct string.
let lastRegistry = "";
let lastRegistryValid = false;
let lastRegistryBytes = new Uint8Array(20);

function isValidRegistry(registry: string): boolean {
  if (registry !== lastRegistry) {
    lastRegistryValid = isAddress(registry);
    lastRegistryBytes = new Uint8Array(20);
    if (lastRegistryValid) for (let i = 0; i < 20; i++) lastRegistryBytes[i] = parseInt(registry.slice(2 + 2 * i, 4 + 2 * i), 16);
    lastRegistry = registry;
  }
  return lastRegistryValid;
}

function registryBytes(registry: string): Uint8Array {
  isValidRegistry(registry);
  return lastRegistryBytes;
}

function writeWord(out: Uint8Array, at: number, v: number | bigint): void {
  out.fill(0, at, at + 32);
  if (typeof v === "number") {
    // safe integers only (checked): high 21 bits and low 32 bits
    const hi = Math.floor(v / 0x1_0000_0000);
    const lo = v >>> 0;
    for (let i = 0; i < 4; i++) out[at + 31 - i] = (lo >>> (8 * i)) & 255;
    for (let i = 0; i < 4; i++) out[at + 27 - i] = (hi >>> (8 * i)) & 255;
    return;
  }
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[at + i] = Number(v & 255n);
    v >>= 8n;
  }
}

/**
 * The credential digest, keccak256 of the Solidity ABI encoding
 * `abi.encode(bytes32 DIGEST_TAG, uint256 chainId, address registry, uint64 issuerId,
 * uint32 statusIndex, uint64 validFrom, uint64 validUntil, bytes32[] fieldHashes)`, the field
 * hashes sorted ascending as unsigned 256-bit numbers. Sorting makes the digest independent
 * of field order, so a disclosed view need not say where its hidden fields sat.
 *
 * @throws ValidationError `CONTEXT_INVALID`; DisclosureError `DISCLOSURE_MISMATCH` when two
 *   field hashes are equal (honest fields never collide: each hash covers its own pointer).
 *
 * @example
 * const digest = credentialDigest({ context, validFrom: 1704067200, validUntil: 0, fieldHashes });
 */
export function credentialDigest(input: DigestInput): Uint8Array {
  return keccak256(encodeDigestInput(input));
}

/**
 * The bytes {@link credentialDigest} hashes: the ABI encoding described there (for specs,
 * vectors and Solidity cross-checks).
 *
 * @throws as {@link credentialDigest}.
 *
 * @example
 * encodeDigestInput({ context, validFrom: 0, validUntil: 0, fieldHashes: [] }).length; // 288
 */
export function encodeDigestInput(input: DigestInput): Uint8Array {
  const { context, validFrom, validUntil } = input;
  checkAnchorContext(context);
  if (!isSeconds(validFrom)) badSeconds("validFrom");
  if (!isSeconds(validUntil)) badSeconds("validUntil");
  const sorted = input.fieldHashes.slice().sort(compareBytes);
  const n = sorted.length;
  const out = new Uint8Array(32 * (9 + n));
  out.set(DIGEST_TAG, 0);
  writeWord(out, 32, context.chainId);
  out.set(registryBytes(context.registry), 64 + 12);
  writeWord(out, 96, context.issuerId);
  writeWord(out, 128, context.statusIndex);
  writeWord(out, 160, validFrom);
  writeWord(out, 192, validUntil);
  writeWord(out, 224, 256); // offset of the dynamic array: 8 head words
  writeWord(out, 256, n);
  for (let i = 0; i < n; i++) {
    const h = sorted[i]!;
    if (h.length !== 32) throw new DisclosureError("a field hash is not 32 bytes", { code: "DISCLOSURE_MISMATCH", details: [{ path: `fieldHashes/${i}`, message: "not 32 bytes" }] });
    if (i > 0 && compareBytes(sorted[i - 1]!, h) === 0) {
      throw new DisclosureError("the same field hash appears twice", { code: "DISCLOSURE_MISMATCH", details: [{ path: "", message: "duplicate field hash" }] });
    }
    out.set(h, 288 + 32 * i);
  }
  return out;
}
