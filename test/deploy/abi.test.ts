// The committed ABIs (src/chain/abi.ts) are the compiled contracts' ABIs, v1 and v2.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import hre from "hardhat";
import { credentialRegistryAbi, credentialRegistryV1Abi, credentialRegistryV2Abi } from "../../src/chain/abi.ts";

describe("src/chain/abi.ts", function () {
  it("behavior: equals the compiled CredentialRegistry and CredentialRegistryV2 ABIs (run `npm run abi` after changing a contract)", async function () {
    const v1 = await hre.artifacts.readArtifact("CredentialRegistry");
    const v2 = await hre.artifacts.readArtifact("CredentialRegistryV2");
    expect(credentialRegistryV1Abi).to.deep.equal(v1.abi);
    expect(credentialRegistryV2Abi).to.deep.equal(v2.abi);
    const { renderAbiModule } = await import("../../scripts/export-abi.ts");
    expect(readFileSync(new URL("../../src/chain/abi.ts", import.meta.url), "utf8")).to.equal(
      renderAbiModule({ v1: v1.abi as unknown[], v2: v2.abi as unknown[] }),
    );
  });

  it("behavior: credentialRegistryAbi, used for new deployments, is version 2's", function () {
    expect(credentialRegistryAbi).to.equal(credentialRegistryV2Abi);
  });
});
