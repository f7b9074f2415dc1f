//! TEMPORARY in-shell stand-in for the core API of CORE-API.md, used only until the lead's core
//! lands on `main`; replaced by re-exports of `giamngheo_core` at the merge.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use giamngheo_core::error::FieldError;
use giamngheo_core::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Commune,
    Office,
}
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Reviewer,
    CommuneOfficer,
    OfficeOfficer,
}
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum AreaType {
    Rural,
    Urban,
}
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum VillageKind {
    Thon,
    Xom,
    Ban,
    Ap,
    ToDanPho,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VillageInput {
    pub code: Option<String>,
    pub name: String,
    pub kind: VillageKind,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupInput {
    pub kind: NodeKind,
    pub province_code: String,
    pub province_name: String,
    pub commune_code: String,
    pub commune_name: String,
    pub area: AreaType,
    pub b1_region: Option<String>,
    pub villages: Vec<VillageInput>,
    pub user_name: String,
    pub user_role: Role,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Village {
    pub id: String,
    pub commune_code: String,
    pub code: String,
    pub name: String,
    pub kind: VillageKind,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HouseholdQuery {
    pub search: Option<String>,
    pub village_id: Option<String>,
    pub flags: Vec<String>,
    pub offset: u32,
    pub limit: u32,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HouseholdPage {
    pub total: u64,
    pub offset: u32,
    pub items: Vec<HouseholdSummary>,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberInput {
    pub id: Option<String>,
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
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HouseholdInput {
    pub id: Option<String>,
    pub village_id: String,
    pub address: String,
    pub ethnicity: Option<String>,
    pub ethnic_minority: bool,
    pub no_labour: bool,
    pub merit: bool,
    pub note: String,
    pub members: Vec<MemberInput>,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub household_id: String,
    #[serde(flatten)]
    pub input: MemberInput,
    pub age_text: String,
    pub status: String,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HouseholdEvent {
    pub id: String,
    pub household_id: String,
    pub kind: String,
    pub date: String,
    pub member_id: Option<String>,
    pub note: String,
    pub summary: String,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
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
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
    pub severity: String,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaveOutcome {
    pub household: HouseholdDetail,
    pub warnings: Vec<FieldIssue>,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventInput {
    pub household_id: String,
    pub kind: String,
    pub date: String,
    pub member_id: Option<String>,
    pub new_member: Option<MemberInput>,
    pub member_ids: Vec<String>,
    pub target_household_id: Option<String>,
    pub target_village_id: Option<String>,
    pub new_head_member_id: Option<String>,
    pub note: String,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub label: String,
    pub value: String,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub time: String,
    pub user: String,
    pub device: String,
    pub what: String,
    pub changes: Vec<Change>,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefItem {
    pub code: String,
    pub label: String,
}
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

#[derive(Default, Serialize, Deserialize)]
struct Data {
    setup: Option<SetupInfo>,
    settings: HashMap<String, String>,
    households: Vec<HouseholdDetail>,
    history: HashMap<String, Vec<HistoryEntry>>,
    seq: u64,
}

pub struct Ledger {
    path: PathBuf,
    d: Data,
}

fn fold(s: &str) -> String {
    let map = [
        ("àáạảãâầấậẩẫăằắặẳẵ", 'a'),
        ("èéẹẻẽêềếệểễ", 'e'),
        ("ìíịỉĩ", 'i'),
        ("òóọỏõôồốộổỗơờớợởỡ", 'o'),
        ("ùúụủũưừứựửữ", 'u'),
        ("ỳýỵỷỹ", 'y'),
        ("đ", 'd'),
    ];
    s.to_lowercase()
        .chars()
        .map(|c| {
            map.iter()
                .find(|(k, _)| k.contains(c))
                .map(|(_, v)| *v)
                .unwrap_or(c)
        })
        .collect()
}
fn r(code: &str, label: &str) -> RefItem {
    RefItem {
        code: code.into(),
        label: label.into(),
    }
}

impl Ledger {
    pub fn open(path: impl AsRef<Path>) -> Result<Ledger> {
        let path = path.as_ref().to_path_buf();
        let d = if path.exists() {
            let t = std::fs::read_to_string(&path)?;
            serde_json::from_str(&t).map_err(|_| Error::Database("Tệp này không phải là cơ sở dữ liệu SQLite của Sổ Giảm Nghèo (hoặc đã bị hỏng).".into()))?
        } else {
            Data::default()
        };
        let l = Ledger { path, d };
        l.save()?;
        Ok(l)
    }
    fn save(&self) -> Result<()> {
        std::fs::write(&self.path, serde_json::to_string(&self.d).unwrap())?;
        Ok(())
    }
    fn id(&mut self) -> String {
        self.d.seq += 1;
        format!("id-{}", self.d.seq)
    }
    pub fn setup_info(&self) -> Result<Option<SetupInfo>> {
        Ok(self.d.setup.clone())
    }
    pub fn setup(&mut self, i: &SetupInput) -> Result<SetupInfo> {
        let mut f = vec![];
        if i.commune_code.len() != 5 || !i.commune_code.chars().all(|c| c.is_ascii_digit()) {
            f.push(FieldError {
                field: "commune_code".into(),
                message: "Mã xã phải gồm đúng 5 chữ số.".into(),
            });
        }
        if i.user_name.trim().is_empty() {
            f.push(FieldError {
                field: "user_name".into(),
                message: "Hãy nhập họ tên người dùng.".into(),
            });
        }
        if i.villages.is_empty() {
            f.push(FieldError {
                field: "villages".into(),
                message: "Cần ít nhất một thôn/xóm.".into(),
            });
        }
        if !f.is_empty() {
            return Err(Error::Fields(f));
        }
        let uid = self.id();
        let user = User {
            id: uid,
            name: i.user_name.clone(),
            role: i.user_role,
        };
        let mut vs = vec![];
        for (n, v) in i.villages.iter().enumerate() {
            let id = self.id();
            vs.push(Village {
                id,
                commune_code: i.commune_code.clone(),
                code: format!("{:02}", n + 1),
                name: v.name.clone(),
                kind: v.kind,
            });
        }
        self.d.setup = Some(SetupInfo {
            kind: i.kind,
            node_id: "n".into(),
            short_code: "AB12".into(),
            province_code: i.province_code.clone(),
            province_name: i.province_name.clone(),
            commune_code: i.commune_code.clone(),
            commune_name: i.commune_name.clone(),
            area: i.area,
            b1_region: i.b1_region.clone(),
            villages: vs,
            users: vec![user.clone()],
            current_user: Some(user),
            db_path: self.path.display().to_string(),
            schema_version: 1,
        });
        self.save()?;
        Ok(self.d.setup.clone().unwrap())
    }
    pub fn add_user(&mut self, name: &str, role: Role) -> Result<User> {
        if name.trim().is_empty() {
            return Err(Error::field("name", "Hãy nhập họ tên người dùng."));
        }
        let u = User {
            id: self.id(),
            name: name.into(),
            role,
        };
        self.d
            .setup
            .as_mut()
            .ok_or(Error::Conflict("Chưa thiết lập.".into()))?
            .users
            .push(u.clone());
        self.save()?;
        Ok(u)
    }
    pub fn set_current_user(&mut self, id: &str) -> Result<()> {
        let s = self
            .d
            .setup
            .as_mut()
            .ok_or(Error::Conflict("Chưa thiết lập.".into()))?;
        s.current_user = Some(
            s.users
                .iter()
                .find(|u| u.id == id)
                .cloned()
                .ok_or(Error::NotFound("Không có người dùng này.".into()))?,
        );
        self.save()
    }
    pub fn add_village(&mut self, v: &VillageInput) -> Result<Village> {
        let id = self.id();
        let s = self
            .d
            .setup
            .as_mut()
            .ok_or(Error::Conflict("Chưa thiết lập.".into()))?;
        let vi = Village {
            id,
            commune_code: s.commune_code.clone(),
            code: format!("{:02}", s.villages.len() + 1),
            name: v.name.clone(),
            kind: v.kind,
        };
        s.villages.push(vi.clone());
        self.save()?;
        Ok(vi)
    }
    pub fn villages(&self) -> Result<Vec<Village>> {
        Ok(self
            .d
            .setup
            .as_ref()
            .map(|s| s.villages.clone())
            .unwrap_or_default())
    }
    pub fn setting(&self, k: &str) -> Result<Option<String>> {
        Ok(self.d.settings.get(k).cloned())
    }
    pub fn set_setting(&mut self, k: &str, v: &str) -> Result<()> {
        self.d.settings.insert(k.into(), v.into());
        self.save()
    }
    pub fn list_households(&self, q: &HouseholdQuery) -> Result<HouseholdPage> {
        let s = q.search.as_deref().map(fold).unwrap_or_default();
        let all: Vec<_> = self
            .d
            .households
            .iter()
            .filter(|h| {
                s.is_empty()
                    || fold(&h.head_name).contains(&s)
                    || fold(&h.code).contains(&s)
                    || fold(&h.address).contains(&s)
            })
            .filter(|h| q.village_id.as_ref().is_none_or(|v| &h.village_id == v))
            .filter(|h| {
                q.flags.iter().all(|f| match f.as_str() {
                    "ethnic_minority" => h.ethnic_minority,
                    "no_labour" => h.no_labour,
                    "merit" => h.merit,
                    _ => true,
                })
            })
            .collect();
        let items = all
            .iter()
            .skip(q.offset as usize)
            .take(q.limit as usize)
            .map(|h| HouseholdSummary {
                id: h.id.clone(),
                code: h.code.clone(),
                head_name: h.head_name.clone(),
                village_id: h.village_id.clone(),
                village: h.village.clone(),
                members: h.members.len() as i64,
                address: h.address.clone(),
                ethnic_minority: h.ethnic_minority,
                no_labour: h.no_labour,
                merit: h.merit,
                class: h.class.clone(),
            })
            .collect();
        Ok(HouseholdPage {
            total: all.len() as u64,
            offset: q.offset,
            items,
        })
    }
    pub fn household(&self, id: &str) -> Result<HouseholdDetail> {
        self.d
            .households
            .iter()
            .find(|h| h.id == id)
            .cloned()
            .ok_or(Error::NotFound("Không tìm thấy hộ.".into()))
    }
    pub fn check_household(&self, i: &HouseholdInput) -> Vec<FieldIssue> {
        let mut v = vec![];
        if i.address.trim().is_empty() {
            v.push(FieldIssue {
                field: "address".into(),
                message: "Hãy nhập địa chỉ.".into(),
                severity: "error".into(),
            });
        }
        if i.members.iter().filter(|m| m.relation == "head").count() != 1 {
            v.push(FieldIssue {
                field: "members".into(),
                message: "Hộ phải có đúng một chủ hộ.".into(),
                severity: "error".into(),
            });
        }
        for (n, m) in i.members.iter().enumerate() {
            if m.full_name.trim().is_empty() {
                v.push(FieldIssue {
                    field: format!("members[{n}].full_name"),
                    message: "Hãy nhập họ tên.".into(),
                    severity: "error".into(),
                });
            }
            if let Some(idn) = &m.id_number {
                if idn.len() == 9 {
                    v.push(FieldIssue {
                        field: format!("members[{n}].id_number"),
                        message: "Số CMND 9 số cũ: vẫn nhận nhưng nên cập nhật số định danh 12 số."
                            .into(),
                        severity: "warning".into(),
                    });
                } else if idn.len() != 12 {
                    v.push(FieldIssue {
                        field: format!("members[{n}].id_number"),
                        message: "Số định danh cá nhân phải có 12 chữ số.".into(),
                        severity: "error".into(),
                    });
                }
            }
        }
        v
    }
    pub fn save_household(&mut self, i: &HouseholdInput) -> Result<SaveOutcome> {
        let issues = self.check_household(i);
        let errs: Vec<_> = issues
            .iter()
            .filter(|x| x.severity == "error")
            .map(|x| FieldError {
                field: x.field.clone(),
                message: x.message.clone(),
            })
            .collect();
        if !errs.is_empty() {
            return Err(Error::Fields(errs));
        }
        let id = match &i.id {
            Some(id) => id.clone(),
            None => self.id(),
        };
        let village = self
            .villages()?
            .into_iter()
            .find(|v| v.id == i.village_id)
            .ok_or(Error::field("village_id", "Hãy chọn thôn/xóm."))?;
        let mut members = vec![];
        for m in &i.members {
            let mid = m.id.clone().unwrap_or_else(|| self.id());
            members.push(Member {
                id: mid,
                household_id: id.clone(),
                input: m.clone(),
                age_text: m
                    .birth_year
                    .map(|y| format!("{} tuổi", 2026 - y))
                    .unwrap_or_default(),
                status: "present".into(),
            });
        }
        let head = members.iter().find(|m| m.input.relation == "head").cloned();
        let n = self.d.households.len();
        let existing = self.d.households.iter().position(|h| h.id == id);
        let code = existing
            .map(|p| self.d.households[p].code.clone())
            .unwrap_or_else(|| format!("{}-{:04}", village.code, n + 1));
        let h = HouseholdDetail {
            id: id.clone(),
            code,
            village_id: village.id,
            village: village.name,
            address: i.address.clone(),
            ethnicity: i.ethnicity.clone(),
            ethnic_minority: i.ethnic_minority,
            no_labour: i.no_labour,
            merit: i.merit,
            note: i.note.clone(),
            head_member_id: head.as_ref().map(|m| m.id.clone()),
            head_name: head.map(|m| m.input.full_name).unwrap_or_default(),
            status: "active".into(),
            members,
            events: existing
                .map(|p| self.d.households[p].events.clone())
                .unwrap_or_default(),
            class: None,
        };
        match existing {
            Some(p) => self.d.households[p] = h.clone(),
            None => self.d.households.push(h.clone()),
        }
        self.d.history.entry(id).or_default().push(HistoryEntry {
            time: "2026-11-23 02:00".into(),
            user: "?".into(),
            device: "AB12".into(),
            what: if existing.is_some() {
                "Sửa thông tin hộ".into()
            } else {
                "Thêm hộ mới".into()
            },
            changes: vec![Change {
                field: "address".into(),
                label: "Địa chỉ".into(),
                value: i.address.clone(),
            }],
        });
        self.save()?;
        Ok(SaveOutcome {
            household: h,
            warnings: issues,
        })
    }
    pub fn record_event(&mut self, e: &EventInput) -> Result<HouseholdDetail> {
        let eid = self.id();
        let h = self
            .d
            .households
            .iter_mut()
            .find(|h| h.id == e.household_id)
            .ok_or(Error::NotFound("Không tìm thấy hộ.".into()))?;
        h.events.push(HouseholdEvent {
            id: eid,
            household_id: h.id.clone(),
            kind: e.kind.clone(),
            date: e.date.clone(),
            member_id: e.member_id.clone(),
            note: e.note.clone(),
            summary: format!("Biến động {} ngày {}", e.kind, e.date),
        });
        let h = h.clone();
        self.save()?;
        Ok(h)
    }
    pub fn household_history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        Ok(self.d.history.get(id).cloned().unwrap_or_default())
    }
}

pub fn reference_lists() -> ReferenceLists {
    ReferenceLists {
        ethnicities: vec![
            r("01", "Kinh"),
            r("02", "Tày"),
            r("03", "Thái"),
            r("05", "Mường"),
            r("07", "Nùng"),
            r("08", "Mông"),
            r("09", "Dao"),
        ],
        relations: vec![
            r("head", "Chủ hộ"),
            r("spouse", "Vợ/chồng"),
            r("child", "Con"),
            r("parent", "Bố/mẹ"),
            r("grandchild", "Cháu"),
            r("other", "Khác"),
        ],
        sexes: vec![r("male", "Nam"), r("female", "Nữ")],
        education_levels: vec![
            r("none", "Chưa đi học"),
            r("primary", "Tiểu học"),
            r("lower_secondary", "THCS"),
            r("upper_secondary", "THPT"),
        ],
        work_statuses: vec![
            r("working", "Có việc làm"),
            r("unemployed", "Thất nghiệp"),
            r("student", "Đi học"),
        ],
        nutrition_statuses: vec![
            r("normal", "Bình thường"),
            r("stunted", "Thấp còi"),
            r("underweight", "Nhẹ cân"),
        ],
        event_kinds: vec![
            r("birth", "Sinh"),
            r("death", "Chết"),
            r("move_away", "Chuyển đi"),
            r("marriage", "Kết hôn"),
            r("change_head", "Đổi chủ hộ"),
            r("split", "Tách hộ"),
            r("merge", "Nhập hộ"),
            r("move_village", "Chuyển thôn"),
        ],
        village_kinds: vec![
            r("thon", "Thôn"),
            r("xom", "Xóm"),
            r("ban", "Bản"),
            r("ap", "Ấp"),
            r("to_dan_pho", "Tổ dân phố"),
        ],
        roles: vec![
            r("reviewer", "Rà soát viên"),
            r("commune_officer", "Cán bộ xã"),
            r("office_officer", "Cán bộ cơ quan cấp trên"),
        ],
    }
}

pub fn populate_demo(_l: &mut Ledger, _n: u32, _seed: u64) -> Result<()> {
    Ok(())
}
