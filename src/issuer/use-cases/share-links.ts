// Share links (issue 15): a holder-facing link serving one disclosed bundle of a credential. Made
// by the issuer (API key) or the holder (the credential's holder key), revocable by both,
// expiring if asked. Only SHA-256s of link secrets and holder keys are stored; the link's row
// holds the disclosed bundle alone (hidden values never reach it).
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { encodeBundle, type Bundle } from "../../core/bundle.ts";
import { discloseBundle } from "../../core/bundle-disclosure.ts";
import { ServiceError } from "../../core/errors.ts";
import type { CredentialRow, ShareLinkRow } from "../../store/types.ts";
import type { Principal } from "../types.ts";
import { iso, type IssuerDeps } from "./deps.ts";
import { credentialRowFor, credentialViewOf } from "./views.ts";

/** A share link's token: public id, then a 256-bit secret (base64url). */
export const SHARE_TOKEN = /^csl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** A holder key: a 256-bit secret (base64url). */
export const HOLDER_KEY = /^chk_[A-Za-z0-9_-]{43}$/;

/** Who acts on a credential's links: an API key that may see it, or whoever holds its holder key. */
export type ShareActor = { principal: Principal } | { holderKey: string };
export type ShareLinkOrigin = "issuer" | "holder" | "pdf";
export type ShareLinkView = {
  id: string;
  credentialId: string;
  state: "active" | "expired" | "revoked";
  hidden: string[];
  createdBy: ShareLinkOrigin;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
};
export type CreatedShareLink = ShareLinkView & { token: string };

const sha256 = (text: string) => createHash("sha256").update(text).digest();
const secret = () => randomBytes(32).toString("base64url");

/** Whether `given`'s SHA-256 is `stored`, in constant time. */
const matches = (given: string, stored: Buffer) => {
  const hash = sha256(given);
  return hash.length === stored.length && timingSafeEqual(hash, stored);
};

/**
 * A new holder key for a credential, replacing (and so revoking) any earlier one; shown only here.
 * The issuer hands it to the holder with the bundle: with it the holder lists, creates and
 * revokes the credential's share links, with no account.
 *
 * @throws ServiceError `NOT_FOUND`, `GONE` (erased).
 *
 * @example
 * const { holderKey } = await createHolderKey(deps, principal, "0192…"); // "chk_…"
 */
export async function createHolderKey(deps: IssuerDeps, principal: Principal, credentialId: string): Promise<{ credentialId: string; holderKey: string; createdAt: string }> {
  const row = await credentialRowFor(deps, principal, credentialId);
  if (row.erased_at !== null) throw new ServiceError(`credential ${credentialId} was erased`, { code: "GONE" });
  const holderKey = `chk_${secret()}`;
  const at = deps.now();
  await deps.store.shareLinks.setHolderKey({ credential_id: credentialId, secret_hash: sha256(holderKey), created_at: at });
  return { credentialId, holderKey, createdAt: iso(at)! };
}

/** The credential `actor` may act on; a wrong holder key is answered as an unknown credential would be (401). */
async function credentialFor(deps: IssuerDeps, actor: ShareActor, credentialId: string): Promise<CredentialRow> {
  if ("principal" in actor) return credentialRowFor(deps, actor.principal, credentialId);
  const [row, key] = await Promise.all([deps.store.credentials.get(credentialId), deps.store.shareLinks.holderKey(credentialId)]);
  // Hash and compare even when nothing is stored, so timing does not tell the two apart.
  const ok = matches(actor.holderKey, key?.secret_hash ?? Buffer.alloc(32));
  if (!row || !key || !ok) throw new ServiceError("the holder key is not valid for this credential", { code: "UNAUTHORIZED" });
  return row;
}

function viewOf(row: ShareLinkRow, now: number): ShareLinkView {
  const expired = row.expires_at !== null && row.expires_at <= now;
  const view: ShareLinkView = {
    id: row.id,
    credentialId: row.credential_id,
    state: row.revoked_at !== null ? "revoked" : expired ? "expired" : "active",
    hidden: JSON.parse(row.hidden) as string[],
    createdBy: row.created_by as ShareLinkOrigin,
    createdAt: iso(row.created_at)!,
  };
  if (row.expires_at !== null) view.expiresAt = iso(row.expires_at)!;
  if (row.revoked_at !== null) view.revokedAt = iso(row.revoked_at)!;
  return view;
}

/**
 * A new share link to the credential's bundle with the fields at `hide` removed (their salted
 * hashes stay, so it verifies against the same anchor). Only that derived bundle is stored for
 * the link. The token is shown only here.
 *
 * @throws ServiceError `NOT_FOUND` / `UNAUTHORIZED` (not the actor's), `GONE` (erased),
 * `CONFLICT` (not anchored yet), `DISCLOSURE_INVALID`, `REQUEST_INVALID` (expiry not in the future).
 *
 * @example
 * const { token } = await createShareLink(deps, { holderKey }, "0192…", { hide: ["/credentialSubject/birthDate"] });
 */
export async function createShareLink(
  deps: IssuerDeps,
  actor: ShareActor,
  credentialId: string,
  request: { hide?: readonly string[]; expiresAt?: string },
): Promise<CreatedShareLink> {
  const now = deps.now();
  const expiresAt = request.expiresAt === undefined ? null : Date.parse(request.expiresAt);
  if (expiresAt !== null && !(expiresAt > now)) {
    throw new ServiceError("the request is malformed", { code: "REQUEST_INVALID", details: [{ path: "expiresAt", message: "must be a date-time in the future" }] });
  }
  const bundle = await shareableBundle(deps, actor, credentialId);
  const hidden = [...new Set(request.hide ?? [])];
  const id = randomBytes(8).toString("hex");
  const token = `csl_${id}_${secret()}`;
  const createdBy = "holderKey" in actor ? "holder" : "issuer";
  const stored = linkRow({ id, token, credentialId, bundle: encodeBundle(discloseBundle(bundle, hidden)), hidden, createdBy, now, expiresAt });
  await deps.store.shareLinks.insert(stored);
  await purgeExpiredShareLinks(deps);
  return { ...viewOf({ ...stored, revoked_at: null }, now), token };
}

/** The anchored bundle of a credential `actor` may share. @throws ServiceError `NOT_FOUND` / `UNAUTHORIZED`, `GONE`, `CONFLICT` (not anchored yet). */
async function shareableBundle(deps: IssuerDeps, actor: ShareActor, credentialId: string): Promise<Bundle> {
  const row = await credentialFor(deps, actor, credentialId);
  if (row.erased_at !== null) throw new ServiceError(`credential ${credentialId} was erased`, { code: "GONE" });
  const view = await credentialViewOf(deps, row);
  if (!view.bundle) throw new ServiceError(`credential ${credentialId} is ${view.state}: it can be shared once it is anchored`, { code: "CONFLICT" });
  return view.bundle;
}

/** A new link's row: only its token's hash is kept. */
function linkRow(l: { id: string; token: string; credentialId: string; bundle: string; hidden: readonly string[]; createdBy: ShareLinkOrigin; now: number; expiresAt: number | null }): Omit<ShareLinkRow, "revoked_at"> {
  return { id: l.id, credential_id: l.credentialId, secret_hash: sha256(l.token), bundle: l.bundle, hidden: JSON.stringify(l.hidden), created_by: l.createdBy, created_at: l.now, expires_at: l.expiresAt };
}

/** Generation `n` of a credential's printed link: its id and token, HMACs of the credential id under the server secret. */
function printedToken(deps: IssuerDeps, credentialId: string, n: number): { id: string; token: string } {
  const mac = (use: string) => createHmac("sha256", deps.secret).update(`credanchor printed share link\0${use}\0${credentialId}\0${n}`).digest();
  const id = mac("id").subarray(0, 8).toString("hex");
  return { id, token: `csl_${id}_${mac("secret").toString("base64url")}` };
}

/**
 * The share link a printed certificate (PDF) of a credential too large for a QR code carries:
 * its whole bundle, made by "pdf". Every PDF made while that link is active prints the same one,
 * so downloading a certificate again neither changes its code nor stores another copy of the
 * credential. Its id and secret are HMACs of the credential id under the server secret
 * (generation n, from 0): only the token's hash is stored, as for any link. Once it is revoked,
 * the next PDF makes generation n + 1.
 *
 * @throws ServiceError as {@link createShareLink}.
 *
 * @example
 * const { token } = await printedShareLink(deps, { principal }, "0192…"); // the same token until revoked
 */
export async function printedShareLink(deps: IssuerDeps, actor: ShareActor, credentialId: string): Promise<CreatedShareLink> {
  const bundle = await shareableBundle(deps, actor, credentialId);
  const now = deps.now();
  const links = new Map((await deps.store.shareLinks.list(credentialId)).map((row) => [row.id, row]));
  for (let n = 0; ; n++) {
    const { id, token } = printedToken(deps, credentialId, n);
    let held = links.get(id);
    if (!held) {
      const stored = linkRow({ id, token, credentialId, bundle: encodeBundle(discloseBundle(bundle, [])), hidden: [], createdBy: "pdf", now, expiresAt: null });
      // Two PDFs asked at once both try to store it: the one that loses reads the winner's.
      held = await deps.store.shareLinks.insert(stored).then(
        () => ({ ...stored, revoked_at: null }),
        () => deps.store.shareLinks.get(id),
      );
      if (!held) throw new ServiceError("the printed share link could not be stored; try again", { code: "STORAGE_UNAVAILABLE" });
    }
    // Another credential's link at this id (64-bit ids met), or revoked: the next generation.
    if (held.credential_id === credentialId && held.revoked_at === null) return { ...viewOf(held, now), token };
  }
}

/**
 * The credential's share links (never a token), oldest first.
 *
 * @example
 * const links = await listShareLinks(deps, { principal }, "0192…");
 */
export async function listShareLinks(deps: IssuerDeps, actor: ShareActor, credentialId: string): Promise<ShareLinkView[]> {
  await credentialFor(deps, actor, credentialId);
  const now = deps.now();
  return (await deps.store.shareLinks.list(credentialId)).map((row) => viewOf(row, now));
}

/**
 * Revokes one of the credential's links: it stops opening at once and its bundle is dropped.
 * Revoking twice answers the same.
 *
 * @throws ServiceError `NOT_FOUND` (no such link of this credential), `UNAUTHORIZED`.
 *
 * @example
 * const { state } = await revokeShareLink(deps, { holderKey }, "0192…", "3f2a9c0d11e4b7a5"); // "revoked"
 */
export async function revokeShareLink(deps: IssuerDeps, actor: ShareActor, credentialId: string, linkId: string): Promise<ShareLinkView> {
  await credentialFor(deps, actor, credentialId);
  const link = await deps.store.shareLinks.get(linkId);
  if (!link || link.credential_id !== credentialId) throw new ServiceError(`no share link ${linkId} of credential ${credentialId}`, { code: "NOT_FOUND" });
  const now = deps.now();
  await deps.store.shareLinks.revoke(linkId, now);
  return viewOf((await deps.store.shareLinks.get(linkId)) ?? { ...link, revoked_at: now }, now);
}

/**
 * What a share link serves: its disclosed bundle (canonical JSON). Anyone holding the token may
 * open it; the verifier still checks the bundle against the chain.
 *
 * @throws ServiceError `NOT_FOUND` (unknown token, wrong secret, or the credential erased),
 * `SHARE_LINK_REVOKED`, `SHARE_LINK_EXPIRED`.
 *
 * @example
 * const bundleJson = await openShareLink(deps, "csl_3f2a9c0d11e4b7a5_…");
 */
export async function openShareLink(deps: IssuerDeps, token: string): Promise<string> {
  const id = SHARE_TOKEN.exec(token)?.[1];
  const row = id === undefined ? undefined : await deps.store.shareLinks.get(id);
  const ok = matches(token, row?.secret_hash ?? Buffer.alloc(32));
  if (!row || !ok) throw new ServiceError("no such share link", { code: "NOT_FOUND" });
  const now = deps.now();
  if (row.revoked_at !== null) throw new ServiceError(`this share link was revoked at ${iso(row.revoked_at)}: ask the holder for a new one`, { code: "SHARE_LINK_REVOKED" });
  if ((row.expires_at !== null && row.expires_at <= now) || row.bundle === null) {
    await purgeExpiredShareLinks(deps);
    throw new ServiceError(`this share link expired at ${iso(row.expires_at)}: ask the holder for a new one`, { code: "SHARE_LINK_EXPIRED" });
  }
  return row.bundle;
}

/**
 * Drops the bundles of expired links (their rows stay, so they answer 410, not 404); a failure is
 * logged (the caller's own step went through).
 *
 * @example
 * await purgeExpiredShareLinks(deps); // at start, and whenever a link is made or found expired
 */
export async function purgeExpiredShareLinks(deps: IssuerDeps): Promise<void> {
  try {
    await deps.store.shareLinks.purgeExpired(deps.now());
  } catch (error) {
    deps.log?.("warn", "dropping expired share links' bundles failed; the next one retries", { error: (error as Error).message });
  }
}
