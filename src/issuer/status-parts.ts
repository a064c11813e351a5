// A bulk status change as registry calls that each fit a gas budget, and back: the status bits one
// `updateStatusWords` call sets, read from its calldata (so each landed part is applied exactly).
import { decodeFunctionData, encodeFunctionData, type Hex } from "viem";
import { credentialRegistryAbi } from "../chain/abi.ts";
import type { StatusAction } from "./types.ts";

const ACTION_CODE: Record<StatusAction, number> = { revoke: 0, suspend: 1, reinstate: 2 };

/**
 * Upper bounds of `updateStatusWords` gas, measured on the v1 registry (test/issuer/outbox.test.ts
 * checks them): the transaction and call overhead, and one word written from zero (cold SLOAD +
 * SSTORE 0→non-zero 22,100, plus its 64 calldata bytes, loop and event data).
 */
export const STATUS_CALL_BASE_GAS = 60_000;
export const STATUS_WORD_GAS = 27_000;

/** Most words one status transaction may touch under `gasBudget`. */
export const wordsPerStatusCall = (gasBudget: number): number => Math.max(1, Math.floor((gasBudget - STATUS_CALL_BASE_GAS) / STATUS_WORD_GAS));

/**
 * `updateStatusWords` calldata for `indices`, grouped by 256-bit word (one mask per word) and split
 * into calls of at most `wordsPerStatusCall(gasBudget)` words each, in word order.
 *
 * @example
 * statusCalls("revoke", [3, 70_000], 0, 10_000_000); // one call: two words
 */
export function statusCalls(action: StatusAction, indices: readonly number[], reason: number, gasBudget: number): Hex[] {
  const masks = new Map<bigint, bigint>();
  for (const index of indices) {
    const word = BigInt(index) >> 8n;
    masks.set(word, (masks.get(word) ?? 0n) | (1n << (BigInt(index) & 255n)));
  }
  const words = [...masks.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const perCall = wordsPerStatusCall(gasBudget);
  const calls: Hex[] = [];
  for (let first = 0; first < words.length; first += perCall) {
    const part = words.slice(first, first + perCall);
    calls.push(
      encodeFunctionData({ abi: credentialRegistryAbi, functionName: "updateStatusWords", args: [ACTION_CODE[action], part, part.map((w) => masks.get(w)!), reason] }),
    );
  }
  return calls;
}

/**
 * The status indices an `updateStatusWords` call changes, in ascending order.
 *
 * @example
 * statusIndicesOfCall(statusCalls("suspend", [5, 9], 0, 10_000_000)[0]!); // [5, 9]
 */
export function statusIndicesOfCall(data: Hex): number[] {
  const { args } = decodeFunctionData({ abi: credentialRegistryAbi, data });
  const [, words, masks] = args as readonly [number, readonly bigint[], readonly bigint[], number];
  const indices: number[] = [];
  words.forEach((word, k) => {
    const mask = masks[k]!;
    for (let bit = 0n; bit < 256n; bit++) if ((mask >> bit) & 1n) indices.push(Number((word << 8n) + bit));
  });
  return indices;
}
