//! Data retention: the network's signed configuration, the clients' duties, the compliance
//! side's archive, and the customer's archive reader.
//!
//! - A network turns retention on with a [`RetentionConfig`] signed by its network key: the
//!   compliance device certificates, the customer's X25519 [`ArchivePublicKey`] and the
//!   segment [`Rotation`]. Clients accept it with [`RetentionConfig::accept`], which refuses a
//!   rollback to an older version.
//! - While it is on, every client adds the compliance devices to every conversation: in 1:1
//!   fan-out ([`compliance_recipients`], each sent a [`compliance_copy`] that names the
//!   conversation) and as room members ([`add_compliance_members`]); [`notice_for_change`]
//!   gives the system message that every member sees when it turns on or off.
//! - The compliance device decrypts what it receives like any member, and a
//!   [`ComplianceArchiver`] re-encrypts each message and file into the archive: segments with a
//!   fresh data key wrapped to the archive key, one AES-256-GCM per record, a SHA-256 chain
//!   across records and segments, a signed trailer per segment. Sequence numbers show the
//!   messages it never received ([`Gap`]).
//! - The customer's [`ArchiveReader`] (and the `ember-archive` tool built on it) verifies the
//!   chain and decrypts the records, reporting every gap and every [`ArchiveProblem`].
//!
//! `docs/protocol/retention.md` specifies every byte.
//!
//! ```
//! use ember_core::content::{Body, Content, MessageId};
//! use ember_core::identity::Account;
//! use ember_core::network::{NetworkId, NetworkKey};
//! use ember_core::retention::*;
//! use ember_core::{AccountId, DeviceAddress, DeviceId, Timestamp};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([8; 32]);
//! let now = Timestamp(1_700_000_000);
//! // The customer keeps the archive key; the network signs the configuration.
//! let archive_key = ArchivePrivateKey::generate(&mut rng);
//! let (network, network_key) = (NetworkId::generate(&mut rng), NetworkKey::generate(&mut rng));
//! let compliance = Account::generate(&mut rng).new_device(&mut rng, now);
//! let config = RetentionConfig::issue(&network_key, RetentionSettings {
//!     network, version: 1, enabled: true,
//!     compliance_devices: vec![compliance.certificate().clone()],
//!     archive_key: Some(archive_key.public_key()), issued_at: now, rotation: Rotation::default(),
//! })?;
//!
//! // A client verifies it, shows the notice and adds the compliance device to its fan-out.
//! let accepted = RetentionConfig::accept(None, &config.to_bytes(), network, &network_key.public_key())?;
//! assert!(notice_for_change(None, &accepted).is_some());
//! assert_eq!(compliance_recipients(&accepted), vec![compliance.address()]);
//!
//! // The compliance side archives what it decrypts...
//! let alice = DeviceAddress { account: AccountId::from_bytes([1; 16]), device: DeviceId(1) };
//! let mut content = Content::new(MessageId([7; 16]), now, Body::Text("hello".into()));
//! content.sequence = 1;
//! let copy = compliance_copy(AccountId::from_bytes([2; 16]), &content);
//! let Inbound::Copy(copy) = Inbound::decode(&copy)? else { unreachable!() };
//! let mut archiver = ComplianceArchiver::new(&config, &compliance, ChainHead::GENESIS)?;
//! archiver.record_message(&mut rng, now, &copy.message(alice, now))?;
//! let segment = archiver.rotate(now).unwrap();
//!
//! // ...and the customer reads it back.
//! let report = ArchiveReader::open(&archive_key, [segment.bytes.as_slice()]);
//! assert!(report.is_clean());
//! let ArchiveEntry::Message(message) = &report.records[0].entry else { unreachable!() };
//! assert_eq!(message.decode_content()?, content);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

mod archiver;
mod config;
mod copy;
mod error;
mod format;
mod keys;
mod ranges;
mod reader;
mod record;

pub use archiver::{
    Archived, ChainHead, ComplianceArchiver, FileArchiving, SealedSegment, SegmentBytes,
};
pub use config::{
    RetentionConfig, RetentionSettings, Rotation, add_compliance_members, compliance_recipients,
    compliance_recipients_of, notice_for_change, remove_compliance_members,
};
pub use copy::{ComplianceCopy, Inbound, compliance_copy};
pub use error::{ArchiveError, ConfigError};
pub use format::{
    CLOSE_LEN, FORMAT, FRAME_HEADER_LEN, HASH_LEN, HEADER_LEN, MAGIC, SIGNATURE_LEN, SegmentHeader,
    TRAILER_LEN, WRAPPED_KEY_LEN,
};
pub use keys::{ARCHIVE_KEY_LEN, ArchivePrivateKey, ArchivePublicKey};
pub use reader::{ArchiveProblem, ArchiveReader, ArchiveReport, ProblemKind, SegmentSummary};
pub use record::{
    ArchiveEntry, ArchiveRecord, ArchivedFileChunk, ArchivedMessage, Conversation, FILE_ID_LEN,
    FileId, Gap, GapNotice, MessageInput,
};

/// Most compliance devices one configuration lists.
pub const MAX_COMPLIANCE_DEVICES: usize = 8;
/// Smallest segment size a configuration may set.
pub const MIN_SEGMENT_BYTES: u64 = 4096;
/// Largest segment size a configuration may set.
pub const MAX_SEGMENT_BYTES: u64 = 1 << 30;
/// The segment size of [`Rotation::default`].
pub const DEFAULT_SEGMENT_BYTES: u64 = 64 << 20;
/// Shortest time a configuration may keep a segment open.
pub const MIN_SEGMENT_SECONDS: u64 = 60;
/// Longest time a configuration may keep a segment open: 31 days.
pub const MAX_SEGMENT_SECONDS: u64 = 31 * 24 * 3600;
/// The segment lifetime of [`Rotation::default`]: one hour.
pub const DEFAULT_SEGMENT_SECONDS: u64 = 3600;
/// Largest plaintext of one archive record. A message's content is at most
/// [`crate::limits::MAX_PLAINTEXT_LEN`] (256 KiB), so every message fits with room to spare;
/// the reader refuses a longer frame before reading it.
pub const MAX_RECORD_LEN: usize = 512 * 1024;
/// Plaintext bytes of a file per archive record (the last record of a file may hold fewer).
pub const FILE_CHUNK_LEN: usize = 64 * 1024;
/// Most conversation-and-sender streams the archiver's gap tracker follows; past it, the
/// stream with the lowest key is forgotten (its next message sets its numbers again). The
/// archive reader finds gaps from the archived sequence numbers themselves, so forgetting
/// only delays what the compliance side reports as it happens.
pub const MAX_TRACKED_STREAMS: usize = 1 << 20;
