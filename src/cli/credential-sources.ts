// Where `credanchor issue` reads credentials from: files, directories, list files, stdin (JSON
// Lines) and CSV rows through a template; each credential keeps the name of where it came from.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";

/** One credential to submit, and where it was read (`file`, `file[3]`, `file:12`, `file: row 5`). */
export type SourcedCredential = { source: string; credential: unknown };

/** A problem with the inputs, found before anything is submitted. */
export class InputError extends Error {
  override name = "InputError";
}

export type ReadSourcesOptions = {
  /** A credential template with `{{column}}` placeholders, for CSV inputs. */
  template?: string | undefined;
  /** Files listing one input path a line. */
  lists?: readonly string[] | undefined;
  /** Reads standard input (for `-`). */
  stdin?: () => string;
  /** Notes for the user (API request shapes recognised, CSV columns unused). */
  note?: (message: string) => void;
};

const JSON_LINES = new Set([".jsonl", ".ndjson"]);
const DIRECTORY_INPUTS = new Set([".json", ".csv", ...JSON_LINES]);

/**
 * Reads every input in order. A path may be a JSON file (one credential, an array of them, or an
 * API request body `{"credentials": [...]}`), a JSON Lines file (`.jsonl`, `.ndjson`), a CSV file
 * (with a template), a directory (its `.json`, `.jsonl`, `.ndjson` and `.csv` files, by name), or
 * `-` for JSON Lines on standard input.
 *
 * @throws InputError naming the file (and line or row) that cannot be read.
 * @example
 * readCredentialSources(["cohort.csv"], { template: "badge-template.json" });
 * // [{ source: "cohort.csv: row 1", credential: {...} }, …]
 */
export function readCredentialSources(inputs: readonly string[], options: ReadSourcesOptions = {}): SourcedCredential[] {
  const paths = [...inputs, ...(options.lists ?? []).flatMap(readListFile)];
  const template = options.template === undefined ? undefined : loadTemplate(options.template);
  const out: SourcedCredential[] = [];
  for (const path of paths) {
    if (path === "-") {
      out.push(...fromJsonLines("stdin", (options.stdin ?? (() => readFileSync(0, "utf8")))()));
      continue;
    }
    for (const file of expand(path)) out.push(...readFile(file, template, options.note));
  }
  return out;
}

function readListFile(list: string): string[] {
  return readText(list)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (error as Error).message}`);
  }
}

/** A directory becomes its input files, sorted by name; anything else stays as it is. */
function expand(path: string): string[] {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    return [path]; // readText reports it
  }
  if (!isDirectory) return [path];
  const files = readdirSync(path)
    .filter((name) => DIRECTORY_INPUTS.has(extname(name).toLowerCase()))
    .sort()
    .map((name) => join(path, name));
  if (files.length === 0) throw new InputError(`${path}: the directory holds no .json, .jsonl, .ndjson or .csv file`);
  return files;
}

function readFile(file: string, template: Template | undefined, note: ((m: string) => void) | undefined): SourcedCredential[] {
  const ext = extname(file).toLowerCase();
  const text = readText(file);
  if (JSON_LINES.has(ext)) return fromJsonLines(file, text);
  if (ext === ".csv") {
    if (!template) throw new InputError(`${file}: a CSV file needs --template <credential.json> (a credential with {{column}} placeholders)`);
    return fromCsv(file, text, template, note);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(value)) return value.map((credential, i) => ({ source: `${file}[${i}]`, credential }));
  if (isRequestBody(value)) {
    note?.(`${file}: an API request body {"credentials": [...]}: issuing its ${value.credentials.length} credential(s)`);
    return value.credentials.map((credential, i) => ({ source: `${file}[${i}]`, credential }));
  }
  return [{ source: file, credential: value }];
}

/** `{"credentials": [...]}` and nothing a credential has: the body of POST /v1/credentials. */
function isRequestBody(value: unknown): value is { credentials: unknown[] } {
  if (typeof value !== "object" || value === null) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === "credentials" && Array.isArray((value as { credentials: unknown }).credentials);
}

function fromJsonLines(name: string, text: string): SourcedCredential[] {
  const out: SourcedCredential[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    try {
      out.push({ source: `${name}:${i + 1}`, credential: JSON.parse(line) });
    } catch (error) {
      throw new InputError(`${name}:${i + 1}: not JSON: ${(error as Error).message}`);
    }
  }
  return out;
}

// ── CSV through a template ──────────────────────────────────────────────────────────────────

type Template = { file: string; value: unknown; columns: Set<string> };

const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([^{}]+?)\s*\}\}$/;

function loadTemplate(file: string): Template {
  let value: unknown;
  try {
    value = JSON.parse(readText(file));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${file}: the template is not JSON: ${(error as Error).message}`);
  }
  const columns = new Set<string>();
  const collect = (v: unknown): void => {
    if (typeof v === "string") for (const m of v.matchAll(PLACEHOLDER)) columns.add(m[1]!);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(collect);
  };
  collect(value);
  if (columns.size === 0) throw new InputError(`${file}: the template has no {{column}} placeholder`);
  return { file, value, columns };
}

const DROP = Symbol("drop");

/**
 * Fills a template from one CSV row. A string that is only `{{column}}` takes the cell's text,
 * and disappears (property or array item) when the cell is empty, so optional fields stay
 * optional; placeholders inside longer strings are replaced by the cell's text.
 */
export function fillTemplate(template: unknown, row: Readonly<Record<string, string>>): unknown {
  const fill = (v: unknown): unknown => {
    if (typeof v === "string") {
      const whole = WHOLE_PLACEHOLDER.exec(v);
      if (whole) return row[whole[1]!] === "" ? DROP : row[whole[1]!];
      return v.replace(PLACEHOLDER, (_, column: string) => row[column] ?? "");
    }
    if (Array.isArray(v)) return v.map(fill).filter((x) => x !== DROP);
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const filled = fill(x);
        if (filled !== DROP) out[k] = filled;
      }
      return out;
    }
    return v;
  };
  return fill(template);
}

function fromCsv(file: string, text: string, template: Template, note: ((m: string) => void) | undefined): SourcedCredential[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { columns: true, bom: true, trim: true, skip_empty_lines: true, info: true }) as typeof records;
  } catch (error) {
    throw new InputError(`${file}: not valid CSV: ${(error as Error).message}`);
  }
  if (records.length === 0) throw new InputError(`${file}: no rows under the header`);
  const header = Object.keys(records[0]!.record);
  const missing = [...template.columns].filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new InputError(`${file}: the template ${template.file} uses column(s) ${missing.map((c) => `"${c}"`).join(", ")} that the CSV header lacks (it has ${header.map((c) => `"${c}"`).join(", ")})`);
  }
  const unused = header.filter((c) => !template.columns.has(c));
  if (unused.length > 0) note?.(`${file}: column(s) not used by the template: ${unused.join(", ")}`);
  return records.map(({ record }, i) => ({ source: `${file}: row ${i + 1}`, credential: fillTemplate(template.value, record) }));
}
