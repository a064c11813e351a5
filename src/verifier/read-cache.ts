// Chain reads a long-running verifier may remember because they cannot change: anchoring transactions buried beyond the reorg depth.
import type { Address, Hex, PublicClient } from "viem";

/** The fields of a transaction the anchor check judges (`to`, block, input). */
export type AnchorTransaction = { to: Address | null; blockNumber: bigint | null; input: Hex };

/** Options of {@link createChainReadCache}. */
export type ChainReadCacheOptions = {
  /**
   * Blocks after which a block counts as final (the service's confirmation depth). A reorg
   * deeper than this is out of scope, as for the service itself (docs/threat-model.md).
   */
  confirmations: number;
  /** Most transactions kept (oldest dropped first). */
  maxEntries?: number;
  /** How long a read of the chain's head counts as current, in ms. */
  headTtlMs?: number;
};

/**
 * What a verifier remembers between requests. Only immutable facts: a transaction once its block
 * is `confirmations` below a head seen on the same chain. Never status bits, the issuer's
 * accreditation or its keys' windows: a status change, a suspension of the issuer or a key
 * marked compromised from a past time change the answer of the same question, so those are read
 * per request.
 */
export type ChainReadCache = {
  /** A transaction kept for (chain, registry, hash), if any. */
  transaction(chainId: number, registry: Address, hash: Hex): AnchorTransaction | undefined;
  /**
   * Keeps `tx` if its block is final by the head last seen on `chainId`; when that head is older
   * than `headTtlMs`, reads a new one in the background (for the next request).
   */
  offer(chainId: number, registry: Address, hash: Hex, tx: AnchorTransaction | undefined, client: PublicClient): void;
};

/**
 * An in-memory {@link ChainReadCache}, keyed by (chain id, registry, transaction hash): the
 * judgement against the bundle's root and block is made again on every use.
 *
 * @example
 * const cache = createChainReadCache({ confirmations: 3 });
 * const results = await checkOnChain(claims, trust, clientFor, { cache });
 */
export function createChainReadCache({ confirmations, maxEntries = 100_000, headTtlMs = 1_000 }: ChainReadCacheOptions): ChainReadCache {
  const transactions = new Map<string, AnchorTransaction>();
  const heads = new Map<number, { block: bigint; at: number; reading?: boolean }>();
  const key = (chainId: number, registry: Address, hash: Hex) => `${chainId}:${registry.toLowerCase()}:${hash.toLowerCase()}`;

  function refreshHead(chainId: number, client: PublicClient): void {
    const known = heads.get(chainId);
    if (known?.reading || (known && Date.now() - known.at < headTtlMs)) return;
    heads.set(chainId, { block: known?.block ?? -1n, at: known?.at ?? 0, reading: true });
    client.getBlockNumber({ cacheTime: 0 }).then(
      (block) => heads.set(chainId, { block, at: Date.now() }),
      () => heads.set(chainId, { block: known?.block ?? -1n, at: known?.at ?? 0 }),
    );
  }

  return {
    transaction: (chainId, registry, hash) => transactions.get(key(chainId, registry, hash)),
    offer(chainId, registry, hash, tx, client) {
      if (tx?.blockNumber === null || tx === undefined) return;
      const head = heads.get(chainId)?.block ?? -1n;
      if (head >= tx.blockNumber + BigInt(confirmations)) {
        transactions.set(key(chainId, registry, hash), { to: tx.to, blockNumber: tx.blockNumber, input: tx.input });
        if (transactions.size > maxEntries) transactions.delete(transactions.keys().next().value!);
        return;
      }
      refreshHead(chainId, client);
    },
  };
}
