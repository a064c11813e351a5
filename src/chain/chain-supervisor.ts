// Keeps the local chain this process started running: restarts it (from its state file) when it
// dies, a bounded number of times, and says so; gives up with a message saying what to do.
import type { LocalNode } from "./local-node.ts";

export type SupervisorEvent = {
  /** `notice`: something the operator should know that is not a restart (a broken state file set aside). */
  kind: "exited" | "restarted" | "gave-up" | "notice";
  message: string;
  /** For "restarted": the chain's head after the restart, and how long it was down. */
  head?: number;
  downMs?: number;
};

export type SupervisorOptions = {
  /** Starts the chain (again): the same port and state file each time. */
  start: () => Promise<LocalNode>;
  /** What the chain is restored from, for messages (e.g. "data/chain-state.json"). */
  restoredFrom: string;
  /** Restarts allowed within `windowMs` before giving up (a chain that keeps dying is not fixed by restarting it). */
  maxRestarts?: number;
  windowMs?: number;
  /** Pause before restart attempt k is k × this. */
  retryDelayMs?: number;
  onEvent: (event: SupervisorEvent) => void;
  now?: () => number;
};

export type SupervisedChain = {
  readonly url: string;
  /** Why the chain is down for good (restarts exhausted), or `undefined` while it is supervised. */
  readonly failure: string | undefined;
  /** The node running now. */
  readonly node: LocalNode;
  /** Stops supervising and stops the chain (it writes its state file on the way out). */
  stop(): Promise<void>;
};

async function headOf(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    return Number(((await response.json()) as { result: string }).result);
  } catch {
    return undefined;
  }
}

/**
 * Starts the chain and restarts it whenever its process exits unexpectedly: at most `maxRestarts`
 * times within `windowMs`, each attempt after a growing pause. Events say what happened.
 *
 * @example
 * const chain = await superviseChain({ start: () => startAnvil({ port, statePath }), restoredFrom: statePath, onEvent: (e) => console.log(e.message) });
 * ...
 * await chain.stop();
 */
export async function superviseChain(options: SupervisorOptions): Promise<SupervisedChain> {
  const { start, restoredFrom, maxRestarts = 5, windowMs = 600_000, retryDelayMs = 1_000, onEvent } = options;
  const now = options.now ?? Date.now;
  let node = await start();
  let stopping = false;
  let failure: string | undefined;
  let restarting: Promise<void> | undefined;
  const restarts: number[] = [];

  const restart = async (how: string) => {
    const downAt = now();
    const pid = node.process.pid;
    let lastError = "";
    for (let attempt = 1; !stopping; attempt++) {
      while (restarts.length > 0 && downAt - restarts[0]! > windowMs) restarts.shift();
      if (restarts.length >= maxRestarts) break;
      restarts.push(now());
      onEvent({
        kind: "exited",
        message: `the local chain (anvil, pid ${pid}) ${how}; restarting it from ${restoredFrom} (restart ${restarts.length} of ${maxRestarts} allowed in ${windowMs / 60_000} min)`,
      });
      await new Promise((r) => setTimeout(r, retryDelayMs * attempt));
      if (stopping) return;
      try {
        node = await start();
      } catch (error) {
        lastError = (error as Error).message;
        how = `could not be started again (${lastError.split("\n")[0]})`;
        continue;
      }
      if (stopping) return void (await node.stop());
      watch(node);
      const head = await headOf(node.url);
      const downMs = now() - downAt;
      onEvent({
        kind: "restarted",
        head,
        downMs,
        message:
          `the local chain is back at block ${head ?? "?"} after ${(downMs / 1000).toFixed(1)} s, restored from ${restoredFrom}; ` +
          "blocks mined after its last state dump, if any, are gone (anything of ours in them is sent again)",
      } as SupervisorEvent);
      return;
    }
    if (stopping) return;
    failure =
      `the local chain died and was restarted ${restarts.length} times in ${windowMs / 60_000} min; not restarting it again` +
      (lastError ? ` (last error: ${lastError.split("\n")[0]})` : "") +
      `. Accepted credentials stay queued. Stop credanchor (Ctrl-C), check ${restoredFrom} and the disk, then run npm start again`;
    onEvent({ kind: "gave-up", message: failure });
  };

  const watch = (child: LocalNode) => {
    child.process.once("exit", (code, signal) => {
      if (stopping || child !== node) return;
      restarting = restart(signal ? `was killed (${signal})` : `exited with code ${code}`).finally(() => (restarting = undefined));
    });
  };
  watch(node);

  return {
    get url() {
      return node.url;
    },
    get failure() {
      return failure;
    },
    get node() {
      return node;
    },
    stop: async () => {
      stopping = true;
      await restarting;
      await node.stop();
    },
  };
}
