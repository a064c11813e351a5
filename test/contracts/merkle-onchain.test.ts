// Our Merkle proofs, and @openzeppelin/merkle-tree's, verify on chain with CredentialRegistry.verifyInclusion (OpenZeppelin MerkleProof).
import { expect } from "chai";
import { network } from "hardhat";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { buildCredentialTree } from "../../src/core/merkle.ts";

const { ethers } = await network.getOrCreate();

type Case = { digest: string; proof: string[]; root: string };

async function deployRegistry() {
  const [governance] = await ethers.getSigners();
  return ethers.deployContract("CredentialRegistry", [governance!.address]);
}

/**
 * verifyInclusion for every case, 100 per eth_call through the registry's Multicall, so 1,000
 * proofs take ten calls (one call for all would exceed the transaction gas cap).
 */
async function verifyAll(registry: Awaited<ReturnType<typeof deployRegistry>>, cases: readonly Case[]): Promise<boolean[]> {
  const calls = cases.map((c) => registry.interface.encodeFunctionData("verifyInclusion", [c.digest, c.proof, c.root]));
  const results: boolean[] = [];
  for (let at = 0; at < calls.length; at += 100) {
    const data: string[] = await registry.multicall.staticCall(calls.slice(at, at + 100));
    results.push(...data.map((r) => registry.interface.decodeFunctionResult("verifyInclusion", r)[0] as boolean));
  }
  return results;
}

const digestsOf = (n: number) => Array.from({ length: n }, (_, k) => ethers.id(`onchain-digest-${n}-${k}`));

function oursCases(digests: string[]): Case[] {
  const tree = buildCredentialTree(digests.map((d) => ethers.getBytes(d)));
  const root = ethers.hexlify(tree.root);
  return digests.map((digest, k) => ({ digest, proof: tree.getProofHex(k), root }));
}

function openZeppelinCases(digests: string[]): Case[] {
  const tree = StandardMerkleTree.of(digests.map((d) => [d]), ["bytes32"]);
  return [...tree.entries()].map(([k, [digest]]) => ({ digest: digest!, proof: tree.getProof(k), root: tree.root }));
}

describe("Merkle proofs on chain (CredentialRegistry.verifyInclusion)", function () {
  for (const n of [1, 2, 3, 4, 5, 1000]) {
    it(`behavior: every proof of a ${n}-leaf tree verifies, ours and @openzeppelin/merkle-tree's`, async function () {
      const registry = await deployRegistry();
      const digests = digestsOf(n);
      for (const cases of [oursCases(digests), openZeppelinCases(digests)]) {
        expect(await verifyAll(registry, cases)).to.deep.equal(cases.map(() => true));
      }
    });
  }

  it("behavior: a wrong leaf, proof node or root is rejected", async function () {
    const registry = await deployRegistry();
    const digests = digestsOf(5);
    const cases = oursCases(digests);
    const flip = (hex: string) => ethers.hexlify(ethers.getBytes(hex).map((b, i) => (i === 31 ? b ^ 1 : b)));
    const wrong: Case[] = [
      { ...cases[2]!, digest: digests[3]! }, // another batch member's digest with this proof
      { ...cases[2]!, digest: flip(digests[2]!) },
      { ...cases[2]!, proof: cases[3]!.proof },
      { ...cases[2]!, proof: [flip(cases[2]!.proof[0]!), ...cases[2]!.proof.slice(1)] },
      { ...cases[2]!, proof: cases[2]!.proof.slice(1) },
      { ...cases[2]!, root: flip(cases[2]!.root) },
      // An inner node presented as a digest, with the rest of a proof above it: double hashing refuses it.
      { digest: ethers.hexlify(buildCredentialTree(digests.map((d) => ethers.getBytes(d))).nodes.slice(32, 64)), proof: cases[0]!.proof.slice(1), root: cases[0]!.root },
    ];
    expect(await verifyAll(registry, wrong)).to.deep.equal(wrong.map(() => false));
    expect(await verifyAll(registry, [cases[2]!])).to.deep.equal([true]);
  });
});
