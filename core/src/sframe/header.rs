//! The SFrame header (RFC 9605, section 4.3): a config byte, then the key id and the counter
//! as minimal big-endian integers.
//!
//! ```text
//!  0 1 2 3 4 5 6 7
//! +-+-+-+-+-+-+-+-+------------------------+------------------------+
//! |X|  K  |Y|  C  |  KID... (length=K+1)   |  CTR... (length=C+1)   |
//! +-+-+-+-+-+-+-+-+------------------------+------------------------+
//! ```
//!
//! A value below 8 sits in K (or C) with X (or Y) clear; a larger one follows the config byte
//! in as few bytes as it needs, with K (or C) holding that length minus one. The RFC says
//! "MUST be encoded with the minimum number of bytes", so [`Header::decode`] refuses any other
//! encoding: every (KID, CTR) pair has exactly one header.

use core::fmt;

use crate::error::SframeError;

/// The longest header: the config byte and two 8-byte values.
pub const MAX_HEADER_LEN: usize = 17;

/// Values below this fit in the config byte.
const INLINE_LIMIT: u64 = 8;
/// X (for the KID) and Y (for the CTR): the value follows the config byte.
const KID_EXTENDED: u8 = 0x80;
const CTR_EXTENDED: u8 = 0x08;

/// The two values an SFrame header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// The key id: which key (in Ember, which participant and epoch) the frame is under.
    pub kid: u64,
    /// The counter: the sender's frame number under that key, from which the nonce is made.
    pub ctr: u64,
}

/// An encoded header, on the stack (1 to [`MAX_HEADER_LEN`] bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EncodedHeader {
    bytes: [u8; MAX_HEADER_LEN],
    len: usize,
}

impl EncodedHeader {
    /// The header's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl AsRef<[u8]> for EncodedHeader {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for EncodedHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncodedHeader(")?;
        for byte in self.as_bytes() {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

impl Header {
    /// A header for `kid` and `ctr`.
    pub const fn new(kid: u64, ctr: u64) -> Self {
        Self { kid, ctr }
    }

    /// The header in its minimal encoding.
    pub fn encode(&self) -> EncodedHeader {
        let mut bytes = [0u8; MAX_HEADER_LEN];
        let mut len = 1;
        let mut config = 0u8;
        for (value, extended, shift) in [(self.kid, KID_EXTENDED, 4), (self.ctr, CTR_EXTENDED, 0)] {
            if value < INLINE_LIMIT {
                config |= (value as u8) << shift;
            } else {
                let n = minimal_len(value);
                config |= extended | (((n - 1) as u8) << shift);
                let be = value.to_be_bytes();
                bytes[len..len + n].copy_from_slice(&be[8 - n..]);
                len += n;
            }
        }
        bytes[0] = config;
        EncodedHeader { bytes, len }
    }

    /// The length of the encoded header, without encoding it.
    pub fn encoded_len(&self) -> usize {
        let field = |value: u64| {
            if value < INLINE_LIMIT {
                0
            } else {
                minimal_len(value)
            }
        };
        1 + field(self.kid) + field(self.ctr)
    }

    /// Reads the header at the start of `bytes`, returning it and its length (the SFrame
    /// ciphertext follows). A truncated header, or one whose values are not minimally
    /// encoded, is [`SframeError::BadHeader`].
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize), SframeError> {
        let config = *bytes.first().ok_or(SframeError::BadHeader)?;
        let mut pos = 1;
        let kid = read_field(
            bytes,
            &mut pos,
            config & KID_EXTENDED != 0,
            (config >> 4) & 7,
        )?;
        let ctr = read_field(bytes, &mut pos, config & CTR_EXTENDED != 0, config & 7)?;
        Ok((Self { kid, ctr }, pos))
    }
}

/// Bytes needed for `value` (at least one).
fn minimal_len(value: u64) -> usize {
    let bits = 64 - value.leading_zeros() as usize;
    bits.div_ceil(8).max(1)
}

/// One field: the 3 bits themselves, or the `bits + 1` bytes at `pos`.
fn read_field(bytes: &[u8], pos: &mut usize, extended: bool, bits: u8) -> Result<u64, SframeError> {
    if !extended {
        return Ok(u64::from(bits));
    }
    let n = usize::from(bits) + 1;
    let end = *pos + n;
    let field = bytes.get(*pos..end).ok_or(SframeError::BadHeader)?;
    let value = field.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    if value < INLINE_LIMIT || minimal_len(value) != n {
        return Err(SframeError::BadHeader);
    }
    *pos = end;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_every_length_boundary() {
        let mut values = alloc::vec![0u64, 1, 7, 8, u64::MAX];
        for bytes in 1..8 {
            values.push((1u64 << (8 * bytes)) - 1);
            values.push(1u64 << (8 * bytes));
        }
        for &kid in &values {
            for &ctr in &values {
                let header = Header::new(kid, ctr);
                let encoded = header.encode();
                assert_eq!(encoded.as_bytes().len(), header.encoded_len());
                let mut framed = encoded.as_bytes().to_vec();
                framed.extend_from_slice(b"payload");
                assert_eq!(Header::decode(&framed), Ok((header, header.encoded_len())));
            }
        }
    }

    #[test]
    fn refuses_truncated_and_non_minimal_headers() {
        assert_eq!(Header::decode(&[]), Err(SframeError::BadHeader));
        let full = Header::new(u64::MAX, u64::MAX).encode();
        for len in 1..MAX_HEADER_LEN {
            assert_eq!(
                Header::decode(&full.as_bytes()[..len]),
                Err(SframeError::BadHeader),
                "{len}"
            );
        }
        // KID 5 in an extension byte instead of the config byte.
        assert_eq!(Header::decode(&[0x80, 0x05]), Err(SframeError::BadHeader));
        // CTR 0x0100 with a leading zero byte.
        assert_eq!(
            Header::decode(&[0x0a, 0x00, 0x01, 0x00]),
            Err(SframeError::BadHeader)
        );
        // The same CTR minimally encoded.
        assert_eq!(
            Header::decode(&[0x09, 0x01, 0x00]),
            Ok((Header::new(0, 256), 3))
        );
    }

    #[test]
    fn debug_shows_the_bytes() {
        let shown = alloc::format!("{:?}", Header::new(291, 17767).encode());
        assert_eq!(shown, "EncodedHeader(9901234567)");
    }
}
