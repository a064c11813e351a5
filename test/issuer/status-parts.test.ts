// Splitting a bulk status change into calls under a gas budget, and reading a call's indices back.
import { expect } from "chai";
import { STATUS_CALL_BASE_GAS, STATUS_WORD_GAS, statusCalls, statusIndicesOfCall, wordsPerStatusCall } from "../../src/issuer/status-parts.ts";

describe("src/issuer/status-parts.ts", function () {
  it("default: every index lands in exactly one call, in word order, and reads back exactly", function () {
    const indices = Array.from({ length: 3_000 }, (_, k) => (k * 7_919) % 1_000_000).sort((a, b) => a - b);
    const budget = STATUS_CALL_BASE_GAS + 10 * STATUS_WORD_GAS; // 10 words per call
    const calls = statusCalls("suspend", indices, 5, budget);
    const words = new Set(indices.map((i) => i >> 8)).size;
    expect(calls).to.have.length(Math.ceil(words / 10));
    const back = calls.flatMap(statusIndicesOfCall);
    expect(back).to.deep.equal([...new Set(indices)]);
  });

  it("behavior: the default 10M budget allows a few hundred words per call, at least one whatever the budget", function () {
    expect(wordsPerStatusCall(10_000_000)).to.equal(Math.floor((10_000_000 - STATUS_CALL_BASE_GAS) / STATUS_WORD_GAS));
    expect(wordsPerStatusCall(10_000_000)).to.be.within(300, 400);
    expect(wordsPerStatusCall(1)).to.equal(1);
    expect(statusCalls("revoke", [0, 1, 255], 0, 10_000_000)).to.have.length(1); // one word
  });
});
