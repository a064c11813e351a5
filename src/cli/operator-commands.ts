// Operator commands of `credanchor`: serve, keys, deploy.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { HARDHAT_CLI } from "../chain/local-node.ts";
import { loadConfig } from "../config.ts";
import { CredanchorError } from "../core/errors.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../issuer/api-keys.ts";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/types.ts";
import type { Command } from "./issuer-commands.ts";
import { printBanner } from "./banner.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Prints a configuration or start-up error the way an operator wants to read it. */
export function reportStartError(error: unknown): number {
  if (error instanceof CredanchorError) {
    console.error(`credanchor cannot start: ${error.shortMessage}`);
    for (const d of error.details) console.error(`  ${d.path}: ${d.message}`);
    return 1;
  }
  console.error(`credanchor cannot start: ${(error as Error)?.stack ?? String(error)}`);
  return 1;
}

const SERVE_USAGE = `Usage: credanchor serve [options]

Runs the issuer API, the batching/anchoring pipeline and the verifier page. Every option can
also come from the environment (in brackets) or a JSON config file (--config, $CREDANCHOR_CONFIG);
flags win over the environment, which wins over the file. See docs/operations.md.

Options:
  --config <file>              JSON config file (setting names in camelCase)
  --host <addr>                listen address [HOST] (default 127.0.0.1)
  --port <n>                   listen port [PORT] (default 8080)
  --verify-port <n>            also serve POST /v1/verify on this port, on the
                               verification threads alone [VERIFY_PORT] (default none)
  --data-dir <dir>             SQLite file and local demo keys [DATA_DIR] (default ./data)
  --rpc-url <url>              JSON-RPC endpoint [RPC_URL]; absent: a local Hardhat chain
  --chain-id <n>               expected chain id [CHAIN_ID]
  --registry <0x…>             CredentialRegistry address [REGISTRY_ADDRESS]
  --batch-max-size <n>         close a batch at n credentials [BATCH_MAX_SIZE] (default 100000)
  --batch-max-wait <s>         …or after s seconds [BATCH_MAX_WAIT_SECONDS] (default 5)
  --confirmations <k>          blocks to wait [CONFIRMATIONS] (default 0 local, 3 elsewhere)
  --log-level <level>          [LOG_LEVEL] (default info)
Signer keys come only from the environment: SIGNER_PRIVATE_KEYS (comma-separated) or
SIGNER_KEYSTORE + SIGNER_KEYSTORE_PASSWORD (an encrypted JSON keystore).`;

const FLAG_TO_SETTING: Record<string, string> = {
  config: "config",
  host: "host",
  port: "port",
  "verify-port": "verifyPort",
  "data-dir": "dataDir",
  "rpc-url": "rpcUrl",
  "chain-id": "chainId",
  registry: "registryAddress",
  "batch-max-size": "batchMaxSize",
  "batch-max-wait": "batchMaxWaitSeconds",
  confirmations: "confirmations",
  "log-level": "logLevel",
};

export const serveCommand: Command = {
  name: "serve",
  usage: SERVE_USAGE,
  async run(argv) {
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({
        args: argv,
        options: { ...Object.fromEntries(Object.keys(FLAG_TO_SETTING).map((k) => [k, { type: "string" as const }])), help: { type: "boolean", short: "h" } },
        strict: true,
      }).values;
    } catch (error) {
      console.error(`error: ${(error as Error).message}\n\n${SERVE_USAGE}`);
      return 2;
    }
    if (values.help) return console.log(SERVE_USAGE), 0;
    const flags = Object.fromEntries(Object.entries(values).filter(([k]) => k !== "help").map(([k, v]) => [FLAG_TO_SETTING[k]!, v]));
    try {
      const config = loadConfig(process.env, flags);
      const { startServer } = await import("../server.ts");
      const server = await startServer(config);
      printBanner(server, { logsTo: "stdout" });
      await new Promise<void>((resolveStop) => {
        const shutdown = () => {
          console.error("\nStopping: finishing the current step; unfinished work stays queued in the database…");
          server.stop().then(resolveStop, resolveStop);
        };
        process.once("SIGINT", shutdown);
        process.once("SIGTERM", shutdown);
      });
      return 0;
    } catch (error) {
      return reportStartError(error);
    }
  },
};

const KEYS_USAGE = `Usage: credanchor keys create --issuer <id> | --admin [--issuers <id,…>] [--label <text>] [--expires <when>]
       credanchor keys list [--json]
       credanchor keys revoke <key-id>

Creates, lists or revokes API keys directly in the service's database (operator access to the
data directory needed; the running service sees the change at once). A new key is printed once;
only its hash is stored. Through the API, an operator key can do the same for issuer keys
(GET /v1/admin/api-keys, POST /v1/admin/issuers/{id}/api-keys, DELETE /v1/admin/api-keys/{keyId}).

Options:
  --issuer <id>          a key that acts for this issuer only
  --admin                an operator key (manages issuer keys, reads and erases; never issues)
  --issuers <id,…>       with --admin: limit the operator key to these issuers
  --expires <when>       an RFC 3339 date-time, or a duration from now: 90d, 12h, 30m
  --label <text>         what the key is for
  --data-dir <dir>       [DATA_DIR] (default ./data)`;

/** `--expires` → unix ms: a date-time, or a duration from now (`90d`, `12h`, `30m`). */
export function parseExpiry(value: string, now = Date.now()): number {
  const duration = /^(\d+)([dhm])$/.exec(value);
  const at = duration ? now + Number(duration[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[duration[2] as "d" | "h" | "m"] : Date.parse(value);
  if (!Number.isFinite(at) || at <= now) throw new CredanchorError(`--expires ${value}: give a future date-time (2027-01-31T00:00:00Z) or a duration (90d, 12h, 30m)`, { code: "REQUEST_INVALID" });
  return at;
}

async function printKeys(store: Store, json: boolean): Promise<void> {
  const keys = await listApiKeys(store.apiKeys);
  if (json) return console.log(JSON.stringify(keys, null, 2));
  if (keys.length === 0) return console.log("no API keys");
  for (const k of keys) {
    const who = k.kind === "issuer" ? `issuer ${k.issuerId}` : k.issuers ? `operator (issuers ${k.issuers.join(",")})` : "operator";
    const when = k.state === "revoked" ? `revoked ${k.revokedAt}` : k.expiresAt ? `${k.state === "expired" ? "expired" : "expires"} ${k.expiresAt}` : "no expiry";
    console.log(`${k.keyId}  ${k.state.padEnd(7)}  ${who}  created ${k.createdAt}  ${when}${k.label ? `  "${k.label}"` : ""}`);
  }
}

export const keysCommand: Command = {
  name: "keys",
  usage: KEYS_USAGE,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          issuer: { type: "string" },
          admin: { type: "boolean" },
          issuers: { type: "string" },
          label: { type: "string" },
          expires: { type: "string" },
          json: { type: "boolean" },
          "data-dir": { type: "string" },
          help: { type: "boolean", short: "h" },
        },
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      console.error(`error: ${(error as Error).message}\n\n${KEYS_USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) return console.log(KEYS_USAGE), 0;
    const [verb, keyId] = positionals;
    if (!["create", "list", "revoke"].includes(verb ?? "") || (verb === "revoke" && !keyId)) return console.error(KEYS_USAGE), 2;
    let expiresAt: number | undefined;
    let scope: number[] | undefined;
    try {
      if (values.expires !== undefined) expiresAt = parseExpiry(values.expires);
      if (values.issuers !== undefined) {
        if (!values.admin) throw new CredanchorError("--issuers limits an operator key: use it with --admin", { code: "REQUEST_INVALID" });
        scope = values.issuers.split(",").map((v) => {
          if (!/^[1-9]\d{0,15}$/.test(v.trim())) throw new CredanchorError(`--issuers: "${v}" is not an issuer id`, { code: "REQUEST_INVALID" });
          return Number(v);
        });
      }
    } catch (error) {
      return console.error(`error: ${(error as CredanchorError).shortMessage}`), 2;
    }
    const store = await openStore({ databaseUrl: process.env.DATABASE_URL, sqlitePath: join(resolve((values["data-dir"] as string | undefined) ?? process.env.DATA_DIR ?? "./data"), "credanchor.db") });
    try {
      if (verb === "list") return await printKeys(store, Boolean(values.json)), 0;
      if (verb === "revoke") {
        if (!(await revokeApiKey(store.apiKeys, keyId!))) return console.error(`error: no active key ${keyId}`), 1;
        console.log(`key ${keyId} revoked`);
        return 0;
      }
      if (Boolean(values.admin) === (values.issuer !== undefined)) return console.error("error: give either --issuer <id> or --admin"), 2;
      const issuerId = values.admin ? null : Number(values.issuer);
      // An operator key may be limited to issuers not served yet; an issuer key needs a served issuer.
      if (issuerId !== null && !(await store.issuers.isKnown(issuerId))) {
        return console.error(`error: issuer ${issuerId} is not served by this service (start it with that issuer's signer key first)`), 1;
      }
      const { keyId: id, token } = await createApiKey(store.apiKeys, issuerId, {
        ...(values.label !== undefined ? { label: values.label } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(scope ? { issuers: scope } : {}),
      });
      const who = issuerId !== null ? `issuer ${issuerId}` : scope ? `the operator (issuers ${scope.join(",")})` : "the operator";
      console.log(`key ${id} for ${who}${expiresAt ? `, expires ${new Date(expiresAt).toISOString()}` : ""}:\n${token}\nStore it now: it is not shown again.`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

const DEPLOY_USAGE = `Usage: credanchor deploy --network <localhost|sepolia|evm>

Deploys CredentialRegistry with scripts/deploy.ts and appends it to deployments/<network>.json.
The deployer key comes from the environment or Hardhat's encrypted keystore (see README).`;

export const deployCommand: Command = {
  name: "deploy",
  usage: DEPLOY_USAGE,
  async run(argv) {
    let values;
    try {
      values = parseArgs({ args: argv, options: { network: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }).values;
    } catch (error) {
      console.error(`error: ${(error as Error).message}\n\n${DEPLOY_USAGE}`);
      return 2;
    }
    if (values.help || !values.network) return console.log(DEPLOY_USAGE), values.help ? 0 : 2;
    const child = spawn(process.execPath, [HARDHAT_CLI, "run", "--network", values.network, "scripts/deploy.ts"], { cwd: ROOT, stdio: "inherit" });
    return await new Promise<number>((r) => child.on("exit", (code) => r(code ?? 1)));
  },
};
