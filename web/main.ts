// The verifier page: the same verifier library as the CLI, in the browser. Bundles are read
// locally; only read-only eth_calls go to the RPC endpoint set on the page.
import { createPublicClient, http, type Address, type PublicClient } from "viem";
import { BUNDLE_LIMITS, encodeBundle } from "../src/core/bundle.ts";
import { decodeCompactBundle } from "../src/core/bundle-compact.ts";
import { base64urlToBytes } from "../src/core/encoding.ts";
import { parseJson, type JsonLimits } from "../src/core/json.ts";
import { changedFields, findReference } from "../src/verifier/diagnose.ts";
import { statusHistoriesOf, type StatusEvent } from "../src/verifier/status-history.ts";
import { createTrustList, type TrustList } from "../src/verifier/trust.ts";
import { verifyBundles, type VerificationReport } from "../src/verifier/verify-bundle.ts";
import { disclosurePanel } from "./disclosure-view.ts";
import { canUseCamera, readQrImage, scanWithCamera } from "./qr-scan.ts";
import { explorerLink, renderReport, summary, type ReportExtras } from "./report-view.ts";
import { pageListReadings, proofLines, vcInputOf, vcPanel, type VcInput } from "./vc-view.ts";

/** Address books embedded when the page was built (the shipped deployments/*.json). */
declare const __EMBEDDED_BOOKS__: unknown[];

type Settings = { rpc: Record<number, string>; explorer: string; books: string; private: boolean };
const STORE = "credanchor.verifier.settings";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function fetchJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { cache: "no-store" });
    return response.ok ? parseJson(await response.text()) : undefined;
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
    const saved = parseJson(localStorage.getItem(STORE) ?? "null") as Partial<Settings> | null;
    if (saved) return { ...state.defaults, ...saved, rpc: { ...state.defaults.rpc, ...saved.rpc } };
  } catch {
    // no storage (file://, private mode): defaults
  }
  return structuredClone(state.defaults);
}

/** The address books pasted or loaded in Settings: one book or an array of books. */
function extraBooks(text: string): unknown[] {
  if (!text.trim()) return [];
  const parsed = parseJson(text);
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** A pasted JSON array of bundles: room for several bundles at their limits, one level deeper. */
const PASTE_LIMITS: JsonLimits = { maxBytes: BUNDLE_LIMITS.maxBytes * 8, maxDepth: BUNDLE_LIMITS.maxDepth + 1, maxFields: BUNDLE_LIMITS.maxFields * 8 };

/**
 * Several pasted bundles (a JSON array) are verified one by one; anything else is one bundle.
 * The array is read with the same strict parser as a bundle (a duplicate member name anywhere
 * makes it one unreadable paste, which the format check then reports), and each element goes on
 * as the text of a value that parser accepted.
 */
function pastedBundles(text: string): { source: string; text: string }[] {
  try {
    const parsed = parseJson(text, PASTE_LIMITS);
    if (Array.isArray(parsed) && parsed.length > 0) {
      return parsed.map((b, k) => ({ source: `pasted bundle ${k + 1} of ${parsed.length}`, text: JSON.stringify(b) }));
    }
  } catch {
    // not strict JSON: the format check says why
  }
  return [{ source: "pasted bundle", text }];
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

/** A read-only client for a chain, through the page's configured RPC (undefined without one). */
function clientFor(clients: Map<number, PublicClient>, chainId: number): PublicClient | undefined {
  const url = state.settings.rpc[chainId];
  if (!url) return undefined;
  if (!clients.has(chainId)) clients.set(chainId, createPublicClient({ transport: http(url, { retryCount: 1, timeout: 10_000 }) }) as PublicClient);
  return clients.get(chainId);
}

/** The status events of each revoked or suspended credential, read through the page's configured RPCs. */
async function statusHistories(reports: readonly VerificationReport[], trust: TrustList, clients: Map<number, PublicClient>): Promise<(StatusEvent[] | undefined)[]> {
  return statusHistoriesOf(reports, trust, (chainId) => clientFor(clients, chainId));
}

/** A VC's panel: its proofs, and its published lists read beside the chain (no chain read in private mode). */
async function vcPanelOf(input: VcInput, report: VerificationReport, clients: Map<number, PublicClient>): Promise<HTMLElement> {
  const client = report.bundle && !state.settings.private ? clientFor(clients, report.bundle.chainId) : undefined;
  const readings = report.bundle ? await pageListReadings(input.vc, report, client).catch(() => []) : [];
  return vcPanel(proofLines(input.vc, report), report, readings, input.problem);
}

/** Which fields a bundle that failed integrity had changed, against an intact one of the same credential verified with it. */
function diagnoses(reports: readonly VerificationReport[]): (ReportExtras["changes"] | undefined)[] {
  const bundles = reports.flatMap((r) => (r.bundle ? [r.bundle] : []));
  return reports.map(({ bundle, checks }) =>
    bundle && checks.some((c) => c.name === "integrity" && c.outcome === "fail") ? changedFields(bundle, findReference(bundle, bundles)) : undefined,
  );
}

/** A report whose bundle is intact gets the holder's "share fewer fields" panel. */
function withDisclosure(view: HTMLElement, source: string, report: VerificationReport): HTMLElement {
  const intact = report.checks.some((c) => c.name === "integrity" && c.outcome === "pass");
  if (report.bundle && intact) view.querySelector(".body")?.append(disclosurePanel(report.bundle, source));
  return view;
}

async function verify(inputs: { source: string; text: string }[]): Promise<void> {
  if (inputs.length === 0) {
    $("live").textContent = "Nothing to verify: drop a file or paste a bundle first.";
    return;
  }
  $("live").textContent = `Checking ${inputs.length} credential${inputs.length === 1 ? "" : "s"}…`;
  let books: unknown[] = [];
  try {
    books = [...state.books, ...extraBooks(state.settings.books)];
  } catch {
    books = [...state.books];
  }
  // A VC is verified as the bundle its anchor proof stands for; its own panel comes beside.
  const vcs = inputs.map((i) => vcInputOf(i.text, PASTE_LIMITS));
  let reports: VerificationReport[];
  let histories: (StatusEvent[] | undefined)[];
  let panels: (HTMLElement | undefined)[];
  try {
    const trust = createTrustList(books);
    const clients = new Map<number, PublicClient>();
    reports = await verifyBundles(
      inputs.map((i, k) => vcs[k]?.bundleText ?? i.text),
      { trust, rpc: state.settings.rpc, privacy: state.settings.private ? "private" : "direct" },
    );
    [histories, panels] = await Promise.all([
      statusHistories(reports, trust, clients),
      Promise.all(vcs.map((vc, k) => (vc ? vcPanelOf(vc, reports[k]!, clients) : undefined))),
    ]);
  } catch (error) {
    $("live").textContent = `Could not verify: ${(error as Error).message}`;
    return;
  }
  const changes = diagnoses(reports);
  const results = $("results");
  results.replaceChildren(
    ...inputs.map((input, k) => {
      const extras: ReportExtras = { explorer: state.settings.explorer };
      if (histories[k]) extras.history = histories[k];
      if (changes[k]) extras.changes = changes[k];
      const view = renderReport(input.source, reports[k]!, extras);
      const panel = panels[k];
      if (!panel) return withDisclosure(view, input.source, reports[k]!);
      view.dataset.form = "vc";
      view.querySelector(".body > details.checks")?.before(panel);
      return view;
    }),
  );
  results.firstElementChild?.scrollIntoView({ block: "start" });
  const counts = { valid: 0, invalid: 0, error: 0 };
  for (const r of reports) counts[r.verdict]++;
  $("live").textContent =
    reports.length === 1 ? `${summary(reports[0]!)}.` : `${counts.valid} valid, ${counts.invalid} invalid, ${counts.error} could not be decided.`;
}

/**
 * The bundle a link carries in its fragment (`#b=<base64url compact bundle>`, what a printed
 * certificate's QR code holds): fragments never reach a server, so the page verifies it alone.
 */
function fragmentBundle(hash: string): { source: string; text: string }[] {
  const match = /^#b=([A-Za-z0-9_-]+)$/.exec(hash);
  if (!match) return [];
  const bytes = base64urlToBytes(match[1]!);
  try {
    return [{ source: "QR code / link", text: encodeBundle(decodeCompactBundle(bytes ?? new Uint8Array())) }];
  } catch {
    // An unreadable link is reported like an unreadable file: the format check fails.
    return [{ source: "QR code / link", text: match[1]! }];
  }
}

/** A share link's token in a fragment (`#share=csl_…`): the service serves the disclosed bundle it names. */
const SHARE_FRAGMENT = /#share=(csl_[0-9a-f]{16}_[A-Za-z0-9_-]{43})$/;

/**
 * The bundle a share link serves, fetched from the service at `base` (the page's own, or the
 * link's). The service is only its transport: the page verifies it against the chain like any
 * file. A refused link (revoked, expired, unknown) is reported with the service's reason.
 */
async function sharedBundle(token: string, base: string): Promise<{ source: string; text: string }> {
  let reason: string;
  try {
    const response = await fetch(new URL(`/v1/share/${token}`, base), { cache: "no-store", referrerPolicy: "no-referrer" });
    const text = await response.text();
    if (response.ok) return { source: "share link", text };
    try {
      reason = (parseJson(text) as { error: { message: string } }).error.message;
    } catch {
      reason = `the service answered ${response.status}`;
    }
  } catch (error) {
    reason = `the service could not be reached (${(error as Error).message})`;
  }
  return { source: `share link: ${reason}`, text: "" };
}

/** What a link's fragment carries: a compact bundle (`#b=`) or a share link (`#share=`), resolved against `base`. */
async function linkedBundles(hash: string, base: string): Promise<{ source: string; text: string }[]> {
  const token = SHARE_FRAGMENT.exec(hash)?.[1];
  return token ? [await sharedBundle(token, base)] : fragmentBundle(hash);
}

async function readFiles(files: FileList | File[]): Promise<{ source: string; text: string }[]> {
  return Promise.all(Array.from(files).map(async (file) => ({ source: file.name, text: await file.text() })));
}

/**
 * What a QR code holds: a verifier link with the bundle in its fragment (a printed certificate's),
 * or anything else, verified as given so that the format check says it is no bundle.
 */
async function qrInputs(text: string | undefined, source: string): Promise<{ source: string; text: string }[]> {
  if (text === undefined) return [{ source: `${source}: no QR code could be read`, text: "" }];
  const share = SHARE_FRAGMENT.exec(text);
  if (share && URL.canParse(text)) return [await sharedBundle(share[1]!, text)];
  const fragment = /#b=[A-Za-z0-9_-]+$/.exec(text)?.[0];
  return fragment ? fragmentBundle(fragment).map((input) => ({ ...input, source })) : [{ source, text }];
}

/** Bundle files, and images of QR codes (decoded in the page). */
async function readBundleFiles(files: FileList | File[]): Promise<{ source: string; text: string }[]> {
  const read = async (file: File) =>
    file.type.startsWith("image/") ? await qrInputs(await readQrImage(file), `QR code in ${file.name}`) : [{ source: file.name, text: await file.text() }];
  return (await Promise.all(Array.from(files).map(read))).flat();
}

/** The camera button, shown only where the browser can give the page a camera. */
function setUpCamera(): void {
  const button = $<HTMLButtonElement>("qr-camera");
  if (!canUseCamera()) return;
  button.hidden = false;
  let scan: ReturnType<typeof scanWithCamera> | undefined;
  button.addEventListener("click", () => {
    if (scan) {
      scan.stop();
      return;
    }
    scan = scanWithCamera($<HTMLVideoElement>("qr-video"));
    button.textContent = "Stop the camera";
    $("live").textContent = "Hold the QR code in front of the camera…";
    scan.result
      .then(async (text) => {
        if (text === undefined) $("live").textContent = "Camera stopped.";
        else await verify(await qrInputs(text, "QR code (camera)"));
      })
      .catch((error: Error) => {
        $("live").textContent = `The camera could not be used: ${error.message}`;
      })
      .finally(() => {
        scan = undefined;
        button.textContent = "Scan a QR code with the camera";
      });
  });
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
    if (e.dataTransfer?.files.length) void readBundleFiles(e.dataTransfer.files).then(verify);
  });
  $<HTMLInputElement>("files").addEventListener("change", (e) => {
    const input = e.target as HTMLInputElement;
    if (input.files?.length) void readBundleFiles(input.files).then(verify);
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
  setUpCamera();
  window.addEventListener("hashchange", () => void linkedBundles(location.hash, location.href).then(verify));
  const linked = await linkedBundles(location.hash, location.href);
  if (linked.length) await verify(linked);
  document.body.dataset.ready = "true";
}

void init();
