// POST /v1/credentials with a large body: parsed and checked on a worker thread, with exactly the
// guarantees of the main-thread path (strict JSON, every refusal a 4xx with its code and paths,
// Idempotency-Key replay and conflict, duplicates by credential id, nothing stored on refusal).
import { expect } from "chai";
import type { JsonObject } from "../../src/core/json.ts";
import { OFFLOAD_FROM_BYTES } from "../../src/issuer/use-cases/submit.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundles } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, serveApi, sharedChain, ISSUER_IDENTITIES, type Chain, type Stack } from "../helpers/stack.ts";
import { call, expectError } from "./http.ts";

const N = 60;
const badges = (tag: string): JsonObject[] =>
  Array.from({ length: N }, (_, k) => {
    const c = sampleBadge();
    ((c.credentialSubject as JsonObject).achievement as JsonObject).name = `${tag} ${k}`;
    return c;
  });

describe("POST /v1/credentials: large bodies parsed off the main thread keep every guarantee", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let token: string;
  const count = async () => Number((await stack.rows("SELECT COUNT(*) AS n FROM credentials"))[0]!.n);
  const post = (raw: string, headers: Record<string, string> = {}) => call(api.base, "POST", "/v1/credentials", { token, raw, headers: { "content-type": "application/json", ...headers } });

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    api = await serveApi(stack);
    token = stack.tokens[1]!;
  });
  after(async function () {
    await api?.close();
    await closeStack(stack);
  });

  it("default: a large valid body is stored as submitted (issuer filled in), ids in order", async function () {
    const credentials = badges("Big");
    delete credentials[7]!.issuer;
    const raw = JSON.stringify({ credentials });
    expect(raw.length).to.be.at.least(OFFLOAD_FROM_BYTES);
    const r = await post(raw);
    expect(r.status, r.text).to.equal(202);
    expect(r.body.credentials).to.have.length(N);
    const view = (await call(api.base, "GET", `/v1/credentials/${r.body.credentials[3].id}`, { token })).body;
    expect(view.credential).to.deep.equal(credentials[3]);
    const filled = (await call(api.base, "GET", `/v1/credentials/${r.body.credentials[7].id}`, { token })).body;
    expect(filled.credential.issuer).to.deep.equal({ id: ISSUER_IDENTITIES[1], type: ["Profile"] });
    // Salts, digests and leaves came back from the worker packed in one buffer: every credential
    // of the request anchors under its own status index and verifies against the chain.
    const ids = (r.body.credentials as { id: string; statusIndex: number }[]).map((c) => c.id);
    const bundleOf = async (id: string) => (await call(api.base, "GET", `/v1/credentials/${id}/bundle`, { token })).body;
    await runUntil(stack, async () => (await call(api.base, "GET", `/v1/credentials/${ids.at(-1)}`, { token })).body.state !== "queued");
    await runUntil(stack, async () => ["anchored", "confirmed"].includes((await call(api.base, "GET", `/v1/credentials/${ids.at(-1)}`, { token })).body.state));
    const bundles = await Promise.all(ids.map(bundleOf));
    expect(bundles.map((b) => b.statusIndex)).to.deep.equal(r.body.credentials.map((c: { statusIndex: number }) => c.statusIndex));
    const reports = await verifyBundles(bundles, { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } });
    expect(reports.map((report) => report.verdict)).to.deep.equal(ids.map(() => "valid"));
  });

  it("error: strict JSON: a duplicate member deep inside is 400 JSON_DUPLICATE_KEY; bad syntax 400 JSON_SYNTAX; not UTF-8 400 REQUEST_INVALID; nothing stored", async function () {
    const before = await count();
    const raw = JSON.stringify({ credentials: badges("Dup") });
    const at = raw.lastIndexOf('"name":');
    expectError(await post(raw.slice(0, at) + '"name":"x",' + raw.slice(at)), 400, "JSON_DUPLICATE_KEY");
    expectError(await post(raw.slice(0, -2)), 400, "JSON_SYNTAX");
    const bytes = Buffer.from(raw);
    bytes[bytes.length - 40] = 0xff; // not UTF-8
    const notUtf8 = await call(api.base, "POST", "/v1/credentials", { token, raw: bytes, headers: { "content-type": "application/json" } });
    expectError(notUtf8, 400, "REQUEST_INVALID");
    expect(notUtf8.body.error.message).to.match(/UTF-8/);
    expect(await count()).to.equal(before);
  });

  it("error: envelope problems are 400 REQUEST_INVALID with the schema's details", async function () {
    const credentials = badges("Env");
    const extra = await post(JSON.stringify({ credentials, more: 1 }));
    expectError(extra, 400, "REQUEST_INVALID");
    expect(extra.body.error.details[0].message).to.match(/unknown field: more/);
    expectError(await post(JSON.stringify({ credentials: "x".repeat(OFFLOAD_FROM_BYTES) })), 400, "REQUEST_INVALID");
  });

  it("error: an invalid credential is 422 CREDENTIAL_INVALID naming it; another issuer 422 ISSUER_MISMATCH; too many 400; nothing stored", async function () {
    const before = await count();
    const invalid = badges("Invalid");
    delete invalid[45]!.credentialSubject;
    const r = await post(JSON.stringify({ credentials: invalid }));
    expectError(r, 422, "CREDENTIAL_INVALID");
    expect(r.body.error.details.map((d: { path: string }) => d.path)).to.include("credentials[45].credentialSubject");
    const other = badges("Other");
    (other[52]!.issuer as JsonObject).id = "did:web:someone-else.example";
    const m = await post(JSON.stringify({ credentials: other }));
    expectError(m, 422, "ISSUER_MISMATCH");
    expect(m.body.error.details[0].path).to.equal("credentials[52].issuer.id");
    const many = Array.from({ length: 10_001 }, () => ({ a: 1 }));
    expectError(await post(JSON.stringify({ credentials: many })), 400, "REQUEST_INVALID");
    expect(await count()).to.equal(before);
  });

  it("behavior: Idempotency-Key replays the same answer and refuses another body (409); repeated credential ids are duplicates", async function () {
    const credentials = badges("Keyed");
    credentials.forEach((c, k) => (c.id = `urn:uuid:00000000-0000-4000-8000-${String(k % 30).padStart(12, "0")}`));
    const first = await post(JSON.stringify({ credentials }), { "idempotency-key": "offload-1" });
    expect(first.status, first.text).to.equal(202);
    expect(first.body.credentials[30].duplicate).to.equal(true);
    expect(first.body.credentials[30].id).to.equal(first.body.credentials[0].id);
    const again = await post(JSON.stringify({ credentials }), { "idempotency-key": "offload-1" });
    expect(again.status).to.equal(202);
    expect(again.headers.get("idempotent-replayed")).to.equal("true");
    expect(again.body).to.deep.equal(first.body);
    expectError(await post(JSON.stringify({ credentials: badges("Other body") }), { "idempotency-key": "offload-1" }), 409, "IDEMPOTENCY_CONFLICT");
    // Without a key, the same credential ids are answered as the records stored first.
    const repeat = await post(JSON.stringify({ credentials }));
    expect(repeat.body.credentials.every((c: { duplicate?: boolean }) => c.duplicate)).to.equal(true);
  });
});
