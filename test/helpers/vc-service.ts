// A real service issuing standard VCs for tests: issuer 1's assertion key bound on-chain, the VC-API
// and status lists served over HTTP, with the list publisher's clock in the test's hands.
import type { Router } from "express";
import { createVcApiContext } from "../../src/api/vc-api.ts";
import { addAssertionKey } from "../../src/chain/assertion-keys.ts";
import { StatusListPublisher } from "../../src/issuer/status-lists.ts";
import { generateAssertionKey, type AssertionKey } from "../../src/vc/keys.ts";
import { serveApi, type Chain, type Stack } from "./stack.ts";

/** How often the publisher rebuilds a list (a step of the test's clock past it is the next poll). */
export const LIST_REFRESH_MS = 60_000;

export type VcService = Awaited<ReturnType<typeof serveApi>> & {
  /** Issuer 1's assertion key, bound to it on-chain. */
  key: AssertionKey;
  /** Moves the publisher's clock one poll interval on: the next list read rebuilds from the chain. */
  nextPoll(): void;
};

/**
 * Binds a fresh assertion key to issuer 1 on `chain` (waiting until the chain's clock has passed
 * its block, from which the key is valid), then serves `stack` with the VC-API and status lists
 * (plus `routers`). The publisher's clock starts an hour behind the real one, so its lists are
 * valid to libraries that judge them by the real clock, and moves only through `nextPoll`.
 *
 * @example
 * const api = await serveVcApi(chain, stack);
 * const r = await call("POST", "/credentials/issue", ...); api.nextPoll();
 */
export async function serveVcApi(chain: Chain, stack: Stack, { routers = [] }: { routers?: Router[] } = {}): Promise<VcService> {
  const key = await generateAssertionKey();
  const admin = chain.issuers[0]!.admin;
  await addAssertionKey({ publicClient: chain.publicClient, walletClient: chain.wallet(admin), account: admin }, chain.registry, key.publicKey);
  const { timestamp } = await chain.publicClient.getBlock();
  while (Date.now() / 1000 < Number(timestamp) + 1) await new Promise((r) => setTimeout(r, 100));
  let base = "";
  let clock = Date.now() - 3600_000;
  const keys = new Map([[1, key]]);
  const statusLists = new StatusListPublisher({ client: chain.publicClient, chainId: 31337, registry: chain.registry, keys, baseUrl: () => base, refreshMs: LIST_REFRESH_MS, now: () => clock });
  const vc = createVcApiContext({ client: chain.publicClient, chainId: 31337, registry: chain.registry, keys, publicBaseUrl: () => base });
  const api = await serveApi(stack, { vc, statusLists, ...(routers.length ? { routers } : {}) });
  base = api.base;
  return Object.assign(api, { key, nextPoll: () => void (clock += LIST_REFRESH_MS) });
}
