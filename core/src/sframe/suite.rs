//! The five cipher suites of RFC 9605 (section 4.5) and the AEAD behind each, keyed once.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use aes::Aes128Enc;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use ctr::cipher::{InnerIvInit, StreamCipher, StreamCipherCoreWrapper};
use ctr::{CtrCore, flavors};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// Length of every suite's nonce (AEAD.Nn).
pub const NONCE_LEN: usize = 12;
/// The longest tag of any suite (AEAD.Nt of the GCM suites).
pub const MAX_TAG_LEN: usize = 16;
/// The longest key of any suite (AEAD.Nk of the CTR-HMAC suites).
pub const MAX_KEY_LEN: usize = 48;

/// Key length of AES-128 inside the CTR-HMAC suites (AEAD.Nka).
const CTR_KEY_LEN: usize = 16;
/// Associated data at most this long is assembled on the stack for AES-GCM.
const STACK_AAD_LEN: usize = 128;

/// An SFrame cipher suite, with its IANA number (RFC 9605, section 8.1).
///
/// Ember calls use [`CipherSuite::Aes256GcmSha512Tag128`] unless the room chooses otherwise
/// (the suite travels with the call secret); the CTR-HMAC suites with short tags exist for
/// bandwidth-starved audio and weaken forgery resistance accordingly (RFC 9605, section 7.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CipherSuite {
    /// `AES_128_CTR_HMAC_SHA256_80`: AES-128-CTR, HMAC-SHA256 truncated to 10 bytes.
    Aes128CtrHmacSha256Tag80 = 1,
    /// `AES_128_CTR_HMAC_SHA256_64`: AES-128-CTR, HMAC-SHA256 truncated to 8 bytes.
    Aes128CtrHmacSha256Tag64 = 2,
    /// `AES_128_CTR_HMAC_SHA256_32`: AES-128-CTR, HMAC-SHA256 truncated to 4 bytes.
    Aes128CtrHmacSha256Tag32 = 3,
    /// `AES_128_GCM_SHA256_128`: AES-128-GCM, HKDF-SHA256.
    Aes128GcmSha256Tag128 = 4,
    /// `AES_256_GCM_SHA512_128`: AES-256-GCM, HKDF-SHA512.
    Aes256GcmSha512Tag128 = 5,
}

impl CipherSuite {
    /// Every suite, in IANA order.
    pub const ALL: [Self; 5] = [
        Self::Aes128CtrHmacSha256Tag80,
        Self::Aes128CtrHmacSha256Tag64,
        Self::Aes128CtrHmacSha256Tag32,
        Self::Aes128GcmSha256Tag128,
        Self::Aes256GcmSha512Tag128,
    ];

    /// The IANA number, as it enters the key derivation.
    pub const fn id(self) -> u16 {
        self as u16
    }

    /// The suite with this IANA number, if it is one of the five.
    pub fn from_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|suite| suite.id() == id)
    }

    /// Output length of the suite's hash (Hash.Nh): the length of `sframe_secret`.
    pub const fn hash_len(self) -> usize {
        match self {
            Self::Aes256GcmSha512Tag128 => 64,
            _ => 32,
        }
    }

    /// Key length (AEAD.Nk). For the CTR-HMAC suites it is the AES key and the HMAC key.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128GcmSha256Tag128 => 16,
            Self::Aes256GcmSha512Tag128 => 32,
            _ => CTR_KEY_LEN + 32,
        }
    }

    /// Nonce length (AEAD.Nn), 12 for every suite.
    pub const fn nonce_len(self) -> usize {
        NONCE_LEN
    }

    /// Tag length (AEAD.Nt): what a frame grows by, besides its header.
    pub const fn tag_len(self) -> usize {
        match self {
            Self::Aes128CtrHmacSha256Tag80 => 10,
            Self::Aes128CtrHmacSha256Tag64 => 8,
            Self::Aes128CtrHmacSha256Tag32 => 4,
            _ => 16,
        }
    }
}

/// The plaintext is longer than the suite's AEAD can encrypt under one nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLong;

/// The ciphertext did not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadTag;

/// A tag, as long as its suite says.
pub(crate) struct Tag {
    bytes: [u8; MAX_TAG_LEN],
    len: usize,
}

impl Tag {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// One suite's AEAD (RFC 5116 style: the tag is appended), keyed once and reused for every
/// frame: the AES key schedule, GHASH key and HMAC pads are computed in [`FrameCipher::new`].
///
/// Zeroized on drop (the AES round keys, GHASH key and HMAC state), never printed.
pub struct FrameCipher {
    suite: CipherSuite,
    aead: Aead,
}

enum Aead {
    Gcm128(Box<Aes128Gcm>),
    Gcm256(Box<Aes256Gcm>),
    CtrHmac(Box<CtrHmac>),
}

/// RFC 9605, section 4.5.1: AES-CTR then HMAC over lengths, nonce, AAD and ciphertext.
struct CtrHmac {
    enc: Aes128Enc,
    mac: Hmac<Sha256>,
    tag_len: usize,
}

impl FrameCipher {
    /// Keys the suite's AEAD with `key`, which must be [`CipherSuite::key_len`] bytes long.
    ///
    /// For the CTR-HMAC suites the first 16 bytes are the AES key and the other 32 the HMAC
    /// key (RFC 9605, `derive_subkeys`).
    pub fn new(suite: CipherSuite, key: &[u8]) -> Option<Self> {
        let mut padded = [0u8; MAX_KEY_LEN];
        padded.get_mut(..key.len())?.copy_from_slice(key);
        let cipher = (key.len() == suite.key_len()).then(|| Self::from_key(suite, &padded));
        padded.zeroize();
        cipher
    }

    /// Keys the AEAD with the first [`CipherSuite::key_len`] bytes of `key`.
    pub(crate) fn from_key(suite: CipherSuite, key: &[u8; MAX_KEY_LEN]) -> Self {
        let aead = match suite {
            CipherSuite::Aes128GcmSha256Tag128 => {
                let mut k = [0u8; 16];
                k.copy_from_slice(&key[..16]);
                let gcm = Box::new(Aes128Gcm::new(&k.into()));
                k.zeroize();
                Aead::Gcm128(gcm)
            }
            CipherSuite::Aes256GcmSha512Tag128 => {
                let mut k = [0u8; 32];
                k.copy_from_slice(&key[..32]);
                let gcm = Box::new(Aes256Gcm::new(&k.into()));
                k.zeroize();
                Aead::Gcm256(gcm)
            }
            CipherSuite::Aes128CtrHmacSha256Tag80
            | CipherSuite::Aes128CtrHmacSha256Tag64
            | CipherSuite::Aes128CtrHmacSha256Tag32 => {
                let mut enc_key = [0u8; CTR_KEY_LEN];
                enc_key.copy_from_slice(&key[..CTR_KEY_LEN]);
                // HMAC pads a key shorter than the hash block with zeros, so the 32-byte
                // auth key zero-padded to SHA-256's 64-byte block is the same HMAC key.
                let mut auth_key = [0u8; 64];
                auth_key[..32].copy_from_slice(&key[CTR_KEY_LEN..CTR_KEY_LEN + 32]);
                let ctr_hmac = Box::new(CtrHmac {
                    enc: Aes128Enc::new(&enc_key.into()),
                    mac: <Hmac<Sha256> as KeyInit>::new(&auth_key.into()),
                    tag_len: suite.tag_len(),
                });
                enc_key.zeroize();
                auth_key.zeroize();
                Aead::CtrHmac(ctr_hmac)
            }
        };
        Self { suite, aead }
    }

    /// The suite.
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    /// AEAD.Encrypt: returns `ciphertext || tag`, or `None` if the plaintext is longer than
    /// the AEAD allows.
    pub fn seal(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(plaintext.len() + self.suite.tag_len());
        out.extend_from_slice(plaintext);
        let tag = self.seal_detached(nonce, aad, &[], &mut out).ok()?;
        out.extend_from_slice(tag.as_bytes());
        Some(out)
    }

    /// AEAD.Decrypt of `ciphertext || tag`. Nothing is released unless the tag verified.
    pub fn open(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let split = sealed.len().checked_sub(self.suite.tag_len())?;
        let (ciphertext, tag) = sealed.split_at(split);
        let mut out = Vec::from(ciphertext);
        self.open_detached(nonce, aad, &[], &mut out, tag).ok()?;
        Some(out)
    }

    /// Encrypts `data` in place under the associated data `aad || aad_more`, returning the tag.
    pub(crate) fn seal_detached(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        aad_more: &[u8],
        data: &mut [u8],
    ) -> Result<Tag, TooLong> {
        let mut tag = Tag {
            bytes: [0u8; MAX_TAG_LEN],
            len: self.suite.tag_len(),
        };
        match &self.aead {
            Aead::Gcm128(gcm) => with_joined(aad, aad_more, |aad| {
                gcm.encrypt_inout_detached(nonce.into(), aad, data.into())
                    .map(|t| tag.bytes.copy_from_slice(&t))
                    .map_err(|_| TooLong)
            })?,
            Aead::Gcm256(gcm) => with_joined(aad, aad_more, |aad| {
                gcm.encrypt_inout_detached(nonce.into(), aad, data.into())
                    .map(|t| tag.bytes.copy_from_slice(&t))
                    .map_err(|_| TooLong)
            })?,
            Aead::CtrHmac(ctr_hmac) => {
                ctr_hmac.keystream(nonce, data)?;
                let full = ctr_hmac.mac(nonce, aad, aad_more, data);
                let len = tag.len;
                tag.bytes[..len].copy_from_slice(&full[..len]);
            }
        }
        Ok(tag)
    }

    /// Verifies `tag` over `data` and the associated data `aad || aad_more`, then decrypts
    /// `data` in place. On failure `data` is unchanged.
    pub(crate) fn open_detached(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        aad_more: &[u8],
        data: &mut [u8],
        tag: &[u8],
    ) -> Result<(), BadTag> {
        match &self.aead {
            Aead::Gcm128(gcm) => {
                let tag: &[u8; MAX_TAG_LEN] = tag.try_into().map_err(|_| BadTag)?;
                with_joined(aad, aad_more, |aad| {
                    gcm.decrypt_inout_detached(nonce.into(), aad, data.into(), tag.into())
                        .map_err(|_| BadTag)
                })
            }
            Aead::Gcm256(gcm) => {
                let tag: &[u8; MAX_TAG_LEN] = tag.try_into().map_err(|_| BadTag)?;
                with_joined(aad, aad_more, |aad| {
                    gcm.decrypt_inout_detached(nonce.into(), aad, data.into(), tag.into())
                        .map_err(|_| BadTag)
                })
            }
            Aead::CtrHmac(ctr_hmac) => {
                if tag.len() != ctr_hmac.tag_len {
                    return Err(BadTag);
                }
                let full = ctr_hmac.mac(nonce, aad, aad_more, data);
                if !bool::from(full[..ctr_hmac.tag_len].ct_eq(tag)) {
                    return Err(BadTag);
                }
                ctr_hmac.keystream(nonce, data).map_err(|_| BadTag)
            }
        }
    }
}

impl CtrHmac {
    /// AES-CTR from `nonce || 00000000`; the 32-bit block counter never wraps for a frame
    /// below 64 GiB, far above [`crate::limits::MAX_CALL_FRAME_LEN`].
    fn keystream(&self, nonce: &[u8; NONCE_LEN], data: &mut [u8]) -> Result<(), TooLong> {
        let mut iv = [0u8; 16];
        iv[..NONCE_LEN].copy_from_slice(nonce);
        let core = CtrCore::<&Aes128Enc, flavors::Ctr32BE>::inner_iv_init(&self.enc, &iv.into());
        let mut ctr = StreamCipherCoreWrapper::from_core(core);
        ctr.try_apply_keystream(data).map_err(|_| TooLong)
    }

    /// `compute_tag` before truncation: HMAC over `len(aad) || len(ct) || Nt || nonce || aad
    /// || ct`, each length a 64-bit big-endian integer.
    fn mac(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], aad_more: &[u8], ct: &[u8]) -> [u8; 32] {
        let aad_len = (aad.len() + aad_more.len()) as u64;
        let mut mac = self.mac.clone();
        mac.update(&aad_len.to_be_bytes());
        mac.update(&(ct.len() as u64).to_be_bytes());
        mac.update(&(self.tag_len as u64).to_be_bytes());
        mac.update(nonce);
        mac.update(aad);
        mac.update(aad_more);
        mac.update(ct);
        mac.finalize().into_bytes().into()
    }
}

/// Runs `f` on `first || second`, borrowing `first` when `second` is empty, joining on the
/// stack when short and on the heap otherwise (AES-GCM wants one associated-data slice).
fn with_joined<T>(first: &[u8], second: &[u8], f: impl FnOnce(&[u8]) -> T) -> T {
    if second.is_empty() {
        return f(first);
    }
    let len = first.len() + second.len();
    if len <= STACK_AAD_LEN {
        let mut joined = [0u8; STACK_AAD_LEN];
        joined[..first.len()].copy_from_slice(first);
        joined[first.len()..len].copy_from_slice(second);
        f(&joined[..len])
    } else {
        let mut joined = Vec::with_capacity(len);
        joined.extend_from_slice(first);
        joined.extend_from_slice(second);
        f(&joined)
    }
}

impl fmt::Debug for FrameCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { suite, aead: _ } = self;
        f.debug_struct("FrameCipher")
            .field("suite", suite)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_constants_match_the_rfc_table() {
        for suite in CipherSuite::ALL {
            assert_eq!(CipherSuite::from_id(suite.id()), Some(suite));
            assert_eq!(suite.nonce_len(), 12);
        }
        assert_eq!(CipherSuite::from_id(0), None);
        assert_eq!(CipherSuite::from_id(6), None);
        let table: [(usize, usize, usize); 5] = [
            (32, 48, 10),
            (32, 48, 8),
            (32, 48, 4),
            (32, 16, 16),
            (64, 32, 16),
        ];
        for (suite, (nh, nk, nt)) in CipherSuite::ALL.into_iter().zip(table) {
            assert_eq!(
                (suite.hash_len(), suite.key_len(), suite.tag_len()),
                (nh, nk, nt)
            );
        }
    }

    #[test]
    fn every_suite_round_trips_and_rejects_tampering() {
        for suite in CipherSuite::ALL {
            let key = alloc::vec![7u8; suite.key_len()];
            let cipher = FrameCipher::new(suite, &key).unwrap();
            let nonce = [3u8; NONCE_LEN];
            let long_aad = [9u8; 200];
            for (aad, more) in [
                (&b"hdr"[..], &b""[..]),
                (b"hdr", b"meta"),
                (b"h", &long_aad),
            ] {
                let mut data = b"frame bytes".to_vec();
                let tag = cipher.seal_detached(&nonce, aad, more, &mut data).unwrap();
                assert_eq!(tag.as_bytes().len(), suite.tag_len());
                let mut joined = aad.to_vec();
                joined.extend_from_slice(more);
                let mut sealed = data.clone();
                sealed.extend_from_slice(tag.as_bytes());
                assert_eq!(
                    cipher.open(&nonce, &joined, &sealed).unwrap(),
                    b"frame bytes"
                );
                for i in 0..sealed.len() {
                    let mut bad = sealed.clone();
                    bad[i] ^= 1;
                    assert_eq!(
                        cipher.open(&nonce, &joined, &bad),
                        None,
                        "{suite:?} byte {i}"
                    );
                }
                let mut wrong = data.clone();
                assert_eq!(
                    cipher.open_detached(&nonce, aad, b"other", &mut wrong, tag.as_bytes()),
                    Err(BadTag)
                );
                assert_eq!(wrong, data, "{suite:?}: data changed after a failed open");
            }
            assert!(FrameCipher::new(suite, &key[1..]).is_none());
            assert!(cipher.open(&nonce, b"", &[0u8; 3]).is_none());
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let cipher = FrameCipher::new(CipherSuite::Aes128GcmSha256Tag128, &[0xAB; 16]).unwrap();
        let shown = alloc::format!("{cipher:?}");
        assert_eq!(shown, "FrameCipher { suite: Aes128GcmSha256Tag128, .. }");
    }
}
