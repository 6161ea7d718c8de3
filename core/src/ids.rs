//! Identifiers of accounts and devices, and the protocol's notion of time.

use core::fmt;

use rand_core::CryptoRng;

/// Length of an account id.
pub const ACCOUNT_ID_LEN: usize = 16;

/// A random 16-byte account identifier, fixed when the account is created.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId([u8; ACCOUNT_ID_LEN]);

impl AccountId {
    /// A fresh random id.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut bytes = [0u8; ACCOUNT_ID_LEN];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Wraps 16 bytes.
    pub const fn from_bytes(bytes: [u8; ACCOUNT_ID_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads an id from a slice of exactly 16 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; ACCOUNT_ID_LEN] {
        &self.0
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

/// A device's number within its account, assigned by the account when it certifies the device.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DeviceId(pub u32);

/// Where a 1:1 message goes: one device of one account.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DeviceAddress {
    /// The account.
    pub account: AccountId,
    /// The device within the account.
    pub device: DeviceId,
}

/// A point in time, in whole seconds since the Unix epoch. The core never reads a clock:
/// the caller passes "now".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Timestamp(pub u64);
