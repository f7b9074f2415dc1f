//! Shared helpers: a temp ledger with a fixed clock and a set-up commune.

use giamngheo_core::clock::FixedClock;
use giamngheo_core::register::{HouseholdInput, MemberInput};
use giamngheo_core::setup::{AreaType, NodeKind, Role, SetupInput, VillageInput, VillageKind};
use giamngheo_core::Ledger;
use std::sync::Arc;

pub struct TestDb {
    /// Kept so the temporary folder lives as long as the ledger.
    #[allow(dead_code)]
    pub dir: tempfile::TempDir,
    pub ledger: Ledger,
}

pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_date(2026, 11, 20))
}

pub fn setup_input() -> SetupInput {
    SetupInput {
        kind: NodeKind::Commune,
        province_code: "04".into(),
        province_name: "Cao Bằng".into(),
        commune_code: "01234".into(),
        commune_name: "Sơn Lộ".into(),
        area: AreaType::Rural,
        b1_region: Some("NT2".into()),
        villages: vec![
            VillageInput {
                code: None,
                name: "Khưa Lốm".into(),
                kind: VillageKind::Xom,
            },
            VillageInput {
                code: None,
                name: "Nà Pán".into(),
                kind: VillageKind::Ban,
            },
        ],
        user_name: "Nông Thị Phương".into(),
        user_role: Role::CommuneOfficer,
    }
}

pub fn fresh() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = Ledger::open_with_clock(dir.path().join("test.db"), clock()).expect("open");
    TestDb { dir, ledger }
}

pub fn set_up() -> TestDb {
    let mut t = fresh();
    t.ledger.setup(&setup_input()).expect("setup");
    t
}

pub fn member(name: &str, relation: &str, sex: &str, birth: &str) -> MemberInput {
    MemberInput {
        full_name: name.into(),
        relation: relation.into(),
        sex: sex.into(),
        birth_date: Some(birth.into()),
        ethnicity: Some("02".into()),
        ..Default::default()
    }
}

pub fn household(ledger: &Ledger, members: Vec<MemberInput>) -> HouseholdInput {
    let village = ledger.villages().expect("villages")[0].id.clone();
    HouseholdInput {
        id: None,
        village_id: village,
        address: "Xóm Khưa Lốm".into(),
        ethnicity: Some("02".into()),
        ethnic_minority: true,
        members,
        ..Default::default()
    }
}

/// A full periodic review round under the 2022–2025 rules, starting on `start`.
pub fn periodic_round(start: &str) -> giamngheo_core::review::RoundInput {
    giamngheo_core::review::RoundInput {
        kind: "periodic".into(),
        scope: "full".into(),
        rules_id: "2022-2025".into(),
        start_date: start.into(),
        ..Default::default()
    }
}
