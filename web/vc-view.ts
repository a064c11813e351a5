// A W3C VC on the verifier page: its anchor proof verified as the bundle it stands for (the same
// chain checks, the same certificate), each proof of its set reported on its own, and its status
// from its published Bitstring Status Lists beside the chain's (the chain decides).
import { getAddress, type PublicClient } from "viem";
import { isBitSet, readStatusWords } from "../src/chain/read-registry.ts";
import { encodeBundle, type Bundle } from "../src/core/bundle.ts";
import { isPlainObject, parseJson, type JsonLimits, type JsonObject } from "../src/core/json.ts";
import { ANCHOR_CRYPTOSUITE, proofsOf, vcToBundle } from "../src/vc/anchor-proof.ts";
import type { StatusPurpose } from "../src/vc/status-entries.ts";
import { readListStatusesWith, type ListReader, type ListStatusReading } from "../src/verifier/list-readings.ts";
import type { VerificationReport } from "../src/verifier/verify-bundle.ts";

/** What the page says of the eddsa proof: JSON-LD canonicalisation does not fit in the page (docs/verifier.md). */
export const SIGNATURE_NOT_CHECKED = "signature not checked in the page; use the CLI or an independent verifier";

/** One proof of the set as the page judged it: `warn` is shown, never a failure. */
export type ProofLine = { suite: string; outcome: "pass" | "fail" | "skip" | "warn"; message: string };

/** A pasted or loaded VC: the credential, and the text of the v1 bundle its anchor proof stands for (else the VC's own text, which the format check then refuses). */
export type VcInput = { vc: JsonObject; bundleText: string; problem?: string };

/**
 * The VC in a text, when it is one (a JSON object with `@context` and `proof`: a bundle has
 * neither), with the bundle its anchor proof stands for.
 *
 * @example
 * const input = vcInputOf(text, limits); // undefined for a proof bundle
 */
export function vcInputOf(text: string, limits: JsonLimits): VcInput | undefined {
  let value: unknown;
  try {
    value = parseJson(text, limits);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value) || value["@context"] === undefined || value.proof === undefined) return undefined;
  try {
    return { vc: value, bundleText: encodeBundle(vcToBundle(value)) };
  } catch (error) {
    const problem = proofsOf(value).some((p) => p.cryptosuite === ANCHOR_CRYPTOSUITE)
      ? (error as Error).message
      : `this VC has no ${ANCHOR_CRYPTOSUITE} anchor proof: the page verifies credentials anchored by credanchor (others: an independent VC verifier)`;
    return { vc: value, bundleText: text, problem };
  }
}

const isDerived = (bundle: Bundle | undefined) => bundle !== undefined && (bundle.hiddenFieldHashes.length > 0 || bundle.hiddenElements.length > 0);

/**
 * Each proof of the VC's set: the anchor proof as the chain checks judged it; an issuer
 * signature not checked in the page (a warning), or not applicable to a derived credential.
 *
 * @example
 * proofLines(vc, report); // [{ suite: "eddsa-rdfc-2022", outcome: "warn", … }, { suite: "credanchor-merkle-2026", outcome: "pass", … }]
 */
export function proofLines(vc: JsonObject, report: VerificationReport): ProofLine[] {
  const derived = isDerived(report.bundle);
  const lines = proofsOf(vc).map((proof): ProofLine => {
    const suite = typeof proof.cryptosuite === "string" ? proof.cryptosuite : String(proof.type ?? "unknown proof");
    if (suite === ANCHOR_CRYPTOSUITE) {
      const failed = report.checks.find((c) => c.outcome === "fail" && c.name !== "validity" && c.name !== "status");
      if (failed) return { suite, outcome: "fail", message: `the anchor proof does not hold: ${failed.message}` };
      if (report.verdict === "error") return { suite, outcome: "skip", message: "the anchor could not be checked: the blockchain could not be read" };
      return { suite, outcome: "pass", message: `anchored on chain ${report.anchor?.chainId ?? "?"} in block ${report.anchor?.blockNumber ?? "?"}: ${derived ? "the disclosed fields recompute" : "the credential recomputes"} the anchored leaf` };
    }
    if (derived) return { suite, outcome: "skip", message: "does not apply: a derived credential (fields hidden); the issuer's signature covers the whole credential, the anchor proof vouches for the disclosed fields" };
    return { suite, outcome: "warn", message: SIGNATURE_NOT_CHECKED };
  });
  if (!lines.some((l) => l.suite !== ANCHOR_CRYPTOSUITE) && report.bundle) {
    lines.unshift({ suite: "issuer signature", outcome: "skip", message: derived ? "none: a derived credential; the anchor proof vouches for the disclosed fields" : "none: an anchor-only credential (or an exported v1 bundle); the anchor proof vouches for it" });
  }
  return lines;
}

/** The browser's reader: GZIP through DecompressionStream; the list's eddsa signature is not checked here. */
const PAGE_READER: ListReader = {
  async gunzip(data, maxBytes) {
    const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
    const reader = stream.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      size += r.value.length;
      if (size > maxBytes) {
        await reader.cancel();
        throw new Error("too large");
      }
      parts.push(r.value);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) out.set(p, (at += p.length) - p.length);
    return out;
  },
  checkSignature: async () => ({ outcome: "unchecked" }),
};

/** The chain's bits where the anchor proof says the status lives (its registry passed the chain checks). */
async function chainBits(report: VerificationReport, client: PublicClient | undefined): Promise<Record<StatusPurpose, boolean> | undefined> {
  const bundle = report.bundle;
  if (!bundle || !client || !report.checks.some((c) => c.name === "anchored" && c.outcome === "pass")) return undefined;
  const index = BigInt(bundle.statusIndex);
  const words = await readStatusWords(client, getAddress(bundle.registry), BigInt(bundle.issuerId), index >> 8n, 1n);
  return { revocation: isBitSet(words.revoked, index >> 8n, index), suspension: isBitSet(words.suspended, index >> 8n, index) };
}

/**
 * The VC's published lists read beside the chain's bits (`client` for the anchor's chain; none in
 * private mode: the one-word read would tell the RPC provider which credential is checked).
 *
 * @example
 * const readings = await pageListReadings(vc, report, client);
 */
export function pageListReadings(vc: JsonObject, report: VerificationReport, client: PublicClient | undefined): Promise<ListStatusReading[]> {
  // Revalidated every time (ETag: a 304 while the list is unchanged): compared with the chain now, a cached copy would be a stale answer.
  const revalidating: typeof fetch = (url, init) => fetch(url, { ...init, cache: "no-cache" });
  return readListStatusesWith(vc, { reader: PAGE_READER, chainBits: chainBits(report, client), fetch: revalidating });
}

function el(tag: string, content?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (content !== undefined) node.textContent = content;
  if (className) node.className = className;
  return node;
}

const MARKS = { pass: ["✓", "verified"], fail: ["✗", "failed"], skip: ["–", "not applicable"], warn: ["!", "warning"] } as const;
const said = (purpose: StatusPurpose, set: boolean) => (purpose === "revocation" ? (set ? "revoked" : "not revoked") : set ? "suspended" : "not suspended");

function statusFromChain(report: VerificationReport): string {
  const status = report.checks.find((c) => c.name === "status");
  if (!status) return "not checked";
  return `${status.outcome === "pass" ? "✓" : status.outcome === "fail" ? "✗" : "–"} ${status.message}`;
}

/** One list's line: what it says, whether it agrees, which was used. */
function listLine(r: ListStatusReading): HTMLElement {
  const where = `${r.url}#${r.index}`;
  let text: string;
  if (r.outcome === "unavailable") text = `${r.purpose}: ${r.message.startsWith("list unavailable") ? "list unavailable" : r.message} (${where}); not used: the chain decides`;
  else if (r.outcome === "untrusted") text = `${r.purpose}: not the issuer's list: ${r.message} (${where}); not used: the chain decides`;
  else if (r.agrees === undefined) text = `${r.purpose}: ${said(r.purpose, r.listSays!)}, ${r.message} (${where}); the chain's bit could not be read to compare`;
  else text = `${r.purpose}: ${said(r.purpose, r.listSays!)}, ${r.message} (${where}); ${r.agrees ? "agrees with the chain" : "DISAGREES with the chain"}`;
  const li = el("li", text);
  li.dataset.purpose = r.purpose;
  li.dataset.outcome = r.outcome;
  if (r.agrees !== undefined) li.dataset.agrees = String(r.agrees);
  return li;
}

/**
 * The VC's own panel: its proofs one by one, then its status from the chain (used) and from
 * each published list, a disagreeing or inauthentic list named in a warning.
 *
 * @example
 * view.querySelector(".body")?.prepend(vcPanel(proofLines(vc, report), report, readings));
 */
export function vcPanel(proofs: readonly ProofLine[], report: VerificationReport, readings: readonly ListStatusReading[], problem?: string): HTMLElement {
  const box = el("section", undefined, "vc-panel");
  box.append(el("h3", "W3C Verifiable Credential"));
  if (problem) box.append(el("p", problem, "vc-problem"));
  const proofList = el("ul", undefined, "proofs");
  for (const p of proofs) {
    const li = el("li", undefined, `proof ${p.outcome}`);
    li.dataset.suite = p.suite;
    li.dataset.outcome = p.outcome;
    const mark = el("span", MARKS[p.outcome][0], "mark");
    mark.setAttribute("aria-label", MARKS[p.outcome][1]);
    li.append(mark, el("strong", p.suite), document.createTextNode(`: ${p.message}`));
    proofList.append(li);
  }
  box.append(el("p", "Proofs", "vc-heading"), proofList);
  if (report.bundle) {
    box.append(el("p", "Status", "vc-heading"));
    const chain = el("p", `From the blockchain (used): ${statusFromChain(report)}`, "chain-status");
    box.append(chain);
    if (readings.length === 0) box.append(el("p", "No Bitstring Status List entry in this credential: the blockchain alone says its status.", "hint"));
    else {
      const ul = el("ul", undefined, "lists");
      for (const r of readings) ul.append(listLine(r));
      box.append(ul);
      if (readings.some((r) => r.outcome === "read" && r.signatureChecked === false)) box.append(el("p", "The lists' signatures were not checked in the page (use the CLI for that); the blockchain decides in any case.", "hint"));
    }
    for (const r of readings.filter((l) => l.agrees === false || l.outcome === "untrusted")) {
      const says = r.outcome === "untrusted" ? "is not the issuer's authentic list" : `says ${said(r.purpose, r.listSays!)}, the blockchain ${said(r.purpose, r.chainSays!)}`;
      const warning = el("p", `Warning: the published list ${r.url} ${says}: the blockchain's answer was used.`, "list-warning");
      warning.setAttribute("role", "note");
      box.append(warning);
    }
  }
  return box;
}
