// zod schemas of every request and response of the HTTP API: the handlers validate with them and
// the OpenAPI document is generated from them, so the two cannot drift apart.
import { z } from "zod";
import { BundleSchema } from "../core/bundle.ts";
import { CREDENTIAL_STATES } from "../issuer/types.ts";

const MAX_INDEX = 2 ** 32 - 1;
const EXAMPLE_ID = "0193f6a2-7c1e-7b3a-9d2f-5c8e4b1a6f03";
const EXAMPLE_BADGE = {
  "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
  type: ["VerifiableCredential", "OpenBadgeCredential"],
  issuer: { id: "did:web:demo-issuer.credanchor.local", type: ["Profile"], name: "Demo Issuer" },
  validFrom: "2024-05-01T09:00:00Z",
  name: "Teamwork Badge",
  credentialSubject: {
    id: "did:example:ebfeb1f712ebc6f1c276e12ec21",
    type: ["AchievementSubject"],
    achievement: { id: "https://example.edu/achievements/teamwork", type: ["Achievement"], criteria: { narrative: "Nominated by peers." }, name: "Teamwork" },
  },
};

// ── requests ─────────────────────────────────────────────────────────────────────────────

export const SubmitBody = z
  .strictObject({
    credentials: z
      .array(z.unknown(), { error: "must be an array of credentials" })
      .min(1, { error: "send at least one credential" })
      .meta({ description: "1 to 10,000 credentials: W3C VC 2.0 / Open Badges 3.0 JSON, or any JSON object.", items: { type: "object" } }),
  })
  .meta({ id: "SubmitCredentials", examples: [{ credentials: [EXAMPLE_BADGE] }] });

export const StatusChangeBody = z
  .strictObject({
    action: z.enum(["revoke", "suspend", "reinstate"], { error: 'must be "revoke", "suspend" or "reinstate"' }),
    credentialIds: z.array(z.string().uuid({ error: "must be a credential id (UUID)" })).max(10_000).optional(),
    statusIndices: z.array(z.number().int().min(0).max(MAX_INDEX)).max(10_000).optional(),
    batchId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().describe("Revoke a whole batch (its Merkle root)."),
    reason: z.number().int().min(0).max(255).optional().describe("Reason code recorded in the on-chain event (0-255)."),
  })
  .meta({
    id: "StatusChangeRequest",
    examples: [{ action: "revoke", credentialIds: [EXAMPLE_ID], reason: 3 }, { action: "suspend", statusIndices: [51696, 7] }, { action: "revoke", batchId: 7 }],
  });

export const VerifyBody = z
  .strictObject({
    bundle: z.unknown().optional().meta({ description: "One proof bundle (docs/bundle.schema.json).", type: "object" }),
    bundles: z.array(z.unknown()).min(1).max(1000).optional().meta({ description: "Up to 1,000 bundles, verified with batched chain reads.", items: { type: "object" } }),
    private: z.boolean().optional().describe("Read the issuer's whole status list instead of one index (herd privacy)."),
  })
  .refine((b) => (b.bundle === undefined) !== (b.bundles === undefined), { error: 'give exactly one of "bundle" or "bundles"' })
  .meta({ id: "VerifyRequest" });

export const CreateApiKeyBody = z
  .strictObject({
    label: z.string().min(1).max(200).optional().describe("What the key is for (shown in key lists)."),
    expiresAt: z.iso.datetime({ offset: true, error: "must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z" }).optional().describe("After this instant the key no longer authenticates (401)."),
  })
  .meta({ id: "CreateApiKeyRequest", examples: [{ label: "registrar's office", expiresAt: "2027-06-30T00:00:00Z" }] });

export const DiscloseBody = z
  .strictObject({
    hide: z
      .array(z.string(), { error: "must be an array of JSON pointers" })
      .min(1, { error: "name at least one field to hide" })
      .max(10_000)
      .describe("JSON pointers (RFC 6901) of the fields to hide, e.g. /credentialSubject/birthDate; hiding a container hides all under it."),
  })
  .meta({ id: "DiscloseRequest", examples: [{ hide: ["/credentialSubject/birthDate"] }] });

export const CredentialIdParam = z.string().uuid({ error: "must be a credential id (UUID)" });
/** A status list's purpose in its URL. */
export const StatusPurposeParam = z.enum(["revocation", "suspension"], { error: "must be revocation or suspension" });

/** A status list's number in its URL (list n holds indices n × 131,072 to (n + 1) × 131,072 − 1; 32,768 lists cover uint32). */
export const StatusListParam = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,4})$/, { error: "must be a list number from 0" })
  .transform(Number)
  .refine((n) => n < 32_768, { error: "must be below 32768 (status indices are uint32)" });

/** Longest If-None-Match read (a few ETags, not a novel); the status list fast path hands longer ones to the route's 400. */
export const MAX_IF_NONE_MATCH = 512;
export const IfNoneMatchHeader = z.string().max(MAX_IF_NONE_MATCH, { error: `at most ${MAX_IF_NONE_MATCH} characters` });

export const NumericIdParam = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, { error: "must be a positive integer" })
  .transform(Number);
export const ApiKeyIdParam = z.string().regex(/^[a-z0-9]{16}$/, { error: "must be an API key id (16 lowercase letters or digits)" });
export const IdempotencyKeyHeader = z.string().regex(/^[\x21-\x7e]{1,255}$/, { error: "must be 1-255 visible ASCII characters" });

// ── responses ────────────────────────────────────────────────────────────────────────────

const Detail = z.strictObject({ path: z.string(), message: z.string() });
export const ErrorResponse = z
  .strictObject({
    error: z.strictObject({
      code: z.string().describe("Stable machine-readable code (docs/api.md)."),
      message: z.string().describe("One line for people."),
      details: z.array(Detail).describe("Every problem found, with its path (empty when there is nothing to add)."),
      requestId: z.string().optional(),
    }),
  })
  .meta({
    id: "Error",
    examples: [
      {
        error: {
          code: "CREDENTIAL_INVALID",
          message: "1 problem in the credentials; nothing was accepted",
          details: [{ path: "credentials[3].credentialSubject.achievement.name", message: "required" }],
          requestId: "8cc2ca0a-dc3d-4ab6-b1c2-976290c63a41",
        },
      },
    ],
  });

const CredentialState = z.enum(CREDENTIAL_STATES);
export const Bundle = BundleSchema.meta({ id: "Bundle" });

export const SubmitResponse = z
  .strictObject({
    credentials: z.array(
      z.strictObject({
        id: z.string(),
        statusIndex: z.number().int(),
        state: CredentialState,
        duplicate: z.literal(true).optional().describe("The issuer already submitted a credential with this own id: this is that record; nothing new was issued."),
      }),
    ),
  })
  .meta({ id: "SubmitResponse", examples: [{ credentials: [{ id: EXAMPLE_ID, statusIndex: 51696, state: "queued" }] }] });

export const ChainTransaction = z
  .strictObject({
    hash: z.string(),
    nonce: z.number().int(),
    blockNumber: z.number().int().optional(),
    blockHash: z.string().optional(),
    blockTime: z.string().optional(),
    gasUsed: z.string().optional(),
    effectiveGasPrice: z.string().optional().describe("Wei per gas paid."),
    confirmations: z.number().int().optional(),
  })
  .meta({ id: "ChainTransaction" });

export const CredentialResponse = z
  .strictObject({
    id: z.string(),
    issuerId: z.number().int(),
    statusIndex: z.number().int(),
    state: CredentialState,
    createdAt: z.string(),
    batchId: z.number().int().optional(),
    bundle: Bundle.optional().describe("The proof bundle, once anchored (absent after erasure)."),
    credential: z.record(z.string(), z.unknown()).optional().describe("The credential as submitted (absent after erasure)."),
    erasedAt: z.string().optional(),
    revoked: z.boolean(),
    suspended: z.boolean(),
  })
  .meta({ id: "Credential" });

export const BatchResponse = z
  .strictObject({
    id: z.number().int(),
    issuerId: z.number().int(),
    state: z.enum(["built", "sending", "mined", "confirmed", "failed"]),
    size: z.number().int(),
    root: z.string(),
    createdAt: z.string(),
    tx: ChainTransaction.optional(),
    costWei: z.string().optional(),
    costPerCredentialWei: z.string().optional(),
    costEther: z.string().optional(),
    costPerCredentialEther: z.string().optional(),
    gasPerCredential: z.number().optional(),
    rootRevoked: z.boolean(),
    error: z.string().optional().describe("Why the batch failed (state failed): its anchor would always revert."),
    rebuilds: z.number().int().optional().describe("Times an older version gave the batch a new root because another issuer anchored its root first (v1 registry only; never on v2)."),
  })
  .meta({ id: "Batch" });

export const StatusChangeResponse = z
  .strictObject({
    id: z.number().int(),
    issuerId: z.number().int(),
    action: z.enum(["revoke", "suspend", "reinstate"]),
    reason: z.number().int(),
    statusIndices: z.array(z.number().int()),
    batchId: z.number().int().optional(),
    state: z.enum(["pending", "sending", "mined", "confirmed", "failed"]),
    createdAt: z.string(),
    tx: ChainTransaction.optional().describe("The first transaction."),
    transactions: z.array(ChainTransaction).optional().describe("Every transaction sent so far, when the change needs several (split under the gas budget)."),
    progress: z
      .strictObject({ transactions: z.number().int(), landed: z.number().int(), failed: z.number().int() })
      .describe("Transactions the change needs, how many landed (confirmed, or their effect was already on-chain), how many failed for good."),
    error: z.string().optional().describe("Why it failed (state failed), or the last error of a retry in progress."),
  })
  .meta({ id: "StatusChange" });

export const TombstoneResponse = z
  .strictObject({ id: z.string(), leaf: z.string(), erasedAt: z.string(), erasedBy: z.string() })
  .meta({ id: "Tombstone" });

export const ApiKeyResponse = z
  .strictObject({ keyId: z.string(), token: z.string().describe("Shown once; only its hash is stored."), expiresAt: z.string().optional() })
  .meta({ id: "ApiKey", examples: [{ keyId: "3f9a0c1b2d4e5f60", token: "cak_3f9a0c1b2d4e5f60_EXAMPLE-not-a-real-key-EXAMPLE-not-a-real-k" }] });

export const ApiKeyInfo = z
  .strictObject({
    keyId: z.string(),
    kind: z.enum(["issuer", "admin"]),
    issuerId: z.number().int().optional(),
    issuers: z.array(z.number().int()).optional().describe("An operator key limited to these issuers."),
    label: z.string().optional(),
    createdAt: z.string(),
    expiresAt: z.string().optional(),
    revokedAt: z.string().optional(),
    state: z.enum(["active", "expired", "revoked"]),
  })
  .meta({ id: "ApiKeyInfo" });
export const ApiKeyListResponse = z.strictObject({ keys: z.array(ApiKeyInfo) }).meta({ id: "ApiKeyList" });

const Check = z.strictObject({
  name: z.enum(["format", "integrity", "inclusion", "anchored", "issuer", "status", "validity"]),
  outcome: z.enum(["pass", "fail", "skip"]),
  code: z.string(),
  message: z.string(),
});
export const VerifyResponse = z
  .strictObject({
    results: z.array(
      z.object({
        verdict: z.enum(["valid", "invalid", "error"]),
        checks: z.array(Check),
        anchor: z.record(z.string(), z.unknown()).optional(),
        issuer: z
          .strictObject({ issuerId: z.number(), claimed: z.string().optional(), onChain: z.string().optional(), name: z.string().optional(), matches: z.boolean() })
          .optional()
          .describe("The credential's claimed issuer beside the anchoring issuer's on-chain identity (present when the anchor was read)."),
      }),
    ),
  })
  .meta({ id: "VerifyResponse" });

export const HealthResponse = z
  .strictObject({ status: z.enum(["ok", "failing"]), uptimeSeconds: z.number(), message: z.string().optional() })
  .meta({ id: "Health", examples: [{ status: "ok", uptimeSeconds: 3600 }] });
const CheckState = z.strictObject({ ok: z.boolean(), message: z.string() });
export const ReadyResponse = z
  .strictObject({ ready: z.boolean(), checks: z.strictObject({ database: CheckState, chain: CheckState }) })
  .meta({
    id: "Readiness",
    examples: [{ ready: false, checks: { database: { ok: true, message: "writable" }, chain: { ok: false, message: "JSON-RPC unreachable: connection refused" } } }],
  });

// ── share links (issue 15) ───────────────────────────────────────────────────────────────

export const CreateShareLinkBody = z
  .strictObject({
    hide: z
      .array(z.string(), { error: "must be an array of JSON pointers" })
      .max(10_000)
      .optional()
      .describe("JSON pointers (RFC 6901) of the fields the link must not serve; only the derived bundle is stored for the link. Default: none hidden."),
    expiresAt: z.iso.datetime({ offset: true, error: "must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z" }).optional().describe("After this instant the link answers 410 SHARE_LINK_EXPIRED. Default: never."),
  })
  .meta({ id: "CreateShareLinkRequest", examples: [{ hide: ["/credentialSubject/birthDate"], expiresAt: "2027-01-31T00:00:00Z" }] });

/** A share link's public id (listed; never enough to open it). */
export const ShareLinkIdParam = z.string().regex(/^[0-9a-f]{16}$/, { error: "must be a share link id (16 lowercase hex digits)" });
/** A share link's token, as the link carries it. */
export const ShareTokenParam = z.string().regex(/^csl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/, { error: "must be a share link token (csl_<id>_<secret>)" });

export const ShareLinkInfo = z
  .strictObject({
    id: z.string(),
    credentialId: z.string(),
    state: z.enum(["active", "expired", "revoked"]),
    hidden: z.array(z.string()).describe("The JSON pointers hidden (names, never values)."),
    createdBy: z.enum(["issuer", "holder", "pdf"]),
    createdAt: z.string(),
    expiresAt: z.string().optional(),
    revokedAt: z.string().optional(),
  })
  .meta({ id: "ShareLinkInfo" });
export const ShareLinkCreated = ShareLinkInfo.extend({
  token: z.string().describe("Shown once; only its SHA-256 is stored."),
  url: z.string().describe("The verifier page opening the link: <service>/verify#share=<token> (the token stays in the fragment, out of server logs)."),
}).meta({ id: "ShareLink" });
export const ShareLinkListResponse = z.strictObject({ links: z.array(ShareLinkInfo) }).meta({ id: "ShareLinkList" });
export const HolderKeyResponse = z
  .strictObject({ credentialId: z.string(), holderKey: z.string().describe("Shown once; only its SHA-256 is stored. Hand it to the holder with the bundle."), createdAt: z.string() })
  .meta({ id: "HolderKey", examples: [{ credentialId: "0192f0e4-7c1a-7b3e-9d2f-3a4b5c6d7e8f", holderKey: "chk_EXAMPLE-not-a-real-key-EXAMPLE-not-a-real-k", createdAt: "2026-12-02T05:00:00.000Z" }] });
