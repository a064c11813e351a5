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
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await isRpcUp(url))) {
    if (child.exitCode !== null) {
      throw new Error(`hardhat node exited with code ${child.exitCode} before answering:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`hardhat node did not answer on ${url} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, port: chosenPort, process: child, stop };
}
