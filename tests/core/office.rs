//! Office actions through real packages (SYNC.md §3.3, §3.4 and §5 cases 14, 15, 28, 29, 30, 44):
//! approve, return for correction, lock, change requests, deletes concurrent with edits, and
//! duplicate people across communes. Each test is named after its case; the permutation tests
//! import the same packages in every order and compare the materialised rows and review items.

use crate::sync::{device, dump, enrol, office, send, stick};
use giamngheo_core::clock::FixedClock;
use giamngheo_core::ledger::{Change, OpKind};
use giamngheo_core::setup::Role;
use giamngheo_core::sync::ImportStatus;
use giamngheo_core::Ledger;
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Net {
    dir: tempfile::TempDir,
    office: Ledger,
    /// Commune 01234, officer laptop.
    a: Ledger,
    /// Commune 05678, officer laptop.
    b: Ledger,
    /// Commune 01234, reviewer laptop sending straight to the office.
    r: Ledger,
}

fn net() -> Net {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut office = office(d);
    let mut a = device(d, "a.db", "01234", Role::CommuneOfficer, &office);
    let mut b = device(d, "b.db", "05678", Role::CommuneOfficer, &office);
    let mut r = device(d, "r.db", "01234", Role::Reviewer, &office);
    enrol(d, &mut office, &mut a);
    enrol(d, &mut office, &mut b);
    enrol(d, &mut office, &mut r);
    Net {
        dir,
        office,
        a,
        b,
        r,
    }
}

fn node_id(l: &Ledger) -> String {
    l.local_identity().expect("id").expect("set up").node_id
}

fn short_code(l: &Ledger) -> String {
    l.local_identity().expect("id").expect("set up").short_code
}

fn add_household(l: &mut Ledger, address: &str, people: &[(&str, &str, &str)]) -> String {
    let village = l.villages().expect("villages")[0].id.clone();
    let members = people
        .iter()
        .enumerate()
        .map(
            |(i, (name, birth, id))| giamngheo_core::register::MemberInput {
                full_name: (*name).into(),
                relation: if i == 0 {
                    "head".into()
                } else {
                    "child".into()
                },
                sex: "female".into(),
                birth_date: Some((*birth).into()),
                ethnicity: Some("02".into()),
                id_number: (!id.is_empty()).then(|| (*id).into()),
                ..Default::default()
            },
        )
        .collect();
    let input = giamngheo_core::register::HouseholdInput {
        village_id: village,
        address: address.into(),
        ethnicity: Some("02".into()),
        ethnic_minority: true,
        members,
        ..Default::default()
    };
    l.save_household(&input).expect("save").household.id
}

fn edit(l: &mut Ledger, hid: &str, field: &str, value: &str) {
    l.write(
        "edit",
        vec![Change::new("household", hid, OpKind::Update).with(field, value)],
    )
    .expect("edit");
}

fn field(l: &Ledger, hid: &str, f: &str) -> Option<String> {
    l.conn()
        .query_row(
            &format!("SELECT {f} FROM household WHERE id = ?1"),
            [hid],
            |r| r.get(0),
        )
        .ok()
        .flatten()
}

fn code(l: &Ledger, hid: &str) -> String {
    field(l, hid, "code").expect("code")
}

fn member_by_id_number(l: &Ledger, n: &str) -> String {
    l.conn()
        .query_row("SELECT id FROM member WHERE id_number = ?1", [n], |r| {
            r.get(0)
        })
        .expect("member")
}

fn items(l: &Ledger, kind: &str) -> Vec<String> {
    let mut stmt = l
        .conn()
        .prepare("SELECT entity || '|' || row_id || '|' || field || '|' || heads FROM conflict WHERE kind = ?1 ORDER BY 1")
        .expect("prepare");
    stmt.query_map([kind], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn rows(l: &Ledger, sql: &str) -> Vec<String> {
    let mut stmt = l.conn().prepare(sql).expect("prepare");
    let n = stmt.column_count();
    let mut out: Vec<String> = stmt
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
    out.sort();
    out
}

/// The register of one commune plus every review item on it: what must converge.
fn register_of(l: &Ledger, commune: &str) -> Vec<String> {
    let mut out = rows(
        l,
        &format!("SELECT id, code, address, note, deleted, head_name, member_count FROM household WHERE commune_code = '{commune}'"),
    );
    out.extend(rows(
        l,
        &format!(
            "SELECT id, household_id, full_name, birth_date, id_number, deleted FROM member
             WHERE household_id IN (SELECT id FROM household WHERE commune_code = '{commune}')"
        ),
    ));
    out.extend(rows(
        l,
        &format!(
            "SELECT entity, row_id, field, kind, heads FROM conflict WHERE
               (entity = 'household' AND row_id IN (SELECT id FROM household WHERE commune_code = '{commune}'))
               OR (entity = 'member' AND row_id IN (SELECT m.id FROM member m JOIN household h ON h.id = m.household_id WHERE h.commune_code = '{commune}'))"
        ),
    ));
    out
}

fn export_to(d: &Path, from: &mut Ledger, to: &Ledger) -> PathBuf {
    from.export(&stick(d), Some(&node_id(to))).expect("export")[0]
        .file
        .clone()
}

fn import(l: &mut Ledger, files: &[PathBuf]) {
    for r in l.import_paths(files, false).expect("import") {
        assert_eq!(r.status, ImportStatus::Imported, "{r:?}");
    }
}

/// Close a ledger and return it with an identical copy.
fn fork(dir: &Path, l: Ledger, name: &str) -> (Ledger, Ledger) {
    let path = l.path().to_path_buf();
    drop(l);
    let copy = dir.join(name);
    std::fs::copy(&path, &copy).expect("copy db");
    let clock = || Arc::new(FixedClock::at_date(2026, 11, 20));
    (
        Ledger::open_with_clock(&path, clock()).expect("reopen"),
        Ledger::open_with_clock(&copy, clock()).expect("open copy"),
    )
}

// ---------------------------------------------------------------------------------------------

#[test]
fn case_28_commune_edit_of_an_approved_household_is_hidden_and_offered_as_a_change_request() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn An", "1970-01-02", "")]);
    send(&d, &mut n.a, &mut n.office);
    let decided = n
        .office
        .approve(Some(&code(&n.office, &h)), None)
        .expect("approve");
    assert_eq!(decided.action, "approve");
    assert_eq!(decided.commune_code.as_deref(), Some("01234"));
    send(&d, &mut n.office, &mut n.a);
    assert_eq!(
        n.a.household_decisions(None).expect("decisions")[0].state,
        "approved"
    );

    // The household screen says so before anyone types; the office itself edits freely.
    let hold = n.a.household(&h).expect("household").office_hold;
    assert!(
        hold.as_deref().is_some_and(
            |m| m.contains("đã được văn phòng duyệt") && m.contains("yêu cầu thay đổi")
        ),
        "{hold:?}"
    );
    assert_eq!(n.office.household(&h).expect("household").office_hold, None);

    // The commune edits the approved household: kept in the log, not shown, here or there.
    edit(&mut n.a, &h, "address", "Nhà 1 (sửa sau khi duyệt)");
    assert_eq!(field(&n.a, &h, "address").as_deref(), Some("Nhà 1"));
    send(&d, &mut n.a, &mut n.office);
    assert_eq!(field(&n.office, &h, "address").as_deref(), Some("Nhà 1"));
    let reqs = n.office.change_requests().expect("requests");
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(
        reqs[0].fields["address"]["proposed"],
        "Nhà 1 (sửa sau khi duyệt)"
    );
    assert_eq!(reqs[0].fields["address"]["current"], "Nhà 1");
    assert!(reqs[0]
        .short_id
        .starts_with(&format!("{}:", short_code(&n.a))));
    assert_eq!(items(&n.office, "locked_edit").len(), 1);

    // Accepting applies it as an office op, everywhere after the return package.
    n.office.accept_change(&reqs[0].short_id).expect("accept");
    assert_eq!(
        field(&n.office, &h, "address").as_deref(),
        Some("Nhà 1 (sửa sau khi duyệt)")
    );
    assert!(n.office.change_requests().expect("requests").is_empty());
    send(&d, &mut n.office, &mut n.a);
    assert_eq!(
        field(&n.a, &h, "address").as_deref(),
        Some("Nhà 1 (sửa sau khi duyệt)")
    );
    assert_eq!(register_of(&n.a, "01234"), register_of(&n.office, "01234"));

    // A second edit is refused: it stays hidden and the request is closed.
    edit(&mut n.a, &h, "note", "ghi chú không được chấp nhận");
    send(&d, &mut n.a, &mut n.office);
    let reqs = n.office.change_requests().expect("requests");
    assert_eq!(reqs.len(), 1);
    n.office
        .refuse_change(&reqs[0].id, Some("Không có căn cứ"))
        .expect("refuse");
    assert!(n.office.change_requests().expect("requests").is_empty());
    assert_eq!(field(&n.office, &h, "note").unwrap_or_default(), "");
    send(&d, &mut n.office, &mut n.a);
    assert_eq!(field(&n.a, &h, "note").unwrap_or_default(), "");
    assert_eq!(register_of(&n.a, "01234"), register_of(&n.office, "01234"));
    // A change request that does not exist is refused with a Vietnamese reason.
    let err = n.office.accept_change("01234-1:999").expect_err("none");
    assert!(
        err.to_string().contains("Không có yêu cầu thay đổi"),
        "{err}"
    );
}

#[test]
fn case_28_lock_of_a_commune_round_hides_edits_of_every_household_until_unlocked() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h1 = add_household(&mut n.a, "Nhà 1", &[("Nông Văn An", "1970-01-02", "")]);
    let h2 = add_household(&mut n.a, "Nhà 2", &[("Hoàng Thị Bé", "1975-05-06", "")]);
    let round =
        n.a.create_round(&crate::common::periodic_round("2026-10-01"))
            .expect("round")
            .round
            .id;
    send(&d, &mut n.a, &mut n.office);
    n.office.lock(None, Some(&round)).expect("lock round");
    send(&d, &mut n.office, &mut n.a);
    edit(&mut n.a, &h1, "note", "sửa 1");
    edit(&mut n.a, &h2, "note", "sửa 2");
    send(&d, &mut n.a, &mut n.office);
    for l in [&n.a, &n.office] {
        assert_eq!(field(l, &h1, "note").unwrap_or_default(), "");
        assert_eq!(field(l, &h2, "note").unwrap_or_default(), "");
    }
    assert_eq!(n.office.change_requests().expect("requests").len(), 2);
    // Unlock: edits made during the lock stay change requests (an unlock accepts nothing by
    // itself); edits made after it are shown again.
    n.office.unlock(None, Some(&round)).expect("unlock");
    assert_eq!(n.office.change_requests().expect("requests").len(), 2);
    send(&d, &mut n.office, &mut n.a);
    edit(&mut n.a, &h2, "note", "sửa sau khi mở khoá");
    assert_eq!(
        field(&n.a, &h2, "note").as_deref(),
        Some("sửa sau khi mở khoá")
    );
    send(&d, &mut n.a, &mut n.office);
    assert_eq!(
        field(&n.office, &h2, "note").as_deref(),
        Some("sửa sau khi mở khoá")
    );
    assert_eq!(field(&n.office, &h1, "note").unwrap_or_default(), "");
    assert_eq!(register_of(&n.a, "01234"), register_of(&n.office, "01234"));
    // Only the office decides.
    let err =
        n.a.approve(Some(&code(&n.a, &h1)), None)
            .expect_err("commune");
    assert!(err.to_string().contains("Chỉ văn phòng"), "{err}");
}

#[test]
fn case_14_old_package_replayed_after_approval_changes_nothing() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn An", "1970-01-02", "")]);
    edit(&mut n.a, &h, "note", "trước khi duyệt");
    let old = export_to(&d, &mut n.a, &n.office);
    import(&mut n.office, std::slice::from_ref(&old));
    n.office.approve(Some(&h), None).expect("approve");
    let before = dump(&n.office);
    let r = n.office.import_paths(&[old], false).expect("replay");
    assert_eq!(r[0].status, ImportStatus::Duplicate);
    assert_eq!(dump(&n.office), before);
    assert_eq!(
        field(&n.office, &h, "note").as_deref(),
        Some("trước khi duyệt")
    );
    assert!(n.office.change_requests().expect("requests").is_empty());
}

#[test]
fn case_15_months_late_package_does_not_modify_the_approved_household_in_any_order() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn An", "1970-01-02", "")]);
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.office, &mut n.r);
    // The reviewer's edit stays on its laptop for months; meanwhile the office approves.
    edit(&mut n.r, &h, "address", "Nhà 1 (muộn)");
    let late = export_to(&d, &mut n.r, &n.office);
    n.office.approve(Some(&h), None).expect("approve");
    let ret = export_to(&d, &mut n.office, &n.a);
    import(&mut n.a, &[ret]);
    // The office: approval first, then the late package.
    import(&mut n.office, std::slice::from_ref(&late));
    assert_eq!(field(&n.office, &h, "address").as_deref(), Some("Nhà 1"));
    assert_eq!(n.office.change_requests().expect("requests").len(), 1);
    // The reviewer: its edit first, then the approval; the officer laptop gets both later.
    send(&d, &mut n.office, &mut n.r);
    send(&d, &mut n.office, &mut n.a);
    for l in [&n.r, &n.a] {
        assert_eq!(field(l, &h, "address").as_deref(), Some("Nhà 1"));
        assert_eq!(register_of(l, "01234"), register_of(&n.office, "01234"));
    }
}

#[test]
fn case_28_return_for_correction_reaches_the_named_laptop_and_closes_with_its_fix() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn An", "1970-01-02", "")]);
    send(&d, &mut n.a, &mut n.office);
    n.office.approve(Some(&h), None).expect("approve");
    let err = n
        .office
        .return_for_correction(&h, "  ", None)
        .expect_err("no reason");
    assert!(err.to_string().contains("lý do"), "{err}");
    let err = n
        .office
        .return_for_correction(&h, "Sai địa chỉ", Some("05678-1"))
        .expect_err("other commune's laptop");
    assert!(err.to_string().contains("không thuộc xã"), "{err}");
    let ret = n
        .office
        .return_for_correction(
            &code(&n.office, &h),
            "Sai địa chỉ, đề nghị xác minh lại",
            Some(&short_code(&n.r)),
        )
        .expect("return");
    assert_eq!(
        ret.device_short_code.as_deref(),
        Some(short_code(&n.r).as_str())
    );
    send(&d, &mut n.office, &mut n.a);
    send(&d, &mut n.office, &mut n.r);
    for l in [&n.a, &n.r] {
        let todo = l.returned_for_correction().expect("todo");
        assert_eq!(todo.len(), 1);
        assert!(todo[0].open);
        assert_eq!(
            todo[0].action.reason.as_deref(),
            Some("Sai địa chỉ, đề nghị xác minh lại")
        );
        assert_eq!(todo[0].action.device, Some(node_id(&n.r)));
    }
    // Only the named laptop may fix it; the other is told before it types.
    assert_eq!(n.r.household(&h).expect("household").office_hold, None);
    let hold = n.a.household(&h).expect("household").office_hold;
    assert!(
        hold.as_deref()
            .is_some_and(|m| m.contains("trả hộ này cho một máy khác")),
        "{hold:?}"
    );
    // The officer's laptop is not the one named: its edit stays hidden.
    edit(&mut n.a, &h, "note", "máy khác sửa");
    assert_eq!(field(&n.a, &h, "note").unwrap_or_default(), "");
    // The named laptop fixes it: shown, and the to-do closes.
    edit(&mut n.r, &h, "address", "Nhà 1, xóm Khưa Lốm");
    assert_eq!(
        field(&n.r, &h, "address").as_deref(),
        Some("Nhà 1, xóm Khưa Lốm")
    );
    assert!(!n.r.returned_for_correction().expect("todo")[0].open);
    send(&d, &mut n.r, &mut n.office);
    send(&d, &mut n.a, &mut n.office);
    assert_eq!(
        field(&n.office, &h, "address").as_deref(),
        Some("Nhà 1, xóm Khưa Lốm")
    );
    assert_eq!(field(&n.office, &h, "note").unwrap_or_default(), "");
    assert!(!n.office.returned_for_correction().expect("todo")[0].open);
    assert_eq!(n.office.change_requests().expect("requests").len(), 1);
    send(&d, &mut n.office, &mut n.a);
    send(&d, &mut n.office, &mut n.r);
    assert_eq!(register_of(&n.a, "01234"), register_of(&n.office, "01234"));
    assert_eq!(register_of(&n.r, "01234"), register_of(&n.office, "01234"));
}

#[test]
fn case_29_delete_concurrent_with_edit_raises_delete_vs_edit_in_every_import_order() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn An", "1970-01-02", "")]);
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.office, &mut n.r);
    n.a.write(
        "delete",
        vec![Change::new("household", h.as_str(), OpKind::Delete).with("deleted", 1)],
    )
    .expect("delete");
    edit(&mut n.r, &h, "note", "vẫn còn ở đây");
    // The reviewer edits again after its first edit: still one item, both edits retained.
    edit(&mut n.r, &h, "address", "Nhà 1 mới");
    let pa = export_to(&d, &mut n.a, &n.office);
    let pr = export_to(&d, &mut n.r, &n.office);
    let Net { office, dir, .. } = n;
    let (mut o1, mut o2) = fork(dir.path(), office, "office-perm.db");
    import(&mut o1, &[pa.clone(), pr.clone()]);
    import(&mut o2, &[pr, pa]);
    for l in [&o1, &o2] {
        assert_eq!(
            field(l, &h, "deleted").as_deref(),
            None,
            "deleted is an integer"
        );
        let deleted: i64 = l
            .conn()
            .query_row("SELECT deleted FROM household WHERE id = ?1", [&h], |r| {
                r.get(0)
            })
            .expect("deleted");
        assert_eq!(deleted, 1, "shown deleted");
        assert_eq!(field(l, &h, "note").as_deref(), Some("vẫn còn ở đây"));
        let dve = items(l, "delete_vs_edit");
        assert_eq!(dve.len(), 1, "{dve:?}");
        assert!(dve[0].starts_with(&format!("household|{h}|deleted|")));
    }
    assert_eq!(register_of(&o1, "01234"), register_of(&o2, "01234"));
    // Restoring the record brings the edit back and closes the item.
    o1.write(
        "restore",
        vec![Change::new("household", h.as_str(), OpKind::Update).with("deleted", 0)],
    )
    .expect("restore");
    assert_eq!(field(&o1, &h, "address").as_deref(), Some("Nhà 1 mới"));
    assert!(items(&o1, "delete_vs_edit").is_empty());
    drop(dir);
}

#[test]
fn case_29_delete_that_saw_the_edit_raises_no_item() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h = add_household(&mut n.a, "Nhà 1", &[("Nông Văn An", "1970-01-02", "")]);
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.office, &mut n.r);
    edit(&mut n.r, &h, "note", "đã xem");
    send(&d, &mut n.r, &mut n.office);
    send(&d, &mut n.office, &mut n.a);
    n.a.write(
        "delete",
        vec![Change::new("household", h.as_str(), OpKind::Delete).with("deleted", 1)],
    )
    .expect("delete");
    send(&d, &mut n.a, &mut n.office);
    assert!(items(&n.office, "delete_vs_edit").is_empty());
    assert!(items(&n.a, "delete_vs_edit").is_empty());
}

#[test]
fn case_30_same_personal_id_in_two_communes_is_reviewed_and_the_merge_reaches_both_communes() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(
        &mut n.a,
        "Nhà A",
        &[
            ("Nông Văn Dũng", "1980-03-04", "004080001234"),
            ("Lý Thị Hoa", "2001-02-03", ""),
        ],
    );
    add_household(
        &mut n.b,
        "Nhà B",
        &[
            ("Nong Van Dung", "1980-03-04", "004080001234"),
            ("Ly Thi Hoa", "2001-02-03", ""),
        ],
    );
    let pa = export_to(&d, &mut n.a, &n.office);
    let pb = export_to(&d, &mut n.b, &n.office);
    let Net {
        office,
        dir,
        mut a,
        mut b,
        ..
    } = n;
    let (mut o1, mut o2) = fork(dir.path(), office, "office-perm.db");
    import(&mut o2, &[pb.clone(), pa.clone()]);
    import(&mut o1, &[pa, pb]);
    assert_eq!(
        items(&o1, "duplicate_person"),
        items(&o2, "duplicate_person")
    );
    drop(o2);
    let mut office = o1;
    let ma = member_by_id_number(&a, "004080001234");
    let mb = member_by_id_number(&b, "004080001234");
    assert_eq!(
        items(&office, "duplicate_person").len(),
        2,
        "one item per record"
    );
    // Nothing is lost: both records are kept.
    let both: i64 = office
        .conn()
        .query_row(
            "SELECT count(*) FROM member WHERE id_number = '004080001234'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(both, 2);

    let pairs = office.duplicate_people().expect("duplicates");
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    assert_eq!(pairs[0].kind, "same_id");
    let sides = [&pairs[0].a, &pairs[0].b];
    assert!(sides
        .iter()
        .any(|p| p.commune_code.as_deref() == Some("01234") && p.full_name == "Nông Văn Dũng"));
    assert!(sides
        .iter()
        .any(|p| p.commune_code.as_deref() == Some("05678") && p.household_code.is_some()));
    assert_eq!(pairs[1].kind, "candidate");
    assert_eq!(pairs[1].a.birth_date.as_deref(), Some("2001-02-03"));

    // The office merges: A's record kept, B's marked as its duplicate, never deleted.
    let decided = office.merge_duplicates(&ma, &mb).expect("merge");
    assert_eq!(decided.len(), 2, "one decision per commune");
    assert!(items(&office, "duplicate_person").is_empty());
    // "Not the same person" is remembered: the candidate pair is never shown again.
    let (c1, c2) = (pairs[1].a.member_id.clone(), pairs[1].b.member_id.clone());
    office.dismiss_duplicates(&c1, &c2).expect("dismiss");
    assert!(office.duplicate_people().expect("duplicates").is_empty());

    // Both communes receive the merge, each only rows of its own commune (case 44).
    let ra = export_to(dir.path(), &mut office, &a);
    let rb = export_to(dir.path(), &mut office, &b);
    import(&mut a, &[ra]);
    import(&mut b, &[rb]);
    for (l, own) in [(&a, "01234"), (&b, "05678")] {
        let marks = l.duplicate_marks().expect("marks");
        assert_eq!(marks.len(), 1, "{marks:?}");
        assert_eq!(marks[0].member_id, mb);
        assert_eq!(marks[0].duplicate_of, ma);
        // Each commune names only the person it holds.
        if own == "01234" {
            assert_eq!(marks[0].kept_name.as_deref(), Some("Nông Văn Dũng"));
            assert_eq!(marks[0].member_name, None);
        } else {
            assert_eq!(marks[0].member_name.as_deref(), Some("Nong Van Dung"));
            assert_eq!(marks[0].kept_name, None);
        }
        let foreign: i64 = l
            .conn()
            .query_row(
                "SELECT (SELECT count(*) FROM office_action WHERE commune_code <> ?1)
                      + (SELECT count(*) FROM household WHERE commune_code <> ?1)",
                [own],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(foreign, 0);
    }
    assert!(b
        .conn()
        .query_row(
            "SELECT count(*) = 0 FROM member WHERE id = ?1",
            [&ma],
            |r| r.get::<_, bool>(0)
        )
        .expect("q"));
    // Only the office decides about duplicates.
    assert!(a.merge_duplicates(&ma, &mb).is_err());
    drop(dir);
}

/// A deterministic shuffle (no randomness crate needed): Fisher–Yates with a small LCG.
fn shuffled<T: Clone>(v: &[T], mut seed: u64) -> Vec<T> {
    let mut out = v.to_vec();
    for i in (1..out.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        out.swap(i, j);
    }
    out
}

#[test]
fn case_28_29_locks_and_review_items_are_the_same_for_every_order_of_the_ops() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    let h1 = add_household(&mut n.a, "Nhà 1", &[("Nông Văn An", "1970-01-02", "")]);
    let h2 = add_household(
        &mut n.a,
        "Nhà 2",
        &[
            ("Hoàng Thị Bé", "1975-05-06", ""),
            ("Hoàng Văn Cò", "2001-01-01", ""),
        ],
    );
    let h3 = add_household(&mut n.a, "Nhà 3", &[("Lương Thị Dịu", "1990-09-09", "")]);
    let round =
        n.a.create_round(&crate::common::periodic_round("2026-10-01"))
            .expect("round")
            .round
            .id;
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.office, &mut n.r);
    // A delete concurrent with an edit, both held by the office before its decisions.
    edit(&mut n.r, &h2, "note", "sửa khi xã xoá");
    n.a.write(
        "delete",
        vec![Change::new("household", h2.as_str(), OpKind::Delete).with("deleted", 1)],
    )
    .expect("delete");
    send(&d, &mut n.r, &mut n.office);
    send(&d, &mut n.a, &mut n.office);
    // Then the office decides, and the reviewer edits without having seen the decisions.
    n.office.approve(Some(&h1), None).expect("approve");
    n.office.lock(None, Some(&round)).expect("lock the round");
    let m3: String =
        n.r.conn()
            .query_row(
                "SELECT id FROM member WHERE household_id = ?1",
                [&h3],
                |r| r.get(0),
            )
            .expect("member");
    n.r.write(
        "edit member",
        vec![
            Change::new("member", m3.as_str(), OpKind::Update).with("full_name", "Lương Thị Dịu B")
        ],
    )
    .expect("edit member");
    edit(&mut n.r, &h1, "address", "Nhà 1 (muộn)");
    send(&d, &mut n.r, &mut n.office);
    n.office
        .return_for_correction(&h1, "Xác minh lại địa chỉ", Some(&short_code(&n.r)))
        .expect("return");
    let expected = register_of(&n.office, "01234");
    assert!(
        expected.iter().any(|r| r.contains("locked_edit")),
        "{expected:?}"
    );
    assert!(
        expected
            .iter()
            .any(|r| r.contains("\"member\"") && r.contains("locked_edit")),
        "the member edit under the commune-level lock: {expected:?}"
    );
    assert!(
        expected.iter().any(|r| r.contains("Lương Thị Dịu\"")),
        "hidden: {expected:?}"
    );
    assert!(
        expected.iter().any(|r| r.contains("delete_vs_edit")),
        "{expected:?}"
    );

    let ops = n.office.ops().expect("ops");
    let nodes = [(&n.a, "commune_officer"), (&n.r, "reviewer")];
    let orders: Vec<(Vec<giamngheo_core::ledger::Op>, bool)> = vec![
        (ops.clone(), false),
        (ops.iter().rev().cloned().collect(), false),
        (shuffled(&ops, 7), false),
        (shuffled(&ops, 2026), true),
        (ops.iter().rev().cloned().collect(), true),
    ];
    for (i, (order, one_by_one)) in orders.into_iter().enumerate() {
        let mut fresh = device(
            &d,
            &format!("fresh{i}.db"),
            "01234",
            Role::CommuneOfficer,
            &n.office,
        );
        for (l, role) in nodes {
            let id = l.local_identity().expect("id").expect("set up");
            fresh
                .register_node(&id.node_id, &id.short_code, role, Some("01234"))
                .expect("node");
        }
        if one_by_one {
            for op in &order {
                fresh
                    .apply_remote(std::slice::from_ref(op), None)
                    .expect("apply");
            }
        } else {
            fresh.apply_remote(&order, None).expect("apply");
        }
        assert_eq!(register_of(&fresh, "01234"), expected, "order {i}");
    }
}

/// The members a `duplicate_person` item should name: not deleted, with a personal ID that
/// another member not deleted also carries (no office decision in these tests).
fn expected_duplicates(l: &Ledger) -> Vec<String> {
    let mut stmt = l
        .conn()
        .prepare(
            "SELECT a.id FROM member a WHERE a.deleted = 0 AND coalesce(a.id_number, '') <> ''
           AND EXISTS (SELECT 1 FROM member b WHERE b.id_number = a.id_number AND b.id <> a.id
                       AND b.deleted = 0)
         ORDER BY a.id",
        )
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn duplicate_item_rows(l: &Ledger) -> Vec<String> {
    let mut ids: Vec<String> = items(l, "duplicate_person")
        .iter()
        .map(|i| i.split('|').nth(1).expect("row").to_owned())
        .collect();
    ids.sort();
    ids
}

fn set_id_number(l: &mut Ledger, member: &str, number: &str) {
    l.write(
        "sửa số định danh",
        vec![Change::new("member", member, OpKind::Update).with("id_number", number)],
    )
    .expect("edit id");
}

#[test]
fn duplicate_person_items_follow_every_change_of_a_personal_id_as_a_full_recount_would() {
    let mut n = net();
    let d = n.dir.path().to_path_buf();
    add_household(
        &mut n.a,
        "Nhà A",
        &[
            ("Nông Văn Dũng", "1980-03-04", "004080001234"),
            ("Lý Thị Hoa", "2001-02-03", "004201005678"),
        ],
    );
    add_household(
        &mut n.b,
        "Nhà B",
        &[("Hoàng Văn Tư", "1975-05-06", "004075009999")],
    );
    let check = |o: &Ledger, expect: usize, step: &str| {
        let want = expected_duplicates(o);
        assert_eq!(duplicate_item_rows(o), want, "{step}");
        assert_eq!(want.len(), expect, "{step}");
    };
    send(&d, &mut n.a, &mut n.office);
    send(&d, &mut n.b, &mut n.office);
    check(&n.office, 0, "first packages");
    let dung = member_by_id_number(&n.a, "004080001234");
    let hoa = member_by_id_number(&n.a, "004201005678");
    let tu = member_by_id_number(&n.b, "004075009999");

    // Commune B's member is given commune A's head's ID: both records get an item.
    set_id_number(&mut n.b, &tu, "004080001234");
    send(&d, &mut n.b, &mut n.office);
    check(&n.office, 2, "B takes A's ID");

    // Two changes of one member's ID in one package: away from the duplicate, then onto Hoa's.
    set_id_number(&mut n.a, &dung, "004080000000");
    set_id_number(&mut n.a, &dung, "004201005678");
    send(&d, &mut n.a, &mut n.office);
    check(&n.office, 2, "two edits in one package");

    // Concurrent edits of the same ID (commune officer and reviewer laptop): whichever value
    // the record shows, the items are those of the value shown.
    // The officer moves Dũng to a new ID and gives Hoa the same; the reviewer gives Hoa Tư's.
    send(&d, &mut n.office, &mut n.r);
    set_id_number(&mut n.a, &dung, "004080007777");
    set_id_number(&mut n.a, &hoa, "004080007777");
    set_id_number(&mut n.r, &hoa, "004080001234");
    send(&d, &mut n.r, &mut n.office);
    check(&n.office, 2, "the reviewer's edit");
    send(&d, &mut n.a, &mut n.office);
    check(&n.office, 2, "the officer's concurrent edit");

    // A member deleted: the partner's item closes; restored: it comes back.
    let shown: String = n
        .office
        .conn()
        .query_row("SELECT id_number FROM member WHERE id = ?1", [&hoa], |r| {
            r.get(0)
        })
        .expect("hoa");
    let partner = if shown == "004080001234" { &tu } else { &dung };
    let (owner, member) = if partner == &tu {
        (&mut n.b, tu.clone())
    } else {
        (&mut n.a, dung.clone())
    };
    owner
        .write(
            "xoá",
            vec![Change::new("member", member.as_str(), OpKind::Update).with("deleted", 1)],
        )
        .expect("delete");
    let owner_is_b = partner == &tu;
    if owner_is_b {
        send(&d, &mut n.b, &mut n.office);
    } else {
        send(&d, &mut n.a, &mut n.office);
    }
    check(&n.office, 0, "partner deleted");
    let owner = if owner_is_b { &mut n.b } else { &mut n.a };
    owner
        .write(
            "khôi phục",
            vec![Change::new("member", member.as_str(), OpKind::Update).with("deleted", 0)],
        )
        .expect("restore");
    if owner_is_b {
        send(&d, &mut n.b, &mut n.office);
    } else {
        send(&d, &mut n.a, &mut n.office);
    }
    check(&n.office, 2, "partner restored");
}
