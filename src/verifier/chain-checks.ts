// Checks 4-6 of a verification (anchored, issuer authorised then, status now), read from the chain.
import type { Address, Hex, PublicClient } from "viem";
import { isBitSet, readStatusWords, readVerifications, type OnChainVerification } from "../chain/read-registry.ts";
import type { Check } from "./result.ts";
import type { TrustList } from "./trust.ts";

/** What a bundle claims about where and how it is anchored. */
export type AnchorClaim = {
  chainId: number;
  registry: string;
  root: Hex;
  issuerId: bigint;
  statusIndex: bigint;
  /** Block the bundle says the anchor is in: must be the block the chain recorded. */
  blockNumber?: number;
  /** Transaction the bundle says anchored the root: must be a call to this registry, in that block, carrying the root. */
  txHash?: Hex;
};

/** What the chain says, for reports. */
export type AnchorFacts = {
  issuerId: bigint;
  issuerMetadataURI: string;
  /** The issuer's on-chain identity (v2: set by the accreditor; v1: the metadata URI). */
  issuerIdentity: string;
  /** The issuer's on-chain display name (v2; "" for v1). */
  issuerName: string;
  signer: Address;
  anchoredAt: number;
  blockNumber: number;
};

export type ChainCheckResult = { checks: Check[]; facts?: AnchorFacts };

/** Chain id → a read-only client for it. */
export type ClientForChain = (chainId: number) => PublicClient | undefined;

const skipAll = (code: string, message: string): Check[] => [
  { name: "anchored", outcome: "skip", code, message },
  { name: "issuer", outcome: "skip", code, message },
  { name: "status", outcome: "skip", code, message },
];

function describeError(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(error)).split("\n")[0]!;
}

// The chain id an endpoint serves, remembered for a minute: verifying one bundle at a time then
// costs one RPC round trip (the eth_call), not two.
const CHAIN_ID_TTL_MS = 60_000;
const chainIds = new WeakMap<PublicClient, { chainId: number; at: number }>();

async function chainIdOf(client: PublicClient): Promise<number> {
  const known = chainIds.get(client);
  if (known && Date.now() - known.at < CHAIN_ID_TTL_MS) return known.chainId;
  const chainId = await client.getChainId();
  chainIds.set(client, { chainId, at: Date.now() });
  return chainId;
}

/** What the chain says of a bundle's transaction: "match", or why it does not fit. */
export type TxFinding = "match" | string;

/** Checks that `hash` is a call to `registry`, mined in `blockNumber`, whose input carries `root`. */
function judgeTransaction(tx: { to: Address | null; blockNumber: bigint | null; input: Hex } | undefined, registry: Address, root: Hex, blockNumber: number): TxFinding {
  if (!tx) return "no such transaction on this chain";
  if (tx.to?.toLowerCase() !== registry.toLowerCase()) return `it calls ${tx.to ?? "no contract"}, not the registry`;
  if (tx.blockNumber === null || Number(tx.blockNumber) !== blockNumber) return `it is in block ${tx.blockNumber ?? "none (pending)"}, not ${blockNumber}`;
  if (!tx.input.toLowerCase().includes(root.slice(2).toLowerCase())) return "it does not carry this root";
  return "match";
}

/** Turns one on-chain `verify` answer into the three checks. */
export function judgeOnChain(claim: AnchorClaim, v: OnChainVerification, tx?: TxFinding): ChainCheckResult {
  if (!v.anchored) {
    return {
      checks: [
        { name: "anchored", outcome: "fail", code: "ROOT_NOT_ANCHORED", message: `root ${claim.root} is not anchored in registry ${claim.registry} on chain ${claim.chainId}` },
        { name: "issuer", outcome: "skip", code: "NOT_ANCHORED", message: "skipped: the root is not anchored" },
        { name: "status", outcome: "skip", code: "NOT_ANCHORED", message: "skipped: the root is not anchored" },
      ],
    };
  }
  const facts: AnchorFacts = {
    issuerId: v.issuerId,
    issuerMetadataURI: v.issuerMetadataURI,
    issuerIdentity: v.issuerIdentity,
    issuerName: v.issuerName,
    signer: v.signer,
    anchoredAt: v.anchoredAt,
    blockNumber: v.blockNumber,
  };
  const when = new Date(v.anchoredAt * 1000).toISOString();
  const checks: Check[] = [];
  if (v.issuerId !== claim.issuerId) {
    checks.push({ name: "anchored", outcome: "fail", code: "ROOT_OF_ANOTHER_ISSUER", message: `the root was anchored by issuer ${v.issuerId}, but the bundle names issuer ${claim.issuerId}` });
  } else if (claim.blockNumber !== undefined && claim.blockNumber !== v.blockNumber) {
    checks.push({ name: "anchored", outcome: "fail", code: "BLOCK_MISMATCH", message: `the root was anchored in block ${v.blockNumber}, but the bundle says block ${claim.blockNumber}` });
  } else if (tx !== undefined && tx !== "match") {
    checks.push({ name: "anchored", outcome: "fail", code: "TX_MISMATCH", message: `transaction ${claim.txHash} is not the one that anchored this root (${tx})` });
  } else {
    checks.push({ name: "anchored", outcome: "pass", code: "ANCHORED", message: `anchored in block ${v.blockNumber} at ${when} by ${v.signer}` });
  }
  const issuerName = v.issuerMetadataURI || `issuer ${v.issuerId}`;
  if (!v.issuerAccreditedAtAnchoring) {
    checks.push({ name: "issuer", outcome: "fail", code: "ISSUER_NOT_ACCREDITED", message: `${issuerName} was not accredited at ${when}` });
  } else if (!v.signerValidAtAnchoring) {
    checks.push({ name: "issuer", outcome: "fail", code: "SIGNER_KEY_INVALID", message: `key ${v.signer} was retired or compromised at ${when}, when it anchored this root` });
  } else {
    checks.push({ name: "issuer", outcome: "pass", code: "AUTHORISED", message: `${issuerName}, accredited, key ${v.signer} valid at ${when}` });
  }
  if (v.rootRevoked) {
    checks.push({ name: "status", outcome: "fail", code: "BATCH_REVOKED", message: "the whole batch this credential belongs to was revoked" });
  } else if (v.revoked) {
    checks.push({ name: "status", outcome: "fail", code: "REVOKED", message: `status index ${claim.statusIndex} is revoked` });
  } else if (v.suspended) {
    checks.push({ name: "status", outcome: "fail", code: "SUSPENDED", message: `status index ${claim.statusIndex} is suspended` });
  } else {
    checks.push({ name: "status", outcome: "pass", code: "ACTIVE", message: "not revoked, not suspended" });
  }
  return { checks, facts };
}

/**
 * How the status bits are read. `direct`: `verify(root, statusIndex)`, so the RPC provider sees
 * which index is checked. `private`: `verify(root, 0)` for the anchor and issuer facts, and the
 * issuer's whole status list (every word from 0 up to the next power of two above the index's
 * word, at least {@link PRIVATE_MIN_WORDS}) for the bits: the provider learns the issuer and the
 * batch root, never the index (the herd privacy W3C Bitstring Status List gets from whole lists).
 */
export type Privacy = "direct" | "private";

/** Smallest status range read in private mode: 16 words = 4,096 statuses. */
export const PRIVATE_MIN_WORDS = 16;
/** Status words per eth_call in private mode (2 cold reads each, ≈ 10M gas per call). */
const WORDS_PER_CALL = 2048;

/** The range of words read for an index's word in private mode: [0, next power of two ≥ word + 1). */
export function privateWordRange(word: bigint): bigint {
  let words = BigInt(PRIVATE_MIN_WORDS);
  while (words <= word) words *= 2n;
  return words;
}

/** Private mode: anchor facts without the index, status bits from whole lists, per issuer. */
async function readPrivately(client: PublicClient, registry: Address, claims: readonly AnchorClaim[], version: string): Promise<OnChainVerification[]> {
  const facts = await readVerifications(client, registry, claims.map((c) => ({ root: c.root, statusIndex: 0n, issuerId: c.issuerId })), { version });
  const ranges = new Map<bigint, bigint>();
  for (const c of claims) {
    const words = privateWordRange(c.statusIndex >> 8n);
    if ((ranges.get(c.issuerId) ?? 0n) < words) ranges.set(c.issuerId, words);
  }
  const lists = new Map<bigint, { revoked: bigint[]; suspended: bigint[] }>();
  await Promise.all(
    [...ranges].map(async ([issuerId, words]) => {
      const parts = [];
      for (let first = 0n; first < words; first += BigInt(WORDS_PER_CALL)) {
        const count = words - first < BigInt(WORDS_PER_CALL) ? words - first : BigInt(WORDS_PER_CALL);
        parts.push(readStatusWords(client, registry, issuerId, first, count));
      }
      const read = await Promise.all(parts);
      lists.set(issuerId, { revoked: read.flatMap((r) => [...r.revoked]), suspended: read.flatMap((r) => [...r.suspended]) });
    }),
  );
  return facts.map((v, k) => {
    const claim = claims[k]!;
    // The bits of the issuer the bundle names; a root of another issuer fails the anchored check anyway.
    const list = lists.get(claim.issuerId)!;
    const revoked = isBitSet(list.revoked, 0n, claim.statusIndex);
    const suspended = isBitSet(list.suspended, 0n, claim.statusIndex);
    return { ...v, revoked, suspended, valid: v.anchored && !v.rootRevoked && v.signerValidAtAnchoring && v.issuerAccreditedAtAnchoring && !revoked && !suspended };
  });
}

/**
 * Runs the chain checks for many claims: one `eth_chainId` and one batched `eth_call` per
 * (chain, registry) pair. A registry absent from `trust` fails, however valid the bundle
 * looks (anyone can deploy a look-alike). RPC trouble yields undecided skips (verdict
 * `error`), never a pass or a fail.
 *
 * @example
 * const [result] = await checkOnChain([claim], trust, (id) => clients[id]);
 */
export async function checkOnChain(
  claims: readonly AnchorClaim[],
  trust: TrustList,
  clientFor: ClientForChain,
  { privacy = "direct" }: { privacy?: Privacy } = {},
): Promise<ChainCheckResult[]> {
  const results: ChainCheckResult[] = new Array(claims.length);
  const groups = new Map<string, number[]>();
  for (const [i, claim] of claims.entries()) {
    const deployment = trust.find(claim.chainId, claim.registry);
    if (!deployment) {
      results[i] = {
        checks: [
          { name: "anchored", outcome: "fail", code: "UNKNOWN_REGISTRY", message: `unknown registry ${claim.registry} on chain ${claim.chainId}: not in the trusted deployments` },
          { name: "issuer", outcome: "skip", code: "UNKNOWN_REGISTRY", message: "skipped: untrusted registry" },
          { name: "status", outcome: "skip", code: "UNKNOWN_REGISTRY", message: "skipped: untrusted registry" },
        ],
      };
      continue;
    }
    const key = `${claim.chainId}:${deployment.address}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }

  await Promise.all(
    [...groups.values()].map(async (indices) => {
      const first = claims[indices[0]!]!;
      const { address: registry, version } = trust.find(first.chainId, first.registry)!;
      const client = clientFor(first.chainId);
      const fill = (checks: Check[]) => indices.forEach((i) => (results[i] = { checks }));
      if (!client) return fill(skipAll("NO_RPC", `no RPC endpoint configured for chain ${first.chainId}`));
      let answers: OnChainVerification[];
      let txs = new Map<Hex, { to: Address | null; blockNumber: bigint | null; input: Hex } | undefined>();
      try {
        const actualChainId = await chainIdOf(client);
        if (actualChainId !== first.chainId) {
          return fill(skipAll("RPC_WRONG_CHAIN", `the RPC endpoint serves chain ${actualChainId}, the bundle is on chain ${first.chainId}`));
        }
        const hashes = [...new Set(indices.map((i) => claims[i]!.txHash).filter((h): h is Hex => h !== undefined))];
        const [read, found] = await Promise.all([
          privacy === "private"
            ? readPrivately(client, registry, indices.map((i) => claims[i]!), version)
            : readVerifications(client, registry, indices.map((i) => ({ root: claims[i]!.root, statusIndex: claims[i]!.statusIndex, issuerId: claims[i]!.issuerId })), { version }),
          // One lookup per transaction (a batch's bundles share one), in parallel with the views.
          Promise.all(hashes.map((hash) => client.getTransaction({ hash }).catch((error: unknown) => {
            if ((error as Error).name === "TransactionNotFoundError") return undefined;
            throw error;
          }))),
        ]);
        answers = read;
        txs = new Map(hashes.map((h, k) => [h, found[k]]));
      } catch (error) {
        return fill(skipAll("RPC_UNAVAILABLE", `could not read chain ${first.chainId}: ${describeError(error)}`));
      }
      if (answers.length !== indices.length) {
        return fill(skipAll("RPC_BAD_RESPONSE", `the RPC endpoint returned ${answers.length} answers for ${indices.length} questions`));
      }
      indices.forEach((i, k) => {
        const claim = claims[i]!;
        const v = answers[k]!;
        const tx = claim.txHash === undefined || !v.anchored ? undefined : judgeTransaction(txs.get(claim.txHash), registry, claim.root, v.blockNumber);
        results[i] = judgeOnChain(claim, v, tx);
      });
    }),
  );
  return results;
}
