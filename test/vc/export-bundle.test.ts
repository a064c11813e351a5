// A v1 proof bundle exported in the VC form (library, `credanchor export-vc`, GET /v1/credentials/{id}/vc): lossless,
// verified VALID against the chain by the library, the CLI and POST /credentials/verify; a tampered field fails everywhere.
import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVcApiContext } from "../../src/api/vc-api.ts";
import { chainKeyBinding } from "../../src/chain/assertion-keys.ts";
import { encodeBundle, type Bundle } from "../../src/core/bundle.ts";
import { discloseBundle } from "../../src/core/bundle-disclosure.ts";
import { ValidationError } from "../../src/core/errors.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { ANCHOR_CRYPTOSUITE, vcToBundle } from "../../src/vc/anchor-proof.ts";
import { exportBundleAsVc } from "../../src/vc/export-bundle.ts";
import { verifyVc } from "../../src/vc/verify.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { call } from "../api/http.ts";
import { expectCode, sampleBadge } from "../core/helpers.ts";
import { cli } from "../helpers/cli.ts";
import { closeStack, openStack, removeDir, runUntil, serveApi, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

const ISSUER_1: Principal = { kind: "issuer", issuerId: 1, keyId: "test" };

/** The VC with `credentialSubject.achievement.name` changed. */
function tampered(vc: JsonObject): JsonObject {
  const copy = structuredClone(vc);
  ((copy.credentialSubject as JsonObject).achievement as JsonObject).name = "Forged achievement";
  return copy;
}

describe("a v1 bundle exported in the VC form (library, CLI, HTTP)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let stack: Stack;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let dir: string;
  let bundle: Bundle;
  let credentialId: string;
  let bundleFile: string;
  let trustArgs: string[];

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain, { batch: { maxSize: 1000, maxWaitMs: 0 }, pollMs: 20 });
    api = await serveApi(stack, { vc: createVcApiContext({ client: chain.publicClient, chainId: 31337, registry: chain.registry, keys: new Map(), publicBaseUrl: () => api.base }) });
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [sampleBadge()] });
    credentialId = credentials[0]!.id;
    await runUntil(stack, async () => (await stack.service.getCredential(ISSUER_1, credentialId)).state === "confirmed");
    bundle = (await stack.service.getCredential(ISSUER_1, credentialId)).bundle!;
    dir = mkdtempSync(join(tmpdir(), "credanchor-export-vc-"));
    bundleFile = join(dir, "badge.bundle.json");
    writeFileSync(bundleFile, encodeBundle(bundle));
    const book = join(dir, "book.json");
    writeFileSync(book, JSON.stringify(chain.addressBook("export-test")));
    trustArgs = ["--trust", book, "--rpc", chain.url];
  });

  after(async function () {
    await api?.close();
    await closeStack(stack);
    if (dir) removeDir(dir);
  });

  const chainOptions = () => ({ trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } });

  it("default: the credential unchanged with one proof, the anchor proof; lossless; VALID against the chain, also with the registry's key binding", async function () {
    const vc = exportBundleAsVc(bundle);
    const { proof, ...credential } = vc;
    expect(credential).to.deep.equal(bundle.credential);
    expect(proof).to.include({ type: "DataIntegrityProof", cryptosuite: ANCHOR_CRYPTOSUITE, proofPurpose: "assertionMethod" });
    expect(encodeBundle(vcToBundle(vc))).to.equal(encodeBundle(bundle));
    expect(exportBundleAsVc(encodeBundle(bundle))).to.deep.equal(vc);
    const report = await verifyVc(vc, { chain: chainOptions() });
    expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    expect(report.checks.find((c) => c.name === "signature")).to.include({ outcome: "skip", code: "NO_SIGNATURE" });
    expect(report.checks.find((c) => c.name === "issuer")).to.include({ outcome: "pass" });
    expect(report.checks.find((c) => c.name === "status")).to.include({ outcome: "pass" });
    // The issuer (a did:web) has no key to bind: with a key registry at hand, the anchor's issuer check binds it instead.
    const bound = await verifyVc(vc, { chain: chainOptions(), keyBinding: chainKeyBinding(chain.publicClient, chain.registry) });
    expect(bound.verdict, JSON.stringify(bound.checks)).to.equal("valid");
    expect(bound.checks.find((c) => c.name === "identity")).to.include({ outcome: "skip", code: "ANCHOR_ONLY" });
  });

  it("attack: a tampered field fails integrity; a derived bundle exports as a derived VC that still verifies", async function () {
    const forged = await verifyVc(tampered(exportBundleAsVc(bundle)), { chain: chainOptions() });
    expect(forged.verdict).to.equal("invalid");
    expect(forged.checks.find((c) => c.name === "integrity")).to.include({ outcome: "fail", code: "LEAF_MISMATCH" });
    const derived = exportBundleAsVc(discloseBundle(bundle, ["/credentialSubject/achievement/description"]));
    expect(((derived.credentialSubject as JsonObject).achievement as JsonObject).description).to.equal(undefined);
    expect((await verifyVc(derived, { chain: chainOptions() })).verdict).to.equal("valid");
  });

  it("error: a bundle of anchored JSON that is not a VC has no VC form (CREDENTIAL_INVALID)", function () {
    const notVc = { ...bundle, credential: { name: "a plain JSON document" } } as Bundle;
    expectCode(() => exportBundleAsVc(notVc), ValidationError, "CREDENTIAL_INVALID");
  });

  it("CLI: export-vc writes the VC; `credanchor verify` says VALID, and INVALID for a tampered copy", async function () {
    const out = join(dir, "badge.vc.json");
    const exported = await cli(["export-vc", bundleFile, "--out", out]);
    expect(exported.code, exported.stderr).to.equal(0);
    const vc = JSON.parse(readFileSync(out, "utf8")) as JsonObject;
    expect(vc).to.deep.equal(exportBundleAsVc(bundle));
    const forgedFile = join(dir, "forged.vc.json");
    writeFileSync(forgedFile, JSON.stringify(tampered(vc)));
    const verified = await cli(["verify", out, forgedFile, ...trustArgs]);
    expect(verified.code, verified.stdout + verified.stderr).to.equal(1);
    expect(verified.stdout).to.include(`${out}: VALID (W3C VC)`);
    expect(verified.stdout).to.include(`${forgedFile}: INVALID (W3C VC)`);
  });

  it("HTTP: GET /v1/credentials/{id}/vc is the export; POST /credentials/verify: 200 verified, tampered 422", async function () {
    const got = await call(api.base, "GET", `/v1/credentials/${credentialId}/vc`, { token: stack.tokens[1]! });
    expect(got.status, got.text).to.equal(200);
    expect(got.headers.get("content-type")).to.match(/^application\/vc\+ld\+json/);
    const vc = JSON.parse(got.text) as JsonObject;
    expect(vc).to.deep.equal(exportBundleAsVc(bundle));
    const verified = await call(api.base, "POST", "/credentials/verify", { body: { verifiableCredential: vc } });
    expect(verified.status, verified.text).to.equal(200);
    expect(verified.body.verified).to.equal(true);
    expect(verified.body.checks).to.include.members(["integrity", "inclusion", "anchored", "issuer", "status"]);
    const forged = await call(api.base, "POST", "/credentials/verify", { body: { verifiableCredential: tampered(vc) } });
    expect(forged.status, forged.text).to.equal(422);
    expect(forged.body.errors.map((e: { code: string }) => e.code)).to.include("LEAF_MISMATCH");
    const unknown = await call(api.base, "GET", "/v1/credentials/00000000-0000-4000-8000-000000000000/vc", { token: stack.tokens[1]! });
    expect(unknown.status).to.equal(404);
  });
});
