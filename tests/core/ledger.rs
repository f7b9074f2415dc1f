//! The write path: gapless op log, audit chain, and the merge of ops from several devices
//! (order-independent, duplicates ignored, concurrent edits of one field kept for review).

use crate::common::*;
use giamngheo_core::ledger::{Change, Op, OpKind};
use giamngheo_core::register::HouseholdInput;
use giamngheo_core::Ledger;

fn seqs(l: &Ledger) -> Vec<i64> {
    let node = l.local_identity().unwrap().unwrap().node_id;
    l.ops()
        .unwrap()
        .into_iter()
        .filter(|o| o.origin == node)
        .map(|o| o.seq)
        .collect()
}

/// Every materialised table, `_rev` included, as text: equal dumps = identical replicas.
pub(crate) fn dump(l: &Ledger) -> String {
    let mut out = String::new();
    for table in [
        "province",
        "commune",
        "village",
        "app_user",
        "household",
        "member",
        "household_event",
        "conflict",
    ] {
        let key = if table == "conflict" {
            "entity, row_id, field"
        } else {
            "id"
        };
        let mut stmt = l
            .conn()
            .prepare(&format!("SELECT * FROM {table} ORDER BY {key}"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut s = String::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    s.push_str(&format!("{v:?}|"));
                }
                Ok(s)
            })
            .unwrap();
        for r in rows {
            out.push_str(table);
            out.push(':');
            out.push_str(&r.unwrap());
            out.push('\n');
        }
    }
    out
}

fn pair() -> (TestDb, TestDb) {
    let a = set_up();
    let b = set_up();
    (a, b)
}

fn introduce(a: &mut Ledger, b: &mut Ledger) {
    let ia = a.local_identity().unwrap().unwrap();
    let ib = b.local_identity().unwrap().unwrap();
    a.register_node(
        &ib.node_id,
        &ib.short_code,
        &ib.role,
        Some(&ib.commune_code),
    )
    .unwrap();
    b.register_node(
        &ia.node_id,
        &ia.short_code,
        &ia.role,
        Some(&ia.commune_code),
    )
    .unwrap();
}

fn sync(from: &Ledger, to: &mut Ledger) {
    let ops = from.ops().unwrap();
    to.apply_remote(&ops, Some("test")).unwrap();
}

#[test]
fn every_change_is_an_op_with_a_gapless_sequence_per_device() {
    let mut t = set_up();
    let before = seqs(&t.ledger);
    assert_eq!(before, (1..=before.len() as i64).collect::<Vec<_>>());
    let h = household(
        &t.ledger,
        vec![member("Nông Văn Hùng", "head", "male", "1970-03-05")],
    );
    t.ledger.save_household(&h).unwrap();
    let after = seqs(&t.ledger);
    assert_eq!(
        after,
        (1..=after.len() as i64).collect::<Vec<_>>(),
        "gapless"
    );
    assert_eq!(
        after.len(),
        before.len() + 2,
        "one op for the household, one for the member"
    );
    let ops = t.ledger.ops().unwrap();
    let member_op = ops.iter().find(|o| o.entity == "member").unwrap();
    assert_eq!(member_op.kind, OpKind::Create);
    assert_eq!(member_op.body.set["full_name"], "Nông Văn Hùng");
    assert!(member_op.lamport > 0);
    let user = t.ledger.current_user_id().unwrap().unwrap();
    assert_eq!(member_op.user_id, user);
}

#[test]
fn a_failed_write_leaves_no_op_and_no_gap() {
    let mut t = set_up();
    let before = t.ledger.ops().unwrap().len();
    let err = t.ledger.write(
        "bad",
        vec![
            Change::new("village", "v-x", OpKind::Create).with("name", "Bản Mới"),
            Change::new("village", "v-y", OpKind::Create).with("no_such_field", 1),
        ],
    );
    assert!(err.is_err());
    assert_eq!(
        t.ledger.ops().unwrap().len(),
        before,
        "the whole transaction rolled back"
    );
    t.ledger
        .write(
            "ok",
            vec![Change::new("village", "v-z", OpKind::Create).with("name", "Bản Khác")],
        )
        .unwrap();
    let s = seqs(&t.ledger);
    assert_eq!(
        s,
        (1..=s.len() as i64).collect::<Vec<_>>(),
        "no gap after a rollback"
    );
}

#[test]
fn the_audit_chain_verifies_and_detects_tampering() {
    let mut t = set_up();
    t.ledger
        .save_household(&household(
            &t.ledger,
            vec![member("Lục Văn Sáng", "head", "male", "1980-01-01")],
        ))
        .unwrap();
    let n = giamngheo_core::ledger::verify_audit_chain(t.ledger.conn()).unwrap();
    assert!(n >= 2);
    // Tampering needs the triggers out of the way, as an attacker with the file would do.
    t.ledger
        .conn()
        .execute_batch(
            "DROP TRIGGER audit_no_update; UPDATE audit_event SET action = 'x' WHERE seq = 1;",
        )
        .unwrap();
    assert!(giamngheo_core::ledger::verify_audit_chain(t.ledger.conn()).is_err());
}

#[test]
fn the_audit_trail_and_op_log_refuse_deletion() {
    let t = set_up();
    assert!(t
        .ledger
        .conn()
        .execute("DELETE FROM audit_event", [])
        .is_err());
    assert!(t.ledger.conn().execute("DELETE FROM op", []).is_err());
}

#[test]
fn importing_the_same_ops_twice_changes_nothing() {
    let (mut a, mut b) = pair();
    introduce(&mut a.ledger, &mut b.ledger);
    a.ledger
        .save_household(&household(
            &a.ledger,
            vec![member("Hoàng Thị Mai", "head", "female", "1985-06-01")],
        ))
        .unwrap();
    let ops = a.ledger.ops().unwrap();
    let first = b.ledger.apply_remote(&ops, Some("p1")).unwrap();
    assert_eq!(first.new as usize, ops.len());
    let snapshot = dump(&b.ledger);
    let second = b.ledger.apply_remote(&ops, Some("p1")).unwrap();
    assert_eq!(second.new, 0);
    assert_eq!(second.duplicate as usize, ops.len());
    assert_eq!(dump(&b.ledger), snapshot);
}

#[test]
fn edits_to_different_fields_merge_without_a_question() {
    let (mut a, mut b) = pair();
    introduce(&mut a.ledger, &mut b.ledger);
    let saved = a
        .ledger
        .save_household(&household(
            &a.ledger,
            vec![member("Đàm Văn Tú", "head", "male", "1975-02-02")],
        ))
        .unwrap();
    sync(&a.ledger, &mut b.ledger);
    let id = saved.household.id.clone();
    let mut on_a = household(&a.ledger, vec![]);
    on_a.id = Some(id.clone());
    on_a.members = saved.household.members.iter().map(to_input).collect();
    on_a.address = "Xóm Khưa Lốm, nhà số 3".into();
    a.ledger.save_household(&on_a).unwrap();
    let mut on_b = on_a.clone();
    on_b.address = "Xóm Khưa Lốm".into();
    on_b.note = "Hộ mới tách năm 2024".into();
    b.ledger.save_household(&on_b).unwrap();
    sync(&a.ledger, &mut b.ledger);
    sync(&b.ledger, &mut a.ledger);
    assert_eq!(dump(&a.ledger), dump(&b.ledger));
    let h = a.ledger.household(&id).unwrap();
    assert_eq!(h.address, "Xóm Khưa Lốm, nhà số 3");
    assert_eq!(h.note, "Hộ mới tách năm 2024");
    let conflicts: i64 = a
        .ledger
        .conn()
        .query_row("SELECT count(*) FROM conflict", [], |r| r.get(0))
        .unwrap();
    assert_eq!(conflicts, 0);
}

fn to_input(m: &giamngheo_core::register::Member) -> giamngheo_core::register::MemberInput {
    giamngheo_core::register::MemberInput {
        id: Some(m.id.clone()),
        full_name: m.full_name.clone(),
        birth_date: m.birth_date.clone(),
        birth_year: m.birth_year,
        sex: m.sex.clone(),
        ethnicity: m.ethnicity.clone(),
        relation: m.relation.clone(),
        id_number: m.id_number.clone(),
        ..Default::default()
    }
}

#[test]
fn concurrent_edits_of_one_field_are_both_kept_and_flagged_in_every_order() {
    let (mut a, mut b) = pair();
    introduce(&mut a.ledger, &mut b.ledger);
    let saved = a
        .ledger
        .save_household(&household(
            &a.ledger,
            vec![member("Bế Thị Lan", "head", "female", "1990-09-09")],
        ))
        .unwrap();
    sync(&a.ledger, &mut b.ledger);
    let mut edit = household(&a.ledger, vec![]);
    edit.id = Some(saved.household.id.clone());
    edit.members = saved.household.members.iter().map(to_input).collect();
    edit.members[0].full_name = "Bế Thị Lân".into();
    a.ledger.save_household(&edit).unwrap();
    edit.members[0].full_name = "Bế Thị Lành".into();
    b.ledger.save_household(&edit).unwrap();

    // Every op of both devices, applied one by one in several orders to fresh replicas.
    let all: Vec<Op> = {
        let mut v = a.ledger.ops().unwrap();
        for o in b.ledger.ops().unwrap() {
            if !v.iter().any(|x| x.key() == o.key()) {
                v.push(o);
            }
        }
        v
    };
    let orders: Vec<Vec<Op>> = vec![
        all.clone(),
        all.iter().rev().cloned().collect(),
        {
            let mut v = all.clone();
            v.rotate_left(all.len() / 2);
            v
        },
        {
            let mut v = all.clone();
            v.sort_by_key(|o| std::cmp::Reverse(o.lamport));
            v
        },
    ];
    let mut dumps = Vec::new();
    for order in orders {
        let mut r = set_up();
        introduce(&mut r.ledger, &mut a.ledger);
        introduce(&mut r.ledger, &mut b.ledger);
        for op in &order {
            r.ledger
                .apply_remote(std::slice::from_ref(op), Some("p"))
                .unwrap();
        }
        // The replica's own setup ops differ; compare the household and its conflict only.
        let h = r.ledger.household(&saved.household.id).unwrap();
        let conflicts: Vec<(String, String)> = {
            let mut s = r
                .ledger
                .conn()
                .prepare("SELECT entity, field FROM conflict ORDER BY 1, 2")
                .unwrap();
            s.query_map([], |x| Ok((x.get(0)?, x.get(1)?)))
                .unwrap()
                .map(|x| x.unwrap())
                .collect()
        };
        dumps.push((h.members[0].full_name.clone(), conflicts));
    }
    assert!(dumps.windows(2).all(|w| w[0] == w[1]), "{dumps:?}");
    assert_eq!(
        dumps[0].1,
        vec![("member".to_string(), "full_name".to_string())]
    );
    assert!(["Bế Thị Lân", "Bế Thị Lành"].contains(&dumps[0].0.as_str()));

    // Resolving: a new edit that saw both heads clears the review item everywhere.
    sync(&b.ledger, &mut a.ledger);
    edit.members[0].full_name = "Bế Thị Lan".into();
    a.ledger.save_household(&edit).unwrap();
    sync(&a.ledger, &mut b.ledger);
    assert_eq!(dump(&a.ledger), dump(&b.ledger));
    let left: i64 = b
        .ledger
        .conn()
        .query_row("SELECT count(*) FROM conflict", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn equal_values_written_concurrently_raise_no_review_item() {
    // Both laptops were set up for the same commune: their province/commune ops are concurrent
    // writes of the same values.
    let (mut a, mut b) = pair();
    introduce(&mut a.ledger, &mut b.ledger);
    sync(&a.ledger, &mut b.ledger);
    let n: i64 = b
        .ledger
        .conn()
        .query_row("SELECT count(*) FROM conflict", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_member_that_arrives_before_its_household_appears_when_the_household_arrives() {
    let (mut a, mut b) = pair();
    introduce(&mut a.ledger, &mut b.ledger);
    let saved = a
        .ledger
        .save_household(&household(
            &a.ledger,
            vec![member("Ma Văn Quý", "head", "male", "1966-01-01")],
        ))
        .unwrap();
    let ops: Vec<Op> = a.ledger.ops().unwrap();
    let (hh, rest): (Vec<Op>, Vec<Op>) = ops.into_iter().partition(|o| o.entity == "household");
    b.ledger.apply_remote(&rest, Some("p1")).unwrap();
    assert!(b.ledger.household(&saved.household.id).is_err());
    b.ledger.apply_remote(&hh, Some("p2")).unwrap();
    let h = b.ledger.household(&saved.household.id).unwrap();
    assert_eq!(h.head_name, "Ma Văn Quý");
    assert_eq!(
        b.ledger.list_households(&Default::default()).unwrap().total,
        1
    );
}

#[test]
fn the_same_op_key_with_another_body_is_refused_as_equivocation() {
    let (mut a, mut b) = pair();
    introduce(&mut a.ledger, &mut b.ledger);
    let ops = a.ledger.ops().unwrap();
    b.ledger.apply_remote(&ops, None).unwrap();
    let mut forged = ops[0].clone();
    forged
        .body
        .set
        .insert("name".into(), serde_json::json!("Tên khác"));
    let before = dump(&b.ledger);
    let err = b
        .ledger
        .apply_remote(&[forged], None)
        .expect_err("equivocation");
    assert!(err.to_string().contains("sao chép"), "{err}");
    assert_eq!(dump(&b.ledger), before);
}

fn journal_mode(conn: &rusqlite::Connection) -> String {
    conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap()
}

fn household_count(conn: &rusqlite::Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM household", [], |r| r.get(0))
        .unwrap()
}

fn foreign_keys(conn: &rusqlite::Connection) -> bool {
    conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap()
}

/// Saves 20 households headed by `head` in bulk-write mode; the journal mode seen inside.
/// Foreign keys are not enforced inside (every op's origin is checked against the node table
/// before it is written) and are again afterwards.
fn twenty_households_in_bulk(l: &mut Ledger, head: &str) -> String {
    let out = l
        .with_bulk_writes(|l| {
            let mode = journal_mode(l.conn());
            assert!(!foreign_keys(l.conn()), "not enforced in bulk-write mode");
            for i in 0..20 {
                let h = household(l, vec![member(head, "head", "male", "1960-01-01")]);
                l.save_household(&HouseholdInput {
                    address: format!("Thôn Nà Pò, số {i}"),
                    ..h
                })?;
            }
            Ok(mode)
        })
        .unwrap();
    assert!(foreign_keys(l.conn()), "enforced again afterwards");
    out
}

/// Bulk-write mode (folder imports, demo generation) writes through SQLite's rollback journal
/// when the ledger has the file to itself, and returns to WAL for every other write; when
/// another connection holds the file it stays in WAL. Either way the writes are committed.
#[test]
fn bulk_writes_use_the_rollback_journal_only_with_the_file_to_themselves() {
    let mut t = set_up();
    assert_eq!(journal_mode(t.ledger.conn()), "wal");

    let inside = twenty_households_in_bulk(&mut t.ledger, "Lò Văn Pấu");
    assert_eq!(inside, "delete");
    assert_eq!(
        journal_mode(t.ledger.conn()),
        "wal",
        "back in WAL afterwards"
    );
    let after_first = household_count(t.ledger.conn());
    assert_eq!(after_first, 20);
    // A person's next edit commits in WAL mode, durably.
    t.ledger
        .save_household(&household(
            &t.ledger,
            vec![member("Hoàng Văn Sáng", "head", "male", "1970-02-03")],
        ))
        .unwrap();

    // A reader in another connection (another process, a backup tool): no journal change.
    let path = t.ledger.path().to_path_buf();
    let reader = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(household_count(&reader), after_first + 1);
    let inside = twenty_households_in_bulk(&mut t.ledger, "Vi Thị Nhung");
    assert_eq!(inside, "wal");
    assert_eq!(journal_mode(t.ledger.conn()), "wal");
    assert_eq!(household_count(&reader), after_first + 21);
    drop(reader);

    // Reopened, everything is there and the file is in WAL mode.
    let total = household_count(t.ledger.conn());
    drop(t.ledger);
    let l = Ledger::open(&path).unwrap();
    assert_eq!(journal_mode(l.conn()), "wal");
    assert_eq!(household_count(l.conn()), total);
}
