// W3C Bitstring Status List credentials built from the contract's status words, and their decoding and comparison.
import { gunzipSync, gzipSync } from "node:zlib";
import { ValidationError } from "../core/errors.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import { z } from "zod";
import { CREDANCHOR_CONTEXT_URL, STATUS_LIST_SOURCE_TYPE, VC_V2_CONTEXT_URL } from "./contexts.ts";
import type { DocumentLoader } from "./document-loader.ts";
import { isoSeconds, signCredential } from "./issue.ts";
import type { AssertionKey } from "./keys.ts";
import { base64urlMultibaseDecode, base64urlMultibaseEncode } from "../core/multibase.ts";
import { STATUS_LIST_LENGTH, type StatusPurpose } from "./status-entries.ts";

/** Contract words per status list credential: 131,072 entries / 256 bits. */
export const WORDS_PER_LIST = STATUS_LIST_LENGTH / 256;

/** The largest decompressed list accepted (a gzip bomb stops here): 2^27 entries. */
export const MAX_LIST_BYTES = 16 * 1024 * 1024;

// BSL numbers bits from the most significant bit of each byte; the contract from the least
// significant bit of each word: inside a byte, one order is the other reversed.
const REVERSED = Uint8Array.from({ length: 256 }, (_, b) => {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
});

/**
 * The W3C bitstring for contract words: the contract keeps index i at bit (i mod 256) of word
 * ⌊i / 256⌋ (bit 0 the least significant); the bitstring keeps index i at bit 7 − (i mod 8) of
 * byte ⌊i / 8⌋ (index 0 the most significant bit of the first byte). Missing words are zero.
 *
 * @param words - `uint256` words from word 0 of the list on.
 * @param entries - the list's length (a multiple of 256).
 *
 * @example
 * wordsToBitstring([1n], 256)[0]; // 0x80: index 0 set
 */
export function wordsToBitstring(words: readonly bigint[], entries = STATUS_LIST_LENGTH): Uint8Array {
  if (entries % 256 !== 0) throw new RangeError("a list's length must be a multiple of 256 entries");
  const out = new Uint8Array(entries / 8);
  const count = Math.min(words.length, entries / 256);
  for (let w = 0; w < count; w++) {
    let word = words[w]!;
    if (word < 0n || word >> 256n !== 0n) throw new RangeError(`word ${w} is not a uint256`);
    for (let q = 0; word !== 0n; q++, word >>= 8n) out[32 * w + q] = REVERSED[Number(word & 0xffn)]!;
  }
  return out;
}

/**
 * The contract words for a W3C bitstring (inverse of {@link wordsToBitstring}).
 *
 * @example
 * bitstringToWords(Uint8Array.of(0x80, ...new Uint8Array(31))); // [1n]
 */
export function bitstringToWords(bits: Uint8Array): bigint[] {
  const words: bigint[] = [];
  for (let w = 0; w * 32 < bits.length; w++) {
    let word = 0n;
    for (let q = Math.min(31, bits.length - 32 * w - 1); q >= 0; q--) word = (word << 8n) | BigInt(REVERSED[bits[32 * w + q]!]!);
    words.push(word);
  }
  return words;
}

/**
 * Whether index `i` is set in a W3C bitstring.
 *
 * @example
 * getBit(bits, 7);
 */
export function getBit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0;
}

/**
 * `encodedList`: GZIP, then multibase base64url without padding (`u`).
 *
 * @example
 * encodeBitstring(new Uint8Array(16384)); // "uH4sIAAAAAAAA…"
 */
export function encodeBitstring(bits: Uint8Array): string {
  return base64urlMultibaseEncode(gzipSync(bits));
}

const listError = (message: string) => new ValidationError(`invalid status list: ${message}`, { code: "CREDENTIAL_INVALID", details: [{ path: "credentialSubject/encodedList", message }] });

/**
 * The bitstring of an `encodedList` (at most {@link MAX_LIST_BYTES} decompressed).
 *
 * @throws ValidationError `CREDENTIAL_INVALID` for anything else.
 *
 * @example
 * const bits = decodeBitstring(list.credentialSubject.encodedList);
 */
export function decodeBitstring(encodedList: string): Uint8Array {
  const gz = base64urlMultibaseDecode(encodedList);
  if (!gz) throw listError("encodedList must be u + unpadded base64url");
  try {
    return new Uint8Array(gunzipSync(gz, { maxOutputLength: MAX_LIST_BYTES }));
  } catch {
    throw listError("encodedList is not GZIP data of at most 16 MiB");
  }
}

export type StatusListInput = {
  /** The list's URL: its `id`, and what entries' `statusListCredential` name. */
  url: string;
  purpose: StatusPurpose;
  /** The contract's words for this list (word 0 = the list's first 256 entries). */
  words: readonly bigint[];
  key: AssertionKey;
  /** Read time (validFrom) and how long the list stays valid (validUntil = validFrom + validForSeconds). */
  validFrom: Date;
  validForSeconds: number;
  /** `ttl` in milliseconds: how long a verifier may cache it. */
  ttlMs: number;
  documentLoader?: DocumentLoader;
  /** Where the words were read: written as the list's `evidence` (what `status-list check` rebuilds from). */
  source?: StatusListSource;
};

/** The chain read a list was built from: chain, registry, issuer, list number, block (decimal strings, like the on-chain status entry). */
export const StatusListSourceSchema = z.strictObject({
  type: z.literal(STATUS_LIST_SOURCE_TYPE),
  chainId: z.string().regex(/^[1-9][0-9]{0,77}$/),
  registry: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  issuerId: z.string().regex(/^[1-9][0-9]{0,19}$/),
  list: z.string().regex(/^(0|[1-9][0-9]{0,9})$/),
  blockNumber: z.string().regex(/^(0|[1-9][0-9]{0,19})$/),
  blockHash: z.string().regex(/^0x[0-9a-f]{64}$/),
});
export type StatusListSource = z.infer<typeof StatusListSourceSchema>;

/**
 * The source a list credential names in its `evidence` (undefined when it names none or a malformed one).
 *
 * @example
 * const source = statusListSourceOf(list); // { chainId: "31337", registry, issuerId: "1", list: "0", blockNumber: "42", blockHash }
 */
export function statusListSourceOf(credential: unknown): StatusListSource | undefined {
  const evidence = isPlainObject(credential) ? credential.evidence : undefined;
  const items = Array.isArray(evidence) ? evidence : [evidence];
  const found = items.filter((e) => isPlainObject(e) && e.type === STATUS_LIST_SOURCE_TYPE);
  if (found.length !== 1) return undefined;
  const parsed = StatusListSourceSchema.safeParse(found[0]);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A signed `BitstringStatusListCredential` (VC 2.0, string `issuer` = the key's did:key,
 * 131,072 entries, eddsa-rdfc-2022) built from the contract's words.
 *
 * @example
 * const list = await buildStatusListCredential({ url, purpose: "revocation", words, key, validFrom: new Date(), validForSeconds: 3600, ttlMs: 300_000 });
 */
export async function buildStatusListCredential(input: StatusListInput): Promise<JsonObject> {
  const credential: JsonObject = {
    "@context": input.source ? [VC_V2_CONTEXT_URL, CREDANCHOR_CONTEXT_URL] : [VC_V2_CONTEXT_URL],
    id: input.url,
    type: ["VerifiableCredential", "BitstringStatusListCredential"],
    issuer: input.key.did,
    validFrom: isoSeconds(input.validFrom),
    validUntil: isoSeconds(new Date(input.validFrom.getTime() + input.validForSeconds * 1000)),
    credentialSubject: {
      id: `${input.url}#list`,
      type: "BitstringStatusList",
      statusPurpose: input.purpose,
      encodedList: encodeBitstring(wordsToBitstring(input.words)),
      ttl: input.ttlMs,
    },
    ...(input.source ? { evidence: [{ ...input.source }] } : {}),
  };
  return signCredential(credential, input.key, input.validFrom, input.documentLoader);
}

/**
 * The purpose and bits of a status list credential (its signature is not checked here: use verifyVc).
 *
 * @throws ValidationError `CREDENTIAL_INVALID` when it is not a BitstringStatusListCredential.
 *
 * @example
 * const { purpose, bits } = readStatusListCredential(list);
 */
export function readStatusListCredential(credential: unknown): { purpose: string; bits: Uint8Array } {
  const subject = isPlainObject(credential) ? credential.credentialSubject : undefined;
  const types = isPlainObject(credential) && Array.isArray(credential.type) ? credential.type : [];
  if (!types.includes("BitstringStatusListCredential") || !isPlainObject(subject) || subject.type !== "BitstringStatusList") {
    throw listError("not a BitstringStatusListCredential with a BitstringStatusList subject");
  }
  if (typeof subject.statusPurpose !== "string" || typeof subject.encodedList !== "string") throw listError("statusPurpose and encodedList must be strings");
  const bits = decodeBitstring(subject.encodedList);
  if (bits.length * 8 < STATUS_LIST_LENGTH) throw listError(`the list has ${bits.length * 8} entries, fewer than ${STATUS_LIST_LENGTH}`);
  return { purpose: subject.statusPurpose, bits };
}

/**
 * Every index whose bit differs between two bitstrings (a shorter one counts as zero-padded),
 * ascending: what `status-list check` reports.
 *
 * @example
 * diffBitstrings(published, rebuiltFromChain); // [] when the list tells the truth
 */
export function diffBitstrings(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = (a[i] ?? 0) ^ (b[i] ?? 0);
    if (x === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (x & (0x80 >> bit)) out.push(8 * i + bit);
  }
  return out;
}
