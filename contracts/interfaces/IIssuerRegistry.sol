// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IIssuerRegistry
 * @notice Who may issue: accredited issuers, each with an admin account and signer keys.
 *
 * An accreditor (governance, `ACCREDITOR_ROLE`) registers issuers with a metadata URI or DID
 * and an accreditation window. An issuer's admin authorises signer keys (hot keys that
 * anchor and change statuses) and retires them. A key can be marked compromised from a time
 * in the past: what it anchored before that time stays valid, what it anchored at or after
 * that time does not. A key belongs to one issuer forever, so the anchor record only needs
 * the signer's address to name the issuer.
 *
 * Times are UNIX seconds (`uint40`). A window `[validFrom, validUntil)` contains `t` when
 * `validFrom <= t < validUntil`; `type(uint40).max` means "no end". A key is valid at `t` when
 * `addedAt <= t <= retiredAt` and `t < compromisedFrom`: what it anchored in the very block it was
 * retired in stays valid, but a retired key can never act again.
 */
interface IIssuerRegistry {
    /// @notice An accredited issuer. Fits one storage slot.
    struct Issuer {
        /// Account that manages the issuer's signer keys; also a signer key itself.
        address admin;
        /// Start of accreditation (inclusive).
        uint40 validFrom;
        /// End of accreditation (exclusive); `type(uint40).max` for none.
        uint40 validUntil;
    }

    /// @notice A signer key of an issuer. Fits one storage slot.
    struct SignerKey {
        /// Issuer the key belongs to; 0 when the key was never registered.
        uint64 issuerId;
        /// Time the key was added (valid from then, inclusive).
        uint40 addedAt;
        /// Time the key was retired (it can act no more; still valid for anchors made at that
        /// time, i.e. earlier in the same block); `type(uint40).max` while active.
        uint40 retiredAt;
        /// Time from which the key is considered compromised; `type(uint40).max` if never.
        uint40 compromisedFrom;
    }

    /// @dev The governance account cannot be the zero address.
    error IssuerRegistryInvalidGovernance();
    /// @dev The issuer id is not registered.
    error IssuerNotFound(uint64 issuerId);
    /// @dev The issuer is not accredited at time `at`.
    error IssuerNotAccredited(uint64 issuerId, uint40 at);
    /// @dev `validFrom` must be before `validUntil`.
    error IssuerInvalidValidityWindow(uint40 validFrom, uint40 validUntil);
    /// @dev `account` is not the admin of issuer `issuerId`.
    error IssuerUnauthorizedAdmin(address account, uint64 issuerId);
    /// @dev The zero address cannot be a signer key or an admin.
    error SignerKeyInvalid(address key);
    /// @dev The key is already bound to an issuer (keys are never re-used across issuers).
    error SignerKeyAlreadyRegistered(address key, uint64 issuerId);
    /// @dev The key was never registered.
    error SignerKeyNotFound(address key);
    /// @dev The key is already retired.
    error SignerKeyAlreadyRetired(address key, uint40 retiredAt);
    /// @dev `since` is in the future, or not earlier than the key's current compromise time.
    error SignerKeyInvalidCompromiseTime(address key, uint40 since);
    /// @dev `key` is not a currently valid (registered, not retired, not compromised) signer key.
    error SignerKeyUnauthorized(address key);

    /// @notice Issuer `issuerId` was registered by an accreditor.
    event IssuerRegistered(
        uint64 indexed issuerId, address indexed admin, string metadataURI, uint40 validFrom, uint40 validUntil
    );
    /// @notice The accreditation window of `issuerId` was changed.
    event IssuerValidityChanged(uint64 indexed issuerId, uint40 validFrom, uint40 validUntil);
    /// @notice The metadata URI or DID of `issuerId` was changed.
    event IssuerMetadataChanged(uint64 indexed issuerId, string metadataURI);
    /// @notice The admin of `issuerId` was replaced by an accreditor.
    event IssuerAdminChanged(uint64 indexed issuerId, address indexed previousAdmin, address indexed newAdmin);
    /// @notice `key` was authorised to sign for `issuerId`.
    event SignerKeyAdded(uint64 indexed issuerId, address indexed key);
    /// @notice `key` stopped being valid at `retiredAt`.
    event SignerKeyRetired(uint64 indexed issuerId, address indexed key, uint40 retiredAt);
    /// @notice `key` is considered compromised from `compromisedFrom`; what it anchored from then is invalid.
    event SignerKeyCompromised(uint64 indexed issuerId, address indexed key, uint40 compromisedFrom);

    /**
     * @notice Registers an issuer and makes `admin` its admin and first signer key.
     * @param admin Account that will manage the issuer's keys.
     * @param metadataURI A URI or DID describing the issuer (public data only).
     * @param validFrom Start of accreditation; 0 means now.
     * @param validUntil End of accreditation; 0 means no end.
     * @return issuerId The new issuer's id (sequential, starting at 1).
     *
     * Requirements:
     * - the caller has `ACCREDITOR_ROLE`;
     * - `admin` is not zero and not already a signer key;
     * - the window is not empty.
     */
    function registerIssuer(address admin, string calldata metadataURI, uint40 validFrom, uint40 validUntil)
        external
        returns (uint64 issuerId);

    /**
     * @notice Changes an issuer's accreditation window. Values are taken as given, except 0
     * for `validUntil`, which means no end (unlike {registerIssuer}, 0 for `validFrom` does NOT
     * mean now: that would silently void every root anchored before).
     * @dev Shortening the window can end accreditation now. WARNING: moving the window so
     * that it no longer contains a past anchoring time invalidates what was anchored then.
     *
     * Requirements: the caller has `ACCREDITOR_ROLE`; the issuer exists; the window is not empty.
     */
    function setIssuerValidity(uint64 issuerId, uint40 validFrom, uint40 validUntil) external;

    /**
     * @notice Changes an issuer's metadata URI or DID.
     *
     * Requirements: the caller is the issuer's admin or has `ACCREDITOR_ROLE`; the issuer exists.
     */
    function setIssuerMetadata(uint64 issuerId, string calldata metadataURI) external;

    /**
     * @notice Replaces an issuer's admin (for recovery when the admin account is lost or
     * compromised). The new admin also becomes a signer key of the issuer if it is not one.
     *
     * Requirements: the caller has `ACCREDITOR_ROLE`; the issuer exists; `newAdmin` is not zero,
     * not a key of another issuer, and not a retired or compromised key of this one.
     */
    function setIssuerAdmin(uint64 issuerId, address newAdmin) external;

    /**
     * @notice Authorises `key` to anchor roots and change statuses for the caller's issuer.
     *
     * Requirements: the caller is an issuer admin; `key` is not zero and was never registered.
     */
    function addSignerKey(address key) external;

    /**
     * @notice Retires `key` now. Roots it anchored before, including earlier in this block,
     * stay valid; it can act no more.
     *
     * Requirements: the caller is the key itself, the admin of the key's issuer, or has
     * `ACCREDITOR_ROLE`; the key exists and is not retired.
     */
    function retireSignerKey(address key) external;

    /**
     * @notice Marks `key` compromised from `since` (now or earlier). Roots it anchored at or
     * after `since` become invalid; its status changes stay on-chain but it can act no more.
     * Can be called again only to move `since` earlier. A key cannot mark itself (a thief
     * holding it could otherwise void the issuer's past credentials).
     *
     * Requirements: the caller is the admin of the key's issuer or has `ACCREDITOR_ROLE`;
     * the key exists; `since` is not in the future and earlier than the current mark.
     */
    function markSignerKeyCompromised(address key, uint40 since) external;

    /// @notice The issuer record and metadata of `issuerId` (reverts with `IssuerNotFound`).
    function getIssuer(uint64 issuerId) external view returns (Issuer memory issuer, string memory metadataURI);

    /// @notice The signer key record of `key` (all zero if never registered).
    function getSignerKey(address key) external view returns (SignerKey memory);

    /// @notice Number of registered issuers (ids are `1..issuerCount()`).
    function issuerCount() external view returns (uint64);

    /// @notice Whether `issuerId` was accredited at time `at`.
    function isIssuerAccredited(uint64 issuerId, uint40 at) external view returns (bool);

    /// @notice Whether `key` was a valid (added, not retired, not compromised) key of `issuerId` at `at`.
    function isSignerKeyValid(uint64 issuerId, address key, uint40 at) external view returns (bool);
}
