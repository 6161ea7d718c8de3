//! An example conversation between two accounts with two devices each, printed step by step.
//!
//! Run it with `cargo run -p ember-core --example conversation`.
//!
//! Everything that a real messenger would send through its server (prekey bundles from the
//! directory, envelopes through the mailboxes) goes through a small in-memory `Network` here,
//! as bytes, so the example shows exactly what crosses the wire.
#![allow(clippy::expect_used)] // An example: a failure should stop it with a message.

use std::collections::BTreeMap;

use ember_core::identity::{Account, Device, safety_number};
use ember_core::prekeys::PreKeyBundle;
use ember_core::session::{Outgoing, SessionBook};
use ember_core::snapshot::SnapshotKey;
use ember_core::{DeviceAddress, Timestamp};

/// One device as the app on it holds it: its keys and its sessions.
struct Phone {
    name: &'static str,
    device: Device,
    sessions: SessionBook,
}

/// The server side: the prekey directory and the mailboxes, by device address.
#[derive(Default)]
struct Network {
    names: BTreeMap<DeviceAddress, &'static str>,
    directory: BTreeMap<DeviceAddress, Vec<u8>>,
    mailboxes: BTreeMap<DeviceAddress, Vec<(DeviceAddress, Vec<u8>)>>,
}

impl Network {
    fn publish(&mut self, phone: &Phone) {
        let bundle = phone.device.prekey_bundle().to_bytes();
        println!(
            "  {} publishes a prekey bundle ({} bytes)",
            phone.name,
            bundle.len()
        );
        self.names.insert(phone.device.address(), phone.name);
        self.directory.insert(phone.device.address(), bundle);
    }

    /// Hands out the bundle with a single one-time prekey, as a directory does.
    fn fetch(&mut self, address: &DeviceAddress) -> PreKeyBundle {
        let bytes = self
            .directory
            .get(address)
            .expect("device is in the directory");
        let bundle = PreKeyBundle::from_bytes(bytes).expect("the directory's bundles verify");
        let first_one_time_prekey = bundle.one_time_prekey_ids().next();
        match first_one_time_prekey {
            Some(id) => {
                let rest = bundle.without_one_time_prekey(id);
                self.directory.insert(*address, rest.to_bytes());
                bundle
                    .with_one_time_prekey(id)
                    .expect("the id is in the bundle")
            }
            None => bundle,
        }
    }

    fn post(&mut self, from: DeviceAddress, outgoing: Vec<Outgoing>) {
        for Outgoing { to, envelope } in outgoing {
            self.mailboxes.entry(to).or_default().push((from, envelope));
        }
    }
}

fn main() {
    let mut rng = rand::rng();
    let now = Timestamp(1_767_225_600);
    let mut net = Network::default();

    println!("1. Accounts and devices");
    let mut alice = Account::generate(&mut rng);
    let mut bob = Account::generate(&mut rng);
    let mut phones = Vec::new();
    for (name, is_alice) in [
        ("alice-phone", true),
        ("alice-laptop", true),
        ("bob-phone", false),
        ("bob-laptop", false),
    ] {
        let account = if is_alice { &mut alice } else { &mut bob };
        let mut device = account.new_device(&mut rng, now);
        device.generate_one_time_prekeys(&mut rng, 20);
        let address = device.address();
        println!(
            "  {name}: account {:?}, device {}",
            address.account, address.device.0
        );
        phones.push(Phone {
            name,
            device,
            sessions: SessionBook::new(),
        });
    }

    println!("2. Every device publishes its prekeys");
    for phone in &phones {
        net.publish(phone);
    }

    println!("3. Alice and Bob compare their safety number");
    let ours = safety_number(&alice.public_identity(), &bob.public_identity());
    let theirs = safety_number(&bob.public_identity(), &alice.public_identity());
    let groups: Vec<&str> = (0..12).map(|i| &ours.digits()[i * 5..i * 5 + 5]).collect();
    println!("  {}", groups.join(" "));
    println!(
        "  both sides match: {}",
        ours.matches_scanned(theirs.qr_payload())
    );

    println!("4. alice-phone writes to Bob: one envelope per device of Bob and of her own");
    send(
        &mut phones,
        &mut net,
        0,
        bob.id(),
        b"Hi Bob, lunch at noon?",
    );
    deliver_all(&mut phones, &mut net);

    println!("5. bob-laptop replies to Alice");
    send(
        &mut phones,
        &mut net,
        3,
        alice.id(),
        b"Noon works. See you there.",
    );
    deliver_all(&mut phones, &mut net);

    println!("6. A tampered envelope is refused and changes nothing");
    let from = phones[0].device.address();
    let to = phones[2].device.address();
    let Phone {
        device, sessions, ..
    } = &mut phones[0];
    let mut outgoing = sessions
        .encrypt_for_account(&mut rng, device, bob.id(), b"original")
        .expect("sessions exist");
    let envelope = &mut outgoing
        .iter_mut()
        .find(|o| o.to == to)
        .expect("bob-phone")
        .envelope;
    let last = envelope.len() - 1;
    envelope[last] ^= 0x01;
    let Phone {
        device, sessions, ..
    } = &mut phones[2];
    match sessions.decrypt(device, from, envelope) {
        Ok(_) => println!("  tampered envelope decrypted (this must never happen)"),
        Err(error) => println!("  bob-phone refuses it: {error}"),
    }
    envelope[last] ^= 0x01;
    let Phone {
        device, sessions, ..
    } = &mut phones[2];
    let plaintext = sessions
        .decrypt(device, from, envelope)
        .expect("the original decrypts");
    println!(
        "  the original still decrypts: {:?}",
        String::from_utf8_lossy(&plaintext)
    );

    println!("7. bob-phone seals its state and opens it again");
    let key = SnapshotKey::from_bytes(&mut [0x42; 32]);
    let phone = &mut phones[2];
    let sealed_device = phone.device.seal(&key, &mut rng).expect("device seals");
    let sealed_sessions = phone.sessions.seal(&key, &mut rng).expect("sessions seal");
    println!(
        "  sealed device: {} bytes, sealed sessions: {} bytes",
        sealed_device.len(),
        sealed_sessions.len()
    );
    phone.device = Device::open(&key, &sealed_device).expect("device opens");
    phone.sessions = SessionBook::open(&key, &sealed_sessions).expect("sessions open");

    println!("8. The conversation goes on after the restore");
    send(
        &mut phones,
        &mut net,
        2,
        alice.id(),
        b"Running five minutes late.",
    );
    deliver_all(&mut phones, &mut net);
}

/// Sends from `phones[sender]` to every device of `recipient` and the sender's other devices,
/// starting sessions from the directory where there are none yet.
fn send(
    phones: &mut [Phone],
    net: &mut Network,
    sender: usize,
    recipient: ember_core::AccountId,
    text: &[u8],
) {
    let mut rng = rand::rng();
    let own = phones[sender].device.address();
    let targets: Vec<DeviceAddress> = phones
        .iter()
        .map(|phone| phone.device.address())
        .filter(|a| a.account == recipient || (a.account == own.account && *a != own))
        .collect();
    let phone = &mut phones[sender];
    for target in targets {
        if phone.sessions.session(&target).is_none() {
            let bundle = net.fetch(&target);
            phone
                .sessions
                .start(&mut rng, &phone.device, &bundle)
                .expect("the bundle is usable");
            println!(
                "  {} starts a session with {}",
                phone.name, net.names[&target]
            );
        }
    }
    let outgoing = phone
        .sessions
        .encrypt_for_account(&mut rng, &phone.device, recipient, text)
        .expect("every target has a session");
    for o in &outgoing {
        println!(
            "  {} -> {}: {} bytes",
            phone.name,
            net.names[&o.to],
            o.envelope.len()
        );
    }
    net.post(own, outgoing);
}

/// Delivers every mailbox in reverse order, to show that order does not matter.
fn deliver_all(phones: &mut [Phone], net: &mut Network) {
    for phone in phones.iter_mut() {
        let mut mail = net
            .mailboxes
            .remove(&phone.device.address())
            .unwrap_or_default();
        mail.reverse();
        for (from, envelope) in mail {
            let plaintext = phone
                .sessions
                .decrypt(&mut phone.device, from, &envelope)
                .expect("delivered envelopes decrypt");
            println!(
                "  {} reads from {}: {:?}",
                phone.name,
                net.names[&from],
                String::from_utf8_lossy(&plaintext)
            );
        }
    }
}
