// Pins the core's address checks to viem's (strict isAddress, EIP-55 checksums) on published and random addresses.
import { expect } from "chai";
import { getAddress, isAddress as viemIsAddress } from "viem";
import { checksumAddress, isAddress } from "../../src/core/address.ts";

/** Deterministic pseudo-random hex digits, so a failure names an input one can replay. */
function hexOf(length: number, seed: number): string {
  let x = seed * 2654435761 + 1;
  let out = "";
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out += (x & 0x0f).toString(16);
  }
  return out;
}

describe("core/address", () => {
  it("default: EIP-55's published checksums", () => {
    for (const address of ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]) {
      expect(checksumAddress(address.toLowerCase())).to.equal(address);
      expect(isAddress(address)).to.equal(true);
    }
  });

  it("behavior: answers as viem's isAddress on random addresses in every casing, and on broken ones", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const lower = `0x${hexOf(40, seed)}`;
      const checksummed = getAddress(lower);
      expect(checksumAddress(lower), lower).to.equal(checksummed);
      const letter = checksummed.slice(2).search(/[a-fA-F]/) + 2;
      const flipped = letter < 2 ? checksummed : checksummed.slice(0, letter) + (checksummed[letter] === checksummed[letter]!.toUpperCase() ? checksummed[letter]!.toLowerCase() : checksummed[letter]!.toUpperCase()) + checksummed.slice(letter + 1);
      const cases = [
        lower,
        checksummed,
        flipped,
        `0x${lower.slice(2).toUpperCase()}`,
        lower.slice(0, 41),
        `${lower}0`,
        lower.slice(2),
        `0X${lower.slice(2)}`,
        `${lower.slice(0, 10)}g${lower.slice(11)}`,
        ` ${lower}`,
      ];
      for (const value of cases) expect(isAddress(value), value).to.equal(viemIsAddress(value));
    }
  });
});
