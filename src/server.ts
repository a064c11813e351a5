// Composition root: configuration → chain → store → issuer service → HTTP server.
// `npm start` (embedded default) and `credanchor serve` both run this.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pino, { type Logger } from "pino";
import { createPublicClient, createWalletClient, http, type Address, type LocalAccount, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createApp, verifyListenerOf } from "./api/app.ts";
import { statusListPublisherFor } from "./issuer/status-lists.ts";
import { createVcApiContext } from "./api/vc-api.ts";
import { createDidWebSource } from "./api/did-web.ts";
import { listenApi, tlsFromFiles } from "./api/listen.ts";
import { Metrics } from "./api/metrics.ts";
import { pageRpcUrls, webRoutes } from "./api/web.ts";
import { addSignerKey, issuerOfKey, registerIssuer } from "./chain/admin.ts";
import { addAssertionKey, chainKeyBinding, readKeyBinding } from "./chain/assertion-keys.ts";
import { ChainMonitor } from "./chain/chain-monitor.ts";
import type { SupervisorEvent } from "./chain/chain-supervisor.ts";
import { deployBlocks, getDeploymentsDir, newestRegistry } from "./chain/deployments.ts";
import { DEV_CHAIN_ID, devAccount } from "./chain/dev-accounts.ts";
import { ensureDevChain, type DevChain } from "./chain/dev-chain.ts";
import type { Config } from "./config.ts";
import { ServiceError } from "./core/errors.ts";
import { createApiKey, importApiKey } from "./issuer/api-keys.ts";
import { checkAssertionKeys, DEMO_KEYS_FILE, loadAssertionKeys } from "./issuer/assertion-keys.ts";
import { loadServerSecret } from "./issuer/server-secret.ts";
import { createIssuerService, type RunningIssuerService } from "./issuer/service.ts";
import { chainFingerprint } from "./issuer/use-cases/start.ts";
import { openStore as openConfiguredStore } from "./store/open.ts";
import { startAnchoringLeader, type LeaderElection } from "./store/postgres/leader.ts";
import { openSqliteStore } from "./store/sqlite/store.ts";
import type { Store } from "./store/types.ts";
import { loadTrustList } from "./verifier/trust-files.ts";

export type RunningServer = RunningIssuerService & {
  config: Config;
  url: string;
  /** The verification port's URL (VERIFY_PORT set): POST /v1/verify served by the verification threads alone. */
  verifyUrl?: string;
  rpcUrl: string;
  chainId: number;
  registry: Address;
  store: Store;
  logger: Logger;
  /** Set on the local chain: the demo issuer's id and API key, and the operator key. */
  demo?: { issuerId: number; issuerApiKey: string; adminApiKey: string; chainStarted: boolean };
  /** Set when no operator key existed: shown once. */
  newAdminKey?: string;
  /** Set when a database of an earlier (reset) local chain was moved aside. */
  resetNotice?: string;
  /** Watches the chain: readiness reads it. */
  chainMonitor: ChainMonitor;
  /** Stops accepting requests, parks the pipeline, closes the database and any chain started here. */
  stop(): Promise<void>;
};

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

/** The demo issuer's identity and name on the local chain (set by the accreditor, dev account 0). */
const DEMO_ISSUER = { identity: "did:web:demo-issuer.credanchor.local", name: "credanchor demo issuer" } as const;

/**
 * The demo issuer on the local chain: hot signer key dev account 1, cold admin key dev account 10
 * (kept apart, as on a real deployment), registered by dev account 0 (the deployer).
 */
async function ensureDemoIssuer(client: PublicClient, rpcUrl: string, registry: Address): Promise<number> {
  const key = devAccount(1);
  const existing = await issuerOfKey(client, registry, key.address);
  if (existing !== 0) return existing;
  const governance = devAccount(0);
  const admin = devAccount(10);
  const transport = http(rpcUrl);
  // Registered by an earlier start that stopped (or a chain that forgot its last blocks) before the
  // signer key was added: only add it.
  let issuerId = await issuerOfKey(client, registry, admin.address);
  if (issuerId === 0) {
    issuerId = await registerIssuer(
      { publicClient: client, walletClient: createWalletClient({ transport, account: governance }), account: governance },
      registry,
      admin.address,
      DEMO_ISSUER.identity,
      { name: DEMO_ISSUER.name },
    );
  }
  await addSignerKey({ publicClient: client, walletClient: createWalletClient({ transport, account: admin }), account: admin }, registry, key.address);
  return issuerId;
}

/**
 * The assertion keys of the issuers served, each bound on-chain to its issuer; the local demo
 * issuer's is generated once and registered by its cold admin (dev account 10).
 */
async function readyAssertionKeys(config: Config, dataDir: string, client: PublicClient, rpcUrl: string, registry: Address, served: ReadonlyMap<number, unknown>, demoIssuerId: number | undefined) {
  const keys = await loadAssertionKeys(config, dataDir, demoIssuerId === undefined ? {} : { demoIssuerId });
  const demoKey = demoIssuerId === undefined ? undefined : keys.get(demoIssuerId);
  if (demoKey && !(await readKeyBinding(client, registry, demoKey.publicKey)).bound) {
    const admin = devAccount(10);
    await addAssertionKey({ publicClient: client, walletClient: createWalletClient({ transport: http(rpcUrl), account: admin }), account: admin }, registry, demoKey.publicKey);
  }
  for (const issuerId of keys.keys()) {
    if (!served.has(issuerId)) throw new ServiceError(`ASSERTION_KEY_${issuerId} is set, but issuer ${issuerId} is not served here (no signer key of it is configured)`, { code: "CONFIG_INVALID" });
  }
  await checkAssertionKeys(client, registry, keys);
  return keys;
}

/** How to get a registry deployed where it is missing, in commands that work for this chain. */
function deployHint(startedHere: boolean, chainId: number, rpcUrl: string): string {
  if (startedHere) return "the local chain lost it; stop credanchor (Ctrl-C) and run npm start again: it deploys the registry again";
  if (chainId === DEV_CHAIN_ID) return `deploy it (LOCALHOST_RPC_URL=${rpcUrl} npx hardhat run --network localhost scripts/deploy.ts) and restart, or fix REGISTRY_ADDRESS`;
  return "deploy it (npx hardhat run --network <name> scripts/deploy.ts) and restart, or fix REGISTRY_ADDRESS";
}

/**
 * Starts everything `config` describes. Without `rpcUrl` it runs the embedded default: a local
 * Anvil chain (started and supervised, keeping its state in `<dataDir>/chain-state.json`, or
 * reused on `chainPort`), contracts deployed if missing, a demo issuer registered, and demo API
 * keys kept in `<dataDir>/demo-keys.json` (mode 0600). `notify` receives what an operator at the
 * console must see (the local chain died, was restarted, went back some blocks).
 *
 * @throws ServiceError `CONFIG_INVALID` / `CHAIN_UNAVAILABLE` / `STORAGE_UNAVAILABLE` with a clear message.
 *
 * @example
 * const server = await startServer(loadConfig(), { notify: console.log });
 */
export async function startServer(config: Config, { logger: given, notify = () => {} }: { logger?: Logger; notify?: (line: string) => void } = {}): Promise<RunningServer> {
  const logger = given ?? pino({ level: config.logLevel, base: { service: "credanchor" }, redact: ["token", "apiKey", "privateKey", "authorization"] });
  const dataDir = resolve(config.dataDir);
  // Read before anything starts: a certificate that cannot be read stops the start at once.
  const tls = tlsFromFiles(config.tlsCertFile, config.tlsKeyFile);
  const scheme = tls ? "https" : "http";
  const deploymentsDir = config.deploymentsDir ?? getDeploymentsDir();
  let devChain: DevChain | undefined;
  let rpcUrl = config.rpcUrl;
  let registry = config.registryAddress as Address | undefined;
  let store: Store | undefined;
  let resetNotice: string | undefined;
  // Set once the pipeline and the monitor exist; the local chain's supervisor reports to them.
  let afterChainRestart = () => {};
  let monitor: ChainMonitor | undefined;
  const onChainEvent = (event: SupervisorEvent) => {
    logger[event.kind === "restarted" ? "info" : event.kind === "gave-up" ? "error" : "warn"]({ module: "chain", event: event.kind, head: event.head, downMs: event.downMs }, event.message);
    notify(event.message);
    if (event.kind === "restarted") afterChainRestart();
  };
  const statePath = join(dataDir, "chain-state.json");
  try {
    if (!rpcUrl) {
      mkdirSync(dataDir, { recursive: true });
      devChain = await ensureDevChain({ port: config.chainPort, deploymentsDir, statePath, onChainEvent });
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
    registry ??= newestRegistry(deploymentsDir, chainId)?.address as Address | undefined;
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
    if (!config.databaseUrl && devChain?.node && existsSync(dbPath)) {
      // The chain started without the blocks this database saw (its state file was removed or set
      // aside): the anchors it records are gone. Keep it aside (never delete data), start clean.
      const old = openSqliteStore(dbPath);
      const seen = await old.meta.get("chainFingerprint");
      await old.close();
      const now = await chainFingerprint(client);
      if (seen && now && seen !== now) {
        const aside = join(dataDir, `chain-reset-${new Date().toISOString().replace(/[:.]/g, "-")}`);
        mkdirSync(aside, { recursive: true });
        for (const name of ["credanchor.db", "credanchor.db-wal", "credanchor.db-shm"]) {
          if (existsSync(join(dataDir, name))) renameSync(join(dataDir, name), join(aside, name));
        }
        if (existsSync(join(dataDir, "demo-keys.json"))) copyFileSync(join(dataDir, "demo-keys.json"), join(aside, "demo-keys.json"));
        logger.warn({ module: "server", movedTo: aside, statePath }, "the local chain started without its earlier blocks: the previous database was moved aside");
        resetNotice = `The local chain started without the blocks the database saw (${statePath} was missing or unreadable), so the previous database (whose anchors are gone) was moved to ${aside}.`;
      }
    }
    store = await openConfiguredStore({ databaseUrl: config.databaseUrl, sqlitePath: dbPath, background: true, log: (level, message, fields) => logger[level]({ module: "store", ...fields }, message) });
    // Lines marked `notice` (the chain went back and work is re-sent) also go to the console.
    const log = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => {
      logger[level]({ module: "pipeline", ...fields }, message);
      if (fields?.notice) notify(message);
    };
    const supervisor = devChain?.supervisor;
    const chainMonitor = new ChainMonitor({
      client,
      chainId,
      registry,
      deployHint: deployHint(supervisor !== undefined, chainId, rpcUrl),
      log: (level, message, fields) => log(level, message, { ...fields, module: "chain" }),
      ...(supervisor ? { failure: () => supervisor.failure } : {}),
      onMayHaveRewound: () => running.pipeline.recheckChain(),
    });
    monitor = chainMonitor;
    const confirmations = config.confirmations ?? (chainId === DEV_CHAIN_ID ? 0 : 3);
    const registryBlocks = deployBlocks(deploymentsDir, chainId);
    const running = await createIssuerService({
      store,
      client,
      chainId,
      registry,
      signers,
      deployBlocks: registryBlocks,
      batch: { maxSize: config.batchMaxSize, maxWaitMs: config.batchMaxWaitSeconds * 1000 },
      confirmations,
      bumpAfterMs: config.bumpAfterSeconds * 1000,
      statusGasBudget: config.statusGasBudget,
      maxPerRequest: config.maxCredentialsPerRequest,
      pollMs: config.pollMs,
      prepareThreadsAtStart: true,
      chainCheck: () => chainMonitor.check(),
      secret: loadServerSecret(dataDir, config.serverSecret),
      idempotencyWindowMs: config.idempotencyWindowHours * 3600_000,
      ...(config.registryUpgradeFrom ? { upgradeFrom: config.registryUpgradeFrom as Address } : {}),
      log,
    });
    let assertionKeys: Awaited<ReturnType<typeof loadAssertionKeys>>;
    try {
      assertionKeys = await readyAssertionKeys(config, dataDir, client, rpcUrl, registry, running.issuers, demoIssuerId);
    } catch (error) {
      await running.close();
      throw error;
    }
    afterChainRestart = () => {
      void chainMonitor.probe();
      running.pipeline.recheckChain();
    };
    for (const [issuerId, hook] of Object.entries(config.webhooks)) {
      await store.issuers.setWebhook(Number(issuerId), hook.url, hook.secret ?? null);
    }

    // Keys: an operator key if none exists (shown once); on the local chain, remembered demo keys.
    let demo: RunningServer["demo"];
    let newAdminKey: string | undefined;
    const hasAdmin = await store.apiKeys.hasActiveAdmin(Date.now());
    if (demoIssuerId !== undefined) {
      const file = join(dataDir, DEMO_KEYS_FILE);
      const keys = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { issuerId: number; issuerApiKey?: string; adminApiKey?: string; assertionKey?: string }) : undefined;
      // The file may hold only the assertion key (written first, by loadAssertionKeys).
      const hasApiKeys = (k: typeof keys): k is { issuerId: number; issuerApiKey: string; adminApiKey: string } => typeof k?.issuerApiKey === "string" && typeof k.adminApiKey === "string";
      if (hasApiKeys(keys) && keys.issuerId === demoIssuerId) {
        // Keep the demo keys a user may have copied, also across a reset of the local chain.
        await importApiKey(store.apiKeys, demoIssuerId, keys.issuerApiKey, "demo issuer");
        await importApiKey(store.apiKeys, null, keys.adminApiKey, "demo operator");
      }
      const usable = hasApiKeys(keys) && keys.issuerId === demoIssuerId && (await running.service.authenticate(keys.issuerApiKey)) && (await running.service.authenticate(keys.adminApiKey));
      let ready = usable ? keys : undefined;
      if (!ready) {
        const assertionKey = keys?.issuerId === demoIssuerId ? keys.assertionKey : undefined;
        ready = { issuerId: demoIssuerId, issuerApiKey: (await createApiKey(store.apiKeys, demoIssuerId, "demo issuer")).token, adminApiKey: (await createApiKey(store.apiKeys, null, "demo operator")).token };
        writeFileSync(file, JSON.stringify({ ...ready, ...(assertionKey ? { assertionKey } : {}) }, null, 2) + "\n", { mode: 0o600 });
        chmodSync(file, 0o600);
      }
      demo = { issuerId: ready.issuerId, issuerApiKey: ready.issuerApiKey, adminApiKey: ready.adminApiKey, chainStarted: devChain?.node !== undefined };
    } else if (!hasAdmin) {
      newAdminKey = (await createApiKey(store.apiKeys, null, "first operator key")).token;
    }

    const openStore = store;
    const metrics = new Metrics({
      chain: {
        balances: () => Promise.all(signers.map(async ({ address }) => ({ signer: address, wei: await client.getBalance({ address }) }))),
        head: () => client.getBlockNumber({ cacheTime: 0 }),
        lastProcessed: () => chainMonitor.head(),
        oldestOpenTxAt: () => openStore.stats.oldestOpenTxAt(),
      },
    });
    let publicBaseUrl = config.publicUrl ?? (config.port === 0 ? undefined : `${scheme}://${config.host}:${config.port}`);
    const verify = { trust: loadTrustList({ dir: deploymentsDir }), rpc: { [chainId]: rpcUrl } };
    const app = createApp({
      service: running.service,
      metrics,
      verify,
      // Verification runs on threads of its own and keeps the anchoring transactions the service itself treats as final.
      verifyThreads: { confirmations, maxQueued: config.verifyMaxQueued, ...(config.verifyPort !== undefined ? { listen: { host: config.host, port: config.verifyPort, ...(tls ? { tls } : {}) } } : {}) },
      logger,
      routers: [webRoutes({ deploymentsDir, rpcUrls: pageRpcUrls(chainId, rpcUrl, config.publicRpcUrl) })],
      limits: { verifyRate: { perMinute: config.verifyRatePerMinute, burst: config.verifyRateBurst }, verifyMaxBundles: config.verifyMaxBundles },
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      // The base URL is known once listening (port 0 picks one): read it lazily.
      vc: createVcApiContext({ client, chainId, registry, keys: assertionKeys, publicBaseUrl: () => publicBaseUrl! }),
      // The address book's deployment block bounds the key-event scan of did:web documents.
      didWeb: createDidWebSource({ client, registry, fromBlock: BigInt(registryBlocks.get(registry.toLowerCase()) ?? 0), servedIssuers: () => running.issuers.keys(), publicBaseUrl: () => publicBaseUrl! }),
      statusLists: statusListPublisherFor({ client, chainId, registry, issuers: store.issuers, keys: assertionKeys, baseUrl: () => publicBaseUrl! }),
    });
    await chainMonitor.start();
    // The verification port first: a start that fails leaves neither port open.
    const stopVerifying = async (error: unknown) => {
      await verifyListenerOf(app)?.close();
      throw error;
    };
    const verifyPort = await verifyListenerOf(app)?.listening().catch(stopVerifying);
    const server = await listenApi(app, { host: config.host, port: config.port, ...(tls ? { tls } : {}) }).catch(stopVerifying);
    publicBaseUrl ??= `${scheme}://${config.host}:${(server.address() as { port: number }).port}`;
    const address = server.address() as { port: number };
    // With PostgreSQL, every replica accepts and serves; only the elected leader of its signers anchors.
    let pipelineTurn = Promise.resolve();
    const leader: LeaderElection | undefined = config.databaseUrl
      ? startAnchoringLeader({
          connectionString: config.databaseUrl,
          chainId,
          signers: signers.map((s) => s.address),
          log: (level, message, fields) => logger[level]({ module: "leader", ...fields }, message),
          onChange: (leading) => (pipelineTurn = pipelineTurn.then(() => (leading ? running.pipeline.start() : running.pipeline.stop()))),
        })
      : undefined;
    if (!leader) running.pipeline.start();
    logger.info({ module: "server", host: config.host, port: address.port, ...(verifyPort !== undefined ? { verifyPort } : {}), chainId, registry, issuers: [...running.issuers.keys()] }, "credanchor started");

    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeIdleConnections?.();
        });
        await verifyListenerOf(app)?.close();
        chainMonitor.stop();
        await leader?.stop();
        await pipelineTurn;
        await running.pipeline.stop();
        await running.close();
        await openStore.close();
        await devChain?.stop();
        logger.info({ module: "server" }, "credanchor stopped");
      })());
    return {
      ...running,
      config,
      url: `${scheme}://${config.host}:${address.port}`,
      ...(verifyPort !== undefined ? { verifyUrl: `${scheme}://${config.host}:${verifyPort}` } : {}),
      rpcUrl,
      chainId,
      registry,
      store,
      logger,
      chainMonitor,
      ...(demo ? { demo } : {}),
      ...(newAdminKey ? { newAdminKey } : {}),
      ...(resetNotice ? { resetNotice } : {}),
      stop,
    };
  } catch (error) {
    monitor?.stop();
    await store?.close();
    await devChain?.stop();
    throw error;
  }
}
