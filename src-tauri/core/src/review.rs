//! Review rounds (đợt rà soát) under QĐ 24/2021/QĐ-TTg: the periodic round (1/9–14/12) and the
//! monthly round (from the 15th), the list of households to review (Phụ lục I), applications
//! (Mẫu 01 / Mẫu 04), the survey of each household (Phiếu A, Phiếu B1 score A, Phiếu B2
//! deprivations) and its classification with the rule set it used, the village meeting (≥ 50 %
//! agreement or back to survey), public posting, complaints and re-checks (phúc tra), the commune
//! decision (Mẫu 02) with certificates (Mẫu 03), the lock after the decision, and what-if re-runs
//! under another rule set. Every write goes through the ledger's write path; the rules themselves
//! are in `rules` (pure). Deliberately absent: printing (that is `reports`).

use crate::error::{Error, FieldError, Result};
use crate::ledger::{new_id, Change, Ledger, OpKind};
use crate::register::{age_on, parse_date};
use crate::rules::{
    self, Area, Class, HouseholdFacts, IndicatorOutcome, MemberFacts, RuleSet, RuleSets,
};
use chrono::{Datelike, NaiveDate, Weekday};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A stable id derived from its parts, shaped like a UUID, so that every laptop that creates
/// "the survey of household H in round R" creates the same row.
pub fn derived_id(kind: &str, a: &str, b: &str) -> String {
    let h = Sha256::digest(format!("{kind}|{a}|{b}").as_bytes());
    let x = hex::encode(&h[..16]);
    format!(
        "{}-{}-8{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Add `n` working days (Monday–Friday) to `start`, counting `start` as the first day when it is a
/// working day: the last day of an `n`-working-day posting that begins on `start`.
pub fn last_working_day(start: NaiveDate, n: u32) -> NaiveDate {
    let mut d = start;
    let mut counted = 0;
    loop {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            counted += 1;
            if counted >= n.max(1) {
                return d;
            }
        }
        d = d.succ_opt().unwrap_or(d);
    }
}

// ---------------------------------------------------------------------------------------------
// Types

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundInput {
    /// "periodic" | "monthly"
    pub kind: String,
    /// "listed" (current poor and near-poor plus applicants) | "full" (every household)
    #[serde(default)]
    pub scope: String,
    pub rules_id: String,
    pub start_date: String,
    #[serde(default)]
    pub reference_date: Option<String>,
    #[serde(default)]
    pub posting_days: Option<u32>,
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundSummary {
    pub id: String,
    pub kind: String,
    pub scope: String,
    pub year: i32,
    pub month: Option<u32>,
    pub title: String,
    pub rules_id: String,
    pub rules_version: u32,
    pub reference_date: String,
    pub start_date: String,
    pub status: String,
    pub locked: bool,
    pub decision_number: Option<String>,
    pub decision_date: Option<String>,
    pub decision_signer: Option<String>,
    pub posting_days: u32,
    pub posting_start: Option<String>,
    pub posting_end: Option<String>,
    /// Legal deadline of the decision (monthly: 15 days after the start; periodic: 14/12).
    pub deadline: String,
    pub households: i64,
    pub surveyed: i64,
    pub poor: i64,
    pub near_poor: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub village_id: String,
    pub date: String,
    pub attendees: i64,
    pub agreed: i64,
    /// Percentage with one decimal, e.g. 72.5.
    pub agreement_pct: f64,
    pub result: String,
    pub chair: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VillageProgress {
    pub village_id: String,
    pub village: String,
    pub total: i64,
    pub surveyed: i64,
    pub resurvey: i64,
    pub poor: i64,
    pub near_poor: i64,
    pub meeting: Option<Meeting>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintRow {
    pub id: String,
    pub household_id: String,
    pub household_code: String,
    pub head_name: String,
    pub date: String,
    pub content: String,
    pub status: String,
    pub recheck_date: Option<String>,
    pub recheck_result: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundDetail {
    pub round: RoundSummary,
    pub villages: Vec<VillageProgress>,
    pub complaints: Vec<ComplaintRow>,
    /// What still prevents the decision, in Vietnamese (empty = the chair may decide).
    pub blockers: Vec<String>,
    pub warnings: Vec<String>,
}

/// One line of the round's household list (Phụ lục I) with its survey state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyRow {
    pub survey_id: String,
    pub household_id: String,
    pub code: String,
    pub head_name: String,
    pub village_id: String,
    pub village: String,
    pub members: i64,
    pub source: String,
    pub status: String,
    pub class: Option<String>,
    pub previous_class: Option<String>,
    pub transition: Option<String>,
    pub score_a: Option<i64>,
    pub score_b: Option<i64>,
    pub explanation: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurveyInput {
    pub round_id: String,
    pub household_id: String,
    #[serde(default)]
    pub phieu_a_ticked: Vec<String>,
    #[serde(default)]
    pub score_a: Option<i64>,
    #[serde(default)]
    pub b1_answers: BTreeMap<String, String>,
    #[serde(default)]
    pub income_per_capita_month: Option<i64>,
    #[serde(default)]
    pub agricultural: bool,
    #[serde(default)]
    pub floor_area_m2: Option<f64>,
    /// The reviewer's explicit answers (indicator id → deprived); absent = use the register.
    #[serde(default)]
    pub deprivations: BTreeMap<String, bool>,
    /// Required for every answer that differs from what the register says.
    #[serde(default)]
    pub override_reasons: BTreeMap<String, String>,
    #[serde(default)]
    pub reviewer: String,
    #[serde(default)]
    pub survey_date: String,
    /// Causes of poverty (nguyên nhân nghèo), ids of [`Ledger::poverty_causes`]; only for a
    /// household classified poor or near-poor.
    #[serde(default)]
    pub poverty_causes: Vec<String>,
}

/// The classification of a survey, as shown on screen and stored with the survey.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyOutcome {
    pub class: String,
    pub class_label: String,
    pub previous_class: Option<String>,
    pub transition: String,
    pub transition_label: String,
    pub score_a: Option<i64>,
    pub score_b: i64,
    pub deprived: Vec<String>,
    pub explanation: String,
    pub rules_id: String,
    pub rules_version: u32,
    pub indicators: Vec<IndicatorOutcome>,
    pub phieu_a_stop: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorInfo {
    pub id: String,
    pub name: String,
    pub dimension: String,
    pub provisional: bool,
}

/// Everything the survey screen needs, in the order of the paper form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyForm {
    pub round: RoundSummary,
    pub household: crate::register::HouseholdDetail,
    pub area: String,
    pub rules_label: String,
    pub score_a_line: Option<i64>,
    pub income_line: i64,
    pub indicators: Vec<IndicatorInfo>,
    /// What the register says for each indicator at the reference date (with reasons).
    pub derived: Vec<IndicatorOutcome>,
    pub phieu_a_items: Vec<crate::rules::ChecklistItem>,
    pub applies_phieu_a: bool,
    pub b1_questions: Vec<crate::rules::B1Question>,
    /// The causes of poverty a poor or near-poor household's survey can record.
    pub poverty_causes: Vec<crate::rules::PovertyCause>,
    pub saved: Option<SurveyInput>,
    pub outcome: Option<SurveyOutcomeStored>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyOutcomeStored {
    pub class: String,
    pub transition: Option<String>,
    pub score_b: Option<i64>,
    pub explanation: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingInput {
    pub round_id: String,
    pub village_id: String,
    pub date: String,
    pub attendees: i64,
    pub agreed: i64,
    #[serde(default)]
    pub chair: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationInput {
    pub round_id: String,
    pub household_id: String,
    /// "mau01" | "mau04"
    pub form: String,
    /// "review" | "average" (Mẫu 01) | "exit_poor" | "exit_near_poor" (Mẫu 04)
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub reason: String,
    pub received_date: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionInput {
    pub round_id: String,
    pub number: String,
    pub date: String,
    #[serde(default)]
    pub signer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRow {
    pub household_id: String,
    pub code: String,
    pub head_name: String,
    pub number: String,
    pub class: String,
    pub issued_date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfRow {
    pub household_id: String,
    pub code: String,
    pub head_name: String,
    pub village: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfVillage {
    pub village: String,
    pub households: i64,
    pub changed: i64,
    pub poor_before: i64,
    pub poor_after: i64,
    pub near_poor_before: i64,
    pub near_poor_after: i64,
    pub unclassifiable: i64,
}

/// A round re-run under another rule set; nothing is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    pub round_id: String,
    pub rules_id: String,
    pub rules_version: u32,
    pub rules_label: String,
    pub households: i64,
    pub changed: Vec<WhatIfRow>,
    pub unclassifiable: Vec<WhatIfRow>,
    pub by_village: Vec<WhatIfVillage>,
}

fn class_label(code: &str) -> String {
    Class::from_code(code)
        .map(|c| c.label().to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn date_field(field: &str, s: &str, what: &str) -> Result<NaiveDate> {
    parse_date(s)
        .ok_or_else(|| Error::field(field, format!("{what} không hợp lệ: nhập ngày/tháng/năm.")))
}

fn json_text(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

// ---------------------------------------------------------------------------------------------
// Rule sets known to this ledger

impl Ledger {
    /// The built-in rule sets plus every rule-set file loaded into this ledger.
    pub fn rule_sets(&self) -> Result<RuleSets> {
        if let Some(sets) = self.cached_rule_sets() {
            return Ok(sets);
        }
        let mut sets = RuleSets::builtin()?;
        let mut stmt = self.conn().prepare(
            "SELECT json FROM ruleset WHERE json IS NOT NULL ORDER BY rules_id, version",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for json in rows {
            sets.load_json(&json?)?;
        }
        self.cache_rule_sets(&sets);
        Ok(sets)
    }

    /// Check a rule-set file and describe what it would change, without loading it.
    pub fn preview_rule_set(
        &self,
        json: &str,
    ) -> Result<(RuleSet, Option<Vec<crate::rules::RuleChange>>)> {
        self.rule_sets()?.preview_update(json)
    }

    /// Load a rule-set file (validated; refused if that id and version exist with other content).
    pub fn load_rule_set(&mut self, json: &str) -> Result<Arc<RuleSet>> {
        let mut sets = self.rule_sets()?;
        let set = sets.load_json(json)?;
        let row = format!("{}@{}", set.id, set.version);
        let exists: bool =
            self.conn()
                .query_row("SELECT count(*) FROM ruleset WHERE id = ?1", [&row], |r| {
                    r.get::<_, i64>(0)
                })?
                > 0;
        if !exists {
            let now = self
                .clock()
                .now()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            self.write(
                "load_rule_set",
                vec![Change::new("ruleset", row, OpKind::Create)
                    .with("rules_id", set.id.clone())
                    .with("version", set.version)
                    .with("json", set.to_json_pretty())
                    .with("loaded_at", now)],
            )?;
        }
        Ok(set)
    }

    fn rules_for(&self, id: &str, version: u32) -> Result<Arc<RuleSet>> {
        self.rule_sets()?.get(id, version).ok_or_else(|| {
            Error::NotFound(format!(
                "Không có chuẩn nghèo {id} phiên bản {version} trong cơ sở dữ liệu."
            ))
        })
    }

    fn commune_area(&self) -> Result<(Area, Option<String>)> {
        let id = self
            .local_identity()?
            .ok_or_else(|| Error::Conflict("Chưa thiết lập đơn vị.".into()))?;
        let (area, region): (Option<String>, Option<String>) = self
            .conn()
            .query_row(
                "SELECT area, b1_region FROM commune WHERE id = ?1",
                [&id.commune_code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((None, None));
        Ok((
            if area.as_deref() == Some("urban") {
                Area::Urban
            } else {
                Area::Rural
            },
            region,
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Rounds

const ROUND_COLUMNS: &str = "r.id, r.kind, coalesce(r.scope, 'listed'), coalesce(r.year, 0), r.month, coalesce(r.title, ''),
    coalesce(r.rules_id, ''), coalesce(r.rules_version, 1), coalesce(r.reference_date, ''), coalesce(r.start_date, ''),
    coalesce(r.status, 'surveying'), r.locked, r.decision_number, r.decision_date, r.decision_signer,
    coalesce(r.posting_days, 3), r.posting_start, r.posting_end,
    (SELECT count(*) FROM survey s WHERE s.round_id = r.id AND s.deleted = 0),
    (SELECT count(*) FROM survey s WHERE s.round_id = r.id AND s.deleted = 0 AND s.status = 'surveyed'),
    (SELECT count(*) FROM survey s WHERE s.round_id = r.id AND s.deleted = 0 AND s.status = 'surveyed' AND s.class = 'poor'),
    (SELECT count(*) FROM survey s WHERE s.round_id = r.id AND s.deleted = 0 AND s.status = 'surveyed' AND s.class = 'near_poor')";

fn row_to_round(r: &rusqlite::Row<'_>) -> rusqlite::Result<RoundSummary> {
    let kind: String = r.get(1)?;
    let start: String = r.get(9)?;
    let year: i32 = r.get(3)?;
    let deadline = match (kind.as_str(), parse_date(&start)) {
        ("monthly", Some(d)) => (d + chrono::Duration::days(15))
            .format("%Y-%m-%d")
            .to_string(),
        _ => format!("{year}-12-14"),
    };
    Ok(RoundSummary {
        id: r.get(0)?,
        kind,
        scope: r.get(2)?,
        year,
        month: r.get(4)?,
        title: r.get(5)?,
        rules_id: r.get(6)?,
        rules_version: r.get(7)?,
        reference_date: r.get(8)?,
        start_date: start,
        status: r.get(10)?,
        locked: r.get::<_, i64>(11)? != 0,
        decision_number: r.get(12)?,
        decision_date: r.get(13)?,
        decision_signer: r.get(14)?,
        posting_days: r.get(15)?,
        posting_start: r.get(16)?,
        posting_end: r.get(17)?,
        deadline,
        households: r.get(18)?,
        surveyed: r.get(19)?,
        poor: r.get(20)?,
        near_poor: r.get(21)?,
    })
}

impl Ledger {
    pub fn rounds(&self) -> Result<Vec<RoundSummary>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {ROUND_COLUMNS} FROM review_round r WHERE r.deleted = 0 ORDER BY r.start_date DESC, r.id DESC"
        ))?;
        let rows = stmt.query_map([], row_to_round)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn round_summary(&self, id: &str) -> Result<RoundSummary> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {ROUND_COLUMNS} FROM review_round r WHERE r.id = ?1 AND r.deleted = 0"
                ),
                [id],
                row_to_round,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound("Không tìm thấy đợt rà soát.".into()))
    }

    /// Open a review round and build its household list (Phụ lục I).
    pub fn create_round(&mut self, input: &RoundInput) -> Result<RoundDetail> {
        let mut errors = Vec::new();
        let mut err = |f: &str, m: String| {
            errors.push(FieldError {
                field: f.into(),
                message: m,
            })
        };
        let kind = input.kind.as_str();
        if !matches!(kind, "periodic" | "monthly") {
            err(
                "kind",
                "Chọn loại đợt: định kỳ hằng năm hoặc thường xuyên hằng tháng.".into(),
            );
        }
        let scope = if input.scope.is_empty() {
            "listed"
        } else {
            input.scope.as_str()
        };
        if !matches!(scope, "listed" | "full") {
            err("scope", "Phạm vi rà soát không hợp lệ.".into());
        }
        let start = parse_date(&input.start_date);
        match start {
            None => err(
                "start_date",
                "Ngày bắt đầu không hợp lệ: nhập ngày/tháng/năm.".into(),
            ),
            Some(d) if kind == "periodic" => {
                let from = NaiveDate::from_ymd_opt(d.year(), 9, 1);
                let to = NaiveDate::from_ymd_opt(d.year(), 12, 14);
                if from.is_some_and(|f| d < f) || to.is_some_and(|t| d > t) {
                    err(
                        "start_date",
                        "Rà soát định kỳ diễn ra từ ngày 01/9 đến ngày 14/12 hằng năm.".into(),
                    );
                }
            }
            Some(d) if d.day() < 15 => err(
                "start_date",
                "Rà soát thường xuyên bắt đầu từ ngày 15 hằng tháng.".into(),
            ),
            Some(_) => {}
        }
        let reference = match input
            .reference_date
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            Some(s) => match parse_date(s) {
                Some(d) => Some(d),
                None => {
                    err("reference_date", "Ngày tham chiếu không hợp lệ.".into());
                    None
                }
            },
            None => start,
        };
        let posting_days = input.posting_days.unwrap_or(3);
        if !(1..=30).contains(&posting_days) {
            err(
                "posting_days",
                "Số ngày niêm yết phải từ 1 đến 30 ngày làm việc.".into(),
            );
        }
        let sets = self.rule_sets()?;
        let rules = sets.latest(&input.rules_id);
        if rules.is_none() {
            err(
                "rules_id",
                format!("Không có chuẩn nghèo “{}”.", input.rules_id),
            );
        }
        if !errors.is_empty() {
            return Err(Error::Fields(errors));
        }
        let (Some(start), Some(reference), Some(rules)) = (start, reference, rules) else {
            return Err(Error::Invalid("Dữ liệu đợt rà soát không hợp lệ.".into()));
        };
        if kind == "periodic"
            && self
                .rounds()?
                .iter()
                .any(|r| r.kind == "periodic" && r.year == start.year())
        {
            return Err(Error::field(
                "start_date",
                format!("Xã đã có đợt rà soát định kỳ năm {}.", start.year()),
            ));
        }
        let mut warnings = Vec::new();
        if !rules.is_valid_on(reference) {
            warnings.push(format!(
                "Chuẩn nghèo {} áp dụng từ {} đến {}; ngày tham chiếu {} nằm ngoài khoảng này.",
                rules.label,
                rules.valid_from.format("%d/%m/%Y"),
                rules.valid_to.format("%d/%m/%Y"),
                reference.format("%d/%m/%Y")
            ));
        }
        // Phụ lục I: current poor and near-poor households (and, later, applicants), or everyone.
        let mut listed: Vec<(String, String)> = Vec::new();
        if kind == "periodic" {
            let mut stmt = self.conn().prepare(
                "SELECT id, coalesce(village_id, '') FROM household WHERE deleted = 0 AND status = 'active' ORDER BY sort_key",
            )?;
            let all = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (h, v) in all {
                let keep = scope == "full"
                    || matches!(
                        self.decided_class(&h)?.as_deref(),
                        Some("poor") | Some("near_poor")
                    );
                if keep {
                    listed.push((h, v));
                }
            }
        }
        let title = input
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| match kind {
                "periodic" => format!("Rà soát định kỳ năm {}", start.year()),
                _ => format!(
                    "Rà soát thường xuyên tháng {}/{}",
                    start.month(),
                    start.year()
                ),
            });
        let round_id = new_id();
        let source = if scope == "full" { "full" } else { "listed" };
        self.transact("create_round", |w| {
            w.apply(
                Change::new("review_round", round_id.clone(), OpKind::Create)
                    .with("commune_code", w.identity().commune_code.clone())
                    .with("kind", kind)
                    .with("scope", scope)
                    .with("year", start.year())
                    .with(
                        "month",
                        if kind == "monthly" {
                            Value::from(start.month())
                        } else {
                            Value::Null
                        },
                    )
                    .with("title", title.clone())
                    .with("rules_id", rules.id.clone())
                    .with("rules_version", rules.version)
                    .with("reference_date", reference.format("%Y-%m-%d").to_string())
                    .with("start_date", start.format("%Y-%m-%d").to_string())
                    .with("posting_days", posting_days)
                    .with("status", "surveying")
                    .with("locked", false),
            )?;
            for (h, v) in &listed {
                w.apply(
                    Change::new("survey", derived_id("survey", &round_id, h), OpKind::Create)
                        .with("round_id", round_id.clone())
                        .with("household_id", h.clone())
                        .with("village_id", v.clone())
                        .with("source", source)
                        .with("status", "pending"),
                )?;
            }
            Ok(())
        })?;
        let mut detail = self.round(&round_id)?;
        detail.warnings.extend(warnings);
        Ok(detail)
    }

    /// A round with progress by village, meetings, complaints and what blocks the decision.
    pub fn round(&self, id: &str) -> Result<RoundDetail> {
        let round = self.round_summary(id)?;
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT v.id, coalesce(v.name, ''),
                    count(s.id),
                    sum(s.status = 'surveyed'), sum(s.status = 'resurvey'),
                    sum(s.status = 'surveyed' AND s.class = 'poor'), sum(s.status = 'surveyed' AND s.class = 'near_poor')
             FROM village v LEFT JOIN survey s ON s.village_id = v.id AND s.round_id = ?1 AND s.deleted = 0
             WHERE v.deleted = 0 GROUP BY v.id ORDER BY v.sort_order, v.name",
        )?;
        let mut villages = stmt
            .query_map([id], |r| {
                Ok(VillageProgress {
                    village_id: r.get(0)?,
                    village: r.get(1)?,
                    total: r.get(2)?,
                    surveyed: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    resurvey: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    poor: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                    near_poor: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                    meeting: None,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for v in &mut villages {
            v.meeting = self.meeting(id, &v.village_id)?;
        }
        let mut stmt = conn.prepare(
            "SELECT c.id, coalesce(c.household_id, ''), coalesce(h.code, ''), coalesce(h.head_name, ''), coalesce(c.date, ''),
                    coalesce(c.content, ''), coalesce(c.status, 'open'), c.recheck_date, c.recheck_result
             FROM complaint c LEFT JOIN household h ON h.id = c.household_id
             WHERE c.round_id = ?1 AND c.deleted = 0 ORDER BY c.date, c.id",
        )?;
        let complaints = stmt
            .query_map([id], |r| {
                Ok(ComplaintRow {
                    id: r.get(0)?,
                    household_id: r.get(1)?,
                    household_code: r.get(2)?,
                    head_name: r.get(3)?,
                    date: r.get(4)?,
                    content: r.get(5)?,
                    status: r.get(6)?,
                    recheck_date: r.get(7)?,
                    recheck_result: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut blockers = Vec::new();
        if !round.locked {
            let pending = round.households - round.surveyed;
            if round.households == 0 {
                blockers.push("Danh sách hộ cần rà soát đang trống.".into());
            }
            if pending > 0 {
                blockers.push(format!(
                    "Còn {pending} hộ chưa rà soát hoặc phải rà soát lại."
                ));
            }
            for v in villages.iter().filter(|v| v.total > 0) {
                match &v.meeting {
                    None => blockers.push(format!("{}: chưa họp dân.", v.village)),
                    Some(m) if m.result != "passed" => blockers.push(format!(
                        "{}: họp dân chưa đạt 50% đồng ý, phải rà soát lại và họp lại.",
                        v.village
                    )),
                    Some(_) => {}
                }
            }
            match &round.posting_end {
                None => blockers.push("Chưa niêm yết công khai kết quả.".into()),
                Some(end) => {
                    if parse_date(end).is_some_and(|e| e >= self.clock().today()) {
                        blockers.push(format!(
                            "Đang niêm yết đến hết ngày {}.",
                            parse_date(end)
                                .map(|d| d.format("%d/%m/%Y").to_string())
                                .unwrap_or_default()
                        ));
                    }
                }
            }
            let open = complaints.iter().filter(|c| c.status != "resolved").count();
            if open > 0 {
                blockers.push(format!("Còn {open} khiếu nại chưa phúc tra xong."));
            }
        }
        let mut warnings = Vec::new();
        if !round.locked && parse_date(&round.deadline).is_some_and(|d| self.clock().today() > d) {
            warnings.push(format!(
                "Đã quá thời hạn ra quyết định ({}).",
                parse_date(&round.deadline)
                    .map(|d| d.format("%d/%m/%Y").to_string())
                    .unwrap_or_default()
            ));
        }
        Ok(RoundDetail {
            round,
            villages,
            complaints,
            blockers,
            warnings,
        })
    }

    fn meeting(&self, round_id: &str, village_id: &str) -> Result<Option<Meeting>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT coalesce(date, ''), coalesce(attendees, 0), coalesce(agreed, 0), coalesce(result, ''), coalesce(chair, ''), coalesce(note, '')
                 FROM village_meeting WHERE id = ?1",
                [derived_id("meeting", round_id, village_id)],
                |r| {
                    let attendees: i64 = r.get(1)?;
                    let agreed: i64 = r.get(2)?;
                    Ok(Meeting {
                        village_id: village_id.to_owned(),
                        date: r.get(0)?,
                        attendees,
                        agreed,
                        agreement_pct: if attendees > 0 { (agreed as f64 * 1000.0 / attendees as f64).round() / 10.0 } else { 0.0 },
                        result: r.get(3)?,
                        chair: r.get(4)?,
                        note: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// The round's household list (Phụ lục I) with survey state, optionally for one village.
    pub fn round_households(
        &self,
        round_id: &str,
        village_id: Option<&str>,
    ) -> Result<Vec<SurveyRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT s.id, coalesce(s.household_id, ''), coalesce(h.code, ''), coalesce(h.head_name, ''), coalesce(s.village_id, ''),
                    coalesce(v.name, ''), coalesce(h.member_count, 0), coalesce(s.source, ''), coalesce(s.status, 'pending'),
                    s.class, s.previous_class, s.transition, s.score_a, s.score_b, s.explanation
             FROM survey s LEFT JOIN household h ON h.id = s.household_id LEFT JOIN village v ON v.id = s.village_id
             WHERE s.round_id = ?1 AND s.deleted = 0 AND (?2 IS NULL OR s.village_id = ?2)
             ORDER BY v.sort_order, h.sort_key, h.code",
        )?;
        let rows = stmt.query_map(params![round_id, village_id], |r| {
            Ok(SurveyRow {
                survey_id: r.get(0)?,
                household_id: r.get(1)?,
                code: r.get(2)?,
                head_name: r.get(3)?,
                village_id: r.get(4)?,
                village: r.get(5)?,
                members: r.get(6)?,
                source: r.get(7)?,
                status: r.get(8)?,
                class: r.get(9)?,
                previous_class: r.get(10)?,
                transition: r.get(11)?,
                score_a: r.get(12)?,
                score_b: r.get(13)?,
                explanation: r.get(14)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn require_open_round(&self, round_id: &str) -> Result<RoundSummary> {
        let r = self.round_summary(round_id)?;
        if r.locked {
            return Err(Error::Conflict(format!(
                "Đợt “{}” đã có quyết định và đã khoá: không sửa được nữa.",
                r.title
            )));
        }
        Ok(r)
    }

    /// Record an application (Mẫu 01 / Mẫu 04) and add the household to the round's list.
    pub fn add_application(&mut self, a: &ApplicationInput) -> Result<RoundDetail> {
        let round = self.require_open_round(&a.round_id)?;
        let hh = self.household(&a.household_id)?;
        let date = date_field("received_date", &a.received_date, "Ngày nhận đơn")?;
        if date > self.clock().today() {
            return Err(Error::field("received_date", "Ngày nhận đơn ở tương lai."));
        }
        let purpose = match (a.form.as_str(), a.purpose.as_str()) {
            ("mau01", "" | "review") => "review",
            ("mau01", "average") => "average",
            ("mau04", "" | "exit_poor") => "exit_poor",
            ("mau04", "exit_near_poor") => "exit_near_poor",
            ("mau01" | "mau04", _) => {
                return Err(Error::field("purpose", "Mục đích đề nghị không hợp lệ."))
            }
            _ => {
                return Err(Error::field(
                    "form",
                    "Chọn loại giấy đề nghị: Mẫu số 01 hoặc Mẫu số 04.",
                ))
            }
        };
        let survey = derived_id("survey", &round.id, &hh.id);
        let in_list: bool = self.conn().query_row(
            "SELECT count(*) FROM survey WHERE id = ?1 AND deleted = 0",
            [&survey],
            |r| r.get::<_, i64>(0),
        )? > 0;
        self.transact("add_application", |w| {
            w.apply(
                Change::new("application", new_id(), OpKind::Create)
                    .with("round_id", round.id.clone())
                    .with("household_id", hh.id.clone())
                    .with("form", a.form.clone())
                    .with("purpose", purpose)
                    .with("reason", a.reason.trim())
                    .with("received_date", date.format("%Y-%m-%d").to_string()),
            )?;
            if !in_list {
                w.apply(
                    Change::new("survey", survey.clone(), OpKind::Create)
                        .with("round_id", round.id.clone())
                        .with("household_id", hh.id.clone())
                        .with("village_id", hh.village_id.clone())
                        .with("source", "applicant")
                        .with("status", "pending"),
                )?;
            }
            Ok(())
        })?;
        self.round(&round.id)
    }

    /// What the register says about the household at the round's reference date.
    fn facts(
        &self,
        round: &RoundSummary,
        household_id: &str,
        input: Option<&SurveyInput>,
    ) -> Result<HouseholdFacts> {
        let (area, _) = self.commune_area()?;
        let reference = parse_date(&round.reference_date).unwrap_or_else(|| self.clock().today());
        let hh = self.household(household_id)?;
        let members = hh
            .members
            .iter()
            .filter(|m| m.status == "present")
            // Someone born after the reference date was not a member at that date.
            .filter(|m| match m.birth_date.as_deref().and_then(parse_date) {
                Some(b) => b <= reference,
                None => m.birth_year.is_none_or(|y| y <= reference.year()),
            })
            .map(|m| member_facts(m, reference))
            .collect();
        let mut facts = HouseholdFacts {
            area,
            reference_date: reference,
            score_a: None,
            income_per_capita_month: None,
            agricultural: false,
            floor_area_m2: None,
            deprivations: BTreeMap::new(),
            override_reasons: BTreeMap::new(),
            members,
        };
        if let Some(i) = input {
            facts.score_a = i.score_a;
            facts.income_per_capita_month = i.income_per_capita_month;
            facts.agricultural = i.agricultural;
            facts.floor_area_m2 = i.floor_area_m2;
            facts.deprivations = i.deprivations.clone();
            facts.override_reasons = i.override_reasons.clone();
        }
        Ok(facts)
    }

    fn saved_survey(
        &self,
        survey_id: &str,
    ) -> Result<Option<(SurveyInput, Option<SurveyOutcomeStored>, String)>> {
        let row = self
            .conn()
            .query_row(
                "SELECT round_id, household_id, phieu_a_ticked, score_a, b1_answers, income_per_capita_month, agricultural,
                        floor_area_m2, deprivations, override_reasons, reviewer, survey_date, status, class, transition, score_b, explanation,
                        poverty_causes
                 FROM survey WHERE id = ?1 AND deleted = 0",
                [survey_id],
                |r| {
                    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str::<Value>(&s).ok());
                    let input = SurveyInput {
                        round_id: r.get(0)?,
                        household_id: r.get(1)?,
                        phieu_a_ticked: parse(r.get(2)?).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
                        score_a: r.get(3)?,
                        b1_answers: parse(r.get(4)?).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
                        income_per_capita_month: r.get(5)?,
                        agricultural: r.get::<_, Option<i64>>(6)?.unwrap_or(0) != 0,
                        floor_area_m2: r.get(7)?,
                        deprivations: parse(r.get(8)?).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
                        override_reasons: parse(r.get(9)?).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
                        reviewer: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
                        survey_date: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
                        poverty_causes: parse(r.get(17)?).and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default(),
                    };
                    let status: String = r.get::<_, Option<String>>(12)?.unwrap_or_else(|| "pending".into());
                    let outcome = r.get::<_, Option<String>>(13)?.map(|class| SurveyOutcomeStored {
                        class,
                        transition: r.get(14).ok().flatten(),
                        score_b: r.get(15).ok().flatten(),
                        explanation: r.get::<_, Option<String>>(16).ok().flatten().unwrap_or_default(),
                    });
                    Ok((input, outcome, status))
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Everything the survey screen shows for one household of a round.
    pub fn survey_form(&self, round_id: &str, household_id: &str) -> Result<SurveyForm> {
        let round = self.round_summary(round_id)?;
        let rules = self.rules_for(&round.rules_id, round.rules_version)?;
        let (area, region) = self.commune_area()?;
        let facts = self.facts(&round, household_id, None)?;
        let derived = rules::derive(&rules, &facts)?;
        let survey_id = derived_id("survey", round_id, household_id);
        let saved = self.saved_survey(&survey_id)?;
        let source: Option<String> = self
            .conn()
            .query_row(
                "SELECT source FROM survey WHERE id = ?1",
                [&survey_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let b1_questions = match (&rules.b1_table, region.as_deref()) {
            (Some(t), Some(r)) if t.variants.iter().any(|v| v.id == r) => t.questions.clone(),
            _ => Vec::new(),
        };
        let (saved_input, outcome) = match saved {
            Some((i, o, status)) if status != "pending" => (Some(i), o),
            _ => (None, None),
        };
        Ok(SurveyForm {
            household: self.household(household_id)?,
            area: area.as_str().to_owned(),
            rules_label: rules.label.clone(),
            score_a_line: rules.score_a_line.map(|l| l.get(area)),
            income_line: rules.income_line.get(area),
            indicators: rules
                .indicators
                .iter()
                .map(|i| IndicatorInfo {
                    id: i.id.clone(),
                    name: i.name.clone(),
                    dimension: i.dimension.clone(),
                    provisional: i.provisional,
                })
                .collect(),
            derived,
            applies_phieu_a: source.as_deref() == Some("applicant") && rules.phieu_a.is_some(),
            phieu_a_items: rules
                .phieu_a
                .as_ref()
                .map(|a| a.items.clone())
                .unwrap_or_default(),
            b1_questions,
            poverty_causes: self.poverty_causes(&round.rules_id)?,
            saved: saved_input,
            outcome,
            round,
        })
    }

    /// Classify a survey without saving it (live result on the survey screen).
    pub fn preview_survey(&self, input: &SurveyInput) -> Result<SurveyOutcome> {
        let round = self.round_summary(&input.round_id)?;
        self.evaluate_survey(&round, input)
    }

    fn evaluate_survey(&self, round: &RoundSummary, input: &SurveyInput) -> Result<SurveyOutcome> {
        let rules = self.rules_for(&round.rules_id, round.rules_version)?;
        let (_, region) = self.commune_area()?;
        let mut input = input.clone();
        if !input.b1_answers.is_empty() {
            let variant = region.clone().unwrap_or_default();
            input.score_a = Some(
                rules
                    .score_a_from_b1(&variant, &input.b1_answers)
                    .map_err(|e| Error::field("b1_answers", e.to_string()))?,
            );
        }
        let facts = self.facts(round, &input.household_id, Some(&input))?;
        // An answer that contradicts the register needs a reason.
        let derived = rules::derive(
            &rules,
            &HouseholdFacts {
                deprivations: BTreeMap::new(),
                override_reasons: BTreeMap::new(),
                ..facts.clone()
            },
        )?;
        let mut errors = Vec::new();
        for (id, value) in &input.deprivations {
            let Some(d) = derived.iter().find(|d| &d.id == id) else {
                errors.push(FieldError {
                    field: format!("deprivations.{id}"),
                    message: format!("Chỉ số “{id}” không có trong chuẩn nghèo {}.", rules.label),
                });
                continue;
            };
            let reason = input
                .override_reasons
                .get(id)
                .map(|s| s.trim())
                .unwrap_or("");
            if d.derived.is_some_and(|x| x != *value) && reason.is_empty() {
                let name = rules
                    .indicator(id)
                    .map(|i| i.name.clone())
                    .unwrap_or_else(|| id.clone());
                errors.push(FieldError {
                    field: format!("deprivations.{id}"),
                    message: format!(
                        "“{name}”: câu trả lời khác với dữ liệu trong sổ ({}). Hãy ghi lý do.",
                        d.derived_reason.clone().unwrap_or_default()
                    ),
                });
            }
        }
        if !errors.is_empty() {
            return Err(Error::Fields(errors));
        }
        let (previous, ever_poor) = self.previous_class(&input.household_id, &round.id)?;
        // Phiếu A: for applicants, a ticked item stops the review.
        let source: Option<String> = self
            .conn()
            .query_row(
                "SELECT source FROM survey WHERE id = ?1",
                [derived_id("survey", &round.id, &input.household_id)],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if source.as_deref() == Some("applicant")
            && rules.phieu_a.is_some()
            && !input.phieu_a_ticked.is_empty()
        {
            let ticked: BTreeSet<String> = input.phieu_a_ticked.iter().cloned().collect();
            if let rules::PhieuAOutcome::Stop { items } = rules
                .phieu_a_outcome(&ticked)
                .map_err(|e| Error::field("phieu_a_ticked", e.to_string()))?
            {
                let labels: Vec<String> = rules
                    .phieu_a
                    .as_ref()
                    .map(|a| {
                        a.items
                            .iter()
                            .filter(|i| items.contains(&i.id))
                            .map(|i| i.label.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                let t = rules::transition(previous, ever_poor, Class::NotPoor);
                return Ok(SurveyOutcome {
                    class: Class::NotPoor.as_str().into(),
                    class_label: Class::NotPoor.label().into(),
                    previous_class: previous.map(|c| c.as_str().to_owned()),
                    transition: t.as_str().into(),
                    transition_label: t.label().into(),
                    score_a: None,
                    score_b: 0,
                    deprived: Vec::new(),
                    explanation: format!(
                        "Dừng rà soát sau Phiếu A: {}; {}",
                        labels.join("; "),
                        rules.citation()
                    ),
                    rules_id: rules.id.clone(),
                    rules_version: rules.version,
                    indicators: Vec::new(),
                    phieu_a_stop: true,
                });
            }
        }
        let c = rules::classify(&rules, &facts).map_err(|e| match e {
            Error::Invalid(m) => Error::field("score_a", m),
            other => other,
        })?;
        let t = rules::transition(previous, ever_poor, c.class);
        Ok(SurveyOutcome {
            class: c.class.as_str().into(),
            class_label: c.class.label().into(),
            previous_class: previous.map(|c| c.as_str().to_owned()),
            transition: t.as_str().into(),
            transition_label: t.label().into(),
            score_a: c.score_a,
            score_b: c.score_b,
            deprived: c.deprived().into_iter().map(str::to_owned).collect(),
            explanation: c.explanation.clone(),
            rules_id: c.rules_id.clone(),
            rules_version: c.rules_version,
            indicators: c.indicators,
            phieu_a_stop: false,
        })
    }

    /// Class in the latest decided round before `round_id`, and whether the household was ever poor.
    fn previous_class(&self, household_id: &str, round_id: &str) -> Result<(Option<Class>, bool)> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT s.class FROM survey s JOIN review_round r ON r.id = s.round_id
             WHERE s.household_id = ?1 AND s.round_id != ?2 AND s.deleted = 0 AND r.deleted = 0 AND r.status = 'decided'
             ORDER BY r.decision_date DESC, r.start_date DESC",
        )?;
        let classes: Vec<Option<String>> = stmt
            .query_map(params![household_id, round_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let previous = classes
            .first()
            .cloned()
            .flatten()
            .and_then(|c| Class::from_code(&c));
        let ever = classes.iter().flatten().any(|c| c == "poor");
        Ok((previous, ever))
    }

    /// Save the survey of one household (Phiếu A/B) and its classification.
    pub fn save_survey(&mut self, input: &SurveyInput) -> Result<SurveyOutcome> {
        let round = self.require_open_round(&input.round_id)?;
        let (change, outcome) = self.survey_change(&round, input)?;
        self.write("save_survey", vec![change])?;
        Ok(outcome)
    }

    /// Save many surveys of one round (data entry in bulk, the demo generator): each is checked
    /// exactly as [`Ledger::save_survey`] checks it, and they are written 500 to a transaction.
    pub fn save_surveys(&mut self, round_id: &str, inputs: &[SurveyInput]) -> Result<usize> {
        let round = self.require_open_round(round_id)?;
        for chunk in inputs.chunks(500) {
            let mut changes = Vec::with_capacity(chunk.len());
            for input in chunk {
                if input.round_id != round.id {
                    return Err(Error::Invalid("Phiếu thuộc đợt rà soát khác.".into()));
                }
                changes.push(self.survey_change(&round, input)?.0);
            }
            self.write("save_surveys", changes)?;
        }
        Ok(inputs.len())
    }

    fn survey_change(
        &self,
        round: &RoundSummary,
        input: &SurveyInput,
    ) -> Result<(Change, SurveyOutcome)> {
        let survey_id = derived_id("survey", &round.id, &input.household_id);
        let Some((before, _, _)) = self.saved_survey(&survey_id)? else {
            return Err(Error::Conflict("Hộ này chưa có trong danh sách rà soát (Phụ lục I) của đợt: hãy thêm đơn đề nghị trước.".into()));
        };
        // Saving writes every field of the survey: it must not settle competing values unseen.
        crate::resolve::refuse_if_open_critical(self.conn(), "survey", &survey_id)?;
        let today = self.clock().today();
        let date = match input.survey_date.trim() {
            "" => today,
            s => date_field("survey_date", s, "Ngày rà soát")?,
        };
        if date > today {
            return Err(Error::field("survey_date", "Ngày rà soát ở tương lai."));
        }
        if input.reviewer.trim().is_empty() {
            return Err(Error::field("reviewer", "Ghi tên người rà soát."));
        }
        if input
            .floor_area_m2
            .is_some_and(|a| !(0.0..=10_000.0).contains(&a))
        {
            return Err(Error::field(
                "floor_area_m2",
                "Diện tích nhà ở không hợp lý.",
            ));
        }
        let outcome = self.evaluate_survey(round, input)?;
        let causes = self.checked_causes(&round.rules_id, &outcome.class, &input.poverty_causes)?;
        let mut c = Change::new("survey", survey_id, OpKind::Update)
            .with("phieu_a_ticked", json_text(&input.phieu_a_ticked))
            .with(
                "phieu_a_result",
                if outcome.phieu_a_stop {
                    "stop"
                } else {
                    "continue"
                },
            )
            .with("score_a", outcome.score_a)
            .with(
                "b1_answers",
                if input.b1_answers.is_empty() {
                    Value::Null
                } else {
                    json_text(&input.b1_answers).into()
                },
            )
            .with("income_per_capita_month", input.income_per_capita_month)
            .with("agricultural", input.agricultural)
            .with("floor_area_m2", input.floor_area_m2)
            .with("deprivations", json_text(&input.deprivations))
            .with("override_reasons", json_text(&input.override_reasons))
            .with("reviewer", input.reviewer.trim())
            .with("survey_date", date.format("%Y-%m-%d").to_string())
            .with("status", "surveyed")
            .with("class", outcome.class.clone())
            .with("previous_class", outcome.previous_class.clone())
            .with("transition", outcome.transition.clone())
            .with("score_b", outcome.score_b)
            .with("deprived", json_text(&outcome.deprived))
            .with("explanation", outcome.explanation.clone())
            .with("rules_id", outcome.rules_id.clone())
            .with("rules_version", outcome.rules_version);
        // Unchanged answers are not rewritten: concurrent edits of other answers merge quietly.
        if before.deprivations == input.deprivations {
            c.set.remove("deprivations");
        }
        if before.override_reasons == input.override_reasons {
            c.set.remove("override_reasons");
        }
        if before.poverty_causes != causes {
            c.put(
                "poverty_causes",
                if causes.is_empty() {
                    Value::Null
                } else {
                    json_text(&causes).into()
                },
            );
        }
        Ok((c, outcome))
    }

    /// The causes of poverty (nguyên nhân nghèo) of rule set `rules_id`: the latest loaded
    /// version's `poverty_causes`, else the application's default list
    /// (`rules/poverty-causes.json`, medium confidence). The latest version is used so that an
    /// office's corrected list applies to the round in progress: causes decide no class.
    pub fn poverty_causes(&self, rules_id: &str) -> Result<Vec<crate::rules::PovertyCause>> {
        if let Some(c) = self
            .rule_sets()?
            .latest(rules_id)
            .and_then(|s| s.poverty_causes.clone())
        {
            return Ok(c);
        }
        Ok(crate::rules::default_poverty_causes()?.causes)
    }

    /// The causes of a survey in catalogue order without repeats; refused when a cause is
    /// unknown or the household is neither poor nor near-poor.
    fn checked_causes(&self, rules_id: &str, class: &str, given: &[String]) -> Result<Vec<String>> {
        if given.is_empty() {
            return Ok(Vec::new());
        }
        if class != "poor" && class != "near_poor" {
            return Err(Error::field(
                "poverty_causes",
                format!(
                    "Chỉ ghi nguyên nhân nghèo cho hộ nghèo, hộ cận nghèo; hộ này được phân loại “{}”: bỏ chọn các nguyên nhân.",
                    label_of_class(class)
                ),
            ));
        }
        let catalogue = self.poverty_causes(rules_id)?;
        if let Some(bad) = given
            .iter()
            .find(|g| !catalogue.iter().any(|c| &c.id == *g))
        {
            return Err(Error::field(
                "poverty_causes",
                format!("Không có nguyên nhân nghèo mã “{bad}” trong danh mục."),
            ));
        }
        Ok(catalogue
            .iter()
            .filter(|c| given.contains(&c.id))
            .map(|c| c.id.clone())
            .collect())
    }

    /// Record the village meeting; under 50 % agreement sends the village back to survey.
    pub fn record_meeting(&mut self, m: &MeetingInput) -> Result<RoundDetail> {
        let round = self.require_open_round(&m.round_id)?;
        let date = date_field("date", &m.date, "Ngày họp")?;
        if date > self.clock().today() {
            return Err(Error::field("date", "Ngày họp ở tương lai."));
        }
        if m.attendees <= 0 {
            return Err(Error::field("attendees", "Số người dự họp phải lớn hơn 0."));
        }
        if m.agreed < 0 || m.agreed > m.attendees {
            return Err(Error::field(
                "agreed",
                "Số người đồng ý phải từ 0 đến số người dự họp.",
            ));
        }
        let rows = self.round_households(&round.id, Some(&m.village_id))?;
        if rows.is_empty() {
            return Err(Error::field(
                "village_id",
                "Thôn/xóm này không có hộ nào trong danh sách rà soát.",
            ));
        }
        let pending = rows.iter().filter(|r| r.status != "surveyed").count();
        if pending > 0 {
            return Err(Error::Conflict(format!(
                "Còn {pending} hộ của thôn/xóm chưa rà soát xong: chưa thể họp dân."
            )));
        }
        let passed = m.agreed * 2 >= m.attendees;
        self.transact("record_meeting", |w| {
            w.apply(
                Change::new(
                    "village_meeting",
                    derived_id("meeting", &round.id, &m.village_id),
                    OpKind::Update,
                )
                .with("round_id", round.id.clone())
                .with("village_id", m.village_id.clone())
                .with("date", date.format("%Y-%m-%d").to_string())
                .with("attendees", m.attendees)
                .with("agreed", m.agreed)
                .with("result", if passed { "passed" } else { "resurvey" })
                .with("chair", m.chair.trim())
                .with("note", m.note.trim()),
            )?;
            if !passed {
                for r in &rows {
                    w.apply(
                        Change::new("survey", r.survey_id.clone(), OpKind::Update)
                            .with("status", "resurvey"),
                    )?;
                }
            }
            Ok(())
        })?;
        self.round(&round.id)
    }

    /// Start the public posting (niêm yết) of the results for the round's posting days.
    pub fn start_posting(&mut self, round_id: &str, start: &str) -> Result<RoundDetail> {
        let round = self.require_open_round(round_id)?;
        let start = date_field("posting_start", start, "Ngày niêm yết")?;
        let detail = self.round(round_id)?;
        let not_ready: Vec<String> = detail
            .villages
            .iter()
            .filter(|v| {
                v.total > 0
                    && v.meeting
                        .as_ref()
                        .map(|m| m.result != "passed")
                        .unwrap_or(true)
            })
            .map(|v| v.village.clone())
            .collect();
        if !not_ready.is_empty() {
            return Err(Error::Conflict(format!(
                "Chưa thể niêm yết: chưa họp dân đạt yêu cầu ở {}.",
                not_ready.join(", ")
            )));
        }
        let end = last_working_day(start, round.posting_days);
        self.write(
            "start_posting",
            vec![
                Change::new("review_round", round.id.clone(), OpKind::Update)
                    .with("posting_start", start.format("%Y-%m-%d").to_string())
                    .with("posting_end", end.format("%Y-%m-%d").to_string())
                    .with("status", "posting"),
            ],
        )?;
        self.round(round_id)
    }

    pub fn add_complaint(
        &mut self,
        round_id: &str,
        household_id: &str,
        date: &str,
        content: &str,
    ) -> Result<RoundDetail> {
        let round = self.require_open_round(round_id)?;
        self.household(household_id)?;
        let d = date_field("date", date, "Ngày khiếu nại")?;
        if content.trim().is_empty() {
            return Err(Error::field("content", "Ghi nội dung khiếu nại."));
        }
        self.write(
            "add_complaint",
            vec![Change::new("complaint", new_id(), OpKind::Create)
                .with("round_id", round.id.clone())
                .with("household_id", household_id)
                .with("date", d.format("%Y-%m-%d").to_string())
                .with("content", content.trim())
                .with("status", "open")],
        )?;
        self.round(round_id)
    }

    /// Close a complaint after the re-check (phúc tra); a changed survey is saved separately.
    pub fn resolve_complaint(
        &mut self,
        complaint_id: &str,
        date: &str,
        result: &str,
    ) -> Result<RoundDetail> {
        let round_id: String = self
            .conn()
            .query_row(
                "SELECT round_id FROM complaint WHERE id = ?1 AND deleted = 0",
                [complaint_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound("Không tìm thấy khiếu nại.".into()))?;
        self.require_open_round(&round_id)?;
        let d = date_field("recheck_date", date, "Ngày phúc tra")?;
        if result.trim().is_empty() {
            return Err(Error::field("recheck_result", "Ghi kết quả phúc tra."));
        }
        self.write(
            "resolve_complaint",
            vec![Change::new("complaint", complaint_id, OpKind::Update)
                .with("status", "resolved")
                .with("recheck_date", d.format("%Y-%m-%d").to_string())
                .with("recheck_result", result.trim())],
        )?;
        self.round(&round_id)
    }

    /// The commune chair's decision (Mẫu 02): certificates (Mẫu 03) for poor and near-poor
    /// households, then the round locks.
    pub fn decide_round(&mut self, d: &DecisionInput) -> Result<RoundDetail> {
        let round = self.require_open_round(&d.round_id)?;
        if d.number.trim().is_empty() {
            return Err(Error::field(
                "number",
                "Ghi số quyết định (ví dụ 125/QĐ-UBND).",
            ));
        }
        let date = date_field("date", &d.date, "Ngày quyết định")?;
        if date > self.clock().today() {
            return Err(Error::field("date", "Ngày quyết định ở tương lai."));
        }
        let detail = self.round(&round.id)?;
        if !detail.blockers.is_empty() {
            return Err(Error::Conflict(format!(
                "Chưa thể ra quyết định: {}",
                detail.blockers.join(" ")
            )));
        }
        if round
            .posting_end
            .as_deref()
            .and_then(parse_date)
            .is_some_and(|e| date <= e)
        {
            return Err(Error::field(
                "date",
                "Ngày quyết định phải sau khi hết thời gian niêm yết.",
            ));
        }
        let rows = self.round_households(&round.id, None)?;
        let year_prefix = format!("{}-", date.year());
        let issued: i64 = self.conn().query_row(
            "SELECT count(*) FROM certificate WHERE substr(issued_date, 1, 5) = ?1",
            [&year_prefix],
            |r| r.get(0),
        )?;
        self.transact("decide_round", |w| {
            let mut n = issued;
            for r in rows
                .iter()
                .filter(|r| matches!(r.class.as_deref(), Some("poor") | Some("near_poor")))
            {
                n += 1;
                w.apply(
                    Change::new(
                        "certificate",
                        derived_id("certificate", &round.id, &r.household_id),
                        OpKind::Create,
                    )
                    .with("round_id", round.id.clone())
                    .with("household_id", r.household_id.clone())
                    .with("number", format!("{n}/GCN-HN.HCN"))
                    .with("class", r.class.clone())
                    .with("issued_date", date.format("%Y-%m-%d").to_string()),
                )?;
            }
            w.apply(
                Change::new("review_round", round.id.clone(), OpKind::Update)
                    .with("decision_number", d.number.trim())
                    .with("decision_date", date.format("%Y-%m-%d").to_string())
                    .with("decision_signer", d.signer.trim())
                    .with("status", "decided")
                    .with("locked", true),
            )?;
            Ok(())
        })?;
        self.round(&round.id)
    }

    pub fn certificates(&self, round_id: &str) -> Result<Vec<CertificateRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT c.household_id, coalesce(h.code, ''), coalesce(h.head_name, ''), coalesce(c.number, ''), coalesce(c.class, ''), coalesce(c.issued_date, '')
             FROM certificate c LEFT JOIN household h ON h.id = c.household_id WHERE c.round_id = ?1
             ORDER BY CAST(c.number AS INTEGER)",
        )?;
        let rows = stmt.query_map([round_id], |r| {
            Ok(CertificateRow {
                household_id: r.get(0)?,
                code: r.get(1)?,
                head_name: r.get(2)?,
                number: r.get(3)?,
                class: r.get(4)?,
                issued_date: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Re-run every surveyed household of a round under another rule set, without writing.
    pub fn what_if(&self, round_id: &str, rules_id: &str) -> Result<WhatIf> {
        let round = self.round_summary(round_id)?;
        let sets = self.rule_sets()?;
        let other = sets
            .latest(rules_id)
            .ok_or_else(|| Error::NotFound(format!("Không có chuẩn nghèo “{rules_id}”.")))?;
        let rows = self.round_households(round_id, None)?;
        let mut changed = Vec::new();
        let mut unclassifiable = Vec::new();
        let mut villages: BTreeMap<String, WhatIfVillage> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.status == "surveyed") {
            let v = villages
                .entry(r.village.clone())
                .or_insert_with(|| WhatIfVillage {
                    village: r.village.clone(),
                    households: 0,
                    changed: 0,
                    poor_before: 0,
                    poor_after: 0,
                    near_poor_before: 0,
                    near_poor_after: 0,
                    unclassifiable: 0,
                });
            v.households += 1;
            match r.class.as_deref() {
                Some("poor") => v.poor_before += 1,
                Some("near_poor") => v.near_poor_before += 1,
                _ => {}
            }
            let Some((input, _, _)) = self.saved_survey(&r.survey_id)? else {
                continue;
            };
            let mut facts = self.facts(&round, &r.household_id, Some(&input))?;
            // Explicit answers about indicators the other set does not have are dropped, and a
            // score A means nothing under a set without a score line: its income test is used.
            facts
                .deprivations
                .retain(|k, _| other.indicator(k).is_some());
            if other.score_a_line.is_none() {
                facts.score_a = None;
            }
            let row = |to: Option<String>, explanation: String| WhatIfRow {
                household_id: r.household_id.clone(),
                code: r.code.clone(),
                head_name: r.head_name.clone(),
                village: r.village.clone(),
                from: r.class.clone(),
                to,
                explanation,
            };
            match rules::classify(&other, &facts) {
                Ok(c) => {
                    match c.class {
                        Class::Poor => v.poor_after += 1,
                        Class::NearPoor => v.near_poor_after += 1,
                        _ => {}
                    }
                    if Some(c.class.as_str()) != r.class.as_deref() {
                        v.changed += 1;
                        changed.push(row(
                            Some(c.class.as_str().to_owned()),
                            c.explanation.clone(),
                        ));
                    }
                }
                Err(e) => {
                    v.unclassifiable += 1;
                    unclassifiable.push(row(None, e.to_string()));
                }
            }
        }
        Ok(WhatIf {
            round_id: round.id,
            rules_id: other.id.clone(),
            rules_version: other.version,
            rules_label: other.label.clone(),
            households: rows.iter().filter(|r| r.status == "surveyed").count() as i64,
            changed,
            unclassifiable,
            by_village: villages.into_values().collect(),
        })
    }

    /// The class decided for the household in its latest decided round, if any.
    pub fn decided_class(&self, household_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT s.class FROM survey s JOIN review_round r ON r.id = s.round_id
                 WHERE s.household_id = ?1 AND s.deleted = 0 AND r.deleted = 0 AND r.status = 'decided' AND s.status = 'surveyed'
                 ORDER BY r.decision_date DESC, r.start_date DESC LIMIT 1",
            )?
            .query_row([household_id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }
}

/// A member's facts at the reference date, in the terms of the rules engine.
pub fn member_facts(m: &crate::register::Member, reference: NaiveDate) -> MemberFacts {
    let birth = m.birth_date.as_deref().and_then(parse_date);
    let age = birth
        .map(|b| age_on(b, reference))
        .or_else(|| m.birth_year.map(|y| reference.year() - y));
    let level = m.education_level.as_deref();
    let rank = |l: &str| match l {
        "none" => 0,
        "primary" => 1,
        "lower_secondary" => 2,
        "upper_secondary" => 3,
        _ => 4, // vocational, college, university
    };
    let education_met = match (age, level) {
        (Some(a), _) if !(16..=30).contains(&a) => None,
        (Some(_), _) if m.attending_school == Some(true) => Some(true),
        (Some(a), Some(l)) if a < 18 => Some(rank(l) >= 2),
        (Some(_), Some(l)) => Some(rank(l) >= 3),
        _ => None,
    };
    let work = m.work_status.as_deref();
    MemberFacts {
        name: Some(m.full_name.clone()),
        birth_date: birth,
        birth_year: m.birth_year,
        health_insurance: m.health_insurance,
        attending_school: m.attending_school,
        malnourished: m.nutrition_status.as_deref().map(|n| n != "normal"),
        unemployed: work.map(|w| w == "unemployed"),
        wage_without_contract: match (work, m.labour_contract) {
            (Some("wage"), Some(c)) => Some(!c),
            (Some(_), _) => Some(false),
            _ => None,
        },
        education_met,
        social_allowance: m.social_allowance,
    }
}

/// Vietnamese label of a class code, for lists and the UI.
pub fn label_of_class(code: &str) -> String {
    class_label(code)
}
