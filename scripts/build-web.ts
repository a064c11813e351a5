// Builds the verifier page into ONE self-contained file, web/dist/verify.html: the verifier
// library bundled for browsers (esbuild), CSS and JS inlined, a strict Content-Security-Policy
// with their hashes, and the shipped address books embedded. Open it from disk or any static host.
//
// `npm run build:web` (also part of `npm run setup`); the service builds it on demand if missing.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const WEB_DIST = join(ROOT, "web", "dist");
export const PAGE = join(WEB_DIST, "verify.html");
/** Address books made by local development chains: never shipped inside the page. */
const LOCAL_BOOKS = new Set(["localhost.json", "default.json"]);

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * The shipped address books embedded in the page: `dir`'s `*.json` (default the package's
 * deployments/, where operators add theirs) except local development chains'.
 *
 * @example
 * const embedded = shippedBooks().length; // what the page counts before any served or loaded book
 */
export function shippedBooks(dir = join(ROOT, "deployments")): unknown[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json") && !LOCAL_BOOKS.has(name))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as unknown);
}

/** Points the page's `zod` imports (the schemas of src/) at web/zod-lite.ts, which takes from zod only what they use. */
export const zodLite: Plugin = {
  name: "zod-lite",
  setup(build) {
    const lite = join(ROOT, "web", "zod-lite.ts");
    build.onResolve({ filter: /^zod$/ }, (args) => (args.importer === lite ? undefined : { path: lite }));
  },
};

/** Builds the page; returns its path and its Content-Security-Policy (for the HTTP header too). */
export async function buildWebPage(): Promise<{ path: string; csp: string; bytes: number }> {
  const result = await build({
    entryPoints: [join(ROOT, "web", "main.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    plugins: [zodLite],
    define: { __EMBEDDED_BOOKS__: JSON.stringify(shippedBooks()) },
    logLevel: "silent",
  });
  const js = result.outputFiles[0]!.text.replace(/<\/script/gi, "<\\/script");
  const css = readFileSync(join(ROOT, "web", "verify.css"), "utf8");
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(js)}`,
    `style-src ${sha256(css)}`,
    "connect-src *", // the RPC endpoints the verifier chooses, and deployments.json beside the page
    "img-src data: https:", // a badge's own image: embedded, or fetched over https (no referrer)
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  const template = readFileSync(join(ROOT, "web", "verify.html"), "utf8");
  const html = template.replace("__CSP__", csp).replace("__CSS__", () => css).replace("__JS__", () => js);
  mkdirSync(WEB_DIST, { recursive: true });
  writeFileSync(PAGE, html);
  writeFileSync(join(WEB_DIST, "csp.txt"), csp + "\n");
  return { path: PAGE, csp, bytes: Buffer.byteLength(html) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { path, bytes } = await buildWebPage();
  console.log(`verifier page: ${path.slice(ROOT.length + 1)} (${(bytes / 1024).toFixed(0)} KiB, self-contained)`);
}
