//! Safety numbers: what two people compare to know they talk to the right accounts.
//!
//! Each account's fingerprint is an iterated SHA-512 over its root key and id. The two
//! fingerprints are put in a fixed order (the smaller first), so both people see the same
//! sixty digits and the same QR payload.

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use super::PublicIdentity;
use crate::domain;

/// SHA-512 iterations per fingerprint, which makes a search for a colliding key costly.
pub const FINGERPRINT_ITERATIONS: u32 = 5200;
/// Version byte at the start of the QR payload.
pub const QR_VERSION: u8 = 1;
const FINGERPRINT_LEN: usize = 30;

/// The safety number of a pair of accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafetyNumber {
    digits: String,
    qr_payload: Vec<u8>,
}

impl SafetyNumber {
    /// Sixty decimal digits, the same on both sides; shown in twelve groups of five.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// The payload to show as a QR code: the version byte and both fingerprints, in order.
    pub fn qr_payload(&self) -> &[u8] {
        &self.qr_payload
    }

    /// Whether a scanned QR payload matches this safety number, compared in constant time.
    pub fn matches_scanned(&self, scanned: &[u8]) -> bool {
        scanned.len() == self.qr_payload.len() && bool::from(scanned.ct_eq(&self.qr_payload))
    }
}

/// The safety number of `ours` and `theirs`: the same whichever side computes it.
pub fn safety_number(ours: &PublicIdentity, theirs: &PublicIdentity) -> SafetyNumber {
    let a = fingerprint(ours);
    let b = fingerprint(theirs);
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let mut digits = String::with_capacity(60);
    for fingerprint in [&first, &second] {
        for chunk in fingerprint.chunks_exact(5) {
            let value = chunk
                .iter()
                .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte))
                % 100_000;
            push_five_digits(&mut digits, value);
        }
    }
    let mut qr_payload = Vec::with_capacity(1 + 2 * FINGERPRINT_LEN);
    qr_payload.push(QR_VERSION);
    qr_payload.extend_from_slice(&first);
    qr_payload.extend_from_slice(&second);
    SafetyNumber { digits, qr_payload }
}

fn fingerprint(identity: &PublicIdentity) -> [u8; FINGERPRINT_LEN] {
    let key = identity.key.to_bytes();
    let mut hash = Sha512::new()
        .chain_update(domain::SAFETY_NUMBER)
        .chain_update(key)
        .chain_update(identity.id.as_bytes())
        .finalize();
    for _ in 1..FINGERPRINT_ITERATIONS {
        hash = Sha512::new()
            .chain_update(hash)
            .chain_update(key)
            .finalize();
    }
    let mut out = [0u8; FINGERPRINT_LEN];
    out.copy_from_slice(&hash[..FINGERPRINT_LEN]);
    out
}

fn push_five_digits(out: &mut String, value: u64) {
    let mut divisor = 10_000;
    while divisor > 0 {
        let digit = (value / divisor) % 10;
        out.push(char::from(b'0' + digit as u8));
        divisor /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Account;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn same_on_both_sides_and_differs_for_another_pair() {
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let alice = Account::generate(&mut rng).public_identity();
        let bob = Account::generate(&mut rng).public_identity();
        let mallory = Account::generate(&mut rng).public_identity();
        let ab = safety_number(&alice, &bob);
        let ba = safety_number(&bob, &alice);
        assert_eq!(ab, ba);
        assert_eq!(ab.digits().len(), 60);
        assert!(ab.digits().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(ab.qr_payload().len(), 61);
        assert!(ab.matches_scanned(ba.qr_payload()));
        let am = safety_number(&alice, &mallory);
        assert_ne!(ab.digits(), am.digits());
        assert!(!ab.matches_scanned(am.qr_payload()));
        assert!(!ab.matches_scanned(&ab.qr_payload()[..60]));
    }
}
