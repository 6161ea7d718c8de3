//! Named bounds on what untrusted input can cost. Each is checked before any work is done.

/// Largest encoded envelope, bundle or certificate accepted from the wire.
pub const MAX_WIRE_LEN: usize = 1 << 20;
/// Largest plaintext of one 1:1 message (files travel through the file encryption instead).
pub const MAX_PLAINTEXT_LEN: usize = 256 * 1024;
/// Most message keys a receiver derives ahead within one chain for a single message.
pub const MAX_SKIP: u32 = 2000;
/// Most skipped message keys a session keeps; the oldest are dropped first.
pub const MAX_STORED_SKIPPED_KEYS: usize = 2000;
/// Most receiving chains a session keeps; the oldest is dropped first.
pub const MAX_RECEIVING_CHAINS: usize = 5;
/// Most one-time prekeys a device holds unconsumed.
pub const MAX_ONE_TIME_PREKEYS: usize = 1000;
/// Most one-time prekeys accepted in one bundle.
pub const MAX_BUNDLE_ONE_TIME_PREKEYS: usize = 1000;
/// Signed prekeys a device keeps (the current one and its predecessors), so that initial
/// messages made against a recently replaced prekey still open.
pub const MAX_SIGNED_PREKEYS: usize = 3;
/// Most member accounts in a room.
pub const MAX_ROOM_MEMBERS: usize = 500;
/// Most devices one member account has in a room.
pub const MAX_DEVICES_PER_MEMBER: usize = 16;
/// Sender chains kept per member device of a room (the current one and older epochs' chains
/// for messages still in flight); the oldest is dropped first.
pub const MAX_CHAINS_PER_SENDER: usize = 3;
/// Earlier sessions a session book keeps per remote device, besides the current one.
pub const MAX_PREVIOUS_SESSIONS: usize = 3;
/// Most remote devices a session book holds sessions with.
pub const MAX_SESSIONS: usize = 10_000;
/// Largest sealed snapshot written or opened. A full session book ([`MAX_SESSIONS`] sessions,
/// each holding [`MAX_STORED_SKIPPED_KEYS`] skipped keys) stays below it.
pub const MAX_SNAPSHOT_LEN: usize = 1 << 31;
/// Largest plaintext of one file: 5 GiB, a margin above the 5 GB a user may send. The file
/// encryptor refuses to go past it and the decryptor rejects a stream that would.
pub const MAX_FILE_LEN: u64 = 5 << 30;
/// Smallest chunk size a file stream may declare. With it, [`MAX_FILE_LEN`] is 5 × 2^20
/// chunks, far below the 2^32 chunk indexes.
pub const MIN_FILE_CHUNK_SIZE: u32 = 1024;
/// Largest chunk size a file stream may declare. A file decryptor buffers at most one chunk,
/// so this bounds its memory.
pub const MAX_FILE_CHUNK_SIZE: u32 = 1 << 20;
/// Most participants in one call. Participant slots run from 0 to 69; the SFrame KID keeps
/// 8 bits for the slot.
pub const MAX_CALL_PARTICIPANTS: u8 = 70;
/// Largest call frame (SFrame ciphertext, or plaintext to protect): a large video key frame
/// fits; anything longer is refused before any work.
pub const MAX_CALL_FRAME_LEN: usize = 1 << 20;
/// Width of the replay window per call sender, in frames: a frame up to this many counters
/// behind the sender's newest still opens once (the network may reorder), older ones do not.
pub const SFRAME_REPLAY_WINDOW: u64 = 128;
/// Seconds a call participant keeps opening frames of the previous epoch after moving to a
/// new one, for frames in flight and senders that switch later.
pub const CALL_EPOCH_OVERLAP_SECS: u64 = 10;
/// Frames one call sender encrypts under one key (one epoch). For 2^32 frames of up to
/// 64 KiB, the AES-GCM confidentiality bound stays near 2^-41; past it the sender refuses
/// and the call must move to a new epoch (at 100 frames a second, after 16 months).
pub const MAX_FRAMES_PER_SFRAME_KEY: u64 = 1 << 32;
