// One verification report as a person reads it: the certificate first (what, for whom, by whom,
// when), then the verdict in one sentence, then the checks folded. Everything taken from the
// credential is untrusted text: it reaches the page through textContent and attributes only.
import type { JsonObject, JsonValue } from "../src/core/json.ts";
import { UNDECIDED_CODES } from "../src/verifier/result.ts";
import type { FieldChange } from "../src/verifier/diagnose.ts";
import type { StatusEvent } from "../src/verifier/status-history.ts";
import type { VerificationReport } from "../src/verifier/verify-bundle.ts";
import { claimedIssuer, holderOf, skillsOf } from "../src/verifier/certificate.ts";

/**
 * The verifier's issuer identity (another branch adds it to the report): read defensively, so
 * the page works with reports that have it and reports that do not.
 */
export type IssuerIdentity = { issuerId: number; claimed?: string; onChain?: string; name?: string; matches: boolean };

/** What the page knows besides the report: the status events and the changed fields. */
export type ReportExtras = { history?: readonly StatusEvent[]; changes?: readonly FieldChange[]; explorer?: string };

/** Words for the verdict line: the first failed check's code, in plain language. */
const REASONS: Record<string, string> = {
  REVOKED: "revoked",
  SUSPENDED: "suspended",
  BATCH_REVOKED: "revoked (the whole batch)",
  EXPIRED: "expired",
  NOT_YET_VALID: "not yet valid",
  UNKNOWN_REGISTRY: "anchored in a registry this page does not trust",
  ROOT_NOT_ANCHORED: "not anchored on the blockchain",
  ROOT_OF_ANOTHER_ISSUER: "anchored by another issuer",
  ISSUER_NOT_ACCREDITED: "the issuer was not accredited",
  ISSUER_MISMATCH: "not issued by the issuer it names",
  SIGNER_KEY_INVALID: "signed with a key that was not authorised",
  LEAF_MISMATCH: "the credential was changed",
  DISCLOSURE_MISMATCH: "the credential was changed",
  PROOF_INVALID: "the proof does not match",
};

/** Words for "could not decide": why the chain could not be read (details stay in the check's row). */
const UNDECIDED: Record<string, string> = {
  RPC_UNAVAILABLE: "RPC unreachable",
  RPC_WRONG_CHAIN: "the RPC endpoint serves another chain",
  RPC_BAD_RESPONSE: "the RPC endpoint gave a malformed answer",
  NO_RPC: "no RPC endpoint set for this chain (see Settings)",
};

const ACTION_WORDS: Record<StatusEvent["action"], string> = {
  revoke: "Revoked",
  suspend: "Suspended",
  reinstate: "Reinstated",
  "revoke-batch": "Revoked (with its whole batch)",
};

/**
 * The short verdict: "Valid", "Invalid: revoked", "Could not decide: RPC unreachable".
 *
 * @example
 * summary(report); // "Invalid: revoked"
 */
export function summary(report: VerificationReport): string {
  if (report.verdict === "valid") return "Valid";
  const failed = report.checks.find((c) => c.outcome === "fail");
  if (report.verdict === "invalid") {
    if (failed?.name === "format") return "Invalid: not a readable proof bundle";
    return `Invalid: ${REASONS[failed?.code ?? ""] ?? failed?.message ?? "a check failed"}`;
  }
  const undecided = report.checks.find((c) => c.outcome === "skip" && UNDECIDED_CODES.has(c.code));
  return `Could not decide: ${UNDECIDED[undecided?.code ?? ""] ?? "the blockchain could not be read"}`;
}

// ---- reading the credential (untrusted JSON) ----

const obj = (v: JsonValue | undefined): JsonObject | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined);
const str = (v: JsonValue | undefined): string | undefined => (typeof v === "string" && v.trim() ? v.trim() : undefined);
const list = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const types = (v: JsonObject | undefined): string[] => list(v?.type).filter((t): t is string => typeof t === "string");

/** The first credential subject (OB 3.0 has exactly one). */
const subjectOf = (c: JsonObject) => obj(list(c.credentialSubject)[0]);

/** Only images that cannot load code or track beyond one https fetch: raster/SVG data URIs and https URLs. */
function safeImage(v: JsonValue | undefined): { src: string; caption?: string } | undefined {
  const src = typeof v === "string" ? v : str(obj(v)?.id);
  if (!src) return undefined;
  const ok = /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+$/.test(src) || /^https:\/\/[^\s"'<>]+$/.test(src);
  return ok ? { src, ...(str(obj(v)?.caption) ? { caption: str(obj(v)?.caption)! } : {}) } : undefined;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeStyle: "short" });
const day = (seconds: number) => dateFormat.format(new Date(seconds * 1000));
const moment = (seconds: number) => dateTimeFormat.format(new Date(seconds * 1000));

// ---- building the DOM ----

function el(tag: string, content?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (content !== undefined) node.textContent = content;
  if (className) node.className = className;
  return node;
}

function facts(className: string): { dl: HTMLElement; add: (term: string, value: Node | string, key?: string) => void } {
  const dl = el("dl", undefined, className);
  const add = (term: string, value: Node | string, key?: string) => {
    const dd = document.createElement("dd");
    dd.append(value);
    if (key) dd.dataset.field = key;
    dl.append(el("dt", term), dd);
  };
  return { dl, add };
}

function issuerIdentity(report: VerificationReport): IssuerIdentity | undefined {
  const raw = (report as { issuer?: unknown }).issuer;
  if (raw === null || typeof raw !== "object") return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.matches !== "boolean") return undefined;
  const text = (v: unknown) => (typeof v === "string" && v.trim() ? v : undefined);
  return {
    issuerId: typeof r.issuerId === "number" ? r.issuerId : Number(report.anchor?.issuerId ?? 0),
    matches: r.matches,
    ...(text(r.claimed) ? { claimed: text(r.claimed)! } : {}),
    ...(text(r.onChain) ? { onChain: text(r.onChain)! } : {}),
    ...(text(r.name) ? { name: text(r.name)! } : {}),
  };
}

/** Who issued it, as the chain says (verified) and as the credential claims. */
function issuerBlock(report: VerificationReport, credential: JsonObject): { node: HTMLElement; label: string; mismatch?: HTMLElement } {
  const claimed = claimedIssuer(credential);
  const identity = issuerIdentity(report);
  const onChain = identity?.onChain ?? (report.anchor?.issuerMetadataURI || undefined);
  const box = el("div", undefined, "issuer");
  if (report.anchor) {
    // The credential's own issuer name is shown as the issuer only once the chain vouches for its identity.
    const name = identity?.name ?? (identity?.matches === true ? claimed.name : undefined);
    const label = name ?? onChain ?? `issuer ${report.anchor.issuerId}`;
    box.append(el("span", label, "issuer-name"));
    box.append(el("span", `✓ verified on the blockchain: ${onChain ?? "(no identity recorded)"} · issuer ${report.anchor.issuerId} on chain ${report.anchor.chainId}`, "verified"));
    if (claimed.name && claimed.name !== label) box.append(el("span", `named in the credential: ${claimed.name}`, "claimed"));
    if (identity && !identity.matches) {
      const warning = el("p", undefined, "issuer-warning");
      warning.setAttribute("role", "alert");
      warning.append(el("strong", "⚠ Not the issuer it names. "), `The credential claims to be issued by ${identity.claimed ?? claimed.id ?? claimed.name ?? "someone else"}, but it was recorded on the blockchain by ${onChain ?? `issuer ${identity.issuerId}`}.`);
      return { node: box, label, mismatch: warning };
    }
    return { node: box, label };
  }
  const label = claimed.name ?? claimed.id ?? "an unknown issuer";
  box.append(el("span", label, "issuer-name"), el("span", "not verified: the blockchain record could not be confirmed", "unverified"));
  return { node: box, label };
}

function imageOf(achievement: JsonObject | undefined, credential: JsonObject, title: string): HTMLElement | undefined {
  const image = safeImage(achievement?.image) ?? safeImage(credential.image);
  if (!image) return undefined;
  const img = document.createElement("img");
  img.src = image.src;
  img.alt = image.caption ?? `Image of ${title}`;
  img.referrerPolicy = "no-referrer";
  img.decoding = "async";
  img.width = 112;
  img.height = 112;
  img.className = "badge-image";
  return img;
}

/** A generic credential's subject as a clean key / value list (nested keys joined with " › "). */
function genericFields(subject: JsonObject | undefined, holder: string | undefined, add: (term: string, value: string, key?: string) => void): void {
  const walk = (value: JsonValue, label: string, pointer: string, depth: number) => {
    if (depth > 4) return;
    if (value !== null && typeof value === "object") {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i + 1), v] as const) : Object.entries(value);
      for (const [key, child] of entries) {
        if (key === "type" || key === "@context" || (depth === 0 && key === "id" && child === holder)) continue; // already the holder line
        walk(child, label ? `${label} › ${key}` : key, `${pointer}/${key}`, depth + 1);
      }
      return;
    }
    if (value !== null) add(label, String(value), pointer);
  };
  if (subject) walk(subject, "", "/credentialSubject", 0);
}

/** The status note: "Revoked on 1 December 2026 · reason code 3". */
function statusNote(report: VerificationReport, history: readonly StatusEvent[] | undefined): HTMLElement | undefined {
  const status = report.checks.find((c) => c.name === "status" && c.outcome === "fail");
  if (!status) return undefined;
  const note = el("p", undefined, "status-note");
  const last = history?.filter((e) => e.action !== "reinstate").at(-1);
  const word = status.code === "SUSPENDED" ? "Suspended" : status.code === "BATCH_REVOKED" ? "Revoked (with its whole batch)" : "Revoked";
  if (last) {
    note.append(el("strong", `${ACTION_WORDS[last.action]} on ${moment(last.time)}`));
    note.append(` · reason code ${last.reason}${last.reason === 0 ? " (none given)" : ""} · block ${last.blockNumber}`);
  } else {
    note.append(el("strong", word), " (the date could not be read from the blockchain)");
  }
  note.dataset.status = status.code;
  return note;
}

function changedNote(report: VerificationReport, changes: readonly FieldChange[] | undefined): HTMLElement | undefined {
  const integrity = report.checks.find((c) => c.name === "integrity" && c.outcome === "fail");
  if (!integrity) return undefined;
  const note = el("div", undefined, "changed-note");
  note.append(el("strong", "⚠ This credential was changed after it was issued."));
  if (changes?.length) {
    const ul = el("ul", undefined, "changed-fields");
    for (const change of changes) {
      const li = el("li");
      li.append(el("code", change.path || "(structure)"), `: ${change.message}`);
      li.dataset.path = change.path;
      ul.append(li);
    }
    note.append(" Changed:", ul);
  } else {
    note.append(" Which field cannot be told from this bundle alone: verify it together with the original to see the difference.");
  }
  return note;
}

/** The one-sentence verdict a person reads after the certificate. */
function sentence(report: VerificationReport, issuer: string, holder: string | undefined, extras: ReportExtras): string {
  const bundle = report.bundle;
  if (report.verdict === "valid") {
    const until = bundle && bundle.validUntil !== 0 ? `, and is valid until ${day(bundle.validUntil)}` : ", and does not expire";
    return `This credential is valid: ${issuer} issued it${holder ? ` to ${holder}` : ""}; it is recorded on the blockchain, has not been revoked${until}.`;
  }
  if (report.verdict === "error") return `This credential could not be checked (${summary(report).replace(/^Could not decide: /, "")}): whether it is valid is not known yet.`;
  const failed = report.checks.find((c) => c.outcome === "fail")!;
  const last = extras.history?.filter((e) => e.action !== "reinstate").at(-1);
  const on = last ? ` on ${day(last.time)}` : "";
  switch (failed.code) {
    case "REVOKED":
    case "BATCH_REVOKED":
      return `This credential is no longer valid: ${issuer} revoked it${on}.`;
    case "SUSPENDED":
      return `This credential is suspended: ${issuer} suspended it${on}; it is not valid while suspended.`;
    case "EXPIRED":
      return `This credential has expired: it was valid until ${day(bundle!.validUntil)}.`;
    case "NOT_YET_VALID":
      return `This credential is not valid yet: it is valid from ${day(bundle!.validFrom)}.`;
    case "ISSUER_MISMATCH":
      return `Do not trust this credential: it names an issuer that did not record it on the blockchain.`;
    case "LEAF_MISMATCH":
    case "DISCLOSURE_MISMATCH": {
      const paths = (extras.changes ?? []).map((c) => c.path).filter(Boolean);
      return `Do not trust this credential: it was changed after it was issued${paths.length ? ` (${paths.join(", ")})` : ""}.`;
    }
    default:
      return failed.name === "format" ? "This is not a readable proof bundle: nothing can be said about it." : `This credential is not valid: ${REASONS[failed.code] ?? failed.message}.`;
  }
}

/** The certificate card: achievement, holder, issuer, dates, criteria, skills (or a generic view). */
function certificate(report: VerificationReport, extras: ReportExtras): { card: HTMLElement; issuer: string; holder?: string } {
  const credential = report.bundle!.credential;
  const subject = subjectOf(credential);
  const achievement = obj(subject?.achievement);
  const isBadge = types(credential).some((t) => t === "OpenBadgeCredential" || t === "AchievementCredential") || achievement !== undefined;
  const title = str(achievement?.name) ?? str(credential.name) ?? (types(credential).filter((t) => t !== "VerifiableCredential").join(", ") || "Credential");
  const card = el("section", undefined, "certificate");
  card.setAttribute("aria-label", `Certificate: ${title || "credential"}`);

  const head = el("div", undefined, "cert-head");
  const image = imageOf(achievement, credential, title);
  if (image) head.append(image);
  const heading = el("div", undefined, "cert-heading");
  heading.append(el("p", isBadge ? "Open Badge" : "Verifiable credential", "kind"), el("h3", title || "Credential", "cert-title"));
  const description = str(achievement?.description) ?? str(credential.description);
  if (description) heading.append(el("p", description, "description"));
  head.append(heading);
  card.append(head);

  const holder = holderOf(subject);
  const issuer = issuerBlock(report, credential);
  const { dl, add } = facts("cert-facts");
  add(isBadge ? "Awarded to" : "Subject", holder ?? "(not disclosed)", "holder");
  add("Issued by", issuer.node, "issuer");
  const bundle = report.bundle!;
  if (bundle.validFrom !== 0) add("Issued on", day(bundle.validFrom), "validFrom");
  add("Expires", bundle.validUntil === 0 ? "never" : day(bundle.validUntil), "validUntil");
  const criteria = str(obj(achievement?.criteria)?.narrative) ?? str(obj(achievement?.criteria)?.id);
  if (criteria) add("Criteria", criteria, "criteria");
  const skills = skillsOf(achievement);
  if (skills.length) {
    const ul = el("ul", undefined, "skills");
    for (const s of skills) ul.append(el("li", s));
    add("Skills", ul, "skills");
  }
  if (!isBadge) genericFields(subject, holder, add);
  const hidden = bundle.hiddenFieldHashes.length + bundle.hiddenElements.length;
  if (hidden) add("Not shown", `${hidden} field${hidden === 1 ? "" : "s"} withheld by the holder`, "hidden");
  card.append(dl);
  for (const note of [issuer.mismatch, statusNote(report, extras.history), changedNote(report, extras.changes)]) if (note) card.append(note);
  return { card, issuer: issuer.label, ...(holder ? { holder } : {}) };
}

/** Only http(s) explorer links: a settings value must never become a `javascript:` link. */
export function explorerLink(template: string, txHash: string): string | undefined {
  if (!template.includes("{tx}")) return undefined;
  try {
    const url = new URL(template.replace("{tx}", txHash));
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** The checks table and the anchor's facts, folded. */
function checksPanel(source: string, report: VerificationReport, extras: ReportExtras, open: boolean): HTMLElement {
  const details = el("details", undefined, "checks") as HTMLDetailsElement;
  details.open = open;
  const failed = report.checks.filter((c) => c.outcome === "fail").length;
  details.append(el("summary", `How this was checked: ${report.checks.length} checks, ${failed === 0 ? "none failed" : `${failed} failed`}`));
  details.append(el("p", source, "source"));
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const h of ["", "Check", "Result"]) head.append(el("th", h));
  const rows = table.createTBody();
  for (const check of report.checks) {
    const row = rows.insertRow();
    row.dataset.check = check.name;
    row.dataset.outcome = check.outcome;
    const mark = el("td", check.outcome === "pass" ? "✓" : check.outcome === "fail" ? "✗" : "–", `mark ${check.outcome}`);
    mark.setAttribute("aria-label", check.outcome === "pass" ? "passed" : check.outcome === "fail" ? "failed" : "not checked");
    row.append(mark, el("td", check.name), el("td", check.message));
  }
  details.append(table);
  if (report.anchor) {
    const a = report.anchor;
    const { dl, add } = facts("anchor-facts");
    add("Issuer", `${a.issuerMetadataURI || "(no metadata)"} (issuer ${a.issuerId})`);
    const when = new Date(a.anchoredAt * 1000);
    add("Anchored", `${when.toISOString()} (${when.toLocaleString()})`);
    add("Block", `${a.blockNumber} on chain ${a.chainId}`);
    const href = explorerLink(extras.explorer ?? "", a.txHash);
    if (href) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = a.txHash;
      link.rel = "noopener noreferrer";
      add("Transaction", link);
    } else {
      add("Transaction", el("code", a.txHash));
    }
    add("Registry", el("code", a.registry));
    for (const e of extras.history ?? []) add(ACTION_WORDS[e.action], `${moment(e.time)} · reason code ${e.reason} · block ${e.blockNumber} · by ${e.signer}`);
    details.append(dl);
  }
  return details;
}

/**
 * Renders one report: verdict band, certificate (when the bundle could be read), the verdict
 * sentence, then the checks folded (open when the bundle could not be read at all).
 *
 * @example
 * results.append(renderReport("badge.json", report, { history, changes, explorer: "" }));
 */
export function renderReport(source: string, report: VerificationReport, extras: ReportExtras = {}): HTMLElement {
  const box = el("article", undefined, "report");
  box.dataset.verdict = report.verdict;
  const icon = report.verdict === "valid" ? "✓" : report.verdict === "invalid" ? "✗" : "?";
  const verdict = el("div", undefined, `verdict ${report.verdict}`);
  verdict.append(el("span", icon), el("span", summary(report), "verdict-text"));
  box.append(verdict);
  const body = el("div", undefined, "body");
  if (report.bundle) {
    const { card, issuer, holder } = certificate(report, extras);
    body.append(card, el("p", sentence(report, issuer, holder, extras), "sentence"));
  } else {
    body.append(el("p", sentence(report, "", undefined, extras), "sentence"));
  }
  body.append(checksPanel(source, report, extras, !report.bundle));
  box.append(body);
  return box;
}
