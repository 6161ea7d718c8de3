//! Device certificates: the account key's signature over a device's public keys.

use alloc::vec::Vec;

use ember_proto::v1 as proto;
use prost::Message;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::crypto::dh;
use crate::crypto::sign::{Signature, SigningKey, VerifyingKey};
use crate::domain;
use crate::error::{CertificateError, DecodeError};
use crate::ids::{AccountId, DeviceAddress, DeviceId, Timestamp};
use crate::limits::MAX_WIRE_LEN;
use crate::wire;

/// A verified device certificate.
///
/// The only ways to get one are to issue it with the account key or to decode one whose
/// signature verifies under the account key it names; so holding one proves the signature.
/// Whether that account key is the right one for the person is the application's decision
/// (the directory, or a compared safety number); [`DeviceCertificate::check_account`] makes it.
#[derive(Clone, Debug)]
pub struct DeviceCertificate {
    account_id: AccountId,
    account_key: VerifyingKey,
    device_id: DeviceId,
    signing_key: VerifyingKey,
    agreement_key: dh::PublicKey,
    created_at: Timestamp,
    body: Vec<u8>,
    signature: Signature,
    fingerprint: [u8; 32],
}

impl DeviceCertificate {
    /// Signs a certificate for a device's public keys with the account root key.
    pub(crate) fn issue(
        account_id: AccountId,
        root: &SigningKey,
        device_id: DeviceId,
        signing_key: VerifyingKey,
        agreement_key: dh::PublicKey,
        created_at: Timestamp,
    ) -> Self {
        let account_key = root.verifying_key();
        let body = proto::DeviceCertificateBody {
            version: wire::VERSION,
            account_id: account_id.as_bytes().to_vec(),
            account_key: account_key.to_bytes().to_vec(),
            device_id: device_id.0,
            device_signing_key: signing_key.to_bytes().to_vec(),
            device_agreement_key: agreement_key.as_bytes().to_vec(),
            created_at: created_at.0,
        }
        .encode_to_vec();
        let signature = root.sign(domain::DEVICE_CERTIFICATE, &body);
        let fingerprint = fingerprint(&body);
        Self {
            account_id,
            account_key,
            device_id,
            signing_key,
            agreement_key,
            created_at,
            body,
            signature,
            fingerprint,
        }
    }

    /// Decodes a certificate and verifies its signature under the account key it names.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CertificateError> {
        Self::from_wire(&wire::decode(bytes, MAX_WIRE_LEN)?)
    }

    /// The encoded certificate.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_wire().encode_to_vec()
    }

    pub(crate) fn from_wire(
        certificate: &proto::DeviceCertificate,
    ) -> Result<Self, CertificateError> {
        Self::parse(certificate, true)
    }

    /// Decodes a certificate from sealed state, whose tag already proved it is our own
    /// (verified) copy: the signature is not checked again.
    pub(crate) fn from_sealed(certificate: &proto::DeviceCertificate) -> Result<Self, DecodeError> {
        Self::parse(certificate, false).map_err(|error| match error {
            CertificateError::Decode(error) => error,
            _ => DecodeError::Protobuf,
        })
    }

    fn parse(
        certificate: &proto::DeviceCertificate,
        verify: bool,
    ) -> Result<Self, CertificateError> {
        let body: proto::DeviceCertificateBody = wire::decode(&certificate.body, MAX_WIRE_LEN)?;
        wire::check_version(body.version)?;
        let account_key = VerifyingKey::from_bytes(&wire::array("account_key", &body.account_key)?)
            .map_err(|_| DecodeError::BadKey("account_key"))?;
        let signature = Signature::from_bytes(wire::array("signature", &certificate.signature)?);
        if verify {
            account_key
                .verify(domain::DEVICE_CERTIFICATE, &certificate.body, &signature)
                .map_err(|_| CertificateError::BadSignature)?;
        }
        let signing_key = VerifyingKey::from_bytes(&wire::array(
            "device_signing_key",
            &body.device_signing_key,
        )?)
        .map_err(|_| DecodeError::BadKey("device_signing_key"))?;
        Ok(Self {
            account_id: AccountId::from_bytes(wire::array("account_id", &body.account_id)?),
            account_key,
            device_id: DeviceId(body.device_id),
            signing_key,
            agreement_key: dh::PublicKey::from_bytes(wire::array(
                "device_agreement_key",
                &body.device_agreement_key,
            )?),
            created_at: Timestamp(body.created_at),
            fingerprint: fingerprint(&certificate.body),
            body: certificate.body.clone(),
            signature,
        })
    }

    pub(crate) fn to_wire(&self) -> proto::DeviceCertificate {
        proto::DeviceCertificate {
            body: self.body.clone(),
            signature: self.signature.as_bytes().to_vec(),
        }
    }

    /// Checks that the certificate was signed by `trusted`, the account key the application
    /// knows for this person. Compared in constant time.
    pub fn check_account(&self, trusted: &VerifyingKey) -> Result<(), CertificateError> {
        if bool::from(self.account_key.to_bytes().ct_eq(&trusted.to_bytes())) {
            Ok(())
        } else {
            Err(CertificateError::UntrustedAccount)
        }
    }

    /// The account this device belongs to.
    pub const fn account_id(&self) -> AccountId {
        self.account_id
    }

    /// The account root key that signed this certificate.
    pub const fn account_key(&self) -> &VerifyingKey {
        &self.account_key
    }

    /// The device's number within its account.
    pub const fn device_id(&self) -> DeviceId {
        self.device_id
    }

    /// The device's address.
    pub const fn address(&self) -> DeviceAddress {
        DeviceAddress {
            account: self.account_id,
            device: self.device_id,
        }
    }

    /// The device's signing key, which signs its prekeys.
    pub const fn signing_key(&self) -> &VerifyingKey {
        &self.signing_key
    }

    /// The device's long-term X25519 identity key.
    pub const fn agreement_key(&self) -> &dh::PublicKey {
        &self.agreement_key
    }

    /// When the account certified the device.
    pub const fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// SHA-256 over the label and the signed body: what message associated data binds.
    pub const fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }
}

impl PartialEq for DeviceCertificate {
    fn eq(&self, other: &Self) -> bool {
        self.body == other.body && self.signature == other.signature
    }
}

impl Eq for DeviceCertificate {}

fn fingerprint(body: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(domain::CERTIFICATE_FINGERPRINT)
        .chain_update(body)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Account;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn round_trips_and_rejects_any_altered_byte() {
        let mut rng = ChaCha20Rng::from_seed([5; 32]);
        let mut account = Account::generate(&mut rng);
        let device = account.new_device(&mut rng, Timestamp(100));
        let bytes = device.certificate().to_bytes();
        let decoded = DeviceCertificate::from_bytes(&bytes).unwrap();
        assert_eq!(&decoded, device.certificate());
        assert_eq!(decoded.fingerprint(), device.certificate().fingerprint());
        assert_eq!(decoded.check_account(&account.public_key()), Ok(()));
        let other = Account::generate(&mut rng);
        assert_eq!(
            decoded.check_account(&other.public_key()),
            Err(CertificateError::UntrustedAccount)
        );
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(
                DeviceCertificate::from_bytes(&bad).is_err(),
                "byte {i} altered"
            );
        }
    }

    #[test]
    fn rejects_a_certificate_signed_by_another_key() {
        let mut rng = ChaCha20Rng::from_seed([6; 32]);
        let mut account = Account::generate(&mut rng);
        let device = account.new_device(&mut rng, Timestamp(100));
        let mut wire = device.certificate().to_wire();
        let forger = SigningKey::generate(&mut rng);
        wire.signature = forger
            .sign(domain::DEVICE_CERTIFICATE, &wire.body)
            .as_bytes()
            .to_vec();
        assert_eq!(
            DeviceCertificate::from_wire(&wire),
            Err(CertificateError::BadSignature)
        );
    }
}
