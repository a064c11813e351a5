// npm run test:w3c: runs the W3C / CCG conformance suites against credanchor served over HTTPS with a
// self-signed certificate, from fetched copies outside the repository (never committed), and prints their counts.
//
// The suites and their `github:` dependencies are read from git mirrors (`W3C_MIRROR_DIR`, default
// /work/.mirror/<owner>+<name>/repo, as the `fetch` tool leaves them), extracted under
// `W3C_SUITES_DIR` (default /work/w3c-suites), their package.json rewritten there to take those
// dependencies from `file:` copies, and installed from the npm registry. Then one service starts
// (local chain, demo issuer, HTTPS), each suite gets a localConfig.cjs naming it, and runs.
//
// Usage: npm run test:w3c [-- --only <suite>,… --prepare-only --keep]
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { loadConfig } from "../src/config.ts";
import { startServer } from "../src/server.ts";
import { importAssertionKey } from "../src/vc/keys.ts";
import { selfSignedCertificate } from "../test/helpers/tls.ts";

const MIRRORS = process.env.W3C_MIRROR_DIR ?? "/work/.mirror";
const SUITES_DIR = process.env.W3C_SUITES_DIR ?? "/work/w3c-suites";

/** A suite: its repository, the endpoints' tags its tests filter on, and whether it needs Node ≤ 20 to load. */
type Suite = { name: string; repo: string; issuerTags: string[]; verifierTags: string[]; node20?: true };

const SUITES: readonly Suite[] = [
  { name: "vc-data-model-2.0", repo: "w3c/vc-data-model-2.0-test-suite", issuerTags: ["vc2.0"], verifierTags: ["vc2.0"] },
  // Its vc-generator structuredClones @digitalbazaar/credentials-context's named contexts, which hold URL objects: Node ≥ 21 refuses to clone them.
  { name: "vc-di-eddsa", repo: "w3c/vc-di-eddsa-test-suite", issuerTags: ["eddsa-rdfc-2022"], verifierTags: ["eddsa-rdfc-2022"], node20: true },
  { name: "vc-api-issuer", repo: "w3c-ccg/vc-api-issuer-test-suite", issuerTags: ["vc-api"], verifierTags: [] },
  { name: "vc-api-verifier", repo: "w3c-ccg/vc-api-verifier-test-suite", issuerTags: [], verifierTags: ["vc-api"] },
  { name: "vc-bitstring-status-list", repo: "w3c/vc-bitstring-status-list-test-suite", issuerTags: ["BitstringStatusList"], verifierTags: ["BitstringStatusList"] },
];

const dirName = (repo: string) => repo.replace("/", "+");
const mirrorOf = (repo: string) => join(MIRRORS, dirName(repo), "repo");
const copyOf = (repo: string) => join(SUITES_DIR, dirName(repo));
const git = (repo: string, ...args: string[]) => execFileSync("git", ["--git-dir", mirrorOf(repo), ...args], { encoding: "utf8" }).trim();

/** `github:owner/name#ref` → `owner/name`; anything else → undefined. */
const githubRepoOf = (spec: string) => /^(?:github:|git\+https:\/\/github\.com\/)([\w.-]+\/[\w.-]+?)(?:\.git)?(?:#.*)?$/.exec(spec)?.[1];

/**
 * Extracts `repo` from its mirror into SUITES_DIR (once per commit) and points its `github:`
 * dependencies at `file:` copies prepared the same way; a suite (`install`) is then installed,
 * its `file:` dependencies copied in like registry packages. Returns its directory.
 */
function prepare(repo: string, install: boolean, seen = new Set<string>()): string {
  const dir = copyOf(repo);
  if (seen.has(repo)) return dir;
  seen.add(repo);
  if (!existsSync(mirrorOf(repo))) throw new Error(`no mirror of ${repo} at ${mirrorOf(repo)}: fetch github:${repo} first`);
  const commit = git(repo, "rev-parse", "HEAD");
  const stamp = join(dir, ".credanchor-prepared");
  const pkgPath = join(dir, "package.json");
  if (!(existsSync(stamp) && readFileSync(stamp, "utf8") === commit)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync("sh", ["-c", `git --git-dir "${mirrorOf(repo)}" archive HEAD | tar -x -C "${dir}"`]);
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as Record<string, Record<string, string> | undefined>;
    for (const field of ["dependencies", "devDependencies"]) {
      for (const [name, spec] of Object.entries(pkg[field] ?? {})) {
        const dep = githubRepoOf(spec);
        if (dep) pkg[field]![name] = `file:${relative(dir, prepare(dep, false, seen))}`;
      }
    }
    writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + "\n");
    rmSync(join(dir, "package-lock.json"), { force: true });
    if (install) {
      console.log(`installing ${repo} (${commit.slice(0, 7)}) in ${dir} …`);
      // --install-links: file: dependencies are packed and installed like registry packages, their dependencies beside them.
      execFileSync("npm", ["install", "--install-links", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "inherit" });
    }
    writeFileSync(stamp, commit);
  }
  return dir;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });

/** The localConfig.cjs naming credanchor's endpoints with `suite`'s tags. */
function localConfig(suite: Suite, base: string, issuerDid: string, token: string): string {
  const implementation = {
    name: "credanchor",
    implementation: "credanchor",
    issuers: suite.issuerTags.length ? [{ id: issuerDid, endpoint: `${base}/credentials/issue`, tags: suite.issuerTags, headers: { Authorization: `Bearer ${token}` } }] : [],
    verifiers: suite.verifierTags.length ? [{ id: `${base}/credentials/verify`, endpoint: `${base}/credentials/verify`, tags: suite.verifierTags }] : [],
    vpVerifiers: suite.verifierTags.length ? [{ id: `${base}/presentations/verify`, endpoint: `${base}/presentations/verify`, tags: suite.verifierTags }] : [],
  };
  return `// Written by credanchor's scripts/w3c-suites.ts for this run.\nmodule.exports = ${JSON.stringify({ settings: { enableInteropTests: false, testAllImplementations: false }, implementations: [implementation] }, null, 2)};\n`;
}

/** A Node ≤ 20 binary for suites that need one (`W3C_NODE20`, else the system's `node` if it is ≤ 20). */
function node20(): string | undefined {
  for (const candidate of [process.env.W3C_NODE20, "/usr/bin/node", "/usr/local/bin/node"]) {
    if (!candidate || !existsSync(candidate)) continue;
    const major = Number(/^v(\d+)/.exec(execFileSync(candidate, ["--version"], { encoding: "utf8" }))?.[1]);
    if (major >= 18 && major <= 20) return candidate;
  }
  return undefined;
}

type Counts = { suite: string; passes: number; failures: number; pending: number; failed: { title: string; message: string }[]; error?: string };

/** Runs one suite's mocha tests with the JSON reporter; resolves with its counts. */
function runSuite(suite: Suite, dir: string, caFile: string, outDir: string): Promise<Counts> {
  const out = join(outDir, `${suite.name}.json`);
  rmSync(out, { force: true });
  const testDir = existsSync(join(dir, "tests")) ? "tests/" : "test/";
  const args = [join(dir, "node_modules/mocha/bin/mocha.js"), testDir, "--reporter", "json", "--reporter-option", `output=${out}`, "--timeout", "30000", "--preserve-symlinks", "--exit"];
  const env = { ...process.env, APP_ROOT_PATH: dir, NODE_EXTRA_CA_CERTS: caFile, NODE_TLS_REJECT_UNAUTHORIZED: "0", NODE_NO_WARNINGS: "1" };
  const node = suite.node20 ? node20() : process.execPath;
  if (!node) return Promise.resolve({ suite: suite.name, passes: 0, failures: 0, pending: 0, failed: [], error: "needs Node 18–20 (set W3C_NODE20 to one): it structuredClones URL objects, which Node ≥ 21 refuses" });
  return new Promise((resolve) => {
    const child = spawn(node, args, { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on("close", () => {
      if (!existsSync(out)) return resolve({ suite: suite.name, passes: 0, failures: 0, pending: 0, failed: [], error: stderr.trim().split("\n").slice(-8).join("\n") || "no report" });
      const report = JSON.parse(readFileSync(out, "utf8")) as { stats: { passes: number; failures: number; pending: number }; failures: { fullTitle: string; err: { message?: string } }[] };
      resolve({
        suite: suite.name,
        ...report.stats,
        failed: report.failures.map((f) => ({ title: f.fullTitle, message: String(f.err?.message ?? "").split("\n")[0]!.slice(0, 300) })),
      });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: "string" }, "prepare-only": { type: "boolean" }, keep: { type: "boolean" } } });
  const only = values.only?.split(",");
  const suites = SUITES.filter((s) => !only || only.includes(s.name));
  mkdirSync(SUITES_DIR, { recursive: true });
  const dirs = new Map(suites.map((s) => [s.name, prepare(s.repo, true)]));
  if (values["prepare-only"]) return;

  const work = mkdtempSync(join(tmpdir(), "credanchor-w3c-"));
  const tls = selfSignedCertificate(work);
  const config = loadConfig({}, {
    host: "127.0.0.1",
    port: 0,
    dataDir: join(work, "data"),
    chainPort: await freePort(),
    tlsCertFile: tls.certFile,
    tlsKeyFile: tls.keyFile,
    batchMaxWaitSeconds: 1,
    verifyRatePerMinute: 0,
    logLevel: "silent",
  });
  const server = await startServer(config, { logger: pino({ level: "silent" }) });
  const results: Counts[] = [];
  try {
    const demo = server.demo!;
    const demoKeys = JSON.parse(readFileSync(join(config.dataDir, "demo-keys.json"), "utf8")) as { assertionKey: string };
    const issuerDid = (await importAssertionKey(demoKeys.assertionKey)).did;
    console.log(`credanchor at ${server.url} (issuer ${demo.issuerId}, ${issuerDid})`);
    const outDir = join(SUITES_DIR, "results");
    mkdirSync(outDir, { recursive: true });
    for (const suite of suites) {
      const dir = dirs.get(suite.name)!;
      writeFileSync(join(dir, "localConfig.cjs"), localConfig(suite, server.url, issuerDid, demo.issuerApiKey));
      console.log(`running ${suite.repo} …`);
      const counts = await runSuite(suite, dir, tls.certFile, outDir);
      results.push(counts);
      console.log(`  ${counts.suite}: ${counts.passes} passed, ${counts.failures} failed, ${counts.pending} pending${counts.error ? `\n  could not run: ${counts.error}` : ""}`);
    }
  } finally {
    await server.stop();
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
  console.log("\nsuite | passed | failed | pending");
  for (const r of results) console.log(`${r.suite} | ${r.passes} | ${r.failures} | ${r.pending}${r.error ? " (did not run)" : ""}`);
  for (const r of results.filter((x) => x.failed.length)) {
    console.log(`\n${r.suite} failures:`);
    for (const f of r.failed) console.log(`- ${f.title}: ${f.message}`);
  }
  if (results.some((r) => r.error || r.failures > 0)) process.exitCode = 1;
}

await main();
