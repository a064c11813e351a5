// A JSON-RPC HTTP proxy on 127.0.0.1 that records every call (batches split) before forwarding it
// to a real node, and can hold requests to observe whether the caller gives up (aborts) on them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type RecordedCall = { method: string; data?: string };

export type RpcRecorder = {
  /** The proxy's URL; any path is accepted (so a test can give it a secret-looking one). */
  url: string;
  /** Every JSON-RPC call received, in order (the members of a batch one by one). */
  calls: RecordedCall[];
  /** Calls whose `eth_call` data starts with `selector` (0x + 8 hex digits). */
  callsTo(selector: string): RecordedCall[];
  /** While held, requests are recorded but not answered; when the hold ends they are forwarded and answered. */
  hold(on: boolean): void;
  /** Resolves once `count` held requests were given up by their client (connection closed unanswered). */
  abandoned(count: number): Promise<void>;
  close(): Promise<void>;
};

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.once("end", () => resolve(body));
    req.once("error", reject);
  });
}

/** Starts a recorder in front of `target` (e.g. a hardhat node's URL). */
export async function startRpcRecorder(target: string): Promise<RpcRecorder> {
  const calls: RecordedCall[] = [];
  let held = false;
  let given = 0;
  const waiting: { count: number; resolve: () => void }[] = [];
  const settle = () => {
    for (const w of waiting.filter((w) => given >= w.count)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  };
  /** Held requests, forwarded when the hold ends (those whose client gave up answer no one). */
  let released: (() => void)[] = [];
  const forward = async (body: string, res: ServerResponse) => {
    const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(await upstream.text());
  };
  const server: Server = createServer(async (req, res) => {
    const body = await readAll(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    for (const c of Array.isArray(parsed) ? parsed : [parsed]) {
      const call = c as { method?: string; params?: { data?: string; input?: string }[] } | undefined;
      const data = call?.params?.[0]?.data ?? call?.params?.[0]?.input;
      calls.push({ method: call?.method ?? "?", ...(typeof data === "string" ? { data } : {}) });
    }
    if (held) {
      res.once("close", () => {
        if (res.writableFinished) return;
        given++;
        settle();
      });
      released.push(() => void forward(body, res).catch(() => res.destroy()));
      return;
    }
    await forward(body, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (selector) => calls.filter((c) => c.method === "eth_call" && c.data?.toLowerCase().startsWith(selector.toLowerCase())),
    hold: (on) => {
      held = on;
      if (on) return;
      const late = released;
      released = [];
      late.forEach((f) => f());
    },
    abandoned: (count) =>
      new Promise<void>((resolve) => {
        waiting.push({ count, resolve });
        settle();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
