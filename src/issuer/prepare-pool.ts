// Parsing, checking, salting and hashing on worker threads, so accepting a large request uses
// every core and the main thread stays free for HTTP and the database. The same strict parser,
// checks and prepareCredential as everywhere.
import { createHmac } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort } from "node:worker_threads";
import { canonicalize } from "../core/canonical.ts";
import type { AnchorContext } from "../core/digest.ts";
import { CredanchorError, ValidationError, type ErrorDetail } from "../core/errors.ts";
import { isPlainObject, parseJson, type JsonLimits } from "../core/json.ts";
import { credentialLeaf } from "../core/leaf.ts";
import { prepareCredential } from "../core/prepare.ts";
import { credentialIdMac } from "./dedupe.ts";
import { checkSubmission } from "./submission-checks.ts";

/** What the service stores per credential (field hashes are not kept: salts and content recompute them). */
export type Prepared = { content: string; salts: Uint8Array; digest: Uint8Array; leaf: Uint8Array; validFrom: number; validUntil: number };

/** What a submission's body parsed on a worker says (its credentials stay on that worker until released). */
export type ParsedSubmission = {
  /** Credentials in the request. */
  count: number;
  /** HMAC of the credentials as submitted (only when an Idempotency-Key was sent and the count is allowed). */
  requestMac?: Uint8Array;
  /** Validation problems, then issuer mismatches (see checkSubmission); both empty: the credentials are held. */
  details: ErrorDetail[];
  mismatches: ErrorDetail[];
  /** Per credential: the MAC of its own `id` (null without one). */
  idMacs: (Uint8Array | null)[];
};

/** How to parse a submission: the issuer's identity and the MAC key, the limits the main thread would apply. */
export type SubmissionParse = {
  issuerId: number;
  identity: string;
  secret: Uint8Array;
  /** An Idempotency-Key came with the request: compute the request's MAC. */
  keyed: boolean;
  maxPerRequest: number;
  jsonLimits: JsonLimits;
  macLimits: JsonLimits;
};

/**
 * Anchoring contexts as sent to a worker: a request's contexts differ only in their status
 * index, so one shared context and the indices travel (a thousand small objects cost the main
 * thread more to clone); mixed contexts travel as they are.
 */
type Contexts = { shared: Omit<AnchorContext, "statusIndex">; statusIndices: number[] } | { each: AnchorContext[] };

/**
 * Prepared credentials as a worker sends them back: every salt, digest and leaf in one
 * transferred buffer (one transfer instead of three per credential), cut into views on arrival.
 */
type PackedPrepared = { contents: string[]; bytes: Uint8Array; saltEnds: Uint32Array; validFrom: Float64Array; validUntil: Float64Array };

type Job =
  | { kind: "prepare"; id: number; credentials: unknown[]; contexts: Contexts }
  | ({ kind: "parse"; id: number; body: Uint8Array } & SubmissionParse)
  | { kind: "prepareHeld"; id: number; heldId: number; positions: number[]; contexts: Contexts }
  | { kind: "release"; heldId: number };
type Reply = { id: number; prepared?: PackedPrepared; parsed?: ParsedSubmission; fallback?: true; error?: { shortMessage: string; code: string; details: ErrorDetail[]; index: number } };

function packContexts(contexts: readonly AnchorContext[]): Contexts {
  const first = contexts[0];
  if (first === undefined || !contexts.every((c) => c.chainId === first.chainId && c.registry === first.registry && c.issuerId === first.issuerId)) return { each: [...contexts] };
  const { statusIndex: _, ...shared } = first;
  return { shared, statusIndices: contexts.map((c) => c.statusIndex) };
}

function contextAt(contexts: Contexts, i: number): AnchorContext {
  return "each" in contexts ? contexts.each[i]! : { ...contexts.shared, statusIndex: contexts.statusIndices[i]! };
}

function pack(prepared: readonly Prepared[]): PackedPrepared {
  const n = prepared.length;
  const saltEnds = new Uint32Array(n);
  let saltBytes = 0;
  prepared.forEach((p, k) => (saltEnds[k] = saltBytes += p.salts.length));
  const bytes = new Uint8Array(saltBytes + 64 * n);
  prepared.forEach((p, k) => {
    bytes.set(p.salts, k === 0 ? 0 : saltEnds[k - 1]!);
    bytes.set(p.digest, saltBytes + 64 * k);
    bytes.set(p.leaf, saltBytes + 64 * k + 32);
  });
  return { contents: prepared.map((p) => p.content), bytes, saltEnds, validFrom: Float64Array.from(prepared, (p) => p.validFrom), validUntil: Float64Array.from(prepared, (p) => p.validUntil) };
}

function unpack({ contents, bytes, saltEnds, validFrom, validUntil }: PackedPrepared): Prepared[] {
  const saltBytes = saltEnds.length === 0 ? 0 : saltEnds[saltEnds.length - 1]!;
  return contents.map((content, k) => ({
    content,
    salts: bytes.subarray(k === 0 ? 0 : saltEnds[k - 1]!, saltEnds[k]!),
    digest: bytes.subarray(saltBytes + 64 * k, saltBytes + 64 * k + 32),
    leaf: bytes.subarray(saltBytes + 64 * k + 32, saltBytes + 64 * k + 64),
    validFrom: validFrom[k]!,
    validUntil: validUntil[k]!,
  }));
}

function prepareAll(credentials: readonly unknown[], contexts: Contexts, offset = 0): Prepared[] {
  return credentials.map((credential, i) => {
    try {
      const p = prepareCredential(credential, contextAt(contexts, i));
      // The stored text and the leaf are made here too, off the main thread.
      return { content: JSON.stringify(credential), salts: p.salts, digest: p.digest, leaf: credentialLeaf(p.digest), validFrom: p.validFrom, validUntil: p.validUntil };
    } catch (error) {
      if (error instanceof CredanchorError) (error as CredanchorError & { index?: number }).index = offset + i;
      throw error;
    }
  });
}

/**
 * Decodes and parses a submission's body and checks its credentials, as the main thread would;
 * undefined when the body is anything but `{"credentials":[…]}` in UTF-8 strict JSON (the main
 * thread then parses it again and answers with its usual error).
 */
function parseSubmission(job: { body: Uint8Array } & SubmissionParse): { parsed: ParsedSubmission; credentials: unknown[] } | undefined {
  let value: unknown;
  try {
    value = parseJson(new TextDecoder("utf-8", { fatal: true }).decode(job.body), job.jsonLimits);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value) || Object.keys(value).length !== 1 || !Array.isArray(value.credentials) || value.credentials.length === 0) return undefined;
  const submitted = value.credentials;
  if (submitted.length > job.maxPerRequest) return { parsed: { count: submitted.length, details: [], mismatches: [], idMacs: [] }, credentials: [] };
  const secret = Buffer.from(job.secret);
  let requestMac: Uint8Array | undefined;
  if (job.keyed) {
    try {
      requestMac = createHmac("sha256", secret).update(canonicalize(submitted, job.macLimits)).digest();
    } catch {
      return undefined;
    }
  }
  const { credentials, details, mismatches } = checkSubmission(submitted, job.identity);
  const idMacs = details.length + mismatches.length > 0 ? [] : credentials.map((c) => credentialIdMac(secret, job.issuerId, c) ?? null);
  return { parsed: { count: submitted.length, ...(requestMac ? { requestMac } : {}), details, mismatches, idMacs }, credentials };
}

function errorReply(id: number, error: unknown): Reply {
  const e = error as CredanchorError & { index?: number };
  return { id, error: { shortMessage: e.shortMessage ?? e.message, code: e.code ?? "INTERNAL", details: [...(e.details ?? [])], index: e.index ?? 0 } };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  // Parsed submissions' credentials, by parse job id, until the main thread releases them.
  const held = new Map<number, unknown[]>();
  const sendPrepared = (id: number, prepared: Prepared[]) => {
    const packed = pack(prepared);
    port.postMessage({ id, prepared: packed } satisfies Reply, [packed.bytes.buffer as ArrayBuffer]);
  };
  port.on("message", (job: Job) => {
    if (job.kind === "release") {
      held.delete(job.heldId);
      return;
    }
    try {
      if (job.kind === "prepare") sendPrepared(job.id, prepareAll(job.credentials, job.contexts));
      else if (job.kind === "prepareHeld") {
        const credentials = held.get(job.heldId)!;
        sendPrepared(job.id, prepareAll(job.positions.map((p) => credentials[p]), job.contexts));
      } else {
        const result = parseSubmission(job);
        if (!result) port.postMessage({ id: job.id, fallback: true } satisfies Reply);
        else {
          if (result.parsed.details.length + result.parsed.mismatches.length === 0 && result.credentials.length > 0) held.set(job.id, result.credentials);
          port.postMessage({ id: job.id, parsed: result.parsed } satisfies Reply);
        }
      }
    } catch (error) {
      if (job.kind === "parse") port.postMessage({ id: job.id, fallback: true } satisfies Reply);
      else port.postMessage(errorReply(job.id, error));
    }
  });
}

/** A submission parsed on a worker: what it says, and its credentials held there until `release`. */
export type HeldSubmission = ParsedSubmission & {
  /** Prepares the held credentials at `positions` (request order), each with its context. */
  prepare(positions: readonly number[], contexts: readonly AnchorContext[]): Promise<Prepared[]>;
  /** Lets the worker forget the credentials (call once, whatever happened). */
  release(): void;
};

type Entry = { worker: Worker; busy: number };

/** The error a worker reported while preparing, as the main thread would have thrown it. */
function preparationError(reply: NonNullable<Reply["error"]>, offset: number): ValidationError {
  const { shortMessage, code, details, index } = reply;
  const prefixed = details.map((d) => ({ path: `credentials[${offset + index}]${d.path ? "." + d.path : ""}`, message: d.message }));
  return new ValidationError(`credentials[${offset + index}] cannot be prepared: ${shortMessage}`, {
    code: "CREDENTIAL_INVALID",
    details: prefixed.length ? prefixed : [{ path: `credentials[${offset + index}]`, message: `${code}: ${shortMessage}` }],
  });
}

/**
 * A small pool of worker threads running `prepareCredential` (and, for large bodies, the strict
 * parse and checks of a whole submission). Requests below `inlineBelow` credentials are
 * prepared on the calling thread (a round trip to a worker costs more). The threads start with
 * the first job that needs them: loading the preparation code costs each about a second of CPU,
 * which a service that only ever receives small requests never needs to pay.
 *
 * @example
 * const pool = new PreparePool();
 * const prepared = await pool.prepare(credentials, contexts);
 * await pool.close();
 */
export class PreparePool {
  readonly #workers: Entry[] = [];
  readonly #pending = new Map<number, { entry: Entry; settle: (reply: Reply) => void; reject: (e: Error) => void }>();
  readonly #inlineBelow: number;
  /** Threads to start on first use; 0 once closed. */
  #threads: number;
  #next = 1;

  constructor({ threads = Math.min(4, availableParallelism()), inlineBelow = 64 }: { threads?: number; inlineBelow?: number } = {}) {
    this.#inlineBelow = inlineBelow;
    this.#threads = threads;
  }

  /** The workers, started now if this is the first job for them. */
  #started(): Entry[] {
    while (this.#workers.length < this.#threads) {
      const worker = new Worker(new URL(import.meta.url));
      worker.unref();
      const entry = { worker, busy: 0 };
      worker.on("message", (reply: Reply) => {
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#pending.delete(reply.id);
        entry.busy--;
        pending.settle(reply);
      });
      worker.on("error", (error) => {
        for (const [id, p] of this.#pending) {
          if (p.entry !== entry) continue;
          this.#pending.delete(id);
          p.reject(error);
        }
      });
      this.#workers.push(entry);
    }
    return this.#workers;
  }

  /**
   * Starts the threads now rather than with the first job that needs them (a long-running service:
   * its first large request does not wait for them, nor pays their start-up).
   *
   * @example
   * const pool = new PreparePool().start();
   */
  start(): this {
    this.#started();
    return this;
  }

  /** Whether worker threads run, or start with the first large job (else everything is done on the calling thread). */
  get threaded(): boolean {
    return this.#threads > 0;
  }

  /** Sends a job to `entry` (default: the least busy worker), moving `transfer`; `settle` turns the reply into the result. */
  #send<T>(job: Exclude<Job, { kind: "release" }>, settle: (reply: Reply) => T, entry = this.#leastBusy(), transfer: ArrayBuffer[] = []): Promise<T> {
    entry.busy++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(job.id, {
        entry,
        reject,
        settle: (reply) => {
          try {
            resolve(settle(reply));
          } catch (error) {
            reject(error as Error);
          }
        },
      });
      entry.worker.postMessage(job, transfer);
    });
  }

  #leastBusy(): Entry {
    return this.#started().reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  /** Prepares every credential with its context, split across the workers. */
  async prepare(credentials: readonly unknown[], contexts: readonly AnchorContext[]): Promise<Prepared[]> {
    if (credentials.length < this.#inlineBelow || this.#threads === 0) {
      try {
        return prepareAll(credentials, { each: [...contexts] });
      } catch (error) {
        const e = error as CredanchorError & { index?: number };
        if (!(e instanceof CredanchorError)) throw e;
        const path = `credentials[${e.index ?? 0}]`;
        throw new ValidationError(`${path} cannot be prepared: ${e.shortMessage}`, {
          code: "CREDENTIAL_INVALID",
          details: e.details.length ? e.details.map((d) => ({ path: `${path}${d.path ? "." + d.path : ""}`, message: d.message })) : [{ path, message: e.shortMessage }],
        });
      }
    }
    const parts = this.#started().length;
    const size = Math.ceil(credentials.length / parts);
    const chunks = await Promise.all(
      Array.from({ length: parts }, (_, k) => {
        const start = k * size;
        if (start >= credentials.length) return Promise.resolve<Prepared[]>([]);
        const job = { kind: "prepare" as const, id: this.#next++, credentials: credentials.slice(start, start + size), contexts: packContexts(contexts.slice(start, start + size)) };
        return this.#send(job, (reply) => {
          if (reply.error) throw preparationError(reply.error, start);
          return unpack(reply.prepared!);
        });
      }),
    );
    return chunks.flat();
  }

  /**
   * Decodes, parses and checks a submission's JSON body on one worker (strict parse, validation, issuer
   * identity, MACs), keeping its credentials there for `prepare`. Undefined without workers or
   * when the body is not a well-formed `{"credentials":[…]}`: the caller takes the main-thread path.
   *
   * @example
   * const held = await pool.parseSubmission(body, { issuerId: 1, identity, secret, keyed: false, maxPerRequest: 10_000, jsonLimits, macLimits });
   * try { … await held.prepare(positions, contexts) … } finally { held?.release(); }
   */
  async parseSubmission(body: Uint8Array, options: SubmissionParse): Promise<HeldSubmission | undefined> {
    if (this.#threads === 0) return undefined;
    const entry = this.#leastBusy();
    const heldId = this.#next++;
    // A copy of the body moves to the worker: cloning a byte array through postMessage costs about
    // ten times a copy here (measured: 5–7 µs vs 0.7 µs per credential), and the caller keeps the
    // body for its own parse when the worker declines.
    const sent = new Uint8Array(body);
    const parsed = await this.#send({ kind: "parse", id: heldId, body: sent, ...options }, (reply) => reply.parsed, entry, [sent.buffer]);
    if (!parsed) return undefined;
    let released = false;
    return {
      ...parsed,
      prepare: (positions, contexts) =>
        this.#send({ kind: "prepareHeld", id: this.#next++, heldId, positions: [...positions], contexts: packContexts(contexts) }, (reply) => {
          if (reply.error) throw preparationError(reply.error, 0);
          return unpack(reply.prepared!);
        }, entry),
      release: () => {
        if (released) return;
        released = true;
        entry.worker.postMessage({ kind: "release", heldId } satisfies Job);
      },
    };
  }

  async close(): Promise<void> {
    this.#threads = 0;
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
    this.#workers.length = 0;
  }
}
