//! ATAK plugin pairing: an ATAK plugin pairs with the messenger installed on the same device,
//! then sends it requests (send a message, a file, a voice clip, start a call) over an
//! authenticated, encrypted channel that either side can revoke.
//!
//! # Pairing
//!
//! ```text
//! plugin                                                          messenger
//! PluginPairing::start          request: package, P, commit(np)  ──▶  PairingRegistry::receive_request
//!                               ◀──  response: M, nm                  (policy, caller and DH checked)
//! PluginPairing::receive_response  reveal: np  ──▶                MessengerPairing::receive_reveal
//! shows Sas, user confirms                                        shows Sas, user approves
//!                               ◀──  confirm: channel id, MAC     PendingApproval::approve
//! PluginConfirmation::finish → PluginChannel                      channel kept in the registry
//! ```
//!
//! Both sides use a fresh X25519 key. The plugin commits to its nonce before it sees the
//! messenger's key and nonce, and the messenger sends both before it sees the plugin's nonce,
//! so neither side (nor a man in the middle playing both) can search for keys that make the two
//! six-digit codes ([`Sas`]) match: a man in the middle is caught with probability
//! 1 - 10^-6 when the user compares the codes. The user confirms the codes on **both** sides
//! (as in Bluetooth numeric comparison): a plugin cannot tell a genuine confirmation from one
//! made by an attacker that it paired with instead of the messenger.
//!
//! Only the packages that [`AtakRules`] allow pair, and the request must name the package the
//! platform reports for the calling app ([`PairingError::CallerMismatch`]): on Android the
//! messenger reads it from the binder's calling uid, which another app cannot forge.
//!
//! # Channel
//!
//! Each direction has its own AES-256-GCM key. A frame carries the channel id, the direction,
//! a counter and a random nonce in its authenticated header; a receiver accepts only counters
//! above the last one it accepted, so replayed and reordered frames are refused, and lost ones
//! cost nothing. A plugin's request id is its frame's counter. Unpairing from either side
//! revokes the channel ([`ChannelError::Revoked`]). `docs/protocol/atak.md` specifies every byte.
//!
//! # Example
//!
//! ```
//! use ember_core::atak::{
//!     AtakRules, ConversationId, MessengerReply, PairingRegistry, PluginAction, PluginPairing,
//!     PluginResponse, RequestStatus,
//! };
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([4; 32]);
//! const ATAK: &str = "com.atakmap.app.civ";
//! let mut registry = PairingRegistry::new(AtakRules::allowing([ATAK]));
//!
//! // Pairing: four messages over IPC, the user compares the code on both screens.
//! let (plugin, request) = PluginPairing::start(&mut rng, ATAK)?;
//! let (pending, response) = registry.receive_request(&mut rng, &request, ATAK)?;
//! let (plugin, reveal) = plugin.receive_response(&response)?;
//! let approval = pending.receive_reveal(&reveal)?;
//! assert_eq!(plugin.sas(), approval.sas());
//! let (channel_id, confirm) = approval.approve(true, &mut registry)?;
//! let mut channel = plugin.finish(&confirm, true)?;
//! assert_eq!(channel.id(), channel_id);
//!
//! // A request and its response.
//! let conversation = ConversationId::from_slice(b"room-7").ok_or("conversation id")?;
//! let action = PluginAction::SendMessage { conversation, text: "contact north".into() };
//! let (request_id, frame) = channel.seal_request(&mut rng, &action)?;
//! let (from, request) = registry.open_request(&frame)?;
//! assert_eq!((from, request.id, &request.action), (channel_id, request_id, &action));
//! let ok = PluginResponse { request: request.id, status: RequestStatus::Ok };
//! let reply = registry.seal_response(&mut rng, from, &ok)?;
//! assert_eq!(channel.open_reply(&reply)?, MessengerReply::Response(ok));
//!
//! // Unpairing on the messenger revokes the channel on both ends.
//! let notice = registry.unpair(&mut rng, channel_id)?;
//! assert_eq!(channel.open_reply(&notice)?, MessengerReply::Unpaired);
//! assert!(channel.seal_request(&mut rng, &action).is_err());
//! assert!(registry.open_request(&frame).is_err());
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

mod channel;
mod error;
mod pairing;
mod registry;
mod request;
mod state;

use alloc::string::String;
use alloc::vec::Vec;

pub use channel::{CHANNEL_ID_LEN, ChannelId, FRAME_HEADER_LEN, FRAME_VERSION, PluginChannel};
pub use error::{ChannelError, PairingError};
pub use pairing::{
    MessengerPairing, PendingApproval, PluginConfirmation, PluginPairing, SAS_DIGITS, Sas,
};
pub use registry::PairingRegistry;
pub use request::{
    ConversationId, MessengerReply, PluginAction, PluginRequest, PluginResponse, RequestId,
    RequestStatus,
};
pub use state::{STATE_FORMAT, STATE_MAGIC};

/// Longest Android package name accepted, in bytes.
pub const MAX_PACKAGE_NAME_LEN: usize = 255;
/// Largest pairing message accepted; the largest genuine one is under 400 bytes.
pub const MAX_PAIRING_MESSAGE_LEN: usize = 1024;
/// Most plugins a messenger keeps paired at once (one channel per package).
pub const MAX_PAIRED_CHANNELS: usize = 16;
/// Revoked channel ids a registry remembers, to answer [`ChannelError::Revoked`]; older ones
/// are forgotten and then answer [`ChannelError::UnknownChannel`] (refused either way).
pub const MAX_REVOKED_CHANNELS: usize = 64;
/// Longest conversation id in a plugin request, in bytes.
pub const MAX_CONVERSATION_ID_LEN: usize = 64;
/// Largest channel frame, header and tag included. A request holds at most a text of
/// [`crate::content::MAX_TEXT_LEN`] or three names of [`crate::content::MAX_NAME_LEN`], and
/// never a file's contents, which the messenger reads itself through the file token.
pub const MAX_FRAME_LEN: usize = 128 * 1024;
/// Frames one direction of a channel seals before the plugin must pair again: the bound of
/// NIST SP 800-38D for random 96-bit nonces under one key (nonce collision chance below 2^-32).
pub const MAX_FRAMES_PER_DIRECTION: u64 = 1 << 32;
/// Largest sealed channel or registry state written or opened.
pub const MAX_STATE_LEN: usize = 64 * 1024;

/// What the security-group policy says about ATAK: whether plugins may pair at all, and which
/// Android packages may.
///
/// The default allows nothing. Packages are compared exactly (Android package names are
/// case-sensitive). For a plugin that ATAK loads into its own process, the calling package is
/// ATAK's (`com.atakmap.app.civ`, `com.atakmap.app.mil`, ...), as the admin console lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AtakRules {
    /// Whether ATAK integration is on.
    pub enabled: bool,
    /// The packages that may pair.
    pub allowed_packages: Vec<String>,
}

impl AtakRules {
    /// ATAK on, for exactly these packages.
    pub fn allowing<'a>(packages: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            enabled: true,
            allowed_packages: packages.into_iter().map(String::from).collect(),
        }
    }

    /// Whether `package` may pair (and stay paired).
    pub fn allows(&self, package: &str) -> bool {
        self.enabled
            && self
                .allowed_packages
                .iter()
                .any(|allowed| allowed == package)
    }

    /// Why `package` may not pair, if it may not.
    pub(crate) fn check(&self, package: &str) -> Result<(), PairingError> {
        if !self.enabled {
            Err(PairingError::AtakDisabled)
        } else if !self.allows(package) {
            Err(PairingError::PackageNotAllowed)
        } else {
            Ok(())
        }
    }
}

/// Whether `name` is an Android package name: at most [`MAX_PACKAGE_NAME_LEN`] bytes, two or
/// more dot-separated segments, each an ASCII letter followed by letters, digits or `_`.
pub(crate) fn valid_package_name(name: &str) -> bool {
    name.len() <= MAX_PACKAGE_NAME_LEN
        && name.split('.').count() >= 2
        && name.split('.').all(|segment| {
            let mut bytes = segment.bytes();
            bytes
                .next()
                .is_some_and(|first| first.is_ascii_alphabetic())
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        for good in ["com.atakmap.app.civ", "a.b", "Com.Example_1.x9"] {
            assert!(valid_package_name(good), "{good}");
        }
        let long = alloc::format!("a.{}", "b".repeat(MAX_PACKAGE_NAME_LEN - 2));
        assert!(valid_package_name(&long));
        let too_long = alloc::format!("a.{}", "b".repeat(MAX_PACKAGE_NAME_LEN - 1));
        for bad in [
            "", "com", ".com.a", "com.", "com..a", "com.1a", "com.a-b", "com.a b", "cöm.a",
            &too_long,
        ] {
            assert!(!valid_package_name(bad), "{bad}");
        }
    }

    #[test]
    fn rules_fail_closed() {
        let none = AtakRules::default();
        assert!(!none.allows("com.atakmap.app.civ"));
        assert_eq!(
            none.check("com.atakmap.app.civ"),
            Err(PairingError::AtakDisabled)
        );
        let mut rules = AtakRules::allowing(["com.atakmap.app.civ"]);
        assert_eq!(rules.check("com.atakmap.app.civ"), Ok(()));
        assert_eq!(
            rules.check("com.atakmap.app.CIV"),
            Err(PairingError::PackageNotAllowed)
        );
        rules.enabled = false;
        assert_eq!(
            rules.check("com.atakmap.app.civ"),
            Err(PairingError::AtakDisabled)
        );
    }
}
