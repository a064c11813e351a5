// Address books on disk (`deployments/<network>.json`): read, append, write atomically.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { AddressBookSchema, DeploymentSchema, type AddressBook, type Deployment } from "./address-book.ts";

export { AddressBookSchema, DeploymentSchema, type AddressBook, type Deployment };

/** The repository's `deployments/` folder (overridable with `DEPLOYMENTS_DIR`). */
export function getDeploymentsDir(): string {
  return process.env.DEPLOYMENTS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "deployments");
}

/**
 * The newest CredentialRegistry (by `deployedAt`) in any address book of `dir` for `chainId`:
 * the registry a service or a CLI uses when none is configured.
 *
 * @example
 * const registry = newestRegistry(getDeploymentsDir(), 31337)?.address;
 */
export function newestRegistry(dir: string, chainId: number): Deployment | undefined {
  let newest: Deployment | undefined;
  for (const book of addressBooksOf(dir, chainId)) for (const d of book.deployments) if (!newest || d.deployedAt > newest.deployedAt) newest = d;
  return newest;
}

/**
 * The block each CredentialRegistry of `chainId` was deployed in, by lower-case address, from
 * every address book of `dir`: where scans of a registry's events can start (nothing is older).
 *
 * @example
 * const from = deployBlocks(getDeploymentsDir(), 31337).get(registry.toLowerCase()) ?? 0;
 */
export function deployBlocks(dir: string, chainId: number): Map<string, number> {
  const blocks = new Map<string, number>();
  for (const book of addressBooksOf(dir, chainId)) for (const d of book.deployments) blocks.set(d.address.toLowerCase(), d.deployBlock);
  return blocks;
}

/** The valid address books of `dir` for `chainId` (none if the folder is missing). */
function addressBooksOf(dir: string, chainId: number): AddressBook[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const parsed = AddressBookSchema.safeParse(JSON.parse(readFileSync(join(dir, name), "utf8")));
    return parsed.success && parsed.data.chainId === chainId ? [parsed.data] : [];
  });
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
