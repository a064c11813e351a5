// Address books (`deployments/<network>.json`): the contract deployments verifiers trust.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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

/** The repository's `deployments/` folder (overridable with `DEPLOYMENTS_DIR`). */
export function getDeploymentsDir(): string {
  return process.env.DEPLOYMENTS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "deployments");
}

/**
 * Reads and validates `<dir>/<network>.json`; `undefined` if the file does not exist.
 *
 * @example
 * const book = readAddressBook("localhost");
 * const latest = book?.deployments.at(-1)?.address;
 */
export function readAddressBook(network: string, dir = getDeploymentsDir()): AddressBook | undefined {
  const file = join(dir, `${network}.json`);
  if (!existsSync(file)) return undefined;
  const parsed = AddressBookSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    throw new Error(`${file} is not a valid address book: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * Appends `deployment` to the network's address book (created if missing) and writes it
 * atomically. Refuses to mix chain ids in one book. An entry with the same address is
 * replaced: one address holds one contract, so that only happens when a development chain
 * was reset and redeployed at its deterministic address.
 *
 * @example
 * recordDeployment({ network: "sepolia", chainId: 11155111, deployment });
 */
export function recordDeployment(
  { network, chainId, deployment }: { network: string; chainId: number; deployment: Deployment },
  dir = getDeploymentsDir(),
): AddressBook {
  const existing = readAddressBook(network, dir);
  if (existing && existing.chainId !== chainId) {
    throw new Error(
      `deployments/${network}.json is for chain ${existing.chainId}, but the network now reports chain ${chainId}`,
    );
  }
  const book = AddressBookSchema.parse({
    network,
    chainId,
    deployments: [
      ...(existing?.deployments ?? []).filter((d) => d.address.toLowerCase() !== deployment.address.toLowerCase()),
      DeploymentSchema.parse(deployment),
    ],
  });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${network}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(book, null, 2) + "\n");
  renameSync(`${file}.tmp`, file);
  return book;
}
