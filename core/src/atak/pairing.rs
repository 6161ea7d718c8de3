//! The pairing state machines of both sides, and the transcript, code and keys they derive.
//!
//! ```text
//! commitment = SHA-256("ember/v1/atak-commitment\0" || u16be(len(pkg)) || pkg || P || np)
//! transcript = SHA-256("ember/v1/atak-transcript\0" || u32be(version) || u32be(suite)
//!                      || u16be(len(pkg)) || pkg || P || M || np || nm)
//! code       = u64be(SHA-256("ember/v1/atak-sas\0" || transcript)[0..8]) mod 10^6
//! okm        = HKDF-SHA256(salt = transcript, IKM = X25519(P, M),
//!                          info = "ember/v1/atak-channel\0", L = 112)
//!            = channel id (16) | plugin-to-messenger key (32) | messenger-to-plugin key (32)
//!              | confirmation key (32)
//! mac        = HMAC-SHA256(confirmation key, "ember/v1/atak-confirm\0" || transcript)
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::channel::{CHANNEL_ID_LEN, ChannelId, PluginChannel, Receiver, Sender};
use super::registry::{MessengerChannel, PairingRegistry};
use super::{MAX_PAIRING_MESSAGE_LEN, PairingError, valid_package_name};
use crate::crypto::dh::{PUBLIC_KEY_LEN, PrivateKey, PublicKey};
use crate::crypto::{Secret32, kdf};
use crate::domain;
use crate::error::DecodeError;
use crate::wire::{self, Suite};

/// Length of each side's nonce.
const NONCE_LEN: usize = 32;
/// Length of the plugin's commitment and of the transcript hash.
const HASH_LEN: usize = 32;
/// Digits in the short authentication string.
pub const SAS_DIGITS: usize = 6;
const SAS_MODULUS: u64 = 1_000_000;
const OKM_LEN: usize = CHANNEL_ID_LEN + 3 * 32;

/// The short authentication string: six decimal digits that both screens show during pairing.
/// The user approves only if they are the same on both.
///
/// `Display` writes all six digits, leading zeros included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sas(u32);

impl Sas {
    /// The code as a number below 10^6.
    pub const fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Sas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// The plugin's first state: it sent a request and waits for the messenger's response.
pub struct PluginPairing {
    package: String,
    ephemeral: PrivateKey,
    nonce: [u8; NONCE_LEN],
}

/// The plugin's second state: it knows the code to show, and waits for the user's verdict and
/// the messenger's confirmation.
pub struct PluginConfirmation {
    package: String,
    sas: Sas,
    transcript: [u8; HASH_LEN],
    keys: ChannelKeys,
}

/// The messenger's first state: it answered a request and waits for the plugin's reveal.
pub struct MessengerPairing {
    package: String,
    plugin_key: PublicKey,
    commitment: [u8; HASH_LEN],
    messenger_key: PublicKey,
    nonce: [u8; NONCE_LEN],
    shared: Secret32,
}

/// The messenger's second state: it knows the code to show, and waits for the user to approve.
pub struct PendingApproval {
    package: String,
    sas: Sas,
    transcript: [u8; HASH_LEN],
    keys: ChannelKeys,
}

/// What a pairing derives.
struct ChannelKeys {
    id: ChannelId,
    plugin_to_messenger: Secret32,
    messenger_to_plugin: Secret32,
    confirm: Secret32,
}

impl PluginPairing {
    /// Starts pairing as `package`, the Android package the messenger will see as the caller.
    /// Returns the state to keep and the request to send to the messenger.
    pub fn start(
        rng: &mut (impl CryptoRng + ?Sized),
        package: &str,
    ) -> Result<(Self, Vec<u8>), PairingError> {
        if !valid_package_name(package) {
            return Err(PairingError::InvalidPackageName);
        }
        let ephemeral = PrivateKey::generate(rng);
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let commitment = commitment(package, &ephemeral.public_key(), &nonce);
        let request = encode(proto::atak_pairing::Step::Request(
            proto::AtakPairingRequest {
                suite: Suite::Classic.id(),
                package_name: package.into(),
                plugin_key: ephemeral.public_key().as_bytes().to_vec(),
                commitment: commitment.to_vec(),
            },
        ));
        let state = Self {
            package: package.into(),
            ephemeral,
            nonce,
        };
        Ok((state, request))
    }

    /// Takes the messenger's response: returns the state that shows the code, and the reveal
    /// to send to the messenger.
    pub fn receive_response(
        self,
        response: &[u8],
    ) -> Result<(PluginConfirmation, Vec<u8>), PairingError> {
        let proto::atak_pairing::Step::Response(response) = decode(response)? else {
            return Err(PairingError::UnexpectedStep);
        };
        if Suite::from_id(response.suite)? != Suite::Classic {
            return Err(DecodeError::UnsupportedSuite(response.suite).into());
        }
        let messenger_key = PublicKey::from_bytes(wire::array::<PUBLIC_KEY_LEN>(
            "messenger_key",
            &response.messenger_key,
        )?);
        let messenger_nonce: [u8; NONCE_LEN] =
            wire::array("messenger_nonce", &response.messenger_nonce)?;
        let shared = self
            .ephemeral
            .agree(&messenger_key)
            .map_err(|_| PairingError::NonContributory)?;
        let transcript = transcript(
            &self.package,
            &self.ephemeral.public_key(),
            &messenger_key,
            &self.nonce,
            &messenger_nonce,
        );
        let reveal = encode(proto::atak_pairing::Step::Reveal(
            proto::AtakPairingReveal {
                plugin_nonce: self.nonce.to_vec(),
            },
        ));
        let state = PluginConfirmation {
            sas: sas(&transcript),
            keys: derive(&shared, &transcript),
            transcript,
            package: self.package,
        };
        Ok((state, reveal))
    }
}

impl PluginConfirmation {
    /// The code to show. The user compares it with the messenger's.
    pub fn sas(&self) -> Sas {
        self.sas
    }

    /// The package this side pairs as.
    pub fn package(&self) -> &str {
        &self.package
    }

    /// Finishes pairing with the messenger's confirmation and the user's verdict on this
    /// side: `codes_matched` is true only if the user saw the same code on both screens.
    ///
    /// The plugin's user must confirm too: a man in the middle whose code the messenger's
    /// user rejected can still make a valid confirmation for the plugin.
    pub fn finish(
        self,
        confirm: &[u8],
        codes_matched: bool,
    ) -> Result<PluginChannel, PairingError> {
        if !codes_matched {
            return Err(PairingError::NotApproved);
        }
        let proto::atak_pairing::Step::Confirm(confirm) = decode(confirm)? else {
            return Err(PairingError::UnexpectedStep);
        };
        let channel: [u8; CHANNEL_ID_LEN] = wire::array("channel_id", &confirm.channel_id)?;
        let mac: [u8; kdf::MAC_LEN] = wire::array("mac", &confirm.mac)?;
        let expected = confirmation_mac(&self.keys.confirm, &self.transcript);
        // Both checked, in constant time, before either result is looked at.
        let genuine = channel.ct_eq(&self.keys.id.0) & mac.ct_eq(&expected);
        if !bool::from(genuine) {
            return Err(PairingError::BadConfirmation);
        }
        let ChannelKeys {
            id,
            plugin_to_messenger,
            messenger_to_plugin,
            confirm: _,
        } = self.keys;
        Ok(PluginChannel {
            id,
            package: self.package,
            send: Sender {
                key: plugin_to_messenger,
                next: 0,
            },
            receive: Receiver {
                key: messenger_to_plugin,
                next: 0,
            },
            revoked: false,
        })
    }
}

impl MessengerPairing {
    /// Answers a pairing request (see [`PairingRegistry::receive_request`], which checks the
    /// policy and the caller first).
    pub(crate) fn respond(
        rng: &mut (impl CryptoRng + ?Sized),
        request: proto::AtakPairingRequest,
    ) -> Result<(Self, Vec<u8>), PairingError> {
        let plugin_key = PublicKey::from_bytes(wire::array::<PUBLIC_KEY_LEN>(
            "plugin_key",
            &request.plugin_key,
        )?);
        let commitment: [u8; HASH_LEN] = wire::array("commitment", &request.commitment)?;
        let ephemeral = PrivateKey::generate(rng);
        let shared = ephemeral
            .agree(&plugin_key)
            .map_err(|_| PairingError::NonContributory)?;
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let response = encode(proto::atak_pairing::Step::Response(
            proto::AtakPairingResponse {
                suite: Suite::Classic.id(),
                messenger_key: ephemeral.public_key().as_bytes().to_vec(),
                messenger_nonce: nonce.to_vec(),
            },
        ));
        let state = Self {
            package: request.package_name,
            plugin_key,
            commitment,
            messenger_key: ephemeral.public_key(),
            nonce,
            shared,
        };
        Ok((state, response))
    }

    /// The package that asks to pair (checked against the policy and the caller).
    pub fn package(&self) -> &str {
        &self.package
    }

    /// Takes the plugin's reveal: checks it against the request's commitment and returns the
    /// state that shows the code.
    pub fn receive_reveal(self, reveal: &[u8]) -> Result<PendingApproval, PairingError> {
        let proto::atak_pairing::Step::Reveal(reveal) = decode(reveal)? else {
            return Err(PairingError::UnexpectedStep);
        };
        let plugin_nonce: [u8; NONCE_LEN] = wire::array("plugin_nonce", &reveal.plugin_nonce)?;
        let expected = commitment(&self.package, &self.plugin_key, &plugin_nonce);
        if !bool::from(expected.ct_eq(&self.commitment)) {
            return Err(PairingError::BadCommitment);
        }
        let transcript = transcript(
            &self.package,
            &self.plugin_key,
            &self.messenger_key,
            &plugin_nonce,
            &self.nonce,
        );
        Ok(PendingApproval {
            sas: sas(&transcript),
            keys: derive(&self.shared, &transcript),
            transcript,
            package: self.package,
        })
    }
}

impl PendingApproval {
    /// The code to show. The user compares it with the plugin's.
    pub fn sas(&self) -> Sas {
        self.sas
    }

    /// The package that asks to pair.
    pub fn package(&self) -> &str {
        &self.package
    }

    /// The user's verdict: `codes_matched` is true only if the user saw the same code on both
    /// screens and wants to pair. On approval the channel joins `registry` (replacing, and
    /// revoking, an earlier channel of the same package) and the confirmation to send to the
    /// plugin is returned.
    ///
    /// The registry's current rules are checked again: the policy may have changed since the
    /// request arrived.
    pub fn approve(
        self,
        codes_matched: bool,
        registry: &mut PairingRegistry,
    ) -> Result<(ChannelId, Vec<u8>), PairingError> {
        if !codes_matched {
            return Err(PairingError::NotApproved);
        }
        let mac = confirmation_mac(&self.keys.confirm, &self.transcript);
        let ChannelKeys {
            id,
            plugin_to_messenger,
            messenger_to_plugin,
            confirm: _,
        } = self.keys;
        registry.register(MessengerChannel {
            id,
            package: self.package,
            send: Sender {
                key: messenger_to_plugin,
                next: 0,
            },
            receive: Receiver {
                key: plugin_to_messenger,
                next: 0,
            },
        })?;
        let confirm = encode(proto::atak_pairing::Step::Confirm(
            proto::AtakPairingConfirm {
                channel_id: id.0.to_vec(),
                mac: mac.to_vec(),
            },
        ));
        Ok((id, confirm))
    }
}

fn encode(step: proto::atak_pairing::Step) -> Vec<u8> {
    proto::AtakPairing {
        version: wire::VERSION,
        step: Some(step),
    }
    .encode_to_vec()
}

/// Decodes a pairing message (bounded, version checked) to its step.
pub(crate) fn decode(bytes: &[u8]) -> Result<proto::atak_pairing::Step, PairingError> {
    let message: proto::AtakPairing = wire::decode(bytes, MAX_PAIRING_MESSAGE_LEN)?;
    wire::check_version(message.version)?;
    Ok(wire::required(message.step, "step")?)
}

/// `u16be(len(package)) || package`; package names are at most 255 bytes.
fn hash_package(hash: &mut Sha256, package: &str) {
    let len = u16::try_from(package.len()).unwrap_or(u16::MAX);
    hash.update(len.to_be_bytes());
    hash.update(package.as_bytes());
}

fn commitment(package: &str, plugin_key: &PublicKey, nonce: &[u8; NONCE_LEN]) -> [u8; HASH_LEN] {
    let mut hash = Sha256::new();
    hash.update(domain::ATAK_COMMITMENT);
    hash_package(&mut hash, package);
    hash.update(plugin_key.as_bytes());
    hash.update(nonce);
    hash.finalize().into()
}

fn transcript(
    package: &str,
    plugin_key: &PublicKey,
    messenger_key: &PublicKey,
    plugin_nonce: &[u8; NONCE_LEN],
    messenger_nonce: &[u8; NONCE_LEN],
) -> [u8; HASH_LEN] {
    let mut hash = Sha256::new();
    hash.update(domain::ATAK_TRANSCRIPT);
    hash.update(wire::VERSION.to_be_bytes());
    hash.update(Suite::Classic.id().to_be_bytes());
    hash_package(&mut hash, package);
    hash.update(plugin_key.as_bytes());
    hash.update(messenger_key.as_bytes());
    hash.update(plugin_nonce);
    hash.update(messenger_nonce);
    hash.finalize().into()
}

fn sas(transcript: &[u8; HASH_LEN]) -> Sas {
    let digest: [u8; 32] = Sha256::new()
        .chain_update(domain::ATAK_SAS)
        .chain_update(transcript)
        .finalize()
        .into();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 2^64 is not a multiple of 10^6; the bias is below 10^6 / 2^64, far under 2^-40.
    let code = u64::from_be_bytes(first) % SAS_MODULUS;
    Sas(u32::try_from(code).unwrap_or(0))
}

fn derive(shared: &Secret32, transcript: &[u8; HASH_LEN]) -> ChannelKeys {
    let mut okm = Zeroizing::new([0u8; OKM_LEN]);
    let derived = kdf::hkdf_sha256(transcript, shared.expose(), domain::ATAK_CHANNEL, &mut *okm);
    debug_assert!(derived.is_ok(), "OKM_LEN is within HKDF's bound");
    let mut id = [0u8; CHANNEL_ID_LEN];
    id.copy_from_slice(&okm[..CHANNEL_ID_LEN]);
    let key = |i: usize| {
        let start = CHANNEL_ID_LEN + 32 * i;
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&okm[start..start + 32]);
        Secret32::from_bytes(&mut bytes)
    };
    ChannelKeys {
        id: ChannelId(id),
        plugin_to_messenger: key(0),
        messenger_to_plugin: key(1),
        confirm: key(2),
    }
}

fn confirmation_mac(key: &Secret32, transcript: &[u8; HASH_LEN]) -> [u8; kdf::MAC_LEN] {
    let mut data = [0u8; domain::ATAK_CONFIRM.len() + HASH_LEN];
    data[..domain::ATAK_CONFIRM.len()].copy_from_slice(domain::ATAK_CONFIRM);
    data[domain::ATAK_CONFIRM.len()..].copy_from_slice(transcript);
    kdf::hmac_sha256(key.expose(), &data)
}

impl fmt::Debug for PluginPairing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            package,
            ephemeral,
            nonce: _,
        } = self;
        f.debug_struct("PluginPairing")
            .field("package", package)
            .field("ephemeral", ephemeral)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PluginConfirmation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            package,
            sas,
            transcript: _,
            keys,
        } = self;
        f.debug_struct("PluginConfirmation")
            .field("package", package)
            .field("sas", sas)
            .field("channel", &keys.id)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MessengerPairing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            package,
            plugin_key,
            commitment: _,
            messenger_key,
            nonce: _,
            shared: _,
        } = self;
        f.debug_struct("MessengerPairing")
            .field("package", package)
            .field("plugin_key", plugin_key)
            .field("messenger_key", messenger_key)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PendingApproval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            package,
            sas,
            transcript: _,
            keys,
        } = self;
        f.debug_struct("PendingApproval")
            .field("package", package)
            .field("sas", sas)
            .field("channel", &keys.id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sas_is_six_digits_with_leading_zeros() {
        assert_eq!(alloc::format!("{}", Sas(42)), "000042");
        assert_eq!(alloc::format!("{}", Sas(999_999)), "999999");
        for i in 0..64u8 {
            assert!(sas(&[i; 32]).value() < 1_000_000);
        }
    }

    #[test]
    fn derived_keys_are_distinct() {
        let keys = derive(&Secret32::from_slice(&[1; 32]).unwrap(), &[2; 32]);
        assert_ne!(
            keys.plugin_to_messenger.expose(),
            keys.messenger_to_plugin.expose()
        );
        assert_ne!(keys.plugin_to_messenger.expose(), keys.confirm.expose());
        assert_ne!(keys.id.0, [0; 16]);
    }
}

#[cfg(test)]
mod vectors {
    //! The test vector of `docs/protocol/atak.md`, recomputed and checked against the text.
    use super::*;
    use crate::atak::channel::Direction;
    use crate::atak::request::{ConversationId, PluginAction};
    use alloc::string::String;

    struct Fixed([u8; 12]);

    impl rand_core::TryRng for Fixed {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            dst.copy_from_slice(&self.0[..dst.len()]);
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Fixed {}

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| alloc::format!("{b:02x}")).collect()
    }

    #[test]
    fn vector() {
        let package = "com.atakmap.app.civ";
        let plugin = PrivateKey::from_secret(&Secret32::from_slice(&[0x11; 32]).unwrap());
        let messenger = PrivateKey::from_secret(&Secret32::from_slice(&[0x22; 32]).unwrap());
        let (np, nm) = ([0x33; 32], [0x44; 32]);
        let p = plugin.public_key();
        let m = messenger.public_key();
        let shared = plugin.agree(&m).unwrap();
        let th = transcript(package, &p, &m, &np, &nm);
        let keys = derive(&shared, &th);
        let action = PluginAction::SendMessage {
            conversation: ConversationId::from_slice(b"room-1").unwrap(),
            text: "hi".into(),
        };
        let mut sender = Sender {
            key: keys.plugin_to_messenger.duplicate(),
            next: 0,
        };
        let (_, frame) = sender
            .seal(
                &mut Fixed([0x55; 12]),
                Direction::PluginToMessenger,
                keys.id,
                &action.encode(),
            )
            .unwrap();
        let lines = [
            ("P", hex(p.as_bytes())),
            ("M", hex(m.as_bytes())),
            ("commitment", hex(&commitment(package, &p, &np))),
            ("X25519", hex(shared.expose())),
            ("transcript", hex(&th)),
            ("sas", alloc::format!("{}", sas(&th))),
            ("channel id", hex(&keys.id.0)),
            (
                "plugin-to-messenger key",
                hex(keys.plugin_to_messenger.expose()),
            ),
            (
                "messenger-to-plugin key",
                hex(keys.messenger_to_plugin.expose()),
            ),
            ("confirmation key", hex(keys.confirm.expose())),
            ("mac", hex(&confirmation_mac(&keys.confirm, &th))),
            ("request plaintext", hex(&action.encode())),
            ("frame", hex(&frame)),
        ];
        let spec = include_str!("../../../docs/protocol/atak.md");
        let mut missing = String::new();
        for (name, value) in lines {
            if !spec.contains(&alloc::format!("{name} = {value}")) {
                missing.push_str(&alloc::format!("{name} = {value}\n"));
            }
        }
        assert!(missing.is_empty(), "not in the specification:\n{missing}");
    }
}
