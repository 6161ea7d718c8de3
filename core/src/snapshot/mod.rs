//! Sealed snapshots: accounts, devices, sessions and session books as bytes to store.
//!
//! A snapshot is the state's protobuf encoding (`state.proto`), sealed with AES-256-GCM under
//! a 32-byte key that the caller keeps (for example in the platform keystore):
//!
//! ```text
//! "EMBS" | format (1 byte) | kind (1 byte) | nonce (12 bytes) | AES-256-GCM(state) || tag
//! ```
//!
//! The first six bytes are the associated data, so a snapshot cannot be opened as another
//! kind. proto3 gives absent fields their defaults, so what this version writes still opens
//! when later versions add fields; a new format byte is only for changes that break that.
//! The sealed contents are trusted when opened (the tag proves they are the caller's own), so
//! certificates inside are not verified again.
//!
//! ```
//! use ember_core::identity::Account;
//! use ember_core::snapshot::SnapshotKey;
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([2; 32]);
//! let key = SnapshotKey::from_bytes(&mut [7u8; 32]);
//! let account = Account::generate(&mut rng);
//! let sealed = account.seal(&key, &mut rng)?;
//! let opened = Account::open(&key, &sealed)?;
//! assert_eq!(opened.public_key(), account.public_key());
//! # Ok::<(), ember_core::error::SnapshotError>(())
//! ```

mod account;
mod room;
mod session;

use alloc::vec::Vec;
use core::fmt;

use prost::Message;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::crypto::{Secret32, aead};
use crate::error::SnapshotError;
use crate::limits::MAX_SNAPSHOT_LEN;

/// The four bytes every snapshot starts with.
pub const MAGIC: [u8; 4] = *b"EMBS";
/// The snapshot format this version writes and reads.
pub const FORMAT: u8 = 1;
const HEADER_LEN: usize = MAGIC.len() + 2;

/// What a snapshot holds; the byte after the format byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Account = 1,
    Device = 2,
    Session = 3,
    SessionBook = 4,
    Room = 5,
}

/// The caller's 32-byte key for sealing snapshots. Zeroized on drop, never printed.
pub struct SnapshotKey(Secret32);

impl SnapshotKey {
    /// Takes the key and wipes the caller's copy.
    pub fn from_bytes(bytes: &mut [u8; 32]) -> Self {
        Self(Secret32::from_bytes(bytes))
    }

    /// Copies a key from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Secret32::from_slice(bytes).map(Self)
    }
}

impl fmt::Debug for SnapshotKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SnapshotKey(..)")
    }
}

/// Seals an encoded state.
pub(crate) fn seal(
    key: &SnapshotKey,
    kind: Kind,
    rng: &mut (impl CryptoRng + ?Sized),
    state: &impl Message,
) -> Result<Vec<u8>, SnapshotError> {
    let plaintext = Zeroizing::new(state.encode_to_vec());
    if HEADER_LEN + aead::NONCE_LEN + plaintext.len() + aead::TAG_LEN > MAX_SNAPSHOT_LEN {
        return Err(SnapshotError::TooLarge);
    }
    let mut nonce = [0u8; aead::NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let header = [MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], FORMAT, kind as u8];
    let mut out = Vec::with_capacity(HEADER_LEN + nonce.len() + plaintext.len() + aead::TAG_LEN);
    out.extend_from_slice(&header);
    out.extend_from_slice(&nonce);
    let mut body = Vec::with_capacity(plaintext.len() + aead::TAG_LEN);
    body.extend_from_slice(&plaintext);
    aead::seal_in_place(key.0.expose(), &nonce, &header, &mut body)
        .map_err(|_| SnapshotError::TooLarge)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens a sealed state of `kind` and decodes it.
pub(crate) fn open<M: Message + Default>(
    key: &SnapshotKey,
    kind: Kind,
    sealed: &[u8],
) -> Result<M, SnapshotError> {
    if sealed.len() < HEADER_LEN + aead::NONCE_LEN + aead::TAG_LEN
        || sealed.len() > MAX_SNAPSHOT_LEN
    {
        return Err(SnapshotError::BadLength);
    }
    let (header, rest) = sealed.split_at(HEADER_LEN);
    if header[..4] != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    if header[4] != FORMAT {
        return Err(SnapshotError::UnsupportedVersion(header[4]));
    }
    if header[5] != kind as u8 {
        return Err(SnapshotError::WrongKind {
            expected: kind as u8,
            got: header[5],
        });
    }
    let (nonce, body) = rest.split_at(aead::NONCE_LEN);
    let mut nonce_bytes = [0u8; aead::NONCE_LEN];
    nonce_bytes.copy_from_slice(nonce);
    let plaintext = Zeroizing::new(
        aead::open(key.0.expose(), &nonce_bytes, header, body)
            .map_err(|_| SnapshotError::BadKeyOrCorrupted)?,
    );
    Ok(crate::wire::decode(&plaintext, MAX_SNAPSHOT_LEN)?)
}
