//! The ledger (sổ): one SQLite file and its ONE write path.
//!
//! Every change to a domain table — typed in this installation or imported from a package — is an
//! *operation* (op) appended to the `op` table and applied by [`apply_op`] in the same SQLite
//! transaction. An op names its origin device, a gapless per-device sequence number, a Lamport
//! counter, the author's authority, the user, the entity and row, the fields it sets and, for each
//! field, the revisions the author had seen (`base`).
//!
//! Each field of each row is a multi-value register. Its *heads* are the revisions no other known
//! revision has superseded: `heads = revisions − ⋃ base(r)`. The displayed value is the head with the
//! largest `(authority, lamport, origin, seq)`. Both are pure functions of the set of ops, so the
//! order in which ops arrive, duplicates and delays cannot change the result. Concurrent heads with
//! different values raise a `conflict` row for a person to review. Per row, the heads and the
//! superseded set are kept compactly in the `_rev` column (see [`RevState`]).
//!
//! Deliberately absent: any ordering by wall clock, any UPDATE of a domain table outside
//! [`apply_op`], and any knowledge of packages or files (that is `exchange`).

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Version of the op format written by this build (`op.schema_ver`, and a package's header).
/// 1: the first shipped version. 2: adds the survey's `poverty_causes`, the `office_action`
/// entity and the key-rollover section — a build that knows only 1 refuses such a package as
/// "cần cập nhật phần mềm" (not acknowledged, imported after the update) instead of as an
/// unknown field. Every version-1 op is a valid version-2 op, so upgrading 1 → 2 is the identity;
/// a change that is not purely additive must bring an upgrader where `sync` checks `schema_ver`.
pub const OP_SCHEMA_VERSION: i64 = 2;

/// What an op does to its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Create,
    Update,
    Delete,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Update => "update",
            OpKind::Delete => "delete",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "create" => Some(OpKind::Create),
            "update" => Some(OpKind::Update),
            "delete" => Some(OpKind::Delete),
            _ => None,
        }
    }
}

/// The identity of an op: origin device and its sequence number there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpKey(pub String, pub i64);

/// What an op says: the fields it sets and the revisions of those fields its author had seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpBody {
    pub set: Map<String, Value>,
    #[serde(default)]
    pub base: BTreeMap<String, Vec<OpKey>>,
}

/// An operation, as stored in the `op` table and carried in packages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    pub origin: String,
    pub seq: i64,
    pub lamport: i64,
    pub authority: i64,
    pub user_id: String,
    pub device_time: String,
    pub entity: String,
    pub row_id: String,
    pub kind: OpKind,
    pub body: OpBody,
    pub schema_ver: i64,
}

impl Op {
    pub fn key(&self) -> OpKey {
        OpKey(self.origin.clone(), self.seq)
    }
    /// Canonical JSON of the body (keys sorted) and its SHA-256, which detects equivocation.
    pub fn body_json_and_hash(&self) -> Result<(String, Vec<u8>)> {
        let json = serde_json::to_string(&self.body).map_err(body_not_written)?;
        let hash = Sha256::digest(json.as_bytes()).to_vec();
        Ok((json, hash))
    }
    /// The SHA-256 of [`Op::body_json_and_hash`]'s JSON, hashed as it is written instead of
    /// kept: most ops are stored in the compact form, so the JSON text itself is not needed.
    pub fn body_hash(&self) -> Result<Vec<u8>> {
        // Written into a buffer kept per thread, then hashed in one call: serde_json writes a
        // body in dozens of small pieces, and feeding each to the hasher cost more than the copy.
        thread_local! {
            static BODY: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BODY.with_borrow_mut(|buf| {
            buf.clear();
            serde_json::to_writer(&mut *buf, &self.body).map_err(body_not_written)?;
            Ok(Sha256::digest(buf.as_slice()).to_vec())
        })
    }
    /// The body as the op log stores it ([`encode_stored_body`]), with the hash of its
    /// canonical JSON ([`Op::body_json_and_hash`]).
    pub(crate) fn encoded_body(&self) -> Result<EncodedBody> {
        self.encoded_body_for(false)
    }
    /// [`Op::encoded_body`]; with `packaged`, an op whose text will stay in its package
    /// ([`crate::op_pack::kept_in_package`]) gets only its hash (`text` is `None`).
    fn encoded_body_for(&self, packaged: bool) -> Result<EncodedBody> {
        let def = entity_def(&self.entity);
        if let Some(def) = def.filter(|_| packaged && crate::op_pack::kept_in_package(self)) {
            return Ok(EncodedBody {
                fields_known: stored_positions_known(def, &self.body),
                text: None,
                // Not needed while the text stays in the package (`op_pack::HeldLines`); the
                // write path hashes the body if the op is stored in its row after all.
                hash: Vec::new(),
                new_row: None,
                in_created_row: false,
                predicted: false,
                household_slot: None,
                commune_hint: None,
            });
        }
        let compact = match def {
            Some(def) => encode_stored_body(def, &self.body)?,
            None => None,
        };
        let fields_known = compact.is_some();
        let (text, hash) = match compact {
            Some(text) => (text, self.body_hash()?),
            None => self.body_json_and_hash()?,
        };
        Ok(EncodedBody {
            // The compact form exists only when every field is the entity's.
            fields_known,
            text: Some(text),
            hash,
            new_row: None,
            in_created_row: false,
            predicted: false,
            household_slot: None,
            commune_hint: None,
        })
    }
}

fn body_not_written(e: serde_json::Error) -> Error {
    Error::Invalid(format!("Không ghi được thao tác: {e}"))
}

/// A row a package creates, while its ops can still be folded on the worker ([`prepare_bodies`]).
struct Open {
    def: &'static EntityDef,
    create: usize,
    state: OpenRev,
    columns: Vec<ColumnValue>,
    later: bool,
    /// The package's later ops folded into the row.
    folded: Vec<usize>,
}

/// The revision state of a row a package creates, while it is folded on the worker.
enum OpenRev {
    /// The create alone, superseding nothing (nearly every row): its `_rev` is written directly
    /// ([`encode_first_rev`]), without building the per-field state.
    First,
    /// That create and the package's one later op on the row (by index), folded without the
    /// per-field state either ([`later_over_first`], [`encode_first_and_later`]).
    FirstAndLater(usize),
    /// Anything else, as [`fold_state`] builds it.
    State(RevState),
}

/// Prepare a package's ops for the write path, without the database (a folder import does it
/// on the thread that opens the next package): each op's stored body and hash and, for an op
/// that creates a row, the row as written when it does not exist yet (its `_rev` and columns).
/// The package's later ops on such a row (a survey's classification after its creation) are
/// folded into that row too, as long as they need nothing from the database (no second head of
/// a field); the row is then written once, by the create, and those ops only enter the log —
/// unless the row turns out to exist already, when they are applied one by one as usual
/// ([`apply_ops_encoded`]). The result is the state the ops give one at a time.
pub(crate) fn prepare_bodies(ops: &[Op], packaged: bool) -> Result<Vec<EncodedBody>> {
    // Each row seen in the package: still folded here, or (`None`) applied op by op.
    let mut rows: crate::FastMap<(&str, &str), Option<Open>> =
        crate::FastMap::with_capacity_and_hasher(ops.len(), Default::default());
    let mut finished: Vec<Open> = Vec::new();
    let mut out = Vec::with_capacity(ops.len());
    let mut slots: crate::FastMap<&str, u32> = crate::FastMap::default();
    let (pending, pending_parent) = pending_maps(ops);
    for (i, op) in ops.iter().enumerate() {
        let mut e = op.encoded_body_for(packaged)?;
        e.commune_hint = row_commune_in_package(op, &pending, &pending_parent);
        let household = match op.entity.as_str() {
            "member" => op.body.set.get("household_id").and_then(Value::as_str),
            "household" => Some(op.row_id.as_str()),
            _ => None,
        };
        if let Some(h) = household {
            let next = slots.len() as u32;
            e.household_slot = Some(*slots.entry(h).or_insert(next));
        }
        let def = entity_def(&op.entity).filter(|_| e.fields_known);
        match rows.entry((op.entity.as_str(), op.row_id.as_str())) {
            std::collections::hash_map::Entry::Vacant(v) => {
                // The row's first op in the package: folded here only if it creates the row.
                let open = def.filter(|_| op.kind == OpKind::Create).and_then(|def| {
                    let (state, columns) = if is_plain_first(op) {
                        (OpenRev::First, first_op_columns(def, op))
                    } else {
                        let (state, columns) = fold_state(None, def, op, None).ok()?;
                        (OpenRev::State(state), columns)
                    };
                    Some(Open {
                        def,
                        create: i,
                        state,
                        columns,
                        later: false,
                        folded: Vec::new(),
                    })
                });
                v.insert(open);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                if let Some(row) = o.get_mut() {
                    let folded = def.and_then(|def| {
                        let create = &ops[row.create];
                        if matches!(row.state, OpenRev::First) {
                            if let Some(columns) = later_over_first(def, create, op) {
                                return Some((OpenRev::FirstAndLater(i), columns));
                            }
                        }
                        let state = match &row.state {
                            OpenRev::State(state) => state.clone(),
                            OpenRev::First => fold_state(None, def, create, None).ok()?.0,
                            OpenRev::FirstAndLater(later) => {
                                let first = fold_state(None, def, create, None).ok()?.0;
                                fold_state(None, def, &ops[*later], Some(first)).ok()?.0
                            }
                        };
                        let (state, columns) = fold_state(None, def, op, Some(state)).ok()?;
                        Some((OpenRev::State(state), columns))
                    });
                    match folded {
                        Some((state, columns)) => {
                            for c in columns {
                                match row.columns.iter_mut().find(|x| x.0 == c.0) {
                                    Some(x) => *x = c,
                                    None => row.columns.push(c),
                                }
                            }
                            row.columns.sort_by_key(|(p, _, _)| *p);
                            row.state = state;
                            row.later = true;
                            row.folded.push(i);
                            e.in_created_row = true;
                        }
                        // Needs the database (a second head of a field): this op and the row's
                        // next ones are applied one by one, after the create.
                        None => finished.extend(o.get_mut().take()),
                    }
                }
            }
        }
        out.push(e);
    }
    // Rows whose every op in the package is folded: their households' derived columns can be
    // written with the household's create.
    let mut whole: Vec<Open> = Vec::with_capacity(rows.len());
    whole.extend(rows.into_values().flatten());
    // In package order, not the map's: what follows reads each row's create op and writes its
    // body in `out`, which the map's order made a cache miss per row. (The result does not
    // depend on the order: `household_derived` sorts each household's members.)
    whole.sort_unstable_by_key(|row| row.create);
    // Each row's `_rev`, before derived columns join a household's columns.
    let rev_of = |row: &Open| match &row.state {
        OpenRev::State(state) => encode_rev(row.def, state),
        OpenRev::First => encode_first_rev(row.def, &ops[row.create], &row.columns),
        OpenRev::FirstAndLater(later) => {
            encode_first_and_later(row.def, &ops[row.create], &ops[*later])
        }
    };
    let revs = finished
        .iter()
        .chain(&whole)
        .map(rev_of)
        .collect::<Result<Vec<_>>>()?;
    predict_derived(ops, &mut whole, &mut out);
    for (row, rev) in finished.into_iter().chain(whole).zip(revs) {
        out[row.create].new_row = Some(NewRow {
            rev,
            mask: column_mask(&row.columns),
            columns: row.columns,
            carries_later: row.later,
        });
    }
    Ok(out)
}

/// The worker's prediction of the derived columns of each household a package creates
/// ([`HouseholdDerived`]), from the household's row and its members' rows as the package's ops
/// leave them, for rows whose every op in the package is folded into their create (`rows`). The
/// household's create then writes them with the row, and each op that entered the prediction is
/// marked `predicted`.
///
/// It is only a prediction: the write path keeps it ([`BatchCache::predicted`]) only when the
/// household and every one of those rows are written new, no member of it existed before, and
/// no other op of the package touches it; otherwise the household is refreshed as usual
/// ([`refresh_household_derived`]). A value the column would store differently from how it is
/// held here (a number in a text column) gives no prediction.
fn predict_derived(ops: &[Op], rows: &mut [Open], out: &mut [EncodedBody]) {
    use rusqlite::types::Value as V;
    fn column<'a>(row: &'a Open, name: &str) -> Option<&'a V> {
        row.columns.iter().find(|c| c.1 == name).map(|c| &c.2)
    }
    // A text column's value (`None`: one it would store differently).
    let text = |row: &Open, name: &str| -> Option<Option<String>> {
        match column(row, name) {
            None | Some(V::Null) => Some(None),
            Some(V::Text(t)) => Some(Some(t.clone())),
            Some(_) => None,
        }
    };
    let member = |row: &Open| -> Option<Option<DerivedMember>> {
        let deleted = match column(row, "deleted") {
            None => false,
            Some(V::Integer(d)) => *d != 0,
            Some(_) => return None,
        };
        let position = match column(row, "position") {
            None => SqlOrder::Null,
            Some(v @ (V::Null | V::Integer(_) | V::Real(_))) => SqlOrder::of(v.into()),
            Some(_) => return None,
        };
        let status = match column(row, "status") {
            None => "present".to_owned(),
            Some(V::Text(t)) => t.clone(),
            Some(_) => return None,
        };
        let name = text(row, "full_name")?.unwrap_or_default();
        let relation = text(row, "relation")?.unwrap_or_default();
        Some((!deleted).then(|| DerivedMember {
            position,
            id: ops[row.create].row_id.clone(),
            name,
            relation,
            status,
        }))
    };
    // Each household's members not deleted and the rows that entered them (`None`: one of
    // them cannot be predicted).
    type Members = Option<(Vec<DerivedMember>, Vec<usize>)>;
    let mut members: crate::FastMap<String, Members> = crate::FastMap::default();
    for (i, row) in rows.iter().enumerate() {
        if row.def.name != "member" {
            continue;
        }
        let Some(Some(household)) = text(row, "household_id") else {
            continue;
        };
        let entry = members
            .entry(household)
            .or_insert_with(|| Some((Vec::new(), Vec::new())));
        match (member(row), entry.as_mut()) {
            (Some(m), Some((list, entered))) => {
                list.extend(m);
                entered.push(i);
            }
            _ => *entry = None,
        }
    }
    let mut entered_rows: Vec<usize> = Vec::new();
    for (i, row) in rows.iter_mut().enumerate() {
        if row.def.name != "household" {
            continue;
        }
        let (list, member_rows) = match members.remove(&ops[row.create].row_id) {
            Some(Some(found)) => found,
            Some(None) => continue,
            None => (Vec::new(), Vec::new()),
        };
        let (Some(code), Some(address), Some(head)) = (
            text(row, "code"),
            text(row, "address"),
            text(row, "head_member_id"),
        ) else {
            continue;
        };
        let derived = household_derived(code.as_deref(), address.as_deref(), head.as_deref(), list);
        row.columns.extend(derived.columns());
        entered_rows.push(i);
        entered_rows.extend(member_rows);
    }
    for i in entered_rows {
        let row = &rows[i];
        for op in std::iter::once(row.create).chain(row.folded.iter().copied()) {
            out[op].predicted = true;
        }
    }
}

/// A field's position in the compact stored body (`None`: it has none there).
fn stored_position(def: &EntityDef, field: &str) -> Option<usize> {
    def.position(field).filter(|p| *p < 128)
}

/// Whether [`encode_stored_body`] can store `body` compactly: every field it sets or names in
/// its base has a position there.
fn stored_positions_known(def: &EntityDef, body: &OpBody) -> bool {
    let known = |f: &String| stored_position(def, f).is_some();
    body.set.keys().all(known) && body.base.keys().all(known)
}

/// An op body as the op log stores it (`op.body`), when every field it names is one of its
/// entity's: `[mask, values, base]` — the hex bit mask of the field positions it sets
/// ([`EntityDef::fields`], append-only), their values in field order, and `base` as
/// `[[position, [[origin, seq], …]], …]`. Field names made up ~45 % of the op log's bytes.
/// `None` when some field is not the entity's (the body is then stored as its canonical JSON,
/// `{"set": …, "base": …}`, which [`decode_body`] reads too — as it reads every op written
/// before this form).
pub(crate) fn encode_stored_body(def: &EntityDef, body: &OpBody) -> Result<Option<String>> {
    let position = |f: &str| stored_position(def, f);
    let mut set: Vec<(usize, &Value)> = Vec::with_capacity(body.set.len());
    for (f, v) in &body.set {
        let Some(p) = position(f) else {
            return Ok(None);
        };
        set.push((p, v));
    }
    set.sort_by_key(|(p, _)| *p);
    let mask = set.iter().fold(0u128, |m, (p, _)| m | (1u128 << p));
    let mut base: Vec<(usize, &Vec<OpKey>)> = Vec::with_capacity(body.base.len());
    for (f, keys) in &body.base {
        let Some(p) = position(f) else {
            return Ok(None);
        };
        base.push((p, keys));
    }
    base.sort_by_key(|(p, _)| *p);
    let values: Vec<&Value> = set.into_iter().map(|(_, v)| v).collect();
    serde_json::to_string(&(format!("{mask:x}"), values, base))
        .map(Some)
        .map_err(|e| Error::Invalid(format!("Không ghi được thao tác: {e}")))
}

/// An op body read back from the op log: the compact form of [`encode_stored_body`] or the
/// canonical JSON. The one way to read `op.body`.
pub(crate) fn decode_body(entity: &str, text: &str) -> Result<OpBody> {
    let damaged =
        |m: &dyn std::fmt::Display| Error::Database(format!("Nội dung thao tác hỏng: {m}"));
    if !text.starts_with('[') {
        return serde_json::from_str(text).map_err(|e| damaged(&e));
    }
    let def = entity_def(entity).ok_or_else(|| damaged(&format!("loại bản ghi lạ {entity}")))?;
    type Stored = (String, Vec<Value>, Vec<(usize, Vec<OpKey>)>);
    let (mask, values, base): Stored = serde_json::from_str(text).map_err(|e| damaged(&e))?;
    let mask = u128::from_str_radix(&mask, 16).map_err(|e| damaged(&e))?;
    let field = |p: usize| {
        def.fields
            .get(p)
            .map(|f| (*f).to_owned())
            .ok_or_else(|| damaged(&format!("trường số {p}")))
    };
    let positions: Vec<usize> = (0..128).filter(|p| mask & (1u128 << p) != 0).collect();
    if positions.len() != values.len() {
        return Err(damaged(&"số giá trị không khớp"));
    }
    let mut out = OpBody::default();
    for (p, v) in positions.into_iter().zip(values) {
        out.set.insert(field(p)?, v);
    }
    for (p, keys) in base {
        out.base.insert(field(p)?, keys);
    }
    Ok(out)
}

/// An op's body as stored in the op log and its SHA-256: work that needs no database, so a
/// folder import does it on the thread that opens the next package ([`apply_ops_encoded`]).
#[derive(Debug, Clone)]
pub(crate) struct EncodedBody {
    /// The body as the `op` row stores it; `None` when it was meant to stay in the op's package
    /// (rebuilt by the write path if the op is stored in its row after all).
    pub text: Option<String>,
    pub hash: Vec<u8>,
    /// For an op that creates a row: the row if it does not exist yet.
    new_row: Option<NewRow>,
    /// Every field the body names is one of its entity's (checked while encoding).
    fields_known: bool,
    /// This op is already folded into the [`NewRow`] of the op creating its row earlier in the
    /// same package ([`prepare_bodies`]).
    in_created_row: bool,
    /// This op's row, as its package's ops leave it, entered the derived columns that its
    /// household's create writes ([`predict_derived`]).
    predicted: bool,
    /// The household this op touches (a member's `household_id`, a household itself) as a
    /// number given by [`prepare_bodies`], the same for every op of the package naming it: the
    /// import thread notes each household once without reading the op's body again.
    household_slot: Option<u32>,
    /// The commune of the op's row as [`row_commune`] finds it from the package alone
    /// ([`row_commune_in_package`]); `None` when it needs the database.
    pub(crate) commune_hint: Option<Option<String>>,
}

impl EncodedBody {
    /// The same body for a subset of its package's ops: a prepared row that carries later ops
    /// is dropped (one of them may be left out), so the create folds its row itself; and no
    /// derived columns are taken as predicted (a member that entered them may be left out).
    pub(crate) fn alone(mut self) -> Self {
        if self.new_row.as_ref().is_some_and(|r| r.carries_later) {
            self.new_row = None;
        }
        self.predicted = false;
        self
    }
}

/// A row as its creating op writes it when the row does not exist yet ([`prepare_bodies`]).
#[derive(Debug, Clone)]
struct NewRow {
    rev: String,
    columns: Vec<ColumnValue>,
    /// The columns' positions as a bit mask ([`column_mask`]), worked out here rather than on
    /// the import thread, which picks the row's statement by it.
    mask: u128,
    /// Later ops of the package on this row are folded in (each marked `in_created_row`).
    carries_later: bool,
}

/// One entity that the ledger materialises into a table.
pub struct EntityDef {
    /// Name used in ops (stable, exchanged).
    pub name: &'static str,
    pub table: &'static str,
    /// Fields an op may set (each a column of `table`).
    pub fields: &'static [&'static str],
    /// Fields whose concurrent edits must be reviewed by a person (identity, eligibility, income).
    pub critical: &'static [&'static str],
}

/// Every entity the ledger knows. Adding one = a migration with its table + a line here.
pub static ENTITIES: &[EntityDef] = &[
    EntityDef {
        name: "province",
        table: "province",
        fields: &["name"],
        critical: &[],
    },
    EntityDef {
        name: "commune",
        table: "commune",
        fields: &["province_code", "name", "area", "b1_region"],
        critical: &["area"],
    },
    EntityDef {
        name: "village",
        table: "village",
        fields: &[
            "commune_code",
            "code",
            "name",
            "kind",
            "sort_order",
            "deleted",
        ],
        critical: &[],
    },
    EntityDef {
        name: "user",
        table: "app_user",
        fields: &["name", "role", "node_id", "deleted"],
        critical: &[],
    },
    EntityDef {
        name: "household",
        table: "household",
        fields: &[
            "commune_code",
            "village_id",
            "code",
            "address",
            "ethnicity",
            "ethnic_minority",
            "no_labour",
            "merit",
            "note",
            "head_member_id",
            "status",
            "merged_into",
            "deleted",
            "created_at",
        ],
        critical: &[
            "head_member_id",
            "ethnic_minority",
            "no_labour",
            "merit",
            "deleted",
        ],
    },
    EntityDef {
        name: "member",
        table: "member",
        fields: &[
            "household_id",
            "full_name",
            "birth_date",
            "birth_year",
            "sex",
            "ethnicity",
            "relation",
            "id_number",
            "health_insurance_card",
            "health_insurance",
            "attending_school",
            "education_level",
            "work_status",
            "labour_contract",
            "disability",
            "social_allowance",
            "nutrition_status",
            "status",
            "position",
            "note",
            "deleted",
        ],
        critical: &[
            "full_name",
            "birth_date",
            "birth_year",
            "sex",
            "id_number",
            "household_id",
            "health_insurance",
            "attending_school",
            "nutrition_status",
            "work_status",
            "labour_contract",
            "status",
            "deleted",
        ],
    },
    EntityDef {
        name: "household_event",
        table: "household_event",
        fields: &[
            "household_id",
            "kind",
            "date",
            "member_id",
            "other_household_id",
            "village_id",
            "note",
            "deleted",
        ],
        critical: &[],
    },
    EntityDef {
        name: "ruleset",
        table: "ruleset",
        fields: &["rules_id", "version", "json", "loaded_at"],
        critical: &["json"],
    },
    EntityDef {
        name: "review_round",
        table: "review_round",
        fields: &[
            "commune_code",
            "kind",
            "scope",
            "year",
            "month",
            "title",
            "rules_id",
            "rules_version",
            "reference_date",
            "start_date",
            "posting_days",
            "posting_start",
            "posting_end",
            "decision_number",
            "decision_date",
            "decision_signer",
            "status",
            "locked",
            "deleted",
        ],
        critical: &[
            "rules_id",
            "rules_version",
            "reference_date",
            "status",
            "locked",
        ],
    },
    EntityDef {
        name: "application",
        table: "application",
        fields: &[
            "round_id",
            "household_id",
            "form",
            "purpose",
            "reason",
            "received_date",
            "deleted",
        ],
        critical: &[],
    },
    EntityDef {
        name: "survey",
        table: "survey",
        fields: &[
            "round_id",
            "household_id",
            "village_id",
            "source",
            "phieu_a_ticked",
            "phieu_a_result",
            "score_a",
            "b1_answers",
            "income_per_capita_month",
            "agricultural",
            "floor_area_m2",
            "deprivations",
            "override_reasons",
            "reviewer",
            "survey_date",
            "status",
            "class",
            "previous_class",
            "transition",
            "score_b",
            "deprived",
            "explanation",
            "rules_id",
            "rules_version",
            "deleted",
            "poverty_causes",
        ],
        critical: &[
            "phieu_a_result",
            "score_a",
            "b1_answers",
            "income_per_capita_month",
            "agricultural",
            "floor_area_m2",
            "deprivations",
            "class",
        ],
    },
    EntityDef {
        name: "village_meeting",
        table: "village_meeting",
        fields: &[
            "round_id",
            "village_id",
            "date",
            "attendees",
            "agreed",
            "result",
            "chair",
            "note",
        ],
        critical: &["attendees", "agreed", "result"],
    },
    EntityDef {
        name: "complaint",
        table: "complaint",
        fields: &[
            "round_id",
            "household_id",
            "date",
            "content",
            "status",
            "recheck_date",
            "recheck_result",
            "deleted",
        ],
        critical: &["status"],
    },
    EntityDef {
        name: "certificate",
        table: "certificate",
        fields: &["round_id", "household_id", "number", "class", "issued_date"],
        critical: &["number", "class"],
    },
    // Office decisions (crate::office): insert-only rows, read by crate::review_items.
    EntityDef {
        name: "office_action",
        table: "office_action",
        fields: &[
            "commune_code",
            "action",
            "household_id",
            "round_id",
            "member_id",
            "other_member_id",
            "target",
            "device",
            "reason",
            "seen",
            "created_at",
        ],
        critical: &[],
    },
];

pub fn entity_def(name: &str) -> Option<&'static EntityDef> {
    ENTITIES.iter().find(|e| e.name == name)
}

impl EntityDef {
    /// The position of `field` in [`EntityDef::fields`]. A linear scan: a hash map (SipHash or
    /// FNV-1a) measured no faster on fields this few.
    pub(crate) fn position(&self, field: &str) -> Option<usize> {
        self.fields.iter().position(|f| *f == field)
    }
}

/// A change requested by code in this installation; becomes one op.
#[derive(Debug, Clone)]
pub struct Change {
    pub entity: &'static str,
    pub row_id: String,
    pub kind: OpKind,
    pub set: Map<String, Value>,
}

impl Change {
    pub fn new(entity: &'static str, row_id: impl Into<String>, kind: OpKind) -> Self {
        Change {
            entity,
            row_id: row_id.into(),
            kind,
            set: Map::new(),
        }
    }
    /// Set a field (builder style).
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.set.insert(field.to_owned(), value.into());
        self
    }
    pub fn put(&mut self, field: &str, value: impl Into<Value>) {
        self.set.insert(field.to_owned(), value.into());
    }
}

/// A fresh time-ordered row id (UUIDv7).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// This installation's identity as the write path needs it.
#[derive(Debug, Clone)]
pub struct LocalIdentity {
    pub node_id: String,
    pub short_code: String,
    pub kind: String,
    pub role: String,
    pub authority: i64,
    pub province_code: String,
    pub commune_code: String,
}

pub fn authority_of_role(role: &str) -> i64 {
    match role {
        "office" => 3,
        "commune_officer" => 2,
        _ => 1,
    }
}

/// The open ledger file.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    clock: Arc<dyn Clock>,
    /// Built-in plus loaded rule sets; dropped whenever an op touches a `ruleset` row.
    rules_cache: std::cell::RefCell<Option<crate::rules::RuleSets>>,
    /// The personal IDs known to the member table while a folder import runs at an office
    /// ([`crate::review_items::KnownIdNumbers`]); `None` otherwise.
    pub(crate) known_ids: Option<crate::review_items::KnownIdNumbers>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

impl Ledger {
    /// Open (creating and migrating if needed) the ledger at `path`, with the system clock.
    pub fn open(path: impl AsRef<Path>) -> Result<Ledger> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    pub fn open_with_clock(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Ledger> {
        let path = path.as_ref().to_path_buf();
        let conn = crate::db::open(&path)?;
        tune_connection(&conn)?;
        Ok(Ledger {
            conn,
            path,
            clock,
            rules_cache: std::cell::RefCell::new(None),
            known_ids: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// The cached rule sets, if still valid.
    pub(crate) fn cached_rule_sets(&self) -> Option<crate::rules::RuleSets> {
        self.rules_cache.borrow().clone()
    }
    pub(crate) fn cache_rule_sets(&self, sets: &crate::rules::RuleSets) {
        *self.rules_cache.borrow_mut() = Some(sets.clone());
    }
    /// Forget the cached rule sets (the exchange imported `ruleset` ops in its own transaction).
    pub(crate) fn forget_rule_sets(&self) {
        self.rules_cache.borrow_mut().take();
    }

    /// Read-only access for queries. Writing through this connection is a bug: use [`Ledger::transact`].
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A savepoint for one package of a folder import, and beside it the personal IDs that
    /// import keeps ([`Ledger::known_ids`]), which the package's review refresh reads and adds to.
    pub(crate) fn package_savepoint(
        &mut self,
    ) -> Result<(
        rusqlite::Savepoint<'_>,
        Option<&mut crate::review_items::KnownIdNumbers>,
    )> {
        Ok((self.conn.savepoint()?, self.known_ids.as_mut()))
    }

    /// Mutable access for setup code that creates the local identity and for the exchange,
    /// which applies imported ops through [`apply_op`] itself.
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// This installation's identity, or `None` before setup.
    pub fn local_identity(&self) -> Result<Option<LocalIdentity>> {
        local_identity(&self.conn)
    }

    /// Id of the user who is working now (remembered across restarts).
    pub fn current_user_id(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM setting WHERE key = 'current_user_id'",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Run `f` as ONE transaction of the write path: every `Writer::apply` becomes an op, derived
    /// columns are refreshed, an audit event is chained, and all of it commits or none of it does.
    pub fn transact<T>(
        &mut self,
        action: &str,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let identity = local_identity(&self.conn)?.ok_or_else(|| {
            Error::Conflict(
                "Chưa thiết lập đơn vị: hãy hoàn thành màn hình thiết lập trước.".into(),
            )
        })?;
        // The exchange found this database to be a stale copy (restored backup or clone, SYNC
        // case 37): writing would re-use op numbers the office already holds.
        if let Some(reason) = self
            .conn
            .query_row(
                "SELECT value FROM setting WHERE key = 'exchange_stale_copy'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
        {
            return Err(Error::Conflict(reason));
        }
        let user_id = self
            .current_user_id()?
            .unwrap_or_else(|| "system".to_owned());
        let device_time = self
            .clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (next_seq, lamport, next_code): (i64, i64, i64) = tx.query_row(
            "SELECT next_seq, lamport, next_code FROM local_node WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let mut w = Writer {
            tx,
            identity,
            user_id,
            device_time,
            next_seq,
            lamport,
            next_code,
            written: Vec::new(),
            touched_households: BTreeSet::new(),
            touched_rulesets: false,
        };
        let out = f(&mut w)?;
        let touched_rules = w.touched_rulesets;
        w.finish(action)?;
        if touched_rules {
            self.rules_cache.borrow_mut().take();
        }
        Ok(out)
    }

    /// Shorthand: apply a list of changes as one transaction.
    pub fn write(&mut self, action: &str, changes: Vec<Change>) -> Result<Vec<OpKey>> {
        self.transact(action, |w| {
            let mut keys = Vec::with_capacity(changes.len());
            for c in changes {
                keys.push(w.apply(c)?);
            }
            Ok(keys)
        })
    }

    /// Apply ops that came from elsewhere (an imported package) in one transaction, through the
    /// same [`apply_op`] as local writes. Returns how many were new and how many duplicates.
    /// An op whose key is known with another body (equivocation) aborts everything.
    pub fn apply_remote(&mut self, ops: &[Op], received_in: Option<&str>) -> Result<RemoteApply> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let result = apply_ops_in(&tx, ops, received_in)?;
        tx.commit()?;
        if ops.iter().any(|o| o.entity == "ruleset") {
            self.rules_cache.borrow_mut().take();
        }
        Ok(result)
    }

    /// Make another node known (the office, a device of this commune) so its ops can be applied.
    /// Enrolment (certificates, keys) is the exchange's business; this records the identity only.
    pub fn register_node(
        &mut self,
        node_id: &str,
        short_code: &str,
        role: &str,
        commune_code: Option<&str>,
    ) -> Result<()> {
        let now = self
            .clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.conn.execute(
            "INSERT INTO node (node_id, short_code, role, commune_code, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(node_id) DO UPDATE SET short_code = excluded.short_code, role = excluded.role, commune_code = excluded.commune_code",
            params![node_id, short_code, role, commune_code, now],
        )?;
        Ok(())
    }

    /// All ops in (origin, seq) order — for the exchange and for convergence tests.
    pub fn ops(&self) -> Result<Vec<Op>> {
        use crate::op_pack::OpRow;
        let rows: Vec<OpRow> = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM op ORDER BY origin, seq",
                OpRow::columns("")
            ))?
            .query_map([], |r| OpRow::read(r, 0))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(|r| r.into_op(&self.conn)).collect()
    }
}

impl Ledger {
    /// Run `f` in bulk-write mode (folder imports, demo generation): a 256 MiB page cache instead
    /// of 64, and the cheapest journal that keeps every commit atomic and durable.
    ///
    /// When this is the only connection to the file, the ledger leaves WAL mode for SQLite's
    /// rollback journal while `f` runs ([`BulkJournal::Rollback`]) and returns to WAL afterwards.
    /// A large import mostly appends pages to the file, and the rollback journal writes an
    /// appended page once, to the file itself (it saves only the old content of pages that
    /// existed before the transaction), where the WAL writes every page twice — into the WAL,
    /// then again into the file when it is checkpointed: ~2.7 s of CPU less for a folder of 30
    /// communes (BENCHMARKS.md, session 10). Commits stay `synchronous = FULL`, so what a
    /// finished group of packages wrote survives a power cut; a process killed mid-transaction
    /// leaves a hot journal that the next open rolls back, exactly as an uncommitted WAL is
    /// ignored. Nothing else can read the file meanwhile — nothing needs to: the app has one
    /// connection, and the folder import's worker reads nothing from the database (a reader
    /// would wait for each commit and for any spill of the page cache, which locks readers out
    /// under the rollback journal; `sync::held_seqs`).
    ///
    /// If another connection holds the file (SQLite then refuses to leave WAL), the writes stay
    /// in the WAL with `synchronous = NORMAL` ([`BulkJournal::Wal`]): a power cut can then roll
    /// back the last packages or demo batches, never corrupt the file — and both can simply be
    /// repeated (imports are idempotent, the package is still on the stick). A [`Checkpointer`]
    /// on a second connection then copies committed pages from the WAL into the database file,
    /// on the other core, instead of the writing thread stopping to do it every ~64 MiB;
    /// [`Ledger::settle_wal`] bounds the WAL between write transactions.
    ///
    /// Every other write, above all what a person typed, commits in WAL mode with `synchronous
    /// = FULL`: once the app says "đã lưu", a power cut cannot take it back.
    ///
    /// Foreign keys are not enforced while `f` runs. The only ones are the op log's `origin`
    /// and `local_node`'s id, both naming a `node` row: a folder import checks every op's origin
    /// against the node table before it writes anything of its package (`sync::apply_package`),
    /// and local writes are this node's. Enforcing them made SQLite keep a statement journal
    /// for every insert of several log rows at once ([`LogWrite::Deferred`]), which cost more
    /// than the rows (BENCHMARKS.md, session 13).
    pub fn with_bulk_writes<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let journal = BulkJournal::enter(self.conn(), &self.path);
        let setup = match &journal {
            BulkJournal::Rollback => {
                format!("PRAGMA synchronous = FULL; PRAGMA cache_size = -{BULK_CACHE_KIB}; PRAGMA foreign_keys = OFF;")
            }
            BulkJournal::Wal(checkpointer) => {
                let own_checkpoints = if checkpointer.is_some() { 0 } else { 16_384 };
                format!(
                    "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = {own_checkpoints}; PRAGMA cache_size = -{BULK_CACHE_KIB}; PRAGMA foreign_keys = OFF;"
                )
            }
        };
        let out = self
            .conn()
            .execute_batch(&setup)
            .map_err(Error::from)
            .and_then(|()| f(self));
        let restored = journal.leave(self.conn());
        let out = out?;
        restored?;
        Ok(out)
    }

    /// Between two write transactions of bulk-write mode: when the WAL file has grown past
    /// [`WAL_SETTLE_BYTES`], copy what the background checkpointer has not copied yet, so the next
    /// transaction writes the WAL from its start again (SQLite restarts a fully copied WAL). The
    /// WAL would otherwise hold every page of a whole folder import until its end.
    pub(crate) fn settle_wal(&self) -> Result<()> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if size > WAL_SETTLE_BYTES {
            self.conn()
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        }
        Ok(())
    }
}

/// The journal of [`Ledger::with_bulk_writes`].
enum BulkJournal {
    /// SQLite's rollback journal (`journal_mode = DELETE`), WAL again when the writes are done.
    Rollback,
    /// The WAL, because another connection holds the file; with a background checkpointer
    /// unless its connection could not be opened (the writer then checkpoints itself).
    Wal(Option<Checkpointer>),
}

impl BulkJournal {
    fn enter(conn: &Connection, path: &Path) -> Self {
        // SQLite answers with the journal mode in force: still "wal" (or an error) when another
        // connection holds the file or a transaction is open.
        let mode = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| {
            r.get::<_, String>(0)
        });
        match mode {
            Ok(m) if m.eq_ignore_ascii_case("delete") => BulkJournal::Rollback,
            _ => BulkJournal::Wal(Checkpointer::start(path)),
        }
    }

    /// Back to the settings of every other write. A failure to return to WAL loses nothing:
    /// the rollback journal is as safe, and the next open switches to WAL again (`db::open`).
    fn leave(self, conn: &Connection) -> Result<()> {
        let back = format!(
            "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 1000; PRAGMA cache_size = -{CACHE_KIB}; PRAGMA foreign_keys = ON;"
        );
        match self {
            BulkJournal::Rollback => {
                conn.execute_batch(&back)?;
                let _ = conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()));
            }
            BulkJournal::Wal(checkpointer) => {
                drop(checkpointer);
                conn.execute_batch(&back)?;
                // TRUNCATE also gives the WAL file's disk space back (it grew during the bulk
                // writes); when a reader holds it, this is a passive checkpoint.
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            }
        }
        Ok(())
    }
}

/// WAL size past which [`Ledger::settle_wal`] finishes the checkpoint itself: 1 GiB. The
/// background checkpointer cannot restart the WAL alone (SQLite restarts it only when a write
/// transaction begins with every page copied, and a folder import begins its next group right
/// after committing one), so each settle is the writing thread copying a whole group's pages: a
/// smaller bound costs import time (BENCHMARKS.md), a larger one disk space while importing.
const WAL_SETTLE_BYTES: u64 = 1 << 30;

/// A thread with its own connection that runs `PRAGMA wal_checkpoint(PASSIVE)` every 100 ms
/// while bulk writes go on. A passive checkpoint copies only committed pages and never blocks
/// the writer; SQLite makes it safe to run from another connection at any moment, including a
/// power cut in the middle. Stopped and joined when dropped.
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// `None` (the writer then checkpoints itself) if the second connection cannot be opened.
    fn start(path: &Path) -> Option<Self> {
        let conn =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE).ok()?;
        conn.busy_timeout(std::time::Duration::from_millis(50))
            .ok()?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(std::time::Duration::from_millis(100))
                {
                    // Busy or failed: the next round, the writer's settle or the final
                    // checkpoint copies the pages; nothing is lost by skipping one.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .ok()?;
        Some(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Connection settings for the write path's speed (never its results): the write path cycles
/// through more distinct statements than rusqlite's default cache of 16 holds (one upsert per
/// entity and column set), and a large import touches indexes all over a big file.
fn tune_connection(conn: &Connection) -> Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch(&format!(
        "PRAGMA cache_size = -{CACHE_KIB}; PRAGMA temp_store = MEMORY;"
    ))?;
    Ok(())
}

/// SQLite page cache of a connection (KiB): 64 MiB.
const CACHE_KIB: u32 = 65_536;
/// Page cache while [`Ledger::with_bulk_writes`] runs (KiB): 256 MiB. A folder import commits
/// its packages in groups; the pages of the randomly keyed indexes (personal ID, birth date, name
/// order) then stay in memory across packages instead of being read and written again for each
/// one (BENCHMARKS.md).
const BULK_CACHE_KIB: u32 = 262_144;

/// Prepared statements kept per connection (see [`tune_connection`]).
const STATEMENT_CACHE: usize = 256;

/// Outcome of [`Ledger::apply_remote`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RemoteApply {
    pub new: u64,
    pub duplicate: u64,
    /// Open conflict rows after the import.
    pub conflicts: i64,
    /// Conflict rows this import raised.
    pub new_conflicts: i64,
    /// Households written with derived columns the worker predicted, not refreshed after
    /// ([`predict_derived`]).
    #[serde(skip)]
    pub households_predicted: u64,
}

/// Apply remote ops inside the caller's transaction (imports, dry runs): every op through
/// [`apply_op`], then derived columns and the Lamport counter.
pub(crate) fn apply_ops_in(
    tx: &Connection,
    ops: &[Op],
    received_in: Option<&str>,
) -> Result<RemoteApply> {
    apply_ops_encoded(tx, ops, None, received_in, None, None, false)
}

/// [`apply_ops_in`] with each op's stored body already encoded (`bodies[i]` is `ops[i]`'s,
/// from [`Op::prepared_body`]), and, when the package's plaintext is kept in `op_pack`, each
/// op's line in it (`pack_lines[i]`): those op rows then keep no text of their own.
///
/// `keys_new`: the caller checked that no op's key (origin, seq) is in the log yet and that no
/// two ops share one (an import's package, `sync::apply_package`). Their log rows are then
/// written [`LOG_ROWS_PER_INSERT`] per statement ([`LogRow`]) instead of one statement
/// each, and a key found in the log after all fails the whole batch instead of counting as a
/// duplicate.
pub(crate) fn apply_ops_encoded(
    tx: &Connection,
    ops: &[Op],
    bodies: Option<Vec<EncodedBody>>,
    received_in: Option<&str>,
    pack_lines: Option<&[i64]>,
    known_ids: Option<&mut crate::review_items::KnownIdNumbers>,
    keys_new: bool,
) -> Result<RemoteApply> {
    if bodies.as_ref().is_some_and(|b| b.len() != ops.len())
        || pack_lines.is_some_and(|l| l.len() != ops.len())
        || (pack_lines.is_some() && received_in.is_none())
    {
        return Err(Error::Invalid("Nội dung thao tác không khớp.".into()));
    }
    let mut bodies = bodies.map(Vec::into_iter);
    let mut touched = BTreeSet::new();
    let mut result = RemoteApply::default();
    let mut max_lamport = 0;
    let mut batch = BatchCache::default();
    let conflicts_before: i64 = tx.query_row("SELECT count(*) FROM conflict", [], |r| r.get(0))?;
    for (i, op) in ops.iter().enumerate() {
        let write = OpWrite {
            received_in,
            pack_line: pack_lines
                .filter(|_| crate::op_pack::kept_in_package(op))
                .map(|l| l[i]),
            encoded: bodies.as_mut().and_then(Iterator::next),
            preloaded: None,
            log: match keys_new {
                true => LogWrite::Deferred { ops, index: i },
                false => LogWrite::Now,
            },
        };
        match apply_op_with(tx, op, write, &mut touched, &mut batch)? {
            Applied::New => result.new += 1,
            Applied::Duplicate => result.duplicate += 1,
        }
        max_lamport = max_lamport.max(op.lamport);
    }
    write_deferred_log(tx, ops, received_in, &mut batch.deferred_log)?;
    for h in &touched {
        // A prediction every op touching the household entered is what a refresh computes.
        if batch.predicted.contains(h) && !batch.spoiled.contains(h) {
            result.households_predicted += 1;
            continue;
        }
        refresh_household_derived(tx, h)?;
    }
    // Row-level review items (locked_edit, delete_vs_edit, duplicate_person) from the op set.
    crate::review_items::refresh_after(tx, ops, known_ids)?;
    tx.execute(
        "UPDATE local_node SET lamport = max(lamport, ?1) WHERE id = 1",
        params![max_lamport],
    )?;
    let after: i64 = tx.query_row("SELECT count(*) FROM conflict", [], |r| r.get(0))?;
    result.conflicts = after;
    result.new_conflicts = (after - conflicts_before).max(0);
    Ok(result)
}

/// The commune an op concerns: its origin device's commune, or for office ops the row's commune
/// (NULL = every commune, e.g. a rule set).
fn op_scope(conn: &Connection, op: &Op, cache: &mut BatchCache) -> Result<Option<String>> {
    let origin = match cache.origins.get(&op.origin) {
        Some(c) => c.clone(),
        None => {
            let c: Option<Option<String>> = conn
                .prepare_cached("SELECT commune_code FROM node WHERE node_id = ?1")?
                .query_row([&op.origin], |r| r.get(0))
                .optional()?;
            cache.origins.insert(op.origin.clone(), c.clone());
            c
        }
    };
    if let Some(Some(c)) = origin {
        return Ok(Some(c));
    }
    row_commune(
        conn,
        op,
        &crate::FastMap::default(),
        &crate::FastMap::default(),
    )
}

/// The commune a row belongs to, from the op body, earlier ops of the same package (`pending`)
/// or the database — independent of who wrote it (case 11: a commune device writing another
/// commune's row).
pub(crate) fn row_commune(
    conn: &Connection,
    op: &Op,
    pending: &crate::FastMap<&str, &str>,
    pending_parent: &crate::FastMap<&str, &str>,
) -> Result<Option<String>> {
    row_commune_by(op, pending, pending_parent, &mut |table, column, id| {
        Ok(conn
            .prepare_cached(&format!("SELECT {column} FROM {table} WHERE id = ?1"))?
            .query_row([id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    })
}

/// [`row_commune`] from the package alone (the worker, ahead of the import): `None` when it
/// would have to read a row of the database.
pub(crate) fn row_commune_in_package(
    op: &Op,
    pending: &crate::FastMap<&str, &str>,
    pending_parent: &crate::FastMap<&str, &str>,
) -> Option<Option<String>> {
    row_commune_by(op, pending, pending_parent, &mut |_, _, _| Err(())).ok()
}

/// Rows an op's package creates before it: each row's commune (`pending`) and parent household
/// or round (`pending_parent`), as the package's bodies name them ([`row_commune`]).
pub(crate) type PendingMaps<'a> = (
    crate::FastMap<&'a str, &'a str>,
    crate::FastMap<&'a str, &'a str>,
);

/// [`PendingMaps`] of a package's ops.
pub(crate) fn pending_maps(ops: &[Op]) -> PendingMaps<'_> {
    let mut pending = crate::FastMap::default();
    let mut pending_parent = crate::FastMap::default();
    // Only the fields [`row_commune_by`] reads of each entity: the commune of a village,
    // household or round; the household of a member or household event; the round of a survey,
    // application, meeting, complaint or certificate (three map lookups per op otherwise).
    for op in ops {
        let (commune, parent) = match op.entity.as_str() {
            "village" | "household" | "review_round" => (true, None),
            "member" | "household_event" => (false, Some("household_id")),
            "survey" | "application" | "village_meeting" | "complaint" | "certificate" => {
                (false, Some("round_id"))
            }
            _ => continue,
        };
        if commune {
            if let Some(c) = op.body.set.get("commune_code").and_then(Value::as_str) {
                pending.insert(op.row_id.as_str(), c);
            }
        }
        if let Some(p) = parent
            .and_then(|f| op.body.set.get(f))
            .and_then(Value::as_str)
        {
            pending_parent.insert(op.row_id.as_str(), p);
        }
    }
    (pending, pending_parent)
}

/// `lookup(table, column, id)`: one column of one row (`None`: no such row, or the column is
/// empty).
type RowLookup<'l, E> = dyn FnMut(&str, &str, &str) -> std::result::Result<Option<String>, E> + 'l;

/// [`row_commune`] with `lookup` reading the database.
fn row_commune_by<E>(
    op: &Op,
    pending: &crate::FastMap<&str, &str>,
    pending_parent: &crate::FastMap<&str, &str>,
    lookup: &mut RowLookup<'_, E>,
) -> std::result::Result<Option<String>, E> {
    use std::borrow::Cow;
    let body = |f: &str| op.body.set.get(f).and_then(Value::as_str);
    // The commune of a row this package created earlier, or of one in the database.
    let known = |table: &str,
                 id: &str,
                 lookup: &mut RowLookup<'_, E>|
     -> std::result::Result<Option<String>, E> {
        match pending.get(id) {
            Some(c) => Ok(Some((*c).to_owned())),
            None => lookup(table, "commune_code", id),
        }
    };
    // The parent (household or round) a row names, or that its row names already.
    let parent = |column: &str,
                  lookup: &mut RowLookup<'_, E>|
     -> std::result::Result<Option<Cow<'_, str>>, E> {
        match body(column).or_else(|| pending_parent.get(op.row_id.as_str()).copied()) {
            Some(p) => Ok(Some(Cow::Borrowed(p))),
            None => Ok(lookup(&op.entity, column, &op.row_id)?.map(Cow::Owned)),
        }
    };
    Ok(match op.entity.as_str() {
        "commune" => Some(op.row_id.clone()),
        "office_action" => body("commune_code").map(str::to_owned),
        table @ ("village" | "household" | "review_round") => match body("commune_code") {
            Some(c) => Some(c.to_owned()),
            None => known(table, &op.row_id, lookup)?,
        },
        "member" | "household_event" => match parent("household_id", &mut *lookup)? {
            Some(h) => known("household", &h, lookup)?,
            None => None,
        },
        "survey" | "application" | "village_meeting" | "complaint" | "certificate" => {
            match parent("round_id", &mut *lookup)? {
                Some(r) => known("review_round", &r, lookup)?,
                None => None,
            }
        }
        _ => None,
    })
}

pub(crate) fn local_identity(conn: &Connection) -> Result<Option<LocalIdentity>> {
    Ok(conn
        .query_row(
            "SELECT l.node_id, n.short_code, l.kind, n.role, l.province_code, l.commune_code
             FROM local_node l JOIN node n ON n.node_id = l.node_id WHERE l.id = 1",
            [],
            |r| {
                let role: String = r.get(3)?;
                Ok(LocalIdentity {
                    node_id: r.get(0)?,
                    short_code: r.get(1)?,
                    kind: r.get(2)?,
                    authority: authority_of_role(&role),
                    role,
                    province_code: r.get(4)?,
                    commune_code: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// The write path inside one transaction (see [`Ledger::transact`]).
pub struct Writer<'a> {
    tx: rusqlite::Transaction<'a>,
    identity: LocalIdentity,
    user_id: String,
    device_time: String,
    next_seq: i64,
    lamport: i64,
    next_code: i64,
    written: Vec<OpKey>,
    touched_households: BTreeSet<String>,
    touched_rulesets: bool,
}

impl Writer<'_> {
    /// Reads inside the transaction (see what this transaction already wrote).
    pub fn conn(&self) -> &Connection {
        &self.tx
    }
    pub fn identity(&self) -> &LocalIdentity {
        &self.identity
    }
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
    pub fn device_time(&self) -> &str {
        &self.device_time
    }

    /// Next human-readable household code of this device: `<short code>-<counter>`, e.g. `A7K-00012`.
    pub fn next_household_code(&mut self) -> String {
        let code = format!("{}-{:05}", self.identity.short_code, self.next_code);
        self.next_code += 1;
        code
    }

    /// Record one change as an op and apply it.
    pub fn apply(&mut self, change: Change) -> Result<OpKey> {
        let def = entity_def(change.entity).ok_or_else(|| {
            Error::Invalid(format!("Loại bản ghi không tồn tại: {}", change.entity))
        })?;
        let rev = load_rev(&self.tx, def, &change.row_id)?;
        let base = change
            .set
            .keys()
            .map(|f| {
                (
                    f.clone(),
                    rev.as_ref().map(|r| r.head_keys(f)).unwrap_or_default(),
                )
            })
            .filter(|(_, heads)| !heads.is_empty())
            .collect::<BTreeMap<String, Vec<OpKey>>>();
        // A delete records what its author saw of every field, so an edit it did not see is
        // recognisable as concurrent (review item delete_vs_edit, crate::review_items).
        let mut base = base;
        if let (OpKind::Delete, Some(r)) = (change.kind, rev.as_ref()) {
            for f in r.h.keys() {
                if !base.contains_key(f) {
                    let heads = r.head_keys(f);
                    if !heads.is_empty() {
                        base.insert(f.clone(), heads);
                    }
                }
            }
        }
        self.lamport += 1;
        let op = Op {
            origin: self.identity.node_id.clone(),
            seq: self.next_seq,
            lamport: self.lamport,
            authority: self.identity.authority,
            user_id: self.user_id.clone(),
            device_time: self.device_time.clone(),
            entity: change.entity.to_owned(),
            row_id: change.row_id,
            kind: change.kind,
            body: OpBody {
                set: change.set,
                base,
            },
            schema_ver: OP_SCHEMA_VERSION,
        };
        self.next_seq += 1;
        self.touched_rulesets |= op.entity == "ruleset";
        let write = OpWrite {
            received_in: None,
            pack_line: None,
            encoded: None,
            preloaded: Some(rev),
            log: LogWrite::Now,
        };
        apply_op_with(
            &self.tx,
            &op,
            write,
            &mut self.touched_households,
            &mut BatchCache::default(),
        )?;
        let key = op.key();
        self.written.push(key.clone());
        Ok(key)
    }

    fn finish(mut self, action: &str) -> Result<()> {
        for h in std::mem::take(&mut self.touched_households) {
            refresh_household_derived(&self.tx, &h)?;
        }
        crate::review_items::refresh_after_keys(&self.tx, &self.written)?;
        self.tx.execute(
            "UPDATE local_node SET next_seq = ?1, lamport = ?2, next_code = ?3 WHERE id = 1",
            params![self.next_seq, self.lamport, self.next_code],
        )?;
        if !self.written.is_empty() {
            let first = &self.written[0];
            let last = &self.written[self.written.len() - 1];
            let details =
                serde_json::json!({ "ops": [first.1, last.1], "count": self.written.len() });
            append_audit(
                &self.tx,
                self.lamport,
                &self.device_time,
                &self.user_id,
                action,
                None,
                None,
                &details,
            )?;
        }
        self.tx.commit()?;
        Ok(())
    }
}

/// Append one event to the hash-chained audit trail. `details` must carry no personal values.
#[allow(clippy::too_many_arguments)]
pub(crate) fn append_audit(
    conn: &Connection,
    lamport: i64,
    device_time: &str,
    user_id: &str,
    action: &str,
    entity: Option<&str>,
    row_id: Option<&str>,
    details: &Value,
) -> Result<()> {
    let prev: String = conn
        .query_row(
            "SELECT sha256 FROM audit_event ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| "0".repeat(64));
    let details = details.to_string();
    let canonical = format!(
        "{prev}|{lamport}|{device_time}|{user_id}|{action}|{}|{}|{details}",
        entity.unwrap_or(""),
        row_id.unwrap_or("")
    );
    let sha = hex::encode(Sha256::digest(canonical.as_bytes()));
    conn.execute(
        "INSERT INTO audit_event (prev_sha256, sha256, lamport, device_time, user_id, action, entity, row_id, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![prev, sha, lamport, device_time, user_id, action, entity, row_id, details],
    )?;
    Ok(())
}

/// Check the audit chain end to end; returns the number of events verified.
pub fn verify_audit_chain(conn: &Connection) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT prev_sha256, sha256, lamport, device_time, user_id, action, entity, row_id, details
         FROM audit_event ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = "0".repeat(64);
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let prev: String = r.get(0)?;
        let sha: String = r.get(1)?;
        let canonical = format!(
            "{prev}|{}|{}|{}|{}|{}|{}|{}",
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            r.get::<_, String>(8)?
        );
        if prev != expected_prev || hex::encode(Sha256::digest(canonical.as_bytes())) != sha {
            return Err(Error::Database(format!(
                "Nhật ký kiểm tra (audit) bị sửa đổi tại sự kiện thứ {}.",
                n + 1
            )));
        }
        expected_prev = sha;
        n += 1;
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Per-row revision state

/// One revision that is a head of some field: `(origin, seq, authority, lamport)`.
type RevOp = (String, i64, i64, i64);

/// A row's revision state, in memory: heads per field (indexes into `o`) and the superseded
/// revisions per field. Stored in the `_rev` column as [`RevDisk`].
#[derive(Debug, Clone, Default)]
struct RevState {
    o: Vec<RevOp>,
    h: BTreeMap<String, Vec<usize>>,
    p: BTreeMap<String, Vec<OpKey>>,
}

/// The `_rev` column (schema ≥ 8):
/// `{"o":[[origin,seq,authority,lamport],…],"g":[[mask,[i,…]],…],"p":{field:[[origin,seq],…]}}`.
/// `g` groups the fields that share one list of heads (indexes into `o`); `mask` is a hex bit
/// mask of the fields' positions in [`EntityDef::fields`] (bit i = `fields[i]`), which is why
/// that list is append-only. A member created by one op is ~80 bytes instead of ~400 with field
/// names. Schema ≤ 7 wrote `h` (field name → indexes); it is still read, and migration 8
/// rewrote every row ([`reencode_revs`]).
#[derive(Debug, Default, Serialize, Deserialize)]
struct RevDisk {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    o: Vec<RevOp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    g: Vec<(String, Vec<usize>)>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    h: BTreeMap<String, Vec<usize>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    p: BTreeMap<String, Vec<OpKey>>,
}

fn order_key(r: &RevOp) -> (i64, i64, &str, i64) {
    (r.2, r.3, r.0.as_str(), r.1)
}

impl RevState {
    fn heads(&self, field: &str) -> Vec<RevOp> {
        self.h
            .get(field)
            .map(|ix| ix.iter().filter_map(|i| self.o.get(*i).cloned()).collect())
            .unwrap_or_default()
    }
    fn head_keys(&self, field: &str) -> Vec<OpKey> {
        self.heads(field)
            .into_iter()
            .map(|r| OpKey(r.0, r.1))
            .collect()
    }
    /// Rebuild from explicit heads per field, dropping unreferenced revisions. The result is
    /// canonical (independent of arrival order), so replicas store byte-identical `_rev`s.
    fn from_parts(heads: BTreeMap<String, Vec<RevOp>>, p: BTreeMap<String, Vec<OpKey>>) -> Self {
        let mut o: Vec<RevOp> = Vec::new();
        let mut h = BTreeMap::new();
        for (field, mut revs) in heads {
            revs.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
            let mut ix = Vec::with_capacity(revs.len());
            for r in revs {
                let i = match o.iter().position(|x| *x == r) {
                    Some(i) => i,
                    None => {
                        o.push(r);
                        o.len() - 1
                    }
                };
                ix.push(i);
            }
            ix.sort_unstable();
            h.insert(field, ix);
        }
        RevState { o, h, p }
    }
}

fn load_rev(conn: &Connection, def: &EntityDef, row_id: &str) -> Result<Option<RevState>> {
    let sql = cached_sql("load_rev", def.table, 0, || {
        format!("SELECT _rev FROM {} WHERE id = ?1", def.table)
    });
    let raw: Option<String> = conn
        .prepare_cached(&sql)?
        .query_row([row_id], |r| r.get(0))
        .optional()?;
    match raw {
        None => Ok(None),
        Some(s) => parse_rev(def, row_id, &s).map(Some),
    }
}

/// Every op a row's revision state names: the heads of its fields and the revisions they
/// superseded. Each op that set a field of the row is one or the other (a superseded revision is
/// never forgotten), so this finds the row's ops without an index on the log's `row_id` — how
/// the ops whose text stays in their package are found by row ([`crate::op_pack`]).
pub(crate) fn rev_keys(conn: &Connection, entity: &str, row_id: &str) -> Result<BTreeSet<OpKey>> {
    let Some(def) = entity_def(entity) else {
        return Ok(BTreeSet::new());
    };
    let Some(state) = load_rev(conn, def, row_id)? else {
        return Ok(BTreeSet::new());
    };
    let mut keys: BTreeSet<OpKey> = state.o.into_iter().map(|r| OpKey(r.0, r.1)).collect();
    keys.extend(state.p.into_values().flatten());
    Ok(keys)
}

fn corrupt_rev(row_id: &str, why: impl std::fmt::Display) -> Error {
    Error::Database(format!(
        "Trạng thái phiên bản của bản ghi {row_id} bị hỏng: {why}"
    ))
}

fn parse_rev(def: &EntityDef, row_id: &str, raw: &str) -> Result<RevState> {
    let disk: RevDisk = serde_json::from_str(raw).map_err(|e| corrupt_rev(row_id, e))?;
    let mut h = disk.h;
    for (mask, ix) in disk.g {
        let bits = u128::from_str_radix(&mask, 16).map_err(|e| corrupt_rev(row_id, e))?;
        for pos in 0..128 {
            if bits & (1u128 << pos) != 0 {
                let field = def
                    .fields
                    .get(pos)
                    .ok_or_else(|| corrupt_rev(row_id, format!("trường thứ {pos}")))?;
                h.insert((*field).to_owned(), ix.clone());
            }
        }
    }
    if h.values().flatten().any(|i| *i >= disk.o.len()) {
        return Err(corrupt_rev(row_id, "chỉ số phiên bản"));
    }
    Ok(RevState {
        o: disk.o,
        h,
        p: disk.p,
    })
}

/// The compact `_rev` text of a revision state ([`RevDisk`]); canonical, so replicas holding the
/// same ops store the same bytes.
fn encode_rev(def: &EntityDef, rev: &RevState) -> Result<String> {
    let mut groups: BTreeMap<&[usize], u128> = BTreeMap::new();
    for (field, ix) in &rev.h {
        let pos = stored_position(def, field).ok_or_else(|| unknown_field(def, field))?;
        *groups.entry(ix.as_slice()).or_default() |= 1u128 << pos;
    }
    let disk = RevDisk {
        o: rev.o.clone(),
        g: groups
            .into_iter()
            .map(|(ix, mask)| (format!("{mask:x}"), ix.to_vec()))
            .collect(),
        h: BTreeMap::new(),
        p: rev.p.clone(),
    };
    serde_json::to_string(&disk).map_err(rev_not_written)
}

/// A field with no position in the compact `_rev` of `def` (not one of its fields).
fn unknown_field(def: &EntityDef, field: &str) -> Error {
    Error::Database(format!(
        "Trường '{field}' không thuộc loại bản ghi {}",
        def.name
    ))
}

fn rev_not_written(e: serde_json::Error) -> Error {
    Error::Database(format!("Không ghi được trạng thái phiên bản: {e}"))
}

/// Migration 8: rewrite every row's `_rev` in the compact form. Runs inside the migration's
/// transaction; it bypasses the write path (ARCHITECTURE invariant 1) but changes no value, only
/// how the same revision state is written.
pub(crate) fn reencode_revs(conn: &Connection) -> Result<()> {
    for def in ENTITIES {
        let rows: Vec<(String, String)> = conn
            .prepare(&format!("SELECT id, _rev FROM {}", def.table))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut update =
            conn.prepare(&format!("UPDATE {} SET _rev = ?2 WHERE id = ?1", def.table))?;
        for (id, raw) in rows {
            let compact = encode_rev(def, &parse_rev(def, &id, &raw)?)?;
            if compact != raw {
                update.execute(params![id, compact])?;
            }
        }
    }
    Ok(())
}

/// Whether [`apply_op`] added the op or already had it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    New,
    Duplicate,
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

/// Value a revision wrote to a field, read back from the op log.
fn value_written_by(conn: &Connection, key: &OpKey, field: &str) -> Result<Value> {
    let Some(op) = crate::op_pack::op_by_key(conn, &key.0, key.1)? else {
        return Ok(Value::Null);
    };
    Ok(op.body.set.get(field).cloned().unwrap_or(Value::Null))
}

/// Apply one op (local or imported) inside the caller's transaction: append it to the log and
/// fold it into the row's revision heads and the materialised columns. Idempotent: an op already
/// present with the same body is a duplicate; with another body it is an equivocation error.
pub fn apply_op(
    conn: &Connection,
    op: &Op,
    received_in: Option<&str>,
    touched_households: &mut BTreeSet<String>,
) -> Result<Applied> {
    let write = OpWrite {
        received_in,
        pack_line: None,
        encoded: None,
        preloaded: None,
        log: LogWrite::Now,
    };
    apply_op_with(
        conn,
        op,
        write,
        touched_households,
        &mut BatchCache::default(),
    )
}

/// What one batch of ops remembers between ops: the commune of each origin device seen
/// (`node.commune_code`; the node table does not change while ops are applied) and the rows
/// written as new together with their later ops.
#[derive(Default)]
struct BatchCache {
    /// Each origin's commune (`None` inside: an office or a device of no commune).
    origins: crate::FastMap<String, Option<Option<String>>>,
    /// `(entity, row)` written as new in this batch by a create carrying the package's later
    /// ops on the row ([`NewRow::carries_later`]): those ops only enter the log.
    created: crate::FastSet<(String, String)>,
    /// Households written new with their derived columns predicted by the worker
    /// ([`predict_derived`]), when no member of theirs existed before.
    predicted: crate::FastSet<String>,
    /// Households touched by an op that did not enter such a prediction: refreshed as usual.
    spoiled: crate::FastSet<String>,
    /// Per [`EncodedBody::household_slot`]: 1 = noted as touched, 2 = noted as spoiled.
    slots: Vec<u8>,
    /// Log rows of [`LogWrite::Deferred`] ops not written yet, in op order, each with its op's
    /// index in the batch.
    deferred_log: Vec<(usize, LogRow)>,
}

/// When [`apply_op_with`] writes the op's row of the log.
#[derive(Clone, Copy)]
enum LogWrite<'a> {
    /// At once, on its own: `ON CONFLICT` then tells a duplicate.
    Now,
    /// `ops[index]`, whose key is known to be new ([`apply_ops_encoded`]'s `keys_new`): kept in
    /// [`BatchCache::deferred_log`] and written with others by [`write_deferred_log`] — when
    /// [`LOG_ROWS_PER_INSERT`] are waiting, before anything of the batch could read the log
    /// (an op that is not a new row's), and at the end of the batch.
    Deferred { ops: &'a [Op], index: usize },
}

/// The columns of an op's log row that are not the op's own fields (see [`LogWrite`]).
struct LogRow {
    /// Author and device time are kept (`false`: empty, the op is kept in its package).
    with_author: bool,
    body: String,
    hash: Vec<u8>,
    scope: Option<String>,
    pack_line: Option<i64>,
}

/// Log rows per `INSERT` of [`write_deferred_log`]: 15 values each, well under SQLite's limit
/// of 32,766 parameters. One statement per row spent about a third of its time starting and
/// finishing the statement (BENCHMARKS.md, session 13).
const LOG_ROWS_PER_INSERT: usize = 32;

/// The `INSERT` of `rows` log rows; with `ON CONFLICT … DO NOTHING` for a single row written
/// at once ([`LogWrite::Now`]).
fn log_insert_sql(rows: usize, on_conflict: bool) -> std::rc::Rc<str> {
    let kind = if on_conflict { "log_now" } else { "log_rows" };
    cached_sql(kind, "op", rows as u128, || {
        let mut sql = String::from(if on_conflict {
            "INSERT"
        } else {
            "INSERT OR FAIL"
        });
        sql.push_str(
            " INTO op (origin, seq, lamport, authority, user_id, device_time, entity, row_id, kind, body, body_sha256, schema_ver, received_in, scope, pack_line) VALUES ",
        );
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..LOG_COLUMNS {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("?{}", r * LOG_COLUMNS + c + 1));
            }
            sql.push(')');
        }
        if on_conflict {
            sql.push_str(" ON CONFLICT(origin, seq) DO NOTHING");
        }
        sql
    })
}

/// Values per log row in [`log_insert_sql`].
const LOG_COLUMNS: usize = 15;

/// Binds one log row's values from parameter `first` on, in [`log_insert_sql`]'s column order.
fn bind_log_row(
    stmt: &mut rusqlite::Statement<'_>,
    first: usize,
    op: &Op,
    row: &LogRow,
    received_in: Option<&str>,
) -> Result<()> {
    let (user_id, device_time) = match row.with_author {
        true => (op.user_id.as_str(), op.device_time.as_str()),
        false => ("", ""),
    };
    stmt.raw_bind_parameter(first, &op.origin)?;
    stmt.raw_bind_parameter(first + 1, op.seq)?;
    stmt.raw_bind_parameter(first + 2, op.lamport)?;
    stmt.raw_bind_parameter(first + 3, op.authority)?;
    stmt.raw_bind_parameter(first + 4, user_id)?;
    stmt.raw_bind_parameter(first + 5, device_time)?;
    stmt.raw_bind_parameter(first + 6, &op.entity)?;
    stmt.raw_bind_parameter(first + 7, &op.row_id)?;
    stmt.raw_bind_parameter(first + 8, op.kind.as_str())?;
    stmt.raw_bind_parameter(first + 9, &row.body)?;
    stmt.raw_bind_parameter(first + 10, &row.hash)?;
    stmt.raw_bind_parameter(first + 11, op.schema_ver)?;
    stmt.raw_bind_parameter(first + 12, received_in)?;
    stmt.raw_bind_parameter(first + 13, &row.scope)?;
    stmt.raw_bind_parameter(first + 14, row.pack_line)?;
    Ok(())
}

/// Writes the waiting [`LogWrite::Deferred`] rows, [`LOG_ROWS_PER_INSERT`] per statement.
fn write_deferred_log(
    conn: &Connection,
    ops: &[Op],
    received_in: Option<&str>,
    rows: &mut Vec<(usize, LogRow)>,
) -> Result<()> {
    for chunk in rows.chunks(LOG_ROWS_PER_INSERT) {
        let mut stmt = conn.prepare_cached(&log_insert_sql(chunk.len(), false))?;
        for (r, (index, row)) in chunk.iter().enumerate() {
            let op = ops
                .get(*index)
                .ok_or_else(|| Error::Invalid("Nội dung thao tác không khớp.".into()))?;
            bind_log_row(&mut stmt, r * LOG_COLUMNS + 1, op, row, received_in)?;
        }
        if stmt.raw_execute()? != chunk.len() {
            return Err(Error::Invalid("Không ghi được nhật ký thao tác.".into()));
        }
    }
    rows.clear();
    Ok(())
}

/// How [`apply_op_with`] writes one op: the package it came in, its body already encoded, and
/// the row's revision state when the local write path has read it already.
struct OpWrite<'a> {
    received_in: Option<&'a str>,
    /// The op's line in the stored plaintext of `received_in` ([`crate::op_pack`]): the row then
    /// keeps no body, author or device time. `None`: the row keeps them.
    pack_line: Option<i64>,
    encoded: Option<EncodedBody>,
    preloaded: Option<Option<RevState>>,
    log: LogWrite<'a>,
}

/// The row's revision state and, for a member, the household it belongs to now (whose derived
/// columns change with it) — one read of the row.
fn load_row(
    conn: &Connection,
    def: &EntityDef,
    row_id: &str,
) -> Result<(Option<RevState>, Option<String>)> {
    if def.name != "member" {
        return Ok((load_rev(conn, def, row_id)?, None));
    }
    let raw: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT _rev, household_id FROM member WHERE id = ?1")?
        .query_row([row_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match raw {
        None => Ok((None, None)),
        Some((s, household)) => Ok((Some(parse_rev(def, row_id, &s)?), household)),
    }
}

/// [`apply_op`], optionally with the row's revision state already read in this transaction (the
/// local write path reads it to compute `base`), so it is not read twice.
fn apply_op_with(
    conn: &Connection,
    op: &Op,
    write: OpWrite<'_>,
    touched_households: &mut BTreeSet<String>,
    batch: &mut BatchCache,
) -> Result<Applied> {
    let OpWrite {
        received_in,
        pack_line,
        encoded,
        preloaded,
        log,
    } = write;
    let def = entity_def(&op.entity)
        .ok_or_else(|| Error::Invalid(format!("Loại bản ghi không được hỗ trợ: {}", op.entity)))?;
    let EncodedBody {
        text: body_json,
        hash: body_hash,
        new_row,
        fields_known,
        in_created_row,
        predicted,
        household_slot,
        commune_hint: _,
    } = match encoded {
        Some(e) => e,
        None => op.encoded_body()?,
    };
    if !fields_known {
        checked_fields(def, op)?;
    }
    let scope = op_scope(conn, op, batch)?;
    // The text stays in the package it came in when that package is kept (`op_pack`).
    let (body_json, body_hash) = match (pack_line, body_json) {
        // Kept in its package: no text, and the hash only if it was computed anyway (an op
        // prepared for its package has none, `op_pack::HeldLines`).
        (Some(_), _) => (String::new(), body_hash),
        (None, Some(text)) => (text, body_hash),
        (None, None) => {
            let e = op.encoded_body()?;
            let text = e
                .text
                .ok_or_else(|| Error::Invalid("Không ghi được thao tác.".into()))?;
            (text, e.hash)
        }
    };
    let row = LogRow {
        with_author: pack_line.is_none(),
        body: body_json,
        hash: body_hash,
        scope,
        pack_line,
    };
    match log {
        LogWrite::Deferred { ops, index } => {
            batch.deferred_log.push((index, row));
            if batch.deferred_log.len() >= LOG_ROWS_PER_INSERT {
                write_deferred_log(conn, ops, received_in, &mut batch.deferred_log)?;
            }
        }
        LogWrite::Now => {
            // One probe of the op log: the insert itself tells whether (origin, seq) was
            // already known.
            let mut stmt = conn.prepare_cached(&log_insert_sql(1, true))?;
            bind_log_row(&mut stmt, 1, op, &row, received_in)?;
            if stmt.raw_execute()? == 0 {
                return held_again(conn, op, &row.hash);
            }
        }
    }

    if in_created_row
        && batch
            .created
            .contains(&(op.entity.clone(), op.row_id.clone()))
    {
        // Already written by the op that created the row in this package.
        note_touched_new(
            def,
            op,
            household_slot,
            !predicted,
            touched_households,
            batch,
        );
        return Ok(Applied::New);
    }
    let (state, old_household) = match preloaded {
        Some(state) if def.name != "member" => (state, None),
        None if op.kind == OpKind::Create => {
            // Most ops that create a row arrive before anything else about it: write the row
            // as new and read it only if it turns out to exist already (one index probe
            // instead of two for the bulk of an import).
            let (rev_json, columns, carries_later, predicted, mask) = match new_row {
                Some(row) => (row.rev, row.columns, row.carries_later, predicted, row.mask),
                None => {
                    let (rev, columns) = fold_new(def, op)?;
                    let mask = column_mask(&columns);
                    (rev, columns, false, false, mask)
                }
            };
            let sql = row_sql(RowWrite::InsertNew, def, &columns, mask);
            if write_row(conn, &sql, &op.row_id, rev_json, columns)? == 1 {
                if predicted && def.name == "household" && !has_members(conn, &op.row_id)? {
                    batch.predicted.insert(op.row_id.clone());
                }
                note_touched_new(
                    def,
                    op,
                    household_slot,
                    !predicted,
                    touched_households,
                    batch,
                );
                if carries_later {
                    batch.created.insert((op.entity.clone(), op.row_id.clone()));
                }
                return Ok(Applied::New);
            }
            load_row(conn, def, &op.row_id)?
        }
        _ => load_row(conn, def, &op.row_id)?,
    };
    // Folding into an existing row may read the log (this op's and earlier ops' rows).
    if let LogWrite::Deferred { ops, .. } = log {
        write_deferred_log(conn, ops, received_in, &mut batch.deferred_log)?;
    }
    let spoiled = Some(&mut batch.spoiled);
    note_touched_household(def, op, old_household, touched_households, spoiled);
    let (rev_json, columns) = fold_op(conn, def, op, state)?;
    let sql = row_sql(RowWrite::Upsert, def, &columns, column_mask(&columns));
    write_row(conn, &sql, &op.row_id, rev_json, columns)?;
    Ok(Applied::New)
}

/// An op whose key (origin, seq) the log holds already: a duplicate if the held op has the same
/// body, else an equivocation (a cloned or restored device).
fn held_again(conn: &Connection, op: &Op, body_hash: &[u8]) -> Result<Applied> {
    let (known, package, line): (Vec<u8>, Option<String>, Option<i64>) = conn
        .prepare_cached(
            "SELECT body_sha256, received_in, pack_line FROM op WHERE origin = ?1 AND seq = ?2",
        )?
        .query_row(params![op.origin, op.seq], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let mine = || -> Result<Vec<u8>> {
        match body_hash.is_empty() {
            true => op.body_hash(),
            false => Ok(body_hash.to_vec()),
        }
    };
    let same = match (known.is_empty(), package, line) {
        // Stored in its package without a hash.
        (true, Some(package), Some(line)) => {
            crate::op_pack::HeldLines::default().same_body(conn, &package, line, op, None)?
        }
        _ => known == mine()?,
    };
    if same {
        return Ok(Applied::Duplicate);
    }
    Err(Error::Conflict(format!(
        "Phát hiện hai thao tác khác nhau cùng mã ({}, {}): thiết bị có thể đã bị sao chép hoặc khôi phục từ bản sao lưu cũ.",
        op.origin, op.seq
    )))
}

/// Every field the op sets is one of its entity's.
fn checked_fields(def: &EntityDef, op: &Op) -> Result<()> {
    match op
        .body
        .set
        .keys()
        .find(|f| !def.fields.contains(&f.as_str()))
    {
        Some(field) => Err(Error::Invalid(format!(
            "Trường không hợp lệ '{field}' cho loại bản ghi {}",
            def.name
        ))),
        None => Ok(()),
    }
}

/// [`note_touched_household`] for an op on a row new to the ledger (no household left),
/// skipped when an earlier op of the batch with the same [`EncodedBody::household_slot`]
/// noted the household already (and as spoiled, when `spoil`).
fn note_touched_new(
    def: &EntityDef,
    op: &Op,
    slot: Option<u32>,
    spoil: bool,
    touched_households: &mut BTreeSet<String>,
    batch: &mut BatchCache,
) {
    if let Some(k) = slot.map(|k| k as usize) {
        if batch.slots.len() <= k {
            batch.slots.resize(k + 1, 0);
        }
        let want = if spoil { 3 } else { 1 };
        if batch.slots[k] & want == want {
            return;
        }
        batch.slots[k] |= want;
    }
    let spoiled = spoil.then_some(&mut batch.spoiled);
    note_touched_household(def, op, None, touched_households, spoiled);
}

/// A member's households (the one it left and the one it is in) and a household itself get
/// their derived columns recomputed at the end of the batch.
///
/// `spoiled`: for an op that did not enter its household's predicted derived columns
/// ([`predict_derived`]), where the households it touches are noted as needing a refresh.
fn note_touched_household(
    def: &EntityDef,
    op: &Op,
    old_household: Option<String>,
    touched_households: &mut BTreeSet<String>,
    mut spoiled: Option<&mut crate::FastSet<String>>,
) {
    // Most ops of a package name a household already noted: no copy of its id then.
    let mut note = |h: &str| {
        if let Some(s) = spoiled.as_deref_mut() {
            if !s.contains(h) {
                s.insert(h.to_owned());
            }
        }
        if !touched_households.contains(h) {
            touched_households.insert(h.to_owned());
        }
    };
    if def.name == "member" {
        if let Some(h) = old_household {
            note(&h);
        }
        if let Some(Value::String(h)) = op.body.set.get("household_id") {
            note(h);
        }
    } else if def.name == "household" {
        note(&op.row_id);
    }
}

/// Some member row (deleted or not) names this household.
fn has_members(conn: &Connection, household_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM member WHERE household_id = ?1)")?
        .query_row([household_id], |r| r.get(0))?)
}

/// A materialised column an op writes: (field position, column, value).
type ColumnValue = (usize, &'static str, rusqlite::types::Value);

/// Fold `op` into the row's revision state (`None`: the row does not exist): the new `_rev` and
/// the columns whose shown value changes, in field order. Updates the row's `overlap` review
/// items; for a row that does not exist yet there are none and nothing is read or written.
fn fold_op(
    conn: &Connection,
    def: &EntityDef,
    op: &Op,
    state: Option<RevState>,
) -> Result<(String, Vec<ColumnValue>)> {
    fold_with(Some(conn), def, op, state)
}

/// [`fold_op`] for a row that does not exist yet, which needs no database (so a folder import
/// folds its ops on the thread that opens the next package).
fn fold_new(def: &EntityDef, op: &Op) -> Result<(String, Vec<ColumnValue>)> {
    if is_plain_first(op) {
        let columns = first_op_columns(def, op);
        return Ok((encode_first_rev(def, op, &columns)?, columns));
    }
    fold_with(None, def, op, None)
}

/// A row's first op that supersedes nothing (nearly every create): each field it sets has this
/// op as its one head and shows its value ([`first_op_columns`], [`encode_first_rev`]).
fn is_plain_first(op: &Op) -> bool {
    op.body.base.values().all(Vec::is_empty)
}

/// The columns a plain first op ([`is_plain_first`]) writes: every field it sets, in field
/// order.
fn first_op_columns(def: &EntityDef, op: &Op) -> Vec<ColumnValue> {
    let mut columns: Vec<ColumnValue> = Vec::with_capacity(op.body.set.len());
    for (field, value) in &op.body.set {
        let pos = def.position(field);
        columns.push((
            pos.unwrap_or(usize::MAX),
            pos.map_or("id", |p| def.fields[p]),
            json_to_sql(value),
        ));
    }
    columns.sort_by_key(|(p, _, _)| *p);
    columns
}

/// The `_rev` of a row whose one op is a plain first op ([`is_plain_first`]), given the
/// columns it writes ([`first_op_columns`]: one per field it sets, with its position): what
/// [`encode_rev`] writes for the state [`fold_state`] builds for it — one revision, heading every
/// field the op sets — without building that state.
fn encode_first_rev(def: &EntityDef, op: &Op, columns: &[ColumnValue]) -> Result<String> {
    if columns.is_empty() {
        return encode_rev(def, &RevState::default());
    }
    let mut mask = 0u128;
    for (pos, _, _) in columns {
        if *pos >= 128 {
            let field = op
                .body
                .set
                .keys()
                .find(|f| def.position(f).is_none_or(|p| p >= 128))
                .map_or("?", String::as_str);
            return Err(unknown_field(def, field));
        }
        mask |= 1u128 << pos;
    }
    // `RevDisk` with one revision and one group, as serde_json writes it.
    let mut rev = String::with_capacity(op.origin.len() + 64);
    rev.push_str("{\"o\":[");
    push_rev_op(&mut rev, op)?;
    rev.push_str("],\"g\":[[\"");
    push_hex(&mut rev, mask);
    rev.push_str("\",[0]]]}");
    Ok(rev)
}

/// `op` as a revision of `RevDisk::o` (`[origin,seq,authority,lamport]`), as serde_json writes
/// it. A node id is hex digits, which JSON quotes as they are; anything else goes through
/// serde_json.
fn push_rev_op(out: &mut String, op: &Op) -> Result<()> {
    out.push('[');
    push_json_text(out, &op.origin)?;
    for n in [op.seq, op.authority, op.lamport] {
        out.push(',');
        push_decimal(out, n);
    }
    out.push(']');
    Ok(())
}

/// `text` as a JSON string, as serde_json writes it.
fn push_json_text(out: &mut String, text: &str) -> Result<()> {
    if text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        out.push('"');
        out.push_str(text);
        out.push('"');
        return Ok(());
    }
    out.push_str(&serde_json::to_string(text).map_err(rev_not_written)?);
    Ok(())
}

/// Whether a package's later op on a row its create made can be folded into that row without
/// the per-field revision state (a survey's classification after its creation: one op in
/// six of a commune's package): the create is a plain first op ([`is_plain_first`]), the later
/// op has another key and does not supersede itself, and every field of the create it sets
/// names the create in its base. Each field it sets then has it as its one head (and the
/// create's other fields keep the create), which needs no database and nothing but the two
/// ops to write ([`encode_first_and_later`]). Returns the later op's columns, as
/// [`fold_state`] gives them; `None` when the general fold must decide.
fn later_over_first(def: &EntityDef, create: &Op, later: &Op) -> Option<Vec<ColumnValue>> {
    if create.origin == later.origin && create.seq == later.seq {
        return None;
    }
    let mut columns: Vec<ColumnValue> = Vec::with_capacity(later.body.set.len());
    for (field, value) in &later.body.set {
        let base = later.body.base.get(field).map_or(&[][..], Vec::as_slice);
        if base.iter().any(|k| k.0 == later.origin && k.1 == later.seq) {
            return None;
        }
        let names_create = base
            .iter()
            .any(|k| k.0 == create.origin && k.1 == create.seq);
        if create.body.set.contains_key(field) && !names_create {
            return None; // two heads: a conflict, which the write path records
        }
        let pos = stored_position(def, field)?;
        columns.push((pos, def.fields[pos], json_to_sql(value)));
    }
    columns.sort_by_key(|(p, _, _)| *p);
    Some(columns)
}

/// The `_rev` of a row made by a plain first op `create` with one later op folded into it
/// ([`later_over_first`] said yes): what [`encode_rev`] writes for the state [`fold_state`]
/// builds from the two, without building it. The revisions are numbered in the order of the
/// first field (by name) each heads, as [`RevState::from_parts`] numbers them; each field has
/// one head, so there is one group per revision, the lower index first; the superseded
/// revisions are the later op's bases of the fields it sets.
fn encode_first_and_later(def: &EntityDef, create: &Op, later: &Op) -> Result<String> {
    let (mut create_mask, mut later_mask) = (0u128, 0u128);
    for field in create.body.set.keys() {
        if !later.body.set.contains_key(field) {
            create_mask |=
                1u128 << stored_position(def, field).ok_or_else(|| unknown_field(def, field))?;
        }
    }
    for field in later.body.set.keys() {
        later_mask |=
            1u128 << stored_position(def, field).ok_or_else(|| unknown_field(def, field))?;
    }
    // The first field by name: the create's own first field that the later op does not set,
    // or the later op's first field, whichever sorts first.
    let create_first = create
        .body
        .set
        .keys()
        .find(|f| !later.body.set.contains_key(*f));
    let later_first = later.body.set.keys().next();
    let create_leads = match (create_first, later_first) {
        (Some(c), Some(l)) => c < l,
        (c, _) => c.is_some(),
    };
    let mut revs: Vec<(&Op, u128)> = Vec::with_capacity(2);
    if create_leads {
        revs.push((create, create_mask));
    }
    if later_mask != 0 {
        revs.push((later, later_mask));
    }
    if !create_leads && create_mask != 0 {
        revs.push((create, create_mask));
    }
    let mut rev = String::with_capacity(2 * later.origin.len() + 96);
    rev.push('{');
    if !revs.is_empty() {
        rev.push_str("\"o\":[");
        for (i, (op, _)) in revs.iter().enumerate() {
            if i > 0 {
                rev.push(',');
            }
            push_rev_op(&mut rev, op)?;
        }
        rev.push_str("],\"g\":[");
        for (i, (_, mask)) in revs.iter().enumerate() {
            if i > 0 {
                rev.push(',');
            }
            rev.push_str("[\"");
            push_hex(&mut rev, *mask);
            rev.push_str("\",[");
            push_decimal(&mut rev, i as i64);
            rev.push_str("]]");
        }
        rev.push(']');
    }
    let mut superseded = later
        .body
        .set
        .keys()
        .filter_map(|f| {
            let base = later.body.base.get(f).filter(|b| !b.is_empty())?;
            let mut keys: Vec<&OpKey> = base.iter().collect();
            keys.sort();
            keys.dedup();
            Some((f, keys))
        })
        .peekable();
    // A field the later op supersedes is one it sets, so `o` is never empty here.
    if superseded.peek().is_some() {
        rev.push_str(",\"p\":{");
        for (i, (field, keys)) in superseded.enumerate() {
            if i > 0 {
                rev.push(',');
            }
            push_json_text(&mut rev, field)?;
            rev.push_str(":[");
            for (j, k) in keys.iter().enumerate() {
                if j > 0 {
                    rev.push(',');
                }
                rev.push('[');
                push_json_text(&mut rev, &k.0)?;
                rev.push(',');
                push_decimal(&mut rev, k.1);
                rev.push(']');
            }
            rev.push(']');
        }
        rev.push('}');
    }
    rev.push('}');
    Ok(rev)
}

/// `n` in decimal, as `format!("{n}")` writes it (the `_rev` of every new row has three).
fn push_decimal(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for d in &digits[at..] {
        out.push(char::from(*d));
    }
}

/// `mask` in lower-case hexadecimal without leading zeros, as `format!("{mask:x}")` writes it.
fn push_hex(out: &mut String, mask: u128) {
    let width = (128 - mask.leading_zeros()).div_ceil(4).max(1);
    for i in (0..width).rev() {
        let nibble = ((mask >> (4 * i)) & 0xf) as u8;
        out.push(char::from(if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        }));
    }
}

fn fold_with(
    conn: Option<&Connection>,
    def: &EntityDef,
    op: &Op,
    state: Option<RevState>,
) -> Result<(String, Vec<ColumnValue>)> {
    let (rev, columns) = fold_state(conn, def, op, state)?;
    Ok((encode_rev(def, &rev)?, columns))
}

/// [`fold_with`] before the revision state is encoded, so the worker can fold a row's later
/// ops into it ([`prepare_bodies`]).
fn fold_state(
    conn: Option<&Connection>,
    def: &EntityDef,
    op: &Op,
    state: Option<RevState>,
) -> Result<(RevState, Vec<ColumnValue>)> {
    // Only an existing row's other revisions are read or its review items written.
    let db = || {
        conn.ok_or_else(|| Error::Database("Thiếu kết nối cơ sở dữ liệu khi ghi thao tác.".into()))
    };
    let is_new_row = state.is_none();
    if is_new_row && is_plain_first(op) {
        // A row's first op with nothing superseded (nearly every create): each field it sets
        // has this op as its one head and shows its value — what the general fold below
        // computes, without building per-field lists of heads.
        let h: BTreeMap<String, Vec<usize>> =
            op.body.set.keys().map(|f| (f.clone(), vec![0])).collect();
        let columns = first_op_columns(def, op);
        let o = if h.is_empty() {
            Vec::new()
        } else {
            vec![(op.origin.clone(), op.seq, op.authority, op.lamport)]
        };
        return Ok((
            RevState {
                o,
                h,
                p: BTreeMap::new(),
            },
            columns,
        ));
    }
    let state = state.unwrap_or_default();
    let mut heads: BTreeMap<String, Vec<RevOp>> = state
        .h
        .keys()
        .map(|f| (f.clone(), state.heads(f)))
        .collect();
    let mut superseded = state.p;
    let this: RevOp = (op.origin.clone(), op.seq, op.authority, op.lamport);
    let this_key = op.key();

    let mut columns: Vec<ColumnValue> = Vec::with_capacity(op.body.set.len());
    for (field, value) in &op.body.set {
        let field_heads = heads.entry(field.clone()).or_default();
        // An `overlap` conflict row exists only while a field has several heads (it is written
        // and cleared nowhere but here), so a field with at most one head has none to clear.
        let had_several_heads = field_heads.len() > 1;
        let before = field_heads
            .iter()
            .max_by(|a, b| order_key(a).cmp(&order_key(b)))
            .cloned();
        if let Some(base) = op.body.base.get(field).filter(|b| !b.is_empty()) {
            let p = superseded.entry(field.clone()).or_default();
            for k in base {
                if !p.contains(k) {
                    p.push(k.clone());
                }
            }
            p.sort();
            field_heads.retain(|r| !base.iter().any(|k| k.0 == r.0 && k.1 == r.1));
        }
        let is_superseded = superseded.get(field).is_some_and(|p| p.contains(&this_key));
        if !is_superseded && !field_heads.contains(&this) {
            field_heads.push(this.clone());
        }
        let after = field_heads
            .iter()
            .max_by(|a, b| order_key(a).cmp(&order_key(b)))
            .cloned();
        let pos = def.position(field);
        let col = pos.map_or("id", |p| def.fields[p]);
        if after != before || is_new_row {
            let shown = match &after {
                Some(r) if *r == this => json_to_sql(value),
                Some(r) => json_to_sql(&value_written_by(db()?, &OpKey(r.0.clone(), r.1), field)?),
                None => rusqlite::types::Value::Null,
            };
            columns.push((pos.unwrap_or(usize::MAX), col, shown));
        }
        if had_several_heads || field_heads.len() > 1 {
            update_conflict(db()?, def, &op.row_id, field, field_heads, &this, value)?;
        }
    }
    // Rows created by an op that set no displayable column still need to exist.
    let rev = RevState::from_parts(heads, superseded);

    // In the entity's field order, so one column set always has one SQL text (the body's own
    // order depends on serde_json's features).
    columns.sort_by_key(|(p, _, _)| *p);
    Ok((rev, columns))
}

/// Write one materialised row: `sql` from [`row_sql`]. Returns how many rows changed.
fn write_row(
    conn: &Connection,
    sql: &str,
    row_id: &str,
    rev_json: String,
    columns: Vec<ColumnValue>,
) -> Result<usize> {
    let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(columns.len() + 2);
    values.push(rusqlite::types::Value::Text(row_id.to_owned()));
    values.push(rusqlite::types::Value::Text(rev_json));
    values.extend(columns.into_iter().map(|(_, _, v)| v));
    Ok(conn
        .prepare_cached(sql)?
        .execute(rusqlite::params_from_iter(values))?)
}

/// Key of a generated SQL text: statement kind, table, column mask.
type SqlKey = (&'static str, &'static str, u128);

thread_local! {
    /// SQL texts built from an entity and a set of its columns, kept so the write path does
    /// not rebuild them for every op.
    static SQL_TEXTS: std::cell::RefCell<crate::FastMap<SqlKey, std::rc::Rc<str>>> =
        std::cell::RefCell::new(crate::FastMap::default());
}

fn cached_sql(
    kind: &'static str,
    table: &'static str,
    mask: u128,
    build: impl FnOnce() -> String,
) -> std::rc::Rc<str> {
    SQL_TEXTS.with(|m| {
        m.borrow_mut()
            .entry((kind, table, mask))
            .or_insert_with(|| build().into())
            .clone()
    })
}

/// How [`row_sql`] writes a materialised row.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowWrite {
    /// `INSERT … ON CONFLICT(id) DO UPDATE`: the one statement that writes a row.
    Upsert,
    /// `INSERT … ON CONFLICT(id) DO NOTHING`: a row written as new only if it does not exist.
    InsertNew,
}

/// The positions of `columns` as a bit mask: which statement writes them ([`row_sql`]).
fn column_mask(columns: &[ColumnValue]) -> u128 {
    columns
        .iter()
        .fold(0u128, |m, (p, _, _)| m | (1u128 << (*p).min(127)))
}

/// The statement writing `_rev` and `columns` (in that order, after the id) of a row of `def`
/// (`mask`: their [`column_mask`]).
fn row_sql(
    how: RowWrite,
    def: &EntityDef,
    columns: &[ColumnValue],
    mask: u128,
) -> std::rc::Rc<str> {
    debug_assert_eq!(mask, column_mask(columns));
    let kind = match how {
        RowWrite::Upsert => "upsert",
        RowWrite::InsertNew => "insert_new",
    };
    cached_sql(kind, def.table, mask, || {
        let mut sql = format!("INSERT INTO {} (id, _rev", def.table);
        for (_, c, _) in columns {
            sql.push_str(", ");
            sql.push_str(c);
        }
        sql.push_str(") VALUES (?1, ?2");
        for i in 0..columns.len() {
            sql.push_str(&format!(", ?{}", i + 3));
        }
        if how == RowWrite::InsertNew {
            sql.push_str(") ON CONFLICT(id) DO NOTHING");
            return sql;
        }
        sql.push_str(") ON CONFLICT(id) DO UPDATE SET _rev = excluded._rev");
        for (_, c, _) in columns {
            sql.push_str(&format!(", {c} = excluded.{c}"));
        }
        sql
    })
}

/// The current heads of one field of one row as `(origin, seq)`, the displayed one last (for the
/// conflict review in `resolve`). Empty when the entity, row or field is unknown.
pub(crate) fn field_head_keys(
    conn: &Connection,
    entity: &str,
    row_id: &str,
    field: &str,
) -> Result<Vec<OpKey>> {
    let Some(def) = entity_def(entity) else {
        return Ok(Vec::new());
    };
    let mut heads = load_rev(conn, def, row_id)?
        .map(|r| r.heads(field))
        .unwrap_or_default();
    heads.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    Ok(heads.into_iter().map(|r| OpKey(r.0, r.1)).collect())
}

fn update_conflict(
    conn: &Connection,
    def: &EntityDef,
    row_id: &str,
    field: &str,
    heads: &[RevOp],
    this: &RevOp,
    this_value: &Value,
) -> Result<()> {
    let mut distinct = false;
    if heads.len() > 1 {
        let mut first: Option<Value> = None;
        for r in heads {
            let v = if r == this {
                this_value.clone()
            } else {
                value_written_by(conn, &OpKey(r.0.clone(), r.1), field)?
            };
            match &first {
                None => first = Some(v),
                Some(f) if *f != v => {
                    distinct = true;
                    break;
                }
                Some(_) => {}
            }
        }
    }
    if distinct {
        // Sorted, so the row is the same on every replica whatever the import order.
        let mut keys: Vec<OpKey> = heads.iter().map(|r| OpKey(r.0.clone(), r.1)).collect();
        keys.sort();
        let heads_json = serde_json::to_string(&keys).unwrap_or_default();
        conn.prepare_cached(
            "INSERT INTO conflict (entity, row_id, field, kind, heads) VALUES (?1, ?2, ?3, 'overlap', ?4)
             ON CONFLICT(entity, row_id, field, kind) DO UPDATE SET heads = excluded.heads",
        )?
        .execute(params![def.name, row_id, field, heads_json])?;
    } else {
        conn.prepare_cached(
            "DELETE FROM conflict WHERE entity = ?1 AND row_id = ?2 AND field = ?3 AND kind = 'overlap'",
        )?
        .execute(params![def.name, row_id, field])?;
    }
    Ok(())
}

/// Recompute a household's derived columns (head name, member count, search text, sort key)
/// from its members. Derived values are never exchanged; every replica recomputes them.
pub(crate) fn refresh_household_derived(conn: &Connection, household_id: &str) -> Result<()> {
    let head: Option<(Option<String>, Option<String>, Option<String>)> = conn
        .prepare_cached("SELECT head_member_id, code, address FROM household WHERE id = ?1")?
        .query_row([household_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((head_id, code, address)) = head else {
        return Ok(()); // the household itself has not arrived yet
    };
    // Sorted here, not with ORDER BY: a cached statement with a sort step is prepared again
    // after every use (rusqlite clears its bindings), which cost ~4 % of a folder import.
    let members = conn
        .prepare_cached(
            "SELECT position, id, full_name, relation, status FROM member
             WHERE household_id = ?1 AND deleted = 0",
        )?
        .query_map([household_id], |r| {
            Ok(DerivedMember {
                position: SqlOrder::of(r.get_ref(0)?),
                id: r.get::<_, String>(1)?,
                name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                relation: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                status: r.get::<_, String>(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let d = household_derived(
        code.as_deref(),
        address.as_deref(),
        head_id.as_deref(),
        members,
    );
    conn.prepare_cached(
        "UPDATE household SET head_name = ?2, member_count = ?3, search_text = ?4, sort_key = ?5, head_search = ?6 WHERE id = ?1",
    )?
    .execute(params![
        household_id,
        d.head_name,
        d.member_count,
        d.search_text,
        d.sort_key,
        d.head_search
    ])?;
    Ok(())
}

/// A member as a household's derived columns see it (a row of `member` not deleted).
struct DerivedMember {
    position: SqlOrder,
    id: String,
    name: String,
    relation: String,
    status: String,
}

/// A household's derived columns (never exchanged, never set by an op).
struct HouseholdDerived {
    head_name: String,
    member_count: i64,
    search_text: String,
    sort_key: String,
    head_search: String,
}

impl HouseholdDerived {
    /// The household's columns `head_name`, `member_count`, `search_text`, `sort_key` and
    /// `head_search`, at field positions of their own (past every entity's fields, below the
    /// 128 of a statement's column mask) so a create can write them with its row.
    fn columns(self) -> [ColumnValue; 5] {
        use rusqlite::types::Value as V;
        [
            (DERIVED_POSITION, "head_name", V::Text(self.head_name)),
            (
                DERIVED_POSITION + 1,
                "member_count",
                V::Integer(self.member_count),
            ),
            (
                DERIVED_POSITION + 2,
                "search_text",
                V::Text(self.search_text),
            ),
            (DERIVED_POSITION + 3, "sort_key", V::Text(self.sort_key)),
            (
                DERIVED_POSITION + 4,
                "head_search",
                V::Text(self.head_search),
            ),
        ]
    }
}

/// The first of [`HouseholdDerived::columns`]' positions.
const DERIVED_POSITION: usize = 120;

/// A household's derived columns from its code, address, head and its members not deleted:
/// the one computation behind [`refresh_household_derived`] and the worker's prediction
/// ([`predict_derived`]).
fn household_derived(
    code: Option<&str>,
    address: Option<&str>,
    head_id: Option<&str>,
    mut members: Vec<DerivedMember>,
) -> HouseholdDerived {
    // SQLite's `ORDER BY position, id`: NULL first, ids by their bytes.
    members.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.id.cmp(&b.id)));
    let mut head_name = String::new();
    let mut fallback_head = String::new();
    let mut count = 0i64;
    let mut names = String::new();
    for m in members {
        if m.status == "present" {
            count += 1;
        }
        if Some(m.id.as_str()) == head_id {
            head_name = m.name.clone();
        }
        if m.relation == "head" && fallback_head.is_empty() && m.status == "present" {
            fallback_head = m.name.clone();
        }
        names.push(' ');
        names.push_str(&m.name);
    }
    if head_name.is_empty() {
        head_name = fallback_head;
    }
    let search_text = crate::text::fold(&format!(
        "{} {} {} {}",
        code.unwrap_or_default(),
        head_name,
        names,
        address.unwrap_or_default()
    ));
    HouseholdDerived {
        sort_key: crate::text::name_sort_key(&head_name),
        head_search: crate::text::fold(&head_name),
        head_name,
        member_count: count,
        search_text,
    }
}

/// A column value ordered as SQLite's `ORDER BY` orders it: NULL, then numbers (integers and
/// reals together, by value), then text and blobs by their bytes.
#[derive(Debug, PartialEq)]
enum SqlOrder {
    Null,
    Number(f64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

impl SqlOrder {
    fn of(v: rusqlite::types::ValueRef<'_>) -> Self {
        use rusqlite::types::ValueRef as V;
        match v {
            V::Null => Self::Null,
            #[allow(clippy::cast_precision_loss)] // positions are small
            V::Integer(i) => Self::Number(i as f64),
            V::Real(r) => Self::Number(r),
            V::Text(t) => Self::Text(t.to_vec()),
            V::Blob(b) => Self::Blob(b.to_vec()),
        }
    }
    fn rank(&self) -> u8 {
        match self {
            Self::Null => 0,
            Self::Number(_) => 1,
            Self::Text(_) => 2,
            Self::Blob(_) => 3,
        }
    }
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (Self::Number(a), Self::Number(b)) => a.total_cmp(b),
            (Self::Text(a), Self::Text(b)) | (Self::Blob(a), Self::Blob(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for a row's first op gives what the general fold gives for a row with no
    /// revisions yet: the same `_rev` bytes and the same columns, for every entity and field.
    #[test]
    fn a_new_rows_shortcut_folds_as_the_general_fold() {
        // Every field, every other one, the last one alone, none.
        type Pick = fn(usize, usize) -> bool;
        let picks: [Pick; 4] = [
            |_, _| true,
            |i, _| i % 2 == 0,
            |i, n| i + 1 == n,
            |_, _| false,
        ];
        for def in ENTITIES {
            for pick in picks {
                let mut body = OpBody::default();
                for (i, f) in def.fields.iter().enumerate() {
                    if !pick(i, def.fields.len()) {
                        continue;
                    }
                    let v = match i % 3 {
                        0 => Value::from(format!("giá trị \"{i}\"")),
                        1 => Value::from(i as i64),
                        _ => Value::Null,
                    };
                    body.set.insert((*f).into(), v);
                }
                let op = Op {
                    origin: "o\u{1}".into(),
                    seq: 7,
                    lamport: 9,
                    authority: 2,
                    user_id: "u".into(),
                    device_time: String::new(),
                    entity: def.name.into(),
                    row_id: "r".into(),
                    kind: OpKind::Create,
                    body,
                    schema_ver: 2,
                };
                let (short_rev, short_cols) = fold_state(None, def, &op, None).expect("shortcut");
                let (rev, cols) =
                    fold_state(None, def, &op, Some(RevState::default())).expect("general");
                let general = encode_rev(def, &rev).expect("rev");
                assert_eq!(
                    encode_rev(def, &short_rev).expect("rev"),
                    general,
                    "{}",
                    def.name
                );
                assert_eq!(short_cols, cols, "{}", def.name);
                // Written directly, without the state (the worker and `fold_new`).
                assert_eq!(
                    encode_first_rev(def, &op, &cols).expect("rev"),
                    general,
                    "{}",
                    def.name
                );
                assert_eq!(
                    fold_new(def, &op).expect("new"),
                    (general, cols.clone()),
                    "{}",
                    def.name
                );
                // A node id as origin (hex digits: written without serde_json).
                let hex = Op {
                    origin: "9aa65b3ce9b367d678fc13a0d32938e7".into(),
                    ..op
                };
                let (rev, _) =
                    fold_state(None, def, &hex, Some(RevState::default())).expect("general");
                assert_eq!(
                    encode_first_rev(def, &hex, &cols).expect("rev"),
                    encode_rev(def, &rev).expect("rev"),
                    "{}",
                    def.name
                );
            }
        }
    }

    /// A later op folded into a plain create without the revision state gives what the general
    /// fold gives: the same `_rev` bytes and columns, for every entity, over random field sets
    /// and bases (none, the create, other ops, repeats, origins JSON must escape); and the
    /// shortcut says no wherever the general fold needs the database (a second head).
    #[test]
    fn a_later_op_over_a_plain_create_folds_as_the_general_fold() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let origins = [
            "9aa65b3ce9b367d678fc13a0d32938e7",
            "536ac79b3cf8297ae967ab2af4162238",
            "o\"1",
        ];
        let (mut short, mut general_only) = (0, 0);
        for def in ENTITIES {
            for _ in 0..300 {
                let op = |set: Map<String, Value>, base, origin: &str, seq, kind| Op {
                    origin: origin.into(),
                    seq,
                    lamport: seq + 3,
                    authority: 1 + (seq % 3),
                    user_id: "u".into(),
                    device_time: String::new(),
                    entity: def.name.into(),
                    row_id: "r".into(),
                    kind,
                    body: OpBody { set, base },
                    schema_ver: 2,
                };
                let mut first = Map::new();
                for (i, f) in def.fields.iter().enumerate() {
                    if next(3) > 0 {
                        first.insert((*f).into(), Value::from(format!("đầu {i}")));
                    }
                }
                let create = op(
                    first,
                    BTreeMap::new(),
                    origins[next(3) as usize],
                    1 + next(5) as i64,
                    OpKind::Create,
                );
                let later_origin = origins[next(3) as usize];
                let later_seq = 1 + next(5) as i64;
                let (mut set, mut base) = (Map::new(), BTreeMap::new());
                for (i, f) in def.fields.iter().enumerate() {
                    if next(3) > 0 {
                        continue;
                    }
                    set.insert((*f).into(), Value::from(i as i64));
                    let mut keys = Vec::new();
                    for _ in 0..next(4) {
                        keys.push(match next(6) {
                            0 => OpKey(later_origin.into(), later_seq),
                            1..=3 => create.key(),
                            _ => OpKey(origins[next(3) as usize].into(), 1 + next(9) as i64),
                        });
                    }
                    if !keys.is_empty() || next(2) == 0 {
                        base.insert((*f).into(), keys);
                    }
                }
                let later = op(set, base, later_origin, later_seq, OpKind::Update);
                let (state, _) = fold_state(None, def, &create, None).expect("plain create");
                let general = fold_state(None, def, &later, Some(state));
                match later_over_first(def, &create, &later) {
                    Some(columns) => {
                        short += 1;
                        let (rev, cols) =
                            general.expect("the shortcut only where no database is needed");
                        assert_eq!(
                            encode_first_and_later(def, &create, &later).expect("rev"),
                            encode_rev(def, &rev).expect("rev"),
                            "{}",
                            def.name
                        );
                        assert_eq!(columns, cols, "{}", def.name);
                    }
                    None => general_only += 1,
                }
            }
        }
        // Both ways were taken, each many times.
        assert!(short > 500 && general_only > 500, "{short} {general_only}");
    }

    /// The hash streamed while serialising is the hash of the canonical JSON the op log and
    /// the equivocation check have always used: for text with quotes, newlines, diacritics and
    /// control characters, numbers, nulls, nested values and base heads.
    #[test]
    fn decimal_and_hex_pushes_write_what_format_writes() {
        let numbers = [
            0,
            1,
            9,
            10,
            42,
            99,
            100,
            12_345,
            -1,
            -10,
            -907,
            i64::MAX,
            i64::MIN,
        ];
        for n in numbers {
            let mut s = String::from("x");
            push_decimal(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
        let mut masks = vec![0u128, 1, 0xf, 0x10, 0x6ffff, 0xffeff0, u128::MAX, 1 << 127];
        masks.extend((0..128).map(|b| 1u128 << b));
        masks.extend((0..128).map(|b| (1u128 << b) - 1));
        for mask in masks {
            let mut s = String::new();
            push_hex(&mut s, mask);
            assert_eq!(s, format!("{mask:x}"));
        }
    }

    #[test]
    fn a_streamed_body_hash_is_the_hash_of_the_canonical_json() {
        let mut body = OpBody::default();
        body.set
            .insert("full_name".into(), Value::from("Lục \"Thị\"\nNhàn\u{1}\\"));
        body.set.insert("score_a".into(), Value::from(250));
        body.set.insert("income".into(), Value::from(80.5));
        body.set.insert("note".into(), Value::Null);
        body.set.insert(
            "deprivations".into(),
            serde_json::json!({"water": false, "list": ["việc làm", 1, null]}),
        );
        body.base.insert(
            "full_name".into(),
            vec![OpKey("62c88f8a".into(), 32013), OpKey("b4a7".into(), 2)],
        );
        let op = Op {
            origin: "o".into(),
            seq: 1,
            lamport: 1,
            authority: 2,
            user_id: "u".into(),
            device_time: String::new(),
            entity: "member".into(),
            row_id: "r".into(),
            kind: OpKind::Update,
            body,
            schema_ver: 2,
        };
        let (json, hash) = op.body_json_and_hash().expect("json");
        assert!(json.contains("62c88f8a"), "{json}");
        assert_eq!(op.body_hash().expect("hash"), hash);
        let e = op.encoded_body().expect("encoded");
        assert!(!e.fields_known);
        assert_eq!(e.hash, Sha256::digest(json.as_bytes()).to_vec());
        // Stored in the compact form: only the hash is taken from the JSON.
        let mut known = op.clone();
        let def = entity_def("member").expect("member");
        known.body.set = def
            .fields
            .iter()
            .map(|f| ((*f).to_string(), Value::from(format!("{f} \"Nhàn\"\n"))))
            .collect();
        known.body.base.clear();
        known
            .body
            .base
            .insert(def.fields[0].into(), vec![OpKey("o".into(), 3)]);
        let e = known.encoded_body().expect("encoded");
        assert!(e.fields_known);
        let (json, _) = known.body_json_and_hash().expect("json");
        assert_eq!(e.hash, Sha256::digest(json.as_bytes()).to_vec());
    }

    /// An op of `origin` for the tests below. `seen`: the op of the same origin whose values of
    /// these fields the author had seen (their `base`; none when it is 0 or absent).
    fn test_op(
        origin: &str,
        seq: i64,
        entity: &str,
        row: &str,
        create: bool,
        seen: Option<i64>,
        set: Value,
    ) -> Op {
        let mut body = OpBody {
            set: set.as_object().expect("object").clone(),
            ..OpBody::default()
        };
        for f in body.set.keys() {
            if let Some(s) = seen.filter(|s| *s > 0) {
                body.base.insert(f.clone(), vec![OpKey(origin.into(), s)]);
            }
        }
        Op {
            origin: origin.into(),
            seq,
            lamport: seq,
            authority: 1,
            user_id: "u".into(),
            device_time: "2026-11-20T08:00:00Z".into(),
            entity: entity.into(),
            row_id: row.into(),
            kind: if create {
                OpKind::Create
            } else {
                OpKind::Update
            },
            body,
            schema_ver: 2,
        }
    }

    /// Every materialised table this test writes, `_rev` included, and the review items.
    fn rows_of(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        for (table, key) in [
            ("household", "id"),
            ("member", "id"),
            ("conflict", "entity, row_id, field"),
            ("op", "origin, seq"),
        ] {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY {key}"))
                .expect("select");
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    (0..n)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i))
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .expect("rows");
            for r in rows {
                out.push(format!("{table}: {:?}", r.expect("row")));
            }
        }
        out
    }

    /// A package's later ops on a row it creates are folded into the create on the worker
    /// ([`prepare_bodies`]); the import must end exactly where applying the ops one at a time
    /// ends — for rows folded whole, rows where folding stops (a concurrent edit, an update
    /// before the create) and a row that already existed (the folded write is refused and every
    /// op is applied as usual).
    #[test]
    fn ops_folded_into_their_create_end_where_ops_one_at_a_time_end() {
        // A create: a household, or a member's first op naming its household.
        let op =
            |origin: &str, seq: i64, entity: &str, row: &str, seen: Option<i64>, set: Value| {
                let create =
                    seen.is_none() && set.get("household_id").is_some() || entity == "household";
                test_op(origin, seq, entity, row, create, seen, set)
            };
        use serde_json::json;
        let h =
            |code: &str| json!({"commune_code": "01000", "code": code, "address": "Bản Pác Ngòi"});
        let m = |hid: &str, name: &str| json!({"household_id": hid, "full_name": name, "relation": "head", "status": "present", "position": 0});
        let earlier = vec![op("a", 1, "member", "m-old", None, m("h1", "Lò Văn Cường"))];
        let package = vec![
            op("a", 2, "household", "h1", None, h("001")),
            op("a", 3, "household", "h2", None, h("002")),
            // Folded whole: a member created, renamed, then moved to the other household.
            op("a", 4, "member", "m1", None, m("h1", "Hoàng Thị Mỷ")),
            op(
                "a",
                5,
                "member",
                "m1",
                Some(4),
                json!({"full_name": "Hoàng Thị Mỹ"}),
            ),
            op(
                "a",
                6,
                "member",
                "m1",
                Some(4),
                json!({"household_id": "h2"}),
            ),
            // A concurrent edit from another laptop (two heads): folding stops there.
            op("a", 7, "member", "m2", None, m("h1", "Nông Văn Hùng")),
            op("a", 8, "member", "m2", Some(7), json!({"position": 1})),
            op(
                "b",
                1,
                "member",
                "m2",
                None,
                json!({"full_name": "Nông Văn Hưng"}),
            ),
            op(
                "a",
                9,
                "member",
                "m2",
                Some(7),
                json!({"relation": "spouse"}),
            ),
            // Updated before it is created (relay order): nothing folded.
            op(
                "b",
                2,
                "member",
                "m3",
                None,
                json!({"full_name": "Ma Thị Hoa"}),
            ),
            op("a", 10, "member", "m3", None, m("h2", "Ma Thị Hoa")),
            op("a", 11, "member", "m3", Some(10), json!({"position": 2})),
            // Exists already: the folded write is refused, every op applied as usual.
            op("c", 1, "member", "m-old", None, m("h1", "Lò Văn Cường")),
            op(
                "c",
                2,
                "member",
                "m-old",
                Some(1),
                json!({"status": "moved_out"}),
            ),
        ];
        // More new households than one statement of deferred log rows holds
        // (`LOG_ROWS_PER_INSERT`), after the ops above that read the log.
        let mut package = package;
        for i in 0..(2 * LOG_ROWS_PER_INSERT as i64 + 5) {
            package.push(op(
                "c",
                3 + i,
                "household",
                &format!("hx{i}"),
                None,
                h("009"),
            ));
        }
        let prepared = prepare_bodies(&package, false).expect("prepare");
        let folded: Vec<usize> = (0..package.len())
            .filter(|i| prepared[*i].in_created_row)
            .collect();
        assert_eq!(folded, vec![3, 4, 6, 13], "which ops the worker folded");
        assert_eq!(package[10].kind, OpKind::Create);
        assert!(prepared[2]
            .new_row
            .as_ref()
            .is_some_and(|r| r.carries_later));
        assert!(prepared[5]
            .new_row
            .as_ref()
            .is_some_and(|r| r.carries_later));
        // A create that is not the row's first op in the package is written as usual.
        assert!(prepared[10].new_row.is_none());

        // Prepared for a kept package, whose text then stays in the op rows after all: the
        // write path builds the stored bodies the worker left out.
        let for_package = prepare_bodies(&package, true).expect("prepare");
        assert!(for_package.iter().all(|b| b.text.is_none()));
        let deferred = prepare_bodies(&package, false).expect("prepare");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ends = Vec::new();
        // Each op's log row written at once, or several per statement (`keys_new`, as an
        // import's package is: no key held yet, none twice).
        for (name, bodies, keys_new) in [
            ("one-by-one", None, false),
            ("folded", Some(prepared), false),
            ("packaged", Some(for_package), false),
            ("log rows deferred", Some(deferred), true),
        ] {
            let mut conn = crate::db::open(&dir.path().join(format!("{name}.db"))).expect("open");
            let tx = conn.transaction().expect("tx");
            for node in ["a", "b", "c"] {
                tx.execute(
                    "INSERT INTO node (node_id, short_code, role, commune_code, created_at) VALUES (?1, ?1, 'reviewer', '01000', '')",
                    [node],
                )
                .expect("node");
            }
            apply_ops_in(&tx, &earlier, Some("p0")).expect("earlier");
            let r = apply_ops_encoded(&tx, &package, bodies, Some("p1"), None, None, keys_new)
                .expect("apply");
            assert_eq!(r.new, package.len() as u64);
            tx.commit().expect("commit");
            ends.push(rows_of(&conn));
        }
        assert!(
            ends[0].iter().any(|r| r.starts_with("conflict")),
            "{:#?}",
            ends[0]
        );
        assert_eq!(ends[0], ends[1]);
        assert_eq!(ends[0], ends[2]);
        assert_eq!(ends[0], ends[3]);
    }

    /// The worker predicts the derived columns of a household its package creates with its
    /// members ([`predict_derived`]): what it predicts and keeps is exactly what a refresh
    /// computes (head by id or by relation, members deleted, dead or without a position), and
    /// a household with a member from elsewhere, a member written before it or a value the
    /// column would store differently is refreshed as usual.
    #[test]
    fn derived_columns_predicted_on_the_worker_are_what_a_refresh_computes() {
        use serde_json::json;
        // Updates with `seen` 0 replace nothing.
        let op = |seq: i64, entity: &str, row: &str, seen: Option<i64>, set: Value| {
            test_op("a", seq, entity, row, seen.is_none(), seen, set)
        };
        let h =
            |code: &str| json!({"commune_code": "01000", "code": code, "address": "Bản Nà Pồng"});
        let earlier = vec![
            op(1, "household", "h4", None, h("004")),
            op(
                2,
                "member",
                "m-old",
                None,
                json!({"household_id": "h4", "full_name": "Lý Văn Sinh", "relation": "head"}),
            ),
        ];
        let package = vec![
            op(3, "household", "h3", None, h("003")),
            op(
                4,
                "member",
                "m4",
                None,
                json!({"household_id": "h3", "full_name": "Triệu Văn An", "relation": "head", "position": 0}),
            ),
            op(
                5,
                "member",
                "m5",
                None,
                json!({"household_id": "h3", "full_name": "Triệu Thị Bình", "relation": "spouse"}),
            ),
            op(
                6,
                "member",
                "m6",
                None,
                json!({"household_id": "h3", "full_name": "Triệu Văn Cò", "deleted": true, "position": 1}),
            ),
            op(
                7,
                "member",
                "m7",
                None,
                json!({"household_id": "h3", "full_name": "Triệu Thị Dung", "status": "dead", "position": 2.0}),
            ),
            op(
                8,
                "member",
                "m4",
                Some(4),
                json!({"full_name": "Triệu Văn Ân"}),
            ),
            op(
                9,
                "household",
                "h3",
                Some(0),
                json!({"head_member_id": "m5"}),
            ),
            // A member of a household that has one already.
            op(
                10,
                "member",
                "m8",
                None,
                json!({"household_id": "h4", "full_name": "Lý Thị Mai"}),
            ),
            // A member written before its household.
            op(
                11,
                "member",
                "m9",
                None,
                json!({"household_id": "h5", "full_name": "Hà Văn Tú", "relation": "head"}),
            ),
            op(12, "household", "h5", None, h("005")),
            // A position the column would store as a number: no prediction.
            op(13, "household", "h6", None, h("006")),
            op(
                14,
                "member",
                "m10",
                None,
                json!({"household_id": "h6", "full_name": "Vi Văn Bảo", "position": "3"}),
            ),
        ];
        let prepared = prepare_bodies(&package, false).expect("prepare");
        let predicted: Vec<usize> = (0..package.len())
            .filter(|i| prepared[*i].predicted)
            .collect();
        assert_eq!(predicted, vec![0, 1, 2, 3, 4, 5, 6, 8, 9]);

        let dir = tempfile::tempdir().expect("tempdir");
        let mut ends = Vec::new();
        for (name, bodies) in [("one-by-one", None), ("predicted", Some(prepared))] {
            let mut conn = crate::db::open(&dir.path().join(format!("{name}.db"))).expect("open");
            let tx = conn.transaction().expect("tx");
            tx.execute(
                "INSERT INTO node (node_id, short_code, role, commune_code, created_at) VALUES ('a', 'a', 'reviewer', '01000', '')",
                [],
            )
            .expect("node");
            apply_ops_in(&tx, &earlier, Some("p0")).expect("earlier");
            let with_bodies = bodies.is_some();
            let r = apply_ops_encoded(&tx, &package, bodies, Some("p1"), None, None, false)
                .expect("apply");
            // Only h3 keeps its prediction: h4 has a member from before, h5's member came
            // first, h6 has none.
            assert_eq!(r.households_predicted, u64::from(with_bodies), "{name}");
            tx.commit().expect("commit");
            let end = rows_of(&conn);
            for id in ["h3", "h4", "h5", "h6"] {
                refresh_household_derived(&conn, id).expect("refresh");
            }
            assert_eq!(end, rows_of(&conn), "{name}: a refresh changes nothing");
            let h3: (String, i64, String) = conn
                .query_row(
                    "SELECT head_name, member_count, search_text FROM household WHERE id = 'h3'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .expect("h3");
            assert_eq!(
                h3,
                (
                    "Triệu Thị Bình".into(),
                    2,
                    "003 trieu thi binh trieu thi binh trieu van an trieu thi dung ban na pong"
                        .into()
                )
            );
            ends.push(end);
        }
        assert_eq!(ends[0], ends[1]);
    }

    #[test]
    fn stored_bodies_are_positional_and_read_back_exactly() {
        let mut body = OpBody::default();
        body.set
            .insert("full_name".into(), Value::from("Hoàng Thị Mỷ"));
        body.set.insert("birth_year".into(), Value::from(1961));
        body.set.insert("household_id".into(), Value::from("h-1"));
        body.set.insert("disability".into(), Value::Null);
        body.set
            .insert("note".into(), serde_json::json!({"a": [1, "x"]}));
        body.base.insert(
            "full_name".into(),
            vec![OpKey("o1".into(), 3), OpKey("o2".into(), 9)],
        );
        let text = encode_stored_body(member(), &body)
            .expect("encode")
            .expect("every field is the member's");
        assert!(text.starts_with('['), "{text}");
        assert!(!text.contains("full_name"), "positions, not names: {text}");
        assert_eq!(decode_body("member", &text).expect("decode"), body);
        // The canonical JSON of earlier ops reads the same.
        let json = serde_json::to_string(&body).expect("json");
        assert_eq!(decode_body("member", &json).expect("decode"), body);
        // Every entity, every field: one value each, read back under its own name.
        for def in ENTITIES {
            let mut all = OpBody::default();
            for (i, f) in def.fields.iter().enumerate() {
                all.set.insert((*f).into(), Value::from(i));
            }
            let text = encode_stored_body(def, &all)
                .expect("encode")
                .expect("known");
            assert_eq!(
                decode_body(def.name, &text).expect("decode"),
                all,
                "{}",
                def.name
            );
        }
        // A field that is not the entity's keeps the JSON form.
        let mut odd = body.clone();
        odd.set.insert("not_a_field".into(), Value::from(1));
        assert_eq!(encode_stored_body(member(), &odd).expect("encode"), None);
        // Damaged: more values than the mask names, a position past the fields, a bad mask.
        for bad in [
            r#"["1",[1,2],[]]"#,
            r#"["1",[1],[[99,[]]]]"#,
            r#"["zz",[],[]]"#,
            "[1",
        ] {
            assert!(decode_body("member", bad).is_err(), "{bad}");
        }
        assert!(decode_body("no_such_entity", r#"["1",[1],[]]"#).is_err());
    }

    #[test]
    fn members_are_ordered_as_sqlite_orders_them() {
        let conn = Connection::open_in_memory().expect("db");
        conn.execute_batch(
            "CREATE TABLE t (p, id TEXT);
             INSERT INTO t VALUES (2, 'a'), (NULL, 'b'), (1.5, 'c'), ('x', 'd'), (1, 'f'), (1, 'e'),
                                  (X'00', 'g'), (-3, 'h'), (NULL, 'a'), ('10', 'i');",
        )
        .expect("rows");
        let by_sqlite: Vec<String> = conn
            .prepare("SELECT id FROM t ORDER BY p, id")
            .expect("sql")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        let mut rows: Vec<(SqlOrder, String)> = conn
            .prepare("SELECT p, id FROM t")
            .expect("sql")
            .query_map([], |r| Ok((SqlOrder::of(r.get_ref(0)?), r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let by_rust: Vec<String> = rows.into_iter().map(|r| r.1).collect();
        assert_eq!(by_rust, by_sqlite);
    }

    fn member() -> &'static EntityDef {
        entity_def("member").expect("member")
    }

    #[test]
    fn every_entity_fits_the_field_mask_of_the_revision_state() {
        for def in ENTITIES {
            assert!(def.fields.len() <= 128, "{} has too many fields", def.name);
        }
    }

    #[test]
    fn compact_revision_state_round_trips_and_groups_fields_by_heads() {
        let a: RevOp = ("a".repeat(32), 7, 2, 7);
        let b: RevOp = ("b".repeat(32), 3, 3, 9);
        let mut heads = BTreeMap::new();
        heads.insert("full_name".to_string(), vec![a.clone(), b.clone()]);
        heads.insert("household_id".to_string(), vec![a.clone()]);
        heads.insert("birth_date".to_string(), vec![a.clone()]);
        heads.insert("deleted".to_string(), vec![b.clone()]);
        let mut p = BTreeMap::new();
        p.insert("sex".to_string(), vec![OpKey("c".repeat(32), 1)]);
        let rev = RevState::from_parts(heads, p);
        let text = encode_rev(member(), &rev).expect("encode");
        assert!(
            !text.contains("household_id"),
            "positions, not names: {text}"
        );
        let back = parse_rev(member(), "m1", &text).expect("parse");
        assert_eq!(back.o, rev.o);
        assert_eq!(back.h, rev.h);
        assert_eq!(back.p, rev.p);
        // household_id (position 0) and birth_date (2) share their heads: one group, mask 0b101.
        let disk: RevDisk = serde_json::from_str(&text).expect("json");
        assert_eq!(disk.g.len(), 3, "{text}");
        assert!(disk.g.iter().any(|(mask, _)| mask == "5"), "{text}");
        assert_eq!(
            encode_rev(member(), &back).expect("again"),
            text,
            "canonical"
        );
    }

    #[test]
    fn the_old_form_with_field_names_is_still_read() {
        let old = r#"{"o":[["9076c9d08d207b0e6dd28f317fae5c35",18,2,18]],"h":{"full_name":[0],"sex":[0]},"p":{"sex":[["x",1]]}}"#;
        let rev = parse_rev(member(), "m1", old).expect("old form");
        assert_eq!(
            rev.head_keys("full_name"),
            [OpKey("9076c9d08d207b0e6dd28f317fae5c35".into(), 18)]
        );
        assert_eq!(rev.h.len(), 2);
        let compact = encode_rev(member(), &rev).expect("encode");
        assert!(compact.len() < old.len(), "{compact}");
        let again = parse_rev(member(), "m1", &compact).expect("compact");
        assert_eq!(again.h, rev.h);
        assert_eq!(again.p, rev.p);
    }

    #[test]
    fn a_damaged_revision_state_is_refused_in_vietnamese() {
        for bad in [
            r#"{"o":[["a",1,1,1]],"g":[["zz",[0]]]}"#,
            r#"{"o":[["a",1,1,1]],"g":[["80000000000000000000000000000000",[0]]]}"#,
            r#"{"o":[["a",1,1,1]],"g":[["1",[4]]]}"#,
            "{",
        ] {
            let e = parse_rev(member(), "m1", bad).expect_err(bad);
            assert!(e.to_string().contains("bị hỏng"), "{e}");
        }
    }
}
