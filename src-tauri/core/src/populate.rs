//! Filling a ledger with a generated demo commune (`giamngheo generate`, the app's `--demo`).
//! The data comes from [`crate::demo`] (pure, deterministic); this module only writes it through
//! the ledger's write path, in batches, exactly as typed-in data would be.

use crate::demo::{generate_commune, DemoParams, DemoVillage, VillageKind as DemoKind};
use crate::error::Result;
use crate::ledger::{new_id, Change, Ledger, OpKind};
use crate::setup::{AreaType, NodeKind, Role, SetupInput, VillageInput, VillageKind};
use serde::Serialize;

/// What [`populate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PopulateSummary {
    pub households: u64,
    pub members: u64,
    pub villages: u64,
    /// True when the database was empty and a demo commune was set up first.
    pub set_up_demo_commune: bool,
}

/// The demo commune: Sơn Lộ, Bảo Lạc, Cao Bằng — a mountain commune like those the app is for.
pub fn demo_setup_input() -> SetupInput {
    SetupInput {
        kind: NodeKind::Commune,
        province_code: "04".into(),
        province_name: "Cao Bằng".into(),
        commune_code: "01290".into(),
        commune_name: "Sơn Lộ (dữ liệu mẫu)".into(),
        area: AreaType::Rural,
        b1_region: Some("NT2".into()),
        villages: Vec::new(),
        user_name: "Nông Thị Phương".into(),
        user_role: Role::CommuneOfficer,
    }
}

fn kind_of(k: DemoKind) -> VillageKind {
    match k.as_str() {
        "xom" => VillageKind::Xom,
        "ban" => VillageKind::Ban,
        "ap" => VillageKind::Ap,
        "to_dan_pho" => VillageKind::ToDanPho,
        _ => VillageKind::Thon,
    }
}

fn education_code(s: &str) -> &'static str {
    match s {
        "none" => "none",
        "primary" => "primary",
        "lower_secondary" => "lower_secondary",
        "upper_secondary" => "upper_secondary",
        "vocational" => "vocational_intermediate",
        _ => "university",
    }
}

fn work_code(s: &str) -> &'static str {
    match s {
        "child" => "child",
        "student" => "student",
        "farming" => "farming",
        "wage" => "wage",
        "self_employed" => "self_employed",
        "unemployed" => "unemployed",
        "unable_to_work" => "no_capacity",
        _ => "housework",
    }
}

/// Add `households` generated households (seeded by `seed`) to the ledger, setting up the demo
/// commune first if the database is empty. Villages that exist are reused.
pub fn populate(ledger: &mut Ledger, households: u32, seed: u64) -> Result<PopulateSummary> {
    let mut set_up = false;
    let identity = match ledger.local_identity()? {
        Some(i) => i,
        None => {
            ledger.setup(&demo_setup_input())?;
            set_up = true;
            ledger
                .local_identity()?
                .ok_or_else(|| crate::Error::Database("Thiết lập không được lưu.".into()))?
        }
    };
    let existing = ledger.villages()?;
    let mut params = DemoParams::new(
        seed,
        households,
        identity.commune_code.clone(),
        ledger.clock().today(),
    );
    if !existing.is_empty() {
        params.villages = Some(
            existing
                .iter()
                .map(|v| DemoVillage {
                    code: v.code.clone(),
                    name: v.name.clone(),
                    kind: DemoKind::parse(&v.kind).unwrap_or(DemoKind::Thon),
                })
                .collect(),
        );
    }
    let commune = generate_commune(&params);
    let mut village_ids: Vec<String> = existing.iter().map(|v| v.id.clone()).collect();
    if existing.is_empty() {
        for v in &commune.villages {
            let added = ledger.add_village(&VillageInput {
                code: Some(v.code.clone()),
                name: v.name.clone(),
                kind: kind_of(v.kind),
            })?;
            village_ids.push(added.id);
        }
    }
    let mut members = 0u64;
    for chunk in commune.households.chunks(250) {
        ledger.transact("generate", |w| {
            for h in chunk {
                let hid = new_id();
                let mut ids: Vec<String> = Vec::with_capacity(h.members.len());
                for _ in &h.members {
                    ids.push(new_id());
                }
                let head = h
                    .members
                    .iter()
                    .position(|m| m.relation.as_str() == "head")
                    .and_then(|i| ids.get(i).cloned());
                let code = w.next_household_code();
                let village = village_ids
                    .get(h.village_index)
                    .cloned()
                    .unwrap_or_default();
                w.apply(
                    Change::new("household", hid.clone(), OpKind::Create)
                        .with("code", code)
                        .with("commune_code", identity.commune_code.clone())
                        .with("village_id", village)
                        .with("address", h.address.clone())
                        .with("ethnicity", h.ethnicity)
                        .with("ethnic_minority", h.ethnic_minority)
                        .with("no_labour", h.no_labour)
                        .with("merit", h.merit)
                        .with("status", "active")
                        .with("head_member_id", head)
                        .with("created_at", w.device_time().to_owned()),
                )?;
                for (pos, (m, id)) in h.members.iter().zip(ids).enumerate() {
                    let mut c = Change::new("member", id, OpKind::Create)
                        .with("household_id", hid.clone())
                        .with("full_name", m.full_name.clone())
                        .with("birth_year", m.birth_year)
                        .with("sex", m.sex.as_str())
                        .with("ethnicity", m.ethnicity)
                        .with("relation", m.relation.as_str())
                        .with("health_insurance", m.health_insurance)
                        .with("attending_school", m.attending_school)
                        .with(
                            "education_level",
                            education_code(m.education_level.as_str()),
                        )
                        .with("work_status", work_code(m.work_status.as_str()))
                        .with("labour_contract", m.labour_contract)
                        .with("disability", m.disability)
                        .with("social_allowance", m.social_allowance)
                        .with("status", "present")
                        .with("position", pos as i64);
                    if let Some(d) = m.birth_date {
                        c.put("birth_date", d.format("%Y-%m-%d").to_string());
                    }
                    if let Some(n) = &m.id_number {
                        c.put("id_number", n.clone());
                    }
                    if let Some(card) = &m.health_insurance_card {
                        c.put("health_insurance_card", card.clone());
                    }
                    if let Some(n) = m.nutrition_status {
                        c.put("nutrition_status", n.as_str());
                    }
                    w.apply(c)?;
                    members += 1;
                }
            }
            Ok(())
        })?;
    }
    Ok(PopulateSummary {
        households: commune.households.len() as u64,
        members,
        villages: village_ids.len() as u64,
        set_up_demo_commune: set_up,
    })
}
