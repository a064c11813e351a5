// Every SQLite repository over one connection (the store's, on whichever thread it lives).
import type { Repositories } from "../types.ts";
import { sqliteApiKeys, sqliteAudit, sqliteCounts, sqliteIdempotency, sqliteIssuers, sqliteMeta } from "./admin.ts";
import { sqliteCredentialIds, sqliteCredentials, sqliteSignedCredentials } from "./credentials.ts";
import type { Db } from "./database.ts";
import { sqliteBatches, sqliteOutbox, sqliteStatusChanges, sqliteWebhooks } from "./pipeline.ts";
import { sqliteRegistries } from "./registries.ts";
import { sqliteShareLinks } from "./share-links.ts";

/**
 * The repositories of the SQLite store, their statements prepared on `db`.
 *
 * @example
 * const { credentials } = repositoriesOf(openDatabase(":memory:"));
 */
export function repositoriesOf(db: Db): Repositories {
  return {
    meta: sqliteMeta(db),
    issuers: sqliteIssuers(db),
    credentials: sqliteCredentials(db),
    credentialIds: sqliteCredentialIds(db),
    signedCredentials: sqliteSignedCredentials(db),
    batches: sqliteBatches(db),
    statusChanges: sqliteStatusChanges(db),
    outbox: sqliteOutbox(db),
    webhooks: sqliteWebhooks(db),
    apiKeys: sqliteApiKeys(db),
    idempotency: sqliteIdempotency(db),
    audit: sqliteAudit(db),
    stats: sqliteCounts(db),
    shareLinks: sqliteShareLinks(db),
    registries: sqliteRegistries(db),
  };
}
