// Hardhat's well-known development accounts: public keys for the local chain only, never for value.
import { mnemonicToAccount } from "viem/accounts";
import type { LocalAccount } from "viem";

/** The mnemonic every `hardhat node` funds (10,000 ETH each); published, so worthless elsewhere. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** The development chain's id: these accounts are refused on any other chain. */
export const DEV_CHAIN_ID = 31337;

/**
 * Development account `index` (0: deployer and governance, 1: the demo issuer's key, …).
 *
 * @example
 * devAccount(1).address; // 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
 */
export function devAccount(index: number): LocalAccount {
  return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
}

/** The private key of development account `index` (0x + 64 hex), for child processes in tests and benchmarks. */
export function devPrivateKey(index: number): `0x${string}` {
  const key = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error(`no private key for development account ${index}`);
  return `0x${Buffer.from(key).toString("hex")}`;
}
