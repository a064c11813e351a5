// The transaction outbox: sends the registry calls queued in `chain_txs`, one at a time per
// signer, with every signed transaction stored before it is broadcast. It tracks nonces, bumps
// fees of stuck transactions, waits for K confirmations and re-sends when a reorg drops a block.
import {
  BaseError,
  decodeErrorResult,
  keccak256,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { crashPoint } from "../issuer/crash-points.ts";
import type { Db } from "../store/db.ts";
import { credentialRegistryV1Abi, credentialRegistryV2Abi } from "./abi.ts";
import { forgottenBlocks } from "./rewind.ts";

export type ChainTxKind = "anchor" | "status" | "revokeRoot";
export type ChainTxState = "queued" | "signed" | "sent" | "mined" | "confirmed";

export type ChainTxRow = {
  id: number;
  signer: string;
  kind: ChainTxKind;
  ref_id: number;
  data: Hex;
  state: ChainTxState;
  nonce: number | null;
  tx_hash: Hex | null;
  block_number: number | null;
  block_hash: Hex | null;
  block_time: number | null;
  gas_used: string | null;
  gas_price: string | null;
  errors: number;
  last_error: string | null;
  not_before: number;
  created_at: number;
};

type AttemptRow = { hash: Hex; nonce: number; raw: Hex; max_fee: string; priority_fee: string; sent_at: number };

/**
 * What the owner of a transaction does when it changes state. Each runs inside the same SQLite
 * transaction as the state change, so the domain rows (batches, status changes) never disagree
 * with the outbox after a crash.
 */
export type TxHooks = {
  /** The first signature was stored: the work is now "sending". */
  signed(tx: ChainTxRow): void;
  mined(tx: ChainTxRow): void;
  confirmed(tx: ChainTxRow): void;
  /** The block holding it was reorganised away and no attempt is on-chain any more. */
  reorged(tx: ChainTxRow): void;
  /** It was mined but reverted, or would revert: it will be retried after a backoff. */
  reverted(tx: ChainTxRow, reason: string): void;
};

export type SenderOptions = {
  db: Db;
  client: PublicClient;
  account: LocalAccount;
  chainId: number;
  registry: Address;
  /** Blocks on top of the mined one, counting it, before "confirmed" (0: confirmed when mined). */
  confirmations: number;
  /** A transaction not mined after this long is replaced with higher fees (same nonce). */
  bumpAfterMs: number;
  hooks: TxHooks;
  /** Optional: a fixed priority fee (wei); default: ask the node. */
  priorityFeeWei?: bigint;
  now?: () => number;
  log?: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
};

/** What {@link TxSender.rewind} found: the chain's head now, and the transactions it forgot. */
export type RewindReport = {
  signer: string;
  head: number;
  /** The oldest forgotten block. */
  fromBlock: number;
  txs: { id: number; kind: ChainTxKind; refId: number; block: number }[];
};

const BUMP_NUMERATOR = 1125n; // +12.5%: above geth's 10% replacement minimum
const BUMP_DENOMINATOR = 1000n;
// Retries stay frequent enough that anchoring resumes within seconds of an outage ending.
const MAX_BACKOFF_MS = 30_000;

/** Describes a viem error in one line, decoding the registry's custom errors. */
export function describeChainError(error: unknown): string {
  if (error instanceof BaseError) {
    const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string") as { data?: Hex } | null;
    if (withData?.data && withData.data.length >= 10) {
      // Either registry version's errors (v2 first: new deployments).
      for (const abi of [credentialRegistryV2Abi, credentialRegistryV1Abi]) {
        try {
          const decoded = decodeErrorResult({ abi, data: withData.data });
          return `${decoded.errorName}(${(decoded.args ?? []).map(String).join(", ")})`;
        } catch {
          // not one of this version's: try the next
        }
      }
    }
    return error.shortMessage;
  }
  return (error as Error)?.message ?? String(error);
}

const isNonceTooLow = (error: unknown) => /nonce too low|nonce has already been used|already been mined/i.test(describeChainError(error) + String((error as Error)?.message));
const isAlreadyKnown = (error: unknown) => /already known|known transaction|already imported/i.test(describeChainError(error) + String((error as Error)?.message));

/**
 * Sends one signer's queued registry calls. Call `tick()` repeatedly; each call does at most one
 * step per transaction and returns whether anything changed. Safe to stop at any point: the next
 * `tick()` (in this process or after a restart) picks up from the stored state.
 *
 * Assumes the signer key is used by this service only (its nonces are ours).
 */
export class TxSender {
  readonly #o: SenderOptions;
  readonly #signer: string;
  readonly #now: () => number;

  constructor(options: SenderOptions) {
    this.#o = options;
    this.#signer = options.account.address.toLowerCase();
    this.#now = options.now ?? Date.now;
  }

  get signer(): string {
    return this.#signer;
  }

  /**
   * Handles a chain that went back (restored from an older state dump, or a reorg deeper than
   * the confirmations): every transaction recorded in a block the chain no longer has is sent
   * again as after a reorg (same signed bytes; its batch or status change is "sending" again),
   * and those in flight are broadcast again (the node's pool may be gone too). Returns what was
   * forgotten, or `undefined` if nothing was. Throws (and changes nothing) while the registry
   * has no code at its address.
   */
  async rewind(): Promise<RewindReport | undefined> {
    // A chain without the registry (reset, or another chain at the same URL) would take our
    // calls to an empty address as plain successes: send nothing until the code is back.
    const code = await this.#o.client.getCode({ address: this.#o.registry });
    if (!code || code === "0x") throw new Error(`no contract code at the registry address ${this.#o.registry}: nothing is sent until it is back`);
    const lost = await forgottenBlocks(this.#o.db, this.#o.client, this.#signer);
    if (lost.length === 0) return undefined;
    const oldest = lost.at(-1)!.number;
    const forgotten = this.#o.db
      .prepare("SELECT * FROM chain_txs WHERE signer = ? AND state IN ('mined', 'confirmed') AND block_number >= ? ORDER BY id")
      .all(this.#signer, oldest) as ChainTxRow[];
    this.#o.db.transaction(() => {
      for (const tx of forgotten) {
        const row = this.#update(tx.id, { state: "signed", tx_hash: null, block_number: null, block_hash: null, block_time: null, gas_used: null, gas_price: null });
        this.#o.hooks.reorged(row);
      }
      this.#o.db.prepare("UPDATE chain_txs SET state = 'signed' WHERE signer = ? AND state = 'sent'").run(this.#signer);
    })();
    const head = Number(await this.#o.client.getBlockNumber({ cacheTime: 0 }));
    const txs = forgotten.map((tx) => ({ id: tx.id, kind: tx.kind, refId: tx.ref_id, block: tx.block_number! }));
    this.#log("warn", "the chain no longer has blocks holding our transactions: sending them again", { head, forgottenFromBlock: oldest, txs });
    return { signer: this.#signer, head, fromBlock: oldest, txs };
  }

  /** Queues a call to the registry; run inside the caller's transaction. */
  static enqueue(db: Db, signer: string, kind: ChainTxKind, refId: number, data: Hex, now = Date.now()): number {
    return Number(
      db
        .prepare("INSERT INTO chain_txs (signer, kind, ref_id, data, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)")
        .run(signer.toLowerCase(), kind, refId, data, now, now).lastInsertRowid,
    );
  }

  #open(): ChainTxRow[] {
    return this.#o.db.prepare("SELECT * FROM chain_txs WHERE signer = ? AND state <> 'confirmed' ORDER BY id").all(this.#signer) as ChainTxRow[];
  }

  #get(id: number): ChainTxRow {
    return this.#o.db.prepare("SELECT * FROM chain_txs WHERE id = ?").get(id) as ChainTxRow;
  }

  #attempts(id: number): AttemptRow[] {
    return this.#o.db.prepare("SELECT * FROM tx_attempts WHERE tx_id = ? ORDER BY sent_at DESC, rowid DESC").all(id) as AttemptRow[];
  }

  #update(id: number, fields: Partial<ChainTxRow>): ChainTxRow {
    const keys = Object.keys(fields);
    const set = keys.map((k) => `${k} = @${k}`).join(", ");
    this.#o.db.prepare(`UPDATE chain_txs SET ${set}, updated_at = @updated_at WHERE id = @id`).run({ ...fields, updated_at: this.#now(), id });
    return this.#get(id);
  }

  /** Number of transactions not yet confirmed. */
  pending(): number {
    return (this.#o.db.prepare("SELECT count(*) AS n FROM chain_txs WHERE signer = ? AND state <> 'confirmed'").get(this.#signer) as { n: number }).n;
  }

  /**
   * One round: checks confirmations (and reorgs) of mined transactions, then advances the
   * oldest unmined one. Chain errors propagate (the caller backs off); nothing is lost.
   */
  async tick(): Promise<boolean> {
    let changed = false;
    const open = this.#open();
    const mined = open.filter((tx) => tx.state === "mined");
    if (mined.length > 0) {
      const head = Number(await this.#o.client.getBlockNumber({ cacheTime: 0 }));
      for (const tx of mined) changed = (await this.#checkMined(tx, head)) || changed;
    }
    const next = this.#open().find((tx) => tx.state !== "mined");
    if (next && next.not_before <= this.#now()) changed = (await this.#advance(next)) || changed;
    return changed;
  }

  async #checkMined(tx: ChainTxRow, head: number): Promise<boolean> {
    const receipt = await this.#receipt(tx.tx_hash!);
    if (!receipt || receipt.blockHash !== tx.block_hash) {
      // The block we recorded is no longer canonical. Was any attempt included elsewhere?
      const found = receipt ?? (await this.#findReceipt(tx.id));
      if (found && found.status === "success") {
        this.#log("warn", "anchoring block reorganised; transaction re-included", { txId: tx.id, hash: found.transactionHash, block: Number(found.blockNumber) });
        this.#o.db.transaction(() => this.#recordMined(tx, found))();
        return true;
      }
      this.#log("warn", "anchoring block reorganised away; sending again", { txId: tx.id, hash: tx.tx_hash, block: tx.block_number });
      this.#o.db.transaction(() => {
        const row = this.#update(tx.id, { state: "signed", tx_hash: null, block_number: null, block_hash: null, block_time: null, gas_used: null, gas_price: null });
        this.#o.hooks.reorged(row);
      })();
      return true;
    }
    const confirmations = head - tx.block_number! + 1;
    if (confirmations >= this.#o.confirmations) {
      this.#o.db.transaction(() => this.#o.hooks.confirmed(this.#update(tx.id, { state: "confirmed" })))();
      return true;
    }
    return false;
  }

  async #receipt(hash: Hex): Promise<TransactionReceipt | undefined> {
    try {
      return await this.#o.client.getTransactionReceipt({ hash });
    } catch (error) {
      if ((error as Error).name === "TransactionReceiptNotFoundError") return undefined;
      throw error;
    }
  }

  async #findReceipt(txId: number): Promise<TransactionReceipt | undefined> {
    for (const attempt of this.#attempts(txId)) {
      const receipt = await this.#receipt(attempt.hash);
      if (receipt) return receipt;
    }
    return undefined;
  }

  #recordMined(tx: ChainTxRow, receipt: TransactionReceipt, blockTime?: number): void {
    const row = this.#update(tx.id, {
      state: "mined",
      tx_hash: receipt.transactionHash,
      block_number: Number(receipt.blockNumber),
      block_hash: receipt.blockHash,
      block_time: blockTime ?? tx.block_time ?? null,
      gas_used: receipt.gasUsed.toString(),
      gas_price: receipt.effectiveGasPrice.toString(),
      last_error: null,
    });
    this.#o.hooks.mined(row);
    if (this.#o.confirmations <= 0) this.#o.hooks.confirmed(this.#update(tx.id, { state: "confirmed" }));
  }

  async #advance(tx: ChainTxRow): Promise<boolean> {
    try {
      if (tx.state === "queued") return await this.#signAndSend(tx);
      if (tx.state === "signed") return await this.#rebroadcast(tx);
      return await this.#watch(tx);
    } catch (error) {
      this.#backoff(tx, describeChainError(error));
      throw error;
    }
  }

  #backoff(tx: ChainTxRow, message: string): void {
    const errors = tx.errors + 1;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(errors - 1, 12));
    this.#update(tx.id, { errors, last_error: message, not_before: this.#now() + delay });
  }

  async #fees(): Promise<{ maxFee: bigint; priority: bigint }> {
    const block = await this.#o.client.getBlock({ blockTag: "latest" });
    const base = block.baseFeePerGas ?? (await this.#o.client.getGasPrice());
    const priority = this.#o.priorityFeeWei ?? (await this.#o.client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n));
    return { maxFee: base * 2n + priority, priority };
  }

  async #signAndSend(tx: ChainTxRow): Promise<boolean> {
    const { client, account, registry } = this.#o;
    // Simulate first: a call that would revert is not worth a fee (and says why).
    let gas: bigint;
    try {
      gas = await client.estimateGas({ account, to: registry, data: tx.data });
    } catch (error) {
      const reason = describeChainError(error);
      if (error instanceof BaseError && /revert/i.test(error.message + reason)) {
        this.#o.db.transaction(() => {
          this.#backoff(tx, reason);
          this.#o.hooks.reverted(this.#get(tx.id), reason);
        })();
        this.#log("error", "registry call would revert; retrying later", { txId: tx.id, kind: tx.kind, reason });
        return true;
      }
      throw error;
    }
    const nonce = await client.getTransactionCount({ address: account.address, blockTag: "pending" });
    const { maxFee, priority } = await this.#fees();
    const attempt = await this.#sign(tx, nonce, gas + gas / 5n + 10_000n, maxFee, priority);
    this.#o.db.transaction(() => {
      this.#storeAttempt(tx.id, attempt);
      const row = this.#update(tx.id, { state: "signed", nonce, errors: 0, last_error: null, not_before: 0 });
      this.#o.hooks.signed(row);
    })();
    crashPoint(tx.kind === "anchor" ? "send:after-sign" : "status:after-sign");
    return this.#broadcast(this.#get(tx.id), attempt);
  }

  async #sign(tx: ChainTxRow, nonce: number, gas: bigint, maxFee: bigint, priority: bigint): Promise<AttemptRow> {
    const raw = await this.#o.account.signTransaction({
      type: "eip1559",
      chainId: this.#o.chainId,
      nonce,
      to: this.#o.registry,
      data: tx.data,
      gas,
      maxFeePerGas: maxFee,
      maxPriorityFeePerGas: priority,
    });
    return { hash: keccak256(raw), nonce, raw, max_fee: maxFee.toString(), priority_fee: priority.toString(), sent_at: this.#now() };
  }

  #storeAttempt(txId: number, attempt: AttemptRow): void {
    this.#o.db
      .prepare("INSERT INTO tx_attempts (hash, tx_id, nonce, raw, max_fee, priority_fee, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(attempt.hash, txId, attempt.nonce, attempt.raw, attempt.max_fee, attempt.priority_fee, attempt.sent_at);
  }

  async #broadcast(tx: ChainTxRow, attempt: AttemptRow): Promise<boolean> {
    try {
      await this.#o.client.request({ method: "eth_sendRawTransaction", params: [attempt.raw] });
    } catch (error) {
      if (isAlreadyKnown(error)) {
        // fine: it is in the pool already
      } else if (isNonceTooLow(error)) {
        return this.#nonceConsumed(tx);
      } else {
        throw error;
      }
    }
    if (tx.kind === "anchor") crashPoint("send:after-broadcast");
    this.#log("info", "transaction sent", { txId: tx.id, kind: tx.kind, hash: attempt.hash, nonce: attempt.nonce });
    this.#update(tx.id, { state: "sent" });
    return true;
  }

  /** Our nonce is used on-chain: by one of our attempts (then record it) or by something else (re-sign). */
  async #nonceConsumed(tx: ChainTxRow): Promise<boolean> {
    const receipt = await this.#findReceipt(tx.id);
    if (receipt) return this.#settle(tx, receipt);
    this.#log("warn", "nonce already used and none of our attempts is on-chain: signing again", { txId: tx.id, nonce: tx.nonce });
    this.#update(tx.id, { state: "queued", nonce: null });
    return true;
  }

  async #rebroadcast(tx: ChainTxRow): Promise<boolean> {
    const [latest] = this.#attempts(tx.id);
    if (!latest) {
      this.#update(tx.id, { state: "queued" });
      return true;
    }
    const receipt = await this.#findReceipt(tx.id);
    if (receipt) return this.#settle(tx, receipt);
    return this.#broadcast(tx, latest);
  }

  async #watch(tx: ChainTxRow): Promise<boolean> {
    const receipt = await this.#findReceipt(tx.id);
    if (receipt) return this.#settle(tx, receipt);
    const [latest] = this.#attempts(tx.id);
    if (!latest) {
      this.#update(tx.id, { state: "queued" });
      return true;
    }
    if (this.#now() - latest.sent_at < this.#o.bumpAfterMs) return false;
    const chainNonce = await this.#o.client.getTransactionCount({ address: this.#o.account.address, blockTag: "latest" });
    if (chainNonce > latest.nonce) {
      // Mined between our two reads, or taken by someone else.
      const late = await this.#findReceipt(tx.id);
      return late ? this.#settle(tx, late) : this.#nonceConsumed(tx);
    }
    // Stuck: replace it (same nonce) with fees bumped by 12.5%, or the market's if higher.
    const market = await this.#fees();
    const bump = (value: string) => (BigInt(value) * BUMP_NUMERATOR) / BUMP_DENOMINATOR + 1n;
    const priority = [bump(latest.priority_fee), market.priority].reduce((a, b) => (a > b ? a : b));
    let maxFee = [bump(latest.max_fee), market.maxFee].reduce((a, b) => (a > b ? a : b));
    if (maxFee < priority) maxFee = priority;
    const gas = await this.#o.client.estimateGas({ account: this.#o.account, to: this.#o.registry, data: tx.data }).catch(() => 500_000n);
    const attempt = await this.#sign(tx, latest.nonce, gas + gas / 5n + 10_000n, maxFee, priority);
    this.#o.db.transaction(() => {
      this.#storeAttempt(tx.id, attempt);
      this.#update(tx.id, { state: "signed" });
    })();
    this.#log("warn", "transaction not mined in time: replacing it with higher fees", {
      txId: tx.id,
      nonce: latest.nonce,
      replaced: latest.hash,
      hash: attempt.hash,
      maxFeePerGas: maxFee.toString(),
    });
    return this.#broadcast(this.#get(tx.id), attempt);
  }

  /** A receipt for one of our attempts: success → mined; reverted → retry after a backoff. */
  async #settle(tx: ChainTxRow, receipt: TransactionReceipt): Promise<boolean> {
    if (receipt.status === "success") {
      if (tx.kind === "anchor") crashPoint("mined:before-record");
      const block = await this.#o.client.getBlock({ blockHash: receipt.blockHash });
      this.#o.db.transaction(() => this.#recordMined(tx, receipt, Number(block.timestamp)))();
      this.#log("info", "transaction mined", { txId: tx.id, kind: tx.kind, hash: receipt.transactionHash, block: Number(receipt.blockNumber), gasUsed: receipt.gasUsed.toString() });
      return true;
    }
    const reason = `transaction ${receipt.transactionHash} reverted in block ${receipt.blockNumber}`;
    this.#o.db.transaction(() => {
      this.#update(tx.id, { state: "queued", nonce: null });
      this.#backoff(this.#get(tx.id), reason);
      this.#o.hooks.reverted(this.#get(tx.id), reason);
    })();
    this.#log("error", "transaction reverted; retrying later", { txId: tx.id, kind: tx.kind, hash: receipt.transactionHash });
    return true;
  }

  #log(level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>): void {
    this.#o.log?.(level, message, { signer: this.#signer, ...fields });
  }
}
