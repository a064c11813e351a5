// Instantiates the WebAssembly keccak kernel synchronously, in Node and browsers alike.
import { keccakWasmBase64 } from "./keccak-wasm-binary.ts";

/** First byte of a kernel's memory free for callers; the kernel keeps its state below it. */
export const KECCAK_WASM_DATA_OFFSET = 1024;

/** Largest memory a kernel can have: wasm32 addresses at most 4 GiB. */
export const KECCAK_WASM_MAX_BYTES = 65536 * 65536;

/**
 * The kernel's exported functions. Every address is a byte offset into `memory`; every value
 * is 32 bytes. None of them allocate, so one call can hash millions of values without
 * crossing back into JavaScript.
 */
export interface KeccakWasmExports {
  /** keccak256 of `blocks` already padded 136-byte blocks at `ptr`, written to `out`. */
  hashBlocks(ptr: number, blocks: number, out: number): void;
  /** keccak256 of the 32 bytes at `src`, written to `out` (which may equal `src`). */
  hash32(src: number, out: number): void;
  /** keccak256(min(a, b) ‖ max(a, b)), values compared as big-endian numbers. */
  hashPair(a: number, b: number, out: number): void;
  /** Replaces `count` consecutive values at `ptr` with keccak256(keccak256(value)). */
  doubleHash32(ptr: number, count: number): void;
  /** Heap-ordered tree at `tree`: node i = hashPair(node 2i+1, node 2i+2) for i = to-1 … from. */
  hashNodes(tree: number, from: number, to: number): void;
}

/** A kernel instance and the memory it works in. */
export interface KeccakWasm {
  readonly memory: WebAssembly.Memory;
  readonly exports: KeccakWasmExports;
}

// undefined: not tried yet; null: this environment cannot compile it (we fall back to JS).
let compiled: WebAssembly.Module | null | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      // Synchronous compile: the module is 2.2 KB, under the 4 KiB Chrome allows on a main thread.
      compiled = new WebAssembly.Module(decodeBase64(keccakWasmBase64));
    } catch {
      // No WebAssembly (or a CSP forbidding it): callers use the JavaScript path.
      compiled = null;
    }
  }
  return compiled;
}

/**
 * A new kernel with a memory of at least `bytes` bytes (its own, so a large tree's memory is
 * released with the tree's builder instead of staying attached to a module-wide instance).
 *
 * @returns the kernel, or `undefined` where WebAssembly is unavailable.
 * @throws RangeError when `bytes` exceeds the 4 GiB a wasm32 memory can address.
 *
 * @example
 * const kernel = createKeccakWasm(KECCAK_WASM_DATA_OFFSET + 64);
 * if (kernel) kernel.exports.hashPair(KECCAK_WASM_DATA_OFFSET, KECCAK_WASM_DATA_OFFSET + 32, 0);
 */
export function createKeccakWasm(bytes: number): KeccakWasm | undefined {
  if (bytes > KECCAK_WASM_MAX_BYTES) throw new RangeError(`keccak kernel: ${bytes} bytes exceed the 4 GiB wasm32 limit`);
  const module = kernelModule();
  if (module === null) return undefined;
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { memory, exports: instance.exports as unknown as KeccakWasmExports };
}

// undefined: not created yet; null: no WebAssembly here.
let shared: KeccakWasm | null | undefined;

/** Bytes of caller space in the shared kernel (enough for any Merkle proof or small message). */
export const SHARED_KECCAK_WASM_BYTES = 64 * 1024;

/**
 * The module-wide small kernel (`SHARED_KECCAK_WASM_BYTES` of caller space after
 * `KECCAK_WASM_DATA_OFFSET`), for short hashes that should not pay for an instance each.
 * Calls are synchronous, so sharing it cannot interleave.
 *
 * @returns the kernel, or `undefined` where WebAssembly is unavailable.
 *
 * @example
 * const kernel = sharedKeccakWasm();
 */
export function sharedKeccakWasm(): KeccakWasm | undefined {
  if (shared === undefined) shared = createKeccakWasm(KECCAK_WASM_DATA_OFFSET + SHARED_KECCAK_WASM_BYTES) ?? null;
  return shared ?? undefined;
}
