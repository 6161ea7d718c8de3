//! Device lists: which devices an account has now, signed by its root key.
//!
//! A certificate proves that the account key once vouched for a device; it cannot be taken
//! back. The device list is how the account takes it back: a versioned list of the current
//! devices (each by id and certificate fingerprint), signed by the root key. Revoking a
//! device is publishing a list without it. Peers apply the latest list to their
//! [`crate::session::SessionBook`], which then drops the sessions of devices not listed and
//! refuses to start new ones; an older list than the one applied is refused, so a revoked
//! device cannot come back by replaying the list from before its revocation.
//!
//! ```
//! use ember_core::identity::{Account, VerifiedDeviceList};
//! use ember_core::Timestamp;
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([4; 32]);
//! let mut account = Account::generate(&mut rng);
//! let phone = account.new_device(&mut rng, Timestamp(100));
//! let laptop = account.new_device(&mut rng, Timestamp(100));
//! let list = account.device_list(1, [phone.certificate(), laptop.certificate()], Timestamp(100))?;
//!
//! // The laptop is stolen: the phone (which holds the root key) revokes it.
//! let revoked = account.revoke_device(&list, laptop.certificate().device_id(), Timestamp(200))?;
//!
//! // A peer verifies the list under the account key it trusts (directory or safety number).
//! let seen = VerifiedDeviceList::verify(&revoked.to_bytes(), &account.public_identity())?;
//! assert!(seen.contains(phone.certificate()));
//! assert!(!seen.contains(laptop.certificate()));
//! # Ok::<(), ember_core::identity::DeviceListError>(())
//! ```

use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;

use super::{Account, DeviceCertificate, PublicIdentity};
use crate::crypto::sign::{Signature, VerifyingKey};
use crate::domain;
use crate::error::DecodeError;
use crate::ids::{AccountId, DeviceAddress, DeviceId, Timestamp};
use crate::wire;

/// Most devices one device list names. The same as a room member's device bound
/// ([`crate::limits::MAX_DEVICES_PER_MEMBER`]), so that every listed device fits in a room.
pub const MAX_LISTED_DEVICES: usize = crate::limits::MAX_DEVICES_PER_MEMBER;
/// Largest encoded device list accepted. A full list is about 900 bytes.
pub const MAX_DEVICE_LIST_LEN: usize = 4096;

/// A device list was refused, or could not be made. None of the variants holds key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceListError {
    /// The list is malformed (including device ids out of order or repeated, and a version 0).
    Decode(DecodeError),
    /// The list is signed by, or names, another account than the one trusted.
    UntrustedAccount,
    /// The account key's signature does not verify.
    BadSignature,
    /// A list may name at most [`MAX_LISTED_DEVICES`] devices.
    TooManyDevices {
        /// The number named.
        got: usize,
        /// The bound.
        max: usize,
    },
    /// A certificate of another account was given to this account's list.
    ForeignDevice,
    /// Two certificates with the same device id were given.
    DuplicateDevice {
        /// The device id.
        device: DeviceId,
    },
    /// The device to revoke is not in the list.
    NotListed {
        /// The device id.
        device: DeviceId,
    },
    /// Not strictly newer than the list it would replace (or the same version with other
    /// contents).
    Stale {
        /// The version given.
        got: u64,
        /// The current version.
        current: u64,
    },
    /// The list version cannot grow any further.
    VersionExhausted,
}

impl fmt::Display for DeviceListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "device list rejected: {self:?}")
    }
}

impl core::error::Error for DeviceListError {}

impl From<DecodeError> for DeviceListError {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}

/// One listed device: its id and the fingerprint of the certificate the account issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    device: DeviceId,
    fingerprint: [u8; 32],
}

/// A device list whose signature verified under a trusted account key (or that the account
/// signed itself); holding one proves it.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedDeviceList {
    account: PublicIdentity,
    version: u64,
    issued_at: Timestamp,
    next_device_id: u32,
    /// Ascending by device id.
    entries: Vec<Entry>,
    body: Vec<u8>,
    signature: Signature,
}

impl VerifiedDeviceList {
    /// Decodes a list and verifies it under `trusted`, the account the application trusts for
    /// this person (from a [`super::VerifiedDirectoryEntry`] or a compared safety number).
    pub fn verify(bytes: &[u8], trusted: &PublicIdentity) -> Result<Self, DeviceListError> {
        let wire: proto::DeviceList = wire::decode(bytes, MAX_DEVICE_LIST_LEN)?;
        let list = Self::parse(&wire)?;
        if list.account != *trusted {
            return Err(DeviceListError::UntrustedAccount);
        }
        list.account
            .key
            .verify(domain::DEVICE_LIST, &list.body, &list.signature)
            .map_err(|_| DeviceListError::BadSignature)?;
        Ok(list)
    }

    /// Decodes a list from sealed state, whose tag already proved it is our own verified copy.
    pub(crate) fn from_sealed(bytes: &[u8]) -> Result<Self, DecodeError> {
        let wire: proto::DeviceList = wire::decode(bytes, MAX_DEVICE_LIST_LEN)?;
        Self::parse(&wire).map_err(|error| match error {
            DeviceListError::Decode(error) => error,
            _ => DecodeError::Protobuf,
        })
    }

    fn parse(wire: &proto::DeviceList) -> Result<Self, DeviceListError> {
        let body: proto::DeviceListBody = wire::decode(&wire.body, MAX_DEVICE_LIST_LEN)?;
        wire::check_version(body.version)?;
        if body.devices.len() > MAX_LISTED_DEVICES {
            return Err(DeviceListError::TooManyDevices {
                got: body.devices.len(),
                max: MAX_LISTED_DEVICES,
            });
        }
        if body.list_version == 0 {
            return Err(DecodeError::OutOfRange("list_version").into());
        }
        let key = VerifyingKey::from_bytes(&wire::array("account_key", &body.account_key)?)
            .map_err(|_| DecodeError::BadKey("account_key"))?;
        let mut entries = Vec::with_capacity(body.devices.len());
        for device in &body.devices {
            let previous = entries.last().map_or(0, |entry: &Entry| entry.device.0);
            if device.device_id <= previous || device.device_id >= body.next_device_id {
                return Err(DecodeError::OutOfRange("device_id").into());
            }
            entries.push(Entry {
                device: DeviceId(device.device_id),
                fingerprint: wire::array(
                    "certificate_fingerprint",
                    &device.certificate_fingerprint,
                )?,
            });
        }
        Ok(Self {
            account: PublicIdentity {
                id: AccountId::from_bytes(wire::array("account_id", &body.account_id)?),
                key,
            },
            version: body.list_version,
            issued_at: Timestamp(body.issued_at),
            next_device_id: body.next_device_id,
            entries,
            body: wire.body.clone(),
            signature: Signature::from_bytes(wire::array("signature", &wire.signature)?),
        })
    }

    /// The encoded, signed list, to publish.
    pub fn to_bytes(&self) -> Vec<u8> {
        proto::DeviceList {
            body: self.body.clone(),
            signature: self.signature.as_bytes().to_vec(),
        }
        .encode_to_vec()
    }

    /// Whether `certificate` is one of the listed devices: same account and account key, same
    /// device id, same certificate (by fingerprint). A certificate of a device not listed is
    /// not to be trusted, however valid its signature.
    pub fn contains(&self, certificate: &DeviceCertificate) -> bool {
        certificate.account_id() == self.account.id
            && certificate.account_key() == &self.account.key
            && self.entries.iter().any(|entry| {
                entry.device == certificate.device_id()
                    && entry.fingerprint == *certificate.fingerprint()
            })
    }

    /// Whether a device with this address is listed (under any certificate).
    pub fn lists(&self, address: &DeviceAddress) -> bool {
        address.account == self.account.id
            && self
                .entries
                .iter()
                .any(|entry| entry.device == address.device)
    }

    /// Checks that this list may replace `current`, the one applied so far: same account and
    /// a higher version. Returns `Ok(false)` for the very same list (nothing to do).
    pub fn check_update(&self, current: &Self) -> Result<bool, DeviceListError> {
        if self.account != current.account {
            return Err(DeviceListError::UntrustedAccount);
        }
        if self.version > current.version {
            Ok(true)
        } else if self.version == current.version && self.body == current.body {
            Ok(false)
        } else {
            Err(DeviceListError::Stale {
                got: self.version,
                current: current.version,
            })
        }
    }

    /// The account whose devices these are.
    pub const fn account(&self) -> PublicIdentity {
        self.account
    }

    /// The list's version; each new list of the account has a higher one.
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// When the account signed it.
    pub const fn issued_at(&self) -> Timestamp {
        self.issued_at
    }

    /// Every device id the account has issued is below this one.
    pub const fn next_device_id(&self) -> DeviceId {
        DeviceId(self.next_device_id)
    }

    /// The listed devices, by ascending id.
    pub fn devices(&self) -> impl Iterator<Item = DeviceAddress> + '_ {
        self.entries.iter().map(|entry| DeviceAddress {
            account: self.account.id,
            device: entry.device,
        })
    }

    /// How many devices are listed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no device is listed (every device of the account was revoked).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for VerifiedDeviceList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            account,
            version,
            issued_at,
            next_device_id,
            entries,
            body: _,
            signature: _,
        } = self;
        f.debug_struct("VerifiedDeviceList")
            .field("account", &account.id)
            .field("version", version)
            .field("issued_at", issued_at)
            .field("next_device_id", next_device_id)
            .field(
                "devices",
                &entries
                    .iter()
                    .map(|entry| entry.device.0)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Account {
    /// Signs a device list of version `version` naming `devices`, certificates this account
    /// issued. The first list of an account has version 1; later ones come from
    /// [`Account::add_to_device_list`] and [`Account::revoke_device`].
    pub fn device_list<'a>(
        &self,
        version: u64,
        devices: impl IntoIterator<Item = &'a DeviceCertificate>,
        now: Timestamp,
    ) -> Result<VerifiedDeviceList, DeviceListError> {
        let mut entries = Vec::new();
        for certificate in devices {
            if certificate.account_id() != self.id
                || certificate.account_key() != &self.public_key()
            {
                return Err(DeviceListError::ForeignDevice);
            }
            entries.push(Entry {
                device: certificate.device_id(),
                fingerprint: *certificate.fingerprint(),
            });
        }
        self.sign_entries(version, entries, 0, now)
    }

    /// The list after `current` with `certificate`'s device added (or its certificate
    /// replaced), one version higher.
    pub fn add_to_device_list(
        &self,
        current: &VerifiedDeviceList,
        certificate: &DeviceCertificate,
        now: Timestamp,
    ) -> Result<VerifiedDeviceList, DeviceListError> {
        self.check_own(current)?;
        if certificate.account_id() != self.id || certificate.account_key() != &self.public_key() {
            return Err(DeviceListError::ForeignDevice);
        }
        let mut entries: Vec<Entry> = current
            .entries
            .iter()
            .filter(|entry| entry.device != certificate.device_id())
            .copied()
            .collect();
        entries.push(Entry {
            device: certificate.device_id(),
            fingerprint: *certificate.fingerprint(),
        });
        let version = next_version(current)?;
        self.sign_entries(version, entries, current.next_device_id, now)
    }

    /// The list after `current` without `device`, one version higher: revokes the device.
    /// Peers that apply it stop encrypting to the device and drop their sessions with it.
    pub fn revoke_device(
        &self,
        current: &VerifiedDeviceList,
        device: DeviceId,
        now: Timestamp,
    ) -> Result<VerifiedDeviceList, DeviceListError> {
        self.check_own(current)?;
        if !current.entries.iter().any(|entry| entry.device == device) {
            return Err(DeviceListError::NotListed { device });
        }
        let entries = current
            .entries
            .iter()
            .filter(|entry| entry.device != device)
            .copied()
            .collect();
        let version = next_version(current)?;
        self.sign_entries(version, entries, current.next_device_id, now)
    }

    /// Moves the next device id past every id that `list` says was issued, so that a device
    /// certified from now on never takes the id of an earlier one (after
    /// [`Account::from_recovery_key`], the account does not know them otherwise).
    pub fn catch_up(&mut self, list: &VerifiedDeviceList) -> Result<(), DeviceListError> {
        self.check_own(list)?;
        self.next_device_id = self.next_device_id.max(list.next_device_id);
        Ok(())
    }

    fn check_own(&self, list: &VerifiedDeviceList) -> Result<(), DeviceListError> {
        if list.account == self.public_identity() {
            Ok(())
        } else {
            Err(DeviceListError::UntrustedAccount)
        }
    }

    fn sign_entries(
        &self,
        version: u64,
        mut entries: Vec<Entry>,
        next_device_id: u32,
        now: Timestamp,
    ) -> Result<VerifiedDeviceList, DeviceListError> {
        if version == 0 {
            return Err(DecodeError::OutOfRange("list_version").into());
        }
        if entries.len() > MAX_LISTED_DEVICES {
            return Err(DeviceListError::TooManyDevices {
                got: entries.len(),
                max: MAX_LISTED_DEVICES,
            });
        }
        entries.sort_by_key(|entry| entry.device);
        for pair in entries.windows(2) {
            if pair[0].device == pair[1].device {
                return Err(DeviceListError::DuplicateDevice {
                    device: pair[0].device,
                });
            }
        }
        let highest = entries.last().map_or(0, |entry| entry.device.0);
        let next_device_id = self
            .next_device_id
            .max(next_device_id)
            .max(highest.saturating_add(1));
        let body = proto::DeviceListBody {
            version: wire::VERSION,
            account_id: self.id.as_bytes().to_vec(),
            account_key: self.public_key().to_bytes().to_vec(),
            list_version: version,
            issued_at: now.0,
            next_device_id,
            devices: entries
                .iter()
                .map(|entry| proto::DeviceListEntry {
                    device_id: entry.device.0,
                    certificate_fingerprint: entry.fingerprint.to_vec(),
                })
                .collect(),
        }
        .encode_to_vec();
        let signature = self.root.sign(domain::DEVICE_LIST, &body);
        Ok(VerifiedDeviceList {
            account: self.public_identity(),
            version,
            issued_at: now,
            next_device_id,
            entries,
            body,
            signature,
        })
    }
}

fn next_version(current: &VerifiedDeviceList) -> Result<u64, DeviceListError> {
    current
        .version
        .checked_add(1)
        .ok_or(DeviceListError::VersionExhausted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn round_trips_and_rejects_any_altered_byte() {
        let mut rng = ChaCha20Rng::from_seed([8; 32]);
        let mut account = Account::generate(&mut rng);
        let a = account.new_device(&mut rng, Timestamp(1));
        let b = account.new_device(&mut rng, Timestamp(1));
        let list = account
            .device_list(3, [b.certificate(), a.certificate()], Timestamp(5))
            .unwrap();
        let bytes = list.to_bytes();
        let seen = VerifiedDeviceList::verify(&bytes, &account.public_identity()).unwrap();
        assert_eq!(seen, list);
        assert_eq!(seen.version(), 3);
        assert_eq!(seen.next_device_id(), DeviceId(3));
        assert_eq!(
            seen.devices().map(|d| d.device.0).collect::<Vec<_>>(),
            [1, 2]
        );
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x20;
            assert!(
                VerifiedDeviceList::verify(&bad, &account.public_identity()).is_err(),
                "byte {i}"
            );
        }
    }

    #[test]
    fn refuses_duplicates_foreign_devices_and_too_many() {
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let mut account = Account::generate(&mut rng);
        let mut other = Account::generate(&mut rng);
        let a = account.new_device(&mut rng, Timestamp(1));
        let foreign = other.new_device(&mut rng, Timestamp(1));
        assert_eq!(
            account.device_list(1, [a.certificate(), a.certificate()], Timestamp(1)),
            Err(DeviceListError::DuplicateDevice {
                device: DeviceId(1)
            })
        );
        assert_eq!(
            account.device_list(1, [foreign.certificate()], Timestamp(1)),
            Err(DeviceListError::ForeignDevice)
        );
        let many: Vec<_> = (0..=MAX_LISTED_DEVICES)
            .map(|_| account.new_device(&mut rng, Timestamp(1)))
            .collect();
        assert_eq!(
            account.device_list(1, many.iter().map(|d| d.certificate()), Timestamp(1)),
            Err(DeviceListError::TooManyDevices {
                got: MAX_LISTED_DEVICES + 1,
                max: MAX_LISTED_DEVICES
            })
        );
    }

    #[test]
    fn debug_names_devices_only() {
        let mut rng = ChaCha20Rng::from_seed([10; 32]);
        let mut account = Account::generate(&mut rng);
        let a = account.new_device(&mut rng, Timestamp(1));
        let list = account
            .device_list(1, [a.certificate()], Timestamp(1))
            .unwrap();
        let shown = alloc::format!("{list:?}");
        assert!(shown.contains("devices: [1]"), "{shown}");
        assert!(!shown.contains("signature") && !shown.contains("body"));
    }
}
