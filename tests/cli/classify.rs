//! `giamngheo classify --rules ID`: the public JSON Lines contract, run as a script would.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_giamngheo"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start giamngheo");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // Write from another thread so a large input cannot dead-lock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn raw_lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn lines(out: &Output) -> Vec<Value> {
    raw_lines(out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Asserts that `raw` is an object with exactly `expected` keys, in that order.
fn assert_keys(raw: &str, expected: &[&str]) {
    let v: Value = serde_json::from_str(raw).unwrap();
    assert_eq!(v.as_object().unwrap().len(), expected.len(), "{raw}");
    let positions: Vec<usize> = expected
        .iter()
        .map(|k| {
            raw.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("no {k} in {raw}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "key order in {raw}"
    );
}

#[test]
fn classify_writes_one_result_per_line_in_order_and_goes_on_after_bad_lines() {
    let input = r#"{"id": "H1", "area": "rural", "reference_date": "2026-09-01", "score_a": 140, "deprivations": {"water": true, "sanitation": true, "telecom": true}}
{"id": 7, "area": "urban", "reference_date": "2026-09-01", "score_a": 176, "deprivations": {"water": true, "sanitation": true, "telecom": true}}
this is not json
{"id": "H3", "area": "rural", "reference_date": "2026-09-01"}

{"id": "H4", "area": "urban", "reference_date": "2026-09-01", "income_per_capita_month": 2000000, "members": [{"birth_date": "2020-09-01", "health_insurance": false}, {"birth_date": "2010-09-02", "attending_school": false}]}
"#;
    let out = run(&["classify", "--rules", "2022-2025"], input.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = lines(&out);
    let raw = raw_lines(&out);
    assert_eq!(v.len(), 5, "blank line skipped, every other line answered");

    assert_keys(
        &raw[0],
        &[
            "id",
            "rules",
            "class",
            "score_a",
            "score_b",
            "deprived",
            "explanation",
        ],
    );
    assert_eq!(v[0]["id"], "H1");
    assert_eq!(v[0]["rules"], "2022-2025");
    assert_eq!(v[0]["class"], "poor");
    assert_eq!(v[0]["score_a"], 140);
    assert_eq!(v[0]["score_b"], 30);
    assert_eq!(
        v[0]["deprived"],
        serde_json::json!(["water", "sanitation", "telecom"])
    );
    let e = v[0]["explanation"].as_str().unwrap();
    assert!(
        e.starts_with(
            "Hộ nghèo — điểm A 140 ≤ 140 (nông thôn); thiếu hụt 3/12 chỉ số (điểm B 30 ≥ 30)"
        ),
        "{e}"
    );

    assert_eq!(v[1]["id"], 7);
    assert_eq!(v[1]["class"], "not_poor");

    assert_keys(&raw[2], &["id", "error"]);
    assert_eq!(v[2]["id"], Value::Null);
    assert!(v[2]["error"].as_str().unwrap().contains("JSON"));

    assert_eq!(v[3]["id"], "H3");
    assert!(v[3]["error"].as_str().unwrap().contains("điểm A"));

    // Income test, derivation at exact birthdays (6 → insurance; 15 → schooling), no score_a key.
    assert_keys(
        &raw[4],
        &["id", "rules", "class", "score_b", "deprived", "explanation"],
    );
    assert_eq!(v[4]["class"], "near_poor");
    assert_eq!(
        v[4]["deprived"],
        serde_json::json!(["health_insurance", "child_schooling"])
    );
    assert_eq!(v[4]["score_b"], 20);
}

#[test]
fn classify_applies_the_four_contract_derivations() {
    let input = r#"{"id": "a", "area": "rural", "reference_date": "2026-09-01", "income_per_capita_month": 1000000, "floor_area_m2": 23, "members": [{"birth_date": "2015-01-01", "malnourished": true}, {"birth_date": "1990-01-01", "health_insurance": false}, {"birth_date": "2012-01-01", "attending_school": false}]}
{"id": "b", "area": "rural", "reference_date": "2026-09-01", "income_per_capita_month": 1000000, "floor_area_m2": 24, "members": [{"birth_date": "2010-09-01", "malnourished": true}, {"birth_date": "2020-09-02", "health_insurance": false}, {"birth_date": "2023-09-02", "attending_school": false}]}
{"id": "c", "area": "rural", "reference_date": "2026-09-01", "income_per_capita_month": 1000000, "floor_area_m2": 10, "members": [{"birth_date": "2000-01-01", "health_insurance": false}, {}], "deprivations": {"health_insurance": false, "housing_area": false}}
"#;
    let out = run(&["classify", "--rules", "2022-2025"], input.as_bytes());
    let v = lines(&out);
    assert_eq!(
        v[0]["deprived"],
        serde_json::json!([
            "nutrition",
            "health_insurance",
            "child_schooling",
            "housing_area"
        ])
    );
    assert_eq!(v[0]["class"], "poor");
    assert_eq!(v[1]["deprived"], serde_json::json!([]));
    assert_eq!(v[1]["class"], "near_poor");
    assert_eq!(
        v[2]["deprived"],
        serde_json::json!([]),
        "explicit false overrides derivation"
    );
}

#[test]
fn classify_under_2027_2030_uses_income_and_refuses_score_a() {
    let input = r#"{"id": 1, "area": "rural", "reference_date": "2027-09-01", "income_per_capita_month": 2200000, "deprivations": {"waste": true, "digital_services": true, "water": true}}
{"id": 2, "area": "urban", "reference_date": "2027-09-01", "income_per_capita_month": 2800001, "deprivations": {"waste": true, "digital_services": true, "water": true}}
{"id": 3, "area": "rural", "reference_date": "2027-09-01", "score_a": 100}
{"id": 4, "area": "rural", "reference_date": "2027-09-01", "income_per_capita_month": 100, "deprivations": {"information_access": true}}
"#;
    let out = run(&["classify", "--rules", "2027-2030"], input.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let v = lines(&out);
    assert_eq!(v[0]["class"], "poor");
    assert_eq!(v[0]["rules"], "2027-2030");
    assert!(v[0]["explanation"]
        .as_str()
        .unwrap()
        .contains("2.200.000 đồng"));
    assert_eq!(v[1]["class"], "not_poor");
    assert!(v[2]["error"]
        .as_str()
        .unwrap()
        .contains("chưa có ngưỡng điểm A"));
    assert!(v[3]["error"]
        .as_str()
        .unwrap()
        .contains("information_access"));
}

#[test]
fn classify_reports_field_errors_in_vietnamese() {
    let input = "{\"id\": \"x\", \"area\": \"town\", \"reference_date\": \"2026-09-01\", \"score_a\": 1}\n\
                 {\"id\": \"y\", \"area\": \"rural\", \"reference_date\": \"2026-13-01\", \"score_a\": 1}\n\
                 {\"id\": \"z\", \"area\": \"rural\", \"reference_date\": \"2026-09-01\", \"score_a\": 12.5}\n\
                 {\"id\": \"w\", \"area\": \"rural\", \"reference_date\": \"2026-09-01\", \"scorea\": 1}\n\
                 {\"id\": \"v\", \"area\": \"rural\", \"reference_date\": \"2026-09-01\", \"score_a\": 1, \"members\": [{\"birth_date\": \"2027-01-01\"}]}\n\
                 [1, 2]\n";
    let out = run(&["classify", "--rules", "2022-2025"], input.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let v = lines(&out);
    assert_eq!(v.len(), 6);
    let err = |i: usize| v[i]["error"].as_str().unwrap().to_string();
    assert!(
        err(0).contains("«area»") && err(0).contains("rural hoặc urban"),
        "{}",
        err(0)
    );
    assert!(
        err(1).contains("«reference_date»") && err(1).contains("YYYY-MM-DD"),
        "{}",
        err(1)
    );
    assert!(
        err(2).contains("«score_a»") && err(2).contains("số nguyên"),
        "{}",
        err(2)
    );
    assert!(err(3).contains("«scorea» không được hỗ trợ"), "{}", err(3));
    assert!(err(4).contains("sau ngày rà soát"), "{}", err(4));
    assert_eq!(v[5]["id"], Value::Null);
    for i in 0..6 {
        assert!(
            err(i).starts_with(&format!("Dòng {}: ", i + 1)),
            "{}",
            err(i)
        );
    }
}

#[test]
fn classify_with_an_unknown_rule_set_exits_2_with_a_vietnamese_message() {
    let out = run(&["classify", "--rules", "2016-2020"], b"{}\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("Không có chuẩn nghèo «2016-2020»") && err.contains("2022-2025"),
        "{err}"
    );
}

#[test]
fn classify_streams_a_large_batch_in_order() {
    let mut input = Vec::new();
    for i in 0..5000 {
        let score = 100 + (i % 100);
        writeln!(
            input,
            r#"{{"id": {i}, "area": "rural", "reference_date": "2026-09-01", "score_a": {score}, "deprivations": {{"water": true, "sanitation": true, "telecom": {}}}}}"#,
            i % 2 == 0
        )
        .unwrap();
    }
    // Invalid UTF-8 on its own line is a bad line, not a read failure.
    input.extend_from_slice(b"\xff\xfe\n");
    let out = run(&["classify", "--rules", "2022-2025"], &input);
    assert_eq!(out.status.code(), Some(0));
    let v = lines(&out);
    assert_eq!(v.len(), 5001);
    for (i, line) in v.iter().take(5000).enumerate() {
        assert_eq!(line["id"], i as u64);
        let score = 100 + (i % 100);
        let expected = match (score <= 140, i % 2 == 0) {
            (true, true) => "poor",
            (true, false) => "near_poor",
            (false, _) => "not_poor",
        };
        assert_eq!(line["class"], expected, "line {i}");
    }
    assert!(v[5000]["error"].as_str().unwrap().contains("UTF-8"));
}
