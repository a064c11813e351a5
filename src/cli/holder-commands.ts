// Holder commands of `credanchor`: work on a proof bundle file, offline (no API, no chain).
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { decodeBundle, encodeBundle, type Bundle } from "../core/bundle.ts";
import { disclosableFields, discloseBundle } from "../core/bundle-disclosure.ts";
import { CredanchorError } from "../core/errors.ts";
import type { JsonValue } from "../core/json.ts";
import { parsePointer } from "../core/pointer.ts";
import type { Command } from "./issuer-commands.ts";
import { exportBundleAsVc } from "../vc/export-bundle.ts";
import { terminalSafe } from "./terminal.ts";

const DISCLOSE_USAGE = `Usage: credanchor disclose <bundle.json> --hide <pointer>… [--out derived.json]
       credanchor disclose <bundle.json> --list

Writes a derived proof bundle that hides the named fields: their values are gone from it, only
their salted hashes stay, and it still verifies against the same anchor. Fields are JSON
pointers (RFC 6901), e.g. /credentialSubject/birthDate; hiding an object or array hides
everything under it. Works offline; the anchor and the issuer are not contacted.

Options:
  --hide <pointer>       a field to hide (repeatable)
  --list                 list the fields that can be hidden, with their values (shortened)
  --out <file>           write the derived bundle here (default: standard output)
  -h, --help             show this help

Exit code: 0 done, 2 unreadable bundle or a pointer that names no disclosed field.`;

const PREVIEW_CHARS = 60;

/** The value at a pointer of the disclosed credential (every listed pointer exists). */
function valueAt(bundle: Bundle, pointer: string): JsonValue {
  let value: JsonValue = bundle.credential;
  for (const token of parsePointer(pointer)!) value = (value as Record<string, JsonValue>)[token]!;
  return value;
}

function preview(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? "" : "s"}]`;
  if (value !== null && typeof value === "object") return "{…}";
  const text = JSON.stringify(value);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

function printError(command: string, error: unknown): void {
  if (!(error instanceof CredanchorError)) throw error;
  console.error(terminalSafe(`credanchor ${command}: ${error.shortMessage} (${error.code})`));
  for (const d of error.details) console.error(terminalSafe(`  ${d.path === "" ? "(root)" : d.path}: ${d.message}`));
}

async function runDisclose(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      hide: { type: "string", multiple: true, default: [] },
      list: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(DISCLOSE_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || (!values.list && values.hide.length === 0)) {
    console.error(`credanchor disclose: name one bundle file and --hide or --list\n\n${DISCLOSE_USAGE}`);
    return 2;
  }
  try {
    const bundle = decodeBundle(readFileSync(positionals[0]!, "utf8"));
    if (values.list) {
      const fields = disclosableFields(bundle);
      const width = Math.min(48, Math.max(...fields.map((p) => p.length)));
      for (const pointer of fields) console.log(terminalSafe(`${pointer.padEnd(width)}  ${preview(valueAt(bundle, pointer))}`));
      return 0;
    }
    const derived = encodeBundle(discloseBundle(bundle, values.hide));
    if (values.out) writeFileSync(values.out, derived + "\n");
    else process.stdout.write(derived + "\n");
    return 0;
  } catch (error) {
    return failed("disclose", positionals[0]!, error);
  }
}

/** Exit code 2 for an unreadable file or a refused bundle, printed; anything else is a bug and propagates. */
function failed(command: string, file: string, error: unknown): number {
  if (error instanceof CredanchorError) {
    printError(command, error);
    return 2;
  }
  if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "EISDIR") {
    console.error(terminalSafe(`credanchor ${command}: cannot read ${file}: ${(error as Error).message}`));
    return 2;
  }
  throw error;
}

export const discloseCommand: Command = {
  name: "disclose",
  usage: DISCLOSE_USAGE,
  run: runDisclose,
};

const EXPORT_VC_USAGE = `Usage: credanchor export-vc <bundle.json> [--out credential.vc.json]

Writes a proof bundle in the W3C VC form: the credential exactly as anchored, with one proof,
the credanchor-merkle-2026 anchor proof (a DataIntegrityProof carrying the rest of the bundle).
"credanchor verify" and the verifier page check it against the chain like the bundle. Nothing
is added to the credential (every member is anchored): a credential anchored without
credentialStatus has none (its on-chain status index is in the anchor proof), and there is no
issuer signature (a v1 bundle has none). Works offline.

Options:
  --out <file>           write the VC here (default: standard output)
  -h, --help             show this help

Exit code: 0 done, 2 unreadable bundle, or a credential that is not a W3C VC.`;

async function runExportVc(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: "string" }, help: { type: "boolean", short: "h", default: false } } });
  if (values.help) {
    console.log(EXPORT_VC_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`credanchor export-vc: name one bundle file\n\n${EXPORT_VC_USAGE}`);
    return 2;
  }
  try {
    const vc = JSON.stringify(exportBundleAsVc(readFileSync(positionals[0]!, "utf8")), null, 2);
    if (values.out) writeFileSync(values.out, vc + "\n");
    else process.stdout.write(vc + "\n");
    return 0;
  } catch (error) {
    return failed("export-vc", positionals[0]!, error);
  }
}

export const exportVcCommand: Command = {
  name: "export-vc",
  usage: EXPORT_VC_USAGE,
  run: runExportVc,
};
