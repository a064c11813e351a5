// Composition root: configuration → chain → database → issuer service → HTTP server.
// `npm start` (embedded default) and `credanchor serve` both run this.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pino, { type Logger } from "pino";
import { createPublicClient, createWalletClient, http, type Address, type LocalAccount, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createApp } from "./api/app.ts";
import { listenApi } from "./api/listen.ts";
import { webRoutes } from "./api/web.ts";
import { issuerOfKey, registerIssuer } from "./chain/admin.ts";
import { AddressBookSchema, getDeploymentsDir } from "./chain/deployments.ts";
import { DEV_CHAIN_ID, devAccount } from "./chain/dev-accounts.ts";
import { ensureDevChain, type DevChain } from "./chain/dev-chain.ts";
import type { Config } from "./config.ts";
import { ServiceError } from "./core/errors.ts";
import { createApiKey, importApiKey } from "./issuer/api-keys.ts";
import { loadServerSecret } from "./issuer/server-secret.ts";
import { chainFingerprint, createIssuerService, type RunningIssuerService } from "./issuer/service.ts";
import { hasActiveAdminKey } from "./store/api-keys.ts";
import { getMeta, openDatabase, type Db } from "./store/db.ts";
import { loadTrustList } from "./verifier/trust-files.ts";

export type RunningServer = RunningIssuerService & {
  config: Config;
  url: string;
  rpcUrl: string;
  chainId: number;
  registry: Address;
  db: Db;
  logger: Logger;
  /** Set on the local chain: the demo issuer's id and API key, and the operator key. */
  demo?: { issuerId: number; issuerApiKey: string; adminApiKey: string; chainStarted: boolean };
  /** Set when no operator key existed: shown once. */
  newAdminKey?: string;
  /** Set when a database of an earlier (reset) local chain was moved aside. */
  resetNotice?: string;
  /** Stops accepting requests, parks the pipeline, closes the database and any chain started here. */
  stop(): Promise<void>;
};

/** The newest CredentialRegistry in any address book of `dir` for `chainId`. */
function registryFromAddressBooks(dir: string, chainId: number): Address | undefined {
  let newest: { address: string; at: string } | undefined;
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return undefined;
  }
  for (const name of names) {
    const parsed = AddressBookSchema.safeParse(JSON.parse(readFileSync(join(dir, name), "utf8")));
    if (!parsed.success || parsed.data.chainId !== chainId) continue;
    for (const d of parsed.data.deployments) if (!newest || d.deployedAt > newest.at) newest = { address: d.address, at: d.deployedAt };
  }
  return newest?.address as Address | undefined;
}

async function loadSigners(config: Config): Promise<LocalAccount[]> {
  const signers = config.signerKeys.map((key) => privateKeyToAccount(key as `0x${string}`));
  if (config.signerKeystore) {
    const { decryptKeystoreJson } = await import("ethers");
    try {
      const account = await decryptKeystoreJson(readFileSync(config.signerKeystore, "utf8"), config.signerKeystorePassword!);
      signers.push(privateKeyToAccount(account.privateKey as `0x${string}`));
    } catch (error) {
      throw new ServiceError(`cannot decrypt the signer keystore ${config.signerKeystore}: ${(error as Error).message}`, { code: "CONFIG_INVALID" });
    }
  }
  return signers;
}

/** The demo issuer on the local chain: dev account 1, registered by dev account 0 (the deployer). */
async function ensureDemoIssuer(client: PublicClient, rpcUrl: string, registry: Address): Promise<number> {
  const key = devAccount(1);
  const existing = await issuerOfKey(client, registry, key.address);
  if (existing !== 0) return existing;
  const governance = devAccount(0);
  const walletClient = createWalletClient({ transport: http(rpcUrl), account: governance });
  return registerIssuer({ publicClient: client, walletClient, account: governance }, registry, key.address, "did:web:demo-issuer.credanchor.local");
}

/**
 * Starts everything `config` describes. Without `rpcUrl` it runs the embedded default: a local
 * Hardhat chain (started or reused on `chainPort`), contracts deployed if missing, a demo issuer
 * registered, and demo API keys kept in `<dataDir>/demo-keys.json` (mode 0600).
 *
 * @throws ServiceError `CONFIG_INVALID` / `CHAIN_UNAVAILABLE` / `STORAGE_UNAVAILABLE` with a clear message.
 */
export async function startServer(config: Config, { logger: given }: { logger?: Logger } = {}): Promise<RunningServer> {
  const logger = given ?? pino({ level: config.logLevel, base: { service: "credanchor" }, redact: ["token", "apiKey", "privateKey", "authorization"] });
  const dataDir = resolve(config.dataDir);
  const deploymentsDir = config.deploymentsDir ?? getDeploymentsDir();
  let devChain: DevChain | undefined;
  let rpcUrl = config.rpcUrl;
  let registry = config.registryAddress as Address | undefined;
  let db: Db | undefined;
  let resetNotice: string | undefined;
  try {
    if (!rpcUrl) {
      devChain = await ensureDevChain({ port: config.chainPort, deploymentsDir });
      rpcUrl = devChain.url;
      registry ??= devChain.deployment.address as Address;
    }
    const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 10_000 }) }) as PublicClient;
    let chainId: number;
    try {
      chainId = await client.getChainId();
    } catch (error) {
      throw new ServiceError(`no JSON-RPC endpoint answers at ${rpcUrl} (RPC_URL): ${(error as Error).message.split("\n")[0]}`, { code: "CHAIN_UNAVAILABLE" });
    }
    if (config.chainId !== undefined && config.chainId !== chainId) {
      throw new ServiceError(`RPC_URL serves chain ${chainId} but CHAIN_ID says ${config.chainId}`, { code: "CONFIG_INVALID" });
    }
    if (!registry && chainId === DEV_CHAIN_ID) {
      // A local chain given by RPC_URL: deploy there too if the address book has nothing live.
      devChain = await ensureDevChain({ rpcUrl, deploymentsDir });
      registry = devChain.deployment.address as Address;
    }
    registry ??= registryFromAddressBooks(deploymentsDir, chainId);
    if (!registry) {
      throw new ServiceError(`no CredentialRegistry is known on chain ${chainId}: deploy one (npx hardhat run --network <name> scripts/deploy.ts) or set REGISTRY_ADDRESS`, {
        code: "CONFIG_INVALID",
      });
    }

    const signers = await loadSigners(config);
    let demoIssuerId: number | undefined;
    if (chainId === DEV_CHAIN_ID && signers.length === 0) {
      demoIssuerId = await ensureDemoIssuer(client, rpcUrl, registry);
      signers.push(devAccount(1));
    }
    if (signers.length === 0) {
      throw new ServiceError("no signer key is configured: set SIGNER_PRIVATE_KEYS or SIGNER_KEYSTORE (+ SIGNER_KEYSTORE_PASSWORD)", { code: "CONFIG_INVALID" });
    }

    const dbPath = join(dataDir, "credanchor.db");
    if (devChain?.node && existsSync(dbPath)) {
      // We started a fresh in-memory chain: a database from an earlier chain describes anchors
      // that no longer exist. Keep it aside (never delete data) and start clean.
      const old = openDatabase(dbPath);
      const seen = getMeta(old, "chainFingerprint");
      old.close();
      const now = await chainFingerprint(client);
      if (seen && now && seen !== now) {
        const aside = join(dataDir, `chain-reset-${new Date().toISOString().replace(/[:.]/g, "-")}`);
        mkdirSync(aside, { recursive: true });
        for (const name of ["credanchor.db", "credanchor.db-wal", "credanchor.db-shm"]) {
          if (existsSync(join(dataDir, name))) renameSync(join(dataDir, name), join(aside, name));
        }
        if (existsSync(join(dataDir, "demo-keys.json"))) copyFileSync(join(dataDir, "demo-keys.json"), join(aside, "demo-keys.json"));
        logger.warn({ module: "server", movedTo: aside }, "the local chain was restarted empty: the previous database was moved aside");
        resetNotice = `The local chain started empty, so the previous database (whose anchors are gone) was moved to ${aside}.`;
      }
    }
    db = openDatabase(dbPath);
    const log = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => logger[level]({ module: "pipeline", ...fields }, message);
    const running = await createIssuerService({
      db,
      client,
      chainId,
      registry,
      signers,
      batch: { maxSize: config.batchMaxSize, maxWaitMs: config.batchMaxWaitSeconds * 1000 },
      confirmations: config.confirmations ?? (chainId === DEV_CHAIN_ID ? 0 : 3),
      bumpAfterMs: config.bumpAfterSeconds * 1000,
      maxPerRequest: config.maxCredentialsPerRequest,
      pollMs: config.pollMs,
      secret: loadServerSecret(dataDir, config.serverSecret),
      idempotencyWindowMs: config.idempotencyWindowHours * 3600_000,
      log,
    });
    for (const [issuerId, hook] of Object.entries(config.webhooks)) {
      db.prepare("UPDATE issuers SET webhook_url = ?, webhook_secret = ? WHERE id = ?").run(hook.url, hook.secret ?? null, Number(issuerId));
    }

    // Keys: an operator key if none exists (shown once); on the local chain, remembered demo keys.
    let demo: RunningServer["demo"];
    let newAdminKey: string | undefined;
    const hasAdmin = hasActiveAdminKey(db, Date.now());
    if (demoIssuerId !== undefined) {
      const file = join(dataDir, "demo-keys.json");
      let keys = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { issuerId: number; issuerApiKey: string; adminApiKey: string }) : undefined;
      if (keys && keys.issuerId === demoIssuerId) {
        // Keep the demo keys a user may have copied, also across a reset of the local chain.
        importApiKey(db, demoIssuerId, keys.issuerApiKey, "demo issuer");
        importApiKey(db, null, keys.adminApiKey, "demo operator");
      }
      if (!keys || keys.issuerId !== demoIssuerId || !running.service.authenticate(keys.issuerApiKey) || !running.service.authenticate(keys.adminApiKey)) {
        keys = { issuerId: demoIssuerId, issuerApiKey: createApiKey(db, demoIssuerId, "demo issuer").token, adminApiKey: createApiKey(db, null, "demo operator").token };
        writeFileSync(file, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
        chmodSync(file, 0o600);
      }
      demo = { ...keys, chainStarted: devChain?.node !== undefined };
    } else if (!hasAdmin) {
      newAdminKey = createApiKey(db, null, "first operator key").token;
    }

    const rpcUrls = { [chainId]: rpcUrl };
    const app = createApp({
      service: running.service,
      verify: { trust: loadTrustList({ dir: deploymentsDir }), rpc: rpcUrls },
      logger,
      routers: [webRoutes({ deploymentsDir, rpcUrls })],
    });
    const server = await listenApi(app, { host: config.host, port: config.port });
    const address = server.address() as { port: number };
    running.pipeline.start();
    logger.info({ module: "server", host: config.host, port: address.port, chainId, registry, issuers: [...running.issuers.keys()] }, "credanchor started");

    let stopped: Promise<void> | undefined;
    const openDb = db;
    const stop = () =>
      (stopped ??= (async () => {
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeIdleConnections?.();
        });
        await running.pipeline.stop();
        await running.close();
        openDb.close();
        await devChain?.stop();
        logger.info({ module: "server" }, "credanchor stopped");
      })());
    return {
      ...running,
      config,
      url: `http://${config.host}:${address.port}`,
      rpcUrl,
      chainId,
      registry,
      db,
      logger,
      ...(demo ? { demo } : {}),
      ...(newAdminKey ? { newAdminKey } : {}),
      ...(resetNotice ? { resetNotice } : {}),
      stop,
    };
  } catch (error) {
    db?.close();
    await devChain?.stop();
    throw error;
  }
}
