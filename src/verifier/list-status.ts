// A standard VC's status as its published Bitstring Status Lists say, read beside the chain's: shown, compared, never trusted over the chain.
import { getAddress, type PublicClient } from "viem";
import { isBitSet, readStatusWords } from "../chain/read-registry.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import { chainStatusEntryOf, STATUS_PURPOSES, type StatusPurpose } from "../vc/status-entries.ts";
import { getBit, readStatusListCredential, statusListSourceOf } from "../vc/status-list.ts";
import { verifyVc } from "../vc/verify.ts";
import type { TrustList } from "./trust.ts";

/** The largest list credential read (a 131,072-entry list is a few KiB; a hostile server gets cut off). */
const MAX_LIST_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * One BitstringStatusListEntry read from its list. `read`: the list was fetched, its signature
 * verified and signed by the credential's issuer; `unavailable`: it could not be fetched or
 * read (not a failure: the chain decides); `untrusted`: it was read but is not the issuer's
 * authentic list for this entry (bad signature, other signer, other purpose).
 */
export type ListStatusReading = {
  purpose: StatusPurpose;
  url: string;
  index: number;
  outcome: "read" | "unavailable" | "untrusted";
  /** The list's bit (outcome `read`). */
  listSays?: boolean;
  /** The chain's bit now, when it could be read. */
  chainSays?: boolean;
  /** Whether list and chain say the same (both read). */
  agrees?: boolean;
  /** The block the list says it was built at (its evidence), if it names one. */
  listBlock?: string;
  /** One line for people; untrusted text included (escape before printing). */
  message: string;
};

export type ListStatusOptions = {
  /** Reads the chain's bits (the client for the credential's chain); without it only the lists are read. */
  client?: PublicClient;
  /** The registry the credential's on-chain entry names must be one of these. */
  trust?: TrustList;
  /** Fetch (tests, a browser); default the global one. */
  fetch?: typeof fetch;
  timeoutMs?: number;
};

type Entry = { purpose: StatusPurpose; url: string; index: number };

/** The credential's BitstringStatusListEntry for revocation and suspension (well-formed ones only; the chain entry repeats the revocation entry's reading: read once). */
function entriesOf(credential: JsonObject): Entry[] {
  const status = credential.credentialStatus;
  const list = Array.isArray(status) ? status : status === undefined ? [] : [status];
  const entries = list.flatMap((e) => {
    if (!isPlainObject(e) || e.type !== "BitstringStatusListEntry") return [];
    const purpose = STATUS_PURPOSES.find((p) => p === e.statusPurpose);
    const index = typeof e.statusListIndex === "string" && /^(0|[1-9][0-9]{0,9})$/.test(e.statusListIndex) ? Number(e.statusListIndex) : undefined;
    if (!purpose || index === undefined || typeof e.statusListCredential !== "string" || !/^https?:\/\//.test(e.statusListCredential)) return [];
    return [{ purpose, url: e.statusListCredential, index }];
  });
  return entries.filter((e, i) => entries.findIndex((o) => o.purpose === e.purpose && o.url === e.url && o.index === e.index) === i);
}

const issuerOf = (credential: JsonObject): string | undefined => {
  const issuer = credential.issuer;
  return typeof issuer === "string" ? issuer : isPlainObject(issuer) && typeof issuer.id === "string" ? issuer.id : undefined;
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

/** Fetches a list credential's JSON, bounded in time and size. */
async function fetchList(url: string, options: ListStatusOptions): Promise<unknown> {
  const response = await (options.fetch ?? fetch)(url, { headers: { accept: "application/vc+ld+json, application/json" }, signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_LIST_BYTES) throw new Error(`larger than ${MAX_LIST_BYTES} bytes`);
  return JSON.parse(text);
}

/** Reads one entry from its list: fetched, signature verified, the issuer's, the right purpose, then the bit. */
async function readEntry(entry: Entry, issuer: string | undefined, lists: Map<string, Promise<unknown>>, options: ListStatusOptions): Promise<Omit<ListStatusReading, "chainSays" | "agrees">> {
  const at = { purpose: entry.purpose, url: entry.url, index: entry.index };
  let list: unknown;
  try {
    if (!lists.has(entry.url)) lists.set(entry.url, fetchList(entry.url, options));
    list = await lists.get(entry.url);
  } catch (error) {
    return { ...at, outcome: "unavailable", message: `list unavailable: ${(error as Error).message.split("\n")[0]}` };
  }
  let published: { purpose: string; bits: Uint8Array };
  try {
    published = readStatusListCredential(list);
  } catch (error) {
    return { ...at, outcome: "unavailable", message: `list unreadable: ${(error as Error).message}` };
  }
  const report = await verifyVc(list);
  const signature = report.checks.find((c) => c.name === "signature");
  if (signature?.outcome !== "pass") return { ...at, outcome: "untrusted", message: `the list's signature does not verify: ${signature?.message ?? "no signature"}` };
  const signer = report.signer?.did;
  if (issuer === undefined || signer !== issuer) return { ...at, outcome: "untrusted", message: `the list is signed by ${signer}, not by the credential's issuer ${issuer ?? "(none)"}` };
  if (published.purpose !== entry.purpose) return { ...at, outcome: "untrusted", message: `the list's statusPurpose is ${published.purpose}, the entry's ${entry.purpose}` };
  if (entry.index >= published.bits.length * 8) return { ...at, outcome: "untrusted", message: `index ${entry.index} is beyond the list's ${published.bits.length * 8} entries` };
  const listBlock = statusListSourceOf(list)?.blockNumber;
  const set = getBit(published.bits, entry.index);
  return { ...at, outcome: "read", listSays: set, ...(listBlock ? { listBlock } : {}), message: `${set ? "set" : "not set"} in the list signed by ${signer}${listBlock ? ` at block ${listBlock}` : ""}` };
}

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
  if (!isPlainObject(credential)) return [];
  const entries = entriesOf(credential);
  if (entries.length === 0) return [];
  const lists = new Map<string, Promise<unknown>>();
  const [chain, ...readings] = await Promise.all([chainBits(credential, options), ...entries.map((e) => readEntry(e, issuerOf(credential), lists, options))]);
  return readings.map((reading) => {
    const chainSays = chain?.[reading.purpose];
    if (chainSays === undefined) return reading;
    if (reading.listSays === undefined) return { ...reading, chainSays };
    const agrees = reading.listSays === chainSays;
    return { ...reading, chainSays, agrees, ...(agrees ? {} : { message: `${reading.message}; the chain says ${chainSays ? "set" : "not set"}: the list disagrees with the chain` }) };
  });
}
