// Registry upgrade (issue 14, F11) on a real chain: a second registry deployed, the service
// restarted with REGISTRY_UPGRADE_FROM; new batches anchor to the new registry, status changes
// of credentials anchored before go to the old one, both bundles verify, restarts keep working.
import { expect } from "chai";
import type { Address } from "viem";
import { addSignerKey, deployRegistry, registerIssuer } from "../../src/chain/admin.ts";
import { credentialRegistryAbi } from "../../src/chain/abi.ts";
import type { Bundle } from "../../src/core/bundle.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle, type VerifyOptions } from "../../src/verifier/verify-bundle.ts";
import { sampleBadge } from "../core/helpers.ts";
import { ISSUER_IDENTITIES, openStack, removeDir, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k1" };

function badge(name: string): JsonObject {
  const credential = sampleBadge();
  ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  (credential.issuer as JsonObject).id = ISSUER_IDENTITIES[1];
  return credential;
}

/** A second registry with the same issuers (same ids, admins and signer keys), as an operator deploys it. */
async function deploySecondRegistry(chain: Chain): Promise<{ address: Address; deployBlock: number }> {
  const clients = { publicClient: chain.publicClient, walletClient: chain.wallet(chain.governance), account: chain.governance };
  const { address, blockNumber } = await deployRegistry(clients);
  for (const issuer of chain.issuers) {
    const id = await registerIssuer(clients, address, issuer.admin.address, issuer.identity, { name: `issuer ${issuer.id}` });
    expect(id).to.equal(issuer.id);
    await addSignerKey({ publicClient: chain.publicClient, walletClient: chain.wallet(issuer.admin), account: issuer.admin }, address, issuer.key.address);
  }
  return { address, deployBlock: blockNumber };
}

async function expectCode(fn: () => Promise<unknown>, code: string, text?: string): Promise<void> {
  try {
    await fn();
  } catch (error) {
    expect((error as { code?: string }).code, (error as Error).message).to.equal(code);
    if (text) expect((error as Error).message).to.include(text);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("registry upgrade (real chain)", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack | undefined;
  let dir: string;

  before(async function () {
    chain = await sharedChain();
  });

  after(async function () {
    await stack?.close();
    if (dir) removeDir(dir);
  });

  const anchored = (ids: readonly string[]) => async () =>
    (await Promise.all(ids.map(async (id) => (await stack!.service.getCredential(issuer1, id)).state))).every((s) => s === "anchored" || s === "confirmed");
  const issueAndAnchor = async (name: string): Promise<{ id: string; statusIndex: number; bundle: Bundle }[]> => {
    const { credentials } = await stack!.service.submitCredentials(1, { credentials: [badge(`${name} 1`), badge(`${name} 2`)] });
    await runUntil(stack!, anchored(credentials.map((c) => c.id)));
    return Promise.all(credentials.map(async (c) => ({ id: c.id, statusIndex: c.statusIndex, bundle: (await stack!.service.getCredential(issuer1, c.id)).bundle! })));
  };
  const restart = async (overrides: Parameters<typeof openStack>[1]) => {
    await stack?.close();
    stack = undefined;
    stack = await openStack(chain, { dir, ...overrides });
  };
  const statusOn = (registry: Address, index: number) =>
    chain.publicClient.readContract({ address: registry, abi: credentialRegistryAbi, functionName: "getStatus", args: [1n, BigInt(index)] });

  it("default: new batches on the new registry, old credentials' status changes on the old one, both verify, restarts work", async function () {
    stack = await openStack(chain);
    dir = stack.dir;
    const old = await issueAndAnchor("old");
    expect(old[0]!.bundle.registry.toLowerCase()).to.equal(chain.registry.toLowerCase());

    const second = await deploySecondRegistry(chain);
    await stack.close();
    stack = undefined;
    // Without the explicit setting the database refuses the new registry, and says how to upgrade.
    await expectCode(() => openStack(chain, { dir, registry: second.address }), "CONFIG_INVALID", `REGISTRY_UPGRADE_FROM=${chain.registry}`);
    await restart({ registry: second.address, upgradeFrom: chain.registry });

    const fresh = await issueAndAnchor("new");
    expect(fresh[0]!.bundle.registry.toLowerCase()).to.equal(second.address.toLowerCase());
    // The old credential's bundle is served as before, naming the old registry.
    expect((await stack!.service.getCredential(issuer1, old[0]!.id)).bundle!.registry.toLowerCase()).to.equal(chain.registry.toLowerCase());

    // One revocation per batch, in one request: each lands on its own registry.
    const { change } = await stack!.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [old[0]!.id, fresh[0]!.id] });
    await runUntil(stack!, async () => (await stack!.service.getStatusChange(issuer1, change.id)).state === "confirmed");
    expect((await statusOn(chain.registry, old[0]!.statusIndex))[0]).to.equal(true);
    expect((await statusOn(second.address, old[0]!.statusIndex))[0]).to.equal(false);
    expect((await statusOn(second.address, fresh[0]!.statusIndex))[0]).to.equal(true);
    expect((await statusOn(chain.registry, fresh[0]!.statusIndex))[0]).to.equal(false);

    // A verifier whose address book lists both registries: both revoked, their neighbours active.
    const book = chain.addressBook();
    book.deployments.push({ ...book.deployments[0]!, address: second.address, deployBlock: second.deployBlock });
    const options: VerifyOptions = { trust: createTrustList([book]), rpc: { 31337: chain.url } };
    const status = async (bundle: Bundle) => (await verifyBundle(bundle, options)).checks.find((c) => c.name === "status")!.code;
    expect(await status(old[0]!.bundle)).to.equal("REVOKED");
    expect(await status(fresh[0]!.bundle)).to.equal("REVOKED");
    expect(await status(old[1]!.bundle)).to.equal("ACTIVE");
    expect(await status(fresh[1]!.bundle)).to.equal("ACTIVE");

    // Restarts: with the setting left in place (nothing more to do), without it, never back to the old registry.
    await restart({ registry: second.address, upgradeFrom: chain.registry });
    await restart({ registry: second.address });
    expect(await stack!.store.registries.history()).to.have.length(2);
    await stack!.close();
    stack = undefined;
    await expectCode(() => openStack(chain, { dir }), "CONFIG_INVALID", "never goes back");
    await restart({ registry: second.address });
    const later = await issueAndAnchor("later");
    expect(later[0]!.bundle.registry.toLowerCase()).to.equal(second.address.toLowerCase());
  });

  it("error: an upgrade waits while credentials prepared for the old registry are queued", async function () {
    await stack?.close();
    stack = undefined;
    const own = await openStack(chain);
    try {
      await own.service.submitCredentials(1, { credentials: [badge("queued")] });
      const third = await deploySecondRegistry(chain);
      await own.close();
      await expectCode(() => openStack(chain, { dir: own.dir, registry: third.address, upgradeFrom: chain.registry }), "CONFIG_INVALID", "1 credentials are queued");
    } finally {
      removeDir(own.dir);
    }
  });
});
