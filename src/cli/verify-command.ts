// `credanchor verify`: checks proof bundles and W3C VCs independently of the issuer, and prints their reports.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import { UNDECIDED_CODES } from "../verifier/result.ts";
import { statusHistoriesOf } from "../verifier/status-history.ts";
import { loadTrustList } from "../verifier/trust-files.ts";
import { RPC_TRANSPORT, verifyBundles, type VerificationReport } from "../verifier/verify-bundle.ts";
import { certificateLines } from "./certificate-text.ts";
import { displayUrl, terminalJson, terminalSafe } from "./terminal.ts";
import { statusLines, vcOfText, verifyVcFile, type VcFileReport } from "./verify-vc.ts";

const VERIFY_USAGE = `Usage: credanchor verify <bundle.json|vc.json…> [options]

Checks each proof bundle: format, integrity, Merkle inclusion, anchored in a trusted registry,
issuer authorised at anchoring time, not revoked or suspended now, within its validity window.
A W3C VC (a file with "@context" and "proof") gets the VC checks (signature, anchor proof,
on-chain status, identity); its status is read from the chain (used for the verdict) and,
beside it, from each BitstringStatusListEntry's published list (fetched, signature verified):
a list that disagrees with the chain is a warning naming it, one that cannot be fetched is
"list unavailable", never a failure.

Options:
  --rpc <url>            JSON-RPC endpoint for every chain (repeatable as <chainId>=<url>);
                         default: the service's settings (RPC_URL, else the local chain on
                         127.0.0.1:CHAIN_PORT, default 8545; config file: CREDANCHOR_CONFIG)
  --trust <file.json>    also trust the deployments in this address book (repeatable);
                         the shipped deployments/*.json are always trusted
  --private              read the issuer's whole status list instead of the one index, so the
                         RPC provider cannot tell which credential you check
  --show                 first print each credential as a person reads it: achievement,
                         holder, issuer (on-chain identity and name, warning when the
                         credential claims another), dates, status (with date and reason)
  --json                 print the reports as JSON
  -h, --help             show this help

Text from bundles and from the chain is printed with control and bidi characters escaped.
Exit code: 0 all valid, 1 some bundle invalid, 2 could not decide (RPC down, unreadable file).`;

const SYMBOL = { pass: "✓", fail: "✗", skip: "-" } as const;

/**
 * RPC option values → the URL for a chain id. A bare URL serves every chain (its chain id is
 * checked); without one, the service's own settings do (RPC_URL, else its local chain's port).
 */
function rpcResolver(values: readonly string[]): (chainId: number) => string | undefined {
  const perChain: Record<number, string> = {};
  let any: string | undefined;
  for (const value of values) {
    const match = /^(\d+)=(.+)$/.exec(value);
    if (match) perChain[Number(match[1])] = match[2]!;
    else any = value;
  }
  if (!any && Object.keys(perChain).length === 0) {
    const config = loadConfig(process.env);
    any = config.rpcUrl ?? `http://127.0.0.1:${config.chainPort}`;
  }
  const fallback = any;
  return (chainId) => perChain[chainId] ?? fallback;
}

/** Prints one line of text that may hold untrusted parts (bundle, chain, RPC answers). */
const say = (line: string) => console.log(terminalSafe(line));

function printReport(file: string, report: VerificationReport, rpcUrl: string | undefined, certificate?: string[]): void {
  say(`${file}: ${report.verdict.toUpperCase()}`);
  if (certificate?.length) {
    for (const line of certificate) say(`  ${line}`);
    say("  checks:");
  }
  for (const check of report.checks) say(`  ${SYMBOL[check.outcome]} ${check.name.padEnd(9)} ${check.message}`);
  if (report.issuer) {
    const { issuerId, claimed, onChain, name, matches } = report.issuer;
    const chainSays = `${onChain ?? "(no on-chain identity)"}${name ? ` (${name})` : ""}`;
    say(`  issuer    on-chain: ${chainSays}, issuer ${issuerId}; credential claims: ${claimed ?? "(nothing)"}${matches ? "" : "  ✗ MISMATCH"}`);
  }
  if (report.anchor) say(`  transaction ${report.anchor.txHash} on chain ${report.anchor.chainId}`);
  // Which endpoint answered (or failed to): a wrong or unsynced chain shows here.
  if (rpcUrl) say(`  rpc       ${displayUrl(rpcUrl)}${report.checks.some((c) => UNDECIDED_CODES.has(c.code)) ? " (could not decide with it)" : ""}`);
}

/** A standard VC's report: its checks, then its status from the chain beside its published lists'. */
function printVcReport(file: string, result: VcFileReport): void {
  say(`${file}: ${result.report.verdict.toUpperCase()} (W3C VC)`);
  for (const check of result.report.checks) say(`  ${SYMBOL[check.outcome]} ${check.name.padEnd(9)} ${check.message}`);
  for (const warning of result.report.warnings) say(`  ⚠ ${warning.code}: ${warning.message}`);
  for (const line of statusLines(result)) say(`  ${line}`);
}

/** `credanchor verify …` (registered in src/cli/credanchor.ts). */
export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rpc: { type: "string", multiple: true, default: [] },
      trust: { type: "string", multiple: true, default: [] },
      json: { type: "boolean", default: false },
      private: { type: "boolean", default: false },
      show: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(VERIFY_USAGE);
    return 0;
  }
  if (positionals.length === 0) {
    console.error(`credanchor verify: name at least one bundle file\n\n${VERIFY_USAGE}`);
    return 2;
  }
  const trust = loadTrustList({ extraFiles: values.trust });
  const rpc = rpcResolver(values.rpc);
  const { createPublicClient, http } = await import("viem");
  const clients = new Map<string, ReturnType<typeof createPublicClient>>();
  const clientFor = (chainId: number) => {
    const url = rpc(chainId);
    if (!url) return undefined;
    if (!clients.has(url)) clients.set(url, createPublicClient({ transport: http(url, RPC_TRANSPORT) }));
    return clients.get(url) as never;
  };

  const texts: (string | undefined)[] = positionals.map((file) => {
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      console.error(terminalSafe(`${file}: cannot read: ${(error as Error).message}`));
      return undefined;
    }
  });
  const all = positionals.flatMap((file, i) => (texts[i] === undefined ? [] : [{ file, text: texts[i]!, vc: vcOfText(texts[i]!) }]));
  // Standard VCs go through the VC verifier (their lists read beside the chain); bundles through the bundle verifier.
  const vcs = await Promise.all(all.filter((r) => r.vc).map(async ({ file, vc }) => ({ file, ...(await verifyVcFile(vc!, { trust, clientFor })) })));
  const readable = all.filter((r) => !r.vc);
  const reports = await verifyBundles(readable.map((r) => r.text), { trust, rpc: clientFor, ...(values.private ? { privacy: "private" as const } : {}) });

  const rpcOf = (report: VerificationReport) => (report.bundle ? rpc(report.bundle.chainId) : undefined);
  if (values.json) {
    const out = readable.map(({ file }, i) => {
      const url = rpcOf(reports[i]!);
      return { file, ...reports[i]!, ...(url ? { rpc: displayUrl(url) } : {}) };
    });
    const vcOut = vcs.map(({ file, report, lists }) => ({ file, ...report, listStatus: lists }));
    console.log(terminalJson([...out, ...vcOut]));
  } else {
    const histories = values.show ? await statusHistoriesOf(reports, trust, clientFor) : [];
    readable.forEach(({ file }, i) => printReport(file, reports[i]!, rpcOf(reports[i]!), values.show ? certificateLines(reports[i]!, histories[i]) : undefined));
    for (const result of vcs) printVcReport(result.file, result);
  }
  const verdicts = [...reports.map((r) => r.verdict), ...vcs.map((v) => v.report.verdict)];
  if (verdicts.includes("invalid")) return 1;
  if (verdicts.includes("error") || all.length < positionals.length) return 2;
  return 0;
}
