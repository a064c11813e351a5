// Shared test helpers for the core: a sample badge, a context, and an assertion on CredanchorError codes.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { CredanchorError } from "../../src/core/errors.ts";
import type { AnchorContext } from "../../src/core/digest.ts";
import type { JsonObject } from "../../src/core/json.ts";

/** A fresh copy of the sample Open Badge 3.0 credential. */
export function sampleBadge(): JsonObject {
  return JSON.parse(readFileSync(new URL("../fixtures/credentials/open-badge.json", import.meta.url), "utf8")) as JsonObject;
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
