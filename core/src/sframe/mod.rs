//! Calls: SFrame (RFC 9605) media keys and frame protection, for calls of up to
//! [`MAX_CALL_PARTICIPANTS`](crate::limits::MAX_CALL_PARTICIPANTS) participants.
//!
//! Two layers:
//!
//! - **RFC 9605, exactly.** [`Header`] (section 4.3), [`CipherSuite`] (all five suites of
//!   section 4.5, including the AES-CTR + HMAC construction of 4.5.1), [`SframeKeyMaterial`]
//!   and [`SframeKey`] (key derivation, 4.4.2), [`protect`] and [`unprotect`] (4.4.3,
//!   4.4.4), and [`FrameCipher`], each suite's AEAD. `tests/sframe_vectors.rs` checks them
//!   against the RFC's test vectors.
//! - **Ember's call keys.** A [`CallSecret`] per [`CallEpoch`], from which every
//!   participant's SFrame key is derived; [`CallKeys`] opens everyone's frames with replay
//!   protection, and a [`FrameSender`] numbers and encrypts one participant's own frames.
//!
//! # Key schedule
//!
//! ```text
//! call_secret  32 random bytes for one epoch, chosen by whoever starts the call or moves it
//!              to a new epoch, sent inside the room or 1:1 session
//! KID          epoch (u32) << 8 | slot (u8, below MAX_CALL_PARTICIPANTS)
//! base_key     HKDF-SHA256(salt = "", IKM = call_secret,
//!                          info = "ember/v1/sframe-base-key\0" || KID (u64be) || suite (u16be),
//!                          L = 32)
//! sframe_key,  RFC 9605 derive_key_salt(KID, base_key): HKDF-Extract("", base_key), then
//! sframe_salt  HKDF-Expand with "SFrame 1.0 Secret key " / "SFrame 1.0 Secret salt "
//!              || KID (u64be) || suite (u16be); SHA-512 for suite 5, SHA-256 otherwise
//! nonce        sframe_salt XOR CTR (as a 12-byte big-endian integer)
//! frame        header(KID, CTR) || AEAD.Encrypt(sframe_key, nonce,
//!                                                aad = header || metadata, media frame)
//! ```
//!
//! The KID carries the epoch and the slot, so a receiver finds the sender's key from the
//! header alone: epoch 0 with slots 0-7 takes one header byte, epochs up to 255 one more.
//!
//! # Epochs
//!
//! When a participant leaves, one remaining participant makes a new [`CallSecret`] and sends
//! it with the next epoch number to the others only; each calls [`CallKeys::rekey`] and takes
//! a new [`FrameSender`]. Receivers keep opening the previous epoch's frames for
//! [`CALL_EPOCH_OVERLAP_SECS`](crate::limits::CALL_EPOCH_OVERLAP_SECS) (frames in flight,
//! senders that switch later), then refuse them; the leaver cannot open anything of the new
//! epoch. A frame of an epoch not yet received is
//! [`SframeError::EpochNotYetKnown`](crate::error::SframeError::EpochNotYetKnown): buffer it
//! and retry after the rekey (RFC 9605, section 4.4.4).
//!
//! SFrame keys are symmetric: any participant of an epoch could forge frames in another's
//! name (RFC 9605, section 7.2). The overlap is short for that reason too.
//!
//! # Example
//!
//! ```
//! use ember_core::sframe::{CallEpoch, CallKeys, CallSecret, CipherSuite};
//! use ember_core::Timestamp;
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
//! let now = Timestamp(1_700_000_000);
//! let suite = CipherSuite::Aes256GcmSha512Tag128;
//!
//! // Alice starts the call; the secret travels to Bob inside their encrypted session.
//! let secret = CallSecret::generate(&mut rng);
//! let mut sent = *secret.to_bytes();
//! let mut alice = CallKeys::new(secret, CallEpoch::FIRST, suite);
//! let mut bob = CallKeys::new(CallSecret::from_bytes(&mut sent), CallEpoch::FIRST, suite);
//!
//! let mut alice_audio = alice.sender(0)?;
//! let frame = alice_audio.protect(b"", b"20 ms of Opus")?;
//! let (origin, plaintext) = bob.open(&frame, b"", now)?;
//! assert_eq!((origin.slot, plaintext.as_slice()), (0, &b"20 ms of Opus"[..]));
//!
//! // A replayed frame is refused.
//! assert!(bob.open(&frame, b"", now).is_err());
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

mod call;
mod header;
mod key;
mod replay;
mod suite;

pub use call::{
    CALL_SECRET_LEN, CallEpoch, CallKeys, CallSecret, FrameOrigin, FrameSender, KID_SLOT_BITS,
    key_id, parse_key_id,
};
pub use header::{EncodedHeader, Header, MAX_HEADER_LEN};
pub use key::{SframeKey, SframeKeyMaterial, protect, unprotect};
pub use suite::{CipherSuite, FrameCipher, MAX_KEY_LEN, MAX_TAG_LEN, NONCE_LEN};
