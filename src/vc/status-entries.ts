// credentialStatus entries: W3C BitstringStatusListEntry (revocation, suspension) and credanchor's on-chain entry; creation and strict checking.
import { isAddress } from "viem";
import { z } from "zod";
import { ValidationError, type ErrorDetail } from "../core/errors.ts";
import { isPlainObject, type JsonObject, type JsonValue } from "../core/json.ts";
import { CHAIN_STATUS_ENTRY_TYPE, CHAIN_STATUS_PROPERTY } from "./contexts.ts";

/** Entries per status list credential: the W3C minimum (16 KiB of bits), i.e. 512 contract words. */
export const STATUS_LIST_LENGTH = 131_072;

export const STATUS_PURPOSES = ["revocation", "suspension"] as const;
export type StatusPurpose = (typeof STATUS_PURPOSES)[number];

/** Where an issuer's status list number `list` for `purpose` is served (from the service's public base URL). */
export type StatusListUrl = (purpose: StatusPurpose, list: number) => string;

/**
 * The default list URL scheme: `<baseUrl>/status-lists/<issuerId>/<purpose>/<list>`.
 *
 * @example
 * const url = statusListUrlFrom("https://issuer.example", 1); url("revocation", 0); // "https://issuer.example/status-lists/1/revocation/0"
 */
export function statusListUrlFrom(baseUrl: string, issuerId: number | bigint): StatusListUrl {
  const base = baseUrl.replace(/\/+$/, "");
  return (purpose, list) => `${base}/status-lists/${issuerId}/${purpose}/${list}`;
}

const decimal = (max: bigint, what: string) =>
  z.string().regex(/^(0|[1-9][0-9]*)$/, { error: `must be a decimal integer string (${what})` }).refine((s) => BigInt(s) <= max, { error: `must be ≤ ${max} (${what})` });
const url = z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/, { error: "must be a URL" });
const typeIs = (name: string) => z.union([z.literal(name), z.array(z.string()).refine((t) => t.includes(name), { error: `must include "${name}"` })]);

/** A W3C Bitstring Status List entry (VC 2.0, Bitstring Status List v1.0 §2.1). */
export const BitstringStatusListEntrySchema = z.looseObject({
  id: url.optional(),
  type: typeIs("BitstringStatusListEntry"),
  statusPurpose: z.string().min(1, { error: "must be a non-empty string" }),
  statusListIndex: decimal(BigInt(Number.MAX_SAFE_INTEGER), "index into the list"),
  statusListCredential: url,
  statusSize: z.number().int().min(1).optional(),
  statusMessage: z.array(z.looseObject({ status: z.string(), message: z.string() })).optional(),
  statusReference: z.union([url, z.array(url)]).optional(),
  // Only its type here: the node itself is checked against ChainStatusEntrySchema like any typed node.
  [CHAIN_STATUS_PROPERTY]: z.looseObject({ type: z.literal(CHAIN_STATUS_ENTRY_TYPE) }).optional(),
});

/** credanchor's on-chain entry: where the status bits live (chain, registry, issuer, index). */
export const ChainStatusEntrySchema = z.strictObject({
  id: url.optional(),
  type: z.literal(CHAIN_STATUS_ENTRY_TYPE),
  chainId: decimal((1n << 256n) - 1n, "EVM chain id").refine((s) => s !== "0", { error: "must be ≥ 1" }),
  registry: z.string().refine((s) => isAddress(s), { error: "must be a 20-byte 0x address (EIP-55 checksum if mixed case)" }),
  issuerId: decimal((1n << 64n) - 1n, "on-chain issuer id, uint64").refine((s) => s !== "0", { error: "must be ≥ 1" }),
  statusIndex: decimal(0xffff_ffffn, "uint32"),
});
export type ChainStatusEntry = z.infer<typeof ChainStatusEntrySchema>;

export type StatusEntriesInput = {
  chainId: number | bigint;
  registry: string;
  issuerId: number | bigint;
  /** The credential's index in the issuer's on-chain bitmaps (the same for both purposes). */
  statusIndex: number;
  statusListUrl: StatusListUrl;
};

/**
 * The three `credentialStatus` entries of a credanchor VC, every one a BitstringStatusListEntry
 * (so standard verifiers and the W3C suite read each of them): one for revocation and one for
 * suspension (list `⌊index / 131,072⌋`, `statusListIndex` the remainder, as a string), and the
 * chain entry: a revocation entry on the same list and index, carrying credanchor's on-chain
 * entry under `chainStatus` (chain, registry, issuer, index), which our verifiers read.
 *
 * @example
 * createStatusEntries({ chainId: 31337, registry, issuerId: 1, statusIndex: 7, statusListUrl: statusListUrlFrom("https://issuer.example", 1) });
 */
export function createStatusEntries(input: StatusEntriesInput): JsonObject[] {
  const list = Math.floor(input.statusIndex / STATUS_LIST_LENGTH);
  const within = String(input.statusIndex % STATUS_LIST_LENGTH);
  const bsl = (statusPurpose: StatusPurpose, fragment: string): JsonObject => {
    const listUrl = input.statusListUrl(statusPurpose, list);
    return { id: `${listUrl}#${fragment}`, type: "BitstringStatusListEntry", statusPurpose, statusListIndex: within, statusListCredential: listUrl };
  };
  const chain: JsonObject = {
    type: CHAIN_STATUS_ENTRY_TYPE,
    chainId: String(input.chainId),
    registry: input.registry,
    issuerId: String(input.issuerId),
    statusIndex: String(input.statusIndex),
  };
  const entries = [bsl("revocation", within), bsl("suspension", within), { ...bsl("revocation", `chain-${within}`), [CHAIN_STATUS_PROPERTY]: chain }];
  checkStatusEntries({ credentialStatus: entries });
  return entries;
}

/**
 * Whether status entries need credanchor's context: one is (v1) or carries (v2) the on-chain entry.
 *
 * @example
 * if (usesCredanchorContext(entries)) context.push(CREDANCHOR_CONTEXT_URL);
 */
export function usesCredanchorContext(entries: readonly JsonValue[]): boolean {
  return entries.some((e) => isPlainObject(e) && (typesOf(e).includes(CHAIN_STATUS_ENTRY_TYPE) || CHAIN_STATUS_PROPERTY in e));
}

function typesOf(value: JsonObject): string[] {
  const t = value.type;
  return typeof t === "string" ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === "string") : [];
}

/**
 * A BitstringStatusListEntry carrying the on-chain entry must read the same bit as it: the
 * revocation list, at the on-chain index's place in its list (else standard verifiers and ours
 * would read different bits).
 */
function carrierIssues(node: JsonObject, path: string): ErrorDetail[] {
  const chain = ChainStatusEntrySchema.safeParse(node[CHAIN_STATUS_PROPERTY]);
  if (!chain.success || !typesOf(node).includes("BitstringStatusListEntry")) return [];
  const issues: ErrorDetail[] = [];
  if (node.statusPurpose !== "revocation") issues.push({ path: `${path}/statusPurpose`, message: `must be "revocation" in the entry carrying ${CHAIN_STATUS_PROPERTY}` });
  const within = String(BigInt(chain.data.statusIndex) % BigInt(STATUS_LIST_LENGTH));
  if (node.statusListIndex !== within) issues.push({ path: `${path}/statusListIndex`, message: `must be "${within}" (${CHAIN_STATUS_PROPERTY}.statusIndex mod ${STATUS_LIST_LENGTH})` });
  return issues;
}

/**
 * Refuses a malformed status entry anywhere in `value`: every `credentialStatus` member at
 * any depth must be an object or array of objects with a `type`, every object typed
 * `BitstringStatusListEntry` or `CredanchorChainStatusEntry` (wherever it sits) must match its
 * schema, and an entry carrying `chainStatus` must agree with it. Collects every problem.
 *
 * @throws ValidationError `CREDENTIAL_INVALID` with one detail per problem (JSON pointer paths).
 *
 * @example
 * checkStatusEntries(requestBody.credential);
 */
export function checkStatusEntries(value: unknown): void {
  const issues: ErrorDetail[] = [];
  const visit = (node: JsonValue | undefined, path: string) => {
    if (Array.isArray(node)) return node.forEach((item, i) => visit(item, `${path}/${i}`));
    if (!isPlainObject(node)) return;
    const types = typesOf(node);
    const schema = types.includes(CHAIN_STATUS_ENTRY_TYPE) ? ChainStatusEntrySchema : types.includes("BitstringStatusListEntry") ? BitstringStatusListEntrySchema : undefined;
    if (schema) {
      const result = schema.safeParse(node);
      if (!result.success) for (const issue of result.error.issues) issues.push({ path: [path, ...issue.path.map(String)].join("/"), message: issue.message });
      else issues.push(...carrierIssues(node, path));
    }
    for (const [key, child] of Object.entries(node)) {
      const at = `${path}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      if (key === "credentialStatus") {
        for (const [i, entry] of (Array.isArray(child) ? child : [child]).entries()) {
          const entryPath = Array.isArray(child) ? `${at}/${i}` : at;
          if (!isPlainObject(entry)) issues.push({ path: entryPath, message: "a status entry must be an object" });
          else if (typesOf(entry).length === 0) issues.push({ path: `${entryPath}/type`, message: "a status entry needs a type" });
        }
      }
      visit(child, at);
    }
  };
  visit(value as JsonValue, "");
  if (issues.length > 0) throw new ValidationError(`malformed status entr${issues.length === 1 ? "y" : "ies"}`, { code: "CREDENTIAL_INVALID", details: issues });
}

/** The on-chain entries of a status entry list: entries of that type (first form) and those a BitstringStatusListEntry carries (current form). */
function chainEntriesIn(entries: readonly JsonValue[]): JsonValue[] {
  return entries.flatMap((e) => {
    if (!isPlainObject(e)) return [];
    if (typesOf(e).includes(CHAIN_STATUS_ENTRY_TYPE)) return [e];
    const carried = e[CHAIN_STATUS_PROPERTY];
    return typesOf(e).includes("BitstringStatusListEntry") && isPlainObject(carried) && typesOf(carried).includes(CHAIN_STATUS_ENTRY_TYPE) ? [carried] : [];
  });
}

/**
 * The on-chain entry of a credential, when it has exactly one (checked): carried under
 * `chainStatus` by a BitstringStatusListEntry, or (credentials issued before that form) an
 * entry of its own.
 *
 * @example
 * const entry = chainStatusEntryOf(vc); // { chainId: "31337", registry, issuerId: "1", statusIndex: "7", … }
 */
export function chainStatusEntryOf(credential: JsonObject): ChainStatusEntry | undefined {
  const status = credential.credentialStatus;
  const found = chainEntriesIn(Array.isArray(status) ? status : status === undefined ? [] : [status]);
  if (found.length !== 1) return undefined;
  const parsed = ChainStatusEntrySchema.safeParse(found[0]);
  return parsed.success ? parsed.data : undefined;
}
