//! Ember: the protocol core of an end-to-end-encrypted enterprise messenger.
//!
//! `ember-core` is `#![no_std]` and does no I/O: randomness comes in as an RNG argument, the
//! time as a timestamp, stored state as sealed bytes. See `docs/PROTOCOL.md` for the
//! byte-exact specification.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod crypto;
mod domain;
pub mod error;
pub mod identity;
mod ids;
pub mod limits;
pub mod prekeys;
pub mod snapshot;
mod wire;

pub use ids::{ACCOUNT_ID_LEN, AccountId, DeviceAddress, DeviceId, Timestamp};
pub use wire::{Suite, VERSION};
pub mod session;
