// Shared named fixtures and helpers for the CredentialRegistry contract tests.
import { network } from "hardhat";
import type { ContractTransactionResponse } from "ethers";

export const { ethers, networkHelpers } = await network.getOrCreate();
export const { loadFixture, time } = networkHelpers;

/** `ICredentialRegistry.StatusAction` values. */
export const Action = { Revoke: 0, Suspend: 1, Reinstate: 2 } as const;
export type ActionValue = (typeof Action)[keyof typeof Action];

/** `type(uint40).max`: "no end" / "never" in the registry's time fields. */
export const NEVER = 2n ** 40n - 1n;
export const MAX_UINT256 = 2n ** 256n - 1n;
export const ACCREDITOR_ROLE = ethers.id("ACCREDITOR_ROLE");
export const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

export const METADATA_A = "did:web:a.example";
export const METADATA_B = "did:web:b.example";
export const ISSUER_A = 1n;
export const ISSUER_B = 2n;

/** A distinct non-zero root (or digest) per label. */
export function root(label: string | number): string {
  return ethers.id(`root-${label}`);
}

/** Block time of the block that mined `tx`. */
export async function blockTimeOf(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("transaction not mined");
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error("block not found");
  return BigInt(block.timestamp);
}

/** Block number that mined `tx`. */
export async function blockNumberOf(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("transaction not mined");
  return BigInt(receipt.blockNumber);
}

/** A freshly deployed registry; `governance` holds DEFAULT_ADMIN_ROLE and ACCREDITOR_ROLE. */
export async function deployRegistryFixture() {
  const signers = await ethers.getSigners();
  const [governance, adminA, keyA, adminB, keyB, outsider, spare1, spare2, spare3] = signers;
  if (spare3 === undefined) throw new Error("need at least 9 accounts");
  const registry = await ethers.deployContract("CredentialRegistry", [governance!.address]);
  return {
    registry,
    governance: governance!,
    adminA: adminA!,
    keyA: keyA!,
    adminB: adminB!,
    keyB: keyB!,
    outsider: outsider!,
    spares: [spare1!, spare2!, spare3] as const,
  };
}

/**
 * Two accredited issuers with open-ended windows: A (id 1, admin `adminA`, extra key `keyA`)
 * and B (id 2, admin `adminB`, extra key `keyB`).
 */
export async function twoIssuersFixture() {
  const deployed = await deployRegistryFixture();
  const { registry, adminA, keyA, adminB, keyB } = deployed;
  await registry.registerIssuer(adminA.address, METADATA_A, 0, 0);
  await registry.registerIssuer(adminB.address, METADATA_B, 0, 0);
  await registry.connect(adminA).addSignerKey(keyA.address);
  await registry.connect(adminB).addSignerKey(keyB.address);
  return deployed;
}

/** {twoIssuersFixture} plus one root anchored by each issuer's extra key: `root("A")`, `root("B")`. */
export async function anchoredRootsFixture() {
  const deployed = await twoIssuersFixture();
  const { registry, keyA, keyB } = deployed;
  const txA = await registry.connect(keyA).anchor(root("A"));
  const txB = await registry.connect(keyB).anchor(root("B"));
  return { ...deployed, anchoredAtA: await blockTimeOf(txA), anchoredAtB: await blockTimeOf(txB) };
}

export type Registry = Awaited<ReturnType<typeof deployRegistryFixture>>["registry"];

/** The named fields of a `Verification` result as a plain object (for deep equality). */
export function verificationFields(v: {
  anchored: boolean;
  issuerId: bigint;
  signer: string;
  anchoredAt: bigint;
  blockNumber: bigint;
  rootRevoked: boolean;
  signerValidAtAnchoring: boolean;
  issuerAccreditedAtAnchoring: boolean;
  revoked: boolean;
  suspended: boolean;
  valid: boolean;
  issuerMetadataURI: string;
}) {
  return {
    anchored: v.anchored,
    issuerId: v.issuerId,
    signer: v.signer,
    anchoredAt: v.anchoredAt,
    blockNumber: v.blockNumber,
    rootRevoked: v.rootRevoked,
    signerValidAtAnchoring: v.signerValidAtAnchoring,
    issuerAccreditedAtAnchoring: v.issuerAccreditedAtAnchoring,
    revoked: v.revoked,
    suspended: v.suspended,
    valid: v.valid,
    issuerMetadataURI: v.issuerMetadataURI,
  };
}
