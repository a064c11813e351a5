// Read-only views of a CredentialRegistry: what a verifier asks the chain, batched into one eth_call.
import { decodeFunctionResult, encodeFunctionData, type Address, type Hex, type PublicClient } from "viem";
import { credentialRegistryAbi } from "./abi.ts";

/** The contract's `Verification` struct, as viem decodes it. */
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
  issuerMetadataURI: string;
};

export type VerificationQuery = { root: Hex; statusIndex: bigint };

/**
 * Reads `verify(root, statusIndex)` for every query with the registry's own `multicall`: one
 * `eth_call` per {@link VERIFICATIONS_PER_CALL} queries (in parallel), at `blockNumber` (default latest).
 *
 * @example
 * const [v] = await readVerifications(client, registry, [{ root, statusIndex: 42n }]);
 * if (v.anchored && !v.revoked) …
 */
export async function readVerifications(
  client: PublicClient,
  registry: Address,
  queries: readonly VerificationQuery[],
  { blockNumber }: { blockNumber?: bigint } = {},
): Promise<OnChainVerification[]> {
  if (queries.length === 0) return [];
  // One verify() costs about 40k gas; nodes cap an eth_call's gas (Hardhat: the 30M block limit,
  // geth: 50M by default), so large sets go in chunks, read in parallel.
  if (queries.length > VERIFICATIONS_PER_CALL) {
    const chunks: VerificationQuery[][] = [];
    for (let i = 0; i < queries.length; i += VERIFICATIONS_PER_CALL) chunks.push(queries.slice(i, i + VERIFICATIONS_PER_CALL));
    const results = await Promise.all(chunks.map((chunk) => readVerifications(client, registry, chunk, blockNumber === undefined ? {} : { blockNumber })));
    return results.flat();
  }
  const calls = queries.map(({ root, statusIndex }) =>
    encodeFunctionData({ abi: credentialRegistryAbi, functionName: "verify", args: [root, statusIndex] }),
  );
  // `multicall` is not a view in the ABI (it also batches writes), so encode the eth_call by hand.
  const { data } = await client.call({
    to: registry,
    data: encodeFunctionData({ abi: credentialRegistryAbi, functionName: "multicall", args: [calls] }),
    ...(blockNumber === undefined ? {} : { blockNumber }),
  });
  if (!data) throw new Error(`registry ${registry} returned no data: is it a CredentialRegistry?`);
  const results = decodeFunctionResult({ abi: credentialRegistryAbi, functionName: "multicall", data });
  return results.map(
    (data) =>
      decodeFunctionResult({ abi: credentialRegistryAbi, functionName: "verify", data }) as OnChainVerification,
  );
}

/** Most verify() views per eth_call: ≈ 200 × 40k gas = 8M, well under every node's call gas cap. */
export const VERIFICATIONS_PER_CALL = 200;

/**
 * Reads `count` words of both status bitmaps of `issuerId` from `firstWord` (one `eth_call`),
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
): Promise<{ revoked: readonly bigint[]; suspended: readonly bigint[] }> {
  const [revoked, suspended] = await client.readContract({
    address: registry,
    abi: credentialRegistryAbi,
    functionName: "getStatusWords",
    args: [issuerId, firstWord, count],
  });
  return { revoked, suspended };
}

/** Whether status `index` is set in a list of words that starts at word `firstWord`. */
export function isBitSet(words: readonly bigint[], firstWord: bigint, index: bigint): boolean {
  const word = words[Number((index >> 8n) - firstWord)];
  if (word === undefined) throw new RangeError(`status index ${index} is outside the words read`);
  return ((word >> (index & 255n)) & 1n) === 1n;
}
