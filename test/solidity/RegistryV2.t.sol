// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// Fuzz tests of CredentialRegistryV2's properties: anchors per issuer, the admin's undo clears
// exactly its mask, key validity windows, and that only a current admin holds admin powers.
// Run by `npm test` (Hardhat's Solidity runner).

import {CredentialRegistryV2} from "../../contracts/v2/CredentialRegistryV2.sol";
import {ICredentialRegistryV2} from "../../contracts/v2/interfaces/ICredentialRegistryV2.sol";
import {IIssuerRegistryV2} from "../../contracts/v2/interfaces/IIssuerRegistryV2.sol";

/// @dev The few cheatcodes used here (the npm forge-std package is not usable).
interface Vm {
    function prank(address sender) external;
    function expectRevert(bytes calldata revertData) external;
    function assume(bool condition) external pure;
    function warp(uint256 timestamp) external;
}

contract RegistryV2Test {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    ICredentialRegistryV2.StatusAction private constant REVOKE = ICredentialRegistryV2.StatusAction.Revoke;

    address private constant ADMIN_A = address(0xA11CE);
    address private constant ADMIN_B = address(0xB0B);
    address private constant KEY_B = address(0xB0B1);
    CredentialRegistryV2 private registry;
    uint64 private issuerA;
    uint64 private issuerB;

    function setUp() public {
        vm.warp(1_000_000);
        registry = new CredentialRegistryV2(address(this), 2 days);
        issuerA = registry.registerIssuer(ADMIN_A, "did:web:a.example", "A", 0, 0);
        issuerB = registry.registerIssuer(ADMIN_B, "did:web:b.example", "B", 0, 0);
        vm.prank(ADMIN_A);
        registry.addSignerKey(address(this));
        vm.prank(ADMIN_B);
        registry.addSignerKey(KEY_B);
    }

    function _require(bool condition, string memory message) private pure {
        require(condition, message);
    }

    function _one(uint256 value) private pure returns (uint256[] memory values) {
        values = new uint256[](1);
        values[0] = value;
    }

    function testFuzz_anchorsOfTwoIssuersAreIndependent(bytes32 root) public {
        vm.assume(root != bytes32(0));
        vm.prank(KEY_B);
        registry.anchor(root);
        registry.anchor(root);
        vm.prank(KEY_B);
        registry.revokeRoot(root, 1);
        _require(registry.verify(issuerA, root, 0).valid, "B's revocation leaves A's anchor valid");
        _require(registry.verify(issuerA, root, 0).signer == address(this), "A's anchor names A's key");
        _require(!registry.verify(issuerB, root, 0).valid, "B's own anchor is revoked");
    }

    function testFuzz_undoClearsExactlyTheMask(uint16 word, uint256 revoked, uint256 undo) public {
        vm.assume(revoked != 0 && undo != 0);
        registry.updateStatusWords(REVOKE, _one(word), _one(revoked), 0);
        vm.prank(ADMIN_A);
        registry.undoStatusWords(REVOKE, _one(word), _one(undo), 0);
        (uint256[] memory words,) = registry.getStatusWords(issuerA, word, 1);
        _require(words[0] == revoked & ~undo, "undo clears the masked bits only");
    }

    function testFuzz_onlyTheCurrentAdminUndoes(address caller, uint256 mask) public {
        vm.assume(caller != ADMIN_A && mask != 0);
        registry.updateStatusWords(REVOKE, _one(0), _one(mask), 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIssuerRegistryV2.IssuerUnauthorizedAdmin.selector, caller, registry.getSignerKey(caller).issuerId
            )
        );
        vm.prank(caller);
        registry.undoStatusWords(REVOKE, _one(0), _one(mask), 0);
    }

    function testFuzz_assertionKeyValidityWindow(bytes32 key, uint32 before, uint32 lifetime, uint32 probe) public {
        vm.assume(key != bytes32(0) && lifetime > 0);
        vm.prank(ADMIN_A);
        registry.addAssertionKey(key);
        uint40 added = uint40(block.timestamp);
        vm.warp(block.timestamp + lifetime);
        vm.prank(ADMIN_A);
        registry.retireAssertionKey(key);
        uint40 retired = uint40(block.timestamp);
        _require(!registry.isAssertionKeyValid(issuerA, key, added - 1 - (before % 1000)), "not before it was added");
        uint40 inside = added + uint40(probe % (uint256(lifetime) + 1));
        _require(registry.isAssertionKeyValid(issuerA, key, inside), "valid from added to retired, inclusive");
        _require(!registry.isAssertionKeyValid(issuerA, key, retired + 1 + (probe % 1000)), "not after retirement");
        _require(!registry.isAssertionKeyValid(issuerB, key, inside), "never for another issuer");
    }

    function testFuzz_noKeyMarksItselfCompromised(uint40 since) public {
        vm.expectRevert(abi.encodeWithSelector(IIssuerRegistryV2.KeySelfCompromise.selector, ADMIN_A));
        vm.prank(ADMIN_A);
        registry.markKeyCompromised(ADMIN_A, since);
    }
}
