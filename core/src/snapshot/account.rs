//! Sealing and opening accounts and devices.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use ember_proto::v1 as proto;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;

use super::{Kind, SnapshotKey, open, seal};
use crate::crypto::Secret32;
use crate::crypto::dh::PrivateKey;
use crate::crypto::sign::{Signature, SigningKey};
use crate::error::{DecodeError, SnapshotError};
use crate::identity::device::{OneTimePreKeyPair, SignedPreKeyPair};
use crate::identity::{Account, Device, DeviceCertificate, RecoveryKey};
use crate::ids::{AccountId, Timestamp};
use crate::limits::{MAX_ONE_TIME_PREKEYS, MAX_SIGNED_PREKEYS};
use crate::wire;

/// The version of the account and device state layout.
const STATE_FORMAT: u32 = 1;

pub(super) fn secret(field: &'static str, bytes: &[u8]) -> Result<Secret32, DecodeError> {
    Secret32::from_slice(bytes).ok_or(DecodeError::BadLength {
        field,
        expected: 32,
        got: bytes.len(),
    })
}

impl Account {
    /// Seals the account (including its root key) under `key`.
    pub fn seal(
        &self,
        key: &SnapshotKey,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>, SnapshotError> {
        let state = proto::AccountState {
            format: STATE_FORMAT,
            account_id: self.id.as_bytes().to_vec(),
            root_key: self.root.to_secret().expose().to_vec(),
            next_device_id: self.next_device_id,
            recovery_key: self
                .recovery
                .as_ref()
                .map(|key| key.expose().to_vec())
                .unwrap_or_default(),
        };
        seal(key, Kind::Account, rng, &state)
    }

    /// Opens an account sealed by [`Account::seal`].
    ///
    /// A snapshot written before recovery keys existed holds only the id and root key; one
    /// that holds the recovery key must hold the id and root key it derives.
    pub fn open(key: &SnapshotKey, sealed: &[u8]) -> Result<Self, SnapshotError> {
        let state: proto::AccountState = open(key, Kind::Account, sealed)?;
        let id = AccountId::from_bytes(wire::array("account_id", &state.account_id)?);
        let root = secret("root_key", &state.root_key)?;
        let recovery = if state.recovery_key.is_empty() {
            None
        } else {
            let mut bytes = wire::array("recovery_key", &state.recovery_key)?;
            let recovery = RecoveryKey::from_bytes(&mut bytes);
            let derived = recovery.root_key().to_secret();
            if recovery.account_id() != id || !bool::from(derived.ct_eq(&root)) {
                return Err(DecodeError::OutOfRange("recovery_key").into());
            }
            Some(recovery)
        };
        Ok(Self {
            id,
            root: SigningKey::from_secret(&root),
            next_device_id: state.next_device_id.max(1),
            recovery,
        })
    }
}

impl Device {
    /// Seals the device (keys, certificate, unconsumed prekeys) under `key`.
    pub fn seal(
        &self,
        key: &SnapshotKey,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>, SnapshotError> {
        let signed_prekeys = self
            .previous_signed_prekeys
            .iter()
            .chain(core::iter::once(&self.signed_prekey))
            .map(|pair| proto::SignedPreKeySecret {
                id: pair.id,
                secret: pair.key.to_secret().expose().to_vec(),
                created_at: pair.created_at.0,
                signature: pair.signature.as_bytes().to_vec(),
            })
            .collect();
        let one_time_prekeys = self
            .one_time_prekeys
            .iter()
            .map(|(&id, pair)| proto::OneTimePreKeySecret {
                id,
                secret: pair.key.to_secret().expose().to_vec(),
                signature: pair.signature.as_bytes().to_vec(),
            })
            .collect();
        let state = proto::DeviceState {
            format: STATE_FORMAT,
            signing_key: self.signing.to_secret().expose().to_vec(),
            agreement_key: self.agreement.to_secret().expose().to_vec(),
            certificate: Some(self.certificate.to_wire()),
            signed_prekeys,
            one_time_prekeys,
            next_prekey_id: self.next_prekey_id,
        };
        seal(key, Kind::Device, rng, &state)
    }

    /// Opens a device sealed by [`Device::seal`].
    pub fn open(key: &SnapshotKey, sealed: &[u8]) -> Result<Self, SnapshotError> {
        let state: proto::DeviceState = open(key, Kind::Device, sealed)?;
        if state.signed_prekeys.len() > MAX_SIGNED_PREKEYS {
            return Err(DecodeError::TooMany {
                field: "signed_prekeys",
                max: MAX_SIGNED_PREKEYS,
            }
            .into());
        }
        if state.one_time_prekeys.len() > MAX_ONE_TIME_PREKEYS {
            return Err(DecodeError::TooMany {
                field: "one_time_prekeys",
                max: MAX_ONE_TIME_PREKEYS,
            }
            .into());
        }
        let mut signed_prekeys = state
            .signed_prekeys
            .iter()
            .map(|prekey| {
                Ok(SignedPreKeyPair {
                    id: prekey.id,
                    key: PrivateKey::from_secret(&secret("signed_prekey.secret", &prekey.secret)?),
                    created_at: Timestamp(prekey.created_at),
                    signature: Signature::from_bytes(wire::array(
                        "signed_prekey.signature",
                        &prekey.signature,
                    )?),
                })
            })
            .collect::<Result<Vec<_>, DecodeError>>()?;
        let signed_prekey = signed_prekeys
            .pop()
            .ok_or(DecodeError::MissingField("signed_prekeys"))?;
        let one_time_prekeys = state
            .one_time_prekeys
            .iter()
            .map(|prekey| {
                Ok((
                    prekey.id,
                    OneTimePreKeyPair {
                        key: PrivateKey::from_secret(&secret(
                            "one_time_prekey.secret",
                            &prekey.secret,
                        )?),
                        signature: Signature::from_bytes(wire::array(
                            "one_time_prekey.signature",
                            &prekey.signature,
                        )?),
                    },
                ))
            })
            .collect::<Result<BTreeMap<_, _>, DecodeError>>()?;
        let certificate = state
            .certificate
            .as_ref()
            .ok_or(DecodeError::MissingField("certificate"))?;
        Ok(Self {
            signing: SigningKey::from_secret(&secret("signing_key", &state.signing_key)?),
            agreement: PrivateKey::from_secret(&secret("agreement_key", &state.agreement_key)?),
            certificate: DeviceCertificate::from_sealed(certificate)?,
            signed_prekey,
            previous_signed_prekeys: signed_prekeys,
            one_time_prekeys,
            next_prekey_id: state.next_prekey_id.max(1),
        })
    }
}
