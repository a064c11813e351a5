// Deploys CredentialRegistry version 2 (CredentialRegistryV2) to a configured network and records
// it in deployments/<network>.json (contract "CredentialRegistry", version "2.0.0"; earlier v1
// entries stay listed so what they anchored keeps verifying).
//
//   npx hardhat run --network localhost scripts/deploy.ts
//   SEPOLIA_RPC_URL=… npx hardhat run --network sepolia scripts/deploy.ts   (key from keystore or env)
//
// Environment: GOVERNANCE_ADDRESS (default: the deployer), ADMIN_TRANSFER_DELAY_SECONDS (default
// 172800: a governance transfer waits two days), DEPLOY_CONFIRMATIONS (default 1),
// DEPLOYMENTS_DIR (default: ./deployments). The signer key is never printed or written.
import { createRequire } from "node:module";
import hre, { network } from "hardhat";
import { keccak256, toUtf8Bytes } from "ethers";
import { ADMIN_TRANSFER_DELAY_SECONDS } from "../src/chain/admin.ts";
import { recordDeployment } from "../src/chain/deployments.ts";

const require = createRequire(import.meta.url);

const connection = await network.getOrCreate();
const { ethers, networkName } = connection;
const [deployer] = await ethers.getSigners();
if (!deployer) throw new Error(`network ${networkName} has no account to deploy from: configure its private key`);

const governance = process.env.GOVERNANCE_ADDRESS ?? deployer.address;
if (!ethers.isAddress(governance)) throw new Error(`GOVERNANCE_ADDRESS is not an address: ${governance}`);
const confirmations = Number(process.env.DEPLOY_CONFIRMATIONS ?? 1);
const adminTransferDelay = Number(process.env.ADMIN_TRANSFER_DELAY_SECONDS ?? ADMIN_TRANSFER_DELAY_SECONDS);
if (!Number.isSafeInteger(adminTransferDelay) || adminTransferDelay < 0) {
  throw new Error(`ADMIN_TRANSFER_DELAY_SECONDS is not a whole number of seconds: ${process.env.ADMIN_TRANSFER_DELAY_SECONDS}`);
}

const { chainId } = await ethers.provider.getNetwork();
console.log(`Deploying CredentialRegistry v2 to ${networkName} (chain ${chainId}) from ${deployer.address}…`);

const registry = await ethers.deployContract("CredentialRegistryV2", [governance, adminTransferDelay]);
const deployTx = registry.deploymentTransaction();
if (!deployTx) throw new Error("the deployment transaction is missing");
const receipt = await deployTx.wait(confirmations);
if (!receipt || receipt.status !== 1) throw new Error(`deployment transaction ${deployTx.hash} failed`);

const artifact = await hre.artifacts.readArtifact("CredentialRegistryV2");
const address = await registry.getAddress();
const book = recordDeployment({
  network: networkName,
  chainId: Number(chainId),
  deployment: {
    contract: "CredentialRegistry",
    address,
    version: await registry.getFunction("version")(),
    deployBlock: receipt.blockNumber,
    deployTx: deployTx.hash,
    deployer: deployer.address,
    governance,
    abiHash: keccak256(toUtf8Bytes(JSON.stringify(artifact.abi))),
    compiler: `solc ${(require("solc/package.json") as { version: string }).version}`,
    deployedAt: new Date().toISOString(),
  },
});

console.log(`CredentialRegistry v2 ${address} at block ${receipt.blockNumber} (tx ${deployTx.hash})`);
console.log(`Recorded in deployments/${networkName}.json (${book.deployments.length} deployment(s) listed)`);
