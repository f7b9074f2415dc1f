//! Running the binary.

#![allow(dead_code)] // shared helpers; not every test module uses every one

use std::io::Write;
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_giamngheo"));
    c.env_remove("GIAMNGHEO_DB");
    c
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run giamngheo")
}

pub fn run_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

pub fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        stderr(o)
    );
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

/// `giamngheo --db DB ARGS… --json`, which must succeed; its JSON.
pub fn gj(db: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--db", path_str(db)];
    all.extend_from_slice(args);
    all.push("--json");
    json(&run(&all))
}

pub fn path_str(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// An office (`office.db`, code 04) and a commune (`xa.db`, 01234, `area`) that pinned the
/// office's keys file — not enrolled yet.
pub fn office_and_pinned_commune(
    d: &std::path::Path,
    area: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let (office, xa, keys) = (
        d.join("office.db"),
        d.join("xa.db"),
        d.join("office-keys.json"),
    );
    gj(
        &office,
        &["setup", "office", "--code", "04", "--name", "Sở Cao Bằng"],
    );
    gj(&office, &["keys", "--out", path_str(&keys)]);
    gj(
        &xa,
        &[
            "setup",
            "commune",
            "--code",
            "01234",
            "--name",
            "Sơn Lộ",
            "--area",
            area,
            "--office-keys",
            path_str(&keys),
        ],
    );
    (office, xa)
}

/// Enrol `dev` at `office` through the CLI (request, accept with the fingerprint, import).
pub fn enrol(d: &std::path::Path, office: &std::path::Path, dev: &std::path::Path) {
    let req = gj(
        dev,
        &["enrol", "request", "--out", path_str(&d.join("enrol-req"))],
    );
    let acc = gj(
        office,
        &[
            "enrol",
            "accept",
            req["file"].as_str().expect("file"),
            "--fingerprint",
            req["fingerprint"].as_str().expect("fingerprint"),
            "--out",
            path_str(&d.join("enrol-resp")),
        ],
    );
    gj(dev, &["import", acc["file"].as_str().expect("file")]);
}

/// `correct --entity ENTITY --id ID --field FIELD --value VALUE --reason "Xác minh"` at the office.
pub fn correct(office: &std::path::Path, entity: &str, id: &str, field: &str, value: &str) {
    gj(
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
