// Registry administration the service and its tooling need: deploy (tests), register issuers, add keys.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEventLogs, type Address, type Hex, type LocalAccount, type PublicClient, type WalletClient } from "viem";
import { credentialRegistryAbi } from "./abi.ts";

const ARTIFACT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "artifacts", "contracts", "CredentialRegistry.sol", "CredentialRegistry.json");

type Clients = { publicClient: PublicClient; walletClient: WalletClient; account: LocalAccount };

/**
 * Deploys CredentialRegistry from the compiled artifact (`npm run setup` builds it) with
 * `governance` holding the governance and accreditor roles. For tests and tooling; operators
 * deploy with scripts/deploy.ts, which also writes the address book.
 */
export async function deployRegistry({ publicClient, walletClient, account }: Clients, governance: Address = account.address): Promise<{ address: Address; blockNumber: number; hash: Hex }> {
  const artifact = JSON.parse(readFileSync(ARTIFACT, "utf8")) as { bytecode: Hex };
  const hash = await walletClient.deployContract({ abi: credentialRegistryAbi, bytecode: artifact.bytecode, args: [governance], account, chain: walletClient.chain ?? null });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error(`deployment ${hash} created no contract`);
  return { address: receipt.contractAddress, blockNumber: Number(receipt.blockNumber), hash };
}

/**
 * Registers an issuer (the caller must hold the accreditor role) with `admin` as its admin key
 * (an admin is also a signer key) and returns its issuer id.
 *
 * @example
 * const issuerId = await registerIssuer(clients, registry, devAccount(1).address, "did:web:uni.example");
 */
export async function registerIssuer(
  { publicClient, walletClient, account }: Clients,
  registry: Address,
  admin: Address,
  metadataURI: string,
  { validFrom = 0, validUntil = 0 }: { validFrom?: number; validUntil?: number } = {},
): Promise<number> {
  const hash = await walletClient.writeContract({
    address: registry,
    abi: credentialRegistryAbi,
    functionName: "registerIssuer",
    args: [admin, metadataURI, validFrom, validUntil],
    account,
    chain: walletClient.chain ?? null,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`registerIssuer reverted (${hash})`);
  const [event] = parseEventLogs({ abi: credentialRegistryAbi, logs: receipt.logs, eventName: "IssuerRegistered" });
  return Number(event!.args.issuerId);
}

/** The issuer a signer key belongs to (0 if none). */
export async function issuerOfKey(publicClient: PublicClient, registry: Address, key: Address): Promise<number> {
  const signer = await publicClient.readContract({ address: registry, abi: credentialRegistryAbi, functionName: "getSignerKey", args: [key] });
  return Number(signer.issuerId);
}
