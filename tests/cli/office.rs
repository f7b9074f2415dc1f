//! The office's decisions through the real binary, as in the README walkthrough: approve, return
//! for correction, change requests, duplicate people across two communes — each with `--json`,
//! carried to the communes in return packages.

use crate::common::{gj as g, path_str as s, run, stderr};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A commune laptop set up, enrolled at the office, with `n` generated households sent to it.
fn commune(d: &Path, office: &Path, keys: &Path, code: &str, seed: &str) -> PathBuf {
    let db = d.join(format!("{code}.db"));
    g(
        &db,
        &[
            "setup",
            "commune",
            "--code",
            code,
            "--name",
            "Xã thử",
            "--area",
            "rural",
            "--office-keys",
            s(keys),
            "--province-name",
            "Cao Bằng",
        ],
    );
    let req = g(
        &db,
        &[
            "enrol",
            "request",
            "--out",
            s(&d.join(format!("req-{code}"))),
        ],
    );
    let acc = g(
        office,
        &[
            "enrol",
            "accept",
            req["file"].as_str().expect("file"),
            "--fingerprint",
            req["fingerprint"].as_str().expect("fp"),
            "--out",
            s(&d.join(format!("acc-{code}"))),
        ],
    );
    g(&db, &["import", acc["file"].as_str().expect("file")]);
    g(
        &db,
        &[
            "generate",
            "--households",
            "3",
            "--seed",
            seed,
            "--no-round",
        ],
    );
    let exp = g(&db, &["export", "--out", s(&d.join(format!("out-{code}")))]);
    let imp = g(office, &["import", exp["file"].as_str().expect("file")]);
    assert_eq!(imp[0]["status"], "imported");
    db
}

/// Office → every device; each commune imports the return package addressed to it.
fn return_packages(d: &Path, office: &Path, communes: &[(&Path, &str)], n: &str) {
    let out = d.join(format!("ret-{n}"));
    let files = g(office, &["export", "--out", s(&out)]);
    let files = files.as_array().expect("array");
    assert_eq!(files.len(), communes.len());
    for (db, short) in communes {
        let f = files
            .iter()
            .find(|f| f["receiver"] == *short)
            .expect("a package for each laptop");
        let imp = g(db, &["import", f["file"].as_str().expect("file")]);
        assert_eq!(imp[0]["status"], "imported", "{imp}");
    }
}

#[test]
fn office_approve_return_changes_and_duplicates_reach_the_communes() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let office = d.join("office.db");
    let keys = d.join("office-keys.json");
    g(
        &office,
        &[
            "setup",
            "office",
            "--code",
            "04",
            "--name",
            "Sở NN&MT Cao Bằng",
            "--province-name",
            "Cao Bằng",
        ],
    );
    g(&office, &["keys", "--out", s(&keys)]);
    let a = commune(d, &office, &keys, "01234", "1");
    let b = commune(d, &office, &keys, "05678", "2");
    let list_a = g(&a, &["household", "list"]);
    let h1 = list_a[0]["code"].as_str().expect("code").to_owned();
    let h2 = list_a[1]["code"].as_str().expect("code").to_owned();

    // Approve one household, return another for correction to laptop 01234-1.
    let ap = g(&office, &["office", "approve", &h1]);
    assert_eq!(ap["action"], "approve");
    assert_eq!(ap["household_code"], h1.as_str());
    let rt = g(
        &office,
        &[
            "office",
            "return",
            &h2,
            "--reason",
            "Thiếu ngày sinh của con",
            "--device",
            "01234-1",
        ],
    );
    assert_eq!(rt["device_short_code"], "01234-1");
    let states = g(&office, &["office", "list"]);
    assert_eq!(states.as_array().expect("array").len(), 2);
    // A return without a reason is a usage error; an unknown household is "not found" (4).
    let bad = run(&["--db", s(&office), "office", "return", &h2]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let missing = run(&["--db", s(&office), "office", "approve", "KHÔNG-CÓ"]);
    assert_eq!(missing.status.code(), Some(4));
    assert!(
        stderr(&missing).contains("Không tìm thấy hộ"),
        "{}",
        stderr(&missing)
    );

    return_packages(d, &office, &[(&a, "01234-1"), (&b, "05678-1")], "1");
    let todo = g(&a, &["office", "returned"]);
    assert_eq!(todo[0]["open"], true);
    assert_eq!(todo[0]["action"]["reason"], "Thiếu ngày sinh của con");
    assert!(g(&b, &["office", "returned"])
        .as_array()
        .expect("array")
        .is_empty());

    // No commune edit of an approved household yet: no change request; an unknown one is 4.
    let shown = g(&a, &["household", "show", &h1]);
    assert!(g(&office, &["changes"])
        .as_array()
        .expect("array")
        .is_empty());
    let none = run(&["--db", s(&office), "changes", "accept", "01234-1:999"]);
    assert_eq!(none.status.code(), Some(4), "{}", stderr(&none));

    // Duplicates: the office gives B's head the personal ID of A's head.
    let ma = &shown["members"][0];
    let hb = g(&b, &["household", "list"])[0]["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let mb = g(&b, &["household", "show", &hb])["members"][0].clone();
    let id_a = ma["id_number"].as_str().expect("id number");
    g(
        &office,
        &[
            "correct",
            "--entity",
            "member",
            "--id",
            mb["id"].as_str().expect("id"),
            "--field",
            "id_number",
            "--value",
            id_a,
            "--reason",
            "Theo căn cước",
        ],
    );
    let dups = g(&office, &["duplicates"]);
    let same: Vec<&Value> = dups
        .as_array()
        .expect("array")
        .iter()
        .filter(|p| p["kind"] == "same_id")
        .collect();
    assert_eq!(same.len(), 1, "{dups}");
    let communes: Vec<&str> = [&same[0]["a"], &same[0]["b"]]
        .iter()
        .map(|r| r["commune_code"].as_str().expect("commune"))
        .collect();
    assert!(communes.contains(&"01234") && communes.contains(&"05678"));
    let merged = g(
        &office,
        &[
            "duplicates",
            "merge",
            ma["id"].as_str().expect("id"),
            mb["id"].as_str().expect("id"),
        ],
    );
    assert_eq!(merged.as_array().expect("array").len(), 2);
    assert!(!g(&office, &["duplicates"])
        .as_array()
        .expect("array")
        .iter()
        .any(|p| p["kind"] == "same_id"));
    // A commune cannot decide about duplicates (exit 3, Vietnamese reason).
    let refused = run(&["--db", s(&a), "duplicates"]);
    assert_eq!(refused.status.code(), Some(3));
    assert!(
        stderr(&refused).contains("Chỉ văn phòng"),
        "{}",
        stderr(&refused)
    );

    return_packages(d, &office, &[(&a, "01234-1"), (&b, "05678-1")], "2");
    for c in [&a, &b] {
        let marks = g(c, &["duplicates", "marks"]);
        assert_eq!(marks.as_array().expect("array").len(), 1, "{marks}");
        assert_eq!(marks[0]["duplicate_of"], ma["id"]);
        assert_eq!(marks[0]["member_id"], mb["id"]);
    }
}
