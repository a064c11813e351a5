// Shared named fixtures for the CredentialRegistryV2 contract tests (cold admins apart from hot signer keys).
import { ethers } from "./fixtures.ts";

export { Action, ACCREDITOR_ROLE, DEFAULT_ADMIN_ROLE, MAX_UINT256, NEVER, blockNumberOf, blockTimeOf, ethers, loadFixture, networkHelpers, root, time } from "./fixtures.ts";

/** `IIssuerRegistryV2.KeyRole` values. */
export const KeyRole = { None: 0, Admin: 1, Signer: 2, Assertion: 3 } as const;

export const IDENTITY_A = "did:web:a.example";
export const IDENTITY_B = "did:web:b.example";
export const NAME_A = "University A";
export const NAME_B = "College B";
export const ISSUER_A = 1n;
export const ISSUER_B = 2n;
/** Governance transfer delay used by the fixtures (seconds). */
export const ADMIN_DELAY = 2n * 24n * 3600n;

/** A distinct non-zero Ed25519 public key (32 bytes) per label. */
export function edKey(label: string | number): string {
  return ethers.id(`ed25519-${label}`);
}

/** A freshly deployed v2 registry; `governance` holds DEFAULT_ADMIN_ROLE and ACCREDITOR_ROLE. */
export async function deployV2Fixture() {
  const signers = await ethers.getSigners();
  const [governance, adminA, keyA, adminB, keyB, outsider, spare1, spare2, spare3] = signers;
  if (spare3 === undefined) throw new Error("need at least 9 accounts");
  const registry = await ethers.deployContract("CredentialRegistryV2", [governance!.address, ADMIN_DELAY]);
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
 * Two accredited issuers with open-ended windows: A (id 1, cold admin `adminA`, hot key `keyA`)
 * and B (id 2, cold admin `adminB`, hot key `keyB`).
 */
export async function twoIssuersV2Fixture() {
  const deployed = await deployV2Fixture();
  const { registry, adminA, keyA, adminB, keyB } = deployed;
  await registry.registerIssuer(adminA.address, IDENTITY_A, NAME_A, 0, 0);
  await registry.registerIssuer(adminB.address, IDENTITY_B, NAME_B, 0, 0);
  await registry.connect(adminA).addSignerKey(keyA.address);
  await registry.connect(adminB).addSignerKey(keyB.address);
  return deployed;
}

/** {twoIssuersV2Fixture} plus `root("A")` anchored by A's key and `root("B")` by B's. */
export async function anchoredRootsV2Fixture() {
  const deployed = await twoIssuersV2Fixture();
  const { registry, keyA, keyB } = deployed;
  await registry.connect(keyA).anchor(ethers.id("root-A"));
  await registry.connect(keyB).anchor(ethers.id("root-B"));
  return deployed;
}

export type RegistryV2 = Awaited<ReturnType<typeof deployV2Fixture>>["registry"];


/** The named fields of a v2 `Verification` result as a plain object (for deep equality). */
export function verificationV2Fields(v: Record<(typeof VERIFICATION_FIELDS)[number], unknown>) {
  return Object.fromEntries(VERIFICATION_FIELDS.map((field) => [field, v[field]]));
}

const VERIFICATION_FIELDS = [
  "anchored",
  "issuerId",
  "signer",
  "anchoredAt",
  "blockNumber",
  "rootRevoked",
  "signerValidAtAnchoring",
  "issuerAccreditedAtAnchoring",
  "revoked",
  "suspended",
  "valid",
  "issuerIdentity",
  "issuerName",
] as const;
