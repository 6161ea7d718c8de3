//! Known-answer vectors for `ember_core::crypto`: Wycheproof (AES-256-GCM, X25519, Ed25519,
//! HKDF-SHA256, HMAC-SHA256) and RFC 4231, 5869, 7748 and 8032, run through Ember's own
//! wrappers rather than the crates underneath, so the tests check the code Ember runs.
//!
//! Every test counts the cases it ran and asserts the count, so that a filter that skips too
//! much (or a data set that fails to load) cannot make it pass with nothing checked. Run with
//! `--nocapture` to see the counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ember_core::crypto::Secret32;
use ember_core::crypto::aead::{self, BadTag};
use ember_core::crypto::dh::{NonContributory, PrivateKey, PublicKey};
use ember_core::crypto::kdf::{self, OutputTooLong};
use ember_core::crypto::sign::{BadSignature, Signature, SigningKey, VerifyingKey};
use wycheproof::TestResult;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("vector is valid hex")
}

fn unhex32(s: &str) -> [u8; 32] {
    unhex(s).try_into().expect("vector is 32 bytes")
}

fn dh_key(scalar: &[u8]) -> PrivateKey {
    PrivateKey::from_secret(&Secret32::from_slice(scalar).expect("32-byte scalar"))
}

fn ed_key(seed: &[u8]) -> SigningKey {
    SigningKey::from_secret(&Secret32::from_slice(seed).expect("32-byte seed"))
}

// ---------------------------------------------------------------------------------------------
// Wycheproof
// ---------------------------------------------------------------------------------------------

/// AES-GCM: only 256-bit keys, 96-bit nonces and 128-bit tags are Ember's suite; the other
/// groups are counted as skipped. Valid cases must seal to `ct || tag` and open back to the
/// plaintext; invalid ones (modified tags, all with 96-bit nonces) must fail to open.
#[test]
fn wycheproof_aes_256_gcm() {
    let set = wycheproof::aead::TestSet::load(wycheproof::aead::TestName::AesGcm).unwrap();
    let (mut valid, mut invalid, mut skipped) = (0usize, 0usize, 0usize);
    for group in &set.test_groups {
        if group.key_size != aead::KEY_LEN * 8
            || group.nonce_size != aead::NONCE_LEN * 8
            || group.tag_size != aead::TAG_LEN * 8
        {
            skipped += group.tests.len();
            continue;
        }
        for test in &group.tests {
            let id = test.tc_id;
            let key: [u8; aead::KEY_LEN] = test.key.as_slice().try_into().unwrap();
            let nonce: [u8; aead::NONCE_LEN] = test.nonce.as_slice().try_into().unwrap();
            let mut sealed = test.ct.to_vec();
            sealed.extend_from_slice(&test.tag);
            let opened = aead::open(&key, &nonce, &test.aad, &sealed);
            if test.result.must_fail() {
                assert_eq!(opened, Err(BadTag), "tcId {id} must not open");
                invalid += 1;
            } else {
                let ours = aead::seal(&key, &nonce, &test.aad, &test.pt).unwrap();
                assert_eq!(ours, sealed, "tcId {id}: seal");
                assert_eq!(opened.as_deref(), Ok(test.pt.as_slice()), "tcId {id}: open");
                valid += 1;
            }
        }
    }
    println!("Wycheproof AES-GCM: {valid} valid + {invalid} invalid run, {skipped} skipped");
    assert_eq!(valid + invalid + skipped, set.number_of_tests);
    assert!(
        valid + invalid > 50,
        "only {} AES-256-GCM cases ran",
        valid + invalid
    );
    assert!(
        valid > 30 && invalid > 20,
        "valid {valid}, invalid {invalid}"
    );
}

/// X25519: a case whose expected shared secret is all-zero (low-order public keys, flag
/// `ZeroSharedSecret`; Wycheproof marks these "acceptable") must be refused by `agree` with
/// `NonContributory`. Every other valid or acceptable case (twist points, non-canonical
/// public keys with the top bit set, edge-case scalars) must give the expected secret, as
/// RFC 7748 requires of an X25519 implementation.
#[test]
fn wycheproof_x25519() {
    let set = wycheproof::xdh::TestSet::load(wycheproof::xdh::TestName::X25519).unwrap();
    let (mut matched, mut refused, mut invalid) = (0usize, 0usize, 0usize);
    for group in &set.test_groups {
        assert_eq!(group.curve, wycheproof::MontgomeryCurve::X25519);
        for test in &group.tests {
            let id = test.tc_id;
            let ours = dh_key(&test.private_key);
            let Some(their) = PublicKey::from_slice(&test.public_key) else {
                assert!(
                    test.result.must_fail(),
                    "tcId {id}: key of wrong length marked valid"
                );
                invalid += 1;
                continue;
            };
            let agreed = ours.agree(&their);
            if test.shared_secret.iter().all(|&b| b == 0) {
                assert_eq!(
                    agreed.err(),
                    Some(NonContributory),
                    "tcId {id} must be refused"
                );
                refused += 1;
            } else if test.result.must_fail() {
                let wrong =
                    agreed.is_ok_and(|s| s.expose().as_slice() != test.shared_secret.as_slice());
                assert!(wrong, "tcId {id}: invalid case agreed");
                invalid += 1;
            } else {
                let secret = agreed.unwrap_or_else(|_| panic!("tcId {id} refused"));
                assert_eq!(
                    secret.expose().as_slice(),
                    test.shared_secret.as_slice(),
                    "tcId {id}"
                );
                matched += 1;
            }
        }
    }
    println!("Wycheproof X25519: {matched} matched, {refused} all-zero refused, {invalid} invalid");
    assert_eq!(matched + refused + invalid, set.number_of_tests);
    assert!(matched > 400, "only {matched} X25519 agreements checked");
    assert!(refused > 20, "only {refused} low-order cases checked");
}

/// Ed25519 through `VerifyingKey::verify_raw` (`verify_strict`): valid must verify, invalid
/// must fail (a key that does not decode, or a signature that is not 64 bytes, counts as a
/// failure, as it would for a caller of the wrapper).
///
/// In the Wycheproof 0.7 data every case is "valid" or "invalid", and `verify_strict` agrees
/// with all of them, including the `TinkOverflow` valid cases and the `SignatureMalleability`
/// (non-canonical S) invalid ones. Where `verify_strict` is stricter than RFC 8032 (it rejects
/// a small-order public key or R), no valid case is affected, so no case needs an exception. Should a later data set add "acceptable" cases (the usual candidates are
/// small-order keys or R that plain RFC 8032 accepts), this test fails on the count below so
/// that someone decides their expected behaviour on purpose.
#[test]
fn wycheproof_ed25519() {
    let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519).unwrap();
    let (mut valid, mut invalid, mut acceptable) = (0usize, 0usize, 0usize);
    for group in &set.test_groups {
        assert_eq!(group.key.curve, wycheproof::EdwardsCurve::Ed25519);
        let key = VerifyingKey::from_slice(&group.key.pk);
        for test in &group.tests {
            let id = test.tc_id;
            let outcome = key.and_then(|key| {
                let signature = Signature::from_slice(&test.sig).ok_or(BadSignature)?;
                key.verify_raw(&test.msg, &signature)
            });
            match test.result {
                TestResult::Valid => {
                    assert_eq!(outcome, Ok(()), "tcId {id} {:?} must verify", test.flags);
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert_eq!(
                        outcome,
                        Err(BadSignature),
                        "tcId {id} {:?} must fail",
                        test.flags
                    );
                    invalid += 1;
                }
                TestResult::Acceptable => acceptable += 1,
            }
        }
    }
    println!("Wycheproof Ed25519: {valid} valid + {invalid} invalid run, {acceptable} acceptable");
    assert_eq!(
        acceptable, 0,
        "new 'acceptable' Ed25519 cases: decide their behaviour"
    );
    assert_eq!(valid + invalid, set.number_of_tests);
    assert!(
        valid > 50 && invalid > 50,
        "valid {valid}, invalid {invalid}"
    );
}

/// HKDF-SHA256: valid cases (including empty salt and the maximal 255 * 32-byte output)
/// must give the expected OKM; the invalid ones ask for more than 255 * 32 bytes and must
/// return `OutputTooLong`.
#[test]
fn wycheproof_hkdf_sha256() {
    let set = wycheproof::hkdf::TestSet::load(wycheproof::hkdf::TestName::HkdfSha256).unwrap();
    let (mut valid, mut too_long) = (0usize, 0usize);
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            let mut okm = vec![0u8; test.size];
            let result = kdf::hkdf_sha256(&test.salt, &test.ikm, &test.info, &mut okm);
            if test.result.must_fail() {
                assert!(
                    test.size > 255 * kdf::MAC_LEN,
                    "tcId {id}: unexpected invalid case"
                );
                assert_eq!(result, Err(OutputTooLong), "tcId {id}");
                too_long += 1;
            } else {
                assert_eq!(result, Ok(()), "tcId {id}");
                assert_eq!(okm.as_slice(), test.okm.as_slice(), "tcId {id}");
                valid += 1;
            }
        }
    }
    println!("Wycheproof HKDF-SHA256: {valid} valid + {too_long} too-long run");
    assert_eq!(valid + too_long, set.number_of_tests);
    assert!(valid > 50, "only {valid} HKDF cases ran");
    assert!(too_long > 0, "no oversized HKDF output was checked");
}

/// HMAC-SHA256 with full (256-bit) and truncated (128-bit) tags. A valid full tag must equal
/// `hmac_sha256`; every valid tag must pass `hmac_sha256_verify`; every invalid (modified)
/// tag must fail it.
#[test]
fn wycheproof_hmac_sha256() {
    let set = wycheproof::mac::TestSet::load(wycheproof::mac::TestName::HmacSha256).unwrap();
    let (mut full, mut truncated, mut invalid) = (0usize, 0usize, 0usize);
    for group in &set.test_groups {
        for test in &group.tests {
            let id = test.tc_id;
            assert_eq!(test.tag.len() * 8, group.tag_size, "tcId {id}");
            let verified = kdf::hmac_sha256_verify(&test.key, &test.msg, &test.tag);
            if test.result.must_fail() {
                assert!(!verified, "tcId {id}: modified tag verified");
                invalid += 1;
                continue;
            }
            assert!(verified, "tcId {id}: valid tag rejected");
            let mac = kdf::hmac_sha256(&test.key, &test.msg);
            assert_eq!(&mac[..test.tag.len()], test.tag.as_slice(), "tcId {id}");
            if test.tag.len() == kdf::MAC_LEN {
                full += 1;
            } else {
                truncated += 1;
            }
        }
    }
    println!(
        "Wycheproof HMAC-SHA256: {full} full + {truncated} truncated valid, {invalid} invalid run"
    );
    assert_eq!(full + truncated + invalid, set.number_of_tests);
    assert!(
        full > 20 && truncated > 20,
        "full {full}, truncated {truncated}"
    );
    assert!(invalid > 50, "only {invalid} modified tags checked");
}

// ---------------------------------------------------------------------------------------------
// RFC 5869: HKDF-SHA256, test cases 1-3 (Appendix A.1-A.3)
// ---------------------------------------------------------------------------------------------

struct HkdfVector {
    case: u32,
    ikm: Vec<u8>,
    salt: Vec<u8>,
    info: Vec<u8>,
    prk: &'static str,
    okm: &'static str,
}

#[test]
fn rfc5869_hkdf_sha256() {
    let vectors = [
        HkdfVector {
            case: 1,
            ikm: vec![0x0b; 22],
            salt: unhex("000102030405060708090a0b0c"),
            info: unhex("f0f1f2f3f4f5f6f7f8f9"),
            prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            okm: concat!(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf",
                "34007208d5b887185865",
            ),
        },
        HkdfVector {
            case: 2,
            ikm: (0x00..=0x4f).collect(),
            salt: (0x60..=0xaf).collect(),
            info: (0xb0..=0xff).collect(),
            prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            okm: concat!(
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c",
                "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71",
                "cc30c58179ec3e87c14c01d5c1f3434f1d87",
            ),
        },
        HkdfVector {
            case: 3,
            ikm: vec![0x0b; 22],
            salt: Vec::new(),
            info: Vec::new(),
            prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            okm: concat!(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d",
                "9d201395faa4b61a96c8",
            ),
        },
    ];
    let mut run = 0;
    for v in &vectors {
        // HKDF-Extract is HMAC(salt, IKM); an empty salt is the same HMAC key as 32 zeros.
        assert_eq!(
            kdf::hmac_sha256(&v.salt, &v.ikm).to_vec(),
            unhex(v.prk),
            "case {}",
            v.case
        );
        let expected = unhex(v.okm);
        let mut okm = vec![0u8; expected.len()];
        kdf::hkdf_sha256(&v.salt, &v.ikm, &v.info, &mut okm).unwrap();
        assert_eq!(okm, expected, "case {}", v.case);
        run += 1;
    }
    println!("RFC 5869 HKDF-SHA256: {run} cases");
    assert_eq!(run, 3);
}

// ---------------------------------------------------------------------------------------------
// RFC 7748: X25519, section 5.2 (scalar multiplication) and section 6.1 (Diffie-Hellman)
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc7748_x25519_scalar_multiplication() {
    // (scalar, input u-coordinate, output u-coordinate). The scalars are not clamped and the
    // second u-coordinate has its top bit set: X25519 clamps the one and masks the other.
    let vectors = [
        (
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        ),
        (
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        ),
    ];
    let mut run = 0;
    for (scalar, u, expected) in vectors {
        let shared = dh_key(&unhex(scalar))
            .agree(&PublicKey::from_bytes(unhex32(u)))
            .unwrap();
        assert_eq!(shared.expose(), &unhex32(expected), "scalar {scalar}");
        run += 1;
    }
    println!("RFC 7748 5.2 X25519: {run} cases");
    assert_eq!(run, 2);
}

/// The iterated test of RFC 7748 section 5.2: k = u = 9, then `k, u = X25519(k, u), k`.
fn x25519_iterated(iterations: u32) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[0] = 9;
    let mut u = k;
    for _ in 0..iterations {
        let next = *dh_key(&k)
            .agree(&PublicKey::from_bytes(u))
            .unwrap()
            .expose();
        u = k;
        k = next;
    }
    k
}

#[test]
fn rfc7748_x25519_iterated() {
    assert_eq!(
        x25519_iterated(1),
        unhex32("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
    );
    assert_eq!(
        x25519_iterated(1000),
        unhex32("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
    );
    println!("RFC 7748 5.2 X25519 iterated: 1 and 1000 iterations");
}

/// The million-iteration value of RFC 7748 section 5.2; slow in a debug build.
#[test]
#[ignore = "a million X25519 operations; run with --ignored in release"]
fn rfc7748_x25519_iterated_million() {
    assert_eq!(
        x25519_iterated(1_000_000),
        unhex32("7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424")
    );
}

#[test]
fn rfc7748_x25519_diffie_hellman() {
    let alice = dh_key(&unhex(
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    ));
    let bob = dh_key(&unhex(
        "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    ));
    assert_eq!(
        alice.public_key().as_bytes(),
        &unhex32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    );
    assert_eq!(
        bob.public_key().as_bytes(),
        &unhex32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    );
    let shared = unhex32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert_eq!(alice.agree(&bob.public_key()).unwrap().expose(), &shared);
    assert_eq!(bob.agree(&alice.public_key()).unwrap().expose(), &shared);
    println!("RFC 7748 6.1 X25519 Diffie-Hellman: 1 case (2 public keys, 2 agreements)");
}

// ---------------------------------------------------------------------------------------------
// RFC 8032: Ed25519, section 7.1 TEST 1, 2, 3 and TEST SHA(abc)
// ---------------------------------------------------------------------------------------------

struct Ed25519Vector {
    name: &'static str,
    secret: &'static str,
    public: &'static str,
    message: &'static str,
    signature: &'static str,
}

const RFC8032: [Ed25519Vector; 4] = [
    Ed25519Vector {
        name: "TEST 1",
        secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        message: "",
        signature: concat!(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155",
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
    },
    Ed25519Vector {
        name: "TEST 2",
        secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        message: "72",
        signature: concat!(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da",
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
    },
    Ed25519Vector {
        name: "TEST 3",
        secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        message: "af82",
        signature: concat!(
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac",
            "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    },
    Ed25519Vector {
        name: "TEST SHA(abc)",
        secret: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        public: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        // SHA-512("abc")
        message: concat!(
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a",
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        signature: concat!(
            "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589",
            "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
        ),
    },
];

#[test]
fn rfc8032_ed25519() {
    let mut run = 0;
    let mut flips = 0;
    for v in &RFC8032 {
        let name = v.name;
        let key = ed_key(&unhex(v.secret));
        let public = unhex32(v.public);
        let message = unhex(v.message);
        let expected = Signature::from_slice(&unhex(v.signature)).unwrap();
        assert_eq!(key.verifying_key().to_bytes(), public, "{name}: public key");
        let signature = key.sign_raw(&message);
        assert_eq!(
            signature.as_bytes(),
            expected.as_bytes(),
            "{name}: signature"
        );
        let verifier = VerifyingKey::from_bytes(&public).unwrap();
        assert_eq!(
            verifier.verify_raw(&message, &expected),
            Ok(()),
            "{name}: verify"
        );

        // One flipped bit in each byte of the signature (in R and in S) must fail.
        for byte in 0..expected.as_bytes().len() {
            let mut bad = *expected.as_bytes();
            bad[byte] ^= 1 << (byte % 8);
            let bad = Signature::from_bytes(bad);
            assert_eq!(
                verifier.verify_raw(&message, &bad),
                Err(BadSignature),
                "{name}: sig byte {byte}"
            );
            flips += 1;
        }
        // A flipped message bit, an appended byte, and a flipped bit in the key must fail.
        let mut longer = message.clone();
        longer.push(0);
        assert_eq!(
            verifier.verify_raw(&longer, &expected),
            Err(BadSignature),
            "{name}: longer message"
        );
        if let Some(first) = message.first() {
            let mut altered = message.clone();
            altered[0] = first ^ 0x01;
            assert_eq!(
                verifier.verify_raw(&altered, &expected),
                Err(BadSignature),
                "{name}: message"
            );
            flips += 1;
        }
        let mut other = public;
        other[0] ^= 0x01;
        if let Ok(other) = VerifyingKey::from_bytes(&other) {
            assert_eq!(
                other.verify_raw(&message, &expected),
                Err(BadSignature),
                "{name}: key"
            );
        }
        run += 1;
    }
    println!("RFC 8032 7.1 Ed25519: {run} cases, {flips} single-bit flips rejected");
    assert_eq!(run, 4);
    assert_eq!(flips, 4 * 64 + 3);
}

// ---------------------------------------------------------------------------------------------
// RFC 4231: HMAC-SHA256, test cases 1-7 (case 5 truncated to 128 bits)
// ---------------------------------------------------------------------------------------------

#[test]
fn rfc4231_hmac_sha256() {
    let key_aa_131 = vec![0xaa; 131];
    let vectors: [(u32, Vec<u8>, Vec<u8>, &str); 7] = [
        (
            1,
            vec![0x0b; 20],
            b"Hi There".to_vec(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            2,
            b"Jefe".to_vec(),
            b"what do ya want for nothing?".to_vec(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            3,
            vec![0xaa; 20],
            vec![0xdd; 50],
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        ),
        (
            4,
            (0x01..=0x19).collect(),
            vec![0xcd; 50],
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        ),
        // Truncated to 128 bits: checked only through `hmac_sha256_verify`.
        (5, vec![0x0c; 20], b"Test With Truncation".to_vec(), "a3b6167473100ee06e0c796c2955552b"),
        (
            6,
            key_aa_131.clone(),
            b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            7,
            key_aa_131,
            b"This is a test using a larger than block-size key and a larger than block-size data. \
              The key needs to be hashed before being used by the HMAC algorithm."
                .to_vec(),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        ),
    ];
    let (mut full, mut truncated) = (0, 0);
    for (case, key, data, tag) in &vectors {
        let tag = unhex(tag);
        if tag.len() == kdf::MAC_LEN {
            assert_eq!(kdf::hmac_sha256(key, data).to_vec(), tag, "case {case}");
            full += 1;
        } else {
            truncated += 1;
        }
        assert!(
            kdf::hmac_sha256_verify(key, data, &tag),
            "case {case}: verify"
        );
        let mut bad = tag.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x80;
        assert!(
            !kdf::hmac_sha256_verify(key, data, &bad),
            "case {case}: flipped tag"
        );
    }
    println!("RFC 4231 HMAC-SHA256: {full} full + {truncated} truncated cases");
    assert_eq!((full, truncated), (6, 1));
}
