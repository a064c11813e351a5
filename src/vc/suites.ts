// The Data Integrity suites credanchor signs and verifies with: eddsa-rdfc-2022 (ours), eddsa-jcs-2022 and legacy Ed25519Signature2020 (verify only).
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { Ed25519Signature2020 } from "@digitalbazaar/ed25519-signature-2020";
import { createVerifyCryptosuite as eddsaJcs2022 } from "@digitalbazaar/eddsa-jcs-2022-cryptosuite";
import { cryptosuite as eddsaRdfc2022 } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import type { Signer } from "./keys.ts";

/** The cryptosuite of the issuer's signature. */
export const EDDSA_CRYPTOSUITE = "eddsa-rdfc-2022";

/**
 * A signing suite: DataIntegrityProof / eddsa-rdfc-2022 by `signer`.
 *
 * @param date - the proof's `created` (default: now).
 *
 * @example
 * const suite = signingSuite(key.signer());
 */
export function signingSuite(signer: Signer, date?: Date | string): unknown {
  return new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022, ...(date === undefined ? {} : { date }) });
}

/**
 * Every suite a verification accepts, for `@digitalbazaar/vc`'s `suite` option: each matches
 * only proofs of its own type and cryptosuite (our anchor proof matches none of them).
 *
 * @example
 * await vc.verifyCredential({ credential, suite: verifyingSuites(), documentLoader });
 */
export function verifyingSuites(): unknown[] {
  return [new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }), new DataIntegrityProof({ cryptosuite: eddsaJcs2022() }), new Ed25519Signature2020()];
}
