// The embeddable verifier package (@credanchor/verifier) as an outsider gets it: built, packed with
// npm, installed offline from the tarball into an empty project, then used there by a plain node
// script against a real chain and type-checked by a TypeScript consumer against the shipped types.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import type * as Public from "../../scripts/verifier-package/index.d.ts";
import { buildVerifierPackage, SERVER_CODE } from "../../scripts/build-verifier.ts";
import type { Bundle, decodeBundle } from "../../src/core/bundle.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import type { createTrustList } from "../../src/verifier/trust.ts";
import type { verifyBundle, verifyBundles } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

// The published types are a contract the library must keep (checked by `tsc`, nothing runs):
// each function of the library is usable wherever the published one is (its reports fit the
// published report type, and it accepts the published options).
type Fits<A extends B, B> = A extends B ? true : never;
export const contract: [
  Fits<typeof verifyBundle, typeof Public.verifyBundle>,
  Fits<typeof verifyBundles, typeof Public.verifyBundles>,
  Fits<typeof createTrustList, typeof Public.createTrustList>,
  Fits<typeof decodeBundle, typeof Public.decodeBundle>,
  Fits<Bundle, Public.Bundle>,
] = [true, true, true, true, true];

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };

/** What an employer's system would write: verify each bundle file named on the command line. */
const CONSUMER_JS = `import { readFileSync } from "node:fs";
import { createTrustList, verifyBundle, CHECK_NAMES } from "@credanchor/verifier";
const [book, rpc, ...files] = process.argv.slice(2);
const trust = createTrustList([JSON.parse(readFileSync(book, "utf8"))]);
const out = [];
for (const file of files) {
  const report = await verifyBundle(readFileSync(file, "utf8"), { trust, rpc: { 31337: rpc } });
  out.push({ verdict: report.verdict, failed: report.checks.filter((c) => c.outcome === "fail").map((c) => c.code), identity: report.anchor?.issuerIdentity });
}
console.log(JSON.stringify({ checks: CHECK_NAMES, reports: out }));
`;

/** A TypeScript consumer: compiles against the shipped index.d.ts only when the types are right. */
const CONSUMER_TS = `import { createTrustList, decodeBundle, verifyBundle, type Check, type VerificationReport } from "@credanchor/verifier";
declare const bookJson: unknown;
declare const text: string;
export async function check(): Promise<string> {
  const trust = createTrustList([bookJson]);
  const bundle = decodeBundle(text);
  const report: VerificationReport = await verifyBundle(bundle, { trust, rpc: { [bundle.chainId]: "https://rpc.example" }, privacy: "private" });
  const failed: Check[] = report.checks.filter((c) => c.outcome === "fail");
  const block: number | undefined = report.anchor?.blockNumber;
  return \`\${report.verdict} \${failed.map((c) => c.code).join(",")} \${block ?? "-"} \${bundle.statusIndex.toFixed(0)}\`;
}
`;

/** The same consumer with a mistake: it must not compile (the types are real, not `any`). */
const WRONG_TS = `import { verifyBundle } from "@credanchor/verifier";
export async function check(): Promise<boolean> {
  const report = await verifyBundle("{}", { trust: undefined, rpc: { 1: "https://rpc.example" } });
  const outcome: boolean = report.checks[0]!.outcome;
  return outcome && report.verdict === "ok";
}
`;

describe("the verifier package: built, packed, installed offline, used from node and TypeScript", function () {
  this.timeout(300_000);
  let chain: Chain;
  let stack: Stack;
  let work: string;
  let project: string;

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    work = mkdtempSync(join(tmpdir(), "credanchor-verifier-pkg-"));
    project = join(work, "employer");
  });

  after(async function () {
    await closeStack(stack);
  });

  it("default: npm pack → npm install --offline into an empty project → a plain node script verifies a real bundle against the chain (and a changed one fails)", async function () {
    const { dir, inputs } = await buildVerifierPackage();
    expect(inputs.filter((path) => SERVER_CODE.test(path)), "no server code bundled").to.deep.equal([]);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    const ours = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(manifest).to.include({ name: "@credanchor/verifier", version: ours.version, type: "module", types: "./index.d.ts" });
    expect(manifest, "no runtime dependencies: everything is bundled").not.to.have.any.keys("dependencies", "peerDependencies", "optionalDependencies");
    const bundled = readFileSync(join(dir, "index.js"), "utf8");
    for (const word of ["better-sqlite3", "express", "CREATE TABLE"]) expect(bundled, word).not.to.include(word);

    execFileSync("npm", ["pack", "--pack-destination", work, "--silent"], { cwd: dir, stdio: "pipe" });
    const tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
    expect(tarball).to.match(/credanchor-verifier-\d+\.\d+\.\d+\.tgz$/);
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "employer", version: "1.0.0", private: true, type: "module" }));
    execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], { cwd: project, stdio: "pipe" });
    expect(readdirSync(join(project, "node_modules")).filter((f) => !f.startsWith(".")), "the package alone is installed").to.deep.equal(["@credanchor"]);

    // A real credential through the real pipeline; its bundle and a copy changed after issue.
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [sampleBadge()] });
    const id = credentials[0]!.id;
    await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).state === "confirmed");
    const bundle = (await stack.service.getCredential(issuer1, id)).bundle!;
    const changed = structuredClone(bundle);
    ((changed.credential.credentialSubject as JsonObject).achievement as JsonObject).name = "Doctor of Medicine";
    writeFileSync(join(project, "badge.json"), JSON.stringify(bundle));
    writeFileSync(join(project, "changed.json"), JSON.stringify(changed));
    writeFileSync(join(project, "book.json"), JSON.stringify(chain.addressBook("employer-test")));
    writeFileSync(join(project, "verify.js"), CONSUMER_JS);

    const run = spawnSync(process.execPath, ["verify.js", "book.json", chain.url, "badge.json", "changed.json"], { cwd: project, encoding: "utf8" });
    expect(run.status, run.stderr).to.equal(0);
    const result = JSON.parse(run.stdout) as { checks: string[]; reports: { verdict: string; failed: string[]; identity?: string }[] };
    expect(result.checks).to.deep.equal(["format", "integrity", "inclusion", "anchored", "issuer", "status", "validity"]);
    expect(result.reports[0]).to.deep.include({ verdict: "valid", failed: [] });
    expect(result.reports[0]!.identity).to.be.a("string");
    expect(result.reports[1]).to.deep.include({ verdict: "invalid", failed: ["LEAF_MISMATCH"] });
  });

  it("behavior: a TypeScript consumer type-checks against the shipped index.d.ts with our tsc; a wrong one does not", function () {
    const tsc = (file: string) =>
      spawnSync(process.execPath, [TSC, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2022,dom", "--skipLibCheck", "false", file], { cwd: project, encoding: "utf8" });
    writeFileSync(join(project, "consumer.ts"), CONSUMER_TS);
    const ok = tsc("consumer.ts");
    expect(ok.status, ok.stdout + ok.stderr).to.equal(0);
    writeFileSync(join(project, "wrong.ts"), WRONG_TS);
    const wrong = tsc("wrong.ts");
    expect(wrong.status).to.not.equal(0);
    expect(wrong.stdout).to.include("wrong.ts(3,45): error TS2322: Type 'undefined' is not assignable to type 'TrustList'.");
    expect(wrong.stdout).to.include("wrong.ts(4,9): error TS2322: Type "); // an outcome is no boolean
    expect(wrong.stdout).to.include(`the types 'Verdict' and '"ok"' have no overlap`);
  });
});
