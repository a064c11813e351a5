// The anchor proof against a real v2 registry: anchored, issuer authorised (the did:key issuer through the registry's assertion key, at the anchoring time), on-chain status; the status list rebuilt from the contract's words.
import { decodeList } from "@digitalbazaar/vc-bitstring-status-list";
import { expect } from "chai";
import { network } from "hardhat";
import { bytesToHex, createPublicClient, custom, hexToBytes, type Address, type EIP1193Provider, type PublicClient } from "viem";
import { chainKeyBinding } from "../../src/chain/assertion-keys.ts";
import { readStatusWords } from "../../src/chain/read-registry.ts";
import { buildCredentialTree } from "../../src/core/merkle.ts";
import { prepareCredential } from "../../src/core/prepare.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { addAnchorProof, withoutProofs } from "../../src/vc/anchor-proof.ts";
import { issueCredential } from "../../src/vc/issue.ts";
import { generateAssertionKey, type AssertionKey } from "../../src/vc/keys.ts";
import { createStatusEntries, statusListUrlFrom } from "../../src/vc/status-entries.ts";
import { buildStatusListCredential, WORDS_PER_LIST } from "../../src/vc/status-list.ts";
import { verifyVc, type VcVerificationReport } from "../../src/vc/verify.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { openBadge } from "./fixtures.ts";

const Action = { Revoke: 0, Suspend: 1, Reinstate: 2 } as const;
const ADMIN_DELAY = 2n * 24n * 3600n;

function book(address: string) {
  const hash = `0x${"11".repeat(32)}`;
  return {
    network: "vc-test",
    chainId: 31337,
    deployments: [{ contract: "CredentialRegistry", address, version: "2.0.0", deployBlock: 1, deployTx: hash, deployer: address, governance: address, abiHash: hash, compiler: "solc 0.8.28", deployedAt: new Date().toISOString() }],
  };
}

const codeOf = (report: VcVerificationReport, name: string) => report.checks.find((c) => c.name === name)?.code;

describe("vc: anchor proof on a real v2 registry", function () {
  /**
   * A v2 registry with issuers 1 (signer `signer`, assertion key `key`) and 2 (assertion key
   * `otherKey`); a VC signed by `signer`'s issuer's `key` (or `signWith`) anchored by issuer 1.
   */
  async function anchoredOnChain({ signWith }: { signWith?: "other" | "unbound" } = {}) {
    const { ethers, provider, networkHelpers } = await network.getOrCreate();
    const [governance, admin, signer, otherAdmin] = await ethers.getSigners();
    const registry = await ethers.deployContract("CredentialRegistryV2", [governance!.address, ADMIN_DELAY]);
    const address = (await registry.getAddress()) as Address;
    await registry.registerIssuer(admin!.address, "did:web:uni.example", "Example University", 0, 0);
    await registry.registerIssuer(otherAdmin!.address, "did:web:academy.example", "Academy", 0, 0);
    await registry.connect(admin!).addSignerKey(signer!.address);
    const key = await generateAssertionKey();
    const otherKey = await generateAssertionKey();
    await registry.connect(admin!).addAssertionKey(bytesToHex(key.publicKey));
    await registry.connect(otherAdmin!).addAssertionKey(bytesToHex(otherKey.publicKey));
    const signing: AssertionKey = signWith === "other" ? otherKey : signWith === "unbound" ? await generateAssertionKey() : key;
    const client = createPublicClient({ transport: custom(provider as unknown as EIP1193Provider) }) as PublicClient;
    const context = { chainId: 31337, registry: address, issuerId: 1, statusIndex: 300 };
    const signed = await issueCredential(openBadge(), { key: signing, issuerName: "Example University", credentialStatus: createStatusEntries({ ...context, statusListUrl: statusListUrlFrom("https://issuer.example", 1) }) });
    const prepared = prepareCredential(withoutProofs(signed), context);
    const tree = buildCredentialTree([prepared.digest, prepareCredential({ other: true }, { ...context, statusIndex: 301 }).digest]);
    const receipt = await (await registry.connect(signer!).anchor(bytesToHex(tree.root))).wait();
    const vc = addAnchorProof(signed, prepared.salts, {
      ...context, validFrom: prepared.validFrom, validUntil: prepared.validUntil,
      leaf: tree.leaf(0), proof: tree.getProof(0).slice(), root: tree.root,
      txHash: hexToBytes(receipt!.hash as `0x${string}`), blockNumber: receipt!.blockNumber,
    });
    const chain = { trust: createTrustList([book(address)]), rpc: () => client };
    const anchoredAt = Number((await registry.getAnchor(1n, bytesToHex(tree.root))).anchoredAt);
    return { registry, admin: admin!, signer: signer!, client, address, key, vc, chain, anchoredAt, keyBinding: chainKeyBinding(client, address), time: networkHelpers.time };
  }

  it("default: anchored, the did:key issuer authorised by the registry's assertion key at the anchoring time, active; key bound", async () => {
    const { vc, chain, keyBinding, anchoredAt } = await anchoredOnChain();
    const report = await verifyVc(vc, { chain, keyBinding });
    expect(report.verdict, JSON.stringify(report.checks, null, 1)).to.equal("valid");
    expect(report.checks.map((c) => `${c.name}:${c.code}`)).to.include.members(["anchored:ANCHORED", "issuer:AUTHORISED", "status:ACTIVE", "identity:BOUND"]);
    expect(report.anchor?.anchoredAt).to.equal(anchoredAt);
    expect(report.warnings).to.deep.equal([]);
  });

  it("behavior: the chain's issuer check alone accepts the did:key issuer (no key binding given: identity self-certified)", async () => {
    const { vc, chain } = await anchoredOnChain();
    const report = await verifyVc(vc, { chain });
    expect(report.verdict, JSON.stringify(report.checks, null, 1)).to.equal("valid");
    expect(codeOf(report, "issuer")).to.equal("AUTHORISED");
    expect(codeOf(report, "identity")).to.equal("SELF_CERTIFIED");
  });

  it("error: a did:key bound to another issuer, or to none, fails the chain's issuer check (ISSUER_MISMATCH) and the identity check", async () => {
    for (const [signWith, identity] of [["other", "KEY_OF_OTHER_ISSUER"], ["unbound", "KEY_NOT_BOUND"]] as const) {
      const { vc, chain, keyBinding } = await anchoredOnChain({ signWith });
      const report = await verifyVc(vc, { chain, keyBinding });
      expect(report.verdict, signWith).to.equal("invalid");
      expect(codeOf(report, "issuer"), signWith).to.equal("ISSUER_MISMATCH");
      expect(codeOf(report, "identity"), signWith).to.equal(identity);
      // Without a key binding the chain's check still refuses it.
      expect(codeOf(await verifyVc(vc, { chain }), "issuer"), signWith).to.equal("ISSUER_MISMATCH");
    }
  });

  it("behavior: a key marked compromised after the chain-attested anchoring time still passes; from it on, it fails", async () => {
    const { vc, chain, keyBinding, registry, admin, key, anchoredAt, time } = await anchoredOnChain();
    await time.increase(60);
    await (await registry.connect(admin).markAssertionKeyCompromised(bytesToHex(key.publicKey), anchoredAt + 10)).wait();
    expect((await verifyVc(vc, { chain, keyBinding })).verdict).to.equal("valid");
    await (await registry.connect(admin).markAssertionKeyCompromised(bytesToHex(key.publicKey), anchoredAt)).wait();
    const early = await verifyVc(vc, { chain, keyBinding });
    expect(early.verdict).to.equal("invalid");
    expect(codeOf(early, "issuer")).to.equal("ISSUER_MISMATCH");
    expect(codeOf(early, "identity")).to.equal("KEY_COMPROMISED");
  });

  it("behavior: revoking the index on-chain fails the status check; the list built from the chain's words agrees", async () => {
    const { vc, chain, keyBinding, registry, signer, client, address, key } = await anchoredOnChain();
    await (await registry.connect(signer).updateStatus(Action.Revoke, 300, 0)).wait();
    const report = await verifyVc(vc, { chain, keyBinding });
    expect(codeOf(report, "status")).to.equal("REVOKED");
    const { revoked } = await readStatusWords(client, address, 1n, 0n, BigInt(WORDS_PER_LIST));
    const list = await buildStatusListCredential({ url: "https://issuer.example/status-lists/1/revocation/0", purpose: "revocation", words: revoked, key, validFrom: new Date(), validForSeconds: 3600, ttlMs: 300_000 });
    const decoded = await decodeList({ encodedList: String((list.credentialSubject as JsonObject).encodedList) });
    expect([decoded.getStatus(299), decoded.getStatus(300), decoded.getStatus(301)]).to.deep.equal([false, true, false]);
  });

  it("error: an anchor proof naming an untrusted registry fails anchored", async () => {
    const { vc } = await anchoredOnChain();
    const report = await verifyVc(vc, { chain: { trust: createTrustList([]), rpc: () => undefined } });
    expect(report.verdict).to.equal("invalid");
    expect(codeOf(report, "anchored")).to.equal("UNKNOWN_REGISTRY");
  });
});
