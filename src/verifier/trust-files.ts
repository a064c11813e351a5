// Node-side loading of trusted deployments: the shipped deployments/*.json plus a verifier's own files.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getDeploymentsDir } from "../chain/deployments.ts";
import { createTrustList, type TrustList } from "./trust.ts";

/**
 * Reads every `*.json` address book in `dir` (default: the package's `deployments/`) and each
 * extra file (an address book, or an array of them), and builds a trust list.
 *
 * @example
 * const trust = loadTrustList({ extraFiles: ["./my-consortium.json"] });
 */
export function loadTrustList({ dir = getDeploymentsDir(), extraFiles = [] }: { dir?: string; extraFiles?: readonly string[] } = {}): TrustList {
  const books: unknown[] = [];
  const read = (file: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new Error(`cannot read trusted deployments from ${file}: ${(error as Error).message}`);
    }
    books.push(...(Array.isArray(parsed) ? parsed : [parsed]));
  };
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".json")).sort();
  } catch {
    // No shipped deployments folder: only the extra files count.
  }
  for (const name of names) read(join(dir, name));
  for (const file of extraFiles) read(file);
  return createTrustList(books);
}
