//! All 1:1 sessions of one local device, and multi-device fan-out.
//!
//! A message to a person goes to every device of theirs and to the sender's own other
//! devices, one envelope per device, each through its own session.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;

use super::Session;
use super::message::Incoming;
use crate::error::{BookError, EncryptError};
use crate::identity::Device;
use crate::ids::{AccountId, DeviceAddress};
use crate::limits::{MAX_PLAINTEXT_LEN, MAX_SESSIONS};
use crate::prekeys::PreKeyBundle;

/// One envelope of a fan-out, and the device it is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The receiving device.
    pub to: DeviceAddress,
    /// The envelope to deliver to it.
    pub envelope: Vec<u8>,
}

/// The sessions of one local device, one per remote device.
#[derive(Default)]
pub struct SessionBook {
    pub(crate) sessions: BTreeMap<DeviceAddress, Session>,
}

impl SessionBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a session with the device that published `bundle`, replacing any earlier
    /// session with that device.
    pub fn start(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        local: &Device,
        bundle: &PreKeyBundle,
    ) -> Result<(), BookError> {
        let address = bundle.certificate().address();
        self.check_room_for(&address)?;
        let session = Session::initiate(rng, local, bundle)?;
        self.sessions.insert(address, session);
        Ok(())
    }

    /// Encrypts `plaintext` once for every device of `recipient` and every other device of
    /// the local account that this book has a session with.
    ///
    /// Either every session encrypts or none changes.
    pub fn encrypt_for_account(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        local: &Device,
        recipient: AccountId,
        plaintext: &[u8],
    ) -> Result<Vec<Outgoing>, BookError> {
        let own = local.address();
        let is_target = |address: &DeviceAddress| {
            address.account == recipient || (address.account == own.account && *address != own)
        };
        if !self
            .sessions
            .keys()
            .any(|address| address.account == recipient)
        {
            return Err(BookError::NoSession);
        }
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(EncryptError::TooLong {
                len: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            }
            .into());
        }
        if self
            .sessions
            .iter()
            .any(|(address, session)| is_target(address) && !session.can_encrypt())
        {
            return Err(EncryptError::ChainExhausted.into());
        }
        let mut out = Vec::new();
        for (address, session) in self
            .sessions
            .iter_mut()
            .filter(|(address, _)| is_target(address))
        {
            out.push(Outgoing {
                to: *address,
                envelope: session.encrypt(rng, plaintext)?,
            });
        }
        Ok(out)
    }

    /// Decrypts an envelope that the transport says came from `from`.
    ///
    /// An initial message from a device without a session (or with a session under another
    /// base key, which the new one replaces) makes a session with [`Session::accept`]; its
    /// certificate must name `from`. On any error neither the book nor `local` changes.
    pub fn decrypt(
        &mut self,
        local: &mut Device,
        from: DeviceAddress,
        envelope: &[u8],
    ) -> Result<Vec<u8>, BookError> {
        let incoming = Incoming::decode(envelope).map_err(crate::error::DecryptError::from)?;
        let existing = self.sessions.get_mut(&from);
        match (&incoming, existing) {
            (Incoming::Ratchet(_), Some(session)) => Ok(session.decrypt_incoming(&incoming)?),
            (Incoming::Ratchet(_), None) => Err(BookError::UnknownSender),
            (Incoming::Initial(initial), Some(session)) if session.is_session_of(initial) => {
                Ok(session.decrypt_incoming(&incoming)?)
            }
            (Incoming::Initial(initial), _) => {
                self.check_room_for(&from)?;
                let (session, plaintext) = Session::accept_initial(local, initial)?;
                if session.remote_address() != from {
                    return Err(BookError::SenderMismatch);
                }
                self.sessions.insert(from, session);
                Ok(plaintext)
            }
        }
    }

    /// The session with `address`, if any.
    pub fn session(&self, address: &DeviceAddress) -> Option<&Session> {
        self.sessions.get(address)
    }

    /// Forgets the session with `address` (for example when the device was revoked).
    pub fn remove(&mut self, address: &DeviceAddress) -> Option<Session> {
        self.sessions.remove(address)
    }

    /// The devices of `account` this book has sessions with.
    pub fn devices_of(&self, account: AccountId) -> impl Iterator<Item = DeviceAddress> + '_ {
        self.sessions
            .keys()
            .copied()
            .filter(move |address| address.account == account)
    }

    /// How many sessions the book holds.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether the book holds no session.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    fn check_room_for(&self, address: &DeviceAddress) -> Result<(), BookError> {
        if self.sessions.len() >= MAX_SESSIONS && !self.sessions.contains_key(address) {
            return Err(BookError::Full);
        }
        Ok(())
    }
}

impl fmt::Debug for SessionBook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.sessions.values()).finish()
    }
}
