// The VC-API over HTTP with a real chain and service: issue (signed, status entries), the anchor proof added once anchored, verify credentials and presentations, revocation, tampering, unbound keys, bad input.
import * as vc from "@digitalbazaar/vc";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { cryptosuite as eddsaRdfc2022 } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import { expect } from "chai";
import { createVcApiContext } from "../../src/api/vc-api.ts";
import { addAssertionKey } from "../../src/chain/assertion-keys.ts";
import { CredanchorError } from "../../src/core/errors.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { checkAssertionKeys, loadAssertionKeys } from "../../src/issuer/assertion-keys.ts";
import { ANCHOR_CRYPTOSUITE } from "../../src/vc/anchor-proof.ts";
import { defaultDocumentLoader } from "../../src/vc/document-loader.ts";
import { issueCredential } from "../../src/vc/issue.ts";
import { generateAssertionKey, type AssertionKey } from "../../src/vc/keys.ts";
import { createStatusEntries, statusListUrlFrom } from "../../src/vc/status-entries.ts";
import { signingSuite } from "../../src/vc/suites.ts";
import { openBadge } from "../vc/fixtures.ts";
import { closeStack, openStack, runUntil, serveApi, startChain, type Chain, type Stack } from "../helpers/stack.ts";
import { call as callHttp, expectDocumented, expectError, type Call, type CallOptions } from "./http.ts";

const BASE_URL = "https://issuer.credanchor.test";
const documentLoader = defaultDocumentLoader();

/** @digitalbazaar/vc's own verification (offline, pinned contexts; status is not its business here). */
const dbVerify = (credential: JsonObject) =>
  vc.verifyCredential({ credential, suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }), documentLoader, checkStatus: async () => ({ verified: true }) });

const badge = (): JsonObject => {
  const { id: _id, issuer: _issuer, ...rest } = openBadge();
  return rest;
};

describe("src/api: VC-API (real service, real chain)", function () {
  let chain: Chain;
  let stack: Stack;
  let key: AssertionKey;
  let base: string;
  let doc: unknown;
  let close: () => Promise<void>;

  before(async function () {
    // A chain of its own: signing waits for the wall clock to pass the block that bound the
    // assertion key, and a shared node's clock runs ahead of it (a block a second at most).
    chain = await startChain();
    stack = await openStack(chain, { batch: { maxSize: 1000, maxWaitMs: 0 }, pollMs: 20 });
    key = await generateAssertionKey();
    const admin = chain.issuers[0]!.admin;
    await addAssertionKey({ publicClient: chain.publicClient, walletClient: chain.wallet(admin), account: admin }, chain.registry, key.publicKey);
    // The node's block times run ahead of the clock (one second per block at least): a key is
    // valid from its block's time, so wait until the clock is past it, as it is in real use.
    const { timestamp } = await chain.publicClient.getBlock();
    while (Date.now() / 1000 < Number(timestamp) + 1) await new Promise((r) => setTimeout(r, 100));
    const context = createVcApiContext({ client: chain.publicClient, chainId: 31337, registry: chain.registry, keys: new Map([[1, key]]), publicBaseUrl: `${BASE_URL}/` });
    ({ base, close } = await serveApi(stack, { vc: context }));
    doc = (await callHttp(base, "GET", "/openapi.json")).body;
  });

  after(async function () {
    await close?.();
    await closeStack(stack);
    await chain?.stop();
  });

  const call = async (method: string, path: string, options: CallOptions = {}): Promise<Call> => {
    const r = await callHttp(base, method, path, options);
    expectDocumented(doc, r);
    return r;
  };
  const issue = (credential: unknown, token = stack.tokens[1]!) => call("POST", "/credentials/issue", { token, body: { credential } });
  const verify = (verifiableCredential: JsonObject) => call("POST", "/credentials/verify", { body: { verifiableCredential } });
  const serviceId = (credential: JsonObject) => String(credential.id).split("/").at(-1)!;

  async function anchored(id: string): Promise<JsonObject> {
    await runUntil(stack, async () => ["anchored", "confirmed"].includes((await stack.service.getCredential({ kind: "issuer", issuerId: 1, keyId: "t" }, id)).state));
    const r = await call("GET", `/credentials/${id}`, { token: stack.tokens[1]! });
    expect(r.status, r.text).to.equal(200);
    return r.body.verifiableCredential as JsonObject;
  }

  it("default: issue answers 201 with one eddsa-rdfc-2022 proof by the issuer's did:key, status entries, and @digitalbazaar/vc verifies it", async () => {
    const r = await issue(badge());
    expect(r.status, r.text).to.equal(201);
    expect(Object.keys(r.body)).to.deep.equal(["verifiableCredential"]);
    const credential = r.body.verifiableCredential as JsonObject;
    expect(credential.proof).to.be.an("object").that.deep.includes({ type: "DataIntegrityProof", cryptosuite: "eddsa-rdfc-2022", verificationMethod: key.verificationMethod });
    expect(credential.issuer).to.deep.include({ id: key.did, name: "University" });
    expect(String(credential.id)).to.match(new RegExp(`^${BASE_URL}/credentials/[0-9a-f-]{36}$`));
    const status = credential.credentialStatus as JsonObject[];
    expect(status.map((s) => s.type)).to.deep.equal(["BitstringStatusListEntry", "BitstringStatusListEntry", "BitstringStatusListEntry"]);
    expect(status[0]!.statusListCredential).to.equal(`${BASE_URL}/status-lists/1/revocation/0`);
    expect(status[1]!.statusListCredential).to.equal(`${BASE_URL}/status-lists/1/suspension/0`);
    expect(status[2]!.chainStatus).to.deep.include({ type: "CredanchorChainStatusEntry", registry: chain.registry, issuerId: "1" });
    const result = await dbVerify(credential);
    expect(result.verified, JSON.stringify(result.error ?? result.results)).to.equal(true);
    // Before anchoring: GET shows the same credential, verify passes the signature (no anchor yet).
    const got = await call("GET", `/credentials/${serviceId(credential)}`, { token: stack.tokens[1]! });
    expect(got.body.verifiableCredential).to.deep.equal(credential);
    const early = await verify(credential);
    expect(early.status, early.text).to.equal(200);
    expect(early.body.checks).to.include.members(["signature", "identity", "validity"]);
  });

  it("behavior: once anchored, GET has both proofs; verify passes signature, anchor, status and identity; @digitalbazaar/vc still verifies", async () => {
    const credential = (await issue(badge())).body.verifiableCredential as JsonObject;
    const latest = await anchored(serviceId(credential));
    const proofs = latest.proof as JsonObject[];
    expect(proofs.map((p) => p.cryptosuite)).to.deep.equal(["eddsa-rdfc-2022", ANCHOR_CRYPTOSUITE]);
    expect(proofs[0]).to.deep.equal(credential.proof);
    const r = await verify(latest);
    expect(r.status, r.text).to.equal(200);
    expect(r.body.verified).to.equal(true);
    expect(r.body.checks).to.include.members(["signature", "integrity", "inclusion", "anchored", "issuer", "status", "validity", "identity"]);
    expect(r.body.errors).to.deep.equal([]);
    // By the VC's own id too.
    expect((await call("GET", `/credentials/${encodeURIComponent(String(latest.id))}`, { token: stack.tokens[1]! })).body.verifiableCredential).to.deep.equal(latest);
    expect((await dbVerify(latest)).verified).to.equal(true);
  });

  it("behavior: revoked through /v1/revocations, verify fails on status (422 VERIFICATION_FAILED)", async () => {
    const credential = (await issue(badge())).body.verifiableCredential as JsonObject;
    const id = serviceId(credential);
    const latest = await anchored(id);
    const change = await call("POST", "/v1/revocations", { token: stack.tokens[1]!, body: { action: "revoke", credentialIds: [id] } });
    expect(change.status, change.text).to.equal(202);
    await runUntil(stack, async () => (await stack.service.getStatusChange({ kind: "issuer", issuerId: 1, keyId: "t" }, change.body.id)).state === "confirmed");
    const r = await verify(latest);
    expect(r.status, r.text).to.equal(422);
    expect(r.body.verified).to.equal(false);
    expect(r.body.error.code).to.equal("VERIFICATION_FAILED");
    expect(r.body.errors).to.deep.include({ check: "status", code: "REVOKED", message: r.body.errors.find((e: { check: string }) => e.check === "status").message });
  });

  it("error: a tampered field fails our verification and @digitalbazaar/vc's", async () => {
    const credential = (await issue(badge())).body.verifiableCredential as JsonObject;
    const latest = await anchored(serviceId(credential));
    const tampered = structuredClone(latest);
    (tampered.credentialSubject as JsonObject).id = "did:example:someone-else";
    const r = await verify(tampered);
    expect(r.status, r.text).to.equal(422);
    expect(r.body.errors.map((e: { check: string }) => e.check)).to.include.members(["signature", "integrity"]);
    expect((await dbVerify(tampered)).verified).to.equal(false);
  });

  it("error: a credential signed by a did:key not bound to the issuer fails identity", async () => {
    const stranger = await generateAssertionKey();
    const entries = createStatusEntries({ chainId: 31337, registry: chain.registry, issuerId: 1, statusIndex: 5, statusListUrl: statusListUrlFrom(BASE_URL, 1) });
    const forged = await issueCredential(badge(), { key: stranger, issuerName: "University", credentialStatus: entries });
    expect((await dbVerify(forged)).verified).to.equal(true); // a standard verifier cannot tell
    const r = await verify(forged);
    expect(r.status, r.text).to.equal(422);
    expect(r.body.errors).to.satisfy((errors: { check: string; code: string }[]) => errors.some((e) => e.check === "identity" && e.code === "KEY_NOT_BOUND"));
  });

  it("default: /presentations/verify checks the holder's proof with the challenge and domain; a wrong challenge fails", async () => {
    const credential = (await issue(badge())).body.verifiableCredential as JsonObject;
    const holder = await generateAssertionKey();
    const presentation = vc.createPresentation({ verifiableCredential: [credential], holder: holder.did });
    const vp = await vc.signPresentation({ presentation, suite: signingSuite(holder.signer()), challenge: "c-123", domain: "verifier.example", documentLoader });
    const ok = await call("POST", "/presentations/verify", { body: { verifiablePresentation: vp, options: { challenge: "c-123", domain: "verifier.example" } } });
    expect(ok.status, ok.text).to.equal(200);
    expect(ok.body.checks).to.include("presentation");
    const wrong = await call("POST", "/presentations/verify", { body: { verifiablePresentation: vp, options: { challenge: "c-999", domain: "verifier.example" } } });
    expect(wrong.status, wrong.text).to.equal(422);
    expect(wrong.body.errors[0]).to.include({ check: "presentation", code: "PRESENTATION_PROOF_INVALID" });
  });

  it("behavior: VC 1.1 input is issued as VC 2.0; an input id is kept and GET finds it", async () => {
    const { validFrom, validUntil, ...rest } = badge();
    const v11 = { ...rest, "@context": ["https://www.w3.org/2018/credentials/v1", ...(rest["@context"] as string[]).slice(1)], id: "urn:uuid:0b7a5f4e-1111-4000-8000-000000000011", issuanceDate: validFrom, expirationDate: validUntil };
    const r = await issue(v11);
    expect(r.status, r.text).to.equal(201);
    const credential = r.body.verifiableCredential as JsonObject;
    expect(credential["@context"]).to.include("https://www.w3.org/ns/credentials/v2");
    expect(credential).to.include({ validFrom, validUntil, id: v11.id });
    expect(credential.issuanceDate).to.equal(undefined);
    expect((await dbVerify(credential)).verified).to.equal(true);
    expect((await call("GET", `/credentials/${v11.id}`, { token: stack.tokens[1]! })).body.verifiableCredential).to.deep.equal(credential);
  });

  it("error: bad input answers 4xx with a code, and nothing is stored", async () => {
    const stored = async () => Object.values((await stack.service.stats()).credentialsByState).reduce((a, b) => a + b, 0);
    const before = await stored();
    const undefinedTerm = { ...badge(), favouriteColour: "blue" };
    const r = await issue(undefinedTerm);
    expectError(r, 422, "CREDENTIAL_INVALID");
    expect(r.body.error.details[0]).to.include({ path: "favouriteColour" });
    expect(r.body.error.details[0].message).to.match(/JSONLD_UNDEFINED_TERM/);
    expectError(await issue({ ...badge(), issuer: "did:web:someone-else.example" }), 422, "ISSUER_MISMATCH");
    expectError(await issue({ ...badge(), proof: { type: "DataIntegrityProof" } }), 422, "CREDENTIAL_INVALID");
    expectError(await issue(badge(), stack.tokens[2]!), 409, "ASSERTION_KEY_MISSING");
    expectError(await issue(badge(), stack.adminToken), 403, "FORBIDDEN");
    expectError(await call("POST", "/credentials/issue", { body: { credential: badge() } }), 401, "UNAUTHORIZED");
    expectError(await call("POST", "/credentials/issue", { token: stack.tokens[1]!, body: { credential: "x" } }), 400, "REQUEST_INVALID");
    expectError(await call("POST", "/credentials/verify", { body: { verifiableCredential: [] } }), 400, "REQUEST_INVALID");
    expectError(await call("POST", "/credentials/verify", { body: { credential: {} } }), 400, "REQUEST_INVALID");
    const none = await verify(badge());
    expect(none.status, none.text).to.equal(422);
    expect(none.body.errors[0]).to.include({ check: "format", code: "CREDENTIAL_INVALID" });
    expectError(await call("GET", "/credentials/00000000-0000-4000-8000-000000000000", { token: stack.tokens[1]! }), 404, "NOT_FOUND");
    expectError(await call("GET", "/credentials/not-an-id", { token: stack.tokens[1]! }), 400, "REQUEST_INVALID");
    expect(await stored()).to.equal(before);
    // Another issuer's signed credential is answered as missing.
    const mine = (await issue(badge())).body.verifiableCredential as JsonObject;
    expectError(await call("GET", `/credentials/${serviceId(mine)}`, { token: stack.tokens[2]! }), 404, "NOT_FOUND");
  });

  it("error: the service refuses an assertion key not bound on-chain to its issuer (CONFIG_INVALID), or a malformed secret", async () => {
    const unbound = await generateAssertionKey();
    const refusal = await checkAssertionKeys(chain.publicClient, chain.registry, new Map([[1, unbound]])).catch((e: unknown) => e);
    expect(refusal).to.be.instanceOf(CredanchorError).and.to.include({ code: "CONFIG_INVALID" });
    expect(String((refusal as Error).message)).to.include(unbound.did).and.not.include(unbound.exportSecret());
    const other = await checkAssertionKeys(chain.publicClient, chain.registry, new Map([[2, key]])).catch((e: unknown) => e);
    expect((other as CredanchorError).message).to.match(/belongs to issuer 1, not 2/);
    await checkAssertionKeys(chain.publicClient, chain.registry, new Map([[1, key]]));
    const loaded = await loadAssertionKeys({ assertionKeys: { "1": key.exportSecret() } }, stack.dir);
    expect(loaded.get(1)!.did).to.equal(key.did);
    const bad = await loadAssertionKeys({ assertionKeys: { "3": "not-a-secret" } }, stack.dir).catch((e: unknown) => e);
    expect(bad).to.include({ code: "CONFIG_INVALID" });
    expect((bad as Error).message).to.include("ASSERTION_KEY_3").and.not.include("not-a-secret");
  });
});
