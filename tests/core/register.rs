//! The household register: validation, save, search, sorting, events and history.

use crate::common::*;
use giamngheo_core::register::{EventInput, HouseholdQuery, MemberInput};

fn query(search: &str) -> HouseholdQuery {
    HouseholdQuery {
        search: Some(search.into()),
        limit: 50,
        ..Default::default()
    }
}

#[test]
fn a_household_with_two_members_is_saved_and_found_without_diacritics() {
    let mut t = set_up();
    let h = household(
        &t.ledger,
        vec![
            member("Nông Thị Phương", "head", "female", "1972-04-10"),
            member("Đặng Văn Khải", "spouse", "male", "1970-01-15"),
        ],
    );
    let out = t.ledger.save_household(&h).unwrap();
    assert_eq!(out.household.members.len(), 2);
    assert_eq!(out.household.head_name, "Nông Thị Phương");
    for q in [
        "nong thi phuong",
        "NÔNG THỊ",
        "phuong",
        "dang",
        "Đặng",
        "khai",
        &out.household.code.to_lowercase(),
    ] {
        let page = t.ledger.list_households(&query(q)).unwrap();
        assert_eq!(page.total, 1, "query {q:?}");
        assert_eq!(page.items[0].members, 2);
        assert_eq!(page.items[0].head_name, "Nông Thị Phương");
    }
    assert_eq!(
        t.ledger
            .list_households(&query("nong thi hoa"))
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        t.ledger.list_households(&query("%")).unwrap().total,
        0,
        "LIKE wildcards are literal"
    );
}

#[test]
fn the_register_survives_reopening() {
    let mut t = set_up();
    let path = t.ledger.path().to_path_buf();
    t.ledger
        .save_household(&household(
            &t.ledger,
            vec![member("Lương Văn Thắng", "head", "male", "1960-12-01")],
        ))
        .unwrap();
    drop(t.ledger);
    let l = giamngheo_core::Ledger::open_with_clock(&path, clock()).unwrap();
    assert_eq!(
        l.list_households(&query("luong van thang")).unwrap().total,
        1
    );
}

#[test]
fn households_are_listed_in_vietnamese_order_of_the_heads_given_name() {
    let mut t = set_up();
    for name in [
        "Nông Thị Phương",
        "Hoàng Văn Ân",
        "Lục Văn An",
        "Đàm Thị Đào",
        "Triệu Văn Dũng",
    ] {
        t.ledger
            .save_household(&household(
                &t.ledger,
                vec![member(name, "head", "male", "1980-01-01")],
            ))
            .unwrap();
    }
    let page = t
        .ledger
        .list_households(&HouseholdQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let names: Vec<_> = page.items.iter().map(|i| i.head_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Lục Văn An",
            "Hoàng Văn Ân",
            "Triệu Văn Dũng",
            "Đàm Thị Đào",
            "Nông Thị Phương"
        ]
    );
}

#[test]
fn paging_and_filters_by_village_and_flag() {
    let mut t = set_up();
    let villages = t.ledger.villages().unwrap();
    for i in 0..30 {
        let mut h = household(
            &t.ledger,
            vec![member(
                &format!("Hoàng Văn {}", ["An", "Bình", "Cường"][i % 3]),
                "head",
                "male",
                "1980-01-01",
            )],
        );
        h.village_id = villages[i % 2].id.clone();
        h.merit = i % 5 == 0;
        t.ledger.save_household(&h).unwrap();
    }
    let p1 = t
        .ledger
        .list_households(&HouseholdQuery {
            limit: 20,
            ..Default::default()
        })
        .unwrap();
    let p2 = t
        .ledger
        .list_households(&HouseholdQuery {
            limit: 20,
            offset: 20,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((p1.total, p1.items.len(), p2.items.len()), (30, 20, 10));
    let by_village = t
        .ledger
        .list_households(&HouseholdQuery {
            village_id: Some(villages[1].id.clone()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_village.total, 15);
    assert!(by_village
        .items
        .iter()
        .all(|i| i.village == villages[1].name));
    let merit = t
        .ledger
        .list_households(&HouseholdQuery {
            flags: vec!["merit".into()],
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(merit.total, 6);
    assert!(t
        .ledger
        .list_households(&HouseholdQuery {
            flags: vec!["bogus".into()],
            ..Default::default()
        })
        .is_err());
}

fn field_errors(e: giamngheo_core::Error) -> Vec<(String, String)> {
    e.field_errors()
        .into_iter()
        .map(|f| (f.field, f.message))
        .collect()
}

#[test]
fn impossible_personal_data_is_refused_field_by_field_and_nothing_is_written() {
    let mut t = set_up();
    let ops_before = t.ledger.ops().unwrap().len();
    let mut bad = member("", "head", "male", "2030-01-01");
    bad.id_number = Some("12345".into());
    let mut old = member("Giàng A Páo", "spouse", "female", "1800-01-01");
    old.ethnicity = Some("99".into());
    let h = household(&t.ledger, vec![bad, old]);
    let errs = field_errors(t.ledger.save_household(&h).expect_err("invalid"));
    let has =
        |field: &str, needle: &str| errs.iter().any(|(f, m)| f == field && m.contains(needle));
    assert!(
        has("members[0].full_name", "Chưa nhập họ và tên"),
        "{errs:?}"
    );
    assert!(has("members[0].birth_date", "tương lai"), "{errs:?}");
    assert!(has("members[0].id_number", "12"), "{errs:?}");
    assert!(has("members[1].birth_date", "120"), "{errs:?}");
    assert!(has("members[1].ethnicity", "dân tộc"), "{errs:?}");
    assert_eq!(t.ledger.ops().unwrap().len(), ops_before);
    assert_eq!(
        t.ledger.list_households(&Default::default()).unwrap().total,
        0
    );
}

#[test]
fn a_household_needs_exactly_one_head_and_a_village() {
    let mut t = set_up();
    let mut h = household(
        &t.ledger,
        vec![member("Lý Thị Hoa", "spouse", "female", "1990-01-01")],
    );
    h.village_id = String::new();
    let errs = field_errors(t.ledger.save_household(&h).unwrap_err());
    assert!(
        errs.iter()
            .any(|(f, m)| f == "members" && m.contains("chủ hộ")),
        "{errs:?}"
    );
    assert!(errs.iter().any(|(f, _)| f == "village_id"), "{errs:?}");
}

#[test]
fn an_id_number_that_disagrees_with_sex_and_birth_year_is_saved_with_a_warning() {
    let mut t = set_up();
    let mut m = member("Vàng Thị Dua", "head", "female", "1985-05-05");
    m.id_number = Some("004 0 85 123456".into()); // digit 4 = 0: a man born in the 1900s
    let out = t
        .ledger
        .save_household(&household(&t.ledger, vec![m]))
        .unwrap();
    assert!(
        out.warnings
            .iter()
            .any(|w| w.field == "members[0].id_number"),
        "{:?}",
        out.warnings
    );
    assert_eq!(
        out.household.members[0].id_number.as_deref(),
        Some("004085123456")
    );
}

#[test]
fn a_legacy_nine_digit_number_is_accepted_with_a_warning() {
    let t = set_up();
    let mut m = member("Sùng A Chứ", "head", "male", "1950-01-01");
    m.id_number = Some("085123456".into());
    let issues = t.ledger.check_household(&household(&t.ledger, vec![m]));
    assert!(issues.iter().all(|i| i.severity == "warning"), "{issues:?}");
    assert!(issues.iter().any(|i| i.field == "members[0].id_number"));
}

#[test]
fn birth_year_alone_is_enough_for_the_elderly() {
    let mut t = set_up();
    let m = MemberInput {
        full_name: "Thào Thị Mỷ".into(),
        relation: "head".into(),
        sex: "female".into(),
        birth_year: Some(1941),
        ..Default::default()
    };
    let out = t
        .ledger
        .save_household(&household(&t.ledger, vec![m]))
        .unwrap();
    assert_eq!(out.household.members[0].age_text, "khoảng 85 tuổi");
    assert_eq!(out.household.members[0].birth_date, None);
}

#[test]
fn a_duplicate_id_number_in_another_household_is_a_warning() {
    let mut t = set_up();
    let mut m = member("Nông Văn A", "head", "male", "1985-05-05");
    m.id_number = Some("004085000001".into());
    t.ledger
        .save_household(&household(&t.ledger, vec![m.clone()]))
        .unwrap();
    m.full_name = "Nông Văn B".into();
    let out = t
        .ledger
        .save_household(&household(&t.ledger, vec![m]))
        .unwrap();
    assert!(
        out.warnings
            .iter()
            .any(|w| w.message.contains("đã có trong sổ")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn editing_writes_only_changed_fields() {
    let mut t = set_up();
    let out = t
        .ledger
        .save_household(&household(
            &t.ledger,
            vec![member("Ma Thị Hiền", "head", "female", "1982-02-02")],
        ))
        .unwrap();
    let before = t.ledger.ops().unwrap().len();
    let mut h = household(&t.ledger, vec![]);
    h.id = Some(out.household.id.clone());
    h.members = vec![MemberInput {
        id: Some(out.household.members[0].id.clone()),
        ..member("Ma Thị Hiền", "head", "female", "1982-02-02")
    }];
    h.address = "Bản Nà Pán".into();
    t.ledger.save_household(&h).unwrap();
    let ops = t.ledger.ops().unwrap();
    assert_eq!(ops.len(), before + 1);
    let last = ops.iter().max_by_key(|o| o.lamport).unwrap();
    assert_eq!(last.body.set.keys().collect::<Vec<_>>(), ["address"]);
    assert_eq!(
        last.body.base["address"].len(),
        1,
        "the edit names the revision it replaced"
    );
}

#[test]
fn events_birth_death_change_of_head_split_merge_and_move() {
    let mut t = set_up();
    let out = t
        .ledger
        .save_household(&household(
            &t.ledger,
            vec![
                member("Hoàng Văn Bảo", "head", "male", "1950-01-01"),
                member("Nông Thị Lụa", "spouse", "female", "1955-01-01"),
                member("Hoàng Văn Cường", "child", "male", "1980-01-01"),
                member("Hoàng Thị Dung", "child", "female", "1985-01-01"),
            ],
        ))
        .unwrap();
    let hh = out.household;
    let id = |name: &str| {
        hh.members
            .iter()
            .find(|m| m.full_name == name)
            .unwrap()
            .id
            .clone()
    };
    let ev = |kind: &str| EventInput {
        household_id: hh.id.clone(),
        kind: kind.into(),
        date: "2026-10-01".into(),
        ..Default::default()
    };

    let d = t
        .ledger
        .record_event(&EventInput {
            new_member: Some(member("Hoàng Văn Em", "grandchild", "male", "2026-09-30")),
            ..ev("birth")
        })
        .unwrap();
    assert_eq!(
        d.members.iter().filter(|m| m.status == "present").count(),
        5
    );

    // The head dies: a new head must be named.
    let err = t
        .ledger
        .record_event(&EventInput {
            member_id: Some(id("Hoàng Văn Bảo")),
            ..ev("death")
        })
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "new_head_member_id");
    let d = t
        .ledger
        .record_event(&EventInput {
            member_id: Some(id("Hoàng Văn Bảo")),
            new_head_member_id: Some(id("Nông Thị Lụa")),
            ..ev("death")
        })
        .unwrap();
    assert_eq!(d.head_name, "Nông Thị Lụa");
    assert_eq!(
        d.members
            .iter()
            .find(|m| m.full_name == "Hoàng Văn Bảo")
            .unwrap()
            .status,
        "dead"
    );

    // Split: the son leaves with his own household.
    let before = t.ledger.list_households(&Default::default()).unwrap().total;
    t.ledger
        .record_event(&EventInput {
            member_ids: vec![id("Hoàng Văn Cường")],
            new_head_member_id: Some(id("Hoàng Văn Cường")),
            ..ev("split")
        })
        .unwrap();
    assert_eq!(
        t.ledger.list_households(&Default::default()).unwrap().total,
        before + 1
    );
    let split = t.ledger.list_households(&query("hoang van cuong")).unwrap();
    let new_hh = split
        .items
        .iter()
        .find(|i| i.head_name == "Hoàng Văn Cường")
        .expect("new household headed by the son");
    assert_eq!(new_hh.members, 1);

    // Move village.
    let other_village = t.ledger.villages().unwrap()[1].id.clone();
    let d = t
        .ledger
        .record_event(&EventInput {
            target_village_id: Some(other_village.clone()),
            ..ev("move_village")
        })
        .unwrap();
    assert_eq!(d.village_id, other_village);

    // Merge the split household back.
    t.ledger
        .record_event(&EventInput {
            household_id: new_hh.id.clone(),
            kind: "merge".into(),
            date: "2026-10-02".into(),
            target_household_id: Some(hh.id.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        t.ledger.list_households(&Default::default()).unwrap().total,
        before
    );
    let d = t.ledger.household(&hh.id).unwrap();
    assert!(d
        .members
        .iter()
        .any(|m| m.full_name == "Hoàng Văn Cường" && m.status == "present"));
    assert!(d.events.len() >= 5, "{:?}", d.events);
    assert!(
        d.events
            .iter()
            .any(|e| e.summary.contains("Hoàng Văn Bảo chết")),
        "{:?}",
        d.events
    );

    // A future date is refused.
    let err = t
        .ledger
        .record_event(&EventInput {
            date: "2030-01-01".into(),
            new_member: Some(member("X Y", "child", "male", "2026-01-01")),
            ..ev("birth")
        })
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "date");
}

#[test]
fn history_says_who_changed_what() {
    let mut t = set_up();
    let out = t
        .ledger
        .save_household(&household(
            &t.ledger,
            vec![member("Bàn Văn Kiềm", "head", "male", "1977-07-07")],
        ))
        .unwrap();
    let hist = t.ledger.household_history(&out.household.id).unwrap();
    assert!(hist.iter().any(|e| e.what == "Tạo hộ"), "{hist:?}");
    let add = hist
        .iter()
        .find(|e| e.what.starts_with("Thêm thành viên"))
        .unwrap();
    assert_eq!(add.user, "Nông Thị Phương");
    assert!(add
        .changes
        .iter()
        .any(|c| c.label == "Họ và tên" && c.value == "Bàn Văn Kiềm"));
    assert!(add
        .changes
        .iter()
        .any(|c| c.label == "Giới tính" && c.value == "Nam"));
}

#[test]
fn setup_is_validated_and_cannot_run_twice() {
    let mut t = fresh();
    let mut bad = setup_input();
    bad.commune_code = "12".into();
    bad.user_name = " ".into();
    let errs = field_errors(t.ledger.setup(&bad).unwrap_err());
    assert!(errs.iter().any(|(f, _)| f == "commune_code"));
    assert!(errs.iter().any(|(f, _)| f == "user_name"));
    assert!(t.ledger.setup_info().unwrap().is_none(), "nothing saved");
    t.ledger.setup(&setup_input()).unwrap();
    assert!(t.ledger.setup(&setup_input()).is_err());
}

#[test]
fn households_whose_head_matches_come_before_matches_on_other_members() {
    let mut t = set_up();
    t.ledger
        .save_household(&household(
            &t.ledger,
            vec![
                member("Hoàng Văn An", "head", "male", "1970-01-01"),
                member("Nông Thị Phương", "spouse", "female", "1972-01-01"),
            ],
        ))
        .unwrap();
    t.ledger
        .save_household(&household(
            &t.ledger,
            vec![member("Nông Thị Phương", "head", "female", "1960-01-01")],
        ))
        .unwrap();
    let page = t.ledger.list_households(&query("nong thi phuong")).unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].head_name, "Nông Thị Phương");
    assert_eq!(page.items[1].head_name, "Hoàng Văn An");
}

#[test]
fn heads_whose_words_start_with_the_terms_rank_before_substring_matches() {
    let mut t = set_up();
    for name in ["Vàng A Chứ", "Chu Văn Định", "Lò Văn Chu"] {
        t.ledger
            .save_household(&household(
                &t.ledger,
                vec![member(name, "head", "male", "1980-01-01")],
            ))
            .unwrap();
    }
    let page = t.ledger.list_households(&query("chu van")).unwrap();
    let names: Vec<_> = page.items.iter().map(|i| i.head_name.as_str()).collect();
    assert_eq!(
        names,
        ["Chu Văn Định", "Lò Văn Chu", "Vàng A Chứ"],
        "phrase, whole words, then prefixes"
    );
}
