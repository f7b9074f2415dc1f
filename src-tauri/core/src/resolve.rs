//! Conflict review (xem xét xung đột): what a person needs to decide an open review item field by
//! field — each competing value as the user reads it, who wrote it, when, on which laptop and with
//! which authority, in the context of its household — and the decision itself: pick one of the
//! competing values or type a new one, validated like a normal edit of that field, written as ONE
//! op through the write path whose base is every current head, so the item closes here and,
//! once the op travels in a package, everywhere.
//!
//! Deliberately absent: deciding anything by itself (no value is ever chosen automatically; the
//! ledger keeps every concurrent head until a person resolves it), creating review items (the
//! ledger and the exchange do), and the other kinds' workflows (`delete_vs_edit`, `locked_edit`,
//! `duplicate_person` are listed with their context but resolved elsewhere).

use crate::error::{Error, FieldError, Result};
use crate::ledger::{entity_def, field_head_keys, Change, Ledger, OpKey, OpKind};
use crate::register::{
    check_household_input, display_value, field_label, parse_date, FieldIssue, HouseholdDetail,
    HouseholdInput, MemberInput, RefItem, EDUCATION_LEVELS, NUTRITION_STATUSES, RELATIONS, SEXES,
    WORK_STATUSES,
};
use chrono::Datelike;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The review-item kinds and their Vietnamese names.
pub const KINDS: &[(&str, &str)] = &[
    ("overlap", "Sửa cùng lúc"),
    ("delete_vs_edit", "Sửa bản ghi đã xoá"),
    ("locked_edit", "Sửa bản ghi đã khoá"),
    ("duplicate_person", "Có thể trùng người"),
];

/// The laptop that wrote a competing value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub node_id: String,
    /// `01234-1`, `VP04`; the first 8 hex digits of the node id when the device is unknown here.
    pub short_code: String,
    /// `reviewer` | `commune_officer` | `office` (empty when unknown).
    pub role: String,
    /// "Máy rà soát viên", "Máy cán bộ xã", "Văn phòng".
    pub role_label: String,
    pub commune_code: Option<String>,
}

/// One competing value (a head of the field) with who, when and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetingValue {
    pub origin: String,
    pub seq: i64,
    /// `ORIGIN:SEQ`, as `resolve --pick` takes it.
    pub key: String,
    /// The value as stored (JSON).
    pub value: Value,
    /// The value as the user reads it: label of a code, dd/mm/yyyy, Có/Không, a member's name.
    pub display: String,
    pub user_id: String,
    /// The user's name when known here, else the user id.
    pub user_name: String,
    /// The author laptop's clock when the value was written (informational, never used to decide).
    pub device_time: String,
    /// When this installation received it (the import time of its package); `None` = written here.
    pub received_at: Option<String>,
    pub device: Device,
    /// 1 reviewer, 2 commune officer, 3 office.
    pub authority: i64,
    /// "Văn phòng" or "Xã".
    pub authority_label: String,
    /// The value the register shows now (the largest `(authority, lamport, origin, seq)`).
    pub shown: bool,
    /// Reason or note recorded with the op (office corrections, earlier resolutions).
    pub reason: Option<String>,
}

/// One open review item with everything the review screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictDetail {
    pub entity: String,
    pub row_id: String,
    pub field: String,
    /// `overlap` | `delete_vs_edit` | `locked_edit` | `duplicate_person`.
    pub kind: String,
    pub kind_label: String,
    /// The field's Vietnamese label.
    pub field_label: String,
    /// Identity, eligibility or income field (never merged without a person).
    pub critical: bool,
    pub household_id: Option<String>,
    pub household_code: Option<String>,
    pub head_name: Option<String>,
    pub village: Option<String>,
    /// The member's name when the entity is a member.
    pub member_name: Option<String>,
    /// The value the register shows now.
    pub current: Value,
    pub current_display: String,
    /// The competing values, the shown one last.
    pub heads: Vec<CompetingValue>,
    /// How a new value is typed: `text`, `date`, `year`, `bool`, `tri` (Có/Không/trống), `code`
    /// (one of `options`) or `none` (only one of the competing values can be chosen).
    pub input: String,
    /// The choices for `code`, `bool` and `tri` inputs (code + Vietnamese label).
    pub options: Vec<RefItem>,
    /// Whether this screen can decide the item (only `overlap` items).
    pub resolvable: bool,
}

/// What the person decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Keep one of the competing values (by its op).
    Pick(OpKey),
    /// A newly typed value (text as typed, or a JSON boolean / number).
    Value(Value),
}

/// The outcome of [`Ledger::resolve_conflict`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The op that closed the item.
    pub op: OpKey,
    /// The value now in the register, raw and as read.
    pub value: Value,
    pub display: String,
    /// Review items still open on this installation.
    pub open_items: u64,
}

/// The outcome of [`Ledger::resolve_version`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionResolution {
    /// The op that closed the items.
    pub op: OpKey,
    /// The fields decided (their items are closed).
    pub fields: Vec<String>,
    /// Open items of the record in which the chosen version is not a competing value.
    pub left_open: Vec<String>,
    /// Review items still open on this installation.
    pub open_items: u64,
}

fn kind_label(kind: &str) -> String {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| kind.to_owned())
}

fn role_label(role: &str) -> String {
    match role {
        "office" => "Văn phòng",
        "commune_officer" => "Máy cán bộ xã",
        "reviewer" => "Máy rà soát viên",
        _ => "Máy chưa rõ",
    }
    .to_owned()
}

/// Fields whose stored value is a yes/no (0/1, true/false).
fn is_bool_field(entity: &str, field: &str) -> bool {
    matches!(
        (entity, field),
        (
            "household",
            "ethnic_minority" | "no_labour" | "merit" | "deleted"
        ) | (
            "member",
            "health_insurance"
                | "attending_school"
                | "labour_contract"
                | "disability"
                | "social_allowance"
                | "deleted"
        ) | ("survey", "agricultural")
            | (_, "deleted" | "locked")
    )
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match crate::text::fold(s.trim()).as_str() {
            "1" | "true" | "co" | "x" => Some(true),
            "0" | "false" | "khong" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn lookup(conn: &Connection, sql: &str, id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// A value as the user reads it.
fn show_value(conn: &Connection, entity: &str, field: &str, v: &Value) -> Result<String> {
    if v.is_null() {
        return Ok("(trống)".into());
    }
    if is_bool_field(entity, field) {
        if let Some(b) = as_bool(v) {
            return Ok(if b { "Có" } else { "Không" }.into());
        }
    }
    let Some(s) = v.as_str() else {
        return Ok(display_value(field, v));
    };
    let named = match field {
        "village_id" => lookup(conn, "SELECT name FROM village WHERE id = ?1", s)?,
        "head_member_id" | "member_id" => {
            lookup(conn, "SELECT full_name FROM member WHERE id = ?1", s)?
        }
        "household_id" | "other_household_id" | "merged_into" => lookup(
            conn,
            "SELECT coalesce(code, '') || CASE WHEN coalesce(head_name, '') = '' THEN '' ELSE ' — ' || head_name END
             FROM household WHERE id = ?1",
            s,
        )?
        .map(|t| format!("Hộ {t}")),
        _ => None,
    };
    if let Some(n) = named.filter(|n| !n.is_empty()) {
        return Ok(n);
    }
    if field != "birth_date" && field != "date" && s.len() == 10 {
        if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(d.format("%d/%m/%Y").to_string());
        }
    }
    Ok(display_value(field, v))
}

/// Labels of review-round fields (the register's come from `register::field_label`).
const ROUND_LABELS: &[(&str, &str)] = &[
    ("phieu_a_ticked", "Phiếu A: các ô đã đánh dấu"),
    ("phieu_a_result", "Kết quả Phiếu A"),
    ("score_a", "Điểm A (Phiếu B1)"),
    ("b1_answers", "Câu trả lời Phiếu B1"),
    (
        "income_per_capita_month",
        "Thu nhập bình quân đầu người/tháng",
    ),
    ("agricultural", "Hộ làm nông, lâm, ngư, diêm nghiệp"),
    ("floor_area_m2", "Diện tích nhà ở (m²)"),
    ("deprivations", "Các chỉ số thiếu hụt"),
    ("override_reasons", "Lý do khác với sổ hộ"),
    ("reviewer", "Người rà soát"),
    ("survey_date", "Ngày rà soát"),
    ("class", "Phân loại hộ"),
    ("previous_class", "Phân loại đợt trước"),
    ("transition", "Biến động so với đợt trước"),
    ("score_b", "Điểm B (Phiếu B2)"),
    ("deprived", "Chỉ số thiếu hụt (kết quả)"),
    ("explanation", "Giải thích phân loại"),
    ("rules_id", "Chuẩn nghèo áp dụng"),
    ("rules_version", "Phiên bản chuẩn nghèo"),
    ("reference_date", "Ngày tính"),
    ("locked", "Đã khoá"),
    ("attendees", "Số người dự họp"),
    ("agreed", "Số người đồng ý"),
    ("result", "Kết quả"),
    ("content", "Nội dung"),
    ("number", "Số"),
    ("name", "Tên"),
    ("json", "Nội dung chuẩn nghèo"),
];

fn label_for(field: &str) -> String {
    let l = field_label(field);
    if l != "Trường khác" {
        return l.to_owned();
    }
    ROUND_LABELS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| format!("Trường “{field}”"))
}

fn items(list: &[(&str, &str)]) -> Vec<RefItem> {
    list.iter()
        .map(|(c, l)| RefItem {
            code: (*c).into(),
            label: (*l).into(),
        })
        .collect()
}

fn yes_no(with_empty: bool) -> Vec<RefItem> {
    let mut v = items(&[("true", "Có"), ("false", "Không")]);
    if with_empty {
        v.push(RefItem {
            code: String::new(),
            label: "(trống)".into(),
        });
    }
    v
}

/// Where the item's record sits: household id, code, head, village; member name.
struct Context {
    household_id: Option<String>,
    household_code: Option<String>,
    head_name: Option<String>,
    village: Option<String>,
    member_name: Option<String>,
    commune_code: Option<String>,
}

fn context(conn: &Connection, entity: &str, row_id: &str) -> Result<Context> {
    let mut member_name = None;
    let household_id = match entity {
        "household" => Some(row_id.to_owned()),
        "member" => {
            let row: Option<(Option<String>, Option<String>)> = conn
                .prepare_cached("SELECT household_id, full_name FROM member WHERE id = ?1")?
                .query_row([row_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (h, n) = row.unwrap_or((None, None));
            member_name = n;
            h
        }
        "household_event" | "survey" | "application" | "complaint" | "certificate" => lookup(
            conn,
            &format!("SELECT household_id FROM {entity} WHERE id = ?1"),
            row_id,
        )?,
        _ => None,
    };
    type HouseholdRow = (Option<String>, String, Option<String>, Option<String>);
    let hh: Option<HouseholdRow> = match &household_id {
        Some(h) => conn
            .prepare_cached(
                "SELECT h.code, h.head_name, v.name, h.commune_code FROM household h
                 LEFT JOIN village v ON v.id = h.village_id WHERE h.id = ?1",
            )?
            .query_row([h], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?,
        None => None,
    };
    let (household_code, head_name, village, commune_code) = match hh {
        Some((c, n, v, cc)) => (c, Some(n).filter(|n| !n.is_empty()), v, cc),
        None => (None, None, None, None),
    };
    Ok(Context {
        household_id,
        household_code,
        head_name,
        village,
        member_name,
        commune_code,
    })
}

/// How a new value of `field` is typed, with its choices.
fn input_kind(
    conn: &Connection,
    entity: &str,
    field: &str,
    ctx: &Context,
) -> Result<(String, Vec<RefItem>)> {
    let ethnicities = || {
        crate::ethnicity::ethnicities_with_foreigners()
            .iter()
            .map(|e| RefItem {
                code: e.code.into(),
                label: e.name.into(),
            })
            .collect::<Vec<_>>()
    };
    let code = |v: Vec<RefItem>| ("code".to_owned(), v);
    let plain = |k: &str| (k.to_owned(), Vec::new());
    Ok(match (entity, field) {
        ("household", "address" | "note") => plain("text"),
        ("household", "ethnicity") => code(ethnicities()),
        ("household", "ethnic_minority" | "no_labour" | "merit") => ("bool".into(), yes_no(false)),
        ("household", "village_id") => {
            let mut stmt = conn.prepare_cached(
                "SELECT id, coalesce(name, '') FROM village
                 WHERE deleted = 0 AND (?1 IS NULL OR commune_code = ?1) ORDER BY sort_order, name",
            )?;
            let v = stmt
                .query_map([&ctx.commune_code], |r| {
                    Ok(RefItem {
                        code: r.get(0)?,
                        label: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            code(v)
        }
        ("household", "head_member_id") => {
            let mut stmt = conn.prepare_cached(
                "SELECT id, coalesce(full_name, '') FROM member
                 WHERE household_id = ?1 AND deleted = 0 AND status = 'present' ORDER BY position, id",
            )?;
            let v = stmt
                .query_map([&ctx.household_id], |r| {
                    Ok(RefItem {
                        code: r.get(0)?,
                        label: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            code(v)
        }
        ("member", "full_name" | "id_number" | "health_insurance_card") => plain("text"),
        ("member", "birth_date") => plain("date"),
        ("member", "birth_year") => plain("year"),
        ("member", "sex") => code(items(SEXES)),
        ("member", "relation") => code(items(RELATIONS)),
        ("member", "ethnicity") => code(ethnicities()),
        ("member", "education_level") => code(items(EDUCATION_LEVELS)),
        ("member", "work_status") => code(items(WORK_STATUSES)),
        ("member", "nutrition_status") => code(items(NUTRITION_STATUSES)),
        (
            "member",
            "health_insurance" | "attending_school" | "labour_contract" | "disability"
            | "social_allowance",
        ) => ("tri".into(), yes_no(true)),
        _ => plain("none"),
    })
}

struct OpInfo {
    user_id: String,
    device_time: String,
    authority: i64,
    received_in: Option<String>,
}

fn competing(
    conn: &Connection,
    entity: &str,
    field: &str,
    key: &OpKey,
    shown: bool,
) -> Result<CompetingValue> {
    use crate::op_pack::StoredText;
    let row: Option<(i64, StoredText)> = conn
        .prepare_cached(&format!(
            "SELECT authority, {} FROM op WHERE origin = ?1 AND seq = ?2",
            StoredText::columns("")
        ))?
        .query_row(params![key.0, key.1], |r| {
            Ok((r.get(0)?, StoredText::read(r, 1)?))
        })
        .optional()?;
    let Some((authority, text)) = row else {
        return Err(Error::Database(format!(
            "Không tìm thấy thao tác {}:{} trong sổ.",
            key.0, key.1
        )));
    };
    let received_in = text.received_in().map(str::to_owned);
    let text = text.resolve(conn, &key.0, key.1, entity)?;
    let body = text.body;
    let info = OpInfo {
        user_id: text.user_id,
        device_time: text.device_time,
        authority,
        received_in,
    };
    let value = body.set.get(field).cloned().unwrap_or(Value::Null);
    let user_name = lookup(
        conn,
        "SELECT name FROM app_user WHERE id = ?1",
        &info.user_id,
    )?
    .filter(|n| !n.is_empty())
    .unwrap_or_else(|| info.user_id.clone());
    let node: Option<(String, String, Option<String>)> = conn
        .prepare_cached("SELECT short_code, role, commune_code FROM node WHERE node_id = ?1")?
        .query_row([&key.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (short_code, role, commune_code) =
        node.unwrap_or_else(|| (key.0.chars().take(8).collect(), String::new(), None));
    let received_at = match &info.received_in {
        Some(p) => lookup(
            conn,
            "SELECT device_time FROM package_log WHERE package_id = ?1",
            p,
        )?,
        None => None,
    };
    let reason = lookup_reason(conn, key)?;
    Ok(CompetingValue {
        origin: key.0.clone(),
        seq: key.1,
        key: format!("{}:{}", key.0, key.1),
        display: show_value(conn, entity, field, &value)?,
        value,
        user_id: info.user_id,
        user_name,
        device_time: info.device_time,
        received_at,
        device: Device {
            node_id: key.0.clone(),
            short_code,
            role_label: role_label(&role),
            role,
            commune_code,
        },
        authority: info.authority,
        authority_label: if info.authority >= 3 {
            "Văn phòng"
        } else {
            "Xã"
        }
        .into(),
        shown,
        reason,
    })
}

fn lookup_reason(conn: &Connection, key: &OpKey) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT reason FROM op_reason WHERE origin = ?1 AND seq = ?2")?
        .query_row(params![key.0, key.1], |r| r.get(0))
        .optional()?)
}

/// The `[[origin, seq], …]` of a conflict row, tolerant of other shapes (other kinds).
fn parse_heads(raw: &str) -> Vec<OpKey> {
    serde_json::from_str::<Vec<OpKey>>(raw).unwrap_or_default()
}

fn detail_of(
    conn: &Connection,
    entity: &str,
    row_id: &str,
    field: &str,
    kind: &str,
    heads_json: &str,
) -> Result<ConflictDetail> {
    let def = entity_def(entity);
    let ctx = context(conn, entity, row_id)?;
    let mut keys = if kind == "overlap" {
        field_head_keys(conn, entity, row_id, field)?
    } else {
        Vec::new()
    };
    if keys.is_empty() {
        keys = parse_heads(heads_json);
    }
    let n = keys.len();
    let mut heads = Vec::with_capacity(n);
    for (i, k) in keys.iter().enumerate() {
        // An op of another kind's item may be unknown here; it is simply not listed.
        match competing(conn, entity, field, k, kind == "overlap" && i + 1 == n) {
            Ok(c) => heads.push(c),
            Err(Error::Database(_)) if kind != "overlap" => {}
            Err(e) => return Err(e),
        }
    }
    let current = match def {
        Some(d) if d.fields.contains(&field) => conn
            .query_row(
                &format!("SELECT {field} FROM {} WHERE id = ?1", d.table),
                [row_id],
                |r| r.get::<_, rusqlite::types::Value>(0),
            )
            .optional()?
            .map(sql_to_json)
            .unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let (input, options) = input_kind(conn, entity, field, &ctx)?;
    Ok(ConflictDetail {
        entity: entity.to_owned(),
        row_id: row_id.to_owned(),
        field: field.to_owned(),
        kind: kind.to_owned(),
        kind_label: kind_label(kind),
        field_label: label_for(field),
        critical: def.is_some_and(|d| d.critical.contains(&field)),
        household_id: ctx.household_id,
        household_code: ctx.household_code,
        head_name: ctx.head_name,
        village: ctx.village,
        member_name: ctx.member_name,
        current_display: show_value(conn, entity, field, &current)?,
        current,
        heads,
        input,
        options,
        resolvable: kind == "overlap",
    })
}

fn sql_to_json(v: rusqlite::types::Value) -> Value {
    use rusqlite::types::Value as V;
    match v {
        V::Null => Value::Null,
        V::Integer(i) => json!(i),
        V::Real(f) => json!(f),
        V::Text(s) => Value::String(s),
        V::Blob(b) => Value::String(hex::encode(b)),
    }
}

const LIST_SQL: &str = "SELECT c.entity, c.row_id, c.field, c.kind, c.heads FROM conflict c";

/// Order of the review list: by household (code), then household before members, then field.
fn sort_items(v: &mut [ConflictDetail]) {
    v.sort_by(|a, b| {
        (
            a.household_code.is_none(),
            &a.household_code,
            &a.household_id,
            a.entity != "household",
            &a.member_name,
            &a.entity,
            &a.row_id,
            &a.field,
            &a.kind,
        )
            .cmp(&(
                b.household_code.is_none(),
                &b.household_code,
                &b.household_id,
                b.entity != "household",
                &b.member_name,
                &b.entity,
                &b.row_id,
                &b.field,
                &b.kind,
            ))
    });
}

/// A decision's note, trimmed (`None` when empty); at most 500 characters.
fn checked_note(note: Option<&str>) -> Result<Option<&str>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(Error::field("note", "Ghi chú quá dài (tối đa 500 ký tự)."));
    }
    Ok(note)
}

fn closed_message() -> Error {
    Error::Conflict(
        "Mục này đã được xử lý: trường không còn giá trị nào đang tranh chấp (có thể đã được chọn trên máy này hoặc trong gói vừa nhập). Không có gì thay đổi."
            .into(),
    )
}

impl Ledger {
    /// Every open review item (mục cần xem xét) with its competing values and context, grouped
    /// by household (household code order; items without a household last).
    pub fn conflict_details(&self) -> Result<Vec<ConflictDetail>> {
        self.details_where("", &[])
    }

    /// The open review items on one household and its members (the household screen's badge).
    pub fn household_conflicts(&self, household_id: &str) -> Result<Vec<ConflictDetail>> {
        self.details_where(
            " WHERE (c.entity = 'household' AND c.row_id = ?1)
               OR (c.entity = 'member' AND c.row_id IN (SELECT id FROM member WHERE household_id = ?1))",
            &[household_id],
        )
    }

    fn details_where(&self, filter: &str, args: &[&str]) -> Result<Vec<ConflictDetail>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{LIST_SQL}{filter}"))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (entity, row_id, field, kind, heads) in rows {
            out.push(detail_of(conn, &entity, &row_id, &field, &kind, &heads)?);
        }
        sort_items(&mut out);
        Ok(out)
    }

    /// One open review item of `field` of a record: the `overlap` item if there is one, else the
    /// item of another kind. An item that is no longer open gives a clear Vietnamese message.
    pub fn conflict_detail(
        &self,
        entity: &str,
        row_id: &str,
        field: &str,
    ) -> Result<ConflictDetail> {
        let def = entity_def(entity)
            .ok_or_else(|| Error::Invalid(format!("Loại bản ghi không tồn tại: {entity}")))?;
        if !def.fields.contains(&field) {
            return Err(Error::field(
                "field",
                format!("Trường “{field}” không thuộc loại bản ghi {entity}."),
            ));
        }
        let conn = self.conn();
        let row: Option<(String, String)> = conn
            .query_row(
                "SELECT kind, heads FROM conflict WHERE entity = ?1 AND row_id = ?2 AND field = ?3
                 ORDER BY kind <> 'overlap', kind LIMIT 1",
                params![entity, row_id, field],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((kind, heads)) = row else {
            return Err(closed_message());
        };
        detail_of(conn, entity, row_id, field, &kind, &heads)
    }

    /// A decided (locked) round is changed by the office only, as everywhere else.
    fn check_round_open(&self, entity: &str, row_id: &str) -> Result<()> {
        if matches!(
            entity,
            "survey" | "application" | "village_meeting" | "complaint" | "certificate"
        ) {
            let sql = format!(
                "SELECT coalesce(r.locked, 0) <> 0 FROM {entity} x JOIN review_round r ON r.id = x.round_id WHERE x.id = ?1"
            );
            let locked: bool = self
                .conn()
                .query_row(&sql, [row_id], |r| r.get(0))
                .optional()?
                .unwrap_or(false);
            let office = self.local_identity()?.is_some_and(|me| me.role == "office");
            if locked && !office {
                return Err(Error::Conflict(
                    "Đợt rà soát này đã khoá (đã có quyết định): chỉ văn phòng quyết định mục này."
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// The one write of a decision: in one transaction, checks that every item of `open_fields`
    /// is still open, writes ONE op setting `fields` (its base is every head, which closes the
    /// items), records `note` as the op's reason and appends a `resolve_conflict` audit event
    /// (`audit` plus the op and whether a note was given; no personal values).
    fn write_decision(
        &mut self,
        entity: &'static str,
        row_id: &str,
        open_fields: &[String],
        fields: &[(String, Value)],
        note: Option<&str>,
        audit: Value,
    ) -> Result<OpKey> {
        let row = row_id.to_owned();
        self.transact("resolve_conflict", |w| {
            // Still open inside the transaction (nothing raced us on this connection).
            for f in open_fields {
                let still: bool = w.conn().query_row(
                    "SELECT count(*) > 0 FROM conflict WHERE entity = ?1 AND row_id = ?2 AND field = ?3 AND kind = 'overlap'",
                    params![entity, row, f],
                    |r| r.get(0),
                )?;
                if !still {
                    return Err(closed_message());
                }
            }
            let mut change = Change::new(entity, row.clone(), OpKind::Update);
            for (f, v) in fields {
                change.put(f, v.clone());
            }
            let op = w.apply(change)?;
            if let Some(n) = note {
                w.conn().execute(
                    "INSERT OR REPLACE INTO op_reason (origin, seq, reason) VALUES (?1, ?2, ?3)",
                    params![op.0, op.1, n],
                )?;
            }
            let device_time = w.device_time().to_owned();
            let user = w.user_id().to_owned();
            let lamport: i64 = w.conn().query_row(
                "SELECT lamport FROM op WHERE origin = ?1 AND seq = ?2",
                params![op.0, op.1],
                |r| r.get(0),
            )?;
            let mut details = audit;
            details["op"] = json!([op.0, op.1]);
            details["note"] = json!(note.is_some());
            crate::ledger::append_audit(
                w.conn(),
                lamport,
                &device_time,
                &user,
                "resolve_conflict",
                Some(entity),
                Some(&row),
                &details,
            )?;
            Ok(op)
        })
    }

    /// Keep one competing version of a whole record (rule 9 of SYNC §3.4: fields that only make
    /// sense together — a survey's answers and its score — are decided together). For every open
    /// `overlap` item of the row in which the op `key` is a competing value, that value is kept,
    /// all in ONE op whose base lists every head of those fields; items where `key` is not a
    /// competing value stay open and are named in the result. Same checks as
    /// [`Ledger::resolve_conflict`] (locked rounds, note length); the audit event lists the
    /// fields without their values.
    pub fn resolve_version(
        &mut self,
        entity: &str,
        row_id: &str,
        key: &OpKey,
        note: Option<&str>,
    ) -> Result<VersionResolution> {
        let def = entity_def(entity)
            .ok_or_else(|| Error::Invalid(format!("Loại bản ghi không tồn tại: {entity}")))?;
        let note = checked_note(note)?;
        let open: Vec<String> = self
            .conn()
            .prepare(
                "SELECT field FROM conflict WHERE entity = ?1 AND row_id = ?2 AND kind = 'overlap' ORDER BY field",
            )?
            .query_map(params![entity, row_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if open.is_empty() {
            return Err(closed_message());
        }
        self.check_round_open(entity, row_id)?;
        let mut fields: Vec<(String, Value)> = Vec::new();
        let mut left_open = Vec::new();
        let mut heads_of: Vec<Value> = Vec::new();
        for field in &open {
            let heads = field_head_keys(self.conn(), entity, row_id, field)?;
            if heads.contains(key) {
                let v = competing(self.conn(), entity, field, key, false)?.value;
                heads_of.push(json!({
                    "field": field,
                    "heads": heads.iter().map(|k| json!([k.0, k.1])).collect::<Vec<_>>(),
                }));
                fields.push((field.clone(), v));
            } else {
                left_open.push(field.clone());
            }
        }
        if fields.is_empty() {
            return Err(Error::field(
                "choice",
                format!(
                    "Phiên bản được chọn ({}:{}) không phải là giá trị đang tranh chấp của bản ghi này. Hãy tải lại danh sách.",
                    key.0, key.1
                ),
            ));
        }
        let names: Vec<String> = fields.iter().map(|(f, _)| f.clone()).collect();
        let op = self.write_decision(
            def.name,
            row_id,
            &names,
            &fields,
            note,
            json!({"fields": heads_of, "choice": {"version": [key.0, key.1]}}),
        )?;
        let open_items: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM conflict", [], |r| r.get(0))?;
        Ok(VersionResolution {
            op,
            fields: names,
            left_open,
            open_items: open_items.max(0) as u64,
        })
    }

    /// Decide an open `overlap` item: keep one competing value or a newly typed one. A typed
    /// value is validated like a normal edit of the field (a wrong ID number gets the usual
    /// message and nothing changes). Writes ONE op whose base for the field is every current
    /// head, so the item closes here and wherever the op is imported. `note` (optional, ≤ 500
    /// characters) travels with the op as its reason; the audit event records the decision
    /// (field, competing ops, chosen op) without personal values.
    pub fn resolve_conflict(
        &mut self,
        entity: &str,
        row_id: &str,
        field: &str,
        choice: &Choice,
        note: Option<&str>,
    ) -> Result<Resolution> {
        let def = entity_def(entity)
            .ok_or_else(|| Error::Invalid(format!("Loại bản ghi không tồn tại: {entity}")))?;
        if !def.fields.contains(&field) {
            return Err(Error::field(
                "field",
                format!("Trường “{field}” không thuộc loại bản ghi {entity}."),
            ));
        }
        let note = checked_note(note)?;
        let open: bool = self.conn().query_row(
            "SELECT count(*) > 0 FROM conflict WHERE entity = ?1 AND row_id = ?2 AND field = ?3 AND kind = 'overlap'",
            params![entity, row_id, field],
            |r| r.get(0),
        )?;
        if !open {
            let other: Option<String> = self
                .conn()
                .query_row(
                    "SELECT kind FROM conflict WHERE entity = ?1 AND row_id = ?2 AND field = ?3 LIMIT 1",
                    params![entity, row_id, field],
                    |r| r.get(0),
                )
                .optional()?;
            return Err(match other {
                Some(k) => Error::Conflict(format!(
                    "Mục “{}” không chọn giá trị ở đây: hãy xử lý ở màn hình của văn phòng.",
                    kind_label(&k)
                )),
                None => closed_message(),
            });
        }
        self.check_round_open(entity, row_id)?;
        let heads = field_head_keys(self.conn(), entity, row_id, field)?;
        let (fields, audit_how) = match choice {
            Choice::Pick(key) => {
                if !heads.contains(key) {
                    return Err(Error::field(
                        "choice",
                        format!(
                            "Giá trị được chọn ({}:{}) không phải là một trong các giá trị đang tranh chấp của trường này. Hãy tải lại danh sách.",
                            key.0, key.1
                        ),
                    ));
                }
                let v = competing(self.conn(), entity, field, key, false)?.value;
                (vec![(field.to_owned(), v)], json!({"pick": [key.0, key.1]}))
            }
            Choice::Value(raw) => (
                self.typed_value(entity, row_id, field, raw)?,
                json!("typed"),
            ),
        };
        let head_list: Vec<Value> = heads.iter().map(|k| json!([k.0, k.1])).collect();
        let key = self.write_decision(
            def.name,
            row_id,
            &[field.to_owned()],
            &fields,
            note,
            json!({"field": field, "heads": head_list, "choice": audit_how}),
        )?;
        let value = fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        let open_items: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM conflict", [], |r| r.get(0))?;
        Ok(Resolution {
            op: key,
            display: show_value(self.conn(), entity, field, &value)?,
            value,
            open_items: open_items.max(0) as u64,
        })
    }

    /// Normalise and validate a typed value exactly as the household form would; returns the
    /// fields to write (a birth date also sets the birth year, as the form does).
    fn typed_value(
        &self,
        entity: &str,
        row_id: &str,
        field: &str,
        raw: &Value,
    ) -> Result<Vec<(String, Value)>> {
        let ctx = context(self.conn(), entity, row_id)?;
        let (input, options) = input_kind(self.conn(), entity, field, &ctx)?;
        if input == "none" {
            return Err(Error::field(
                "value",
                format!(
                    "Trường “{}” không nhập tay được ở đây: hãy chọn một trong các giá trị đang có.",
                    label_for(field)
                ),
            ));
        }
        let text = match raw {
            Value::String(s) => s.trim().to_owned(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let bad = |m: String| {
            Error::Fields(vec![FieldError {
                field: "value".into(),
                message: m,
            }])
        };
        // The value as the form would hold it.
        let parsed: Value = match input.as_str() {
            "bool" | "tri" => {
                if text.is_empty() && input == "tri" {
                    Value::Null
                } else {
                    match as_bool(raw).or_else(|| as_bool(&Value::String(text.clone()))) {
                        Some(b) => Value::Bool(b),
                        None => return Err(bad("Chọn “Có” hoặc “Không”.".into())),
                    }
                }
            }
            "year" => {
                if text.is_empty() {
                    Value::Null
                } else {
                    match text.parse::<i32>() {
                        Ok(y) => json!(y),
                        Err(_) => {
                            return Err(bad(format!(
                                "Năm sinh “{text}” không hợp lệ: nhập 4 chữ số, ví dụ 1978."
                            )))
                        }
                    }
                }
            }
            "code" => {
                if text.is_empty() {
                    Value::Null
                } else if field == "head_member_id" && !options.iter().any(|o| o.code == text) {
                    return Err(bad("Chủ hộ phải là một thành viên đang ở trong hộ.".into()));
                } else {
                    Value::String(text.clone())
                }
            }
            _ => Value::String(text.clone()),
        };
        let Some(hid) = ctx.household_id.clone() else {
            return Err(Error::NotFound(
                "Không tìm thấy hộ của bản ghi này để kiểm tra giá trị mới.".into(),
            ));
        };
        let detail = self.household(&hid)?;
        let before = form_of(&detail);
        let mut after = before.clone();
        let member_ix = if entity == "member" {
            Some(
                detail
                    .members
                    .iter()
                    .position(|m| m.id == row_id)
                    .ok_or_else(|| Error::NotFound("Thành viên này không còn trong hộ.".into()))?,
            )
        } else {
            None
        };
        set_form_field(&mut after, member_ix, field, &parsed, &text)?;
        let today = self.clock().today();
        let old = check_household_input(self.conn(), &before, today)?;
        let new = check_household_input(self.conn(), &after, today)?;
        let is_new_error = |i: &FieldIssue| {
            i.severity == "error"
                && !old
                    .iter()
                    .any(|o| o.severity == "error" && o.field == i.field && o.message == i.message)
        };
        let errors: Vec<FieldError> = new
            .iter()
            .filter(|i| is_new_error(i))
            .map(|i| FieldError {
                field: "value".into(),
                message: i.message.clone(),
            })
            .collect();
        if !errors.is_empty() {
            return Err(Error::Fields(errors));
        }
        // Normalise as the form's save does.
        let stored = match (entity, field) {
            ("member", "full_name") => Value::String(crate::register::normalize_name(&text)),
            ("member", "id_number") => {
                let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                if s.is_empty() {
                    Value::Null
                } else {
                    Value::String(s)
                }
            }
            ("member", "health_insurance_card") => {
                let s = text.to_uppercase();
                if s.is_empty() {
                    Value::Null
                } else {
                    Value::String(s)
                }
            }
            ("member", "birth_date") => match parse_date(&text) {
                Some(d) => Value::String(d.format("%Y-%m-%d").to_string()),
                None => Value::Null,
            },
            ("household", "address" | "note") => Value::String(text.clone()),
            _ => parsed,
        };
        let mut out = vec![(field.to_owned(), stored.clone())];
        if let (("member", "birth_date"), Some(d)) =
            ((entity, field), stored.as_str().and_then(parse_date))
        {
            let ix = member_ix.unwrap_or(0);
            let year_conflict: bool = self.conn().query_row(
                "SELECT count(*) > 0 FROM conflict WHERE entity = 'member' AND row_id = ?1 AND field = 'birth_year'",
                [row_id],
                |r| r.get(0),
            )?;
            if detail.members.get(ix).and_then(|m| m.birth_year) != Some(d.year()) && !year_conflict
            {
                out.push(("birth_year".into(), json!(d.year())));
            }
        }
        Ok(out)
    }
}

/// The household form as the edit screen would send it for `d`.
fn form_of(d: &HouseholdDetail) -> HouseholdInput {
    HouseholdInput {
        id: Some(d.id.clone()),
        village_id: d.village_id.clone(),
        address: d.address.clone(),
        ethnicity: d.ethnicity.clone(),
        ethnic_minority: d.ethnic_minority,
        no_labour: d.no_labour,
        merit: d.merit,
        note: d.note.clone(),
        members: d
            .members
            .iter()
            .map(|m| MemberInput {
                id: Some(m.id.clone()),
                full_name: m.full_name.clone(),
                birth_date: m.birth_date.clone(),
                birth_year: m.birth_year,
                sex: m.sex.clone(),
                ethnicity: m.ethnicity.clone(),
                relation: m.relation.clone(),
                id_number: m.id_number.clone(),
                health_insurance_card: m.health_insurance_card.clone(),
                health_insurance: m.health_insurance,
                attending_school: m.attending_school,
                education_level: m.education_level.clone(),
                work_status: m.work_status.clone(),
                labour_contract: m.labour_contract,
                disability: m.disability,
                social_allowance: m.social_allowance,
                nutrition_status: m.nutrition_status.clone(),
            })
            .collect(),
    }
}

/// Put the typed value into the form (`text` as typed, `v` parsed).
fn set_form_field(
    f: &mut HouseholdInput,
    member: Option<usize>,
    field: &str,
    v: &Value,
    text: &str,
) -> Result<()> {
    let opt = || Some(text.to_owned()).filter(|s| !s.is_empty());
    let b = v.as_bool();
    if let Some(ix) = member {
        let m = f
            .members
            .get_mut(ix)
            .ok_or_else(|| Error::NotFound("Thành viên này không còn trong hộ.".into()))?;
        match field {
            "full_name" => m.full_name = text.to_owned(),
            "birth_date" => {
                m.birth_date = opt();
                // The form derives the year from the date.
                if m.birth_date.is_some() {
                    m.birth_year = None;
                }
            }
            "birth_year" => m.birth_year = v.as_i64().map(|y| y as i32),
            "sex" => m.sex = text.to_owned(),
            "relation" => m.relation = text.to_owned(),
            "ethnicity" => m.ethnicity = opt(),
            "id_number" => m.id_number = opt(),
            "health_insurance_card" => m.health_insurance_card = opt(),
            "health_insurance" => m.health_insurance = b,
            "attending_school" => m.attending_school = b,
            "education_level" => m.education_level = opt(),
            "work_status" => m.work_status = opt(),
            "labour_contract" => m.labour_contract = b,
            "disability" => m.disability = b,
            "social_allowance" => m.social_allowance = b,
            "nutrition_status" => m.nutrition_status = opt(),
            _ => {}
        }
        return Ok(());
    }
    match field {
        "village_id" => f.village_id = text.to_owned(),
        "address" => f.address = text.to_owned(),
        "ethnicity" => f.ethnicity = opt(),
        "ethnic_minority" => f.ethnic_minority = b.unwrap_or(false),
        "no_labour" => f.no_labour = b.unwrap_or(false),
        "merit" => f.merit = b.unwrap_or(false),
        "note" => f.note = text.to_owned(),
        _ => {}
    }
    Ok(())
}

/// Refuse a save that would write every field of a record (a survey form) while an identity,
/// eligibility or income field of it has competing values: saving would settle them without the
/// person seeing both (issue 4). They are decided on the review screen first.
pub(crate) fn refuse_if_open_critical(conn: &Connection, entity: &str, row_id: &str) -> Result<()> {
    let Some(def) = entity_def(entity) else {
        return Ok(());
    };
    let mut stmt = conn.prepare_cached(
        "SELECT field FROM conflict WHERE entity = ?1 AND row_id = ?2 AND kind = 'overlap' ORDER BY field",
    )?;
    let open: Vec<String> = stmt
        .query_map(params![entity, row_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let critical: Vec<String> = open
        .into_iter()
        .filter(|f| def.critical.contains(&f.as_str()))
        .map(|f| label_for(&f))
        .collect();
    if critical.is_empty() {
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "Hai máy đã ghi giá trị khác nhau cho {} của phiếu này. Hãy chọn giá trị đúng ở màn hình “Mục cần xem xét” trước khi lưu lại phiếu.",
        critical.join(", ")
    )))
}

/// Parse `ORIGIN:SEQ` (as printed by `conflicts`) into an op key.
pub fn parse_op_key(s: &str) -> Result<OpKey> {
    let (o, q) = s.trim().rsplit_once(':').ok_or_else(|| {
        Error::Invalid(format!(
            "“{s}” không phải mã thao tác: viết dạng NGUỒN:SỐ, ví dụ 3f2a…:12."
        ))
    })?;
    let seq: i64 = q.parse().map_err(|_| {
        Error::Invalid(format!(
            "“{s}” không phải mã thao tác: phần sau dấu “:” phải là số."
        ))
    })?;
    if o.is_empty() {
        return Err(Error::Invalid(format!(
            "“{s}” không phải mã thao tác: thiếu mã máy trước dấu “:”."
        )));
    }
    Ok(OpKey(o.to_owned(), seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_keys_parse_and_refuse_garbage() {
        assert_eq!(
            parse_op_key("abc:12").expect("key"),
            OpKey("abc".into(), 12)
        );
        assert!(parse_op_key("abc").is_err());
        assert!(parse_op_key("abc:x").is_err());
        assert!(parse_op_key(":3").is_err());
    }

    #[test]
    fn yes_no_values_read_in_every_stored_form() {
        for v in [
            json!(true),
            json!(1),
            json!("1"),
            json!("Có"),
            json!("true"),
        ] {
            assert_eq!(as_bool(&v), Some(true), "{v}");
        }
        for v in [json!(false), json!(0), json!("0"), json!("không")] {
            assert_eq!(as_bool(&v), Some(false), "{v}");
        }
        assert_eq!(as_bool(&json!("có lẽ")), None);
    }
}
