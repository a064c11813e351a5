// Verifier checks 4-6 against a real chain: each failure for its reason, RPC trouble → error, never valid.
import { expect } from "chai";
import { network } from "hardhat";
import { createPublicClient, custom, http, keccak256, toHex, type EIP1193Provider, type Hex, type PublicClient } from "viem";
import { getFreePort } from "../../src/chain/local-node.ts";
import { checkOnChain, type AnchorClaim } from "../../src/verifier/chain-checks.ts";
import { verdictOf, type Check } from "../../src/verifier/result.ts";
import { createTrustList } from "../../src/verifier/trust.ts";

const Action = { Revoke: 0, Suspend: 1, Reinstate: 2 } as const;
const root = (label: string): Hex => keccak256(toHex(label));

function book(chainId: number, address: string) {
  const hash = `0x${"11".repeat(32)}`;
  return {
    network: `chain-${chainId}`,
    chainId,
    deployments: [
      {
        contract: "CredentialRegistry", address, version: "1.0.0", deployBlock: 1, deployTx: hash,
        deployer: address, governance: address, abiHash: hash, compiler: "solc 0.8.28", deployedAt: new Date().toISOString(),
      },
    ],
  };
}

const codes = (checks: readonly Check[]) => checks.map((c) => `${c.name}:${c.outcome}:${c.code}`);

describe("src/verifier/chain-checks.ts", function () {
  async function deployed() {
    const { ethers, provider, networkHelpers } = await network.getOrCreate();
    const [governance, admin, key, otherAdmin] = await ethers.getSigners();
    const registry = await ethers.deployContract("CredentialRegistry", [governance!.address]);
    const address = await registry.getAddress();
    await registry.registerIssuer(admin!.address, "did:web:uni.example", 0, 0);
    await registry.registerIssuer(otherAdmin!.address, "did:web:other.example", 0, 0);
    await registry.connect(admin!).addSignerKey(key!.address);
    const client = createPublicClient({ transport: custom(provider as unknown as EIP1193Provider) }) as PublicClient;
    const claim = (r: Hex, statusIndex = 5n, issuerId = 1n): AnchorClaim => ({ chainId: 31337, registry: address, root: r, issuerId, statusIndex });
    return { ethers, registry, address, admin: admin!, key: key!, otherAdmin: otherAdmin!, client, claim, networkHelpers };
  }

  it("behavior: passes a good credential and fails each bad one for its own reason, in one batch", async function () {
    const { registry, address, admin, key, otherAdmin, client, claim, networkHelpers } = await deployed();
    const asKey = registry.connect(key);
    await asKey.anchor(root("good"));
    await asKey.updateStatus(Action.Revoke, 6, 0);
    await asKey.updateStatus(Action.Suspend, 7, 0);
    await asKey.updateStatus(Action.Suspend, 8, 0);
    await asKey.updateStatus(Action.Reinstate, 8, 0);
    await asKey.anchor(root("revoked-batch"));
    await asKey.revokeRoot(root("revoked-batch"), 0);
    await registry.connect(otherAdmin).anchor(root("other-issuer"));
    await asKey.anchor(root("compromised"));
    const anchoredAt = (await registry.getAnchor(root("compromised"))).anchoredAt;
    await networkHelpers.time.increase(10);
    await registry.connect(admin).markSignerKeyCompromised(key.address, anchoredAt);

    const claims = [
      claim(root("good")),
      claim(root("good"), 6n),
      claim(root("good"), 7n),
      claim(root("good"), 8n),
      claim(root("revoked-batch")),
      claim(root("never")),
      claim(root("other-issuer")),
      claim(root("compromised")),
      { ...claim(root("good")), registry: "0x000000000000000000000000000000000000dEaD" },
    ];
    let calls = 0;
    const counted = new Proxy(client, {
      get: (target, prop, receiver) => (prop === "call" ? (...args: unknown[]) => (calls++, (target.call as (...a: unknown[]) => unknown)(...args)) : Reflect.get(target, prop, receiver)),
    });
    const results = await checkOnChain(claims, createTrustList([book(31337, address)]), () => counted);
    expect(calls, "one eth_call for the whole batch").to.equal(1);

    const outcome = results.map((r) => verdictOf(r.checks));
    expect(outcome).to.deep.equal(["valid", "invalid", "invalid", "valid", "invalid", "invalid", "invalid", "invalid", "invalid"]);
    expect(codes(results[1]!.checks)).to.include("status:fail:REVOKED");
    expect(codes(results[2]!.checks)).to.include("status:fail:SUSPENDED");
    expect(codes(results[3]!.checks)).to.include("status:pass:ACTIVE");
    expect(codes(results[4]!.checks)).to.include("status:fail:BATCH_REVOKED");
    expect(codes(results[5]!.checks)).to.include("anchored:fail:ROOT_NOT_ANCHORED");
    expect(codes(results[6]!.checks)).to.include("anchored:fail:ROOT_OF_ANOTHER_ISSUER");
    expect(codes(results[7]!.checks)).to.include("issuer:fail:SIGNER_KEY_INVALID");
    expect(results[8]!.checks[0]!.message).to.equal(`unknown registry 0x000000000000000000000000000000000000dEaD on chain 31337: not in the trusted deployments`);
    expect(results[0]!.facts?.issuerMetadataURI).to.equal("did:web:uni.example");
    expect(results[0]!.checks.find((c) => c.name === "issuer")!.message).to.include("did:web:uni.example");
  });

  it("behavior: an issuer not accredited at anchoring time fails the issuer check", async function () {
    const { registry, address, client, claim, key, networkHelpers } = await deployed();
    await registry.connect(key).anchor(root("early"));
    const now = await networkHelpers.time.latest();
    // The accreditor moves the window past the anchoring time (e.g. accreditation found void).
    await registry.setIssuerValidity(1, now + 100, 0);
    const [result] = await checkOnChain([claim(root("early"))], createTrustList([book(31337, address)]), () => client);
    expect(codes(result!.checks)).to.include("issuer:fail:ISSUER_NOT_ACCREDITED");
  });

  it("error: an unreachable RPC, a wrong-chain RPC or no RPC give the verdict error, never valid or invalid", async function () {
    const { registry, address, client, claim, key } = await deployed();
    await registry.connect(key).anchor(root("fine"));
    const dead = createPublicClient({ transport: http(`http://127.0.0.1:${await getFreePort()}`, { retryCount: 0, timeout: 2_000 }) }) as PublicClient;
    const trust = createTrustList([book(31337, address), book(1, address)]);

    const [down] = await checkOnChain([claim(root("fine"))], trust, () => dead);
    expect(verdictOf(down!.checks)).to.equal("error");
    expect(down!.checks.every((c) => c.code === "RPC_UNAVAILABLE")).to.equal(true);

    const [wrongChain] = await checkOnChain([{ ...claim(root("fine")), chainId: 1 }], trust, () => client);
    expect(verdictOf(wrongChain!.checks)).to.equal("error");
    expect(wrongChain!.checks[0]!.message).to.equal("the RPC endpoint serves chain 31337, the bundle is on chain 1");

    const [none] = await checkOnChain([claim(root("fine"))], trust, () => undefined);
    expect(verdictOf(none!.checks)).to.equal("error");
  });

  it("error: a malformed address book is refused with the reason", function () {
    expect(() => createTrustList([{ network: "x", chainId: 1, deployments: [{ address: "0x12" }] }])).to.throw(/address book #1 is invalid/);
  });
});

describe("src/verifier/trust-files.ts", function () {
  it("behavior: loads every address book of a folder plus extra files (single book or array)", async function () {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { loadTrustList } = await import("../../src/verifier/trust-files.ts");
    const dir = mkdtempSync(join(tmpdir(), "credanchor-trust-"));
    const a = "0x00000000000000000000000000000000000000a1";
    const b = "0x00000000000000000000000000000000000000b2";
    const c = "0x00000000000000000000000000000000000000c3";
    writeFileSync(join(dir, "one.json"), JSON.stringify(book(1, a)));
    writeFileSync(join(dir, "notes.txt"), "ignored");
    const extra = join(mkdtempSync(join(tmpdir(), "credanchor-trust-extra-")), "mine.json");
    writeFileSync(extra, JSON.stringify([book(5, b), book(7, c)]));
    const trust = loadTrustList({ dir, extraFiles: [extra] });
    expect(trust.deployments).to.have.length(3);
    expect(trust.find(1, a.toUpperCase().replace("0X", "0x"))?.chainId).to.equal(1);
    expect(trust.find(7, c)?.network).to.equal("chain-7");
    expect(trust.find(5, a)).to.equal(undefined);
    expect(() => loadTrustList({ dir, extraFiles: [join(dir, "missing.json")] })).to.throw(/cannot read trusted deployments from .*missing\.json/);
  });
});
