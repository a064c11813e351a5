// Benchmark: signed VC issuances and verifications per second, ours (one thread and every core) beside
// @digitalbazaar/vc issue / verifyCredential with the same eddsa-rdfc-2022 suite and Open Badge, in one run.
//   npm run bench:sign [-- --json] [--seconds S]
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import * as vc from "@digitalbazaar/vc";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { cryptosuite as eddsaRdfc2022 } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import type { JsonObject } from "../src/core/json.ts";
import { defaultDocumentLoader } from "../src/vc/document-loader.ts";
import { issueCredential } from "../src/vc/issue.ts";
import { importAssertionKey, type AssertionKey } from "../src/vc/keys.ts";
import { createStatusEntries, statusListUrlFrom } from "../src/vc/status-entries.ts";
import { verifyVc } from "../src/vc/verify.ts";

const badge = JSON.parse(readFileSync(new URL("../test/vectors/open-badge.json", import.meta.url), "utf8")).credential as JsonObject;
const SEED = "0x6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"; // 1EdTech's published test key: a benchmark key only
const documentLoader = defaultDocumentLoader();

type Rate = { count: number; ms: number };
type Job = "issue" | "verify";

/** Runs `step` back to back for `budgetMs` (awaited one at a time: the work is CPU-bound). */
async function measure(budgetMs: number, step: (i: number) => Promise<unknown>): Promise<Rate> {
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < budgetMs) await step(count++);
  return { count, ms: performance.now() - start };
}

const statusEntries = (i: number) => createStatusEntries({ chainId: 31337, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3", issuerId: 1, statusIndex: i, statusListUrl: statusListUrlFrom("https://issuer.example", 1) });

async function ours(key: AssertionKey, job: Job, budgetMs: number): Promise<Rate> {
  if (job === "issue") return measure(budgetMs, (i) => issueCredential(badge, { key, credentialStatus: statusEntries(i) }));
  const signed = await issueCredential(badge, { key, credentialStatus: statusEntries(0) });
  return measure(budgetMs, async () => {
    const report = await verifyVc(signed, { documentLoader });
    if (report.verdict !== "valid") throw new Error(`verification failed: ${JSON.stringify(report.checks)}`);
  });
}

async function reference(key: AssertionKey, job: Job, budgetMs: number): Promise<Rate> {
  // The same credential ours signs (issuer, id, validFrom, the three status entries), minus the proof,
  // with Digital Bazaar's own cryptosuite (jsonld.js toRDF + rdf-canonize on every call).
  const { proof: _proof, ...credential } = await issueCredential(badge, { key, credentialStatus: statusEntries(0) });
  const suite = () => new DataIntegrityProof({ signer: key.signer(), cryptosuite: eddsaRdfc2022 });
  if (job === "issue") return measure(budgetMs, () => vc.issue({ credential: structuredClone(credential), suite: suite(), documentLoader }));
  const signed = await vc.issue({ credential: structuredClone(credential), suite: suite(), documentLoader });
  return measure(budgetMs, async () => {
    const result = await vc.verifyCredential({ credential: signed, suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }), documentLoader, checkStatus: async () => ({ verified: true }) });
    if (!result.verified) throw new Error(`reference verification failed: ${result.error}`);
  });
}

const perSecond = (r: Rate) => (r.count / r.ms) * 1000;

if (!isMainThread) {
  const { job, budgetMs } = workerData as { job: Job; budgetMs: number };
  const key = await importAssertionKey(SEED);
  await ours(key, job, 300); // warm up this thread
  parentPort!.postMessage(await ours(key, job, budgetMs));
} else {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const seconds = Number(args[args.indexOf("--seconds") + 1] ?? 0) || Number(process.env.BENCH_SECONDS ?? 3);
  const threads = availableParallelism();
  const key = await importAssertionKey(SEED);
  const budget = seconds * 1000;
  const onAllCores = async (job: Job) => {
    const runs = await Promise.all(Array.from({ length: threads }, () => new Promise<Rate>((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { job, budgetMs: budget } });
      worker.once("message", resolve);
      worker.once("error", reject);
    })));
    return runs.reduce((sum, r) => sum + perSecond(r), 0);
  };

  await ours(key, "issue", 500); // warm up (JIT, jsonld's context cache)
  await reference(key, "issue", 500);
  const figures = {
    threads,
    seconds,
    reference: { issuesPerSecond: perSecond(await reference(key, "issue", budget)), verifiesPerSecond: perSecond(await reference(key, "verify", budget)) },
    ours: { issuesPerSecond: perSecond(await ours(key, "issue", budget)), verifiesPerSecond: perSecond(await ours(key, "verify", budget)) },
    oursAllCores: { issuesPerSecond: await onAllCores("issue"), verifiesPerSecond: await onAllCores("verify") },
  };
  const round = (n: number) => Math.round(n);
  const line = (label: string, f: { issuesPerSecond: number; verifiesPerSecond: number }) =>
    `${label.padEnd(44)} ${String(round(f.issuesPerSecond)).padStart(6)} issues/s ${String(round(f.verifiesPerSecond)).padStart(6)} verifies/s` +
    `  (${(f.issuesPerSecond / figures.reference.issuesPerSecond).toFixed(2)}× / ${(f.verifiesPerSecond / figures.reference.verifiesPerSecond).toFixed(2)}× reference)`;
  const out = json ? process.stderr : process.stdout;
  out.write(`Open Badge, DataIntegrityProof eddsa-rdfc-2022, ${seconds} s each, ${threads} cores\n`);
  out.write(line("@digitalbazaar/vc issue / verifyCredential", figures.reference) + "\n");
  out.write(line("credanchor, one thread", figures.ours) + "\n");
  out.write(line(`credanchor, ${threads} worker threads`, figures.oursAllCores) + "\n");
  if (json) console.log(JSON.stringify(figures));
}
