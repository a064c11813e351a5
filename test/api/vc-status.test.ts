// POST /credentials/status (VC-API update status) over HTTP with a real chain and service: revoke, suspend and reinstate
// through the bulk pipeline, read back by @digitalbazaar/vc-bitstring-status-list from the lists we serve; 404 for unknown
// or another issuer's credentials, 409 for impossible changes, 400 for an entry that is not the credential's.
import { checkStatus } from "@digitalbazaar/vc-bitstring-status-list";
import { expect } from "chai";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createDocumentLoader } from "../../src/vc/document-loader.ts";
import { verifyingSuites } from "../../src/vc/suites.ts";
import { openBadge } from "../vc/fixtures.ts";
import { closeStack, openStack, runUntil, startChain, type Chain, type Stack } from "../helpers/stack.ts";
import { serveVcApi, type VcService } from "../helpers/vc-service.ts";
import { call as callHttp, expectDocumented, expectError, type Call, type CallOptions } from "./http.ts";

const ISSUER_1: Principal = { kind: "issuer", issuerId: 1, keyId: "test" };

const badge = (): JsonObject => {
  const { id: _id, issuer: _issuer, ...rest } = openBadge();
  return rest;
};

describe("src/api: POST /credentials/status (VC-API update status, real chain)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let stack: Stack;
  let api: VcService;
  let doc: unknown;
  const nextPoll = () => api.nextPoll();

  before(async function () {
    // A chain of its own: signing waits for the wall clock to pass the block that bound the
    // assertion key, and a shared node's clock runs ahead of it (a block a second at most).
    chain = await startChain();
    stack = await openStack(chain, { batch: { maxSize: 1000, maxWaitMs: 0 }, pollMs: 20 });
    api = await serveVcApi(chain, stack);
    doc = (await callHttp(api.base, "GET", "/openapi.json")).body;
  });

  after(async function () {
    await api?.close();
    await closeStack(stack);
    await chain?.stop();
  });

  const call = async (method: string, path: string, options: CallOptions = {}): Promise<Call> => {
    const r = await callHttp(api.base, method, path, options);
    expectDocumented(doc, r);
    return r;
  };
  const issue = async (): Promise<JsonObject> => {
    const r = await call("POST", "/credentials/issue", { token: stack.tokens[1]!, body: { credential: badge() } });
    expect(r.status, r.text).to.equal(201);
    return r.body.verifiableCredential as JsonObject;
  };
  const update = (credentialId: string, statusPurpose: string, status: boolean, token = stack.tokens[1]!, extra: JsonObject = {}) =>
    call("POST", "/credentials/status", { token, body: { credentialId, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose, ...extra }, status } });
  /** Updates, expects 200, and runs the pipeline until the change is confirmed on-chain. */
  async function confirmed(r: Call): Promise<void> {
    expect(r.status, r.text).to.equal(200);
    expect(r.headers.get("location")).to.equal(`/v1/revocations/${r.body.statusChange.id}`);
    await runUntil(stack, async () => (await stack.service.getStatusChange(ISSUER_1, r.body.statusChange.id)).state === "confirmed");
    nextPoll();
  }

  // A standard verifier reads our served lists over HTTP; contexts come from the pinned set.
  const pinned = createDocumentLoader();
  const documentLoader = async (url: string) => {
    if (!url.startsWith(api.base)) return pinned(url);
    const response = await fetch(url);
    expect(response.status, url).to.equal(200);
    return { contextUrl: null, documentUrl: url, document: await response.json() };
  };
  async function statuses(credential: JsonObject): Promise<Record<string, boolean>> {
    const result = await checkStatus({ credential, documentLoader, suite: verifyingSuites(), verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true });
    expect(result.verified, String(result.error)).to.equal(true);
    const results = (result as unknown as { results: Array<{ status: boolean; credentialStatus: { statusPurpose: string } }> }).results;
    return Object.fromEntries(results.map((r) => [r.credentialStatus.statusPurpose, r.status]));
  }

  it("behavior: suspend → suspended; reinstate (status false) → not suspended; revoke → revoked: read by @digitalbazaar/vc-bitstring-status-list from our lists", async function () {
    const credential = await issue();
    const id = String(credential.id);
    expect(await statuses(credential)).to.deep.equal({ revocation: false, suspension: false });

    const suspended = await update(id, "suspension", true);
    const own = (credential.credentialStatus as JsonObject[])[1]!;
    expect(suspended.body).to.deep.include({ credentialId: id, credentialStatus: own, status: true });
    expect(suspended.body.statusChange).to.include({ action: "suspend", issuerId: 1 });
    await confirmed(suspended);
    expect(await statuses(credential)).to.deep.equal({ revocation: false, suspension: true });

    await confirmed(await update(id, "suspension", false));
    expect(await statuses(credential)).to.deep.equal({ revocation: false, suspension: false });

    // By the service's id, with the entry's own members given (they must be the credential's): here the
    // entry carrying the on-chain entry, a revocation entry too (same list and index, its own id).
    const revocation = (credential.credentialStatus as JsonObject[])[2]!;
    expect(revocation.chainStatus).to.be.an("object");
    const serviceId = id.split("/").at(-1)!;
    const revoked = await update(serviceId, "revocation", true, stack.tokens[1]!, { id: revocation.id!, statusListIndex: revocation.statusListIndex!, statusListCredential: revocation.statusListCredential! });
    expect(revoked.body.credentialStatus).to.deep.equal(revocation);
    await confirmed(revoked);
    expect(await statuses(credential)).to.deep.equal({ revocation: true, suspension: false });
    expect(await stack.service.getCredential(ISSUER_1, serviceId)).to.include({ revoked: true, suspended: false });
  });

  it("behavior: the one-element array form is accepted; an Idempotency-Key replays the same change", async function () {
    const credential = await issue();
    const body = { credentialId: String(credential.id), credentialStatus: [{ type: "BitstringStatusListEntry", statusPurpose: "suspension" }], status: true };
    const first = await call("POST", "/credentials/status", { token: stack.tokens[1]!, body, headers: { "idempotency-key": "vc-status-1" } });
    expect(first.status, first.text).to.equal(200);
    const again = await call("POST", "/credentials/status", { token: stack.tokens[1]!, body, headers: { "idempotency-key": "vc-status-1" } });
    expect(again.status, again.text).to.equal(200);
    expect(again.headers.get("idempotent-replayed")).to.equal("true");
    expect(again.body.statusChange.id).to.equal(first.body.statusChange.id);
  });

  it("error: impossible changes are 409 CONFLICT and queue nothing: un-revoking, revoking twice, suspending a revoked one, reinstating one not suspended", async function () {
    const credential = await issue();
    const id = String(credential.id);
    const before = (await stack.service.stats()).statusChangesByState;
    expectError(await update(id, "suspension", false), 409, "CONFLICT"); // not suspended
    expectError(await update(id, "revocation", false), 409, "CONFLICT"); // revocation is final
    await confirmed(await update(id, "revocation", true));
    expectError(await update(id, "revocation", true), 409, "CONFLICT");
    expectError(await update(id, "suspension", true), 409, "CONFLICT");
    const after = (await stack.service.stats()).statusChangesByState;
    expect(Object.values(after).reduce((a, b) => a + b, 0)).to.equal(Object.values(before).reduce((a, b) => a + b, 0) + 1);
  });

  it("error: unknown or another issuer's credential → 404; an entry that is not the credential's → 400; wrong keys → 401/403; bad bodies → 400", async function () {
    const credential = await issue();
    const id = String(credential.id);
    expectError(await update("https://nowhere.example/credentials/1", "revocation", true), 404, "NOT_FOUND");
    expectError(await update("00000000-0000-4000-8000-000000000000", "revocation", true), 404, "NOT_FOUND");
    expectError(await update(id, "revocation", true, stack.tokens[2]!), 404, "NOT_FOUND");
    const wrongIndex = await update(id, "revocation", true, stack.tokens[1]!, { statusListIndex: "131071" });
    expectError(wrongIndex, 400, "REQUEST_INVALID");
    expect(wrongIndex.body.error.details[0].path).to.equal("credentialStatus.statusListIndex");
    expectError(await update(id, "suspension", true, stack.tokens[1]!, { statusListCredential: `${api.base}/status-lists/1/revocation/0` }), 400, "REQUEST_INVALID");
    expectError(await update(id, "revocation", true, stack.adminToken), 403, "FORBIDDEN");
    expectError(await call("POST", "/credentials/status", { body: { credentialId: id, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: true } }), 401, "UNAUTHORIZED");
    for (const body of [
      { credentialId: id, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" } }, // no status
      { credentialId: id, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "refresh" }, status: true },
      { credentialId: id, credentialStatus: { type: "StatusList2021Entry", statusPurpose: "revocation" }, status: true },
      { credentialId: id, credentialStatus: [], status: true },
      { credentialId: id, credentialStatus: [{ type: "BitstringStatusListEntry", statusPurpose: "revocation" }, { type: "BitstringStatusListEntry", statusPurpose: "suspension" }], status: true },
      { credentialId: id, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation", statusListIndex: 5 }, status: true },
      { credentialId: "", credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: true },
      { credentialId: id, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: "true" },
      { credentialId: id, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: true, action: "revoke" },
    ]) {
      expectError(await call("POST", "/credentials/status", { token: stack.tokens[1]!, body }), 400, "REQUEST_INVALID");
    }
    expectError(await call("GET", "/credentials/status", { token: stack.tokens[1]! }), 405, "METHOD_NOT_ALLOWED");
    expect(await stack.service.getCredential(ISSUER_1, id.split("/").at(-1)!)).to.include({ revoked: false, suspended: false });
  });
});
