//! Accounts, devices and the certificates that bind them.
//!
//! An account has an Ed25519 root key. Each device has its own Ed25519 signing key and X25519
//! key-agreement key, and a [`DeviceCertificate`] in which the account key vouches for them.
//! Every prekey a device publishes is signed by its device key, so a bundle verifies as a chain:
//! account key → device certificate → prekeys.
//!
//! Around that chain: the account id and root key derive from a master recovery key
//! ([`recovery`]); a new device is certified only after a short code compared on it and on a
//! device that holds the root key ([`linking`]), or with the recovery key; the account's
//! signed device list says which certificates are still current ([`device_list`]); and a
//! network's signed directory entry says which account key speaks for a user ([`directory`]).
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
pub mod device_list;
pub mod directory;
pub mod linking;
pub mod recovery;
mod safety_number;

pub use account::{Account, PublicIdentity};
pub use certificate::DeviceCertificate;
pub use device::{Device, DeviceKeys, DevicePublicKeys};
pub use device_list::{DeviceListError, VerifiedDeviceList};
pub use directory::{DirectoryEntry, DirectoryError, DirectoryStatus, VerifiedDirectoryEntry};
pub use linking::{
    ApproverCode, ApproverLink, LinkError, LinkOffer, LinkRequest, LinkReveal, NewDeviceCode,
    NewDeviceConfirmed, NewDeviceLink, ShortCode,
};
pub use recovery::{RecoveryError, RecoveryKey};
pub use safety_number::{FINGERPRINT_ITERATIONS, QR_VERSION, SafetyNumber, safety_number};
