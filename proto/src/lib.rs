//! The Ember wire format.
//!
//! The `.proto` files under `proto/ember/v1/` are the contract that other implementations read;
//! this crate compiles them with prost. Everything here is plain data with no validation:
//! `ember-core` converts these structs to its domain types in one place, checking versions,
//! lengths and required fields there.
//!
//! ```
//! use ember_proto::v1::Envelope;
//! use prost::Message;
//!
//! let envelope = Envelope { version: 1, suite: 1, body: None };
//! let bytes = envelope.encode_to_vec();
//! assert_eq!(Envelope::decode(bytes.as_slice()), Ok(envelope));
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

pub use prost;

/// Version 1 of the wire format and of the sealed state snapshots.
#[allow(missing_docs, unreachable_pub, clippy::all)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/ember.v1.rs"));
}
