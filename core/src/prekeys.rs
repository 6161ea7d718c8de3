//! Prekey bundles: what a device publishes so that others can start sessions with it while it
//! is offline.
//!
//! A bundle holds the device certificate, one signed prekey and any number of one-time
//! prekeys, each signed by the device key on its own: a directory hands out the certificate,
//! the signed prekey and one one-time prekey ([`PreKeyBundle::with_one_time_prekey`]) and the
//! subset still verifies. The suite id travels in the bundle; suite 1 ignores the reserved
//! post-quantum KEM prekey.

use alloc::vec::Vec;

use ember_proto::v1 as proto;
use prost::Message;

use crate::crypto::dh;
use crate::crypto::sign::Signature;
use crate::domain;
use crate::error::{BundleError, DecodeError};
use crate::identity::DeviceCertificate;
use crate::ids::Timestamp;
use crate::limits::{MAX_BUNDLE_ONE_TIME_PREKEYS, MAX_WIRE_LEN};
use crate::wire::{self, Suite};

/// A signed prekey as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SignedPreKey {
    pub(crate) id: u32,
    pub(crate) key: dh::PublicKey,
    pub(crate) created_at: Timestamp,
    pub(crate) signature: Signature,
}

/// A one-time prekey as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OneTimePreKey {
    pub(crate) id: u32,
    pub(crate) key: dh::PublicKey,
    pub(crate) signature: Signature,
}

/// A verified prekey bundle. Holding one proves that every signature in it verified; the
/// application still decides whether [`DeviceCertificate::account_key`] is the right account
/// ([`DeviceCertificate::check_account`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreKeyBundle {
    suite: Suite,
    certificate: DeviceCertificate,
    signed_prekey: SignedPreKey,
    one_time_prekeys: Vec<OneTimePreKey>,
}

impl PreKeyBundle {
    /// A bundle made by the device itself from keys it signed.
    pub(crate) fn assemble(
        certificate: DeviceCertificate,
        signed_prekey: SignedPreKey,
        one_time_prekeys: Vec<OneTimePreKey>,
    ) -> Self {
        Self {
            suite: Suite::Classic,
            certificate,
            signed_prekey,
            one_time_prekeys,
        }
    }

    /// Decodes a bundle and verifies the certificate and every prekey signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let bundle: proto::PreKeyBundle = wire::decode(bytes, MAX_WIRE_LEN)?;
        wire::check_version(bundle.version)?;
        let suite = Suite::from_id(bundle.suite)?;
        if bundle.one_time_prekeys.len() > MAX_BUNDLE_ONE_TIME_PREKEYS {
            return Err(DecodeError::TooMany {
                field: "one_time_prekeys",
                max: MAX_BUNDLE_ONE_TIME_PREKEYS,
            }
            .into());
        }
        let certificate =
            DeviceCertificate::from_wire(&wire::required(bundle.certificate, "certificate")?)?;
        let device_key = certificate.signing_key();

        let signed = wire::required(bundle.signed_prekey, "signed_prekey")?;
        let signed_prekey = SignedPreKey {
            id: signed.id,
            key: dh::PublicKey::from_bytes(wire::array(
                "signed_prekey.public_key",
                &signed.public_key,
            )?),
            created_at: Timestamp(signed.created_at),
            signature: Signature::from_bytes(wire::array(
                "signed_prekey.signature",
                &signed.signature,
            )?),
        };
        device_key
            .verify(
                domain::SIGNED_PREKEY,
                &signed_prekey_message(
                    signed_prekey.id,
                    signed_prekey.created_at,
                    &signed_prekey.key,
                ),
                &signed_prekey.signature,
            )
            .map_err(|_| BundleError::BadSignedPreKeySignature)?;

        let mut one_time_prekeys = Vec::with_capacity(bundle.one_time_prekeys.len());
        for prekey in &bundle.one_time_prekeys {
            let prekey = OneTimePreKey {
                id: prekey.id,
                key: dh::PublicKey::from_bytes(wire::array(
                    "one_time_prekey.public_key",
                    &prekey.public_key,
                )?),
                signature: Signature::from_bytes(wire::array(
                    "one_time_prekey.signature",
                    &prekey.signature,
                )?),
            };
            device_key
                .verify(
                    domain::ONE_TIME_PREKEY,
                    &one_time_prekey_message(prekey.id, &prekey.key),
                    &prekey.signature,
                )
                .map_err(|_| BundleError::BadOneTimePreKeySignature { id: prekey.id })?;
            one_time_prekeys.push(prekey);
        }
        Ok(Self {
            suite,
            certificate,
            signed_prekey,
            one_time_prekeys,
        })
    }

    /// The encoded bundle.
    pub fn to_bytes(&self) -> Vec<u8> {
        proto::PreKeyBundle {
            version: wire::VERSION,
            suite: self.suite.id(),
            certificate: Some(self.certificate.to_wire()),
            signed_prekey: Some(proto::SignedPreKey {
                id: self.signed_prekey.id,
                public_key: self.signed_prekey.key.as_bytes().to_vec(),
                created_at: self.signed_prekey.created_at.0,
                signature: self.signed_prekey.signature.as_bytes().to_vec(),
            }),
            one_time_prekeys: self
                .one_time_prekeys
                .iter()
                .map(|prekey| proto::OneTimePreKey {
                    id: prekey.id,
                    public_key: prekey.key.as_bytes().to_vec(),
                    signature: prekey.signature.as_bytes().to_vec(),
                })
                .collect(),
            kem_prekey: None,
        }
        .encode_to_vec()
    }

    /// The cipher suite.
    pub const fn suite(&self) -> Suite {
        self.suite
    }

    /// The device certificate.
    pub const fn certificate(&self) -> &DeviceCertificate {
        &self.certificate
    }

    /// The signed prekey's id.
    pub const fn signed_prekey_id(&self) -> u32 {
        self.signed_prekey.id
    }

    /// When the signed prekey was made, so a directory or client can refuse stale ones.
    pub const fn signed_prekey_created_at(&self) -> Timestamp {
        self.signed_prekey.created_at
    }

    /// The ids of the one-time prekeys in this bundle.
    pub fn one_time_prekey_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.one_time_prekeys.iter().map(|prekey| prekey.id)
    }

    /// The bundle with only the one-time prekey `id`: what a directory hands to one initiator.
    pub fn with_one_time_prekey(&self, id: u32) -> Option<Self> {
        let prekey = self
            .one_time_prekeys
            .iter()
            .find(|prekey| prekey.id == id)?;
        Some(Self {
            one_time_prekeys: alloc::vec![prekey.clone()],
            ..self.without_one_time_prekeys()
        })
    }

    /// The bundle without the one-time prekey `id`: what a directory keeps after handing
    /// that prekey out.
    pub fn without_one_time_prekey(&self, id: u32) -> Self {
        Self {
            one_time_prekeys: self
                .one_time_prekeys
                .iter()
                .filter(|prekey| prekey.id != id)
                .cloned()
                .collect(),
            ..self.without_one_time_prekeys()
        }
    }

    /// The bundle without one-time prekeys, for when the directory has run out of them.
    pub fn without_one_time_prekeys(&self) -> Self {
        Self {
            suite: self.suite,
            certificate: self.certificate.clone(),
            signed_prekey: self.signed_prekey.clone(),
            one_time_prekeys: Vec::new(),
        }
    }

    pub(crate) const fn signed_prekey(&self) -> &SignedPreKey {
        &self.signed_prekey
    }

    /// The one-time prekey a session started from this bundle uses: the first one.
    pub(crate) fn one_time_prekey(&self) -> Option<&OneTimePreKey> {
        self.one_time_prekeys.first()
    }
}

/// What the device signs for a signed prekey: suite, id, creation time, key.
pub(crate) fn signed_prekey_message(
    id: u32,
    created_at: Timestamp,
    key: &dh::PublicKey,
) -> [u8; 48] {
    let mut message = [0u8; 48];
    message[..4].copy_from_slice(&Suite::Classic.id().to_be_bytes());
    message[4..8].copy_from_slice(&id.to_be_bytes());
    message[8..16].copy_from_slice(&created_at.0.to_be_bytes());
    message[16..].copy_from_slice(key.as_bytes());
    message
}

/// What the device signs for a one-time prekey: suite, id, key.
pub(crate) fn one_time_prekey_message(id: u32, key: &dh::PublicKey) -> [u8; 40] {
    let mut message = [0u8; 40];
    message[..4].copy_from_slice(&Suite::Classic.id().to_be_bytes());
    message[4..8].copy_from_slice(&id.to_be_bytes());
    message[8..].copy_from_slice(key.as_bytes());
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Account;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn bundle_bytes() -> Vec<u8> {
        let mut rng = ChaCha20Rng::from_seed([8; 32]);
        let mut account = Account::generate(&mut rng);
        let mut device = account.new_device(&mut rng, Timestamp(1));
        device.generate_one_time_prekeys(&mut rng, 3);
        device.prekey_bundle().to_bytes()
    }

    #[test]
    fn round_trips_and_subsets_still_verify() {
        let bytes = bundle_bytes();
        let bundle = PreKeyBundle::from_bytes(&bytes).unwrap();
        assert_eq!(bundle.to_bytes(), bytes);
        let ids: Vec<u32> = bundle.one_time_prekey_ids().collect();
        assert_eq!(ids.len(), 3);
        let one = bundle.with_one_time_prekey(ids[1]).unwrap();
        let reread = PreKeyBundle::from_bytes(&one.to_bytes()).unwrap();
        assert_eq!(reread.one_time_prekey_ids().collect::<Vec<_>>(), [ids[1]]);
        assert!(bundle.with_one_time_prekey(9999).is_none());
        assert_eq!(
            PreKeyBundle::from_bytes(&bundle.without_one_time_prekeys().to_bytes())
                .unwrap()
                .one_time_prekey_ids()
                .count(),
            0
        );
    }

    #[test]
    fn rejects_swapped_keys_unknown_suite_and_version() {
        let bytes = bundle_bytes();
        let mut wire: proto::PreKeyBundle = wire::decode(&bytes, MAX_WIRE_LEN).unwrap();
        let mut swapped = wire.clone();
        let first = swapped.one_time_prekeys[0].public_key.clone();
        swapped.one_time_prekeys[0].public_key = swapped.one_time_prekeys[1].public_key.clone();
        swapped.one_time_prekeys[1].public_key = first;
        let id = swapped.one_time_prekeys[0].id;
        assert_eq!(
            PreKeyBundle::from_bytes(&swapped.encode_to_vec()),
            Err(BundleError::BadOneTimePreKeySignature { id })
        );
        let mut spk = wire.clone();
        spk.signed_prekey.as_mut().unwrap().created_at += 1;
        assert_eq!(
            PreKeyBundle::from_bytes(&spk.encode_to_vec()),
            Err(BundleError::BadSignedPreKeySignature)
        );
        let mut suite = wire.clone();
        suite.suite = 2;
        assert_eq!(
            PreKeyBundle::from_bytes(&suite.encode_to_vec()),
            Err(BundleError::Decode(DecodeError::UnsupportedSuite(2)))
        );
        wire.version = 9;
        assert_eq!(
            PreKeyBundle::from_bytes(&wire.encode_to_vec()),
            Err(BundleError::Decode(DecodeError::UnsupportedVersion(9)))
        );
        assert_eq!(
            PreKeyBundle::from_bytes(&[0xff, 0xff, 0xff]),
            Err(BundleError::Decode(DecodeError::Protobuf))
        );
    }
}
