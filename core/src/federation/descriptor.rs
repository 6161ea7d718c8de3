//! Network descriptors: what a network states about itself when it federates, signed by its
//! own key.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use ember_proto::v1 as proto;
use prost::Message;

use super::{
    DescriptorError, InvalidRegion, MAX_ALLOWLIST_LEN, MAX_DESCRIPTOR_LEN, MAX_REGION_LEN,
    ModeMismatch,
};
use crate::crypto::sign::{Signature, VerifyingKey};
use crate::domain;
use crate::error::DecodeError;
use crate::network::{NETWORK_ID_LEN, NetworkId, NetworkKey};
use crate::wire;

/// Where a network's servers run, such as `"us-east-1"` or `"us-gov-west-1"`.
///
/// 1 to [`MAX_REGION_LEN`] bytes of lower-case ASCII letters, digits and `-`; two regions are
/// the same when their bytes are equal. Local federation compares regions.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Region(String);

impl Region {
    /// Checks and wraps a region name.
    pub fn new(name: &str) -> Result<Self, InvalidRegion> {
        let valid = !name.is_empty()
            && name.len() <= MAX_REGION_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(name.into()))
        } else {
            Err(InvalidRegion)
        }
    }

    /// The region's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(super) fn from_wire(field: &'static str, name: &str) -> Result<Self, DecodeError> {
        Self::new(name).map_err(|_| DecodeError::OutOfRange(field))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which side of the government/commercial boundary a network is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Boundary {
    /// A government network (for example one in a GovCloud region).
    Government,
    /// Any other network.
    Commercial,
}

impl Boundary {
    fn to_wire(self) -> proto::NetworkBoundary {
        match self {
            Self::Government => proto::NetworkBoundary::Government,
            Self::Commercial => proto::NetworkBoundary::Commercial,
        }
    }

    fn from_wire(value: i32) -> Result<Self, DecodeError> {
        match proto::NetworkBoundary::try_from(value) {
            Ok(proto::NetworkBoundary::Government) => Ok(Self::Government),
            Ok(proto::NetworkBoundary::Commercial) => Ok(Self::Commercial),
            _ => Err(DecodeError::OutOfRange("boundary")),
        }
    }
}

/// With which networks a network federates.
///
/// Restricted federation is mutual: as soon as one of two networks is restricted, each must be
/// restricted and list the other (a global network lists no one). Local federation needs both
/// networks in the same region, whichever of the two is local (`docs/protocol/federation.md`,
/// section F4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FederationMode {
    /// Only networks of the same region.
    Local,
    /// Networks of any region.
    Global,
    /// Only the networks listed, of any region, and only if they list this network back.
    Restricted(BTreeSet<NetworkId>),
}

impl FederationMode {
    /// Whether this mode lists `network` (only a restricted mode lists anyone).
    pub fn lists(&self, network: &NetworkId) -> bool {
        match self {
            Self::Restricted(allowlist) => allowlist.contains(network),
            Self::Local | Self::Global => false,
        }
    }

    const fn is_restricted(&self) -> bool {
        matches!(self, Self::Restricted(_))
    }
}

/// What the network signs into a descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptorFields {
    /// The network's id.
    pub network: NetworkId,
    /// Where the network runs.
    pub region: Region,
    /// Which side of the government/commercial boundary it is on.
    pub boundary: Boundary,
    /// With which networks it federates.
    pub mode: FederationMode,
    /// Starts at 1 and grows with every new descriptor of the network: a trust store only
    /// moves to a higher revision, so an old descriptor cannot be replayed over a newer one.
    pub revision: u64,
}

/// A network's self-description, signed by the network key it names.
///
/// The only ways to get one are to sign it with the network key or to decode one whose
/// signature verifies under the key it names; so holding one proves the network key signed
/// it. Whether that key is the right one for the organization is an administrator's decision,
/// made once when the networks federate ([`super::TrustStore::add`]); after that, a new key is
/// accepted only with the previous key's endorsement ([`super::TrustStore::update`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkDescriptor {
    fields: DescriptorFields,
    network_key: VerifyingKey,
    body: Vec<u8>,
    signature: Signature,
    rotation_signature: Option<Signature>,
}

impl NetworkDescriptor {
    /// Signs a descriptor with the network's key.
    pub fn sign(key: &NetworkKey, fields: DescriptorFields) -> Result<Self, DescriptorError> {
        Self::make(key, None, fields)
    }

    /// Signs a descriptor that moves the network to a new key: `key` signs it as usual, and
    /// `previous`, the key federated networks trust now, endorses the move. A trust store
    /// accepts the new key only from such a descriptor.
    pub fn sign_rotation(
        key: &NetworkKey,
        previous: &NetworkKey,
        fields: DescriptorFields,
    ) -> Result<Self, DescriptorError> {
        Self::make(key, Some(previous), fields)
    }

    fn make(
        key: &NetworkKey,
        previous: Option<&NetworkKey>,
        fields: DescriptorFields,
    ) -> Result<Self, DescriptorError> {
        if fields.revision == 0 {
            return Err(DescriptorError::ZeroRevision);
        }
        if let FederationMode::Restricted(allowlist) = &fields.mode
            && allowlist.len() > MAX_ALLOWLIST_LEN
        {
            return Err(DescriptorError::AllowlistTooLong {
                len: allowlist.len(),
                max: MAX_ALLOWLIST_LEN,
            });
        }
        let network_key = key.public_key();
        let (mode, allowlist) = match &fields.mode {
            FederationMode::Local => (proto::NetworkFederationMode::Local, Vec::new()),
            FederationMode::Global => (proto::NetworkFederationMode::Global, Vec::new()),
            FederationMode::Restricted(allowlist) => (
                proto::NetworkFederationMode::Restricted,
                allowlist.iter().map(|id| id.0.to_vec()).collect(),
            ),
        };
        let body = proto::NetworkDescriptorBody {
            version: wire::VERSION,
            network_id: fields.network.0.to_vec(),
            network_key: network_key.to_bytes().to_vec(),
            region: fields.region.as_str().into(),
            boundary: fields.boundary.to_wire().into(),
            mode: mode.into(),
            allowlist,
            revision: fields.revision,
        }
        .encode_to_vec();
        let signature = key.sign(domain::NETWORK_DESCRIPTOR, &body);
        let rotation_signature = previous.map(|old| old.sign(domain::NETWORK_KEY_ROTATION, &body));
        Ok(Self {
            fields,
            network_key,
            body,
            signature,
            rotation_signature,
        })
    }

    /// Decodes a descriptor and verifies its signature under the network key it names. (A
    /// rotation signature is only read here; the trust store verifies it against the key it
    /// trusts.)
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DescriptorError> {
        let descriptor: proto::NetworkDescriptor = wire::decode(bytes, MAX_DESCRIPTOR_LEN)?;
        let body: proto::NetworkDescriptorBody =
            wire::decode(&descriptor.body, MAX_DESCRIPTOR_LEN)?;
        wire::check_version(body.version)?;
        let network_key = VerifyingKey::from_bytes(&wire::array("network_key", &body.network_key)?)
            .map_err(|_| DecodeError::BadKey("network_key"))?;
        let signature = Signature::from_bytes(wire::array("signature", &descriptor.signature)?);
        let rotation_signature = if descriptor.rotation_signature.is_empty() {
            None
        } else {
            Some(Signature::from_bytes(wire::array(
                "rotation_signature",
                &descriptor.rotation_signature,
            )?))
        };
        network_key
            .verify(domain::NETWORK_DESCRIPTOR, &descriptor.body, &signature)
            .map_err(|_| DescriptorError::BadSignature)?;
        if body.revision == 0 {
            return Err(DecodeError::OutOfRange("revision").into());
        }
        let mode = match proto::NetworkFederationMode::try_from(body.mode) {
            Ok(proto::NetworkFederationMode::Local) => FederationMode::Local,
            Ok(proto::NetworkFederationMode::Global) => FederationMode::Global,
            Ok(proto::NetworkFederationMode::Restricted) => {
                FederationMode::Restricted(read_allowlist(&body.allowlist)?)
            }
            _ => return Err(DecodeError::OutOfRange("mode").into()),
        };
        if !mode.is_restricted() && !body.allowlist.is_empty() {
            return Err(DecodeError::OutOfRange("allowlist").into());
        }
        Ok(Self {
            fields: DescriptorFields {
                network: NetworkId(wire::array("network_id", &body.network_id)?),
                region: Region::from_wire("region", &body.region)?,
                boundary: Boundary::from_wire(body.boundary)?,
                mode,
                revision: body.revision,
            },
            network_key,
            body: descriptor.body,
            signature,
            rotation_signature,
        })
    }

    /// The encoded descriptor.
    pub fn to_bytes(&self) -> Vec<u8> {
        proto::NetworkDescriptor {
            body: self.body.clone(),
            signature: self.signature.as_bytes().to_vec(),
            rotation_signature: self
                .rotation_signature
                .map(|signature| signature.as_bytes().to_vec())
                .unwrap_or_default(),
        }
        .encode_to_vec()
    }

    /// Everything the descriptor states.
    pub const fn fields(&self) -> &DescriptorFields {
        &self.fields
    }

    /// The network's id.
    pub const fn network(&self) -> NetworkId {
        self.fields.network
    }

    /// The network's public key, which signs its federation envelopes.
    pub const fn network_key(&self) -> &VerifyingKey {
        &self.network_key
    }

    /// Where the network runs.
    pub const fn region(&self) -> &Region {
        &self.fields.region
    }

    /// Which side of the government/commercial boundary it is on.
    pub const fn boundary(&self) -> Boundary {
        self.fields.boundary
    }

    /// With which networks it federates.
    pub const fn mode(&self) -> &FederationMode {
        &self.fields.mode
    }

    /// The descriptor's revision.
    pub const fn revision(&self) -> u64 {
        self.fields.revision
    }

    /// Whether `previous` endorsed this descriptor's key (a key rotation).
    pub(super) fn endorsed_by(&self, previous: &VerifyingKey) -> bool {
        self.rotation_signature.is_some_and(|signature| {
            previous
                .verify(domain::NETWORK_KEY_ROTATION, &self.body, &signature)
                .is_ok()
        })
    }

    /// Whether this network (`self`) and `peer` federate, as both modes require.
    ///
    /// `Err((true, reason))`: this network's own mode refuses the peer; `Err((false, reason))`:
    /// the peer's mode refuses this network. The rule is symmetric, so both networks reach the
    /// same verdict about the pair:
    /// - a local network federates only with networks of its region;
    /// - if either network is restricted, each must be restricted and list the other.
    pub(super) fn check_pair(&self, peer: &Self) -> Result<(), (bool, ModeMismatch)> {
        let same_region = self.region() == peer.region();
        let restricted = self.mode().is_restricted() || peer.mode().is_restricted();
        if matches!(self.mode(), FederationMode::Local) && !same_region {
            return Err((true, ModeMismatch::OtherRegion));
        }
        if restricted && !self.mode().lists(&peer.network()) {
            return Err((true, ModeMismatch::NotAllowlisted));
        }
        if matches!(peer.mode(), FederationMode::Local) && !same_region {
            return Err((false, ModeMismatch::OtherRegion));
        }
        if restricted && !peer.mode().lists(&self.network()) {
            return Err((false, ModeMismatch::NotAllowlisted));
        }
        Ok(())
    }
}

/// Reads an allowlist: at most [`MAX_ALLOWLIST_LEN`] 16-byte ids in strictly ascending order,
/// so that every allowlist has one encoding.
fn read_allowlist(entries: &[Vec<u8>]) -> Result<BTreeSet<NetworkId>, DecodeError> {
    if entries.len() > MAX_ALLOWLIST_LEN {
        return Err(DecodeError::TooMany {
            field: "allowlist",
            max: MAX_ALLOWLIST_LEN,
        });
    }
    let mut allowlist = BTreeSet::new();
    let mut previous: Option<[u8; NETWORK_ID_LEN]> = None;
    for entry in entries {
        let id: [u8; NETWORK_ID_LEN] = wire::array("allowlist", entry)?;
        if previous.is_some_and(|previous| previous >= id) {
            return Err(DecodeError::OutOfRange("allowlist"));
        }
        previous = Some(id);
        allowlist.insert(NetworkId(id));
    }
    Ok(allowlist)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn fields(network: NetworkId, mode: FederationMode) -> DescriptorFields {
        DescriptorFields {
            network,
            region: Region::new("us-east-1").unwrap(),
            boundary: Boundary::Commercial,
            mode,
            revision: 1,
        }
    }

    #[test]
    fn regions_are_checked() {
        for good in [
            "us-east-1",
            "us-gov-west-1",
            "a",
            "x".repeat(MAX_REGION_LEN).as_str(),
        ] {
            assert_eq!(Region::new(good).unwrap().as_str(), good);
        }
        for bad in ["", "US-EAST-1", "us east", "us_east", "é", &"x".repeat(33)] {
            assert_eq!(Region::new(bad), Err(InvalidRegion), "{bad:?}");
        }
    }

    #[test]
    fn round_trips_and_rejects_any_altered_byte() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let key = NetworkKey::generate(&mut rng);
        let allowlist = (0..3).map(|_| NetworkId::generate(&mut rng)).collect();
        let network = NetworkId::generate(&mut rng);
        let descriptor =
            NetworkDescriptor::sign(&key, fields(network, FederationMode::Restricted(allowlist)))
                .unwrap();
        let bytes = descriptor.to_bytes();
        assert_eq!(NetworkDescriptor::from_bytes(&bytes).unwrap(), descriptor);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(NetworkDescriptor::from_bytes(&bad).is_err(), "byte {i}");
        }
    }

    #[test]
    fn refuses_unsorted_allowlists_and_stray_entries() {
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        let key = NetworkKey::generate(&mut rng);
        let network = NetworkId::generate(&mut rng);
        let resign = |body: proto::NetworkDescriptorBody| {
            let body = body.encode_to_vec();
            proto::NetworkDescriptor {
                signature: key
                    .sign(domain::NETWORK_DESCRIPTOR, &body)
                    .as_bytes()
                    .to_vec(),
                body,
                rotation_signature: Vec::new(),
            }
            .encode_to_vec()
        };
        let body = proto::NetworkDescriptorBody {
            version: 1,
            network_id: network.0.to_vec(),
            network_key: key.public_key().to_bytes().to_vec(),
            region: "us-east-1".into(),
            boundary: proto::NetworkBoundary::Commercial.into(),
            mode: proto::NetworkFederationMode::Restricted.into(),
            allowlist: alloc::vec![[2; 16].to_vec(), [1; 16].to_vec()],
            revision: 1,
        };
        assert_eq!(
            NetworkDescriptor::from_bytes(&resign(body.clone())),
            Err(DescriptorError::Decode(DecodeError::OutOfRange(
                "allowlist"
            )))
        );
        let global_with_list = proto::NetworkDescriptorBody {
            mode: proto::NetworkFederationMode::Global.into(),
            allowlist: alloc::vec![[1; 16].to_vec()],
            ..body.clone()
        };
        assert_eq!(
            NetworkDescriptor::from_bytes(&resign(global_with_list)),
            Err(DescriptorError::Decode(DecodeError::OutOfRange(
                "allowlist"
            )))
        );
        let no_boundary = proto::NetworkDescriptorBody {
            boundary: 0,
            allowlist: Vec::new(),
            ..body.clone()
        };
        assert_eq!(
            NetworkDescriptor::from_bytes(&resign(no_boundary)),
            Err(DescriptorError::Decode(DecodeError::OutOfRange("boundary")))
        );
        let zero_revision = proto::NetworkDescriptorBody {
            revision: 0,
            allowlist: Vec::new(),
            ..body
        };
        assert_eq!(
            NetworkDescriptor::from_bytes(&resign(zero_revision)),
            Err(DescriptorError::Decode(DecodeError::OutOfRange("revision")))
        );
    }

    #[test]
    fn signing_checks_the_fields() {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        let key = NetworkKey::generate(&mut rng);
        let network = NetworkId::generate(&mut rng);
        let mut zero = fields(network, FederationMode::Global);
        zero.revision = 0;
        assert_eq!(
            NetworkDescriptor::sign(&key, zero),
            Err(DescriptorError::ZeroRevision)
        );
        let long = (0..=MAX_ALLOWLIST_LEN as u32)
            .map(|i| {
                let mut id = [0; 16];
                id[..4].copy_from_slice(&i.to_be_bytes());
                NetworkId(id)
            })
            .collect();
        assert_eq!(
            NetworkDescriptor::sign(&key, fields(network, FederationMode::Restricted(long))),
            Err(DescriptorError::AllowlistTooLong {
                len: MAX_ALLOWLIST_LEN + 1,
                max: MAX_ALLOWLIST_LEN
            })
        );
    }

    #[test]
    fn the_largest_descriptor_fits_its_bound() {
        let mut rng = ChaCha20Rng::from_seed([4; 32]);
        let key = NetworkKey::generate(&mut rng);
        let network = NetworkId::generate(&mut rng);
        let allowlist = (0..MAX_ALLOWLIST_LEN)
            .map(|_| NetworkId::generate(&mut rng))
            .collect();
        let mut fields = fields(network, FederationMode::Restricted(allowlist));
        fields.region = Region::new(&"x".repeat(MAX_REGION_LEN)).unwrap();
        fields.revision = u64::MAX;
        let descriptor = NetworkDescriptor::sign_rotation(&key, &key, fields).unwrap();
        let bytes = descriptor.to_bytes();
        assert!(bytes.len() <= MAX_DESCRIPTOR_LEN, "{}", bytes.len());
        assert_eq!(NetworkDescriptor::from_bytes(&bytes).unwrap(), descriptor);
    }
}
