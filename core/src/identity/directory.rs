//! Directory entries: a network's signed statement that a user handle belongs to an account.
//!
//! An organization's directory tells its members (and, through federation, other networks)
//! which account key speaks for which user. Each entry is signed by the network key, so a
//! client that trusts the network key trusts the binding without trusting the server that
//! delivered it. Apps and the federation module use a verified entry to decide whose
//! certificates to accept ([`VerifiedDirectoryEntry::check_certificate`]).
//!
//! ```
//! use ember_core::identity::{Account, DirectoryEntry, DirectoryStatus, VerifiedDirectoryEntry};
//! use ember_core::network::{NetworkId, NetworkKey};
//! use ember_core::Timestamp;
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([6; 32]);
//! let network = NetworkId::generate(&mut rng);
//! let network_key = NetworkKey::generate(&mut rng);
//! let mut alice = Account::generate(&mut rng);
//! let entry = DirectoryEntry {
//!     network,
//!     handle: "alice@example.com".into(),
//!     account: alice.public_identity(),
//!     status: DirectoryStatus::Active,
//!     version: 1,
//!     issued_at: Timestamp(1_700_000_000),
//! };
//! let bytes = entry.sign(&network_key)?.to_bytes();
//!
//! // A client that trusts the network key:
//! let verified = VerifiedDirectoryEntry::verify(&bytes, network, &network_key.public_key())?;
//! let phone = alice.new_device(&mut rng, Timestamp(1_700_000_000));
//! verified.check_certificate(phone.certificate())?;
//! # Ok::<(), ember_core::identity::DirectoryError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;

use super::{DeviceCertificate, PublicIdentity};
use crate::crypto::sign::{Signature, VerifyingKey};
use crate::domain;
use crate::error::DecodeError;
use crate::ids::{AccountId, Timestamp};
use crate::network::{NetworkId, NetworkKey};
use crate::wire;

/// Longest user handle, in bytes: the longest e-mail address (RFC 5321's 254-byte path).
pub const MAX_HANDLE_LEN: usize = 254;
/// Largest encoded directory entry accepted.
pub const MAX_DIRECTORY_ENTRY_LEN: usize = 1024;

/// A directory entry was refused, or could not be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The entry is malformed.
    Decode(DecodeError),
    /// The network key's signature does not verify.
    BadSignature,
    /// The entry is from another network than the one asked about.
    WrongNetwork,
    /// The handle is empty, longer than [`MAX_HANDLE_LEN`] bytes, or holds control characters.
    BadHandle {
        /// Its length in bytes.
        len: usize,
    },
    /// The entry version is 0; versions start at 1.
    ZeroVersion,
    /// The account is suspended or deleted: its certificates are not to be trusted.
    Inactive {
        /// Its status.
        status: DirectoryStatus,
    },
    /// A certificate of another account than the entry binds.
    UntrustedAccount,
    /// The entry is about another handle than the one it would replace.
    OtherHandle,
    /// Not strictly newer than the entry it would replace.
    Stale {
        /// The version given.
        got: u64,
        /// The current version.
        current: u64,
    },
    /// The entry is older than the caller accepts.
    Expired {
        /// Its age in seconds.
        age: u64,
        /// The most the caller accepts.
        max: u64,
    },
}

impl fmt::Display for DirectoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "directory entry rejected: {self:?}")
    }
}

impl core::error::Error for DirectoryError {}

impl From<DecodeError> for DirectoryError {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}

/// Whether the network lets an account be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DirectoryStatus {
    /// In use: its certificates are trusted.
    Active,
    /// Temporarily blocked by an administrator.
    Suspended,
    /// Removed from the network.
    Deleted,
}

impl DirectoryStatus {
    fn to_wire(self) -> proto::DirectoryStatus {
        match self {
            Self::Active => proto::DirectoryStatus::Active,
            Self::Suspended => proto::DirectoryStatus::Suspended,
            Self::Deleted => proto::DirectoryStatus::Deleted,
        }
    }

    fn from_wire(value: i32) -> Result<Self, DecodeError> {
        match proto::DirectoryStatus::try_from(value) {
            Ok(proto::DirectoryStatus::Active) => Ok(Self::Active),
            Ok(proto::DirectoryStatus::Suspended) => Ok(Self::Suspended),
            Ok(proto::DirectoryStatus::Deleted) => Ok(Self::Deleted),
            Ok(proto::DirectoryStatus::Unspecified) | Err(_) => {
                Err(DecodeError::OutOfRange("status"))
            }
        }
    }
}

/// What a network states about one of its users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The network that states it.
    pub network: NetworkId,
    /// The user's handle (an e-mail address), 1 to [`MAX_HANDLE_LEN`] bytes, compared byte
    /// for byte: the network signs it in its canonical form (for example lowercase).
    pub handle: String,
    /// The account (id and root key) the handle belongs to.
    pub account: PublicIdentity,
    /// Whether the account may be reached.
    pub status: DirectoryStatus,
    /// The entry's version, from 1; each change to the user's entry has a higher one.
    pub version: u64,
    /// When the network signed it.
    pub issued_at: Timestamp,
}

impl DirectoryEntry {
    /// Signs the entry with the network key.
    pub fn sign(&self, key: &NetworkKey) -> Result<VerifiedDirectoryEntry, DirectoryError> {
        check_handle(&self.handle)?;
        if self.version == 0 {
            return Err(DirectoryError::ZeroVersion);
        }
        let body = proto::DirectoryEntryBody {
            version: wire::VERSION,
            network_id: self.network.0.to_vec(),
            handle: self.handle.clone(),
            account_id: self.account.id.as_bytes().to_vec(),
            account_key: self.account.key.to_bytes().to_vec(),
            status: self.status.to_wire().into(),
            entry_version: self.version,
            issued_at: self.issued_at.0,
        }
        .encode_to_vec();
        let signature = key.sign(domain::DIRECTORY_ENTRY, &body);
        Ok(VerifiedDirectoryEntry {
            entry: self.clone(),
            body,
            signature,
        })
    }
}

/// A directory entry whose signature verified under the network key; holding one proves it.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedDirectoryEntry {
    entry: DirectoryEntry,
    body: Vec<u8>,
    signature: Signature,
}

impl VerifiedDirectoryEntry {
    /// Decodes an entry and verifies it: signed by `network_key`, and about `network`.
    pub fn verify(
        bytes: &[u8],
        network: NetworkId,
        network_key: &VerifyingKey,
    ) -> Result<Self, DirectoryError> {
        let wire: proto::DirectoryEntry = wire::decode(bytes, MAX_DIRECTORY_ENTRY_LEN)?;
        let signature = Signature::from_bytes(wire::array("signature", &wire.signature)?);
        network_key
            .verify(domain::DIRECTORY_ENTRY, &wire.body, &signature)
            .map_err(|_| DirectoryError::BadSignature)?;
        let body: proto::DirectoryEntryBody = wire::decode(&wire.body, MAX_DIRECTORY_ENTRY_LEN)?;
        wire::check_version(body.version)?;
        if body.network_id != network.0 {
            return Err(DirectoryError::WrongNetwork);
        }
        check_handle(&body.handle)?;
        if body.entry_version == 0 {
            return Err(DirectoryError::ZeroVersion);
        }
        let key = VerifyingKey::from_bytes(&wire::array("account_key", &body.account_key)?)
            .map_err(|_| DecodeError::BadKey("account_key"))?;
        let entry = DirectoryEntry {
            network,
            account: PublicIdentity {
                id: AccountId::from_bytes(wire::array("account_id", &body.account_id)?),
                key,
            },
            status: DirectoryStatus::from_wire(body.status)?,
            version: body.entry_version,
            issued_at: Timestamp(body.issued_at),
            handle: body.handle,
        };
        Ok(Self {
            entry,
            body: wire.body,
            signature,
        })
    }

    /// The encoded, signed entry, to hand out.
    pub fn to_bytes(&self) -> Vec<u8> {
        proto::DirectoryEntry {
            body: self.body.clone(),
            signature: self.signature.as_bytes().to_vec(),
        }
        .encode_to_vec()
    }

    /// What the network states.
    pub const fn entry(&self) -> &DirectoryEntry {
        &self.entry
    }

    /// The account to trust for the handle: only while the entry is active.
    pub fn trusted_account(&self) -> Result<PublicIdentity, DirectoryError> {
        match self.entry.status {
            DirectoryStatus::Active => Ok(self.entry.account),
            status => Err(DirectoryError::Inactive { status }),
        }
    }

    /// Checks that `certificate` was issued by the account this active entry binds (through
    /// [`DeviceCertificate::check_account`], in constant time). Whether the device is still
    /// current is the account's device list's to say ([`super::VerifiedDeviceList::contains`]).
    pub fn check_certificate(&self, certificate: &DeviceCertificate) -> Result<(), DirectoryError> {
        let account = self.trusted_account()?;
        if certificate.account_id() != account.id {
            return Err(DirectoryError::UntrustedAccount);
        }
        certificate
            .check_account(&account.key)
            .map_err(|_| DirectoryError::UntrustedAccount)
    }

    /// Checks that this entry may replace `current`, the one the caller holds for the same
    /// handle: same network and handle, and a higher version (so an old entry, replayed after
    /// the account was suspended or re-keyed, is refused).
    pub fn check_update(&self, current: &Self) -> Result<(), DirectoryError> {
        let (new, old) = (&self.entry, &current.entry);
        if new.network != old.network {
            return Err(DirectoryError::WrongNetwork);
        }
        if new.handle != old.handle {
            return Err(DirectoryError::OtherHandle);
        }
        if new.version <= old.version {
            return Err(DirectoryError::Stale {
                got: new.version,
                current: old.version,
            });
        }
        Ok(())
    }

    /// Checks that the entry was issued at most `max_age` seconds before `now` (an entry from
    /// the future counts as new).
    pub fn check_fresh(&self, now: Timestamp, max_age: u64) -> Result<(), DirectoryError> {
        let age = now.0.saturating_sub(self.entry.issued_at.0);
        if age > max_age {
            return Err(DirectoryError::Expired { age, max: max_age });
        }
        Ok(())
    }
}

impl fmt::Debug for VerifiedDirectoryEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            entry,
            body: _,
            signature: _,
        } = self;
        f.debug_struct("VerifiedDirectoryEntry")
            .field("entry", entry)
            .finish_non_exhaustive()
    }
}

fn check_handle(handle: &str) -> Result<(), DirectoryError> {
    if handle.is_empty() || handle.len() > MAX_HANDLE_LEN || handle.chars().any(char::is_control) {
        return Err(DirectoryError::BadHandle { len: handle.len() });
    }
    Ok(())
}
