// Pins keccak256 (WebAssembly kernel) to published vectors, to noble on every length that matters, and its binary to its generator.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { keccak256 } from "../../src/core/keccak.ts";
import { createKeccakWasm, KECCAK_WASM_DATA_OFFSET } from "../../src/core/keccak-wasm.ts";
import { keccakWasmBase64 } from "../../src/core/keccak-wasm-binary.ts";
import { generateKeccakWasm, KECCAK_WASM_LAYOUT, renderKeccakWasmModule } from "../../scripts/gen-keccak-wasm.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const text = (s: string) => new TextEncoder().encode(s);

/** Deterministic pseudo-random bytes, so a failure names an input one can replay. */
function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe("core/keccak", () => {
  it("default: published keccak256 vectors", () => {
    expect(hex(keccak256(new Uint8Array()))).to.equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    expect(hex(keccak256(text("abc")))).to.equal("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    expect(hex(keccak256(text("The quick brown fox jumps over the lazy dog")))).to.equal(
      "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15",
    );
  });

  it("behavior: equals noble for every length 0..300 (rate boundaries 135/136/137, 271/272/273)", () => {
    for (let length = 0; length <= 300; length++) {
      for (const seed of [1, 2]) {
        const data = bytesOf(length, seed * 1000 + length);
        expect(hex(keccak256(data)), `length ${length}`).to.equal(hex(keccak_256(data)));
      }
    }
  });

  it("behavior: equals noble beyond the shared kernel (1 MiB + 7, its own memory)", () => {
    const data = bytesOf(1024 * 1024 + 7, 3);
    expect(hex(keccak256(data))).to.equal(hex(keccak_256(data)));
  });

  it("behavior: does not change or keep its input; a subarray view hashes its own bytes", () => {
    const data = bytesOf(100, 4);
    const copy = data.slice();
    const digest = keccak256(data.subarray(10, 74));
    expect(hex(data)).to.equal(hex(copy));
    expect(hex(digest)).to.equal(hex(keccak_256(copy.subarray(10, 74))));
  });

  it("behavior: kernel hash32, hashPair (sorted) and doubleHash32 equal noble", () => {
    const kernel = createKeccakWasm(KECCAK_WASM_DATA_OFFSET + 4096)!;
    const bytes = new Uint8Array(kernel.memory.buffer);
    const at = KECCAK_WASM_DATA_OFFSET;
    for (let seed = 0; seed < 50; seed++) {
      const a = bytesOf(32, seed);
      const b = bytesOf(32, seed + 500);
      if (seed % 10 === 0) b.set(a.subarray(0, seed % 31)); // common prefixes exercise the comparison
      if (seed === 40) b.set(a); // equal values
      bytes.set(a, at);
      bytes.set(b, at + 32);
      kernel.exports.hash32(at, at + 64);
      expect(hex(bytes.subarray(at + 64, at + 96))).to.equal(hex(keccak_256(a)));
      kernel.exports.hashPair(at, at + 32, at + 64);
      const [lo, hi] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
      expect(hex(bytes.subarray(at + 64, at + 96))).to.equal(hex(keccak_256(new Uint8Array([...lo, ...hi]))));
      kernel.exports.hashPair(at + 32, at, at + 96);
      expect(hex(bytes.subarray(at + 96, at + 128))).to.equal(hex(bytes.subarray(at + 64, at + 96)));
      kernel.exports.doubleHash32(at, 2);
      expect(hex(bytes.subarray(at, at + 32))).to.equal(hex(keccak_256(keccak_256(a))));
      expect(hex(bytes.subarray(at + 32, at + 64))).to.equal(hex(keccak_256(keccak_256(b))));
    }
  });

  it("behavior: the committed binary is what scripts/gen-keccak-wasm.ts generates (rerun it after editing)", () => {
    const committed = readFileSync(new URL("../../src/core/keccak-wasm-binary.ts", import.meta.url), "utf8");
    expect(committed).to.equal(renderKeccakWasmModule());
    expect(keccakWasmBase64).to.equal(Buffer.from(generateKeccakWasm()).toString("base64"));
    expect(KECCAK_WASM_LAYOUT.data).to.equal(KECCAK_WASM_DATA_OFFSET);
  });

  it("behavior: the module stays under 4 KiB, the most Chrome compiles synchronously on a main thread", () => {
    expect(generateKeccakWasm().length).to.be.below(4096);
  });
});
