// Salting and hashing on worker threads, so accepting a large request uses every core and the
// main thread stays free to parse the next one. The same prepareCredential as everywhere.
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort } from "node:worker_threads";
import type { AnchorContext } from "../core/digest.ts";
import { CredanchorError, ValidationError, type ErrorDetail } from "../core/errors.ts";
import { credentialLeaf } from "../core/leaf.ts";
import { prepareCredential } from "../core/prepare.ts";

/** What the service stores per credential (field hashes are not kept: salts and content recompute them). */
export type Prepared = { content: string; salts: Uint8Array; digest: Uint8Array; leaf: Uint8Array; validFrom: number; validUntil: number };

type Job = { id: number; credentials: unknown[]; contexts: AnchorContext[] };
type Reply = { id: number; prepared?: Prepared[]; error?: { shortMessage: string; code: string; details: ErrorDetail[]; index: number } };

function prepareAll(credentials: readonly unknown[], contexts: readonly AnchorContext[], offset = 0): Prepared[] {
  return credentials.map((credential, i) => {
    try {
      const p = prepareCredential(credential, contexts[i]!);
      // The stored text and the leaf are made here too, off the main thread.
      return { content: JSON.stringify(credential), salts: p.salts, digest: p.digest, leaf: credentialLeaf(p.digest), validFrom: p.validFrom, validUntil: p.validUntil };
    } catch (error) {
      if (error instanceof CredanchorError) (error as CredanchorError & { index?: number }).index = offset + i;
      throw error;
    }
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on("message", (job: Job) => {
    try {
      const prepared = prepareAll(job.credentials, job.contexts);
      port.postMessage({ id: job.id, prepared } satisfies Reply, prepared.flatMap((p) => [p.salts.buffer, p.digest.buffer, p.leaf.buffer]) as ArrayBuffer[]);
    } catch (error) {
      const e = error as CredanchorError & { index?: number };
      port.postMessage({ id: job.id, error: { shortMessage: e.shortMessage ?? e.message, code: e.code ?? "INTERNAL", details: [...(e.details ?? [])], index: e.index ?? 0 } } satisfies Reply);
    }
  });
}

/**
 * A small pool of worker threads running `prepareCredential`. Requests below `inlineBelow`
 * credentials are prepared on the calling thread (a round trip to a worker costs more).
 *
 * @example
 * const pool = new PreparePool();
 * const prepared = await pool.prepare(credentials, contexts);
 * await pool.close();
 */
export class PreparePool {
  readonly #workers: { worker: Worker; busy: number }[] = [];
  readonly #pending = new Map<number, { resolve: (p: Prepared[]) => void; reject: (e: Error) => void; offset: number }>();
  readonly #inlineBelow: number;
  #next = 1;

  constructor({ threads = Math.min(4, availableParallelism()), inlineBelow = 64 }: { threads?: number; inlineBelow?: number } = {}) {
    this.#inlineBelow = inlineBelow;
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(new URL(import.meta.url));
      worker.unref();
      const entry = { worker, busy: 0 };
      worker.on("message", (reply: Reply) => {
        const pending = this.#pending.get(reply.id);
        if (!pending) return;
        this.#pending.delete(reply.id);
        entry.busy--;
        if (reply.prepared) pending.resolve(reply.prepared);
        else {
          const { shortMessage, code, details, index } = reply.error!;
          const prefixed = details.map((d) => ({ path: `credentials[${pending.offset + index}]${d.path ? "." + d.path : ""}`, message: d.message }));
          pending.reject(
            new ValidationError(`credentials[${pending.offset + index}] cannot be prepared: ${shortMessage}`, {
              code: "CREDENTIAL_INVALID",
              details: prefixed.length ? prefixed : [{ path: `credentials[${pending.offset + index}]`, message: `${code}: ${shortMessage}` }],
            }),
          );
        }
      });
      worker.on("error", (error) => {
        for (const [id, p] of this.#pending) {
          this.#pending.delete(id);
          p.reject(error);
        }
      });
      this.#workers.push(entry);
    }
  }

  /** Prepares every credential with its context, split across the workers. */
  async prepare(credentials: readonly unknown[], contexts: readonly AnchorContext[]): Promise<Prepared[]> {
    if (credentials.length < this.#inlineBelow || this.#workers.length === 0) {
      try {
        return prepareAll(credentials, contexts);
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
    const parts = this.#workers.length;
    const size = Math.ceil(credentials.length / parts);
    const chunks = await Promise.all(
      Array.from({ length: parts }, (_, k) => {
        const start = k * size;
        if (start >= credentials.length) return Promise.resolve<Prepared[]>([]);
        const entry = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a));
        entry.busy++;
        const id = this.#next++;
        return new Promise<Prepared[]>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject, offset: start });
          entry.worker.postMessage({ id, credentials: credentials.slice(start, start + size), contexts: contexts.slice(start, start + size) } satisfies Job);
        });
      }),
    );
    return chunks.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
    this.#workers.length = 0;
  }
}
