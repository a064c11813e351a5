// Status indices drawn at random within an issuer's list (W3C Bitstring Status List's advice),
// so an index says nothing about issue order and neighbours in a word are unrelated people.
import { randomInt } from "node:crypto";
import { CredanchorError, ServiceError } from "../core/errors.ts";

/** Indices must fit the digest's uint32 and the contract's word range. */
export const MAX_LIST_SIZE = 2 ** 32;

/**
 * The taken indices of one issuer's list, in memory (one bit each), with random allocation.
 * The list doubles when it would pass half full, so a draw needs about two tries at most. It
 * never grows by itself: the caller first checks the new range on-chain (bits set there by the
 * issuer's keys outside this service must never be handed out) and then calls {@link grow}.
 */
export class StatusIndexAllocator {
  #bits: Uint8Array;
  #size: number;
  #used = 0;

  constructor(size: number, taken: Iterable<number> = []) {
    this.#size = size;
    this.#bits = new Uint8Array(Math.ceil(size / 8));
    this.markTaken(taken);
  }

  get size(): number {
    return this.#size;
  }

  get used(): number {
    return this.#used;
  }

  /** Marks indices taken (already given out, or set on-chain); indices past the list are ignored. */
  markTaken(indices: Iterable<number>): void {
    for (const index of indices) {
      if (index >= this.#size) continue;
      const byte = index >>> 3;
      const bit = 1 << (index & 7);
      if ((this.#bits[byte]! & bit) === 0) {
        this.#bits[byte]! |= bit;
        this.#used++;
      }
    }
  }

  /**
   * The list size needed to draw `count` more indices and stay at most half full (the current
   * size if it suffices).
   *
   * @throws ServiceError `STATUS_LIST_FULL` when even the largest list cannot hold them.
   *
   * @example
   * const size = allocator.sizeFor(1000);
   * if (size > allocator.size) allocator.grow(size, await setBitsOnChain(allocator.size, size));
   */
  sizeFor(count: number): number {
    const need = this.#used + count;
    let size = this.#size;
    while (need * 2 > size && size < MAX_LIST_SIZE) size = Math.min(size * 2, MAX_LIST_SIZE);
    if (need > size) throw new ServiceError("the issuer's status list is full", { code: "STATUS_LIST_FULL" });
    return size;
  }

  /** Extends the list to `size`, marking `taken` (the new range's bits set on-chain). */
  grow(size: number, taken: Iterable<number> = []): void {
    if (size <= this.#size) return;
    const bits = new Uint8Array(Math.ceil(size / 8));
    bits.set(this.#bits);
    this.#bits = bits;
    this.#size = size;
    this.markTaken(taken);
  }

  /** Draws `count` free indices at random and marks them taken; {@link sizeFor} must fit the current size. */
  allocate(count: number): number[] {
    if (this.sizeFor(count) > this.#size) throw new CredanchorError(`the status list must grow (checked on-chain) before ${count} more indices are drawn`);
    const out: number[] = [];
    for (let k = 0; k < count; k++) {
      let index: number;
      do index = randomInt(0, this.#size);
      while ((this.#bits[index >>> 3]! & (1 << (index & 7))) !== 0);
      this.markTaken([index]);
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
