//! Compiles the `.proto` files with protox (pure Rust), so no system `protoc` is needed.

/// The messages of `state.proto` that hold secrets.
const SECRET_STATE: [&str; 19] = [
    "AccountState",
    "SignedPreKeySecret",
    "OneTimePreKeySecret",
    "DeviceState",
    "ChainState",
    "SkippedKey",
    "Handshake",
    "SessionState",
    "SessionBookEntry",
    "SessionBookState",
    "RoomChainState",
    "RoomPeerChains",
    "RoomSkippedKey",
    "RoomState",
    "ComplianceCopy",
    "ArchiveRecord",
    "ArchivedMessage",
    "ArchivedFileChunk",
    "ArchivedGap",
];

fn main() -> Result<(), Box<dyn core::error::Error>> {
    let protos = [
        "ember/v1/wire.proto",
        "ember/v1/content.proto",
        "ember/v1/room.proto",
        "ember/v1/state.proto",
        "ember/v1/policy.proto",
        "ember/v1/federation.proto",
        "ember/v1/retention.proto",
        "ember/v1/atak.proto",
        "ember/v1/identity.proto",
    ];
    for proto in protos {
        println!("cargo:rerun-if-changed=proto/{proto}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    let mut config = prost_build::Config::new();
    // Public messages that sit inside stored state, which is wiped on drop.
    for public in ["DeviceCertificate", "RoomMember"] {
        config.type_attribute(
            format!(".ember.v1.{public}"),
            "#[derive(::zeroize::Zeroize)]",
        );
    }
    // Stored state holds secrets: wipe it when dropped.
    for message in SECRET_STATE {
        config.type_attribute(
            format!(".ember.v1.{message}"),
            "#[derive(::zeroize::Zeroize, ::zeroize::ZeroizeOnDrop)]",
        );
    }
    config.compile_fds(descriptors)?;
    Ok(())
}
