//! Reports built from the ledger (`Ledger::build_report`, `Ledger::dashboard`) on a generated
//! commune of 1,500 households, each number checked against an independent computation written
//! here in SQL or by iterating `round_households` / `household`. The PDF of the poor list is
//! rendered to PNG under target/tmp/report_data for a person to look at.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{Datelike, NaiveDate};
use giamngheo_core::reports::*;
use giamngheo_core::Ledger;

const HOUSEHOLDS: u32 = 1_500;

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report_data");
    std::fs::create_dir_all(&dir).expect("create output dir");
    dir
}

/// The generated commune, made once per test run and opened read-mostly by each test.
fn db() -> &'static PathBuf {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let path = out_dir().join("commune.db");
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
        let mut ledger =
            Ledger::open_with_clock(&path, crate::common::clock()).expect("open ledger");
        let s = giamngheo_core::populate::populate(&mut ledger, HOUSEHOLDS, 42).expect("populate");
        assert!(s.round_id.is_some(), "a decided round");
        path
    })
}

fn open() -> Ledger {
    Ledger::open_with_clock(db(), crate::common::clock()).expect("open")
}

fn round_id(l: &Ledger) -> String {
    l.rounds()
        .expect("rounds")
        .into_iter()
        .find(|r| r.status == "decided")
        .expect("decided round")
        .id
}

fn build(l: &Ledger, name: &str) -> Document {
    l.build_report(name, &ReportParams::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn table(doc: &Document) -> &Table {
    doc.tables().next().expect("a table")
}

/// Data rows of a statistical table keyed by label (column 1), counts as printed.
fn stat_rows(t: &Table) -> BTreeMap<String, Vec<Value>> {
    t.rows
        .iter()
        .filter(|r| r.kind == RowKind::Data)
        .map(|r| {
            (
                r.cells[1].value.display(),
                r.cells[2..].iter().map(|c| c.value.clone()).collect(),
            )
        })
        .collect()
}

fn total_row(t: &Table) -> Vec<Value> {
    let r = t
        .rows
        .iter()
        .find(|r| r.kind == RowKind::Total)
        .expect("total row");
    // The label spans two columns: values start at cell 1.
    r.cells[1..].iter().map(|c| c.value.clone()).collect()
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        Value::Empty => 0,
        other => panic!("not a count: {other:?}"),
    }
}

fn pct(v: &Value) -> Option<f64> {
    match v {
        Value::Percent { value, .. } => Some(*value),
        Value::Empty => None,
        other => panic!("not a percentage: {other:?}"),
    }
}

/// Village names in print order.
fn villages(l: &Ledger) -> Vec<(String, String)> {
    l.villages()
        .expect("villages")
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect()
}

/// SQL: count of surveyed households in the round per village name matching `cond`.
fn sql_per_village(l: &Ledger, round: &str, cond: &str) -> HashMap<String, i64> {
    let mut stmt = l
        .conn()
        .prepare(&format!(
            "SELECT v.name, count(*) FROM survey s JOIN village v ON v.id = s.village_id
             WHERE s.round_id = ?1 AND s.deleted = 0 AND s.status = 'surveyed' AND ({cond}) GROUP BY v.name"
        ))
        .expect("prepare");
    stmt.query_map([round], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

#[test]
fn catalogue_names_are_stable_unique_and_vietnamese() {
    let c = catalog();
    let names: Vec<&str> = c.iter().map(|r| r.name.as_str()).collect();
    for n in [
        "poor-list",
        "near-poor-list",
        "escaped-poor-list",
        "escaped-near-poor-list",
        "new-poor-list",
        "new-near-poor-list",
        "average-list",
        "review-list",
        "posting-list",
        "decision",
        "certificate",
        "request-01",
        "request-04",
        "phieu-a",
        "phieu-b1",
        "phieu-b2",
        "result-summary",
        "poor-movements",
        "near-poor-movements",
        "poor-deprivations",
        "near-poor-deprivations",
        "poor-deprivations-pct",
        "near-poor-deprivations-pct",
        "target-groups",
        "by-ethnicity",
        "children-deprivations",
        "poor-detail",
        "near-poor-detail",
    ] {
        assert!(names.contains(&n), "{n} in the catalogue");
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "unique names");
    for r in &c {
        assert!(r
            .name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'));
        assert!(!r.title.is_ascii(), "Vietnamese title: {}", r.title);
    }
    assert!(
        names.contains(&"poverty-causes"),
        "the report by cause of poverty"
    );
    let err = report_info("poor-lists").expect_err("unknown");
    assert!(err.to_string().contains("Không có báo cáo"));
}

#[test]
fn result_summary_matches_sql_per_village() {
    let l = open();
    let round = round_id(&l);
    let doc = build(&l, "result-summary");
    let rows = stat_rows(table(&doc));
    let poor = sql_per_village(&l, &round, "s.class = 'poor'");
    let near = sql_per_village(&l, &round, "s.class = 'near_poor'");
    let average = sql_per_village(&l, &round, "s.class = 'average'");
    let mut stmt = l
        .conn()
        .prepare(
            "SELECT v.name, count(DISTINCT h.id),
                    (SELECT count(*) FROM member m JOIN household h2 ON h2.id = m.household_id
                      WHERE h2.village_id = v.id AND h2.deleted = 0 AND h2.status = 'active' AND m.deleted = 0 AND m.status = 'present')
             FROM village v JOIN household h ON h.village_id = v.id AND h.deleted = 0 AND h.status = 'active'
             GROUP BY v.id",
        )
        .expect("prepare");
    let register: Vec<(String, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("q")
        .map(|r| r.expect("row"))
        .collect();
    assert!(register.len() >= 5, "several villages");
    let (mut th, mut tp, mut tpoor) = (0, 0, 0);
    for (name, households, persons) in &register {
        let row = rows.get(name).unwrap_or_else(|| panic!("row for {name}"));
        assert_eq!(int(&row[0]), *households, "{name} households");
        assert_eq!(int(&row[1]), *persons, "{name} persons");
        let p = poor.get(name).copied().unwrap_or(0);
        assert_eq!(int(&row[2]), p, "{name} poor");
        let rate = pct(&row[3]).expect("rate");
        assert!((rate - p as f64 * 100.0 / *households as f64).abs() < 1e-9);
        assert_eq!(
            int(&row[5]),
            near.get(name).copied().unwrap_or(0),
            "{name} near-poor"
        );
        assert_eq!(
            int(&row[8]),
            average.get(name).copied().unwrap_or(0),
            "{name} average"
        );
        th += households;
        tp += persons;
        tpoor += p;
    }
    assert_eq!(
        rows.len(),
        register.len(),
        "one row per village with households"
    );
    let total = total_row(table(&doc));
    assert_eq!(int(&total[0]), th);
    assert_eq!(int(&total[1]), tp);
    assert_eq!(int(&total[2]), tpoor);
    assert_eq!(th, i64::from(HOUSEHOLDS));
    assert!(tpoor > 0);
}

#[test]
fn movements_balance_and_match_transitions() {
    let l = open();
    let round = round_id(&l);
    let rows = l.round_households(&round, None).expect("rows");
    for (name, class, dec, inc) in [
        (
            "poor-movements",
            "poor",
            vec!["escaped_poverty", "poor_to_near_poor"],
            vec!["new_poor", "re_poor", "near_poor_to_poor"],
        ),
        (
            "near-poor-movements",
            "near_poor",
            vec!["escaped_near_poverty", "near_poor_to_poor"],
            vec!["new_near_poor", "poor_to_near_poor"],
        ),
    ] {
        let doc = build(&l, name);
        let t = table(&doc);
        let printed = stat_rows(t);
        // Independent: iterate the round's households by village.
        let mut expect: BTreeMap<String, [i64; 4]> = BTreeMap::new();
        for r in &rows {
            let e = expect.entry(r.village.clone()).or_default();
            if r.previous_class.as_deref() == Some(class) {
                e[0] += 1;
            }
            let t = r.transition.as_deref().unwrap_or("");
            if dec.contains(&t) {
                e[1] += 1;
            }
            if inc.contains(&t) {
                e[2] += 1;
            }
            if r.status == "surveyed" && r.class.as_deref() == Some(class) {
                e[3] += 1;
            }
        }
        let end_col = if class == "poor" { 8 } else { 7 };
        for (village, e) in &expect {
            let row = printed
                .get(village)
                .unwrap_or_else(|| panic!("{name}: {village}"));
            let (start, d, i, end) = (int(&row[0]), int(&row[1]), int(&row[4]), int(&row[end_col]));
            assert_eq!([start, d, i, end], *e, "{name} {village}");
            assert_eq!(
                start - d + i,
                end,
                "{name} {village}: start − decreases + increases = end"
            );
            assert_eq!(int(&row[2]) + int(&row[3]), d, "decrease parts");
        }
        let total = total_row(t);
        assert_eq!(
            int(&total[end_col]),
            expect.values().map(|e| e[3]).sum::<i64>()
        );
    }
}

#[test]
fn deprivation_counts_and_percentages_match_the_stored_surveys() {
    let l = open();
    let round = round_id(&l);
    let rules = l
        .rule_sets()
        .expect("sets")
        .latest("2022-2025")
        .expect("2022-2025");
    for class in ["poor", "near_poor"] {
        // Independent: read the JSON of every surveyed household of the class.
        let mut stmt = l
            .conn()
            .prepare(
                "SELECT v.name, s.deprived FROM survey s JOIN village v ON v.id = s.village_id
                 WHERE s.round_id = ?1 AND s.class = ?2 AND s.status = 'surveyed' AND s.deleted = 0",
            )
            .expect("prepare");
        let mut expect: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for row in stmt
            .query_map([&round, class], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .expect("q")
        {
            let (village, json) = row.expect("row");
            let ids: Vec<String> =
                serde_json::from_str(json.as_deref().unwrap_or("[]")).expect("json");
            let e = expect
                .entry(village)
                .or_insert_with(|| vec![0; rules.indicators.len() + 1]);
            e[0] += 1;
            for (i, ind) in rules.indicators.iter().enumerate() {
                if ids.contains(&ind.id) {
                    e[i + 1] += 1;
                }
            }
        }
        let prefix = if class == "poor" { "poor" } else { "near-poor" };
        let counts = build(&l, &format!("{prefix}-deprivations"));
        let pcts = build(&l, &format!("{prefix}-deprivations-pct"));
        let (c_rows, p_rows) = (stat_rows(table(&counts)), stat_rows(table(&pcts)));
        assert!(
            expect.values().any(|e| e[1..].iter().any(|n| *n > 0)),
            "some deprivations"
        );
        for (village, e) in &expect {
            let c = &c_rows[village];
            let p = &p_rows[village];
            assert_eq!(
                c.iter().map(int).collect::<Vec<_>>(),
                *e,
                "{class} {village}"
            );
            assert_eq!(int(&p[0]), e[0]);
            for i in 1..e.len() {
                let want = e[i] as f64 * 100.0 / e[0] as f64;
                assert!(
                    (pct(&p[i]).expect("pct") - want).abs() < 1e-9,
                    "{class} {village} #{i}"
                );
            }
        }
        // The header names the indicators of the rule set, in Vietnamese.
        let header: Vec<String> = table(&counts).flat_header().expect("header");
        for ind in &rules.indicators {
            assert!(header.iter().any(|h| h.contains(&ind.name)), "{}", ind.name);
        }
    }
}

#[test]
fn target_groups_and_ethnicity_match_sql() {
    let l = open();
    let round = round_id(&l);
    let doc = build(&l, "target-groups");
    let printed = stat_rows(table(&doc));
    for (village, row) in &printed {
        for (base, class) in [(0usize, "poor"), (5, "near_poor")] {
            let q = |cond: &str| -> i64 {
                l.conn()
                    .query_row(
                        &format!(
                            "SELECT count(*) FROM survey s JOIN household h ON h.id = s.household_id JOIN village v ON v.id = s.village_id
                             WHERE s.round_id = ?1 AND s.status = 'surveyed' AND s.deleted = 0 AND s.class = ?2 AND v.name = ?3 AND ({cond})"
                        ),
                        rusqlite::params![round, class, village],
                        |r| r.get(0),
                    )
                    .expect("count")
            };
            assert_eq!(int(&row[base]), q("1"), "{village} {class} total");
            assert_eq!(
                int(&row[base + 1]),
                q("h.ethnic_minority = 1"),
                "{village} dtts"
            );
            assert_eq!(int(&row[base + 2]), q("h.no_labour = 1"));
            assert_eq!(int(&row[base + 3]), q("h.merit = 1"));
            assert_eq!(
                int(&row[base + 4]),
                q("h.ethnic_minority = 0 AND h.no_labour = 0 AND h.merit = 0")
            );
        }
    }
    let doc = build(&l, "by-ethnicity");
    let printed = stat_rows(table(&doc));
    let mut stmt = l
        .conn()
        .prepare(
            "SELECT h.ethnicity, count(*), sum(s.class = 'poor'), sum(s.class = 'near_poor')
             FROM household h JOIN survey s ON s.household_id = h.id AND s.round_id = ?1
             WHERE h.deleted = 0 GROUP BY h.ethnicity",
        )
        .expect("prepare");
    let mut seen = 0;
    for row in stmt
        .query_map([&round], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .expect("q")
    {
        let (code, households, poor, near) = row.expect("row");
        let name = giamngheo_core::ethnicity::by_code(&code)
            .expect("known code")
            .name;
        let p = &printed[name];
        assert_eq!(
            (int(&p[0]), int(&p[2]), int(&p[5])),
            (households, poor, near),
            "{name}"
        );
        seen += 1;
    }
    assert!(seen >= 2, "several ethnic groups");
    assert_eq!(printed.len(), seen);
}

#[test]
fn children_deprivations_match_members_of_poor_households() {
    let l = open();
    let round = round_id(&l);
    let summary = l.round_summary(&round).expect("round");
    let on =
        NaiveDate::parse_from_str(&summary.reference_date, "%Y-%m-%d").expect("reference date");
    let mut expect = [0i64; 8];
    for r in l.round_households(&round, None).expect("rows") {
        let base = match (r.status.as_str(), r.class.as_deref()) {
            ("surveyed", Some("poor")) => 0,
            ("surveyed", Some("near_poor")) => 4,
            _ => continue,
        };
        for m in l.household(&r.household_id).expect("household").members {
            if m.status != "present" {
                continue;
            }
            let age = match m
                .birth_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            {
                Some(b) => {
                    let mut a = on.year() - b.year();
                    if (on.month(), on.day()) < (b.month(), b.day()) {
                        a -= 1;
                    }
                    a
                }
                None => on.year() - m.birth_year.expect("birth year"),
            };
            if !(0..16).contains(&age) {
                continue;
            }
            expect[base] += 1;
            if m.health_insurance == Some(false) {
                expect[base + 1] += 1;
            }
            if m.nutrition_status.as_deref().is_some_and(|n| n != "normal") {
                expect[base + 2] += 1;
            }
            if (3..16).contains(&age) && m.attending_school == Some(false) {
                expect[base + 3] += 1;
            }
        }
    }
    let doc = build(&l, "children-deprivations");
    let total: Vec<i64> = total_row(table(&doc)).iter().map(int).collect();
    assert_eq!(total, expect.to_vec());
    assert!(
        expect[0] > 0 && expect[1] + expect[2] + expect[3] > 0,
        "{expect:?}"
    );
}

/// Independent: poor households of the round and their present members.
fn poor_households(l: &Ledger, round: &str, class: &str) -> (i64, i64) {
    let mut h = 0;
    let mut p = 0;
    for r in l.round_households(round, None).expect("rows") {
        if r.status == "surveyed" && r.class.as_deref() == Some(class) {
            h += 1;
            p += l
                .household(&r.household_id)
                .expect("household")
                .members
                .iter()
                .filter(|m| m.status == "present")
                .count() as i64;
        }
    }
    (h, p)
}

fn vn(n: i64) -> String {
    giamngheo_core::reports::format::format_int(n)
}

#[test]
fn poor_list_rows_and_xlsx_read_back() {
    let l = open();
    let round = round_id(&l);
    let (households, persons) = poor_households(&l, &round, "poor");
    let doc = build(&l, "poor-list");
    let t = table(&doc);
    let data = t.rows.iter().filter(|r| r.kind == RowKind::Data).count() as i64;
    let members = t.rows.iter().filter(|r| r.kind == RowKind::Member).count() as i64;
    assert_eq!(data, households);
    assert_eq!(data + members, persons, "a row per present member");
    let total_text = format!("Tổng cộng: {} hộ, {} khẩu", vn(households), vn(persons));
    assert_eq!(
        t.rows.last().expect("total").cells[0].value.display(),
        total_text
    );

    let path = out_dir().join("poor-list.xlsx");
    write_file(&doc, OutputFormat::Xlsx, &path).expect("xlsx");
    let mut wb: Xlsx<_> = open_workbook(&path).expect("open xlsx");
    let sheet = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&sheet).expect("sheet");
    let text = |r: u32, c: u32| match range.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(i)) => i.to_string(),
        _ => String::new(),
    };
    let header = (0..range.height() as u32)
        .find(|r| text(*r, 0) == "TT")
        .expect("header row");
    assert_eq!(text(header, 1), "Họ và tên chủ hộ, thành viên");
    assert_eq!(text(header + 1, 3), "Nam");
    // Body: numbered household rows 1…n, member rows with an empty TT, group and subtotal rows.
    let mut numbered = 0i64;
    let mut member_rows = 0i64;
    let mut expected_no = 1i64;
    let mut total_seen = false;
    let mut names_in_sheet = Vec::new();
    for r in header + 2..range.height() as u32 {
        let tt = text(r, 0);
        if tt == total_text {
            total_seen = true;
            break;
        }
        if tt.parse::<i64>().is_ok() {
            assert_eq!(tt, expected_no.to_string(), "row {r}");
            expected_no += 1;
            numbered += 1;
            names_in_sheet.push(text(r, 1));
        } else if tt.is_empty() && !text(r, 1).is_empty() {
            member_rows += 1;
        }
    }
    assert!(total_seen, "totals row “{total_text}”");
    assert_eq!(numbered, households);
    assert_eq!(numbered + member_rows, persons);
    // Cell by cell against the document's household rows.
    let doc_names: Vec<String> = t
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Data)
        .map(|r| r.cells[1].value.display())
        .collect();
    assert_eq!(names_in_sheet, doc_names);
}

fn pdftotext(path: &std::path::Path, page: Option<usize>) -> String {
    let mut cmd = Command::new("pdftotext");
    cmd.arg("-layout");
    if let Some(p) = page {
        cmd.args(["-f", &p.to_string(), "-l", &p.to_string()]);
    }
    let out = cmd.arg(path).arg("-").output().expect("run pdftotext");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn poor_list_pdf_has_many_pages_with_the_header_and_a_png() {
    let l = open();
    let doc = build(&l, "poor-list");
    let path = out_dir().join("poor-list.pdf");
    write_file(&doc, OutputFormat::Pdf, &path).expect("pdf");
    let info = Command::new("pdfinfo")
        .arg(&path)
        .output()
        .expect("pdfinfo");
    let pages: usize = String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("Pages:")
                .map(|v| v.trim().parse().expect("n"))
        })
        .expect("Pages:");
    assert!(pages > 1, "{pages} pages");
    // Every page with table rows repeats the header; the signature may end on its own page.
    for p in 1..=pages {
        let t = squash(&pdftotext(&path, Some(p)));
        if p == pages && !t.contains("Chủ hộ") {
            assert!(t.contains("CHỦ TỊCH"), "last page: the signature");
            continue;
        }
        assert!(
            t.contains("Họ và tên chủ hộ, thành viên"),
            "header on page {p}"
        );
    }
    let last_rows = squash(&pdftotext(&path, Some(pages - 1)));
    assert!(
        last_rows.contains("Tổng cộng:")
            || squash(&pdftotext(&path, Some(pages))).contains("Tổng cộng:")
    );
    let first = squash(&pdftotext(&path, Some(1)));
    assert!(first.contains("DANH SÁCH HỘ NGHÈO NĂM 2026"));
    assert!(first.contains("ỦY BAN NHÂN DÂN"));
    assert!(
        first.contains("Sơn Lộ, ngày 20 tháng 11 năm 2026"),
        "{first}"
    );
    let prefix = out_dir().join("poor-list-page1");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-singlefile", "-f", "1", "-l", "1"])
        .arg(&path)
        .arg(&prefix)
        .status()
        .expect("pdftoppm");
    assert!(status.success());
    assert!(
        std::fs::metadata(prefix.with_extension("png"))
            .expect("png")
            .len()
            > 1000
    );
}

#[test]
fn lists_filter_by_transition_and_decision_counts() {
    let l = open();
    let round = round_id(&l);
    let rows = l.round_households(&round, None).expect("rows");
    let count = |f: &dyn Fn(&giamngheo_core::review::SurveyRow) -> bool| {
        rows.iter()
            .filter(|r| r.status == "surveyed" && f(r))
            .count() as i64
    };
    let households_in = |name: &str| {
        let doc = build(&l, name);
        table(&doc)
            .rows
            .iter()
            .filter(|r| r.kind == RowKind::Data)
            .count() as i64
    };
    let t = |r: &giamngheo_core::review::SurveyRow, set: &[&str]| {
        r.transition.as_deref().is_some_and(|x| set.contains(&x))
    };
    assert_eq!(
        households_in("new-poor-list"),
        count(&|r| t(r, &["new_poor", "re_poor", "near_poor_to_poor"]))
    );
    assert_eq!(
        households_in("new-near-poor-list"),
        count(&|r| t(r, &["new_near_poor", "poor_to_near_poor"]))
    );
    assert_eq!(
        households_in("average-list"),
        count(&|r| r.class.as_deref() == Some("average"))
    );
    assert_eq!(households_in("review-list"), rows.len() as i64);
    assert_eq!(
        households_in("near-poor-list"),
        count(&|r| r.class.as_deref() == Some("near_poor"))
    );
    // The decision prints Điều 1 counts and attaches four lists.
    let (ph, pp) = poor_households(&l, &round, "poor");
    let (nh, np) = poor_households(&l, &round, "near_poor");
    let doc = build(&l, "decision");
    let text: Vec<String> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph(p) => Some(p.plain_text()),
            _ => None,
        })
        .collect();
    assert!(
        text.iter()
            .any(|t| *t == format!("1. Số hộ nghèo: {} hộ, {} khẩu.", vn(ph), vn(pp))),
        "{text:?}"
    );
    assert!(text
        .iter()
        .any(|t| *t == format!("2. Số hộ cận nghèo: {} hộ, {} khẩu.", vn(nh), vn(np))));
    assert_eq!(doc.tables().count(), 4);
    // One village: the posting list shows only that village's households.
    let (vid, vname) = villages(&l).into_iter().next().expect("village");
    let doc = l
        .build_report(
            "posting-list",
            &ReportParams {
                village_id: Some(vname.clone()),
                ..Default::default()
            },
        )
        .expect("posting list");
    let expected = rows
        .iter()
        .filter(|r| {
            r.village_id == vid
                && r.status == "surveyed"
                && (matches!(r.class.as_deref(), Some("poor") | Some("near_poor"))
                    || t(
                        r,
                        &[
                            "escaped_poverty",
                            "poor_to_near_poor",
                            "escaped_near_poverty",
                        ],
                    ))
        })
        .count();
    let printed: usize = doc
        .tables()
        .map(|t| t.rows.iter().filter(|r| r.kind == RowKind::Data).count())
        .sum();
    assert_eq!(printed, expected);
    assert!(doc.tables().all(|t| t
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Data)
        .all(|r| r.cells.iter().any(|c| c.value.display() == vname))));
}

#[test]
fn household_forms_certificate_surveys_and_requests() {
    let l = open();
    let round = round_id(&l);
    let rows = l.round_households(&round, None).expect("rows");
    let poor = rows
        .iter()
        .find(|r| r.class.as_deref() == Some("poor"))
        .expect("a poor household");
    let other = rows
        .iter()
        .find(|r| r.class.as_deref() == Some("not_poor"))
        .expect("a non-poor household");
    let with = |name: &str, h: &str| {
        l.build_report(
            name,
            &ReportParams {
                household_id: Some(h.to_string()),
                ..Default::default()
            },
        )
    };
    // Certificate: by display code; the grid marks the round's year "N".
    let doc = with("certificate", &poor.code).expect("certificate");
    let grid = doc.tables().nth(1).expect("grid");
    let year_row = grid
        .rows
        .iter()
        .find(|r| r.cells[0].value.display() == "2026")
        .expect("2026 row");
    assert_eq!(year_row.cells[1].value.display(), "N");
    let deprived: Vec<String> = serde_json::from_str(
        &l.conn()
            .query_row(
                "SELECT deprived FROM survey WHERE round_id = ?1 AND household_id = ?2",
                [&round, &poor.household_id],
                |r| r.get::<_, String>(0),
            )
            .expect("deprived"),
    )
    .expect("json");
    let marked = year_row.cells[2..]
        .iter()
        .filter(|c| !c.value.display().is_empty())
        .count();
    assert_eq!(marked, deprived.len());
    let err = with("certificate", &other.household_id).expect_err("not poor");
    assert!(
        err.to_string().contains("không cấp giấy chứng nhận"),
        "{err}"
    );
    let err = l
        .build_report("certificate", &ReportParams::default())
        .expect_err("no household");
    assert!(err.to_string().contains("hãy chọn hộ"), "{err}");
    // Phiếu B2 pre-filled: ticked = the stored deprivations, points from the rule set.
    let doc = with("phieu-b2", &poor.household_id).expect("b2");
    let t = table(&doc);
    let ticked = t
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Data && r.cells[2].value.display() == "x")
        .count();
    assert_eq!(ticked, deprived.len());
    let total = t
        .rows
        .last()
        .expect("total")
        .cells
        .last()
        .expect("cell")
        .value
        .clone();
    assert_eq!(total, Value::Int(deprived.len() as i64 * 10));
    assert_eq!(Some(total), poor.score_b.map(Value::Int));
    // Blank B2: every indicator of the rule set, nothing ticked.
    let doc = build(&l, "phieu-b2");
    let t = table(&doc);
    assert_eq!(
        t.rows.iter().filter(|r| r.kind == RowKind::Data).count(),
        12
    );
    assert!(t
        .rows
        .iter()
        .all(|r| r.cells.iter().all(|c| c.value.display() != "x")));
    // Requests: pre-filled from the register, blank without a household.
    let detail = l.household(&poor.household_id).expect("household");
    let doc = with("request-01", &poor.household_id).expect("request-01");
    let names: Vec<String> = table(&doc)
        .rows
        .iter()
        .map(|r| r.cells[1].value.display())
        .collect();
    let present: Vec<String> = detail
        .members
        .iter()
        .filter(|m| m.status == "present")
        .map(|m| m.full_name.clone())
        .collect();
    assert_eq!(names.len(), present.len());
    assert_eq!(names[0], detail.head_name);
    let doc = build(&l, "request-04");
    assert!(table(&doc)
        .rows
        .iter()
        .all(|r| r.cells[1].value.display().is_empty()));
}

#[test]
fn dashboard_numbers_target_and_charts() {
    let mut l = open();
    let round = round_id(&l);
    let d = l.dashboard().expect("dashboard");
    let (households, persons): (i64, i64) = l
        .conn()
        .query_row(
            "SELECT count(*), (SELECT count(*) FROM member m JOIN household h ON h.id = m.household_id
                 WHERE h.deleted = 0 AND h.status = 'active' AND m.deleted = 0 AND m.status = 'present')
             FROM household WHERE deleted = 0 AND status = 'active'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count");
    let poor: i64 = sql_per_village(&l, &round, "s.class = 'poor'")
        .values()
        .sum();
    let near: i64 = sql_per_village(&l, &round, "s.class = 'near_poor'")
        .values()
        .sum();
    assert_eq!(
        (d.households, d.persons, d.poor, d.near_poor),
        (households, persons, poor, near)
    );
    let rate = poor as f64 * 100.0 / households as f64;
    assert!((d.poverty_rate.expect("rate") - rate).abs() < 1e-9);
    assert_eq!(
        d.poverty_rate_text,
        giamngheo_core::reports::format::format_percent(rate, 2)
    );
    assert!(
        d.poverty_rate_text.contains(','),
        "Vietnamese decimal comma"
    );
    assert_eq!(d.by_unit.iter().map(|u| u.poor).sum::<i64>(), poor);
    assert_eq!(
        d.by_unit.iter().map(|u| u.households).sum::<i64>(),
        households
    );
    assert_eq!(d.trend.len(), 1);
    assert!(d.change.is_none(), "one decided round: nothing to compare");
    // Deprivation counts: independent from the stored JSON.
    let mut water = 0;
    let mut stmt = l
        .conn()
        .prepare("SELECT deprived FROM survey WHERE round_id = ?1 AND status = 'surveyed' AND class IN ('poor', 'near_poor')")
        .expect("prepare");
    for j in stmt
        .query_map([&round], |r| r.get::<_, String>(0))
        .expect("q")
    {
        let ids: Vec<String> = serde_json::from_str(&j.expect("row")).expect("json");
        water += ids.iter().filter(|i| *i == "water").count() as i64;
    }
    drop(stmt);
    let w = d
        .deprivations
        .iter()
        .find(|c| c.id == "water")
        .expect("water");
    assert_eq!(w.poor + w.near_poor, water);
    assert!(d.charts.deprivations.starts_with("<svg") && d.charts.deprivations.contains(&w.name));
    assert!(d
        .charts
        .rates_by_unit
        .contains(&d.by_unit[0].label.replace('&', "&amp;")));
    assert!(d.charts.trend.contains("Năm 2026"));
    for svg in [
        &d.charts.deprivations,
        &d.charts.rates_by_unit,
        &d.charts.trend,
    ] {
        assert!(
            !svg.contains("http://") || svg.matches("http://").count() == 1,
            "only the xmlns"
        );
        assert!(!svg.contains("<script"));
    }
    // Written out for a person to look at (target/tmp/report_data/*.svg).
    for (name, svg) in [
        ("dashboard-deprivations", &d.charts.deprivations),
        ("dashboard-rates", &d.charts.rates_by_unit),
    ] {
        std::fs::write(out_dir().join(format!("{name}.svg")), svg).expect("write svg");
    }
    // The yearly target, stored as a local setting.
    assert!(l.set_poverty_target("abc").is_err());
    l.set_poverty_target("0,44").expect("target");
    let d = l.dashboard().expect("dashboard");
    let t = d.target.expect("target");
    assert_eq!(t.text, "0,44%");
    assert_eq!(t.reached, rate <= 0.44);
    assert!((t.gap.expect("gap") - (rate - 0.44)).abs() < 1e-9);
    assert!(t.progress_text.contains("giảm tỷ lệ hộ nghèo còn 0,44%"));
    l.set_poverty_target("").expect("clear");
}

#[test]
fn office_ledger_breaks_down_by_commune() {
    // A copy of the commune ledger marked as an office: the same reports group by commune.
    let path = out_dir().join("office.db");
    let _ = std::fs::remove_file(&path);
    {
        let l = open();
        l.conn()
            .execute("VACUUM INTO ?1", [path.display().to_string()])
            .expect("copy");
    }
    let l = Ledger::open_with_clock(&path, crate::common::clock()).expect("open copy");
    l.conn()
        .execute("UPDATE local_node SET kind = 'office'", [])
        .expect("office");
    assert_eq!(
        l.report_grouping().expect("grouping"),
        data::Grouping::Commune
    );
    let doc = build(&l, "result-summary");
    let rows = stat_rows(table(&doc));
    assert_eq!(rows.len(), 1, "one commune: {:?}", rows.keys());
    let (name, row) = rows.iter().next().expect("row");
    assert!(name.contains("Sơn Lộ"));
    assert_eq!(int(&row[0]), i64::from(HOUSEHOLDS));
    let header = table(&doc).flat_header().expect("header");
    assert!(header.iter().any(|h| h.contains("Xã/phường")));
    let d = l.dashboard().expect("dashboard");
    assert_eq!(d.by_unit.len(), 1);
    assert_eq!(d.by_unit[0].households, i64::from(HOUSEHOLDS));
    // By cause of poverty, by commune: against SQL over the whole file.
    let ids: Vec<String> = l
        .poverty_causes("2022-2025")
        .expect("causes")
        .into_iter()
        .map(|c| c.id)
        .collect();
    let doc = build(&l, "poverty-causes");
    for (t, class) in doc.tables().zip(["poor", "near_poor"]) {
        let rows = stat_rows(t);
        assert_eq!(rows.len(), 1, "one commune");
        let (name, row) = rows.iter().next().expect("row");
        assert!(name.contains("Sơn Lộ"), "{name}");
        let got: Vec<i64> = row.iter().map(int).collect();
        let mut want = vec![l
            .conn()
            .query_row(
                "SELECT count(*) FROM survey WHERE class = ?1 AND status = 'surveyed' AND deleted = 0",
                [class],
                |r| r.get::<_, i64>(0),
            )
            .expect("count")];
        for id in &ids {
            want.push(
                l.conn()
                    .query_row(
                        "SELECT count(DISTINCT s.id) FROM survey s, json_each(s.poverty_causes) j
                         WHERE s.class = ?1 AND s.status = 'surveyed' AND s.deleted = 0 AND j.value = ?2",
                        [class, id],
                        |r| r.get::<_, i64>(0),
                    )
                    .expect("count"),
            );
        }
        want.push(
            l.conn()
                .query_row(
                    "SELECT count(*) FROM survey WHERE class = ?1 AND status = 'surveyed' AND deleted = 0 AND poverty_causes IS NULL",
                    [class],
                    |r| r.get::<_, i64>(0),
                )
                .expect("count"),
        );
        assert_eq!(got, want, "{class}");
    }
}

#[test]
fn every_catalogue_entry_builds_or_explains() {
    let l = open();
    let poor = l
        .round_households(&round_id(&l), None)
        .expect("rows")
        .into_iter()
        .find(|r| r.class.as_deref() == Some("poor"))
        .expect("poor");
    for info in catalog() {
        let params = ReportParams {
            household_id: (info.needs == ReportNeeds::Household).then(|| poor.household_id.clone()),
            ..Default::default()
        };
        match l.build_report(&info.name, &params) {
            Ok(doc) => {
                doc.validate().expect("valid");
                let html = String::from_utf8(render(&doc, OutputFormat::Html).expect("html"))
                    .expect("utf-8");
                assert!(html.contains("<table"), "{}", info.name);
                assert_eq!(doc.orientation, info.orientation, "{}", info.name);
            }
            // The 2022–2025 rule set carries no Phiếu A checklist or B1 table: say which data
            // the office must load, invent nothing.
            Err(e) => {
                let (what, field) = match info.name.as_str() {
                    "phieu-a" => ("Phiếu A", "«phieu_a»"),
                    "phieu-b1" => ("Phiếu B1", "«b1_table»"),
                    _ => panic!("{}: {e}", info.name),
                };
                let m = e.to_string();
                assert!(m.contains(what) && m.contains(field), "{m}");
                assert!(m.contains("cần nạp tệp chuẩn nghèo"), "{m}");
            }
        }
    }
}

/// A commune with two decided periodic rounds (2025 from `populate`, 2026 typed in here with
/// changed deprivations), so movements, the dashboard change and the certificate grid have a
/// previous year.
fn two_rounds() -> (tempfile::TempDir, Ledger, String, String) {
    use giamngheo_core::clock::FixedClock;
    use giamngheo_core::review::{DecisionInput, MeetingInput, RoundInput, SurveyInput};
    use std::sync::Arc;
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("two.db");
    let first = {
        let mut l = Ledger::open_with_clock(&path, Arc::new(FixedClock::at_date(2025, 11, 20)))
            .expect("open");
        giamngheo_core::populate::populate(&mut l, 300, 9)
            .expect("populate")
            .round_id
            .expect("2025 round")
    };
    let mut l = Ledger::open_with_clock(&path, crate::common::clock()).expect("reopen");
    let round = l
        .create_round(&RoundInput {
            kind: "periodic".into(),
            scope: "full".into(),
            rules_id: "2022-2025".into(),
            start_date: "2026-09-15".into(),
            reference_date: None,
            posting_days: Some(3),
            title: None,
        })
        .expect("round 2026")
        .round
        .id;
    let ids = [
        "housing_quality",
        "water",
        "sanitation",
        "telecom",
        "information_access",
    ];
    let mut inputs = Vec::new();
    for (n, r) in l
        .round_households(&round, None)
        .expect("rows")
        .into_iter()
        .enumerate()
    {
        let score_a: Option<i64> = l
            .conn()
            .query_row(
                "SELECT score_a FROM survey WHERE round_id = ?1 AND household_id = ?2",
                [&first, &r.household_id],
                |x| x.get(0),
            )
            .expect("score a");
        // Every third household gains three deprivations, every fifth loses them all.
        let mut deprivations = BTreeMap::new();
        for (k, id) in ids.iter().enumerate() {
            deprivations.insert(
                (*id).to_string(),
                if n % 5 == 0 {
                    false
                } else {
                    n % 3 == 0 && k < 3
                },
            );
        }
        inputs.push(SurveyInput {
            round_id: round.clone(),
            household_id: r.household_id.clone(),
            score_a: score_a.map(|s| if n % 4 == 0 { s + 40 } else { s }),
            agricultural: true,
            floor_area_m2: Some(60.0),
            deprivations,
            reviewer: "Rà soát viên".into(),
            survey_date: "2026-10-01".into(),
            ..Default::default()
        });
    }
    l.save_surveys(&round, &inputs).expect("surveys");
    for v in l
        .round(&round)
        .expect("round")
        .villages
        .into_iter()
        .filter(|v| v.total > 0)
    {
        l.record_meeting(&MeetingInput {
            round_id: round.clone(),
            village_id: v.village_id,
            date: "2026-10-12".into(),
            attendees: 20,
            agreed: 18,
            chair: "Trưởng thôn".into(),
            note: String::new(),
        })
        .expect("meeting");
    }
    l.start_posting(&round, "2026-10-19").expect("posting");
    l.decide_round(&DecisionInput {
        round_id: round.clone(),
        number: "301/QĐ-UBND".into(),
        date: "2026-10-28".into(),
        signer: "Chủ tịch".into(),
    })
    .expect("decide");
    (dir, l, first, round)
}

#[test]
fn second_round_movements_start_from_the_previous_decision() {
    let (_dir, l, first, second) = two_rounds();
    let before = sql_per_village(&l, &first, "s.class = 'poor'");
    let after = sql_per_village(&l, &second, "s.class = 'poor'");
    let near_before = sql_per_village(&l, &first, "s.class = 'near_poor'");
    let near_after = sql_per_village(&l, &second, "s.class = 'near_poor'");
    let doc = build(&l, "poor-movements"); // default: the latest decided round (2026)
    let printed = stat_rows(table(&doc));
    let mut changed = 0;
    for (village, row) in &printed {
        let b = before.get(village).copied().unwrap_or(0);
        let a = after.get(village).copied().unwrap_or(0);
        assert_eq!(
            int(&row[0]),
            b,
            "{village}: start = poor of the 2025 decision"
        );
        assert_eq!(
            int(&row[8]),
            a,
            "{village}: end = poor of the 2026 decision"
        );
        assert_eq!(int(&row[0]) - int(&row[1]) + int(&row[4]), int(&row[8]));
        changed += int(&row[1]) + int(&row[4]);
    }
    assert!(changed > 0, "some households moved");
    let doc = build(&l, "near-poor-movements");
    for (village, row) in &stat_rows(table(&doc)) {
        assert_eq!(
            int(&row[0]),
            near_before.get(village).copied().unwrap_or(0),
            "{village}"
        );
        assert_eq!(
            int(&row[7]),
            near_after.get(village).copied().unwrap_or(0),
            "{village}"
        );
        assert_eq!(int(&row[0]) - int(&row[1]) + int(&row[4]), int(&row[7]));
    }
    // The 2025 round can still be asked for by id.
    let old = l
        .build_report(
            "result-summary",
            &ReportParams {
                round_id: Some(first.clone()),
                ..Default::default()
            },
        )
        .expect("2025 summary");
    let total = total_row(table(&old));
    assert_eq!(int(&total[2]), before.values().sum::<i64>());
    // Dashboard: change since 2025 and a two-point trend.
    let d = l.dashboard().expect("dashboard");
    assert_eq!(d.trend.len(), 2);
    let (pb, pa): (i64, i64) = (before.values().sum(), after.values().sum());
    let c = d.change.expect("change");
    assert_eq!(c.poor_delta, pa - pb);
    assert_eq!(c.previous_round_id, first);
    assert!(c.text.contains("so với Năm 2025"), "{}", c.text);
    assert_eq!(d.charts.trend.matches("<circle").count(), 4);
    std::fs::write(out_dir().join("dashboard-trend.svg"), &d.charts.trend).expect("write svg");
    // A household poor in both years: the certificate grid marks both.
    let both: String = l
        .conn()
        .query_row(
            "SELECT a.household_id FROM survey a JOIN survey b ON b.household_id = a.household_id
             WHERE a.round_id = ?1 AND b.round_id = ?2 AND a.class = 'poor' AND b.class = 'poor' LIMIT 1",
            [&first, &second],
            |r| r.get(0),
        )
        .expect("poor twice");
    let doc = l
        .build_report(
            "certificate",
            &ReportParams {
                household_id: Some(both),
                ..Default::default()
            },
        )
        .expect("certificate");
    let grid = doc.tables().nth(1).expect("grid");
    let class_of = |y: &str| {
        grid.rows
            .iter()
            .find(|r| r.cells[0].value.display() == y)
            .map(|r| r.cells[1].value.display())
    };
    assert_eq!(class_of("2025").as_deref(), Some("N"));
    assert_eq!(class_of("2026").as_deref(), Some("N"));
}

// ---------------------------------------------------------------------------------------------
// Causes of poverty (nguyên nhân nghèo) and cancelling a build

/// Independent SQL (json_each over the stored JSON): per village name, for surveyed households
/// of `class`: [households, one count per cause id…, households with no cause recorded].
fn sql_causes(l: &Ledger, round: &str, class: &str, ids: &[String]) -> BTreeMap<String, Vec<i64>> {
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let base = "FROM survey s JOIN village v ON v.id = s.village_id
                WHERE s.round_id = ?1 AND s.class = ?2 AND s.status = 'surveyed' AND s.deleted = 0";
    let mut add = |sql: &str, col: usize, extra: Option<&str>| {
        let mut stmt = l.conn().prepare(sql).expect("prepare");
        let params: Vec<&str> = [round, class].into_iter().chain(extra).collect();
        let rows: Vec<(String, i64)> = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("query")
            .map(|r| r.expect("row"))
            .collect();
        for (village, n) in rows {
            out.entry(village).or_insert_with(|| vec![0; ids.len() + 2])[col] = n;
        }
    };
    add(
        &format!("SELECT v.name, count(*) {base} GROUP BY v.name"),
        0,
        None,
    );
    for (i, id) in ids.iter().enumerate() {
        add(
            "SELECT v.name, count(DISTINCT s.id) FROM survey s JOIN village v ON v.id = s.village_id, json_each(s.poverty_causes) j
             WHERE s.round_id = ?1 AND s.class = ?2 AND s.status = 'surveyed' AND s.deleted = 0 AND j.value = ?3 GROUP BY v.name",
            i + 1,
            Some(id),
        );
    }
    add(
        &format!(
            "SELECT v.name, count(*) {base} AND (s.poverty_causes IS NULL OR json_array_length(s.poverty_causes) = 0) GROUP BY v.name"
        ),
        ids.len() + 1,
        None,
    );
    out
}

#[test]
fn poverty_causes_match_sql_per_village_in_every_format() {
    let l = open();
    let round = round_id(&l);
    let catalogue = l.poverty_causes("2022-2025").expect("causes");
    assert_eq!(catalogue.len(), 8, "the default list of report 10");
    let ids: Vec<String> = catalogue.iter().map(|c| c.id.clone()).collect();
    // The generator records causes on poor and near-poor surveys only, at least one each.
    let (with_causes_outside, without_inside): (i64, i64) = l
        .conn()
        .query_row(
            "SELECT coalesce(sum(class NOT IN ('poor', 'near_poor') AND poverty_causes IS NOT NULL), 0),
                    coalesce(sum(class IN ('poor', 'near_poor') AND poverty_causes IS NULL), 0)
             FROM survey WHERE round_id = ?1 AND deleted = 0",
            [&round],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count");
    assert_eq!(with_causes_outside, 0);
    assert_eq!(without_inside, 0);

    let doc = build(&l, "poverty-causes");
    let tables: Vec<&Table> = doc.tables().collect();
    assert_eq!(
        tables.len(),
        2,
        "one table for poor, one for near-poor households"
    );
    let n = ids.len() + 2;
    let mut totals = Vec::new();
    let mut all_rows = Vec::new();
    for (t, class, group) in [
        (tables[0], "poor", "Hộ nghèo"),
        (tables[1], "near_poor", "Hộ cận nghèo"),
    ] {
        let rows = stat_rows(t);
        let want = sql_causes(&l, &round, class, &ids);
        let mut seen_causes = 0;
        for (village, row) in &rows {
            let got: Vec<i64> = row.iter().map(int).collect();
            let w = want.get(village).cloned().unwrap_or_else(|| vec![0; n]);
            assert_eq!(got, w, "{class}, {village}");
            seen_causes += w[1..n - 1].iter().sum::<i64>();
        }
        assert!(seen_causes > 0, "some causes counted for {class}");
        for v in want.keys() {
            assert!(rows.contains_key(v), "{class}: {v} printed");
        }
        let header = t.flat_header().expect("header");
        for c in &catalogue {
            assert!(
                header
                    .iter()
                    .any(|h| h.starts_with(&format!("{group} - {} - (", c.label))),
                "{} in the {class} header: {header:?}",
                c.label
            );
        }
        assert!(header
            .iter()
            .any(|h| h.starts_with(&format!("{group} - Chưa ghi nguyên nhân"))));
        let total: Vec<i64> = total_row(t).iter().map(int).collect();
        assert_eq!(total[0], want.values().map(|v| v[0]).sum::<i64>());
        totals.push(total);
        all_rows.push(rows);
    }
    let sum_p = totals[0][0];

    // .xlsx read back: both tables, each village row and the total rows, cell by cell (the
    // first table's rows come first on the sheet).
    let path = out_dir().join("poverty-causes.xlsx");
    write_file(&doc, OutputFormat::Xlsx, &path).expect("xlsx");
    let mut wb: Xlsx<_> = open_workbook(&path).expect("open xlsx");
    let sheet = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&sheet).expect("sheet");
    let text = |r: u32, c: u32| match range.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(i)) => i.to_string(),
        _ => String::new(),
    };
    let mut part = 0usize;
    let mut checked = 0;
    for r in 0..range.height() as u32 {
        let label = text(r, 1);
        let want: Option<Vec<i64>> = if text(r, 0).starts_with("Tổng cộng") {
            part += 1;
            Some(totals[part - 1].clone())
        } else {
            all_rows
                .get(part)
                .and_then(|rows| rows.get(&label))
                .map(|v| v.iter().map(int).collect())
        };
        let Some(want) = want else { continue };
        for (i, w) in want.iter().enumerate() {
            let cell = text(r, 2 + i as u32);
            let got: i64 = if cell.is_empty() {
                0
            } else {
                cell.parse::<f64>().expect("number") as i64
            };
            assert_eq!(got, *w, "xlsx row {r} ({label}) column {i}");
        }
        checked += 1;
    }
    assert_eq!(
        checked,
        all_rows[0].len() + all_rows[1].len() + 2,
        "every village row and both total rows"
    );
    let rows = &all_rows[0];

    // PDF: the title, a village and the poor total, as text.
    let pdf = out_dir().join("poverty-causes.pdf");
    write_file(&doc, OutputFormat::Pdf, &pdf).expect("pdf");
    let text = squash(&pdftotext(&pdf, None));
    for needle in [
        "PHÂN NHÓM HỘ NGHÈO, HỘ CẬN NGHÈO THEO CÁC NGUYÊN NHÂN NGHÈO",
        "Tổng cộng",
        "Một hộ có thể có nhiều nguyên nhân nghèo",
        rows.keys().next().expect("a village").as_str(),
    ] {
        assert!(text.contains(needle), "PDF text has “{needle}”");
    }
    assert!(text.contains(&vn(sum_p)));
    // CSV: one flat header naming the causes, one line per village and the total.
    let csv = String::from_utf8(render(&doc, OutputFormat::Csv).expect("csv")).expect("utf-8");
    assert!(csv.contains("Hộ nghèo - Thiếu đất sản xuất"), "{csv}");
}

#[test]
fn a_cancelled_build_or_export_writes_no_file() {
    let l = open();
    let round = round_id(&l);
    let (households, _) = poor_households(&l, &round, "poor");
    // Cancelled while reading the ledger (the third progress report).
    let path = out_dir().join("cancelled-build.xlsx");
    let _ = std::fs::remove_file(&path);
    let mut calls = 0;
    let err = l
        .export_report(
            "poor-list",
            &ReportParams::default(),
            OutputFormat::Xlsx,
            &path,
            &mut |stage, _, _| {
                assert_eq!(stage, ExportStage::Reading, "cancelled before rendering");
                calls += 1;
                calls < 3
            },
        )
        .expect_err("cancelled");
    assert!(is_cancelled(&err), "{err}");
    assert!(err.to_string().starts_with("Đã hủy"), "{err}");
    assert_eq!(calls, 3);
    assert!(!path.exists(), "no file after a cancelled build");
    // The same through build_report_with.
    let mut stop = |_: usize, _: usize| false;
    let err = l
        .build_report_with(
            "result-summary",
            &ReportParams::default(),
            &mut BuildProgress::new(&mut stop),
        )
        .expect_err("cancelled");
    assert!(is_cancelled(&err));
    // The dashboard reads the same data and stops the same way.
    let mut reads = 0;
    let mut second = |_: usize, _: usize| {
        reads += 1;
        reads < 2
    };
    let err = l
        .dashboard_with(&mut BuildProgress::new(&mut second))
        .expect_err("cancelled");
    assert!(is_cancelled(&err));
    // Cancelled at the first rendering report: still nothing written.
    let err = l
        .export_report(
            "poor-list",
            &ReportParams::default(),
            OutputFormat::Pdf,
            &path,
            &mut |stage, _, _| stage == ExportStage::Reading,
        )
        .expect_err("cancelled");
    assert!(is_cancelled(&err));
    assert!(!path.exists());
    // Not cancelled: reading reports grow to the rows read (surveys, then members of the poor
    // households), rendering to the table rows; the file is written.
    let mut reading: Vec<(usize, usize)> = Vec::new();
    let mut rendering: Vec<(usize, usize)> = Vec::new();
    let doc = l
        .export_report(
            "poor-list",
            &ReportParams::default(),
            OutputFormat::Xlsx,
            &path,
            &mut |stage, d, t| {
                match stage {
                    ExportStage::Reading => reading.push((d, t)),
                    ExportStage::Rendering => rendering.push((d, t)),
                }
                true
            },
        )
        .expect("export");
    assert!(path.exists());
    let surveys: i64 = l
        .conn()
        .query_row(
            "SELECT count(*) FROM survey WHERE round_id = ?1 AND deleted = 0",
            [&round],
            |r| r.get(0),
        )
        .expect("count");
    let (_, persons) = poor_households(&l, &round, "poor");
    let last = *reading.last().expect("reading reports");
    assert_eq!(last.0, last.1);
    assert_eq!(
        last.0 as i64,
        surveys + persons,
        "surveys then members of {households} poor households"
    );
    assert!(reading.windows(2).all(|w| w[0].0 <= w[1].0), "monotonic");
    let rows: usize = doc.tables().map(|t| t.rows.len()).sum();
    assert_eq!(rendering.last().copied(), Some((rows, rows)));
}

/// A fresh generated commune of `n` households (register only) and an open full round of 2026.
fn open_round(n: u32) -> (tempfile::TempDir, Ledger, String) {
    use giamngheo_core::review::RoundInput;
    let dir = tempfile::tempdir().expect("tmp");
    let mut l =
        Ledger::open_with_clock(dir.path().join("r.db"), crate::common::clock()).expect("open");
    giamngheo_core::populate::populate_with(&mut l, n, 11, false).expect("populate");
    let round = l
        .create_round(&RoundInput {
            kind: "periodic".into(),
            scope: "full".into(),
            rules_id: "2022-2025".into(),
            start_date: "2026-09-15".into(),
            reference_date: None,
            posting_days: Some(3),
            title: None,
        })
        .expect("round")
        .round
        .id;
    (dir, l, round)
}

fn op_count(l: &Ledger) -> i64 {
    l.conn()
        .query_row("SELECT count(*) FROM op", [], |r| r.get(0))
        .expect("ops")
}

#[test]
fn surveys_record_causes_through_the_write_path() {
    use giamngheo_core::review::SurveyInput;
    let (_dir, mut l, round) = open_round(30);
    let rows = l.round_households(&round, None).expect("rows");
    let input = |h: &str, score_a: i64, causes: &[&str]| SurveyInput {
        round_id: round.clone(),
        household_id: h.to_string(),
        score_a: Some(score_a),
        reviewer: "Lò Văn Páo".into(),
        survey_date: "2026-10-01".into(),
        poverty_causes: causes.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    };
    let form = l.survey_form(&round, &rows[0].household_id).expect("form");
    assert_eq!(
        form.poverty_causes
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        [
            "land",
            "capital",
            "labour",
            "tools",
            "knowledge",
            "skills",
            "illness",
            "other"
        ]
    );
    // Poor or near-poor (score A within 140): causes kept once each, in catalogue order.
    let out = l
        .save_survey(&input(
            &rows[0].household_id,
            100,
            &["capital", "land", "capital"],
        ))
        .expect("save");
    assert!(
        out.class == "poor" || out.class == "near_poor",
        "{}",
        out.class
    );
    let saved = l
        .survey_form(&round, &rows[0].household_id)
        .expect("form")
        .saved
        .expect("saved");
    assert_eq!(saved.poverty_causes, ["land", "capital"]);
    // Through the write path: the op carries the field (so packages carry it).
    let ops = l.ops().expect("ops");
    let op = ops
        .iter()
        .filter(|o| o.entity == "survey")
        .max_by_key(|o| (o.lamport, o.seq))
        .expect("op");
    assert_eq!(op.body.set["poverty_causes"], r#"["land","capital"]"#);
    // Unknown cause, or causes on a household above the line: refused, nothing written.
    let before = op_count(&l);
    let err = l
        .save_survey(&input(&rows[1].household_id, 100, &["debt"]))
        .expect_err("unknown");
    assert!(
        matches!(&err, giamngheo_core::Error::Field { field, .. } if field == "poverty_causes"),
        "{err}"
    );
    assert!(err.to_string().contains("“debt”"), "{err}");
    let err = l
        .save_survey(&input(&rows[1].household_id, 400, &["land"]))
        .expect_err("not poor");
    assert!(
        err.to_string()
            .contains("Chỉ ghi nguyên nhân nghèo cho hộ nghèo, hộ cận nghèo"),
        "{err}"
    );
    assert_eq!(op_count(&l), before, "bad input changes nothing");
    // An office's rule set with its own list: previewed as a change, then used.
    let mut set: serde_json::Value =
        serde_json::from_str(giamngheo_core::rules::BUILTIN_FILES[0].1).expect("json");
    set["version"] = 2.into();
    set["poverty_causes"] = serde_json::json!([
        { "id": "land", "label": "Thiếu đất canh tác" },
        { "id": "debt", "label": "Nợ nần" }
    ]);
    let text = set.to_string();
    let (_, changes) = l.preview_rule_set(&text).expect("preview");
    let changes = changes.expect("an update of 2022-2025");
    assert!(
        changes
            .iter()
            .any(|c| c.path == "poverty_causes" && c.description.contains("2 nguyên nhân")),
        "{changes:?}"
    );
    l.load_rule_set(&text).expect("load");
    let causes = l.poverty_causes("2022-2025").expect("causes");
    assert_eq!(causes.len(), 2);
    l.save_survey(&input(&rows[1].household_id, 100, &["debt"]))
        .expect("a cause of the loaded list");
    // A rule set with a bad list is refused with the field named.
    set["version"] = 3.into();
    set["poverty_causes"] = serde_json::json!([{ "id": "Đất", "label": "" }]);
    let err = l.load_rule_set(&set.to_string()).expect_err("bad list");
    assert!(err.to_string().contains("nguyên nhân nghèo"), "{err}");
}

/// A TEST rule set (2022-2025 version 2) carrying a Phiếu A checklist and a B1 point table.
/// The items and points are made up for the tests and say so: the official content was not
/// found (domain §2.3, §2.4).
pub fn test_forms_rule_set() -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(giamngheo_core::rules::BUILTIN_FILES[0].1).expect("json");
    v["version"] = 2.into();
    v["phieu_a"] = serde_json::json!({
        "source": "Bộ tiêu chí THỬ NGHIỆM của bộ kiểm thử (không phải Phụ lục II chính thức)",
        "items": [
            { "id": "t_car", "label": "(Thử nghiệm) Hộ có ô tô" },
            { "id": "t_house", "label": "(Thử nghiệm) Hộ có nhà kiên cố trên 100 m²" }
        ]
    });
    v["b1_table"] = serde_json::json!({
        "source": "Bảng điểm THỬ NGHIỆM của bộ kiểm thử (không phải bảng điểm chính thức)",
        "variants": [
            { "id": "TT", "label": "Thành thị", "area": "urban" },
            { "id": "NT2", "label": "Nông thôn Trung du và miền núi phía Bắc", "area": "rural" }
        ],
        "questions": [
            { "id": "t_size", "label": "(Thử nghiệm) Số nhân khẩu của hộ", "options": [
                { "id": "small", "label": "1–3 người", "points": { "TT": 50, "NT2": 40 } },
                { "id": "large", "label": "4 người trở lên", "points": { "TT": 20, "NT2": 15 } }
            ] },
            { "id": "t_wage", "label": "(Thử nghiệm) Có người làm công ăn lương", "options": [
                { "id": "yes", "label": "Có", "points": { "TT": 60, "NT2": 55 } },
                { "id": "no", "label": "Không", "points": { "TT": 0, "NT2": 0 } }
            ] }
        ]
    });
    v.to_string()
}

#[test]
fn phieu_a_and_b1_render_from_a_loaded_rule_set_blank_and_prefilled() {
    use giamngheo_core::review::{ApplicationInput, RoundInput, SurveyInput};
    let dir = tempfile::tempdir().expect("tmp");
    let mut l =
        Ledger::open_with_clock(dir.path().join("f.db"), crate::common::clock()).expect("open");
    giamngheo_core::populate::populate_with(&mut l, 20, 4, false).expect("populate");
    // Without the data: refused, naming what to load.
    for (name, field) in [("phieu-a", "«phieu_a»"), ("phieu-b1", "«b1_table»")] {
        let err = l
            .build_report(name, &ReportParams::default())
            .expect_err("no content");
        assert!(err.to_string().contains(field), "{err}");
    }
    // Through the real load path (validated, stored as an op).
    l.load_rule_set(&test_forms_rule_set()).expect("load");
    let round = l
        .create_round(&RoundInput {
            kind: "periodic".into(),
            scope: "listed".into(),
            rules_id: "2022-2025".into(),
            start_date: "2026-09-15".into(),
            reference_date: None,
            posting_days: Some(3),
            title: None,
        })
        .expect("round")
        .round
        .id;
    let households: Vec<String> = l
        .list_all_households(&Default::default())
        .expect("households")
        .into_iter()
        .map(|h| h.id)
        .collect();
    let (stopped, scored) = (&households[0], &households[1]);
    for h in [stopped, scored] {
        l.add_application(&ApplicationInput {
            round_id: round.clone(),
            household_id: h.clone(),
            form: "mau01".into(),
            received_date: "2026-09-20".into(),
            ..Default::default()
        })
        .expect("application");
    }
    let base = |h: &str| SurveyInput {
        round_id: round.clone(),
        household_id: h.to_string(),
        reviewer: "Lò Văn Páo".into(),
        survey_date: "2026-10-01".into(),
        ..Default::default()
    };
    let out = l
        .save_survey(&SurveyInput {
            phieu_a_ticked: vec!["t_car".into()],
            ..base(stopped)
        })
        .expect("phiếu A stop");
    assert!(out.phieu_a_stop);
    let b1: BTreeMap<String, String> = [("t_size", "large"), ("t_wage", "no")]
        .into_iter()
        .map(|(q, o)| (q.to_string(), o.to_string()))
        .collect();
    let out = l
        .save_survey(&SurveyInput {
            b1_answers: b1,
            ..base(scored)
        })
        .expect("b1");
    assert_eq!(out.score_a, Some(15), "NT2 points of the chosen options");
    let with = |name: &str, h: Option<&str>| {
        l.build_report(
            name,
            &ReportParams {
                household_id: h.map(str::to_owned),
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let marks = |t: &Table, col: usize| -> Vec<String> {
        t.rows
            .iter()
            .filter(|r| r.kind == RowKind::Data)
            .map(|r| r.cells[col].value.display())
            .collect()
    };
    // Phiếu A blank: the checklist, nothing ticked, the stop rule printed.
    let doc = with("phieu-a", None);
    let t = table(&doc);
    assert_eq!(
        t.rows
            .iter()
            .map(|r| r.cells[1].value.display())
            .collect::<Vec<_>>(),
        [
            "(Thử nghiệm) Hộ có ô tô",
            "(Thử nghiệm) Hộ có nhà kiên cố trên 100 m²"
        ]
    );
    assert!(marks(t, 2)
        .iter()
        .chain(marks(t, 3).iter())
        .all(|m| m.is_empty()));
    // Pre-filled for the stopped applicant: Có for the car, Không for the house, the result.
    let detail = l.household(stopped).expect("household");
    let doc = with("phieu-a", Some(&detail.code));
    let t = table(&doc);
    assert_eq!(marks(t, 2), ["x", ""]);
    assert_eq!(marks(t, 3), ["", "x"]);
    let path = out_dir().join("phieu-a-prefilled.pdf");
    write_file(&doc, OutputFormat::Pdf, &path).expect("pdf");
    let text = squash(&pdftotext(&path, None));
    for needle in [
        "PHIẾU A",
        "Bộ tiêu chí THỬ NGHIỆM",
        detail.head_name.as_str(),
        "Kết quả: dừng rà soát",
        "Hộ có ít nhất một đặc điểm nêu trên thì dừng rà soát",
    ] {
        assert!(text.contains(needle), "Phiếu A PDF has “{needle}”: {text}");
    }
    // Phiếu B1 blank: questions as headings, options with the commune's (NT2) points.
    let doc = with("phieu-b1", None);
    let t = table(&doc);
    let headings: Vec<String> = t
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Group)
        .map(|r| r.cells[1].value.display())
        .collect();
    assert_eq!(
        headings,
        [
            "(Thử nghiệm) Số nhân khẩu của hộ",
            "(Thử nghiệm) Có người làm công ăn lương"
        ]
    );
    assert_eq!(marks(t, 3), ["40", "15", "55", "0"]);
    assert!(marks(t, 2).iter().all(|m| m.is_empty()));
    let header = t.flat_header().expect("header");
    assert!(
        header.iter().any(|h| h.contains("Nông thôn Trung du")),
        "{header:?}"
    );
    // Pre-filled: the chosen options ticked, score A as stored.
    let detail = l.household(scored).expect("household");
    let doc = with("phieu-b1", Some(&detail.id));
    let t = table(&doc);
    assert_eq!(marks(t, 2), ["", "x", "", "x"]);
    let total = t.rows.last().expect("total");
    assert_eq!(total.kind, RowKind::Total);
    assert_eq!(total.cells.last().expect("cell").value, Value::Int(15));
    let path = out_dir().join("phieu-b1-prefilled.pdf");
    write_file(&doc, OutputFormat::Pdf, &path).expect("pdf");
    let text = squash(&pdftotext(&path, None));
    for needle in [
        "PHIẾU B1",
        "Bảng điểm THỬ NGHIỆM",
        detail.head_name.as_str(),
        "4 người trở lên",
        "Tổng điểm A 15",
    ] {
        assert!(text.contains(needle), "Phiếu B1 PDF has “{needle}”: {text}");
    }
    // The region column of every variant when the commune's variant is unknown to the table.
    l.conn()
        .execute("UPDATE commune SET b1_region = 'NT9'", [])
        .expect("region");
    let doc = with("phieu-b1", None);
    let header = table(&doc).flat_header().expect("header");
    assert!(
        header.iter().any(|h| h.ends_with("TT")) && header.iter().any(|h| h.ends_with("NT2")),
        "{header:?}"
    );
}

#[test]
fn detail_lists_print_each_households_causes() {
    let l = open();
    let round = round_id(&l);
    let doc = build(&l, "poor-detail");
    let t = table(&doc);
    let header = t.flat_header().expect("header");
    let col = header
        .iter()
        .position(|h| h.starts_with("Nguyên nhân nghèo"))
        .unwrap_or_else(|| panic!("a causes column: {header:?}"));
    let data: Vec<&Row> = t.rows.iter().filter(|r| r.kind == RowKind::Data).collect();
    // Household rows carry one cell per column (no spans), so the column index is the cell's.
    let printed = |label: &str| {
        data.iter()
            .filter(|r| {
                r.cells
                    .get(col)
                    .is_some_and(|c| c.value.display().split("; ").any(|x| x == label))
            })
            .count() as i64
    };
    for (id, label) in [
        ("land", "Thiếu đất sản xuất"),
        ("illness", "Ốm đau, tai nạn"),
    ] {
        let want: i64 = l
            .conn()
            .query_row(
                "SELECT count(DISTINCT s.id) FROM survey s, json_each(s.poverty_causes) j
                 WHERE s.round_id = ?1 AND s.class = 'poor' AND s.status = 'surveyed' AND s.deleted = 0 AND j.value = ?2",
                [&round, id],
                |r| r.get(0),
            )
            .expect("count");
        assert!(want > 0, "{id}");
        assert_eq!(printed(label), want, "{label}");
    }
}
