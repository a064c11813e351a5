// Benchmark: Merkle tree + every proof, ours against merkletreejs and @openzeppelin/merkle-tree (`npm run bench:merkle [-- --json] [-- --n N]`).
//
// Each implementation runs in a child process of its own, so its peak RSS is its own and no
// JIT or heap state leaks between them. Every child gets the same N pseudo-random 32-byte leaves.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { MerkleTree } from "../src/core/merkle.ts";

// Libraries are imported only in the child that measures them, so none inflates another's RSS.
type Keccak = { update(data: Buffer): Keccak; digest(): Buffer };

const SIZES = [10_000, 100_000, 1_000_000];
const VERIFY_SAMPLE = 10_000;
/** @openzeppelin/merkle-tree takes minutes beyond this. */
const OZ_MAX_N = 100_000;

const IMPLEMENTATIONS = {
  ours: "ours (WebAssembly kernel): buildMerkleTree(leaves), getProof(i) → bytes",
  "ours-hex": "ours, proofs as hex strings: getProofHex(i)",
  "ours-digests": "ours from digests: buildCredentialTree(digests) (+2 hashes per leaf)",
  "merkletreejs-keccak": "merkletreejs 0.6.0 + keccak 3.0.4 (native), getHexProof(leaf, i)",
  "merkletreejs-ethers": "merkletreejs 0.6.0 + ethers 6.17.0 keccak256, getHexProof(leaf, i)",
  oz: "@openzeppelin/merkle-tree 1.0.8 SimpleMerkleTree (sortLeaves: false), getProof(i)",
} as const;
type Implementation = keyof typeof IMPLEMENTATIONS;

type Measurement = {
  implementation: Implementation;
  n: number;
  buildSeconds: number;
  proofsSeconds: number;
  verifySeconds: number;
  peakRssMiB: number;
  proofBytes: number;
};

/** N deterministic pseudo-random 32-byte values (xorshift32), flat. */
function randomLeaves(n: number): Uint8Array {
  const words = new Uint32Array(8 * n);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer);
}

function peakRssMiB(): number {
  // VmHWM is the kernel's own high-water mark of resident memory for this process.
  const line = readFileSync("/proc/self/status", "utf8").match(/^VmHWM:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

function seconds(from: number): number {
  return (performance.now() - from) / 1000;
}

/** Leaf indices to verify: spread over the whole tree. */
function sample(n: number): number[] {
  const count = Math.min(n, VERIFY_SAMPLE);
  return Array.from({ length: count }, (_, k) => Math.floor((k * n) / count));
}

async function measureOurs(implementation: Implementation, flat: Uint8Array, n: number): Promise<Omit<Measurement, "peakRssMiB">> {
  const { buildCredentialTree, buildMerkleTree } = await import("../src/core/merkle.ts");
  const { verifyMerkleProof } = await import("../src/core/merkle-proof.ts");
  let start = performance.now();
  const tree: MerkleTree = implementation === "ours-digests" ? buildCredentialTree(flat) : buildMerkleTree(flat);
  const buildSeconds = seconds(start);
  let proofBytes = 0;
  start = performance.now();
  if (implementation === "ours-hex") {
    for (let i = 0; i < n; i++) proofBytes += tree.getProofHex(i).length * 32;
  } else {
    for (let i = 0; i < n; i++) proofBytes += tree.getProof(i).length;
  }
  const proofsSeconds = seconds(start);
  const cases = sample(n).map((i) => [tree.leaf(i), tree.getProof(i)] as const);
  start = performance.now();
  for (const [leaf, proof] of cases) if (!verifyMerkleProof(leaf, proof, tree.root)) throw new Error("ours: proof failed");
  return { implementation, n, buildSeconds, proofsSeconds, verifySeconds: seconds(start), proofBytes };
}

async function measureMerkletreejs(
  implementation: Implementation,
  flat: Uint8Array,
  n: number,
): Promise<Omit<Measurement, "peakRssMiB">> {
  const { MerkleTree: MerkleTreeJs } = await import("merkletreejs");
  let hash: (data: Buffer) => Buffer | string;
  if (implementation === "merkletreejs-keccak") {
    const createKeccak = createRequire(import.meta.url)("keccak") as (algorithm: "keccak256") => Keccak;
    hash = (data) => createKeccak("keccak256").update(data).digest();
  } else {
    const { keccak256 } = await import("ethers");
    hash = (data) => keccak256(data);
  }
  const leaves = Array.from({ length: n }, (_, i) => Buffer.from(flat.subarray(32 * i, 32 * i + 32)));
  let start = performance.now();
  const tree = new MerkleTreeJs(leaves, hash, { sortPairs: true });
  const buildSeconds = seconds(start);
  let proofBytes = 0;
  start = performance.now();
  // Always with the index: without it merkletreejs scans every leaf for each proof.
  for (let i = 0; i < n; i++) proofBytes += tree.getHexProof(leaves[i]!, i).length * 32;
  const proofsSeconds = seconds(start);
  const root = tree.getRoot();
  const cases = sample(n).map((i) => [leaves[i]!, tree.getHexProof(leaves[i]!, i)] as const);
  start = performance.now();
  for (const [leaf, proof] of cases) if (!tree.verify(proof, leaf, root)) throw new Error("merkletreejs: proof failed");
  return { implementation, n, buildSeconds, proofsSeconds, verifySeconds: seconds(start), proofBytes };
}

async function measureOpenZeppelin(flat: Uint8Array, n: number): Promise<Omit<Measurement, "peakRssMiB">> {
  const { SimpleMerkleTree } = await import("@openzeppelin/merkle-tree");
  const leaves = Array.from({ length: n }, (_, i) => flat.subarray(32 * i, 32 * i + 32));
  let start = performance.now();
  const tree = SimpleMerkleTree.of(leaves, { sortLeaves: false });
  const buildSeconds = seconds(start);
  let proofBytes = 0;
  start = performance.now();
  for (let i = 0; i < n; i++) proofBytes += tree.getProof(i).length * 32;
  const proofsSeconds = seconds(start);
  const cases = sample(n).map((i) => [tree.at(i)!, tree.getProof(i)] as const);
  start = performance.now();
  for (const [leaf, proof] of cases) if (!SimpleMerkleTree.verify(tree.root, leaf, proof)) throw new Error("oz: proof failed");
  return { implementation: "oz", n, buildSeconds, proofsSeconds, verifySeconds: seconds(start), proofBytes };
}

/** Child process: measure one implementation at one N and print the measurement as JSON. */
async function child(implementation: Implementation, n: number): Promise<void> {
  const flat = randomLeaves(n);
  const measured = implementation.startsWith("ours")
    ? await measureOurs(implementation, flat, n)
    : implementation === "oz"
      ? await measureOpenZeppelin(flat, n)
      : await measureMerkletreejs(implementation, flat, n);
  console.log(JSON.stringify({ ...measured, peakRssMiB: peakRssMiB() }));
}

function runChild(implementation: Implementation, n: number): Measurement {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", implementation, "--n", String(n)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as Measurement;
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));
const total = (m: Measurement) => m.buildSeconds + m.proofsSeconds;

function summary(n: number, rows: Measurement[]): Record<string, number | null> {
  const find = (implementation: Implementation) => rows.find((m) => m.implementation === implementation);
  const ours = find("ours")!;
  const maybe = (implementation: Implementation) => {
    const m = find(implementation);
    return m === undefined ? null : round(total(m));
  };
  return {
    n,
    oursBuildSeconds: round(ours.buildSeconds),
    oursProofsSeconds: round(ours.proofsSeconds),
    oursVerify10kSeconds: round(ours.verifySeconds),
    oursPeakRssMiB: round(ours.peakRssMiB, 1),
    oursHexSeconds: maybe("ours-hex"),
    oursFromDigestsSeconds: maybe("ours-digests"),
    merkletreejsSeconds: maybe("merkletreejs-keccak"),
    merkletreejsEthersSeconds: maybe("merkletreejs-ethers"),
    ozSeconds: maybe("oz"),
    merkletreejsPeakRssMiB: find("merkletreejs-keccak") ? round(find("merkletreejs-keccak")!.peakRssMiB, 1) : null,
  };
}

function printTable(n: number, rows: Measurement[]): void {
  const ours = total(rows.find((m) => m.implementation === "ours")!);
  console.log(`\nN = ${n.toLocaleString("en")} leaves (build + every proof; verify = ${Math.min(n, VERIFY_SAMPLE).toLocaleString("en")} proofs)`);
  console.log("| implementation | build s | proofs s | build + proofs s | verify s | peak RSS MiB | × ours |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const m of rows) {
    const cells = [m.buildSeconds, m.proofsSeconds, total(m), m.verifySeconds].map((s) => s.toFixed(3));
    console.log(`| ${IMPLEMENTATIONS[m.implementation]} | ${cells.join(" | ")} | ${m.peakRssMiB.toFixed(0)} | ${(total(m) / ours).toFixed(1)} |`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const at = args.indexOf(name);
    return at === -1 ? undefined : args[at + 1];
  };
  const n = flag("--n") === undefined ? undefined : Number(flag("--n"));
  const childOf = flag("--child");
  if (childOf !== undefined) return child(childOf as Implementation, n!);
  const json = args.includes("--json");
  const summaries = [];
  for (const size of n === undefined ? SIZES : [n]) {
    const rows: Measurement[] = [];
    for (const implementation of Object.keys(IMPLEMENTATIONS) as Implementation[]) {
      if (implementation === "oz" && size > OZ_MAX_N) continue;
      rows.push(runChild(implementation, size));
    }
    printTable(size, rows);
    summaries.push(summary(size, rows));
  }
  console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}; ratios are ×(their time / ours) in this run`);
  if (json) console.log(JSON.stringify(summaries.length === 1 ? summaries[0] : { runs: summaries }));
}

await main();
