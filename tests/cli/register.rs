//! init, generate, household list/show, exit codes and messages.

use crate::common::*;

#[test]
fn init_then_generate_then_list_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let db = db.to_str().unwrap();
    let o = run(&[
        "--db",
        db,
        "init",
        "--province-code",
        "04",
        "--province-name",
        "Cao Bằng",
        "--commune-code",
        "01290",
        "--commune-name",
        "Sơn Lộ",
        "--village",
        "Xóm Khưa Lốm",
        "--village",
        "Bản Nà Pán",
        "--json",
    ]);
    let info = json(&o);
    assert_eq!(info["commune_name"], "Sơn Lộ");
    assert_eq!(info["villages"][1]["kind"], "ban");

    let o = run(&[
        "--db",
        db,
        "generate",
        "--households",
        "120",
        "--seed",
        "7",
        "--json",
    ]);
    assert_eq!(json(&o)["households"], 120);

    let all = json(&run(&["--db", db, "household", "list", "--json"]));
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 120);
    for h in all {
        for key in ["id", "code", "head_name", "village", "members"] {
            assert!(h.get(key).is_some(), "{key} missing in {h}");
        }
    }
    // Search without diacritics finds the head by name.
    let head = all[17]["head_name"].as_str().unwrap().to_string();
    let folded = giamngheo_core::text::fold(&head);
    let found = json(&run(&[
        "--db",
        db,
        "household",
        "list",
        "--search",
        &folded,
        "--json",
    ]));
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["head_name"] == head.as_str()),
        "{folded}"
    );

    // Filter by village code.
    let by_village = json(&run(&[
        "--db",
        db,
        "household",
        "list",
        "--village",
        "02",
        "--json",
    ]));
    assert!(by_village
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["village"] == "Nà Pán"));

    let code = all[3]["code"].as_str().unwrap();
    let shown = json(&run(&["--db", db, "household", "show", code, "--json"]));
    assert_eq!(shown["code"], code);
    assert_eq!(
        shown["members"].as_array().unwrap().len() as u64,
        all[3]["members"].as_u64().unwrap()
    );
}

#[test]
fn generate_creates_a_demo_commune_when_the_database_is_missing_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let names = |seed: &str, file: &str| {
        let db = dir.path().join(file);
        let db = db.to_str().unwrap();
        let o = run(&[
            "--db",
            db,
            "generate",
            "--households",
            "40",
            "--seed",
            seed,
            "--json",
        ]);
        assert_eq!(json(&o)["set_up_demo_commune"], true);
        let list = json(&run(&["--db", db, "household", "list", "--json"]));
        let mut v: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["head_name"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("5", "a.db"), names("5", "b.db"));
    assert_ne!(names("5", "c.db"), names("6", "d.db"));
}

#[test]
fn usage_errors_exit_2_with_a_vietnamese_message() {
    let o = run(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Lệnh không tồn tại"), "{}", stderr(&o));
    let o = run(&["--db", "/tmp/x.db", "generate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--households"));
    let o = run(&["--db", "/tmp/x.db", "household", "list", "--serch", "a"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--serch"));
}

#[test]
fn a_file_that_is_not_a_database_exits_1_and_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.db");
    std::fs::write(&p, "không phải cơ sở dữ liệu").unwrap();
    let o = run(&["--db", p.to_str().unwrap(), "household", "list"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("không phải là cơ sở dữ liệu SQLite"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "không phải cơ sở dữ liệu"
    );
}

#[test]
fn invalid_setup_exits_3_and_unknown_household_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("y.db");
    let db = db.to_str().unwrap();
    let o = run(&[
        "--db",
        db,
        "init",
        "--province-code",
        "4",
        "--province-name",
        "Cao Bằng",
        "--commune-code",
        "12",
        "--commune-name",
        "X",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("5 chữ số"), "{}", stderr(&o));
    run(&["--db", db, "generate", "--households", "3"]);
    let o = run(&["--db", db, "household", "show", "KHÔNG-CÓ"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("Không tìm thấy hộ"));
}

#[test]
fn rounds_and_rule_sets_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db = db.to_str().unwrap();
    json(&run(&[
        "--db",
        db,
        "generate",
        "--households",
        "60",
        "--seed",
        "3",
        "--json",
    ]));
    let rounds = json(&run(&["--db", db, "round", "list", "--json"]));
    let round = rounds[0]["id"].as_str().unwrap().to_string();
    assert_eq!(rounds[0]["locked"], true);
    let shown = json(&run(&["--db", db, "round", "show", &round[..8], "--json"]));
    assert_eq!(shown["round"]["households"], 60);
    let w = json(&run(&[
        "--db",
        db,
        "round",
        "whatif",
        &round,
        "--rules",
        "2027-2030",
        "--json",
    ]));
    assert_eq!(w["rules_id"], "2027-2030");
    // The demo round recorded score A only: under 2027-2030 (no score line) nothing can be classified.
    assert_eq!(w["unclassifiable"].as_array().unwrap().len(), 60);

    let sets = json(&run(&["--db", db, "rules", "list", "--json"]));
    assert!(sets
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "2022-2025"));
    // An updated 2022-2025 file: version 2 with another income line.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/rules/2022-2025.json"
    ))
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["version"] = serde_json::json!(2);
    v["income_line"]["rural"] = serde_json::json!(1_600_000);
    let file = dir.path().join("2022-2025-v2.json");
    std::fs::write(&file, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let dry = json(&run(&[
        "--db",
        db,
        "rules",
        "load",
        file.to_str().unwrap(),
        "--dry-run",
        "--json",
    ]));
    assert_eq!(dry["loaded"], false);
    assert!(
        dry["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("1.600.000")),
        "{dry}"
    );
    let after = json(&run(&["--db", db, "rules", "list", "--json"]));
    assert!(
        !after.as_array().unwrap().iter().any(|s| s["version"] == 2),
        "dry run loads nothing"
    );
    json(&run(&[
        "--db",
        db,
        "rules",
        "load",
        file.to_str().unwrap(),
        "--json",
    ]));
    let after = json(&run(&["--db", db, "rules", "list", "--json"]));
    assert!(after
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "2022-2025" && s["version"] == 2));
    // A broken file is refused with a Vietnamese reason and changes nothing.
    std::fs::write(&file, "{ \"id\": ").unwrap();
    let o = run(&["--db", db, "rules", "load", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

#[test]
fn generate_without_a_round_fills_the_register_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("n.db");
    let db = db.to_str().unwrap();
    let s = json(&run(&[
        "--db",
        db,
        "generate",
        "--households",
        "5",
        "--no-round",
        "--json",
    ]));
    assert!(s["round_id"].is_null());
    assert_eq!(
        json(&run(&["--db", db, "round", "list", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn household_history_says_who_changed_what() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    json(&run(&[
        "--db",
        db,
        "generate",
        "--households",
        "2",
        "--no-round",
        "--json",
    ]));
    let list = json(&run(&["--db", db, "household", "list", "--json"]));
    let code = list[0]["code"].as_str().unwrap();
    let head = list[0]["head_name"].as_str().unwrap();
    let hist = json(&run(&["--db", db, "household", "history", code, "--json"]));
    let entries = hist.as_array().unwrap();
    assert!(entries.iter().any(|e| e["what"] == "Tạo hộ"), "{hist}");
    assert!(
        entries
            .iter()
            .any(|e| e["what"].as_str().unwrap().contains(head)),
        "{hist}"
    );
    assert!(
        entries.iter().all(|e| e["user"] == "Nông Thị Phương"),
        "{hist}"
    );
    let o = run(&["--db", db, "household", "history", "KHÔNG-CÓ"]);
    assert_eq!(o.status.code(), Some(4));
}
