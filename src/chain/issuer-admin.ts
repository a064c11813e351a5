// Issuer administration on a version 2 registry as plain transactions: planned (calldata and cost) before sent, and read back.
import { encodeFunctionData, formatEther, parseEventLogs, type Address, type Hex, type LocalAccount, type PublicClient, type WalletClient } from "viem";
import * as knownChains from "viem/chains";
import { credentialRegistryV2Abi } from "./abi.ts";

/** `type(uint40).max`: "no end" / "never" in the registry's key and issuer records. */
export const UINT40_MAX = 2 ** 40 - 1;

/** The admin functions the CLI can call. */
export type AdminFunction =
  | "registerIssuer"
  | "addSignerKey"
  | "retireSignerKey"
  | "markKeyCompromised"
  | "addAssertionKey"
  | "retireAssertionKey"
  | "markAssertionKeyCompromised";

/** A transaction to the registry, described before it is sent. */
export type AdminCall = { to: Address; functionName: AdminFunction; args: readonly (string | number)[]; data: Hex };

/** What a call would cost: gas estimate × the fee per gas the node asks now. */
export type CostEstimate = { gas: bigint; feePerGasWei: bigint; costWei: bigint; cost: string; currency: string };

/**
 * Builds the calldata of one admin call (arguments are checked by the ABI encoder).
 *
 * @example
 * const call = adminCall(registry, "addSignerKey", [hotKey]);
 */
export function adminCall(to: Address, functionName: AdminFunction, args: readonly (string | number)[]): AdminCall {
  const data = encodeFunctionData({ abi: credentialRegistryV2Abi, functionName, args } as never);
  return { to, functionName, args, data };
}

/** The native currency symbol of a chain id (viem's chain list), `ETH` when unknown. */
export function currencyOf(chainId: number): string {
  const chain = Object.values(knownChains).find((c) => typeof c === "object" && c !== null && "id" in c && c.id === chainId) as { nativeCurrency?: { symbol: string } } | undefined;
  return chain?.nativeCurrency?.symbol ?? "ETH";
}

/**
 * Estimates the gas and the most the call may cost (gas × max fee per gas, or gas price on
 * chains without EIP-1559). The estimate runs the call as `from`: a call that would revert
 * throws here with the contract's error name, before anything is sent.
 *
 * @example
 * const { costWei, cost, currency } = await estimateAdminCall(client, call, admin.address);
 */
export async function estimateAdminCall(client: PublicClient, call: AdminCall, from: Address): Promise<CostEstimate> {
  const gas = await client.estimateContractGas({ address: call.to, abi: credentialRegistryV2Abi, functionName: call.functionName, args: call.args, account: from } as never);
  let feePerGasWei: bigint;
  try {
    feePerGasWei = (await client.estimateFeesPerGas()).maxFeePerGas;
  } catch {
    feePerGasWei = await client.getGasPrice();
  }
  const costWei = gas * feePerGasWei;
  return { gas, feePerGasWei, costWei, cost: formatEther(costWei), currency: currencyOf(await client.getChainId()) };
}

/**
 * Sends the call from `account` and waits for its receipt; reverts become errors naming the hash.
 *
 * @example
 * const { hash, issuerId } = await sendAdminCall(publicClient, walletClient, account, adminCall(registry, "registerIssuer", [...]));
 */
export async function sendAdminCall(
  publicClient: PublicClient,
  walletClient: WalletClient,
  account: LocalAccount,
  call: AdminCall,
): Promise<{ hash: Hex; blockNumber: bigint; gasUsed: bigint; costWei: bigint; issuerId?: number }> {
  const hash = await walletClient.sendTransaction({ account, to: call.to, data: call.data, chain: walletClient.chain ?? null });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${call.functionName} reverted (transaction ${hash})`);
  const [registered] = parseEventLogs({ abi: credentialRegistryV2Abi, logs: receipt.logs, eventName: "IssuerRegistered" });
  return {
    hash,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
    costWei: receipt.gasUsed * receipt.effectiveGasPrice,
    ...(registered ? { issuerId: Number(registered.args.issuerId) } : {}),
  };
}

/** A key of an issuer with its window (unix seconds; `undefined`: no end / never). */
export type IssuerKeyView = { key: string; role: "admin" | "signer" | "assertion"; addedAt: number; retiredAt?: number; compromisedFrom?: number };

/** An issuer as the registry holds it. */
export type IssuerView = { issuerId: number; identity: string; name: string; admin: Address; validFrom: number; validUntil?: number; keys: IssuerKeyView[] };

const ROLES = { 1: "admin", 2: "signer", 3: "assertion" } as const;
const endOrNone = (t: number) => (t >= UINT40_MAX ? undefined : t);

/**
 * Reads an issuer: its record, identity and name, and every key it ever had (from the key
 * events since `fromBlock`, then each key's current record).
 *
 * @throws when the issuer does not exist (the registry's `IssuerNotFound`).
 *
 * @example
 * const view = await readIssuer(client, registry, 1, 0n);
 */
export async function readIssuer(client: PublicClient, registry: Address, issuerId: number, fromBlock: bigint): Promise<IssuerView> {
  const [record, identity, name] = await client.readContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "getIssuer", args: [BigInt(issuerId)] });
  const logs = await client.getLogs({ address: registry, fromBlock, toBlock: "latest" });
  const events = parseEventLogs({ abi: credentialRegistryV2Abi, logs }).filter((e) => "issuerId" in e.args && Number(e.args.issuerId) === issuerId);
  const signerKeys = new Set<Address>();
  const assertionKeys = new Set<Hex>();
  for (const e of events) {
    if (e.eventName === "IssuerRegistered") signerKeys.add(e.args.admin);
    else if (e.eventName === "IssuerAdminChanged") signerKeys.add(e.args.previousAdmin).add(e.args.newAdmin);
    else if (e.eventName === "SignerKeyAdded") signerKeys.add(e.args.key);
    else if (e.eventName === "AssertionKeyAdded") assertionKeys.add(e.args.key);
  }
  signerKeys.add(record.admin);
  const keys: IssuerKeyView[] = [];
  const toView = (key: string, k: { role: number; addedAt: number; retiredAt: number; compromisedFrom: number }): IssuerKeyView => {
    const retiredAt = endOrNone(k.retiredAt);
    const compromisedFrom = endOrNone(k.compromisedFrom);
    return { key, role: ROLES[k.role as 1 | 2 | 3], addedAt: k.addedAt, ...(retiredAt !== undefined ? { retiredAt } : {}), ...(compromisedFrom !== undefined ? { compromisedFrom } : {}) };
  };
  for (const key of signerKeys) keys.push(toView(key, await client.readContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "getSignerKey", args: [key] })));
  for (const key of assertionKeys) keys.push(toView(key, await client.readContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "getAssertionKey", args: [key] })));
  const validUntil = endOrNone(record.validUntil);
  return { issuerId, identity, name, admin: record.admin, validFrom: record.validFrom, ...(validUntil !== undefined ? { validUntil } : {}), keys };
}
