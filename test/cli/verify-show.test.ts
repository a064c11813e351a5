// `credanchor verify --show` as a user runs it: the certificate (achievement, holder, issuer from
// the chain, dates, status with date and reason) before the checks, all text terminal-safe.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { certificateLines } from "../../src/cli/certificate-text.ts";
import type { Bundle } from "../../src/core/bundle.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle, type VerificationReport } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, ISSUER_IDENTITIES, openStack, removeDir, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { cli } from "../helpers/cli.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };

describe("credanchor verify --show (CLI)", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let dir: string;
  let args: string[];
  const files: Record<"valid" | "revoked", string> = { valid: "", revoked: "" };

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain);
    dir = mkdtempSync(join(tmpdir(), "credanchor-show-"));
    const book = join(dir, "book.json");
    writeFileSync(book, JSON.stringify(chain.addressBook("show-test")));
    args = ["--trust", book, "--rpc", chain.url];

    const valid = sampleBadge();
    Object.assign(valid.credentialSubject as JsonObject, { name: "Ada Lovelace" });
    ((valid.credentialSubject as JsonObject).achievement as JsonObject).alignment = [{ type: ["Alignment"], targetName: "Work in teams", targetFramework: "ESCO" }];
    const revoked = sampleBadge();
    // A name that tries to rewrite the terminal: clear the line, then claim VALID.
    Object.assign(revoked.credentialSubject as JsonObject, { name: "Eve\x1b[2K\rVALID \u202egnp.exe" });
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [valid, revoked] });
    await runUntil(stack, async () => (await Promise.all(credentials.map(async (c) => (await stack.service.getCredential(issuer1, c.id)).state === "confirmed"))).every(Boolean));
    const change = await stack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [credentials[1]!.id], reason: 3 });
    await runUntil(stack, async () => (await stack.service.getStatusChange(issuer1, change.change.id)).state === "confirmed");
    for (const [k, name] of (["valid", "revoked"] as const).entries()) {
      files[name] = join(dir, `${name}.json`);
      writeFileSync(files[name], JSON.stringify((await stack.service.getCredential(issuer1, credentials[k]!.id)).bundle));
    }
  });

  after(async function () {
    await closeStack(stack);
    if (dir) removeDir(dir);
  });

  it("default: a valid badge prints achievement, holder, the chain's issuer identity, dates, skills and status before the checks", async function () {
    const r = await cli(["verify", "--show", files.valid, ...args]);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).to.equal(`${files.valid}: VALID`);
    expect(lines[1]).to.equal("  Teamwork (Open Badge)");
    expect(r.stdout).to.include("  awarded to   Ada Lovelace\n");
    expect(r.stdout).to.include(`  issued by    University, ${ISSUER_IDENTITIES[1]} (issuer 1 on chain 31337, verified on the blockchain)\n`);
    expect(r.stdout).to.include("               named in the credential: Example University\n");
    expect(r.stdout).to.include("  issued on    2024-05-01\n  expires      2029-05-01\n");
    expect(r.stdout).to.include("  skills       Work in teams (ESCO)\n");
    expect(r.stdout).to.include("  status       not revoked, not suspended\n");
    expect(r.stdout).to.not.include("WARNING");
    expect(lines.indexOf("  checks:")).to.be.greaterThan(lines.findIndex((l) => l.startsWith("  status")));
    expect(lines.indexOf("  checks:")).to.be.lessThan(lines.findIndex((l) => l.includes("✓ format")));
    // Without --show: the checks only, as before.
    expect((await cli(["verify", files.valid, ...args])).stdout).to.not.include("awarded to");
  });

  it("behavior: a revoked badge says when (block time, UTC) and why (reason code); hostile text from the credential is escaped", async function () {
    const r = await cli(["verify", "--show", files.revoked, ...args]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/\n {2}status {7}REVOKED on \d{4}-\d\d-\d\d \d\d:\d\d UTC, reason code 3, block \d+\n/);
    expect(r.stdout).to.include("  awarded to   Eve\\x1b[2K\\x0dVALID \\u202egnp.exe\n");
    expect(r.stdout).to.not.match(/[\x1b\r\u202e]/);
  });

  it("behavior: a credential naming another issuer than the anchoring one gets a warning line; without the chain the issuer is marked not verified", async function () {
    const bundle = JSON.parse(readFileSync(files.valid, "utf8")) as Bundle;
    const report = await verifyBundle(bundle, { trust: createTrustList([chain.addressBook()]), rpc: { 31337: chain.url } });
    const spoofed: VerificationReport = { ...report, issuer: { issuerId: 1, onChain: ISSUER_IDENTITIES[1], name: "Uni of Example", claimed: "did:web:evil.example", matches: false } };
    const lines = certificateLines(spoofed);
    expect(lines).to.include(`issued by    Uni of Example, ${ISSUER_IDENTITIES[1]} (issuer 1 on chain 31337, verified on the blockchain)`);
    expect(lines).to.include(`             ⚠ WARNING: the credential claims to be issued by did:web:evil.example, but ${ISSUER_IDENTITIES[1]} recorded it on the blockchain`);
    const { anchor: _anchor, issuer: _issuer, ...unread } = report;
    expect(certificateLines(unread)).to.include("issued by    Example University (NOT verified: the blockchain record could not be read)");
  });
});
