// The contracts stay solhint-clean (recommended rules, custom errors, no warnings): `npm run lint:sol`.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

describe("contracts/ under solhint", function () {
  it("behavior: no errors and no warnings", async function () {
    const cli = join(dirname(require.resolve("solhint/package.json")), "solhint.js");
    const result = await run(process.execPath, [cli, "--max-warnings", "0", "--formatter", "unix", "contracts/**/*.sol"]).catch((error: { stdout: string; code: number }) => error);
    const stdout = (result as { stdout: string }).stdout;
    expect((result as { code?: number }).code ?? 0, stdout).to.equal(0);
    expect(stdout).not.to.match(/(error|warning)/i);
  });
});
