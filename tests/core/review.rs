//! Review rounds end to end: list, survey and classification with explanation, meeting rule,
//! posting, complaints, decision with certificates, lock, what-if under another rule set.

use crate::common::*;
use giamngheo_core::review::{DecisionInput, MeetingInput, RoundInput, SurveyInput};
use std::collections::BTreeMap;

use crate::common::periodic_round as periodic;

struct World {
    t: TestDb,
    poor: String,
    near: String,
    rich: String,
}

fn world() -> World {
    let mut t = set_up();
    let mut add = |name: &str, insured: bool| {
        let mut head = member(name, "head", "male", "1975-01-01");
        head.health_insurance = Some(insured);
        let mut child = member("Con Của Hộ", "child", "female", "2015-06-01");
        child.health_insurance = Some(true);
        child.attending_school = Some(true);
        t.ledger
            .save_household(&household(&t.ledger, vec![head, child]))
            .unwrap()
            .household
            .id
    };
    let poor = add("Giàng A Páo", false);
    let near = add("Vàng Văn Sinh", true);
    let rich = add("Hoàng Văn Phú", true);
    World {
        t,
        poor,
        near,
        rich,
    }
}

fn survey(round: &str, household: &str, score_a: i64, deprived: &[&str]) -> SurveyInput {
    SurveyInput {
        round_id: round.into(),
        household_id: household.into(),
        score_a: Some(score_a),
        deprivations: deprived.iter().map(|d| (d.to_string(), true)).collect(),
        reviewer: "Nông Văn Tùng".into(),
        survey_date: "2026-10-05".into(),
        ..Default::default()
    }
}

#[test]
fn rounds_respect_the_legal_calendar() {
    let mut w = world();
    let err =
        w.t.ledger
            .create_round(&periodic("2026-08-20"))
            .unwrap_err();
    assert!(err.field_errors()[0].message.contains("01/9"), "{err}");
    let monthly = RoundInput {
        kind: "monthly".into(),
        start_date: "2026-10-10".into(),
        ..periodic("")
    };
    let err = w.t.ledger.create_round(&monthly).unwrap_err();
    assert!(err.field_errors()[0].message.contains("ngày 15"), "{err}");
    w.t.ledger.create_round(&periodic("2026-09-15")).unwrap();
    let err =
        w.t.ledger
            .create_round(&periodic("2026-10-01"))
            .unwrap_err();
    assert!(
        err.to_string()
            .contains("đã có đợt rà soát định kỳ năm 2026"),
        "{err}"
    );
}

#[test]
fn a_full_periodic_round_from_survey_to_decision() {
    let mut w = world();
    let l = &mut w.t.ledger;
    let r = l.create_round(&periodic("2026-10-01")).unwrap();
    let id = r.round.id.clone();
    assert_eq!(r.round.households, 3);
    assert_eq!(r.round.rules_id, "2022-2025");

    // The register says the poor household's head has no health insurance: answering "not
    // deprived" without a reason is refused.
    let mut contradict = survey(&id, &w.poor, 120, &["sanitation", "water"]);
    contradict
        .deprivations
        .insert("health_insurance".into(), false);
    let err = l.save_survey(&contradict).unwrap_err();
    assert_eq!(
        err.field_errors()[0].field,
        "deprivations.health_insurance",
        "{err}"
    );

    let out = l
        .save_survey(&survey(&id, &w.poor, 120, &["sanitation", "water"]))
        .unwrap();
    assert_eq!(out.class, "poor");
    assert_eq!(out.score_b, 30, "derived health insurance + two answers");
    assert!(
        out.explanation
            .starts_with("Hộ nghèo — điểm A 120 ≤ 140 (nông thôn)"),
        "{}",
        out.explanation
    );
    assert!(
        out.explanation.contains("Nghị định 07/2021/NĐ-CP"),
        "{}",
        out.explanation
    );
    assert_eq!(out.transition, "new_poor");
    let out = l
        .save_survey(&survey(&id, &w.near, 140, &["sanitation"]))
        .unwrap();
    assert_eq!(out.class, "near_poor");
    let out = l
        .save_survey(&survey(
            &id,
            &w.rich,
            141,
            &["sanitation", "water", "telecom"],
        ))
        .unwrap();
    assert_eq!(out.class, "not_poor");

    let village = l.villages().unwrap()[0].id.clone();
    // Under 50 % agreement: the village goes back to survey.
    let d = l
        .record_meeting(&MeetingInput {
            round_id: id.clone(),
            village_id: village.clone(),
            date: "2026-10-20".into(),
            attendees: 40,
            agreed: 19,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(d.villages[0].resurvey, 3);
    assert!(
        d.blockers.iter().any(|b| b.contains("chưa rà soát")),
        "{:?}",
        d.blockers
    );
    let err = l.record_meeting(&MeetingInput {
        round_id: id.clone(),
        village_id: village.clone(),
        date: "2026-10-21".into(),
        attendees: 40,
        agreed: 30,
        ..Default::default()
    });
    assert!(
        err.is_err(),
        "a meeting cannot be held again before the re-survey"
    );
    for (h, a, dep) in [
        (&w.poor, 120, vec!["sanitation", "water"]),
        (&w.near, 140, vec!["sanitation"]),
        (&w.rich, 141, vec![]),
    ] {
        l.save_survey(&survey(&id, h, a, &dep)).unwrap();
    }
    let d = l
        .record_meeting(&MeetingInput {
            round_id: id.clone(),
            village_id: village.clone(),
            date: "2026-10-25".into(),
            attendees: 40,
            agreed: 20,
            chair: "Lục Văn Hải".into(),
            ..Default::default()
        })
        .unwrap();
    let m = d.villages[0].meeting.as_ref().unwrap();
    assert_eq!((m.result.as_str(), m.agreement_pct), ("passed", 50.0));

    // Posting for 3 working days from Friday 30/10 ends on Tuesday 3/11.
    let d = l.start_posting(&id, "2026-10-30").unwrap();
    assert_eq!(d.round.posting_end.as_deref(), Some("2026-11-03"));
    l.add_complaint(
        &id,
        &w.near,
        "2026-11-02",
        "Hộ cho rằng nhà tiêu không hợp vệ sinh",
    )
    .unwrap();
    let err = l
        .decide_round(&DecisionInput {
            round_id: id.clone(),
            number: "125/QĐ-UBND".into(),
            date: "2026-11-10".into(),
            signer: "Chủ tịch".into(),
        })
        .unwrap_err();
    assert!(err.to_string().contains("khiếu nại"), "{err}");
    let complaint = l.round(&id).unwrap().complaints[0].id.clone();
    l.resolve_complaint(&complaint, "2026-11-04", "Phúc tra: giữ nguyên kết quả")
        .unwrap();

    let d = l
        .decide_round(&DecisionInput {
            round_id: id.clone(),
            number: "125/QĐ-UBND".into(),
            date: "2026-11-10".into(),
            signer: "Chủ tịch".into(),
        })
        .unwrap();
    assert!(d.round.locked);
    assert_eq!(d.round.status, "decided");
    let certs = l.certificates(&id).unwrap();
    assert_eq!(
        certs.iter().map(|c| c.number.as_str()).collect::<Vec<_>>(),
        ["1/GCN-HN.HCN", "2/GCN-HN.HCN"]
    );

    // Locked: nothing about the round changes any more.
    let err = l.save_survey(&survey(&id, &w.poor, 100, &[])).unwrap_err();
    assert!(err.to_string().contains("khoá"), "{err}");

    // The register shows the decided class.
    assert_eq!(l.household(&w.poor).unwrap().class.as_deref(), Some("poor"));
    let page = l.list_households(&Default::default()).unwrap();
    assert!(page
        .items
        .iter()
        .any(|h| h.id == w.near && h.class.as_deref() == Some("near_poor")));

    // Next year's listed round takes the poor and near-poor households only, and sees the transition.
    l.set_clock(std::sync::Arc::new(
        giamngheo_core::clock::FixedClock::at_date(2027, 10, 20),
    ));
    let next = RoundInput {
        scope: "listed".into(),
        ..periodic("2027-09-15")
    };
    let r2 = l.create_round(&next).unwrap();
    assert_eq!(r2.round.households, 2);
    let out = l
        .save_survey(&SurveyInput {
            survey_date: "2027-10-01".into(),
            ..survey(&r2.round.id, &w.poor, 150, &[])
        })
        .unwrap();
    assert_eq!(out.transition, "escaped_poverty");
}

#[test]
fn a_survey_outside_the_list_is_refused_until_an_application_adds_it() {
    let mut w = world();
    let monthly = RoundInput {
        kind: "monthly".into(),
        start_date: "2026-10-15".into(),
        ..periodic("")
    };
    let r = w.t.ledger.create_round(&monthly).unwrap();
    assert_eq!(r.round.households, 0);
    let err =
        w.t.ledger
            .save_survey(&survey(&r.round.id, &w.poor, 100, &[]))
            .unwrap_err();
    assert!(err.to_string().contains("Phụ lục I"), "{err}");
    let app = giamngheo_core::review::ApplicationInput {
        round_id: r.round.id.clone(),
        household_id: w.poor.clone(),
        form: "mau01".into(),
        purpose: "review".into(),
        reason: "Thiên tai làm sập nhà".into(),
        received_date: "2026-10-15".into(),
    };
    let d = w.t.ledger.add_application(&app).unwrap();
    assert_eq!(d.round.households, 1);
    assert_eq!(
        d.round.deadline, "2026-10-30",
        "monthly decision within 15 days"
    );
    let out =
        w.t.ledger
            .save_survey(&survey(&r.round.id, &w.poor, 100, &["water", "sanitation"]))
            .unwrap();
    assert_eq!(out.class, "poor");
}

#[test]
fn what_if_lists_households_whose_class_would_change_without_writing() {
    let mut w = world();
    let l = &mut w.t.ledger;
    let r = l.create_round(&periodic("2026-10-01")).unwrap();
    let id = r.round.id;
    let mut s = survey(&id, &w.poor, 120, &["sanitation", "water"]);
    s.income_per_capita_month = Some(2_000_000);
    l.save_survey(&s).unwrap();
    let mut s = survey(&id, &w.near, 150, &["sanitation", "water", "telecom"]);
    s.income_per_capita_month = Some(2_100_000);
    l.save_survey(&s).unwrap();
    l.save_survey(&survey(&id, &w.rich, 200, &[])).unwrap();
    let ops_before = l.ops().unwrap().len();
    let wi = l.what_if(&id, "2027-2030").unwrap();
    assert_eq!(l.ops().unwrap().len(), ops_before, "what-if writes nothing");
    assert_eq!(wi.households, 3);
    // Under 2027-2030 the income line is 2,200,000 and there is no score line: the household above
    // the score line but with income 2.1M becomes near-poor (telecom is not a 2027-2030 indicator, so
    // 2 deprivations remain); the poor one stays poor; the one with only a score cannot be classified.
    let changed: BTreeMap<_, _> = wi
        .changed
        .iter()
        .map(|c| (c.household_id.clone(), (c.from.clone(), c.to.clone())))
        .collect();
    assert_eq!(
        changed.get(&w.near),
        Some(&(Some("not_poor".to_string()), Some("near_poor".to_string())))
    );
    assert!(!changed.contains_key(&w.poor));
    assert_eq!(wi.unclassifiable.len(), 1);
    assert_eq!(wi.unclassifiable[0].household_id, w.rich);
    assert!(
        wi.unclassifiable[0].explanation.contains("điểm A")
            || wi.unclassifiable[0].explanation.contains("thu nhập"),
        "{}",
        wi.unclassifiable[0].explanation
    );
    assert_eq!(wi.by_village.iter().map(|v| v.households).sum::<i64>(), 3);
}

#[test]
fn generated_communes_come_with_a_decided_periodic_round() {
    let mut t = fresh();
    let s = giamngheo_core::populate::populate(&mut t.ledger, 200, 11).unwrap();
    let round = t.ledger.round(&s.round_id.expect("a round")).unwrap();
    assert!(round.round.locked);
    assert_eq!(round.round.households, 200);
    assert_eq!(round.round.surveyed, 200);
    assert!(
        round.round.poor > 0 && round.round.near_poor > 0,
        "{:?}",
        round.round
    );
    let certs = t.ledger.certificates(&round.round.id).unwrap();
    assert_eq!(certs.len() as i64, round.round.poor + round.round.near_poor);
    let page = t
        .ledger
        .list_households(&giamngheo_core::register::HouseholdQuery {
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    assert!(page.items.iter().all(|h| h.class.is_some()));
    // A second generate adds households without a second round for the year.
    let again = giamngheo_core::populate::populate(&mut t.ledger, 10, 12).unwrap();
    assert_eq!(again.round_id, None);
    assert_eq!(t.ledger.rounds().unwrap().len(), 1);
}
