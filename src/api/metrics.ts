// Prometheus metrics in the text exposition format (0.0.4): HTTP counters kept here, service
// gauges read on scrape.
import type { ServiceStats } from "../issuer/types.ts";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labels = (l: Record<string, string | number>) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(String(v))}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

/** Counters and histograms of the HTTP layer, plus the rendering of everything. */
export class Metrics {
  readonly #requests = new Map<string, number>();
  readonly #durations = new Map<string, { buckets: number[]; sum: number; count: number }>();
  readonly #errors = new Map<string, number>();
  readonly #started = Date.now();

  /** Records one finished request. `route` is the route pattern, never the raw path (bounded labels). */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = JSON.stringify([method, route, status]);
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let d = this.#durations.get(route);
    if (!d) this.#durations.set(route, (d = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) d!.buckets[i]!++;
    });
    d.sum += seconds;
    d.count++;
  }

  /** Records an error answer by its code. */
  error(code: string): void {
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }

  /** The exposition text. */
  render(stats: ServiceStats | undefined): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [Record<string, string | number>, number | bigint][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [l, v] of samples) out.push(`${name}${labels(l)} ${v}`);
    };
    metric("credanchor_process_uptime_seconds", "gauge", "Seconds since the service started.", [[{}, (Date.now() - this.#started) / 1000]]);
    if (stats) {
      metric("credanchor_credentials", "gauge", "Credentials by pipeline state (queued = queue depth).", Object.entries(stats.credentialsByState).map(([s, n]) => [{ state: s }, n]));
      metric("credanchor_batches", "gauge", "Batches by state.", Object.entries(stats.batchesByState).map(([s, n]) => [{ state: s }, n]));
      metric("credanchor_status_changes", "gauge", "Revocation / suspension requests by state.", Object.entries(stats.statusChangesByState).map(([s, n]) => [{ state: s }, n]));
      metric("credanchor_gas_used_total", "counter", "Gas used by every mined transaction of the service.", [[{}, stats.gasUsedTotal]]);
      metric(
        "credanchor_chain_tx_closed_total",
        "counter",
        "Chain transactions closed without landing: failed (would always revert), done (effect already on-chain), superseded (root taken, batch rebuilt); by kind and error class.",
        stats.chainTxsClosed.map((c) => [{ kind: c.kind, outcome: c.outcome, error: c.failure }, c.count]),
      );
      metric("credanchor_fees_paid_wei_total", "counter", "Fees paid (gas used × effective gas price), in wei.", [[{}, stats.feesPaidWeiTotal]]);
      const latencies = [...stats.anchorLatencySeconds].sort((a, b) => a - b);
      const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : Number.NaN);
      out.push(
        "# HELP credanchor_anchor_latency_seconds Seconds from batch creation to its anchor being mined (recent batches).",
        "# TYPE credanchor_anchor_latency_seconds summary",
        ...[0.5, 0.9, 0.99].map((p) => `credanchor_anchor_latency_seconds{quantile="${p}"} ${q(p)}`),
        `credanchor_anchor_latency_seconds_sum ${latencies.reduce((a, b) => a + b, 0)}`,
        `credanchor_anchor_latency_seconds_count ${latencies.length}`,
      );
    }
    metric("credanchor_http_requests_total", "counter", "HTTP requests by method, route and status.", [...this.#requests].map(([k, n]) => {
      const [method, route, status] = JSON.parse(k) as [string, string, number];
      return [{ method, route, status }, n];
    }));
    out.push("# HELP credanchor_http_request_duration_seconds HTTP request duration by route.", "# TYPE credanchor_http_request_duration_seconds histogram");
    for (const [route, d] of this.#durations) {
      BUCKETS.forEach((b, i) => out.push(`credanchor_http_request_duration_seconds_bucket${labels({ route, le: b })} ${d.buckets[i]}`));
      out.push(`credanchor_http_request_duration_seconds_bucket${labels({ route, le: "+Inf" })} ${d.count}`);
      out.push(`credanchor_http_request_duration_seconds_sum${labels({ route })} ${d.sum}`);
      out.push(`credanchor_http_request_duration_seconds_count${labels({ route })} ${d.count}`);
    }
    metric("credanchor_http_errors_total", "counter", "Error answers by error code.", [...this.#errors].map(([code, n]) => [{ code }, n]));
    return out.join("\n") + "\n";
  }
}
