// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IIssuerRegistryV2} from "./interfaces/IIssuerRegistryV2.sol";

/**
 * @title IssuerRegistryV2
 * @notice Accredited issuers, their identities and keys (version 2). Abstract: it is deployed
 * as part of {CredentialRegistryV2}, so that anchoring checks a key with one storage read and
 * verifiers trust a single address. Governance is two-step with a delay
 * ({AccessControlDefaultAdminRules}).
 */
abstract contract IssuerRegistryV2 is IIssuerRegistryV2, AccessControlDefaultAdminRules {
    /// @notice Role that registers issuers, sets their identity and accreditation, and corrects keys.
    bytes32 public constant ACCREDITOR_ROLE = keccak256("ACCREDITOR_ROLE");

    uint40 internal constant NEVER = type(uint40).max;

    /// @dev Identity and display name, kept apart from {Issuer} so that anchoring reads one slot.
    struct Profile {
        string identity;
        string name;
    }

    uint64 private _issuerCount;
    mapping(uint64 issuerId => Issuer) private _issuers;
    mapping(uint64 issuerId => Profile) private _profiles;
    mapping(address key => Key) private _keys;
    mapping(bytes32 key => Key) private _assertionKeys;

    /**
     * @param governance Receives `DEFAULT_ADMIN_ROLE` (grants and revokes roles) and `ACCREDITOR_ROLE`.
     * @param adminTransferDelay Seconds a new `DEFAULT_ADMIN_ROLE` holder waits before accepting.
     */
    constructor(address governance, uint48 adminTransferDelay)
        AccessControlDefaultAdminRules(adminTransferDelay, governance)
    {
        _grantRole(ACCREDITOR_ROLE, governance);
    }

    /// @inheritdoc IIssuerRegistryV2
    function registerIssuer(
        address admin,
        string calldata identity,
        string calldata name,
        uint40 validFrom,
        uint40 validUntil
    ) external onlyRole(ACCREDITOR_ROLE) returns (uint64 issuerId) {
        if (bytes(identity).length == 0) revert IssuerIdentityEmpty();
        if (validFrom == 0) validFrom = _time();
        if (validUntil == 0) validUntil = NEVER;
        if (validFrom >= validUntil) revert IssuerInvalidValidityWindow(validFrom, validUntil);
        issuerId = ++_issuerCount;
        _issuers[issuerId] = Issuer({admin: admin, validFrom: validFrom, validUntil: validUntil});
        _profiles[issuerId] = Profile({identity: identity, name: name});
        emit IssuerRegistered(issuerId, admin, identity, name, validFrom, validUntil);
        _bindKey(issuerId, admin, KeyRole.Admin);
    }

    /// @inheritdoc IIssuerRegistryV2
    function setIssuerValidity(uint64 issuerId, uint40 validFrom, uint40 validUntil)
        external
        onlyRole(ACCREDITOR_ROLE)
    {
        Issuer storage issuer = _existingIssuer(issuerId);
        if (validUntil == 0) validUntil = NEVER;
        if (validFrom >= validUntil) revert IssuerInvalidValidityWindow(validFrom, validUntil);
        issuer.validFrom = validFrom;
        issuer.validUntil = validUntil;
        emit IssuerValidityChanged(issuerId, validFrom, validUntil);
    }

    /// @inheritdoc IIssuerRegistryV2
    function setIssuerIdentity(uint64 issuerId, string calldata identity, string calldata name)
        external
        onlyRole(ACCREDITOR_ROLE)
    {
        _existingIssuer(issuerId);
        if (bytes(identity).length == 0) revert IssuerIdentityEmpty();
        _profiles[issuerId] = Profile({identity: identity, name: name});
        emit IssuerIdentityChanged(issuerId, identity, name);
    }

    /// @inheritdoc IIssuerRegistryV2
    function setIssuerAdmin(uint64 issuerId, address newAdmin) external onlyRole(ACCREDITOR_ROLE) {
        Issuer storage issuer = _existingIssuer(issuerId);
        address previousAdmin = issuer.admin;
        _bindKey(issuerId, newAdmin, KeyRole.Admin);
        issuer.admin = newAdmin;
        Key storage previous = _keys[previousAdmin];
        if (previous.retiredAt == NEVER) previous.retiredAt = _time();
        emit IssuerAdminChanged(issuerId, previousAdmin, newAdmin);
    }

    /// @inheritdoc IIssuerRegistryV2
    function addSignerKey(address key) external {
        _bindKey(_callerAdmin(), key, KeyRole.Signer);
    }

    /// @inheritdoc IIssuerRegistryV2
    function retireSignerKey(address key) external {
        Key storage signerKey = _existingKey(key);
        if (signerKey.role != KeyRole.Signer) revert KeyNotSigner(key);
        if (msg.sender != key) _requireAdminOrAccreditor(signerKey.issuerId);
        if (signerKey.retiredAt != NEVER) revert KeyAlreadyRetired(key, signerKey.retiredAt);
        uint40 now_ = _time();
        signerKey.retiredAt = now_;
        emit SignerKeyRetired(signerKey.issuerId, key, now_);
    }

    /// @inheritdoc IIssuerRegistryV2
    function markKeyCompromised(address key, uint40 since) external {
        if (msg.sender == key) revert KeySelfCompromise(key);
        Key storage record = _existingKey(key);
        uint64 issuerId = record.issuerId;
        if (record.role == KeyRole.Admin) {
            if (!hasRole(ACCREDITOR_ROLE, msg.sender)) revert IssuerUnauthorizedAdmin(msg.sender, issuerId);
        } else {
            _requireAdminOrAccreditor(issuerId);
        }
        if (since > _time() || since >= record.compromisedFrom) revert KeyInvalidCompromiseTime(key, since);
        record.compromisedFrom = since;
        emit KeyCompromised(issuerId, key, since);
    }

    /// @inheritdoc IIssuerRegistryV2
    function correctKeyCompromise(address key, uint40 compromisedFrom) external onlyRole(ACCREDITOR_ROLE) {
        Key storage record = _existingKey(key);
        if (!_isCorrectionTime(compromisedFrom)) revert KeyInvalidCompromiseTime(key, compromisedFrom);
        uint40 previous = record.compromisedFrom;
        record.compromisedFrom = compromisedFrom;
        emit KeyCompromiseCorrected(record.issuerId, key, previous, compromisedFrom);
    }

    /// @inheritdoc IIssuerRegistryV2
    function addAssertionKey(bytes32 key) external {
        uint64 issuerId = _callerAdmin();
        if (key == bytes32(0)) revert AssertionKeyInvalid(key);
        uint64 boundTo = _assertionKeys[key].issuerId;
        if (boundTo != 0) revert AssertionKeyAlreadyRegistered(key, boundTo);
        _assertionKeys[key] = _newKey(issuerId, KeyRole.Assertion);
        emit AssertionKeyAdded(issuerId, key);
    }

    /// @inheritdoc IIssuerRegistryV2
    function retireAssertionKey(bytes32 key) external {
        Key storage record = _existingAssertionKey(key);
        _requireAdminOrAccreditor(record.issuerId);
        if (record.retiredAt != NEVER) revert AssertionKeyAlreadyRetired(key, record.retiredAt);
        uint40 now_ = _time();
        record.retiredAt = now_;
        emit AssertionKeyRetired(record.issuerId, key, now_);
    }

    /// @inheritdoc IIssuerRegistryV2
    function markAssertionKeyCompromised(bytes32 key, uint40 since) external {
        Key storage record = _existingAssertionKey(key);
        _requireAdminOrAccreditor(record.issuerId);
        if (since > _time() || since >= record.compromisedFrom) revert AssertionKeyInvalidCompromiseTime(key, since);
        record.compromisedFrom = since;
        emit AssertionKeyCompromised(record.issuerId, key, since);
    }

    /// @inheritdoc IIssuerRegistryV2
    function correctAssertionKeyCompromise(bytes32 key, uint40 compromisedFrom)
        external
        onlyRole(ACCREDITOR_ROLE)
    {
        Key storage record = _existingAssertionKey(key);
        if (!_isCorrectionTime(compromisedFrom)) revert AssertionKeyInvalidCompromiseTime(key, compromisedFrom);
        uint40 previous = record.compromisedFrom;
        record.compromisedFrom = compromisedFrom;
        emit AssertionKeyCompromiseCorrected(record.issuerId, key, previous, compromisedFrom);
    }

    /// @inheritdoc IIssuerRegistryV2
    function getIssuer(uint64 issuerId)
        external
        view
        returns (Issuer memory issuer, string memory identity, string memory name)
    {
        issuer = _existingIssuer(issuerId);
        Profile storage profile = _profiles[issuerId];
        (identity, name) = (profile.identity, profile.name);
    }

    /// @inheritdoc IIssuerRegistryV2
    function getSignerKey(address key) external view returns (Key memory) {
        return _keys[key];
    }

    /// @inheritdoc IIssuerRegistryV2
    function getAssertionKey(bytes32 key) external view returns (Key memory) {
        return _assertionKeys[key];
    }

    /// @inheritdoc IIssuerRegistryV2
    function issuerCount() external view returns (uint64) {
        return _issuerCount;
    }

    /// @inheritdoc IIssuerRegistryV2
    function isIssuerAccredited(uint64 issuerId, uint40 at) public view returns (bool) {
        Issuer storage issuer = _issuers[issuerId];
        return issuer.admin != address(0) && issuer.validFrom <= at && at < issuer.validUntil;
    }

    /// @inheritdoc IIssuerRegistryV2
    function isSignerKeyValid(uint64 issuerId, address key, uint40 at) public view returns (bool) {
        Key memory record = _keys[key];
        return record.role == KeyRole.Signer && record.issuerId == issuerId && _isKeyValidAt(record, at);
    }

    /// @inheritdoc IIssuerRegistryV2
    function isAssertionKeyValid(uint64 issuerId, bytes32 key, uint40 at) external view returns (bool) {
        Key memory record = _assertionKeys[key];
        return record.issuerId == issuerId && issuerId != 0 && _isKeyValidAt(record, at);
    }

    /**
     * @dev The issuer of `msg.sender` if it is a signer key that can act now; reverts otherwise.
     * With `requireAccreditation`, the issuer must also be accredited now.
     */
    function _callerIssuer(bool requireAccreditation) internal view returns (uint64 issuerId) {
        Key memory signerKey = _keys[msg.sender];
        uint40 now_ = _time();
        issuerId = signerKey.issuerId;
        if (signerKey.role != KeyRole.Signer || !_canAct(signerKey, now_)) revert SignerKeyUnauthorized(msg.sender);
        if (requireAccreditation) {
            Issuer storage issuer = _issuers[issuerId];
            if (now_ < issuer.validFrom || now_ >= issuer.validUntil) revert IssuerNotAccredited(issuerId, now_);
        }
    }

    /// @dev The issuer whose current admin is `msg.sender`, able to act now; reverts otherwise.
    function _callerAdmin() internal view returns (uint64 issuerId) {
        Key memory adminKey = _keys[msg.sender];
        issuerId = adminKey.issuerId;
        if (adminKey.role != KeyRole.Admin || !_canAct(adminKey, _time()) || _issuers[issuerId].admin != msg.sender) {
            revert IssuerUnauthorizedAdmin(msg.sender, issuerId);
        }
    }

    /// @dev Identity and name of an issuer (empty if none).
    function _profile(uint64 issuerId) internal view returns (string memory identity, string memory name) {
        Profile storage profile = _profiles[issuerId];
        return (profile.identity, profile.name);
    }

    /// @dev Current time, overridable for tests.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    /// @dev Valid for what it did at `at`: inclusive of the retirement time, so what it did
    /// earlier in the block that retired it stays valid.
    function _isKeyValidAt(Key memory record, uint40 at) private pure returns (bool) {
        return record.addedAt <= at && at <= record.retiredAt && at < record.compromisedFrom;
    }

    /// @dev Allowed to act now: never once retired, and not compromised.
    function _canAct(Key memory record, uint40 now_) private pure returns (bool) {
        return record.retiredAt == NEVER && now_ < record.compromisedFrom;
    }

    /// @dev A correction is a past (or present) time, or "never".
    function _isCorrectionTime(uint40 compromisedFrom) private view returns (bool) {
        return compromisedFrom == NEVER || compromisedFrom <= _time();
    }

    /// @dev Reverts unless `msg.sender` is a current admin of `issuerId` or an accreditor.
    function _requireAdminOrAccreditor(uint64 issuerId) private view {
        if (hasRole(ACCREDITOR_ROLE, msg.sender)) return;
        if (_callerAdmin() != issuerId) revert IssuerUnauthorizedAdmin(msg.sender, issuerId);
    }

    function _bindKey(uint64 issuerId, address key, KeyRole role) private {
        if (key == address(0)) revert KeyInvalid(key);
        uint64 boundTo = _keys[key].issuerId;
        if (boundTo != 0) revert KeyAlreadyRegistered(key, boundTo);
        _keys[key] = _newKey(issuerId, role);
        if (role == KeyRole.Signer) emit SignerKeyAdded(issuerId, key);
    }

    function _newKey(uint64 issuerId, KeyRole role) private view returns (Key memory) {
        return Key({issuerId: issuerId, addedAt: _time(), retiredAt: NEVER, compromisedFrom: NEVER, role: role});
    }

    function _existingKey(address key) private view returns (Key storage record) {
        record = _keys[key];
        if (record.issuerId == 0) revert KeyNotFound(key);
    }

    function _existingAssertionKey(bytes32 key) private view returns (Key storage record) {
        record = _assertionKeys[key];
        if (record.issuerId == 0) revert AssertionKeyNotFound(key);
    }

    function _existingIssuer(uint64 issuerId) private view returns (Issuer storage issuer) {
        issuer = _issuers[issuerId];
        if (issuer.admin == address(0)) revert IssuerNotFound(issuerId);
    }
}
