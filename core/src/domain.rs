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
