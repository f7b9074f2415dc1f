//! Measured benchmarks of the ledger (issues 2 and 3): save latency, search latency at 10,000 and
//! 150,000 households, population speed of the write path against a plain rusqlite bulk insert,
//! survey classification and what-if through the ledger, and file size per household. A plain
//! bench binary (`harness = false`): `cargo bench -p giamngheo-core --bench ledger`. It prints a
//! Markdown table and writes it to `target/bench-ledger.md`; nothing here asserts a timing.
//! Deliberately absent: any test assertion on speed, any access to the ledger's tables for writing
//! outside the write path (except the bulk-insert baseline, which uses a separate file).
//!
//! `BENCH_LEDGER_HOUSEHOLDS` (default 150000) sets the large commune's size, for a quick dry run.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use giamngheo_core::clock::FixedClock;
use giamngheo_core::demo::{generate_commune, DemoHousehold, DemoParams};
use giamngheo_core::populate::populate;
use giamngheo_core::register::{HouseholdInput, HouseholdQuery, MemberInput};
use giamngheo_core::review::{RoundInput, SurveyInput};
use giamngheo_core::{Ledger, Result};
use rusqlite::params;

const SMALL: u32 = 10_000;
const CHUNK: u32 = 10_000;
const SAVES: usize = 250;
const EDITS: usize = 250;
const QUERIES: usize = 60;
const ROUND_HOUSEHOLDS: u32 = 5_000;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and 95th percentile (nearest rank) of a sample, in milliseconds.
fn stats(mut v: Vec<Duration>) -> (f64, f64, usize) {
    v.sort();
    let n = v.len();
    if n == 0 {
        return (0.0, 0.0, 0);
    }
    let p95 = ((n * 95).div_ceil(100)).clamp(1, n) - 1;
    (ms(v[n / 2]), ms(v[p95]), n)
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Table {
    rows: Vec<[String; 4]>,
}
impl Table {
    fn add(&mut self, what: &str, size: &str, result: String, note: &str) {
        println!("  {what} @ {size}: {result} {note}");
        self.rows
            .push([what.to_owned(), size.to_owned(), result, note.to_owned()]);
    }
    fn markdown(&self) -> String {
        let mut s =
            String::from("| Measurement | Ledger size | Result | Notes |\n|---|---|---|---|\n");
        for r in &self.rows {
            s.push_str(&format!("| {} | {} | {} | {} |\n", r[0], r[1], r[2], r[3]));
        }
        s
    }
}

fn count(ledger: &Ledger, sql: &str) -> Result<i64> {
    Ok(ledger.conn().query_row(sql, [], |r| r.get(0))?)
}

fn fmt_n(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A register form filled in from a generated household (what a reviewer would type).
fn form_of(h: &DemoHousehold, village_id: &str) -> HouseholdInput {
    HouseholdInput {
        id: None,
        village_id: village_id.to_owned(),
        address: h.address.clone(),
        ethnicity: Some(h.ethnicity.to_owned()),
        ethnic_minority: h.ethnic_minority,
        no_labour: h.no_labour,
        merit: h.merit,
        note: String::new(),
        members: h
            .members
            .iter()
            .map(|m| MemberInput {
                id: None,
                full_name: m.full_name.clone(),
                birth_date: m.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
                birth_year: Some(m.birth_year),
                sex: m.sex.as_str().to_owned(),
                ethnicity: Some(m.ethnicity.to_owned()),
                relation: m.relation.as_str().to_owned(),
                id_number: m.id_number.clone(),
                health_insurance_card: m.health_insurance_card.clone(),
                health_insurance: Some(m.health_insurance),
                attending_school: Some(m.attending_school),
                education_level: None,
                work_status: None,
                labour_contract: Some(m.labour_contract),
                disability: Some(m.disability),
                social_allowance: Some(m.social_allowance),
                nutrition_status: m.nutrition_status.map(|n| n.as_str().to_owned()),
            })
            .collect(),
    }
}

/// Search terms drawn from the data: folded head names of households spread over the register.
fn drawn_names(ledger: &Ledger, n: usize) -> Result<Vec<Vec<String>>> {
    let total = count(ledger, "SELECT count(*) FROM household")?.max(1);
    let stride = (total / n as i64).max(1);
    let mut stmt = ledger
        .conn()
        .prepare("SELECT head_name FROM household WHERE rowid % ?1 = 0 LIMIT ?2")?;
    let names = stmt
        .query_map(params![stride, n as i64], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names
        .iter()
        .map(|s| {
            giamngheo_core::text::fold(s)
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() >= 2)
        .collect())
}

fn time_query(ledger: &Ledger, q: &HouseholdQuery) -> Result<(Duration, u64)> {
    let start = Instant::now();
    let page = ledger.list_households(q)?;
    Ok((start.elapsed(), page.total))
}

fn search_bench(ledger: &Ledger, table: &mut Table, size: &str) -> Result<()> {
    let names = drawn_names(ledger, QUERIES)?;
    let villages = ledger.villages()?;
    // Warm the page cache once, as a running app would have.
    ledger.list_households(&HouseholdQuery::default())?;
    let mut two = Vec::new();
    let mut one = Vec::new();
    let mut hits2 = 0u64;
    let mut hits1 = 0u64;
    for (i, words) in names.iter().enumerate() {
        // "nong phuong": family name + given name, as people search.
        let (first, last) = (&words[0], &words[words.len() - 1]);
        let (d, t) = time_query(
            ledger,
            &HouseholdQuery {
                search: Some(format!("{first} {last}")),
                ..Default::default()
            },
        )?;
        two.push(d);
        hits2 += t;
        // One word: alternately the given name and the family name.
        let w = if i % 2 == 0 { last } else { first };
        let (d, t) = time_query(
            ledger,
            &HouseholdQuery {
                search: Some(w.clone()),
                ..Default::default()
            },
        )?;
        one.push(d);
        hits1 += t;
    }
    let mut by_village = Vec::new();
    for i in 0..QUERIES {
        if villages.is_empty() {
            break;
        }
        let v = &villages[i % villages.len()];
        by_village.push(
            time_query(
                ledger,
                &HouseholdQuery {
                    village_id: Some(v.id.clone()),
                    ..Default::default()
                },
            )?
            .0,
        );
    }
    let mut first_page = Vec::new();
    for _ in 0..QUERIES {
        first_page.push(time_query(ledger, &HouseholdQuery::default())?.0);
    }
    let n2 = two.len().max(1) as u64;
    let n1 = one.len().max(1) as u64;
    for (what, sample, note) in [
        (
            "Search, 2-word folded name (`list_households`, page of 50)",
            two,
            format!("avg {} matches", hits2 / n2),
        ),
        (
            "Search, 1-word folded name",
            one,
            format!("avg {} matches", hits1 / n1),
        ),
        (
            "Village filter, no text",
            by_village,
            format!("{} villages", villages.len()),
        ),
        ("First page, no query", first_page, String::new()),
    ] {
        let (med, p95, n) = stats(sample);
        table.add(
            what,
            size,
            format!("median {med:.2} ms, p95 {p95:.2} ms"),
            &format!("n = {n}; {note}"),
        );
    }
    Ok(())
}

/// Save latency: new 6-member households, then an edit of one member field of each.
fn save_bench(ledger: &mut Ledger, table: &mut Table, size: &str) -> Result<()> {
    let today = ledger.clock().today();
    let village_ids: Vec<String> = ledger.villages()?.into_iter().map(|v| v.id).collect();
    let mut forms = Vec::new();
    let mut seed = 900_000;
    while forms.len() < SAVES {
        let commune = generate_commune(&DemoParams::new(seed, 2_000, "01290", today));
        seed += 1;
        for h in commune.households.iter().filter(|h| h.members.len() == 6) {
            if forms.len() < SAVES {
                let v = &village_ids[h.village_index % village_ids.len()];
                forms.push(form_of(h, v));
            }
        }
    }
    let mut saves = Vec::new();
    let mut saved = Vec::new();
    for f in &forms {
        let start = Instant::now();
        let out = ledger.save_household(f)?;
        saves.push(start.elapsed());
        let mut edit = f.clone();
        edit.id = Some(out.household.id.clone());
        for (m, s) in edit.members.iter_mut().zip(&out.household.members) {
            m.id = Some(s.id.clone());
        }
        saved.push(edit);
    }
    let mut edits = Vec::new();
    for mut e in saved.into_iter().take(EDITS) {
        // One member field changes: the third member's health-insurance answer.
        if let Some(m) = e.members.get_mut(2) {
            m.health_insurance = Some(!m.health_insurance.unwrap_or(false));
        }
        let start = Instant::now();
        ledger.save_household(&e)?;
        edits.push(start.elapsed());
    }
    let (med, p95, n) = stats(saves);
    table.add(
        "Save a new household with 6 members (`save_household`)",
        size,
        format!("median {med:.2} ms, p95 {p95:.2} ms"),
        &format!("n = {n}; one transaction, 7 ops, validation + re-read included"),
    );
    let (med, p95, n) = stats(edits);
    table.add(
        "Edit one member field of a saved household",
        size,
        format!("median {med:.2} ms, p95 {p95:.2} ms"),
        &format!("n = {n}; 1 op"),
    );
    Ok(())
}

/// The physical limit: the same generated rows inserted with plain prepared statements into a
/// fresh file with the same schema (WAL, synchronous = NORMAL, same indexes), 250 households to a
/// transaction as `populate` commits — but no op log, no revision state, no audit chain.
fn bulk_insert(
    path: &Path,
    seeds: &[(u64, u32)],
    today: chrono::NaiveDate,
) -> Result<(Duration, u64, u64)> {
    let _ = std::fs::remove_file(path);
    let mut conn = giamngheo_core::db::open(path)?;
    let village_ids: Vec<String> = (0..30).map(|i| format!("v{i:02}")).collect();
    let mut elapsed = Duration::ZERO;
    let (mut households, mut members) = (0u64, 0u64);
    let mut code = 0u64;
    for &(seed, n) in seeds {
        let commune = generate_commune(&DemoParams::new(seed, n, "01290", today));
        let start = Instant::now();
        for chunk in commune.households.chunks(250) {
            let tx = conn.transaction()?;
            {
                let mut hs = tx.prepare_cached(
                    "INSERT INTO household (id, commune_code, village_id, code, address, ethnicity, ethnic_minority, no_labour, merit,
                       head_member_id, status, created_at, head_name, member_count, search_text, head_search, sort_key)
                     VALUES (?1, '01290', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'active', ?10, ?11, ?12, ?13, ?14, ?15)",
                )?;
                let mut ms = tx.prepare_cached(
                    "INSERT INTO member (id, household_id, full_name, birth_date, birth_year, sex, ethnicity, relation, id_number,
                       health_insurance_card, health_insurance, attending_school, education_level, work_status, labour_contract,
                       disability, social_allowance, nutrition_status, status, position)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, 'present', ?19)",
                )?;
                for h in chunk {
                    let hid = giamngheo_core::ledger::new_id();
                    let ids: Vec<String> = h
                        .members
                        .iter()
                        .map(|_| giamngheo_core::ledger::new_id())
                        .collect();
                    code += 1;
                    let code_s = format!("BLK-{code:06}");
                    let head = h
                        .members
                        .first()
                        .map(|m| m.full_name.clone())
                        .unwrap_or_default();
                    let mut names = String::new();
                    for m in &h.members {
                        names.push(' ');
                        names.push_str(&m.full_name);
                    }
                    let search = giamngheo_core::text::fold(&format!(
                        "{code_s} {head} {names} {}",
                        h.address
                    ));
                    hs.execute(params![
                        hid,
                        village_ids[h.village_index % village_ids.len()],
                        code_s,
                        h.address,
                        h.ethnicity,
                        h.ethnic_minority,
                        h.no_labour,
                        h.merit,
                        ids.first(),
                        "2026-11-23T05:00:00Z",
                        head,
                        h.members.len() as i64,
                        search,
                        giamngheo_core::text::fold(&head),
                        giamngheo_core::text::name_sort_key(&head),
                    ])?;
                    for (pos, (m, id)) in h.members.iter().zip(&ids).enumerate() {
                        ms.execute(params![
                            id,
                            hid,
                            m.full_name,
                            m.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
                            m.birth_year,
                            m.sex.as_str(),
                            m.ethnicity,
                            m.relation.as_str(),
                            m.id_number,
                            m.health_insurance_card,
                            m.health_insurance,
                            m.attending_school,
                            m.education_level.as_str(),
                            m.work_status.as_str(),
                            m.labour_contract,
                            m.disability,
                            m.social_allowance,
                            m.nutrition_status.map(|n| n.as_str()),
                            pos as i64,
                        ])?;
                        members += 1;
                    }
                    households += 1;
                }
            }
            tx.commit()?;
        }
        elapsed += start.elapsed();
    }
    Ok((elapsed, households, members))
}

fn file_size(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

fn round_bench(dir: &Path, table: &mut Table) -> Result<()> {
    let path = dir.join("round.db");
    let _ = std::fs::remove_file(&path);
    let mut ledger = Ledger::open_with_clock(&path, Arc::new(FixedClock::at_date(2026, 11, 23)))?;
    populate(&mut ledger, ROUND_HOUSEHOLDS, 7)?; // with the decided 2026 round
                                                 // A year later: the 2027 periodic full review of the same 5,000 households.
    ledger.set_clock(Arc::new(FixedClock::at_date(2027, 11, 20)));
    let start = Instant::now();
    let round = ledger.create_round(&RoundInput {
        kind: "periodic".into(),
        scope: "full".into(),
        rules_id: "2022-2025".into(),
        start_date: "2027-09-15".into(),
        reference_date: None,
        posting_days: Some(3),
        title: None,
    })?;
    let create = start.elapsed();
    let round_id = round.round.id;
    let rows = ledger.round_households(&round_id, None)?;
    let mut g = Lcg(2027);
    let inputs: Vec<SurveyInput> = rows
        .iter()
        .map(|r| {
            let income = 600_000 + 10_000 * g.below(250) as i64;
            let mut deprivations = std::collections::BTreeMap::new();
            for id in [
                "housing_quality",
                "water",
                "sanitation",
                "telecom",
                "information_access",
            ] {
                deprivations.insert(id.to_owned(), g.below(4) == 0);
            }
            SurveyInput {
                round_id: round_id.clone(),
                household_id: r.household_id.clone(),
                score_a: Some(i64::from(giamngheo_core::demo::score_a_for_income(income))),
                income_per_capita_month: Some(income),
                agricultural: g.below(2) == 0,
                floor_area_m2: Some(15.0 + g.below(100) as f64),
                deprivations,
                reviewer: "Lò Văn Bình".into(),
                survey_date: "2027-10-01".into(),
                ..Default::default()
            }
        })
        .collect();
    let start = Instant::now();
    let saved = ledger.save_surveys(&round_id, &inputs)?;
    let save = start.elapsed();
    table.add(
        "Open a periodic full round (`create_round`, Phụ lục I)",
        &format!("{} households", fmt_n(rows.len() as u64)),
        format!("{:.0} ms", ms(create)),
        "one transaction, one survey row per household",
    );
    table.add(
        "Classify surveys through the ledger (`save_surveys`)",
        &format!("{} households", fmt_n(saved as u64)),
        format!(
            "{:.0} households/s ({:.2} s)",
            saved as f64 / save.as_secs_f64(),
            save.as_secs_f64()
        ),
        "derive indicators from the register, classify, explanation, previous-round transition, one op each",
    );
    let mut runs = Vec::new();
    let mut changed = 0;
    let mut unclassifiable = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let w = ledger.what_if(&round_id, "2027-2030")?;
        runs.push(start.elapsed());
        changed = w.changed.len();
        unclassifiable = w.unclassifiable.len();
    }
    let (med, _, n) = stats(runs.clone());
    let best = runs.iter().min().copied().unwrap_or_default();
    table.add(
        "What-if under 2027-2030 (`what_if`), wall time",
        &format!("{} surveyed households", fmt_n(saved as u64)),
        format!("median {:.0} ms (best {:.0} ms)", med, ms(best)),
        &format!(
            "n = {n}; {changed} would change class, {unclassifiable} unclassifiable; nothing written"
        ),
    );
    Ok(())
}

/// The input of the CLI measurement `giamngheo classify --rules 2022-2025`: 150,000 households as
/// JSON Lines in the documented contract (members with birth dates and answers, floor area, some
/// explicit answers), written next to the databases.
fn write_classify_input(path: &Path, n: usize) -> Result<()> {
    use std::io::Write;
    let ids = [
        "employment",
        "dependants",
        "adult_education",
        "housing_quality",
        "water",
        "sanitation",
        "telecom",
        "information_access",
    ];
    let mut g = Lcg(42);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..n {
        let size = 1 + g.below(7);
        let members: Vec<serde_json::Value> = (0..size)
            .map(|_| {
                serde_json::json!({
                    "birth_date": format!("{}-{:02}-{:02}", 1940 + g.below(86), 1 + g.below(12), 1 + g.below(28)),
                    "health_insurance": g.below(10) > 0,
                    "attending_school": g.below(12) > 0,
                    "malnourished": g.below(15) == 0,
                })
            })
            .collect();
        let mut deprivations = serde_json::Map::new();
        for id in ids {
            if g.below(5) == 0 {
                deprivations.insert(id.to_owned(), (g.below(2) == 0).into());
            }
        }
        let line = serde_json::json!({
            "id": format!("HH-{i:06}"),
            "area": if g.below(3) == 0 { "urban" } else { "rural" },
            "reference_date": "2026-09-01",
            "score_a": 60 + g.below(200),
            "income_per_capita_month": 500_000 + 10_000 * g.below(300),
            "agricultural": g.below(2) == 0,
            "floor_area_m2": 10 + g.below(120),
            "deprivations": deprivations,
            "members": members,
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let big: u32 = std::env::var("BENCH_LEDGER_HOUSEHOLDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150_000);
    let target = target_dir();
    let dir = target.join("bench-ledger");
    std::fs::create_dir_all(&dir)?;
    let mut table = Table { rows: Vec::new() };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();

    // --- the commune of 10,000 households (with its decided round) ----------------------------
    let path = dir.join("commune.db");
    for p in [
        path.clone(),
        dir.join("commune.db-wal"),
        dir.join("commune.db-shm"),
    ] {
        let _ = std::fs::remove_file(p);
    }
    let mut ledger = Ledger::open_with_clock(&path, Arc::new(FixedClock::at_date(2026, 11, 23)))?;
    println!("populating {SMALL} households …");
    let start = Instant::now();
    let first = populate(&mut ledger, SMALL, 1)?;
    let t_first = start.elapsed();
    let ops_first = count(&ledger, "SELECT count(*) FROM op")?;
    table.add(
        "Populate through the write path, incl. decided round (`populate`)",
        "0 → 10,000",
        format!(
            "{:.0} households/s, {:.0} ops/s ({:.1} s)",
            f64::from(SMALL) / t_first.as_secs_f64(),
            ops_first as f64 / t_first.as_secs_f64(),
            t_first.as_secs_f64()
        ),
        &format!(
            "{} members, {} ops; round: create, {} surveys, meetings, posting, decision",
            fmt_n(first.members),
            fmt_n(ops_first as u64),
            fmt_n(u64::from(SMALL))
        ),
    );
    println!("search at 10,000 …");
    search_bench(&ledger, &mut table, "10,000")?;
    println!("saves at 10,000 …");
    save_bench(&mut ledger, &mut table, "10,000")?;

    // --- grow to the large commune, households only (a second `generate` adds no round) -------
    let have = count(&ledger, "SELECT count(*) FROM household")? as u32;
    let mut seeds = Vec::new();
    let mut left = big.saturating_sub(have);
    let mut seed = 2;
    while left > 0 {
        let n = left.min(CHUNK);
        seeds.push((seed, n));
        seed += 1;
        left -= n;
    }
    let ops_before = count(&ledger, "SELECT count(*) FROM op")?;
    let mut grow = Duration::ZERO;
    let mut grown = 0u64;
    let mut grown_members = 0u64;
    let mut gen = Duration::ZERO;
    let mut last_chunk = None;
    for &(s, n) in &seeds {
        // Generation alone, to separate it from the write path.
        let g0 = Instant::now();
        let c = generate_commune(&DemoParams::new(s, n, "01290", today));
        gen += g0.elapsed();
        drop(c);
        let start = Instant::now();
        let out = populate(&mut ledger, n, s)?;
        let d = start.elapsed();
        grow += d;
        grown += out.households;
        grown_members += out.members;
        last_chunk = Some((n, d));
        println!(
            "  +{n} households ({} total) in {:.1} s",
            have as u64 + grown,
            d.as_secs_f64()
        );
    }
    let ops_grow = count(&ledger, "SELECT count(*) FROM op")? - ops_before;
    let total = count(&ledger, "SELECT count(*) FROM household")? as u64;
    let size_label = fmt_n(total);
    if grown > 0 {
        let secs = grow.as_secs_f64();
        table.add(
            "Populate through the write path, households only",
            &format!("{} → {}", fmt_n(u64::from(have)), size_label),
            format!(
                "{:.0} households/s, {:.0} ops/s ({:.0} s)",
                grown as f64 / secs,
                ops_grow as f64 / secs,
                secs
            ),
            &format!(
                "{} members, {} ops, 250 households per transaction; demo generation alone {:.1} s of it",
                fmt_n(grown_members),
                fmt_n(ops_grow as u64),
                gen.as_secs_f64()
            ),
        );
        if let Some((n, d)) = last_chunk {
            table.add(
                "Populate, last chunk only",
                &format!("{} → {}", fmt_n(total - u64::from(n)), size_label),
                format!("{:.0} households/s", f64::from(n) / d.as_secs_f64()),
                "does the write path slow down as the file grows?",
            );
        }
        println!("bulk insert baseline …");
        let bulk_path = dir.join("bulk.db");
        let (bulk, bh, bm) = bulk_insert(&bulk_path, &seeds, today)?;
        let bulk_rate = bh as f64 / bulk.as_secs_f64();
        let path_rate = grown as f64 / (secs - gen.as_secs_f64());
        table.add(
            "Plain rusqlite bulk insert of the same rows (physical limit)",
            &format!("0 → {}", fmt_n(bh)),
            format!(
                "{:.0} households/s, {:.0} rows/s ({:.1} s)",
                bulk_rate,
                (bh + bm) as f64 / bulk.as_secs_f64(),
                bulk.as_secs_f64()
            ),
            "same schema and indexes, 250 households per transaction, no op log/_rev/audit",
        );
        table.add(
            "Write path ÷ physical limit",
            "",
            format!(
                "{:.2} ({:.1}× slower)",
                path_rate / bulk_rate,
                bulk_rate / path_rate
            ),
            "write-path rate without demo generation time",
        );
        for p in ["bulk.db", "bulk.db-wal", "bulk.db-shm"] {
            let _ = std::fs::remove_file(dir.join(p));
        }
    }

    println!("search at {size_label} …");
    search_bench(&ledger, &mut table, &size_label)?;

    ledger
        .conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    let bytes = file_size(&path);
    let ops_total = count(&ledger, "SELECT count(*) FROM op")?;
    let members_total = count(&ledger, "SELECT count(*) FROM member")?;
    let op_bytes: i64 =
        ledger
            .conn()
            .query_row("SELECT coalesce(sum(length(body)), 0) FROM op", [], |r| {
                r.get(0)
            })?;
    table.add(
        "Database file size per household",
        &size_label,
        format!(
            "{:.2} KiB/household ({:.0} MiB total)",
            bytes as f64 / total as f64 / 1024.0,
            bytes as f64 / 1048576.0
        ),
        &format!(
            "{} members, {} ops (op bodies {:.0} MiB), after WAL checkpoint",
            fmt_n(members_total as u64),
            fmt_n(ops_total as u64),
            op_bytes as f64 / 1048576.0
        ),
    );
    drop(ledger);

    println!("round of {ROUND_HOUSEHOLDS} …");
    round_bench(&dir, &mut table)?;

    let jsonl = dir.join("classify-150k.jsonl");
    write_classify_input(&jsonl, 150_000)?;
    println!("CLI input written to {}", jsonl.display());

    let md = table.markdown();
    println!("\n{md}");
    std::fs::write(target.join("bench-ledger.md"), &md)?;
    println!(
        "written to {}; the {} database stays at {} for the CLI measurements",
        target.join("bench-ledger.md").display(),
        size_label,
        path.display()
    );
    Ok(())
}
