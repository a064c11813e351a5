// Audits a published Bitstring Status List against the chain: signature, source block, and every bit; and rebuilds a list from the chain alone.
import { getAddress, type Address, type PublicClient } from "viem";
import { readStatusWords } from "../chain/read-registry.ts";
import { STATUS_LIST_LENGTH, type StatusPurpose } from "../vc/status-entries.ts";
import { diffBitstrings, getBit, readStatusListCredential, statusListSourceOf, WORDS_PER_LIST, wordsToBitstring, type StatusListSource } from "../vc/status-list.ts";
import { verifyVc } from "../vc/verify.ts";
import type { TrustList } from "./trust.ts";

/** `equal`: the list says what the chain says; `different`: it does not (or is not authentic); `undecided`: could not tell. */
export type AuditOutcome = "equal" | "different" | "undecided";

export type StatusListAudit = {
  outcome: AuditOutcome;
  /** One line per finding, untrusted text included (escape before printing). */
  messages: string[];
  /** Indices (within the list) whose bit differs from the chain's, ascending. */
  differences: number[];
  source?: StatusListSource;
  signer?: string;
};

/** The chain's bits for one list at a block: what `status-list build` writes and `check` compares with. */
export type ChainList = { purpose: StatusPurpose; bits: Uint8Array; blockNumber: bigint; blockHash: string; chainId: number };

/**
 * Reads one status list (131,072 entries) of an issuer from the registry at `blockNumber` (default the head).
 *
 * @example
 * const { bits } = await readChainList(client, registry, 1, "revocation", 0);
 */
export async function readChainList(client: PublicClient, registry: Address, issuerId: number, purpose: StatusPurpose, list: number, blockNumber?: bigint): Promise<ChainList> {
  const chainId = await client.getChainId();
  const block = await client.getBlock(blockNumber === undefined ? { blockTag: "latest" } : { blockNumber });
  const words = await readStatusWords(client, registry, BigInt(issuerId), BigInt(list * WORDS_PER_LIST), BigInt(WORDS_PER_LIST), block.number!);
  return { purpose, bits: wordsToBitstring(purpose === "revocation" ? words.revoked : words.suspended), blockNumber: block.number!, blockHash: block.hash!, chainId };
}

const undecided = (messages: string[], extra: Partial<StatusListAudit> = {}): StatusListAudit => ({ outcome: "undecided", messages, differences: [], ...extra });

/**
 * Checks a published list credential: its eddsa signature (did:key, offline contexts), that it
 * names a trusted registry and a block this chain has, and every bit against the registry's
 * words at that block.
 *
 * @example
 * const audit = await auditStatusList(JSON.parse(text), { client, trust: loadTrustList() });
 * audit.outcome; // "equal" | "different" | "undecided"
 */
export async function auditStatusList(credential: unknown, options: { client: PublicClient; trust: TrustList }): Promise<StatusListAudit> {
  let published: { purpose: string; bits: Uint8Array };
  try {
    published = readStatusListCredential(credential);
  } catch (error) {
    return undecided([(error as Error).message]);
  }
  const report = await verifyVc(credential);
  const signature = report.checks.find((c) => c.name === "signature");
  if (signature?.outcome !== "pass") return { outcome: "different", messages: [`the list's signature does not verify: ${signature?.message ?? "no signature check"}`], differences: [] };
  const signer = report.signer?.did;
  const messages = [`signed by ${signer} (${report.signer?.cryptosuite})`];
  for (const c of report.checks) if (c.outcome === "fail" && c.name === "validity") messages.push(`note: ${c.message}`);

  const source = statusListSourceOf(credential);
  if (!source) return undecided([...messages, "the list names no CredanchorStatusListSource evidence (chain, registry, issuer, list, block): nothing to rebuild it from"], { ...(signer ? { signer } : {}) });
  const base = { source, ...(signer ? { signer } : {}) };
  if (published.purpose !== "revocation" && published.purpose !== "suspension") return undecided([...messages, `unknown statusPurpose ${published.purpose}`], base);
  const chainId = Number(source.chainId);
  if (!options.trust.find(chainId, source.registry)) return undecided([...messages, `registry ${source.registry} on chain ${chainId} is not a trusted deployment (add its address book with --trust)`], base);

  let chain: ChainList;
  try {
    const rpcChain = await options.client.getChainId();
    if (rpcChain !== chainId) return undecided([...messages, `the RPC serves chain ${rpcChain}, the list names chain ${chainId}`], base);
    chain = await readChainList(options.client, getAddress(source.registry), Number(source.issuerId), published.purpose, Number(source.list), BigInt(source.blockNumber));
  } catch (error) {
    return undecided([...messages, `cannot read the chain: ${(error as Error).message.split("\n")[0]}`], base);
  }
  if (chain.blockHash !== source.blockHash) return undecided([...messages, `block ${source.blockNumber} is ${chain.blockHash} on this chain, the list names ${source.blockHash} (a reorganisation, or another chain)`], base);
  const differences = diffBitstrings(published.bits, chain.bits);
  if (differences.length === 0) return { outcome: "equal", messages: [...messages, `all ${published.bits.length * 8} bits equal the chain's at block ${source.blockNumber}`], differences, ...base };
  const first = Number(source.list) * STATUS_LIST_LENGTH;
  const lines = differences.slice(0, 1000).map((i) => `index ${i} (status index ${first + i}): list says ${getBit(published.bits, i) ? "set" : "clear"}, chain says ${getBit(chain.bits, i) ? "set" : "clear"}`);
  if (differences.length > 1000) lines.push(`… and ${differences.length - 1000} more`);
  return { outcome: "different", messages: [...messages, `${differences.length} bit(s) differ from the chain's at block ${source.blockNumber}:`, ...lines], differences, ...base };
}
