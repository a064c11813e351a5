// Which chain errors end an outbox item and which are worth retrying: the sender asks this before
// it backs off, so a call that will always revert never holds back the signer's later work.
import { BaseError, decodeErrorResult, type Hex } from "viem";
import { credentialRegistryV1Abi, credentialRegistryV2Abi } from "./abi.ts";

/** What the outbox does with an item whose call failed. */
export type RevertClass =
  /** Retry after a backoff (RPC down, nonce race, underpriced, a revert we cannot name). */
  | "transient"
  /** It will always revert: close the item as failed, with the reason. */
  | "final"
  /** The effect is already on-chain (e.g. the root is already revoked): close the item as done. */
  | "done"
  /** The batch's root is anchored already: by our issuer (record that anchor) or by someone else (the batch gets a new root). */
  | "taken";

export type RevertVerdict = {
  class: RevertClass;
  /** A bounded name for metrics: the custom error's name, `GasLimitExceeded`, or `Unknown`. */
  failure: string;
  /** One line for people: the decoded error with its arguments, or the node's message. */
  reason: string;
};

/** The registry's custom error inside a viem error, decoded, if there is one. */
export function decodeRegistryError(error: unknown): { name: string; args: readonly unknown[] } | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string") as { data?: Hex } | null;
  if (!withData?.data || withData.data.length < 10) return undefined;
  // Either registry version's errors (v2 first: new deployments).
  for (const abi of [credentialRegistryV2Abi, credentialRegistryV1Abi]) {
    try {
      const decoded = decodeErrorResult({ abi, data: withData.data });
      return { name: decoded.errorName, args: decoded.args ?? [] };
    } catch {
      // not one of this version's: try the next
    }
  }
  return undefined; // not one of ours
}

// A transaction that needs more gas than one transaction (or block) may use never fits, whatever
// we pay: the node refuses it before it reaches the pool.
// (A simulation that "ran out of gas" failed at the node's cap: no gas limit we may set is enough.)
const GAS_CAP = /ran out of gas|exceeds (the )?(block )?gas limit|gas limit (is )?too high|transaction gas limit|exceeds (the )?(configured |transaction )?(gas )?cap|gas required exceeds allowance|intrinsic gas too (low|high)/i;

/**
 * Classifies a failed registry call of an outbox item of `kind`.
 *
 * Decoded custom errors of the registry are deterministic given the chain's state, so they are
 * final, except: "already revoked" on a root revocation is done; "already anchored" on an anchor
 * means the root was taken; "not anchored" on a root revocation is transient (we only revoke roots
 * we anchored, so it can only be a reorg that has not re-included our anchor yet).
 *
 * @example
 * classifyChainError("revokeRoot", error); // { class: "done", failure: "AnchorRootAlreadyRevoked", reason: "AnchorRootAlreadyRevoked(0x…)" }
 */
export function classifyChainError(kind: string, error: unknown): RevertVerdict {
  const decoded = decodeRegistryError(error);
  if (decoded) {
    const reason = `${decoded.name}(${decoded.args.map(String).join(", ")})`;
    const verdict = (c: RevertClass): RevertVerdict => ({ class: c, failure: decoded.name, reason });
    if (decoded.name === "AnchorRootAlreadyRevoked" && kind === "revokeRoot") return verdict("done");
    if (decoded.name === "AnchorRootAlreadyAnchored" && kind === "anchor") return verdict("taken");
    if (decoded.name === "AnchorRootNotAnchored" && kind === "revokeRoot") return verdict("transient");
    return verdict("final");
  }
  const message = error instanceof BaseError ? `${error.shortMessage} ${error.details ?? ""} ${error.message}` : String((error as Error)?.message ?? error);
  const reason = error instanceof BaseError ? error.shortMessage : message.split("\n")[0]!;
  if (GAS_CAP.test(message)) return { class: "final", failure: "GasLimitExceeded", reason: `too large for one transaction: ${reason}` };
  return { class: "transient", failure: "Unknown", reason };
}

/** Whether a node's refusal of a raw transaction can never change (so the nonce was never used). */
export const isPermanentBroadcastError = (error: unknown): boolean => classifyChainError("broadcast", error).failure === "GasLimitExceeded";
