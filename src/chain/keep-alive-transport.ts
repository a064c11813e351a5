// A lean viem transport for a long-running reader: JSON-RPC over kept-alive sockets (http: through
// http1-client.ts, https: node:https), one small request per call, instead of fetch's per-call machinery.
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from "node:http";
import { request as httpsRequest, Agent as HttpsAgent } from "node:https";
import { custom, type Transport } from "viem";
import { Http1Client } from "./http1-client.ts";

/** Options of {@link keepAliveTransport}. */
export type KeepAliveTransportOptions = {
  /** Longest a call may take, answer included (default 10 s). */
  timeoutMs?: number;
  /** Largest answer read (default 64 MiB). */
  maxResponseBytes?: number;
  /** Sockets kept open to the endpoint (default 16). */
  sockets?: number;
  /** Retries of a failed call (default 1, as the verifier's HTTP transport). */
  retryCount?: number;
};

/** A JSON-RPC error answer, with the fields viem maps to its RPC error classes. */
class JsonRpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(error: { code: number; message: string; data?: unknown }) {
    super(error.message);
    this.code = error.code;
    this.data = error.data;
  }
}

function readAnswer(res: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) return void res.destroy(new Error(`the RPC answer is larger than ${max} bytes`));
      chunks.push(chunk);
    });
    res.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    res.once("error", reject);
  });
}

/**
 * A viem transport to `url` over kept-alive sockets. Calls are not batched (a verifier's coalesced
 * rounds already put many questions in one `eth_call`).
 *
 * @example
 * const client = createPublicClient({ transport: keepAliveTransport("http://127.0.0.1:8545") });
 */
export function keepAliveTransport(url: string, { timeoutMs = 10_000, maxResponseBytes = 64 * 1024 * 1024, sockets = 16, retryCount = 1 }: KeepAliveTransportOptions = {}): Transport {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: sockets }) : new HttpAgent({ keepAlive: true, maxSockets: sockets });
  const send = secure ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.username || target.password) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString("base64")}`;
  let next = 0;

  // Plain http: this module's own HTTP/1.1 client (one write per request, no node:http objects); https: node:https.
  const http1 = secure ? undefined : new Http1Client(target, { sockets, timeoutMs, maxResponseBytes, headers: headers.authorization ? { authorization: headers.authorization } : {} });
  const post = (body: string): Promise<{ status: number; body: Buffer }> =>
    http1?.post(body) ??
    new Promise((resolve, reject) => {
      const req = send(target, { method: "POST", agent, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, timeout: timeoutMs }, (res) => {
        readAnswer(res, maxResponseBytes).then((bytes) => resolve({ status: res.statusCode ?? 0, body: bytes }), reject);
      });
      req.once("timeout", () => req.destroy(new Error(`the RPC endpoint did not answer within ${timeoutMs} ms`)));
      req.once("error", reject);
      req.end(body);
    });

  const call = async (method: string, params: unknown): Promise<unknown> => {
    try {
      const { status, body } = await post(JSON.stringify({ jsonrpc: "2.0", id: ++next, method, params: params ?? [] }));
      if (status !== 200) throw new Error(`HTTP ${status} from the RPC endpoint`);
      const answer = JSON.parse(body.toString("utf8")) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
      if (answer.error) throw new JsonRpcError(answer.error);
      return answer.result;
    } catch (error) {
      throw error instanceof JsonRpcError ? error : new Error(`the RPC endpoint failed: ${(error as Error).message}`);
    }
  };

  return custom({ request: ({ method, params }) => call(method, params) }, { retryCount, key: "keepAlive", name: "Keep-alive JSON-RPC" });
}
