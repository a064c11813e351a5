// Pins the credential leaf to OpenZeppelin StandardMerkleTree's bytes32 leaf hash.
import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { credentialLeaf } from "../../src/core/leaf.ts";
import { CredanchorError } from "../../src/core/errors.ts";

const toHex = (b: Uint8Array) => "0x" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

describe("core/leaf", () => {
  it("behavior: equals StandardMerkleTree.leafHash([digest]) for bytes32", () => {
    for (const fill of [0, 1, 0x7f, 0xff]) {
      const digest = new Uint8Array(32).fill(fill);
      digest[0] = 0xab;
      const tree = StandardMerkleTree.of([[toHex(digest)]], ["bytes32"]);
      expect(toHex(credentialLeaf(digest))).to.equal(tree.leafHash([toHex(digest)]));
    }
  });

  it("error: a digest that is not 32 bytes is a caller bug", () => {
    expect(() => credentialLeaf(new Uint8Array(31))).to.throw(CredanchorError).with.property("code", "INTERNAL");
  });
});
