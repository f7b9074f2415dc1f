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
