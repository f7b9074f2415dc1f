//! The pure classification engine: household facts (hộ gia đình) → indicator flags with reasons →
//! class (hộ nghèo, hộ cận nghèo, mức sống trung bình, không nghèo) → Vietnamese explanation, and
//! the transition against the previous round. No I/O, no clock, no storage: callers pass the
//! reference date and read/write the ledger themselves.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::format::{dong, number};
use super::set::{Area, Derivation, Indicator, MemberField, RuleSet};
use crate::error::{Error, Result};

/// What the engine needs to know about a household, independent of how the ledger stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdFacts {
    pub area: Area,
    /// The round's reference date: ages are full years at this date ("từ đủ N tuổi").
    pub reference_date: NaiveDate,
    /// Điểm A typed from Phiếu B1 (or computed from a B1 table).
    #[serde(default)]
    pub score_a: Option<i64>,
    /// Measured income per person per month, integer đồng.
    #[serde(default)]
    pub income_per_capita_month: Option<i64>,
    /// Farming, forestry, fishery or salt household (may be "mức sống trung bình").
    #[serde(default)]
    pub agricultural: bool,
    #[serde(default)]
    pub floor_area_m2: Option<f64>,
    /// Explicit answers of the reviewer (indicator id → deprived); they override derivation.
    #[serde(default)]
    pub deprivations: BTreeMap<String, bool>,
    /// Optional reason recorded with an explicit answer (indicator id → text).
    #[serde(default)]
    pub override_reasons: BTreeMap<String, String>,
    #[serde(default)]
    pub members: Vec<MemberFacts>,
}

impl HouseholdFacts {
    /// A copy without explicit answers for indicators `rules` does not know (e.g. to re-run a
    /// 2022-2025 survey under 2027-2030 in a what-if, where `information_access` is gone).
    /// `classify` itself refuses unknown indicator ids.
    pub fn restricted_to(&self, rules: &RuleSet) -> HouseholdFacts {
        let mut f = self.clone();
        f.deprivations.retain(|id, _| rules.indicator(id).is_some());
        f.override_reasons
            .retain(|id, _| rules.indicator(id).is_some());
        f
    }
}

/// What the engine needs to know about one member (thành viên); missing facts derive nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberFacts {
    /// Used only to word reasons ("Nguyễn Văn A (7 tuổi) không có bảo hiểm y tế").
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// Used when only the year of birth is known; an age test that depends on the unknown
    /// birthday derives nothing.
    #[serde(default)]
    pub birth_year: Option<i32>,
    #[serde(default)]
    pub health_insurance: Option<bool>,
    #[serde(default)]
    pub attending_school: Option<bool>,
    #[serde(default)]
    pub malnourished: Option<bool>,
    #[serde(default)]
    pub unemployed: Option<bool>,
    #[serde(default)]
    pub wage_without_contract: Option<bool>,
    #[serde(default)]
    pub education_met: Option<bool>,
    #[serde(default)]
    pub social_allowance: Option<bool>,
}

impl MemberFacts {
    pub fn flag(&self, field: MemberField) -> Option<bool> {
        match field {
            MemberField::HealthInsurance => self.health_insurance,
            MemberField::AttendingSchool => self.attending_school,
            MemberField::Malnourished => self.malnourished,
            MemberField::Unemployed => self.unemployed,
            MemberField::WageWithoutContract => self.wage_without_contract,
            MemberField::EducationMet => self.education_met,
            MemberField::SocialAllowance => self.social_allowance,
        }
    }
}

/// Full years between `birth` and `at` ("từ đủ N tuổi": the N-th birthday counts on the day).
/// A 29 February birthday is reached on 1 March in common years. `None` if born after `at`.
pub fn age_in_full_years(birth: NaiveDate, at: NaiveDate) -> Option<u32> {
    if birth > at {
        return None;
    }
    let mut years = at.year() - birth.year();
    if (at.month(), at.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// What is known of a member's age at the reference date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Age {
    Exact(u32),
    /// Only the birth year is known: the age is one of `lo..=hi`.
    Between(u32, u32),
    Unknown,
}

impl Age {
    /// Whether the age is within `min ..< below`; `None` when it cannot be decided.
    fn within(self, min: Option<u32>, below: Option<u32>) -> Option<bool> {
        let test = |a: u32| min.is_none_or(|m| a >= m) && below.is_none_or(|b| a < b);
        match self {
            Age::Exact(a) => Some(test(a)),
            Age::Between(lo, hi) => {
                let (x, y) = (test(lo), test(hi));
                // Bounds are an interval, so testing both ends decides every age between.
                if x == y {
                    Some(x)
                } else {
                    None
                }
            }
            Age::Unknown => {
                if min.is_none() && below.is_none() {
                    Some(true)
                } else {
                    None
                }
            }
        }
    }

    fn text(self, m: &MemberFacts) -> String {
        match self {
            Age::Exact(a) => format!("{a} tuổi"),
            Age::Between(..) => format!("sinh năm {}", m.birth_year.unwrap_or_default()),
            Age::Unknown => "chưa rõ tuổi".to_string(),
        }
    }
}

fn member_age(m: &MemberFacts, index: usize, at: NaiveDate) -> Result<Age> {
    if let Some(b) = m.birth_date {
        return match age_in_full_years(b, at) {
            Some(a) if a <= 150 => Ok(Age::Exact(a)),
            Some(_) => Err(Error::Invalid(format!(
                "{} có ngày sinh {} hơn 150 năm trước ngày rà soát.",
                member_label_cap(m, index),
                b.format("%d/%m/%Y")
            ))),
            None => Err(Error::Invalid(format!(
                "{} có ngày sinh {} sau ngày rà soát {}.",
                member_label_cap(m, index),
                b.format("%d/%m/%Y"),
                at.format("%d/%m/%Y")
            ))),
        };
    }
    if let Some(y) = m.birth_year {
        let diff = at.year() - y;
        if diff < 0 {
            return Err(Error::Invalid(format!(
                "{} có năm sinh {y} sau năm rà soát {}.",
                member_label_cap(m, index),
                at.year()
            )));
        }
        if diff > 150 {
            return Err(Error::Invalid(format!(
                "{} có năm sinh {y} hơn 150 năm trước ngày rà soát.",
                member_label_cap(m, index)
            )));
        }
        let hi = diff as u32;
        return Ok(Age::Between(hi.saturating_sub(1), hi));
    }
    Ok(Age::Unknown)
}

fn member_label(m: &MemberFacts, index: usize) -> String {
    match m.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => format!("thành viên thứ {}", index + 1),
    }
}

fn member_label_cap(m: &MemberFacts, index: usize) -> String {
    let s = member_label(m, index);
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

/// Where an indicator's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The reviewer answered explicitly (overrides derivation).
    Override,
    /// Derived from the register.
    Derived,
    /// Neither given nor derivable: counted as not deprived.
    NotDetermined,
}

/// One indicator's value for a household, with the reason (lý do) when it can be explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorOutcome {
    pub id: String,
    pub deprived: bool,
    pub source: Source,
    /// Vietnamese reason for the value (always present when deprived).
    pub reason: Option<String>,
    /// What derivation alone said (`None` = not derivable from the facts).
    pub derived: Option<bool>,
    pub derived_reason: Option<String>,
}

enum Fire {
    Yes(String),
    No,
    Unknown,
}

fn eval_rule(rule: &Derivation, facts: &HouseholdFacts, ages: &[Age]) -> Fire {
    match rule {
        Derivation::MemberFlag {
            field,
            deprived_when,
            min_age,
            below_age,
        } => {
            let mut unknown = false;
            for (i, (m, age)) in facts.members.iter().zip(ages).enumerate() {
                match m.flag(*field) {
                    // The member's value cannot make the household deprived, whatever the age.
                    Some(v) if v != *deprived_when => {}
                    Some(v) => match age.within(*min_age, *below_age) {
                        Some(true) => {
                            return Fire::Yes(format!(
                                "{} ({}) {}",
                                member_label_cap(m, i),
                                age.text(m),
                                field.describe(v)
                            ));
                        }
                        Some(false) => {}
                        None => unknown = true,
                    },
                    None => {
                        if age.within(*min_age, *below_age) != Some(false) {
                            unknown = true;
                        }
                    }
                }
            }
            if unknown || facts.members.is_empty() {
                Fire::Unknown
            } else {
                Fire::No
            }
        }
        Derivation::FloorAreaPerPerson { below_m2 } => {
            let n = facts.members.len();
            match facts.floor_area_m2 {
                Some(area) if n > 0 => {
                    let per = area / n as f64;
                    if per < *below_m2 {
                        Fire::Yes(format!(
                            "diện tích nhà ở {} m² cho {n} người, bình quân {} m²/người < {} m²",
                            number(area),
                            number_fine(per),
                            number(*below_m2)
                        ))
                    } else {
                        Fire::No
                    }
                }
                _ => Fire::Unknown,
            }
        }
        Derivation::DependantShare {
            child_below_age,
            more_than_percent,
        } => {
            if facts.members.is_empty() {
                return Fire::Unknown;
            }
            let mut dependants = 0usize;
            for (m, age) in facts.members.iter().zip(ages) {
                let child = age.within(None, Some(*child_below_age));
                // The allowance must be recorded for every member (children included): a
                // household whose allowance status was never asked derives nothing.
                match (child, m.social_allowance) {
                    (_, None) | (None, Some(false)) => return Fire::Unknown,
                    (Some(true), Some(_)) | (_, Some(true)) => dependants += 1,
                    (Some(false), Some(false)) => {}
                }
            }
            let total = facts.members.len();
            if dependants * 100 > *more_than_percent as usize * total {
                Fire::Yes(format!(
                    "{dependants}/{total} thành viên là người phụ thuộc (trẻ em dưới {child_below_age} tuổi hoặc người hưởng trợ cấp xã hội hằng tháng), trên {more_than_percent}%"
                ))
            } else {
                Fire::No
            }
        }
    }
}

/// Two decimals when needed so "7,99 m²/người < 8 m²" never reads "8 < 8".
fn number_fine(x: f64) -> String {
    let one = number(x);
    if (x * 10.0).round() / 10.0 == x {
        one
    } else {
        let hundredths = (x * 100.0).floor() as i64;
        format!(
            "{},{:02}",
            super::format::thousands(hundredths / 100),
            (hundredths % 100).abs()
        )
    }
}

fn derive_one(
    ind: &Indicator,
    facts: &HouseholdFacts,
    ages: &[Age],
) -> (Option<bool>, Option<String>) {
    if ind.derivation.is_empty() {
        return (None, None);
    }
    let mut all_no = true;
    for rule in &ind.derivation {
        match eval_rule(rule, facts, ages) {
            Fire::Yes(r) => return (Some(true), Some(r)),
            Fire::No => {}
            Fire::Unknown => all_no = false,
        }
    }
    if all_no {
        (Some(false), None)
    } else {
        (None, None)
    }
}

/// Checks the facts against the rule set (unknown indicator ids, negative amounts, birthdays
/// after the reference date) and derives every indicator of the catalogue, in catalogue order.
pub fn derive(rules: &RuleSet, facts: &HouseholdFacts) -> Result<Vec<IndicatorOutcome>> {
    for id in facts
        .deprivations
        .keys()
        .chain(facts.override_reasons.keys())
    {
        if rules.indicator(id).is_none() {
            let known: Vec<&str> = rules.indicators.iter().map(|i| i.id.as_str()).collect();
            return Err(Error::Invalid(format!(
                "Chỉ số «{id}» không có trong chuẩn nghèo {}. Các chỉ số: {}.",
                rules.label,
                known.join(", ")
            )));
        }
    }
    if let Some(a) = facts.floor_area_m2 {
        if !a.is_finite() || a < 0.0 {
            return Err(Error::Invalid(
                "Diện tích nhà ở phải là số không âm (m²).".to_string(),
            ));
        }
    }
    let ages = facts
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| member_age(m, i, facts.reference_date))
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(rules.indicators.len());
    for ind in &rules.indicators {
        let (derived, derived_reason) = derive_one(ind, facts, &ages);
        let outcome = match facts.deprivations.get(&ind.id) {
            Some(&v) => {
                let base = if v {
                    "người rà soát xác định hộ thiếu hụt"
                } else {
                    "người rà soát xác định hộ không thiếu hụt"
                };
                let mut reason = match facts.override_reasons.get(&ind.id).map(|s| s.trim()) {
                    Some(r) if !r.is_empty() => format!("{base}: {r}"),
                    _ => base.to_string(),
                };
                if derived.is_some_and(|d| d != v) {
                    let said = derived_reason
                        .clone()
                        .unwrap_or_else(|| "không thiếu hụt".to_string());
                    reason.push_str(&format!(" (dữ liệu hộ cho thấy: {said})"));
                }
                IndicatorOutcome {
                    id: ind.id.clone(),
                    deprived: v,
                    source: Source::Override,
                    reason: Some(reason),
                    derived,
                    derived_reason,
                }
            }
            None => match derived {
                Some(d) => IndicatorOutcome {
                    id: ind.id.clone(),
                    deprived: d,
                    source: Source::Derived,
                    reason: derived_reason.clone(),
                    derived,
                    derived_reason,
                },
                None => IndicatorOutcome {
                    id: ind.id.clone(),
                    deprived: false,
                    source: Source::NotDetermined,
                    reason: None,
                    derived: None,
                    derived_reason: None,
                },
            },
        };
        out.push(outcome);
    }
    Ok(out)
}

/// A household's class (phân loại hộ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Hộ nghèo.
    Poor,
    /// Hộ cận nghèo.
    NearPoor,
    /// Hộ làm nông, lâm, ngư, diêm nghiệp có mức sống trung bình.
    Average,
    /// Not poor nor near-poor (vượt chuẩn cận nghèo).
    NotPoor,
}

impl Class {
    /// Stable code: "poor", "near_poor", "average", "not_poor".
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Poor => "poor",
            Class::NearPoor => "near_poor",
            Class::Average => "average",
            Class::NotPoor => "not_poor",
        }
    }
    pub fn from_code(code: &str) -> Option<Class> {
        match code {
            "poor" => Some(Class::Poor),
            "near_poor" => Some(Class::NearPoor),
            "average" => Some(Class::Average),
            "not_poor" => Some(Class::NotPoor),
            _ => None,
        }
    }
    /// Vietnamese label.
    pub fn label(self) -> &'static str {
        match self {
            Class::Poor => "Hộ nghèo",
            Class::NearPoor => "Hộ cận nghèo",
            Class::Average => "Hộ có mức sống trung bình",
            Class::NotPoor => "Không thuộc hộ nghèo, hộ cận nghèo",
        }
    }
    /// Rank for monotonicity: poor (0) is the worst off.
    pub fn severity_rank(self) -> u8 {
        match self {
            Class::Poor => 0,
            Class::NearPoor => 1,
            Class::Average => 2,
            Class::NotPoor => 3,
        }
    }
}

/// Which income test decided "within the line".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncomeTest {
    /// Điểm A against the score line (≤ line = within).
    ScoreA { score: i64, line: i64 },
    /// Measured income per person per month against the income line (≤ line = within).
    Income { amount: i64, line: i64 },
}

/// The full result, with everything needed to store and explain it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub rules_id: String,
    pub rules_version: u32,
    pub class: Class,
    pub area: Area,
    pub income_test: IncomeTest,
    /// True when the household is at or under the line (poor or near-poor).
    pub within_line: bool,
    pub score_a: Option<i64>,
    pub income_per_capita_month: Option<i64>,
    pub score_b: i64,
    pub poor_min_score_b: i64,
    /// Every indicator of the catalogue, in order.
    pub indicators: Vec<IndicatorOutcome>,
    /// One Vietnamese sentence.
    pub explanation: String,
}

impl Classification {
    /// Ids of the deprived indicators, in catalogue order.
    pub fn deprived(&self) -> Vec<&str> {
        self.indicators
            .iter()
            .filter(|i| i.deprived)
            .map(|i| i.id.as_str())
            .collect()
    }

    /// One Vietnamese line per indicator that has a reason (every deprived one, and explicit
    /// answers), e.g. "Bảo hiểm y tế: thiếu hụt — Thành viên thứ 2 (7 tuổi) không có bảo hiểm
    /// y tế". For the "why" panel under the explanation.
    pub fn reasons(&self, rules: &RuleSet) -> Vec<String> {
        self.indicators
            .iter()
            .filter_map(|i| {
                let reason = i.reason.as_deref()?;
                let name = rules
                    .indicator(&i.id)
                    .map(|x| x.name.as_str())
                    .unwrap_or(&i.id);
                let state = if i.deprived {
                    "thiếu hụt"
                } else {
                    "không thiếu hụt"
                };
                Some(format!("{name}: {state} — {reason}"))
            })
            .collect()
    }
}

/// Classifies a household under a rule set.
///
/// Income test: `score_a` against the score line when given (an error if the set has none);
/// otherwise `income_per_capita_month` against the income line; neither is an error.
pub fn classify(rules: &RuleSet, facts: &HouseholdFacts) -> Result<Classification> {
    if facts.score_a.is_some_and(|s| s < 0) {
        return Err(Error::Invalid("Điểm A không được âm.".to_string()));
    }
    if facts.income_per_capita_month.is_some_and(|s| s < 0) {
        return Err(Error::Invalid(
            "Thu nhập bình quân đầu người không được âm.".to_string(),
        ));
    }
    let income_test = match (facts.score_a, rules.score_a_line) {
        (Some(score), Some(lines)) => IncomeTest::ScoreA { score, line: lines.get(facts.area) },
        (Some(_), None) => {
            return Err(Error::Invalid(format!(
                "Chuẩn nghèo {} chưa có ngưỡng điểm A; hãy dùng thu nhập bình quân đầu người (income_per_capita_month) thay cho điểm A.",
                rules.label
            )))
        }
        (None, _) => match facts.income_per_capita_month {
            Some(amount) => IncomeTest::Income { amount, line: rules.income_line.get(facts.area) },
            None => {
                return Err(Error::Invalid(if rules.score_a_line.is_some() {
                    "Thiếu cả điểm A (score_a) và thu nhập bình quân đầu người (income_per_capita_month); cần một trong hai để phân loại.".to_string()
                } else {
                    format!(
                        "Thiếu thu nhập bình quân đầu người (income_per_capita_month); chuẩn nghèo {} phân loại theo thu nhập.",
                        rules.label
                    )
                }))
            }
        },
    };
    let indicators = derive(rules, facts)?;
    let deprived_count = indicators.iter().filter(|i| i.deprived).count() as i64;
    let score_b = deprived_count * rules.points_per_indicator;
    let within_line = match income_test {
        IncomeTest::ScoreA { score, line } => score <= line,
        IncomeTest::Income { amount, line } => amount <= line,
    };
    let band = rules.average_band.map(|b| b.get(facts.area));
    let class = if within_line {
        if score_b >= rules.poor_min_score_b {
            Class::Poor
        } else {
            Class::NearPoor
        }
    } else if facts.agricultural
        && matches!((band, facts.income_per_capita_month), (Some(b), Some(i)) if b.contains(i))
    {
        Class::Average
    } else {
        Class::NotPoor
    };
    let mut c = Classification {
        rules_id: rules.id.clone(),
        rules_version: rules.version,
        class,
        area: facts.area,
        income_test,
        within_line,
        score_a: facts.score_a,
        income_per_capita_month: facts.income_per_capita_month,
        score_b,
        poor_min_score_b: rules.poor_min_score_b,
        indicators,
        explanation: String::new(),
    };
    c.explanation = explain(rules, &c);
    Ok(c)
}

/// The Vietnamese one-line explanation of a classification, e.g. "Hộ nghèo — điểm A 120 ≤ 140
/// (nông thôn); thiếu hụt 4/12 chỉ số (điểm B 40 ≥ 30): bảo hiểm y tế, …; chuẩn nghèo 2022–2025
/// (Nghị định 07/2021/NĐ-CP)".
pub fn explain(rules: &RuleSet, c: &Classification) -> String {
    let area = c.area.label();
    let mut parts: Vec<String> = Vec::with_capacity(4);
    parts.push(match c.income_test {
        IncomeTest::ScoreA { score, line } => {
            let op = if score <= line { "≤" } else { ">" };
            format!("điểm A {score} {op} {line} ({area})")
        }
        IncomeTest::Income { amount, line } => {
            let op = if amount <= line { "≤" } else { ">" };
            format!(
                "thu nhập bình quân {}/người/tháng {op} {} ({area})",
                dong(amount),
                dong(line)
            )
        }
    });
    if c.class == Class::Average {
        if let (Some(band), Some(income)) = (rules.average_band, c.income_per_capita_month) {
            let b = band.get(c.area);
            let lead = if matches!(c.income_test, IncomeTest::ScoreA { .. }) {
                format!("thu nhập bình quân {}/người/tháng", dong(income))
            } else {
                "thu nhập".to_string()
            };
            parts.push(format!(
                "{lead} trong khoảng mức sống trung bình trên {} đến {} ({area}), hộ làm nông, lâm, ngư, diêm nghiệp",
                super::format::thousands(b.above),
                dong(b.up_to)
            ));
        }
    }
    let n = c.indicators.len();
    let names: Vec<String> = c
        .indicators
        .iter()
        .filter(|i| i.deprived)
        .map(|i| {
            lower_first(
                rules
                    .indicator(&i.id)
                    .map(|x| x.name.as_str())
                    .unwrap_or(&i.id),
            )
        })
        .collect();
    let k = names.len();
    let b = if c.within_line {
        let op = if c.score_b >= c.poor_min_score_b {
            "≥"
        } else {
            "<"
        };
        format!("điểm B {} {op} {}", c.score_b, c.poor_min_score_b)
    } else {
        format!("điểm B {}", c.score_b)
    };
    if k == 0 {
        parts.push(format!("không thiếu hụt chỉ số nào (0/{n}, {b})"));
    } else {
        parts.push(format!(
            "thiếu hụt {k}/{n} chỉ số ({b}): {}",
            names.join(", ")
        ));
    }
    parts.push(rules.citation());
    format!("{} — {}", c.class.label(), parts.join("; "))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The change of a household's class against its previous round (diễn biến).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// Hộ nghèo phát sinh mới: poor, not poor or near-poor before, never poor before.
    NewPoor,
    /// Hộ tái nghèo: poor again after having escaped poverty.
    RePoor,
    /// Still poor.
    RemainsPoor,
    /// Hộ cận nghèo chuyển thành hộ nghèo.
    NearPoorToPoor,
    /// Hộ nghèo chuyển thành hộ cận nghèo (counts as thoát nghèo).
    PoorToNearPoor,
    /// Hộ thoát nghèo: poor → above the near-poor line (not poor or average).
    EscapedPoverty,
    /// Still near-poor.
    RemainsNearPoor,
    /// Hộ cận nghèo phát sinh mới.
    NewNearPoor,
    /// Hộ thoát cận nghèo: near-poor → above the line.
    EscapedNearPoverty,
    /// Neither before nor now (not poor or average both times).
    RemainsOutside,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::NewPoor => "new_poor",
            Transition::RePoor => "re_poor",
            Transition::RemainsPoor => "remains_poor",
            Transition::NearPoorToPoor => "near_poor_to_poor",
            Transition::PoorToNearPoor => "poor_to_near_poor",
            Transition::EscapedPoverty => "escaped_poverty",
            Transition::RemainsNearPoor => "remains_near_poor",
            Transition::NewNearPoor => "new_near_poor",
            Transition::EscapedNearPoverty => "escaped_near_poverty",
            Transition::RemainsOutside => "remains_outside",
        }
    }
    /// Vietnamese label.
    pub fn label(self) -> &'static str {
        match self {
            Transition::NewPoor => "Hộ nghèo phát sinh mới",
            Transition::RePoor => "Hộ tái nghèo",
            Transition::RemainsPoor => "Vẫn là hộ nghèo",
            Transition::NearPoorToPoor => "Hộ cận nghèo chuyển thành hộ nghèo",
            Transition::PoorToNearPoor => "Thoát nghèo, chuyển thành hộ cận nghèo",
            Transition::EscapedPoverty => "Thoát nghèo (vượt chuẩn cận nghèo)",
            Transition::RemainsNearPoor => "Vẫn là hộ cận nghèo",
            Transition::NewNearPoor => "Hộ cận nghèo phát sinh mới",
            Transition::EscapedNearPoverty => "Thoát cận nghèo",
            Transition::RemainsOutside => "Không thuộc diện hộ nghèo, hộ cận nghèo",
        }
    }
    /// Counts in the "hộ thoát nghèo" list of the commune decision (Mẫu 02).
    pub fn escapes_poverty(self) -> bool {
        matches!(
            self,
            Transition::PoorToNearPoor | Transition::EscapedPoverty
        )
    }
}

/// The transition from the previous round's class (`None` = not classified before) to `current`.
/// `ever_poor_before` tells apart re-poor (tái nghèo) from new poor when the household was not
/// poor in the previous round.
pub fn transition(previous: Option<Class>, ever_poor_before: bool, current: Class) -> Transition {
    use Class::*;
    let prev = previous.unwrap_or(NotPoor);
    match (prev, current) {
        (Poor, Poor) => Transition::RemainsPoor,
        (Poor, NearPoor) => Transition::PoorToNearPoor,
        (Poor, Average | NotPoor) => Transition::EscapedPoverty,
        (NearPoor, Poor) => Transition::NearPoorToPoor,
        (NearPoor, NearPoor) => Transition::RemainsNearPoor,
        (NearPoor, Average | NotPoor) => Transition::EscapedNearPoverty,
        (Average | NotPoor, Poor) => {
            if ever_poor_before {
                Transition::RePoor
            } else {
                Transition::NewPoor
            }
        }
        (Average | NotPoor, NearPoor) => Transition::NewNearPoor,
        (Average | NotPoor, Average | NotPoor) => Transition::RemainsOutside,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn age_counts_the_birthday_itself() {
        assert_eq!(age_in_full_years(d(2020, 9, 1), d(2026, 9, 1)), Some(6));
        assert_eq!(age_in_full_years(d(2020, 9, 2), d(2026, 9, 1)), Some(5));
        assert_eq!(age_in_full_years(d(2024, 2, 29), d(2025, 2, 28)), Some(0));
        assert_eq!(age_in_full_years(d(2024, 2, 29), d(2025, 3, 1)), Some(1));
        assert_eq!(age_in_full_years(d(2026, 9, 2), d(2026, 9, 1)), None);
    }

    #[test]
    fn birth_year_only_decides_when_both_possible_ages_agree() {
        assert_eq!(Age::Between(9, 10).within(Some(6), None), Some(true));
        assert_eq!(Age::Between(5, 6).within(Some(6), None), None);
        assert_eq!(Age::Between(3, 4).within(Some(6), None), Some(false));
        assert_eq!(Age::Unknown.within(Some(6), None), None);
    }

    #[test]
    fn transitions_cover_every_pair() {
        use Class::*;
        assert_eq!(transition(None, false, Poor), Transition::NewPoor);
        assert_eq!(transition(Some(NotPoor), true, Poor), Transition::RePoor);
        assert_eq!(transition(Some(Average), true, Poor), Transition::RePoor);
        assert_eq!(
            transition(Some(NearPoor), true, Poor),
            Transition::NearPoorToPoor
        );
        assert_eq!(
            transition(Some(Poor), false, NearPoor),
            Transition::PoorToNearPoor
        );
        assert_eq!(
            transition(Some(Poor), false, Average),
            Transition::EscapedPoverty
        );
        assert_eq!(
            transition(Some(NearPoor), false, NotPoor),
            Transition::EscapedNearPoverty
        );
        assert_eq!(transition(None, false, NearPoor), Transition::NewNearPoor);
        assert_eq!(transition(Some(Poor), true, Poor), Transition::RemainsPoor);
        assert_eq!(transition(None, true, NotPoor), Transition::RemainsOutside);
        assert!(Transition::PoorToNearPoor.escapes_poverty());
        assert!(!Transition::EscapedNearPoverty.escapes_poverty());
        assert_eq!(Transition::RePoor.label(), "Hộ tái nghèo");
    }
}
