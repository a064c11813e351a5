// `credanchor verify` as a user runs it: a real hardhat node, bundle files on disk, exit codes 0/1/2.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { ContractFactory, JsonRpcProvider, type Contract } from "ethers";
import hre from "hardhat";
import { createBundle, encodeBundle } from "../../src/core/bundle.ts";
import { bytesToHex } from "../../src/core/encoding.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { getFreePort, startLocalNode, type LocalNode } from "../../src/chain/local-node.ts";
import { sampleBadge } from "../core/helpers.ts";

const exec = promisify(execFile);
// The CLI always trusts the shipped deployments/*.json; a dev machine's localhost.json may name
// the node's deterministic first address, so tests trust only what they pass with --trust.
const NO_SHIPPED_BOOKS = mkdtempSync(join(tmpdir(), "credanchor-no-books-"));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ["src/cli/credanchor.ts", ...args], { env: { ...process.env, RPC_URL: "", DEPLOYMENTS_DIR: NO_SHIPPED_BOOKS } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("credanchor verify (CLI)", function () {
  let node: LocalNode;
  let dir: string;
  let files: string[];
  let book: string;
  let registry: Contract;

  before(async function () {
    node = await startLocalNode();
    dir = mkdtempSync(join(tmpdir(), "credanchor-cli-"));
    const provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
    const governance = await provider.getSigner(0);
    const artifact = await hre.artifacts.readArtifact("CredentialRegistry");
    registry = (await new ContractFactory(artifact.abi, artifact.bytecode, governance).deploy(await governance.getAddress())) as Contract;
    const deployTx = registry.deploymentTransaction()!;
    const deployReceipt = (await deployTx.wait())!;
    const address = await registry.getAddress();
    await (await registry.getFunction("registerIssuer")(await governance.getAddress(), "did:web:uni.example", 0, 0)).wait();

    const prepared = [0, 1].map((statusIndex) => {
      const credential = sampleBadge();
      ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = `Teamwork ${statusIndex}`;
      const context = { chainId: 31337, registry: address, issuerId: 1, statusIndex };
      return { credential, context, ...prepareCredential(credential, context) };
    });
    const tree = buildCredentialTree(prepared.map((p) => p.digest));
    const receipt = (await (await registry.getFunction("anchor")(bytesToHex(tree.root))).wait())!;
    files = prepared.map((p, k) => {
      const bundle = createBundle(
        { credential: p.credential, salts: p.salts, hiddenFieldHashes: [], hiddenElements: [] },
        { ...p.context, validFrom: p.validFrom, validUntil: p.validUntil, leaf: tree.leaf(k), proof: tree.getProof(k), root: tree.root, txHash: Buffer.from(receipt.hash.slice(2), "hex"), blockNumber: receipt.blockNumber },
      );
      const file = join(dir, `badge-${k}.json`);
      writeFileSync(file, encodeBundle(bundle));
      return file;
    });
    await (await registry.getFunction("updateStatus")(0, 1, 3)).wait(); // revoke the second badge
    book = join(dir, "book.json");
    const hash = deployTx.hash;
    writeFileSync(book, JSON.stringify({ network: "cli-test", chainId: 31337, deployments: [{ contract: "CredentialRegistry", address, version: "1.0.0", deployBlock: deployReceipt.blockNumber, deployTx: hash, deployer: await governance.getAddress(), governance: await governance.getAddress(), abiHash: hash, compiler: "solc 0.8.28", deployedAt: new Date().toISOString() }] }));
  });

  after(async function () {
    await node?.stop();
  });

  it("behavior: a valid bundle exits 0 and shows every check with ✓", async function () {
    const { code, stdout } = await cli(["verify", files[0]!, "--rpc", node.url, "--trust", book]);
    expect(code, stdout).to.equal(0);
    expect(stdout).to.include(`${files[0]}: VALID`);
    for (const name of ["format", "integrity", "inclusion", "anchored", "issuer", "status", "validity"]) {
      expect(stdout).to.match(new RegExp(`✓ ${name}`));
    }
    expect(stdout).to.include("did:web:uni.example");
  });

  it("behavior: a revoked bundle exits 1 and says why; --json gives the typed reports", async function () {
    const { code, stdout } = await cli(["verify", files[0]!, files[1]!, "--rpc", `31337=${node.url}`, "--trust", book, "--json"]);
    expect(code).to.equal(1);
    const reports = JSON.parse(stdout) as { file: string; verdict: string; checks: { name: string; outcome: string; code: string }[] }[];
    expect(reports.map((r) => r.verdict)).to.deep.equal(["valid", "invalid"]);
    expect(reports[1]!.checks.find((c) => c.name === "status")).to.deep.include({ outcome: "fail", code: "REVOKED" });
    const human = await cli(["verify", files[1]!, "--rpc", node.url, "--trust", book]);
    expect(human.stdout).to.include("✗ status    status index 1 is revoked");
  });

  it("error: an untrusted registry exits 1; an unreachable RPC or a missing file exits 2", async function () {
    const untrusted = await cli(["verify", files[0]!, "--rpc", node.url]);
    expect(untrusted.code).to.equal(1);
    expect(untrusted.stdout).to.include("unknown registry");
    const down = await cli(["verify", files[0]!, "--rpc", `http://127.0.0.1:${await getFreePort()}`, "--trust", book]);
    expect(down.code).to.equal(2);
    expect(down.stdout).to.include("ERROR");
    const missing = await cli(["verify", join(dir, "nope.json"), "--trust", book]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include("cannot read");
  });

  it("error: usage mistakes are one clear line, never a stack trace", async function () {
    const unknownFlag = await cli(["verify", files[0]!, "--frobnicate"]);
    expect(unknownFlag.code).to.equal(2);
    expect(unknownFlag.stderr).to.match(/^credanchor: Unknown option '--frobnicate'/);
    expect(unknownFlag.stderr).to.not.include("    at ");
    const unknownCommand = await cli(["frob"]);
    expect(unknownCommand.code).to.equal(2);
    expect(unknownCommand.stderr).to.include('unknown command "frob"');
    const help = await cli(["verify", "--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include("Exit code: 0 all valid, 1 some bundle invalid, 2 could not decide");
  });
});
