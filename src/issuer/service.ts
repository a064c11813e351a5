// The issuer service: builds the use cases' dependencies over a store and the chain, wires the
// outbox senders and the pipeline, and binds the use cases (src/issuer/use-cases/) into the
// IssuerService surfaces (HTTP, CLI) call.
import { randomBytes } from "node:crypto";
import type { Address, LocalAccount, PublicClient } from "viem";
import type { JsonLimits, JsonObject } from "../core/json.ts";
import { TxSender } from "../chain/sender.ts";
import type { Repositories, Store } from "../store/types.ts";
import { credentialIdMac } from "./dedupe.ts";
import { BatchTrees } from "./batch-trees.ts";
import { BUNDLE_RECHECK_MS, BundleCache } from "./bundle-cache.ts";
import { BatchPipeline } from "./pipeline.ts";
import { PreparePool } from "./prepare-pool.ts";
import { loadServerSecret } from "./server-secret.ts";
import type { CreateApiKeyRequest, IssuerService, Principal, StatusChangeRequest, SubmitRequest } from "./types.ts";
import { acceptSigned } from "./use-cases/accept-signed.ts";
import { authenticate, createIssuerApiKey, listVisibleApiKeys, revokeVisibleApiKey } from "./use-cases/api-keys.ts";
import { buildBatch } from "./use-cases/build-batch.ts";
import { requestStatusChange } from "./use-cases/change-status.ts";
import type { IssuerDeps, ServiceLogger } from "./use-cases/deps.ts";
import { eraseCredential } from "./use-cases/erase.ts";
import { readiness, stats } from "./use-cases/health.ts";
import { purgeIdempotency } from "./use-cases/idempotency.ts";
import { createHolderKey, createShareLink, listShareLinks, openShareLink, printedShareLink, purgeExpiredShareLinks, revokeShareLink } from "./use-cases/share-links.ts";
import { createOutboxHooks } from "./use-cases/outbox-hooks.ts";
import { reconcileWithChain } from "./use-cases/reconcile.ts";
import { checkChainAndDatabase, servedIssuers, statusAllocators } from "./use-cases/start.ts";
import { recheckQueuedIndices } from "./use-cases/status-indices.ts";
import { submitCredentials, submitCredentialText } from "./use-cases/submit.ts";
import { getBatch, getBundleText, getCredential, getSignedCredential, getStatusChange } from "./use-cases/views.ts";

export type IssuerServiceOptions = {
  store: Store;
  client: PublicClient;
  chainId: number;
  registry: Address;
  /** One signer key per issuer served; each must be a valid key of its issuer on-chain. */
  signers: readonly LocalAccount[];
  /** The registries' deployment blocks by lower-case address (address books): where the first reconciliation starts. */
  deployBlocks?: ReadonlyMap<string, number>;
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
  /** Start those threads with the service (a long-running service), not with the first request large enough for them. */
  prepareThreadsAtStart?: boolean;
  log?: ServiceLogger;
  now?: () => number;
  /** Keys the Idempotency-Key and credential-id MACs (32 bytes); default: `server-secret` beside the database file (created 0600). */
  secret?: Buffer;
  /** How long an Idempotency-Key is remembered (default 24 h); older rows are purged. */
  idempotencyWindowMs?: number;
  /** A database bound to this registry moves to `registry` (a registry upgrade, REGISTRY_UPGRADE_FROM). */
  upgradeFrom?: Address;
};

const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;
const DEFAULT_LIST_SIZE = 131_072;

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
 * const { service, pipeline } = await createIssuerService({ store: openSqliteStore(path), client, chainId: 31337, registry, signers: [account] });
 * pipeline.start();
 */
export async function createIssuerService(options: IssuerServiceOptions): Promise<RunningIssuerService> {
  const { store, client, chainId, registry } = options;
  const now = options.now ?? Date.now;
  const chain = { client, chainId, registry };
  await checkChainAndDatabase(store, chain, options.upgradeFrom);
  const { issuers, identities } = await servedIssuers(store, chain, options.signers, { listSize: options.statusListSize ?? DEFAULT_LIST_SIZE, at: now() });
  // A database restored from a backup may lack anchors made after it: the chain has them.
  const maxBatchSize = options.batch?.maxSize ?? 100_000;
  for (const report of await reconcileWithChain(store, { client, registry, issuerIds: [...issuers.keys()], maxBatchSize, syncStatuses: false, now, ...(options.deployBlocks ? { deployBlocks: options.deployBlocks } : {}) })) {
    if (report.found.length === 0) continue;
    options.log?.("warn", "anchors found on-chain that this database did not know (a restored backup?): recorded as batches of unknown content", {
      issuerId: report.issuerId,
      batches: report.found.map((b) => ({ batchId: b.batchId, root: b.root, txHash: b.txHash })),
      indexFloor: report.indexFloor,
    });
  }
  const allocators = await statusAllocators(store, chain, issuers.keys());
  const secret = options.secret ?? (store.directory ? loadServerSecret(store.directory) : randomBytes(32));
  // VC ids kept in clear by databases from before the MACs (migration 6) are sealed now.
  await store.signedCredentials.sealLegacyVcIds((issuerId, vcId) => credentialIdMac(secret, issuerId, { id: vcId })!);
  const pool = new PreparePool(options.prepareThreads === undefined ? {} : { threads: options.prepareThreads });
  if (options.prepareThreadsAtStart) pool.start();
  const deps: IssuerDeps = {
    store,
    client,
    chainId,
    registry,
    issuers,
    identities,
    allocators,
    pool,
    secret,
    now,
    log: options.log,
    limits: {
      maxPerRequest: options.maxPerRequest ?? 10_000,
      statusGasBudget: options.statusGasBudget ?? 10_000_000,
      idempotencyWindowMs: options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS,
    },
    chainCheck: options.chainCheck,
    runtime: { growing: new Map(), recheckedUpTo: new Map(), latencies: [], purgedAt: 0, reservationsExpiredAt: 0, onAccepted: undefined, bundles: new BundleCache({ recheckMs: store.soleWriter ? BUNDLE_RECHECK_MS : 0 }), trees: new BatchTrees(), apiKeys: new Map() },
  };
  await purgeIdempotency(deps);
  await purgeExpiredShareLinks(deps);
  const hooks = createOutboxHooks(deps);
  const senders = [...issuers.values()].map(
    (account) =>
      new TxSender<Repositories>({
        store,
        client,
        account,
        chainId,
        registry,
        confirmations: options.confirmations ?? 0,
        bumpAfterMs: options.bumpAfterMs ?? 60_000,
        hooks,
        now,
        ...(options.log ? { log: options.log } : {}),
      }),
  );
  const pipeline = new BatchPipeline({
    store,
    senders,
    maxSize: maxBatchSize,
    maxWaitMs: options.batch?.maxWaitMs ?? 5_000,
    buildBatch: (issuerId, maxSize) => buildBatch(deps, issuerId, maxSize),
    beforeBuild: () => recheckQueuedIndices(deps),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.log ? { log: options.log } : {}),
    now,
  });
  deps.runtime.onAccepted = (issuerId, count) => pipeline.accepted(issuerId, count);
  return { service: bindService(deps), pipeline, issuers, close: () => pool.close() };
}

/** The IssuerService surfaces call: each method one use case over `deps`. */
function bindService(deps: IssuerDeps): IssuerService {
  return {
    authenticate: (token: string) => authenticate(deps, token),
    createApiKey: (principal: Principal, issuerId: number, request?: CreateApiKeyRequest) => createIssuerApiKey(deps, principal, issuerId, request),
    listApiKeys: (principal: Principal) => listVisibleApiKeys(deps, principal),
    revokeApiKey: (principal: Principal, keyId: string) => revokeVisibleApiKey(deps, principal, keyId),
    submitCredentials: (issuerId: number, request: SubmitRequest) => submitCredentials(deps, issuerId, request),
    submitCredentialText: (issuerId: number, request: { body: Uint8Array; jsonLimits: JsonLimits; idempotencyKey?: string }) => submitCredentialText(deps, issuerId, request),
    acceptSigned: (issuerId: number, sign: (slot: { id: string; statusIndex: number }) => Promise<JsonObject>) => acceptSigned(deps, issuerId, sign),
    getSignedCredential: (principal: Principal, id: string) => getSignedCredential(deps, principal, id),
    getCredential: (principal: Principal, id: string) => getCredential(deps, principal, id),
    getBundleText: (principal: Principal, id: string) => getBundleText(deps, principal, id),
    getBatch: (principal: Principal, id: number) => getBatch(deps, principal, id),
    requestStatusChange: (principal: Principal, request: StatusChangeRequest) => requestStatusChange(deps, principal, request),
    getStatusChange: (principal: Principal, id: number) => getStatusChange(deps, principal, id),
    eraseCredential: (principal: Principal, id: string) => eraseCredential(deps, principal, id),
    readiness: () => readiness(deps),
    unrecoverable: () => deps.store.unrecoverable?.(),
    stats: () => stats(deps),
    createHolderKey: (principal, credentialId) => createHolderKey(deps, principal, credentialId),
    createShareLink: (actor, credentialId, request) => createShareLink(deps, actor, credentialId, request),
    printedShareLink: (actor, credentialId) => printedShareLink(deps, actor, credentialId),
    listShareLinks: (actor, credentialId) => listShareLinks(deps, actor, credentialId),
    revokeShareLink: (actor, credentialId, linkId) => revokeShareLink(deps, actor, credentialId, linkId),
    openShareLink: (token) => openShareLink(deps, token),
  };
}
