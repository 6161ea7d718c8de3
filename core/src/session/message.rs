//! The session's messages on the wire: conversion between `ember_proto::v1::Envelope` and the
//! domain types, in one place.

use alloc::vec::Vec;

use ember_proto::v1 as proto;
use prost::Message;

use super::chain::Header;
use crate::crypto::dh::PublicKey;
use crate::error::DecodeError;
use crate::identity::DeviceCertificate;
use crate::limits::MAX_WIRE_LEN;
use crate::wire::{self, Suite};

/// A ratchet message: header and AES-256-GCM ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RatchetMessage {
    pub(crate) header: Header,
    pub(crate) ciphertext: Vec<u8>,
}

/// The X3DH part of an initial message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handshake {
    pub(crate) base_key: PublicKey,
    pub(crate) signed_prekey_id: u32,
    pub(crate) one_time_prekey_id: Option<u32>,
}

/// An initial message. The initiator's certificate stays undecoded until a responder needs
/// it: a session that already exists only compares the base key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InitialMessage {
    pub(crate) initiator: proto::DeviceCertificate,
    pub(crate) handshake: Handshake,
    pub(crate) message: RatchetMessage,
}

/// A decoded envelope.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    Initial(InitialMessage),
    Ratchet(RatchetMessage),
}

impl Incoming {
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let envelope: proto::Envelope = wire::decode(bytes, MAX_WIRE_LEN)?;
        wire::check_version(envelope.version)?;
        Suite::from_id(envelope.suite)?;
        match wire::required(envelope.body, "body")? {
            proto::envelope::Body::Initial(initial) => Ok(Self::Initial(InitialMessage {
                initiator: wire::required(initial.initiator, "initiator")?,
                handshake: Handshake {
                    base_key: PublicKey::from_bytes(wire::array("base_key", &initial.base_key)?),
                    signed_prekey_id: initial.signed_prekey_id,
                    one_time_prekey_id: initial.one_time_prekey_id,
                },
                message: ratchet_from_wire(wire::required(initial.message, "message")?)?,
            })),
            proto::envelope::Body::Ratchet(message) => {
                Ok(Self::Ratchet(ratchet_from_wire(message)?))
            }
        }
    }

    /// The ratchet message inside, whichever the kind.
    pub(crate) fn ratchet_message(&self) -> &RatchetMessage {
        match self {
            Self::Initial(initial) => &initial.message,
            Self::Ratchet(message) => message,
        }
    }
}

fn ratchet_from_wire(message: proto::RatchetMessage) -> Result<RatchetMessage, DecodeError> {
    if message.counter == u32::MAX {
        return Err(DecodeError::OutOfRange("counter"));
    }
    Ok(RatchetMessage {
        header: Header {
            ratchet_key: PublicKey::from_bytes(wire::array("ratchet_key", &message.ratchet_key)?),
            counter: message.counter,
            previous_counter: message.previous_counter,
        },
        ciphertext: message.ciphertext,
    })
}

/// Encodes an envelope; `initial` is present while the initiator awaits the first reply.
pub(crate) fn encode(
    header: &Header,
    ciphertext: Vec<u8>,
    initial: Option<(&DeviceCertificate, &Handshake)>,
) -> Vec<u8> {
    let message = proto::RatchetMessage {
        ratchet_key: header.ratchet_key.as_bytes().to_vec(),
        counter: header.counter,
        previous_counter: header.previous_counter,
        ciphertext,
    };
    let body = match initial {
        None => proto::envelope::Body::Ratchet(message),
        Some((certificate, handshake)) => proto::envelope::Body::Initial(proto::InitialMessage {
            initiator: Some(certificate.to_wire()),
            base_key: handshake.base_key.as_bytes().to_vec(),
            signed_prekey_id: handshake.signed_prekey_id,
            one_time_prekey_id: handshake.one_time_prekey_id,
            message: Some(message),
        }),
    };
    proto::Envelope {
        version: wire::VERSION,
        suite: Suite::Classic.id(),
        body: Some(body),
    }
    .encode_to_vec()
}
