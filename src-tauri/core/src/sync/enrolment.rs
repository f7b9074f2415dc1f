//! Enrolment as the screens need it (đăng ký thiết bị): where this laptop stands (office keys not
//! pinned / pinned and waiting for its certificate / enrolled), what a request file says before the
//! office accepts it, pinning a keys file only after a person confirmed its fingerprint, and the
//! roster of devices with their fingerprints.
//!
//! Deliberately absent: writing requests, issuing certificates and importing responses (the parent
//! module's `enrolment_request`, `accept_enrolment` and `import_paths`), and any file dialog.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::{limits, load_me, load_nodes, rollover, OFFICER_SETTING};
use crate::error::{Error, Result};
use crate::exchange::{self as ex, EnrolmentRequest, KeysFile, PackageError, PublicKeys};
use crate::ledger::Ledger;

/// A pinned peer (the office, or a reviewer's commune officer) as the screen shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PinnedPeer {
    pub node_id: String,
    pub short_code: String,
    pub fingerprint: String,
}

/// Where this installation stands in enrolment.
#[derive(Debug, Clone, Serialize)]
pub struct EnrolmentState {
    /// `office` | `commune_officer` | `reviewer`.
    pub role: String,
    pub short_code: String,
    pub commune_code: String,
    /// This laptop's fingerprint (six groups of five digits).
    pub fingerprint: String,
    /// `office` | `not_pinned` | `waiting` (pinned, no certificate yet) | `enrolled`.
    pub stage: String,
    pub office: Option<PinnedPeer>,
    /// Reviewer laptops: the commune officer it sends to.
    pub officer: Option<PinnedPeer>,
    /// Serial of this laptop's certificate once enrolled.
    pub cert_serial: Option<i64>,
    /// Enrolment requests written so far (file names), newest last.
    pub requests_written: Vec<String>,
    /// Office key generations known here (empty before any rollover).
    pub key_generations: Vec<rollover::KeyGeneration>,
}

/// What an enrolment request says, shown to the office before it accepts.
#[derive(Debug, Clone, Serialize)]
pub struct EnrolRequestInfo {
    pub file: String,
    pub node_id: String,
    /// `commune_officer` | `reviewer`.
    pub role: String,
    pub commune_code: String,
    /// The commune's name if the office knows it.
    pub commune_name: Option<String>,
    pub device_name: String,
    pub app_version: String,
    /// The fingerprint of the keys in the request.
    pub fingerprint: String,
    /// The short code the device gets on acceptance (its existing one if already enrolled).
    pub short_code: String,
    /// Already enrolled with these keys (accepting again re-issues the certificate).
    pub already_enrolled: bool,
}

/// One device of the roster.
#[derive(Debug, Clone, Serialize)]
pub struct RosterEntry {
    pub node_id: String,
    pub short_code: String,
    pub role: String,
    pub commune_code: Option<String>,
    pub fingerprint: Option<String>,
    pub cert_serial: Option<i64>,
    pub revoked_after_seq: Option<i64>,
    pub flagged: Option<String>,
    /// This installation itself.
    pub is_me: bool,
}

fn fp_of(sign_pk: &Option<String>, enc: &Option<String>) -> Option<String> {
    let (Some(s), Some(e)) = (sign_pk, enc) else {
        return None;
    };
    ex::fingerprint(&PublicKeys {
        sign_pk: s.clone(),
        enc_recipient: e.clone(),
    })
    .ok()
}

/// The next free short code of a commune: `<commune code>-<n>`.
pub(super) fn next_short_code(conn: &Connection, commune: &str) -> Result<String> {
    let mut n: i64 = conn.query_row(
        "SELECT count(*) FROM node WHERE commune_code = ?1 AND role <> 'office'",
        [commune],
        |r| r.get(0),
    )?;
    loop {
        n += 1;
        let candidate = format!("{commune}-{n}");
        let taken: bool = conn.query_row(
            "SELECT count(*) > 0 FROM node WHERE short_code = ?1",
            [&candidate],
            |r| r.get(0),
        )?;
        if !taken {
            return Ok(candidate);
        }
    }
}

impl Ledger {
    /// This laptop's enrolment stage, its fingerprint and the peers it pinned.
    pub fn enrolment_state(&self) -> Result<EnrolmentState> {
        let conn = self.conn();
        let me = load_me(conn)?;
        let nodes = load_nodes(conn)?;
        let peer = |n: &super::NodeInfo| PinnedPeer {
            node_id: n.node_id.clone(),
            short_code: n.short_code.clone(),
            fingerprint: fp_of(&n.sign_pk, &n.enc_recipient).unwrap_or_default(),
        };
        let office = nodes
            .iter()
            .find(|n| n.role == "office" && n.sign_pk.is_some() && n.node_id != me.node.node_id)
            .map(peer);
        let officer_id = self.setting(OFFICER_SETTING)?;
        let officer = nodes
            .iter()
            .find(|n| Some(&n.node_id) == officer_id.as_ref() && n.node_id != me.node.node_id)
            .map(peer);
        let stage = if me.is_office() {
            "office"
        } else if me.node.cert.is_some() {
            "enrolled"
        } else if office.is_some() {
            "waiting"
        } else {
            "not_pinned"
        };
        let mut stmt = conn.prepare(
            "SELECT file_name FROM package_log WHERE direction = 'out' AND kind = 'enrol_request' ORDER BY rowid",
        )?;
        let requests_written = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(EnrolmentState {
            role: me.node.role.clone(),
            short_code: me.node.short_code.clone(),
            commune_code: me.commune_code.clone(),
            fingerprint: ex::fingerprint(&me.keys.public())?,
            stage: stage.into(),
            office,
            officer,
            cert_serial: me.node.cert_serial.filter(|_| me.node.cert.is_some()),
            requests_written,
            key_generations: self.office_key_generations()?,
        })
    }

    /// Pins a keys file once a person confirmed that `confirmed_fingerprint` (what they compared
    /// with the paper) is the file's: the office's keys, or with `as_officer` the commune
    /// officer's (reviewer laptops).
    pub fn pin_keys_confirmed(
        &mut self,
        f: &KeysFile,
        as_officer: bool,
        confirmed_fingerprint: &str,
    ) -> Result<()> {
        if !ex::fingerprint_matches(&f.fingerprint, confirmed_fingerprint) {
            return Err(Error::Invalid(
                "Dấu vân tay của tệp khoá khác với dấu vân tay vừa xác nhận (tệp đã bị thay?): chưa ghim gì. Hãy chọn lại tệp."
                    .into(),
            ));
        }
        if as_officer {
            self.pin_officer(f)
        } else {
            self.pin_office(f)
        }
    }

    /// Office: reads an enrolment request file and says what it asks for, without storing
    /// anything (the office then types the fingerprint from the paper form and accepts).
    pub fn inspect_enrolment_request(&self, file: &Path) -> Result<EnrolRequestInfo> {
        let conn = self.conn();
        let me = load_me(conn)?;
        if !me.is_office() {
            return Err(Error::Conflict(
                "Chỉ máy văn phòng mới duyệt yêu cầu đăng ký.".into(),
            ));
        }
        let bytes = ex::read_capped(file, &limits())?;
        let (pkg, _) = rollover::open_package_any_key(
            conn,
            &bytes,
            &me,
            &|_| None,
            &limits(),
            self.clock().now(),
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
        let existing = load_nodes(conn)?
            .into_iter()
            .find(|n| n.node_id == req.node_id);
        if let Some(n) = &existing {
            if n.sign_pk.as_deref() != Some(req.keys.sign_pk.as_str()) {
                return Err(Error::Conflict(
                    "Mã thiết bị này đã đăng ký với khoá khác: từ chối (máy sao chép hoặc yêu cầu giả)."
                        .into(),
                ));
            }
        }
        let enrolled = existing.as_ref().filter(|n| n.cert.is_some());
        let short_code = match enrolled {
            Some(n) => n.short_code.clone(),
            None => next_short_code(conn, &req.commune_code)?,
        };
        let commune_name: Option<String> = conn
            .query_row(
                "SELECT name FROM commune WHERE id = ?1",
                [&req.commune_code],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(EnrolRequestInfo {
            file: file.display().to_string(),
            node_id: req.node_id.clone(),
            role: super::role_str(req.role).into(),
            commune_code: req.commune_code.clone(),
            commune_name,
            device_name: req.device_name.clone(),
            app_version: req.app_version.clone(),
            fingerprint: req.fingerprint()?,
            short_code,
            already_enrolled: enrolled.is_some(),
        })
    }

    /// Every device known here with its fingerprint: at an office all enrolled devices, at a
    /// commune its own roster.
    pub fn device_roster(&self) -> Result<Vec<RosterEntry>> {
        let conn = self.conn();
        let me = load_me(conn)?;
        Ok(load_nodes(conn)?
            .into_iter()
            .filter(|n| n.role != "office")
            .map(|n| RosterEntry {
                fingerprint: fp_of(&n.sign_pk, &n.enc_recipient),
                is_me: n.node_id == me.node.node_id,
                node_id: n.node_id,
                short_code: n.short_code,
                role: n.role,
                commune_code: n.commune_code,
                cert_serial: n.cert.as_ref().and(n.cert_serial),
                revoked_after_seq: n.revoked_after_seq,
                flagged: n.flagged,
            })
            .collect())
    }
}
