//! `giamngheo classify --rules ID`: the stable, scriptable classification contract. Reads JSON
//! Lines (one household per line) and writes one JSON object per line in the same order,
//! streaming. It owns only the line format; every rule lives in `giamngheo_core::rules`, and it
//! does not touch the ledger.
//!
//! Input line (unknown fields are an error, so a misspelt field is never silently ignored):
//! `id` (any JSON value, echoed), `area` ("rural" | "urban"), `reference_date` ("YYYY-MM-DD"),
//! optional `score_a` (integer), `income_per_capita_month` (integer đồng), `agricultural`
//! (bool), `floor_area_m2` (number), `deprivations` (indicator id → bool, overrides derivation),
//! `members` (array of `{birth_date, health_insurance, attending_school, malnourished}`; also
//! accepted: `name`, `birth_year`, `unemployed`, `wage_without_contract`, `education_met`,
//! `social_allowance`). Blank lines are skipped.
//!
//! Output line: `{"id", "rules", "class", "score_a"?, "score_b", "deprived", "explanation"}` or
//! `{"id", "error"}` with a Vietnamese message. Exit status 0 unless stdin cannot be read (1);
//! unknown rule-set id: message on stderr, exit 2.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use chrono::NaiveDate;
use giamngheo_core::rules::{self, json, Area, HouseholdFacts, MemberFacts, RuleSet, RuleSets};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HouseholdLine {
    #[serde(default)]
    id: Value,
    area: Area,
    reference_date: NaiveDate,
    #[serde(default)]
    score_a: Option<i64>,
    #[serde(default)]
    income_per_capita_month: Option<i64>,
    #[serde(default)]
    agricultural: Option<bool>,
    #[serde(default)]
    floor_area_m2: Option<f64>,
    #[serde(default)]
    deprivations: Option<BTreeMap<String, bool>>,
    #[serde(default)]
    members: Option<Vec<MemberLine>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberLine {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    birth_date: Option<NaiveDate>,
    #[serde(default)]
    birth_year: Option<i32>,
    #[serde(default)]
    health_insurance: Option<bool>,
    #[serde(default)]
    attending_school: Option<bool>,
    #[serde(default)]
    malnourished: Option<bool>,
    #[serde(default)]
    unemployed: Option<bool>,
    #[serde(default)]
    wage_without_contract: Option<bool>,
    #[serde(default)]
    education_met: Option<bool>,
    #[serde(default)]
    social_allowance: Option<bool>,
}

impl HouseholdLine {
    fn into_facts(self) -> HouseholdFacts {
        HouseholdFacts {
            area: self.area,
            reference_date: self.reference_date,
            score_a: self.score_a,
            income_per_capita_month: self.income_per_capita_month,
            agricultural: self.agricultural.unwrap_or(false),
            floor_area_m2: self.floor_area_m2,
            deprivations: self.deprivations.unwrap_or_default(),
            override_reasons: BTreeMap::new(),
            members: self
                .members
                .unwrap_or_default()
                .into_iter()
                .map(|m| MemberFacts {
                    name: m.name,
                    birth_date: m.birth_date,
                    birth_year: m.birth_year,
                    health_insurance: m.health_insurance,
                    attending_school: m.attending_school,
                    malnourished: m.malnourished,
                    unemployed: m.unemployed,
                    wage_without_contract: m.wage_without_contract,
                    education_met: m.education_met,
                    social_allowance: m.social_allowance,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct ResultLine<'a> {
    id: &'a Value,
    rules: &'a str,
    class: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    score_a: Option<i64>,
    score_b: i64,
    deprived: Vec<&'a str>,
    explanation: &'a str,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    id: &'a Value,
    error: String,
}

/// Runs `classify` with a built-in rule set chosen by id (its latest version). Returns the exit
/// status: 0 on success (bad lines included), 1 if stdin cannot be read or stdout cannot be
/// written, 2 if the rule-set id is unknown.
pub fn run(
    rules_id: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let sets = match RuleSets::builtin() {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "Lỗi chuẩn nghèo tích hợp: {e}");
            return 2;
        }
    };
    match sets.require_latest(rules_id) {
        Ok(set) => run_with_rules(&set, input, out, err),
        Err(e) => {
            let _ = writeln!(err, "{e}");
            2
        }
    }
}

/// Runs `classify` with a given rule set (e.g. one an office loaded). Same contract as [`run`].
pub fn run_with_rules(
    set: &RuleSet,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut line_no: u64 = 0;
    let mut written: Vec<u8> = Vec::with_capacity(1024);
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = out.flush();
                let _ = writeln!(
                    err,
                    "Không đọc được dữ liệu vào (stdin) sau dòng {line_no}: {}",
                    giamngheo_core::error::describe_io_error(&e)
                );
                return 1;
            }
        }
        line_no += 1;
        written.clear();
        if !classify_line(set, &buf, line_no, &mut written) {
            continue;
        }
        written.push(b'\n');
        if let Err(e) = out.write_all(&written) {
            let _ = writeln!(
                err,
                "Không ghi được kết quả (stdout): {}",
                giamngheo_core::error::describe_io_error(&e)
            );
            return 1;
        }
    }
    if let Err(e) = out.flush() {
        let _ = writeln!(
            err,
            "Không ghi được kết quả (stdout): {}",
            giamngheo_core::error::describe_io_error(&e)
        );
        return 1;
    }
    0
}

/// Classifies one raw line into `sink` (without the newline). Returns false for a blank line.
fn classify_line(set: &RuleSet, raw: &[u8], line_no: u64, sink: &mut Vec<u8>) -> bool {
    let null = Value::Null;
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t,
        Err(_) => {
            write_error(
                sink,
                &null,
                line_no,
                "dòng không phải văn bản UTF-8".to_string(),
            );
            return true;
        }
    };
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return false;
    }
    // Fast path: a well-formed line deserializes directly. Only a bad line pays for a second
    // pass that finds its id and words the problem in Vietnamese.
    let mut household: HouseholdLine = match serde_json::from_str(text) {
        Ok(h) => h,
        Err(_) => {
            let value: Value = match serde_json::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    write_error(sink, &null, line_no, json::syntax_message(&e));
                    return true;
                }
            };
            let Some(id) = value
                .as_object()
                .map(|o| o.get("id").cloned().unwrap_or(Value::Null))
            else {
                let m = "mỗi dòng phải là một đối tượng JSON {…}".to_string();
                write_error(sink, &null, line_no, m);
                return true;
            };
            let m = match json::from_value_vi::<HouseholdLine>(value) {
                Ok(_) => "dữ liệu không hợp lệ".to_string(),
                Err(m) => m,
            };
            write_error(sink, &id, line_no, m);
            return true;
        }
    };
    let id = std::mem::take(&mut household.id);
    if household.floor_area_m2.is_some_and(|a| !a.is_finite()) {
        write_error(
            sink,
            &id,
            line_no,
            "diện tích nhà ở không hợp lệ".to_string(),
        );
        return true;
    }
    let facts = household.into_facts();
    match rules::classify(set, &facts) {
        Ok(c) => {
            let line = ResultLine {
                id: &id,
                rules: &set.id,
                class: c.class.as_str(),
                score_a: c.score_a,
                score_b: c.score_b,
                deprived: c.deprived(),
                explanation: &c.explanation,
            };
            if serde_json::to_writer(&mut *sink, &line).is_err() {
                sink.clear();
                write_error(
                    sink,
                    &id,
                    line_no,
                    "không tạo được kết quả JSON".to_string(),
                );
            }
        }
        Err(e) => write_error(sink, &id, line_no, e.to_string()),
    }
    true
}

fn write_error(sink: &mut Vec<u8>, id: &Value, line_no: u64, message: String) {
    let line = ErrorLine {
        id,
        error: format!("Dòng {line_no}: {message}"),
    };
    // Serializing a Value and a String cannot fail.
    let _ = serde_json::to_writer(sink, &line);
}
