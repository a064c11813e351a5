// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IIssuerRegistry} from "./interfaces/IIssuerRegistry.sol";

/**
 * @title IssuerRegistry
 * @notice Accredited issuers and their signer keys. Abstract: it is deployed as part of
 * {CredentialRegistry}, so that anchoring checks a key with one storage read instead of a
 * call to another contract, and verifiers trust a single address.
 */
abstract contract IssuerRegistry is IIssuerRegistry, AccessControl {
    /// @notice Role that registers issuers and sets their accreditation.
    bytes32 public constant ACCREDITOR_ROLE = keccak256("ACCREDITOR_ROLE");

    uint40 internal constant NEVER = type(uint40).max;

    uint64 private _issuerCount;
    mapping(uint64 issuerId => Issuer) private _issuers;
    mapping(uint64 issuerId => string) private _metadataURIs;
    mapping(address key => SignerKey) private _signerKeys;

    /// @param governance Receives `DEFAULT_ADMIN_ROLE` (grants and revokes roles) and `ACCREDITOR_ROLE`.
    constructor(address governance) {
        if (governance == address(0)) revert IssuerRegistryInvalidGovernance();
        _grantRole(DEFAULT_ADMIN_ROLE, governance);
        _grantRole(ACCREDITOR_ROLE, governance);
    }

    /// @inheritdoc IIssuerRegistry
    function registerIssuer(address admin, string calldata metadataURI, uint40 validFrom, uint40 validUntil)
        external
        onlyRole(ACCREDITOR_ROLE)
        returns (uint64 issuerId)
    {
        (validFrom, validUntil) = _normaliseWindow(validFrom, validUntil);
        issuerId = ++_issuerCount;
        _issuers[issuerId] = Issuer({admin: admin, validFrom: validFrom, validUntil: validUntil});
        _metadataURIs[issuerId] = metadataURI;
        emit IssuerRegistered(issuerId, admin, metadataURI, validFrom, validUntil);
        _bindSignerKey(issuerId, admin);
    }

    /// @inheritdoc IIssuerRegistry
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

    /// @inheritdoc IIssuerRegistry
    function setIssuerMetadata(uint64 issuerId, string calldata metadataURI) external {
        Issuer storage issuer = _existingIssuer(issuerId);
        if (issuer.admin != msg.sender && !hasRole(ACCREDITOR_ROLE, msg.sender)) {
            revert IssuerUnauthorizedAdmin(msg.sender, issuerId);
        }
        _metadataURIs[issuerId] = metadataURI;
        emit IssuerMetadataChanged(issuerId, metadataURI);
    }

    /// @inheritdoc IIssuerRegistry
    function setIssuerAdmin(uint64 issuerId, address newAdmin) external onlyRole(ACCREDITOR_ROLE) {
        Issuer storage issuer = _existingIssuer(issuerId);
        SignerKey memory existing = _signerKeys[newAdmin];
        uint64 boundTo = existing.issuerId;
        if (boundTo != 0 && boundTo != issuerId) revert SignerKeyAlreadyRegistered(newAdmin, boundTo);
        if (boundTo != 0 && !_canAct(existing, _time())) revert SignerKeyUnauthorized(newAdmin);
        address previousAdmin = issuer.admin;
        issuer.admin = newAdmin;
        emit IssuerAdminChanged(issuerId, previousAdmin, newAdmin);
        if (boundTo == 0) _bindSignerKey(issuerId, newAdmin);
    }

    /// @inheritdoc IIssuerRegistry
    function addSignerKey(address key) external {
        uint64 issuerId = _signerKeys[msg.sender].issuerId;
        if (issuerId == 0 || _issuers[issuerId].admin != msg.sender) {
            revert IssuerUnauthorizedAdmin(msg.sender, issuerId);
        }
        _bindSignerKey(issuerId, key);
    }

    /// @inheritdoc IIssuerRegistry
    function retireSignerKey(address key) external {
        SignerKey storage signerKey = msg.sender == key ? _existingKey(key) : _keyManagedByCaller(key);
        if (signerKey.retiredAt != NEVER) revert SignerKeyAlreadyRetired(key, signerKey.retiredAt);
        uint40 now_ = _time();
        signerKey.retiredAt = now_;
        emit SignerKeyRetired(signerKey.issuerId, key, now_);
    }

    /// @inheritdoc IIssuerRegistry
    function markSignerKeyCompromised(address key, uint40 since) external {
        SignerKey storage signerKey = _keyManagedByCaller(key);
        if (since > _time() || since >= signerKey.compromisedFrom) revert SignerKeyInvalidCompromiseTime(key, since);
        signerKey.compromisedFrom = since;
        emit SignerKeyCompromised(signerKey.issuerId, key, since);
    }

    /// @inheritdoc IIssuerRegistry
    function getIssuer(uint64 issuerId) external view returns (Issuer memory issuer, string memory metadataURI) {
        issuer = _existingIssuer(issuerId);
        metadataURI = _metadataURIs[issuerId];
    }

    /// @inheritdoc IIssuerRegistry
    function getSignerKey(address key) external view returns (SignerKey memory) {
        return _signerKeys[key];
    }

    /// @inheritdoc IIssuerRegistry
    function issuerCount() external view returns (uint64) {
        return _issuerCount;
    }

    /// @inheritdoc IIssuerRegistry
    function isIssuerAccredited(uint64 issuerId, uint40 at) public view returns (bool) {
        Issuer storage issuer = _issuers[issuerId];
        return issuer.admin != address(0) && issuer.validFrom <= at && at < issuer.validUntil;
    }

    /// @inheritdoc IIssuerRegistry
    function isSignerKeyValid(uint64 issuerId, address key, uint40 at) public view returns (bool) {
        SignerKey memory signerKey = _signerKeys[key];
        return signerKey.issuerId == issuerId && issuerId != 0 && _isKeyValidAt(signerKey, at);
    }

    /**
     * @dev The issuer of `msg.sender` if it is a currently valid key; reverts otherwise.
     * With `requireAccreditation`, the issuer must also be accredited now.
     */
    function _callerIssuer(bool requireAccreditation) internal view returns (uint64 issuerId) {
        SignerKey memory signerKey = _signerKeys[msg.sender];
        uint40 now_ = _time();
        issuerId = signerKey.issuerId;
        if (issuerId == 0 || !_canAct(signerKey, now_)) revert SignerKeyUnauthorized(msg.sender);
        if (requireAccreditation) {
            Issuer storage issuer = _issuers[issuerId];
            if (now_ < issuer.validFrom || now_ >= issuer.validUntil) revert IssuerNotAccredited(issuerId, now_);
        }
    }

    /// @dev The issuer a key belongs to (0 if none).
    function _issuerOfKey(address key) internal view returns (uint64) {
        return _signerKeys[key].issuerId;
    }

    /// @dev The metadata URI of an issuer (empty if none).
    function _metadataURI(uint64 issuerId) internal view returns (string memory) {
        return _metadataURIs[issuerId];
    }

    /// @dev Current time, overridable for tests.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    /// @dev Valid for what it did at `at`: inclusive of the retirement time, so anchors made
    /// earlier in the block that retired the key stay valid.
    function _isKeyValidAt(SignerKey memory signerKey, uint40 at) private pure returns (bool) {
        return signerKey.addedAt <= at && at <= signerKey.retiredAt && at < signerKey.compromisedFrom;
    }

    /// @dev Allowed to act now: never once retired, and not compromised.
    function _canAct(SignerKey memory signerKey, uint40 now_) private pure returns (bool) {
        return signerKey.retiredAt == NEVER && now_ < signerKey.compromisedFrom;
    }

    function _bindSignerKey(uint64 issuerId, address key) private {
        if (key == address(0)) revert SignerKeyInvalid(key);
        uint64 boundTo = _signerKeys[key].issuerId;
        if (boundTo != 0) revert SignerKeyAlreadyRegistered(key, boundTo);
        _signerKeys[key] =
            SignerKey({issuerId: issuerId, addedAt: _time(), retiredAt: NEVER, compromisedFrom: NEVER});
        emit SignerKeyAdded(issuerId, key);
    }

    function _existingKey(address key) private view returns (SignerKey storage signerKey) {
        signerKey = _signerKeys[key];
        if (signerKey.issuerId == 0) revert SignerKeyNotFound(key);
    }

    function _keyManagedByCaller(address key) private view returns (SignerKey storage signerKey) {
        signerKey = _existingKey(key);
        uint64 issuerId = signerKey.issuerId;
        if (_issuers[issuerId].admin != msg.sender && !hasRole(ACCREDITOR_ROLE, msg.sender)) {
            revert IssuerUnauthorizedAdmin(msg.sender, issuerId);
        }
    }

    function _existingIssuer(uint64 issuerId) private view returns (Issuer storage issuer) {
        issuer = _issuers[issuerId];
        if (issuer.admin == address(0)) revert IssuerNotFound(issuerId);
    }

    function _normaliseWindow(uint40 validFrom, uint40 validUntil) private view returns (uint40, uint40) {
        if (validFrom == 0) validFrom = _time();
        if (validUntil == 0) validUntil = NEVER;
        if (validFrom >= validUntil) revert IssuerInvalidValidityWindow(validFrom, validUntil);
        return (validFrom, validUntil);
    }
}
