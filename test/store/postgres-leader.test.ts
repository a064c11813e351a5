// Leader election on a real PostgreSQL: one leader per (chain, signer) among real processes and
// connections, and a new one within seconds when the leader's process dies or loses its session.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { leaderLockKey, startAnchoringLeader, startLeaderElection, type LeaderElection } from "../../src/store/postgres/leader.ts";
import { sharedPostgres } from "../helpers/postgres.ts";

const LEADER = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "store", "postgres", "leader.ts");
const SIGNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OTHER_SIGNER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A separate process in the election: prints "leading" / "following" on each change. */
type Candidate = { child: ChildProcess; leading: boolean; changes: number; exited: Promise<unknown> };

function startCandidate(url: string, signer = SIGNER): Candidate {
  const script = `import { startLeaderElection } from ${JSON.stringify(LEADER)};
    startLeaderElection({ connectionString: ${JSON.stringify(url)}, chainId: 31337, signer: ${JSON.stringify(signer)}, retryMs: 200,
      onChange: (leading) => console.log(leading ? "leading" : "following") });`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const candidate: Candidate = { child, leading: false, changes: 0, exited: new Promise((r) => child.once("exit", r)) };
  child.stdout!.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n").filter(Boolean)) {
      candidate.leading = line === "leading";
      candidate.changes++;
    }
  });
  return candidate;
}

describe("PostgreSQL leader election (advisory lock per chain and signer)", function () {
  this.timeout(120_000);
  let url: string;
  const elections: LeaderElection[] = [];
  const children: Candidate[] = [];

  before(async function () {
    url = await (await sharedPostgres()).createDatabase();
  });
  afterEach(async function () {
    await Promise.all(elections.splice(0).map((e) => e.stop()));
    for (const c of children.splice(0)) {
      c.child.kill("SIGKILL");
      await c.exited;
    }
  });

  const elect = (signer = SIGNER, chainId = 31337) => {
    const election = startLeaderElection({ connectionString: url, chainId, signer, retryMs: 200 });
    elections.push(election);
    return election;
  };

  it("default: the key depends on chain and signer only (not the address's case)", function () {
    expect(leaderLockKey(31337, SIGNER)).to.equal(leaderLockKey(31337, SIGNER.toLowerCase()));
    expect(leaderLockKey(31337, SIGNER)).to.not.equal(leaderLockKey(1, SIGNER));
    expect(leaderLockKey(31337, SIGNER)).to.not.equal(leaderLockKey(31337, OTHER_SIGNER));
  });

  it("behavior: of three candidates exactly one leads; when it stops, another takes over", async function () {
    const candidates = [elect(), elect(), elect()];
    await waitFor(() => candidates.some((c) => c.leading), "a leader");
    // Several more rounds of every follower: still exactly one.
    await new Promise((r) => setTimeout(r, 800));
    expect(candidates.filter((c) => c.leading)).to.have.length(1);
    const leader = candidates.find((c) => c.leading)!;
    await leader.stop();
    await waitFor(() => candidates.some((c) => c !== leader && c.leading), "a new leader");
    expect(candidates.filter((c) => c.leading)).to.have.length(1);
  });

  it("behavior: different signers and chains have leaders of their own", async function () {
    const a = elect(SIGNER);
    const b = elect(OTHER_SIGNER);
    const c = elect(SIGNER, 1);
    await waitFor(() => a.leading && b.leading && c.leading, "three leaders");
  });

  it("behavior: a leader whose session is cut steps down and another takes over", async function () {
    const first = elect();
    await waitFor(() => first.leading, "the first leader");
    const second = elect();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const key = first.key;
      // pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits).
      const holder = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 1",
        [Number(BigInt.asUintN(64, key) >> 32n), Number(BigInt.asUintN(64, key) & 0xffffffffn)],
      );
      expect(holder.rows).to.have.length(1);
      await admin.query("SELECT pg_terminate_backend($1)", [holder.rows[0]!.pid]);
    } finally {
      await admin.end();
    }
    await waitFor(() => !first.leading, "the old leader to step down");
    await waitFor(() => first.leading !== second.leading, "exactly one leader again");
  });

  it("behavior: real processes: SIGKILL the leader, another process leads within seconds, never two at once", async function () {
    for (let k = 0; k < 3; k++) children.push(startCandidate(url));
    await waitFor(() => children.some((c) => c.leading), "a leading process");
    await new Promise((r) => setTimeout(r, 800));
    expect(children.filter((c) => c.leading)).to.have.length(1);
    const leader = children.find((c) => c.leading)!;
    leader.child.kill("SIGKILL");
    await leader.exited;
    const rest = children.filter((c) => c !== leader);
    await waitFor(() => rest.some((c) => c.leading), "a new leading process", 15_000);
    await new Promise((r) => setTimeout(r, 800));
    expect(rest.filter((c) => c.leading)).to.have.length(1);
    // Each follower changed at most once (to leading): nobody led and stepped down on the way.
    for (const c of rest) expect(c.changes).to.be.at.most(1);
  });

  it("behavior: processes holding several signers never split them: one leads all, and on its stop another leads all", async function () {
    const signers = [SIGNER, OTHER_SIGNER, "0x90F79bf6EB2c4f870365E785982E1f101E93b906"];
    const changes: boolean[][] = [[], [], []];
    const candidates = [0, 1, 2].map((k) => {
      // Each process lists its keys in another order: the lock order is the keys', not the list's.
      const election = startAnchoringLeader({ connectionString: url, chainId: 31337, signers: [...signers.slice(k), ...signers.slice(0, k)], retryMs: 200, onChange: (l) => changes[k]!.push(l) });
      elections.push(election);
      return election;
    });
    await waitFor(() => candidates.some((c) => c.leading), "a leader of all three signers");
    await new Promise((r) => setTimeout(r, 800));
    expect(candidates.filter((c) => c.leading)).to.have.length(1);
    const leader = candidates.find((c) => c.leading)!;
    await leader.stop();
    await waitFor(() => candidates.some((c) => c !== leader && c.leading), "a new leader of all three");
    expect(candidates.filter((c) => c.leading)).to.have.length(1);
    // Followers never led part of the set: each changed at most once (to leading).
    candidates.forEach((c, k) => c !== leader && expect(changes[k]!.length).to.be.at.most(1));
  });
});
