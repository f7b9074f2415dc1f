//! The USB exchange in real windows, both ends: an office and a commune enrolled to it are made
//! with the CLI (as in tests/cli/exchange.rs) and the commune gets 20 generated households. Then,
//! in the window at the commune, "Xuất gói" writes the package to the stick folder; restarted on
//! the office's database, "Nhập gói" shows the dry run, "Áp dụng" imports it, the consolidated
//! view shows the commune with its 20 households and the register finds one of them; the office
//! corrects the household's note (refused without a reason, saved with one) and exports the
//! return package; restarted on the commune's database, the return is imported and the household
//! detail shows the corrected note. The folder comes from `GIAMNGHEO_EXCHANGE_DIR` because
//! WebDriver cannot drive the native folder dialog.

use std::path::Path;
use std::time::Duration;

use fantoccini::Client;
use serde_json::Value;

use crate::app;
use crate::cli::{g, setup_enrolled_commune, setup_office};
use crate::driver::{
    click, shot, texts, type_into, wait_for, wait_js, wait_text, with_app, AppEnv, R,
};

const LIMIT: Duration = Duration::from_secs(180);
const NOTE: &str = "Đã xác minh tại hộ ngày 20/11";
const REASON: &str = "Kiểm tra thực địa của văn phòng";

fn env(dir: &Path, db: &Path, usb: &Path) -> AppEnv {
    let mut e = AppEnv::in_dir(dir, db);
    e.vars
        .push(("GIAMNGHEO_EXCHANGE_DIR".into(), usb.display().to_string()));
    e
}

fn hhpkg_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".hhpkg"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Scrolls `css` into view so the next screenshot shows it (assertions never depend on this).
async fn scroll_to(c: &Client, css: &str) -> R<()> {
    c.execute(
        "document.querySelector(arguments[0])?.scrollIntoView({block: 'start'});",
        vec![Value::String(css.into())],
    )
    .await?;
    Ok(())
}

async fn open_exchange(c: &Client) -> R<()> {
    click(c, "#nav-exchange").await?;
    wait_for(c, "#ex-short-code").await?;
    Ok(())
}

/// Imports the preset folder: the dry run first (one package, imported, new ops), then "Áp dụng".
async fn import_folder(c: &Client, shot_prefix: &str) -> R<()> {
    click(c, "#ex-import").await?;
    let status = wait_text(
        c,
        "[data-testid=ex-dry-status]",
        "the dry-run status",
        |t| !t.is_empty(),
    )
    .await?;
    assert_eq!(status, "Nhận được", "the dry run accepts the package");
    let new_ops: u64 = texts(c, "[data-testid=ex-dry-new]").await?[0]
        .replace('.', "")
        .parse()?;
    assert!(new_ops >= 1, "the dry run counts new operations");
    shot(c, &format!("{shot_prefix}-dry-run")).await?;
    click(c, "#ex-apply").await?;
    wait_text(
        c,
        "[data-testid=ex-report-status]",
        "the import result",
        |t| t == "Nhận được",
    )
    .await?;
    let applied: u64 = texts(c, "[data-testid=ex-report-new]").await?[0]
        .replace('.', "")
        .parse()?;
    assert_eq!(applied, new_ops, "the dry run changed nothing");
    let bar = c
        .execute(
            "const p = document.querySelector('#ex-progress'); return [p.value, p.max];",
            vec![],
        )
        .await?;
    assert_eq!(bar[0], bar[1], "the progress bar is full: {bar}");
    shot(c, &format!("{shot_prefix}-imported")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb + tauri-driver; run by .ci/run"]
async fn commune_exports_office_imports_corrects_and_returns() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().to_path_buf();
    let office = d.join("office.db");
    let xa = d.join("xa.db");
    let keys = d.join("office-keys.json");
    let to_office = d.join("usb-to-office");
    let to_commune = d.join("usb-to-commune");
    for p in [&to_office, &to_commune] {
        std::fs::create_dir_all(p).expect("usb folder");
    }

    // Prepared with the CLI: the office, the commune enrolled to it, 20 households.
    setup_office(&office, &keys);
    setup_enrolled_commune(&d, &office, &keys, &xa, "01234", "Sơn Lộ");
    g(&xa, &["generate", "--households", "20", "--no-round"]);
    let list = g(&xa, &["household", "list", "--limit", "100"]);
    let items = list.as_array().expect("household list");
    assert_eq!(items.len(), 20);
    let hid = items[0]["id"].as_str().expect("id").to_owned();
    let head = items[0]["head_name"].as_str().expect("head").to_owned();

    // 1. At the commune: export to the stick.
    let env1 = env(&d, &xa, &to_office);
    with_app(&app(), &env1, "exchange-1-commune", LIMIT, |c| async move {
        open_exchange(&c).await?;
        wait_text(&c, "#ex-enrolled", "enrolled", |t| {
            t.starts_with("Đã đăng ký")
        })
        .await?;
        assert_eq!(
            texts(&c, "#ex-short-code").await?,
            vec!["01234-1".to_string()]
        );
        click(&c, "#ex-export").await?;
        let safe = wait_text(&c, "#ex-safe", "safe to remove", |t| !t.is_empty()).await?;
        assert!(safe.contains("Có thể rút USB an toàn"), "{safe}");
        let file = texts(&c, "[data-testid=ex-export-file]").await?;
        let hash = texts(&c, "[data-testid=ex-export-hash]").await?;
        assert_eq!(file.len(), 1, "one package, for the office");
        assert!(!hash[0].is_empty());
        shot(&c, "exchange-01-commune-exported").await?;
        Ok(())
    })
    .await;
    assert_eq!(
        hhpkg_files(&to_office).len(),
        1,
        "the package is on the stick"
    );

    // 2. At the office: import (dry run, then applied), consolidated view, register, correction.
    let env2 = env(&d, &office, &to_office);
    let (head2, hid2) = (head.clone(), hid.clone());
    with_app(&app(), &env2, "exchange-2-office", LIMIT, |c| async move {
        open_exchange(&c).await?;
        import_folder(&c, "exchange-02-office").await?;
        let row = wait_text(
            &c,
            "[data-code='01234'] [data-testid=ex-commune-households]",
            "the commune's households",
            |t| t.ends_with("/ 20"),
        )
        .await?;
        assert_eq!(row, "0 / 20", "no round was generated, 20 households");
        let name = texts(&c, "[data-code='01234'] [data-testid=ex-commune-name]").await?;
        assert!(name[0].contains("Sơn Lộ"), "{name:?}");
        scroll_to(&c, "#ex-communes").await?;
        shot(&c, "exchange-03-office-consolidated").await?;

        // The commune's household is in the office's register.
        click(&c, "#nav-register").await?;
        type_into(&c, "#register-search", &head2).await?;
        wait_text(&c, "#register-count", "the search result", |t| {
            t.starts_with("Tổng cộng") && !t.contains(" 20 ")
        })
        .await?;
        let heads = texts(
            &c,
            "[data-testid=household-row] [data-testid=household-head]",
        )
        .await?;
        assert!(heads.contains(&head2), "{heads:?} has {head2}");
        shot(&c, "exchange-04-office-register").await?;

        // Correct the note: refused without a reason, saved with one.
        open_exchange(&c).await?;
        type_into(&c, "#ex-hh-search", &head2).await?;
        click(&c, "#ex-hh-find").await?;
        wait_js(
            &c,
            &format!("return !!document.querySelector(\"#ex-hh-pick option[value='{hid2}']\");"),
            "the household among the search results",
            |v| v == &Value::Bool(true),
        )
        .await?;
        wait_for(&c, "#ex-hh-pick")
            .await?
            .select_by_value(&hid2)
            .await?;
        type_into(&c, "#ex-value", NOTE).await?;
        click(&c, "#ex-correct-submit").await?;
        let msg = wait_text(
            &c,
            "#ex-correct [data-field=reason] .msg",
            "the missing reason",
            |t| !t.is_empty(),
        )
        .await?;
        assert!(msg.contains("lý do"), "{msg}");
        assert!(texts(&c, "#ex-correct-done").await?[0].is_empty());
        scroll_to(&c, "#ex-correct").await?;
        shot(&c, "exchange-05-office-reason-required").await?;
        type_into(&c, "#ex-reason", REASON).await?;
        click(&c, "#ex-correct-submit").await?;
        wait_text(&c, "#ex-correct-done", "the saved correction", |t| {
            t.starts_with("Đã lưu bản sửa")
        })
        .await?;
        shot(&c, "exchange-06-office-corrected").await?;
        Ok(())
    })
    .await;

    // 3. The office writes the return package (restarted with the other stick folder).
    let env3 = env(&d, &office, &to_commune);
    with_app(
        &app(),
        &env3,
        "exchange-3-office-return",
        LIMIT,
        |c| async move {
            open_exchange(&c).await?;
            click(&c, "#ex-export").await?;
            let safe = wait_text(&c, "#ex-safe", "safe to remove", |t| !t.is_empty()).await?;
            assert!(safe.contains("Có thể rút USB an toàn"), "{safe}");
            let files = texts(&c, "[data-testid=ex-export-file]").await?;
            assert_eq!(
                files.len(),
                1,
                "one return package, for the commune's one device"
            );
            // The history shows the received package and the sent one.
            wait_for(&c, "[data-testid=ex-history-row][data-direction=in]").await?;
            wait_for(&c, "[data-testid=ex-history-row][data-direction=out]").await?;
            shot(&c, "exchange-07-office-return-exported").await?;
            Ok(())
        },
    )
    .await;
    assert_eq!(hhpkg_files(&to_commune).len(), 1);

    // 4. Back at the commune: import the return and see the corrected note.
    let env4 = env(&d, &xa, &to_commune);
    let hid4 = hid.clone();
    with_app(
        &app(),
        &env4,
        "exchange-4-commune-return",
        LIMIT,
        |c| async move {
            open_exchange(&c).await?;
            import_folder(&c, "exchange-08-commune").await?;
            c.execute(
                "location.hash = '#/household/' + encodeURIComponent(arguments[0]);",
                vec![Value::String(hid4)],
            )
            .await?;
            let note = wait_for(&c, "#hh-note").await?;
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            loop {
                let v = note.prop("value").await?.unwrap_or_default();
                if v == NOTE {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    return Err(format!("the note shows {v:?}, not the office's correction").into());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            scroll_to(&c, "#hh-note").await?;
            shot(&c, "exchange-09-commune-sees-correction").await?;
            Ok(())
        },
    )
    .await;
    let shown = g(&xa, &["household", "show", &hid]);
    assert_eq!(shown["note"], NOTE);
}
