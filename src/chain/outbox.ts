// The outbox's storage contract: the rows the transaction sender reads and writes, and the hooks
// its owners run in the same storage transaction. Types only: chain/ never imports a store.
import type { Hex } from "viem";

export type ChainTxKind = "anchor" | "status" | "revokeRoot";
export type ChainTxState = "queued" | "signed" | "sent" | "mined" | "confirmed";
/**
 * How a transaction ended without being confirmed: it never holds back later work again.
 * `superseded` (a batch root taken by another issuer) is only found in databases written before
 * the v2 registry keyed anchors per issuer; nothing writes it any more.
 */
export type ChainTxOutcome = "failed" | "done" | "superseded";

/** One registry call of the outbox (table `chain_txs`). Times are unix ms unless named otherwise. */
export type ChainTxRow = {
  id: number;
  /** The signer's address, lower case. */
  signer: string;
  kind: ChainTxKind;
  /** The owner: `batches.id` for an anchor, `status_changes.id` for status and revokeRoot calls. */
  ref_id: number;
  /** Calldata to the registry. */
  data: Hex;
  state: ChainTxState;
  nonce: number | null;
  /** The attempt that was mined. */
  tx_hash: Hex | null;
  block_number: number | null;
  block_hash: Hex | null;
  /** Unix seconds (the block's timestamp). */
  block_time: number | null;
  /** Decimal strings (wei values do not fit a double). */
  gas_used: string | null;
  gas_price: string | null;
  errors: number;
  last_error: string | null;
  /** Retry backoff: not advanced before this time. */
  not_before: number;
  created_at: number;
  outcome: ChainTxOutcome | null;
  /** Class of the final error (a custom error name), for metrics. */
  failure: string | null;
  /** Mined reverts so far (each one cost a fee). */
  reverts: number;
  /** The registry it calls, lower case; NULL: the sender's (current) registry. Migration 8. */
  target: string | null;
};

/** The columns of a chain transaction the sender changes (`updated_at` is set by the store). */
export type ChainTxChange = Partial<Omit<ChainTxRow, "id" | "signer" | "kind" | "ref_id" | "data" | "created_at" | "target">>;

/** One signed transaction (table `tx_attempts`), stored before it is broadcast. */
export type TxAttemptRow = { hash: Hex; nonce: number; raw: Hex; max_fee: string; priority_fee: string; sent_at: number };

/** A block recorded as holding one of a signer's transactions. */
export type RecordedBlock = { number: number; hash: string };

/**
 * The outbox of registry calls: `chain_txs` and `tx_attempts`. Every method is one atomic step;
 * several in a row are atomic together only inside `transaction()`.
 */
export interface OutboxRepository {
  /**
   * Queues a call (state `queued`, no nonce); returns its id. Ids grow with insertion order, and a
   * signer's calls are sent in id order (the sender relies on it).
   */
  enqueue(call: { signer: string; kind: ChainTxKind; refId: number; data: Hex; at: number; target?: string | null }): Promise<number>;
  /** One transaction by id. */
  get(id: number): Promise<ChainTxRow | undefined>;
  /** A signer's transactions neither confirmed nor closed (`outcome` NULL), in id order. `signer` is compared lower case. */
  open(signer: string): Promise<ChainTxRow[]>;
  /** Sets `change` and `updated_at = at` on transaction `id`; returns the row as stored afterwards. */
  update(id: number, change: ChainTxChange, at: number): Promise<ChainTxRow>;
  /** The transactions of `kinds` owned by `refId`, in id order (a bulk status change has several). */
  byOwner(kinds: readonly ChainTxKind[], refId: number): Promise<ChainTxRow[]>;
  /** Stores a signed attempt of transaction `txId` (its hash is unique: storing one twice fails). */
  addAttempt(txId: number, attempt: TxAttemptRow): Promise<void>;
  /** Every attempt of a transaction, newest first (`sent_at` descending, then the later stored first). */
  attempts(txId: number): Promise<TxAttemptRow[]>;
  /**
   * Distinct (block_number, block_hash) of the signer's transactions in state mined or confirmed
   * with `block_number < below`, highest first, at most `limit` (a page of the rewind walk).
   */
  recordedBlocks(signer: string, below: number, limit: number): Promise<RecordedBlock[]>;
  /** The signer's transactions in state mined or confirmed with `block_number >= fromBlock`, in id order. */
  landedSince(signer: string, fromBlock: number): Promise<ChainTxRow[]>;
  /** Moves the signer's `sent` transactions back to `signed` (they are broadcast again); returns how many. */
  resendSent(signer: string, at: number): Promise<number>;
}

/**
 * What the owner of a transaction does when it changes state. Each runs inside the same storage
 * transaction as the state change (`tx` is that transaction's repositories), so the domain rows
 * (batches, status changes) never disagree with the outbox after a crash.
 */
export type TxHooks<Tx> = {
  /** The first signature was stored: the work is now "sending". */
  signed(tx: Tx, row: ChainTxRow): Promise<void>;
  mined(tx: Tx, row: ChainTxRow): Promise<void>;
  confirmed(tx: Tx, row: ChainTxRow): Promise<void>;
  /** The block holding it was reorganised away and no attempt is on-chain any more. */
  reorged(tx: Tx, row: ChainTxRow): Promise<void>;
  /** It was mined but reverted, or would revert for a reason we cannot name: retried after a backoff. */
  reverted(tx: Tx, row: ChainTxRow, reason: string): Promise<void>;
  /**
   * It will never be sent again: `done` (its effect is already on-chain) or `failed` (it would
   * always revert, or the node refuses it for good). `row.outcome`, `row.failure` and
   * `row.last_error` say which and why.
   */
  closed(tx: Tx, row: ChainTxRow): Promise<void>;
};

/** The part of a store the sender needs: its outbox, and transactions whose repositories include it. */
export type OutboxStore<Tx extends { outbox: OutboxRepository }> = {
  readonly outbox: OutboxRepository;
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
};
