//! Ember's call keys on top of SFrame: one call secret per epoch, one key per participant
//! slot, replay windows, and the overlap when the call moves to a new epoch.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::header::Header;
use super::key::SframeKey;
use super::replay::ReplayWindow;
use super::suite::CipherSuite;
use crate::Timestamp;
use crate::crypto::{Secret32, kdf};
use crate::domain;
use crate::error::{CallKeyError, SframeError, SframeSealError};
use crate::limits::{
    CALL_EPOCH_OVERLAP_SECS, MAX_CALL_FRAME_LEN, MAX_CALL_PARTICIPANTS, MAX_FRAMES_PER_SFRAME_KEY,
};

/// Low bits of a KID that hold the participant slot; the epoch is in the bits above.
pub const KID_SLOT_BITS: u32 = 8;
/// Length of a call secret.
pub const CALL_SECRET_LEN: usize = 32;

// Every slot fits in the KID's slot bits, and in the u128 bitmap of own slots.
const _: () = assert!(MAX_CALL_PARTICIPANTS as u32 <= 1 << KID_SLOT_BITS);
const _: () = assert!(MAX_CALL_PARTICIPANTS as u32 <= u128::BITS);

/// The secret all keys of one call epoch come from: 32 random bytes, made by whoever starts
/// the call (or moves it to a new epoch) and sent to the participants inside the room or 1:1
/// session, never in the clear.
///
/// No `Clone`, no `Debug` of the bytes; zeroized on drop. A call secret serves one epoch of
/// one call: a new epoch takes a new secret. Compared in constant time.
#[derive(PartialEq, Eq)]
pub struct CallSecret(Secret32);

impl CallSecret {
    /// A fresh secret from `rng`.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut bytes = [0u8; CALL_SECRET_LEN];
        rng.fill_bytes(&mut bytes);
        Self(Secret32::from_bytes(&mut bytes))
    }

    /// Takes a secret received inside a session and wipes the caller's copy.
    pub fn from_bytes(bytes: &mut [u8; CALL_SECRET_LEN]) -> Self {
        Self(Secret32::from_bytes(bytes))
    }

    /// Copies a secret from a slice, if it has exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Secret32::from_slice(bytes).map(Self)
    }

    /// The 32 bytes, to be placed inside an encrypted room or 1:1 message. The copy wipes
    /// itself when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; CALL_SECRET_LEN]> {
        Zeroizing::new(*self.0.expose())
    }
}

impl fmt::Debug for CallSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallSecret(..)")
    }
}

/// The number of a call epoch. A call starts at some epoch (usually [`CallEpoch::FIRST`])
/// and moves to a higher one, with a new [`CallSecret`], whenever a participant leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CallEpoch(pub u32);

impl CallEpoch {
    /// Epoch 0.
    pub const FIRST: Self = Self(0);

    /// The epoch after this one, unless this is the last.
    pub fn next(self) -> Option<Self> {
        self.0.checked_add(1).map(Self)
    }
}

/// The SFrame KID of participant `slot` in `epoch`: `epoch << 8 | slot` (see the module
/// documentation). Headers stay short: one byte of KID for epoch 0, two up to epoch 255.
pub fn key_id(epoch: CallEpoch, slot: u8) -> u64 {
    (u64::from(epoch.0) << KID_SLOT_BITS) | u64::from(slot)
}

/// The epoch and slot a KID names, if it is one that [`key_id`] makes (below 2^40).
pub fn parse_key_id(kid: u64) -> Option<(CallEpoch, u8)> {
    let epoch = u32::try_from(kid >> KID_SLOT_BITS).ok()?;
    let slot = (kid & ((1 << KID_SLOT_BITS) - 1)) as u8;
    Some((CallEpoch(epoch), slot))
}

/// Who sent an opened frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameOrigin {
    /// The epoch the frame was encrypted in.
    pub epoch: CallEpoch,
    /// The sender's participant slot.
    pub slot: u8,
    /// The frame's counter in the sender's sequence.
    pub ctr: u64,
}

/// The SFrame `base_key` of `slot` in `epoch`: HKDF-SHA256 with an empty salt, the call
/// secret as input, and the info `"ember/v1/sframe-base-key\0" || KID (u64be) || suite
/// (u16be)`, 32 bytes of output.
fn base_key(secret: &CallSecret, suite: CipherSuite, kid: u64) -> Secret32 {
    let mut info = [0u8; BASE_KEY_INFO_LEN];
    let (label, rest) = info.split_at_mut(domain::SFRAME_BASE_KEY.len());
    label.copy_from_slice(domain::SFRAME_BASE_KEY);
    let (kid_bytes, suite_bytes) = rest.split_at_mut(8);
    kid_bytes.copy_from_slice(&kid.to_be_bytes());
    suite_bytes.copy_from_slice(&suite.id().to_be_bytes());
    let mut out = [0u8; 32];
    // 32 bytes is far below HKDF's limit, so this cannot fail.
    let _ = kdf::hkdf_sha256(&[], secret.0.expose(), &info, &mut out);
    Secret32::from_bytes(&mut out)
}

const BASE_KEY_INFO_LEN: usize = domain::SFRAME_BASE_KEY.len() + 8 + 2;

/// The key of one participant, derived once per epoch.
fn slot_key(secret: &CallSecret, suite: CipherSuite, epoch: CallEpoch, slot: u8) -> SframeKey {
    let kid = key_id(epoch, slot);
    SframeKey::derive(suite, kid, base_key(secret, suite, kid).expose())
}

/// What a receiver keeps per sender: its key (AEAD keyed once) and its replay window.
struct SlotReceiver {
    key: SframeKey,
    window: ReplayWindow,
}

/// The keys of one epoch, derived on first use and kept until the epoch is dropped.
struct EpochKeys {
    epoch: CallEpoch,
    secret: CallSecret,
    /// Bit `s` set: this participant sends from slot `s` in this epoch.
    own_slots: u128,
    /// One entry per slot, filled when the first frame of that slot arrives.
    receivers: Vec<Option<Box<SlotReceiver>>>,
}

impl EpochKeys {
    fn new(epoch: CallEpoch, secret: CallSecret) -> Self {
        let mut receivers = Vec::with_capacity(usize::from(MAX_CALL_PARTICIPANTS));
        receivers.resize_with(usize::from(MAX_CALL_PARTICIPANTS), || None);
        Self {
            epoch,
            secret,
            own_slots: 0,
            receivers,
        }
    }

    fn receiver(&mut self, suite: CipherSuite, slot: u8) -> Option<&mut SlotReceiver> {
        let entry = self.receivers.get_mut(usize::from(slot))?;
        let receiver = entry.get_or_insert_with(|| {
            Box::new(SlotReceiver {
                key: slot_key(&self.secret, suite, self.epoch, slot),
                window: ReplayWindow::default(),
            })
        });
        Some(receiver)
    }

    fn derived(&self) -> usize {
        self.receivers.iter().filter(|r| r.is_some()).count()
    }
}

/// The previous epoch, kept for [`CALL_EPOCH_OVERLAP_SECS`] after the move to a new one.
struct Previous {
    keys: EpochKeys,
    since: Timestamp,
}

/// A participant's keys for one call: it hands out a [`FrameSender`] for the participant's
/// own slot and opens the frames of every other slot.
///
/// Frames of the current epoch open; frames of the previous epoch open for
/// [`CALL_EPOCH_OVERLAP_SECS`] after [`CallKeys::rekey`], so that frames in flight (and
/// senders that have not switched yet) are not lost; anything older is refused. Each sender's
/// key is derived once per epoch, on its first frame, and kept with a replay window.
pub struct CallKeys {
    suite: CipherSuite,
    current: EpochKeys,
    previous: Option<Previous>,
}

impl CallKeys {
    /// Keys for `epoch` of a call whose secret is `secret`, protected with `suite`. Every
    /// participant must use the same suite; it travels with the secret.
    pub fn new(secret: CallSecret, epoch: CallEpoch, suite: CipherSuite) -> Self {
        Self {
            suite,
            current: EpochKeys::new(epoch, secret),
            previous: None,
        }
    }

    /// The suite.
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    /// The current epoch.
    pub fn epoch(&self) -> CallEpoch {
        self.current.epoch
    }

    /// The previous epoch, while its frames are still accepted (or until the first frame
    /// that finds its overlap over).
    pub fn previous_epoch(&self) -> Option<CallEpoch> {
        self.previous.as_ref().map(|p| p.keys.epoch)
    }

    /// The sender for participant `slot` in the current epoch, counting from frame 0.
    ///
    /// One sender per slot and epoch: a second one would reuse counters, and with them
    /// nonces, so it is refused with [`CallKeyError::SenderTaken`]. The call layer above must
    /// give each participant its own slot, and a participant that lost its sender (a restart)
    /// must take a free slot or wait for the next epoch. Frames that claim a slot this
    /// participant sends from are refused when received ([`SframeError::OwnSlot`]).
    pub fn sender(&mut self, slot: u8) -> Result<FrameSender, CallKeyError> {
        if slot >= MAX_CALL_PARTICIPANTS {
            return Err(CallKeyError::SlotOutOfRange {
                slot,
                max: MAX_CALL_PARTICIPANTS,
            });
        }
        let bit = 1u128 << slot;
        if self.current.own_slots & bit != 0 {
            return Err(CallKeyError::SenderTaken { slot });
        }
        self.current.own_slots |= bit;
        let epoch = self.current.epoch;
        Ok(FrameSender {
            key: Box::new(slot_key(&self.current.secret, self.suite, epoch, slot)),
            epoch,
            slot,
            next_ctr: 0,
        })
    }

    /// Moves the call to `epoch` with a fresh `secret`, when a participant left (or whenever
    /// the room decides). The participant who left never receives the new secret, so cannot
    /// open the new epoch's frames.
    ///
    /// The old current epoch becomes the previous one, still opened for
    /// [`CALL_EPOCH_OVERLAP_SECS`] from `now`; the epoch before it is dropped. Senders of the
    /// old epoch keep working but should be replaced by [`CallKeys::sender`] for the new one.
    pub fn rekey(
        &mut self,
        secret: CallSecret,
        epoch: CallEpoch,
        now: Timestamp,
    ) -> Result<(), CallKeyError> {
        if epoch <= self.current.epoch {
            return Err(CallKeyError::EpochNotNewer {
                current: self.current.epoch.0,
                got: epoch.0,
            });
        }
        if bool::from(secret.0.ct_eq(&self.current.secret.0)) {
            return Err(CallKeyError::SecretReused);
        }
        let old = core::mem::replace(&mut self.current, EpochKeys::new(epoch, secret));
        self.previous = Some(Previous {
            keys: old,
            since: now,
        });
        Ok(())
    }

    /// Drops the previous epoch now, before its overlap is over (for example once every
    /// remaining participant confirmed the new epoch).
    pub fn retire_previous_epoch(&mut self) {
        self.previous = None;
    }

    /// Opens an SFrame ciphertext from any participant: checks the header, finds the
    /// sender's key from its KID, refuses replays, and returns the plaintext and its origin.
    ///
    /// `metadata` must be what the sender passed (RFC 9605's authenticated metadata, empty
    /// if none). `now` decides whether the previous epoch is still open. On any error nothing
    /// changes, except that a previous epoch found expired is dropped.
    pub fn open(
        &mut self,
        frame: &[u8],
        metadata: &[u8],
        now: Timestamp,
    ) -> Result<(FrameOrigin, Vec<u8>), SframeError> {
        let mut plaintext = Vec::new();
        let origin = self.open_into(frame, metadata, now, &mut plaintext)?;
        Ok((origin, plaintext))
    }

    /// [`CallKeys::open`], appending the plaintext to `out` (nothing is appended on error),
    /// so that a media pipeline can reuse one buffer.
    pub fn open_into(
        &mut self,
        frame: &[u8],
        metadata: &[u8],
        now: Timestamp,
        out: &mut Vec<u8>,
    ) -> Result<FrameOrigin, SframeError> {
        if frame.len() > MAX_CALL_FRAME_LEN {
            return Err(SframeError::TooLong {
                len: frame.len(),
                max: MAX_CALL_FRAME_LEN,
            });
        }
        let (header, header_len) = Header::decode(frame)?;
        let (epoch, slot) = parse_key_id(header.kid)
            .filter(|&(_, slot)| slot < MAX_CALL_PARTICIPANTS)
            .ok_or(SframeError::UnknownKeyId { kid: header.kid })?;
        let suite = self.suite;
        let keys = self.epoch_keys(epoch, now)?;
        if keys.own_slots & (1u128 << slot) != 0 {
            return Err(SframeError::OwnSlot { slot });
        }
        let receiver = keys
            .receiver(suite, slot)
            .ok_or(SframeError::UnknownKeyId { kid: header.kid })?;
        receiver.window.check(header.ctr)?;
        receiver
            .key
            .unprotect_into(header, header_len, metadata, frame, out)?;
        receiver.window.commit(header.ctr);
        Ok(FrameOrigin {
            epoch,
            slot,
            ctr: header.ctr,
        })
    }

    /// The keys of `epoch`, if frames of it are still opened at `now`.
    fn epoch_keys(
        &mut self,
        epoch: CallEpoch,
        now: Timestamp,
    ) -> Result<&mut EpochKeys, SframeError> {
        if epoch == self.current.epoch {
            return Ok(&mut self.current);
        }
        if epoch > self.current.epoch {
            return Err(SframeError::EpochNotYetKnown { epoch: epoch.0 });
        }
        let open = match &self.previous {
            Some(previous) if previous.keys.epoch == epoch => {
                now.0.saturating_sub(previous.since.0) < CALL_EPOCH_OVERLAP_SECS
            }
            _ => return Err(SframeError::EpochExpired { epoch: epoch.0 }),
        };
        if !open {
            self.previous = None;
            return Err(SframeError::EpochExpired { epoch: epoch.0 });
        }
        match &mut self.previous {
            Some(previous) => Ok(&mut previous.keys),
            None => Err(SframeError::EpochExpired { epoch: epoch.0 }),
        }
    }
}

impl fmt::Debug for CallKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            suite,
            current,
            previous,
        } = self;
        f.debug_struct("CallKeys")
            .field("suite", suite)
            .field("epoch", &current.epoch)
            .field("senders_known", &current.derived())
            .field("previous_epoch", &previous.as_ref().map(|p| p.keys.epoch))
            .finish_non_exhaustive()
    }
}

/// Encrypts one participant's frames in one epoch, numbering them from 0.
///
/// Made by [`CallKeys::sender`]; independent of the [`CallKeys`] afterwards, so it can live
/// on the media thread. Zeroized on drop, never printed.
pub struct FrameSender {
    key: Box<SframeKey>,
    epoch: CallEpoch,
    slot: u8,
    next_ctr: u64,
}

impl FrameSender {
    /// The epoch its frames belong to.
    pub fn epoch(&self) -> CallEpoch {
        self.epoch
    }

    /// Its participant slot.
    pub fn slot(&self) -> u8 {
        self.slot
    }

    /// The KID in its headers.
    pub fn kid(&self) -> u64 {
        self.key.kid()
    }

    /// How many counters it has used.
    pub fn frames_sent(&self) -> u64 {
        self.next_ctr
    }

    /// Encrypts one frame: `header || ciphertext || tag`, with `header || metadata` as
    /// associated data. `metadata` (RTP or codec information the SFU needs to see) is
    /// authenticated but not sent; the receiver must pass the same bytes.
    pub fn protect(
        &mut self,
        metadata: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SframeSealError> {
        let mut out = Vec::new();
        self.protect_into(metadata, plaintext, &mut out)?;
        Ok(out)
    }

    /// [`FrameSender::protect`], appending the frame to `out` so that a media pipeline can
    /// reuse one buffer. Nothing is appended on error.
    pub fn protect_into(
        &mut self,
        metadata: &[u8],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), SframeSealError> {
        let ctr = self.next_ctr;
        if ctr >= MAX_FRAMES_PER_SFRAME_KEY {
            return Err(SframeSealError::CounterExhausted);
        }
        // The counter is spent before encrypting, so no error path can ever reuse it.
        self.next_ctr = ctr + 1;
        self.key.protect_into(ctr, metadata, plaintext, out)
    }
}

impl fmt::Debug for FrameSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            key: _,
            epoch,
            slot,
            next_ctr,
        } = self;
        f.debug_struct("FrameSender")
            .field("epoch", epoch)
            .field("slot", slot)
            .field("frames_sent", next_ctr)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sframe::key::protect;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const T0: Timestamp = Timestamp(1_700_000_000);
    const SUITE: CipherSuite = CipherSuite::Aes256GcmSha512Tag128;

    fn secret_pair(rng: &mut ChaCha20Rng) -> (CallSecret, CallSecret) {
        let secret = CallSecret::generate(rng);
        let mut copy = *secret.to_bytes();
        (secret, CallSecret::from_bytes(&mut copy))
    }

    fn call(rng: &mut ChaCha20Rng, suite: CipherSuite) -> (CallKeys, CallKeys) {
        let (a, b) = secret_pair(rng);
        (
            CallKeys::new(a, CallEpoch::FIRST, suite),
            CallKeys::new(b, CallEpoch::FIRST, suite),
        )
    }

    #[test]
    fn two_participants_exchange_frames_in_every_suite() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        for suite in CipherSuite::ALL {
            let (mut alice, mut bob) = call(&mut rng, suite);
            let mut to_bob = alice.sender(0).unwrap();
            let mut to_alice = bob.sender(1).unwrap();
            for i in 0..5u64 {
                let frame = to_bob.protect(b"rtp", &[i as u8; 1200]).unwrap();
                let (origin, plaintext) = bob.open(&frame, b"rtp", T0).unwrap();
                assert_eq!(
                    origin,
                    FrameOrigin {
                        epoch: CallEpoch::FIRST,
                        slot: 0,
                        ctr: i
                    }
                );
                assert_eq!(plaintext, [i as u8; 1200]);
                let frame = to_alice.protect(b"", b"reply").unwrap();
                let (origin, plaintext) = alice.open(&frame, b"", T0).unwrap();
                assert_eq!((origin.slot, origin.ctr), (1, i));
                assert_eq!(plaintext, b"reply");
            }
            assert_eq!(to_bob.frames_sent(), 5);
            let frame = to_bob.protect(b"rtp", b"x").unwrap();
            assert_eq!(bob.open(&frame, b"rtq", T0), Err(SframeError::BadTag));
            // The failed frame did not enter the window: with the right metadata it opens.
            assert!(bob.open(&frame, b"rtp", T0).is_ok());
        }
    }

    #[test]
    fn open_into_appends_only_on_success() {
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        let (mut alice, mut bob) = call(&mut rng, SUITE);
        let mut sender = alice.sender(3).unwrap();
        let mut frames = Vec::new();
        sender.protect_into(b"", b"one", &mut frames).unwrap();
        let first_len = frames.len();
        sender.protect_into(b"", b"two", &mut frames).unwrap();
        let mut out = b"prefix:".to_vec();
        bob.open_into(&frames[..first_len], b"", T0, &mut out)
            .unwrap();
        assert_eq!(out, b"prefix:one");
        let mut bad = frames[first_len..].to_vec();
        bad[3] ^= 1;
        assert_eq!(
            bob.open_into(&bad, b"", T0, &mut out),
            Err(SframeError::BadTag)
        );
        assert_eq!(out, b"prefix:one");
        bob.open_into(&frames[first_len..], b"", T0, &mut out)
            .unwrap();
        assert_eq!(out, b"prefix:onetwo");
    }

    #[test]
    fn replays_are_refused_and_reordering_within_the_window_is_not() {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        let (mut alice, mut bob) = call(&mut rng, SUITE);
        let mut sender = alice.sender(5).unwrap();
        let frames: Vec<Vec<u8>> = (0..300u32)
            .map(|i| sender.protect(b"", &i.to_be_bytes()).unwrap())
            .collect();
        assert!(bob.open(&frames[0], b"", T0).is_ok());
        assert_eq!(
            bob.open(&frames[0], b"", T0),
            Err(SframeError::Replay { ctr: 0 })
        );
        // Newest first, then the ones the network held back.
        assert!(bob.open(&frames[100], b"", T0).is_ok());
        for i in (1..100).rev() {
            assert!(bob.open(&frames[i], b"", T0).is_ok(), "frame {i}");
        }
        assert_eq!(
            bob.open(&frames[50], b"", T0),
            Err(SframeError::Replay { ctr: 50 })
        );
        assert!(bob.open(&frames[299], b"", T0).is_ok());
        // 299 - 171 = 128: just outside the window.
        assert!(bob.open(&frames[172], b"", T0).is_ok());
        assert_eq!(
            bob.open(&frames[171], b"", T0),
            Err(SframeError::TooOld { ctr: 171 })
        );
    }

    #[test]
    fn previous_epoch_opens_during_the_overlap_only() {
        let mut rng = ChaCha20Rng::from_seed([4; 32]);
        let (mut alice, mut bob) = call(&mut rng, SUITE);
        let mut old_sender = alice.sender(0).unwrap();
        let early = old_sender.protect(b"", b"epoch 0, early").unwrap();
        let late = old_sender.protect(b"", b"epoch 0, late").unwrap();
        let later = old_sender.protect(b"", b"epoch 0, later").unwrap();

        let (new_a, new_b) = secret_pair(&mut rng);
        let next = CallEpoch::FIRST.next().unwrap();
        alice.rekey(new_a, next, T0).unwrap();
        bob.rekey(new_b, next, T0).unwrap();
        assert_eq!(
            (bob.epoch(), bob.previous_epoch()),
            (next, Some(CallEpoch::FIRST))
        );

        let mut new_sender = alice.sender(0).unwrap();
        let fresh = new_sender.protect(b"", b"epoch 1").unwrap();
        assert_eq!(bob.open(&fresh, b"", T0).unwrap().1, b"epoch 1");

        let within = Timestamp(T0.0 + CALL_EPOCH_OVERLAP_SECS - 1);
        assert_eq!(bob.open(&early, b"", within).unwrap().1, b"epoch 0, early");
        assert_eq!(
            bob.open(&early, b"", within),
            Err(SframeError::Replay { ctr: 0 })
        );
        let after = Timestamp(T0.0 + CALL_EPOCH_OVERLAP_SECS);
        assert_eq!(
            bob.open(&late, b"", after),
            Err(SframeError::EpochExpired { epoch: 0 })
        );
        assert_eq!(bob.previous_epoch(), None);
        // Dropped for good, even if the clock steps back.
        assert_eq!(
            bob.open(&later, b"", T0),
            Err(SframeError::EpochExpired { epoch: 0 })
        );

        // An explicit retirement ends the overlap at once.
        let (third_a, third_b) = secret_pair(&mut rng);
        let third = next.next().unwrap();
        alice.rekey(third_a, third, T0).unwrap();
        bob.rekey(third_b, third, T0).unwrap();
        let in_flight = new_sender.protect(b"", b"epoch 1 again").unwrap();
        bob.retire_previous_epoch();
        assert_eq!(
            bob.open(&in_flight, b"", T0),
            Err(SframeError::EpochExpired { epoch: 1 })
        );
    }

    #[test]
    fn a_leaver_cannot_open_the_next_epoch() {
        let mut rng = ChaCha20Rng::from_seed([5; 32]);
        let first = CallSecret::generate(&mut rng);
        let bytes = first.to_bytes();
        let join = |bytes: &[u8; 32]| {
            CallKeys::new(
                CallSecret::from_slice(bytes).unwrap(),
                CallEpoch::FIRST,
                SUITE,
            )
        };
        let mut alice = CallKeys::new(first, CallEpoch::FIRST, SUITE);
        let mut bob = join(&bytes);
        let mut carol = join(&bytes);

        // Carol leaves: Alice makes the next epoch's secret and sends it to Bob only.
        let next = CallEpoch(1);
        let secret = CallSecret::generate(&mut rng);
        let mut for_bob = *secret.to_bytes();
        alice.rekey(secret, next, T0).unwrap();
        bob.rekey(CallSecret::from_bytes(&mut for_bob), next, T0)
            .unwrap();

        let frame = alice
            .sender(0)
            .unwrap()
            .protect(b"", b"after Carol left")
            .unwrap();
        assert_eq!(bob.open(&frame, b"", T0).unwrap().1, b"after Carol left");
        assert_eq!(
            carol.open(&frame, b"", T0),
            Err(SframeError::EpochNotYetKnown { epoch: 1 })
        );
        // Carol's old secret, carried into the new epoch, gives the wrong keys.
        let mut guess = CallKeys::new(CallSecret::from_slice(&*bytes).unwrap(), next, SUITE);
        assert_eq!(guess.open(&frame, b"", T0), Err(SframeError::BadTag));
        // And a rekey to a guessed epoch with the old secret is refused outright.
        assert_eq!(
            carol.rekey(CallSecret::from_slice(&*bytes).unwrap(), next, T0),
            Err(CallKeyError::SecretReused)
        );
    }

    #[test]
    fn slots_are_bounded_and_owned_once() {
        let mut rng = ChaCha20Rng::from_seed([6; 32]);
        let (mut alice, mut bob) = call(&mut rng, SUITE);
        let max = MAX_CALL_PARTICIPANTS;
        for slot in [max, max + 1, u8::MAX] {
            assert_eq!(
                alice.sender(slot).err(),
                Some(CallKeyError::SlotOutOfRange { slot, max })
            );
        }
        let mut last = alice.sender(max - 1).unwrap();
        assert_eq!(
            alice.sender(max - 1).err(),
            Some(CallKeyError::SenderTaken { slot: max - 1 })
        );
        let frame = last.protect(b"", b"slot 69").unwrap();
        assert_eq!(bob.open(&frame, b"", T0).unwrap().0.slot, max - 1);
        // Alice's own frame, reflected back to her.
        assert_eq!(
            alice.open(&frame, b"", T0),
            Err(SframeError::OwnSlot { slot: max - 1 })
        );

        // A frame under a KID for slot 70, even with the right derivation, is refused.
        let kid = key_id(CallEpoch::FIRST, max);
        let out_of_range = slot_key(&alice.current.secret, SUITE, CallEpoch::FIRST, max);
        let frame = protect(&out_of_range, 0, b"", b"slot 70").unwrap();
        assert_eq!(
            bob.open(&frame, b"", T0),
            Err(SframeError::UnknownKeyId { kid })
        );
        // A KID above the 40 bits Ember uses.
        let frame = protect(&SframeKey::derive(SUITE, 1 << 40, b"k"), 0, b"", b"x").unwrap();
        assert_eq!(
            bob.open(&frame, b"", T0),
            Err(SframeError::UnknownKeyId { kid: 1 << 40 })
        );
        // Truncated headers and oversized frames.
        assert_eq!(bob.open(&[], b"", T0), Err(SframeError::BadHeader));
        assert_eq!(
            bob.open(&[0x90, 0x01], b"", T0),
            Err(SframeError::BadHeader)
        );
        let huge = alloc::vec![0u8; MAX_CALL_FRAME_LEN + 1];
        assert_eq!(
            bob.open(&huge, b"", T0),
            Err(SframeError::TooLong {
                len: MAX_CALL_FRAME_LEN + 1,
                max: MAX_CALL_FRAME_LEN
            })
        );
        assert_eq!(
            last.protect(b"", &huge),
            Err(SframeSealError::TooLong {
                len: MAX_CALL_FRAME_LEN + 1,
                max: MAX_CALL_FRAME_LEN
            })
        );
    }

    #[test]
    fn rekey_needs_a_newer_epoch_and_a_new_secret() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let (mut alice, _) = call(&mut rng, SUITE);
        let fresh = CallSecret::generate(&mut rng);
        assert_eq!(
            alice.rekey(fresh, CallEpoch::FIRST, T0),
            Err(CallKeyError::EpochNotNewer { current: 0, got: 0 })
        );
        alice
            .rekey(CallSecret::generate(&mut rng), CallEpoch(7), T0)
            .unwrap();
        assert_eq!(
            alice.rekey(CallSecret::generate(&mut rng), CallEpoch(3), T0),
            Err(CallKeyError::EpochNotNewer { current: 7, got: 3 })
        );
        assert_eq!(CallEpoch(u32::MAX).next(), None);
        // A new epoch gives a new sender for the same slot.
        assert!(alice.sender(0).is_ok());
    }

    #[test]
    fn counter_exhaustion_stops_the_sender() {
        let mut rng = ChaCha20Rng::from_seed([8; 32]);
        let (mut alice, mut bob) = call(&mut rng, SUITE);
        let mut sender = alice.sender(2).unwrap();
        sender.next_ctr = MAX_FRAMES_PER_SFRAME_KEY - 1;
        let last = sender.protect(b"", b"last").unwrap();
        assert_eq!(
            bob.open(&last, b"", T0).unwrap().0.ctr,
            MAX_FRAMES_PER_SFRAME_KEY - 1
        );
        assert_eq!(
            sender.protect(b"", b"one more"),
            Err(SframeSealError::CounterExhausted)
        );
        assert_eq!(
            sender.protect(b"", b"one more"),
            Err(SframeSealError::CounterExhausted)
        );
    }

    #[test]
    fn kid_layout() {
        assert_eq!(key_id(CallEpoch(0), 5), 5);
        assert_eq!(key_id(CallEpoch(1), 2), 0x102);
        assert_eq!(key_id(CallEpoch(u32::MAX), 69), 0xFF_FFFF_FF45);
        assert_eq!(parse_key_id(0x102), Some((CallEpoch(1), 2)));
        assert_eq!(
            parse_key_id(0xFF_FFFF_FF45),
            Some((CallEpoch(u32::MAX), 69))
        );
        assert_eq!(parse_key_id(1 << 40), None);
        assert_eq!(Header::new(key_id(CallEpoch(0), 7), 7).encoded_len(), 1);
        assert_eq!(Header::new(key_id(CallEpoch(255), 69), 0).encoded_len(), 3);
    }

    /// An Ember call frame computed independently (Python `cryptography` and `hmac`): call
    /// secret 00..1f, suite 5, epoch 1, slot 2, CTR 0, metadata "meta", plaintext "hello".
    #[test]
    fn ember_call_vector() {
        let secret =
            CallSecret::from_slice(&core::array::from_fn::<u8, 32, _>(|i| i as u8)).unwrap();
        let kid = key_id(CallEpoch(1), 2);
        assert_eq!(
            hex(base_key(&secret, SUITE, kid).expose()),
            "bf196eb00cd259f881c39b0fbcfe68c774d31cd68e851a6d293bf88ec4a06ae2"
        );
        let mut keys = CallKeys::new(secret, CallEpoch(1), SUITE);
        let mut sender = keys.sender(2).unwrap();
        let frame = sender.protect(b"meta", b"hello").unwrap();
        assert_eq!(
            hex(&frame),
            "900102caaaed6915eab243b235d94a88c7cfaaaf382d5d03"
        );
        assert_eq!(BASE_KEY_INFO_LEN, 35);
    }

    #[test]
    fn secrets_round_trip_and_nothing_prints_key_bytes() {
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let secret = CallSecret::generate(&mut rng);
        let mut bytes = *secret.to_bytes();
        let copy = CallSecret::from_bytes(&mut bytes);
        assert_eq!(bytes, [0u8; 32]);
        assert_eq!(*copy.to_bytes(), *secret.to_bytes());
        assert!(CallSecret::from_slice(&[0; 31]).is_none());
        assert_eq!(alloc::format!("{secret:?}"), "CallSecret(..)");

        let mut keys = CallKeys::new(secret, CallEpoch(4), SUITE);
        let sender = keys.sender(9).unwrap();
        assert_eq!(
            alloc::format!("{keys:?}"),
            "CallKeys { suite: Aes256GcmSha512Tag128, epoch: CallEpoch(4), senders_known: 0, \
             previous_epoch: None, .. }"
        );
        assert_eq!(
            alloc::format!("{sender:?}"),
            "FrameSender { epoch: CallEpoch(4), slot: 9, frames_sent: 0, .. }"
        );
    }

    #[test]
    fn call_objects_can_move_to_media_threads() {
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<CallKeys>();
        send_and_sync::<FrameSender>();
        send_and_sync::<CallSecret>();
    }

    fn hex(bytes: &[u8]) -> alloc::string::String {
        use core::fmt::Write;
        let mut out = alloc::string::String::new();
        for b in bytes {
            let _ = write!(out, "{b:02x}");
        }
        out
    }
}
