//! Enrolment without a network, in real windows (SYNC.md case 36 through the screens): the
//! office exports its public keys file and reads its fingerprint; the commune (set up without
//! any office) reaches the enrolment screen from Settings, sees the keys file's fingerprint, pins
//! it and writes its enrolment request; the office, reaching the screen from the exchange screen,
//! reviews the request (role, commune, short code), is refused with a wrong fingerprint and
//! accepts with the right one typed without spaces; the commune imports the response on the
//! exchange screen and shows "Đã đăng ký". Finally the office rolls its keys over from the
//! screen, writes a return package, and the commune's screen shows the office's new fingerprint
//! after importing it. Files and folders come from `GIAMNGHEO_PICK_FILE` / `GIAMNGHEO_EXCHANGE_DIR` because
//! WebDriver cannot drive the native dialogs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::Client;
use serde_json::Value;

use crate::app;
use crate::cli::{g, s};
use crate::driver::{click, shot, texts, type_into, wait_for, wait_text, with_app, AppEnv, R};

const LIMIT: Duration = Duration::from_secs(180);

fn env(dir: &Path, db: &Path, folder: &Path, file: Option<&Path>) -> AppEnv {
    let mut e = AppEnv::in_dir(dir, db);
    e.vars.push((
        "GIAMNGHEO_EXCHANGE_DIR".into(),
        folder.display().to_string(),
    ));
    if let Some(f) = file {
        e.vars
            .push(("GIAMNGHEO_PICK_FILE".into(), f.display().to_string()));
    }
    e
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The fingerprint shown by a `.fingerprint` block (its six groups joined by spaces).
async fn shown_fp(c: &Client, css: &str) -> R<String> {
    wait_for(c, css).await?;
    let v = c
        .execute(
            "const el = document.querySelector(arguments[0]); return Array.from(el.querySelectorAll('span')).map(s => s.textContent).join(' ');",
            vec![Value::String(css.into())],
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

async fn stage(c: &Client, want: &str) -> R<String> {
    let css = format!("#en-stage[data-stage='{want}']");
    wait_for(c, &css).await?;
    Ok(texts(c, "#en-stage").await?.join(""))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb + tauri-driver; run by .ci/run"]
async fn office_keys_commune_pins_requests_office_accepts_commune_is_enrolled() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().to_path_buf();
    let office = d.join("office.db");
    let xa = d.join("xa.db");
    let keys_dir = d.join("keys");
    let usb1 = d.join("usb-request");
    let usb2 = d.join("usb-response");
    for p in [&keys_dir, &usb1, &usb2] {
        std::fs::create_dir_all(p).expect("folder");
    }
    g(
        &office,
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
    // The commune is set up without any office keys: pinning happens on the screen.
    g(
        &xa,
        &[
            "init",
            "--province-code",
            "04",
            "--province-name",
            "Cao Bằng",
            "--commune-code",
            "01234",
            "--commune-name",
            "Sơn Lộ",
            "--area",
            "rural",
            "--village",
            "Thôn Nà Pò",
        ],
    );
    let cli_keys = g(&office, &["keys", "--out", s(&d.join("cli-keys.json"))]);
    let office_fp = cli_keys["fingerprint"].as_str().expect("fp").to_owned();

    // 1. The office exports its keys file and shows the fingerprint to read aloud.
    let fp1 = office_fp.clone();
    with_app(
        &app(),
        &env(&d, &office, &keys_dir, None),
        "enrolment-1-office-keys",
        LIMIT,
        |c| async move {
            goto_hash(&c, "#/enrolment").await?;
            stage(&c, "office").await?;
            click(&c, "#en-export-keys").await?;
            wait_text(&c, "#en-keys-done", "the written keys file", |t| {
                t.starts_with("Đã ghi khoa-cong-khai-")
            })
            .await?;
            assert_eq!(shown_fp(&c, "#en-keys-fp").await?, fp1);
            shot(&c, "enrolment-01-office-keys").await?;
            Ok(())
        },
    )
    .await;
    let keys_file = files_in(&keys_dir, "json")
        .pop()
        .expect("the keys file was written");

    // 2. The commune: from Settings to the screen, check the fingerprint, pin, write the request.
    let fp2 = office_fp.clone();
    let commune_fp = with_app_value(
        &env(&d, &xa, &usb1, Some(&keys_file)),
        "enrolment-2-commune-request",
        move |c| async move {
            goto_hash(&c, "#/settings").await?;
            click(&c, "#settings-enrolment-link").await?;
            let t = stage(&c, "not_pinned").await?;
            assert!(t.contains("Chưa ghim"), "{t}");
            let mine = shown_fp(&c, "#en-my-fp").await?;
            click(&c, "#en-office-pick").await?;
            wait_for(&c, "#en-office-pin-confirm").await?;
            assert_eq!(shown_fp(&c, "#en-office-pin-fp").await?, fp2);
            shot(&c, "enrolment-02-commune-confirm-fingerprint").await?;
            click(&c, "#en-office-pin-yes").await?;
            let t = stage(&c, "waiting").await?;
            assert!(t.contains("chờ chứng thư"), "{t}");
            assert_eq!(shown_fp(&c, "#en-office-fp").await?, fp2);
            click(&c, "#en-request").await?;
            let done = wait_text(&c, "#en-request-done", "the written request", |t| {
                !t.is_empty()
            })
            .await?;
            assert!(done.contains("Có thể rút USB an toàn"), "{done}");
            assert_eq!(shown_fp(&c, "#en-request-fp").await?, mine);
            shot(&c, "enrolment-03-commune-request-written").await?;
            Ok(mine)
        },
    )
    .await;
    let request = files_in(&usb1, "hhpkg").pop().expect("the request file");

    // 3. The office: from the exchange screen, review the request, refuse a wrong fingerprint,
    //    accept the right one, see the roster; then roll the keys over.
    let right = commune_fp.replace(' ', "");
    let usb2c = usb2.clone();
    let new_office_fp = with_app_value(
        &env(&d, &office, &usb2, Some(&request)),
        "enrolment-3-office-accept",
        move |c| async move {
            click(&c, "#nav-exchange").await?;
            click(&c, "#ex-enrolment-link").await?;
            stage(&c, "office").await?;
            click(&c, "#en-pick-request").await?;
            wait_for(&c, "#en-request-info").await?;
            assert_eq!(
                texts(&c, "[data-testid=en-req-role]").await?,
                vec!["Máy cán bộ xã".to_string()]
            );
            assert!(texts(&c, "[data-testid=en-req-commune]").await?[0].contains("01234"));
            assert_eq!(
                texts(&c, "[data-testid=en-req-short-code]").await?,
                vec!["01234-1".to_string()]
            );
            // A fingerprint misheard on the phone: refused, nothing written.
            let mut wrong: Vec<char> = right.chars().collect();
            wrong[7] = if wrong[7] == '1' { '2' } else { '1' };
            let wrong: String = wrong.into_iter().collect();
            type_into(&c, "#en-accept-fp", &wrong).await?;
            click(&c, "#en-accept").await?;
            let err = wait_text(&c, "#en-accept-error", "the refusal", |t| !t.is_empty()).await?;
            assert!(err.contains("không khớp"), "{err}");
            assert!(files_in(&usb2c, "hhpkg").is_empty(), "nothing written");
            shot(&c, "enrolment-04-office-wrong-fingerprint").await?;
            // The right one, typed without spaces.
            type_into(&c, "#en-accept-fp", &right).await?;
            click(&c, "#en-accept").await?;
            let ok = wait_text(&c, "#en-accept-done", "the certificate", |t| !t.is_empty()).await?;
            assert!(ok.contains("01234-1"), "{ok}");
            wait_for(&c, "[data-testid=en-roster-row][data-short-code='01234-1']").await?;
            let status = texts(&c, "[data-testid=en-roster-status]").await?;
            assert_eq!(status, vec!["Đang dùng".to_string()]);
            shot(&c, "enrolment-05-office-accepted").await?;

            // Key rollover from the screen: confirm, then the new fingerprint.
            type_into(&c, "#en-grace-days", "30").await?;
            click(&c, "#en-rollover").await?;
            click(&c, "#en-rollover-yes").await?;
            let done =
                wait_text(&c, "#en-rollover-done", "the rollover", |t| !t.is_empty()).await?;
            assert!(done.contains("thế hệ 1"), "{done}");
            wait_for(&c, "#en-key-generations").await?;
            let new_fp = shown_fp(&c, "#en-rollover-fp").await?;
            assert_eq!(
                shown_fp(&c, "#en-my-fp").await?,
                new_fp,
                "this office's keys changed"
            );
            shot(&c, "enrolment-06-office-rollover").await?;
            Ok(new_fp)
        },
    )
    .await;
    assert_ne!(new_office_fp, office_fp);
    assert_eq!(files_in(&usb2, "hhpkg").len(), 1, "one response");

    // 4. The commune imports the response like any package and shows "Đã đăng ký".
    with_app(
        &app(),
        &env(&d, &xa, &usb2, None),
        "enrolment-4-commune-enrolled",
        LIMIT,
        |c| async move {
            click(&c, "#nav-exchange").await?;
            wait_for(&c, "#ex-short-code").await?;
            click(&c, "#ex-import").await?;
            let dry = wait_text(&c, "[data-testid=ex-dry-status]", "the dry run", |t| {
                !t.is_empty()
            })
            .await?;
            assert_eq!(dry, "Nhận được");
            click(&c, "#ex-apply").await?;
            wait_text(&c, "[data-testid=ex-report-status]", "the import", |t| {
                t == "Nhận được"
            })
            .await?;
            click(&c, "#ex-enrolment-link").await?;
            let t = stage(&c, "enrolled").await?;
            assert!(t.starts_with("Đã đăng ký"), "{t}");
            assert_eq!(
                texts(&c, "#en-short-code").await?,
                vec!["01234-1".to_string()]
            );
            shot(&c, "enrolment-07-commune-enrolled").await?;
            Ok(())
        },
    )
    .await;
    let st = g(&xa, &["status"]);
    assert_eq!(st["enrolled"], Value::Bool(true), "{st}");

    // 5. The office's next return package carries the new keys (written on the exchange screen);
    //    the commune imports it and its enrolment screen shows the office's new fingerprint.
    let usb3 = d.join("usb-return");
    std::fs::create_dir_all(&usb3).expect("folder");
    with_app(
        &app(),
        &env(&d, &office, &usb3, None),
        "enrolment-5-office-return",
        LIMIT,
        |c| async move {
            click(&c, "#nav-exchange").await?;
            click(&c, "#ex-export").await?;
            wait_text(&c, "#ex-safe", "safe to remove", |t| !t.is_empty()).await?;
            Ok(())
        },
    )
    .await;
    let (old_fp, new_fp) = (office_fp.clone(), new_office_fp.clone());
    with_app(
        &app(),
        &env(&d, &xa, &usb3, None),
        "enrolment-6-commune-new-office-keys",
        LIMIT,
        |c| async move {
            goto_hash(&c, "#/enrolment").await?;
            stage(&c, "enrolled").await?;
            assert_eq!(shown_fp(&c, "#en-office-fp").await?, old_fp);
            click(&c, "#nav-exchange").await?;
            click(&c, "#ex-import").await?;
            click(&c, "#ex-apply").await?;
            wait_text(&c, "[data-testid=ex-report-status]", "the import", |t| {
                t == "Nhận được"
            })
            .await?;
            click(&c, "#ex-enrolment-link").await?;
            stage(&c, "enrolled").await?;
            assert_eq!(shown_fp(&c, "#en-office-fp").await?, new_fp);
            shot(&c, "enrolment-08-commune-new-office-keys").await?;
            Ok(())
        },
    )
    .await;
}

/// [`with_app`] for steps that return a value.
async fn with_app_value<F, Fut, T>(env: &AppEnv, label: &str, steps: F) -> T
where
    F: FnOnce(Client) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = R<T>> + Send + 'static,
    T: Send + 'static,
{
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let out = slot.clone();
    with_app(&app(), env, label, LIMIT, move |c| async move {
        let v = steps(c).await?;
        if let Ok(mut g) = out.lock() {
            *g = Some(v);
        }
        Ok(())
    })
    .await;
    let v = slot.lock().ok().and_then(|mut g| g.take());
    v.expect("the steps returned a value")
}

/// Routes the single page to `hash` (the app's own hash routing), once the page has booted.
async fn goto_hash(c: &Client, hash: &str) -> R<()> {
    wait_for(c, "#nav-exchange").await?;
    c.execute(
        "location.hash = arguments[0];",
        vec![Value::String(hash.into())],
    )
    .await?;
    Ok(())
}
