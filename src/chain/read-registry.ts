// Read-only views of a CredentialRegistry (v1 or v2): what a verifier asks the chain, batched into one eth_call.
import { decodeFunctionResult, encodeFunctionData, type Address, type Hex, type PublicClient } from "viem";
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
  const calls = queries.map((query) => encodeVerify(major, query));
  // `multicall` is not a view in the ABI (it also batches writes), so encode the eth_call by hand
  // (the same selector in both versions).
  const { data } = await client.call({
    to: registry,
    data: encodeFunctionData({ abi: credentialRegistryV2Abi, functionName: "multicall", args: [calls] }),
    ...(blockNumber === undefined ? {} : { blockNumber }),
  });
  if (!data) throw new Error(`registry ${registry} returned no data: is it a CredentialRegistry?`);
  const results = decodeFunctionResult({ abi: credentialRegistryV2Abi, functionName: "multicall", data });
  return results.map((result) => decodeVerify(major, result));
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
