// Watches the chain the service anchors on: is it answering, is the registry's code still there?
// Readiness reads its last answer (no chain call per request); outages are logged once each way.
import type { Address, PublicClient } from "viem";
import { describeChainError } from "./sender.ts";

export type ChainCheck = { ok: boolean; message: string };

export type ChainMonitorOptions = {
  client: PublicClient;
  chainId: number;
  registry: Address;
  /** How to get a registry deployed, for the message when its code is missing. */
  deployHint: string;
  /** Pause between probes (one `eth_blockNumber` each). */
  intervalMs?: number;
  /** The registry's code is read at least this often (and after every outage or rewind). */
  codeEveryMs?: number;
  log: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
  /** Why the chain is down for good, if it is (e.g. the local chain could not be restarted). */
  failure?: () => string | undefined;
  /** The chain may have lost blocks: it came back after an outage or its head went down. */
  onMayHaveRewound?: () => void;
  now?: () => number;
};

const PROBE_TIMEOUT_MS = 2_000;

/** Resolves with `promise`, or rejects after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms).unref())]);
}

/**
 * Probes the chain every `intervalMs`: the head, and the registry's code now and then. One
 * warning when an outage starts, one line when it ends with its length; one error when the
 * registry's code is missing, one line when it is back.
 *
 * @example
 * const monitor = new ChainMonitor({ client, chainId, registry, deployHint, log });
 * await monitor.start();
 * monitor.check(); // { ok: true, message: "chain 31337 at block 12; registry 0x5FbD… has code" }
 */
export class ChainMonitor {
  readonly #o: ChainMonitorOptions;
  readonly #now: () => number;
  #state: ChainCheck = { ok: false, message: "not checked yet" };
  #downSince: number | undefined;
  #head: bigint | undefined;
  #codeMissing: boolean | undefined;
  #codeAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #probing: Promise<void> | undefined;

  constructor(options: ChainMonitorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Probes once, then every `intervalMs` until `stop()`. */
  async start(): Promise<void> {
    await this.probe();
    const tick = () => {
      this.#timer = setTimeout(() => void this.probe().finally(tick), this.#o.intervalMs ?? 2_000);
      this.#timer.unref();
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The last probe's verdict: what `/readyz` reports for the chain. */
  check(): ChainCheck {
    const failure = this.#o.failure?.();
    return failure ? { ok: false, message: failure } : this.#state;
  }

  /** The head seen by the last successful probe: the newest block the service has handled. */
  head(): bigint | undefined {
    return this.#head;
  }

  /** One probe now (also after the local chain was restarted). Concurrent calls share one. */
  probe(): Promise<void> {
    return (this.#probing ??= this.#probe().finally(() => (this.#probing = undefined)));
  }

  async #probe(): Promise<void> {
    const { client, chainId, registry, log } = this.#o;
    let head: bigint;
    try {
      head = await within(client.getBlockNumber({ cacheTime: 0 }), PROBE_TIMEOUT_MS);
    } catch (error) {
      const reason = describeChainError(error).split("\n")[0]!;
      if (this.#downSince === undefined) {
        this.#downSince = this.#now();
        log("warn", "chain unreachable: anchoring waits until it answers again", { error: reason, since: new Date(this.#downSince).toISOString() });
      }
      this.#state = { ok: false, message: `JSON-RPC unreachable since ${new Date(this.#downSince).toISOString()}: ${reason}` };
      return;
    }
    let codeDue = this.#codeMissing !== false || this.#now() - this.#codeAt >= (this.#o.codeEveryMs ?? 30_000);
    if (this.#downSince !== undefined) {
      const seconds = (this.#now() - this.#downSince) / 1000;
      log("info", `chain reachable again after ${seconds.toFixed(1)} s`, { downSeconds: seconds, since: new Date(this.#downSince).toISOString(), head: Number(head) });
      this.#downSince = undefined;
      codeDue = true;
      this.#o.onMayHaveRewound?.();
    } else if (this.#head !== undefined && head < this.#head) {
      log("warn", `the chain's head went back from block ${this.#head} to ${head}`, { from: Number(this.#head), to: Number(head) });
      codeDue = true;
      this.#o.onMayHaveRewound?.();
    }
    this.#head = head;
    if (codeDue) await this.#checkCode();
    this.#state = this.#codeMissing
      ? { ok: false, message: `no contract code at the registry address ${registry} on chain ${chainId} (block ${head}): ${this.#o.deployHint}` }
      : { ok: true, message: `chain ${chainId} at block ${head}; registry ${registry} has code` };
  }

  async #checkCode(): Promise<void> {
    let code: string | undefined;
    try {
      code = await within(this.#o.client.getCode({ address: this.#o.registry }), PROBE_TIMEOUT_MS);
    } catch {
      return; // the next probe sees the outage, if it is one
    }
    this.#codeAt = this.#now();
    const missing = !code || code === "0x";
    if (missing && this.#codeMissing !== true) {
      this.#o.log("error", `no contract code at the registry address ${this.#o.registry}: ${this.#o.deployHint}`, { notice: true, registry: this.#o.registry });
    } else if (!missing && this.#codeMissing === true) {
      this.#o.log("info", "the registry's code is at its address again", { registry: this.#o.registry });
    }
    this.#codeMissing = missing;
  }
}
