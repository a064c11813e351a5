// The short PostgreSQL pass of `npm test`: the main service suites run again, unchanged, with
// their stacks on PostgreSQL (CREDANCHOR_TEST_STORE=postgres, see test/helpers/stack.ts), in a
// separate test process (its stacks are chosen when the suites load).
//
// Run any other suite on PostgreSQL the same way:
//   CREDANCHOR_TEST_STORE=postgres hardhat test mocha test/issuer/webhook.test.ts
// (suites that read SQLite rows through `stack.db` cannot run there and say so).
import { expect } from "chai";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { postgresBinDir } from "../helpers/postgres.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SHORT = ["test/api/api.test.ts", "test/api/vc-api.test.ts", "test/issuer/service.test.ts", "test/issuer/webhook.test.ts"];
// `npm run test:postgres` (POSTGRES_PASS=all) adds the suites too slow for every `npm test`.
const SUITES = process.env.POSTGRES_PASS === "all" ? [...SHORT, "test/issuer/outbox.test.ts"] : SHORT;

describe("PostgreSQL pass: the service suites on the PostgreSQL store", function () {
  this.timeout(900_000);

  it(`default: ${SUITES.join(", ")} pass with their stacks on PostgreSQL`, async function () {
    postgresBinDir(); // fails loudly, naming the install command, when PostgreSQL is missing
    const child = spawn(join(ROOT, "node_modules", ".bin", "hardhat"), ["test", "mocha", ...SUITES], {
      cwd: ROOT,
      env: { ...process.env, CREDANCHOR_TEST_STORE: "postgres" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    const passing = Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
    expect(code, output.slice(-6000)).to.equal(0);
    expect(output).to.not.match(/\d+ failing/);
    expect(passing, "the suites ran").to.be.greaterThan(20);
  });
});
