//! First run (thiết lập): who this installation is (a commune office or an upper-level office),
//! its province and commune, villages and users. Writes the local identity directly (it is not
//! exchanged data) and everything else through the ledger's write path. Does not own keys or
//! enrolment (that is `exchange`).

use crate::error::{Error, FieldError, Result};
use crate::ledger::{new_id, Change, Ledger, OpKind};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

/// What kind of office this installation serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// UBND xã / phường: keeps the register and runs reviews.
    Commune,
    /// The office above (province's Sở NN&MT, formerly the district): consolidates communes.
    Office,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Commune => "commune",
            NodeKind::Office => "office",
        }
    }
}

/// Role of a person using the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Rà soát viên (often the village head).
    Reviewer,
    /// Cán bộ giảm nghèo cấp xã.
    CommuneOfficer,
    /// Cán bộ cơ quan cấp trên.
    OfficeOfficer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::CommuneOfficer => "commune_officer",
            Role::OfficeOfficer => "office_officer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "reviewer" => Some(Role::Reviewer),
            "commune_officer" => Some(Role::CommuneOfficer),
            "office_officer" => Some(Role::OfficeOfficer),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Reviewer => "Rà soát viên",
            Role::CommuneOfficer => "Cán bộ giảm nghèo cấp xã",
            Role::OfficeOfficer => "Cán bộ cơ quan cấp trên",
        }
    }
}

/// Khu vực: decides the income line and score line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaType {
    /// Nông thôn.
    Rural,
    /// Thành thị.
    Urban,
}

impl AreaType {
    pub fn as_str(self) -> &'static str {
        match self {
            AreaType::Rural => "rural",
            AreaType::Urban => "urban",
        }
    }
    pub fn parse(s: &str) -> Option<AreaType> {
        match s {
            "rural" => Some(AreaType::Rural),
            "urban" => Some(AreaType::Urban),
            _ => None,
        }
    }
}

/// Kind of village-level unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VillageKind {
    Thon,
    Xom,
    Ban,
    Ap,
    ToDanPho,
}

impl VillageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VillageKind::Thon => "thon",
            VillageKind::Xom => "xom",
            VillageKind::Ban => "ban",
            VillageKind::Ap => "ap",
            VillageKind::ToDanPho => "to_dan_pho",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            VillageKind::Thon => "Thôn",
            VillageKind::Xom => "Xóm",
            VillageKind::Ban => "Bản",
            VillageKind::Ap => "Ấp",
            VillageKind::ToDanPho => "Tổ dân phố",
        }
    }
    /// The Vietnamese word in lower case, as inside an address: "thôn", "xóm", "tổ dân phố".
    pub fn word(self) -> &'static str {
        match self {
            VillageKind::Thon => "thôn",
            VillageKind::Xom => "xóm",
            VillageKind::Ban => "bản",
            VillageKind::Ap => "ấp",
            VillageKind::ToDanPho => "tổ dân phố",
        }
    }
    /// Parses the codes ("to_dan_pho") and the Vietnamese words (any case, with or without
    /// diacritics: "Tổ dân phố", "xom").
    pub fn parse(s: &str) -> Option<VillageKind> {
        match crate::ethnicity::fold_key(s).as_str() {
            "thon" => Some(VillageKind::Thon),
            "xom" => Some(VillageKind::Xom),
            "ban" => Some(VillageKind::Ban),
            "ap" => Some(VillageKind::Ap),
            "todanpho" => Some(VillageKind::ToDanPho),
            _ => None,
        }
    }
    pub fn all() -> [VillageKind; 5] {
        [
            VillageKind::Thon,
            VillageKind::Xom,
            VillageKind::Ban,
            VillageKind::Ap,
            VillageKind::ToDanPho,
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageInput {
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
    pub kind: VillageKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupInput {
    pub kind: NodeKind,
    pub province_code: String,
    pub province_name: String,
    /// 5-digit code of the commune (for an office: the code it is known by).
    pub commune_code: String,
    pub commune_name: String,
    pub area: AreaType,
    #[serde(default)]
    pub b1_region: Option<String>,
    #[serde(default)]
    pub villages: Vec<VillageInput>,
    pub user_name: String,
    pub user_role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Village {
    pub id: String,
    pub commune_code: String,
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupInfo {
    pub kind: NodeKind,
    pub node_id: String,
    pub short_code: String,
    pub province_code: String,
    pub province_name: String,
    pub commune_code: String,
    pub commune_name: String,
    pub area: AreaType,
    pub b1_region: Option<String>,
    pub villages: Vec<Village>,
    pub users: Vec<User>,
    pub current_user: Option<User>,
    pub db_path: String,
    pub schema_version: i64,
}

fn check_setup(input: &SetupInput) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut err = |f: &str, m: &str| {
        errs.push(FieldError {
            field: f.into(),
            message: m.into(),
        })
    };
    let pc = input.province_code.trim();
    if pc.len() != 2 || !pc.chars().all(|c| c.is_ascii_digit()) {
        err(
            "province_code",
            "Mã tỉnh phải gồm đúng 2 chữ số (ví dụ 04 là Cao Bằng).",
        );
    }
    if input.province_name.trim().is_empty() {
        err("province_name", "Chưa nhập tên tỉnh/thành phố.");
    }
    let cc = input.commune_code.trim();
    let digits = cc.chars().all(|c| c.is_ascii_digit());
    if input.kind == NodeKind::Office {
        if !digits || !(cc.len() == 2 || cc.len() == 5) {
            err(
                "commune_code",
                "Mã cơ quan là mã tỉnh (2 chữ số) hoặc mã đơn vị hành chính (5 chữ số).",
            );
        }
    } else if cc.len() != 5 || !digits {
        err(
            "commune_code",
            "Mã đơn vị hành chính cấp xã phải gồm đúng 5 chữ số (theo Quyết định 19/2025/QĐ-TTg).",
        );
    }
    if input.commune_name.trim().is_empty() {
        err(
            "commune_name",
            if input.kind == NodeKind::Commune {
                "Chưa nhập tên xã/phường."
            } else {
                "Chưa nhập tên cơ quan."
            },
        );
    }
    if input.user_name.trim().is_empty() {
        err("user_name", "Chưa nhập họ tên người sử dụng.");
    }
    if input.kind == NodeKind::Commune && input.user_role == Role::OfficeOfficer {
        err(
            "user_role",
            "Tại UBND xã, người dùng là rà soát viên hoặc cán bộ xã.",
        );
    }
    if input.kind == NodeKind::Office && input.user_role != Role::OfficeOfficer {
        err(
            "user_role",
            "Tại cơ quan cấp trên, người dùng là cán bộ cơ quan cấp trên.",
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in input.villages.iter().enumerate() {
        if v.name.trim().is_empty() {
            err(&format!("villages[{i}].name"), "Chưa nhập tên thôn/xóm.");
        } else if !seen.insert(crate::text::fold(v.name.trim())) {
            err(&format!("villages[{i}].name"), "Tên thôn/xóm bị trùng.");
        }
    }
    errs
}

/// A short device code derived from the node id (three letters/digits without look-alikes),
/// used in household display codes until the office assigns one at enrolment.
fn provisional_short_code(node_id: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(node_id.as_bytes());
    (0..3)
        .map(|i| ALPHABET[(h[i] as usize) % ALPHABET.len()] as char)
        .collect()
}

impl Ledger {
    /// `None` until the first-run setup is done.
    pub fn setup_info(&self) -> Result<Option<SetupInfo>> {
        let Some(id) = self.local_identity()? else {
            return Ok(None);
        };
        let conn = self.conn();
        let province_name: String = conn
            .query_row(
                "SELECT name FROM province WHERE id = ?1",
                [&id.province_code],
                |r| r.get(0),
            )
            .optional()?
            .flatten()
            .unwrap_or_default();
        let (commune_name, area, b1_region): (String, String, Option<String>) = conn
            .query_row(
                "SELECT coalesce(name, ''), coalesce(area, 'rural'), b1_region FROM commune WHERE id = ?1",
                [&id.commune_code],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .unwrap_or_default();
        let users = self.users()?;
        let current = self.current_user_id()?;
        let current_user = users
            .iter()
            .find(|u| Some(&u.id) == current.as_ref())
            .cloned();
        let schema_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok(Some(SetupInfo {
            kind: if id.kind == "office" {
                NodeKind::Office
            } else {
                NodeKind::Commune
            },
            node_id: id.node_id,
            short_code: id.short_code,
            province_code: id.province_code,
            province_name,
            commune_code: id.commune_code,
            commune_name,
            area: AreaType::parse(&area).unwrap_or(AreaType::Rural),
            b1_region,
            villages: self.villages()?,
            users,
            current_user,
            db_path: self.path().display().to_string(),
            schema_version,
        }))
    }

    /// First-run setup. Refused if already set up; field errors come back as `Error::Fields`.
    pub fn setup(&mut self, input: &SetupInput) -> Result<SetupInfo> {
        if self.local_identity()?.is_some() {
            return Err(Error::Conflict(
                "Cơ sở dữ liệu này đã được thiết lập.".into(),
            ));
        }
        let errs = check_setup(input);
        if !errs.is_empty() {
            return Err(Error::Fields(errs));
        }
        // 16 random bytes (the exchange's node id) and this installation's own keys.
        let node_id = crate::exchange::new_node_id();
        let keys = crate::exchange::NodeKeys::generate();
        let public = keys.public();
        let short = match input.kind {
            NodeKind::Office => format!("VP{}", input.commune_code.trim()),
            NodeKind::Commune => provisional_short_code(&node_id),
        };
        let role = match input.kind {
            NodeKind::Office => "office",
            NodeKind::Commune => match input.user_role {
                Role::Reviewer => "reviewer",
                _ => "commune_officer",
            },
        };
        let now = self
            .clock()
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let user_id = new_id();
        {
            let tx = self.conn_mut().transaction()?;
            tx.execute(
                "INSERT INTO node (node_id, short_code, role, commune_code, name, sign_pk, enc_recipient, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    node_id,
                    short,
                    role,
                    (input.kind == NodeKind::Commune).then(|| input.commune_code.trim().to_owned()),
                    input.commune_name.trim(),
                    public.sign_pk,
                    public.enc_recipient,
                    now
                ],
            )?;
            tx.execute(
                "INSERT INTO local_node (id, node_id, kind, next_seq, lamport, next_code, province_code, commune_code, secret_keys)
                 VALUES (1, ?1, ?2, 1, 0, 1, ?3, ?4, ?5)",
                params![
                    node_id,
                    input.kind.as_str(),
                    input.province_code.trim(),
                    input.commune_code.trim(),
                    keys.to_secret_string().as_str()
                ],
            )?;
            tx.execute(
                "INSERT INTO setting (key, value) VALUES ('current_user_id', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [&user_id],
            )?;
            tx.commit()?;
        }
        let result = self.transact("setup", |w| {
            w.apply(
                Change::new("user", user_id.clone(), OpKind::Create)
                    .with("name", input.user_name.trim())
                    .with("role", input.user_role.as_str())
                    .with("node_id", node_id.clone()),
            )?;
            w.apply(
                Change::new("province", input.province_code.trim(), OpKind::Create)
                    .with("name", input.province_name.trim()),
            )?;
            let mut commune = Change::new("commune", input.commune_code.trim(), OpKind::Create)
                .with("province_code", input.province_code.trim())
                .with("name", input.commune_name.trim())
                .with("area", input.area.as_str());
            if let Some(r) = input
                .b1_region
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
            {
                commune.put("b1_region", r);
            }
            w.apply(commune)?;
            for (i, v) in input.villages.iter().enumerate() {
                w.apply(village_change(&input.commune_code, v, i as i64 + 1))?;
            }
            Ok(())
        });
        if let Err(e) = result {
            // Undo the identity so the setup can be tried again; no op was committed.
            let tx = self.conn_mut().transaction()?;
            tx.execute("DELETE FROM setting WHERE key = 'current_user_id'", [])?;
            tx.execute("DELETE FROM local_node", [])?;
            tx.execute("DELETE FROM node WHERE node_id = ?1", [&node_id])?;
            tx.commit()?;
            return Err(e);
        }
        self.setup_info()?
            .ok_or_else(|| Error::Database("Thiết lập không được lưu.".into()))
    }

    pub fn users(&self) -> Result<Vec<User>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, coalesce(name, ''), coalesce(role, 'reviewer') FROM app_user WHERE deleted = 0 ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(User {
                id: r.get(0)?,
                name: r.get(1)?,
                role: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn add_user(&mut self, name: &str, role: Role) -> Result<User> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::field("name", "Chưa nhập họ tên người sử dụng."));
        }
        let id = new_id();
        let node_id = self
            .local_identity()?
            .map(|i| i.node_id)
            .unwrap_or_default();
        self.write(
            "add_user",
            vec![Change::new("user", id.clone(), OpKind::Create)
                .with("name", name)
                .with("role", role.as_str())
                .with("node_id", node_id)],
        )?;
        Ok(User {
            id,
            name: name.to_owned(),
            role: role.as_str().to_owned(),
        })
    }

    pub fn set_current_user(&mut self, user_id: &str) -> Result<()> {
        if !self.users()?.iter().any(|u| u.id == user_id) {
            return Err(Error::NotFound("Không tìm thấy người dùng này.".into()));
        }
        self.set_setting("current_user_id", user_id)
    }

    pub fn villages(&self) -> Result<Vec<Village>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, coalesce(commune_code, ''), coalesce(code, ''), coalesce(name, ''), coalesce(kind, 'thon')
             FROM village WHERE deleted = 0 ORDER BY sort_order, name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Village {
                id: r.get(0)?,
                commune_code: r.get(1)?,
                code: r.get(2)?,
                name: r.get(3)?,
                kind: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn add_village(&mut self, v: &VillageInput) -> Result<Village> {
        let identity = self
            .local_identity()?
            .ok_or_else(|| Error::Conflict("Chưa thiết lập đơn vị.".into()))?;
        if v.name.trim().is_empty() {
            return Err(Error::field("name", "Chưa nhập tên thôn/xóm."));
        }
        let existing = self.villages()?;
        if existing
            .iter()
            .any(|x| crate::text::fold(&x.name) == crate::text::fold(v.name.trim()))
        {
            return Err(Error::field("name", "Tên thôn/xóm bị trùng."));
        }
        let change = village_change(&identity.commune_code, v, existing.len() as i64 + 1);
        let id = change.row_id.clone();
        self.write("add_village", vec![change])?;
        self.villages()?
            .into_iter()
            .find(|x| x.id == id)
            .ok_or_else(|| Error::Database("Thôn/xóm không được lưu.".into()))
    }

    /// A local preference (never exchanged).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

fn village_change(commune_code: &str, v: &VillageInput, order: i64) -> Change {
    let code = v
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{order:02}"));
    Change::new("village", new_id(), OpKind::Create)
        .with("commune_code", commune_code.trim())
        .with("code", code)
        .with("name", v.name.trim())
        .with("kind", v.kind.as_str())
        .with("sort_order", order)
}
