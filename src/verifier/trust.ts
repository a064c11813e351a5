// Trusted deployments: the only registries whose anchors a verifier believes.
import { getAddress, type Address } from "viem";
import { AddressBookSchema, type AddressBook } from "../chain/address-book.ts";

export type TrustedDeployment = {
  chainId: number;
  network: string;
  address: Address;
  version: string;
  deployBlock: number;
  /** Anchors at or after this block are refused (the address book retired the registry). */
  retiredAtBlock?: number;
};

/** A lookup of trusted registries by chain id and address. */
export type TrustList = {
  readonly deployments: readonly TrustedDeployment[];
  find(chainId: number, address: string): TrustedDeployment | undefined;
};

/**
 * Builds a trust list from address books (`deployments/<network>.json` contents), validating
 * each. Browser-safe: takes parsed JSON, reads no files.
 *
 * @example
 * const trust = createTrustList([sepoliaBook, myOwnBook]);
 * trust.find(11155111, "0x…");
 */
export function createTrustList(books: readonly unknown[]): TrustList {
  const deployments: TrustedDeployment[] = [];
  for (const [i, raw] of books.entries()) {
    const parsed = AddressBookSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`address book #${i + 1} is invalid: ${parsed.error.issues[0]?.message}`);
    const book: AddressBook = parsed.data;
    for (const d of book.deployments) {
      deployments.push({
        chainId: book.chainId,
        network: book.network,
        address: getAddress(d.address),
        version: d.version,
        deployBlock: d.deployBlock,
        ...(d.retiredAtBlock !== undefined ? { retiredAtBlock: d.retiredAtBlock } : {}),
      });
    }
  }
  return trustListOf(deployments);
}

/**
 * The trust list of deployments already checked (another list's `deployments`, e.g. handed to a
 * worker thread, which cannot receive the lookup function).
 *
 * @example
 * const copy = trustListOf(trust.deployments);
 */
export function trustListOf(deployments: readonly TrustedDeployment[]): TrustList {
  const byKey = new Map(deployments.map((d) => [`${d.chainId}:${d.address.toLowerCase()}`, d]));
  return {
    deployments,
    find: (chainId, address) => byKey.get(`${chainId}:${address.toLowerCase()}`),
  };
}
