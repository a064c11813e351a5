// The PostgreSQL store: a connection pool for single steps, and SERIALIZABLE transactions on one
// pooled client each, run again from the start when PostgreSQL reports a serialisation conflict.
import type pg from "pg";
import type { Repositories, Store } from "../types.ts";
import { postgresApiKeys, postgresAudit, postgresCounts, postgresIdempotency, postgresIssuers, postgresMeta } from "./admin.ts";
import { postgresCredentialIds, postgresCredentials, postgresSignedCredentials } from "./credentials.ts";
import { migratePostgres } from "./migrations.ts";
import { postgresBatches, postgresOutbox, postgresStatusChanges, postgresWebhooks } from "./pipeline.ts";
import { postgresShareLinks } from "./share-links.ts";
import { postgresRegistries } from "./registries.ts";
import { createPool, isSerializationFailure, sqlOf, storageError, type Sql } from "./sql.ts";

/** Attempts of one transaction before a serialisation conflict is given up on (it is then a 503). */
const MAX_ATTEMPTS = 20;

function repositoriesOf(sql: Sql): Repositories {
  return {
    meta: postgresMeta(sql),
    issuers: postgresIssuers(sql),
    credentials: postgresCredentials(sql),
    credentialIds: postgresCredentialIds(sql),
    signedCredentials: postgresSignedCredentials(sql),
    batches: postgresBatches(sql),
    statusChanges: postgresStatusChanges(sql),
    outbox: postgresOutbox(sql),
    webhooks: postgresWebhooks(sql),
    apiKeys: postgresApiKeys(sql),
    idempotency: postgresIdempotency(sql),
    audit: postgresAudit(sql),
    stats: postgresCounts(sql),
    shareLinks: postgresShareLinks(sql),
    registries: postgresRegistries(sql),
  };
}

/** The PostgreSQL implementation of {@link Store}; `pool` is its connection pool (tests read it). */
export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  readonly soleWriter = false;
  readonly directory = undefined;
  readonly pool: pg.Pool;
  readonly meta: Repositories["meta"];
  readonly issuers: Repositories["issuers"];
  readonly credentials: Repositories["credentials"];
  readonly credentialIds: Repositories["credentialIds"];
  readonly signedCredentials: Repositories["signedCredentials"];
  readonly batches: Repositories["batches"];
  readonly statusChanges: Repositories["statusChanges"];
  readonly outbox: Repositories["outbox"];
  readonly webhooks: Repositories["webhooks"];
  readonly apiKeys: Repositories["apiKeys"];
  readonly idempotency: Repositories["idempotency"];
  readonly audit: Repositories["audit"];
  readonly stats: Repositories["stats"];
  readonly shareLinks: Repositories["shareLinks"];
  readonly registries: Repositories["registries"];

  constructor(pool: pg.Pool) {
    this.pool = pool;
    // Outside a transaction each method is one statement (autocommit): atomic on its own.
    const run = sqlOf(pool);
    const outside: Sql = async (text, values) => {
      try {
        return await run(text, values);
      } catch (error) {
        throw storageError(error);
      }
    };
    const r = repositoriesOf(outside);
    this.meta = r.meta;
    this.issuers = r.issuers;
    this.credentials = r.credentials;
    this.credentialIds = r.credentialIds;
    this.signedCredentials = r.signedCredentials;
    this.batches = r.batches;
    this.statusChanges = r.statusChanges;
    this.outbox = r.outbox;
    this.webhooks = r.webhooks;
    this.apiKeys = r.apiKeys;
    this.idempotency = r.idempotency;
    this.audit = r.audit;
    this.stats = r.stats;
    this.shareLinks = r.shareLinks;
    this.registries = r.registries;
  }

  async transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect().catch((error: unknown) => Promise.reject(storageError(error)));
      let broken = false;
      try {
        await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
        const result = await fn(repositoriesOf(sqlOf(client)));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => (broken = true));
        if (!isSerializationFailure(error) || attempt >= MAX_ATTEMPTS) throw storageError(error);
      } finally {
        client.release(broken);
      }
      // Another transaction won the conflict: back off a little (randomly, so the losers spread out).
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 2 ** attempt)));
    }
  }

  async afterErasure(): Promise<boolean> {
    // PostgreSQL keeps an erased value in the dead row version until VACUUM frees it (and in WAL
    // segments until they are recycled): free the space now. It is not zeroed (docs/threat-model.md).
    try {
      await this.pool.query("VACUUM credentials, credential_texts, signed_credentials, credential_id_macs, idempotency, share_links");
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Opens the PostgreSQL store at `connectionString` (`postgres://user:password@host:5432/db`) and
 * brings its schema up to date; several replicas may open the same database at once.
 *
 * @throws ServiceError `STORAGE_UNAVAILABLE` when the server cannot be reached.
 *
 * @example
 * const store = await openPostgresStore(process.env.DATABASE_URL!);
 * console.log(await store.meta.get("chainId"));
 */
export async function openPostgresStore(connectionString: string, options: { maxConnections?: number } = {}): Promise<PostgresStore> {
  const pool = createPool(connectionString, options.maxConnections);
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw storageError(error);
  }
  return new PostgresStore(pool);
}
