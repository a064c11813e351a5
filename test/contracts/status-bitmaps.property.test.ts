// Property: random sequences of bulk status updates on two issuers match a model of two sets per issuer.
import { expect } from "chai";
import fc from "fast-check";
import type { Interface } from "ethers";
import {
  Action,
  ISSUER_A,
  ISSUER_B,
  MAX_UINT256,
  loadFixture,
  twoIssuersFixture,
  type ActionValue,
  type Registry,
} from "./fixtures.ts";

const LAST_WORD = 2n ** 248n - 1n;
/** Few words, so that operations collide; they include the word of 2^32 - 1 and the last word. */
const wordArb = fc.constantFrom(0n, 1n, 2n, (2n ** 32n - 1n) >> 8n, 2n ** 24n, LAST_WORD);
const bitArb = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 254, 255));
const indexArb = fc.tuple(wordArb, bitArb).map(([word, bit]) => (word << 8n) | BigInt(bit));
const actionArb = fc.constantFrom<ActionValue>(Action.Revoke, Action.Suspend, Action.Reinstate);
const issuerArb = fc.constantFrom<"A" | "B">("A", "B");
const sparseMaskArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 })
  .map((bits) => bits.reduce((mask, bit) => mask | (1n << BigInt(bit)), 0n));
const maskArb = fc.oneof(
  { arbitrary: sparseMaskArb, weight: 6 },
  { arbitrary: fc.bigInt({ min: 0n, max: MAX_UINT256 }), weight: 1 },
  { arbitrary: fc.constantFrom(0n, MAX_UINT256), weight: 1 },
);

/** Indices with some of them repeated, so duplicates inside one call are exercised. */
const indicesArb = fc
  .tuple(fc.array(indexArb, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 3 }))
  .map(([indices, repeats]) => [...indices, ...repeats.map((r) => indices[r % indices.length]!)]);

type Op =
  | { kind: "indices"; issuer: "A" | "B"; byAdmin: boolean; action: ActionValue; indices: bigint[] }
  | { kind: "words"; issuer: "A" | "B"; byAdmin: boolean; action: ActionValue; words: bigint[]; masks: bigint[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("indices" as const),
    issuer: issuerArb,
    byAdmin: fc.boolean(),
    action: actionArb,
    indices: indicesArb,
  }),
  fc
    .record({
      issuer: issuerArb,
      byAdmin: fc.boolean(),
      action: actionArb,
      entries: fc.array(fc.tuple(wordArb, maskArb), { minLength: 1, maxLength: 4 }),
    })
    .map(({ entries, ...rest }) => ({
      kind: "words" as const,
      ...rest,
      words: entries.map(([word]) => word),
      masks: entries.map(([, mask]) => mask),
    })),
);

/** The reference model: per issuer, the set of revoked and the set of suspended indices. */
class Model {
  readonly revoked = new Set<bigint>();
  readonly suspended = new Set<bigint>();

  apply(action: ActionValue, index: bigint): void {
    if (action === Action.Revoke) this.revoked.add(index);
    else if (action === Action.Suspend) this.suspended.add(index);
    else this.suspended.delete(index);
  }

  word(set: Set<bigint>, word: bigint): bigint {
    let bits = 0n;
    for (const index of set) if (index >> 8n === word) bits |= 1n << (index & 255n);
    return bits;
  }
}

function bitsOf(mask: bigint): bigint[] {
  const bits: bigint[] = [];
  for (let bit = 0n; bit < 256n; bit++) if ((mask >> bit) & 1n) bits.push(bit);
  return bits;
}

/** Runs many view calls through `multicall`, in chunks that stay under the call gas limit. */
async function multicallViews<T>(registry: Registry, fn: "getStatus" | "getStatusWords", args: unknown[][]): Promise<T[]> {
  const abi = registry.interface as unknown as Interface;
  const out: T[] = [];
  for (let i = 0; i < args.length; i += 300) {
    const calls = args.slice(i, i + 300).map((a) => abi.encodeFunctionData(fn, a));
    const results = await registry.multicall.staticCall(calls);
    for (const data of results) out.push(abi.decodeFunctionResult(fn, data) as unknown as T);
  }
  return out;
}

describe("status bitmaps: property test against a set model (contracts/CredentialRegistry.sol)", function () {
  it("behavior: random updateStatuses / updateStatusWords sequences match the model", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 6 }), async (ops) => {
        const f = await loadFixture(twoIssuersFixture);
        const signers = { A: { admin: f.adminA, key: f.keyA }, B: { admin: f.adminB, key: f.keyB } };
        const ids = { A: ISSUER_A, B: ISSUER_B } as const;
        const models = { A: new Model(), B: new Model() };
        const touched = new Set<bigint>();

        for (const op of ops) {
          const signer = op.byAdmin ? signers[op.issuer].admin : signers[op.issuer].key;
          const registry = f.registry.connect(signer);
          if (op.kind === "indices") {
            await registry.updateStatuses(op.action, op.indices, 0);
            for (const index of op.indices) {
              models[op.issuer].apply(op.action, index);
              touched.add(index);
            }
          } else {
            await registry.updateStatusWords(op.action, op.words, op.masks, 0);
            for (const [k, word] of op.words.entries()) {
              for (const bit of bitsOf(op.masks[k]!)) {
                models[op.issuer].apply(op.action, (word << 8n) | bit);
                touched.add((word << 8n) | bit);
              }
            }
          }
        }

        const indices = [...touched];
        const words = [...new Set(indices.map((i) => i >> 8n))];
        for (const name of ["A", "B"] as const) {
          const model = models[name];
          const statuses = await multicallViews<[boolean, boolean]>(
            f.registry,
            "getStatus",
            indices.map((i) => [ids[name], i]),
          );
          const actual = statuses.map(([revoked, suspended], k) => [indices[k], revoked, suspended]);
          const expected = indices.map((i) => [i, model.revoked.has(i), model.suspended.has(i)]);
          expect(actual, `getStatus of issuer ${name}`).to.deep.equal(expected);

          const wordResults = await multicallViews<[bigint[], bigint[]]>(
            f.registry,
            "getStatusWords",
            words.map((w) => [ids[name], w, 1]),
          );
          const actualWords = wordResults.map(([r, s], k) => [words[k], r[0], s[0]]);
          const expectedWords = words.map((w) => [w, model.word(model.revoked, w), model.word(model.suspended, w)]);
          expect(actualWords, `getStatusWords of issuer ${name}`).to.deep.equal(expectedWords);

          // a contiguous range across the low words, untouched words included
          const [revokedRange, suspendedRange] = await f.registry.getStatusWords(ids[name], 0, 4);
          expect([...revokedRange]).to.deep.equal([0n, 1n, 2n, 3n].map((w) => model.word(model.revoked, w)));
          expect([...suspendedRange]).to.deep.equal([0n, 1n, 2n, 3n].map((w) => model.word(model.suspended, w)));
        }
      }),
      { numRuns: 40, ...(process.env.FC_SEED !== undefined ? { seed: Number(process.env.FC_SEED) } : {}) },
    );
  });
});
