//! The ledger side of the USB exchange (trao đổi dữ liệu qua USB, SYNC.md §3.6–3.10): pinning the
//! office's keys, enrolment, cumulative-since-acknowledgement export, import of files and folders
//! with the checks of §3.7 in order, acknowledgements, the device roster, revocations, office
//! corrections with a reason, and the exchange status (sent, received, acknowledged, pending).
//!
//! Deliberately absent: cryptography and the file format (that is [`crate::exchange`]), the merge
//! rules (every op goes through the ledger's one write path, [`crate::ledger::apply_ops_in`]), and
//! any user interface. Every import of one package is ONE SQLite savepoint: applied ops, the
//! package log row, acknowledgements, roster and audit event go in together or not at all. The
//! savepoints of a folder's packages are committed together (`ImportGroup`); the next package is
//! opened on a second thread meanwhile (`Prefetched`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::exchange::{
    self as ex, DeviceCertificate, DeviceRole, EnrolmentRequest, KeysFile, KnownSender, Limits,
    LocalNode, NodeKeys, OpenedPackage, PackageError, PackageKind, PackagePayload, PackageSpec,
    Section,
};
use crate::ledger::{
    append_audit, apply_ops_encoded, entity_def, row_commune, Change, EncodedBody, Ledger, Op,
    OpKey, OpKind, OP_SCHEMA_VERSION,
};

/// Section of data and return packages: origin → contiguous seq the sender durably holds.
pub const ACKS_SECTION: &str = "acks";
/// Section of return packages: the device certificates of the receiving commune (its roster).
pub const ROSTER_SECTION: &str = "certificates";
/// Section of return packages: `[{node_id, revoked_after_seq}]` for the commune's devices.
pub const REVOCATIONS_SECTION: &str = "revocations";
/// Section: `[{origin, seq, reason}]` — the reason an office gave for a correction op.
pub const REASONS_SECTION: &str = "reasons";
/// Section of return packages: `origin → from_seq` — ops the office asks a commune to send again
/// because a commune device holds them and the office does not (the office was restored from a
/// backup, or a package never arrived; SYNC §3.8 "resend", case 48).
pub const RESEND_SECTION: &str = "resend";
/// Setting set when an office acknowledgement shows this database is a stale copy.
const STALE_SETTING: &str = "exchange_stale_copy";
/// Setting set at an office when a commune acknowledges office ops this database never wrote:
/// the office was restored from a backup (its next ops are numbered after them).
const OFFICE_RESTORED_SETTING: &str = "exchange_office_restored";
/// Setting: the node id of the commune officer a reviewer laptop pinned (its default receiver).
const OFFICER_SETTING: &str = "exchange_officer";
const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Enrolment for the screens: stage, request preview, confirmed pinning, roster.
pub mod enrolment;
/// Office key rollover (đổi khoá): new keys, statements in return packages, grace period.
pub mod rollover;

fn limits() -> Limits {
    Limits::for_schema(OP_SCHEMA_VERSION as u32)
}

/// One known node (nút): this installation, the office, or a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    pub node_id: String,
    pub short_code: String,
    pub role: String,
    pub commune_code: Option<String>,
    pub sign_pk: Option<String>,
    pub enc_recipient: Option<String>,
    #[serde(skip)]
    pub cert: Option<String>,
    pub cert_serial: Option<i64>,
    pub revoked_after_seq: Option<i64>,
    /// Why the device is flagged (equivocation), if it is.
    pub flagged: Option<String>,
}

impl NodeInfo {
    fn enrolled(&self) -> bool {
        self.role == "office" || self.cert.is_some()
    }
}

const NODE_COLS: &str = "node_id, short_code, role, commune_code, sign_pk, enc_recipient, cert, cert_serial, revoked_after_seq, flagged";

fn node_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<NodeInfo> {
    Ok(NodeInfo {
        node_id: r.get(0)?,
        short_code: r.get(1)?,
        role: r.get(2)?,
        commune_code: r.get(3)?,
        sign_pk: r.get(4)?,
        enc_recipient: r.get(5)?,
        cert: r.get(6)?,
        cert_serial: r.get(7)?,
        revoked_after_seq: r.get(8)?,
        flagged: r.get(9)?,
    })
}

/// Every known node by id.
fn nodes_by_id(conn: &Connection) -> Result<crate::FastMap<String, NodeInfo>> {
    Ok(load_nodes(conn)?
        .into_iter()
        .map(|n| (n.node_id.clone(), n))
        .collect())
}

fn load_nodes(conn: &Connection) -> Result<Vec<NodeInfo>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {NODE_COLS} FROM node ORDER BY role, commune_code, short_code"
    ))?;
    let rows = stmt.query_map([], node_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn load_node(conn: &Connection, id: &str) -> Result<Option<NodeInfo>> {
    Ok(conn
        .query_row(
            &format!("SELECT {NODE_COLS} FROM node WHERE node_id = ?1"),
            [id],
            node_from_row,
        )
        .optional()?)
}

/// This installation as the exchange needs it.
struct Me {
    node: NodeInfo,
    kind: String,
    commune_code: String,
    keys: NodeKeys,
}

impl Me {
    fn is_office(&self) -> bool {
        self.kind == "office"
    }
}

fn load_me(conn: &Connection) -> Result<Me> {
    let row: Option<(String, String, String, Option<String>)> = conn
        .query_row(
            "SELECT node_id, kind, commune_code, secret_keys FROM local_node WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((node_id, kind, commune_code, secret)) = row else {
        return Err(Error::Conflict(
            "Chưa thiết lập đơn vị: hãy chạy `giamngheo setup …` trước.".into(),
        ));
    };
    let secret = secret.ok_or_else(|| {
        Error::Conflict(
            "Cơ sở dữ liệu này chưa có khoá trao đổi (tạo bằng phiên bản cũ); hãy thiết lập lại."
                .into(),
        )
    })?;
    let keys = NodeKeys::from_secret_string(&secret)?;
    let node = load_node(conn, &node_id)?
        .ok_or_else(|| Error::Database("Không tìm thấy bản ghi của chính máy này.".into()))?;
    Ok(Me {
        node,
        kind,
        commune_code,
        keys,
    })
}

/// Frees a package's opened content and parsed ops on another thread: for a commune's 40,000
/// ops that is a few percent of the import thread's time per package.
fn drop_in_background<T: Send + 'static>(value: T) {
    // If no thread can be started, the closure (and the value) is dropped here instead.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// Ops after which a folder import commits the packages applied so far (see [`ImportGroup`]).
const GROUP_OPS: u64 = 250_000;

/// The packages of a folder import that are applied but not yet committed. Each package is
/// applied in its own savepoint, so it goes in whole or not at all (a refused package is rolled
/// back alone and the batch goes on); the savepoints are committed together every
/// [`GROUP_OPS`] ops and at the end. One commit per package rewrote the pages of the randomly
/// keyed indexes (personal ID, birth date, name order) ~30 times for a folder of 30 communes:
/// about a third of the import's time. A power cut or a failed commit loses at most the open
/// group, which importing the folder again applies (imports are idempotent), and the reports of
/// its packages then say so instead of "imported".
struct ImportGroup {
    members: Vec<usize>,
    ops: u64,
}

impl ImportGroup {
    fn begin(l: &Ledger) -> Result<Self> {
        l.settle_wal()?;
        l.conn().execute_batch("BEGIN IMMEDIATE")?;
        Ok(ImportGroup {
            members: Vec::new(),
            ops: 0,
        })
    }

    fn add(&mut self, index: usize, r: &ImportReport) {
        if !r.dry_run && matches!(r.status, ImportStatus::Imported | ImportStatus::Quarantined) {
            self.members.push(index);
            self.ops += r.ops_new + r.ops_duplicate;
        }
    }

    /// Commits the group; never leaves a transaction open (a failed commit is rolled back and
    /// its packages reported refused).
    fn commit(self, l: &mut Ledger, reports: &mut [ImportReport], fault: ImportFault) {
        if fault.fail_commit {
            let _ = l.conn().execute_batch("ROLLBACK");
        }
        let Err(e) = l.conn().execute_batch("COMMIT") else {
            return;
        };
        let _ = l.conn().execute_batch("ROLLBACK");
        l.forget_rule_sets();
        let reason = format!(
            "{} Gói chưa được nhập (không có gì thay đổi); hãy nhập lại sau khi khắc phục.",
            crate::db::describe_sqlite_error(&e)
        );
        for i in self.members {
            let r = &mut reports[i];
            r.status = ImportStatus::Rejected;
            r.reason_kind = Some("database".into());
            r.reason = Some(reason.clone());
            r.ops_new = 0;
            r.ops_duplicate = 0;
            r.conflicts = 0;
        }
    }
}

/// Who may have signed a package this node receives: per known node (never itself), its signing
/// keys (current, then the retired ones a key rollover still accepts) and the certificate serial
/// its header must name. Opening a package is a pure function of its bytes, this table and this
/// node's keys, which is what lets a folder import open the next package in the background
/// ([`Prefetched`]) and still use exactly what the database says when that package's turn comes.
#[derive(Debug, Clone, PartialEq)]
struct SenderTable {
    me: String,
    my_keys: ex::keys::PublicKeys,
    senders: HashMap<String, KnownSender>,
}

impl SenderTable {
    fn load(conn: &Connection, me: &Me, nodes: &crate::FastMap<String, NodeInfo>) -> Result<Self> {
        let previous_pks = rollover::previous_sign_pks(conn)?;
        let mut senders = HashMap::new();
        for n in nodes.values() {
            if n.node_id == me.node.node_id {
                continue;
            }
            let Some(pk) = n.sign_pk.clone() else {
                continue;
            };
            let mut sign_pks = vec![pk];
            sign_pks.extend(previous_pks.get(&n.node_id).into_iter().flatten().cloned());
            let cert_serial = if n.role == "office" || n.cert.is_none() {
                None
            } else {
                n.cert_serial.map(|s| s as u64)
            };
            senders.insert(
                n.node_id.clone(),
                KnownSender {
                    sign_pks,
                    cert_serial,
                },
            );
        }
        Ok(SenderTable {
            me: me.node.node_id.clone(),
            my_keys: me.keys.public(),
            senders,
        })
    }

    fn get(&self, id: &str) -> Option<KnownSender> {
        self.senders.get(id).cloned()
    }
}

/// A package of a folder import opened and parsed on a second thread while the one before it is
/// applied (opening and parsing are ~15 % of an import's CPU). Only used if the sender table it
/// was opened with is still the database's when the package's turn comes, and if the file read
/// again then has the same hash; otherwise the package is opened again in line (which is also
/// where a package that did not open gets its reason).
struct Prefetched {
    table: Arc<SenderTable>,
    opened: OpenedPackage,
    ops: std::result::Result<Vec<Op>, String>,
    /// Each op's stored body and hash and, for an op creating a row, the row as written when it
    /// does not exist yet, with the package's later ops on it folded in
    /// ([`crate::ledger::prepare_bodies`]: the write path's work that needs no database).
    bodies: Option<Vec<EncodedBody>>,
}

/// Opens and parses one package ahead. `None` when it does not open, or when it is a file this
/// node already imported (the main thread refuses it as a duplicate without its content:
/// re-importing a whole stick must stay instant).
///
/// The ops' bodies are also prepared for the write path ([`Op::prepared_body`]), unless the
/// ledger held ops of the same origins up to these sequence numbers when the import began
/// (`held`, [`held_seqs`]): a re-sent package is mostly ops the write path skips, and preparing
/// them made the second thread the slower one. Whatever `held` says, the main thread decides
/// alone which ops are new; it only uses a prepared body for those.
fn prefetch(
    path: &Path,
    me: &Me,
    table: Arc<SenderTable>,
    imported: &BTreeSet<String>,
    lim: &Limits,
    held: &crate::FastMap<String, i64>,
) -> Option<Prefetched> {
    let local = LocalNode {
        node_id: &me.node.node_id,
        keys: &me.keys,
        also_receive_for: &[],
    };
    let bytes = ex::read_capped(path, lim).ok()?;
    if imported.contains(&ex::package::sha256_hex(&bytes)) {
        return None;
    }
    let opened = ex::open_package(&bytes, &local, &|id| table.get(id), lim).ok()?;
    let ops = parse_ops(&opened.ops);
    let bodies = ops
        .as_ref()
        .ok()
        .filter(|ops| !maybe_held(held, ops))
        .and_then(|ops| crate::ledger::prepare_bodies(ops, true).ok());
    Some(Prefetched {
        table,
        opened,
        ops,
        bodies,
    })
}

/// The highest sequence number the ledger holds of each origin (every origin is a node), read
/// once when a folder import begins. The worker reads nothing from the database while the import
/// writes: a second connection reading during the rollback journal's commits or cache spills
/// would wait for them, or skip its work. Ops that earlier packages of the same import bring are
/// not in it; preparing such a package once more only costs time.
fn held_seqs(conn: &Connection) -> Result<crate::FastMap<String, i64>> {
    let nodes: Vec<String> = conn
        .prepare("SELECT node_id FROM node")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare("SELECT max(seq) FROM op WHERE origin = ?1")?;
    let mut out = crate::FastMap::default();
    for node in nodes {
        if let Some(seq) = stmt.query_row([&node], |r| r.get::<_, Option<i64>>(0))? {
            out.insert(node, seq);
        }
    }
    Ok(out)
}

/// Whether `ops` may include ops the ledger held when the import began ([`held_seqs`]).
fn maybe_held(held: &crate::FastMap<String, i64>, ops: &[Op]) -> bool {
    let mut lowest: crate::FastMap<&str, i64> = crate::FastMap::default();
    for op in ops {
        let l = lowest.entry(op.origin.as_str()).or_insert(op.seq);
        *l = (*l).min(op.seq);
    }
    lowest
        .into_iter()
        .any(|(origin, seq)| held.get(origin).is_some_and(|h| *h >= seq))
}

/// Every op line parsed strictly, or the reason the whole package is refused.
fn parse_ops(lines: &ex::OpLines) -> std::result::Result<Vec<Op>, String> {
    let mut ops = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        ops.push(parse_op(i, line)?);
    }
    Ok(ops)
}

fn office_node(conn: &Connection) -> Result<Option<NodeInfo>> {
    Ok(load_nodes(conn)?
        .into_iter()
        .find(|n| n.role == "office" && n.sign_pk.is_some()))
}

fn role_str(r: DeviceRole) -> &'static str {
    match r {
        DeviceRole::Reviewer => "reviewer",
        DeviceRole::CommuneOfficer => "commune_officer",
        DeviceRole::Office => "office",
    }
}

fn valid_short(s: &str) -> bool {
    !s.is_empty() && s.len() <= 24 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn lamport(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT lamport FROM local_node WHERE id = 1", [], |r| {
            r.get(0)
        })?,
    )
}

fn current_user(conn: &Connection) -> Result<String> {
    Ok(conn
        .query_row(
            "SELECT value FROM setting WHERE key = 'current_user_id'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| "system".to_owned()))
}

fn audit(conn: &Connection, now: &str, action: &str, details: &Value) -> Result<()> {
    let l = lamport(conn)?;
    let user = current_user(conn)?;
    append_audit(conn, l, now, &user, action, None, None, details)
}

/// Contiguous seq held per origin (1..=n all present), optionally only for some origins.
fn holdings(conn: &Connection, only: Option<&BTreeSet<String>>) -> Result<BTreeMap<String, i64>> {
    let mut stmt =
        conn.prepare("SELECT origin, count(*), min(seq), max(seq) FROM op GROUP BY origin")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    let mut walk = Vec::new();
    for r in rows {
        let (origin, count, min, max) = r?;
        if only.is_some_and(|o| !o.contains(&origin)) || min != 1 {
            continue;
        }
        if count == max {
            out.insert(origin, max);
        } else {
            walk.push(origin);
        }
    }
    // Origins with a gap: the contiguous prefix 1..=n.
    let mut stmt = conn.prepare_cached("SELECT seq FROM op WHERE origin = ?1 ORDER BY seq")?;
    for origin in walk {
        let mut c = 0i64;
        let mut rows = stmt.query([&origin])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            if seq != c + 1 {
                break;
            }
            c = seq;
        }
        if c > 0 {
            out.insert(origin, c);
        }
    }
    Ok(out)
}

/// At the office, for a return package to `receiver`: the origins of its commune that some device
/// of that commune says it holds (its last package's acks) beyond what the office holds
/// (`held`, the acks this package carries), each with the first seq to send again. A revoked
/// device's ops after its revocation point are set aside, never held: they are not asked for.
fn resend_requests(
    conn: &Connection,
    receiver: &NodeInfo,
    held: &BTreeMap<String, i64>,
) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.origin, min(max(a.contiguous_seq), coalesce(o.revoked_after_seq, max(a.contiguous_seq)))
         FROM peer_ack a
         JOIN node p ON p.node_id = a.peer
         JOIN node o ON o.node_id = a.origin
         WHERE p.commune_code = ?1 AND o.commune_code = ?1 AND p.role <> 'office'
         GROUP BY a.origin",
    )?;
    let rows = stmt.query_map([&receiver.commune_code], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out = BTreeMap::new();
    for r in rows {
        let (origin, theirs) = r?;
        let mine = held.get(&origin).copied().unwrap_or(0);
        if theirs > mine {
            out.insert(origin, mine + 1);
        }
    }
    Ok(out)
}

/// The ops `receiver` has not acknowledged and this node is responsible for sending it
/// (SYNC §3.6); [`count_ops_for`] counts them without reading them.
fn ops_for(conn: &Connection, me: &Me, receiver: &NodeInfo) -> Result<Vec<Op>> {
    use crate::op_pack::OpRow;
    let (sql, commune) = ops_for_sql(
        me,
        receiver,
        &OpRow::columns("o"),
        "ORDER BY o.origin, o.seq",
    );
    let rows: Vec<OpRow> = conn
        .prepare(&sql)?
        .query_map(params![receiver.node_id, commune], |r| OpRow::read(r, 0))?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|r| r.into_op(conn)).collect()
}

/// How many ops [`ops_for`] would return, without reading them (the status screen).
fn count_ops_for(conn: &Connection, me: &Me, receiver: &NodeInfo) -> Result<u64> {
    let (sql, commune) = ops_for_sql(me, receiver, "count(*)", "");
    let n: i64 = conn.query_row(&sql, params![receiver.node_id, commune], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

fn ops_for_sql(
    me: &Me,
    receiver: &NodeInfo,
    select: &str,
    order: &str,
) -> (String, Option<String>) {
    ops_for_sql_of(
        me.is_office(),
        &me.commune_code,
        receiver.commune_code.as_deref(),
        select,
        order,
    )
}

/// [`ops_for_sql`] from plain values: whether this node is the office, its commune, the
/// receiver's commune. Parameters of the SQL: ?1 the receiver's node id, ?2 the commune returned.
fn ops_for_sql_of(
    office: bool,
    my_commune: &str,
    receiver_commune: Option<&str>,
    select: &str,
    order: &str,
) -> (String, Option<String>) {
    if office {
        // The receiving commune's rows and rows of no commune (rule sets, the province), never
        // another commune's; the office's own user accounts stay at the office. In two parts,
        // each read through an index: ops of the commune's devices (their scope is their
        // commune) by (origin, seq) past what the receiver acknowledged, and office ops or ops of
        // no commune through the partial index `op_scope` (migration 8: indexing every op's
        // scope cost ~12 % of a folder import). CROSS JOIN keeps SQLite from scanning the whole
        // log when the database has no statistics.
        let sql = format!(
            "SELECT {select} FROM op o WHERE o.rowid IN (
               SELECT o.rowid FROM node n CROSS JOIN op o ON o.origin = n.node_id
                WHERE n.role <> 'office' AND (n.commune_code = ?2 OR n.commune_code IS NULL)
                  AND n.node_id <> ?1
                  AND o.seq > coalesce((SELECT x.contiguous_seq FROM peer_ack x
                                        WHERE x.peer = ?1 AND x.origin = n.node_id), 0)
                  AND NOT (o.authority >= 3 OR o.scope IS NULL) AND o.scope = ?2
               UNION ALL
               SELECT o.rowid FROM op o LEFT JOIN peer_ack a ON a.peer = ?1 AND a.origin = o.origin
                WHERE (o.authority >= 3 OR o.scope IS NULL) AND o.origin <> ?1
                  AND o.seq > coalesce(a.contiguous_seq, 0)
                  AND (o.scope = ?2 OR (o.scope IS NULL AND o.entity <> 'user')))
             {order}"
        );
        return (sql, receiver_commune.map(str::to_owned));
    }
    // Devices send what they hold from their commune; office ops go back only from the office.
    // What the office already acknowledged holding need not travel through a commune officer
    // either (a reviewer's package to its officer stays small once the office has its ops).
    let sql = format!(
        "SELECT {select}
         FROM op o LEFT JOIN peer_ack a ON a.peer = ?1 AND a.origin = o.origin
         WHERE o.origin <> ?1 AND o.seq > coalesce(a.contiguous_seq, 0)
           AND (?2 IS NOT NULL AND o.origin NOT IN (SELECT node_id FROM node WHERE role = 'office')
           AND o.seq > coalesce((SELECT max(x.contiguous_seq) FROM peer_ack x JOIN node n ON n.node_id = x.peer
                                 WHERE n.role = 'office' AND x.origin = o.origin), 0))
         {order}"
    );
    (sql, Some(my_commune.to_owned()))
}

/// The op as it must appear in a package: exactly [`Op`]'s fields, nothing else (one parse).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictOp {
    origin: String,
    seq: i64,
    lamport: i64,
    authority: i64,
    user_id: String,
    device_time: String,
    entity: String,
    row_id: String,
    kind: OpKind,
    body: StrictBody,
    schema_ver: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictBody {
    #[serde(deserialize_with = "fields_in_one_build")]
    set: serde_json::Map<String, Value>,
    #[serde(default)]
    base: BTreeMap<String, Vec<OpKey>>,
}

/// A body's fields read into a list first and the map built from it in one go: an exporter
/// writes them sorted, and building a sorted map whole costs a fraction of inserting each field
/// into it (a search from the root, a node split now and then), which was a third of the parse.
/// The result is the same map: a field given twice keeps its last value, as with inserts.
fn fields_in_one_build<'de, D>(
    d: D,
) -> std::result::Result<serde_json::Map<String, Value>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Fields;
    impl<'de> serde::de::Visitor<'de> for Fields {
        type Value = serde_json::Map<String, Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of fields")
        }
        fn visit_map<A>(self, mut map: A) -> std::result::Result<Self::Value, A::Error>
        where
            A: serde::de::MapAccess<'de>,
        {
            let mut fields: Vec<(String, Value)> =
                Vec::with_capacity(map.size_hint().unwrap_or(16));
            while let Some(field) = map.next_entry::<String, Value>()? {
                fields.push(field);
            }
            Ok(fields.into_iter().collect())
        }
    }
    d.deserialize_map(Fields)
}

/// Parses one op line strictly: no unknown key, known kind, entity and fields, supported schema.
/// Reasons are Vietnamese (serde's English detail is not shown).
fn parse_op(i: usize, line: &str) -> std::result::Result<Op, String> {
    let n = i + 1;
    let strict: StrictOp = serde_json::from_str(line).map_err(|e| {
        let m = e.to_string();
        if let Some(field) = m
            .strip_prefix("unknown field `")
            .and_then(|r| r.split('`').next())
        {
            format!("thao tác thứ {n} có trường không xác định “{field}”.")
        } else if m.starts_with("unknown variant") {
            format!("thao tác thứ {n} có loại thao tác không xác định.")
        } else {
            format!("thao tác thứ {n} không đúng định dạng.")
        }
    })?;
    let op = Op {
        origin: strict.origin,
        seq: strict.seq,
        lamport: strict.lamport,
        authority: strict.authority,
        user_id: strict.user_id,
        device_time: strict.device_time,
        entity: strict.entity,
        row_id: strict.row_id,
        kind: strict.kind,
        body: crate::ledger::OpBody {
            set: strict.body.set,
            base: strict.body.base,
        },
        schema_ver: strict.schema_ver,
    };
    let def = entity_def(&op.entity).ok_or_else(|| {
        format!(
            "thao tác thứ {n} thuộc loại bản ghi không được hỗ trợ “{}”.",
            op.entity
        )
    })?;
    if let Some(f) = op
        .body
        .set
        .keys()
        .find(|f| !def.fields.contains(&f.as_str()))
    {
        return Err(format!(
            "thao tác thứ {n} ghi trường không xác định “{f}” của {}.",
            def.name
        ));
    }
    if op.schema_ver > OP_SCHEMA_VERSION {
        return Err(format!(
            "thao tác thứ {n} thuộc phiên bản lược đồ {} mới hơn phần mềm này: cần cập nhật phần mềm.",
            op.schema_ver
        ));
    }
    if op.seq < 1 || ex::validate_node_id(&op.origin).is_err() || !(1..=3).contains(&op.authority) {
        return Err(format!(
            "thao tác thứ {n} có mã thiết bị, số thứ tự hoặc thẩm quyền không hợp lệ."
        ));
    }
    Ok(op)
}

// ---------------------------------------------------------------------------------------------
// Results

/// `enrol request`: the file to carry to the office and the fingerprint to write on the form.
#[derive(Debug, Clone, Serialize)]
pub struct EnrolRequestResult {
    pub file: PathBuf,
    pub fingerprint: String,
    pub bytes: u64,
    pub sha256: String,
    pub short_hash: String,
}

/// `enrol accept`: the response package and what the office assigned.
#[derive(Debug, Clone, Serialize)]
pub struct EnrolAcceptResult {
    pub file: PathBuf,
    pub short_code: String,
    pub node_id: String,
    pub commune_code: String,
    pub role: String,
    pub serial: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// One package written by [`Ledger::export`]: what the UI shows before "safe to remove".
#[derive(Debug, Clone, Serialize)]
pub struct ExportResult {
    pub file: PathBuf,
    pub file_name: String,
    pub bytes: u64,
    pub sha256: String,
    pub short_hash: String,
    pub ops: u64,
    pub kind: String,
    /// Short code of the receiver.
    pub receiver: String,
    pub receiver_node: String,
    pub pkg_seq: u64,
    pub package_id: String,
}

/// What happened to one package file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Imported,
    Duplicate,
    Rejected,
    Quarantined,
}

/// The per-package line of the import report.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub status: ImportStatus,
    /// Vietnamese reason when not imported (or a warning when imported).
    pub reason: Option<String>,
    /// Stable machine tag of the reason.
    pub reason_kind: Option<String>,
    pub ops_new: u64,
    pub ops_duplicate: u64,
    /// Conflict rows (review items) this package raised.
    pub conflicts: i64,
    /// Ops of a revoked device after its revocation point, not applied.
    pub set_aside: u64,
    pub package_kind: Option<String>,
    /// Short code of the sender (node id if unknown).
    pub sender: Option<String>,
    pub package_id: Option<String>,
    pub dry_run: bool,
}

impl ImportReport {
    fn new(file: &Path, dry_run: bool) -> Self {
        ImportReport {
            file: file.display().to_string(),
            status: ImportStatus::Rejected,
            reason: None,
            reason_kind: None,
            ops_new: 0,
            ops_duplicate: 0,
            conflicts: 0,
            set_aside: 0,
            package_kind: None,
            sender: None,
            package_id: None,
            dry_run,
        }
    }
    fn refuse(mut self, status: ImportStatus, kind: &str, reason: String) -> Self {
        self.status = status;
        self.reason_kind = Some(kind.to_owned());
        self.reason = Some(reason);
        self
    }
}

/// One row of the package history.
#[derive(Debug, Clone, Serialize)]
pub struct PackageLogEntry {
    pub package_id: String,
    pub direction: String,
    pub kind: String,
    pub sender: String,
    pub receiver: String,
    pub pkg_seq: i64,
    pub file_name: String,
    pub file_sha256: String,
    pub bytes: i64,
    pub status: String,
    pub reason: Option<String>,
    pub ops: i64,
    pub ops_new: i64,
    pub ops_duplicate: i64,
    pub conflicts: i64,
    pub device_time: String,
}

/// What a peer has acknowledged holding from one origin.
#[derive(Debug, Clone, Serialize)]
pub struct AckEntry {
    pub peer: String,
    pub peer_short_code: String,
    pub origin: String,
    pub origin_short_code: String,
    pub contiguous_seq: i64,
}

/// Ops not yet acknowledged by a receiver (what the next export to it carries).
#[derive(Debug, Clone, Serialize)]
pub struct PendingEntry {
    pub receiver: String,
    pub short_code: String,
    pub role: String,
    pub commune_code: Option<String>,
    pub ops: u64,
}

/// `status`: the exchange at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeStatus {
    pub node: String,
    pub role: String,
    pub short_code: String,
    pub commune_code: String,
    pub enrolled: bool,
    pub office: Option<String>,
    /// Set when an acknowledgement showed this database is a stale copy (restored backup).
    pub stale_copy: Option<String>,
    /// Office only: set when communes hold office decisions written after the backup this
    /// database was restored from (what was lost, and what to do).
    pub office_restored: Option<String>,
    pub sent: Vec<PackageLogEntry>,
    pub received: Vec<PackageLogEntry>,
    pub acks: Vec<AckEntry>,
    pub pending: Vec<PendingEntry>,
    /// Contiguous seq held here per origin.
    pub holdings: BTreeMap<String, i64>,
    pub devices: Vec<NodeInfo>,
    /// Office only: the consolidated view of all communes.
    pub communes: Vec<CommuneSummary>,
}

/// An op not applied because its device was revoked after an earlier op (SYNC case 9).
#[derive(Debug, Clone, Serialize)]
pub struct SetAsideOp {
    pub origin: String,
    pub seq: i64,
    pub package_id: String,
    /// The op as received (JSON).
    pub op: String,
    pub reason: String,
}

/// One open review item (row of `conflict`): which field of which record, and the competing ops.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictItem {
    pub entity: String,
    pub row_id: String,
    pub field: String,
    /// `overlap` | `delete_vs_edit` | `locked_edit` | `duplicate_person`.
    pub kind: String,
    /// The competing ops as JSON `[[origin, seq], …]`.
    pub heads: String,
}

/// One commune in the office's consolidated view (tổng hợp các xã).
#[derive(Debug, Clone, Serialize)]
pub struct CommuneSummary {
    pub commune_code: String,
    pub name: Option<String>,
    /// Enrolled devices of this commune, and how many of them are flagged.
    pub devices: u64,
    pub flagged_devices: u64,
    pub packages_received: u64,
    /// When the last package from this commune was imported (this office's clock).
    pub last_package_at: Option<String>,
    /// Households on the register (not deleted).
    pub households: u64,
    /// Households with a survey in the commune's latest review round.
    pub households_reviewed: u64,
    /// Open review items on this commune's households and members.
    pub open_conflicts: u64,
}

/// Where import step injection fails (tests of "killed at each step").
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportFault {
    /// Fail after this many steps inside the transaction (`None` = never).
    pub fail_after_step: Option<usize>,
    /// Make the commit of a folder's group of packages fail (as a full disk would).
    pub fail_commit: bool,
}

/// Number of fault-injection points inside one import transaction.
#[doc(hidden)]
pub const IMPORT_STEPS: usize = 7;

struct Steps {
    n: usize,
    fail: Option<usize>,
}

impl Steps {
    fn step(&mut self) -> Result<()> {
        if self.fail == Some(self.n) {
            return Err(Error::Io(format!(
                "Nhập gói bị ngắt ở bước {} (mô phỏng mất điện); không có gì thay đổi.",
                self.n
            )));
        }
        self.n += 1;
        Ok(())
    }
}

/// Why a package is set aside inside the transaction.
enum Verdict {
    Quarantine {
        kind: &'static str,
        reason: String,
        flag: Option<String>,
    },
    Reject {
        kind: &'static str,
        reason: String,
    },
}

// ---------------------------------------------------------------------------------------------

impl Ledger {
    fn now_text(&self) -> String {
        self.clock()
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// This node's public keys file (`giamngheo keys --out FILE`).
    pub fn public_keys_file(&self) -> Result<KeysFile> {
        let me = load_me(self.conn())?;
        let mut f = KeysFile::new(&me.node.node_id, &me.keys.public())?;
        f.short_code = Some(me.node.short_code.clone());
        if me.is_office() {
            let province: Option<String> = self
                .conn()
                .query_row(
                    "SELECT p.name FROM province p JOIN local_node l ON p.id = l.province_code",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            f.province_name = province.filter(|p| !p.trim().is_empty());
        }
        Ok(f)
    }

    /// Commune side: pin the office's public keys (from the keys file that travels with the
    /// installation). Refuses a second, different office.
    pub fn pin_office(&mut self, f: &KeysFile) -> Result<()> {
        self.pin(f, "office")
    }

    /// Reviewer laptop: pin the commune officer's keys (packages to the officer are encrypted to
    /// them; the officer's certificate arrives later in the roster).
    pub fn pin_officer(&mut self, f: &KeysFile) -> Result<()> {
        self.pin(f, "commune_officer")
    }

    fn pin(&mut self, f: &KeysFile, role: &str) -> Result<()> {
        let f = KeysFile::from_json(&f.to_json())?;
        let me = load_me(self.conn())?;
        if me.is_office() {
            return Err(Error::Conflict(
                "Máy văn phòng không ghim khoá của đơn vị khác.".into(),
            ));
        }
        if f.node_id == me.node.node_id {
            return Err(Error::Invalid(
                "Đây là tệp khoá của chính máy này, không phải của văn phòng.".into(),
            ));
        }
        let existing = load_nodes(self.conn())?
            .into_iter()
            .find(|n| n.role == role && n.node_id != f.node_id && n.sign_pk.is_some());
        if existing.is_some() {
            return Err(Error::Conflict(if role == "office" {
                "Máy này đã ghim khoá của một văn phòng khác; không thể ghim thêm.".into()
            } else {
                "Máy này đã ghim khoá của một cán bộ xã khác.".into()
            }));
        }
        let short = f
            .short_code
            .clone()
            .filter(|s| valid_short(s))
            .unwrap_or_else(|| if role == "office" { "VP" } else { "CBX" }.to_owned());
        let commune = (role != "office").then(|| me.commune_code.clone());
        let now = self.now_text();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO node (node_id, short_code, role, commune_code, sign_pk, enc_recipient, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(node_id) DO UPDATE SET sign_pk = excluded.sign_pk, enc_recipient = excluded.enc_recipient,
               role = excluded.role, short_code = excluded.short_code",
            params![f.node_id, short, role, commune, f.keys.sign_pk, f.keys.enc_recipient, now],
        )?;
        if role != "office" {
            tx.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![OFFICER_SETTING, f.node_id],
            )?;
        }
        audit(
            &tx,
            &now,
            "pin_keys",
            &json!({"node": f.node_id, "role": role, "fingerprint": f.fingerprint}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Builds, signs, encrypts and writes one package to `out_dir`, then logs it as sent.
    #[allow(clippy::too_many_arguments)]
    fn send_package(
        &mut self,
        me: &Me,
        receiver: &NodeInfo,
        kind: PackageKind,
        payload: &PackagePayload,
        out_dir: &Path,
        io: &mut dyn ex::StickIo,
        op_ranges: BTreeMap<String, [u64; 2]>,
    ) -> Result<(ex::WrittenPackage, String, u64)> {
        let recipient = receiver.enc_recipient.clone().ok_or_else(|| {
            Error::Conflict(format!(
                "Chưa có khoá mã hoá của {}: không thể gửi gói.",
                receiver.short_code
            ))
        })?;
        let conn = self.conn();
        let last: Option<(i64, String)> = conn
            .query_row(
                "SELECT pkg_seq, file_sha256 FROM package_log WHERE direction = 'out' AND receiver = ?1
                 ORDER BY pkg_seq DESC LIMIT 1",
                [&receiver.node_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let pkg_seq = last.as_ref().map(|l| l.0 + 1).unwrap_or(1) as u64;
        let audit_head: Option<String> = conn
            .query_row(
                "SELECT sha256 FROM audit_event ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let now = self.now_text();
        let package_id = uuid::Uuid::now_v7();
        let spec = PackageSpec {
            package_id,
            kind,
            sender_node: me.node.node_id.clone(),
            sender_cert_serial: if me.is_office() {
                None
            } else {
                me.node.cert_serial.map(|s| s as u64)
            },
            receiver_node: receiver.node_id.clone(),
            pkg_seq,
            prev_pkg_sha256: last.map(|l| l.1),
            schema_ver: OP_SCHEMA_VERSION as u32,
            app_version: APP_VERSION.into(),
            min_app_version: (kind == PackageKind::Return).then(|| APP_VERSION.to_owned()),
            op_ranges,
            audit_head_sha256: audit_head,
            sender_lamport: lamport(conn)?.max(0) as u64,
            device_time: now.clone(),
        };
        // An office signs with the newest key generation the receiver holds (key rollover).
        let older = rollover::signing_keys_for(conn, me, receiver)?;
        let signer = older.as_ref().unwrap_or(&me.keys);
        let bytes = if kind == PackageKind::Data || kind == PackageKind::Return {
            ex::build_package_compressed(&spec, payload, signer, &[recipient.as_str()])?
        } else {
            ex::build_package(&spec, payload, signer, &[recipient.as_str()])?
        };
        let name = ex::package_file_name(&me.node.short_code, &receiver.short_code, pkg_seq)?;
        std::fs::create_dir_all(out_dir)
            .map_err(|e| Error::Io(format!("Không tạo được thư mục {}: {e}", out_dir.display())))?;
        let written = ex::write_package_with(io, out_dir, &name, &bytes)?;
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO package_log (package_id, direction, kind, sender, receiver, pkg_seq, file_name, file_sha256, bytes, status, ops, device_time)
             VALUES (?1, 'out', ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'written', ?9, ?10)",
            params![
                package_id.to_string(),
                kind.as_str(),
                me.node.node_id,
                receiver.node_id,
                pkg_seq as i64,
                written.file_name,
                written.sha256,
                written.bytes as i64,
                payload.ops.len() as i64,
                now
            ],
        )?;
        audit(
            &tx,
            &now,
            "export_package",
            &json!({"package_id": package_id.to_string(), "kind": kind.as_str(), "receiver": receiver.node_id,
                    "pkg_seq": pkg_seq, "ops": payload.ops.len(), "sha256": written.sha256}),
        )?;
        tx.commit()?;
        Ok((written, package_id.to_string(), pkg_seq))
    }

    /// Commune device: write an enrolment request for the pinned office into `out_dir`.
    pub fn enrolment_request(&mut self, out_dir: &Path) -> Result<EnrolRequestResult> {
        let me = load_me(self.conn())?;
        if me.is_office() {
            return Err(Error::Conflict(
                "Máy văn phòng không cần đăng ký; nó cấp chứng thư cho các máy của xã.".into(),
            ));
        }
        let office = office_node(self.conn())?.ok_or_else(|| {
            Error::Conflict(
                "Chưa ghim khoá công khai của văn phòng: hãy thiết lập với --office-keys TỆP."
                    .into(),
            )
        })?;
        let role = if me.node.role == "reviewer" {
            DeviceRole::Reviewer
        } else {
            DeviceRole::CommuneOfficer
        };
        let label = format!(
            "Máy {} xã {}",
            if role == DeviceRole::Reviewer {
                "rà soát"
            } else {
                "cán bộ"
            },
            me.commune_code
        );
        let req = EnrolmentRequest::new(
            &me.node.node_id,
            &me.commune_code,
            role,
            &label,
            APP_VERSION,
            &me.keys,
        )?;
        let fingerprint = req.fingerprint()?;
        let payload = req.to_payload()?;
        let (w, _, _) = self.send_package(
            &me,
            &office,
            PackageKind::EnrolRequest,
            &payload,
            out_dir,
            &mut ex::RealIo::default(),
            BTreeMap::new(),
        )?;
        Ok(EnrolRequestResult {
            file: w.path,
            fingerprint,
            bytes: w.bytes,
            sha256: w.sha256,
            short_hash: w.short_hash,
        })
    }

    /// Office: accept an enrolment request after a person compared the fingerprint, store the
    /// device and its certificate, and write the response package into `out_dir`.
    pub fn accept_enrolment(
        &mut self,
        file: &Path,
        typed_fingerprint: &str,
        out_dir: &Path,
    ) -> Result<EnrolAcceptResult> {
        let me = load_me(self.conn())?;
        if !me.is_office() {
            return Err(Error::Conflict(
                "Chỉ máy văn phòng mới cấp chứng thư thiết bị.".into(),
            ));
        }
        let bytes = ex::read_capped(file, &limits())?;
        let now_utc = self.clock().now();
        let (pkg, key_serial) = rollover::open_package_any_key(
            self.conn(),
            &bytes,
            &me,
            &|_| None,
            &limits(),
            now_utc,
            None,
        )
        .map_err(|e| match e {
            rollover::OpenFailure::Package(PackageError::UnknownSender) => {
                Error::Invalid("Tệp này không phải yêu cầu đăng ký thiết bị.".into())
            }
            rollover::OpenFailure::Package(other) => Error::from(other),
            rollover::OpenFailure::GraceOver(reason) => Error::Invalid(reason),
        })?;
        let req = EnrolmentRequest::from_package(&pkg)?;
        let existing = load_node(self.conn(), &req.node_id)?;
        if let Some(n) = &existing {
            if n.sign_pk.as_deref() != Some(req.keys.sign_pk.as_str()) {
                return Err(Error::Conflict(
                    "Mã thiết bị này đã đăng ký với khoá khác: từ chối (máy sao chép hoặc yêu cầu giả)."
                        .into(),
                ));
            }
        }
        let conn = self.conn();
        let short_code = match existing.as_ref().filter(|n| n.cert.is_some()) {
            Some(n) => n.short_code.clone(),
            None => enrolment::next_short_code(conn, &req.commune_code)?,
        };
        let serial: i64 = conn.query_row(
            "SELECT coalesce(max(cert_serial), 0) + 1 FROM node",
            [],
            |r| r.get(0),
        )?;
        let assignment = ex::CertificateAssignment {
            short_code: short_code.clone(),
            commune_code: req.commune_code.clone(),
            role: req.role,
            serial: serial as u64,
            issued_lamport: lamport(conn)?.max(0) as u64,
        };
        let cert = DeviceCertificate::issue(&req, typed_fingerprint, &assignment, &me.keys)?;
        let cert_json = serde_json::to_string(&cert)
            .map_err(|_| Error::Invalid("Không tạo được chứng thư thiết bị.".into()))?;
        let now = self.now_text();
        {
            let tx = self
                .conn_mut()
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO node (node_id, short_code, role, commune_code, name, sign_pk, enc_recipient, cert, cert_serial, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT(node_id) DO UPDATE SET short_code = excluded.short_code, role = excluded.role,
                   commune_code = excluded.commune_code, name = excluded.name, sign_pk = excluded.sign_pk,
                   enc_recipient = excluded.enc_recipient, cert = excluded.cert, cert_serial = excluded.cert_serial",
                params![
                    cert.node_id,
                    short_code,
                    role_str(cert.role),
                    cert.commune_code,
                    req.device_name,
                    cert.sign_pk,
                    cert.enc_recipient,
                    cert_json,
                    serial,
                    now
                ],
            )?;
            rollover::note_seen(&tx, &cert.node_id, key_serial)?;
            audit(
                &tx,
                &now,
                "enrol_accept",
                &json!({"node": cert.node_id, "short_code": short_code, "serial": serial,
                        "commune": cert.commune_code, "role": role_str(cert.role)}),
            )?;
            tx.commit()?;
        }
        let device = load_node(self.conn(), &cert.node_id)?
            .ok_or_else(|| Error::Database("Thiết bị vừa đăng ký không được lưu.".into()))?;
        let mut payload = cert.to_payload()?;
        payload.sections.extend(self.roster_sections(&device)?);
        payload
            .sections
            .extend(rollover::rollover_sections(self.conn(), &me)?);
        let (w, _, _) = self.send_package(
            &me,
            &device,
            PackageKind::EnrolResponse,
            &payload,
            out_dir,
            &mut ex::RealIo::default(),
            BTreeMap::new(),
        )?;
        Ok(EnrolAcceptResult {
            file: w.path,
            short_code,
            node_id: cert.node_id,
            commune_code: cert.commune_code,
            role: role_str(cert.role).into(),
            serial: serial as u64,
            bytes: w.bytes,
            sha256: w.sha256,
        })
    }

    /// Office: the roster and revocation sections for one device's commune.
    fn roster_sections(&self, device: &NodeInfo) -> Result<Vec<Section>> {
        let mut certs = Vec::new();
        let mut revoked = Vec::new();
        for n in load_nodes(self.conn())? {
            if n.role == "office" || n.commune_code != device.commune_code {
                continue;
            }
            if let Some(c) = &n.cert {
                let v: Value = serde_json::from_str(c)
                    .map_err(|_| Error::Database("Chứng thư trong sổ bị hỏng.".into()))?;
                certs.push(v);
            }
            if let Some(s) = n.revoked_after_seq {
                revoked.push(json!({"node_id": n.node_id, "revoked_after_seq": s}));
            }
        }
        let mut out = vec![Section::new(ROSTER_SECTION, Value::Array(certs))];
        if !revoked.is_empty() {
            out.push(Section::new(REVOCATIONS_SECTION, Value::Array(revoked)));
        }
        Ok(out)
    }

    /// Office: revoke a device; its ops after `after_seq` are set aside wherever they arrive.
    pub fn revoke_device(&mut self, node: &str, after_seq: i64) -> Result<()> {
        let me = load_me(self.conn())?;
        if !me.is_office() {
            return Err(Error::Conflict(
                "Chỉ văn phòng mới thu hồi chứng thư thiết bị.".into(),
            ));
        }
        let n = self.resolve_node(node)?;
        let now = self.now_text();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE node SET revoked_after_seq = ?2 WHERE node_id = ?1",
            params![n.node_id, after_seq.max(0)],
        )?;
        audit(
            &tx,
            &now,
            "revoke_device",
            &json!({"node": n.node_id, "revoked_after_seq": after_seq}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A node by id or short code.
    pub fn resolve_node(&self, key: &str) -> Result<NodeInfo> {
        load_nodes(self.conn())?
            .into_iter()
            .find(|n| n.node_id == key || n.short_code == key)
            .ok_or_else(|| Error::NotFound(format!("Không có thiết bị/đơn vị “{key}”.")))
    }

    /// Every known node.
    pub fn nodes(&self) -> Result<Vec<NodeInfo>> {
        load_nodes(self.conn())
    }

    /// Writes cumulative-since-acknowledgement packages to `out_dir` (SYNC §3.6). A commune device
    /// sends to `to` (default: its office, or its commune officer for a reviewer that pinned one);
    /// the office sends to `to`, or without it one return package per enrolled device.
    pub fn export(&mut self, out_dir: &Path, to: Option<&str>) -> Result<Vec<ExportResult>> {
        self.export_with_io(out_dir, to, &mut ex::RealIo::default())
    }

    /// [`Ledger::export`] through a given stick I/O (fault injection in tests: a stick pulled at
    /// any write call).
    #[doc(hidden)]
    pub fn export_with_io(
        &mut self,
        out_dir: &Path,
        to: Option<&str>,
        io: &mut dyn ex::StickIo,
    ) -> Result<Vec<ExportResult>> {
        let me = load_me(self.conn())?;
        if let Some(reason) = self.setting(STALE_SETTING)? {
            return Err(Error::Conflict(reason));
        }
        let receivers: Vec<NodeInfo> =
            match to {
                Some(t) => {
                    let n = self.resolve_node(t)?;
                    if n.node_id == me.node.node_id {
                        return Err(Error::Invalid(
                            "Không thể gửi gói cho chính máy này.".into(),
                        ));
                    }
                    vec![n]
                }
                None if me.is_office() => load_nodes(self.conn())?
                    .into_iter()
                    .filter(|n| n.role != "office" && n.cert.is_some())
                    .collect(),
                None => {
                    let nodes = load_nodes(self.conn())?;
                    let pinned_officer = self.setting(OFFICER_SETTING)?;
                    let officer = nodes.iter().find(|n| {
                        Some(&n.node_id) == pinned_officer.as_ref() && n.node_id != me.node.node_id
                    });
                    let office = nodes
                        .iter()
                        .find(|n| n.role == "office" && n.sign_pk.is_some());
                    match (officer, office) {
                        (Some(o), _) | (None, Some(o)) => vec![o.clone()],
                        _ => return Err(Error::Conflict(
                            "Chưa ghim khoá công khai của văn phòng: không biết gửi gói cho ai."
                                .into(),
                        )),
                    }
                }
            };
        if !me.is_office() && me.node.cert.is_none() {
            return Err(Error::Conflict(
                "Máy này chưa được văn phòng cấp chứng thư: hãy tạo yêu cầu đăng ký (enrol request), mang tới văn phòng và nhập gói trả lời trước khi gửi dữ liệu."
                    .into(),
            ));
        }
        if me.is_office() && receivers.is_empty() {
            return Err(Error::Conflict(
                "Chưa có thiết bị nào được đăng ký: không có gói trả về để ghi.".into(),
            ));
        }
        let mut out = Vec::new();
        for r in receivers {
            if me.is_office() && r.role == "office" {
                return Err(Error::Invalid(
                    "Văn phòng không gửi gói cho văn phòng khác.".into(),
                ));
            }
            out.push(self.export_to(&me, &r, out_dir, io)?);
        }
        Ok(out)
    }

    fn export_to(
        &mut self,
        me: &Me,
        receiver: &NodeInfo,
        out_dir: &Path,
        io: &mut dyn ex::StickIo,
    ) -> Result<ExportResult> {
        let conn = self.conn();
        let ops = ops_for(conn, me, receiver)?;
        let mut lines = Vec::with_capacity(ops.len());
        let mut op_ranges: BTreeMap<String, [u64; 2]> = BTreeMap::new();
        for op in &ops {
            let seq = op.seq.max(0) as u64;
            let e = op_ranges.entry(op.origin.clone()).or_insert([seq, seq]);
            e[0] = e[0].min(seq);
            e[1] = e[1].max(seq);
            lines.push(
                serde_json::to_string(op)
                    .map_err(|_| Error::Database("Không ghi được thao tác.".into()))?,
            );
        }
        let mut sections = Vec::new();
        // What I hold, so the receiver stops re-sending it.
        let acks = if me.is_office() {
            let origins: BTreeSet<String> = load_nodes(conn)?
                .into_iter()
                .filter(|n| n.commune_code.is_some() && n.commune_code == receiver.commune_code)
                .map(|n| n.node_id)
                .collect();
            holdings(conn, Some(&origins))?
        } else {
            let mut h = holdings(conn, None)?;
            // The office sends each commune only the office ops that concern it, so their seqs
            // have gaps by design. It always sends everything above the last ack in one
            // cumulative package applied atomically, so holding office op n means holding every
            // office op up to n meant for this commune: acknowledge the highest.
            let mut stmt = conn.prepare(
                "SELECT origin, max(seq) FROM op
                 WHERE origin IN (SELECT node_id FROM node WHERE role = 'office') GROUP BY origin",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for r in rows {
                let (origin, max) = r?;
                h.insert(origin, max);
            }
            h
        };
        if me.is_office() {
            let resend = resend_requests(conn, receiver, &acks)?;
            if !resend.is_empty() {
                sections.push(Section::new(RESEND_SECTION, json!(resend)));
            }
        }
        sections.push(Section::new(ACKS_SECTION, json!(acks)));
        // Reasons of corrections travelling in this package.
        let mut reasons = Vec::new();
        {
            let mut stmt =
                conn.prepare_cached("SELECT reason FROM op_reason WHERE origin = ?1 AND seq = ?2")?;
            for op in &ops {
                if let Some(r) = stmt
                    .query_row(params![op.origin, op.seq], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    reasons.push(json!({"origin": op.origin, "seq": op.seq, "reason": r}));
                }
            }
        }
        if !reasons.is_empty() {
            sections.push(Section::new(REASONS_SECTION, Value::Array(reasons)));
        }
        let kind = if me.is_office() {
            sections.extend(self.roster_sections(receiver)?);
            sections.extend(rollover::rollover_sections(conn, me)?);
            PackageKind::Return
        } else {
            PackageKind::Data
        };
        let payload = PackagePayload {
            ops: lines,
            sections,
        };
        let (w, package_id, pkg_seq) =
            self.send_package(me, receiver, kind, &payload, out_dir, io, op_ranges)?;
        Ok(ExportResult {
            file: w.path,
            file_name: w.file_name,
            bytes: w.bytes,
            sha256: w.sha256,
            short_hash: w.short_hash,
            ops: ops.len() as u64,
            kind: kind.as_str().into(),
            receiver: receiver.short_code.clone(),
            receiver_node: receiver.node_id.clone(),
            pkg_seq,
            package_id,
        })
    }

    /// Imports files and folders (every `*.hhpkg` inside a folder, sorted by name), each package
    /// independently: one bad package never blocks the others. With `dry_run` every package is
    /// checked and applied inside a transaction that is then rolled back.
    pub fn import_paths(&mut self, paths: &[PathBuf], dry_run: bool) -> Result<Vec<ImportReport>> {
        self.import_paths_with(paths, dry_run, ImportFault::default())
    }

    /// [`Ledger::import_paths`] calling `progress(done, total, report)` after each package (the
    /// UI's progress bar and per-package report).
    pub fn import_paths_progress(
        &mut self,
        paths: &[PathBuf],
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize, &ImportReport),
    ) -> Result<Vec<ImportReport>> {
        self.import_inner(paths, dry_run, ImportFault::default(), progress)
    }

    /// [`Ledger::import_paths`] with fault injection (tests).
    #[doc(hidden)]
    pub fn import_paths_with(
        &mut self,
        paths: &[PathBuf],
        dry_run: bool,
        fault: ImportFault,
    ) -> Result<Vec<ImportReport>> {
        self.import_inner(paths, dry_run, fault, &mut |_, _, _| {})
    }

    fn import_inner(
        &mut self,
        paths: &[PathBuf],
        dry_run: bool,
        fault: ImportFault,
        progress: &mut dyn FnMut(usize, usize, &ImportReport),
    ) -> Result<Vec<ImportReport>> {
        let worker_me = load_me(self.conn())?;
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let rd = std::fs::read_dir(p).map_err(|e| {
                    Error::Io(format!("Không đọc được thư mục {}: {e}", p.display()))
                })?;
                let mut inside: Vec<PathBuf> = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| {
                        f.is_file()
                            && f.extension().and_then(|e| e.to_str())
                                == Some(ex::atomic::PACKAGE_EXT)
                    })
                    .collect();
                inside.sort();
                files.extend(inside);
            } else {
                files.push(p.clone());
            }
        }
        let total = files.len();
        // The next package is opened and parsed on a second thread while this one is applied.
        let nodes = nodes_by_id(self.conn())?;
        let table = Arc::new(SenderTable::load(self.conn(), &worker_me, &nodes)?);
        let imported: BTreeSet<String> = self
            .conn()
            .prepare(
                "SELECT file_sha256 FROM package_log WHERE direction = 'in' AND status = 'imported'",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let lim = limits();
        let held = held_seqs(self.conn())?;
        // Only an office keeps duplicate-person items. Reading the numbers it holds pays when
        // they are few for the packages that come (each package's new members are then looked
        // up only if their number was held before): ~20,000 per package, a package's worth of
        // lookups.
        self.known_ids = match worker_me.is_office() {
            true => crate::review_items::KnownIdNumbers::load(
                self.conn(),
                total.saturating_mul(20_000).min(1_000_000),
            )?,
            false => None,
        };
        let result = self.with_bulk_writes(|me| {
            std::thread::scope(|scope| {
                let (send, receive) = std::sync::mpsc::sync_channel::<Option<Prefetched>>(0);
                let (files, worker_me, lim, imported, held) =
                    (&files, &worker_me, &lim, &imported, &held);
                // Named, so that a profiler or debugger tells it from the importing thread.
                std::thread::Builder::new()
                    .name("package-opener".into())
                    .spawn_scoped(scope, move || {
                        for f in files {
                            let ahead = prefetch(f, worker_me, table.clone(), imported, lim, held);
                            if send.send(ahead).is_err() {
                                break; // the import stopped early
                            }
                        }
                    })?;
                let mut out: Vec<ImportReport> = Vec::with_capacity(total);
                let mut group = ImportGroup::begin(me)?;
                for (i, f) in files.iter().enumerate() {
                    let ahead = receive.recv().ok().flatten();
                    let r = me.import_one(f, dry_run, fault, ahead);
                    group.add(i, &r);
                    progress(i + 1, total, &r);
                    out.push(r);
                    if group.ops >= GROUP_OPS {
                        group.commit(me, &mut out, fault);
                        group = ImportGroup::begin(me)?;
                    }
                }
                group.commit(me, &mut out, fault);
                Ok(out)
            })
        });
        self.known_ids = None;
        result
    }

    fn import_one(
        &mut self,
        path: &Path,
        dry_run: bool,
        fault: ImportFault,
        ahead: Option<Prefetched>,
    ) -> ImportReport {
        let report = ImportReport::new(path, dry_run);
        match self.import_one_inner(path, dry_run, fault, report.clone(), ahead) {
            Ok(r) => r,
            Err(e) => {
                let kind = match e {
                    Error::Io(_) => "io",
                    Error::Database(_) => "database",
                    _ => "invalid",
                };
                report.refuse(ImportStatus::Rejected, kind, e.to_string())
            }
        }
    }

    fn import_one_inner(
        &mut self,
        path: &Path,
        dry_run: bool,
        fault: ImportFault,
        mut report: ImportReport,
        ahead: Option<Prefetched>,
    ) -> Result<ImportReport> {
        let me = load_me(self.conn())?;
        let lim = limits();
        let bytes = match ex::read_capped(path, &lim) {
            Ok(b) => b,
            Err(e) => return Ok(report.refuse(ImportStatus::Rejected, e.kind(), e.to_string())),
        };
        let nodes = nodes_by_id(self.conn())?;
        let table = SenderTable::load(self.conn(), &me, &nodes)?;
        let senders = |id: &str| table.get(id);
        // Opened ahead with the same keys as now, or opened again here.
        let ahead = ahead.filter(|a| *a.table == table);
        let local = LocalNode {
            node_id: &me.node.node_id,
            keys: &me.keys,
            also_receive_for: &[],
        };
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let now = self.now_text();
        let peeked = match ex::peek_header(&bytes, &local, &senders, &lim) {
            Ok(p) => p,
            Err(e) => return self.package_failed(e, &bytes, report),
        };
        let h = &peeked.header;
        report.package_kind = Some(h.kind.as_str().into());
        report.package_id = Some(h.package_id.clone());
        report.sender = Some(
            nodes
                .get(&h.sender_node)
                .map(|n| n.short_code.clone())
                .unwrap_or_else(|| h.sender_node.clone()),
        );
        // Duplicate: same package id, or the same file under another name / from another stick.
        let seen: bool = self.conn().query_row(
            "SELECT count(*) > 0 FROM package_log WHERE direction = 'in' AND status = 'imported'
             AND (package_id = ?1 OR file_sha256 = ?2)",
            params![h.package_id, peeked.file_sha256],
            |r| r.get(0),
        )?;
        if seen {
            report.status = ImportStatus::Duplicate;
            report.reason = Some("Gói này đã được nhập trước đây; không có gì thay đổi.".into());
            report.reason_kind = Some("duplicate".into());
            return Ok(report);
        }
        let (opened_ahead, ops_ahead, bodies) = match ahead {
            Some(a) if a.opened.file_sha256 == peeked.file_sha256 => {
                (Some(a.opened), Some(a.ops), a.bodies)
            }
            _ => (None, None, None),
        };
        let (pkg, key_serial) = match rollover::open_package_any_key(
            self.conn(),
            &bytes,
            &me,
            &senders,
            &lim,
            self.clock().now(),
            opened_ahead,
        ) {
            Ok(p) => p,
            Err(rollover::OpenFailure::Package(e)) => {
                return self.package_failed(e, &bytes, report)
            }
            Err(rollover::OpenFailure::GraceOver(reason)) => {
                return Ok(report.refuse(ImportStatus::Rejected, "old_office_key", reason))
            }
        };
        let sender = nodes.get(&pkg.header.sender_node).cloned();
        let Some(sender) = sender else {
            return Ok(report.refuse(
                ImportStatus::Rejected,
                "unknown_sender",
                PackageError::UnknownSender.to_string(),
            ));
        };
        match pkg.header.kind {
            PackageKind::EnrolRequest => {
                return Ok(report.refuse(
                    ImportStatus::Rejected,
                    "enrol_request",
                    "Đây là gói yêu cầu đăng ký thiết bị: tại văn phòng hãy dùng `giamngheo enrol accept TỆP --fingerprint …` sau khi đối chiếu dấu vân tay.".into(),
                ))
            }
            PackageKind::KeyRollover => {
                return Ok(report.refuse(
                    ImportStatus::Rejected,
                    "unsupported",
                    "Gói đổi khoá của văn phòng chưa được phiên bản này hỗ trợ: cần cập nhật phần mềm.".into(),
                ))
            }
            PackageKind::Return | PackageKind::EnrolResponse if sender.role != "office" => {
                return Ok(report.refuse(
                    ImportStatus::Rejected,
                    "not_from_office",
                    "Gói trả về không do văn phòng đã ghim gửi; từ chối.".into(),
                ))
            }
            PackageKind::Data if sender.role == "office" || me.node.role == "reviewer" => {
                return Ok(report.refuse(
                    ImportStatus::Rejected,
                    "wrong_kind",
                    "Gói dữ liệu này không được gửi tới loại máy này; từ chối.".into(),
                ))
            }
            _ => {}
        }
        // Every op parses strictly, or the whole package is refused.
        let parsed = match ops_ahead {
            Some(parsed) => parsed,
            None => parse_ops(&pkg.ops),
        };
        let ops = match parsed {
            Ok(ops) => ops,
            Err(m) => {
                return Ok(report.refuse(
                    ImportStatus::Rejected,
                    "bad_op",
                    format!("Nội dung gói không hợp lệ: {m} Không có thao tác nào được áp dụng."),
                ))
            }
        };
        let mut steps = Steps {
            n: 0,
            fail: fault.fail_after_step,
        };
        // A savepoint inside the folder's open group transaction (see `import_inner`). The
        // known personal IDs stay valid if it is rolled back: they may only hold too many.
        let (tx, known_ids) = self.package_savepoint()?;
        let verdict = apply_package(
            &tx,
            &me,
            &sender,
            &pkg,
            &ops,
            bodies,
            &file_name,
            bytes.len() as u64,
            &now,
            &mut steps,
            &mut report,
            known_ids,
        )?;
        match verdict {
            None => {
                if me.is_office() {
                    rollover::note_seen(&tx, &sender.node_id, key_serial)?;
                }
                if dry_run {
                    drop(tx);
                } else {
                    tx.commit()?;
                }
                if ops.iter().any(|o| o.entity == "ruleset") {
                    self.forget_rule_sets();
                }
                drop_in_background((ops, pkg));
                report.status = ImportStatus::Imported;
                Ok(report)
            }
            Some(Verdict::Reject { kind, reason }) => {
                drop(tx);
                report.ops_new = 0;
                report.ops_duplicate = 0;
                report.conflicts = 0;
                Ok(report.refuse(ImportStatus::Rejected, kind, reason))
            }
            Some(Verdict::Quarantine { kind, reason, flag }) => {
                drop(tx);
                report.ops_new = 0;
                report.ops_duplicate = 0;
                report.conflicts = 0;
                if !dry_run {
                    let h = &pkg.header;
                    let tx = self.conn_mut().savepoint()?;
                    log_in(
                        &tx,
                        &h.package_id,
                        h.kind.as_str(),
                        &h.sender_node,
                        &h.receiver_node,
                        h.pkg_seq,
                        &file_name,
                        &pkg.file_sha256,
                        bytes.len() as u64,
                        "quarantined",
                        Some(&reason),
                        ops.len() as u64,
                        (0, 0, 0),
                        &now,
                    )?;
                    if let Some(origin) = &flag {
                        tx.execute(
                            "UPDATE node SET flagged = ?2 WHERE node_id = ?1",
                            params![origin, reason],
                        )?;
                    }
                    audit(
                        &tx,
                        &now,
                        "import_quarantined",
                        &json!({"package_id": h.package_id, "kind": kind, "flagged": flag}),
                    )?;
                    tx.commit()?;
                }
                Ok(report.refuse(ImportStatus::Quarantined, kind, reason))
            }
        }
    }

    /// A package that failed a structural or trust check: rejected, or — unknown sender or
    /// certificate — reported as set aside (quarantined). Neither is recorded: nothing about an
    /// unauthenticated file is trusted enough to be written, and the file itself stays on the
    /// stick to be imported again once the device is enrolled.
    fn package_failed(
        &mut self,
        e: PackageError,
        bytes: &[u8],
        report: ImportReport,
    ) -> Result<ImportReport> {
        if e.disposition() == ex::Disposition::Quarantined {
            let mut report = report;
            if let Some(h) = ex::read_header_unverified(bytes) {
                report.package_kind = Some(h.kind.as_str().into());
                report.sender = Some(h.sender_node);
            }
            return Ok(report.refuse(ImportStatus::Quarantined, e.kind(), e.to_string()));
        }
        Ok(report.refuse(ImportStatus::Rejected, e.kind(), e.to_string()))
    }

    /// Office: correct a field of a commune's record with a mandatory reason (authority 3: the
    /// office's value is displayed even against a concurrent commune edit; the commune receives
    /// the correction and its reason in the next return package).
    pub fn correct_field(
        &mut self,
        entity: &str,
        row_id: &str,
        field: &str,
        value: Value,
        reason: &str,
    ) -> Result<OpKey> {
        let me = load_me(self.conn())?;
        if !me.is_office() {
            return Err(Error::Conflict(
                "Chỉ văn phòng mới sửa dữ liệu của xã kèm lý do; tại xã hãy sửa trực tiếp trên hồ sơ."
                    .into(),
            ));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(Error::field(
                "reason",
                "Phải ghi lý do sửa (tối đa 500 ký tự).",
            ));
        }
        let def = entity_def(entity)
            .ok_or_else(|| Error::Invalid(format!("Loại bản ghi không tồn tại: {entity}")))?;
        if !def.fields.contains(&field) {
            return Err(Error::field(
                "field",
                format!("Trường “{field}” không thuộc loại bản ghi {entity}."),
            ));
        }
        let exists: bool = self.conn().query_row(
            &format!("SELECT count(*) > 0 FROM {} WHERE id = ?1", def.table),
            [row_id],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(Error::NotFound(format!(
                "Không tìm thấy bản ghi {row_id} để sửa."
            )));
        }
        let reason = reason.to_owned();
        self.transact("correct_field", |w| {
            let key = w.apply(Change::new(def.name, row_id, OpKind::Update).with(field, value))?;
            w.conn().execute(
                "INSERT OR REPLACE INTO op_reason (origin, seq, reason) VALUES (?1, ?2, ?3)",
                params![key.0, key.1, reason],
            )?;
            Ok(key)
        })
    }

    /// Open review items (mục cần xem xét) left by imports: concurrent edits, edits of deleted or
    /// locked records, possible duplicate persons; newest kinds first by entity and row.
    pub fn open_conflicts(&self) -> Result<Vec<ConflictItem>> {
        let mut stmt = self.conn().prepare(
            "SELECT entity, row_id, field, kind, heads FROM conflict ORDER BY entity, row_id, field, kind",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ConflictItem {
                entity: r.get(0)?,
                row_id: r.get(1)?,
                field: r.get(2)?,
                kind: r.get(3)?,
                heads: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Ops set aside because their device was revoked (not applied), for the officer to see.
    pub fn set_aside_ops(&self) -> Result<Vec<SetAsideOp>> {
        let mut stmt = self.conn().prepare(
            "SELECT origin, seq, package_id, op, reason FROM op_set_aside ORDER BY origin, seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SetAsideOp {
                origin: r.get(0)?,
                seq: r.get(1)?,
                package_id: r.get(2)?,
                op: r.get(3)?,
                reason: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The reason recorded for an op (office corrections), if any.
    pub fn op_reason(&self, key: &OpKey) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT reason FROM op_reason WHERE origin = ?1 AND seq = ?2",
                params![key.0, key.1],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Office: every commune with its devices, last package, households reviewed vs. on the
    /// register, and open review items.
    pub fn consolidated_view(&self) -> Result<Vec<CommuneSummary>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT commune_code FROM node WHERE commune_code IS NOT NULL AND role <> 'office'
             UNION SELECT commune_code FROM household WHERE commune_code IS NOT NULL
             ORDER BY 1",
        )?;
        let codes: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let me = load_me(conn)?;
        let mut out = Vec::new();
        for c in codes {
            if me.is_office() && c == me.commune_code {
                continue;
            }
            let one = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [&c], |r| r.get(0))?) };
            let name: Option<String> = conn
                .query_row("SELECT name FROM commune WHERE id = ?1", [&c], |r| r.get(0))
                .optional()?
                .flatten();
            let last: Option<String> = conn.query_row(
                "SELECT max(p.device_time) FROM package_log p JOIN node n ON n.node_id = p.sender
                 WHERE p.direction = 'in' AND p.status = 'imported' AND n.commune_code = ?1",
                [&c],
                |r| r.get(0),
            )?;
            out.push(CommuneSummary {
                devices: one("SELECT count(*) FROM node WHERE commune_code = ?1 AND cert IS NOT NULL")? as u64,
                flagged_devices: one("SELECT count(*) FROM node WHERE commune_code = ?1 AND flagged IS NOT NULL")? as u64,
                packages_received: one(
                    "SELECT count(*) FROM package_log p JOIN node n ON n.node_id = p.sender
                     WHERE p.direction = 'in' AND p.status = 'imported' AND n.commune_code = ?1",
                )? as u64,
                last_package_at: last,
                households: one("SELECT count(*) FROM household WHERE commune_code = ?1 AND deleted = 0")? as u64,
                households_reviewed: one(
                    "SELECT count(DISTINCT s.household_id) FROM survey s
                     WHERE s.deleted = 0 AND s.round_id = (
                       SELECT id FROM review_round WHERE commune_code = ?1 AND deleted = 0
                       ORDER BY year DESC, coalesce(month, 0) DESC LIMIT 1)",
                )? as u64,
                open_conflicts: one(
                    "SELECT count(*) FROM conflict WHERE
                       (entity = 'household' AND row_id IN (SELECT id FROM household WHERE commune_code = ?1))
                       OR (entity = 'member' AND row_id IN (SELECT m.id FROM member m JOIN household h ON h.id = m.household_id WHERE h.commune_code = ?1))",
                )? as u64,
                commune_code: c.clone(),
                name,
            });
        }
        Ok(out)
    }

    /// Sent, received, acknowledged and pending, per peer.
    pub fn exchange_status(&self) -> Result<ExchangeStatus> {
        let conn = self.conn();
        let me = load_me(conn)?;
        let nodes = load_nodes(conn)?;
        let short = |id: &str| {
            nodes
                .iter()
                .find(|n| n.node_id == id)
                .map(|n| n.short_code.clone())
                .unwrap_or_else(|| id.to_owned())
        };
        let mut stmt = conn.prepare(
            "SELECT package_id, direction, kind, sender, receiver, pkg_seq, file_name, file_sha256, bytes, status,
                    reason, ops, ops_new, ops_duplicate, conflicts, device_time
             FROM package_log ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PackageLogEntry {
                package_id: r.get(0)?,
                direction: r.get(1)?,
                kind: r.get(2)?,
                sender: r.get(3)?,
                receiver: r.get(4)?,
                pkg_seq: r.get(5)?,
                file_name: r.get(6)?,
                file_sha256: r.get(7)?,
                bytes: r.get(8)?,
                status: r.get(9)?,
                reason: r.get(10)?,
                ops: r.get(11)?,
                ops_new: r.get(12)?,
                ops_duplicate: r.get(13)?,
                conflicts: r.get(14)?,
                device_time: r.get(15)?,
            })
        })?;
        let (mut sent, mut received) = (Vec::new(), Vec::new());
        for r in rows {
            let mut e = r?;
            e.sender = short(&e.sender);
            e.receiver = short(&e.receiver);
            if e.direction == "out" {
                sent.push(e);
            } else {
                received.push(e);
            }
        }
        let mut acks = Vec::new();
        let mut stmt = conn
            .prepare("SELECT peer, origin, contiguous_seq FROM peer_ack ORDER BY peer, origin")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for r in rows {
            let (peer, origin, seq) = r?;
            acks.push(AckEntry {
                peer_short_code: short(&peer),
                origin_short_code: short(&origin),
                peer,
                origin,
                contiguous_seq: seq,
            });
        }
        let mut pending = Vec::new();
        let peers: Vec<&NodeInfo> = nodes
            .iter()
            .filter(|n| n.node_id != me.node.node_id && n.sign_pk.is_some())
            .filter(|n| {
                if me.is_office() {
                    n.role != "office" && n.cert.is_some()
                } else {
                    n.role == "office"
                        || (n.role == "commune_officer" && me.node.role == "reviewer")
                }
            })
            .collect();
        for p in peers {
            pending.push(PendingEntry {
                receiver: p.node_id.clone(),
                short_code: p.short_code.clone(),
                role: p.role.clone(),
                commune_code: p.commune_code.clone(),
                ops: count_ops_for(conn, &me, p)?,
            });
        }
        let office = nodes
            .iter()
            .find(|n| n.role == "office" && n.sign_pk.is_some())
            .map(|n| n.node_id.clone());
        Ok(ExchangeStatus {
            node: me.node.node_id.clone(),
            role: me.node.role.clone(),
            short_code: me.node.short_code.clone(),
            commune_code: me.commune_code.clone(),
            enrolled: me.node.enrolled(),
            office,
            stale_copy: self.setting(STALE_SETTING)?,
            office_restored: self.setting(OFFICE_RESTORED_SETTING)?,
            sent,
            received,
            acks,
            pending,
            holdings: holdings(conn, None)?,
            communes: if me.is_office() {
                self.consolidated_view()?
            } else {
                Vec::new()
            },
            devices: nodes,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn log_in(
    conn: &Connection,
    package_id: &str,
    kind: &str,
    sender: &str,
    receiver: &str,
    pkg_seq: u64,
    file_name: &str,
    file_sha256: &str,
    bytes: u64,
    status: &str,
    reason: Option<&str>,
    ops: u64,
    counts: (u64, u64, i64),
    now: &str,
) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO package_log (package_id, direction, kind, sender, receiver, pkg_seq, file_name, file_sha256, bytes,
            status, reason, ops, ops_new, ops_duplicate, conflicts, device_time)
         VALUES (?1, 'in', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            package_id,
            kind,
            sender,
            receiver,
            pkg_seq as i64,
            file_name,
            file_sha256,
            bytes as i64,
            status,
            reason,
            ops as i64,
            counts.0 as i64,
            counts.1 as i64,
            counts.2,
            now
        ],
    )?;
    Ok(())
}

/// Stores the roster carried by an office package (each certificate verified against the pinned
/// office key); only this commune's devices are kept. Returns false if a certificate is invalid.
fn store_roster(
    conn: &Connection,
    me: &Me,
    office: &NodeInfo,
    pkg: &OpenedPackage,
    now: &str,
) -> Result<std::result::Result<(), String>> {
    let office_keys = ex::PublicKeys {
        sign_pk: office.sign_pk.clone().unwrap_or_default(),
        enc_recipient: office.enc_recipient.clone().unwrap_or_default(),
    };
    let mut certs: Vec<DeviceCertificate> = Vec::new();
    if pkg.header.kind == PackageKind::EnrolResponse {
        // Issued with the office's current keys, which may be newer than the pinned ones.
        let mut found = Err(String::new());
        for k in std::iter::once(office_keys.clone())
            .chain(rollover::office_key_candidates(conn, office)?)
        {
            match DeviceCertificate::from_package(pkg, &k, &me.node.node_id, &me.keys.public()) {
                Ok(c) => {
                    found = Ok(c);
                    break;
                }
                Err(e) => found = Err(e.to_string()),
            }
        }
        match found {
            Ok(c) => certs.push(c),
            Err(e) => return Ok(Err(e)),
        }
    }
    if let Some(list) = pkg.section(ROSTER_SECTION) {
        let Ok(list) = serde_json::from_value::<Vec<DeviceCertificate>>(list.clone()) else {
            return Ok(Err("danh sách thiết bị trong gói không đọc được.".into()));
        };
        for c in list {
            if let Err(e) = rollover::verify_certificate(conn, office, &c)? {
                return Ok(Err(e));
            }
            certs.push(c);
        }
    }
    for c in certs {
        if c.commune_code != me.commune_code {
            continue;
        }
        if c.node_id == me.node.node_id && c.public_keys() != me.keys.public() {
            return Ok(Err(
                "chứng thư trong gói cấp cho khoá khác với khoá của máy này.".into(),
            ));
        }
        let json = serde_json::to_string(&c)
            .map_err(|_| Error::Invalid("Không ghi được chứng thư.".into()))?;
        // A newer serial supersedes; an older one never replaces a newer certificate.
        conn.execute(
            "INSERT INTO node (node_id, short_code, role, commune_code, sign_pk, enc_recipient, cert, cert_serial, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(node_id) DO UPDATE SET short_code = excluded.short_code, role = excluded.role,
               commune_code = excluded.commune_code, sign_pk = excluded.sign_pk, enc_recipient = excluded.enc_recipient,
               cert = excluded.cert, cert_serial = excluded.cert_serial
             WHERE node.cert_serial IS NULL OR node.cert_serial <= excluded.cert_serial",
            params![c.node_id, c.short_code, role_str(c.role), c.commune_code, c.sign_pk, c.enc_recipient, json, c.serial as i64, now],
        )?;
    }
    if let Some(list) = pkg.section(REVOCATIONS_SECTION).and_then(Value::as_array) {
        for r in list {
            let (Some(id), Some(after)) = (r["node_id"].as_str(), r["revoked_after_seq"].as_i64())
            else {
                return Ok(Err("danh sách thu hồi trong gói không đọc được.".into()));
            };
            conn.execute(
                "UPDATE node SET revoked_after_seq = ?2 WHERE node_id = ?1 AND commune_code = ?3",
                params![id, after, me.commune_code],
            )?;
        }
    }
    Ok(Ok(()))
}

/// What this node stores of an op it already holds, to tell a copy of it from another op under
/// the same key: the hash of its body, or (kept in its package without a hash,
/// [`crate::op_pack::HeldLines`]) where its line is.
enum HeldBody {
    Hash(Vec<u8>),
    Line(String, i64),
}

/// [`HeldBody`] of every op of `ops` this node already holds, keyed by (origin, seq): one range
/// query per origin instead of a probe per op (a fresh commune's package holds none; a re-sent
/// one, all).
fn held_bodies<'a>(
    tx: &Connection,
    ops: &'a [Op],
) -> Result<crate::FastMap<(&'a str, i64), HeldBody>> {
    let mut ranges: crate::FastMap<&str, (i64, i64)> = crate::FastMap::default();
    for op in ops {
        let r = ranges.entry(op.origin.as_str()).or_insert((op.seq, op.seq));
        r.0 = r.0.min(op.seq);
        r.1 = r.1.max(op.seq);
    }
    let mut stmt = tx.prepare_cached(
        "SELECT seq, body_sha256, received_in, pack_line FROM op WHERE origin = ?1 AND seq BETWEEN ?2 AND ?3",
    )?;
    let mut out = crate::FastMap::default();
    for (origin, (lo, hi)) in ranges {
        let rows = stmt.query_map(params![origin, lo, hi], |r| {
            let (seq, hash) = (r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?);
            let place = (r.get::<_, Option<String>>(2)?, r.get::<_, Option<i64>>(3)?);
            Ok((
                seq,
                match (hash.is_empty(), place) {
                    (true, (Some(package), Some(line))) => HeldBody::Line(package, line),
                    _ => HeldBody::Hash(hash),
                },
            ))
        })?;
        for row in rows {
            let (seq, held) = row?;
            out.insert((origin, seq), held);
        }
    }
    Ok(out)
}

/// Steps B9–C12 of SYNC §3.7 inside the caller's transaction. `Ok(None)` = applied.
#[allow(clippy::too_many_arguments)]
fn apply_package(
    tx: &Connection,
    me: &Me,
    sender: &NodeInfo,
    pkg: &OpenedPackage,
    ops: &[Op],
    bodies: Option<Vec<EncodedBody>>,
    file_name: &str,
    file_bytes: u64,
    now: &str,
    steps: &mut Steps,
    report: &mut ImportReport,
    known_ids: Option<&mut crate::review_items::KnownIdNumbers>,
) -> Result<Option<Verdict>> {
    // Roster and revocations first: relayed ops of this commune's other devices need them.
    if sender.role == "office" {
        if let Err(m) = rollover::apply_statements(tx, me, sender, pkg, now)? {
            return Ok(Some(Verdict::Reject {
                kind: "bad_key_rollover",
                reason: format!("Nội dung gói không hợp lệ: {m}"),
            }));
        }
        if let Err(m) = store_roster(tx, me, sender, pkg, now)? {
            return Ok(Some(Verdict::Reject {
                kind: "bad_certificate",
                reason: format!("Nội dung gói không hợp lệ: {m}"),
            }));
        }
    }
    steps.step()?;
    let nodes = nodes_by_id(tx)?;
    // The commune this package may touch.
    let allowed_commune = if me.is_office() {
        sender.commune_code.clone()
    } else {
        Some(me.commune_code.clone())
    };
    // Rows created earlier in the same package (parents before children), built only when an
    // op's commune was not worked out from the package ahead (`EncodedBody::commune_hint`).
    let mut pending: Option<crate::ledger::PendingMaps<'_>> = None;
    let bodies = bodies.filter(|b| b.len() == ops.len());
    // Ops to apply, by index (cloned only when some are set aside).
    let mut keep: Vec<bool> = Vec::with_capacity(ops.len());
    let mut set_aside = 0u64;
    let (mut held_duplicates, mut held_lamport) = (0u64, 0i64);
    let held_bodies = held_bodies(tx, ops)?;
    let mut held_lines = crate::op_pack::HeldLines::default();
    // The arriving op lines, by index, only once a held op is compared by its line.
    let mut arriving: Option<Vec<&str>> = None;
    let mut in_package: crate::FastMap<(&str, i64), usize> =
        crate::FastMap::with_capacity_and_hasher(ops.len(), Default::default());
    for (idx, op) in ops.iter().enumerate() {
        let origin = nodes.get(&op.origin);
        // Origin enrolled, and of the sender's commune (or the sender is the office).
        let origin_ok = match origin {
            None => false,
            Some(o) if o.node_id == me.node.node_id => !me.is_office(),
            Some(o) if o.role == "office" => !me.is_office() && sender.role == "office",
            Some(o) => {
                o.enrolled()
                    && o.commune_code.is_some()
                    && o.commune_code == allowed_commune
                    && (sender.role == "office" || o.commune_code == sender.commune_code)
            }
        };
        if !origin_ok {
            return Ok(Some(Verdict::Quarantine {
                kind: "unknown_origin",
                reason: format!(
                    "Gói chứa thao tác của thiết bị chưa đăng ký hoặc thuộc xã khác ({}); cả gói được để riêng (cách ly) chờ kiểm tra, không có gì được áp dụng.",
                    origin.map(|o| o.short_code.clone()).unwrap_or_else(|| op.origin.clone())
                ),
                flag: None,
            }));
        }
        let computed;
        let rc: Option<&str> = match bodies.as_ref().and_then(|b| b[idx].commune_hint.as_ref()) {
            Some(hint) => hint.as_deref(),
            None => {
                let (p, pp) = pending.get_or_insert_with(|| crate::ledger::pending_maps(ops));
                computed = row_commune(tx, op, p, pp)?;
                computed.as_deref()
            }
        };
        if rc.is_some() && rc != allowed_commune.as_deref() {
            return Ok(Some(Verdict::Quarantine {
                kind: "wrong_commune",
                reason: format!(
                    "Gói chứa dữ liệu của xã khác (mã {}); cả gói được để riêng (cách ly) chờ kiểm tra, không có gì được áp dụng.",
                    rc.unwrap_or_default()
                ),
                flag: None,
            }));
        }
        // Equivocation: the same (origin, seq) with another body, here or within the package.
        // Bodies are compared only when the key is already known (rare but for re-sent
        // packages), not for every op.
        let known = held_bodies.get(&(op.origin.as_str(), op.seq));
        let twin_index = in_package.insert((op.origin.as_str(), op.seq), idx);
        let held = known.is_some();
        let differs_from_held = match known {
            None => false,
            Some(HeldBody::Hash(k)) => *k != op.body_hash()?,
            Some(HeldBody::Line(package, line)) => {
                let lines = arriving.get_or_insert_with(|| {
                    let lines: Vec<&str> = pkg.ops.iter().collect();
                    lines
                });
                let line_here = lines.get(idx).copied().filter(|_| lines.len() == ops.len());
                !held_lines.same_body(tx, package, *line, op, line_here)?
            }
        };
        let differs_from_twin = match twin_index {
            Some(j) => ops[j].body_hash()? != op.body_hash()?,
            None => false,
        };
        if differs_from_held || differs_from_twin {
            let who = origin.map(|o| o.short_code.clone()).unwrap_or_default();
            return Ok(Some(Verdict::Quarantine {
                kind: "equivocation",
                reason: format!(
                    "Phát hiện hai thao tác khác nhau cùng mã (thiết bị {who}, số {}): máy có thể đã bị sao chép hoặc khôi phục từ bản sao lưu cũ. Gói được để riêng và thiết bị bị đánh dấu.",
                    op.seq
                ),
                flag: Some(op.origin.clone()),
            }));
        }
        // Revoked device: ops after the revocation point are set aside, the rest proceeds.
        if let Some(after) = origin
            .and_then(|o| o.revoked_after_seq)
            .filter(|after| op.seq > *after)
        {
            set_aside += 1;
            keep.push(false);
            let line = serde_json::to_string(op)
                .map_err(|_| Error::Invalid("Không ghi được thao tác.".into()))?;
            tx.execute(
                "INSERT OR IGNORE INTO op_set_aside (origin, seq, package_id, op, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    op.origin,
                    op.seq,
                    pkg.header.package_id,
                    line,
                    format!(
                        "Thiết bị đã bị thu hồi chứng thư sau thao tác số {after}: thao tác này không được áp dụng."
                    )
                ],
            )?;
            continue;
        }
        // Already held with the same body, or a copy of an earlier op of the package: a
        // duplicate, which `apply_op` would only count. A re-sent cumulative package (lost
        // acknowledgement) is mostly such ops. What is applied then has only new keys.
        if held || twin_index.is_some() {
            held_duplicates += 1;
            held_lamport = held_lamport.max(op.lamport);
            keep.push(false);
            continue;
        }
        keep.push(true);
    }
    steps.step()?;
    // The package's plaintext is kept once for the ops applied from it: op `i` is its line
    // `i + 1` (the manifest is line 0).
    let lines: Option<Vec<i64>> = if keep.iter().any(|k| *k) && pkg.ops.len() == ops.len() {
        crate::op_pack::store(tx, &pkg.header.package_id, &pkg.plaintext)?;
        Some((1..=ops.len() as i64).collect())
    } else {
        None
    };
    let mut applied = if set_aside == 0 && held_duplicates == 0 {
        apply_ops_encoded(
            tx,
            ops,
            bodies,
            Some(&pkg.header.package_id),
            lines.as_deref(),
            known_ids,
            true,
        )?
    } else {
        let to_apply: Vec<Op> = ops
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(op, _)| op.clone())
            .collect();
        let lines: Option<Vec<i64>> = lines.map(|l| {
            l.into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(l, _)| l)
                .collect()
        });
        let bodies: Option<Vec<EncodedBody>> = bodies.map(|b| {
            b.into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(b, _)| b.alone())
                .collect()
        });
        apply_ops_encoded(
            tx,
            &to_apply,
            bodies,
            Some(&pkg.header.package_id),
            lines.as_deref(),
            known_ids,
            true,
        )?
    };
    if held_duplicates > 0 {
        applied.duplicate += held_duplicates;
        tx.execute(
            "UPDATE local_node SET lamport = max(lamport, ?1) WHERE id = 1",
            params![held_lamport],
        )?;
    }
    steps.step()?;
    // Acknowledgements: what the sender durably holds.
    let mut stale = None;
    let mut restored: Option<String> = None;
    if let Some(acks) = pkg.section(ACKS_SECTION) {
        let Ok(acks) = serde_json::from_value::<BTreeMap<String, i64>>(acks.clone()) else {
            return Ok(Some(Verdict::Reject {
                kind: "bad_payload",
                reason: "Nội dung gói không hợp lệ: phần xác nhận (acks) không đọc được.".into(),
            }));
        };
        for (origin, seq) in acks {
            if ex::validate_node_id(&origin).is_err() || seq < 0 {
                continue;
            }
            tx.execute(
                "INSERT INTO peer_ack (peer, origin, contiguous_seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT(peer, origin) DO UPDATE SET contiguous_seq = max(contiguous_seq, excluded.contiguous_seq)",
                params![sender.node_id, origin, seq],
            )?;
            if sender.role == "office" && origin == me.node.node_id {
                let next: i64 =
                    tx.query_row("SELECT next_seq FROM local_node WHERE id = 1", [], |r| {
                        r.get(0)
                    })?;
                if seq >= next {
                    stale = Some(format!(
                        "Văn phòng đã nhận thao tác số {seq} của máy này nhưng máy chỉ mới ghi đến số {}: đây là bản sao cũ (khôi phục từ bản sao lưu hoặc máy bị sao chép). Ngừng ghi dữ liệu; hãy đăng ký lại máy như một thiết bị mới.",
                        next - 1
                    ));
                }
            } else if me.is_office() && sender.role != "office" && origin == me.node.node_id {
                // A commune holds office ops up to `seq`; if this office never wrote them, it was
                // restored from a backup. Number the next ops after them (reusing a number would be
                // an equivocation at every commune) and tell the officer what was lost.
                let next: i64 =
                    tx.query_row("SELECT next_seq FROM local_node WHERE id = 1", [], |r| {
                        r.get(0)
                    })?;
                if seq >= next {
                    tx.execute(
                        "UPDATE local_node SET next_seq = ?1 WHERE id = 1",
                        params![seq + 1],
                    )?;
                    let msg = format!(
                        "Máy văn phòng đã được khôi phục từ bản sao lưu: xã đang giữ các thao tác số {next} đến {seq} của văn phòng (quyết định, sửa đổi đã gửi về sau lần sao lưu) nhưng máy này không còn. Các xã vẫn giữ hiệu lực của chúng; hãy xem lại và ra lại những quyết định cần thiết. Thao tác mới của văn phòng được đánh số từ {}.",
                        seq + 1
                    );
                    tx.execute(
                        "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        params![OFFICE_RESTORED_SETTING, msg],
                    )?;
                    restored = Some(msg);
                }
            }
        }
    }
    // The office asks again for ops it lacks: what it acknowledged before no longer holds.
    if sender.role == "office" {
        if let Some(resend) = pkg.section(RESEND_SECTION) {
            let Ok(resend) = serde_json::from_value::<BTreeMap<String, i64>>(resend.clone()) else {
                return Ok(Some(Verdict::Reject {
                    kind: "bad_payload",
                    reason:
                        "Nội dung gói không hợp lệ: phần yêu cầu gửi lại (resend) không đọc được."
                            .into(),
                }));
            };
            for (origin, from) in resend {
                if ex::validate_node_id(&origin).is_err() || from < 1 {
                    continue;
                }
                tx.execute(
                    "UPDATE peer_ack SET contiguous_seq = min(contiguous_seq, ?3)
                     WHERE peer = ?1 AND origin = ?2",
                    params![sender.node_id, origin, from - 1],
                )?;
            }
        }
    }
    if let Some(reason) = &stale {
        tx.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![STALE_SETTING, reason],
        )?;
    }
    steps.step()?;
    if let Some(list) = pkg.section(REASONS_SECTION).and_then(Value::as_array) {
        for r in list {
            if let (Some(o), Some(s), Some(text)) = (
                r["origin"].as_str(),
                r["seq"].as_i64(),
                r["reason"].as_str(),
            ) {
                tx.execute(
                    "INSERT OR IGNORE INTO op_reason (origin, seq, reason) VALUES (?1, ?2, ?3)",
                    params![o, s, text],
                )?;
            }
        }
    }
    steps.step()?;
    let h = &pkg.header;
    log_in(
        tx,
        &h.package_id,
        h.kind.as_str(),
        &h.sender_node,
        &h.receiver_node,
        h.pkg_seq,
        file_name,
        &pkg.file_sha256,
        file_bytes,
        "imported",
        stale.as_deref(),
        ops.len() as u64,
        (applied.new, applied.duplicate, applied.new_conflicts),
        now,
    )?;
    steps.step()?;
    audit(
        tx,
        now,
        "import_package",
        &json!({"package_id": h.package_id, "kind": h.kind.as_str(), "sender": h.sender_node,
                "ops_new": applied.new, "ops_duplicate": applied.duplicate,
                "conflicts": applied.new_conflicts, "set_aside": set_aside}),
    )?;
    steps.step()?;
    report.ops_new = applied.new;
    report.ops_duplicate = applied.duplicate;
    report.conflicts = applied.new_conflicts;
    report.set_aside = set_aside;
    if let Some(s) = stale {
        report.reason = Some(s);
        report.reason_kind = Some("stale_copy".into());
    } else if let Some(r) = restored {
        report.reason = Some(r);
        report.reason_kind = Some("office_restored".into());
    } else if set_aside > 0 {
        report.reason = Some(format!(
            "{set_aside} thao tác của thiết bị đã bị thu hồi được để riêng, không áp dụng."
        ));
        report.reason_kind = Some("revoked".into());
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of a body built in one go are the map serde_json builds field by field: in
    /// any order, with nested values, and a field given twice keeping its last value.
    #[test]
    fn a_bodys_fields_built_in_one_go_are_the_map_built_field_by_field() {
        for set in [
            r#"{"b":1,"a":"x","c":[1,{"z":2,"y":null}]}"#,
            r#"{"full_name":"Lò Thị Mai","id_number":"001","full_name":"Lò Văn Páo"}"#,
            r#"{}"#,
        ] {
            let line = format!(r#"{{"set":{set},"base":{{"a":[["o",1]]}}}}"#);
            let one_go: StrictBody = serde_json::from_str(&line).expect("one go");
            let by_field: serde_json::Map<String, Value> = serde_json::from_str(set).expect("map");
            assert_eq!(one_go.set, by_field, "{set}");
            assert_eq!(one_go.base.len(), 1);
        }
        assert_eq!(
            serde_json::from_str::<StrictBody>(r#"{"set":{"a":1},"sets":{}}"#)
                .ok()
                .map(|b| b.set.len()),
            None,
            "an unknown key of the body is still refused"
        );
        assert!(serde_json::from_str::<StrictBody>(r#"{"set":[1]}"#).is_err());
    }

    /// The office's return-package query reads two parts through two indexes (migration 8). It
    /// must select exactly what the single filter it replaced selected: the receiving commune's
    /// rows and rows of no commune except user accounts, past what the receiver acknowledged,
    /// never the receiver's own ops. Checked on varied ops, origins and acknowledgements.
    #[test]
    fn the_office_query_in_two_parts_selects_what_the_single_filter_selected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = crate::db::open(&dir.path().join("q.db")).expect("open");
        let nodes: &[(&str, &str, Option<&str>)] = &[
            ("office", "office", None),
            ("a1", "commune_officer", Some("01000")),
            ("a2", "reviewer", Some("01000")),
            ("b1", "commune_officer", Some("01007")),
            ("loose", "reviewer", None),
        ];
        for (id, role, commune) in nodes {
            conn.execute(
                "INSERT INTO node (node_id, short_code, role, commune_code, created_at) VALUES (?1, ?1, ?2, ?3, '')",
                params![id, role, commune],
            )
            .expect("node");
        }
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let scopes = [Some("01000"), Some("01007"), None];
        let entities = ["household", "member", "user", "ruleset"];
        for (origin, role, commune) in nodes {
            let authority = crate::ledger::authority_of_role(role);
            for seq in 1..=60 {
                let scope = match (role, commune) {
                    (&"office", _) | (_, None) => scopes[next(3) as usize],
                    (_, Some(c)) => Some(*c),
                };
                conn.execute(
                    "INSERT INTO op (origin, seq, lamport, authority, user_id, device_time, entity, row_id, kind, body, body_sha256, schema_ver, received_in, scope)
                     VALUES (?1, ?2, ?2, ?3, 'u', '', ?4, 'r', 'create', '{}', x'00', 2, NULL, ?5)",
                    params![origin, seq, authority, entities[next(4) as usize], scope],
                )
                .expect("op");
            }
        }
        for peer in ["a1", "a2", "b1"] {
            for (origin, _, _) in nodes {
                if next(2) == 0 {
                    conn.execute(
                        "INSERT INTO peer_ack (peer, origin, contiguous_seq) VALUES (?1, ?2, ?3)",
                        params![peer, origin, next(70) as i64],
                    )
                    .expect("ack");
                }
            }
        }
        let old = "SELECT o.origin, o.seq FROM op o LEFT JOIN peer_ack a ON a.peer = ?1 AND a.origin = o.origin
                   WHERE o.origin <> ?1 AND o.seq > coalesce(a.contiguous_seq, 0)
                     AND (o.scope = ?2 OR (o.scope IS NULL AND o.entity <> 'user'))
                   ORDER BY o.origin, o.seq";
        let keys = |sql: &str, receiver: &str, commune: Option<&str>| -> Vec<(String, i64)> {
            conn.prepare(sql)
                .expect("prepare")
                .query_map(params![receiver, commune], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("query")
                .collect::<rusqlite::Result<_>>()
                .expect("rows")
        };
        let mut compared = 0;
        for (receiver, commune) in [
            ("a1", Some("01000")),
            ("a2", Some("01000")),
            ("b1", Some("01007")),
            ("loose", None),
        ] {
            let (new, param) = ops_for_sql_of(
                true,
                "",
                commune,
                "o.origin, o.seq",
                "ORDER BY o.origin, o.seq",
            );
            assert_eq!(param.as_deref(), commune);
            let want = keys(old, receiver, commune);
            assert_eq!(keys(&new, receiver, commune), want, "receiver {receiver}");
            compared += want.len();
        }
        assert!(
            compared > 100,
            "the data exercises the query ({compared} ops)"
        );
    }
}
