// Writes test/vectors/*.json and docs/bundle.schema.json (npm run vectors); tests check they stay equal.
import { writeFileSync } from "node:fs";
import { buildBundleSchema, buildVectors, formatJson } from "../test/vectors/generate.ts";

const vectorsDir = new URL("../test/vectors/", import.meta.url);
for (const [name, content] of Object.entries(buildVectors())) {
  writeFileSync(new URL(name, vectorsDir), formatJson(content));
  console.log(`wrote test/vectors/${name}`);
}
writeFileSync(new URL("../docs/bundle.schema.json", import.meta.url), formatJson(buildBundleSchema()));
console.log("wrote docs/bundle.schema.json");
