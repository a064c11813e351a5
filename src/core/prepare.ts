// The batching fast path: from a credential and its anchoring context to salts, field hashes and digest.
import { credentialDigest, type AnchorContext } from "./digest.ts";
import { ValidationError } from "./errors.ts";
import { hashFields } from "./fields.ts";
import { isPlainObject } from "./json.ts";
import { cryptoSaltSource, type SaltSource } from "./salt.ts";
import { credentialValidity } from "./validity.ts";

export type PreparedCredential = {
  /** 16 bytes per field, in field order: what the holder needs to prove or disclose a field. */
  salts: Uint8Array;
  /** The field hashes, in field order. */
  fieldHashes: Uint8Array[];
  /** The credential digest (32 bytes); its Merkle leaf is `credentialLeaf(digest)`. */
  digest: Uint8Array;
  /** Unix seconds the digest committed to (0: absent). */
  validFrom: number;
  validUntil: number;
};

/**
 * Salts and hashes every field of `credential` and computes its digest for `context`.
 *
 * This is what the batcher calls per credential: it checks that the credential is a plain JSON
 * object within the limits and that its dates parse, but not the VC / Open Badges rules (run
 * `validateCredential` once when accepting it). The credential is not copied: do not mutate it
 * until this returns.
 *
 * @param saltSource - defaults to the platform CSPRNG; inject one only for vectors and tests.
 * @throws ValidationError (`CREDENTIAL_INVALID`, `CONTEXT_INVALID`), JsonError for non-JSON values.
 *
 * @example
 * const { salts, fieldHashes, digest } = prepareCredential(badge, { chainId: 31337, registry, issuerId: 1, statusIndex: 7 });
 * const leaf = credentialLeaf(digest);
 */
export function prepareCredential(credential: unknown, context: AnchorContext, saltSource: SaltSource = cryptoSaltSource): PreparedCredential {
  if (!isPlainObject(credential)) {
    throw new ValidationError("a credential must be a JSON object", { code: "CREDENTIAL_INVALID", details: [{ path: "", message: "must be a JSON object" }] });
  }
  const window = credentialValidity(credential);
  const { salts, hashes } = hashFields(credential, saltSource);
  const digest = credentialDigest({ context, validFrom: window.validFrom, validUntil: window.validUntil, fieldHashes: hashes });
  return { salts, fieldHashes: hashes, digest, ...window };
}
