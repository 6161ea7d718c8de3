//! Linking a new device to an account: a short code compared on both screens, then the
//! certificate.
//!
//! A new device is added only with a signature from the account key held by an existing
//! device (or from the master recovery key, [`Account::certify_with_recovery`]). The two
//! devices talk through the server, which must not be able to slip its own keys in between;
//! so both show a short code (six digits, or a QR code to scan) derived from everything they
//! exchanged, and the user confirms that the codes match before the existing device signs.
//!
//! The new device commits to a secret nonce before it sees the existing device's nonce and
//! reveals it only after, so neither side (nor a server in the middle) can choose its values
//! to make two different exchanges show the same code: a man in the middle is caught with
//! probability 1 − 10⁻⁶ per attempt, and every attempt needs the user.
//!
//! ```text
//! new device                                   existing device (holds the root key)
//! NewDeviceLink::start ── LinkRequest ───────▶ ApproverLink::respond
//!   keys, commitment to nonce_n                  account id and key, nonce_e
//! receive_offer ◀──────── LinkOffer ──────────
//!   shows the code ────── LinkReveal ────────▶ receive_reveal: checks the commitment,
//!                                                shows the code
//! confirm(matched) (user)                      confirm(matched, account) (user)
//! finish ◀─────────────── DeviceCertificate ──
//! ```
//!
//! Every step consumes the state before it, so no step can run twice; each step after the
//! first must come within [`LINK_TIMEOUT_SECS`] of the first.
//!
//! ```
//! use ember_core::identity::{Account, ApproverLink, LinkOffer, LinkRequest, LinkReveal, NewDeviceLink};
//! use ember_core::Timestamp;
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::from_seed([2; 32]);
//! let now = Timestamp(1_700_000_000);
//! let mut account = Account::generate(&mut rng);
//!
//! // New device:
//! let (joining, request) = NewDeviceLink::start(&mut rng, now);
//! // Existing device, on the request it received:
//! let request = LinkRequest::from_bytes(&request.to_bytes())?;
//! let (approving, offer) = ApproverLink::respond(&mut rng, &account, &request, now);
//! // New device:
//! let (joining, reveal) = joining.receive_offer(&LinkOffer::from_bytes(&offer.to_bytes())?, now)?;
//! // Existing device:
//! let approving = approving.receive_reveal(&LinkReveal::from_bytes(&reveal.to_bytes())?, now)?;
//!
//! // Both screens show the code; the user sees they match and confirms on both.
//! assert_eq!(joining.code().digits(), approving.code().digits());
//! let certificate = approving.confirm(true, &mut account, now)?;
//! let device = joining.confirm(true)?.finish(certificate, &mut rng, now)?;
//! assert_eq!(device.certificate().account_key(), &account.public_key());
//! # Ok::<(), ember_core::identity::LinkError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{Account, Device, DeviceCertificate, DeviceKeys, DevicePublicKeys, PublicIdentity};
use crate::crypto::dh;
use crate::crypto::sign::VerifyingKey;
use crate::domain;
use crate::error::{CertificateError, DecodeError};
use crate::ids::{AccountId, Timestamp};
use crate::wire;

/// Seconds from the first step of a link (on each device) within which every later step must
/// come; after that the link is refused and has to start again.
pub const LINK_TIMEOUT_SECS: u64 = 300;
/// Digits of the short code.
pub const LINK_CODE_DIGITS: usize = 6;
/// Version byte at the start of a short code's QR payload.
pub const LINK_QR_VERSION: u8 = 1;
/// Largest encoded link message accepted.
pub const MAX_LINK_MESSAGE_LEN: usize = 256;

const NONCE_LEN: usize = 32;
const CODE_MODULUS: u64 = 1_000_000;

/// A linking step failed. The state it consumed is gone: the link starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkError {
    /// A link message is malformed.
    Decode(DecodeError),
    /// The revealed nonce is not the one the request committed to: a reveal of another link
    /// (replayed), or a tampered one.
    BadReveal,
    /// The step came more than [`LINK_TIMEOUT_SECS`] after the link started.
    Expired {
        /// Seconds since the link started.
        elapsed: u64,
        /// The bound.
        max: u64,
    },
    /// The user said the codes differ: someone is in the middle, so nothing is certified.
    CodesDiffer,
    /// The account given to sign is not the one offered.
    WrongAccount,
    /// The certificate is not the one expected: another account's, or for other keys.
    Certificate(CertificateError),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "device link failed: {self:?}")
    }
}

impl core::error::Error for LinkError {}

impl From<DecodeError> for LinkError {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}

impl From<CertificateError> for LinkError {
    fn from(error: CertificateError) -> Self {
        Self::Certificate(error)
    }
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/// Step 1, new device to existing device: the new device's public keys and its commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkRequest {
    keys: DevicePublicKeys,
    commitment: [u8; 32],
}

impl LinkRequest {
    /// Decodes a request (the keys must be valid; nothing else can be checked yet).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LinkError> {
        let wire: proto::DeviceLinkRequest = wire::decode(bytes, MAX_LINK_MESSAGE_LEN)?;
        wire::check_version(wire.version)?;
        let signing = VerifyingKey::from_bytes(&wire::array(
            "device_signing_key",
            &wire.device_signing_key,
        )?)
        .map_err(|_| DecodeError::BadKey("device_signing_key"))?;
        Ok(Self {
            keys: DevicePublicKeys {
                signing,
                agreement: dh::PublicKey::from_bytes(wire::array(
                    "device_agreement_key",
                    &wire.device_agreement_key,
                )?),
            },
            commitment: wire::array("commitment", &wire.commitment)?,
        })
    }

    /// The encoded request.
    pub fn to_bytes(&self) -> Vec<u8> {
        proto::DeviceLinkRequest {
            version: wire::VERSION,
            device_signing_key: self.keys.signing.to_bytes().to_vec(),
            device_agreement_key: self.keys.agreement.as_bytes().to_vec(),
            commitment: self.commitment.to_vec(),
        }
        .encode_to_vec()
    }

    /// The keys the new device asks to have certified.
    pub const fn keys(&self) -> &DevicePublicKeys {
        &self.keys
    }
}

/// Step 2, existing device to new device: the account to join and the existing device's nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkOffer {
    account: PublicIdentity,
    nonce: [u8; NONCE_LEN],
}

impl LinkOffer {
    /// Decodes an offer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LinkError> {
        let wire: proto::DeviceLinkOffer = wire::decode(bytes, MAX_LINK_MESSAGE_LEN)?;
        wire::check_version(wire.version)?;
        let key = VerifyingKey::from_bytes(&wire::array("account_key", &wire.account_key)?)
            .map_err(|_| DecodeError::BadKey("account_key"))?;
        Ok(Self {
            account: PublicIdentity {
                id: AccountId::from_bytes(wire::array("account_id", &wire.account_id)?),
                key,
            },
            nonce: wire::array("nonce", &wire.nonce)?,
        })
    }

    /// The encoded offer.
    pub fn to_bytes(&self) -> Vec<u8> {
        proto::DeviceLinkOffer {
            version: wire::VERSION,
            account_id: self.account.id.as_bytes().to_vec(),
            account_key: self.account.key.to_bytes().to_vec(),
            nonce: self.nonce.to_vec(),
        }
        .encode_to_vec()
    }

    /// The account the new device is offered to join. Not to be trusted before the codes
    /// matched.
    pub const fn account(&self) -> PublicIdentity {
        self.account
    }
}

/// Step 3, new device to existing device: the nonce the request committed to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LinkReveal {
    nonce: [u8; NONCE_LEN],
}

impl LinkReveal {
    /// Decodes a reveal.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LinkError> {
        let wire: proto::DeviceLinkReveal = wire::decode(bytes, MAX_LINK_MESSAGE_LEN)?;
        wire::check_version(wire.version)?;
        Ok(Self {
            nonce: wire::array("nonce", &wire.nonce)?,
        })
    }

    /// The encoded reveal.
    pub fn to_bytes(&self) -> Vec<u8> {
        proto::DeviceLinkReveal {
            version: wire::VERSION,
            nonce: self.nonce.to_vec(),
        }
        .encode_to_vec()
    }
}

impl fmt::Debug for LinkReveal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkReveal(..)")
    }
}

// ---------------------------------------------------------------------------------------------
// The short code
// ---------------------------------------------------------------------------------------------

/// The code both devices show: six digits to compare, or a QR payload to scan.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct ShortCode {
    digits: String,
    qr_payload: Vec<u8>,
}

impl ShortCode {
    fn from_transcript(transcript: &[u8; 32]) -> Self {
        let mut first = [0u8; 8];
        first.copy_from_slice(&transcript[..8]);
        let mut value = u64::from_be_bytes(first) % CODE_MODULUS;
        let mut digits = [b'0'; LINK_CODE_DIGITS];
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
        let mut qr_payload = Vec::with_capacity(1 + transcript.len());
        qr_payload.push(LINK_QR_VERSION);
        qr_payload.extend_from_slice(transcript);
        Self {
            digits: digits.iter().map(|&b| char::from(b)).collect(),
            qr_payload,
        }
    }

    /// Six decimal digits, the same on both devices when nobody is in the middle.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// The payload to show as a QR code for the other device to scan: the version byte and
    /// the whole transcript hash (so a scan compares 256 bits, not 20).
    pub fn qr_payload(&self) -> &[u8] {
        &self.qr_payload
    }

    /// Whether a scanned QR payload is this code, compared in constant time. Pass the result
    /// to `confirm`.
    pub fn matches_scanned(&self, scanned: &[u8]) -> bool {
        scanned.len() == self.qr_payload.len() && bool::from(scanned.ct_eq(&self.qr_payload))
    }
}

impl fmt::Debug for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShortCode")
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// The new device's side
// ---------------------------------------------------------------------------------------------

/// The new device, having sent its [`LinkRequest`] and waiting for the offer.
pub struct NewDeviceLink {
    keys: DeviceKeys,
    nonce: Nonce,
    commitment: [u8; 32],
    started_at: Timestamp,
}

impl NewDeviceLink {
    /// Starts linking a new device: makes its keys ([`Device::generate_keys`]) and its secret
    /// nonce, and returns the request to send to an existing device.
    pub fn start(rng: &mut (impl CryptoRng + ?Sized), now: Timestamp) -> (Self, LinkRequest) {
        let keys = Device::generate_keys(rng);
        let nonce = Nonce::generate(rng);
        let public = keys.public_keys();
        let commitment = commitment(&public, &nonce.0);
        let request = LinkRequest {
            keys: public,
            commitment,
        };
        let link = Self {
            keys,
            nonce,
            commitment,
            started_at: now,
        };
        (link, request)
    }

    /// Takes the existing device's offer: returns the code to show and the reveal to send.
    pub fn receive_offer(
        self,
        offer: &LinkOffer,
        now: Timestamp,
    ) -> Result<(NewDeviceCode, LinkReveal), LinkError> {
        check_time(self.started_at, now)?;
        let request = LinkRequest {
            keys: self.keys.public_keys(),
            commitment: self.commitment,
        };
        let code = ShortCode::from_transcript(&transcript(&request, offer, &self.nonce.0));
        let reveal = LinkReveal {
            nonce: self.nonce.0,
        };
        Ok((
            NewDeviceCode {
                keys: self.keys,
                account: offer.account,
                code,
                started_at: self.started_at,
            },
            reveal,
        ))
    }
}

impl fmt::Debug for NewDeviceLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDeviceLink")
            .field("keys", &self.keys)
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

/// The new device, showing the code and waiting for the user to compare it.
pub struct NewDeviceCode {
    keys: DeviceKeys,
    account: PublicIdentity,
    code: ShortCode,
    started_at: Timestamp,
}

impl NewDeviceCode {
    /// The code to show (or the payload to scan).
    pub const fn code(&self) -> &ShortCode {
        &self.code
    }

    /// The user's verdict. Only when the codes matched does the new device go on to wait for
    /// its certificate; otherwise the link ends with [`LinkError::CodesDiffer`].
    pub fn confirm(self, codes_matched: bool) -> Result<NewDeviceConfirmed, LinkError> {
        if !codes_matched {
            return Err(LinkError::CodesDiffer);
        }
        Ok(NewDeviceConfirmed {
            keys: self.keys,
            account: self.account,
            started_at: self.started_at,
        })
    }
}

impl fmt::Debug for NewDeviceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDeviceCode")
            .field("keys", &self.keys)
            .field("account", &self.account.id)
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

/// The new device, after the user confirmed the codes, waiting for its certificate.
pub struct NewDeviceConfirmed {
    keys: DeviceKeys,
    account: PublicIdentity,
    started_at: Timestamp,
}

impl NewDeviceConfirmed {
    /// The account the user confirmed joining.
    pub const fn account(&self) -> PublicIdentity {
        self.account
    }

    /// Takes the certificate from the existing device: it must be signed by the account whose
    /// code matched, for this device's keys. Returns the new device.
    pub fn finish(
        self,
        certificate: DeviceCertificate,
        rng: &mut (impl CryptoRng + ?Sized),
        now: Timestamp,
    ) -> Result<Device, LinkError> {
        check_time(self.started_at, now)?;
        if certificate.account_id() != self.account.id {
            return Err(CertificateError::UntrustedAccount.into());
        }
        certificate.check_account(&self.account.key)?;
        Ok(Device::new(self.keys, certificate, rng, now)?)
    }
}

impl fmt::Debug for NewDeviceConfirmed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDeviceConfirmed")
            .field("keys", &self.keys)
            .field("account", &self.account.id)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// The existing device's side
// ---------------------------------------------------------------------------------------------

/// The existing device, having answered a request, waiting for the reveal.
#[derive(Debug)]
pub struct ApproverLink {
    request: LinkRequest,
    offer: LinkOffer,
    started_at: Timestamp,
}

impl ApproverLink {
    /// Answers a new device's request with an offer to join `account`.
    pub fn respond(
        rng: &mut (impl CryptoRng + ?Sized),
        account: &Account,
        request: &LinkRequest,
        now: Timestamp,
    ) -> (Self, LinkOffer) {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let offer = LinkOffer {
            account: account.public_identity(),
            nonce,
        };
        let link = Self {
            request: *request,
            offer,
            started_at: now,
        };
        (link, offer)
    }

    /// Takes the new device's reveal: checks it against the commitment and returns the code
    /// to show.
    pub fn receive_reveal(
        self,
        reveal: &LinkReveal,
        now: Timestamp,
    ) -> Result<ApproverCode, LinkError> {
        check_time(self.started_at, now)?;
        let expected = commitment(&self.request.keys, &reveal.nonce);
        if !bool::from(expected.ct_eq(&self.request.commitment)) {
            return Err(LinkError::BadReveal);
        }
        let code =
            ShortCode::from_transcript(&transcript(&self.request, &self.offer, &reveal.nonce));
        Ok(ApproverCode {
            keys: self.request.keys,
            account: self.offer.account,
            code,
            started_at: self.started_at,
        })
    }
}

/// The existing device, showing the code and waiting for the user to compare it.
#[derive(Debug)]
pub struct ApproverCode {
    keys: DevicePublicKeys,
    account: PublicIdentity,
    code: ShortCode,
    started_at: Timestamp,
}

impl ApproverCode {
    /// The code to show (or the payload to scan).
    pub const fn code(&self) -> &ShortCode {
        &self.code
    }

    /// The keys the new device asks to have certified.
    pub const fn keys(&self) -> &DevicePublicKeys {
        &self.keys
    }

    /// The user's verdict. Only when the codes matched does `account` (the one offered)
    /// certify the new device's keys, under its next device id; send the certificate to the
    /// new device, and publish a device list that adds it
    /// ([`Account::add_to_device_list`]).
    pub fn confirm(
        self,
        codes_matched: bool,
        account: &mut Account,
        now: Timestamp,
    ) -> Result<DeviceCertificate, LinkError> {
        if !codes_matched {
            return Err(LinkError::CodesDiffer);
        }
        check_time(self.started_at, now)?;
        if account.public_identity() != self.account {
            return Err(LinkError::WrongAccount);
        }
        Ok(account.certify_device(&self.keys, now))
    }
}

// ---------------------------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------------------------

/// The new device's secret nonce: wiped on drop, never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Nonce([u8; NONCE_LEN]);

impl Nonce {
    fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        Self(nonce)
    }
}

/// `SHA-256("ember/v1/link-commitment\0" || signing key || agreement key || nonce)`.
fn commitment(keys: &DevicePublicKeys, nonce: &[u8; NONCE_LEN]) -> [u8; 32] {
    Sha256::new()
        .chain_update(domain::LINK_COMMITMENT)
        .chain_update(keys.signing.to_bytes())
        .chain_update(keys.agreement.as_bytes())
        .chain_update(nonce)
        .finalize()
        .into()
}

/// `SHA-256("ember/v1/link-code\0" || signing key || agreement key || commitment ||
/// account id || account key || offer nonce || revealed nonce)`.
fn transcript(request: &LinkRequest, offer: &LinkOffer, revealed: &[u8; NONCE_LEN]) -> [u8; 32] {
    Sha256::new()
        .chain_update(domain::LINK_CODE)
        .chain_update(request.keys.signing.to_bytes())
        .chain_update(request.keys.agreement.as_bytes())
        .chain_update(request.commitment)
        .chain_update(offer.account.id.as_bytes())
        .chain_update(offer.account.key.to_bytes())
        .chain_update(offer.nonce)
        .chain_update(revealed)
        .finalize()
        .into()
}

fn check_time(started_at: Timestamp, now: Timestamp) -> Result<(), LinkError> {
    let elapsed = now.0.saturating_sub(started_at.0);
    if elapsed > LINK_TIMEOUT_SECS {
        return Err(LinkError::Expired {
            elapsed,
            max: LINK_TIMEOUT_SECS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn code_is_six_digits_with_leading_zeros() {
        let mut transcript = [0u8; 32];
        transcript[7] = 42;
        let code = ShortCode::from_transcript(&transcript);
        assert_eq!(code.digits(), "000042");
        assert_eq!(code.qr_payload().len(), 33);
        assert!(code.matches_scanned(code.qr_payload()));
        assert!(!code.matches_scanned(&code.qr_payload()[..32]));
        let transcript = [0xff; 32];
        // 2^64 - 1 = 18446744073709551615
        assert_eq!(ShortCode::from_transcript(&transcript).digits(), "551615");
    }

    #[test]
    fn debug_hides_the_nonce_and_keys() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let (link, _) = NewDeviceLink::start(&mut rng, Timestamp(0));
        let shown = alloc::format!("{link:?}");
        let nonce: String = link
            .nonce
            .0
            .iter()
            .map(|b| alloc::format!("{b:02x}"))
            .collect();
        assert!(!shown.contains(&nonce[..8]), "{shown}");
        assert!(shown.starts_with("NewDeviceLink"));
    }

    /// The vector of docs/protocol/devices.md: device keys from seeds `01..` (Ed25519) and
    /// `02..` (X25519), new device nonce `03..`, offer nonce `04..`, account from recovery key
    /// `42..`.
    #[test]
    fn known_answer() {
        use crate::crypto::Secret32;
        use crate::crypto::dh::PrivateKey;
        use crate::crypto::sign::SigningKey;
        let keys = DevicePublicKeys {
            signing: SigningKey::from_secret(&Secret32::from_bytes(&mut [1; 32])).verifying_key(),
            agreement: PrivateKey::from_secret(&Secret32::from_bytes(&mut [2; 32])).public_key(),
        };
        let account =
            Account::from_recovery_key(&crate::identity::RecoveryKey::from_bytes(&mut [0x42; 32]));
        let request = LinkRequest {
            keys,
            commitment: commitment(&keys, &[3; 32]),
        };
        let offer = LinkOffer {
            account: account.public_identity(),
            nonce: [4; 32],
        };
        let reveal = LinkReveal { nonce: [3; 32] };
        assert_eq!(
            hex::encode(request.to_bytes()),
            "080112208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c1a20ce8d3ad1\
             ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d592220e94e98ddbab4262dfcec0011\
             fae71f8ed3c6594a4a5d221eeca786f75ccb66ad"
        );
        assert_eq!(
            hex::encode(offer.to_bytes()),
            "080112102221f892af45b879eb3f8438a0605c2f1a208516bddd8ae2feda0110ecf7797e9e511ed1c621\
             bdabfad61f888823f8ba051a22200404040404040404040404040404040404040404040404040404040404\
             040404"
        );
        assert_eq!(
            hex::encode(reveal.to_bytes()),
            "080112200303030303030303030303030303030303030303030303030303030303030303"
        );
        let transcript = transcript(&request, &offer, &reveal.nonce);
        assert_eq!(
            hex::encode(transcript),
            "2a50650d8056bbbb84ea09929e6d9dbd586fdb0b6e1d14b444712ce2ef0d0462"
        );
        assert_eq!(ShortCode::from_transcript(&transcript).digits(), "973819");
    }
}
