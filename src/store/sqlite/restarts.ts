// When the store's helper threads (the connection's, the checkpointer's) are started again after
// dying: at once, then backing off, and no more once they die again and again without doing any
// work in between (a thread that dies as it starts must not spin).

/** What the store reports to the operator (the service passes its logger's levels). */
export type StoreLog = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

/** Waits before the 1st, 2nd, … restart in a row; past the end the thread is given up on. */
export const RESTART_DELAYS_MS: readonly number[] = [0, 100, 1_000, 5_000, 30_000];

/**
 * Counts a thread's deaths in a row: `died()` gives the wait before the next start (undefined:
 * give up), `worked()` (the thread answered) starts the count again.
 *
 * @example
 * const restarts = new Restarts([0, 100]);
 * restarts.died(); // 0
 * restarts.died(); // 100
 * restarts.died(); // undefined: give up
 */
export class Restarts {
  readonly #delaysMs: readonly number[];
  #inARow = 0;

  constructor(delaysMs: readonly number[] = RESTART_DELAYS_MS) {
    this.#delaysMs = delaysMs;
  }

  /** Deaths since the thread last did any work. */
  get inARow(): number {
    return this.#inARow;
  }

  died(): number | undefined {
    return this.#delaysMs[this.#inARow++];
  }

  worked(): void {
    this.#inARow = 0;
  }
}
