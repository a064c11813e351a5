// `credanchor verify` for a standard VC (a file holding a W3C VC rather than a proof bundle): the VC checks, and its status from the chain (used) beside its published lists'.
import { getAddress, type PublicClient } from "viem";
import { chainKeyBinding } from "../chain/assertion-keys.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import { chainStatusEntryOf } from "../vc/status-entries.ts";
import { verifyVc, type VcVerificationReport } from "../vc/verify.ts";
import { readListStatuses, type ListStatusReading } from "../verifier/list-status.ts";
import type { TrustList } from "../verifier/trust.ts";

export type VcFileReport = { report: VcVerificationReport; lists: ListStatusReading[] };

/**
 * The VC in a file's text, when it holds one (a JSON object with `@context` and `proof`; a proof
 * bundle has neither), else undefined.
 *
 * @example
 * const vc = vcOfText(readFileSync("badge.vc.json", "utf8"));
 */
export function vcOfText(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) && value["@context"] !== undefined && value.proof !== undefined ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a VC against the chain (signature, anchor, on-chain status, identity through the
 * key binding of the registry its on-chain entry names, when trusted) and reads its lists beside.
 *
 * @example
 * const { report, lists } = await verifyVcFile(vc, { trust, clientFor });
 */
export async function verifyVcFile(vc: JsonObject, options: { trust: TrustList; clientFor: (chainId: number) => PublicClient | undefined }): Promise<VcFileReport> {
  const entry = chainStatusEntryOf(vc);
  const chainId = entry ? Number(entry.chainId) : undefined;
  const client = chainId !== undefined ? options.clientFor(chainId) : undefined;
  const trusted = entry && chainId !== undefined && options.trust.find(chainId, entry.registry) !== undefined;
  const keyBinding = client && trusted ? chainKeyBinding(client, getAddress(entry.registry)) : undefined;
  const [report, lists] = await Promise.all([
    verifyVc(vc, { chain: { trust: options.trust, rpc: options.clientFor }, ...(keyBinding ? { keyBinding } : {}) }),
    readListStatuses(vc, { ...(client ? { client } : {}), trust: options.trust }),
  ]);
  return { report, lists };
}

const yesNo = (purpose: string, set: boolean) => (purpose === "revocation" ? (set ? "revoked" : "not revoked") : set ? "suspended" : "not suspended");

/**
 * The status lines of a VC report: what the chain says (used for the verdict), then each list's
 * reading and whether it agrees; a list that disagrees is a warning naming its URL.
 *
 * @example
 * for (const line of statusLines(result)) console.log(line);
 */
export function statusLines({ report, lists }: VcFileReport): string[] {
  const status = report.checks.find((c) => c.name === "status");
  const lines = [`status    from the chain (used): ${status ? `${status.outcome === "pass" ? "✓" : status.outcome === "fail" ? "✗" : "-"} ${status.message}` : "not checked"}`];
  for (const r of lists) {
    const where = `${r.url}#${r.index}`;
    if (r.outcome !== "read") lines.push(`list      ${r.purpose}: ${r.message} (${where}); not used: the chain decides`);
    else if (r.agrees === undefined) lines.push(`list      ${r.purpose}: ${yesNo(r.purpose, r.listSays!)}, ${r.message} (${where}); the chain's bit could not be read to compare`);
    else lines.push(`list      ${r.purpose}: ${yesNo(r.purpose, r.listSays!)}, ${r.message} (${where}); ${r.agrees ? "agrees with the chain" : "DISAGREES with the chain"}`);
  }
  for (const r of lists.filter((l) => l.agrees === false || l.outcome === "untrusted")) {
    const says = r.outcome === "untrusted" ? "is not the issuer's authentic list" : `says ${yesNo(r.purpose, r.listSays!)}, the chain ${yesNo(r.purpose, r.chainSays!)}`;
    lines.push(`⚠ warning: the published list ${r.url} ${says}: the chain was used`);
  }
  return lines;
}
