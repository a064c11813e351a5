// CredentialRegistry: anchors, root revocation, status bitmaps, verification views, multicall.
import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  ACCREDITOR_ROLE,
  Action,
  ISSUER_A,
  ISSUER_B,
  MAX_UINT256,
  METADATA_A,
  anchoredRootsFixture,
  blockNumberOf,
  blockTimeOf,
  ethers,
  loadFixture,
  networkHelpers,
  root,
  twoIssuersFixture,
  verificationFields,
} from "./fixtures.ts";

/** Indices at and around 256-bit word boundaries, up to the largest status index. */
const BOUNDARY_INDICES = [0n, 1n, 255n, 256n, 257n, 511n, 512n, 2n ** 32n - 1n, 2n ** 32n, MAX_UINT256 - 1n, MAX_UINT256];

describe("contracts/CredentialRegistry.sol", function () {
  describe("constants", function () {
    it("behavior: version() is 1.0.0 and ACCREDITOR_ROLE is keccak256('ACCREDITOR_ROLE')", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      expect(await registry.version()).to.equal("1.0.0");
      expect(await registry.ACCREDITOR_ROLE()).to.equal(ACCREDITOR_ROLE);
    });
  });

  describe("constructor", function () {
    it("error: IssuerRegistryInvalidGovernance for the zero address (nobody could ever accredit)", async function () {
      const factory = await ethers.getContractFactory("CredentialRegistry");
      await expect(ethers.deployContract("CredentialRegistry", [ethers.ZeroAddress])).to.be.revertedWithCustomError(
        factory,
        "IssuerRegistryInvalidGovernance",
      );
    });
  });

  describe("anchor", function () {
    it("event: RootAnchored(root, issuerId, signer); getAnchor records signer, time and block", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const tx = await registry.connect(keyA).anchor(root(1));
      await expect(tx).to.emit(registry, "RootAnchored").withArgs(root(1), ISSUER_A, keyA.address);
      const anchor = await registry.getAnchor(root(1));
      expect(anchor.signer).to.equal(keyA.address);
      expect(anchor.anchoredAt).to.equal(await blockTimeOf(tx));
      expect(anchor.blockNumber).to.equal(await blockNumberOf(tx));
      expect(anchor.revoked).to.equal(false);
    });

    it("behavior: the admin is a signer key and can anchor", async function () {
      const { registry, adminB } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(adminB).anchor(root(1)))
        .to.emit(registry, "RootAnchored")
        .withArgs(root(1), ISSUER_B, adminB.address);
      expect((await registry.verify(root(1), 0)).issuerId).to.equal(ISSUER_B);
    });

    it("behavior: getAnchor of an unknown root is all zero", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      const anchor = await registry.getAnchor(root("unknown"));
      expect([anchor.signer, anchor.anchoredAt, anchor.blockNumber, anchor.revoked]).to.deep.equal([
        ethers.ZeroAddress,
        0n,
        0n,
        false,
      ]);
    });

    it("error: AnchorInvalidRoot for the zero root", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(keyA).anchor(ethers.ZeroHash)).to.be.revertedWithCustomError(
        registry,
        "AnchorInvalidRoot",
      );
    });

    it("error: AnchorRootAlreadyAnchored(root, firstIssuer), by the same issuer or another one", async function () {
      const { registry, adminA, keyA, keyB } = await loadFixture(anchoredRootsFixture);
      const before = await registry.getAnchor(root("A"));
      for (const signer of [keyA, adminA, keyB]) {
        await expect(registry.connect(signer).anchor(root("A")))
          .to.be.revertedWithCustomError(registry, "AnchorRootAlreadyAnchored")
          .withArgs(root("A"), ISSUER_A);
      }
      await expect(registry.connect(keyA).anchor(root("B")))
        .to.be.revertedWithCustomError(registry, "AnchorRootAlreadyAnchored")
        .withArgs(root("B"), ISSUER_B);
      expect(await registry.getAnchor(root("A"))).to.deep.equal(before);
    });

    it("error: AnchorRootAlreadyAnchored even after the root was revoked", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsFixture);
      await registry.connect(keyA).revokeRoot(root("A"), 0);
      await expect(registry.connect(keyA).anchor(root("A")))
        .to.be.revertedWithCustomError(registry, "AnchorRootAlreadyAnchored")
        .withArgs(root("A"), ISSUER_A);
      expect((await registry.getAnchor(root("A"))).revoked).to.equal(true);
    });

    it("error: SignerKeyUnauthorized for accounts that are not signer keys", async function () {
      const { registry, governance, outsider } = await loadFixture(twoIssuersFixture);
      for (const account of [governance, outsider]) {
        await expect(registry.connect(account).anchor(root(1)))
          .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
          .withArgs(account.address);
      }
    });
  });

  describe("anchorMany", function () {
    it("behavior: records every root in one transaction, one RootAnchored each", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const roots = [root(1), root(2), root(3)];
      const tx = await registry.connect(keyA).anchorMany(roots);
      const [t, n] = [await blockTimeOf(tx), await blockNumberOf(tx)];
      for (const r of roots) {
        await expect(tx).to.emit(registry, "RootAnchored").withArgs(r, ISSUER_A, keyA.address);
        const anchor = await registry.getAnchor(r);
        expect([anchor.signer, anchor.anchoredAt, anchor.blockNumber, anchor.revoked]).to.deep.equal([
          keyA.address,
          t,
          n,
          false,
        ]);
      }
      const receipt = await tx.wait();
      expect(receipt!.logs).to.have.length(3);
    });

    it("error: one duplicate inside the batch reverts the whole transaction", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(keyA).anchorMany([root(1), root(2), root(1)]))
        .to.be.revertedWithCustomError(registry, "AnchorRootAlreadyAnchored")
        .withArgs(root(1), ISSUER_A);
      expect((await registry.getAnchor(root(1))).signer).to.equal(ethers.ZeroAddress);
      expect((await registry.getAnchor(root(2))).signer).to.equal(ethers.ZeroAddress);
    });

    it("error: an already anchored root (of another issuer) inside the batch reverts it all", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsFixture);
      await expect(registry.connect(keyA).anchorMany([root(1), root("B")]))
        .to.be.revertedWithCustomError(registry, "AnchorRootAlreadyAnchored")
        .withArgs(root("B"), ISSUER_B);
      expect((await registry.getAnchor(root(1))).signer).to.equal(ethers.ZeroAddress);
    });

    it("error: AnchorInvalidRoot for a zero root inside the batch", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(keyA).anchorMany([root(1), ethers.ZeroHash])).to.be.revertedWithCustomError(
        registry,
        "AnchorInvalidRoot",
      );
      expect((await registry.getAnchor(root(1))).signer).to.equal(ethers.ZeroAddress);
    });

    it("error: SignerKeyUnauthorized for a non-key", async function () {
      const { registry, outsider } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(outsider).anchorMany([root(1)]))
        .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
        .withArgs(outsider.address);
    });

    it("error: AnchorBatchEmpty for an empty batch (as updateStatuses)", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(keyA).anchorMany([])).to.be.revertedWithCustomError(registry, "AnchorBatchEmpty");
    });
  });

  describe("revokeRoot", function () {
    it("event: RootRevoked(root, issuerId, signer, reason); getAnchor and verify show it", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsFixture);
      await expect(registry.connect(keyA).revokeRoot(root("A"), 7))
        .to.emit(registry, "RootRevoked")
        .withArgs(root("A"), ISSUER_A, keyA.address, 7);
      expect((await registry.getAnchor(root("A"))).revoked).to.equal(true);
      const v = await registry.verify(root("A"), 0);
      expect(v.rootRevoked).to.equal(true);
      expect(v.revoked).to.equal(false);
      expect(v.valid).to.equal(false);
      expect((await registry.verify(root("B"), 0)).valid).to.equal(true);
    });

    it("behavior: any valid key of the root's issuer can revoke it, also after the anchoring key retired", async function () {
      const { registry, adminA, keyA } = await loadFixture(anchoredRootsFixture);
      await registry.connect(adminA).retireSignerKey(keyA.address);
      await expect(registry.connect(adminA).revokeRoot(root("A"), 255))
        .to.emit(registry, "RootRevoked")
        .withArgs(root("A"), ISSUER_A, adminA.address, 255);
    });

    it("error: AnchorRootNotAnchored for an unknown root (also the zero root)", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      for (const r of [root("unknown"), ethers.ZeroHash]) {
        await expect(registry.connect(keyA).revokeRoot(r, 0))
          .to.be.revertedWithCustomError(registry, "AnchorRootNotAnchored")
          .withArgs(r);
      }
    });

    it("error: AnchorIssuerMismatch(root, rootIssuer, callerIssuer) for another issuer's root", async function () {
      const { registry, adminA, keyA, adminB, keyB } = await loadFixture(anchoredRootsFixture);
      for (const signer of [adminA, keyA]) {
        await expect(registry.connect(signer).revokeRoot(root("B"), 0))
          .to.be.revertedWithCustomError(registry, "AnchorIssuerMismatch")
          .withArgs(root("B"), ISSUER_B, ISSUER_A);
      }
      for (const signer of [adminB, keyB]) {
        await expect(registry.connect(signer).revokeRoot(root("A"), 0))
          .to.be.revertedWithCustomError(registry, "AnchorIssuerMismatch")
          .withArgs(root("A"), ISSUER_A, ISSUER_B);
      }
      expect((await registry.getAnchor(root("A"))).revoked).to.equal(false);
      expect((await registry.getAnchor(root("B"))).revoked).to.equal(false);
    });

    it("error: AnchorRootAlreadyRevoked: revocation is final and happens once", async function () {
      const { registry, adminA, keyA } = await loadFixture(anchoredRootsFixture);
      await registry.connect(keyA).revokeRoot(root("A"), 1);
      await expect(registry.connect(adminA).revokeRoot(root("A"), 2))
        .to.be.revertedWithCustomError(registry, "AnchorRootAlreadyRevoked")
        .withArgs(root("A"));
    });

    it("error: SignerKeyUnauthorized for non-keys, including the accreditor", async function () {
      const { registry, governance, outsider } = await loadFixture(anchoredRootsFixture);
      for (const account of [governance, outsider]) {
        await expect(registry.connect(account).revokeRoot(root("A"), 0))
          .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
          .withArgs(account.address);
      }
    });
  });

  describe("updateStatus", function () {
    it("event: StatusesUpdated(issuerId, action, signer, [index], reason) for each action", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const asKey = registry.connect(keyA);
      for (const [action, reason] of [
        [Action.Suspend, 3],
        [Action.Reinstate, 0],
        [Action.Revoke, 255],
      ] as const) {
        await expect(asKey.updateStatus(action, 42, reason))
          .to.emit(registry, "StatusesUpdated")
          .withArgs(ISSUER_A, action, keyA.address, [42n], reason);
      }
    });

    it("behavior: Revoke sets only the revocation bit, Suspend only the suspension bit, Reinstate clears the suspension", async function () {
      const { registry, adminA } = await loadFixture(twoIssuersFixture);
      const asAdmin = registry.connect(adminA);
      await asAdmin.updateStatus(Action.Revoke, 10, 0);
      expect(await registry.getStatus(ISSUER_A, 10)).to.deep.equal([true, false]);
      await asAdmin.updateStatus(Action.Suspend, 11, 0);
      expect(await registry.getStatus(ISSUER_A, 11)).to.deep.equal([false, true]);
      await asAdmin.updateStatus(Action.Reinstate, 11, 0);
      expect(await registry.getStatus(ISSUER_A, 11)).to.deep.equal([false, false]);
      expect(await registry.getStatus(ISSUER_A, 9)).to.deep.equal([false, false]);
      expect(await registry.getStatus(ISSUER_A, 12)).to.deep.equal([false, false]);
    });

    it("behavior: revocation is final: Reinstate clears only the suspension bit", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const asKey = registry.connect(keyA);
      await asKey.updateStatus(Action.Suspend, 7, 0);
      await asKey.updateStatus(Action.Revoke, 7, 0);
      expect(await registry.getStatus(ISSUER_A, 7)).to.deep.equal([true, true]);
      await asKey.updateStatus(Action.Reinstate, 7, 0);
      expect(await registry.getStatus(ISSUER_A, 7)).to.deep.equal([true, false]);
      await asKey.updateStatuses(Action.Reinstate, [7], 0);
      await asKey.updateStatusWords(Action.Reinstate, [0], [MAX_UINT256], 0);
      expect(await registry.getStatus(ISSUER_A, 7)).to.deep.equal([true, false]);
    });

    it("behavior: idempotent: setting a set bit or clearing a clear bit emits and changes nothing else", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const asKey = registry.connect(keyA);
      await asKey.updateStatus(Action.Revoke, 300, 0);
      await asKey.updateStatus(Action.Suspend, 301, 0);
      const before = await registry.getStatusWords(ISSUER_A, 0, 3);
      for (const [action, index] of [
        [Action.Revoke, 300],
        [Action.Suspend, 301],
        [Action.Reinstate, 302],
      ] as const) {
        await expect(asKey.updateStatus(action, index, 9))
          .to.emit(registry, "StatusesUpdated")
          .withArgs(ISSUER_A, action, keyA.address, [BigInt(index)], 9);
        expect(await registry.getStatusWords(ISSUER_A, 0, 3)).to.deep.equal(before);
      }
      expect(before[0][1]).to.equal(1n << 44n);
      expect(before[1][1]).to.equal(1n << 45n);
    });

    it("behavior: indices at word boundaries map to word i >> 8, bit i & 255, touching nothing else", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      for (const index of BOUNDARY_INDICES) {
        const snapshot = await networkHelpers.takeSnapshot();
        await registry.connect(keyA).updateStatus(Action.Revoke, index, 0);
        await registry.connect(keyA).updateStatus(Action.Suspend, index, 0);
        expect(await registry.getStatus(ISSUER_A, index)).to.deep.equal([true, true]);
        const word = index >> 8n;
        const [revoked, suspended] = await registry.getStatusWords(ISSUER_A, word, 1);
        expect(revoked[0]).to.equal(1n << (index & 255n));
        expect(suspended[0]).to.equal(1n << (index & 255n));
        for (const neighbour of [index - 1n, index + 1n].filter((i) => i >= 0n && i <= MAX_UINT256)) {
          expect(await registry.getStatus(ISSUER_A, neighbour)).to.deep.equal([false, false]);
        }
        expect(await registry.getStatus(ISSUER_B, index)).to.deep.equal([false, false]);
        await snapshot.restore();
      }
    });

    it("error: an action outside the enum reverts without a reason", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(keyA).updateStatus(3, 1, 0)).to.be.revertedWithoutReason(ethers);
      await expect(registry.connect(keyA).updateStatuses(3, [1], 0)).to.be.revertedWithoutReason(ethers);
      await expect(registry.connect(keyA).updateStatusWords(3, [0], [1], 0)).to.be.revertedWithoutReason(ethers);
    });

    it("error: SignerKeyUnauthorized for non-keys, including the accreditor", async function () {
      const { registry, governance, outsider } = await loadFixture(twoIssuersFixture);
      for (const account of [governance, outsider]) {
        await expect(registry.connect(account).updateStatus(Action.Revoke, 1, 0))
          .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
          .withArgs(account.address);
      }
    });
  });

  describe("updateStatuses", function () {
    it("event: StatusesUpdated with all indices as given (duplicates included) and the reason", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const indices = [5n, 256n, 5n, 70_000n, MAX_UINT256];
      await expect(registry.connect(keyA).updateStatuses(Action.Revoke, indices, 4))
        .to.emit(registry, "StatusesUpdated")
        .withArgs(ISSUER_A, Action.Revoke, keyA.address, indices, 4);
      for (const index of indices) {
        expect(await registry.getStatus(ISSUER_A, index)).to.deep.equal([true, false]);
      }
      const [revoked] = await registry.getStatusWords(ISSUER_A, 0, 2);
      expect(revoked).to.deep.equal([1n << 5n, 1n]);
    });

    it("behavior: bulk suspend then bulk reinstate over several words", async function () {
      const { registry, adminA } = await loadFixture(twoIssuersFixture);
      const asAdmin = registry.connect(adminA);
      await asAdmin.updateStatuses(Action.Suspend, [0, 255, 256, 511, 512], 0);
      const [, suspended] = await registry.getStatusWords(ISSUER_A, 0, 3);
      expect(suspended).to.deep.equal([1n | (1n << 255n), 1n | (1n << 255n), 1n]);
      await asAdmin.updateStatuses(Action.Reinstate, [255, 512, 1000], 0);
      const [revoked, after] = await registry.getStatusWords(ISSUER_A, 0, 4);
      expect(after).to.deep.equal([1n, 1n | (1n << 255n), 0n, 0n]);
      expect(revoked).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("error: StatusBatchEmpty for no indices", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      for (const action of [Action.Revoke, Action.Suspend, Action.Reinstate]) {
        await expect(registry.connect(keyA).updateStatuses(action, [], 0)).to.be.revertedWithCustomError(
          registry,
          "StatusBatchEmpty",
        );
      }
    });

    it("error: SignerKeyUnauthorized for a non-key (checked before the batch)", async function () {
      const { registry, outsider } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(outsider).updateStatuses(Action.Revoke, [], 0))
        .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
        .withArgs(outsider.address);
    });
  });

  describe("updateStatusWords", function () {
    it("event: StatusWordsUpdated(issuerId, action, signer, wordIndices, masks, reason)", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const words = [0n, 3n, 2n ** 248n - 1n];
      const masks = [0b1011n, MAX_UINT256, 1n << 255n];
      await expect(registry.connect(keyA).updateStatusWords(Action.Suspend, words, masks, 6))
        .to.emit(registry, "StatusWordsUpdated")
        .withArgs(ISSUER_A, Action.Suspend, keyA.address, words, masks, 6);
    });

    it("behavior: sets and clears exactly the masked bits of each word", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const asKey = registry.connect(keyA);
      await asKey.updateStatusWords(Action.Revoke, [1, 3], [0b0110n, MAX_UINT256], 0);
      await asKey.updateStatusWords(Action.Suspend, [1, 2], [0b1100n, 1n << 200n], 0);
      await asKey.updateStatusWords(Action.Reinstate, [1, 2], [0b1000n, 0n], 0);
      const [revoked, suspended] = await registry.getStatusWords(ISSUER_A, 0, 5);
      expect(revoked).to.deep.equal([0n, 0b0110n, 0n, MAX_UINT256, 0n]);
      expect(suspended).to.deep.equal([0n, 0b0100n, 1n << 200n, 0n, 0n]);
      expect(await registry.getStatus(ISSUER_A, 256 + 1)).to.deep.equal([true, false]);
      expect(await registry.getStatus(ISSUER_A, 256 + 2)).to.deep.equal([true, true]);
      expect(await registry.getStatus(ISSUER_A, 256 + 3)).to.deep.equal([false, false]);
      expect(await registry.getStatus(ISSUER_A, 3 * 256 + 255)).to.deep.equal([true, false]);
      expect(await registry.getStatus(ISSUER_A, 2 * 256 + 200)).to.deep.equal([false, true]);
    });

    it("behavior: the last word (2^248 - 1) holds the largest status indices", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      await registry.connect(keyA).updateStatusWords(Action.Revoke, [2n ** 248n - 1n], [1n << 255n], 0);
      expect(await registry.getStatus(ISSUER_A, MAX_UINT256)).to.deep.equal([true, false]);
      expect(await registry.getStatus(ISSUER_A, MAX_UINT256 - 1n)).to.deep.equal([false, false]);
    });

    it("error: StatusBatchEmpty when there are no words (checked before the lengths)", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      for (const masks of [[], [1n]]) {
        await expect(registry.connect(keyA).updateStatusWords(Action.Revoke, [], masks, 0)).to.be.revertedWithCustomError(
          registry,
          "StatusBatchEmpty",
        );
      }
    });

    it("error: StatusWordsLengthMismatch(wordCount, maskCount)", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(keyA).updateStatusWords(Action.Revoke, [0, 1], [1n], 0))
        .to.be.revertedWithCustomError(registry, "StatusWordsLengthMismatch")
        .withArgs(2, 1);
      await expect(registry.connect(keyA).updateStatusWords(Action.Suspend, [0], [1n, 2n], 0))
        .to.be.revertedWithCustomError(registry, "StatusWordsLengthMismatch")
        .withArgs(1, 2);
      await expect(registry.connect(keyA).updateStatusWords(Action.Suspend, [0], [], 0))
        .to.be.revertedWithCustomError(registry, "StatusWordsLengthMismatch")
        .withArgs(1, 0);
    });

    it("error: StatusWordIndexOutOfRange for words above 2^248 - 1, where no status index lives", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      for (const word of [2n ** 248n, MAX_UINT256]) {
        await expect(registry.connect(keyA).updateStatusWords(Action.Revoke, [0n, word], [1n, 1n], 0))
          .to.be.revertedWithCustomError(registry, "StatusWordIndexOutOfRange")
          .withArgs(word);
      }
      await expect(registry.connect(keyA).updateStatusWords(Action.Revoke, [2n ** 248n - 1n], [1n << 255n], 0)).to.emit(
        registry,
        "StatusWordsUpdated",
      );
      expect((await registry.getStatus(ISSUER_A, MAX_UINT256))[0]).to.equal(true);
    });
  });

  describe("getStatusWords", function () {
    it("behavior: returns `count` words of both bitmaps from `firstWord`", async function () {
      const { registry, keyA, keyB } = await loadFixture(twoIssuersFixture);
      await registry.connect(keyA).updateStatuses(Action.Revoke, [0, 257, 1024], 0);
      await registry.connect(keyA).updateStatuses(Action.Suspend, [258, 1025], 0);
      await registry.connect(keyB).updateStatuses(Action.Revoke, [1, 2, 3], 0);
      const [revoked, suspended] = await registry.getStatusWords(ISSUER_A, 1, 4);
      expect(revoked).to.deep.equal([2n, 0n, 0n, 1n]);
      expect(suspended).to.deep.equal([4n, 0n, 0n, 2n]);
      const [rB] = await registry.getStatusWords(ISSUER_B, 0, 1);
      expect(rB).to.deep.equal([0b1110n]);
    });

    it("behavior: count 0 returns empty arrays; unknown issuers read as zero", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      expect(await registry.getStatusWords(ISSUER_A, 0, 0)).to.deep.equal([[], []]);
      expect(await registry.getStatusWords(99n, 0, 2)).to.deep.equal([
        [0n, 0n],
        [0n, 0n],
      ]);
    });

    it("error: panics (arithmetic overflow) when firstWord + count overflows", async function () {
      const { registry } = await loadFixture(twoIssuersFixture);
      expect(await registry.getStatusWords(ISSUER_A, MAX_UINT256, 1)).to.deep.equal([[0n], [0n]]);
      await expect(registry.getStatusWords(ISSUER_A, MAX_UINT256, 2)).to.be.revertedWithPanic(0x11);
    });
  });

  describe("verify", function () {
    it("behavior: an unknown root is all false / zero", async function () {
      const { registry } = await loadFixture(anchoredRootsFixture);
      const v = await registry.verify(root("unknown"), 0);
      expect(verificationFields(v)).to.deep.equal({
        anchored: false,
        issuerId: 0n,
        signer: ethers.ZeroAddress,
        anchoredAt: 0n,
        blockNumber: 0n,
        rootRevoked: false,
        signerValidAtAnchoring: false,
        issuerAccreditedAtAnchoring: false,
        revoked: false,
        suspended: false,
        valid: false,
        issuerMetadataURI: "",
      });
    });

    it("behavior: a freshly anchored root reports every field and valid = true", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const tx = await registry.connect(keyA).anchor(root(1));
      const v = await registry.verify(root(1), 12345);
      expect(verificationFields(v)).to.deep.equal({
        anchored: true,
        issuerId: ISSUER_A,
        signer: keyA.address,
        anchoredAt: await blockTimeOf(tx),
        blockNumber: await blockNumberOf(tx),
        rootRevoked: false,
        signerValidAtAnchoring: true,
        issuerAccreditedAtAnchoring: true,
        revoked: false,
        suspended: false,
        valid: true,
        issuerMetadataURI: METADATA_A,
      });
    });

    it("behavior: revoked, suspended and reinstated status indices", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsFixture);
      const asKey = registry.connect(keyA);
      await asKey.updateStatus(Action.Revoke, 1, 0);
      await asKey.updateStatus(Action.Suspend, 2, 0);
      await asKey.updateStatus(Action.Suspend, 3, 0);
      await asKey.updateStatus(Action.Reinstate, 3, 0);
      const fields = async (index: number) => {
        const v = await registry.verify(root("A"), index);
        return [v.revoked, v.suspended, v.valid];
      };
      expect(await fields(0)).to.deep.equal([false, false, true]);
      expect(await fields(1)).to.deep.equal([true, false, false]);
      expect(await fields(2)).to.deep.equal([false, true, false]);
      expect(await fields(3)).to.deep.equal([false, false, true]);
      // statuses are per issuer: B's root with the same indices is untouched
      expect((await registry.verify(root("B"), 1)).valid).to.equal(true);
    });
  });

  describe("leafHash / verifyInclusion / verifyCredential", function () {
    const digests = Array.from({ length: 5 }, (_, i) => ethers.id(`credential-${i}`));
    const tree = StandardMerkleTree.of(
      digests.map((d) => [d]),
      ["bytes32"],
    );

    async function anchoredTreeFixture() {
      const deployed = await twoIssuersFixture();
      await deployed.registry.connect(deployed.keyA).anchor(tree.root);
      return deployed;
    }

    it("behavior: leafHash(d) == keccak256(keccak256(d)) == the StandardMerkleTree leaf", async function () {
      const { registry } = await loadFixture(anchoredTreeFixture);
      for (const [i, d] of digests.entries()) {
        const expected = ethers.keccak256(ethers.keccak256(d));
        expect(await registry.leafHash(d)).to.equal(expected);
        expect(tree.leafHash([d])).to.equal(expected);
        expect(tree.leafLookup([d])).to.equal(i);
      }
      expect(await registry.leafHash(ethers.ZeroHash)).to.equal(ethers.keccak256(ethers.keccak256(ethers.ZeroHash)));
    });

    it("behavior: verifyInclusion accepts the library's proofs and rejects wrong ones", async function () {
      const { registry } = await loadFixture(anchoredTreeFixture);
      for (const [i, d] of digests.entries()) {
        const proof = tree.getProof(i);
        expect(await registry.verifyInclusion(d, proof, tree.root)).to.equal(true);
        const other = tree.getProof((i + 1) % digests.length);
        expect(await registry.verifyInclusion(d, other, tree.root)).to.equal(false);
        expect(await registry.verifyInclusion(d, proof, root("other"))).to.equal(false);
      }
      expect(await registry.verifyInclusion(ethers.id("not-in-tree"), tree.getProof(0), tree.root)).to.equal(false);
      // an inner node is not accepted as a leaf: the leaf is double-hashed
      const leaf0 = tree.leafHash([digests[0]!]);
      expect(await registry.verifyInclusion(leaf0, tree.getProof(0), tree.root)).to.equal(false);
    });

    it("behavior: verifyCredential with a valid proof: included and valid", async function () {
      const { registry, keyA } = await loadFixture(anchoredTreeFixture);
      const [v, included] = await registry.verifyCredential(digests[2]!, tree.getProof(2), tree.root, 2);
      expect(included).to.equal(true);
      expect(v.valid).to.equal(true);
      expect(v.anchored).to.equal(true);
      expect(v.signer).to.equal(keyA.address);
      expect(verificationFields(v)).to.deep.equal(verificationFields(await registry.verify(tree.root, 2)));
    });

    it("behavior: verifyCredential with a wrong proof: not included and not valid", async function () {
      const { registry } = await loadFixture(anchoredTreeFixture);
      const [v, included] = await registry.verifyCredential(digests[2]!, tree.getProof(3), tree.root, 2);
      expect(included).to.equal(false);
      expect(v.valid).to.equal(false);
      expect(v.anchored).to.equal(true);
      expect(v.signerValidAtAnchoring).to.equal(true);
      const [, emptyProof] = await registry.verifyCredential(digests[2]!, [], tree.root, 2);
      expect(emptyProof).to.equal(false);
    });

    it("behavior: verifyCredential: included but not valid when revoked, or when the root is not anchored", async function () {
      const { registry, keyA } = await loadFixture(anchoredTreeFixture);
      await registry.connect(keyA).updateStatus(Action.Revoke, 2, 0);
      const [revoked, included] = await registry.verifyCredential(digests[2]!, tree.getProof(2), tree.root, 2);
      expect([included, revoked.revoked, revoked.valid]).to.deep.equal([true, true, false]);

      const small = StandardMerkleTree.of([[digests[0]!], [digests[1]!]], ["bytes32"]);
      const [unanchored, inSmall] = await registry.verifyCredential(digests[0]!, small.getProof(0), small.root, 0);
      expect([inSmall, unanchored.anchored, unanchored.valid]).to.deep.equal([true, false, false]);
    });
  });

  describe("multicall", function () {
    it("behavior: a verifier batches verify calls into one eth_call, equal to direct calls", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsFixture);
      await registry.connect(keyA).updateStatus(Action.Suspend, 1, 0);
      const queries: [string, number][] = [
        [root("A"), 0],
        [root("A"), 1],
        [root("B"), 1],
        [root("unknown"), 0],
      ];
      const calls = queries.map(([r, i]) => registry.interface.encodeFunctionData("verify", [r, i]));
      const results = await registry.multicall.staticCall(calls);
      expect(results).to.have.length(queries.length);
      for (const [k, [r, i]] of queries.entries()) {
        const [decoded] = registry.interface.decodeFunctionResult("verify", results[k]!);
        expect(verificationFields(decoded)).to.deep.equal(verificationFields(await registry.verify(r, i)));
      }
      const valid = results.map((data) => registry.interface.decodeFunctionResult("verify", data)[0].valid);
      expect(valid).to.deep.equal([true, false, true, false]);
    });

    it("behavior: an issuer batches updateStatus calls in one transaction; msg.sender is kept", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersFixture);
      const calls = [
        registry.interface.encodeFunctionData("updateStatus", [Action.Revoke, 1, 2]),
        registry.interface.encodeFunctionData("updateStatus", [Action.Suspend, 300, 0]),
        registry.interface.encodeFunctionData("anchor", [root(1)]),
      ];
      const tx = await registry.connect(keyA).multicall(calls);
      await expect(tx).to.emit(registry, "StatusesUpdated").withArgs(ISSUER_A, Action.Revoke, keyA.address, [1n], 2);
      await expect(tx).to.emit(registry, "StatusesUpdated").withArgs(ISSUER_A, Action.Suspend, keyA.address, [300n], 0);
      await expect(tx).to.emit(registry, "RootAnchored").withArgs(root(1), ISSUER_A, keyA.address);
      expect(await registry.getStatus(ISSUER_A, 1)).to.deep.equal([true, false]);
      expect(await registry.getStatus(ISSUER_A, 300)).to.deep.equal([false, true]);
      expect(await registry.getStatus(ISSUER_B, 1)).to.deep.equal([false, false]);
      expect((await registry.getAnchor(root(1))).signer).to.equal(keyA.address);
    });

    it("error: a failing call bubbles its custom error and reverts the whole batch", async function () {
      const { registry, keyA, outsider } = await loadFixture(twoIssuersFixture);
      const calls = [
        registry.interface.encodeFunctionData("updateStatus", [Action.Revoke, 1, 0]),
        registry.interface.encodeFunctionData("updateStatuses", [Action.Revoke, [], 0]),
      ];
      await expect(registry.connect(keyA).multicall(calls)).to.be.revertedWithCustomError(registry, "StatusBatchEmpty");
      expect(await registry.getStatus(ISSUER_A, 1)).to.deep.equal([false, false]);
      // msg.sender is the outsider, not the registry itself
      await expect(registry.connect(outsider).multicall(calls.slice(0, 1)))
        .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
        .withArgs(outsider.address);
    });
  });
});
