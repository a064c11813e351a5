// The Data Integrity suites credanchor signs and verifies with: eddsa-rdfc-2022 (ours), eddsa-jcs-2022 and legacy Ed25519Signature2020 (verify only).
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { Ed25519Signature2020 } from "@digitalbazaar/ed25519-signature-2020";
import { createVerifyCryptosuite as eddsaJcs2022 } from "@digitalbazaar/eddsa-jcs-2022-cryptosuite";
import { fastEddsaRdfc2022 } from "./canonize.ts";
import type { Signer } from "./keys.ts";

/** The cryptosuite of the issuer's signature. */
export const EDDSA_CRYPTOSUITE = "eddsa-rdfc-2022";

/**
 * A signing suite: DataIntegrityProof / eddsa-rdfc-2022 by `signer`, canonicalising through
 * {@link fastEddsaRdfc2022} (the same N-Quads as Digital Bazaar's cryptosuite, compiled per shape).
 *
 * @param date - the proof's `created` (default: now).
 *
 * @example
 * const suite = signingSuite(key.signer());
 */
export function signingSuite(signer: Signer, date?: Date | string): unknown {
  return new DataIntegrityProof({ signer, cryptosuite: fastEddsaRdfc2022, ...(date === undefined ? {} : { date }) });
}

/** The signature kinds a verification accepts, by `cryptosuite` (Data Integrity) or proof `type` (legacy). */
export const VERIFIABLE_SIGNATURES = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"] as const;

/**
 * The suites a verification accepts, for `@digitalbazaar/vc`'s `suite` option: each matches
 * only proofs of its own type and cryptosuite (our anchor proof matches none of them).
 *
 * @param only - restrict to these signature kinds (each suite costs a match per proof).
 *
 * @example
 * await vc.verifyCredential({ credential, suite: verifyingSuites(), documentLoader });
 */
export function verifyingSuites(only: readonly string[] = VERIFIABLE_SIGNATURES): unknown[] {
  const suites: unknown[] = [];
  if (only.includes("eddsa-rdfc-2022")) suites.push(new DataIntegrityProof({ cryptosuite: fastEddsaRdfc2022 }));
  if (only.includes("eddsa-jcs-2022")) suites.push(new DataIntegrityProof({ cryptosuite: eddsaJcs2022() }));
  if (only.includes("Ed25519Signature2020")) suites.push(new Ed25519Signature2020());
  return suites;
}
