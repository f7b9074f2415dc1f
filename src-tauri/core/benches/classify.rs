//! Classification throughput of the core engine for 150,000 households (plain bench binary,
//! `harness = false`): `cargo bench -p giamngheo-core --bench classify`. Households are generated
//! deterministically (members with birth dates and flags, floor area, some explicit answers), so
//! derivation, scoring and the Vietnamese explanation are all exercised.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use giamngheo_core::rules::{classify, Area, Class, HouseholdFacts, MemberFacts, RuleSets};

const HOUSEHOLDS: usize = 150_000;

/// A small deterministic generator (no external crates).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn households(income_test: bool, reference: NaiveDate, ids: &[String]) -> Vec<HouseholdFacts> {
    let mut g = Lcg(42);
    (0..HOUSEHOLDS)
        .map(|_| {
            let size = 1 + g.below(7) as usize;
            let members = (0..size)
                .map(|_| {
                    let birth = NaiveDate::from_ymd_opt(
                        1940 + g.below(86) as i32,
                        1 + g.below(12) as u32,
                        1 + g.below(28) as u32,
                    );
                    MemberFacts {
                        birth_date: birth,
                        health_insurance: Some(g.below(10) > 0),
                        attending_school: Some(g.below(12) > 0),
                        malnourished: Some(g.below(15) == 0),
                        ..MemberFacts::default()
                    }
                })
                .collect();
            let mut deprivations = BTreeMap::new();
            for id in ids {
                if g.below(5) == 0 {
                    deprivations.insert(id.clone(), g.below(2) == 0);
                }
            }
            HouseholdFacts {
                area: if g.below(3) == 0 {
                    Area::Urban
                } else {
                    Area::Rural
                },
                reference_date: reference,
                score_a: if income_test {
                    None
                } else {
                    Some(60 + g.below(200) as i64)
                },
                income_per_capita_month: Some(500_000 + 10_000 * g.below(300) as i64),
                agricultural: g.below(2) == 0,
                floor_area_m2: Some(10.0 + g.below(120) as f64),
                deprivations,
                override_reasons: BTreeMap::new(),
                members,
            }
        })
        .collect()
}

fn main() {
    let sets = match RuleSets::builtin() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    for (id, income_test, reference) in [
        ("2022-2025", false, (2026, 9, 1)),
        ("2027-2030", true, (2027, 9, 1)),
    ] {
        let Some(rules) = sets.latest(id) else {
            continue;
        };
        let ids: Vec<String> = rules
            .indicators
            .iter()
            .filter(|i| i.derivation.is_empty())
            .map(|i| i.id.clone())
            .collect();
        let Some(reference) = NaiveDate::from_ymd_opt(reference.0, reference.1, reference.2) else {
            continue;
        };
        let input = households(income_test, reference, &ids);
        let mut best = f64::MAX;
        let mut counts: BTreeMap<Class, usize> = BTreeMap::new();
        for run in 0..5 {
            counts.clear();
            let start = Instant::now();
            for h in &input {
                match classify(&rules, black_box(h)) {
                    Ok(c) => *counts.entry(c.class).or_default() += 1,
                    Err(e) => {
                        eprintln!("{e}");
                        std::process::exit(1);
                    }
                }
            }
            let secs = start.elapsed().as_secs_f64();
            best = best.min(secs);
            println!(
                "{id} run {run}: {HOUSEHOLDS} households in {:.1} ms",
                secs * 1000.0
            );
        }
        println!(
            "{id}: best {:.1} ms for {HOUSEHOLDS} households = {:.0} households/s ({:.2} µs each); classes {:?}",
            best * 1000.0,
            HOUSEHOLDS as f64 / best,
            best * 1e6 / HOUSEHOLDS as f64,
            counts
        );
    }
}
