//! One error type per operation. None of them carries key bytes: only counts, ids and field
//! names. "The peer sent garbage" (decode, signature, tag) is kept apart from "the caller
//! misused the API" (too long, exhausted, wrong kind of snapshot).

use core::fmt;

/// Bytes from the wire (or a decrypted snapshot) did not form a valid message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input is larger than the bound for its kind.
    TooLarge {
        /// The input length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// Not valid protobuf for the expected message.
    Protobuf,
    /// A required field is absent.
    MissingField(&'static str),
    /// A field has the wrong length.
    BadLength {
        /// The field.
        field: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        got: usize,
    },
    /// A list holds more entries than allowed.
    TooMany {
        /// The field.
        field: &'static str,
        /// The bound.
        max: usize,
    },
    /// A number is outside the range the protocol allows.
    OutOfRange(&'static str),
    /// A public key is not a valid curve point.
    BadKey(&'static str),
    /// A protocol version this implementation does not speak.
    UnsupportedVersion(u32),
    /// A cipher suite this implementation does not speak.
    UnsupportedSuite(u32),
}

/// A device certificate did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The certificate is malformed.
    Decode(DecodeError),
    /// The account key's signature does not verify.
    BadSignature,
    /// The certificate names keys other than the device's own.
    KeyMismatch,
    /// The certificate is signed by a different account key than the one trusted.
    UntrustedAccount,
}

/// A prekey bundle did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// The bundle is malformed.
    Decode(DecodeError),
    /// The device certificate did not verify.
    Certificate(CertificateError),
    /// The signed prekey's signature does not verify.
    BadSignedPreKeySignature,
    /// A one-time prekey's signature does not verify.
    BadOneTimePreKeySignature {
        /// The prekey's id.
        id: u32,
    },
}

/// Starting a session from a bundle failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetupError {
    /// A key agreement with the bundle's keys was non-contributory (a low-order key).
    NonContributory,
}

/// Creating a session from a received initial message failed. The device is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcceptError {
    /// The message is malformed.
    Decode(DecodeError),
    /// The message is a follow-up message of a session, not an initial message.
    NotInitial,
    /// The initiator's certificate did not verify.
    Certificate(CertificateError),
    /// The signed prekey it names is not (or no longer) held by this device.
    UnknownSignedPreKey {
        /// The id named by the message.
        id: u32,
    },
    /// The one-time prekey it names was never issued or is already used.
    UnknownOneTimePreKey {
        /// The id named by the message.
        id: u32,
    },
    /// A key agreement was non-contributory (a low-order key).
    NonContributory,
    /// The embedded first message did not decrypt.
    Decrypt(DecryptError),
}

/// Encrypting a message failed. The session is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncryptError {
    /// The plaintext is longer than [`crate::limits::MAX_PLAINTEXT_LEN`].
    TooLong {
        /// The plaintext length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The sending chain has used all 2^32 counters; the peer must reply first.
    ChainExhausted,
    /// The peer's ratchet key gives a non-contributory agreement.
    NonContributory,
}

/// Decrypting a message failed. The session is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// The message is malformed.
    Decode(DecodeError),
    /// The ciphertext did not authenticate.
    BadTag,
    /// This message was already decrypted (or its key was dropped as too old).
    Duplicate {
        /// Its counter.
        counter: u32,
    },
    /// The message lies further ahead in its chain than a receiver derives keys for.
    GapTooLarge {
        /// How many keys would have to be skipped.
        got: u32,
        /// The bound, [`crate::limits::MAX_SKIP`].
        max: u32,
    },
    /// The message belongs to a chain this session no longer keeps.
    UnknownChain,
    /// The peer's new ratchet key gives a non-contributory agreement.
    NonContributory,
    /// An initial message of a different session (another base key).
    OtherSession,
}

/// A session book could not deliver or encrypt a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BookError {
    /// There is no session with any device of the recipient.
    NoSession,
    /// There is no session with this device.
    MissingSession {
        /// The device.
        to: crate::DeviceAddress,
    },
    /// The book already holds [`crate::limits::MAX_SESSIONS`] sessions.
    Full,
    /// A follow-up message arrived from a device without a session.
    UnknownSender,
    /// An initial message's certificate names a different device than its sender.
    SenderMismatch,
    /// Starting a session from a bundle failed.
    Setup(SetupError),
    /// Encryption failed.
    Encrypt(EncryptError),
    /// Decryption failed.
    Decrypt(DecryptError),
    /// Creating a session from an initial message failed.
    Accept(AcceptError),
    /// The device is not in the latest device list applied for its account: it was revoked,
    /// or the list that adds it has not been applied yet (apply it, then retry).
    DeviceNotListed {
        /// The device.
        device: crate::DeviceAddress,
    },
    /// A device list older than the one applied for its account, or as old with other
    /// contents (a rollback), or signed by another key than the list applied.
    StaleDeviceList {
        /// The version given.
        got: u64,
        /// The version applied.
        current: u64,
    },
}

/// A sealed snapshot could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Shorter than the header and tag, or longer than the bound.
    BadLength,
    /// Not an Ember snapshot.
    BadMagic,
    /// Written by a snapshot format this version does not read.
    UnsupportedVersion(u8),
    /// A snapshot of another kind (for example a session where an account was expected).
    WrongKind {
        /// The kind asked for.
        expected: u8,
        /// The kind found.
        got: u8,
    },
    /// Wrong key, or the bytes were altered.
    BadKeyOrCorrupted,
    /// The state is larger than [`crate::limits::MAX_SNAPSHOT_LEN`] (sealing only).
    TooLarge,
    /// The decrypted state is malformed.
    Decode(DecodeError),
}

/// Message content did not decode, or breaks a rule of the content model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentError {
    /// The content is malformed.
    Decode(DecodeError),
    /// A text or name is longer than its bound.
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A number is outside its range (coordinates, accuracy).
    OutOfRange(&'static str),
    /// An enumeration value this version does not know.
    UnknownKind(&'static str),
}

/// A room operation failed. The room is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoomError {
    /// A room message or control payload is malformed.
    Decode(DecodeError),
    /// It belongs to another room.
    WrongRoom,
    /// The sending device is not a member of the room.
    NotAMember,
    /// The local device is not (or no longer) a member of the room.
    NotInRoom,
    /// A member list names more accounts than [`crate::limits::MAX_ROOM_MEMBERS`].
    TooManyMembers {
        /// The number named.
        got: usize,
        /// The bound.
        max: usize,
    },
    /// A member names more devices than [`crate::limits::MAX_DEVICES_PER_MEMBER`].
    TooManyDevices {
        /// The number named.
        got: usize,
        /// The bound.
        max: usize,
    },
    /// A member list that is not strictly newer than the one the room has.
    StaleUpdate {
        /// The version received.
        got: u64,
        /// The room's version.
        current: u64,
    },
    /// No sender key for this chain yet: keep the message and retry after the sender's key
    /// has arrived over its 1:1 session.
    MissingSenderKey,
    /// The sender's signature does not verify.
    BadSignature,
    /// The ciphertext did not authenticate.
    BadTag,
    /// This message was already decrypted (or its key was dropped as too old).
    Duplicate {
        /// Its counter.
        counter: u32,
    },
    /// The message lies further ahead in its chain than a receiver derives keys for.
    GapTooLarge {
        /// How many keys would have to be skipped.
        got: u32,
        /// The bound.
        max: u32,
    },
    /// The plaintext is longer than [`crate::limits::MAX_PLAINTEXT_LEN`].
    TooLong {
        /// The plaintext length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A counter is used up: the sending chain's (a new chain starts with the next change),
    /// or the member list's version or epoch (the room cannot change any more).
    ChainExhausted,
}

/// A 1:1 payload did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// Not a valid payload.
    Decode(DecodeError),
    /// Its message content is invalid.
    Content(ContentError),
    /// Its room control message is invalid.
    Room(RoomError),
}

/// Encrypting a file failed. The encryptor is unchanged: nothing of the refused input was
/// consumed, and what was pushed before can still be finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileEncryptError {
    /// The file would be longer than [`crate::limits::MAX_FILE_LEN`].
    TooLarge {
        /// The length the file would have with this input.
        len: u64,
        /// The bound.
        max: u64,
    },
    /// The chunk size is outside [`crate::limits::MIN_FILE_CHUNK_SIZE`] ..=
    /// [`crate::limits::MAX_FILE_CHUNK_SIZE`].
    BadChunkSize {
        /// The chunk size asked for.
        size: u32,
    },
}

/// A file stream (or one chunk of it) did not decrypt.
///
/// `index` fields are chunk positions in the stream (0 for the first chunk). Once a
/// [`crate::file::FileDecryptor`] has returned one of these, it returns the same error again.
/// The [`crate::file`] module documentation maps each kind of tampering to its variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileDecryptError {
    /// The stream does not start with the file magic: it is not an Ember file stream.
    BadMagic,
    /// A file format this implementation does not read.
    UnsupportedVersion(u8),
    /// The header declares a chunk size outside [`crate::limits::MIN_FILE_CHUNK_SIZE`] ..=
    /// [`crate::limits::MAX_FILE_CHUNK_SIZE`].
    BadChunkSize {
        /// The declared chunk size.
        size: u32,
    },
    /// The header's key commitment does not match the file key: the wrong key, or an altered
    /// header (salt, chunk size or commitment). The two cannot be told apart, by design.
    KeyMismatch,
    /// A chunk header no encoder writes: a flag other than 0 or 1, a non-final chunk whose
    /// length is not the chunk size, or a final chunk longer than the chunk size.
    MalformedChunk {
        /// The chunk's position in the stream.
        index: u32,
    },
    /// The stream holds more than [`crate::limits::MAX_FILE_LEN`] bytes of plaintext.
    TooLarge {
        /// The bound.
        max: u64,
    },
    /// The chunk at this position did not authenticate: altered ciphertext, tag or chunk
    /// header, or a chunk of another file.
    BadTag {
        /// The chunk's position in the stream.
        index: u32,
    },
    /// A genuine chunk of this file arrived ahead of its turn: chunks were swapped or dropped.
    /// (From [`crate::file::decrypt_chunk`]: the bytes given are another chunk of the file.)
    OutOfOrder {
        /// The position the stream has reached (or the index asked for).
        expected: u32,
        /// The authenticated index of the chunk that arrived.
        got: u32,
    },
    /// A genuine chunk of this file that was already decrypted arrived again.
    Duplicate {
        /// Its index.
        index: u32,
    },
    /// Bytes follow the final chunk: the stream was extended.
    TrailingData,
    /// The stream ended inside its header.
    TruncatedHeader {
        /// How many header bytes arrived.
        len: usize,
    },
    /// The stream ended inside a chunk (or inside the length a chunk header claims).
    TruncatedChunk {
        /// The chunk's position in the stream.
        index: u32,
    },
    /// The stream ended after a whole chunk, but not after the final one: it was cut at a
    /// chunk boundary or its final chunk was dropped.
    Truncated {
        /// How many chunks arrived and verified.
        chunks: u32,
    },
    /// Every chunk verified, but the SHA-256 of the stream is not the expected digest.
    DigestMismatch,
}

macro_rules! impl_display_and_error {
    ($($ty:ty => $text:literal),* $(,)?) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($text, ": {:?}"), self)
            }
        }
        impl core::error::Error for $ty {}
    )*};
}

impl_display_and_error! {
    DecodeError => "malformed input",
    CertificateError => "device certificate rejected",
    BundleError => "prekey bundle rejected",
    SetupError => "session setup failed",
    AcceptError => "initial message rejected",
    EncryptError => "encryption failed",
    DecryptError => "decryption failed",
    BookError => "session book operation failed",
    SnapshotError => "snapshot could not be opened",
    ContentError => "message content rejected",
    RoomError => "room operation failed",
    PayloadError => "payload rejected",
    FileEncryptError => "file encryption failed",
    FileDecryptError => "file decryption failed",
    SframeError => "call frame rejected",
    SframeSealError => "call frame encryption failed",
    CallKeyError => "call key operation refused",
}

macro_rules! impl_from {
    ($($from:ty => $to:ident :: $variant:ident),* $(,)?) => {$(
        impl From<$from> for $to {
            fn from(error: $from) -> Self {
                $to::$variant(error)
            }
        }
    )*};
}

impl_from! {
    DecodeError => CertificateError::Decode,
    DecodeError => BundleError::Decode,
    CertificateError => BundleError::Certificate,
    DecodeError => AcceptError::Decode,
    CertificateError => AcceptError::Certificate,
    DecryptError => AcceptError::Decrypt,
    DecodeError => DecryptError::Decode,
    DecodeError => SnapshotError::Decode,
    DecodeError => ContentError::Decode,
    DecodeError => RoomError::Decode,
    DecodeError => PayloadError::Decode,
    ContentError => PayloadError::Content,
    RoomError => PayloadError::Room,
    SetupError => BookError::Setup,
    EncryptError => BookError::Encrypt,
    DecryptError => BookError::Decrypt,
    AcceptError => BookError::Accept,
}

/// An SFrame ciphertext of a call could not be opened. Nothing changed: the frame was not
/// counted against the replay window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SframeError {
    /// The SFrame header is truncated or not minimally encoded.
    BadHeader,
    /// The frame is longer than [`crate::limits::MAX_CALL_FRAME_LEN`].
    TooLong {
        /// The frame length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The KID is not one of this call's participants, or not the key's KID.
    UnknownKeyId {
        /// The KID in the header.
        kid: u64,
    },
    /// The frame belongs to a later epoch whose secret has not arrived yet: keep it and retry
    /// after the rekey.
    EpochNotYetKnown {
        /// The frame's epoch.
        epoch: u32,
    },
    /// The frame belongs to an epoch no longer opened (older than the previous one, or the
    /// previous one after its overlap).
    EpochExpired {
        /// The frame's epoch.
        epoch: u32,
    },
    /// The frame claims a slot this participant sends from: a reflected frame.
    OwnSlot {
        /// The slot.
        slot: u8,
    },
    /// The ciphertext did not authenticate.
    BadTag,
    /// This counter of this sender was already opened.
    Replay {
        /// The counter.
        ctr: u64,
    },
    /// The counter lies further behind the sender's newest than the replay window reaches.
    TooOld {
        /// The counter.
        ctr: u64,
    },
}

/// An SFrame frame could not be encrypted. No ciphertext was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SframeSealError {
    /// The plaintext is longer than [`crate::limits::MAX_CALL_FRAME_LEN`].
    TooLong {
        /// The plaintext length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The sender has used [`crate::limits::MAX_FRAMES_PER_SFRAME_KEY`] counters; the call
    /// must move to a new epoch.
    CounterExhausted,
}

/// A call key operation was refused. The call keys are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallKeyError {
    /// The slot is not below [`crate::limits::MAX_CALL_PARTICIPANTS`].
    SlotOutOfRange {
        /// The slot asked for.
        slot: u8,
        /// The bound.
        max: u8,
    },
    /// A sender for this slot was already made in this epoch; a second would reuse nonces.
    SenderTaken {
        /// The slot.
        slot: u8,
    },
    /// A rekey must move to a higher epoch.
    EpochNotNewer {
        /// The current epoch.
        current: u32,
        /// The epoch given.
        got: u32,
    },
    /// A rekey must bring a new secret (the participant who left knows the old one).
    SecretReused,
}
