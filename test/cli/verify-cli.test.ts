// `credanchor verify` as a user runs it: a real hardhat node, bundle files on disk, exit codes 0/1/2.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import { cli } from "../helpers/cli.ts";

// The CLI always trusts the shipped deployments/*.json; a dev machine's localhost.json may name
// the node's deterministic first address, so tests trust only what they pass with --trust.

/**
 * What a terminal shows for `text`: lines after carriage returns, cursor up/down (`ESC[nA`,
 * `ESC[nB`) and line erasure (`ESC[2K`); other escape sequences draw nothing.
 */
function screen(text: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const seq = c === "\x1b" ? /^\x1b\[(\d*)([A-Za-z])/.exec(text.slice(i)) : null;
    if (seq) {
      const n = Number(seq[1] || 1);
      if (seq[2] === "A") row = Math.max(0, row - n);
      if (seq[2] === "B") row += n;
      rows[row] ??= [];
      if (seq[2] === "K") rows[row] = [];
      i += seq[0].length - 1;
    } else if (c === "\n") {
      rows[++row] ??= [];
      col = 0;
    } else if (c === "\r") {
      col = 0;
    } else {
      (rows[row] ??= [])[col++] = c;
    }
  }
  return rows.map((r) => Array.from(r, (ch) => ch ?? " ").join("").trimEnd());
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
    // Independent runs go side by side (each is a process start): same checks, less waiting.
    const [{ code, stdout }, jsonRun] = await Promise.all([
      cli(["verify", files[0]!, "--rpc", node.url, "--trust", book]),
      cli(["verify", files[0]!, "--rpc", node.url, "--trust", book, "--json"]),
    ]);
    expect(code, stdout).to.equal(0);
    expect(stdout).to.include(`${files[0]}: VALID`);
    for (const name of ["format", "integrity", "inclusion", "anchored", "issuer", "status", "validity"]) {
      expect(stdout).to.match(new RegExp(`✓ ${name}`));
    }
    expect(stdout).to.include("did:web:uni.example");
    expect(stdout).to.include("  issuer    on-chain: did:web:uni.example, issuer 1; credential claims: did:web:uni.example\n");
    expect(stdout).to.include(`  rpc       ${node.url}\n`);
    const json = JSON.parse(jsonRun.stdout) as { issuer: unknown }[];
    expect(json[0]!.issuer).to.deep.equal({ issuerId: 1, claimed: "did:web:uni.example", onChain: "did:web:uni.example", matches: true });
  });

  it("error: terminal escape injection: a revoked credential's bundle crafted with escape sequences cannot show VALID", async function () {
    // The revoked badge, plus a hidden-element pointer that the integrity message repeats: on a
    // raw terminal it went up two lines, erased the verdict and wrote VALID in its place.
    const crafted = join(dir, "bundle.json");
    const bundle = JSON.parse(readFileSync(files[1]!, "utf8")) as { hiddenElements: string[] };
    bundle.hiddenElements = [`/x\r\x1b[2K  \u2713 integrity ok\x1b[2A\r\x1b[2K${crafted}: VALID\x1b[2B\u202e`];
    writeFileSync(crafted, JSON.stringify(bundle));
    const [{ code, stdout }, json] = await Promise.all([cli(["verify", crafted, "--rpc", node.url, "--trust", book]), cli(["verify", crafted, "--rpc", node.url, "--trust", book, "--json"])]);
    expect(code).to.equal(1);
    expect(screen(stdout)[0]).to.equal(`${crafted}: INVALID`);
    expect(stdout).to.not.match(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    expect(stdout).to.include("\\x1b[2A\\x0d\\x1b[2K");
    expect(stdout).to.include("\\u202e");
    // --json: the same values, with every such character as a JSON escape.
    expect(json.stdout).to.not.match(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    const reports = JSON.parse(json.stdout) as { checks: { message: string }[] }[];
    expect(reports[0]!.checks[1]!.message).to.include(bundle.hiddenElements[0]!);
  });

  it("behavior: without --rpc it reads the service's settings: RPC_URL, else the local chain on CHAIN_PORT", async function () {
    const port = new URL(node.url).port;
    const freePort = String(await getFreePort());
    const [byPort, byUrl, badSetting] = await Promise.all([
      cli(["verify", files[0]!, "--trust", book], { CHAIN_PORT: port }),
      cli(["verify", files[0]!, "--trust", book], { RPC_URL: node.url, CHAIN_PORT: freePort }),
      cli(["verify", files[0]!, "--trust", book], { CHAIN_PORT: "nope" }),
    ]);
    expect(byPort.code, byPort.stdout + byPort.stderr).to.equal(0);
    expect(byPort.stdout).to.include(`  rpc       http://127.0.0.1:${port}\n`);
    expect(byUrl.code, byUrl.stdout + byUrl.stderr).to.equal(0);
    expect(badSetting.code).to.equal(2);
    expect(badSetting.stderr).to.include("chainPort (CHAIN_PORT)");
  });

  it("error: an RPC whose chain lacks the anchor's block (same registry address, another chain) could not decide: exit 2, naming the URL", async function () {
    const other = await startLocalNode();
    try {
      // The same deployer's first transaction: the registry lands at the same address.
      const provider = new JsonRpcProvider(other.url, undefined, { cacheTimeout: -1 });
      const governance = await provider.getSigner(0);
      const artifact = await hre.artifacts.readArtifact("CredentialRegistry");
      const lookAlike = await new ContractFactory(artifact.abi, artifact.bytecode, governance).deploy(await governance.getAddress());
      await lookAlike.waitForDeployment();
      expect(await lookAlike.getAddress()).to.equal(await registry.getAddress());
      const { code, stdout } = await cli(["verify", files[0]!, "--trust", book], { CHAIN_PORT: new URL(other.url).port });
      expect(code, stdout).to.equal(2);
      expect(stdout).to.include(`${files[0]}: ERROR`);
      expect(stdout).to.match(/- anchored +the endpoint's chain 31337 is at block \d+, before the anchor's block \d+/);
      expect(stdout).to.include(`  rpc       ${other.url} (could not decide with it)`);
    } finally {
      await other.stop();
    }
  });

  it("behavior: a revoked bundle exits 1 and says why; --json gives the typed reports", async function () {
    const [{ code, stdout }, human] = await Promise.all([
      cli(["verify", files[0]!, files[1]!, "--rpc", `31337=${node.url}`, "--trust", book, "--json"]),
      cli(["verify", files[1]!, "--rpc", node.url, "--trust", book]),
    ]);
    expect(code).to.equal(1);
    const reports = JSON.parse(stdout) as { file: string; verdict: string; checks: { name: string; outcome: string; code: string }[] }[];
    expect(reports.map((r) => r.verdict)).to.deep.equal(["valid", "invalid"]);
    expect(reports[1]!.checks.find((c) => c.name === "status")).to.deep.include({ outcome: "fail", code: "REVOKED" });
    expect(human.stdout).to.include("✗ status    status index 1 is revoked");
  });

  it("error: an untrusted registry exits 1; an unreachable RPC or a missing file exits 2", async function () {
    const downUrl = `http://127.0.0.1:${await getFreePort()}`;
    const [untrusted, down, missing] = await Promise.all([
      cli(["verify", files[0]!, "--rpc", node.url]),
      cli(["verify", files[0]!, "--rpc", downUrl, "--trust", book]),
      cli(["verify", join(dir, "nope.json"), "--trust", book]),
    ]);
    expect(untrusted.code).to.equal(1);
    expect(untrusted.stdout).to.include("unknown registry");
    expect(down.code).to.equal(2);
    expect(down.stdout).to.include("ERROR");
    expect(down.stdout).to.match(/ {2}rpc {7}http:\/\/127\.0\.0\.1:\d+ \(could not decide with it\)/);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include("cannot read");
  });

  it("error: usage mistakes are one clear line, never a stack trace", async function () {
    const [unknownFlag, unknownCommand, help] = await Promise.all([cli(["verify", files[0]!, "--frobnicate"]), cli(["frob"]), cli(["verify", "--help"])]);
    expect(unknownFlag.code).to.equal(2);
    expect(unknownFlag.stderr).to.match(/^credanchor: Unknown option '--frobnicate'/);
    expect(unknownFlag.stderr).to.not.include("    at ");
    expect(unknownCommand.code).to.equal(2);
    expect(unknownCommand.stderr).to.include('unknown command "frob"');
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include("Exit code: 0 all valid, 1 some bundle invalid, 2 could not decide");
  });
});
