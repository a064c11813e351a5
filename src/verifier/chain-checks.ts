// Checks 4-6 of a verification (anchored, issuer authorised then, status now), read from the chain.
import type { Address, Hex, PublicClient } from "viem";
import { isAssertionKeyValidAt, isBitSet, readAssertionKeys, readStatusWords, readVerifications, type AssertionKeyRecord, type OnChainVerification } from "../chain/read-registry.ts";
import { bytesToHex } from "../core/encoding.ts";
import { ed25519KeyOfDidKey } from "../core/multibase.ts";
import { compareIssuer, type IssuerClaim, type IssuerIdentity } from "./issuer-identity.ts";
import type { AnchorTransaction, ChainReadCache } from "./read-cache.ts";
import type { Check, CheckCode } from "./result.ts";
import type { TrustedDeployment, TrustList } from "./trust.ts";

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
  /** What the credential's `issuer` says; must be the anchoring issuer's on-chain identity. Absent: not checked. */
  issuerClaim?: IssuerClaim;
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

export type ChainCheckResult = { checks: Check[]; facts?: AnchorFacts; issuer?: IssuerIdentity };

/** Chain id → a read-only client for it. */
export type ClientForChain = (chainId: number) => PublicClient | undefined;

/** The three chain checks skipped with one reason (undecided unless the code says otherwise). */
export const skipAll = (code: CheckCode, message: string): Check[] => [
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
function judgeTransaction(tx: AnchorTransaction | undefined, registry: Address, root: Hex, blockNumber: number): TxFinding {
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
 * which index is checked. `private`: `verify(root, 0)` for the anchor and issuer facts, then, for
 * anchored roots only, a whole range of the anchoring issuer's status list around the index
 * ({@link privateWindow}): the provider learns the issuer and the batch root, never the index
 * (the herd privacy W3C Bitstring Status List gets from whole lists).
 */
export type Privacy = "direct" | "private";

/** Smallest status range read in private mode: 16 words = 4,096 statuses. */
export const PRIVATE_MIN_WORDS = 16;
/**
 * Largest status range read for one index in private mode: 4,096 words = 1,048,576 statuses, 2
 * eth_calls. The chain does not say how long an issuer's list is, so an index cannot be trusted
 * to size the read (index 2^32 − 1 would mean 8,192 calls): beyond this size the range is the
 * aligned block of this size holding the index, and the provider learns which block.
 */
export const PRIVATE_MAX_WORDS = 4096;
/** Most status words one private verification reads, however many bundles: 2 full ranges, 4 eth_calls. */
export const PRIVATE_MAX_WORDS_PER_REQUEST = 2 * PRIVATE_MAX_WORDS;
/** Status words per eth_call in private mode (2 cold reads each, ≈ 10M gas per call). */
export const WORDS_PER_CALL = 2048;

/** The range of words read for an index's word in private mode: [0, next power of two ≥ word + 1). */
export function privateWordRange(word: bigint): bigint {
  let words = BigInt(PRIVATE_MIN_WORDS);
  while (words <= word) words *= 2n;
  return words;
}

/**
 * The status words read in private mode for the word holding an index: `[0, 2^k)` up to
 * {@link PRIVATE_MAX_WORDS}, else the aligned block of that size containing the word.
 *
 * @example
 * privateWindow(3n);            // { first: 0n, count: 16n }
 * privateWindow(16_777_215n);   // { first: 16_773_120n, count: 4096n }
 */
export function privateWindow(word: bigint): { first: bigint; count: bigint } {
  const max = BigInt(PRIVATE_MAX_WORDS);
  if (word < max) return { first: 0n, count: privateWordRange(word) };
  return { first: (word / max) * max, count: max };
}

type StatusWords = { revoked: readonly bigint[]; suspended: readonly bigint[] };
type Window = { issuerId: bigint; first: bigint; count: bigint };

async function readWindow(client: PublicClient, registry: Address, w: Window, signal: AbortSignal | undefined): Promise<StatusWords> {
  const parts: Promise<StatusWords>[] = [];
  for (let first = w.first; first < w.first + w.count; first += BigInt(WORDS_PER_CALL)) {
    signal?.throwIfAborted();
    const left = w.first + w.count - first;
    parts.push(readStatusWords(client, registry, w.issuerId, first, left < BigInt(WORDS_PER_CALL) ? left : BigInt(WORDS_PER_CALL)));
  }
  const read = await Promise.all(parts);
  return { revoked: read.flatMap((r) => [...r.revoked]), suspended: read.flatMap((r) => [...r.suspended]) };
}

/**
 * Private mode, after the facts: status bits from whole ranges of the anchoring issuer's list,
 * read only for anchored roots whose batch is not revoked (nobody else's index costs a read),
 * within the request's word budget; claims beyond it are listed in `overLimit`.
 */
async function readStatusPrivately(
  client: PublicClient,
  registry: Address,
  claims: readonly AnchorClaim[],
  facts: readonly OnChainVerification[],
  budget: { words: bigint },
  signal: AbortSignal | undefined,
): Promise<{ answers: OnChainVerification[]; overLimit: ReadonlySet<number> }> {
  const windows = new Map<string, Window>();
  const windowOf = claims.map((claim, k) => {
    const v = facts[k]!;
    if (!v.anchored || v.rootRevoked) return undefined;
    const { first, count } = privateWindow(claim.statusIndex >> 8n);
    const key = `${v.issuerId}:${first}`;
    if ((windows.get(key)?.count ?? 0n) < count) windows.set(key, { issuerId: v.issuerId, first, count });
    return key;
  });
  const admitted = [...windows].filter(([, w]) => (w.count <= budget.words ? ((budget.words -= w.count), true) : false));
  const lists = new Map(await Promise.all(admitted.map(async ([key, w]) => [key, await readWindow(client, registry, w, signal)] as const)));
  const overLimit = new Set<number>();
  const answers = facts.map((v, k) => {
    const key = windowOf[k];
    if (key === undefined) return v; // not anchored or batch revoked: the bits are never judged
    const list = lists.get(key);
    if (!list) {
      overLimit.add(k);
      return { ...v, revoked: false, suspended: false };
    }
    const first = windows.get(key)!.first;
    const index = claims[k]!.statusIndex;
    return { ...v, revoked: isBitSet(list.revoked, first, index), suspended: isBitSet(list.suspended, first, index) };
  });
  return { answers, overLimit };
}

type Tx = AnchorTransaction | undefined;

/** Everything read for one (chain, registry) group. */
type GroupRead = { answers: OnChainVerification[]; txs: ReadonlyMap<Hex, Tx>; overLimit: ReadonlySet<number>; head?: bigint; assertionKeys: ReadonlyMap<Hex, AssertionKeyRecord> };

/** The raw Ed25519 key (hex) a claim's `did:key` issuer names, if it names one. */
function claimedDidKey(claim: AnchorClaim): Hex | undefined {
  if (claim.issuerClaim?.kind !== "id") return undefined;
  const key = ed25519KeyOfDidKey(claim.issuerClaim.id);
  return key ? (bytesToHex(key) as Hex) : undefined;
}

class BadResponse extends Error {}

/** A transaction by hash (undefined when the chain has none), handed to `seen` as read. */
async function readTransaction(client: PublicClient, hash: Hex, seen: (tx: Tx) => void): Promise<Tx> {
  try {
    const tx = await client.getTransaction({ hash });
    seen(tx);
    return tx;
  } catch (error) {
    if ((error as Error).name === "TransactionNotFoundError") return undefined;
    throw error;
  }
}

/**
 * The reads of one group, in two rounds: the `verify` views, then only what their answers make
 * necessary (transactions of anchored roots whose issuer and block fit, private status ranges of
 * anchored roots, the head block when a root is not anchored), so a crafted bundle costs no more
 * than a real one.
 */
async function readGroup(client: PublicClient, deployment: TrustedDeployment, claims: readonly AnchorClaim[], privacy: Privacy, budget: { words: bigint }, signal: AbortSignal | undefined, cache: ChainReadCache | undefined): Promise<GroupRead> {
  signal?.throwIfAborted();
  const registry = deployment.address;
  const chainId = claims[0]!.chainId;
  const queries = claims.map((c) => ({ root: c.root, statusIndex: privacy === "private" ? 0n : c.statusIndex, issuerId: c.issuerId }));
  const facts = await readVerifications(client, registry, queries, { version: deployment.version });
  if (facts.length !== claims.length) throw new BadResponse(`the RPC endpoint returned ${facts.length} answers for ${claims.length} questions`);
  signal?.throwIfAborted();
  const fits = (c: AnchorClaim, v: OnChainVerification) => v.anchored && v.issuerId === c.issuerId && (c.blockNumber === undefined || c.blockNumber === v.blockNumber);
  const hashes = [...new Set(claims.flatMap((c, k) => (c.txHash !== undefined && fits(c, facts[k]!) ? [c.txHash] : [])))];
  // A did:key issuer is asked of the registry (v2 binds assertion keys to issuers), only for roots that fit.
  const didKeys = deployment.version.startsWith("2.") ? claims.flatMap((c, k) => (fits(c, facts[k]!) ? (claimedDidKey(c) ?? []) : [])) : [];
  const [status, found, head, assertionKeys] = await Promise.all([
    privacy === "private" ? readStatusPrivately(client, registry, claims, facts, budget, signal) : { answers: facts, overLimit: new Set<number>() },
    // One lookup per transaction (a batch's bundles share one), none for a transaction kept final.
    Promise.all(hashes.map((hash) => cache?.transaction(chainId, registry, hash) ?? readTransaction(client, hash, (tx) => cache?.offer(chainId, registry, hash, tx, client)))),
    facts.some((v, k) => !v.anchored && claims[k]!.blockNumber !== undefined) ? client.getBlockNumber() : undefined,
    didKeys.length > 0 ? readAssertionKeys(client, registry, didKeys) : new Map<Hex, AssertionKeyRecord>(),
  ]);
  return { ...status, txs: new Map(hashes.map((h, k) => [h, found[k]])), ...(head !== undefined ? { head } : {}), assertionKeys };
}

/** `checks` with the check of the same name replaced by `check`. */
const replaceCheck = (checks: readonly Check[], check: Check): Check[] => checks.map((c) => (c.name === check.name ? check : c));

/** An anchor in a block at or after the address book's `retiredAtBlock` is refused. */
function withRetirement(result: ChainCheckResult, deployment: TrustedDeployment, v: OnChainVerification): ChainCheckResult {
  if (deployment.retiredAtBlock === undefined || v.blockNumber < deployment.retiredAtBlock) return result;
  const check: Check = {
    name: "anchored",
    outcome: "fail",
    code: "REGISTRY_RETIRED",
    message: `anchored in block ${v.blockNumber}, but the address book retired registry ${deployment.address} at block ${deployment.retiredAtBlock}`,
  };
  return { ...result, checks: replaceCheck(result.checks, check) };
}

/**
 * The credential's `issuer` must be the anchoring issuer's on-chain identity, or a `did:key` the
 * registry binds to that issuer and held valid at the anchoring time: else `ISSUER_MISMATCH`.
 */
function withIssuerIdentity(result: ChainCheckResult, claim: AnchorClaim, v: OnChainVerification, assertionKeys: ReadonlyMap<Hex, AssertionKeyRecord>): ChainCheckResult {
  if (!claim.issuerClaim) return result;
  const didKey = claimedDidKey(claim);
  const boundKey = didKey !== undefined && isAssertionKeyValidAt(assertionKeys.get(didKey), v.issuerId, v.anchoredAt);
  const issuer = compareIssuer(claim.issuerClaim, v.issuerId, v, boundKey);
  if (issuer.matches) return { ...result, issuer };
  const onChain =
    didKey !== undefined
      ? `binds no such assertion key valid at the anchoring time (its identity is ${JSON.stringify(issuer.onChain ?? "")})`
      : issuer.onChain === undefined
        ? "has no on-chain identity"
        : `has the on-chain identity ${JSON.stringify(issuer.onChain)}`;
  const says = issuer.claimed === undefined ? "the credential's issuer names no identity (a DID or URL, or an object with an id)" : `the credential names the issuer ${JSON.stringify(issuer.claimed)}`;
  const check: Check = { name: "issuer", outcome: "fail", code: "ISSUER_MISMATCH", message: `${says}, but issuer ${v.issuerId}, which anchored it, ${onChain}` };
  return { ...result, checks: replaceCheck(result.checks, check), issuer };
}

/** Judges one claim from its group's reads. */
function judgeClaim(claim: AnchorClaim, k: number, read: GroupRead, deployment: TrustedDeployment): ChainCheckResult {
  const v = read.answers[k]!;
  if (!v.anchored) {
    // A chain that has not reached the anchor's block cannot say the root is not anchored.
    if (read.head !== undefined && claim.blockNumber !== undefined && BigInt(claim.blockNumber) > read.head) {
      return { checks: skipAll("RPC_BEHIND", `the endpoint's chain ${claim.chainId} is at block ${read.head}, before the anchor's block ${claim.blockNumber}: it serves another chain with this id, or is not synced`) };
    }
    return judgeOnChain(claim, v);
  }
  const tx = claim.txHash === undefined ? undefined : read.txs.has(claim.txHash) ? judgeTransaction(read.txs.get(claim.txHash), deployment.address, claim.root, v.blockNumber) : undefined;
  const result = withIssuerIdentity(withRetirement(judgeOnChain(claim, v, tx), deployment, v), claim, v, read.assertionKeys);
  if (!read.overLimit.has(k)) return result;
  const limited: Check = { name: "status", outcome: "skip", code: "PRIVATE_READ_LIMIT", message: `not read: private mode reads at most ${PRIVATE_MAX_WORDS_PER_REQUEST} status words per request; verify fewer bundles at once` };
  return { ...result, checks: replaceCheck(result.checks, limited) };
}

/** Options of {@link checkOnChain}. */
export type CheckOnChainOptions = {
  privacy?: Privacy;
  /** Stops issuing chain reads (and aborts those a cancellable transport has in flight) once aborted. */
  signal?: AbortSignal;
  /** Remembers what cannot change (final anchoring transactions) across calls; absent: everything is read. */
  cache?: ChainReadCache;
};

/**
 * Runs the chain checks for many claims: one `eth_chainId`, one batched `eth_call` per
 * (chain, registry) pair, then only the reads anchored roots need. A registry absent from
 * `trust` fails, however valid the bundle looks (anyone can deploy a look-alike). RPC trouble
 * yields undecided skips (verdict `error`), never a pass or a fail.
 *
 * @example
 * const [result] = await checkOnChain([claim], trust, (id) => clients[id]);
 */
export async function checkOnChain(
  claims: readonly AnchorClaim[],
  trust: TrustList,
  clientFor: ClientForChain,
  { privacy = "direct", signal, cache }: CheckOnChainOptions = {},
): Promise<ChainCheckResult[]> {
  const results: ChainCheckResult[] = new Array(claims.length);
  const groups = new Map<string, { deployment: TrustedDeployment; indices: number[] }>();
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
    const group = groups.get(key) ?? { deployment, indices: [] };
    groups.set(key, group);
    group.indices.push(i);
  }

  // One budget for the whole call: many bundles or registries cannot multiply the private reads.
  const budget = { words: BigInt(PRIVATE_MAX_WORDS_PER_REQUEST) };
  await Promise.all(
    [...groups.values()].map(async ({ deployment, indices }) => {
      const group = indices.map((i) => claims[i]!);
      const chainId = group[0]!.chainId;
      const client = clientFor(chainId);
      const fill = (code: CheckCode, message: string) => indices.forEach((i) => (results[i] = { checks: skipAll(code, message) }));
      if (!client) return fill("NO_RPC", `no RPC endpoint configured for chain ${chainId}`);
      let read: GroupRead;
      try {
        const actualChainId = await chainIdOf(client);
        if (actualChainId !== chainId) {
          return fill("RPC_WRONG_CHAIN", `the RPC endpoint serves chain ${actualChainId}, the bundle is on chain ${chainId}`);
        }
        read = await readGroup(client, deployment, group, privacy, budget, signal, cache);
      } catch (error) {
        if (error instanceof BadResponse) return fill("RPC_BAD_RESPONSE", error.message);
        return fill("RPC_UNAVAILABLE", `could not read chain ${chainId}: ${describeError(error)}`);
      }
      indices.forEach((i, k) => (results[i] = judgeClaim(claims[i]!, k, read, deployment)));
    }),
  );
  return results;
}
