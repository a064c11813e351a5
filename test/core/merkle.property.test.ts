// Property tests of Merkle trees: every proof of a random tree verifies, and any single flipped bit breaks it.
import { expect } from "chai";
import fc from "fast-check";
import { buildCredentialTree, buildMerkleTree } from "../../src/core/merkle.ts";
import { verifyCredentialProof, verifyMerkleProof } from "../../src/core/merkle-proof.ts";

/** n random 32-byte values, flat (sizes biased small, where the layout's edge cases are). */
const valuesArbitrary = fc
  .oneof({ arbitrary: fc.integer({ min: 1, max: 40 }), weight: 3 }, { arbitrary: fc.integer({ min: 41, max: 5000 }), weight: 1 })
  .chain((n) => fc.uint8Array({ minLength: 32 * n, maxLength: 32 * n }));

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe("core/merkle (properties)", () => {
  it("behavior: every proof of a random tree of 1..5000 leaves verifies", () => {
    fc.assert(
      fc.property(valuesArbitrary, (flat) => {
        const tree = buildCredentialTree(flat);
        for (let k = 0; k < tree.leafCount; k++) {
          if (!verifyCredentialProof(flat.subarray(32 * k, 32 * k + 32), tree.getProof(k), tree.root)) return false;
        }
        return true;
      }),
      { numRuns: 40 },
    );
  });

  it("behavior: flipping any one bit of the leaf, a proof node or the root fails verification", () => {
    const caseArbitrary = valuesArbitrary.chain((flat) =>
      fc.record({
        flat: fc.constant(flat),
        index: fc.nat({ max: flat.length / 32 - 1 }),
        target: fc.constantFrom("leaf", "proof", "root"),
        bit: fc.nat(),
      }),
    );
    fc.assert(
      fc.property(caseArbitrary, ({ flat, index, target, bit }) => {
        const tree = buildMerkleTree(flat);
        const leaf = tree.leaf(index);
        const proof = tree.getProof(index);
        if (target === "proof" && proof.length === 0) return true; // a one-leaf tree has no proof to corrupt
        expect(verifyMerkleProof(leaf, proof, tree.root)).to.equal(true);
        const bits = 8 * (target === "proof" ? proof.length : 32);
        const flipped = bit % bits;
        const verified =
          target === "leaf"
            ? verifyMerkleProof(flipBit(leaf, flipped), proof, tree.root)
            : target === "proof"
              ? verifyMerkleProof(leaf, flipBit(proof, flipped), tree.root)
              : verifyMerkleProof(leaf, proof, flipBit(tree.root, flipped));
        return verified === false;
      }),
      { numRuns: 200 },
    );
  });
});
