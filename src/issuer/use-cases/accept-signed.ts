// Issuing one signed credential (VC-API): a status index, the caller's signature over the VC, and
// the VC stored for anchoring with its issuer's proof beside it (its own id only as a keyed MAC).
import type { JsonObject } from "../../core/json.ts";
import { credentialIdMac } from "../dedupe.ts";
import { newCredentialId } from "../ids.ts";
import { assertServedIssuer, type IssuerDeps } from "./deps.ts";
import { drawIndices, giveBackIndices, retryIndexRaces } from "./status-indices.ts";

/**
 * Draws a status index, has `sign` build and sign the VC for it (under the service id `id`), and
 * stores it: the content is the VC without its proofs (what the anchor proof will cover), the
 * issuer's proof beside it.
 *
 * @example
 * const { credential } = await acceptSigned(deps, 1, ({ id, statusIndex }) => issueCredential(input, { … }));
 */
export function acceptSigned(
  deps: IssuerDeps,
  issuerId: number,
  sign: (slot: { id: string; statusIndex: number }) => Promise<JsonObject>,
): Promise<{ id: string; statusIndex: number; credential: JsonObject }> {
  return retryIndexRaces(deps, issuerId, () => acceptSignedOnce(deps, issuerId, sign));
}

async function acceptSignedOnce(
  deps: IssuerDeps,
  issuerId: number,
  sign: (slot: { id: string; statusIndex: number }) => Promise<JsonObject>,
): Promise<{ id: string; statusIndex: number; credential: JsonObject }> {
  assertServedIssuer(deps, issuerId);
  const [statusIndex] = await drawIndices(deps, issuerId, 1);
  let stored = false;
  try {
    const createdAt = deps.now();
    const id = newCredentialId(createdAt);
    const credential = await sign({ id, statusIndex: statusIndex! });
    const { proof, ...content } = credential;
    const { chainId, registry } = deps;
    const [prepared] = await deps.pool.prepare([content], [{ chainId, registry, issuerId, statusIndex: statusIndex! }]);
    const vcIdMac = credentialIdMac(deps.secret, issuerId, { id: String(credential.id) })!;
    await deps.store.transaction(async (tx) => {
      await tx.credentials.insertMany([{ id, issuerId, statusIndex: statusIndex!, ...prepared!, createdAt }]);
      await tx.signedCredentials.insert({ credentialId: id, vcIdMac, proof: JSON.stringify(proof) });
    });
    stored = true;
    deps.runtime.onAccepted?.(issuerId, 1);
    return { id, statusIndex: statusIndex!, credential };
  } finally {
    if (!stored) await giveBackIndices(deps, issuerId, [statusIndex!]);
  }
}
