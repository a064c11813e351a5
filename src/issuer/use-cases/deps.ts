// What every use case of the issuer service runs over: the store, the chain, the issuers served,
// and the little state one process keeps between calls (status index allocators, caches).
import type { Address, LocalAccount, PublicClient } from "viem";
import { ServiceError } from "../../core/errors.ts";
import type { ApiKeyRow, Store } from "../../store/types.ts";
import type { BatchTrees } from "../batch-trees.ts";
import type { BundleCache } from "../bundle-cache.ts";
import type { PreparePool } from "../prepare-pool.ts";
import type { StatusIndexAllocator } from "../status-index.ts";
import type { BatchState, CredentialState, Principal } from "../types.ts";

export type ServiceLogger = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

/** The dependencies of the use cases (built once by createIssuerService). */
export type IssuerDeps = {
  store: Store;
  client: PublicClient;
  chainId: number;
  registry: Address;
  /** Signer key per issuer served. */
  issuers: ReadonlyMap<number, LocalAccount>;
  /** Each issuer's organisational identity, as the chain says (readIssuerIdentity). */
  identities: ReadonlyMap<number, string>;
  allocators: ReadonlyMap<number, StatusIndexAllocator>;
  pool: PreparePool;
  /** Keys the request and credential-id MACs. */
  secret: Buffer;
  now: () => number;
  log: ServiceLogger | undefined;
  limits: { maxPerRequest: number; statusGasBudget: number; idempotencyWindowMs: number };
  /** The chain's health as last probed (the server's chain monitor); absent: readiness asks the chain. */
  chainCheck: (() => { ok: boolean; message: string }) | undefined;
  /** This process's memory between calls (none of it is needed after a restart). */
  runtime: Runtime;
};

export type Runtime = {
  /** A status list growing (its new range being read on-chain), per issuer: growths never overlap. */
  growing: Map<number, Promise<void>>;
  /** Per issuer: the last queued credential whose status index was re-checked on-chain. */
  recheckedUpTo: Map<number, number>;
  /** Seconds from batch creation to mined, of the last 1,000 batches mined. */
  latencies: number[];
  /** When Idempotency-Key rows were last purged. */
  purgedAt: number;
  /** When expired status index reservations were last dropped (see expireReservationsIfDue). */
  reservationsExpiredAt: number;
  /** Called after credentials are stored (the pipeline wakes up to check for a full batch). */
  onAccepted: ((issuerId: number, count: number) => void) | undefined;
  /** Serialised bundles served recently (checked against the database on every request). */
  bundles: BundleCache;
  /** Batches' Merkle trees, from which bundles' proofs are computed (a batch's leaves never change). */
  trees: BatchTrees;
  /** Active API keys as read from the store, by key id, with when they were read (see `authenticate`). */
  apiKeys: Map<string, { row: ApiKeyRow; at: number }>;
};

/** Unix ms → RFC 3339, or undefined. */
export const iso = (ms: number | null | undefined): string | undefined => (ms == null ? undefined : new Date(ms).toISOString());

/** A credential's state from its batch's (null: not in a batch). */
export function credentialState(batchState: BatchState | null): CredentialState {
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

/** A batch's state as surfaces see it: a failed anchor shows as `failed` whatever step it stopped at. */
export const batchState = (batch: { state: Exclude<BatchState, "failed">; failed_at: number | null }): BatchState => (batch.failed_at !== null ? "failed" : batch.state);

/** Whether `principal` may see `issuerId`'s data: its own issuer, or an operator key whose scope includes it. */
export function mayAct(principal: Principal, issuerId: number): boolean {
  return principal.kind === "issuer" ? principal.issuerId === issuerId : principal.issuers === undefined || principal.issuers.includes(issuerId);
}

/** Throws FORBIDDEN unless `principal` is an operator key. */
export function assertOperator(principal: Principal, what: string): asserts principal is Extract<Principal, { kind: "admin" }> {
  if (principal.kind !== "admin") throw new ServiceError(`only the operator's key can ${what}`, { code: "FORBIDDEN" });
}

/** Throws FORBIDDEN unless this service holds a signer key of `issuerId`. */
export function assertServedIssuer(deps: IssuerDeps, issuerId: number): void {
  if (!deps.issuers.has(issuerId)) {
    throw new ServiceError(`issuer ${issuerId} is not served by this service (no signer key for it)`, { code: "FORBIDDEN" });
  }
}

/** Who did it, as the audit log names it. */
export const actorOf = (principal: Principal): string => (principal.kind === "admin" ? `admin:${principal.keyId}` : `issuer:${principal.issuerId}:${principal.keyId}`);
