//! 1:1 sessions: X3DH-style setup, then the Double Ratchet.
//!
//! The initiator starts a [`Session`] from the responder's verified [`PreKeyBundle`]; its
//! messages carry the X3DH handshake until the responder's first reply arrives. The responder
//! makes its session from the first message with [`Session::accept`], which consumes the
//! one-time prekey only if the message decrypted.
//!
//! ```
//! use ember_core::identity::Account;
//! use ember_core::prekeys::PreKeyBundle;
//! use ember_core::session::Session;
//! use ember_core::Timestamp;
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
//! let now = Timestamp(1_700_000_000);
//! let alice = Account::generate(&mut rng).new_device(&mut rng, now);
//! let mut bob = Account::generate(&mut rng).new_device(&mut rng, now);
//! bob.generate_one_time_prekeys(&mut rng, 10);
//!
//! // Alice fetches Bob's bundle from the directory and checks it.
//! let bundle = PreKeyBundle::from_bytes(&bob.prekey_bundle().to_bytes())?;
//! let mut to_bob = Session::initiate(&mut rng, &alice, &bundle)?;
//! let first = to_bob.encrypt(&mut rng, b"hello Bob")?;
//!
//! let (mut to_alice, plaintext) = Session::accept(&mut bob, &first)?;
//! assert_eq!(plaintext, b"hello Bob");
//! let reply = to_alice.encrypt(&mut rng, b"hi Alice")?;
//! assert_eq!(to_bob.decrypt(&reply)?, b"hi Alice");
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

pub(crate) mod book;
pub(crate) mod chain;
pub(crate) mod message;
pub(crate) mod ratchet;
mod x3dh;

use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;

pub use book::{Outgoing, SessionBook};
use message::{Handshake, Incoming, InitialMessage, RatchetMessage};
use ratchet::{Fingerprints, Ratchet};

use crate::crypto::dh::PrivateKey;
use crate::error::{AcceptError, DecryptError, EncryptError, SetupError};
use crate::identity::{Device, DeviceCertificate};
use crate::ids::DeviceAddress;
use crate::limits::MAX_PLAINTEXT_LEN;
use crate::prekeys::PreKeyBundle;

/// A 1:1 session between a local device and one remote device.
pub struct Session {
    pub(crate) local_certificate: DeviceCertificate,
    pub(crate) remote_certificate: DeviceCertificate,
    /// The X3DH base key, which names the session in initial messages.
    pub(crate) handshake: Handshake,
    /// Whether messages still carry the handshake (initiator, before the first reply).
    pub(crate) awaiting_reply: bool,
    pub(crate) ratchet: Ratchet,
}

impl Session {
    /// Starts a session with the device that published `bundle`, using its first one-time
    /// prekey if it has one. Nothing is sent yet: the first [`Session::encrypt`] carries the
    /// handshake.
    pub fn initiate(
        rng: &mut (impl CryptoRng + ?Sized),
        local: &Device,
        bundle: &PreKeyBundle,
    ) -> Result<Self, SetupError> {
        let remote_certificate = bundle.certificate().clone();
        let signed_prekey = bundle.signed_prekey();
        let one_time_prekey = bundle.one_time_prekey();
        let ephemeral = PrivateKey::generate(rng);
        let secret = x3dh::initiator_secret(
            &x3dh::InitiatorKeys {
                identity: &local.agreement,
                ephemeral: &ephemeral,
                remote_identity: remote_certificate.agreement_key(),
                remote_signed_prekey: &signed_prekey.key,
                remote_one_time_prekey: one_time_prekey.map(|prekey| &prekey.key),
            },
            &x3dh::Parties {
                initiator: local.certificate.fingerprint(),
                responder: remote_certificate.fingerprint(),
            },
        )
        .map_err(|_| SetupError::NonContributory)?;
        let ratchet = Ratchet::initiator(&secret, PrivateKey::generate(rng), signed_prekey.key)
            .map_err(|_| SetupError::NonContributory)?;
        Ok(Self {
            local_certificate: local.certificate.clone(),
            remote_certificate,
            handshake: Handshake {
                base_key: ephemeral.public_key(),
                signed_prekey_id: signed_prekey.id,
                one_time_prekey_id: one_time_prekey.map(|prekey| prekey.id),
            },
            awaiting_reply: true,
            ratchet,
        })
    }

    /// Makes the responder's session from an initial message and decrypts it.
    ///
    /// The one-time prekey it used is consumed only when the message decrypted; on any error
    /// `local` is unchanged. The initiator's certificate is verified; whether its account key
    /// is the one expected for that person is for the caller to check on
    /// [`Session::remote_certificate`].
    pub fn accept(local: &mut Device, envelope: &[u8]) -> Result<(Self, Vec<u8>), AcceptError> {
        match Incoming::decode(envelope)? {
            Incoming::Initial(initial) => Self::accept_initial(local, &initial),
            Incoming::Ratchet(_) => Err(AcceptError::NotInitial),
        }
    }

    pub(crate) fn accept_initial(
        local: &mut Device,
        initial: &InitialMessage,
    ) -> Result<(Self, Vec<u8>), AcceptError> {
        let remote_certificate = DeviceCertificate::from_wire(&initial.initiator)?;
        Self::accept_verified(local, initial, remote_certificate)
    }

    /// [`Session::accept_initial`] with the initiator's certificate already verified.
    pub(crate) fn accept_verified(
        local: &mut Device,
        initial: &InitialMessage,
        remote_certificate: DeviceCertificate,
    ) -> Result<(Self, Vec<u8>), AcceptError> {
        let handshake = &initial.handshake;
        let signed_prekey = local.signed_prekey(handshake.signed_prekey_id).ok_or(
            AcceptError::UnknownSignedPreKey {
                id: handshake.signed_prekey_id,
            },
        )?;
        let one_time_prekey = match handshake.one_time_prekey_id {
            Some(id) => Some(
                local
                    .one_time_prekey(id)
                    .ok_or(AcceptError::UnknownOneTimePreKey { id })?,
            ),
            None => None,
        };
        let secret = x3dh::responder_secret(
            &x3dh::ResponderKeys {
                identity: &local.agreement,
                signed_prekey,
                one_time_prekey,
                remote_identity: remote_certificate.agreement_key(),
                remote_ephemeral: &handshake.base_key,
            },
            &x3dh::Parties {
                initiator: remote_certificate.fingerprint(),
                responder: local.certificate.fingerprint(),
            },
        )
        .map_err(|_| AcceptError::NonContributory)?;
        let ratchet = Ratchet::responder(
            &secret,
            signed_prekey.duplicate(),
            initial.message.header.ratchet_key,
        )
        .map_err(|_| AcceptError::NonContributory)?;
        let mut session = Self {
            local_certificate: local.certificate.clone(),
            remote_certificate,
            handshake: handshake.clone(),
            awaiting_reply: false,
            ratchet,
        };
        let plaintext = session.decrypt_message(&initial.message)?;
        if let Some(id) = handshake.one_time_prekey_id {
            local.consume_one_time_prekey(id);
        }
        Ok((session, plaintext))
    }

    /// Encrypts `plaintext` for the remote device, returning the envelope to send.
    pub fn encrypt(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        plaintext: &[u8],
    ) -> Result<Vec<u8>, EncryptError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(EncryptError::TooLong {
                len: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            });
        }
        let parties = Fingerprints {
            local: self.local_certificate.fingerprint(),
            remote: self.remote_certificate.fingerprint(),
        };
        let (header, ciphertext) = self.ratchet.encrypt(rng, &parties, plaintext)?;
        let initial = self
            .awaiting_reply
            .then_some((&self.local_certificate, &self.handshake));
        Ok(message::encode(&header, ciphertext, initial))
    }

    /// Decrypts an envelope from the remote device. On any error the session is unchanged.
    pub fn decrypt(&mut self, envelope: &[u8]) -> Result<Vec<u8>, DecryptError> {
        self.decrypt_incoming(&Incoming::decode(envelope)?)
    }

    pub(crate) fn decrypt_incoming(
        &mut self,
        incoming: &Incoming,
    ) -> Result<Vec<u8>, DecryptError> {
        if let Incoming::Initial(initial) = incoming
            && !self.is_session_of(initial)
        {
            return Err(DecryptError::OtherSession);
        }
        let plaintext = self.decrypt_message(incoming.ratchet_message())?;
        if matches!(incoming, Incoming::Ratchet(_)) {
            self.awaiting_reply = false;
        }
        Ok(plaintext)
    }

    fn decrypt_message(&mut self, message: &RatchetMessage) -> Result<Vec<u8>, DecryptError> {
        let parties = Fingerprints {
            local: self.local_certificate.fingerprint(),
            remote: self.remote_certificate.fingerprint(),
        };
        self.ratchet
            .decrypt(&parties, &message.header, &message.ciphertext)
    }

    /// Whether the sending chain can take another message.
    pub(crate) fn can_encrypt(&self) -> bool {
        self.ratchet
            .sending
            .as_ref()
            .is_none_or(|chain| chain.next < u32::MAX)
    }

    /// Whether an initial message belongs to this session: the same handshake (base key,
    /// prekey ids) from the same initiator certificate. Comparing all of it, not only the
    /// base key, means no byte of a handshake message goes unauthenticated.
    pub(crate) fn is_session_of(&self, initial: &InitialMessage) -> bool {
        self.handshake == initial.handshake
            && self.remote_certificate.to_wire() == initial.initiator
    }

    /// The remote device's verified certificate.
    pub const fn remote_certificate(&self) -> &DeviceCertificate {
        &self.remote_certificate
    }

    /// The remote device's address.
    pub const fn remote_address(&self) -> DeviceAddress {
        self.remote_certificate.address()
    }

    /// The local device's address.
    pub const fn local_address(&self) -> DeviceAddress {
        self.local_certificate.address()
    }

    /// Whether the remote device has replied yet. Until it has, every message carries the
    /// handshake, so that whichever arrives first can set up the responder's session.
    pub const fn is_acknowledged(&self) -> bool {
        !self.awaiting_reply
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            local_certificate,
            remote_certificate,
            handshake: _,
            awaiting_reply,
            ratchet,
        } = self;
        f.debug_struct("Session")
            .field("local", &local_certificate.address())
            .field("remote", &remote_certificate.address())
            .field("awaiting_reply", awaiting_reply)
            .field("receiving_chains", &ratchet.receiving.len())
            .field("skipped_keys", &ratchet.skipped.len())
            .finish_non_exhaustive()
    }
}
