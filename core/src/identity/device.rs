//! A device: its keys, its certificate and the prekeys it publishes.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;

use super::DeviceCertificate;
use crate::crypto::dh::{self, PrivateKey};
use crate::crypto::sign::{Signature, SigningKey, VerifyingKey};
use crate::error::CertificateError;
use crate::ids::{DeviceAddress, Timestamp};
use crate::limits::{MAX_ONE_TIME_PREKEYS, MAX_SIGNED_PREKEYS};
use crate::prekeys::{self, OneTimePreKey, PreKeyBundle, SignedPreKey};

/// A new device's secret keys, before the account has certified them.
pub struct DeviceKeys {
    pub(crate) signing: SigningKey,
    pub(crate) agreement: PrivateKey,
}

impl DeviceKeys {
    /// The public halves, which go to the account for certification.
    pub fn public_keys(&self) -> DevicePublicKeys {
        DevicePublicKeys {
            signing: self.signing.verifying_key(),
            agreement: self.agreement.public_key(),
        }
    }
}

impl fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKeys")
            .field("public", &self.public_keys())
            .finish_non_exhaustive()
    }
}

/// A device's public keys, as the account certifies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevicePublicKeys {
    /// The device's Ed25519 signing key.
    pub signing: VerifyingKey,
    /// The device's X25519 identity key.
    pub agreement: dh::PublicKey,
}

/// A signed prekey with its secret.
pub(crate) struct SignedPreKeyPair {
    pub(crate) id: u32,
    pub(crate) key: PrivateKey,
    pub(crate) created_at: Timestamp,
    pub(crate) signature: Signature,
}

impl SignedPreKeyPair {
    fn generate(
        signing: &SigningKey,
        id: u32,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
    ) -> Self {
        let key = PrivateKey::generate(rng);
        let signature = signing.sign(
            crate::domain::SIGNED_PREKEY,
            &prekeys::signed_prekey_message(id, now, &key.public_key()),
        );
        Self {
            id,
            key,
            created_at: now,
            signature,
        }
    }
}

/// A one-time prekey with its secret.
pub(crate) struct OneTimePreKeyPair {
    pub(crate) key: PrivateKey,
    pub(crate) signature: Signature,
}

/// One device of an account: its keys, certificate and unconsumed prekeys.
pub struct Device {
    pub(crate) signing: SigningKey,
    pub(crate) agreement: PrivateKey,
    pub(crate) certificate: DeviceCertificate,
    pub(crate) signed_prekey: SignedPreKeyPair,
    /// Replaced signed prekeys, oldest first, kept for initial messages still in flight.
    pub(crate) previous_signed_prekeys: Vec<SignedPreKeyPair>,
    pub(crate) one_time_prekeys: BTreeMap<u32, OneTimePreKeyPair>,
    pub(crate) next_prekey_id: u32,
}

impl Device {
    /// Fresh keys for a new device, to be certified by its account.
    pub fn generate_keys(rng: &mut (impl CryptoRng + ?Sized)) -> DeviceKeys {
        DeviceKeys {
            signing: SigningKey::generate(rng),
            agreement: PrivateKey::generate(rng),
        }
    }

    /// Builds the device from its keys and the certificate its account issued for them, and
    /// makes its first signed prekey.
    pub fn new(
        keys: DeviceKeys,
        certificate: DeviceCertificate,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
    ) -> Result<Self, CertificateError> {
        let public = keys.public_keys();
        if certificate.signing_key() != &public.signing
            || certificate.agreement_key() != &public.agreement
        {
            return Err(CertificateError::KeyMismatch);
        }
        Ok(Self::from_parts(keys, certificate, rng, now))
    }

    /// Builds the device from keys and a certificate known to match.
    pub(crate) fn from_parts(
        keys: DeviceKeys,
        certificate: DeviceCertificate,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
    ) -> Self {
        let DeviceKeys { signing, agreement } = keys;
        let signed_prekey = SignedPreKeyPair::generate(&signing, 1, rng, now);
        Self {
            signing,
            agreement,
            certificate,
            signed_prekey,
            previous_signed_prekeys: Vec::new(),
            one_time_prekeys: BTreeMap::new(),
            next_prekey_id: 2,
        }
    }

    /// The device's certificate.
    pub const fn certificate(&self) -> &DeviceCertificate {
        &self.certificate
    }

    /// The device's address.
    pub const fn address(&self) -> DeviceAddress {
        self.certificate.address()
    }

    /// Replaces the signed prekey with a fresh one. The previous ones are kept (up to
    /// [`MAX_SIGNED_PREKEYS`] in all) so that initial messages already on their way still open.
    pub fn rotate_signed_prekey(&mut self, rng: &mut (impl CryptoRng + ?Sized), now: Timestamp) {
        let id = self.take_prekey_id();
        let fresh = SignedPreKeyPair::generate(&self.signing, id, rng, now);
        let replaced = core::mem::replace(&mut self.signed_prekey, fresh);
        if self.previous_signed_prekeys.len() + 1 == MAX_SIGNED_PREKEYS {
            self.previous_signed_prekeys.remove(0);
        }
        self.previous_signed_prekeys.push(replaced);
    }

    /// Adds up to `count` fresh one-time prekeys, never holding more than
    /// [`MAX_ONE_TIME_PREKEYS`]. Returns how many were added.
    pub fn generate_one_time_prekeys(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        count: usize,
    ) -> usize {
        let count = count.min(MAX_ONE_TIME_PREKEYS - self.one_time_prekeys.len());
        for _ in 0..count {
            let id = self.take_prekey_id();
            let key = PrivateKey::generate(rng);
            let signature = self.signing.sign(
                crate::domain::ONE_TIME_PREKEY,
                &prekeys::one_time_prekey_message(id, &key.public_key()),
            );
            self.one_time_prekeys
                .insert(id, OneTimePreKeyPair { key, signature });
        }
        count
    }

    /// How many one-time prekeys are still unconsumed.
    pub fn one_time_prekey_count(&self) -> usize {
        self.one_time_prekeys.len()
    }

    /// The bundle to publish: the certificate, the current signed prekey and every
    /// unconsumed one-time prekey.
    pub fn prekey_bundle(&self) -> PreKeyBundle {
        let one_time_prekeys = self
            .one_time_prekeys
            .iter()
            .map(|(&id, pair)| OneTimePreKey {
                id,
                key: pair.key.public_key(),
                signature: pair.signature,
            })
            .collect();
        let current = &self.signed_prekey;
        let signed_prekey = SignedPreKey {
            id: current.id,
            key: current.key.public_key(),
            created_at: current.created_at,
            signature: current.signature,
        };
        PreKeyBundle::assemble(self.certificate.clone(), signed_prekey, one_time_prekeys)
    }

    pub(crate) fn signed_prekey(&self, id: u32) -> Option<&PrivateKey> {
        core::iter::once(&self.signed_prekey)
            .chain(&self.previous_signed_prekeys)
            .find(|pair| pair.id == id)
            .map(|pair| &pair.key)
    }

    pub(crate) fn one_time_prekey(&self, id: u32) -> Option<&PrivateKey> {
        self.one_time_prekeys.get(&id).map(|pair| &pair.key)
    }

    pub(crate) fn consume_one_time_prekey(&mut self, id: u32) {
        self.one_time_prekeys.remove(&id);
    }

    fn take_prekey_id(&mut self) -> u32 {
        // Ids only need to be unique among live prekeys, which number at most a thousand.
        loop {
            let id = self.next_prekey_id;
            self.next_prekey_id = self.next_prekey_id.wrapping_add(1).max(1);
            let in_use =
                self.one_time_prekeys.contains_key(&id) || self.signed_prekey(id).is_some();
            if !in_use {
                return id;
            }
        }
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            signing: _,
            agreement: _,
            certificate,
            signed_prekey,
            previous_signed_prekeys,
            one_time_prekeys,
            next_prekey_id,
        } = self;
        f.debug_struct("Device")
            .field("address", &certificate.address())
            .field("signed_prekey_id", &signed_prekey.id)
            .field("previous_signed_prekeys", &previous_signed_prekeys.len())
            .field("one_time_prekeys", &one_time_prekeys.len())
            .field("next_prekey_id", next_prekey_id)
            .finish_non_exhaustive()
    }
}
