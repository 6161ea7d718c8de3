//! A 32-byte secret that zeroizes on drop, compares in constant time and never prints.

use alloc::boxed::Box;
use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// 32 secret bytes, boxed so that moving the value leaves no copy behind.
///
/// No `Clone`, no `Debug` of the bytes, no serialization: the bytes leave only through
/// [`Secret32::expose`], which the crate uses to feed a primitive.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Secret32(Box<[u8; 32]>);

impl Secret32 {
    /// Takes ownership of `bytes` and wipes the caller's copy.
    pub fn from_bytes(bytes: &mut [u8; 32]) -> Self {
        let secret = Self(Box::new(*bytes));
        bytes.zeroize();
        secret
    }

    /// Copies a secret from a slice, if it has exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self::from_bytes(&mut array))
    }

    /// The secret bytes, for a primitive that needs them.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// An independent copy, made explicitly where the protocol needs two owners.
    pub(crate) fn duplicate(&self) -> Self {
        Self(Box::new(*self.0))
    }
}

impl ConstantTimeEq for Secret32 {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&*other.0)
    }
}

/// Equality in constant time, through [`ConstantTimeEq`].
impl PartialEq for Secret32 {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.ct_eq(other))
    }
}

impl Eq for Secret32 {}

impl fmt::Debug for Secret32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret32(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_bytes_wipes_the_source() {
        let mut bytes = [7u8; 32];
        let secret = Secret32::from_bytes(&mut bytes);
        assert_eq!(bytes, [0u8; 32]);
        assert_eq!(secret.expose(), &[7u8; 32]);
    }

    #[test]
    fn compares_in_constant_time_and_hides_bytes() {
        let a = Secret32::from_slice(&[0xAB; 32]).unwrap();
        let b = a.duplicate();
        let c = Secret32::from_slice(&[0xAC; 32]).unwrap();
        assert!(bool::from(a.ct_eq(&b)));
        assert!(!bool::from(a.ct_eq(&c)));
        let shown = alloc::format!("{a:?}");
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab"));
        assert!(Secret32::from_slice(&[1; 31]).is_none());
    }
}
