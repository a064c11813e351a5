// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {ICredentialRegistryV2} from "./interfaces/ICredentialRegistryV2.sol";
import {IssuerRegistryV2} from "./IssuerRegistryV2.sol";

/**
 * @title CredentialRegistryV2
 * @notice Version 2 of the one contract credanchor deploys: issuers, identities and keys
 * ({IssuerRegistryV2}), roots anchored per issuer, per-issuer revocation and suspension
 * bitmaps with the admin's undo, and verification views. Not upgradeable: version 1 stays
 * deployed and verifiable; version 2 is a new deployment. {Multicall} lets a verifier batch
 * many views into one `eth_call` and an issuer batch many changes into one transaction.
 */
contract CredentialRegistryV2 is ICredentialRegistryV2, IssuerRegistryV2, Multicall {
    /// @dev The word of status index `2^256 - 1`; higher words hold no status index.
    uint256 private constant MAX_WORD_INDEX = type(uint256).max >> 8;

    mapping(uint64 issuerId => mapping(bytes32 root => Anchor)) private _anchors;
    mapping(uint64 issuerId => mapping(uint256 word => uint256 bits)) private _revokedWords;
    mapping(uint64 issuerId => mapping(uint256 word => uint256 bits)) private _suspendedWords;

    /**
     * @param governance Receives the default admin and accreditor roles.
     * @param adminTransferDelay Delay of a governance transfer, in seconds (e.g. 2 days).
     */
    constructor(address governance, uint48 adminTransferDelay) IssuerRegistryV2(governance, adminTransferDelay) {}

    /// @inheritdoc ICredentialRegistryV2
    function version() external pure returns (string memory) {
        return "2.0.0";
    }

    /// @inheritdoc ICredentialRegistryV2
    function anchor(bytes32 root) external {
        _anchor(_callerIssuer(true), root);
    }

    /// @inheritdoc ICredentialRegistryV2
    function anchorMany(bytes32[] calldata roots) external {
        uint64 issuerId = _callerIssuer(true);
        uint256 length = roots.length;
        if (length == 0) revert AnchorBatchEmpty();
        for (uint256 i = 0; i < length; ++i) {
            _anchor(issuerId, roots[i]);
        }
    }

    /// @inheritdoc ICredentialRegistryV2
    function revokeRoot(bytes32 root, uint8 reason) external {
        uint64 issuerId = _callerIssuer(false);
        Anchor storage record = _anchoredRoot(issuerId, root);
        if (record.revoked) revert AnchorRootAlreadyRevoked(root);
        record.revoked = true;
        emit RootRevoked(root, issuerId, msg.sender, reason);
    }

    /// @inheritdoc ICredentialRegistryV2
    function undoRootRevocation(bytes32 root) external {
        uint64 issuerId = _callerAdmin();
        Anchor storage record = _anchoredRoot(issuerId, root);
        if (!record.revoked) revert AnchorRootNotRevoked(root);
        record.revoked = false;
        emit RootRevocationUndone(root, issuerId, msg.sender);
    }

    /// @inheritdoc ICredentialRegistryV2
    function updateStatus(StatusAction action, uint256 index, uint8 reason) external {
        uint64 issuerId = _callerIssuer(false);
        _applyMask(_bitmap(issuerId, action), index >> 8, 1 << (index & 255), action != StatusAction.Reinstate);
        uint256[] memory indices = new uint256[](1);
        indices[0] = index;
        emit StatusesUpdated(issuerId, action, msg.sender, indices, reason);
    }

    /// @inheritdoc ICredentialRegistryV2
    function updateStatuses(StatusAction action, uint256[] calldata indices, uint8 reason) external {
        uint64 issuerId = _callerIssuer(false);
        uint256 length = indices.length;
        if (length == 0) revert StatusBatchEmpty();
        mapping(uint256 => uint256) storage words = _bitmap(issuerId, action);
        bool set = action != StatusAction.Reinstate;
        for (uint256 i = 0; i < length; ++i) {
            uint256 index = indices[i];
            _applyMask(words, index >> 8, 1 << (index & 255), set);
        }
        emit StatusesUpdated(issuerId, action, msg.sender, indices, reason);
    }

    /// @inheritdoc ICredentialRegistryV2
    function updateStatusWords(
        StatusAction action,
        uint256[] calldata wordIndices,
        uint256[] calldata masks,
        uint8 reason
    ) external {
        uint64 issuerId = _callerIssuer(false);
        _applyMasks(_bitmap(issuerId, action), wordIndices, masks, action != StatusAction.Reinstate);
        emit StatusWordsUpdated(issuerId, action, msg.sender, wordIndices, masks, reason);
    }

    /// @inheritdoc ICredentialRegistryV2
    function undoStatusWords(
        StatusAction action,
        uint256[] calldata wordIndices,
        uint256[] calldata masks,
        uint8 reason
    ) external {
        uint64 issuerId = _callerAdmin();
        if (action == StatusAction.Reinstate) revert StatusUndoInvalidAction(action);
        _applyMasks(_bitmap(issuerId, action), wordIndices, masks, false);
        emit StatusWordsUndone(issuerId, action, msg.sender, wordIndices, masks, reason);
    }

    /// @inheritdoc ICredentialRegistryV2
    function getAnchor(uint64 issuerId, bytes32 root) external view returns (Anchor memory) {
        return _anchors[issuerId][root];
    }

    /// @inheritdoc ICredentialRegistryV2
    function getStatus(uint64 issuerId, uint256 index) public view returns (bool revoked, bool suspended) {
        uint256 word = index >> 8;
        uint256 bit = 1 << (index & 255);
        revoked = _revokedWords[issuerId][word] & bit != 0;
        suspended = _suspendedWords[issuerId][word] & bit != 0;
    }

    /// @inheritdoc ICredentialRegistryV2
    function getStatusWords(uint64 issuerId, uint256 firstWord, uint256 count)
        external
        view
        returns (uint256[] memory revokedWords, uint256[] memory suspendedWords)
    {
        revokedWords = new uint256[](count);
        suspendedWords = new uint256[](count);
        mapping(uint256 => uint256) storage revoked = _revokedWords[issuerId];
        mapping(uint256 => uint256) storage suspended = _suspendedWords[issuerId];
        for (uint256 i = 0; i < count; ++i) {
            revokedWords[i] = revoked[firstWord + i];
            suspendedWords[i] = suspended[firstWord + i];
        }
    }

    /// @inheritdoc ICredentialRegistryV2
    function verify(uint64 issuerId, bytes32 root, uint256 statusIndex) public view returns (Verification memory v) {
        v.issuerId = issuerId;
        Anchor memory record = _anchors[issuerId][root];
        if (record.signer == address(0)) return v;
        v.anchored = true;
        v.signer = record.signer;
        v.anchoredAt = record.anchoredAt;
        v.blockNumber = record.blockNumber;
        v.rootRevoked = record.revoked;
        v.signerValidAtAnchoring = isSignerKeyValid(issuerId, record.signer, record.anchoredAt);
        v.issuerAccreditedAtAnchoring = isIssuerAccredited(issuerId, record.anchoredAt);
        (v.revoked, v.suspended) = getStatus(issuerId, statusIndex);
        v.valid = !v.rootRevoked && v.signerValidAtAnchoring && v.issuerAccreditedAtAnchoring && !v.revoked
            && !v.suspended;
        (v.issuerIdentity, v.issuerName) = _profile(issuerId);
    }

    /// @inheritdoc ICredentialRegistryV2
    function verifyCredential(
        bytes32 digest,
        bytes32[] calldata proof,
        uint64 issuerId,
        bytes32 root,
        uint256 statusIndex
    ) external view returns (Verification memory verification, bool included) {
        verification = verify(issuerId, root, statusIndex);
        included = verifyInclusion(digest, proof, root);
        verification.valid = verification.valid && included;
    }

    /// @inheritdoc ICredentialRegistryV2
    function verifyInclusion(bytes32 digest, bytes32[] calldata proof, bytes32 root) public pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leafHash(digest));
    }

    /// @inheritdoc ICredentialRegistryV2
    function leafHash(bytes32 digest) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest))));
    }

    function _anchor(uint64 issuerId, bytes32 root) private {
        if (root == bytes32(0)) revert AnchorInvalidRoot();
        Anchor storage record = _anchors[issuerId][root];
        if (record.signer != address(0)) revert AnchorRootAlreadyAnchored(root, issuerId);
        record.signer = msg.sender;
        record.anchoredAt = _time();
        record.blockNumber = uint40(block.number);
        emit RootAnchored(root, issuerId, msg.sender);
    }

    function _anchoredRoot(uint64 issuerId, bytes32 root) private view returns (Anchor storage record) {
        record = _anchors[issuerId][root];
        if (record.signer == address(0)) revert AnchorRootNotAnchored(root, issuerId);
    }

    function _bitmap(uint64 issuerId, StatusAction action) private view returns (mapping(uint256 => uint256) storage) {
        return action == StatusAction.Revoke ? _revokedWords[issuerId] : _suspendedWords[issuerId];
    }

    function _applyMasks(
        mapping(uint256 => uint256) storage words,
        uint256[] calldata wordIndices,
        uint256[] calldata masks,
        bool set
    ) private {
        uint256 length = wordIndices.length;
        if (length == 0) revert StatusBatchEmpty();
        if (length != masks.length) revert StatusWordsLengthMismatch(length, masks.length);
        for (uint256 i = 0; i < length; ++i) {
            uint256 word = wordIndices[i];
            if (word > MAX_WORD_INDEX) revert StatusWordIndexOutOfRange(word);
            _applyMask(words, word, masks[i], set);
        }
    }

    function _applyMask(mapping(uint256 => uint256) storage words, uint256 word, uint256 mask, bool set) private {
        words[word] = set ? words[word] | mask : words[word] & ~mask;
    }
}
