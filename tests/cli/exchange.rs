//! The README/EXCHANGE.md walkthrough of the USB exchange, run through the real binary: an office
//! and a commune, enrolment, data out, return in, status — and the refusals a script relies on.

use crate::common::{gj as g, path_str as s, run, stderr};
use serde_json::Value;

#[test]
fn walkthrough_office_commune_enrol_export_import_return_status() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let office = d.join("office.db");
    let xa = d.join("xa.db");
    let keys = d.join("office-keys.json");
    let usb = d.join("usb");

    // 1. The office and its public keys.
    let o = g(
        &office,
        &[
            "setup",
            "office",
            "--code",
            "04",
            "--name",
            "Sở Nông nghiệp và Môi trường Cao Bằng",
            "--province-name",
            "Cao Bằng",
        ],
    );
    assert_eq!(o["short_code"], "VP04");
    let k = g(&office, &["keys", "--out", s(&keys)]);
    assert!(k["fingerprint"].as_str().is_some_and(|f| f.len() >= 20));

    // 2. The commune pins them and asks to be enrolled.
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
            "--province-name",
            "Cao Bằng",
        ],
    );
    let req = g(&xa, &["enrol", "request", "--out", s(&usb.join("1"))]);
    let req_file = req["file"].as_str().expect("file").to_owned();
    let fp = req["fingerprint"].as_str().expect("fingerprint").to_owned();

    // A wrong fingerprint is refused with a Vietnamese message and exit 3.
    let bad = run(&[
        "--db",
        s(&office),
        "enrol",
        "accept",
        &req_file,
        "--fingerprint",
        "000000 000000 000000 000000 000000 000000",
        "--out",
        s(&usb.join("x")),
    ]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        stderr(&bad).contains("Dấu vân tay không khớp"),
        "{}",
        stderr(&bad)
    );

    // 3. The office accepts; the commune imports the response like any package.
    let acc = g(
        &office,
        &[
            "enrol",
            "accept",
            &req_file,
            "--fingerprint",
            &fp,
            "--out",
            s(&usb.join("2")),
        ],
    );
    assert_eq!(acc["short_code"], "01234-1");
    let imp = g(&xa, &["import", acc["file"].as_str().expect("file")]);
    assert_eq!(imp[0]["status"], "imported");

    // 4. Households typed (generated) at the commune, exported.
    g(&xa, &["generate", "--households", "15", "--seed", "7"]);
    let exp = g(&xa, &["export", "--out", s(&usb.join("3"))]);
    let ops = exp["ops"].as_u64().expect("ops");
    assert!(ops > 15);
    assert!(exp["bytes"].as_u64().expect("bytes") > 0);
    assert_eq!(exp["sha256"].as_str().expect("sha").len(), 64);

    // 5. At the office: a dry run of the folder, then the import; a second import is a duplicate.
    let folder = usb.join("3");
    let dry = g(&office, &["import", s(&folder), "--dry-run"]);
    assert_eq!(dry[0]["status"], "imported");
    assert_eq!(dry[0]["ops_new"].as_u64(), Some(ops));
    let real = g(&office, &["import", s(&folder)]);
    assert_eq!(
        real[0]["ops_new"].as_u64(),
        Some(ops),
        "the dry run wrote nothing"
    );
    assert_eq!(real[0]["ops_duplicate"].as_u64(), Some(0));
    assert_eq!(real[0]["conflicts"].as_u64(), Some(0));
    let again = g(&office, &["import", s(&folder)]);
    assert_eq!(again[0]["status"], "duplicate");
    let list = g(&office, &["household", "list"]);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(15),
        "the office sees the commune's households"
    );

    // 6. The office corrects a field with a reason and writes one return package per device.
    let hid = list[0]["id"].as_str().expect("id").to_owned();
    g(
        &office,
        &[
            "correct",
            "--id",
            &hid,
            "--field",
            "note",
            "--value",
            "Đã xác minh tại hộ",
            "--reason",
            "Kiểm tra thực địa",
        ],
    );
    let ret = g(&office, &["export", "--out", s(&usb.join("4"))]);
    assert_eq!(ret.as_array().map(Vec::len), Some(1));
    let st = g(&office, &["status"]);
    assert!(st["acks"].as_array().is_some_and(|a| !a.is_empty()));

    // 7. The commune imports the return: the correction arrives, nothing is pending.
    let back = g(&xa, &["import", ret[0]["file"].as_str().expect("file")]);
    assert_eq!(back[0]["status"], "imported");
    assert!(back[0]["ops_new"].as_u64().expect("new") >= 1);
    let shown = g(&xa, &["household", "show", &hid]);
    assert_eq!(shown["note"], "Đã xác minh tại hộ");
    let st = g(&xa, &["status"]);
    assert_eq!(st["enrolled"], true);
    assert!(st["pending"]
        .as_array()
        .expect("pending")
        .iter()
        .all(|p| p["ops"] == 0));
    assert!(!st["sent"].as_array().expect("sent").is_empty());
    assert!(!st["received"].as_array().expect("received").is_empty());
}

#[test]
fn import_of_a_broken_file_reports_rejected_with_exit_3_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let office = d.join("office.db");
    g(
        &office,
        &["setup", "office", "--code", "04", "--name", "Sở Cao Bằng"],
    );
    let junk = d.join("junk.hhpkg");
    std::fs::write(&junk, b"HHSPKG\x00\x01 not really").expect("write");
    let before = g(&office, &["status"]);
    let out = run(&["--db", s(&office), "import", s(&junk), "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v[0]["status"], "rejected");
    assert!(v[0]["reason"].as_str().is_some_and(|r| r.contains("gói")));
    let after = g(&office, &["status"]);
    assert_eq!(before, after);
}

#[test]
fn commune_export_before_enrolment_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (_office, xa) = crate::common::office_and_pinned_commune(d, "urban");
    let out = run(&["--db", s(&xa), "export", "--out", s(&d.join("usb"))]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("chưa được văn phòng cấp chứng thư"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn reviewer_laptop_sends_to_its_commune_officer_who_relays_to_the_office() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (office, officer, reviewer) = (d.join("o.db"), d.join("x.db"), d.join("r.db"));
    let (ok, xk) = (d.join("office.json"), d.join("officer.json"));
    g(
        &office,
        &[
            "setup",
            "office",
            "--code",
            "04",
            "--name",
            "Sở Cao Bằng",
            "--province-name",
            "Cao Bằng",
        ],
    );
    g(&office, &["keys", "--out", s(&ok)]);
    g(
        &officer,
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
            s(&ok),
        ],
    );
    g(&officer, &["keys", "--out", s(&xk)]);
    g(
        &reviewer,
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
            s(&ok),
            "--role",
            "reviewer",
            "--officer-keys",
            s(&xk),
        ],
    );
    for (i, db) in [&officer, &reviewer].into_iter().enumerate() {
        let req = g(
            db,
            &["enrol", "request", "--out", s(&d.join(format!("req{i}")))],
        );
        let acc = g(
            &office,
            &[
                "enrol",
                "accept",
                req["file"].as_str().expect("f"),
                "--fingerprint",
                req["fingerprint"].as_str().expect("fp"),
                "--out",
                s(&d.join(format!("acc{i}"))),
            ],
        );
        assert_eq!(
            g(db, &["import", acc["file"].as_str().expect("f")])[0]["status"],
            "imported"
        );
    }
    // The officer learns the reviewer's certificate from a return package.
    let ret = g(&office, &["export", "--out", s(&d.join("ret"))]);
    assert_eq!(ret.as_array().map(Vec::len), Some(2));
    let to_officer = ret
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["receiver"] == "01234-1")
        .expect("officer's return");
    let r = g(
        &officer,
        &["import", to_officer["file"].as_str().expect("f")],
    );
    assert_eq!(r[0]["status"], "imported");
    g(&reviewer, &["generate", "--households", "3", "--seed", "5"]);
    let out = g(&reviewer, &["export", "--out", s(&d.join("to-officer"))]);
    assert!(
        out["file"].as_str().expect("f").contains("_to_01234-1_"),
        "{out}"
    );
    assert_eq!(
        g(&officer, &["import", out["file"].as_str().expect("f")])[0]["status"],
        "imported"
    );
    let relay = g(&officer, &["export", "--out", s(&d.join("to-office"))]);
    let imp = g(&office, &["import", relay["file"].as_str().expect("f")]);
    assert_eq!(imp[0]["status"], "imported", "{imp}");
    assert_eq!(
        g(&office, &["household", "list"]).as_array().map(Vec::len),
        Some(3)
    );
}
