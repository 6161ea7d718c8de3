//! What an archive record holds: messages, file chunks and gap notices, their protobuf encoding
//! (`ember.v1.ArchiveRecord`) and decoding.
//!
//! The archiver encodes records by hand, straight into the segment buffer where they are then
//! encrypted in place, so that a message's plaintext is never copied into an intermediate
//! protobuf struct (which would be freed without being wiped) and the hot path allocates
//! nothing. The encoding is the canonical one prost writes (fields in number order, defaults
//! left out); a test pins the two against each other. Decoding goes through prost.

use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use ember_proto::v1 as proto;
use prost::Message;
use zeroize::Zeroizing;

use super::MAX_RECORD_LEN;
use crate::content::Content;
use crate::error::{ContentError, DecodeError};
use crate::ids::{ACCOUNT_ID_LEN, AccountId, DeviceAddress, DeviceId, Timestamp};
use crate::room::{ROOM_ID_LEN, RoomId};
use crate::wire;

/// A conversation as the archive names it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Conversation {
    /// A 1:1 conversation between two accounts, the lower account id first.
    Direct(AccountId, AccountId),
    /// A room.
    Room(RoomId),
}

impl Conversation {
    /// The 1:1 conversation of two accounts, whichever order they are given in.
    pub fn direct(a: AccountId, b: AccountId) -> Self {
        if a <= b {
            Self::Direct(a, b)
        } else {
            Self::Direct(b, a)
        }
    }

    fn kind(&self) -> proto::ConversationKind {
        match self {
            Self::Direct(..) => proto::ConversationKind::Direct,
            Self::Room(_) => proto::ConversationKind::Room,
        }
    }

    fn id_len(&self) -> usize {
        match self {
            Self::Direct(..) => 2 * ACCOUNT_ID_LEN,
            Self::Room(_) => ROOM_ID_LEN,
        }
    }

    fn put_id(&self, out: &mut Vec<u8>) {
        match self {
            Self::Direct(a, b) => {
                out.extend_from_slice(a.as_bytes());
                out.extend_from_slice(b.as_bytes());
            }
            Self::Room(room) => out.extend_from_slice(&room.0),
        }
    }

    fn from_wire(kind: i32, id: &[u8]) -> Result<Self, DecodeError> {
        match proto::ConversationKind::try_from(kind) {
            Ok(proto::ConversationKind::Direct) => {
                let ids: [u8; 2 * ACCOUNT_ID_LEN] = wire::array("conversation_id", id)?;
                let (a, b) = ids.split_at(ACCOUNT_ID_LEN);
                let (a, b) = (account(a)?, account(b)?);
                if a > b {
                    return Err(DecodeError::OutOfRange("conversation_id"));
                }
                Ok(Self::Direct(a, b))
            }
            Ok(proto::ConversationKind::Room) => {
                Ok(Self::Room(RoomId(wire::array("conversation_id", id)?)))
            }
            _ => Err(DecodeError::OutOfRange("conversation_kind")),
        }
    }
}

fn account(bytes: &[u8]) -> Result<AccountId, DecodeError> {
    wire::array("account_id", bytes).map(AccountId::from_bytes)
}

/// Length of a file id.
pub const FILE_ID_LEN: usize = 32;

/// A file in the archive, named by the SHA-256 digest of its original ciphertext stream: the
/// `digest` of the [`crate::content::FileReference`] in the message that carried it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub [u8; FILE_ID_LEN]);

impl fmt::Debug for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileId(")?;
        for byte in &self.0[..8] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "..)")
    }
}

/// A message the compliance device received and decrypted, to archive.
#[derive(Clone, Copy)]
pub struct MessageInput<'a> {
    /// The conversation it belongs to.
    pub conversation: Conversation,
    /// The device that sent it.
    pub sender: DeviceAddress,
    /// When the compliance device received it (its own clock).
    pub received_at: Timestamp,
    /// The encoded [`Content`] exactly as decrypted: a room message's plaintext, or the
    /// content of a [`super::ComplianceCopy`]. It is archived even if it does not decode.
    pub content: &'a [u8],
}

impl fmt::Debug for MessageInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageInput")
            .field("conversation", &self.conversation)
            .field("sender", &self.sender)
            .field("received_at", &self.received_at)
            .field("content_len", &self.content.len())
            .finish()
    }
}

/// Messages of one sender device in one conversation that the compliance device never
/// received: their sequence numbers are `missing`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The conversation.
    pub conversation: Conversation,
    /// The sending device.
    pub sender: DeviceAddress,
    /// The sequence numbers never received.
    pub missing: Range<u64>,
}

/// An archived message.
pub struct ArchivedMessage {
    /// The conversation it belongs to.
    pub conversation: Conversation,
    /// The device that sent it.
    pub sender: DeviceAddress,
    /// Its sequence number in the conversation (0: not numbered).
    pub sequence: u64,
    /// The sender's clock when it sent the message.
    pub sent_at: Timestamp,
    /// The compliance device's clock when it received the message.
    pub received_at: Timestamp,
    /// The encoded [`Content`], wiped when dropped.
    pub content: Zeroizing<Vec<u8>>,
}

impl ArchivedMessage {
    /// Decodes the content.
    pub fn decode_content(&self) -> Result<Content, ContentError> {
        Content::decode(&self.content)
    }
}

impl fmt::Debug for ArchivedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            conversation,
            sender,
            sequence,
            sent_at,
            received_at,
            content,
        } = self;
        f.debug_struct("ArchivedMessage")
            .field("conversation", conversation)
            .field("sender", sender)
            .field("sequence", sequence)
            .field("sent_at", sent_at)
            .field("received_at", received_at)
            .field("content_len", &content.len())
            .finish_non_exhaustive()
    }
}

/// A piece of an archived file's plaintext.
pub struct ArchivedFileChunk {
    /// The file.
    pub file: FileId,
    /// Where `data` goes in the file.
    pub offset: u64,
    /// The plaintext, wiped when dropped.
    pub data: Zeroizing<Vec<u8>>,
    /// Whether the file ends after this chunk.
    pub last: bool,
}

impl fmt::Debug for ArchivedFileChunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            file,
            offset,
            data,
            last,
        } = self;
        f.debug_struct("ArchivedFileChunk")
            .field("file", file)
            .field("offset", offset)
            .field("len", &data.len())
            .field("last", last)
            .finish_non_exhaustive()
    }
}

/// A gap the compliance side noticed when it happened, as written into the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapNotice {
    /// The gap.
    pub gap: Gap,
    /// When the compliance side noticed it.
    pub detected_at: Timestamp,
}

/// What one archive record holds.
#[derive(Debug)]
#[non_exhaustive]
pub enum ArchiveEntry {
    /// A message.
    Message(ArchivedMessage),
    /// A piece of a file.
    FileChunk(ArchivedFileChunk),
    /// A gap the compliance side noticed.
    Gap(GapNotice),
}

/// One verified and decrypted record, with its place in the archive.
#[derive(Debug)]
pub struct ArchiveRecord {
    /// The segment it was read from.
    pub segment: u64,
    /// Its index within the segment.
    pub index: u32,
    /// What it holds.
    pub entry: ArchiveEntry,
}

// Field numbers of `ember.v1.ArchiveRecord` and its parts (retention.proto).
const RECORD_MESSAGE: u32 = 1;
const RECORD_FILE_CHUNK: u32 = 2;
const RECORD_GAP: u32 = 3;
const VARINT: u32 = 0;
const LEN: u32 = 2;

/// The header fields of a message record (everything but the content).
pub(crate) struct MessageFields<'a> {
    pub(crate) input: &'a MessageInput<'a>,
    pub(crate) sequence: u64,
    pub(crate) sent_at: Timestamp,
}

impl MessageFields<'_> {
    fn inner_len(&self) -> usize {
        let m = self.input;
        varint_field_len(1, m.conversation.kind() as u64)
            + bytes_field_len(2, m.conversation.id_len())
            + bytes_field_len(3, ACCOUNT_ID_LEN)
            + varint_field_len(4, u64::from(m.sender.device.0))
            + varint_field_len(5, self.sequence)
            + varint_field_len(6, self.sent_at.0)
            + varint_field_len(7, m.received_at.0)
            + bytes_field_len(8, m.content.len())
    }

    /// Length of the whole encoded `ArchiveRecord`.
    pub(crate) fn encoded_len(&self) -> usize {
        bytes_field_len(RECORD_MESSAGE, self.inner_len())
    }

    /// Appends the encoded `ArchiveRecord`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let m = self.input;
        put_len_prefix(out, RECORD_MESSAGE, self.inner_len());
        put_varint_field(out, 1, m.conversation.kind() as u64);
        put_len_prefix(out, 2, m.conversation.id_len());
        m.conversation.put_id(out);
        put_bytes_field(out, 3, m.sender.account.as_bytes());
        put_varint_field(out, 4, u64::from(m.sender.device.0));
        put_varint_field(out, 5, self.sequence);
        put_varint_field(out, 6, self.sent_at.0);
        put_varint_field(out, 7, m.received_at.0);
        put_bytes_field(out, 8, m.content);
    }
}

/// A file chunk record's fields.
pub(crate) struct FileChunkFields<'a> {
    pub(crate) file: &'a FileId,
    pub(crate) offset: u64,
    pub(crate) data: &'a [u8],
    pub(crate) last: bool,
}

impl FileChunkFields<'_> {
    fn inner_len(&self) -> usize {
        bytes_field_len(1, FILE_ID_LEN)
            + varint_field_len(2, self.offset)
            + bytes_field_len(3, self.data.len())
            + varint_field_len(4, u64::from(self.last))
    }

    pub(crate) fn encoded_len(&self) -> usize {
        bytes_field_len(RECORD_FILE_CHUNK, self.inner_len())
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_len_prefix(out, RECORD_FILE_CHUNK, self.inner_len());
        put_bytes_field(out, 1, &self.file.0);
        put_varint_field(out, 2, self.offset);
        put_bytes_field(out, 3, self.data);
        put_varint_field(out, 4, u64::from(self.last));
    }
}

impl GapNotice {
    fn inner_len(&self) -> usize {
        let gap = &self.gap;
        varint_field_len(1, gap.conversation.kind() as u64)
            + bytes_field_len(2, gap.conversation.id_len())
            + bytes_field_len(3, ACCOUNT_ID_LEN)
            + varint_field_len(4, u64::from(gap.sender.device.0))
            + varint_field_len(5, gap.missing.start)
            + varint_field_len(6, gap.missing.end)
            + varint_field_len(7, self.detected_at.0)
    }

    pub(crate) fn encoded_len(&self) -> usize {
        bytes_field_len(RECORD_GAP, self.inner_len())
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let gap = &self.gap;
        put_len_prefix(out, RECORD_GAP, self.inner_len());
        put_varint_field(out, 1, gap.conversation.kind() as u64);
        put_len_prefix(out, 2, gap.conversation.id_len());
        gap.conversation.put_id(out);
        put_bytes_field(out, 3, gap.sender.account.as_bytes());
        put_varint_field(out, 4, u64::from(gap.sender.device.0));
        put_varint_field(out, 5, gap.missing.start);
        put_varint_field(out, 6, gap.missing.end);
        put_varint_field(out, 7, self.detected_at.0);
    }
}

/// Decodes a record's plaintext. Secret-bearing fields move into wiped buffers; the prost
/// structs wipe whatever is left when they drop.
pub(crate) fn decode_entry(plaintext: &[u8]) -> Result<ArchiveEntry, DecodeError> {
    let mut record: proto::ArchiveRecord = wire::decode(plaintext, MAX_RECORD_LEN)?;
    let set = usize::from(record.message.is_some())
        + usize::from(record.file_chunk.is_some())
        + usize::from(record.gap.is_some());
    if set != 1 {
        return Err(DecodeError::MissingField("entry"));
    }
    if let Some(message) = record.message.as_mut() {
        return Ok(ArchiveEntry::Message(ArchivedMessage {
            conversation: Conversation::from_wire(
                message.conversation_kind,
                &message.conversation_id,
            )?,
            sender: DeviceAddress {
                account: account(&message.sender_account_id)?,
                device: DeviceId(message.sender_device_id),
            },
            sequence: message.sequence,
            sent_at: Timestamp(message.sent_at),
            received_at: Timestamp(message.received_at),
            content: Zeroizing::new(core::mem::take(&mut message.content)),
        }));
    }
    if let Some(chunk) = record.file_chunk.as_mut() {
        let data = Zeroizing::new(core::mem::take(&mut chunk.data));
        chunk
            .offset
            .checked_add(data.len() as u64)
            .ok_or(DecodeError::OutOfRange("offset"))?;
        return Ok(ArchiveEntry::FileChunk(ArchivedFileChunk {
            file: FileId(wire::array("file_id", &chunk.file_id)?),
            offset: chunk.offset,
            data,
            last: chunk.last,
        }));
    }
    let gap = record
        .gap
        .as_ref()
        .ok_or(DecodeError::MissingField("entry"))?;
    if gap.first_missing >= gap.end {
        return Err(DecodeError::OutOfRange("gap"));
    }
    Ok(ArchiveEntry::Gap(GapNotice {
        gap: Gap {
            conversation: Conversation::from_wire(gap.conversation_kind, &gap.conversation_id)?,
            sender: DeviceAddress {
                account: account(&gap.sender_account_id)?,
                device: DeviceId(gap.sender_device_id),
            },
            missing: gap.first_missing..gap.end,
        },
        detected_at: Timestamp(gap.detected_at),
    }))
}

/// The fields of `ember.v1.Content` the archiver reads (prost skips the rest, the body
/// included, without copying it).
#[derive(Clone, PartialEq, Message)]
struct ContentHead {
    #[prost(uint64, tag = "3")]
    sent_at: u64,
    #[prost(uint64, tag = "8")]
    sequence: u64,
}

/// The sequence number and sending time of encoded content; zero for both if it does not
/// decode (it is archived anyway).
pub(crate) fn content_head(content: &[u8]) -> (u64, Timestamp) {
    match ContentHead::decode(content) {
        Ok(head) => (head.sequence, Timestamp(head.sent_at)),
        Err(_) => (0, Timestamp(0)),
    }
}

fn varint_len(value: u64) -> usize {
    // One byte per started group of seven bits; zero takes one byte.
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

fn key_len(tag: u32) -> usize {
    varint_len(u64::from(tag) << 3)
}

fn varint_field_len(tag: u32, value: u64) -> usize {
    if value == 0 {
        0
    } else {
        key_len(tag) + varint_len(value)
    }
}

fn bytes_field_len(tag: u32, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        key_len(tag) + varint_len(len as u64) + len
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_varint_field(out: &mut Vec<u8>, tag: u32, value: u64) {
    if value != 0 {
        put_varint(out, (u64::from(tag) << 3) | u64::from(VARINT));
        put_varint(out, value);
    }
}

/// The key and length of a length-delimited field; the caller appends the `len` bytes.
fn put_len_prefix(out: &mut Vec<u8>, tag: u32, len: usize) {
    if len != 0 {
        put_varint(out, (u64::from(tag) << 3) | u64::from(LEN));
        put_varint(out, len as u64);
    }
}

fn put_bytes_field(out: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    put_len_prefix(out, tag, bytes.len());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sample_input(content: &[u8]) -> MessageInput<'_> {
        MessageInput {
            conversation: Conversation::direct(
                AccountId::from_bytes([9; 16]),
                AccountId::from_bytes([2; 16]),
            ),
            sender: DeviceAddress {
                account: AccountId::from_bytes([9; 16]),
                device: DeviceId(300),
            },
            received_at: Timestamp(1_700_000_123),
            content,
        }
    }

    #[test]
    fn hand_encoding_is_prosts_canonical_encoding() {
        for content in [&b""[..], b"x", &[7u8; 200], &[1u8; 20_000]] {
            let input = sample_input(content);
            for (sequence, sent_at) in [(0, 0), (1, 5), (u64::MAX, u64::MAX)] {
                let fields = MessageFields {
                    input: &input,
                    sequence,
                    sent_at: Timestamp(sent_at),
                };
                let mut ours = Vec::new();
                fields.encode(&mut ours);
                assert_eq!(ours.len(), fields.encoded_len());
                let (a, b) = match input.conversation {
                    Conversation::Direct(a, b) => (a, b),
                    Conversation::Room(_) => unreachable!(),
                };
                let mut id = a.as_bytes().to_vec();
                id.extend_from_slice(b.as_bytes());
                let theirs = proto::ArchiveRecord {
                    message: Some(proto::ArchivedMessage {
                        conversation_kind: proto::ConversationKind::Direct.into(),
                        conversation_id: id,
                        sender_account_id: vec![9; 16],
                        sender_device_id: 300,
                        sequence,
                        sent_at,
                        received_at: 1_700_000_123,
                        content: content.to_vec(),
                    }),
                    file_chunk: None,
                    gap: None,
                }
                .encode_to_vec();
                assert_eq!(ours, theirs);
            }
        }
        for (offset, data, last) in [(0, &b""[..], false), (65_536, b"abc", true)] {
            let file = FileId([4; 32]);
            let fields = FileChunkFields {
                file: &file,
                offset,
                data,
                last,
            };
            let mut ours = Vec::new();
            fields.encode(&mut ours);
            assert_eq!(ours.len(), fields.encoded_len());
            let theirs = proto::ArchiveRecord {
                message: None,
                file_chunk: Some(proto::ArchivedFileChunk {
                    file_id: vec![4; 32],
                    offset,
                    data: data.to_vec(),
                    last,
                }),
                gap: None,
            }
            .encode_to_vec();
            assert_eq!(ours, theirs);
        }
        let notice = GapNotice {
            gap: Gap {
                conversation: Conversation::Room(RoomId([3; 16])),
                sender: DeviceAddress {
                    account: AccountId::from_bytes([5; 16]),
                    device: DeviceId(0),
                },
                missing: 3..4,
            },
            detected_at: Timestamp(99),
        };
        let mut ours = Vec::new();
        notice.encode(&mut ours);
        assert_eq!(ours.len(), notice.encoded_len());
        let theirs = proto::ArchiveRecord {
            message: None,
            file_chunk: None,
            gap: Some(proto::ArchivedGap {
                conversation_kind: proto::ConversationKind::Room.into(),
                conversation_id: vec![3; 16],
                sender_account_id: vec![5; 16],
                sender_device_id: 0,
                first_missing: 3,
                end: 4,
                detected_at: 99,
            }),
        }
        .encode_to_vec();
        assert_eq!(ours, theirs);
        assert!(matches!(decode_entry(&ours), Ok(ArchiveEntry::Gap(n)) if n == notice));
    }

    #[test]
    fn varint_lengths() {
        for (value, len) in [(0, 1), (1, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3)] {
            assert_eq!(varint_len(value), len, "{value}");
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(out.len(), len);
        }
        assert_eq!(varint_len(u64::MAX), 10);
    }

    #[test]
    fn records_with_no_or_two_entries_are_refused() {
        assert_eq!(
            decode_entry(&[]).err(),
            Some(DecodeError::MissingField("entry"))
        );
        let two = proto::ArchiveRecord {
            message: Some(Default::default()),
            file_chunk: Some(Default::default()),
            gap: None,
        }
        .encode_to_vec();
        assert!(decode_entry(&two).is_err());
        let reversed = proto::ArchivedMessage {
            conversation_kind: proto::ConversationKind::Direct.into(),
            conversation_id: [[2u8; 16], [1; 16]].concat(),
            sender_account_id: vec![1; 16],
            sender_device_id: 1,
            sequence: 1,
            sent_at: 1,
            received_at: 1,
            content: Vec::new(),
        };
        let bytes = proto::ArchiveRecord {
            message: Some(reversed),
            file_chunk: None,
            gap: None,
        }
        .encode_to_vec();
        assert_eq!(
            decode_entry(&bytes).err(),
            Some(DecodeError::OutOfRange("conversation_id"))
        );
    }

    #[test]
    fn content_head_reads_sequence_and_time_only() {
        let mut content = Content::new(
            crate::content::MessageId([1; 16]),
            Timestamp(77),
            crate::content::Body::Text("secret".into()),
        );
        content.sequence = 42;
        assert_eq!(content_head(&content.encode()), (42, Timestamp(77)));
        assert_eq!(content_head(&[0xff, 0xff]), (0, Timestamp(0)));
    }
}
