// Storage outcomes the use cases act on, whichever store raised them.
import { ServiceError } from "../core/errors.ts";

/**
 * A status index was stored by another replica at the same moment (each replica draws indices
 * from its own in-memory view of the list): nothing of the request was stored. The submission
 * learns the taken indices and draws again; if it keeps happening the client hears 503 and retries.
 */
export class StatusIndexTakenError extends ServiceError {
  override name = "StatusIndexTakenError";

  constructor(cause?: unknown) {
    super("a status index was taken by another replica at the same time; nothing was stored, retry", { code: "STORAGE_UNAVAILABLE", cause });
  }
}
