// The layer rules as tests, read from the import graph of src/: the core does no I/O, the chain
// layer knows nothing above it, the verifier never touches issuer or server code, the store never
// reaches up into the API or the use cases, and every SQL statement lives in src/store/.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");

type Import = { from: string; spec: string; names: string[]; target: string | undefined };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Every import and re-export of a file (static and dynamic), with its target as a path under src/ when relative. */
function importsOf(file: string): Import[] {
  const source = readFileSync(file, "utf8");
  const found: Import[] = [];
  const add = (spec: string, names = "") => {
    const target = spec.startsWith(".") ? relative(SRC, resolve(dirname(file), spec)) : undefined;
    found.push({ from: relative(SRC, file), spec, names: names.split(",").map((n) => n.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0]!).filter(Boolean), target });
  };
  for (const m of source.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?(?:\{([^}]*)\}|[\w*\s,{}]+?)\s+from\s+["']([^"']+)["']/gm)) add(m[2]!, m[1] ?? "");
  for (const m of source.matchAll(/^\s*import\s+["']([^"']+)["']/gm)) add(m[1]!);
  for (const m of source.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) add(m[1]!);
  return found;
}

const files = sourceFiles(SRC);
const graph = files.flatMap(importsOf);
const under = (dir: string) => (i: Import) => i.from.startsWith(dir);
const into = (...targets: string[]) => (i: Import) => i.target !== undefined && targets.some((t) => i.target === t || i.target!.startsWith(t.endsWith(".ts") ? t : `${t}/`));
const describeImport = (i: Import) => `${i.from} imports ${i.spec}`;
/** A call that runs SQL: a statement (or a pragma assignment) as the first argument of a driver method. */
const SQL_CALL = /\.(prepare|exec|query|pragma)\(\s*[`"']\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|BEGIN|COMMIT|ROLLBACK|WITH|REPLACE|PRAGMA|VACUUM|[a-z_]+\s*=)/i;

describe("layers (the import graph of src/)", () => {
  it("behavior: the graph is read (sanity: the service imports the store interface)", () => {
    expect(graph.some((i) => i.from === "issuer/service.ts" && i.target === "store/types.ts")).to.equal(true);
    expect(files.length).to.be.greaterThan(50);
  });

  it("rule: src/core imports nothing with I/O (no node: module, database driver, server, logger, or viem transport/client)", () => {
    const io = /^(node:|better-sqlite3$|pg$|pg-|express|pino|prom-client|undici|ws$)/;
    const viemIo = new Set(["http", "webSocket", "custom", "fallback", "createPublicClient", "createWalletClient", "createClient", "createTestClient"]);
    const bad = graph
      .filter(under("core/"))
      .filter((i) => io.test(i.spec) || (i.spec.startsWith("viem") && (i.spec !== "viem" || i.names.some((n) => viemIo.has(n)))) || (i.target !== undefined && !i.target.startsWith("core/")));
    expect(bad.map(describeImport)).to.deep.equal([]);
  });

  it("rule: src/chain never imports src/issuer, src/api, src/store, src/cli or src/server.ts", () => {
    const bad = graph.filter(under("chain/")).filter(into("issuer", "api", "store", "cli", "server.ts"));
    expect(bad.map(describeImport)).to.deep.equal([]);
  });

  it("rule: src/verifier never imports src/api, src/issuer, src/store, src/cli or src/server.ts", () => {
    const bad = graph.filter(under("verifier/")).filter(into("api", "issuer", "store", "cli", "server.ts"));
    expect(bad.map(describeImport)).to.deep.equal([]);
  });

  it("rule: src/store never imports src/api, src/issuer/use-cases, src/cli or src/server.ts", () => {
    const bad = graph.filter(under("store/")).filter(into("api", "issuer/use-cases", "cli", "server.ts"));
    expect(bad.map(describeImport)).to.deep.equal([]);
  });

  it("rule: only src/store imports a database driver", () => {
    const bad = graph.filter((i) => /^(better-sqlite3|pg)$/.test(i.spec) && !i.from.startsWith("store/"));
    expect(bad.map(describeImport)).to.deep.equal([]);
  });

  it("rule: every SQL statement lives in src/store/ (no .prepare/.exec/.query/.pragma with SQL elsewhere)", () => {
    const bad = files
      .filter((f) => !relative(SRC, f).startsWith("store/"))
      .flatMap((f) => {
        const source = readFileSync(f, "utf8");
        // Over the whole file: a statement may start on the line after `.prepare(`.
        return [...source.matchAll(new RegExp(SQL_CALL, "gi"))].map((m) => `${relative(SRC, f)}:${source.slice(0, m.index).split("\n").length}: ${m[0]}`);
      });
    expect(bad).to.deep.equal([]);
  });

  it("behavior: the SQL rule catches a statement (the pattern is not vacuous)", () => {
    for (const line of ['db.prepare("SELECT 1")', 'db\n  .prepare(\n    "DELETE FROM t")', "client.query(`UPDATE x SET y = 1`)", "db.exec('BEGIN IMMEDIATE')", 'db.pragma("journal_mode = WAL")']) expect(SQL_CALL.test(line), line).to.equal(true);
    for (const line of ["/^(\\d+)$/.exec(value)", "pool.prepare(credentials, contexts)"]) expect(SQL_CALL.test(line), line).to.equal(false);
  });
});
