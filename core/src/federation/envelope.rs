//! Federation envelopes: the sending network's signature around an end-to-end ciphertext.

use alloc::vec::Vec;

use ember_proto::v1 as proto;
use prost::Message;
use rand_core::CryptoRng;

use super::{
    MAX_ENVELOPE_LEN, MAX_FEDERATED_PAYLOAD_LEN, NONCE_LEN, NetworkDescriptor, Region, SealError,
};
use crate::crypto::sign::Signature;
use crate::domain;
use crate::error::DecodeError;
use crate::identity::DeviceCertificate;
use crate::ids::{AccountId, DeviceAddress, DeviceId, Timestamp};
use crate::network::{NetworkId, NetworkKey};
use crate::wire;

/// Whether the sending account is a member of the sending network or a guest it hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SenderKind {
    /// A member account of the sending network.
    Member,
    /// A guest account: accepted only by recipients whose security group enables guests.
    Guest,
}

impl SenderKind {
    fn to_wire(self) -> proto::FederationSenderKind {
        match self {
            Self::Member => proto::FederationSenderKind::Member,
            Self::Guest => proto::FederationSenderKind::Guest,
        }
    }

    fn from_wire(value: i32) -> Result<Self, DecodeError> {
        match proto::FederationSenderKind::try_from(value) {
            Ok(proto::FederationSenderKind::Member) => Ok(Self::Member),
            Ok(proto::FederationSenderKind::Guest) => Ok(Self::Guest),
            _ => Err(DecodeError::OutOfRange("sender_kind")),
        }
    }
}

/// One end-to-end ciphertext for one device of another network, as the sending network
/// hands it to [`seal`].
#[derive(Clone, Copy, Debug)]
pub struct Outgoing<'a> {
    /// The certificate of the sending device, which the network vouches for.
    pub sender_certificate: &'a DeviceCertificate,
    /// Whether the sender is a member or a guest.
    pub sender_kind: SenderKind,
    /// The receiving device.
    pub recipient: DeviceAddress,
    /// The end-to-end ciphertext (an encoded `ember.v1.Envelope`); opaque to federation.
    pub payload: &'a [u8],
}

/// Seals a ciphertext for another network: a federation envelope signed by `key`.
///
/// `own` is this network's descriptor (its key must be `key`) and `peer` the trusted
/// descriptor of the receiving network; they give the envelope's network ids and regions, and
/// the pair must federate under both modes (the sender refuses what the receiver would). The
/// envelope carries `now` and 16 random bytes from `rng` for the receiver's freshness and
/// replay checks.
pub fn seal(
    key: &NetworkKey,
    own: &NetworkDescriptor,
    peer: &NetworkDescriptor,
    message: &Outgoing<'_>,
    rng: &mut (impl CryptoRng + ?Sized),
    now: Timestamp,
) -> Result<Vec<u8>, SealError> {
    if &key.public_key() != own.network_key() {
        return Err(SealError::KeyMismatch);
    }
    if message.payload.len() > MAX_FEDERATED_PAYLOAD_LEN {
        return Err(SealError::PayloadTooLarge {
            len: message.payload.len(),
            max: MAX_FEDERATED_PAYLOAD_LEN,
        });
    }
    own.check_pair(peer).map_err(|(ours, reason)| {
        if ours {
            SealError::NotFederated { reason }
        } else {
            SealError::NotReciprocated { reason }
        }
    })?;
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let body = proto::FederationEnvelopeBody {
        version: wire::VERSION,
        sender_network: own.network().0.to_vec(),
        recipient_network: peer.network().0.to_vec(),
        sender_region: own.region().as_str().into(),
        recipient_region: peer.region().as_str().into(),
        sender_certificate: Some(message.sender_certificate.to_wire()),
        recipient: Some(proto::FederationRecipient {
            account_id: message.recipient.account.as_bytes().to_vec(),
            device_id: message.recipient.device.0,
        }),
        sender_kind: message.sender_kind.to_wire().into(),
        timestamp: now.0,
        nonce: nonce.to_vec(),
        payload: message.payload.to_vec(),
    }
    .encode_to_vec();
    let signature = key.sign(domain::FEDERATION_ENVELOPE, &body);
    Ok(proto::FederationEnvelope {
        body,
        signature: signature.as_bytes().to_vec(),
    }
    .encode_to_vec())
}

/// A decoded envelope whose signature is not verified yet: nothing in it but
/// `sender_network` (to find the key) may be acted on before [`Unverified::signed_body`] has
/// been verified.
pub(super) struct Unverified {
    pub(super) body: Vec<u8>,
    pub(super) signature: Signature,
    pub(super) sender_network: NetworkId,
    pub(super) recipient_network: NetworkId,
    pub(super) sender_region: Region,
    pub(super) recipient_region: Region,
    pub(super) sender_certificate: proto::DeviceCertificate,
    pub(super) recipient: DeviceAddress,
    pub(super) sender_kind: SenderKind,
    pub(super) timestamp: Timestamp,
    pub(super) nonce: [u8; NONCE_LEN],
    pub(super) payload: Vec<u8>,
}

impl Unverified {
    /// Decodes an envelope: bounded, every field present and well formed.
    pub(super) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let envelope: proto::FederationEnvelope = wire::decode(bytes, MAX_ENVELOPE_LEN)?;
        let body: proto::FederationEnvelopeBody = wire::decode(&envelope.body, MAX_ENVELOPE_LEN)?;
        wire::check_version(body.version)?;
        if body.payload.len() > MAX_FEDERATED_PAYLOAD_LEN {
            return Err(DecodeError::TooLarge {
                len: body.payload.len(),
                max: MAX_FEDERATED_PAYLOAD_LEN,
            });
        }
        let recipient = wire::required(body.recipient, "recipient")?;
        Ok(Self {
            signature: Signature::from_bytes(wire::array("signature", &envelope.signature)?),
            sender_network: NetworkId(wire::array("sender_network", &body.sender_network)?),
            recipient_network: NetworkId(wire::array(
                "recipient_network",
                &body.recipient_network,
            )?),
            sender_region: Region::from_wire("sender_region", &body.sender_region)?,
            recipient_region: Region::from_wire("recipient_region", &body.recipient_region)?,
            sender_certificate: wire::required(body.sender_certificate, "sender_certificate")?,
            recipient: DeviceAddress {
                account: AccountId::from_bytes(wire::array(
                    "recipient.account_id",
                    &recipient.account_id,
                )?),
                device: DeviceId(recipient.device_id),
            },
            sender_kind: SenderKind::from_wire(body.sender_kind)?,
            timestamp: Timestamp(body.timestamp),
            nonce: wire::array("nonce", &body.nonce)?,
            payload: body.payload,
            body: envelope.body,
        })
    }
}
