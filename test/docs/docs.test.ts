// The docs say what the code does: the settings table against src/config.ts, every environment
// variable the docs tell users to set against the code that reads it, the webhook secret's length,
// the error shape, README's sample output, and an operator's own address book beside the shipped
// ones (issue 14, "Docs").
import { expect } from "chai";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shippedBooks } from "../../scripts/build-web.ts";
import { ErrorResponse } from "../../src/api/schemas.ts";
import { ConfigSchema, envNameOf, WEBHOOK_SECRET_MIN_LENGTH } from "../../src/config.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const README = read("README.md");
const OPERATIONS = read("docs/operations.md");

/** The rows of operations.md's settings table: setting names (first cell), environment cell, default cell. */
function settingsTable(): { names: string[]; env: string; defaultValue: string }[] {
  const lines = OPERATIONS.split("\n");
  const header = lines.findIndex((l) => l.startsWith("| setting | environment | default |"));
  expect(header, "operations.md has the settings table").to.be.above(0);
  const rows = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line.replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
    rows.push({ names: cells[0]!.split(",").map((n) => n.trim()), env: cells[1]!, defaultValue: cells[2]! });
  }
  return rows;
}

/** The source text that can read an environment variable: the service, its scripts and the Hardhat config. */
function sourceText(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  walk("src");
  walk("scripts");
  return [...files, "hardhat.config.ts", "package.json"].map(read).join("\n");
}

describe("docs match the code", function () {
  it("behavior: operations.md's settings table lists every setting of src/config.ts, with its environment variable and default, and nothing else", function () {
    const rows = settingsTable();
    const documented = rows.flatMap((r) => r.names);
    expect([...documented].sort()).to.deep.equal(Object.keys(ConfigSchema.shape).sort());
    const defaults = ConfigSchema.parse({}) as Record<string, unknown>;
    for (const row of rows) {
      for (const name of row.names) {
        const env = envNameOf(name);
        if (env) expect(row.env, name).to.include(`\`${env}\``);
        const value = defaults[name];
        if (typeof value === "number" || typeof value === "string") expect(row.defaultValue, name).to.include(String(value));
      }
    }
  });

  it("behavior: every environment variable README and docs/ tell users to set is read by the code", function () {
    const docs = [README, ...readdirSync(join(ROOT, "docs")).filter((n) => n.endsWith(".md")).map((n) => read(join("docs", n)))].join("\n");
    const assigned = new Set([...docs.matchAll(/(?:^|[\s`(])([A-Z][A-Z0-9_]{2,})=/gm)].map((m) => m[1]!));
    const tableEnv = settingsTable().flatMap((r) => [...r.env.matchAll(/`([A-Z][A-Z0-9_]+)(?:_<issuerId>)?`/g)].map((m) => m[1]!));
    const names = [...assigned, ...tableEnv];
    expect(names).to.include.members(["LOCALHOST_RPC_URL", "RPC_URL", "SIGNER_KEYSTORE", "WEBHOOK_SECRET"]);
    const source = sourceText();
    const unread = names.filter((name) => !source.includes(name));
    expect(unread, "documented but read nowhere").to.deep.equal([]);
  });

  it("behavior: the webhook secret's minimum length in the docs is the one the code enforces", function () {
    expect(OPERATIONS).to.include(`at least ${WEBHOOK_SECRET_MIN_LENGTH} characters`);
  });

  it("behavior: the error shape README and docs/api.md show has the members the API answers with (requestId included)", function () {
    const members = Object.keys(ErrorResponse.shape.error.shape).sort();
    const readme = /`\{"error": \{([^}]+)\}\}`/.exec(README)?.[1];
    expect(readme, "README names the error shape").to.be.a("string");
    expect([...readme!.matchAll(/"(\w+)"/g)].map((m) => m[1]!).sort()).to.deep.equal(members);
    const api = read("docs/api.md");
    const example = /Every error, on every endpoint, has one shape:\n\n```json\n([\s\S]+?)```/.exec(api)![1]!;
    expect(Object.keys((JSON.parse(example) as { error: object }).error).sort()).to.deep.equal(members);
  });

  it("behavior: README's sample output shows addresses and transaction hashes in full, as the CLI prints them", function () {
    const tryIt = README.slice(README.indexOf("## Try it"), README.indexOf("## Command line"));
    const hexes = [...tryIt.matchAll(/0x[0-9a-fA-F…]+/g)].map((m) => m[0]);
    expect(hexes).to.include.members(["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]);
    for (const hex of hexes) expect(hex.length, hex).to.be.oneOf([42, 66]);
    expect(tryIt).to.match(/anchored in tx 0x[0-9a-f]{64}, block \d+/);
  });

  it("behavior: an operator's own deployments/<network>.json (as deployments/README.md says to keep) is embedded in the page beside the shipped books; local chains' books are not", function () {
    const dir = mkdtempSync(join(tmpdir(), "credanchor-books-"));
    try {
      const shipped = join(ROOT, "deployments");
      for (const name of readdirSync(shipped).filter((n) => n.endsWith(".json"))) copyFileSync(join(shipped, name), join(dir, name));
      const book = (network: string, chainId: number) => ({ network, chainId, deployments: [] });
      writeFileSync(join(dir, "sepolia-ours.json"), JSON.stringify(book("sepolia-ours", 11155111)));
      writeFileSync(join(dir, "localhost.json"), JSON.stringify(book("localhost", 31337)));
      writeFileSync(join(dir, "default.json"), JSON.stringify(book("default", 31337)));
      const embedded = shippedBooks(dir) as { network: string }[];
      expect(embedded.map((b) => b.network)).to.include("sepolia-ours").and.not.to.include.members(["localhost", "default"]);
      expect(embedded).to.have.length(shippedBooks().length + 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
