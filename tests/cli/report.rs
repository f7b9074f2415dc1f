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

fn pdf_text(path: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A TEST rule set (2022-2025 version 2) with a Phiếu A checklist and a B1 table; the items and
/// points are made up for the test and say so (the official content was not found).
fn test_forms_rule_set() -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(giamngheo_core::rules::BUILTIN_FILES[0].1).expect("json");
    v["version"] = 2.into();
    v["phieu_a"] = serde_json::json!({
        "items": [
            { "id": "t_car", "label": "(Thử nghiệm) Hộ có ô tô" },
            { "id": "t_house", "label": "(Thử nghiệm) Hộ có nhà kiên cố" }
        ]
    });
    v["b1_table"] = serde_json::json!({
        "variants": [
            { "id": "TT", "label": "Thành thị", "area": "urban" },
            { "id": "NT2", "label": "Nông thôn miền núi phía Bắc", "area": "rural" }
        ],
        "questions": [
            { "id": "t_size", "label": "(Thử nghiệm) Số nhân khẩu", "options": [
                { "id": "small", "label": "1–3 người", "points": { "TT": 50, "NT2": 40 } },
                { "id": "large", "label": "4 người trở lên", "points": { "TT": 20, "NT2": 15 } }
            ] }
        ]
    });
    v.to_string()
}

#[test]
fn phieu_a_and_b1_refused_until_the_rule_set_has_them_and_the_causes_report() {
    let (dir, db) = commune();
    let o = run(&["report", "--list"]);
    let list = stdout(&o);
    for name in ["phieu-a ", "phieu-b1 ", "poverty-causes "] {
        assert!(list.lines().any(|l| l.starts_with(name)), "{name}: {list}");
    }
    let path = |n: &str| dir.path().join(n).display().to_string();
    // Without the data in the rule set: not found (4), the message names what to load.
    for (name, field) in [("phieu-a", "«phieu_a»"), ("phieu-b1", "«b1_table»")] {
        let out = path(&format!("{name}.pdf"));
        let o = run(&["--db", &db, "report", name, "--out", &out]);
        assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(field) && e.contains("giamngheo rules load"),
            "{e}"
        );
        assert!(!std::path::Path::new(&out).exists());
    }
    // Loaded through `rules load` (validated, diffed, stored): both forms print.
    let rules = path("chuan-ngheo-thu-nghiem.json");
    std::fs::write(&rules, test_forms_rule_set()).expect("write");
    let o = run(&["--db", &db, "rules", "load", &rules, "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        shown.contains("Phiếu A") && shown.contains("Phiếu B1"),
        "{shown}"
    );
    let o = run(&["--db", &db, "rules", "load", &rules]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["--db", &db, "report", "phieu-a", "--out", &path("a.pdf")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = pdf_text(std::path::Path::new(&path("a.pdf")));
    assert!(
        text.contains("PHIẾU A") && text.contains("(Thử nghiệm) Hộ có ô tô"),
        "{text}"
    );
    // Pre-filled B1 for a household: its head and the commune's points column.
    let o = run(&["--db", &db, "--json", "household", "list", "--limit", "1"]);
    let h: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let code = h[0]["code"].as_str().expect("code").to_string();
    let head = h[0]["head_name"].as_str().expect("head").to_string();
    let o = run(&[
        "--db",
        &db,
        "report",
        "phieu-b1",
        "--household",
        &code,
        "--out",
        &path("b1.pdf"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = pdf_text(std::path::Path::new(&path("b1.pdf")));
    for needle in [
        "PHIẾU B1",
        head.as_str(),
        "4 người trở lên",
        "Nông thôn miền núi phía Bắc",
    ] {
        assert!(text.contains(needle), "“{needle}” in {text}");
    }
    // The report by cause of poverty, as .xlsx and PDF.
    for ext in ["xlsx", "pdf"] {
        let out = path(&format!("causes.{ext}"));
        let o = run(&["--db", &db, "report", "poverty-causes", "--out", &out]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(std::fs::metadata(&out)
            .map(|m| m.len() > 1000)
            .unwrap_or(false));
    }
    let text = pdf_text(std::path::Path::new(&path("causes.pdf")));
    assert!(text.contains("THEO CÁC NGUYÊN NHÂN NGHÈO"), "{text}");
}
