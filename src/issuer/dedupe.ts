// Deduplication of submissions by the credential's own `id`, per issuer: which credentials of a request are new, which were seen before.
import { createHmac } from "node:crypto";
import type { JsonObject } from "../core/json.ts";
import type { KnownCredential } from "../store/types.ts";
import type { AcceptedCredential } from "./types.ts";

/**
 * The keyed MAC of a credential's own `id` (absent when it has none): HMAC-SHA-256 under the
 * server secret, bound to the issuer, so a stored MAC neither reveals the id nor can be matched
 * against guessed ids without the secret.
 *
 * @example
 * credentialIdMac(secret, 1, { id: "urn:uuid:…", … }); // Buffer(32)
 */
export function credentialIdMac(secret: Buffer, issuerId: number, credential: unknown): Buffer | undefined {
  const id = (credential as JsonObject | null)?.id;
  if (typeof id !== "string" || id === "") return undefined;
  return createHmac("sha256", secret).update(`credanchor credential id\0${issuerId}\0${id}`).digest();
}

/** Per credential of a request: stored before (its record), the same id earlier in this request (its position), or new (undefined). */
export type Earlier = KnownCredential | number | undefined;

/**
 * Which credentials of a request are new: those without an id, or whose id MAC is neither in
 * `known` nor earlier in the request.
 *
 * @example
 * planSubmission([macA, macA, undefined], new Map()); // [undefined, 0, undefined]
 */
export function planSubmission(macs: readonly (Buffer | undefined)[], known: ReadonlyMap<string, KnownCredential>): Earlier[] {
  const firstAt = new Map<string, number>();
  return macs.map((mac, i) => {
    if (!mac) return undefined;
    const key = mac.toString("hex");
    const stored = known.get(key);
    if (stored) return stored;
    const first = firstAt.get(key);
    if (first !== undefined) return first;
    firstAt.set(key, i);
    return undefined;
  });
}

/**
 * The 202 answer's items in request order: new credentials as stored (`fresh`, by position),
 * the others as the record they repeat, marked `duplicate: true`.
 *
 * @example
 * acceptedInOrder(plan, new Map([[0, { id, statusIndex: 3, state: "queued" }]]));
 */
export function acceptedInOrder(plan: readonly Earlier[], fresh: ReadonlyMap<number, AcceptedCredential>): AcceptedCredential[] {
  return plan.map((earlier, i) => {
    if (earlier === undefined) return fresh.get(i)!;
    // The first occurrence is new, or was stored by a concurrent request meanwhile (then a record).
    const record = typeof earlier === "number" ? ((plan[earlier] as KnownCredential | undefined) ?? fresh.get(earlier)!) : earlier;
    return { id: record.id, statusIndex: record.statusIndex, state: record.state, duplicate: true };
  });
}
