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
/// Most sessions a session book holds.
pub const MAX_SESSIONS: usize = 10_000;
/// Largest sealed snapshot written or opened. A full session book ([`MAX_SESSIONS`] sessions,
/// each holding [`MAX_STORED_SKIPPED_KEYS`] skipped keys) stays below it.
pub const MAX_SNAPSHOT_LEN: usize = 1 << 31;
