//! Channel frames, and the plugin's end of a channel.
//!
//! ```text
//! frame = version (1 byte) | direction (1) | channel id (16) | counter (u64be) | nonce (12)
//!         | AES-256-GCM(direction key, nonce, AD = the 38 header bytes, plaintext) || tag
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::request::{MessengerReply, PluginAction, RequestId};
use super::{ChannelError, MAX_FRAME_LEN, MAX_FRAMES_PER_DIRECTION};
use crate::crypto::{Secret32, aead};
use crate::error::DecodeError;

/// Length of a channel id.
pub const CHANNEL_ID_LEN: usize = 16;
/// The frame version this implementation writes and reads: a frame's first byte.
pub const FRAME_VERSION: u8 = 1;
/// Length of a frame header: version, direction, channel id, counter, nonce.
pub const FRAME_HEADER_LEN: usize = 1 + 1 + CHANNEL_ID_LEN + 8 + aead::NONCE_LEN;

/// A channel's id, derived during pairing. It names the channel in every frame.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub [u8; CHANNEL_ID_LEN]);

impl fmt::Debug for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelId(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// Which way a frame travels; the second header byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Direction {
    /// Requests.
    PluginToMessenger = 1,
    /// Responses and the unpaired notice.
    MessengerToPlugin = 2,
}

/// The sending half of one direction: its key and the next counter.
pub(crate) struct Sender {
    pub(crate) key: Secret32,
    pub(crate) next: u64,
}

/// The receiving half of one direction: its key and the lowest counter still accepted.
pub(crate) struct Receiver {
    pub(crate) key: Secret32,
    pub(crate) next: u64,
}

/// A frame whose header was read, not yet authenticated.
pub(crate) struct Frame<'a> {
    pub(crate) channel: ChannelId,
    pub(crate) counter: u64,
    nonce: [u8; aead::NONCE_LEN],
    header: &'a [u8],
    body: &'a [u8],
}

impl Sender {
    /// Seals `plaintext` into the next frame. The counter moves only when a frame was made.
    pub(crate) fn seal(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        direction: Direction,
        channel: ChannelId,
        plaintext: &[u8],
    ) -> Result<(u64, Vec<u8>), ChannelError> {
        if self.next >= MAX_FRAMES_PER_DIRECTION {
            return Err(ChannelError::Exhausted);
        }
        let len = FRAME_HEADER_LEN + plaintext.len() + aead::TAG_LEN;
        if len > MAX_FRAME_LEN {
            return Err(ChannelError::TooLarge {
                len,
                max: MAX_FRAME_LEN,
            });
        }
        let counter = self.next;
        let mut nonce = [0u8; aead::NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut frame = Vec::with_capacity(len);
        frame.push(FRAME_VERSION);
        frame.push(direction as u8);
        frame.extend_from_slice(&channel.0);
        frame.extend_from_slice(&counter.to_be_bytes());
        frame.extend_from_slice(&nonce);
        frame.extend_from_slice(plaintext);
        let (header, body) = frame.split_at_mut(FRAME_HEADER_LEN);
        let tag = aead::seal_in_place_detached(self.key.expose(), &nonce, header, body).map_err(
            |_| ChannelError::TooLarge {
                len,
                max: MAX_FRAME_LEN,
            },
        )?;
        frame.extend_from_slice(&tag);
        self.next = counter + 1;
        Ok((counter, frame))
    }
}

impl Receiver {
    /// Authenticates and decrypts `frame`. Changes nothing: [`Self::commit`] once the
    /// plaintext was accepted.
    pub(crate) fn open(&self, frame: &Frame<'_>) -> Result<Zeroizing<Vec<u8>>, ChannelError> {
        if frame.counter < self.next {
            return Err(ChannelError::Stale {
                counter: frame.counter,
                next: self.next,
            });
        }
        aead::open(self.key.expose(), &frame.nonce, frame.header, frame.body)
            .map(Zeroizing::new)
            .map_err(|_| ChannelError::BadTag)
    }

    /// Accepts only counters above `counter` from now on.
    pub(crate) fn commit(&mut self, counter: u64) {
        // `parse` keeps counters below MAX_FRAMES_PER_DIRECTION, so this cannot overflow.
        self.next = counter.saturating_add(1);
    }
}

/// Reads a frame's header, checking length, version, direction and counter range.
pub(crate) fn parse(bytes: &[u8], expected: Direction) -> Result<Frame<'_>, ChannelError> {
    if bytes.len() > MAX_FRAME_LEN {
        return Err(ChannelError::TooLarge {
            len: bytes.len(),
            max: MAX_FRAME_LEN,
        });
    }
    if bytes.len() < FRAME_HEADER_LEN + aead::TAG_LEN {
        return Err(ChannelError::Malformed);
    }
    let (header, body) = bytes.split_at(FRAME_HEADER_LEN);
    if header[0] != FRAME_VERSION {
        return Err(ChannelError::UnsupportedVersion(header[0]));
    }
    match header[1] {
        d if d == expected as u8 => {}
        1 | 2 => return Err(ChannelError::WrongDirection),
        _ => return Err(ChannelError::Malformed),
    }
    let mut channel = [0u8; CHANNEL_ID_LEN];
    channel.copy_from_slice(&header[2..2 + CHANNEL_ID_LEN]);
    let mut counter = [0u8; 8];
    counter.copy_from_slice(&header[2 + CHANNEL_ID_LEN..2 + CHANNEL_ID_LEN + 8]);
    let counter = u64::from_be_bytes(counter);
    if counter >= MAX_FRAMES_PER_DIRECTION {
        return Err(ChannelError::Malformed);
    }
    let mut nonce = [0u8; aead::NONCE_LEN];
    nonce.copy_from_slice(&header[2 + CHANNEL_ID_LEN + 8..]);
    Ok(Frame {
        channel: ChannelId(channel),
        counter,
        nonce,
        header,
        body,
    })
}

/// The plugin's end of a paired channel: it seals requests and opens the messenger's replies.
///
/// Made by [`super::PluginConfirmation::finish`]; kept across restarts with
/// [`PluginChannel::seal_state`]. Once revoked (by [`PluginChannel::unpair`] or by the
/// messenger's [`MessengerReply::Unpaired`]), every call answers [`ChannelError::Revoked`].
pub struct PluginChannel {
    pub(crate) id: ChannelId,
    pub(crate) package: String,
    /// Plugin to messenger.
    pub(crate) send: Sender,
    /// Messenger to plugin.
    pub(crate) receive: Receiver,
    pub(crate) revoked: bool,
}

impl PluginChannel {
    /// The channel's id.
    pub fn id(&self) -> ChannelId {
        self.id
    }

    /// The package this end paired as.
    pub fn package(&self) -> &str {
        &self.package
    }

    /// Whether the channel was unpaired.
    pub fn is_revoked(&self) -> bool {
        self.revoked
    }

    /// Seals a request, returning its id (for matching the response) and the frame to send.
    ///
    /// Sealing [`PluginAction::Unpair`] revokes this end; [`PluginChannel::unpair`] says so
    /// in its type.
    pub fn seal_request(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        action: &PluginAction,
    ) -> Result<(RequestId, Vec<u8>), ChannelError> {
        if self.revoked {
            return Err(ChannelError::Revoked);
        }
        action.check()?;
        let plaintext = action.encode();
        let (counter, frame) =
            self.send
                .seal(rng, Direction::PluginToMessenger, self.id, &plaintext)?;
        if *action == PluginAction::Unpair {
            self.revoked = true;
        }
        Ok((RequestId(counter), frame))
    }

    /// Unpairs: returns the frame that tells the messenger to revoke the channel.
    pub fn unpair(mut self, rng: &mut (impl CryptoRng + ?Sized)) -> Result<Vec<u8>, ChannelError> {
        self.seal_request(rng, &PluginAction::Unpair)
            .map(|(_, frame)| frame)
    }

    /// Opens a frame from the messenger. An [`MessengerReply::Unpaired`] revokes this end.
    ///
    /// A response must name a request this end sent. On any error the channel is unchanged.
    pub fn open_reply(&mut self, frame: &[u8]) -> Result<MessengerReply, ChannelError> {
        if self.revoked {
            return Err(ChannelError::Revoked);
        }
        let frame = parse(frame, Direction::MessengerToPlugin)?;
        if frame.channel != self.id {
            return Err(ChannelError::WrongChannel);
        }
        let plaintext = self.receive.open(&frame)?;
        let reply = MessengerReply::decode(&plaintext)?;
        if let MessengerReply::Response(response) = reply
            && response.request.0 >= self.send.next
        {
            return Err(ChannelError::Decode(DecodeError::OutOfRange("request_id")));
        }
        self.receive.commit(frame.counter);
        if reply == MessengerReply::Unpaired {
            self.revoked = true;
        }
        Ok(reply)
    }
}

impl fmt::Debug for PluginChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            id,
            package,
            send,
            receive,
            revoked,
        } = self;
        f.debug_struct("PluginChannel")
            .field("id", id)
            .field("package", package)
            .field("sent", &send.next)
            .field("received_up_to", &receive.next)
            .field("revoked", revoked)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn fresh() -> PluginChannel {
        PluginChannel {
            id: ChannelId([1; CHANNEL_ID_LEN]),
            package: "com.atakmap.app.civ".into(),
            send: Sender {
                key: Secret32::from_slice(&[0xAB; 32]).unwrap(),
                next: 0,
            },
            receive: Receiver {
                key: Secret32::from_slice(&[0xCD; 32]).unwrap(),
                next: 0,
            },
            revoked: false,
        }
    }

    #[test]
    fn debug_output_holds_no_key() {
        let shown = alloc::format!("{:?}", fresh());
        assert!(
            shown.starts_with("PluginChannel {") && shown.ends_with(".. }"),
            "{shown}"
        );
        for secret in ["171", "205", "abab", "cdcd", "ABAB", "CDCD"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn a_direction_past_its_bound_refuses_to_seal() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let mut channel = fresh();
        channel.send.next = MAX_FRAMES_PER_DIRECTION - 1;
        let action = PluginAction::Unpair;
        let (id, _) = channel.seal_request(&mut rng, &action).unwrap();
        assert_eq!(id, RequestId(MAX_FRAMES_PER_DIRECTION - 1));
        let mut channel = fresh();
        channel.send.next = MAX_FRAMES_PER_DIRECTION;
        assert_eq!(
            channel.seal_request(&mut rng, &action),
            Err(ChannelError::Exhausted)
        );
        assert!(!channel.is_revoked(), "a refused request changes nothing");
        assert_eq!(channel.send.next, MAX_FRAMES_PER_DIRECTION);
    }

    #[test]
    fn frame_layout() {
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        let mut sender = Sender {
            key: Secret32::from_slice(&[3; 32]).unwrap(),
            next: 7,
        };
        let (counter, frame) = sender
            .seal(
                &mut rng,
                Direction::MessengerToPlugin,
                ChannelId([9; 16]),
                b"hi",
            )
            .unwrap();
        assert_eq!(counter, 7);
        assert_eq!(frame.len(), FRAME_HEADER_LEN + 2 + aead::TAG_LEN);
        assert_eq!(frame[..2], [FRAME_VERSION, 2]);
        assert_eq!(frame[2..18], [9; 16]);
        assert_eq!(frame[18..26], 7u64.to_be_bytes());
        let (header, body) = frame.split_at(FRAME_HEADER_LEN);
        let nonce: [u8; 12] = header[26..].try_into().unwrap();
        assert_eq!(aead::open(&[3; 32], &nonce, header, body).unwrap(), b"hi");
        let parsed = parse(&frame, Direction::MessengerToPlugin).unwrap();
        assert_eq!((parsed.channel, parsed.counter), (ChannelId([9; 16]), 7));
    }
}
