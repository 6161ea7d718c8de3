//! Calls: [`sframe`] on fixed call keys, and its seeds.

use alloc::vec::Vec;

use super::{NOW, flipped, truncated};
use crate::Timestamp;
use crate::error::SframeError;
use crate::limits::CALL_EPOCH_OVERLAP_SECS;
use crate::sframe::{
    CallEpoch, CallKeys, CallSecret, CipherSuite, FrameOrigin, FrameSender, Header, parse_key_id,
};

/// The epochs of the fixture: it moved from the first to the second at [`NOW`].
const PREVIOUS: CallEpoch = CallEpoch(1);
const CURRENT: CallEpoch = CallEpoch(2);
/// The slot the fixture sends from in the current epoch.
const OWN_SLOT: u8 = 2;
/// The suites a [`sframe`] input can pick: the default, and one of the truncated-HMAC
/// suites (with the longest of their tags, so that a forgery stays out of a fuzzer's reach).
const SUITES: [CipherSuite; 2] = [
    CipherSuite::Aes256GcmSha512Tag128,
    CipherSuite::Aes128CtrHmacSha256Tag80,
];
/// The metadata an input can pick.
const METADATA: [&[u8]; 2] = [b"", b"rtp"];
/// When an input can be opened: within the previous epoch's overlap, or just after it.
const TIMES: [Timestamp; 2] = [
    Timestamp(NOW.0 + 1),
    Timestamp(NOW.0 + CALL_EPOCH_OVERLAP_SECS),
];

/// The secret of an epoch (each epoch has its own).
fn secret(epoch: CallEpoch) -> CallSecret {
    let mut bytes = [0xe0u8.wrapping_add(epoch.0 as u8); 32];
    CallSecret::from_bytes(&mut bytes)
}

/// The fixture: a participant's keys for `suite`, moved from [`PREVIOUS`] to [`CURRENT`] at
/// [`NOW`], sending from [`OWN_SLOT`]. Cheap to make: slot keys are derived on first use.
fn call_keys(suite: CipherSuite) -> CallKeys {
    let mut keys = CallKeys::new(secret(PREVIOUS), PREVIOUS, suite);
    keys.rekey(secret(CURRENT), CURRENT, NOW)
        .expect("the fixture moves to a newer epoch with a new secret");
    keys.sender(OWN_SLOT).expect("the fixture's slot is free");
    keys
}

/// What the frame of `origin` holds, in every frame a seed sender makes.
fn frame_plaintext(origin: FrameOrigin) -> Vec<u8> {
    [
        &b"media frame "[..],
        &origin.epoch.0.to_be_bytes(),
        &[origin.slot],
        &origin.ctr.to_be_bytes(),
    ]
    .concat()
}

/// Decodes an SFrame header with [`Header::decode`] and opens the frame with
/// [`CallKeys::open`] on fixed call keys.
///
/// The first byte picks how: bit 0 the metadata (none or `rtp`), bit 1 the time (within the
/// previous epoch's overlap, or just after it), bit 2 the suite of the keys
/// (AES-256-GCM or AES-128-CTR with an 80-bit HMAC tag); the rest is the frame. The keys are
/// at epoch 2, after epoch 1, and send from slot 2.
///
/// A decoded header re-encodes to the same bytes. An opened frame comes from the slot, epoch
/// and counter in its header, holds what the seed senders put in that frame, and does not
/// open again; a refused one leaves the keys' epochs as they were (except that an expired
/// previous epoch is dropped).
pub fn sframe(data: &[u8]) {
    let Some((&selector, frame)) = data.split_first() else {
        return;
    };
    let header = Header::decode(frame);
    if let Ok((header, len)) = header {
        assert_eq!(header.encoded_len(), len);
        assert!(
            frame.get(..len) == Some(header.encode().as_bytes()),
            "an SFrame header does not survive re-encoding"
        );
    }
    let metadata = METADATA[usize::from(selector & 1)];
    let now = TIMES[usize::from((selector >> 1) & 1)];
    let mut keys = call_keys(SUITES[usize::from((selector >> 2) & 1)]);
    let epochs = (keys.epoch(), keys.previous_epoch());
    match keys.open(frame, metadata, now) {
        Ok((origin, plaintext)) => {
            let Ok((header, _)) = header else {
                panic!("a frame opened whose header does not decode");
            };
            assert_eq!(
                parse_key_id(header.kid),
                Some((origin.epoch, origin.slot)),
                "the frame's origin is not its key id"
            );
            assert_eq!(origin.ctr, header.ctr);
            assert!(
                plaintext == frame_plaintext(origin),
                "a frame opened that no seed sender made"
            );
            assert_eq!(
                keys.open(frame, metadata, now),
                Err(SframeError::Replay { ctr: origin.ctr }),
                "a frame opened twice"
            );
        }
        Err(SframeError::EpochExpired { .. }) => assert_eq!(keys.epoch(), epochs.0),
        Err(_) => assert_eq!(
            (keys.epoch(), keys.previous_epoch()),
            epochs,
            "a refused frame changed the epochs"
        ),
    }
}

/// The first byte of a [`sframe`] input.
fn selector(metadata: usize, late: bool, suite: usize) -> u8 {
    metadata as u8 | u8::from(late) << 1 | (suite as u8) << 2
}

/// A sender of `suite` for `slot` in `epoch`, from keys with that epoch's secret.
fn sender(suite: CipherSuite, epoch: CallEpoch, slot: u8) -> FrameSender {
    CallKeys::new(secret(epoch), epoch, suite)
        .sender(slot)
        .expect("a seed sender's slot is free")
}

/// The next `count` frames of `sender`, with `metadata`.
fn frames(sender: &mut FrameSender, metadata: &[u8], count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            let origin = FrameOrigin {
                epoch: sender.epoch(),
                slot: sender.slot(),
                ctr: sender.frames_sent(),
            };
            sender
                .protect(metadata, &frame_plaintext(origin))
                .expect("a seed frame is far below the frame limit")
        })
        .collect()
}

/// The seeds of [`sframe`]: frames of every kind of sender the fixture meets, with the
/// selector that opens them or that they must be refused with.
pub(super) fn seeds(add: &mut impl FnMut(&'static str, &'static str, Vec<u8>)) {
    let input = |selector: u8, frame: &[u8]| [&[selector][..], frame].concat();
    let [gcm, hmac] = SUITES;
    let current = frames(&mut sender(gcm, CURRENT, 0), b"", 301);
    let with_metadata = frames(&mut sender(gcm, CURRENT, 1), METADATA[1], 1);
    let previous = frames(&mut sender(gcm, PREVIOUS, 1), b"", 1);
    let own_slot = frames(&mut sender(gcm, CURRENT, OWN_SLOT), b"", 1);
    let next_epoch = frames(&mut sender(gcm, CallEpoch(3), 0), b"", 1);
    let old_epoch = frames(&mut sender(gcm, CallEpoch(0), 0), b"", 1);
    let last_slot = frames(&mut sender(hmac, CURRENT, 69), METADATA[1], 2);
    let hmac_current = frames(&mut sender(hmac, CURRENT, 0), b"", 1);

    add(
        "sframe",
        "seed-current",
        input(selector(0, false, 0), &current[0]),
    );
    add(
        "sframe",
        "seed-long-counter",
        input(selector(0, false, 0), &current[300]),
    );
    add(
        "sframe",
        "seed-metadata",
        input(selector(1, false, 0), &with_metadata[0]),
    );
    add(
        "sframe",
        "seed-previous-epoch",
        input(selector(0, false, 0), &previous[0]),
    );
    add(
        "sframe",
        "seed-hmac",
        input(selector(0, false, 1), &hmac_current[0]),
    );
    add(
        "sframe",
        "seed-hmac-last-slot",
        input(selector(1, true, 1), &last_slot[1]),
    );
    add(
        "sframe",
        "seed-previous-epoch-expired",
        input(selector(0, true, 0), &previous[0]),
    );
    add(
        "sframe",
        "seed-own-slot",
        input(selector(0, false, 0), &own_slot[0]),
    );
    add(
        "sframe",
        "seed-next-epoch",
        input(selector(0, false, 0), &next_epoch[0]),
    );
    add(
        "sframe",
        "seed-old-epoch",
        input(selector(0, false, 0), &old_epoch[0]),
    );
    add(
        "sframe",
        "seed-wrong-metadata",
        input(selector(0, false, 0), &with_metadata[0]),
    );
    add(
        "sframe",
        "seed-wrong-suite",
        input(selector(0, false, 1), &current[0]),
    );
    add(
        "sframe",
        "seed-truncated",
        input(selector(0, false, 0), &truncated(&current[300])),
    );
    add(
        "sframe",
        "seed-bad-tag",
        input(selector(0, false, 0), &flipped(&current[0])),
    );
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Whether the fixture opens the input's frame.
    pub(in crate::fuzzing) fn accepted(data: &[u8]) -> bool {
        let (&selector, frame) = data.split_first().unwrap();
        call_keys(SUITES[usize::from((selector >> 2) & 1)])
            .open(
                frame,
                METADATA[usize::from(selector & 1)],
                TIMES[usize::from((selector >> 1) & 1)],
            )
            .is_ok()
    }
}
