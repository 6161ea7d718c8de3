//! X3DH-style key agreement: the shared secret that seeds a session's root chain.
//!
//! DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B) and, with a one-time
//! prekey, DH4 = DH(EK_A, OPK_B). SK = HKDF-SHA256(salt = 32 zero bytes,
//! ikm = 0xFF * 32 || DH1 || DH2 || DH3 [|| DH4], info = label || suite || fp_A || fp_B),
//! where fp are the certificate fingerprints of initiator A and responder B. Every DH result
//! must be contributory.

use zeroize::Zeroize;

use super::chain::RootKey;
use crate::crypto::dh::{NonContributory, PrivateKey, PublicKey};
use crate::crypto::{Secret32, kdf};
use crate::domain;
use crate::wire::Suite;

/// The initiator's side: its identity and ephemeral keys against the responder's public keys.
pub(crate) struct InitiatorKeys<'a> {
    pub(crate) identity: &'a PrivateKey,
    pub(crate) ephemeral: &'a PrivateKey,
    pub(crate) remote_identity: &'a PublicKey,
    pub(crate) remote_signed_prekey: &'a PublicKey,
    pub(crate) remote_one_time_prekey: Option<&'a PublicKey>,
}

/// The responder's side: its identity and prekeys against the initiator's public keys.
pub(crate) struct ResponderKeys<'a> {
    pub(crate) identity: &'a PrivateKey,
    pub(crate) signed_prekey: &'a PrivateKey,
    pub(crate) one_time_prekey: Option<&'a PrivateKey>,
    pub(crate) remote_identity: &'a PublicKey,
    pub(crate) remote_ephemeral: &'a PublicKey,
}

/// The fingerprints of the initiator's and the responder's certificates.
pub(crate) struct Parties<'a> {
    pub(crate) initiator: &'a [u8; 32],
    pub(crate) responder: &'a [u8; 32],
}

pub(crate) fn initiator_secret(
    keys: &InitiatorKeys<'_>,
    parties: &Parties<'_>,
) -> Result<RootKey, NonContributory> {
    let dh1 = keys.identity.agree(keys.remote_signed_prekey)?;
    let dh2 = keys.ephemeral.agree(keys.remote_identity)?;
    let dh3 = keys.ephemeral.agree(keys.remote_signed_prekey)?;
    let dh4 = keys
        .remote_one_time_prekey
        .map(|prekey| keys.ephemeral.agree(prekey))
        .transpose()?;
    Ok(derive(&dh1, &dh2, &dh3, dh4.as_ref(), parties))
}

pub(crate) fn responder_secret(
    keys: &ResponderKeys<'_>,
    parties: &Parties<'_>,
) -> Result<RootKey, NonContributory> {
    let dh1 = keys.signed_prekey.agree(keys.remote_identity)?;
    let dh2 = keys.identity.agree(keys.remote_ephemeral)?;
    let dh3 = keys.signed_prekey.agree(keys.remote_ephemeral)?;
    let dh4 = keys
        .one_time_prekey
        .map(|prekey| prekey.agree(keys.remote_ephemeral))
        .transpose()?;
    Ok(derive(&dh1, &dh2, &dh3, dh4.as_ref(), parties))
}

fn derive(
    dh1: &Secret32,
    dh2: &Secret32,
    dh3: &Secret32,
    dh4: Option<&Secret32>,
    parties: &Parties<'_>,
) -> RootKey {
    let mut ikm = [0u8; 32 * 5];
    ikm[..32].fill(0xFF);
    let mut len = 32;
    for dh in [Some(dh1), Some(dh2), Some(dh3), dh4].into_iter().flatten() {
        ikm[len..len + 32].copy_from_slice(dh.expose());
        len += 32;
    }
    let mut info = [0u8; 14 + 4 + 32 + 32];
    info[..14].copy_from_slice(domain::X3DH);
    info[14..18].copy_from_slice(&Suite::Classic.id().to_be_bytes());
    info[18..50].copy_from_slice(parties.initiator);
    info[50..].copy_from_slice(parties.responder);
    let mut secret = [0u8; 32];
    // 32 bytes is far below HKDF's limit, so this cannot fail.
    let _ = kdf::hkdf_sha256(&[0u8; 32], &ikm[..len], &info, &mut secret);
    ikm.zeroize();
    RootKey(Secret32::from_bytes(&mut secret))
}
