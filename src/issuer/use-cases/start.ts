// Start-up checks of the issuer service: the chain is the configured one, the database belongs to
// it, every signer key is a current signer of its issuer, and the status lists are read once.
import type { Address, LocalAccount, PublicClient } from "viem";
import { credentialRegistryAbi } from "../../chain/abi.ts";
import { readIssuerIdentity } from "../../chain/issuer-identity.ts";
import { describeChainError } from "../../chain/sender.ts";
import { ServiceError } from "../../core/errors.ts";
import type { Store } from "../../store/types.ts";
import { StatusIndexAllocator } from "../status-index.ts";
import { listSizeCovering, setStatusBits } from "./status-indices.ts";

/** `IIssuerRegistryV2.KeyRole.Signer`: the only keys that anchor and change statuses (v2 admin keys are cold). */
const SIGNER_ROLE = 2;
/** `retiredAt` / `compromisedFrom` of a key that is neither. */
const NEVER = 2 ** 40 - 1;

type Chain = { client: PublicClient; chainId: number; registry: Address };

/**
 * The hash of block 1: tells a reset development chain (same id, same addresses) from the one a database saw.
 *
 * @example
 * const fingerprint = await chainFingerprint(client); // "0x…" or undefined (no block 1 yet)
 */
export async function chainFingerprint(client: PublicClient): Promise<string | undefined> {
  try {
    return (await client.getBlock({ blockNumber: 1n })).hash ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks that the endpoint serves `chainId` with registry code at `registry`, and that the
 * database belongs to them (binding a new database to them). A database bound to registry
 * `upgradeFrom` is upgraded to `registry` (see {@link upgradeRegistry}).
 *
 * @throws ServiceError `CHAIN_UNAVAILABLE`, `CONFIG_INVALID` (details `CHAIN_RESET` for a reset chain).
 *
 * @example
 * await checkChainAndDatabase(store, { client, chainId: 31337, registry });
 */
export async function checkChainAndDatabase(store: Store, { client, chainId, registry }: Chain, upgradeFrom?: Address): Promise<void> {
  let actualChainId: number;
  try {
    actualChainId = await client.getChainId();
  } catch (error) {
    throw new ServiceError(`the chain's JSON-RPC endpoint does not answer: ${describeChainError(error)}`, { code: "CHAIN_UNAVAILABLE", cause: error });
  }
  if (actualChainId !== chainId) {
    throw new ServiceError(`the RPC endpoint serves chain ${actualChainId}, but the configuration says chain ${chainId}`, { code: "CONFIG_INVALID" });
  }
  const code = await client.getCode({ address: registry });
  if (!code || code === "0x") {
    throw new ServiceError(`no contract code at the registry address ${registry} on chain ${chainId}: deploy it (npm start does on the local chain; elsewhere npx hardhat run --network <name> scripts/deploy.ts) or fix REGISTRY_ADDRESS`, {
      code: "CONFIG_INVALID",
    });
  }
  const boundChain = await store.meta.get("chainId");
  if (boundChain && Number(boundChain) !== chainId) {
    throw new ServiceError(`this database belongs to chain ${boundChain}, not chain ${chainId}: use another data directory`, { code: "CONFIG_INVALID" });
  }
  const boundRegistry = await store.meta.get("registry");
  if (boundRegistry && boundRegistry.toLowerCase() !== registry.toLowerCase()) await upgradeRegistry(store, client, boundRegistry as Address, registry, upgradeFrom);
  const fingerprint = await chainFingerprint(client);
  const boundFingerprint = await store.meta.get("chainFingerprint");
  if (boundFingerprint && fingerprint && boundFingerprint !== fingerprint) {
    throw new ServiceError(`the chain was reset: its block 1 is not the one this database saw, so the anchors recorded here are gone; move the data directory away or use another DATA_DIR`, {
      code: "CONFIG_INVALID",
      details: [{ path: "chain", message: "CHAIN_RESET" }],
    });
  }
  await store.meta.set("chainId", String(chainId));
  await store.meta.set("registry", registry);
  if (fingerprint) await store.meta.set("chainFingerprint", fingerprint);
}

/**
 * Moves the database from registry `from` to `to` when the operator asked for it (REGISTRY_UPGRADE_FROM
 * names `from`): new batches anchor to `to`; every batch and transaction recorded so far stays on
 * `from` (its credentials' digests name it), so their status changes still go there. Refused when
 * not asked for, when `to` was an earlier registry of this database, while credentials prepared
 * for `from` wait to be batched, or when `from` has no code any more.
 */
async function upgradeRegistry(store: Store, client: PublicClient, from: Address, to: Address, upgradeFrom: Address | undefined): Promise<void> {
  const history = await store.registries.history();
  if (history.some((r) => r.address === to.toLowerCase())) {
    throw new ServiceError(`registry ${to} was replaced by ${from} in this database: a database never goes back to an earlier registry; configure ${from}`, { code: "CONFIG_INVALID" });
  }
  if (upgradeFrom?.toLowerCase() !== from.toLowerCase()) {
    throw new ServiceError(
      `this database belongs to registry ${from}, not ${to}: to move it to the new registry, set REGISTRY_UPGRADE_FROM=${from} (docs/operations.md, "Registry upgrade"); otherwise use another data directory`,
      { code: "CONFIG_INVALID" },
    );
  }
  const queued = [...(await store.credentials.queueDepths()).values()].reduce((a, b) => a + b, 0);
  if (queued > 0) {
    throw new ServiceError(`${queued} credentials are queued for registry ${from} (their digests name it): start once more with REGISTRY_ADDRESS=${from} until the queue is empty, then upgrade`, { code: "CONFIG_INVALID" });
  }
  const code = await client.getCode({ address: from });
  if (!code || code === "0x") throw new ServiceError(`no contract code at the old registry ${from}: its credentials' status changes could not be sent`, { code: "CONFIG_INVALID" });
  await store.transaction(async (tx) => {
    await tx.registries.upgrade({ from, to, at: Date.now() });
    await tx.meta.set("registry", to);
  });
}

/**
 * The issuer of each signer key (each must be a current signer key, one per issuer), recorded in
 * the store, with each issuer's identity as set on-chain by the accreditor.
 *
 * @throws ServiceError `CONFIG_INVALID` naming the key and what is wrong with it.
 *
 * @example
 * const { issuers, identities } = await servedIssuers(store, chain, [account], { listSize: 131_072, at: Date.now() });
 */
export async function servedIssuers(
  store: Store,
  { client, registry }: Chain,
  signers: readonly LocalAccount[],
  record: { listSize: number; at: number },
): Promise<{ issuers: Map<number, LocalAccount>; identities: Map<number, string> }> {
  const issuers = new Map<number, LocalAccount>();
  for (const account of signers) {
    const key = await client.readContract({ address: registry, abi: credentialRegistryAbi, functionName: "getSignerKey", args: [account.address] });
    const issuerId = Number(key.issuerId);
    if (issuerId === 0) {
      throw new ServiceError(`signer ${account.address} is not a key of any issuer in registry ${registry}: have the issuer's admin add it (addSignerKey)`, { code: "CONFIG_INVALID" });
    }
    if (key.role !== SIGNER_ROLE) {
      throw new ServiceError(`${account.address} is the admin key of issuer ${issuerId}, not a signer key: keep the admin key cold and configure a signer key it added (addSignerKey)`, { code: "CONFIG_INVALID" });
    }
    if (key.retiredAt !== NEVER || key.compromisedFrom !== NEVER) {
      throw new ServiceError(`signer ${account.address} of issuer ${issuerId} is retired or marked compromised: configure a current key`, { code: "CONFIG_INVALID" });
    }
    if (issuers.has(issuerId)) throw new ServiceError(`two signer keys are configured for issuer ${issuerId}: keep one`, { code: "CONFIG_INVALID" });
    issuers.set(issuerId, account);
    await store.issuers.upsert({ id: issuerId, signer: account.address.toLowerCase(), listSize: record.listSize, at: record.at });
  }
  // Every credential must name its issuer's on-chain identity (set by the accreditor), so read them once.
  const identities = new Map<number, string>();
  for (const issuerId of issuers.keys()) {
    const identity = await readIssuerIdentity(client, registry, issuerId);
    if (!identity) throw new ServiceError(`issuer ${issuerId} has no identity (DID or URL) on-chain: the accreditor must set it`, { code: "CONFIG_INVALID" });
    identities.set(issuerId, identity);
  }
  return { issuers, identities };
}

/**
 * One status index allocator per issuer. Status bits already set on-chain (a database restored
 * from an old backup, statuses changed outside this service) must never be handed to a new
 * credential: the issuers' whole lists are read once, up to the size kept in the store (each
 * later growth checks its new range).
 *
 * @example
 * const allocators = await statusAllocators(store, chain, [1, 2]);
 */
export async function statusAllocators(store: Store, { client, registry }: Chain, issuerIds: Iterable<number>): Promise<Map<number, StatusIndexAllocator>> {
  const allocators = new Map<number, StatusIndexAllocator>();
  for (const issuerId of issuerIds) {
    const taken = await store.credentials.allIndices(issuerId);
    // Below the floor lie indices of credentials only the chain knows (reconcileWithChain): the list covers it.
    const floor = await store.registries.indexFloor(issuerId);
    const listSize = listSizeCovering((await store.issuers.listSize(issuerId))!, floor > 0 ? [...taken, floor - 1] : taken);
    await store.issuers.growListSize(issuerId, listSize);
    const onChain = await setStatusBits(client, registry, issuerId, 0, listSize);
    const allocator = new StatusIndexAllocator(listSize, [...taken, ...onChain]);
    allocator.markTaken(range(floor));
    allocators.set(issuerId, allocator);
  }
  return allocators;
}

/** 0, 1, …, end - 1, without an array. */
function* range(end: number): Generator<number> {
  for (let i = 0; i < end; i++) yield i;
}
