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
