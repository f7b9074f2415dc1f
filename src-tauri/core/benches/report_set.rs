//! Benchmark: the full report set built from a generated ledger and rendered.
//!
//! Run: `cargo bench -p giamngheo-core --bench report_set -- [households] [DB_FILE] [names…]`.
//! The ledger is generated with `populate` (seed 2026) into DB_FILE when that file does not
//! exist yet (default `target/bench-report-set-<households>.db`), then reused. For each report
//! it prints the build time (ledger → document), the render time per format and the size.
//! Without names it runs every round-level report of the catalogue; household forms use the
//! first poor household.

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
            let bytes = reports::render(&doc, f).expect("render");
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
