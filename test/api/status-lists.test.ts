// GET /status-lists: lists built from the chain, checked by @digitalbazaar/vc-bitstring-status-list over HTTP through revoke,
// suspend and reinstate; the bit mapping against the contract's words; caching (ETag, 304); bad input; and
// `credanchor status-list build|check` catching a lying list. Real chain, real service, real HTTP.
import { checkStatus, decodeList } from "@digitalbazaar/vc-bitstring-status-list";
import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentialRegistryV2Abi } from "../../src/chain/abi.ts";
import { isBitSet, readStatusWords } from "../../src/chain/read-registry.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { StatusListPublisher, statusListPublisherFor } from "../../src/issuer/status-lists.ts";
import { createDocumentLoader } from "../../src/vc/document-loader.ts";
import { issueCredential } from "../../src/vc/issue.ts";
import { generateAssertionKey, type AssertionKey } from "../../src/vc/keys.ts";
import { createStatusEntries, STATUS_LIST_LENGTH, statusListUrlFrom } from "../../src/vc/status-entries.ts";
import { bitstringToWords, buildStatusListCredential, decodeBitstring, statusListSourceOf } from "../../src/vc/status-list.ts";
import { verifyingSuites } from "../../src/vc/suites.ts";
import { openBadge } from "../vc/fixtures.ts";
import { openStack, removeDir, serveApi, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { call, expectError } from "./http.ts";
import { cli } from "../helpers/cli.ts";

const BOUNDARIES = [0, 7, 8, 255, 256, 131_071];
const REFRESH_MS = 60_000;
const ACTION = { revoke: 0, suspend: 1, reinstate: 2 } as const;

describe("src/api: status lists built from the chain (GET /status-lists, status-list build|check)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let stack: Stack;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let key: AssertionKey;
  let publisher: StatusListPublisher;
  let dir: string;
  let book: string;
  // The publisher's clock: a step past REFRESH_MS is "one poll interval later", with no waiting.
  // An hour behind the real one, so lists are valid to the library that judges them by the real clock.
  let clock = Date.now() - 3600_000;
  const nextPoll = () => (clock += REFRESH_MS);

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    key = await generateAssertionKey();
    api = await serveApi(stack, { statusLists: { get: (issuer, purpose, list) => publisher.get(issuer, purpose, list) } });
    publisher = new StatusListPublisher({
      client: chain.publicClient,
      chainId: 31337,
      registry: chain.registry,
      keys: new Map([[1, key]]),
      baseUrl: api.base,
      listSize: async (id) => (id === 1 ? 2 * STATUS_LIST_LENGTH : undefined),
      refreshMs: REFRESH_MS,
      now: () => clock,
    });
    dir = mkdtempSync(join(tmpdir(), "credanchor-status-lists-"));
    book = join(dir, "book.json");
    writeFileSync(book, JSON.stringify(chain.addressBook()));
  });
  after(async function () {
    await api?.close();
    await stack?.close();
    if (dir) removeDir(dir);
  });

  /** Issuer 1 changes statuses on-chain (its hot signer key), mined before this returns. */
  async function setStatus(action: keyof typeof ACTION, indices: number[]): Promise<void> {
    const wallet = chain.wallet(chain.issuers[0]!.key);
    const hash = await wallet.writeContract({ address: chain.registry, abi: credentialRegistryV2Abi, functionName: "updateStatuses", args: [ACTION[action], indices.map(BigInt), 0], chain: wallet.chain, account: wallet.account! });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
  }

  const get = (path: string, headers: Record<string, string> = {}) => call(api.base, "GET", path, { headers });
  const listJson = async (path: string) => JSON.parse((await get(path)).text) as JsonObject;

  describe("a standard verifier (@digitalbazaar/vc-bitstring-status-list) over HTTP", function () {
    let credential: JsonObject;
    // Fetches our lists over HTTP like a verifier would; contexts come from the pinned set.
    const pinned = createDocumentLoader();
    const documentLoader = async (url: string) => {
      if (!url.startsWith(api.base)) return pinned(url);
      const response = await fetch(url);
      expect(response.status, url).to.equal(200);
      return { contextUrl: null, documentUrl: url, document: await response.json() };
    };
    async function statuses(): Promise<Record<string, boolean>> {
      const result = await checkStatus({ credential, documentLoader, suite: verifyingSuites(), verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true });
      expect(result.verified, String(result.error)).to.equal(true);
      const results = (result as unknown as { results: Array<{ status: boolean; credentialStatus: { statusPurpose: string } }> }).results;
      // Every entry is a BitstringStatusListEntry: the chain entry (third) reads the revocation list at the same index.
      expect(results.map((r) => r.credentialStatus.statusPurpose)).to.deep.equal(["revocation", "suspension", "revocation"]);
      expect(results[2]!.status).to.equal(results[0]!.status);
      return Object.fromEntries(results.map((r) => [r.credentialStatus.statusPurpose, r.status]));
    }

    before(async function () {
      const credentialStatus = createStatusEntries({ chainId: 31337, registry: chain.registry, issuerId: 1, statusIndex: 300, statusListUrl: statusListUrlFrom(api.base, 1) });
      credential = await issueCredential(openBadge(), { key, issuerName: "Example University", credentialStatus });
    });

    it("behavior: fresh → neither revoked nor suspended", async function () {
      expect(await statuses()).to.deep.equal({ revocation: false, suspension: false });
    });

    it("behavior: revoked on-chain → the cached list until the next poll, then revoked", async function () {
      await setStatus("revoke", [300]);
      expect((await statuses()).revocation, "served from memory within the poll interval").to.equal(false);
      nextPoll();
      expect(await statuses()).to.deep.equal({ revocation: true, suspension: false });
    });

    it("behavior: suspended → suspended; reinstated → not suspended (still revoked)", async function () {
      await setStatus("suspend", [300]);
      nextPoll();
      expect(await statuses()).to.deep.equal({ revocation: true, suspension: true });
      await setStatus("reinstate", [300]);
      nextPoll();
      expect(await statuses()).to.deep.equal({ revocation: true, suspension: false });
    });
  });

  it("behavior: indices 0, 7, 8, 255, 256, 131,071 of list 1 read the same through the served list as in the contract's words", async function () {
    await setStatus("revoke", BOUNDARIES.map((i) => STATUS_LIST_LENGTH + i));
    nextPoll();
    const list = await listJson("/status-lists/1/revocation/1");
    const decoded = await decodeList({ encodedList: String((list.credentialSubject as JsonObject).encodedList) });
    expect(decoded.length).to.equal(STATUS_LIST_LENGTH);
    const source = statusListSourceOf(list)!;
    expect(source).to.include({ chainId: "31337", issuerId: "1", list: "1" });
    const { revoked } = await readStatusWords(chain.publicClient, chain.registry, 1n, 512n, 512n, BigInt(source.blockNumber));
    for (const i of [...BOUNDARIES, 1, 6, 9, 254, 257, 131_070]) {
      expect(decoded.getStatus(i), `index ${i}`).to.equal(BOUNDARIES.includes(i));
      expect(decoded.getStatus(i), `index ${i} against the words`).to.equal(isBitSet(revoked, 512n, BigInt(STATUS_LIST_LENGTH + i)));
    }
  });

  it("behavior: ETag names the block; If-None-Match → 304; CORS open; a change → a new ETag", async function () {
    const first = await get("/status-lists/1/suspension/0");
    expect(first.status).to.equal(200);
    expect(first.headers.get("content-type")).to.match(/^application\/vc\+ld\+json/);
    expect(first.headers.get("access-control-allow-origin")).to.equal("*");
    expect(first.headers.get("cache-control")).to.equal(`public, max-age=${REFRESH_MS / 1000}`);
    const etag = first.headers.get("etag")!;
    const block = statusListSourceOf(JSON.parse(first.text))!.blockNumber;
    expect(etag).to.equal(`"31337-1-suspension-0-${block}"`);
    for (const held of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const again = await get("/status-lists/1/suspension/0", { "if-none-match": held });
      expect(again.status, held).to.equal(304);
      expect(again.text).to.equal("");
      expect(again.headers.get("etag")).to.equal(etag);
      expect(again.headers.get("access-control-allow-origin")).to.equal("*");
    }
    expect((await get("/status-lists/1/suspension/0", { "if-none-match": '"other"' })).status).to.equal(200);
    // A new block with the same words keeps the same list; a change makes a new one.
    await setStatus("revoke", [5]);
    nextPoll();
    expect((await get("/status-lists/1/suspension/0")).headers.get("etag")).to.equal(etag);
    await setStatus("suspend", [5]);
    nextPoll();
    const changed = await get("/status-lists/1/suspension/0", { "if-none-match": etag });
    expect(changed.status).to.equal(200);
    expect(changed.headers.get("etag")).to.not.equal(etag);
  });

  it("error: unknown issuer, a list beyond the issuer's, a wrong purpose or list number, a huge If-None-Match: 4xx with codes", async function () {
    expectError(await get("/status-lists/2/revocation/0"), 404, "NOT_FOUND"); // a registered issuer whose lists are not served here
    expectError(await get("/status-lists/9/revocation/0"), 404, "NOT_FOUND");
    expectError(await get("/status-lists/1/revocation/2"), 404, "NOT_FOUND"); // issuer 1 has 2 lists
    expectError(await get("/status-lists/1/revoked/0"), 400, "REQUEST_INVALID");
    expectError(await get("/status-lists/1/revocation/32768"), 400, "REQUEST_INVALID");
    expectError(await get("/status-lists/1/revocation/01"), 400, "REQUEST_INVALID");
    expectError(await get("/status-lists/1/revocation/0", { "if-none-match": `"${"a".repeat(8000)}"` }), 400, "REQUEST_INVALID");
    expectError(await call(api.base, "POST", "/status-lists/1/revocation/0", { body: {} }), 405, "METHOD_NOT_ALLOWED");
  });

  it("behavior: the merge wiring serves the database's issuers that have a key, up to their index space (statusListPublisherFor)", async function () {
    const wired = statusListPublisherFor({ client: chain.publicClient, chainId: 31337, registry: chain.registry, issuers: stack.store.issuers, keys: new Map([[2, key], [7, key]]), baseUrl: "https://issuer.example" });
    const served = await wired.get(2, "suspension", 0); // issuer 2: registered here, 131,072 indices so far
    expect(JSON.parse(served.body).id).to.equal("https://issuer.example/status-lists/2/suspension/0");
    for (const [issuer, list] of [[2, 1], [7, 0], [1, 0]] as const) {
      const error = await wired.get(issuer, "revocation", list).then(() => undefined, (e: unknown) => e as { code: string });
      expect(error?.code, `issuer ${issuer} list ${list}`).to.equal("NOT_FOUND"); // beyond its space; not in the database; no key
    }
  });

  describe("credanchor status-list build|check", function () {
    it("behavior: build writes the chain's bits alone (list 1: the boundary indices)", async function () {
      const out = join(dir, "built.json");
      const r = await cli(["status-list", "build", "--rpc", chain.url, "--registry", chain.registry, "--issuer", "1", "--list", "1", "--out", out]);
      expect(r.code, r.stderr).to.equal(0);
      const built = JSON.parse(readFileSync(out, "utf8"));
      expect(built).to.include({ chainId: 31337, issuerId: 1, purpose: "revocation", list: 1, entries: STATUS_LIST_LENGTH });
      expect(built.set).to.deep.equal(BOUNDARIES);
      const served = await listJson("/status-lists/1/revocation/1");
      expect(decodeBitstring(built.encodedList)).to.deep.equal(decodeBitstring(String((served.credentialSubject as JsonObject).encodedList)));
      const bits = join(dir, "built.bits");
      expect((await cli(["status-list", "build", "--rpc", chain.url, "--registry", chain.registry, "--issuer", "1", "--purpose", "suspension", "--format", "bits", "--out", bits])).code).to.equal(0);
      expect(readFileSync(bits).length).to.equal(STATUS_LIST_LENGTH / 8);
      expect((await cli(["status-list", "build", "--rpc", chain.url, "--registry", "0x12", "--issuer", "1"])).code).to.equal(2);
    });

    it("behavior: the served list checks EQUAL over HTTP (exit 0)", async function () {
      const r = await cli(["status-list", "check", `${api.base}/status-lists/1/revocation/0`, "--rpc", chain.url, "--trust", book]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/EQUAL/);
    });

    it("attack: a lying list (one bit flipped, re-signed by a key) is caught: exit 1 naming the index", async function () {
      const truth = await listJson("/status-lists/1/revocation/0");
      const bits = decodeBitstring(String((truth.credentialSubject as JsonObject).encodedList));
      expect(bits[300 >> 3]! & (0x80 >> (300 & 7))).to.not.equal(0); // 300 is revoked on-chain
      bits[300 >> 3]! ^= 0x80 >> (300 & 7); // the liar un-revokes it
      const liar = await generateAssertionKey();
      const lie = await buildStatusListCredential({
        url: String(truth.id),
        purpose: "revocation",
        words: bitstringToWords(bits),
        key: liar,
        validFrom: new Date(),
        validForSeconds: 3600,
        ttlMs: 1000,
        source: statusListSourceOf(truth)!,
      });
      const file = join(dir, "lie.json");
      writeFileSync(file, JSON.stringify(lie));
      const r = await cli(["status-list", "check", file, "--rpc", chain.url, "--trust", book]);
      expect(r.code, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.match(/DIFFERENT/).and.match(/index 300 \(status index 300\): list says clear, chain says set/);
    });

    it("attack: a flipped bit without re-signing (the signature breaks): exit 1", async function () {
      const truth = await listJson("/status-lists/1/revocation/0");
      const subject = truth.credentialSubject as JsonObject;
      const bits = decodeBitstring(String(subject.encodedList));
      bits[0]! ^= 0x80;
      const { encodeBitstring } = await import("../../src/vc/status-list.ts");
      subject.encodedList = encodeBitstring(bits);
      const file = join(dir, "tampered.json");
      writeFileSync(file, JSON.stringify(truth));
      const r = await cli(["status-list", "check", file, "--rpc", chain.url, "--trust", book]);
      expect(r.code, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.match(/signature does not verify/);
    });

    it("error: cannot decide (exit 2): an untrusted registry, no source evidence, an unreachable list", async function () {
      const url = `${api.base}/status-lists/1/revocation/0`;
      expect((await cli(["status-list", "check", url, "--rpc", chain.url])).code, "registry not trusted").to.equal(2);
      const truth = await listJson("/status-lists/1/revocation/0");
      const bare = await buildStatusListCredential({ url, purpose: "revocation", words: [], key, validFrom: new Date(), validForSeconds: 3600, ttlMs: 1000 });
      const file = join(dir, "bare.json");
      writeFileSync(file, JSON.stringify(bare));
      const r = await cli(["status-list", "check", file, "--rpc", chain.url, "--trust", book]);
      expect(r.code).to.equal(2);
      expect(r.stdout).to.match(/no CredanchorStatusListSource/);
      expect((await cli(["status-list", "check", `${api.base}/status-lists/9/revocation/0`, "--rpc", chain.url, "--trust", book])).code).to.equal(2);
      expect(truth.issuer).to.equal(key.did);
    });
  });
});
