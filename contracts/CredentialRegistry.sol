// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {ICredentialRegistry} from "./interfaces/ICredentialRegistry.sol";
import {IssuerRegistry} from "./IssuerRegistry.sol";

/**
 * @title CredentialRegistry
 * @notice The one contract credanchor deploys: issuers and keys ({IssuerRegistry}), anchored
 * batch roots, per-issuer revocation and suspension bitmaps, and verification views.
 * Not upgradeable: a new version is a new deployment. {Multicall} lets a verifier batch
 * many views into one `eth_call` and an issuer batch many changes into one transaction.
 */
contract CredentialRegistry is ICredentialRegistry, IssuerRegistry, Multicall {
    /// @dev The word of status index `2^256 - 1`; higher words hold no status index.
    uint256 private constant MAX_WORD_INDEX = type(uint256).max >> 8;

    mapping(bytes32 root => Anchor) private _anchors;
    mapping(uint64 issuerId => mapping(uint256 word => uint256 bits)) private _revokedWords;
    mapping(uint64 issuerId => mapping(uint256 word => uint256 bits)) private _suspendedWords;

    /// @param governance Receives the admin and accreditor roles.
    constructor(address governance) IssuerRegistry(governance) {}

    /// @inheritdoc ICredentialRegistry
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc ICredentialRegistry
    function anchor(bytes32 root) external {
        _anchor(_callerIssuer(true), root);
    }

    /// @inheritdoc ICredentialRegistry
    function anchorMany(bytes32[] calldata roots) external {
        uint64 issuerId = _callerIssuer(true);
        uint256 length = roots.length;
        if (length == 0) revert AnchorBatchEmpty();
        for (uint256 i = 0; i < length; ++i) {
            _anchor(issuerId, roots[i]);
        }
    }

    /// @inheritdoc ICredentialRegistry
    function revokeRoot(bytes32 root, uint8 reason) external {
        uint64 callerIssuerId = _callerIssuer(false);
        Anchor storage record = _anchors[root];
        address signer = record.signer;
        if (signer == address(0)) revert AnchorRootNotAnchored(root);
        uint64 rootIssuerId = _issuerOfKey(signer);
        if (rootIssuerId != callerIssuerId) revert AnchorIssuerMismatch(root, rootIssuerId, callerIssuerId);
        if (record.revoked) revert AnchorRootAlreadyRevoked(root);
        record.revoked = true;
        emit RootRevoked(root, rootIssuerId, msg.sender, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function updateStatus(StatusAction action, uint256 index, uint8 reason) external {
        uint64 issuerId = _callerIssuer(false);
        mapping(uint256 => uint256) storage words = _bitmap(issuerId, action);
        _applyMask(words, index >> 8, 1 << (index & 255), action);
        uint256[] memory indices = new uint256[](1);
        indices[0] = index;
        emit StatusesUpdated(issuerId, action, msg.sender, indices, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function updateStatuses(StatusAction action, uint256[] calldata indices, uint8 reason) external {
        uint64 issuerId = _callerIssuer(false);
        uint256 length = indices.length;
        if (length == 0) revert StatusBatchEmpty();
        mapping(uint256 => uint256) storage words = _bitmap(issuerId, action);
        for (uint256 i = 0; i < length; ++i) {
            uint256 index = indices[i];
            _applyMask(words, index >> 8, 1 << (index & 255), action);
        }
        emit StatusesUpdated(issuerId, action, msg.sender, indices, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function updateStatusWords(
        StatusAction action,
        uint256[] calldata wordIndices,
        uint256[] calldata masks,
        uint8 reason
    ) external {
        uint64 issuerId = _callerIssuer(false);
        uint256 length = wordIndices.length;
        if (length == 0) revert StatusBatchEmpty();
        if (length != masks.length) revert StatusWordsLengthMismatch(length, masks.length);
        mapping(uint256 => uint256) storage words = _bitmap(issuerId, action);
        for (uint256 i = 0; i < length; ++i) {
            uint256 word = wordIndices[i];
            if (word > MAX_WORD_INDEX) revert StatusWordIndexOutOfRange(word);
            _applyMask(words, word, masks[i], action);
        }
        emit StatusWordsUpdated(issuerId, action, msg.sender, wordIndices, masks, reason);
    }

    /// @inheritdoc ICredentialRegistry
    function getAnchor(bytes32 root) external view returns (Anchor memory) {
        return _anchors[root];
    }

    /// @inheritdoc ICredentialRegistry
    function getStatus(uint64 issuerId, uint256 index) public view returns (bool revoked, bool suspended) {
        uint256 word = index >> 8;
        uint256 bit = 1 << (index & 255);
        revoked = _revokedWords[issuerId][word] & bit != 0;
        suspended = _suspendedWords[issuerId][word] & bit != 0;
    }

    /// @inheritdoc ICredentialRegistry
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

    /// @inheritdoc ICredentialRegistry
    function verify(bytes32 root, uint256 statusIndex) public view returns (Verification memory v) {
        Anchor memory record = _anchors[root];
        if (record.signer == address(0)) return v;
        v.anchored = true;
        v.issuerId = _issuerOfKey(record.signer);
        v.signer = record.signer;
        v.anchoredAt = record.anchoredAt;
        v.blockNumber = record.blockNumber;
        v.rootRevoked = record.revoked;
        v.signerValidAtAnchoring = isSignerKeyValid(v.issuerId, record.signer, record.anchoredAt);
        v.issuerAccreditedAtAnchoring = isIssuerAccredited(v.issuerId, record.anchoredAt);
        (v.revoked, v.suspended) = getStatus(v.issuerId, statusIndex);
        v.valid = !v.rootRevoked && v.signerValidAtAnchoring && v.issuerAccreditedAtAnchoring && !v.revoked
            && !v.suspended;
        v.issuerMetadataURI = _metadataURI(v.issuerId);
    }

    /// @inheritdoc ICredentialRegistry
    function verifyCredential(bytes32 digest, bytes32[] calldata proof, bytes32 root, uint256 statusIndex)
        external
        view
        returns (Verification memory verification, bool included)
    {
        verification = verify(root, statusIndex);
        included = verifyInclusion(digest, proof, root);
        verification.valid = verification.valid && included;
    }

    /// @inheritdoc ICredentialRegistry
    function verifyInclusion(bytes32 digest, bytes32[] calldata proof, bytes32 root) public pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leafHash(digest));
    }

    /// @inheritdoc ICredentialRegistry
    function leafHash(bytes32 digest) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest))));
    }

    function _anchor(uint64 issuerId, bytes32 root) private {
        if (root == bytes32(0)) revert AnchorInvalidRoot();
        Anchor storage record = _anchors[root];
        address existing = record.signer;
        if (existing != address(0)) revert AnchorRootAlreadyAnchored(root, _issuerOfKey(existing));
        _anchors[root] =
            Anchor({signer: msg.sender, anchoredAt: _time(), blockNumber: uint40(block.number), revoked: false});
        emit RootAnchored(root, issuerId, msg.sender);
    }

    function _bitmap(uint64 issuerId, StatusAction action) private view returns (mapping(uint256 => uint256) storage) {
        return action == StatusAction.Revoke ? _revokedWords[issuerId] : _suspendedWords[issuerId];
    }

    function _applyMask(mapping(uint256 => uint256) storage words, uint256 word, uint256 mask, StatusAction action)
        private
    {
        words[word] = action == StatusAction.Reinstate ? words[word] & ~mask : words[word] | mask;
    }
}
