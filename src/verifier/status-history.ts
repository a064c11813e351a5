// When and why a credential's status changed: the registry's status events, with their block times.
import { getAbiItem, type Address, type Hex, type PublicClient } from "viem";
import { credentialRegistryAbi } from "../chain/abi.ts";
import type { TrustList } from "./trust.ts";
import type { VerificationReport } from "./verify-bundle.ts";

/** One status change of a credential, as the chain recorded it. */
export type StatusEvent = {
  /** `revoke-batch`: the whole batch (root) was revoked. */
  action: "revoke" | "suspend" | "reinstate" | "revoke-batch";
  /** Block time, unix seconds. */
  time: number;
  blockNumber: number;
  /** The issuer-defined reason code (0-255) recorded in the event. */
  reason: number;
  signer: Address;
  txHash: Hex;
};

export type StatusHistoryParameters = {
  registry: Address;
  issuerId: bigint;
  statusIndex: bigint;
  root: Hex;
  /** First block searched: the registry's deployment block (status bits can predate an anchor). */
  fromBlock: bigint;
};

const ACTIONS = ["revoke", "suspend", "reinstate"] as const;
const statusesUpdated = getAbiItem({ abi: credentialRegistryAbi, name: "StatusesUpdated" });
const statusWordsUpdated = getAbiItem({ abi: credentialRegistryAbi, name: "StatusWordsUpdated" });
const rootRevoked = getAbiItem({ abi: credentialRegistryAbi, name: "RootRevoked" });

type Found = Omit<StatusEvent, "time"> & { logIndex: number };

/** Whether one event's indices (or word masks) touch `index`. */
function touches(args: { indices?: readonly bigint[]; wordIndices?: readonly bigint[]; masks?: readonly bigint[] }, index: bigint): boolean {
  if (args.indices) return args.indices.includes(index);
  const word = index >> 8n;
  return (args.wordIndices ?? []).some((w, k) => w === word && ((args.masks![k]! >> (index & 255n)) & 1n) === 1n);
}

/**
 * Every status change of one credential, oldest first: its index's revocations, suspensions and
 * reinstatements (`StatusesUpdated`, `StatusWordsUpdated`, filtered by issuer on the node and by
 * index here, so the RPC provider learns the issuer, not the index) and its batch's revocation
 * (`RootRevoked`, filtered by root), each with its block time. Browser-safe (viem only).
 *
 * @example
 * const events = await readStatusHistory(client, { registry, issuerId: 1n, statusIndex: 42n, root, fromBlock: 0n });
 * events.at(-1); // { action: "revoke", time: 1764633600, reason: 3, … }
 */
export async function readStatusHistory(client: PublicClient, p: StatusHistoryParameters): Promise<StatusEvent[]> {
  const range = { address: p.registry, fromBlock: p.fromBlock, toBlock: "latest" } as const;
  const [statuses, words, roots] = await Promise.all([
    client.getLogs({ ...range, event: statusesUpdated, args: { issuerId: p.issuerId } }),
    client.getLogs({ ...range, event: statusWordsUpdated, args: { issuerId: p.issuerId } }),
    client.getLogs({ ...range, event: rootRevoked, args: { root: p.root } }),
  ]);
  const found: Found[] = [];
  for (const log of [...statuses, ...words]) {
    if (log.args.issuerId !== p.issuerId || !touches(log.args, p.statusIndex)) continue;
    found.push({ action: ACTIONS[log.args.action!]!, reason: log.args.reason!, signer: log.args.signer!, blockNumber: Number(log.blockNumber), logIndex: log.logIndex!, txHash: log.transactionHash! });
  }
  for (const log of roots) {
    if (log.args.root !== p.root) continue;
    found.push({ action: "revoke-batch", reason: log.args.reason!, signer: log.args.signer!, blockNumber: Number(log.blockNumber), logIndex: log.logIndex!, txHash: log.transactionHash! });
  }
  found.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  const times = new Map<number, number>();
  await Promise.all(
    [...new Set(found.map((e) => e.blockNumber))].map(async (n) => {
      times.set(n, Number((await client.getBlock({ blockNumber: BigInt(n) })).timestamp));
    }),
  );
  return found.map(({ logIndex: _, ...e }) => ({ ...e, time: times.get(e.blockNumber)! }));
}

/**
 * The status events of each revoked or suspended credential among `reports` (best effort:
 * `undefined` where no client or trusted deployment is known, or the chain cannot say), for the
 * CLI's and the page's "revoked on …" lines.
 *
 * @example
 * const histories = await statusHistoriesOf(reports, trust, (chainId) => clients.get(chainId));
 */
export async function statusHistoriesOf(reports: readonly VerificationReport[], trust: TrustList, clientFor: (chainId: number) => PublicClient | undefined): Promise<(StatusEvent[] | undefined)[]> {
  return Promise.all(
    reports.map(async ({ bundle, checks }) => {
      const client = bundle && clientFor(bundle.chainId);
      const deployment = bundle && trust.find(bundle.chainId, bundle.registry);
      if (!client || !deployment || !checks.some((c) => c.name === "status" && c.outcome === "fail")) return undefined;
      try {
        return await readStatusHistory(client, {
          registry: deployment.address as Address,
          issuerId: BigInt(bundle.issuerId),
          statusIndex: BigInt(bundle.statusIndex),
          root: bundle.root as Hex,
          fromBlock: BigInt(deployment.deployBlock),
        });
      } catch {
        return undefined; // the reader says the date could not be read
      }
    }),
  );
}
