// Reconciliation with the chain after a restore: anchors of our issuers that the database does not
// know (made after the backup was taken) become known batches again, and new status indices keep
// clear of every index their lost credentials may hold. Store-agnostic: SQLite and PostgreSQL alike.
import { encodeFunctionData, type Address, type Hex, type PublicClient } from "viem";
import { credentialRegistryAbi } from "../../chain/abi.ts";
import { readStatusWords } from "../../chain/read-registry.ts";
import { ServiceError } from "../../core/errors.ts";
import type { Store } from "../../store/types.ts";
import { MAX_LIST_SIZE } from "../status-index.ts";
import { setStatusBits } from "./status-indices.ts";

/** Blocks per `eth_getLogs` call (public RPC providers refuse much wider ranges). */
const LOG_RANGE = 10_000n;
/**
 * The highest floor set (2^26 indices: an 8 MiB bitmap at start). Above it, lost batches are too
 * many to fence off at BATCH_MAX_SIZE each: the operator must say how large they were.
 */
export const MAX_INDEX_FLOOR = 2 ** 26;
/** Words per `getStatusWords` call (as the allocator reads them). */
const WORDS_PER_CALL = 2048;

export type ReconcileOptions = {
  client: PublicClient;
  /** The current registry; the registries of the upgrade history are scanned too. */
  registry: Address;
  /** The issuers to reconcile (those the database serves). */
  issuerIds: readonly number[];
  /** The largest batch the service builds (BATCH_MAX_SIZE): bounds how many indices a lost batch holds. */
  maxBatchSize: number;
  /**
   * The block each registry was deployed in, by lower-case address (the address books'
   * `deployBlock`): a first scan starts there instead of at block 0, which on a long public chain
   * is thousands of `eth_getLogs` pages of nothing. A registry missing here is scanned from 0.
   */
  deployBlocks?: ReadonlyMap<string, number>;
  /** Also bring the stored revoked / suspended flags of known credentials in line with the chain (after a restore: yes). */
  syncStatuses: boolean;
  now: () => number;
};

/** An anchor found on-chain that the database did not know, now batch `batchId` of unknown content. */
export type ReconciledBatch = { batchId: number; root: Hex; registry: string; txHash: Hex; blockNumber: number };

/** What a reconciliation did, per issuer. */
export type ReconcileReport = {
  issuerId: number;
  /** Registries scanned and the blocks read on each. */
  scanned: { registry: string; fromBlock: number; toBlock: number }[];
  found: ReconciledBatch[];
  /** No new status index below this (0: none); raised when anchors were found. */
  indexFloor: number;
  /** Known credentials whose stored status changed to the chain's. */
  statusesSynced: number;
};

const bytesOf = (hex: Hex): Uint8Array => Buffer.from(hex.slice(2), "hex");
const watermarkKey = (registry: string) => `reconciledBlock:${registry.toLowerCase()}`;

/**
 * Scans each registry (current and past) for `RootAnchored` events of the issuers since the last
 * reconciliation (the first time: from the registry's deployment block, else the whole chain), and
 * records each root the database has no batch for as a confirmed batch of unknown content
 * (`reconciled`), with its transaction: batch ids advance past it and its statuses can be changed
 * by index. The lost credentials' indices are unknowable (they sit inside the leaves): the
 * issuer's status index floor rises above any index they can hold, so no new credential reuses
 * one. Safe to run at every start.
 *
 * @example
 * const reports = await reconcileWithChain(store, { client, registry, issuerIds: [1], maxBatchSize: 100_000, syncStatuses: true, now: Date.now });
 */
export async function reconcileWithChain(store: Store, options: ReconcileOptions): Promise<ReconcileReport[]> {
  const head = await options.client.getBlockNumber({ cacheTime: 0 });
  const registries = [...new Set([options.registry.toLowerCase(), ...(await store.registries.history()).map((r) => r.address)])];
  const reports: ReconcileReport[] = [];
  for (const issuerId of options.issuerIds) {
    const report: ReconcileReport = { issuerId, scanned: [], found: [], indexFloor: await store.registries.indexFloor(issuerId), statusesSynced: 0 };
    const unknown: UnknownAnchor[] = [];
    for (const registry of registries) {
      const watermark = await store.meta.get(watermarkKey(registry));
      const fromBlock = watermark === undefined ? BigInt(options.deployBlocks?.get(registry.toLowerCase()) ?? 0) : BigInt(watermark) + 1n;
      report.scanned.push({ registry, fromBlock: Number(fromBlock), toBlock: Number(head) });
      unknown.push(...(await unknownAnchors(store, options, issuerId, registry as Address, fromBlock, head)));
    }
    // The floor first: an anchor is recorded (and found no more) only once its indices are fenced off.
    if (unknown.length > 0) report.indexFloor = await raiseFloor(store, options, issuerId, unknown.length);
    for (const anchor of unknown) report.found.push(await recordAnchor(store, options, issuerId, anchor));
    if (options.syncStatuses || report.found.length > 0) report.statusesSynced = await syncStatuses(store, options, issuerId);
    reports.push(report);
  }
  for (const registry of registries) await store.meta.set(watermarkKey(registry), String(head));
  return reports;
}

type UnknownAnchor = { registry: Address; root: Hex; signer: Address; txHash: Hex; blockNumber: bigint; blockHash: Hex };

/** The issuer's `RootAnchored` events in [fromBlock, head] on `registry` whose root the database has no batch for. */
async function unknownAnchors(store: Store, o: ReconcileOptions, issuerId: number, registry: Address, fromBlock: bigint, head: bigint): Promise<UnknownAnchor[]> {
  const found: UnknownAnchor[] = [];
  for (let from = fromBlock; from <= head; from += LOG_RANGE) {
    const to = from + LOG_RANGE - 1n < head ? from + LOG_RANGE - 1n : head;
    const events = await o.client.getContractEvents({ address: registry, abi: credentialRegistryAbi, eventName: "RootAnchored", args: { issuerId: BigInt(issuerId) }, fromBlock: from, toBlock: to });
    if (events.length === 0) continue;
    const known = await store.registries.knownRoots(issuerId, events.map((e) => bytesOf(e.args.root!)));
    for (const event of events) {
      const root = event.args.root!;
      if (known.has(root.toLowerCase())) continue;
      known.add(root.toLowerCase());
      found.push({ registry, root, signer: event.args.signer!, txHash: event.transactionHash, blockNumber: event.blockNumber, blockHash: event.blockHash });
    }
  }
  return found;
}

/** Records an unknown anchor as a reconciled batch with its transaction, and in the audit log. */
async function recordAnchor(store: Store, o: ReconcileOptions, issuerId: number, anchor: UnknownAnchor): Promise<ReconciledBatch> {
  const { registry, root, txHash } = anchor;
  const block = await o.client.getBlock({ blockHash: anchor.blockHash });
  const data = encodeFunctionData({ abi: credentialRegistryAbi, functionName: "anchor", args: [root] });
  const batchId = await store.transaction((tx) =>
    tx.registries.insertReconciled({
      issuerId,
      root: bytesOf(root),
      registry,
      signer: anchor.signer,
      data,
      txHash,
      blockNumber: Number(anchor.blockNumber),
      blockHash: anchor.blockHash,
      blockTime: Number(block.timestamp),
      at: o.now(),
    }),
  );
  await store.audit.append({ at: o.now(), actor: "reconcile", action: "batch.reconciled", subject: `batch:${batchId}`, details: JSON.stringify({ issuerId, root, registry, txHash }) });
  return { batchId, root, registry: registry.toLowerCase(), txHash, blockNumber: Number(anchor.blockNumber) };
}

/**
 * The floor above every index the lost batches' credentials can hold. They were drawn at random
 * below the list size of their time, and the list only grows past half full: with at most
 * `lost · maxBatchSize` credentials drawn since the backup, it stayed below the size that holds
 * them all half full. That size, doubled as a margin (for batches that failed meanwhile), is the floor.
 */
async function raiseFloor(store: Store, o: ReconcileOptions, issuerId: number, lost: number): Promise<number> {
  const listSize = (await store.issuers.listSize(issuerId)) ?? 1;
  const taken = new Set(await store.credentials.allIndices(issuerId));
  for (const index of await setStatusBits(o.client, o.registry, issuerId, 0, listSize)) taken.add(index);
  let size = listSize;
  while (2 * (taken.size + lost * o.maxBatchSize) > size && size < MAX_LIST_SIZE) size *= 2;
  const floor = Math.min(size * 2, MAX_LIST_SIZE / 2);
  if (floor > MAX_INDEX_FLOOR) {
    throw new ServiceError(
      `issuer ${issuerId} has ${lost} anchors on-chain this database does not know: fencing off ${lost} × ${o.maxBatchSize} (BATCH_MAX_SIZE) status indices needs a floor of ${floor}, above ${MAX_INDEX_FLOOR}; run credanchor reconcile with --batch-max-size set to the largest batch those anchors held (docs/operations.md, "Restore")`,
      { code: "CONFIG_INVALID" },
    );
  }
  await store.registries.raiseIndexFloor(issuerId, floor);
  return Math.max(floor, await store.registries.indexFloor(issuerId));
}

/** Sets the stored flags of the issuer's known credentials to their status on their own registry. */
async function syncStatuses(store: Store, o: ReconcileOptions, issuerId: number): Promise<number> {
  const indices = await store.credentials.allIndices(issuerId);
  if (indices.length === 0) return 0;
  const registryOf = await store.registries.registriesOf(issuerId, indices);
  const byRegistry = new Map<string, number[]>();
  for (const index of indices) {
    if (!registryOf.has(index)) continue; // not anchored: nothing on-chain about it
    const registry = registryOf.get(index) ?? o.registry.toLowerCase();
    byRegistry.set(registry, [...(byRegistry.get(registry) ?? []), index]);
  }
  let changed = 0;
  for (const [registry, held] of byRegistry) {
    const onChain = await statusBits(o.client, registry as Address, issuerId, Math.max(...held) + 1);
    const stored = await store.credentials.statuses(issuerId, held);
    const revoke = held.filter((i) => onChain.revoked.has(i) && !stored.get(i)?.revoked);
    const suspend = held.filter((i) => onChain.suspended.has(i) && !stored.get(i)?.suspended);
    const reinstate = held.filter((i) => !onChain.suspended.has(i) && stored.get(i)?.suspended);
    if (revoke.length) await store.credentials.applyStatus(issuerId, "revoke", revoke);
    if (suspend.length) await store.credentials.applyStatus(issuerId, "suspend", suspend);
    if (reinstate.length) await store.credentials.applyStatus(issuerId, "reinstate", reinstate);
    changed += revoke.length + suspend.length + reinstate.length;
  }
  return changed;
}

/** The indices below `end` whose revoked / suspended bit is set on a registry. */
async function statusBits(client: PublicClient, registry: Address, issuerId: number, end: number): Promise<{ revoked: Set<number>; suspended: Set<number> }> {
  const revoked = new Set<number>();
  const suspended = new Set<number>();
  const words = Math.ceil(end / 256);
  for (let first = 0; first < words; first += WORDS_PER_CALL) {
    const count = Math.min(WORDS_PER_CALL, words - first);
    const read = await readStatusWords(client, registry, BigInt(issuerId), BigInt(first), BigInt(count));
    for (let w = 0; w < count; w++) {
      for (const [bits, into] of [[read.revoked[w]!, revoked], [read.suspended[w]!, suspended]] as const) {
        if (bits === 0n) continue;
        for (let b = 0; b < 256; b++) if ((bits >> BigInt(b)) & 1n) into.add((first + w) * 256 + b);
      }
    }
  }
  return { revoked, suspended };
}
