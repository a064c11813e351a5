// The issuer service over SQLite and the chain: accept credentials durably, batch and anchor them,
// change statuses on-chain, erase on request. Surfaces (HTTP, CLI) call it through IssuerService.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { encodeFunctionData, formatEther, type Address, type Hex, type LocalAccount, type PublicClient } from "viem";
import { createBundle, type Bundle } from "../core/bundle.ts";
import { canonicalize } from "../core/canonical.ts";
import { credentialIssues } from "../core/credential.ts";
import { bytesToHex } from "../core/encoding.ts";
import { CredanchorError, ServiceError, ValidationError, type ErrorDetail } from "../core/errors.ts";
import type { JsonObject } from "../core/json.ts";
import { buildCredentialTree } from "../core/merkle.ts";
import { credentialRegistryAbi } from "../chain/abi.ts";
import { readIssuerIdentity } from "../chain/issuer-identity.ts";
import { findSignedCredentials, insertSignedCredential } from "../store/signed-credentials.ts";
import { readStatusWords } from "../chain/read-registry.ts";
import { TxSender, describeChainError, type ChainTxRow, type TxHooks } from "../chain/sender.ts";
import { getApiKeyRow } from "../store/api-keys.ts";
import { credentialContent, queuedCredentialsAfter, reindexQueuedCredential, type QueuedCredential } from "../store/credentials.ts";
import { checkpointAndTruncateWal, getMeta, setMeta, storageError, type Db } from "../store/db.ts";
import { findIdempotency, forgetErasedSubmission, purgeIdempotency, saveIdempotency, type IdempotencyScope } from "../store/idempotency.ts";
import { getListSize, setListSize, takenStatusIndices, upsertIssuer } from "../store/issuers.ts";
import { batchCredentials, closedTxCounts, statusChangeTxs } from "../store/outbox.ts";
import { apiKeyView, authenticateApiKey, createApiKey, listApiKeys, revokeApiKey } from "./api-keys.ts";
import { issuerClaimIssues, withIssuer } from "./issuer-claim.ts";
import { loadServerSecret } from "./server-secret.ts";
import { acceptedInOrder, credentialIdMac, planSubmission } from "./dedupe.ts";
import { knownCredentialIds, rememberCredentialId } from "../store/credential-ids.ts";
import { BatchPipeline } from "./pipeline.ts";
import { crashPoint } from "./crash-points.ts";
import { newCredentialId } from "./ids.ts";
import { PreparePool } from "./prepare-pool.ts";
import { StatusIndexAllocator } from "./status-index.ts";
import { statusCalls, statusIndicesOfCall } from "./status-parts.ts";
import { assertBatchRevocable, assertStatusChangePossible } from "./status-conflicts.ts";
import type {
  AcceptedCredential,
  ApiKeyView,
  CreateApiKeyRequest,
  BatchState,
  BatchView,
  ChainTxView,
  CredentialState,
  CredentialView,
  IssuerService,
  Principal,
  Readiness,
  ServiceStats,
  StatusAction,
  StatusChangeRequest,
  StatusChangeState,
  StatusChangeView,
  SubmitRequest,
  SubmitResult,
  Tombstone,
} from "./types.ts";

export type ServiceLogger = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

export type IssuerServiceOptions = {
  db: Db;
  client: PublicClient;
  chainId: number;
  registry: Address;
  /** One signer key per issuer served; each must be a valid key of its issuer on-chain. */
  signers: readonly LocalAccount[];
  batch?: { maxSize?: number; maxWaitMs?: number };
  confirmations?: number;
  /** The chain's health as last probed (the server's chain monitor); absent: ask the chain on each readiness call. */
  chainCheck?: () => { ok: boolean; message: string };
  bumpAfterMs?: number;
  /** Most gas one status-change transaction may need (default 10M): bulk changes are split under it. */
  statusGasBudget?: number;
  /** Initial status list size per issuer (it doubles when half full). */
  statusListSize?: number;
  /** Most credentials per submission. */
  maxPerRequest?: number;
  /** Idle pause between pipeline rounds. */
  pollMs?: number;
  /** Worker threads that salt and hash accepted credentials (default: up to 4, one per core; 0: on the main thread). */
  prepareThreads?: number;
  log?: ServiceLogger;
  now?: () => number;
  /** Keys the Idempotency-Key MACs (32 bytes); default: `server-secret` beside the database file (created 0600). */
  secret?: Buffer;
  /** How long an Idempotency-Key is remembered (default 24 h); older rows are purged. */
  idempotencyWindowMs?: number;
};

export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;
const DEFAULT_LIST_SIZE = 131_072;

const MAX_DETAILS = 100;
/** `IIssuerRegistryV2.KeyRole.Signer`: the only keys that anchor and change statuses (v2 admin keys are cold). */
const SIGNER_ROLE = 2;

const iso = (ms: number | null | undefined) => (ms == null ? undefined : new Date(ms).toISOString());

function credentialState(batchState: BatchState | null): CredentialState {
  switch (batchState) {
    case null:
      return "queued";
    case "built":
      return "batched";
    case "sending":
      return "anchoring";
    case "mined":
      return "anchored";
    case "confirmed":
      return "confirmed";
    case "failed":
      return "failed";
  }
}

type CredentialRow = {
  seq: number;
  id: string;
  issuer_id: number;
  status_index: number;
  content: string | null;
  salts: Buffer | null;
  digest: Buffer;
  leaf: Buffer;
  valid_from: number;
  valid_until: number;
  created_at: number;
  batch_id: number | null;
  leaf_index: number | null;
  proof: Buffer | null;
  revoked: number;
  suspended: number;
  erased_at: number | null;
};

type BatchRow = {
  id: number;
  issuer_id: number;
  root: Buffer;
  size: number;
  state: BatchState;
  tx_id: number | null;
  root_revoked: number;
  created_at: number;
  mined_at: number | null;
  confirmed_at: number | null;
  failed_at: number | null;
  error: string | null;
  rebuilds: number;
};

/** A batch's state as surfaces see it: a failed anchor shows as `failed` whatever step it stopped at. */
const batchState = (batch: BatchRow): BatchState => (batch.failed_at !== null ? "failed" : batch.state);

type StatusChangeRow = {
  id: number;
  issuer_id: number;
  action: StatusAction;
  reason: number;
  indices: string;
  batch_id: number | null;
  state: StatusChangeState;
  tx_id: number | null;
  error: string | null;
  created_at: number;
};

/** Indices in [from, to) whose revocation or suspension bit is set on-chain in an issuer's lists. */
async function setStatusBits(client: PublicClient, registry: Address, issuerId: number, from: number, to: number): Promise<number[]> {
  const taken: number[] = [];
  const words = Math.ceil(to / 256);
  for (let first = Math.floor(from / 256); first < words; first += 2048) {
    const count = Math.min(2048, words - first);
    const { revoked, suspended } = await readStatusWords(client, registry, BigInt(issuerId), BigInt(first), BigInt(count));
    for (let w = 0; w < count; w++) {
      const bits = revoked[w]! | suspended[w]!;
      if (bits === 0n) continue;
      for (let b = 0; b < 256; b++) {
        const index = (first + w) * 256 + b;
        if ((bits >> BigInt(b)) & 1n && index >= from && index < to) taken.push(index);
      }
    }
  }
  return taken;
}

/** The smallest `initial · 2^k` above every index already given out (databases from before the size was kept). */
function listSizeCovering(size: number, taken: readonly number[]): number {
  const highest = taken.reduce((a, b) => Math.max(a, b), -1);
  while (highest >= size) size *= 2;
  return size;
}

/** The hash of block 1: tells a reset development chain (same id, same addresses) from the one a database saw. */
export async function chainFingerprint(client: PublicClient): Promise<string | undefined> {
  try {
    return (await client.getBlock({ blockNumber: 1n })).hash ?? undefined;
  } catch {
    return undefined;
  }
}

const randomSecret = () => randomBytes(32);

/** What `createIssuerService` read and built for the service object. */
type ServiceParts = {
  issuers: ReadonlyMap<number, LocalAccount>;
  /** Each issuer's organisational identity, as the chain says (readIssuerIdentity). */
  identities: ReadonlyMap<number, string>;
  allocators: Map<number, StatusIndexAllocator>;
  pool: PreparePool;
  secret: Buffer;
};

/** Where a running service is: what `createIssuerService` returns. */
export type RunningIssuerService = {
  service: IssuerService;
  pipeline: BatchPipeline;
  /** Issuer id per signer address served. */
  issuers: ReadonlyMap<number, LocalAccount>;
  /** Stops the worker threads (after the pipeline is stopped). */
  close(): Promise<void>;
};

/**
 * Opens the issuer service: checks the chain (chain id, registry code, each signer key valid for
 * its issuer), records the issuers served, and prepares the pipeline (start it with
 * `pipeline.start()`).
 *
 * @throws ServiceError `CONFIG_INVALID` or `CHAIN_UNAVAILABLE` with a message naming the setting.
 *
 * @example
 * const { service, pipeline } = await createIssuerService({ db, client, chainId: 31337, registry, signers: [account] });
 * pipeline.start();
 */
export async function createIssuerService(options: IssuerServiceOptions): Promise<RunningIssuerService> {
  const { db, client, chainId, registry } = options;
  const now = options.now ?? Date.now;
  let actualChainId: number;
  try {
    actualChainId = await client.getChainId();
  } catch (error) {
    throw new ServiceError(`the chain's JSON-RPC endpoint does not answer: ${describeChainError(error)}`, { code: "CHAIN_UNAVAILABLE", cause: error });
  }
  if (actualChainId !== chainId) {
    throw new ServiceError(`the RPC endpoint serves chain ${actualChainId}, but the configuration says chain ${chainId}`, { code: "CONFIG_INVALID" });
  }
  const code = await client.getCode({ address: registry });
  if (!code || code === "0x") {
    throw new ServiceError(`no contract code at the registry address ${registry} on chain ${chainId}: deploy it (npm start does on the local chain; elsewhere npx hardhat run --network <name> scripts/deploy.ts) or fix REGISTRY_ADDRESS`, {
      code: "CONFIG_INVALID",
    });
  }
  const boundChain = getMeta(db, "chainId");
  const boundRegistry = getMeta(db, "registry");
  if ((boundChain && Number(boundChain) !== chainId) || (boundRegistry && boundRegistry.toLowerCase() !== registry.toLowerCase())) {
    throw new ServiceError(
      `this database belongs to registry ${boundRegistry} on chain ${boundChain}, not ${registry} on chain ${chainId}: use another data directory`,
      { code: "CONFIG_INVALID" },
    );
  }
  const fingerprint = await chainFingerprint(client);
  const boundFingerprint = getMeta(db, "chainFingerprint");
  if (boundFingerprint && fingerprint && boundFingerprint !== fingerprint) {
    throw new ServiceError(
      `the chain was reset: its block 1 is not the one this database saw, so the anchors recorded here are gone; move the data directory away or use another DATA_DIR`,
      { code: "CONFIG_INVALID", details: [{ path: "chain", message: "CHAIN_RESET" }] },
    );
  }
  setMeta(db, "chainId", String(chainId));
  setMeta(db, "registry", registry);
  if (fingerprint) setMeta(db, "chainFingerprint", fingerprint);

  const issuers = new Map<number, LocalAccount>();
  for (const account of options.signers) {
    const key = await client.readContract({ address: registry, abi: credentialRegistryAbi, functionName: "getSignerKey", args: [account.address] });
    const issuerId = Number(key.issuerId);
    const never = 2 ** 40 - 1;
    if (issuerId === 0) {
      throw new ServiceError(`signer ${account.address} is not a key of any issuer in registry ${registry}: have the issuer's admin add it (addSignerKey)`, {
        code: "CONFIG_INVALID",
      });
    }
    if (key.role !== SIGNER_ROLE) {
      throw new ServiceError(`${account.address} is the admin key of issuer ${issuerId}, not a signer key: keep the admin key cold and configure a signer key it added (addSignerKey)`, { code: "CONFIG_INVALID" });
    }
    if (key.retiredAt !== never || key.compromisedFrom !== never) {
      throw new ServiceError(`signer ${account.address} of issuer ${issuerId} is retired or marked compromised: configure a current key`, { code: "CONFIG_INVALID" });
    }
    if (issuers.has(issuerId)) throw new ServiceError(`two signer keys are configured for issuer ${issuerId}: keep one`, { code: "CONFIG_INVALID" });
    issuers.set(issuerId, account);
    upsertIssuer(db, { id: issuerId, signer: account.address.toLowerCase(), listSize: options.statusListSize ?? DEFAULT_LIST_SIZE, at: now() });
  }

  // Every credential must name its issuer's on-chain identity (set by the accreditor), so read them once.
  const identities = new Map<number, string>();
  for (const issuerId of issuers.keys()) {
    const identity = await readIssuerIdentity(client, registry, issuerId);
    if (!identity) throw new ServiceError(`issuer ${issuerId} has no identity (DID or URL) on-chain: the accreditor must set it`, { code: "CONFIG_INVALID" });
    identities.set(issuerId, identity);
  }

  // Status bits already set on-chain (a database restored from an old backup, statuses changed
  // outside this service) must never be handed to a new credential: read the issuers' whole lists
  // once, up to the size kept in the database (each later growth checks its new range).
  const allocators = new Map<number, StatusIndexAllocator>();
  for (const issuerId of issuers.keys()) {
    const taken = takenStatusIndices(db, issuerId);
    const listSize = listSizeCovering(getListSize(db, issuerId), taken);
    setListSize(db, issuerId, listSize);
    const onChain = await setStatusBits(client, registry, issuerId, 0, listSize);
    allocators.set(issuerId, new StatusIndexAllocator(listSize, [...taken, ...onChain]));
  }

  const senders = new Map<number, TxSender>();
  const pool = new PreparePool(options.prepareThreads === undefined ? {} : { threads: options.prepareThreads });
  const secret = options.secret ?? (db.name === ":memory:" || db.memory ? randomSecret() : loadServerSecret(dirname(db.name)));
  const service = new SqliteIssuerService(options, { issuers, identities, allocators, pool, secret });
  service.purgeIdempotency();
  for (const [issuerId, account] of issuers) {
    senders.set(
      issuerId,
      new TxSender({
        db,
        client,
        account,
        chainId,
        registry,
        confirmations: options.confirmations ?? 0,
        bumpAfterMs: options.bumpAfterMs ?? 60_000,
        hooks: service.hooks,
        now,
        ...(options.log ? { log: options.log } : {}),
      }),
    );
  }
  const pipeline = new BatchPipeline({
    db,
    senders: [...senders.values()],
    maxSize: options.batch?.maxSize ?? 100_000,
    maxWaitMs: options.batch?.maxWaitMs ?? 5_000,
    buildBatch: (issuerId, maxSize) => service.buildBatch(issuerId, maxSize),
    beforeBuild: () => service.recheckQueuedIndices(),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.log ? { log: options.log } : {}),
    now,
  });
  service.onAccepted = (issuerId, count) => pipeline.accepted(issuerId, count);
  return { service, pipeline, issuers, close: () => pool.close() };
}

class SqliteIssuerService implements IssuerService {
  readonly #o: IssuerServiceOptions;
  readonly #db: Db;
  readonly #issuers: ReadonlyMap<number, LocalAccount>;
  readonly #identities: ReadonlyMap<number, string>;
  readonly #allocators: Map<number, StatusIndexAllocator>;
  /** A status list growing (its new range being read on-chain), per issuer: growths never overlap. */
  readonly #growing = new Map<number, Promise<void>>();
  /** Per issuer: the last queued credential whose status index was re-checked on-chain. */
  readonly #recheckedUpTo = new Map<number, number>();
  readonly #now: () => number;
  readonly #latencies: number[] = [];
  readonly #pool: PreparePool;
  readonly #secret: Buffer;
  readonly #window: number;
  #purgedAt = 0;
  readonly hooks: TxHooks;
  /** Called after credentials are stored (the pipeline wakes up to check for a full batch). */
  onAccepted: ((issuerId: number, count: number) => void) | undefined;

  constructor(options: IssuerServiceOptions, parts: ServiceParts) {
    this.#o = options;
    this.#pool = parts.pool;
    this.#db = options.db;
    this.#issuers = parts.issuers;
    this.#identities = parts.identities;
    this.#allocators = parts.allocators;
    this.#secret = parts.secret;
    this.#window = options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
    this.#now = options.now ?? Date.now;
    this.hooks = this.#makeHooks();
  }

  // ── auth and keys ─────────────────────────────────────────────────────────────────────────

  authenticate(token: string): Principal | undefined {
    return authenticateApiKey(this.#db, token, this.#now());
  }

  /** Whether `principal` may see `issuerId`'s data: its own issuer, or an operator key whose scope includes it. */
  #mayAct(principal: Principal, issuerId: number): boolean {
    return principal.kind === "issuer" ? principal.issuerId === issuerId : principal.issuers === undefined || principal.issuers.includes(issuerId);
  }

  #operator(principal: Principal, what: string): asserts principal is Extract<Principal, { kind: "admin" }> {
    if (principal.kind !== "admin") throw new ServiceError(`only the operator's key can ${what}`, { code: "FORBIDDEN" });
  }

  createApiKey(principal: Principal, issuerId: number, request: CreateApiKeyRequest = {}): { keyId: string; token: string; expiresAt?: string } {
    this.#operator(principal, "create API keys");
    // An issuer outside the operator key's scope is answered like one not served here: no hint it exists.
    if (!this.#issuers.has(issuerId) || !this.#mayAct(principal, issuerId)) {
      throw new ServiceError(`issuer ${issuerId} is not served here for this key`, { code: "NOT_FOUND" });
    }
    const expiresAt = request.expiresAt === undefined ? undefined : Date.parse(request.expiresAt);
    if (expiresAt !== undefined && !(expiresAt > this.#now())) {
      throw new ServiceError("expiresAt must be a date-time in the future", { code: "REQUEST_INVALID", details: [{ path: "expiresAt", message: String(request.expiresAt) }] });
    }
    const created = this.#write(() =>
      createApiKey(this.#db, issuerId, { now: this.#now(), ...(request.label !== undefined ? { label: request.label } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}) }),
    );
    return expiresAt === undefined ? created : { ...created, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Whether an operator key may see key `view`: keys of issuers in its scope; operator keys only if unlimited. */
  #keyVisible(principal: Extract<Principal, { kind: "admin" }>, view: ApiKeyView): boolean {
    return view.issuerId === undefined ? principal.issuers === undefined : this.#mayAct(principal, view.issuerId);
  }

  listApiKeys(principal: Principal): ApiKeyView[] {
    this.#operator(principal, "list API keys");
    return listApiKeys(this.#db, this.#now()).filter((view) => this.#keyVisible(principal, view));
  }

  revokeApiKey(principal: Principal, keyId: string): ApiKeyView {
    this.#operator(principal, "revoke API keys");
    const row = getApiKeyRow(this.#db, keyId);
    if (!row || !this.#keyVisible(principal, apiKeyView(row))) throw new ServiceError(`no API key ${keyId}`, { code: "NOT_FOUND" });
    this.#write(() => revokeApiKey(this.#db, keyId, this.#now()));
    return apiKeyView(getApiKeyRow(this.#db, keyId)!, this.#now());
  }

  // ── accepting credentials ──────────────────────────────────────────────────────────────

  #allocator(issuerId: number): StatusIndexAllocator {
    return this.#allocators.get(issuerId)!;
  }

  /**
   * Draws `count` status indices, first growing the list if it would pass half full. A new range
   * is read on-chain before any of it is handed out (bits the issuer's keys set outside this
   * service stay taken), and the new size is stored, so a restart checks the whole list again.
   */
  async #drawIndices(issuerId: number, count: number): Promise<number[]> {
    for (;;) {
      const allocator = this.#allocator(issuerId);
      const size = allocator.sizeFor(count);
      if (size <= allocator.size) return allocator.allocate(count);
      const pending = this.#growing.get(issuerId);
      if (pending) {
        await pending;
        continue;
      }
      const growth = this.#growList(issuerId, allocator, size).finally(() => this.#growing.delete(issuerId));
      this.#growing.set(issuerId, growth);
      await growth;
    }
  }

  async #growList(issuerId: number, allocator: StatusIndexAllocator, size: number): Promise<void> {
    let onChain: number[];
    try {
      onChain = await setStatusBits(this.#o.client, this.#o.registry, issuerId, allocator.size, size);
    } catch (error) {
      throw new ServiceError(`the status list must grow and its new range cannot be checked on-chain now: ${describeChainError(error)}`, { code: "CHAIN_UNAVAILABLE", cause: error });
    }
    this.#write(() => setListSize(this.#db, issuerId, size));
    allocator.grow(size, onChain);
    this.#o.log?.("info", "status list grown", { issuerId, size, setOnChain: onChain.length });
  }

  #servedIssuer(issuerId: number): void {
    if (!this.#issuers.has(issuerId)) {
      throw new ServiceError(`issuer ${issuerId} is not served by this service (no signer key for it)`, { code: "FORBIDDEN" });
    }
  }

  /** Runs a write; a storage failure becomes STORAGE_UNAVAILABLE (HTTP 503), never a 2xx. */
  #write<T>(fn: () => T): T {
    try {
      return this.#db.transaction(fn)();
    } catch (error) {
      throw storageError(error);
    }
  }

  /** HMAC-SHA-256 of a request under the server secret: without the secret no dictionary can match it. */
  #requestMac(value: unknown, limits?: Parameters<typeof canonicalize>[1]): Buffer {
    return createHmac("sha256", this.#secret).update(canonicalize(value, limits)).digest();
  }

  #replay(issuerId: number, scope: IdempotencyScope, key: string | undefined, requestMac: Buffer): string | undefined {
    if (key === undefined) return undefined;
    const row = findIdempotency(this.#db, { issuerId, scope, key, since: this.#now() - this.#window });
    if (!row) return undefined;
    if (row.requestMac.length === 0) {
      throw new ServiceError(`the Idempotency-Key "${key}" was used for a request whose credentials were since erased; use a new key`, { code: "IDEMPOTENCY_CONFLICT" });
    }
    if (!row.requestMac.equals(requestMac)) {
      throw new ServiceError(`the Idempotency-Key "${key}" was already used with a different request`, { code: "IDEMPOTENCY_CONFLICT" });
    }
    return row.response;
  }

  #remember(issuerId: number, scope: IdempotencyScope, key: string | undefined, requestMac: Buffer, response: unknown): void {
    if (key === undefined) return;
    saveIdempotency(this.#db, { issuerId, scope, key, requestMac, response: JSON.stringify(response), at: this.#now() });
    if (this.#now() - this.#purgedAt > 60_000) this.purgeIdempotency();
  }

  /** Deletes Idempotency-Key rows older than the window (at start, then at most once a minute as keys are stored). */
  purgeIdempotency(): number {
    this.#purgedAt = this.#now();
    return purgeIdempotency(this.#db, this.#now() - this.#window);
  }

  async submitCredentials(issuerId: number, request: SubmitRequest): Promise<SubmitResult> {
    this.#servedIssuer(issuerId);
    const { idempotencyKey } = request;
    const max = this.#o.maxPerRequest ?? 10_000;
    if (request.credentials.length === 0 || request.credentials.length > max) {
      throw new ServiceError(`send between 1 and ${max} credentials per request (got ${request.credentials.length})`, { code: "REQUEST_INVALID" });
    }
    const requestMac = idempotencyKey === undefined ? Buffer.alloc(0) : this.#requestMac(request.credentials, { maxBytes: 64 * 2 ** 20, maxDepth: 34, maxFields: 10_000_000 });
    const replayed = this.#replay(issuerId, "submit", idempotencyKey, requestMac);
    if (replayed) return { credentials: JSON.parse(replayed) as AcceptedCredential[], replayed: true };

    // A credential without an issuer is issued under the issuer's on-chain identity (filled in);
    // one naming anyone else is refused (ISSUER_MISMATCH) after the validation problems, if any.
    const identity = this.#identities.get(issuerId)!;
    const credentials = request.credentials.map((c) => withIssuer(c, identity));
    const details: ErrorDetail[] = [];
    for (let i = 0; i < credentials.length && details.length < MAX_DETAILS; i++) {
      try {
        for (const issue of credentialIssues(credentials[i]).issues) details.push({ path: `credentials[${i}]${issue.path ? "." + issue.path : ""}`, message: issue.message });
      } catch (error) {
        if (!(error instanceof CredanchorError)) throw error;
        details.push({ path: `credentials[${i}]`, message: error.shortMessage });
      }
    }
    if (details.length > 0) {
      throw new ValidationError(`${details.length >= MAX_DETAILS ? "at least " : ""}${details.length} problem${details.length === 1 ? "" : "s"} in the credentials; nothing was accepted`, {
        code: "CREDENTIAL_INVALID",
        details: details.slice(0, MAX_DETAILS),
      });
    }
    const mismatches = issuerClaimIssues(credentials, identity, MAX_DETAILS);
    if (mismatches.length > 0) {
      throw new ServiceError(`${mismatches.length} credential${mismatches.length === 1 ? " names" : "s name"} another issuer than this issuer's on-chain identity ${identity}; nothing was accepted`, {
        code: "ISSUER_MISMATCH",
        details: mismatches,
      });
    }

    // Credentials whose own id this issuer submitted before are not issued again (issue 14, F3).
    const macs = credentials.map((c) => credentialIdMac(this.#secret, issuerId, c));
    const idMacs = macs.filter((m): m is Buffer => m !== undefined);
    const plan = planSubmission(macs, knownCredentialIds(this.#db, issuerId, idMacs));
    const fresh = plan.flatMap((earlier, i) => (earlier === undefined ? [i] : []));
    const allocator = this.#allocator(issuerId);
    const indices = fresh.length > 0 ? await this.#drawIndices(issuerId, fresh.length) : [];
    const unused = new Set(indices);
    try {
      const { chainId, registry } = this.#o;
      const prepared =
        fresh.length === 0 ? [] : await this.#pool.prepare(fresh.map((i) => credentials[i]!), indices.map((statusIndex) => ({ chainId, registry, issuerId, statusIndex })));
      const createdAt = this.#now();
      const rows = fresh.map((i, k) => ({ at: i, id: newCredentialId(createdAt), statusIndex: indices[k]!, prepared: prepared[k]! }));
      const outcome = this.#write(() => {
        // A concurrent request with the same key may have committed while we were hashing.
        const again = this.#replay(issuerId, "submit", idempotencyKey, requestMac);
        if (again) return { credentials: JSON.parse(again) as AcceptedCredential[], replayed: true };
        // …or one carrying the same credential ids.
        const raced = knownCredentialIds(this.#db, issuerId, fresh.flatMap((i) => (macs[i] ? [macs[i]] : [])));
        const insert = this.#db.prepare(
          "INSERT INTO credentials (id, issuer_id, status_index, content, salts, digest, leaf, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        const stored = new Map<number, AcceptedCredential>();
        for (const { at, id, statusIndex, prepared: p } of rows) {
          const mac = macs[at];
          const known = mac && raced.get(mac.toString("hex"));
          if (known) {
            plan[at] = known;
            continue;
          }
          insert.run(id, issuerId, statusIndex, p.content, p.salts, p.digest, p.leaf, p.validFrom, p.validUntil, createdAt);
          if (mac) rememberCredentialId(this.#db, issuerId, mac, id);
          stored.set(at, { id, statusIndex, state: "queued" });
        }
        const accepted = acceptedInOrder(plan, stored);
        this.#remember(issuerId, "submit", idempotencyKey, requestMac, accepted);
        return { credentials: accepted, replayed: false, count: stored.size, used: [...stored.values()].map((c) => c.statusIndex) };
      });
      // Committed: the indices of the stored credentials are taken; the rest go back.
      for (const index of outcome.used ?? []) unused.delete(index);
      if (!outcome.replayed && outcome.count) {
        crashPoint("accept:after-commit");
        this.onAccepted?.(issuerId, outcome.count);
      }
      return { credentials: outcome.credentials, replayed: outcome.replayed };
    } finally {
      if (unused.size > 0) allocator.release([...unused]);
    }
  }

  async acceptSigned(issuerId: number, sign: (slot: { id: string; statusIndex: number }) => Promise<JsonObject>): Promise<{ id: string; statusIndex: number; credential: JsonObject }> {
    this.#servedIssuer(issuerId);
    const allocator = this.#allocator(issuerId);
    const [statusIndex] = await this.#drawIndices(issuerId, 1);
    let stored = false;
    try {
      const createdAt = this.#now();
      const id = newCredentialId(createdAt);
      const credential = await sign({ id, statusIndex: statusIndex! });
      const { proof, ...content } = credential;
      const { chainId, registry } = this.#o;
      const [p] = await this.#pool.prepare([content], [{ chainId, registry, issuerId, statusIndex: statusIndex! }]);
      this.#write(() => {
        this.#db
          .prepare("INSERT INTO credentials (id, issuer_id, status_index, content, salts, digest, leaf, valid_from, valid_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .run(id, issuerId, statusIndex, p!.content, p!.salts, p!.digest, p!.leaf, p!.validFrom, p!.validUntil, createdAt);
        insertSignedCredential(this.#db, { credential_id: id, vc_id: String(credential.id), proof: JSON.stringify(proof) });
      });
      stored = true;
      this.onAccepted?.(issuerId, 1);
      return { id, statusIndex: statusIndex!, credential };
    } finally {
      if (!stored) allocator.release([statusIndex!]);
    }
  }

  getSignedCredential(principal: Principal, id: string): { view: CredentialView; proof: JsonObject } {
    const row = findSignedCredentials(this.#db, id).find((r) => this.#mayAct(principal, r.issuer_id));
    if (!row) throw new ServiceError(`no signed credential ${id}`, { code: "NOT_FOUND" });
    return { view: this.getCredential(principal, row.credential_id), proof: JSON.parse(row.proof) as JsonObject };
  }

  /**
   * Re-checks on-chain, before they are batched, the status indices of credentials accepted
   * since the last call: a bit set meanwhile by the issuer's keys outside this service (the list
   * was checked when it grew, not at every draw) would make a new credential born revoked. Such a
   * credential gets a fresh index, salts and digest (its content is kept; GET shows the new index).
   * Returns how many were re-indexed. Called by the pipeline before each round of batch building.
   */
  async recheckQueuedIndices(): Promise<number> {
    let moved = 0;
    for (const issuerId of this.#issuers.keys()) {
      const queued = queuedCredentialsAfter(this.#db, issuerId, this.#recheckedUpTo.get(issuerId) ?? 0);
      if (queued.length === 0) continue;
      const onChain = new Set(await this.#setBitsInWords(issuerId, queued.map((q) => q.status_index >> 8)));
      this.#allocator(issuerId).markTaken(onChain);
      // An erased queued credential cannot be prepared again: it keeps its index (and shows revoked).
      const hit = queued.flatMap((q) => {
        const content = onChain.has(q.status_index) ? credentialContent(this.#db, q.seq) : null;
        return content === null ? [] : [{ ...q, content }];
      });
      if (hit.length > 0) moved += await this.#reindex(issuerId, hit);
      this.#recheckedUpTo.set(issuerId, queued.at(-1)!.seq);
    }
    return moved;
  }

  /** Set status bits in the given words of an issuer's lists (contiguous runs read in one call each). */
  async #setBitsInWords(issuerId: number, words: readonly number[]): Promise<number[]> {
    const sorted = [...new Set(words)].sort((a, b) => a - b);
    const out: number[] = [];
    for (let i = 0; i < sorted.length; ) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1]! - sorted[i]! < 2048 && sorted[j + 1]! - sorted[j]! <= 64) j++;
      out.push(...(await setStatusBits(this.#o.client, this.#o.registry, issuerId, sorted[i]! * 256, (sorted[j]! + 1) * 256)));
      i = j + 1;
    }
    return out;
  }

  async #reindex(issuerId: number, hit: readonly (QueuedCredential & { content: string })[]): Promise<number> {
    const indices = await this.#drawIndices(issuerId, hit.length);
    const { chainId, registry } = this.#o;
    const prepared = await this.#pool.prepare(
      hit.map((q) => JSON.parse(q.content) as JsonObject),
      indices.map((statusIndex) => ({ chainId, registry, issuerId, statusIndex })),
    );
    const moved = this.#write(() => hit.filter((q, k) => reindexQueuedCredential(this.#db, q.seq, { statusIndex: indices[k]!, ...prepared[k]! })).length);
    this.#o.log?.("warn", "status indices set on-chain before anchoring: credentials re-indexed", { issuerId, count: moved, ids: hit.slice(0, 10).map((q) => q.id) });
    return moved;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────

  #credentialRow(principal: Principal, id: string): CredentialRow {
    const row = this.#db.prepare("SELECT * FROM credentials WHERE id = ?").get(id) as CredentialRow | undefined;
    // Another issuer's credential is answered exactly like a missing one: ids reveal nothing.
    if (!row || !this.#mayAct(principal, row.issuer_id)) throw new ServiceError(`no credential ${id}`, { code: "NOT_FOUND" });
    return row;
  }

  #batchRow(id: number): BatchRow | undefined {
    return this.#db.prepare("SELECT * FROM batches WHERE id = ?").get(id) as BatchRow | undefined;
  }

  #txRow(id: number | null): ChainTxRow | undefined {
    return id == null ? undefined : (this.#db.prepare("SELECT * FROM chain_txs WHERE id = ?").get(id) as ChainTxRow | undefined);
  }

  #txView(tx: ChainTxRow | undefined, head?: number): ChainTxView | undefined {
    if (!tx || (tx.tx_hash === null && tx.nonce === null)) return undefined;
    const hash =
      tx.tx_hash ??
      ((this.#db.prepare("SELECT hash FROM tx_attempts WHERE tx_id = ? ORDER BY sent_at DESC, rowid DESC LIMIT 1").pluck().get(tx.id) as string | undefined) ?? "");
    const view: ChainTxView = { hash, nonce: tx.nonce ?? 0 };
    if (tx.block_number !== null) {
      view.blockNumber = tx.block_number;
      if (tx.block_hash) view.blockHash = tx.block_hash;
      if (tx.block_time !== null) view.blockTime = new Date(tx.block_time * 1000).toISOString();
      if (tx.gas_used) view.gasUsed = tx.gas_used;
      if (tx.gas_price) view.effectiveGasPrice = tx.gas_price;
      if (head !== undefined) view.confirmations = Math.max(0, head - tx.block_number + 1);
    }
    return view;
  }

  #bundle(row: CredentialRow, batch: BatchRow, tx: ChainTxRow): Bundle {
    const { chainId, registry } = this.#o;
    return createBundle(
      { credential: JSON.parse(row.content!) as JsonObject, salts: row.salts!, hiddenFieldHashes: [], hiddenElements: [] },
      {
        chainId,
        registry,
        issuerId: row.issuer_id,
        statusIndex: row.status_index,
        validFrom: row.valid_from,
        validUntil: row.valid_until,
        leaf: row.leaf,
        proof: row.proof ?? new Uint8Array(0),
        root: batch.root,
        txHash: Buffer.from(tx.tx_hash!.slice(2), "hex"),
        blockNumber: tx.block_number!,
      },
    );
  }

  getCredential(principal: Principal, id: string): CredentialView {
    const row = this.#credentialRow(principal, id);
    const batch = row.batch_id === null ? undefined : this.#batchRow(row.batch_id);
    const state = credentialState(batch ? batchState(batch) : null);
    const view: CredentialView = {
      id: row.id,
      issuerId: row.issuer_id,
      statusIndex: row.status_index,
      state,
      createdAt: iso(row.created_at)!,
      revoked: row.revoked === 1 || batch?.root_revoked === 1,
      suspended: row.suspended === 1,
    };
    if (batch) view.batchId = batch.id;
    if (row.erased_at !== null) view.erasedAt = iso(row.erased_at)!;
    else view.credential = JSON.parse(row.content!) as JsonObject;
    if (batch && row.erased_at === null && (state === "anchored" || state === "confirmed")) {
      const tx = this.#txRow(batch.tx_id);
      if (tx?.tx_hash && tx.block_number !== null) view.bundle = this.#bundle(row, batch, tx);
    }
    return view;
  }

  getBatch(principal: Principal, id: number): BatchView {
    const batch = this.#batchRow(id);
    if (!batch || !this.#mayAct(principal, batch.issuer_id)) throw new ServiceError(`no batch ${id}`, { code: "NOT_FOUND" });
    const view: BatchView = {
      id: batch.id,
      issuerId: batch.issuer_id,
      state: batchState(batch),
      size: batch.size,
      root: bytesToHex(batch.root),
      createdAt: iso(batch.created_at)!,
      rootRevoked: batch.root_revoked === 1,
    };
    if (batch.error !== null && batch.failed_at !== null) view.error = batch.error;
    if (batch.rebuilds > 0) view.rebuilds = batch.rebuilds;
    const tx = this.#txView(this.#txRow(batch.tx_id));
    if (tx) view.tx = tx;
    if (tx?.gasUsed && tx.effectiveGasPrice) {
      const cost = BigInt(tx.gasUsed) * BigInt(tx.effectiveGasPrice);
      view.costWei = cost.toString();
      view.costPerCredentialWei = (cost / BigInt(batch.size)).toString();
      view.costEther = formatEther(cost);
      view.costPerCredentialEther = formatEther(cost / BigInt(batch.size));
      view.gasPerCredential = Math.round(Number(tx.gasUsed) / batch.size);
    }
    return view;
  }

  // ── batching (called by the pipeline) ──────────────────────────────────────────────────

  /**
   * Claims the oldest queued credentials of `issuerId` (up to the batch size), builds their tree,
   * and in ONE transaction stores the batch, every proof and the queued anchor transaction. A
   * credential is claimed only if still unclaimed, so it can never be in two batches.
   */
  buildBatch(issuerId: number, maxSize: number): number | undefined {
    const rows = this.#db
      .prepare("SELECT seq, digest FROM credentials WHERE issuer_id = ? AND batch_id IS NULL ORDER BY seq LIMIT ?")
      .all(issuerId, maxSize) as { seq: number; digest: Buffer }[];
    if (rows.length === 0) return undefined;
    const digests = new Uint8Array(rows.length * 32);
    rows.forEach((r, k) => digests.set(r.digest, 32 * k));
    const tree = buildCredentialTree(digests);
    const signer = this.#issuers.get(issuerId)!.address;
    const built = this.#write(() => {
      const now = this.#now();
      const batchId = Number(
        this.#db
          .prepare("INSERT INTO batches (issuer_id, root, size, state, created_at) VALUES (?, ?, ?, 'built', ?)")
          .run(issuerId, tree.root, rows.length, now).lastInsertRowid,
      );
      const data = encodeFunctionData({ abi: credentialRegistryAbi, functionName: "anchor", args: [bytesToHex(tree.root)] });
      const txId = TxSender.enqueue(this.#db, signer, "anchor", batchId, data, now);
      this.#db.prepare("UPDATE batches SET tx_id = ? WHERE id = ?").run(txId, batchId);
      const claim = this.#db.prepare("UPDATE credentials SET batch_id = ?, leaf_index = ?, proof = ? WHERE seq = ? AND batch_id IS NULL");
      rows.forEach((r, k) => {
        const proof = tree.getProof(k);
        if (claim.run(batchId, k, Buffer.from(proof.buffer, proof.byteOffset, proof.length), r.seq).changes !== 1) {
          throw new CredanchorError(`credential #${r.seq} was claimed by another batch while batch ${batchId} was built`);
        }
      });
      return batchId;
    });
    crashPoint("batch:after-build");
    return built;
  }

  // ── status changes ─────────────────────────────────────────────────────────────────────

  requestStatusChange(principal: Principal, request: StatusChangeRequest): { change: StatusChangeView; replayed: boolean } {
    if (principal.kind !== "issuer") throw new ServiceError("status changes are made with the issuer's own API key", { code: "FORBIDDEN" });
    const issuerId = principal.issuerId;
    this.#servedIssuer(issuerId);
    const { action, credentialIds = [], statusIndices = [], batchId, reason = 0, idempotencyKey } = request;
    const requestMac = this.#requestMac({ action, credentialIds, statusIndices, batchId: batchId ?? null, reason });
    const replayed = this.#replay(issuerId, "status", idempotencyKey, requestMac);
    if (replayed) return { change: this.getStatusChange(principal, Number(replayed)), replayed: true };

    if (credentialIds.length === 0 && statusIndices.length === 0 && batchId === undefined) {
      throw new ServiceError("name the credentials: credentialIds, statusIndices or batchId", { code: "REQUEST_INVALID" });
    }
    if (!Number.isInteger(reason) || reason < 0 || reason > 255) throw new ServiceError("reason must be an integer from 0 to 255", { code: "REQUEST_INVALID" });
    if (batchId !== undefined && action !== "revoke") throw new ServiceError("a whole batch can only be revoked (not suspended or reinstated)", { code: "REQUEST_INVALID" });
    if (batchId !== undefined && (credentialIds.length > 0 || statusIndices.length > 0)) {
      throw new ServiceError("revoke either a batch or credentials, not both in one request", { code: "REQUEST_INVALID" });
    }

    const indices = new Set<number>();
    const lookupId = this.#db.prepare("SELECT issuer_id, status_index FROM credentials WHERE id = ?");
    const lookupIndex = this.#db.prepare("SELECT id FROM credentials WHERE issuer_id = ? AND status_index = ?");
    for (const id of credentialIds) {
      const row = lookupId.get(id) as { issuer_id: number; status_index: number } | undefined;
      if (!row || row.issuer_id !== issuerId) throw new ServiceError(`no credential ${id}`, { code: "NOT_FOUND", details: [{ path: "credentialIds", message: id }] });
      indices.add(row.status_index);
    }
    for (const index of statusIndices) {
      const row = lookupIndex.get(issuerId, index);
      if (!row) throw new ServiceError(`no credential of issuer ${issuerId} has status index ${index}`, { code: "NOT_FOUND", details: [{ path: "statusIndices", message: String(index) }] });
      indices.add(index);
    }
    let batch: BatchRow | undefined;
    if (batchId !== undefined) {
      batch = this.#batchRow(batchId);
      if (!batch || batch.issuer_id !== issuerId) throw new ServiceError(`no batch ${batchId}`, { code: "NOT_FOUND" });
    }

    const sorted = [...indices].sort((a, b) => a - b);
    const signer = this.#issuers.get(issuerId)!.address;
    const id = this.#write(() => {
      // Checked inside the write: two requests can never both pass against the same state.
      if (batch) assertBatchRevocable(this.#db, issuerId, this.#batchRow(batch.id)!);
      else assertStatusChangePossible(this.#db, issuerId, action, sorted);
      const changeId = Number(
        this.#db
          .prepare("INSERT INTO status_changes (issuer_id, action, reason, indices, batch_id, state, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)")
          .run(issuerId, action, reason, JSON.stringify(sorted), batchId ?? null, this.#now()).lastInsertRowid,
      );
      // A bulk change becomes several transactions, each under the gas budget.
      const calls = batch
        ? [encodeFunctionData({ abi: credentialRegistryAbi, functionName: "revokeRoot", args: [bytesToHex(batch.root), reason] })]
        : statusCalls(action, sorted, reason, this.#o.statusGasBudget ?? 10_000_000);
      const txIds = calls.map((data) => TxSender.enqueue(this.#db, signer, batch ? "revokeRoot" : "status", changeId, data, this.#now()));
      this.#db.prepare("UPDATE status_changes SET tx_id = ? WHERE id = ?").run(txIds[0]!, changeId);
      this.#remember(issuerId, "status", idempotencyKey, requestMac, changeId);
      return changeId;
    });
    return { change: this.getStatusChange(principal, id), replayed: false };
  }

  getStatusChange(principal: Principal, id: number): StatusChangeView {
    const row = this.#db.prepare("SELECT * FROM status_changes WHERE id = ?").get(id) as StatusChangeRow | undefined;
    if (!row || !this.#mayAct(principal, row.issuer_id)) throw new ServiceError(`no revocation request ${id}`, { code: "NOT_FOUND" });
    const view: StatusChangeView = {
      id: row.id,
      issuerId: row.issuer_id,
      action: row.action,
      reason: row.reason,
      statusIndices: JSON.parse(row.indices) as number[],
      state: row.state,
      createdAt: iso(row.created_at)!,
      progress: { transactions: 0, landed: 0, failed: 0 },
    };
    if (row.batch_id !== null) view.batchId = row.batch_id;
    const tx = this.#txView(this.#txRow(row.tx_id));
    if (tx) view.tx = tx;
    const txs = statusChangeTxs(this.#db, row.id);
    view.progress = {
      transactions: txs.length,
      landed: txs.filter((t) => t.outcome === "done" || t.state === "confirmed").length,
      failed: txs.filter((t) => t.outcome === "failed").length,
    };
    if (txs.length > 1) view.transactions = txs.map((t) => this.#txView(t)).filter((t) => t !== undefined);
    if (row.error) view.error = row.error;
    return view;
  }

  // ── erasure (GDPR) ─────────────────────────────────────────────────────────────────────

  eraseCredential(principal: Principal, id: string): Tombstone {
    const row = this.#credentialRow(principal, id);
    if (row.erased_at !== null) throw new ServiceError(`credential ${id} was already erased`, { code: "GONE" });
    const erasedAt = this.#now();
    const erasedBy = principal.kind === "admin" ? `admin:${principal.keyId}` : `issuer:${principal.issuerId}:${principal.keyId}`;
    const tombstone: Tombstone = { id, leaf: bytesToHex(row.leaf), erasedAt: iso(erasedAt)!, erasedBy };
    this.#write(() => {
      this.#db.prepare("UPDATE credentials SET content = NULL, salts = NULL, erased_at = ? WHERE id = ?").run(erasedAt, id);
      this.#db
        .prepare("INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, 'erase', ?, ?)")
        .run(erasedAt, erasedBy, id, JSON.stringify({ leaf: tombstone.leaf, issuerId: row.issuer_id }));
      // The MAC of the request that carried it is derived from the erased content: drop it too.
      forgetErasedSubmission(this.#db, row.issuer_id, id);
    });
    // secure_delete zeroed the old content in the main file; the WAL still holds page images with it.
    try {
      checkpointAndTruncateWal(this.#db);
    } catch (error) {
      this.#o.log?.("warn", "WAL checkpoint after an erasure failed; the next one removes the erased text", { error: (error as Error).message });
    }
    return tombstone;
  }

  // ── health and metrics ─────────────────────────────────────────────────────────────────

  async readiness(): Promise<Readiness> {
    let database = { ok: true, message: "writable" };
    try {
      setMeta(this.#db, "readyz", String(this.#now()));
    } catch (error) {
      database = { ok: false, message: `cannot write: ${(error as Error).message}` };
    }
    const checked = this.#o.chainCheck?.();
    if (checked) return { ready: database.ok && checked.ok, checks: { database, chain: checked } };
    let chain = { ok: true, message: "" };
    try {
      const block = await Promise.race([
        this.#o.client.getBlockNumber({ cacheTime: 0 }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer within 2 s")), 2_000).unref()),
      ]);
      chain.message = `chain ${this.#o.chainId} at block ${block}`;
    } catch (error) {
      chain = { ok: false, message: `JSON-RPC unreachable: ${describeChainError(error)}` };
    }
    return { ready: database.ok && chain.ok, checks: { database, chain } };
  }

  stats(): ServiceStats {
    const credentialsByState: Record<CredentialState, number> = { queued: 0, batched: 0, anchoring: 0, anchored: 0, confirmed: 0, failed: 0 };
    credentialsByState.queued = this.#db.prepare("SELECT count(*) FROM credentials WHERE batch_id IS NULL").pluck().get() as number;
    const batchesByState: Record<BatchState, number> = { built: 0, sending: 0, mined: 0, confirmed: 0, failed: 0 };
    const byState = "SELECT CASE WHEN failed_at IS NULL THEN state ELSE 'failed' END AS state, count(*) AS n, sum(size) AS s FROM batches GROUP BY 1";
    for (const r of this.#db.prepare(byState).all() as { state: BatchState; n: number; s: number }[]) {
      batchesByState[r.state] = r.n;
      credentialsByState[credentialState(r.state)] += r.s;
    }
    const statusChangesByState: Record<StatusChangeState, number> = { pending: 0, sending: 0, mined: 0, confirmed: 0, failed: 0 };
    for (const r of this.#db.prepare("SELECT state, count(*) AS n FROM status_changes GROUP BY state").all() as { state: StatusChangeState; n: number }[]) {
      statusChangesByState[r.state] = r.n;
    }
    let gasUsedTotal = 0n;
    let feesPaidWeiTotal = 0n;
    for (const r of this.#db.prepare("SELECT gas_used, gas_price FROM chain_txs WHERE gas_used IS NOT NULL").all() as { gas_used: string; gas_price: string }[]) {
      gasUsedTotal += BigInt(r.gas_used);
      feesPaidWeiTotal += BigInt(r.gas_used) * BigInt(r.gas_price ?? "0");
    }
    return {
      credentialsByState,
      batchesByState,
      statusChangesByState,
      gasUsedTotal,
      feesPaidWeiTotal,
      anchorLatencySeconds: [...this.#latencies],
      chainTxsClosed: closedTxCounts(this.#db),
    };
  }

  // ── transaction hooks: keep batches and status changes in step with the outbox ──────────

  #makeHooks(): TxHooks {
    const db = this.#db;
    return {
      signed: (tx) => {
        if (tx.kind === "anchor") db.prepare("UPDATE batches SET state = 'sending' WHERE id = ? AND state = 'built'").run(tx.ref_id);
        else this.#settleStatusChange(tx.ref_id);
      },
      mined: (tx) => {
        if (tx.kind === "anchor") {
          db.prepare("UPDATE batches SET state = 'mined', mined_at = ? WHERE id = ?").run(this.#now(), tx.ref_id);
          const created = db.prepare("SELECT created_at FROM batches WHERE id = ?").pluck().get(tx.ref_id) as number;
          this.#latencies.push((this.#now() - created) / 1000);
          if (this.#latencies.length > 1000) this.#latencies.splice(0, this.#latencies.length - 1000);
        } else {
          this.#settleStatusChange(tx.ref_id);
        }
      },
      confirmed: (tx) => {
        if (tx.kind === "anchor") {
          db.prepare("UPDATE batches SET state = 'confirmed', confirmed_at = ? WHERE id = ?").run(this.#now(), tx.ref_id);
          this.#batchConfirmedWebhook(tx);
          return;
        }
        this.#applyStatusTx(tx);
        this.#settleStatusChange(tx.ref_id);
      },
      reorged: (tx) => {
        if (tx.kind === "anchor") db.prepare("UPDATE batches SET state = 'sending', mined_at = NULL WHERE id = ?").run(tx.ref_id);
        else this.#settleStatusChange(tx.ref_id);
      },
      reverted: (tx, reason) => {
        // Retried after a backoff: say why in the view, but the request is not failed.
        if (tx.kind !== "anchor") db.prepare("UPDATE status_changes SET error = ? WHERE id = ? AND state <> 'failed'").run(reason, tx.ref_id);
      },
      closed: (tx) => {
        if (tx.kind === "anchor") {
          if (tx.outcome === "superseded") this.#rebuildBatch(tx);
          else this.#failBatch(tx);
          return;
        }
        if (tx.outcome === "done") this.#applyStatusTx(tx); // the effect is on-chain already
        this.#settleStatusChange(tx.ref_id);
      },
    };
  }

  /** Records on the credentials (or the batch) what one landed status transaction changed. */
  #applyStatusTx(tx: ChainTxRow): void {
    const change = this.#db.prepare("SELECT * FROM status_changes WHERE id = ?").get(tx.ref_id) as StatusChangeRow;
    if (tx.kind === "revokeRoot") {
      this.#db.prepare("UPDATE batches SET root_revoked = 1 WHERE id = ?").run(change.batch_id);
      return;
    }
    const column = { revoke: "revoked = 1", suspend: "suspended = 1", reinstate: "suspended = 0" }[change.action];
    const update = this.#db.prepare(`UPDATE credentials SET ${column} WHERE issuer_id = ? AND status_index = ?`);
    for (const index of statusIndicesOfCall(tx.data)) update.run(change.issuer_id, index);
  }

  /**
   * A status change's state from its transactions: failed as soon as one failed for good (the
   * others still land and are recorded), confirmed when all landed, mined when all are mined,
   * sending once one is signed. Announces a failure once, by webhook.
   */
  #settleStatusChange(changeId: number): void {
    const change = this.#db.prepare("SELECT * FROM status_changes WHERE id = ?").get(changeId) as StatusChangeRow;
    if (change.state === "failed") return;
    const txs = statusChangeTxs(this.#db, changeId);
    const failed = txs.find((t) => t.outcome === "failed");
    const landed = (t: ChainTxRow) => t.outcome === "done" || t.state === "confirmed";
    let state: StatusChangeState;
    if (failed) state = "failed";
    else if (txs.every(landed)) state = "confirmed";
    else if (txs.every((t) => landed(t) || t.state === "mined")) state = "mined";
    else if (txs.some((t) => t.state !== "queued" || landed(t))) state = "sending";
    else state = "pending";
    if (state === change.state) return;
    this.#db.prepare("UPDATE status_changes SET state = ?, error = ? WHERE id = ?").run(state, failed ? failed.last_error : state === "confirmed" ? null : change.error, changeId);
    if (failed) {
      this.#queueWebhook(change.issuer_id, "revocation.failed", {
        revocationId: change.id,
        action: change.action,
        batchId: change.batch_id,
        error: failed.last_error,
        failure: failed.failure,
        transactions: txs.length,
        landed: txs.filter(landed).length,
      });
    }
  }

  /** The anchor will never land: the batch (and its credentials) show `failed` with the reason. */
  #failBatch(tx: ChainTxRow): void {
    const batch = this.#batchRow(tx.ref_id)!;
    if (batch.tx_id !== tx.id) return;
    this.#db.prepare("UPDATE batches SET failed_at = ?, error = ? WHERE id = ?").run(this.#now(), tx.last_error, batch.id);
    this.#queueWebhook(batch.issuer_id, "batch.failed", { batchId: batch.id, root: bytesToHex(batch.root), size: batch.size, error: tx.last_error, failure: tx.failure });
  }

  /**
   * Someone anchored this batch's root before us (roots are global on the v1 registry): give the
   * batch a new root by adding one random 32-byte leaf digest to its tree, store the new proofs
   * and queue a new anchor. The credentials, their salts and digests do not change, so nothing
   * issued is invalidated (no bundle exists before the anchor lands); see docs/formats.md.
   */
  #rebuildBatch(tx: ChainTxRow): void {
    const batch = this.#batchRow(tx.ref_id)!;
    if (batch.tx_id !== tx.id) return;
    const rows = batchCredentials(this.#db, batch.id);
    const padding = randomBytes(32);
    const digests = new Uint8Array((rows.length + 1) * 32);
    rows.forEach((r, k) => digests.set(r.digest, 32 * k));
    digests.set(padding, 32 * rows.length);
    const tree = buildCredentialTree(digests);
    const signer = this.#issuers.get(batch.issuer_id)?.address ?? tx.signer;
    const data = encodeFunctionData({ abi: credentialRegistryAbi, functionName: "anchor", args: [bytesToHex(tree.root)] });
    const txId = TxSender.enqueue(this.#db, signer, "anchor", batch.id, data, this.#now());
    this.#db
      .prepare("UPDATE batches SET root = ?, padding = ?, rebuilds = rebuilds + 1, state = 'built', tx_id = ? WHERE id = ?")
      .run(tree.root, padding, txId, batch.id);
    const setProof = this.#db.prepare("UPDATE credentials SET proof = ? WHERE seq = ?");
    rows.forEach((r, k) => {
      const proof = tree.getProof(k);
      setProof.run(Buffer.from(proof.buffer, proof.byteOffset, proof.length), r.seq);
    });
    this.#o.log?.("warn", "batch root was anchored by someone else first: rebuilt with a new root", {
      batchId: batch.id,
      previousRoot: bytesToHex(batch.root),
      root: bytesToHex(tree.root),
      reason: tx.last_error,
    });
    this.#queueWebhook(batch.issuer_id, "batch.rebuilt", { batchId: batch.id, previousRoot: bytesToHex(batch.root), root: bytesToHex(tree.root), reason: tx.last_error });
  }

  #batchConfirmedWebhook(tx: ChainTxRow): void {
    const batch = this.#batchRow(tx.ref_id)!;
    this.#queueWebhook(batch.issuer_id, "batch.confirmed", {
      batchId: batch.id,
      root: bytesToHex(batch.root),
      size: batch.size,
      txHash: tx.tx_hash,
      blockNumber: tx.block_number,
    });
  }

  /** Queues a signed webhook delivery of `event` (only when the issuer has a webhook URL). */
  #queueWebhook(issuerId: number, event: string, fields: Record<string, unknown>): void {
    const issuer = this.#db.prepare("SELECT webhook_url FROM issuers WHERE id = ?").get(issuerId) as { webhook_url: string | null };
    if (!issuer.webhook_url) return;
    const payload = { event, ...fields, issuerId, chainId: this.#o.chainId, registry: this.#o.registry };
    this.#db.prepare("INSERT INTO webhook_deliveries (issuer_id, event, payload, next_at) VALUES (?, ?, ?, ?)").run(issuerId, event, JSON.stringify(payload), this.#now());
  }
}
