// Selective disclosure on the page: the holder ticks the fields to share and downloads the
// derived bundle. The derivation runs here, with the library function `credanchor disclose`
// uses; nothing is sent anywhere, so hidden values never leave the holder's browser.
import { encodeBundle, type Bundle } from "../src/core/bundle.ts";
import { disclosableFields, discloseBundle } from "../src/core/bundle-disclosure.ts";
import { CredanchorError } from "../src/core/errors.ts";
import type { JsonValue } from "../src/core/json.ts";
import { parsePointer } from "../src/core/pointer.ts";

const PREVIEW_CHARS = 60;
let panels = 0; // ids unique across the reports on the page

/** The value at a pointer of the disclosed credential (every listed pointer exists). */
function valueAt(bundle: Bundle, pointer: string): JsonValue {
  let value: JsonValue = bundle.credential;
  for (const token of parsePointer(pointer)!) value = (value as Record<string, JsonValue>)[token]!;
  return value;
}

function preview(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? "" : "s"}]`;
  if (value !== null && typeof value === "object") return "{…}";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

/** The hidden pointers: unticked boxes whose parent is still shared (hiding a container hides what is under it). */
function hiddenPointers(boxes: readonly HTMLInputElement[]): string[] {
  const hidden: string[] = [];
  for (const box of boxes) {
    const pointer = box.value;
    if (!box.checked && !hidden.some((h) => pointer.startsWith(`${h}/`))) hidden.push(pointer);
  }
  return hidden;
}

/** A file name for the derived bundle: the source's name with "-shared" (a pasted bundle gets a fixed one). */
function derivedName(source: string): string {
  const base = /^[\w.-]+\.json$/i.test(source) ? source.replace(/\.json$/i, "") : "bundle";
  return `${base}-shared.json`;
}

/** Offers the derived bundle as a download made in the page (a blob: URL, revoked right after). */
function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text + "\n"], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * The "Share fewer fields" panel of one verified bundle: a box per field (ticked = shared), a
 * container's box governing everything under it, and a button that downloads the derived bundle.
 *
 * @example
 * article.append(disclosurePanel(report.bundle, "badge.json"));
 */
export function disclosurePanel(bundle: Bundle, source: string): HTMLElement {
  const details = document.createElement("details");
  details.className = "disclose";
  const summary = document.createElement("summary");
  summary.textContent = "Share fewer fields: choose what to keep and download a smaller bundle";
  const help = document.createElement("p");
  help.className = "hint";
  help.textContent =
    "Untick what you do not want to share. The new bundle is made in this browser (nothing is sent anywhere) and still verifies: the hidden values are gone from it, only their salted hashes stay.";
  const list = document.createElement("ul");
  list.className = "fields";
  const boxes: HTMLInputElement[] = [];
  const panel = ++panels;
  disclosableFields(bundle).forEach((pointer, k) => {
    const li = document.createElement("li");
    li.style.paddingLeft = `${(parsePointer(pointer)!.length - 1) * 1.2}rem`;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = pointer;
    box.id = `disclose-${panel}-${k}`;
    const label = document.createElement("label");
    label.htmlFor = box.id;
    const code = document.createElement("code");
    code.textContent = pointer;
    label.append(code, ` ${preview(valueAt(bundle, pointer))}`);
    li.append(box, label);
    list.append(li);
    boxes.push(box);
  });
  // A container's box governs its descendants: unticked, they are hidden with it.
  list.addEventListener("change", (e) => {
    const changed = e.target as HTMLInputElement;
    for (const box of boxes) {
      if (box.value.startsWith(`${changed.value}/`)) {
        box.checked = changed.checked;
        box.disabled = !changed.checked;
      }
    }
  });
  const status = document.createElement("p");
  status.className = "hint disclose-status";
  status.setAttribute("role", "status");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "download-derived";
  button.textContent = "Download the bundle with the ticked fields";
  button.addEventListener("click", () => {
    const hide = hiddenPointers(boxes);
    if (hide.length === 0) {
      status.textContent = "Untick at least one field to hide.";
      return;
    }
    try {
      download(encodeBundle(discloseBundle(bundle, hide)), derivedName(source));
      status.textContent = `Downloaded: ${hide.length} field${hide.length === 1 ? "" : "s"} hidden (${hide.join(", ")}).`;
    } catch (error) {
      status.textContent = error instanceof CredanchorError ? `Could not derive it: ${error.shortMessage}` : `Could not derive it: ${(error as Error).message}`;
    }
  });
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(button);
  details.append(summary, help, list, actions, status);
  return details;
}
