//! Benchmark (measured, not asserted): cold start of the app to the household register.
//! Creates a demo commune with the core's generator, then starts the built app 5 times through
//! tauri-driver under the current X display and times until `#register` shows its first page.
//!
//! Run under Xvfb, after `cargo build --workspace --all-targets`:
//! `xvfb-run -a -s "-screen 0 1366x768x24" cargo run --example cold_start`
//! Env: `APP_BIN` (default: the debug app next to this example; pass target/release/giamngheo-app
//! for the release build), `BENCH_HOUSEHOLDS` (default 1500), `BENCH_RUNS` (default 5).

#[path = "driver.rs"]
mod driver;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use driver::{AppEnv, Session};

fn default_app() -> PathBuf {
    // target/<profile>/examples/cold_start -> target/<profile>/giamngheo-app
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent()?.parent().map(|d| d.join("giamngheo-app")))
        .unwrap_or_else(|| PathBuf::from("target/debug/giamngheo-app"))
}

fn env_num(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let app = driver::app_binary(&default_app().display().to_string());
    let households = env_num("BENCH_HOUSEHOLDS", 1500);
    let runs = env_num("BENCH_RUNS", 5);
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("bench.db");
    let t = Instant::now();
    {
        let mut ledger = giamngheo_core::Ledger::open(&db).expect("create the ledger");
        giamngheo_core::populate::populate(&mut ledger, households, 2026).expect("demo commune");
    }
    eprintln!(
        "demo commune with {households} households generated in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    eprintln!("app: {}", app.display());

    let mut totals = Vec::new();
    for run in 1..=runs {
        // A fresh WebKit data/cache folder each time: a cold start in the app's sense.
        let run_dir = tmp.path().join(format!("run-{run}"));
        std::fs::create_dir_all(&run_dir).expect("run dir");
        let env = AppEnv::in_dir(&run_dir, &db);
        let t0 = Instant::now();
        let session = match Session::start(&app, &env, &format!("bench-{run}")).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("run {run}: could not start: {e}");
                std::process::exit(1);
            }
        };
        let t_session = t0.elapsed();
        let loaded = driver::wait_js(
            &session.client,
            "const r = document.getElementById('register'); return r && r.dataset.loaded === 'true' ? performance.now() : null",
            "the register",
            |v| v.is_number(),
        )
        .await;
        let t_total = t0.elapsed();
        session.stop().await;
        match loaded {
            Ok(page_ms) => {
                println!(
                    "run {run}: {:>6.0} ms to the register (session up after {:>5.0} ms; page load to register {:>5.0} ms)",
                    ms(t_total),
                    ms(t_session),
                    page_ms.as_f64().unwrap_or(f64::NAN)
                );
                totals.push(ms(t_total));
            }
            Err(e) => {
                eprintln!("run {run}: failed: {e}");
                std::process::exit(1);
            }
        }
    }
    totals.sort_by(|a, b| a.total_cmp(b));
    let median = totals[totals.len() / 2];
    println!(
        "cold start to register, {} runs, {households} households: median {median:.0} ms, min {:.0} ms, max {:.0} ms",
        totals.len(),
        totals[0],
        totals[totals.len() - 1]
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
