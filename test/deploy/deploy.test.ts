// scripts/deploy.ts against a real `hardhat node` process: address book written and true.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, createWalletClient, http, parseAbi, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { readAddressBook } from "../../src/chain/deployments.ts";
import { HARDHAT_CLI, startLocalNode, type LocalNode } from "../../src/chain/local-node.ts";

function runDeploy(network: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HARDHAT_CLI, "run", "--network", network, "scripts/deploy.ts"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => resolve({ code: code ?? -1, output }));
  });
}

describe("scripts/deploy.ts on a hardhat node", function () {
  let node: LocalNode;
  let dir: string;

  before(async function () {
    node = await startLocalNode();
    dir = mkdtempSync(join(tmpdir(), "credanchor-deploy-"));
  });

  after(async function () {
    await node?.stop();
  });

  it("behavior: deploys to localhost and writes an address book that matches the chain", async function () {
    const { code, output } = await runDeploy("localhost", { LOCALHOST_RPC_URL: node.url, DEPLOYMENTS_DIR: dir });
    expect(code, output).to.equal(0);

    const book = readAddressBook("localhost", dir);
    expect(book?.chainId).to.equal(31337);
    expect(book?.deployments).to.have.length(1);
    const deployment = book!.deployments[0]!;

    const client = createPublicClient({ transport: http(node.url) });
    expect(await client.getChainId()).to.equal(book!.chainId);
    const code_ = await client.getCode({ address: deployment.address as `0x${string}` });
    expect(code_ && code_.length).to.be.greaterThan(2);
    const abi = parseAbi(["function version() view returns (string)", "function ACCREDITOR_ROLE() view returns (bytes32)", "function hasRole(bytes32,address) view returns (bool)"]);
    const address = deployment.address as `0x${string}`;
    expect(await client.readContract({ address, abi, functionName: "version" })).to.equal(deployment.version);
    // New deployments are version 2, with two-step governance delayed by two days.
    expect([deployment.contract, deployment.version]).to.deep.equal(["CredentialRegistry", "2.0.0"]);
    const delayAbi = parseAbi(["function defaultAdminDelay() view returns (uint48)"]);
    expect(await client.readContract({ address, abi: delayAbi, functionName: "defaultAdminDelay" })).to.equal(172_800);
    const role = await client.readContract({ address, abi, functionName: "ACCREDITOR_ROLE" });
    expect(
      await client.readContract({ address, abi, functionName: "hasRole", args: [role, deployment.governance as `0x${string}`] }),
    ).to.equal(true);

    const receipt = await client.getTransactionReceipt({ hash: deployment.deployTx as `0x${string}` });
    expect(Number(receipt.blockNumber)).to.equal(deployment.deployBlock);
    expect(receipt.contractAddress?.toLowerCase()).to.equal(deployment.address.toLowerCase());
    expect(receipt.from.toLowerCase()).to.equal(deployment.deployer.toLowerCase());
  });

  it("behavior: deploys with a key from the environment, appends to the book and never prints the key", async function () {
    // A fresh key, funded by the node's first (unlocked) development account.
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    const funder = createWalletClient({ transport: http(node.url) });
    const [from] = await funder.getAddresses();
    const client = createPublicClient({ transport: http(node.url) });
    const hash = await funder.sendTransaction({ account: from!, chain: null, to: account.address, value: parseEther("10") });
    await client.waitForTransactionReceipt({ hash });

    const env = { EVM_RPC_URL: node.url, EVM_PRIVATE_KEY: key, DEPLOYMENTS_DIR: dir };
    const first = await runDeploy("evm", env);
    expect(first.code, first.output).to.equal(0);
    const second = await runDeploy("evm", env);
    expect(second.code, second.output).to.equal(0);

    const book = readAddressBook("evm", dir)!;
    expect(book.deployments).to.have.length(2);
    const [a, b] = book.deployments;
    expect(a!.address).to.not.equal(b!.address);
    expect(a!.deployer).to.equal(account.address);
    expect(b!.deployBlock).to.be.greaterThan(a!.deployBlock);

    const keyHex = key.slice(2).toLowerCase();
    for (const text of [first.output, second.output, readFileSync(join(dir, "evm.json"), "utf8")]) {
      expect(text.toLowerCase()).to.not.include(keyHex);
    }
  });

  it("error: refuses a network without its configuration and says which variable is missing", async function () {
    const { code, output } = await runDeploy("sepolia", { DEPLOYMENTS_DIR: dir, SEPOLIA_RPC_URL: "", SEPOLIA_PRIVATE_KEY: "" });
    expect(code).to.not.equal(0);
    expect(output).to.match(/SEPOLIA_(RPC_URL|PRIVATE_KEY)/);
  });
});

describe("ensureDevChain (npm start's chain)", function () {
  it("behavior: starts a node, deploys once, and redeploys at the same address after a chain reset", async function () {
    const { ensureDevChain } = await import("../../src/chain/dev-chain.ts");
    const { getFreePort } = await import("../../src/chain/local-node.ts");
    const dir = mkdtempSync(join(tmpdir(), "credanchor-devchain-"));
    const port = await getFreePort();

    const first = await ensureDevChain({ port, deploymentsDir: dir });
    try {
      expect(first.node, "a node was started").to.not.equal(undefined);
      const reused = await ensureDevChain({ rpcUrl: first.url, deploymentsDir: dir });
      expect(reused.node, "the running chain is reused").to.equal(undefined);
      expect(reused.deployment.address).to.equal(first.deployment.address);
      expect(readAddressBook("localhost", dir)!.deployments).to.have.length(1);
    } finally {
      await first.stop();
    }

    const again = await ensureDevChain({ port, deploymentsDir: dir });
    try {
      expect(again.deployment.address).to.equal(first.deployment.address);
      expect(readAddressBook("localhost", dir)!.deployments).to.have.length(1);
    } finally {
      await again.stop();
    }
  });

  it("error: names the URL when a configured RPC endpoint does not answer", async function () {
    const { ensureDevChain } = await import("../../src/chain/dev-chain.ts");
    const { getFreePort } = await import("../../src/chain/local-node.ts");
    const url = `http://127.0.0.1:${await getFreePort()}`;
    let message = "";
    await ensureDevChain({ rpcUrl: url }).catch((error: Error) => (message = error.message));
    expect(message).to.include(url);
  });
});
