// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IIssuerRegistryV2} from "./IIssuerRegistryV2.sol";

/**
 * @title ICredentialRegistryV2
 * @notice Merkle roots of credential batches keyed by (issuer, root), per-issuer revocation
 * and suspension bitmaps (the on-chain analogue of a W3C Bitstring Status List), the issuer
 * admin's undo of status changes, and the views a verifier needs in one `eth_call`.
 *
 * Nothing personal is stored: only roots of salted hashes and status bits.
 *
 * Each issuer has its own anchor space: another issuer anchoring the same root (e.g. copied
 * from the mempool) neither blocks nor captures it. A root is anchored once per issuer and
 * never overwritten. Every credential carries its issuer's status index inside its anchored
 * digest; status index `i` lives in word `i >> 8`, bit `i & 255`. Signer keys cannot clear a
 * revocation; the issuer's (cold) admin can undo revocations and suspensions, which is the
 * remedy for a stolen signer key's mass revocation.
 */
interface ICredentialRegistryV2 is IIssuerRegistryV2 {
    /// @notice A status change. Revoke sets the revocation bit, Suspend sets the suspension
    /// bit, Reinstate clears the suspension bit. Signer keys never clear revocation bits.
    enum StatusAction {
        Revoke,
        Suspend,
        Reinstate
    }

    /// @notice What is stored per anchored (issuer, root). Fits one storage slot.
    struct Anchor {
        /// Signer key that anchored the root.
        address signer;
        /// Block time of anchoring.
        uint40 anchoredAt;
        /// Block number of anchoring.
        uint40 blockNumber;
        /// Whether the whole root (batch) is revoked.
        bool revoked;
    }

    /// @notice Everything a verifier needs about one credential, read in one call.
    struct Verification {
        /// The root is anchored by the issuer asked about.
        bool anchored;
        /// The issuer asked about (echoed).
        uint64 issuerId;
        /// Key that anchored the root.
        address signer;
        /// Block time of anchoring.
        uint40 anchoredAt;
        /// Block number of anchoring.
        uint40 blockNumber;
        /// The whole root is revoked.
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
        /// The issuer's identity (DID or URL), set by the accreditor.
        string issuerIdentity;
        /// The issuer's display name, set by the accreditor.
        string issuerName;
    }

    /// @dev A zero root cannot be anchored.
    error AnchorInvalidRoot();
    /// @dev Issuer `issuerId` already anchored the root; roots are never overwritten.
    error AnchorRootAlreadyAnchored(bytes32 root, uint64 issuerId);
    /// @dev Issuer `issuerId` never anchored the root.
    error AnchorRootNotAnchored(bytes32 root, uint64 issuerId);
    /// @dev The root is already revoked.
    error AnchorRootAlreadyRevoked(bytes32 root);
    /// @dev The root is not revoked (nothing to undo).
    error AnchorRootNotRevoked(bytes32 root);
    /// @dev `anchorMany` needs at least one root.
    error AnchorBatchEmpty();
    /// @dev A bulk status change needs at least one entry.
    error StatusBatchEmpty();
    /// @dev Word `wordIndex` holds no status index (the last word is `2^248 - 1`).
    error StatusWordIndexOutOfRange(uint256 wordIndex);
    /// @dev `wordIndices` and `masks` must have the same length.
    error StatusWordsLengthMismatch(uint256 wordCount, uint256 maskCount);
    /// @dev Only Revoke and Suspend can be undone (Reinstate is itself an undo).
    error StatusUndoInvalidAction(StatusAction action);

    /// @notice `root` was anchored for `issuerId` by `signer` (time and block are the event's own).
    event RootAnchored(bytes32 indexed root, uint64 indexed issuerId, address indexed signer);
    /// @notice The whole batch under (`issuerId`, `root`) was revoked.
    event RootRevoked(bytes32 indexed root, uint64 indexed issuerId, address indexed signer, uint8 reason);
    /// @notice The issuer's admin undid the revocation of (`issuerId`, `root`).
    event RootRevocationUndone(bytes32 indexed root, uint64 indexed issuerId, address indexed admin);
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
    /// @notice The issuer's admin cleared the `action` bits of `masks[i]` in word `wordIndices[i]`.
    event StatusWordsUndone(
        uint64 indexed issuerId,
        StatusAction indexed action,
        address indexed admin,
        uint256[] wordIndices,
        uint256[] masks,
        uint8 reason
    );

    /// @notice Contract version, `major.minor.patch`.
    function version() external pure returns (string memory);

    /**
     * @notice Anchors a Merkle root for the caller's issuer, recording signer, time and block.
     *
     * Requirements: the caller is a signer key that can act now; its issuer is accredited now;
     * `root` is not zero and not anchored by this issuer yet.
     */
    function anchor(bytes32 root) external;

    /**
     * @notice Anchors several roots in one transaction (same rules as {anchor}; all or none).
     *
     * Requirements: as {anchor} for each root; `roots` is not empty.
     */
    function anchorMany(bytes32[] calldata roots) external;

    /**
     * @notice Revokes every credential under the caller's issuer's `root` at once.
     * @param reason Issuer-defined reason code, emitted only.
     *
     * Requirements: the caller is a signer key that can act now; its issuer anchored `root`
     * and has not revoked it.
     */
    function revokeRoot(bytes32 root, uint8 reason) external;

    /**
     * @notice Undoes the revocation of the caller's issuer's `root` (e.g. made with a stolen
     * signer key).
     *
     * Requirements: the caller is its issuer's admin and can act now; the root is anchored by
     * that issuer and revoked.
     */
    function undoRootRevocation(bytes32 root) external;

    /**
     * @notice Applies `action` to one status index of the caller's issuer.
     * @dev Idempotent: setting a set bit or clearing a clear bit changes nothing but still emits.
     *
     * Requirements: the caller is a signer key that can act now (accreditation not needed, so
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

    /**
     * @notice The issuer admin's undo: clears the bits of `masks[i]` in word `wordIndices[i]`
     * of the revocation (`action` Revoke) or suspension (`action` Suspend) bitmap of the
     * caller's issuer. The remedy for changes made with a stolen signer key: mark the key
     * compromised, then undo what it changed (its `StatusWordsUpdated`/`StatusesUpdated`
     * events name it), leaving the honest revocations set.
     * @dev WARNING: this clears revocations; it is the cold admin's power only, and public in
     * `StatusWordsUndone` events.
     *
     * Requirements: the caller is its issuer's admin and can act now; `action` is Revoke or
     * Suspend; the arrays are non-empty and of equal length; word indices in range.
     */
    function undoStatusWords(
        StatusAction action,
        uint256[] calldata wordIndices,
        uint256[] calldata masks,
        uint8 reason
    ) external;

    /// @notice The anchor record of (`issuerId`, `root`) (all zero if not anchored).
    function getAnchor(uint64 issuerId, bytes32 root) external view returns (Anchor memory);

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

    /// @notice Everything about the credential with status `statusIndex` under `issuerId`'s `root`.
    function verify(uint64 issuerId, bytes32 root, uint256 statusIndex)
        external
        view
        returns (Verification memory);

    /**
     * @notice {verify} plus the Merkle inclusion of `digest` under `root`; `valid` also
     * requires inclusion. Lets other contracts check a credential in one call.
     */
    function verifyCredential(
        bytes32 digest,
        bytes32[] calldata proof,
        uint64 issuerId,
        bytes32 root,
        uint256 statusIndex
    ) external view returns (Verification memory verification, bool included);

    /// @notice Whether `proof` leads from the leaf of credential `digest` to `root` (sorted-pair keccak256).
    function verifyInclusion(bytes32 digest, bytes32[] calldata proof, bytes32 root) external pure returns (bool);

    /// @notice The Merkle leaf of a credential digest: `keccak256(keccak256(digest))`, as
    /// OpenZeppelin's StandardMerkleTree hashes a `bytes32` leaf.
    function leafHash(bytes32 digest) external pure returns (bytes32);
}
