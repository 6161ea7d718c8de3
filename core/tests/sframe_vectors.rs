//! RFC 9605 (SFrame) test vectors, run through `ember_core::sframe`: every header encoding,
//! the AES-CTR + HMAC AEAD of suites 1-3, and full frame protection for suites 1-5, each with
//! must-fail variants (flipped bits, truncated headers, wrong KID, wrong metadata).
//!
//! The vectors are `tests/data/sframe-rfc9605.json`, the RFC's `test-vectors.json` in one
//! file. Every test counts the cases it ran and asserts the count, so that a data file that
//! fails to load or a filter that skips too much cannot pass with nothing checked. Run with
//! `--nocapture` to see the counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

extern crate alloc;

use alloc::collections::BTreeMap;

use ember_core::error::SframeError;
use ember_core::sframe::{
    CipherSuite, FrameCipher, Header, NONCE_LEN, SframeKey, SframeKeyMaterial, protect, unprotect,
};
use serde::Deserialize;

const VECTORS: &str = include_str!("data/sframe-rfc9605.json");

#[derive(Deserialize)]
struct Vectors {
    header: Vec<HeaderCase>,
    aes_ctr_hmac: Vec<AeadCase>,
    sframe: Vec<FrameCase>,
}

#[derive(Deserialize)]
struct HeaderCase {
    kid: u64,
    ctr: u64,
    encoded: String,
}

#[derive(Deserialize)]
struct AeadCase {
    cipher_suite: u16,
    key: String,
    enc_key: String,
    auth_key: String,
    nonce: String,
    aad: String,
    pt: String,
    ct: String,
}

#[derive(Deserialize)]
struct FrameCase {
    cipher_suite: u16,
    kid: u64,
    ctr: u64,
    base_key: String,
    sframe_key_label: String,
    sframe_salt_label: String,
    sframe_secret: String,
    sframe_key: String,
    sframe_salt: String,
    metadata: String,
    nonce: String,
    aad: String,
    pt: String,
    ct: String,
}

fn vectors() -> Vectors {
    serde_json::from_str(VECTORS).expect("vector file parses")
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("vector is valid hex")
}

fn suite(id: u16) -> CipherSuite {
    CipherSuite::from_id(id).unwrap_or_else(|| panic!("suite {id} is implemented"))
}

/// Every (KID, CTR) encodes to the RFC's bytes and decodes back, with or without a payload
/// after it; every proper prefix of an encoding is refused.
#[test]
fn rfc9605_header_encoding() {
    let cases = vectors().header;
    let (mut passed, mut truncations) = (0usize, 0usize);
    for case in &cases {
        let header = Header::new(case.kid, case.ctr);
        let encoded = unhex(&case.encoded);
        let what = format!("kid {:#x} ctr {:#x}", case.kid, case.ctr);
        assert_eq!(
            header.encode().as_bytes(),
            encoded.as_slice(),
            "{what}: encode"
        );
        assert_eq!(header.encoded_len(), encoded.len(), "{what}: encoded_len");
        assert_eq!(
            Header::decode(&encoded),
            Ok((header, encoded.len())),
            "{what}"
        );
        let mut framed = encoded.clone();
        framed.extend_from_slice(&[0xAA; 20]);
        assert_eq!(
            Header::decode(&framed),
            Ok((header, encoded.len())),
            "{what}: framed"
        );
        for len in 0..encoded.len() {
            assert_eq!(
                Header::decode(&encoded[..len]),
                Err(SframeError::BadHeader),
                "{what}: {len}-byte prefix"
            );
            truncations += 1;
        }
        passed += 1;
    }
    println!("RFC 9605 headers: {passed} cases, {truncations} truncations refused");
    assert_eq!(passed, 289);
    assert!(truncations > 1000, "{truncations}");
}

/// The AES-CTR + HMAC AEAD (RFC 9605, section 4.5.1) on its own: seal gives `ct`, open gives
/// `pt`, and a flip of any bit of `ct`, or another AAD, does not open.
#[test]
fn rfc9605_aes_ctr_hmac() {
    let cases = vectors().aes_ctr_hmac;
    let mut per_suite = BTreeMap::new();
    let mut flips = 0usize;
    for case in &cases {
        let suite = suite(case.cipher_suite);
        let key = unhex(&case.key);
        // derive_subkeys: the AES key, then the HMAC key.
        assert_eq!(
            [unhex(&case.enc_key), unhex(&case.auth_key)].concat(),
            key,
            "suite {}: subkeys",
            case.cipher_suite
        );
        let cipher = FrameCipher::new(suite, &key).expect("key has the suite's length");
        let nonce: [u8; NONCE_LEN] = unhex(&case.nonce).try_into().unwrap();
        let (aad, pt, ct) = (unhex(&case.aad), unhex(&case.pt), unhex(&case.ct));
        assert_eq!(ct.len(), pt.len() + suite.tag_len());
        assert_eq!(
            cipher.seal(&nonce, &aad, &pt).as_deref(),
            Some(ct.as_slice())
        );
        assert_eq!(
            cipher.open(&nonce, &aad, &ct).as_deref(),
            Some(pt.as_slice())
        );
        for bit in 0..ct.len() * 8 {
            let mut bad = ct.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                cipher.open(&nonce, &aad, &bad),
                None,
                "suite {suite:?} bit {bit}"
            );
            flips += 1;
        }
        assert_eq!(cipher.open(&nonce, b"other aad", &ct), None);
        assert_eq!(cipher.open(&nonce, &aad, &ct[..suite.tag_len() - 1]), None);
        *per_suite.entry(case.cipher_suite).or_insert(0usize) += 1;
    }
    println!("RFC 9605 AES-CTR-HMAC: {per_suite:?}, {flips} bit flips refused");
    assert_eq!(per_suite, BTreeMap::from([(1, 1), (2, 1), (3, 1)]));
}

/// Full SFrame protection for every suite: the derivation's intermediate values, the nonce,
/// the AAD and the ciphertext match, the ciphertext opens to `pt`, and tampered, truncated,
/// mislabelled or wrongly keyed frames do not.
#[test]
fn rfc9605_sframe_protection() {
    let cases = vectors().sframe;
    let mut per_suite = BTreeMap::new();
    let mut refused = 0usize;
    for case in &cases {
        let suite = suite(case.cipher_suite);
        let what = format!("suite {suite:?}");
        let base_key = unhex(&case.base_key);

        // The labels as RFC 9605 defines them (section 4.4.2).
        let tail = [
            case.kid.to_be_bytes().as_slice(),
            &case.cipher_suite.to_be_bytes(),
        ]
        .concat();
        assert_eq!(
            unhex(&case.sframe_key_label),
            [b"SFrame 1.0 Secret key ".as_slice(), &tail].concat()
        );
        assert_eq!(
            unhex(&case.sframe_salt_label),
            [b"SFrame 1.0 Secret salt ".as_slice(), &tail].concat()
        );

        let material = SframeKeyMaterial::derive(suite, case.kid, &base_key);
        assert_eq!(
            material.sframe_secret(),
            unhex(&case.sframe_secret),
            "{what}: secret"
        );
        assert_eq!(
            material.sframe_key(),
            unhex(&case.sframe_key),
            "{what}: key"
        );
        assert_eq!(
            material.sframe_salt().as_slice(),
            unhex(&case.sframe_salt),
            "{what}: salt"
        );
        assert_eq!(
            material.nonce(case.ctr).as_slice(),
            unhex(&case.nonce),
            "{what}: nonce"
        );

        let metadata = unhex(&case.metadata);
        let header = Header::new(case.kid, case.ctr).encode();
        assert_eq!(
            [header.as_bytes(), &metadata].concat(),
            unhex(&case.aad),
            "{what}: aad"
        );

        let key = SframeKey::from_material(&material);
        let (pt, ct) = (unhex(&case.pt), unhex(&case.ct));
        assert_eq!(
            protect(&key, case.ctr, &metadata, &pt).unwrap(),
            ct,
            "{what}: ct"
        );
        assert_eq!(unprotect(&key, &metadata, &ct).unwrap(), pt, "{what}: pt");
        // The same through `SframeKey::derive`.
        let derived = SframeKey::derive(suite, case.kid, &base_key);
        assert_eq!(unprotect(&derived, &metadata, &ct).unwrap(), pt);

        // Must fail: every flipped bit, header bits included.
        for bit in 0..ct.len() * 8 {
            let mut bad = ct.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let result = unprotect(&key, &metadata, &bad);
            assert!(
                matches!(
                    result,
                    Err(SframeError::BadTag
                        | SframeError::BadHeader
                        | SframeError::UnknownKeyId { .. })
                ),
                "{what}: bit {bit} gave {result:?}"
            );
            refused += 1;
        }
        // Must fail: truncated headers, and bodies shorter than a tag.
        let header_len = header.as_bytes().len();
        for len in 0..header_len {
            assert_eq!(
                unprotect(&key, &metadata, &ct[..len]),
                Err(SframeError::BadHeader)
            );
            refused += 1;
        }
        for len in header_len..header_len + suite.tag_len() {
            assert_eq!(
                unprotect(&key, &metadata, &ct[..len]),
                Err(SframeError::BadTag)
            );
            refused += 1;
        }
        // Must fail: other metadata, a cut tag, another KID's key, another base key.
        assert_eq!(unprotect(&key, b"other", &ct), Err(SframeError::BadTag));
        assert_eq!(
            unprotect(&key, &metadata, &ct[..ct.len() - 1]),
            Err(SframeError::BadTag)
        );
        let other_kid = SframeKey::derive(suite, case.kid + 1, &base_key);
        assert_eq!(
            unprotect(&other_kid, &metadata, &ct),
            Err(SframeError::UnknownKeyId { kid: case.kid })
        );
        let mut other_base = base_key.clone();
        other_base[0] ^= 1;
        let wrong = SframeKey::derive(suite, case.kid, &other_base);
        assert_eq!(unprotect(&wrong, &metadata, &ct), Err(SframeError::BadTag));
        refused += 4;

        *per_suite.entry(case.cipher_suite).or_insert(0usize) += 1;
    }
    println!("RFC 9605 SFrame: {per_suite:?}, {refused} must-fail frames refused");
    assert_eq!(
        per_suite,
        BTreeMap::from([(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)])
    );
    assert!(refused > 1000, "{refused}");
}
