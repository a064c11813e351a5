// Every class of bad input on every endpoint of the route table, generated from the table so a new
// route is covered the day it is added: the one error shape, the documented status, never a 5xx.
// Also: configurable limits, the handler deadline (503 TIMEOUT), an unexpected error (500
// INTERNAL, stack in the log only), 405 on a mounted router's paths, and requests Node's HTTP
// parser refuses (served by listenApi). Real service, real chain.
import { expect } from "chai";
import express from "express";
import { connect, createServer, type Server as NetServer, type Socket } from "node:net";
import type { Server } from "node:http";
import { Writable } from "node:stream";
import pino from "pino";
import { createApp, routeKey, type AppOptions } from "../../src/api/app.ts";
import { listenApi } from "../../src/api/listen.ts";
import { ROUTES, type Route } from "../../src/api/routes.ts";
import { CredanchorError } from "../../src/core/errors.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { StatusListPublisher } from "../../src/issuer/status-lists.ts";
import { generateAssertionKey } from "../../src/vc/keys.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { call as callHttp, expectDocumented, expectError, type Call, type CallOptions } from "./http.ts";

const UUID = "00000000-0000-4000-8000-000000000000";
const KiB = 1024;
/**
 * Small limits so that "too large" is cheap to send; the defaults are tested in api.test.ts. The
 * public verify routes share one per-client rate limit: off here (the matrix sends hundreds).
 */
const LIMITS = { bodyBytes: { "POST /v1/credentials": 64 * KiB, "POST /v1/verify": 48 * KiB, "POST /v1/revocations": 16 * KiB, "POST /credentials/issue": 16 * KiB, "POST /credentials/verify": 16 * KiB, "POST /presentations/verify": 16 * KiB }, defaultBodyBytes: 2 * KiB, verifyRate: { perMinute: 0, burst: 1 } };

/** A valid body per route with one: the matrix breaks it one way at a time. */
const VALID_BODY: Record<string, JsonObject> = {
  "POST /v1/credentials": { credentials: [sampleBadge()] },
  "POST /v1/revocations": { action: "revoke", statusIndices: [1] },
  "POST /v1/verify": { bundle: {} },
  "POST /v1/credentials/:id/disclose": { hide: ["/name"] },
  "POST /v1/credentials/:id/share-links": { hide: ["/name"], expiresAt: "2999-01-01T00:00:00Z" },
  "POST /v1/admin/issuers/:issuerId/api-keys": { label: "bad-input matrix", expiresAt: "2999-01-01T00:00:00Z" },
  "POST /credentials/issue": { credential: { type: ["VerifiableCredential"] } },
  "POST /credentials/verify": { verifiableCredential: {} },
  "POST /presentations/verify": { verifiablePresentation: {}, options: { challenge: "c" } },
  "POST /credentials/status": { credentialId: UUID, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: true },
};
/** Right member names, wrong types or values. */
const WRONG_TYPES: Record<string, unknown[]> = {
  "POST /v1/credentials": [{ credentials: "x" }, { credentials: {} }, { credentials: null }, { credentials: [] }],
  "POST /v1/revocations": [{ action: 1, statusIndices: [1] }, { action: "revoke", statusIndices: "1" }, { action: "revoke", statusIndices: [1], reason: "3" }, { action: "revoke", batchId: 1.5 }],
  "POST /v1/credentials/:id/disclose": [{ hide: "/name" }, { hide: [] }, { hide: [1] }, { hide: null }],
  "POST /v1/credentials/:id/share-links": [{ hide: "/name" }, { hide: [1] }, { hide: null }, { expiresAt: "soon" }, { expiresAt: 1e12 }],
  "POST /v1/verify": [{ bundles: "x" }, { bundles: [] }, { bundle: {}, private: "yes" }, { bundle: {}, bundles: [{}] }],
  "POST /v1/admin/issuers/:issuerId/api-keys": [{ label: 1 }, { label: "" }, { expiresAt: "soon" }, { expiresAt: 1e12 }, { expiresAt: "2999-01-01" }],
  "POST /credentials/issue": [{ credential: "x" }, { credential: [] }, { credential: null }, { credential: {}, options: "x" }],
  "POST /credentials/verify": [{ verifiableCredential: "x" }, { verifiableCredential: [] }, { verifiableCredential: {}, options: [] }, {}],
  "POST /presentations/verify": [{ verifiablePresentation: 1 }, { verifiablePresentation: {}, options: { challenge: 1 } }, { verifiablePresentation: {}, options: { domain: "" } }, {}],
  "POST /credentials/status": [
    { credentialId: UUID, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" } },
    { credentialId: UUID, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revoked" }, status: true },
    { credentialId: UUID, credentialStatus: { type: "StatusList2021Entry", statusPurpose: "revocation" }, status: true },
    { credentialId: UUID, credentialStatus: { statusPurpose: "revocation" }, status: true },
    { credentialId: UUID, credentialStatus: [], status: true },
    { credentialId: UUID, credentialStatus: "revocation", status: true },
    { credentialId: UUID, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation", statusListIndex: 7 }, status: true },
    { credentialId: UUID, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation", statusListIndex: "-1" }, status: true },
    { credentialId: UUID, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation", statusListIndex: "99999999999" }, status: true },
    { credentialId: UUID, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation", extra: 1 }, status: true },
    { credentialId: "", credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: true },
    { credentialId: 1, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: true },
    { credentialId: UUID, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: 1 },
  ],
};

describe("src/api: bad input on every endpoint (real service)", function () {
  let chain: Chain;
  let stack: Stack;
  let logs = "";
  const servers: Server[] = [];
  let base: string; // the app with small limits and a test router
  let slowBase: string; // the app whose verifier's chain never answers, with a 300 ms deadline
  let doc: any;
  let issuer1: string;
  let admin: string;
  let hole: NetServer;
  const held = new Set<Socket>();
  let swallow = true;
  const extraPaths = [/^\/probe$/, /^\/boom/];

  async function serve(options: Partial<AppOptions>): Promise<string> {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const app = createApp({
      service: stack.service,
      verify: { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } },
      logger: pino({ level: "info" }, sink),
      ...options,
    });
    const server = await listenApi(app, { host: "127.0.0.1", port: 0, headersTimeoutMs: 800, requestTimeoutMs: 1_500 });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain, { batch: { maxSize: 1000, maxWaitMs: 0 }, pollMs: 20 });
    issuer1 = stack.tokens[1]!;
    admin = stack.adminToken;
    // A JSON-RPC endpoint that accepts connections and never answers.
    hole = createServer((socket) => {
      if (!swallow) return void socket.destroy();
      held.add(socket);
      socket.on("error", () => {}).on("close", () => held.delete(socket));
    });
    await new Promise<void>((r) => hole.listen(0, "127.0.0.1", r));
    const holeUrl = `http://127.0.0.1:${(hole.address() as { port: number }).port}`;

    const probe = express.Router();
    probe.get("/probe", (_req, res) => {
      res.json({ ok: true });
    });
    probe.get("/boom", () => {
      throw new Error(`boom: ${issuer1}`);
    });
    probe.get("/boom-async", async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new TypeError("Cannot read properties of undefined (reading 'secret')");
    });
    base = await serve({ limits: LIMITS, routers: [probe] });
    slowBase = await serve({ limits: { handlerTimeoutMs: 300 }, verify: { trust: createTrustList([chain.addressBook()]), rpc: { 31337: holeUrl } } });
    doc = (await callHttp(base, "GET", "/openapi.json")).body;
    // The pipeline starts in the deadline test: until then nothing is anchored.
  });

  after(async function () {
    for (const socket of held) socket.destroy();
    await new Promise((r) => hole?.close(r));
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    await closeStack(stack);
  });

  const call = async (method: string, path: string, options: CallOptions = {}, at = base): Promise<Call> => {
    const r = await callHttp(at, method, path, options);
    expect(r.status, `${method} ${path}: ${r.text.slice(0, 300)}`).to.be.below(500);
    expectDocumented(doc, r, extraPaths);
    return r;
  };

  const concrete = (route: Route, bad?: string) =>
    route.path.replace(/:\w+/g, bad ?? (/^\/(v1\/)?credentials\/:id/.test(route.path) ? UUID : route.path.includes(":keyId") ? "0000000000000000" : "1"));
  const keyFor = (route: Route) => (route.auth === "admin" ? admin : route.auth === "none" ? undefined : issuer1);

  it("behavior: every route with a body has a valid example and wrong-type cases here", function () {
    for (const route of ROUTES.filter((r) => r.body)) {
      expect(VALID_BODY, routeKey(route)).to.have.property(routeKey(route));
      expect(WRONG_TYPES, routeKey(route)).to.have.property(routeKey(route));
    }
  });

  it("error: a missing, malformed, unknown or wrong kind of key: 401 / 403 on every authenticated route", async function () {
    let checked = 0;
    for (const route of ROUTES.filter((r) => r.auth !== "none")) {
      const path = concrete(route);
      const body = VALID_BODY[routeKey(route)];
      const unauthorised: CallOptions[] = [
        {},
        { headers: { authorization: "" } },
        { headers: { authorization: "Bearer" } },
        { headers: { authorization: "Bearer a b" } },
        { headers: { authorization: "Basic dXNlcjpwYXNz" } },
        { headers: { authorization: `Token ${issuer1}` } },
        { token: "cak_0000000000000000_" + "A".repeat(43) },
        { token: issuer1.slice(0, -1) + (issuer1.endsWith("A") ? "B" : "A") },
        { token: "' OR 1=1 --" },
      ];
      for (const options of unauthorised) {
        expectError(await call(route.method.toUpperCase(), path, { ...options, ...(body ? { body } : {}) }), 401, "UNAUTHORIZED");
        checked++;
      }
      const wrongKind = route.auth === "admin" ? [issuer1, stack.tokens[2]!] : route.auth === "issuer" ? [admin] : [];
      for (const token of wrongKind) {
        expectError(await call(route.method.toUpperCase(), path, { token, ...(body ? { body } : {}) }), 403, "FORBIDDEN");
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(70);
  });

  it("error: a malformed path parameter: 400 REQUEST_INVALID naming it, on every route with one", async function () {
    for (const route of ROUTES.filter((r) => r.params)) {
      for (const bad of ["x", "-1", "0", "1.5", "1e3", "0x10", "9".repeat(40), "%20", "%E2%80%AE", "null"]) {
        // "0", "1e3" … are fine ids for none of the routes; a UUID route refuses numbers too.
        const r = await call(route.method.toUpperCase(), concrete(route, bad), { token: keyFor(route)! });
        expectError(r, 400, "REQUEST_INVALID");
        expect(r.body.error.details.map((d: { path: string }) => d.path), r.text).to.include(Object.keys(route.params!)[0]);
      }
    }
  });

  it("error: every class of malformed body on every route with one: its 4xx in the one shape", async function () {
    let checked = 0;
    for (const route of ROUTES.filter((r) => r.body)) {
      const key = routeKey(route);
      const path = concrete(route);
      const token = keyFor(route);
      const valid = VALID_BODY[key]!;
      const limit = LIMITS.bodyBytes[key as keyof typeof LIMITS.bodyBytes] ?? LIMITS.defaultBodyBytes;
      const first = Object.keys(valid)[0]!;
      const send = async (status: number, code: string, options: CallOptions) => {
        expectError(await call(route.method.toUpperCase(), path, { ...(token ? { token } : {}), ...options }), status, code);
        checked++;
      };
      const text = JSON.stringify(valid);
      // Not JSON at all, or not declared as JSON.
      await send(415, "UNSUPPORTED_MEDIA_TYPE", { raw: Buffer.from(text), headers: { "content-type": "" } });
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp", "application/json-seq"]) {
        await send(415, "UNSUPPORTED_MEDIA_TYPE", { raw: text, headers: { "content-type": type } });
      }
      // Broken JSON text.
      for (const raw of ["{not json", `${text}x`, text.slice(0, -1), "{'a':1}", '{"a":NaN}', "{,}", "\u0000"]) await send(400, "JSON_SYNTAX", { raw });
      await send(400, "REQUEST_INVALID", { raw: "" });
      await send(400, "REQUEST_INVALID", { raw: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) });
      // Strict JSON: duplicate members, values RFC 8785 cannot represent.
      await send(400, "JSON_DUPLICATE_KEY", { raw: `{${JSON.stringify(first)}:${JSON.stringify(valid[first])},${text.slice(1)}` });
      await send(400, "JSON_DUPLICATE_KEY", { raw: '{"x":{"a":1,"a":1}}' });
      await send(400, "JSON_UNSUPPORTED_VALUE", { raw: '{"x":"\\ud800"}' });
      await send(400, "JSON_UNSUPPORTED_VALUE", { raw: '{"x":1e999}' });
      // Wrong shapes and types, unknown members.
      for (const body of [[], "x", null, 1, true, [valid]]) await send(400, "REQUEST_INVALID", { body });
      for (const body of WRONG_TYPES[key]!) await send(400, "REQUEST_INVALID", { body });
      for (const extra of ["extra", "__proto__", "constructor", "Credentials", ""]) {
        const r = await call(route.method.toUpperCase(), path, { ...(token ? { token } : {}), raw: `${text.slice(0, -1)},${JSON.stringify(extra)}:1}` });
        expectError(r, 400, "REQUEST_INVALID");
        expect(r.body.error.details[0].message, r.text).to.match(/unknown field/);
        checked++;
      }
      // Too deep, too large (declared, and chunked without a Content-Length).
      await send(413, "JSON_LIMIT_EXCEEDED", { raw: `{"x":${"[".repeat(100)}${"]".repeat(100)}}` });
      await send(413, "PAYLOAD_TOO_LARGE", { raw: `{"x":"${"a".repeat(limit - 7)}"}` });
      const chunked = await fetch(base + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: new ReadableStream({
          start(controller) {
            for (let k = 0; k < 8; k++) controller.enqueue(new TextEncoder().encode(" ".repeat(limit / 4)));
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
      const chunkedCall = { method: "POST", path, status: chunked.status, headers: chunked.headers, text: await chunked.text(), body: undefined as unknown };
      chunkedCall.body = JSON.parse(chunkedCall.text);
      expectError(chunkedCall, 413, "PAYLOAD_TOO_LARGE");
      // Just under the limit is read and judged on its content.
      const fits = await call(route.method.toUpperCase(), path, { ...(token ? { token } : {}), raw: `{"x":"${"a".repeat(limit - 200)}"}` });
      expectError(fits, 400, "REQUEST_INVALID");
      // A bad Idempotency-Key where one is accepted.
      if (route.headers?.["Idempotency-Key"]) {
        for (const idem of ["", "a".repeat(256), "with space", "tab\there"]) await send(400, "REQUEST_INVALID", { body: valid, headers: { "idempotency-key": idem } });
      }
    }
    expect(checked).to.be.greaterThan(100);
  });

  it("error: a known path with another method: 405 with exactly the allowed methods in Allow", async function () {
    const allowed = new Map<string, string[]>();
    for (const route of ROUTES) allowed.set(concrete(route), [...(allowed.get(concrete(route)) ?? []), route.method.toUpperCase()]);
    allowed.set("/openapi.json", ["GET"]);
    for (const [path, methods] of allowed) {
      const expected = [...methods, ...(methods.includes("GET") ? ["HEAD"] : [])];
      for (const method of ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"].filter((m) => !methods.includes(m))) {
        const r = await call(method, path, { token: issuer1 });
        expectError(r, 405, "METHOD_NOT_ALLOWED");
        expect(r.headers.get("allow")!.split(", ").sort(), `${method} ${path}`).to.deep.equal(expected.sort());
      }
    }
  });

  it("error: unknown paths: 404 NOT_FOUND in the one shape, with or without a key", async function () {
    for (const path of ["/", "/v1", "/v1/", "/v2/credentials", "/v1/credential", "/v1/credentials/x/y/z", `/v1/credentials/${UUID}/bundle/x`, "/v1/admin/issuers/1", "/v1/admin/issuers//api-keys", "/.env", "/%2e%2e/%2e%2e/etc/passwd", "/metrics/x"]) {
      for (const token of [undefined, issuer1]) expectError(await call("GET", path, token ? { token } : {}), 404, "NOT_FOUND");
    }
    expectError(await call("POST", "/v1/nothing", { token: issuer1, raw: "{not json" }), 404, "NOT_FOUND");
  });

  it("behavior: a mounted router's paths answer 405 too, and its unexpected errors 500 INTERNAL with the stack only in the log", async function () {
    expect((await call("GET", "/probe")).body).to.deep.equal({ ok: true });
    const wrong = await call("POST", "/probe", { body: {} });
    expectError(wrong, 405, "METHOD_NOT_ALLOWED");
    expect(wrong.headers.get("allow")).to.equal("GET, HEAD");
    for (const path of ["/boom", "/boom-async"]) {
      const r = await callHttp(base, "GET", path);
      expectError(r, 500, "INTERNAL");
      expect(r.body.error.message).to.equal("an internal error occurred; it was logged with this request id");
      expect(r.text).not.to.match(/boom|secret|TypeError|Cannot read/);
      const line = logs.split("\n").find((l) => l.includes(r.body.error.requestId) && l.includes('"unexpected error"'));
      expect(line, `no log line for ${path}`).to.not.equal(undefined);
      expect(JSON.parse(line!).err.stack).to.match(/at .*bad-input\.test\.ts:\d+/);
    }
    // The thrown message held a key: logs must not (the error is logged, the key in it is not).
    // (The secret is everything after `cak_<key id>_`: it may hold "_" itself.)
    expect(logs).not.to.include(issuer1.slice("cak_0123456789abcdef_".length));
  });

  it("error: status lists and POST /credentials/status: unknown list, list or index beyond, wrong purpose, huge If-None-Match (on the fast path too), malformed bodies: 4xx with codes", async function () {
    const publisher = new StatusListPublisher({ client: chain.publicClient, chainId: 31337, registry: chain.registry, keys: new Map([[1, await generateAssertionKey()]]), baseUrl: "https://issuer.example", refreshMs: 600_000 });
    const at = await serve({ statusLists: publisher });
    const get = (path: string, headers: Record<string, string> = {}, method = "GET") => call(method, path, { headers }, at);
    const first = await get("/status-lists/1/revocation/0"); // built and cached: later GETs take the fast path
    expect(first.status, first.text).to.equal(200);
    const etag = first.headers.get("etag")!;
    expect(publisher.peek("1/revocation/0")?.etag).to.equal(etag);
    // If-None-Match is compared first on the fast path, bounded to 512 characters on both paths.
    const padded = `${'"x", '.repeat(100)}${etag}`.slice(-512);
    expect(padded.length).to.equal(512);
    expect((await get("/status-lists/1/revocation/0", { "if-none-match": padded })).status).to.equal(304);
    for (const huge of [`"x",${padded}`, `"${"a".repeat(8000)}"`, `${etag}, ${'"y", '.repeat(2000)}`]) {
      expectError(await get("/status-lists/1/revocation/0", { "if-none-match": huge }), 400, "REQUEST_INVALID");
    }
    const head = await get("/status-lists/1/revocation/0", {}, "HEAD");
    expect([head.status, head.text, head.headers.get("etag")]).to.deep.equal([200, "", etag]);
    for (const [path, status, code] of [
      ["/status-lists/1/revocation/1", 404, "NOT_FOUND"], // beyond the issuer's one list
      ["/status-lists/2/revocation/0", 404, "NOT_FOUND"], // an issuer whose lists are not served here
      ["/status-lists/99/suspension/0", 404, "NOT_FOUND"],
      ["/status-lists/1/revoked/0", 400, "REQUEST_INVALID"],
      ["/status-lists/1/Revocation/0", 400, "REQUEST_INVALID"],
      ["/status-lists/1/revocation/32768", 400, "REQUEST_INVALID"],
      ["/status-lists/1/revocation/00", 400, "REQUEST_INVALID"],
      ["/status-lists/01/revocation/0", 400, "REQUEST_INVALID"],
      ["/status-lists/1/revocation/0x0", 400, "REQUEST_INVALID"],
      ["/status-lists/1/revocation", 404, "NOT_FOUND"],
      ["/status-lists/1/revocation/0/1", 404, "NOT_FOUND"],
    ] as const) {
      expectError(await get(path), status, code);
    }
    // The same list through the route (a query string skips the fast path): the same answer.
    const routed = await get("/status-lists/1/revocation/0?x=1");
    expect([routed.status, routed.headers.get("etag"), routed.text]).to.deep.equal([200, etag, first.text]);
    // A status update naming an index beyond any list, or not the credential's: 4xx, never 5xx.
    for (const statusListIndex of ["131072", "4294967296", "1e3", " 1"]) {
      const r = await call("POST", "/credentials/status", { token: issuer1, body: { credentialId: UUID, credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "suspension", statusListIndex }, status: true } }, at);
      expect(r.status, r.text).to.be.oneOf([400, 404]);
    }
  });

  it("behavior: limits are validated when the app is built: an unknown route or a bad number is CONFIG_INVALID", function () {
    const base = { service: stack.service, verify: { trust: createTrustList([]), rpc: {} }, logger: pino({ level: "silent" }) };
    for (const limits of [{ bodyBytes: { "GET /healthz": 10 } }, { bodyBytes: { "POST /v1/nope": 10 } }, { defaultBodyBytes: -1 }, { handlerTimeoutMs: 0 }, { extra: 1 }]) {
      expect(() => createApp({ ...base, limits: limits as never }), JSON.stringify(limits)).to.throw(CredanchorError).with.property("code", "CONFIG_INVALID");
    }
    expect(() => createApp({ ...base, limits: { bodyBytes: { "POST /v1/credentials": 1024 }, defaultBodyBytes: 2048, handlerTimeoutMs: 5 } })).not.to.throw();
  });

  it("error: the bundle of a credential not anchored yet: 409 CONFLICT naming its state", async function () {
    const submitted = await call("POST", "/v1/credentials", { token: issuer1, body: { credentials: [sampleBadge()] } });
    const id = submitted.body.credentials[0].id as string;
    const r = await call("GET", `/v1/credentials/${id}/bundle`, { token: issuer1 });
    expectError(r, 409, "CONFLICT");
    expect(r.body.error.message).to.equal(`credential ${id} is queued: its bundle exists once it is anchored`);
    const view = await call("GET", `/v1/credentials/${id}`, { token: admin });
    expect(view.body).to.include({ id, state: "queued" }).and.not.have.property("bundle");
  });

  it("behavior: a handler past its deadline answers 503 TIMEOUT (the chain never answers), and its late end is only logged", async function () {
    this.timeout(60_000);
    stack.pipeline.start();
    const submitted = await call("POST", "/v1/credentials", { token: issuer1, body: { credentials: [sampleBadge()] } });
    expect(submitted.status, submitted.text).to.equal(202);
    const id = submitted.body.credentials[0].id as string;
    let bundle: Call | undefined;
    for (let k = 0; k < 400 && bundle?.status !== 200; k++) {
      bundle = await callHttp(base, "GET", `/v1/credentials/${id}/bundle`, { token: issuer1 });
      if (bundle.status !== 200) await new Promise((r) => setTimeout(r, 25));
    }
    expect(bundle!.status, bundle!.text).to.equal(200);
    // The process's verification pool starts on first use; started here (through the app with a
    // live chain), so the deadline below is spent waiting on the silent chain, not on starting
    // threads (which can take longer than 300 ms on a busy machine).
    const warm = await callHttp(base, "POST", "/v1/verify", { body: { bundle: bundle!.body } });
    expect(warm.status, warm.text).to.equal(200);

    const started = Date.now();
    const r = await callHttp(slowBase, "POST", "/v1/verify", { body: { bundle: bundle!.body } });
    expectDocumented(doc, r);
    expect(Date.now() - started).to.be.below(5_000);
    expectError(r, 503, "TIMEOUT");
    expect(r.body.error.message).to.match(/Idempotency-Key/);
    expect(held.size, "the verifier did reach the silent endpoint").to.be.greaterThan(0);
    // Let the verifier's reads fail now; its late answer goes nowhere but the log.
    swallow = false;
    for (const socket of held) socket.destroy();
    const deadline = Date.now() + 30_000;
    while (!logs.includes('"handler ended after its timeout"') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(logs).to.include('"handler ended after its timeout"');
    const metrics = await (await fetch(`${slowBase}/metrics`)).text();
    expect(metrics).to.match(/^credanchor_http_errors_total\{code="TIMEOUT"\} 1$/m);
    expect(metrics).not.to.match(/code="INTERNAL"/);
    // The same bundle through the app with a reachable chain is valid: the timeout was the chain's silence.
    const valid = await call("POST", "/v1/verify", { body: { bundle: bundle!.body } });
    expect(valid.body.results[0].verdict).to.equal("valid");
  });

  /** Sends raw bytes on a new connection; resolves with what came back when the server closes it. */
  function raw(at: string, text: string): Promise<{ ms: number; status: number; headers: Headers; body: any; text: string }> {
    const { port } = new URL(at);
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => socket.write(text));
      let out = "";
      socket.on("data", (d) => (out += d.toString()));
      socket.on("error", reject);
      socket.on("close", () => {
        const [head = "", body = ""] = out.split("\r\n\r\n", 2);
        const [statusLine = "", ...lines] = head.split("\r\n");
        const headers = new Headers(lines.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()] as [string, string]));
        resolve({ ms: Date.now() - started, status: Number(statusLine.split(" ")[1]), headers, body: body ? JSON.parse(body) : undefined, text: body });
      });
    });
  }

  it("error: requests the HTTP parser refuses, or that arrive too slowly, get the one error shape too", async function () {
    const cases: [string, number, string][] = [
      ["GARBAGE\r\n\r\n", 400, "REQUEST_INVALID"],
      ["GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, "REQUEST_INVALID"],
      ["POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400, "REQUEST_INVALID"],
      ["GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", 413, "PAYLOAD_TOO_LARGE"],
      ["GET /healthz HTTP/1.1\r\nHost: x\r\n", 503, "TIMEOUT"], // headers never finish
      ['POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"bundle":', 503, "TIMEOUT"], // nor the body
    ];
    for (const [text, status, code] of cases) {
      const r = await raw(base, text);
      expectError({ method: "RAW", path: text.slice(0, 40), ...r }, status, code);
      expect(r.ms, text.slice(0, 40)).to.be.below(5_000);
    }
    // The server is still fine.
    expect((await call("GET", "/healthz")).status).to.equal(200);
  });

  it("behavior: listenApi refuses bad options and a port in use with CONFIG_INVALID", async function () {
    const app = express();
    const port = Number(new URL(base).port);
    for (const options of [{ host: "127.0.0.1", port: -1 }, { host: "", port: 0 }, { host: "127.0.0.1", port: 0, headersTimeoutMs: 0 }, { host: "127.0.0.1", port }]) {
      const error = await listenApi(app, options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(options)).to.be.instanceOf(CredanchorError).with.property("code", "CONFIG_INVALID");
    }
  });
});
