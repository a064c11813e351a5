// The issuer service's contract with its surfaces (HTTP API, CLI): what it does, in plain types.
// Implemented by src/issuer/service.ts over a store (src/store) and the chain (src/chain).
// Views the API answers with are its schemas' types (z.infer): each shape is written once.
import type { z } from "zod";
import type { ApiKeyInfo, BatchResponse, ChainTransaction, CredentialResponse, StatusChangeBody, StatusChangeResponse, SubmitBody, TombstoneResponse } from "../api/schemas.ts";
import type { Bundle } from "../core/bundle.ts";
import type { JsonLimits, JsonObject } from "../core/json.ts";
import type { CreatedShareLink, ShareActor, ShareLinkView } from "./use-cases/share-links.ts";

/**
 * Who is calling: an issuer (by its on-chain issuer id) or the operator. An operator key with
 * `issuers` acts only for those issuers (docs/api.md, "Keys and scopes").
 */
export type Principal = { kind: "issuer"; issuerId: number; keyId: string } | { kind: "admin"; keyId: string; issuers?: readonly number[] };

/** An API key as listed: never the secret (only its hash is stored). The API's schema. */
export type ApiKeyView = z.infer<typeof ApiKeyInfo>;

export type CreateApiKeyRequest = { label?: string; expiresAt?: string };

/**
 * Lifecycle of a credential, in order. `confirmed` = its anchor has K confirmations; `failed` = its
 * batch can never be anchored (e.g. the signer key lost its authorisation): see the batch's error.
 */
export const CREDENTIAL_STATES = ["queued", "batched", "anchoring", "anchored", "confirmed", "failed"] as const;
export type CredentialState = (typeof CREDENTIAL_STATES)[number];

/**
 * Lifecycle of a batch: built (tree + proofs stored) → sending (tx signed/broadcast) → mined →
 * confirmed; or failed (its anchor would always revert: `error` says why).
 */
export type BatchState = BatchView["state"];

export type StatusAction = StatusChangeView["action"];
/** Lifecycle of a status change (revocation request) on-chain. */
export type StatusChangeState = StatusChangeView["state"];

/** The API's request body, plus the `Idempotency-Key` header. */
export type SubmitRequest = z.infer<typeof SubmitBody> & Idempotent;

/** Retry safety: same key + same body → same answer; same key + another body → IDEMPOTENCY_CONFLICT. */
type Idempotent = { idempotencyKey?: string };

/** `duplicate`: the issuer submitted a credential with the same own `id` before; this is that record (nothing new was issued). */
export type AcceptedCredential = { id: string; statusIndex: number; state: CredentialState; duplicate?: true };
export type SubmitResult = { credentials: AcceptedCredential[]; replayed: boolean };

export type ChainTxView = z.infer<typeof ChainTransaction>;

/**
 * The API's credential view; `bundle` (present once the batch is mined, until erasure) and
 * `credential` (as submitted, until erasure) typed as the core's JSON types rather than the
 * schema's open records. `revoked`/`suspended`: on-chain status as last applied by this service.
 */
export type CredentialView = Omit<z.infer<typeof CredentialResponse>, "bundle" | "credential"> & { bundle?: Bundle; credential?: JsonObject };

export type BatchView = z.infer<typeof BatchResponse>;

/**
 * The API's request body (credentialIds, statusIndices and batchId in any mix, all the caller's;
 * at least one), plus the `Idempotency-Key` header.
 */
export type StatusChangeRequest = z.infer<typeof StatusChangeBody> & Idempotent;

export type StatusChangeView = z.infer<typeof StatusChangeResponse>;

export type Tombstone = z.infer<typeof TombstoneResponse>;

export type Readiness = { ready: boolean; checks: { database: CheckState; chain: CheckState } };
export type CheckState = { ok: boolean; message: string };

/** Gauges and counters for /metrics, read on scrape. */
export type ServiceStats = {
  credentialsByState: Record<CredentialState, number>;
  batchesByState: Record<BatchState, number>;
  statusChangesByState: Record<StatusChangeState, number>;
  gasUsedTotal: bigint;
  feesPaidWeiTotal: bigint;
  /** Seconds from batch creation to mined, of recently mined batches. */
  anchorLatencySeconds: number[];
  /** Chain transactions closed without landing, by kind, outcome (failed, done, superseded) and error class. */
  chainTxsClosed: { kind: string; outcome: string; failure: string; count: number }[];
};

/**
 * The issuer service. Every method that changes state commits to the store before its promise
 * resolves, so a 2xx built on its result survives a crash. Errors are CredanchorError (src/core/errors.ts).
 */
export interface IssuerService {
  /** The principal behind an API key (`Authorization: Bearer <token>`), or undefined; constant-time. */
  authenticate(token: string): Promise<Principal | undefined>;
  /** Operator only: a new API key for an issuer served here and in the key's scope; the token is shown only here. */
  createApiKey(principal: Principal, issuerId: number, request?: CreateApiKeyRequest): Promise<{ keyId: string; token: string; expiresAt?: string }>;
  /** Operator only: the keys of the issuers in the key's scope (and operator keys, for an unlimited operator key). */
  listApiKeys(principal: Principal): Promise<ApiKeyView[]>;
  /** Operator only: revokes a key it may see (NOT_FOUND otherwise). */
  revokeApiKey(principal: Principal, keyId: string): Promise<ApiKeyView>;
  submitCredentials(issuerId: number, request: SubmitRequest): Promise<SubmitResult>;
  /**
   * The same from the body's UTF-8 JSON `{"credentials":[…]}`, decoded, parsed and checked on a worker
   * thread; undefined when the caller must parse it and call `submitCredentials` (small body, no
   * workers, or a body that is not a well-formed submission: the caller's parse gives the error).
   */
  submitCredentialText(issuerId: number, request: { body: Uint8Array; jsonLimits: JsonLimits; idempotencyKey?: string }): Promise<SubmitResult | undefined>;
  /**
   * Issues one signed credential: draws a status index, has `sign` build and sign the VC for it
   * (under the service id `id`), and stores it for anchoring: the content is the VC without its
   * proofs (what the anchor proof will cover), the issuer's proof beside it.
   */
  acceptSigned(issuerId: number, sign: (slot: { id: string; statusIndex: number }) => Promise<JsonObject>): Promise<{ id: string; statusIndex: number; credential: JsonObject }>;
  /** A signed credential (by service id or VC id) with its issuer's proof; NOT_FOUND for anything else (or another issuer's). */
  getSignedCredential(principal: Principal, id: string): Promise<{ view: CredentialView; proof: JsonObject }>;
  getCredential(principal: Principal, id: string): Promise<CredentialView>;
  /** An anchored credential's bundle as served (canonical JSON) and its ETag; GONE once erased, CONFLICT before anchoring. */
  getBundleText(principal: Principal, id: string): Promise<{ text: string; etag: string }>;
  getBatch(principal: Principal, id: number): Promise<BatchView>;
  requestStatusChange(principal: Principal, request: StatusChangeRequest): Promise<{ change: StatusChangeView; replayed: boolean }>;
  getStatusChange(principal: Principal, id: number): Promise<StatusChangeView>;
  eraseCredential(principal: Principal, id: string): Promise<Tombstone>;
  readiness(): Promise<Readiness>;
  /** Undefined while the process can work; else why only a restart helps (liveness, `/healthz`). */
  unrecoverable(): string | undefined;
  stats(): Promise<ServiceStats>;
  /** A new holder key for a credential (replacing any earlier one); shown only here. */
  createHolderKey(principal: Principal, credentialId: string): Promise<{ credentialId: string; holderKey: string; createdAt: string }>;
  /** A share link serving the credential's bundle minus `hide`; the token is shown only here. */
  createShareLink(actor: ShareActor, credentialId: string, request: { hide?: readonly string[]; expiresAt?: string }): Promise<CreatedShareLink>;
  /** The link a printed certificate of a credential too large for a QR code carries: the same one until it is revoked. */
  printedShareLink(actor: ShareActor, credentialId: string): Promise<CreatedShareLink>;
  listShareLinks(actor: ShareActor, credentialId: string): Promise<ShareLinkView[]>;
  revokeShareLink(actor: ShareActor, credentialId: string, linkId: string): Promise<ShareLinkView>;
  /** The disclosed bundle (canonical JSON) a share link's token opens. */
  openShareLink(token: string): Promise<string>;
}
