// Writes test/vectors/vc/anchor-proof.json (npm run vectors:vc); test/vc/vectors.test.ts checks it stays equal.
import { writeFileSync } from "node:fs";
import { formatJson } from "../test/vectors/generate.ts";
import { buildAnchorProofVector } from "../test/vectors/vc/generate-anchor.ts";

writeFileSync(new URL("../test/vectors/vc/anchor-proof.json", import.meta.url), formatJson(buildAnchorProofVector()));
console.log("wrote test/vectors/vc/anchor-proof.json");
