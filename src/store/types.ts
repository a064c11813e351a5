// The storage contract of the issuer service: the repositories its use cases need and the
// transaction that keeps them consistent. SQLite (src/store/sqlite) and PostgreSQL implement it.
//
// Conventions every implementation keeps:
// - Every method returns a Promise and is one atomic step (its own transaction when called on the
//   Store outside `transaction()`); several steps are atomic together only inside `transaction()`.
// - Rows (`…Row` types) mirror the SQLite columns (docs in src/store/sqlite/migrations.ts): snake
//   case, times as unix milliseconds (numbers), flags as 0 | 1, binary as Buffer, large wei
//   amounts as decimal strings. Inputs are camelCase objects.
// - Ids from `insert`/`enqueue` are positive integers that grow with insertion order.
// - A failure of the storage itself (disk full, read-only, connection lost, lock timeout) rejects
//   with ServiceError `STORAGE_UNAVAILABLE` (HTTP 503: nothing is answered 2xx that was not
//   stored). Any other rejection is a bug or a broken constraint named in the method's docs.
import type { ChainTxRow, OutboxRepository } from "../chain/outbox.ts";
import type { BatchState, CredentialState, StatusAction, StatusChangeState } from "../issuer/types.ts";

export type { ChainTxRow, OutboxRepository } from "../chain/outbox.ts";

// ── rows ──────────────────────────────────────────────────────────────────────────────────────

/** An accepted credential (table `credentials`). */
export type CredentialRow = {
  /** Acceptance order: batches take the oldest first. */
  seq: number;
  /** The service's id (a UUIDv7 string), unique. */
  id: string;
  issuer_id: number;
  /** Unique per issuer. */
  status_index: number;
  /** The credential JSON as stored (NULL once erased). */
  content: string | null;
  /** 16 bytes per field (NULL once erased). */
  salts: Buffer | null;
  digest: Buffer;
  leaf: Buffer;
  /** Unix seconds, as anchored in the leaf. */
  valid_from: number;
  valid_until: number;
  created_at: number;
  batch_id: number | null;
  leaf_index: number | null;
  /**
   * Sibling hashes, 32 bytes each: only in rows claimed before migration 9 (SQLite; PostgreSQL
   * 5). Newer rows have NULL and their proof is computed from the batch's leaves (`batches.leaves`).
   */
  proof: Buffer | null;
  /** As confirmed on-chain by this service. */
  revoked: 0 | 1;
  suspended: 0 | 1;
  erased_at: number | null;
};

/** A credential to store: what the prepare step produced for it. */
export type NewCredential = {
  id: string;
  issuerId: number;
  statusIndex: number;
  content: string;
  salts: Uint8Array;
  digest: Uint8Array;
  leaf: Uint8Array;
  validFrom: number;
  validUntil: number;
  createdAt: number;
};

/** A new status index with the salts, digest and leaf prepared for it (re-indexing a queued credential). */
export type Reindexing = { statusIndex: number; salts: Uint8Array; digest: Uint8Array; leaf: Uint8Array; validFrom: number; validUntil: number };

/** A queued credential without its content (the status-index re-check reads these). */
export type QueuedCredential = { seq: number; id: string; status_index: number };

/**
 * What a bundle needs of a credential's batch and anchor transaction, read with the credential in
 * one query (`credentials.getAnchored`); null when the credential is in no batch (or the batch has
 * no transaction yet).
 */
export type AnchorOfCredential = {
  batch: Pick<BatchRow, "id" | "root" | "state" | "tx_id" | "root_revoked" | "failed_at" | "registry"> | null;
  tx: Pick<ChainTxRow, "tx_hash" | "block_number"> | null;
};

/** A stored credential found by its own id's MAC, with its pipeline state. */
export type KnownCredential = { id: string; statusIndex: number; state: CredentialState };

/** A credential's status as stored: `revoked` also when its batch's root was revoked. */
export type StoredStatus = { revoked: boolean; suspended: boolean };

/** A batch (table `batches`). `state` never says `failed`: a failed batch has `failed_at` set. */
export type BatchRow = {
  id: number;
  issuer_id: number;
  /** The Merkle root, 32 bytes, unique. */
  root: Buffer;
  size: number;
  state: Exclude<BatchState, "failed">;
  /** Its anchor call in the outbox. */
  tx_id: number | null;
  root_revoked: 0 | 1;
  created_at: number;
  mined_at: number | null;
  confirmed_at: number | null;
  failed_at: number | null;
  error: string | null;
  /** Times an older version gave the batch a new root (a root taken on the v1 registry); 0 now. */
  rebuilds: number;
  /** The registry it is anchored on, lower case; NULL: the current one (meta `registry`). Migration 8. */
  registry: string | null;
  /** 1: found on-chain by a reconciliation (a restored backup did not know it); its credentials are not here. */
  reconciled: 0 | 1;
};

/** A revoke / suspend / reinstate request, or a whole-root revocation (table `status_changes`). */
export type StatusChangeRow = {
  id: number;
  issuer_id: number;
  action: StatusAction;
  reason: number;
  /** Ascending status indices (empty for a root revocation). */
  indices: number[];
  /** Set: revoke this batch's root. */
  batch_id: number | null;
  state: StatusChangeState;
  /** Its first transaction in the outbox. */
  tx_id: number | null;
  error: string | null;
  created_at: number;
};

/** A status change still in flight (pending, sending or mined). */
export type InFlightStatusChange = Pick<StatusChangeRow, "id" | "action" | "indices" | "batch_id">;

/** A webhook delivery due now, with where it goes. */
export type DueWebhook = { id: number; event: string; payload: string; attempts: number; url: string | null; secret: string | null };

/** A signed credential's row (VC-API): its issuer's proof; its VC id only as a keyed MAC. */
export type SignedCredentialRow = { credential_id: string; issuer_id: number; proof: string };

/** An API key (table `api_keys`). */
export type ApiKeyRow = {
  /** Public key id, part of the token. */
  id: string;
  /** NULL: an operator (admin) key. */
  issuer_id: number | null;
  /** SHA-256 of the secret. */
  secret_hash: Buffer;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
  /** NULL: never. */
  expires_at: number | null;
  /** Operator keys only: JSON array of the issuer ids it may act for; NULL: every issuer. */
  issuer_scope: string | null;
};

/** Submissions and status changes keep their Idempotency-Keys apart: the same key may name one of each. */
export type IdempotencyScope = "submit" | "status";
export type IdempotencyRow = { requestMac: Buffer; response: string };

/** Chain transactions closed without being confirmed, by kind, outcome and error class. */
export type ClosedTxCount = { kind: string; outcome: string; failure: string; count: number };

/**
 * A share link (table `share_links`): a holder-facing link serving one disclosed bundle of a
 * credential. Only a SHA-256 of its secret is stored; the bundle goes (NULL) once the link is
 * revoked or expired, and the whole row once its credential is erased.
 */
export type ShareLinkRow = {
  /** Public id (16 hex), part of the token; listed, never enough to open the link. */
  id: string;
  credential_id: string;
  /** SHA-256 of the token's secret. */
  secret_hash: Buffer;
  /** The disclosed bundle served (canonical JSON); NULL once revoked or expired. */
  bundle: string | null;
  /** JSON array of the JSON pointers hidden in it (names, never values). */
  hidden: string;
  /** Who made it: `issuer`, `holder` or `pdf` (a certificate whose QR code points at it). */
  created_by: string;
  created_at: number;
  /** NULL: never. */
  expires_at: number | null;
  revoked_at: number | null;
};

/** A credential's holder key (table `holder_keys`): only a SHA-256 of its secret; one per credential. */
export type HolderKeyRow = { credential_id: string; secret_hash: Buffer; created_at: number };

/** Everything `/metrics` reads from storage, in one call. */
export type StorageCounts = {
  /** Credentials not in a batch. */
  queued: number;
  /** Per batch state (`failed` when `failed_at` is set, whatever `state` says): batches and the credentials in them. */
  batches: { state: BatchState; count: number; credentials: number }[];
  statusChanges: { state: StatusChangeState; count: number }[];
  /** Sums over mined transactions: gas used, and gas used × effective gas price (wei). */
  gasUsed: bigint;
  feesPaidWei: bigint;
  /** A counter: chain transactions are never deleted. */
  closedTxs: ClosedTxCount[];
};

// ── repositories ──────────────────────────────────────────────────────────────────────────────

/** Facts about the deployment the database belongs to (`chainId`, `registry`, `chainFingerprint`; `readyz` as a write probe). */
export interface MetaRepository {
  get(key: string): Promise<string | undefined>;
  /** Inserts or overwrites. */
  set(key: string, value: string): Promise<void>;
}

/** Who the service anchors for: one row per on-chain issuer whose signer key it holds. */
export interface IssuerRepository {
  /** Records a served issuer; an existing row keeps its list size (and webhook) and takes the new signer. */
  upsert(issuer: { id: number; signer: string; listSize: number; at: number }): Promise<void>;
  /** Whether the issuer has a row. */
  isKnown(issuerId: number): Promise<boolean>;
  /** The status list size handed out so far (every index below it was checked on-chain); undefined for an unknown issuer. */
  listSize(issuerId: number): Promise<number | undefined>;
  /** Raises the stored list size to `size`; never lowers it. */
  growListSize(issuerId: number, size: number): Promise<void>;
  /** Where the issuer's webhooks go (`url` NULL: none). */
  webhook(issuerId: number): Promise<{ url: string | null; secret: string | null } | undefined>;
  setWebhook(issuerId: number, url: string | null, secret: string | null): Promise<void>;
}

/** Accepted credentials. */
export interface CredentialRepository {
  /**
   * Stores credentials in the given order (their `seq` grows in that order), unbatched, not
   * revoked, not suspended. Rejects, storing none of them, when an `id` or an (issuer,
   * statusIndex) pair exists already. One call per request: the hot path of acceptance.
   */
  insertMany(credentials: readonly NewCredential[]): Promise<void>;
  /** One credential by the service's id. */
  get(id: string): Promise<CredentialRow | undefined>;
  /** One credential by the service's id with its batch and anchor transaction, in one query (what serving a bundle reads). */
  getAnchored(id: string): Promise<(CredentialRow & AnchorOfCredential) | undefined>;
  /** Issuer and status index of each of these ids that exists (ids not found are absent from the map). */
  locate(ids: readonly string[]): Promise<Map<string, { issuerId: number; statusIndex: number }>>;
  /** Which of these status indices an issuer's credentials hold. */
  heldIndices(issuerId: number, indices: readonly number[]): Promise<Set<number>>;
  /** Every status index given to the issuer's credentials (any state, erased too). */
  allIndices(issuerId: number): Promise<number[]>;
  /** Stored status of each of these indices of the issuer that a credential holds. */
  statuses(issuerId: number, indices: readonly number[]): Promise<Map<number, StoredStatus>>;
  /** Sets the flag `action` changes (revoke: revoked; suspend / reinstate: suspended) on the issuer's credentials at these indices. */
  applyStatus(issuerId: number, action: StatusAction, indices: readonly number[]): Promise<void>;
  /** Unbatched credentials per issuer (issuers with none may be absent). */
  queueDepths(): Promise<Map<number, number>>;
  /** `created_at` of the issuer's oldest unbatched credential (lowest seq), if any. */
  oldestQueuedAt(issuerId: number): Promise<number | undefined>;
  /** The issuer's oldest unbatched credentials (ascending seq), at most `limit`: a batch's candidates. */
  nextForBatch(issuerId: number, limit: number): Promise<{ seq: number; digest: Buffer }[]>;
  /**
   * Claims credentials for batch `batchId`: the credential with seq `seqs[k]` gets batch_id and
   * leaf_index k, if still unbatched (`batch_id IS NULL`, checked per row). Set-based (one
   * statement per slice, not one per row). Returns how many it claimed; a credential already in a
   * batch is left alone and not counted, so a credential is never in two batches. The caller
   * aborts its transaction when the count falls short.
   */
  claimForBatch(batchId: number, seqs: readonly number[]): Promise<number>;
  /** The issuer's unbatched credentials with seq > afterSeq, ascending (without content). */
  queuedAfter(issuerId: number, afterSeq: number): Promise<QueuedCredential[]>;
  /** A credential's content by seq (null once erased or unknown). */
  content(seq: number): Promise<string | null>;
  /** Gives a still-unbatched credential a new index, salts, digest and leaf; false (nothing changed) if a batch claimed it meanwhile. */
  reindexQueued(seq: number, reindexing: Reindexing): Promise<boolean>;
  /**
   * Erases a credential (GDPR): content and salts become NULL, erased_at is set, and in the same
   * step its id-MAC rows (`credentialIds`) and its signed-credential row (`signedCredentials`)
   * are deleted (and its share links and holder key: `shareLinks`), so erasure leaves nothing of
   * it but digest, leaf and (rows claimed before migration 9) proof; its digest also stays among
   * its batch's leaves (`batches.leaves`). An implementation
   * must overwrite, not just unlink, where it can (SQLite: secure_delete). False if it was
   * already erased or does not exist.
   */
  erase(id: string, at: number): Promise<boolean>;
  /**
   * Reserves freshly drawn status indices before credentials are prepared with them, so that
   * replicas sharing the database never prepare two credentials with the same index. Returns
   * those now reserved for the caller: not reserved by another draw, not held by a credential.
   * PostgreSQL: one reservation row each. SQLite (one process, whose allocator is the
   * authority): all of them.
   */
  reserveIndices(issuerId: number, indices: readonly number[], at: number): Promise<Set<number>>;
  /** Drops reservations of indices given back unused (no credential was stored with them). */
  releaseIndices(issuerId: number, indices: readonly number[]): Promise<void>;
  /**
   * Drops reservations made before `heldBefore` whose index a credential now holds, and any made
   * before `before` (left by a process that stopped mid-draw); returns how many.
   */
  expireReservations(heldBefore: number, before: number): Promise<number>;
}

/** Which credential ids an issuer submitted, as keyed MACs (deduplication of re-runs). */
export interface CredentialIdRepository {
  /**
   * The issuer's stored credentials under these MACs, keyed by the MAC's lower-case hex. `state`
   * is the credential's pipeline state: queued (no batch), failed (batch failed_at set), else
   * from the batch state (built → batched, sending → anchoring, mined → anchored, confirmed).
   */
  known(issuerId: number, macs: readonly Buffer[]): Promise<Map<string, KnownCredential>>;
  /** Records MAC → credential pairs; (issuer, mac) is unique: rejects on a repeat. */
  remember(issuerId: number, entries: readonly { mac: Buffer; credentialId: string }[]): Promise<void>;
}

/** The issuer's proofs of credentials issued signed (VC-API), beside the credential rows. */
export interface SignedCredentialRepository {
  /** Stores the proof (JSON) of a stored credential and the keyed MAC of the VC's own id (never the id itself). */
  insert(row: { credentialId: string; vcIdMac: Buffer; proof: string }): Promise<void>;
  /** The rows whose credential id is `credentialId` or whose VC id MAC is one of `vcIdMacs`, newest credential (highest seq) first. */
  find(credentialId: string, vcIdMacs: readonly Buffer[]): Promise<SignedCredentialRow[]>;
  /**
   * Replaces VC ids still kept in clear by databases from before migration 6 with their MAC;
   * returns how many it sealed (0 once done; PostgreSQL never has any).
   */
  sealLegacyVcIds(mac: (issuerId: number, vcId: string) => Buffer): Promise<number>;
}

/** Batches: a Merkle tree of credentials anchored by one registry call. */
export interface BatchRepository {
  /** Stores a new batch in state `built` without a transaction; returns its id. The root is unique: rejects on a repeat. */
  insert(batch: { issuerId: number; root: Uint8Array; size: number; at: number }): Promise<number>;
  get(id: number): Promise<BatchRow | undefined>;
  setTx(id: number, txId: number): Promise<void>;
  /** built → sending (no change from any other state). */
  markSending(id: number): Promise<void>;
  /** → mined at `at`. */
  markMined(id: number, at: number): Promise<void>;
  /** → confirmed at `at`. */
  markConfirmed(id: number, at: number): Promise<void>;
  /** Its anchor's block was reorganised away: → sending, mined_at NULL. */
  markUnmined(id: number): Promise<void>;
  /** The anchor will never land: failed_at and error set (state stays). */
  markFailed(id: number, at: number, error: string | null): Promise<void>;
  markRootRevoked(id: number): Promise<void>;
  /** Stores the batch's credential digests in leaf order (32 bytes each), from which any proof is computed. Once per batch. */
  setLeaves(id: number, digests: Uint8Array): Promise<void>;
  /** The batch's digests in leaf order; undefined for a batch built before migration 9 (its rows hold their proofs) or a reconciled one. */
  leaves(id: number): Promise<Buffer | undefined>;
}

/** Status changes (revocation requests). */
export interface StatusChangeRepository {
  /** Stores a change in state `pending`; returns its id. `indices` are stored ascending as given. */
  insert(change: { issuerId: number; action: StatusAction; reason: number; indices: readonly number[]; batchId: number | null; at: number }): Promise<number>;
  get(id: number): Promise<StatusChangeRow | undefined>;
  setTx(id: number, txId: number): Promise<void>;
  /** The issuer's changes in state pending, sending or mined, oldest (lowest id) first. */
  inFlight(issuerId: number): Promise<InFlightStatusChange[]>;
  setState(id: number, state: StatusChangeState, error: string | null): Promise<void>;
  /** Records why a retry is under way, unless the change has failed for good. */
  noteError(id: number, error: string): Promise<void>;
}

/** Webhook deliveries, retried with backoff. */
export interface WebhookRepository {
  /** Queues a delivery due at `at`. */
  enqueue(delivery: { issuerId: number; event: string; payload: string; at: number }): Promise<void>;
  /** Undelivered, not given up, due at or before `now`: earliest due first, at most `limit`, with the issuer's webhook URL and secret. */
  due(now: number, limit: number): Promise<DueWebhook[]>;
  delivered(id: number, attempts: number, at: number): Promise<void>;
  /** A failed attempt: the next one is due at `nextAt`, or none if `givenUp`. */
  failed(id: number, update: { attempts: number; nextAt: number; error: string; givenUp: boolean }): Promise<void>;
}

/** API keys: only a SHA-256 of each secret is stored. */
export interface ApiKeyRepository {
  /** Stores a key (revoked_at NULL). Rejects when the id exists, unless `orIgnore` (then returns false and changes nothing). */
  insert(row: Omit<ApiKeyRow, "revoked_at">, options?: { orIgnore?: boolean }): Promise<boolean>;
  /** The key if neither revoked nor expired at `now` (expires_at > now). */
  findActive(id: string, now: number): Promise<ApiKeyRow | undefined>;
  get(id: string): Promise<ApiKeyRow | undefined>;
  /** Every key, by created_at then id. */
  list(): Promise<ApiKeyRow[]>;
  /** Sets revoked_at on a key not revoked yet; false if none. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Whether an operator key (issuer_id NULL) neither revoked nor expired at `now` exists. */
  hasActiveAdmin(now: number): Promise<boolean>;
}

/** Idempotency-Key answers: a keyed MAC of each request and its answer, per issuer and scope. */
export interface IdempotencyRepository {
  /** The answer stored for (issuer, scope, key) at or after `since`. */
  find(q: { issuerId: number; scope: IdempotencyScope; key: string; since: number }): Promise<IdempotencyRow | undefined>;
  /** Stores an answer; replaces a row with the same (issuer, scope, key). */
  save(r: { issuerId: number; scope: IdempotencyScope; key: string; requestMac: Buffer; response: string; at: number }): Promise<void>;
  /** Deletes rows stored before `before`; returns how many. */
  purge(before: number): Promise<number>;
  /**
   * After an erasure: empties the request MAC of every `submit` row of the issuer whose response
   * contains `"<credentialId>"` (the JSON string), so that key can no longer be replayed or matched.
   */
  forgetErased(issuerId: number, credentialId: string): Promise<void>;
}

/** Who did what that must be answerable later (erasures: the tombstones). Append-only. */
export interface AuditRepository {
  append(entry: { at: number; actor: string; action: string; subject: string; details: string }): Promise<void>;
}

/** A registry the database anchored to (table `registries`): the upgrade history. */
export type RegistryRow = {
  /** Lower case. */
  address: string;
  /** When the service started anchoring to it (unix ms; 0: from the start of the database). */
  since: number;
  /** When an upgrade replaced it; NULL: the current registry. */
  until: number | null;
};

/** An anchor of the issuer found on-chain that the database did not know (a restored backup). */
export type ReconciledAnchor = {
  issuerId: number;
  root: Uint8Array;
  /** Lower case. */
  registry: string;
  signer: string;
  /** The anchor call's calldata (recorded as the batch's transaction). */
  data: string;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  /** Unix seconds. */
  blockTime: number;
  at: number;
};

/**
 * Registry upgrades (F11) and reconciliation with the chain after a restore (F9): which registry
 * each batch and transaction belongs to, anchors known only from the chain, and the status
 * index floor below which no new credential draws (indices of credentials the database lost).
 */
export interface RegistryRepository {
  /** Every registry the database anchored to, oldest first; empty until the first upgrade. */
  history(): Promise<RegistryRow[]>;
  /**
   * Upgrade from registry `from` to `to`, in one step: every batch and chain transaction with no
   * registry yet is stamped `from` (they stay on it: their credentials' digests name it), `from`
   * is closed at `at` (recorded since 0 if it had no row) and `to` becomes the current one.
   */
  upgrade(u: { from: string; to: string; at: number }): Promise<void>;
  /** The registry of the batch holding each of these of the issuer's indices (null: the current one); indices in no batch are absent. */
  registriesOf(issuerId: number, indices: readonly number[]): Promise<Map<number, string | null>>;
  /** Which of these roots (lower-case 0x hex in the result) the issuer has a batch for. */
  knownRoots(issuerId: number, roots: readonly Uint8Array[]): Promise<Set<string>>;
  /** Stores an anchor found on-chain as a confirmed batch of unknown size (0, `reconciled` 1) with its confirmed anchor transaction; returns the batch id. */
  insertReconciled(anchor: ReconciledAnchor): Promise<number>;
  /** The registry (null: current) of the issuer's newest reconciled batch; undefined: none. */
  reconciledRegistry(issuerId: number): Promise<string | null | undefined>;
  /** No new credential of the issuer draws a status index below this (0: none). */
  indexFloor(issuerId: number): Promise<number>;
  /** Raises the floor to `floor`; never lowers it. */
  raiseIndexFloor(issuerId: number, floor: number): Promise<void>;
  /** Every issuer the database has a row for (whose anchors a reconciliation scans), ascending. */
  issuerIds(): Promise<number[]>;
  /** The issuer's reconciled batch (`reconciled` 1) with this root, if any. */
  reconciledBatch(issuerId: number, root: Uint8Array): Promise<BatchRow | undefined>;
  /** A reconciled batch whose credentials the database holds after all (queued in the backup): records its size, `reconciled` back to 0. */
  adopt(batchId: number, size: number): Promise<void>;
}

/** Aggregates for metrics. */
export interface CountsRepository {
  counts(): Promise<StorageCounts>;
  /** Creation time of the oldest chain transaction neither confirmed nor closed, if any (a cheap gauge). */
  oldestOpenTxAt(): Promise<number | undefined>;
}

/**
 * Share links and holder keys. Erasing a credential deletes both kinds of row in the same step
 * (`credentials.erase`), so an erased credential's links stop at once and leave no trace.
 */
export interface ShareLinkRepository {
  /** Stores a link (revoked_at NULL). Rejects when the id exists. */
  insert(row: Omit<ShareLinkRow, "revoked_at">): Promise<void>;
  get(id: string): Promise<ShareLinkRow | undefined>;
  /** A credential's links, by created_at then id. */
  list(credentialId: string): Promise<ShareLinkRow[]>;
  /** Sets revoked_at and drops the bundle of a link not revoked yet; false if none. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Drops the bundle of every link expired at `now` (expires_at <= now); returns how many. */
  purgeExpired(now: number): Promise<number>;
  /** Sets the credential's holder key, replacing (revoking) any earlier one. */
  setHolderKey(row: HolderKeyRow): Promise<void>;
  holderKey(credentialId: string): Promise<HolderKeyRow | undefined>;
}

/** Every repository; inside `transaction()` these are the transaction's own. */
export interface Repositories {
  readonly meta: MetaRepository;
  readonly issuers: IssuerRepository;
  readonly credentials: CredentialRepository;
  readonly credentialIds: CredentialIdRepository;
  readonly signedCredentials: SignedCredentialRepository;
  readonly batches: BatchRepository;
  readonly statusChanges: StatusChangeRepository;
  readonly outbox: OutboxRepository;
  readonly webhooks: WebhookRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly idempotency: IdempotencyRepository;
  readonly audit: AuditRepository;
  readonly stats: CountsRepository;
  readonly shareLinks: ShareLinkRepository;
  readonly registries: RegistryRepository;
}

/**
 * The issuer service's storage. Create one with `openSqliteStore(path)` (embedded default) or the
 * PostgreSQL factory; the service never sees which.
 *
 * @example
 * const store = openSqliteStore("data/credanchor.db");
 * const id = await store.transaction(async (tx) => {
 *   const batchId = await tx.batches.insert({ issuerId: 1, root, size: 2, at: Date.now() });
 *   const txId = await tx.outbox.enqueue({ signer, kind: "anchor", refId: batchId, data, at: Date.now() });
 *   await tx.batches.setTx(batchId, txId);
 *   return batchId;
 * });
 */
export interface Store extends Repositories {
  readonly kind: "sqlite" | "postgres";
  /**
   * Whether this process is the database's only writer (SQLite: one service holds the file), so
   * what it holds in memory cannot be changed under it by a replica: status index reservations
   * are not needed (its allocator is the authority), a bundle it confirmed stays true until it
   * erases it. False where replicas share the database (PostgreSQL).
   */
  readonly soleWriter: boolean;
  /**
   * The directory holding the database file, where files kept beside it live (the server
   * secret); undefined for an in-memory or a remote database.
   */
  readonly directory: string | undefined;
  /**
   * Runs `fn` in one storage transaction and returns what it returns: all of its writes commit
   * together when its promise resolves, none when it rejects (the rejection is passed on). This
   * is how the outbox hooks run in the same transaction as the state change they record.
   *
   * Guarantees: transactions of one process are serialisable with respect to each other (SQLite:
   * one at a time; PostgreSQL: SERIALIZABLE, or locks giving the same result); a statement
   * outside a transaction never sees nor interleaves with an open transaction's writes.
   * Inside `fn`, use only `tx` (calling the Store itself from inside may wait for `fn` forever);
   * `fn` must not call `transaction()` again. `fn` may be run again from the start after a
   * serialisation failure (PostgreSQL), so it may read and write only through `tx` and compute
   * from its arguments, never change state outside it (push to outer arrays, release indices…):
   * do that after the returned promise resolves.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * After an erasure: makes sure the erased text survives nowhere the store controls (SQLite:
   * checkpoints and truncates the WAL). Resolves false when part of it must wait for the next
   * checkpoint (a reader held it); never rejects for that.
   */
  afterErasure(): Promise<boolean>;
  /**
   * Why the store can no longer work until the process restarts (SQLite: its database thread
   * kept dying and was given up on), or undefined while it can. Liveness (`/healthz`) reports it,
   * so an orchestrator restarts the process instead of leaving it refusing every write.
   */
  unrecoverable?(): string | undefined;
  /** Closes the store; pending calls finish first. */
  close(): Promise<void>;
}
