//! The register against a demo-like database of a few hundred households made by the core's
//! own generator: paging, keyboard, search without diacritics, village filter.

use std::path::Path;
use std::time::Duration;

use crate::driver::{
    self, click, key, keys, shot, texts, type_into, wait_for, wait_js, wait_text, with_app, AppEnv,
};
use crate::{app, choose, register_heads};
use fantoccini::key::Key;
use fantoccini::Locator;

const LIMIT: Duration = Duration::from_secs(180);

/// Creates a demo-like database with the core's own generator, outside the app.
fn demo_db(path: &Path, households: u32) -> giamngheo_core::register::HouseholdPage {
    let mut ledger = giamngheo_core::Ledger::open(path).expect("create the ledger");
    giamngheo_core::populate::populate(&mut ledger, households, 7).expect("fill the demo commune");
    ledger
        .list_households(&giamngheo_core::register::HouseholdQuery {
            search: None,
            village_id: None,
            flags: Vec::new(),
            offset: 50,
            limit: 50,
        })
        .expect("second page from the core")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb + tauri-driver; run by .ci/run"]
async fn register_pages_filters_and_searches_a_few_hundred_households() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("demo.db");
    let second = demo_db(&db, 300);
    let total = second.total;
    let expected_codes: Vec<String> = second.items.iter().map(|h| h.code.clone()).collect();
    let needle = second.items[7].head_name.clone();
    let needle_id = second.items[7].id.clone();
    let env = AppEnv::in_dir(tmp.path(), &db);

    with_app(&app(), &env, "03-demo-register", LIMIT, move |c| async move {
        wait_for(&c, "#register").await?;
        wait_text(&c, "#register-count", "the total", |t| t == format!("Tổng cộng {total} hộ")).await?;
        wait_text(&c, "#page-info", "the first page", |t| t == format!("1–50 / {total} hộ")).await?;
        assert_eq!(register_heads(&c).await?.len(), 50);
        shot(&c, "08-demo-register-page-1").await?;

        // PgDn shows the second page, the same households the core lists at offset 50.
        keys(&c, "#register-search", &key(Key::PageDown)).await?;
        wait_text(&c, "#page-info", "the second page", |t| t == format!("51–100 / {total} hộ")).await?;
        let codes = texts(&c, "[data-testid=household-row] [data-testid=household-code]").await?;
        assert_eq!(codes, expected_codes);
        shot(&c, "09-demo-register-page-2").await?;

        // Search without diacritics for a head from that page.
        let typed = driver::without_diacritics(&needle);
        type_into(&c, "#register-search", &typed).await?;
        // The household is in the results (other members' names match too, so the other rows
        // need not have a matching head).
        let found = format!("return document.querySelector('[data-testid=household-row][data-id=\"{needle_id}\"]') !== null");
        wait_js(&c, &found, "the searched household", |v| v == true).await?;
        wait_text(&c, "#page-info", "the first page of results", |t| t.starts_with("1–")).await?;

        // Arrow down + Enter opens the second result (or the first when there is one).
        let n = register_heads(&c).await?.len();
        keys(&c, "#register-search", &key(Key::Down)).await?;
        let want = wait_js(&c, "const r = document.querySelector('tr.active [data-testid=household-head]'); return r ? r.textContent : null", "an active row", |v| v.is_string()).await?;
        if n > 1 {
            let idx = c.execute("return document.querySelector('tr.active').dataset.index", vec![]).await?;
            assert_eq!(idx, "1");
        }
        keys(&c, "#register-search", &key(Key::Enter)).await?;
        let want = want.as_str().unwrap_or_default().to_string();
        wait_text(&c, "#household-title", "the opened household", |t| t.contains(&want)).await?;
        shot(&c, "10-demo-household").await?;

        // A birth recorded through the events dialog adds a member and shows in the events.
        let before = c.find_all(Locator::Css("[data-testid=member-row]")).await?.len();
        click(&c, "#open-event").await?;
        wait_for(&c, "#event-dialog").await?;
        choose(&c, "#ev-kind", &["birth"]).await?;
        type_into(&c, "#ev-baby-name", "Bé Lò Thị Hoa").await?;
        choose(&c, "#ev-baby-sex", &["female"]).await?;
        shot(&c, "10b-event-dialog").await?;
        click(&c, "#ev-save").await?;
        wait_js(&c, "return document.querySelectorAll('[data-testid=member-row]').length", "one more member", |v| v.as_u64() == Some(before as u64 + 1)).await?;
        wait_text(&c, "#household-events", "the birth in the events", |t| t.contains("Sinh") || t.contains("sinh")).await?;
        assert!(c.find(Locator::Css("#event-dialog")).await.is_err(), "the dialog closed");
        shot(&c, "10c-after-birth").await?;

        // Back, clear the search, filter by a village: every row is from that village.
        c.active_element().await?.send_keys(&key(Key::Escape)).await?;
        wait_for(&c, "#register").await?;
        wait_for(&c, "#register-search").await?.clear().await?;
        keys(&c, "#register-search", &format!("a{}", key(Key::Backspace))).await?;
        wait_text(&c, "#register-count", "the total again", |t| t == format!("Tổng cộng {total} hộ")).await?;
        let village = wait_for(&c, "#register-village").await?;
        village.select_by_index(1).await?;
        let vname = c.execute("const s = document.getElementById('register-village'); return s.options[s.selectedIndex].textContent", vec![]).await?;
        let vname = vname.as_str().unwrap_or_default().to_string();
        wait_js(&c, "return [...document.querySelectorAll('[data-testid=household-row] td:nth-child(3)')].map(e => e.textContent)", "only that village", |v| {
            v.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(|x| x.as_str() == Some(vname.as_str())))
        })
        .await?;
        shot(&c, "11-demo-register-village-filter").await?;
        Ok(())
    })
    .await;
}
