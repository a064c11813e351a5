// Short runs of every benchmark inside `npm test`: they run, keep their JSON contract, and the
// deterministic gas figures stay within their targets. Runs count completed work (`--requests`),
// never work inside a time window: a busy machine makes them slower, never wrong (issue 10, item 18).
// BENCH_MERKLE_N (default 1,000 here; `npm run test:scale` sets 10,000) sets the Merkle run's leaves.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "chai";
import { sharedChain } from "../helpers/stack.ts";

const run = promisify(execFile);
const MERKLE_N = Number(process.env.BENCH_MERKLE_N ?? 1_000);

// The benchmarks that need a chain deploy their registry on the test process's node (BENCH_RPC_URL)
// instead of starting a node each: the same runs, without four node start-ups.
let env: NodeJS.ProcessEnv = process.env;

async function lastJsonLine(script: string, args: string[]): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [script, ...args], { maxBuffer: 16 << 20, env });
  const last = stdout.trim().split("\n").at(-1)!;
  return JSON.parse(last) as Record<string, number>;
}

describe("benchmarks (short runs)", function () {
  // A busy machine makes these slower, never wrong: no run may fail on a short test timeout.
  this.timeout(600_000);
  before(async function () {
    env = { ...process.env, BENCH_RPC_URL: (await sharedChain()).url };
  });
  it("behavior: bench:gas meets the gas targets for v2 and v1 (anchor ≤ 52,000; cohort ≤ 1,000; random ≤ 25,000 per credential)", async function () {
    const v2 = await lastJsonLine("bench/gas.ts", ["--json"]);
    const v1 = v2.v1 as unknown as Record<string, number>;
    const keys = [
      "anchorGas", "revokeRootGas", "revokeOneGas", "revokeCohort256PerCredentialGas",
      "revokeRandom256PerCredentialGas", "suspendOneGas", "verifyViewGas",
    ];
    expect(Object.keys(v2)).to.have.members([...keys, "v1"]);
    expect(Object.keys(v1)).to.have.members(keys);
    for (const gas of [v2, v1]) {
      expect(gas.anchorGas).to.be.within(21_000, 52_000);
      expect(gas.revokeCohort256PerCredentialGas).to.be.within(1, 1_000);
      expect(gas.revokeRandom256PerCredentialGas).to.be.within(1, 25_000);
    }
  });

  it(`behavior: bench:merkle --json --n ${MERKLE_N} prints its figures for ours and the peers`, async function () {
    const m = await lastJsonLine("bench/merkle.ts", ["--json", "--n", String(MERKLE_N)]);
    expect(m.n).to.equal(MERKLE_N);
    for (const key of ["oursBuildSeconds", "oursProofsSeconds", "oursPeakRssMiB", "merkletreejsSeconds", "ozSeconds"]) {
      expect(m[key], key).to.be.a("number").and.greaterThan(0);
    }
  });

  it("behavior: bench:prepare --json runs on one thread and on every core", async function () {
    const p = await lastJsonLine("bench/prepare.ts", ["--json", "--seconds", "0.3"]);
    expect(p.fields).to.equal(28);
    expect(p.singleThreadPerSecond).to.be.greaterThan(0);
    expect(p.allCoresPerSecond).to.be.greaterThan(0);
  });

  it("behavior: bench:sign --json measures ours (one thread, every core) beside @digitalbazaar/vc", async function () {
    this.timeout(300_000);
    const s = (await lastJsonLine("bench/sign.ts", ["--json", "--seconds", "0.3"])) as unknown as Record<string, Record<string, number>>;
    for (const who of ["reference", "ours", "oursAllCores"]) {
      expect(s[who]!.issuesPerSecond, who).to.be.greaterThan(0);
      expect(s[who]!.verifiesPerSecond, who).to.be.greaterThan(0);
    }
  });

  it("behavior: bench:service --json runs the real service over HTTP with zero errors", async function () {
    const r = await lastJsonLine("bench/service.ts", ["--json", "--requests", "4", "--anchor", "2000"]);
    expect(r.acceptErrors).to.equal(0);
    expect(r.bundleErrors).to.equal(0);
    expect(r.anchorN).to.equal(2000);
    expect(r.acceptedCount).to.equal(4 * 1000); // every request completed, however long it took
    for (const key of ["acceptedPerSecond", "inProcessAcceptedPerSecond", "anchorSeconds", "bundleP50Ms", "bundleP99Ms"]) expect(r[key], key).to.be.a("number").and.at.least(0);
    // Accepting costs CPU: a zero would mean the accounting read the wrong process.
    for (const key of ["acceptCpuMicros", "inProcessCpuMicros"]) expect(r[key], key).to.be.a("number").and.above(0);
  });

  it("behavior: bench:verify --json verifies real bundles through the library and POST /v1/verify", async function () {
    const r = await lastJsonLine("bench/verify.ts", ["--json", "--n", "100", "--requests", "8"]);
    expect(r.n).to.equal(100);
    expect(r.apiErrors).to.equal(0);
    expect(r.apiBatchedCount).to.equal(8 * 100);
    expect(r.apiSingleCount).to.equal(8);
    for (const key of ["batchedPerSecond", "oneByOnePerSecond", "concurrentPerSecond", "apiBatchedPerSecond", "apiSinglePerSecond", "rpcRoundTripMs"]) {
      expect(r[key], key).to.be.a("number").and.at.least(0);
    }
  });

  it("behavior: bench:status --json builds a chain list, beside the BSL library, and serves cached GETs and 304s with zero errors", async function () {
    const r = (await lastJsonLine("bench/status.ts", ["--json", "--rounds", "2", "--requests", "50", "--set", "100"])) as unknown as Record<string, Record<string, number>>;
    expect(r.entries).to.equal(131_072);
    expect(r.ours!.totalMs).to.be.greaterThan(0);
    expect(r.theirs!.encodeMs).to.be.greaterThan(0);
    expect(r.http!.errors).to.equal(0);
    expect(r.http!.get304PerSecond).to.be.greaterThan(0);
    expect(r.http!.routed304PerSecond).to.be.greaterThan(0);
  });

  it("behavior: bench:load --json sustains mixed load with zero errors", async function () {
    const r = await lastJsonLine("bench/load.ts", ["--json", "--requests", "20"]);
    expect(r.errors).to.equal(0);
    expect([r.issuedCount, r.statusCount, r.verifyCount]).to.deep.equal([20 * 100, 20, 20]);
    for (const key of ["issuedPerSecond", "statusPerSecond", "verifyPerSecond", "verifyAlonePerSecond"]) expect(r[key], key).to.be.a("number").and.at.least(0);
    for (const key of ["rssStartMiB", "rssLastQuarterMiB"]) expect(r[key], key).to.be.a("number").and.greaterThan(0);
    expect(r.verifyConnections, "capped at --requests").to.equal(20);
  });

  it("error: bench:load names a bad count flag and exits 2 before starting anything", async function () {
    const failed = await run(process.execPath, ["bench/load.ts", "--verify-connections", "many"], { env }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).to.equal(2);
    expect(failed?.stderr).to.include('--verify-connections takes a whole number above 0, not "many"');
  });
});
