// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// Fuzz tests of the status bitmaps: word/bit addressing, isolation between indices and issuers,
// and the equivalence of the three update paths. Run by `npm test` (Hardhat's Solidity runner).

import {CredentialRegistry} from "../../contracts/CredentialRegistry.sol";
import {ICredentialRegistry} from "../../contracts/interfaces/ICredentialRegistry.sol";
import {IIssuerRegistry} from "../../contracts/interfaces/IIssuerRegistry.sol";

/// @dev The few cheatcodes used here (the npm forge-std package is not usable).
interface Vm {
    function prank(address sender) external;
    function expectRevert(bytes calldata revertData) external;
    function assume(bool condition) external pure;
}

contract StatusBitmapsTest {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    ICredentialRegistry.StatusAction private constant REVOKE = ICredentialRegistry.StatusAction.Revoke;
    ICredentialRegistry.StatusAction private constant SUSPEND = ICredentialRegistry.StatusAction.Suspend;
    ICredentialRegistry.StatusAction private constant REINSTATE = ICredentialRegistry.StatusAction.Reinstate;

    address private constant OTHER_ADMIN = address(0xB0B);
    CredentialRegistry private registry;
    uint64 private issuer;
    uint64 private otherIssuer;

    function setUp() public {
        registry = new CredentialRegistry(address(this));
        issuer = registry.registerIssuer(address(this), "did:web:a.example", 0, 0);
        otherIssuer = registry.registerIssuer(OTHER_ADMIN, "did:web:b.example", 0, 0);
    }

    function _require(bool condition, string memory message) private pure {
        require(condition, message);
    }

    function testFuzz_revokeSetsExactlyOneBit(uint256 index, uint256 other) public {
        vm.assume(index != other);
        registry.updateStatus(REVOKE, index, 0);
        (bool revoked, bool suspended) = registry.getStatus(issuer, index);
        _require(revoked && !suspended, "index revoked, not suspended");
        (revoked, suspended) = registry.getStatus(issuer, other);
        _require(!revoked && !suspended, "another index untouched");
        (revoked,) = registry.getStatus(otherIssuer, index);
        _require(!revoked, "another issuer's list untouched");
        (uint256[] memory words,) = registry.getStatusWords(issuer, index >> 8, 1);
        _require(words[0] == 1 << (index & 255), "word holds exactly that bit");
    }

    function testFuzz_suspendThenReinstateRestoresAndNeverClearsRevocation(uint256 index) public {
        registry.updateStatus(SUSPEND, index, 0);
        (bool revoked, bool suspended) = registry.getStatus(issuer, index);
        _require(suspended && !revoked, "suspended");
        registry.updateStatus(REVOKE, index, 0);
        registry.updateStatus(REINSTATE, index, 0);
        (revoked, suspended) = registry.getStatus(issuer, index);
        _require(revoked && !suspended, "reinstate clears suspension only; revocation is final");
    }

    function testFuzz_wordMaskEqualsIndexList(uint16 word, uint256 mask) public {
        vm.assume(mask != 0);
        uint256 count;
        for (uint256 bit = 0; bit < 256; ++bit) if (mask & (1 << bit) != 0) ++count;
        uint256[] memory indices = new uint256[](count);
        uint256 j;
        for (uint256 bit = 0; bit < 256; ++bit) if (mask & (1 << bit) != 0) indices[j++] = uint256(word) * 256 + bit;

        // Same mask through both bulk paths into the two bitmaps, then compare the words.
        registry.updateStatuses(REVOKE, indices, 0);
        uint256[] memory wordIndices = new uint256[](1);
        uint256[] memory masks = new uint256[](1);
        wordIndices[0] = word;
        masks[0] = mask;
        registry.updateStatusWords(SUSPEND, wordIndices, masks, 0);
        (uint256[] memory revokedWords, uint256[] memory suspendedWords) = registry.getStatusWords(issuer, word, 1);
        _require(revokedWords[0] == mask && suspendedWords[0] == mask, "both paths set the same bits");

        registry.updateStatusWords(REINSTATE, wordIndices, masks, 0);
        (, suspendedWords) = registry.getStatusWords(issuer, word, 1);
        _require(suspendedWords[0] == 0, "reinstating the mask clears it");
    }

    function testFuzz_anotherIssuerCannotTouchMyStatuses(uint256 index) public {
        registry.updateStatus(SUSPEND, index, 0);
        vm.prank(OTHER_ADMIN);
        registry.updateStatus(REINSTATE, index, 0);
        (, bool suspended) = registry.getStatus(issuer, index);
        _require(suspended, "B's reinstate only touches B's list");
    }

    function testFuzz_strangerCannotUpdate(address stranger, uint256 index) public {
        vm.assume(stranger != address(this) && stranger != OTHER_ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IIssuerRegistry.SignerKeyUnauthorized.selector, stranger));
        vm.prank(stranger);
        registry.updateStatus(REVOKE, index, 0);
    }
}
