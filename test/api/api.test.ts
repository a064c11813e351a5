// The HTTP API over the real service (real hardhat node, real SQLite, real HTTP server): the happy
// path, the one error shape for every class of bad input, auth, OpenAPI truth, metrics, logs.
import { expect } from "chai";
import type { Server } from "node:http";
import { Writable } from "node:stream";
import pino from "pino";
import type { Express } from "express";
import { createApp, routerRoutes } from "../../src/api/app.ts";
import { ROUTES } from "../../src/api/routes.ts";
import * as S from "../../src/api/schemas.ts";
import { z } from "zod";
import type { JsonObject } from "../../src/core/json.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { namedBadge as badge } from "../core/helpers.ts";
import { closeStack, openStack, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { call as callHttp, expectDocumented, expectError, type Call } from "./http.ts";

describe("src/api (HTTP, real service)", function () {
  let chain: Chain;
  let stack: Stack;
  let server: Server;
  let app: Express;
  let base: string;
  let doc: any;
  let answers = 0;
  let logs = "";
  let issuer1: string;
  let issuer2: string;
  let admin: string;

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain, { batch: { maxSize: 1000, maxWaitMs: 0 }, pollMs: 20 });
    issuer1 = stack.tokens[1]!;
    issuer2 = stack.tokens[2]!;
    admin = stack.adminToken;
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const book = chain.addressBook();
    app = createApp({ service: stack.service, verify: { trust: createTrustList([book]), rpc: { 31337: chain.url } }, logger: pino({ level: "info" }, sink) });
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    doc = (await callHttp(base, "GET", "/openapi.json")).body;
    stack.pipeline.start();
  });

  after(async function () {
    await new Promise((r) => server?.close(r));
    await closeStack(stack);
  });

  /** Every answer of these tests must be one the OpenAPI document declares, with its schema. */
  async function call(method: string, path: string, options: Parameters<typeof callHttp>[3] = {}): Promise<Call> {
    const r = await callHttp(base, method, path, options);
    expectDocumented(doc, r);
    answers++;
    return r;
  }

  const conforms = (schema: z.ZodType, value: unknown) => {
    const parsed = schema.safeParse(value);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).to.equal(true);
  };

  async function untilAnchored(id: string, token = issuer1): Promise<any> {
    for (let k = 0; k < 200; k++) {
      const r = await call("GET", `/v1/credentials/${id}`, { token });
      if (r.body.state === "anchored" || r.body.state === "confirmed") return r.body;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error(`${id} not anchored`);
  }

  it("default: issue → 202 → anchored → bundle → POST /v1/verify says valid; every answer matches the OpenAPI schemas", async function () {
    const submitted = await call("POST", "/v1/credentials", { token: issuer1, body: { credentials: [badge("HTTP A"), badge("HTTP B")] } });
    expect(submitted.status, submitted.text).to.equal(202);
    conforms(S.SubmitResponse, submitted.body);
    const id = submitted.body.credentials[0].id as string;
    const view = await untilAnchored(id);
    conforms(S.CredentialResponse, view);
    const bundle = await call("GET", `/v1/credentials/${id}/bundle`, { token: issuer1 });
    expect(bundle.status).to.equal(200);
    conforms(S.Bundle, bundle.body);
    const batch = await call("GET", `/v1/batches/${view.batchId}`, { token: issuer1 });
    conforms(S.BatchResponse, batch.body);
    expect(batch.body.costPerCredentialWei).to.match(/^\d+$/);
    const verified = await call("POST", "/v1/verify", { body: { bundles: [bundle.body, { ...bundle.body, statusIndex: bundle.body.statusIndex + 1 }] } });
    expect(verified.status, verified.text).to.equal(200);
    conforms(S.VerifyResponse, verified.body);
    expect(verified.body.results.map((r: { verdict: string }) => r.verdict)).to.deep.equal(["valid", "invalid"]);
    const one = await call("POST", "/v1/verify", { body: { bundle: bundle.body } });
    expect(one.body.results[0].verdict).to.equal("valid");
    const hidden = await call("POST", "/v1/verify", { body: { bundle: bundle.body, private: true } });
    expect(hidden.body.results[0].verdict).to.equal("valid");
  });

  it("default: revoke over HTTP, idempotently, and the verifier sees it", async function () {
    const submitted = await call("POST", "/v1/credentials", { token: issuer1, body: { credentials: [badge("Revoke me")] } });
    const id = submitted.body.credentials[0].id as string;
    await untilAnchored(id);
    const request = { action: "revoke", credentialIds: [id], reason: 2 };
    const first = await call("POST", "/v1/revocations", { token: issuer1, body: request, headers: { "idempotency-key": "rev-1" } });
    expect(first.status, first.text).to.equal(202);
    conforms(S.StatusChangeResponse, first.body);
    const again = await call("POST", "/v1/revocations", { token: issuer1, body: request, headers: { "idempotency-key": "rev-1" } });
    expect(again.body.id).to.equal(first.body.id);
    expect(again.headers.get("idempotent-replayed")).to.equal("true");
    for (let k = 0; k < 200; k++) {
      if ((await call("GET", `/v1/revocations/${first.body.id}`, { token: issuer1 })).body.state === "confirmed") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const bundle = (await call("GET", `/v1/credentials/${id}/bundle`, { token: issuer1 })).body;
    const verified = await call("POST", "/v1/verify", { body: { bundle } });
    expect(verified.body.results[0].checks.find((c: { name: string }) => c.name === "status").code).to.equal("REVOKED");
  });

  it("behavior: Idempotency-Key over HTTP: same body replays (header), other body 409", async function () {
    const body = { credentials: [badge("Idem HTTP")] };
    const a = await call("POST", "/v1/credentials", { token: issuer1, body, headers: { "idempotency-key": "abc" } });
    const b = await call("POST", "/v1/credentials", { token: issuer1, body, headers: { "idempotency-key": "abc" } });
    expect(b.status).to.equal(202);
    expect(b.body).to.deep.equal(a.body);
    expect(b.headers.get("idempotent-replayed")).to.equal("true");
    expectError(await call("POST", "/v1/credentials", { token: issuer1, body: { credentials: [badge("other")] }, headers: { "idempotency-key": "abc" } }), 409, "IDEMPOTENCY_CONFLICT");
    expectError(await call("POST", "/v1/credentials", { token: issuer1, body, headers: { "idempotency-key": "bad key with spaces" } }), 400, "REQUEST_INVALID");
  });

  it("error: auth: no key 401 (with WWW-Authenticate), bad key 401, other issuer 404 (as missing), operator-only 403, erase 200 then 410", async function () {
    const submitted = await call("POST", "/v1/credentials", { token: issuer1, body: { credentials: [badge("Auth")] } });
    const id = submitted.body.credentials[0].id as string;
    const none = await call("GET", `/v1/credentials/${id}`);
    expectError(none, 401, "UNAUTHORIZED");
    expect(none.headers.get("www-authenticate")).to.match(/^Bearer/);
    expectError(await call("GET", `/v1/credentials/${id}`, { token: "cak_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }), 401, "UNAUTHORIZED");
    expectError(await call("GET", `/v1/credentials/${id}`, { headers: { authorization: "Basic dXNlcjpwYXNz" } }), 401, "UNAUTHORIZED");
    expectError(await call("GET", `/v1/credentials/${id}`, { token: issuer2 }), 404, "NOT_FOUND");
    expectError(await call("DELETE", `/v1/credentials/${id}`, { token: issuer2 }), 404, "NOT_FOUND");
    expectError(await call("POST", "/v1/revocations", { token: issuer2, body: { action: "revoke", credentialIds: [id] } }), 404, "NOT_FOUND");
    expectError(await call("POST", "/v1/credentials", { token: admin, body: { credentials: [badge("x")] } }), 403, "FORBIDDEN");
    expectError(await call("POST", "/v1/admin/issuers/1/api-keys", { token: issuer1 }), 403, "FORBIDDEN");
    expect((await call("GET", `/v1/credentials/${id}`, { token: admin })).status).to.equal(200);

    const created = await call("POST", "/v1/admin/issuers/2/api-keys", { token: admin });
    expect(created.status).to.equal(201);
    conforms(S.ApiKeyResponse, created.body);
    expect((await call("GET", `/v1/credentials/${id}`, { token: created.body.token })).status).to.equal(404);
    expectError(await call("POST", "/v1/admin/issuers/99/api-keys", { token: admin }), 404, "NOT_FOUND");

    const erased = await call("DELETE", `/v1/credentials/${id}`, { token: issuer1 });
    expect(erased.status).to.equal(200);
    conforms(S.TombstoneResponse, erased.body);
    expectError(await call("DELETE", `/v1/credentials/${id}`, { token: issuer1 }), 410, "GONE");
    expectError(await call("GET", `/v1/credentials/${id}/bundle`, { token: issuer1 }), 410, "GONE");
  });

  it("error: every class of bad input gets its 4xx in the one shape, never a 5xx", async function () {
    const t = issuer1;
    const deep = "[".repeat(100) + "]".repeat(100);
    const cases: [Promise<Call>, number, string][] = [
      [call("POST", "/v1/credentials", { token: t, raw: "{not json" }), 400, "JSON_SYNTAX"],
      [call("POST", "/v1/credentials", { token: t, raw: '{"credentials":[{}],"credentials":[{}]}' }), 400, "JSON_DUPLICATE_KEY"],
      [call("POST", "/v1/credentials", { token: t, raw: `{"credentials":${deep}}` }), 413, "JSON_LIMIT_EXCEEDED"],
      [call("POST", "/v1/credentials", { token: t, raw: "" }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/credentials", { token: t, raw: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/credentials", { token: t, body: [] }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/credentials", { token: t, body: { credentials: "x" } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/credentials", { token: t, body: { credentials: [] } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/credentials", { token: t, body: { credentials: [badge("x")], extra: 1 } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/credentials", { token: t, body: { credentials: [{ type: ["VerifiableCredential"] }] } }), 422, "CREDENTIAL_INVALID"],
      [call("POST", "/v1/credentials", { token: t, body: { credentials: [42] } }), 422, "CREDENTIAL_INVALID"],
      [call("POST", "/v1/credentials", { token: t, raw: JSON.stringify({ credentials: [{ name: "\ud800" }] }).replace("\\ud800", "\\ud800") }), 400, "JSON_UNSUPPORTED_VALUE"],
      [call("POST", "/v1/credentials", { token: t, body: { credentials: [badge("x")] }, headers: { "content-type": "text/plain" } }), 415, "UNSUPPORTED_MEDIA_TYPE"],
      [call("POST", "/v1/credentials", { token: t, raw: "x".repeat(65 * 1024 * 1024) }), 413, "PAYLOAD_TOO_LARGE"],
      [call("POST", "/v1/revocations", { token: t, raw: "x".repeat(5 * 1024 * 1024) }), 413, "PAYLOAD_TOO_LARGE"],
      [call("POST", "/v1/revocations", { token: t, body: { action: "delete", credentialIds: [] } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/revocations", { token: t, body: { action: "revoke" } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/revocations", { token: t, body: { action: "revoke", statusIndices: [-1] } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/revocations", { token: t, body: { action: "revoke", statusIndices: [2 ** 53] } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/revocations", { token: t, body: { action: "revoke", statusIndices: [1.5] } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/revocations", { token: t, body: { action: "revoke", credentialIds: ["not-a-uuid"] } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/revocations", { token: t, body: { action: "revoke", credentialIds: ["00000000-0000-4000-8000-000000000000"] } }), 404, "NOT_FOUND"],
      [call("POST", "/v1/revocations", { token: t, body: { action: "suspend", batchId: 1 } }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/revocations", { token: t, body: { action: "revoke", reason: 256, statusIndices: [1] } }), 400, "REQUEST_INVALID"],
      [call("GET", "/v1/credentials/not-a-uuid", { token: t }), 400, "REQUEST_INVALID"],
      [call("GET", "/v1/credentials/00000000-0000-4000-8000-000000000000", { token: t }), 404, "NOT_FOUND"],
      [call("GET", "/v1/batches/0", { token: t }), 400, "REQUEST_INVALID"],
      [call("GET", "/v1/batches/99999999999999999999", { token: t }), 400, "REQUEST_INVALID"],
      [call("GET", "/v1/batches/424242", { token: t }), 404, "NOT_FOUND"],
      [call("GET", "/v1/revocations/-3", { token: t }), 400, "REQUEST_INVALID"],
      [call("GET", "/v1/credentials/%E0%A4%A", { token: t }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/verify", { body: {} }), 400, "REQUEST_INVALID"],
      [call("POST", "/v1/verify", { body: { bundles: Array(1001).fill({}) } }), 400, "REQUEST_INVALID"],
      [call("PUT", "/v1/credentials", { token: t }), 405, "METHOD_NOT_ALLOWED"],
      [call("DELETE", "/v1/batches/1", { token: t }), 405, "METHOD_NOT_ALLOWED"],
      [call("GET", "/v2/anything"), 404, "NOT_FOUND"],
    ];
    for (const [pending, status, code] of cases) expectError(await pending, status, code);
    const allowed = await call("PUT", "/v1/credentials", { token: t });
    expect(allowed.headers.get("allow")).to.equal("POST");
  });

  it("behavior: POST /v1/verify reports malformed bundles per bundle (200, invalid), never a 5xx", async function () {
    const r = await call("POST", "/v1/verify", { body: { bundles: [{}, { version: 2 }, "text", null] } });
    expect(r.status, r.text).to.equal(200);
    expect(r.body.results.map((x: { verdict: string }) => x.verdict)).to.deep.equal(["invalid", "invalid", "invalid", "invalid"]);
    expect(r.body.results[0].checks[0]).to.include({ name: "format", outcome: "fail" });
  });

  it("behavior: /openapi.json documents exactly the routes served, and is OpenAPI 3.1", async function () {
    const doc = (await call("GET", "/openapi.json")).body;
    expect(doc.openapi).to.equal("3.1.0");
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    // What express really routes (its router stack, the 405 catch-alls aside), not the table it was built from.
    const served = routerRoutes(app.router as never).map(({ method, path }) => `${method.toUpperCase()} ${path.replace(/:(\w+)/g, "{$1}")}`);
    expect(served.length).to.be.greaterThan(ROUTES.length);
    expect(documented.sort()).to.deep.equal(served.sort());
    // Every documented path answers something other than 404 for its method.
    for (const entry of served) {
      const [method, path] = entry.split(" ") as [string, string];
      const concrete = path.replace("{id}", "00000000-0000-4000-8000-000000000000").replace("{issuerId}", "1");
      const r = await call(method, concrete.replace("/v1/batches/00000000-0000-4000-8000-000000000000", "/v1/batches/1").replace("/v1/revocations/00000000-0000-4000-8000-000000000000", "/v1/revocations/1"));
      expect(r.body?.error?.code ?? "", `${entry}: ${r.text.slice(0, 200)}`).not.to.equal("METHOD_NOT_ALLOWED");
      if (r.status === 404) expect(r.body.error.message).not.to.match(/no such endpoint/);
    }
    // Every $ref resolves, and every operation has an error answer for the unexpected (405, 500).
    const refs = JSON.stringify(doc).match(/"#\/components\/[a-z]+\/[^"]+"/gi) ?? [];
    for (const ref of new Set(refs)) {
      const [, kind, name] = /^"#\/components\/(\w+)\/(.+)"$/.exec(ref)!;
      expect(doc.components[kind!], ref).to.have.property(name!);
    }
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.responses.default, `${method} ${path}`).to.deep.equal({ $ref: "#/components/responses/Unexpected" });
        for (const [status, response] of Object.entries(op.responses as Record<string, any>)) if (status !== "default") expect(response.headers, `${method} ${path} ${status}`).to.have.property("X-Request-Id");
      }
    }
    expect(doc.paths["/v1/credentials"].post.responses["401"].headers).to.have.property("WWW-Authenticate");
    expect(doc.paths["/v1/credentials"].post.responses["202"].headers).to.have.property("Idempotent-Replayed");
    expect(doc.components.securitySchemes.apiKey).to.deep.include({ type: "http", scheme: "bearer" });
    // Every example in the document is valid by the schema it illustrates.
    let examples = 0;
    for (const schema of Object.values(S)) {
      if (!(schema instanceof z.ZodType)) continue;
      for (const example of (z.globalRegistry.get(schema)?.examples as unknown[] | undefined) ?? []) {
        conforms(schema, example);
        examples++;
      }
    }
    expect(examples).to.be.at.least(8);
    expect(doc.components.schemas).to.include.keys("Bundle", "Credential", "Error", "Batch", "StatusChange", "VerifyResponse");
  });

  it("behavior: /healthz, /readyz and /metrics (Prometheus text with the pipeline gauges)", async function () {
    const health = await call("GET", "/healthz");
    conforms(S.HealthResponse, health.body);
    const ready = await call("GET", "/readyz");
    expect(ready.status).to.equal(200);
    conforms(S.ReadyResponse, ready.body);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    // Parsed as Prometheus would: every sample belongs to a family declared once with # TYPE before
    // it, labels are well formed, values are numbers; histograms are cumulative and end at +Inf = count.
    const types = new Map<string, string>();
    const buckets = new Map<string, number[]>();
    const counts = new Map<string, number>();
    // As Prometheus reads it: blank lines are ignored, NaN in any case, label order is free.
    const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?[0-9.]+(?:e[+-]?\d+)?|[Nn]a[Nn]|[+-]Inf)$/;
    for (const line of text.trimEnd().split("\n")) {
      if (line === "") continue;
      const type = /^# TYPE (\w+) (counter|gauge|histogram|summary)$/.exec(line);
      if (type) {
        expect(types.has(type[1]!), `${type[1]} declared twice`).to.equal(false);
        types.set(type[1]!, type[2]!);
        continue;
      }
      if (/^# HELP \w+ \S.*$/.test(line)) continue;
      const sample = SAMPLE.exec(line);
      expect(sample, line).to.not.equal(null);
      const [, name, labelText = "", value] = sample!;
      const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, "");
      expect(types.has(family), `${line}: no # TYPE before it`).to.equal(true);
      if (types.get(family) === "histogram" && name!.endsWith("_bucket")) {
        const series = labelText.replace(/(^|,)le="[^"]*"/, "").replace(/^,/, "");
        buckets.set(series, [...(buckets.get(series) ?? []), Number(value)]);
      }
      if (types.get(family) === "histogram" && name!.endsWith("_count")) counts.set(labelText, Number(value));
    }
    expect(buckets.size).to.be.greaterThan(3);
    for (const [series, values] of buckets) {
      for (let k = 1; k < values.length; k++) expect(values[k], series).to.be.at.least(values[k - 1]!);
      expect(values.at(-1), `${series}: +Inf bucket = count`).to.equal(counts.get(series));
    }
    expect([...types.keys()]).to.include.members(["credanchor_credentials", "credanchor_batches", "credanchor_status_changes", "credanchor_gas_used_total", "credanchor_fees_paid_wei_total", "credanchor_anchor_latency_seconds", "credanchor_http_requests_total", "credanchor_http_request_duration_seconds", "credanchor_http_errors_total"]);
    expect(text).to.match(/^credanchor_credentials\{state="queued"\} \d+$/m);
    expect(text).to.match(/^credanchor_gas_used_total [1-9]\d*$/m);
    expect(text).to.match(/^credanchor_http_requests_total\{method="POST",route="\/v1\/credentials",status="202"\} [1-9]\d*$/m);
    expect(text).to.match(/^credanchor_http_errors_total\{code="UNAUTHORIZED"\} [1-9]\d*$/m);
    // Default process metrics (prom-client) and the chain gauges.
    expect([...types.keys()]).to.include.members(["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds", "credanchor_process_uptime_seconds"]);
  });

  it("error: another issuer's batch and revocation ids answer 404 exactly as ids that do not exist (issue 10, item 15)", async function () {
    const submitted = await call("POST", "/v1/credentials", { token: issuer1, body: { credentials: [badge("Existence")] } });
    const view = await untilAnchored(submitted.body.credentials[0].id);
    const revocation = await call("POST", "/v1/revocations", { token: issuer1, body: { action: "suspend", credentialIds: [view.id] } });
    expect(revocation.status).to.equal(202);
    const strip = (r: Call) => ({ status: r.status, code: r.body.error.code, message: r.body.error.message.replace(/ \S+$/, " <id>"), details: r.body.error.details });
    for (const [path, missing] of [
      [`/v1/batches/${view.batchId}`, "/v1/batches/999999"],
      [`/v1/revocations/${revocation.body.id}`, "/v1/revocations/999999"],
      [`/v1/credentials/${view.id}`, "/v1/credentials/00000000-0000-4000-8000-000000000000"],
    ] as const) {
      const other = await call("GET", path, { token: issuer2 });
      expectError(other, 404, "NOT_FOUND");
      expect(strip(other), path).to.deep.equal(strip(await call("GET", missing, { token: issuer2 })));
    }
    expectError(await call("POST", "/v1/revocations", { token: issuer2, body: { action: "revoke", batchId: view.batchId } }), 404, "NOT_FOUND");
  });

  it("error: a credential naming another issuer is 422 ISSUER_MISMATCH with its index and both values; one without an issuer gets it filled in (issue 10, item 1)", async function () {
    const spoof = badge("Doctor of Medicine");
    (spoof.issuer as JsonObject).id = "did:web:academy.example"; // issuer 2's identity, sent with issuer 1's key
    const r = await call("POST", "/v1/credentials", { token: issuer1, body: { credentials: [badge("fine"), spoof] } });
    expectError(r, 422, "ISSUER_MISMATCH");
    expect(r.body.error.details).to.deep.equal([
      { path: "credentials[1].issuer.id", message: `is "did:web:academy.example"; must be this issuer's on-chain identity "${chain.issuers[0]!.identity}"` },
    ]);
    const bare = badge("No issuer");
    delete bare.issuer;
    const accepted = await call("POST", "/v1/credentials", { token: issuer1, body: { credentials: [bare] } });
    expect(accepted.status).to.equal(202);
    const stored = await call("GET", `/v1/credentials/${accepted.body.credentials[0].id}`, { token: issuer1 });
    expect(stored.body.credential.issuer).to.deep.equal({ id: chain.issuers[0]!.identity, type: ["Profile"] });
  });

  it("behavior: operator key management: create with expiry, list (never a secret), revoke; the revoked key stops at once (issue 10, item 16)", async function () {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
    const created = await call("POST", "/v1/admin/issuers/2/api-keys", { token: admin, body: { label: "registrar", expiresAt } });
    expect(created.status).to.equal(201);
    expect(created.body.expiresAt).to.equal(new Date(expiresAt).toISOString());
    expect((await call("GET", "/v1/batches/999999", { token: created.body.token })).status).to.equal(404); // authenticates
    expectError(await call("POST", "/v1/admin/issuers/2/api-keys", { token: admin, body: { expiresAt: "2001-01-01T00:00:00Z" } }), 400, "REQUEST_INVALID");
    expectError(await call("POST", "/v1/admin/issuers/2/api-keys", { token: admin, body: { expiresAt: "tomorrow" } }), 400, "REQUEST_INVALID");

    const listed = await call("GET", "/v1/admin/api-keys", { token: admin });
    expect(listed.status).to.equal(200);
    const mine = listed.body.keys.find((k: { keyId: string }) => k.keyId === created.body.keyId);
    expect(mine).to.deep.include({ kind: "issuer", issuerId: 2, label: "registrar", state: "active" });
    // The secret is everything after "cak_<keyId>_" (it may itself contain "_").
    expect(JSON.stringify(listed.body)).not.to.include((created.body.token as string).slice(`cak_${created.body.keyId}_`.length));
    expectError(await call("GET", "/v1/admin/api-keys", { token: issuer1 }), 403, "FORBIDDEN");

    const revoked = await call("DELETE", `/v1/admin/api-keys/${created.body.keyId}`, { token: admin });
    expect(revoked.status).to.equal(200);
    expect(revoked.body).to.include({ keyId: created.body.keyId, state: "revoked" });
    expectError(await call("GET", "/v1/batches/999999", { token: created.body.token }), 401, "UNAUTHORIZED");
    expectError(await call("DELETE", "/v1/admin/api-keys/0000000000000000", { token: admin }), 404, "NOT_FOUND");
  });

  it("behavior: logs are JSON lines with route and status, and never contain keys or credential contents", function () {
    const lines = logs.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const issued = lines.find((l) => l.route === "/v1/credentials" && l.status === 202);
    expect(issued).to.include({ module: "http", method: "POST", principal: "issuer", issuerId: 1, keyId: issuer1.split("_")[1] });
    expect(issued).to.have.keys("level", "time", "pid", "hostname", "module", "method", "route", "status", "ms", "requestId", "principal", "keyId", "issuerId", "msg");
    expect(lines.find((l) => l.status === 401)).to.include({ code: "UNAUTHORIZED" });
    // Every answer these tests got was checked against the served OpenAPI document.
    expect(answers).to.be.greaterThan(60);
    for (const secret of [issuer1, issuer2, admin, issuer1.slice("cak_0123456789abcdef_".length), "HTTP A", "Revoke me"]) expect(logs).not.to.include(secret);
  });
});

describe("docs/api.md", function () {
  it("behavior: lists every error code with the status the API answers", async function () {
    const { readFileSync } = await import("node:fs");
    const { ERROR_CODES } = await import("../../src/core/errors.ts");
    const { STATUS_OF } = await import("../../src/api/errors.ts");
    const doc = readFileSync(new URL("../../docs/api.md", import.meta.url), "utf8");
    for (const code of Object.keys(ERROR_CODES)) expect(doc, code).to.include(`| \`${code}\` | ${STATUS_OF[code as keyof typeof STATUS_OF]} |`);
    for (const route of ROUTES) expect(doc, route.path).to.include(`${route.method.toUpperCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`);
  });
});
