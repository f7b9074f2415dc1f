//! Filling a ledger with a generated demo commune (`giamngheo generate`, the app's `--demo`).
//! The data comes from [`crate::demo`] (pure, deterministic); this module only writes it through
//! the ledger's write path, in batches, exactly as typed-in data would be.

use crate::demo::DemoHousehold;
use crate::demo::{generate_commune, DemoParams, DemoVillage};
use crate::error::Result;
use crate::ledger::{new_id, Change, Ledger, OpKind};
use crate::review::{DecisionInput, MeetingInput, RoundInput, SurveyInput};
use crate::setup::{AreaType, NodeKind, Role, SetupInput, VillageInput, VillageKind};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

/// What [`populate`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PopulateSummary {
    pub households: u64,
    pub members: u64,
    pub villages: u64,
    /// True when the database was empty and a demo commune was set up first.
    pub set_up_demo_commune: bool,
    /// The completed periodic round created for the generated households, if one was.
    pub round_id: Option<String>,
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
/// commune first if the database is empty, and run the year's periodic round on them. Villages
/// that exist are reused.
pub fn populate(ledger: &mut Ledger, households: u32, seed: u64) -> Result<PopulateSummary> {
    populate_with(ledger, households, seed, true)
}

/// [`populate`], choosing whether the generated households also get a decided periodic round
/// (`false`: register only, e.g. to rehearse a review round by hand).
pub fn populate_with(
    ledger: &mut Ledger,
    households: u32,
    seed: u64,
    with_round: bool,
) -> Result<PopulateSummary> {
    ledger.with_bulk_writes(|l| populate_in(l, households, seed, with_round))
}

fn populate_in(
    ledger: &mut Ledger,
    households: u32,
    seed: u64,
    with_round: bool,
) -> Result<PopulateSummary> {
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
                    kind: VillageKind::parse(&v.kind).unwrap_or(VillageKind::Thon),
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
                kind: v.kind,
            })?;
            village_ids.push(added.id);
        }
    }
    let mut members = 0u64;
    let mut created: Vec<String> = Vec::with_capacity(commune.households.len());
    for chunk in commune.households.chunks(250) {
        ledger.transact("generate", |w| {
            for h in chunk {
                let hid = new_id();
                created.push(hid.clone());
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
    let round = if with_round {
        complete_demo_round(ledger, &created, &commune.households)?
    } else {
        None
    };
    Ok(PopulateSummary {
        households: commune.households.len() as u64,
        members,
        villages: village_ids.len() as u64,
        set_up_demo_commune: set_up,
        round_id: round,
    })
}

/// Plausible causes of poverty (ids of `rules/poverty-causes.json`) for a generated poor or
/// near-poor household, from what the register says about it and, for the causes the register
/// cannot show (land, capital, tools), its position `n` in the list: deterministic, one to three
/// causes per household.
pub fn demo_causes(h: &DemoHousehold, n: usize) -> Vec<&'static str> {
    let mut out = Vec::new();
    let adults: Vec<_> = h.members.iter().filter(|m| m.age >= 15).collect();
    if h.no_labour {
        out.push("labour");
    }
    if h.agricultural {
        if n.is_multiple_of(3) {
            out.push("land");
        }
        if n % 5 == 1 {
            out.push("tools");
        }
    }
    if n.is_multiple_of(2) || out.is_empty() && n % 7 == 3 {
        out.push("capital");
    }
    let low_education = !adults.is_empty()
        && adults.iter().all(|m| {
            matches!(
                m.education_level,
                crate::demo::EducationLevel::None | crate::demo::EducationLevel::Primary
            )
        });
    if low_education && out.len() < 3 {
        out.push(if h.agricultural {
            "knowledge"
        } else {
            "skills"
        });
    }
    if h.members.iter().any(|m| m.disability) && out.len() < 3 {
        out.push("illness");
    }
    if out.is_empty() {
        out.push(if n.is_multiple_of(4) {
            "illness"
        } else {
            "other"
        });
    }
    out
}

/// Run the current year's periodic review on the generated households and decide it, so lists,
/// reports and the exchange have real classifications to carry. Skipped when the commune already
/// has a periodic round for that year (a second `generate` only adds households).
fn complete_demo_round(
    ledger: &mut Ledger,
    ids: &[String],
    households: &[DemoHousehold],
) -> Result<Option<String>> {
    let today = ledger.clock().today();
    // The round of the latest year whose whole calendar (survey, meeting, posting, decision) is past.
    let year = if today >= NaiveDate::from_ymd_opt(today.year(), 10, 31).unwrap_or(today) {
        today.year()
    } else {
        today.year() - 1
    };
    if ids.is_empty()
        || ledger
            .rounds()?
            .iter()
            .any(|r| r.kind == "periodic" && r.year == year)
    {
        return Ok(None);
    }
    let day = |m: u32, d: u32| {
        NaiveDate::from_ymd_opt(year, m, d)
            .map(|x| x.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let round = ledger.create_round(&RoundInput {
        kind: "periodic".into(),
        scope: "full".into(),
        rules_id: "2022-2025".into(),
        start_date: day(9, 15),
        reference_date: None,
        posting_days: Some(3),
        title: None,
    })?;
    let round_id = round.round.id;
    let in_round: std::collections::BTreeSet<String> = ledger
        .round_households(&round_id, None)?
        .into_iter()
        .map(|r| r.household_id)
        .collect();
    let info = ledger.setup_info()?;
    let reviewer = info
        .as_ref()
        .and_then(|i| i.current_user.clone())
        .map(|u| u.name)
        .unwrap_or_else(|| "Rà soát viên".into());
    // Poor and near-poor = score A within the line (the classification rule); only they get
    // causes of poverty, from the ids the cause catalogue offers.
    let line = ledger
        .rule_sets()?
        .latest("2022-2025")
        .and_then(|r| r.score_a_line)
        .map(|l| match info.as_ref().map(|i| i.area) {
            Some(AreaType::Urban) => l.urban,
            _ => l.rural,
        });
    let catalogue: Vec<String> = ledger
        .poverty_causes("2022-2025")?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let inputs: Vec<SurveyInput> = ids
        .iter()
        .zip(households)
        .filter(|(id, _)| in_round.contains(*id))
        .enumerate()
        .map(|(n, (id, h))| {
            let mut deprivations = BTreeMap::new();
            deprivations.insert("housing_quality".to_string(), !h.durable_house);
            deprivations.insert("water".to_string(), !h.clean_water);
            deprivations.insert("sanitation".to_string(), !h.hygienic_toilet);
            deprivations.insert("telecom".to_string(), !h.uses_telecom);
            deprivations.insert("information_access".to_string(), !h.has_information_device);
            SurveyInput {
                round_id: round_id.clone(),
                household_id: id.clone(),
                score_a: Some(i64::from(h.score_a)),
                agricultural: h.agricultural,
                floor_area_m2: Some(f64::from(h.floor_area_m2)),
                deprivations,
                reviewer: reviewer.clone(),
                survey_date: day(10, 1),
                poverty_causes: if line.is_some_and(|l| i64::from(h.score_a) <= l) {
                    demo_causes(h, n)
                        .into_iter()
                        .filter(|c| catalogue.iter().any(|x| x == c))
                        .map(str::to_owned)
                        .collect()
                } else {
                    Vec::new()
                },
                ..Default::default()
            }
        })
        .collect();
    ledger.save_surveys(&round_id, &inputs)?;
    for v in ledger
        .round(&round_id)?
        .villages
        .into_iter()
        .filter(|v| v.total > 0)
    {
        let attendees = (v.total / 2).clamp(12, 80);
        ledger.record_meeting(&MeetingInput {
            round_id: round_id.clone(),
            village_id: v.village_id,
            date: day(10, 12),
            attendees,
            agreed: attendees - attendees / 6,
            chair: "Trưởng thôn".into(),
            note: String::new(),
        })?;
    }
    ledger.start_posting(&round_id, &day(10, 19))?;
    ledger.decide_round(&DecisionInput {
        round_id: round_id.clone(),
        number: format!("215/QĐ-UBND-{year}"),
        date: day(10, 28),
        signer: "Chủ tịch UBND xã".into(),
    })?;
    Ok(Some(round_id))
}
