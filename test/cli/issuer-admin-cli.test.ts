// `credanchor issuer` against a real chain: register → show, keys add / retire / compromise (signer and assertion), dry runs that send nothing, keys never on the command line.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { devAccount, devPrivateKey } from "../../src/chain/dev-accounts.ts";
import { didKeyOfPublicKey } from "../../src/vc/keys.ts";
import { CLI } from "../helpers/server-process.ts";
import { sharedChain, type Chain } from "../helpers/stack.ts";

const exec = promisify(execFile);

describe("credanchor issuer (real chain)", function () {
  this.timeout(120_000);
  let chain: Chain;
  let books: string;
  let env: NodeJS.ProcessEnv;
  const admin = devAccount(15);
  const hot = devAccount(16);
  const hot2 = devAccount(17);

  before(async function () {
    chain = await sharedChain();
    books = mkdtempSync(join(tmpdir(), "credanchor-issuer-books-"));
    writeFileSync(join(books, "test.json"), JSON.stringify(chain.addressBook()));
    // The registry comes from the address book, the RPC from the service's settings.
    env = { ...process.env, RPC_URL: chain.url, DEPLOYMENTS_DIR: books, ACCREDITOR_PRIVATE_KEY: devPrivateKey(0), ISSUER_ADMIN_PRIVATE_KEY: devPrivateKey(15) };
    delete env.REGISTRY_ADDRESS;
    delete env.CREDANCHOR_CONFIG;
  });

  after(async function () {
    if (books) rmSync(books, { recursive: true, force: true });
  });

  const cli = async (extraEnv: NodeJS.ProcessEnv, ...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [CLI, "issuer", ...args], { env: { ...env, ...extraEnv } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const nonceOf = (address: `0x${string}`) => chain.publicClient.getTransactionCount({ address });

  it("behavior: --help lists every subcommand and where keys come from", async function () {
    const { code, stdout } = await cli({}, "--help");
    expect(code).to.equal(0);
    for (const word of ["register", "show", "keys add|retire|compromise", "--dry-run", "ACCREDITOR_PRIVATE_KEY", "ISSUER_ADMIN_KEYSTORE"]) expect(stdout).to.include(word);
  });

  it("behavior: a dry run prints the transaction and its cost and sends nothing", async function () {
    const before = await nonceOf(devAccount(0).address);
    const block = await chain.publicClient.getBlockNumber();
    const { code, stdout } = await cli({}, "register", "--admin", admin.address, "--identity", "did:web:new.example", "--name", "New School", "--dry-run", "--json");
    expect(code, stdout).to.equal(0);
    const plan = JSON.parse(stdout);
    expect(plan).to.include({ dryRun: true, to: chain.registry, function: "registerIssuer", from: devAccount(0).address });
    expect(plan.args).to.deep.equal([admin.address, "did:web:new.example", "New School", 0, 0]);
    expect(plan.calldata).to.match(/^0x[0-9a-f]{8}/);
    expect(BigInt(plan.estimate.costWei)).to.be.greaterThan(0n);
    expect(plan.estimate.cost).to.match(/^0\.\d+ ETH$/);
    expect(await nonceOf(devAccount(0).address)).to.equal(before);
    expect(await chain.publicClient.getBlockNumber()).to.equal(block);
  });

  it("default: register → show (identity, name, window in ISO 8601, admin)", async function () {
    const reg = await cli({}, "register", "--admin", admin.address, "--identity", "did:web:new.example", "--name", "New School", "--from", "2026-01-01", "--until", "2030-01-01T00:00:00Z");
    expect(reg.code, reg.stderr).to.equal(0);
    expect(reg.stdout).to.include("issuer 3 registered");
    expect(reg.stdout).to.match(/cost \d+ wei \(0\.\d+ ETH\)/);
    const { code, stdout } = await cli({}, "show", "3", "--json");
    expect(code).to.equal(0);
    const view = JSON.parse(stdout);
    expect(view).to.include({ issuerId: 3, identity: "did:web:new.example", name: "New School", admin: admin.address, validFrom: "2026-01-01T00:00:00.000Z", validUntil: "2030-01-01T00:00:00.000Z" });
    expect(view.keys).to.have.length(1);
    expect(view.keys[0]).to.include({ key: admin.address, role: "admin", retiredAt: null, compromisedFrom: null });
  });

  it("behavior: the admin adds, retires and marks compromised signer keys; show lists their windows", async function () {
    for (const key of [hot.address, hot2.address]) expect((await cli({}, "keys", "add", key)).code).to.equal(0);
    const retire = await cli({}, "keys", "retire", hot.address);
    expect(retire.code, retire.stderr).to.equal(0);
    const compromise = await cli({}, "keys", "compromise", hot2.address);
    expect(compromise.code, compromise.stderr).to.equal(0);
    const view = JSON.parse((await cli({}, "show", "3", "--json")).stdout);
    const byKey = Object.fromEntries(view.keys.map((k: { key: string }) => [k.key, k]));
    expect(byKey[hot.address]).to.include({ role: "signer", compromisedFrom: null });
    expect(byKey[hot.address].retiredAt).to.match(/^\d{4}-\d{2}-\d{2}T/);
    expect(byKey[hot2.address]).to.include({ role: "signer", retiredAt: null });
    expect(byKey[hot2.address].compromisedFrom).to.match(/^\d{4}-\d{2}-\d{2}T/);
    const text = (await cli({}, "show", "3")).stdout;
    expect(text).to.include("identity  did:web:new.example").and.include(`signer    ${hot.address}`).and.include("compromised from");
  });

  it("behavior: assertion keys from a did:key: add, then retire", async function () {
    const did = didKeyOfPublicKey(new Uint8Array(32).fill(7));
    expect((await cli({}, "keys", "add", did, "--assertion")).code).to.equal(0);
    expect((await cli({}, "keys", "retire", did, "--assertion")).code).to.equal(0);
    const view = JSON.parse((await cli({}, "show", "3", "--json")).stdout);
    const key = view.keys.find((k: { role: string }) => k.role === "assertion");
    expect(key.key).to.equal(`0x${"07".repeat(32)}`);
    expect(key.retiredAt).to.match(/^\d{4}-/);
  });

  it("error: another issuer's admin cannot act; the contract's error is named; nothing sent on a dry run", async function () {
    const other = { ISSUER_ADMIN_PRIVATE_KEY: devPrivateKey(12) }; // issuer 2's admin, on issuer 1's signer key
    const before = await nonceOf(devAccount(12).address);
    const { code, stderr } = await cli(other, "keys", "retire", chain.issuers[0]!.key.address, "--dry-run");
    expect(code).to.equal(1);
    expect(stderr).to.include("IssuerUnauthorizedAdmin");
    expect(await nonceOf(devAccount(12).address)).to.equal(before);
  });

  it("error: no key in the environment → a clear message, never a flag for the secret", async function () {
    const { code, stderr } = await cli({ ISSUER_ADMIN_PRIVATE_KEY: "" }, "keys", "add", devAccount(18).address);
    expect(code).to.equal(2);
    expect(stderr).to.include("ISSUER_ADMIN_PRIVATE_KEY");
    const flag = await cli({}, "keys", "add", devAccount(18).address, "--private-key", devPrivateKey(15));
    expect(flag.code).to.equal(2);
    expect(flag.stderr).to.not.include(devPrivateKey(15).slice(2));
  });
});
