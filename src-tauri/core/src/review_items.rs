//! Row-level review items (mục cần xem xét theo bản ghi), derived from the op set at the end of
//! every write (local or imported) for the rows it touched: edits of an approved or locked record
//! (`locked_edit`: kept in the log, hidden from the display, offered to the office as a change
//! request), a delete concurrent with an edit (`delete_vs_edit`: the record shows deleted, the edit
//! is kept) and the same personal ID in two records (`duplicate_person`, at the office only).
//!
//! Every verdict is a pure function of the ops of the row and of the office's decisions
//! (`office_action` rows, see [`crate::office`]), never of arrival order: an edit is *locked* when
//! the latest office decision on its household that had not seen it (the decision's `seen`
//! watermark per device is below the edit's seq) is `approve` or `lock`, or `return` naming
//! another laptop. A delete *saw* an edit when the edit is in the closure of the delete's base
//! (a delete records the heads of every field it saw) or precedes it on the same laptop.
//!
//! Deliberately absent: the per-field `overlap` rule (the ledger's; recomputed here only for rows
//! under an office decision, without the hidden edits), writing decisions (that is
//! [`crate::office`], through the write path) and any user interface.

use crate::error::Result;
use crate::ledger::{entity_def, EntityDef, OpBody, OpKey};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Decisions that govern edits of a household.
pub(crate) const LOCK_ACTIONS: &[&str] = &["approve", "return", "lock", "unlock"];

/// Entities whose rows belong to a household and are frozen by its approval or lock.
const HOUSEHOLD_ENTITIES: &[&str] = &["household", "member", "survey"];

/// One office decision on a household (or on every household of a commune).
#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub id: String,
    pub action: String,
    pub device: Option<String>,
    pub seen: BTreeMap<String, i64>,
}

impl Decision {
    fn saw(&self, key: &OpKey) -> bool {
        self.seen.get(&key.0).is_some_and(|s| *s >= key.1)
    }
}

/// The decision that governs an edit: the latest one (in the office's order) that had not seen it.
pub(crate) fn governing<'a>(decisions: &'a [Decision], key: &OpKey) -> Option<&'a Decision> {
    decisions.iter().rev().find(|d| !d.saw(key))
}

/// Whether an op of authority `authority` is an edit of a locked record under `decisions`.
pub(crate) fn is_locked(decisions: &[Decision], key: &OpKey, authority: i64) -> bool {
    if authority >= 3 {
        return false;
    }
    match governing(decisions, key) {
        None => false,
        Some(d) => match d.action.as_str() {
            "approve" | "lock" => true,
            "return" => d.device.as_ref().is_some_and(|dev| *dev != key.0),
            _ => false,
        },
    }
}

/// Why an edit of household `hid` typed on this installation now would wait for the office, as
/// the sentence the household screen shows; `None` when it would show at once. The same rule the
/// ledger applies to the edit once written ([`is_locked`] under the decision that has not seen it).
pub(crate) fn office_hold(conn: &Connection, hid: &str) -> Result<Option<String>> {
    let Some(me) = crate::ledger::local_identity(conn)? else {
        return Ok(None);
    };
    let decisions = decisions_for(conn, hid, None)?;
    let next_edit = OpKey(me.node_id, i64::MAX);
    if !is_locked(&decisions, &next_edit, me.authority) {
        return Ok(None);
    }
    let why = match governing(&decisions, &next_edit).map(|d| d.action.as_str()) {
        Some("lock") => "Hộ này đã được văn phòng khoá.",
        Some("return") => "Văn phòng đã trả hộ này cho một máy khác sửa.",
        _ => "Hộ này đã được văn phòng duyệt.",
    };
    Ok(Some(format!(
        "{why} Thay đổi bạn lưu được giữ lại và gửi lên văn phòng như một yêu cầu thay đổi; \
         sổ hộ chỉ hiện giá trị mới khi văn phòng chấp nhận."
    )))
}

/// The decisions on household `hid` (its own and its commune's), in the office's order, written
/// by an office (authority 3) op. `round`: only decisions of no round or of that round (surveys).
pub(crate) fn decisions_for(
    conn: &Connection,
    hid: &str,
    round: Option<&str>,
) -> Result<Vec<Decision>> {
    let commune: Option<String> = conn
        .prepare_cached("SELECT commune_code FROM household WHERE id = ?1")?
        .query_row([hid], |r| r.get(0))
        .optional()?
        .flatten();
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.action, a.round_id, a.device, a.seen
         FROM office_action a JOIN op o ON o.row_id = a.id AND o.pack_line IS NULL AND o.entity = 'office_action' AND o.kind = 'create'
         WHERE a.action IN ('approve', 'return', 'lock', 'unlock') AND o.authority = 3
           AND (a.household_id = ?1 OR (a.household_id IS NULL AND a.commune_code = ?2))
         ORDER BY o.lamport, o.origin, o.seq",
    )?;
    let rows = stmt.query_map(params![hid, commune], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (id, action, round_id, device, seen) = r?;
        if let (Some(want), Some(have)) = (round, round_id.as_deref()) {
            if want != have {
                continue;
            }
        }
        let seen: BTreeMap<String, i64> = seen
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        out.push(Decision {
            id,
            action,
            device,
            seen,
        });
    }
    Ok(out)
}

/// One op of a row, as the review rules need it.
#[derive(Debug, Clone)]
pub(crate) struct RowOp {
    pub key: OpKey,
    pub lamport: i64,
    pub authority: i64,
    pub body: OpBody,
}

impl RowOp {
    fn order(&self) -> (i64, i64, &str, i64) {
        (
            self.authority,
            self.lamport,
            self.key.0.as_str(),
            self.key.1,
        )
    }
}

pub(crate) fn row_ops(conn: &Connection, entity: &str, row_id: &str) -> Result<Vec<RowOp>> {
    Ok(crate::op_pack::row_ops(conn, entity, row_id)?
        .into_iter()
        .map(|op| RowOp {
            key: OpKey(op.origin, op.seq),
            lamport: op.lamport,
            authority: op.authority,
            body: op.body,
        })
        .collect())
}

/// The household (and round, for a survey) a row belongs to.
pub(crate) fn household_of(
    conn: &Connection,
    entity: &str,
    row_id: &str,
) -> Result<Option<(String, Option<String>)>> {
    Ok(match entity {
        "household" => Some((row_id.to_owned(), None)),
        "member" => conn
            .prepare_cached("SELECT household_id FROM member WHERE id = ?1")?
            .query_row([row_id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten()
            .map(|h| (h, None)),
        "survey" => conn
            .prepare_cached("SELECT household_id, round_id FROM survey WHERE id = ?1")?
            .query_row([row_id], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                ))
            })
            .optional()?
            .and_then(|(h, r)| h.map(|h| (h, r))),
        _ => None,
    })
}

/// Every row frozen with household `hid`: the household, its members and its surveys.
pub(crate) fn household_rows(conn: &Connection, hid: &str) -> Result<Vec<(String, String)>> {
    let mut out = vec![("household".to_owned(), hid.to_owned())];
    for (entity, table) in [("member", "member"), ("survey", "survey")] {
        let mut stmt =
            conn.prepare_cached(&format!("SELECT id FROM {table} WHERE household_id = ?1"))?;
        let ids = stmt.query_map([hid], |r| r.get::<_, String>(0))?;
        for id in ids {
            out.push((entity.to_owned(), id?));
        }
    }
    Ok(out)
}

/// Change requests the office already decided (accepted or refused): `"origin:seq"`.
pub(crate) fn decided_changes(conn: &Connection) -> Result<BTreeSet<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT target FROM office_action WHERE action IN ('accept_change', 'refuse_change') AND target IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn change_id(key: &OpKey) -> String {
    format!("{}:{}", key.0, key.1)
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64().is_some_and(|i| i != 0),
        Value::String(s) => !s.is_empty() && s != "0" && s != "false",
        _ => false,
    }
}

fn json_to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Bool(b) => V::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => V::Integer(i),
            None => V::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => V::Text(s.clone()),
        other => V::Text(other.to_string()),
    }
}

/// Column defaults of a table (the value of a field no visible op has set).
fn column_defaults(
    conn: &Connection,
    table: &str,
) -> Result<HashMap<String, rusqlite::types::Value>> {
    use rusqlite::types::Value as V;
    let mut stmt = conn.prepare_cached(&format!("PRAGMA table_info({table})"))?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(1)?, r.get::<_, Option<String>>(4)?))
    })?;
    let mut out = HashMap::new();
    for r in rows {
        let (name, dflt) = r?;
        let v = match dflt {
            None => V::Null,
            Some(d) => {
                if let Some(s) = d.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                    V::Text(s.to_owned())
                } else if let Ok(i) = d.parse::<i64>() {
                    V::Integer(i)
                } else {
                    V::Null
                }
            }
        };
        out.insert(name, v);
    }
    Ok(out)
}

/// Heads of `field` among `ops` (revisions no other revision's base supersedes).
fn heads<'a>(ops: &[&'a RowOp], field: &str) -> Vec<&'a RowOp> {
    // Only a revision of the field supersedes (a delete's base also names the fields it saw,
    // without replacing their values).
    let superseded: BTreeSet<&OpKey> = ops
        .iter()
        .filter(|o| o.body.set.contains_key(field))
        .filter_map(|o| o.body.base.get(field))
        .flatten()
        .collect();
    let mut hs: Vec<&RowOp> = ops
        .iter()
        .copied()
        .filter(|o| o.body.set.contains_key(field) && !superseded.contains(&o.key))
        .collect();
    hs.sort_by(|a, b| a.order().cmp(&b.order()));
    hs
}

fn keys_json<'a>(keys: impl Iterator<Item = &'a OpKey>) -> String {
    let mut v: Vec<&OpKey> = keys.collect();
    v.sort(); // the same row on every replica whatever the import order
    serde_json::to_string(&v).unwrap_or_else(|_| "[]".into())
}

/// Recompute a row under office decisions: hide locked edits, refresh its overlap and
/// `locked_edit` items. Returns whether a displayed column changed.
fn recompute_locked(
    conn: &Connection,
    def: &EntityDef,
    row_id: &str,
    decided: &BTreeSet<String>,
) -> Result<bool> {
    let Some((hid, round)) = household_of(conn, def.name, row_id)? else {
        return Ok(false);
    };
    let decisions = decisions_for(conn, &hid, round.as_deref())?;
    conn.prepare_cached(
        "DELETE FROM conflict WHERE entity = ?1 AND row_id = ?2 AND kind = 'locked_edit'",
    )?
    .execute(params![def.name, row_id])?;
    if decisions.is_empty() {
        return Ok(false);
    }
    let ops = row_ops(conn, def.name, row_id)?;
    if ops.is_empty() {
        return Ok(false);
    }
    let (visible, hidden): (Vec<&RowOp>, Vec<&RowOp>) = ops
        .iter()
        .partition(|o| !is_locked(&decisions, &o.key, o.authority));
    let fields: BTreeSet<&str> = ops
        .iter()
        .flat_map(|o| o.body.set.keys())
        .filter_map(|f| def.fields.iter().find(|d| **d == f.as_str()).copied())
        .collect();
    let defaults = column_defaults(conn, def.table)?;
    let mut wanted: Vec<(&str, rusqlite::types::Value)> = Vec::new();
    for f in &fields {
        let hs = heads(&visible, f);
        let v = match hs.last() {
            Some(h) => json_to_sql(h.body.set.get(*f).unwrap_or(&Value::Null)),
            None if *f == "deleted" && visible.is_empty() => rusqlite::types::Value::Integer(1),
            None => defaults
                .get(*f)
                .cloned()
                .unwrap_or(rusqlite::types::Value::Null),
        };
        wanted.push((f, v));
        // Overlap among the visible heads only.
        let mut distinct = BTreeSet::new();
        for h in &hs {
            distinct.insert(
                h.body
                    .set
                    .get(*f)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            );
        }
        if distinct.len() > 1 {
            conn.prepare_cached(
                "INSERT INTO conflict (entity, row_id, field, kind, heads) VALUES (?1, ?2, ?3, 'overlap', ?4)
                 ON CONFLICT(entity, row_id, field, kind) DO UPDATE SET heads = excluded.heads",
            )?
            .execute(params![def.name, row_id, f, keys_json(hs.iter().map(|h| &h.key))])?;
        } else {
            conn.prepare_cached(
                "DELETE FROM conflict WHERE entity = ?1 AND row_id = ?2 AND field = ?3 AND kind = 'overlap'",
            )?
            .execute(params![def.name, row_id, f])?;
        }
    }
    // A row created only by hidden ops stays out of sight (deleted) until the office accepts it;
    // once a visible op arrives, the column goes back to what the visible ops say.
    if def.fields.contains(&"deleted") && !fields.contains("deleted") {
        let v = if visible.is_empty() {
            rusqlite::types::Value::Integer(1)
        } else {
            defaults
                .get("deleted")
                .cloned()
                .unwrap_or(rusqlite::types::Value::Integer(0))
        };
        wanted.push(("deleted", v));
    }
    // Change requests: undecided hidden edits, per field.
    let mut per_field: BTreeMap<&str, Vec<&OpKey>> = BTreeMap::new();
    for o in &hidden {
        if decided.contains(&change_id(&o.key)) {
            continue;
        }
        for f in o.body.set.keys() {
            per_field.entry(f.as_str()).or_default().push(&o.key);
        }
    }
    for (f, keys) in per_field {
        conn.prepare_cached(
            "INSERT INTO conflict (entity, row_id, field, kind, heads) VALUES (?1, ?2, ?3, 'locked_edit', ?4)
             ON CONFLICT(entity, row_id, field, kind) DO UPDATE SET heads = excluded.heads",
        )?
        .execute(params![def.name, row_id, f, keys_json(keys.into_iter())])?;
    }
    // Write the columns that differ (the ledger's write path, continued).
    let cols: Vec<&str> = wanted.iter().map(|(c, _)| *c).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE id = ?1",
        cols.join(", "),
        def.table
    );
    let current: Option<Vec<rusqlite::types::Value>> = conn
        .prepare_cached(&sql)?
        .query_row([row_id], |r| {
            (0..cols.len())
                .map(|i| r.get::<_, rusqlite::types::Value>(i))
                .collect()
        })
        .optional()?;
    let Some(current) = current else {
        return Ok(false);
    };
    let changed: Vec<(&str, rusqlite::types::Value)> = wanted
        .into_iter()
        .zip(current)
        .filter(|((_, w), c)| w != c)
        .map(|(w, _)| w)
        .collect();
    if changed.is_empty() {
        return Ok(false);
    }
    let sets: Vec<String> = changed
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} = ?{}", i + 2))
        .collect();
    let sql = format!("UPDATE {} SET {} WHERE id = ?1", def.table, sets.join(", "));
    let mut values = vec![rusqlite::types::Value::Text(row_id.to_owned())];
    values.extend(changed.into_iter().map(|(_, v)| v));
    conn.prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(values))?;
    Ok(true)
}

/// Whether delete `d` had seen edit `e` (same laptop earlier, or in the closure of d's base).
fn delete_saw(d: &RowOp, e: &RowOp, by_key: &HashMap<&OpKey, &RowOp>) -> bool {
    if d.key.0 == e.key.0 && e.key.1 < d.key.1 {
        return true;
    }
    for f in e.body.set.keys() {
        let mut stack: Vec<&OpKey> = d.body.base.get(f).into_iter().flatten().collect();
        let mut visited = BTreeSet::new();
        while let Some(k) = stack.pop() {
            if *k == e.key {
                return true;
            }
            if !visited.insert(k) {
                continue;
            }
            if let Some(o) = by_key.get(k) {
                stack.extend(o.body.base.get(f).into_iter().flatten());
            }
        }
    }
    false
}

/// Raise or clear the `delete_vs_edit` item of a row shown deleted.
fn refresh_delete_vs_edit(
    conn: &Connection,
    def: &EntityDef,
    row_id: &str,
    with_decisions: bool,
) -> Result<()> {
    let ops = row_ops(conn, def.name, row_id)?;
    let decisions = if with_decisions {
        match household_of(conn, def.name, row_id)? {
            Some((hid, round)) => decisions_for(conn, &hid, round.as_deref())?,
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let visible: Vec<&RowOp> = ops
        .iter()
        .filter(|o| !is_locked(&decisions, &o.key, o.authority))
        .collect();
    let by_key: HashMap<&OpKey, &RowOp> = ops.iter().map(|o| (&o.key, o)).collect();
    let hs = heads(&visible, "deleted");
    let item = match hs.last() {
        Some(d) if d.body.set.get("deleted").is_some_and(truthy) => {
            let mut edits: Vec<&OpKey> = visible
                .iter()
                .filter(|e| {
                    e.key != d.key
                        && !e.body.set.contains_key("deleted")
                        && !e.body.set.is_empty()
                        && !delete_saw(d, e, &by_key)
                })
                .map(|e| &e.key)
                .collect();
            if edits.is_empty() {
                None
            } else {
                edits.sort();
                Some(keys_json(std::iter::once(&d.key).chain(edits)))
            }
        }
        _ => None,
    };
    match item {
        Some(heads) => conn
            .prepare_cached(
                "INSERT INTO conflict (entity, row_id, field, kind, heads) VALUES (?1, ?2, 'deleted', 'delete_vs_edit', ?3)
                 ON CONFLICT(entity, row_id, field, kind) DO UPDATE SET heads = excluded.heads",
            )?
            .execute(params![def.name, row_id, heads])?,
        None => conn
            .prepare_cached(
                "DELETE FROM conflict WHERE entity = ?1 AND row_id = ?2 AND kind = 'delete_vs_edit'",
            )?
            .execute(params![def.name, row_id])?,
    };
    Ok(())
}

/// Pairs of members the office decided (merge or "not the same person"), as (min, max).
pub(crate) fn decided_pairs(conn: &Connection) -> Result<BTreeSet<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT member_id, other_member_id FROM office_action WHERE action IN ('merge', 'distinct')
         AND member_id IS NOT NULL AND other_member_id IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = BTreeSet::new();
    for r in rows {
        let (a, b) = r?;
        out.insert(pair(&a, &b));
    }
    Ok(out)
}

pub(crate) fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

/// Raise or clear the `duplicate_person` item of one member: the other records (not deleted)
/// with the same personal ID, minus pairs the office decided. `heads` = JSON list of member ids.
fn refresh_duplicate(
    conn: &Connection,
    member: &str,
    decided: &BTreeSet<(String, String)>,
) -> Result<Vec<String>> {
    let id_number: Option<String> = conn
        .prepare_cached(
            "SELECT id_number FROM member WHERE id = ?1 AND deleted = 0 AND id_number IS NOT NULL AND id_number <> ''",
        )?
        .query_row([member], |r| r.get(0))
        .optional()?;
    let mut others: Vec<String> = Vec::new();
    if let Some(n) = &id_number {
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM member WHERE id_number = ?1 AND id <> ?2 AND deleted = 0 ORDER BY id",
        )?;
        for id in stmt.query_map(params![n, member], |r| r.get::<_, String>(0))? {
            let id = id?;
            if !decided.contains(&pair(member, &id)) {
                others.push(id);
            }
        }
    }
    if others.is_empty() {
        conn.prepare_cached(
            "DELETE FROM conflict WHERE entity = 'member' AND row_id = ?1 AND kind = 'duplicate_person'",
        )?
        .execute([member])?;
    } else {
        let heads = serde_json::to_string(&others).unwrap_or_else(|_| "[]".into());
        conn.prepare_cached(
            "INSERT INTO conflict (entity, row_id, field, kind, heads) VALUES ('member', ?1, 'id_number', 'duplicate_person', ?2)
             ON CONFLICT(entity, row_id, field, kind) DO UPDATE SET heads = excluded.heads",
        )?
        .execute(params![member, heads])?;
    }
    Ok(others)
}

fn duplicate_item_heads(conn: &Connection, member: &str) -> Result<Vec<String>> {
    let heads: Option<String> = conn
        .prepare_cached(
            "SELECT heads FROM conflict WHERE entity = 'member' AND row_id = ?1 AND kind = 'duplicate_person'",
        )?
        .query_row([member], |r| r.get(0))
        .optional()?;
    Ok(heads
        .and_then(|h| serde_json::from_str(&h).ok())
        .unwrap_or_default())
}

/// Members whose duplicate item must be recomputed: those of `ids` that share an ID with another
/// record or already have an item, plus the records on the other side.
pub(crate) fn refresh_duplicates(conn: &Connection, ids: &BTreeSet<String>) -> Result<()> {
    refresh_duplicates_with(conn, ids, &[], None)
}

/// [`refresh_duplicates`] for `ids`, and for `numbered`: members each given one personal ID by
/// the one op of theirs just applied that touched their identity, with that ID. Those are
/// checked from the personal-ID index alone: when fewer than two records carry the ID, the
/// member either shows it alone or does not show it (the op lost to another head of the field,
/// so what the member shows did not change), and either way no item of theirs appears; a
/// member that had an item is in the items re-read below whatever the index says.
pub(crate) fn refresh_duplicates_with(
    conn: &Connection,
    ids: &BTreeSet<String>,
    numbered: &[(&str, &str)],
    known: Option<&mut KnownIdNumbers>,
) -> Result<()> {
    if ids.is_empty() && numbered.is_empty() {
        return Ok(());
    }
    let decided = decided_pairs(conn)?;
    let with_item: BTreeSet<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT row_id FROM conflict WHERE entity = 'member' AND kind = 'duplicate_person'",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut todo: BTreeSet<String> = ids.intersection(&with_item).cloned().collect();
    let shared = match known {
        None => shared_id_numbers(conn, numbered.iter().map(|(_, number)| *number))?,
        Some(known) => known.shared(conn, ids, numbered)?,
    };
    for (id, number) in numbered {
        if with_item.contains(*id) || shared.contains(*number) {
            todo.insert((*id).to_owned());
        }
    }
    let list: Vec<&String> = ids.iter().collect();
    // `b.rowid <> a.rowid` (ids are unique, so it is `b.id <> a.id`) is answered from the
    // personal-ID index alone, without reading each other member's row.
    each_row_in_chunks(
        conn,
        |marks| {
            format!(
            "SELECT a.id FROM member a WHERE a.id IN ({marks}) AND a.deleted = 0 AND a.id_number IS NOT NULL
               AND a.id_number <> '' AND EXISTS (SELECT 1 FROM member b WHERE b.id_number = a.id_number AND b.rowid <> a.rowid)"
        )
        },
        &list,
        |r| {
            todo.insert(r.get(0)?);
            Ok(())
        },
    )?;
    let mut done = BTreeSet::new();
    while let Some(m) = todo.pop_first() {
        if !done.insert(m.clone()) {
            continue;
        }
        let old = duplicate_item_heads(conn, &m)?;
        let new = refresh_duplicate(conn, &m, &decided)?;
        for o in old.into_iter().chain(new) {
            if !done.contains(&o) {
                todo.insert(o);
            }
        }
    }
    Ok(())
}

/// Every personal ID the member table held when a folder import began, and every one its
/// packages wrote since (a number a member no longer carries, or a package rolled back, may
/// stay: it only sends that number to the index). Read whole only while the table is small —
/// an office's first imports, when every member of a package is new —; then a number neither
/// held before nor given twice in the package needs no lookup. Kept by the ledger for one import
/// ([`crate::ledger::Ledger::known_ids`]).
#[derive(Debug, Default)]
pub(crate) struct KnownIdNumbers {
    /// Numbers of up to 17 digits (a CCCD has 12) as [`digits_key`]s: no string to allocate
    /// and hash for each of a province's members.
    digits: crate::FastSet<u64>,
    /// Any other number, as it is.
    held: crate::FastSet<String>,
    /// A number not stored as text was met (the column's text affinity should prevent it):
    /// every number is looked up from then on.
    incomplete: bool,
}

/// A number of 1 to 17 ASCII digits as one integer that keeps its length (`"007"` is not
/// `"7"`); `None` for anything else.
fn digits_key(number: &str) -> Option<u64> {
    let b = number.as_bytes();
    if b.is_empty() || b.len() > 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = b.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
    Some(value * 32 + b.len() as u64)
}

impl KnownIdNumbers {
    fn contains(&self, number: &str) -> bool {
        match digits_key(number) {
            Some(k) => self.digits.contains(&k),
            None => self.held.contains(number),
        }
    }

    fn insert(&mut self, number: &str) {
        match digits_key(number) {
            Some(k) => {
                self.digits.insert(k);
            }
            None => {
                self.held.insert(number.to_owned());
            }
        }
    }

    /// The numbers held, or `None` when there are more than `limit` (the index answers then).
    pub(crate) fn load(conn: &Connection, limit: usize) -> Result<Option<Self>> {
        let mut stmt = conn.prepare(
            "SELECT DISTINCT id_number FROM member WHERE id_number IS NOT NULL AND id_number <> '' LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit.saturating_add(1) as i64], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })?;
        let mut known = Self::default();
        let mut count = 0usize;
        for r in rows {
            match r? {
                rusqlite::types::Value::Text(t) => known.insert(&t),
                // A number not stored as text is compared by the index.
                _ => return Ok(None),
            }
            count += 1;
        }
        Ok((count <= limit).then_some(known))
    }

    /// [`shared_id_numbers`] for the members of a package whose one identity op set a number
    /// (`numbered`): only numbers held before or given twice here are looked up. Then notes
    /// the numbers the package's members carry now, these and those of the members re-read
    /// from their rows (`ids`), whose numbers the rows have.
    fn shared(
        &mut self,
        conn: &Connection,
        ids: &BTreeSet<String>,
        numbered: &[(&str, &str)],
    ) -> Result<crate::FastSet<String>> {
        let mut times: crate::FastMap<&str, u32> =
            crate::FastMap::with_capacity_and_hasher(numbered.len(), Default::default());
        for (_, number) in numbered {
            *times.entry(*number).or_default() += 1;
        }
        let ask = times
            .iter()
            .filter(|(n, t)| **t > 1 || self.incomplete || self.contains(n))
            .map(|(n, _)| *n);
        let shared = shared_id_numbers(conn, ask)?;
        self.digits.reserve(times.len());
        for number in times.into_keys() {
            self.insert(number);
        }
        let list: Vec<&String> = ids.iter().collect();
        each_row_in_chunks(
            conn,
            |marks| {
                format!(
                "SELECT id_number FROM member WHERE id IN ({marks}) AND id_number IS NOT NULL AND id_number <> ''"
            )
            },
            &list,
            |r| {
                match r.get(0)? {
                    rusqlite::types::Value::Text(t) => self.insert(&t),
                    _ => self.incomplete = true,
                }
                Ok(())
            },
        )?;
        Ok(shared)
    }
}

/// Which of `numbers` more than one member record carries, from the personal-ID index alone.
/// Asked for a few hundred numbers at a time, which SQLite looks up in sorted order: one
/// statement per number cost an import of 30 communes ~0.6 s (its binding and stepping, and
/// index pages visited in random order).
fn shared_id_numbers<'a>(
    conn: &Connection,
    numbers: impl Iterator<Item = &'a str>,
) -> Result<crate::FastSet<String>> {
    let mut numbers: Vec<&str> = numbers.collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut shared = crate::FastSet::default();
    each_row_in_chunks(
        conn,
        |marks| {
            format!(
            "SELECT id_number FROM member WHERE id_number IN ({marks}) GROUP BY id_number HAVING count(*) > 1"
        )
        },
        &numbers,
        |r| {
            shared.insert(r.get(0)?);
            Ok(())
        },
    )?;
    Ok(shared)
}

/// Runs the statement `sql` gives for a list of placeholders (`?, ?, …`) over `values`, 500 at
/// a time, and hands each row it returns to `row`. The last chunk repeats its last value up to
/// the statement's size, so one statement text (prepared once, then cached) serves every
/// chunk; each statement here selects rows `IN` the list, where a value given twice selects
/// the same rows once.
fn each_row_in_chunks<V: rusqlite::ToSql>(
    conn: &Connection,
    sql: impl FnOnce(&str) -> String,
    values: &[V],
    mut row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> Result<()> {
    const CHUNK: usize = 500;
    if values.is_empty() {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached(&sql(&vec!["?"; CHUNK].join(", ")))?;
    for chunk in values.chunks(CHUNK) {
        let padded = chunk
            .iter()
            .chain(std::iter::repeat(&chunk[chunk.len() - 1]))
            .take(CHUNK);
        let mut rows = stmt.query(rusqlite::params_from_iter(padded))?;
        while let Some(r) = rows.next()? {
            row(r)?;
        }
    }
    Ok(())
}

fn is_office(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT kind FROM local_node WHERE id = 1")?
        .query_row([], |r| r.get::<_, String>(0))
        .optional()?
        .is_some_and(|k| k == "office"))
}

/// Every row of `def`'s table shown deleted (read through the partial index `<table>_deleted`:
/// deleted rows are few, so this costs far less than a lookup per touched row).
fn deleted_rows(conn: &Connection, def: &EntityDef) -> Result<BTreeSet<String>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT id FROM {} WHERE deleted <> 0", def.table))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The touched rows, one entry per op: `(entity, row, whether the op may change the row's
/// personal ID or deletion)` (the only fields a `duplicate_person` item depends on). Borrowed
/// from the ops and neither sorted nor deduplicated: a package touches tens of thousands of
/// rows, and everything done with them ends in sets, so repeats and order change nothing.
type Touched<'a> = Vec<(&'a str, &'a str, bool)>;

/// Called by the ledger at the end of a write for the rows it touched (imports).
pub(crate) fn refresh_after(
    conn: &Connection,
    ops: &[crate::ledger::Op],
    known: Option<&mut KnownIdNumbers>,
) -> Result<()> {
    let mut touched: Touched = Vec::with_capacity(ops.len());
    // Members whose one identity op here sets a personal ID (`None`: more than one such op, or
    // one that deletes, restores or clears): checked from the ID index alone.
    let mut numbers: crate::FastMap<&str, Option<&str>> =
        crate::FastMap::with_capacity_and_hasher(ops.len(), Default::default());
    for o in ops {
        // Only a member's identity matters (`duplicate_person`); other rows skip the lookups.
        let member = o.entity == "member";
        let number = if member {
            o.body.set.get("id_number")
        } else {
            None
        };
        let identity = member && (number.is_some() || o.body.set.contains_key("deleted"));
        touched.push((o.entity.as_str(), o.row_id.as_str(), identity));
        if identity {
            let only = number
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty() && !o.body.set.contains_key("deleted"));
            numbers
                .entry(o.row_id.as_str())
                .and_modify(|n| *n = None)
                .or_insert(only);
        }
    }
    refresh_with(conn, touched, &numbers, known)
}

/// Called by the ledger at the end of a local transaction for the ops it wrote.
pub(crate) fn refresh_after_keys(conn: &Connection, keys: &[OpKey]) -> Result<()> {
    let mut written: Vec<(String, String, bool)> = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(op) = crate::op_pack::op_by_key(conn, &k.0, k.1)? {
            let identity =
                op.body.set.contains_key("id_number") || op.body.set.contains_key("deleted");
            written.push((op.entity, op.row_id, identity));
        }
    }
    let touched: Touched = written
        .iter()
        .map(|(e, r, identity)| (e.as_str(), r.as_str(), *identity))
        .collect();
    refresh(conn, touched)
}

/// Households and communes with a decision that governs edits (approve, return, lock, unlock).
fn decided_scopes(conn: &Connection) -> Result<(BTreeSet<String>, BTreeSet<String>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT household_id, commune_code FROM office_action WHERE action IN ('approve', 'return', 'lock', 'unlock')",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, Option<String>>(1)?,
        ))
    })?;
    let (mut households, mut communes) = (BTreeSet::new(), BTreeSet::new());
    for r in rows {
        match r? {
            (Some(h), _) => {
                households.insert(h);
            }
            (None, Some(c)) => {
                communes.insert(c);
            }
            _ => {}
        }
    }
    Ok((households, communes))
}

/// Recompute the row-level review items (and the display of rows under office decisions) for
/// the touched rows and the rows an office decision in `touched` concerns.
pub(crate) fn refresh(conn: &Connection, touched: Touched) -> Result<()> {
    refresh_with(conn, touched, &crate::FastMap::default(), None)
}

/// [`refresh`], with the personal ID of members whose one identity op was just applied
/// ([`refresh_after`]; checked as [`refresh_duplicates_with`] says).
fn refresh_with(
    conn: &Connection,
    touched: Touched,
    numbers: &crate::FastMap<&str, Option<&str>>,
    known: Option<&mut KnownIdNumbers>,
) -> Result<()> {
    if touched.is_empty() {
        return Ok(());
    }
    let has_decisions: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM office_action)")?
        .query_row([], |r| r.get(0))?;
    let office = is_office(conn)?;
    let mut rows: BTreeSet<(String, String)> = BTreeSet::new();
    let mut members: BTreeSet<String> = BTreeSet::new();
    let mut numbered: Vec<(&str, &str)> = Vec::with_capacity(numbers.len());
    let mut changed_households: BTreeSet<String> = BTreeSet::new();
    for (e, id, identity) in &touched {
        if *e == "member" && *identity {
            match numbers.get(id) {
                Some(Some(number)) => numbered.push((id, number)),
                _ => {
                    members.insert((*id).to_owned());
                }
            }
        }
        if has_decisions && HOUSEHOLD_ENTITIES.contains(e) {
            rows.insert(((*e).to_owned(), (*id).to_owned()));
        }
        if *e != "office_action" {
            continue;
        }
        type ActionRow = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let a: Option<ActionRow> = conn
            .prepare_cached(
                "SELECT action, household_id, commune_code, target, member_id, other_member_id FROM office_action WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .optional()?;
        let Some((action, hid, commune, target, m1, m2)) = a else {
            continue;
        };
        match action.as_deref() {
            Some(x) if LOCK_ACTIONS.contains(&x) => {
                let households: Vec<String> = match (hid, commune) {
                    (Some(h), _) => vec![h],
                    (None, Some(c)) => {
                        let mut stmt = conn
                            .prepare_cached("SELECT id FROM household WHERE commune_code = ?1")?;
                        let ids = stmt.query_map([c], |r| r.get::<_, String>(0))?;
                        ids.collect::<rusqlite::Result<_>>()?
                    }
                    _ => Vec::new(),
                };
                for h in households {
                    rows.extend(household_rows(conn, &h)?);
                }
            }
            Some("accept_change") | Some("refuse_change") => {
                if let Some((o, s)) = target.as_deref().and_then(|t| t.rsplit_once(':')) {
                    if let Ok(seq) = s.parse::<i64>() {
                        let r: Option<(String, String)> = conn
                            .prepare_cached(
                                "SELECT entity, row_id FROM op WHERE origin = ?1 AND seq = ?2",
                            )?
                            .query_row(params![o, seq], |r| Ok((r.get(0)?, r.get(1)?)))
                            .optional()?;
                        rows.extend(r);
                    }
                }
            }
            Some("merge") | Some("distinct") => {
                members.extend(m1);
                members.extend(m2);
            }
            _ => {}
        }
    }
    // 1. Rows under office decisions: hide locked edits, raise change requests.
    if has_decisions {
        let decided = decided_changes(conn)?;
        let (households, communes) = decided_scopes(conn)?;
        let mut commune_of: BTreeMap<String, Option<String>> = BTreeMap::new();
        // A household arriving after its members (relay order) brings its commune's decisions to
        // them: recompute its members and surveys too.
        let mut expanded = rows.clone();
        for (e, id) in &rows {
            if e == "household" && !households.contains(id) {
                let c: Option<String> = conn
                    .prepare_cached("SELECT commune_code FROM household WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?
                    .flatten();
                if c.is_some_and(|c| communes.contains(&c)) {
                    expanded.extend(household_rows(conn, id)?);
                }
            }
        }
        for (e, id) in &expanded {
            let Some(def) = entity_def(e) else { continue };
            // Only rows of a household (or commune) under a decision can be affected.
            let Some((hid, _)) = household_of(conn, e, id)? else {
                continue;
            };
            if !households.contains(&hid) {
                let c = match commune_of.get(&hid) {
                    Some(c) => c.clone(),
                    None => {
                        let c: Option<String> = conn
                            .prepare_cached("SELECT commune_code FROM household WHERE id = ?1")?
                            .query_row([&hid], |r| r.get(0))
                            .optional()?
                            .flatten();
                        commune_of.insert(hid.clone(), c.clone());
                        c
                    }
                };
                if !c.is_some_and(|c| communes.contains(&c)) {
                    continue;
                }
            }
            if recompute_locked(conn, def, id, &decided)? {
                if let Some((h, _)) = household_of(conn, e, id)? {
                    changed_households.insert(h);
                }
            }
        }
    }
    for h in &changed_households {
        crate::ledger::refresh_household_derived(conn, h)?;
    }
    // 2. Deletes concurrent with edits, for every touched row shown deleted (or with an item).
    let mut with_dve: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    {
        let mut stmt = conn
            .prepare_cached("SELECT entity, row_id FROM conflict WHERE kind = 'delete_vs_edit'")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for r in rows {
            let (e, id) = r?;
            with_dve.entry(e).or_default().insert(id);
        }
    }
    let mut by_entity: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let decided_rows = rows.iter().map(|(e, id)| (e.as_str(), id.as_str()));
    for (e, id) in touched
        .iter()
        .map(|(e, id, _)| (*e, *id))
        .chain(decided_rows)
    {
        by_entity.entry(e).or_default().push(id);
    }
    for (e, ids) in by_entity {
        let Some(def) = entity_def(e) else { continue };
        if !def.fields.contains(&"deleted") {
            continue;
        }
        // Rows shown deleted, and rows that had an item (restored since).
        let deleted = deleted_rows(conn, def)?;
        let dve_rows = with_dve.get(e);
        let check: BTreeSet<String> = ids
            .iter()
            .filter(|id| deleted.contains(**id) || dve_rows.is_some_and(|rows| rows.contains(**id)))
            .map(|id| (*id).to_owned())
            .collect();
        for id in check {
            refresh_delete_vs_edit(conn, def, &id, has_decisions)?;
        }
    }
    // 3. The same personal ID in two records (the office decides).
    if office {
        // Members an office decision names are re-read from their rows.
        let named: BTreeSet<&str> = members.iter().map(String::as_str).collect();
        numbered.retain(|(id, _)| !named.contains(id));
        refresh_duplicates_with(conn, &members, &numbered, known)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two numbers share a key only when they are the same text.
    #[test]
    fn a_number_of_digits_keeps_its_length_in_its_key() {
        assert_eq!(digits_key("001234567890"), digits_key("001234567890"));
        assert_ne!(digits_key("7"), digits_key("007"));
        assert_ne!(digits_key("12"), digits_key("21"));
        assert_eq!(
            digits_key("99999999999999999"),
            Some(99_999_999_999_999_999 * 32 + 17)
        );
        for other in ["", "1a", "１２", "123456789012345678", "-1", " 1"] {
            assert_eq!(digits_key(other), None, "{other:?}");
        }
    }

    /// Duplicate-person items after packages checked with the personal IDs known in memory are
    /// the items the index alone gives: for numbers held before, numbers given twice in a
    /// package, a number shared only with a member re-read from its row in the same package,
    /// and members of later packages sharing numbers of earlier ones.
    #[test]
    fn personal_ids_known_in_memory_give_the_items_the_index_gives() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Twelve digits as a CCCD, or (from 900) a number of another form.
        let number = |i: u64| match i {
            900.. => format!("CMND-{i}"),
            _ => format!("{:012}", 1_000 + i),
        };
        let items = |conn: &Connection| -> Vec<(String, String)> {
            conn.prepare(
                "SELECT row_id, heads FROM conflict WHERE kind = 'duplicate_person' ORDER BY 1",
            )
            .expect("items")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("items")
            .collect::<rusqlite::Result<_>>()
            .expect("items")
        };
        let run = |name: &str, in_memory: bool| -> Vec<(String, String)> {
            let conn = crate::db::open(&dir.path().join(name)).expect("open");
            let add = |id: &str, n: &str| {
                conn.execute(
                    "INSERT INTO member (id, household_id, id_number) VALUES (?1, 'h', ?2)",
                    params![id, n],
                )
                .expect("member");
            };
            // Held before the import: 0–9, number 3 twice.
            for i in 0..10 {
                add(&format!("old{i}"), &number(i));
            }
            add("old3b", &number(3));
            add("old900", &number(900));
            let mut known = match in_memory {
                true => Some(
                    KnownIdNumbers::load(&conn, 100)
                        .expect("load")
                        .expect("few"),
                ),
                false => None,
            };
            // Each package: members with one identity op (number given), and members re-read
            // from their rows.
            type Members<'a> = &'a [(&'a str, u64)];
            let packages: [(Members, Members); 3] = [
                // A held number, one given twice, new ones, one shared with a re-read member.
                (
                    &[
                        ("a1", 2),
                        ("a2", 50),
                        ("a3", 50),
                        ("a4", 51),
                        ("a5", 52),
                        ("a8", 900),
                    ],
                    &[("a6", 52), ("a7", 53)],
                ),
                // Numbers of the package before (one only a re-read member carried), a new one.
                (&[("b1", 51), ("b2", 60), ("b3", 6), ("b4", 53)], &[]),
                // New numbers, one shared with a member re-read in the same package.
                (&[("c1", 70), ("c2", 71)], &[("c3", 71)]),
            ];
            for (numbered, reread) in packages {
                for (id, n) in numbered.iter().chain(reread) {
                    add(id, &number(*n));
                }
                let numbers: Vec<(String, String)> = numbered
                    .iter()
                    .map(|(id, n)| ((*id).to_owned(), number(*n)))
                    .collect();
                let numbered: Vec<(&str, &str)> = numbers
                    .iter()
                    .map(|(id, n)| (id.as_str(), n.as_str()))
                    .collect();
                let ids: BTreeSet<String> = reread.iter().map(|(id, _)| (*id).to_owned()).collect();
                refresh_duplicates_with(&conn, &ids, &numbered, known.as_mut()).expect("refresh");
            }
            items(&conn)
        };
        let by_index = run("index.db", false);
        assert_eq!(by_index.len(), 16, "{by_index:?}");
        assert_eq!(run("memory.db", true), by_index);
        // More numbers than the limit: none kept, the index answers.
        let conn = crate::db::open(&dir.path().join("index.db")).expect("open");
        assert!(KnownIdNumbers::load(&conn, 5).expect("load").is_none());
    }

    /// The shared numbers asked in chunks (the last one padded) are the numbers a count per
    /// number finds shared: over several chunks, with numbers asked twice, absent, or shared
    /// by records not asked about.
    #[test]
    fn shared_personal_ids_asked_in_chunks_are_those_a_count_per_number_finds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = crate::db::open(&dir.path().join("ids.db")).expect("open");
        let number = |i: u64| format!("{:012}", i * 7919 % 1_000_003);
        for i in 0..1_700u64 {
            // Every fifth number is carried twice, every 97th three times.
            let copies = 1 + u64::from(i % 5 == 0) + u64::from(i % 97 == 0);
            for c in 0..copies {
                conn.execute(
                    "INSERT INTO member (id, household_id, id_number) VALUES (?1, 'h', ?2)",
                    params![format!("m{i}-{c}"), number(i)],
                )
                .expect("member");
            }
        }
        let asked: Vec<String> = (0..1_234u64)
            .map(|i| number(i * 2 % 1_900))
            .chain(["000000000000".to_owned(), number(5)])
            .collect();
        let shared = shared_id_numbers(&conn, asked.iter().map(String::as_str)).expect("shared");
        let mut expected = crate::FastSet::default();
        for n in &asked {
            let count: i64 = conn
                .query_row(
                    "SELECT count(*) FROM member WHERE id_number = ?1",
                    [n],
                    |r| r.get(0),
                )
                .expect("count");
            if count > 1 {
                expected.insert(n.clone());
            }
        }
        assert!(expected.len() > 150, "{}", expected.len());
        assert_eq!(shared, expected);
    }
}
