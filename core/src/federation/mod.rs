//! Federation between organizations' networks.
//!
//! When two networks federate, each gives the other its [`NetworkDescriptor`]: its id, public
//! key, region, side of the government/commercial [`Boundary`] and [`FederationMode`] (local,
//! global, or restricted to an allowlist), signed by its own key. An administrator adds the
//! other's descriptor to the [`TrustStore`]; newer revisions replace it, older ones never do.
//!
//! A message to a device of another network travels in a federation envelope that the sending
//! network [`seal`]s around the end-to-end ciphertext: both network ids and regions, the sending
//! device's certificate, the recipient, member or guest, a timestamp and a random nonce, signed
//! by the sending network's key. The receiving network's [`FederationGate`] checks the
//! signature against the trust store, freshness ([`MAX_ENVELOPE_AGE_SECS`],
//! [`MAX_FUTURE_SKEW_SECS`]), replay (a bounded cache), both networks' modes, the recipient's
//! guest rules, and the sender's standing in its [`FederationDirectory`]; each refusal is its
//! own [`FederationRefusal`]. Conversations that cross the government/commercial boundary are
//! marked unclassified ([`ConversationClassification`]). `docs/protocol/federation.md` gives
//! every byte and the reasons behind each choice.
//!
//! ```
//! use ember_core::content::Classification;
//! use ember_core::federation::*;
//! use ember_core::identity::{Account, DeviceCertificate};
//! use ember_core::network::{NetworkId, NetworkKey};
//! use ember_core::{DeviceAddress, Timestamp};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([9; 32]);
//! let now = Timestamp(1_700_000_000);
//! let describe = |key: &NetworkKey, network, region: &str, boundary| {
//!     let region = Region::new(region).unwrap();
//!     let fields = DescriptorFields { network, region, boundary, mode: FederationMode::Global, revision: 1 };
//!     NetworkDescriptor::sign(key, fields).unwrap()
//! };
//! // Two networks exchange descriptors.
//! let (agency_key, vendor_key) = (NetworkKey::generate(&mut rng), NetworkKey::generate(&mut rng));
//! let agency = describe(&agency_key, NetworkId::generate(&mut rng), "us-gov-west-1", Boundary::Government);
//! let vendor = describe(&vendor_key, NetworkId::generate(&mut rng), "us-east-1", Boundary::Commercial);
//! let mut trusted = TrustStore::new();
//! trusted.add(NetworkDescriptor::from_bytes(&vendor.to_bytes())?).unwrap();
//! let mut gate = FederationGate::new(agency.clone(), trusted, Timestamp(0));
//!
//! // The vendor network seals a device's ciphertext for a device of the agency.
//! let alice = Account::generate(&mut rng).new_device(&mut rng, now);
//! let bob = Account::generate(&mut rng).new_device(&mut rng, now);
//! let message = Outgoing {
//!     sender_certificate: alice.certificate(),
//!     sender_kind: SenderKind::Member,
//!     recipient: bob.address(),
//!     payload: b"end-to-end ciphertext",
//! };
//! let envelope = seal(&vendor_key, &vendor, &agency, &message, &mut rng, now).unwrap();
//!
//! // The agency's directory: bob is in a group without guests; nobody is suspended.
//! struct Directory(DeviceAddress, RecipientRules);
//! impl FederationDirectory for Directory {
//!     fn recipient_rules(&self, device: &DeviceAddress) -> Option<&RecipientRules> {
//!         (device == &self.0).then_some(&self.1)
//!     }
//!     fn sender_status(&self, _: NetworkId, _: &DeviceCertificate) -> SenderStatus {
//!         SenderStatus::Active
//!     }
//! }
//! let directory = Directory(bob.address(), RecipientRules::default());
//! let accepted = gate.check(&envelope, Timestamp(now.0 + 2), &directory).unwrap();
//! assert_eq!(accepted.payload, b"end-to-end ciphertext");
//! assert_eq!(accepted.classification, Classification::Unclassified);
//! assert_eq!(gate.check(&envelope, Timestamp(now.0 + 3), &directory), Err(FederationRefusal::Replayed));
//! # Ok::<(), DescriptorError>(())
//! ```

mod classification;
mod descriptor;
mod envelope;
mod error;
mod gate;
mod replay;
mod trust;

pub use classification::{
    ConversationClassification, MAX_CONVERSATION_PARTICIPANTS, MarkerChange,
    conversation_classification,
};
pub use descriptor::{Boundary, DescriptorFields, FederationMode, NetworkDescriptor, Region};
pub use envelope::{Outgoing, SenderKind, seal};
pub use error::{
    ClassificationError, DescriptorError, FederationRefusal, InvalidRegion, ModeMismatch,
    SealError, TrustError,
};
pub use gate::{Accepted, FederationDirectory, FederationGate, RecipientRules, SenderStatus};
pub use trust::TrustStore;

use crate::limits::MAX_WIRE_LEN;
use crate::network::NETWORK_ID_LEN;

/// Longest region name, in bytes.
pub const MAX_REGION_LEN: usize = 32;
/// Most networks a restricted descriptor lists.
pub const MAX_ALLOWLIST_LEN: usize = 4096;
/// Largest encoded network descriptor: a full allowlist (18 bytes an entry with its tag and
/// length) and a margin for the other fields.
pub const MAX_DESCRIPTOR_LEN: usize = MAX_ALLOWLIST_LEN * (NETWORK_ID_LEN + 2) + 1024;
/// Most networks a trust store holds.
pub const MAX_TRUSTED_NETWORKS: usize = 4096;
/// Largest end-to-end ciphertext a federation envelope carries: the largest 1:1 or room
/// message (files travel as encrypted blobs, referenced from inside the ciphertext).
pub const MAX_FEDERATED_PAYLOAD_LEN: usize = MAX_WIRE_LEN;
/// Largest encoded federation envelope: the largest payload and a margin for the certificate
/// and the other fields (about 400 bytes in practice).
pub const MAX_ENVELOPE_LEN: usize = MAX_FEDERATED_PAYLOAD_LEN + 4096;
/// Length of an envelope's nonce.
pub const NONCE_LEN: usize = 16;
/// Oldest envelope a gate accepts, in seconds after its timestamp: store-and-forward between
/// networks takes seconds, and the replay cache must cover the whole window.
pub const MAX_ENVELOPE_AGE_SECS: u64 = 300;
/// How far ahead of the receiver's clock an envelope's timestamp may be, in seconds.
pub const MAX_FUTURE_SKEW_SECS: u64 = 60;
/// Most accepted envelopes a gate's replay cache remembers (about 100 a second over the
/// freshness window). When full, the oldest is dropped and the replay horizon moves up to it.
pub const MAX_REPLAY_NONCES: usize = 100_000;
/// Most expired entries a gate drops from its replay cache per accepted envelope, so that
/// one call never does unbounded work; expired entries still go faster than new ones come.
pub const MAX_EVICTIONS_PER_CHECK: usize = 16;
