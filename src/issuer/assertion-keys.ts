// Issuers' Ed25519 assertion keys in the service: read from the environment (or kept for the local demo issuer), checked against the chain at start.
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Address, PublicClient } from "viem";
import { readKeyBinding } from "../chain/assertion-keys.ts";
import type { Config } from "../config.ts";
import { CredanchorError, ServiceError } from "../core/errors.ts";
import { generateAssertionKey, importAssertionKey, type AssertionKey } from "../vc/keys.ts";

/** The local demo's keys file (API keys, and the demo issuer's assertion key secret), mode 0600. */
export const DEMO_KEYS_FILE = "demo-keys.json";

/**
 * Each issuer's assertion key: `ASSERTION_KEY_<issuerId>` (config.assertionKeys); with
 * `demoIssuerId` (the local chain's demo issuer), one generated once and kept in
 * `<dataDir>/demo-keys.json` (mode 0600) unless the environment gives one. Secrets never
 * appear in errors or logs (AssertionKey hides them).
 *
 * @throws ServiceError `CONFIG_INVALID` naming the variable of a malformed secret.
 *
 * @example
 * const keys = await loadAssertionKeys(config, "./data"); // Map { 1 => AssertionKey(did:key:z6Mk…) }
 */
export async function loadAssertionKeys(config: Pick<Config, "assertionKeys">, dataDir: string, { demoIssuerId }: { demoIssuerId?: number } = {}): Promise<Map<number, AssertionKey>> {
  const keys = new Map<number, AssertionKey>();
  for (const [issuerId, secret] of Object.entries(config.assertionKeys)) {
    try {
      keys.set(Number(issuerId), await importAssertionKey(secret));
    } catch (error) {
      if (!(error instanceof CredanchorError)) throw error;
      throw new ServiceError(`ASSERTION_KEY_${issuerId} is not a valid Ed25519 secret: ${error.details[0]?.message ?? error.shortMessage}`, { code: "CONFIG_INVALID" });
    }
  }
  if (demoIssuerId !== undefined && !keys.has(demoIssuerId)) keys.set(demoIssuerId, await demoAssertionKey(dataDir, demoIssuerId));
  return keys;
}

async function demoAssertionKey(dataDir: string, issuerId: number): Promise<AssertionKey> {
  const file = join(dataDir, DEMO_KEYS_FILE);
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  if (kept.issuerId === issuerId && typeof kept.assertionKey === "string") return importAssertionKey(kept.assertionKey);
  const key = await generateAssertionKey();
  // The API keys of another (reset) demo issuer are replaced by the server afterwards.
  writeFileSync(file, JSON.stringify({ ...kept, issuerId, assertionKey: key.exportSecret() }, null, 2) + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/**
 * Refuses to start when a configured assertion key is not bound on-chain to its issuer, or is
 * retired or compromised: credentials signed with it would fail every verification.
 *
 * @throws ServiceError `CONFIG_INVALID` naming the issuer and the did:key (never the secret).
 *
 * @example
 * await checkAssertionKeys(client, registry, keys);
 */
export async function checkAssertionKeys(client: PublicClient, registry: Address, keys: ReadonlyMap<number, AssertionKey>): Promise<void> {
  for (const [issuerId, key] of keys) {
    const answer = await readKeyBinding(client, registry, key.publicKey);
    const fix = `have issuer ${issuerId}'s admin register it (addAssertionKey(0x${Buffer.from(key.publicKey).toString("hex")})) or fix ASSERTION_KEY_${issuerId}`;
    if (!answer.bound) throw new ServiceError(`the assertion key ${key.did} of issuer ${issuerId} is not registered on-chain: ${fix}`, { code: "CONFIG_INVALID" });
    if (Number(answer.issuerId) !== issuerId) throw new ServiceError(`the assertion key ${key.did} (ASSERTION_KEY_${issuerId}) belongs to issuer ${answer.issuerId}, not ${issuerId}`, { code: "CONFIG_INVALID" });
    if (answer.retiredAt !== undefined || answer.compromisedFrom !== undefined) {
      throw new ServiceError(`the assertion key ${key.did} of issuer ${issuerId} is retired or marked compromised on-chain: configure a current key`, { code: "CONFIG_INVALID" });
    }
  }
}
