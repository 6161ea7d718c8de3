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

#[cfg(test)]
mod tests {
    const LABELS: [&[u8]; 12] = [
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
