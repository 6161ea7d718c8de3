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
    SetupError => BookError::Setup,
    EncryptError => BookError::Encrypt,
    DecryptError => BookError::Decrypt,
    AcceptError => BookError::Accept,
}
