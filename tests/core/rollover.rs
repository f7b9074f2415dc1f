//! Office key rollover between real ledgers (SYNC.md §5 cases 23 and 42) and the size caps at the
//! ledger's import (case 19): each test is named after its case number.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use giamngheo_core::clock::FixedClock;
use giamngheo_core::exchange::package::InnerManifest;
use giamngheo_core::exchange::{
    self as ex, KeyRollover, KeysFile, NodeKeys, PackageHeader, PackageKind, PackagePayload,
    Section,
};
use giamngheo_core::ledger::{Change, OpKind};
use giamngheo_core::setup::Role;
use giamngheo_core::sync::rollover::ROLLOVERS_SECTION;
use giamngheo_core::sync::ImportStatus;
use giamngheo_core::Ledger;
use sha2::{Digest, Sha256};

use crate::sync::{device, dump, enrol, office, stick};

fn node_id(l: &Ledger) -> String {
    l.local_identity().expect("id").expect("set up").node_id
}

fn secret(l: &Ledger) -> NodeKeys {
    let s: String = l
        .conn()
        .query_row("SELECT secret_keys FROM local_node WHERE id = 1", [], |r| {
            r.get(0)
        })
        .expect("secret");
    NodeKeys::from_secret_string(&s).expect("keys")
}

/// What a commune has pinned for its office: (sign_pk, enc_recipient).
fn pinned_office(l: &Ledger) -> (String, String) {
    l.conn()
        .query_row(
            "SELECT sign_pk, enc_recipient FROM node WHERE role = 'office'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("pinned office")
}

fn add_household(l: &mut Ledger, address: &str) -> String {
    let village = l.villages().expect("villages")[0].id.clone();
    let input = giamngheo_core::register::HouseholdInput {
        village_id: village,
        address: address.into(),
        ethnicity: Some("02".into()),
        ethnic_minority: true,
        members: vec![giamngheo_core::register::MemberInput {
            full_name: "Hoàng Văn Páo".into(),
            relation: "head".into(),
            sex: "male".into(),
            birth_date: Some("1979-05-06".into()),
            ethnicity: Some("02".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    l.save_household(&input).expect("save").household.id
}

fn has_household(l: &Ledger, id: &str) -> bool {
    l.conn()
        .query_row(
            "SELECT count(*) > 0 FROM household WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .expect("count")
}

fn export_one(from: &mut Ledger, dir: &Path) -> PathBuf {
    let out = from.export(&stick(dir), None).expect("export");
    assert_eq!(out.len(), 1, "{out:?}");
    out[0].file.clone()
}

fn import_one(to: &mut Ledger, file: PathBuf) -> giamngheo_core::sync::ImportReport {
    let mut r = to.import_paths(&[file], false).expect("import");
    r.remove(0)
}

fn clock_at(y: i32, m: u32, d: u32) -> Arc<FixedClock> {
    Arc::new(FixedClock::at_date(y, m, d))
}

struct World {
    dir: tempfile::TempDir,
    office: Ledger,
    a: Ledger,
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut office = office(dir.path());
    let mut a = device(dir.path(), "a.db", "01234", Role::CommuneOfficer, &office);
    enrol(dir.path(), &mut office, &mut a);
    World { dir, office, a }
}

/// A return package from the office to `to`, signed with `signer`, carrying `sections`.
fn office_package(
    dir: &Path,
    office: &Ledger,
    signer: &NodeKeys,
    to: &Ledger,
    sections: Vec<Section>,
) -> PathBuf {
    let rk = to.public_keys_file().expect("receiver keys");
    let spec = crate::sync::test_spec(
        PackageKind::Return,
        node_id(office),
        None,
        rk.node_id.clone(),
        500,
    );
    let bytes = ex::build_package(
        &spec,
        &PackagePayload {
            ops: vec![],
            sections,
        },
        signer,
        &[rk.keys.enc_recipient.as_str()],
    )
    .expect("build");
    ex::write_package(&stick(dir), "HHS_VP04_to_01234-1_000500.hhpkg", &bytes)
        .expect("write")
        .path
}

// ---------------------------------------------------------------------------------------------
// Case 23

#[test]
fn case_23_rollover_reaches_the_commune_which_re_pins_and_encrypts_to_the_new_key() {
    let World {
        dir,
        mut office,
        mut a,
    } = world();
    let d = dir.path();
    let old_keys = office.public_keys_file().expect("old keys");
    let h1 = add_household(&mut a, "Nhà trước khi đổi khoá");
    let before_roll = export_one(&mut a, d);

    // Only an office rolls its keys over.
    assert!(a.rollover_keys(30).is_err());

    let r = office.rollover_keys(30).expect("rollover");
    assert_eq!(r.serial, 1);
    assert_ne!(r.fingerprint, r.old_fingerprint);
    assert_eq!(r.old_fingerprint, old_keys.fingerprint);
    let new_keys = office.public_keys_file().expect("new keys");
    assert_eq!(new_keys.fingerprint, r.fingerprint);
    assert_eq!(new_keys.node_id, old_keys.node_id);
    let gens = office.office_key_generations().expect("generations");
    assert_eq!(gens.len(), 2);
    assert!(gens[0].secret_held && !gens[0].current && gens[0].grace_until.is_some());
    assert!(gens[1].current);

    // During the grace period a package still encrypted to the old key is accepted.
    let rep = import_one(&mut office, before_roll);
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    assert!(has_household(&office, &h1));

    // The next return package carries the statement; the commune verifies it and re-pins.
    assert_eq!(
        pinned_office(&a),
        (
            old_keys.keys.sign_pk.clone(),
            old_keys.keys.enc_recipient.clone()
        )
    );
    let ret = export_one(&mut office, d);
    let rep = import_one(&mut a, ret);
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    assert_eq!(
        pinned_office(&a),
        (
            new_keys.keys.sign_pk.clone(),
            new_keys.keys.enc_recipient.clone()
        )
    );
    let at_a = a.office_key_generations().expect("generations at a");
    assert_eq!(at_a.iter().filter(|g| g.current).count(), 1);
    assert_eq!(
        at_a.iter()
            .find(|g| g.current)
            .map(|g| g.fingerprint.clone()),
        Some(new_keys.fingerprint.clone())
    );

    // Later packages are encrypted to the new key only: the old identity cannot open them.
    let h2 = add_household(&mut a, "Nhà sau khi đổi khoá");
    let after = export_one(&mut a, d);
    let bytes = std::fs::read(&after).expect("read");
    let old_secret: String = office
        .conn()
        .query_row(
            "SELECT secret_keys FROM office_key WHERE serial = 0",
            [],
            |r| r.get(0),
        )
        .expect("retired secret kept");
    let old_identity = NodeKeys::from_secret_string(&old_secret).expect("old keys");
    let a_pub = a.public_keys_file().expect("a keys");
    let a_id = a_pub.node_id.clone();
    let lookup = move |id: &str| -> Option<ex::KnownSender> {
        (id == a_id).then(|| ex::KnownSender {
            sign_pks: vec![a_pub.keys.sign_pk.clone()],
            cert_serial: None,
        })
    };
    let office_id = node_id(&office);
    let err = ex::open_package(
        &bytes,
        &ex::LocalNode {
            node_id: &office_id,
            keys: &old_identity,
            also_receive_for: &[],
        },
        &lookup,
        &ex::Limits::for_schema(99),
    )
    .expect_err("not readable with the old key");
    assert_eq!(err.kind(), "decrypt_failed");
    let rep = import_one(&mut office, after);
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    assert!(has_household(&office, &h2));

    // Once the commune has seen the new key sign, the old key is no longer accepted from it.
    let ret2 = export_one(&mut office, d);
    let rep = import_one(&mut a, ret2);
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    let forged = office_package(d, &office, &old_identity, &a, vec![]);
    let before = dump(&a);
    let rep = import_one(&mut a, forged);
    assert_eq!(rep.status, ImportStatus::Rejected, "{rep:?}");
    assert_eq!(rep.reason_kind.as_deref(), Some("bad_signature"));
    assert_eq!(dump(&a), before);
}

#[test]
fn case_23_packages_to_the_old_key_are_refused_after_the_grace_period() {
    let World {
        dir,
        mut office,
        mut a,
    } = world();
    let d = dir.path();
    let h = add_household(&mut a, "Nhà gửi muộn");
    let late = export_one(&mut a, d);
    office.rollover_keys(30).expect("rollover"); // clock: 20/11/2026, grace until 20/12/2026

    // Still inside the grace period: the dry run accepts it.
    office.set_clock(clock_at(2026, 12, 19));
    let dry = office
        .import_paths(std::slice::from_ref(&late), true)
        .expect("dry run");
    assert_eq!(dry[0].status, ImportStatus::Imported, "{dry:?}");

    // After it: refused with a reason, nothing stored.
    office.set_clock(clock_at(2026, 12, 22));
    let before = dump(&office);
    let rep = import_one(&mut office, late.clone());
    assert_eq!(rep.status, ImportStatus::Rejected, "{rep:?}");
    assert_eq!(rep.reason_kind.as_deref(), Some("old_office_key"));
    let reason = rep.reason.unwrap_or_default();
    assert!(reason.contains("khoá cũ của văn phòng"), "{reason}");
    assert!(
        reason.contains("hết hạn chuyển tiếp ngày 20/12/2026"),
        "{reason}"
    );
    assert_eq!(dump(&office), before);
    assert!(!has_household(&office, &h));
}

#[test]
fn case_23_rollover_statement_not_signed_by_the_old_key_is_rejected() {
    let World { dir, office, mut a } = world();
    let d = dir.path();
    let office_id = node_id(&office);
    let office_keys = secret(&office);
    let pinned = pinned_office(&a);

    // A thief announces their own keys as the office's new ones; the package itself is signed
    // with the real office key (the worst case: only the statement is wrong).
    let thief = NodeKeys::generate();
    let forged =
        KeyRollover::issue(&office_id, 1, None, &thief, &NodeKeys::generate()).expect("forged");
    let p = office_package(
        d,
        &office,
        &office_keys,
        &a,
        vec![Section::new(ROLLOVERS_SECTION, serde_json::json!([forged]))],
    );
    let before = dump(&a);
    let rep = import_one(&mut a, p);
    assert_eq!(rep.status, ImportStatus::Rejected, "{rep:?}");
    assert_eq!(rep.reason_kind.as_deref(), Some("bad_key_rollover"));
    assert!(
        rep.reason
            .as_deref()
            .unwrap_or_default()
            .contains("không được ký bằng khoá đã ghim"),
        "{rep:?}"
    );
    assert_eq!(dump(&a), before);
    assert_eq!(pinned_office(&a), pinned);

    // A genuine statement whose new keys were swapped afterwards: the signatures break.
    let mut swapped =
        KeyRollover::issue(&office_id, 1, None, &office_keys, &NodeKeys::generate()).expect("ok");
    swapped.new_keys = thief.public();
    let p = office_package(
        d,
        &office,
        &office_keys,
        &a,
        vec![Section::new(
            ROLLOVERS_SECTION,
            serde_json::json!([swapped]),
        )],
    );
    let rep = import_one(&mut a, p);
    assert_eq!(rep.status, ImportStatus::Rejected, "{rep:?}");
    assert_eq!(dump(&a), before);

    // A statement that skips a generation cannot be checked against the pinned key.
    let skipping =
        KeyRollover::issue(&office_id, 2, None, &office_keys, &NodeKeys::generate()).expect("ok");
    let p = office_package(
        d,
        &office,
        &office_keys,
        &a,
        vec![Section::new(
            ROLLOVERS_SECTION,
            serde_json::json!([skipping]),
        )],
    );
    let rep = import_one(&mut a, p);
    assert_eq!(rep.status, ImportStatus::Rejected, "{rep:?}");
    assert_eq!(dump(&a), before);
    assert_eq!(pinned_office(&a), pinned);
}

#[test]
fn case_23_two_rollovers_and_a_device_enrolled_from_an_old_keys_file() {
    let World {
        dir,
        mut office,
        mut a,
    } = world();
    let d = dir.path();
    let old_file: KeysFile = office.public_keys_file().expect("keys");
    office.rollover_keys(60).expect("first");
    office.rollover_keys(60).expect("second");
    let newest = office.public_keys_file().expect("newest");

    // A commune that missed both: the next return package carries the whole chain.
    let rep = import_one(&mut a, export_one(&mut office, d));
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    assert_eq!(
        pinned_office(&a),
        (
            newest.keys.sign_pk.clone(),
            newest.keys.enc_recipient.clone()
        )
    );

    // A laptop installed with the old keys file enrols: the request (encrypted to the old key)
    // is accepted in the grace period, and the response teaches it the new keys.
    let mut b = device(d, "b.db", "05678", Role::CommuneOfficer, &office);
    // `device` pinned the newest keys; pin the old file instead, as an old installer would.
    b.conn()
        .execute(
            "UPDATE node SET sign_pk = ?1, enc_recipient = ?2 WHERE role = 'office'",
            [&old_file.keys.sign_pk, &old_file.keys.enc_recipient],
        )
        .expect("old pin");
    enrol(d, &mut office, &mut b);
    assert_eq!(
        pinned_office(&b),
        (
            newest.keys.sign_pk.clone(),
            newest.keys.enc_recipient.clone()
        )
    );
    add_household(&mut b, "Nhà ở xã mới đăng ký");
    let rep = import_one(&mut office, export_one(&mut b, d));
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    assert_eq!(office.office_key_generations().expect("gens").len(), 3);
}

#[test]
fn case_23_a_commune_that_pinned_the_new_keys_file_by_hand_keeps_importing() {
    let World {
        dir,
        mut office,
        mut a,
    } = world();
    let d = dir.path();
    office.rollover_keys(30).expect("rollover");
    let newest = office.public_keys_file().expect("new keys");
    // The new keys file reached the commune on paper and a stick before any return package.
    a.pin_office(&newest).expect("pin by hand");
    add_household(&mut a, "Nhà sau khi ghim tay");
    let rep = import_one(&mut office, export_one(&mut a, d));
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    // The return package (signed with the new key, carrying the statement from the old one).
    let rep = import_one(&mut a, export_one(&mut office, d));
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    assert_eq!(
        pinned_office(&a),
        (
            newest.keys.sign_pk.clone(),
            newest.keys.enc_recipient.clone()
        )
    );
}

#[test]
fn case_23_the_serial_and_grace_period_of_a_statement_are_signed() {
    let old = NodeKeys::generate();
    let new = NodeKeys::generate();
    let id = ex::new_node_id();
    let st = KeyRollover::issue(&id, 1, Some("2026-12-20T05:00:00Z".into()), &old, &new)
        .expect("statement");
    st.verify(&id, &old.public()).expect("valid");
    let mut longer = st.clone();
    longer.grace_until = Some("2036-12-20T05:00:00Z".into());
    assert!(longer.verify(&id, &old.public()).is_err(), "grace extended");
    let mut renumbered = st.clone();
    renumbered.serial = 2;
    assert!(
        renumbered.verify(&id, &old.public()).is_err(),
        "serial changed"
    );
    assert!(st.verify(&id, &new.public()).is_err(), "not the pinned key");
    assert!(KeyRollover::issue(&id, 0, None, &old, &new).is_err());
    assert!(KeyRollover::issue(&id, 1, Some("20/12/2026".into()), &old, &new).is_err());
}

// ---------------------------------------------------------------------------------------------
// Case 42

#[test]
fn case_42_office_decryption_key_lost_then_rollover_the_next_export_delivers_every_unacked_op() {
    let World {
        dir,
        mut office,
        mut a,
    } = world();
    let d = dir.path();
    let h1 = add_household(&mut a, "Nhà 1");
    let h2 = add_household(&mut a, "Nhà 2");
    let lost = export_one(&mut a, d);

    // The office can no longer use its old decryption key: roll over without a grace period.
    office.rollover_keys(0).expect("rollover");
    let rep = import_one(&mut office, lost);
    assert_eq!(rep.status, ImportStatus::Rejected, "{rep:?}");
    assert!(!has_household(&office, &h1));

    // The commune learns the new key from the return package and simply exports again.
    let rep = import_one(&mut a, export_one(&mut office, d));
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    a.write(
        "edit",
        vec![Change::new("household", &h2, OpKind::Update).with("note", "sau khi đổi khoá")],
    )
    .expect("edit");
    let a_id = node_id(&a);
    let total_ops = a
        .ops()
        .expect("ops")
        .iter()
        .filter(|o| o.origin == a_id)
        .count() as u64;
    let rep = import_one(&mut office, export_one(&mut a, d));
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    assert_eq!(
        rep.ops_new + rep.ops_duplicate,
        total_ops,
        "the cumulative export carries every op the office never acknowledged"
    );
    assert!(has_household(&office, &h1) && has_household(&office, &h2));
    let st = a.exchange_status().expect("status");
    assert!(st.pending.iter().all(|p| p.ops > 0), "not yet acknowledged");
    let rep = import_one(&mut a, export_one(&mut office, d));
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    let st = a.exchange_status().expect("status");
    assert!(
        st.pending.iter().all(|p| p.ops == 0),
        "all acknowledged: {:?}",
        st.pending
    );
}

// ---------------------------------------------------------------------------------------------
// Case 19 at the ledger's import

/// A data package assembled by hand (the builder refuses over-long lines): the inner manifest,
/// `ops` as given, an acks section, age-encrypted to `to`, signed with `from`'s real keys.
fn hand_built(dir: &Path, from: &Ledger, to: &Ledger, ops: &[String], seq: u64) -> PathBuf {
    let keys = secret(from);
    let (node, serial): (String, Option<i64>) = from
        .conn()
        .query_row(
            "SELECT l.node_id, n.cert_serial FROM local_node l JOIN node n USING (node_id)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("me");
    let rk = to.public_keys_file().expect("receiver");
    let package_id = uuid::Uuid::now_v7().to_string();
    let mut ops_hash = Sha256::new();
    for o in ops {
        ops_hash.update(o.as_bytes());
        ops_hash.update(b"\n");
    }
    let manifest = InnerManifest {
        package_id: package_id.clone(),
        kind: PackageKind::Data,
        sender: node.clone(),
        receiver: rk.node_id.clone(),
        pkg_seq: seq,
        schema_ver: 1,
        op_count: ops.len() as u64,
        ops_sha256: hex::encode(ops_hash.finalize()),
    };
    let mut plain = serde_json::to_vec(&manifest).expect("manifest");
    plain.push(b'\n');
    for o in ops {
        plain.extend_from_slice(o.as_bytes());
        plain.push(b'\n');
    }
    plain.extend_from_slice(br#"{"section":"acks","data":{}}"#);
    plain.push(b'\n');
    plain.extend_from_slice(format!("{{\"end\":{}}}\n", ops.len()).as_bytes());
    let recipient: age::x25519::Recipient = rk.keys.enc_recipient.parse().expect("recipient");
    let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .expect("encryptor");
    let mut payload = Vec::new();
    let mut w = enc.wrap_output(&mut payload).expect("wrap");
    w.write_all(&plain).expect("encrypt");
    w.finish().expect("finish");
    let payload_hash: [u8; 32] = Sha256::digest(&payload).into();
    let header = PackageHeader {
        package_id,
        kind: PackageKind::Data,
        sender_node: node,
        sender_cert_serial: serial.map(|s| s as u64),
        receiver_node: rk.node_id,
        pkg_seq: seq,
        prev_pkg_sha256: None,
        schema_ver: 1,
        app_version: "0.1.0".into(),
        min_app_version: None,
        payload_sha256: hex::encode(payload_hash),
        op_ranges: Default::default(),
        audit_head_sha256: None,
        sender_lamport: 1,
        device_time: "2026-11-20T05:00:00Z".into(),
        sender_sign_pk: None,
        compression: None,
    };
    let header_bytes = serde_json::to_vec(&header).expect("header");
    let mut out = ex::package::MAGIC.to_vec();
    out.extend_from_slice(&ex::FORMAT_VERSION.to_be_bytes());
    out.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(&header_bytes);
    let mut h = Sha256::new();
    h.update(&out);
    h.update((payload.len() as u64).to_be_bytes());
    h.update(payload_hash);
    let digest: [u8; 32] = h.finalize().into();
    out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&keys.key_id());
    out.extend_from_slice(&keys.sign(&digest));
    out.extend_from_slice(ex::package::TRAILER);
    let name = format!("HHS_01234-1_to_VP04_{seq:06}.hhpkg");
    ex::write_package(&stick(dir), &name, &out)
        .expect("write")
        .path
}

#[test]
fn case_19_op_line_over_one_mib_is_rejected_with_a_reason_and_changes_nothing() {
    let World {
        dir,
        mut office,
        mut a,
    } = world();
    let d = dir.path();
    let h = add_household(&mut a, "Nhà có ghi chú rất dài");
    let lines: Vec<String> = a
        .ops()
        .expect("ops")
        .iter()
        .map(|o| serde_json::to_string(o).expect("json"))
        .collect();

    // The same op padded with whitespace (still valid JSON) to just over 1 MiB.
    let mut padded = lines.clone();
    let pad = " ".repeat(ex::MAX_OP_LINE_BYTES + 1 - padded[0].len() + 1);
    padded[0] = format!("{{{pad}{}", &padded[0][1..]);
    assert!(padded[0].len() > ex::MAX_OP_LINE_BYTES);
    assert!(serde_json::from_str::<serde_json::Value>(&padded[0]).is_ok());
    let big = hand_built(d, &a, &office, &padded, 700);
    let before = dump(&office);
    let rep = import_one(&mut office, big);
    assert_eq!(rep.status, ImportStatus::Rejected, "{rep:?}");
    assert_eq!(rep.reason_kind.as_deref(), Some("line_too_large"));
    let reason = rep.reason.unwrap_or_default();
    assert!(reason.contains("dài quá giới hạn 1048576 byte"), "{reason}");
    assert_eq!(dump(&office), before);
    assert!(!has_household(&office, &h));

    // The same hand-built package with the line as written imports: only the length mattered.
    let ok = hand_built(d, &a, &office, &lines, 701);
    let rep = import_one(&mut office, ok);
    assert_eq!(rep.status, ImportStatus::Imported, "{rep:?}");
    assert!(has_household(&office, &h));
}

#[test]
fn case_19_package_larger_than_the_cap_is_rejected_with_a_reason_and_the_batch_goes_on() {
    let World {
        dir,
        mut office,
        mut a,
    } = world();
    let d = dir.path();
    let h = add_household(&mut a, "Nhà bình thường");
    let good = export_one(&mut a, d);
    let folder = good.parent().expect("stick").to_path_buf();
    // A sparse file just over the 512 MiB cap: refused from its size, never read into memory.
    let big = folder.join("HHS_01234-1_to_VP04_000000.hhpkg");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(ex::package::DEFAULT_MAX_PACKAGE_BYTES + 1)
        .expect("sparse");
    drop(f);

    let before = dump(&office);
    let rep = import_one(&mut office, big.clone());
    assert_eq!(rep.status, ImportStatus::Rejected, "{rep:?}");
    assert_eq!(rep.reason_kind.as_deref(), Some("too_large"));
    let reason = rep.reason.unwrap_or_default();
    assert!(reason.contains("Gói quá lớn"), "{reason}");
    assert_eq!(dump(&office), before);

    // In a folder with a good package: the big one is refused, the good one imported.
    let reps = office.import_paths(&[folder], false).expect("folder");
    assert_eq!(reps.len(), 2);
    assert_eq!(reps[0].status, ImportStatus::Rejected);
    assert_eq!(reps[1].status, ImportStatus::Imported, "{reps:?}");
    assert!(has_household(&office, &h));
}

/// A folder import opens the next package on a second thread while the one before it is applied.
/// Each package must still get the verdict it gets alone, judged with the keys the database
/// holds when its turn comes: here the first package of the folder is what makes the commune
/// stop accepting the office's old key, and the second is signed with that old key.
#[test]
fn case_23_a_folder_import_judges_each_package_with_the_keys_known_when_its_turn_comes() {
    let World {
        dir,
        mut office,
        mut a,
    } = world();
    let d = dir.path();
    let old_identity = secret(&office);
    office.rollover_keys(30).expect("rollover");
    let new_keys = office.public_keys_file().expect("new keys");
    // As in the case above: the first return package re-pins the new key, the commune's next
    // package reaches the office, and the office's second return package is what shows the
    // commune that the office now signs with the new key (after it, the old key is refused).
    let ret1 = export_one(&mut office, d);
    assert_eq!(import_one(&mut a, ret1).status, ImportStatus::Imported);
    add_household(&mut a, "Nhà sau khi đổi khoá");
    let after = export_one(&mut a, d);
    assert_eq!(
        import_one(&mut office, after).status,
        ImportStatus::Imported
    );
    let ret2 = export_one(&mut office, d);
    let forged = office_package(d, &office, &old_identity, &a, vec![]);
    let folder = d.join("cung-luc");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::rename(&ret2, folder.join("1.hhpkg")).expect("move");
    std::fs::rename(&forged, folder.join("2.hhpkg")).expect("move");
    // One by one, the second is refused.
    let serial = tempfile::tempdir().expect("tempdir");
    let copy = serial.path().join("a.db");
    std::fs::copy(a.path(), &copy).expect("copy");
    let mut one_by_one = Ledger::open(&copy).expect("copy opens");
    let statuses: Vec<ImportStatus> = ["1.hhpkg", "2.hhpkg"]
        .iter()
        .map(|f| import_one(&mut one_by_one, folder.join(f)).status)
        .collect();
    assert_eq!(statuses, [ImportStatus::Imported, ImportStatus::Rejected]);

    let reps = a.import_paths(&[folder], false).expect("folder");
    assert_eq!(reps.len(), 2);
    assert_eq!(reps[0].status, ImportStatus::Imported, "{:?}", reps[0]);
    assert_eq!(pinned_office(&a).0, new_keys.keys.sign_pk);
    assert_eq!(reps[1].status, ImportStatus::Rejected, "{:?}", reps[1]);
    assert_eq!(reps[1].reason_kind.as_deref(), Some("bad_signature"));
}
