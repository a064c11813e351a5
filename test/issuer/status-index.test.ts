// Random status-index allocation: unique, within the list, spread out, and the list grows.
import { expect } from "chai";
import { StatusIndexAllocator } from "../../src/issuer/status-index.ts";

describe("src/issuer/status-index.ts", function () {
  it("default: indices are unique, inside the list, and not in issue order", function () {
    const allocator = new StatusIndexAllocator(1024);
    const indices = allocator.allocate(300);
    expect(new Set(indices).size).to.equal(300);
    expect(indices.every((i) => Number.isInteger(i) && i >= 0 && i < 1024)).to.equal(true);
    const sorted = [...indices].sort((a, b) => a - b);
    expect(indices).not.to.deep.equal(sorted);
    // Spread over the list: every quarter gets some (probability of failure ≈ 4·(3/4)^300).
    for (let q = 0; q < 4; q++) expect(indices.some((i) => i >= q * 256 && i < (q + 1) * 256)).to.equal(true);
    expect(allocator.used).to.equal(300);
  });

  it("behavior: taken indices (from the database) are never drawn again; the list doubles when half full", function () {
    const taken = Array.from({ length: 8 }, (_, i) => i * 2);
    const allocator = new StatusIndexAllocator(16, taken);
    expect(allocator.sizeFor(100)).to.equal(256); // (8 + 100) · 2 ≤ 256
    allocator.grow(allocator.sizeFor(100));
    const drawn = allocator.allocate(100);
    expect(drawn.filter((i) => taken.includes(i))).to.deep.equal([]);
    expect(new Set([...drawn, ...taken]).size).to.equal(108);
    expect(allocator.size).to.be.at.least(216);
    expect(allocator.used).to.equal(108);
  });

  it("error: the list never grows by itself: the caller checks the new range on-chain first (issue 10, item 7)", function () {
    const allocator = new StatusIndexAllocator(16);
    expect(() => allocator.allocate(9)).to.throw(/must grow/);
    // Bits set on-chain in the new range are marked taken when it grows, and never drawn.
    const onChain = Array.from({ length: 100 }, (_, i) => 16 + i);
    allocator.grow(allocator.sizeFor(9) * 8, onChain);
    const drawn = allocator.allocate(9);
    expect(drawn.filter((i) => onChain.includes(i))).to.deep.equal([]);
  });

  it("behavior: released indices (a rolled-back request) can be drawn again", function () {
    const allocator = new StatusIndexAllocator(4);
    const [a] = allocator.allocate(1);
    allocator.release([a!]);
    expect(allocator.used).to.equal(0);
    allocator.release([a!]); // twice is harmless
    expect(allocator.used).to.equal(0);
  });
});
