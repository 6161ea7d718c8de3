//! The account root identity, which certifies the account's devices.

use core::fmt;

use rand_core::CryptoRng;

use super::{Device, DeviceCertificate, DevicePublicKeys, RecoveryKey};
use crate::crypto::sign::{SigningKey, VerifyingKey};
use crate::ids::{AccountId, DeviceId, Timestamp};

/// What others know of an account: its id and root public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicIdentity {
    /// The account id.
    pub id: AccountId,
    /// The account root key.
    pub key: VerifyingKey,
}

/// An account: its id and its Ed25519 root key.
///
/// The root key signs device certificates and device lists. Both it and the id derive from the
/// master recovery key ([`RecoveryKey`]), so the recovery key alone restores the account. The
/// root key lives on the devices that may add new devices (or only in the recovery key's safe
/// place); snapshots keep it sealed.
pub struct Account {
    pub(crate) id: AccountId,
    pub(crate) root: SigningKey,
    pub(crate) next_device_id: u32,
    /// The recovery key, on the device that made the account or was restored from it.
    pub(crate) recovery: Option<RecoveryKey>,
}

impl Account {
    /// A new account: a fresh master recovery key (32 bytes from `rng`), and the id and root
    /// key it derives. The account keeps the recovery key until
    /// [`Account::forget_recovery_key`].
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        Self::from_recovery_key(&RecoveryKey::generate(rng))
    }

    /// The account id.
    pub const fn id(&self) -> AccountId {
        self.id
    }

    /// The account root public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.root.verifying_key()
    }

    /// The id and root public key, as others know the account.
    pub fn public_identity(&self) -> PublicIdentity {
        PublicIdentity {
            id: self.id,
            key: self.public_key(),
        }
    }

    /// Certifies a device's public keys under the next free device id.
    ///
    /// The device made its keys itself ([`Device::generate_keys`]) and sent the public half;
    /// only the certificate comes back, for [`Device::new`].
    pub fn certify_device(&mut self, keys: &DevicePublicKeys, now: Timestamp) -> DeviceCertificate {
        let device_id = DeviceId(self.next_device_id);
        self.next_device_id = self.next_device_id.wrapping_add(1).max(1);
        DeviceCertificate::issue(
            self.id,
            &self.root,
            device_id,
            keys.signing,
            keys.agreement,
            now,
        )
    }

    /// Makes a device here, with fresh keys, a certificate and a first signed prekey.
    pub fn new_device(&mut self, rng: &mut (impl CryptoRng + ?Sized), now: Timestamp) -> Device {
        let keys = Device::generate_keys(rng);
        let certificate = self.certify_device(&keys.public_keys(), now);
        Device::from_parts(keys, certificate, rng, now)
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            id,
            root: _,
            next_device_id,
            recovery,
        } = self;
        f.debug_struct("Account")
            .field("id", id)
            .field("next_device_id", next_device_id)
            .field("holds_recovery_key", &recovery.is_some())
            .finish_non_exhaustive()
    }
}
