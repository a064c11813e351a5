// Runs the real `credanchor` CLI in a child process, as a user would, and keeps its exit code and output.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export type CliRun = { code: number; stdout: string; stderr: string };

// An empty deployments directory: the verifier must use only the address book a test names.
let noShippedBooks: string | undefined;
function emptyDeploymentsDir(): string {
  if (!noShippedBooks) {
    noShippedBooks = mkdtempSync(join(tmpdir(), "credanchor-no-books-"));
    const dir = noShippedBooks;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return noShippedBooks;
}

/**
 * Runs `node src/cli/credanchor.ts ...args` and resolves with its exit code and output (a non-zero
 * exit is a result, not a rejection). Unless `inherit` is set, the settings a developer's shell
 * may carry are cleared (RPC_URL, CHAIN_PORT, CREDANCHOR_CONFIG) and the shipped address books are
 * hidden, so a test sees exactly the chain and books it names; `env` is applied last.
 *
 * @example
 * const { code, stdout } = await cli(["verify", bundlePath, "--deployments", book, "--rpc", chain.url]);
 */
export async function cli(args: string[], env: Record<string, string> = {}, { inherit = false }: { inherit?: boolean } = {}): Promise<CliRun> {
  const isolation = inherit ? {} : { RPC_URL: "", CHAIN_PORT: "", CREDANCHOR_CONFIG: "", DEPLOYMENTS_DIR: emptyDeploymentsDir() };
  try {
    const { stdout, stderr } = await exec(process.execPath, ["src/cli/credanchor.ts", ...args], { env: { ...process.env, ...isolation, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as CliRun;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
