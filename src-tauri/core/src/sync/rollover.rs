//! Office key rollover (đổi khoá của văn phòng, SYNC.md §3.10 "Rotation", cases 23 and 42), the
//! ledger side: the office makes new keys and keeps the retired secret; every later return
//! package (and enrolment response) carries the chain of signed rollover statements
//! ([`ROLLOVERS_SECTION`]) and is signed with the newest key generation the receiving device has
//! shown it holds, so the device can verify it; the device checks each statement against the key
//! it pinned, re-pins, and encrypts later packages to the new key. The office opens packages still
//! encrypted to a retired key until that key's grace period ends (its own clock), then refuses
//! them with a reason; the device's next cumulative export carries the same ops to the new key.
//!
//! Deliberately absent: the statement's format and signatures (that is
//! [`crate::exchange::KeyRollover`]), the rest of the import checks (the parent module), and any
//! rollover of a commune device's keys (a device is re-enrolled as a new node instead).

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{audit, load_me, load_node, Me, NodeInfo};
use crate::error::{Error, Result};
use crate::exchange::{
    self as ex, DeviceCertificate, KeyRollover, KeysFile, KnownSender, Limits, LocalNode, NodeKeys,
    OpenedPackage, PackageError, PublicKeys, Section,
};
use crate::ledger::Ledger;

/// Section of return packages and enrolment responses: every rollover statement of the office,
/// oldest first (`[KeyRollover, …]`).
pub const ROLLOVERS_SECTION: &str = "key_rollovers";
/// Grace period when the caller does not choose one.
pub const DEFAULT_GRACE_DAYS: u32 = 90;
/// Longest grace period accepted.
pub const MAX_GRACE_DAYS: u32 = 3650;

/// What `keys rollover` did.
#[derive(Debug, Clone, Serialize)]
pub struct RolloverResult {
    /// The new key generation (1 for the first rollover).
    pub serial: u64,
    /// Fingerprint of the new keys (to print on the letter to the communes).
    pub fingerprint: String,
    /// Fingerprint of the retired keys.
    pub old_fingerprint: String,
    /// Until when packages encrypted to the retired keys are accepted (RFC 3339, office clock).
    pub grace_until: String,
    /// The new public keys file (for communes set up from now on).
    pub keys_file: KeysFile,
}

/// One generation of an office's keys, as this installation knows it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyGeneration {
    pub node_id: String,
    pub serial: u64,
    pub fingerprint: String,
    /// The keys packages are encrypted to now.
    pub current: bool,
    /// Retired generation: until when packages encrypted to it are accepted (office clock).
    pub grace_until: Option<String>,
    /// Office only: whether the retired secret is still held (packages to it can be opened).
    pub secret_held: bool,
}

/// Why a package could not be opened with any of this node's keys.
pub(super) enum OpenFailure {
    /// A check of the file failed (same handling as before rollovers existed).
    Package(PackageError),
    /// Encrypted to a retired office key whose grace period is over.
    GraceOver(String),
}

fn current_serial(conn: &Connection, office: &str) -> Result<u64> {
    let s: Option<i64> = conn.query_row(
        "SELECT max(serial) FROM office_key WHERE node_id = ?1",
        [office],
        |r| r.get(0),
    )?;
    Ok(s.unwrap_or(0).max(0) as u64)
}

fn seen_serial(conn: &Connection, node: &str) -> Result<Option<u64>> {
    let s: Option<i64> = conn
        .query_row(
            "SELECT serial FROM office_key_seen WHERE node_id = ?1",
            [node],
            |r| r.get(0),
        )
        .optional()?;
    Ok(s.map(|s| s.max(0) as u64))
}

/// Records that `node` has shown it holds office key generation `serial` (never goes back).
pub(super) fn note_seen(conn: &Connection, node: &str, serial: u64) -> Result<()> {
    conn.execute(
        "INSERT INTO office_key_seen (node_id, serial) VALUES (?1, ?2)
         ON CONFLICT(node_id) DO UPDATE SET serial = max(serial, excluded.serial)",
        params![node, serial as i64],
    )?;
    Ok(())
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// `dd/mm/yyyy` in Vietnam time, for messages.
fn vn_date(s: &str) -> String {
    parse_time(s)
        .map(|d| (d + Duration::hours(7)).format("%d/%m/%Y").to_string())
        .unwrap_or_else(|| s.to_owned())
}

fn key_id_hex(sign_pk: &str) -> Option<String> {
    let vk = PublicKeys {
        sign_pk: sign_pk.to_owned(),
        enc_recipient: String::new(),
    }
    .verifying_key()
    .ok()?;
    Some(hex::encode(Sha256::digest(vk.as_bytes())))
}

/// Opens a package addressed to this node: with the current keys, and at an office that rolled
/// its keys over, with a retired key still inside its grace period. Returns the package and the
/// office key generation it was encrypted to (0 when no rollover ever happened). `opened` is
/// `bytes` already opened with the current keys (ahead of time, with the same sender table).
pub(super) fn open_package_any_key(
    conn: &Connection,
    bytes: &[u8],
    me: &Me,
    senders: &dyn Fn(&str) -> Option<KnownSender>,
    lim: &Limits,
    now: DateTime<Utc>,
    opened: Option<OpenedPackage>,
) -> std::result::Result<(OpenedPackage, u64), OpenFailure> {
    let local = LocalNode {
        node_id: &me.node.node_id,
        keys: &me.keys,
        also_receive_for: &[],
    };
    let db = |e: Error| OpenFailure::Package(PackageError::Io(e.to_string()));
    let current = if me.is_office() {
        current_serial(conn, &me.node.node_id).map_err(db)?
    } else {
        0
    };
    let opened = opened.map_or_else(|| ex::open_package(bytes, &local, senders, lim), Ok);
    match opened {
        Ok(p) => return Ok((p, current)),
        Err(PackageError::DecryptFailed) if me.is_office() && current > 0 => {}
        Err(e) => return Err(OpenFailure::Package(e)),
    }
    let retired: Vec<(i64, String, Option<String>)> = (|| -> Result<_> {
        let mut stmt = conn.prepare(
            "SELECT serial, secret_keys, grace_until FROM office_key
             WHERE node_id = ?1 AND serial < ?2 AND secret_keys IS NOT NULL ORDER BY serial DESC",
        )?;
        let rows = stmt.query_map(params![me.node.node_id, current as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })()
    .map_err(db)?;
    for (serial, secret, grace) in retired {
        let keys = NodeKeys::from_secret_string(&secret).map_err(db)?;
        let old = LocalNode {
            node_id: &me.node.node_id,
            keys: &keys,
            also_receive_for: &[],
        };
        match ex::open_package(bytes, &old, senders, lim) {
            Ok(p) => {
                let over = grace
                    .as_deref()
                    .and_then(parse_time)
                    .is_none_or(|g| now >= g);
                if over {
                    return Err(OpenFailure::GraceOver(format!(
                        "Gói được mã hoá bằng khoá cũ của văn phòng (thế hệ {serial}), đã hết hạn chuyển tiếp {}: không nhận. Máy gửi cần nhập gói trả về mới nhất của văn phòng (có khoá mới) rồi xuất lại; các thao tác chưa được xác nhận sẽ được gửi lại đầy đủ.",
                        grace.as_deref().map(vn_date).map(|d| format!("ngày {d}")).unwrap_or_default()
                    )));
                }
                return Ok((p, serial.max(0) as u64));
            }
            Err(PackageError::DecryptFailed) => continue,
            Err(e) => return Err(OpenFailure::Package(e)),
        }
    }
    Err(OpenFailure::Package(PackageError::DecryptFailed))
}

/// Office: the keys to sign a package for `receiver` with — the newest generation the receiver
/// has shown it holds, while it has not caught up (`None` = the current keys).
pub(super) fn signing_keys_for(
    conn: &Connection,
    me: &Me,
    receiver: &NodeInfo,
) -> Result<Option<NodeKeys>> {
    if !me.is_office() {
        return Ok(None);
    }
    let current = current_serial(conn, &me.node.node_id)?;
    let seen = seen_serial(conn, &receiver.node_id)?.unwrap_or(0);
    if current == 0 || seen >= current {
        return Ok(None);
    }
    let secret: Option<String> = conn
        .query_row(
            "SELECT secret_keys FROM office_key WHERE node_id = ?1 AND serial = ?2",
            params![me.node.node_id, seen as i64],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    match secret {
        Some(s) => Ok(Some(NodeKeys::from_secret_string(&s)?)),
        None => Ok(None),
    }
}

/// Office: the rollover statements section for return packages and enrolment responses (empty
/// when the keys never rolled over).
pub(super) fn rollover_sections(conn: &Connection, me: &Me) -> Result<Vec<Section>> {
    if !me.is_office() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT statement FROM office_key WHERE node_id = ?1 AND statement IS NOT NULL ORDER BY serial",
    )?;
    let rows = stmt.query_map([&me.node.node_id], |r| r.get::<_, String>(0))?;
    let mut list = Vec::new();
    for r in rows {
        let v: Value = serde_json::from_str(&r?)
            .map_err(|_| Error::Database("Thông báo đổi khoá trong sổ bị hỏng.".into()))?;
        list.push(v);
    }
    if list.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Section::new(ROLLOVERS_SECTION, Value::Array(list))])
}

/// Commune side: the office's previous signing keys still accepted, per office node (those of
/// generations at least as new as the newest signature seen from it).
pub(super) fn previous_sign_pks(
    conn: &Connection,
) -> Result<std::collections::HashMap<String, Vec<String>>> {
    let mut stmt = conn.prepare(
        "SELECT o.node_id, o.sign_pk FROM office_key o
         WHERE o.serial >= coalesce((SELECT s.serial FROM office_key_seen s WHERE s.node_id = o.node_id), 0)
           AND o.node_id NOT IN (SELECT node_id FROM local_node)
         ORDER BY o.serial DESC",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out: std::collections::HashMap<String, Vec<String>> = Default::default();
    for r in rows {
        let (node, pk) = r?;
        out.entry(node).or_default().push(pk);
    }
    Ok(out)
}

/// Every public key of `office` this installation has trusted (current first), to verify
/// certificates issued before or after a rollover.
pub(super) fn office_key_candidates(
    conn: &Connection,
    office: &NodeInfo,
) -> Result<Vec<PublicKeys>> {
    let mut out = Vec::new();
    if let (Some(s), Some(e)) = (&office.sign_pk, &office.enc_recipient) {
        out.push(PublicKeys {
            sign_pk: s.clone(),
            enc_recipient: e.clone(),
        });
    }
    // The current row may have been re-pinned inside the running transaction.
    if let Some(n) = load_node(conn, &office.node_id)? {
        if let (Some(s), Some(e)) = (n.sign_pk, n.enc_recipient) {
            out.push(PublicKeys {
                sign_pk: s,
                enc_recipient: e,
            });
        }
    }
    let mut stmt = conn.prepare(
        "SELECT sign_pk, enc_recipient FROM office_key WHERE node_id = ?1 ORDER BY serial DESC",
    )?;
    let rows = stmt.query_map([&office.node_id], |r| {
        Ok(PublicKeys {
            sign_pk: r.get(0)?,
            enc_recipient: r.get(1)?,
        })
    })?;
    for r in rows {
        let k = r?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

/// Verifies a certificate against any key generation of the pinned office.
pub(super) fn verify_certificate(
    conn: &Connection,
    office: &NodeInfo,
    cert: &DeviceCertificate,
) -> Result<std::result::Result<(), String>> {
    let mut last = String::from("chứng thư không hợp lệ.");
    for k in office_key_candidates(conn, office)? {
        match cert.verify(&k) {
            Ok(()) => return Ok(Ok(())),
            Err(e) => last = e.to_string(),
        }
    }
    Ok(Err(last))
}

/// Commune side, inside the import transaction of a package from the pinned office: applies the
/// rollover statements it carries (each verified against the key pinned at that point, in order)
/// and records which key generation signed the package. `Ok(Err(reason))` = refuse the package.
pub(super) fn apply_statements(
    tx: &Connection,
    me: &Me,
    office: &NodeInfo,
    pkg: &OpenedPackage,
    now: &str,
) -> Result<std::result::Result<(), String>> {
    if me.is_office() || office.role != "office" {
        return Ok(Ok(()));
    }
    if let Some(list) = pkg.section(ROLLOVERS_SECTION) {
        let Ok(list) = serde_json::from_value::<Vec<KeyRollover>>(list.clone()) else {
            return Ok(Err(
                "thông báo đổi khoá của văn phòng không đọc được.".into()
            ));
        };
        let mut known = current_serial(tx, &office.node_id)?;
        // A person may have pinned a newer keys file by hand (e.g. from a new installer): the
        // statements up to the pinned keys are then trusted through the paper check, and each
        // new key vouches for its predecessor (its signature on the statement), so the older
        // signing keys are recorded too (certificates issued before the rollover verify).
        if let Some(row) = load_node(tx, &office.node_id)? {
            if let Some(t) = list.iter().rposition(|st| {
                st.serial > known && Some(&st.new_keys.sign_pk) == row.sign_pk.as_ref()
            }) {
                for i in (0..=t).rev() {
                    let st = &list[i];
                    let vouched = if i == t {
                        row.sign_pk.clone().unwrap_or_default()
                    } else {
                        list[i + 1].old_sign_pk.clone()
                    };
                    let claimed_old = PublicKeys {
                        sign_pk: st.old_sign_pk.clone(),
                        enc_recipient: String::new(),
                    };
                    if st.new_keys.sign_pk != vouched
                        || st.verify(&office.node_id, &claimed_old).is_err()
                    {
                        return Ok(Err(
                            "chuỗi thông báo đổi khoá của văn phòng không khớp với khoá đã ghim."
                                .into(),
                        ));
                    }
                    let json = serde_json::to_string(st)
                        .map_err(|_| Error::Invalid("Không ghi được thông báo đổi khoá.".into()))?;
                    tx.execute(
                        "INSERT OR IGNORE INTO office_key (node_id, serial, sign_pk, enc_recipient, statement, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            office.node_id,
                            st.serial as i64,
                            st.new_keys.sign_pk,
                            st.new_keys.enc_recipient,
                            json,
                            now
                        ],
                    )?;
                    if i == 0 || st.serial == 1 {
                        // The oldest generation: only its signing key is known from here.
                        tx.execute(
                            "INSERT OR IGNORE INTO office_key (node_id, serial, sign_pk, enc_recipient, grace_until, created_at)
                             VALUES (?1, ?2, ?3, '', ?4, ?5)",
                            params![
                                office.node_id,
                                st.serial as i64 - 1,
                                st.old_sign_pk,
                                st.grace_until,
                                now
                            ],
                        )?;
                    }
                }
                known = list[t].serial;
            }
        }
        for st in list {
            if st.serial <= known {
                continue;
            }
            let node = load_node(tx, &office.node_id)?
                .ok_or_else(|| Error::Database("Không tìm thấy khoá văn phòng đã ghim.".into()))?;
            let row = PublicKeys {
                sign_pk: node.sign_pk.clone().unwrap_or_default(),
                enc_recipient: node.enc_recipient.clone().unwrap_or_default(),
            };
            // The generation the chain has reached (the pinned row, unless a person pinned a
            // newer keys file by hand meanwhile).
            let pinned = tx
                .query_row(
                    "SELECT sign_pk, enc_recipient FROM office_key WHERE node_id = ?1 AND serial = ?2",
                    params![office.node_id, known as i64],
                    |r| {
                        Ok(PublicKeys {
                            sign_pk: r.get(0)?,
                            enc_recipient: r.get(1)?,
                        })
                    },
                )
                .optional()?
                .unwrap_or_else(|| row.clone());
            if st.serial != known + 1 {
                return Ok(Err(format!(
                    "thiếu thông báo đổi khoá thế hệ {} của văn phòng; không thể kiểm tra khoá mới.",
                    known + 1
                )));
            }
            if let Err(e) = st.verify(&office.node_id, &pinned) {
                return Ok(Err(e.to_string()));
            }
            let json = serde_json::to_string(&st)
                .map_err(|_| Error::Invalid("Không ghi được thông báo đổi khoá.".into()))?;
            // The retired generation (recorded at the first rollover) gets the stated grace.
            tx.execute(
                "INSERT INTO office_key (node_id, serial, sign_pk, enc_recipient, grace_until, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(node_id, serial) DO UPDATE SET grace_until = excluded.grace_until",
                params![
                    office.node_id,
                    known as i64,
                    pinned.sign_pk,
                    pinned.enc_recipient,
                    st.grace_until,
                    now
                ],
            )?;
            tx.execute(
                "INSERT INTO office_key (node_id, serial, sign_pk, enc_recipient, statement, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    office.node_id,
                    st.serial as i64,
                    st.new_keys.sign_pk,
                    st.new_keys.enc_recipient,
                    json,
                    now
                ],
            )?;
            // Re-pin, never back over a newer keys file pinned by hand.
            if row.sign_pk == pinned.sign_pk {
                tx.execute(
                    "UPDATE node SET sign_pk = ?2, enc_recipient = ?3 WHERE node_id = ?1",
                    params![
                        office.node_id,
                        st.new_keys.sign_pk,
                        st.new_keys.enc_recipient
                    ],
                )?;
            }
            audit(
                tx,
                now,
                "office_key_rollover_pinned",
                &json!({"office": office.node_id, "serial": st.serial,
                        "fingerprint": ex::fingerprint(&st.new_keys)?}),
            )?;
            known = st.serial;
        }
    }
    // Which generation signed this package: older ones are no longer accepted afterwards.
    let mut stmt = tx.prepare("SELECT serial, sign_pk FROM office_key WHERE node_id = ?1")?;
    let rows = stmt.query_map([&office.node_id], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    for r in rows {
        let (serial, pk) = r?;
        if key_id_hex(&pk).as_deref() == Some(pkg.signer_key_id.as_str()) {
            note_seen(tx, &office.node_id, serial.max(0) as u64)?;
        }
    }
    Ok(Ok(()))
}

impl Ledger {
    /// Office: makes new keys (đổi khoá). The old keys sign a rollover statement naming the new
    /// ones, with generation number and grace period; the retired secret is kept so packages still
    /// encrypted to it open until `grace_days` have passed on this office's clock (0 = refused from
    /// now on, e.g. when the old key may be compromised or its decryption key was lost). Every
    /// later return package carries the statement, signed with a key the device already trusts.
    pub fn rollover_keys(&mut self, grace_days: u32) -> Result<RolloverResult> {
        let me = load_me(self.conn())?;
        if !me.is_office() {
            return Err(Error::Conflict(
                "Chỉ máy văn phòng mới đổi khoá; máy của xã cần đăng ký lại như thiết bị mới."
                    .into(),
            ));
        }
        if grace_days > MAX_GRACE_DAYS {
            return Err(Error::field(
                "grace_days",
                format!("Thời hạn chuyển tiếp tối đa {MAX_GRACE_DAYS} ngày."),
            ));
        }
        let now = self.clock().now();
        let now_text = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let grace_until = (now + Duration::days(i64::from(grace_days)))
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        let conn = self.conn();
        let old_serial = current_serial(conn, &me.node.node_id)?;
        let serial = old_serial + 1;
        let new = NodeKeys::generate();
        let statement = KeyRollover::issue(
            &me.node.node_id,
            serial,
            Some(grace_until.clone()),
            &me.keys,
            &new,
        )?;
        let statement_json = serde_json::to_string(&statement)
            .map_err(|_| Error::Invalid("Không tạo được thông báo đổi khoá.".into()))?;
        let old_pub = me.keys.public();
        let new_pub = new.public();
        let old_fingerprint = ex::fingerprint(&old_pub)?;
        let fingerprint = ex::fingerprint(&new_pub)?;
        let old_secret = me.keys.to_secret_string();
        let new_secret = new.to_secret_string();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Generation 0 is recorded at the first rollover; a retired generation keeps its secret.
        tx.execute(
            "INSERT INTO office_key (node_id, serial, sign_pk, enc_recipient, secret_keys, grace_until, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(node_id, serial) DO UPDATE SET secret_keys = excluded.secret_keys,
               grace_until = excluded.grace_until",
            params![
                me.node.node_id,
                old_serial as i64,
                old_pub.sign_pk,
                old_pub.enc_recipient,
                old_secret.as_str(),
                grace_until,
                now_text
            ],
        )?;
        tx.execute(
            "INSERT INTO office_key (node_id, serial, sign_pk, enc_recipient, statement, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                me.node.node_id,
                serial as i64,
                new_pub.sign_pk,
                new_pub.enc_recipient,
                statement_json,
                now_text
            ],
        )?;
        tx.execute(
            "UPDATE local_node SET secret_keys = ?1 WHERE id = 1",
            [new_secret.as_str()],
        )?;
        tx.execute(
            "UPDATE node SET sign_pk = ?2, enc_recipient = ?3 WHERE node_id = ?1",
            params![me.node.node_id, new_pub.sign_pk, new_pub.enc_recipient],
        )?;
        audit(
            &tx,
            &now_text,
            "office_key_rollover",
            &json!({"serial": serial, "fingerprint": fingerprint,
                    "old_fingerprint": old_fingerprint, "grace_until": grace_until}),
        )?;
        tx.commit()?;
        Ok(RolloverResult {
            serial,
            fingerprint,
            old_fingerprint,
            grace_until,
            keys_file: self.public_keys_file()?,
        })
    }

    /// The office key generations known here: at an office its own, at a commune those of the
    /// office it pinned (empty before any rollover).
    pub fn office_key_generations(&self) -> Result<Vec<KeyGeneration>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT o.node_id, o.serial, o.sign_pk, o.enc_recipient, o.grace_until, o.secret_keys IS NOT NULL,
                    (SELECT max(serial) FROM office_key x WHERE x.node_id = o.node_id)
             FROM office_key o ORDER BY o.node_id, o.serial",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (node_id, serial, sign_pk, enc_recipient, grace_until, held, max) = r?;
            let current = serial == max;
            out.push(KeyGeneration {
                node_id,
                serial: serial.max(0) as u64,
                // Empty when only the signing key of an old generation is known.
                fingerprint: ex::fingerprint(&PublicKeys {
                    sign_pk,
                    enc_recipient,
                })
                .unwrap_or_default(),
                current,
                grace_until: if current { None } else { grace_until },
                secret_held: held,
            });
        }
        Ok(out)
    }
}
