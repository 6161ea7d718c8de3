//! The messenger's registry of paired plugins: the only place its ends of the channels live,
//! so that unpairing (or a policy change) revokes a channel for good.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;

use super::channel::{ChannelId, Direction, Receiver, Sender, parse};
use super::pairing::{self, MessengerPairing};
use super::request::{MessengerReply, PluginAction, PluginRequest, PluginResponse, RequestId};
use super::{
    AtakRules, ChannelError, MAX_PAIRED_CHANNELS, MAX_REVOKED_CHANNELS, PairingError,
    valid_package_name,
};
use crate::error::DecodeError;

/// The messenger's end of one channel.
pub(crate) struct MessengerChannel {
    pub(crate) id: ChannelId,
    pub(crate) package: String,
    /// Messenger to plugin.
    pub(crate) send: Sender,
    /// Plugin to messenger.
    pub(crate) receive: Receiver,
}

/// The messenger's side of ATAK pairing: the policy's [`AtakRules`], the paired channels (at
/// most [`MAX_PAIRED_CHANNELS`], one per package) and the ids of recently revoked ones.
///
/// Pairing starts at [`PairingRegistry::receive_request`] and ends with
/// [`super::PendingApproval::approve`], which adds the channel here. Frames from plugins are
/// opened with [`PairingRegistry::open_request`], which finds the channel by the id in the
/// frame. Kept across restarts with [`PairingRegistry::seal_state`].
pub struct PairingRegistry {
    pub(crate) rules: AtakRules,
    pub(crate) channels: Vec<MessengerChannel>,
    /// Oldest first; at most [`MAX_REVOKED_CHANNELS`].
    pub(crate) revoked: VecDeque<ChannelId>,
}

impl PairingRegistry {
    /// An empty registry under `rules`.
    pub fn new(rules: AtakRules) -> Self {
        Self {
            rules,
            channels: Vec::new(),
            revoked: VecDeque::new(),
        }
    }

    /// The rules in force.
    pub fn rules(&self) -> &AtakRules {
        &self.rules
    }

    /// Puts new rules in force (the policy changed) and revokes every channel whose package
    /// they no longer allow, returning those channels' ids.
    pub fn set_rules(&mut self, rules: AtakRules) -> Vec<ChannelId> {
        self.rules = rules;
        let (keep, removed): (Vec<_>, Vec<_>) = core::mem::take(&mut self.channels)
            .into_iter()
            .partition(|channel| self.rules.allows(&channel.package));
        self.channels = keep;
        removed
            .into_iter()
            .map(|channel| {
                self.remember_revoked(channel.id);
                channel.id
            })
            .collect()
    }

    /// Answers a plugin's pairing request. `caller_package` is the package the platform
    /// reports for the app that sent it (on Android, from the binder's calling uid); the
    /// request must name the same one, and the rules must allow it.
    ///
    /// Returns the state to keep and the response to send back. The registry does not change
    /// until [`super::PendingApproval::approve`].
    pub fn receive_request(
        &self,
        rng: &mut (impl CryptoRng + ?Sized),
        request: &[u8],
        caller_package: &str,
    ) -> Result<(MessengerPairing, Vec<u8>), PairingError> {
        // Refused before any parsing when ATAK is off.
        if !self.rules.enabled {
            return Err(PairingError::AtakDisabled);
        }
        let ember_proto::v1::atak_pairing::Step::Request(request) = pairing::decode(request)?
        else {
            return Err(PairingError::UnexpectedStep);
        };
        crate::wire::Suite::from_id(request.suite)?;
        if !valid_package_name(&request.package_name) {
            return Err(PairingError::InvalidPackageName);
        }
        if request.package_name != caller_package {
            return Err(PairingError::CallerMismatch);
        }
        self.rules.check(&request.package_name)?;
        MessengerPairing::respond(rng, request)
    }

    /// Adds an approved channel, replacing (and revoking) the package's earlier one.
    pub(crate) fn register(&mut self, channel: MessengerChannel) -> Result<(), PairingError> {
        self.rules.check(&channel.package)?;
        if let Some(index) = self
            .channels
            .iter()
            .position(|old| old.package == channel.package)
        {
            let old = self.channels.swap_remove(index);
            self.remember_revoked(old.id);
        } else if self.channels.len() >= MAX_PAIRED_CHANNELS {
            return Err(PairingError::RegistryFull {
                max: MAX_PAIRED_CHANNELS,
            });
        }
        self.channels.push(channel);
        Ok(())
    }

    /// How many plugins are paired.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// Whether no plugin is paired.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    /// The paired channels and their packages, for a settings screen.
    pub fn channels(&self) -> impl Iterator<Item = (ChannelId, &str)> {
        self.channels
            .iter()
            .map(|channel| (channel.id, channel.package.as_str()))
    }

    /// The package of a paired channel.
    pub fn package(&self, channel: ChannelId) -> Option<&str> {
        self.find(channel)
            .ok()
            .map(|index| self.channels[index].package.as_str())
    }

    /// Whether `channel` was unpaired (among the last [`MAX_REVOKED_CHANNELS`]).
    pub fn is_revoked(&self, channel: ChannelId) -> bool {
        self.revoked.contains(&channel)
    }

    /// Opens a frame from a plugin, finding its channel by the id in its header. A
    /// [`PluginAction::Unpair`] revokes the channel.
    ///
    /// The package's permission is not checked again here: [`PairingRegistry::set_rules`]
    /// revokes channels when the policy changes. On any error nothing changes.
    pub fn open_request(
        &mut self,
        frame: &[u8],
    ) -> Result<(ChannelId, PluginRequest), ChannelError> {
        let frame = parse(frame, Direction::PluginToMessenger)?;
        let index = self.find(frame.channel)?;
        let channel = &mut self.channels[index];
        let plaintext = channel.receive.open(&frame)?;
        let action = PluginAction::decode(&plaintext)?;
        channel.receive.commit(frame.counter);
        let id = channel.id;
        if action == PluginAction::Unpair {
            self.revoke(index);
        }
        Ok((
            id,
            PluginRequest {
                id: RequestId(frame.counter),
                action,
            },
        ))
    }

    /// Seals the response to a request of `channel`. It must name a request that was opened.
    pub fn seal_response(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        channel: ChannelId,
        response: &PluginResponse,
    ) -> Result<Vec<u8>, ChannelError> {
        let index = self.find(channel)?;
        let channel = &mut self.channels[index];
        if response.request.0 >= channel.receive.next {
            return Err(ChannelError::Decode(DecodeError::OutOfRange("request_id")));
        }
        let plaintext = MessengerReply::Response(*response).encode();
        channel
            .send
            .seal(rng, Direction::MessengerToPlugin, channel.id, &plaintext)
            .map(|(_, frame)| frame)
    }

    /// Unpairs `channel`: revokes it and returns the notice that tells the plugin. The channel
    /// is revoked even when the notice cannot be sealed ([`ChannelError::Exhausted`]).
    pub fn unpair(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        channel: ChannelId,
    ) -> Result<Vec<u8>, ChannelError> {
        let index = self.find(channel)?;
        let plaintext = MessengerReply::Unpaired.encode();
        let entry = &mut self.channels[index];
        let notice = entry
            .send
            .seal(rng, Direction::MessengerToPlugin, entry.id, &plaintext);
        self.revoke(index);
        notice.map(|(_, frame)| frame)
    }

    fn find(&self, channel: ChannelId) -> Result<usize, ChannelError> {
        match self.channels.iter().position(|entry| entry.id == channel) {
            Some(index) => Ok(index),
            None if self.is_revoked(channel) => Err(ChannelError::Revoked),
            None => Err(ChannelError::UnknownChannel),
        }
    }

    fn revoke(&mut self, index: usize) {
        let channel = self.channels.swap_remove(index);
        self.remember_revoked(channel.id);
    }

    pub(crate) fn remember_revoked(&mut self, channel: ChannelId) {
        if self.revoked.len() >= MAX_REVOKED_CHANNELS {
            self.revoked.pop_front();
        }
        self.revoked.push_back(channel);
    }
}

impl fmt::Debug for PairingRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            rules,
            channels,
            revoked,
        } = self;
        f.debug_struct("PairingRegistry")
            .field("rules", rules)
            .field(
                "channels",
                &channels
                    .iter()
                    .map(|channel| (channel.id, channel.package.as_str()))
                    .collect::<Vec<_>>(),
            )
            .field("revoked", &revoked.len())
            .finish_non_exhaustive()
    }
}
