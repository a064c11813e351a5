// Validation of credentials: W3C VC 2.0, Open Badges 3.0 (OpenBadgeCredential), or any JSON object.
import { assertCanonicalizable } from "./canonical.ts";
import { ValidationError, type ErrorDetail } from "./errors.ts";
import { isPlainObject, type JsonObject, type JsonValue } from "./json.ts";
import { readValidity, type ValidityWindow } from "./validity.ts";

/** First `@context` entry of every VC 2.0 credential. */
export const VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2";
/** Open Badges 3.0 context URLs start with this (`context-3.0.3.json` and its siblings). */
export const OB_V3_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context";

/**
 * How a credential was validated: `OpenBadgeCredential` (its `type` names OpenBadgeCredential or
 * AchievementCredential: VC 2.0 + OB 3.0 rules), `VerifiableCredential` (VC 2.0 rules), or
 * `generic` (any other JSON object: only the date rules).
 */
export type CredentialKind = "OpenBadgeCredential" | "VerifiableCredential" | "generic";

export type ValidatedCredential = ValidityWindow & { kind: CredentialKind; credential: JsonObject };

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;

/**
 * Every problem with `value` as a credential, with dotted paths
 * (`credentialSubject.achievement.name: required`); an empty list when it is valid.
 *
 * @throws JsonError when `value` is not plain JSON (non-finite number, lone surrogate, class
 *   instance, over the limits): it cannot be a credential at all.
 *
 * @example
 * credentialIssues({ type: ["VerifiableCredential"] });
 * // [{ path: "@context", message: "required" }, { path: "issuer", message: "required" }, …]
 */
export function credentialIssues(value: unknown): { kind: CredentialKind; issues: ErrorDetail[] } {
  assertCanonicalizable(value); // throws JsonError for anything JSON cannot carry
  if (!isPlainObject(value)) return { kind: "generic", issues: [{ path: "", message: "a credential must be a JSON object" }] };
  const issues: ErrorDetail[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const types = typesOf(value.type);
  const isBadge = types.includes("OpenBadgeCredential") || types.includes("AchievementCredential");
  const kind: CredentialKind = isBadge ? "OpenBadgeCredential" : types.includes("VerifiableCredential") ? "VerifiableCredential" : "generic";
  issues.push(...readValidity(value).issues);
  if (kind !== "generic") checkVerifiableCredential(value, add);
  if (kind === "OpenBadgeCredential") checkOpenBadge(value, add);
  return { kind, issues };
}

/**
 * Validates a credential and returns its kind and validity window (unix seconds, 0 if absent).
 * Collects all problems, never just the first.
 *
 * @throws ValidationError `CREDENTIAL_INVALID` with every problem in `details`; JsonError for non-JSON input.
 *
 * @example
 * const { kind, validFrom } = validateCredential(JSON.parse(body));
 */
export function validateCredential(value: unknown): ValidatedCredential {
  const { kind, issues } = credentialIssues(value);
  if (issues.length > 0) {
    const what = kind === "generic" ? "credential" : kind;
    throw new ValidationError(`invalid ${what}: ${issues.length} problem${issues.length === 1 ? "" : "s"}`, { code: "CREDENTIAL_INVALID", details: issues });
  }
  const { window } = readValidity(value as JsonObject);
  return { kind, credential: value as JsonObject, ...window };
}

type Add = (path: string, message: string) => void;

function typesOf(type: JsonValue | undefined): string[] {
  if (typeof type === "string") return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === "string") : [];
}

function checkVerifiableCredential(vc: JsonObject, add: Add): void {
  const context = vc["@context"];
  if (context === undefined) add("@context", "required");
  else if (!Array.isArray(context) || context.length === 0) add("@context", "must be a non-empty array");
  else {
    if (context[0] !== VC_V2_CONTEXT) add("@context[0]", `must be "${VC_V2_CONTEXT}"`);
    context.forEach((entry, i) => {
      if (typeof entry === "string" ? !URI.test(entry) : !isPlainObject(entry)) add(`@context[${i}]`, "must be a URL or an object");
    });
  }
  checkTypes(vc.type, "type", "VerifiableCredential", add);
  if (vc.id !== undefined) checkUri(vc.id, "id", add);
  checkIssuer(vc.issuer, add);
  const subject = vc.credentialSubject;
  if (subject === undefined) add("credentialSubject", "required");
  else if (Array.isArray(subject)) {
    if (subject.length === 0) add("credentialSubject", "must not be empty");
    subject.forEach((s, i) => {
      if (!isPlainObject(s)) add(`credentialSubject[${i}]`, "must be an object");
    });
  } else if (!isPlainObject(subject)) add("credentialSubject", "must be an object or an array of objects");
  for (const name of ["credentialStatus", "credentialSchema", "evidence", "termsOfUse", "refreshService"]) {
    const entry = vc[name];
    if (entry === undefined) continue;
    const list = Array.isArray(entry) ? entry : [entry];
    list.forEach((item, i) => {
      const path = Array.isArray(entry) ? `${name}[${i}]` : name;
      if (!isPlainObject(item)) add(path, "must be an object");
      else if (item.type === undefined) add(`${path}.type`, "required");
      // VC 2.0 §4.11: each credentialSchema names its schema by a URL id.
      if (name === "credentialSchema" && isPlainObject(item)) checkUri(item.id, `${path}.id`, add);
    });
  }
  checkRelatedResources(vc.relatedResource, add);
}

/** VC 2.0 §5.3: relatedResource is one or more objects, each with a unique URL `id` and a `digestSRI` or `digestMultibase`. */
function checkRelatedResources(value: JsonValue | undefined, add: Add): void {
  if (value === undefined) return;
  const list = Array.isArray(value) ? value : [value];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const path = Array.isArray(value) ? `relatedResource[${i}]` : "relatedResource";
    if (!isPlainObject(item)) return add(path, "must be an object");
    checkUri(item.id, `${path}.id`, add);
    if (typeof item.id === "string" && seen.has(item.id)) add(`${path}.id`, "must be unique among the related resources");
    if (typeof item.id === "string") seen.add(item.id);
    if (item.digestSRI === undefined && item.digestMultibase === undefined) add(path, "must have digestSRI or digestMultibase");
  });
}

function checkOpenBadge(vc: JsonObject, add: Add): void {
  const context = vc["@context"];
  if (Array.isArray(context) && !context.some((c) => typeof c === "string" && c.startsWith(OB_V3_CONTEXT_PREFIX))) {
    add("@context", `must include the Open Badges 3.0 context (${OB_V3_CONTEXT_PREFIX}-3.0.3.json)`);
  }
  if (!typesOf(vc.type).includes("OpenBadgeCredential") && !typesOf(vc.type).includes("AchievementCredential")) {
    add("type", 'must include "OpenBadgeCredential"');
  }
  if (vc.validFrom === undefined) add("validFrom", "required");
  checkText(vc.name, "name", add);
  if (isPlainObject(vc.issuer) && vc.issuer.type !== undefined) checkTypes(vc.issuer.type, "issuer.type", "Profile", add);
  const subject = vc.credentialSubject;
  if (subject === undefined) return; // reported by the VC rules
  if (!isPlainObject(subject)) {
    add("credentialSubject", "must be one object (an AchievementSubject)");
    return;
  }
  if (subject.id !== undefined) checkUri(subject.id, "credentialSubject.id", add);
  checkTypes(subject.type, "credentialSubject.type", "AchievementSubject", add);
  const achievement = subject.achievement;
  const at = "credentialSubject.achievement";
  if (achievement === undefined) return add(at, "required");
  if (!isPlainObject(achievement)) return add(at, "must be an object");
  if (achievement.id === undefined) add(`${at}.id`, "required");
  else checkUri(achievement.id, `${at}.id`, add);
  checkTypes(achievement.type, `${at}.type`, "Achievement", add);
  checkText(achievement.name, `${at}.name`, add);
  checkText(achievement.description, `${at}.description`, add);
  const criteria = achievement.criteria;
  if (criteria === undefined) add(`${at}.criteria`, "required");
  else if (!isPlainObject(criteria)) add(`${at}.criteria`, "must be an object");
  else {
    if (criteria.id === undefined && criteria.narrative === undefined) add(`${at}.criteria`, "must have an id or a narrative");
    if (criteria.id !== undefined) checkUri(criteria.id, `${at}.criteria.id`, add);
    if (criteria.narrative !== undefined && typeof criteria.narrative !== "string") add(`${at}.criteria.narrative`, "must be a string");
  }
}

function checkIssuer(issuer: JsonValue | undefined, add: Add): void {
  if (issuer === undefined) return add("issuer", "required");
  if (typeof issuer === "string") return checkUri(issuer, "issuer", add);
  if (!isPlainObject(issuer)) return add("issuer", "must be a URI or an object with an id");
  if (issuer.id === undefined) add("issuer.id", "required");
  else checkUri(issuer.id, "issuer.id", add);
  for (const name of ["name", "description"]) if (issuer[name] !== undefined) checkLanguageText(issuer[name], `issuer.${name}`, add);
}

const LANGUAGE_VALUE_KEYS = new Set(["@value", "@language", "@direction"]);

/** VC 2.0 §11.1: a string, a language value object (`@value` with optional `@language` / `@direction`, nothing else), or a list of them. */
function checkLanguageText(value: JsonValue, path: string, add: Add): void {
  const one = (v: JsonValue, at: string) => {
    if (typeof v === "string") return;
    if (!isPlainObject(v) || typeof v["@value"] !== "string") return add(at, "must be a string or a language value object with a string @value");
    const extra = Object.keys(v).filter((k) => !LANGUAGE_VALUE_KEYS.has(k));
    if (extra.length > 0) add(at, `a language value object has only @value, @language and @direction (not ${extra.join(", ")})`);
  };
  if (Array.isArray(value)) value.forEach((v, i) => one(v, `${path}[${i}]`));
  else one(value, path);
}

function checkTypes(type: JsonValue | undefined, path: string, required: string, add: Add): void {
  if (type === undefined) return add(path, "required");
  const list = typeof type === "string" ? [type] : Array.isArray(type) ? type : undefined;
  if (list === undefined) return add(path, "must be a string or an array of strings");
  list.forEach((t, i) => {
    if (typeof t !== "string") add(`${path}[${i}]`, "must be a string");
  });
  if (!list.includes(required)) add(path, `must include "${required}"`);
}

function checkUri(value: JsonValue | undefined, path: string, add: Add): void {
  if (value === undefined) add(path, "required (a URI)");
  else if (typeof value !== "string") add(path, "must be a string (a URI)");
  else if (!URI.test(value)) add(path, "must be a URI (scheme:rest, no spaces)");
}

function checkText(value: JsonValue | undefined, path: string, add: Add): void {
  if (value === undefined) add(path, "required");
  else if (typeof value !== "string") add(path, "must be a string");
  else if (value.trim() === "") add(path, "must not be empty");
}
