// Pins that the core stays browser-safe: no module of src/core imports node:* built-ins.
import { readFileSync, readdirSync } from "node:fs";
import { expect } from "chai";

describe("core is browser-safe", () => {
  it("behavior: no file in src/core imports a node: module or calls require", () => {
    const dir = new URL("../../src/core/", import.meta.url);
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const source = readFileSync(new URL(name, dir), "utf8");
      expect(source, name).not.to.match(/from\s+["']node:|import\(\s*["']node:|\brequire\(/);
    }
  });
});

describe("the verifier library is browser-safe", () => {
  it("behavior: verify-bundle.ts and everything it imports (transitively, in src/) use no node: module", () => {
    const seen = new Set<string>();
    const visit = (url: URL) => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const source = readFileSync(url, "utf8");
      expect(source, url.pathname).not.to.match(/from\s+["']node:|import\(\s*["']node:|\brequire\(|\bprocess\./);
      for (const [, spec] of source.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) visit(new URL(spec!, url));
    };
    visit(new URL("../../src/verifier/verify-bundle.ts", import.meta.url));
    expect([...seen].some((href) => href.endsWith("src/chain/read-registry.ts"))).to.equal(true);
  });

  it("behavior: what the page reads VCs and their status lists with (anchor-proof.ts, list-readings.ts, transitively) uses no node: module and no JSON-LD", () => {
    const seen = new Set<string>();
    const visit = (url: URL) => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const source = readFileSync(url, "utf8");
      expect(source, url.pathname).not.to.match(/from\s+["']node:|import\(\s*["']node:|\brequire\(|\bprocess\.|from\s+["'](@digitalbazaar|jsonld)/);
      // Type-only imports are erased: they bring nothing into the page.
      for (const [, spec] of source.matchAll(/import\s+(?!type\b)[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/g)) visit(new URL(spec!, url));
    };
    visit(new URL("../../src/vc/anchor-proof.ts", import.meta.url));
    visit(new URL("../../src/verifier/list-readings.ts", import.meta.url));
    expect([...seen].some((href) => href.endsWith("src/core/bundle.ts"))).to.equal(true);
  });
});
