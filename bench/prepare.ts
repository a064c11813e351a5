// Benchmark: prepareCredential (salts, field hashes, digest) per second for a realistic Open Badge, one thread.
import { readFileSync } from "node:fs";
import { credentialLeaf } from "../src/core/leaf.ts";
import { prepareCredential } from "../src/core/prepare.ts";

const badge = JSON.parse(readFileSync(new URL("../test/fixtures/credentials/open-badge.json", import.meta.url), "utf8"));
const context = { chainId: 31337, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3", issuerId: 1, statusIndex: 0 };
const seconds = Number(process.env.BENCH_SECONDS ?? 3);

function run(withLeaf: boolean, budgetMs: number): { count: number; ms: number; fields: number } {
  const start = performance.now();
  let count = 0;
  let fields = 0;
  while (performance.now() - start < budgetMs) {
    for (let i = 0; i < 1000; i++) {
      context.statusIndex = count++;
      const p = prepareCredential(badge, context);
      fields = p.fieldHashes.length;
      if (withLeaf) credentialLeaf(p.digest);
    }
  }
  return { count, ms: performance.now() - start, fields };
}

run(false, 500); // warm up the JIT
for (const withLeaf of [false, true]) {
  const { count, ms, fields } = run(withLeaf, seconds * 1000);
  const perSecond = (count / ms) * 1000;
  console.log(
    `prepareCredential${withLeaf ? " + credentialLeaf" : ""}: ${Math.round(perSecond).toLocaleString("en")} credentials/s ` +
      `(${fields} fields each, ${(1e6 / perSecond).toFixed(1)} µs/credential; 1,000,000 in ${(1e6 / perSecond).toFixed(0)} s on one core)`,
  );
}
