// Shared test helpers for the core: a sample badge (also named), a context, and an assertion on CredanchorError codes.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { CredanchorError } from "../../src/core/errors.ts";
import type { AnchorContext } from "../../src/core/digest.ts";
import type { JsonObject } from "../../src/core/json.ts";

/** The on-chain identity the test chains give issuer 1 (test/helpers/stack.ts and the verifier tests). */
export const ISSUER_1_DID = "did:web:uni.example";

/**
 * A fresh copy of the sample Open Badge 3.0 credential (without its own `id` unless `keepId`), its `issuer.id` set to `issuer` (default
 * issuer 1's on-chain identity: a verifier refuses a credential naming another issuer than the
 * one that anchored it).
 */
export function sampleBadge(issuer: string = ISSUER_1_DID, { keepId = false }: { keepId?: boolean } = {}): JsonObject {
  const badge = JSON.parse(readFileSync(new URL("../fixtures/credentials/open-badge.json", import.meta.url), "utf8")) as JsonObject;
  (badge.issuer as JsonObject).id = issuer;
  // Without its own id unless `keepId` (the fixture as it is): the service deduplicates
  // credentials by id (issue 14, F3), and tests submit this sample many times over.
  if (!keepId) delete badge.id;
  return badge;
}

/** `sampleBadge()` with its achievement named `name` (tests that submit many tell them apart by name). */
export function namedBadge(name: string): JsonObject {
  const badge = sampleBadge();
  ((badge.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  return badge;
}

export const CONTEXT: AnchorContext = Object.freeze({
  chainId: 31337,
  registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  issuerId: 1,
  statusIndex: 42,
});

/** Runs fn, expects a CredanchorError of class `type` with `code`; returns it. */
export function expectCode<T extends CredanchorError>(fn: () => unknown, type: abstract new (...args: never[]) => T, code: string): T {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof type)) throw error;
    expect(error.code, error.message).to.equal(code);
    return error;
  }
  return expect.fail(`expected ${type.name} ${code}`);
}
