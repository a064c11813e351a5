// Reading a standard VC's Bitstring Status List entries from their published lists, beside the chain's bits: the part the CLI and the page share (no Node, no JSON-LD).
import { base64urlMultibaseDecode } from "../core/multibase.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import type { StatusPurpose } from "../vc/status-entries.ts";

/** The largest list credential read (a 131,072-entry list is a few KiB; a hostile server gets cut off). */
const MAX_LIST_TEXT = 4 * 1024 * 1024;
/** The largest decompressed bitstring accepted (a gzip bomb stops here): 2^27 entries. */
export const MAX_BITSTRING_BYTES = 16 * 1024 * 1024;
/** The W3C minimum length of a list. */
const MIN_ENTRIES = 131_072;
const DEFAULT_TIMEOUT_MS = 10_000;
const PURPOSES: readonly StatusPurpose[] = ["revocation", "suspension"];

/**
 * One BitstringStatusListEntry read from its list. `read`: the list was fetched and decoded,
 * and its signature verified as the credential's issuer's (or, where it cannot be checked,
 * `signatureChecked: false`); `unavailable`: it could not be fetched or read (not a failure:
 * the chain decides); `untrusted`: it was read but is not the issuer's authentic list for this
 * entry (bad signature, other signer, other purpose).
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
  /** Whether the list's eddsa signature was verified (false: the reader cannot check it, e.g. in the page). */
  signatureChecked?: boolean;
  /** One line for people; untrusted text included (escape before printing). */
  message: string;
};

/** What a list's signature check says: its signer's DID, a failure, or not checked where no JSON-LD runs. */
export type ListSignature = { outcome: "verified"; signer: string | undefined } | { outcome: "invalid"; message: string } | { outcome: "unchecked" };

/** The parts that differ between Node and the browser: GZIP and the eddsa check. */
export type ListReader = {
  /** Decompresses GZIP data, refusing more than `maxBytes` of output. */
  gunzip(data: Uint8Array, maxBytes: number): Promise<Uint8Array>;
  checkSignature(list: unknown): Promise<ListSignature>;
};

export type ListReadOptions = {
  reader: ListReader;
  /** The chain's bits for the credential (undefined: not read); the lists are compared with them. */
  chainBits?: Promise<Record<StatusPurpose, boolean> | undefined>;
  /** Fetch (tests, a browser); default the global one. */
  fetch?: typeof fetch;
  timeoutMs?: number;
};

type Entry = { purpose: StatusPurpose; url: string; index: number };

/**
 * The credential's BitstringStatusListEntry for revocation and suspension (well-formed ones only;
 * the entry carrying the on-chain entry repeats the revocation entry's list and index: read once).
 */
export function listEntriesOf(credential: JsonObject): Entry[] {
  const status = credential.credentialStatus;
  const list = Array.isArray(status) ? status : status === undefined ? [] : [status];
  const entries = list.flatMap((e) => {
    if (!isPlainObject(e) || e.type !== "BitstringStatusListEntry") return [];
    const purpose = PURPOSES.find((p) => p === e.statusPurpose);
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

/** Fetches a list credential's JSON, bounded in time and size. */
async function fetchList(url: string, options: ListReadOptions): Promise<unknown> {
  const response = await (options.fetch ?? fetch)(url, { headers: { accept: "application/vc+ld+json, application/json" }, signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_LIST_TEXT) throw new Error(`larger than ${MAX_LIST_TEXT} bytes`);
  return JSON.parse(text);
}

const bad = (message: string) => new Error(`invalid status list: ${message}`);

/**
 * The purpose, bits and source block of a BitstringStatusListCredential (W3C: GZIP then
 * multibase base64url, at least 131,072 entries; the block from credanchor's `evidence`).
 *
 * @throws Error naming what is wrong.
 *
 * @example
 * const { purpose, bits } = await decodeStatusList(list, reader);
 */
export async function decodeStatusList(list: unknown, reader: Pick<ListReader, "gunzip">): Promise<{ purpose: string; bits: Uint8Array; block?: string }> {
  const subject = isPlainObject(list) ? list.credentialSubject : undefined;
  const types = isPlainObject(list) && Array.isArray(list.type) ? list.type : [];
  if (!types.includes("BitstringStatusListCredential") || !isPlainObject(subject) || subject.type !== "BitstringStatusList") throw bad("not a BitstringStatusListCredential with a BitstringStatusList subject");
  if (typeof subject.statusPurpose !== "string" || typeof subject.encodedList !== "string") throw bad("statusPurpose and encodedList must be strings");
  const gz = base64urlMultibaseDecode(subject.encodedList);
  if (!gz) throw bad("encodedList must be u + unpadded base64url");
  const bits = await reader.gunzip(gz, MAX_BITSTRING_BYTES).catch(() => {
    throw bad(`encodedList is not GZIP data of at most ${MAX_BITSTRING_BYTES / 1024 / 1024} MiB`);
  });
  if (bits.length * 8 < MIN_ENTRIES) throw bad(`the list has ${bits.length * 8} entries, fewer than ${MIN_ENTRIES}`);
  const evidence = (list as JsonObject).evidence;
  const source = (Array.isArray(evidence) ? evidence : [evidence]).find((e) => isPlainObject(e) && e.type === "CredanchorStatusListSource") as JsonObject | undefined;
  const block = typeof source?.blockNumber === "string" && /^(0|[1-9][0-9]{0,19})$/.test(source.blockNumber) ? source.blockNumber : undefined;
  return { purpose: subject.statusPurpose, bits, ...(block ? { block } : {}) };
}

/** W3C order: index 0 is the most significant bit of the first byte. */
const bitAt = (bits: Uint8Array, i: number) => ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0;

/** Reads one entry from its list: fetched, decoded, signature (verified where the reader can), the issuer's, the right purpose, then the bit. */
async function readEntry(entry: Entry, issuer: string | undefined, lists: Map<string, Promise<unknown>>, options: ListReadOptions): Promise<Omit<ListStatusReading, "chainSays" | "agrees">> {
  const at = { purpose: entry.purpose, url: entry.url, index: entry.index };
  let list: unknown;
  try {
    if (!lists.has(entry.url)) lists.set(entry.url, fetchList(entry.url, options));
    list = await lists.get(entry.url);
  } catch (error) {
    return { ...at, outcome: "unavailable", message: `list unavailable: ${(error as Error).message.split("\n")[0]}` };
  }
  let published: Awaited<ReturnType<typeof decodeStatusList>>;
  try {
    published = await decodeStatusList(list, options.reader);
  } catch (error) {
    return { ...at, outcome: "unavailable", message: `list unreadable: ${(error as Error).message}` };
  }
  const signature = await options.reader.checkSignature(list);
  if (signature.outcome === "invalid") return { ...at, outcome: "untrusted", message: `the list's signature does not verify: ${signature.message}` };
  const listIssuer = signature.outcome === "verified" ? signature.signer : issuerOf(list as JsonObject);
  if (issuer === undefined || listIssuer !== issuer) return { ...at, outcome: "untrusted", message: `the list is ${signature.outcome === "verified" ? "signed" : "issued"} by ${listIssuer}, not by the credential's issuer ${issuer ?? "(none)"}` };
  if (published.purpose !== entry.purpose) return { ...at, outcome: "untrusted", message: `the list's statusPurpose is ${published.purpose}, the entry's ${entry.purpose}` };
  if (entry.index >= published.bits.length * 8) return { ...at, outcome: "untrusted", message: `index ${entry.index} is beyond the list's ${published.bits.length * 8} entries` };
  const set = bitAt(published.bits, entry.index);
  const by = signature.outcome === "verified" ? `signed by ${listIssuer}` : `issued by ${listIssuer}, its signature not checked`;
  const block = published.block ? ` at block ${published.block}` : "";
  return { ...at, outcome: "read", listSays: set, signatureChecked: signature.outcome === "verified", ...(published.block ? { listBlock: published.block } : {}), message: `${set ? "set" : "not set"} in the list ${by}${block}` };
}

/**
 * Reads each BitstringStatusListEntry of `credential` from its published list and puts it
 * beside the chain's bit. The chain is authoritative: a disagreement is for the caller to show
 * as a warning naming the list, an unavailable list is no failure. Never throws.
 *
 * @example
 * const readings = await readListStatusesWith(vc, { reader, chainBits });
 * readings.filter((r) => r.agrees === false); // lists that say otherwise than the chain
 */
export async function readListStatusesWith(credential: unknown, options: ListReadOptions): Promise<ListStatusReading[]> {
  if (!isPlainObject(credential)) return [];
  const entries = listEntriesOf(credential);
  if (entries.length === 0) return [];
  const lists = new Map<string, Promise<unknown>>();
  const [chain, ...readings] = await Promise.all([(options.chainBits ?? Promise.resolve(undefined)).catch(() => undefined), ...entries.map((e) => readEntry(e, issuerOf(credential), lists, options))]);
  return readings.map((reading) => {
    const chainSays = chain?.[reading.purpose];
    if (chainSays === undefined) return reading;
    if (reading.listSays === undefined) return { ...reading, chainSays };
    const agrees = reading.listSays === chainSays;
    return { ...reading, chainSays, agrees, ...(agrees ? {} : { message: `${reading.message}; the chain says ${chainSays ? "set" : "not set"}: the list disagrees with the chain` }) };
  });
}
