//! Office actions (quyết định của văn phòng) carried to the communes in return packages:
//! approve, return for correction (with the reason and the laptop that must fix it), lock and
//! unlock a household or a commune's whole round; decide change requests (edits a commune made to
//! a locked record: accept = apply them as an office op, or refuse); duplicate people across
//! communes (same personal ID, or as candidates the same name without diacritics and birth date)
//! with the decision to merge (one record kept, the other marked as its duplicate — never deleted)
//! or to remember that they are different people. Each decision is an `office_action` row written
//! through the ledger's one write path (authority 3); a decision concerning two communes is
//! written once per commune, so each return package carries only rows of its own commune.
//!
//! Deliberately absent: deriving locks and review items from the op set (that is
//! [`crate::review_items`]), files and packages (that is [`crate::sync`]), the `overlap` chooser.

use crate::error::{Error, Result};
use crate::ledger::{entity_def, new_id, Change, Ledger, OpKey, OpKind};
use crate::review_items::{self, Decision};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One decision of the office, as stored (row of `office_action`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OfficeAction {
    pub id: String,
    pub commune_code: Option<String>,
    /// `approve` | `return` | `lock` | `unlock` | `merge` | `distinct` | `accept_change` | `refuse_change`.
    pub action: String,
    pub household_id: Option<String>,
    pub household_code: Option<String>,
    pub round_id: Option<String>,
    pub member_id: Option<String>,
    pub other_member_id: Option<String>,
    pub target: Option<String>,
    /// Node id of the laptop that must fix it (return for correction).
    pub device: Option<String>,
    pub device_short_code: Option<String>,
    pub reason: Option<String>,
    pub created_at: Option<String>,
}

/// A household under an office decision: what the office decided last.
#[derive(Debug, Clone, Serialize)]
pub struct HouseholdDecision {
    pub household_id: String,
    pub household_code: Option<String>,
    pub commune_code: Option<String>,
    pub head_name: String,
    /// `approved` | `returned` | `locked` | `open` (nothing decided, or unlocked).
    pub state: String,
    pub last: Option<OfficeAction>,
}

/// A household returned for correction (việc cần sửa): the reason, the laptop, and whether a fix
/// arrived (an edit of the household, its members or surveys made after the return).
#[derive(Debug, Clone, Serialize)]
pub struct ReturnedItem {
    pub action: OfficeAction,
    pub head_name: String,
    /// Still to do: no later decision and no fix yet.
    pub open: bool,
    /// Ops of the fix, when one arrived.
    pub fixed_by: Vec<OpKey>,
}

/// A commune's edit of an approved or locked record, waiting for the office (yêu cầu thay đổi).
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRequest {
    /// `"<node id>:<seq>"` of the edit.
    pub id: String,
    /// `"<short code>:<seq>"`, the spelling shown to people.
    pub short_id: String,
    pub entity: String,
    pub row_id: String,
    pub household_id: Option<String>,
    pub household_code: Option<String>,
    pub commune_code: Option<String>,
    pub device_time: String,
    /// Field → `{ "current": value shown, "proposed": value of the edit }`.
    pub fields: BTreeMap<String, Value>,
}

/// One person record, as the office compares duplicates side by side.
#[derive(Debug, Clone, Serialize)]
pub struct PersonRecord {
    pub member_id: String,
    pub commune_code: Option<String>,
    pub commune_name: Option<String>,
    pub village: Option<String>,
    pub household_id: Option<String>,
    pub household_code: Option<String>,
    pub head_name: String,
    pub full_name: String,
    pub birth_date: Option<String>,
    pub id_number: Option<String>,
}

/// Two records that may be one person (người trùng): `same_id` (same personal ID) or
/// `candidate` (same name without diacritics and same birth date).
#[derive(Debug, Clone, Serialize)]
pub struct DuplicatePair {
    pub kind: String,
    pub a: PersonRecord,
    pub b: PersonRecord,
}

/// A review round of one commune, for decisions on the whole round.
#[derive(Debug, Clone, Serialize)]
pub struct CommuneRound {
    pub id: String,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub year: Option<i64>,
    pub month: Option<i64>,
    pub status: Option<String>,
}

/// A merge decided by the office, seen from one record.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateMark {
    /// The record marked as a duplicate.
    pub member_id: String,
    /// The record kept.
    pub duplicate_of: String,
    pub commune_code: Option<String>,
    /// Name and household code of each record, when it is held here (a commune holds only its own).
    pub member_name: Option<String>,
    pub member_household_code: Option<String>,
    pub kept_name: Option<String>,
    pub kept_household_code: Option<String>,
}

const ACTION_COLS: &str = "a.id, a.commune_code, a.action, a.household_id, h.code, a.round_id, a.member_id, a.other_member_id, a.target, a.device, n.short_code, a.reason, a.created_at";

fn action_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OfficeAction> {
    Ok(OfficeAction {
        id: r.get(0)?,
        commune_code: r.get(1)?,
        action: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        household_id: r.get(3)?,
        household_code: r.get(4)?,
        round_id: r.get(5)?,
        member_id: r.get(6)?,
        other_member_id: r.get(7)?,
        target: r.get(8)?,
        device: r.get(9)?,
        device_short_code: r.get(10)?,
        reason: r.get(11)?,
        created_at: r.get(12)?,
    })
}

fn load_actions(
    conn: &Connection,
    filter: &str,
    p: &[&dyn rusqlite::ToSql],
) -> Result<Vec<OfficeAction>> {
    let sql = format!(
        "SELECT {ACTION_COLS} FROM office_action a
         JOIN op o ON o.row_id = a.id AND o.pack_line IS NULL AND o.entity = 'office_action' AND o.kind = 'create' AND o.authority = 3
         LEFT JOIN household h ON h.id = a.household_id
         LEFT JOIN node n ON n.node_id = a.device
         WHERE {filter} ORDER BY o.lamport, o.origin, o.seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(p, action_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn is_office(conn: &Connection) -> Result<bool> {
    Ok(conn
        .query_row("SELECT kind FROM local_node WHERE id = 1", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .is_some_and(|k| k == "office"))
}

fn require_office(conn: &Connection, what: &str) -> Result<()> {
    if is_office(conn)? {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "Chỉ văn phòng mới {what}; tại xã hãy xem danh sách việc cần sửa."
        )))
    }
}

/// What the office holds from every device of `commune` (contiguous seq per origin).
fn seen_of(conn: &Connection, commune: &str) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare(
        "SELECT n.node_id, count(o.seq), coalesce(max(o.seq), 0) FROM node n LEFT JOIN op o ON o.origin = n.node_id
         WHERE n.commune_code = ?1 AND n.role <> 'office' GROUP BY n.node_id",
    )?;
    let rows = stmt.query_map([commune], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    let mut walk = conn.prepare_cached("SELECT seq FROM op WHERE origin = ?1 ORDER BY seq")?;
    for r in rows {
        let (node, count, max) = r?;
        let held = if count == max {
            max
        } else {
            let mut c = 0;
            let mut seqs = walk.query([&node])?;
            while let Some(s) = seqs.next()? {
                let s: i64 = s.get(0)?;
                if s != c + 1 {
                    break;
                }
                c = s;
            }
            c
        };
        out.insert(node, held);
    }
    Ok(out)
}

/// What a decision is about.
enum Target {
    Household { id: String, commune: String },
    Round { id: String, commune: String },
}

impl Ledger {
    fn find_household(&self, key: &str) -> Result<(String, String)> {
        let key = key.trim();
        let found: Option<(String, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT id, commune_code FROM household WHERE id = ?1 OR code = ?1 ORDER BY id LIMIT 1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match found {
            Some((id, Some(c))) => Ok((id, c)),
            _ => Err(Error::NotFound(format!("Không tìm thấy hộ “{key}”."))),
        }
    }

    fn find_round(&self, id: &str) -> Result<(String, String)> {
        let found: Option<(String, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT id, commune_code FROM review_round WHERE id = ?1 AND deleted = 0",
                [id.trim()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match found {
            Some((id, Some(c))) => Ok((id, c)),
            _ => Err(Error::NotFound(format!(
                "Không tìm thấy đợt rà soát “{}”.",
                id.trim()
            ))),
        }
    }

    fn target(&self, household: Option<&str>, round: Option<&str>) -> Result<Target> {
        match (household, round) {
            (Some(h), _) => {
                let (id, commune) = self.find_household(h)?;
                Ok(Target::Household { id, commune })
            }
            (None, Some(r)) => {
                let (id, commune) = self.find_round(r)?;
                Ok(Target::Round { id, commune })
            }
            (None, None) => Err(Error::Invalid(
                "Hãy chọn một hộ hoặc một đợt rà soát.".into(),
            )),
        }
    }

    fn decide(&mut self, action: &str, change: Change) -> Result<OfficeAction> {
        let id = change.row_id.clone();
        let now = self
            .clock()
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.transact(&format!("office_{action}"), |w| {
            w.apply(change.with("created_at", now))?;
            Ok(())
        })?;
        load_actions(self.conn(), "a.id = ?1", &[&id])?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Database("Quyết định vừa ghi không đọc lại được.".into()))
    }

    fn household_or_round_action(
        &mut self,
        action: &str,
        household: Option<&str>,
        round: Option<&str>,
        reason: Option<&str>,
        device: Option<&str>,
    ) -> Result<OfficeAction> {
        require_office(self.conn(), "duyệt, trả lại hoặc khoá hồ sơ của xã")?;
        let target = self.target(household, round)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > 500) {
            return Err(Error::field("reason", "Lý do tối đa 500 ký tự."));
        }
        let (commune, mut c) = match &target {
            Target::Household { id, commune } => (
                commune.clone(),
                Change::new("office_action", new_id(), OpKind::Create)
                    .with("household_id", id.as_str()),
            ),
            Target::Round { id, commune } => (
                commune.clone(),
                Change::new("office_action", new_id(), OpKind::Create)
                    .with("round_id", id.as_str()),
            ),
        };
        if let (Target::Household { .. }, Some(r)) = (&target, round) {
            let (rid, rc) = self.find_round(r)?;
            if rc != commune {
                return Err(Error::Invalid(
                    "Đợt rà soát này không thuộc xã của hộ.".into(),
                ));
            }
            c.put("round_id", rid);
        }
        if let Some(d) = device {
            let n = self.resolve_node(d)?;
            if n.commune_code.as_deref() != Some(commune.as_str()) || n.role == "office" {
                return Err(Error::field(
                    "device",
                    format!("Máy “{d}” không thuộc xã {commune}."),
                ));
            }
            c.put("device", n.node_id);
        }
        if let Some(r) = reason {
            c.put("reason", r);
        }
        let seen = seen_of(self.conn(), &commune)?;
        c.put(
            "seen",
            serde_json::to_string(&seen).unwrap_or_else(|_| "{}".into()),
        );
        c.put("commune_code", commune);
        c.put("action", action);
        self.decide(action, c)
    }

    /// Office: approve a household's result (`household` = id or household code, optionally in
    /// `round`) or, with `household = None`, a commune's whole round. Later commune edits of the
    /// approved records are kept but not shown, and become change requests.
    pub fn approve(
        &mut self,
        household: Option<&str>,
        round: Option<&str>,
    ) -> Result<OfficeAction> {
        self.household_or_round_action("approve", household, round, None, None)
    }

    /// Office: lock a household or a commune's round (same effect on edits as an approval).
    pub fn lock(&mut self, household: Option<&str>, round: Option<&str>) -> Result<OfficeAction> {
        self.household_or_round_action("lock", household, round, None, None)
    }

    /// Office: lift an approval or a lock; later commune edits are shown again.
    pub fn unlock(&mut self, household: Option<&str>, round: Option<&str>) -> Result<OfficeAction> {
        self.household_or_round_action("unlock", household, round, None, None)
    }

    /// Office: return a household for correction with a mandatory reason, optionally naming the
    /// laptop (node id or short code) that must fix it; only that laptop's edits are then shown.
    pub fn return_for_correction(
        &mut self,
        household: &str,
        reason: &str,
        device: Option<&str>,
    ) -> Result<OfficeAction> {
        if reason.trim().is_empty() {
            return Err(Error::field(
                "reason",
                "Phải ghi lý do trả lại để xã biết cần sửa gì.",
            ));
        }
        self.household_or_round_action("return", Some(household), None, Some(reason), device)
    }

    /// Every office decision this node holds, oldest first (optionally of one commune).
    pub fn office_actions(&self, commune: Option<&str>) -> Result<Vec<OfficeAction>> {
        match commune {
            Some(c) => load_actions(self.conn(), "a.commune_code = ?1", &[&c]),
            None => load_actions(self.conn(), "1 = 1", &[]),
        }
    }

    /// Households with an office decision and their current state (last decision wins).
    pub fn household_decisions(&self, commune: Option<&str>) -> Result<Vec<HouseholdDecision>> {
        let actions = self.office_actions(commune)?;
        let mut households: BTreeSet<String> = BTreeSet::new();
        for a in &actions {
            if !review_items::LOCK_ACTIONS.contains(&a.action.as_str()) {
                continue;
            }
            match &a.household_id {
                Some(h) => {
                    households.insert(h.clone());
                }
                None => {
                    if let Some(c) = &a.commune_code {
                        let mut stmt = self.conn().prepare_cached(
                            "SELECT id FROM household WHERE commune_code = ?1 AND deleted = 0",
                        )?;
                        for id in stmt.query_map([c], |r| r.get::<_, String>(0))? {
                            households.insert(id?);
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        for h in households {
            let decisions = review_items::decisions_for(self.conn(), &h, None)?;
            let last = decisions.last().cloned();
            let (code, commune_code, head): (Option<String>, Option<String>, String) = self
                .conn()
                .query_row(
                    "SELECT code, commune_code, head_name FROM household WHERE id = ?1",
                    [&h],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .unwrap_or((None, None, String::new()));
            let state = match last.as_ref().map(|d| d.action.as_str()) {
                Some("approve") => "approved",
                Some("lock") => "locked",
                Some("return") => "returned",
                _ => "open",
            };
            let last = match last {
                Some(d) => load_actions(self.conn(), "a.id = ?1", &[&d.id])?
                    .into_iter()
                    .next(),
                None => None,
            };
            out.push(HouseholdDecision {
                household_id: h,
                household_code: code,
                commune_code,
                head_name: head,
                state: state.into(),
                last,
            });
        }
        out.sort_by(|a, b| {
            (&a.commune_code, &a.household_code).cmp(&(&b.commune_code, &b.household_code))
        });
        Ok(out)
    }

    /// Households returned for correction (office and commune): the reason, the laptop, and
    /// whether it is still to do. A return closes when a later decision is taken or when an edit
    /// of the household (its members, its surveys) made after the return by the named laptop
    /// (any laptop of the commune if none was named) is held here.
    pub fn returned_for_correction(&self) -> Result<Vec<ReturnedItem>> {
        let mut out = Vec::new();
        for a in load_actions(self.conn(), "a.action = 'return'", &[])? {
            let Some(hid) = a.household_id.clone() else {
                continue;
            };
            let decisions = review_items::decisions_for(self.conn(), &hid, None)?;
            let Some(pos) = decisions.iter().position(|d| d.id == a.id) else {
                continue;
            };
            let this: &Decision = &decisions[pos];
            let superseded = pos + 1 < decisions.len();
            let mut fixed_by = Vec::new();
            for (entity, row) in review_items::household_rows(self.conn(), &hid)? {
                for o in review_items::row_ops(self.conn(), &entity, &row)? {
                    if o.authority >= 3 {
                        continue;
                    }
                    let after = this.seen.get(&o.key.0).copied().unwrap_or(0) < o.key.1;
                    let allowed = this.device.as_ref().is_none_or(|d| *d == o.key.0);
                    if after && allowed {
                        fixed_by.push(o.key);
                    }
                }
            }
            fixed_by.sort();
            let head: String = self
                .conn()
                .query_row(
                    "SELECT head_name FROM household WHERE id = ?1",
                    [&hid],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_default();
            out.push(ReturnedItem {
                open: !superseded && fixed_by.is_empty(),
                action: a,
                head_name: head,
                fixed_by,
            });
        }
        Ok(out)
    }

    /// Change requests: commune edits of approved or locked records not yet decided.
    pub fn change_requests(&self) -> Result<Vec<ChangeRequest>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT entity, row_id, heads FROM conflict WHERE kind = 'locked_edit' ORDER BY entity, row_id, field",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut keys: BTreeMap<OpKey, (String, String)> = BTreeMap::new();
        for r in rows {
            let (entity, row, heads) = r?;
            let list: Vec<OpKey> = serde_json::from_str(&heads).unwrap_or_default();
            for k in list {
                keys.insert(k, (entity.clone(), row.clone()));
            }
        }
        let mut out = Vec::new();
        for (key, (entity, row)) in keys {
            out.push(self.change_request(&key, &entity, &row)?);
        }
        Ok(out)
    }

    fn change_request(&self, key: &OpKey, entity: &str, row: &str) -> Result<ChangeRequest> {
        let conn = self.conn();
        let op = crate::op_pack::op_by_key(conn, &key.0, key.1)?.ok_or_else(|| {
            Error::Database(format!(
                "Không tìm thấy thao tác {}:{} trong sổ.",
                key.0, key.1
            ))
        })?;
        let (body, device_time) = (op.body, op.device_time);
        let def = entity_def(entity)
            .ok_or_else(|| Error::Database(format!("Loại bản ghi lạ: {entity}")))?;
        let mut fields = BTreeMap::new();
        for (f, v) in &body.set {
            if !def.fields.contains(&f.as_str()) {
                continue;
            }
            let current: rusqlite::types::Value = conn
                .query_row(
                    &format!("SELECT {f} FROM {} WHERE id = ?1", def.table),
                    [row],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(rusqlite::types::Value::Null);
            let current = match current {
                rusqlite::types::Value::Null => Value::Null,
                rusqlite::types::Value::Integer(i) => json!(i),
                rusqlite::types::Value::Real(x) => json!(x),
                rusqlite::types::Value::Text(s) => json!(s),
                rusqlite::types::Value::Blob(_) => Value::Null,
            };
            fields.insert(f.clone(), json!({"current": current, "proposed": v}));
        }
        let household = review_items::household_of(conn, entity, row)?.map(|x| x.0);
        let (code, commune) = match &household {
            Some(h) => conn
                .query_row(
                    "SELECT code, commune_code FROM household WHERE id = ?1",
                    [h],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((None, None)),
            None => (None, None),
        };
        let short: Option<String> = conn
            .query_row(
                "SELECT short_code FROM node WHERE node_id = ?1",
                [&key.0],
                |r| r.get(0),
            )
            .optional()?;
        Ok(ChangeRequest {
            id: review_items::change_id(key),
            short_id: format!("{}:{}", short.unwrap_or_else(|| key.0.clone()), key.1),
            entity: entity.into(),
            row_id: row.into(),
            household_id: household,
            household_code: code,
            commune_code: commune,
            device_time,
            fields,
        })
    }

    fn find_change(&self, id: &str) -> Result<ChangeRequest> {
        let (who, seq) = id
            .trim()
            .rsplit_once(':')
            .and_then(|(w, s)| s.parse::<i64>().ok().map(|s| (w.to_owned(), s)))
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "Mã yêu cầu thay đổi “{id}” không hợp lệ (dạng MÁY:SỐ, ví dụ 01234-1:57)."
                ))
            })?;
        let node = self.resolve_node(&who).map(|n| n.node_id).unwrap_or(who);
        let key = OpKey(node, seq);
        self.change_requests()?
            .into_iter()
            .find(|c| c.id == review_items::change_id(&key))
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "Không có yêu cầu thay đổi “{id}” đang chờ quyết định."
                ))
            })
    }

    /// Office: accept a change request — its values are applied as an office op (shown
    /// everywhere after the return package) and the request is closed.
    pub fn accept_change(&mut self, id: &str) -> Result<OfficeAction> {
        require_office(self.conn(), "chấp nhận yêu cầu thay đổi")?;
        let req = self.find_change(id)?;
        let def = entity_def(&req.entity)
            .ok_or_else(|| Error::Database(format!("Loại bản ghi lạ: {}", req.entity)))?;
        let mut update = Change::new(def.name, req.row_id.clone(), OpKind::Update);
        for (f, v) in &req.fields {
            update.put(f, v["proposed"].clone());
        }
        let action_id = new_id();
        let now = self
            .clock()
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let decision = change_decision(&action_id, "accept_change", &req).with("created_at", now);
        self.transact("office_accept_change", |w| {
            w.apply(decision)?;
            w.apply(update)?;
            Ok(())
        })?;
        load_actions(self.conn(), "a.id = ?1", &[&action_id])?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Database("Quyết định vừa ghi không đọc lại được.".into()))
    }

    /// Office: refuse a change request (the edit stays in the log, never shown).
    pub fn refuse_change(&mut self, id: &str, reason: Option<&str>) -> Result<OfficeAction> {
        require_office(self.conn(), "từ chối yêu cầu thay đổi")?;
        let req = self.find_change(id)?;
        let mut c = change_decision(&new_id(), "refuse_change", &req);
        if let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) {
            c.put("reason", r);
        }
        self.decide("refuse_change", c)
    }

    fn person(&self, member: &str) -> Result<PersonRecord> {
        self.conn()
            .query_row(
                "SELECT m.id, h.commune_code, c.name, v.name, m.household_id, h.code, coalesce(h.head_name, ''),
                        coalesce(m.full_name, ''), m.birth_date, m.id_number
                 FROM member m LEFT JOIN household h ON h.id = m.household_id
                 LEFT JOIN commune c ON c.id = h.commune_code LEFT JOIN village v ON v.id = h.village_id
                 WHERE m.id = ?1",
                [member],
                |r| {
                    Ok(PersonRecord {
                        member_id: r.get(0)?,
                        commune_code: r.get(1)?,
                        commune_name: r.get(2)?,
                        village: r.get(3)?,
                        household_id: r.get(4)?,
                        household_code: r.get(5)?,
                        head_name: r.get(6)?,
                        full_name: r.get(7)?,
                        birth_date: r.get(8)?,
                        id_number: r.get(9)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("Không tìm thấy người “{member}”.")))
    }

    /// Office: possible duplicate people, computed now over every record (and the
    /// `duplicate_person` review items refreshed): same personal ID, then candidates with the same
    /// name without diacritics and the same birth date (not both with different IDs). Pairs the
    /// office decided (merged, or "not the same person") are never shown again.
    pub fn duplicate_people(&mut self) -> Result<Vec<DuplicatePair>> {
        require_office(self.conn(), "xem danh sách người trùng giữa các xã")?;
        let decided = review_items::decided_pairs(self.conn())?;
        type Row = (String, Option<String>, Option<String>, Option<String>);
        let mut stmt = self.conn().prepare(
            "SELECT id, full_name, birth_date, id_number FROM member WHERE deleted = 0 ORDER BY id",
        )?;
        let rows: Vec<Row> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        let mut by_id: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        type NameGroups<'a> = BTreeMap<(String, String), Vec<(&'a str, Option<&'a str>)>>;
        let mut by_name: NameGroups<'_> = BTreeMap::new();
        for (id, name, birth, number) in &rows {
            let number = number.as_deref().map(str::trim).filter(|n| !n.is_empty());
            if let Some(n) = number {
                by_id.entry(n.to_owned()).or_default().push(id);
            }
            if let (Some(name), Some(birth)) = (name, birth) {
                let folded = crate::text::fold(name);
                if !folded.is_empty() && !birth.trim().is_empty() {
                    by_name
                        .entry((folded, birth.trim().to_owned()))
                        .or_default()
                        .push((id, number));
                }
            }
        }
        let mut pairs: BTreeMap<(String, String), &str> = BTreeMap::new();
        for ids in by_id.values().filter(|v| v.len() > 1) {
            for (i, a) in ids.iter().enumerate() {
                for b in &ids[i + 1..] {
                    let p = review_items::pair(a, b);
                    if !decided.contains(&p) {
                        pairs.insert(p, "same_id");
                    }
                }
            }
        }
        for group in by_name.values().filter(|v| v.len() > 1) {
            for (i, (a, na)) in group.iter().enumerate() {
                for (b, nb) in &group[i + 1..] {
                    if let (Some(x), Some(y)) = (na, nb) {
                        if x != y {
                            continue;
                        }
                    }
                    let p = review_items::pair(a, b);
                    if !decided.contains(&p) {
                        pairs.entry(p).or_insert("candidate");
                    }
                }
            }
        }
        let ids: BTreeSet<String> = by_id
            .values()
            .filter(|v| v.len() > 1)
            .flatten()
            .map(|s| (*s).to_owned())
            .collect();
        if !ids.is_empty() {
            let tx = self
                .conn_mut()
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            review_items::refresh_duplicates(&tx, &ids)?;
            tx.commit()?;
        }
        let mut out = Vec::new();
        for ((a, b), kind) in pairs {
            out.push(DuplicatePair {
                kind: kind.into(),
                a: self.person(&a)?,
                b: self.person(&b)?,
            });
        }
        out.sort_by_key(|x| x.kind != "same_id");
        Ok(out)
    }

    fn pair_decision(
        &mut self,
        action: &str,
        keep: &str,
        other: &str,
        reason: Option<&str>,
    ) -> Result<Vec<OfficeAction>> {
        require_office(self.conn(), "quyết định về người trùng")?;
        if keep.trim() == other.trim() {
            return Err(Error::Invalid("Hãy chọn hai bản ghi khác nhau.".into()));
        }
        let a = self.person(keep.trim())?;
        let b = self.person(other.trim())?;
        let mut communes: BTreeSet<String> = BTreeSet::new();
        communes.extend(a.commune_code.clone());
        communes.extend(b.commune_code.clone());
        let now = self
            .clock()
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut ids = Vec::new();
        let changes: Vec<Change> = communes
            .iter()
            .map(|c| {
                let id = new_id();
                ids.push(id.clone());
                let mut ch = Change::new("office_action", id, OpKind::Create)
                    .with("action", action)
                    .with("commune_code", c.as_str())
                    .with("member_id", a.member_id.as_str())
                    .with("other_member_id", b.member_id.as_str())
                    .with("created_at", now.as_str());
                // Each commune's copy names the household on its side.
                let own = if a.commune_code.as_deref() == Some(c.as_str()) {
                    &a
                } else {
                    &b
                };
                if let Some(h) = &own.household_id {
                    ch.put("household_id", h.as_str());
                }
                if let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) {
                    ch.put("reason", r);
                }
                ch
            })
            .collect();
        self.write(&format!("office_{action}"), changes)?;
        let mut out = Vec::new();
        for id in ids {
            out.extend(load_actions(self.conn(), "a.id = ?1", &[&id])?);
        }
        Ok(out)
    }

    /// Office: merge two records of one person: `keep` stays, `other` is marked as its duplicate
    /// (never deleted). One decision row per commune concerned travels in its return package.
    pub fn merge_duplicates(&mut self, keep: &str, other: &str) -> Result<Vec<OfficeAction>> {
        self.pair_decision("merge", keep, other, None)
    }

    /// Office: remember that two records are different people (never shown again as a pair).
    pub fn dismiss_duplicates(&mut self, a: &str, b: &str) -> Result<Vec<OfficeAction>> {
        self.pair_decision("distinct", a, b, None)
    }

    /// The review rounds of one commune held here (newest first), for round-level decisions.
    pub fn commune_rounds(&self, commune: &str) -> Result<Vec<CommuneRound>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, title, kind, year, month, status FROM review_round
             WHERE commune_code = ?1 AND deleted = 0 ORDER BY year DESC, coalesce(month, 0) DESC, id DESC",
        )?;
        let rows = stmt.query_map([commune], |r| {
            Ok(CommuneRound {
                id: r.get(0)?,
                title: r.get(1)?,
                kind: r.get(2)?,
                year: r.get(3)?,
                month: r.get(4)?,
                status: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Merges decided by the office that concern records held here: which record is marked as a
    /// duplicate of which (at a commune: the decisions about its own people).
    pub fn duplicate_marks(&self) -> Result<Vec<DuplicateMark>> {
        let mut out = Vec::new();
        for a in load_actions(self.conn(), "a.action = 'merge'", &[])? {
            let (Some(kept), Some(dup)) = (a.member_id, a.other_member_id) else {
                continue;
            };
            let held = |id: &str| -> Result<(Option<String>, Option<String>)> {
                self.person(id)
                    .map(|p| (Some(p.full_name), p.household_code))
                    .or_else(|e| match e {
                        Error::NotFound(_) => Ok((None, None)),
                        other => Err(other),
                    })
            };
            let (member_name, member_household_code) = held(&dup)?;
            let (kept_name, kept_household_code) = held(&kept)?;
            out.push(DuplicateMark {
                member_id: dup,
                duplicate_of: kept,
                commune_code: a.commune_code,
                member_name,
                member_household_code,
                kept_name,
                kept_household_code,
            });
        }
        Ok(out)
    }
}

/// The office's decision on change request `req` (`accept_change` | `refuse_change`), as the
/// `office_action` row that records it: which request, for which commune and household.
fn change_decision(id: &str, action: &str, req: &ChangeRequest) -> Change {
    let opt = |v: &Option<String>| v.clone().map(Value::from).unwrap_or(Value::Null);
    Change::new("office_action", id, OpKind::Create)
        .with("action", action)
        .with("target", req.id.as_str())
        .with("commune_code", opt(&req.commune_code))
        .with("household_id", opt(&req.household_id))
}
