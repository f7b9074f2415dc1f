//! Received ops' text kept in the package they arrived in (gói nguồn của thao tác; `op_pack`,
//! migration 9).
//!
//! An op applied from an imported package has an `op` row with an empty `body`, `user_id` and
//! `device_time` and `pack_line` = its line in the package's plaintext, which is stored once per
//! package as the sender compressed it ([`store`]). Ops written on this node, and received ops
//! stored before migration 9, keep their text in the row (`pack_line` NULL). [`StoredText`] is
//! the one way to read an op's author, device time and body, whichever way it is stored.
//! Such a row's `body_sha256` is empty when it was stored without one (imports since session 10):
//! the hash is worked out from the line only when the same key arrives again ([`HeldLines`]).

use crate::error::{Error, Result};
use crate::exchange::{StoredPlaintext, COMPRESSION_DEFLATE};
use crate::ledger::{decode_body, Op, OpBody};
use rusqlite::{params, Connection, OptionalExtension, Row};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

/// Whether a received op keeps its text in its package only: an op setting fields of one of
/// the register's rows of one household or review round, which are nearly all of a commune's
/// ops and are read back rarely (a review item, a household's history). Such an op is found by
/// its row through the row's revision state ([`row_ops`]), which names every op that set
/// a field of it: the log's `row_id` index (`op_row`) covers only the ops kept in their row.
/// Rows every commune writes (province, commune, rule sets, users, office decisions) keep their
/// text in the row: each commune's package brings a concurrent head of the province, whose
/// value is read back at every later import, and reading a packaged op inflates its package.
pub(crate) fn kept_in_package(op: &Op) -> bool {
    !op.body.set.is_empty()
        && matches!(
            op.entity.as_str(),
            "household"
                | "member"
                | "household_event"
                | "survey"
                | "application"
                | "village_meeting"
                | "complaint"
                | "certificate"
        )
}

/// Every op on a row, in (origin, seq) order, wherever its text is.
pub(crate) fn row_ops(conn: &Connection, entity: &str, row_id: &str) -> Result<Vec<Op>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM op WHERE rowid = ?1",
        OpRow::columns("")
    ))?;
    let mut rows = Vec::new();
    for id in row_op_rowids(conn, entity, row_id)? {
        rows.push(stmt.query_row([id], |r| OpRow::read(r, 0))?);
    }
    let mut ops = rows
        .into_iter()
        .map(|r| r.into_op(conn))
        .collect::<Result<Vec<Op>>>()?;
    ops.sort_by(|a, b| (&a.origin, a.seq).cmp(&(&b.origin, b.seq)));
    Ok(ops)
}

/// The `op` rowids of every op on a row: those kept in their row through the partial index
/// `op_row`, those kept in their package through the row's revision state
/// ([`crate::ledger::rev_keys`]).
fn row_op_rowids(conn: &Connection, entity: &str, row_id: &str) -> Result<Vec<i64>> {
    let mut out: Vec<i64> = conn
        .prepare_cached(
            "SELECT rowid FROM op WHERE row_id = ?1 AND pack_line IS NULL AND entity = ?2",
        )?
        .query_map([row_id, entity], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut packaged = conn.prepare_cached(
        "SELECT rowid FROM op WHERE origin = ?1 AND seq = ?2
           AND pack_line IS NOT NULL AND row_id = ?3 AND entity = ?4",
    )?;
    for k in crate::ledger::rev_keys(conn, entity, row_id)? {
        if let Some(id) = packaged
            .query_row(params![k.0, k.1, row_id, entity], |r| r.get(0))
            .optional()?
        {
            out.push(id);
        }
    }
    Ok(out)
}

/// Keeps an imported package's plaintext for the ops applied from it (once per package).
pub(crate) fn store(conn: &Connection, package_id: &str, plain: &StoredPlaintext) -> Result<()> {
    let sha = Sha256::digest(&plain.content).to_vec();
    conn.prepare_cached(
        "INSERT OR IGNORE INTO op_pack (package_id, compression, content, content_sha256)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![package_id, plain.compression, plain.content, sha])?;
    Ok(())
}

/// `"alias."`, or nothing for no alias: how a column list names the op table.
fn column_prefix(alias: &str) -> String {
    if alias.is_empty() {
        String::new()
    } else {
        format!("{alias}.")
    }
}

/// The text columns of an op row, as selected by [`StoredText::columns`].
#[derive(Debug, Clone)]
pub(crate) struct StoredText {
    user_id: String,
    device_time: String,
    body: String,
    received_in: Option<String>,
    pack_line: Option<i64>,
    body_sha256: Vec<u8>,
}

/// An op's author, device time and body, wherever they are stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OpText {
    pub user_id: String,
    pub device_time: String,
    pub body: OpBody,
}

impl StoredText {
    /// The columns to select, of the op table under `alias` ("" for none).
    pub(crate) fn columns(alias: &str) -> String {
        let p = column_prefix(alias);
        format!("{p}user_id, {p}device_time, {p}body, {p}received_in, {p}pack_line, {p}body_sha256")
    }

    /// Reads the columns of [`StoredText::columns`] starting at index `first`.
    pub(crate) fn read(r: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(StoredText {
            user_id: r.get(first)?,
            device_time: r.get(first + 1)?,
            body: r.get(first + 2)?,
            received_in: r.get(first + 3)?,
            pack_line: r.get(first + 4)?,
            body_sha256: r.get(first + 5)?,
        })
    }

    /// The package the op arrived in (`None`: written on this node).
    pub(crate) fn received_in(&self) -> Option<&str> {
        self.received_in.as_deref()
    }

    /// The op's text: from its row, or from its line in the package it arrived in, checked
    /// against the op's key and body hash (a damaged log is reported, never read as another op).
    pub(crate) fn resolve(
        self,
        conn: &Connection,
        origin: &str,
        seq: i64,
        entity: &str,
    ) -> Result<OpText> {
        let Some(line) = self.pack_line else {
            return Ok(OpText {
                body: decode_body(entity, &self.body)?,
                user_id: self.user_id,
                device_time: self.device_time,
            });
        };
        let damaged = |what: &str| {
            Error::Database(format!(
                "Nhật ký thao tác hỏng: không đọc được thao tác ({origin}, {seq}) trong gói đã nhập ({what}). Hãy khôi phục từ bản sao lưu."
            ))
        };
        let package = self
            .received_in
            .as_deref()
            .ok_or_else(|| damaged("thiếu mã gói"))?;
        let lines = pack_lines(conn, package)?.ok_or_else(|| damaged("không còn gói"))?;
        let text = usize::try_from(line)
            .ok()
            .and_then(|i| lines.line(i))
            .ok_or_else(|| damaged("không có dòng này"))?;
        let op: Op = serde_json::from_str(text).map_err(|_| damaged("dòng không đọc được"))?;
        // An op kept in its package since session 10 has no hash of its own (see
        // [`HeldLines`]); the package's content hash was checked when it was read.
        let hash_differs = || -> Result<bool> {
            Ok(!self.body_sha256.is_empty() && op.body_hash()? != self.body_sha256)
        };
        if op.origin != origin || op.seq != seq || hash_differs()? {
            return Err(damaged("dòng không khớp"));
        }
        Ok(OpText {
            user_id: op.user_id,
            device_time: op.device_time,
            body: op.body,
        })
    }
}

/// The op `(origin, seq)`, if the log holds it.
pub(crate) fn op_by_key(conn: &Connection, origin: &str, seq: i64) -> Result<Option<Op>> {
    let row: Option<OpRow> = conn
        .prepare_cached(&format!(
            "SELECT {} FROM op WHERE origin = ?1 AND seq = ?2",
            OpRow::columns("")
        ))?
        .query_row(params![origin, seq], |r| OpRow::read(r, 0))
        .optional()?;
    row.map(|r| r.into_op(conn)).transpose()
}

/// A whole op row, selected with [`OpRow::columns`]: made into an [`Op`] by [`OpRow::into_op`]
/// once the query is done (reading a package's text queries the database again).
#[derive(Debug, Clone)]
pub(crate) struct OpRow {
    origin: String,
    seq: i64,
    lamport: i64,
    authority: i64,
    entity: String,
    row_id: String,
    kind: String,
    schema_ver: i64,
    text: StoredText,
}

impl OpRow {
    /// The columns to select, of the op table under `alias` ("" for none).
    pub(crate) fn columns(alias: &str) -> String {
        let p = column_prefix(alias);
        format!(
            "{p}origin, {p}seq, {p}lamport, {p}authority, {p}entity, {p}row_id, {p}kind, {p}schema_ver, {}",
            StoredText::columns(alias)
        )
    }

    /// Reads the columns of [`OpRow::columns`] starting at index `first`.
    pub(crate) fn read(r: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(OpRow {
            origin: r.get(first)?,
            seq: r.get(first + 1)?,
            lamport: r.get(first + 2)?,
            authority: r.get(first + 3)?,
            entity: r.get(first + 4)?,
            row_id: r.get(first + 5)?,
            kind: r.get(first + 6)?,
            schema_ver: r.get(first + 7)?,
            text: StoredText::read(r, first + 8)?,
        })
    }

    pub(crate) fn into_op(self, conn: &Connection) -> Result<Op> {
        let kind = crate::ledger::OpKind::parse(&self.kind)
            .ok_or_else(|| Error::Database(format!("Loại thao tác không hợp lệ: {}", self.kind)))?;
        let text = self
            .text
            .resolve(conn, &self.origin, self.seq, &self.entity)?;
        Ok(Op {
            origin: self.origin,
            seq: self.seq,
            lamport: self.lamport,
            authority: self.authority,
            user_id: text.user_id,
            device_time: text.device_time,
            entity: self.entity,
            row_id: self.row_id,
            kind,
            body: text.body,
            schema_ver: self.schema_ver,
        })
    }
}

/// A package's plaintext, inflated, with where each line starts.
struct Lines {
    text: String,
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: String) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    fn line(&self, i: usize) -> Option<&str> {
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).map_or(self.text.len(), |e| e - 1);
        self.text.get(start..end)
    }
}

/// The stored lines of ops this node already holds, by package, for telling whether an op
/// arriving again is the same op (a re-sent package, a relayed copy) or another one under the
/// same key (equivocation).
///
/// An op kept in its package is stored with an empty `body_sha256`: hashing every received op's
/// body (its canonical JSON) was ~10 % of a folder import's CPU, and the hash is only ever
/// needed when the same key arrives again. Then the op's stored line is compared with the
/// arriving line: the same bytes are the same op; otherwise the bodies' hashes are compared,
/// the stored one computed from its line.
#[derive(Default)]
pub(crate) struct HeldLines {
    packages: crate::FastMap<String, Arc<Lines>>,
}

impl HeldLines {
    /// Whether `op`, whose line in its arriving package is `arriving`, has the body of the op
    /// stored at line `line` of the kept package `package`. A stored line that is missing or
    /// not that op is a damaged log, reported as such.
    pub(crate) fn same_body(
        &mut self,
        conn: &Connection,
        package: &str,
        line: i64,
        op: &Op,
        arriving: Option<&str>,
    ) -> Result<bool> {
        let damaged = |what: &str| {
            Error::Database(format!(
                "Nhật ký thao tác hỏng: không đọc được thao tác ({}, {}) trong gói đã nhập ({what}). Hãy khôi phục từ bản sao lưu.",
                op.origin, op.seq
            ))
        };
        let lines = match self.packages.get(package) {
            Some(lines) => lines.clone(),
            None => {
                let lines = pack_lines(conn, package)?.ok_or_else(|| damaged("không còn gói"))?;
                self.packages.insert(package.to_owned(), lines.clone());
                lines
            }
        };
        let stored = usize::try_from(line)
            .ok()
            .and_then(|i| lines.line(i))
            .ok_or_else(|| damaged("không có dòng này"))?;
        if arriving == Some(stored) {
            return Ok(true);
        }
        let held: Op = serde_json::from_str(stored).map_err(|_| damaged("dòng không đọc được"))?;
        if held.origin != op.origin || held.seq != op.seq {
            return Err(damaged("dòng không khớp"));
        }
        Ok(held.body_hash()? == op.body_hash()?)
    }
}

/// Packages inflated lately, most recent first, by content hash, for the whole process (a cache
/// needs no invalidation: the same hash is the same text, in whichever ledger). Reading ops goes
/// in (origin, seq) order or by row, so a few packages cover a run of reads. A 5,000-household
/// commune's first package is ~29 MB of text: the budget holds three such.
const CACHE_BUDGET_BYTES: usize = 96 << 20;

static CACHE: Mutex<PackCache> = Mutex::new(PackCache {
    entries: VecDeque::new(),
});

/// Inflated packages by content hash, most recently used first.
struct PackCache {
    entries: VecDeque<(Vec<u8>, Arc<Lines>)>,
}

impl PackCache {
    /// The package with this content hash, now the most recently used.
    fn get(&mut self, sha: &[u8]) -> Option<Arc<Lines>> {
        let i = self.entries.iter().position(|(h, _)| h == sha)?;
        let entry = self.entries.remove(i)?;
        let lines = Arc::clone(&entry.1);
        self.entries.push_front(entry);
        Some(lines)
    }

    /// Adds a package, then drops the least recently used ones while the text held is over
    /// `budget` bytes (the one just added always stays).
    fn put(&mut self, sha: Vec<u8>, lines: Arc<Lines>, budget: usize) {
        self.entries.retain(|(h, _)| *h != sha); // another thread may have inflated it meanwhile
        self.entries.push_front((sha, lines));
        while self.entries.len() > 1
            && self
                .entries
                .iter()
                .map(|(_, l)| l.text.len())
                .sum::<usize>()
                > budget
        {
            self.entries.pop_back();
        }
    }
}

fn pack_lines(conn: &Connection, package: &str) -> Result<Option<Arc<Lines>>> {
    let sha: Option<Vec<u8>> = conn
        .prepare_cached("SELECT content_sha256 FROM op_pack WHERE package_id = ?1")?
        .query_row([package], |r| r.get(0))
        .optional()?;
    let Some(sha) = sha else {
        return Ok(None);
    };
    let hit = {
        let mut c = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        c.get(&sha)
    };
    if let Some(lines) = hit {
        return Ok(Some(lines));
    }
    use rusqlite::types::Value;
    let damaged = || {
        Error::Database(format!(
            "Nhật ký thao tác hỏng: gói đã nhập {package} không đọc được. Hãy khôi phục từ bản sao lưu."
        ))
    };
    let (compression, content): (Value, Value) = conn
        .prepare_cached("SELECT compression, content FROM op_pack WHERE package_id = ?1")?
        .query_row([package], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (compression, content) = match (compression, content) {
        (Value::Null, Value::Blob(c)) => (None, c),
        (Value::Text(k), Value::Blob(c)) => (Some(k), c),
        _ => return Err(damaged()),
    };
    if Sha256::digest(&content).as_slice() != sha.as_slice() {
        return Err(damaged());
    }
    let plain = match compression.as_deref() {
        None => content,
        Some(COMPRESSION_DEFLATE) => crate::exchange::package::inflate(
            &content,
            // As when the package was opened: never beyond four times the largest package.
            usize::try_from(crate::exchange::package::DEFAULT_MAX_PACKAGE_BYTES.saturating_mul(4))
                .unwrap_or(usize::MAX),
        )
        .map_err(|_| damaged())?,
        Some(_) => return Err(damaged()),
    };
    let lines = Arc::new(Lines::new(String::from_utf8(plain).map_err(|_| damaged())?));
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).put(
        sha,
        Arc::clone(&lines),
        CACHE_BUDGET_BYTES,
    );
    Ok(Some(lines))
}

#[cfg(test)]
mod tests {
    use super::{Lines, PackCache};
    use std::collections::VecDeque;
    use std::sync::Arc;

    #[test]
    fn the_cache_drops_the_least_recently_used_package_over_its_budget() {
        let mut c = PackCache {
            entries: VecDeque::new(),
        };
        let text = |n: usize| Arc::new(Lines::new("x".repeat(n)));
        c.put(vec![1], text(40), 100);
        c.put(vec![2], text(40), 100);
        assert!(c.get(&[1]).is_some(), "used again: now the most recent");
        c.put(vec![3], text(40), 100);
        assert!(c.get(&[2]).is_none(), "the least recently used went");
        assert!(c.get(&[1]).is_some() && c.get(&[3]).is_some());
        c.put(vec![4], text(500), 100);
        assert_eq!(c.entries.len(), 1, "a package over the budget stays alone");
        assert!(c.get(&[4]).is_some());
        c.put(vec![4], text(10), 100);
        assert_eq!(c.entries.len(), 1, "the same hash is held once");
    }

    #[test]
    fn lines_are_found_by_index_without_their_newline() {
        let l = Lines::new("m\n{\"a\":1}\n\nend\n".to_owned());
        assert_eq!(l.line(0), Some("m"));
        assert_eq!(l.line(1), Some("{\"a\":1}"));
        assert_eq!(l.line(2), Some(""));
        assert_eq!(l.line(3), Some("end"));
        assert_eq!(l.line(4), Some(""));
        assert_eq!(l.line(5), None);
    }
}
