// The in-memory bundle cache: served only under the stamp it was stored with, without the database
// only within the recheck window, bounded in bytes (least recently used out first) and in age
// (also for entries no one asks for again); a read that raced with a deletion cannot store.
import { expect } from "chai";
import { BundleCache, BUNDLE_RECHECK_MS } from "../../src/issuer/bundle-cache.ts";

describe("src/issuer/bundle-cache", function () {
  it("behavior: a hit needs the same stamp; another stamp (a moved anchor) drops the entry", function () {
    const cache = new BundleCache();
    const stored = cache.set("a", "1:0xaa:7", "{}", 1, cache.beforeRead());
    expect(stored.etag).to.match(/^"[\w-]{27}"$/);
    expect(cache.get("a", "1:0xaa:7", cache.beforeRead())).to.deep.include({ text: "{}", etag: stored.etag });
    expect(cache.get("a", "1:0xbb:8", cache.beforeRead())).to.equal(undefined);
    expect(cache.get("a", "1:0xaa:7", cache.beforeRead()), "gone after the mismatch").to.equal(undefined);
    expect(cache.recent("a"), "nor served without the database").to.equal(undefined);
  });

  it("behavior: over maxBytes the least recently used go first; delete forgets at once", function () {
    const cache = new BundleCache({ maxBytes: 10 });
    const read = () => cache.beforeRead();
    cache.set("a", "s", "xxxx", 1, read());
    cache.set("b", "s", "yyyy", 1, read());
    cache.get("a", "s", read()); // a is now the most recent
    cache.set("c", "s", "zzzz", 1, read());
    expect([cache.get("a", "s", read())?.text, cache.get("b", "s", read())?.text, cache.get("c", "s", read())?.text]).to.deep.equal(["xxxx", undefined, "zzzz"]);
    cache.delete("a");
    expect(cache.get("a", "s", read())).to.equal(undefined);
    expect(cache.recent("a")).to.equal(undefined);
  });

  it("behavior: entries older than maxAgeMs are not served, and a sweep drops them unasked", function () {
    let now = 0;
    const cache = new BundleCache({ maxAgeMs: 1_000, now: () => now });
    cache.set("a", "s", "old", 1, cache.beforeRead());
    now = 600;
    cache.set("b", "s", "new", 1, cache.beforeRead());
    now = 1_200;
    cache.sweep();
    expect(cache.get("b", "s", cache.beforeRead())?.text).to.equal("new");
    now = 1_700;
    expect(cache.get("b", "s", cache.beforeRead())).to.equal(undefined);
    now = 0;
    expect(cache.get("a", "s", cache.beforeRead()), "swept before").to.equal(undefined);
  });

  it("behavior: served without the database only within BUNDLE_RECHECK_MS of the read that confirmed it; a confirming read renews it", function () {
    let now = 10_000;
    const cache = new BundleCache({ now: () => now });
    const read = cache.beforeRead();
    now += 5; // the database answers
    cache.set("a", "s", "{}", 7, read);
    expect(cache.recent("a")).to.deep.include({ text: "{}", issuerId: 7 });
    now = read.at + BUNDLE_RECHECK_MS - 1;
    expect(cache.recent("a")?.text).to.equal("{}");
    now = read.at + BUNDLE_RECHECK_MS;
    expect(cache.recent("a"), "the window counts from the read, not from the answer").to.equal(undefined);
    const again = cache.beforeRead();
    expect(cache.get("a", "s", again)?.text).to.equal("{}");
    now = again.at + BUNDLE_RECHECK_MS - 1;
    expect(cache.recent("a")?.text).to.equal("{}");
  });

  it("attack: a read begun before an erasure cannot store or renew the erased bundle after it", function () {
    const cache = new BundleCache();
    const stale = cache.beforeRead(); // read the row before the erasure committed…
    cache.delete("a"); // …the erasure drops the id…
    cache.set("a", "s", "personal", 1, stale); // …then the stale read's bundle arrives
    expect(cache.recent("a")).to.equal(undefined);
    expect(cache.get("a", "s", cache.beforeRead()), "nothing kept in memory").to.equal(undefined);

    cache.set("b", "s", "{}", 1, cache.beforeRead());
    const before = cache.beforeRead();
    cache.delete("b");
    expect(cache.get("b", "s", before)).to.equal(undefined);
    cache.set("c", "s", "{}", 1, { generation: before.generation, at: before.at });
    expect(cache.recent("c"), "any deletion since the read refuses it (conservative)").to.equal(undefined);
  });

  it("behavior: recheckMs 0 (replicas share the database) never serves without it; clear forgets all and refuses reads begun before", function () {
    const shared = new BundleCache({ recheckMs: 0 });
    shared.set("a", "s", "{}", 1, shared.beforeRead());
    expect(shared.recent("a")).to.equal(undefined);
    expect(shared.get("a", "s", shared.beforeRead())?.text, "still held for the database-checked path").to.equal("{}");

    const cache = new BundleCache();
    cache.set("a", "s", "{}", 1, cache.beforeRead());
    const before = cache.beforeRead();
    cache.clear();
    expect(cache.recent("a")).to.equal(undefined);
    cache.set("a", "s", "{}", 1, before);
    expect(cache.get("a", "s", cache.beforeRead())).to.equal(undefined);
  });
});
