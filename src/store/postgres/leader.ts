// Leader election among replicas sharing one PostgreSQL database: one anchoring leader per
// (chain, signer), held as a session advisory lock on a connection kept for the leader's life.
import { createHash } from "node:crypto";
import pg from "pg";

export type LeaderElectionOptions = {
  connectionString: string;
  chainId: number;
  /** The signer's address (any case). */
  signer: string;
  /** How often a follower tries the lock and the leader checks its connection (default 1000 ms). */
  retryMs?: number;
  /** Called when this process becomes the leader (true) or stops being it (false). */
  onChange?: (leading: boolean) => void;
  log?: (level: "info" | "warn", message: string, fields?: Record<string, unknown>) => void;
};

export type LeaderElection = {
  /** Whether this process holds the lock now. */
  readonly leading: boolean;
  /** The lock key (a signed 64-bit integer, as `pg_locks` shows it split in classid/objid). */
  readonly key: bigint;
  /** Gives up the lock (closes its connection) and stops trying. */
  stop(): Promise<void>;
};

/**
 * The advisory lock key of the anchoring leader of `signer` on chain `chainId`: the first 8
 * bytes of a SHA-256 of both, as PostgreSQL's signed bigint. The same on every replica.
 *
 * @example
 * leaderLockKey(31337, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"); // -> a bigint
 */
export function leaderLockKey(chainId: number, signer: string): bigint {
  const digest = createHash("sha256").update(`credanchor anchoring leader\0${chainId}\0${signer.toLowerCase()}`).digest();
  return digest.readBigInt64BE(0);
}

/**
 * Joins the election for (chainId, signer): tries `pg_try_advisory_lock` every `retryMs` on a
 * dedicated connection until it holds it, then keeps that connection (and so the lock) until
 * `stop()` or until the connection fails. PostgreSQL releases a session lock when its session
 * ends, so when the leader's process dies another replica takes over within about `retryMs`.
 * A leader that loses its connection steps down at once (`onChange(false)`), before anything
 * else: the lock may already be someone else's.
 *
 * @example
 * const election = startLeaderElection({ connectionString: process.env.DATABASE_URL!, chainId: 31337, signer,
 *   onChange: (leading) => (leading ? pipeline.start() : void pipeline.stop()) });
 * // ... at shutdown:
 * await election.stop();
 */
export function startLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const key = leaderLockKey(options.chainId, options.signer);
  const retryMs = options.retryMs ?? 1_000;
  let leading = false;
  let stopped = false;
  let client: pg.Client | undefined;
  let wake: (() => void) | undefined;

  const setLeading = (value: boolean) => {
    if (leading === value) return;
    leading = value;
    options.log?.(value ? "info" : "warn", value ? "became the anchoring leader" : "no longer the anchoring leader", { chainId: options.chainId, signer: options.signer });
    options.onChange?.(value);
  };
  const drop = (current: pg.Client) => {
    if (client !== current) return;
    client = undefined;
    setLeading(false);
    current.end().catch(() => {});
  };

  const round = async () => {
    if (!client) {
      const fresh = new pg.Client({ connectionString: options.connectionString, keepAlive: true, connectionTimeoutMillis: 5_000 });
      fresh.on("error", () => drop(fresh));
      fresh.on("end", () => drop(fresh));
      client = fresh;
      await fresh.connect();
    }
    const current = client;
    if (leading) {
      // The lock lives as long as this session: prove the session is still there.
      await current.query("SELECT 1");
    } else {
      const result = await current.query<{ got: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS got", [key.toString()]);
      if (!stopped && client === current && result.rows[0]?.got) setLeading(true);
    }
  };

  let lastError: string | undefined;
  const loop = (async () => {
    while (!stopped) {
      const current = client;
      try {
        await round();
        lastError = undefined;
      } catch (error) {
        // Logged once per distinct failure, not every retry of an outage.
        const message = (error as Error).message;
        if (message !== lastError) options.log?.("warn", "leader election: database connection failed; retrying", { error: message });
        lastError = message;
        if (client) drop(client);
        else if (current) drop(current);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  return {
    get leading() {
      return leading;
    },
    key,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      const current = client;
      client = undefined;
      setLeading(false);
      // Closing the session releases the lock (an explicit unlock would need a live session anyway).
      await current?.end().catch(() => {});
    },
  };
}

export type AnchoringLeaderOptions = Omit<LeaderElectionOptions, "signer"> & {
  /** Every signer address this process holds. */
  signers: readonly string[];
};

/**
 * The election of a process holding several signer keys: it leads (its pipeline runs) when it
 * holds the lock of every one of them. The locks are taken in one fixed order (by key), each
 * tried only while the ones before it are held, so replicas holding the same keys never split
 * them (each holding some, none leading). `onChange` says when the whole set is won or lost.
 *
 * @example
 * const leader = startAnchoringLeader({ connectionString, chainId: 31337, signers: [a.address, b.address],
 *   onChange: (leading) => console.log(leading ? "anchoring here" : "accepting only") });
 */
export function startAnchoringLeader(options: AnchoringLeaderOptions): LeaderElection & { readonly keys: readonly bigint[] } {
  const order = [...new Set(options.signers.map((s) => s.toLowerCase()))].sort((a, b) => (leaderLockKey(options.chainId, a) < leaderLockKey(options.chainId, b) ? -1 : 1));
  const elections: (LeaderElection | undefined)[] = order.map(() => undefined);
  let leading = false;
  let changes = Promise.resolve();
  const report = () => {
    const now = elections.every((e) => e?.leading === true);
    if (now === leading) return;
    leading = now;
    options.onChange?.(now);
  };
  // Election k+1 runs only while election k leads; losing k stops every later one (their locks go).
  const changed = (k: number, won: boolean, from: { election?: LeaderElection }) => {
    changes = changes.then(async () => {
      if (elections[k] !== from.election) return; // a stopped election's last word
      if (won && k + 1 < order.length && !elections[k + 1]) elections[k + 1] = join(k + 1);
      if (!won) {
        for (let j = order.length - 1; j > k; j--) {
          const later = elections[j];
          elections[j] = undefined;
          await later?.stop();
        }
      }
      report();
    });
  };
  const join = (k: number) => {
    const self: { election?: LeaderElection } = {};
    self.election = startLeaderElection({ ...options, signer: order[k]!, onChange: (won) => changed(k, won, self) });
    return self.election;
  };
  elections[0] = join(0);
  return {
    get leading() {
      return leading;
    },
    key: elections[0]!.key,
    keys: order.map((s) => leaderLockKey(options.chainId, s)),
    async stop() {
      await changes;
      for (let j = order.length - 1; j >= 0; j--) await elections[j]?.stop();
      await changes;
      report();
    },
  };
}
