// CredentialRegistryV2: anchors per (issuer, root), root revocation, status bitmaps, verification views, multicall.
import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  ACCREDITOR_ROLE,
  Action,
  IDENTITY_A,
  ISSUER_A,
  ISSUER_B,
  MAX_UINT256,
  NAME_A,
  anchoredRootsV2Fixture,
  blockNumberOf,
  blockTimeOf,
  ethers,
  loadFixture,
  root,
  twoIssuersV2Fixture,
  verificationV2Fields,
} from "./fixtures-v2.ts";

/** Indices at and around 256-bit word boundaries, up to the largest status index. */
const BOUNDARY_INDICES = [0n, 1n, 255n, 256n, 257n, 511n, 512n, 2n ** 32n - 1n, 2n ** 32n, MAX_UINT256 - 1n, MAX_UINT256];

describe("contracts/v2/CredentialRegistryV2.sol", function () {
  describe("constants", function () {
    it("behavior: version() is 2.0.0 and ACCREDITOR_ROLE is keccak256('ACCREDITOR_ROLE')", async function () {
      const { registry } = await loadFixture(twoIssuersV2Fixture);
      expect(await registry.version()).to.equal("2.0.0");
      expect(await registry.ACCREDITOR_ROLE()).to.equal(ACCREDITOR_ROLE);
    });
  });

  describe("anchor", function () {
    it("event: RootAnchored(root, issuerId, signer); getAnchor(issuerId, root) records signer, time and block", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      const tx = await registry.connect(keyA).anchor(root(1));
      await expect(tx).to.emit(registry, "RootAnchored").withArgs(root(1), ISSUER_A, keyA.address);
      const anchor = await registry.getAnchor(ISSUER_A, root(1));
      expect(anchor.signer).to.equal(keyA.address);
      expect(anchor.anchoredAt).to.equal(await blockTimeOf(tx));
      expect(anchor.blockNumber).to.equal(await blockNumberOf(tx));
      expect(anchor.revoked).to.equal(false);
      expect((await registry.getAnchor(ISSUER_B, root(1))).signer).to.equal(ethers.ZeroAddress);
    });

    it("error: the cold admin key cannot anchor (SignerKeyUnauthorized)", async function () {
      const { registry, adminA } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(adminA).anchor(root(1)))
        .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
        .withArgs(adminA.address);
    });

    it("error: AnchorInvalidRoot for the zero root", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(keyA).anchor(ethers.ZeroHash)).to.be.revertedWithCustomError(registry, "AnchorInvalidRoot");
    });

    it("error: AnchorRootAlreadyAnchored(root, issuerId) for the same issuer, also after revocation", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsV2Fixture);
      await expect(registry.connect(keyA).anchor(root("A")))
        .to.be.revertedWithCustomError(registry, "AnchorRootAlreadyAnchored")
        .withArgs(root("A"), ISSUER_A);
      await registry.connect(keyA).revokeRoot(root("A"), 1);
      await expect(registry.connect(keyA).anchor(root("A"))).to.be.revertedWithCustomError(registry, "AnchorRootAlreadyAnchored");
    });

    it("error: SignerKeyUnauthorized for accounts that are not signer keys (outsider, accreditor)", async function () {
      const { registry, outsider, governance } = await loadFixture(twoIssuersV2Fixture);
      for (const account of [outsider, governance]) {
        await expect(registry.connect(account).anchor(root(1)))
          .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
          .withArgs(account.address);
      }
    });
  });

  describe("anchorMany", function () {
    it("behavior: records every root in one transaction, one RootAnchored each", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      const roots = [root(1), root(2), root(3)];
      const tx = await registry.connect(keyA).anchorMany(roots);
      for (const r of roots) {
        await expect(tx).to.emit(registry, "RootAnchored").withArgs(r, ISSUER_A, keyA.address);
        expect((await registry.getAnchor(ISSUER_A, r)).signer).to.equal(keyA.address);
      }
    });

    it("error: one duplicate inside the batch reverts the whole transaction", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(keyA).anchorMany([root(1), root(2), root(1)]))
        .to.be.revertedWithCustomError(registry, "AnchorRootAlreadyAnchored")
        .withArgs(root(1), ISSUER_A);
      expect((await registry.getAnchor(ISSUER_A, root(2))).signer).to.equal(ethers.ZeroAddress);
    });

    it("error: AnchorBatchEmpty; AnchorInvalidRoot for a zero root inside the batch", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(keyA).anchorMany([])).to.be.revertedWithCustomError(registry, "AnchorBatchEmpty");
      await expect(registry.connect(keyA).anchorMany([root(1), ethers.ZeroHash])).to.be.revertedWithCustomError(
        registry,
        "AnchorInvalidRoot",
      );
    });
  });

  describe("revokeRoot / undoRootRevocation", function () {
    it("event: RootRevoked(root, issuerId, signer, reason); getAnchor and verify show it", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsV2Fixture);
      await expect(registry.connect(keyA).revokeRoot(root("A"), 7))
        .to.emit(registry, "RootRevoked")
        .withArgs(root("A"), ISSUER_A, keyA.address, 7);
      expect((await registry.getAnchor(ISSUER_A, root("A"))).revoked).to.equal(true);
      const v = await registry.verify(ISSUER_A, root("A"), 0);
      expect([v.rootRevoked, v.valid]).to.deep.equal([true, false]);
    });

    it("error: AnchorRootNotAnchored(root, callerIssuer) for another issuer's root: it is not in the caller's space", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsV2Fixture);
      await expect(registry.connect(keyA).revokeRoot(root("B"), 1))
        .to.be.revertedWithCustomError(registry, "AnchorRootNotAnchored")
        .withArgs(root("B"), ISSUER_A);
      expect((await registry.verify(ISSUER_B, root("B"), 0)).valid).to.equal(true);
    });

    it("error: AnchorRootAlreadyRevoked the second time", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsV2Fixture);
      await registry.connect(keyA).revokeRoot(root("A"), 1);
      await expect(registry.connect(keyA).revokeRoot(root("A"), 1))
        .to.be.revertedWithCustomError(registry, "AnchorRootAlreadyRevoked")
        .withArgs(root("A"));
    });

    it("behavior: the admin undoes a root revocation (RootRevocationUndone); the root verifies valid again", async function () {
      const { registry, adminA, keyA } = await loadFixture(anchoredRootsV2Fixture);
      await registry.connect(keyA).revokeRoot(root("A"), 1);
      await expect(registry.connect(adminA).undoRootRevocation(root("A")))
        .to.emit(registry, "RootRevocationUndone")
        .withArgs(root("A"), ISSUER_A, adminA.address);
      expect((await registry.verify(ISSUER_A, root("A"), 0)).valid).to.equal(true);
    });

    it("error: undoRootRevocation: AnchorRootNotRevoked; signer keys and other admins are refused", async function () {
      const { registry, adminA, adminB, keyA } = await loadFixture(anchoredRootsV2Fixture);
      await expect(registry.connect(adminA).undoRootRevocation(root("A")))
        .to.be.revertedWithCustomError(registry, "AnchorRootNotRevoked")
        .withArgs(root("A"));
      await registry.connect(keyA).revokeRoot(root("A"), 1);
      await expect(registry.connect(keyA).undoRootRevocation(root("A")))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(keyA.address, ISSUER_A);
      await expect(registry.connect(adminB).undoRootRevocation(root("A")))
        .to.be.revertedWithCustomError(registry, "AnchorRootNotAnchored")
        .withArgs(root("A"), ISSUER_B);
    });
  });

  describe("status bitmaps", function () {
    it("behavior: Revoke sets the revocation bit, Suspend the suspension bit, Reinstate clears only the suspension", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(keyA).updateStatus(Action.Suspend, 5, 0))
        .to.emit(registry, "StatusesUpdated")
        .withArgs(ISSUER_A, Action.Suspend, keyA.address, [5n], 0);
      expect(await registry.getStatus(ISSUER_A, 5)).to.deep.equal([false, true]);
      await registry.connect(keyA).updateStatus(Action.Revoke, 5, 3);
      await registry.connect(keyA).updateStatus(Action.Reinstate, 5, 0);
      expect(await registry.getStatus(ISSUER_A, 5)).to.deep.equal([true, false]);
      expect(await registry.getStatus(ISSUER_B, 5)).to.deep.equal([false, false]);
    });

    it("behavior: indices at word boundaries map to word i >> 8, bit i & 255", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      await registry.connect(keyA).updateStatuses(Action.Revoke, BOUNDARY_INDICES, 0);
      for (const index of BOUNDARY_INDICES) {
        const [words] = await registry.getStatusWords(ISSUER_A, index >> 8n, 1);
        expect((words[0]! >> (index & 255n)) & 1n).to.equal(1n);
        expect((await registry.getStatus(ISSUER_A, index))[0]).to.equal(true);
      }
      expect((await registry.getStatus(ISSUER_A, 2n))[0]).to.equal(false);
    });

    it("event: StatusWordsUpdated; sets and clears exactly the masked bits of each word", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(keyA).updateStatusWords(Action.Suspend, [0, 9], [0b1011n, 1n << 200n], 4))
        .to.emit(registry, "StatusWordsUpdated")
        .withArgs(ISSUER_A, Action.Suspend, keyA.address, [0n, 9n], [0b1011n, 1n << 200n], 4);
      await registry.connect(keyA).updateStatusWords(Action.Reinstate, [0], [0b0010n], 0);
      const [, suspended] = await registry.getStatusWords(ISSUER_A, 0, 10);
      expect(suspended[0]).to.equal(0b1001n);
      expect(suspended[9]).to.equal(1n << 200n);
    });

    it("error: StatusBatchEmpty, StatusWordsLengthMismatch, StatusWordIndexOutOfRange", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(keyA).updateStatuses(Action.Revoke, [], 0)).to.be.revertedWithCustomError(registry, "StatusBatchEmpty");
      await expect(registry.connect(keyA).updateStatusWords(Action.Revoke, [], [], 0)).to.be.revertedWithCustomError(
        registry,
        "StatusBatchEmpty",
      );
      await expect(registry.connect(keyA).updateStatusWords(Action.Revoke, [1, 2], [1], 0))
        .to.be.revertedWithCustomError(registry, "StatusWordsLengthMismatch")
        .withArgs(2, 1);
      await expect(registry.connect(keyA).updateStatusWords(Action.Revoke, [2n ** 248n], [1], 0))
        .to.be.revertedWithCustomError(registry, "StatusWordIndexOutOfRange")
        .withArgs(2n ** 248n);
      await expect(registry.connect(keyA).updateStatusWords(Action.Revoke, [2n ** 248n - 1n], [1n << 255n], 0)).to.emit(
        registry,
        "StatusWordsUpdated",
      );
      expect((await registry.getStatus(ISSUER_A, MAX_UINT256))[0]).to.equal(true);
    });

    it("error: the admin key cannot change statuses (it is not a signer key)", async function () {
      const { registry, adminA } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(adminA).updateStatus(Action.Revoke, 1, 0))
        .to.be.revertedWithCustomError(registry, "SignerKeyUnauthorized")
        .withArgs(adminA.address);
    });
  });

  describe("undoStatusWords", function () {
    it("event: StatusWordsUndone; clears only the masked revocation or suspension bits", async function () {
      const { registry, adminA, keyA } = await loadFixture(twoIssuersV2Fixture);
      await registry.connect(keyA).updateStatusWords(Action.Revoke, [0], [0b1111n], 0);
      await registry.connect(keyA).updateStatusWords(Action.Suspend, [0], [0b1111n], 0);
      await expect(registry.connect(adminA).undoStatusWords(Action.Revoke, [0], [0b0110n], 9))
        .to.emit(registry, "StatusWordsUndone")
        .withArgs(ISSUER_A, Action.Revoke, adminA.address, [0n], [0b0110n], 9);
      const [revoked, suspended] = await registry.getStatusWords(ISSUER_A, 0, 1);
      expect(revoked[0]).to.equal(0b1001n);
      expect(suspended[0]).to.equal(0b1111n);
      await registry.connect(adminA).undoStatusWords(Action.Suspend, [0], [0b0001n], 0);
      expect((await registry.getStatusWords(ISSUER_A, 0, 1))[1][0]).to.equal(0b1110n);
    });

    it("error: StatusUndoInvalidAction for Reinstate; IssuerUnauthorizedAdmin for signer keys and outsiders", async function () {
      const { registry, adminA, keyA, outsider } = await loadFixture(twoIssuersV2Fixture);
      await expect(registry.connect(adminA).undoStatusWords(Action.Reinstate, [0], [1], 0))
        .to.be.revertedWithCustomError(registry, "StatusUndoInvalidAction")
        .withArgs(Action.Reinstate);
      for (const account of [keyA, outsider]) {
        await expect(registry.connect(account).undoStatusWords(Action.Revoke, [0], [1], 0)).to.be.revertedWithCustomError(
          registry,
          "IssuerUnauthorizedAdmin",
        );
      }
    });

    it("behavior: an admin undoes only its own issuer's bits", async function () {
      const { registry, adminB, keyA } = await loadFixture(twoIssuersV2Fixture);
      await registry.connect(keyA).updateStatus(Action.Revoke, 3, 0);
      await registry.connect(adminB).undoStatusWords(Action.Revoke, [0], [MAX_UINT256], 0);
      expect((await registry.getStatus(ISSUER_A, 3))[0]).to.equal(true);
    });
  });

  describe("verify", function () {
    it("behavior: an unknown (issuer, root) is all false / zero, the issuer id echoed", async function () {
      const { registry } = await loadFixture(anchoredRootsV2Fixture);
      const v = await registry.verify(ISSUER_B, root("A"), 0);
      expect([v.anchored, v.valid, v.issuerId, v.signer, v.issuerIdentity, v.issuerName]).to.deep.equal([
        false,
        false,
        ISSUER_B,
        ethers.ZeroAddress,
        "",
        "",
      ]);
    });

    it("behavior: a freshly anchored root reports every field, the accreditor-set identity and name, valid = true", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      const tx = await registry.connect(keyA).anchor(root(1));
      const v = await registry.verify(ISSUER_A, root(1), 42);
      expect(verificationV2Fields(v)).to.deep.equal({
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
        issuerIdentity: IDENTITY_A,
        issuerName: NAME_A,
      });
    });

    it("behavior: revoked and suspended indices are not valid; reinstated is valid again", async function () {
      const { registry, keyA } = await loadFixture(anchoredRootsV2Fixture);
      await registry.connect(keyA).updateStatus(Action.Revoke, 1, 0);
      await registry.connect(keyA).updateStatus(Action.Suspend, 2, 0);
      expect((await registry.verify(ISSUER_A, root("A"), 1)).valid).to.equal(false);
      expect((await registry.verify(ISSUER_A, root("A"), 2)).valid).to.equal(false);
      await registry.connect(keyA).updateStatus(Action.Reinstate, 2, 0);
      expect((await registry.verify(ISSUER_A, root("A"), 2)).valid).to.equal(true);
    });
  });

  describe("leafHash / verifyInclusion / verifyCredential", function () {
    const digests = [1, 2, 3, 4, 5].map((i) => ethers.id(`digest-${i}`));
    const tree = StandardMerkleTree.of(
      digests.map((d) => [d]),
      ["bytes32"],
    );

    it("behavior: leafHash matches the StandardMerkleTree leaf; verifyCredential includes and validates", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      expect(await registry.leafHash(digests[0]!)).to.equal(tree.leafHash([digests[0]!]));
      await registry.connect(keyA).anchor(tree.root);
      const [v, included] = await registry.verifyCredential(digests[2]!, tree.getProof(2), ISSUER_A, tree.root, 7);
      expect([v.valid, included]).to.deep.equal([true, true]);
      const [wrong, wrongIncluded] = await registry.verifyCredential(digests[2]!, tree.getProof(1), ISSUER_A, tree.root, 7);
      expect([wrong.valid, wrongIncluded]).to.deep.equal([false, false]);
      const [otherIssuer, stillIncluded] = await registry.verifyCredential(digests[2]!, tree.getProof(2), ISSUER_B, tree.root, 7);
      expect([otherIssuer.anchored, otherIssuer.valid, stillIncluded]).to.deep.equal([false, false, true]);
    });
  });

  describe("multicall", function () {
    it("behavior: a verifier batches verify calls into one eth_call, equal to direct calls", async function () {
      const { registry } = await loadFixture(anchoredRootsV2Fixture);
      const queries: [bigint, string, number][] = [
        [ISSUER_A, root("A"), 0],
        [ISSUER_B, root("B"), 1],
        [ISSUER_A, root("B"), 2],
      ];
      const calls = queries.map((q) => registry.interface.encodeFunctionData("verify", q));
      const results = await registry.multicall.staticCall(calls);
      for (const [i, q] of queries.entries()) {
        const [decoded] = registry.interface.decodeFunctionResult("verify", results[i]!);
        expect(verificationV2Fields(decoded)).to.deep.equal(verificationV2Fields(await registry.verify(...q)));
      }
    });

    it("error: a failing call bubbles its custom error and reverts the whole batch", async function () {
      const { registry, keyA } = await loadFixture(twoIssuersV2Fixture);
      const calls = [
        registry.interface.encodeFunctionData("anchor", [root(1)]),
        registry.interface.encodeFunctionData("anchor", [root(1)]),
      ];
      await expect(registry.connect(keyA).multicall(calls)).to.be.revertedWithCustomError(registry, "AnchorRootAlreadyAnchored");
      expect((await registry.getAnchor(ISSUER_A, root(1))).signer).to.equal(ethers.ZeroAddress);
    });
  });
});
