// Starts and stops a real Anvil process (npm `@foundry-rs/anvil`) that keeps its chain in a state file.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { DEV_CHAIN_ID, DEV_MNEMONIC } from "./dev-accounts.ts";
import { getFreePort, superviseChainProcess, type LocalNode } from "./local-node.ts";

const require = createRequire(import.meta.url);

/**
 * Seconds between two dumps of the chain to its state file. A `kill -9` of the chain loses at
 * most the blocks of the last interval; each dump rewrites the whole file, so a shorter interval
 * costs more disk writes as the chain grows (docs/operations.md).
 */
export const DEFAULT_STATE_INTERVAL_SECONDS = 2;

/** Where npm put the Anvil binary for this platform (the `@foundry-rs/anvil-<os>-<arch>` package). */
export function anvilBinary(): string {
  const os = { linux: "linux", darwin: "darwin", win32: "win32" }[process.platform as string];
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch as string];
  if (!os || !arch) throw new Error(`Anvil has no npm build for ${process.platform}/${process.arch}: set RPC_URL to a chain you run yourself`);
  return require.resolve(`@foundry-rs/anvil-${os}-${arch}/bin/anvil${os === "win32" ? ".exe" : ""}`);
}

/**
 * Moves a state file that does not parse aside (Anvil writes it in place, so a `kill -9` during a
 * dump can leave it cut short, and Anvil then refuses to start). Returns where it went, if moved.
 */
export function setAsideBrokenState(statePath: string): string | undefined {
  if (!existsSync(statePath)) return undefined;
  try {
    JSON.parse(readFileSync(statePath, "utf8"));
    return undefined;
  } catch {
    const aside = `${statePath}.broken-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(statePath, aside);
    return aside;
  }
}

export type AnvilOptions = {
  port?: number;
  /** The state file: loaded at start if present, dumped every `stateIntervalSeconds` and on exit. */
  statePath?: string;
  stateIntervalSeconds?: number;
  timeoutMs?: number;
};

/**
 * Spawns Anvil on 127.0.0.1 (chain id 31337, the development mnemonic, so the same accounts as
 * `hardhat node`) and resolves once its JSON-RPC answers. The binary runs directly, so stopping
 * this process stops the chain (the npm `bin.mjs` wrapper would survive a SIGKILL's child).
 *
 * @example
 * const node = await startAnvil({ port: 8545, statePath: "data/chain-state.json" });
 * try { ...use node.url... } finally { await node.stop(); }
 */
export async function startAnvil({ port, statePath, stateIntervalSeconds = DEFAULT_STATE_INTERVAL_SECONDS, timeoutMs = 30_000 }: AnvilOptions = {}): Promise<LocalNode> {
  const chosenPort = port ?? (await getFreePort());
  const url = `http://127.0.0.1:${chosenPort}`;
  const args = ["--host", "127.0.0.1", "--port", String(chosenPort), "--chain-id", String(DEV_CHAIN_ID), "--mnemonic", DEV_MNEMONIC, "--accounts", "20", "--quiet"]; // 20 funded accounts, as hardhat node (the demo admin is account 10);
  if (statePath) args.push("--state", statePath, "--state-interval", String(stateIntervalSeconds));
  // Its own process group: a Ctrl-C at the terminal reaches only the service, which then stops
  // the chain itself (after the pipeline), instead of the chain dying first and looking like a crash.
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  // SIGTERM makes Anvil write its state file before exiting: `stop` gives it 10 s to finish.
  return superviseChainProcess(child, { name: `anvil (${anvilBinary()})`, url, port: chosenPort, timeoutMs, killAfterMs: 10_000 });
}
