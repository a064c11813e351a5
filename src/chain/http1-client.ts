// A small HTTP/1.1 client for one plain-http origin: POSTs over a few kept-alive sockets, each
// request written in one piece and its answer parsed here (Content-Length or chunked), without
// node:http's per-request objects (ClientRequest, IncomingMessage, agent bookkeeping).
import { connect, type Socket } from "node:net";

/** Options of {@link Http1Client}. */
export type Http1ClientOptions = {
  /** Sockets kept open at most (requests beyond wait for one). */
  sockets: number;
  /** Longest a request may take, answer included. */
  timeoutMs: number;
  /** Largest answer body read. */
  maxResponseBytes: number;
  /** Extra request headers (e.g. `authorization`), written as given. */
  headers?: Readonly<Record<string, string>>;
};

/** A complete answer: its status and its body. */
export type Http1Answer = { status: number; body: Buffer };

/** Largest answer head (status line and headers) read. */
const MAX_HEAD = 64 * 1024;
const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");

type Exchange = { resolve: (answer: Http1Answer) => void; reject: (error: Error) => void; received: boolean };
type Connection = { socket: Socket; reader: AnswerReader; exchange?: Exchange };

/**
 * Reads one answer from the bytes of a socket: the head, then a body framed by Content-Length,
 * by chunked transfer coding, or by the connection's end. `push` returns the answer when complete.
 */
class AnswerReader {
  #buffer: Buffer = Buffer.alloc(0);
  #status = 0;
  #framing: { length: number } | "chunked" | "close" | undefined;
  #chunks: Buffer[] = [];
  #size = 0;
  /** Whether the socket may carry another request after this answer. */
  reusable = true;

  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  reset(): void {
    this.#buffer = Buffer.alloc(0);
    this.#framing = undefined;
    this.#chunks = [];
    this.#size = 0;
    this.reusable = true;
  }

  /** Adds received bytes; the answer once complete. Throws on a malformed or oversized answer. */
  push(bytes: Buffer): Http1Answer | undefined {
    this.#buffer = this.#buffer.length === 0 ? bytes : Buffer.concat([this.#buffer, bytes]);
    if (this.#framing === undefined && !this.#head()) return undefined;
    return this.#body();
  }

  /** The connection ended: the answer if its body runs to the end, else an error. */
  end(): Http1Answer {
    if (this.#framing !== "close") throw new Error("the connection closed before the answer was complete");
    this.#take(this.#buffer);
    return this.#answer();
  }

  #head(): boolean {
    const end = this.#buffer.indexOf(HEAD_END);
    if (end < 0) {
      if (this.#buffer.length > MAX_HEAD) throw new Error("the RPC answer's head is too large");
      return false;
    }
    const lines = this.#buffer.toString("latin1", 0, end).split("\r\n");
    this.#buffer = this.#buffer.subarray(end + HEAD_END.length);
    const status = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]!);
    if (!status || status[2]![0] === "1") throw new Error(`not an HTTP/1.1 answer: ${lines[0]!.slice(0, 80)}`);
    this.#status = Number(status[2]);
    let length: number | undefined;
    let chunked = false;
    let close = status[1] === "0";
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === "content-length") {
        if (!/^\d+$/.test(value) || (length !== undefined && length !== Number(value))) throw new Error("the RPC answer has an invalid Content-Length");
        length = Number(value);
      } else if (name === "transfer-encoding") chunked = value.split(",").some((v) => v.trim() === "chunked");
      else if (name === "connection") close = value.includes("close") ? true : value.includes("keep-alive") ? false : close;
    }
    this.reusable = !close;
    this.#framing = chunked ? "chunked" : length !== undefined ? { length } : "close";
    if (this.#framing === "close") this.reusable = false;
    if (length !== undefined && !chunked && length > this.max) throw tooLarge(this.max);
    return true;
  }

  #body(): Http1Answer | undefined {
    const framing = this.#framing!;
    if (framing === "close") {
      this.#take(this.#buffer);
      this.#buffer = Buffer.alloc(0);
      return undefined;
    }
    if (framing !== "chunked") {
      if (this.#buffer.length < framing.length) return undefined;
      // Bytes after the answer were never asked for: the socket is not trusted with another request.
      if (this.#buffer.length > framing.length) this.reusable = false;
      this.#take(this.#buffer.subarray(0, framing.length));
      return this.#answer();
    }
    for (;;) {
      const line = this.#buffer.indexOf(CRLF);
      if (line < 0) return undefined;
      const size = parseInt(this.#buffer.toString("latin1", 0, line).split(";")[0]!.trim(), 16);
      if (!Number.isSafeInteger(size) || size < 0) throw new Error("the RPC answer has an invalid chunk");
      if (size === 0) {
        // The last chunk, then trailers (ignored) up to an empty line.
        const rest = this.#buffer.subarray(line + CRLF.length);
        const end = rest.subarray(0, 2).equals(CRLF) ? 2 : rest.indexOf(HEAD_END) + HEAD_END.length;
        if (end < HEAD_END.length && end !== 2) return undefined;
        if (rest.length > end) this.reusable = false;
        return this.#answer();
      }
      const start = line + CRLF.length;
      if (this.#buffer.length < start + size + CRLF.length) return undefined;
      if (!this.#buffer.subarray(start + size, start + size + CRLF.length).equals(CRLF)) throw new Error("the RPC answer has an invalid chunk");
      this.#take(this.#buffer.subarray(start, start + size));
      this.#buffer = this.#buffer.subarray(start + size + CRLF.length);
    }
  }

  #take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#size += bytes.length;
    if (this.#size > this.max) throw tooLarge(this.max);
    this.#chunks.push(bytes);
  }

  #answer(): Http1Answer {
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    return { status: this.#status, body };
  }
}

const tooLarge = (max: number) => new Error(`the RPC answer is larger than ${max} bytes`);

/**
 * POSTs to one `http:` URL over at most `sockets` kept-alive connections. A request that fails on
 * a reused socket before any answer byte (the server closed it while idle) is sent once more on a
 * new one; every other failure rejects.
 *
 * @example
 * const http1 = new Http1Client(new URL("http://127.0.0.1:8545"), { sockets: 4, timeoutMs: 10_000, maxResponseBytes: 1 << 20 });
 * const { status, body } = await http1.post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }));
 */
export class Http1Client {
  readonly #idle: Connection[] = [];
  readonly #waiting: ((connection: Connection | undefined) => void)[] = [];
  #open = 0;
  readonly #head: string;
  readonly #port: number;
  readonly #host: string;

  readonly options: Http1ClientOptions;

  constructor(target: URL, options: Http1ClientOptions) {
    this.options = options;
    if (target.protocol !== "http:") throw new Error(`Http1Client serves http: URLs only (got ${target.protocol})`);
    this.#host = target.hostname.replace(/^\[|\]$/g, "");
    this.#port = Number(target.port || 80);
    const extra = Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    this.#head = `POST ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n${extra}`;
  }

  /** POSTs `body` (JSON text); the answer whatever its status. */
  async post(body: string): Promise<Http1Answer> {
    const bytes = Buffer.from(`${this.#head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const reused = this.#idle.length > 0;
    try {
      return await this.#send(await this.#connection(), bytes);
    } catch (error) {
      if (!reused || !(error as { retry?: boolean }).retry) throw error;
      return this.#send(await this.#connection(true), bytes);
    }
  }

  /** Closes every idle socket (busy ones close after their answer is not reused: call when done). */
  close(): void {
    for (const c of this.#idle.splice(0)) c.socket.destroy();
  }

  #connection(fresh = false): Promise<Connection> {
    if (!fresh && this.#idle.length > 0) {
      const idle = this.#idle.pop()!;
      idle.socket.ref();
      return Promise.resolve(idle);
    }
    if (this.#open < this.options.sockets || fresh) return Promise.resolve(this.#connect());
    return new Promise((resolve) => this.#waiting.push((c) => resolve(c ?? this.#connect())));
  }

  #connect(): Connection {
    this.#open++;
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true, keepAlive: true });
    const connection: Connection = { socket, reader: new AnswerReader(this.options.maxResponseBytes) };
    socket.on("data", (bytes: Buffer) => {
      const exchange = connection.exchange;
      if (!exchange) return void socket.destroy(); // bytes nobody asked for
      exchange.received = true;
      let answer: Http1Answer | undefined;
      try {
        answer = connection.reader.push(bytes);
      } catch (error) {
        return this.#fail(connection, error as Error);
      }
      if (answer) this.#done(connection, answer);
    });
    socket.once("end", () => {
      const exchange = connection.exchange;
      if (!exchange) return;
      try {
        this.#done(connection, connection.reader.end());
      } catch (error) {
        this.#fail(connection, Object.assign(error as Error, { retry: !exchange.received }));
      }
    });
    socket.on("error", (error) => this.#fail(connection, Object.assign(error, { retry: !connection.exchange?.received })));
    socket.once("close", () => {
      this.#open--;
      const at = this.#idle.indexOf(connection);
      if (at >= 0) this.#idle.splice(at, 1);
      this.#fail(connection, Object.assign(new Error("the connection closed before the answer was complete"), { retry: !connection.exchange?.received }));
      // A slot is free: a waiting request opens its own connection.
      this.#waiting.shift()?.(undefined);
    });
    return connection;
  }

  #send(connection: Connection, bytes: Buffer): Promise<Http1Answer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(connection, new Error(`the RPC endpoint did not answer within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      connection.reader.reset();
      connection.exchange = {
        resolve: (answer) => (clearTimeout(timer), resolve(answer)),
        reject: (error) => (clearTimeout(timer), reject(error)),
        received: false,
      };
      connection.socket.write(bytes);
    });
  }

  #done(connection: Connection, answer: Http1Answer): void {
    const exchange = connection.exchange!;
    connection.exchange = undefined;
    if (connection.reader.reusable && !connection.socket.destroyed) this.#release(connection);
    else connection.socket.destroy();
    exchange.resolve(answer);
  }

  #fail(connection: Connection, error: Error): void {
    const exchange = connection.exchange;
    connection.exchange = undefined;
    connection.socket.destroy();
    exchange?.reject(error);
  }

  #release(connection: Connection): void {
    const next = this.#waiting.shift();
    if (next) return next(connection);
    // As node:http's agent: an idle kept-alive socket does not keep the process (or thread) running.
    connection.socket.unref();
    this.#idle.push(connection);
  }
}
