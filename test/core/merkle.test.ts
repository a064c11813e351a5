// Pins the Merkle tree to OpenZeppelin's layout and verifiers, and its proofs to their stored forms.
import { expect } from "chai";
import { SimpleMerkleTree, StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256 } from "../../src/core/keccak.ts";
import { credentialLeaf } from "../../src/core/leaf.ts";
import { CredanchorError } from "../../src/core/errors.ts";
import { buildCredentialTree, buildMerkleTree } from "../../src/core/merkle.ts";
import {
  hashMerklePair,
  processMerkleProof,
  proofFromHex,
  proofToHex,
  verifyCredentialProof,
  verifyMerkleProof,
} from "../../src/core/merkle-proof.ts";

const toHex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");
/** Digest k of a test batch: keccak256("digest-<k>"). */
const digestOf = (k: number) => keccak256(new TextEncoder().encode(`digest-${k}`));
const digestsOf = (n: number) => Array.from({ length: n }, (_, k) => digestOf(k));

const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100];

describe("core/merkle", () => {
  it("default: root equals StandardMerkleTree.of(digests, ['bytes32'], { sortLeaves: false })", () => {
    for (const n of SIZES) {
      const digests = digestsOf(n);
      const tree = buildCredentialTree(digests);
      const oz = StandardMerkleTree.of(digests.map((d) => [toHex(d)]), ["bytes32"], { sortLeaves: false });
      expect(toHex(tree.root), `n = ${n}`).to.equal(oz.root);
      expect(tree.leafCount).to.equal(n);
      expect(tree.depth).to.equal(Math.max(0, ...digests.map((_, k) => oz.getProof(k).length)));
      for (let k = 0; k < n; k++) expect(tree.getProofHex(k), `n = ${n}, leaf ${k}`).to.deep.equal(oz.getProof(k));
    }
  });

  it("default: the test vector of docs/formats.md (digests keccak256('digest-0..2'))", () => {
    const tree = buildCredentialTree(digestsOf(3));
    const node = (i: number) => toHex(tree.nodes.subarray(32 * i, 32 * i + 32));
    expect(toHex(digestOf(0))).to.equal("0xd8fadd0b857eda9e3331f40d4d24c365f0a61f6c22a1cf0f5abf30cf2dba30af");
    expect([4, 3, 2].map(node)).to.deep.equal([
      "0x4eb86ce66f097d396ceb4128d6ab093da9716e926a89f6b771b9d10107a708d7",
      "0x512cc5e6ecc78658a819b1bd33f0b05ba7dcbd32bff604e30c9e274a715b5679",
      "0xf313b8ebc41685345dc4da94f4d5cf652dd1047897519ad0362e4deaa851b0f6",
    ]);
    expect(node(1)).to.equal("0x346fdb77ab7f14c2ed8eae7eb29e6076d00d89cf1a5ac760572221e84e27fb6c");
    expect(toHex(tree.root)).to.equal("0x9f79b379dbe289c99e16b620c24dc8a4591fe2184ae463d7c483886f8789d5b0");
    expect([0, 1, 2].map((k) => tree.getProofHex(k))).to.deep.equal([
      [node(3), node(2)],
      [node(4), node(2)],
      [node(1)],
    ]);
  });

  it("behavior: every proof verifies with StandardMerkleTree.verify and SimpleMerkleTree.verify", () => {
    for (const n of SIZES) {
      const digests = digestsOf(n);
      const tree = buildCredentialTree(digests);
      const root = toHex(tree.root);
      for (let k = 0; k < n; k++) {
        const proof = tree.getProofHex(k);
        expect(StandardMerkleTree.verify(root, ["bytes32"], [toHex(digests[k]!)], proof), `n = ${n}, leaf ${k}`).to.equal(true);
        expect(SimpleMerkleTree.verify(root, toHex(tree.leaf(k)), proof)).to.equal(true);
      }
    }
  });

  it("behavior: verifies OpenZeppelin's own proofs (sorted leaves, a different tree of the same digests)", () => {
    for (const n of [1, 2, 3, 5, 100]) {
      const digests = digestsOf(n);
      const oz = StandardMerkleTree.of(digests.map((d) => [toHex(d)]), ["bytes32"]);
      const root = Buffer.from(oz.root.slice(2), "hex");
      for (const [k, [value]] of oz.entries()) {
        const proof = proofFromHex(oz.getProof(k))!;
        expect(verifyCredentialProof(Buffer.from(value!.slice(2), "hex"), proof, root)).to.equal(true);
      }
    }
  });

  it("behavior: leaf k is credentialLeaf(digest k); buildMerkleTree over those leaves gives the same tree", () => {
    const digests = digestsOf(37);
    const credentialTree = buildCredentialTree(digests);
    const leaves = digests.map(credentialLeaf);
    const leafTree = buildMerkleTree(leaves);
    expect(toHex(leafTree.nodes)).to.equal(toHex(credentialTree.nodes));
    leaves.forEach((leaf, k) => expect(toHex(credentialTree.leaf(k))).to.equal(toHex(leaf)));
  });

  it("behavior: the JavaScript path, flat input and unaligned flat input give the same nodes", () => {
    for (const n of [1, 2, 3, 13, 64, 257]) {
      const digests = digestsOf(n);
      const expected = toHex(buildCredentialTree(digests).nodes);
      expect(toHex(buildCredentialTree(digests, { implementation: "js" }).nodes), `js, n = ${n}`).to.equal(expected);
      const flat = new Uint8Array(32 * n);
      digests.forEach((d, k) => flat.set(d, 32 * k));
      expect(toHex(buildCredentialTree(flat).nodes), `flat, n = ${n}`).to.equal(expected);
      const unaligned = new Uint8Array(32 * n + 1).subarray(1);
      unaligned.set(flat);
      expect(toHex(buildCredentialTree(unaligned).nodes), `unaligned, n = ${n}`).to.equal(expected);
    }
  });

  it("behavior: does not modify its input", () => {
    const digests = digestsOf(10);
    const flat = new Uint8Array(320);
    digests.forEach((d, k) => flat.set(d, 32 * k));
    const before = toHex(flat);
    buildCredentialTree(flat);
    buildCredentialTree(digests);
    expect(toHex(flat)).to.equal(before);
    digests.forEach((d, k) => expect(toHex(d)).to.equal(toHex(digestOf(k))));
  });

  it("behavior: a one-leaf tree's root is its leaf and its proof is empty", () => {
    const tree = buildCredentialTree([digestOf(0)]);
    expect(toHex(tree.root)).to.equal(toHex(credentialLeaf(digestOf(0))));
    expect(tree.getProof(0).length).to.equal(0);
    expect(tree.depth).to.equal(0);
    expect(verifyCredentialProof(digestOf(0), tree.getProof(0), tree.root)).to.equal(true);
  });

  it("behavior: proofs round-trip through hex and lead to the root", () => {
    const tree = buildCredentialTree(digestsOf(21));
    for (let k = 0; k < 21; k++) {
      const proof = tree.getProof(k);
      expect(proof.length % 32).to.equal(0);
      expect(toHex(proofFromHex(proofToHex(proof))!)).to.equal(toHex(proof));
      expect(toHex(processMerkleProof(tree.leaf(k), proof))).to.equal(toHex(tree.root));
      expect(verifyMerkleProof(tree.leaf(k), proof, tree.root)).to.equal(true);
    }
  });

  it("behavior: hashMerklePair is commutative and equals keccak256(min ‖ max)", () => {
    const [a, b] = [digestOf(1), digestOf(2)];
    const [lo, hi] = Buffer.compare(a, b) < 0 ? [a, b] : [b, a];
    expect(toHex(hashMerklePair(a, b))).to.equal(toHex(keccak256(new Uint8Array([...lo, ...hi]))));
    expect(toHex(hashMerklePair(b, a))).to.equal(toHex(hashMerklePair(a, b)));
  });

  it("behavior: wrong leaf, proof or root does not verify; malformed sizes are false, not exceptions", () => {
    const tree = buildCredentialTree(digestsOf(5));
    const proof = tree.getProof(2);
    expect(verifyMerkleProof(tree.leaf(3), proof, tree.root)).to.equal(false);
    expect(verifyMerkleProof(tree.leaf(2), tree.getProof(3), tree.root)).to.equal(false);
    expect(verifyMerkleProof(tree.leaf(2), proof, tree.leaf(0))).to.equal(false);
    expect(verifyCredentialProof(digestOf(9), proof, tree.root)).to.equal(false);
    // The inner node is not a leaf: double hashing means it cannot pass as one.
    expect(verifyCredentialProof(tree.nodes.slice(32, 64), tree.getProof(0).subarray(32), tree.root)).to.equal(false);
    expect(verifyMerkleProof(tree.leaf(2), proof.subarray(1), tree.root)).to.equal(false);
    expect(verifyMerkleProof(tree.leaf(2).subarray(1), proof, tree.root)).to.equal(false);
    expect(verifyCredentialProof(digestOf(2).subarray(1), proof, tree.root)).to.equal(false);
  });

  it("error: empty input, values that are not 32 bytes, leaf indices out of range", () => {
    expect(() => buildMerkleTree([])).to.throw(CredanchorError);
    expect(() => buildMerkleTree(new Uint8Array(0))).to.throw(CredanchorError);
    expect(() => buildMerkleTree(new Uint8Array(33))).to.throw(CredanchorError);
    expect(() => buildCredentialTree([new Uint8Array(32), new Uint8Array(31)])).to.throw(CredanchorError, /value 1/);
    const tree = buildCredentialTree(digestsOf(3));
    for (const index of [-1, 3, 1.5, NaN]) expect(() => tree.getProof(index)).to.throw(CredanchorError);
    expect(() => processMerkleProof(tree.leaf(0), new Uint8Array(31))).to.throw(CredanchorError);
  });

  it("error: proofFromHex returns undefined unless every node is 0x + 64 hex digits", () => {
    const node = "0x" + "ab".repeat(32);
    expect(proofFromHex([])!.length).to.equal(0);
    expect(proofFromHex([node, node.toUpperCase().replace("0X", "0x")])!.length).to.equal(64);
    for (const bad of [node.slice(2), node + "00", node.slice(0, -1), "0x" + "zz".repeat(32), "0X" + "ab".repeat(32)]) {
      expect(proofFromHex([node, bad]), bad).to.equal(undefined);
    }
  });
});
