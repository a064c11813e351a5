// `credanchor verify --show`: a verified credential as a person reads it, as terminal lines.
import { readCertificate } from "../verifier/certificate.ts";
import type { StatusEvent } from "../verifier/status-history.ts";
import type { VerificationReport } from "../verifier/verify-bundle.ts";

const ACTION_WORDS: Record<StatusEvent["action"], string> = {
  revoke: "revoked",
  suspend: "suspended",
  reinstate: "reinstated",
  "revoke-batch": "revoked (with its whole batch)",
};

/** `2026-12-01` (UTC): the same on every machine, unambiguous in every locale. */
const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
const moment = (seconds: number) => `${new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** The issuer as the chain vouches for it, and a warning line when the credential claims another. */
function issuerLines(report: VerificationReport, claimed: { id?: string; name?: string }): string[] {
  if (!report.anchor) return [`issued by    ${claimed.name ?? claimed.id ?? "(not named)"} (NOT verified: the blockchain record could not be read)`];
  const identity = report.issuer;
  const onChain = identity?.onChain ?? (report.anchor.issuerMetadataURI || "(no identity recorded)");
  // The credential's own issuer name is shown as the issuer only once the chain vouches for its identity.
  const name = identity?.name ?? (identity?.matches === true ? claimed.name : undefined);
  const lines = [`issued by    ${name ? `${name}, ` : ""}${onChain} (issuer ${report.anchor.issuerId} on chain ${report.anchor.chainId}, verified on the blockchain)`];
  if (claimed.name && claimed.name !== name) lines.push(`             named in the credential: ${claimed.name}`);
  if (identity && !identity.matches) {
    lines.push(`             ⚠ WARNING: the credential claims to be issued by ${identity.claimed ?? "someone else"}, but ${onChain} recorded it on the blockchain`);
  }
  return lines;
}

function statusLine(report: VerificationReport, history: readonly StatusEvent[] | undefined): string | undefined {
  const status = report.checks.find((c) => c.name === "status");
  if (!status || status.outcome !== "fail") return status?.outcome === "pass" ? "status       not revoked, not suspended" : undefined;
  const last = history?.filter((e) => e.action !== "reinstate").at(-1);
  const word = status.code === "SUSPENDED" ? "suspended" : status.code === "BATCH_REVOKED" ? "revoked (with its whole batch)" : "revoked";
  if (!last) return `status       ${word.toUpperCase()} (the date could not be read from the blockchain)`;
  return `status       ${ACTION_WORDS[last.action].toUpperCase()} on ${moment(last.time)}, reason code ${last.reason}${last.reason === 0 ? " (none given)" : ""}, block ${last.blockNumber}`;
}

/**
 * The certificate of a report whose bundle was readable: achievement, holder, issuer (the chain's
 * identity and name, with a warning when the credential claims another), dates, status. Lines
 * hold untrusted text: print each through `terminalSafe`.
 *
 * @example
 * for (const line of certificateLines(report, history)) say(`  ${line}`);
 */
export function certificateLines(report: VerificationReport, history?: readonly StatusEvent[]): string[] {
  if (!report.bundle) return [];
  const c = readCertificate(report.bundle);
  const lines = [`${c.title} (${c.kind})`];
  if (c.description) lines.push(`             ${c.description}`);
  lines.push(`${c.kind === "Open Badge" ? "awarded to" : "subject   "}   ${c.holder ?? "(not disclosed)"}`);
  lines.push(...issuerLines(report, c.claimedIssuer));
  if (c.validFrom !== 0) lines.push(`issued on    ${day(c.validFrom)}`);
  lines.push(`expires      ${c.validUntil === 0 ? "never" : day(c.validUntil)}`);
  if (c.criteria) lines.push(`criteria     ${c.criteria}`);
  if (c.skills.length) lines.push(`skills       ${c.skills.join("; ")}`);
  const status = statusLine(report, history);
  if (status) lines.push(status);
  if (c.hiddenCount) lines.push(`withheld     ${c.hiddenCount} field${c.hiddenCount === 1 ? "" : "s"} hidden by the holder`);
  return lines;
}
