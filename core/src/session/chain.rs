//! The key schedule of the Double Ratchet: the root chain (HKDF-SHA256), the symmetric
//! chains (HMAC-SHA256) and the per-message AES-256-GCM key.

use alloc::vec::Vec;

use crate::crypto::{Secret32, aead, dh, kdf};
use crate::domain;
use crate::error::{DecryptError, EncryptError};
use crate::limits::{MAX_PLAINTEXT_LEN, MAX_SKIP};
use crate::wire::Suite;

/// Each message key encrypts exactly one message, so a fixed nonce is safe (as for any
/// single-use AEAD key); deriving a nonce as well would cost a second HMAC per message for
/// no security gain.
const MESSAGE_NONCE: [u8; aead::NONCE_LEN] = [0; aead::NONCE_LEN];

/// The root key: input and output of every DH ratchet step.
pub(crate) struct RootKey(pub(crate) Secret32);

/// A symmetric chain key.
pub(crate) struct ChainKey(pub(crate) Secret32);

/// The key of one message.
pub(crate) struct MessageKey(pub(crate) Secret32);

impl RootKey {
    /// KDF_RK: (root key, DH output) -> (next root key, chain key).
    pub(crate) fn step(&self, dh_output: &Secret32) -> (RootKey, ChainKey) {
        let mut okm = [0u8; 64];
        // 64 bytes is far below HKDF's limit, so the error branch cannot happen.
        let _ = kdf::hkdf_sha256(
            self.0.expose(),
            dh_output.expose(),
            domain::ROOT_CHAIN,
            &mut okm,
        );
        let mut root = [0u8; 32];
        let mut chain = [0u8; 32];
        root.copy_from_slice(&okm[..32]);
        chain.copy_from_slice(&okm[32..]);
        zeroize::Zeroize::zeroize(&mut okm);
        (
            RootKey(Secret32::from_bytes(&mut root)),
            ChainKey(Secret32::from_bytes(&mut chain)),
        )
    }
}

impl ChainKey {
    /// KDF_CK: chain key -> (message key, next chain key).
    pub(crate) fn step(&self) -> (MessageKey, ChainKey) {
        let (mut message, mut next) = kdf::hmac_sha256_pair(self.0.expose(), &[0x01], &[0x02]);
        (
            MessageKey(Secret32::from_bytes(&mut message)),
            ChainKey(Secret32::from_bytes(&mut next)),
        )
    }

    /// Derives the keys of counters `from..to` (to be stored as skipped) and returns the chain
    /// key at `to`. Refuses to derive more than [`MAX_SKIP`] keys.
    pub(crate) fn skip(
        &self,
        from: u32,
        to: u32,
    ) -> Result<(Vec<(u32, MessageKey)>, ChainKey), DecryptError> {
        let gap = to.saturating_sub(from);
        if gap > MAX_SKIP {
            return Err(DecryptError::GapTooLarge {
                got: gap,
                max: MAX_SKIP,
            });
        }
        let mut skipped = Vec::with_capacity(gap as usize);
        let mut key = ChainKey(self.0.duplicate());
        for counter in from..to {
            let (message, next) = key.step();
            skipped.push((counter, message));
            key = next;
        }
        Ok((skipped, key))
    }
}

impl MessageKey {
    pub(crate) fn seal(
        &self,
        associated_data: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, EncryptError> {
        aead::seal(self.0.expose(), &MESSAGE_NONCE, associated_data, plaintext).map_err(|_| {
            EncryptError::TooLong {
                len: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            }
        })
    }

    pub(crate) fn open(
        &self,
        associated_data: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, DecryptError> {
        aead::open(self.0.expose(), &MESSAGE_NONCE, associated_data, ciphertext)
            .map_err(|_| DecryptError::BadTag)
    }
}

/// The authenticated header of a ratchet message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) ratchet_key: dh::PublicKey,
    pub(crate) counter: u32,
    pub(crate) previous_counter: u32,
}

/// Length of the associated data of a ratchet message.
pub(crate) const ASSOCIATED_DATA_LEN: usize = 17 + 4 + 32 + 32 + 32 + 4 + 4;

/// The associated data: label, suite, sender and receiver certificate fingerprints, header.
pub(crate) fn associated_data(
    sender: &[u8; 32],
    receiver: &[u8; 32],
    header: &Header,
) -> [u8; ASSOCIATED_DATA_LEN] {
    let mut out = [0u8; ASSOCIATED_DATA_LEN];
    let parts: [&[u8]; 7] = [
        domain::MESSAGE,
        &Suite::Classic.id().to_be_bytes(),
        sender,
        receiver,
        header.ratchet_key.as_bytes(),
        &header.counter.to_be_bytes(),
        &header.previous_counter.to_be_bytes(),
    ];
    let mut at = 0;
    for part in parts {
        out[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(byte: u8) -> ChainKey {
        ChainKey(Secret32::from_bytes(&mut [byte; 32]))
    }

    #[test]
    fn skip_matches_stepping_and_is_bounded() {
        let start = chain(1);
        let (skipped, at_three) = start.skip(0, 3).unwrap();
        let (m0, c1) = start.step();
        let (_, c2) = c1.step();
        let (m2, c3) = c2.step();
        assert_eq!(skipped.len(), 3);
        assert_eq!(skipped[0].1.0.expose(), m0.0.expose());
        assert_eq!(skipped[2].1.0.expose(), m2.0.expose());
        assert_eq!(at_three.0.expose(), c3.0.expose());
        assert_eq!(
            start.skip(0, MAX_SKIP + 1).err(),
            Some(DecryptError::GapTooLarge {
                got: MAX_SKIP + 1,
                max: MAX_SKIP
            })
        );
        assert_eq!(start.skip(5, 5).unwrap().0.len(), 0);
    }

    #[test]
    fn associated_data_layout() {
        let header = Header {
            ratchet_key: dh::PublicKey::from_bytes([7; 32]),
            counter: 0x01020304,
            previous_counter: 0x0a0b0c0d,
        };
        let ad = associated_data(&[1; 32], &[2; 32], &header);
        assert_eq!(&ad[..17], b"ember/v1/message\0");
        assert_eq!(&ad[17..21], &[0, 0, 0, 1]);
        assert_eq!(&ad[21..53], &[1; 32]);
        assert_eq!(&ad[53..85], &[2; 32]);
        assert_eq!(&ad[85..117], &[7; 32]);
        assert_eq!(&ad[117..], &[1, 2, 3, 4, 10, 11, 12, 13]);
    }
}
