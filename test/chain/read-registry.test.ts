// Batched verification reads through the registry's multicall: one eth_call for many bundles.
import { expect } from "chai";
import { network } from "hardhat";
import { createPublicClient, custom, keccak256, toHex, type Address, type EIP1193Provider, type Hex } from "viem";
import { isBitSet, readStatusWords, readVerifications, VERIFICATIONS_PER_CALL } from "../../src/chain/read-registry.ts";

const Action = { Revoke: 0, Suspend: 1, Reinstate: 2 } as const;
const root = (n: number): Hex => keccak256(toHex(`root-${n}`));

describe("src/chain/read-registry.ts", function () {
  it("behavior: v1 (version 1.0.0): reads many verifications in one eth_call, equal to individual verify() calls", async function () {
    const { ethers, provider } = await network.getOrCreate();
    const [governance, admin] = await ethers.getSigners();
    const registry = await ethers.deployContract("CredentialRegistry", [governance!.address]);
    await registry.registerIssuer(admin!.address, "did:web:issuer.example", 0, 0);
    const asIssuer = registry.connect(admin!);
    await asIssuer.anchor(root(1));
    await asIssuer.anchor(root(2));
    await asIssuer.revokeRoot(root(2), 1);
    await asIssuer.updateStatus(Action.Revoke, 7, 0);
    await asIssuer.updateStatus(Action.Suspend, 300, 0);

    const methods: string[] = [];
    const counting: EIP1193Provider = {
      ...(provider as unknown as EIP1193Provider),
      request: (async (args: { method: string; params?: unknown }) => {
        methods.push(args.method);
        return (provider as unknown as EIP1193Provider).request(args as never);
      }) as EIP1193Provider["request"],
    };
    const client = createPublicClient({ transport: custom(counting) });
    const address = (await registry.getAddress()) as Address;
    const queries = [
      { root: root(1), statusIndex: 6n },
      { root: root(1), statusIndex: 7n },
      { root: root(1), statusIndex: 300n },
      { root: root(2), statusIndex: 6n },
      { root: root(3), statusIndex: 6n },
    ];
    const results = await readVerifications(client, address, queries, { version: "1.0.0" });
    expect(methods.filter((m) => m === "eth_call")).to.have.length(1);

    expect(results.map((r) => r.valid)).to.deep.equal([true, false, false, false, false]);
    expect(results[1]!.revoked).to.equal(true);
    expect(results[2]!.suspended).to.equal(true);
    expect(results[3]!.rootRevoked).to.equal(true);
    expect(results[4]!.anchored).to.equal(false);
    expect(results[0]!.issuerMetadataURI).to.equal("did:web:issuer.example");
    expect([results[0]!.issuerIdentity, results[0]!.issuerName]).to.deep.equal(["did:web:issuer.example", ""]);
    for (const [i, query] of queries.entries()) {
      const direct = await registry.verify(query.root, query.statusIndex);
      expect(results[i]!.valid).to.equal(direct.valid);
      expect(results[i]!.anchoredAt).to.equal(Number(direct.anchoredAt));
      expect(results[i]!.issuerId).to.equal(direct.issuerId);
    }
    expect(await readVerifications(client, address, [], { version: "1.0.0" })).to.deep.equal([]);

    // 1,000 queries (40M gas in one call, over Hardhat's 30M cap) go in chunks of 200, in order.
    methods.length = 0;
    const many = Array.from({ length: 1000 }, (_, i) => ({ root: root(1 + (i % 3)), statusIndex: BigInt(i) }));
    const manyResults = await readVerifications(client, address, many, { version: "1.0.0" });
    expect(methods.filter((m) => m === "eth_call")).to.have.length(Math.ceil(1000 / VERIFICATIONS_PER_CALL));
    expect(manyResults).to.have.length(1000);
    manyResults.forEach((r, i) => {
      expect(r.anchored).to.equal(i % 3 !== 2);
      expect(r.revoked).to.equal(i === 7);
    });
  });

  it("behavior: v2 (the default): verify(issuerId, root, index) in one eth_call; identity and name from the accreditor", async function () {
    const { ethers, provider } = await network.getOrCreate();
    const [governance, admin, key, otherAdmin, otherKey] = await ethers.getSigners();
    const registry = await ethers.deployContract("CredentialRegistryV2", [governance!.address, 0]);
    await registry.registerIssuer(admin!.address, "did:web:issuer.example", "Issuer", 0, 0);
    await registry.registerIssuer(otherAdmin!.address, "did:web:other.example", "Other", 0, 0);
    await registry.connect(admin!).addSignerKey(key!.address);
    await registry.connect(otherAdmin!).addSignerKey(otherKey!.address);
    await registry.connect(key!).anchor(root(1));
    await registry.connect(otherKey!).anchor(root(1)); // the same root in issuer 2's own space
    await registry.connect(otherKey!).revokeRoot(root(1), 1);
    await registry.connect(key!).updateStatus(Action.Revoke, 7, 0);

    const client = createPublicClient({ transport: custom(provider as unknown as EIP1193Provider) });
    const address = (await registry.getAddress()) as Address;
    const queries = [
      { root: root(1), statusIndex: 6n, issuerId: 1n },
      { root: root(1), statusIndex: 7n, issuerId: 1n },
      { root: root(1), statusIndex: 6n, issuerId: 2n },
      { root: root(2), statusIndex: 6n, issuerId: 1n },
    ];
    const results = await readVerifications(client, address, queries);
    expect(results.map((r) => [r.anchored, r.valid])).to.deep.equal([[true, true], [true, false], [true, false], [false, false]]);
    expect(results[2]!.rootRevoked).to.equal(true);
    expect(results.map((r) => r.issuerId)).to.deep.equal([1n, 1n, 2n, 1n]);
    expect([results[0]!.issuerIdentity, results[0]!.issuerName, results[0]!.issuerMetadataURI]).to.deep.equal(["did:web:issuer.example", "Issuer", "did:web:issuer.example"]);
    expect(results[0]!.signer).to.equal(key!.address);
    expect(await readVerifications(client, address, queries, { version: "2.0.0" })).to.deep.equal(results);
    const unknown = await readVerifications(client, address, queries, { version: "3.0.0" }).then(() => undefined, (error: Error) => error);
    expect(unknown?.message).to.match(/unsupported registry version 3\.0\.0/);
  });

  it("behavior: reads whole status words and finds bits in them", async function () {
    const { ethers, provider } = await network.getOrCreate();
    const [governance, admin] = await ethers.getSigners();
    const registry = await ethers.deployContract("CredentialRegistry", [governance!.address]);
    await registry.registerIssuer(admin!.address, "did:web:issuer.example", 0, 0);
    await registry.connect(admin!).updateStatuses(Action.Revoke, [0, 255, 256, 1000], 0);
    await registry.connect(admin!).updateStatus(Action.Suspend, 513, 0);

    const client = createPublicClient({ transport: custom(provider as unknown as EIP1193Provider) });
    const words = await readStatusWords(client, (await registry.getAddress()) as Address, 1n, 0n, 4n);
    expect(words.revoked).to.have.length(4);
    const revoked = [0n, 1n, 255n, 256n, 257n, 1000n].map((i) => isBitSet(words.revoked, 0n, i));
    expect(revoked).to.deep.equal([true, false, true, true, false, true]);
    expect(isBitSet(words.suspended, 0n, 513n)).to.equal(true);
    expect(isBitSet(words.suspended, 0n, 512n)).to.equal(false);
    expect(() => isBitSet(words.revoked, 0n, 1024n)).to.throw(RangeError);
  });
});
