// Regression: the verifier reads each trusted deployment with its own version's ABI. Bundles anchored
// in a v1 registry stay valid forever; v2 bundles are checked per (issuer, root) with the
// accreditor-set identity and name; one address book lists both deployments.
import { expect } from "chai";
import { network } from "hardhat";
import type { Signer } from "ethers";
import { createPublicClient, custom, type EIP1193Provider, type PublicClient } from "viem";
import { createBundle, encodeBundle, type Bundle } from "../../src/core/bundle.ts";
import { randomBytes } from "node:crypto";
import { bytesToHex } from "../../src/core/encoding.ts";
import { base58btcEncode } from "../../src/core/multibase.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle, type VerifyOptions } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";

const CHAIN_ID = 31337;
const at = (iso: string) => () => Date.parse(iso) / 1000;
const codes = (checks: { code: string }[]) => checks.map((c) => c.code);

type Anchorer = { getAddress(): Promise<string>; connect(signer: Signer): { anchor(root: string): Promise<{ wait(): Promise<{ hash: string; blockNumber: number } | null> }> } };

/** Issues `n` badges of `issuerId` for `registry`, anchors their root with `signer`, returns their bundles. */
async function issueBatch(registry: Anchorer, signer: Signer, issuerId: number, n: number, edit: (c: JsonObject) => void = () => {}): Promise<Bundle[]> {
  const address = await registry.getAddress();
  const prepared = Array.from({ length: n }, (_, k) => {
    const credential = sampleBadge();
    edit(credential);
    ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = `Versions ${k}`;
    const context = { chainId: CHAIN_ID, registry: address, issuerId, statusIndex: k };
    return { credential, context, ...prepareCredential(credential, context) };
  });
  const tree = buildCredentialTree(prepared.map((p) => p.digest));
  const receipt = (await (await registry.connect(signer).anchor(bytesToHex(tree.root))).wait())!;
  return prepared.map((p, k) =>
    createBundle(
      { credential: p.credential, salts: p.salts, hiddenFieldHashes: [], hiddenElements: [] },
      { ...p.context, validFrom: p.validFrom, validUntil: p.validUntil, leaf: tree.leaf(k), proof: tree.getProof(k), root: tree.root, txHash: Buffer.from(receipt.hash.slice(2), "hex"), blockNumber: receipt.blockNumber },
    ),
  );
}

function deploymentEntry(address: string, version: string) {
  const hash = `0x${"22".repeat(32)}`;
  return { contract: "CredentialRegistry", address, version, deployBlock: 1, deployTx: hash, deployer: address, governance: address, abiHash: hash, compiler: "solc 0.8.28", deployedAt: new Date().toISOString() };
}

describe("verifier across registry versions (v1 regression, v2)", function () {
  async function twoRegistries() {
    const { ethers, provider } = await network.getOrCreate();
    const [governance, v1Admin, v2Admin, v2Key, otherAdmin, otherKey] = await ethers.getSigners();
    const v1 = await ethers.deployContract("CredentialRegistry", [governance!.address]);
    await v1.registerIssuer(v1Admin!.address, "did:web:uni.example", 0, 0);
    const v2 = await ethers.deployContract("CredentialRegistryV2", [governance!.address, 172_800]);
    await v2.registerIssuer(v2Admin!.address, "did:web:uni.example", "University", 0, 0);
    await v2.registerIssuer(otherAdmin!.address, "did:web:other.example", "Other", 0, 0);
    await v2.connect(v2Admin!).addSignerKey(v2Key!.address);
    await v2.connect(otherAdmin!).addSignerKey(otherKey!.address);
    const book = { network: "test", chainId: CHAIN_ID, deployments: [deploymentEntry(await v1.getAddress(), "1.0.0"), deploymentEntry(await v2.getAddress(), "2.0.0")] };
    const client = createPublicClient({ transport: custom(provider as unknown as EIP1193Provider) }) as PublicClient;
    const options: VerifyOptions = { trust: createTrustList([book]), rpc: () => client, now: at("2026-11-22T12:00:00Z") };
    return { v1, v2, v1Admin: v1Admin!, v2Admin: v2Admin!, v2Key: v2Key!, otherAdmin: otherAdmin!, otherKey: otherKey!, options };
  }

  it("behavior: a bundle anchored with the v1 flow (admin key, verify(root, index)) is still valid with a trust list naming 1.0.0", async function () {
    const { v1, v1Admin, options } = await twoRegistries();
    const [bundle] = await issueBatch(v1 as unknown as Anchorer, v1Admin, 1, 3);
    const report = await verifyBundle(encodeBundle(bundle!), options);
    expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    expect(report.anchor).to.include({ issuerMetadataURI: "did:web:uni.example", issuerIdentity: "did:web:uni.example", issuerName: "" });
  });

  it("behavior: a v2 bundle is valid, and the report carries the accreditor-set identity and name", async function () {
    const { v2, v2Key, options } = await twoRegistries();
    const [bundle] = await issueBatch(v2 as unknown as Anchorer, v2Key, 1, 3);
    const report = await verifyBundle(encodeBundle(bundle!), options);
    expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    expect(report.anchor).to.include({ issuerId: 1n, issuerMetadataURI: "did:web:uni.example", issuerIdentity: "did:web:uni.example", issuerName: "University" });
  });

  it("attack: in v2 another issuer anchoring (and revoking) the same root first changes nothing for ours", async function () {
    const { v2, v2Key, otherKey, options } = await twoRegistries();
    const bundles = await issueBatch(v2 as unknown as Anchorer, v2Key, 1, 2);
    const root = bundles[0]!.root;
    const asOther = v2.connect(otherKey);
    await (await asOther.anchor(root)).wait();
    await (await asOther.revokeRoot(root, 1)).wait();
    const report = await verifyBundle(encodeBundle(bundles[0]!), options);
    expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    // A bundle naming issuer 2 for our root asks issuer 2's space, where it is revoked (not ours).
    const forged = await verifyBundle(encodeBundle({ ...bundles[0]!, issuerId: 2 }), options);
    expect(forged.verdict).to.equal("invalid");
  });

  it("error: a root anchored only in v1 is not anchored in v2 (the deployment a bundle names is the one read)", async function () {
    const { v1, v2, v1Admin, options } = await twoRegistries();
    const [bundle] = await issueBatch(v1 as unknown as Anchorer, v1Admin, 1, 1);
    const moved = { ...bundle!, registry: (await v2.getAddress()) as `0x${string}` };
    const report = await verifyBundle(encodeBundle(moved), options);
    expect(report.verdict).to.equal("invalid");
    expect(codes(report.checks)).to.not.include("ANCHORED");
  });

  it("behavior: a credential whose issuer is a did:key is the anchoring issuer's only when v2 binds that key to it (valid at the anchoring time)", async function () {
    const { v2, v2Admin, v2Key, otherAdmin, options } = await twoRegistries();
    const didKey = () => {
      const key = randomBytes(32);
      return { raw: bytesToHex(key), did: `did:key:${base58btcEncode(Uint8Array.of(0xed, 0x01, ...key))}` };
    };
    const [bound, unbound, others] = [didKey(), didKey(), didKey()];
    await (await v2.connect(v2Admin).addAssertionKey(bound.raw)).wait();
    await (await v2.connect(otherAdmin).addAssertionKey(others.raw)).wait();
    const asIssuer = (did: string) => (c: JsonObject) => ((c.issuer as JsonObject).id = did);
    const bundles = [
      ...(await issueBatch(v2 as unknown as Anchorer, v2Key, 1, 1, asIssuer(bound.did))),
      ...(await issueBatch(v2 as unknown as Anchorer, v2Key, 1, 1, asIssuer(unbound.did))),
      ...(await issueBatch(v2 as unknown as Anchorer, v2Key, 1, 1, asIssuer(others.did))),
    ];
    const reports = await Promise.all(bundles.map((b) => verifyBundle(encodeBundle(b), options)));
    expect(reports.map((r) => r.verdict)).to.deep.equal(["valid", "invalid", "invalid"]);
    expect(reports[0]!.issuer).to.deep.equal({ issuerId: 1, claimed: bound.did, onChain: "did:web:uni.example", name: "University", matches: true });
    for (const r of reports.slice(1)) expect(codes(r.checks)).to.include("ISSUER_MISMATCH");
    expect(reports[1]!.checks.find((c) => c.name === "issuer")!.message).to.match(/binds no such assertion key valid at the anchoring time/);
  });
});
