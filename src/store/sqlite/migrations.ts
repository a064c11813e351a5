// The SQLite schema and its migrations: every table the stores implement, column by column.
import type Database from "better-sqlite3";

/**
 * Schema migrations, applied in order; `PRAGMA user_version` is the number applied. Never edit
 * a released one: add the next. Every state of the pipeline is a row, so a restart resumes it.
 */
export const MIGRATIONS: readonly string[] = [
  `
  -- Who the service anchors for: one row per on-chain issuer whose signer key it holds.
  CREATE TABLE issuers (
    id            INTEGER PRIMARY KEY,          -- the on-chain issuer id
    signer        TEXT NOT NULL,                -- the signer key's address (the key itself never lands here)
    list_size     INTEGER NOT NULL,             -- status indices are drawn from [0, list_size)
    webhook_url   TEXT,
    webhook_secret TEXT,
    created_at    INTEGER NOT NULL
  ) STRICT;

  -- API keys: only a SHA-256 of the secret is kept.
  CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,             -- public key id, part of the token
    issuer_id     INTEGER REFERENCES issuers(id), -- NULL: the operator (admin) key
    secret_hash   BLOB NOT NULL,
    label         TEXT,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
  ) STRICT;

  -- Every credential accepted, from the 202 on. Content and salts are erased on request (GDPR).
  CREATE TABLE credentials (
    seq           INTEGER PRIMARY KEY,          -- acceptance order: batches take the oldest first
    id            TEXT NOT NULL UNIQUE,
    issuer_id     INTEGER NOT NULL REFERENCES issuers(id),
    status_index  INTEGER NOT NULL,
    content       TEXT,                         -- the credential JSON as submitted (NULL once erased)
    salts         BLOB,                         -- 16 bytes per field (NULL once erased)
    digest        BLOB NOT NULL,
    leaf          BLOB NOT NULL,
    valid_from    INTEGER NOT NULL,
    valid_until   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    batch_id      INTEGER REFERENCES batches(id),
    leaf_index    INTEGER,
    proof         BLOB,                         -- sibling hashes, 32 bytes each
    revoked       INTEGER NOT NULL DEFAULT 0,   -- as confirmed on-chain by this service
    suspended     INTEGER NOT NULL DEFAULT 0,
    erased_at     INTEGER,
    UNIQUE (issuer_id, status_index)
  ) STRICT;
  CREATE INDEX credentials_queue ON credentials (issuer_id, seq) WHERE batch_id IS NULL;
  CREATE INDEX credentials_batch ON credentials (batch_id, leaf_index);

  -- A batch is built (tree + proofs stored) in the same transaction that claims its credentials.
  CREATE TABLE batches (
    id            INTEGER PRIMARY KEY,
    issuer_id     INTEGER NOT NULL REFERENCES issuers(id),
    root          BLOB NOT NULL UNIQUE,
    size          INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('built','sending','mined','confirmed')),
    tx_id         INTEGER REFERENCES chain_txs(id),
    root_revoked  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    mined_at      INTEGER,
    confirmed_at  INTEGER
  ) STRICT;
  CREATE INDEX batches_state ON batches (state);

  -- The outbox of chain transactions, sent one at a time per signer in id order.
  CREATE TABLE chain_txs (
    id            INTEGER PRIMARY KEY,
    signer        TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('anchor','status','revokeRoot')),
    ref_id        INTEGER NOT NULL,             -- batches.id or status_changes.id
    data          TEXT NOT NULL,                -- calldata to the registry
    state         TEXT NOT NULL CHECK (state IN ('queued','signed','sent','mined','confirmed')),
    nonce         INTEGER,
    tx_hash       TEXT,                         -- the attempt that was mined
    block_number  INTEGER,
    block_hash    TEXT,
    block_time    INTEGER,
    gas_used      TEXT,
    gas_price     TEXT,                         -- effective wei per gas
    errors        INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    not_before    INTEGER NOT NULL DEFAULT 0,   -- retry backoff (unix ms)
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX chain_txs_open ON chain_txs (signer, id) WHERE state <> 'confirmed';

  -- Every signed transaction, stored before it is broadcast: after a crash, one of these may be on-chain.
  CREATE TABLE tx_attempts (
    hash          TEXT PRIMARY KEY,
    tx_id         INTEGER NOT NULL REFERENCES chain_txs(id),
    nonce         INTEGER NOT NULL,
    raw           TEXT NOT NULL,
    max_fee       TEXT NOT NULL,
    priority_fee  TEXT NOT NULL,
    sent_at       INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX tx_attempts_tx ON tx_attempts (tx_id, sent_at);

  -- Revoke / suspend / reinstate requests (status bits) and whole-root revocations.
  CREATE TABLE status_changes (
    id            INTEGER PRIMARY KEY,
    issuer_id     INTEGER NOT NULL REFERENCES issuers(id),
    action        TEXT NOT NULL CHECK (action IN ('revoke','suspend','reinstate')),
    reason        INTEGER NOT NULL,
    indices       TEXT NOT NULL,                -- JSON array of status indices
    batch_id      INTEGER REFERENCES batches(id),
    state         TEXT NOT NULL CHECK (state IN ('pending','sending','mined','confirmed','failed')),
    tx_id         INTEGER REFERENCES chain_txs(id),
    error         TEXT,
    created_at    INTEGER NOT NULL
  ) STRICT;

  -- Idempotency-Key answers, per issuer.
  CREATE TABLE idempotency (
    issuer_id     INTEGER NOT NULL,
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    response      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (issuer_id, key)
  ) STRICT;

  -- Who did what that must be answerable later (erasures: the tombstones).
  CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    details       TEXT NOT NULL
  ) STRICT;

  -- Webhook deliveries, retried with backoff.
  CREATE TABLE webhook_deliveries (
    id            INTEGER PRIMARY KEY,
    issuer_id     INTEGER NOT NULL REFERENCES issuers(id),
    event         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL,
    delivered_at  INTEGER,
    last_error    TEXT,
    given_up      INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE INDEX webhook_due ON webhook_deliveries (next_at) WHERE delivered_at IS NULL AND given_up = 0;

  -- Facts about the deployment this file belongs to (chain id, registry): a file never switches chains.
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  `,
  `
  -- The outbox never wedges: a transaction that will always revert is closed with an outcome
  -- (it stops holding back the signer's later work), a batch whose root was taken is rebuilt.
  ALTER TABLE chain_txs ADD COLUMN outcome TEXT CHECK (outcome IN ('failed','done','superseded')); -- NULL while open
  ALTER TABLE chain_txs ADD COLUMN failure TEXT;           -- class of the final error (custom error name), for metrics
  ALTER TABLE chain_txs ADD COLUMN reverts INTEGER NOT NULL DEFAULT 0; -- mined reverts (each one cost a fee)
  CREATE INDEX chain_txs_ref ON chain_txs (kind, ref_id);
  ALTER TABLE batches ADD COLUMN failed_at INTEGER;        -- set: the anchor will never land (state shows "failed")
  ALTER TABLE batches ADD COLUMN error TEXT;
  ALTER TABLE batches ADD COLUMN padding BLOB;             -- random extra leaf digest added when the root had to change
  ALTER TABLE batches ADD COLUMN rebuilds INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- Idempotency keys, one namespace per kind of request (a submission and a revocation may use
  -- the same key), with a keyed MAC of the request (HMAC-SHA-256 under the server secret) instead
  -- of a plain SHA-256 a dictionary could match, and an age: rows expire. The old rows held such
  -- plain hashes of personal data, so they go (secure_delete zeroes their pages).
  DROP TABLE idempotency;
  CREATE TABLE idempotency (
    issuer_id     INTEGER NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('submit','status')),
    key           TEXT NOT NULL,
    request_mac   BLOB NOT NULL,                -- empty once a credential of the request was erased
    response      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (issuer_id, scope, key)
  ) STRICT;
  CREATE INDEX idempotency_age ON idempotency (created_at);

  -- API keys expire; an operator key may be limited to some issuers.
  ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;   -- unix ms; NULL: never
  ALTER TABLE api_keys ADD COLUMN issuer_scope TEXT;    -- operator keys: JSON array of issuer ids; NULL: every issuer
  `,
  `
  -- Credentials issued signed (POST /credentials/issue): the issuer's proof, kept apart from the
  -- content (which is the credential without proofs: what the anchor covers), and the VC's id.
  CREATE TABLE signed_credentials (
    credential_id TEXT PRIMARY KEY REFERENCES credentials(id),
    vc_id         TEXT NOT NULL,                 -- the credential's own "id" (a URL or URN)
    proof         TEXT NOT NULL                  -- JSON: the eddsa-rdfc-2022 DataIntegrityProof
  ) STRICT;
  CREATE INDEX signed_credentials_vc_id ON signed_credentials (vc_id);
  -- Erasing a credential erases its VC id too (it may be personal).
  CREATE TRIGGER signed_credentials_erase AFTER UPDATE OF erased_at ON credentials WHEN NEW.erased_at IS NOT NULL
  BEGIN DELETE FROM signed_credentials WHERE credential_id = NEW.id; END;
  `,
  `
  -- Re-submitting a credential whose own "id" the issuer already submitted returns the existing
  -- record (issue 14, F3). The id may be personal (urn:uuid of a student record, an email-like
  -- URL): only its keyed MAC is kept (HMAC-SHA-256 under the server secret), and the row goes
  -- when the credential is erased (the trigger: no code path can forget it).
  CREATE TABLE credential_id_macs (
    issuer_id     INTEGER NOT NULL,
    id_mac        BLOB NOT NULL,
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    PRIMARY KEY (issuer_id, id_mac)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX credential_id_macs_credential ON credential_id_macs (credential_id);
  CREATE TRIGGER credential_id_macs_erased AFTER UPDATE OF erased_at ON credentials WHEN NEW.erased_at IS NOT NULL
  BEGIN
    DELETE FROM credential_id_macs WHERE credential_id = NEW.id;
  END;
  `,
  `
  -- A signed credential's own "id" may be personal (a student record's URN): keep only its keyed
  -- MAC (HMAC-SHA-256 under the server secret, bound to the issuer, as credential_id_macs). The
  -- MAC needs the secret, which SQL has not: ids stored before this migration wait in
  -- legacy_vc_ids until the service seals them at start (sealLegacyVcIds), then that table is empty.
  CREATE TABLE signed_credentials_6 (
    credential_id TEXT PRIMARY KEY REFERENCES credentials(id),
    vc_id_mac     BLOB,                          -- NULL only until a legacy row is sealed
    proof         TEXT NOT NULL                  -- JSON: the eddsa-rdfc-2022 DataIntegrityProof
  ) STRICT;
  CREATE TABLE legacy_vc_ids (
    credential_id TEXT PRIMARY KEY REFERENCES credentials(id),
    vc_id         TEXT NOT NULL
  ) STRICT;
  INSERT INTO legacy_vc_ids (credential_id, vc_id) SELECT credential_id, vc_id FROM signed_credentials;
  INSERT INTO signed_credentials_6 (credential_id, proof) SELECT credential_id, proof FROM signed_credentials;
  DROP TRIGGER signed_credentials_erase;
  DROP TABLE signed_credentials;
  ALTER TABLE signed_credentials_6 RENAME TO signed_credentials;
  CREATE INDEX signed_credentials_vc_id_mac ON signed_credentials (vc_id_mac);
  -- Erasing a credential erases its proof row and any id still waiting to be sealed.
  CREATE TRIGGER signed_credentials_erased AFTER UPDATE OF erased_at ON credentials WHEN NEW.erased_at IS NOT NULL
  BEGIN
    DELETE FROM signed_credentials WHERE credential_id = NEW.id;
    DELETE FROM legacy_vc_ids WHERE credential_id = NEW.id;
  END;
  `,
  `
  -- Share links (issue 15): a holder-facing link per disclosure of a credential. Only a SHA-256
  -- of the link's secret is kept (a leaked database opens no link); the disclosed bundle (never
  -- the hidden values) is dropped when the link is revoked or expires, the row when the
  -- credential is erased (the trigger: no code path can forget it).
  CREATE TABLE share_links (
    id            TEXT PRIMARY KEY,              -- public id (16 hex), part of the token
    credential_id TEXT NOT NULL REFERENCES credentials(id),
    secret_hash   BLOB NOT NULL,                 -- SHA-256 of the token's secret
    bundle        TEXT,                          -- the disclosed bundle served; NULL once revoked or expired
    hidden        TEXT NOT NULL,                 -- JSON array of the hidden JSON pointers
    created_by    TEXT NOT NULL CHECK (created_by IN ('issuer','holder','pdf')),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,                       -- unix ms; NULL: never
    revoked_at    INTEGER
  ) STRICT;
  CREATE INDEX share_links_credential ON share_links (credential_id, created_at);
  CREATE INDEX share_links_expiry ON share_links (expires_at) WHERE bundle IS NOT NULL AND expires_at IS NOT NULL;
  -- The holder's key to a credential's links (no account: the issuer hands it over with the bundle).
  CREATE TABLE holder_keys (
    credential_id TEXT PRIMARY KEY REFERENCES credentials(id),
    secret_hash   BLOB NOT NULL,                 -- SHA-256 of the key's secret
    created_at    INTEGER NOT NULL
  ) STRICT;
  CREATE TRIGGER share_links_erased AFTER UPDATE OF erased_at ON credentials WHEN NEW.erased_at IS NOT NULL
  BEGIN
    DELETE FROM share_links WHERE credential_id = NEW.id;
    DELETE FROM holder_keys WHERE credential_id = NEW.id;
  END;
  `,
  `
  -- Migration 8 (7 is the share links'; issue 14, F9 and F11). Registry upgrades: each batch and
  -- chain transaction remembers its registry (NULL: the current one, meta 'registry'), the
  -- registries table is the upgrade history. Restore reconciliation: anchors found on-chain that
  -- a restored backup did not know become batches of unknown content, and a per-issuer floor
  -- keeps new status indices above every index those lost credentials may hold.
  CREATE TABLE registries (
    address       TEXT PRIMARY KEY,             -- lower case
    since         INTEGER NOT NULL,             -- unix ms (0: from the database's start)
    until         INTEGER                       -- NULL: the current registry
  ) STRICT;
  ALTER TABLE batches ADD COLUMN registry TEXT;                          -- lower case; NULL: the current registry
  ALTER TABLE batches ADD COLUMN reconciled INTEGER NOT NULL DEFAULT 0;  -- 1: known from the chain only
  ALTER TABLE chain_txs ADD COLUMN target TEXT;                          -- the registry called; NULL: the current one
  ALTER TABLE issuers ADD COLUMN index_floor INTEGER NOT NULL DEFAULT 0; -- no new status index below it
  `,
  `
  -- Migration 9 (issue 11): a batch keeps its ordered leaf digests, and proofs are computed from
  -- them when a bundle is served, instead of a proof stored per credential (batch_id and
  -- leaf_index are still set on each row, by one statement). Rows claimed before keep their
  -- stored proof and are served from it. A table of its own: SELECT * FROM batches never reads it.
  CREATE TABLE batch_leaves (
    batch_id      INTEGER PRIMARY KEY REFERENCES batches(id),
    digests       BLOB NOT NULL                 -- the credentials' digests in leaf order, 32 bytes each
  ) STRICT;
  `,
  `
  -- Migration 10 (issue 11): a credential's text and salts in a table of their own. Claiming a
  -- batch sets two integers on each of its rows, and SQLite rewrites a whole row to change one
  -- column: 1.5 KB with the text inline, about 150 bytes without. Erasure deletes the text's row
  -- (secure_delete zeroes its bytes). DROP COLUMN rewrites every row of credentials, and with
  -- secure_delete on the old copies of the texts are zeroed as they go.
  CREATE TABLE credential_texts (
    seq           INTEGER PRIMARY KEY REFERENCES credentials(seq),
    content       TEXT NOT NULL,                -- the credential JSON as submitted
    salts         BLOB NOT NULL                 -- 16 bytes per field
  ) STRICT;
  INSERT INTO credential_texts (seq, content, salts) SELECT seq, content, salts FROM credentials WHERE content IS NOT NULL AND salts IS NOT NULL;
  ALTER TABLE credentials DROP COLUMN content;
  ALTER TABLE credentials DROP COLUMN salts;
  CREATE TRIGGER credential_texts_erased AFTER UPDATE OF erased_at ON credentials WHEN NEW.erased_at IS NOT NULL
  BEGIN DELETE FROM credential_texts WHERE seq = NEW.seq; END;
  `,
];

/** Applies the migrations a database has not seen yet, each in its own transaction. */
export function migrate(db: Database.Database): void {
  const applied = db.pragma("user_version", { simple: true }) as number;
  for (let version = applied; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
