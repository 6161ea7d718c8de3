//! API tests of device linking, recovery, device lists (revocation) and directory entries,
//! through the public interface only, with the attacks each is there to stop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ember_core::error::{BookError, CertificateError, DecodeError, SnapshotError};
use ember_core::identity::device_list::MAX_LISTED_DEVICES;
use ember_core::identity::directory::MAX_HANDLE_LEN;
use ember_core::identity::linking::LINK_TIMEOUT_SECS;
use ember_core::identity::recovery::{RECOVERY_QR_LEN, RECOVERY_WORDS};
use ember_core::identity::{
    Account, ApproverCode, ApproverLink, Device, DeviceListError, DirectoryEntry, DirectoryError,
    DirectoryStatus, LinkError, LinkOffer, LinkRequest, LinkReveal, NewDeviceCode, NewDeviceLink,
    RecoveryError, RecoveryKey, VerifiedDeviceList, VerifiedDirectoryEntry,
};
use ember_core::network::{NetworkId, NetworkKey};
use ember_core::prekeys::PreKeyBundle;
use ember_core::session::SessionBook;
use ember_core::snapshot::SnapshotKey;
use ember_core::{DeviceId, Timestamp};
use prost::Message;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: Timestamp = Timestamp(1_700_000_000);

fn seeded(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn bundle(device: &Device) -> PreKeyBundle {
    PreKeyBundle::from_bytes(&device.prekey_bundle().to_bytes()).unwrap()
}

fn later(seconds: u64) -> Timestamp {
    Timestamp(NOW.0 + seconds)
}

// ---------------------------------------------------------------------------------------------
// Device linking
// ---------------------------------------------------------------------------------------------

/// The messages of one link between a new device and an existing one, each through its bytes,
/// up to both codes being shown.
struct Linked {
    new_device: NewDeviceCode,
    approver: ApproverCode,
}

fn link(rng: &mut ChaCha20Rng, account: &Account) -> Linked {
    let (joining, request) = NewDeviceLink::start(rng, NOW);
    let request = LinkRequest::from_bytes(&request.to_bytes()).unwrap();
    let (approving, offer) = ApproverLink::respond(rng, account, &request, later(1));
    let offer = LinkOffer::from_bytes(&offer.to_bytes()).unwrap();
    let (new_device, reveal) = joining.receive_offer(&offer, later(2)).unwrap();
    let reveal = LinkReveal::from_bytes(&reveal.to_bytes()).unwrap();
    let approver = approving.receive_reveal(&reveal, later(3)).unwrap();
    Linked {
        new_device,
        approver,
    }
}

#[test]
fn linking_certifies_the_new_device_after_matching_codes() {
    let mut rng = seeded(1);
    let mut account = Account::generate(&mut rng);
    let phone = account.new_device(&mut rng, NOW);
    let linked = link(&mut rng, &account);
    let code = linked.new_device.code().clone();
    assert_eq!(code.digits(), linked.approver.code().digits());
    assert_eq!(code.digits().len(), 6);
    assert!(code.digits().bytes().all(|b| b.is_ascii_digit()));
    // Scanning instead of reading: the whole transcript hash is compared.
    assert!(
        linked
            .approver
            .code()
            .matches_scanned(linked.new_device.code().qr_payload())
    );

    let keys = *linked.approver.keys();
    let certificate = linked
        .approver
        .confirm(true, &mut account, later(10))
        .unwrap();
    assert_eq!(certificate.signing_key(), &keys.signing);
    assert_ne!(certificate.device_id(), phone.certificate().device_id());
    let confirmed = linked.new_device.confirm(true).unwrap();
    assert_eq!(confirmed.account(), account.public_identity());
    let tablet = confirmed
        .finish(certificate.clone(), &mut rng, later(11))
        .unwrap();
    assert_eq!(tablet.certificate(), &certificate);
    assert_eq!(
        tablet.certificate().check_account(&account.public_key()),
        Ok(())
    );
}

#[test]
fn mismatched_codes_give_no_certificate() {
    let mut rng = seeded(2);
    let mut account = Account::generate(&mut rng);
    let linked = link(&mut rng, &account);
    let before = account.new_device(&mut rng, NOW).certificate().device_id();
    assert_eq!(
        linked
            .approver
            .confirm(false, &mut account, later(10))
            .unwrap_err(),
        LinkError::CodesDiffer
    );
    assert_eq!(
        linked.new_device.confirm(false).unwrap_err(),
        LinkError::CodesDiffer
    );
    // No device id was spent on the refused link.
    let after = account.new_device(&mut rng, NOW).certificate().device_id();
    assert_eq!(after.0, before.0 + 1);
}

/// A server in the middle swaps the new device's keys (to get its own certified) and the
/// account's key and nonce (to make the new device join its account): every swap changes the
/// codes, so the user sees them differ.
#[test]
fn a_man_in_the_middle_changes_the_code() {
    let mut rng = seeded(3);
    let account = Account::generate(&mut rng);
    let mallory_account = Account::generate(&mut rng);

    // The server relays the new device's request to the approver, but its own offer to the
    // new device.
    let (joining, request) = NewDeviceLink::start(&mut rng, NOW);
    let (approving, honest_offer) = ApproverLink::respond(&mut rng, &account, &request, NOW);
    let (_, mallory_offer) = ApproverLink::respond(&mut rng, &mallory_account, &request, NOW);
    let (new_device, reveal) = joining.receive_offer(&mallory_offer, NOW).unwrap();
    let approver = approving.receive_reveal(&reveal, NOW).unwrap();
    assert_ne!(new_device.code().digits(), approver.code().digits());
    assert!(
        !approver
            .code()
            .matches_scanned(new_device.code().qr_payload())
    );
    assert_eq!(new_device.code().digits().len(), 6);
    let _ = honest_offer;

    // The server substitutes its own keys in the request, keeping the new device's commitment:
    // the reveal no longer opens it.
    let (joining, request) = NewDeviceLink::start(&mut rng, NOW);
    let mallory_keys = Device::generate_keys(&mut rng).public_keys();
    let mut wire =
        ember_proto::v1::DeviceLinkRequest::decode(request.to_bytes().as_slice()).unwrap();
    wire.device_signing_key = mallory_keys.signing.to_bytes().to_vec();
    wire.device_agreement_key = mallory_keys.agreement.as_bytes().to_vec();
    let tampered = LinkRequest::from_bytes(&wire.encode_to_vec()).unwrap();
    let (approving, offer) = ApproverLink::respond(&mut rng, &account, &tampered, NOW);
    let (_, reveal) = joining.receive_offer(&offer, NOW).unwrap();
    assert_eq!(
        approving.receive_reveal(&reveal, NOW).unwrap_err(),
        LinkError::BadReveal
    );

    // The server runs its own link with the approver (its keys, its commitment) and relays the
    // approver's offer to the new device: the commitments and keys differ, and so do the codes.
    let (joining, _request) = NewDeviceLink::start(&mut rng, NOW);
    let (mallory, mallory_request) = NewDeviceLink::start(&mut rng, NOW);
    let (approving, offer) = ApproverLink::respond(&mut rng, &account, &mallory_request, NOW);
    let (new_device, _) = joining.receive_offer(&offer, NOW).unwrap();
    let (_, mallory_reveal) = mallory.receive_offer(&offer, NOW).unwrap();
    let approver = approving.receive_reveal(&mallory_reveal, NOW).unwrap();
    assert_ne!(new_device.code().digits(), approver.code().digits());

    // A tampered offer nonce changes the new device's code.
    let (joining, request) = NewDeviceLink::start(&mut rng, NOW);
    let (approving, offer) = ApproverLink::respond(&mut rng, &account, &request, NOW);
    let mut wire = ember_proto::v1::DeviceLinkOffer::decode(offer.to_bytes().as_slice()).unwrap();
    wire.nonce[0] ^= 1;
    let tampered = LinkOffer::from_bytes(&wire.encode_to_vec()).unwrap();
    let (new_device, reveal) = joining.receive_offer(&tampered, NOW).unwrap();
    let approver = approving.receive_reveal(&reveal, NOW).unwrap();
    assert_ne!(new_device.code().digits(), approver.code().digits());
}

#[test]
fn a_replayed_or_late_reveal_is_refused() {
    let mut rng = seeded(4);
    let account = Account::generate(&mut rng);

    // A reveal from an earlier link does not open a later link's commitment.
    let (joining, request) = NewDeviceLink::start(&mut rng, NOW);
    let (_, offer) = ApproverLink::respond(&mut rng, &account, &request, NOW);
    let (_, old_reveal) = joining.receive_offer(&offer, NOW).unwrap();
    let (_, request) = NewDeviceLink::start(&mut rng, NOW);
    let (approving, _) = ApproverLink::respond(&mut rng, &account, &request, NOW);
    assert_eq!(
        approving.receive_reveal(&old_reveal, NOW).unwrap_err(),
        LinkError::BadReveal
    );

    // The right reveal, too late.
    let (joining, request) = NewDeviceLink::start(&mut rng, NOW);
    let (approving, offer) = ApproverLink::respond(&mut rng, &account, &request, NOW);
    let (_, reveal) = joining.receive_offer(&offer, NOW).unwrap();
    let late = later(LINK_TIMEOUT_SECS + 1);
    assert_eq!(
        approving.receive_reveal(&reveal, late).unwrap_err(),
        LinkError::Expired {
            elapsed: LINK_TIMEOUT_SECS + 1,
            max: LINK_TIMEOUT_SECS
        }
    );

    // A late offer, and a confirmation after the window, are refused as well.
    let (joining, request) = NewDeviceLink::start(&mut rng, NOW);
    let (_, offer) = ApproverLink::respond(&mut rng, &account, &request, NOW);
    assert!(matches!(
        joining.receive_offer(&offer, late),
        Err(LinkError::Expired { .. })
    ));
    let mut account = account;
    let linked = link(&mut rng, &account);
    assert!(matches!(
        linked
            .approver
            .confirm(true, &mut account, later(LINK_TIMEOUT_SECS + 10)),
        Err(LinkError::Expired { .. })
    ));
}

#[test]
fn the_new_device_accepts_only_the_confirmed_accounts_certificate() {
    let mut rng = seeded(5);
    let mut account = Account::generate(&mut rng);
    let mut mallory = Account::generate(&mut rng);
    let linked = link(&mut rng, &account);
    let keys = *linked.approver.keys();
    let confirmed = linked.new_device.confirm(true).unwrap();
    // Another account certifies the very keys: refused.
    let forged = mallory.certify_device(&keys, NOW);
    assert_eq!(
        confirmed.finish(forged, &mut rng, NOW).unwrap_err(),
        LinkError::Certificate(CertificateError::UntrustedAccount)
    );

    // The right account, but a certificate for other keys: refused.
    let linked = link(&mut rng, &account);
    let other = account.new_device(&mut rng, NOW);
    let confirmed = linked.new_device.confirm(true).unwrap();
    assert_eq!(
        confirmed
            .finish(other.certificate().clone(), &mut rng, NOW)
            .unwrap_err(),
        LinkError::Certificate(CertificateError::KeyMismatch)
    );

    // The approver refuses to sign with an account other than the one it offered.
    let linked = link(&mut rng, &account);
    assert_eq!(
        linked
            .approver
            .confirm(true, &mut mallory, NOW)
            .unwrap_err(),
        LinkError::WrongAccount
    );
}

#[test]
fn malformed_link_messages_are_refused() {
    let mut rng = seeded(6);
    let account = Account::generate(&mut rng);
    let (_, request) = NewDeviceLink::start(&mut rng, NOW);
    let bytes = request.to_bytes();
    assert!(LinkRequest::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert!(LinkRequest::from_bytes(&[0xff; 300]).is_err());
    let mut wire = ember_proto::v1::DeviceLinkRequest::decode(bytes.as_slice()).unwrap();
    wire.version = 2;
    assert_eq!(
        LinkRequest::from_bytes(&wire.encode_to_vec()),
        Err(LinkError::Decode(DecodeError::UnsupportedVersion(2)))
    );
    let (_, offer) = ApproverLink::respond(&mut rng, &account, &request, NOW);
    let mut wire = ember_proto::v1::DeviceLinkOffer::decode(offer.to_bytes().as_slice()).unwrap();
    wire.nonce.pop();
    assert!(matches!(
        LinkOffer::from_bytes(&wire.encode_to_vec()),
        Err(LinkError::Decode(DecodeError::BadLength {
            field: "nonce",
            ..
        }))
    ));
    assert!(LinkReveal::from_bytes(&[]).is_err());
}

// ---------------------------------------------------------------------------------------------
// Recovery
// ---------------------------------------------------------------------------------------------

#[test]
fn recovery_words_and_qr_round_trip() {
    let mut rng = seeded(7);
    let account = Account::generate(&mut rng);
    let key = account.recovery_key().unwrap();
    let words = key.to_words();
    assert_eq!(words.split(' ').count(), RECOVERY_WORDS);
    assert_eq!(&RecoveryKey::from_words(&words).unwrap(), key);
    // Any whitespace, any case, and four-letter abbreviations.
    let sloppy: String = words
        .split(' ')
        .enumerate()
        .map(|(i, word)| {
            let word = if i % 2 == 0 {
                &word[..word.len().min(4)]
            } else {
                word
            };
            format!("  {}\n", word.to_uppercase())
        })
        .collect();
    assert_eq!(&RecoveryKey::from_words(&sloppy).unwrap(), key);

    let qr = key.to_qr_payload();
    assert_eq!(qr.len(), RECOVERY_QR_LEN);
    assert_eq!(&RecoveryKey::from_qr_payload(&qr).unwrap(), key);
    assert_eq!(format!("{key:?}"), "RecoveryKey(..)");
}

#[test]
fn recovery_words_errors() {
    let mut rng = seeded(8);
    let key = RecoveryKey::generate(&mut rng);
    let words: Vec<String> = key.to_words().split(' ').map(String::from).collect();

    let mut unknown = words.clone();
    unknown[5] = "bitcoinz".into();
    assert_eq!(
        RecoveryKey::from_words(&unknown.join(" ")).unwrap_err(),
        RecoveryError::UnknownWord { index: 5 }
    );

    // Another word of the list in place of one: the checksum catches it (a byte of checksum
    // lets 1 in 256 of such mistakes through, so try until one is caught).
    let list: Vec<String> = RecoveryKey::from_bytes(&mut [0x7f; 32])
        .to_words()
        .split(' ')
        .map(String::from)
        .collect();
    let mut caught = 0;
    for replacement in list.iter().take(8) {
        let mut wrong = words.clone();
        if wrong[0] == *replacement {
            continue;
        }
        wrong[0] = replacement.clone();
        if RecoveryKey::from_words(&wrong.join(" ")) == Err(RecoveryError::BadChecksum) {
            caught += 1;
        }
    }
    assert!(caught >= 6, "{caught}");

    // Two words swapped.
    let mut swapped = words.clone();
    swapped.swap(0, 23);
    if swapped != words {
        assert_eq!(
            RecoveryKey::from_words(&swapped.join(" ")).unwrap_err(),
            RecoveryError::BadChecksum
        );
    }

    assert_eq!(
        RecoveryKey::from_words(&words[..23].join(" ")).unwrap_err(),
        RecoveryError::WrongLength {
            got: 23,
            expected: RECOVERY_WORDS
        }
    );
    assert!(matches!(
        RecoveryKey::from_words(&"abandon ".repeat(200)),
        Err(RecoveryError::TooLong { .. })
    ));

    let qr = key.to_qr_payload();
    let mut bad = qr.to_vec();
    bad[10] ^= 1;
    assert_eq!(
        RecoveryKey::from_qr_payload(&bad).unwrap_err(),
        RecoveryError::BadChecksum
    );
    let mut bad = qr.to_vec();
    bad[0] = 9;
    assert_eq!(
        RecoveryKey::from_qr_payload(&bad).unwrap_err(),
        RecoveryError::UnsupportedVersion(9)
    );
    assert_eq!(
        RecoveryKey::from_qr_payload(&qr[..36]).unwrap_err(),
        RecoveryError::WrongLength {
            got: 36,
            expected: RECOVERY_QR_LEN
        }
    );
}

#[test]
fn recovery_restores_the_same_root_key_and_account_id() {
    let mut rng = seeded(9);
    let mut account = Account::generate(&mut rng);
    let phone = account.new_device(&mut rng, NOW);
    let words = account.recovery_key().unwrap().to_words();

    let restored = Account::from_recovery_key(&RecoveryKey::from_words(&words).unwrap());
    assert_eq!(restored.id(), account.id());
    assert_eq!(restored.public_key(), account.public_key());
    assert_eq!(
        phone.certificate().check_account(&restored.public_key()),
        Ok(())
    );
    let other = Account::from_recovery_key(&RecoveryKey::generate(&mut rng));
    assert_ne!(other.id(), account.id());

    // The snapshot keeps the recovery key; one that forgot it no longer holds it.
    let key = SnapshotKey::from_bytes(&mut [3; 32]);
    let opened = Account::open(&key, &account.seal(&key, &mut rng).unwrap()).unwrap();
    assert_eq!(opened.recovery_key(), account.recovery_key());
    assert_eq!(opened.public_identity(), account.public_identity());
    account.forget_recovery_key();
    let opened = Account::open(&key, &account.seal(&key, &mut rng).unwrap()).unwrap();
    assert!(opened.recovery_key().is_none());
    assert_eq!(opened.public_identity(), restored.public_identity());
    assert!(!format!("{opened:?}").contains("RecoveryKey"));
}

#[test]
fn a_snapshot_whose_recovery_key_does_not_derive_its_root_key_is_refused() {
    use ember_core::crypto::aead;
    let mut rng = seeded(10);
    let account = Account::generate(&mut rng);
    let other = RecoveryKey::generate(&mut rng);
    let snapshot_key = [4u8; 32];
    let sealed = account
        .seal(
            &SnapshotKey::from_bytes(&mut snapshot_key.clone()),
            &mut rng,
        )
        .unwrap();
    let (header, rest) = sealed.split_at(6);
    let (nonce, body) = rest.split_at(aead::NONCE_LEN);
    let nonce: [u8; 12] = nonce.try_into().unwrap();
    let state = aead::open(&snapshot_key, &nonce, header, body).unwrap();
    let mut state = ember_proto::v1::AccountState::decode(state.as_slice()).unwrap();
    state.recovery_key = other.to_qr_payload()[1..33].to_vec();
    let body = aead::seal(&snapshot_key, &nonce, header, &state.encode_to_vec()).unwrap();
    let resealed = [header, &nonce, &body].concat();
    assert_eq!(
        Account::open(
            &SnapshotKey::from_bytes(&mut snapshot_key.clone()),
            &resealed
        )
        .unwrap_err(),
        SnapshotError::Decode(DecodeError::OutOfRange("recovery_key"))
    );
}

#[test]
fn a_recovery_certified_device_is_accepted() {
    let mut rng = seeded(11);
    let mut account = Account::generate(&mut rng);
    let lost_phone = account.new_device(&mut rng, NOW);
    let list = account
        .device_list(1, [lost_phone.certificate()], NOW)
        .unwrap();
    let words = account.recovery_key().unwrap().to_words();
    let public = account.public_identity();
    drop(account);

    // Every device is lost; the user types the words on a new phone.
    let keys = Device::generate_keys(&mut rng);
    let recovery = RecoveryKey::from_words(&words).unwrap();
    let (certificate, new_list) =
        Account::certify_with_recovery(&recovery, &keys.public_keys(), Some(&list), later(60))
            .unwrap();
    let new_phone = Device::new(keys, certificate, &mut rng, later(60)).unwrap();
    assert_eq!(new_phone.certificate().check_account(&public.key), Ok(()));
    // A device id never issued before, and a list one version up that names it.
    assert_eq!(new_phone.certificate().device_id(), DeviceId(2));
    let seen = VerifiedDeviceList::verify(&new_list.to_bytes(), &public).unwrap();
    assert_eq!(seen.version(), 2);
    assert!(seen.contains(new_phone.certificate()));
    assert!(seen.contains(lost_phone.certificate()));

    // A peer that has applied the old list now talks to the new phone.
    let alice = Account::generate(&mut rng).new_device(&mut rng, NOW);
    let mut book = SessionBook::new();
    book.apply_device_list(&list).unwrap();
    assert_eq!(
        book.start(&mut rng, &alice, &bundle(&new_phone)),
        Err(BookError::DeviceNotListed {
            device: new_phone.address()
        })
    );
    book.apply_device_list(&seen).unwrap();
    book.start(&mut rng, &alice, &bundle(&new_phone)).unwrap();

    // Without a list, the recovered account starts one.
    let keys = Device::generate_keys(&mut rng);
    let (certificate, first) =
        Account::certify_with_recovery(&recovery, &keys.public_keys(), None, NOW).unwrap();
    assert_eq!(first.version(), 1);
    assert_eq!(first.len(), 1);
    assert!(first.contains(&certificate));
}

// ---------------------------------------------------------------------------------------------
// Device lists and revocation
// ---------------------------------------------------------------------------------------------

#[test]
fn revocation_stops_encryption_to_the_device_and_drops_its_session() {
    let mut rng = seeded(12);
    let mut alice_account = Account::generate(&mut rng);
    let mut bob_account = Account::generate(&mut rng);
    let alice = alice_account.new_device(&mut rng, NOW);
    let bob_phone = bob_account.new_device(&mut rng, NOW);
    let mut bob_laptop = bob_account.new_device(&mut rng, NOW);
    let list = bob_account
        .device_list(1, [bob_phone.certificate(), bob_laptop.certificate()], NOW)
        .unwrap();
    let bob = bob_account.public_identity();

    let mut book = SessionBook::new();
    let seen = VerifiedDeviceList::verify(&list.to_bytes(), &bob).unwrap();
    assert_eq!(book.apply_device_list(&seen).unwrap(), []);
    book.start(&mut rng, &alice, &bundle(&bob_phone)).unwrap();
    book.start(&mut rng, &alice, &bundle(&bob_laptop)).unwrap();
    let out = book
        .encrypt_for_account(&mut rng, &alice, bob.id, b"both")
        .unwrap();
    assert_eq!(out.len(), 2);
    // Bob's laptop takes the message (so it holds a session with Alice).
    let mut laptop_book = SessionBook::new();
    let envelope = &out
        .iter()
        .find(|o| o.to == bob_laptop.address())
        .unwrap()
        .envelope;
    laptop_book
        .decrypt(&mut bob_laptop, alice.address(), envelope)
        .unwrap();
    let reply = laptop_book
        .send_to(&mut rng, &[alice.address()], b"reply")
        .unwrap();

    // The laptop is stolen: Bob's phone account revokes it.
    let revoked = bob_account
        .revoke_device(&list, bob_laptop.certificate().device_id(), later(5))
        .unwrap();
    let seen = VerifiedDeviceList::verify(&revoked.to_bytes(), &bob).unwrap();
    assert_eq!(
        book.apply_device_list(&seen).unwrap(),
        [bob_laptop.address()]
    );
    assert!(book.session(&bob_laptop.address()).is_none());
    let out = book
        .encrypt_for_account(&mut rng, &alice, bob.id, b"phone only")
        .unwrap();
    assert_eq!(
        out.iter().map(|o| o.to).collect::<Vec<_>>(),
        [bob_phone.address()]
    );
    assert_eq!(
        book.send_to(&mut rng, &[bob_laptop.address()], b"x"),
        Err(BookError::MissingSession {
            to: bob_laptop.address()
        })
    );
    // The thief can neither get a new session started with the laptop, nor start one from it,
    // nor continue the old one.
    assert_eq!(
        book.start(&mut rng, &alice, &bundle(&bob_laptop)),
        Err(BookError::DeviceNotListed {
            device: bob_laptop.address()
        })
    );
    let mut alice_device = alice;
    assert_eq!(
        book.decrypt(&mut alice_device, bob_laptop.address(), &reply[0].envelope),
        Err(BookError::UnknownSender)
    );
    let mut thief_book = SessionBook::new();
    thief_book
        .start(&mut rng, &bob_laptop, &bundle(&alice_device))
        .unwrap();
    let initial = thief_book
        .send_to(&mut rng, &[alice_device.address()], b"it's me")
        .unwrap();
    let prekeys_before = alice_device.one_time_prekey_count();
    assert_eq!(
        book.decrypt(
            &mut alice_device,
            bob_laptop.address(),
            &initial[0].envelope
        ),
        Err(BookError::DeviceNotListed {
            device: bob_laptop.address()
        })
    );
    assert_eq!(alice_device.one_time_prekey_count(), prekeys_before);

    // A device with the laptop's id but not the listed certificate is not trusted either.
    let mut forged = bob_account.new_device(&mut rng, NOW);
    assert!(!seen.contains(forged.certificate()));
    assert_eq!(
        book.start(&mut rng, &alice_device, &bundle(&forged)),
        Err(BookError::DeviceNotListed {
            device: forged.address()
        })
    );
    forged.generate_one_time_prekeys(&mut rng, 1);

    // The book keeps the list across a snapshot.
    let key = SnapshotKey::from_bytes(&mut [9; 32]);
    let reopened = SessionBook::open(&key, &book.seal(&key, &mut rng).unwrap()).unwrap();
    assert_eq!(reopened.device_list(bob.id), Some(&seen));
    let mut reopened = reopened;
    assert_eq!(
        reopened.start(&mut rng, &alice_device, &bundle(&bob_laptop)),
        Err(BookError::DeviceNotListed {
            device: bob_laptop.address()
        })
    );
    assert_eq!(
        reopened.apply_device_list(&list),
        Err(BookError::StaleDeviceList { got: 1, current: 2 })
    );
}

#[test]
fn device_list_rollback_is_refused() {
    let mut rng = seeded(13);
    let mut account = Account::generate(&mut rng);
    let phone = account.new_device(&mut rng, NOW);
    let laptop = account.new_device(&mut rng, NOW);
    let v1 = account
        .device_list(1, [phone.certificate(), laptop.certificate()], NOW)
        .unwrap();
    let v2 = account
        .revoke_device(&v1, laptop.certificate().device_id(), NOW)
        .unwrap();
    let mut book = SessionBook::new();
    book.apply_device_list(&v2).unwrap();
    // Replaying the list from before the revocation.
    assert_eq!(
        book.apply_device_list(&v1),
        Err(BookError::StaleDeviceList { got: 1, current: 2 })
    );
    // The same version with other contents (the account equivocating, or a forged re-issue).
    let v2_other = account
        .device_list(2, [phone.certificate(), laptop.certificate()], NOW)
        .unwrap();
    assert_eq!(
        book.apply_device_list(&v2_other),
        Err(BookError::StaleDeviceList { got: 2, current: 2 })
    );
    // The same list again is harmless.
    assert_eq!(book.apply_device_list(&v2), Ok(vec![]));
    assert_eq!(book.device_list(account.id()).unwrap().version(), 2);
    assert_eq!(
        v1.check_update(&v2),
        Err(DeviceListError::Stale { got: 1, current: 2 })
    );
}

#[test]
fn device_lists_verify_only_under_the_trusted_account() {
    let mut rng = seeded(14);
    let mut account = Account::generate(&mut rng);
    let mallory = Account::generate(&mut rng);
    let phone = account.new_device(&mut rng, NOW);
    let list = account.device_list(1, [phone.certificate()], NOW).unwrap();
    let bytes = list.to_bytes();
    assert_eq!(
        VerifiedDeviceList::verify(&bytes, &mallory.public_identity()),
        Err(DeviceListError::UntrustedAccount)
    );
    // Mallory re-signs Alice's list body with her key: it names Alice's key, so it fails.
    let mut wire = ember_proto::v1::DeviceList::decode(bytes.as_slice()).unwrap();
    wire.signature[0] ^= 1;
    assert_eq!(
        VerifiedDeviceList::verify(&wire.encode_to_vec(), &account.public_identity()),
        Err(DeviceListError::BadSignature)
    );
    // Revoking a device not in the list, and a list of another account, are refused.
    assert_eq!(
        account.revoke_device(&list, DeviceId(7), NOW),
        Err(DeviceListError::NotListed {
            device: DeviceId(7)
        })
    );
    let foreign = mallory.device_list(1, [], NOW).unwrap();
    assert_eq!(
        account.revoke_device(&foreign, DeviceId(1), NOW),
        Err(DeviceListError::UntrustedAccount)
    );
    // Adding devices up to the bound.
    let mut current = list;
    while current.len() < MAX_LISTED_DEVICES {
        let device = account.new_device(&mut rng, NOW);
        current = account
            .add_to_device_list(&current, device.certificate(), NOW)
            .unwrap();
    }
    let one_more = account.new_device(&mut rng, NOW);
    assert!(matches!(
        account.add_to_device_list(&current, one_more.certificate(), NOW),
        Err(DeviceListError::TooManyDevices { .. })
    ));
    assert_eq!(current.version(), MAX_LISTED_DEVICES as u64);
    let seen = VerifiedDeviceList::verify(&current.to_bytes(), &account.public_identity()).unwrap();
    assert_eq!(seen, current);
}

// ---------------------------------------------------------------------------------------------
// Directory entries
// ---------------------------------------------------------------------------------------------

struct Network {
    id: NetworkId,
    key: NetworkKey,
}

fn network(rng: &mut ChaCha20Rng) -> Network {
    Network {
        id: NetworkId::generate(rng),
        key: NetworkKey::generate(rng),
    }
}

fn entry(
    network: &Network,
    account: &Account,
    status: DirectoryStatus,
    version: u64,
) -> DirectoryEntry {
    DirectoryEntry {
        network: network.id,
        handle: "alice@example.com".into(),
        account: account.public_identity(),
        status,
        version,
        issued_at: NOW,
    }
}

#[test]
fn directory_entries_verify_under_their_network_only() {
    let mut rng = seeded(15);
    let corp = network(&mut rng);
    let other = network(&mut rng);
    let mut alice = Account::generate(&mut rng);
    let mallory = Account::generate(&mut rng);
    let phone = alice.new_device(&mut rng, NOW);

    let signed = entry(&corp, &alice, DirectoryStatus::Active, 1)
        .sign(&corp.key)
        .unwrap();
    let bytes = signed.to_bytes();
    let verified = VerifiedDirectoryEntry::verify(&bytes, corp.id, &corp.key.public_key()).unwrap();
    assert_eq!(verified, signed);
    assert_eq!(verified.entry().handle, "alice@example.com");
    assert_eq!(verified.trusted_account(), Ok(alice.public_identity()));
    assert_eq!(verified.check_certificate(phone.certificate()), Ok(()));
    let mut mallory_device_account = mallory;
    let mallory_phone = mallory_device_account.new_device(&mut rng, NOW);
    assert_eq!(
        verified.check_certificate(mallory_phone.certificate()),
        Err(DirectoryError::UntrustedAccount)
    );

    // Every altered byte is refused.
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x08;
        assert!(
            VerifiedDirectoryEntry::verify(&bad, corp.id, &corp.key.public_key()).is_err(),
            "byte {i}"
        );
    }
    // Another network's key, or an entry of another network signed by its own key.
    assert_eq!(
        VerifiedDirectoryEntry::verify(&bytes, corp.id, &other.key.public_key()).unwrap_err(),
        DirectoryError::BadSignature
    );
    let foreign = DirectoryEntry {
        network: other.id,
        ..entry(&corp, &mallory_device_account, DirectoryStatus::Active, 1)
    }
    .sign(&corp.key)
    .unwrap();
    assert_eq!(
        VerifiedDirectoryEntry::verify(&foreign.to_bytes(), corp.id, &corp.key.public_key())
            .unwrap_err(),
        DirectoryError::WrongNetwork
    );
}

#[test]
fn suspended_stale_and_malformed_directory_entries_are_refused() {
    let mut rng = seeded(16);
    let corp = network(&mut rng);
    let mut alice = Account::generate(&mut rng);
    let phone = alice.new_device(&mut rng, NOW);
    let verify = |signed: &VerifiedDirectoryEntry| {
        VerifiedDirectoryEntry::verify(&signed.to_bytes(), corp.id, &corp.key.public_key())
    };

    let active = verify(
        &entry(&corp, &alice, DirectoryStatus::Active, 1)
            .sign(&corp.key)
            .unwrap(),
    )
    .unwrap();
    let suspended = verify(
        &entry(&corp, &alice, DirectoryStatus::Suspended, 2)
            .sign(&corp.key)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        suspended.check_certificate(phone.certificate()),
        Err(DirectoryError::Inactive {
            status: DirectoryStatus::Suspended
        })
    );
    assert_eq!(suspended.check_update(&active), Ok(()));
    // Replaying the active entry after the suspension.
    assert_eq!(
        active.check_update(&suspended),
        Err(DirectoryError::Stale { got: 1, current: 2 })
    );
    let deleted = verify(
        &entry(&corp, &alice, DirectoryStatus::Deleted, 3)
            .sign(&corp.key)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        deleted.trusted_account(),
        Err(DirectoryError::Inactive {
            status: DirectoryStatus::Deleted
        })
    );
    assert_eq!(active.check_fresh(later(100), 100), Ok(()));
    assert_eq!(
        active.check_fresh(later(101), 100),
        Err(DirectoryError::Expired { age: 101, max: 100 })
    );

    let mut long = entry(&corp, &alice, DirectoryStatus::Active, 1);
    long.handle = "a".repeat(MAX_HANDLE_LEN + 1);
    assert_eq!(
        long.sign(&corp.key).unwrap_err(),
        DirectoryError::BadHandle {
            len: MAX_HANDLE_LEN + 1
        }
    );
    let mut empty = entry(&corp, &alice, DirectoryStatus::Active, 1);
    empty.handle.clear();
    assert!(matches!(
        empty.sign(&corp.key),
        Err(DirectoryError::BadHandle { len: 0 })
    ));
    assert_eq!(
        entry(&corp, &alice, DirectoryStatus::Active, 0)
            .sign(&corp.key)
            .unwrap_err(),
        DirectoryError::ZeroVersion
    );

    // A status the network signed but this version does not know is refused, not defaulted.
    let mut body = ember_proto::v1::DirectoryEntryBody::decode(
        ember_proto::v1::DirectoryEntry::decode(active.to_bytes().as_slice())
            .unwrap()
            .body
            .as_slice(),
    )
    .unwrap();
    body.status = 9;
    let body = body.encode_to_vec();
    let signature = corp.key.sign(b"ember/v1/directory-entry\0", &body);
    let unknown = ember_proto::v1::DirectoryEntry {
        body,
        signature: signature.as_bytes().to_vec(),
    };
    assert_eq!(
        VerifiedDirectoryEntry::verify(&unknown.encode_to_vec(), corp.id, &corp.key.public_key())
            .unwrap_err(),
        DirectoryError::Decode(DecodeError::OutOfRange("status"))
    );
}
