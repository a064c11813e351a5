// The respawn rule both verification pools share (off-chain-pool.ts, verify-threads.ts): a dead
// worker's jobs go to another once, a job that outlives two workers is refused, a close refuses all.
import { Worker } from "node:worker_threads";
import { expect } from "chai";
import { closeWorkers, watchWorker, type HeldJob, type PoolWorker } from "../../src/verifier/worker-respawn.ts";

type Job = HeldJob & { id: number; refused?: Error };
const idle = () => new Worker("setInterval(() => {}, 1000)", { eval: true });
const job = (id: number, attempts: number): Job => {
  const j: Job = { id, attempts, reject: (e) => void (j.refused = e) };
  return j;
};

describe("worker-respawn", function () {
  it("behavior: a worker that exits leaves the pool; its first-time job is sent again, one that outlived a worker already is refused WORKER_FAILED", async function () {
    const thread: PoolWorker<Job> = { worker: idle(), jobs: new Map([[1, job(1, 0)], [2, job(2, 1)]]) };
    const threads = [thread];
    const resent: number[] = [];
    let left = 0;
    const exited = new Promise((r) => thread.worker.once("exit", r));
    watchWorker<Job>(thread, threads, { closed: () => false, resend: (j) => resent.push(j.id), left: () => left++, what: "test worker" });
    await thread.worker.terminate();
    await exited;
    expect(threads).to.deep.equal([]);
    expect(left).to.equal(1);
    expect(resent).to.deep.equal([1]);
    expect(thread.jobs.get(1)!.refused).to.equal(undefined);
    expect(thread.jobs.get(2)!.refused).to.include({ code: "WORKER_FAILED", shortMessage: "the test worker stopped twice on this request (a crash): retry" });
  });

  it("behavior: closing ends every worker and refuses their jobs WORKER_FAILED; nothing is sent again", async function () {
    const threads: PoolWorker<Job>[] = [{ worker: idle(), jobs: new Map([[1, job(1, 0)]]) }, { worker: idle(), jobs: new Map([[2, job(2, 0)]]) }];
    const held = [...threads];
    let closed = false;
    const resent: number[] = [];
    for (const t of held) watchWorker<Job>(t, threads, { closed: () => closed, resend: (j) => resent.push(j.id), what: "test worker" });
    closed = true;
    await closeWorkers(threads);
    await new Promise((r) => setImmediate(r));
    expect(threads).to.deep.equal([]);
    expect(resent).to.deep.equal([]);
    for (const t of held) expect([...t.jobs.values()][0]!.refused).to.include({ code: "WORKER_FAILED", shortMessage: "the server is shutting down" });
  });
});
