// The shared-memory rate limiter of POST /v1/verify (one bucket per client across the main port and
// the verification threads): the same answers as the in-memory limiter, one count across limiters.
import { expect } from "chai";
import { createRateLimiter } from "../../src/api/rate-limit.ts";
import { createRateTable, createSharedRateLimiter } from "../../src/api/verify-rate-limit.ts";

describe("createSharedRateLimiter", function () {
  it("behavior: the same answers as createRateLimiter, Retry-After included, for clients taking turns over time", function () {
    let t = 1_000_000;
    const now = () => t;
    const rule = { perMinute: 30, burst: 3 };
    const [shared, local] = [createSharedRateLimiter(rule, createRateTable(), now), createRateLimiter(rule, now)];
    const clients = ["203.0.113.7", "2001:db8:1:2::/64", "198.51.100.1"];
    for (let k = 0; k < 60; k++) {
      const client = clients[k % 3 === 0 ? 0 : k % 5 === 0 ? 2 : 1]!;
      expect(shared.take(client), `step ${k}`).to.deep.equal(local.take(client));
      t += k % 7 === 0 ? 2_500 : 150;
    }
  });

  it("behavior: limiters over one table count a client once (one bucket), other clients apart; perMinute 0 turns it off", function () {
    const table = createRateTable();
    const rule = { perMinute: 1, burst: 2 };
    const [a, b] = [createSharedRateLimiter(rule, table), createSharedRateLimiter(rule, table)];
    expect(a.take("203.0.113.7").ok).to.equal(true);
    expect(b.take("203.0.113.7").ok).to.equal(true);
    expect(a.take("203.0.113.7")).to.deep.equal({ ok: false, retryAfterSeconds: 60 });
    expect(b.take("203.0.113.7").ok).to.equal(false);
    expect(b.take("203.0.113.8").ok).to.equal(true);
    const off = createSharedRateLimiter({ perMinute: 0, burst: 1 }, table);
    for (let k = 0; k < 5; k++) expect(off.take("203.0.113.7").ok).to.equal(true);
  });

  it("behavior: memory is bounded: far more clients than slots are served, and a recent client's bucket is kept", function () {
    let t = 0;
    const limiter = createSharedRateLimiter({ perMinute: 1, burst: 1 }, createRateTable(1024), () => t);
    let refused = 0;
    for (let k = 0; k < 5_000; k++, t++) if (!limiter.take(`10.0.${k >> 8}.${k & 255}`).ok) refused++;
    expect(refused).to.equal(0);
    expect(limiter.take("10.0.19.135").ok).to.equal(false); // the last one seen (4,999): still empty
  });
});
