// Regression tests for the security review's contract attacks (issue 10 items 1, 4, 5, 6, 11), each fixed in CredentialRegistryV2.
import { expect } from "chai";
import {
  Action,
  IDENTITY_A,
  ISSUER_A,
  ISSUER_B,
  MAX_UINT256,
  NAME_A,
  NEVER,
  blockTimeOf,
  ethers,
  loadFixture,
  root,
  time,
  twoIssuersV2Fixture,
} from "./fixtures-v2.ts";

/** The service's default status list: 131,072 indices = 512 words. */
const LIST_WORDS = 512;

describe("attacks on the registry, fixed in v2 (contracts/v2)", function () {
  describe("item 4: anchors are per issuer", function () {
    it("attack: B front-runs A's root from the mempool; A still anchors it, and B cannot revoke A's credentials", async function () {
      const { registry, keyA, keyB } = await loadFixture(twoIssuersV2Fixture);
      await registry.connect(keyB).anchor(root("seen-in-mempool"));
      await expect(registry.connect(keyA).anchor(root("seen-in-mempool")))
        .to.emit(registry, "RootAnchored")
        .withArgs(root("seen-in-mempool"), ISSUER_A, keyA.address);
      await registry.connect(keyB).revokeRoot(root("seen-in-mempool"), 1);
      const v = await registry.verify(ISSUER_A, root("seen-in-mempool"), 0);
      expect([v.anchored, v.rootRevoked, v.valid, v.signer]).to.deep.equal([true, false, true, keyA.address]);
      expect((await registry.verify(ISSUER_B, root("seen-in-mempool"), 0)).valid).to.equal(false);
    });
  });

  describe("items 1 and 11: identity is the accreditor's, never the issuer's", function () {
    it("attack: the issuer's admin and signer try to rewrite identity (also once de-accredited): refused, unchanged", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersV2Fixture);
      await registry.setIssuerValidity(ISSUER_A, 1, BigInt(await time.latest()) + 1n);
      for (const account of [adminA, keyA]) {
        await expect(registry.connect(account).setIssuerIdentity(ISSUER_A, "did:web:medical-school.example", "Medical School"))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
      }
      const [, identity, name] = await registry.getIssuer(ISSUER_A);
      expect([identity, name]).to.deep.equal([IDENTITY_A, NAME_A]);
    });
  });

  describe("item 5: admin powers need an admin that can act now", function () {
    it("attack: a retired (replaced) admin adds a key to anchor with: rejected", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersV2Fixture);
      const [newAdmin, thiefKey] = spares;
      await registry.setIssuerAdmin(ISSUER_A, newAdmin.address);
      await expect(registry.connect(adminA).addSignerKey(thiefKey.address))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(adminA.address, ISSUER_A);
      await expect(registry.connect(thiefKey).anchor(root("fake"))).to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized");
    });

    it("attack: a compromised admin adds keys and retires the honest one: rejected", async function () {
      const { registry, adminA, keyA, spares } = await loadFixture(twoIssuersV2Fixture);
      await registry.markKeyCompromised(adminA.address, await time.latest());
      await expect(registry.connect(adminA).addSignerKey(spares[0].address)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
      await expect(registry.connect(adminA).retireSignerKey(keyA.address)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
      await expect(registry.connect(adminA).markKeyCompromised(keyA.address, 0)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
      await expect(registry.connect(adminA).undoStatusWords(Action.Revoke, [0], [1], 0)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
      expect((await registry.getSignerKey(keyA.address)).retiredAt).to.equal(NEVER);
    });

    it("attack: an admin marks itself compromised from time 0 to void every past root: rejected (KeySelfCompromise)", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersV2Fixture);
      await registry.connect(keyA).anchor(root(1));
      await expect(registry.connect(adminA).markKeyCompromised(adminA.address, 0))
        .to.be.revertedWithCustomError(registry, "KeySelfCompromise")
        .withArgs(adminA.address);
      await expect(registry.connect(keyA).markKeyCompromised(keyA.address, 0))
        .to.be.revertedWithCustomError(registry, "KeySelfCompromise")
        .withArgs(keyA.address);
      expect((await registry.verify(ISSUER_A, root(1), 0)).valid).to.equal(true);
    });

    it("attack: a signer key marks another key of its issuer, or the admin, compromised: rejected", async function () {
      const { registry, adminA, keyA, spares } = await loadFixture(twoIssuersV2Fixture);
      await registry.connect(adminA).addSignerKey(spares[0].address);
      await expect(registry.connect(keyA).markKeyCompromised(spares[0].address, 0)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
      await expect(registry.connect(keyA).markKeyCompromised(adminA.address, 0)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
    });

    it("behavior: the accreditor corrects a mistaken compromise date: moves it later, then clears it (KeyCompromiseCorrected)", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersV2Fixture);
      const anchoredAt = await blockTimeOf(await registry.connect(keyA).anchor(root(1)));
      await time.increase(100);
      await registry.connect(adminA).markKeyCompromised(keyA.address, 0);
      expect((await registry.verify(ISSUER_A, root(1), 0)).valid).to.equal(false);
      const later = anchoredAt + 50n;
      await expect(registry.correctKeyCompromise(keyA.address, later))
        .to.emit(registry, "KeyCompromiseCorrected")
        .withArgs(ISSUER_A, keyA.address, 0, later);
      expect((await registry.verify(ISSUER_A, root(1), 0)).valid).to.equal(true);
      await expect(registry.correctKeyCompromise(keyA.address, NEVER))
        .to.emit(registry, "KeyCompromiseCorrected")
        .withArgs(ISSUER_A, keyA.address, later, NEVER);
      await registry.connect(keyA).anchor(root(2));
      const future = BigInt(await time.latest()) + 1000n;
      await expect(registry.correctKeyCompromise(keyA.address, future))
        .to.be.revertedWithCustomError(registry, "KeyInvalidCompromiseTime")
        .withArgs(keyA.address, future);
      await expect(registry.correctKeyCompromise(ethers.Wallet.createRandom().address, NEVER)).to.be.revertedWithCustomError(registry, "KeyNotFound");
    });

    it("behavior: the accreditor marks a compromised admin and replaces it; the new admin recovers the issuer", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.markKeyCompromised(adminA.address, await time.latest())).to.emit(registry, "KeyCompromised");
      await registry.setIssuerAdmin(ISSUER_A, spares[0].address);
      await expect(registry.connect(spares[0]).addSignerKey(spares[1].address)).to.emit(registry, "SignerKeyAdded");
    });

    it("behavior: the admin key is not a signer key: the cold key never anchors nor changes statuses", async function () {
      const { registry, adminA } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(adminA).anchor(root(1))).to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized");
      await expect(registry.connect(adminA).revokeRoot(root(1), 0)).to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized");
      await expect(registry.connect(adminA).updateStatusWords(Action.Revoke, [0], [1], 0)).to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized");
    });
  });

  describe("item 6: a stolen hot key's revocations are undone by the cold admin", function () {
    it("attack: the hot key revokes all 131,072 indices and every root, then is marked compromised; the admin undoes it and honest credentials verify valid again", async function () {
      const { registry, adminA, keyA, spares } = await loadFixture(twoIssuersV2Fixture);
      // Honest history: one batch anchored, indices 7 and 300 honestly revoked, 9 suspended.
      await registry.connect(keyA).anchor(root("honest"));
      await registry.connect(keyA).updateStatuses(Action.Revoke, [7, 300], 1);
      await registry.connect(keyA).updateStatus(Action.Suspend, 9, 0);
      await time.increase(3600);

      // The thief, holding the hot key: every index of the default list in one transaction, and the root.
      const words = Array.from({ length: LIST_WORDS }, (_, i) => BigInt(i));
      const thiefTx = await registry.connect(keyA).updateStatusWords(Action.Revoke, words, words.map(() => MAX_UINT256), 9, { gasLimit: 16_000_000 });
      await registry.connect(keyA).revokeRoot(root("honest"), 9);
      for (const index of [0, 1, 8, 131_071]) expect((await registry.verify(ISSUER_A, root("honest"), index)).valid).to.equal(false);

      // The issuer: mark the key compromised, undo its changes (keeping the honest revocations), recover with a new key.
      await registry.connect(adminA).markKeyCompromised(keyA.address, await blockTimeOf(thiefTx));
      const honestMasks = new Map<bigint, bigint>([
        [0n, 1n << 7n],
        [1n, 1n << (300n - 256n)],
      ]);
      const undoMasks = words.map((w) => MAX_UINT256 & ~(honestMasks.get(w) ?? 0n));
      const half = LIST_WORDS / 2;
      await registry.connect(adminA).undoStatusWords(Action.Revoke, words.slice(0, half), undoMasks.slice(0, half), 9);
      await registry.connect(adminA).undoStatusWords(Action.Revoke, words.slice(half), undoMasks.slice(half), 9);
      await registry.connect(adminA).undoRootRevocation(root("honest"));

      for (const index of [0, 1, 8, 255, 256, 131_071]) {
        expect((await registry.verify(ISSUER_A, root("honest"), index)).valid, `index ${index}`).to.equal(true);
      }
      for (const index of [7, 300]) expect((await registry.verify(ISSUER_A, root("honest"), index)).revoked).to.equal(true);
      expect((await registry.verify(ISSUER_A, root("honest"), 9)).suspended).to.equal(true);
      await expect(registry.connect(keyA).updateStatus(Action.Revoke, 1, 0)).to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized");
      await registry.connect(adminA).addSignerKey(spares[0].address);
      await registry.connect(spares[0]).updateStatus(Action.Revoke, 8, 1);
      expect((await registry.verify(ISSUER_A, root("honest"), 8)).valid).to.equal(false);
    });

    it("attack: the thief, holding only the hot key, cannot use the undo to un-revoke (nor can another issuer's admin)", async function () {
      const { registry, keyA, adminB } = await loadFixture(twoIssuersV2Fixture);
      await registry.connect(keyA).updateStatus(Action.Revoke, 1, 0);
      await expect(registry.connect(keyA).undoStatusWords(Action.Revoke, [0], [2n], 0)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
      await registry.connect(adminB).undoStatusWords(Action.Revoke, [0], [2n], 0);
      expect((await registry.getStatus(ISSUER_A, 1))[0]).to.equal(true);
    });
  });
});
