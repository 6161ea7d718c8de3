//! The Double Ratchet state of one session, as in the Signal specification, with two
//! choices written down in docs/PROTOCOL.md:
//!
//! - The sending ratchet step is lazy: receiving a new ratchet key only derives the receiving
//!   chain; the next [`Ratchet::encrypt`] makes the new ratchet key and sending chain. The
//!   root-chain steps happen in the same order as in the specification.
//! - Decryption works on derived copies and commits nothing until the tag verified.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use rand_core::CryptoRng;

use super::chain::{ChainKey, Header, MessageKey, RootKey, associated_data};
use crate::crypto::dh::{PrivateKey, PublicKey};
use crate::error::{DecryptError, EncryptError};
use crate::limits::{MAX_RECEIVING_CHAINS, MAX_STORED_SKIPPED_KEYS};

/// A chain we send on.
pub(crate) struct SendingChain {
    pub(crate) key: ChainKey,
    pub(crate) next: u32,
}

/// A chain we receive on, named by the peer's ratchet key.
pub(crate) struct ReceivingChain {
    pub(crate) ratchet_key: PublicKey,
    pub(crate) key: ChainKey,
    pub(crate) next: u32,
}

/// The key of a message that has not arrived yet.
pub(crate) struct SkippedKey {
    pub(crate) ratchet_key: PublicKey,
    pub(crate) counter: u32,
    pub(crate) key: MessageKey,
}

/// The certificate fingerprints that the associated data binds.
pub(crate) struct Fingerprints<'a> {
    pub(crate) local: &'a [u8; 32],
    pub(crate) remote: &'a [u8; 32],
}

/// The ratchet state.
pub(crate) struct Ratchet {
    pub(crate) root_key: RootKey,
    pub(crate) ratchet_secret: PrivateKey,
    pub(crate) remote_ratchet_key: PublicKey,
    /// `None` when the next send starts a new DH ratchet step.
    pub(crate) sending: Option<SendingChain>,
    pub(crate) previous_counter: u32,
    /// Oldest first.
    pub(crate) receiving: VecDeque<ReceivingChain>,
    /// Oldest first.
    pub(crate) skipped: VecDeque<SkippedKey>,
}

impl Ratchet {
    /// The initiator's state: a first ratchet key against the responder's signed prekey.
    pub(crate) fn initiator(
        secret: &RootKey,
        ratchet_secret: PrivateKey,
        remote_signed_prekey: PublicKey,
    ) -> Result<Self, EncryptError> {
        let dh = ratchet_secret
            .agree(&remote_signed_prekey)
            .map_err(|_| EncryptError::NonContributory)?;
        let (root_key, chain) = secret.step(&dh);
        Ok(Self {
            root_key,
            ratchet_secret,
            remote_ratchet_key: remote_signed_prekey,
            sending: Some(SendingChain {
                key: chain,
                next: 0,
            }),
            previous_counter: 0,
            receiving: VecDeque::new(),
            skipped: VecDeque::new(),
        })
    }

    /// The responder's state before its first message: its signed prekey is its ratchet key,
    /// and the initiator's first ratchet key opens the first receiving chain.
    pub(crate) fn responder(
        secret: &RootKey,
        signed_prekey: PrivateKey,
        remote_ratchet_key: PublicKey,
    ) -> Result<Self, DecryptError> {
        let dh = signed_prekey
            .agree(&remote_ratchet_key)
            .map_err(|_| DecryptError::NonContributory)?;
        let (root_key, chain) = secret.step(&dh);
        let mut receiving = VecDeque::with_capacity(1);
        receiving.push_back(ReceivingChain {
            ratchet_key: remote_ratchet_key,
            key: chain,
            next: 0,
        });
        Ok(Self {
            root_key,
            ratchet_secret: signed_prekey,
            remote_ratchet_key,
            sending: None,
            previous_counter: 0,
            receiving,
            skipped: VecDeque::new(),
        })
    }

    /// Encrypts one message, stepping the DH ratchet first if a new peer key was received.
    pub(crate) fn encrypt(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        parties: &Fingerprints<'_>,
        plaintext: &[u8],
    ) -> Result<(Header, Vec<u8>), EncryptError> {
        if self
            .sending
            .as_ref()
            .is_some_and(|chain| chain.next == u32::MAX)
        {
            return Err(EncryptError::ChainExhausted);
        }
        let previous_counter = self.previous_counter;
        let (ratchet_key, chain) = self.sending_chain(rng)?;
        let header = Header {
            ratchet_key,
            counter: chain.next,
            previous_counter,
        };
        let (message_key, next_key) = chain.key.step();
        let ciphertext = message_key.seal(
            &associated_data(parties.local, parties.remote, &header),
            plaintext,
        )?;
        chain.key = next_key;
        chain.next += 1;
        Ok((header, ciphertext))
    }

    /// The sending chain, made first with a new ratchet key if a new peer key was received;
    /// and our current ratchet public key.
    fn sending_chain(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<(PublicKey, &mut SendingChain), EncryptError> {
        let chain = match &mut self.sending {
            Some(chain) => chain,
            slot @ None => {
                let secret = PrivateKey::generate(rng);
                let dh = secret
                    .agree(&self.remote_ratchet_key)
                    .map_err(|_| EncryptError::NonContributory)?;
                let (root_key, key) = self.root_key.step(&dh);
                self.root_key = root_key;
                self.ratchet_secret = secret;
                slot.insert(SendingChain { key, next: 0 })
            }
        };
        Ok((self.ratchet_secret.public_key(), chain))
    }

    /// Decrypts one message. On any error the state is exactly as before.
    pub(crate) fn decrypt(
        &mut self,
        parties: &Fingerprints<'_>,
        header: &Header,
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, DecryptError> {
        let associated_data = associated_data(parties.remote, parties.local, header);

        if let Some(at) = self.skipped.iter().position(|skipped| {
            skipped.ratchet_key == header.ratchet_key && skipped.counter == header.counter
        }) {
            let plaintext = self.skipped[at].key.open(&associated_data, ciphertext)?;
            self.skipped.remove(at);
            return Ok(plaintext);
        }

        if let Some(at) = self.chain_index(&header.ratchet_key) {
            let chain = &self.receiving[at];
            if header.counter < chain.next {
                return Err(DecryptError::Duplicate {
                    counter: header.counter,
                });
            }
            let (skipped, at_counter) = chain.key.skip(chain.next, header.counter)?;
            let (message_key, next_key) = at_counter.step();
            let plaintext = message_key.open(&associated_data, ciphertext)?;
            let chain = &mut self.receiving[at];
            chain.key = next_key;
            chain.next = header.counter + 1;
            self.store_skipped(header.ratchet_key, skipped);
            return Ok(plaintext);
        }

        // A new ratchet key: first the rest of the current receiving chain, up to the
        // previous counter the peer announces, then a DH step into a new chain.
        let current = self.chain_index(&self.remote_ratchet_key);
        let tail = match current {
            Some(at) => {
                let chain = &self.receiving[at];
                Some(chain.key.skip(chain.next, header.previous_counter)?)
            }
            None => None,
        };
        let dh = self
            .ratchet_secret
            .agree(&header.ratchet_key)
            .map_err(|_| DecryptError::NonContributory)?;
        let (root_key, chain_key) = self.root_key.step(&dh);
        let (skipped, at_counter) = chain_key.skip(0, header.counter)?;
        let (message_key, next_key) = at_counter.step();
        let plaintext = message_key.open(&associated_data, ciphertext)?;

        if let (Some(at), Some((tail_keys, tail_key))) = (current, tail) {
            let chain = &mut self.receiving[at];
            chain.next = chain.next.max(header.previous_counter);
            chain.key = tail_key;
            let old_key = chain.ratchet_key;
            self.store_skipped(old_key, tail_keys);
        }
        self.root_key = root_key;
        self.remote_ratchet_key = header.ratchet_key;
        if let Some(sending) = self.sending.take() {
            self.previous_counter = sending.next;
        }
        if self.receiving.len() == MAX_RECEIVING_CHAINS {
            self.receiving.pop_front();
        }
        self.receiving.push_back(ReceivingChain {
            ratchet_key: header.ratchet_key,
            key: next_key,
            next: header.counter + 1,
        });
        self.store_skipped(header.ratchet_key, skipped);
        Ok(plaintext)
    }

    fn chain_index(&self, ratchet_key: &PublicKey) -> Option<usize> {
        self.receiving
            .iter()
            .position(|chain| &chain.ratchet_key == ratchet_key)
    }

    fn store_skipped(&mut self, ratchet_key: PublicKey, keys: Vec<(u32, MessageKey)>) {
        for (counter, key) in keys {
            if self.skipped.len() == MAX_STORED_SKIPPED_KEYS {
                self.skipped.pop_front();
            }
            self.skipped.push_back(SkippedKey {
                ratchet_key,
                counter,
                key,
            });
        }
    }
}
