// Issuing a W3C VC 2.0 (an OpenBadgeCredential when the input is one) signed eddsa-rdfc-2022 by an issuer's did:key.
import * as vc from "@digitalbazaar/vc";
import { canonicalize } from "../core/canonical.ts";
import { credentialIssues, validateCredential } from "../core/credential.ts";
import { ValidationError } from "../core/errors.ts";
import { isPlainObject, type JsonObject, type JsonValue } from "../core/json.ts";
import { CREDANCHOR_CONTEXT_URL, VC_V1_CONTEXT_URL, VC_V2_CONTEXT_URL } from "./contexts.ts";
import { defaultDocumentLoader, type DocumentLoader } from "./document-loader.ts";
import { asJsonLdError } from "./jsonld-errors.ts";
import type { AssertionKey } from "./keys.ts";
import { checkStatusEntries, usesCredanchorContext } from "./status-entries.ts";
import { signingSuite } from "./suites.ts";

export type IssueOptions = {
  key: AssertionKey;
  /** The issuer's display name (its profile): makes `issuer` an object `{ id, name }` (a `Profile` for Open Badges). */
  issuerName?: string;
  /** The credential's `id` when the input has none (default: `urn:uuid:<random v4>`). */
  newId?: () => string;
  /** Entries appended to `credentialStatus` (see createStatusEntries). */
  credentialStatus?: readonly JsonObject[];
  /** Clock for `validFrom` when absent and the proof's `created` (default: now). */
  now?: () => Date;
  documentLoader?: DocumentLoader;
};

const invalid = (path: string, message: string) => new ValidationError(`invalid credential: ${message}`, { code: "CREDENTIAL_INVALID", details: [{ path, message }] });

/** ISO 8601 without milliseconds, as VC examples write it. */
export const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The VC 2.0 form of an input credential: a VC 1.1 one (`credentials/v1`, `issuanceDate`,
 * `expirationDate`, as the VC-API issuer suite sends) gets the 2.0 context and `validFrom` /
 * `validUntil`; anything else is copied as is. Refuses input that already carries a `proof`.
 *
 * @throws ValidationError `CREDENTIAL_INVALID`.
 *
 * @example
 * toVc2({ "@context": ["https://www.w3.org/2018/credentials/v1"], issuanceDate: "2024-01-01T00:00:00Z", … }); // validFrom: "2024-01-01T00:00:00Z"
 */
export function toVc2(input: unknown): JsonObject {
  if (!isPlainObject(input)) throw invalid("", "a credential must be a JSON object");
  if (input.proof !== undefined) throw invalid("proof", "the input must not carry a proof: the issuer adds it");
  const out: JsonObject = structuredClone(input);
  const context = out["@context"];
  if (Array.isArray(context) && context[0] === VC_V1_CONTEXT_URL) {
    out["@context"] = [VC_V2_CONTEXT_URL, ...context.slice(1)];
    for (const [from, to] of [["issuanceDate", "validFrom"], ["expirationDate", "validUntil"]] as const) {
      if (out[from] === undefined) continue;
      if (out[to] !== undefined) throw invalid(from, `both ${from} and ${to}: give one`);
      out[to] = out[from]!;
      delete out[from];
    }
  }
  return out;
}

/** The input's own issuer members are judged before the profile's name replaces them: a malformed one is refused, not silently overwritten. */
function checkGivenIssuer(credential: JsonObject, key: AssertionKey): void {
  if (!isPlainObject(credential.issuer)) return;
  const issues = credentialIssues({ ...credential, issuer: { ...credential.issuer, id: key.did } }).issues.filter((i) => i.path.startsWith("issuer."));
  if (issues.length > 0) throw new ValidationError(`invalid credential: ${issues[0]!.path}: ${issues[0]!.message}`, { code: "CREDENTIAL_INVALID", details: issues });
}

function withIssuer(credential: JsonObject, options: IssueOptions): JsonValue {
  const given = credential.issuer;
  const profile: JsonObject = isPlainObject(given) ? { ...given } : {};
  if (options.issuerName !== undefined) profile.name = options.issuerName;
  const types = credential.type;
  const isBadge = Array.isArray(types) ? types.includes("OpenBadgeCredential") || types.includes("AchievementCredential") : types === "OpenBadgeCredential";
  if (Object.keys(profile).length === 0 && !isBadge) return options.key.did;
  const { id: _ignored, ...rest } = profile;
  return { id: options.key.did, ...(isBadge && rest.type === undefined ? { type: ["Profile"] } : {}), ...rest };
}

/**
 * Issues `input` as a VC 2.0 signed by `options.key`: `issuer` becomes the key's did:key (an
 * object keeping the profile's other members and `name` when a name is given or the input is
 * an Open Badge), `validFrom` now if absent, an `id` if absent, the given status entries
 * appended (credanchor's context added when the on-chain entry is among them), then a
 * `DataIntegrityProof` / `eddsa-rdfc-2022` over it, JSON-LD in safe mode.
 *
 * @throws ValidationError `CREDENTIAL_INVALID`: not a VC, a malformed status entry anywhere,
 *   a JSON-LD problem ({@link JsonLdError} naming the term); JsonError for input that is not
 *   plain JSON within JSON_LIMITS.
 *
 * @example
 * const signed = await issueCredential(badge, { key, issuerName: "Example University", credentialStatus: createStatusEntries({ … }) });
 */
export async function issueCredential(input: unknown, options: IssueOptions): Promise<JsonObject> {
  canonicalize(input); // plain JSON within the limits (JsonError) before anything walks it
  checkStatusEntries(input);
  const now = options.now?.() ?? new Date();
  const credential = toVc2(input);
  checkGivenIssuer(credential, options.key);
  credential.issuer = withIssuer(credential, options);
  // Only an absent member is filled in: a null one is invalid input (VC 2.0: id is a URL), not a gap.
  if (credential.validFrom === undefined) credential.validFrom = isoSeconds(now);
  if (credential.id === undefined) credential.id = options.newId?.() ?? `urn:uuid:${globalThis.crypto.randomUUID()}`;
  if (options.credentialStatus && options.credentialStatus.length > 0) {
    const given = credential.credentialStatus;
    credential.credentialStatus = [...(given === undefined ? [] : Array.isArray(given) ? given : [given]), ...options.credentialStatus];
    const context = credential["@context"];
    if (usesCredanchorContext(options.credentialStatus) && Array.isArray(context) && !context.includes(CREDANCHOR_CONTEXT_URL)) {
      context.push(CREDANCHOR_CONTEXT_URL);
    }
  }
  // The input was checked above: only the appended entries are left (a status entry costs a schema parse).
  if (options.credentialStatus && options.credentialStatus.length > 0) checkStatusEntries({ credentialStatus: [...options.credentialStatus] });
  // A VC-API credential is a VC: the "generic" kind (any JSON, anchor-only /v1) does not apply here.
  if (validateCredential(credential).kind === "generic") throw invalid("type", 'must be an array of strings including "VerifiableCredential"');
  return sign(credential, options.key, now, options.documentLoader);
}

/**
 * Adds an eddsa-rdfc-2022 proof to an already complete credential (no other change).
 *
 * @throws JsonLdError (a ValidationError) for JSON-LD problems.
 *
 * @example
 * const list = await signCredential(statusListCredential, key);
 */
export async function signCredential(credential: JsonObject, key: AssertionKey, now = new Date(), documentLoader?: DocumentLoader): Promise<JsonObject> {
  return sign(structuredClone(credential), key, now, documentLoader);
}

async function sign(credential: JsonObject, key: AssertionKey, now: Date, documentLoader = defaultDocumentLoader()): Promise<JsonObject> {
  try {
    return (await vc.issue({ credential, suite: signingSuite(key.signer(), isoSeconds(now)), documentLoader })) as JsonObject;
  } catch (error) {
    throw asJsonLdError(error) ?? error;
  }
}
