//! Accounts, devices and the certificates that bind them.
//!
//! An account has an Ed25519 root key. Each device has its own Ed25519 signing key and X25519
//! key-agreement key, and a [`DeviceCertificate`] in which the account key vouches for them.
//! Every prekey a device publishes is signed by its device key, so a bundle verifies as a chain:
//! account key → device certificate → prekeys.
//!
//! ```
//! use ember_core::identity::{Account, safety_number};
//! use ember_core::Timestamp;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
//! # use rand_core::SeedableRng;
//!
//! let mut alice = Account::generate(&mut rng);
//! let phone = alice.new_device(&mut rng, Timestamp(1_700_000_000));
//! assert_eq!(phone.certificate().account_key(), &alice.public_key());
//!
//! let bob = Account::generate(&mut rng);
//! let ours = safety_number(&alice.public_identity(), &bob.public_identity());
//! let theirs = safety_number(&bob.public_identity(), &alice.public_identity());
//! assert_eq!(ours.digits(), theirs.digits());
//! ```

mod account;
mod certificate;
pub(crate) mod device;
mod safety_number;

pub use account::{Account, PublicIdentity};
pub use certificate::DeviceCertificate;
pub use device::{Device, DeviceKeys, DevicePublicKeys};
pub use safety_number::{FINGERPRINT_ITERATIONS, QR_VERSION, SafetyNumber, safety_number};
