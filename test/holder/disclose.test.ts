// Selective disclosure for holders: `credanchor disclose` and POST /v1/credentials/{id}/disclose,
// on a real chain, service and HTTP server; derived bundles verify and hold no hidden value.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import pino from "pino";
import { createApp } from "../../src/api/app.ts";
import { decodeBundle, type Bundle } from "../../src/core/bundle.ts";
import { discloseBundle } from "../../src/core/bundle-disclosure.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle, type VerifyOptions } from "../../src/verifier/verify-bundle.ts";
import { call as callHttp, expectDocumented, expectError, type Call } from "../api/http.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, removeDir, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { cli } from "../helpers/cli.ts";

const BIRTH_DATE = "1990-07-14-unique-birth";
const HOLDER_NAME = "Ada Q. Lovelace-Unique";

describe("holder: selective disclosure (CLI and API)", function () {
  let chain: Chain;
  let stack: Stack;
  let server: Server;
  let base: string;
  let doc: any;
  let token: string;
  let id: string;
  let full: Bundle;
  let verify: VerifyOptions;
  let dir: string;

  async function call(method: string, path: string, options: Parameters<typeof callHttp>[3] = {}): Promise<Call> {
    const r = await callHttp(base, method, path, options);
    expectDocumented(doc, r);
    return r;
  }

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain, { batch: { maxSize: 1000, maxWaitMs: 0 }, pollMs: 20 });
    token = stack.tokens[1]!;
    verify = { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } };
    const app = createApp({ service: stack.service, verify, logger: pino({ level: "silent" }) });
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    doc = (await callHttp(base, "GET", "/openapi.json")).body;
    stack.pipeline.start();

    const badge = sampleBadge();
    Object.assign(badge.credentialSubject as JsonObject, { name: HOLDER_NAME, birthDate: BIRTH_DATE });
    const submitted = await call("POST", "/v1/credentials", { token, body: { credentials: [badge] } });
    id = submitted.body.credentials[0].id;
    for (let k = 0; k < 400; k++) {
      const r = await call("GET", `/v1/credentials/${id}`, { token });
      if (r.body.state === "anchored" || r.body.state === "confirmed") break;
      await new Promise((res) => setTimeout(res, 25));
    }
    full = decodeBundle((await call("GET", `/v1/credentials/${id}/bundle`, { token })).text);
    dir = mkdtempSync(join(tmpdir(), "credanchor-disclose-"));
    writeFileSync(join(dir, "full.json"), JSON.stringify(full));
  });

  after(async function () {
    await new Promise((r) => server?.close(r));
    await closeStack(stack);
    if (dir) removeDir(dir);
  });

  it("default: POST /v1/credentials/{id}/disclose → a bundle without the hidden values that verifies", async function () {
    expect((await verifyBundle(full, verify)).verdict).to.equal("valid");
    const r = await call("POST", `/v1/credentials/${id}/disclose`, { token, body: { hide: ["/credentialSubject/birthDate", "/credentialSubject/name"] } });
    expect(r.status, r.text).to.equal(200);
    expect(r.text).to.not.include(BIRTH_DATE).and.not.include(HOLDER_NAME);
    expect(r.text).to.not.include("1990-07-14");
    expect(r.body.credential.credentialSubject).to.not.have.any.keys("birthDate", "name");
    expect(r.body.hiddenFieldHashes).to.have.length(2);
    expect((await verifyBundle(r.body, verify)).verdict).to.equal("valid");
  });

  it("error: unknown, malformed or root pointers → 422 DISCLOSURE_INVALID naming each; another issuer's id → 404", async function () {
    const r = await call("POST", `/v1/credentials/${id}/disclose`, { token, body: { hide: ["/credentialSubject/nope", "no-slash", ""] } });
    expectError(r, 422, "DISCLOSURE_INVALID");
    expect(r.body.error.details.map((d: { path: string }) => d.path)).to.have.members(["/credentialSubject/nope", "no-slash", ""]);
    expectError(await call("POST", `/v1/credentials/${id}/disclose`, { token: stack.tokens[2]!, body: { hide: ["/name"] } }), 404, "NOT_FOUND");
    expectError(await call("POST", `/v1/credentials/${id}/disclose`, { body: { hide: ["/name"] } }), 401, "UNAUTHORIZED");
  });

  it("default: credanchor disclose --hide writes a derived bundle that verifies and holds no hidden value", async function () {
    const out = join(dir, "derived.json");
    const r = await cli(["disclose", join(dir, "full.json"), "--hide", "/credentialSubject/birthDate", "--hide", "/credentialSubject/name", "--out", out]);
    expect(r.code, r.stderr).to.equal(0);
    const text = readFileSync(out, "utf8");
    expect(text).to.not.include(BIRTH_DATE).and.not.include(HOLDER_NAME);
    const derived = decodeBundle(text);
    expect((await verifyBundle(derived, verify)).verdict).to.equal("valid");
    // The same as the library and the API derive.
    expect(derived).to.deep.equal(discloseBundle(full, ["/credentialSubject/name", "/credentialSubject/birthDate"]));
    // Hiding more from a derived bundle keeps it verifying.
    const again = await cli(["disclose", out, "--hide", "/credentialSubject/achievement/criteria"]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.not.include("nominated");
    expect((await verifyBundle(decodeBundle(again.stdout), verify)).verdict).to.equal("valid");
  });

  it("behavior: --list names every field that can be hidden, with its value shortened", async function () {
    const r = await cli(["disclose", join(dir, "full.json"), "--list"]);
    expect(r.code, r.stderr).to.equal(0);
    const pointers = r.stdout.trim().split("\n").map((line) => line.split(/\s+/)[0]);
    expect(pointers).to.include.members(["/credentialSubject", "/credentialSubject/birthDate", "/issuer/name", "/type/1"]);
    expect(pointers).to.not.include("");
    expect(r.stdout).to.match(/\/credentialSubject\/birthDate\s+"1990-07-14-unique-birth"/);
    const derived = await cli(["disclose", join(dir, "full.json"), "--hide", "/credentialSubject/birthDate"]);
    writeFileSync(join(dir, "one.json"), derived.stdout);
    expect((await cli(["disclose", join(dir, "one.json"), "--list"])).stdout).to.not.include("birthDate");
  });

  it("error: an unknown pointer is refused clearly (exit 2, nothing written); a missing file too", async function () {
    const out = join(dir, "never.json");
    const r = await cli(["disclose", join(dir, "full.json"), "--hide", "/credentialSubject/birthdate", "--out", out]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("DISCLOSURE_INVALID").and.include("/credentialSubject/birthdate: no such disclosed field");
    expect(() => readFileSync(out)).to.throw();
    const missing = await cli(["disclose", join(dir, "absent.json"), "--hide", "/name"]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include("cannot read");
    expect((await cli(["disclose", join(dir, "full.json")])).code).to.equal(2);
  });
});
