// Generates the WebAssembly keccak-f[1600] kernel (src/core/keccak-wasm-binary.ts) byte by byte,
// so the committed binary has a readable, reviewable source and needs no external toolchain.
// test/core/keccak.test.ts regenerates it and checks the committed copy is identical.
//
// Run: `node scripts/gen-keccak-wasm.ts` after editing this file.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Memory layout shared with src/core/keccak-wasm.ts (which re-declares these numbers and is
 * tested against them). Everything below DATA_OFFSET belongs to the kernel.
 */
export const KECCAK_WASM_LAYOUT = {
  /** 25 little-endian 64-bit lanes of the sponge state. */
  state: 0,
  /** The 24 round constants (data segment). */
  roundConstants: 200,
  /** First byte callers may use. */
  data: 1024,
} as const;

const RATE_LANES = 17; // keccak256: rate 1088 bits = 136 bytes
const ROUNDS = 24;

const ROUND_CONSTANTS = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n,
  0x000000000000808bn, 0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n,
  0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n,
  0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];

/** rho rotation offsets, indexed by lane x + 5y. */
const RHO = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

// ---- binary encoding helpers ------------------------------------------------------------

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function sleb(value: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    const signBitSet = (byte & 0x40) !== 0;
    if ((value === 0n && !signBitSet) || (value === -1n && signBitSet)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

const I32 = 0x7f;
const I64 = 0x7e;
const VOID = 0x40;

/** The instructions the kernel uses, as byte emitters. */
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(BigInt(v))],
  i64: (v: bigint) => [0x42, ...sleb(BigInt.asIntN(64, v))],
  i64Load: (offset: number) => [0x29, 3, ...uleb(offset)],
  i64Store: (offset: number) => [0x37, 3, ...uleb(offset)],
  u8Load: (offset: number) => [0x2d, 0, ...uleb(offset)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Shl: [0x74],
  i32Ne: [0x47],
  i32GtU: [0x4b],
  i32LtU: [0x49],
  i64Xor: [0x85],
  i64And: [0x83],
  i64Rotl: [0x89],
  select: [0x1b],
  block: [0x02, VOID],
  loop: [0x03, VOID],
  if: [0x04, VOID],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  call: (fn: number) => [0x10, ...uleb(fn)],
  memoryFill: [0xfc, ...uleb(11), 0x00],
};

function code(...parts: (number[] | number[][])[]): number[] {
  return parts.flat(2) as number[];
}

function functionBody(locals: [count: number, type: number][], body: number[]): number[] {
  const bytes = [...vector(locals.map(([count, type]) => [...uleb(count), type])), ...body, ...op.end];
  return [...uleb(bytes.length), ...bytes];
}

// ---- the kernel -------------------------------------------------------------------------

const { state: STATE, roundConstants: RC } = KECCAK_WASM_LAYOUT;
const lane = (i: number) => STATE + 8 * i;

/** Function indices (the order of the function section). */
const FN = { permute: 0, hashBlocks: 1, hash32: 2, hashPair: 3, doubleHash32: 4, hashNodes: 5 } as const;

/**
 * keccak-f[1600] on the state in memory: 24 rounds over 60 i64 locals (a: state, b: after
 * rho-pi, c/d: theta). One round per loop iteration keeps the module under 4 KiB, the size
 * Chrome still compiles synchronously on a page's main thread.
 */
function permuteBody(): number[] {
  const a = (i: number) => i;
  const b = (i: number) => 25 + i;
  const c = (x: number) => 50 + x;
  const d = (x: number) => 55 + x;
  const round = 60; // i32 local: byte offset of the round constant
  const body: number[][] = [];
  for (let i = 0; i < 25; i++) body.push(op.i32(0), op.i64Load(lane(i)), op.set(a(i)));
  body.push(op.i32(0), op.set(round), op.loop);
  // theta
  for (let x = 0; x < 5; x++) {
    body.push(op.get(a(x)));
    for (let y = 1; y < 5; y++) body.push(op.get(a(x + 5 * y)), op.i64Xor);
    body.push(op.set(c(x)));
  }
  for (let x = 0; x < 5; x++) {
    body.push(op.get(c((x + 4) % 5)), op.get(c((x + 1) % 5)), op.i64(1n), op.i64Rotl, op.i64Xor, op.set(d(x)));
  }
  // theta's xor, rho and pi in one pass: b[y, 2x + 3y] = rotl(a[x, y] ^ d[x], rho[x, y])
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const from = x + 5 * y;
      const to = y + 5 * ((2 * x + 3 * y) % 5);
      body.push(op.get(a(from)), op.get(d(x)), op.i64Xor);
      if (RHO[from] !== 0) body.push(op.i64(BigInt(RHO[from]!)), op.i64Rotl);
      body.push(op.set(b(to)));
    }
  }
  // chi
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const row = 5 * y;
      body.push(
        op.get(b(row + x)),
        op.get(b(row + ((x + 1) % 5))),
        op.i64(-1n),
        op.i64Xor,
        op.get(b(row + ((x + 2) % 5))),
        op.i64And,
        op.i64Xor,
        op.set(a(row + x)),
      );
    }
  }
  // iota
  body.push(op.get(a(0)), op.get(round), op.i64Load(RC), op.i64Xor, op.set(a(0)));
  body.push(op.get(round), op.i32(8), op.i32Add, op.tee(round), op.i32(8 * ROUNDS), op.i32Ne, op.brIf(0), op.end);
  for (let i = 0; i < 25; i++) body.push(op.i32(0), op.get(a(i)), op.i64Store(lane(i)));
  return functionBody(
    [
      [60, I64],
      [1, I32],
    ],
    code(body),
  );
}

/** Zero the state (all 200 bytes). */
const clearState = code(op.i32(STATE), op.i32(0), op.i32(200), op.memoryFill);

/** Store the first 4 lanes (the 32-byte digest) at the address in local `out`. */
function squeezeTo(out: number): number[] {
  const body: number[][] = [];
  for (let i = 0; i < 4; i++) body.push(op.get(out), op.i32(0), op.i64Load(lane(i)), op.i64Store(8 * i));
  return code(body);
}

/** Copy 4 lanes from the address in local `from` into state lanes first..first+3. */
function absorb32(from: number, first: number): number[] {
  const body: number[][] = [];
  for (let i = 0; i < 4; i++) body.push(op.i32(0), op.get(from), op.i64Load(8 * i), op.i64Store(lane(first + i)));
  return code(body);
}

/** keccak padding of a message ending at byte `length` of the first block: 0x01 … 0x80. */
function padAfter(lanes: number): number[] {
  return code(
    op.i32(0), op.i64(1n), op.i64Store(lane(lanes)),
    op.i32(0), op.i64(0x8000000000000000n), op.i64Store(lane(RATE_LANES - 1)),
  );
}

/** hashBlocks(ptr, blocks, out): keccak256 of `blocks` already padded 136-byte blocks. */
function hashBlocksBody(): number[] {
  const [ptr, blocks, out] = [0, 1, 2];
  const body: number[][] = [clearState, op.loop];
  for (let i = 0; i < RATE_LANES; i++) {
    body.push(op.i32(0), op.i32(0), op.i64Load(lane(i)), op.get(ptr), op.i64Load(8 * i), op.i64Xor, op.i64Store(lane(i)));
  }
  body.push(op.call(FN.permute));
  body.push(op.get(ptr), op.i32(8 * RATE_LANES), op.i32Add, op.set(ptr));
  body.push(op.get(blocks), op.i32(1), op.i32Sub, op.tee(blocks), op.brIf(0), op.end);
  body.push(squeezeTo(out));
  return functionBody([], code(body));
}

/** hash32(src, out): keccak256 of the 32 bytes at `src` (out may equal src). */
function hash32Body(): number[] {
  const [src, out] = [0, 1];
  return functionBody([], code(clearState, absorb32(src, 0), padAfter(4), op.call(FN.permute), squeezeTo(out)));
}

/**
 * hashPair(a, b, out): keccak256(min(a, b) ‖ max(a, b)), the 32-byte values compared as
 * big-endian numbers (OpenZeppelin's commutative node hash).
 */
function hashPairBody(): number[] {
  const [a, b, out, k, x, y, swap] = [0, 1, 2, 3, 4, 5, 6];
  const compare = code(
    op.block, op.loop,
    op.get(a), op.get(k), op.i32Add, op.u8Load(0), op.tee(x),
    op.get(b), op.get(k), op.i32Add, op.u8Load(0), op.tee(y),
    op.i32Ne, op.if,
    op.get(x), op.get(y), op.i32GtU, op.set(swap), op.br(2),
    op.end,
    op.get(k), op.i32(1), op.i32Add, op.tee(k), op.i32(32), op.i32LtU, op.brIf(0),
    op.end, op.end,
  );
  // After the compare, a holds the smaller value's address and b the larger's.
  const order = code(
    op.get(b), op.get(a), op.get(swap), op.select, op.set(x),
    op.get(a), op.get(b), op.get(swap), op.select, op.set(b),
    op.get(x), op.set(a),
  );
  return functionBody(
    [[4, I32]],
    code(compare, order, clearState, absorb32(a, 0), absorb32(b, 4), padAfter(8), op.call(FN.permute), squeezeTo(out)),
  );
}

/** doubleHash32(ptr, count): replaces each of `count` 32-byte values with keccak256(keccak256(v)). */
function doubleHash32Body(): number[] {
  const [ptr, count] = [0, 1];
  return functionBody(
    [],
    code(
      op.block, op.get(count), op.i32(0), op.i32Ne, op.if, op.loop,
      op.get(ptr), op.get(ptr), op.call(FN.hash32),
      op.get(ptr), op.get(ptr), op.call(FN.hash32),
      op.get(ptr), op.i32(32), op.i32Add, op.set(ptr),
      op.get(count), op.i32(1), op.i32Sub, op.tee(count), op.brIf(0),
      op.end, op.end, op.end,
    ),
  );
}

/**
 * hashNodes(tree, from, to): in a heap-ordered tree of 32-byte nodes at `tree`, sets node i to
 * hashPair(node 2i+1, node 2i+2) for i = to-1 down to from. Children must be ready.
 */
function hashNodesBody(): number[] {
  const [tree, from, to, left] = [0, 1, 2, 3];
  return functionBody(
    [[1, I32]],
    code(
      op.block, op.get(to), op.get(from), op.i32GtU, op.if, op.loop,
      op.get(to), op.i32(1), op.i32Sub, op.set(to),
      // left child address: tree + 32 * (2 * to + 1) = tree + 64 * to + 32
      op.get(tree), op.get(to), op.i32(6), op.i32Shl, op.i32Add, op.i32(32), op.i32Add, op.tee(left),
      op.get(left), op.i32(32), op.i32Add,
      op.get(tree), op.get(to), op.i32(5), op.i32Shl, op.i32Add,
      op.call(FN.hashPair),
      op.get(to), op.get(from), op.i32GtU, op.brIf(0),
      op.end, op.end, op.end,
    ),
  );
}

/** The kernel module. It imports its memory as `env.memory` (at least one 64 KiB page). */
export function generateKeccakWasm(): Uint8Array {
  const types = [
    [0x60, ...vector([]), ...vector([])], // 0: () -> ()
    [0x60, ...vector([[I32], [I32], [I32]]), ...vector([])], // 1: (i32, i32, i32) -> ()
    [0x60, ...vector([[I32], [I32]]), ...vector([])], // 2: (i32, i32) -> ()
  ];
  const memoryLimits = [0x00, ...uleb(1)]; // no maximum, not shared
  const imports = [[...name("env"), ...name("memory"), 0x02, ...memoryLimits]];
  const functionTypes = [0, 1, 2, 1, 2, 1]; // permute, hashBlocks, hash32, hashPair, doubleHash32, hashNodes
  const exports = (["hashBlocks", "hash32", "hashPair", "doubleHash32", "hashNodes"] as const).map((fn) => [
    ...name(fn),
    0x00,
    ...uleb(FN[fn]),
  ]);
  const bodies = [permuteBody(), hashBlocksBody(), hash32Body(), hashPairBody(), doubleHash32Body(), hashNodesBody()];
  const constants = ROUND_CONSTANTS.flatMap((rc) => Array.from({ length: 8 }, (_, i) => Number((rc >> BigInt(8 * i)) & 0xffn)));
  const data = [[0x00, ...op.i32(RC), ...op.end, ...uleb(constants.length), ...constants]];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(functionTypes.map((t) => uleb(t)))),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
    ...section(11, vector(data)),
  ]);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** The text of src/core/keccak-wasm-binary.ts (also used by the test that compares). */
export function renderKeccakWasmModule(): string {
  const kernel = generateKeccakWasm();
  return `// Generated by scripts/gen-keccak-wasm.ts (the readable source): do not edit.
// WebAssembly keccak-f[1600] kernel, ${kernel.length} bytes, importing its memory as \`env.memory\`.
export const keccakWasmBase64 =
  "${base64(kernel)}";
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = join(dirname(fileURLToPath(import.meta.url)), "../src/core/keccak-wasm-binary.ts");
  writeFileSync(target, renderKeccakWasmModule());
  console.log(`${target}: ${generateKeccakWasm().length} bytes of WebAssembly`);
}
