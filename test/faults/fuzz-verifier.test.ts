// Mutated bundles: every field of a real, valid bundle flipped, truncated, swapped; the verifier
// must never answer "valid" for any of them (real chain, real bundle from the real service).
import { expect } from "chai";
import type { JsonObject, JsonValue } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundles } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };

type Path = (string | number)[];

/** Every path in a JSON value (containers and leaves), root excluded. */
function paths(value: JsonValue, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [];
  const entries: [string | number, JsonValue][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

function get(root: JsonValue, path: Path): JsonValue {
  return path.reduce<JsonValue>((v, k) => (v as never)[k], root);
}

function set(root: JsonValue, path: Path, value: JsonValue | undefined): JsonValue {
  const copy = structuredClone(root);
  const parent = get(copy, path.slice(0, -1)) as never as Record<string | number, JsonValue> & JsonValue[];
  const key = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else parent[key] = value;
  return copy;
}

/** The ways to change one value so that it differs. */
function flips(value: JsonValue): (JsonValue | undefined)[] {
  if (typeof value === "string") {
    const last = value.at(-1) ?? "";
    const hex = /[0-9a-f]/.test(last) ? value.slice(0, -1) + (last === "0" ? "1" : "0") : undefined;
    const b64 = /[A-Za-z0-9_-]/.test(last) && value.length > 4 ? value.slice(0, 2) + (value[2] === "A" ? "B" : "A") + value.slice(3) : undefined;
    return [value + "!", value.slice(0, -1), hex, b64, 1, null, undefined].filter((x) => x !== value);
  }
  if (typeof value === "number") return [value + 1, value - 1, -value || 1, String(value), 1.5, undefined];
  if (typeof value === "boolean") return [!value, String(value), undefined];
  if (value === null) return [0, "", {}, undefined];
  if (Array.isArray(value)) {
    const out: (JsonValue | undefined)[] = [[...value, value[0] ?? "x"], {}, undefined];
    if (value.length > 0) out.push(value.slice(1));
    if (value.length > 1) out.push([...value].reverse());
    return out;
  }
  return [{ ...value, injected: "x" }, [], undefined];
}

describe("fuzz: the verifier never calls a mutated bundle valid (real chain)", function () {
  this.timeout(300_000);
  let chain: Chain;
  let stack: Stack;
  let bundle: JsonObject;

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    const { credentials } = await stack.service.submitCredentials(1, { credentials: Array.from({ length: 5 }, (_, k) => ({ ...sampleBadge(), name: `Mutant ${k}` })) });
    await runUntil(stack, async () => (await Promise.all(credentials.map(async (c) => (await stack.service.getCredential(issuer1, c.id)).state === "confirmed"))).every(Boolean));
    bundle = (await stack.service.getCredential(issuer1, credentials[2]!.id)).bundle as unknown as JsonObject;
  });
  after(async function () {
    await closeStack(stack);
  });

  it("behavior: every field flipped or removed, the text truncated, fields swapped: never valid", async function () {
    const original = JSON.stringify(bundle);
    const mutants = new Map<string, unknown>();
    for (const path of paths(bundle)) {
      for (const flipped of flips(get(bundle, path))) {
        const mutant = set(bundle, path, flipped);
        const text = JSON.stringify(mutant);
        if (text !== original) mutants.set(`${path.join(".")} := ${JSON.stringify(flipped) ?? "(removed)"}`, text);
      }
    }
    for (let cut = 1; cut < original.length; cut += Math.max(1, Math.floor(original.length / 60))) mutants.set(`truncated at ${cut}`, original.slice(0, cut));
    const keys = Object.keys(bundle);
    for (let i = 0; i < keys.length; i++) {
      for (let j = i + 1; j < keys.length; j++) {
        const swapped = { ...bundle, [keys[i]!]: bundle[keys[j]!]!, [keys[j]!]: bundle[keys[i]!]! };
        if (JSON.stringify(swapped) !== original) mutants.set(`swap ${keys[i]} <-> ${keys[j]}`, JSON.stringify(swapped));
      }
    }
    const book = chain.addressBook();
    const options = { trust: createTrustList([book]), rpc: { 31337: chain.url } };
    const [control] = await verifyBundles([original], options);
    expect(control!.verdict, "the unmutated bundle is valid").to.equal("valid");

    const names = [...mutants.keys()];
    const reports = await verifyBundles([...mutants.values()], options);
    const valid = names.filter((_, k) => reports[k]!.verdict === "valid");
    const undecided = names.filter((_, k) => reports[k]!.verdict === "error");
    expect(valid, "mutants judged valid").to.deep.equal([]);
    expect(undecided, "mutants judged undecidable (the chain answers: all should be decided)").to.deep.equal([]);
    expect(mutants.size).to.be.greaterThan(300);
  });
});
