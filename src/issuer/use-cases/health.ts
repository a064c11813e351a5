// Readiness (can the service store and reach the chain now?) and the counts /metrics reports.
import { describeChainError } from "../../chain/sender.ts";
import type { BatchState, CredentialState, Readiness, ServiceStats, StatusChangeState } from "../types.ts";
import { credentialState, type IssuerDeps } from "./deps.ts";

/**
 * Whether the service can take work now: the database takes a write, the chain answers.
 *
 * @example
 * const { ready, checks } = await readiness(deps);
 */
export async function readiness(deps: IssuerDeps): Promise<Readiness> {
  let database = { ok: true, message: "writable" };
  try {
    await deps.store.meta.set("readyz", String(deps.now()));
  } catch (error) {
    database = { ok: false, message: `cannot write: ${(error as Error).message}` };
  }
  const checked = deps.chainCheck?.();
  if (checked) return { ready: database.ok && checked.ok, checks: { database, chain: checked } };
  let chain = { ok: true, message: "" };
  try {
    const block = await Promise.race([
      deps.client.getBlockNumber({ cacheTime: 0 }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer within 2 s")), 2_000).unref()),
    ]);
    chain.message = `chain ${deps.chainId} at block ${block}`;
  } catch (error) {
    chain = { ok: false, message: `JSON-RPC unreachable: ${describeChainError(error)}` };
  }
  return { ready: database.ok && chain.ok, checks: { database, chain } };
}

/**
 * Gauges and counters for /metrics.
 *
 * @example
 * const { credentialsByState } = await stats(deps);
 */
export async function stats(deps: IssuerDeps): Promise<ServiceStats> {
  const counts = await deps.store.stats.counts();
  const credentialsByState: Record<CredentialState, number> = { queued: counts.queued, batched: 0, anchoring: 0, anchored: 0, confirmed: 0, failed: 0 };
  const batchesByState: Record<BatchState, number> = { built: 0, sending: 0, mined: 0, confirmed: 0, failed: 0 };
  for (const r of counts.batches) {
    batchesByState[r.state] = r.count;
    credentialsByState[credentialState(r.state)] += r.credentials;
  }
  const statusChangesByState: Record<StatusChangeState, number> = { pending: 0, sending: 0, mined: 0, confirmed: 0, failed: 0 };
  for (const r of counts.statusChanges) statusChangesByState[r.state] = r.count;
  return {
    credentialsByState,
    batchesByState,
    statusChangesByState,
    gasUsedTotal: counts.gasUsed,
    feesPaidWeiTotal: counts.feesPaidWei,
    anchorLatencySeconds: [...deps.runtime.latencies],
    chainTxsClosed: counts.closedTxs,
  };
}
