// Starts and stops a real `hardhat node` process on 127.0.0.1 (tests and the embedded default chain).
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
/** The Hardhat CLI entry point, run with `process.execPath` (Node 22). */
export const HARDHAT_CLI = join(dirname(require.resolve("hardhat/package.json")), "dist", "src", "cli.js");

export type LocalNode = {
  url: string;
  port: number;
  process: ChildProcess;
  /** Stops the node and waits for the process to exit. */
  stop(): Promise<void>;
  /** The last few kilobytes the process printed (for messages when it dies). */
  output?: () => string;
};

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether a JSON-RPC endpoint answers `eth_chainId`. */
export async function isRpcUp(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Spawns `hardhat node` (chain id 31337) and resolves once its JSON-RPC answers.
 * Runs the Hardhat CLI with this process's Node directly, so stopping it stops the node
 * (an `npx` wrapper would leave the child running).
 *
 * @example
 * const node = await startLocalNode();
 * try { ...use node.url... } finally { await node.stop(); }
 */
export async function startLocalNode(
  { port, cwd = process.cwd(), timeoutMs = 60_000 }: { port?: number; cwd?: string; timeoutMs?: number } = {},
): Promise<LocalNode> {
  const chosenPort = port ?? (await getFreePort());
  const url = `http://127.0.0.1:${chosenPort}`;
  const child = spawn(process.execPath, [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(chosenPort)], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return superviseChainProcess(child, { name: "hardhat node", url, port: chosenPort, timeoutMs, killAfterMs: 5_000 });
}

/**
 * Watches a spawned chain process until its JSON-RPC answers at `url`: keeps the last few
 * kilobytes it printed (for the error when it dies first or never answers), and gives a `stop`
 * that sends SIGTERM, then SIGKILL after `killAfterMs`, and waits for the exit.
 *
 * @example
 * const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
 * const node = await superviseChainProcess(child, { name: "anvil", url, port, timeoutMs: 30_000, killAfterMs: 10_000 });
 */
export async function superviseChainProcess(
  child: ChildProcess,
  { name, url, port, timeoutMs, killAfterMs }: { name: string; url: string; port: number; timeoutMs: number; killAfterMs: number },
): Promise<LocalNode & { output: () => string }> {
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let spawnError: Error | undefined;
  child.once("error", (error) => (spawnError = error));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await isRpcUp(url))) {
    if (spawnError) throw new Error(`cannot run ${name}: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before answering on ${url}:\n${output.trim()}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not answer on ${url} within ${timeoutMs} ms:\n${output.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, port, process: child, stop, output: () => output };
}
