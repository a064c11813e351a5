// Address book schemas (`deployments/<network>.json`): browser-safe, shared by deploy and verifier.
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an 0x-prefixed 20-byte hex address");
const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "an 0x-prefixed 32-byte hex hash");

/** One deployment of the CredentialRegistry contract. */
export const DeploymentSchema = z.strictObject({
  contract: z.literal("CredentialRegistry"),
  address,
  /** `version()` of the deployed contract. */
  version: z.string().min(1),
  deployBlock: z.number().int().nonnegative(),
  /**
   * Block from which this deployment is retired: verifiers refuse anchors made in it at or after
   * this block (`REGISTRY_RETIRED`); anchors before it keep verifying. Absent: not retired.
   */
  retiredAtBlock: z.number().int().nonnegative().optional(),
  deployTx: hash,
  deployer: address,
  /** Holder of the governance (admin + accreditor) roles. */
  governance: address,
  /** keccak256 of the UTF-8 JSON of the contract ABI as compiled (`JSON.stringify(abi)`). */
  abiHash: hash,
  compiler: z.string().min(1),
  deployedAt: z.iso.datetime(),
});

/** All deployments on one network; older ones stay listed so old bundles keep verifying. */
export const AddressBookSchema = z.strictObject({
  network: z.string().min(1),
  chainId: z.number().int().positive(),
  deployments: z.array(DeploymentSchema),
});

export type Deployment = z.infer<typeof DeploymentSchema>;
export type AddressBook = z.infer<typeof AddressBookSchema>;
