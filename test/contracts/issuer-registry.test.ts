// IssuerRegistry (deployed inside CredentialRegistry): issuers, accreditation windows, signer keys.
import { expect } from "chai";
import {
  Action,
  ISSUER_A,
  ISSUER_B,
  METADATA_A,
  METADATA_B,
  NEVER,
  anchoredRootsFixture,
  blockNumberOf,
  blockTimeOf,
  deployRegistryFixture,
  ethers,
  loadFixture,
  networkHelpers,
  root,
  time,
  twoIssuersFixture,
} from "./fixtures.ts";

describe("contracts/IssuerRegistry.sol", function () {
  describe("registerIssuer", function () {
    it("behavior: 0/0 window means from the block time, with no end", async function () {
      const { registry, adminA } = await loadFixture(deployRegistryFixture);
      const tx = await registry.registerIssuer(adminA.address, METADATA_A, 0, 0);
      const t = await blockTimeOf(tx);
      const [issuer, metadataURI] = await registry.getIssuer(ISSUER_A);
      expect(issuer.admin).to.equal(adminA.address);
      expect(issuer.validFrom).to.equal(t);
      expect(issuer.validUntil).to.equal(NEVER);
      expect(metadataURI).to.equal(METADATA_A);
      expect(await registry.isIssuerAccredited(ISSUER_A, t)).to.equal(true);
      expect(await registry.isIssuerAccredited(ISSUER_A, NEVER - 1n)).to.equal(true);
      expect(await registry.isIssuerAccredited(ISSUER_A, t - 1n)).to.equal(false);
    });

    it("event: IssuerRegistered and SignerKeyAdded for the admin", async function () {
      const { registry, adminA } = await loadFixture(deployRegistryFixture);
      const tx = await registry.registerIssuer(adminA.address, METADATA_A, 0, 0);
      const t = await blockTimeOf(tx);
      await expect(tx)
        .to.emit(registry, "IssuerRegistered")
        .withArgs(ISSUER_A, adminA.address, METADATA_A, t, NEVER);
      await expect(tx).to.emit(registry, "SignerKeyAdded").withArgs(ISSUER_A, adminA.address);
    });

    it("behavior: ids are sequential from 1 and issuerCount follows", async function () {
      const { registry, adminA, adminB } = await loadFixture(deployRegistryFixture);
      expect(await registry.issuerCount()).to.equal(0n);
      expect(await registry.registerIssuer.staticCall(adminA.address, METADATA_A, 0, 0)).to.equal(1n);
      await registry.registerIssuer(adminA.address, METADATA_A, 0, 0);
      expect(await registry.registerIssuer.staticCall(adminB.address, METADATA_B, 0, 0)).to.equal(2n);
      await registry.registerIssuer(adminB.address, METADATA_B, 0, 0);
      expect(await registry.issuerCount()).to.equal(2n);
      expect((await registry.getIssuer(ISSUER_B))[0].admin).to.equal(adminB.address);
    });

    it("behavior: the admin becomes a signer key of the issuer", async function () {
      const { registry, adminA } = await loadFixture(deployRegistryFixture);
      const t = await blockTimeOf(await registry.registerIssuer(adminA.address, METADATA_A, 0, 0));
      const key = await registry.getSignerKey(adminA.address);
      expect(key.issuerId).to.equal(ISSUER_A);
      expect(key.addedAt).to.equal(t);
      expect(key.retiredAt).to.equal(NEVER);
      expect(key.compromisedFrom).to.equal(NEVER);
      expect(await registry.isSignerKeyValid(ISSUER_A, adminA.address, t)).to.equal(true);
      expect(await registry.isSignerKeyValid(ISSUER_A, adminA.address, t - 1n)).to.equal(false);
    });

    it("behavior: an explicit window is stored as given; validUntil 0 alone means no end", async function () {
      const { registry, adminA, adminB } = await loadFixture(deployRegistryFixture);
      const now = BigInt(await time.latest());
      await expect(registry.registerIssuer(adminA.address, METADATA_A, now + 100n, now + 200n))
        .to.emit(registry, "IssuerRegistered")
        .withArgs(ISSUER_A, adminA.address, METADATA_A, now + 100n, now + 200n);
      await registry.registerIssuer(adminB.address, METADATA_B, 5n, 0);
      const [a] = await registry.getIssuer(ISSUER_A);
      const [b] = await registry.getIssuer(ISSUER_B);
      expect([a.validFrom, a.validUntil]).to.deep.equal([now + 100n, now + 200n]);
      expect([b.validFrom, b.validUntil]).to.deep.equal([5n, NEVER]);
    });

    it("error: IssuerInvalidValidityWindow for empty windows", async function () {
      const { registry, adminA } = await loadFixture(deployRegistryFixture);
      for (const [from, until] of [
        [100n, 100n],
        [200n, 100n],
        [NEVER, NEVER],
      ] as const) {
        await expect(registry.registerIssuer(adminA.address, METADATA_A, from, until))
          .to.be.revertedWithCustomError(registry, "IssuerInvalidValidityWindow")
          .withArgs(from, until);
      }
      // validFrom = max with validUntil = 0 ("no end" = max): still empty.
      await expect(registry.registerIssuer(adminA.address, METADATA_A, NEVER, 0))
        .to.be.revertedWithCustomError(registry, "IssuerInvalidValidityWindow")
        .withArgs(NEVER, NEVER);
      // validFrom = 0 ("now") with an end in the past.
      const now = BigInt(await time.latest());
      await time.setNextBlockTimestamp(now + 10n);
      await expect(registry.registerIssuer(adminA.address, METADATA_A, 0, now))
        .to.be.revertedWithCustomError(registry, "IssuerInvalidValidityWindow")
        .withArgs(now + 10n, now);
      expect(await registry.issuerCount()).to.equal(0n);
    });

    it("error: SignerKeyInvalid for a zero admin", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      await expect(registry.registerIssuer(ethers.ZeroAddress, METADATA_A, 0, 0))
        .to.be.revertedWithCustomError(registry, "SignerKeyInvalid")
        .withArgs(ethers.ZeroAddress);
      expect(await registry.issuerCount()).to.equal(0n);
    });

    it("error: SignerKeyAlreadyRegistered when the admin is already a key (of any issuer)", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersFixture);
      for (const account of [adminA, keyA]) {
        await expect(registry.registerIssuer(account.address, "did:web:c.example", 0, 0))
          .to.be.revertedWithCustomError(registry, "SignerKeyAlreadyRegistered")
          .withArgs(account.address, ISSUER_A);
      }
      expect(await registry.issuerCount()).to.equal(2n);
    });
  });

  describe("getIssuer / getSignerKey / isSignerKeyValid / isIssuerAccredited", function () {
    it("error: IssuerNotFound for id 0 and ids above issuerCount", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      for (const id of [0n, 3n, 2n ** 64n - 1n]) {
        await expect(registry.getIssuer(id)).to.be.revertedWithCustomError(registry, "IssuerNotFound").withArgs(id);
      }
    });

    it("behavior: an unregistered key reads all zero and is valid nowhere", async function () {
      const { registry, outsider } = await loadFixture(twoIssuersFixture);
      const key = await registry.getSignerKey(outsider.address);
      expect([key.issuerId, key.addedAt, key.retiredAt, key.compromisedFrom]).to.deep.equal([0n, 0n, 0n, 0n]);
      const now = BigInt(await time.latest());
      for (const id of [0n, ISSUER_A, ISSUER_B]) {
        expect(await registry.isSignerKeyValid(id, outsider.address, now)).to.equal(false);
      }
    });

    it("behavior: a key is valid only for its own issuer", async function () {
      const { registry, keyA, keyB } = await loadFixture(twoIssuersFixture);
      const now = BigInt(await time.latest());
      expect(await registry.isSignerKeyValid(ISSUER_A, keyA.address, now)).to.equal(true);
      expect(await registry.isSignerKeyValid(ISSUER_B, keyA.address, now)).to.equal(false);
      expect(await registry.isSignerKeyValid(0n, keyA.address, now)).to.equal(false);
      expect(await registry.isSignerKeyValid(ISSUER_B, keyB.address, now)).to.equal(true);
      expect(await registry.isSignerKeyValid(ISSUER_A, keyB.address, now)).to.equal(false);
    });

    it("behavior: an unknown issuer is never accredited", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      const now = BigInt(await time.latest());
      expect(await registry.isIssuerAccredited(0n, now)).to.equal(false);
      expect(await registry.isIssuerAccredited(3n, now)).to.equal(false);
    });
  });

  describe("accreditation window", function () {
    async function futureWindowFixture() {
      const deployed = await deployRegistryFixture();
      const now = BigInt(await time.latest());
      const validFrom = now + 1_000n;
      const validUntil = now + 2_000n;
      await deployed.registry.registerIssuer(deployed.adminA.address, METADATA_A, validFrom, validUntil);
      return { ...deployed, validFrom, validUntil };
    }

    it("behavior: isIssuerAccredited is true on [validFrom, validUntil) only", async function () {
      const { registry, validFrom, validUntil } = await loadFixture(futureWindowFixture);
      const at = async (t: bigint) => registry.isIssuerAccredited(ISSUER_A, t);
      expect(await at(validFrom - 1n)).to.equal(false);
      expect(await at(validFrom)).to.equal(true);
      expect(await at(validUntil - 1n)).to.equal(true);
      expect(await at(validUntil)).to.equal(false);
    });

    it("error: IssuerNotAccredited when anchoring before validFrom", async function () {
      const { registry, adminA, validFrom } = await loadFixture(futureWindowFixture);
      await time.setNextBlockTimestamp(validFrom - 1n);
      await expect(registry.connect(adminA).anchor(root(1)))
        .to.be.revertedWithCustomError(registry, "IssuerNotAccredited")
        .withArgs(ISSUER_A, validFrom - 1n);
    });

    it("behavior: anchoring exactly at validFrom and at validUntil - 1 succeeds", async function () {
      const { registry, adminA, validFrom, validUntil } = await loadFixture(futureWindowFixture);
      await time.setNextBlockTimestamp(validFrom);
      await registry.connect(adminA).anchor(root(1));
      expect((await registry.getAnchor(root(1))).anchoredAt).to.equal(validFrom);
      await time.setNextBlockTimestamp(validUntil - 1n);
      await registry.connect(adminA).anchor(root(2));
      expect((await registry.getAnchor(root(2))).anchoredAt).to.equal(validUntil - 1n);
      const v = await registry.verify(root(1), 0);
      expect(v.issuerAccreditedAtAnchoring).to.equal(true);
      expect(v.valid).to.equal(true);
    });

    it("error: IssuerNotAccredited when anchoring exactly at validUntil (also via anchorMany)", async function () {
      const { registry, adminA, validUntil } = await loadFixture(futureWindowFixture);
      await time.setNextBlockTimestamp(validUntil);
      await expect(registry.connect(adminA).anchor(root(1)))
        .to.be.revertedWithCustomError(registry, "IssuerNotAccredited")
        .withArgs(ISSUER_A, validUntil);
      await expect(registry.connect(adminA).anchorMany([root(1), root(2)]))
        .to.be.revertedWithCustomError(registry, "IssuerNotAccredited")
        .withArgs(ISSUER_A, (v: bigint) => v >= validUntil);
    });

    it("behavior: outside the window statuses and root revocation still work", async function () {
      const { registry, adminA, validFrom, validUntil } = await loadFixture(futureWindowFixture);
      // before accreditation: status changes need only a valid key
      await registry.connect(adminA).updateStatus(Action.Suspend, 1, 0);
      await time.setNextBlockTimestamp(validFrom);
      await registry.connect(adminA).anchor(root(1));
      await time.increaseTo(validUntil);
      await registry.connect(adminA).updateStatus(Action.Revoke, 2, 0);
      await registry.connect(adminA).revokeRoot(root(1), 0);
      expect(await registry.getStatus(ISSUER_A, 1)).to.deep.equal([false, true]);
      expect(await registry.getStatus(ISSUER_A, 2)).to.deep.equal([true, false]);
      expect((await registry.getAnchor(root(1))).revoked).to.equal(true);
    });
  });

  describe("setIssuerValidity", function () {
    it("event: IssuerValidityChanged with the stored window", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      const now = BigInt(await time.latest());
      await expect(registry.setIssuerValidity(ISSUER_A, now - 50n, now + 500n))
        .to.emit(registry, "IssuerValidityChanged")
        .withArgs(ISSUER_A, now - 50n, now + 500n);
      const [issuer] = await registry.getIssuer(ISSUER_A);
      expect([issuer.validFrom, issuer.validUntil]).to.deep.equal([now - 50n, now + 500n]);
      const [other] = await registry.getIssuer(ISSUER_B);
      expect(other.validUntil).to.equal(NEVER);
    });

    it("behavior: validUntil 0 means no end; validFrom is taken as given (0 is not 'now' here)", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      const tx = await registry.setIssuerValidity(ISSUER_A, 0, 0);
      await expect(tx).to.emit(registry, "IssuerValidityChanged").withArgs(ISSUER_A, 0, NEVER);
      const [issuer] = await registry.getIssuer(ISSUER_A);
      expect([issuer.validFrom, issuer.validUntil]).to.deep.equal([0n, NEVER]);
    });

    it("behavior: lifting the end date with (validFrom, 0) keeps earlier roots valid", async function () {
      const { registry, anchoredAtA } = await loadFixture(anchoredRootsFixture);
      const [before] = await registry.getIssuer(ISSUER_A);
      await registry.setIssuerValidity(ISSUER_A, before.validFrom, 0);
      const v = await registry.verify(root("A"), 0);
      expect(anchoredAtA).to.be.greaterThanOrEqual(before.validFrom);
      expect(v.issuerAccreditedAtAnchoring).to.equal(true);
      expect(v.valid).to.equal(true);
    });

    it("error: IssuerNotFound for an unknown issuer", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      await expect(registry.setIssuerValidity(3n, 1, 2))
        .to.be.revertedWithCustomError(registry, "IssuerNotFound")
        .withArgs(3n);
      await expect(registry.setIssuerValidity(0n, 1, 2))
        .to.be.revertedWithCustomError(registry, "IssuerNotFound")
        .withArgs(0n);
    });

    it("error: IssuerInvalidValidityWindow for empty windows", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      for (const [from, until, errFrom, errUntil] of [
        [100n, 100n, 100n, 100n],
        [101n, 100n, 101n, 100n],
        [NEVER, 0n, NEVER, NEVER],
      ] as const) {
        await expect(registry.setIssuerValidity(ISSUER_A, from, until))
          .to.be.revertedWithCustomError(registry, "IssuerInvalidValidityWindow")
          .withArgs(errFrom, errUntil);
      }
    });

    it("behavior: ending accreditation now blocks anchoring but not revocation or suspension", async function () {
      const { registry, keyA, adminA } = await loadFixture(anchoredRootsFixture);
      const [before] = await registry.getIssuer(ISSUER_A);
      const now = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(now);
      await registry.setIssuerValidity(ISSUER_A, before.validFrom, now);
      expect(await registry.isIssuerAccredited(ISSUER_A, now)).to.equal(false);

      await time.setNextBlockTimestamp(now + 1n);
      await expect(registry.connect(keyA).anchor(root("late")))
        .to.be.revertedWithCustomError(registry, "IssuerNotAccredited")
        .withArgs(ISSUER_A, now + 1n);
      await expect(registry.connect(adminA).anchorMany([root("late")]))
        .to.be.revertedWithCustomError(registry, "IssuerNotAccredited")
        .withArgs(ISSUER_A, (at: bigint) => at > now);

      await registry.connect(keyA).updateStatus(Action.Revoke, 10, 3);
      await registry.connect(keyA).updateStatuses(Action.Suspend, [11, 12], 0);
      await registry.connect(adminA).updateStatusWords(Action.Reinstate, [0], [1n << 12n], 0);
      await registry.connect(keyA).revokeRoot(root("A"), 1);
      expect(await registry.getStatus(ISSUER_A, 10)).to.deep.equal([true, false]);
      expect(await registry.getStatus(ISSUER_A, 11)).to.deep.equal([false, true]);
      expect(await registry.getStatus(ISSUER_A, 12)).to.deep.equal([false, false]);
      // the root anchored while accredited is still from an accredited issuer, but revoked now
      const v = await registry.verify(root("A"), 0);
      expect(v.issuerAccreditedAtAnchoring).to.equal(true);
      expect(v.rootRevoked).to.equal(true);
      expect(v.valid).to.equal(false);
    });

    it("behavior: moving the window past an anchoring time invalidates that root (documented WARNING)", async function () {
      const { registry, anchoredAtA } = await loadFixture(anchoredRootsFixture);
      await registry.setIssuerValidity(ISSUER_A, anchoredAtA + 1n, 0);
      const v = await registry.verify(root("A"), 0);
      expect(v.anchored).to.equal(true);
      expect(v.signerValidAtAnchoring).to.equal(true);
      expect(v.issuerAccreditedAtAnchoring).to.equal(false);
      expect(v.valid).to.equal(false);
      expect((await registry.verify(root("B"), 0)).valid).to.equal(true);
    });
  });

  describe("setIssuerMetadata", function () {
    it("event: IssuerMetadataChanged when the admin sets it", async function () {
      const { registry, adminA } = await loadFixture(anchoredRootsFixture);
      await expect(registry.connect(adminA).setIssuerMetadata(ISSUER_A, "did:web:new-a.example"))
        .to.emit(registry, "IssuerMetadataChanged")
        .withArgs(ISSUER_A, "did:web:new-a.example");
      expect((await registry.getIssuer(ISSUER_A))[1]).to.equal("did:web:new-a.example");
      expect((await registry.verify(root("A"), 0)).issuerMetadataURI).to.equal("did:web:new-a.example");
      expect((await registry.getIssuer(ISSUER_B))[1]).to.equal(METADATA_B);
    });

    it("behavior: an accreditor can set any issuer's metadata", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      await expect(registry.setIssuerMetadata(ISSUER_B, ""))
        .to.emit(registry, "IssuerMetadataChanged")
        .withArgs(ISSUER_B, "");
      expect((await registry.getIssuer(ISSUER_B))[1]).to.equal("");
    });

    it("error: IssuerUnauthorizedAdmin for a non-admin key of the issuer", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(keyA).setIssuerMetadata(ISSUER_A, "x"))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(keyA.address, ISSUER_A);
    });

    it("error: IssuerNotFound for an unknown issuer (checked first)", async function () {
      const { registry, adminA } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(adminA).setIssuerMetadata(3n, "x"))
        .to.be.revertedWithCustomError(registry, "IssuerNotFound")
        .withArgs(3n);
    });
  });

  describe("setIssuerAdmin", function () {
    it("event: IssuerAdminChanged and SignerKeyAdded for a fresh account", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersFixture);
      const newAdmin = spares[0];
      const tx = await registry.setIssuerAdmin(ISSUER_A, newAdmin.address);
      const t = await blockTimeOf(tx);
      await expect(tx).to.emit(registry, "IssuerAdminChanged").withArgs(ISSUER_A, adminA.address, newAdmin.address);
      await expect(tx).to.emit(registry, "SignerKeyAdded").withArgs(ISSUER_A, newAdmin.address);
      expect((await registry.getIssuer(ISSUER_A))[0].admin).to.equal(newAdmin.address);
      const key = await registry.getSignerKey(newAdmin.address);
      expect([key.issuerId, key.addedAt, key.retiredAt, key.compromisedFrom]).to.deep.equal([ISSUER_A, t, NEVER, NEVER]);
    });

    it("behavior: recovery: the new admin manages keys; the old admin stays a key until retired", async function () {
      const { registry, adminA, keyA, spares } = await loadFixture(twoIssuersFixture);
      const [newAdmin, newKey] = spares;
      await registry.setIssuerAdmin(ISSUER_A, newAdmin.address);

      await expect(registry.connect(adminA).addSignerKey(newKey.address))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(adminA.address, ISSUER_A);
      await expect(registry.connect(adminA).retireSignerKey(keyA.address))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(adminA.address, ISSUER_A);
      await expect(registry.connect(adminA).setIssuerMetadata(ISSUER_A, "x"))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(adminA.address, ISSUER_A);

      // the old admin is still a signer key
      await registry.connect(adminA).anchor(root("old-admin"));
      await registry.connect(newAdmin).anchor(root("new-admin"));
      await registry.connect(newAdmin).addSignerKey(newKey.address);
      await registry.connect(newAdmin).retireSignerKey(adminA.address);
      await expect(registry.connect(adminA).anchor(root("after")))
        .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
        .withArgs(adminA.address);
      expect((await registry.verify(root("old-admin"), 0)).valid).to.equal(true);
      expect((await registry.verify(root("new-admin"), 0)).issuerId).to.equal(ISSUER_A);
    });

    it("behavior: an existing key of the same issuer becomes admin without being re-added", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersFixture);
      const before = await registry.getSignerKey(keyA.address);
      const tx = await registry.setIssuerAdmin(ISSUER_A, keyA.address);
      await expect(tx).to.emit(registry, "IssuerAdminChanged").withArgs(ISSUER_A, adminA.address, keyA.address);
      await expect(tx).not.to.emit(registry, "SignerKeyAdded");
      expect((await registry.getSignerKey(keyA.address)).addedAt).to.equal(before.addedAt);
      await expect(registry.connect(keyA).setIssuerMetadata(ISSUER_A, "by-key-a"))
        .to.emit(registry, "IssuerMetadataChanged")
        .withArgs(ISSUER_A, "by-key-a");
    });

    it("behavior: setting the current admin again only emits IssuerAdminChanged", async function () {
      const { registry, adminA } = await loadFixture(twoIssuersFixture);
      const tx = await registry.setIssuerAdmin(ISSUER_A, adminA.address);
      await expect(tx).to.emit(registry, "IssuerAdminChanged").withArgs(ISSUER_A, adminA.address, adminA.address);
      await expect(tx).not.to.emit(registry, "SignerKeyAdded");
    });

    it("error: SignerKeyUnauthorized when the new admin is a retired or compromised key of the issuer", async function () {
      const { registry, adminA, keyA, spares } = await loadFixture(twoIssuersFixture);
      await registry.connect(adminA).retireSignerKey(keyA.address);
      await expect(registry.setIssuerAdmin(ISSUER_A, keyA.address))
        .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
        .withArgs(keyA.address);
      await registry.connect(adminA).addSignerKey(spares[0].address);
      await registry.connect(adminA).markSignerKeyCompromised(spares[0].address, 0);
      await expect(registry.setIssuerAdmin(ISSUER_A, spares[0].address))
        .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
        .withArgs(spares[0].address);
    });

    it("error: SignerKeyAlreadyRegistered when the new admin is a key (or admin) of another issuer", async function () {
      const { registry, adminB, keyB } = await loadFixture(twoIssuersFixture);
      for (const account of [adminB, keyB]) {
        await expect(registry.setIssuerAdmin(ISSUER_A, account.address))
          .to.be.revertedWithCustomError(registry, "SignerKeyAlreadyRegistered")
          .withArgs(account.address, ISSUER_B);
      }
    });

    it("error: SignerKeyInvalid for a zero admin; IssuerNotFound for an unknown issuer", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersFixture);
      await expect(registry.setIssuerAdmin(ISSUER_A, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "SignerKeyInvalid")
        .withArgs(ethers.ZeroAddress);
      expect((await registry.getIssuer(ISSUER_A))[0].admin).to.equal(adminA.address);
      await expect(registry.setIssuerAdmin(3n, spares[0].address))
        .to.be.revertedWithCustomError(registry, "IssuerNotFound")
        .withArgs(3n);
    });
  });

  describe("addSignerKey", function () {
    it("event: SignerKeyAdded; the key is valid from the block time", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersFixture);
      const key = spares[0];
      const tx = await registry.connect(adminA).addSignerKey(key.address);
      const t = await blockTimeOf(tx);
      await expect(tx).to.emit(registry, "SignerKeyAdded").withArgs(ISSUER_A, key.address);
      const record = await registry.getSignerKey(key.address);
      expect([record.issuerId, record.addedAt, record.retiredAt, record.compromisedFrom]).to.deep.equal([
        ISSUER_A,
        t,
        NEVER,
        NEVER,
      ]);
      expect(await registry.isSignerKeyValid(ISSUER_A, key.address, t - 1n)).to.equal(false);
      expect(await registry.isSignerKeyValid(ISSUER_A, key.address, t)).to.equal(true);
      await expect(registry.connect(key).anchor(root(1)))
        .to.emit(registry, "RootAnchored")
        .withArgs(root(1), ISSUER_A, key.address);
    });

    it("error: SignerKeyInvalid for the zero address", async function () {
      const { registry, adminA } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(adminA).addSignerKey(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "SignerKeyInvalid")
        .withArgs(ethers.ZeroAddress);
    });

    it("error: SignerKeyAlreadyRegistered for a key of the same or another issuer, retired or not", async function () {
      const { registry, adminA, keyA, adminB, keyB } = await loadFixture(twoIssuersFixture);
      await registry.connect(adminA).retireSignerKey(keyA.address);
      for (const [account, owner] of [
        [keyA, ISSUER_A],
        [adminA, ISSUER_A],
        [keyB, ISSUER_B],
        [adminB, ISSUER_B],
      ] as const) {
        await expect(registry.connect(adminA).addSignerKey(account.address))
          .to.be.revertedWithCustomError(registry, "SignerKeyAlreadyRegistered")
          .withArgs(account.address, owner);
      }
    });

    it("error: IssuerUnauthorizedAdmin for a non-admin key, an outsider and the accreditor", async function () {
      const { registry, governance, keyA, outsider, spares } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(keyA).addSignerKey(spares[0].address))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(keyA.address, ISSUER_A);
      for (const account of [outsider, governance]) {
        await expect(registry.connect(account).addSignerKey(spares[0].address))
          .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
          .withArgs(account.address, 0n);
      }
    });
  });

  describe("retireSignerKey", function () {
    it("event: SignerKeyRetired at the block time; valid up to that second (same block), invalid after", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersFixture);
      const tx = await registry.connect(adminA).retireSignerKey(keyA.address);
      const t = await blockTimeOf(tx);
      await expect(tx).to.emit(registry, "SignerKeyRetired").withArgs(ISSUER_A, keyA.address, t);
      expect((await registry.getSignerKey(keyA.address)).retiredAt).to.equal(t);
      expect(await registry.isSignerKeyValid(ISSUER_A, keyA.address, t - 1n)).to.equal(true);
      expect(await registry.isSignerKeyValid(ISSUER_A, keyA.address, t)).to.equal(true);
      expect(await registry.isSignerKeyValid(ISSUER_A, keyA.address, t + 1n)).to.equal(false);
    });

    it("behavior: a retired key can no longer act, yet what it anchored before stays valid", async function () {
      const { registry, adminA, keyA } = await loadFixture(anchoredRootsFixture);
      await registry.connect(keyA).updateStatus(Action.Suspend, 5, 0);
      await registry.connect(adminA).retireSignerKey(keyA.address);
      const asKey = registry.connect(keyA);
      const attempts = [
        asKey.anchor(root("after")),
        asKey.anchorMany([root("after")]),
        asKey.revokeRoot(root("A"), 0),
        asKey.updateStatus(Action.Revoke, 1, 0),
        asKey.updateStatus(Action.Suspend, 1, 0),
        asKey.updateStatus(Action.Reinstate, 5, 0),
        asKey.updateStatuses(Action.Revoke, [1], 0),
        asKey.updateStatusWords(Action.Suspend, [0], [1], 0),
      ];
      for (const attempt of attempts) {
        await expect(attempt).to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized").withArgs(keyA.address);
      }
      const v = await registry.verify(root("A"), 0);
      expect(v.signer).to.equal(keyA.address);
      expect(v.signerValidAtAnchoring).to.equal(true);
      expect(v.valid).to.equal(true);
      // what it did before stays on-chain
      expect(await registry.getStatus(ISSUER_A, 5)).to.deep.equal([false, true]);
    });

    it("behavior: an accreditor can retire any issuer's key", async function () {
      const { registry, keyB } = await loadFixture(twoIssuersFixture);
      const tx = await registry.retireSignerKey(keyB.address);
      await expect(tx)
        .to.emit(registry, "SignerKeyRetired")
        .withArgs(ISSUER_B, keyB.address, await blockTimeOf(tx));
    });

    it("behavior: the admin can retire its own key and still manage keys", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersFixture);
      await registry.connect(adminA).retireSignerKey(adminA.address);
      await expect(registry.connect(adminA).anchor(root(1)))
        .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
        .withArgs(adminA.address);
      await expect(registry.connect(adminA).addSignerKey(spares[0].address))
        .to.emit(registry, "SignerKeyAdded")
        .withArgs(ISSUER_A, spares[0].address);
    });

    it("error: SignerKeyAlreadyRetired with the first retirement time", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersFixture);
      const t = await blockTimeOf(await registry.connect(adminA).retireSignerKey(keyA.address));
      await expect(registry.connect(adminA).retireSignerKey(keyA.address))
        .to.be.revertedWithCustomError(registry, "SignerKeyAlreadyRetired")
        .withArgs(keyA.address, t);
      await expect(registry.retireSignerKey(keyA.address))
        .to.be.revertedWithCustomError(registry, "SignerKeyAlreadyRetired")
        .withArgs(keyA.address, t);
    });

    it("error: SignerKeyNotFound for an unregistered key", async function () {
      const { registry, adminA, outsider } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(adminA).retireSignerKey(outsider.address))
        .to.be.revertedWithCustomError(registry, "SignerKeyNotFound")
        .withArgs(outsider.address);
    });

    // A key rotation anchors the last batch with the old key and retires it in the same block.
    it("behavior: a root anchored in the same block before retirement stays valid", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersFixture);
      // two transactions in one block: the key anchors, then the admin retires it
      await ethers.provider.send("evm_setAutomine", [false]);
      try {
        const anchorTx = await registry.connect(keyA).anchor(root("last"), { gasLimit: 200_000 });
        const retireTx = await registry.connect(adminA).retireSignerKey(keyA.address, { gasLimit: 200_000 });
        await networkHelpers.mine();
        expect(await blockNumberOf(anchorTx)).to.equal(await blockNumberOf(retireTx));
      } finally {
        await ethers.provider.send("evm_setAutomine", [true]);
      }
      // one transaction: the admin anchors and retires itself through multicall
      await registry.connect(adminA).multicall([
        registry.interface.encodeFunctionData("anchor", [root("last-admin")]),
        registry.interface.encodeFunctionData("retireSignerKey", [adminA.address]),
      ]);
      for (const r of [root("last"), root("last-admin")]) {
        const v = await registry.verify(r, 0);
        expect(v.anchored).to.equal(true);
        expect(v.signerValidAtAnchoring).to.equal(true);
        expect(v.valid).to.equal(true);
      }
    });
  });

  describe("markSignerKeyCompromised", function () {
    it("event: SignerKeyCompromised; roots anchored at or after `since` turn invalid, earlier ones stay valid", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersFixture);
      const asKey = registry.connect(keyA);
      const t1 = await blockTimeOf(await asKey.anchor(root(1)));
      const t2 = await blockTimeOf(await asKey.anchor(root(2)));
      const t3 = await blockTimeOf(await asKey.anchor(root(3)));
      await expect(registry.connect(adminA).markSignerKeyCompromised(keyA.address, t2))
        .to.emit(registry, "SignerKeyCompromised")
        .withArgs(ISSUER_A, keyA.address, t2);
      expect((await registry.getSignerKey(keyA.address)).compromisedFrom).to.equal(t2);
      expect(await registry.isSignerKeyValid(ISSUER_A, keyA.address, t1)).to.equal(true);
      expect(await registry.isSignerKeyValid(ISSUER_A, keyA.address, t2)).to.equal(false);
      const [v1, v2, v3] = [await registry.verify(root(1), 0), await registry.verify(root(2), 0), await registry.verify(root(3), 0)];
      expect([v1.signerValidAtAnchoring, v1.valid]).to.deep.equal([true, true]);
      expect([v2.signerValidAtAnchoring, v2.valid]).to.deep.equal([false, false]);
      expect([v3.signerValidAtAnchoring, v3.valid]).to.deep.equal([false, false]);
      expect(v3.anchoredAt).to.equal(t3);
      expect(v3.issuerAccreditedAtAnchoring).to.equal(true);
    });

    it("behavior: a compromised key can no longer act", async function () {
      const { registry, adminA, keyA } = await loadFixture(anchoredRootsFixture);
      await registry.connect(adminA).markSignerKeyCompromised(keyA.address, BigInt(await time.latest()));
      const asKey = registry.connect(keyA);
      for (const attempt of [
        asKey.anchor(root("after")),
        asKey.anchorMany([root("after")]),
        asKey.revokeRoot(root("A"), 0),
        asKey.updateStatus(Action.Revoke, 1, 0),
        asKey.updateStatuses(Action.Suspend, [1], 0),
        asKey.updateStatusWords(Action.Reinstate, [0], [1], 0),
      ]) {
        await expect(attempt).to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized").withArgs(keyA.address);
      }
    });

    it("behavior: `since` may equal the block time, and be moved earlier later (down to 0)", async function () {
      const { registry, adminA, keyA } = await loadFixture(anchoredRootsFixture);
      const now = BigInt(await time.latest()) + 5n;
      await time.setNextBlockTimestamp(now);
      await expect(registry.connect(adminA).markSignerKeyCompromised(keyA.address, now))
        .to.emit(registry, "SignerKeyCompromised")
        .withArgs(ISSUER_A, keyA.address, now);
      expect((await registry.verify(root("A"), 0)).valid).to.equal(true);
      await expect(registry.connect(adminA).markSignerKeyCompromised(keyA.address, now - 1n))
        .to.emit(registry, "SignerKeyCompromised")
        .withArgs(ISSUER_A, keyA.address, now - 1n);
      await registry.connect(adminA).markSignerKeyCompromised(keyA.address, 0);
      expect((await registry.getSignerKey(keyA.address)).compromisedFrom).to.equal(0n);
      expect((await registry.verify(root("A"), 0)).signerValidAtAnchoring).to.equal(false);
    });

    it("behavior: a retired key can be marked compromised back in time", async function () {
      const { registry, adminA, keyA, anchoredAtA } = await loadFixture(anchoredRootsFixture);
      await registry.connect(adminA).retireSignerKey(keyA.address);
      expect((await registry.verify(root("A"), 0)).valid).to.equal(true);
      await registry.connect(adminA).markSignerKeyCompromised(keyA.address, anchoredAtA);
      expect((await registry.verify(root("A"), 0)).valid).to.equal(false);
    });

    it("behavior: an accreditor can mark any issuer's key compromised", async function () {
      const { registry, keyB, anchoredAtB } = await loadFixture(anchoredRootsFixture);
      await expect(registry.markSignerKeyCompromised(keyB.address, anchoredAtB))
        .to.emit(registry, "SignerKeyCompromised")
        .withArgs(ISSUER_B, keyB.address, anchoredAtB);
      expect((await registry.verify(root("B"), 0)).valid).to.equal(false);
      expect((await registry.verify(root("A"), 0)).valid).to.equal(true);
    });

    it("behavior: a compromised admin can still add keys (documented); the accreditor recovers", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersFixture);
      const [attackerKey, newAdmin] = spares;
      await registry.connect(adminA).markSignerKeyCompromised(adminA.address, BigInt(await time.latest()));
      await registry.connect(adminA).addSignerKey(attackerKey.address);
      // recovery: replace the admin, then the new admin compromises the key the attacker added
      await registry.setIssuerAdmin(ISSUER_A, newAdmin.address);
      const since = (await registry.getSignerKey(attackerKey.address)).addedAt;
      await registry.connect(newAdmin).markSignerKeyCompromised(attackerKey.address, since);
      expect(await registry.isSignerKeyValid(ISSUER_A, attackerKey.address, since)).to.equal(false);
      await expect(registry.connect(adminA).addSignerKey(spares[2].address))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(adminA.address, ISSUER_A);
    });

    it("error: SignerKeyInvalidCompromiseTime for a future time", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersFixture);
      const now = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(now);
      await expect(registry.connect(adminA).markSignerKeyCompromised(keyA.address, now + 1n))
        .to.be.revertedWithCustomError(registry, "SignerKeyInvalidCompromiseTime")
        .withArgs(keyA.address, now + 1n);
      await expect(registry.connect(adminA).markSignerKeyCompromised(keyA.address, NEVER))
        .to.be.revertedWithCustomError(registry, "SignerKeyInvalidCompromiseTime")
        .withArgs(keyA.address, NEVER);
    });

    it("error: SignerKeyInvalidCompromiseTime for a time not earlier than the current mark", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersFixture);
      const mark = BigInt(await time.latest()) - 10n;
      await registry.connect(adminA).markSignerKeyCompromised(keyA.address, mark);
      for (const since of [mark, mark + 1n]) {
        await expect(registry.connect(adminA).markSignerKeyCompromised(keyA.address, since))
          .to.be.revertedWithCustomError(registry, "SignerKeyInvalidCompromiseTime")
          .withArgs(keyA.address, since);
      }
    });

    it("error: SignerKeyNotFound for an unregistered key", async function () {
      const { registry, outsider } = await loadFixture(twoIssuersFixture);
      await expect(registry.markSignerKeyCompromised(outsider.address, 0))
        .to.be.revertedWithCustomError(registry, "SignerKeyNotFound")
        .withArgs(outsider.address);
    });
  });
});
