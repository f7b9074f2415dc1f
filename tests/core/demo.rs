//! The demo generator through the public API, as the ledger and the CLI use it: every generated
//! member passes the ID-number check and carries a known ethnicity code; the JSON shape is stable.

use chrono::NaiveDate;
use giamngheo_core::cccd::check_id_number;
use giamngheo_core::demo::{generate_commune, DemoParams, Relation};
use giamngheo_core::ethnicity;

fn params(seed: u64, households: u32) -> DemoParams {
    let date = NaiveDate::from_ymd_opt(2026, 9, 1).expect("valid date");
    DemoParams::new(seed, households, "01273", date)
}

#[test]
fn demo_commune_of_1500_households_is_consistent() {
    let c = generate_commune(&params(1, 1_500));
    assert_eq!(c.households.len(), 1_500);
    assert_eq!(c.commune_code, "01273");
    for h in &c.households {
        assert_eq!(h.members[0].relation, Relation::Head);
        assert_eq!(h.ethnicity, h.members[0].ethnicity);
        for m in &h.members {
            let e = ethnicity::by_code(m.ethnicity).expect("known ethnicity code");
            assert_eq!(e.code, m.ethnicity);
            if let Some(id) = &m.id_number {
                let check = check_id_number(id, Some(m.sex.as_str()), Some(m.birth_year));
                assert!(check.is_acceptable(), "{id}");
                assert!(check.warnings.is_empty(), "{id}: {:?}", check.warnings);
                assert!(check.province.is_some());
            }
        }
    }
    assert_eq!(
        generate_commune(&params(1, 1_500)).fingerprint(),
        c.fingerprint()
    );
}

#[test]
fn json_shape_uses_stable_codes() {
    let c = generate_commune(&params(3, 5));
    let v = serde_json::to_value(&c).expect("serialisable");
    let village = &v["villages"][0];
    assert_eq!(village["code"], "01");
    assert!(["thon", "xom", "ban"].contains(&village["kind"].as_str().unwrap_or("")));
    let member = &v["households"][0]["members"][0];
    assert_eq!(member["relation"], "head");
    assert!(["male", "female"].contains(&member["sex"].as_str().unwrap_or("")));
    assert!(member["birth_year"].is_i64());
    assert!(member["full_name"]
        .as_str()
        .is_some_and(|s| s.contains(' ')));
    let hh = &v["households"][0];
    for key in [
        "village_index",
        "address",
        "ethnicity",
        "ethnic_minority",
        "no_labour",
        "merit",
        "floor_area_m2",
        "durable_house",
        "clean_water",
        "hygienic_toilet",
        "uses_telecom",
        "has_information_device",
        "income_per_capita_month",
        "agricultural",
        "score_a",
    ] {
        assert!(!hh[key].is_null(), "{key}");
    }
}
