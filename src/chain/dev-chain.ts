// The embedded default chain: a local `hardhat node` with CredentialRegistry (v2) deployed.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, http } from "viem";
import { readAddressBook, type Deployment } from "./deployments.ts";
import { HARDHAT_CLI, isRpcUp, startLocalNode, type LocalNode } from "./local-node.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Major version of the registry new deployments use. */
const CURRENT_MAJOR = 2;

export type DevChain = {
  url: string;
  deployment: Deployment;
  /** The node this process started, if it started one (undefined when reusing a running chain). */
  node?: LocalNode;
  stop(): Promise<void>;
};

/** Deploys with scripts/deploy.ts (the one deploy path) to the `localhost` network at `url`. */
async function deployTo(url: string, deploymentsDir?: string): Promise<void> {
  const env = { ...process.env, LOCALHOST_RPC_URL: url, ...(deploymentsDir ? { DEPLOYMENTS_DIR: deploymentsDir } : {}) };
  const child = spawn(process.execPath, [HARDHAT_CLI, "run", "--network", "localhost", "scripts/deploy.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`deploying CredentialRegistry to ${url} failed:\n${output}`);
}

/**
 * Reuses the chain at `rpcUrl` if it answers, otherwise starts a `hardhat node` on
 * 127.0.0.1:`port`; deploys CredentialRegistry unless the `localhost` address book's latest
 * deployment is a version 2 contract with code on that chain.
 *
 * @example
 * const chain = await ensureDevChain({ port: 8545 });
 * console.log(chain.deployment.address);
 */
export async function ensureDevChain(
  { rpcUrl, port = 8545, deploymentsDir }: { rpcUrl?: string; port?: number; deploymentsDir?: string } = {},
): Promise<DevChain> {
  const wanted = rpcUrl ?? `http://127.0.0.1:${port}`;
  let node: LocalNode | undefined;
  if (!(await isRpcUp(wanted))) {
    if (rpcUrl) throw new Error(`no JSON-RPC endpoint answers at ${rpcUrl}`);
    node = await startLocalNode({ port, cwd: ROOT });
  }
  const url = node?.url ?? wanted;
  try {
    const client = createPublicClient({ transport: http(url) });
    const current = async () => {
      const latest = readAddressBook("localhost", deploymentsDir)?.deployments.at(-1);
      // Only a current (v2) registry serves new issuance; an older one is left listed, for verifying.
      if (!latest || !latest.version.startsWith(`${CURRENT_MAJOR}.`)) return undefined;
      const code = await client.getCode({ address: latest.address as `0x${string}` });
      return code && code !== "0x" ? latest : undefined;
    };
    let deployment = await current();
    if (!deployment) {
      await deployTo(url, deploymentsDir);
      deployment = await current();
      if (!deployment) throw new Error("the deployment was recorded but no contract code is found at its address");
    }
    return { url, deployment, node, stop: async () => node?.stop() };
  } catch (error) {
    await node?.stop();
    throw error;
  }
}
