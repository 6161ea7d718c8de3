//! The master recovery key: 32 random bytes from which the account id and root key derive.
//!
//! Whoever holds the recovery key holds the account: it restores the account id and root key
//! on a new device ([`Account::from_recovery_key`]) and certifies a device when no device that
//! holds the root key is at hand ([`Account::certify_with_recovery`]). The user keeps it
//! outside every device, as 24 words of the BIP-39 English list ([`RecoveryKey::to_words`])
//! or as a QR code ([`RecoveryKey::to_qr_payload`]).
//!
//! ```
//! use ember_core::identity::{Account, RecoveryKey};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([3; 32]);
//! let account = Account::generate(&mut rng);
//! let words = account.recovery_key().ok_or("no recovery key")?.to_words();
//! assert_eq!(words.split(' ').count(), 24);
//!
//! // On a new phone, after the account's devices were all lost:
//! let restored = Account::from_recovery_key(&RecoveryKey::from_words(&words)?);
//! assert_eq!(restored.public_identity(), account.public_identity());
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use bip39::Language;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::{Account, DeviceCertificate, DeviceListError, DevicePublicKeys, VerifiedDeviceList};
use crate::crypto::Secret32;
use crate::crypto::kdf::hkdf_sha256;
use crate::crypto::sign::SigningKey;
use crate::domain;
use crate::ids::{ACCOUNT_ID_LEN, AccountId, Timestamp};

/// Words in a recovery phrase: 256 bits of key and 8 bits of checksum, 11 bits a word.
pub const RECOVERY_WORDS: usize = 24;
/// Version byte at the start of a recovery QR payload.
pub const RECOVERY_QR_VERSION: u8 = 1;
/// Length of a recovery QR payload: version, key, 4-byte checksum.
pub const RECOVERY_QR_LEN: usize = 1 + 32 + RECOVERY_QR_CHECKSUM_LEN;
/// Longest recovery phrase [`RecoveryKey::from_words`] reads, in bytes. Twenty-four words of
/// at most eight letters with generous whitespace fit well below it.
pub const MAX_RECOVERY_TEXT_LEN: usize = 1024;

const RECOVERY_QR_CHECKSUM_LEN: usize = 4;
const BITS_PER_WORD: usize = 11;
/// The key and its one checksum byte.
const PHRASE_BYTES: usize = 33;
/// Letters that identify a word of the English list on their own (the list is built so).
const UNIQUE_PREFIX_LEN: usize = 4;
/// The longest word of the English list.
const MAX_WORD_LEN: usize = 8;

/// A recovery phrase or QR payload could not be read. None of the variants holds key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoveryError {
    /// The phrase has other than [`RECOVERY_WORDS`] words, or the QR payload other than
    /// [`RECOVERY_QR_LEN`] bytes.
    WrongLength {
        /// The number of words (or bytes) read.
        got: usize,
        /// The number required.
        expected: usize,
    },
    /// The phrase is longer than [`MAX_RECOVERY_TEXT_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A word is not in the BIP-39 English list (nor the first four letters of one).
    UnknownWord {
        /// Its position in the phrase, counting from 0.
        index: usize,
    },
    /// Every word is known but the checksum does not match: a word was mistyped into another
    /// word of the list, or words were swapped.
    BadChecksum,
    /// A QR payload version this implementation does not read.
    UnsupportedVersion(u8),
}

impl fmt::Display for RecoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recovery key rejected: {self:?}")
    }
}

impl core::error::Error for RecoveryError {}

/// The master recovery key. Zeroized on drop, never printed, compared in constant time.
pub struct RecoveryKey(Secret32);

impl RecoveryKey {
    /// A fresh key from `rng`.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Self(Secret32::from_bytes(&mut bytes))
    }

    /// Takes the 32 key bytes and wipes the caller's copy.
    pub fn from_bytes(bytes: &mut [u8; 32]) -> Self {
        Self(Secret32::from_bytes(bytes))
    }

    /// The 32 key bytes, for sealing into a snapshot.
    pub(crate) fn expose(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// An independent copy, for the account that keeps one.
    pub(crate) fn duplicate(&self) -> Self {
        Self(self.0.duplicate())
    }

    /// The 24 words of the BIP-39 English list that encode the key (BIP-39's entropy encoding:
    /// the key, then the first byte of its SHA-256, in 11-bit groups), lowercase, separated by
    /// single spaces. The string is wiped when dropped.
    pub fn to_words(&self) -> Zeroizing<String> {
        let mut bits = Zeroizing::new([0u8; PHRASE_BYTES]);
        bits[..32].copy_from_slice(self.expose());
        bits[32] = Sha256::digest(self.expose())[0];
        let list = Language::English.word_list();
        let mut out = Zeroizing::new(String::with_capacity(RECOVERY_WORDS * 9));
        for index in 0..RECOVERY_WORDS {
            if index > 0 {
                out.push(' ');
            }
            out.push_str(list[word_index(&bits, index)]);
        }
        out
    }

    /// Reads the 24 words of [`RecoveryKey::to_words`].
    ///
    /// Words may be separated by any whitespace and written in any letter case; the first four
    /// letters of a word also stand for it (the English list is unique in them, and recovery
    /// plates often hold only those).
    pub fn from_words(phrase: &str) -> Result<Self, RecoveryError> {
        if phrase.len() > MAX_RECOVERY_TEXT_LEN {
            return Err(RecoveryError::TooLong {
                len: phrase.len(),
                max: MAX_RECOVERY_TEXT_LEN,
            });
        }
        let count = phrase.split_whitespace().count();
        if count != RECOVERY_WORDS {
            return Err(RecoveryError::WrongLength {
                got: count,
                expected: RECOVERY_WORDS,
            });
        }
        let mut bits = Zeroizing::new([0u8; PHRASE_BYTES]);
        // Never grows past its capacity, so no copy of a word is left behind by a reallocation.
        let mut lower = Zeroizing::new(String::with_capacity(MAX_WORD_LEN));
        for (index, word) in phrase.split_whitespace().enumerate() {
            if word.len() > MAX_WORD_LEN {
                return Err(RecoveryError::UnknownWord { index });
            }
            lower.clear();
            lower.extend(word.chars().map(|c| c.to_ascii_lowercase()));
            let mut value = find_word(&lower).ok_or(RecoveryError::UnknownWord { index })?;
            for bit in 0..BITS_PER_WORD {
                if value & (1 << (BITS_PER_WORD - 1 - bit)) != 0 {
                    let at = index * BITS_PER_WORD + bit;
                    bits[at / 8] |= 0x80 >> (at % 8);
                }
            }
            value.zeroize();
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(&bits[..32]);
        let key = Self::from_bytes(&mut key);
        let checksum = Sha256::digest(key.expose())[0];
        if !bool::from(checksum.ct_eq(&bits[32])) {
            return Err(RecoveryError::BadChecksum);
        }
        Ok(key)
    }

    /// The payload to show as a QR code: `version || key || checksum` (docs/protocol/devices.md).
    /// Wiped when dropped.
    pub fn to_qr_payload(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(RECOVERY_QR_LEN));
        out.push(RECOVERY_QR_VERSION);
        out.extend_from_slice(self.expose());
        out.extend_from_slice(&qr_checksum(RECOVERY_QR_VERSION, self.expose()));
        out
    }

    /// Reads a scanned [`RecoveryKey::to_qr_payload`].
    pub fn from_qr_payload(payload: &[u8]) -> Result<Self, RecoveryError> {
        if payload.len() != RECOVERY_QR_LEN {
            return Err(RecoveryError::WrongLength {
                got: payload.len(),
                expected: RECOVERY_QR_LEN,
            });
        }
        if payload[0] != RECOVERY_QR_VERSION {
            return Err(RecoveryError::UnsupportedVersion(payload[0]));
        }
        let key = Secret32::from_slice(&payload[1..33]).ok_or(RecoveryError::WrongLength {
            got: payload.len(),
            expected: RECOVERY_QR_LEN,
        })?;
        let expected = qr_checksum(RECOVERY_QR_VERSION, key.expose());
        if !bool::from(expected.ct_eq(&payload[33..])) {
            return Err(RecoveryError::BadChecksum);
        }
        Ok(Self(key))
    }

    /// The account id this key derives: HKDF-SHA256 with info `"ember/v1/account-id\0"`.
    pub fn account_id(&self) -> AccountId {
        let mut id = [0u8; ACCOUNT_ID_LEN];
        derive(self, domain::ACCOUNT_ID, &mut id);
        AccountId::from_bytes(id)
    }

    /// The account root key this key derives: HKDF-SHA256 with info
    /// `"ember/v1/account-root\0"` gives the Ed25519 seed.
    pub(crate) fn root_key(&self) -> SigningKey {
        let mut seed = [0u8; 32];
        derive(self, domain::ACCOUNT_ROOT, &mut seed);
        SigningKey::from_secret(&Secret32::from_bytes(&mut seed))
    }
}

impl ConstantTimeEq for RecoveryKey {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

/// Equality in constant time, through [`ConstantTimeEq`].
impl PartialEq for RecoveryKey {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.ct_eq(other))
    }
}

impl Eq for RecoveryKey {}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(..)")
    }
}

impl Account {
    /// The account that `recovery_key` derives: the same id and root key as when it was made.
    ///
    /// Device ids start again at 1; call [`Account::catch_up`] with the account's latest device
    /// list so that new devices get ids never issued before.
    pub fn from_recovery_key(recovery_key: &RecoveryKey) -> Self {
        Self {
            id: recovery_key.account_id(),
            root: recovery_key.root_key(),
            next_device_id: 1,
            recovery: Some(recovery_key.duplicate()),
        }
    }

    /// The master recovery key, on a device that holds it (the one that made the account, or
    /// one restored from the key), for the user to write down or scan.
    pub const fn recovery_key(&self) -> Option<&RecoveryKey> {
        self.recovery.as_ref()
    }

    /// Wipes the recovery key from this device (for example once the user has written it
    /// down); the root key stays. Later snapshots no longer hold it.
    pub fn forget_recovery_key(&mut self) {
        self.recovery = None;
    }

    /// Certifies a device with the master recovery key alone, when no device that holds the
    /// root key is at hand (all of them lost), and returns the certificate with the device list
    /// that adds it.
    ///
    /// `latest` is the account's latest device list, if it has published one: the new device
    /// gets an id that was never issued, and the list keeps the other devices (revoke the lost
    /// ones with [`Account::revoke_device`] from a device that holds the root key, or from
    /// [`Account::from_recovery_key`]). Without it, the list starts at version 1 with only the
    /// new device. The root key exists only while this runs.
    pub fn certify_with_recovery(
        recovery_key: &RecoveryKey,
        keys: &DevicePublicKeys,
        latest: Option<&VerifiedDeviceList>,
        now: Timestamp,
    ) -> Result<(DeviceCertificate, VerifiedDeviceList), DeviceListError> {
        let mut account = Self::from_recovery_key(recovery_key);
        account.forget_recovery_key();
        match latest {
            Some(list) => {
                account.catch_up(list)?;
                let certificate = account.certify_device(keys, now);
                let list = account.add_to_device_list(list, &certificate, now)?;
                Ok((certificate, list))
            }
            None => {
                let certificate = account.certify_device(keys, now);
                let list = account.device_list(1, [&certificate], now)?;
                Ok((certificate, list))
            }
        }
    }
}

/// The value of word `index`: bits `11 * index ..` of the key and checksum, big-endian.
fn word_index(bits: &[u8; PHRASE_BYTES], index: usize) -> usize {
    let mut value = 0usize;
    for bit in 0..BITS_PER_WORD {
        let at = index * BITS_PER_WORD + bit;
        value = (value << 1) | usize::from((bits[at / 8] >> (7 - at % 8)) & 1);
    }
    value
}

/// A word of the English list, or the unique word that begins with these four letters.
fn find_word(word: &str) -> Option<u16> {
    if let Some(index) = Language::English.find_word(word) {
        return Some(index);
    }
    if word.len() != UNIQUE_PREFIX_LEN {
        return None;
    }
    let list = Language::English.word_list();
    let mut found = list
        .iter()
        .enumerate()
        .filter(|(_, candidate)| candidate.starts_with(word));
    match (found.next(), found.next()) {
        (Some((index, _)), None) => u16::try_from(index).ok(),
        _ => None,
    }
}

fn qr_checksum(version: u8, key: &[u8; 32]) -> [u8; RECOVERY_QR_CHECKSUM_LEN] {
    let digest = Sha256::new()
        .chain_update(domain::RECOVERY_CHECKSUM)
        .chain_update([version])
        .chain_update(key)
        .finalize();
    let mut out = [0u8; RECOVERY_QR_CHECKSUM_LEN];
    out.copy_from_slice(&digest[..RECOVERY_QR_CHECKSUM_LEN]);
    out
}

fn derive(key: &RecoveryKey, info: &[u8], out: &mut [u8]) {
    // At most 32 bytes are asked for, far below HKDF's 8160-byte bound.
    if hkdf_sha256(&[], key.expose(), info, out).is_err() {
        out.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    /// BIP-39 reference vectors (trezor/python-mnemonic `vectors.json`, 256-bit entropies).
    const VECTORS: [([u8; 32], &str); 4] = [
        (
            [0x00; 32],
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
             abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
             abandon abandon abandon art",
        ),
        (
            [0x7f; 32],
            "legal winner thank year wave sausage worth useful legal winner thank year wave \
             sausage worth useful legal winner thank year wave sausage worth title",
        ),
        (
            [0x80; 32],
            "letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd \
             amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic \
             bless",
        ),
        (
            [0xff; 32],
            "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo \
             zoo zoo zoo vote",
        ),
    ];

    #[test]
    fn words_match_the_bip39_vectors_and_the_bip39_crate() {
        for (entropy, phrase) in VECTORS {
            let key = RecoveryKey::from_bytes(&mut entropy.clone());
            assert_eq!(key.to_words().as_str(), phrase);
            assert_eq!(RecoveryKey::from_words(phrase).unwrap(), key);
        }
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        for _ in 0..64 {
            let key = RecoveryKey::generate(&mut rng);
            let mnemonic = bip39::Mnemonic::from_entropy(key.expose()).unwrap();
            let words = key.to_words();
            assert!(
                words
                    .split(' ')
                    .zip(mnemonic.words())
                    .all(|(ours, theirs)| ours == theirs)
            );
            assert_eq!(RecoveryKey::from_words(&words).unwrap(), key);
        }
    }

    #[test]
    fn every_four_letter_prefix_is_unique() {
        let list = Language::English.word_list();
        assert!(list.iter().all(|word| word.len() <= MAX_WORD_LEN));
        for (index, word) in list.iter().enumerate() {
            let prefix = &word[..word.len().min(UNIQUE_PREFIX_LEN)];
            assert_eq!(find_word(prefix), Some(index as u16), "{word}");
        }
        assert_eq!(find_word("aban"), Some(0));
        assert_eq!(find_word("abandonx"), None);
        assert_eq!(find_word("ab"), None);
    }

    /// The vector of docs/protocol/devices.md.
    #[test]
    fn known_answer() {
        let key = RecoveryKey::from_bytes(&mut [0x42; 32]);
        assert_eq!(
            key.account_id(),
            AccountId::from_bytes([
                0x22, 0x21, 0xf8, 0x92, 0xaf, 0x45, 0xb8, 0x79, 0xeb, 0x3f, 0x84, 0x38, 0xa0, 0x60,
                0x5c, 0x2f
            ])
        );
        let root = key.root_key();
        assert_eq!(
            hex::encode(root.to_secret().expose()),
            "8cf3a022438b7c7922033c08816c7025478f70b8a7321b84afaa63c65ec61453"
        );
        assert_eq!(
            hex::encode(root.verifying_key().to_bytes()),
            "8516bddd8ae2feda0110ecf7797e9e511ed1c621bdabfad61f888823f8ba051a"
        );
        assert_eq!(
            key.to_words().as_str(),
            "drastic bamboo mountain loyal category cancel animal embark drastic bamboo mountain \
             loyal category cancel animal embark drastic bamboo mountain loyal category cancel \
             animal embark"
        );
        assert_eq!(
            hex::encode(key.to_qr_payload().as_slice()),
            "0142424242424242424242424242424242424242424242424242424242424242425203ac42"
        );
    }

    #[test]
    fn derivation_is_fixed() {
        let key = RecoveryKey::from_bytes(&mut [0x42; 32]);
        let mut id = [0u8; 16];
        hkdf_sha256(&[], &[0x42; 32], b"ember/v1/account-id\0", &mut id).unwrap();
        assert_eq!(key.account_id(), AccountId::from_bytes(id));
        let mut seed = [0u8; 32];
        hkdf_sha256(&[], &[0x42; 32], b"ember/v1/account-root\0", &mut seed).unwrap();
        assert_eq!(key.root_key().to_secret().expose(), &seed);
    }
}
