// Service-side attacks of the security review (issue 10), each kept as a regression test on a real
// chain and real SQLite: status-index squatting (item 7), GDPR remnants after erasure (item 10),
// key scopes and expiry (item 16), one Idempotency-Key namespace per kind of request (item 17).
import { expect } from "chai";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";
import { canonicalize } from "../../src/core/canonical.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { createApiKey } from "../../src/issuer/api-keys.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, ISSUER_IDENTITIES, openStack, removeDir, runUntil, serveApi, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

function badge(name: string, issuerId: 1 | 2 = 1): JsonObject {
  const credential = sampleBadge();
  ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  (credential.issuer as JsonObject).id = ISSUER_IDENTITIES[issuerId];
  return credential;
}

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

/** Sets every revocation bit of words [first, first + count) of `issuer`'s list, with its own key (as a lost database or another tool would). */
async function revokeWordsOnChain(chain: Chain, issuer: 1 | 2, first: number, count: number): Promise<void> {
  const key = chain.issuers[issuer - 1]!.key;
  const wallet = chain.wallet(key);
  const words = Array.from({ length: count }, (_, k) => BigInt(first + k));
  const hash = await wallet.writeContract({
    address: chain.registry,
    abi: credentialRegistryAbi,
    functionName: "updateStatusWords",
    args: [0, words, words.map(() => (1n << 256n) - 1n), 0],
    account: key,
    chain: wallet.chain ?? null,
  });
  await chain.publicClient.waitForTransactionReceipt({ hash });
}

describe("issue 10: service-side hardening (real chain, real SQLite)", function () {
  this.timeout(120_000);
  let chain: Chain;
  const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k1" };
  const issuer2: Principal = { kind: "issuer", issuerId: 2, keyId: "k2" };

  before(async function () {
    chain = await sharedChain();
  });

  describe("item 7: status-index squatting", function () {
    it("error: indices pre-revoked on-chain in the next range are never handed out when the list grows, and the size is kept", async function () {
      // Issuer 2's list starts at 512; its next ranges [512, 2048) are all revoked on-chain first.
      await revokeWordsOnChain(chain, 2, 2, 6);
      const stack = await openStack(chain, { statusListSize: 512 });
      try {
        const first = await stack.service.submitCredentials(2, { credentials: Array.from({ length: 200 }, (_, k) => badge(`Before ${k}`, 2)) });
        expect(first.credentials.every((c) => c.statusIndex < 512)).to.equal(true);
        // 200 more: the list must grow past 512; today's main handed out pre-revoked indices here.
        const grown = await stack.service.submitCredentials(2, { credentials: Array.from({ length: 200 }, (_, k) => badge(`After ${k}`, 2)) });
        const squatted = grown.credentials.filter((c) => c.statusIndex >= 512 && c.statusIndex < 2048);
        expect(squatted.map((c) => c.statusIndex)).to.deep.equal([]);
        expect(grown.credentials.some((c) => c.statusIndex >= 2048)).to.equal(true);
        const listSize = stack.db.prepare("SELECT list_size FROM issuers WHERE id = 2").pluck().get() as number;
        expect(listSize).to.be.at.least(4096);

        // A restart reads the whole list up to the kept size again: still no pre-revoked index.
        const dir = stack.dir;
        await stack.close();
        const again = await openStack(chain, { dir, statusListSize: 512 });
        try {
          const later = await again.service.submitCredentials(2, { credentials: Array.from({ length: 300 }, (_, k) => badge(`Restart ${k}`, 2)) });
          expect(later.credentials.filter((c) => c.statusIndex >= 512 && c.statusIndex < 2048)).to.deep.equal([]);
        } finally {
          await again.close();
        }
      } finally {
        await stack.close().catch(() => undefined);
        removeDir(stack.dir);
      }
    });

    it("error: an index revoked on-chain while its credential waits in the queue is replaced before anchoring; the bundle verifies valid", async function () {
      const stack = await openStack(chain, { statusListSize: 1024 });
      try {
        const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Queued victim")] });
        const { id, statusIndex } = credentials[0]!;
        await revokeWordsOnChain(chain, 1, statusIndex >> 8, 1);
        await runUntil(stack, async () => ["anchored", "confirmed"].includes((await stack.service.getCredential(issuer1, id)).state));
        const view = await stack.service.getCredential(issuer1, id);
        expect(view.statusIndex).not.to.equal(statusIndex);
        expect(view.statusIndex >> 8).not.to.equal(statusIndex >> 8);
        const report = await verifyBundle(view.bundle, { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } });
        expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
      } finally {
        await stack.close();
        removeDir(stack.dir);
      }
    });
  });

  describe("item 10: nothing of an erased credential or its request stays in the database files", function () {
    it("error: after DELETE /v1/credentials/{id}, main file and WAL hold no byte of the content or of the request, and no dictionary matches the request's hash", async function () {
      const stack = await openStack(chain);
      const api = await serveApi(stack);
      try {
        const secretFile = join(stack.dir, "server-secret");
        expect(existsSync(secretFile)).to.equal(true);
        expect(statSync(secretFile).mode & 0o777).to.equal(0o600);

        // The review's dictionary: four candidate names; the real one is among them.
        const names = ["Zebulon Quartermaine-Erasure", "Ottilie Brackenbury-Erasure", "Peregrine Fothergill-Erasure", "Wilhelmina Scrope-Erasure"];
        const person = (name: string) => {
          const c = badge("Confidential diagnosis badge");
          (c.credentialSubject as JsonObject).name = name;
          (c.credentialSubject as JsonObject).id = "did:example:erasure-subject-4242";
          return [c];
        };
        const credentials = person(names[2]!);
        const headers = { authorization: `Bearer ${stack.tokens[1]}`, "content-type": "application/json", "idempotency-key": "erase-me-1" };
        const posted = await fetch(`${api.base}/v1/credentials`, { method: "POST", headers, body: JSON.stringify({ credentials }) });
        expect(posted.status).to.equal(202);
        const id = ((await posted.json()) as { credentials: { id: string }[] }).credentials[0]!.id;
        await runUntil(stack, async () => ["anchored", "confirmed"].includes((await stack.service.getCredential(issuer1, id)).state));

        const files = () => ["credanchor.db", "credanchor.db-wal"].map((n) => join(stack.dir, n)).filter(existsSync).map((f) => readFileSync(f));
        const markers = [names[2]!, "erasure-subject-4242", "Confidential diagnosis badge"];
        // Before: the content is there (the test can see it).
        expect(files().some((bytes) => bytes.includes(Buffer.from(names[2]!)))).to.equal(true);

        const erased = await fetch(`${api.base}/v1/credentials/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${stack.tokens[1]}` } });
        expect(erased.status).to.equal(200);
        for (const bytes of files()) {
          for (const marker of markers) expect(bytes.includes(Buffer.from(marker)), marker).to.equal(false);
          for (const name of names) {
            // The old attack: SHA-256 of the canonical request for each guessed name.
            const guess = createHash("sha256").update(canonicalize(person(name), { maxBytes: 64 * 2 ** 20, maxDepth: 34, maxFields: 10_000_000 })).digest();
            expect(bytes.includes(guess), name).to.equal(false);
          }
        }
        // Replaying the erased request's key never issues it again.
        const replay = await fetch(`${api.base}/v1/credentials`, { method: "POST", headers, body: JSON.stringify({ credentials }) });
        expect(replay.status).to.equal(409);
        expect(((await replay.json()) as { error: { code: string } }).error.code).to.equal("IDEMPOTENCY_CONFLICT");
      } finally {
        await api.close();
        await stack.close();
        removeDir(stack.dir);
      }
    });

    it("behavior: Idempotency-Key rows expire after the window and are purged; the key is free again", async function () {
      let now = Date.now();
      const stack = await openStack(chain, { now: () => now, idempotencyWindowMs: 60_000 });
      try {
        const first = await stack.service.submitCredentials(1, { credentials: [badge("Window A")], idempotencyKey: "w-1" });
        expect((await stack.service.submitCredentials(1, { credentials: [badge("Window A")], idempotencyKey: "w-1" })).replayed).to.equal(true);
        now += 61_000;
        const later = await stack.service.submitCredentials(1, { credentials: [badge("Window B")], idempotencyKey: "w-1" });
        expect(later.replayed).to.equal(false);
        expect(later.credentials[0]!.id).not.to.equal(first.credentials[0]!.id);
        // Storing the next key purges the rows older than the window (at most once a minute).
        now += 61_000;
        await stack.service.submitCredentials(1, { credentials: [badge("Window C")], idempotencyKey: "w-2" });
        expect(stack.db.prepare("SELECT key FROM idempotency").pluck().all()).to.deep.equal(["w-2"]);
      } finally {
        await stack.close();
        removeDir(stack.dir);
      }
    });
  });

  describe("item 16: key scopes and expiry", function () {
    let stack: Stack;
    before(async function () {
      stack = await openStack(chain);
    });
    after(async function () {
      await closeStack(stack);
    });

    it("error: an operator key limited to issuer 2 cannot see, erase or make keys for issuer 1 (answered as missing)", async function () {
      const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge("Out of scope")] });
      const scoped = (await stack.service.authenticate((await createApiKey(stack.store.apiKeys, null, { issuers: [2] })).token))!;
      expect(scoped).to.deep.include({ kind: "admin", issuers: [2] });
      expect(await codeOf(() => stack.service.getCredential(scoped, credentials[0]!.id))).to.equal("NOT_FOUND");
      expect(await codeOf(() => stack.service.eraseCredential(scoped, credentials[0]!.id))).to.equal("NOT_FOUND");
      expect(await codeOf(() => stack.service.createApiKey(scoped, 1))).to.equal("NOT_FOUND");
      expect((await stack.service.createApiKey(scoped, 2)).token).to.match(/^cak_/);
      const visible = await stack.service.listApiKeys(scoped);
      expect(visible.every((k) => k.kind === "issuer" && k.issuerId === 2)).to.equal(true);
      const issuer1Key = (await stack.service.listApiKeys({ kind: "admin", keyId: "root" })).find((k) => k.issuerId === 1)!;
      expect(await codeOf(() => stack.service.revokeApiKey(scoped, issuer1Key.keyId))).to.equal("NOT_FOUND");
      // Issuer keys manage no keys.
      expect(await codeOf(() => stack.service.listApiKeys(issuer2))).to.equal("FORBIDDEN");
      expect(await codeOf(() => stack.service.createApiKey(issuer2, 2))).to.equal("FORBIDDEN");
    });

    it("error: an expired key no longer authenticates; a revoked one neither", async function () {
      const soon = await createApiKey(stack.store.apiKeys, 1, { expiresAt: Date.now() + 60_000 });
      expect(await stack.service.authenticate(soon.token)).to.deep.include({ kind: "issuer", issuerId: 1 });
      const past = await createApiKey(stack.store.apiKeys, 1, { expiresAt: Date.now() - 1 });
      expect(await stack.service.authenticate(past.token)).to.equal(undefined);
      expect((await stack.service.listApiKeys({ kind: "admin", keyId: "root" })).find((k) => k.keyId === past.keyId)!.state).to.equal("expired");
      await stack.service.revokeApiKey({ kind: "admin", keyId: "root" }, soon.keyId);
      expect(await stack.service.authenticate(soon.token)).to.equal(undefined);
    });
  });

  describe("item 17: submissions and revocations keep separate Idempotency-Keys", function () {
    it("behavior: the same key used for a submission and a revocation: both work independently, each replays its own answer", async function () {
      const stack = await openStack(chain);
      try {
        for (const key of ["shared-1", "status:shared-2"]) {
          const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge(`Shared ${key}`)], idempotencyKey: key });
          const revocationKey = key.replace(/^status:/, "");
          const change = await stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [credentials[0]!.id], idempotencyKey: revocationKey });
          expect(change.replayed).to.equal(false);
          // Each replays its own answer.
          const again = await stack.service.submitCredentials(1, { credentials: [badge(`Shared ${key}`)], idempotencyKey: key });
          expect(again).to.deep.equal({ credentials, replayed: true });
          const changeAgain = await stack.service.requestStatusChange(issuer1, { action: "suspend", credentialIds: [credentials[0]!.id], idempotencyKey: revocationKey });
          expect(changeAgain.replayed).to.equal(true);
          expect(changeAgain.change.id).to.equal(change.change.id);
        }
      } finally {
        await stack.close();
        removeDir(stack.dir);
      }
    });
  });
});
