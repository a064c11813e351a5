// Prometheus metrics through prom-client: HTTP counters kept here, default process metrics, and
// service and chain gauges read on scrape.
import { formatEther, type Address } from "viem";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from "prom-client";
import type { ServiceStats } from "../issuer/types.ts";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the chain gauges read on scrape (each part may fail: its samples are then left out). */
export type ChainGaugeSource = {
  /** Balances of the signer keys, in wei. */
  balances(): Promise<{ signer: Address; wei: bigint }[]>;
  /** The chain's head now. */
  head(): Promise<bigint>;
  /** The newest block the service's chain watcher has handled. */
  lastProcessed(): bigint | undefined;
  /** Creation time (unix ms) of the oldest transaction still open in the outbox. */
  oldestOpenTxAt(): Promise<number | undefined>;
};

/** Resolves with `promise`, or undefined after `ms` or on failure: a scrape never hangs on the chain. */
async function settle<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** The service's metric registry: HTTP observations, plus gauges filled from `ServiceStats` and the chain on scrape. */
export class Metrics {
  readonly registry = new Registry();
  readonly #started = Date.now();
  readonly #requests: Counter<"method" | "route" | "status">;
  readonly #durations: Histogram<"route">;
  readonly #errors: Counter<"code">;
  #stats: ServiceStats | undefined;
  #refreshChain: () => Promise<void> = async () => {};

  constructor({ chain, now = Date.now }: { chain?: ChainGaugeSource; now?: () => number } = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const stats = () => this.#stats;
    const uptime: Gauge = new Gauge({ name: "credanchor_process_uptime_seconds", help: "Seconds since the service started.", registers, collect: () => uptime.set((now() - this.#started) / 1000) });
    this.#byState("credanchor_credentials", "Credentials by pipeline state (queued = queue depth).", () => stats()?.credentialsByState);
    this.#byState("credanchor_batches", "Batches by state.", () => stats()?.batchesByState);
    this.#byState("credanchor_status_changes", "Revocation / suspension requests by state.", () => stats()?.statusChangesByState);
    this.#total("credanchor_gas_used_total", "Gas used by every mined transaction of the service.", () => stats()?.gasUsedTotal);
    this.#total("credanchor_fees_paid_wei_total", "Fees paid (gas used × effective gas price), in wei.", () => stats()?.feesPaidWeiTotal);
    const closed: Counter<"kind" | "outcome" | "error"> = new Counter({
      name: "credanchor_chain_tx_closed_total",
      help: "Chain transactions closed without landing: failed (would always revert), done (effect already on-chain), superseded (root taken, batch rebuilt: older versions only); by kind and error class.",
      labelNames: ["kind", "outcome", "error"] as const,
      registers,
      collect: () => {
        closed.reset();
        for (const c of stats()?.chainTxsClosed ?? []) closed.inc({ kind: c.kind, outcome: c.outcome, error: c.failure }, c.count);
      },
    });
    const latency: Summary = new Summary({
      name: "credanchor_anchor_latency_seconds",
      help: "Seconds from batch creation to its anchor being mined (recent batches).",
      percentiles: [0.5, 0.9, 0.99],
      registers,
      collect: () => {
        latency.reset();
        for (const l of stats()?.anchorLatencySeconds ?? []) latency.observe(l);
      },
    });
    this.#requests = new Counter({ name: "credanchor_http_requests_total", help: "HTTP requests by method, route and status.", labelNames: ["method", "route", "status"] as const, registers });
    this.#durations = new Histogram({ name: "credanchor_http_request_duration_seconds", help: "HTTP request duration by route.", labelNames: ["route"] as const, buckets: BUCKETS, registers });
    this.#errors = new Counter({ name: "credanchor_http_errors_total", help: "Error answers by error code.", labelNames: ["code"] as const, registers });
    if (chain) this.#refreshChain = this.#chainGauges(chain, now);
  }

  #byState(name: string, help: string, read: () => Record<string, number> | undefined): void {
    const gauge: Gauge<"state"> = new Gauge({
      name,
      help,
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect: () => {
        gauge.reset();
        for (const [state, n] of Object.entries(read() ?? {})) gauge.set({ state }, n);
      },
    });
  }

  /** A counter whose total is read from the database on scrape, so it survives restarts. */
  #total(name: string, help: string, read: () => bigint | undefined): void {
    const counter: Counter = new Counter({ name, help, registers: [this.registry], collect: () => (counter.reset(), counter.inc(Number(read() ?? 0n))) });
  }

  /** Registers the chain gauges and returns what fills them before each scrape (prom-client collects gauges concurrently). */
  #chainGauges(chain: ChainGaugeSource, now: () => number): () => Promise<void> {
    const registers = [this.registry];
    const wei = new Gauge({ name: "credanchor_signer_balance_wei", help: "Balance of each signer key, in wei (left out when the chain does not answer).", labelNames: ["signer"] as const, registers });
    const ether = new Gauge({ name: "credanchor_signer_balance_ether", help: "Balance of each signer key, in the chain's currency (ether units).", labelNames: ["signer"] as const, registers });
    // Head and lag keep their last known values while the chain does not answer.
    const head = new Gauge({ name: "credanchor_chain_head_block", help: "The chain's newest block number (last known value when the chain does not answer).", registers });
    const behind = new Gauge({ name: "credanchor_chain_blocks_behind", help: "Blocks between the chain's head and the newest block the service's chain watcher has handled.", registers });
    const age = new Gauge({ name: "credanchor_outbox_oldest_age_seconds", help: "Age in seconds of the oldest chain transaction still open in the outbox (0 when none is open).", registers });
    return async () => {
      const [balances, latest] = await Promise.all([settle(chain.balances(), 2_000), settle(chain.head(), 2_000)]);
      wei.reset();
      ether.reset();
      for (const { signer, wei: balance } of balances ?? []) {
        wei.set({ signer }, Number(balance));
        ether.set({ signer }, Number(formatEther(balance)));
      }
      const processed = chain.lastProcessed();
      if (latest !== undefined) head.set(Number(latest));
      if (latest !== undefined && processed !== undefined) behind.set(Math.max(0, Number(latest - processed)));
      const at = await chain.oldestOpenTxAt();
      age.set(at === undefined ? 0 : Math.max(0, (now() - at) / 1000));
    };
  }

  /** Records one finished request. `route` is the route pattern, never the raw path (bounded labels). */
  observe(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#durations.observe({ route }, seconds);
  }

  /** Records an error answer by its code. */
  error(code: string): void {
    this.#errors.inc({ code });
  }

  /** The exposition text (format 0.0.4), with the service's numbers as of `stats`. */
  async render(stats: ServiceStats | undefined): Promise<string> {
    this.#stats = stats;
    await this.#refreshChain();
    return this.registry.metrics();
  }

  /** The content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
