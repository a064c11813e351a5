// A credential as a person reads it (achievement, holder, claimed issuer, dates), free of any UI:
// the CLI's `verify --show` and the printable PDF both read credentials through it.
import type { Bundle } from "../core/bundle.ts";
import type { JsonObject, JsonValue } from "../core/json.ts";

/** What a certificate shows. All text comes from the (untrusted) credential: escape it where it is printed. */
export type CertificateFacts = {
  /** Open Badge (an OB 3.0 credential or one with an achievement) or any other credential. */
  kind: "Open Badge" | "Verifiable credential";
  /** The achievement's name, else the credential's name, else its types. */
  title: string;
  description?: string;
  /** The subject's name, else a plain identifier, else its id; absent when hidden. */
  holder?: string;
  /** The issuer as the credential claims it (not verified: compare with the chain's identity). */
  claimedIssuer: { id?: string; name?: string };
  criteria?: string;
  /** Alignments ("name (framework)") and tags. */
  skills: string[];
  /** Unix seconds from the bundle (0: not set). */
  validFrom: number;
  validUntil: number;
  /** Fields the holder withheld (selective disclosure). */
  hiddenCount: number;
};

const obj = (v: JsonValue | undefined): JsonObject | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined);
const str = (v: JsonValue | undefined): string | undefined => (typeof v === "string" && v.trim() ? v.trim() : undefined);
const list = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const types = (v: JsonObject | undefined): string[] => list(v?.type).filter((t): t is string => typeof t === "string");

/** The issuer as the credential claims it: `issuer` (a URL / DID) or `issuer.id`, and `issuer.name`. */
export function claimedIssuer(c: JsonObject): { id?: string; name?: string } {
  const issuer = c.issuer;
  if (typeof issuer === "string") return { id: issuer };
  const o = obj(issuer);
  return { ...(str(o?.id) ? { id: str(o?.id)! } : {}), ...(str(o?.name) ? { name: str(o?.name)! } : {}) };
}

/** OB 3.0 holder: the subject's name, else its identifier (not a hashed one), else its id. */
export function holderOf(subject: JsonObject | undefined): string | undefined {
  if (!subject) return undefined;
  const named = str(subject.name) ?? str(obj(subject.profile)?.name);
  if (named) return named;
  for (const id of list(subject.identifier).map(obj)) {
    const value = str(id?.identityHash);
    const kind = str(id?.identityType);
    if (value && id?.hashed !== true) return kind && kind !== "name" ? `${value} (${kind})` : value;
  }
  return str(subject.id);
}

/** "Name (framework)" of each alignment, and the achievement's tags. */
export function skillsOf(achievement: JsonObject | undefined): string[] {
  const aligned = list(achievement?.alignment)
    .map(obj)
    .flatMap((a) => {
      const name = str(a?.targetName) ?? str(a?.targetCode);
      if (!name) return [];
      const framework = str(a?.targetFramework);
      return [framework ? `${name} (${framework})` : name];
    });
  const tags = list(achievement?.tag).filter((t): t is string => typeof t === "string" && t.trim() !== "");
  return [...aligned, ...tags];
}

/**
 * Reads what a certificate shows from a bundle's (possibly disclosed) credential, mapping Open
 * Badges 3.0 fields; anything missing or hidden is simply absent.
 *
 * @example
 * const { title, holder, claimedIssuer } = readCertificate(bundle); // "Teamwork", "Ada", { name: "Example University", … }
 */
export function readCertificate(bundle: Bundle): CertificateFacts {
  const credential = bundle.credential;
  const subject = obj(list(credential.credentialSubject)[0]);
  const achievement = obj(subject?.achievement);
  const isBadge = types(credential).some((t) => t === "OpenBadgeCredential" || t === "AchievementCredential") || achievement !== undefined;
  const title = str(achievement?.name) ?? str(credential.name) ?? (types(credential).filter((t) => t !== "VerifiableCredential").join(", ") || "Credential");
  const description = str(achievement?.description) ?? str(credential.description);
  const holder = holderOf(subject);
  const criteria = str(obj(achievement?.criteria)?.narrative) ?? str(obj(achievement?.criteria)?.id);
  return {
    kind: isBadge ? "Open Badge" : "Verifiable credential",
    title,
    ...(description ? { description } : {}),
    ...(holder ? { holder } : {}),
    claimedIssuer: claimedIssuer(credential),
    ...(criteria ? { criteria } : {}),
    skills: skillsOf(achievement),
    validFrom: bundle.validFrom,
    validUntil: bundle.validUntil,
    hiddenCount: bundle.hiddenFieldHashes.length + bundle.hiddenElements.length,
  };
}
