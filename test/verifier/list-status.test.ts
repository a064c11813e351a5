// readListStatuses: a VC's BitstringStatusListEntry read from its published list only when the list is the issuer's
// authentic one (signature verifies, signed by the credential's issuer, same purpose, long enough); otherwise
// "untrusted" or "unavailable", never thrown. Lists are served by an injected fetch (no chain: the bits alone).
import { expect } from "chai";
import { readFileSync } from "node:fs";
import type { JsonObject } from "../../src/core/json.ts";
import { issueCredential } from "../../src/vc/issue.ts";
import { generateAssertionKey, type AssertionKey } from "../../src/vc/keys.ts";
import { createStatusEntries, statusListUrlFrom, type StatusPurpose } from "../../src/vc/status-entries.ts";
import { buildStatusListCredential } from "../../src/vc/status-list.ts";
import { readListStatuses } from "../../src/verifier/list-status.ts";
import { openBadge } from "../vc/fixtures.ts";

const BASE = "https://issuer.example";
const INDEX = 300;
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("src/verifier: readListStatuses (a VC's status from its published lists)", function () {
  this.timeout(60_000);
  let issuer: AssertionKey;
  let stranger: AssertionKey;
  let vc: JsonObject;

  before(async function () {
    [issuer, stranger] = await Promise.all([generateAssertionKey(), generateAssertionKey()]);
    const { id: _id, issuer: _issuer, ...badge } = openBadge();
    const credentialStatus = createStatusEntries({ chainId: 31337, registry: REGISTRY, issuerId: 1, statusIndex: INDEX, statusListUrl: statusListUrlFrom(BASE, 1) });
    vc = await issueCredential(badge, { key: issuer, issuerName: "University", credentialStatus });
  });

  /** A list for `purpose` with `set` indices set, signed by `key`, as `purposeInList` says. */
  async function list(key: AssertionKey, purpose: StatusPurpose, set: number[], purposeInList: StatusPurpose = purpose): Promise<JsonObject> {
    const words = Array.from({ length: 512 }, () => 0n);
    for (const i of set) words[i >> 8] = words[i >> 8]! | (1n << BigInt(i & 255));
    return buildStatusListCredential({ url: `${BASE}/status-lists/1/${purpose}/0`, purpose: purposeInList, words, key, validFrom: new Date(Date.now() - 60_000), validForSeconds: 86_400, ttlMs: 300_000 });
  }
  const serving = (lists: Record<string, unknown>): typeof fetch =>
    (async (url: string | URL) => {
      const body = lists[String(url)];
      if (body === undefined) return new Response("no", { status: 404 });
      return new Response(typeof body === "string" ? body : JSON.stringify(body), { status: 200 });
    }) as typeof fetch;
  const url = (purpose: StatusPurpose) => `${BASE}/status-lists/1/${purpose}/0`;

  it("behavior: src/verifier/list-status.ts imports no server layer (api, issuer, store, cli), no server or database package, no fs / network module", function () {
    const source = readFileSync(new URL("../../src/verifier/list-status.ts", import.meta.url), "utf8");
    expect(source).not.to.match(/from\s+["']\.\.\/(api|issuer|store|cli)\//);
    expect(source).not.to.match(/from\s+["'](express|better-sqlite3|pino)["']/);
    expect(source).not.to.match(/["']node:(fs|net|http|https|child_process|dgram)["']/);
  });

  it("default: the issuer's lists are read: the entry's bit, per purpose", async function () {
    const readings = await readListStatuses(vc, { fetch: serving({ [url("revocation")]: await list(issuer, "revocation", [INDEX]), [url("suspension")]: await list(issuer, "suspension", [INDEX + 1]) }) });
    expect(readings.map((r) => [r.purpose, r.outcome, r.listSays, r.index, r.url])).to.deep.equal([
      ["revocation", "read", true, INDEX, url("revocation")],
      ["suspension", "read", false, INDEX, url("suspension")],
    ]);
    expect(readings.every((r) => r.agrees === undefined && r.chainSays === undefined), "no chain client: nothing compared").to.equal(true);
  });

  it("attack: a list signed by another key, of another purpose, or tampered after signing is not the issuer's: untrusted, its bit not read", async function () {
    const tampered = await list(issuer, "suspension", []);
    (tampered.credentialSubject as JsonObject).encodedList = String(((await list(issuer, "suspension", [INDEX])).credentialSubject as JsonObject).encodedList);
    const readings = await readListStatuses(vc, { fetch: serving({ [url("revocation")]: await list(stranger, "revocation", []), [url("suspension")]: tampered }) });
    expect(readings.map((r) => [r.outcome, r.listSays])).to.deep.equal([["untrusted", undefined], ["untrusted", undefined]]);
    expect(readings[0]!.message).to.include(`signed by ${stranger.did}, not by the credential's issuer ${issuer.did}`);
    expect(readings[1]!.message).to.match(/signature does not verify/);
    const [wrongPurpose] = await readListStatuses(vc, { fetch: serving({ [url("revocation")]: await list(issuer, "revocation", [], "suspension") }) });
    expect(wrongPurpose).to.include({ outcome: "untrusted" });
    expect(wrongPurpose!.message).to.match(/statusPurpose is suspension/);
  });

  it("behavior: unreachable, failing or unreadable lists are \"list unavailable\", never thrown", async function () {
    const down = (async () => {
      throw new TypeError("fetch failed");
    }) as unknown as typeof fetch;
    for (const [fetcher, pattern] of [
      [down, /list unavailable: fetch failed/],
      [serving({}), /list unavailable: HTTP 404/],
      [serving({ [url("revocation")]: "{not json", [url("suspension")]: "{not json" }), /list unavailable: .*JSON/],
      [serving({ [url("revocation")]: { type: ["VerifiableCredential"] }, [url("suspension")]: [] }), /list unreadable: invalid status list.*not a BitstringStatusListCredential/],
    ] as const) {
      const readings = await readListStatuses(vc, { fetch: fetcher });
      expect(readings.map((r) => r.outcome)).to.deep.equal(["unavailable", "unavailable"]);
      expect(readings[0]!.message).to.match(pattern);
    }
    expect(await readListStatuses("not a credential")).to.deep.equal([]);
    expect(await readListStatuses({ ...vc, credentialStatus: [{ type: "BitstringStatusListEntry", statusPurpose: "revocation", statusListIndex: "x", statusListCredential: "file:///etc/passwd" }] })).to.deep.equal([]);
  });
});
