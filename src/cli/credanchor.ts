#!/usr/bin/env node
// The `credanchor` command line: one entry point, `--help` everywhere.
import { terminalSafe } from "./terminal.ts";

const COMMAND_LIST = () => COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n");

const USAGE_TEMPLATE = `credanchor: anchor and verify micro-credentials on an EVM chain

Usage: credanchor <command> [options]

Commands:
__COMMANDS__

Run "credanchor <command> --help" for a command's options.
"npm start" runs the embedded default (local chain, contracts, API, verifier page).`;

/**
 * Every command: name, one-line summary, and how to load it. Add a command with one line here.
 * A command's module (and all it imports: viem, the verifier, the store, the server) is loaded
 * only when that command runs: `--help` and each command start without the others' imports.
 */
const COMMANDS: { name: string; summary: string; load(): Promise<(argv: string[]) => Promise<number>> }[] = [
  { name: "serve", summary: "run the issuer API, the anchoring pipeline and the verifier page", load: async () => (await import("./operator-commands.ts")).serveCommand.run },
  { name: "deploy", summary: "deploy the contracts to a network and record them in deployments/", load: async () => (await import("./operator-commands.ts")).deployCommand.run },
  { name: "issue", summary: "submit credentials for anchoring (files, directories, JSON Lines, CSV; progress on large batches)", load: async () => (await import("./issuer-commands.ts")).issueCommand.run },
  { name: "status", summary: "show a credential's, batch's or revocation's state", load: async () => (await import("./issuer-commands.ts")).statusCommand.run },
  { name: "revoke", summary: "revoke, suspend or reinstate credentials on-chain", load: async () => (await import("./issuer-commands.ts")).revokeCommand.run },
  { name: "erase", summary: "erase credentials' personal data off-chain (GDPR)", load: async () => (await import("./issuer-commands.ts")).eraseCommand.run },
  { name: "verify", summary: "check proof bundles independently (no issuer needed)", load: async () => (await import("./verify-command.ts")).verifyCommand },
  { name: "disclose", summary: "derive a proof bundle that hides chosen fields (selective disclosure, offline)", load: async () => (await import("./holder-commands.ts")).discloseCommand.run },
  { name: "export-vc", summary: "write a proof bundle in the W3C VC form (the credential with its anchor proof, offline)", load: async () => (await import("./holder-commands.ts")).exportVcCommand.run },
  { name: "share", summary: "share links for holders: create, list, revoke (and the holder's key)", load: async () => (await import("./share-commands.ts")).shareCommand.run },
  { name: "keys", summary: "create, list or revoke API keys (operator, on the service's machine)", load: async () => (await import("./operator-commands.ts")).keysCommand.run },
  { name: "status-list", summary: "build a status list from the chain alone, or check a published one against it", load: async () => (await import("./status-list-commands.ts")).statusListCommand.run },
  { name: "issuer", summary: "register issuers and manage their keys on the chain (accreditor / issuer admin)", load: async () => (await import("./issuer-admin-commands.ts")).issuerAdminCommand.run },
  { name: "backup", summary: "copy the service database consistently while it runs (mode 0600)", load: async () => (await import("./backup-command.ts")).backupCommand.run },
  { name: "restore", summary: "put a backup in place of the SQLite database and reconcile it with the chain", load: async () => (await import("./restore-command.ts")).restoreCommand.run },
  { name: "reconcile", summary: "learn from the chain the anchors a restored database lacks", load: async () => (await import("./restore-command.ts")).reconcileCommand.run },
];

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const found = COMMANDS.find((c) => c.name === command);
  if (found) return (await found.load())(rest);
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(usage());
      return command === undefined ? 2 : 0;
    default:
      console.error(`credanchor: unknown command "${command}"\n\n${usage()}`);
      return 2;
  }
}

const usage = () => USAGE_TEMPLATE.replace("__COMMANDS__", COMMAND_LIST());

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Bad flags, unreadable trust files: a clear line, never a stack trace.
  // Messages of settings and trust files span lines (one per problem); each line is escaped.
  for (const line of `credanchor: ${(error as Error).message}`.split("\n")) console.error(terminalSafe(line));
  process.exitCode = 2;
}
