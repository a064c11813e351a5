// verifyBundle end to end: real credentials, a real tree, anchored on a real (in-process) chain;
// every check passes for a good bundle and fails for the right reason on a crafted bad one.
import { expect } from "chai";
import { network } from "hardhat";
import { createPublicClient, custom, type EIP1193Provider, type PublicClient } from "viem";
import { createBundle, encodeBundle, type Bundle } from "../../src/core/bundle.ts";
import { discloseCredential } from "../../src/core/disclosure.ts";
import { bytesToHex } from "../../src/core/encoding.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { getFreePort } from "../../src/chain/local-node.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle, verifyBundles, type VerificationReport, type VerifyOptions } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";

const Action = { Revoke: 0, Suspend: 1, Reinstate: 2 } as const;
const at = (iso: string) => () => Date.parse(iso) / 1000;
const outcome = (r: VerificationReport) => r.checks.map((c) => `${c.name}:${c.outcome}:${c.code}`);

function addressBook(chainId: number, address: string, extra: { retiredAtBlock?: number } = {}) {
  const hash = `0x${"22".repeat(32)}`;
  return {
    network: "test",
    chainId,
    deployments: [{ contract: "CredentialRegistry", address, version: "1.0.0", deployBlock: 1, deployTx: hash, deployer: address, governance: address, abiHash: hash, compiler: "solc 0.8.28", deployedAt: new Date().toISOString(), ...extra }],
  };
}

describe("src/verifier/verify-bundle.ts", function () {
  async function issued() {
    const { ethers, provider } = await network.getOrCreate();
    const [governance, admin, otherAdmin] = await ethers.getSigners();
    const registry = await ethers.deployContract("CredentialRegistry", [governance!.address]);
    const address = await registry.getAddress();
    await registry.registerIssuer(admin!.address, "did:web:uni.example", 0, 0);
    await registry.registerIssuer(otherAdmin!.address, "did:web:mallory.example", 0, 0);
    const chainId = 31337;

    /**
     * Issues `n` badges for `issuerId` in one batch and anchors it with `anchorer` (unless null)
     * in `target` (default: the trusted registry); `claimChainId` is the chain the digests commit to.
     */
    const batch = async (n: number, issuerId: number, anchorer: typeof admin | null, { target = registry, claimChainId = chainId, edit = (_c: JsonObject) => {} } = {}) => {
      const targetAddress = await target.getAddress();
      const prepared = Array.from({ length: n }, (_, k) => {
        const credential = sampleBadge();
        edit(credential);
        ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = `Teamwork ${k}`;
        const context = { chainId: claimChainId, registry: targetAddress, issuerId, statusIndex: k };
        return { credential, context, ...prepareCredential(credential, context) };
      });
      const tree = buildCredentialTree(prepared.map((p) => p.digest));
      let txHash = `0x${"00".repeat(32)}`;
      let blockNumber = 0;
      if (anchorer) {
        const receipt = await (await target.connect(anchorer).anchor(bytesToHex(tree.root))).wait();
        txHash = receipt!.hash;
        blockNumber = receipt!.blockNumber;
      }
      return prepared.map((p, k) =>
        createBundle(
          { credential: p.credential, salts: p.salts, hiddenFieldHashes: [], hiddenElements: [] },
          { ...p.context, validFrom: p.validFrom, validUntil: p.validUntil, leaf: tree.leaf(k), proof: tree.getProof(k), root: tree.root, txHash: Buffer.from(txHash.slice(2), "hex"), blockNumber },
        ),
      );
    };
    const client = createPublicClient({ transport: custom(provider as unknown as EIP1193Provider) }) as PublicClient;
    const options: VerifyOptions = { trust: createTrustList([addressBook(chainId, address)]), rpc: () => client, now: at("2026-11-22T12:00:00Z") };
    return { ethers, registry, governance: governance!, admin: admin!, otherAdmin: otherAdmin!, batch, options, address };
  }

  it("default: a fresh bundle is valid, every check passes, and the report names issuer, block and tx", async function () {
    const { batch, options, admin } = await issued();
    const [bundle] = await batch(3, 1, admin);
    const report = await verifyBundle(encodeBundle(bundle!), options);
    expect(report.verdict).to.equal("valid");
    expect(report.checks.map((c) => c.name)).to.deep.equal(["format", "integrity", "inclusion", "anchored", "issuer", "status", "validity"]);
    expect(report.checks.every((c) => c.outcome === "pass")).to.equal(true);
    expect(report.anchor?.issuerMetadataURI).to.equal("did:web:uni.example");
    expect(report.anchor?.blockNumber).to.equal(bundle!.blockNumber);
    expect(report.anchor?.txHash).to.equal(bundle!.txHash);
    expect(report.issuer).to.deep.equal({ issuerId: 1, claimed: "did:web:uni.example", onChain: "did:web:uni.example", matches: true });
  });

  it("error: issuer spoofing: issuer 2 anchors a badge whose issuer.id is issuer 1's DID → invalid ISSUER_MISMATCH, both identities reported", async function () {
    const { batch, options, otherAdmin } = await issued();
    // Mallory (issuer 2, did:web:mallory.example) anchors under her own id a "Doctor of Medicine"
    // that claims to come from issuer 1; everything else about it is genuine.
    const doctor = (c: JsonObject) => (((c.credentialSubject as JsonObject).achievement as JsonObject).name = "Doctor of Medicine");
    const [spoofed] = await batch(1, 2, otherAdmin, { edit: doctor });
    const [asString] = await batch(1, 2, otherAdmin, { edit: (c) => (c.issuer = "did:web:uni.example") });
    const [noId] = await batch(1, 2, otherAdmin, { edit: (c) => delete (c.issuer as JsonObject).id });
    const [honest] = await batch(1, 2, otherAdmin, { edit: (c) => ((c.issuer as JsonObject).id = "did:web:mallory.example") });
    const [unnamed] = await batch(1, 2, otherAdmin, { edit: (c) => delete c.issuer });

    const reports = await verifyBundles([spoofed, asString, noId, honest, unnamed], options);
    expect(reports.map((r) => r.verdict)).to.deep.equal(["invalid", "invalid", "invalid", "valid", "valid"]);
    for (const r of reports.slice(0, 3)) expect(outcome(r), JSON.stringify(outcome(r))).to.include("issuer:fail:ISSUER_MISMATCH");
    expect(reports[0]!.checks[4]!.message).to.equal('the credential names the issuer "did:web:uni.example", but issuer 2, which anchored it, has the on-chain identity "did:web:mallory.example"');
    expect(reports[0]!.issuer).to.deep.equal({ issuerId: 2, claimed: "did:web:uni.example", onChain: "did:web:mallory.example", matches: false });
    expect(reports[2]!.issuer).to.deep.equal({ issuerId: 2, onChain: "did:web:mallory.example", matches: false });
    expect(reports[3]!.issuer).to.deep.equal({ issuerId: 2, claimed: "did:web:mallory.example", onChain: "did:web:mallory.example", matches: true });
    // A generic credential naming no issuer claims nothing: the report shows who anchored it.
    expect(reports[4]!.issuer).to.deep.equal({ issuerId: 2, onChain: "did:web:mallory.example", matches: true });
  });

  it("behavior: an address book's retiredAtBlock refuses anchors from that block on (REGISTRY_RETIRED), earlier ones stay valid", async function () {
    const { batch, options, admin, address } = await issued();
    const [before] = await batch(1, 1, admin);
    const [after] = await batch(1, 1, admin);
    const retired = { ...options, trust: createTrustList([addressBook(31337, address, { retiredAtBlock: after!.blockNumber })]) };
    const reports = await verifyBundles([before, after], retired);
    expect(reports.map((r) => r.verdict)).to.deep.equal(["valid", "invalid"]);
    expect(outcome(reports[1]!)).to.include("anchored:fail:REGISTRY_RETIRED");
    expect(reports[1]!.checks[3]!.message).to.equal(`anchored in block ${after!.blockNumber}, but the address book retired registry ${address} at block ${after!.blockNumber}`);
    expect(() => createTrustList([addressBook(31337, address, { retiredAtBlock: -1 })])).to.throw(/address book #1 is invalid/);
  });

  it("error: a chain that has not reached the anchor's block cannot decide (RPC_BEHIND, verdict error), not invalid", async function () {
    const { batch, options, admin } = await issued();
    const [bundle] = await batch(1, 1, admin);
    // The same registry address on a chain that lacks the anchor: as this chain before block N.
    const [fresh] = await batch(1, 1, null);
    const future = { ...fresh!, blockNumber: bundle!.blockNumber + 1_000_000 };
    const [report] = await verifyBundles([future], options);
    expect(report!.verdict).to.equal("error");
    expect(outcome(report!)).to.include("anchored:skip:RPC_BEHIND");
    expect(report!.checks[3]!.message).to.match(/is at block \d+, before the anchor's block \d+/);
  });

  it("behavior: a holder's disclosed subset still verifies", async function () {
    const { batch, options, admin } = await issued();
    const [bundle] = await batch(2, 1, admin);
    const { bundleView } = await import("../../src/core/bundle.ts");
    const view = discloseCredential(bundleView(bundle!), ["/credentialSubject/id", "/credentialSubject/achievement/description"]);
    const hidden: Bundle = { ...bundle!, credential: view.credential, salts: Buffer.from(view.salts).toString("base64url"), hiddenFieldHashes: view.hiddenFieldHashes.map(bytesToHex), hiddenElements: view.hiddenElements };
    const report = await verifyBundle(hidden, options);
    expect(report.verdict, JSON.stringify(outcome(report))).to.equal("valid");
    expect(JSON.stringify(report.bundle!.credential)).to.not.include("achievement\":{\"description");
  });

  it("error: each tampering fails the right check (field, salt, hidden hash, another leaf's proof)", async function () {
    const { batch, options, admin } = await issued();
    const [a, b] = await batch(4, 1, admin);

    const tamperedField = structuredClone(a!);
    ((tamperedField.credential.credentialSubject as JsonObject).achievement as JsonObject).name = "Leadership";
    const salts = Buffer.from(a!.salts, "base64url");
    salts[5]! ^= 1;
    const wrongSalt = { ...a!, salts: salts.toString("base64url") };
    const { bundleView } = await import("../../src/core/bundle.ts");
    const view = discloseCredential(bundleView(a!), ["/credentialSubject/achievement/description"]);
    const badHidden = { ...a!, credential: view.credential, salts: Buffer.from(view.salts).toString("base64url"), hiddenElements: view.hiddenElements, hiddenFieldHashes: view.hiddenFieldHashes.map((h) => bytesToHex(h.map((x, i) => (i === 0 ? x ^ 1 : x)))).sort() };
    const otherProof = { ...a!, proof: b!.proof };

    const reports = await verifyBundles([tamperedField, wrongSalt, badHidden, otherProof], options);
    for (const report of reports.slice(0, 3)) {
      expect(report.verdict).to.equal("invalid");
      expect(outcome(report)[1]).to.equal("integrity:fail:LEAF_MISMATCH");
    }
    expect(reports[3]!.verdict).to.equal("invalid");
    expect(outcome(reports[3]!)).to.include("inclusion:fail:PROOF_INVALID");
  });

  it("error: chain facts: never anchored, anchored by another issuer, look-alike registry, wrong chain", async function () {
    const { ethers, batch, options, admin, otherAdmin, governance } = await issued();
    const [never] = await batch(2, 1, null);
    const [stolen] = await batch(2, 1, otherAdmin); // Mallory anchors a batch claiming issuer 1
    // A look-alike registry: valid inside, anchored for real, but not a trusted deployment.
    const lookAlike = await ethers.deployContract("CredentialRegistry", [governance.address]);
    await lookAlike.registerIssuer(admin.address, "did:web:uni.example", 0, 0);
    const [forged] = await batch(2, 1, admin, { target: lookAlike });
    const [otherChain] = await batch(2, 1, null, { claimChainId: 1 });

    const reports = await verifyBundles([never, stolen, forged, otherChain], options);
    expect(outcome(reports[0]!)).to.include("anchored:fail:ROOT_NOT_ANCHORED");
    expect(outcome(reports[1]!)).to.include("anchored:fail:ROOT_OF_ANOTHER_ISSUER");
    expect(outcome(reports[2]!).slice(0, 3)).to.deep.equal(["format:pass:OK", "integrity:pass:OK", "inclusion:pass:OK"]);
    expect(reports[2]!.checks[3]!.message).to.equal(`unknown registry ${await lookAlike.getAddress()} on chain 31337: not in the trusted deployments`);
    expect(reports[3]!.checks[3]!.message).to.match(/^unknown registry 0x[0-9a-fA-F]{40} on chain 1:/);
    expect(reports.every((r) => r.verdict === "invalid")).to.equal(true);

    // Trusting the registry on chain 1 but pointing chain 1 at this (31337) node: undecidable.
    const { createTrustList: trustOf } = await import("../../src/verifier/trust.ts");
    const books = [addressBook(31337, options.trust.deployments[0]!.address), addressBook(1, options.trust.deployments[0]!.address)];
    const wrongRpc = await verifyBundle(otherChain, { ...options, trust: trustOf(books) });
    expect(wrongRpc.verdict).to.equal("error");
    expect(outcome(wrongRpc)).to.include("anchored:skip:RPC_WRONG_CHAIN");
  });

  it("error: a bundle naming another block or another transaction than the anchor's fails the anchored check", async function () {
    const { batch, options, admin, registry } = await issued();
    const [good, other] = await batch(2, 1, admin);
    const unrelated = await (await registry.connect(admin).anchor(`0x${"ab".repeat(32)}`)).wait();
    const wrongBlock = { ...good!, blockNumber: good!.blockNumber + 1 };
    const otherTx = { ...good!, txHash: unrelated!.hash, blockNumber: good!.blockNumber };
    const noTx = { ...good!, txHash: `0x${"cd".repeat(32)}` };
    const reports = await verifyBundles([good, other, wrongBlock, otherTx, noTx], options);
    expect(reports.map((r) => r.verdict)).to.deep.equal(["valid", "valid", "invalid", "invalid", "invalid"]);
    expect(outcome(reports[2]!)).to.include("anchored:fail:BLOCK_MISMATCH");
    expect(outcome(reports[3]!)).to.include("anchored:fail:TX_MISMATCH");
    expect(reports[3]!.checks[3]!.message).to.match(/is in block \d+, not \d+|does not carry this root/);
    expect(reports[4]!.checks[3]!.message).to.match(/no such transaction on this chain/);
  });

  it("error: revoked leaf, revoked root, suspended; reinstated is valid again", async function () {
    const { batch, options, admin, registry } = await issued();
    const bundles = await batch(4, 1, admin);
    await registry.connect(admin).updateStatus(Action.Revoke, bundles[0]!.statusIndex, 1);
    await registry.connect(admin).updateStatus(Action.Suspend, bundles[1]!.statusIndex, 0);
    let reports = await verifyBundles(bundles, options);
    expect(outcome(reports[0]!)).to.include("status:fail:REVOKED");
    expect(outcome(reports[1]!)).to.include("status:fail:SUSPENDED");
    expect(reports[2]!.verdict).to.equal("valid");
    await registry.connect(admin).updateStatus(Action.Reinstate, bundles[1]!.statusIndex, 0);
    await registry.connect(admin).revokeRoot(bundles[0]!.root, 2);
    reports = await verifyBundles(bundles, options);
    expect(outcome(reports[1]!)).to.include("status:fail:BATCH_REVOKED");
    expect(outcome(reports[2]!)).to.include("status:fail:BATCH_REVOKED");
  });

  it("error: expired and not yet valid, by the injected clock", async function () {
    const { batch, options, admin } = await issued();
    const [bundle] = await batch(1, 1, admin);
    const expired = await verifyBundle(bundle, { ...options, now: at("2030-01-01T00:00:00Z") });
    expect(outcome(expired)).to.include("validity:fail:EXPIRED");
    const early = await verifyBundle(bundle, { ...options, now: at("2024-01-01T00:00:00Z") });
    expect(outcome(early)).to.include("validity:fail:NOT_YET_VALID");
    expect([expired.verdict, early.verdict]).to.deep.equal(["invalid", "invalid"]);
  });

  it("error: RPC unreachable gives error (never valid or invalid); malformed and huge input fail the format check", async function () {
    const { batch, options, admin } = await issued();
    const [bundle] = await batch(1, 1, admin);
    const down = await verifyBundle(bundle, { ...options, rpc: { 31337: `http://127.0.0.1:${await getFreePort()}` } });
    expect(down.verdict).to.equal("error");
    expect(outcome(down)).to.include("anchored:skip:RPC_UNAVAILABLE");

    const malformed = await verifyBundle('{"version":1,', options);
    expect(malformed.verdict).to.equal("invalid");
    expect(malformed.checks[0]!.outcome).to.equal("fail");
    const huge = await verifyBundle(`{"version":1,"pad":"${"x".repeat(3 << 20)}"}`, options);
    expect(huge.verdict).to.equal("invalid");
    expect(huge.checks[0]!.code).to.equal("BUNDLE_INVALID");
    const version2 = await verifyBundle({ ...bundle, version: 2 }, options);
    expect(version2.checks[0]!.code).to.equal("BUNDLE_UNSUPPORTED_VERSION");
    for (const junk of [null, 42, [], "", "null"]) {
      expect((await verifyBundle(junk, options)).verdict).to.equal("invalid");
    }
  });
});
