//! The conflict review (issue 4, item 5) between real ledgers: two laptops of one commune edit
//! the same field, the office and the communes see the item with who / when / which laptop,
//! a person resolves it by picking a value or typing one, and after export/import both ways
//! every replica has the same rows and no open item. Invalid typed values change nothing;
//! identity, eligibility and income fields are never resolved without a person.

use crate::sync::{device, dump, enrol, office, send};
use giamngheo_core::ledger::{Change, OpKey, OpKind};
use giamngheo_core::register::{HouseholdInput, MemberInput};
use giamngheo_core::resolve::{Choice, ConflictDetail};
use giamngheo_core::setup::Role;
use giamngheo_core::{Error, Ledger};
use serde_json::{json, Value};
use std::path::Path;

struct Net {
    dir: tempfile::TempDir,
    office: Ledger,
    /// The commune officer's laptop (01234-1).
    a: Ledger,
    /// A reviewer's laptop of the same commune sending straight to the office (01234-2).
    r: Ledger,
}

fn net() -> Net {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut office = office(d);
    let mut a = device(d, "a.db", "01234", Role::CommuneOfficer, &office);
    let mut r = device(d, "r.db", "01234", Role::Reviewer, &office);
    enrol(d, &mut office, &mut a);
    enrol(d, &mut office, &mut r);
    Net { dir, office, a, r }
}

/// Each laptop → office, office → each laptop, twice.
fn settle(d: &Path, n: &mut Net) {
    for _ in 0..2 {
        send(d, &mut n.a, &mut n.office);
        send(d, &mut n.r, &mut n.office);
        send(d, &mut n.office, &mut n.a);
        send(d, &mut n.office, &mut n.r);
    }
}

/// A household with a male head born 1980 (ID 004080001234) and a daughter.
fn household(l: &mut Ledger) -> (String, String) {
    let village = l.villages().expect("villages")[0].id.clone();
    let input = HouseholdInput {
        village_id: village,
        address: "Nhà 1".into(),
        ethnicity: Some("02".into()),
        ethnic_minority: true,
        members: vec![
            MemberInput {
                full_name: "Nông Văn Dũng".into(),
                relation: "head".into(),
                sex: "male".into(),
                birth_date: Some("1980-03-04".into()),
                ethnicity: Some("02".into()),
                id_number: Some("004080001234".into()),
                ..Default::default()
            },
            MemberInput {
                full_name: "Nông Thị Hoa".into(),
                relation: "child".into(),
                sex: "female".into(),
                birth_date: Some("2010-05-06".into()),
                ethnicity: Some("02".into()),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let hh = l.save_household(&input).expect("save").household;
    let head = hh.members[0].id.clone();
    (hh.id, head)
}

fn edit(l: &mut Ledger, entity: &'static str, id: &str, field: &str, value: Value) {
    l.write(
        "edit",
        vec![Change::new(entity, id, OpKind::Update).with(field, value)],
    )
    .expect("edit");
}

fn column(l: &Ledger, table: &str, id: &str, col: &str) -> Value {
    l.conn()
        .query_row(
            &format!("SELECT {col} FROM {table} WHERE id = ?1"),
            [id],
            |r| r.get::<_, rusqlite::types::Value>(0),
        )
        .map(|v| match v {
            rusqlite::types::Value::Null => Value::Null,
            rusqlite::types::Value::Integer(i) => json!(i),
            rusqlite::types::Value::Text(s) => json!(s),
            other => json!(format!("{other:?}")),
        })
        .expect("column")
}

/// The commune's register as stored (households, members with `_rev`) and its open items.
fn register(l: &Ledger) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT * FROM household WHERE commune_code = '01234'",
        "SELECT m.* FROM member m JOIN household h ON h.id = m.household_id WHERE h.commune_code = '01234'",
        // Heads in a canonical order (the stored JSON lists them in arrival order).
        "SELECT entity, row_id, field, kind, (SELECT group_concat(value, ';') FROM (SELECT value FROM json_each(heads) ORDER BY value))
         FROM conflict WHERE entity IN ('household', 'member')",
    ] {
        let mut stmt = l.conn().prepare(sql).expect("prepare");
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut s = String::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    s.push_str(&format!("{v:?}|"));
                }
                Ok(s)
            })
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("collect");
        rows.sort();
        out.extend(rows);
    }
    out
}

/// A household and a 2022-2025 periodic round of the commune, known to every laptop.
fn household_in_a_round(d: &Path, n: &mut Net) -> (String, String) {
    let (h, _) = household(&mut n.a);
    let round =
        n.a.create_round(&crate::common::periodic_round("2026-10-01"))
            .expect("round")
            .round
            .id;
    settle(d, n);
    (h, round)
}

fn items(l: &Ledger) -> Vec<ConflictDetail> {
    l.conflict_details().expect("details")
}

fn short(l: &Ledger) -> String {
    l.local_identity().expect("id").expect("set up").short_code
}

#[test]
fn two_laptops_edit_one_field_then_a_pick_converges_everywhere() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let (h, _) = household(&mut n.a);
    settle(&d, &mut n);
    edit(
        &mut n.a,
        "household",
        &h,
        "address",
        json!("Nhà 1, xóm Khưa Lốm"),
    );
    edit(
        &mut n.r,
        "household",
        &h,
        "address",
        json!("Nhà 1, cạnh trường"),
    );
    settle(&d, &mut n);

    // Every replica shows the same open item with both values, who and where.
    for l in [&n.office, &n.a, &n.r] {
        let all = items(l);
        assert_eq!(all.len(), 1, "{all:#?}");
        let it = &all[0];
        assert_eq!(
            (it.entity.as_str(), it.field.as_str(), it.kind.as_str()),
            ("household", "address", "overlap")
        );
        assert_eq!(it.kind_label, "Sửa cùng lúc");
        assert_eq!(it.field_label, "Địa chỉ");
        assert_eq!(it.head_name.as_deref(), Some("Nông Văn Dũng"));
        assert_eq!(it.village.as_deref(), Some("Khưa Lốm"));
        assert!(it.household_code.is_some());
        assert_eq!(it.input, "text");
        assert!(it.resolvable);
        let mut shown: Vec<&str> = it.heads.iter().map(|x| x.display.as_str()).collect();
        shown.sort_unstable();
        assert_eq!(shown, vec!["Nhà 1, cạnh trường", "Nhà 1, xóm Khưa Lốm"]);
        let mut laptops: Vec<&str> = it
            .heads
            .iter()
            .map(|x| x.device.short_code.as_str())
            .collect();
        laptops.sort_unstable();
        assert_eq!(laptops, vec![short(&n.a).as_str(), short(&n.r).as_str()]);
        for x in &it.heads {
            assert_eq!(x.user_name, "Nông Thị Phương", "the user's name, not an id");
            assert_eq!(x.authority_label, "Xã");
            assert_eq!(x.device.commune_code.as_deref(), Some("01234"));
            assert!(!x.device_time.is_empty());
        }
        // The shown value is the last head and the one the register displays.
        let last = it.heads.last().expect("heads");
        assert!(last.shown && it.heads.iter().filter(|x| x.shown).count() == 1);
        assert_eq!(it.current, last.value);
        // The same item through the one-item call and the household's list.
        assert_eq!(
            &l.conflict_detail("household", &h, "address").expect("one"),
            it
        );
        assert_eq!(l.household_conflicts(&h).expect("badge").len(), 1);
    }
    // At the office both values arrived in packages: it knows when.
    assert!(items(&n.office)[0]
        .heads
        .iter()
        .all(|x| x.received_at.is_some()));
    // At the officer's laptop its own value was written here.
    let own = items(&n.a)[0]
        .heads
        .iter()
        .find(|x| x.device.short_code == short(&n.a))
        .cloned()
        .expect("own head");
    assert_eq!(own.received_at, None);

    // The officer keeps the reviewer's value, with a note.
    let theirs = items(&n.a)[0]
        .heads
        .iter()
        .find(|x| x.device.short_code == short(&n.r))
        .cloned()
        .expect("reviewer's head");
    let all_heads: Vec<OpKey> = items(&n.a)[0]
        .heads
        .iter()
        .map(|x| OpKey(x.origin.clone(), x.seq))
        .collect();
    let res =
        n.a.resolve_conflict(
            "household",
            &h,
            "address",
            &Choice::Pick(OpKey(theirs.origin.clone(), theirs.seq)),
            Some("Đã hỏi lại tại hộ"),
        )
        .expect("resolve");
    assert_eq!(res.display, "Nhà 1, cạnh trường");
    assert_eq!(res.open_items, 0);
    assert!(items(&n.a).is_empty(), "closed here at once");
    // ONE op whose base for the field is every head.
    let op =
        n.a.ops()
            .expect("ops")
            .into_iter()
            .find(|o| o.key() == res.op)
            .expect("the op");
    let mut base = op.body.base.get("address").cloned().expect("base");
    base.sort();
    let mut expected = all_heads.clone();
    expected.sort();
    assert_eq!(base, expected);
    assert_eq!(op.body.set.len(), 1);
    assert_eq!(
        n.a.op_reason(&res.op).expect("reason").as_deref(),
        Some("Đã hỏi lại tại hộ")
    );
    // The audit chain records the decision and still verifies.
    let audited: i64 = n
        .a
        .conn()
        .query_row(
            "SELECT count(*) FROM audit_event WHERE action = 'resolve_conflict' AND entity = 'household' AND row_id = ?1",
            [&h],
            |r| r.get(0),
        )
        .expect("audit");
    assert!(audited >= 1);
    giamngheo_core::ledger::verify_audit_chain(n.a.conn()).expect("chain");

    settle(&d, &mut n);
    for l in [&n.office, &n.a, &n.r] {
        assert!(items(l).is_empty(), "no open item anywhere");
        assert_eq!(
            column(l, "household", &h, "address"),
            json!("Nhà 1, cạnh trường")
        );
    }
    assert_eq!(register(&n.office), register(&n.a));
    assert_eq!(register(&n.a), register(&n.r));
    // The note travelled with the op.
    assert_eq!(
        n.r.op_reason(&res.op).expect("reason").as_deref(),
        Some("Đã hỏi lại tại hộ")
    );
}

#[test]
fn the_office_types_a_new_id_number_an_invalid_one_changes_nothing() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let (h, head) = household(&mut n.a);
    settle(&d, &mut n);
    edit(
        &mut n.a,
        "member",
        &head,
        "id_number",
        json!("004080001235"),
    );
    edit(
        &mut n.r,
        "member",
        &head,
        "id_number",
        json!("004080001236"),
    );
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.r, &mut n.office);
    let all = items(&n.office);
    assert_eq!(all.len(), 1, "{all:#?}");
    let it = &all[0];
    assert_eq!(it.entity, "member");
    assert_eq!(it.member_name.as_deref(), Some("Nông Văn Dũng"));
    assert_eq!(it.household_id.as_deref(), Some(h.as_str()));
    assert_eq!(it.field_label, "Số định danh cá nhân");
    assert!(it.critical);

    // A wrong ID number: the usual Vietnamese message, nothing written.
    let before = dump(&n.office);
    let err = n
        .office
        .resolve_conflict(
            "member",
            &head,
            "id_number",
            &Choice::Value(json!("00408000123")),
            None,
        )
        .expect_err("11 digits");
    assert!(matches!(err, Error::Fields(_)), "{err:?}");
    assert!(err.to_string().contains("phải gồm 12 chữ số"), "{err}");
    assert_eq!(err.field_errors()[0].field, "value");
    assert_eq!(dump(&n.office), before, "the database is unchanged");

    // A field without an open item: the clear message, nothing written.
    let err = n
        .office
        .resolve_conflict(
            "member",
            &head,
            "full_name",
            &Choice::Value(json!("")),
            None,
        )
        .expect_err("no open item on the name");
    assert!(err.to_string().contains("đã được xử lý"), "{err}");
    assert_eq!(dump(&n.office), before);

    // A correct one, typed with spaces as people do.
    let res = n
        .office
        .resolve_conflict(
            "member",
            &head,
            "id_number",
            &Choice::Value(json!("0040 8000 1237")),
            Some("Theo CCCD bản gốc"),
        )
        .expect("resolve");
    assert_eq!(res.value, json!("004080001237"));
    assert!(items(&n.office).is_empty());
    // Office authority, so the office's value shows everywhere after the return packages.
    settle(&d, &mut n);
    for l in [&n.office, &n.a, &n.r] {
        assert!(items(l).is_empty());
        assert_eq!(
            column(l, "member", &head, "id_number"),
            json!("004080001237")
        );
    }
    assert_eq!(register(&n.office), register(&n.a));
    assert_eq!(register(&n.a), register(&n.r));

    // Resolving the closed item again: a clear message, nothing changes.
    let before = dump(&n.a);
    let err =
        n.a.resolve_conflict(
            "member",
            &head,
            "id_number",
            &Choice::Value(json!("004080001238")),
            None,
        )
        .expect_err("closed");
    assert!(matches!(err, Error::Conflict(_)));
    assert!(err.to_string().contains("Mục này đã được xử lý"), "{err}");
    assert_eq!(dump(&n.a), before);
    assert!(n
        .a
        .conflict_detail("member", &head, "id_number")
        .is_err_and(|e| e.to_string().contains("đã được xử lý")));
}

#[test]
fn typed_values_are_read_like_the_form_codes_dates_and_yes_no() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let (h, head) = household(&mut n.a);
    settle(&d, &mut n);
    edit(&mut n.a, "household", &h, "merit", json!(true));
    edit(&mut n.r, "household", &h, "merit", json!(false));
    edit(&mut n.a, "member", &head, "birth_date", json!("1980-03-05"));
    edit(&mut n.r, "member", &head, "birth_date", json!("1981-03-04"));
    edit(&mut n.a, "member", &head, "sex", json!("male"));
    edit(&mut n.r, "member", &head, "sex", json!("female"));
    send(&d, &mut n.r, &mut n.office);
    send(&d, &mut n.office, &mut n.a);
    let all = items(&n.a);
    assert_eq!(all.len(), 3, "{all:#?}");
    // Household first, then its members; yes/no, dates and codes as the user reads them.
    assert_eq!(all[0].field, "merit");
    assert_eq!(all[0].input, "bool");
    let mut merit: Vec<&str> = all[0].heads.iter().map(|x| x.display.as_str()).collect();
    merit.sort_unstable();
    assert_eq!(merit, vec!["Có", "Không"]);
    let birth = all.iter().find(|i| i.field == "birth_date").expect("birth");
    let mut dates: Vec<&str> = birth.heads.iter().map(|x| x.display.as_str()).collect();
    dates.sort_unstable();
    assert_eq!(dates, vec!["04/03/1981", "05/03/1980"]);
    assert_eq!(birth.input, "date");
    let sex = all.iter().find(|i| i.field == "sex").expect("sex");
    assert_eq!(sex.input, "code");
    assert!(sex
        .options
        .iter()
        .any(|o| o.code == "female" && o.label == "Nữ"));
    let mut sexes: Vec<&str> = sex.heads.iter().map(|x| x.display.as_str()).collect();
    sexes.sort_unstable();
    assert_eq!(sexes, vec!["Nam", "Nữ"]);

    // A wrong code and an impossible date are refused like in the form.
    let before = dump(&n.a);
    for (field, v) in [
        ("sex", json!("x")),
        ("birth_date", json!("31/02/1980")),
        ("birth_date", json!("01/01/2090")),
        ("merit", json!("có lẽ")),
    ] {
        let e =
            n.a.resolve_conflict("member", &head, field, &Choice::Value(v.clone()), None)
                .or_else(|e| match field {
                    "merit" => {
                        n.a.resolve_conflict("household", &h, field, &Choice::Value(v), None)
                    }
                    _ => Err(e),
                })
                .expect_err("refused");
        assert!(!e.to_string().is_empty());
        assert_eq!(dump(&n.a), before, "{field}: nothing written");
    }

    // dd/mm/yyyy is accepted and stored as the form stores it; the year follows the date.
    n.a.resolve_conflict(
        "member",
        &head,
        "birth_date",
        &Choice::Value(json!("04/03/1980")),
        None,
    )
    .expect("date");
    assert_eq!(
        column(&n.a, "member", &head, "birth_date"),
        json!("1980-03-04")
    );
    assert_eq!(column(&n.a, "member", &head, "birth_year"), json!(1980));
    n.a.resolve_conflict(
        "household",
        &h,
        "merit",
        &Choice::Value(json!("Không")),
        None,
    )
    .expect("merit");
    assert_eq!(column(&n.a, "household", &h, "merit"), json!(0));
    let male = items(&n.a)[0]
        .heads
        .iter()
        .find(|x| x.value == json!("male"))
        .map(|x| OpKey(x.origin.clone(), x.seq))
        .expect("male head");
    n.a.resolve_conflict("member", &head, "sex", &Choice::Pick(male), None)
        .expect("sex");
    assert!(items(&n.a).is_empty());
    settle(&d, &mut n);
    for l in [&n.office, &n.a, &n.r] {
        assert!(items(l).is_empty());
    }
    assert_eq!(register(&n.office), register(&n.a));
    assert_eq!(register(&n.a), register(&n.r));
}

#[test]
fn a_pick_that_is_not_a_competing_value_changes_nothing() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let (h, _) = household(&mut n.a);
    settle(&d, &mut n);
    edit(&mut n.a, "household", &h, "note", json!("a"));
    edit(&mut n.r, "household", &h, "note", json!("b"));
    send(&d, &mut n.r, &mut n.office);
    send(&d, &mut n.office, &mut n.a);
    let before = dump(&n.a);
    let origin = n.a.local_identity().expect("id").expect("set").node_id;
    let e =
        n.a.resolve_conflict(
            "household",
            &h,
            "note",
            &Choice::Pick(OpKey(origin, 1)),
            None,
        )
        .expect_err("not a head");
    assert!(
        e.to_string()
            .contains("không phải là một trong các giá trị"),
        "{e}"
    );
    let e =
        n.a.resolve_conflict("household", &h, "code", &Choice::Value(json!("X")), None)
            .expect_err("no item on code");
    assert!(e.to_string().contains("đã được xử lý"), "{e}");
    let e =
        n.a.resolve_conflict(
            "household",
            &h,
            "nonsense",
            &Choice::Value(json!("X")),
            None,
        )
        .expect_err("unknown field");
    assert!(e.to_string().contains("không thuộc"), "{e}");
    assert_eq!(dump(&n.a), before);
}

/// SYNC §3.4 rule 4 / issue 4: concurrent different values of identity, eligibility and income
/// fields stay open — through unrelated edits, a re-saved household form and exchanges both
/// ways — until a person decides.
#[test]
fn critical_fields_are_never_resolved_without_a_person() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let (h, head) = household(&mut n.a);
    settle(&d, &mut n);
    let cases: [(&'static str, &str, &str, Value, Value); 6] = [
        (
            "member",
            &head,
            "full_name",
            json!("Nông Văn Dũng"),
            json!("Nông Văn Dung"),
        ),
        (
            "member",
            &head,
            "id_number",
            json!("004080001235"),
            json!("004080001236"),
        ),
        ("member", &head, "birth_year", json!(1980), json!(1979)),
        (
            "member",
            &head,
            "work_status",
            json!("farming"),
            json!("wage"),
        ),
        ("household", &h, "no_labour", json!(true), json!(false)),
        ("household", &h, "merit", json!(true), json!(false)),
    ];
    for (entity, id, field, va, vr) in &cases {
        edit(&mut n.a, entity, id, field, va.clone());
        edit(&mut n.r, entity, id, field, vr.clone());
    }
    settle(&d, &mut n);
    // Unrelated edits afterwards, and the household form saved again unchanged.
    edit(&mut n.a, "household", &h, "note", json!("đã đến hộ"));
    let detail = n.r.household(&h).expect("detail");
    let form = HouseholdInput {
        id: Some(detail.id.clone()),
        village_id: detail.village_id.clone(),
        address: detail.address.clone(),
        ethnicity: detail.ethnicity.clone(),
        ethnic_minority: detail.ethnic_minority,
        no_labour: detail.no_labour,
        merit: detail.merit,
        note: "rà soát lại".into(),
        members: detail
            .members
            .iter()
            .map(|m| MemberInput {
                id: Some(m.id.clone()),
                full_name: m.full_name.clone(),
                birth_date: m.birth_date.clone(),
                birth_year: m.birth_year,
                sex: m.sex.clone(),
                ethnicity: m.ethnicity.clone(),
                relation: m.relation.clone(),
                id_number: m.id_number.clone(),
                work_status: m.work_status.clone(),
                ..Default::default()
            })
            .collect(),
    };
    // The form may be refused for a reason of its own (the conflicting values may disagree);
    // either way it must not close the items.
    let _ = n.r.save_household(&form);
    settle(&d, &mut n);
    for l in [&n.office, &n.a, &n.r] {
        let open: Vec<(String, String)> = items(l)
            .into_iter()
            .filter(|i| i.kind == "overlap")
            .map(|i| (i.entity, i.field))
            .collect();
        for (entity, _, field, _, _) in &cases {
            assert!(
                open.contains(&((*entity).to_owned(), (*field).to_owned())),
                "{entity}.{field} is still open at {}: {open:?}",
                short(l)
            );
        }
        for i in items(l).iter().filter(|i| i.kind == "overlap") {
            assert_eq!(i.heads.len(), 2, "both values kept: {i:#?}");
        }
    }
    assert_eq!(register(&n.office), register(&n.a));
    assert_eq!(register(&n.a), register(&n.r));
}

/// A survey form writes every field when saved: while its score or class has competing values,
/// saving it again is refused (it would settle them unseen); once a person picked them on the
/// review screen, the survey saves again.
#[test]
fn a_survey_with_competing_scores_is_not_settled_by_saving_the_form_again() {
    use giamngheo_core::review::SurveyInput;
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let (h, round) = household_in_a_round(&d, &mut n);
    let sv = |score: i64| SurveyInput {
        round_id: round.clone(),
        household_id: h.clone(),
        score_a: Some(score),
        reviewer: "Nông Văn Tùng".into(),
        survey_date: "2026-10-05".into(),
        ..Default::default()
    };
    n.a.save_survey(&sv(120)).expect("officer's survey");
    n.r.save_survey(&sv(160)).expect("reviewer's survey");
    settle(&d, &mut n);
    let open = |l: &Ledger| -> Vec<String> { items(l).into_iter().map(|i| i.field).collect() };
    assert!(
        open(&n.a).contains(&"score_a".to_owned()),
        "{:?}",
        open(&n.a)
    );
    let score = items(&n.a)
        .into_iter()
        .find(|i| i.field == "score_a")
        .expect("score item");
    assert_eq!(score.field_label, "Điểm A (Phiếu B1)");
    assert!(score.critical);
    assert_eq!(
        score.input, "none",
        "survey values are picked, not typed here"
    );
    let shown = score.current.as_i64().expect("score");

    // Saving the form again with what it shows is refused and changes nothing.
    let before = dump(&n.a);
    let e = n.a.save_survey(&sv(shown)).expect_err("refused");
    assert!(e.to_string().contains("Mục cần xem xét"), "{e}");
    assert!(e.to_string().contains("Điểm A"), "{e}");
    assert_eq!(dump(&n.a), before);

    // A person picks the score and the class; then the survey saves again.
    for field in ["score_a", "class"] {
        let it = items(&n.a)
            .into_iter()
            .find(|i| i.field == field)
            .expect("item");
        let keep = it
            .heads
            .iter()
            .find(|x| x.device.short_code == short(&n.r))
            .expect("reviewer's value");
        n.a.resolve_conflict(
            "survey",
            &it.row_id,
            field,
            &Choice::Pick(OpKey(keep.origin.clone(), keep.seq)),
            None,
        )
        .expect("pick");
    }
    n.a.save_survey(&sv(160)).expect("saved after the review");
    settle(&d, &mut n);
    for l in [&n.office, &n.a, &n.r] {
        assert!(
            !open(l).iter().any(|f| f == "score_a" || f == "class"),
            "{:?}",
            open(l)
        );
    }
}

/// Rule 9 (SYNC §3.4): a survey's answers and its score only make sense together. Two laptops
/// classify one household differently; keeping the reviewer's whole version decides every item
/// of the survey in which that version competes with ONE op, the survey shows the reviewer's
/// score and class together, and after the exchange every replica agrees with no item left.
#[test]
fn keeping_one_whole_version_of_a_survey_decides_its_items_together_everywhere() {
    use giamngheo_core::review::SurveyInput;
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let (h, round) = household_in_a_round(&d, &mut n);
    let sv = |score: i64, reviewer: &str| SurveyInput {
        round_id: round.clone(),
        household_id: h.clone(),
        score_a: Some(score),
        reviewer: reviewer.into(),
        survey_date: "2026-10-05".into(),
        ..Default::default()
    };
    n.a.save_survey(&sv(120, "Nông Văn Tùng"))
        .expect("officer's survey");
    n.r.save_survey(&sv(160, "Hoàng Thị Mai"))
        .expect("reviewer's survey");
    settle(&d, &mut n);
    let survey_items = |l: &Ledger| -> Vec<ConflictDetail> {
        items(l)
            .into_iter()
            .filter(|i| i.entity == "survey" && i.kind == "overlap")
            .collect()
    };
    let open = survey_items(&n.a);
    let fields: Vec<&str> = open.iter().map(|i| i.field.as_str()).collect();
    for f in ["score_a", "class", "reviewer"] {
        assert!(fields.contains(&f), "{fields:?}");
    }
    let row = open[0].row_id.clone();
    let version = open[0]
        .heads
        .iter()
        .find(|x| x.device.short_code == short(&n.r))
        .map(|x| OpKey(x.origin.clone(), x.seq))
        .expect("the reviewer's version");

    // A version that competes nowhere in this survey changes nothing.
    let before = dump(&n.a);
    let e =
        n.a.resolve_version("survey", &row, &OpKey("khong-co".into(), 1), None)
            .expect_err("not a competing version");
    assert!(
        e.to_string()
            .contains("không phải là giá trị đang tranh chấp"),
        "{e}"
    );
    assert_eq!(dump(&n.a), before);

    let ops_before = n.a.ops().expect("ops").len();
    let res =
        n.a.resolve_version(
            "survey",
            &row,
            &version,
            Some("Theo phiếu của rà soát viên"),
        )
        .expect("keep the reviewer's version");
    assert_eq!(n.a.ops().expect("ops").len(), ops_before + 1, "one op");
    for f in ["score_a", "class", "reviewer"] {
        assert!(res.fields.iter().any(|x| x == f), "{res:?}");
    }
    assert!(res.left_open.is_empty(), "{res:?}");
    assert!(survey_items(&n.a).is_empty(), "{:?}", survey_items(&n.a));
    assert_eq!(column(&n.a, "survey", &row, "score_a"), json!(160));
    assert_eq!(
        column(&n.a, "survey", &row, "reviewer"),
        json!("Hoàng Thị Mai")
    );
    let class_r = open
        .iter()
        .find(|i| i.field == "class")
        .and_then(|i| {
            i.heads
                .iter()
                .find(|x| x.origin == version.0 && x.seq == version.1)
        })
        .map(|x| x.value.clone())
        .expect("the reviewer's class");
    assert_eq!(column(&n.a, "survey", &row, "class"), class_r);

    settle(&d, &mut n);
    for l in [&n.office, &n.a, &n.r] {
        assert!(survey_items(l).is_empty(), "{:?}", survey_items(l));
        assert_eq!(column(l, "survey", &row, "score_a"), json!(160));
        assert_eq!(column(l, "survey", &row, "class"), class_r);
    }
    assert_eq!(register(&n.a), register(&n.r));
    // Deciding again: the items are closed.
    let e =
        n.a.resolve_version("survey", &row, &version, None)
            .expect_err("already decided");
    assert!(!e.to_string().is_empty());
}
