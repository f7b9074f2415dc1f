//! The report catalogue (danh mục báo cáo) and [`Ledger::build_report`]: every list, form and
//! statistical report of the app by a stable kebab-case name, built from the ledger through the
//! form builders of [`super::forms`]. It deliberately computes no classification: counts come
//! from the classes, transitions and deprivations the review stored.
//!
//! Names (stable, used by the CLI `giamngheo report NAME` and the UI):
//! - lists: `poor-list`, `near-poor-list`, `escaped-poor-list`, `escaped-near-poor-list`,
//!   `new-poor-list`, `new-near-poor-list`, `average-list`, `review-list` (Phụ lục I),
//!   `posting-list` (per village);
//! - forms: `decision` (Mẫu 02 with its lists), `certificate` (Mẫu 03, one household),
//!   `request-01`, `request-04` (pre-filled for a household, blank without one), `phieu-a`,
//!   `phieu-b1`, `phieu-b2` (blank, or pre-filled for a household in a round);
//! - reports, by village at a commune and by commune at an office: `result-summary`,
//!   `poor-movements`, `near-poor-movements`, `poor-deprivations`, `near-poor-deprivations`,
//!   `poor-deprivations-pct`, `near-poor-deprivations-pct`, `target-groups`, `by-ethnicity`,
//!   `poverty-causes` (the causes recorded on the surveys; the cause list is data, see
//!   [`Ledger::poverty_causes`]), `children-deprivations`, `poor-detail`, `near-poor-detail`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::data::{ReportHousehold, ReportMember, RoundData};
use super::forms::{self, *};
use super::model::*;
use super::BuildProgress;
use crate::error::{Error, Result};
use crate::register::parse_date;
use crate::rules::{MemberField, RuleSet};
use crate::Ledger;
use rusqlite::OptionalExtension;

/// What a catalogue entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Danh sách.
    List,
    /// Biểu mẫu.
    Form,
    /// Báo cáo thống kê.
    Report,
}

/// What a report must be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportNeeds {
    /// A review round (the latest decided round when none is given).
    Round,
    /// A household (and for the Phiếu, optionally a round).
    Household,
    /// Nothing (blank forms, pre-filled when a household is given).
    None,
}

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportInfo {
    pub name: String,
    /// Vietnamese title.
    pub title: String,
    pub kind: ReportKind,
    pub needs: ReportNeeds,
    pub orientation: Orientation,
}

/// The stage of an export that a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStage {
    /// Reading the ledger (đọc dữ liệu): survey and member rows.
    Reading,
    /// Rendering the document (table rows) and writing the file.
    Rendering,
}

/// Parameters of [`Ledger::build_report`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportParams {
    /// Review round; default the latest decided round.
    #[serde(default)]
    pub round_id: Option<String>,
    /// Household (internal id or display code).
    #[serde(default)]
    pub household_id: Option<String>,
    /// Village (id, code or name): keeps one village.
    #[serde(default)]
    pub village_id: Option<String>,
    /// Date of the place-and-date line; default today (the decision: its decision date).
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

const ENTRIES: &[(&str, &str, ReportKind, ReportNeeds, Orientation)] = {
    use Orientation::{Landscape as L, Portrait as P};
    use ReportKind::{Form as F, List as Li, Report as R};
    use ReportNeeds::{Household as H, None as N, Round as Ro};
    &[
        ("poor-list", "Danh sách hộ nghèo", Li, Ro, L),
        ("near-poor-list", "Danh sách hộ cận nghèo", Li, Ro, L),
        ("escaped-poor-list", "Danh sách hộ thoát nghèo", Li, Ro, L),
        (
            "escaped-near-poor-list",
            "Danh sách hộ thoát cận nghèo",
            Li,
            Ro,
            L,
        ),
        (
            "new-poor-list",
            "Danh sách hộ nghèo phát sinh mới",
            Li,
            Ro,
            L,
        ),
        (
            "new-near-poor-list",
            "Danh sách hộ cận nghèo phát sinh mới",
            Li,
            Ro,
            L,
        ),
        (
            "average-list",
            "Danh sách hộ có mức sống trung bình",
            Li,
            Ro,
            L,
        ),
        (
            "review-list",
            "Danh sách hộ gia đình cần rà soát (Phụ lục I)",
            Li,
            Ro,
            L,
        ),
        (
            "posting-list",
            "Danh sách niêm yết công khai theo thôn",
            Li,
            Ro,
            L,
        ),
        (
            "decision",
            "Quyết định công nhận danh sách (Mẫu số 02)",
            F,
            Ro,
            P,
        ),
        (
            "certificate",
            "Giấy chứng nhận hộ nghèo, hộ cận nghèo (Mẫu số 03)",
            F,
            H,
            P,
        ),
        ("request-01", "Giấy đề nghị rà soát (Mẫu số 01)", F, N, P),
        (
            "request-04",
            "Giấy đề nghị công nhận thoát nghèo (Mẫu số 04)",
            F,
            N,
            P,
        ),
        ("phieu-a", "Phiếu A — nhận dạng nhanh đặc điểm hộ", F, N, P),
        ("phieu-b1", "Phiếu B1 — thông tin hộ, điểm A", F, N, P),
        ("phieu-b2", "Phiếu B2 — chỉ số thiếu hụt, điểm B", F, N, P),
        (
            "result-summary",
            "Tổng hợp kết quả rà soát hộ nghèo, hộ cận nghèo",
            R,
            Ro,
            L,
        ),
        ("poor-movements", "Diễn biến hộ nghèo", R, Ro, L),
        ("near-poor-movements", "Diễn biến hộ cận nghèo", R, Ro, L),
        (
            "poor-deprivations",
            "Hộ nghèo theo chỉ số thiếu hụt (số hộ)",
            R,
            Ro,
            L,
        ),
        (
            "near-poor-deprivations",
            "Hộ cận nghèo theo chỉ số thiếu hụt (số hộ)",
            R,
            Ro,
            L,
        ),
        (
            "poor-deprivations-pct",
            "Hộ nghèo theo chỉ số thiếu hụt (tỷ lệ %)",
            R,
            Ro,
            L,
        ),
        (
            "near-poor-deprivations-pct",
            "Hộ cận nghèo theo chỉ số thiếu hụt (tỷ lệ %)",
            R,
            Ro,
            L,
        ),
        (
            "target-groups",
            "Hộ nghèo, hộ cận nghèo theo nhóm đối tượng",
            R,
            Ro,
            L,
        ),
        (
            "by-ethnicity",
            "Hộ nghèo, hộ cận nghèo theo dân tộc",
            R,
            Ro,
            L,
        ),
        (
            "poverty-causes",
            "Hộ nghèo, hộ cận nghèo theo nguyên nhân nghèo",
            R,
            Ro,
            L,
        ),
        (
            "children-deprivations",
            "Trẻ em trong hộ nghèo, hộ cận nghèo bị thiếu hụt",
            R,
            Ro,
            L,
        ),
        (
            "poor-detail",
            "Danh sách chi tiết hộ nghèo và thành viên",
            R,
            Ro,
            L,
        ),
        (
            "near-poor-detail",
            "Danh sách chi tiết hộ cận nghèo và thành viên",
            R,
            Ro,
            L,
        ),
    ]
};

/// Every report the app builds, in menu order.
pub fn catalog() -> Vec<ReportInfo> {
    ENTRIES
        .iter()
        .map(|(name, title, kind, needs, orientation)| ReportInfo {
            name: (*name).into(),
            title: (*title).into(),
            kind: *kind,
            needs: *needs,
            orientation: *orientation,
        })
        .collect()
}

/// The catalogue entry of `name`, or a Vietnamese error naming the valid choices.
pub fn report_info(name: &str) -> Result<ReportInfo> {
    catalog()
        .into_iter()
        .find(|r| r.name == name.trim())
        .ok_or_else(|| {
            Error::NotFound(format!(
                "Không có báo cáo tên “{}”. Xem danh sách bằng `giamngheo report --list`.",
                name.trim()
            ))
        })
}

/// Age under which a member is a child (trẻ em, Luật Trẻ em 2016: dưới 16 tuổi).
pub const CHILD_BELOW_AGE: i32 = 16;

/// Transition codes of each movement (from `rules::Transition::as_str`).
pub mod moves {
    pub const ESCAPED_POOR: &[&str] = &["escaped_poverty", "poor_to_near_poor"];
    pub const ESCAPED_NEAR_POOR: &[&str] = &["escaped_near_poverty"];
    pub const NEW_POOR: &[&str] = &["new_poor", "re_poor", "near_poor_to_poor"];
    pub const NEW_NEAR_POOR: &[&str] = &["new_near_poor", "poor_to_near_poor"];
}

fn transition_label(code: &str) -> &'static str {
    match code {
        "new_poor" => "Phát sinh mới",
        "re_poor" => "Tái nghèo",
        "remains_poor" => "Vẫn là hộ nghèo",
        "near_poor_to_poor" => "Từ hộ cận nghèo",
        "poor_to_near_poor" => "Thoát nghèo, thành hộ cận nghèo",
        "escaped_poverty" => "Thoát nghèo",
        "remains_near_poor" => "Vẫn là hộ cận nghèo",
        "new_near_poor" => "Cận nghèo phát sinh mới",
        "escaped_near_poverty" => "Thoát cận nghèo",
        "remains_outside" => "Không thuộc diện",
        _ => "",
    }
}

fn class_short(code: Option<&str>) -> &'static str {
    match code {
        Some("poor") => "Hộ nghèo",
        Some("near_poor") => "Hộ cận nghèo",
        Some("average") => "Mức sống trung bình",
        Some("not_poor") => "Không nghèo",
        _ => "",
    }
}

fn relation_label(code: &str) -> String {
    crate::register::RELATIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| (*l).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn ethnicity_name(code: Option<&str>) -> String {
    match code {
        Some(c) => crate::ethnicity::by_code(c)
            .map(|e| e.name.to_string())
            .unwrap_or_else(|| c.to_string()),
        None => String::new(),
    }
}

fn sex_of(code: &str) -> Option<Sex> {
    match code {
        "male" => Some(Sex::Male),
        "female" => Some(Sex::Female),
        _ => None,
    }
}

/// The school ages of the rule set's `attending_school` rule (3 ..< 16 in 2022–2025).
pub fn school_ages(rules: &RuleSet) -> (i32, i32) {
    for ind in &rules.indicators {
        for d in &ind.derivation {
            if let crate::rules::Derivation::MemberFlag {
                field: MemberField::AttendingSchool,
                min_age,
                below_age,
                ..
            } = d
            {
                return (
                    min_age.map(|a| a as i32).unwrap_or(0),
                    below_age.map(|a| a as i32).unwrap_or(CHILD_BELOW_AGE),
                );
            }
        }
    }
    (0, CHILD_BELOW_AGE)
}

/// A child's deprivation flags: (no health insurance, malnourished, not in school).
pub fn child_flags(m: &ReportMember, on: NaiveDate, school: (i32, i32)) -> Option<[bool; 3]> {
    let age = m.age_on(on)?;
    if !(0..CHILD_BELOW_AGE).contains(&age) {
        return None;
    }
    Some([
        m.health_insurance == Some(false),
        m.nutrition_status.as_deref().is_some_and(|n| n != "normal"),
        (school.0..school.1).contains(&age) && m.attending_school == Some(false),
    ])
}

fn member_line(m: &ReportMember, note: String) -> MemberLine {
    MemberLine {
        full_name: m.full_name.clone(),
        relation: relation_label(&m.relation),
        birth_year: m.birth_year.or_else(|| {
            m.birth_date.as_deref().and_then(parse_date).map(|d| {
                use chrono::Datelike;
                d.year()
            })
        }),
        sex: sex_of(&m.sex),
        ethnicity: ethnicity_name(m.ethnicity.as_deref()),
        id_number: m.id_number.clone().unwrap_or_default(),
        note,
    }
}

fn target_groups(h: &ReportHousehold) -> String {
    let mut g = Vec::new();
    if h.ethnic_minority {
        g.push("DTTS");
    }
    if h.no_labour {
        g.push("Không có khả năng lao động");
    }
    if h.merit {
        g.push("Có công");
    }
    g.join("; ")
}

/// The causes of poverty recorded on the household's survey, by label ("; "-separated); an id
/// the list no longer has is printed as it is.
fn cause_labels(d: &RoundData, h: &ReportHousehold) -> String {
    h.causes
        .iter()
        .map(|id| {
            d.causes
                .iter()
                .find(|c| &c.id == id)
                .map(|c| c.label.clone())
                .unwrap_or_else(|| id.clone())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn deprived_numbers(rules: &RuleSet, h: &ReportHousehold) -> String {
    rules
        .indicators
        .iter()
        .enumerate()
        .filter(|(_, i)| h.deprived.contains(&i.id))
        .map(|(n, _)| (n + 1).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Context shared by the builders.
struct Ctx {
    issuer: Issuer,
    date: Option<NaiveDate>,
    commune_name: String,
    place: String,
    residence_tail: String,
}

impl Ledger {
    fn report_ctx(&self, params: &ReportParams) -> Result<Ctx> {
        let info = self.setup_info()?.ok_or_else(|| {
            Error::Conflict("Cơ sở dữ liệu chưa được thiết lập: chưa có xã/cơ quan.".into())
        })?;
        let name = info
            .commune_name
            .trim_end_matches(" (dữ liệu mẫu)")
            .trim()
            .to_string();
        let office = info.kind == crate::setup::NodeKind::Office;
        let issuer = if office {
            Issuer {
                body_lines: vec![name.to_uppercase()],
                commune_name: name.clone(),
                place: info.province_name.clone(),
                signer_title: vec!["THỦ TRƯỞNG CƠ QUAN".into()],
                signer_name: None,
            }
        } else {
            Issuer {
                body_lines: vec![
                    "ỦY BAN NHÂN DÂN".into(),
                    format!("XÃ {}", name.to_uppercase()),
                ],
                commune_name: format!("xã {name}"),
                place: name.clone(),
                signer_title: vec!["TM. ỦY BAN NHÂN DÂN".into(), "CHỦ TỊCH".into()],
                signer_name: None,
            }
        };
        Ok(Ctx {
            place: issuer.place.clone(),
            commune_name: issuer.commune_name.clone(),
            residence_tail: if office {
                info.province_name.clone()
            } else {
                format!("xã {name}, {}", info.province_name)
            },
            issuer,
            date: Some(params.date.unwrap_or_else(|| self.clock().today())),
        })
    }

    /// Builds the report `name` (see [`catalog`]) from the ledger.
    pub fn build_report(&self, name: &str, params: &ReportParams) -> Result<Document> {
        self.build_report_with(name, params, &mut BuildProgress::none())
    }

    /// [`Ledger::build_report`] reporting the rows read to `progress`; a cancelled build
    /// returns the [`super::CANCELLED`] error (see [`super::is_cancelled`]) and no document.
    pub fn build_report_with(
        &self,
        name: &str,
        params: &ReportParams,
        progress: &mut BuildProgress<'_>,
    ) -> Result<Document> {
        let info = report_info(name)?;
        progress.report()?;
        let ctx = self.report_ctx(params)?;
        let village = match params
            .village_id
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        {
            Some(v) => Some(self.resolve_village(v)?),
            None => None,
        };
        let household = match params
            .household_id
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        {
            Some(h) => Some(self.resolve_household(h)?),
            None => None,
        };
        let round = params.round_id.as_deref().filter(|r| !r.trim().is_empty());
        let v = village.as_deref();
        let all = |_: &ReportHousehold| true;
        let none = |_: &ReportHousehold| false;
        let doc = match info.name.as_str() {
            "poor-list" | "near-poor-list" | "poor-detail" | "near-poor-detail" => {
                // The class lists differ only by title, class and layout.
                let (title, class, style) = match name {
                    "poor-list" => ("DANH SÁCH HỘ NGHÈO", "poor", ListStyle::Members),
                    "near-poor-list" => ("DANH SÁCH HỘ CẬN NGHÈO", "near_poor", ListStyle::Members),
                    "poor-detail" => ("DANH SÁCH CHI TIẾT HỘ NGHÈO", "poor", ListStyle::Detail),
                    _ => (
                        "DANH SÁCH CHI TIẾT HỘ CẬN NGHÈO",
                        "near_poor",
                        ListStyle::Detail,
                    ),
                };
                let f = |h: &ReportHousehold| h.is(class);
                let d = self.round_data_with(round, v, &f, progress)?;
                list_doc(&ctx, &d, title, &f, style)
            }
            "escaped-poor-list"
            | "escaped-near-poor-list"
            | "new-poor-list"
            | "new-near-poor-list" => {
                // The movement lists differ only by title and the transitions they keep.
                let (title, kept) = match name {
                    "escaped-poor-list" => ("DANH SÁCH HỘ THOÁT NGHÈO", moves::ESCAPED_POOR),
                    "escaped-near-poor-list" => {
                        ("DANH SÁCH HỘ THOÁT CẬN NGHÈO", moves::ESCAPED_NEAR_POOR)
                    }
                    "new-poor-list" => ("DANH SÁCH HỘ NGHÈO PHÁT SINH MỚI", moves::NEW_POOR),
                    _ => ("DANH SÁCH HỘ CẬN NGHÈO PHÁT SINH MỚI", moves::NEW_NEAR_POOR),
                };
                let f = |h: &ReportHousehold| h.moved(kept);
                let d = self.round_data_with(round, v, &f, progress)?;
                list_doc(&ctx, &d, title, &f, ListStyle::Transition)
            }
            "average-list" => {
                let f = |h: &ReportHousehold| h.is("average");
                let d = self.round_data_with(round, v, &f, progress)?;
                list_doc(
                    &ctx,
                    &d,
                    "DANH SÁCH HỘ LÀM NÔNG NGHIỆP, LÂM NGHIỆP, NGƯ NGHIỆP VÀ DIÊM NGHIỆP CÓ MỨC SỐNG TRUNG BÌNH",
                    &f,
                    ListStyle::Members,
                )
            }
            "review-list" => {
                let d = self.round_data_with(round, v, &none, progress)?;
                list_doc(
                    &ctx,
                    &d,
                    "DANH SÁCH HỘ GIA ĐÌNH CẦN RÀ SOÁT",
                    &all,
                    ListStyle::Review,
                )
            }
            "posting-list" => {
                let d = self.round_data_with(round, v, &none, progress)?;
                posting_doc(&ctx, &d)
            }
            "decision" => {
                let f = |h: &ReportHousehold| {
                    h.is("poor")
                        || h.is("near_poor")
                        || h.moved(moves::ESCAPED_POOR)
                        || h.moved(moves::ESCAPED_NEAR_POOR)
                };
                let d = self.round_data_with(round, v, &f, progress)?;
                decision_doc(&ctx, &d, params.date)
            }
            "certificate" => {
                let hid = household.ok_or_else(|| missing_household(&info))?;
                self.certificate_doc(&ctx, &hid)?
            }
            "request-01" | "request-04" => {
                self.request_doc(&ctx, &info.name, household.as_deref())?
            }
            "phieu-a" | "phieu-b1" | "phieu-b2" => {
                self.survey_doc(&ctx, &info.name, round, household.as_deref())?
            }
            "result-summary" => {
                let d = self.round_data_with(round, v, &none, progress)?;
                progress.report()?;
                let totals = self.register_totals(d.grouping, &d.units)?;
                result_summary(&ctx, &d, &totals, v.is_some())
            }
            "poor-movements" => {
                let d = self.round_data_with(round, v, &none, progress)?;
                progress.report()?;
                let totals = self.register_totals(d.grouping, &d.units)?;
                movements(&ctx, &d, &totals, true, v.is_some())
            }
            "near-poor-movements" => {
                let d = self.round_data_with(round, v, &none, progress)?;
                progress.report()?;
                let totals = self.register_totals(d.grouping, &d.units)?;
                movements(&ctx, &d, &totals, false, v.is_some())
            }
            "poor-deprivations"
            | "near-poor-deprivations"
            | "poor-deprivations-pct"
            | "near-poor-deprivations-pct" => {
                let d = self.round_data_with(round, v, &none, progress)?;
                let class = if info.name.starts_with("poor") {
                    "poor"
                } else {
                    "near_poor"
                };
                deprivations(&ctx, &d, class, info.name.ends_with("-pct"), v.is_some())
            }
            "target-groups" => {
                let d = self.round_data_with(round, v, &none, progress)?;
                target_groups_doc(&ctx, &d, v.is_some())
            }
            "by-ethnicity" => {
                let d = self.round_data_with(round, v, &none, progress)?;
                let register = self.register_by_ethnicity(v)?;
                by_ethnicity(&ctx, &d, &register)
            }
            "poverty-causes" => {
                let d = self.round_data_with(round, v, &none, progress)?;
                poverty_causes_doc(&ctx, &d, &d.causes, v.is_some())
            }
            "children-deprivations" => {
                let d = self.round_data_with(
                    round,
                    v,
                    &|h| h.is("poor") || h.is("near_poor"),
                    progress,
                )?;
                children(&ctx, &d, v.is_some())
            }
            other => {
                return Err(Error::NotFound(format!("Không có báo cáo tên “{other}”.")));
            }
        };
        doc.validate()?;
        progress.finish()?;
        Ok(doc)
    }

    /// Builds the report `name` and writes it to `path` in `format`, reporting each stage to
    /// `on_progress(stage, done, total)`; returning `false` cancels. A cancelled or failed
    /// export writes nothing (the file is written in one piece after rendering).
    pub fn export_report(
        &self,
        name: &str,
        params: &ReportParams,
        format: super::OutputFormat,
        path: &std::path::Path,
        on_progress: &mut dyn FnMut(ExportStage, usize, usize) -> bool,
    ) -> Result<Document> {
        let doc = {
            let mut cb = |d: usize, t: usize| on_progress(ExportStage::Reading, d, t);
            let mut p = BuildProgress::new(&mut cb);
            self.build_report_with(name, params, &mut p)?
        };
        let mut cb = |d: usize, t: usize| on_progress(ExportStage::Rendering, d, t);
        let mut p = super::Progress::new(&doc, &mut cb);
        super::write_file_with_progress(&doc, format, path, &mut p)?;
        Ok(doc)
    }

    /// Households and present members of the register per household ethnicity code.
    fn register_by_ethnicity(&self, village: Option<&str>) -> Result<BTreeMap<String, (i64, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT coalesce(ethnicity, ''), count(*), coalesce(sum(member_count), 0) FROM household
             WHERE deleted = 0 AND status = 'active' AND (?1 IS NULL OR village_id = ?1) GROUP BY 1",
        )?;
        let rows = stmt.query_map([village], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, i64>(1)?, r.get::<_, i64>(2)?),
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<BTreeMap<_, _>>>()?)
    }

    fn certificate_doc(&self, ctx: &Ctx, household_id: &str) -> Result<Document> {
        let h = self.household(household_id)?;
        let today = self.clock().today();
        let members: Vec<MemberLine> = register_members(&h, today);
        let head = applicant_of(&h, &ctx.residence_tail);
        // Every decided round with a poor / near-poor result for this household.
        let decided = self.decided_rounds()?;
        let latest = decided.last().ok_or_else(|| {
            Error::NotFound("Chưa có đợt rà soát nào đã có quyết định công nhận.".into())
        })?;
        let rules = self.round_rules(latest)?;
        let mut results: BTreeMap<i32, YearResult> = BTreeMap::new();
        let mut stmt = self.conn().prepare_cached(
            "SELECT class, deprived FROM survey WHERE round_id = ?1 AND household_id = ?2 AND deleted = 0 AND status = 'surveyed'",
        )?;
        for r in &decided {
            let row: Option<(Option<String>, Option<String>)> = stmt
                .query_row([&r.id, &h.id], |x| Ok((x.get(0)?, x.get(1)?)))
                .ok();
            let Some((class, deprived)) = row else {
                continue;
            };
            let class = match class.as_deref() {
                Some("poor") => Some(YearClass::Poor),
                Some("near_poor") => Some(YearClass::NearPoor),
                _ => None,
            };
            let deprived: Vec<String> = deprived
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default();
            let idx = rules
                .indicators
                .iter()
                .enumerate()
                .filter(|(_, i)| deprived.contains(&i.id))
                .map(|(n, _)| n)
                .collect();
            results.insert(
                r.year,
                YearResult {
                    year: r.year,
                    class,
                    deprived: idx,
                },
            );
        }
        if !results.values().any(|r| r.class.is_some()) {
            return Err(Error::Conflict(format!(
                "Hộ {} ({}) không có trong danh sách hộ nghèo, hộ cận nghèo của đợt rà soát nào đã có quyết định: không cấp giấy chứng nhận.",
                h.code, h.head_name
            )));
        }
        use chrono::Datelike;
        let years: Vec<i32> = (rules.valid_from.year()..=rules.valid_to.year()).collect();
        let number: Option<String> = self
            .conn()
            .query_row(
                "SELECT number FROM certificate WHERE household_id = ?1 ORDER BY issued_date DESC LIMIT 1",
                [&h.id],
                |r| r.get::<_, Option<String>>(0),
            )
            .ok()
            .flatten()
            .map(|n| n.split('/').next().unwrap_or("").to_string());
        Ok(form_03(&CertificateInput {
            issuer: ctx.issuer.clone(),
            number,
            date: ctx.date,
            head,
            members,
            indicators: rules.indicators.iter().map(|i| i.name.clone()).collect(),
            years,
            results: results.into_values().collect(),
        }))
    }

    fn request_doc(&self, ctx: &Ctx, name: &str, household: Option<&str>) -> Result<Document> {
        let (applicant, members) = match household {
            Some(id) => {
                let h = self.household(id)?;
                (
                    applicant_of(&h, &ctx.residence_tail),
                    register_members(&h, self.clock().today()),
                )
            }
            None => (Applicant::default(), Vec::new()),
        };
        let input = RequestInput {
            addressee: format!("Chủ tịch Ủy ban nhân dân {}", ctx.commune_name),
            applicant,
            members,
            reason: String::new(),
            place: ctx.place.clone(),
            date: if household.is_some() { ctx.date } else { None },
        };
        Ok(if name == "request-01" {
            form_01(RequestKind::Review, &input)
        } else {
            form_04(&input)
        })
    }

    fn survey_doc(
        &self,
        ctx: &Ctx,
        name: &str,
        round: Option<&str>,
        household: Option<&str>,
    ) -> Result<Document> {
        let kind = match name {
            "phieu-a" => SurveyKind::A,
            "phieu-b1" => SurveyKind::B1,
            _ => SurveyKind::B2,
        };
        // The round: the one named, else the latest round the household is in, else the latest.
        let round_id: Option<String> = match (round, household) {
            (Some(r), _) => Some(self.report_round(r)?.id),
            (None, Some(h)) => self
                .conn()
                .query_row(
                    "SELECT s.round_id FROM survey s JOIN review_round r ON r.id = s.round_id
                     WHERE s.household_id = ?1 AND s.deleted = 0 AND r.deleted = 0 ORDER BY r.start_date DESC LIMIT 1",
                    [h],
                    |r| r.get::<_, String>(0),
                )
                .ok(),
            (None, None) => self.report_round_list()?.first().map(|r| r.id.clone()),
        };
        let sets = self.rule_sets()?;
        let round_rules = match &round_id {
            Some(id) => self.round_rules(&self.report_round(id)?)?,
            None => sets.applicable_on(self.clock().today()).ok_or_else(|| {
                Error::NotFound("Không có chuẩn nghèo áp dụng cho hôm nay.".into())
            })?,
        };
        // Phiếu A and B1 are printed from the round's rule set when it carries them, else from
        // the latest version of the same standard (an office may load the official content
        // after the round opened). Nothing is invented when neither has it.
        let has = |r: &RuleSet| match kind {
            SurveyKind::A => r.phieu_a.is_some(),
            SurveyKind::B1 => r.b1_table.is_some(),
            SurveyKind::B2 => true,
        };
        let rules = if has(&round_rules) {
            round_rules
        } else {
            match sets.latest(&round_rules.id).filter(|r| has(r)) {
                Some(r) => r,
                None => return Err(missing_form_data(kind, &round_rules)),
            }
        };
        let region = self.setup_info()?.and_then(|i| i.b1_region);
        let mut input = SurveyInput {
            kind,
            issuer: ctx.issuer.clone(),
            household_head: String::new(),
            address: String::new(),
            household_code: String::new(),
            details: vec![
                ("Số nhân khẩu".into(), String::new()),
                ("Dân tộc của chủ hộ".into(), String::new()),
            ],
            items: Vec::new(),
            point_columns: Vec::new(),
            total: None,
            annex: None,
            notes: Vec::new(),
            place: ctx.place.clone(),
            date: None,
        };
        // What the household's survey recorded: (answers, deprived ids, source, status).
        type Saved = (
            crate::review::SurveyInput,
            Option<Vec<String>>,
            String,
            String,
        );
        let mut saved: Option<Saved> = None;
        if let Some(h) = household {
            let d = self.household(h)?;
            input.household_head = d.head_name.clone();
            input.address = [d.address.as_str(), d.village.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            input.household_code = d.code.clone();
            let present = d.members.iter().filter(|m| m.status == "present").count();
            let head_ethnicity = d
                .members
                .iter()
                .find(|m| Some(&m.id) == d.head_member_id.as_ref())
                .and_then(|m| m.ethnicity.clone())
                .or(d.ethnicity.clone());
            input.details = vec![
                ("Số nhân khẩu".into(), present.to_string()),
                (
                    "Dân tộc của chủ hộ".into(),
                    ethnicity_name(head_ethnicity.as_deref()),
                ),
            ];
            if let Some(r) = &round_id {
                let form = self.survey_form(r, h)?;
                let row: Option<(Option<String>, String, String)> = self
                    .conn()
                    .query_row(
                        "SELECT deprived, coalesce(source, ''), coalesce(status, 'pending') FROM survey
                         WHERE round_id = ?1 AND household_id = ?2 AND deleted = 0",
                        [r, h],
                        |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)),
                    )
                    .optional()?;
                input.date = form.saved.as_ref().and_then(|s| parse_date(&s.survey_date));
                if let (Some(s), Some((deprived, source, status))) = (form.saved, row) {
                    let deprived = deprived.and_then(|j| serde_json::from_str(&j).ok());
                    saved = Some((s, deprived, source, status));
                }
            }
        }
        let surveyed = saved
            .as_ref()
            .filter(|(_, _, _, status)| status == "surveyed");
        match kind {
            SurveyKind::A => {
                let Some(a) = rules.phieu_a.as_ref() else {
                    return Err(missing_form_data(kind, &rules));
                };
                // Ticks only when this survey went through Phiếu A (an applicant's survey).
                let asked = surveyed.filter(|(_, _, source, _)| source == "applicant");
                input.items = a
                    .items
                    .iter()
                    .map(|i| SurveyItem {
                        checked: asked.map(|(s, _, _, _)| s.phieu_a_ticked.contains(&i.id)),
                        ..SurveyItem::blank(i.label.clone())
                    })
                    .collect();
                input.annex = a.source.clone();
                input.notes.push(if a.stop_min_ticked <= 1 {
                    "Hộ có ít nhất một đặc điểm nêu trên thì dừng rà soát (không thuộc diện hộ nghèo, hộ cận nghèo); không có đặc điểm nào thì tiếp tục rà soát theo Phiếu B1, B2.".into()
                } else {
                    format!(
                        "Hộ có từ {} đặc điểm nêu trên trở lên thì dừng rà soát (không thuộc diện hộ nghèo, hộ cận nghèo); ít hơn thì tiếp tục rà soát theo Phiếu B1, B2.",
                        a.stop_min_ticked
                    )
                });
                input.notes.push(match asked {
                    Some((s, _, _, _)) => {
                        let ticked: std::collections::BTreeSet<String> =
                            s.phieu_a_ticked.iter().cloned().collect();
                        match rules.phieu_a_outcome(&ticked) {
                            Ok(crate::rules::PhieuAOutcome::Stop { .. }) => {
                                "Kết quả: dừng rà soát — hộ không thuộc diện hộ nghèo, hộ cận nghèo.".into()
                            }
                            Ok(_) => "Kết quả: tiếp tục rà soát theo Phiếu B1, B2.".into(),
                            Err(_) => "Kết quả: ".into(),
                        }
                    }
                    None => "Kết quả: ……………………………………………………………".into(),
                });
            }
            SurveyKind::B1 => {
                let Some(t) = rules.b1_table.as_ref() else {
                    return Err(missing_form_data(kind, &rules));
                };
                // The commune's region variant when the table has it, else every variant.
                let variants: Vec<&crate::rules::B1Variant> = match region
                    .as_deref()
                    .and_then(|r| t.variants.iter().find(|v| v.id == r))
                {
                    Some(v) => vec![v],
                    None => t.variants.iter().collect(),
                };
                input.point_columns = if variants.len() == 1 {
                    vec![variants[0].label.clone()]
                } else {
                    variants.iter().map(|v| v.id.clone()).collect()
                };
                let answers = surveyed.map(|(s, _, _, _)| &s.b1_answers);
                if variants.iter().any(|v| v.base_points != 0) {
                    input.items.push(SurveyItem {
                        scale: variants.iter().map(|v| Some(v.base_points)).collect(),
                        ..SurveyItem::blank("Điểm cơ bản của vùng")
                    });
                }
                for q in &t.questions {
                    input.items.push(SurveyItem::heading(q.label.clone()));
                    let chosen = answers.and_then(|a| a.get(&q.id));
                    for o in &q.options {
                        input.items.push(SurveyItem {
                            checked: chosen.map(|c| c == &o.id).filter(|b| *b),
                            scale: variants
                                .iter()
                                .map(|v| o.points.get(&v.id).copied())
                                .collect(),
                            ..SurveyItem::blank(o.label.clone())
                        });
                    }
                }
                // Score A as the survey stored it (typed from paper, or from the answers).
                input.total = surveyed.and_then(|(s, _, _, _)| s.score_a);
                input.annex = t.source.clone();
                if variants.len() > 1 {
                    input.notes.push(format!(
                        "Cột điểm theo vùng: {}. Chỉ cộng điểm của vùng nơi hộ cư trú.",
                        variants
                            .iter()
                            .map(|v| format!("{} = {}", v.id, v.label))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
                if let Some(line) = rules.score_a_line {
                    input.notes.push(format!(
                        "Ngưỡng điểm A: nông thôn ≤ {}, thành thị ≤ {} điểm ({}).",
                        line.rural, line.urban, rules.legal_short
                    ));
                }
            }
            SurveyKind::B2 => {
                input.items = rules
                    .indicators
                    .iter()
                    .map(|i| {
                        let deprived = surveyed
                            .and_then(|(_, d, _, _)| d.as_ref())
                            .map(|d| d.contains(&i.id));
                        SurveyItem {
                            checked: deprived,
                            points: deprived
                                .map(|d| if d { rules.points_per_indicator } else { 0 }),
                            ..SurveyItem::blank(format!("{} ({})", i.name, i.dimension))
                        }
                    })
                    .collect();
            }
        }
        Ok(survey_form(&input))
    }
}

/// The refusal of a Phiếu whose content the rule set lacks: names the data the office must load.
fn missing_form_data(kind: SurveyKind, rules: &RuleSet) -> Error {
    let (form, what, field, annex) = match kind {
        SurveyKind::A => (
            "Phiếu A",
            "danh sách tiêu chí nhận dạng nhanh",
            "«phieu_a»",
            "Phụ lục II",
        ),
        _ => (
            "Phiếu B1",
            "bảng điểm (câu hỏi, lựa chọn và điểm theo từng vùng)",
            "«b1_table»",
            "phụ lục tính điểm A",
        ),
    };
    Error::NotFound(format!(
        "Chưa in được {form}: chuẩn nghèo {} (phiên bản {}) chưa có {what} của {form} — mục {field} của tệp chuẩn nghèo — vì nội dung chính thức ({annex} của thông tư hướng dẫn) chưa được nạp. Văn phòng cần nạp tệp chuẩn nghèo có mục {field} (màn hình Chuẩn nghèo, hoặc lệnh `giamngheo rules load TỆP`); phần mềm không tự đặt ra nội dung phiếu.",
        rules.label, rules.version
    ))
}

fn missing_household(info: &ReportInfo) -> Error {
    Error::Invalid(format!(
        "“{}” ({}) lập cho một hộ: hãy chọn hộ gia đình (mã hộ).",
        info.title, info.name
    ))
}

fn register_members(h: &crate::register::HouseholdDetail, _today: NaiveDate) -> Vec<MemberLine> {
    let mut present: Vec<&crate::register::Member> =
        h.members.iter().filter(|m| m.status == "present").collect();
    present.sort_by_key(|m| Some(&m.id) != h.head_member_id.as_ref());
    present
        .into_iter()
        .map(|m| {
            member_line(
                &ReportMember {
                    full_name: m.full_name.clone(),
                    relation: m.relation.clone(),
                    birth_year: m.birth_year,
                    birth_date: m.birth_date.clone(),
                    sex: m.sex.clone(),
                    ethnicity: m.ethnicity.clone(),
                    id_number: m.id_number.clone(),
                    health_insurance: m.health_insurance,
                    attending_school: m.attending_school,
                    nutrition_status: m.nutrition_status.clone(),
                },
                String::new(),
            )
        })
        .collect()
}

fn applicant_of(h: &crate::register::HouseholdDetail, residence_tail: &str) -> Applicant {
    let head = h
        .members
        .iter()
        .find(|m| Some(&m.id) == h.head_member_id.as_ref())
        .or_else(|| h.members.iter().find(|m| m.relation == "head"));
    let residence = [h.address.as_str(), h.village.as_str(), residence_tail]
        .iter()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    Applicant {
        full_name: head
            .map(|m| m.full_name.clone())
            .unwrap_or_else(|| h.head_name.clone()),
        birth_date: head.and_then(|m| m.birth_date.as_deref().and_then(parse_date)),
        ethnicity: ethnicity_name(
            head.and_then(|m| m.ethnicity.as_deref())
                .or(h.ethnicity.as_deref()),
        ),
        id_number: head.and_then(|m| m.id_number.clone()).unwrap_or_default(),
        id_issued_on: None,
        id_issued_by: String::new(),
        residence,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ListStyle {
    /// Households with members (the poor / near-poor / average lists).
    Members,
    /// Households with members and the movement (escaped / new lists).
    Transition,
    /// Phụ lục I: households only, with the source and state of the survey.
    Review,
    /// Households with members, target groups, deprived indicators and member flags.
    Detail,
}

fn round_subtitle(ctx: &Ctx, d: &RoundData) -> String {
    if d.rounds.len() == 1 {
        format!("({} — {})", ctx.commune_name_cap(), d.round().title)
    } else {
        format!(
            "({} — {} đợt rà soát năm {})",
            ctx.commune_name_cap(),
            d.rounds.len(),
            d.year()
        )
    }
}

impl Ctx {
    fn commune_name_cap(&self) -> String {
        let mut c = self.commune_name.chars();
        match c.next() {
            Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
            None => String::new(),
        }
    }
}

fn list_households(
    d: &RoundData,
    filter: &dyn Fn(&ReportHousehold) -> bool,
    style: ListStyle,
) -> Vec<ListHousehold> {
    let school = school_ages(&d.rules);
    d.households
        .iter()
        .filter(|h| filter(h))
        .map(|h| {
            let members = match style {
                ListStyle::Review => Vec::new(),
                ListStyle::Detail => h
                    .members
                    .iter()
                    .map(|m| {
                        let flags = child_flags(m, d.reference_date, school)
                            .map(|f| {
                                [
                                    (f[0], "Không có BHYT"),
                                    (f[1], "Suy dinh dưỡng"),
                                    (f[2], "Không đi học"),
                                ]
                                .iter()
                                .filter(|(b, _)| *b)
                                .map(|(_, l)| *l)
                                .collect::<Vec<_>>()
                                .join("; ")
                            })
                            .unwrap_or_else(|| {
                                if m.health_insurance == Some(false) {
                                    "Không có BHYT".into()
                                } else {
                                    String::new()
                                }
                            });
                        member_line(m, flags)
                    })
                    .collect(),
                _ => h
                    .members
                    .iter()
                    .map(|m| member_line(m, String::new()))
                    .collect(),
            };
            let extra = match style {
                ListStyle::Members => Vec::new(),
                ListStyle::Transition => {
                    vec![transition_label(h.transition.as_deref().unwrap_or("")).into()]
                }
                ListStyle::Review => vec![
                    match h.source.as_str() {
                        "listed" => "Hộ nghèo, cận nghèo đầu kỳ",
                        "applicant" => "Hộ có giấy đề nghị",
                        "full" => "Rà soát toàn bộ",
                        _ => "",
                    }
                    .into(),
                    class_short(h.previous_class.as_deref()).into(),
                    if h.status == "surveyed" {
                        class_short(h.class.as_deref()).into()
                    } else if h.status == "resurvey" {
                        "Phải rà soát lại".into()
                    } else {
                        "Chưa rà soát".into()
                    },
                ],
                ListStyle::Detail => vec![
                    target_groups(h),
                    deprived_numbers(&d.rules, h),
                    cause_labels(d, h),
                ],
            };
            ListHousehold {
                head_name: h.head_name.clone(),
                village: h.village.clone(),
                members,
                score_b1: h.score_a,
                score_b2: h.score_b,
                extra,
                note: if style == ListStyle::Review {
                    h.code.clone()
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

fn list_input(
    ctx: &Ctx,
    d: &RoundData,
    title: &str,
    filter: &dyn Fn(&ReportHousehold) -> bool,
    style: ListStyle,
) -> HouseholdListInput {
    HouseholdListInput {
        title: format!("{title} NĂM {}", d.year()),
        subtitle: Some(round_subtitle(ctx, d)),
        households: list_households(d, filter, style),
        include_members: style != ListStyle::Review,
        group_by_village: true,
        show_scores: matches!(style, ListStyle::Detail | ListStyle::Review),
        extra_columns: match style {
            ListStyle::Members => Vec::new(),
            ListStyle::Transition => vec!["Diễn biến".into()],
            ListStyle::Review => vec!["Nguồn".into(), "Đầu kỳ".into(), "Kết quả".into()],
            ListStyle::Detail => vec![
                "Nhóm đối tượng".into(),
                "Chỉ số thiếu hụt (TT)".into(),
                "Nguyên nhân nghèo".into(),
            ],
        },
    }
}

fn list_doc(
    ctx: &Ctx,
    d: &RoundData,
    title: &str,
    filter: &dyn Fn(&ReportHousehold) -> bool,
    style: ListStyle,
) -> Document {
    let input = list_input(ctx, d, title, filter, style);
    let mut doc = household_list(&ctx.issuer, ctx.date, &input);
    if style == ListStyle::Detail {
        // The legend of the deprived-indicator numbers.
        let legend = d
            .rules
            .indicators
            .iter()
            .enumerate()
            .map(|(n, i)| format!("{}. {}", n + 1, i.name))
            .collect::<Vec<_>>()
            .join("; ");
        let pos = doc.blocks.len().saturating_sub(1);
        doc.blocks.insert(
            pos,
            Block::Paragraph(Paragraph::new(vec![Run::italic(format!(
                "Chỉ số thiếu hụt: {legend}."
            ))])),
        );
    }
    doc
}

fn posting_doc(ctx: &Ctx, d: &RoundData) -> Document {
    let mut doc = Document::new(
        format!("Danh sách niêm yết công khai năm {}", d.year()),
        Orientation::Landscape,
    );
    doc.header = Some(AdminHeader {
        issuer_lines: ctx.issuer.body_lines.clone(),
        number: None,
        national_title: true,
        place_date: Some(PlaceDate::new(ctx.place.clone(), ctx.date)),
    });
    let keep = |h: &ReportHousehold| {
        h.is("poor")
            || h.is("near_poor")
            || h.moved(moves::ESCAPED_POOR)
            || h.moved(moves::ESCAPED_NEAR_POOR)
    };
    let mut first = true;
    for (u, unit) in d.units.iter().enumerate() {
        let households: Vec<ListHousehold> =
            list_households(d, &|h| h.unit == u && keep(h), ListStyle::Members)
                .into_iter()
                .zip(d.households.iter().filter(|h| h.unit == u && keep(h)))
                .map(|(mut l, h)| {
                    l.members.truncate(1);
                    l.extra = vec![
                        class_short(h.class.as_deref()).into(),
                        transition_label(h.transition.as_deref().unwrap_or("")).into(),
                    ];
                    l
                })
                .collect();
        if households.is_empty() {
            continue;
        }
        if !first {
            doc.push(Block::Section(Orientation::Landscape));
        }
        first = false;
        let input = HouseholdListInput {
            title: format!(
                "DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO, HỘ THOÁT NGHÈO, HỘ THOÁT CẬN NGHÈO NĂM {} — {}",
                d.year(),
                unit.label.to_uppercase()
            ),
            subtitle: Some(format!(
                "(Niêm yết công khai tại nhà văn hóa, trụ sở {}; {})",
                unit.label, ctx.commune_name
            )),
            households,
            include_members: false,
            group_by_village: false,
            show_scores: true,
            extra_columns: vec!["Phân loại".into(), "Diễn biến".into()],
        };
        doc.blocks.extend(household_list_blocks(&input));
    }
    if first {
        doc.paragraph(Paragraph::title(format!(
            "DANH SÁCH NIÊM YẾT CÔNG KHAI NĂM {}",
            d.year()
        )));
        doc.paragraph(Paragraph::text(
            "Không có hộ nghèo, hộ cận nghèo trong phạm vi đã chọn.",
        ));
    }
    doc.push(Block::Signatures(SignatureBlock {
        recipients: Vec::new(),
        signers: vec![Signature::new(
            &["TRƯỞNG THÔN"],
            Some("(Ký, ghi rõ họ tên)"),
        )],
    }));
    doc
}

fn decision_doc(ctx: &Ctx, d: &RoundData, date: Option<NaiveDate>) -> Document {
    let r = d.round();
    let count = |f: &dyn Fn(&ReportHousehold) -> bool| {
        let hs: Vec<&ReportHousehold> = d.households.iter().filter(|h| f(h)).collect();
        (hs.len() as i64, hs.iter().map(|h| h.persons).sum::<i64>())
    };
    type Line<'a> = (&'a str, &'a dyn Fn(&ReportHousehold) -> bool, &'a str);
    let lines: [Line<'_>; 4] = [
        ("Số hộ nghèo", &|h| h.is("poor"), "DANH SÁCH HỘ NGHÈO"),
        (
            "Số hộ cận nghèo",
            &|h| h.is("near_poor"),
            "DANH SÁCH HỘ CẬN NGHÈO",
        ),
        (
            "Số hộ thoát nghèo",
            &|h| h.moved(moves::ESCAPED_POOR),
            "DANH SÁCH HỘ THOÁT NGHÈO",
        ),
        (
            "Số hộ thoát cận nghèo",
            &|h| h.moved(moves::ESCAPED_NEAR_POOR),
            "DANH SÁCH HỘ THOÁT CẬN NGHÈO",
        ),
    ];
    let counts = lines
        .iter()
        .map(|(label, f, _)| {
            let (households, persons) = count(*f);
            DecisionCount {
                label: (*label).into(),
                households,
                persons,
            }
        })
        .collect();
    let lists = lines
        .iter()
        .enumerate()
        .map(|(i, (_, f, title))| {
            let style = if i < 2 {
                ListStyle::Members
            } else {
                ListStyle::Transition
            };
            let mut l = list_input(ctx, d, title, *f, style);
            l.subtitle = None;
            l
        })
        .collect();
    let number = r
        .decision_number
        .as_deref()
        .map(|n| n.split('/').next().unwrap_or(n).to_string());
    form_02(&forms::DecisionInput {
        issuer: ctx.issuer.clone(),
        number,
        date: date.or_else(|| r.decision_date.as_deref().and_then(parse_date)),
        year: r.year,
        legal_bases: vec![
            "Luật Tổ chức chính quyền địa phương".into(),
            d.rules.legal_basis.trim().trim_end_matches(['.', ';']).to_string(),
        ],
        proposed_by: "Ban Chỉ đạo rà soát hộ nghèo, hộ cận nghèo".into(),
        counts,
        executors: "Văn phòng Ủy ban nhân dân, công chức phụ trách lao động - thương binh và xã hội, Trưởng các thôn và các hộ gia đình có tên trong danh sách".into(),
        recipients: vec![
            "- Như Điều 3;".into(),
            "- Cơ quan cấp trên (để báo cáo);".into(),
            "- Lưu: VT.".into(),
        ],
        lists,
    })
}

/// Per-unit count vectors, summed from `f` over the round's households; units of a village
/// filter or without data outside the filter are dropped, the "unknown" unit when empty.
fn per_unit(
    d: &RoundData,
    width: usize,
    f: &dyn Fn(&ReportHousehold, &mut [i64]),
) -> Vec<Vec<i64>> {
    let mut out = vec![vec![0i64; width]; d.units.len()];
    for h in &d.households {
        if let Some(row) = out.get_mut(h.unit) {
            f(h, row);
        }
    }
    out
}

fn stat_rows(d: &RoundData, counts: Vec<Vec<i64>>, filtered: bool) -> Vec<StatRow> {
    let last = d.units.len().saturating_sub(1);
    d.units
        .iter()
        .zip(counts)
        .enumerate()
        .filter(|(i, (_, c))| {
            let empty = c.iter().all(|v| *v == 0);
            !(empty && (*i == last || filtered))
        })
        .map(|(_, (u, counts))| StatRow {
            label: u.label.clone(),
            counts,
        })
        .collect()
}

fn stat_doc(
    ctx: &Ctx,
    d: &RoundData,
    title: &str,
    columns: Vec<StatColumn>,
    rows: Vec<StatRow>,
) -> Document {
    stat_report(
        &ctx.issuer,
        ctx.date,
        &StatTableInput {
            title: format!("{title} NĂM {}", d.year()),
            subtitle: Some(round_subtitle(ctx, d)),
            unit_label: d.grouping.unit_label().into(),
            columns,
            rows,
            total_label: Some("Tổng cộng".into()),
            percent_places: 2,
            numbering_row: true,
        },
    )
}

fn col(group: Option<&str>, label: &str, value: StatValue) -> StatColumn {
    StatColumn {
        group: group.map(str::to_owned),
        label: label.into(),
        value,
    }
}

fn result_summary(
    ctx: &Ctx,
    d: &RoundData,
    totals: &[super::data::UnitTotals],
    filtered: bool,
) -> Document {
    let mut counts = per_unit(d, 8, &|h, row| {
        let k = if h.is("poor") {
            2
        } else if h.is("near_poor") {
            4
        } else if h.is("average") {
            6
        } else {
            return;
        };
        row[k] += 1;
        row[k + 1] += h.persons;
    });
    for (row, t) in counts.iter_mut().zip(totals) {
        row[0] = t.households;
        row[1] = t.persons;
    }
    use StatValue::*;
    let columns = vec![
        col(Some("Tổng số"), "Số hộ", Count(0)),
        col(Some("Tổng số"), "Số khẩu", Count(1)),
        col(Some("Hộ nghèo"), "Số hộ", Count(2)),
        col(Some("Hộ nghèo"), "Tỷ lệ (%)", Percent { part: 2, whole: 0 }),
        col(Some("Hộ nghèo"), "Số khẩu", Count(3)),
        col(Some("Hộ cận nghèo"), "Số hộ", Count(4)),
        col(
            Some("Hộ cận nghèo"),
            "Tỷ lệ (%)",
            Percent { part: 4, whole: 0 },
        ),
        col(Some("Hộ cận nghèo"), "Số khẩu", Count(5)),
        col(Some("Hộ có mức sống trung bình"), "Số hộ", Count(6)),
        col(Some("Hộ có mức sống trung bình"), "Số khẩu", Count(7)),
    ];
    stat_doc(
        ctx,
        d,
        "TỔNG HỢP KẾT QUẢ RÀ SOÁT HỘ NGHÈO, HỘ CẬN NGHÈO",
        columns,
        stat_rows(d, counts, filtered),
    )
}

/// Movement counts of one household: [start, decrease total, decrease a, decrease b,
/// increase total, increase a, increase b, increase c, end].
pub fn movement_row(h: &ReportHousehold, poor: bool, row: &mut [i64]) {
    let (class, dec, inc): (&str, &[&str], &[&str]) = if poor {
        (
            "poor",
            &["escaped_poverty", "poor_to_near_poor"],
            &["new_poor", "re_poor", "near_poor_to_poor"],
        )
    } else {
        (
            "near_poor",
            &["escaped_near_poverty", "near_poor_to_poor"],
            &["new_near_poor", "poor_to_near_poor"],
        )
    };
    if h.previous_class.as_deref() == Some(class) {
        row[0] += 1;
    }
    if h.status == "surveyed" {
        let t = h.transition.as_deref().unwrap_or("");
        if let Some(i) = dec.iter().position(|x| *x == t) {
            row[1] += 1;
            row[2 + i] += 1;
        }
        if let Some(i) = inc.iter().position(|x| *x == t) {
            row[4] += 1;
            row[5 + i] += 1;
        }
    }
    if h.is(class) {
        row[8] += 1;
    }
}

fn movements(
    ctx: &Ctx,
    d: &RoundData,
    totals: &[super::data::UnitTotals],
    poor: bool,
    filtered: bool,
) -> Document {
    let mut counts = per_unit(d, 10, &|h, row| movement_row(h, poor, row));
    for (row, t) in counts.iter_mut().zip(totals) {
        row[9] = t.households;
    }
    use StatValue::*;
    let (what, dec, inc) = if poor {
        (
            "hộ nghèo",
            ["Thoát nghèo", "Chuyển thành hộ cận nghèo"],
            ["Phát sinh mới", "Tái nghèo", "Từ hộ cận nghèo"],
        )
    } else {
        (
            "hộ cận nghèo",
            ["Thoát cận nghèo", "Chuyển thành hộ nghèo"],
            ["Phát sinh mới", "Từ hộ nghèo", ""],
        )
    };
    let g_dec = format!("Số {what} giảm");
    let g_inc = format!("Số {what} tăng");
    let mut columns = vec![
        col(None, &format!("Số {what} đầu kỳ"), Count(0)),
        col(Some(&g_dec), "Tổng số", Count(1)),
        col(Some(&g_dec), dec[0], Count(2)),
        col(Some(&g_dec), dec[1], Count(3)),
        col(Some(&g_inc), "Tổng số", Count(4)),
        col(Some(&g_inc), inc[0], Count(5)),
        col(Some(&g_inc), inc[1], Count(6)),
    ];
    if !inc[2].is_empty() {
        columns.push(col(Some(&g_inc), inc[2], Count(7)));
    }
    columns.push(col(None, &format!("Số {what} cuối kỳ"), Count(8)));
    columns.push(col(
        None,
        &format!("Tỷ lệ {what} cuối kỳ (%)"),
        Percent { part: 8, whole: 9 },
    ));
    let title = if poor {
        "DIỄN BIẾN HỘ NGHÈO"
    } else {
        "DIỄN BIẾN HỘ CẬN NGHÈO"
    };
    let mut doc = stat_doc(ctx, d, title, columns, stat_rows(d, counts, filtered));
    let pos = doc.blocks.len().saturating_sub(1);
    doc.blocks.insert(
        pos,
        Block::Paragraph(Paragraph::new(vec![Run::italic(
            "Số cuối kỳ = số đầu kỳ − số giảm + số tăng. Tỷ lệ tính trên tổng số hộ trong sổ.",
        )])),
    );
    doc
}

fn deprivations(ctx: &Ctx, d: &RoundData, class: &str, pct: bool, filtered: bool) -> Document {
    let n = d.rules.indicators.len();
    let ids: Vec<&str> = d.rules.indicators.iter().map(|i| i.id.as_str()).collect();
    let counts = per_unit(d, n + 1, &|h, row| {
        if h.is(class) {
            row[0] += 1;
            for dep in &h.deprived {
                if let Some(i) = ids.iter().position(|x| x == dep) {
                    row[1 + i] += 1;
                }
            }
        }
    });
    let what = if class == "poor" {
        "hộ nghèo"
    } else {
        "hộ cận nghèo"
    };
    let mut columns = vec![col(None, &format!("Tổng số {what}"), StatValue::Count(0))];
    for (i, ind) in d.rules.indicators.iter().enumerate() {
        columns.push(col(
            Some(&ind.dimension),
            &ind.name,
            if pct {
                StatValue::Percent {
                    part: 1 + i,
                    whole: 0,
                }
            } else {
                StatValue::Count(1 + i)
            },
        ));
    }
    let title = format!(
        "{} THIẾU HỤT CÁC DỊCH VỤ XÃ HỘI CƠ BẢN{}",
        what.to_uppercase(),
        if pct {
            " (TỶ LỆ %)"
        } else {
            " (SỐ HỘ)"
        }
    );
    stat_doc(ctx, d, &title, columns, stat_rows(d, counts, filtered))
}

/// Target-group flags of a household: [ethnic minority, no labour capacity, merit, other].
pub fn target_flags(h: &ReportHousehold) -> [bool; 4] {
    let other = !(h.ethnic_minority || h.no_labour || h.merit);
    [h.ethnic_minority, h.no_labour, h.merit, other]
}

fn target_groups_doc(ctx: &Ctx, d: &RoundData, filtered: bool) -> Document {
    let counts = per_unit(d, 10, &|h, row| {
        let base = if h.is("poor") {
            0
        } else if h.is("near_poor") {
            5
        } else {
            return;
        };
        row[base] += 1;
        for (i, f) in target_flags(h).iter().enumerate() {
            if *f {
                row[base + 1 + i] += 1;
            }
        }
    });
    let mut columns = Vec::new();
    for (g, base) in [("Hộ nghèo", 0), ("Hộ cận nghèo", 5)] {
        columns.push(col(Some(g), "Tổng số", StatValue::Count(base)));
        for (i, l) in [
            "Dân tộc thiểu số",
            "Không có khả năng lao động",
            "Có công với cách mạng",
            "Khác",
        ]
        .iter()
        .enumerate()
        {
            columns.push(col(Some(g), l, StatValue::Count(base + 1 + i)));
        }
    }
    let mut doc = stat_doc(
        ctx,
        d,
        "HỘ NGHÈO, HỘ CẬN NGHÈO THEO NHÓM ĐỐI TƯỢNG",
        columns,
        stat_rows(d, counts, filtered),
    );
    let pos = doc.blocks.len().saturating_sub(1);
    doc.blocks.insert(
        pos,
        Block::Paragraph(Paragraph::new(vec![Run::italic(
            "Một hộ có thể thuộc nhiều nhóm đối tượng; “Khác” là hộ không thuộc nhóm nào.",
        )])),
    );
    doc
}

fn by_ethnicity(ctx: &Ctx, d: &RoundData, register: &BTreeMap<String, (i64, i64)>) -> Document {
    let mut rows: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (code, (h, p)) in register {
        let r = rows.entry(code.clone()).or_insert_with(|| vec![0; 6]);
        r[0] += h;
        r[1] += p;
    }
    for h in &d.households {
        let k = if h.is("poor") {
            2
        } else if h.is("near_poor") {
            4
        } else {
            continue;
        };
        let r = rows
            .entry(h.ethnicity.clone().unwrap_or_default())
            .or_insert_with(|| vec![0; 6]);
        r[k] += 1;
        r[k + 1] += h.persons;
    }
    let stat_rows: Vec<StatRow> = rows
        .into_iter()
        .map(|(code, counts)| StatRow {
            label: if code.is_empty() {
                "(Chưa rõ dân tộc)".into()
            } else {
                ethnicity_name(Some(&code))
            },
            counts,
        })
        .collect();
    use StatValue::*;
    let columns = vec![
        col(Some("Tổng số"), "Số hộ", Count(0)),
        col(Some("Tổng số"), "Số khẩu", Count(1)),
        col(Some("Hộ nghèo"), "Số hộ", Count(2)),
        col(Some("Hộ nghèo"), "Tỷ lệ (%)", Percent { part: 2, whole: 0 }),
        col(Some("Hộ nghèo"), "Số khẩu", Count(3)),
        col(Some("Hộ cận nghèo"), "Số hộ", Count(4)),
        col(
            Some("Hộ cận nghèo"),
            "Tỷ lệ (%)",
            Percent { part: 4, whole: 0 },
        ),
        col(Some("Hộ cận nghèo"), "Số khẩu", Count(5)),
    ];
    let mut doc = stat_report(
        &ctx.issuer,
        ctx.date,
        &StatTableInput {
            title: format!("HỘ NGHÈO, HỘ CẬN NGHÈO THEO DÂN TỘC NĂM {}", d.year()),
            subtitle: Some(round_subtitle(ctx, d)),
            unit_label: "Dân tộc".into(),
            columns,
            rows: stat_rows,
            total_label: Some("Tổng cộng".into()),
            percent_places: 2,
            numbering_row: true,
        },
    );
    doc.title = format!("Hộ nghèo, hộ cận nghèo theo dân tộc năm {}", d.year());
    doc
}

fn children(ctx: &Ctx, d: &RoundData, filtered: bool) -> Document {
    let school = school_ages(&d.rules);
    let on = d.reference_date;
    let counts = per_unit(d, 8, &|h, row| {
        let base = if h.is("poor") {
            0
        } else if h.is("near_poor") {
            4
        } else {
            return;
        };
        for m in &h.members {
            if let Some(f) = child_flags(m, on, school) {
                row[base] += 1;
                for (i, b) in f.iter().enumerate() {
                    if *b {
                        row[base + 1 + i] += 1;
                    }
                }
            }
        }
    });
    let mut columns = Vec::new();
    let school_label = format!("Không đi học ({}–{} tuổi)", school.0, school.1 - 1);
    for (g, base) in [
        ("Trẻ em trong hộ nghèo", 0),
        ("Trẻ em trong hộ cận nghèo", 4),
    ] {
        columns.push(col(Some(g), "Số trẻ em", StatValue::Count(base)));
        columns.push(col(Some(g), "Không có BHYT", StatValue::Count(base + 1)));
        columns.push(col(Some(g), "Suy dinh dưỡng", StatValue::Count(base + 2)));
        columns.push(col(Some(g), &school_label, StatValue::Count(base + 3)));
    }
    let mut doc = stat_doc(
        ctx,
        d,
        "TRẺ EM TRONG HỘ NGHÈO, HỘ CẬN NGHÈO BỊ THIẾU HỤT",
        columns,
        stat_rows(d, counts, filtered),
    );
    let pos = doc.blocks.len().saturating_sub(1);
    doc.blocks.insert(
        pos,
        Block::Paragraph(Paragraph::new(vec![Run::italic(format!(
            "Trẻ em: thành viên dưới {CHILD_BELOW_AGE} tuổi tại ngày {} (ngày tham chiếu của đợt rà soát).",
            super::format::format_date_short(on)
        ))])),
    );
    doc
}

/// Columns of the report by cause of poverty: the catalogue's causes, then any cause id found on
/// a survey that the catalogue no longer lists (kept visible rather than dropped).
pub fn cause_columns(
    d: &RoundData,
    catalogue: &[crate::rules::PovertyCause],
) -> Vec<(String, String)> {
    let mut cols: Vec<(String, String)> = catalogue
        .iter()
        .map(|c| (c.id.clone(), c.label.clone()))
        .collect();
    for h in d
        .households
        .iter()
        .filter(|h| h.is("poor") || h.is("near_poor"))
    {
        for id in &h.causes {
            if !cols.iter().any(|(c, _)| c == id) {
                cols.push((id.clone(), format!("“{id}” (ngoài danh mục)")));
            }
        }
    }
    cols
}

/// Counts of one household in the report by cause: per class group [households, each cause…,
/// no cause recorded], poor first then near-poor (`n` = number of cause columns).
pub fn cause_row(h: &ReportHousehold, ids: &[&str], row: &mut [i64]) {
    let n = ids.len();
    let base = if h.is("poor") {
        0
    } else if h.is("near_poor") {
        n + 2
    } else {
        return;
    };
    row[base] += 1;
    let mut any = false;
    for c in &h.causes {
        if let Some(i) = ids.iter().position(|x| x == c) {
            row[base + 1 + i] += 1;
            any = true;
        }
    }
    if !any {
        row[base + n + 1] += 1;
    }
}

fn poverty_causes_doc(
    ctx: &Ctx,
    d: &RoundData,
    catalogue: &[crate::rules::PovertyCause],
    filtered: bool,
) -> Document {
    let cols = cause_columns(d, catalogue);
    let ids: Vec<&str> = cols.iter().map(|(id, _)| id.as_str()).collect();
    let n = ids.len();
    let counts = per_unit(d, 2 * (n + 2), &|h, row| cause_row(h, &ids, row));
    // One table per class: 10 columns each fit an A4 landscape page, 20 would not.
    let table_of = |base: usize, group: &str| {
        let columns = std::iter::once(col(Some(group), "Tổng số hộ", StatValue::Count(0)))
            .chain(
                cols.iter()
                    .enumerate()
                    .map(|(i, (_, label))| col(Some(group), label, StatValue::Count(1 + i))),
            )
            .chain(std::iter::once(col(
                Some(group),
                "Chưa ghi nguyên nhân",
                StatValue::Count(n + 1),
            )))
            .collect();
        let part: Vec<Vec<i64>> = counts
            .iter()
            .map(|c| c[base..base + n + 2].to_vec())
            .collect();
        // A unit is printed in both tables when it has data in either.
        let rows: Vec<StatRow> = stat_rows(d, counts.clone(), filtered)
            .into_iter()
            .filter_map(|r| {
                let i = d.units.iter().position(|u| u.label == r.label)?;
                Some(StatRow {
                    label: r.label,
                    counts: part[i].clone(),
                })
            })
            .collect();
        stat_table(&StatTableInput {
            title: String::new(),
            subtitle: None,
            unit_label: d.grouping.unit_label().into(),
            columns,
            rows,
            total_label: Some("Tổng cộng".into()),
            percent_places: 2,
            numbering_row: true,
        })
    };
    let mut doc = stat_report(
        &ctx.issuer,
        ctx.date,
        &StatTableInput {
            title: format!(
                "PHÂN NHÓM HỘ NGHÈO, HỘ CẬN NGHÈO THEO CÁC NGUYÊN NHÂN NGHÈO NĂM {}",
                d.year()
            ),
            subtitle: Some(round_subtitle(ctx, d)),
            unit_label: String::new(),
            columns: Vec::new(),
            rows: Vec::new(),
            total_label: None,
            percent_places: 2,
            numbering_row: false,
        },
    );
    // Replace the empty table of the frame with the two class tables and their headings.
    let at = doc
        .blocks
        .iter()
        .position(|b| matches!(b, Block::Table(_)))
        .unwrap_or(doc.blocks.len().saturating_sub(1));
    doc.blocks.remove(at);
    let heading = |t: &str| {
        let mut p = Paragraph::new(vec![Run::bold(t)]);
        p.space_after = 2.0;
        Block::Paragraph(p)
    };
    let note = Block::Paragraph(Paragraph::new(vec![Run::italic(
        "Một hộ có thể có nhiều nguyên nhân nghèo nên tổng các cột nguyên nhân có thể lớn hơn số hộ; “Chưa ghi nguyên nhân” là hộ mà phiếu rà soát chưa ghi nguyên nhân nào.",
    )]));
    let blocks = vec![
        heading("I. HỘ NGHÈO"),
        Block::Table(table_of(0, "Hộ nghèo")),
        heading("II. HỘ CẬN NGHÈO"),
        Block::Table(table_of(n + 2, "Hộ cận nghèo")),
        note,
    ];
    for (k, b) in blocks.into_iter().enumerate() {
        doc.blocks.insert(at + k, b);
    }
    doc
}
