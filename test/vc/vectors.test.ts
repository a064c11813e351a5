// The credanchor-merkle-2026 vector of docs/formats.md: regenerated equal, and verifiable as published.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { formatJson } from "../vectors/generate.ts";
import { buildAnchorProofVector } from "../vectors/vc/generate-anchor.ts";
import { vcToBundle } from "../../src/vc/anchor-proof.ts";
import { bundleDigest } from "../../src/core/bundle.ts";
import { bytesToHex } from "../../src/core/encoding.ts";

const text = readFileSync(new URL("../vectors/vc/anchor-proof.json", import.meta.url), "utf8");

describe("vc: credanchor-merkle-2026 test vector", () => {
  it("default: the committed vector is what the code produces (npm run vectors:vc)", () => {
    expect(formatJson(buildAnchorProofVector())).to.equal(text);
  });

  it("behavior: both the anchored and the derived credential recompute the vector's leaf", () => {
    const vector = JSON.parse(text);
    for (const credential of [vector.anchoredCredential, vector.derivedCredential]) {
      const bundle = vcToBundle(credential);
      expect(bytesToHex(bundleDigest(bundle).leaf)).to.equal(vector.leaf);
      expect(bundle.root).to.equal(vector.root);
    }
  });
});
