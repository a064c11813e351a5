// The service as a real separate process (`credanchor serve`), for tests that kill it and for
// benchmarks that load it over HTTP.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { devPrivateKey } from "../../src/chain/dev-accounts.ts";
import { getFreePort } from "../../src/chain/local-node.ts";
import { createApiKey } from "../../src/issuer/api-keys.ts";
import { openSqliteStore } from "../../src/store/sqlite/store.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = join(ROOT, "src", "cli", "credanchor.ts");

export type ServerProcess = {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process printed (stdout + stderr), last 4 MB. */
  output(): string;
  /** Resolves with the exit code or signal when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
};

export type ServerProcessOptions = {
  rpcUrl: string;
  registry: string;
  dataDir: string;
  /** Development account indices whose keys the service holds (default [1]: issuer 1). */
  signers?: number[];
  port?: number;
  env?: Record<string, string>;
  /** Address books the service trusts (for POST /v1/verify and the page), instead of the package's deployments/. */
  addressBooks?: unknown[];
};

/** Starts `credanchor serve` and waits until /healthz answers (or the process dies). */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = options.port ?? (await getFreePort());
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    RPC_URL: options.rpcUrl,
    REGISTRY_ADDRESS: options.registry,
    DATA_DIR: options.dataDir,
    PORT: String(port),
    SIGNER_PRIVATE_KEYS: (options.signers ?? [1]).map(devPrivateKey).join(","),
    BATCH_MAX_WAIT_SECONDS: "0.2",
    POLL_MS: "50",
    LOG_LEVEL: "info",
    ...options.env,
  };
  delete env.CREDANCHOR_CONFIG;
  if (options.addressBooks) {
    const books = mkdtempSync(join(tmpdir(), "credanchor-books-"));
    options.addressBooks.forEach((book, k) => writeFileSync(join(books, `book-${k}.json`), JSON.stringify(book)));
    env.DEPLOYMENTS_DIR = books;
  }
  const child = spawn(process.execPath, [CLI, "serve"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-4_000_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let dead = false;
  void exited.then(() => (dead = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (dead) throw new Error(`credanchor serve exited before it was up:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`credanchor serve did not come up in 60 s:\n${out}`);
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    child,
    output: () => out,
    exited,
    kill: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (!dead) child.kill(signal);
      await exited;
    },
  };
}

/** Creates an API key in a (possibly running) service's database: issuer id, or null for the operator. */
export async function createKeyIn(dataDir: string, issuerId: number | null): Promise<string> {
  const store = openSqliteStore(join(dataDir, "credanchor.db"));
  try {
    return (await createApiKey(store.apiKeys, issuerId, "test")).token;
  } finally {
    await store.close();
  }
}
