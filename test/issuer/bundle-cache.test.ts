// The in-memory bundle cache: served only under the stamp it was stored with, bounded in bytes
// (least recently used out first) and in age (also for entries no one asks for again).
import { expect } from "chai";
import { BundleCache } from "../../src/issuer/bundle-cache.ts";

describe("src/issuer/bundle-cache", function () {
  it("behavior: a hit needs the same stamp; another stamp (a moved anchor) drops the entry", function () {
    const cache = new BundleCache();
    const stored = cache.set("a", "1:0xaa:7", "{}");
    expect(stored.etag).to.match(/^"[\w-]{27}"$/);
    expect(cache.get("a", "1:0xaa:7")).to.deep.include({ text: "{}", etag: stored.etag });
    expect(cache.get("a", "1:0xbb:8")).to.equal(undefined);
    expect(cache.get("a", "1:0xaa:7"), "gone after the mismatch").to.equal(undefined);
  });

  it("behavior: over maxBytes the least recently used go first; delete forgets at once", function () {
    const cache = new BundleCache({ maxBytes: 10 });
    cache.set("a", "s", "xxxx");
    cache.set("b", "s", "yyyy");
    cache.get("a", "s"); // a is now the most recent
    cache.set("c", "s", "zzzz");
    expect([cache.get("a", "s")?.text, cache.get("b", "s")?.text, cache.get("c", "s")?.text]).to.deep.equal(["xxxx", undefined, "zzzz"]);
    cache.delete("a");
    expect(cache.get("a", "s")).to.equal(undefined);
  });

  it("behavior: entries older than maxAgeMs are not served, and a sweep drops them unasked", function () {
    let now = 0;
    const cache = new BundleCache({ maxAgeMs: 1_000, now: () => now });
    cache.set("a", "s", "old");
    now = 600;
    cache.set("b", "s", "new");
    now = 1_200;
    cache.sweep();
    expect(cache.get("b", "s")?.text).to.equal("new");
    now = 1_700;
    expect(cache.get("b", "s")).to.equal(undefined);
    now = 0;
    expect(cache.get("a", "s"), "swept before").to.equal(undefined);
  });
});
