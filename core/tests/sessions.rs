//! API tests of 1:1 sessions, fan-out and snapshots, through the public interface only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ember_core::Timestamp;
use ember_core::error::{AcceptError, BookError, DecryptError, SnapshotError};
use ember_core::identity::{Account, Device};
use ember_core::prekeys::PreKeyBundle;
use ember_core::session::{Session, SessionBook};
use ember_core::snapshot::SnapshotKey;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: Timestamp = Timestamp(1_700_000_000);

fn seeded(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn device(rng: &mut ChaCha20Rng) -> Device {
    let mut device = Account::generate(rng).new_device(rng, NOW);
    device.generate_one_time_prekeys(rng, 5);
    device
}

fn bundle(device: &Device) -> PreKeyBundle {
    PreKeyBundle::from_bytes(&device.prekey_bundle().to_bytes()).unwrap()
}

fn pair(rng: &mut ChaCha20Rng) -> (Device, Device, Session, Session) {
    let alice = device(rng);
    let mut bob = device(rng);
    let mut to_bob = Session::initiate(rng, &alice, &bundle(&bob)).unwrap();
    let first = to_bob.encrypt(rng, b"first").unwrap();
    let (to_alice, plaintext) = Session::accept(&mut bob, &first).unwrap();
    assert_eq!(plaintext, b"first");
    (alice, bob, to_bob, to_alice)
}

#[test]
fn one_time_prekey_is_consumed_once_and_only_on_success() {
    let mut rng = seeded(1);
    let alice = device(&mut rng);
    let mut bob = device(&mut rng);
    let mut to_bob = Session::initiate(&mut rng, &alice, &bundle(&bob)).unwrap();
    let first = to_bob.encrypt(&mut rng, b"hello").unwrap();

    let mut tampered = first.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        Session::accept(&mut bob, &tampered).unwrap_err(),
        AcceptError::Decrypt(DecryptError::BadTag)
    );
    assert_eq!(bob.one_time_prekey_count(), 5);

    let (_, plaintext) = Session::accept(&mut bob, &first).unwrap();
    assert_eq!(plaintext, b"hello");
    assert_eq!(bob.one_time_prekey_count(), 4);
    assert!(matches!(
        Session::accept(&mut bob, &first),
        Err(AcceptError::UnknownOneTimePreKey { .. })
    ));
}

#[test]
fn out_of_order_duplicates_and_replies() {
    let mut rng = seeded(2);
    let (_, _, mut to_bob, mut to_alice) = pair(&mut rng);
    let messages: Vec<Vec<u8>> = (0..10)
        .map(|i| to_bob.encrypt(&mut rng, &[i]).unwrap())
        .collect();
    for i in [3usize, 0, 9, 1, 2, 8, 4, 7, 6, 5] {
        assert_eq!(to_alice.decrypt(&messages[i]).unwrap(), [i as u8]);
    }
    for message in &messages {
        assert!(matches!(
            to_alice.decrypt(message),
            Err(DecryptError::Duplicate { .. })
        ));
    }
    // The handshake-carrying messages stop once Bob replied.
    assert!(!to_bob.is_acknowledged());
    let reply = to_alice.encrypt(&mut rng, b"reply").unwrap();
    assert_eq!(to_bob.decrypt(&reply).unwrap(), b"reply");
    assert!(to_bob.is_acknowledged());
    assert!(matches!(
        to_bob.decrypt(&reply),
        Err(DecryptError::Duplicate { counter: 0 })
    ));
}

#[test]
fn a_failed_decrypt_leaves_the_session_unchanged() {
    let mut rng = seeded(3);
    let (_, _, mut to_bob, mut to_alice) = pair(&mut rng);
    let key = SnapshotKey::from_bytes(&mut [9; 32]);
    let _ = to_bob.encrypt(&mut rng, b"lost").unwrap();
    let reply = to_alice.encrypt(&mut rng, b"x").unwrap();
    let mut bad = to_bob.encrypt(&mut rng, b"later").unwrap();
    let last = bad.len() - 1;
    bad[last] ^= 0x80;
    let before = to_alice.seal(&key, &mut seeded(0)).unwrap();
    assert_eq!(to_alice.decrypt(&bad), Err(DecryptError::BadTag));
    assert_eq!(to_alice.seal(&key, &mut seeded(0)).unwrap(), before);
    assert_eq!(to_bob.decrypt(&reply).unwrap(), b"x");
}

#[test]
fn snapshots_round_trip_and_refuse_the_wrong_key_or_kind() {
    let mut rng = seeded(4);
    let (alice, _, mut to_bob, mut to_alice) = pair(&mut rng);
    let key = SnapshotKey::from_bytes(&mut [1; 32]);
    let sealed = to_alice.seal(&key, &mut rng).unwrap();
    let mut reopened = Session::open(&key, &sealed).unwrap();
    let message = to_bob.encrypt(&mut rng, b"after snapshot").unwrap();
    assert_eq!(reopened.decrypt(&message).unwrap(), b"after snapshot");
    assert!(to_alice.decrypt(&message).is_ok());

    let wrong = SnapshotKey::from_bytes(&mut [2; 32]);
    assert_eq!(
        Session::open(&wrong, &sealed).unwrap_err(),
        SnapshotError::BadKeyOrCorrupted
    );
    assert!(matches!(
        Device::open(&key, &sealed),
        Err(SnapshotError::WrongKind {
            expected: 2,
            got: 3
        })
    ));
    assert_eq!(
        Session::open(&key, &sealed[..20]).unwrap_err(),
        SnapshotError::BadLength
    );

    let device = Device::open(&key, &alice.seal(&key, &mut rng).unwrap()).unwrap();
    assert_eq!(device.certificate(), alice.certificate());
    assert_eq!(device.prekey_bundle(), alice.prekey_bundle());
}

#[test]
fn fan_out_reaches_every_device_of_both_accounts() {
    let mut rng = seeded(5);
    let mut alice_account = Account::generate(&mut rng);
    let mut bob_account = Account::generate(&mut rng);
    let alice_phone = alice_account.new_device(&mut rng, NOW);
    let mut alice_laptop = alice_account.new_device(&mut rng, NOW);
    let mut bob_phone = bob_account.new_device(&mut rng, NOW);
    let mut bob_laptop = bob_account.new_device(&mut rng, NOW);

    let mut book = SessionBook::new();
    for target in [&bob_phone, &bob_laptop, &alice_laptop] {
        book.start(&mut rng, &alice_phone, &bundle(target)).unwrap();
    }
    let out = book
        .encrypt_for_account(&mut rng, &alice_phone, bob_account.id(), b"to all")
        .unwrap();
    assert_eq!(out.len(), 3);
    let mut receivers = [
        (&mut bob_phone, SessionBook::new()),
        (&mut bob_laptop, SessionBook::new()),
        (&mut alice_laptop, SessionBook::new()),
    ];
    for outgoing in &out {
        let (device, their_book) = receivers
            .iter_mut()
            .find(|(device, _)| device.address() == outgoing.to)
            .unwrap();
        let plaintext = their_book
            .decrypt(device, alice_phone.address(), &outgoing.envelope)
            .unwrap();
        assert_eq!(plaintext, b"to all");
    }
    assert_eq!(
        book.encrypt_for_account(
            &mut rng,
            &alice_phone,
            ember_core::AccountId::from_bytes([0; 16]),
            b"x"
        ),
        Err(BookError::NoSession)
    );
}

#[test]
fn a_replayed_old_initial_message_does_not_destroy_the_live_session() {
    let mut rng = seeded(6);
    let alice = device(&mut rng);
    let mut bob = device(&mut rng);
    let no_one_time_prekeys = bundle(&bob).without_one_time_prekeys();
    let mut bob_book = SessionBook::new();

    // An old session, started without a one-time prekey (so its first message can be
    // replayed into a new session: the known X3DH limit).
    let mut old = Session::initiate(&mut rng, &alice, &no_one_time_prekeys).unwrap();
    let old_first = old.encrypt(&mut rng, b"old hello").unwrap();
    bob_book
        .decrypt(&mut bob, alice.address(), &old_first)
        .unwrap();

    // Alice starts afresh; the new session is acknowledged both ways.
    let mut live = Session::initiate(&mut rng, &alice, &bundle(&bob)).unwrap();
    let hello = live.encrypt(&mut rng, b"new hello").unwrap();
    assert_eq!(
        bob_book.decrypt(&mut bob, alice.address(), &hello).unwrap(),
        b"new hello"
    );

    // The replay reaches the old session, which the book still keeps, and is refused.
    assert_eq!(
        bob_book.decrypt(&mut bob, alice.address(), &old_first),
        Err(BookError::Decrypt(DecryptError::Duplicate { counter: 0 }))
    );
    let next = live.encrypt(&mut rng, b"still here").unwrap();
    assert_eq!(
        bob_book.decrypt(&mut bob, alice.address(), &next).unwrap(),
        b"still here"
    );
    let reply = bob_book
        .send_to(&mut rng, &[alice.address()], b"reply")
        .unwrap()
        .remove(0)
        .envelope;
    assert_eq!(live.decrypt(&reply).unwrap(), b"reply");
}

#[test]
fn simultaneous_initiation_converges_on_one_session() {
    let mut rng = seeded(7);
    let mut alice = device(&mut rng);
    let mut bob = device(&mut rng);
    let mut alice_book = SessionBook::new();
    let mut bob_book = SessionBook::new();
    alice_book.start(&mut rng, &alice, &bundle(&bob)).unwrap();
    bob_book.start(&mut rng, &bob, &bundle(&alice)).unwrap();
    let from_alice = alice_book
        .send_to(&mut rng, &[bob.address()], b"a1")
        .unwrap();
    let from_bob = bob_book
        .send_to(&mut rng, &[alice.address()], b"b1")
        .unwrap();
    assert_eq!(
        bob_book
            .decrypt(&mut bob, alice.address(), &from_alice[0].envelope)
            .unwrap(),
        b"a1"
    );
    assert_eq!(
        alice_book
            .decrypt(&mut alice, bob.address(), &from_bob[0].envelope)
            .unwrap(),
        b"b1"
    );
    for round in 0..4 {
        let text = format!("round {round}");
        let out = alice_book
            .send_to(&mut rng, &[bob.address()], text.as_bytes())
            .unwrap();
        assert_eq!(
            bob_book
                .decrypt(&mut bob, alice.address(), &out[0].envelope)
                .unwrap(),
            text.as_bytes()
        );
        let out = bob_book
            .send_to(&mut rng, &[alice.address()], text.as_bytes())
            .unwrap();
        assert_eq!(
            alice_book
                .decrypt(&mut alice, bob.address(), &out[0].envelope)
                .unwrap(),
            text.as_bytes()
        );
    }
}

#[test]
fn a_replay_of_a_forgotten_session_cannot_displace_the_live_one() {
    let mut rng = seeded(8);
    let alice = device(&mut rng);
    let mut bob = device(&mut rng);
    let mut bob_book = SessionBook::new();
    let mut old =
        Session::initiate(&mut rng, &alice, &bundle(&bob).without_one_time_prekeys()).unwrap();
    let old_first = old.encrypt(&mut rng, b"old hello").unwrap();
    bob_book
        .decrypt(&mut bob, alice.address(), &old_first)
        .unwrap();

    // Enough newer sessions that the book forgets the old one.
    let mut live = None;
    for i in 0..=ember_core::limits::MAX_PREVIOUS_SESSIONS {
        let mut session = Session::initiate(&mut rng, &alice, &bundle(&bob)).unwrap();
        let hello = session
            .encrypt(&mut rng, format!("hello {i}").as_bytes())
            .unwrap();
        bob_book.decrypt(&mut bob, alice.address(), &hello).unwrap();
        let reply = bob_book
            .send_to(&mut rng, &[alice.address()], b"ack")
            .unwrap();
        session.decrypt(&reply[0].envelope).unwrap();
        live = Some(session);
    }
    let mut live = live.unwrap();

    // Without a one-time prekey the replay is indistinguishable from a new session, so it is
    // accepted, but the live session stays in the book and takes over again.
    assert_eq!(
        bob_book
            .decrypt(&mut bob, alice.address(), &old_first)
            .unwrap(),
        b"old hello"
    );
    let next = live.encrypt(&mut rng, b"still here").unwrap();
    assert_eq!(
        bob_book.decrypt(&mut bob, alice.address(), &next).unwrap(),
        b"still here"
    );
    let reply = bob_book
        .send_to(&mut rng, &[alice.address()], b"reply")
        .unwrap();
    assert_eq!(live.decrypt(&reply[0].envelope).unwrap(), b"reply");
}
