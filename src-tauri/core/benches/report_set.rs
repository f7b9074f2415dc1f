//! Benchmark: the full report set built from a generated ledger and rendered.
//!
//! Run: `cargo bench -p giamngheo-core --bench report_set -- [households] [DB_FILE] [names…]`.
//! The ledger is generated with `populate` (seed 2026) into DB_FILE when that file does not
//! exist yet (default `target/bench-report-set-<households>.db`), then reused. For each report
//! it prints the build time (ledger → document), the render time per format and the size.
//! Without names it runs every round-level report of the catalogue; household forms use the
//! first poor household.
//!
//! Office scale (`REPORT_SET_BASE=N`, e.g. 15000): instead of generating every household through
//! the write path (hours at 1,500,000), one commune of N households is generated with `populate`
//! into `target/bench-report-set-base-N.db` (reused when present), copied to DB_FILE, and its
//! materialised rows (commune, round, households, members, surveys) are copied HOUSEHOLDS / N − 1
//! times in SQL under new ids, household codes and commune codes (80001, 80002, …); the file is
//! then marked as an office, so reports break down by commune. The copies have no ops and, to
//! keep a 1,500,000-household file near 4 GB, an empty revision state (`_rev = '{}'`) and no
//! search text: reports read neither. Everything a report reads is copied as generated. This is benchmark data only — it bypasses the write path
//! on purpose and is never a way to fill a real ledger.

use std::path::PathBuf;
use std::time::Instant;

use giamngheo_core::reports::{self, OutputFormat, ReportNeeds, ReportParams};
use giamngheo_core::Ledger;

/// CPU seconds (user + system) of this process so far, from /proc/self/stat (Linux; 0 elsewhere).
/// The machine the benchmarks run on is shared: wall time alone mostly measures the others.
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let f: Vec<&str> = after.split_whitespace().collect();
            let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let households: u32 = args.first().and_then(|a| a.parse().ok()).unwrap_or(150_000);
    let db = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("target/bench-report-set-{households}.db")));
    let names: Vec<String> = args.iter().skip(2).cloned().collect();
    let base: Option<u32> = std::env::var("REPORT_SET_BASE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|b| *b > 0 && *b < households);
    if let (false, Some(base)) = (db.exists(), base) {
        replicate(&db, base, households);
    }
    if !db.exists() {
        let t = Instant::now();
        let mut ledger = Ledger::open(&db).expect("open");
        let s =
            giamngheo_core::populate::populate(&mut ledger, households, 2026).expect("populate");
        println!(
            "generate: {} households, {} members in {:.1}s",
            s.households,
            s.members,
            t.elapsed().as_secs_f64()
        );
    }
    let ledger = Ledger::open(&db).expect("open");
    println!(
        "start: {} (load {})",
        db.display(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let poor_household: Option<String> = ledger
        .conn()
        .query_row(
            "SELECT s.household_id FROM survey s WHERE s.class = 'poor' AND s.status = 'surveyed' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok();
    let t = Instant::now();
    let c = cpu();
    let dash = ledger.dashboard().expect("dashboard");
    println!(
        "dashboard: {:.2}s (cpu {:.2}s; {} households, {} poor, {} near-poor)",
        t.elapsed().as_secs_f64(),
        cpu() - c,
        dash.households,
        dash.poor,
        dash.near_poor
    );
    let mut total = 0.0;
    let mut total_cpu = 0.0;
    for info in reports::catalog() {
        if !names.is_empty() && !names.contains(&info.name) {
            continue;
        }
        let params = ReportParams {
            household_id: if info.needs == ReportNeeds::Round {
                None
            } else {
                poor_household.clone()
            },
            ..Default::default()
        };
        let t = Instant::now();
        let c = cpu();
        let doc = match ledger.build_report(&info.name, &params) {
            Ok(d) => d,
            Err(e) => {
                println!("{:<28} skipped: {e}", info.name);
                continue;
            }
        };
        let build = t.elapsed().as_secs_f64();
        let build_cpu = cpu() - c;
        let rows: usize = doc.tables().map(|t| t.rows.len()).sum();
        let mut line = format!(
            "{:<28} rows {:>7}  build {:>6.2}s (cpu {:>5.2}s)",
            info.name, rows, build, build_cpu
        );
        total += build;
        total_cpu += build_cpu;
        for f in [OutputFormat::Xlsx, OutputFormat::Pdf, OutputFormat::Csv] {
            let t = Instant::now();
            let c = cpu();
            let bytes = match reports::render(&doc, f) {
                Ok(b) => b,
                Err(e) => {
                    line.push_str(&format!("  {} refused: {e}", f.extension()));
                    continue;
                }
            };
            let secs = t.elapsed().as_secs_f64();
            total += secs;
            total_cpu += cpu() - c;
            line.push_str(&format!(
                "  {} {:>5.2}s (cpu {:>5.2}s) {:>5.1} MB",
                f.extension(),
                secs,
                cpu() - c,
                bytes.len() as f64 / 1e6
            ));
        }
        println!("{line}");
    }
    println!("total build + render: {total:.1}s wall, {total_cpu:.1}s cpu");
}

/// Columns of `table`, in order.
fn columns(c: &rusqlite::Connection, table: &str) -> Vec<String> {
    let mut stmt = c
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .expect("table info");
    let cols: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("columns")
        .map(|r| r.expect("column"))
        .collect();
    cols
}

/// Copies the rows of `table` with rowid ≤ `upto`, replacing the columns in `with` by SQL
/// expressions.
fn copy_rows(
    c: &rusqlite::Connection,
    table: &str,
    upto: i64,
    with: &[(&str, String)],
    filter: &str,
) {
    let cols = columns(c, table);
    let exprs: Vec<String> = cols
        .iter()
        .map(|col| {
            with.iter()
                .find(|(k, _)| k == col)
                .map(|(_, e)| e.clone())
                .unwrap_or_else(|| col.clone())
        })
        .collect();
    c.execute(
        &format!(
            "INSERT INTO {table} ({}) SELECT {} FROM {table} WHERE rowid <= ?1 AND ({filter})",
            cols.join(", "),
            exprs.join(", ")
        ),
        [upto],
    )
    .unwrap_or_else(|e| panic!("copy {table}: {e}"));
}

/// Office-scale benchmark data: see the module comment.
fn replicate(db: &std::path::Path, base: u32, households: u32) {
    let t = Instant::now();
    let base_db = PathBuf::from(format!("target/bench-report-set-base-{base}.db"));
    if !base_db.exists() {
        let mut ledger = Ledger::open(&base_db).expect("open base");
        let s = giamngheo_core::populate::populate(&mut ledger, base, 2026).expect("populate");
        println!(
            "generate base commune: {} households, {} members through the write path in {:.1}s",
            s.households,
            s.members,
            t.elapsed().as_secs_f64()
        );
    }
    {
        let ledger = Ledger::open(&base_db).expect("open base");
        ledger
            .conn()
            .execute("VACUUM INTO ?1", [db.display().to_string()])
            .expect("copy base");
    }
    let c = rusqlite::Connection::open(db).expect("open copy");
    c.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;",
    )
    .expect("pragmas");
    let commune: String = c
        .query_row("SELECT commune_code FROM local_node", [], |r| r.get(0))
        .expect("commune");
    let max = |table: &str| -> i64 {
        c.query_row(
            &format!("SELECT coalesce(max(rowid), 0) FROM {table}"),
            [],
            |r| r.get(0),
        )
        .expect("max rowid")
    };
    let (m_commune, m_round, m_household, m_member, m_survey) = (
        max("commune"),
        max("review_round"),
        max("household"),
        max("member"),
        max("survey"),
    );
    let copies = households / base;
    for r in 1..copies {
        let code = format!("{}", 80_000 + r);
        let tag = |col: &str| format!("{col} || '~{r}'");
        c.execute_batch("BEGIN").expect("begin");
        copy_rows(
            &c,
            "commune",
            m_commune,
            &[
                ("id", format!("'{code}'")),
                ("name", format!("'Xã mẫu {r:03}'")),
            ],
            &format!("id = '{commune}'"),
        );
        let rev = ("_rev", "'{}'".to_string());
        copy_rows(
            &c,
            "review_round",
            m_round,
            &[("id", tag("id")), ("commune_code", format!("'{code}'"))],
            "1",
        );
        copy_rows(
            &c,
            "household",
            m_household,
            &[
                ("id", tag("id")),
                ("code", tag("code")),
                ("commune_code", format!("'{code}'")),
                ("head_member_id", tag("head_member_id")),
                ("search_text", "''".to_string()),
                rev.clone(),
            ],
            "1",
        );
        copy_rows(
            &c,
            "member",
            m_member,
            &[
                ("id", tag("id")),
                ("household_id", tag("household_id")),
                rev.clone(),
            ],
            "1",
        );
        copy_rows(
            &c,
            "survey",
            m_survey,
            &[
                ("id", tag("id")),
                ("household_id", tag("household_id")),
                ("round_id", tag("round_id")),
                rev.clone(),
            ],
            "1",
        );
        c.execute_batch("COMMIT").expect("commit");
    }
    c.execute("UPDATE local_node SET kind = 'office'", [])
        .expect("office");
    let n: i64 = c
        .query_row("SELECT count(*) FROM household", [], |r| r.get(0))
        .expect("count");
    println!(
        "replicate: {copies} communes, {n} households in {:.1}s (base {base} households ×{copies}, SQL copies)",
        t.elapsed().as_secs_f64()
    );
}
