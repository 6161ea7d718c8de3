//! The byte layout of an archive segment: header, key wrap, record frames, nonces, associated
//! data, the hash chain, the trailer and the signature (`docs/protocol/retention.md`).

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::keys::{ArchivePrivateKey, ArchivePublicKey};
use crate::crypto::dh::PrivateKey;
use crate::crypto::{Secret32, aead, kdf};
use crate::domain;
use crate::ids::Timestamp;
use crate::network::{NETWORK_ID_LEN, NetworkId};

/// The four bytes every archive segment starts with.
pub const MAGIC: [u8; 4] = *b"EMBA";
/// The segment format this version writes and reads (suite 1: X25519, HKDF-SHA256,
/// AES-256-GCM, SHA-256, Ed25519).
pub const FORMAT: u8 = 1;
/// Length of a hash in the chain (SHA-256).
pub const HASH_LEN: usize = 32;
/// Length of a wrapped data key: the key and its tag.
pub const WRAPPED_KEY_LEN: usize = aead::KEY_LEN + aead::TAG_LEN;
/// Length of the segment header.
pub const HEADER_LEN: usize = WRAP_AD_LEN + WRAPPED_KEY_LEN;
/// Length of a record frame's header: ciphertext length (u32be), flag, record index (u32be).
pub const FRAME_HEADER_LEN: usize = 9;
/// Length of the trailer's plaintext: record count (u64be), closing time (u64be), and the
/// chain hash before the trailer.
pub const TRAILER_LEN: usize = 16 + HASH_LEN;
/// Length of the signature that ends a segment.
pub const SIGNATURE_LEN: usize = crate::crypto::sign::SIGNATURE_LEN;
/// Bytes that closing a segment appends: the trailer frame and the signature.
pub const CLOSE_LEN: usize = FRAME_HEADER_LEN + TRAILER_LEN + aead::TAG_LEN + SIGNATURE_LEN;

/// Flag of an ordinary record.
pub(crate) const FLAG_RECORD: u8 = 0x00;
/// Flag of the trailer, the last frame of a segment.
pub(crate) const FLAG_TRAILER: u8 = 0x01;

/// The header bytes the key wrap authenticates: everything before the wrapped key.
const WRAP_AD_LEN: usize = 4 + 1 + NETWORK_ID_LEN + 8 + HASH_LEN + 8 + 32 + 32;
const OFFSET_NETWORK: usize = 5;
const OFFSET_INDEX: usize = OFFSET_NETWORK + NETWORK_ID_LEN;
const OFFSET_PREVIOUS: usize = OFFSET_INDEX + 8;
const OFFSET_CREATED: usize = OFFSET_PREVIOUS + HASH_LEN;
const OFFSET_SIGNER: usize = OFFSET_CREATED + 8;
const OFFSET_EPHEMERAL: usize = OFFSET_SIGNER + 32;

const _: () = assert!(OFFSET_EPHEMERAL + 32 == WRAP_AD_LEN);
const _: () = assert!(HEADER_LEN == 181);

/// The header fields of a segment, as read from its first [`HEADER_LEN`] bytes.
///
/// [`SegmentHeader::peek`] reads them *without* authenticating anything (so that a tool can
/// sort segment files before reading them); the archive reader authenticates the whole header
/// when it unwraps the data key, and reports any change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentHeader {
    /// The network whose archive this is.
    pub network: NetworkId,
    /// The segment's position in the archive, from 0.
    pub index: u64,
    /// The final chain hash of segment `index - 1` (all zero for segment 0).
    pub previous_hash: [u8; HASH_LEN],
    /// When the compliance side opened the segment.
    pub created_at: Timestamp,
    /// The Ed25519 key of the compliance device that signs the segment.
    pub signer: [u8; 32],
    pub(crate) ephemeral: [u8; 32],
    pub(crate) wrapped_key: [u8; WRAPPED_KEY_LEN],
}

/// Why a segment's header could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeaderError {
    Short,
    BadMagic,
    UnsupportedFormat,
}

impl SegmentHeader {
    /// Reads the header fields at the front of `segment` (unauthenticated), or `None` if it
    /// does not start with a header of this format.
    pub fn peek(segment: &[u8]) -> Option<Self> {
        Self::parse(segment).ok()
    }

    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, HeaderError> {
        let bytes: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(HeaderError::Short)?;
        if bytes[..4] != MAGIC {
            return Err(HeaderError::BadMagic);
        }
        if bytes[4] != FORMAT {
            return Err(HeaderError::UnsupportedFormat);
        }
        Ok(Self {
            network: NetworkId(field(bytes, OFFSET_NETWORK)),
            index: u64::from_be_bytes(field(bytes, OFFSET_INDEX)),
            previous_hash: field(bytes, OFFSET_PREVIOUS),
            created_at: Timestamp(u64::from_be_bytes(field(bytes, OFFSET_CREATED))),
            signer: field(bytes, OFFSET_SIGNER),
            ephemeral: field(bytes, OFFSET_EPHEMERAL),
            wrapped_key: field(bytes, WRAP_AD_LEN),
        })
    }

    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        self.encode_unwrapped(&mut out);
        out[WRAP_AD_LEN..].copy_from_slice(&self.wrapped_key);
        out
    }

    fn encode_unwrapped(&self, out: &mut [u8; HEADER_LEN]) {
        out[..4].copy_from_slice(&MAGIC);
        out[4] = FORMAT;
        out[OFFSET_NETWORK..OFFSET_INDEX].copy_from_slice(&self.network.0);
        out[OFFSET_INDEX..OFFSET_PREVIOUS].copy_from_slice(&self.index.to_be_bytes());
        out[OFFSET_PREVIOUS..OFFSET_CREATED].copy_from_slice(&self.previous_hash);
        out[OFFSET_CREATED..OFFSET_SIGNER].copy_from_slice(&self.created_at.0.to_be_bytes());
        out[OFFSET_SIGNER..OFFSET_EPHEMERAL].copy_from_slice(&self.signer);
        out[OFFSET_EPHEMERAL..WRAP_AD_LEN].copy_from_slice(&self.ephemeral);
    }

    /// Makes a header with a fresh data key wrapped to `archive_key`: an ephemeral X25519 key,
    /// HKDF-SHA256 of the agreement, AES-256-GCM over the data key with the header as
    /// associated data. Returns the header and the data key.
    pub(crate) fn seal(
        rng: &mut (impl CryptoRng + ?Sized),
        archive_key: &ArchivePublicKey,
        network: NetworkId,
        index: u64,
        previous_hash: [u8; HASH_LEN],
        created_at: Timestamp,
        signer: [u8; 32],
    ) -> Option<(Self, Secret32)> {
        let mut data_key = Zeroizing::new([0u8; aead::KEY_LEN]);
        rng.fill_bytes(data_key.as_mut_slice());
        let ephemeral = PrivateKey::generate(rng);
        let shared = ephemeral.agree(archive_key.as_dh()).ok()?;
        let mut header = Self {
            network,
            index,
            previous_hash,
            created_at,
            signer,
            ephemeral: *ephemeral.public_key().as_bytes(),
            wrapped_key: [0; WRAPPED_KEY_LEN],
        };
        let wrap_key = wrap_key(&shared, &header.ephemeral, archive_key.as_bytes());
        let mut ad = [0u8; HEADER_LEN];
        header.encode_unwrapped(&mut ad);
        let mut sealed = *data_key;
        let tag = aead::seal_in_place_detached(
            &wrap_key,
            &[0; aead::NONCE_LEN],
            &ad[..WRAP_AD_LEN],
            &mut sealed,
        )
        .ok()?;
        header.wrapped_key[..aead::KEY_LEN].copy_from_slice(&sealed);
        header.wrapped_key[aead::KEY_LEN..].copy_from_slice(&tag);
        Some((header, Secret32::from_bytes(&mut data_key)))
    }

    /// Unwraps the data key with the archive private key, authenticating the whole header.
    pub(crate) fn unwrap(&self, archive_key: &ArchivePrivateKey) -> Option<Secret32> {
        let ephemeral = crate::crypto::dh::PublicKey::from_bytes(self.ephemeral);
        let shared = archive_key.agree(&ephemeral).ok()?;
        let wrap_key = wrap_key(
            &shared,
            &self.ephemeral,
            archive_key.public_key().as_bytes(),
        );
        let mut ad = [0u8; HEADER_LEN];
        self.encode_unwrapped(&mut ad);
        let mut key = Zeroizing::new([0u8; aead::KEY_LEN]);
        key.copy_from_slice(&self.wrapped_key[..aead::KEY_LEN]);
        let tag: [u8; aead::TAG_LEN] = field(&self.wrapped_key, aead::KEY_LEN);
        aead::open_in_place_detached(
            &wrap_key,
            &[0; aead::NONCE_LEN],
            &ad[..WRAP_AD_LEN],
            key.as_mut_slice(),
            &tag,
        )
        .ok()?;
        Some(Secret32::from_bytes(&mut key))
    }
}

/// `HKDF-SHA256(salt = "", ikm = X25519 output, info = label || ephemeral || archive key)`.
fn wrap_key(shared: &Secret32, ephemeral: &[u8; 32], archive: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut info = [0u8; domain::ARCHIVE_KEY_WRAP.len() + 64];
    let (label, keys) = info.split_at_mut(domain::ARCHIVE_KEY_WRAP.len());
    label.copy_from_slice(domain::ARCHIVE_KEY_WRAP);
    keys[..32].copy_from_slice(ephemeral);
    keys[32..].copy_from_slice(archive);
    let mut key = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF's 8160-byte maximum, so this cannot fail.
    let _ = kdf::hkdf_sha256(&[], shared.expose(), &info, key.as_mut_slice());
    key
}

/// Where a segment's chain starts: `SHA-256(label || header)`. It is also the associated data
/// of every frame of the segment.
pub(crate) fn chain_start(header: &[u8; HEADER_LEN]) -> [u8; HASH_LEN] {
    Sha256::new()
        .chain_update(domain::ARCHIVE_SEGMENT)
        .chain_update(header)
        .finalize()
        .into()
}

/// One step of the chain: `SHA-256(label || previous || frame)`.
pub(crate) fn chain_step(previous: &[u8; HASH_LEN], frame: &[u8]) -> [u8; HASH_LEN] {
    Sha256::new()
        .chain_update(domain::ARCHIVE_CHAIN)
        .chain_update(previous)
        .chain_update(frame)
        .finalize()
        .into()
}

/// A frame's nonce: `u32be(index) || flag || 7 zero bytes`.
pub(crate) fn nonce(index: u32, flag: u8) -> [u8; aead::NONCE_LEN] {
    let mut nonce = [0u8; aead::NONCE_LEN];
    nonce[..4].copy_from_slice(&index.to_be_bytes());
    nonce[4] = flag;
    nonce
}

/// The trailer's plaintext.
pub(crate) fn trailer(
    count: u64,
    closed_at: Timestamp,
    chain: &[u8; HASH_LEN],
) -> [u8; TRAILER_LEN] {
    let mut out = [0u8; TRAILER_LEN];
    out[..8].copy_from_slice(&count.to_be_bytes());
    out[8..16].copy_from_slice(&closed_at.0.to_be_bytes());
    out[16..].copy_from_slice(chain);
    out
}

/// Reads a trailer's plaintext: record count, closing time, chain hash before the trailer.
pub(crate) fn parse_trailer(bytes: &[u8]) -> Option<(u64, Timestamp, [u8; HASH_LEN])> {
    let bytes: &[u8; TRAILER_LEN] = bytes.try_into().ok()?;
    Some((
        u64::from_be_bytes(field(bytes, 0)),
        Timestamp(u64::from_be_bytes(field(bytes, 8))),
        field(bytes, 16),
    ))
}

/// A frame header: ciphertext length (tag included), flag, index.
pub(crate) fn frame_header(len: u32, flag: u8, index: u32) -> [u8; FRAME_HEADER_LEN] {
    let mut out = [0u8; FRAME_HEADER_LEN];
    out[..4].copy_from_slice(&len.to_be_bytes());
    out[4] = flag;
    out[5..].copy_from_slice(&index.to_be_bytes());
    out
}

/// Reads a frame header.
pub(crate) fn parse_frame_header(bytes: &[u8; FRAME_HEADER_LEN]) -> (u32, u8, u32) {
    (
        u32::from_be_bytes(field(bytes, 0)),
        bytes[4],
        u32::from_be_bytes(field(bytes, 5)),
    )
}

/// `N` bytes at `at`; the callers' offsets are constants within the array.
fn field<const N: usize, const M: usize>(bytes: &[u8; M], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(slice) = bytes.get(at..at + N) {
        out.copy_from_slice(slice);
    }
    out
}
