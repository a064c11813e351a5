// The HTTP(S) server around the app: timeouts on receiving a request, and the one error shape also
// for requests Node's HTTP parser refuses before express sees them (bad request line, header
// overflow, conflicting lengths, too slow). HTTPS when given a certificate and key.
import type { Express } from "express";
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ServiceError } from "../core/errors.ts";
import { errorBody } from "./errors.ts";
import { requestListenerOf } from "./status-list-fast-path.ts";

export const ListenOptionsSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(0).max(65_535),
  /** Time to receive the headers (default 15 s). */
  headersTimeoutMs: z.number().int().positive().optional(),
  /** Time to receive the whole request, body included (default 120 s: 64 MiB on a slow link). */
  requestTimeoutMs: z.number().int().positive().optional(),
  /** Idle keep-alive connections are closed after this (default 5 s). */
  keepAliveTimeoutMs: z.number().int().positive().optional(),
  /** PEM certificate (chain) and private key: serve HTTPS instead of HTTP. */
  tls: z.strictObject({ cert: z.union([z.string().min(1), z.instanceof(Buffer)]), key: z.union([z.string().min(1), z.instanceof(Buffer)]) }).optional(),
  /** Share the port with other listeners of this process that set it too (SO_REUSEPORT: the kernel spreads connections; Linux). */
  reusePort: z.boolean().optional(),
});
export type ListenOptions = z.infer<typeof ListenOptionsSchema>;

/**
 * The `tls` option from the PEM files the settings name (`TLS_CERT_FILE`, `TLS_KEY_FILE`); none: plain HTTP.
 *
 * @throws ServiceError `CONFIG_INVALID` naming the file that cannot be read.
 *
 * @example
 * const tls = tlsFromFiles(config.tlsCertFile, config.tlsKeyFile); // { cert, key } or undefined
 */
export function tlsFromFiles(certFile: string | undefined, keyFile: string | undefined): ListenOptions["tls"] {
  if (certFile === undefined || keyFile === undefined) return undefined;
  const read = (file: string, setting: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ServiceError(`cannot read ${setting} ${file}: ${(error as Error).message}`, { code: "CONFIG_INVALID" });
    }
  };
  return { cert: read(certFile, "TLS_CERT_FILE"), key: read(keyFile, "TLS_KEY_FILE") };
}

/** What the parser's refusal is, in the API's codes. */
function clientErrorOf(error: NodeJS.ErrnoException): ServiceError {
  if (error.code === "HPE_HEADER_OVERFLOW") return new ServiceError("the request headers are too large", { code: "PAYLOAD_TOO_LARGE" });
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return new ServiceError("the request did not arrive in time; nothing was done", { code: "TIMEOUT" });
  return new ServiceError(`the request is not valid HTTP/1.1 (${error.code ?? "parse error"})`, { code: "REQUEST_INVALID" });
}

/** Answers a request the HTTP parser refused, in the one error shape, then closes the connection. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const { status, body } = errorBody(clientErrorOf(error), requestId);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
      `X-Request-Id: ${requestId}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${text}`,
  );
}

/**
 * Serves `app` on `host:port` (HTTPS when `tls` is given) with bounded receive times and JSON
 * answers for unparseable requests; resolves once listening (port 0: a free port, read it from
 * `server.address()`).
 *
 * @throws ServiceError `CONFIG_INVALID` for bad options, a certificate and key Node refuses, or a port in use.
 *
 * @example
 * const server = await listenApi(createApp({ service, verify, logger }), { host: "127.0.0.1", port: 8443, tls: { cert, key } });
 */
export function listenApi(app: Express, options: ListenOptions): Promise<Server> {
  return listenRequests(requestListenerOf(app), options);
}

/**
 * {@link listenApi} for any request listener (the verification threads' own listener);
 * `setting` names the setting that chose the port, for the error when it is in use.
 *
 * @example
 * const server = await listenRequests((req, res) => res.end(), { host: "127.0.0.1", port: 0 }, "VERIFY_PORT");
 */
export function listenRequests(listener: (req: IncomingMessage, res: ServerResponse) => void, options: ListenOptions, setting = "PORT"): Promise<Server> {
  const parsed = ListenOptionsSchema.safeParse(options);
  if (!parsed.success) {
    return Promise.reject(new ServiceError("the listen options are invalid", { code: "CONFIG_INVALID", details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) }));
  }
  const { host, port, headersTimeoutMs = 15_000, requestTimeoutMs = 120_000, keepAliveTimeoutMs = 5_000, tls, reusePort = false } = parsed.data;
  const serverOptions = {
    headersTimeout: headersTimeoutMs,
    requestTimeout: Math.max(requestTimeoutMs, headersTimeoutMs),
    keepAliveTimeout: keepAliveTimeoutMs,
    // How often Node checks the two timeouts above (its default, 30 s, would blur short ones).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
  };
  let server: Server;
  try {
    server = tls ? (createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key }, listener) as unknown as Server) : createServer(serverOptions, listener);
  } catch (error) {
    return Promise.reject(new ServiceError(`the TLS certificate and key are not usable: ${(error as Error).message}`, { code: "CONFIG_INVALID" }));
  }
  server.on("clientError", answerClientError);
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new ServiceError(`port ${port} on ${host} is in use: stop the other process or set ${setting}`, { code: "CONFIG_INVALID" }) : error);
    });
    server.listen({ port, host, reusePort }, () => resolve(server));
  });
}
