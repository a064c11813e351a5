// Shared fixtures for the VC tests: an Open Badge, a fixed key, status entries and an off-chain anchor with a known root.
import { readFileSync } from "node:fs";
import { prepareCredential } from "../../src/core/prepare.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { createDeterministicSaltSource } from "../../src/core/salt.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { addAnchorProof, withoutProofs } from "../../src/vc/anchor-proof.ts";
import { issueCredential } from "../../src/vc/issue.ts";
import { importAssertionKey, type AssertionKey } from "../../src/vc/keys.ts";
import { createStatusEntries, statusListUrlFrom } from "../../src/vc/status-entries.ts";

export const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const ANCHOR_CONTEXT = { chainId: 31337, registry: REGISTRY, issuerId: 1, statusIndex: 7 };
/** A fixed issue time inside the badge's validity window. */
export const ISSUED_AT = new Date("2024-06-01T12:00:00Z");
export const NOW = () => Math.floor(Date.parse("2025-01-01T00:00:00Z") / 1000);

export function openBadge(): JsonObject {
  return structuredClone(JSON.parse(readFileSync(new URL("../vectors/open-badge.json", import.meta.url), "utf8")).credential) as JsonObject;
}

/** The key of 1EdTech's published Open Badges vector (test/vectors/vc/ob3-eddsa-rdfc-2022.json). */
export async function fixedKey(): Promise<AssertionKey> {
  return importAssertionKey("0x6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4");
}

export function statusEntries(statusIndex = ANCHOR_CONTEXT.statusIndex) {
  return createStatusEntries({ ...ANCHOR_CONTEXT, statusIndex, statusListUrl: statusListUrlFrom("https://issuer.example", 1) });
}

/** Issues the badge with status entries, signed by `key`. */
export async function issuedBadge(key: AssertionKey): Promise<JsonObject> {
  return issueCredential(openBadge(), { key, issuerName: "Example University", credentialStatus: statusEntries(), now: () => ISSUED_AT, newId: () => "urn:uuid:6f1a3c2e-0000-4000-8000-000000000001" });
}

/**
 * Anchors `signed` off-chain in a batch of three (a known root, as the batcher would), and adds
 * the anchor proof. The tx hash and block are made up: only chain checks would look at them.
 */
export function anchorOffChain(signed: JsonObject, seed = "vc-anchor"): JsonObject {
  const credential = withoutProofs(signed);
  const prepared = prepareCredential(credential, ANCHOR_CONTEXT, createDeterministicSaltSource(seed));
  const others = [1, 2].map((i) => prepareCredential({ n: i }, { ...ANCHOR_CONTEXT, statusIndex: 100 + i }, createDeterministicSaltSource(`${seed}-${i}`)).digest);
  const tree = buildCredentialTree([prepared.digest, ...others]);
  return addAnchorProof(signed, prepared.salts, {
    ...ANCHOR_CONTEXT,
    validFrom: prepared.validFrom,
    validUntil: prepared.validUntil,
    leaf: tree.leaf(0),
    proof: tree.getProof(0).slice(),
    root: tree.root,
    txHash: new Uint8Array(32).fill(0xab),
    blockNumber: 42,
  });
}
