// listenApi over TLS: serves HTTPS with a self-signed certificate made here, answers the parser's refusals in the one JSON shape over
// TLS too, and refuses unusable certificates; the TLS settings go in pairs. Real sockets, no chain.
import { expect } from "chai";
import express from "express";
import { mkdtempSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { listenApi, tlsFromFiles } from "../../src/api/listen.ts";
import { loadConfig } from "../../src/config.ts";
import { CredanchorError } from "../../src/core/errors.ts";
import { removeDir } from "../helpers/stack.ts";
import { httpsCall, selfSignedCertificate, type SelfSigned } from "../helpers/tls.ts";

const codeOf = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (error) {
    return error instanceof CredanchorError ? error.code : String(error);
  }
  return "no error";
};

describe("src/api/listen: HTTPS", function () {
  this.timeout(60_000);
  let dir: string;
  let tls: SelfSigned;
  let server: Server;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "credanchor-https-"));
    tls = selfSignedCertificate(dir);
    const app = express();
    app.get("/hello", (_req, res) => res.json({ hello: "over tls" }));
    server = await listenApi(app, { host: "127.0.0.1", port: 0, tls: tlsFromFiles(tls.certFile, tls.keyFile)! });
    base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) removeDir(dir);
  });

  it("default: serves the app over HTTPS with the given certificate", async () => {
    const r = await httpsCall(tls.cert, base, "GET", "/hello");
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({ hello: "over tls" });
  });

  it("error: a request the HTTP parser refuses gets the one JSON error shape over TLS too", async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: Number(new URL(base).port), ca: tls.cert, servername: "localhost" }, () => socket.write("BREW / HTTP/1.1\r\nHost: x\r\n\r\n"));
      let out = "";
      socket.on("data", (c: Buffer) => (out += c.toString()));
      socket.on("end", () => resolve(out));
      socket.on("error", reject);
    });
    expect(answer).to.match(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.split("\r\n\r\n")[1]!).error.code).to.equal("REQUEST_INVALID");
  });

  it("error: an unusable certificate or key, an unreadable file, or only one of the pair: CONFIG_INVALID", async () => {
    const app = express();
    expect(await codeOf(listenApi(app, { host: "127.0.0.1", port: 0, tls: { cert: "not a certificate", key: tls.key } }))).to.equal("CONFIG_INVALID");
    expect(await codeOf(listenApi(app, { host: "127.0.0.1", port: 0, tls: { cert: tls.cert, key: tls.cert } }))).to.equal("CONFIG_INVALID");
    expect(await codeOf(() => tlsFromFiles(join(dir, "missing.pem"), tls.keyFile))).to.equal("CONFIG_INVALID");
    expect(await codeOf(() => loadConfig({ TLS_CERT_FILE: tls.certFile }))).to.equal("CONFIG_INVALID");
    expect(await codeOf(() => loadConfig({ TLS_KEY_FILE: tls.keyFile }))).to.equal("CONFIG_INVALID");
    expect(loadConfig({ TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile })).to.include({ tlsCertFile: tls.certFile, tlsKeyFile: tls.keyFile });
    writeFileSync(join(dir, "empty.pem"), "");
    expect(await codeOf(listenApi(app, { host: "127.0.0.1", port: 0, ...{ tls: tlsFromFiles(join(dir, "empty.pem"), tls.keyFile)! } }))).to.equal("CONFIG_INVALID");
  });
});
