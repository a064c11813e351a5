// GET /v1/credentials/{id}/bundle is answered before express (src/api/bundle-fast-path.ts): every
// answer equals the express route's, case by case; proofs come from the batch's stored leaves, or
// from the row for credentials claimed before migration 9; a key revoked elsewhere stops within
// API_KEY_CACHE_MS; a served bundle stays the same through a status change, and an erasure ends it
// at once through this service, and is seen within BUNDLE_RECHECK_MS when made in the database
// behind the process's back (SQLite has no other writer; PostgreSQL replicas ask every time).
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import pino from "pino";
import { createApp } from "../../src/api/app.ts";
import { createBundleFastPath } from "../../src/api/bundle-fast-path.ts";
import { Metrics } from "../../src/api/metrics.ts";
import { requestListenerOf } from "../../src/api/status-list-fast-path.ts";
import { parseBundle } from "../../src/core/bundle.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { proofToHex, verifyMerkleProof, proofFromHex } from "../../src/core/merkle-proof.ts";
import { createApiKey } from "../../src/issuer/api-keys.ts";
import { BUNDLE_RECHECK_MS } from "../../src/issuer/bundle-cache.ts";
import { API_KEY_CACHE_MS } from "../../src/issuer/use-cases/api-keys.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { sampleBadge } from "../core/helpers.ts";
import { openStack, runUntil, startChain, type Chain, type Stack } from "../helpers/stack.ts";
import { call, expectError, type Call } from "./http.ts";

const badge = (name: string) => {
  const c = sampleBadge();
  ((c.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  return c;
};

const listen = (server: Server) =>
  new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));

/** What must be the same on both paths: status, body (request id aside) and the headers a client sees. */
function answerOf(r: Call) {
  const body = r.body?.error ? { error: { ...r.body.error, requestId: r.body.error.requestId === r.headers.get("x-request-id") ? "same" : "differs" } } : r.text;
  const headers = Object.fromEntries(
    ["content-type", "content-length", "cache-control", "etag", "www-authenticate", "x-content-type-options"].map((h) => [h, r.headers.get(h)]),
  );
  return { status: r.status, body, headers, requestId: /^[0-9a-f-]{36}$/.test(r.headers.get("x-request-id") ?? "") };
}

describe("bundle GET fast path: the route's answers before express", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let viaExpress: string;
  let viaFastPath: string;
  const taken: boolean[] = [];
  const servers: Server[] = [];
  const metrics = new Metrics();

  before(async function () {
    chain = await startChain();
    stack = await openStack(chain);
    const options = { service: stack.service, verify: { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } }, logger: pino({ level: "silent" }), metrics };
    const app = createApp(options);
    const fast = createBundleFastPath({ service: stack.service, metrics, log: pino({ level: "silent" }), handlerTimeoutMs: 60_000 });
    servers.push(createServer(app), createServer((req, res) => taken.push(fast(req, res)) && taken.at(-1)! || app(req, res)));
    viaExpress = await listen(servers[0]!);
    viaFastPath = await listen(servers[1]!);
  });
  after(async function () {
    for (const s of servers) await new Promise((r) => s.close(r));
    await stack?.close();
    await chain?.stop();
  });

  async function submit(names: string[], token = stack.tokens[1]!): Promise<string[]> {
    const r = await call(viaExpress, "POST", "/v1/credentials", { token, body: { credentials: names.map(badge) } });
    expect(r.status, r.text).to.equal(202);
    return r.body.credentials.map((c: { id: string }) => c.id);
  }
  const anchor = (id: string) =>
    runUntil(stack, async () => ["anchored", "confirmed"].includes((await call(viaExpress, "GET", `/v1/credentials/${id}`, { token: stack.tokens[1]! })).body.state));

  it("behavior: every case answers the same through the fast path as through express (and the fast path took them)", async function () {
    const [anchored, erased] = await submit(["Fast A", "Fast B"]);
    await anchor(anchored!);
    const [queued] = await submit(["Fast queued"]);
    const token = stack.tokens[1]!;
    const etag = (await call(viaExpress, "GET", `/v1/credentials/${anchored}/bundle`, { token })).headers.get("etag")!;
    expect((await call(viaExpress, "DELETE", `/v1/credentials/${erased}`, { token })).status).to.equal(200);
    const unknown = "01920000-0000-7000-8000-000000000000";
    const cases: [string, string, Record<string, string>][] = [
      ["anchored", anchored!, { authorization: `Bearer ${token}` }],
      ["operator key", anchored!, { authorization: `Bearer ${stack.adminToken}` }],
      ["If-None-Match", anchored!, { authorization: `Bearer ${token}`, "if-none-match": etag }],
      ["weak If-None-Match in a list", anchored!, { authorization: `Bearer ${token}`, "if-none-match": `"x", W/${etag}` }],
      ["another ETag", anchored!, { authorization: `Bearer ${token}`, "if-none-match": '"other"' }],
      ["no key", anchored!, {}],
      ["not Bearer", anchored!, { authorization: "Basic Zm9vOmJhcg==" }],
      ["unknown key", anchored!, { authorization: `Bearer cak_0123456789abcdef_${"A".repeat(43)}` }],
      ["malformed key", anchored!, { authorization: "Bearer nonsense" }],
      ["another issuer's key", anchored!, { authorization: `Bearer ${stack.tokens[2]!}` }],
      ["unknown id", unknown, { authorization: `Bearer ${token}` }],
      ["queued", queued!, { authorization: `Bearer ${token}` }],
      ["erased", erased!, { authorization: `Bearer ${token}` }],
      ["erased with its old ETag", erased!, { authorization: `Bearer ${token}`, "if-none-match": etag }],
    ];
    for (const [name, id, headers] of cases) {
      taken.length = 0;
      const express = await call(viaExpress, "GET", `/v1/credentials/${id}/bundle`, { headers });
      const fast = await call(viaFastPath, "GET", `/v1/credentials/${id}/bundle`, { headers });
      expect(taken, name).to.deep.equal([true]);
      expect(answerOf(fast), name).to.deep.equal(answerOf(express));
      if (express.status >= 400) expectError(fast, express.status, express.body.error.code);
    }
    const served = await call(viaFastPath, "GET", `/v1/credentials/${anchored}/bundle`, { token });
    expect(served.status).to.equal(200);
    expect(() => parseBundle(served.body)).to.not.throw();
    // Counted like the route: by route and status, errors by code.
    const text = await metrics.render(undefined);
    expect(text).to.match(/credanchor_http_requests_total\{method="GET",route="\/v1\/credentials\/:id\/bundle",status="304"\} [1-9]/);
    expect(text).to.match(/credanchor_http_errors_total\{code="GONE"\} [1-9]/);
  });

  it("behavior: HEAD, a query string, a malformed id and other paths go on to express", async function () {
    const token = stack.tokens[1]!;
    for (const [method, path] of [
      ["HEAD", "/v1/credentials/01920000-0000-7000-8000-000000000000/bundle"],
      ["GET", "/v1/credentials/01920000-0000-7000-8000-000000000000/bundle?x=1"],
      ["GET", "/v1/credentials/not-a-uuid/bundle"],
      ["GET", "/v1/credentials/01920000-0000-7000-8000-000000000000"],
    ] as const) {
      taken.length = 0;
      const express = await call(viaExpress, method, path, { token });
      const fast = await call(viaFastPath, method, path, { token });
      expect(taken, `${method} ${path}`).to.deep.equal([false]);
      expect(fast.status, `${method} ${path}`).to.equal(express.status);
    }
  });

  it("behavior: a credential claimed before migration 9 (its proof in its row, no stored leaves) is served from its row", async function () {
    const [id] = await submit(["Legacy proof"]);
    await anchor(id!);
    const [row] = await stack.rows("SELECT batch_id, leaf_index FROM credentials WHERE id = ?", id);
    const digests = (await stack.rows("SELECT digest FROM credentials WHERE batch_id = ? ORDER BY leaf_index", row!.batch_id)).map((r) => r.digest as Uint8Array);
    const tree = buildCredentialTree(digests);
    const proof = tree.getProof(Number(row!.leaf_index));
    // As an older version left it: the proof in the row, the batch without leaves (never served before: no tree in memory).
    await stack.rows("UPDATE credentials SET proof = ? WHERE id = ?", Buffer.from(proof), id);
    await stack.rows("DELETE FROM batch_leaves WHERE batch_id = ?", row!.batch_id);
    const served = await call(viaFastPath, "GET", `/v1/credentials/${id}/bundle`, { token: stack.tokens[1]! });
    expect(served.status, served.text).to.equal(200);
    expect(served.body.proof).to.deep.equal(proofToHex(proof));
    expect(verifyMerkleProof(tree.leaf(Number(row!.leaf_index)), proofFromHex(served.body.proof)!, tree.root)).to.equal(true);
  });

  it("behavior: proofs of a larger batch are computed from its stored leaves, each verifying against the anchored root", async function () {
    const ids = await submit(Array.from({ length: 7 }, (_, k) => `Leaves ${k}`));
    await anchor(ids[0]!);
    const [{ n }] = (await stack.rows("SELECT count(*) AS n FROM credentials WHERE proof IS NOT NULL AND id IN (?, ?)", ids[0], ids[6])) as [{ n: number }];
    expect(Number(n), "no proof stored per row").to.equal(0);
    for (const id of ids) {
      const bundle = (await call(viaFastPath, "GET", `/v1/credentials/${id}/bundle`, { token: stack.tokens[1]! })).body;
      const leaf = Buffer.from(bundle.leaf.slice(2), "hex");
      expect(verifyMerkleProof(leaf, proofFromHex(bundle.proof)!, Buffer.from(bundle.root.slice(2), "hex")), id).to.equal(true);
    }
  });

  it("behavior: a key revoked in the database by another process stops within API_KEY_CACHE_MS; revoked through this service, at once", async function () {
    const [id] = await submit(["Revoked key"]);
    await anchor(id!);
    const other = (await createApiKey(stack.store.apiKeys, 1, "elsewhere")).token;
    const get = (token: string) => call(viaFastPath, "GET", `/v1/credentials/${id}/bundle`, { token });
    expect((await get(other)).status).to.equal(200);
    await stack.store.apiKeys.revoke(other.split("_")[1]!, Date.now());
    await new Promise((r) => setTimeout(r, API_KEY_CACHE_MS + 50));
    expectError(await get(other), 401, "UNAUTHORIZED");

    const here = await createApiKey(stack.store.apiKeys, 1, "here");
    expect((await get(here.token)).status).to.equal(200);
    const revoked = await call(viaExpress, "DELETE", `/v1/admin/api-keys/${here.keyId}`, { token: stack.adminToken });
    expect(revoked.status, revoked.text).to.equal(200);
    expectError(await get(here.token), 401, "UNAUTHORIZED");
  });

  it("behavior: a cached bundle keeps its bytes through a revocation (status is not in a bundle); erased through this service it answers 410 at once, erased behind its back within BUNDLE_RECHECK_MS, on both paths", async function () {
    const [revoked, erasedHere, erasedElsewhere] = await submit(["Cached revoked", "Cached erased here", "Cached erased elsewhere"]);
    await anchor(revoked!);
    const token = stack.tokens[1]!;
    const both = async (id: string) => {
      taken.length = 0;
      const fast = await call(viaFastPath, "GET", `/v1/credentials/${id}/bundle`, { token });
      const express = await call(viaExpress, "GET", `/v1/credentials/${id}/bundle`, { token });
      expect(taken).to.deep.equal([true]);
      expect(answerOf(fast)).to.deep.equal(answerOf(express));
      return fast;
    };
    const first = new Map<string, Call>();
    for (const id of [revoked!, erasedHere!, erasedElsewhere!]) first.set(id, await both(id));
    expect([...first.values()].map((r) => r.status)).to.deep.equal([200, 200, 200]);

    const view = async () => (await call(viaExpress, "GET", `/v1/credentials/${revoked}`, { token })).body;
    const change = await call(viaExpress, "POST", "/v1/revocations", { token, body: { action: "revoke", statusIndices: [(await view()).statusIndex] } });
    expect(change.status, change.text).to.equal(202);
    await runUntil(stack, async () => (await view()).revoked === true);
    const after = await both(revoked!);
    expect([after.status, after.text, after.headers.get("etag")]).to.deep.equal([200, first.get(revoked!)!.text, first.get(revoked!)!.headers.get("etag")]);

    expect((await call(viaExpress, "DELETE", `/v1/credentials/${erasedHere}`, { token })).status).to.equal(200);
    expectError(await both(erasedHere!), 410, "GONE");

    // Erased in the database behind this process's back (with SQLite no other process writes it;
    // PostgreSQL replicas ask the database on every request: test/api/bundle-cache.test.ts).
    expect(await stack.store.credentials.erase(erasedElsewhere!, Date.now())).to.equal(true);
    await new Promise((r) => setTimeout(r, BUNDLE_RECHECK_MS + 50));
    expectError(await both(erasedElsewhere!), 410, "GONE");
  });
});
