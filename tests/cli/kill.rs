//! The process killed (SIGKILL, as a pulled power cord or a closed laptop lid does) at many
//! moments of an import and of an export, with the real binary and real files (issue 4: "kill
//! the process at each step of import and export and check the database is either unchanged or
//! fully imported"). The core's fault-injection tests stop at each statement; these stop a real
//! process wherever the kernel happens to be.

use crate::common::{bin, enrol, gj as g, office_and_pinned_commune, path_str as s};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An office and an enrolled commune with `households` generated households, through the CLI.
fn office_and_commune(d: &Path, households: &str) -> (PathBuf, PathBuf) {
    let (office, xa) = office_and_pinned_commune(d, "rural");
    enrol(d, &office, &xa);
    g(
        &xa,
        &["generate", "--households", households, "--seed", "11"],
    );
    (office, xa)
}

/// (ops, households, members, package_log rows): what "unchanged" and "fully imported" compare.
fn counts(db: &Path) -> (i64, i64, i64, i64) {
    let c = Connection::open(db).expect("open");
    let n = |t: &str| -> i64 {
        c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .expect("count")
    };
    (n("op"), n("household"), n("member"), n("package_log"))
}

fn copy_db(from: &Path, to: &Path) {
    std::fs::copy(from, to).expect("copy db");
}

/// Run `args`, kill it after `after`, and say whether it was still running when killed.
fn run_and_kill(args: &[&str], after: Duration) -> bool {
    let mut child = bin()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(after);
    let running = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill(); // SIGKILL on Unix: no destructor, no rollback code runs
    child.wait().expect("wait");
    running
}

#[test]
fn import_killed_anywhere_leaves_the_office_unchanged_or_fully_imported() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (office, xa) = office_and_commune(d, "200");
    let exp = g(&xa, &["export", "--out", s(&d.join("usb"))]);
    let pkg = exp["file"].as_str().expect("file").to_owned();

    let before = counts(&office);
    // The reference: one uninterrupted import on a copy.
    let full_db = d.join("full.db");
    copy_db(&office, &full_db);
    let t0 = Instant::now();
    g(&full_db, &["import", &pkg]);
    let full_time = t0.elapsed();
    let after = counts(&full_db);
    assert!(after.0 > before.0 + 200, "{before:?} → {after:?}");

    let steps = 10u32;
    let mut killed_mid_way = 0;
    for k in 0..=steps {
        let db = d.join(format!("kill{k}.db"));
        copy_db(&office, &db);
        let wait = full_time * k / steps;
        if run_and_kill(&["--db", s(&db), "import", &pkg], wait) {
            killed_mid_way += 1;
        }
        let now = counts(&db);
        assert!(
            now == before || now == after,
            "killed after {wait:?}: {now:?} is neither unchanged {before:?} nor complete {after:?}"
        );
        // Importing again always completes the job, to exactly the same state.
        let r = g(&db, &["import", &pkg]);
        let status = r[0]["status"].as_str().expect("status");
        assert!(status == "imported" || status == "duplicate", "{r}");
        assert_eq!(
            counts(&db),
            after,
            "killed after {wait:?}, then re-imported"
        );
    }
    eprintln!("{killed_mid_way} of the kills landed mid-way; one run takes {full_time:?}");
    assert!(
        killed_mid_way > 0,
        "no kill landed while the import was running; the test proved nothing"
    );
}

#[test]
fn export_killed_anywhere_leaves_no_broken_package_and_the_next_export_carries_everything() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (office, xa) = office_and_commune(d, "200");

    // The reference duration of one export (to a throw-away copy, so nothing is marked sent).
    let probe = d.join("probe.db");
    copy_db(&xa, &probe);
    let t0 = Instant::now();
    g(&probe, &["export", "--out", s(&d.join("probe-usb"))]);
    let full_time = t0.elapsed();

    let expected_ops = counts(&xa).0;
    let steps = 8u32;
    let mut killed_mid_way = 0;
    for k in 0..=steps {
        let db = d.join(format!("xa{k}.db"));
        let off = d.join(format!("office{k}.db"));
        copy_db(&xa, &db);
        copy_db(&office, &off);
        let usb = d.join(format!("usb{k}"));
        std::fs::create_dir_all(&usb).expect("usb");
        if run_and_kill(
            &["--db", s(&db), "export", "--out", s(&usb)],
            full_time * k / steps,
        ) {
            killed_mid_way += 1;
        }
        // Whatever looks like a package on the stick must be a whole, valid one.
        let left: Vec<PathBuf> = std::fs::read_dir(&usb)
            .expect("read usb")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "hhpkg"))
            .collect();
        for p in &left {
            let r = g(&off, &["import", s(p), "--dry-run"]);
            assert_eq!(
                r[0]["status"], "imported",
                "a package left by a killed export: {r}"
            );
        }
        // The next export succeeds and, with what is already on the stick, the office gets all.
        let usb2 = d.join(format!("usb{k}-next"));
        g(&db, &["export", "--out", s(&usb2)]);
        let r = g(&off, &["import", s(&usb), s(&usb2)]);
        for x in r.as_array().expect("array") {
            let st = x["status"].as_str().expect("status");
            assert!(st == "imported" || st == "duplicate", "{x}");
        }
        let office_ops_from_commune = {
            let c = Connection::open(&off).expect("open");
            let origin: String = c
                .query_row(
                    "SELECT node_id FROM node WHERE short_code = '01234-1'",
                    [],
                    |r| r.get(0),
                )
                .expect("commune node");
            c.query_row(
                "SELECT count(*) FROM op WHERE origin = ?1",
                [&origin],
                |r| r.get::<_, i64>(0),
            )
            .expect("count")
        };
        let commune_own_ops = {
            let c = Connection::open(&db).expect("open");
            c.query_row(
                "SELECT count(*) FROM op WHERE origin = (SELECT node_id FROM local_node WHERE id = 1)",
                [],
                |r| r.get::<_, i64>(0),
            )
            .expect("count")
        };
        assert!(commune_own_ops > 0 && commune_own_ops <= expected_ops);
        assert_eq!(office_ops_from_commune, commune_own_ops, "kill point {k}");
    }
    eprintln!("{killed_mid_way} of the kills landed mid-way; one run takes {full_time:?}");
    assert!(
        killed_mid_way > 0,
        "no kill landed while the export was running; the test proved nothing"
    );
}
