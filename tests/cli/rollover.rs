//! `giamngheo keys rollover` (SYNC case 23 through the binary): the office gets new keys and a
//! new keys file; a commune that imports the next return package is re-pinned to them; a commune
//! cannot roll over; a bad `--grace-days` is a usage error.

use crate::common::{gj as g, path_str as s, run, stderr};
use serde_json::Value;

/// `export --json` prints one object for one package, an array for several.
fn first_file(out: &Value) -> String {
    let one = if out.is_array() { &out[0] } else { out };
    one["file"].as_str().expect("file").to_owned()
}

#[test]
fn keys_rollover_reaches_an_enrolled_commune_through_the_return_package() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let office = d.join("office.db");
    let xa = d.join("xa.db");
    let keys = d.join("k.json");
    g(
        &office,
        &["setup", "office", "--code", "04", "--name", "Sở Cao Bằng"],
    );
    let old = g(&office, &["keys", "--out", s(&keys)]);
    g(
        &xa,
        &[
            "setup",
            "commune",
            "--code",
            "01234",
            "--name",
            "Sơn Lộ",
            "--area",
            "rural",
            "--office-keys",
            s(&keys),
        ],
    );
    let req = g(&xa, &["enrol", "request", "--out", s(&d.join("u1"))]);
    let acc = g(
        &office,
        &[
            "enrol",
            "accept",
            req["file"].as_str().expect("file"),
            "--fingerprint",
            req["fingerprint"].as_str().expect("fp"),
            "--out",
            s(&d.join("u2")),
        ],
    );
    g(&xa, &["import", acc["file"].as_str().expect("file")]);

    // Usage errors and refusals first: nothing changes.
    let bad = run(&["--db", s(&office), "keys", "rollover", "--grace-days", "x"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let at_commune = run(&["--db", s(&xa), "keys", "rollover"]);
    assert_ne!(at_commune.status.code(), Some(0));
    assert!(
        stderr(&at_commune).contains("Chỉ máy văn phòng"),
        "{}",
        stderr(&at_commune)
    );

    let new_file = d.join("k2.json");
    let r = g(
        &office,
        &[
            "keys",
            "rollover",
            "--grace-days",
            "30",
            "--out",
            s(&new_file),
        ],
    );
    assert_eq!(r["serial"], 1);
    assert_eq!(r["old_fingerprint"], old["fingerprint"]);
    assert_ne!(r["fingerprint"], old["fingerprint"]);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&new_file).expect("k2")).expect("json");
    assert_eq!(written["fingerprint"], r["fingerprint"]);

    let out = g(&office, &["export", "--out", s(&d.join("u3"))]);
    let file = first_file(&out);
    let imp = g(&xa, &["import", &file]);
    assert_eq!(imp[0]["status"], "imported", "{imp}");
    // The commune now encrypts to the new key: its next package imports at the office.
    g(&xa, &["generate", "--households", "2", "--no-round"]);
    let out = g(&xa, &["export", "--out", s(&d.join("u4"))]);
    let imp = g(&office, &["import", &first_file(&out)]);
    assert_eq!(imp[0]["status"], "imported", "{imp}");
}
