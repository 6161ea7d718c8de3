//! The primitives of cipher suite 1, behind small wrappers that the rest of Ember uses.
//!
//! Every other module reaches AES-256-GCM, HKDF-SHA256, HMAC-SHA256, X25519 and Ed25519
//! through this module only, so the suite can change in one place and the known-answer tests
//! (Wycheproof, RFC 5869, 7748, 8032) check exactly the code that Ember runs.
//!
//! ```
//! use ember_core::crypto::{aead, kdf};
//!
//! let mut key = [0u8; 32];
//! kdf::hkdf_sha256(b"salt", b"input key material", b"info", &mut key)?;
//! let sealed = aead::seal(&key, &[0u8; 12], b"header", b"hello")?;
//! assert_eq!(aead::open(&key, &[0u8; 12], b"header", &sealed)?, b"hello");
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

pub mod aead;
pub mod dh;
pub mod kdf;
mod secret;
pub mod sign;

pub use secret::Secret32;
