// The service's settings: defaults < config file < environment < command-line flags, checked
// once at start with messages that name the setting. Secrets are read here and never echoed.
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { ServiceError } from "./core/errors.ts";

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** The shortest webhook secret accepted (characters): a guessable secret lets anyone forge webhooks. */
export const WEBHOOK_SECRET_MIN_LENGTH = 16;
const url = z.string().url().refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL");

export const ConfigSchema = z
  .object({
    /** Address the HTTP server listens on. */
    host: z.string().min(1).default("127.0.0.1"),
    port: intIn(0, 65_535).default(8080),
    /** Directory of the SQLite file (credanchor.db) and, on the local chain, the demo keys. */
    dataDir: z.string().min(1).default("./data"),
    /**
     * PostgreSQL instead of the SQLite file (`postgres://user:password@host:5432/db`): several
     * replicas share it, one of them anchoring per signer. Needs `serverSecret` (one for all replicas).
     */
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
    /** JSON-RPC endpoint; absent: the local chain on 127.0.0.1:`chainPort` (Anvil, started by `npm start`). */
    rpcUrl: url.optional(),
    chainPort: intIn(1, 65_535).default(8545),
    /**
     * The RPC URL the verifier page is told to use (served to anyone in /verify-config.json), kept
     * apart from `rpcUrl`, which may carry a provider's API key. Absent: the page gets the
     * service's RPC only when it is a bare loopback URL (the local chain), else none (it asks its user).
     */
    publicRpcUrl: url.optional(),
    /**
     * The URL clients reach the service at (https://issuer.example): credential ids, status list
     * URLs, and the /verify link of printed certificates' QR codes; absent: `http://<host>:<port>`.
     */
    publicUrl: url.transform((u) => u.replace(/\/+$/, "")).optional(),
    /**
     * PEM certificate (chain) and private key files: the service serves HTTPS itself. Both or
     * neither; absent: plain HTTP (behind a TLS-terminating proxy, set `publicUrl` to its https URL).
     */
    tlsCertFile: z.string().min(1).optional(),
    tlsKeyFile: z.string().min(1).optional(),
    /** Expected chain id (checked against the endpoint); absent: whatever the endpoint serves. */
    chainId: intIn(1, Number.MAX_SAFE_INTEGER).optional(),
    /** CredentialRegistry address; absent: the newest deployment in deployments/*.json for the chain. */
    registryAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be 0x followed by 40 hex digits").optional(),
    /**
     * Registry upgrade: the registry the database was bound to. At start, a database bound to it
     * moves to `registryAddress` (new batches there; earlier ones keep theirs). docs/operations.md.
     */
    registryUpgradeFrom: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be 0x followed by 40 hex digits").optional(),
    /** Extra address-book directory (default: the package's deployments/). */
    deploymentsDir: z.string().optional(),
    /** Signer private keys, one per issuer served (0x + 64 hex), comma-separated in the environment. */
    signerKeys: z.array(z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a signer key must be 0x followed by 64 hex digits")).default([]),
    /** An encrypted JSON keystore (Web3 secret storage) holding a signer key, and its password. */
    signerKeystore: z.string().optional(),
    signerKeystorePassword: z.string().optional(),
    /** Batching: a batch closes at `batchMaxSize` credentials or after `batchMaxWaitSeconds`. */
    batchMaxSize: intIn(1, 1_000_000).default(100_000),
    batchMaxWaitSeconds: z.coerce.number().min(0).max(86_400).default(5),
    /** Blocks to wait after the anchoring block; default 0 on the local chain, 3 elsewhere. */
    confirmations: intIn(0, 1_000).optional(),
    /** Replace a transaction not mined after this many seconds with higher fees. */
    bumpAfterSeconds: z.coerce.number().min(1).max(86_400).default(60),
    pollMs: intIn(10, 60_000).default(250),
    /** Most gas one status-change transaction may need: a bulk change becomes several transactions under it. */
    statusGasBudget: intIn(200_000, 1_000_000_000).default(10_000_000),
    /** Most credentials in one POST /v1/credentials. */
    maxCredentialsPerRequest: intIn(1, 10_000).default(10_000),
    /** POST /v1/verify and GET /v1/share/{token} (one bucket) per client: `verifyRateBurst` requests at once, refilled at `verifyRatePerMinute` (0: no limit). */
    verifyRatePerMinute: intIn(0, 1_000_000).default(60),
    verifyRateBurst: intIn(1, 1_000_000).default(60),
    /** Most bundles in one POST /v1/verify. */
    verifyMaxBundles: intIn(1, 1000).default(1000),
    /** Most bundles POST /v1/verify holds at once (hashing or reading the chain); beyond, 503 OVERLOADED with Retry-After. */
    verifyMaxQueued: intIn(1, 1_000_000).default(2000),
    /** A port of its own for POST /v1/verify, served by the verification threads alone (route /v1/verify there at the load balancer); absent: none. */
    verifyPort: intIn(0, 65_535).optional(),
    /**
     * Server secret (64 hex digits) keying the Idempotency-Key MACs; absent: generated once into
     * `<dataDir>/server-secret` (mode 0600). Set it to keep it out of the data directory's backups.
     */
    serverSecret: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be 64 hex digits").optional(),
    /** How long an Idempotency-Key is remembered (its row is purged after). */
    idempotencyWindowHours: z.coerce.number().min(0.01).max(24 * 30).default(24),
    /** Ed25519 assertion key secret per issuer id (`ASSERTION_KEY_<issuerId>`, the format importAssertionKey takes): signs VC 2.0 credentials. */
    assertionKeys: z.record(z.string().regex(/^[1-9]\d*$/), z.string().min(1)).default({}),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Webhook per issuer id: called when a batch is confirmed; signed with HMAC-SHA256 when a secret is set. */
    webhooks: z.record(z.string().regex(/^\d+$/), z.object({ url, secret: z.string().min(WEBHOOK_SECRET_MIN_LENGTH).optional() }).strict()).default({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

/** Environment variable → setting. */
const ENV: Record<string, keyof Config> = {
  HOST: "host",
  PORT: "port",
  DATA_DIR: "dataDir",
  DATABASE_URL: "databaseUrl",
  RPC_URL: "rpcUrl",
  CHAIN_PORT: "chainPort",
  PUBLIC_RPC_URL: "publicRpcUrl",
  PUBLIC_URL: "publicUrl",
  TLS_CERT_FILE: "tlsCertFile",
  TLS_KEY_FILE: "tlsKeyFile",
  CHAIN_ID: "chainId",
  REGISTRY_ADDRESS: "registryAddress",
  REGISTRY_UPGRADE_FROM: "registryUpgradeFrom",
  DEPLOYMENTS_DIR: "deploymentsDir",
  SIGNER_PRIVATE_KEYS: "signerKeys",
  SIGNER_KEYSTORE: "signerKeystore",
  SIGNER_KEYSTORE_PASSWORD: "signerKeystorePassword",
  BATCH_MAX_SIZE: "batchMaxSize",
  BATCH_MAX_WAIT_SECONDS: "batchMaxWaitSeconds",
  CONFIRMATIONS: "confirmations",
  BUMP_AFTER_SECONDS: "bumpAfterSeconds",
  POLL_MS: "pollMs",
  STATUS_GAS_BUDGET: "statusGasBudget",
  MAX_CREDENTIALS_PER_REQUEST: "maxCredentialsPerRequest",
  VERIFY_RATE_PER_MINUTE: "verifyRatePerMinute",
  VERIFY_RATE_BURST: "verifyRateBurst",
  VERIFY_MAX_BUNDLES: "verifyMaxBundles",
  VERIFY_MAX_QUEUED: "verifyMaxQueued",
  VERIFY_PORT: "verifyPort",
  LOG_LEVEL: "logLevel",
  SERVER_SECRET: "serverSecret",
  IDEMPOTENCY_WINDOW_HOURS: "idempotencyWindowHours",
};

/** Settings whose values never appear in messages. */
const SECRET: ReadonlySet<string> = new Set(["databaseUrl", "signerKeys", "signerKeystorePassword", "webhooks", "serverSecret", "assertionKeys"]);

/** The secret settings a config file's contents hold (a webhook only when it has a `secret`). */
function secretsIn(contents: Record<string, unknown>): string[] {
  return Object.keys(contents).filter((key) => {
    if (!SECRET.has(key)) return false;
    if (key !== "webhooks") return true;
    const hooks = contents.webhooks;
    return typeof hooks === "object" && hooks !== null && Object.values(hooks).some((h) => typeof h === "object" && h !== null && "secret" in h);
  });
}

/**
 * A config file may hold secrets only when no one but its owner can read it (mode 0600 or
 * 0400), as ssh treats its keys: a shared or copied config file must not leak them.
 */
function refuseSharedSecrets(file: string, contents: Record<string, unknown>): void {
  const secrets = secretsIn(contents);
  if (secrets.length === 0) return;
  const mode = statSync(resolve(file)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  throw new ServiceError(
    `the config file ${file} holds secrets (${secrets.join(", ")}) but others may read it (mode 0${mode.toString(8)}): chmod 600 it, or set them in the environment`,
    { code: "CONFIG_INVALID" },
  );
}

/** The environment variable of a setting, for messages. */
export const envNameOf = (key: string): string | undefined => Object.entries(ENV).find(([, k]) => k === key)?.[0];

/**
 * Builds the configuration from a config file (`CREDANCHOR_CONFIG` or `flags.config`), the
 * environment and flags (camelCase setting names), and validates it.
 *
 * @throws ServiceError `CONFIG_INVALID` naming every bad setting and where it came from.
 *
 * @example
 * const config = loadConfig(process.env, { port: "9090" });
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: Record<string, unknown> = {}): Config {
  const raw: Record<string, unknown> = {};
  const file = (flags.config as string | undefined) ?? env.CREDANCHOR_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(resolve(file), "utf8");
    } catch (error) {
      throw new ServiceError(`cannot read the config file ${file}: ${(error as Error).message}`, { code: "CONFIG_INVALID" });
    }
    try {
      Object.assign(raw, JSON.parse(text));
    } catch (error) {
      throw new ServiceError(`the config file ${file} is not valid JSON: ${(error as Error).message}`, { code: "CONFIG_INVALID" });
    }
    refuseSharedSecrets(file, raw);
  }
  for (const [name, key] of Object.entries(ENV)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    raw[key] = key === "signerKeys" ? value.split(",").map((k) => k.trim()).filter(Boolean) : value;
  }
  for (const [name, value] of Object.entries(env)) {
    const match = /^WEBHOOK_URL_(\d+)$/.exec(name);
    if (!match || !value) continue;
    const webhooks = (raw.webhooks ??= {}) as Record<string, { url: string; secret?: string }>;
    webhooks[match[1]!] = { url: value, ...(env[`WEBHOOK_SECRET_${match[1]}`] ? { secret: env[`WEBHOOK_SECRET_${match[1]}`]! } : {}) };
  }
  for (const [name, value] of Object.entries(env)) {
    const match = /^ASSERTION_KEY_(\d+)$/.exec(name);
    if (match && value) ((raw.assertionKeys ??= {}) as Record<string, string>)[match[1]!] = value;
  }
  for (const [key, value] of Object.entries(flags)) if (key !== "config" && value !== undefined) raw[key] = value;

  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "");
      const env = envNameOf(key);
      const where = env ? `${key} (${env})` : key || "(config)";
      const message = SECRET.has(key) ? issue.message.replace(/"[^"]*"/g, '"…"') : issue.message;
      return { path: where, message };
    });
    throw new ServiceError("the configuration is invalid", { code: "CONFIG_INVALID", details });
  }
  if ((parsed.data.tlsCertFile === undefined) !== (parsed.data.tlsKeyFile === undefined)) {
    throw new ServiceError("TLS_CERT_FILE and TLS_KEY_FILE go together: set both to serve HTTPS, or neither", { code: "CONFIG_INVALID" });
  }
  if (parsed.data.signerKeystore && !parsed.data.signerKeystorePassword) {
    throw new ServiceError("SIGNER_KEYSTORE is set but SIGNER_KEYSTORE_PASSWORD is not", { code: "CONFIG_INVALID" });
  }
  if (parsed.data.databaseUrl && !parsed.data.serverSecret) {
    // Replicas sharing the database must key their MACs (Idempotency-Keys, credential ids) alike:
    // none may generate a secret of its own.
    throw new ServiceError("DATABASE_URL is set but SERVER_SECRET is not (the same 64 hex digits on every replica)", { code: "CONFIG_INVALID" });
  }
  return Object.freeze(parsed.data);
}
