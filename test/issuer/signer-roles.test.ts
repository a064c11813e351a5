// The service signs only with hot signer keys: a v2 issuer's cold admin key configured as a signer is refused at start.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { openStack, removeDir, sharedChain, type Chain } from "../helpers/stack.ts";

describe("src/issuer/service.ts signer keys (v2 roles)", function () {
  this.timeout(120_000);
  let chain: Chain;

  before(async function () {
    chain = await sharedChain();
  });

  it("error: CONFIG_INVALID when the issuer's admin key is configured as a signer (keep the admin cold)", async function () {
    const admin = chain.issuers[0]!.admin;
    const dir = mkdtempSync(join(tmpdir(), "credanchor-roles-"));
    const error = await openStack(chain, { signers: [admin], dir }).then(
      async (stack) => void (await stack.close()),
      (e: { code?: string; message: string }) => e,
    );
    removeDir(dir);
    expect(error?.code).to.equal("CONFIG_INVALID");
    expect(error?.message).to.match(/admin key of issuer 1, not a signer key/);
  });
});
