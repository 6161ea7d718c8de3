//! All 1:1 sessions of one local device, and multi-device fan-out.
//!
//! A message to a person goes to every device of theirs and to the sender's own other
//! devices, one envelope per device, each through its own session.
//!
//! Once an account's signed device list has been applied ([`SessionBook::apply_device_list`]),
//! the book holds sessions only with the devices it lists: it drops the others, refuses to
//! start or accept sessions with them and to encrypt to them, and refuses an older list.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;

use super::Session;
use super::message::Incoming;
use crate::error::DecryptError;
use crate::error::{AcceptError, BookError, EncryptError};
use crate::identity::{Device, DeviceCertificate, VerifiedDeviceList};
use crate::ids::{AccountId, DeviceAddress};
use crate::limits::{MAX_PLAINTEXT_LEN, MAX_PREVIOUS_SESSIONS, MAX_SESSIONS};
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
///
/// Besides the current session with a device, the book keeps up to
/// [`MAX_PREVIOUS_SESSIONS`] earlier ones (as libsignal does): when both devices started a
/// session at once, or a new initial message replaced a session while messages of the old one
/// were in flight, those messages still decrypt, and the session that decrypts becomes current
/// again. So a replayed old initial message cannot destroy a working session.
#[derive(Default)]
pub struct SessionBook {
    pub(crate) peers: BTreeMap<DeviceAddress, Peer>,
    /// The latest device list applied, per account (at most [`MAX_SESSIONS`]).
    pub(crate) device_lists: BTreeMap<AccountId, VerifiedDeviceList>,
}

/// The sessions with one remote device.
pub(crate) struct Peer {
    pub(crate) current: Session,
    /// Most recent first.
    pub(crate) previous: VecDeque<Session>,
}

impl Peer {
    pub(crate) fn new(current: Session) -> Self {
        Self {
            current,
            previous: VecDeque::new(),
        }
    }

    /// Makes `session` current, keeping the old current one as the most recent previous.
    fn adopt(&mut self, session: Session) {
        let old = core::mem::replace(&mut self.current, session);
        self.previous.push_front(old);
        self.previous.truncate(MAX_PREVIOUS_SESSIONS);
    }

    /// Decrypts with the current session, else with a previous one, which then becomes
    /// current. On failure returns `Duplicate` if any session has seen the message, else the
    /// current session's error.
    fn decrypt(&mut self, incoming: &Incoming) -> Result<Vec<u8>, DecryptError> {
        let mut error = match self.current.decrypt_incoming(incoming) {
            Ok(plaintext) => return Ok(plaintext),
            Err(error) => error,
        };
        for at in 0..self.previous.len() {
            match self.previous[at].decrypt_incoming(incoming) {
                Ok(plaintext) => {
                    if let Some(session) = self.previous.remove(at) {
                        self.adopt(session);
                    }
                    return Ok(plaintext);
                }
                Err(duplicate @ DecryptError::Duplicate { .. }) => error = duplicate,
                Err(_) => {}
            }
        }
        Err(error)
    }

    fn knows(&self, initial: &super::message::InitialMessage) -> bool {
        core::iter::once(&self.current)
            .chain(&self.previous)
            .any(|session| session.is_session_of(initial))
    }
}

impl SessionBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a session with the device that published `bundle`; it becomes the current
    /// session with that device.
    pub fn start(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        local: &Device,
        bundle: &PreKeyBundle,
    ) -> Result<(), BookError> {
        let address = bundle.certificate().address();
        self.check_listed(bundle.certificate())?;
        self.check_room_for(&address)?;
        let session = Session::initiate(rng, local, bundle)?;
        self.insert(address, session);
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
        if !self
            .peers
            .keys()
            .any(|address| address.account == recipient)
        {
            return Err(BookError::NoSession);
        }
        let targets: Vec<DeviceAddress> = self
            .peers
            .keys()
            .copied()
            .filter(|address| {
                address.account == recipient || (address.account == own.account && *address != own)
            })
            .collect();
        self.send_to(rng, &targets, plaintext)
    }

    /// Encrypts `plaintext` once for each device in `to` (for example a room's
    /// [`crate::room::Distribution`]), through the sessions with them.
    ///
    /// Either every session encrypts or none changes: a missing session, a plaintext too long
    /// or an exhausted chain is found before the first encryption.
    pub fn send_to(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        to: &[DeviceAddress],
        plaintext: &[u8],
    ) -> Result<Vec<Outgoing>, BookError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(EncryptError::TooLong {
                len: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            }
            .into());
        }
        for address in to {
            match self.peers.get(address) {
                Some(peer) if !self.is_listed(peer.current.remote_certificate()) => {
                    return Err(BookError::DeviceNotListed { device: *address });
                }
                None => return Err(BookError::MissingSession { to: *address }),
                Some(peer) if !peer.current.can_encrypt() => {
                    return Err(EncryptError::ChainExhausted.into());
                }
                Some(_) => {}
            }
        }
        let mut out = Vec::with_capacity(to.len());
        for address in to {
            if let Some(peer) = self.peers.get_mut(address) {
                out.push(Outgoing {
                    to: *address,
                    envelope: peer.current.encrypt(rng, plaintext)?,
                });
            }
        }
        Ok(out)
    }

    /// Decrypts an envelope that the transport says came from `from`.
    ///
    /// An initial message that none of the sessions with `from` started makes a new current
    /// session with [`Session::accept`]; its certificate must name `from`. On any error
    /// neither the book nor `local` changes.
    pub fn decrypt(
        &mut self,
        local: &mut Device,
        from: DeviceAddress,
        envelope: &[u8],
    ) -> Result<Vec<u8>, BookError> {
        let incoming = Incoming::decode(envelope).map_err(DecryptError::from)?;
        let peer = self.peers.get_mut(&from);
        match (&incoming, peer) {
            (Incoming::Ratchet(_), None) => Err(BookError::UnknownSender),
            (Incoming::Initial(initial), peer)
                if !peer.as_ref().is_some_and(|peer| peer.knows(initial)) =>
            {
                self.check_room_for(&from)?;
                // The sender check comes before anything that changes `local` (accepting
                // consumes a one-time prekey), so a mislabelled message costs nothing.
                let certificate =
                    DeviceCertificate::from_wire(&initial.initiator).map_err(AcceptError::from)?;
                if certificate.address() != from {
                    return Err(BookError::SenderMismatch);
                }
                self.check_listed(&certificate)?;
                let (session, plaintext) = Session::accept_verified(local, initial, certificate)?;
                self.insert(from, session);
                Ok(plaintext)
            }
            (_, Some(peer)) => Ok(peer.decrypt(&incoming)?),
            (Incoming::Initial(_), None) => Err(BookError::UnknownSender),
        }
    }

    fn insert(&mut self, address: DeviceAddress, session: Session) {
        match self.peers.get_mut(&address) {
            Some(peer) => peer.adopt(session),
            None => {
                self.peers.insert(address, Peer::new(session));
            }
        }
    }

    /// The current session with `address`, if any.
    pub fn session(&self, address: &DeviceAddress) -> Option<&Session> {
        self.peers.get(address).map(|peer| &peer.current)
    }

    /// Forgets every session with `address` (for example when the device was revoked).
    /// Returns whether there was one.
    pub fn remove(&mut self, address: &DeviceAddress) -> bool {
        self.peers.remove(address).is_some()
    }

    /// Applies an account's device list, verified under the key the application trusts for
    /// the account: forgets every session with a device (or certificate) the list does not
    /// name, and from now on refuses to start, accept or encrypt to such a device. Returns
    /// the devices whose sessions were dropped (to remove from rooms, for example).
    ///
    /// A list older than the one applied for the account, or as old with other contents, is
    /// refused ([`BookError::StaleDeviceList`]) and changes nothing; the very same list again
    /// changes nothing. Without a list for an account, the book trusts every device whose
    /// certificate that account signed.
    pub fn apply_device_list(
        &mut self,
        list: &VerifiedDeviceList,
    ) -> Result<Vec<DeviceAddress>, BookError> {
        let account = list.account().id;
        match self.device_lists.get(&account) {
            Some(current) => match list.check_update(current) {
                Ok(true) => {}
                Ok(false) => return Ok(Vec::new()),
                Err(_) => {
                    return Err(BookError::StaleDeviceList {
                        got: list.version(),
                        current: current.version(),
                    });
                }
            },
            None if self.device_lists.len() >= MAX_SESSIONS => return Err(BookError::Full),
            None => {}
        }
        let mut removed = Vec::new();
        self.peers.retain(|address, peer| {
            if address.account != account {
                return true;
            }
            if !list.contains(peer.current.remote_certificate()) {
                removed.push(*address);
                return false;
            }
            peer.previous
                .retain(|session| list.contains(session.remote_certificate()));
            true
        });
        self.device_lists.insert(account, list.clone());
        Ok(removed)
    }

    /// The device list applied for `account`, if any.
    pub fn device_list(&self, account: AccountId) -> Option<&VerifiedDeviceList> {
        self.device_lists.get(&account)
    }

    /// The devices of `account` this book has sessions with.
    pub fn devices_of(&self, account: AccountId) -> impl Iterator<Item = DeviceAddress> + '_ {
        self.peers
            .keys()
            .copied()
            .filter(move |address| address.account == account)
    }

    /// How many devices the book has sessions with.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether the book holds no session.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// Whether the device list applied for the certificate's account (if any) names it.
    fn is_listed(&self, certificate: &DeviceCertificate) -> bool {
        self.device_lists
            .get(&certificate.account_id())
            .is_none_or(|list| list.contains(certificate))
    }

    fn check_listed(&self, certificate: &DeviceCertificate) -> Result<(), BookError> {
        if self.is_listed(certificate) {
            Ok(())
        } else {
            Err(BookError::DeviceNotListed {
                device: certificate.address(),
            })
        }
    }

    fn check_room_for(&self, address: &DeviceAddress) -> Result<(), BookError> {
        if self.peers.len() >= MAX_SESSIONS && !self.peers.contains_key(address) {
            return Err(BookError::Full);
        }
        Ok(())
    }
}

impl fmt::Debug for SessionBook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            peers,
            device_lists,
        } = self;
        f.debug_struct("SessionBook")
            .field("devices", &peers.len())
            .field("device_lists", &device_lists.len())
            .field(
                "sessions",
                &peers.values().map(|peer| &peer.current).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
