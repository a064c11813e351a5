// The committed ABI (src/chain/abi.ts) is the compiled contract's ABI.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import hre from "hardhat";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";

describe("src/chain/abi.ts", function () {
  it("behavior: equals the compiled CredentialRegistry ABI (run `npm run abi` after changing the contract)", async function () {
    const artifact = await hre.artifacts.readArtifact("CredentialRegistry");
    expect(credentialRegistryAbi).to.deep.equal(artifact.abi);
    const { renderAbiModule } = await import("../../scripts/export-abi.ts");
    expect(readFileSync(new URL("../../src/chain/abi.ts", import.meta.url), "utf8")).to.equal(
      renderAbiModule(artifact.abi as unknown[]),
    );
  });
});
