// The verification threads' RPC transport against a real HTTP server speaking JSON-RPC: results
// pass through, every kind of failure is an error (never a result), and sockets are kept alive;
// its HTTP/1.1 client (http1-client.ts) against a raw TCP server writing answers byte by byte.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { spawn } from "node:child_process";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { Http1Client } from "../../src/chain/http1-client.ts";
import { expect } from "chai";
import { createPublicClient, type PublicClient } from "viem";
import { keepAliveTransport } from "../../src/chain/keep-alive-transport.ts";

type Answer = (call: { method: string; id: number }) => { status?: number; body?: string; delayMs?: number };

describe("src/chain/keep-alive-transport: JSON-RPC over kept-alive sockets", function () {
  let server: Server;
  let url: string;
  let answer: Answer;
  const sockets = new Set<unknown>();

  const read = (req: IncomingMessage) => new Promise<string>((resolve) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.once("end", () => resolve(text));
  });

  before(async function () {
    server = createServer(async (req, res) => {
      sockets.add(req.socket);
      const call = JSON.parse(await read(req)) as { method: string; id: number };
      const { status = 200, body = JSON.stringify({ jsonrpc: "2.0", id: call.id, result: "0x7a69" }), delayMs = 0 } = answer(call);
      setTimeout(() => res.writeHead(status, { "content-type": "application/json" }).end(body), delayMs);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async function () {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const client = (options: Parameters<typeof keepAliveTransport>[1] = {}) => createPublicClient({ transport: keepAliveTransport(url, { retryCount: 0, ...options }) }) as PublicClient;
  const failure = (p: Promise<unknown>) => p.then(() => "no error", (e: Error) => e.message);

  it("behavior: results pass through, and many calls share a few kept-alive sockets", async function () {
    answer = () => ({});
    sockets.clear();
    const c = client({ sockets: 2 });
    for (let k = 0; k < 3; k++) expect(await Promise.all(Array.from({ length: 10 }, () => c.getChainId()))).to.deep.equal(Array(10).fill(31337));
    expect(sockets.size).to.be.within(1, 2);
  });

  it("error: a JSON-RPC error, an HTTP error status, a body that is not JSON, an answer over the size limit and a timeout all fail the call", async function () {
    answer = (call) => ({ body: JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code: -32000, message: "header not found" } }) });
    expect(await failure(client().getChainId())).to.include("header not found");
    answer = () => ({ status: 502, body: "bad gateway" });
    expect(await failure(client().getChainId())).to.include("HTTP 502");
    answer = () => ({ body: "<html>" });
    expect(await failure(client().getChainId())).to.not.equal("no error");
    answer = (call) => ({ body: JSON.stringify({ jsonrpc: "2.0", id: call.id, result: `0x${"0".repeat(5000)}` }) });
    expect(await failure(client({ maxResponseBytes: 1000 }).getChainId())).to.include("larger than 1000 bytes");
    answer = () => ({ delayMs: 500 });
    expect(await failure(client({ timeoutMs: 50 }).getChainId())).to.include("did not answer within 50 ms");
  });
});

describe("src/chain/http1-client: answers framed every way HTTP/1.1 allows, written in pieces", function () {
  let server: TcpServer;
  let url: URL;
  /** What the server writes for each request (in pieces, one event-loop turn apart); `close` ends the socket after. */
  let script: (request: number) => { pieces: string[]; close?: boolean };
  let requests = 0;
  let connections = 0;
  const open = new Set<Socket>();

  before(async function () {
    server = createTcpServer((socket) => {
      connections++;
      open.add(socket);
      socket.once("close", () => open.delete(socket));
      let text = "";
      socket.on("data", async (bytes) => {
        text += bytes.toString("latin1");
        const head = text.indexOf("\r\n\r\n");
        const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? -1);
        if (head < 0 || text.length < head + 4 + length) return;
        text = "";
        const { pieces, close } = script(++requests);
        for (const piece of pieces) {
          socket.write(piece);
          await new Promise((r) => setImmediate(r));
        }
        if (close) socket.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/rpc`);
  });

  after(async function () {
    open.forEach((s) => s.destroy());
    await new Promise((r) => server.close(r));
  });

  const client = () => new Http1Client(url, { sockets: 2, timeoutMs: 2_000, maxResponseBytes: 1_000 });
  const text = async (p: Promise<{ status: number; body: Buffer }>) => {
    const { status, body } = await p;
    return `${status} ${body.toString()}`;
  };

  it("behavior: Content-Length, chunked (with extensions and trailers) and close-delimited bodies, each split anywhere, are read whole; a kept socket serves the next request", async function () {
    const whole = (body: string) => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const split = (t: string, at: number[]) => at.map((a, k) => t.slice(k === 0 ? 0 : at[k - 1], a)).concat(t.slice(at[at.length - 1]));
    const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n3\r\n:12\r\n1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n";
    const c = client();
    const cases: [string[], string, boolean?][] = [
      [[whole("{\"a\":1}")], "200 {\"a\":1}"],
      [split(whole("{\"a\":2}"), [3, 20, 40, 60]), "200 {\"a\":2}"],
      [split(chunked, [1, 30, 50, 52, 60, chunked.length - 3]), "200 {\"a\":12}"],
      [["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"], "200 {}"],
      [["HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n", "bad ", "gateway"], "502 bad gateway", true],
    ];
    for (const [pieces, expected, close] of cases) {
      script = () => ({ pieces, ...(close ? { close } : {}) });
      expect(await text(c.post("{}"))).to.equal(expected);
    }
    const before = connections;
    script = () => ({ pieces: [whole("{}")] });
    for (let k = 0; k < 5; k++) expect(await text(c.post("{}"))).to.equal("200 {}");
    expect(connections - before).to.equal(1);
    c.close();
  });

  it("behavior: a kept socket the server closed while idle is replaced, and the request goes through on a new one", async function () {
    const c = client();
    script = () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"] });
    expect(await text(c.post("{}"))).to.equal("200 {}");
    open.forEach((s) => s.destroy());
    expect(await text(c.post("{}"))).to.equal("200 {}");
    c.close();
  });

  it("behavior: an idle kept-alive socket does not keep a process running (as node:http's agent): a process that made a request exits", async function () {
    script = () => ({ pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"] });
    const module = new URL("../../src/chain/http1-client.ts", import.meta.url).href;
    const code = `const { Http1Client } = await import(${JSON.stringify(module)}); const c = new Http1Client(new URL(${JSON.stringify(url.href)}), { sockets: 1, timeoutMs: 5000, maxResponseBytes: 100 }); console.log((await c.post("{}")).body.toString());`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill(), 10_000);
    const exit = await new Promise((r) => child.once("exit", (code, signal) => r(signal ?? code)));
    clearTimeout(timer);
    expect([exit, out.trim()]).to.deep.equal([0, "{}"]);
  });

  it("error: a malformed answer (not HTTP, a bad chunk, a bad length), one over the size limit, one cut short and a silent server reject the request", async function () {
    const c = new Http1Client(url, { sockets: 2, timeoutMs: 300, maxResponseBytes: 1_000 });
    const failure = (pieces: string[], close?: boolean) => ((script = () => ({ pieces, ...(close ? { close } : {}) })), c.post("{}").then(() => "no error", (e: Error) => e.message));
    expect(await failure(["SSH-2.0-OpenSSH\r\n\r\n"])).to.include("not an HTTP/1.1 answer");
    expect(await failure(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"])).to.include("invalid chunk");
    expect(await failure(["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"])).to.include("invalid Content-Length");
    expect(await failure([`HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${"0".repeat(5000)}`])).to.include("larger than 1000 bytes");
    expect(await failure([`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${"3e8\r\n" + "0".repeat(1000) + "\r\n"}`, `1\r\n0\r\n0\r\n\r\n`])).to.include("larger than 1000 bytes");
    expect(await failure(["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"], true)).to.include("closed before the answer was complete");
    expect(await failure([])).to.include("did not answer within 300 ms");
    c.close();
  });
});
