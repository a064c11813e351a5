// The verifier page: the same verifier library as the CLI, in the browser. Bundles are read
// locally; only read-only eth_calls go to the RPC endpoint set on the page.
import { UNDECIDED_CODES } from "../src/verifier/result.ts";
import { createTrustList } from "../src/verifier/trust.ts";
import { verifyBundles, type VerificationReport } from "../src/verifier/verify-bundle.ts";

/** Address books embedded when the page was built (the shipped deployments/*.json). */
declare const __EMBEDDED_BOOKS__: unknown[];

type Settings = { rpc: Record<number, string>; explorer: string; books: string; private: boolean };
const STORE = "credanchor.verifier.settings";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

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
  SIGNER_KEY_INVALID: "signed with a key that was not authorised",
  LEAF_MISMATCH: "the credential was changed",
  PROOF_INVALID: "the proof does not match",
};

/** Words for "could not decide": why the chain could not be read (details stay in the check's row). */
const UNDECIDED: Record<string, string> = {
  RPC_UNAVAILABLE: "RPC unreachable",
  RPC_WRONG_CHAIN: "the RPC endpoint serves another chain",
  RPC_BAD_RESPONSE: "the RPC endpoint gave a malformed answer",
  NO_RPC: "no RPC endpoint set for this chain (see Settings)",
};

function summary(report: VerificationReport): string {
  if (report.verdict === "valid") return "Valid";
  const failed = report.checks.find((c) => c.outcome === "fail");
  if (report.verdict === "invalid") {
    if (failed?.name === "format") return "Invalid: not a readable proof bundle";
    return `Invalid: ${REASONS[failed?.code ?? ""] ?? failed?.message ?? "a check failed"}`;
  }
  const undecided = report.checks.find((c) => c.outcome === "skip" && UNDECIDED_CODES.has(c.code));
  return `Could not decide: ${UNDECIDED[undecided?.code ?? ""] ?? "the blockchain could not be read"}`;
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { cache: "no-store" });
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined; // opened from disk or hosted without the file
  }
}

function parseRpcLines(text: string): { rpc: Record<number, string>; errors: string[] } {
  const rpc: Record<number, string> = {};
  const errors: string[] = [];
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const match = /^(\d+)\s*=\s*(https?:\/\/\S+)$/.exec(line);
    if (match) rpc[Number(match[1])] = match[2]!;
    else errors.push(`"${line}" is not chainId=https://…`);
  }
  return { rpc, errors };
}

const state: { defaults: Settings; settings: Settings; books: unknown[] } = {
  defaults: { rpc: {}, explorer: "", books: "", private: false },
  settings: { rpc: {}, explorer: "", books: "", private: false },
  books: [],
};

function loadSettings(): Settings {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) ?? "null") as Partial<Settings> | null;
    if (saved) return { ...state.defaults, ...saved, rpc: { ...state.defaults.rpc, ...saved.rpc } };
  } catch {
    // no storage (file://, private mode): defaults
  }
  return structuredClone(state.defaults);
}

/** The address books pasted or loaded in Settings: one book or an array of books. */
function extraBooks(text: string): unknown[] {
  if (!text.trim()) return [];
  const parsed = JSON.parse(text) as unknown;
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** Several pasted bundles (a JSON array) are verified one by one; anything else is one bundle. */
function pastedBundles(text: string): { source: string; text: string }[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed) && parsed.length > 0) {
      return parsed.map((b, k) => ({ source: `pasted bundle ${k + 1} of ${parsed.length}`, text: JSON.stringify(b) }));
    }
  } catch {
    // not JSON: the format check says so
  }
  return [{ source: "pasted bundle", text }];
}

/** Only http(s) explorer links: a settings value must never become a `javascript:` link. */
function explorerLink(template: string, txHash: string): string | undefined {
  if (!template.includes("{tx}")) return undefined;
  try {
    const url = new URL(template.replace("{tx}", txHash));
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function showSettings(): void {
  $<HTMLTextAreaElement>("rpc").value = Object.entries(state.settings.rpc).map(([id, url]) => `${id}=${url}`).join("\n");
  $<HTMLInputElement>("explorer").value = state.settings.explorer;
  $<HTMLTextAreaElement>("books").value = state.settings.books;
  $<HTMLInputElement>("private").checked = state.settings.private;
  let count = state.books.length;
  try {
    count += extraBooks(state.settings.books).length;
  } catch {
    // reported on save
  }
  $("trusted").textContent = `${count} address book${count === 1 ? "" : "s"} trusted (shipped with the page or served beside it, plus yours).`;
}

function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className) el.className = className;
  return el;
}

function render(source: string, report: VerificationReport): HTMLElement {
  const box = document.createElement("article");
  box.className = "report";
  box.dataset.verdict = report.verdict;
  const icon = report.verdict === "valid" ? "✓" : report.verdict === "invalid" ? "✗" : "?";
  const verdict = document.createElement("div");
  verdict.className = `verdict ${report.verdict}`;
  verdict.append(text("span", icon), text("span", summary(report), "verdict-text"));
  box.append(verdict);
  const body = document.createElement("div");
  body.className = "body";
  body.append(text("p", source, "source"));
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const h of ["", "Check", "Result"]) head.append(text("th", h));
  const rows = table.createTBody();
  for (const check of report.checks) {
    const row = rows.insertRow();
    row.dataset.check = check.name;
    row.dataset.outcome = check.outcome;
    const mark = text("td", check.outcome === "pass" ? "✓" : check.outcome === "fail" ? "✗" : "–", `mark ${check.outcome}`);
    mark.setAttribute("aria-label", check.outcome === "pass" ? "passed" : check.outcome === "fail" ? "failed" : "not checked");
    row.append(mark, text("td", check.name), text("td", check.message));
  }
  body.append(table);
  if (report.anchor) {
    const a = report.anchor;
    const facts = document.createElement("dl");
    const add = (term: string, value: Node | string) => {
      facts.append(text("dt", term));
      const dd = document.createElement("dd");
      dd.append(value);
      facts.append(dd);
    };
    add("Issuer", `${a.issuerMetadataURI || "(no metadata)"} (issuer ${a.issuerId})`);
    const when = new Date(a.anchoredAt * 1000);
    add("Anchored", `${when.toISOString()} (${when.toLocaleString()})`);
    add("Block", `${a.blockNumber} on chain ${a.chainId}`);
    const href = explorerLink(state.settings.explorer, a.txHash);
    if (href) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = a.txHash;
      link.rel = "noopener noreferrer";
      add("Transaction", link);
    } else {
      add("Transaction", text("code", a.txHash));
    }
    add("Registry", text("code", a.registry));
    body.append(facts);
  }
  box.append(body);
  return box;
}

async function verify(inputs: { source: string; text: string }[]): Promise<void> {
  if (inputs.length === 0) {
    $("live").textContent = "Nothing to verify: drop a file or paste a bundle first.";
    return;
  }
  $("live").textContent = `Checking ${inputs.length} bundle${inputs.length === 1 ? "" : "s"}…`;
  let books: unknown[] = [];
  try {
    books = [...state.books, ...extraBooks(state.settings.books)];
  } catch {
    books = [...state.books];
  }
  let reports: VerificationReport[];
  try {
    reports = await verifyBundles(
      inputs.map((i) => i.text),
      { trust: createTrustList(books), rpc: state.settings.rpc, privacy: state.settings.private ? "private" : "direct" },
    );
  } catch (error) {
    $("live").textContent = `Could not verify: ${(error as Error).message}`;
    return;
  }
  const results = $("results");
  results.replaceChildren(...inputs.map((input, k) => render(input.source, reports[k]!)));
  const counts = { valid: 0, invalid: 0, error: 0 };
  for (const r of reports) counts[r.verdict]++;
  $("live").textContent =
    reports.length === 1 ? `${summary(reports[0]!)}.` : `${counts.valid} valid, ${counts.invalid} invalid, ${counts.error} could not be decided.`;
}

async function readFiles(files: FileList | File[]): Promise<{ source: string; text: string }[]> {
  return Promise.all(Array.from(files).map(async (file) => ({ source: file.name, text: await file.text() })));
}

async function init(): Promise<void> {
  const [served, config] = await Promise.all([fetchJson("deployments.json"), fetchJson("verify-config.json")]);
  state.books = [...__EMBEDDED_BOOKS__, ...(Array.isArray(served) ? served : [])];
  const rpc = ((config as { rpc?: Record<string, string> } | undefined)?.rpc ?? {}) as Record<number, string>;
  state.defaults = { rpc, explorer: (config as { explorer?: string } | undefined)?.explorer ?? "", books: "", private: false };
  state.settings = loadSettings();
  showSettings();

  // The whole window takes drops: a file let go beside the zone must not replace the page with it.
  const drop = $("drop");
  window.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  window.addEventListener("dragleave", (e) => {
    if (!e.relatedTarget) drop.classList.remove("over");
  });
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer?.files.length) void readFiles(e.dataTransfer.files).then(verify);
  });
  $<HTMLInputElement>("files").addEventListener("change", (e) => {
    const input = e.target as HTMLInputElement;
    if (input.files?.length) void readFiles(input.files).then(verify);
  });
  $("verify").addEventListener("click", () => {
    const pasted = $<HTMLTextAreaElement>("paste").value.trim();
    void verify(pasted ? pastedBundles(pasted) : []);
  });
  $("clear").addEventListener("click", () => {
    $<HTMLTextAreaElement>("paste").value = "";
    $("results").replaceChildren();
    $("live").textContent = "No bundle checked yet.";
  });
  $("settings").addEventListener("submit", (e) => {
    e.preventDefault();
    const { rpc: parsed, errors } = parseRpcLines($<HTMLTextAreaElement>("rpc").value);
    const books = $<HTMLTextAreaElement>("books").value;
    try {
      createTrustList(extraBooks(books));
    } catch (error) {
      errors.push(`the trusted deployments are not valid: ${(error as Error).message}`);
    }
    const explorer = $<HTMLInputElement>("explorer").value.trim();
    if (explorer && !explorerLink(explorer, "0x")) errors.push("the explorer URL must be http(s):// and contain {tx}");
    if (errors.length) {
      $("settings-status").textContent = `Not saved: ${errors.join("; ")}`;
      return;
    }
    state.settings = { rpc: parsed, explorer, books, private: $<HTMLInputElement>("private").checked };
    try {
      localStorage.setItem(STORE, JSON.stringify(state.settings));
      $("settings-status").textContent = "Saved.";
    } catch {
      $("settings-status").textContent = "Applied for this visit (the browser does not allow saving).";
    }
    showSettings();
  });
  $<HTMLInputElement>("book-files").addEventListener("change", async (e) => {
    const input = e.target as HTMLInputElement;
    const loaded: unknown[] = [];
    for (const { source, text } of await readFiles(input.files ?? [])) {
      try {
        loaded.push(...extraBooks(text));
      } catch (error) {
        $("settings-status").textContent = `${source} is not JSON: ${(error as Error).message}`;
        return;
      }
    }
    const current = $<HTMLTextAreaElement>("books");
    let existing: unknown[] = [];
    try {
      existing = extraBooks(current.value);
    } catch {
      // replaced by the loaded files
    }
    current.value = JSON.stringify([...existing, ...loaded], null, 2);
    $("settings-status").textContent = `Loaded ${loaded.length} address book${loaded.length === 1 ? "" : "s"}: save to use them.`;
    input.value = "";
  });
  $("reset").addEventListener("click", () => {
    try {
      localStorage.removeItem(STORE);
    } catch {
      // nothing saved
    }
    state.settings = structuredClone(state.defaults);
    showSettings();
    $("settings-status").textContent = "Back to the defaults.";
  });
  document.body.dataset.ready = "true";
}

void init();
