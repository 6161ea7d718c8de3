//! Sealed state of both ends, so that a channel survives the app's process being killed.
//!
//! ```text
//! sealed = "EMBA" || format (0x01) || kind (0x01 plugin channel, 0x02 registry)
//!          || nonce (12 random bytes) || AES-256-GCM(key, nonce, AD = first 6 bytes, state)
//! ```
//!
//! The layout is that of [`crate::snapshot`] with its own magic, so that an ATAK state never
//! opens as a snapshot or the reverse. Seal again after every frame sealed or opened: a state
//! restored from an older copy refuses (as [`super::ChannelError::Stale`]) what the peer sends
//! past it, but never reuses a nonce, because nonces are random.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use ember_proto::v1 as proto;
use prost::Message;
use rand_core::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

use super::channel::{CHANNEL_ID_LEN, ChannelId, PluginChannel, Receiver, Sender};
use super::registry::{MessengerChannel, PairingRegistry};
use super::{
    AtakRules, MAX_FRAMES_PER_DIRECTION, MAX_PAIRED_CHANNELS, MAX_REVOKED_CHANNELS, MAX_STATE_LEN,
    valid_package_name,
};
use crate::crypto::{Secret32, aead};
use crate::error::{DecodeError, SnapshotError};
use crate::wire;

/// The four bytes every sealed ATAK state starts with.
pub const STATE_MAGIC: [u8; 4] = *b"EMBA";
/// The sealed state format this version writes and reads.
pub const STATE_FORMAT: u8 = 1;
const HEADER_LEN: usize = STATE_MAGIC.len() + 2;

#[derive(Clone, Copy)]
#[repr(u8)]
enum Kind {
    PluginChannel = 1,
    Registry = 2,
}

/// Decoded state messages hold keys in plain vectors: wiped when the guard drops.
trait Wipe {
    fn wipe(&mut self);
}

struct Wiped<T: Wipe>(T);

impl<T: Wipe> Drop for Wiped<T> {
    fn drop(&mut self) {
        self.0.wipe();
    }
}

impl Wipe for proto::AtakDirectionState {
    fn wipe(&mut self) {
        self.key.zeroize();
    }
}

impl Wipe for proto::AtakPluginChannelState {
    fn wipe(&mut self) {
        self.send.iter_mut().for_each(Wipe::wipe);
        self.receive.iter_mut().for_each(Wipe::wipe);
    }
}

impl Wipe for proto::AtakRegistryState {
    fn wipe(&mut self) {
        for channel in &mut self.channels {
            channel.send.iter_mut().for_each(Wipe::wipe);
            channel.receive.iter_mut().for_each(Wipe::wipe);
        }
    }
}

fn direction_to_wire(key: &Secret32, next: u64) -> proto::AtakDirectionState {
    proto::AtakDirectionState {
        key: key.expose().to_vec(),
        next,
    }
}

fn direction_from_wire(
    field: &'static str,
    state: Option<&proto::AtakDirectionState>,
) -> Result<(Secret32, u64), DecodeError> {
    let state = wire::required(state, field)?;
    let key = Secret32::from_slice(&state.key).ok_or(DecodeError::BadLength {
        field,
        expected: 32,
        got: state.key.len(),
    })?;
    if state.next > MAX_FRAMES_PER_DIRECTION {
        return Err(DecodeError::OutOfRange(field));
    }
    Ok((key, state.next))
}

fn channel_id(bytes: &[u8]) -> Result<ChannelId, DecodeError> {
    wire::array::<CHANNEL_ID_LEN>("channel_id", bytes).map(ChannelId)
}

fn package(name: &str) -> Result<(), DecodeError> {
    if valid_package_name(name) {
        Ok(())
    } else {
        Err(DecodeError::OutOfRange("package_name"))
    }
}

impl PluginChannel {
    /// Seals this end under `key` (kept by the app, for example in the Android keystore).
    pub fn seal_state(
        &self,
        key: &Secret32,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>, SnapshotError> {
        let state = Wiped(proto::AtakPluginChannelState {
            version: wire::VERSION,
            channel_id: self.id.0.to_vec(),
            package_name: self.package.clone(),
            send: Some(direction_to_wire(&self.send.key, self.send.next)),
            receive: Some(direction_to_wire(&self.receive.key, self.receive.next)),
            revoked: self.revoked,
        });
        seal(key, Kind::PluginChannel, rng, &state.0)
    }

    /// Opens a state sealed by [`PluginChannel::seal_state`].
    pub fn open_state(key: &Secret32, sealed: &[u8]) -> Result<Self, SnapshotError> {
        let state: Wiped<proto::AtakPluginChannelState> =
            Wiped(open(key, Kind::PluginChannel, sealed)?);
        let state = &state.0;
        wire::check_version(state.version)?;
        package(&state.package_name)?;
        let (send_key, send_next) = direction_from_wire("send", state.send.as_ref())?;
        let (receive_key, receive_next) = direction_from_wire("receive", state.receive.as_ref())?;
        Ok(Self {
            id: channel_id(&state.channel_id)?,
            package: state.package_name.clone(),
            send: Sender {
                key: send_key,
                next: send_next,
            },
            receive: Receiver {
                key: receive_key,
                next: receive_next,
            },
            revoked: state.revoked,
        })
    }
}

impl PairingRegistry {
    /// Seals the paired channels and the revoked ids under `key`. The rules are not sealed:
    /// they come from the policy.
    pub fn seal_state(
        &self,
        key: &Secret32,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<Vec<u8>, SnapshotError> {
        let state = Wiped(proto::AtakRegistryState {
            version: wire::VERSION,
            channels: self
                .channels
                .iter()
                .map(|channel| proto::AtakMessengerChannelState {
                    channel_id: channel.id.0.to_vec(),
                    package_name: channel.package.clone(),
                    send: Some(direction_to_wire(&channel.send.key, channel.send.next)),
                    receive: Some(direction_to_wire(
                        &channel.receive.key,
                        channel.receive.next,
                    )),
                })
                .collect(),
            revoked: self.revoked.iter().map(|id| id.0.to_vec()).collect(),
        });
        seal(key, Kind::Registry, rng, &state.0)
    }

    /// Opens a registry sealed by [`PairingRegistry::seal_state`] under the policy's current
    /// `rules`: channels they no longer allow are revoked at once.
    pub fn open_state(
        key: &Secret32,
        sealed: &[u8],
        rules: AtakRules,
    ) -> Result<Self, SnapshotError> {
        let state: Wiped<proto::AtakRegistryState> = Wiped(open(key, Kind::Registry, sealed)?);
        let state = &state.0;
        wire::check_version(state.version)?;
        if state.channels.len() > MAX_PAIRED_CHANNELS {
            return Err(DecodeError::TooMany {
                field: "channels",
                max: MAX_PAIRED_CHANNELS,
            }
            .into());
        }
        if state.revoked.len() > MAX_REVOKED_CHANNELS {
            return Err(DecodeError::TooMany {
                field: "revoked",
                max: MAX_REVOKED_CHANNELS,
            }
            .into());
        }
        let mut channels = Vec::with_capacity(state.channels.len());
        for channel in &state.channels {
            package(&channel.package_name)?;
            let (send_key, send_next) = direction_from_wire("send", channel.send.as_ref())?;
            let (receive_key, receive_next) =
                direction_from_wire("receive", channel.receive.as_ref())?;
            channels.push(MessengerChannel {
                id: channel_id(&channel.channel_id)?,
                package: channel.package_name.clone(),
                send: Sender {
                    key: send_key,
                    next: send_next,
                },
                receive: Receiver {
                    key: receive_key,
                    next: receive_next,
                },
            });
        }
        let revoked = state
            .revoked
            .iter()
            .map(|id| channel_id(id))
            .collect::<Result<VecDeque<_>, _>>()?;
        let mut registry = Self {
            rules: AtakRules::default(),
            channels,
            revoked,
        };
        registry.set_rules(rules);
        Ok(registry)
    }
}

fn seal(
    key: &Secret32,
    kind: Kind,
    rng: &mut (impl CryptoRng + ?Sized),
    state: &impl Message,
) -> Result<Vec<u8>, SnapshotError> {
    let plaintext = Zeroizing::new(state.encode_to_vec());
    let len = HEADER_LEN + aead::NONCE_LEN + plaintext.len() + aead::TAG_LEN;
    if len > MAX_STATE_LEN {
        return Err(SnapshotError::TooLarge);
    }
    let mut nonce = [0u8; aead::NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let header = [
        STATE_MAGIC[0],
        STATE_MAGIC[1],
        STATE_MAGIC[2],
        STATE_MAGIC[3],
        STATE_FORMAT,
        kind as u8,
    ];
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&header);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&plaintext);
    let (_, body) = out.split_at_mut(HEADER_LEN + aead::NONCE_LEN);
    let tag = aead::seal_in_place_detached(key.expose(), &nonce, &header, body)
        .map_err(|_| SnapshotError::TooLarge)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

fn open<M: Message + Default>(
    key: &Secret32,
    kind: Kind,
    sealed: &[u8],
) -> Result<M, SnapshotError> {
    if sealed.len() < HEADER_LEN + aead::NONCE_LEN + aead::TAG_LEN || sealed.len() > MAX_STATE_LEN {
        return Err(SnapshotError::BadLength);
    }
    let (header, rest) = sealed.split_at(HEADER_LEN);
    if header[..4] != STATE_MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    if header[4] != STATE_FORMAT {
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
        aead::open(key.expose(), &nonce_bytes, header, body)
            .map_err(|_| SnapshotError::BadKeyOrCorrupted)?,
    );
    Ok(wire::decode(&plaintext, MAX_STATE_LEN)?)
}
