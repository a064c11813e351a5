// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IIssuerRegistry} from "./IIssuerRegistry.sol";

/**
 * @title ICredentialRegistry
 * @notice Merkle roots of credential batches, and per-issuer revocation and suspension
 * bitmaps (the on-chain analogue of a W3C Bitstring Status List), plus the views a verifier
 * needs in one `eth_call`.
 *
 * Nothing personal is stored: only roots of salted hashes and status bits.
 *
 * A root is anchored once and never overwritten. The anchoring signer's issuer is the
 * root's issuer. Every credential carries its issuer's status index inside its anchored
 * digest; status index `i` lives in word `i >> 8`, bit `i & 255`. Revocation is final
 * (as in the W3C "revocation" status purpose); suspension can be cleared by reinstating.
 */
interface ICredentialRegistry is IIssuerRegistry {
    /// @notice A status change. Revoke sets the revocation bit, Suspend sets the suspension
    /// bit, Reinstate clears the suspension bit. Revocation bits are never cleared.
    enum StatusAction {
        Revoke,
        Suspend,
        Reinstate
    }

    /// @notice What is stored per anchored root. Fits one storage slot.
    struct Anchor {
        /// Signer key that anchored the root (its issuer is the root's issuer).
        address signer;
        /// Block time of anchoring.
        uint40 anchoredAt;
        /// Block number of anchoring.
        uint40 blockNumber;
        /// Whether the whole root (batch) was revoked.
        bool revoked;
    }

    /// @notice Everything a verifier needs about one credential, read in one call.
    struct Verification {
        /// The root is anchored in this registry.
        bool anchored;
        /// Issuer of the root (0 if not anchored).
        uint64 issuerId;
        /// Key that anchored the root.
        address signer;
        /// Block time of anchoring.
        uint40 anchoredAt;
        /// Block number of anchoring.
        uint40 blockNumber;
        /// The whole root was revoked.
        bool rootRevoked;
        /// The signer was a valid key of the issuer at `anchoredAt` (not retired, not compromised then).
        bool signerValidAtAnchoring;
        /// The issuer was accredited at `anchoredAt`.
        bool issuerAccreditedAtAnchoring;
        /// The status index is revoked in the issuer's list.
        bool revoked;
        /// The status index is suspended in the issuer's list.
        bool suspended;
        /// All of the above say "valid" (anchored, authorised then, not revoked or suspended now).
        bool valid;
        /// The issuer's metadata URI or DID.
        string issuerMetadataURI;
    }

    /// @dev A zero root cannot be anchored.
    error AnchorInvalidRoot();
    /// @dev The root is already anchored (by `issuerId`); roots are never overwritten.
    error AnchorRootAlreadyAnchored(bytes32 root, uint64 issuerId);
    /// @dev The root was never anchored here.
    error AnchorRootNotAnchored(bytes32 root);
    /// @dev The root is already revoked.
    error AnchorRootAlreadyRevoked(bytes32 root);
    /// @dev The root belongs to issuer `rootIssuerId`, the caller's key to `callerIssuerId`.
    error AnchorIssuerMismatch(bytes32 root, uint64 rootIssuerId, uint64 callerIssuerId);
    /// @dev `anchorMany` needs at least one root.
    error AnchorBatchEmpty();
    /// @dev A bulk status change needs at least one entry.
    error StatusBatchEmpty();
    /// @dev Word `wordIndex` holds no status index (the last word is `2^248 - 1`).
    error StatusWordIndexOutOfRange(uint256 wordIndex);
    /// @dev `wordIndices` and `masks` must have the same length.
    error StatusWordsLengthMismatch(uint256 wordCount, uint256 maskCount);

    /// @notice `root` was anchored for `issuerId` by `signer` (time and block are the event's own).
    event RootAnchored(bytes32 indexed root, uint64 indexed issuerId, address indexed signer);
    /// @notice The whole batch under `root` was revoked.
    event RootRevoked(bytes32 indexed root, uint64 indexed issuerId, address indexed signer, uint8 reason);
    /// @notice `action` was applied to each status index in `indices` of `issuerId`'s lists.
    event StatusesUpdated(
        uint64 indexed issuerId, StatusAction indexed action, address indexed signer, uint256[] indices, uint8 reason
    );
    /// @notice `action` was applied to the bits of `masks[i]` in word `wordIndices[i]` of `issuerId`'s lists.
    event StatusWordsUpdated(
        uint64 indexed issuerId,
        StatusAction indexed action,
        address indexed signer,
        uint256[] wordIndices,
        uint256[] masks,
        uint8 reason
    );

    /// @notice Contract version, `major.minor.patch`.
    function version() external pure returns (string memory);

    /**
     * @notice Anchors a Merkle root for the caller's issuer, recording signer, time and block.
     *
     * Requirements: the caller is a currently valid signer key; its issuer is accredited now;
     * `root` is not zero and not anchored yet.
     */
    function anchor(bytes32 root) external;

    /**
     * @notice Anchors several roots in one transaction (same rules as {anchor}; all or none).
     *
     * Requirements: as {anchor} for each root; `roots` is not empty.
     */
    function anchorMany(bytes32[] calldata roots) external;

    /**
     * @notice Revokes every credential under `root` at once. Final.
     * @param reason Issuer-defined reason code, emitted only.
     *
     * Requirements: the caller is a currently valid key of the root's issuer; the root is
     * anchored and not yet revoked.
     */
    function revokeRoot(bytes32 root, uint8 reason) external;

    /**
     * @notice Applies `action` to one status index of the caller's issuer.
     * @dev Idempotent: setting a set bit or clearing a clear bit changes nothing but still emits.
     *
     * Requirements: the caller is a currently valid signer key (accreditation not needed, so
     * an issuer whose accreditation ended can still revoke).
     */
    function updateStatus(StatusAction action, uint256 index, uint8 reason) external;

    /**
     * @notice Applies `action` to many status indices of the caller's issuer in one transaction.
     *
     * Requirements: as {updateStatus}; `indices` is not empty.
     */
    function updateStatuses(StatusAction action, uint256[] calldata indices, uint8 reason) external;

    /**
     * @notice Applies `action` to whole bitmap words: for each `i`, the bits set in `masks[i]`
     * of word `wordIndices[i]` (status indices `wordIndices[i] * 256 + bit`). The cheapest way
     * to change many neighbouring indices (a cohort).
     *
     * Requirements: as {updateStatus}; the arrays are non-empty and of equal length; every word
     * index is at most `2^248 - 1` (the word of status index `2^256 - 1`).
     */
    function updateStatusWords(
        StatusAction action,
        uint256[] calldata wordIndices,
        uint256[] calldata masks,
        uint8 reason
    ) external;

    /// @notice The anchor record of `root` (all zero if not anchored).
    function getAnchor(bytes32 root) external view returns (Anchor memory);

    /// @notice Revocation and suspension bits of one status index of `issuerId`.
    function getStatus(uint64 issuerId, uint256 index) external view returns (bool revoked, bool suspended);

    /**
     * @notice `count` consecutive bitmap words of `issuerId` from `firstWord`, for verifiers that
     * read a whole status list so the RPC provider cannot tell which credential is checked.
     */
    function getStatusWords(uint64 issuerId, uint256 firstWord, uint256 count)
        external
        view
        returns (uint256[] memory revokedWords, uint256[] memory suspendedWords);

    /// @notice Everything about the credential with status `statusIndex` under `root`.
    function verify(bytes32 root, uint256 statusIndex) external view returns (Verification memory);

    /**
     * @notice {verify} plus the Merkle inclusion of `digest` under `root`; `valid` also
     * requires inclusion. Lets other contracts check a credential in one call.
     */
    function verifyCredential(bytes32 digest, bytes32[] calldata proof, bytes32 root, uint256 statusIndex)
        external
        view
        returns (Verification memory verification, bool included);

    /// @notice Whether `proof` leads from the leaf of credential `digest` to `root` (sorted-pair keccak256).
    function verifyInclusion(bytes32 digest, bytes32[] calldata proof, bytes32 root) external pure returns (bool);

    /// @notice The Merkle leaf of a credential digest: `keccak256(keccak256(digest))`, as
    /// OpenZeppelin's StandardMerkleTree hashes a `bytes32` leaf.
    function leafHash(bytes32 digest) external pure returns (bytes32);
}
