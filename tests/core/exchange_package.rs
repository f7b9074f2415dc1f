//! The package container, keys, stick writer and enrolment documents of the USB exchange
//! (SYNC.md §3.5–3.7, §3.10), tested against the failure cases of SYNC.md §5 that live at this
//! layer. Tests are named after their case number.

use std::collections::{BTreeMap, HashMap};
use std::io::ErrorKind;
use std::path::Path;

use giamngheo_core::exchange::{
    build_package, fingerprint, new_node_id, open_package, open_package_file, package_file_name,
    peek_header, remove_stale_tmp, write_package, write_package_with, CertificateAssignment,
    DeviceCertificate, DeviceRole, Disposition, EnrolmentRequest, FaultPlan, FaultyIo, KeyRollover,
    KnownSender, Limits, LocalNode, NodeKeys, OpenedPackage, PackageError, PackageKind,
    PackagePayload, PackageSpec, RealIo, Section, SenderTrust,
};
use sha2::{Digest, Sha256};

const SCHEMA: u32 = 2;
const NAME: &str = "Nguyễn Thị Hoa";
const NAME_ASCII: &str = "Nguyen Thi Hoa";
const ID_NUMBER: &str = "001085012345";

struct Node {
    id: String,
    keys: NodeKeys,
}

impl Node {
    /// Node ids shaped like the ledger's (UUIDv7 strings).
    fn new() -> Self {
        let h = new_node_id();
        let id = format!(
            "{}-{}-7{}-8{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        );
        Node {
            id,
            keys: NodeKeys::generate(),
        }
    }
    fn recipient(&self) -> String {
        self.keys.public().enc_recipient
    }
    fn local(&self) -> LocalNode<'_> {
        LocalNode {
            node_id: &self.id,
            keys: &self.keys,
            also_receive_for: &[],
        }
    }
}

/// The office, a commune officer, two reviewers, and a second office elsewhere.
struct World {
    office: Node,
    officer: Node,
    reviewer: Node,
    reviewer_b: Node,
    other_office: Node,
    /// What the office knows: node → (sender entry).
    known: HashMap<String, KnownSender>,
}

impl World {
    fn new() -> Self {
        let (office, officer, reviewer, reviewer_b, other_office) = (
            Node::new(),
            Node::new(),
            Node::new(),
            Node::new(),
            Node::new(),
        );
        let mut known = HashMap::new();
        known.insert(
            office.id.clone(),
            KnownSender::pinned(&office.keys.public()),
        );
        for (n, serial) in [(&officer, 1), (&reviewer, 2), (&reviewer_b, 3)] {
            known.insert(
                n.id.clone(),
                KnownSender {
                    sign_pks: vec![n.keys.public().sign_pk],
                    cert_serial: Some(serial),
                },
            );
        }
        World {
            office,
            officer,
            reviewer,
            reviewer_b,
            other_office,
            known,
        }
    }
    fn lookup(&self) -> impl Fn(&str) -> Option<KnownSender> + '_ {
        |node: &str| self.known.get(node).cloned()
    }
    fn serial(&self, node: &Node) -> Option<u64> {
        self.known.get(&node.id).and_then(|k| k.cert_serial)
    }
}

fn spec(w: &World, from: &Node, to: &Node, seq: u64, kind: PackageKind) -> PackageSpec {
    let mut op_ranges = BTreeMap::new();
    op_ranges.insert(from.id.clone(), [1, 3]);
    PackageSpec {
        package_id: uuid::Uuid::parse_str(&format!("0192f0c2-7a1b-7c3d-9e4f-{seq:012}"))
            .expect("uuid"),
        kind,
        sender_node: from.id.clone(),
        sender_cert_serial: w.serial(from),
        receiver_node: to.id.clone(),
        pkg_seq: seq,
        prev_pkg_sha256: None,
        schema_ver: SCHEMA,
        app_version: "0.1.0".into(),
        min_app_version: None,
        op_ranges,
        audit_head_sha256: Some(hex::encode(Sha256::digest(b"audit"))),
        sender_lamport: 42,
        device_time: "2026-11-23T08:00:00+07:00".into(),
    }
}

fn payload(origin: &str) -> PackagePayload {
    let ops = (1..=3)
        .map(|seq| {
            serde_json::json!({
                "origin": origin, "seq": seq, "entity": "member",
                "fields": {"full_name": NAME, "personal_id": ID_NUMBER, "note": format!("op {seq}")}
            })
            .to_string()
        })
        .collect();
    PackagePayload {
        ops,
        sections: vec![Section::new("acks", serde_json::json!({ origin: 3 }))],
    }
}

fn data_package(w: &World, from: &Node, to: &Node, seq: u64) -> Vec<u8> {
    build_package(
        &spec(w, from, to, seq, PackageKind::Data),
        &payload(&from.id),
        &from.keys,
        &[to.recipient().as_str()],
    )
    .expect("build")
}

fn limits() -> Limits {
    Limits::for_schema(SCHEMA)
}

fn open_at(w: &World, me: &Node, bytes: &[u8]) -> Result<OpenedPackage, PackageError> {
    open_package(bytes, &me.local(), &w.lookup(), &limits())
}

/// Kinds that can only come out of the checks before decryption.
const PRE_DECRYPTION: &[&str] = &[
    "truncated",
    "corrupt",
    "too_large",
    "newer_format",
    "wrong_receiver",
    "unknown_sender",
    "unknown_certificate",
    "bad_signature",
    "hash_mismatch",
    "newer_schema",
];

/// Splits a package into (header bytes, payload, key id, signature) by the documented layout.
fn split(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let n = u32::from_be_bytes(bytes[10..14].try_into().expect("4")) as usize;
    let header = bytes[14..14 + n].to_vec();
    let m = u64::from_be_bytes(bytes[14 + n..22 + n].try_into().expect("8")) as usize;
    let payload = bytes[22 + n..22 + n + m].to_vec();
    (header, payload)
}

/// Rebuilds a package with an edited header and/or payload, signed by `signer` — what an
/// attacker holding `signer`'s key can produce.
fn resign(
    bytes: &[u8],
    edit: impl FnOnce(&mut serde_json::Value),
    payload_override: Option<Vec<u8>>,
    signer: &NodeKeys,
) -> Vec<u8> {
    let (header, payload) = split(bytes);
    let payload = payload_override.unwrap_or(payload);
    let mut h: serde_json::Value = serde_json::from_slice(&header).expect("header json");
    edit(&mut h);
    let header = serde_json::to_vec(&h).expect("json");
    let mut out = Vec::new();
    out.extend_from_slice(b"HHSPKG\x00\x01");
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(header.len() as u32).to_be_bytes());
    out.extend_from_slice(&header);
    let mut d = Sha256::new();
    d.update(&out);
    d.update((payload.len() as u64).to_be_bytes());
    d.update(Sha256::digest(&payload));
    let digest: [u8; 32] = d.finalize().into();
    out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&signer.key_id());
    out.extend_from_slice(&signer.sign(&digest));
    out.extend_from_slice(b"HHSEND\x00\x01");
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn round_trip_with_several_recipients_office_and_relaying_officer() {
    let w = World::new();
    let sp = spec(&w, &w.reviewer, &w.office, 1, PackageKind::Data);
    let pl = payload(&w.reviewer.id);
    let bytes = build_package(
        &sp,
        &pl,
        &w.reviewer.keys,
        &[
            w.office.recipient().as_str(),
            w.officer.recipient().as_str(),
        ],
    )
    .expect("build");

    let at_office = open_at(&w, &w.office, &bytes).expect("office opens");
    assert_eq!(at_office.ops, pl.ops);
    assert_eq!(at_office.sections, pl.sections);
    assert_eq!(at_office.manifest.op_count, 3);
    assert_eq!(at_office.header.sender_node, w.reviewer.id);
    assert_eq!(at_office.header.pkg_seq, 1);
    assert_eq!(
        at_office.header.op_ranges.get(&w.reviewer.id),
        Some(&[1, 3])
    );
    assert_eq!(at_office.trust, SenderTrust::Known);
    assert_eq!(at_office.file_sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(
        at_office.signer_key_id,
        hex::encode(w.reviewer.keys.key_id())
    );

    // The officer relays: the package is addressed to the office but encrypted to both.
    let relay_for = [w.office.id.clone()];
    let officer = LocalNode {
        node_id: &w.officer.id,
        keys: &w.officer.keys,
        also_receive_for: &relay_for,
    };
    let at_officer = open_package(&bytes, &officer, &w.lookup(), &limits()).expect("officer opens");
    assert_eq!(at_officer.ops, pl.ops);

    // Someone else who claims to relay for the office still cannot read it.
    let nosy = LocalNode {
        node_id: &w.reviewer_b.id,
        keys: &w.reviewer_b.keys,
        also_receive_for: &relay_for,
    };
    let e = open_package(&bytes, &nosy, &w.lookup(), &limits()).expect_err("cannot decrypt");
    assert_eq!(e.kind(), "decrypt_failed");

    // The sender itself is never a recipient.
    let sender_view = LocalNode {
        node_id: &w.reviewer.id,
        keys: &w.reviewer.keys,
        also_receive_for: &relay_for,
    };
    assert!(open_package(&bytes, &sender_view, &w.lookup(), &limits()).is_err());
}

#[test]
fn package_with_no_ops_round_trips() {
    let w = World::new();
    let bytes = build_package(
        &spec(&w, &w.office, &w.officer, 9, PackageKind::Return),
        &PackagePayload::default(),
        &w.office.keys,
        &[w.officer.recipient().as_str()],
    )
    .expect("build");
    let p = open_at(&w, &w.officer, &bytes).expect("open");
    assert!(p.ops.is_empty() && p.sections.is_empty());
    assert_eq!(p.header.kind, PackageKind::Return);
}

#[test]
fn peek_header_authenticates_without_decrypting() {
    let w = World::new();
    let bytes = data_package(&w, &w.reviewer, &w.office, 1);
    // Right node id, wrong decryption key: peek succeeds, open fails at decryption.
    let stranger_keys = NodeKeys::generate();
    let me = LocalNode {
        node_id: &w.office.id,
        keys: &stranger_keys,
        also_receive_for: &[],
    };
    let peeked = peek_header(&bytes, &me, &w.lookup(), &limits()).expect("peek");
    assert_eq!(peeked.header.pkg_seq, 1);
    assert_eq!(peeked.file_bytes, bytes.len() as u64);
    assert_eq!(peeked.file_sha256, hex::encode(Sha256::digest(&bytes)));
    let e = open_package(&bytes, &me, &w.lookup(), &limits()).expect_err("no key");
    assert_eq!(e.kind(), "decrypt_failed");
}

#[test]
fn case_05_truncation_at_every_byte_offset_is_rejected_without_panic() {
    let w = World::new();
    let bytes = data_package(&w, &w.reviewer, &w.office, 1);
    for len in 0..bytes.len() {
        let cut = &bytes[..len];
        let e = open_at(&w, &w.office, cut).expect_err("truncated must fail");
        assert_eq!(e.kind(), "truncated", "at {len}: {e}");
        assert_eq!(e.disposition(), Disposition::Rejected);
        assert_eq!(e.to_string(), "Tệp gói bị cắt cụt hoặc hỏng.");
        assert!(peek_header(cut, &w.office.local(), &w.lookup(), &limits()).is_err());
    }
    // Extra bytes after the trailer are not accepted either.
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        open_at(&w, &w.office, &longer).expect_err("longer").kind(),
        "corrupt"
    );
}

#[test]
fn case_06_flipping_any_bit_is_rejected_before_decryption() {
    let w = World::new();
    let bytes = data_package(&w, &w.reviewer, &w.office, 1);
    let (header, _) = split(&bytes);
    // Payload bytes: every byte with three different single-bit flips; everything outside the
    // payload (magic, lengths, header, key id, signature, trailer): every bit.
    let payload_range = 22 + header.len()..bytes.len() - 104;
    let mut tried = 0;
    for i in 0..bytes.len() {
        let bits: &[u8] = if payload_range.contains(&i) {
            &[0x01, 0x10, 0x80][..]
        } else {
            &[0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80][..]
        };
        for bit in bits {
            let mut m = bytes.clone();
            m[i] ^= bit;
            let e = open_at(&w, &w.office, &m).expect_err("flipped must fail");
            assert!(
                PRE_DECRYPTION.contains(&e.kind()),
                "byte {i} bit {bit:#x}: {} ({e})",
                e.kind()
            );
            tried += 1;
        }
    }
    assert!(tried > bytes.len() * 3);
}

#[test]
fn case_07_empty_zero_and_absurd_lengths_are_rejected_quickly() {
    let w = World::new();
    let good = data_package(&w, &w.reviewer, &w.office, 1);
    let kind = |b: &[u8]| open_at(&w, &w.office, b).expect_err("must fail").kind();
    assert_eq!(kind(&[]), "truncated");
    assert_eq!(kind(&vec![0u8; 4096]), "corrupt");
    assert_eq!(kind(&[0u8; 3]), "truncated");

    // header_len = 4 GiB − 1.
    let mut m = good.clone();
    m[10..14].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(kind(&m), "corrupt");
    // header_len just above 64 KiB.
    m[10..14].copy_from_slice(&(64 * 1024 + 1u32).to_be_bytes());
    assert_eq!(kind(&m), "corrupt");

    // payload_len beyond the file size, and the largest possible value (no allocation follows).
    let (header, _) = split(&good);
    let at = 14 + header.len();
    for claimed in [u64::MAX, u64::MAX - 50, (good.len() as u64) + 1, 1 << 40] {
        let mut m = good.clone();
        m[at..at + 8].copy_from_slice(&claimed.to_be_bytes());
        assert_eq!(kind(&m), "truncated", "payload_len {claimed}");
    }
    // Newer format version.
    let mut m = good.clone();
    m[8..10].copy_from_slice(&2u16.to_be_bytes());
    let e = open_at(&w, &w.office, &m).expect_err("newer");
    assert_eq!(e.kind(), "newer_format");
    assert!(e.to_string().contains("cần cập nhật phần mềm"));
}

#[test]
fn case_08_unknown_device_or_certificate_is_quarantined() {
    let mut w = World::new();
    let bytes = data_package(&w, &w.reviewer, &w.office, 1);
    // The office re-issued the reviewer's certificate (serial 7): serial 2 is no longer current.
    w.known.get_mut(&w.reviewer.id).expect("known").cert_serial = Some(7);
    let e = open_at(&w, &w.office, &bytes).expect_err("old cert");
    assert_eq!(e.kind(), "unknown_certificate");
    assert_eq!(e.disposition(), Disposition::Quarantined);

    w.known.remove(&w.reviewer.id);
    let e = open_at(&w, &w.office, &bytes).expect_err("unknown");
    assert_eq!(e.kind(), "unknown_sender");
    assert_eq!(e.disposition(), Disposition::Quarantined);
    assert!(e
        .to_string()
        .to_lowercase()
        .contains("thiết bị gửi chưa được đăng ký"));
}

#[test]
fn case_10_package_for_another_office_is_rejected_as_wrong_receiver() {
    let w = World::new();
    let bytes = data_package(&w, &w.reviewer, &w.office, 1);
    let e = open_at(&w, &w.other_office, &bytes).expect_err("wrong receiver");
    assert_eq!(e.kind(), "wrong_receiver");
    assert_eq!(e.disposition(), Disposition::Rejected);
    assert!(e.to_string().contains("Gói gửi cho đơn vị khác"));
    // A return package for one commune presented to another commune's device.
    let ret = data_package(&w, &w.office, &w.officer, 1);
    assert_eq!(
        open_at(&w, &w.reviewer, &ret).expect_err("wrong").kind(),
        "wrong_receiver"
    );
    // Even if the other office lies about who it is, it cannot decrypt.
    let liar = LocalNode {
        node_id: &w.office.id,
        keys: &w.other_office.keys,
        also_receive_for: &[],
    };
    let e = open_package(&bytes, &liar, &w.lookup(), &limits()).expect_err("no key");
    assert_eq!(e.kind(), "decrypt_failed");
}

#[test]
fn case_12_signature_replaced_by_another_enrolled_device_is_rejected() {
    let w = World::new();
    let bytes = data_package(&w, &w.reviewer, &w.office, 1);
    // (a) Reviewer B re-signs A's package unchanged: the key id is not A's key.
    let resigned = resign(&bytes, |_| {}, None, &w.reviewer_b.keys);
    let e = open_at(&w, &w.office, &resigned).expect_err("re-signed");
    assert_eq!(e.kind(), "bad_signature");
    assert!(e.to_string().contains("không phải do bên gửi ký"));
    // (b) B also claims to be the sender: outer checks pass, the inner manifest names A.
    let stolen = resign(
        &bytes,
        |h| {
            h["sender_node"] = w.reviewer_b.id.clone().into();
            h["sender_cert_serial"] = 3.into();
        },
        None,
        &w.reviewer_b.keys,
    );
    let e = open_at(&w, &w.office, &stolen).expect_err("stolen");
    assert_eq!(e.kind(), "manifest_mismatch");
    assert_eq!(e, PackageError::ManifestMismatch { field: "sender" });
    // (c) A's signature kept but the key id swapped to B's: still refused.
    let mut m = bytes.clone();
    let at = m.len() - 104;
    m[at..at + 32].copy_from_slice(&w.reviewer_b.keys.key_id());
    assert_eq!(
        open_at(&w, &w.office, &m).expect_err("swap").kind(),
        "bad_signature"
    );
}

#[test]
fn signed_header_that_disagrees_with_the_payload_is_refused() {
    let w = World::new();
    let bytes = data_package(&w, &w.reviewer, &w.office, 4);
    // Declared payload hash differs from the payload (signed by the genuine key: a sender bug).
    let wrong_hash = resign(
        &bytes,
        |h| h["payload_sha256"] = hex::encode([7u8; 32]).into(),
        None,
        &w.reviewer.keys,
    );
    assert_eq!(
        open_at(&w, &w.office, &wrong_hash)
            .expect_err("hash")
            .kind(),
        "hash_mismatch"
    );
    // Header renumbered (replay under another sequence number): the manifest disagrees.
    let renumbered = resign(&bytes, |h| h["pkg_seq"] = 5.into(), None, &w.reviewer.keys);
    assert_eq!(
        open_at(&w, &w.office, &renumbered).expect_err("seq"),
        PackageError::ManifestMismatch { field: "pkg_seq" }
    );
    // Ciphertext swapped for another package's ciphertext, re-signed with the genuine key.
    let other = data_package(&w, &w.reviewer, &w.office, 6);
    let (other_header, other_payload) = split(&other);
    let other_h: serde_json::Value = serde_json::from_slice(&other_header).expect("json");
    let swapped = resign(
        &bytes,
        |h| h["payload_sha256"] = other_h["payload_sha256"].clone(),
        Some(other_payload),
        &w.reviewer.keys,
    );
    assert_eq!(
        open_at(&w, &w.office, &swapped)
            .expect_err("swapped")
            .kind(),
        "manifest_mismatch"
    );
}

#[test]
fn case_19_package_over_the_cap_or_op_line_over_one_mib_is_rejected() {
    let w = World::new();
    let bytes = data_package(&w, &w.reviewer, &w.office, 1);
    let small = Limits {
        max_package_bytes: bytes.len() as u64 - 1,
        ..limits()
    };
    let e = open_package(&bytes, &w.office.local(), &w.lookup(), &small).expect_err("cap");
    assert_eq!(e.kind(), "too_large");
    assert!(e.to_string().contains("Gói quá lớn"));

    // The file reader refuses before reading the whole file.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("big.hhpkg");
    std::fs::write(&path, &bytes).expect("write");
    let e = open_package_file(&path, &w.office.local(), &w.lookup(), &small).expect_err("cap");
    assert_eq!(e.kind(), "too_large");
    assert!(open_package_file(&path, &w.office.local(), &w.lookup(), &limits()).is_ok());

    // An op line longer than the line cap.
    let tight = Limits {
        max_line_bytes: 100,
        ..limits()
    };
    let e = open_package(&bytes, &w.office.local(), &w.lookup(), &tight).expect_err("line");
    assert_eq!(e.kind(), "line_too_large");

    // The builder never writes a line over 1 MiB.
    let huge = format!(r#"{{"blob":"{}"}}"#, "x".repeat(1024 * 1024));
    let e = build_package(
        &spec(&w, &w.reviewer, &w.office, 1, PackageKind::Data),
        &PackagePayload {
            ops: vec![huge],
            sections: vec![],
        },
        &w.reviewer.keys,
        &[w.office.recipient().as_str()],
    )
    .expect_err("too long");
    assert!(e.to_string().contains("giới hạn"));
}

#[test]
fn builder_refuses_malformed_ops_and_specs() {
    let w = World::new();
    let sp = spec(&w, &w.reviewer, &w.office, 1, PackageKind::Data);
    let to = [w.office.recipient()];
    let to: Vec<&str> = to.iter().map(String::as_str).collect();
    for bad in ["not json", "{\"a\":1}\n{\"b\":2}", "[1,2]", "{\"a\":"] {
        let p = PackagePayload {
            ops: vec![bad.into()],
            sections: vec![],
        };
        assert!(
            build_package(&sp, &p, &w.reviewer.keys, &to).is_err(),
            "{bad:?}"
        );
    }
    let ok = payload(&w.reviewer.id);
    assert!(build_package(&sp, &ok, &w.reviewer.keys, &[]).is_err());
    assert!(build_package(&sp, &ok, &w.reviewer.keys, &["age1notarecipient"]).is_err());
    let mut s = sp.clone();
    s.receiver_node = s.sender_node.clone();
    assert!(build_package(&s, &ok, &w.reviewer.keys, &to).is_err());
    let mut s = sp.clone();
    s.package_id = uuid::Uuid::nil();
    assert!(build_package(&s, &ok, &w.reviewer.keys, &to).is_err());
    let mut s = sp.clone();
    s.device_time = "hôm qua".into();
    assert!(build_package(&s, &ok, &w.reviewer.keys, &to).is_err());
    // Never encrypted to the sender itself (a lost stick must stay unreadable).
    let own = w.reviewer.recipient();
    let e = build_package(&sp, &ok, &w.reviewer.keys, &[to[0], own.as_str()]).expect_err("self");
    assert!(e.to_string().contains("chính bên gửi"));
    // A self-signed enrolment request cannot carry data ops.
    let mut s = sp.clone();
    s.kind = PackageKind::EnrolRequest;
    assert!(build_package(&s, &ok, &w.reviewer.keys, &to).is_err());
}

#[test]
fn case_20_newer_schema_is_rejected_update_required_and_imports_after_update() {
    let w = World::new();
    let mut sp = spec(&w, &w.reviewer, &w.office, 1, PackageKind::Data);
    sp.schema_ver = SCHEMA + 1;
    let bytes = build_package(
        &sp,
        &payload(&w.reviewer.id),
        &w.reviewer.keys,
        &[w.office.recipient().as_str()],
    )
    .expect("build");
    let e = open_at(&w, &w.office, &bytes).expect_err("newer");
    assert_eq!(e.kind(), "newer_schema");
    assert_eq!(e.disposition(), Disposition::Rejected);
    assert!(e.to_string().contains("cần cập nhật phần mềm"), "{e}");
    // After the update the same file imports.
    let updated = Limits::for_schema(SCHEMA + 1);
    let p = open_package(&bytes, &w.office.local(), &w.lookup(), &updated).expect("after update");
    assert_eq!(p.header.schema_ver, SCHEMA + 1);
    // An older schema is opened (the ledger upgrades the ops).
    let mut old = spec(&w, &w.reviewer, &w.office, 2, PackageKind::Data);
    old.schema_ver = SCHEMA - 1;
    let bytes = build_package(
        &old,
        &payload(&w.reviewer.id),
        &w.reviewer.keys,
        &[w.office.recipient().as_str()],
    )
    .expect("build");
    assert_eq!(
        open_at(&w, &w.office, &bytes)
            .expect("older")
            .header
            .schema_ver,
        SCHEMA - 1
    );
}

#[test]
fn case_22_forged_return_package_not_signed_by_the_pinned_office_key_is_rejected() {
    let w = World::new();
    let forger = NodeKeys::generate();
    // Claims to come from the office, signed with the forger's key.
    let forged = build_package(
        &spec(&w, &w.office, &w.officer, 1, PackageKind::Return),
        &payload(&w.office.id),
        &forger,
        &[w.officer.recipient().as_str()],
    )
    .expect("build");
    let e = open_at(&w, &w.officer, &forged).expect_err("forged");
    assert_eq!(e.kind(), "bad_signature");
    assert_eq!(
        e.to_string(),
        "Gói đã bị sửa đổi hoặc không phải do bên gửi ký."
    );
    // A genuine return package is accepted.
    let genuine = data_package(&w, &w.office, &w.officer, 1);
    assert!(open_at(&w, &w.officer, &genuine).is_ok());
    // A genuine one whose header was edited and re-signed by the forger.
    let edited = resign(&genuine, |h| h["pkg_seq"] = 2.into(), None, &forger);
    assert_eq!(
        open_at(&w, &w.officer, &edited).expect_err("edited").kind(),
        "bad_signature"
    );
}

#[test]
fn key_rollover_grace_accepts_the_previous_office_key() {
    let mut w = World::new();
    let old_pkg = data_package(&w, &w.office, &w.officer, 1);
    let new_keys = NodeKeys::generate();
    let entry = w.known.get_mut(&w.office.id).expect("office");
    entry.sign_pks = vec![new_keys.public().sign_pk, w.office.keys.public().sign_pk];
    assert!(open_at(&w, &w.officer, &old_pkg).is_ok());
    w.known
        .get_mut(&w.office.id)
        .expect("office")
        .sign_pks
        .truncate(1);
    assert_eq!(
        open_at(&w, &w.officer, &old_pkg)
            .expect_err("expired")
            .kind(),
        "bad_signature"
    );
}

#[test]
fn clear_header_and_file_name_carry_no_personal_data() {
    let w = World::new();
    let bytes = data_package(&w, &w.reviewer, &w.office, 1);
    let (header, payload_ct) = split(&bytes);
    let outside: Vec<u8> = bytes
        .iter()
        .take(22 + header.len())
        .chain(bytes.iter().skip(22 + header.len() + payload_ct.len()))
        .copied()
        .collect();
    let name = package_file_name("H05-X12-L03", "T05", 1).expect("name");
    for needle in [
        NAME,
        NAME_ASCII,
        ID_NUMBER,
        "Hoa",
        "personal_id",
        "full_name",
    ] {
        assert!(
            !contains(&outside, needle.as_bytes()),
            "{needle} outside the ciphertext"
        );
        assert!(
            !contains(&bytes, needle.as_bytes()),
            "{needle} in clear anywhere in the file"
        );
        assert!(!name.contains(needle));
    }
    // The payload really holds them (the test would be vacuous otherwise).
    let p = open_at(&w, &w.office, &bytes).expect("open");
    assert!(p
        .ops
        .iter()
        .any(|o| o.contains(NAME) && o.contains(ID_NUMBER)));
    // The header's fields are routing data only.
    let h: serde_json::Value = serde_json::from_slice(&header).expect("json");
    let keys: Vec<&str> = h
        .as_object()
        .expect("obj")
        .keys()
        .map(String::as_str)
        .collect();
    let allowed = [
        "package_id",
        "kind",
        "sender_node",
        "sender_cert_serial",
        "receiver_node",
        "pkg_seq",
        "prev_pkg_sha256",
        "schema_ver",
        "app_version",
        "min_app_version",
        "payload_sha256",
        "op_ranges",
        "audit_head_sha256",
        "sender_lamport",
        "device_time",
        "sender_sign_pk",
    ];
    assert!(keys.iter().all(|k| allowed.contains(k)), "{keys:?}");
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A package big enough to need several 64 KiB write calls.
fn big_package(w: &World) -> Vec<u8> {
    let ops = (1..=800)
        .map(|seq| {
            format!(
                r#"{{"origin":"{}","seq":{seq},"pad":"{}"}}"#,
                w.reviewer.id,
                "p".repeat(300)
            )
        })
        .collect();
    build_package(
        &spec(w, &w.reviewer, &w.office, 1, PackageKind::Data),
        &PackagePayload {
            ops,
            sections: vec![],
        },
        &w.reviewer.keys,
        &[w.office.recipient().as_str()],
    )
    .expect("build")
}

#[test]
fn writing_to_the_stick_verifies_and_reports_name_size_and_short_hash() {
    let w = World::new();
    let bytes = big_package(&w);
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("HHS_A_to_B_000001.hhpkg.tmp"), b"stale").expect("stale");
    std::fs::write(dir.path().join("ghi-chu.tmp"), b"not ours").expect("other");
    let name = package_file_name("H05-X12-L03", "T05", 1).expect("name");
    let out = write_package(dir.path(), &name, &bytes).expect("write");
    assert_eq!(out.bytes, bytes.len() as u64);
    assert_eq!(out.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(out.short_hash, &out.sha256[..8]);
    assert_eq!(out.file_name, name);
    assert_eq!(std::fs::read(&out.path).expect("read"), bytes);
    // Our stale temp file is gone; other people's files are untouched.
    assert_eq!(
        dir_names(dir.path()),
        vec![name.clone(), "ghi-chu.tmp".to_string()]
    );
    assert_eq!(
        remove_stale_tmp(&mut RealIo::default(), dir.path()).expect("rm"),
        0
    );
    assert!(write_package(dir.path(), "../evil.hhpkg", &bytes).is_err());
}

#[test]
fn case_16_stick_pulled_at_every_write_call_leaves_no_partial_package() {
    let w = World::new();
    let bytes = big_package(&w);
    let name = package_file_name("H05-X12-L03", "T05", 1).expect("name");
    // Count the calls of a successful write.
    let probe_dir = tempfile::tempdir().expect("dir");
    let mut probe = FaultyIo::new(FaultPlan::kill_at(usize::MAX));
    write_package_with(&mut probe, probe_dir.path(), &name, &bytes).expect("probe");
    let total = probe.calls;
    assert!(total >= 8, "expected several write calls, got {total}");

    for n in 1..=total {
        let dir = tempfile::tempdir().expect("dir");
        let mut io = FaultyIo::new(FaultPlan::kill_at(n));
        let r = write_package_with(&mut io, dir.path(), &name, &bytes);
        assert!(io.fired);
        assert!(r.is_err(), "kill at call {n} must fail");
        // Whatever is left: a .hhpkg only if complete and valid; otherwise at most a .tmp.
        for f in dir_names(dir.path()) {
            if f.ends_with(".hhpkg") {
                assert_eq!(
                    std::fs::read(dir.path().join(&f)).expect("read"),
                    bytes,
                    "call {n}"
                );
                assert!(open_at(&w, &w.office, &bytes).is_ok());
            } else {
                assert!(f.ends_with(".hhpkg.tmp"), "call {n}: unexpected {f}");
                let partial = std::fs::read(dir.path().join(&f)).expect("read");
                assert!(open_at(&w, &w.office, &partial).is_err() || partial == bytes);
            }
        }
        // The next export succeeds, removes the stale temp file and carries the same ops.
        let out = write_package(dir.path(), &name, &bytes).expect("retry");
        assert_eq!(dir_names(dir.path()), vec![name.clone()], "call {n}");
        let p =
            open_package_file(&out.path, &w.office.local(), &w.lookup(), &limits()).expect("open");
        assert_eq!(p.ops.len(), 800);
    }

    // Plain errors (not a kill) at every call: clean-up runs, nothing of ours is left.
    for n in 1..=total {
        let dir = tempfile::tempdir().expect("dir");
        let mut io = FaultyIo::new(FaultPlan::error_at(n, ErrorKind::BrokenPipe));
        match write_package_with(&mut io, dir.path(), &name, &bytes) {
            Ok(_) => assert_eq!(std::fs::read(dir.path().join(&name)).expect("read"), bytes),
            Err(e) => {
                assert_eq!(e.kind(), "io");
                assert!(
                    dir_names(dir.path()).is_empty(),
                    "call {n}: {:?}",
                    dir_names(dir.path())
                );
            }
        }
    }
}

#[test]
fn case_18_disk_full_on_the_stick_gives_a_clear_error_and_leaves_nothing() {
    let w = World::new();
    let bytes = big_package(&w);
    let name = package_file_name("H05-X12-L03", "T05", 1).expect("name");
    // Calls: list (1), create (2), first write (3), second write (4).
    for plan in [
        FaultPlan::error_at(3, ErrorKind::StorageFull),
        FaultPlan::error_at(4, ErrorKind::StorageFull),
        FaultPlan::zero_write_at(4),
        FaultPlan::error_at(5, ErrorKind::WriteZero),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let mut io = FaultyIo::new(plan);
        let e = write_package_with(&mut io, dir.path(), &name, &bytes).expect_err("full");
        let msg = e.to_string();
        assert!(msg.contains("đầy"), "{msg}");
        assert!(msg.contains("Không có gói nào được để lại"), "{msg}");
        assert!(dir_names(dir.path()).is_empty(), "{plan:?}");
    }
}

// ---- Enrolment (case 36) ----

fn enrol_request_package(w: &World, laptop: &Node, req: &EnrolmentRequest) -> Vec<u8> {
    let mut sp = spec(w, laptop, &w.office, 1, PackageKind::EnrolRequest);
    sp.sender_cert_serial = None;
    sp.op_ranges.clear();
    build_package(
        &sp,
        &req.to_payload().expect("payload"),
        &laptop.keys,
        &[w.office.recipient().as_str()],
    )
    .expect("build")
}

fn assignment() -> CertificateAssignment {
    CertificateAssignment {
        short_code: "H05-X12-L04".into(),
        commune_code: "27280".into(),
        role: DeviceRole::Reviewer,
        serial: 11,
        issued_lamport: 900,
    }
}

#[test]
fn case_36_enrolment_happy_path_from_request_to_accepted_data_package() {
    let mut w = World::new();
    let laptop = Node::new();
    let req = EnrolmentRequest::new(
        &laptop.id,
        "27280",
        DeviceRole::Reviewer,
        "Máy rà soát 4",
        "0.1.0",
        &laptop.keys,
    )
    .expect("request");
    req.verify().expect("self-signed");
    let shown_on_laptop = req.fingerprint().expect("fp");
    assert_eq!(
        shown_on_laptop,
        fingerprint(&laptop.keys.public()).expect("fp")
    );

    // The office does not know the laptop yet; the request is self-signed.
    let pkg = enrol_request_package(&w, &laptop, &req);
    assert!(!w.known.contains_key(&laptop.id));
    let opened = open_at(&w, &w.office, &pkg).expect("office opens request");
    assert_eq!(
        opened.trust,
        SenderTrust::SelfSigned {
            sign_pk: laptop.keys.public().sign_pk
        }
    );
    let at_office = EnrolmentRequest::from_package(&opened).expect("request inside");
    assert_eq!(at_office, req);

    // The officer reads the fingerprint over the phone (with dashes); the office signs.
    let typed = shown_on_laptop.replace(' ', "-");
    let cert = DeviceCertificate::issue(&at_office, &typed, &assignment(), &w.office.keys)
        .expect("certificate");
    cert.verify(&w.office.keys.public())
        .expect("office signature");
    assert_eq!(cert.serial, 11);
    assert_eq!(cert.node_id, laptop.id);

    // The certificate goes back in an enrol_response signed by the office.
    let mut sp = spec(&w, &w.office, &laptop, 1, PackageKind::EnrolResponse);
    sp.op_ranges.clear();
    let resp = build_package(
        &sp,
        &cert.to_payload().expect("payload"),
        &w.office.keys,
        &[laptop.recipient().as_str()],
    )
    .expect("build");
    let opened = open_at(&w, &laptop, &resp).expect("laptop opens response");
    let installed = DeviceCertificate::from_package(
        &opened,
        &w.office.keys.public(),
        &laptop.id,
        &laptop.keys.public(),
    )
    .expect("accepted");
    assert_eq!(installed, cert);

    // From now on the office knows the laptop through its certificate.
    w.known
        .insert(laptop.id.clone(), KnownSender::certified(&cert));
    let mut sp = spec(&w, &laptop, &w.office, 2, PackageKind::Data);
    sp.sender_cert_serial = Some(cert.serial);
    let data = build_package(
        &sp,
        &payload(&laptop.id),
        &laptop.keys,
        &[w.office.recipient().as_str()],
    )
    .expect("build");
    assert_eq!(open_at(&w, &w.office, &data).expect("data").ops.len(), 3);
}

#[test]
fn case_36_wrong_fingerprint_or_tampered_request_is_refused() {
    let w = World::new();
    let laptop = Node::new();
    let req = EnrolmentRequest::new(
        &laptop.id,
        "27280",
        DeviceRole::Reviewer,
        "Máy rà soát 4",
        "0.1.0",
        &laptop.keys,
    )
    .expect("request");
    let fp = req.fingerprint().expect("fp");

    // A fingerprint that differs in one digit, or belongs to another laptop.
    let mut digits: Vec<char> = fp.chars().collect();
    digits[0] = if digits[0] == '9' { '0' } else { '9' };
    let off_by_one: String = digits.into_iter().collect();
    let other = fingerprint(&NodeKeys::generate().public()).expect("fp");
    for wrong in [off_by_one.as_str(), other.as_str(), "", "12345"] {
        let e = DeviceCertificate::issue(&req, wrong, &assignment(), &w.office.keys)
            .expect_err("wrong fingerprint");
        assert!(e.to_string().contains("Dấu vân tay không khớp"), "{e}");
    }

    // Tampered requests: any field changed after signing.
    let mut tampered = Vec::new();
    let mut t = req.clone();
    t.commune_code = "27281".into();
    tampered.push(t);
    let mut t = req.clone();
    t.role = DeviceRole::Office;
    tampered.push(t);
    let mut t = req.clone();
    t.keys.enc_recipient = NodeKeys::generate().public().enc_recipient;
    tampered.push(t);
    let mut t = req.clone();
    t.device_name = "Máy rà soát 5".into();
    tampered.push(t);
    let mut t = req.clone();
    t.self_signature.replace_range(
        0..2,
        if &t.self_signature[0..2] == "00" {
            "01"
        } else {
            "00"
        },
    );
    tampered.push(t);
    for t in &tampered {
        assert!(t.verify().is_err(), "{t:?}");
        let e =
            DeviceCertificate::issue(t, &fp, &assignment(), &w.office.keys).expect_err("tampered");
        assert!(e.to_string().contains("bị sửa đổi"), "{e}");
    }

    // A request package whose signing key is not the key in the request (someone wrapping a
    // copied request in their own package) is refused.
    let intruder = Node {
        id: laptop.id.clone(),
        keys: NodeKeys::generate(),
    };
    let pkg = enrol_request_package(&w, &intruder, &req);
    let opened = open_at(&w, &w.office, &pkg).expect("structurally fine");
    assert!(EnrolmentRequest::from_package(&opened).is_err());
}

#[test]
fn case_36_certificate_must_come_from_the_pinned_office_and_match_this_laptop() {
    let w = World::new();
    let laptop = Node::new();
    let req = EnrolmentRequest::new(
        &laptop.id,
        "27280",
        DeviceRole::Reviewer,
        "Máy 1",
        "0.1.0",
        &laptop.keys,
    )
    .expect("request");
    let fp = req.fingerprint().expect("fp");
    let cert = DeviceCertificate::issue(&req, &fp, &assignment(), &w.office.keys).expect("cert");
    let office_pk = w.office.keys.public();

    // Signed by someone else.
    let forged =
        DeviceCertificate::issue(&req, &fp, &assignment(), &w.other_office.keys).expect("cert");
    assert!(forged.verify(&office_pk).is_err());
    // Edited after signing.
    let mut edited = cert.clone();
    edited.role = DeviceRole::Office;
    assert!(edited.verify(&office_pk).is_err());
    let mut edited = cert.clone();
    edited.serial += 1;
    assert!(edited.verify(&office_pk).is_err());
    // Genuine, but for another laptop.
    let other = NodeKeys::generate();
    assert!(cert
        .verify_for_me(&office_pk, &laptop.id, &other.public())
        .is_err());
    assert!(cert
        .verify_for_me(&office_pk, &new_node_id(), &laptop.keys.public())
        .is_err());
    cert.verify_for_me(&office_pk, &laptop.id, &laptop.keys.public())
        .expect("mine");
    // Round trip through JSON keeps the signature valid.
    let json = serde_json::to_string(&cert).expect("json");
    let back: DeviceCertificate = serde_json::from_str(&json).expect("parse");
    back.verify(&office_pk).expect("still valid");
}

#[test]
fn every_error_kind_has_a_vietnamese_message_and_a_stable_tag() {
    let all = [
        PackageError::Truncated,
        PackageError::Corrupt("x".into()),
        PackageError::TooLarge { bytes: 2, cap: 1 },
        PackageError::LineTooLarge { line: 3, cap: 1 },
        PackageError::NewerFormat { found: 2 },
        PackageError::WrongReceiver,
        PackageError::UnknownSender,
        PackageError::UnknownCertificate,
        PackageError::BadSignature,
        PackageError::HashMismatch,
        PackageError::NewerSchema {
            found: 3,
            supported: 2,
        },
        PackageError::DecryptFailed,
        PackageError::ManifestMismatch { field: "sender" },
        PackageError::BadPayload("x".into()),
        PackageError::Io("x".into()),
    ];
    let mut tags: Vec<&str> = all.iter().map(PackageError::kind).collect();
    tags.sort();
    tags.dedup();
    assert_eq!(tags.len(), all.len());
    let vietnamese = "ạảãáàăắằẳẵặâấầẩẫậđẹẻẽéèêếềểễệịỉĩíìọỏõóòôốồổỗộơớờởỡợụủũúùưứừửữựỵỷỹýỳ";
    for e in &all {
        let m = e.to_string();
        assert!(m.chars().any(|c| vietnamese.contains(c)), "{m}");
        let json = serde_json::to_value(e).expect("json");
        assert_eq!(json["kind"], e.kind());
        assert_eq!(json["message"], m);
        let core: giamngheo_core::Error = e.clone().into();
        assert!(!core.to_string().is_empty());
    }
}

#[test]
fn case_23_key_rollover_signed_by_the_old_key_is_accepted_and_a_forged_one_refused() {
    let mut w = World::new();
    let new_keys = NodeKeys::generate();
    let pinned = w.office.keys.public();
    let roll = KeyRollover::new(&w.office.id, &w.office.keys, &new_keys).expect("rollover");
    roll.verify(&w.office.id, &pinned).expect("valid");

    // Travels in a key_rollover package signed with the old key.
    let mut sp = spec(&w, &w.office, &w.officer, 5, PackageKind::KeyRollover);
    sp.op_ranges.clear();
    let pkg = build_package(
        &sp,
        &roll.to_payload().expect("payload"),
        &w.office.keys,
        &[w.officer.recipient().as_str()],
    )
    .expect("build");
    let opened = open_at(&w, &w.officer, &pkg).expect("open");
    assert_eq!(
        KeyRollover::from_package(&opened, &pinned).expect("accepted"),
        roll
    );

    // Grace period: the commune accepts both keys; packages to the new key are readable by the
    // office once it decrypts with the new identity.
    w.known.get_mut(&w.office.id).expect("office").sign_pks =
        vec![new_keys.public().sign_pk, pinned.sign_pk.clone()];
    let new_office = Node {
        id: w.office.id.clone(),
        keys: new_keys,
    };
    let after = data_package(&w, &new_office, &w.officer, 6);
    assert!(open_at(&w, &w.officer, &after).is_ok());

    // Not signed by the pinned (old) key: someone announcing their own key as the office's.
    let thief = NodeKeys::generate();
    let forged = KeyRollover::new(&w.office.id, &thief, &NodeKeys::generate()).expect("forged");
    assert!(forged.verify(&w.office.id, &pinned).is_err());
    // Old signature kept but the new key swapped afterwards.
    let mut swapped = roll.clone();
    swapped.new_keys = NodeKeys::generate().public();
    assert!(swapped.verify(&w.office.id, &pinned).is_err());
    // For another node.
    assert!(roll.verify(&new_node_id(), &pinned).is_err());
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_are_refused_with_an_error(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let w = World::new();
            prop_assert!(open_at(&w, &w.office, &data).is_err());
        }

        #[test]
        fn random_splices_into_a_real_package_are_refused(
            at in 0usize..2000, len in 0usize..64, fill in any::<u8>(), cut in 0usize..64
        ) {
            let w = World::new();
            let mut bytes = data_package(&w, &w.reviewer, &w.office, 1);
            let at = at % bytes.len();
            let end = (at + len).min(bytes.len());
            let mut changed = false;
            for b in &mut bytes[at..end] {
                changed |= *b != fill;
                *b = fill;
            }
            let cut = cut.min(bytes.len());
            bytes.truncate(bytes.len() - cut);
            prop_assume!(changed || cut > 0);
            let e = open_at(&w, &w.office, &bytes).expect_err("mutated");
            prop_assert!(PRE_DECRYPTION.contains(&e.kind()), "{}", e.kind());
        }
    }
}
