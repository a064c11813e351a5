// The transaction outbox: sends the registry calls queued in the store's outbox, one at a time per
// signer, with every signed transaction stored before it is broadcast. It tracks nonces, bumps
// fees of stuck transactions, waits for K confirmations and re-sends when a reorg drops a block.
// A call that will always revert is closed (failed or done) instead of retried, and one
// item backing off never holds back the signer's other items.
import {
  BaseError,
  decodeFunctionData,
  keccak256,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { credentialRegistryAbi } from "./abi.ts";
import { crashPoint } from "./crash-points.ts";
import type { ChainTxChange, ChainTxKind, ChainTxOutcome, ChainTxRow, OutboxRepository, OutboxStore, TxAttemptRow, TxHooks } from "./outbox.ts";
import { classifyChainError, decodeRegistryError, isPermanentBroadcastError, type RevertVerdict } from "./revert-classes.ts";
import { forgottenBlocks } from "./rewind.ts";

export type SenderOptions<Tx extends { outbox: OutboxRepository }> = {
  /** Where the outbox lives; its transactions hand their repositories to the hooks. */
  store: OutboxStore<Tx>;
  client: PublicClient;
  account: LocalAccount;
  chainId: number;
  /** The current registry: where transactions without a `target` of their own go. */
  registry: Address;
  /** Blocks on top of the mined one, counting it, before "confirmed" (0: confirmed when mined). */
  confirmations: number;
  /** A transaction not mined after this long is replaced with higher fees (same nonce). */
  bumpAfterMs: number;
  hooks: TxHooks<Tx>;
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

/** What a transaction whose block was forgotten goes back to: signed (same bytes), nothing mined recorded. */
const UNMINED: ChainTxChange = { state: "signed", tx_hash: null, block_number: null, block_hash: null, block_time: null, gas_used: null, gas_price: null };
const BUMP_NUMERATOR = 1125n; // +12.5%: above geth's 10% replacement minimum
const BUMP_DENOMINATOR = 1000n;
// Retries stay frequent enough that anchoring resumes within seconds of an outage ending.
const MAX_BACKOFF_MS = 30_000;
// A call that simulates fine but reverts once mined this often is not a race: each try costs a fee.
const MAX_MINED_REVERTS = 3;

/** Describes a viem error in one line, decoding the registry's custom errors. */
export function describeChainError(error: unknown): string {
  const decoded = decodeRegistryError(error);
  if (decoded) return `${decoded.name}(${decoded.args.map(String).join(", ")})`;
  if (error instanceof BaseError) return error.shortMessage;
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
export class TxSender<Tx extends { outbox: OutboxRepository } = { outbox: OutboxRepository }> {
  readonly #o: SenderOptions<Tx>;
  readonly #signer: string;
  readonly #now: () => number;

  constructor(options: SenderOptions<Tx>) {
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
    const lost = await forgottenBlocks(this.#o.store.outbox, this.#o.client, this.#signer);
    if (lost.length === 0) return undefined;
    const oldest = lost.at(-1)!.number;
    const forgotten = await this.#o.store.transaction(async (tx) => {
      const landed = await tx.outbox.landedSince(this.#signer, oldest);
      for (const row of landed) await this.#o.hooks.reorged(tx, await tx.outbox.update(row.id, UNMINED, this.#now()));
      await tx.outbox.resendSent(this.#signer, this.#now());
      return landed;
    });
    const head = Number(await this.#o.client.getBlockNumber({ cacheTime: 0 }));
    const txs = forgotten.map((tx) => ({ id: tx.id, kind: tx.kind, refId: tx.ref_id, block: tx.block_number! }));
    this.#log("warn", "the chain no longer has blocks holding our transactions: sending them again", { head, forgottenFromBlock: oldest, txs });
    return { signer: this.#signer, head, fromBlock: oldest, txs };
  }

  #open(): Promise<ChainTxRow[]> {
    return this.#o.store.outbox.open(this.#signer);
  }

  #attempts(id: number): Promise<TxAttemptRow[]> {
    return this.#o.store.outbox.attempts(id);
  }

  /** One change outside any transaction (nothing else is recorded with it). */
  #update(id: number, change: ChainTxChange): Promise<ChainTxRow> {
    return this.#o.store.outbox.update(id, change, this.#now());
  }

  /**
   * One round: checks confirmations (and reorgs) of mined transactions, then advances one
   * unmined transaction: the one holding a nonce (signed or sent) if any, else the oldest queued
   * one not backing off. Queued items hold no nonce, so one that keeps failing never blocks
   * the ones after it. Chain errors propagate (the caller backs off); nothing is lost.
   */
  async tick(): Promise<boolean> {
    let changed = false;
    const open = await this.#open();
    const mined = open.filter((tx) => tx.state === "mined");
    if (mined.length > 0) {
      const head = Number(await this.#o.client.getBlockNumber({ cacheTime: 0 }));
      for (const tx of mined) changed = (await this.#checkMined(tx, head)) || changed;
    }
    const now = this.#now();
    const unmined = (await this.#open()).filter((tx) => tx.state !== "mined");
    const inFlight = unmined.find((tx) => tx.state === "signed" || tx.state === "sent");
    const next = inFlight ?? unmined.find((tx) => tx.not_before <= now);
    if (next && next.not_before <= now) changed = (await this.#advance(next)) || changed;
    return changed;
  }

  async #checkMined(tx: ChainTxRow, head: number): Promise<boolean> {
    const receipt = await this.#receipt(tx.tx_hash!);
    if (!receipt || receipt.blockHash !== tx.block_hash) {
      // The block we recorded is no longer canonical. Was any attempt included elsewhere?
      const found = receipt ?? (await this.#findReceipt(tx.id));
      if (found && found.status === "success") {
        this.#log("warn", "anchoring block reorganised; transaction re-included", { txId: tx.id, hash: found.transactionHash, block: Number(found.blockNumber) });
        await this.#o.store.transaction((t) => this.#recordMined(t, tx, found));
        return true;
      }
      this.#log("warn", "anchoring block reorganised away; sending again", { txId: tx.id, hash: tx.tx_hash, block: tx.block_number });
      await this.#o.store.transaction(async (t) => this.#o.hooks.reorged(t, await t.outbox.update(tx.id, UNMINED, this.#now())));
      return true;
    }
    const confirmations = head - tx.block_number! + 1;
    if (confirmations >= this.#o.confirmations) {
      await this.#o.store.transaction(async (t) => this.#o.hooks.confirmed(t, await t.outbox.update(tx.id, { state: "confirmed" }, this.#now())));
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
    for (const attempt of await this.#attempts(txId)) {
      const receipt = await this.#receipt(attempt.hash);
      if (receipt) return receipt;
    }
    return undefined;
  }

  /** Records the receipt and tells the owner, inside the transaction `t`. */
  async #recordMined(t: Tx, tx: ChainTxRow, receipt: TransactionReceipt, blockTime?: number): Promise<void> {
    const row = await t.outbox.update(tx.id, {
      state: "mined",
      tx_hash: receipt.transactionHash,
      block_number: Number(receipt.blockNumber),
      block_hash: receipt.blockHash,
      block_time: blockTime ?? tx.block_time ?? null,
      gas_used: receipt.gasUsed.toString(),
      gas_price: receipt.effectiveGasPrice.toString(),
      last_error: null,
    }, this.#now());
    await this.#o.hooks.mined(t, row);
    if (this.#o.confirmations <= 0) await this.#o.hooks.confirmed(t, await t.outbox.update(tx.id, { state: "confirmed" }, this.#now()));
  }

  async #advance(tx: ChainTxRow): Promise<boolean> {
    try {
      if (tx.state === "queued") return await this.#signAndSend(tx);
      if (tx.state === "signed") return await this.#rebroadcast(tx);
      return await this.#watch(tx);
    } catch (error) {
      await this.#backoff(this.#o.store.outbox, tx, describeChainError(error));
      throw error;
    }
  }

  /** Counts the error and delays the next try exponentially (capped). */
  #backoff(outbox: OutboxRepository, tx: ChainTxRow, message: string): Promise<ChainTxRow> {
    const errors = tx.errors + 1;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(errors - 1, 12));
    return outbox.update(tx.id, { errors, last_error: message, not_before: this.#now() + delay }, this.#now());
  }

  async #fees(): Promise<{ maxFee: bigint; priority: bigint }> {
    const block = await this.#o.client.getBlock({ blockTag: "latest" });
    const base = block.baseFeePerGas ?? (await this.#o.client.getGasPrice());
    const priority = this.#o.priorityFeeWei ?? (await this.#o.client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n));
    return { maxFee: base * 2n + priority, priority };
  }

  async #signAndSend(tx: ChainTxRow): Promise<boolean> {
    const { client, account } = this.#o;
    // Simulate first: a call that would revert is not worth a fee (and says why).
    let gas: bigint;
    try {
      gas = await client.estimateGas({ account, to: this.#to(tx), data: tx.data });
    } catch (error) {
      const verdict = classifyChainError(tx.kind, error);
      if (verdict.class === "taken") {
        const own = await this.#ownAnchorReceipt(tx);
        if (own) return this.#settle(tx, own);
      }
      if (verdict.class !== "transient") return this.#close(tx, verdict);
      if (error instanceof BaseError && /revert/i.test(error.message + verdict.reason)) {
        await this.#o.store.transaction(async (t) => this.#o.hooks.reverted(t, await this.#backoff(t.outbox, tx, verdict.reason), verdict.reason));
        this.#log("error", "registry call would revert; retrying later", { txId: tx.id, kind: tx.kind, reason: verdict.reason });
        return true;
      }
      throw error;
    }
    const nonce = await client.getTransactionCount({ address: account.address, blockTag: "pending" });
    const { maxFee, priority } = await this.#fees();
    const attempt = await this.#sign(tx, nonce, gas + gas / 5n + 10_000n, maxFee, priority);
    const signed = await this.#o.store.transaction(async (t) => {
      await t.outbox.addAttempt(tx.id, attempt);
      const row = await t.outbox.update(tx.id, { state: "signed", nonce, errors: 0, last_error: null, not_before: 0 }, this.#now());
      await this.#o.hooks.signed(t, row);
      return row;
    });
    crashPoint(tx.kind === "anchor" ? "send:after-sign" : "status:after-sign");
    return this.#broadcast(signed, attempt);
  }

  async #sign(tx: ChainTxRow, nonce: number, gas: bigint, maxFee: bigint, priority: bigint): Promise<TxAttemptRow> {
    const raw = await this.#o.account.signTransaction({
      type: "eip1559",
      chainId: this.#o.chainId,
      nonce,
      to: this.#to(tx),
      data: tx.data,
      gas,
      maxFeePerGas: maxFee,
      maxPriorityFeePerGas: priority,
    });
    return { hash: keccak256(raw), nonce, raw, max_fee: maxFee.toString(), priority_fee: priority.toString(), sent_at: this.#now() };
  }

  async #broadcast(tx: ChainTxRow, attempt: TxAttemptRow): Promise<boolean> {
    try {
      await this.#o.client.request({ method: "eth_sendRawTransaction", params: [attempt.raw] });
    } catch (error) {
      if (isAlreadyKnown(error)) {
        // fine: it is in the pool already
      } else if (isNonceTooLow(error)) {
        return this.#nonceConsumed(tx);
      } else if (isPermanentBroadcastError(error) && (await this.#attempts(tx.id)).length === 1) {
        // Refused for good and no other attempt can be in a pool: its nonce was never used, so the
        // next item simply takes it (nonces come from the node's pending count).
        return this.#close(tx, classifyChainError(tx.kind, error));
      } else {
        throw error;
      }
    }
    if (tx.kind === "anchor") crashPoint("send:after-broadcast");
    this.#log("info", "transaction sent", { txId: tx.id, kind: tx.kind, hash: attempt.hash, nonce: attempt.nonce });
    await this.#update(tx.id, { state: "sent" });
    return true;
  }

  /** Our nonce is used on-chain: by one of our attempts (then record it) or by something else (re-sign). */
  async #nonceConsumed(tx: ChainTxRow): Promise<boolean> {
    const receipt = await this.#findReceipt(tx.id);
    if (receipt) return this.#settle(tx, receipt);
    this.#log("warn", "nonce already used and none of our attempts is on-chain: signing again", { txId: tx.id, nonce: tx.nonce });
    await this.#update(tx.id, { state: "queued", nonce: null });
    return true;
  }

  async #rebroadcast(tx: ChainTxRow): Promise<boolean> {
    const [latest] = await this.#attempts(tx.id);
    if (!latest) {
      await this.#update(tx.id, { state: "queued" });
      return true;
    }
    const receipt = await this.#findReceipt(tx.id);
    if (receipt) return this.#settle(tx, receipt);
    return this.#broadcast(tx, latest);
  }

  async #watch(tx: ChainTxRow): Promise<boolean> {
    const receipt = await this.#findReceipt(tx.id);
    if (receipt) return this.#settle(tx, receipt);
    const [latest] = await this.#attempts(tx.id);
    if (!latest) {
      await this.#update(tx.id, { state: "queued" });
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
    const gas = await this.#o.client.estimateGas({ account: this.#o.account, to: this.#to(tx), data: tx.data }).catch(() => 500_000n);
    const attempt = await this.#sign(tx, latest.nonce, gas + gas / 5n + 10_000n, maxFee, priority);
    const replaced = await this.#o.store.transaction(async (t) => {
      await t.outbox.addAttempt(tx.id, attempt);
      return t.outbox.update(tx.id, { state: "signed" }, this.#now());
    });
    this.#log("warn", "transaction not mined in time: replacing it with higher fees", {
      txId: tx.id,
      nonce: latest.nonce,
      replaced: latest.hash,
      hash: attempt.hash,
      maxFeePerGas: maxFee.toString(),
    });
    return this.#broadcast(replaced, attempt);
  }

  /** A receipt for one of our attempts: success → mined; reverted → retry after a backoff. */
  async #settle(tx: ChainTxRow, receipt: TransactionReceipt): Promise<boolean> {
    if (receipt.status === "success") {
      if (tx.kind === "anchor") crashPoint("mined:before-record");
      const block = await this.#o.client.getBlock({ blockHash: receipt.blockHash });
      await this.#o.store.transaction((t) => this.#recordMined(t, tx, receipt, Number(block.timestamp)));
      this.#log("info", "transaction mined", { txId: tx.id, kind: tx.kind, hash: receipt.transactionHash, block: Number(receipt.blockNumber), gasUsed: receipt.gasUsed.toString() });
      return true;
    }
    // The nonce is used either way. The next try simulates first, which names the reason (and
    // closes the item if it will always revert); a call that keeps reverting once mined is closed.
    const reason = `transaction ${receipt.transactionHash} reverted in block ${receipt.blockNumber}`;
    const reverts = tx.reverts + 1;
    if (reverts >= MAX_MINED_REVERTS) {
      return this.#close(await this.#update(tx.id, { state: "queued", nonce: null, reverts }), { class: "final", failure: "MinedRevert", reason: `${reason} (${reverts} times)` });
    }
    await this.#o.store.transaction(async (t) => {
      const requeued = await t.outbox.update(tx.id, { state: "queued", nonce: null, reverts }, this.#now());
      await this.#o.hooks.reverted(t, await this.#backoff(t.outbox, requeued, reason), reason);
    });
    this.#log("error", "transaction reverted; retrying later", { txId: tx.id, kind: tx.kind, hash: receipt.transactionHash });
    return true;
  }

  /**
   * The receipt of the transaction that anchored this anchor's root, when our own issuer did it
   * (an attempt we lost track of, a database restored from a backup): that anchor is ours to
   * record, and replacing the batch's root would leave holders' bundles on a root we no longer track.
   */
  async #ownAnchorReceipt(tx: ChainTxRow): Promise<TransactionReceipt | undefined> {
    const { client, account } = this.#o;
    const registry = this.#to(tx);
    const [root] = decodeFunctionData({ abi: credentialRegistryAbi, data: tx.data }).args as readonly [Hex];
    const key = await client.readContract({ address: registry, abi: credentialRegistryAbi, functionName: "getSignerKey", args: [account.address] });
    // v2 keys anchors by (issuer, root): an anchor under our issuer id is ours by construction.
    const anchor = await client.readContract({ address: registry, abi: credentialRegistryAbi, functionName: "getAnchor", args: [key.issuerId, root] });
    if (anchor.blockNumber === 0) return undefined;
    const block = BigInt(anchor.blockNumber);
    const [event] = await client.getContractEvents({ address: registry, abi: credentialRegistryAbi, eventName: "RootAnchored", args: { root }, fromBlock: block, toBlock: block });
    if (!event || event.args.issuerId !== key.issuerId) return undefined;
    this.#log("warn", "root already anchored by this issuer: recording that anchor", { txId: tx.id, hash: event.transactionHash });
    return this.#receipt(event.transactionHash);
  }

  /**
   * Ends an item that will never be sent again; its owner hears it in the same storage
   * transaction. A root "taken" that is not our own anchor cannot happen on the v2 registry
   * (anchors are keyed by issuer): it is closed as failed, with the reason.
   */
  async #close(tx: ChainTxRow, verdict: RevertVerdict): Promise<boolean> {
    const outcome: ChainTxOutcome = verdict.class === "done" ? "done" : "failed";
    await this.#o.store.transaction(async (t) => {
      const row = await t.outbox.update(tx.id, { outcome, failure: verdict.failure, last_error: verdict.reason, nonce: null }, this.#now());
      await this.#o.hooks.closed(t, row);
    });
    this.#log(outcome === "failed" ? "error" : "warn", `registry call closed: ${outcome}`, { txId: tx.id, kind: tx.kind, failure: verdict.failure, reason: verdict.reason });
    return true;
  }

  /** The registry a transaction calls: its own (one recorded before a registry upgrade) or the current one. */
  #to(tx: ChainTxRow): Address {
    return (tx.target ?? this.#o.registry) as Address;
  }

  #log(level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>): void {
    this.#o.log?.(level, message, { signer: this.#signer, ...fields });
  }
}
