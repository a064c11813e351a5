// Registry administration the service and its tooling need: deploy (tests), register issuers, add keys.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEventLogs, type Address, type Hex, type LocalAccount, type PublicClient, type WalletClient } from "viem";
import { credentialRegistryV1Abi, credentialRegistryV2Abi } from "./abi.ts";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "artifacts", "contracts");
const ARTIFACT = {
  1: join(ARTIFACTS, "CredentialRegistry.sol", "CredentialRegistry.json"),
  2: join(ARTIFACTS, "v2", "CredentialRegistryV2.sol", "CredentialRegistryV2.json"),
} as const;

/** Major version of a registry: 2 for new deployments, 1 for the first (still verifiable) one. */
export type RegistryMajor = 1 | 2;

/** Governance transfer delay of the registries deployed here (v2's `AccessControlDefaultAdminRules`). */
export const ADMIN_TRANSFER_DELAY_SECONDS = 2 * 24 * 3600;

type Clients = { publicClient: PublicClient; walletClient: WalletClient; account: LocalAccount };

/**
 * Deploys CredentialRegistry (version 2 unless `major` is 1) from the compiled artifact
 * (`npm run setup` builds it) with `governance` holding the governance and accreditor roles.
 * For tests and tooling; operators deploy with scripts/deploy.ts, which also writes the address book.
 *
 * @example
 * const { address } = await deployRegistry(clients); // v2
 */
export async function deployRegistry(
  { publicClient, walletClient, account }: Clients,
  governance: Address = account.address,
  { major = 2 }: { major?: RegistryMajor } = {},
): Promise<{ address: Address; blockNumber: number; hash: Hex; version: string }> {
  const artifact = JSON.parse(readFileSync(ARTIFACT[major], "utf8")) as { bytecode: Hex };
  const chain = walletClient.chain ?? null;
  const hash =
    major === 1
      ? await walletClient.deployContract({ abi: credentialRegistryV1Abi, bytecode: artifact.bytecode, args: [governance], account, chain })
      : await walletClient.deployContract({ abi: credentialRegistryV2Abi, bytecode: artifact.bytecode, args: [governance, ADMIN_TRANSFER_DELAY_SECONDS], account, chain });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error(`deployment ${hash} created no contract`);
  return { address: receipt.contractAddress, blockNumber: Number(receipt.blockNumber), hash, version: major === 1 ? "1.0.0" : "2.0.0" };
}

/**
 * Registers an issuer (the caller must hold the accreditor role) with `admin` as its admin key
 * and `identity` (DID or URL) as its identity, and returns its issuer id. In version 2 the admin
 * is a cold key that is not a signer: add signer keys with {@link addSignerKey}. With `major: 1`
 * (a v1 registry) `identity` is the metadata URI and the admin is also a signer key.
 *
 * @example
 * const issuerId = await registerIssuer(clients, registry, admin.address, "did:web:uni.example", { name: "Uni" });
 */
export async function registerIssuer(
  { publicClient, walletClient, account }: Clients,
  registry: Address,
  admin: Address,
  identity: string,
  { name = "", validFrom = 0, validUntil = 0, major = 2 }: { name?: string; validFrom?: number; validUntil?: number; major?: RegistryMajor } = {},
): Promise<number> {
  const chain = walletClient.chain ?? null;
  const hash =
    major === 1
      ? await walletClient.writeContract({ address: registry, abi: credentialRegistryV1Abi, functionName: "registerIssuer", args: [admin, identity, validFrom, validUntil], account, chain })
      : await walletClient.writeContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "registerIssuer", args: [admin, identity, name, validFrom, validUntil], account, chain });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`registerIssuer reverted (${hash})`);
  const [event] =
    major === 1
      ? parseEventLogs({ abi: credentialRegistryV1Abi, logs: receipt.logs, eventName: "IssuerRegistered" })
      : parseEventLogs({ abi: credentialRegistryV2Abi, logs: receipt.logs, eventName: "IssuerRegistered" });
  return Number(event!.args.issuerId);
}

/**
 * Adds `key` as a signer key of the issuer whose admin is `account` (same call in v1 and v2).
 *
 * @example
 * await addSignerKey({ publicClient, walletClient, account: admin }, registry, hotKey.address);
 */
export async function addSignerKey({ publicClient, walletClient, account }: Clients, registry: Address, key: Address): Promise<void> {
  const hash = await walletClient.writeContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "addSignerKey", args: [key], account, chain: walletClient.chain ?? null });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`addSignerKey reverted (${hash})`);
}

/** The issuer a key belongs to (0 if none) in a version 2 registry. */
export async function issuerOfKey(publicClient: PublicClient, registry: Address, key: Address): Promise<number> {
  const record = await publicClient.readContract({ address: registry, abi: credentialRegistryV2Abi, functionName: "getSignerKey", args: [key] });
  return Number(record.issuerId);
}
