// IssuerRegistryV2 (inside CredentialRegistryV2): identities set by the accreditor, cold admins, signer and assertion keys, governance.
import { expect } from "chai";
import {
  ACCREDITOR_ROLE,
  ADMIN_DELAY,
  DEFAULT_ADMIN_ROLE,
  IDENTITY_A,
  ISSUER_A,
  ISSUER_B,
  KeyRole,
  NAME_A,
  NEVER,
  blockTimeOf,
  deployV2Fixture,
  edKey,
  ethers,
  loadFixture,
  root,
  time,
  twoIssuersV2Fixture,
} from "./fixtures-v2.ts";

describe("contracts/v2/IssuerRegistryV2.sol", function () {
  describe("governance (AccessControlDefaultAdminRules)", function () {
    it("behavior: governance holds DEFAULT_ADMIN_ROLE and ACCREDITOR_ROLE with the configured transfer delay", async function () {
      const { registry, governance, outsider } = await loadFixture(deployV2Fixture);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, governance.address)).to.equal(true);
      expect(await registry.hasRole(ACCREDITOR_ROLE, governance.address)).to.equal(true);
      expect(await registry.defaultAdmin()).to.equal(governance.address);
      expect(await registry.defaultAdminDelay()).to.equal(ADMIN_DELAY);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, outsider.address)).to.equal(false);
    });

    it("error: AccessControlInvalidDefaultAdmin for a zero governance (nobody could ever accredit)", async function () {
      const factory = await ethers.getContractFactory("CredentialRegistryV2");
      await expect(ethers.deployContract("CredentialRegistryV2", [ethers.ZeroAddress, ADMIN_DELAY]))
        .to.be.revertedWithCustomError(factory, "AccessControlInvalidDefaultAdmin")
        .withArgs(ethers.ZeroAddress);
    });

    it("behavior: admin transfer is two-step and delayed: no grantRole, accept only after the delay by the new admin", async function () {
      const { registry, governance, outsider } = await loadFixture(deployV2Fixture);
      await expect(registry.connect(governance).grantRole(DEFAULT_ADMIN_ROLE, outsider.address)).to.be.revertedWithCustomError(
        registry,
        "AccessControlEnforcedDefaultAdminRules",
      );
      await registry.connect(governance).beginDefaultAdminTransfer(outsider.address);
      const [, schedule] = await registry.pendingDefaultAdmin();
      await expect(registry.connect(outsider).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(registry, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
      await time.increaseTo(schedule + 1n);
      await registry.connect(outsider).acceptDefaultAdminTransfer();
      expect(await registry.defaultAdmin()).to.equal(outsider.address);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, governance.address)).to.equal(false);
    });

    it("behavior: renouncing the admin role is two-step too (a one-call renounce is refused)", async function () {
      const { registry, governance } = await loadFixture(deployV2Fixture);
      await expect(registry.connect(governance).renounceRole(DEFAULT_ADMIN_ROLE, governance.address)).to.be.revertedWithCustomError(
        registry,
        "AccessControlEnforcedDefaultAdminDelay",
      );
    });

    it("error: AccessControlUnauthorizedAccount for accreditor-only functions called by issuers", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersV2Fixture);
      for (const account of [adminA, keyA]) {
        await expect(registry.connect(account).setIssuerIdentity(ISSUER_A, "did:web:x", "X"))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, ACCREDITOR_ROLE);
        await expect(registry.connect(account).registerIssuer(account.address, "did:web:x", "X", 0, 0)).to.be.revertedWithCustomError(
          registry,
          "AccessControlUnauthorizedAccount",
        );
        await expect(registry.connect(account).correctKeyCompromise(keyA.address, NEVER)).to.be.revertedWithCustomError(
          registry,
          "AccessControlUnauthorizedAccount",
        );
      }
    });
  });

  describe("registerIssuer / getIssuer", function () {
    it("event: IssuerRegistered(issuerId, admin, identity, name, from, until); the admin is an Admin key, not a signer", async function () {
      const { registry, adminA } = await loadFixture(deployV2Fixture);
      const tx = await registry.registerIssuer(adminA.address, IDENTITY_A, NAME_A, 0, 0);
      const t = await blockTimeOf(tx);
      await expect(tx).to.emit(registry, "IssuerRegistered").withArgs(ISSUER_A, adminA.address, IDENTITY_A, NAME_A, t, NEVER);
      await expect(tx).not.to.emit(registry, "SignerKeyAdded");
      const [issuer, identity, name] = await registry.getIssuer(ISSUER_A);
      expect([issuer.admin, issuer.validFrom, issuer.validUntil, identity, name]).to.deep.equal([adminA.address, t, NEVER, IDENTITY_A, NAME_A]);
      const key = await registry.getSignerKey(adminA.address);
      expect([key.issuerId, key.role]).to.deep.equal([ISSUER_A, BigInt(KeyRole.Admin)]);
      expect(await registry.isSignerKeyValid(ISSUER_A, adminA.address, t)).to.equal(false);
      expect(await registry.issuerCount()).to.equal(1n);
    });

    it("error: IssuerIdentityEmpty, IssuerInvalidValidityWindow, KeyInvalid, KeyAlreadyRegistered", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersV2Fixture);
      const fresh = ethers.Wallet.createRandom().address;
      await expect(registry.registerIssuer(fresh, "", "X", 0, 0)).to.be.revertedWithCustomError(registry, "IssuerIdentityEmpty");
      await expect(registry.registerIssuer(fresh, "did:web:x", "X", 10, 10))
        .to.be.revertedWithCustomError(registry, "IssuerInvalidValidityWindow")
        .withArgs(10, 10);
      await expect(registry.registerIssuer(ethers.ZeroAddress, "did:web:x", "X", 0, 0))
        .to.be.revertedWithCustomError(registry, "KeyInvalid")
        .withArgs(ethers.ZeroAddress);
      for (const taken of [adminA.address, keyA.address]) {
        await expect(registry.registerIssuer(taken, "did:web:x", "X", 0, 0))
          .to.be.revertedWithCustomError(registry, "KeyAlreadyRegistered")
          .withArgs(taken, ISSUER_A);
      }
    });

    it("error: IssuerNotFound for id 0 and ids above issuerCount", async function () {
      const { registry } = await loadFixture(twoIssuersV2Fixture);
      for (const id of [0n, 3n]) {
        await expect(registry.getIssuer(id)).to.be.revertedWithCustomError(registry, "IssuerNotFound").withArgs(id);
      }
    });
  });

  describe("setIssuerIdentity (accreditor only)", function () {
    it("event: IssuerIdentityChanged; verify reports the new identity and name", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      await registry.connect(keyA).anchor(root(1));
      await expect(registry.setIssuerIdentity(ISSUER_A, "https://a.example/issuer", "A University"))
        .to.emit(registry, "IssuerIdentityChanged")
        .withArgs(ISSUER_A, "https://a.example/issuer", "A University");
      const v = await registry.verify(ISSUER_A, root(1), 0);
      expect([v.issuerIdentity, v.issuerName]).to.deep.equal(["https://a.example/issuer", "A University"]);
    });

    it("error: IssuerNotFound for an unknown issuer; IssuerIdentityEmpty for an empty identity", async function () {
      const { registry } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.setIssuerIdentity(9, "did:web:x", "")).to.be.revertedWithCustomError(registry, "IssuerNotFound").withArgs(9);
      await expect(registry.setIssuerIdentity(ISSUER_A, "", "")).to.be.revertedWithCustomError(registry, "IssuerIdentityEmpty");
    });
  });

  describe("setIssuerValidity", function () {
    it("behavior: ending accreditation blocks anchoring but not revocation; lifting it restores", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      const now = BigInt(await time.latest());
      await expect(registry.setIssuerValidity(ISSUER_A, 1, now + 1n)).to.emit(registry, "IssuerValidityChanged").withArgs(ISSUER_A, 1, now + 1n);
      await expect(registry.connect(keyA).anchor(root(1))).to.be.revertedWithCustomError(registry, "IssuerNotAccredited");
      await registry.connect(keyA).updateStatus(0, 1, 0);
      await registry.setIssuerValidity(ISSUER_A, 1, 0);
      await registry.connect(keyA).anchor(root(1));
      expect(await registry.isIssuerAccredited(ISSUER_A, Number(now))).to.equal(true);
    });
  });

  describe("setIssuerAdmin", function () {
    it("event: IssuerAdminChanged; the new admin manages keys, the previous admin is retired and can do nothing", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersV2Fixture);
      const [newAdmin, key] = spares;
      const tx = await registry.setIssuerAdmin(ISSUER_A, newAdmin.address);
      await expect(tx).to.emit(registry, "IssuerAdminChanged").withArgs(ISSUER_A, adminA.address, newAdmin.address);
      expect((await registry.getSignerKey(adminA.address)).retiredAt).to.equal(await blockTimeOf(tx));
      await expect(registry.connect(adminA).addSignerKey(key.address))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(adminA.address, ISSUER_A);
      await expect(registry.connect(newAdmin).addSignerKey(key.address)).to.emit(registry, "SignerKeyAdded").withArgs(ISSUER_A, key.address);
    });

    it("error: the new admin must be a fresh account (KeyAlreadyRegistered, KeyInvalid); IssuerNotFound", async function () {
      const { registry, keyA, adminB } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.setIssuerAdmin(ISSUER_A, keyA.address)).to.be.revertedWithCustomError(registry, "KeyAlreadyRegistered").withArgs(keyA.address, ISSUER_A);
      await expect(registry.setIssuerAdmin(ISSUER_A, adminB.address)).to.be.revertedWithCustomError(registry, "KeyAlreadyRegistered").withArgs(adminB.address, ISSUER_B);
      await expect(registry.setIssuerAdmin(ISSUER_A, ethers.ZeroAddress)).to.be.revertedWithCustomError(registry, "KeyInvalid");
      await expect(registry.setIssuerAdmin(7, ethers.Wallet.createRandom().address)).to.be.revertedWithCustomError(registry, "IssuerNotFound");
    });
  });

  describe("signer keys", function () {
    it("behavior: addSignerKey by the admin: a Signer key valid from the block time", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersV2Fixture);
      const tx = await registry.connect(adminA).addSignerKey(spares[0].address);
      const t = await blockTimeOf(tx);
      const key = await registry.getSignerKey(spares[0].address);
      expect([key.issuerId, key.addedAt, key.retiredAt, key.compromisedFrom, key.role]).to.deep.equal([ISSUER_A, t, NEVER, NEVER, BigInt(KeyRole.Signer)]);
      expect(await registry.isSignerKeyValid(ISSUER_A, spares[0].address, t)).to.equal(true);
      expect(await registry.isSignerKeyValid(ISSUER_B, spares[0].address, t)).to.equal(false);
      expect(await registry.isSignerKeyValid(ISSUER_A, spares[0].address, t - 1n)).to.equal(false);
    });

    it("error: addSignerKey by a signer key, an outsider or the accreditor: IssuerUnauthorizedAdmin", async function () {
      const { registry, keyA, outsider, governance, spares } = await loadFixture(twoIssuersV2Fixture);
      for (const account of [keyA, outsider, governance]) {
        await expect(registry.connect(account).addSignerKey(spares[0].address)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
      }
    });

    it("behavior: retireSignerKey by the key itself, its admin or the accreditor; valid up to that second", async function () {
      const { registry, adminA, keyA, keyB, governance } = await loadFixture(twoIssuersV2Fixture);
      const tx = await registry.connect(keyA).retireSignerKey(keyA.address);
      const t = await blockTimeOf(tx);
      await expect(tx).to.emit(registry, "SignerKeyRetired").withArgs(ISSUER_A, keyA.address, t);
      expect(await registry.isSignerKeyValid(ISSUER_A, keyA.address, t)).to.equal(true);
      expect(await registry.isSignerKeyValid(ISSUER_A, keyA.address, t + 1n)).to.equal(false);
      await expect(registry.connect(keyA).anchor(root(1))).to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized");
      await expect(registry.connect(adminA).retireSignerKey(keyA.address)).to.be.revertedWithCustomError(registry, "KeyAlreadyRetired").withArgs(keyA.address, t);
      await expect(registry.connect(adminA).retireSignerKey(keyB.address)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin").withArgs(adminA.address, ISSUER_B);
      await expect(registry.connect(governance).retireSignerKey(keyB.address)).to.emit(registry, "SignerKeyRetired");
    });

    it("error: retireSignerKey: KeyNotFound for an unknown key, KeyNotSigner for an admin key", async function () {
      const { registry, adminA, outsider } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.retireSignerKey(outsider.address)).to.be.revertedWithCustomError(registry, "KeyNotFound").withArgs(outsider.address);
      await expect(registry.retireSignerKey(adminA.address)).to.be.revertedWithCustomError(registry, "KeyNotSigner").withArgs(adminA.address);
    });

    it("behavior: markKeyCompromised: roots anchored at or after `since` turn invalid, earlier ones stay valid; only moves earlier", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersV2Fixture);
      const early = await blockTimeOf(await registry.connect(keyA).anchor(root(1)));
      await time.increase(100);
      const late = await blockTimeOf(await registry.connect(keyA).anchor(root(2)));
      await expect(registry.connect(adminA).markKeyCompromised(keyA.address, late)).to.emit(registry, "KeyCompromised").withArgs(ISSUER_A, keyA.address, late);
      expect((await registry.verify(ISSUER_A, root(1), 0)).valid).to.equal(true);
      expect((await registry.verify(ISSUER_A, root(2), 0)).signerValidAtAnchoring).to.equal(false);
      await expect(registry.connect(keyA).anchor(root(3))).to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized");
      await expect(registry.connect(adminA).markKeyCompromised(keyA.address, late))
        .to.be.revertedWithCustomError(registry, "KeyInvalidCompromiseTime")
        .withArgs(keyA.address, late);
      const future = BigInt(await time.latest()) + 1000n;
      await expect(registry.connect(adminA).markKeyCompromised(keyA.address, future)).to.be.revertedWithCustomError(registry, "KeyInvalidCompromiseTime");
      await registry.connect(adminA).markKeyCompromised(keyA.address, early);
      expect((await registry.verify(ISSUER_A, root(1), 0)).valid).to.equal(false);
    });
  });

  describe("assertion keys (Ed25519, bytes32)", function () {
    it("event: AssertionKeyAdded; record and isAssertionKeyValid follow added / retired / compromised", async function () {
      const { registry, adminA } = await loadFixture(twoIssuersV2Fixture);
      const key = edKey(1);
      const added = await blockTimeOf(await registry.connect(adminA).addAssertionKey(key));
      const record = await registry.getAssertionKey(key);
      expect([record.issuerId, record.addedAt, record.retiredAt, record.compromisedFrom, record.role]).to.deep.equal([
        ISSUER_A,
        added,
        NEVER,
        NEVER,
        BigInt(KeyRole.Assertion),
      ]);
      expect(await registry.isAssertionKeyValid(ISSUER_A, key, added)).to.equal(true);
      expect(await registry.isAssertionKeyValid(ISSUER_A, key, added - 1n)).to.equal(false);
      expect(await registry.isAssertionKeyValid(ISSUER_B, key, added)).to.equal(false);
      await time.increase(50);
      const retired = await blockTimeOf(await registry.connect(adminA).retireAssertionKey(key));
      expect(await registry.isAssertionKeyValid(ISSUER_A, key, retired)).to.equal(true);
      expect(await registry.isAssertionKeyValid(ISSUER_A, key, retired + 1n)).to.equal(false);
      await expect(registry.connect(adminA).markAssertionKeyCompromised(key, added + 10n))
        .to.emit(registry, "AssertionKeyCompromised")
        .withArgs(ISSUER_A, key, added + 10n);
      expect(await registry.isAssertionKeyValid(ISSUER_A, key, added + 9n)).to.equal(true);
      expect(await registry.isAssertionKeyValid(ISSUER_A, key, added + 10n)).to.equal(false);
      await expect(registry.correctAssertionKeyCompromise(key, NEVER))
        .to.emit(registry, "AssertionKeyCompromiseCorrected")
        .withArgs(ISSUER_A, key, added + 10n, NEVER);
      expect(await registry.isAssertionKeyValid(ISSUER_A, key, added + 10n)).to.equal(true);
    });

    it("error: a key belongs to one issuer forever; zero key; unknown key; only the current admin or accreditor manages it", async function () {
      const { registry, adminA, adminB, keyA } = await loadFixture(twoIssuersV2Fixture);
      const key = edKey(2);
      await registry.connect(adminA).addAssertionKey(key);
      await expect(registry.connect(adminB).addAssertionKey(key)).to.be.revertedWithCustomError(registry, "AssertionKeyAlreadyRegistered").withArgs(key, ISSUER_A);
      await expect(registry.connect(adminA).addAssertionKey(ethers.ZeroHash)).to.be.revertedWithCustomError(registry, "AssertionKeyInvalid");
      await expect(registry.connect(adminA).retireAssertionKey(edKey(3))).to.be.revertedWithCustomError(registry, "AssertionKeyNotFound").withArgs(edKey(3));
      await expect(registry.connect(keyA).addAssertionKey(edKey(4))).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
      await expect(registry.connect(adminB).retireAssertionKey(key)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin").withArgs(adminB.address, ISSUER_A);
      await expect(registry.connect(adminB).markAssertionKeyCompromised(key, 0)).to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin");
      await expect(registry.connect(adminA).correctAssertionKeyCompromise(key, NEVER)).to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
      await registry.retireAssertionKey(key);
      await expect(registry.connect(adminA).retireAssertionKey(key)).to.be.revertedWithCustomError(registry, "AssertionKeyAlreadyRetired");
    });

    it("error: a retired admin cannot add an assertion key", async function () {
      const { registry, adminA, spares } = await loadFixture(twoIssuersV2Fixture);
      await registry.setIssuerAdmin(ISSUER_A, spares[0].address);
      await expect(registry.connect(adminA).addAssertionKey(edKey(5)))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(adminA.address, ISSUER_A);
      await registry.connect(spares[0]).addAssertionKey(edKey(5));
      expect(await registry.isAssertionKeyValid(ISSUER_A, edKey(5), await time.latest())).to.equal(true);
    });
  });
});
