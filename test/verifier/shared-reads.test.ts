// Chain reads shared between verification threads (shared-reads.ts), over real MessagePorts: a client's
// claims join the reader's rounds, an ended request is not read, and a client whose reader is gone reads itself.
import { MessageChannel } from "node:worker_threads";
import { expect } from "chai";
import type { AnchorClaim, ChainCheckResult } from "../../src/verifier/chain-checks.ts";
import { SharedChainReads, type ChainReads } from "../../src/verifier/shared-reads.ts";
import { coalesceChainChecks } from "../../src/verifier/verifier.ts";

const claim = (statusIndex: number): AnchorClaim => ({ chainId: 31337, registry: "0x0000000000000000000000000000000000000001", root: "0x01", issuerId: 1n, statusIndex: BigInt(statusIndex) });
const messageOf = (r: ChainCheckResult[]) => r[0]!.checks[0]!.message;
const turn = () => new Promise((r) => setImmediate(r));

/** Rounds of reads that wait for `open()`, as a held RPC would; each claim is answered with its index. */
function gatedRounds(): { rounds: number[][]; open: () => void; reads: ChainReads } {
  const rounds: number[][] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const read = async (claims: readonly AnchorClaim[]) => {
    rounds.push(claims.map((c) => Number(c.statusIndex)));
    await gate;
    return claims.map((c) => ({ checks: [{ name: "status" as const, outcome: "pass" as const, code: "ACTIVE" as const, message: String(c.statusIndex) }] }));
  };
  return { rounds, open: () => open(), reads: coalesceChainChecks(read, 1000, 1) };
}

describe("chain reads shared between verification threads (one reading thread's rounds for all)", function () {
  it("behavior: a client's requests join the reader's next round with the reader's own; each gets its own results; one that ended while waiting is not read", async function () {
    const reader = gatedRounds();
    const arrived: (AbortSignal | undefined)[] = [];
    const readerSide = new SharedChainReads();
    const readerReads = readerSide.via((claims, signal) => (arrived.push(signal), reader.reads(claims, signal)));
    const client = gatedRounds();
    const clientSide = new SharedChainReads();
    const clientReads = clientSide.via(client.reads);
    const { port1, port2 } = new MessageChannel();
    readerSide.serve(port1);
    clientSide.useReader(port2);
    try {
      const ended = new AbortController();
      const first = readerReads([claim(0)]);
      const asked = [1, 2, 3].map((k) => clientReads([claim(k)], k === 3 ? ended.signal : undefined));
      const own = readerReads([claim(4)]);
      while (arrived.length < 5) await turn();
      ended.abort();
      while (!arrived.some((s) => s?.aborted)) await turn();
      reader.open();
      const results = await Promise.all([first, ...asked, own]);
      expect(reader.rounds).to.deep.equal([[0], [4, 1, 2]]); // the client's claims crossed after the reader's second request
      expect(client.rounds).to.deep.equal([]);
      expect(results.map(messageOf).filter((_, k) => k !== 3)).to.deep.equal(["0", "1", "2", "4"]);
      expect(results[3]![0]!.checks[0]).to.deep.include({ outcome: "skip", code: "RPC_UNAVAILABLE" });
      // A request ended before it is asked does not cross: it is answered undecided at once.
      const gone = new AbortController();
      gone.abort();
      expect((await clientReads([claim(5)], gone.signal))[0]!.checks[0]).to.deep.include({ outcome: "skip", code: "RPC_UNAVAILABLE" });
      expect(reader.rounds).to.have.length(2);
    } finally {
      port1.close();
    }
  });

  it("error: when the reader is gone (its port closes), the client reads what it held unanswered and everything after, itself", async function () {
    const reader = gatedRounds();
    const arrived: number[] = [];
    const readerSide = new SharedChainReads();
    readerSide.via((claims, signal) => (arrived.push(claims.length), reader.reads(claims, signal)));
    const client = gatedRounds();
    const clientSide = new SharedChainReads();
    const clientReads = clientSide.via(client.reads);
    const { port1, port2 } = new MessageChannel();
    readerSide.serve(port1);
    clientSide.useReader(port2);
    const held = [1, 2].map((k) => clientReads([claim(k)]));
    while (arrived.length < 2) await turn();
    port1.close(); // the reader thread died with the asks in its round
    client.open();
    expect((await Promise.all(held)).map(messageOf)).to.deep.equal(["1", "2"]);
    expect(messageOf(await clientReads([claim(3)]))).to.equal("3");
    expect(client.rounds).to.deep.equal([[1], [2], [3]]);
    expect(reader.rounds).to.deep.equal([[1]]); // its round never ended
  });
});
