// The independent verifier: a proof bundle + the chain + trusted deployments → a typed verdict.
import { createPublicClient, http, type Hex, type PublicClient, type Transport } from "viem";
import type { Bundle } from "../core/bundle.ts";
import { checkOnChain, type AnchorClaim, type AnchorFacts, type ChainCheckResult, type ClientForChain, type Privacy } from "./chain-checks.ts";
import { claimedIssuerOf, type IssuerIdentity } from "./issuer-identity.ts";
import { checkOffChain, skip, type OffChainResult } from "./off-chain-checks.ts";
import { verdictOf, type Check, type Verdict } from "./result.ts";
import type { TrustList } from "./trust.ts";

export type VerifyOptions = {
  /** Trusted deployments: a bundle naming any other registry is invalid. */
  trust: TrustList;
  /** RPC URL per chain id, or a function giving a viem client per chain id. */
  rpc: Readonly<Record<number, string>> | ClientForChain;
  /** Current time in unix seconds (injectable for tests); default: the system clock. */
  now?: () => number;
  /**
   * `"private"` reads the issuer's whole status list instead of the one index, so the RPC
   * provider cannot tell which credential is checked (see {@link Privacy}); default `"direct"`.
   */
  privacy?: Privacy;
  /**
   * Aborts the chain reads (a server passes one that fires when its request ends or times out):
   * no read starts after it fires, and reads in flight through `rpc` URLs are cancelled. The
   * chain checks of an aborted verification are undecided (`RPC_UNAVAILABLE`).
   */
  signal?: AbortSignal;
};

export type VerificationReport = {
  verdict: Verdict;
  /** One entry per check, in order: format, integrity, inclusion, anchored, issuer, status, validity. */
  checks: Check[];
  /** The decoded bundle, when it parsed. */
  bundle?: Bundle;
  /** What the chain says about the anchor, when it could be read. */
  anchor?: AnchorFacts & { txHash: Hex; chainId: number; registry: string };
  /** Who the credential says issued it beside the anchoring issuer's on-chain identity, when the anchor could be read. */
  issuer?: IssuerIdentity;
};

function checkValidity(bundle: Bundle, now: number): Check {
  const iso = (t: number) => new Date(t * 1000).toISOString();
  if (bundle.validFrom !== 0 && now < bundle.validFrom) {
    return { name: "validity", outcome: "fail", code: "NOT_YET_VALID", message: `not valid before ${iso(bundle.validFrom)}` };
  }
  if (bundle.validUntil !== 0 && now > bundle.validUntil) {
    return { name: "validity", outcome: "fail", code: "EXPIRED", message: `expired at ${iso(bundle.validUntil)}` };
  }
  const until = bundle.validUntil === 0 ? "with no end date" : `until ${iso(bundle.validUntil)}`;
  return { name: "validity", outcome: "pass", code: "OK", message: `valid ${bundle.validFrom === 0 ? "" : `from ${iso(bundle.validFrom)} `}${until}` };
}

/**
 * HTTP transport settings for verifier reads: JSON-RPC batches of at most 8 calls (a batch of
 * 1,000 bundles makes a few dozen large answers; one HTTP body must stay well under the size
 * limit), one retry, 10 s timeout.
 */
export const RPC_TRANSPORT = { batch: { batchSize: 8 }, retryCount: 1, timeout: 10_000, maxResponseBodySize: 64 * 1024 * 1024 } as const;

/**
 * A viem client per chain id from `rpc` (made once per chain, on first use); with `signal`, its
 * HTTP reads are cancelled when the signal fires; `transportOf` replaces the HTTP transport (a
 * long-running server's kept-alive one).
 *
 * @example
 * const clientFor = clientFactory({ 31337: "http://127.0.0.1:8545" }, undefined);
 */
export function clientFactory(rpc: VerifyOptions["rpc"], signal: AbortSignal | undefined, transportOf?: (url: string) => Transport): ClientForChain {
  if (typeof rpc === "function") return rpc;
  const clients = new Map<number, PublicClient>();
  const settings = signal ? { ...RPC_TRANSPORT, fetchOptions: { signal } } : RPC_TRANSPORT;
  const transport = transportOf ?? ((url: string) => http(url, settings));
  return (chainId) => {
    const url = rpc[chainId];
    if (!url) return undefined;
    if (!clients.has(chainId)) {
      clients.set(chainId, createPublicClient({ transport: transport(url) }) as PublicClient);
    }
    return clients.get(chainId);
  };
}

/** What a bundle claims about its anchor, for the chain checks. */
function anchorClaimOf(b: Bundle): AnchorClaim {
  return {
    chainId: b.chainId,
    registry: b.registry,
    root: b.root as Hex,
    issuerId: BigInt(b.issuerId),
    statusIndex: BigInt(b.statusIndex),
    blockNumber: b.blockNumber,
    txHash: b.txHash as Hex,
    issuerClaim: claimedIssuerOf(b.credential),
  };
}

/** The chain part of a verification: one result per claim, in order (e.g. {@link checkOnChain} bound to a trust list and clients). */
export type ChainChecker = (claims: readonly AnchorClaim[]) => Promise<ChainCheckResult[]>;

/**
 * Finishes reports from the off-chain results: the chain checks of the bundles that held
 * (through `chain`), then the validity window at `now` (unix seconds).
 *
 * @example
 * const reports = await completeReports(inputs.map(checkOffChain), (claims) => checkOnChain(claims, trust, clientFor), now);
 */
export async function completeReports(offChain: readonly OffChainResult[], chain: ChainChecker, now: number): Promise<VerificationReport[]> {
  const onChainIndices = offChain.flatMap((r, i) => (r.bundle && r.checks.every((c) => c.outcome === "pass") ? [i] : []));
  const onChain = onChainIndices.length > 0 ? await chain(onChainIndices.map((i) => anchorClaimOf(offChain[i]!.bundle!))) : [];
  const byIndex = new Map(onChainIndices.map((i, k) => [i, onChain[k]!]));

  return offChain.map(({ checks, bundle }, i) => {
    if (!bundle) return { verdict: verdictOf(checks), checks };
    const chain = byIndex.get(i);
    const all = chain
      ? [...checks, ...chain.checks]
      : [...checks, ...(["anchored", "issuer", "status"] as const).map((name) => skip(name, "OFF_CHAIN_FAILED", "skipped: the bundle itself does not hold"))];
    all.push(checkValidity(bundle, now));
    const anchor = chain?.facts ? { ...chain.facts, txHash: bundle.txHash as Hex, chainId: bundle.chainId, registry: bundle.registry } : undefined;
    return { verdict: verdictOf(all), checks: all, bundle, ...(anchor ? { anchor } : {}), ...(chain?.issuer ? { issuer: chain.issuer } : {}) };
  });
}

/**
 * Verifies many bundles; chain reads are batched (one `eth_chainId` and one `eth_call` per
 * chain and registry, however many bundles). Never throws for bad input: each report says
 * what failed. RPC trouble gives the verdict `error`, never `valid` or `invalid`.
 *
 * @example
 * const reports = await verifyBundles(texts, { trust, rpc: { 31337: "http://127.0.0.1:8545" } });
 */
export async function verifyBundles(inputs: readonly unknown[], options: VerifyOptions): Promise<VerificationReport[]> {
  const now = options.now?.() ?? Math.floor(Date.now() / 1000);
  const clientFor = clientFactory(options.rpc, options.signal);
  const chain: ChainChecker = (claims) => checkOnChain(claims, options.trust, clientFor, { privacy: options.privacy ?? "direct", ...(options.signal ? { signal: options.signal } : {}) });
  return completeReports(inputs.map(checkOffChain), chain, now);
}

/**
 * Verifies one proof bundle (its JSON text, or already parsed JSON) without asking the issuer:
 * format, integrity, inclusion, anchored in a trusted registry, issuer authorised at anchoring
 * time, not revoked or suspended now, within its validity window.
 *
 * @example
 * const report = await verifyBundle(readFileSync("badge.bundle.json", "utf8"), {
 *   trust: loadTrustList(),
 *   rpc: { 11155111: "https://sepolia.example/rpc" },
 * });
 * console.log(report.verdict); // "valid" | "invalid" | "error"
 */
export async function verifyBundle(input: unknown, options: VerifyOptions): Promise<VerificationReport> {
  const [report] = await verifyBundles([input], options);
  return report!;
}
