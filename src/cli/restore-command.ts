// `credanchor restore <backup>` (SQLite) and `credanchor reconcile` (any store): a restored database
// learns from the chain the anchors made after its backup (issue 14, F9).
import { existsSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import { createPublicClient, http, type Address, type PublicClient } from "viem";
import { deployBlocks, getDeploymentsDir } from "../chain/deployments.ts";
import { loadConfig, type Config } from "../config.ts";
import { CredanchorError } from "../core/errors.ts";
import { reconcileWithChain, type ReconcileReport } from "../issuer/use-cases/reconcile.ts";
import { openStore } from "../store/open.ts";
import { restoreDatabase } from "../store/sqlite/backup.ts";
import type { Store } from "../store/types.ts";
import { parseCommandLine } from "./command-line.ts";
import type { Command } from "./issuer-commands.ts";

const RESTORE_USAGE = `Usage: credanchor restore <backup> [--data-dir <dir>] [--rpc-url <url>] [--batch-max-size <n>]

Stop the service first. Puts the backup (a file written by \`credanchor backup\`) in place of
the service's SQLite database (mode 0600; the database it replaces is kept beside it, renamed
credanchor.db.replaced-<time>), then reconciles it with the chain (as \`credanchor reconcile\`).
The server secret is not in the backup: keep the one the service used (data/server-secret or
SERVER_SECRET). PostgreSQL: restore with pg_restore, then run \`credanchor reconcile\`.

Options:
  --data-dir <dir>       [DATA_DIR] (default ./data)
  --rpc-url <url>        the chain [RPC_URL] (default the local chain on CHAIN_PORT)
  --batch-max-size <n>   the largest batch the service built [BATCH_MAX_SIZE] (default 100000)`;

const RECONCILE_USAGE = `Usage: credanchor reconcile [--data-dir <dir>] [--rpc-url <url>] [--batch-max-size <n>]

Reads the chain for anchors of the database's issuers (RootAnchored events on its registries,
since the last reconciliation) that the database does not know, as after restoring a backup:
each becomes a batch of unknown content, so batch ids move past it, its credentials' statuses
can be changed by index (revoke --index N) and no new credential takes an index they may hold.
Stored revoked/suspended flags are set to the chain's. The service does the same at every start
(without the flags). Uses DATABASE_URL when set, else the SQLite file in the data directory.

Options:
  --data-dir <dir>       [DATA_DIR] (default ./data)
  --rpc-url <url>        the chain [RPC_URL] (default the local chain on CHAIN_PORT)
  --batch-max-size <n>   the largest batch the service built [BATCH_MAX_SIZE] (default 100000)`;

const OPTIONS = { "data-dir": { type: "string" }, "rpc-url": { type: "string" }, "batch-max-size": { type: "string" } } as const;

type Parsed = { positionals: string[]; config: Config };

function parse(argv: string[], usage: string): Parsed | number {
  const parsed = parseCommandLine(argv, OPTIONS, usage);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const flags: Record<string, string> = {};
  if (values["data-dir"]) flags.dataDir = values["data-dir"];
  if (values["rpc-url"]) flags.rpcUrl = values["rpc-url"];
  if (values["batch-max-size"]) flags.batchMaxSize = values["batch-max-size"];
  try {
    return { positionals, config: loadConfig(process.env, flags) };
  } catch (error) {
    return console.error(`error: ${error instanceof CredanchorError ? error.shortMessage : (error as Error).message}\n\n${usage}`), 2;
  }
}

/** Reconciles `store` with the chain the configuration names and prints what it found; the exit code. */
async function reconcileAndReport(store: Store, config: Config): Promise<number> {
  const rpcUrl = config.rpcUrl ?? `http://127.0.0.1:${config.chainPort}`;
  const registry = (await store.meta.get("registry")) as Address | undefined;
  if (!registry) return console.log("the database was never bound to a registry: nothing to reconcile"), 0;
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) }) as PublicClient;
  let reports: ReconcileReport[];
  try {
    const chainId = await client.getChainId();
    const bound = await store.meta.get("chainId");
    if (bound && Number(bound) !== chainId) return console.error(`error: ${rpcUrl} serves chain ${chainId}, the database belongs to chain ${bound}`), 1;
    const blocks = deployBlocks(config.deploymentsDir ?? getDeploymentsDir(), chainId);
    reports = await reconcileWithChain(store, { client, registry, issuerIds: await store.registries.issuerIds(), maxBatchSize: config.batchMaxSize, syncStatuses: true, now: Date.now, deployBlocks: blocks });
  } catch (error) {
    console.error(`error: cannot reconcile with the chain at ${rpcUrl}: ${(error as Error).message.split("\n")[0]}`);
    console.error("the service reconciles at its next start too; run `credanchor reconcile` once the chain answers");
    return 1;
  }
  printReports(reports, rpcUrl);
  return 0;
}

function printReports(reports: readonly ReconcileReport[], rpcUrl: string): void {
  console.log(`reconciled with ${rpcUrl}`);
  for (const r of reports) {
    const scanned = r.scanned.map((s) => `${s.registry} blocks ${s.fromBlock}–${s.toBlock}`).join(", ");
    console.log(`issuer ${r.issuerId}: scanned ${scanned}; ${r.found.length} unknown anchor(s); ${r.statusesSynced} stored status(es) set to the chain's`);
    for (const b of r.found) console.log(`  batch ${b.batchId}  root ${b.root}  tx ${b.txHash}  block ${b.blockNumber}`);
    if (r.found.length > 0) {
      console.log(`  These batches' credentials cannot be rebuilt (their contents and salts were never in the backup):`);
      console.log(`  GET gives NOT_FOUND for their ids, and no bundle can be served. Bundles their holders keep still verify,`);
      console.log(`  and their statuses can be changed by index: credanchor revoke --index N (any N below ${r.indexFloor}`);
      console.log(`  no stored credential holds). New credentials take status indices from ${r.indexFloor} up.`);
    }
  }
}

export const restoreCommand: Command = {
  name: "restore",
  usage: RESTORE_USAGE,
  async run(argv) {
    const parsed = parse(argv, RESTORE_USAGE);
    if (typeof parsed === "number") return parsed;
    const [backup] = parsed.positionals;
    if (!backup || parsed.positionals.length > 1) return console.error(RESTORE_USAGE), 2;
    if (parsed.config.databaseUrl) return console.error("error: DATABASE_URL is set: restore PostgreSQL with pg_restore, then run credanchor reconcile (docs/operations.md)"), 2;
    if (!existsSync(backup)) return console.error(`error: no backup at ${resolve(backup)}`), 1;
    const dbPath = join(resolve(parsed.config.dataDir), "credanchor.db");
    try {
      // Checked and copied first: a damaged backup leaves the current database where it is.
      const staged = `${dbPath}.restoring-${process.pid}`;
      await restoreDatabase(resolve(backup), staged);
      const replaced = moveAside(dbPath);
      renameSync(staged, dbPath);
      console.log(`restored ${resolve(backup)} to ${dbPath} (mode 0600)${replaced ? `; the database it replaces is now ${replaced}` : ""}`);
    } catch (error) {
      return console.error(`error: ${error instanceof CredanchorError ? error.shortMessage : (error as Error).message}`), 1;
    }
    const store = await openStore({ sqlitePath: dbPath });
    try {
      return await reconcileAndReport(store, parsed.config);
    } finally {
      await store.close();
    }
  },
};

/** Renames the database (and its WAL files) aside; returns the new name, or undefined when there was none. */
function moveAside(dbPath: string): string | undefined {
  if (!existsSync(dbPath)) return undefined;
  const aside = `${dbPath}.replaced-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  for (const suffix of ["", "-wal", "-shm"]) if (existsSync(dbPath + suffix)) renameSync(dbPath + suffix, aside + suffix);
  return aside;
}

export const reconcileCommand: Command = {
  name: "reconcile",
  usage: RECONCILE_USAGE,
  async run(argv) {
    const parsed = parse(argv, RECONCILE_USAGE);
    if (typeof parsed === "number") return parsed;
    if (parsed.positionals.length > 0) return console.error(RECONCILE_USAGE), 2;
    const sqlitePath = join(resolve(parsed.config.dataDir), "credanchor.db");
    if (!parsed.config.databaseUrl && !existsSync(sqlitePath)) return console.error(`error: no database at ${sqlitePath} (give --data-dir or DATA_DIR)`), 1;
    const store = await openStore({ databaseUrl: parsed.config.databaseUrl, sqlitePath });
    try {
      return await reconcileAndReport(store, parsed.config);
    } finally {
      await store.close();
    }
  },
};
