// Ed25519 assertion keys in the v2 registry: the on-chain key binding verifyVc reads, and adding a key (the issuer's cold admin).
import type { Address, Hex, LocalAccount, PublicClient, WalletClient } from "viem";
import { bytesToHex, hexToBytes } from "../core/encoding.ts";
import type { KeyBinding, KeyBindingAnswer } from "../vc/verify.ts";
import { credentialRegistryV2Abi } from "./abi.ts";

/** The registry's "not set" time for retiredAt / compromisedFrom (uint40 max). */
const NEVER = 2 ** 40 - 1;

/**
 * What the v2 registry records for a raw 32-byte Ed25519 public key, in verifyVc's terms
 * (`bound: false` for a key no issuer registered), with the issuer's identity for reports.
 *
 * @example
 * const answer = await readKeyBinding(client, registry, key.publicKey); // { bound: true, issuerId: 1, addedAt: …, identity: "did:web:uni.example" }
 */
export async function readKeyBinding(client: PublicClient, registry: Address, publicKey: Uint8Array): Promise<KeyBindingAnswer> {
  if (publicKey.length !== 32) return { bound: false };
  const key = await client.readContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "getAssertionKey", args: [bytesToHex(publicKey) as Hex] });
  if (key.issuerId === 0n) return { bound: false };
  const [, identity] = await client.readContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "getIssuer", args: [key.issuerId] });
  return {
    bound: true,
    issuerId: Number(key.issuerId),
    ...(identity ? { identity } : {}),
    addedAt: Number(key.addedAt),
    ...(Number(key.retiredAt) !== NEVER ? { retiredAt: Number(key.retiredAt) } : {}),
    ...(Number(key.compromisedFrom) !== NEVER ? { compromisedFrom: Number(key.compromisedFrom) } : {}),
  };
}

/**
 * The key binding verifyVc takes, read from a v2 registry on every call (a retirement or
 * compromise counts at once).
 *
 * @example
 * const report = await verifyVc(vc, { keyBinding: chainKeyBinding(client, registry), chain });
 */
export function chainKeyBinding(client: PublicClient, registry: Address): KeyBinding {
  return (publicKey) => readKeyBinding(client, registry, publicKey);
}

/**
 * The assertion keys of `issuerId` that can sign now, at the chain's latest block: added, never
 * retired, not compromised, and the issuer accredited (the registry's rule for keys that may act,
 * stricter than `isAssertionKeyValid`, which still accepts a key at its retirement second). Raw
 * 32-byte public keys in the order they were added, found from `AssertionKeyAdded` events since `fromBlock`.
 *
 * @example
 * const keys = await readActiveAssertionKeys(client, registry, 1, 0n); // [Uint8Array(32)]
 */
export async function readActiveAssertionKeys(client: PublicClient, registry: Address, issuerId: number, fromBlock: bigint): Promise<Uint8Array[]> {
  const head = await client.getBlock({ blockTag: "latest" });
  const now = Number(head.timestamp);
  const at = { address: registry, abi: credentialRegistryV2Abi, blockNumber: head.number } as const;
  if (!(await client.readContract({ ...at, functionName: "isIssuerAccredited", args: [BigInt(issuerId), now] }))) return [];
  const added = await client.getContractEvents({ address: registry, abi: credentialRegistryV2Abi, eventName: "AssertionKeyAdded", args: { issuerId: BigInt(issuerId) }, fromBlock, toBlock: head.number });
  const keys = [...new Set(added.map((e) => e.args.key!))];
  const records = await Promise.all(keys.map((key) => client.readContract({ ...at, functionName: "getAssertionKey", args: [key] })));
  const active = (r: (typeof records)[number]) => Number(r.issuerId) === issuerId && r.addedAt <= now && Number(r.retiredAt) === NEVER && now < Number(r.compromisedFrom);
  return keys.filter((_, i) => active(records[i]!)).map((key) => hexToBytes(key, 32)!);
}

/**
 * The on-chain identity (`did:…`) of `issuerId`; `undefined` when the registry has no such issuer.
 *
 * @example
 * await readIssuerIdentity(client, registry, 1); // "did:web:issuer.example:issuers:1"
 */
export async function readIssuerIdentity(client: PublicClient, registry: Address, issuerId: number): Promise<string | undefined> {
  const count = await client.readContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "issuerCount" });
  if (issuerId < 1 || BigInt(issuerId) > count) return undefined;
  const [, identity] = await client.readContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "getIssuer", args: [BigInt(issuerId)] });
  return identity;
}

/**
 * Registers an Ed25519 public key as an assertion key of the issuer whose cold admin `account` is.
 *
 * @example
 * await addAssertionKey({ publicClient, walletClient, account: admin }, registry, key.publicKey);
 */
export async function addAssertionKey(
  { publicClient, walletClient, account }: { publicClient: PublicClient; walletClient: WalletClient; account: LocalAccount },
  registry: Address,
  publicKey: Uint8Array,
): Promise<void> {
  const hash = await walletClient.writeContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "addAssertionKey", args: [bytesToHex(publicKey) as Hex], account, chain: walletClient.chain ?? null });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`addAssertionKey reverted (${hash})`);
}
