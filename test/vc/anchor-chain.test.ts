// The anchor proof against a real chain: anchored, issuer authorised, on-chain status through the v1 verifier; the status list rebuilt from the contract's words.
import { decodeList } from "@digitalbazaar/vc-bitstring-status-list";
import { expect } from "chai";
import { network } from "hardhat";
import { bytesToHex, createPublicClient, custom, hexToBytes, type Address, type EIP1193Provider, type PublicClient } from "viem";
import { readStatusWords } from "../../src/chain/read-registry.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { addAnchorProof, withoutProofs } from "../../src/vc/anchor-proof.ts";
import { issueCredential } from "../../src/vc/issue.ts";
import { createStatusEntries, statusListUrlFrom } from "../../src/vc/status-entries.ts";
import { buildStatusListCredential, WORDS_PER_LIST } from "../../src/vc/status-list.ts";
import { verifyVc, type KeyBinding } from "../../src/vc/verify.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { fixedKey, openBadge } from "./fixtures.ts";

const Action = { Revoke: 0, Suspend: 1, Reinstate: 2 } as const;

function book(address: string) {
  const hash = `0x${"11".repeat(32)}`;
  return {
    network: "vc-test",
    chainId: 31337,
    deployments: [{ contract: "CredentialRegistry", address, version: "1.0.0", deployBlock: 1, deployTx: hash, deployer: address, governance: address, abiHash: hash, compiler: "solc 0.8.28", deployedAt: new Date().toISOString() }],
  };
}

describe("vc: anchor proof on a real chain", function () {
  async function anchoredOnChain() {
    const { ethers, provider } = await network.getOrCreate();
    const [governance, admin, signer] = await ethers.getSigners();
    const registry = await ethers.deployContract("CredentialRegistry", [governance!.address]);
    const address = (await registry.getAddress()) as Address;
    await registry.registerIssuer(admin!.address, "did:web:uni.example", 0, 0);
    await registry.connect(admin!).addSignerKey(signer!.address);
    const client = createPublicClient({ transport: custom(provider as unknown as EIP1193Provider) }) as PublicClient;
    const key = await fixedKey();
    const context = { chainId: 31337, registry: address, issuerId: 1, statusIndex: 300 };
    const signed = await issueCredential(openBadge(), { key, issuerName: "Example University", credentialStatus: createStatusEntries({ ...context, statusListUrl: statusListUrlFrom("https://issuer.example", 1) }) });
    const prepared = prepareCredential(withoutProofs(signed), context);
    const tree = buildCredentialTree([prepared.digest, prepareCredential({ other: true }, { ...context, statusIndex: 301 }).digest]);
    const receipt = await (await registry.connect(signer!).anchor(bytesToHex(tree.root))).wait();
    const vc = addAnchorProof(signed, prepared.salts, {
      ...context, validFrom: prepared.validFrom, validUntil: prepared.validUntil,
      leaf: tree.leaf(0), proof: tree.getProof(0).slice(), root: tree.root,
      txHash: hexToBytes(receipt!.hash as `0x${string}`), blockNumber: receipt!.blockNumber,
    });
    const chain = { trust: createTrustList([book(address)]), rpc: () => client };
    const anchoredAt = (await registry.getAnchor(bytesToHex(tree.root))).anchoredAt;
    return { registry, admin: admin!, signer: signer!, client, address, key, vc, chain, anchoredAt: Number(anchoredAt) };
  }

  it("default: anchored, issuer authorised, active; key bound at the anchoring time", async () => {
    const { vc, chain, key, anchoredAt } = await anchoredOnChain();
    const keyBinding: KeyBinding = async (publicKey) => (bytesToHex(publicKey) === bytesToHex(key.publicKey) ? { bound: true, issuerId: 1, addedAt: anchoredAt - 60, compromisedFrom: anchoredAt + 1 } : { bound: false });
    const report = await verifyVc(vc, { chain, keyBinding });
    expect(report.verdict, JSON.stringify(report.checks, null, 1)).to.equal("valid");
    expect(report.checks.map((c) => `${c.name}:${c.code}`)).to.include.members(["anchored:ANCHORED", "issuer:AUTHORISED", "status:ACTIVE", "identity:BOUND"]);
    expect(report.anchor?.anchoredAt).to.equal(anchoredAt);
    expect(report.warnings).to.deep.equal([]);
  });

  it("behavior: a key compromised after the chain-attested anchoring time still passes; before it fails", async () => {
    const { vc, chain, key, anchoredAt } = await anchoredOnChain();
    const binding = (compromisedFrom: number): KeyBinding => async (publicKey) => (bytesToHex(publicKey) === bytesToHex(key.publicKey) ? { bound: true, issuerId: 1, addedAt: 0, compromisedFrom } : { bound: false });
    expect((await verifyVc(vc, { chain, keyBinding: binding(anchoredAt + 10) })).verdict).to.equal("valid");
    const early = await verifyVc(vc, { chain, keyBinding: binding(anchoredAt) });
    expect(early.checks.find((c) => c.name === "identity")!.code).to.equal("KEY_COMPROMISED");
  });

  it("behavior: revoking the index on-chain fails the status check; the list built from the chain's words agrees", async () => {
    const { vc, chain, registry, signer, client, address, key } = await anchoredOnChain();
    await (await registry.connect(signer).updateStatus(Action.Revoke, 300, 0)).wait();
    const report = await verifyVc(vc, { chain });
    expect(report.checks.find((c) => c.name === "status")!.code).to.equal("REVOKED");
    const { revoked } = await readStatusWords(client, address, 1n, 0n, BigInt(WORDS_PER_LIST));
    const list = await buildStatusListCredential({ url: "https://issuer.example/status-lists/1/revocation/0", purpose: "revocation", words: revoked, key, validFrom: new Date(), validForSeconds: 3600, ttlMs: 300_000 });
    const decoded = await decodeList({ encodedList: String((list.credentialSubject as JsonObject).encodedList) });
    expect([decoded.getStatus(299), decoded.getStatus(300), decoded.getStatus(301)]).to.deep.equal([false, true, false]);
  });

  it("error: an anchor proof naming an untrusted registry fails anchored", async () => {
    const { vc } = await anchoredOnChain();
    const report = await verifyVc(vc, { chain: { trust: createTrustList([]), rpc: () => undefined } });
    expect(report.verdict).to.equal("invalid");
    expect(report.checks.find((c) => c.name === "anchored")!.code).to.equal("UNKNOWN_REGISTRY");
  });
});
