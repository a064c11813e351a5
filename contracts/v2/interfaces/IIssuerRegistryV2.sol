// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IIssuerRegistryV2
 * @notice Who may issue (version 2): accredited issuers, each with an identity set by the
 * accreditor, a cold admin key, hot signer keys and Ed25519 assertion keys.
 *
 * An accreditor (governance, `ACCREDITOR_ROLE`) registers issuers with an identity (a DID or
 * URL) and a display name, and sets their accreditation window. Only the accreditor changes
 * identity and name: an issuer, accredited or not, cannot rewrite who it is.
 *
 * Keys. Every key belongs to one issuer forever and has one role:
 * - the **admin** key (cold) manages the issuer's other keys and can undo status changes
 *   made with a stolen signer key; it cannot anchor or change statuses;
 * - **signer** keys (hot) anchor roots and change statuses;
 * - **assertion** keys are Ed25519 public keys (the raw 32 bytes of a `did:key` / Multikey)
 *   that sign the issuer's Verifiable Credentials off-chain; the registry only records when
 *   each one is valid.
 * Every admin action needs an admin that can act now (not retired, not compromised). A key is
 * never marked compromised by itself; an admin key only by the accreditor, who can also
 * correct a mistaken compromise time (move it later or clear it).
 *
 * Times are UNIX seconds (`uint40`). A window `[validFrom, validUntil)` contains `t` when
 * `validFrom <= t < validUntil`; `type(uint40).max` means "no end". A key is valid at `t` when
 * `addedAt <= t <= retiredAt` and `t < compromisedFrom`: what it did in the very block it was
 * retired in stays valid, but a retired key can never act again.
 */
interface IIssuerRegistryV2 {
    /// @notice What a key may do. `None` marks a key that was never registered.
    enum KeyRole {
        None,
        Admin,
        Signer,
        Assertion
    }

    /// @notice An accredited issuer. Fits one storage slot.
    struct Issuer {
        /// The issuer's current admin key (cold; manages the other keys).
        address admin;
        /// Start of accreditation (inclusive).
        uint40 validFrom;
        /// End of accreditation (exclusive); `type(uint40).max` for none.
        uint40 validUntil;
    }

    /// @notice A key of an issuer (admin, signer or assertion key). Fits one storage slot.
    struct Key {
        /// Issuer the key belongs to; 0 when the key was never registered.
        uint64 issuerId;
        /// Time the key was added (valid from then, inclusive).
        uint40 addedAt;
        /// Time the key was retired (it can act no more; still valid for what it did at that
        /// time, i.e. earlier in the same block); `type(uint40).max` while active.
        uint40 retiredAt;
        /// Time from which the key is considered compromised; `type(uint40).max` if never.
        uint40 compromisedFrom;
        /// What the key may do.
        KeyRole role;
    }

    /// @dev The issuer id is not registered.
    error IssuerNotFound(uint64 issuerId);
    /// @dev The issuer is not accredited at time `at`.
    error IssuerNotAccredited(uint64 issuerId, uint40 at);
    /// @dev `validFrom` must be before `validUntil`.
    error IssuerInvalidValidityWindow(uint40 validFrom, uint40 validUntil);
    /// @dev An issuer's identity (DID or URL) cannot be empty.
    error IssuerIdentityEmpty();
    /// @dev `account` is not a current admin of issuer `issuerId` (0: of no issuer) nor an accreditor.
    error IssuerUnauthorizedAdmin(address account, uint64 issuerId);
    /// @dev The zero address cannot be a key.
    error KeyInvalid(address key);
    /// @dev The key is already bound to an issuer (keys are never re-used, nor change role).
    error KeyAlreadyRegistered(address key, uint64 issuerId);
    /// @dev The key was never registered.
    error KeyNotFound(address key);
    /// @dev The key is an admin key, where a signer key is needed.
    error KeyNotSigner(address key);
    /// @dev The key is already retired.
    error KeyAlreadyRetired(address key, uint40 retiredAt);
    /// @dev `since` is in the future, or not earlier than the key's current compromise time.
    error KeyInvalidCompromiseTime(address key, uint40 since);
    /// @dev A key cannot mark itself compromised (a thief holding it could void the issuer's past).
    error KeySelfCompromise(address key);
    /// @dev `key` is not a currently valid (registered, not retired, not compromised) signer key.
    error SignerKeyUnauthorized(address key);
    /// @dev The zero key cannot be an assertion key.
    error AssertionKeyInvalid(bytes32 key);
    /// @dev The assertion key is already bound to an issuer.
    error AssertionKeyAlreadyRegistered(bytes32 key, uint64 issuerId);
    /// @dev The assertion key was never registered.
    error AssertionKeyNotFound(bytes32 key);
    /// @dev The assertion key is already retired.
    error AssertionKeyAlreadyRetired(bytes32 key, uint40 retiredAt);
    /// @dev `since` is in the future, or not earlier than the assertion key's current compromise time.
    error AssertionKeyInvalidCompromiseTime(bytes32 key, uint40 since);

    /// @notice Issuer `issuerId` was registered by an accreditor.
    event IssuerRegistered(
        uint64 indexed issuerId,
        address indexed admin,
        string identity,
        string name,
        uint40 validFrom,
        uint40 validUntil
    );
    /// @notice The accreditation window of `issuerId` was changed.
    event IssuerValidityChanged(uint64 indexed issuerId, uint40 validFrom, uint40 validUntil);
    /// @notice The accreditor changed the identity (DID or URL) and display name of `issuerId`.
    event IssuerIdentityChanged(uint64 indexed issuerId, string identity, string name);
    /// @notice The admin of `issuerId` was replaced by an accreditor (the previous one is retired).
    event IssuerAdminChanged(uint64 indexed issuerId, address indexed previousAdmin, address indexed newAdmin);
    /// @notice `key` was authorised to sign for `issuerId`.
    event SignerKeyAdded(uint64 indexed issuerId, address indexed key);
    /// @notice Signer key `key` stopped being valid at `retiredAt`.
    event SignerKeyRetired(uint64 indexed issuerId, address indexed key, uint40 retiredAt);
    /// @notice `key` (admin or signer) is considered compromised from `compromisedFrom`.
    event KeyCompromised(uint64 indexed issuerId, address indexed key, uint40 compromisedFrom);
    /// @notice The accreditor corrected the compromise time of `key` (`type(uint40).max`: cleared).
    event KeyCompromiseCorrected(
        uint64 indexed issuerId,
        address indexed key,
        uint40 previousCompromisedFrom,
        uint40 compromisedFrom
    );
    /// @notice Ed25519 public key `key` was registered as an assertion key of `issuerId`.
    event AssertionKeyAdded(uint64 indexed issuerId, bytes32 indexed key);
    /// @notice Assertion key `key` stopped being valid at `retiredAt`.
    event AssertionKeyRetired(uint64 indexed issuerId, bytes32 indexed key, uint40 retiredAt);
    /// @notice Assertion key `key` is considered compromised from `compromisedFrom`.
    event AssertionKeyCompromised(uint64 indexed issuerId, bytes32 indexed key, uint40 compromisedFrom);
    /// @notice The accreditor corrected the compromise time of assertion key `key`.
    event AssertionKeyCompromiseCorrected(
        uint64 indexed issuerId,
        bytes32 indexed key,
        uint40 previousCompromisedFrom,
        uint40 compromisedFrom
    );

    /**
     * @notice Registers an issuer with its identity, name and cold admin key.
     * @param admin Account that will manage the issuer's keys (not a signer key).
     * @param identity The issuer's DID or URL: what its credentials must name as `issuer`.
     * @param name Display name (public data only).
     * @param validFrom Start of accreditation; 0 means now.
     * @param validUntil End of accreditation; 0 means no end.
     * @return issuerId The new issuer's id (sequential, starting at 1).
     *
     * Requirements:
     * - the caller has `ACCREDITOR_ROLE`;
     * - `admin` is not zero and was never registered as a key;
     * - `identity` is not empty; the window is not empty.
     */
    function registerIssuer(
        address admin,
        string calldata identity,
        string calldata name,
        uint40 validFrom,
        uint40 validUntil
    ) external returns (uint64 issuerId);

    /**
     * @notice Changes an issuer's accreditation window. Values are taken as given, except 0
     * for `validUntil`, which means no end (0 for `validFrom` does NOT mean now: that would
     * silently void every root anchored before).
     * @dev WARNING: moving the window so that it no longer contains a past anchoring time
     * invalidates what was anchored then.
     *
     * Requirements: the caller has `ACCREDITOR_ROLE`; the issuer exists; the window is not empty.
     */
    function setIssuerValidity(uint64 issuerId, uint40 validFrom, uint40 validUntil) external;

    /**
     * @notice Changes an issuer's identity (DID or URL) and display name.
     * @dev WARNING: credentials naming the old identity stop matching it in verifiers.
     *
     * Requirements: the caller has `ACCREDITOR_ROLE` (never the issuer); the issuer exists;
     * `identity` is not empty.
     */
    function setIssuerIdentity(uint64 issuerId, string calldata identity, string calldata name) external;

    /**
     * @notice Replaces an issuer's admin (recovery when the admin key is lost or compromised).
     * The previous admin key is retired now.
     *
     * Requirements: the caller has `ACCREDITOR_ROLE`; the issuer exists; `newAdmin` is not zero
     * and was never registered as a key.
     */
    function setIssuerAdmin(uint64 issuerId, address newAdmin) external;

    /**
     * @notice Authorises `key` to anchor roots and change statuses for the caller's issuer.
     *
     * Requirements: the caller is an issuer's admin that can act now; `key` is not zero and
     * was never registered.
     */
    function addSignerKey(address key) external;

    /**
     * @notice Retires signer key `key` now. Roots it anchored before, including earlier in
     * this block, stay valid; it can act no more.
     *
     * Requirements: the caller is the key itself, a current admin of the key's issuer, or has
     * `ACCREDITOR_ROLE`; the key is a signer key and not retired.
     */
    function retireSignerKey(address key) external;

    /**
     * @notice Marks `key` compromised from `since` (now or earlier). What it anchored at or
     * after `since` becomes invalid; it can act no more. Can be called again only to move
     * `since` earlier (the accreditor corrects mistakes with {correctKeyCompromise}).
     *
     * Requirements: the caller is not `key`; for a signer key, the caller is a current admin
     * of its issuer or has `ACCREDITOR_ROLE`; for an admin key, the caller has
     * `ACCREDITOR_ROLE`; `since` is not in the future and earlier than the current mark.
     */
    function markKeyCompromised(address key, uint40 since) external;

    /**
     * @notice Sets the compromise time of `key` to any past time, later or earlier than before,
     * or clears it with `type(uint40).max`: the accreditor's correction of a mistaken mark.
     *
     * Requirements: the caller has `ACCREDITOR_ROLE`; the key exists; `compromisedFrom` is
     * not in the future, or is `type(uint40).max`.
     */
    function correctKeyCompromise(address key, uint40 compromisedFrom) external;

    /**
     * @notice Registers Ed25519 public key `key` as an assertion key of the caller's issuer.
     *
     * Requirements: the caller is an issuer's admin that can act now; `key` is not zero and
     * was never registered.
     */
    function addAssertionKey(bytes32 key) external;

    /**
     * @notice Retires assertion key `key` now: what it signed until now stays valid.
     *
     * Requirements: the caller is a current admin of the key's issuer or has
     * `ACCREDITOR_ROLE`; the key exists and is not retired.
     */
    function retireAssertionKey(bytes32 key) external;

    /**
     * @notice Marks assertion key `key` compromised from `since`: what it signed at or after
     * `since` is invalid. Only moves `since` earlier.
     *
     * Requirements: the caller is a current admin of the key's issuer or has
     * `ACCREDITOR_ROLE`; `since` is not in the future and earlier than the current mark.
     */
    function markAssertionKeyCompromised(bytes32 key, uint40 since) external;

    /**
     * @notice The accreditor's correction of an assertion key's compromise time (see
     * {correctKeyCompromise}).
     *
     * Requirements: as {correctKeyCompromise}.
     */
    function correctAssertionKeyCompromise(bytes32 key, uint40 compromisedFrom) external;

    /// @notice The issuer record, identity and name of `issuerId` (reverts with `IssuerNotFound`).
    function getIssuer(uint64 issuerId)
        external
        view
        returns (Issuer memory issuer, string memory identity, string memory name);

    /// @notice The record of admin or signer key `key` (all zero if never registered).
    function getSignerKey(address key) external view returns (Key memory);

    /// @notice The record of assertion key `key` (all zero if never registered).
    function getAssertionKey(bytes32 key) external view returns (Key memory);

    /// @notice Number of registered issuers (ids are `1..issuerCount()`).
    function issuerCount() external view returns (uint64);

    /// @notice Whether `issuerId` was accredited at time `at`.
    function isIssuerAccredited(uint64 issuerId, uint40 at) external view returns (bool);

    /// @notice Whether `key` was a valid (added, not retired, not compromised) signer key of `issuerId` at `at`.
    function isSignerKeyValid(uint64 issuerId, address key, uint40 at) external view returns (bool);

    /// @notice Whether `key` was a valid assertion key of `issuerId` at `at`.
    function isAssertionKeyValid(uint64 issuerId, bytes32 key, uint40 at) external view returns (bool);
}
