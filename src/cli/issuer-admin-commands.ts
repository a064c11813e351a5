// `credanchor issuer`: register an issuer (accreditor), show it, add / retire / mark compromised its keys (issuer admin), straight on the chain.
import { readFileSync } from "node:fs";
import { createPublicClient, createWalletClient, formatEther, http, isAddress, isHex, type Address, type LocalAccount, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployBlocks, getDeploymentsDir, newestRegistry } from "../chain/deployments.ts";
import { adminCall, estimateAdminCall, readIssuer, sendAdminCall, type AdminCall, type AdminFunction, type IssuerView } from "../chain/issuer-admin.ts";
import { describeChainError } from "../chain/sender.ts";
import { loadConfig } from "../config.ts";
import { bytesToHex } from "../core/encoding.ts";
import { publicKeyOfDidKey } from "../vc/keys.ts";
import { parseCommandLine } from "./command-line.ts";
import type { Command } from "./issuer-commands.ts";
import { terminalSafe } from "./terminal.ts";

const USAGE = `Usage: credanchor issuer register --admin <0x…> --identity <did-or-url> --name <text> [--from <date>] [--until <date>]
       credanchor issuer show <issuer-id> [--json]
       credanchor issuer keys add|retire|compromise <key> [--assertion] [--since <date>]

Administers issuers on a version 2 registry, straight on the chain (no running service needed).
  register    the accreditor registers an issuer: its cold admin key, identity (what its
              credentials name as "issuer") and display name, accredited from --from (default
              now) until --until (default no end)
  show        identity, name, accreditation window, admin and every key with its window
  keys add    the issuer's admin authorises a signer key (an address) or, with --assertion, an
              Ed25519 assertion key (did:key:z6Mk… or 0x + 64 hex digits)
  keys retire the admin retires the key now (what it signed before stays valid)
  keys compromise
              the admin marks the key compromised from --since (default: the chain's current
              time): what it signed from then on becomes invalid

Options:
  --rpc <url>            JSON-RPC endpoint (default: the service's settings: RPC_URL, else the
                         local chain on 127.0.0.1:CHAIN_PORT; config file: CREDANCHOR_CONFIG)
  --registry <0x…>       the registry (default REGISTRY_ADDRESS, else the newest one in the
                         address books for the chain)
  --keystore <file>      take the acting key from this encrypted JSON keystore (its password
                         from the environment, see below)
  --dry-run              print the transaction (to, function, arguments, calldata) and its
                         estimated cost, and send nothing
  --json                 print the result as JSON
  -h, --help             show this help
Dates: RFC 3339 (2027-01-31T00:00:00Z) or a day (2027-01-31, midnight UTC).

The acting key never comes from the command line:
  register         ACCREDITOR_PRIVATE_KEY, or ACCREDITOR_KEYSTORE + ACCREDITOR_KEYSTORE_PASSWORD
  keys …           ISSUER_ADMIN_PRIVATE_KEY, or ISSUER_ADMIN_KEYSTORE + ISSUER_ADMIN_KEYSTORE_PASSWORD`;

class UsageError extends Error {}

/** A date flag → unix seconds. */
export function parseDateFlag(flag: string, value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : /(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new UsageError(`--${flag} ${value}: give an RFC 3339 date-time with a time zone (2027-01-31T00:00:00Z) or a day (2027-01-31)`);
  return Math.floor(ms / 1000);
}

const iso = (seconds: number | undefined) => (seconds === undefined ? "no end" : new Date(seconds * 1000).toISOString());

/** The acting account from the environment: a private key, or an encrypted keystore and its password. */
async function actingAccount(prefix: "ACCREDITOR" | "ISSUER_ADMIN", keystoreFlag: string | undefined, env: NodeJS.ProcessEnv): Promise<LocalAccount> {
  const keystore = keystoreFlag ?? env[`${prefix}_KEYSTORE`];
  if (keystore) {
    const password = env[`${prefix}_KEYSTORE_PASSWORD`];
    if (!password) throw new UsageError(`${prefix}_KEYSTORE_PASSWORD is not set: the password of ${keystore} comes from the environment`);
    const { decryptKeystoreJson } = await import("ethers");
    try {
      const { privateKey } = await decryptKeystoreJson(readFileSync(keystore, "utf8"), password);
      return privateKeyToAccount(privateKey as `0x${string}`);
    } catch (error) {
      throw new UsageError(`cannot decrypt the keystore ${keystore}: ${(error as Error).message}`);
    }
  }
  const key = env[`${prefix}_PRIVATE_KEY`];
  if (!key) throw new UsageError(`no key: set ${prefix}_PRIVATE_KEY, or ${prefix}_KEYSTORE and ${prefix}_KEYSTORE_PASSWORD`);
  // Never echo the value: it is a secret.
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError(`${prefix}_PRIVATE_KEY must be 0x followed by 64 hex digits`);
  return privateKeyToAccount(key as `0x${string}`);
}

/** An assertion key flag → bytes32: a did:key or 0x + 64 hex digits. */
function assertionKeyArg(value: string): `0x${string}` {
  if (isHex(value) && value.length === 66) return value;
  try {
    return bytesToHex(publicKeyOfDidKey(value)) as `0x${string}`;
  } catch {
    throw new UsageError(`${value} is not an assertion key: give a did:key:z6Mk… or 0x followed by 64 hex digits`);
  }
}

function signerKeyArg(value: string): Address {
  if (!isAddress(value, { strict: false })) throw new UsageError(`${value} is not an address (0x followed by 40 hex digits); an Ed25519 key needs --assertion`);
  return value;
}

type Connection = { client: PublicClient; rpcUrl: string; registry: Address; fromBlock: bigint };

async function connect(rpcFlag: string | undefined, registryFlag: string | undefined, env: NodeJS.ProcessEnv): Promise<Connection> {
  const config = loadConfig(env, registryFlag ? { registryAddress: registryFlag } : {});
  const rpcUrl = rpcFlag ?? config.rpcUrl ?? `http://127.0.0.1:${config.chainPort}`;
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) }) as PublicClient;
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (error) {
    throw new UsageError(`cannot reach the chain at ${rpcUrl}: ${(error as Error).message.split("\n")[0]}`);
  }
  const dir = config.deploymentsDir ?? getDeploymentsDir();
  const registry = (config.registryAddress ?? newestRegistry(dir, chainId)?.address) as Address | undefined;
  if (!registry) throw new UsageError(`no registry for chain ${chainId} (${rpcUrl}): give --registry or REGISTRY_ADDRESS`);
  const fromBlock = BigInt(deployBlocks(dir, chainId).get(registry.toLowerCase()) ?? 0);
  return { client, rpcUrl, registry, fromBlock };
}

/** Prints the planned call and its cost (dry run), or sends it and prints the receipt. */
async function run(conn: Connection, account: LocalAccount, call: AdminCall, { dryRun, json }: { dryRun: boolean; json: boolean }): Promise<number> {
  const estimate = await estimateAdminCall(conn.client, call, account.address);
  const cost = { gas: estimate.gas.toString(), feePerGasWei: estimate.feePerGasWei.toString(), costWei: estimate.costWei.toString(), cost: `${estimate.cost} ${estimate.currency}` };
  const plan = { from: account.address, to: call.to, function: call.functionName, args: call.args, calldata: call.data, estimate: cost };
  if (dryRun) {
    if (json) return console.log(JSON.stringify({ dryRun: true, ...plan }, null, 2)), 0;
    console.log(terminalSafe(`dry run: nothing sent\n  from      ${plan.from}\n  to        ${plan.to} (registry, via ${conn.rpcUrl})\n  function  ${call.functionName}(${call.args.map(String).join(", ")})\n  calldata  ${call.data}\n  estimate  ${cost.gas} gas × ${cost.feePerGasWei} wei = ${cost.costWei} wei (at most ${cost.cost})`));
    return 0;
  }
  const walletClient = createWalletClient({ transport: http(conn.rpcUrl, { retryCount: 0 }), account, chain: { id: await conn.client.getChainId() } as never });
  const sent = await sendAdminCall(conn.client, walletClient, account, call);
  const receipt = { transaction: sent.hash, block: Number(sent.blockNumber), gasUsed: sent.gasUsed.toString(), costWei: sent.costWei.toString(), cost: `${formatEther(sent.costWei)} ${estimate.currency}`, ...(sent.issuerId ? { issuerId: sent.issuerId } : {}) };
  if (json) return console.log(JSON.stringify({ ...plan, ...receipt }, null, 2)), 0;
  if (sent.issuerId) console.log(`issuer ${sent.issuerId} registered`);
  console.log(terminalSafe(`${call.functionName}(${call.args.map(String).join(", ")}): mined in block ${receipt.block}, transaction ${sent.hash}, gas ${receipt.gasUsed}, cost ${receipt.costWei} wei (${receipt.cost})`));
  return 0;
}

function printIssuer(view: IssuerView): void {
  const lines = [
    `issuer ${view.issuerId}`,
    `  identity  ${view.identity}`,
    `  name      ${view.name || "(none)"}`,
    `  accredited ${iso(view.validFrom)} – ${iso(view.validUntil)}`,
    `  admin     ${view.admin}`,
    "  keys:",
    ...view.keys.map((k) => {
      const state = k.compromisedFrom !== undefined ? `compromised from ${iso(k.compromisedFrom)}` : k.retiredAt !== undefined ? `retired ${iso(k.retiredAt)}` : "active";
      return `    ${k.role.padEnd(9)} ${k.key}  added ${iso(k.addedAt)}  ${state}${k.retiredAt !== undefined && k.compromisedFrom !== undefined ? `, retired ${iso(k.retiredAt)}` : ""}`;
    }),
  ];
  for (const line of lines) console.log(terminalSafe(line));
}

const issuerJson = (view: IssuerView) => ({
  ...view,
  validFrom: iso(view.validFrom),
  validUntil: view.validUntil === undefined ? null : iso(view.validUntil),
  keys: view.keys.map((k) => ({ ...k, addedAt: iso(k.addedAt), retiredAt: k.retiredAt === undefined ? null : iso(k.retiredAt), compromisedFrom: k.compromisedFrom === undefined ? null : iso(k.compromisedFrom) })),
});

const KEY_FUNCTIONS: Record<string, { signer: AdminFunction; assertion: AdminFunction }> = {
  add: { signer: "addSignerKey", assertion: "addAssertionKey" },
  retire: { signer: "retireSignerKey", assertion: "retireAssertionKey" },
  compromise: { signer: "markKeyCompromised", assertion: "markAssertionKeyCompromised" },
};

async function dispatch(values: Record<string, string | boolean | undefined>, positionals: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [verb, ...rest] = positionals;
  const opts = { dryRun: Boolean(values["dry-run"]), json: Boolean(values.json) };
  const rpc = values.rpc as string | undefined;
  const registryFlag = values.registry as string | undefined;
  if (verb === "register") {
    for (const flag of ["admin", "identity", "name"]) if (typeof values[flag] !== "string") throw new UsageError(`register needs --${flag}`);
    const admin = signerKeyArg(values.admin as string);
    const from = values.from ? parseDateFlag("from", values.from as string) : 0;
    const until = values.until ? parseDateFlag("until", values.until as string) : 0;
    const account = await actingAccount("ACCREDITOR", values.keystore as string | undefined, env);
    const conn = await connect(rpc, registryFlag, env);
    return run(conn, account, adminCall(conn.registry, "registerIssuer", [admin, values.identity as string, values.name as string, from, until]), opts);
  }
  if (verb === "show") {
    if (!/^[1-9]\d{0,15}$/.test(rest[0] ?? "")) throw new UsageError("show needs an issuer id (1, 2, …)");
    const conn = await connect(rpc, registryFlag, env);
    const view = await readIssuer(conn.client, conn.registry, Number(rest[0]), conn.fromBlock);
    if (opts.json) console.log(JSON.stringify(issuerJson(view), null, 2));
    else printIssuer(view);
    return 0;
  }
  if (verb === "keys") {
    const [action, key] = rest;
    const functions = KEY_FUNCTIONS[action ?? ""];
    if (!functions || !key) throw new UsageError("keys needs add, retire or compromise and a key");
    const assertion = Boolean(values.assertion);
    const keyArg = assertion ? assertionKeyArg(key) : signerKeyArg(key);
    const account = await actingAccount("ISSUER_ADMIN", values.keystore as string | undefined, env);
    const conn = await connect(rpc, registryFlag, env);
    const args: (string | number)[] = [keyArg];
    if (action === "compromise") {
      // Default: the chain's own clock (the registry refuses a time in its future).
      args.push(values.since ? parseDateFlag("since", values.since as string) : Number((await conn.client.getBlock()).timestamp));
    } else if (values.since) throw new UsageError("--since goes with keys compromise");
    return run(conn, account, adminCall(conn.registry, assertion ? functions.assertion : functions.signer, args), opts);
  }
  throw new UsageError("give register, show or keys");
}

const FLAGS = {
  admin: { type: "string" }, identity: { type: "string" }, name: { type: "string" }, from: { type: "string" }, until: { type: "string" }, since: { type: "string" },
  rpc: { type: "string" }, registry: { type: "string" }, keystore: { type: "string" }, assertion: { type: "boolean" }, "dry-run": { type: "boolean" }, json: { type: "boolean" },
} as const;

export const issuerAdminCommand: Command = {
  name: "issuer",
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandLine(argv, FLAGS, USAGE);
    if (typeof parsed === "number") return parsed;
    try {
      return await dispatch(parsed.values, parsed.positionals, process.env);
    } catch (error) {
      if (error instanceof UsageError) return console.error(terminalSafe(`error: ${error.message}`)), 2;
      // A revert names the contract's error (IssuerUnauthorizedAdmin, KeyAlreadyRegistered, …).
      console.error(terminalSafe(`error: ${describeChainError(error).split("\n")[0]}`));
      return 1;
    }
  },
};
