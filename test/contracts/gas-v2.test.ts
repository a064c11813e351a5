// Gas targets of CredentialRegistryV2 (and v1 beside it): anchor ≤ 52,000; cohort ≤ 1,000 and random ≤ 25,000 gas per credential revoked.
import { expect } from "chai";
import { rng } from "../helpers/rng.ts";
import { Action, ethers, loadFixture } from "./fixtures.ts";
import { ADMIN_DELAY } from "./fixtures-v2.ts";

const TARGETS = { anchor: 52_000, cohortPerCredential: 1_000, randomPerCredential: 25_000 };

type Revoker = {
  anchor(root: string): Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>;
  updateStatusWords(action: number, words: bigint[], masks: bigint[], reason: number): Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>;
  updateStatuses(action: number, indices: number[], reason: number): Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>;
};

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

/** Steady-state anchor, a 256-index cohort and 256 random indices of a 131,072 list, per credential. */
async function measure(signer: Revoker) {
  await gasOf(signer.anchor(ethers.id("warm")));
  const anchor = await gasOf(signer.anchor(ethers.id("measured")));
  const cohort = await gasOf(signer.updateStatusWords(Action.Revoke, [300n], [ethers.MaxUint256], 2));
  const next = rng(7);
  const picked = new Set<number>();
  while (picked.size < 256) {
    const index = Math.floor(next() * 131_072);
    if (index >> 8 !== 300) picked.add(index);
  }
  const random = await gasOf(signer.updateStatuses(Action.Revoke, [...picked], 3));
  return { anchor, cohortPerCredential: Number(cohort) / 256, randomPerCredential: Number(random) / 256 };
}

async function v2Fixture() {
  const [governance, admin, signer] = await ethers.getSigners();
  const registry = await ethers.deployContract("CredentialRegistryV2", [governance!.address, ADMIN_DELAY]);
  await registry.registerIssuer(admin!.address, "did:web:gas.example", "Gas", 0, 0);
  await registry.connect(admin!).addSignerKey(signer!.address);
  return registry.connect(signer!) as unknown as Revoker;
}

async function v1Fixture() {
  const [governance, admin, signer] = await ethers.getSigners();
  const registry = await ethers.deployContract("CredentialRegistry", [governance!.address]);
  await registry.registerIssuer(admin!.address, "did:web:gas.example", 0, 0);
  await registry.connect(admin!).addSignerKey(signer!.address);
  return registry.connect(signer!) as unknown as Revoker;
}

describe("gas targets (CredentialRegistry v1 and v2)", function () {
  for (const [name, fixture] of [
    ["v2", v2Fixture],
    ["v1", v1Fixture],
  ] as const) {
    it(`behavior: ${name} anchor ≤ 52,000; cohort ≤ 1,000 and random ≤ 25,000 per credential`, async function () {
      const figures = await measure(await loadFixture(fixture));
      expect(Number(figures.anchor)).to.be.at.most(TARGETS.anchor);
      expect(figures.cohortPerCredential).to.be.at.most(TARGETS.cohortPerCredential);
      expect(figures.randomPerCredential).to.be.at.most(TARGETS.randomPerCredential);
    });
  }
});
