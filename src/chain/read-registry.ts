// Read-only views of a CredentialRegistry (v1 or v2): what a verifier asks the chain, batched into one eth_call.
import { checksumAddress, decodeFunctionResult, encodeFunctionData, type Address, type Hex, type PublicClient } from "viem";
import { credentialRegistryV1Abi, credentialRegistryV2Abi } from "./abi.ts";

/**
 * One credential's on-chain facts, the same shape for every registry version (the contract's
 * `Verification` struct, as viem decodes it, plus the issuer fields of both versions).
 */
export type OnChainVerification = {
  anchored: boolean;
  issuerId: bigint;
  signer: Address;
  anchoredAt: number;
  blockNumber: number;
  rootRevoked: boolean;
  signerValidAtAnchoring: boolean;
  issuerAccreditedAtAnchoring: boolean;
  revoked: boolean;
  suspended: boolean;
  valid: boolean;
  /** v1: the issuer's self-set metadata URI or DID; v2: its identity (the same as `issuerIdentity`). */
  issuerMetadataURI: string;
  /** The issuer's identity: set by the accreditor in v2; v1's metadata URI. */
  issuerIdentity: string;
  /** The issuer's display name (v2; "" for v1). */
  issuerName: string;
};

/** `issuerId` is the issuer the bundle names: v2 keys anchors by (issuer, root); v1 ignores it. */
export type VerificationQuery = { root: Hex; statusIndex: bigint; issuerId?: bigint };

/** The major version of a deployment's `version` ("2.0.0" → 2); only 1 and 2 are known. */
export function registryMajor(version: string): 1 | 2 {
  const major = Number(version.split(".")[0]);
  if (major !== 1 && major !== 2) throw new Error(`unsupported registry version ${version}: this verifier reads versions 1.x and 2.x`);
  return major;
}

/** Selectors of `multicall(bytes[])` and of each version's `verify`, without 0x. */
const MULTICALL = encodeFunctionData({ abi: credentialRegistryV2Abi, functionName: "multicall", args: [[]] }).slice(2, 10);
const VERIFY_SELECTOR = {
  1: encodeFunctionData({ abi: credentialRegistryV1Abi, functionName: "verify", args: [`0x${"0".repeat(64)}`, 0n] }).slice(2, 10),
  2: encodeFunctionData({ abi: credentialRegistryV2Abi, functionName: "verify", args: [0n, `0x${"0".repeat(64)}`, 0n] }).slice(2, 10),
} as const;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const [UINT64_END, UINT256_END] = [1n << 64n, 1n << 256n];

/** An unsigned integer below `end` (2^bits) as one ABI word (64 hex digits), or undefined outside that range. */
function uintWord(value: bigint, end = UINT256_END): string | undefined {
  return typeof value === "bigint" && value >= 0n && value < end ? value.toString(16).padStart(WORD, "0") : undefined;
}

/**
 * The `multicall` of `verify` views as calldata, laid out by hand as `abi.encode` does (viem's
 * generic encoder costs ≈ 18 µs per view, paid by the one thread reading for every verification
 * thread); undefined when a query is not plainly encodable (a root not 32 bytes of hex, a number out
 * of range), which viem's encoder then refuses as before. test/chain/verify-codec.test.ts compares them.
 */
export function encodeVerifyMulticall(major: 1 | 2, queries: readonly VerificationQuery[]): Hex | undefined {
  // Each call: selector + 2 (v1) or 3 (v2) words, padded to whole words, after its length word.
  const callBytes = 4 + (major === 1 ? 2 : 3) * 32;
  const padded = Math.ceil(callBytes / 32) * 32;
  const parts = [MULTICALL, uintWord(32n)!, uintWord(BigInt(queries.length))!];
  for (let i = 0; i < queries.length; i++) parts.push(uintWord(BigInt(queries.length * 32 + i * (32 + padded)))!);
  const tail = "0".repeat((padded - callBytes) * 2);
  for (const { root, statusIndex, issuerId = 0n } of queries) {
    // v2's verify(uint64 issuerId, bytes32 root, uint256 statusIndex); v1's verify(bytes32 root, uint256 statusIndex).
    const [index, issuer] = [uintWord(statusIndex), major === 1 ? "" : uintWord(issuerId, UINT64_END)];
    if (typeof root !== "string" || !BYTES32.test(root) || index === undefined || issuer === undefined) return undefined;
    const args = major === 1 ? root.slice(2) + index : issuer + root.slice(2) + index;
    parts.push(uintWord(BigInt(callBytes))!, VERIFY_SELECTOR[major], args.toLowerCase(), tail);
  }
  return `0x${parts.join("")}`;
}

function encodeVerify(major: 1 | 2, { root, statusIndex, issuerId = 0n }: VerificationQuery): Hex {
  return major === 1
    ? encodeFunctionData({ abi: credentialRegistryV1Abi, functionName: "verify", args: [root, statusIndex] })
    : encodeFunctionData({ abi: credentialRegistryV2Abi, functionName: "verify", args: [issuerId, root, statusIndex] });
}

function decodeVerify(major: 1 | 2, data: Hex): OnChainVerification {
  if (major === 1) {
    const v = decodeFunctionResult({ abi: credentialRegistryV1Abi, functionName: "verify", data });
    return { ...v, issuerIdentity: v.issuerMetadataURI, issuerName: "" };
  }
  const v = decodeFunctionResult({ abi: credentialRegistryV2Abi, functionName: "verify", data });
  return { ...v, issuerMetadataURI: v.issuerIdentity };
}

/**
 * Reads `verify` for every query with the registry's own `multicall`: one `eth_call` per
 * {@link VERIFICATIONS_PER_CALL} queries (in parallel), at `blockNumber` (default latest).
 * `version` is the trusted deployment's (default "2.0.0"): v1 answers `verify(root, index)`,
 * v2 `verify(issuerId, root, index)`.
 *
 * @example
 * const [v] = await readVerifications(client, registry, [{ root, statusIndex: 42n, issuerId: 1n }]);
 * if (v.anchored && !v.revoked) …
 */
export async function readVerifications(
  client: PublicClient,
  registry: Address,
  queries: readonly VerificationQuery[],
  { blockNumber, version = "2.0.0" }: { blockNumber?: bigint; version?: string } = {},
): Promise<OnChainVerification[]> {
  if (queries.length === 0) return [];
  const major = registryMajor(version);
  // One verify() costs about 40k gas; nodes cap an eth_call's gas (Hardhat: the 30M block limit,
  // geth: 50M by default), so large sets go in chunks, read in parallel.
  if (queries.length > VERIFICATIONS_PER_CALL) {
    const chunks: VerificationQuery[][] = [];
    for (let i = 0; i < queries.length; i += VERIFICATIONS_PER_CALL) chunks.push(queries.slice(i, i + VERIFICATIONS_PER_CALL));
    const results = await Promise.all(chunks.map((chunk) => readVerifications(client, registry, chunk, { version, ...(blockNumber === undefined ? {} : { blockNumber }) })));
    return results.flat();
  }
  // `multicall` is not a view in the ABI (it also batches writes), so encode the eth_call by hand
  // (the same selector in both versions).
  const { data } = await client.call({
    to: registry,
    data: encodeVerifyMulticall(major, queries) ?? encodeFunctionData({ abi: credentialRegistryV2Abi, functionName: "multicall", args: [queries.map((query) => encodeVerify(major, query))] }),
    ...(blockNumber === undefined ? {} : { blockNumber }),
  });
  if (!data) throw new Error(`registry ${registry} returned no data: is it a CredentialRegistry?`);
  const fast = major === 2 ? decodeCanonicalVerifications(data) : undefined;
  if (fast) return fast;
  const results = decodeFunctionResult({ abi: credentialRegistryV2Abi, functionName: "multicall", data });
  return results.map((result) => decodeVerify(major, result));
}

/** Hex digits of one ABI word. */
const WORD = 64;
const ZEROS = "0".repeat(WORD);
/** The zero digits above a 48-bit number, a 64-bit number and an address in a word. */
const [HIGH_52, HIGH_48, HIGH_24] = [ZEROS.slice(12), ZEROS.slice(16), ZEROS.slice(40)];
const [FALSE, TRUE] = [ZEROS, `${ZEROS.slice(1)}1`];
const utf8 = new TextDecoder();
const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;
/** A hex digit's value by its character code. */
const NIBBLE = new Uint8Array(128);
for (const [i, c] of [..."0123456789abcdef"].entries()) NIBBLE[c.charCodeAt(0)] = NIBBLE[c.toUpperCase().charCodeAt(0)] = i;

/** The word at word index `at` of `hex` (no 0x), as a number when it is below 2^48, else undefined. */
function smallWord(hex: string, at: number): number | undefined {
  const start = at * WORD;
  if (start + WORD > hex.length || !hex.startsWith(HIGH_52, start)) return undefined;
  return parseInt(hex.slice(start + WORD - 12, start + WORD), 16);
}

/** A bool word (0 or 1), else undefined. */
function boolWord(hex: string, at: number): boolean | undefined {
  return hex.startsWith(FALSE, at * WORD) ? false : hex.startsWith(TRUE, at * WORD) ? true : undefined;
}

/** A string at `offset` bytes into `hex` (its length word, then its bytes padded), as viem reads it (UTF-8, replacement characters). */
function stringAt(hex: string, offset: number): { value: string; end: number } | undefined {
  if (offset % 32 !== 0) return undefined;
  const length = smallWord(hex, offset / 32);
  const start = offset * 2 + WORD;
  if (length === undefined || start + length * 2 > hex.length) return undefined;
  // The digits are known to be hex (checked once for the whole answer). No Buffer: this module also runs in browsers.
  const bytes = new Uint8Array(length);
  for (let i = 0, at = start; i < length; i++, at += 2) bytes[i] = (NIBBLE[hex.charCodeAt(at)]! << 4) | NIBBLE[hex.charCodeAt(at + 1)]!;
  return { value: utf8.decode(bytes), end: offset + 32 + Math.ceil(length / 32) * 32 };
}

/**
 * One v2 `Verification` as `abi.encode` lays it out (`hex` without 0x): the tuple's offset word
 * (0x20), its 11 static members, its two strings' offsets and the strings, each where the last
 * one ended, nothing after. Undefined for anything else (viem's decoder then decides).
 */
function decodeCanonicalVerification(hex: string): OnChainVerification | undefined {
  const t = hex.slice(WORD); // the tuple: offsets below are relative to it
  if (smallWord(hex, 0) !== 32 || t.length < 13 * WORD) return undefined;
  const issuerId = t.startsWith(HIGH_48, WORD) ? BigInt(`0x${t.slice(2 * WORD - 16, 2 * WORD)}`) : undefined;
  const signerWord = t.slice(2 * WORD, 3 * WORD);
  const [anchoredAt, blockNumber] = [smallWord(t, 3), smallWord(t, 4)];
  const bools = [0, 5, 6, 7, 8, 9, 10].map((at) => boolWord(t, at));
  const identityAt = smallWord(t, 11);
  const nameAt = smallWord(t, 12);
  if (issuerId === undefined || !signerWord.startsWith(HIGH_24) || anchoredAt === undefined || anchoredAt >= 2 ** 40 || blockNumber === undefined || blockNumber >= 2 ** 40) return undefined;
  if (bools.includes(undefined) || identityAt !== 13 * 32) return undefined;
  const identity = stringAt(t, identityAt);
  if (!identity || nameAt !== identity.end) return undefined;
  const name = stringAt(t, nameAt);
  if (!name || name.end * 2 !== t.length) return undefined;
  const [anchored, rootRevoked, signerValidAtAnchoring, issuerAccreditedAtAnchoring, revoked, suspended, valid] = bools as boolean[];
  return {
    anchored: anchored!,
    issuerId,
    signer: checksumAddress(`0x${signerWord.slice(24).toLowerCase()}`),
    anchoredAt,
    blockNumber,
    rootRevoked: rootRevoked!,
    signerValidAtAnchoring: signerValidAtAnchoring!,
    issuerAccreditedAtAnchoring: issuerAccreditedAtAnchoring!,
    revoked: revoked!,
    suspended: suspended!,
    valid: valid!,
    issuerIdentity: identity.value,
    issuerName: name.value,
    issuerMetadataURI: identity.value,
  };
}

/**
 * A v2 `multicall` of `verify` views decoded by hand when the answer is laid out as the contract
 * encodes it (viem's generic decoder costs ≈ 30 µs per view); undefined for any other layout,
 * which viem's decoder then reads (or refuses) as before. test/chain/verify-codec.test.ts compares them.
 */
export function decodeCanonicalVerifications(data: Hex): OnChainVerification[] | undefined {
  if (!HEX.test(data)) return undefined;
  const hex = data.slice(2);
  const count = smallWord(hex, 1);
  if (smallWord(hex, 0) !== 32 || count === undefined || count > VERIFICATIONS_PER_CALL) return undefined;
  const body = hex.slice(2 * WORD); // the array's elements: offsets below are relative to it
  const out: OnChainVerification[] = [];
  let next = count * 32;
  for (let i = 0; i < count; i++) {
    if (smallWord(body, i) !== next) return undefined;
    const length = smallWord(body, next / 32);
    const start = next * 2 + WORD;
    if (length === undefined || length % 32 !== 0 || start + length * 2 > body.length) return undefined;
    const v = decodeCanonicalVerification(body.slice(start, start + length * 2));
    if (!v) return undefined;
    out.push(v);
    next += 32 + length;
  }
  return next * 2 === body.length ? out : undefined;
}

/** Most verify() views per eth_call: ≈ 200 × 40k gas = 8M, well under every node's call gas cap. */
export const VERIFICATIONS_PER_CALL = 200;

/**
 * Reads `count` words of both status bitmaps of `issuerId` from `firstWord` (one `eth_call`) at `blockNumber` (default latest),
 * so the RPC provider learns which list is checked, not which credential.
 *
 * @example
 * const { revoked, suspended } = await readStatusWords(client, registry, 1n, 0n, 512n);
 */
export async function readStatusWords(
  client: PublicClient,
  registry: Address,
  issuerId: bigint,
  firstWord: bigint,
  count: bigint,
  blockNumber?: bigint,
): Promise<{ revoked: readonly bigint[]; suspended: readonly bigint[] }> {
  const [revoked, suspended] = await client.readContract({
    address: registry,
    abi: credentialRegistryV2Abi, // same signature in v1
    functionName: "getStatusWords",
    args: [issuerId, firstWord, count],
    ...(blockNumber !== undefined ? { blockNumber } : {}),
  });
  return { revoked, suspended };
}

/** Whether status `index` is set in a list of words that starts at word `firstWord`. */
export function isBitSet(words: readonly bigint[], firstWord: bigint, index: bigint): boolean {
  const word = words[Number((index >> 8n) - firstWord)];
  if (word === undefined) throw new RangeError(`status index ${index} is outside the words read`);
  return ((word >> (index & 255n)) & 1n) === 1n;
}

/** A v2 assertion key's record (`IIssuerRegistryV2.Key`): whose it is and when it was valid. */
export type AssertionKeyRecord = { issuerId: bigint; addedAt: number; retiredAt: number; compromisedFrom: number };

/**
 * Reads `getAssertionKey` of each raw Ed25519 key (32 bytes, hex) from a v2 registry, in parallel.
 * A key never registered has issuer id 0.
 *
 * @example
 * const keys = await readAssertionKeys(client, registry, ["0x4bde…"]);
 * keys.get("0x4bde…")?.issuerId; // 1n
 */
export async function readAssertionKeys(client: PublicClient, registry: Address, keys: readonly Hex[]): Promise<Map<Hex, AssertionKeyRecord>> {
  const unique = [...new Set(keys)];
  const records = await Promise.all(
    unique.map((key) => client.readContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "getAssertionKey", args: [key] })),
  );
  return new Map(unique.map((key, i) => [key, { issuerId: records[i]!.issuerId, addedAt: records[i]!.addedAt, retiredAt: records[i]!.retiredAt, compromisedFrom: records[i]!.compromisedFrom }]));
}

/** Whether an assertion key was a valid key of `issuerId` at `at` (the registry's rule: added ≤ at ≤ retired, at < compromised). */
export const isAssertionKeyValidAt = (key: AssertionKeyRecord | undefined, issuerId: bigint, at: number): boolean =>
  key !== undefined && key.issuerId === issuerId && key.addedAt <= at && at <= key.retiredAt && at < key.compromisedFrom;
