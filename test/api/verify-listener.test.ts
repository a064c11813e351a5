// The verification port (VERIFY_PORT, issue 11 item 6): the verification threads serve POST /v1/verify
// on a listener of their own. What must hold: the same bytes as the main port for the same request
// (answers and every error), one rate-limit bucket per client across both ports, nothing else served.
import { createServer, request } from "node:http";
import { expect } from "chai";
import pino from "pino";
import type { Bundle } from "../../src/core/bundle.ts";
import { createApp, verifyListenerOf } from "../../src/api/app.ts";
import { listenApi } from "../../src/api/listen.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { call, expectError } from "./http.ts";

type Raw = { status: number; headers: Record<string, string | string[] | undefined>; text: string };

/** One request with node:http, as sent (a body in `chunks` goes chunked; no Content-Type unless given). */
function raw(port: number, method: string, path: string, { headers = {}, body, chunks }: { headers?: Record<string, string>; body?: string; chunks?: string[] } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c)).once("end", () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(parts).toString() }));
    });
    req.once("error", reject);
    if (chunks) for (const c of chunks) req.write(c);
    req.end(body);
  });
}

/** An answer without what differs per request (its id, the date) or per connection. */
function comparable(r: Raw): unknown {
  const { date: _date, "x-request-id": id, connection: _c, "keep-alive": _k, ...headers } = r.headers;
  return { status: r.status, headers, text: r.text.replace(String(id), "<id>") };
}

describe("POST /v1/verify on the verification port (the threads' own listener)", function () {
  let chain: Chain;
  let stack: Stack;
  let bundle: Bundle;
  let credentialId: string;
  let main: number;
  let verifyPort: number;
  const closers: (() => Promise<void>)[] = [];
  const BODY_LIMIT = 64 * 1024;

  /** An app with a verification port; its main and verification ports. */
  async function serve(limits: Parameters<typeof createApp>[0]["limits"], threads = 2): Promise<{ main: number; verify: number }> {
    const app = createApp({
      service: stack.service,
      verify: { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } },
      logger: pino({ level: "silent" }),
      verifyThreads: { confirmations: 0, threads, listen: { host: "127.0.0.1", port: 0 } },
      limits,
    });
    const server = await listenApi(app, { host: "127.0.0.1", port: 0 });
    const port = (await verifyListenerOf(app)!.listening())!;
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await verifyListenerOf(app)!.close();
    });
    return { main: (server.address() as { port: number }).port, verify: port };
  }

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    ({ main, verify: verifyPort } = await serve({ bodyBytes: { "POST /v1/verify": BODY_LIMIT }, verifyMaxBundles: 2, verifyRate: { perMinute: 0, burst: 1 } }));
    const base = `http://127.0.0.1:${main}`;
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [sampleBadge()] });
    credentialId = credentials[0]!.id;
    await runUntil(stack, async () => ["anchored", "confirmed"].includes((await call(base, "GET", `/v1/credentials/${credentialId}`, { token: stack.tokens[1] })).body.state));
    bundle = (await call(base, "GET", `/v1/credentials/${credentialId}/bundle`, { token: stack.tokens[1] })).body as Bundle;
  });

  after(async function () {
    for (const close of closers) await close();
    await closeStack(stack);
  });

  /** The same request on both ports: the same status, headers and body. */
  async function same(method: string, path: string, options: Parameters<typeof raw>[3] = {}): Promise<Raw> {
    const [onMain, onVerify] = [await raw(main, method, path, options), await raw(verifyPort, method, path, options)];
    expect(comparable(onVerify), `${method} ${path}`).to.deep.equal(comparable(onMain));
    return onVerify;
  }

  it("behavior: the same bytes as the main port: answers, bad JSON, bad bodies, caps, media types, sizes, chunked bodies, methods", async function () {
    const json = { "content-type": "application/json" };
    const tampered = { ...bundle, statusIndex: bundle.statusIndex + 1 };
    const unknownRoot = { ...bundle, root: `0x${"12".repeat(32)}` };
    const cases: [string, string, Parameters<typeof raw>[3], number][] = [
      ["POST", "/v1/verify", { headers: json, body: JSON.stringify({ bundle }) }, 200],
      ["POST", "/v1/verify", { headers: json, body: JSON.stringify({ bundles: [tampered, unknownRoot] }) }, 200],
      ["POST", "/v1/verify", { headers: json, body: JSON.stringify({ bundle: { broken: true }, private: true }) }, 200],
      ["POST", "/v1/verify?x=1", { headers: { "content-type": "application/ld+json; charset=utf-8" }, body: JSON.stringify({ bundle }) }, 200],
      ["POST", "/V1/Verify/", { headers: json, chunks: [JSON.stringify({ bundle }).slice(0, 100), JSON.stringify({ bundle }).slice(100)] }, 200],
      ["POST", "/v1/verify", { headers: json, body: '{"bundle": ' }, 400],
      ["POST", "/v1/verify", { headers: json, body: JSON.stringify({ bundle: 1, bundles: [] }) }, 400],
      ["POST", "/v1/verify", { headers: json, body: JSON.stringify({ bundles: [bundle, bundle, bundle] }) }, 400],
      ["POST", "/v1/verify", { headers: json, body: JSON.stringify({ bundle, extra: 1 }) }, 400],
      ["POST", "/v1/verify", { headers: json, body: "" }, 400],
      ["POST", "/v1/verify", { headers: { "content-type": "text/plain" }, body: JSON.stringify({ bundle }) }, 415],
      ["POST", "/v1/verify", { body: JSON.stringify({ bundle }) }, 415],
      ["POST", "/v1/verify", { headers: json, body: " ".repeat(BODY_LIMIT + 1) }, 413],
      ["POST", "/v1/verify", { headers: json, chunks: [" ".repeat(BODY_LIMIT), "{}"] }, 413],
      ["GET", "/v1/verify", {}, 405],
      ["DELETE", "/v1/verify/", {}, 405],
    ];
    for (const [method, path, options, status] of cases) expect((await same(method, path, options)).status, `${method} ${path}`).to.equal(status);
  });

  it("behavior: a revocation shows on the verification port as on the main port", async function () {
    const base = `http://127.0.0.1:${main}`;
    const change = await call(base, "POST", "/v1/revocations", { token: stack.tokens[1], body: { action: "revoke", credentialIds: [credentialId] } });
    expect(change.status, change.text).to.equal(202);
    await runUntil(stack, async () => (await call(base, "GET", `/v1/revocations/${change.body.id}`, { token: stack.tokens[1] })).body.state === "confirmed");
    const answer = await same("POST", "/v1/verify", { headers: { "content-type": "application/json" }, body: JSON.stringify({ bundle }) });
    expect(JSON.parse(answer.text).results[0].verdict).to.equal("invalid");
  });

  it("error: any other path on the verification port is 404 NOT_FOUND in the one error shape (it serves verification only)", async function () {
    for (const path of ["/healthz", "/v1/credentials", "/v1/verifyx"]) expectError(await call(`http://127.0.0.1:${verifyPort}`, "GET", path), 404, "NOT_FOUND");
  });

  it("behavior: one rate-limit bucket per client across both ports (429 with Retry-After on either once it is empty)", async function () {
    const ports = await serve({ verifyRate: { perMinute: 1, burst: 2 } }, 1);
    const body = { bundle };
    expect((await call(`http://127.0.0.1:${ports.main}`, "POST", "/v1/verify", { body })).status).to.equal(200);
    expect((await call(`http://127.0.0.1:${ports.verify}`, "POST", "/v1/verify", { body })).status).to.equal(200);
    for (const port of [ports.verify, ports.main]) {
      const refused = await call(`http://127.0.0.1:${port}`, "POST", "/v1/verify", { body });
      expectError(refused, 429, "RATE_LIMITED");
      expect(Number(refused.headers.get("retry-after"))).to.be.within(1, 60);
    }
  });

  it("error: a verification port another process holds fails with CONFIG_INVALID naming VERIFY_PORT (the setting to change)", async function () {
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const taken = (other.address() as { port: number }).port;
    const app = createApp({
      service: stack.service,
      verify: { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } },
      logger: pino({ level: "silent" }),
      verifyThreads: { confirmations: 0, threads: 1, listen: { host: "127.0.0.1", port: taken } },
    });
    try {
      const failed = await verifyListenerOf(app)!.listening().then(() => undefined, (e: unknown) => e as { code?: string; message?: string });
      expect(failed?.code).to.equal("CONFIG_INVALID");
      expect(failed?.message).to.equal(`the verification port cannot be served: port ${taken} on 127.0.0.1 is in use: stop the other process or set VERIFY_PORT`);
    } finally {
      await verifyListenerOf(app)!.close();
      await new Promise((r) => other.close(r));
    }
  });
});
