//! The household register (sổ hộ): households (hộ gia đình), members (thành viên), household
//! events (biến động: sinh, chết, chuyển đi, kết hôn, đổi chủ hộ, tách hộ, nhập hộ, chuyển thôn) and
//! each household's history. Validation of personal data lives here; every write goes through
//! [`Ledger::transact`]. Deliberately absent: classification (that is `rules` and `review`).

use crate::error::{Error, FieldError, Result};
use crate::ledger::{new_id, Change, Ledger, OpKind};
use chrono::{Datelike, NaiveDate};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Reference lists

/// A code and its Vietnamese label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefItem {
    pub code: String,
    pub label: String,
}

fn items(list: &[(&str, &str)]) -> Vec<RefItem> {
    list.iter()
        .map(|(c, l)| RefItem {
            code: (*c).into(),
            label: (*l).into(),
        })
        .collect()
}

pub const RELATIONS: &[(&str, &str)] = &[
    ("head", "Chủ hộ"),
    ("spouse", "Vợ/chồng"),
    ("child", "Con"),
    ("child_in_law", "Con dâu/con rể"),
    ("grandchild", "Cháu"),
    ("parent", "Bố/mẹ"),
    ("parent_in_law", "Bố/mẹ vợ hoặc chồng"),
    ("grandparent", "Ông/bà"),
    ("sibling", "Anh/chị/em"),
    ("other", "Quan hệ khác"),
];
pub const SEXES: &[(&str, &str)] = &[("male", "Nam"), ("female", "Nữ")];
pub const EDUCATION_LEVELS: &[(&str, &str)] = &[
    ("none", "Chưa đi học / không biết chữ"),
    ("primary", "Tiểu học"),
    ("lower_secondary", "Trung học cơ sở"),
    ("upper_secondary", "Trung học phổ thông"),
    ("vocational_elementary", "Sơ cấp nghề"),
    ("vocational_intermediate", "Trung cấp"),
    ("college", "Cao đẳng"),
    ("university", "Đại học trở lên"),
];
pub const WORK_STATUSES: &[(&str, &str)] = &[
    ("farming", "Làm nông, lâm, ngư, diêm nghiệp"),
    ("self_employed", "Tự kinh doanh, buôn bán, dịch vụ"),
    ("wage", "Làm công ăn lương"),
    (
        "unemployed",
        "Thất nghiệp (muốn làm nhưng không tìm được việc)",
    ),
    ("student", "Đang đi học"),
    ("housework", "Nội trợ"),
    ("retired", "Nghỉ hưu"),
    ("no_capacity", "Không có khả năng lao động"),
    ("child", "Trẻ em chưa đến tuổi lao động"),
];
pub const NUTRITION_STATUSES: &[(&str, &str)] = &[
    ("normal", "Bình thường"),
    ("stunted", "Suy dinh dưỡng thể thấp còi"),
    ("underweight", "Suy dinh dưỡng thể nhẹ cân"),
];
pub const EVENT_KINDS: &[(&str, &str)] = &[
    ("birth", "Sinh"),
    ("death", "Chết"),
    ("move_away", "Chuyển đi"),
    ("marriage", "Kết hôn"),
    ("change_head", "Thay đổi chủ hộ"),
    ("split", "Tách hộ"),
    ("merge", "Nhập hộ"),
    ("move_village", "Chuyển thôn/xóm"),
];
pub const MEMBER_STATUSES: &[(&str, &str)] = &[
    ("present", "Đang ở trong hộ"),
    ("dead", "Đã chết"),
    ("moved_away", "Đã chuyển đi"),
];

fn label_of(list: &[(&str, &str)], code: &str) -> String {
    list.iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// Every code list the forms need, with Vietnamese labels.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferenceLists {
    pub ethnicities: Vec<RefItem>,
    pub relations: Vec<RefItem>,
    pub sexes: Vec<RefItem>,
    pub education_levels: Vec<RefItem>,
    pub work_statuses: Vec<RefItem>,
    pub nutrition_statuses: Vec<RefItem>,
    pub event_kinds: Vec<RefItem>,
    pub village_kinds: Vec<RefItem>,
    pub roles: Vec<RefItem>,
}

pub fn reference_lists() -> ReferenceLists {
    use crate::setup::{Role, VillageKind};
    ReferenceLists {
        ethnicities: crate::ethnicity::ethnicities()
            .iter()
            .map(|e| RefItem {
                code: e.code.to_string(),
                label: e.name.to_string(),
            })
            .collect(),
        relations: items(RELATIONS),
        sexes: items(SEXES),
        education_levels: items(EDUCATION_LEVELS),
        work_statuses: items(WORK_STATUSES),
        nutrition_statuses: items(NUTRITION_STATUSES),
        event_kinds: items(EVENT_KINDS),
        village_kinds: VillageKind::all()
            .iter()
            .map(|k| RefItem {
                code: k.as_str().into(),
                label: k.label().into(),
            })
            .collect(),
        roles: [Role::Reviewer, Role::CommuneOfficer, Role::OfficeOfficer]
            .iter()
            .map(|r| RefItem {
                code: r.as_str().into(),
                label: r.label().into(),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Types

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdQuery {
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub village_id: Option<String>,
    /// "ethnic_minority" | "no_labour" | "merit"
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub offset: u32,
    #[serde(default)]
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdSummary {
    pub id: String,
    pub code: String,
    pub head_name: String,
    pub village_id: String,
    pub village: String,
    pub members: i64,
    pub address: String,
    pub ethnic_minority: bool,
    pub no_labour: bool,
    pub merit: bool,
    pub class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdPage {
    pub total: u64,
    pub offset: u32,
    pub items: Vec<HouseholdSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInput {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub birth_year: Option<i32>,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub ethnicity: Option<String>,
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub health_insurance_card: Option<String>,
    #[serde(default)]
    pub health_insurance: Option<bool>,
    #[serde(default)]
    pub attending_school: Option<bool>,
    #[serde(default)]
    pub education_level: Option<String>,
    #[serde(default)]
    pub work_status: Option<String>,
    #[serde(default)]
    pub labour_contract: Option<bool>,
    #[serde(default)]
    pub disability: Option<bool>,
    #[serde(default)]
    pub social_allowance: Option<bool>,
    #[serde(default)]
    pub nutrition_status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdInput {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub village_id: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub ethnicity: Option<String>,
    #[serde(default)]
    pub ethnic_minority: bool,
    #[serde(default)]
    pub no_labour: bool,
    #[serde(default)]
    pub merit: bool,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub members: Vec<MemberInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub household_id: String,
    pub full_name: String,
    pub birth_date: Option<String>,
    pub birth_year: Option<i32>,
    pub sex: String,
    pub ethnicity: Option<String>,
    pub relation: String,
    pub id_number: Option<String>,
    pub health_insurance_card: Option<String>,
    pub health_insurance: Option<bool>,
    pub attending_school: Option<bool>,
    pub education_level: Option<String>,
    pub work_status: Option<String>,
    pub labour_contract: Option<bool>,
    pub disability: Option<bool>,
    pub social_allowance: Option<bool>,
    pub nutrition_status: Option<String>,
    /// "45 tuổi", or "khoảng 80 tuổi" when only the birth year is known.
    pub age_text: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdEvent {
    pub id: String,
    pub household_id: String,
    pub kind: String,
    pub date: String,
    pub member_id: Option<String>,
    pub note: String,
    /// A Vietnamese sentence describing the event.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdDetail {
    pub id: String,
    pub code: String,
    pub village_id: String,
    pub village: String,
    pub address: String,
    pub ethnicity: Option<String>,
    pub ethnic_minority: bool,
    pub no_labour: bool,
    pub merit: bool,
    pub note: String,
    pub head_member_id: Option<String>,
    pub head_name: String,
    pub status: String,
    pub members: Vec<Member>,
    pub events: Vec<HouseholdEvent>,
    pub class: Option<String>,
    /// Set when the office has approved or locked this household (or returned it to another
    /// laptop): an edit typed here is kept and sent, but shown only once the office accepts it
    /// (yêu cầu thay đổi). The Vietnamese sentence the household screen shows.
    #[serde(default)]
    pub office_hold: Option<String>,
}

/// A validation message for one field; `severity` is "error" (blocks saving) or "warning".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
    pub severity: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveOutcome {
    pub household: HouseholdDetail,
    pub warnings: Vec<FieldIssue>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventInput {
    pub household_id: String,
    pub kind: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub member_id: Option<String>,
    #[serde(default)]
    pub new_member: Option<MemberInput>,
    #[serde(default)]
    pub member_ids: Vec<String>,
    #[serde(default)]
    pub target_household_id: Option<String>,
    #[serde(default)]
    pub target_village_id: Option<String>,
    #[serde(default)]
    pub new_head_member_id: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryChange {
    pub field: String,
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub time: String,
    pub user: String,
    pub device: String,
    /// Vietnamese description, e.g. "Thêm thành viên Nông Thị Phương".
    pub what: String,
    pub changes: Vec<HistoryChange>,
}

// ---------------------------------------------------------------------------------------------
// Dates and ages

/// Parse a date typed as `YYYY-MM-DD` or the Vietnamese `DD/MM/YYYY`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// Age in full years on `on` ("từ đủ N tuổi"): someone born exactly N years before is N.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

fn age_text(birth_date: Option<&str>, birth_year: Option<i32>, today: NaiveDate) -> String {
    if let Some(d) = birth_date.and_then(parse_date) {
        let a = age_on(d, today);
        if a < 1 {
            let months = (today.year() - d.year()) * 12 + today.month() as i32
                - d.month() as i32
                - i32::from(today.day() < d.day());
            return format!("{} tháng tuổi", months.max(0));
        }
        return format!("{a} tuổi");
    }
    match birth_year {
        Some(y) => format!("khoảng {} tuổi", today.year() - y),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Validation

fn valid_code(list: &[(&str, &str)], code: &str) -> bool {
    list.iter().any(|(c, _)| *c == code)
}

fn is_bhyt_card(s: &str) -> bool {
    let s = s.trim();
    // Mã số BHXH (10 digits, printed on cards since 2021) or the older 15-character card code.
    (s.len() == 10 && s.chars().all(|c| c.is_ascii_digit()))
        || (s.len() == 15
            && s[..2].chars().all(|c| c.is_ascii_uppercase())
            && s[2..].chars().all(|c| c.is_ascii_digit()))
}

/// All problems of a household form: errors block saving, warnings do not.
pub fn check_household_input(
    conn: &rusqlite::Connection,
    input: &HouseholdInput,
    today: NaiveDate,
) -> Result<Vec<FieldIssue>> {
    let mut out = Vec::new();
    let err = |out: &mut Vec<FieldIssue>, f: String, m: String| {
        out.push(FieldIssue {
            field: f,
            message: m,
            severity: "error".into(),
        })
    };
    let warn = |out: &mut Vec<FieldIssue>, f: String, m: String| {
        out.push(FieldIssue {
            field: f,
            message: m,
            severity: "warning".into(),
        })
    };
    if input.village_id.trim().is_empty() {
        err(&mut out, "village_id".into(), "Chưa chọn thôn/xóm.".into());
    } else {
        let exists: bool = conn
            .query_row(
                "SELECT 1 FROM village WHERE id = ?1 AND deleted = 0",
                [&input.village_id],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if !exists {
            err(
                &mut out,
                "village_id".into(),
                "Thôn/xóm không tồn tại.".into(),
            );
        }
    }
    if let Some(e) = input.ethnicity.as_deref().filter(|e| !e.is_empty()) {
        if crate::ethnicity::by_code(e).is_none() {
            err(
                &mut out,
                "ethnicity".into(),
                format!("Mã dân tộc không hợp lệ: {e}"),
            );
        }
    }
    if input.members.is_empty() {
        err(
            &mut out,
            "members".into(),
            "Hộ phải có ít nhất một thành viên (chủ hộ).".into(),
        );
    }
    let heads = input
        .members
        .iter()
        .filter(|m| m.relation == "head")
        .count();
    if !input.members.is_empty() && heads == 0 {
        err(
            &mut out,
            "members".into(),
            "Chưa chọn chủ hộ: một thành viên phải có quan hệ “Chủ hộ”.".into(),
        );
    }
    if heads > 1 {
        err(
            &mut out,
            "members".into(),
            "Mỗi hộ chỉ có một chủ hộ.".into(),
        );
    }
    let mut ids_seen: Vec<(usize, String)> = Vec::new();
    for (i, m) in input.members.iter().enumerate() {
        let f = |name: &str| format!("members[{i}].{name}");
        let name = m.full_name.trim();
        if name.is_empty() {
            err(&mut out, f("full_name"), "Chưa nhập họ và tên.".into());
        } else if name.chars().any(|c| c.is_ascii_digit()) {
            err(
                &mut out,
                f("full_name"),
                "Họ và tên không được chứa chữ số.".into(),
            );
        } else if name.chars().count() > 80 {
            err(
                &mut out,
                f("full_name"),
                "Họ và tên quá dài (tối đa 80 ký tự).".into(),
            );
        }
        if !valid_code(SEXES, &m.sex) {
            err(&mut out, f("sex"), "Chưa chọn giới tính (Nam/Nữ).".into());
        }
        if !valid_code(RELATIONS, &m.relation) {
            err(
                &mut out,
                f("relation"),
                "Chưa chọn quan hệ với chủ hộ.".into(),
            );
        }
        let mut year = m.birth_year;
        match m.birth_date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => match parse_date(s) {
                None => err(
                    &mut out,
                    f("birth_date"),
                    format!("Ngày sinh “{s}” không hợp lệ: nhập theo dạng ngày/tháng/năm, ví dụ 05/03/1978."),
                ),
                Some(d) if d > today => {
                    err(&mut out, f("birth_date"), "Ngày sinh ở tương lai: kiểm tra lại.".into())
                }
                Some(d) => {
                    let a = age_on(d, today);
                    if a > 120 {
                        err(
                            &mut out,
                            f("birth_date"),
                            format!("Tuổi {a} là không hợp lý (trên 120 tuổi): kiểm tra lại năm sinh."),
                        );
                    }
                    if let Some(y) = m.birth_year {
                        if y != d.year() {
                            err(
                                &mut out,
                                f("birth_year"),
                                format!("Năm sinh {y} không khớp với ngày sinh {}.", d.format("%d/%m/%Y")),
                            );
                        }
                    }
                    year = Some(d.year());
                }
            },
            None => match m.birth_year {
                None => err(&mut out, f("birth_date"), "Cần nhập ngày sinh hoặc ít nhất năm sinh.".into()),
                Some(y) if y > today.year() => {
                    err(&mut out, f("birth_year"), "Năm sinh ở tương lai: kiểm tra lại.".into())
                }
                Some(y) if today.year() - y > 120 => err(
                    &mut out,
                    f("birth_year"),
                    format!("Năm sinh {y} cho tuổi trên 120 là không hợp lý: kiểm tra lại."),
                ),
                Some(_) => {}
            },
        }
        if let Some(e) = m.ethnicity.as_deref().filter(|e| !e.is_empty()) {
            if crate::ethnicity::by_code(e).is_none() {
                err(
                    &mut out,
                    f("ethnicity"),
                    format!("Mã dân tộc không hợp lệ: {e}"),
                );
            }
        }
        if let Some(raw) = m.id_number.as_deref().filter(|s| !s.trim().is_empty()) {
            let sex = valid_code(SEXES, &m.sex).then_some(m.sex.as_str());
            let check = crate::cccd::check_id_number(raw, sex, year);
            if let Some(e) = &check.error {
                err(&mut out, f("id_number"), e.message.clone());
            }
            for w in &check.warnings {
                warn(&mut out, f("id_number"), w.message.clone());
            }
            if check.error.is_none() {
                let normalized = check.normalized.clone();
                if let Some((j, _)) = ids_seen.iter().find(|(_, v)| *v == normalized) {
                    err(
                        &mut out,
                        f("id_number"),
                        format!(
                            "Số định danh trùng với thành viên thứ {} trong cùng hộ.",
                            j + 1
                        ),
                    );
                } else {
                    ids_seen.push((i, normalized.clone()));
                    let other: Option<(String, String)> = conn
                        .query_row(
                            "SELECT m.full_name, coalesce(h.code, '') FROM member m LEFT JOIN household h ON h.id = m.household_id
                             WHERE m.id_number = ?1 AND m.deleted = 0 AND m.id IS NOT ?2 AND m.household_id IS NOT ?3 LIMIT 1",
                            params![normalized, m.id, input.id],
                            |r| Ok((r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get(1)?)),
                        )
                        .optional()?;
                    if let Some((who, code)) = other {
                        warn(
                            &mut out,
                            f("id_number"),
                            format!("Số định danh này đã có trong sổ: {who} (hộ {code}). Kiểm tra trùng người."),
                        );
                    }
                }
            }
        }
        if let Some(card) = m
            .health_insurance_card
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            if !is_bhyt_card(card) {
                warn(
                    &mut out,
                    f("health_insurance_card"),
                    "Mã thẻ BHYT thường gồm 10 chữ số (mã số BHXH) hoặc 15 ký tự (2 chữ cái và 13 chữ số).".into(),
                );
            }
        }
        for (field, value, list) in [
            ("education_level", &m.education_level, EDUCATION_LEVELS),
            ("work_status", &m.work_status, WORK_STATUSES),
            ("nutrition_status", &m.nutrition_status, NUTRITION_STATUSES),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                if !valid_code(list, v) {
                    err(&mut out, f(field), format!("Giá trị không hợp lệ: {v}"));
                }
            }
        }
        if let (Some(y), Some(n)) = (year, m.nutrition_status.as_deref()) {
            if n != "normal" && today.year() - y > 16 {
                warn(
                    &mut out,
                    f("nutrition_status"),
                    "Tình trạng suy dinh dưỡng chỉ xét cho trẻ em dưới 16 tuổi.".into(),
                );
            }
        }
    }
    Ok(out)
}

fn issues_to_error(issues: &[FieldIssue]) -> Option<Error> {
    let errors: Vec<FieldError> = issues
        .iter()
        .filter(|i| i.severity == "error")
        .map(|i| FieldError {
            field: i.field.clone(),
            message: i.message.clone(),
        })
        .collect();
    (!errors.is_empty()).then_some(Error::Fields(errors))
}

// ---------------------------------------------------------------------------------------------
// Reading

fn opt_bool(v: Option<i64>) -> Option<bool> {
    v.map(|x| x != 0)
}

const MEMBER_COLUMNS: &str = "id, coalesce(household_id, ''), coalesce(full_name, ''), birth_date, birth_year, coalesce(sex, ''), ethnicity,
     coalesce(relation, 'other'), id_number, health_insurance_card, health_insurance, attending_school, education_level,
     work_status, labour_contract, disability, social_allowance, nutrition_status, status";

fn row_to_member(r: &rusqlite::Row<'_>, today: NaiveDate) -> rusqlite::Result<Member> {
    let birth_date: Option<String> = r.get(3)?;
    let birth_year: Option<i32> = r.get(4)?;
    Ok(Member {
        id: r.get(0)?,
        household_id: r.get(1)?,
        full_name: r.get(2)?,
        age_text: age_text(birth_date.as_deref(), birth_year, today),
        birth_date,
        birth_year,
        sex: r.get(5)?,
        ethnicity: r.get(6)?,
        relation: r.get(7)?,
        id_number: r.get(8)?,
        health_insurance_card: r.get(9)?,
        health_insurance: opt_bool(r.get(10)?),
        attending_school: opt_bool(r.get(11)?),
        education_level: r.get(12)?,
        work_status: r.get(13)?,
        labour_contract: opt_bool(r.get(14)?),
        disability: opt_bool(r.get(15)?),
        social_allowance: opt_bool(r.get(16)?),
        nutrition_status: r.get(17)?,
        status: r.get(18)?,
    })
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Ledger {
    /// One page of the register. Search ignores case and diacritics (đ = d) and matches the code,
    /// head, any member's name and the address; results are in Vietnamese order of the head's name.
    pub fn list_households(&self, q: &HouseholdQuery) -> Result<HouseholdPage> {
        let limit = if q.limit == 0 { 50 } else { q.limit.min(1000) };
        let (total, items) = self.query_households(q, Some((limit, q.offset)))?;
        Ok(HouseholdPage {
            total,
            offset: q.offset,
            items,
        })
    }

    /// Every household matching `q` (its `offset` and `limit` are ignored), in the same order as
    /// [`Ledger::list_households`] pages them. For exports and `household list --json`: paging
    /// through 150,000 households 1,000 at a time repeats the count and skips ever more rows per
    /// page (quadratic; about 2 minutes at 150,000 in benches/ledger.rs), this is one query.
    pub fn list_all_households(&self, q: &HouseholdQuery) -> Result<Vec<HouseholdSummary>> {
        Ok(self.query_households(q, None)?.1)
    }

    /// The register query behind both listings; `page` = `(limit, offset)`, or `None` for all
    /// rows (then no count is made and the total is the number of rows returned).
    fn query_households(
        &self,
        q: &HouseholdQuery,
        page: Option<(u32, u32)>,
    ) -> Result<(u64, Vec<HouseholdSummary>)> {
        let mut clauses = vec!["h.deleted = 0".to_owned(), "h.status = 'active'".to_owned()];
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        // Ranking of text matches: the typed words in order at the start of a word of the head
        // ("chu van" → Chu Văn Định), then every word whole in the head (Lò Văn Chu), then every word
        // starting a word of the head ("van" → Vàng), then contained anywhere in the head, then
        // matches on other members, the code or the address.
        let mut rank_levels: Vec<Vec<String>> = vec![Vec::new(); 4];
        let terms = q
            .search
            .as_deref()
            .map(crate::text::search_terms)
            .unwrap_or_default();
        // Ranking only (the count query binds no parameter for it): SQL string literals of the
        // folded words, LIKE wildcards escaped and quotes doubled.
        let lit = |t: &str| escape_like(t).replace('\'', "''");
        if !terms.is_empty() {
            rank_levels[0].push(format!(
                "(' ' || h.head_search) LIKE '% {}%' ESCAPE '\\'",
                lit(&terms.join(" "))
            ));
        }
        for term in &terms {
            args.push(rusqlite::types::Value::Text(format!(
                "%{}%",
                escape_like(term)
            )));
            let any = args.len();
            clauses.push(format!("h.search_text LIKE ?{any} ESCAPE '\\'"));
            rank_levels[1].push(format!(
                "(' ' || h.head_search || ' ') LIKE '% {} %' ESCAPE '\\'",
                lit(term)
            ));
            rank_levels[2].push(format!(
                "(' ' || h.head_search) LIKE '% {}%' ESCAPE '\\'",
                lit(term)
            ));
            rank_levels[3].push(format!("h.head_search LIKE ?{any} ESCAPE '\\'"));
        }
        let rank = if terms.is_empty() {
            String::new()
        } else {
            let whens: Vec<String> = rank_levels
                .iter()
                .enumerate()
                .map(|(i, conds)| format!("WHEN {} THEN {i}", conds.join(" AND ")))
                .collect();
            format!("CASE {} ELSE 4 END, ", whens.join(" "))
        };
        if let Some(v) = q.village_id.as_deref().filter(|v| !v.is_empty()) {
            args.push(rusqlite::types::Value::Text(v.to_owned()));
            clauses.push(format!("h.village_id = ?{}", args.len()));
        }
        for flag in &q.flags {
            match flag.as_str() {
                "ethnic_minority" => clauses.push("h.ethnic_minority = 1".into()),
                "no_labour" => clauses.push("h.no_labour = 1".into()),
                "merit" => clauses.push("h.merit = 1".into()),
                other => return Err(Error::Invalid(format!("Bộ lọc không hợp lệ: {other}"))),
            }
        }
        let filter = clauses.join(" AND ");
        let total: Option<i64> = match page {
            Some(_) => Some(self.conn().query_row(
                &format!("SELECT count(*) FROM household h WHERE {filter}"),
                rusqlite::params_from_iter(args.iter()),
                |r| r.get(0),
            )?),
            None => None,
        };
        // Performance (benches/ledger.rs): without a text, village or flag filter, SQLite's planner
        // scans the whole table and sorts every household into a temporary B-tree for each page
        // (about 1 ms per 1,000 households). Walking the `household_sort` index instead returns
        // the first page at once; the ORDER BY is unchanged, so the rows and their order are too.
        // (Listing every row is better served by one sequential scan and sort: no hint then.)
        let hint = if page.is_some() && args.is_empty() && q.flags.is_empty() {
            " INDEXED BY household_sort"
        } else {
            ""
        };
        let sql = format!(
            "SELECT h.id, coalesce(h.code, ''), h.head_name, coalesce(h.village_id, ''), coalesce(v.name, ''),
                    h.member_count, coalesce(h.address, ''), h.ethnic_minority, h.no_labour, h.merit
             FROM household h{hint} LEFT JOIN village v ON v.id = h.village_id
             WHERE {filter} ORDER BY {rank}h.sort_key, h.code{}",
            match page {
                Some((limit, offset)) => format!(" LIMIT {limit} OFFSET {offset}"),
                None => String::new(),
            }
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok(HouseholdSummary {
                id: r.get(0)?,
                code: r.get(1)?,
                head_name: r.get(2)?,
                village_id: r.get(3)?,
                village: r.get(4)?,
                members: r.get(5)?,
                address: r.get(6)?,
                ethnic_minority: r.get::<_, i64>(7)? != 0,
                no_labour: r.get::<_, i64>(8)? != 0,
                merit: r.get::<_, i64>(9)? != 0,
                class: None,
            })
        })?;
        let mut items = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        for item in &mut items {
            item.class = self.decided_class(&item.id)?;
        }
        let total = total.map(|t| t as u64).unwrap_or(items.len() as u64);
        Ok((total, items))
    }

    pub fn household(&self, id: &str) -> Result<HouseholdDetail> {
        let today = self.clock().today();
        let conn = self.conn();
        let base = conn
            .query_row(
                "SELECT h.id, coalesce(h.code, ''), coalesce(h.village_id, ''), coalesce(v.name, ''), coalesce(h.address, ''),
                        h.ethnicity, h.ethnic_minority, h.no_labour, h.merit, coalesce(h.note, ''), h.head_member_id,
                        h.head_name, h.status, h.deleted
                 FROM household h LEFT JOIN village v ON v.id = h.village_id WHERE h.id = ?1",
                [id],
                |r| {
                    Ok((
                        HouseholdDetail {
                            id: r.get(0)?,
                            code: r.get(1)?,
                            village_id: r.get(2)?,
                            village: r.get(3)?,
                            address: r.get(4)?,
                            ethnicity: r.get(5)?,
                            ethnic_minority: r.get::<_, i64>(6)? != 0,
                            no_labour: r.get::<_, i64>(7)? != 0,
                            merit: r.get::<_, i64>(8)? != 0,
                            note: r.get(9)?,
                            head_member_id: r.get(10)?,
                            head_name: r.get(11)?,
                            status: r.get(12)?,
                            members: Vec::new(),
                            events: Vec::new(),
                            class: None,
                            office_hold: None,
                        },
                        r.get::<_, i64>(13)?,
                    ))
                },
            )
            .optional()?;
        let Some((mut detail, deleted)) = base else {
            return Err(Error::NotFound(format!(
                "Không tìm thấy hộ có mã nội bộ {id}."
            )));
        };
        if deleted != 0 {
            return Err(Error::NotFound("Hộ này đã bị xoá khỏi sổ.".into()));
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {MEMBER_COLUMNS} FROM member WHERE household_id = ?1 AND deleted = 0
             ORDER BY CASE status WHEN 'present' THEN 0 ELSE 1 END, position, id"
        ))?;
        detail.members = stmt
            .query_map([id], |r| row_to_member(r, today))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        detail.office_hold = crate::review_items::office_hold(conn, id)?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, coalesce(household_id, ''), coalesce(kind, ''), coalesce(date, ''), member_id, coalesce(note, ''),
                    other_household_id, village_id
             FROM household_event WHERE (household_id = ?1 OR other_household_id = ?1) AND deleted = 0 ORDER BY date DESC, id DESC",
        )?;
        let events = stmt
            .query_map([id], |r| {
                Ok((
                    HouseholdEvent {
                        id: r.get(0)?,
                        household_id: r.get(1)?,
                        kind: r.get(2)?,
                        date: r.get(3)?,
                        member_id: r.get(4)?,
                        note: r.get(5)?,
                        summary: String::new(),
                    },
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (mut e, other, village) in events {
            e.summary = self.event_summary(&e, other.as_deref(), village.as_deref())?;
            detail.events.push(e);
        }
        detail.class = self.decided_class(id)?;
        Ok(detail)
    }

    fn name_of_member(&self, id: &str) -> Result<String> {
        Ok(self
            .conn()
            .query_row("SELECT full_name FROM member WHERE id = ?1", [id], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()?
            .flatten()
            .unwrap_or_else(|| "(không rõ)".into()))
    }

    fn event_summary(
        &self,
        e: &HouseholdEvent,
        other: Option<&str>,
        village: Option<&str>,
    ) -> Result<String> {
        let who = match &e.member_id {
            Some(m) => self.name_of_member(m)?,
            None => String::new(),
        };
        let date = parse_date(&e.date)
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default();
        let other_code = match other {
            Some(h) => self
                .conn()
                .query_row("SELECT code FROM household WHERE id = ?1", [h], |r| {
                    r.get::<_, Option<String>>(0)
                })
                .optional()?
                .flatten()
                .unwrap_or_default(),
            None => String::new(),
        };
        let village_name = match village {
            Some(v) => self
                .conn()
                .query_row("SELECT name FROM village WHERE id = ?1", [v], |r| {
                    r.get::<_, Option<String>>(0)
                })
                .optional()?
                .flatten()
                .unwrap_or_default(),
            None => String::new(),
        };
        let s = match e.kind.as_str() {
            "birth" => format!("{date}: sinh {who}"),
            "death" => format!("{date}: {who} chết"),
            "move_away" if who.is_empty() => format!("{date}: cả hộ chuyển đi"),
            "move_away" => format!("{date}: {who} chuyển đi"),
            "marriage" => format!("{date}: kết hôn — {who}"),
            "change_head" => format!("{date}: đổi chủ hộ sang {who}"),
            "split" => format!("{date}: tách hộ (hộ {other_code})"),
            "merge" => format!("{date}: nhập hộ (vào hộ {other_code})"),
            "move_village" => format!("{date}: chuyển sang {village_name}"),
            k => format!("{date}: {}", label_of(EVENT_KINDS, k)),
        };
        Ok(s)
    }

    /// Inline validation for the form: errors and warnings, nothing written.
    pub fn check_household(&self, input: &HouseholdInput) -> Vec<FieldIssue> {
        match check_household_input(self.conn(), input, self.clock().today()) {
            Ok(v) => v,
            Err(e) => vec![FieldIssue {
                field: String::new(),
                message: e.to_string(),
                severity: "error".into(),
            }],
        }
    }

    /// Create or update a household with its members in one transaction. Only changed fields are
    /// written, so edits of different fields on different laptops merge without a question.
    pub fn save_household(&mut self, input: &HouseholdInput) -> Result<SaveOutcome> {
        let today = self.clock().today();
        let issues = check_household_input(self.conn(), input, today)?;
        if let Some(e) = issues_to_error(&issues) {
            return Err(e);
        }
        let warnings: Vec<FieldIssue> = issues
            .into_iter()
            .filter(|i| i.severity == "warning")
            .collect();
        let existing = match &input.id {
            Some(id) => Some(self.household(id)?),
            None => None,
        };
        let id = self.transact("save_household", |w| {
            let id = input.id.clone().unwrap_or_else(new_id);
            let mut hh = Change::new(
                "household",
                id.clone(),
                if existing.is_some() {
                    OpKind::Update
                } else {
                    OpKind::Create
                },
            );
            let old = existing.as_ref();
            if old.is_none() {
                hh.put("code", w.next_household_code());
                hh.put("commune_code", w.identity().commune_code.clone());
                hh.put("status", "active");
                hh.put("created_at", w.device_time().to_owned());
            }
            let ethnicity = input.ethnicity.clone().filter(|e| !e.is_empty());
            set_if_changed(
                &mut hh,
                "village_id",
                old.map(|o| json_str(&o.village_id)),
                json_str(&input.village_id),
            );
            set_if_changed(
                &mut hh,
                "address",
                old.map(|o| json_str(&o.address)),
                json_str(input.address.trim()),
            );
            set_if_changed(
                &mut hh,
                "ethnicity",
                old.map(|o| json_opt(&o.ethnicity)),
                json_opt(&ethnicity),
            );
            set_if_changed(
                &mut hh,
                "ethnic_minority",
                old.map(|o| o.ethnic_minority.into()),
                input.ethnic_minority.into(),
            );
            set_if_changed(
                &mut hh,
                "no_labour",
                old.map(|o| o.no_labour.into()),
                input.no_labour.into(),
            );
            set_if_changed(
                &mut hh,
                "merit",
                old.map(|o| o.merit.into()),
                input.merit.into(),
            );
            set_if_changed(
                &mut hh,
                "note",
                old.map(|o| json_str(&o.note)),
                json_str(input.note.trim()),
            );

            let mut head_id = None;
            let mut member_changes = Vec::new();
            for (pos, m) in input.members.iter().enumerate() {
                let mid = m.id.clone().unwrap_or_else(new_id);
                let before =
                    old.and_then(|o| o.members.iter().find(|x| Some(&x.id) == m.id.as_ref()));
                if m.id.is_some() && before.is_none() {
                    return Err(Error::NotFound(format!(
                        "Thành viên thứ {} không thuộc hộ này (có thể đã bị xoá).",
                        pos + 1
                    )));
                }
                if m.relation == "head" {
                    head_id = Some(mid.clone());
                }
                let mut c = Change::new(
                    "member",
                    mid,
                    if before.is_some() {
                        OpKind::Update
                    } else {
                        OpKind::Create
                    },
                );
                if before.is_none() {
                    c.put("household_id", id.clone());
                    c.put("status", "present");
                }
                member_fields(&mut c, before, m, pos as i64);
                member_changes.push(c);
            }
            set_if_changed(
                &mut hh,
                "head_member_id",
                old.map(|o| json_opt(&o.head_member_id)),
                json_opt(&head_id),
            );
            if !hh.set.is_empty() {
                w.apply(hh)?;
            }
            for c in member_changes {
                if !c.set.is_empty() {
                    w.apply(c)?;
                }
            }
            // Members left out of the form are removed (an entry mistake); people who die or
            // move away are recorded with an event instead, which keeps them in the history.
            if let Some(o) = old {
                for gone in o
                    .members
                    .iter()
                    .filter(|x| !input.members.iter().any(|m| m.id.as_ref() == Some(&x.id)))
                {
                    if gone.status == "present" {
                        w.apply(
                            Change::new("member", gone.id.clone(), OpKind::Delete)
                                .with("deleted", true),
                        )?;
                    }
                }
            }
            Ok(id)
        })?;
        Ok(SaveOutcome {
            household: self.household(&id)?,
            warnings,
        })
    }

    /// Record a household event (birth, death, …) and the register changes it implies, at once.
    pub fn record_event(&mut self, e: &EventInput) -> Result<HouseholdDetail> {
        let today = self.clock().today();
        let hh = self.household(&e.household_id)?;
        if hh.status != "active" {
            return Err(Error::Conflict(
                "Hộ này không còn hoạt động trong sổ (đã nhập hộ khác hoặc chuyển đi).".into(),
            ));
        }
        let date = match parse_date(&e.date) {
            Some(d) if d > today => {
                return Err(Error::field(
                    "date",
                    "Ngày biến động ở tương lai: kiểm tra lại.",
                ))
            }
            Some(d) => d,
            None => {
                return Err(Error::field(
                    "date",
                    "Ngày biến động không hợp lệ (nhập ngày/tháng/năm).",
                ))
            }
        };
        if !valid_code(EVENT_KINDS, &e.kind) {
            return Err(Error::field("kind", "Loại biến động không hợp lệ."));
        }
        let present: Vec<&Member> = hh
            .members
            .iter()
            .filter(|m| m.status == "present")
            .collect();
        let member = |id: &Option<String>, field: &str| -> Result<&Member> {
            let id = id
                .as_deref()
                .ok_or_else(|| Error::field(field, "Chưa chọn thành viên."))?;
            present
                .iter()
                .copied()
                .find(|m| m.id == id)
                .ok_or_else(|| Error::field(field, "Thành viên không có trong hộ."))
        };
        // Validate a new member with the same rules as the household form.
        if let Some(nm) = &e.new_member {
            let probe = HouseholdInput {
                id: Some(hh.id.clone()),
                village_id: hh.village_id.clone(),
                members: vec![MemberInput {
                    relation: if nm.relation == "head" {
                        "other".into()
                    } else {
                        nm.relation.clone()
                    },
                    ..nm.clone()
                }],
                ..Default::default()
            };
            let issues: Vec<FieldIssue> = check_household_input(self.conn(), &probe, today)?
                .into_iter()
                .filter(|i| i.field.starts_with("members[0]"))
                .map(|i| FieldIssue {
                    field: i.field.replacen("members[0]", "new_member", 1),
                    ..i
                })
                .collect();
            if let Some(err) = issues_to_error(&issues) {
                return Err(err);
            }
        }
        let event_id = new_id();
        let mut event = Change::new("household_event", event_id, OpKind::Create)
            .with("household_id", hh.id.clone())
            .with("kind", e.kind.clone())
            .with("date", date.format("%Y-%m-%d").to_string())
            .with("note", e.note.trim());
        let mut changes: Vec<Change> = Vec::new();
        let mut new_household: Option<(String, Vec<String>, String, String)> = None;
        match e.kind.as_str() {
            "birth" => {
                let nm = e.new_member.as_ref().ok_or_else(|| {
                    Error::field("new_member", "Chưa nhập thông tin trẻ mới sinh.")
                })?;
                let (c, mid) = joining_member(&hh, nm, "child");
                changes.push(c);
                event.put("member_id", mid);
            }
            "marriage" => {
                if let Some(nm) = &e.new_member {
                    let (c, mid) = joining_member(&hh, nm, "spouse");
                    changes.push(c);
                    event.put("member_id", mid);
                } else {
                    let m = member(&e.member_id, "member_id")?;
                    if Some(&m.id) == hh.head_member_id.as_ref() && present.len() > 1 {
                        return Err(Error::field(
                            "member_id",
                            "Chủ hộ chuyển đi: hãy đổi chủ hộ trước.",
                        ));
                    }
                    changes.push(
                        Change::new("member", m.id.clone(), OpKind::Update)
                            .with("status", "moved_away"),
                    );
                    event.put("member_id", m.id.clone());
                }
            }
            "death" | "move_away" => {
                if e.kind == "move_away" && e.member_id.is_none() {
                    changes.push(
                        Change::new("household", hh.id.clone(), OpKind::Update)
                            .with("status", "moved_away"),
                    );
                } else {
                    let m = member(&e.member_id, "member_id")?;
                    let is_head = Some(&m.id) == hh.head_member_id.as_ref();
                    let status = if e.kind == "death" {
                        "dead"
                    } else {
                        "moved_away"
                    };
                    changes.push(
                        Change::new("member", m.id.clone(), OpKind::Update).with("status", status),
                    );
                    event.put("member_id", m.id.clone());
                    if is_head && present.len() > 1 {
                        let new_head = member(&e.new_head_member_id, "new_head_member_id")
                            .map_err(|_| {
                                Error::field(
                                    "new_head_member_id",
                                    "Chủ hộ không còn ở trong hộ: hãy chọn chủ hộ mới.",
                                )
                            })?;
                        if new_head.id == m.id {
                            return Err(Error::field(
                                "new_head_member_id",
                                "Chủ hộ mới phải là người khác.",
                            ));
                        }
                        changes.extend(head_change(&hh, new_head, Some(m)));
                    }
                }
            }
            "change_head" => {
                let new_head = member(
                    &e.new_head_member_id.clone().or(e.member_id.clone()),
                    "new_head_member_id",
                )?;
                if Some(&new_head.id) == hh.head_member_id.as_ref() {
                    return Err(Error::field(
                        "new_head_member_id",
                        "Người này đã là chủ hộ.",
                    ));
                }
                let old_head = present
                    .iter()
                    .copied()
                    .find(|m| Some(&m.id) == hh.head_member_id.as_ref());
                changes.extend(head_change(&hh, new_head, old_head));
                event.put("member_id", new_head.id.clone());
            }
            "split" => {
                if e.member_ids.is_empty() {
                    return Err(Error::field(
                        "member_ids",
                        "Chưa chọn thành viên tách sang hộ mới.",
                    ));
                }
                for id in &e.member_ids {
                    member(&Some(id.clone()), "member_ids")?;
                }
                if e.member_ids.len() >= present.len() {
                    return Err(Error::field(
                        "member_ids",
                        "Phải còn ít nhất một người ở lại hộ cũ.",
                    ));
                }
                if e.member_ids
                    .iter()
                    .any(|id| Some(id) == hh.head_member_id.as_ref())
                {
                    return Err(Error::field(
                        "member_ids",
                        "Chủ hộ ở lại hộ cũ; muốn chủ hộ tách đi, hãy đổi chủ hộ trước.",
                    ));
                }
                let new_head = e
                    .new_head_member_id
                    .clone()
                    .filter(|h| e.member_ids.contains(h))
                    .ok_or_else(|| {
                        Error::field(
                            "new_head_member_id",
                            "Chọn chủ hộ của hộ mới trong số người tách đi.",
                        )
                    })?;
                let village = e
                    .target_village_id
                    .clone()
                    .unwrap_or_else(|| hh.village_id.clone());
                let new_hid = new_id();
                event.put("other_household_id", new_hid.clone());
                new_household = Some((new_hid, e.member_ids.clone(), new_head, village));
            }
            "merge" => {
                let target = e
                    .target_household_id
                    .clone()
                    .ok_or_else(|| Error::field("target_household_id", "Chưa chọn hộ nhập vào."))?;
                if target == hh.id {
                    return Err(Error::field(
                        "target_household_id",
                        "Không thể nhập hộ vào chính nó.",
                    ));
                }
                let t = self.household(&target).map_err(|_| {
                    Error::field("target_household_id", "Không tìm thấy hộ nhập vào.")
                })?;
                if t.status != "active" {
                    return Err(Error::field(
                        "target_household_id",
                        "Hộ nhập vào không còn hoạt động.",
                    ));
                }
                let start = t.members.len() as i64;
                for (i, m) in present.iter().enumerate() {
                    changes.push(
                        Change::new("member", m.id.clone(), OpKind::Update)
                            .with("household_id", target.clone())
                            .with("relation", "other")
                            .with("position", start + i as i64),
                    );
                }
                changes.push(
                    Change::new("household", hh.id.clone(), OpKind::Update)
                        .with("status", "merged")
                        .with("merged_into", target.clone()),
                );
                event.put("other_household_id", target);
            }
            "move_village" => {
                let v = e
                    .target_village_id
                    .clone()
                    .ok_or_else(|| Error::field("target_village_id", "Chưa chọn thôn/xóm mới."))?;
                if v == hh.village_id {
                    return Err(Error::field("target_village_id", "Hộ đã ở thôn/xóm này."));
                }
                if !self.villages()?.iter().any(|x| x.id == v) {
                    return Err(Error::field("target_village_id", "Thôn/xóm không tồn tại."));
                }
                changes.push(
                    Change::new("household", hh.id.clone(), OpKind::Update)
                        .with("village_id", v.clone()),
                );
                event.put("village_id", v);
            }
            _ => unreachable!("kinds were validated above"),
        }
        let hh_for_split = hh.clone();
        self.transact(&format!("event_{}", e.kind), |w| {
            if let Some((new_hid, members, head, village)) = &new_household {
                let code = w.next_household_code();
                w.apply(
                    Change::new("household", new_hid.clone(), OpKind::Create)
                        .with("code", code)
                        .with("commune_code", w.identity().commune_code.clone())
                        .with("village_id", village.clone())
                        .with("address", hh_for_split.address.clone())
                        .with("ethnicity", json_opt(&hh_for_split.ethnicity))
                        .with("ethnic_minority", hh_for_split.ethnic_minority)
                        .with("status", "active")
                        .with("head_member_id", head.clone())
                        .with("created_at", w.device_time().to_owned()),
                )?;
                for (i, m) in members.iter().enumerate() {
                    let mut c = Change::new("member", m.clone(), OpKind::Update)
                        .with("household_id", new_hid.clone())
                        .with("position", i as i64);
                    if m == head {
                        c.put("relation", "head");
                    } else {
                        c.put("relation", "other");
                    }
                    w.apply(c)?;
                }
            }
            for c in changes {
                w.apply(c)?;
            }
            w.apply(event)?;
            Ok(())
        })?;
        self.household(&e.household_id)
    }

    /// Who changed what and when, newest first: the household, its members and its events.
    pub fn household_history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        let conn = self.conn();
        // The household's rows: itself, its members and its events (either side of one).
        let mut rows: Vec<(&str, String)> = vec![("household", id.to_owned())];
        for (entity, sql) in [
            ("member", "SELECT id FROM member WHERE household_id = ?1"),
            (
                "household_event",
                "SELECT id FROM household_event WHERE household_id = ?1 OR other_household_id = ?1",
            ),
        ] {
            let ids = conn
                .prepare_cached(sql)?
                .query_map([id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            rows.extend(ids.into_iter().map(|i| (entity, i)));
        }
        let mut ops = Vec::new();
        for (entity, row) in &rows {
            ops.extend(crate::op_pack::row_ops(conn, entity, row)?);
        }
        // Newest first: by Lamport clock descending, then origin, then seq descending.
        ops.sort_by(|a, b| {
            b.lamport
                .cmp(&a.lamport)
                .then_with(|| a.origin.cmp(&b.origin))
                .then_with(|| b.seq.cmp(&a.seq))
        });
        ops.dedup_by(|a, b| a.origin == b.origin && a.seq == b.seq);
        let mut user_name = conn.prepare_cached("SELECT name FROM app_user WHERE id = ?1")?;
        let mut short_code =
            conn.prepare_cached("SELECT short_code FROM node WHERE node_id = ?1")?;
        let mut out = Vec::new();
        for op in ops {
            let (time, body, entity, row_id) = (op.device_time, op.body, op.entity, op.row_id);
            let kind = op.kind.as_str();
            let user = user_name
                .query_row([&op.user_id], |r| r.get::<_, String>(0))
                .optional()?
                .unwrap_or(op.user_id);
            let device = short_code
                .query_row([&op.origin], |r| r.get::<_, Option<String>>(0))
                .optional()?
                .flatten()
                .unwrap_or_else(|| op.origin.chars().take(8).collect());
            let changes: Vec<HistoryChange> = body
                .set
                .iter()
                .filter(|(f, _)| !matches!(f.as_str(), "position" | "commune_code" | "created_at"))
                .map(|(f, v)| HistoryChange {
                    field: f.clone(),
                    label: field_label(f).into(),
                    value: display_value(f, v),
                })
                .collect();
            let what = match (entity.as_str(), kind) {
                ("household", "create") => "Tạo hộ".to_owned(),
                ("household", _) => "Sửa thông tin hộ".to_owned(),
                ("member", "create") => {
                    format!("Thêm thành viên {}", self.name_of_member(&row_id)?)
                }
                ("member", "delete") => format!("Xoá thành viên {}", self.name_of_member(&row_id)?),
                ("member", _) => format!("Sửa thành viên {}", self.name_of_member(&row_id)?),
                ("household_event", _) => {
                    let k = body.set.get("kind").and_then(Value::as_str).unwrap_or("");
                    format!("Ghi biến động: {}", label_of(EVENT_KINDS, k))
                }
                (e, _) => e.to_owned(),
            };
            out.push(HistoryEntry {
                time,
                user,
                device,
                what,
                changes,
            });
        }
        Ok(out)
    }
}

/// The change that adds a person joining the household (a birth, a spouse by marriage); an empty
/// relation, or "head", becomes `default_relation`.
fn joining_member(
    hh: &HouseholdDetail,
    nm: &MemberInput,
    default_relation: &str,
) -> (Change, String) {
    let mid = new_id();
    let mut c = Change::new("member", mid.clone(), OpKind::Create)
        .with("household_id", hh.id.clone())
        .with("status", "present");
    let relation = if nm.relation.is_empty() || nm.relation == "head" {
        default_relation.to_owned()
    } else {
        nm.relation.clone()
    };
    member_fields(
        &mut c,
        None,
        &MemberInput {
            relation,
            ..nm.clone()
        },
        hh.members.len() as i64,
    );
    (c, mid)
}

fn head_change(hh: &HouseholdDetail, new_head: &Member, old_head: Option<&Member>) -> Vec<Change> {
    let mut v = vec![
        Change::new("household", hh.id.clone(), OpKind::Update)
            .with("head_member_id", new_head.id.clone()),
        Change::new("member", new_head.id.clone(), OpKind::Update).with("relation", "head"),
    ];
    if let Some(old) = old_head.filter(|o| o.id != new_head.id && o.status == "present") {
        let rel = match new_head.relation.as_str() {
            "spouse" => "spouse",
            "child" => "parent",
            _ => "other",
        };
        v.push(Change::new("member", old.id.clone(), OpKind::Update).with("relation", rel));
    }
    v
}

fn json_str(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn json_opt(s: &Option<String>) -> Value {
    match s {
        Some(v) if !v.is_empty() => Value::String(v.clone()),
        _ => Value::Null,
    }
}

fn json_opt_bool(b: Option<bool>) -> Value {
    b.map(Value::Bool).unwrap_or(Value::Null)
}

fn set_if_changed(c: &mut Change, field: &str, old: Option<Value>, new: Value) {
    if old.as_ref() != Some(&new) && !(old.is_none() && new.is_null()) {
        c.put(field, new);
    }
}

fn member_fields(c: &mut Change, before: Option<&Member>, m: &MemberInput, position: i64) {
    let b = before;
    let id_number = m
        .id_number
        .as_deref()
        .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect::<String>())
        .filter(|s| !s.is_empty());
    let card = m
        .health_insurance_card
        .as_deref()
        .map(|s| s.trim().to_uppercase())
        .filter(|s| !s.is_empty());
    let birth_date = m
        .birth_date
        .as_deref()
        .and_then(parse_date)
        .map(|d| d.format("%Y-%m-%d").to_string());
    let birth_year = birth_date
        .as_deref()
        .and_then(parse_date)
        .map(|d| d.year())
        .or(m.birth_year);
    set_if_changed(
        c,
        "full_name",
        b.map(|o| json_str(&o.full_name)),
        json_str(&normalize_name(&m.full_name)),
    );
    set_if_changed(
        c,
        "birth_date",
        b.map(|o| json_opt(&o.birth_date)),
        json_opt(&birth_date),
    );
    set_if_changed(
        c,
        "birth_year",
        b.map(|o| o.birth_year.map(Value::from).unwrap_or(Value::Null)),
        birth_year.map(Value::from).unwrap_or(Value::Null),
    );
    set_if_changed(c, "sex", b.map(|o| json_str(&o.sex)), json_str(&m.sex));
    set_if_changed(
        c,
        "ethnicity",
        b.map(|o| json_opt(&o.ethnicity)),
        json_opt(&m.ethnicity),
    );
    set_if_changed(
        c,
        "relation",
        b.map(|o| json_str(&o.relation)),
        json_str(&m.relation),
    );
    set_if_changed(
        c,
        "id_number",
        b.map(|o| json_opt(&o.id_number)),
        json_opt(&id_number),
    );
    set_if_changed(
        c,
        "health_insurance_card",
        b.map(|o| json_opt(&o.health_insurance_card)),
        json_opt(&card),
    );
    set_if_changed(
        c,
        "health_insurance",
        b.map(|o| json_opt_bool(o.health_insurance)),
        json_opt_bool(m.health_insurance),
    );
    set_if_changed(
        c,
        "attending_school",
        b.map(|o| json_opt_bool(o.attending_school)),
        json_opt_bool(m.attending_school),
    );
    set_if_changed(
        c,
        "education_level",
        b.map(|o| json_opt(&o.education_level)),
        json_opt(&m.education_level),
    );
    set_if_changed(
        c,
        "work_status",
        b.map(|o| json_opt(&o.work_status)),
        json_opt(&m.work_status),
    );
    set_if_changed(
        c,
        "labour_contract",
        b.map(|o| json_opt_bool(o.labour_contract)),
        json_opt_bool(m.labour_contract),
    );
    set_if_changed(
        c,
        "disability",
        b.map(|o| json_opt_bool(o.disability)),
        json_opt_bool(m.disability),
    );
    set_if_changed(
        c,
        "social_allowance",
        b.map(|o| json_opt_bool(o.social_allowance)),
        json_opt_bool(m.social_allowance),
    );
    set_if_changed(
        c,
        "nutrition_status",
        b.map(|o| json_opt(&o.nutrition_status)),
        json_opt(&m.nutrition_status),
    );
    if b.is_none() {
        c.put("position", position);
    }
}

/// Collapse spaces and capitalise each word the Vietnamese way ("nông  thị phương" → "Nông Thị Phương").
pub fn normalize_name(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(cs.flat_map(char::to_lowercase))
                    .collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn field_label(field: &str) -> &'static str {
    match field {
        "village_id" => "Thôn/xóm",
        "code" => "Mã hộ",
        "address" => "Địa chỉ",
        "ethnicity" => "Dân tộc",
        "ethnic_minority" => "Hộ dân tộc thiểu số",
        "no_labour" => "Hộ không có khả năng lao động",
        "merit" => "Hộ có người có công",
        "note" => "Ghi chú",
        "head_member_id" => "Chủ hộ",
        "status" => "Tình trạng",
        "merged_into" => "Nhập vào hộ",
        "deleted" => "Đã xoá",
        "household_id" => "Thuộc hộ",
        "full_name" => "Họ và tên",
        "birth_date" => "Ngày sinh",
        "birth_year" => "Năm sinh",
        "sex" => "Giới tính",
        "relation" => "Quan hệ với chủ hộ",
        "id_number" => "Số định danh cá nhân",
        "health_insurance_card" => "Mã thẻ BHYT",
        "health_insurance" => "Có BHYT",
        "attending_school" => "Đang đi học",
        "education_level" => "Trình độ học vấn",
        "work_status" => "Việc làm",
        "labour_contract" => "Có hợp đồng lao động",
        "disability" => "Khuyết tật",
        "social_allowance" => "Hưởng trợ cấp xã hội",
        "nutrition_status" => "Tình trạng dinh dưỡng",
        "kind" => "Loại",
        "date" => "Ngày",
        "member_id" => "Thành viên",
        "other_household_id" => "Hộ liên quan",
        _ => "Trường khác",
    }
}

pub(crate) fn display_value(field: &str, v: &Value) -> String {
    match v {
        Value::Null => "(trống)".into(),
        Value::Bool(true) => "Có".into(),
        Value::Bool(false) => "Không".into(),
        Value::String(s) => match field {
            "sex" => label_of(SEXES, s),
            "relation" => label_of(RELATIONS, s),
            "education_level" => label_of(EDUCATION_LEVELS, s),
            "work_status" => label_of(WORK_STATUSES, s),
            "nutrition_status" => label_of(NUTRITION_STATUSES, s),
            "status" => label_of(MEMBER_STATUSES, s),
            "kind" => label_of(EVENT_KINDS, s),
            "ethnicity" => crate::ethnicity::by_code(s)
                .map(|e| e.name.to_string())
                .unwrap_or_else(|| s.clone()),
            "birth_date" | "date" => parse_date(s)
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_else(|| s.clone()),
            _ => s.clone(),
        },
        other => other.to_string(),
    }
}
