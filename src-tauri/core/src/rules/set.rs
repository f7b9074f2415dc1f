//! The rule-set file format (chuẩn nghèo as versioned data): parsing, semantic validation, the
//! diff shown before an office accepts an update, and the registry of built-in and loaded sets.
//! It does not classify households (see `engine`) and does not store anything in the ledger.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::format::{dong, number};
use super::json;
use crate::error::{Error, Result};

/// The newest rule-set `format_version` this build understands.
pub const SUPPORTED_FORMAT_VERSION: u32 = 1;

/// Built-in rule-set files, embedded in the binary.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("2022-2025", include_str!("../../rules/2022-2025.json")),
    ("2027-2030", include_str!("../../rules/2027-2030.json")),
];

/// Where the household lives (khu vực): rural (nông thôn) or urban (thành thị).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Rural,
    Urban,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Rural => "rural",
            Area::Urban => "urban",
        }
    }
    /// "nông thôn" / "thành thị".
    pub fn label(self) -> &'static str {
        match self {
            Area::Rural => "nông thôn",
            Area::Urban => "thành thị",
        }
    }
    pub const ALL: [Area; 2] = [Area::Rural, Area::Urban];
}

/// One value per area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerArea<T> {
    pub rural: T,
    pub urban: T,
}

impl<T: Copy> PerArea<T> {
    pub fn get(&self, area: Area) -> T {
        match area {
            Area::Rural => self.rural,
            Area::Urban => self.urban,
        }
    }
}

/// The income band of households with an average living standard (hộ có mức sống trung bình):
/// income strictly above `above` and at most `up_to` (đồng per person per month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub above: i64,
    pub up_to: i64,
}

impl Band {
    pub fn contains(&self, income: i64) -> bool {
        income > self.above && income <= self.up_to
    }
}

/// How sure we are of an indicator's wording and threshold (see POVERTY-STANDARD.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    pub fn label(self) -> &'static str {
        match self {
            Confidence::High => "cao",
            Confidence::Medium => "trung bình",
            Confidence::Low => "thấp",
        }
    }
}

/// A yes/no fact recorded per member that a derivation can look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberField {
    /// Has a valid health-insurance card (có thẻ bảo hiểm y tế).
    HealthInsurance,
    /// Attends the school level for the age (đang đi học).
    AttendingSchool,
    /// Stunted or underweight (suy dinh dưỡng).
    Malnourished,
    /// Able and willing to work but cannot find a job (thất nghiệp).
    Unemployed,
    /// Works for a wage without a labour contract (làm công không có hợp đồng lao động).
    WageWithoutContract,
    /// In training or holds the qualification expected for the age (đạt trình độ theo độ tuổi).
    EducationMet,
    /// Receives a monthly social allowance as an elderly or disabled person (hưởng trợ cấp xã hội).
    SocialAllowance,
}

impl MemberField {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberField::HealthInsurance => "health_insurance",
            MemberField::AttendingSchool => "attending_school",
            MemberField::Malnourished => "malnourished",
            MemberField::Unemployed => "unemployed",
            MemberField::WageWithoutContract => "wage_without_contract",
            MemberField::EducationMet => "education_met",
            MemberField::SocialAllowance => "social_allowance",
        }
    }
    /// Vietnamese wording of "the member has this value".
    pub fn describe(self, value: bool) -> &'static str {
        match (self, value) {
            (MemberField::HealthInsurance, true) => "có bảo hiểm y tế",
            (MemberField::HealthInsurance, false) => "không có bảo hiểm y tế",
            (MemberField::AttendingSchool, true) => "đang đi học",
            (MemberField::AttendingSchool, false) => "không đi học",
            (MemberField::Malnourished, true) => "bị suy dinh dưỡng",
            (MemberField::Malnourished, false) => "không bị suy dinh dưỡng",
            (MemberField::Unemployed, true) => "không tìm được việc làm",
            (MemberField::Unemployed, false) => "không thất nghiệp",
            (MemberField::WageWithoutContract, true) => {
                "làm công hưởng lương không có hợp đồng lao động"
            }
            (MemberField::WageWithoutContract, false) => "không làm công thiếu hợp đồng",
            (MemberField::EducationMet, true) => "đạt trình độ giáo dục theo độ tuổi",
            (MemberField::EducationMet, false) => {
                "không đi học và chưa đạt trình độ giáo dục theo độ tuổi"
            }
            (MemberField::SocialAllowance, true) => "hưởng trợ cấp xã hội hằng tháng",
            (MemberField::SocialAllowance, false) => "không hưởng trợ cấp xã hội hằng tháng",
        }
    }
}

/// One way an indicator can be derived from the register. An indicator is derived as deprived
/// when any of its rules fires; a rule that lacks the facts it needs derives nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Derivation {
    /// Deprived when some member whose age (full years at the reference date) is within
    /// `min_age ..< below_age` has `field == deprived_when`.
    MemberFlag {
        field: MemberField,
        deprived_when: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_age: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        below_age: Option<u32>,
    },
    /// Deprived when floor area divided by the number of members is under `below_m2`.
    FloorAreaPerPerson { below_m2: f64 },
    /// Deprived when dependants (children under `child_below_age`, members on a monthly social
    /// allowance) are more than `more_than_percent` % of members. Derived only when every
    /// member's age and `social_allowance` are recorded.
    DependantShare {
        child_below_age: u32,
        more_than_percent: u32,
    },
}

impl Derivation {
    /// Vietnamese description of the rule, used in diffs and documentation.
    pub fn describe(&self) -> String {
        match self {
            Derivation::MemberFlag { field, deprived_when, min_age, below_age } => {
                let ages = match (min_age, below_age) {
                    (Some(a), Some(b)) => format!("từ đủ {a} tuổi đến dưới {b} tuổi"),
                    (Some(a), None) => format!("từ đủ {a} tuổi trở lên"),
                    (None, Some(b)) => format!("dưới {b} tuổi"),
                    (None, None) => "bất kỳ tuổi nào".to_string(),
                };
                format!("có thành viên {ages} {}", field.describe(*deprived_when))
            }
            Derivation::FloorAreaPerPerson { below_m2 } => {
                format!("diện tích nhà ở bình quân dưới {} m²/người", number(*below_m2))
            }
            Derivation::DependantShare { child_below_age, more_than_percent } => format!(
                "người phụ thuộc (trẻ em dưới {child_below_age} tuổi, người hưởng trợ cấp xã hội hằng tháng) chiếm trên {more_than_percent}% số thành viên"
            ),
        }
    }
}

/// One deprivation indicator (chỉ số đo lường mức độ thiếu hụt) of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable English id (`health_insurance`).
    pub id: String,
    /// Vietnamese name (`Bảo hiểm y tế`).
    pub name: String,
    /// Vietnamese dimension name (chiều thiếu hụt), e.g. `Y tế`.
    pub dimension: String,
    /// How the indicator is derived from the register; empty = asked on the form only.
    #[serde(default)]
    pub derivation: Vec<Derivation>,
    /// True while the official definition is not known (the value is a best reading).
    #[serde(default)]
    pub provisional: bool,
    pub confidence: Confidence,
    /// The deprivation condition in words (Vietnamese).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The Phiếu A quick-identification checklist. Rule: at least `stop_min_ticked` ticked items
/// (1 = any) ⇒ stop (not poor); fewer ⇒ continue with Phiếu B1/B2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhieuA {
    pub items: Vec<ChecklistItem>,
    /// How many ticked items stop the review (default 1: any ticked item).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub stop_min_ticked: u32,
    /// Where the checklist comes from (e.g. "Phụ lục II, Thông tư …"), printed on the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// One cause of poverty (nguyên nhân nghèo) of the report "by cause of poverty", recorded on
/// the survey of a poor or near-poor household (several may apply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PovertyCause {
    /// Stable id stored on surveys (lower-case ASCII, digits, `_`, `-`).
    pub id: String,
    /// Vietnamese label as in the report's column header.
    pub label: String,
}

/// The default cause catalogue (`rules/poverty-causes.json`), used when a rule set carries no
/// `poverty_causes` of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PovertyCauseCatalogue {
    pub format_version: u32,
    pub confidence: Confidence,
    pub source: String,
    pub causes: Vec<PovertyCause>,
}

/// The embedded default cause catalogue.
pub const POVERTY_CAUSES_FILE: &str = include_str!("../../rules/poverty-causes.json");

/// The default causes of poverty (parsed and validated once).
pub fn default_poverty_causes() -> Result<PovertyCauseCatalogue> {
    static CACHE: std::sync::OnceLock<std::result::Result<PovertyCauseCatalogue, String>> =
        std::sync::OnceLock::new();
    CACHE
        .get_or_init(|| {
            let c: PovertyCauseCatalogue =
                serde_json::from_str(POVERTY_CAUSES_FILE).map_err(|e| e.to_string())?;
            let mut problems = Vec::new();
            validate_causes(&c.causes, &mut |s| problems.push(s));
            if problems.is_empty() {
                Ok(c)
            } else {
                Err(problems.join("; "))
            }
        })
        .clone()
        .map_err(|e| invalid(&e))
}

fn validate_causes(causes: &[PovertyCause], p: &mut impl FnMut(String)) {
    if causes.is_empty() {
        p("danh mục nguyên nhân nghèo («poverty_causes») không được rỗng (bỏ hẳn trường này nếu chưa có)".into());
    }
    let mut ids = BTreeSet::new();
    for c in causes {
        if !is_id(&c.id) {
            p(format!(
                "nguyên nhân nghèo: mã «{}» không hợp lệ (chỉ dùng chữ thường không dấu, số, «-», «_»)",
                c.id
            ));
        }
        if c.label.trim().is_empty() {
            p(format!(
                "nguyên nhân nghèo «{}»: tên không được để trống",
                c.id
            ));
        }
        if !ids.insert(c.id.as_str()) {
            p(format!("nguyên nhân nghèo: mã «{}» bị trùng", c.id));
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    pub id: String,
    pub label: String,
}

/// A Phiếu B1 point table (income proxy → điểm A) with columns per region variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct B1Table {
    /// Region variants (vùng): e.g. `TT` thành thị, `NT1` … `NT6` nông thôn by region.
    pub variants: Vec<B1Variant>,
    pub questions: Vec<B1Question>,
    /// Where the table comes from (e.g. "Phụ lục III, Thông tư …"), printed on the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct B1Variant {
    pub id: String,
    pub label: String,
    /// Which score-A line applies to households scored with this variant.
    pub area: Area,
    /// Points every household starts with (0 when the form has no constant).
    #[serde(default)]
    pub base_points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct B1Question {
    pub id: String,
    pub label: String,
    pub options: Vec<B1Option>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct B1Option {
    pub id: String,
    pub label: String,
    /// Points per variant id; every declared variant must have a value.
    pub points: BTreeMap<String, i64>,
}

/// A poverty standard (chuẩn nghèo) as data: one version of one period's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub format_version: u32,
    /// Period id, e.g. `2022-2025`.
    pub id: String,
    /// Version of this period's rules; a province update carries a higher number.
    pub version: u32,
    /// Display label with an en dash, e.g. `2022–2025`.
    pub label: String,
    /// Full legal basis (căn cứ pháp lý), Vietnamese.
    pub legal_basis: String,
    /// Short citation used in explanations, e.g. `Nghị định 07/2021/NĐ-CP`.
    pub legal_short: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// Income poverty line (chuẩn thu nhập), integer đồng per person per month.
    pub income_line: PerArea<i64>,
    /// Average-living-standard band; absent when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_band: Option<PerArea<Band>>,
    /// Score-A line (ngưỡng điểm A, Phiếu B1); absent when the period has no official table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_a_line: Option<PerArea<i64>>,
    /// Points of điểm B per deprived indicator (10).
    pub points_per_indicator: i64,
    /// Poor when điểm B is at least this (30).
    pub poor_min_score_b: i64,
    pub indicators: Vec<Indicator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phieu_a: Option<PhieuA>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b1_table: Option<B1Table>,
    /// Causes of poverty for the report by cause; absent = the application's default list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poverty_causes: Option<Vec<PovertyCause>>,
}

impl RuleSet {
    /// Parses and validates a rule-set file. Every problem is an `Error::Invalid` with a
    /// Vietnamese message naming the field.
    pub fn from_json(text: &str) -> Result<RuleSet> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            Error::Invalid(format!(
                "Tệp chuẩn nghèo không đọc được: {}.",
                json::syntax_message(&e)
            ))
        })?;
        let Some(obj) = value.as_object() else {
            return Err(invalid("tệp phải là một đối tượng JSON"));
        };
        match obj.get("format_version") {
            None => return Err(invalid("thiếu trường bắt buộc «format_version»")),
            Some(v) => match v.as_u64() {
                Some(n) if n > u64::from(SUPPORTED_FORMAT_VERSION) => {
                    return Err(Error::Invalid(format!(
                        "Tệp chuẩn nghèo dùng định dạng phiên bản {n}, mới hơn phiên bản {SUPPORTED_FORMAT_VERSION} mà ứng dụng này hỗ trợ. Hãy cập nhật ứng dụng trước khi nạp tệp này."
                    )))
                }
                Some(n) if n >= 1 => {}
                _ => {
                    return Err(invalid(&format!(
                        "«format_version» phải là số nguyên từ 1 đến {SUPPORTED_FORMAT_VERSION}"
                    )))
                }
            },
        }
        let set: RuleSet = json::from_value_vi(value).map_err(|m| invalid(&m))?;
        set.validate()?;
        Ok(set)
    }

    /// Checks the semantic rules a parsed set must satisfy.
    pub fn validate(&self) -> Result<()> {
        let mut problems: Vec<String> = Vec::new();
        let mut p = |s: String| problems.push(s);
        if !is_id(&self.id) {
            p(format!(
                "mã chuẩn nghèo «{}» không hợp lệ (chỉ dùng chữ thường không dấu, số, «-», «_»)",
                self.id
            ));
        }
        if self.version == 0 {
            p("«version» phải từ 1 trở lên".into());
        }
        for (field, text) in [
            ("label", &self.label),
            ("legal_basis", &self.legal_basis),
            ("legal_short", &self.legal_short),
        ] {
            if text.trim().is_empty() {
                p(format!("«{field}» không được để trống"));
            }
        }
        if self.valid_to < self.valid_from {
            p(format!(
                "ngày hết hiệu lực {} trước ngày bắt đầu {}",
                self.valid_to.format("%d/%m/%Y"),
                self.valid_from.format("%d/%m/%Y")
            ));
        }
        for area in Area::ALL {
            let line = self.income_line.get(area);
            if line <= 0 {
                p(format!(
                    "chuẩn thu nhập {} phải lớn hơn 0 (đang là {})",
                    area.label(),
                    number(line as f64)
                ));
            }
            if let Some(band) = &self.average_band {
                let b = band.get(area);
                if b.above < 0 || b.up_to <= b.above {
                    p(format!(
                        "khoảng mức sống trung bình {} không hợp lệ: cần 0 ≤ «above» < «up_to» (đang là {} – {})",
                        area.label(),
                        number(b.above as f64),
                        number(b.up_to as f64)
                    ));
                }
            }
            if let Some(score) = &self.score_a_line {
                if score.get(area) <= 0 {
                    p(format!("ngưỡng điểm A {} phải lớn hơn 0", area.label()));
                }
            }
        }
        if self.points_per_indicator <= 0 {
            p("«points_per_indicator» (điểm mỗi chỉ số thiếu hụt) phải lớn hơn 0".into());
        }
        let max_b = self
            .points_per_indicator
            .saturating_mul(self.indicators.len() as i64);
        if self.poor_min_score_b <= 0 || self.poor_min_score_b > max_b {
            p(format!(
                "«poor_min_score_b» phải trong khoảng 1 đến {max_b} (đang là {})",
                self.poor_min_score_b
            ));
        }
        if self.indicators.is_empty() {
            p("danh mục chỉ số thiếu hụt («indicators») không được rỗng".into());
        }
        let mut seen = BTreeSet::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            let at = format!("chỉ số thứ {} («{}»)", i + 1, ind.id);
            if !is_id(&ind.id) {
                p(format!(
                    "{at}: mã chỉ số không hợp lệ (chỉ dùng chữ thường không dấu, số, «_»)"
                ));
            }
            if !seen.insert(ind.id.as_str()) {
                p(format!("mã chỉ số «{}» bị trùng", ind.id));
            }
            if ind.name.trim().is_empty() {
                p(format!("{at}: tên chỉ số không được để trống"));
            }
            if ind.dimension.trim().is_empty() {
                p(format!(
                    "{at}: chiều thiếu hụt («dimension») không được để trống"
                ));
            }
            for d in &ind.derivation {
                match d {
                    Derivation::MemberFlag {
                        min_age, below_age, ..
                    } => {
                        if let (Some(a), Some(b)) = (min_age, below_age) {
                            if b <= a {
                                p(format!(
                                    "{at}: «below_age» ({b}) phải lớn hơn «min_age» ({a})"
                                ));
                            }
                        }
                        if min_age.is_some_and(|a| a > 150) || below_age.is_some_and(|b| b > 151) {
                            p(format!("{at}: giới hạn tuổi vượt quá 150"));
                        }
                    }
                    Derivation::FloorAreaPerPerson { below_m2 } => {
                        if !below_m2.is_finite() || *below_m2 <= 0.0 {
                            p(format!("{at}: «below_m2» phải là số dương"));
                        }
                    }
                    Derivation::DependantShare {
                        child_below_age,
                        more_than_percent,
                    } => {
                        if *more_than_percent >= 100 {
                            p(format!("{at}: «more_than_percent» phải nhỏ hơn 100"));
                        }
                        if *child_below_age == 0 || *child_below_age > 150 {
                            p(format!("{at}: «child_below_age» phải từ 1 đến 150"));
                        }
                    }
                }
            }
        }
        if let Some(a) = &self.phieu_a {
            let mut ids = BTreeSet::new();
            if a.items.is_empty() {
                p(
                    "Phiếu A: danh sách tiêu chí không được rỗng (bỏ hẳn «phieu_a» nếu chưa có)"
                        .into(),
                );
            }
            for item in &a.items {
                if item.id.trim().is_empty() || item.label.trim().is_empty() {
                    p("Phiếu A: mỗi tiêu chí cần «id» và «label» không rỗng".into());
                }
                if !ids.insert(item.id.as_str()) {
                    p(format!("Phiếu A: mã tiêu chí «{}» bị trùng", item.id));
                }
            }
            if a.stop_min_ticked == 0 || a.stop_min_ticked as usize > a.items.len().max(1) {
                p(format!(
                    "Phiếu A: «stop_min_ticked» phải từ 1 đến số tiêu chí ({}), đang là {}",
                    a.items.len(),
                    a.stop_min_ticked
                ));
            }
        }
        if let Some(c) = &self.poverty_causes {
            validate_causes(c, &mut p);
        }
        if let Some(t) = &self.b1_table {
            validate_b1(self, t, &mut p);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(invalid(&problems.join("; ")))
        }
    }

    /// The indicator with this id.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// "chuẩn nghèo 2022–2025 (Nghị định 07/2021/NĐ-CP)", with a note when indicators are
    /// provisional.
    pub fn citation(&self) -> String {
        if self.indicators.iter().any(|i| i.provisional) {
            format!(
                "chuẩn nghèo {} ({}; danh mục chỉ số tạm thời)",
                self.label, self.legal_short
            )
        } else {
            format!("chuẩn nghèo {} ({})", self.label, self.legal_short)
        }
    }

    /// Whether the set applies on `date`.
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && date <= self.valid_to
    }

    /// SHA-256 (hex) of the canonical JSON of the set: identifies the exact content used.
    pub fn fingerprint(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    /// Canonical, pretty JSON of the set (what a province would distribute).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Phiếu A outcome for the ticked items: `stop_min_ticked` (default 1) ticked items ⇒ stop.
    pub fn phieu_a_outcome(&self, ticked: &BTreeSet<String>) -> Result<PhieuAOutcome> {
        let Some(a) = &self.phieu_a else {
            return Err(Error::Invalid(format!(
                "Chuẩn nghèo {} chưa có danh sách tiêu chí Phiếu A; hãy nạp tệp chuẩn nghèo có Phiếu A chính thức.",
                self.label
            )));
        };
        for id in ticked {
            if !a.items.iter().any(|i| &i.id == id) {
                return Err(Error::Invalid(format!("Phiếu A không có tiêu chí «{id}».")));
            }
        }
        let hit: Vec<String> = a
            .items
            .iter()
            .filter(|i| ticked.contains(&i.id))
            .map(|i| i.id.clone())
            .collect();
        Ok(
            if hit.is_empty() || hit.len() < a.stop_min_ticked as usize {
                PhieuAOutcome::Continue
            } else {
                PhieuAOutcome::Stop { items: hit }
            },
        )
    }

    /// Score A (điểm A) from Phiếu B1 answers (question id → option id) for a region variant.
    /// Without a B1 table the reviewer types the total from the paper form instead.
    pub fn score_a_from_b1(
        &self,
        variant: &str,
        answers: &BTreeMap<String, String>,
    ) -> Result<i64> {
        let Some(t) = &self.b1_table else {
            return Err(Error::Invalid(format!(
                "Chuẩn nghèo {} chưa có bảng điểm Phiếu B1; hãy nhập tổng điểm A từ phiếu giấy.",
                self.label
            )));
        };
        let Some(v) = t.variants.iter().find(|v| v.id == variant) else {
            return Err(Error::Invalid(format!(
                "Bảng điểm B1 không có vùng «{variant}»."
            )));
        };
        for q in answers.keys() {
            if !t.questions.iter().any(|x| &x.id == q) {
                return Err(Error::Invalid(format!("Phiếu B1 không có câu hỏi «{q}».")));
            }
        }
        let mut total = v.base_points;
        for q in &t.questions {
            let Some(choice) = answers.get(&q.id) else {
                return Err(Error::Invalid(format!(
                    "Chưa trả lời câu «{}» của Phiếu B1.",
                    q.label
                )));
            };
            let Some(opt) = q.options.iter().find(|o| &o.id == choice) else {
                return Err(Error::Invalid(format!(
                    "Câu «{}» của Phiếu B1 không có lựa chọn «{choice}».",
                    q.label
                )));
            };
            total += opt.points.get(&v.id).copied().unwrap_or(0);
        }
        Ok(total)
    }

    /// What changes if `other` replaces `self` (Vietnamese, in file order).
    pub fn diff(&self, other: &RuleSet) -> Vec<RuleChange> {
        diff(self, other)
    }
}

/// Result of Phiếu A.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PhieuAOutcome {
    /// No item ticked: continue with Phiếu B1/B2.
    Continue,
    /// At least one item ticked: the review stops (not poor).
    Stop { items: Vec<String> },
}

fn validate_b1(set: &RuleSet, t: &B1Table, p: &mut impl FnMut(String)) {
    if set.score_a_line.is_none() {
        p("bảng điểm B1 cần có ngưỡng điểm A («score_a_line»)".into());
    }
    if t.variants.is_empty() {
        p("bảng điểm B1: danh sách vùng («variants») không được rỗng".into());
    }
    if t.questions.is_empty() {
        p("bảng điểm B1: danh sách câu hỏi («questions») không được rỗng".into());
    }
    let mut vids = BTreeSet::new();
    for v in &t.variants {
        if v.id.trim().is_empty() || v.label.trim().is_empty() {
            p("bảng điểm B1: mỗi vùng cần «id» và «label» không rỗng".into());
        }
        if !vids.insert(v.id.as_str()) {
            p(format!("bảng điểm B1: mã vùng «{}» bị trùng", v.id));
        }
    }
    let mut qids = BTreeSet::new();
    for q in &t.questions {
        if q.id.trim().is_empty() || q.label.trim().is_empty() {
            p("bảng điểm B1: mỗi câu hỏi cần «id» và «label» không rỗng".into());
        }
        if !qids.insert(q.id.as_str()) {
            p(format!("bảng điểm B1: mã câu hỏi «{}» bị trùng", q.id));
        }
        if q.options.is_empty() {
            p(format!(
                "bảng điểm B1: câu «{}» không có lựa chọn nào",
                q.id
            ));
        }
        let mut oids = BTreeSet::new();
        for o in &q.options {
            if !oids.insert(o.id.as_str()) {
                p(format!(
                    "bảng điểm B1: câu «{}» có mã lựa chọn «{}» bị trùng",
                    q.id, o.id
                ));
            }
            for v in &vids {
                if !o.points.contains_key(*v) {
                    p(format!(
                        "bảng điểm B1: câu «{}», lựa chọn «{}» thiếu điểm cho vùng «{v}»",
                        q.id, o.id
                    ));
                }
            }
            for k in o.points.keys() {
                if !vids.contains(k.as_str()) {
                    p(format!("bảng điểm B1: câu «{}», lựa chọn «{}» có điểm cho vùng không khai báo «{k}»", q.id, o.id));
                }
            }
        }
    }
}

fn invalid(detail: &str) -> Error {
    Error::Invalid(format!("Tệp chuẩn nghèo không hợp lệ: {detail}."))
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// One difference between two versions of a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    /// What changed, as a path in the file (`income_line.rural`, `indicators.waste`).
    pub path: String,
    /// Vietnamese sentence for the office.
    pub description: String,
}

fn change(path: impl Into<String>, description: impl Into<String>) -> RuleChange {
    RuleChange {
        path: path.into(),
        description: description.into(),
    }
}

fn diff(a: &RuleSet, b: &RuleSet) -> Vec<RuleChange> {
    let mut out = Vec::new();
    if a.id != b.id {
        out.push(change("id", format!("Mã chuẩn nghèo: {} → {}", a.id, b.id)));
    }
    if a.version != b.version {
        out.push(change(
            "version",
            format!("Phiên bản: {} → {}", a.version, b.version),
        ));
    }
    if a.label != b.label {
        out.push(change(
            "label",
            format!("Tên giai đoạn: {} → {}", a.label, b.label),
        ));
    }
    if a.legal_basis != b.legal_basis || a.legal_short != b.legal_short {
        out.push(change(
            "legal_basis",
            format!("Căn cứ pháp lý: «{}» → «{}»", a.legal_short, b.legal_basis),
        ));
    }
    if a.valid_from != b.valid_from || a.valid_to != b.valid_to {
        out.push(change(
            "valid",
            format!(
                "Thời gian áp dụng: {}–{} → {}–{}",
                a.valid_from.format("%d/%m/%Y"),
                a.valid_to.format("%d/%m/%Y"),
                b.valid_from.format("%d/%m/%Y"),
                b.valid_to.format("%d/%m/%Y")
            ),
        ));
    }
    for area in Area::ALL {
        let (x, y) = (a.income_line.get(area), b.income_line.get(area));
        if x != y {
            out.push(change(
                format!("income_line.{}", area.as_str()),
                format!(
                    "Chuẩn thu nhập {}: {} → {}/người/tháng",
                    area.label(),
                    dong(x),
                    dong(y)
                ),
            ));
        }
    }
    for area in Area::ALL {
        let x = a.average_band.map(|b| b.get(area));
        let y = b.average_band.map(|b| b.get(area));
        if x != y {
            let show = |v: Option<Band>| match v {
                Some(b) => format!("trên {} đến {}", dong(b.above), dong(b.up_to)),
                None => "(không có)".into(),
            };
            out.push(change(
                format!("average_band.{}", area.as_str()),
                format!(
                    "Khoảng mức sống trung bình {}: {} → {}",
                    area.label(),
                    show(x),
                    show(y)
                ),
            ));
        }
    }
    for area in Area::ALL {
        let x = a.score_a_line.map(|s| s.get(area));
        let y = b.score_a_line.map(|s| s.get(area));
        if x != y {
            let show = |v: Option<i64>| {
                v.map(|n| format!("{n} điểm"))
                    .unwrap_or_else(|| "(không có)".into())
            };
            out.push(change(
                format!("score_a_line.{}", area.as_str()),
                format!("Ngưỡng điểm A {}: {} → {}", area.label(), show(x), show(y)),
            ));
        }
    }
    if a.points_per_indicator != b.points_per_indicator {
        out.push(change(
            "points_per_indicator",
            format!(
                "Điểm mỗi chỉ số thiếu hụt: {} → {}",
                a.points_per_indicator, b.points_per_indicator
            ),
        ));
    }
    if a.poor_min_score_b != b.poor_min_score_b {
        out.push(change(
            "poor_min_score_b",
            format!(
                "Ngưỡng điểm B của hộ nghèo: {} → {}",
                a.poor_min_score_b, b.poor_min_score_b
            ),
        ));
    }
    for old in &a.indicators {
        match b.indicator(&old.id) {
            None => out.push(change(
                format!("indicators.{}", old.id),
                format!("Bỏ chỉ số «{}» ({})", old.name, old.id),
            )),
            Some(new) => {
                let at = |f: &str| format!("indicators.{}.{f}", old.id);
                if old.name != new.name {
                    out.push(change(
                        at("name"),
                        format!("Chỉ số {}: đổi tên «{}» → «{}»", old.id, old.name, new.name),
                    ));
                }
                if old.dimension != new.dimension {
                    out.push(change(
                        at("dimension"),
                        format!(
                            "Chỉ số «{}»: chiều «{}» → «{}»",
                            new.name, old.dimension, new.dimension
                        ),
                    ));
                }
                if old.derivation != new.derivation {
                    let show = |d: &[Derivation]| {
                        if d.is_empty() {
                            "chỉ hỏi trực tiếp".to_string()
                        } else {
                            d.iter()
                                .map(Derivation::describe)
                                .collect::<Vec<_>>()
                                .join(" hoặc ")
                        }
                    };
                    out.push(change(
                        at("derivation"),
                        format!(
                            "Chỉ số «{}»: cách xác định «{}» → «{}»",
                            new.name,
                            show(&old.derivation),
                            show(&new.derivation)
                        ),
                    ));
                }
                if old.provisional != new.provisional {
                    let s = if new.provisional {
                        "chuyển thành tạm thời"
                    } else {
                        "trở thành chính thức"
                    };
                    out.push(change(
                        at("provisional"),
                        format!("Chỉ số «{}» {s}", new.name),
                    ));
                }
                if old.confidence != new.confidence {
                    out.push(change(
                        at("confidence"),
                        format!(
                            "Chỉ số «{}»: độ tin cậy {} → {}",
                            new.name,
                            old.confidence.label(),
                            new.confidence.label()
                        ),
                    ));
                }
                if old.note != new.note {
                    out.push(change(
                        at("note"),
                        format!("Chỉ số «{}»: sửa mô tả ngưỡng thiếu hụt", new.name),
                    ));
                }
            }
        }
    }
    for new in &b.indicators {
        if a.indicator(&new.id).is_none() {
            out.push(change(
                format!("indicators.{}", new.id),
                format!(
                    "Thêm chỉ số «{}» ({}), chiều «{}»",
                    new.name, new.id, new.dimension
                ),
            ));
        }
    }
    let order_a: Vec<&str> = a
        .indicators
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| b.indicator(id).is_some())
        .collect();
    let order_b: Vec<&str> = b
        .indicators
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| a.indicator(id).is_some())
        .collect();
    if order_a != order_b {
        out.push(change("indicators", "Đổi thứ tự các chỉ số"));
    }
    match (&a.phieu_a, &b.phieu_a) {
        (None, Some(x)) => out.push(change(
            "phieu_a",
            format!("Thêm Phiếu A với {} tiêu chí", x.items.len()),
        )),
        (Some(_), None) => out.push(change("phieu_a", "Bỏ Phiếu A")),
        (Some(x), Some(y)) if x != y => {
            if x.stop_min_ticked != y.stop_min_ticked {
                out.push(change(
                    "phieu_a.stop_min_ticked",
                    format!(
                        "Phiếu A: dừng rà soát khi có từ {} tiêu chí → từ {} tiêu chí",
                        x.stop_min_ticked, y.stop_min_ticked
                    ),
                ));
            }
            if x.source != y.source {
                out.push(change(
                    "phieu_a.source",
                    format!(
                        "Phiếu A: nguồn «{}» → «{}»",
                        x.source.as_deref().unwrap_or(""),
                        y.source.as_deref().unwrap_or("")
                    ),
                ));
            }
            for i in &x.items {
                match y.items.iter().find(|j| j.id == i.id) {
                    None => out.push(change(
                        format!("phieu_a.{}", i.id),
                        format!("Phiếu A: bỏ tiêu chí «{}»", i.label),
                    )),
                    Some(j) if j.label != i.label => out.push(change(
                        format!("phieu_a.{}", i.id),
                        format!("Phiếu A: sửa tiêu chí «{}» → «{}»", i.label, j.label),
                    )),
                    _ => {}
                }
            }
            for j in &y.items {
                if !x.items.iter().any(|i| i.id == j.id) {
                    out.push(change(
                        format!("phieu_a.{}", j.id),
                        format!("Phiếu A: thêm tiêu chí «{}»", j.label),
                    ));
                }
            }
        }
        _ => {}
    }
    match (&a.b1_table, &b.b1_table) {
        (None, Some(t)) => out.push(change(
            "b1_table",
            format!(
                "Thêm bảng điểm Phiếu B1: {} câu hỏi, {} vùng",
                t.questions.len(),
                t.variants.len()
            ),
        )),
        (Some(_), None) => out.push(change(
            "b1_table",
            "Bỏ bảng điểm Phiếu B1 (người rà soát nhập tổng điểm A)",
        )),
        (Some(x), Some(y)) if x != y => diff_b1(x, y, &mut out),
        _ => {}
    }
    match (&a.poverty_causes, &b.poverty_causes) {
        (None, Some(c)) => out.push(change(
            "poverty_causes",
            format!(
                "Dùng danh mục nguyên nhân nghèo riêng ({} nguyên nhân) thay cho danh mục mặc định",
                c.len()
            ),
        )),
        (Some(_), None) => out.push(change(
            "poverty_causes",
            "Bỏ danh mục nguyên nhân nghèo riêng (dùng danh mục mặc định)",
        )),
        (Some(x), Some(y)) if x != y => {
            for c in x {
                match y.iter().find(|d| d.id == c.id) {
                    None => out.push(change(
                        format!("poverty_causes.{}", c.id),
                        format!("Nguyên nhân nghèo: bỏ «{}»", c.label),
                    )),
                    Some(d) if d.label != c.label => out.push(change(
                        format!("poverty_causes.{}", c.id),
                        format!("Nguyên nhân nghèo: sửa «{}» → «{}»", c.label, d.label),
                    )),
                    _ => {}
                }
            }
            for d in y {
                if !x.iter().any(|c| c.id == d.id) {
                    out.push(change(
                        format!("poverty_causes.{}", d.id),
                        format!("Nguyên nhân nghèo: thêm «{}»", d.label),
                    ));
                }
            }
        }
        _ => {}
    }
    out
}

fn diff_b1(x: &B1Table, y: &B1Table, out: &mut Vec<RuleChange>) {
    for v in &x.variants {
        match y.variants.iter().find(|w| w.id == v.id) {
            None => out.push(change(
                format!("b1_table.variants.{}", v.id),
                format!("Bảng B1: bỏ vùng «{}»", v.label),
            )),
            Some(w) if w != v => out.push(change(
                format!("b1_table.variants.{}", v.id),
                format!(
                    "Bảng B1: sửa vùng «{}» (điểm gốc {} → {})",
                    w.label, v.base_points, w.base_points
                ),
            )),
            _ => {}
        }
    }
    for w in &y.variants {
        if !x.variants.iter().any(|v| v.id == w.id) {
            out.push(change(
                format!("b1_table.variants.{}", w.id),
                format!("Bảng B1: thêm vùng «{}»", w.label),
            ));
        }
    }
    for q in &x.questions {
        match y.questions.iter().find(|r| r.id == q.id) {
            None => out.push(change(
                format!("b1_table.{}", q.id),
                format!("Bảng B1: bỏ câu «{}»", q.label),
            )),
            Some(r) => {
                for o in &q.options {
                    match r.options.iter().find(|p| p.id == o.id) {
                        None => out.push(change(
                            format!("b1_table.{}.{}", q.id, o.id),
                            format!("Bảng B1, câu «{}»: bỏ lựa chọn «{}»", r.label, o.label),
                        )),
                        Some(p) => {
                            for (var, pts) in &p.points {
                                let before = o.points.get(var);
                                if before != Some(pts) {
                                    out.push(change(
                                        format!("b1_table.{}.{}.{var}", q.id, o.id),
                                        format!(
                                            "Bảng B1, câu «{}», lựa chọn «{}», vùng {var}: {} → {} điểm",
                                            r.label,
                                            p.label,
                                            before.map(|b| b.to_string()).unwrap_or_else(|| "(không có)".into()),
                                            pts
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                }
                for p in &r.options {
                    if !q.options.iter().any(|o| o.id == p.id) {
                        out.push(change(
                            format!("b1_table.{}.{}", q.id, p.id),
                            format!("Bảng B1, câu «{}»: thêm lựa chọn «{}»", r.label, p.label),
                        ));
                    }
                }
                if q.label != r.label {
                    out.push(change(
                        format!("b1_table.{}", q.id),
                        format!("Bảng B1: sửa câu «{}» → «{}»", q.label, r.label),
                    ));
                }
            }
        }
    }
    for r in &y.questions {
        if !x.questions.iter().any(|q| q.id == r.id) {
            out.push(change(
                format!("b1_table.{}", r.id),
                format!("Bảng B1: thêm câu «{}»", r.label),
            ));
        }
    }
}

/// All rule sets the application knows: the built-in ones and those an office loaded, keyed
/// by (id, version).
#[derive(Debug, Clone, Default)]
pub struct RuleSets {
    sets: BTreeMap<(String, u32), Arc<RuleSet>>,
}

impl RuleSets {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in sets (2022-2025, 2027-2030), parsed once per process and then shared.
    pub fn builtin() -> Result<Self> {
        static CACHE: std::sync::OnceLock<std::result::Result<RuleSets, String>> =
            std::sync::OnceLock::new();
        let parsed = CACHE.get_or_init(|| {
            let mut r = Self::new();
            for (_, text) in BUILTIN_FILES {
                let set = RuleSet::from_json(text).map_err(|e| e.to_string())?;
                r.insert(set).map_err(|e| e.to_string())?;
            }
            Ok(r)
        });
        parsed.clone().map_err(Error::Invalid)
    }

    /// Adds a validated set. The same (id, version) with the same content is accepted once;
    /// with different content it is a conflict (a changed file needs a new version number).
    pub fn insert(&mut self, set: RuleSet) -> Result<Arc<RuleSet>> {
        set.validate()?;
        let key = (set.id.clone(), set.version);
        if let Some(existing) = self.sets.get(&key) {
            if **existing == set {
                return Ok(existing.clone());
            }
            return Err(Error::Conflict(format!(
                "Đã có chuẩn nghèo {} phiên bản {} với nội dung khác. Tệp cập nhật phải có số phiên bản («version») mới.",
                set.id, set.version
            )));
        }
        let arc = Arc::new(set);
        self.sets.insert(key, arc.clone());
        Ok(arc)
    }

    /// Parses, validates and adds a rule-set file.
    pub fn load_json(&mut self, text: &str) -> Result<Arc<RuleSet>> {
        self.insert(RuleSet::from_json(text)?)
    }

    /// Parses and validates a file without adding it, and lists what it would change compared
    /// with the latest held version of the same id (`None` when the id is new). Show this to
    /// the office, then call `insert` with the returned set if accepted.
    pub fn preview_update(&self, text: &str) -> Result<(RuleSet, Option<Vec<RuleChange>>)> {
        let set = RuleSet::from_json(text)?;
        let changes = self.latest(&set.id).map(|cur| cur.diff(&set));
        Ok((set, changes))
    }

    pub fn get(&self, id: &str, version: u32) -> Option<Arc<RuleSet>> {
        self.sets.get(&(id.to_string(), version)).cloned()
    }

    /// The highest version of `id`.
    pub fn latest(&self, id: &str) -> Option<Arc<RuleSet>> {
        self.sets
            .range((id.to_string(), 0)..=(id.to_string(), u32::MAX))
            .next_back()
            .map(|(_, s)| s.clone())
    }

    /// Like `latest`, with a Vietnamese `NotFound` error listing the known ids.
    pub fn require_latest(&self, id: &str) -> Result<Arc<RuleSet>> {
        self.latest(id).ok_or_else(|| {
            Error::NotFound(format!(
                "Không có chuẩn nghèo «{id}». Các chuẩn nghèo hiện có: {}.",
                self.ids().join(", ")
            ))
        })
    }

    /// Distinct ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.sets.keys().map(|(id, _)| id.clone()).collect();
        v.dedup();
        v
    }

    /// Every (id, version) held, in order.
    pub fn all(&self) -> Vec<Arc<RuleSet>> {
        self.sets.values().cloned().collect()
    }

    /// The latest set whose validity covers `date` (the default for a round on that date).
    pub fn applicable_on(&self, date: NaiveDate) -> Option<Arc<RuleSet>> {
        self.ids()
            .into_iter()
            .filter_map(|id| self.latest(&id))
            .find(|s| s.is_valid_on(date))
    }
}

/// The latest built-in set with this id (parsed from the embedded file).
pub fn builtin(id: &str) -> Result<Arc<RuleSet>> {
    RuleSets::builtin()?.require_latest(id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn base_json() -> serde_json::Value {
        serde_json::from_str(BUILTIN_FILES[0].1).unwrap()
    }

    fn err_of(v: &serde_json::Value) -> String {
        match RuleSet::from_json(&v.to_string()) {
            Err(Error::Invalid(m)) => m,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn builtin_sets_parse_with_the_official_indicator_ids() {
        let r = RuleSets::builtin().unwrap();
        assert_eq!(
            r.ids(),
            vec!["2022-2025".to_string(), "2027-2030".to_string()]
        );
        let a = r.latest("2022-2025").unwrap();
        let ids: Vec<&str> = a.indicators.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "employment",
                "dependants",
                "nutrition",
                "health_insurance",
                "adult_education",
                "child_schooling",
                "housing_quality",
                "housing_area",
                "water",
                "sanitation",
                "telecom",
                "information_access"
            ]
        );
        assert_eq!(
            a.score_a_line,
            Some(PerArea {
                rural: 140,
                urban: 175
            })
        );
        assert_eq!(
            a.income_line,
            PerArea {
                rural: 1_500_000,
                urban: 2_000_000
            }
        );
        assert!(a.b1_table.is_none() && a.phieu_a.is_none());
        assert_eq!(a.valid_to, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        let b = r.latest("2027-2030").unwrap();
        let ids: Vec<&str> = b.indicators.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(&ids[..10], &ids_of(&a)[..10]);
        assert_eq!(&ids[10..], ["digital_services", "waste"]);
        assert!(b.indicators.iter().all(|i| i.provisional));
        assert!(b.score_a_line.is_none() && b.average_band.is_none());
        assert_eq!(
            b.income_line,
            PerArea {
                rural: 2_200_000,
                urban: 2_800_000
            }
        );
    }

    fn ids_of(s: &RuleSet) -> Vec<&str> {
        s.indicators.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn duplicate_indicator_ids_are_rejected() {
        let mut v = base_json();
        v["indicators"][1]["id"] = "employment".into();
        let m = err_of(&v);
        assert!(m.contains("mã chỉ số «employment» bị trùng"), "{m}");
    }

    #[test]
    fn negative_and_zero_lines_are_rejected() {
        let mut v = base_json();
        v["income_line"]["rural"] = (-1).into();
        v["score_a_line"]["urban"] = 0.into();
        let m = err_of(&v);
        assert!(m.contains("chuẩn thu nhập nông thôn phải lớn hơn 0"), "{m}");
        assert!(m.contains("ngưỡng điểm A thành thị phải lớn hơn 0"), "{m}");
    }

    #[test]
    fn missing_fields_are_named() {
        let mut v = base_json();
        v.as_object_mut().unwrap().remove("legal_basis");
        assert!(err_of(&v).contains("thiếu trường bắt buộc «legal_basis»"));
        let mut v = base_json();
        v["indicators"][3].as_object_mut().unwrap().remove("name");
        let m = err_of(&v);
        assert!(m.contains("indicators[3]") && m.contains("«name»"), "{m}");
    }

    #[test]
    fn newer_format_versions_are_refused_with_advice() {
        let mut v = base_json();
        v["format_version"] = 2.into();
        let m = err_of(&v);
        assert!(
            m.contains("phiên bản 2") && m.contains("cập nhật ứng dụng"),
            "{m}"
        );
        v["format_version"] = 0.into();
        assert!(err_of(&v).contains("format_version"));
    }

    #[test]
    fn syntax_errors_give_a_position() {
        match RuleSet::from_json("{\n  \"id\": ") {
            Err(Error::Invalid(m)) => assert!(m.contains("dòng 2"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_derivation_parameters_and_bands_are_rejected() {
        let mut v = base_json();
        v["indicators"][5]["derivation"][0]["below_age"] = 2.into();
        v["indicators"][7]["derivation"][0]["below_m2"] = (-8.0).into();
        v["average_band"]["urban"]["up_to"] = 1_000_000.into();
        v["poor_min_score_b"] = 500.into();
        let m = err_of(&v);
        assert!(
            m.contains("«below_age» (2) phải lớn hơn «min_age» (3)"),
            "{m}"
        );
        assert!(m.contains("«below_m2» phải là số dương"), "{m}");
        assert!(m.contains("khoảng mức sống trung bình thành thị"), "{m}");
        assert!(m.contains("poor_min_score_b"), "{m}");
    }

    #[test]
    fn unknown_fields_and_kinds_are_rejected() {
        let mut v = base_json();
        v["income_lines"] = 1.into();
        assert!(err_of(&v).contains("«income_lines» không được hỗ trợ"));
        let mut v = base_json();
        v["indicators"][0]["derivation"][0]["kind"] = "magic".into();
        assert!(err_of(&v).contains("«magic» không hợp lệ"));
    }

    #[test]
    fn diff_between_periods_lists_every_change_in_vietnamese() {
        let r = RuleSets::builtin().unwrap();
        let a = r.latest("2022-2025").unwrap();
        let b = r.latest("2027-2030").unwrap();
        assert!(a.diff(&a).is_empty());
        let d = a.diff(&b);
        let text: Vec<&str> = d.iter().map(|c| c.description.as_str()).collect();
        assert!(
            text.contains(&"Chuẩn thu nhập nông thôn: 1.500.000 đồng → 2.200.000 đồng/người/tháng"),
            "{text:#?}"
        );
        assert!(
            text.contains(&"Ngưỡng điểm A thành thị: 175 điểm → (không có)"),
            "{text:#?}"
        );
        assert!(
            text.contains(&"Bỏ chỉ số «Sử dụng dịch vụ viễn thông» (telecom)"),
            "{text:#?}"
        );
        assert!(text
            .iter()
            .any(|t| t.starts_with("Thêm chỉ số «Thu gom, xử lý rác thải sinh hoạt» (waste)")));
        assert!(
            text.contains(&"Chỉ số «Bảo hiểm y tế» chuyển thành tạm thời"),
            "{text:#?}"
        );
        assert!(d.iter().any(|c| c.path == "average_band.rural"));
    }

    #[test]
    fn diff_of_a_province_update_shows_only_what_changed() {
        let mut v = base_json();
        v["version"] = 2.into();
        v["indicators"][7]["derivation"][0]["below_m2"] = 9.0.into();
        let a = RuleSet::from_json(BUILTIN_FILES[0].1).unwrap();
        let b = RuleSet::from_json(&v.to_string()).unwrap();
        let d = a.diff(&b);
        assert_eq!(d.len(), 2, "{d:#?}");
        assert_eq!(d[0].description, "Phiên bản: 1 → 2");
        assert_eq!(d[1].path, "indicators.housing_area.derivation");
        assert!(
            d[1].description.contains("dưới 8 m²/người")
                && d[1].description.contains("dưới 9 m²/người")
        );
    }

    #[test]
    fn registry_keeps_versions_and_refuses_a_changed_file_with_the_same_version() {
        let mut r = RuleSets::builtin().unwrap();
        let mut v = base_json();
        v["income_line"]["rural"] = 1_600_000.into();
        match r.load_json(&v.to_string()) {
            Err(Error::Conflict(m)) => assert!(m.contains("phiên bản 1")),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.latest("2022-2025").unwrap().income_line.rural, 1_500_000);
        v["version"] = 3.into();
        let (_, changes) = r.preview_update(&v.to_string()).unwrap();
        assert_eq!(changes.unwrap().len(), 2);
        r.load_json(&v.to_string()).unwrap();
        assert_eq!(r.latest("2022-2025").unwrap().version, 3);
        assert_eq!(r.get("2022-2025", 1).unwrap().income_line.rural, 1_500_000);
        // Loading the identical file again is harmless.
        r.load_json(BUILTIN_FILES[0].1).unwrap();
        assert!(r.latest("2016-2020").is_none());
        match r.require_latest("2016-2020") {
            Err(Error::NotFound(m)) => assert!(m.contains("2022-2025, 2027-2030"), "{m}"),
            other => panic!("{other:?}"),
        }
        let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        assert_eq!(r.applicable_on(day).unwrap().id, "2027-2030");
    }

    fn b1_json() -> serde_json::Value {
        serde_json::json!({
            "variants": [
                {"id": "TT", "label": "Thành thị", "area": "urban"},
                {"id": "NT1", "label": "Nông thôn Đồng bằng sông Hồng", "area": "rural", "base_points": 5}
            ],
            "questions": [
                {"id": "size", "label": "Số nhân khẩu", "options": [
                    {"id": "1", "label": "1 người", "points": {"TT": 80, "NT1": 75}},
                    {"id": "2", "label": "2 người", "points": {"TT": 55, "NT1": 65}}
                ]},
                {"id": "pension", "label": "Có lương hưu", "options": [
                    {"id": "no", "label": "Không", "points": {"TT": 0, "NT1": 0}},
                    {"id": "yes", "label": "Có", "points": {"TT": 20, "NT1": 25}}
                ]}
            ]
        })
    }

    #[test]
    fn a_loaded_b1_table_computes_score_a_and_requires_every_answer() {
        let mut v = base_json();
        v["b1_table"] = b1_json();
        let s = RuleSet::from_json(&v.to_string()).unwrap();
        let mut answers = BTreeMap::new();
        answers.insert("size".to_string(), "2".to_string());
        assert!(s
            .score_a_from_b1("NT1", &answers)
            .unwrap_err()
            .to_string()
            .contains("Có lương hưu"));
        answers.insert("pension".to_string(), "yes".to_string());
        assert_eq!(s.score_a_from_b1("NT1", &answers).unwrap(), 5 + 65 + 25);
        assert_eq!(s.score_a_from_b1("TT", &answers).unwrap(), 55 + 20);
        assert!(s.score_a_from_b1("NT9", &answers).is_err());
        answers.insert("pension".to_string(), "maybe".to_string());
        assert!(s.score_a_from_b1("TT", &answers).is_err());
        // Without a table the app never invents points.
        let plain = RuleSet::from_json(BUILTIN_FILES[0].1).unwrap();
        let m = plain
            .score_a_from_b1("TT", &answers)
            .unwrap_err()
            .to_string();
        assert!(m.contains("nhập tổng điểm A"), "{m}");
    }

    #[test]
    fn b1_tables_missing_points_or_without_a_score_line_are_rejected() {
        let mut v = base_json();
        let mut t = b1_json();
        t["questions"][0]["options"][1]["points"]
            .as_object_mut()
            .unwrap()
            .remove("NT1");
        v["b1_table"] = t;
        assert!(err_of(&v).contains("lựa chọn «2» thiếu điểm cho vùng «NT1»"));
        let mut v: serde_json::Value = serde_json::from_str(BUILTIN_FILES[1].1).unwrap();
        v["b1_table"] = b1_json();
        assert!(err_of(&v).contains("cần có ngưỡng điểm A"));
    }

    #[test]
    fn phieu_a_any_ticked_item_stops_the_review() {
        let mut v = base_json();
        v["phieu_a"] = serde_json::json!({"items": [
            {"id": "car", "label": "Có ô tô"},
            {"id": "salary", "label": "Có người hưởng lương từ ngân sách"}
        ]});
        let s = RuleSet::from_json(&v.to_string()).unwrap();
        let none = BTreeSet::new();
        assert_eq!(s.phieu_a_outcome(&none).unwrap(), PhieuAOutcome::Continue);
        let car: BTreeSet<String> = ["car".to_string()].into();
        assert_eq!(
            s.phieu_a_outcome(&car).unwrap(),
            PhieuAOutcome::Stop {
                items: vec!["car".into()]
            }
        );
        let bad: BTreeSet<String> = ["boat".to_string()].into();
        assert!(s.phieu_a_outcome(&bad).is_err());
        let plain = RuleSet::from_json(BUILTIN_FILES[0].1).unwrap();
        assert!(plain.phieu_a_outcome(&none).is_err());
    }

    #[test]
    fn phieu_a_stop_rule_is_data_validated_and_diffed() {
        let mut v = base_json();
        v["phieu_a"] = serde_json::json!({"stop_min_ticked": 2, "source": "Thử nghiệm", "items": [
            {"id": "car", "label": "Có ô tô"},
            {"id": "salary", "label": "Có người hưởng lương từ ngân sách"}
        ]});
        let two = RuleSet::from_json(&v.to_string()).unwrap();
        let car: BTreeSet<String> = ["car".to_string()].into();
        assert_eq!(two.phieu_a_outcome(&car).unwrap(), PhieuAOutcome::Continue);
        let both: BTreeSet<String> = ["car".to_string(), "salary".to_string()].into();
        assert!(matches!(
            two.phieu_a_outcome(&both).unwrap(),
            PhieuAOutcome::Stop { .. }
        ));
        // The default (1) is not written back: old files stay byte-identical.
        let mut one = two.clone();
        one.phieu_a.as_mut().unwrap().stop_min_ticked = 1;
        assert!(!one.to_json_pretty().contains("stop_min_ticked"));
        let d = one.diff(&two);
        assert!(
            d.iter().any(|c| c.path == "phieu_a.stop_min_ticked"
                && c.description.contains("từ 1 tiêu chí → từ 2 tiêu chí")),
            "{d:?}"
        );
        v["phieu_a"]["stop_min_ticked"] = 3.into();
        assert!(err_of(&v).contains("stop_min_ticked"));
        v["phieu_a"]["stop_min_ticked"] = 0.into();
        assert!(err_of(&v).contains("stop_min_ticked"));
    }

    #[test]
    fn poverty_causes_are_optional_validated_and_default_to_the_shipped_list() {
        let d = default_poverty_causes().unwrap();
        assert_eq!(d.causes.len(), 8);
        assert_eq!(d.confidence, Confidence::Medium);
        assert_eq!(d.causes[0].label, "Thiếu đất sản xuất");
        let plain = RuleSet::from_json(BUILTIN_FILES[0].1).unwrap();
        assert!(plain.poverty_causes.is_none());
        let mut v = base_json();
        v["poverty_causes"] = serde_json::json!([]);
        assert!(err_of(&v).contains("nguyên nhân nghèo"));
        v["poverty_causes"] = serde_json::json!([
            {"id": "land", "label": "Thiếu đất"}, {"id": "land", "label": "Trùng"}
        ]);
        assert!(err_of(&v).contains("bị trùng"));
        v["poverty_causes"] = serde_json::json!([{"id": "land", "label": "Thiếu đất", "x": 1}]);
        assert!(RuleSet::from_json(&v.to_string()).is_err(), "unknown field");
        v["poverty_causes"] = serde_json::json!([{"id": "land", "label": "Thiếu đất"}]);
        let with = RuleSet::from_json(&v.to_string()).unwrap();
        let changes = plain.diff(&with);
        assert!(
            changes.iter().any(|c| c.path == "poverty_causes"),
            "{changes:?}"
        );
        let mut renamed = with.clone();
        renamed.poverty_causes = Some(vec![PovertyCause {
            id: "land".into(),
            label: "Thiếu đất canh tác".into(),
        }]);
        assert!(with.diff(&renamed).iter().any(|c| c
            .description
            .contains("sửa «Thiếu đất» → «Thiếu đất canh tác»")));
    }

    #[test]
    fn fingerprint_changes_with_content() {
        let a = RuleSet::from_json(BUILTIN_FILES[0].1).unwrap();
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.poor_min_score_b = 40;
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(RuleSet::from_json(&a.to_json_pretty()).unwrap(), a);
    }
}
