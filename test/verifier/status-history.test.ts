// Status history from a real registry's events: the index's revocations, suspensions and
// reinstatements (single, bulk, whole words) and its batch's revocation, each with block time and reason.
import { expect } from "chai";
import { network } from "hardhat";
import { createPublicClient, custom, keccak256, toHex, type EIP1193Provider, type Hex, type PublicClient } from "viem";
import { readStatusHistory } from "../../src/verifier/status-history.ts";

const Action = { Revoke: 0, Suspend: 1, Reinstate: 2 } as const;
const root = (label: string): Hex => keccak256(toHex(label));

describe("src/verifier/status-history.ts", function () {
  async function deployed() {
    const { ethers, provider, networkHelpers } = await network.getOrCreate();
    const [governance, admin, key, otherAdmin] = await ethers.getSigners();
    const registry = await ethers.deployContract("CredentialRegistry", [governance!.address]);
    await registry.registerIssuer(admin!.address, "did:web:uni.example", 0, 0);
    await registry.registerIssuer(otherAdmin!.address, "did:web:other.example", 0, 0);
    await registry.connect(admin!).addSignerKey(key!.address);
    const client = createPublicClient({ transport: custom(provider as unknown as EIP1193Provider) }) as PublicClient;
    const address = (await registry.getAddress()) as Hex;
    const history = (statusIndex: bigint, r: Hex, issuerId = 1n) => readStatusHistory(client, { registry: address, issuerId, statusIndex, root: r, fromBlock: 0n });
    return { registry, key: key!, asKey: registry.connect(key!), other: registry.connect(otherAdmin!), client, history, networkHelpers };
  }

  it("default: a revoked index gives one revoke event with its block time, reason, block, signer and transaction", async function () {
    const { asKey, key, client, history } = await deployed();
    await asKey.anchor(root("a"));
    const tx = await asKey.updateStatus(Action.Revoke, 300, 3);
    const receipt = (await tx.wait())!;
    const block = await client.getBlock({ blockNumber: BigInt(receipt.blockNumber) });
    const [event, ...rest] = await history(300n, root("a"));
    expect(rest).to.deep.equal([]);
    expect(event).to.deep.include({ action: "revoke", reason: 3, blockNumber: receipt.blockNumber, time: Number(block.timestamp), txHash: receipt.hash });
    expect(event!.signer.toLowerCase()).to.equal(key.address.toLowerCase());
  });

  it("behavior: suspend, reinstate, then bulk and word-mask changes, oldest first; other indices, issuers and roots are left out", async function () {
    const { asKey, other, history, networkHelpers } = await deployed();
    await asKey.anchor(root("a"));
    await asKey.updateStatus(Action.Suspend, 513, 1);
    await networkHelpers.time.increase(3600);
    await asKey.updateStatus(Action.Reinstate, 513, 2);
    await asKey.updateStatuses(Action.Suspend, [7, 513, 900], 4);
    await asKey.updateStatusWords(Action.Revoke, [2], [1n << 1n], 5); // index 2 * 256 + 1 = 513
    await asKey.updateStatusWords(Action.Revoke, [2], [1n << 2n], 6); // index 514: not ours
    await asKey.updateStatus(Action.Revoke, 512, 7); // a neighbour in the same word
    await other.updateStatus(Action.Revoke, 513, 8); // the same index of another issuer
    await other.anchor(root("b"));
    await other.revokeRoot(root("b"), 9); // another root
    const events = await history(513n, root("a"));
    expect(events.map((e) => [e.action, e.reason])).to.deep.equal([["suspend", 1], ["reinstate", 2], ["suspend", 4], ["revoke", 5]]);
    expect(events[1]!.time - events[0]!.time).to.be.at.least(3600);
  });

  it("behavior: a revoked batch shows as revoke-batch with its reason", async function () {
    const { asKey, history } = await deployed();
    await asKey.anchor(root("batch"));
    await asKey.revokeRoot(root("batch"), 11);
    const events = await history(42n, root("batch"));
    expect(events.map((e) => [e.action, e.reason])).to.deep.equal([["revoke-batch", 11]]);
  });

  it("default: a credential whose status never changed has no history", async function () {
    const { asKey, history } = await deployed();
    await asKey.anchor(root("quiet"));
    expect(await history(1n, root("quiet"))).to.deep.equal([]);
  });
});
