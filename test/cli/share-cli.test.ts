// `credanchor share` against the real API (in-process service, real HTTP): the issuer makes a
// holder key; the holder creates, lists and revokes links with it; --help and usage errors.
import { expect } from "chai";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { sampleBadge } from "../core/helpers.ts";
import { cli as runCli } from "../helpers/cli.ts";
import { closeStack, openStack, runUntil, serveApi, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };

describe("credanchor share (real API)", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let id: string;
  let env: Record<string, string>;

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    api = await serveApi(stack);
    const badge = sampleBadge();
    (badge.credentialSubject as JsonObject).birthDate = "1815-12-10";
    ({ id } = (await stack.service.submitCredentials(1, { credentials: [badge] })).credentials[0]!);
    await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).bundle !== undefined);
    env = { CREDANCHOR_URL: api.base, CREDANCHOR_API_KEY: stack.tokens[1]!, CREDANCHOR_HOLDER_KEY: "" };
  });

  after(async function () {
    await api?.close();
    await closeStack(stack);
  });

  const cli = (...args: string[]) => runCli(["share", ...args], env);

  it("default: holder-key (issuer), then create --hide / list / revoke as the holder; the link serves no hidden value and stops when revoked", async function () {
    const made = await cli("holder-key", id, "--json");
    expect(made.code, made.stderr).to.equal(0);
    const { holderKey } = JSON.parse(made.stdout) as { holderKey: string };
    const created = await cli("create", id, "--hide", "/credentialSubject/birthDate", "--expires", "2999-01-01T00:00:00Z", "--holder-key", holderKey);
    expect(created.code, created.stderr).to.equal(0);
    const token = /token: (csl_\S+)/.exec(created.stdout)![1]!;
    const linkId = token.slice(4, 20);
    expect(created.stdout).to.contain(`url:   ${api.base}/verify#share=${token}`);
    expect(created.stdout).to.match(new RegExp(`^${linkId}  active   by holder, .*, expires 2999-01-01T00:00:00.000Z  hidden: /credentialSubject/birthDate`));
    const opened = await fetch(`${api.base}/v1/share/${token}`);
    expect(await opened.text()).not.to.contain("1815-12-10");

    const listed = await cli("list", id, "--holder-key", holderKey);
    expect(listed.stdout).to.contain(linkId);
    expect(listed.stdout).not.to.contain(token.slice(21));
    const revoked = await cli("revoke", id, linkId, "--holder-key", holderKey);
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(revoked.stdout).to.match(new RegExp(`^${linkId}  revoked`));
    expect((await fetch(`${api.base}/v1/share/${token}`)).status).to.equal(410);
    // The issuer, with its API key, sees the holder's revoked link.
    expect((await cli("list", id)).stdout).to.match(new RegExp(`${linkId}  revoked`));
  });

  it("error: --help, usage errors (exit 2) and API refusals (exit 1) read as one line each", async function () {
    // Independent runs side by side (each is a process start): the same checks, less waiting.
    const [help, unknown, badKey, badPointer] = await Promise.all([
      cli("--help"),
      cli("frobnicate", id),
      cli("list", id, "--holder-key", `chk_${"A".repeat(43)}`),
      cli("create", id, "--hide", "nope"),
    ]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.contain("credanchor share create <credential-id>");
    expect(unknown.code).to.equal(2);
    expect(badKey.code).to.equal(1);
    expect(badKey.stderr).to.contain("[UNAUTHORIZED]");
    expect(badPointer.code).to.equal(1);
    expect(badPointer.stderr).to.contain("[DISCLOSURE_INVALID]");
  });
});
