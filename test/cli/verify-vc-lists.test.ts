// `credanchor verify` on a standard VC issued by a real service: the status from the chain (used) beside the status from
// its published lists (fetched, signature verified); a list that disagrees with the chain is a warning naming it, an
// unreachable list is "list unavailable" and never a failure.
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { call } from "../api/http.ts";
import { openBadge } from "../vc/fixtures.ts";
import { closeStack, openStack, removeDir, runUntil, startChain, type Chain, type Stack } from "../helpers/stack.ts";
import { serveVcApi, type VcService } from "../helpers/vc-service.ts";
import { cli } from "../helpers/cli.ts";

const ISSUER_1: Principal = { kind: "issuer", issuerId: 1, keyId: "test" };

describe("credanchor verify on a standard VC: status from its lists beside the chain (CLI, real service)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let stack: Stack;
  let api: VcService;
  let dir: string;
  let args: string[];

  before(async function () {
    // A chain of its own: signing waits for the wall clock to pass the block that bound the
    // assertion key, and a shared node's clock runs ahead of it (a block a second at most).
    chain = await startChain();
    stack = await openStack(chain, { batch: { maxSize: 1000, maxWaitMs: 0 }, pollMs: 20 });
    api = await serveVcApi(chain, stack);
    dir = mkdtempSync(join(tmpdir(), "credanchor-vc-lists-"));
    const book = join(dir, "book.json");
    writeFileSync(book, JSON.stringify(chain.addressBook("vc-lists-test")));
    args = ["--trust", book, "--rpc", chain.url];
  });

  after(async function () {
    await api?.close();
    await closeStack(stack);
    await chain?.stop();
    if (dir) removeDir(dir);
  });

  /** Issues a VC through the VC-API, waits for its anchor and writes its latest form (both proofs) to a file. */
  async function anchoredVcFile(name: string): Promise<{ file: string; vc: JsonObject }> {
    const { id: _id, issuer: _issuer, ...credential } = openBadge();
    const issued = await call(api.base, "POST", "/credentials/issue", { token: stack.tokens[1]!, body: { credential } });
    expect(issued.status, issued.text).to.equal(201);
    const serviceId = String(issued.body.verifiableCredential.id).split("/").at(-1)!;
    await runUntil(stack, async () => ["anchored", "confirmed"].includes((await stack.service.getCredential(ISSUER_1, serviceId)).state));
    const latest = await call(api.base, "GET", `/credentials/${serviceId}`, { token: stack.tokens[1]! });
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(latest.body.verifiableCredential));
    return { file, vc: latest.body.verifiableCredential as JsonObject };
  }

  it("behavior: lists that agree: VALID, the chain's status used, each list read and agreeing, named by URL", async function () {
    const { file, vc } = await anchoredVcFile("agree");
    const r = await cli(["verify", file, ...args]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.include(`${file}: VALID (W3C VC)`);
    expect(r.stdout).to.match(/status {4}from the chain \(used\): ✓/);
    const [revocation, suspension] = (vc.credentialStatus as JsonObject[]).map((e) => `${String(e.statusListCredential)}#${String(e.statusListIndex)}`);
    expect(r.stdout).to.match(new RegExp(`list {6}revocation: not revoked, not set in the list signed by did:key:\\S+ at block \\d+ \\(${revocation!.replace(/[.?]/g, "\\$&")}\\); agrees with the chain`));
    expect(r.stdout).to.include(`suspension: not suspended`).and.include(`(${suspension}); agrees with the chain`);
    expect(r.stdout).not.to.include("warning");
    const json = JSON.parse((await cli(["verify", file, ...args, "--json"])).stdout)[0];
    expect(json.listStatus.map((l: { purpose: string; outcome: string; agrees: boolean }) => [l.purpose, l.outcome, l.agrees])).to.deep.equal([["revocation", "read", true], ["suspension", "read", true]]);
  });

  it("attack: a list that says otherwise than the chain (revoked on-chain, the list not rebuilt): INVALID by the chain, a warning naming the list", async function () {
    const { file, vc } = await anchoredVcFile("disagree");
    await cli(["verify", file, ...args]); // the lists are built and cached now
    const change = await call(api.base, "POST", "/credentials/status", { token: stack.tokens[1]!, body: { credentialId: String(vc.id), credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: true } });
    expect(change.status, change.text).to.equal(200);
    await runUntil(stack, async () => (await stack.service.getStatusChange(ISSUER_1, change.body.statusChange.id)).state === "confirmed");
    const r = await cli(["verify", file, ...args]);
    expect(r.code, r.stdout).to.equal(1);
    expect(r.stdout).to.include(`${file}: INVALID (W3C VC)`);
    expect(r.stdout).to.match(/status {4}from the chain \(used\): ✗/);
    const url = String((vc.credentialStatus as JsonObject[])[0]!.statusListCredential);
    expect(r.stdout).to.include("DISAGREES with the chain");
    expect(r.stdout).to.include(`⚠ warning: the published list ${url} says not revoked, the chain revoked: the chain was used`);
    // One poll later the list is rebuilt from the chain and agrees.
    api.nextPoll();
    const later = await cli(["verify", file, ...args]);
    expect(later.stdout).to.include("revocation: revoked").and.not.include("warning");
  });

  it("behavior: lists that cannot be fetched: \"list unavailable\", the verdict from the chain alone (VALID)", async function () {
    const { file } = await anchoredVcFile("unavailable");
    await api.close();
    const r = await cli(["verify", file, ...args]);
    expect(r.code, r.stdout).to.equal(0);
    expect(r.stdout).to.include(": VALID (W3C VC)");
    expect(r.stdout).to.match(/list {6}revocation: list unavailable: .+; not used: the chain decides/);
    expect(r.stdout).to.match(/list {6}suspension: list unavailable/);
  });
});
