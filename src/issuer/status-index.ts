// Status indices drawn at random within an issuer's list (W3C Bitstring Status List's advice),
// so an index says nothing about issue order and neighbours in a word are unrelated people.
import { randomInt } from "node:crypto";
import { ServiceError } from "../core/errors.ts";

/** Indices must fit the digest's uint32 and the contract's word range. */
export const MAX_LIST_SIZE = 2 ** 32;

/**
 * The taken indices of one issuer's list, in memory (one bit each), with random allocation.
 * The list doubles when it is half full, so a draw needs about two tries at most.
 */
export class StatusIndexAllocator {
  #bits: Uint8Array;
  #size: number;
  #used = 0;

  constructor(size: number, taken: Iterable<number> = []) {
    this.#size = size;
    this.#bits = new Uint8Array(Math.ceil(size / 8));
    for (const index of taken) this.#mark(index);
  }

  get size(): number {
    return this.#size;
  }

  get used(): number {
    return this.#used;
  }

  #mark(index: number): void {
    if (index >= this.#size) this.#grow(index + 1);
    const byte = index >>> 3;
    const bit = 1 << (index & 7);
    if ((this.#bits[byte]! & bit) === 0) {
      this.#bits[byte]! |= bit;
      this.#used++;
    }
  }

  #grow(atLeast: number): void {
    let size = this.#size;
    while (size < atLeast || this.#used * 2 >= size) size *= 2;
    if (size > MAX_LIST_SIZE) {
      if (atLeast > MAX_LIST_SIZE || this.#used >= MAX_LIST_SIZE) {
        throw new ServiceError("the issuer's status list is full", { code: "STATUS_LIST_FULL" });
      }
      size = MAX_LIST_SIZE;
    }
    const bits = new Uint8Array(Math.ceil(size / 8));
    bits.set(this.#bits);
    this.#bits = bits;
    this.#size = size;
  }

  /** Draws `count` free indices at random and marks them taken. */
  allocate(count: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < count; k++) {
      if (this.#used * 2 >= this.#size) this.#grow(this.#size + 1);
      let index: number;
      do index = randomInt(0, this.#size);
      while ((this.#bits[index >>> 3]! & (1 << (index & 7))) !== 0);
      this.#mark(index);
      out.push(index);
    }
    return out;
  }

  /** Gives indices back (their transaction did not commit). */
  release(indices: readonly number[]): void {
    for (const index of indices) {
      const byte = index >>> 3;
      const bit = 1 << (index & 7);
      if ((this.#bits[byte]! & bit) !== 0) {
        this.#bits[byte]! &= ~bit;
        this.#used--;
      }
    }
  }
}
