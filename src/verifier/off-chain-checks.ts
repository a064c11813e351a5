// Checks 1-3 of a verification, without the chain: format, integrity, inclusion. Only the core:
// what the verification pool's worker threads load.
import { bundleDigest, decodeBundle, parseBundle, type Bundle } from "../core/bundle.ts";
import { bytesToHex, hexToBytes } from "../core/encoding.ts";
import { CredanchorError } from "../core/errors.ts";
import { proofFromHex, verifyMerkleProof } from "../core/merkle-proof.ts";
import type { Check, CheckCode } from "./result.ts";

/** A check skipped for `code`'s reason. */
export const skip = (name: Check["name"], code: CheckCode, message: string): Check => ({ name, outcome: "skip", code, message });

function describe(error: unknown): { code: CheckCode; message: string } {
  if (error instanceof CredanchorError) {
    const first = error.details[0];
    return { code: error.code, message: first ? `${error.shortMessage}: ${first.path || "(root)"}: ${first.message}` : error.shortMessage };
  }
  return { code: "INTERNAL", message: (error as Error)?.message ?? String(error) };
}

/** What the checks without the chain found: their outcomes, and the bundle when it parsed. */
export type OffChainResult = { checks: Check[]; bundle?: Bundle };

/**
 * Checks 1-3 (no chain): format, integrity, inclusion. Pure CPU work (field hashes, digest,
 * Merkle proof), so a server may run it on worker threads.
 *
 * @example
 * const { checks, bundle } = checkOffChain(JSON.parse(text));
 */
export function checkOffChain(input: unknown): OffChainResult {
  let bundle: Bundle;
  try {
    bundle = typeof input === "string" ? decodeBundle(input) : parseBundle(input);
  } catch (error) {
    const { code, message } = describe(error);
    return {
      checks: [
        { name: "format", outcome: "fail", code, message },
        ...(["integrity", "inclusion", "anchored", "issuer", "status", "validity"] as const).map((name) =>
          skip(name, "FORMAT_FAILED", "skipped: the bundle could not be read"),
        ),
      ],
    };
  }
  const checks: Check[] = [{ name: "format", outcome: "pass", code: "OK", message: `proof bundle version ${bundle.version}` }];
  let leaf: Uint8Array | undefined;
  try {
    leaf = bundleDigest(bundle).leaf;
    if (bytesToHex(leaf) !== bundle.leaf) {
      checks.push({ name: "integrity", outcome: "fail", code: "LEAF_MISMATCH", message: "the credential, salts and hidden hashes do not recompute to the bundle's leaf: the credential was changed" });
      leaf = undefined;
    } else {
      checks.push({ name: "integrity", outcome: "pass", code: "OK", message: "the disclosed fields, salts and hidden hashes recompute the leaf" });
    }
  } catch (error) {
    const { code, message } = describe(error);
    checks.push({ name: "integrity", outcome: "fail", code, message });
  }
  if (!leaf) {
    checks.push(skip("inclusion", "INTEGRITY_FAILED", "skipped: integrity failed"));
  } else if (verifyMerkleProof(leaf, proofFromHex(bundle.proof)!, hexToBytes(bundle.root, 32)!)) {
    checks.push({ name: "inclusion", outcome: "pass", code: "OK", message: `the Merkle proof (${bundle.proof.length} nodes) leads from the leaf to the root` });
  } else {
    checks.push({ name: "inclusion", outcome: "fail", code: "PROOF_INVALID", message: "the Merkle proof does not lead from the leaf to the root" });
  }
  return { checks, bundle };
}
