// The verification threads' RPC transport against a real HTTP server speaking JSON-RPC: results
// pass through, every kind of failure is an error (never a result), and sockets are kept alive.
import { createServer, type IncomingMessage, type Server } from "node:http";
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
