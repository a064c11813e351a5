// Ethereum address checks with the core's own keccak: modules that need only these (the preparation threads) load no viem.
import { keccak256 } from "./keccak.ts";

const ADDRESS = /^0x[a-fA-F0-9]{40}$/;

/**
 * The EIP-55 checksummed form of a `0x` address of 40 hex digits (its casing is ignored; the
 * input is not validated: check it with {@link isAddress} first).
 *
 * @example
 * checksumAddress("0x787bc77f1700dce0f8c1581c18a12d3153d1b150"); // "0x787bc77F1700DCE0f8c1581c18A12d3153D1B150"
 */
export function checksumAddress(address: string): `0x${string}` {
  const lower = address.slice(2).toLowerCase();
  const hash = keccak256(new TextEncoder().encode(lower));
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    const nibble = i % 2 === 0 ? hash[i >> 1]! >> 4 : hash[i >> 1]! & 0x0f;
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out as `0x${string}`;
}

/**
 * Whether `value` is a 20-byte `0x` address: 40 hex digits, all lowercase or in their EIP-55
 * checksummed casing (any other mixed or upper casing is refused). Answers as viem's
 * `isAddress` in its default strict mode (a differential test holds them together).
 *
 * @example
 * isAddress("0x787bc77F1700DCE0f8c1581c18A12d3153D1B150"); // true
 * isAddress("0x787bc77F1700DCE0f8c1581c18A12d3153D1b150"); // false: one letter's case changed
 */
export function isAddress(value: string): boolean {
  if (!ADDRESS.test(value)) return false;
  return value.toLowerCase() === value || checksumAddress(value) === value;
}
