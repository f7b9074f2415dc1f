//! Files written by the first shipped version (schema 4, op schema 1) must keep working: a
//! commune's and an office's database are upgraded in place by the migrations, and a package a
//! commune exported with that version still imports at an office (SYNC.md §3.9, case 20 "older
//! schema → upgraded and applied, with fixtures of real old packages").
//!
//! The fixtures in `tests/fixtures/shipped-v1/` were written ONCE by `write_shipped_fixtures`
//! below, from the code that shipped (commit cb49b62). Never regenerate them with newer code:
//! that would turn the test into "the current version reads itself".

use crate::sync::{device, enrol, office, stick};
use giamngheo_core::clock::FixedClock;
use giamngheo_core::register::{HouseholdInput, HouseholdQuery, MemberInput};
use giamngheo_core::setup::Role;
use giamngheo_core::sync::ImportStatus;
use giamngheo_core::Ledger;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/shipped-v1"
);
const PACKAGE: &str = "commune-to-office.hhpkg";

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_date(2026, 11, 20))
}

fn household(l: &mut Ledger, address: &str, people: &[(&str, &str, &str)]) {
    let village = l.villages().expect("villages")[0].id.clone();
    let members = people
        .iter()
        .enumerate()
        .map(|(i, (name, sex, id))| MemberInput {
            full_name: (*name).into(),
            relation: if i == 0 {
                "head".into()
            } else {
                "child".into()
            },
            sex: (*sex).into(),
            birth_date: Some(if i == 0 { "1978-05-02" } else { "2012-09-14" }.into()),
            ethnicity: Some("02".into()),
            id_number: (!id.is_empty()).then(|| (*id).to_string()),
            ..Default::default()
        })
        .collect();
    l.save_household(&HouseholdInput {
        village_id: village,
        address: address.into(),
        ethnicity: Some("02".into()),
        ethnic_minority: true,
        members,
        ..Default::default()
    })
    .expect("save household");
}

/// Copy a fixture into a fresh temp dir (the committed file is never opened in place).
fn copy_fixture(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(Path::new(FIXTURES).join(name), &to).expect("copy fixture");
    to
}

fn names(l: &Ledger) -> Vec<String> {
    let page = l
        .list_households(&HouseholdQuery {
            limit: 100,
            ..Default::default()
        })
        .expect("list");
    let mut v: Vec<String> = page.items.into_iter().map(|h| h.head_name).collect();
    v.sort();
    v
}

/// Writes the fixtures. Run only on the shipped code, once:
/// `GIAMNGHEO_WRITE_FIXTURES=1 cargo test -p giamngheo-core --test core compat::write -- --ignored`
#[test]
#[ignore = "writes the committed fixtures; run once on the shipped version only"]
fn write_shipped_fixtures() {
    if std::env::var_os("GIAMNGHEO_WRITE_FIXTURES").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut off = office(d);
    let mut com = device(d, "commune.db", "01234", Role::CommuneOfficer, &off);
    enrol(d, &mut off, &mut com);
    household(
        &mut com,
        "Xóm Khưa Lốm",
        &[
            ("Nông Văn Thắng", "male", "004078001234"),
            ("Nông Thị Hoa", "female", ""),
        ],
    );
    household(&mut com, "Xóm Nà Pồng", &[("Triệu Thị Mỷ", "female", "")]);
    let office_id = off.local_identity().expect("id").expect("set up").node_id;
    let out = com.export(&stick(d), Some(&office_id)).expect("export");
    assert_eq!(out.len(), 1);
    let office_path = off.path().to_path_buf();
    let commune_path = com.path().to_path_buf();
    drop(off);
    drop(com);
    std::fs::create_dir_all(FIXTURES).expect("mkdir");
    std::fs::copy(&office_path, Path::new(FIXTURES).join("office.db")).expect("office");
    std::fs::copy(&commune_path, Path::new(FIXTURES).join("commune.db")).expect("commune");
    std::fs::copy(&out[0].file, Path::new(FIXTURES).join(PACKAGE)).expect("package");
}

#[test]
fn shipped_office_database_upgrades_and_imports_a_shipped_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = copy_fixture(dir.path(), "office.db");
    let pkg = copy_fixture(dir.path(), PACKAGE);
    let mut off = Ledger::open_with_clock(&db, clock()).expect("the shipped office file opens");
    assert!(names(&off).is_empty(), "nothing imported yet");

    let r = off
        .import_paths(std::slice::from_ref(&pkg), false)
        .expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    assert!(r[0].ops_new > 0);
    assert_eq!(names(&off), ["Nông Văn Thắng", "Triệu Thị Mỷ"]);
    let view = off.consolidated_view().expect("view");
    let c = view
        .iter()
        .find(|c| c.commune_code == "01234")
        .expect("commune");
    assert_eq!(c.households, 2);

    let again = off.import_paths(&[pkg], false).expect("re-import");
    assert_eq!(again[0].status, ImportStatus::Duplicate, "{again:?}");
}

#[test]
fn shipped_commune_database_upgrades_keeps_its_register_and_still_exchanges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = copy_fixture(dir.path(), "commune.db");
    let office_db = copy_fixture(dir.path(), "office.db");
    let mut com = Ledger::open_with_clock(&db, clock()).expect("the shipped commune file opens");
    assert_eq!(names(&com), ["Nông Văn Thắng", "Triệu Thị Mỷ"]);
    assert!(giamngheo_core::ledger::verify_audit_chain(com.conn()).expect("audit") > 0);

    // New work on the upgraded file travels with the old, un-acknowledged ops.
    household(&mut com, "Xóm Khưa Lốm", &[("Hoàng Văn Páo", "male", "")]);
    let mut off = Ledger::open_with_clock(&office_db, clock()).expect("office");
    let office_id = off.local_identity().expect("id").expect("set up").node_id;
    let out = com
        .export(&stick(dir.path()), Some(&office_id))
        .expect("export");
    let files: Vec<PathBuf> = out.into_iter().map(|e| e.file).collect();
    let r = off.import_paths(&files, false).expect("import");
    assert_eq!(r[0].status, ImportStatus::Imported, "{r:?}");
    assert_eq!(
        names(&off),
        ["Hoàng Văn Páo", "Nông Văn Thắng", "Triệu Thị Mỷ"]
    );
}

/// Migration 8 rewrote every row's revision state (`_rev`) in the compact form. What it wrote
/// must be exactly what the ledger computes from the op log: a fresh file that replays the
/// upgraded commune's ops ends with byte-identical rows, `_rev` included. A wrong field position
/// or a lost superseded revision would make the dumps differ (and, in use, raise false conflicts).
#[test]
fn migrated_revision_state_is_what_a_replay_of_the_op_log_computes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = copy_fixture(dir.path(), "commune.db");
    let old_form: i64 = rusqlite::Connection::open(&db)
        .expect("raw")
        .query_row(
            "SELECT count(*) FROM member WHERE _rev LIKE '%\"h\":%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert!(old_form > 0, "the shipped file holds the old form");
    let com = Ledger::open_with_clock(&db, clock()).expect("the shipped commune file opens");
    let still_old: i64 = com
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM member WHERE _rev LIKE '%\"h\":%')
                  + (SELECT count(*) FROM household WHERE _rev LIKE '%\"h\":%')",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(still_old, 0, "every row re-encoded");

    let mut fresh = Ledger::open_with_clock(dir.path().join("replay.db"), clock()).expect("fresh");
    let nodes: Vec<(String, String, String, Option<String>)> = com
        .conn()
        .prepare("SELECT node_id, short_code, role, commune_code FROM node")
        .expect("nodes")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("nodes")
        .collect::<rusqlite::Result<_>>()
        .expect("nodes");
    for (id, short, role, commune) in &nodes {
        fresh
            .register_node(id, short, role, commune.as_deref())
            .expect("node");
    }
    fresh
        .apply_remote(&com.ops().expect("ops"), None)
        .expect("replay");
    assert_eq!(crate::ledger::dump(&fresh), crate::ledger::dump(&com));
}
