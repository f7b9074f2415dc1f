//! Paging through the whole register without a filter (the path `list_households` serves from the
//! `household_sort` index) returns exactly the households, in exactly the order, that a plain
//! table scan sorted by the same key gives, and agrees with the village-filtered pages and with
//! the one-query listing [`Ledger::list_all_households`].

use giamngheo_core::clock::FixedClock;
use giamngheo_core::populate::populate;
use giamngheo_core::register::HouseholdQuery;
use giamngheo_core::Ledger;
use std::collections::BTreeSet;
use std::sync::Arc;

#[test]
fn unfiltered_pages_follow_the_sort_key_and_cover_every_household_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open_with_clock(
        dir.path().join("so.db"),
        Arc::new(FixedClock::at_date(2026, 11, 20)),
    )
    .unwrap();
    populate(&mut ledger, 300, 11).unwrap();

    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let page = ledger
            .list_households(&HouseholdQuery {
                offset,
                limit: 37,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.total, 300);
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u32;
        paged.extend(page.items);
    }
    let ids: Vec<String> = paged.iter().map(|h| h.id.clone()).collect();

    // The oracle: a full scan (no index) sorted by the same key.
    let mut stmt = ledger
        .conn()
        .prepare(
            "SELECT id FROM household NOT INDEXED WHERE deleted = 0 AND status = 'active'
             ORDER BY sort_key, code",
        )
        .unwrap();
    let expected: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(ids, expected);

    // The village-filtered pages (served by the planner's own choice) hold the same households,
    // each in the same relative order.
    let mut union = BTreeSet::new();
    for v in ledger.villages().unwrap() {
        let page = ledger
            .list_households(&HouseholdQuery {
                village_id: Some(v.id.clone()),
                limit: 1000,
                ..Default::default()
            })
            .unwrap();
        let in_village: Vec<&String> = ids
            .iter()
            .filter(|id| paged.iter().any(|h| &h.id == *id && h.village_id == v.id))
            .collect();
        let got: Vec<&String> = page.items.iter().map(|h| &h.id).collect();
        assert_eq!(got, in_village, "village {}", v.name);
        union.extend(page.items.into_iter().map(|h| h.id));
    }
    assert_eq!(union, ids.iter().cloned().collect::<BTreeSet<_>>());
    // Every item carries the class of the decided demo round.
    assert!(paged.iter().all(|h| h.class.is_some()));

    // The one-query listing returns the same rows in the same order, with and without filters.
    assert_eq!(
        ledger
            .list_all_households(&HouseholdQuery::default())
            .unwrap(),
        paged
    );
    let head = paged[0]
        .head_name
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    for q in [
        HouseholdQuery {
            search: Some(head),
            ..Default::default()
        },
        HouseholdQuery {
            village_id: Some(paged[0].village_id.clone()),
            flags: vec!["ethnic_minority".into()],
            ..Default::default()
        },
    ] {
        let mut pages = Vec::new();
        let mut offset = 0;
        loop {
            let page = ledger
                .list_households(&HouseholdQuery {
                    offset,
                    limit: 7,
                    ..q.clone()
                })
                .unwrap();
            if page.items.is_empty() {
                break;
            }
            offset += page.items.len() as u32;
            pages.extend(page.items);
        }
        assert!(!pages.is_empty(), "{q:?}");
        assert_eq!(ledger.list_all_households(&q).unwrap(), pages, "{q:?}");
    }
}
