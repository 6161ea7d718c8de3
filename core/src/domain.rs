//! Domain-separation labels. Every signature, hash and key derivation in Ember starts from one
//! of these, so that bytes made for one purpose are never accepted for another. Each label ends
//! in a NUL byte, so no label is a prefix of another.

/// Account key signature over a device certificate body.
pub(crate) const DEVICE_CERTIFICATE: &[u8] = b"ember/v1/device-certificate\0";
/// Hash of a device certificate body, the certificate's fingerprint.
pub(crate) const CERTIFICATE_FINGERPRINT: &[u8] = b"ember/v1/certificate-fingerprint\0";
/// Device signature over a signed prekey.
pub(crate) const SIGNED_PREKEY: &[u8] = b"ember/v1/signed-prekey\0";
/// Device signature over a one-time prekey.
pub(crate) const ONE_TIME_PREKEY: &[u8] = b"ember/v1/one-time-prekey\0";
/// HKDF info of the X3DH secret.
pub(crate) const X3DH: &[u8] = b"ember/v1/x3dh\0";
/// HKDF info of a root-chain step.
pub(crate) const ROOT_CHAIN: &[u8] = b"ember/v1/root-chain\0";
/// Associated data prefix of a ratchet message.
pub(crate) const MESSAGE: &[u8] = b"ember/v1/message\0";
/// Safety number fingerprint iteration.
pub(crate) const SAFETY_NUMBER: &[u8] = b"ember/v1/safety-number\0";
/// Signature over a room message.
pub(crate) const ROOM_MESSAGE_SIGNATURE: &[u8] = b"ember/v1/room-message-signature\0";
/// Associated data of a room message.
pub(crate) const ROOM_MESSAGE: &[u8] = b"ember/v1/room-message\0";
/// HKDF info prefix of a file stream's chunk key, nonce prefix and key commitment.
pub(crate) const FILE: &[u8] = b"ember/v1/file\0";
/// HKDF info prefix of a call participant's SFrame base key; the KID (u64) and the SFrame
/// cipher suite (u16) follow, big-endian.
pub(crate) const SFRAME_BASE_KEY: &[u8] = b"ember/v1/sframe-base-key\0";

/// A network key's signature over its network descriptor body.
pub(crate) const NETWORK_DESCRIPTOR: &[u8] = b"ember/v1/network-descriptor\0";
/// The previous network key's endorsement of a descriptor that names a new network key.
pub(crate) const NETWORK_KEY_ROTATION: &[u8] = b"ember/v1/network-key-rotation\0";
/// The sending network key's signature over a federation envelope body.
pub(crate) const FEDERATION_ENVELOPE: &[u8] = b"ember/v1/federation-envelope\0";

/// A network key's signature over a retention configuration body.
pub(crate) const RETENTION_CONFIG: &[u8] = b"ember/v1/retention-config\0";
/// HKDF info prefix of the key that wraps an archive segment's data key.
pub(crate) const ARCHIVE_KEY_WRAP: &[u8] = b"ember/v1/archive-key-wrap\0";
/// SHA-256 of an archive segment header: the chain's start and every record's associated data.
pub(crate) const ARCHIVE_SEGMENT: &[u8] = b"ember/v1/archive-segment\0";
/// Each step of an archive segment's hash chain over its record frames.
pub(crate) const ARCHIVE_CHAIN: &[u8] = b"ember/v1/archive-chain\0";
/// The compliance device's signature over an archive segment's final chain hash.
pub(crate) const ARCHIVE_SIGNATURE: &[u8] = b"ember/v1/archive-signature\0";

/// A network key's signature over a security-group policy body.
pub(crate) const SECURITY_GROUP_POLICY: &[u8] = b"ember/v1/security-group-policy\0";
/// A network key's signature over a network settings body.
pub(crate) const NETWORK_SETTINGS: &[u8] = b"ember/v1/network-settings\0";

/// SHA-256 commitment of an ATAK plugin to its pairing nonce (protocol/atak.md).
pub(crate) const ATAK_COMMITMENT: &[u8] = b"ember/v1/atak-commitment\0";
/// SHA-256 transcript of an ATAK pairing: package, both ephemeral keys, both nonces.
pub(crate) const ATAK_TRANSCRIPT: &[u8] = b"ember/v1/atak-transcript\0";
/// SHA-256 of an ATAK pairing transcript to its six-digit short authentication string.
pub(crate) const ATAK_SAS: &[u8] = b"ember/v1/atak-sas\0";
/// HKDF info of an ATAK channel's id, direction keys and confirmation key.
pub(crate) const ATAK_CHANNEL: &[u8] = b"ember/v1/atak-channel\0";
/// HMAC input prefix of the messenger's ATAK pairing confirmation.
pub(crate) const ATAK_CONFIRM: &[u8] = b"ember/v1/atak-confirm\0";

/// HKDF info of the account root key's seed, derived from the master recovery key
/// (protocol/devices.md).
pub(crate) const ACCOUNT_ROOT: &[u8] = b"ember/v1/account-root\0";
/// HKDF info of the account id, derived from the master recovery key.
pub(crate) const ACCOUNT_ID: &[u8] = b"ember/v1/account-id\0";
/// SHA-256 checksum of a recovery key's QR payload.
pub(crate) const RECOVERY_CHECKSUM: &[u8] = b"ember/v1/recovery-checksum\0";
/// SHA-256 commitment of a new device to its linking nonce.
pub(crate) const LINK_COMMITMENT: &[u8] = b"ember/v1/link-commitment\0";
/// SHA-256 transcript hash of device linking, from which the short code comes.
pub(crate) const LINK_CODE: &[u8] = b"ember/v1/link-code\0";
/// Account key signature over a device list.
pub(crate) const DEVICE_LIST: &[u8] = b"ember/v1/device-list\0";
/// Network key signature over a directory entry.
pub(crate) const DIRECTORY_ENTRY: &[u8] = b"ember/v1/directory-entry\0";

#[cfg(test)]
mod tests {
    const LABELS: [&[u8]; 34] = [
        super::DEVICE_CERTIFICATE,
        super::CERTIFICATE_FINGERPRINT,
        super::SIGNED_PREKEY,
        super::ONE_TIME_PREKEY,
        super::X3DH,
        super::ROOT_CHAIN,
        super::MESSAGE,
        super::SAFETY_NUMBER,
        super::ROOM_MESSAGE_SIGNATURE,
        super::ROOM_MESSAGE,
        super::FILE,
        super::SFRAME_BASE_KEY,
        super::NETWORK_DESCRIPTOR,
        super::NETWORK_KEY_ROTATION,
        super::FEDERATION_ENVELOPE,
        super::RETENTION_CONFIG,
        super::ARCHIVE_KEY_WRAP,
        super::ARCHIVE_SEGMENT,
        super::ARCHIVE_CHAIN,
        super::ARCHIVE_SIGNATURE,
        super::SECURITY_GROUP_POLICY,
        super::NETWORK_SETTINGS,
        super::ATAK_COMMITMENT,
        super::ATAK_TRANSCRIPT,
        super::ATAK_SAS,
        super::ATAK_CHANNEL,
        super::ATAK_CONFIRM,
        super::ACCOUNT_ROOT,
        super::ACCOUNT_ID,
        super::RECOVERY_CHECKSUM,
        super::LINK_COMMITMENT,
        super::LINK_CODE,
        super::DEVICE_LIST,
        super::DIRECTORY_ENTRY,
    ];

    #[test]
    fn labels_are_prefix_free_and_specified() {
        let spec = include_str!("../../docs/PROTOCOL.md");
        for (i, label) in LABELS.iter().enumerate() {
            assert_eq!(label.last(), Some(&0), "label {i} ends in NUL");
            let text = core::str::from_utf8(&label[..label.len() - 1]).unwrap();
            assert!(
                spec.contains(&alloc::format!("`\"{text}\\0\"`")),
                "{text} is in the table"
            );
            for (j, other) in LABELS.iter().enumerate() {
                assert!(
                    i == j || !other.starts_with(label),
                    "{text} prefixes label {j}"
                );
            }
        }
    }
}
