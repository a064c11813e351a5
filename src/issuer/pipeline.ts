// The pipeline's heartbeat: close due batches, advance every signer's outbox, deliver webhooks.
// All state is in the store, so stopping between any two steps (or crashing) loses nothing.
import { createHmac } from "node:crypto";
import type { RewindReport, TxSender } from "../chain/sender.ts";
import type { Repositories, Store } from "../store/types.ts";

export type PipelineLog = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

export type PipelineOptions = {
  store: Store;
  senders: readonly TxSender<Repositories>[];
  /** A batch closes at this many credentials… */
  maxSize: number;
  /** …or when its oldest credential has waited this long. */
  maxWaitMs: number;
  /** Builds and stores one batch of at most `maxSize` of the issuer's queued credentials. */
  buildBatch: (issuerId: number, maxSize: number) => Promise<{ id: number; size: number } | undefined>;
  /** Runs before batches are built each round (the status-index re-check); if it fails, no batch is built that round. */
  beforeBuild?: () => Promise<unknown>;
  /** Idle pause between rounds. */
  pollMs?: number;
  log?: PipelineLog;
  now?: () => number;
  fetch?: typeof fetch;
};

const WEBHOOK_MAX_ATTEMPTS = 12;
const WEBHOOK_TIMEOUT_MS = 10_000;
/** How often the queue depths kept in memory are counted again from the store. */
const RECOUNT_MS = 10_000;

/**
 * Runs the batcher, the chain senders and webhook delivery in one loop. `start()` runs it in the
 * background; `tick()` runs one round (tests use it to step deterministically).
 */
export class BatchPipeline {
  readonly #o: PipelineOptions;
  readonly #now: () => number;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #chainErrorAt = 0;
  #lastChainError: string | undefined;
  #loggedChainError: string | undefined;
  // The first round checks whether the chain forgot blocks while this process was not watching.
  #rewindDue = true;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** The last chain error of the most recent round, if it failed (readiness and logs use it). */
  get lastChainError(): string | undefined {
    return this.#lastChainError;
  }

  /** Queued credentials per issuer, counted from the store now and then and kept up to date in between. */
  #queued: Map<number, number> | undefined;
  /** An acceptance was told while the count was being read (the count may or may not hold it). */
  #toldWhileCounting = false;
  #countedAt = 0;

  async #queueDepths(): Promise<Map<number, number>> {
    // Counted afresh now and then: a count that fell short would leave credentials queued (never
    // due) until the next acceptance, so a drift must not outlive one recount.
    if (this.#queued && this.#now() - this.#countedAt >= RECOUNT_MS) this.#queued = undefined;
    if (this.#queued) return this.#queued;
    this.#toldWhileCounting = false;
    const counted = await this.#o.store.credentials.queueDepths();
    // An acceptance told during the read is either in it or not: use it for this round, but count again next round.
    if (this.#toldWhileCounting) return counted;
    this.#countedAt = this.#now();
    return (this.#queued = counted);
  }

  /** Tells the pipeline that `count` credentials of `issuerId` were stored (and wakes it). */
  accepted(issuerId: number, count: number): void {
    if (this.#queued) this.#queued.set(issuerId, (this.#queued.get(issuerId) ?? 0) + count);
    else this.#toldWhileCounting = true;
    this.poke();
  }

  /** Builds every batch that is due now; returns the new batch ids. */
  async closeDueBatches(): Promise<number[]> {
    const { store, maxSize, maxWaitMs } = this.#o;
    const built: number[] = [];
    const depths = await this.#queueDepths();
    for (const [issuerId, depth] of depths) {
      if (depth <= 0) continue;
      let remaining = depth;
      let due = remaining >= maxSize;
      if (!due) {
        const first = await store.credentials.oldestQueuedAt(issuerId);
        if (first === undefined) {
          depths.set(issuerId, 0); // the count drifted (e.g. another process): trust the database
          continue;
        }
        due = this.#now() - first >= maxWaitMs;
      }
      while (due && remaining > 0) {
        const batch = await this.#o.buildBatch(issuerId, maxSize);
        if (batch === undefined) {
          remaining = 0;
          break;
        }
        const { id, size } = batch;
        built.push(id);
        this.#o.log?.("info", "batch built", { batchId: id, issuerId, size });
        remaining -= size;
        // Leftovers wait for their own deadline unless another full batch is already there.
        due = remaining >= maxSize;
      }
      depths.set(issuerId, Math.max(0, remaining));
    }
    return built;
  }

  /**
   * Asks the next round to check whether the chain forgot blocks holding our transactions (it
   * came back after an outage, its head went down, or it was restarted from a state dump).
   */
  recheckChain(): void {
    this.#rewindDue = true;
    this.poke();
  }

  /** One round. Chain errors are logged and retried later; they never lose work. */
  async tick(): Promise<boolean> {
    // A shared database (PostgreSQL) takes credentials through other replicas too: count afresh.
    if (!this.#o.store.soleWriter) this.#queued = undefined;
    let chainError: string | undefined;
    try {
      await this.#o.beforeBuild?.();
    } catch (error) {
      chainError = (error as Error)?.message ?? String(error);
    }
    let changed = chainError === undefined && (await this.closeDueBatches()).length > 0;
    if (this.#rewindDue) {
      try {
        for (const sender of this.#o.senders) {
          const report = await sender.rewind();
          if (report) this.#reportRewind(report);
          changed = changed || report !== undefined;
        }
        this.#rewindDue = false;
      } catch (error) {
        chainError = (error as Error)?.message ?? String(error);
      }
    }
    // Until the check passes (chain back, registry code there) nothing is sent.
    for (const sender of this.#rewindDue ? [] : this.#o.senders) {
      try {
        changed = (await sender.tick()) || changed;
      } catch (error) {
        chainError = (error as Error)?.message ?? String(error);
      }
    }
    this.#logChainError(chainError);
    changed = (await this.deliverWebhooks()) || changed;
    return changed;
  }

  // Outages are logged by whoever watches the chain (the server's chain monitor), once when they
  // start and once when they end. A failing round is logged once per distinct error and at most
  // once a minute: a round that made no chain call proves nothing, so no "reachable again" here.
  #logChainError(chainError: string | undefined): void {
    this.#lastChainError = chainError;
    if (chainError === undefined) return;
    const first = chainError.split("\n")[0]!;
    if (first !== this.#loggedChainError || this.#now() - this.#chainErrorAt > 60_000) {
      this.#o.log?.("warn", "anchoring round failed on the chain; will retry", { error: first });
      this.#chainErrorAt = this.#now();
      this.#loggedChainError = first;
    }
  }

  #reportRewind(report: RewindReport): void {
    const batches = report.txs.filter((t) => t.kind === "anchor").map((t) => t.refId);
    const changes = report.txs.filter((t) => t.kind !== "anchor").map((t) => t.refId);
    const what = [batches.length ? `batches ${batches.join(", ")}` : "", changes.length ? `status changes ${changes.join(", ")}` : ""].filter(Boolean).join(" and ");
    this.#o.log?.(
      "warn",
      `the chain went back to block ${report.head}: ${what} (recorded from block ${report.fromBlock} on) are no longer on-chain; ` +
        "anchoring them again, nothing to do (bundles fetched for them before may name another block: fetch them again once confirmed)",
      { notice: true, head: report.head, fromBlock: report.fromBlock, batches, statusChanges: changes },
    );
  }

  /** Posts due webhook deliveries, each retried with exponential backoff. */
  async deliverWebhooks(): Promise<boolean> {
    const { webhooks } = this.#o.store;
    const due = await webhooks.due(this.#now(), 20);
    for (const d of due) {
      if (!d.url) {
        await webhooks.failed(d.id, { attempts: d.attempts, nextAt: this.#now(), error: "no webhook URL", givenUp: true });
        continue;
      }
      let error: string | undefined;
      try {
        const headers: Record<string, string> = { "content-type": "application/json", "x-credanchor-event": d.event, "x-credanchor-delivery": String(d.id) };
        if (d.secret) headers["x-credanchor-signature"] = `sha256=${createHmac("sha256", d.secret).update(d.payload).digest("hex")}`;
        const response = await (this.#o.fetch ?? fetch)(d.url, { method: "POST", headers, body: d.payload, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
        if (!response.ok) error = `HTTP ${response.status}`;
      } catch (e) {
        error = (e as Error).message;
      }
      const attempts = d.attempts + 1;
      if (!error) {
        await webhooks.delivered(d.id, attempts, this.#now());
      } else {
        const giveUp = attempts >= WEBHOOK_MAX_ATTEMPTS;
        const next = this.#now() + Math.min(3_600_000, 1000 * 2 ** attempts);
        await webhooks.failed(d.id, { attempts, nextAt: next, error, givenUp: giveUp });
        this.#o.log?.("warn", giveUp ? "webhook delivery failed; giving up" : "webhook delivery failed; will retry", { deliveryId: d.id, attempts, error });
      }
    }
    return due.length > 0;
  }

  /** Runs rounds in the background until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        let changed = false;
        try {
          changed = await this.tick();
        } catch (error) {
          this.#o.log?.("error", "pipeline round failed; retrying", { error: (error as Error)?.message });
        }
        if (!changed && this.#running) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.#o.pollMs ?? 250);
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.#wake = undefined;
        }
      }
    })();
  }

  /** Asks for a round now (e.g. after new credentials arrived). */
  poke(): void {
    this.#wake?.();
  }

  /** Finishes the current step and stops; every unfinished piece of work stays parked in the database. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
  }
}
