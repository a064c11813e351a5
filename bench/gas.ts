// Gas benchmark of CredentialRegistry v2 beside v1 on Hardhat's in-process network (`npm run bench:gas [-- --json]`).
import { network } from "hardhat";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { Contract } from "ethers";
import { rng } from "../test/helpers/rng.ts";

type Ethers = HardhatEthers;
type Row = { operation: string; gas: bigint; credentials: number; note: string };

const STATUS_LIST_LENGTH = 131_072;
const Action = { Revoke: 0, Suspend: 1, Reinstate: 2 } as const;

// Peers measured beforehand on Hardhat with the same method (gas used of the transaction).
const PEERS = [
  "OpenAttestation DocumentStore: issue(root) ≈ 49,000; single revocation 48,000–58,000",
  "EAS on-chain attestation: 165,000–200,000 per credential; multiRevoke ≈ 26,000 per item",
  "bare bitmap: ≈ 22,000 per random index in a batch; ≈ 46,500 to OR a 256-bit mask into one word",
];

function randomRoot(seed: number): string {
  return "0x" + (BigInt(seed) * 0x9e3779b97f4a7c15n + 0x1234n).toString(16).padStart(64, "0").slice(-64);
}


type Version = "v1" | "v2";

/** Deploys one registry version with an issuer (cold admin apart from the hot signer in v2) and measures it. */
async function measure(ethers: Ethers, version: Version): Promise<{ rows: Row[]; result: Record<string, number> }> {
  const [governance, admin, signer] = await ethers.getSigners();
  // One code path for both versions: their shared functions have the same signatures.
  const registry = (
    version === "v1"
      ? await ethers.deployContract("CredentialRegistry", [governance!.address])
      : await ethers.deployContract("CredentialRegistryV2", [governance!.address, 2 * 24 * 3600])
  ) as unknown as Contract;
  await registry.waitForDeployment();
  const register =
    version === "v1"
      ? registry.connect(governance!).getFunction("registerIssuer")(admin!.address, "did:web:bench.example", 0, 0)
      : registry.connect(governance!).getFunction("registerIssuer")(admin!.address, "did:web:bench.example", "Bench", 0, 0);
  await (await register).wait();
  await (await registry.connect(admin!).getFunction("addSignerKey")(signer!.address)).wait();
  const asSigner = registry.connect(signer!);

  const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> => {
    const receipt = await (await tx).wait();
    if (!receipt) throw new Error("no receipt");
    return receipt.gasUsed;
  };

  const rows: Row[] = [];
  // Warm the issuer's first anchor so the figure is the steady state (a fresh root slot each time).
  await gasOf(asSigner.getFunction("anchor")(randomRoot(1)));
  const anchorGas = await gasOf(asSigner.getFunction("anchor")(randomRoot(2)));
  rows.push({ operation: "anchor(root)", gas: anchorGas, credentials: 1, note: "one batch root, any batch size" });

  const revokeRootGas = await gasOf(asSigner.getFunction("revokeRoot")(randomRoot(2), 1));
  rows.push({ operation: "revokeRoot(root)", gas: revokeRootGas, credentials: 1, note: "whole batch" });

  const update = asSigner.getFunction("updateStatus");
  const revokeOneGas = await gasOf(update(Action.Revoke, 4242, 1));
  rows.push({ operation: "updateStatus(Revoke, i)", gas: revokeOneGas, credentials: 1, note: "fresh word" });

  const suspendOneGas = await gasOf(update(Action.Suspend, 9000, 0));
  rows.push({ operation: "updateStatus(Suspend, i)", gas: suspendOneGas, credentials: 1, note: "fresh word" });

  const reinstateOneGas = await gasOf(update(Action.Reinstate, 9000, 0));
  rows.push({ operation: "updateStatus(Reinstate, i)", gas: reinstateOneGas, credentials: 1, note: "clears the bit" });

  // Cohort: 256 consecutive indices = one word, passed as word + mask.
  const cohortWord = 300;
  const cohortGas = await gasOf(asSigner.getFunction("updateStatusWords")(Action.Revoke, [cohortWord], [ethers.MaxUint256], 2));
  rows.push({ operation: "updateStatusWords(Revoke, 1 word)", gas: cohortGas, credentials: 256, note: "cohort of 256" });

  // Random: 256 distinct indices drawn from a list of 131,072, away from the words used above.
  const next = rng(7);
  const picked = new Set<number>();
  while (picked.size < 256) {
    const index = Math.floor(next() * STATUS_LIST_LENGTH);
    const word = index >> 8;
    if (word !== cohortWord && word !== 4242 >> 8 && word !== 9000 >> 8) picked.add(index);
  }
  const randomIndices = [...picked];
  const randomGas = await gasOf(asSigner.getFunction("updateStatuses")(Action.Revoke, randomIndices, 3));
  const distinctWords = new Set(randomIndices.map((i) => i >> 8)).size;
  rows.push({
    operation: "updateStatuses(Revoke, 256 random)",
    gas: randomGas,
    credentials: 256,
    note: `${distinctWords} distinct words`,
  });

  if (version === "v2") {
    // The cold admin's undo of a stolen key's cohort revocation (item 6 of the security review).
    const undoGas = await gasOf(registry.connect(admin!).getFunction("undoStatusWords")(Action.Revoke, [cohortWord], [ethers.MaxUint256], 9));
    rows.push({ operation: "undoStatusWords(Revoke, 1 word)", gas: undoGas, credentials: 256, note: "admin undo of a cohort" });
  }

  // What a verifier's single eth_call costs (not paid by anyone, but bounds RPC work).
  const verifyArgs = version === "v1" ? [randomRoot(1), 4242] : [1n, randomRoot(1), 4242];
  const verifyViewGas = await registry.getFunction("verify").estimateGas(...verifyArgs);
  rows.push({ operation: "verify(…, i) [view]", gas: verifyViewGas, credentials: 1, note: "eth_call, estimate" });

  const result = {
    anchorGas: Number(anchorGas),
    revokeRootGas: Number(revokeRootGas),
    revokeOneGas: Number(revokeOneGas),
    revokeCohort256PerCredentialGas: Math.round(Number(cohortGas) / 256),
    revokeRandom256PerCredentialGas: Math.round(Number(randomGas) / 256),
    suspendOneGas: Number(suspendOneGas),
    verifyViewGas: Number(verifyViewGas),
  };
  return { rows, result };
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const { ethers } = await network.getOrCreate();
  const measured = { v2: await measure(ethers, "v2"), v1: await measure(ethers, "v1") };

  console.log("CredentialRegistry gas (Hardhat in-process network, gasUsed per transaction incl. 21,000 base)\n");
  console.log("operation".padEnd(38) + "v2 gas".padStart(10) + "v1 gas".padStart(10) + "v2 per cred.".padStart(14) + "  note");
  for (const row of measured.v2.rows) {
    const v1 = measured.v1.rows.find((r) => r.operation === row.operation);
    const per = Math.round(Number(row.gas) / row.credentials);
    console.log(
      row.operation.padEnd(38) + row.gas.toString().padStart(10) + (v1?.gas.toString() ?? "-").padStart(10) + per.toString().padStart(14) + "  " + row.note,
    );
  }
  const result = measured.v2.result;
  console.log("\nTargets: anchor ≤ 52,000; cohort ≤ 1,000 per credential; random bulk ≤ 25,000 per credential");
  console.log(
    `Ratios (v2): anchor / DocumentStore issue ≈ ${(result.anchorGas! / 49_000).toFixed(2)}; ` +
      `random per credential / EAS multiRevoke item ≈ ${(result.revokeRandom256PerCredentialGas! / 26_000).toFixed(2)}; ` +
      `cohort per credential / bare bitmap random ≈ ${(result.revokeCohort256PerCredentialGas! / 22_000).toFixed(3)}`,
  );
  console.log("Peers (measured beforehand, for comparison):\n  " + PEERS.join("\n  "));
  if (json) console.log(JSON.stringify({ ...result, v1: measured.v1.result }));
}

await main();
