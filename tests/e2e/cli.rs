//! The `giamngheo` command line as the real-window tests use it to prepare databases: the same
//! binary a user runs, next to the app binary (or `CLI_BIN`).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn cli() -> PathBuf {
    std::env::var_os("CLI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            crate::app()
                .parent()
                .map(|d| d.join("giamngheo"))
                .unwrap_or_else(|| PathBuf::from("giamngheo"))
        })
}

/// `giamngheo --db DB ARGS…`, which must succeed; its standard output.
pub fn run_cli(db: &Path, args: &[&str]) -> String {
    let out = Command::new(cli())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (build the workspace first): {e}",
                cli().display()
            )
        });
    assert!(
        out.status.success(),
        "giamngheo {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `giamngheo --db DB ARGS… --json`, which must succeed; its JSON (`Null` if none).
pub fn g(db: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&run_cli(db, &all)).unwrap_or(Value::Null)
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The province office (code 04) and its public keys file.
pub fn setup_office(db: &Path, keys: &Path) {
    g(
        db,
        &[
            "setup",
            "office",
            "--code",
            "04",
            "--name",
            "Sở Nông nghiệp và Môi trường Cao Bằng",
            "--province-name",
            "Cao Bằng",
        ],
    );
    g(db, &["keys", "--out", s(keys)]);
}

/// A commune laptop set up with the office's `keys`, enrolled at `office` through real packages
/// in folders under `d`. Returns the office's answer (`file`, `short_code`, `node_id`, …).
pub fn setup_enrolled_commune(
    d: &Path,
    office: &Path,
    keys: &Path,
    db: &Path,
    code: &str,
    name: &str,
) -> Value {
    g(
        db,
        &[
            "setup",
            "commune",
            "--code",
            code,
            "--name",
            name,
            "--area",
            "rural",
            "--office-keys",
            s(keys),
            "--province-name",
            "Cao Bằng",
        ],
    );
    let req = g(
        db,
        &[
            "enrol",
            "request",
            "--out",
            s(&d.join(format!("enrol-req-{code}"))),
        ],
    );
    let acc = g(
        office,
        &[
            "enrol",
            "accept",
            req["file"].as_str().expect("file"),
            "--fingerprint",
            req["fingerprint"].as_str().expect("fingerprint"),
            "--out",
            s(&d.join(format!("enrol-resp-{code}"))),
        ],
    );
    g(db, &["import", acc["file"].as_str().expect("file")]);
    acc
}

/// `correct --entity ENTITY --id ID --field FIELD --value VALUE --reason "Xác minh"` at the office.
pub fn correct(office: &Path, entity: &str, id: &str, field: &str, value: &str) {
    g(
        office,
        &[
            "correct",
            "--entity",
            entity,
            "--id",
            id,
            "--field",
            field,
            "--value",
            value,
            "--reason",
            "Xác minh",
        ],
    );
}
