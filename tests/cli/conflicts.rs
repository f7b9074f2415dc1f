//! `conflicts` and `resolve` through the real binary: the office corrects a household's address
//! and a member's ID number while the commune edits the same fields (the commune's edits are made
//! through the core, as the desktop app makes them: the CLI has no field-edit command); after the
//! import the office lists both items with who / which laptop / office-or-commune, refuses a wrong
//! ID number (exit 3, Vietnamese message, nothing changed), resolves one item by a typed value and
//! one by a pick, and the return package closes them at the commune too.

use crate::common::{correct, gj as g, path_str as s, run, stderr};
use giamngheo_core::ledger::{Change, OpKind};
use giamngheo_core::Ledger;
use serde_json::Value;

/// An office and an enrolled rural commune with `households` generated households (no round),
/// exported once and imported at the office.
fn office_holding_generated(
    d: &std::path::Path,
    households: &str,
    seed: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let (office, xa) = crate::common::office_and_pinned_commune(d, "rural");
    crate::common::enrol(d, &office, &xa);
    g(
        &xa,
        &[
            "generate",
            "--households",
            households,
            "--seed",
            seed,
            "--no-round",
        ],
    );
    g(&xa, &["export", "--out", s(&d.join("u1"))]);
    g(&office, &["import", s(&d.join("u1"))]);
    (office, xa)
}

#[test]
fn office_lists_and_resolves_conflicts_and_the_return_closes_them_at_the_commune() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (office, xa) = office_holding_generated(d, "3", "5");
    assert_eq!(g(&office, &["conflicts"]), Value::Array(vec![]));

    let list = g(&office, &["household", "list"]);
    let hid = list[0]["id"].as_str().expect("id").to_owned();
    let shown = g(&office, &["household", "show", &hid]);
    let mid = shown["members"][0]["id"]
        .as_str()
        .expect("member")
        .to_owned();

    // Concurrently: the office corrects, the commune edits the same two fields.
    for (entity, id, field, value) in [
        ("household", hid.as_str(), "address", "Nhà văn phòng sửa"),
        ("member", mid.as_str(), "id_number", "004080001234"),
    ] {
        correct(&office, entity, id, field, value);
    }
    {
        let mut l = Ledger::open(&xa).expect("open commune");
        l.write(
            "edit",
            vec![
                Change::new("household", hid.as_str(), OpKind::Update)
                    .with("address", "Nhà xã sửa"),
                Change::new("member", mid.as_str(), OpKind::Update)
                    .with("id_number", "004080005678"),
            ],
        )
        .expect("commune edit");
    }
    g(&xa, &["export", "--out", s(&d.join("u2"))]);
    let imp = g(&office, &["import", s(&d.join("u2"))]);
    assert_eq!(imp[0]["conflicts"].as_u64(), Some(2), "{imp}");

    let items = g(&office, &["conflicts"]);
    let items = items.as_array().expect("array");
    assert_eq!(items.len(), 2, "{items:#?}");
    let addr = items
        .iter()
        .find(|i| i["field"] == "address")
        .expect("address item");
    assert_eq!(addr["kind"], "overlap");
    assert_eq!(addr["kind_label"], "Sửa cùng lúc");
    assert_eq!(addr["field_label"], "Địa chỉ");
    assert_eq!(addr["household_id"], hid.as_str());
    assert!(addr["head_name"].as_str().is_some_and(|h| !h.is_empty()));
    let heads = addr["heads"].as_array().expect("heads");
    assert_eq!(heads.len(), 2);
    let mut who: Vec<(String, String)> = heads
        .iter()
        .map(|h| {
            (
                h["authority_label"].as_str().unwrap_or("").to_owned(),
                h["device"]["short_code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    who.sort();
    assert_eq!(
        who,
        vec![
            ("Văn phòng".to_owned(), "VP04".to_owned()),
            ("Xã".to_owned(), "01234-1".to_owned())
        ]
    );
    let commune_head = heads
        .iter()
        .find(|h| h["authority_label"] == "Xã")
        .expect("commune value");
    assert_eq!(commune_head["display"], "Nhà xã sửa");
    assert!(commune_head["received_at"].is_string());
    let pick = commune_head["key"].as_str().expect("key").to_owned();
    let idn = items
        .iter()
        .find(|i| i["field"] == "id_number")
        .expect("id item");
    assert_eq!(idn["entity"], "member");
    assert!(idn["member_name"].is_string());
    assert_eq!(idn["critical"], true);

    // The plain text lists them grouped by household with the resolve command.
    let text = run(&["--db", s(&office), "conflicts"]);
    assert!(text.status.success());
    let out = String::from_utf8(text.stdout).expect("utf-8");
    assert!(out.contains("Sửa cùng lúc"), "{out}");
    assert!(out.contains(&pick), "{out}");
    assert!(out.contains("Văn phòng"), "{out}");

    // A wrong ID number: exit 3, the usual message, nothing changed.
    let before = (
        g(&office, &["conflicts"]),
        g(&office, &["household", "show", &hid]),
        g(&office, &["status"]),
    );
    let bad = run(&[
        "--db",
        s(&office),
        "resolve",
        "member",
        &mid,
        "id_number",
        "--value",
        "00408000123",
    ]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(stderr(&bad).contains("12 chữ số"), "{}", stderr(&bad));
    // Usage mistakes: exit 2.
    for args in [
        vec!["resolve", "member", &mid, "id_number"],
        vec![
            "resolve",
            "member",
            &mid,
            "id_number",
            "--pick",
            &pick,
            "--value",
            "x",
        ],
        vec!["resolve", "member", &mid],
    ] {
        let mut all = vec!["--db", s(&office)];
        all.extend(args);
        let o = run(&all);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    }
    let after = (
        g(&office, &["conflicts"]),
        g(&office, &["household", "show", &hid]),
        g(&office, &["status"]),
    );
    assert_eq!(before, after, "nothing changed");

    // Typed value for the ID number, a pick for the address.
    let r = g(
        &office,
        &[
            "resolve",
            "member",
            &mid,
            "id_number",
            "--value",
            "0040 8000 9999",
            "--note",
            "Theo bản gốc CCCD",
        ],
    );
    assert_eq!(r["value"], "004080009999");
    assert_eq!(r["open_items"], 1);
    let r = g(
        &office,
        &["resolve", "household", &hid, "address", "--pick", &pick],
    );
    assert_eq!(r["display"], "Nhà xã sửa");
    assert_eq!(r["open_items"], 0);
    assert_eq!(g(&office, &["conflicts"]), Value::Array(vec![]));
    // Again: the item is closed, a clear message.
    let again = run(&[
        "--db",
        s(&office),
        "resolve",
        "household",
        &hid,
        "address",
        "--pick",
        &pick,
    ]);
    assert_eq!(again.status.code(), Some(3));
    assert!(
        stderr(&again).contains("đã được xử lý"),
        "{}",
        stderr(&again)
    );

    // The return package closes the items at the commune.
    let ret = g(&office, &["export", "--out", s(&d.join("u3"))]);
    g(&xa, &["import", ret[0]["file"].as_str().expect("file")]);
    assert_eq!(g(&xa, &["conflicts"]), Value::Array(vec![]));
    let at_commune = g(&xa, &["household", "show", &hid]);
    assert_eq!(at_commune["address"], "Nhà xã sửa");
    let member = at_commune["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["id"] == mid.as_str())
        .cloned()
        .expect("member");
    assert_eq!(member["id_number"], "004080009999");
    assert_eq!(
        g(&office, &["household", "show", &hid]),
        at_commune,
        "the same household on both sides"
    );
}

/// `resolve ENTITY ROW_ID --keep-version ORIGIN:SEQ`: the commune changed a household's address and
/// note in one save while the office corrected both; keeping the commune's version decides both
/// items at once (SYNC rule 9), `--json` names the fields, and the same call again is refused.
#[test]
fn one_version_of_a_household_decides_all_its_items_at_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (office, xa) = office_holding_generated(d, "2", "9");
    let hid = g(&office, &["household", "list"])[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for (field, value) in [
        ("address", "Địa chỉ văn phòng"),
        ("note", "Ghi chú văn phòng"),
    ] {
        correct(&office, "household", &hid, field, value);
    }
    {
        let mut l = Ledger::open(&xa).expect("open commune");
        l.write(
            "edit",
            vec![Change::new("household", hid.as_str(), OpKind::Update)
                .with("address", "Địa chỉ xã")
                .with("note", "Ghi chú xã")],
        )
        .expect("commune edit");
    }
    g(&xa, &["export", "--out", s(&d.join("u2"))]);
    g(&office, &["import", s(&d.join("u2"))]);
    let items = g(&office, &["conflicts"]);
    let items = items.as_array().expect("array");
    assert_eq!(items.len(), 2, "{items:#?}");
    let version = items[0]["heads"]
        .as_array()
        .expect("heads")
        .iter()
        .find(|h| h["authority_label"] == "Xã")
        .and_then(|h| h["key"].as_str())
        .expect("the commune's version")
        .to_owned();

    // With a field name it is a usage mistake (exit 2), and nothing changes.
    let o = run(&[
        "--db",
        s(&office),
        "resolve",
        "household",
        &hid,
        "address",
        "--keep-version",
        &version,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(g(&office, &["conflicts"]).as_array().map(Vec::len), Some(2));

    let r = g(
        &office,
        &["resolve", "household", &hid, "--keep-version", &version],
    );
    let mut fields: Vec<&str> = r["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["address", "note"], "{r}");
    assert_eq!(r["open_items"], 0);
    let shown = g(&office, &["household", "show", &hid]);
    assert_eq!(shown["address"], "Địa chỉ xã");
    assert_eq!(shown["note"], "Ghi chú xã");
    let again = run(&[
        "--db",
        s(&office),
        "resolve",
        "household",
        &hid,
        "--keep-version",
        &version,
    ]);
    assert_ne!(again.status.code(), Some(0));
    assert!(!stderr(&again).is_empty());
}
