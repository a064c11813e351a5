// Builds the embeddable verifier, @credanchor/verifier, into dist/verifier/: one bundled ES module
// (src/verifier/package-entry.ts with viem, zod and the core inside; no runtime dependencies),
// its published types (scripts/verifier-package/index.d.ts), README and package.json. No server
// code: a build that pulls in express, SQLite, the API, the issuer or the store fails.
//
// `npm run build:verifier`, then `npm pack dist/verifier` for a tarball others install.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { zodLite } from "./build-web.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const VERIFIER_DIST = join(ROOT, "dist", "verifier");
const STATIC = join(ROOT, "scripts", "verifier-package");

/** What the package must never contain: the service's parts and their dependencies. */
export const SERVER_CODE = /(^|\/)(src\/(api|issuer|store|cli)\/|src\/server\.ts|node_modules\/(express|better-sqlite3|pino|pg)\/)/;

/**
 * Builds the package directory; returns it, its size and every source file bundled into it.
 *
 * @example
 * const { dir } = await buildVerifierPackage(); // then: npm pack <dir>
 */
export async function buildVerifierPackage(): Promise<{ dir: string; bytes: number; inputs: string[] }> {
  rmSync(VERIFIER_DIST, { recursive: true, force: true });
  mkdirSync(VERIFIER_DIST, { recursive: true });
  const result = await build({
    entryPoints: [join(ROOT, "src", "verifier", "package-entry.ts")],
    outfile: join(VERIFIER_DIST, "index.js"),
    bundle: true,
    format: "esm",
    // The browser build of viem and its peers (as the verifier page): it needs only fetch, which
    // Node ≥ 20 has too, so one file serves both (their Node builds would pull in `ws`).
    platform: "browser",
    target: "es2022",
    minify: true,
    plugins: [zodLite], // the page's slim zod: only the builders the schemas use
    legalComments: "eof", // the bundled libraries' licence notices stay
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  const server = inputs.filter((path) => SERVER_CODE.test(path));
  if (server.length) throw new Error(`the verifier package would contain server code: ${server.join(", ")}`);

  const ours = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; license: string };
  const manifest = {
    name: "@credanchor/verifier",
    version: ours.version,
    description: "Verify credanchor proof bundles against the blockchain, without the issuer: integrity, Merkle inclusion, anchor, issuer authorisation, revocation and suspension, validity dates.",
    license: ours.license,
    type: "module",
    main: "./index.js",
    types: "./index.d.ts",
    exports: { ".": { types: "./index.d.ts", default: "./index.js" } },
    sideEffects: false,
    engines: { node: ">=20" },
    files: ["index.js", "index.d.ts", "README.md"],
  };
  writeFileSync(join(VERIFIER_DIST, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  copyFileSync(join(STATIC, "index.d.ts"), join(VERIFIER_DIST, "index.d.ts"));
  copyFileSync(join(STATIC, "README.md"), join(VERIFIER_DIST, "README.md"));
  return { dir: VERIFIER_DIST, bytes: result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.bytes, inputs };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { dir, bytes } = await buildVerifierPackage();
  console.log(`verifier package: ${dir.slice(ROOT.length + 1)}/ (index.js ${(bytes / 1024).toFixed(0)} KiB, no dependencies); npm pack ${dir.slice(ROOT.length + 1)}`);
}
