//! Ember: the protocol core of an end-to-end-encrypted enterprise messenger.
//!
//! `ember-core` is `#![no_std]` and does no I/O: randomness comes in as an RNG argument, the
//! time as a timestamp, stored state as sealed bytes. See `docs/PROTOCOL.md` for the
//! byte-exact specification.
#![no_std]
#![forbid(unsafe_code)]
#![warn(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

extern crate alloc;

pub mod atak;
pub mod content;
pub mod crypto;
mod domain;
pub mod error;
pub mod federation;
pub mod file;
pub mod identity;
mod ids;
pub mod limits;
pub mod network;
pub mod payload;
pub mod policy;
pub mod prekeys;
pub mod retention;
pub mod room;
pub mod snapshot;
mod wire;

pub use ids::{ACCOUNT_ID_LEN, AccountId, DeviceAddress, DeviceId, Timestamp};
pub use wire::{Suite, VERSION};
pub mod session;
pub mod sframe;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExample;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
#[cfg(test)]
mod kat;
