//! The USB exchange between real ledgers in temp dirs: an office, communes, reviewer laptops;
//! enrolment, export, import, return packages, and the failure cases of SYNC.md §5 (each test is
//! named after its case number).

use giamngheo_core::clock::FixedClock;
use giamngheo_core::exchange::{self as ex, NodeKeys, PackageKind, PackagePayload, PackageSpec};
use giamngheo_core::ledger::{Change, OpKind, OP_SCHEMA_VERSION};
use giamngheo_core::setup::{AreaType, NodeKind, Role, SetupInput, VillageInput, VillageKind};
use giamngheo_core::sync::{ImportFault, ImportReport, ImportStatus, IMPORT_STEPS};
use giamngheo_core::Ledger;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static STICK: AtomicUsize = AtomicUsize::new(0);

pub fn stick(dir: &Path) -> PathBuf {
    let p = dir.join(format!("stick{}", STICK.fetch_add(1, Ordering::SeqCst)));
    std::fs::create_dir_all(&p).expect("stick");
    p
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_date(2026, 11, 20))
}

pub fn office(dir: &Path) -> Ledger {
    let mut l = Ledger::open_with_clock(dir.join("office.db"), clock()).expect("open office");
    l.setup(&SetupInput {
        kind: NodeKind::Office,
        province_code: "04".into(),
        province_name: "Cao Bằng".into(),
        commune_code: "04".into(),
        commune_name: "Sở Nông nghiệp và Môi trường Cao Bằng".into(),
        area: AreaType::Rural,
        b1_region: None,
        villages: vec![],
        user_name: "Lục Văn Hùng".into(),
        user_role: Role::OfficeOfficer,
    })
    .expect("setup office");
    l
}

pub fn device(dir: &Path, file: &str, code: &str, role: Role, office: &Ledger) -> Ledger {
    let mut l = Ledger::open_with_clock(dir.join(file), clock()).expect("open commune");
    l.setup(&SetupInput {
        kind: NodeKind::Commune,
        province_code: "04".into(),
        province_name: "Cao Bằng".into(),
        commune_code: code.into(),
        commune_name: format!("Xã {code}"),
        area: AreaType::Rural,
        b1_region: None,
        villages: vec![VillageInput {
            code: None,
            name: "Khưa Lốm".into(),
            kind: VillageKind::Xom,
        }],
        user_name: "Nông Thị Phương".into(),
        user_role: role,
    })
    .expect("setup commune");
    l.pin_office(&office.public_keys_file().expect("keys"))
        .expect("pin office");
    l
}

/// Enrol `dev` at `office` through real packages.
pub fn enrol(dir: &Path, office: &mut Ledger, dev: &mut Ledger) {
    let req = dev.enrolment_request(&stick(dir)).expect("request");
    let resp = office
        .accept_enrolment(&req.file, &req.fingerprint, &stick(dir))
        .expect("accept");
    let r = dev.import_paths(&[resp.file], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
}

/// Export from `from` (to its default receiver) and import at `to`.
pub fn send(dir: &Path, from: &mut Ledger, to: &mut Ledger) -> Vec<ImportReport> {
    let to_id = to.local_identity().expect("id").expect("set up").node_id;
    let out = from.export(&stick(dir), Some(&to_id)).expect("export");
    let files: Vec<PathBuf> = out.into_iter().map(|e| e.file).collect();
    let r = to.import_paths(&files, false).expect("import");
    for x in &r {
        assert!(matches!(x.status, ImportStatus::Imported), "{x:?}");
    }
    r
}

fn node_id(l: &Ledger) -> String {
    l.local_identity().expect("id").expect("set up").node_id
}

fn add_household(l: &mut Ledger, address: &str, people: &[(&str, &str)]) -> String {
    let village = l.villages().expect("villages")[0].id.clone();
    let members = people
        .iter()
        .enumerate()
        .map(|(i, (name, id))| giamngheo_core::register::MemberInput {
            full_name: (*name).into(),
            relation: if i == 0 {
                "head".into()
            } else {
                "child".into()
            },
            sex: "female".into(),
            birth_date: Some("1980-03-04".into()),
            ethnicity: Some("02".into()),
            id_number: if id.is_empty() {
                None
            } else {
                Some((*id).into())
            },
            ..Default::default()
        })
        .collect();
    let input = giamngheo_core::register::HouseholdInput {
        village_id: village,
        address: address.into(),
        ethnicity: Some("02".into()),
        ethnic_minority: true,
        members,
        ..Default::default()
    };
    l.save_household(&input).expect("save").household.id
}

fn edit(l: &mut Ledger, hid: &str, field: &str, value: &str) {
    l.write(
        "edit",
        vec![Change::new("household", hid, OpKind::Update).with(field, value)],
    )
    .expect("edit");
}

fn field(l: &Ledger, hid: &str, f: &str) -> Option<String> {
    l.conn()
        .query_row(
            &format!("SELECT {f} FROM household WHERE id = ?1"),
            [hid],
            |r| r.get(0),
        )
        .ok()
        .flatten()
}

fn conflicts(l: &Ledger) -> i64 {
    l.conn()
        .query_row(
            "SELECT count(*) FROM conflict WHERE entity IN ('household', 'member')",
            [],
            |r| r.get(0),
        )
        .expect("count")
}

/// Every table, every row, in a stable order: "unchanged" means equal dumps.
pub fn dump(l: &Ledger) -> Vec<String> {
    let conn = l.conn();
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("names");
    tables.sort();
    let mut out = Vec::new();
    for t in tables {
        out.extend(table_rows(l, &t, None));
    }
    out
}

fn table_rows(l: &Ledger, table: &str, filter: Option<&str>) -> Vec<String> {
    let sql = format!(
        "SELECT * FROM {table} {}",
        filter.map(|f| format!("WHERE {f}")).unwrap_or_default()
    );
    let mut stmt = l.conn().prepare(&sql).expect("select");
    let n = stmt.column_count();
    let mut rows: Vec<String> = stmt
        .query_map([], |r| {
            let mut s = format!("{table}:");
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i)?;
                s.push_str(&format!("{v:?}|"));
            }
            Ok(s)
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("collect");
    rows.sort();
    rows
}

/// Conflict rows exactly as stored (the ledger writes their heads in a canonical order, so
/// replicas must agree byte for byte).
fn conflict_rows(l: &Ledger, filter: Option<&str>) -> Vec<String> {
    let sql = format!(
        "SELECT entity, row_id, field, kind, heads FROM conflict {}",
        filter.map(|f| format!("WHERE {f}")).unwrap_or_default()
    );
    let mut stmt = l.conn().prepare(&sql).expect("select");
    let mut rows: Vec<String> = stmt
        .query_map([], |r| {
            Ok(format!(
                "conflict:{}|{}|{}|{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?.unwrap_or_default()
            ))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("collect");
    rows.sort();
    rows
}

/// The materialised register of one commune (households, members, their conflicts).
fn register_of(l: &Ledger, commune: &str) -> Vec<String> {
    let mut out = table_rows(l, "household", Some(&format!("commune_code = '{commune}'")));
    out.extend(table_rows(
        l,
        "member",
        Some(&format!(
            "household_id IN (SELECT id FROM household WHERE commune_code = '{commune}')"
        )),
    ));
    out.extend(conflict_rows(
        l,
        Some(&format!(
            "(entity = 'household' AND row_id IN (SELECT id FROM household WHERE commune_code = '{commune}'))
             OR (entity = 'member' AND row_id IN (SELECT m.id FROM member m JOIN household h ON h.id = m.household_id WHERE h.commune_code = '{commune}'))"
        )),
    ));
    out
}

/// Close a ledger and return it with an identical copy (same node, same keys).
fn fork(dir: &Path, l: Ledger, name: &str) -> (Ledger, Ledger) {
    let path = l.path().to_path_buf();
    drop(l);
    let copy = dir.join(name);
    std::fs::copy(&path, &copy).expect("copy db");
    (
        Ledger::open_with_clock(&path, clock()).expect("reopen"),
        Ledger::open_with_clock(&copy, clock()).expect("open copy"),
    )
}

struct Net {
    dir: tempfile::TempDir,
    office: Ledger,
    a: Ledger,
    b: Ledger,
}

fn net() -> Net {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut office = office(dir.path());
    let mut a = device(dir.path(), "a.db", "01234", Role::CommuneOfficer, &office);
    let mut b = device(dir.path(), "b.db", "05678", Role::CommuneOfficer, &office);
    enrol(dir.path(), &mut office, &mut a);
    enrol(dir.path(), &mut office, &mut b);
    Net { dir, office, a, b }
}

/// The header of a hand-built package (forged content, or a signer the test chooses): version-1
/// ops, a fixed device time, no chain or op ranges.
pub fn test_spec(
    kind: PackageKind,
    sender_node: String,
    sender_cert_serial: Option<u64>,
    receiver_node: String,
    pkg_seq: u64,
) -> PackageSpec {
    PackageSpec {
        package_id: uuid::Uuid::now_v7(),
        kind,
        sender_node,
        sender_cert_serial,
        receiver_node,
        pkg_seq,
        prev_pkg_sha256: None,
        schema_ver: 1,
        app_version: "0.1.0".into(),
        min_app_version: None,
        op_ranges: Default::default(),
        audit_head_sha256: None,
        sender_lamport: 1,
        device_time: "2026-11-20T05:00:00Z".into(),
    }
}

/// A package signed by `dev`'s real keys with arbitrary op lines (forged content, real signer).
fn forge(dir: &Path, dev: &Ledger, receiver: &Ledger, ops: Vec<String>) -> PathBuf {
    let conn = dev.conn();
    let (node, secret): (String, String) = conn
        .query_row(
            "SELECT node_id, secret_keys FROM local_node WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("me");
    let (short, serial): (String, Option<i64>) = conn
        .query_row(
            "SELECT short_code, cert_serial FROM node WHERE node_id = ?1",
            [&node],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("node");
    let keys = NodeKeys::from_secret_string(&secret).expect("keys");
    let rk = receiver.public_keys_file().expect("receiver keys");
    let spec = test_spec(
        PackageKind::Data,
        node,
        serial.map(|s| s as u64),
        rk.node_id.clone(),
        900 + STICK.fetch_add(1, Ordering::SeqCst) as u64,
    );
    let bytes = ex::build_package(
        &spec,
        &PackagePayload {
            ops,
            sections: vec![],
        },
        &keys,
        &[rk.keys.enc_recipient.as_str()],
    )
    .expect("build");
    let name = ex::package_file_name(&short, "VP04", spec.pkg_seq).expect("name");
    ex::write_package(&stick(dir), &name, &bytes)
        .expect("write")
        .path
}

/// The one number `sql` selects from `l`'s database.
fn count(l: &Ledger, sql: &str) -> i64 {
    l.conn().query_row(sql, [], |r| r.get(0)).expect(sql)
}

fn op_lines(l: &Ledger) -> Vec<String> {
    l.ops()
        .expect("ops")
        .iter()
        .map(|o| serde_json::to_string(o).expect("json"))
        .collect()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn full_cycle_office_two_communes_and_return() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    // Enrolment assigned short codes and certificates.
    let sa = n.a.exchange_status().expect("status");
    assert!(sa.enrolled);
    assert_eq!(sa.short_code, "01234-1");
    let ha = add_household(
        &mut n.a,
        "Xóm Khưa Lốm, nhà 3",
        &[("Nông Văn Dũng", "004080001234")],
    );
    let hb = add_household(&mut n.b, "Bản Nà Pán", &[("Hoàng Thị Mai", "004180009876")]);
    let probe = n.a.export(&stick(&d), None).expect("export");
    let header =
        ex::read_header_unverified(&std::fs::read(&probe[0].file).expect("read")).expect("header");
    assert_eq!(
        header.compression.as_deref(),
        Some("deflate"),
        "data packages are compressed"
    );
    assert!(header.op_ranges.contains_key(&node_id(&n.a)));
    let ra = send(&d, &mut n.a, &mut n.office);
    assert!(ra[0].ops_new > 0);
    assert_eq!(ra[0].ops_duplicate, 0);
    send(&d, &mut n.b, &mut n.office);
    assert_eq!(
        field(&n.office, &ha, "address").as_deref(),
        Some("Xóm Khưa Lốm, nhà 3")
    );
    assert_eq!(
        field(&n.office, &hb, "commune_code").as_deref(),
        Some("05678")
    );
    // Return to every enrolled device.
    let returns = n.office.export(&stick(&d), None).expect("return");
    assert_eq!(returns.len(), 2);
    let to_a: Vec<PathBuf> = returns
        .iter()
        .filter(|r| r.receiver == "01234-1")
        .map(|r| r.file.clone())
        .collect();
    let r = n.a.import_paths(&to_a, false).expect("import return");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    // A now knows the office holds all of its ops: nothing pending.
    let st = n.a.exchange_status().expect("status");
    assert_eq!(
        st.pending.iter().map(|p| p.ops).sum::<u64>(),
        0,
        "{:?}",
        st.pending
    );
    assert!(!st.sent.is_empty() && !st.received.is_empty());
    let next = n.a.export(&stick(&d), None).expect("export");
    assert_eq!(next[0].ops, 0);
    // …and once A's acknowledgement reaches the office, nothing is pending there either, although
    // the office's own ops reach each commune with gaps (only those that concern it).
    n.office
        .import_paths(&[next[0].file.clone()], false)
        .expect("acks");
    let so = n.office.exchange_status().expect("status");
    let pending_a = so
        .pending
        .iter()
        .find(|p| p.receiver == node_id(&n.a))
        .map(|p| p.ops);
    assert_eq!(pending_a, Some(0), "{:?}", so.pending);
    // The office knows what A acknowledged.
    let so = n.office.exchange_status().expect("status");
    assert!(so.acks.iter().any(|a| a.peer == node_id(&n.a)));
    // Commune B's household never reaches A.
    assert_eq!(field(&n.a, &hb, "address"), None);
    // Every import and export left a verifiable audit trail.
    for l in [&n.office, &n.a, &n.b] {
        assert!(giamngheo_core::ledger::verify_audit_chain(l.conn()).expect("audit chain") > 0);
    }
}

/// Migration 9: an imported package's plaintext is kept once, and the rows of the ops applied
/// from it keep no body, author or device time of their own. Every reader still sees the ops as
/// the sender wrote them, a re-sent package adds no copy, and a damaged copy is reported.
#[test]
fn imported_ops_keep_their_text_in_the_package_they_came_in() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let hid = add_household(&mut n.a, "Nhà 7", &[("Nông Văn Bảy", "004080001111")]);
    edit(&mut n.a, &hid, "address", "Nhà 7, xóm Trên");
    let a_id = node_id(&n.a);
    let out = n.a.export(&stick(&d), None).expect("export");
    let r = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    let count = |l: &Ledger, sql: &str| -> i64 {
        l.conn().query_row(sql, [&a_id], |r| r.get(0)).expect(sql)
    };
    assert_eq!(
        count(&n.office, "SELECT count(*) FROM op WHERE origin = ?1") as u64,
        r[0].ops_new
    );
    // The household and its member: text in the package only. The commune's setup rows
    // (province, commune, village, user), which every commune writes, keep theirs in the row.
    let register = "entity IN ('household', 'member')";
    let of_register = count(
        &n.office,
        &format!("SELECT count(*) FROM op WHERE origin = ?1 AND {register}"),
    );
    assert_eq!(of_register, 3);
    assert_eq!(
        count(
            &n.office,
            "SELECT count(*) FROM op WHERE origin = ?1 AND pack_line IS NOT NULL
               AND body = '' AND user_id = '' AND device_time = ''"
        ),
        of_register,
        "only the register's ops keep their text in the package only"
    );
    assert!(
        count(
            &n.office,
            &format!("SELECT count(*) FROM op WHERE origin = ?1 AND pack_line IS NULL AND body <> '' AND NOT {register}")
        ) >= 4
    );
    let packs = |l: &Ledger| -> i64 {
        l.conn()
            .query_row("SELECT count(*) FROM op_pack", [], |r| r.get(0))
            .expect("packs")
    };
    assert_eq!(packs(&n.office), 1);
    // Read back, the ops are the sender's, byte for byte, and so is the history shown.
    let mine = |l: &Ledger| -> Vec<String> {
        op_lines(l)
            .into_iter()
            .filter(|o| o.contains(&a_id))
            .collect()
    };
    assert_eq!(mine(&n.office), mine(&n.a));
    let history = |l: &Ledger| -> Vec<(String, String, Vec<String>)> {
        l.household_history(&hid)
            .expect("history")
            .into_iter()
            .map(|h| {
                let changes = h
                    .changes
                    .iter()
                    .map(|c| format!("{}={}", c.field, c.value))
                    .collect();
                (h.time, h.what, changes)
            })
            .collect()
    };
    let at_office = history(&n.office);
    assert!(at_office
        .iter()
        .any(|(_, _, c)| c.contains(&"address=Nhà 7, xóm Trên".to_owned())));
    assert_eq!(at_office, history(&n.a));
    // A later package's edit, which supersedes the first one: found through the row's
    // revision state like the ops it superseded, in the same order as at the commune.
    edit(&mut n.a, &hid, "address", "Nhà 7, xóm Dưới");
    send(&d, &mut n.a, &mut n.office);
    let at_office = history(&n.office);
    assert_eq!(at_office.len(), 4, "{at_office:#?}");
    assert_eq!(at_office, history(&n.a));
    assert_eq!(packs(&n.office), 2);
    // The first package again: duplicates only, no further copy.
    let again = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("again");
    assert_eq!(again[0].ops_new, 0);
    assert_eq!(packs(&n.office), 2);
    // The kept package is append-only, and a damaged copy is reported, never read as data.
    let conn = n.office.conn();
    assert!(conn.execute("DELETE FROM op_pack", []).is_err());
    assert!(conn
        .execute("UPDATE op_pack SET content = x'00'", [])
        .is_err());
    conn.execute_batch(
        "DROP TRIGGER op_pack_no_update;
         UPDATE op_pack SET content = zeroblob(length(content)), content_sha256 = zeroblob(32);",
    )
    .expect("damage the copy");
    let err = n.office.ops().expect_err("a damaged package is not read");
    assert!(err.to_string().contains("Nhật ký thao tác hỏng"), "{err}");
}

#[test]
fn case01_same_package_twice_is_duplicate_and_changes_nothing() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let out = n.a.export(&stick(&d), None).expect("export");
    let first = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("import");
    assert_eq!(first[0].status, ImportStatus::Imported);
    let before = dump(&n.office);
    let again = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("import");
    assert_eq!(again[0].status, ImportStatus::Duplicate);
    assert_eq!(dump(&n.office), before);
}

#[test]
fn case02_same_package_under_another_name_on_another_stick_is_duplicate() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let out = n.a.export(&stick(&d), None).expect("export");
    n.office
        .import_paths(&[out[0].file.clone()], false)
        .expect("import");
    let before = dump(&n.office);
    let other = stick(&d).join("copy-of-package.hhpkg");
    std::fs::copy(&out[0].file, &other).expect("copy");
    let r = n.office.import_paths(&[other], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Duplicate);
    assert_eq!(dump(&n.office), before);
}

#[test]
fn case03_packages_imported_out_of_order_give_the_same_state() {
    let n = net();
    let d = n.dir.path().to_path_buf();
    let Net { office, mut a, .. } = n;
    let h = add_household(&mut a, "Nhà 1", &[("Nông Văn A", "")]);
    let p4 = a.export(&stick(&d), None).expect("p4")[0].file.clone();
    edit(&mut a, &h, "address", "Nhà 1, sửa");
    add_household(&mut a, "Nhà 2", &[("Nông Văn B", "")]);
    let p5 = a.export(&stick(&d), None).expect("p5")[0].file.clone();
    let (mut o1, mut o2) = fork(&d, office, "office2.db");
    o1.import_paths(&[p4.clone(), p5.clone()], false)
        .expect("4,5");
    o2.import_paths(&[p5, p4], false).expect("5,4");
    assert_eq!(register_of(&o1, "01234"), register_of(&o2, "01234"));
    assert_eq!(field(&o1, &h, "address").as_deref(), Some("Nhà 1, sửa"));
}

#[test]
fn case04_cumulative_reexport_counts_only_new_ops() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let p1 = n.a.export(&stick(&d), None).expect("p1");
    let r1 = n
        .office
        .import_paths(&[p1[0].file.clone()], false)
        .expect("i1");
    edit(&mut n.a, &h, "note", "đã xác minh");
    let p2 = n.a.export(&stick(&d), None).expect("p2");
    assert_eq!(p2[0].ops, p1[0].ops + 1, "cumulative since acknowledgement");
    let r2 = n
        .office
        .import_paths(&[p2[0].file.clone()], false)
        .expect("i2");
    assert_eq!(r2[0].ops_new, 1);
    assert_eq!(r2[0].ops_duplicate, r1[0].ops_new);
    assert_eq!(r2[0].conflicts, 0);
    assert_eq!(conflicts(&n.office), 0);
}

#[test]
fn case08_unknown_device_or_unknown_certificate_serial_is_quarantined() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    // A device that pinned the office but was never enrolled.
    let mut u = device(&d, "u.db", "09999", Role::CommuneOfficer, &n.office);
    add_household(&mut u, "Nhà lạ", &[("Người Lạ", "")]);
    assert!(
        u.export(&stick(&d), None).is_err(),
        "unenrolled export refused"
    );
    let forged = forge(&d, &u, &n.office, op_lines(&u));
    let ops_before = n.office.ops().expect("ops").len();
    let r = n.office.import_paths(&[forged], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Quarantined, "{r:?}");
    assert_eq!(r[0].reason_kind.as_deref(), Some("unknown_sender"));
    assert_eq!(n.office.ops().expect("ops").len(), ops_before);
    // Unauthenticated: reported, nothing written (the file can be imported after enrolment).
    let st = n.office.exchange_status().expect("status");
    assert!(st.received.iter().all(|p| p.status != "quarantined"));

    // A re-enrolled at the office (new serial); its package with the old serial is set aside.
    let req = n.a.enrolment_request(&stick(&d)).expect("request");
    n.office
        .accept_enrolment(&req.file, &req.fingerprint, &stick(&d))
        .expect("re-accept");
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let out = n.a.export(&stick(&d), None).expect("export");
    let r = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("import");
    assert_eq!(r[0].status, ImportStatus::Quarantined, "{r:?}");
    assert_eq!(r[0].reason_kind.as_deref(), Some("unknown_certificate"));
}

#[test]
fn case09_revoked_device_ops_after_the_revocation_point_are_set_aside() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let a_id = node_id(&n.a);
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let last_good: i64 =
        n.a.conn()
            .query_row("SELECT next_seq - 1 FROM local_node", [], |r| r.get(0))
            .expect("seq");
    edit(&mut n.a, &h, "note", "sau khi máy bị mất");
    edit(&mut n.a, &h, "address", "địa chỉ giả");
    n.office.revoke_device(&a_id, last_good).expect("revoke");
    let out = n.a.export(&stick(&d), None).expect("export");
    let r = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    assert_eq!(r[0].set_aside, 2);
    let aside = n.office.set_aside_ops().expect("set aside");
    assert_eq!(aside.len(), 2, "kept for the officer, not applied");
    assert!(aside
        .iter()
        .all(|x| x.seq > last_good && x.reason.contains("thu hồi")));
    assert_eq!(r[0].ops_new as i64, last_good);
    assert_eq!(field(&n.office, &h, "address").as_deref(), Some("Nhà 1"));
    assert_eq!(field(&n.office, &h, "note").as_deref(), Some(""));
}

/// Commune A's officer writes `sneak` and sends everything to the office: the package is
/// quarantined as another commune's data and nothing of it is applied.
fn assert_quarantined_as_another_communes(n: &mut Net, sneak: Change) -> ImportReport {
    n.a.write("sneak", vec![sneak]).expect("write");
    let before = n.office.ops().expect("ops").len();
    let out = n.a.export(&stick(n.dir.path()), None).expect("export");
    let r = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("import");
    assert_eq!(r[0].status, ImportStatus::Quarantined, "{r:?}");
    assert_eq!(r[0].reason_kind.as_deref(), Some("wrong_commune"));
    assert_eq!(
        n.office.ops().expect("ops").len(),
        before,
        "nothing applied"
    );
    r.into_iter().next().expect("report")
}

#[test]
fn case11_commune_package_with_another_communes_rows_is_quarantined() {
    let mut n = net();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let sneak = Change::new(
        "household",
        giamngheo_core::ledger::new_id(),
        OpKind::Create,
    )
    .with("commune_code", "05678")
    .with("address", "hộ của xã khác");
    assert_quarantined_as_another_communes(&mut n, sneak);
}

#[test]
fn case11_a_member_put_into_another_communes_household_is_quarantined() {
    // The commune of the member's row is read from the office's database (the household came
    // in commune B's package), not from the package itself.
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let hb = add_household(&mut n.b, "Nhà xã B", &[("Hoàng Văn B", "")]);
    send(&d, &mut n.b, &mut n.office);
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let sneak = Change::new("member", giamngheo_core::ledger::new_id(), OpKind::Create)
        .with("household_id", hb.as_str())
        .with("full_name", "Người lạ");
    let r = assert_quarantined_as_another_communes(&mut n, sneak);
    assert!(r.reason.as_deref().unwrap_or("").contains("05678"), "{r:?}");
}

#[test]
fn case13_equivocation_quarantines_the_package_and_flags_the_device() {
    let n = net();
    let d = n.dir.path().to_path_buf();
    let Net { mut office, a, .. } = n;
    let (mut a1, mut a2) = fork(&d, a, "a-clone.db");
    add_household(&mut a1, "Nhà của máy gốc", &[("Nông Văn A", "")]);
    add_household(&mut a2, "Nhà của máy sao chép", &[("Nông Văn B", "")]);
    let p1 = a1.export(&stick(&d), None).expect("p1")[0].file.clone();
    let p2 = a2.export(&stick(&d), None).expect("p2")[0].file.clone();
    let r = office.import_paths(&[p1], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported);
    let ops_before = office.ops().expect("ops").len();
    let r = office.import_paths(&[p2], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Quarantined, "{r:?}");
    assert_eq!(r[0].reason_kind.as_deref(), Some("equivocation"));
    assert_eq!(office.ops().expect("ops").len(), ops_before);
    let flagged = office
        .nodes()
        .expect("nodes")
        .into_iter()
        .find(|x| x.node_id == node_id(&a1))
        .and_then(|x| x.flagged);
    assert!(flagged.is_some());
}

#[test]
fn case14_old_package_replayed_after_office_correction_changes_nothing() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let p1 = n.a.export(&stick(&d), None).expect("p1")[0].file.clone();
    let p2 = n.a.export(&stick(&d), None).expect("p2")[0].file.clone();
    n.office.import_paths(&[p2], false).expect("p2");
    n.office
        .correct_field(
            "household",
            &h,
            "address",
            "Nhà 1, xóm Khưa Lốm".into(),
            "Sai địa chỉ theo sổ hộ khẩu",
        )
        .expect("correct");
    let before = register_of(&n.office, "01234");
    let r = n.office.import_paths(&[p1], false).expect("replay");
    // A different package (another id) whose ops are all known: applied as duplicates only.
    assert_eq!(r[0].ops_new, 0);
    assert_eq!(
        field(&n.office, &h, "address").as_deref(),
        Some("Nhà 1, xóm Khưa Lốm")
    );
    assert_eq!(register_of(&n.office, "01234"), before);
}

#[test]
fn case15_months_late_package_is_applied_and_raises_a_review_item() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    send(&d, &mut n.a, &mut n.office);
    edit(&mut n.a, &h, "no_labour", "1");
    let late = n.a.export(&stick(&d), None).expect("late")[0].file.clone();
    // Months pass; the office corrects the same field.
    n.office
        .correct_field(
            "household",
            &h,
            "no_labour",
            0.into(),
            "Hộ có người lao động",
        )
        .expect("correct");
    let r = n.office.import_paths(&[late], false).expect("late import");
    assert_eq!(r[0].status, ImportStatus::Imported);
    assert_eq!(r[0].ops_new, 1);
    assert_eq!(r[0].conflicts, 1);
    let shown: i64 = n
        .office
        .conn()
        .query_row("SELECT no_labour FROM household WHERE id = ?1", [&h], |r| {
            r.get(0)
        })
        .expect("no_labour");
    assert_eq!(shown, 0, "the office's value is displayed");
}

#[test]
fn case17_killed_at_each_step_of_import_leaves_the_db_unchanged_then_imports_fully() {
    let n = net();
    let d = n.dir.path().to_path_buf();
    let Net { office, mut a, .. } = n;
    add_household(&mut a, "Nhà 1", &[("Nông Văn A", ""), ("Nông Thị B", "")]);
    let p = a.export(&stick(&d), None).expect("export")[0].file.clone();
    let (mut o, mut reference) = fork(&d, office, "office-ref.db");
    reference
        .import_paths(std::slice::from_ref(&p), false)
        .expect("reference");
    let before = dump(&o);
    for step in 0..IMPORT_STEPS {
        let r = o
            .import_paths_with(
                std::slice::from_ref(&p),
                false,
                ImportFault {
                    fail_after_step: Some(step),
                    ..Default::default()
                },
            )
            .expect("import");
        assert_eq!(r[0].status, ImportStatus::Rejected, "step {step}: {r:?}");
        assert_eq!(dump(&o), before, "step {step} left a trace");
    }
    let r = o.import_paths(&[p], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported);
    assert_eq!(register_of(&o, "01234"), register_of(&reference, "01234"));
    assert_eq!(o.ops().expect("ops"), reference.ops().expect("ops"));
}

#[test]
fn case21_unknown_op_kind_or_field_rejects_the_whole_package() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let before = dump(&n.office);
    let mut lines = op_lines(&n.a);
    let last = lines.len() - 1;
    lines[last] = lines[last]
        .replace("\"kind\":\"create\"", "\"kind\":\"explode\"")
        .replace("\"kind\":\"update\"", "\"kind\":\"explode\"");
    assert!(lines[last].contains("explode"));
    let p = forge(&d, &n.a, &n.office, lines);
    let r = n.office.import_paths(&[p], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Rejected, "{r:?}");
    assert_eq!(r[0].reason_kind.as_deref(), Some("bad_op"));
    assert_eq!(dump(&n.office), before);
    assert!(
        r[0].reason
            .as_deref()
            .unwrap_or("")
            .contains("loại thao tác không xác định"),
        "{r:?}"
    );

    let mut lines = op_lines(&n.a);
    lines[1] = lines[1].replacen('{', "{\"extra\":1,", 1);
    let p = forge(&d, &n.a, &n.office, lines);
    let r = n.office.import_paths(&[p], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Rejected, "{r:?}");
    assert!(
        r[0].reason.as_deref().unwrap_or("").contains("“extra”"),
        "{r:?}"
    );
    assert_eq!(dump(&n.office), before);

    let mut lines = op_lines(&n.a);
    lines[0] = lines[0].replacen("\"set\":{", "\"set\":{\"secret_column\":1,", 1);
    let p = forge(&d, &n.a, &n.office, lines);
    let r = n.office.import_paths(&[p], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Rejected, "{r:?}");
    assert!(r[0]
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("secret_column"));
    assert_eq!(dump(&n.office), before);
}

/// A package that carries the same op twice (same key, same body) imports it once and counts
/// the copy as a duplicate: the import writes a package's log rows several per statement and
/// must not meet the copy's key there (`ledger::LogWrite::Deferred`).
#[test]
fn an_op_carried_twice_in_one_package_is_applied_once() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", ""), ("Lò Thị B", "")]);
    add_household(&mut n.a, "Nhà 2", &[("Ma Văn C", "")]);
    let lines = op_lines(&n.a);
    assert!(lines.len() >= 5, "{}", lines.len());
    let mut twice = lines.clone();
    twice.insert(3, lines[1].clone());
    twice.push(lines[0].clone());
    let p = forge(&d, &n.a, &n.office, twice);
    let r = n.office.import_paths(&[p], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    assert_eq!(
        (r[0].ops_new, r[0].ops_duplicate),
        (lines.len() as u64, 2),
        "{r:?}"
    );
    // The honest package then brings nothing new: every op of `a` is held exactly once.
    let r = send(&d, &mut n.a, &mut n.office);
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    assert_eq!(r[0].ops_new, 0, "{r:?}");
    let a_id = node_id(&n.a);
    let (rows, keys): (i64, i64) = n
        .office
        .conn()
        .query_row(
            "SELECT count(*), count(DISTINCT seq) FROM op WHERE origin = ?1",
            [&a_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count");
    assert_eq!((rows, keys), (lines.len() as i64, lines.len() as i64));
    let names = count(
        &n.office,
        "SELECT count(*) FROM member WHERE full_name IN ('Nông Văn A', 'Lò Thị B', 'Ma Văn C')",
    );
    assert_eq!(names, 3);
}

#[test]
fn case24_batch_of_30_packages_with_3_bad_imports_the_27() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let folder = stick(&d);
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let mut good = Vec::new();
    for i in 0..27 {
        edit(&mut n.a, &h, "note", &format!("lần {i}"));
        let out = n.a.export(&folder, None).expect("export");
        good.push(out[0].file.clone());
    }
    // Three bad ones: truncated, bit-flipped, addressed to another office.
    let bytes = std::fs::read(&good[5]).expect("read");
    std::fs::write(
        folder.join("bad-truncated.hhpkg"),
        &bytes[..bytes.len() / 2],
    )
    .expect("w");
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    std::fs::write(folder.join("bad-flipped.hhpkg"), &flipped).expect("w");
    let other_dir = tempfile::tempdir().expect("tmp");
    let other_office = office(other_dir.path());
    let foreign = forge(&d, &n.a, &other_office, op_lines(&n.a));
    std::fs::copy(&foreign, folder.join("bad-foreign.hhpkg")).expect("copy");
    let mut seen = Vec::new();
    let r = n
        .office
        .import_paths_progress(&[folder], false, &mut |done, total, rep| {
            seen.push((done, total, rep.status))
        })
        .expect("import");
    assert_eq!(r.len(), 30);
    assert_eq!(seen.len(), 30);
    assert_eq!(seen[29].0, 30);
    assert!(seen.iter().all(|s| s.1 == 30));
    let imported = r
        .iter()
        .filter(|x| x.status == ImportStatus::Imported)
        .count();
    let bad: Vec<&ImportReport> = r
        .iter()
        .filter(|x| x.status == ImportStatus::Rejected)
        .collect();
    assert_eq!(imported, 27, "{r:#?}");
    assert_eq!(bad.len(), 3);
    for b in bad {
        assert!(b.file.contains("bad-"));
        assert!(b.reason.as_deref().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(field(&n.office, &h, "note").as_deref(), Some("lần 26"));
}

/// Two devices of commune A (officer and a reviewer sending straight to the office).
fn net_two_devices() -> (Net, Ledger) {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let mut r = device(&d, "a2.db", "01234", Role::Reviewer, &n.office);
    enrol(&d, &mut n.office, &mut r);
    (n, r)
}

/// Exchange until quiet: each device → office, office → each device, twice.
fn settle(d: &Path, office: &mut Ledger, devices: &mut [&mut Ledger]) {
    for _ in 0..2 {
        for dev in devices.iter_mut() {
            send(d, dev, office);
        }
        for dev in devices.iter_mut() {
            send(d, office, dev);
        }
    }
}

#[test]
fn case25_concurrent_edits_of_different_fields_merge_without_review() {
    let (mut n, mut r) = net_two_devices();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    edit(&mut n.a, &h, "address", "Nhà 1, xóm Khưa Lốm");
    edit(&mut r, &h, "note", "đã phỏng vấn");
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    for l in [&n.office, &n.a, &r] {
        assert_eq!(
            field(l, &h, "address").as_deref(),
            Some("Nhà 1, xóm Khưa Lốm")
        );
        assert_eq!(field(l, &h, "note").as_deref(), Some("đã phỏng vấn"));
        assert_eq!(conflicts(l), 0);
    }
    assert_eq!(register_of(&n.office, "01234"), register_of(&n.a, "01234"));
    assert_eq!(register_of(&n.a, "01234"), register_of(&r, "01234"));
}

#[test]
fn case26_concurrent_edits_of_one_field_keep_both_heads_in_every_import_order() {
    let (mut n, mut r) = net_two_devices();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    edit(&mut n.a, &h, "merit", "1");
    edit(&mut r, &h, "merit", "0");
    let pa = n.a.export(&stick(&d), None).expect("pa")[0].file.clone();
    let pr = r.export(&stick(&d), None).expect("pr")[0].file.clone();
    let Net { office, .. } = n;
    let (mut o1, mut o2) = fork(&d, office, "office-perm.db");
    for r in o1
        .import_paths(&[pa.clone(), pr.clone()], false)
        .expect("a,r")
    {
        assert_eq!(r.status, ImportStatus::Imported, "{r:?}");
    }
    for r in o2.import_paths(&[pr, pa], false).expect("r,a") {
        assert_eq!(r.status, ImportStatus::Imported, "{r:?}");
    }
    assert_eq!(register_of(&o1, "01234"), register_of(&o2, "01234"));
    assert_eq!(conflicts(&o1), 1, "a review item");
}

#[test]
fn case27_office_correction_concurrent_with_commune_edit_converges_after_return() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    send(&d, &mut n.a, &mut n.office);
    edit(&mut n.a, &h, "address", "Nhà 1 (xã sửa)");
    let key = n
        .office
        .correct_field(
            "household",
            &h,
            "address",
            "Nhà 1 (văn phòng sửa)".into(),
            "Theo biên bản xác minh",
        )
        .expect("correct");
    send(&d, &mut n.a, &mut n.office);
    assert_eq!(
        field(&n.office, &h, "address").as_deref(),
        Some("Nhà 1 (văn phòng sửa)")
    );
    assert_eq!(conflicts(&n.office), 1, "review item at the office");
    send(&d, &mut n.office, &mut n.a);
    assert_eq!(
        field(&n.a, &h, "address").as_deref(),
        Some("Nhà 1 (văn phòng sửa)")
    );
    assert_eq!(register_of(&n.a, "01234"), register_of(&n.office, "01234"));
    assert_eq!(
        n.a.op_reason(&key).expect("reason").as_deref(),
        Some("Theo biên bản xác minh")
    );
}

#[test]
fn case29_delete_concurrent_with_edit_shows_deleted_and_keeps_the_edit() {
    let (mut n, mut r) = net_two_devices();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    n.a.write(
        "delete",
        vec![Change::new("household", h.as_str(), OpKind::Delete).with("deleted", 1)],
    )
    .expect("delete");
    edit(&mut r, &h, "note", "vẫn còn ở đây");
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    for l in [&n.office, &n.a, &r] {
        let deleted: i64 = l
            .conn()
            .query_row("SELECT deleted FROM household WHERE id = ?1", [&h], |x| {
                x.get(0)
            })
            .expect("deleted");
        assert_eq!(deleted, 1);
        assert_eq!(field(l, &h, "note").as_deref(), Some("vẫn còn ở đây"));
    }
    assert_eq!(register_of(&n.a, "01234"), register_of(&r, "01234"));
}

#[test]
fn case30_same_national_id_in_two_communes_keeps_both_records() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let ha = add_household(&mut n.a, "Nhà A", &[("Nông Văn Dũng", "004080001234")]);
    let hb = add_household(&mut n.b, "Nhà B", &[("Nong Van Dung", "004080001234")]);
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.b, &mut n.office);
    let same_id = count(
        &n.office,
        "SELECT count(*) FROM member WHERE id_number = '004080001234'",
    );
    assert_eq!(same_id, 2);
    assert!(
        field(&n.office, &ha, "address").is_some() && field(&n.office, &hb, "address").is_some()
    );
}

#[test]
fn case31_child_row_before_its_parent_is_kept_and_appears_with_it() {
    let (n, mut r) = net_two_devices();
    let d = n.dir.path().to_path_buf();
    let Net {
        office,
        mut a,
        dir: _dir,
        ..
    } = n;
    // A second replica of the office that will get the packages in the other order.
    let (mut office, mut o2) = fork(&d, office, "office-late.db");
    let h = add_household(&mut a, "Nhà 1", &[("Nông Văn A", "")]);
    let pa = a.export(&stick(&d), None).expect("pa")[0].file.clone();
    office
        .import_paths(std::slice::from_ref(&pa), false)
        .expect("office");
    send(&d, &mut office, &mut r);
    let member = giamngheo_core::ledger::new_id();
    r.write(
        "add member",
        vec![Change::new("member", member.as_str(), OpKind::Create)
            .with("household_id", h.as_str())
            .with("full_name", "Nông Thị Con")
            .with("relation", "child")
            .with("status", "present")],
    )
    .expect("member");
    let pr = r.export(&stick(&d), None).expect("pr")[0].file.clone();
    // The child (reviewer's member) reaches o2 before its parent (officer's household).
    let rr = o2
        .import_paths(std::slice::from_ref(&pr), false)
        .expect("child first");
    assert_eq!(rr[0].status, ImportStatus::Imported, "{rr:?}");
    let m: i64 = o2
        .conn()
        .query_row(
            "SELECT count(*) FROM member WHERE id = ?1",
            [&member],
            |x| x.get(0),
        )
        .expect("member");
    assert_eq!(m, 1, "the child is kept");
    assert_eq!(field(&o2, &h, "address"), None);
    o2.import_paths(&[pa], false).expect("parent");
    let count: i64 = o2
        .conn()
        .query_row(
            "SELECT member_count FROM household WHERE id = ?1",
            [&h],
            |x| x.get(0),
        )
        .expect("count");
    assert_eq!(count, 2, "the household appears with both members");
    office.import_paths(&[pr], false).expect("office child");
    assert_eq!(register_of(&office, "01234"), register_of(&o2, "01234"));
}

#[test]
fn case33_equal_values_written_concurrently_raise_no_review_item() {
    let (mut n, mut r) = net_two_devices();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    edit(&mut n.a, &h, "address", "Nhà 1, xóm Khưa Lốm");
    edit(&mut r, &h, "address", "Nhà 1, xóm Khưa Lốm");
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    for l in [&n.office, &n.a, &r] {
        assert_eq!(conflicts(l), 0);
        assert_eq!(
            field(l, &h, "address").as_deref(),
            Some("Nhà 1, xóm Khưa Lốm")
        );
    }
}

#[test]
fn case34_wrong_clocks_do_not_decide_which_edit_wins() {
    let (mut n, mut r) = net_two_devices();
    let d = n.dir.path().to_path_buf();
    n.a.set_clock(Arc::new(FixedClock::at_date(2035, 1, 1)));
    r.set_clock(Arc::new(FixedClock::at_date(2009, 1, 1)));
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    edit(&mut n.a, &h, "note", "ghi năm 2035");
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    // The reviewer, with a clock 26 years behind, edits AFTER seeing the 2035 edit: it wins.
    edit(&mut r, &h, "note", "ghi sau, đồng hồ 2009");
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    for l in [&n.office, &n.a, &r] {
        assert_eq!(
            field(l, &h, "note").as_deref(),
            Some("ghi sau, đồng hồ 2009")
        );
        assert_eq!(conflicts(l), 0);
    }
}

#[test]
fn case35_colliding_codes_and_ids_never_abort_an_import() {
    let (mut n, mut r) = net_two_devices();
    let d = n.dir.path().to_path_buf();
    for l in [&mut n.a, &mut r] {
        l.write(
            "typed code",
            vec![Change::new(
                "household",
                giamngheo_core::ledger::new_id(),
                OpKind::Create,
            )
            .with("commune_code", "01234")
            .with("code", "HO-0001")
            .with("address", "trùng mã")],
        )
        .expect("write");
        add_household(
            l,
            "trùng số định danh",
            &[("Nông Văn Trùng", "004080005555")],
        );
    }
    settle(&d, &mut n.office, &mut [&mut n.a, &mut r]);
    let c: i64 = n
        .office
        .conn()
        .query_row(
            "SELECT count(*) FROM household WHERE code = 'HO-0001'",
            [],
            |x| x.get(0),
        )
        .expect("count");
    assert_eq!(c, 2);
}

#[test]
fn case36_enrolment_fingerprint_mismatch_or_tampered_request_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let mut o = office(d);
    let mut a = device(d, "a.db", "01234", Role::CommuneOfficer, &o);
    let req = a.enrolment_request(&stick(d)).expect("request");
    let before = dump(&o);
    let err = o
        .accept_enrolment(
            &req.file,
            "111111 222222 333333 444444 555555 666666",
            &stick(d),
        )
        .expect_err("mismatch");
    assert!(err.to_string().contains("Dấu vân tay không khớp"), "{err}");
    let mut bytes = std::fs::read(&req.file).expect("read");
    let n = bytes.len();
    bytes[n - 120] ^= 1;
    let tampered = stick(d).join("HHS_X_to_VP04_000001.hhpkg");
    std::fs::write(&tampered, &bytes).expect("write");
    assert!(o
        .accept_enrolment(&tampered, &req.fingerprint, &stick(d))
        .is_err());
    assert_eq!(dump(&o), before, "refusals change nothing");
    enrol(d, &mut o, &mut a);
}

#[test]
fn case37_restored_old_copy_detects_it_is_stale_and_stops_exporting() {
    let n = net();
    let d = n.dir.path().to_path_buf();
    let Net { mut office, a, .. } = n;
    let (mut a, mut old) = fork(&d, a, "a-backup.db");
    add_household(&mut a, "Nhà 1", &[("Nông Văn A", "")]);
    send(&d, &mut a, &mut office);
    let ret = office
        .export(&stick(&d), Some(&node_id(&a)))
        .expect("return")[0]
        .file
        .clone();
    let r = old.import_paths(&[ret], false).expect("import");
    assert_eq!(r[0].reason_kind.as_deref(), Some("stale_copy"), "{r:?}");
    assert!(old.export(&stick(&d), None).is_err());
    assert!(old.exchange_status().expect("status").stale_copy.is_some());
    // It stops writing: a new op would re-use a number the office already holds.
    let err = old
        .write(
            "edit",
            vec![Change::new("province", "04", OpKind::Update).with("name", "Cao Bằng")],
        )
        .expect_err("stale copy refuses writes");
    assert!(err.to_string().contains("bản sao cũ"), "{err}");
}

#[test]
fn case44_return_package_for_commune_a_contains_no_row_of_commune_b() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà A", &[("Nông Văn A", "")]);
    add_household(&mut n.b, "Nhà B bí mật", &[("Hoàng Thị B", "004180007777")]);
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.b, &mut n.office);
    n.office
        .correct_field(
            "household",
            &n.b.conn()
                .query_row("SELECT id FROM household LIMIT 1", [], |r| {
                    r.get::<_, String>(0)
                })
                .expect("hb"),
            "note",
            "ghi chú của văn phòng cho xã B".into(),
            "kiểm tra",
        )
        .expect("correct");
    let out = n
        .office
        .export(&stick(&d), Some(&node_id(&n.a)))
        .expect("return");
    // Open the return package with A's own keys and look at every op.
    let (aid, secret): (String, String) =
        n.a.conn()
            .query_row("SELECT node_id, secret_keys FROM local_node", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("me");
    let keys = NodeKeys::from_secret_string(&secret).expect("keys");
    let ok = n.office.public_keys_file().expect("keys");
    let pkg = ex::open_package_file(
        &out[0].file,
        &ex::LocalNode {
            node_id: &aid,
            keys: &keys,
            also_receive_for: &[],
        },
        &|_| Some(ex::KnownSender::pinned(&ok.keys)),
        &ex::Limits::for_schema(OP_SCHEMA_VERSION as u32),
    )
    .expect("open");
    let b_id = node_id(&n.b);
    for line in pkg.ops.iter() {
        assert!(!line.contains("05678"), "{line}");
        assert!(!line.contains(&b_id), "{line}");
        assert!(
            !line.contains("bí mật") && !line.contains("văn phòng cho xã B"),
            "{line}"
        );
    }
    let r =
        n.a.import_paths(&[out[0].file.clone()], false)
            .expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported);
    let foreign: i64 =
        n.a.conn()
            .query_row(
                "SELECT count(*) FROM household WHERE commune_code <> '01234'",
                [],
                |r| r.get(0),
            )
            .expect("count");
    assert_eq!(foreign, 0);
}

#[test]
fn case49_lost_return_package_means_resending_and_the_office_deduplicates() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let first = send(&d, &mut n.a, &mut n.office);
    let lost = n
        .office
        .export(&stick(&d), Some(&node_id(&n.a)))
        .expect("return");
    // The commune never imports it: its next export carries everything again.
    let again = n.a.export(&stick(&d), None).expect("export");
    assert_eq!(again[0].ops, first[0].ops_new);
    let r = n
        .office
        .import_paths(&[again[0].file.clone()], false)
        .expect("import");
    assert_eq!(r[0].ops_new, 0);
    assert_eq!(r[0].ops_duplicate, first[0].ops_new);
    // Once a return package arrives, nothing is pending any more.
    n.a.import_paths(&[lost[0].file.clone()], false)
        .expect("late return");
    assert_eq!(n.a.export(&stick(&d), None).expect("export")[0].ops, 0);
}

/// SYNC case 48: the office's database is restored from yesterday's backup. What it had
/// acknowledged since is gone, but the commune still holds every op: the office's next return
/// package asks for them again (`resend`), and the commune's next cumulative export carries them.
#[test]
fn case48_office_restored_from_backup_asks_again_and_the_commune_resends_everything() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    // Yesterday evening's backup, taken the way an office would (a consistent copy of the file).
    let backup = d.join("office-backup.db");
    n.office
        .conn()
        .execute("VACUUM INTO ?1", [backup.to_str().expect("utf-8")])
        .expect("backup");
    // Today: the commune's first household arrives and is acknowledged.
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.office, &mut n.a);
    assert_eq!(
        n.a.export(&stick(&d), None).expect("export")[0].ops,
        0,
        "all acknowledged"
    );
    // The office's disk fails; yesterday's backup is put back.
    restore_from(&d, &mut n.office, &backup);
    assert!(
        register_of(&n.office, "01234").is_empty(),
        "the restore lost household 1"
    );

    // Work goes on: a second household, exported since the (now wrong) acknowledgement.
    add_household(&mut n.a, "Nhà 2", &[("Lò Thị B", "")]);
    send(&d, &mut n.a, &mut n.office);
    // The office's return package asks for what it lacks; the next export carries it.
    send(&d, &mut n.office, &mut n.a);
    send(&d, &mut n.a, &mut n.office);
    assert_eq!(
        register_of(&n.office, "01234"),
        register_of(&n.a, "01234"),
        "the office holds every op again"
    );
    send(&d, &mut n.office, &mut n.a);
    assert_eq!(
        n.a.export(&stick(&d), None).expect("export")[0].ops,
        0,
        "and nothing is pending any more"
    );
}

/// Close `l` and put the file `backup` in its place (a restore from a backup), then reopen it.
fn restore_from(d: &Path, l: &mut Ledger, backup: &Path) {
    let path = l.path().to_path_buf();
    drop(std::mem::replace(
        l,
        Ledger::open_with_clock(d.join("placeholder.db"), clock()).expect("placeholder"),
    ));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    std::fs::copy(backup, &path).expect("restore");
    *l = Ledger::open_with_clock(&path, clock()).expect("reopen restored");
}

/// SYNC case 48, the office's own side: decisions it sent after its last backup are held by the
/// commune but lost at the office. Its next ops must not reuse their numbers (every commune would
/// see an equivocation and refuse all later return packages), and the officer is told.
#[test]
fn case48_restored_office_numbers_new_ops_after_the_ones_communes_hold_and_says_so() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    send(&d, &mut n.a, &mut n.office);
    let backup = d.join("office-backup.db");
    n.office
        .conn()
        .execute("VACUUM INTO ?1", [backup.to_str().expect("utf-8")])
        .expect("backup");
    // After the backup: a correction reaches the commune.
    n.office
        .correct_field(
            "household",
            &h,
            "note",
            "Sửa lần 1".into(),
            "Đối chiếu hồ sơ",
        )
        .expect("correct");
    send(&d, &mut n.office, &mut n.a);
    assert_eq!(field(&n.a, &h, "note").as_deref(), Some("Sửa lần 1"));

    restore_from(&d, &mut n.office, &backup);
    // The commune's next package says which office ops it holds.
    add_household(&mut n.a, "Nhà 2", &[("Lò Thị B", "")]);
    let r = send(&d, &mut n.a, &mut n.office);
    assert_eq!(
        r[0].reason_kind.as_deref(),
        Some("office_restored"),
        "{r:?}"
    );
    let status = n.office.exchange_status().expect("status");
    assert!(
        status
            .office_restored
            .as_deref()
            .is_some_and(|m| m.contains("khôi phục từ bản sao lưu")),
        "{status:?}"
    );
    // A new decision travels without an equivocation, and the commune shows it.
    n.office
        .correct_field("household", &h, "note", "Sửa lần 2".into(), "Xác minh lại")
        .expect("correct again");
    let back = send(&d, &mut n.office, &mut n.a);
    assert!(back[0].reason.is_none(), "{back:?}");
    assert_eq!(field(&n.a, &h, "note").as_deref(), Some("Sửa lần 2"));
    assert!(
        n.a.nodes()
            .expect("nodes")
            .iter()
            .all(|x| x.flagged.is_none()),
        "no device flagged"
    );
}

#[test]
fn dry_run_reports_but_changes_nothing() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let out = n.a.export(&stick(&d), None).expect("export");
    let before = dump(&n.office);
    let r = n
        .office
        .import_paths(&[out[0].file.clone()], true)
        .expect("dry");
    assert_eq!(r[0].status, ImportStatus::Imported);
    assert!(r[0].dry_run && r[0].ops_new > 0);
    assert_eq!(dump(&n.office), before);
    let r = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("real");
    assert_eq!(r[0].status, ImportStatus::Imported);
}

#[test]
fn reviewer_sends_through_the_commune_officer() {
    let (mut n, _) = net_two_devices();
    let d = n.dir.path().to_path_buf();
    // A reviewer pinned to officer A; the roster reaches A via a return package.
    let mut rv = device(&d, "rv.db", "01234", Role::Reviewer, &n.office);
    rv.pin_officer(&n.a.public_keys_file().expect("keys"))
        .expect("pin officer");
    enrol(&d, &mut n.office, &mut rv);
    send(&d, &mut n.office, &mut n.a);
    let h = add_household(&mut rv, "Nhà của rà soát viên", &[("Nông Văn R", "")]);
    let out = rv.export(&stick(&d), None).expect("export to officer");
    assert_eq!(out[0].receiver_node, node_id(&n.a));
    let r =
        n.a.import_paths(&[out[0].file.clone()], false)
            .expect("officer import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    // The officer relays it to the office in its own package.
    send(&d, &mut n.a, &mut n.office);
    assert_eq!(
        field(&n.office, &h, "address").as_deref(),
        Some("Nhà của rà soát viên")
    );
    // Once the office acknowledges them, the reviewer stops re-sending them to its officer.
    send(&d, &mut n.office, &mut rv);
    let again = rv.export(&stick(&d), None).expect("export");
    assert_eq!(again[0].ops, 0);
}

mod convergence {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Step {
        Edit {
            dev: usize,
            hh: usize,
            field: usize,
            value: usize,
        },
        Export {
            dev: usize,
        },
        Deliver {
            pick: usize,
            keep: bool,
        },
        Lose {
            pick: usize,
        },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..3usize, 0..3usize, 0..3usize, 0..3usize)
                .prop_map(|(dev, hh, field, value)| Step::Edit { dev, hh, field, value }),
            2 => (0..3usize).prop_map(|dev| Step::Export { dev }),
            3 => (any::<usize>(), any::<bool>()).prop_map(|(pick, keep)| Step::Deliver { pick, keep }),
            1 => any::<usize>().prop_map(|pick| Step::Lose { pick }),
        ]
    }

    const FIELDS: [&str; 3] = ["address", "note", "ethnicity"];
    const VALUES: [&str; 3] = ["một", "hai", "ba"];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 10, .. ProptestConfig::default() })]
        #[test]
        fn case32_random_ops_loss_duplication_and_order_converge(steps in prop::collection::vec(step(), 5..30)) {
            let (n, r) = net_two_devices();
            let d = n.dir.path().to_path_buf();
            let Net { mut office, mut a, dir: _dir, .. } = n;
            let mut r = r;
            let hh: Vec<String> = (0..3)
                .map(|i| add_household(&mut a, &format!("Nhà {i}"), &[("Nông Văn A", "")]))
                .collect();
            settle(&d, &mut office, &mut [&mut a, &mut r]);
            // (file, receiver index: 0 office, 1 a, 2 reviewer)
            let mut bag: Vec<(PathBuf, usize)> = Vec::new();
            let ids = [node_id(&office), node_id(&a), node_id(&r)];
            for s in steps {
                let devs: [&mut Ledger; 3] = [&mut office, &mut a, &mut r];
                match s {
                    Step::Edit { dev, hh: h, field, value } => {
                        if dev == 0 {
                            devs[0].correct_field("household", &hh[h], FIELDS[field], VALUES[value].into(), "sửa theo xác minh").expect("correct");
                        } else {
                            edit(devs[dev], &hh[h], FIELDS[field], VALUES[value]);
                        }
                    }
                    Step::Export { dev } => {
                        let out = devs[dev].export(&stick(&d), None).expect("export");
                        for e in out {
                            // (Commune B's return package is not part of this experiment.)
                            if let Some(to) = ids.iter().position(|x| *x == e.receiver_node) {
                                bag.push((e.file, to));
                            }
                        }
                    }
                    Step::Deliver { pick, keep } if !bag.is_empty() => {
                        let i = pick % bag.len();
                        let (f, to) = bag[i].clone();
                        if !keep { bag.remove(i); }
                        let rep = devs[to].import_paths(&[f], false).expect("import");
                        prop_assert!(matches!(rep[0].status, ImportStatus::Imported | ImportStatus::Duplicate), "{:?}", rep);
                    }
                    Step::Lose { pick } if !bag.is_empty() => {
                        let i = pick % bag.len();
                        bag.remove(i);
                    }
                    _ => {}
                }
            }
            settle(&d, &mut office, &mut [&mut a, &mut r]);
            let reg = register_of(&office, "01234");
            prop_assert_eq!(&reg, &register_of(&a, "01234"));
            prop_assert_eq!(&reg, &register_of(&r, "01234"));
            // No op lost: every device op is at the office, every commune op at every device.
            let office_ops = office.ops().expect("ops");
            for dev in [&a, &r] {
                for op in dev.ops().expect("ops") {
                    prop_assert!(office_ops.contains(&op));
                }
            }
            let a_ops = a.ops().expect("ops");
            for op in r.ops().expect("ops") {
                prop_assert!(a_ops.contains(&op), "reviewer op missing at the officer");
            }
        }
    }
}

#[test]
fn case05_06_truncated_or_bit_flipped_packages_are_rejected_and_change_nothing() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let out = n.a.export(&stick(&d), None).expect("export");
    let bytes = std::fs::read(&out[0].file).expect("read");
    let before = dump(&n.office);
    let dir = stick(&d);
    let f = dir.join("x.hhpkg");
    // Every byte offset in the header and the last 200 bytes (signature, trailer); every 97th
    // elsewhere (the ciphertext is covered by the payload hash).
    let len = bytes.len();
    let cuts = (0..len).filter(|i| *i < 600 || *i + 200 > len || i % 97 == 0);
    for cut in cuts {
        std::fs::write(&f, &bytes[..cut]).expect("write");
        let r = n
            .office
            .import_paths(std::slice::from_ref(&f), false)
            .expect("import");
        assert_eq!(r[0].status, ImportStatus::Rejected, "cut at {cut}: {r:?}");
    }
    for i in (0..len).step_by(41) {
        let mut m = bytes.clone();
        m[i] ^= 1 << (i % 8);
        std::fs::write(&f, &m).expect("write");
        let r = n
            .office
            .import_paths(std::slice::from_ref(&f), false)
            .expect("import");
        // A flipped sender id names an unknown device: set aside, never imported.
        assert!(
            r[0].status == ImportStatus::Rejected
                || r[0].reason_kind.as_deref() == Some("unknown_sender"),
            "flip at {i}: {r:?}"
        );
        assert_ne!(r[0].status, ImportStatus::Imported);
        assert!(r[0].reason.is_some());
    }
    assert_eq!(dump(&n.office), before);
}

#[test]
fn case10_return_package_presented_to_another_communes_device_is_rejected() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let to_a = n
        .office
        .export(&stick(&d), Some(&node_id(&n.a)))
        .expect("return");
    let before = dump(&n.b);
    let r =
        n.b.import_paths(&[to_a[0].file.clone()], false)
            .expect("import");
    assert_eq!(r[0].status, ImportStatus::Rejected);
    assert_eq!(r[0].reason_kind.as_deref(), Some("wrong_receiver"));
    assert_eq!(dump(&n.b), before);
}

#[test]
fn case16_stick_pulled_at_every_write_call_then_the_next_export_succeeds() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let dir = stick(&d);
    let before = dump(&n.a);
    let mut call = 1;
    loop {
        let mut io = ex::FaultyIo::new(ex::FaultPlan::kill_at(call));
        let r = n.a.export_with_io(&dir, None, &mut io);
        if !io.fired {
            break;
        }
        assert!(r.is_err(), "call {call}");
        assert_eq!(
            dump(&n.a),
            before,
            "a failed export is not logged (call {call})"
        );
        // Whatever is left on the stick is either absent, obviously invalid, or complete.
        for e in std::fs::read_dir(&dir).expect("ls") {
            let p = e.expect("entry").path();
            if p.extension().and_then(|x| x.to_str()) == Some("hhpkg") {
                let probe = n
                    .office
                    .import_paths(std::slice::from_ref(&p), true)
                    .expect("probe");
                assert!(
                    matches!(
                        probe[0].status,
                        ImportStatus::Imported | ImportStatus::Rejected
                    ),
                    "{probe:?}"
                );
            }
        }
        call += 1;
    }
    let out = n.a.export(&dir, None).expect("export after the failures");
    let r = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported);
    assert_eq!(r[0].ops_new, out[0].ops);
    let tmp_left = std::fs::read_dir(&dir)
        .expect("ls")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().to_string_lossy().ends_with(".tmp"))
        })
        .count();
    assert_eq!(tmp_left, 0, "stale .tmp removed");
}

#[test]
fn case20_newer_schema_ops_are_refused_and_not_acknowledged() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let lines: Vec<String> = op_lines(&n.a)
        .into_iter()
        .map(|l| {
            l.replace(
                &format!("\"schema_ver\":{OP_SCHEMA_VERSION}"),
                &format!("\"schema_ver\":{}", OP_SCHEMA_VERSION + 1),
            )
        })
        .collect();
    let before = dump(&n.office);
    let p = forge(&d, &n.a, &n.office, lines);
    let r = n.office.import_paths(&[p], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Rejected);
    assert!(
        r[0].reason
            .as_deref()
            .unwrap_or("")
            .contains("cập nhật phần mềm"),
        "{r:?}"
    );
    assert_eq!(dump(&n.office), before, "not acknowledged, nothing stored");
}

#[test]
fn case22_forged_return_package_not_signed_by_the_pinned_office_is_rejected() {
    let n = net();
    let d = n.dir.path().to_path_buf();
    let office_id = node_id(&n.office);
    let a_keys = n.a.public_keys_file().expect("a keys");
    let impostor = NodeKeys::generate();
    let spec = test_spec(
        PackageKind::Return,
        office_id,
        None,
        a_keys.node_id.clone(),
        77,
    );
    let bytes = ex::build_package(
        &spec,
        &PackagePayload::default(),
        &impostor,
        &[a_keys.keys.enc_recipient.as_str()],
    )
    .expect("build");
    let p = ex::write_package(&stick(&d), "HHS_VP04_to_01234-1_000077.hhpkg", &bytes)
        .expect("write")
        .path;
    let before = dump(&n.a);
    let mut a = n.a;
    let r = a.import_paths(&[p], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Rejected);
    assert_eq!(r[0].reason_kind.as_deref(), Some("bad_signature"));
    assert_eq!(dump(&a), before);
}

#[test]
fn case38_cloned_laptop_is_detected_by_equivocation_at_the_office() {
    let n = net();
    let d = n.dir.path().to_path_buf();
    let Net { mut office, a, .. } = n;
    let (mut a1, mut a2) = fork(&d, a, "a-twin.db");
    let h1 = add_household(&mut a1, "Máy 1", &[("Nông Văn A", "")]);
    add_household(&mut a2, "Máy 2", &[("Nông Văn B", "")]);
    send(&d, &mut a1, &mut office);
    let p2 = a2.export(&stick(&d), None).expect("p2")[0].file.clone();
    let r = office.import_paths(&[p2], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Quarantined);
    assert_eq!(field(&office, &h1, "address").as_deref(), Some("Máy 1"));
    let st = office.exchange_status().expect("status");
    assert!(st.devices.iter().any(|x| x.flagged.is_some()));
    assert_eq!(
        st.communes
            .iter()
            .find(|c| c.commune_code == "01234")
            .map(|c| c.flagged_devices),
        Some(1)
    );
}

#[test]
fn consolidated_view_shows_each_commune_with_households_packages_and_conflicts() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà A1", &[("Nông Văn A", "")]);
    add_household(&mut n.a, "Nhà A2", &[("Nông Văn B", "")]);
    add_household(&mut n.b, "Nhà B1", &[("Hoàng Thị C", "")]);
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.b, &mut n.office);
    edit(&mut n.a, &h, "merit", "1");
    n.office
        .correct_field("household", &h, "merit", 0.into(), "không đúng diện")
        .expect("correct");
    send(&d, &mut n.a, &mut n.office);
    let v = n.office.consolidated_view().expect("view");
    let a = v.iter().find(|c| c.commune_code == "01234").expect("A");
    let b = v.iter().find(|c| c.commune_code == "05678").expect("B");
    assert_eq!((a.households, b.households), (2, 1));
    assert_eq!((a.devices, b.devices), (1, 1));
    assert_eq!(a.packages_received, 2);
    assert!(a.last_package_at.is_some());
    assert_eq!((a.open_conflicts, b.open_conflicts), (1, 0));
    assert_eq!(a.name.as_deref(), Some("Xã 01234"));
    assert!(
        !v.iter().any(|c| c.commune_code == "04"),
        "the office itself is not a commune"
    );
}

#[test]
fn case07_empty_zero_and_absurd_length_files_are_rejected_quickly() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let dir = stick(&d);
    let mut huge_header = b"HHSPKG\x00\x01\x00\x01".to_vec();
    huge_header.extend_from_slice(&u32::MAX.to_be_bytes());
    huge_header.extend_from_slice(&[0u8; 300]);
    let mut huge_payload = b"HHSPKG\x00\x01\x00\x01\x00\x00\x00\x02{}".to_vec();
    huge_payload.extend_from_slice(&u64::MAX.to_be_bytes());
    huge_payload.extend_from_slice(&[0u8; 300]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.hhpkg", vec![]),
        ("zeros.hhpkg", vec![0u8; 4096]),
        ("huge-header.hhpkg", huge_header),
        ("huge-payload.hhpkg", huge_payload),
    ];
    let before = dump(&n.office);
    for (name, bytes) in &cases {
        std::fs::write(dir.join(name), bytes).expect("write");
    }
    let r = n.office.import_paths(&[dir], false).expect("import");
    assert_eq!(r.len(), 4);
    for x in &r {
        assert_eq!(x.status, ImportStatus::Rejected, "{x:?}");
        assert!(
            x.reason.as_deref().is_some_and(|m| m.contains("gói")),
            "{x:?}"
        );
    }
    assert_eq!(dump(&n.office), before);
}

/// Re-signs a real package of `victim` with `signer`'s key, claiming `signer` as the sender in
/// the clear header (the inner manifest still names the victim).
fn resign_as(bytes: &[u8], signer: &Ledger) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let (node, secret): (String, String) = signer
        .conn()
        .query_row("SELECT node_id, secret_keys FROM local_node", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("signer");
    let serial: Option<i64> = signer
        .conn()
        .query_row(
            "SELECT cert_serial FROM node WHERE node_id = ?1",
            [&node],
            |r| r.get(0),
        )
        .expect("serial");
    let keys = NodeKeys::from_secret_string(&secret).expect("keys");
    let hlen = u32::from_be_bytes(bytes[10..14].try_into().expect("4")) as usize;
    let mut header: serde_json::Value =
        serde_json::from_slice(&bytes[14..14 + hlen]).expect("header");
    header["sender_node"] = node.into();
    header["sender_cert_serial"] = serial.into();
    let new_header = serde_json::to_vec(&header).expect("json");
    let rest = &bytes[14 + hlen..];
    let payload_len = u64::from_be_bytes(rest[..8].try_into().expect("8"));
    let payload = &rest[8..8 + payload_len as usize];
    let mut out = bytes[..10].to_vec();
    out.extend_from_slice(&(new_header.len() as u32).to_be_bytes());
    out.extend_from_slice(&new_header);
    let mut h = Sha256::new();
    h.update(&out);
    h.update(payload_len.to_be_bytes());
    h.update(Sha256::digest(payload));
    let digest: [u8; 32] = h.finalize().into();
    out.extend_from_slice(&payload_len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&keys.key_id());
    out.extend_from_slice(&keys.sign(&digest));
    out.extend_from_slice(b"HHSEND\x00\x01");
    out
}

#[test]
fn case12_signature_replaced_by_another_enrolled_device_is_rejected() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let out = n.a.export(&stick(&d), None).expect("export");
    let bytes = std::fs::read(&out[0].file).expect("read");
    let forged = resign_as(&bytes, &n.b);
    let p = stick(&d).join("resigned.hhpkg");
    std::fs::write(&p, forged).expect("write");
    let before = dump(&n.office);
    let r = n.office.import_paths(&[p], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Rejected, "{r:?}");
    assert_eq!(r[0].reason_kind.as_deref(), Some("manifest_mismatch"));
    assert_eq!(dump(&n.office), before);
    // The untouched original still imports.
    let r = n
        .office
        .import_paths(&[out[0].file.clone()], false)
        .expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported);
}

#[test]
fn case18_disk_full_on_the_stick_gives_a_clear_error_and_no_partial_state() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    let dir = stick(&d);
    let mut before = dump(&n.a);
    let mut call = 1;
    loop {
        let mut io = ex::FaultyIo::new(ex::FaultPlan::error_at(
            call,
            std::io::ErrorKind::StorageFull,
        ));
        let result = n.a.export_with_io(&dir, None, &mut io);
        if !io.fired {
            break;
        }
        match result {
            // A tolerated failure (listing stale temp files): the package is complete and valid.
            Ok(out) => {
                let probe = n
                    .office
                    .import_paths(&[out[0].file.clone()], true)
                    .expect("probe");
                assert_eq!(probe[0].status, ImportStatus::Imported, "call {call}");
                std::fs::remove_file(&out[0].file).expect("rm");
                before = dump(&n.a);
            }
            Err(err) => {
                assert!(!err.to_string().is_empty());
                assert_eq!(dump(&n.a), before, "call {call}");
                let left = std::fs::read_dir(&dir)
                    .expect("ls")
                    .filter(|e| {
                        e.as_ref()
                            .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "hhpkg"))
                    })
                    .count();
                assert_eq!(
                    left, 0,
                    "no package left after a failed write (call {call})"
                );
            }
        }
        call += 1;
    }
    let ok = n.a.export(&dir, None).expect("export with space");
    assert!(ok[0].ops > 0);
}

#[test]
fn rule_set_update_at_the_office_reaches_every_commune_in_the_return_package() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/2022-2025.json"))
            .expect("rules file");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let id = v["id"].as_str().expect("id").to_owned();
    let version = v["version"].as_u64().expect("version") as u32 + 1;
    v["version"] = version.into();
    n.office
        .load_rule_set(&v.to_string())
        .expect("load at the office");
    // Both communes have their rule sets cached before the update arrives.
    for l in [&n.a, &n.b] {
        assert!(l.rule_sets().expect("rules").get(&id, version).is_none());
    }
    for dev in [&mut n.a, &mut n.b] {
        send(&d, &mut n.office, dev);
        assert!(
            dev.rule_sets().expect("rules").get(&id, version).is_some(),
            "the new rule set is usable at once"
        );
    }
}

/// A folder import commits its packages together (every ~250,000 ops and at the end). When that
/// commit fails, every package of the group is reported refused with the reason — none says
/// "imported" — and nothing changed; importing the folder again brings everything.
#[test]
fn a_failed_commit_of_a_folder_import_reports_every_package_of_it_and_changes_nothing() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", "")]);
    add_household(&mut n.b, "Nhà 2", &[("Hoàng Thị C", "")]);
    let folder = d.join("thu-muc");
    std::fs::create_dir_all(&folder).expect("folder");
    for dev in [&mut n.a, &mut n.b] {
        let f = dev.export(&stick(&d), None).expect("export")[0]
            .file
            .clone();
        std::fs::copy(&f, folder.join(f.file_name().expect("name"))).expect("copy");
    }
    let before = dump(&n.office);
    let r = n
        .office
        .import_paths_with(
            std::slice::from_ref(&folder),
            false,
            ImportFault {
                fail_commit: true,
                ..Default::default()
            },
        )
        .expect("import");
    assert_eq!(r.len(), 2);
    for p in &r {
        assert_eq!(p.status, ImportStatus::Rejected, "{p:?}");
        assert_eq!(p.reason_kind.as_deref(), Some("database"));
        assert!(
            p.reason
                .as_deref()
                .is_some_and(|m| m.contains("chưa được nhập")),
            "{p:?}"
        );
        assert_eq!((p.ops_new, p.ops_duplicate), (0, 0));
    }
    assert_eq!(dump(&n.office), before);
    let again = n.office.import_paths(&[folder], false).expect("again");
    assert!(
        again.iter().all(|p| p.status == ImportStatus::Imported),
        "{again:?}"
    );
    assert!(dump(&n.office) != before);
}

/// A disk that fills up during an import (here the database's page limit, a real SQLITE_FULL):
/// the package is refused with a Vietnamese reason, nothing of it is written, and it imports
/// once there is room.
#[test]
fn a_full_disk_during_an_import_refuses_the_package_and_changes_nothing() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    for i in 0..40 {
        add_household(
            &mut n.a,
            &format!("Nhà {i}"),
            &[("Nông Văn A", ""), ("Nông Thị B", "")],
        );
    }
    let p = n.a.export(&stick(&d), None).expect("export")[0]
        .file
        .clone();
    let before = dump(&n.office);
    // No free page left in the file: the next page the import needs is refused.
    n.office.conn().execute_batch("VACUUM").expect("vacuum");
    let pages: i64 = n
        .office
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("pages");
    n.office
        .conn()
        .execute_batch(&format!("PRAGMA max_page_count = {pages}"))
        .expect("limit");
    let r = n
        .office
        .import_paths(std::slice::from_ref(&p), false)
        .expect("import");
    assert_eq!(r[0].status, ImportStatus::Rejected, "{r:?}");
    assert!(
        r[0].reason.as_deref().is_some_and(|m| m.contains("đầy")),
        "{r:?}"
    );
    assert_eq!(dump(&n.office), before);
    n.office
        .conn()
        .execute_batch("PRAGMA max_page_count = 1073741823")
        .expect("room");
    let r = n.office.import_paths(&[p], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
}

/// An op kept in its package is stored without a body hash (hashing every received body was
/// ~10 % of a folder import); a copy arriving again is still told from another op under the
/// same key: by its line in a re-sent package, by its body when it arrives otherwise.
#[test]
fn an_op_kept_in_its_package_has_no_hash_yet_copies_and_other_bodies_are_told_apart() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(&mut n.a, "Nhà 1", &[("Nông Văn A", ""), ("Nông Thị B", "")]);
    let r = send(&d, &mut n.a, &mut n.office);
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    let count =
        |l: &Ledger, sql: &str| -> i64 { l.conn().query_row(sql, [], |r| r.get(0)).unwrap() };
    let unhashed = count(
        &n.office,
        "SELECT count(*) FROM op WHERE pack_line IS NOT NULL AND length(body_sha256) = 0",
    );
    assert!(
        unhashed >= 3,
        "household and members kept in the package: {unhashed}"
    );
    assert_eq!(
        count(
            &n.office,
            "SELECT count(*) FROM op WHERE pack_line IS NULL AND length(body_sha256) <> 32"
        ),
        0,
        "an op with its text in its row keeps its hash"
    );

    // The same ops re-sent (no acknowledgement yet): every one a duplicate, nothing new.
    let ops_before = count(&n.office, "SELECT count(*) FROM op");
    let again = n.a.export(&stick(&d), None).expect("export")[0]
        .file
        .clone();
    let r = n.office.import_paths(&[again], false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    assert_eq!(r[0].ops_new, 0, "{r:?}");
    assert!(r[0].ops_duplicate as i64 >= unhashed, "{r:?}");
    assert_eq!(count(&n.office, "SELECT count(*) FROM op"), ops_before);

    // The same op outside a package: a duplicate; under its key another body: refused.
    let a_node = node_id(&n.a);
    let kept =
        n.a.ops()
            .expect("ops")
            .into_iter()
            .rfind(|o| o.origin == a_node && o.entity == "household")
            .expect("the household's op");
    let copy = n
        .office
        .apply_remote(std::slice::from_ref(&kept), Some("tay"))
        .expect("copy");
    assert_eq!((copy.new, copy.duplicate), (0, 1));
    let mut forged = kept;
    forged
        .body
        .set
        .insert("address".into(), serde_json::json!("Nhà khác"));
    let e = n
        .office
        .apply_remote(&[forged], Some("tay"))
        .expect_err("another body");
    assert!(e.to_string().contains("cùng mã"), "{e}");
    assert_eq!(count(&n.office, "SELECT count(*) FROM op"), ops_before);
}
