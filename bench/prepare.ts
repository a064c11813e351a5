// Benchmark: prepareCredential (salts, field hashes, digest, leaf) per second for a realistic Open
// Badge, on one thread and on every core (worker threads) in the same run.
//   npm run bench:prepare [-- --json] [--seconds S]
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { credentialLeaf } from "../src/core/leaf.ts";
import { prepareCredential } from "../src/core/prepare.ts";

const badge = JSON.parse(readFileSync(new URL("../test/fixtures/credentials/open-badge.json", import.meta.url), "utf8"));
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

type Run = { count: number; ms: number; fields: number };

/** Prepares credentials (with their Merkle leaf) for `budgetMs`, status indices from `firstIndex`. */
function run(budgetMs: number, firstIndex: number): Run {
  const context = { chainId: 31337, registry: REGISTRY, issuerId: 1, statusIndex: firstIndex };
  const start = performance.now();
  let count = 0;
  let fields = 0;
  while (performance.now() - start < budgetMs) {
    for (let i = 0; i < 1000; i++) {
      context.statusIndex = firstIndex + count++;
      const p = prepareCredential(badge, context);
      fields = p.fieldHashes.length;
      credentialLeaf(p.digest);
    }
  }
  return { count, ms: performance.now() - start, fields };
}

if (!isMainThread) {
  const { budgetMs, firstIndex } = workerData as { budgetMs: number; firstIndex: number };
  run(300, firstIndex); // warm up this thread's JIT
  parentPort!.postMessage(run(budgetMs, firstIndex));
} else {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const seconds = Number(args[args.indexOf("--seconds") + 1] ?? 0) || Number(process.env.BENCH_SECONDS ?? 3);
  const threads = availableParallelism();

  run(500, 0); // warm up the JIT
  const single = run(seconds * 1000, 0);
  const singleRate = (single.count / single.ms) * 1000;

  const parallel = await Promise.all(
    Array.from({ length: threads }, (_, t) =>
      new Promise<Run>((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: { budgetMs: seconds * 1000, firstIndex: (t + 1) * 1e8 } });
        worker.once("message", resolve);
        worker.once("error", reject);
      }),
    ),
  );
  const parallelRate = parallel.reduce((sum, r) => sum + (r.count / r.ms) * 1000, 0);

  const line = (label: string, rate: number) =>
    `${label.padEnd(28)} ${Math.round(rate).toLocaleString("en").padStart(9)} credentials/s  ` +
    `(${(1e6 / rate).toFixed(1)} s per 1,000,000)`;
  console.log(`prepareCredential + credentialLeaf, sample Open Badge (${single.fields} fields), ${seconds} s each`);
  console.log(line("one thread", singleRate));
  console.log(line(`${threads} worker threads (sum)`, parallelRate));
  console.log(`ratio all cores / one thread: ${(parallelRate / singleRate).toFixed(2)}×`);
  if (json) {
    console.log(
      JSON.stringify({
        fields: single.fields,
        threads,
        singleThreadPerSecond: Math.round(singleRate),
        allCoresPerSecond: Math.round(parallelRate),
        millionSecondsAllCores: Number((1e6 / parallelRate).toFixed(1)),
      }),
    );
  }
}
