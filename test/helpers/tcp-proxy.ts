// A TCP proxy on 127.0.0.1 that can cut a service off from its chain and reconnect it: the real
// node keeps its state while the service sees an outage (connection refused / reset).
import { createServer, connect, type Server, type Socket } from "node:net";

export type TcpProxy = {
  url: string;
  port: number;
  /** Refuses new connections and resets open ones. */
  block(): void;
  unblock(): void;
  close(): Promise<void>;
};

/** Starts a proxy to `target` ("http://127.0.0.1:8545") on a free port. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(targetPort), hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    block() {
      blocked = true;
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
    },
    unblock() {
      blocked = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
