// A real PostgreSQL server for tests: initdb in a temp directory, `postgres` on a free port,
// one fresh database per test, everything stopped and removed when the test process ends.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { getFreePort } from "../../src/chain/local-node.ts";

/** What to run when PostgreSQL is missing (CI's `.ci/run` does it; docs/operations.md says so). */
export const POSTGRES_INSTALL = "apt-get install -y postgresql";

export type PostgresServer = {
  /** Connection URL of the `postgres` database (superuser `postgres`, trust auth on 127.0.0.1). */
  url: string;
  port: number;
  /** The temp directory holding the data directory and the unix socket. */
  dir: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
};

/**
 * The directory of PostgreSQL's server binaries (the newest of /usr/lib/postgresql/<version>/bin).
 *
 * @throws Error naming the install command when PostgreSQL is not installed: the PostgreSQL
 * tests fail loudly rather than skip.
 */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error(`PostgreSQL is not installed (no ${root}/*/bin/initdb): run \`${POSTGRES_INSTALL}\` (as root), then run the tests again`);
  return join(root, newest, "bin");
}

/** The server refuses to run as root: as root, run its binaries as the `postgres` system user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

function postgresUserIds(): { uid: number; gid: number } {
  const result = spawnSync("id", ["postgres"], { encoding: "utf8" });
  const uid = /uid=(\d+)/.exec(result.stdout)?.[1];
  const gid = /gid=(\d+)/.exec(result.stdout)?.[1];
  if (uid === undefined || gid === undefined) throw new Error("running as root needs the `postgres` system user (Debian's postgresql package creates it)");
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Starts a throwaway PostgreSQL server: data and socket in a new temp directory, listening on
 * 127.0.0.1 on a free port, fsync off (a test database need not survive a power cut) unless
 * `durable` (benchmarks: commits reach the disk as in production).
 *
 * @example
 * const server = await startPostgres();
 * const url = await server.createDatabase(); // postgres://postgres@127.0.0.1:PORT/test_1
 * await server.stop();
 */
export async function startPostgres({ durable = false }: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), "credanchor-pg-"));
  const data = join(dir, "data");
  mkdirSync(data, { mode: 0o700 });
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresUserIds();
    chownSync(dir, uid, gid);
    chownSync(data, uid, gid);
  }
  const [initCommand, initArgs] = asServerUser(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
  const init = spawnSync(initCommand, initArgs, { encoding: "utf8" });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout || init.error?.message}`);
  }
  const port = await getFreePort();
  const settings = [...(durable ? [] : ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]), "max_connections=300", "listen_addresses=127.0.0.1", `unix_socket_directories=${dir}`];
  const [command, args] = asServerUser(join(bin, "postgres"), ["-D", data, "-p", String(port), ...settings.flatMap((s) => ["-c", s])]);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  // The server must not keep the test process alive: its exit hook stops the server.
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stderr as unknown as { unref(): void }).unref();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let running = true;
  void exited.then(() => (running = false));

  // If the test process ends without stop() (a failed hook, Ctrl-C), the exit hook still kills
  // the postmaster (its pid is in the data directory: `runuser` may stand between) and cleans up.
  const killNow = () => {
    // Immediate shutdown, waited for synchronously (an exit hook cannot await).
    const [stopCommand, stopArgs] = asServerUser(join(bin, "pg_ctl"), ["stop", "-D", data, "-m", "immediate", "-t", "10"]);
    spawnSync(stopCommand, stopArgs, { stdio: "ignore" });
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C or a SIGTERM from a runner: clean up, then die of the same signal as before.
  const onSignal = (signal: NodeJS.Signals) => {
    killNow();
    process.kill(process.pid, signal);
  };
  const unhook = () => {
    process.off("exit", killNow);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.once("exit", killNow);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitReady(url, () => running, () => output);
  } catch (error) {
    unhook();
    killNow();
    throw error;
  }
  let databases = 0;
  return {
    url,
    port,
    dir,
    async createDatabase() {
      const name = `test_${++databases}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      unhook();
      const pid = postmasterPid(data);
      if (running) {
        // SIGINT: fast shutdown (open sessions are cut, nothing waits for clients).
        if (pid !== undefined) process.kill(pid, "SIGINT");
        else child.kill("SIGINT");
        const timer = setTimeout(() => killNow(), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitReady(url: string, running: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!running()) throw new Error(`postgres exited before it accepted connections:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`postgres did not accept connections in 30 s:\n${output()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

let shared: Promise<PostgresServer> | undefined;

/**
 * One server shared by every PostgreSQL test in this process (started on first use, stopped
 * when the process exits); each test takes its own database from it.
 *
 * @example
 * const url = await (await sharedPostgres()).createDatabase();
 */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= startPostgres();
  shared.catch(() => (shared = undefined));
  return shared;
}

