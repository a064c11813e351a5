// A real stack for service tests: a `hardhat node` process, CredentialRegistry (v2) deployed, two
// issuers registered, and the issuer service over a real SQLite file in a temp dir (or, with
// CREDANCHOR_TEST_STORE=postgres, a fresh database on the test PostgreSQL server).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, createWalletClient, http, type Address, type LocalAccount, type PublicClient, type WalletClient } from "viem";
import { hardhat } from "viem/chains";
import { addSignerKey, deployRegistry, registerIssuer } from "../../src/chain/admin.ts";
import { devAccount } from "../../src/chain/dev-accounts.ts";
import { startLocalNode, type LocalNode } from "../../src/chain/local-node.ts";
import { createApiKey } from "../../src/issuer/api-keys.ts";
import { createIssuerService, type IssuerServiceOptions, type RunningIssuerService } from "../../src/issuer/service.ts";
import type { Db } from "../../src/store/sqlite/database.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/store.ts";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.ts";
import { sharedPostgres } from "./postgres.ts";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import pino from "pino";
import { createApp, type AppOptions } from "../../src/api/app.ts";
import { listenApi } from "../../src/api/listen.ts";
import { createTrustList } from "../../src/verifier/trust.ts";

export type Chain = {
  /** The node serving the chain (the process, when this test process started it, is the node's own business). */
  node: Pick<LocalNode, "url" | "stop">;
  url: string;
  publicClient: PublicClient;
  governance: LocalAccount;
  registry: Address;
  deployBlock: number;
  /** Issuer ids 1 and 2: hot signer keys dev accounts 1 and 2, cold admin keys dev accounts 11 and 12, and their on-chain identities. */
  issuers: { id: number; key: LocalAccount; admin: LocalAccount; identity: string }[];
  wallet(account: LocalAccount): WalletClient;
  /** An address book naming this chain's registry: what a verifier trusts. */
  addressBook(network?: string): { network: string; chainId: number; deployments: Record<string, unknown>[] };
  stop(): Promise<void>;
};

/** The on-chain identities of the test issuers 1 and 2 (what their credentials must name as `issuer`; `sampleBadge()` names issuer 1). */
export const ISSUER_IDENTITIES = { 1: "did:web:uni.example", 2: "did:web:academy.example" } as const;

/** Starts a node (or takes `node`, e.g. an Anvil), deploys the registry and registers two issuers. */
export async function startChain({ node: given }: { node?: Pick<LocalNode, "url" | "stop"> } = {}): Promise<Chain> {
  const node = given ?? (await startLocalNode());
  try {
    const transport = http(node.url, { retryCount: 0 });
    const publicClient = createPublicClient({ chain: hardhat, transport, pollingInterval: 50 }) as PublicClient;
    const wallet = (account: LocalAccount) => createWalletClient({ chain: hardhat, transport, account });
    const governance = devAccount(0);
    const clients = { publicClient, walletClient: wallet(governance), account: governance };
    const { address: registry, blockNumber: deployBlock } = await deployRegistry(clients);
    const issuers = [];
    for (const [index, identity, name] of [[1, ISSUER_IDENTITIES[1], "University"], [2, ISSUER_IDENTITIES[2], "Academy"]] as const) {
      const key = devAccount(index);
      const admin = devAccount(10 + index);
      const id = await registerIssuer(clients, registry, admin.address, identity, { name });
      await addSignerKey({ publicClient, walletClient: wallet(admin), account: admin }, registry, key.address);
      issuers.push({ id, key, admin, identity });
    }
    const addressBook = (network = "test") => ({
      network,
      chainId: 31337,
      deployments: [
        {
          contract: "CredentialRegistry",
          address: registry,
          version: "2.0.0",
          deployBlock,
          deployTx: `0x${"11".repeat(32)}`,
          deployer: governance.address,
          governance: governance.address,
          abiHash: `0x${"22".repeat(32)}`,
          compiler: "solc 0.8.28",
          deployedAt: new Date().toISOString(),
        },
      ],
    });
    return { node, url: node.url, publicClient, governance, registry, deployBlock, issuers, wallet, addressBook, stop: () => node.stop() };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

/**
 * A benchmark's chain: a node of its own, or with `BENCH_RPC_URL` set, a fresh registry (two issuers)
 * on the node already serving there, left running when the benchmark ends (the smoke tests in
 * `npm test` pass the test process's node: a node start costs seconds of CPU and buys nothing there).
 *
 * @example
 * const chain = await benchChain(); // … finally: await chain.stop();
 */
export async function benchChain(): Promise<Chain> {
  const url = process.env.BENCH_RPC_URL;
  if (!url) return startChain();
  return startChain({ node: { url, stop: async () => {} } });
}

// One `hardhat node` for the whole test process: starting one costs seconds of CPU, and most
// test files need only a registry of their own on some chain, not a chain of their own.
let sharedNode: Promise<LocalNode> | undefined;

/** The test process's shared node: started on first use, killed when the process exits (it never keeps the process alive). */
function sharedLocalNode(): Promise<LocalNode> {
  sharedNode ??= startLocalNode().then((node) => {
    node.process.unref();
    for (const pipe of [node.process.stdout, node.process.stderr]) (pipe as Socket | null)?.unref();
    process.once("exit", () => node.process.kill("SIGKILL"));
    return node;
  });
  return sharedNode;
}

/**
 * A fresh registry (two issuers, as `startChain`) on the test process's shared `hardhat node`;
 * `stop()` leaves the node running for the next file. For tests that only read and write their own
 * registry: a test that snapshots, reverts, pauses mining or stops the chain takes `startChain()`,
 * and so does one that waits for the wall clock to pass a block's time (the shared node mines
 * more than a block a second over a whole run, so its clock runs minutes ahead of the wall's).
 *
 * @example
 * before(async function () { chain = await sharedChain(); });
 */
export async function sharedChain(): Promise<Chain> {
  try {
    const chain = await startChain({ node: await sharedLocalNode() });
    return { ...chain, stop: async () => {} };
  } catch (error) {
    sharedNode = undefined; // startChain stopped it (or it never started): the next file starts another
    throw error;
  }
}

export type Stack = RunningIssuerService & {
  chain: Chain;
  store: SqliteStore;
  /** The store's SQLite connection, for tests that look at rows (never while a transaction is open). */
  db: Db;
  /** The rows a SQL query (`?` placeholders) reads from the test's store, SQLite or PostgreSQL alike. */
  rows(sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
  dir: string;
  dbPath: string;
  adminToken: string;
  /** API tokens of issuers 1 and 2. */
  tokens: Record<number, string>;
  options: IssuerServiceOptions;
  /** Stops the pipeline and closes the database (the chain keeps running). */
  close(): Promise<void>;
};

/** Which store the service tests run on: SQLite unless CREDANCHOR_TEST_STORE=postgres (the PostgreSQL pass). */
export const TEST_STORE = process.env.CREDANCHOR_TEST_STORE === "postgres" ? "postgres" : "sqlite";

/**
 * The test's store. In the PostgreSQL pass, `db` (SQLite rows read directly) throws: files that
 * read rows that way stay out of that pass.
 */
async function openTestStore(dbPath: string): Promise<SqliteStore> {
  if (TEST_STORE === "sqlite") return openSqliteStore(dbPath);
  const store = await openPostgresStore(await (await sharedPostgres()).createDatabase());
  const noDb = new Proxy({}, { get: () => { throw new Error("this test reads SQLite rows (stack.db): it cannot run in the PostgreSQL pass"); } });
  return Object.assign(Object.create(store) as SqliteStore, { db: noDb });
}

/** Runs `sql` on `store` as the store kind's driver expects it (`?` placeholders become `$n` on PostgreSQL). */
async function rowsOf(store: SqliteStore, sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
  if (TEST_STORE === "sqlite") {
    const statement = store.db.prepare(sql);
    if (!statement.reader) return (statement.run(...params), []);
    return statement.all(...params) as Record<string, unknown>[];
  }
  let n = 0;
  const result = await (store as unknown as PostgresStore).pool.query(sql.replace(/\?/g, () => `$${++n}`), params);
  return result.rows as Record<string, unknown>[];
}

/** The issuer service's options for `chain` (both issuers' signer keys, batches sent at once, no confirmations), with `overrides` on top. */
export function serviceOptions(chain: Chain, overrides: Partial<IssuerServiceOptions> & Pick<IssuerServiceOptions, "store">): IssuerServiceOptions {
  return {
    client: chain.publicClient,
    chainId: 31337,
    registry: chain.registry,
    signers: chain.issuers.map((i) => i.key),
    batch: { maxSize: 1000, maxWaitMs: 0 },
    confirmations: 0,
    ...overrides,
  };
}

/**
 * Opens the issuer service over a fresh SQLite file on `chain` (started if not given), serving
 * both issuers. The pipeline is not started: call `pipeline.tick()` or `pipeline.start()`.
 */
export async function openStack(chain: Chain, overrides: Partial<IssuerServiceOptions> & { dir?: string } = {}): Promise<Stack> {
  const dir = overrides.dir ?? mkdtempSync(join(tmpdir(), "credanchor-stack-"));
  const dbPath = join(dir, "credanchor.db");
  const store = await openTestStore(dbPath);
  const options = serviceOptions(chain, { store, ...overrides });
  const running = await createIssuerService(options);
  const adminToken = (await createApiKey(store.apiKeys, null, "test admin")).token;
  const tokens: Record<number, string> = {};
  for (const issuer of chain.issuers) tokens[issuer.id] = (await createApiKey(store.apiKeys, issuer.id, "test")).token;
  return {
    ...running,
    chain,
    store,
    db: store.db,
    rows: (sql, ...params) => rowsOf(store, sql, params),
    dir,
    dbPath,
    adminToken,
    tokens,
    options,
    close: async () => {
      await running.pipeline.stop();
      await running.close();
      await store.close();
    },
  };
}

/** The HTTP API over a stack's (or any) service on 127.0.0.1 (a free port); trusts the stack's chain by default. */
export async function serveApi(stack: Pick<Stack, "service" | "chain">, options: Partial<AppOptions> = {}): Promise<{ base: string; server: Server; close(): Promise<void> }> {
  const app = createApp({
    service: stack.service,
    verify: { trust: createTrustList([stack.chain.addressBook()]), rpc: { 31337: stack.chain.url } },
    logger: pino({ level: "silent" }),
    ...options,
  });
  const server = await listenApi(app, { host: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { base, server, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Closes a stack (if it was opened) and removes its temp dir: what every file's `after` does with its stack. */
export async function closeStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.close();
  removeDir(stack.dir);
}

/** Removes a stack's temp dir. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs pipeline rounds until `done()` or the deadline. */
export async function runUntil(stack: { pipeline: { tick(): Promise<boolean> } }, done: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("pipeline did not finish in time");
    const changed = await stack.pipeline.tick();
    if (!changed) await new Promise((r) => setTimeout(r, 20));
  }
}
