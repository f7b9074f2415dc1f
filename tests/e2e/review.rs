//! The review round in a real window, on a commune made beforehand with the CLI (`init`, then
//! `generate --households 3`): open a periodic full round, survey a household reached from the
//! register (its class and explanation on screen, an answer against the register refused until a
//! reason is given), survey the rest keying in from paper (Ctrl+Enter = save and next), hold the
//! village meetings, post the results, decide, and see the round locked with its certificates.
//! Then a what-if under 2027–2030 and an updated rule-set file shown as a diff and loaded.
//! The app runs on the real clock, so the dates are computed from today: the posting starts ten
//! working days ago (it must be over before the decision) and the decision is dated today.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Weekday};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use giamngheo_core::clock::Clock;

use crate::app;
use crate::driver::{
    key, shot, texts, type_into, wait_for, wait_js, wait_text, with_app, AppEnv, R,
};

const LIMIT: Duration = Duration::from_secs(300);

/// The CLI next to the app binary (`cargo build --workspace` builds both), or `$CLI_BIN`.
fn cli() -> PathBuf {
    std::env::var_os("CLI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            app()
                .parent()
                .map(|d| d.join("giamngheo"))
                .unwrap_or_else(|| PathBuf::from("giamngheo"))
        })
}

fn run_cli(db: &Path, args: &[&str]) {
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
}

fn vn(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// `n` working days (Monday–Friday) before `d`.
fn working_days_before(d: NaiveDate, n: u32) -> NaiveDate {
    let mut x = d;
    let mut left = n;
    while left > 0 {
        x = x.pred_opt().expect("a date before");
        if !matches!(x.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    x
}

/// A periodic round starts between 1/9 and 14/12: this year's window once it has opened,
/// otherwise last year's.
fn round_start(today: NaiveDate) -> NaiveDate {
    let sep1 = |y| NaiveDate::from_ymd_opt(y, 9, 1).expect("1/9");
    if today >= sep1(today.year()) {
        today.min(NaiveDate::from_ymd_opt(today.year(), 12, 14).expect("14/12"))
    } else {
        sep1(today.year() - 1)
    }
}

/// Clicks `css` after scrolling it to the middle of the view, where a toast cannot cover it;
/// tries again while the screen is being redrawn (a stale element).
async fn click(c: &Client, css: &str) -> R<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let e = wait_for(c, css).await?;
        let tried = async {
            c.execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&e)?],
            )
            .await?;
            e.click().await?;
            R::Ok(())
        }
        .await;
        match tried {
            Ok(()) => return Ok(()),
            Err(err) if std::time::Instant::now() > deadline => {
                return Err(format!("cannot click `{css}`: {err:?}").into())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Scrolls `css` to the middle of the view, clears it and types `text` like a user.
async fn fill(c: &Client, css: &str, text: &str) -> R<()> {
    let e = wait_for(c, css).await?;
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![serde_json::to_value(&e)?],
    )
    .await?;
    type_into(c, css, text).await?;
    Ok(())
}

/// Scrolls the screen back to its top (before a screenshot of a whole screen).
async fn top(c: &Client) -> R<()> {
    c.execute("document.getElementById('app').scrollTop = 0;", vec![])
        .await?;
    Ok(())
}

async fn count(c: &Client, css: &str) -> R<usize> {
    Ok(c.find_all(Locator::Css(css)).await?.len())
}

/// Fills the survey on screen the way a reviewer keys in a paper form; `deprived` are the B2
/// indicators ticked "Có thiếu hụt" (ones the register cannot tell).
async fn key_in_survey(c: &Client, score_a: &str, deprived: &[&str], date: &str) -> R<()> {
    wait_for(c, "#survey[data-loaded]").await?;
    fill(c, "#survey-score-a", score_a).await?;
    for id in deprived {
        click(c, &format!("#b2-{id}-yes")).await?;
    }
    fill(c, "#survey-date", date).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb + tauri-driver; run by .ci/run"]
async fn a_periodic_round_from_survey_to_decision_in_the_window() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("ra-soat.db");
    run_cli(
        &db,
        &[
            "init",
            "--province-code",
            "04",
            "--province-name",
            "Cao Bằng",
            "--commune-code",
            "01290",
            "--commune-name",
            "Xã Sơn Lộ",
            "--area",
            "rural",
            "--village",
            "Xóm Khưa Lốm",
            "--user",
            "Nông Văn Tùng",
            "--role",
            "reviewer",
        ],
    );
    run_cli(
        &db,
        &["generate", "--households", "3", "--seed", "1", "--no-round"],
    );

    let today = giamngheo_core::clock::SystemClock.today();
    let start = round_start(today);
    let posting = working_days_before(today, 10);
    let meeting = working_days_before(posting, 2);
    let surveyed = working_days_before(posting, 5).max(start);
    let year = start.year();
    let env = AppEnv::in_dir(tmp.path(), &db);

    with_app(&app(), &env, "review-round", LIMIT, move |c| async move {
        wait_for(&c, "#register").await?;
        wait_text(&c, "#register-count", "3 households", |t| t.contains("Tổng cộng 3 hộ")).await?;

        // 1. A periodic round over every household.
        click(&c, "#nav-rounds").await?;
        wait_for(&c, "#rounds[data-loaded]").await?;
        wait_for(&c, "#round-kind").await?.select_by_value("periodic").await?;
        wait_for(&c, "#round-scope").await?.select_by_value("full").await?;
        fill(&c, "#round-start", &vn(start)).await?;
        wait_for(&c, "#round-rules").await?.select_by_value("2022-2025").await?;
        fill(&c, "#round-posting-days", "3").await?;
        shot(&c, "review-01-new-round").await?;
        click(&c, "#round-create").await?;
        wait_for(&c, "#round[data-loaded]").await?;
        wait_text(&c, "#round-title", "the round title", |t| t == format!("Rà soát định kỳ năm {year}")).await?;
        wait_text(&c, "#round-counts", "0 of 3 surveyed", |t| t.contains("đã rà soát 0/3 hộ")).await?;
        assert_eq!(count(&c, "[data-testid=survey-row]").await?, 3);
        let blockers = texts(&c, "[data-testid=decision-blocker]").await?;
        assert!(blockers.iter().any(|b| b.contains("Còn 3 hộ chưa rà soát")), "{blockers:?}");
        assert!(c.find(Locator::Css("#decision-save[disabled]")).await.is_ok(), "decision refused while blocked");
        top(&c).await?;
        shot(&c, "review-02-round-created").await?;

        // 2. From the register: the household screen offers "Rà soát hộ này".
        click(&c, "#nav-register").await?;
        wait_for(&c, "#register[data-loaded]").await?;
        click(&c, "[data-testid=household-row] [data-testid=household-head]").await?;
        let head = wait_text(&c, "#household-title", "the household", |t| t.starts_with("Hộ ")).await?;
        wait_text(&c, "#household-class", "no class yet", |t| t == "Chưa có phân loại").await?;
        click(&c, "[data-testid=household-review-link]").await?;
        wait_for(&c, "#survey[data-loaded]").await?;
        let title = wait_text(&c, "#survey-title", "the survey title", |t| t.starts_with("Phiếu rà soát hộ ")).await?;
        assert_eq!(title.trim_start_matches("Phiếu rà soát hộ "), head.trim_start_matches("Hộ "));

        // An answer against the register needs a reason: the core's message sits next to it.
        let derived: String = c
            .execute(
                "const b = [...document.querySelectorAll('[data-testid$=-register]')].find(e => e.textContent.startsWith('Theo sổ hộ: '));
                 return b ? b.dataset.testid.replace(/^b2-/, '').replace(/-register$/, '') + '|' + b.textContent : '';",
                vec![],
            )
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (flip, said) = derived.split_once('|').ok_or("no indicator derived from the register")?;
        let (flip, said) = (flip.to_string(), said.to_string());
        let other = if said.starts_with("Theo sổ hộ: thiếu hụt") { "no" } else { "yes" };
        key_in_survey(&c, "120", &["water", "sanitation", "housing_quality"], &vn(surveyed)).await?;
        click(&c, &format!("#b2-{flip}-{other}")).await?;
        let msg = format!("[data-field='deprivations.{flip}'] .msg.error");
        let refused = wait_text(&c, &msg, "the reason message", |t| t.contains("Hãy ghi lý do")).await?;
        assert!(refused.contains("khác với dữ liệu trong sổ"), "{refused}");
        wait_for(&c, &format!("#b2-{flip}-reason")).await?;
        shot(&c, "review-03-survey-needs-reason").await?;
        fill(&c, &format!("#b2-{flip}-reason"), "Người rà soát kiểm tra trực tiếp tại hộ").await?;
        wait_js(&c, &format!("return document.querySelectorAll(\"{msg}\").length"), "the message to go", |v| v == 0).await?;

        // The live class and its explanation, then Enter saves.
        wait_text(&c, "#survey-class", "poor", |t| t == "Hộ nghèo").await?;
        let explanation = wait_text(&c, "#survey-explanation", "the explanation", |t| {
            t.starts_with("Hộ nghèo — điểm A 120 ≤ 140 (nông thôn); thiếu hụt ")
        })
        .await?;
        assert!(explanation.contains("nguồn nước sinh hoạt"), "{explanation}");
        assert!(explanation.contains("Nghị định 07/2021/NĐ-CP"), "{explanation}");
        wait_for(&c, "#survey-score-a").await?.send_keys(&key(Key::Enter)).await?;
        wait_text(&c, "#survey-state", "saved", |t| t == "Đã lưu phiếu này.").await?;
        shot(&c, "review-04-survey-saved").await?;

        // 3. The other two, keyed in from paper: Ctrl+Enter saves and opens the next one.
        let ctrl_enter = format!("{}{}{}", key(Key::Control), key(Key::Enter), key(Key::Control));
        let mut previous = title.clone();
        wait_for(&c, "#survey-score-a").await?.send_keys(&ctrl_enter).await?;
        for (score, deprived) in [("130", vec!["water"]), ("165", vec![])] {
            let shown = wait_js(
                &c,
                "const t = document.querySelector('#survey[data-loaded] #survey-title'); return t ? t.textContent : null",
                "the next household",
                |v| v.as_str().is_some_and(|t| t != previous),
            )
            .await?;
            previous = shown.as_str().unwrap_or_default().to_string();
            key_in_survey(&c, score, &deprived, &vn(surveyed)).await?;
            wait_text(&c, "#survey-explanation", "an explanation", |t| t.contains(&format!("điểm A {score} "))).await?;
            wait_for(&c, "#survey-score-a").await?.send_keys(&ctrl_enter).await?;
        }
        // After the last one the round is shown again.
        wait_for(&c, "#round[data-loaded]").await?;
        wait_text(&c, "#round-counts", "3 of 3 surveyed", |t| t.contains("đã rà soát 3/3 hộ")).await?;
        let classes = texts(&c, "[data-testid=survey-row] [data-testid=survey-class]").await?;
        assert_eq!(classes.len(), 3, "{classes:?}");
        assert!(classes.iter().any(|t| t == "Hộ nghèo"), "{classes:?}");
        let explanations = texts(&c, "[data-testid=survey-explanation]").await?;
        assert!(explanations.iter().all(|e| e.contains("chuẩn nghèo 2022–2025")), "{explanations:?}");
        top(&c).await?;
        shot(&c, "review-05-all-surveyed").await?;

        // 4. Village meetings: the share is shown as typed; under half says so.
        let villages = count(&c, "[data-testid=village-progress]").await?;
        assert!(villages >= 1);
        fill(&c, "#meeting-attendees", "40").await?;
        fill(&c, "#meeting-agreed", "19").await?;
        wait_text(&c, "#meeting-pct", "under half", |t| t == "Đồng ý 47,5 % — dưới 50%: phải rà soát lại").await?;
        shot(&c, "review-06-meeting-under-half").await?;
        for n in 1..=villages {
            fill(&c, "#meeting-date", &vn(meeting)).await?;
            fill(&c, "#meeting-attendees", "40").await?;
            fill(&c, "#meeting-agreed", "31").await?;
            fill(&c, "#meeting-chair", "Lục Văn Hải").await?;
            wait_text(&c, "#meeting-pct", "77.5 %", |t| t == "Đồng ý 77,5 %").await?;
            click(&c, "#meeting-save").await?;
            wait_js(&c, "return document.querySelectorAll('[data-testid=meeting-row]').length", "one more meeting", |v| v.as_u64() == Some(n as u64)).await?;
        }
        let meetings = texts(&c, "[data-testid=meeting-row]").await?;
        assert!(meetings.iter().all(|m| m.contains("77,5 %") && m.ends_with("đạt")), "{meetings:?}");
        let blockers = texts(&c, "[data-testid=decision-blocker]").await?;
        assert_eq!(blockers, vec!["Chưa niêm yết công khai kết quả.".to_string()]);

        // 5. Posting, ten working days ago: three working days, over by now.
        fill(&c, "#posting-start", &vn(posting)).await?;
        click(&c, "#posting-save").await?;
        wait_text(&c, "#posting-state", "the posting dates", |t| t.starts_with(&format!("Niêm yết từ {}", vn(posting)))).await?;
        wait_for(&c, "#decision-ready").await?;

        // A complaint blocks the decision until its re-check (phúc tra) is recorded.
        click(&c, "#complaints-panel details > summary").await?;
        wait_for(&c, "#complaint-household").await?.select_by_index(1).await?;
        fill(&c, "#complaint-content", "Hộ cho rằng nhà tiêu không hợp vệ sinh").await?;
        click(&c, "#complaint-save").await?;
        wait_text(&c, "#decision-blockers", "the open complaint", |t| t.contains("Còn 1 khiếu nại chưa phúc tra xong.")).await?;
        fill(&c, "[data-testid=complaint] [data-testid=recheck-result]", "Phúc tra: giữ nguyên kết quả").await?;
        click(&c, "[data-testid=complaint] [data-testid=recheck-save]").await?;
        wait_text(&c, "[data-testid=complaint]", "the re-check", |t| t.contains("Đã phúc tra ngày")).await?;
        wait_for(&c, "#decision-ready").await?;
        shot(&c, "review-07-ready-to-decide").await?;

        // 6. The decision locks the round and numbers the certificates.
        fill(&c, "#decision-number", "125/QĐ-UBND").await?;
        fill(&c, "#decision-date", &vn(today)).await?;
        fill(&c, "#decision-signer", "Chủ tịch UBND xã Hoàng Văn Nam").await?;
        click(&c, "#decision-save").await?;
        wait_for(&c, "#round-locked").await?;
        wait_text(&c, "#round-status", "decided", |t| t == "Đã có quyết định").await?;
        let banner = wait_text(&c, "#round-locked", "the decision", |t| t.contains("125/QĐ-UBND")).await?;
        assert!(banner.contains(&vn(today)), "{banner}");
        let numbers = texts(&c, "[data-testid=certificate-number]").await?;
        let poor_or_near = classes.iter().filter(|t| *t == "Hộ nghèo" || *t == "Hộ cận nghèo").count();
        assert_eq!(numbers.len(), poor_or_near, "{numbers:?} for {classes:?}");
        assert_eq!(numbers[0], "1/GCN-HN.HCN");
        assert!(c.find(Locator::Css("#meeting-form")).await.is_err(), "no forms on a locked round");
        assert!(c.find(Locator::Css("#decision-form")).await.is_err(), "no forms on a locked round");
        top(&c).await?;
        shot(&c, "review-08-decided-locked").await?;

        // A locked survey is read-only.
        click(&c, "[data-testid=survey-row] [data-testid=survey-head]").await?;
        wait_for(&c, "#survey[data-loaded] [data-testid=round-locked]").await?;
        assert!(c.find(Locator::Css("#survey-save")).await.is_err());
        top(&c).await?;
        shot(&c, "review-09-survey-locked").await?;

        // The household now shows its decided class and no review link.
        click(&c, "#nav-register").await?;
        wait_for(&c, "#register[data-loaded]").await?;
        click(&c, "[data-testid=household-row] [data-testid=household-head]").await?;
        wait_text(&c, "#household-class", "the decided class", |t| t == "Hộ nghèo").await?;
        shot(&c, "review-10-household-class").await?;
        assert_eq!(count(&c, "[data-testid=household-review-link]").await?, 0);

        // 7. What-if under 2027–2030: nothing changes, the differences are listed.
        click(&c, "#nav-rounds").await?;
        wait_for(&c, "#rounds[data-loaded]").await?;
        click(&c, "[data-testid=round-title]").await?;
        wait_for(&c, "#round[data-loaded]").await?;
        click(&c, "#link-whatif").await?;
        wait_for(&c, "#whatif[data-loaded]").await?;
        wait_for(&c, "#whatif-rules").await?.select_by_value("2027-2030").await?;
        click(&c, "#whatif-run").await?;
        let summary = wait_text(&c, "#whatif-summary", "the what-if summary", |t| t.contains("3 hộ đã rà soát")).await?;
        assert!(summary.contains("2027–2030"), "{summary}");
        // Surveys with a score A only cannot be classified without a score line: each says why.
        let reasons = texts(&c, "[data-testid=whatif-unclassifiable-row] td.explain").await?;
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons.iter().all(|r| !r.is_empty()), "{reasons:?}");
        shot(&c, "review-11-whatif").await?;

        // 8. An updated rule-set file: checked, shown as a diff, then loaded.
        goto_hash(&c, "#/rules").await?;
        wait_for(&c, "#rules[data-loaded]").await?;
        let before = count(&c, "[data-testid=ruleset-row]").await?;
        let file = include_str!("../../src-tauri/core/rules/2022-2025.json");
        let mut v: serde_json::Value = serde_json::from_str(file)?;
        v["version"] = 2.into();
        v["income_line"]["rural"] = 1_600_000.into();
        c.execute("document.getElementById('ruleset-json').value = arguments[0];", vec![serde_json::Value::String(v.to_string())]).await?;
        click(&c, "#ruleset-preview").await?;
        let changes = wait_text(&c, "#ruleset-changes", "the diff", |t| t.contains("income_line.rural")).await?;
        assert!(changes.contains("1.600.000"), "{changes}");
        shot(&c, "review-12-ruleset-diff").await?;
        click(&c, "#ruleset-accept").await?;
        wait_js(&c, "return document.querySelectorAll('[data-testid=ruleset-row]').length", "one more rule set", |x| x.as_u64() == Some(before as u64 + 1)).await?;
        Ok(())
    })
    .await;

    // The ledger itself says the same: decided, locked, certificates issued.
    let ledger = giamngheo_core::Ledger::open(&db).expect("open the ledger");
    let rounds = ledger.rounds().expect("rounds");
    assert_eq!(rounds.len(), 1);
    assert!(rounds[0].locked && rounds[0].status == "decided");
    assert_eq!(rounds[0].decision_number.as_deref(), Some("125/QĐ-UBND"));
    let certs = ledger.certificates(&rounds[0].id).expect("certificates");
    assert_eq!(certs.len() as i64, rounds[0].poor + rounds[0].near_poor);
    assert!(ledger
        .rule_sets()
        .expect("rule sets")
        .get("2022-2025", 2)
        .is_some());
}

/// Navigation by URL hash inside the running app.
async fn goto_hash(c: &Client, hash: &str) -> R<()> {
    c.execute(
        "location.hash = arguments[0];",
        vec![serde_json::Value::String(hash.into())],
    )
    .await?;
    Ok(())
}

/// A monthly round starts on the 15th: this month's once it has come, otherwise last month's.
fn monthly_start(today: NaiveDate) -> NaiveDate {
    if today.day() >= 15 {
        today.with_day(15).expect("the 15th")
    } else {
        let first = today.with_day(1).expect("the 1st");
        first
            .pred_opt()
            .expect("last month")
            .with_day(15)
            .expect("the 15th")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb + tauri-driver; run by .ci/run"]
async fn a_monthly_round_lists_a_household_once_its_application_is_recorded() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("thang.db");
    run_cli(
        &db,
        &[
            "init",
            "--province-code",
            "04",
            "--province-name",
            "Cao Bằng",
            "--commune-code",
            "01290",
            "--commune-name",
            "Xã Sơn Lộ",
            "--village",
            "Xóm Khưa Lốm",
            "--user",
            "Nông Văn Tùng",
        ],
    );
    run_cli(
        &db,
        &["generate", "--households", "3", "--seed", "2", "--no-round"],
    );
    let ledger = giamngheo_core::Ledger::open(&db).expect("open the ledger");
    let page = ledger
        .list_households(&giamngheo_core::register::HouseholdQuery {
            search: None,
            village_id: None,
            flags: Vec::new(),
            offset: 0,
            limit: 10,
        })
        .expect("households");
    drop(ledger);
    let target = page.items[1].clone();
    let today = giamngheo_core::clock::SystemClock.today();
    let start = monthly_start(today);
    let env = AppEnv::in_dir(tmp.path(), &db);

    with_app(&app(), &env, "review-monthly", LIMIT, move |c| async move {
        wait_for(&c, "#register").await?;
        click(&c, "#nav-rounds").await?;
        wait_for(&c, "#rounds[data-loaded]").await?;
        // A monthly round before the 15th is refused with the core's message next to the date.
        wait_for(&c, "#round-kind")
            .await?
            .select_by_value("monthly")
            .await?;
        let scope_hidden = c
            .execute(
                "return document.getElementById('round-scope').closest('.field').hidden",
                vec![],
            )
            .await?;
        assert_eq!(scope_hidden, true, "no scope for a monthly round");
        fill(
            &c,
            "#round-start",
            &vn(start.with_day(10).expect("the 10th")),
        )
        .await?;
        click(&c, "#round-create").await?;
        wait_text(
            &c,
            "[data-field=start_date] .msg.error",
            "the calendar rule",
            |t| t.contains("ngày 15"),
        )
        .await?;
        shot(&c, "review-13-monthly-refused").await?;
        fill(&c, "#round-start", &vn(start)).await?;
        click(&c, "#round-create").await?;
        wait_for(&c, "#round[data-loaded]").await?;
        wait_text(&c, "#round-counts", "an empty list", |t| {
            t.contains("đã rà soát 0/0 hộ")
        })
        .await?;
        // The application form is open on a monthly round: find the household, record Mẫu 01.
        fill(&c, "#app-search", &target.code).await?;
        wait_js(
            &c,
            "return document.getElementById('app-household').value",
            "the household found",
            |v| v.as_str() == Some(target.id.as_str()),
        )
        .await?;
        fill(&c, "#app-reason", "Thiên tai làm sập nhà").await?;
        fill(&c, "#app-date", &vn(today)).await?;
        click(&c, "#app-save").await?;
        wait_text(&c, "#round-counts", "one household", |t| {
            t.contains("đã rà soát 0/1 hộ")
        })
        .await?;
        let heads = texts(&c, "[data-testid=survey-row] [data-testid=survey-head]").await?;
        assert_eq!(heads, vec![target.head_name.clone()]);
        let row = wait_text(&c, "[data-testid=survey-row]", "the applicant row", |t| {
            t.contains("Có giấy đề nghị")
        })
        .await?;
        assert!(row.contains("Chưa rà soát"), "{row}");
        top(&c).await?;
        shot(&c, "review-14-monthly-application").await?;
        // Its survey opens from the list, and Esc (nothing changed) goes back.
        click(&c, "#survey-next-pending").await?;
        wait_for(&c, "#survey[data-loaded]").await?;
        wait_text(&c, "#survey-title", "the applicant", |t| {
            t.ends_with(&target.head_name)
        })
        .await?;
        c.active_element()
            .await?
            .send_keys(&key(Key::Escape))
            .await?;
        wait_for(&c, "#round[data-loaded]").await?;
        Ok(())
    })
    .await;
}
