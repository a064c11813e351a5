// The W3C VC-API endpoints beside /v1: issue a signed VC 2.0 (the anchor proof follows), read its latest form, verify credentials and presentations.
import type { Address, PublicClient } from "viem";
import { z } from "zod";
import { credentialRegistryV2Abi } from "../chain/abi.ts";
import { chainKeyBinding } from "../chain/assertion-keys.ts";
import { ServiceError } from "../core/errors.ts";
import { isPlainObject, type JsonObject } from "../core/json.ts";
import type { Principal } from "../issuer/types.ts";
import { anchorProofOf } from "../vc/anchor-proof.ts";
import { issueCredential } from "../vc/issue.ts";
import type { AssertionKey } from "../vc/keys.ts";
import { createStatusEntries, statusListUrlFrom } from "../vc/status-entries.ts";
import { verifyVc, verifyVp, type KeyBinding, type VcCheck, type VcVerificationReport, type VerifyVcOptions, type VpVerificationReport } from "../vc/verify.ts";
import type { Route, RouteContext } from "./routes.ts";
import * as S from "./schemas.ts";

/** What the VC-API routes need beyond the service: keys, the key binding, where the service is reached. */
export type VcApiContext = {
  /** Assertion key per issuer id; an issuer without one cannot use POST /credentials/issue. */
  keys: ReadonlyMap<number, AssertionKey>;
  /** The on-chain key binding verifications use. */
  keyBinding: KeyBinding;
  /** `https://issuer.example` (no trailing slash): credential ids and status list URLs start with it. */
  publicBaseUrl(): string;
  chainId: number;
  registry: Address;
  /** The issuer's organisational identity and name, as the chain says. */
  issuerProfile(issuerId: number): Promise<{ identity: string; name: string }>;
};

/**
 * The VC-API context over a v2 registry (profiles read once per issuer, the key binding on every verification).
 *
 * @example
 * const vc = createVcApiContext({ client, chainId: 31337, registry, keys, publicBaseUrl: "http://127.0.0.1:8080" });
 */
export function createVcApiContext(options: { client: PublicClient; chainId: number; registry: Address; keys: ReadonlyMap<number, AssertionKey>; publicBaseUrl: string | (() => string) }): VcApiContext {
  const profiles = new Map<number, Promise<{ identity: string; name: string }>>();
  const read = async (issuerId: number) => {
    const [, identity, name] = await options.client.readContract({ address: options.registry, abi: credentialRegistryV2Abi, functionName: "getIssuer", args: [BigInt(issuerId)] });
    return { identity, name };
  };
  return {
    keys: options.keys,
    keyBinding: chainKeyBinding(options.client, options.registry),
    publicBaseUrl: () => (typeof options.publicBaseUrl === "string" ? options.publicBaseUrl : options.publicBaseUrl()).replace(/\/+$/, ""),
    chainId: options.chainId,
    registry: options.registry,
    issuerProfile: (issuerId) => {
      let profile = profiles.get(issuerId);
      if (!profile) {
        profile = read(issuerId);
        profiles.set(issuerId, profile);
        profile.catch(() => profiles.delete(issuerId)); // a failed read is retried next time
      }
      return profile;
    },
  };
}

const MiB = 1024 * 1024;
const JsonObjectSchema = z.record(z.string(), z.unknown());
/** VC-API options: accepted and ignored unless named (the issuer suite sends some). */
const Options = z.record(z.string(), z.unknown());

const IssueBody = z.strictObject({ credential: JsonObjectSchema.describe("A VC 2.0 (or VC 1.1) credential without proof."), options: Options.optional() }).meta({ id: "IssueCredentialRequest" });
const VerifyCredentialBody = z.strictObject({ verifiableCredential: JsonObjectSchema, options: Options.optional() }).meta({ id: "VerifyCredentialRequest" });
const VerifyPresentationBody = z
  .strictObject({
    verifiablePresentation: JsonObjectSchema,
    options: z.looseObject({ challenge: z.string().min(1).max(1024).optional(), domain: z.string().min(1).max(1024).optional() }).optional(),
  })
  .meta({ id: "VerifyPresentationRequest" });
const CredentialIdOrVcId = z.union([S.CredentialIdParam, z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]{1,2000}$/)], {
  error: "must be a credential id (UUID) or the credential's own id (a URL or URN)",
});

const VerifiableCredential = z.strictObject({ verifiableCredential: JsonObjectSchema }).meta({ id: "VerifiableCredentialResponse" });
const StoredVc = z
  .strictObject({ verifiableCredential: JsonObjectSchema, state: z.string().describe("queued … confirmed: the anchor proof is in the proof set from `anchored` on.") })
  .meta({ id: "StoredVerifiableCredential" });
const Problem = z.strictObject({ check: z.string(), code: z.string(), message: z.string() });
const Check = z.strictObject({ name: z.string(), outcome: z.enum(["pass", "fail", "skip"]), code: z.string(), message: z.string() });
const VerificationFields = {
  verified: z.boolean(),
  checks: z.array(z.string()).describe("The checks that passed (signature, anchored, status, …)."),
  warnings: z.array(z.strictObject({ code: z.string(), message: z.string() })),
  errors: z.array(Problem).describe("The checks that failed, or could not be decided."),
  results: z.array(Check).describe("Every check with its outcome, code and message."),
};
const VerifyResult = z.strictObject(VerificationFields).meta({ id: "VcVerificationResult" });
/** A failed verification: the VC-API fields and the API's one error shape together. */
const VerifyFailure = z
  .strictObject({ ...VerificationFields, error: S.ErrorResponse.shape.error })
  .meta({ id: "VcVerificationFailure" });
const PresentationFields = { ...VerificationFields, credentialResults: z.array(z.strictObject({ verified: z.boolean(), results: z.array(Check) })) };
const VerifyVpResult = z.strictObject(PresentationFields).meta({ id: "VpVerificationResult" });
const VerifyVpFailure = z.strictObject({ ...PresentationFields, error: S.ErrorResponse.shape.error }).meta({ id: "VpVerificationFailure" });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request (REQUEST_INVALID, JSON_SYNTAX, JSON_DUPLICATE_KEY, JSON_UNSUPPORTED_VALUE)",
  401: "No valid API key (UNAUTHORIZED)",
  403: "Not this kind of key's action (FORBIDDEN)",
  404: "No such signed credential, or not this key's (NOT_FOUND)",
  409: "This issuer has no assertion key here (ASSERTION_KEY_MISSING: issue anchor-only through POST /v1/credentials), or its status list is full (STATUS_LIST_FULL)",
  410: "Erased (GONE)",
  413: "Body too large (PAYLOAD_TOO_LARGE, JSON_LIMIT_EXCEEDED)",
  415: "Body is not JSON (UNSUPPORTED_MEDIA_TYPE)",
  422: "Invalid credential, with every problem's path; JSON-LD safe mode names the term (CREDENTIAL_INVALID, ISSUER_MISMATCH)",
  429: "Too many requests from this client; retry after the Retry-After header's seconds (RATE_LIMITED)",
  503: "Cannot store or reach the chain right now, or took too long (STORAGE_UNAVAILABLE, CHAIN_UNAVAILABLE, TIMEOUT)",
};
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, { description: ERROR_DESCRIPTIONS[s]!, schema: S.ErrorResponse }]));

function vcApi(ctx: RouteContext): VcApiContext {
  if (!ctx.vc) throw new ServiceError("the VC-API is not configured on this server", { code: "ASSERTION_KEY_MISSING" });
  return ctx.vc;
}

function issuerOf(principal: Principal | undefined): number {
  if (principal?.kind !== "issuer") throw new ServiceError("this action needs an issuer's API key", { code: "FORBIDDEN" });
  return principal.issuerId;
}

const claimedIssuer = (credential: JsonObject): string | undefined => {
  const issuer = credential.issuer;
  return typeof issuer === "string" ? issuer : isPlainObject(issuer) && typeof issuer.id === "string" ? issuer.id : undefined;
};

/** Signs and stores one credential for `issuerId` (see the route's description). */
async function issue(ctx: RouteContext, issuerId: number, input: JsonObject): Promise<JsonObject> {
  const vc = vcApi(ctx);
  const base = vc.publicBaseUrl();
  const key = vc.keys.get(issuerId);
  if (!key) {
    throw new ServiceError(`issuer ${issuerId} has no assertion key configured here (ASSERTION_KEY_${issuerId}): it can issue anchor-only credentials through POST /v1/credentials`, { code: "ASSERTION_KEY_MISSING" });
  }
  const profile = await vc.issuerProfile(issuerId);
  const claimed = claimedIssuer(input);
  if (input.issuer !== undefined && claimed !== key.did && claimed !== profile.identity) {
    throw new ServiceError(`the credential names issuer ${String(claimed).slice(0, 200)}, but this issuer is ${profile.identity} (signing as ${key.did})`, {
      code: "ISSUER_MISMATCH",
      details: [{ path: "credential.issuer", message: `must be absent, ${key.did} or ${profile.identity}` }],
    });
  }
  const { credential } = await ctx.service.acceptSigned(issuerId, ({ id, statusIndex }) =>
    issueCredential(input, {
      key,
      ...(profile.name ? { issuerName: profile.name } : {}),
      newId: () => `${base}/credentials/${id}`,
      credentialStatus: createStatusEntries({ chainId: vc.chainId, registry: vc.registry, issuerId, statusIndex, statusListUrl: statusListUrlFrom(base, issuerId) }),
    }),
  );
  return credential;
}

/** The stored VC's latest form: its issuer's proof, and once anchored the anchor proof beside it. */
async function latest(ctx: RouteContext, principal: Principal, id: string): Promise<{ verifiableCredential: JsonObject; state: string }> {
  const { view, proof } = await ctx.service.getSignedCredential(principal, id);
  if (view.erasedAt || !view.credential) throw new ServiceError(`credential ${view.id} was erased`, { code: "GONE" });
  const proofs = view.bundle ? [proof, anchorProofOf(view.bundle) as unknown as JsonObject] : proof;
  return { verifiableCredential: { ...view.credential, proof: proofs }, state: view.state };
}

function verifyOptions(ctx: RouteContext): VerifyVcOptions {
  const vc = vcApi(ctx);
  const chain = { trust: ctx.verify.trust, rpc: ctx.verify.rpc };
  return { keyBinding: vc.keyBinding, chain };
}

function fields(report: Pick<VcVerificationReport, "verdict" | "checks" | "warnings">) {
  const undecided = (c: VcCheck) => c.outcome === "skip" && report.verdict === "error";
  return {
    verified: report.verdict === "valid",
    checks: report.checks.filter((c) => c.outcome === "pass").map((c) => c.name),
    warnings: report.warnings,
    errors: report.checks.filter((c) => c.outcome === "fail" || undecided(c)).map((c) => ({ check: c.name, code: c.code, message: c.message })),
    results: report.checks,
  };
}

/** 200 when verified; 422 VERIFICATION_FAILED with the problems; 503 when it could not be decided (the chain did not answer). */
function answer(res: Parameters<Route["handler"]>[2], out: ReturnType<typeof fields>, verdict: VcVerificationReport["verdict"]) {
  if (verdict === "valid") return res.json(out);
  const undecided = verdict === "error";
  const error = {
    code: undecided ? "CHAIN_UNAVAILABLE" : "VERIFICATION_FAILED",
    message: undecided ? "could not decide: a check needs the chain, which did not answer" : `did not verify: ${out.errors.map((e) => e.check).join(", ")}`,
    details: out.errors.map((e) => ({ path: e.check, message: `${e.code}: ${e.message}` })),
    ...(res.locals.requestId ? { requestId: res.locals.requestId as string } : {}),
  };
  res.locals.errorCode = error.code;
  res.status(undecided ? 503 : 422).json({ ...out, error });
}

const vpFields = (report: VpVerificationReport) => {
  const out = fields({ verdict: report.verdict, checks: [...report.checks, ...report.credentials.flatMap((c) => c.checks.filter((k) => k.outcome === "fail"))], warnings: report.warnings });
  return { ...out, credentialResults: report.credentials.map((c) => ({ verified: c.verdict === "valid", results: c.checks })) };
};

export const VC_API_ROUTES: readonly Route[] = [
  {
    method: "post",
    path: "/credentials/issue",
    tag: "vc-api",
    summary: "Issue a W3C VC 2.0 signed eddsa-rdfc-2022 by the issuer's assertion key (VC-API); the anchor proof follows",
    description:
      "Synchronous: validates the credential (VC 2.0, or VC 1.1 input converted; JSON-LD in safe mode: an undefined or redefined term is a 422 naming it), draws a status index, sets `issuer` (the issuer's did:key, with its on-chain name), `id` (`<publicBaseUrl>/credentials/<id>` when absent), `validFrom` (now, when absent) and `credentialStatus` (the on-chain entry and two BitstringStatusListEntry), signs it, stores it durably for anchoring, and answers 201 with a single `proof`. The anchor proof is added once the batch is anchored: GET /credentials/{id}. An issuer without an assertion key gets 409 ASSERTION_KEY_MISSING (anchor-only: POST /v1/credentials).",
    auth: "issuer",
    bodyLimit: 4 * MiB,
    body: IssueBody,
    responses: { 201: { description: "Issued", schema: VerifiableCredential }, ...errors(400, 401, 403, 409, 413, 415, 422, 503) },
    handler: async (ctx, _req, res, { body, principal }) => {
      const credential = await issue(ctx, issuerOf(principal), (body as { credential: JsonObject }).credential);
      res.status(201).json({ verifiableCredential: credential });
    },
  },
  {
    method: "get",
    path: "/credentials/:id",
    tag: "vc-api",
    summary: "A signed credential's latest form: with the anchor proof in its proof set once anchored",
    auth: "any",
    params: { id: CredentialIdOrVcId },
    responses: { 200: { description: "The credential", schema: StoredVc }, ...errors(400, 401, 403, 404, 410, 503) },
    handler: async (ctx, _req, res, { params, principal }) => res.json(await latest(ctx, principal!, params.id as string)),
  },
  {
    method: "post",
    path: "/credentials/verify",
    tag: "vc-api",
    summary: "Verify a VC (VC-API): the issuer's signature and its on-chain key binding, the anchor proof, on-chain status, validity",
    description:
      "Any VC 2.0 with an eddsa-rdfc-2022, eddsa-jcs-2022 or Ed25519Signature2020 proof from a did:key, and credanchor's anchor proof. 200 `{verified: true, …}`; a credential that fails: 422 VERIFICATION_FAILED with the same fields (`errors` lists the failed checks); 503 when a check could not be decided. Limited per client like POST /v1/verify.",
    auth: "none",
    bodyLimit: 4 * MiB,
    rateLimited: true,
    body: VerifyCredentialBody,
    responses: {
      200: { description: "Verified", schema: VerifyResult },
      422: { description: "Did not verify (VERIFICATION_FAILED), with every check", schema: VerifyFailure },
      503: { description: "Could not decide (CHAIN_UNAVAILABLE), with every check", schema: VerifyFailure },
      ...errors(400, 413, 415, 429),
    },
    handler: async (ctx, _req, res, { body }) => {
      const credential = (body as { verifiableCredential: JsonObject }).verifiableCredential;
      const report = await verifyVc(credential, verifyOptions(ctx));
      answer(res, fields(report), report.verdict);
    },
  },
  {
    method: "post",
    path: "/presentations/verify",
    tag: "vc-api",
    summary: "Verify a VP (VC-API): the holder's proof with `options.challenge` and `options.domain`, then each credential",
    description: "As POST /credentials/verify; a wrong or missing challenge or domain fails the presentation check.",
    auth: "none",
    bodyLimit: 4 * MiB,
    rateLimited: true,
    body: VerifyPresentationBody,
    responses: {
      200: { description: "Verified", schema: VerifyVpResult },
      422: { description: "Did not verify (VERIFICATION_FAILED)", schema: VerifyVpFailure },
      503: { description: "Could not decide (CHAIN_UNAVAILABLE)", schema: VerifyVpFailure },
      ...errors(400, 413, 415, 429),
    },
    handler: async (ctx, _req, res, { body }) => {
      const b = body as { verifiablePresentation: JsonObject; options?: { challenge?: string; domain?: string } };
      const report = await verifyVp(b.verifiablePresentation, { ...verifyOptions(ctx), challenge: b.options?.challenge ?? "", ...(b.options?.domain !== undefined ? { domain: b.options.domain } : {}) });
      answer(res, vpFields(report), report.verdict);
    },
  },
];
