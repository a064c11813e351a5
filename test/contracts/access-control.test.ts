// Who may do what: governance roles, accreditor-only functions, and isolation between issuers.
import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  ACCREDITOR_ROLE,
  Action,
  DEFAULT_ADMIN_ROLE,
  ISSUER_A,
  ISSUER_B,
  METADATA_A,
  METADATA_B,
  anchoredRootsFixture,
  deployRegistryFixture,
  ethers,
  loadFixture,
  root,
  time,
  twoIssuersFixture,
  type ActionValue,
  type Registry,
} from "./fixtures.ts";

type Fixture = Awaited<ReturnType<typeof anchoredRootsFixture>>;

/** Both issuers' roots anchored, and issuer B's statuses pre-set so that A's calls could visibly clear them. */
async function isolationFixture() {
  const deployed = await anchoredRootsFixture();
  const { registry, keyB } = deployed;
  await registry.connect(keyB).updateStatuses(Action.Revoke, [1, 300], 0);
  await registry.connect(keyB).updateStatuses(Action.Suspend, [1, 2, 300, 301], 0);
  return deployed;
}

/** Everything about issuer `id` that another issuer must not be able to change. */
async function issuerState(registry: Registry, id: bigint, keys: string[], roots: string[]) {
  const [issuer, metadataURI] = await registry.getIssuer(id);
  const words = await registry.getStatusWords(id, 0, 2);
  const keyRecords = await Promise.all(keys.map(async (k) => [...(await registry.getSignerKey(k))]));
  const anchors = await Promise.all(roots.map(async (r) => [...(await registry.getAnchor(r))]));
  return { issuer: [...issuer], metadataURI, words: [[...words[0]], [...words[1]]], keyRecords, anchors };
}

describe("access control (contracts/CredentialRegistry.sol)", function () {
  describe("governance roles (OpenZeppelin AccessControl)", function () {
    it("behavior: governance holds DEFAULT_ADMIN_ROLE and ACCREDITOR_ROLE, the deployer nothing", async function () {
      const { governance, outsider } = await loadFixture(deployRegistryFixture);
      const registry = await ethers.deployContract("CredentialRegistry", [governance.address], outsider);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, governance.address)).to.equal(true);
      expect(await registry.hasRole(ACCREDITOR_ROLE, governance.address)).to.equal(true);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, outsider.address)).to.equal(false);
      expect(await registry.hasRole(ACCREDITOR_ROLE, outsider.address)).to.equal(false);
      expect(await registry.getRoleAdmin(ACCREDITOR_ROLE)).to.equal(DEFAULT_ADMIN_ROLE);
      await expect(registry.connect(outsider).registerIssuer(outsider.address, METADATA_A, 0, 0))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, ACCREDITOR_ROLE);
    });

    it("event: RoleGranted for both roles at deployment, with the deployer as sender", async function () {
      const { governance, outsider } = await loadFixture(deployRegistryFixture);
      const registry = await ethers.deployContract("CredentialRegistry", [governance.address], outsider);
      const tx = registry.deploymentTransaction();
      if (tx === null) throw new Error("no deployment transaction");
      await expect(tx)
        .to.emit(registry, "RoleGranted")
        .withArgs(DEFAULT_ADMIN_ROLE, governance.address, outsider.address);
      await expect(tx).to.emit(registry, "RoleGranted").withArgs(ACCREDITOR_ROLE, governance.address, outsider.address);
    });

    it("behavior: supportsInterface reports ERC-165 and IAccessControl only", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      expect(await registry.supportsInterface("0x01ffc9a7")).to.equal(true); // ERC-165
      expect(await registry.supportsInterface("0x7965db0b")).to.equal(true); // IAccessControl
      expect(await registry.supportsInterface("0xffffffff")).to.equal(false);
    });

    it("behavior: a granted accreditor can do accreditor work; after revocation it cannot", async function () {
      const { registry, governance, keyA, spares } = await loadFixture(twoIssuersFixture);
      const [accreditor, newAdmin] = spares;
      await expect(registry.grantRole(ACCREDITOR_ROLE, accreditor.address))
        .to.emit(registry, "RoleGranted")
        .withArgs(ACCREDITOR_ROLE, accreditor.address, governance.address);
      const asAccreditor = registry.connect(accreditor);
      await asAccreditor.registerIssuer(spares[2].address, "did:web:c.example", 0, 0);
      await asAccreditor.setIssuerValidity(ISSUER_A, 1, 0);
      await asAccreditor.setIssuerMetadata(ISSUER_B, "did:web:b2.example");
      await asAccreditor.setIssuerAdmin(ISSUER_A, newAdmin.address);
      await asAccreditor.markSignerKeyCompromised(keyA.address, 0);
      await asAccreditor.retireSignerKey(keyA.address);
      expect(await registry.issuerCount()).to.equal(3n);

      await expect(registry.revokeRole(ACCREDITOR_ROLE, accreditor.address))
        .to.emit(registry, "RoleRevoked")
        .withArgs(ACCREDITOR_ROLE, accreditor.address, governance.address);
      await expect(asAccreditor.registerIssuer(ethers.Wallet.createRandom().address, "x", 0, 0))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(accreditor.address, ACCREDITOR_ROLE);
      await expect(asAccreditor.setIssuerMetadata(ISSUER_B, "x"))
        .to.be.revertedWithCustomError(registry, "IssuerUnauthorizedAdmin")
        .withArgs(accreditor.address, ISSUER_B);
    });

    it("error: AccessControlUnauthorizedAccount(account, DEFAULT_ADMIN_ROLE) for role changes by non-admins", async function () {
      const { registry, governance, adminA, spares } = await loadFixture(twoIssuersFixture);
      const [accreditor] = spares;
      await registry.grantRole(ACCREDITOR_ROLE, accreditor.address);
      for (const account of [accreditor, adminA]) {
        await expect(registry.connect(account).grantRole(ACCREDITOR_ROLE, account.address))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, DEFAULT_ADMIN_ROLE);
        await expect(registry.connect(account).revokeRole(ACCREDITOR_ROLE, governance.address))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(account.address, DEFAULT_ADMIN_ROLE);
      }
      expect(await registry.hasRole(ACCREDITOR_ROLE, adminA.address)).to.equal(false);
    });

    it("behavior: governance can renounce ACCREDITOR_ROLE; renouncing for another account is refused", async function () {
      const { registry, governance, adminA, outsider } = await loadFixture(twoIssuersFixture);
      await expect(registry.connect(outsider).renounceRole(ACCREDITOR_ROLE, governance.address))
        .to.be.revertedWithCustomError(registry, "AccessControlBadConfirmation");
      await expect(registry.renounceRole(ACCREDITOR_ROLE, governance.address))
        .to.emit(registry, "RoleRevoked")
        .withArgs(ACCREDITOR_ROLE, governance.address, governance.address);
      await expect(registry.setIssuerValidity(ISSUER_A, 1, 0))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(governance.address, ACCREDITOR_ROLE);
      // the issuer keeps managing itself
      await registry.connect(adminA).setIssuerMetadata(ISSUER_A, "did:web:a2.example");
    });
  });

  describe("accreditor-only functions", function () {
    const calls: [string, (r: Registry, f: Fixture) => Promise<unknown>][] = [
      ["registerIssuer", (r, f) => r.registerIssuer(f.spares[0].address, "did:web:x.example", 0, 0)],
      ["setIssuerValidity", (r) => r.setIssuerValidity(ISSUER_A, 1, 0)],
      ["setIssuerValidity (0/0 window)", (r) => r.setIssuerValidity(ISSUER_A, 0, 0)],
      ["setIssuerAdmin", (r, f) => r.setIssuerAdmin(ISSUER_A, f.spares[0].address)],
      ["setIssuerAdmin (other issuer)", (r, f) => r.setIssuerAdmin(ISSUER_B, f.spares[0].address)],
    ];
    const actors = ["adminA", "keyA", "adminB", "outsider"] as const;
    for (const [name, call] of calls) {
      for (const actor of actors) {
        it(`error: AccessControlUnauthorizedAccount(${actor}, ACCREDITOR_ROLE) for ${name}`, async function () {
          const fixture = await loadFixture(anchoredRootsFixture);
          const signer = fixture[actor];
          const stateBefore = await issuerState(fixture.registry, ISSUER_A, [fixture.adminA.address], []);
          await expect(call(fixture.registry.connect(signer), fixture))
            .to.be.revertedWithCustomError(fixture.registry, "AccessControlUnauthorizedAccount")
            .withArgs(signer.address, ACCREDITOR_ROLE);
          expect(await issuerState(fixture.registry, ISSUER_A, [fixture.adminA.address], [])).to.deep.equal(stateBefore);
          expect(await fixture.registry.issuerCount()).to.equal(2n);
        });
      }
    }
  });

  describe("issuer isolation: A's admin and keys can never act for B (and vice versa)", function () {
    type Side = { id: bigint; admin: string; key: string; root: string; metadata: string };
    const sides = (f: Fixture): Record<"A" | "B", Side> => ({
      A: { id: ISSUER_A, admin: f.adminA.address, key: f.keyA.address, root: root("A"), metadata: METADATA_A },
      B: { id: ISSUER_B, admin: f.adminB.address, key: f.keyB.address, root: root("B"), metadata: METADATA_B },
    });
    /** [name, call, expected error name, expected args] for an actor of `own` targeting `other`. */
    type Case = [
      string,
      (r: Registry, other: Side, t: bigint) => Promise<unknown>,
      string,
      (actor: string, own: Side, other: Side, isAdmin: boolean) => unknown[],
    ];
    const cases: Case[] = [
      [
        "revokeRoot of the other's root",
        (r, o) => r.revokeRoot(o.root, 0),
        "AnchorIssuerMismatch",
        (_a, own, o) => [o.root, o.id, own.id],
      ],
      [
        "retireSignerKey of the other's key",
        (r, o) => r.retireSignerKey(o.key),
        "IssuerUnauthorizedAdmin",
        (a, _own, o) => [a, o.id],
      ],
      [
        "retireSignerKey of the other's admin",
        (r, o) => r.retireSignerKey(o.admin),
        "IssuerUnauthorizedAdmin",
        (a, _own, o) => [a, o.id],
      ],
      [
        "markSignerKeyCompromised of the other's key",
        (r, o, t) => r.markSignerKeyCompromised(o.key, t),
        "IssuerUnauthorizedAdmin",
        (a, _own, o) => [a, o.id],
      ],
      [
        "markSignerKeyCompromised of the other's admin",
        (r, o, t) => r.markSignerKeyCompromised(o.admin, t),
        "IssuerUnauthorizedAdmin",
        (a, _own, o) => [a, o.id],
      ],
      [
        "setIssuerMetadata of the other issuer",
        (r, o) => r.setIssuerMetadata(o.id, "did:web:evil.example"),
        "IssuerUnauthorizedAdmin",
        (a, _own, o) => [a, o.id],
      ],
      [
        "addSignerKey of the other's key (steal it)",
        (r, o) => r.addSignerKey(o.key),
        "",
        (a, own, o, isAdmin) => (isAdmin ? [o.key, o.id] : [a, own.id]),
      ],
      [
        "addSignerKey of the other's admin (steal it)",
        (r, o) => r.addSignerKey(o.admin),
        "",
        (a, own, o, isAdmin) => (isAdmin ? [o.admin, o.id] : [a, own.id]),
      ],
    ];
    for (const [ownName, otherName] of [
      ["A", "B"],
      ["B", "A"],
    ] as const) {
      for (const role of ["admin", "key"] as const) {
        for (const [name, call, errorName, args] of cases) {
          it(`error: ${role} of ${ownName} cannot ${name.replace("the other issuer", `issuer ${otherName}`).replace("the other's", `${otherName}'s`)}`, async function () {
            const f = await loadFixture(isolationFixture);
            const own = sides(f)[ownName];
            const other = sides(f)[otherName];
            const actor = f[`${role}${ownName}`];
            const isAdmin = role === "admin";
            const error = errorName !== "" ? errorName : isAdmin ? "SignerKeyAlreadyRegistered" : "IssuerUnauthorizedAdmin";
            const keys = [other.admin, other.key];
            const before = await issuerState(f.registry, other.id, keys, [other.root]);
            const t = BigInt(await time.latest()) - 1n;
            await expect(call(f.registry.connect(actor), other, t))
              .to.be.revertedWithCustomError(f.registry, error)
              .withArgs(...args(actor.address, own, other, isAdmin));
            expect(await issuerState(f.registry, other.id, keys, [other.root])).to.deep.equal(before);
          });
        }
      }
    }

    const WORDS = [0n, 1n];
    const MASKS = [0b110n, 0b11n << 44n]; // indices 1, 2, 300, 301
    const indicesFor = (action: ActionValue) => (action === Action.Reinstate ? [2n, 301n] : [1n, 300n]);
    /** [function, call, event name, event args after the signer, indices of A it touches]. */
    const statusCalls: [string, (r: Registry, action: ActionValue) => Promise<unknown>, string, (action: ActionValue) => unknown[], (action: ActionValue) => bigint[]][] = [
      [
        "updateStatus",
        (r, action) => r.updateStatus(action, indicesFor(action)[0]!, 0),
        "StatusesUpdated",
        (action) => [[indicesFor(action)[0]!], 0],
        (action) => [indicesFor(action)[0]!],
      ],
      [
        "updateStatuses",
        (r, action) => r.updateStatuses(action, indicesFor(action), 0),
        "StatusesUpdated",
        (action) => [indicesFor(action), 0],
        (action) => indicesFor(action),
      ],
      [
        "updateStatusWords",
        (r, action) => r.updateStatusWords(action, WORDS, MASKS, 0),
        "StatusWordsUpdated",
        () => [WORDS, MASKS, 0],
        () => [1n, 2n, 300n, 301n],
      ],
    ];
    const actions: [string, ActionValue][] = [
      ["Revoke", Action.Revoke],
      ["Suspend", Action.Suspend],
      ["Reinstate", Action.Reinstate],
    ];
    for (const role of ["adminA", "keyA"] as const) {
      for (const [fn, call, eventName, eventArgs, touched] of statusCalls) {
        for (const [actionName, action] of actions) {
          it(`behavior: ${role} ${fn}(${actionName}) changes A's bitmaps only, never B's`, async function () {
            const f = await loadFixture(isolationFixture);
            const actor = f[role];
            const keysB = [f.adminB.address, f.keyB.address];
            const before = await issuerState(f.registry, ISSUER_B, keysB, [root("B")]);
            const statusB = await Promise.all(touched(action).map((i) => f.registry.getStatus(ISSUER_B, i)));
            // A's suspension bits are set first, so that a Reinstate visibly changes A
            if (action === Action.Reinstate) {
              await f.registry.connect(f.keyA).updateStatusWords(Action.Suspend, WORDS, MASKS, 0);
            }
            await expect(call(f.registry.connect(actor), action))
              .to.emit(f.registry, eventName)
              .withArgs(ISSUER_A, action, actor.address, ...eventArgs(action));
            expect(await issuerState(f.registry, ISSUER_B, keysB, [root("B")])).to.deep.equal(before);
            expect(await Promise.all(touched(action).map((i) => f.registry.getStatus(ISSUER_B, i)))).to.deep.equal(statusB);
            for (const i of touched(action)) {
              const [revoked, suspended] = await f.registry.getStatus(ISSUER_A, i);
              expect(revoked).to.equal(action === Action.Revoke);
              expect(suspended).to.equal(action === Action.Suspend);
            }
          });
        }
      }
    }

    it("behavior: A's keys anchor only for A: the root's issuer is derived from the signer", async function () {
      const f = await loadFixture(twoIssuersFixture);
      for (const [signer, label] of [
        [f.adminA, "a1"],
        [f.keyA, "a2"],
      ] as const) {
        await expect(f.registry.connect(signer).anchor(root(label)))
          .to.emit(f.registry, "RootAnchored")
          .withArgs(root(label), ISSUER_A, signer.address);
        expect((await f.registry.verify(root(label), 0)).issuerId).to.equal(ISSUER_A);
      }
      await f.registry.connect(f.keyA).anchorMany([root("a3"), root("a4")]);
      expect((await f.registry.verify(root("a4"), 0)).issuerId).to.equal(ISSUER_A);
    });

    it("behavior: A's keys cannot anchor while A is not accredited, even though B is", async function () {
      const f = await loadFixture(twoIssuersFixture);
      const now = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(now);
      await f.registry.setIssuerValidity(ISSUER_A, 1, now);
      await expect(f.registry.connect(f.keyA).anchor(root(1)))
        .to.be.revertedWithCustomError(f.registry, "IssuerNotAccredited")
        .withArgs(ISSUER_A, (at: bigint) => at > now);
      await f.registry.connect(f.keyB).anchor(root(2));
    });

    it("error: a key of one issuer can never be registered for another (even once retired or compromised)", async function () {
      const f = await loadFixture(twoIssuersFixture);
      await f.registry.connect(f.adminA).markSignerKeyCompromised(f.keyA.address, 0);
      await f.registry.connect(f.adminA).retireSignerKey(f.keyA.address);
      const r = f.registry;
      for (const attempt of [
        r.connect(f.adminB).addSignerKey(f.keyA.address),
        r.registerIssuer(f.keyA.address, "did:web:c.example", 0, 0),
        r.setIssuerAdmin(ISSUER_B, f.keyA.address),
      ]) {
        await expect(attempt)
          .to.be.revertedWithCustomError(r, "SignerKeyAlreadyRegistered")
          .withArgs(f.keyA.address, ISSUER_A);
      }
      expect((await r.getSignerKey(f.keyA.address)).issuerId).to.equal(ISSUER_A);
    });
  });

  describe("accounts without a key", function () {
    const signerCalls: [string, (r: Registry) => Promise<unknown>][] = [
      ["anchor", (r) => r.anchor(root("x"))],
      ["anchorMany", (r) => r.anchorMany([root("x")])],
      ["revokeRoot", (r) => r.revokeRoot(root("A"), 0)],
      ["updateStatus", (r) => r.updateStatus(Action.Revoke, 1, 0)],
      ["updateStatuses", (r) => r.updateStatuses(Action.Suspend, [1], 0)],
      ["updateStatusWords", (r) => r.updateStatusWords(Action.Reinstate, [0], [1n], 0)],
    ];
    for (const actor of ["outsider", "governance"] as const) {
      for (const [name, call] of signerCalls) {
        it(`error: SignerKeyUnauthorized(${actor}) for ${name}`, async function () {
          const f = await loadFixture(anchoredRootsFixture);
          const signer: HardhatEthersSigner = f[actor];
          await expect(call(f.registry.connect(signer)))
            .to.be.revertedWithCustomError(f.registry, "SignerKeyUnauthorized")
            .withArgs(signer.address);
        });
      }
    }

    it("error: IssuerUnauthorizedAdmin for key management and metadata by an outsider", async function () {
      const f = await loadFixture(twoIssuersFixture);
      const r = f.registry.connect(f.outsider);
      const who = f.outsider.address;
      await expect(r.addSignerKey(f.spares[0].address))
        .to.be.revertedWithCustomError(r, "IssuerUnauthorizedAdmin")
        .withArgs(who, 0n);
      await expect(r.retireSignerKey(f.keyA.address))
        .to.be.revertedWithCustomError(r, "IssuerUnauthorizedAdmin")
        .withArgs(who, ISSUER_A);
      await expect(r.markSignerKeyCompromised(f.keyB.address, 0))
        .to.be.revertedWithCustomError(r, "IssuerUnauthorizedAdmin")
        .withArgs(who, ISSUER_B);
      await expect(r.setIssuerMetadata(ISSUER_A, "x"))
        .to.be.revertedWithCustomError(r, "IssuerUnauthorizedAdmin")
        .withArgs(who, ISSUER_A);
    });
  });

  describe("non-admin keys of the issuer", function () {
    it("error: IssuerUnauthorizedAdmin(key, ownIssuer): a plain key cannot manage keys nor mark itself compromised", async function () {
      const f = await loadFixture(twoIssuersFixture);
      const r = f.registry.connect(f.keyA);
      const who = f.keyA.address;
      const now = BigInt(await time.latest());
      for (const attempt of [
        r.addSignerKey(f.spares[0].address),
        r.retireSignerKey(f.adminA.address),
        r.markSignerKeyCompromised(f.adminA.address, now),
        // A thief holding the key must not be able to void the issuer's past credentials.
        r.markSignerKeyCompromised(f.keyA.address, now),
        r.setIssuerMetadata(ISSUER_A, "x"),
      ]) {
        await expect(attempt).to.be.revertedWithCustomError(r, "IssuerUnauthorizedAdmin").withArgs(who, ISSUER_A);
      }
    });

    it("behavior: a key can retire itself (it only gives up power) and then can act no more", async function () {
      const f = await loadFixture(twoIssuersFixture);
      const r = f.registry.connect(f.keyA);
      const tx = await r.retireSignerKey(f.keyA.address);
      await expect(tx).to.emit(f.registry, "SignerKeyRetired");
      await expect(r.updateStatus(0, 1, 0)).to.be.revertedWithCustomError(r, "SignerKeyUnauthorized").withArgs(f.keyA.address);
    });
  });
});
