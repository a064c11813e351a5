// The embedded default chain: a supervised Anvil keeping its state in a file, with CredentialRegistry (v2) deployed.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, http } from "viem";
import { readAddressBook, type Deployment } from "./deployments.ts";
import { setAsideBrokenState, startAnvil } from "./anvil.ts";
import { superviseChain, type SupervisedChain, type SupervisorEvent } from "./chain-supervisor.ts";
import { HARDHAT_CLI, isRpcUp, type LocalNode } from "./local-node.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Major version of the registry new deployments use. */
const CURRENT_MAJOR = 2;

export type DevChain = {
  url: string;
  deployment: Deployment;
  /** The node this process started and supervises, if it started one (undefined when reusing a running chain). */
  node?: LocalNode;
  /** Set when this process started the chain: restarts it when it dies, or says why it cannot. */
  supervisor?: SupervisedChain;
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

/** Starts Anvil on `port`, restoring `statePath` (a broken state file is set aside first, and said so). */
async function startSupervisedAnvil(port: number, statePath: string | undefined, onEvent: (event: SupervisorEvent) => void): Promise<SupervisedChain> {
  const start = () => {
    const aside = statePath ? setAsideBrokenState(statePath) : undefined;
    if (aside) onEvent({ kind: "notice", message: `the chain's state file ${statePath} was cut short (a kill during a dump?): moved to ${aside}; the chain starts without it` });
    return startAnvil({ port, ...(statePath ? { statePath } : {}) });
  };
  return superviseChain({ start, restoredFrom: statePath ?? "nothing (no state file: the chain starts empty)", onEvent });
}

/**
 * Reuses the chain at `rpcUrl` if it answers, otherwise starts Anvil on 127.0.0.1:`port`,
 * keeping its blocks in `statePath` across restarts and restarting it if it dies; deploys
 * CredentialRegistry unless the `localhost` address book's latest deployment is a version 2
 * contract with code on that chain.
 *
 * @example
 * const chain = await ensureDevChain({ port: 8545, statePath: "data/chain-state.json" });
 * console.log(chain.deployment.address);
 */
export async function ensureDevChain(
  {
    rpcUrl,
    port = 8545,
    deploymentsDir,
    statePath,
    onChainEvent = () => {},
  }: { rpcUrl?: string; port?: number; deploymentsDir?: string; statePath?: string; onChainEvent?: (event: SupervisorEvent) => void } = {},
): Promise<DevChain> {
  const wanted = rpcUrl ?? `http://127.0.0.1:${port}`;
  let supervisor: SupervisedChain | undefined;
  if (!(await isRpcUp(wanted))) {
    if (rpcUrl) throw new Error(`no JSON-RPC endpoint answers at ${rpcUrl}`);
    supervisor = await startSupervisedAnvil(port, statePath, onChainEvent);
  }
  const node = supervisor?.node;
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
    return { url, deployment, ...(supervisor ? { node: supervisor.node, supervisor } : {}), stop: async () => supervisor?.stop() };
  } catch (error) {
    await supervisor?.stop();
    throw error;
  }
}
