//! Opening bad files: refused with a Vietnamese message and left byte-for-byte untouched.

use giamngheo_core::Ledger;

fn assert_refused_untouched(path: &std::path::Path, needle: &str) {
    let before = std::fs::read(path).expect("read");
    let err = Ledger::open(path).expect_err("must refuse");
    let msg = err.to_string();
    assert!(
        msg.contains(needle),
        "message {msg:?} should contain {needle:?}"
    );
    assert_eq!(
        std::fs::read(path).expect("read"),
        before,
        "file must be untouched"
    );
    let wal = path.with_extension("db-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) == 0);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.db");
    std::fs::write(&p, "Danh sách hộ nghèo năm 2025\n".repeat(100)).unwrap();
    assert_refused_untouched(&p, "không phải là cơ sở dữ liệu SQLite");
}

#[test]
fn another_programs_sqlite_database_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    assert_refused_untouched(&p, "chương trình khác");
}

#[test]
fn a_newer_schema_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("newer.db");
    drop(Ledger::open(&p).unwrap());
    {
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA user_version = 999;")
            .unwrap();
    }
    assert_refused_untouched(&p, "phiên bản mới hơn");
}

#[test]
fn a_database_locked_by_another_process_gets_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("locked.db");
    drop(Ledger::open(&p).unwrap());
    let holder = rusqlite::Connection::open(&p).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let err = Ledger::open(&p).expect_err("locked");
    assert!(
        err.to_string()
            .contains("đang được một chương trình khác sử dụng"),
        "{err}"
    );
    holder.execute_batch("COMMIT;").unwrap();
    Ledger::open(&p).expect("opens once released");
}

#[test]
fn a_truncated_database_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.db");
    {
        let mut l = Ledger::open(&p).unwrap();
        l.setup(&crate::common::setup_input()).unwrap();
        let c = l.conn();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    }
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 3]).unwrap();
    let result = Ledger::open(&p).and_then(|l| l.setup_info().map(|_| ()));
    let err = result.expect_err("truncated file must fail");
    assert_eq!(err.kind(), "database", "{err}");
}

#[test]
fn a_new_database_gets_the_latest_schema_and_matches_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(dir.path().join("new.db")).unwrap();
    let v: i64 = l
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, giamngheo_core::db::latest_schema_version());
    let dump = giamngheo_core::db::schema_dump(l.conn()).unwrap();
    let snap = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/core/schema.snapshot.sql");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snap, &dump).unwrap();
    }
    let want = std::fs::read_to_string(&snap).unwrap_or_default();
    assert!(
        dump == want,
        "the schema changed: review the diff and run UPDATE_SNAPSHOTS=1 cargo test -p giamngheo-core --test core to accept it"
    );
}

#[test]
fn reopening_does_not_migrate_again_or_lose_data() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("again.db");
    {
        let mut l = Ledger::open(&p).unwrap();
        l.setup(&crate::common::setup_input()).unwrap();
    }
    let l = Ledger::open(&p).unwrap();
    let info = l.setup_info().unwrap().expect("still set up");
    assert_eq!(info.commune_name, "Sơn Lộ");
    assert_eq!(info.villages.len(), 2);
    assert_eq!(
        info.current_user.expect("remembered user").name,
        "Nông Thị Phương"
    );
}

#[test]
fn a_new_ledger_gets_larger_pages_and_an_older_file_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let page_size = |l: &Ledger| -> u32 {
        l.conn()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap()
    };
    let fresh = dir.path().join("fresh.db");
    {
        let mut l = Ledger::open(&fresh).unwrap();
        l.setup(&crate::common::setup_input()).unwrap();
        assert_eq!(page_size(&l), giamngheo_core::db::PAGE_SIZE);
    }
    assert_eq!(page_size(&Ledger::open(&fresh).unwrap()), 8192);
    // A file that already has tables in 4 KiB pages (made before): opened, migrated, unchanged.
    let old = dir.path().join("old.db");
    {
        let c = rusqlite::Connection::open(&old).unwrap();
        c.execute_batch("PRAGMA page_size = 4096; CREATE TABLE t (x); DROP TABLE t;")
            .unwrap();
    }
    let mut l = Ledger::open(&old).unwrap();
    l.setup(&crate::common::setup_input()).unwrap();
    assert_eq!(page_size(&l), 4096);
    assert_eq!(
        l.setup_info().unwrap().expect("set up").commune_name,
        "Sơn Lộ"
    );
}

/// `_rev` stores a field by its position in `EntityDef::fields` (migration 8), so those lists may
/// only grow at the end: reordering or removing a field would silently re-label every stored
/// revision. The snapshot holds the lists as released; the current ones must start with them.
#[test]
fn entity_field_lists_only_grow_at_the_end() {
    let current: String = giamngheo_core::ledger::ENTITIES
        .iter()
        .map(|d| format!("{}: {}\n", d.name, d.fields.join(" ")))
        .collect();
    let snap = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/core/entity-fields.snapshot.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snap, &current).unwrap();
    }
    let want = std::fs::read_to_string(&snap).expect("snapshot");
    for line in want.lines() {
        let (name, fields) = line.split_once(": ").expect("entity: fields");
        let def = giamngheo_core::ledger::entity_def(name)
            .unwrap_or_else(|| panic!("entity {name} disappeared"));
        let old: Vec<&str> = fields.split(' ').collect();
        assert!(
            def.fields.len() >= old.len() && def.fields[..old.len()] == old[..],
            "the fields of {name} were reordered or removed; append new fields at the end instead"
        );
    }
}
