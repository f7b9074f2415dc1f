//! `giamngheo report`: every format written for a generated commune, the catalogue listed,
//! bad names and missing households refused with Vietnamese messages.

use crate::common::{run, stderr, stdout};

fn commune() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("xa.db").display().to_string();
    let o = run(&[
        "--db",
        &db,
        "generate",
        "--households",
        "300",
        "--seed",
        "5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, db)
}

#[test]
fn report_list_names_every_report() {
    let o = run(&["report", "--list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text
        .lines()
        .any(|l| l.starts_with("poor-list ") && l.contains("Danh sách hộ nghèo")));
    assert!(text.lines().any(|l| l.starts_with("near-poor-list ")));
    let o = run(&["report", "--list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let names: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert!(names.contains(&"poor-list") && names.contains(&"near-poor-list"));
    assert!(names.contains(&"result-summary") && names.contains(&"certificate"));
}

#[test]
fn report_writes_each_format() {
    let (dir, db) = commune();
    for (name, fmt, magic) in [
        ("poor-list", "xlsx", &b"PK"[..]),
        ("poor-list", "pdf", &b"%PDF"[..]),
        ("near-poor-list", "csv", &b"\xEF\xBB\xBF"[..]),
        ("result-summary", "html", &b"<!DOCTYPE"[..]),
    ] {
        let out = dir.path().join(format!("{name}.{fmt}"));
        let o = run(&[
            "--db",
            &db,
            "report",
            name,
            "--format",
            fmt,
            "--out",
            &out.display().to_string(),
        ]);
        assert!(o.status.success(), "{name} {fmt}: {}", stderr(&o));
        let bytes = std::fs::read(&out).expect("written");
        assert!(
            bytes.starts_with(magic),
            "{name}.{fmt} starts with {magic:?}"
        );
        assert!(stderr(&o).contains("Đã ghi"));
    }
    // CSV content: the totals line counts the near-poor households of the ledger.
    let csv = std::fs::read_to_string(dir.path().join("near-poor-list.csv")).expect("csv");
    let conn = near_poor_in_sql(&db);
    assert!(csv.contains(&format!("Tổng cộng: {conn} hộ")), "{csv}");
    // By village, JSON summary on stdout.
    let out = dir.path().join("v.csv");
    let o = run(&[
        "--db",
        &db,
        "--json",
        "report",
        "poor-deprivations",
        "--village",
        "Phố Mới",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["format"], "csv");
}

/// Near-poor households of the decided round, counted directly in SQL.
fn near_poor_in_sql(db: &str) -> String {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM survey s JOIN review_round r ON r.id = s.round_id
             WHERE r.status = 'decided' AND s.deleted = 0 AND s.status = 'surveyed' AND s.class = 'near_poor'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    giamngheo_core::reports::format::format_int(n)
}

#[test]
fn bad_name_and_missing_household_are_usage_errors() {
    let (dir, db) = commune();
    let out = dir.path().join("x.pdf").display().to_string();
    let o = run(&[
        "--db",
        &db,
        "report",
        "poor-lists",
        "--format",
        "pdf",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("Không có báo cáo tên “poor-lists”"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "--db",
        &db,
        "report",
        "certificate",
        "--format",
        "pdf",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Thiếu --household"), "{}", stderr(&o));
    let o = run(&[
        "--db",
        &db,
        "report",
        "poor-list",
        "--format",
        "docx",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("không được hỗ trợ"));
    let o = run(&[
        "--db",
        &db,
        "report",
        "poor-list",
        "--format",
        "pdf",
        "--out",
        &out,
        "--household",
        "KHÔNG-CÓ",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        !std::path::Path::new(&out).exists(),
        "nothing written on error"
    );
    let o = run(&["--db", &db, "report"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Thiếu tên báo cáo"));
}

#[test]
fn certificate_for_a_household_by_code() {
    let (dir, db) = commune();
    let o = run(&["--db", &db, "--json", "household", "list", "--limit", "300"]);
    let list: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let code = list
        .as_array()
        .expect("array")
        .iter()
        .find(|h| h["class"] == "poor")
        .map(|h| h["code"].as_str().expect("code").to_string())
        .expect("a poor household");
    let out = dir.path().join("gcn.pdf");
    let o = run(&[
        "--db",
        &db,
        "report",
        "certificate",
        "--household",
        &code,
        "--format",
        "pdf",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::process::Command::new("pdftotext")
        .arg(&out)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("GIẤY CHỨNG NHẬN HỘ NGHÈO, HỘ CẬN NGHÈO"));
}
