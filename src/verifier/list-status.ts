// A standard VC's status as its published Bitstring Status Lists say, read beside the chain's, in Node: each list's eddsa signature verified (JSON-LD), GZIP by node:zlib.
import { gunzipSync } from "node:zlib";
import { getAddress, type PublicClient } from "viem";
import { isBitSet, readStatusWords } from "../chain/read-registry.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import { chainStatusEntryOf, type StatusPurpose } from "../vc/status-entries.ts";
import { verifyVc } from "../vc/verify.ts";
import { readListStatusesWith, type ListReader, type ListStatusReading } from "./list-readings.ts";
import type { TrustList } from "./trust.ts";

export type { ListStatusReading } from "./list-readings.ts";

export type ListStatusOptions = {
  /** Reads the chain's bits (the client for the credential's chain); without it only the lists are read. */
  client?: PublicClient;
  /** The registry the credential's on-chain entry names must be one of these. */
  trust?: TrustList;
  /** Fetch (tests, a browser); default the global one. */
  fetch?: typeof fetch;
  timeoutMs?: number;
};

/** The chain's two bits for the credential's on-chain entry, when its registry is trusted and the chain answers. */
async function chainBits(credential: JsonObject, options: ListStatusOptions): Promise<Record<StatusPurpose, boolean> | undefined> {
  const entry = chainStatusEntryOf(credential);
  if (!entry || !options.client || (options.trust && !options.trust.find(Number(entry.chainId), entry.registry))) return undefined;
  try {
    const index = BigInt(entry.statusIndex);
    const words = await readStatusWords(options.client, getAddress(entry.registry), BigInt(entry.issuerId), index >> 8n, 1n);
    return { revocation: isBitSet(words.revoked, index >> 8n, index), suspension: isBitSet(words.suspended, index >> 8n, index) };
  } catch {
    return undefined;
  }
}

/** Node's reader: node:zlib, and the list's eddsa signature through verifyVc. */
const NODE_READER: ListReader = {
  gunzip: async (data, maxBytes) => new Uint8Array(gunzipSync(data, { maxOutputLength: maxBytes })),
  checkSignature: async (list) => {
    const report = await verifyVc(list);
    const signature = report.checks.find((c) => c.name === "signature");
    return signature?.outcome === "pass" ? { outcome: "verified", signer: report.signer?.did } : { outcome: "invalid", message: signature?.message ?? "no signature" };
  },
};

/**
 * Reads each BitstringStatusListEntry of `credential` from its published list (fetched, its
 * signature verified, signed by the credential's issuer) and puts it beside the chain's bit.
 * The chain is authoritative: a disagreement is for the caller to show as a warning naming the
 * list, an unavailable list is no failure. Never throws.
 *
 * @example
 * const readings = await readListStatuses(vc, { client, trust });
 * readings.filter((r) => r.agrees === false); // lists that say otherwise than the chain
 */
export async function readListStatuses(credential: unknown, options: ListStatusOptions = {}): Promise<ListStatusReading[]> {
  const chain = isPlainObject(credential) ? chainBits(credential, options) : undefined;
  const { fetch, timeoutMs } = options;
  return readListStatusesWith(credential, { reader: NODE_READER, ...(chain ? { chainBits: chain } : {}), ...(fetch ? { fetch } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
}
