//! A `no_std` final artifact that links `ember-core` and `ember-proto`. See README.md.
//!
//! It never runs: it exists so that the compiler must resolve the panic handler and the
//! global allocator for the whole dependency graph. If std sneaks into the graph, std's own
//! panic handler collides with ours and the build fails with "duplicate lang item".
#![no_std]

extern crate alloc;

use core::alloc::{GlobalAlloc, Layout};

use ember_core::crypto::{aead, kdf};
use ember_proto::prost::Message;
use ember_proto::v1::Envelope;

/// Uses the crates from an exported symbol, so their code is compiled and linked.
/// Returns the encoded envelope's length plus the sealed message's length, or 0 on error.
#[unsafe(no_mangle)]
pub extern "C" fn ember_no_std_check(input: u8) -> usize {
    let key = kdf::hmac_sha256(b"no-std check", &[input]);
    let Ok(sealed) = aead::seal(&key, &[0u8; aead::NONCE_LEN], b"aad", &[input]) else {
        return 0;
    };
    let envelope = Envelope {
        version: 1,
        suite: 1,
        body: None,
    };
    envelope.encode_to_vec().len() + sealed.len()
}

/// An allocator that always fails: the artifact only has to link, never to run.
struct NoAlloc;

// SAFETY: returning null is how `GlobalAlloc::alloc` reports failure; nothing is ever freed.
unsafe impl GlobalAlloc for NoAlloc {
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: NoAlloc = NoAlloc;

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
