//! The conflict review commands of the CLI (xem xét xung đột): `conflicts` lists every open review
//! item with its competing values (who, when, which laptop, office or commune) and `resolve`
//! decides an `overlap` item by picking one of them (`--pick ORIGIN:SEQ`) or typing a new value
//! (`--value`). Each prints JSON with `--json` and a short Vietnamese text otherwise.
//!
//! Deliberately absent: any rule — every command is one call into `giamngheo_core::resolve`.

use crate::args::{Args, UsageError};
use crate::{open_set_up, print_json, CmdResult, Failure};
use giamngheo_core::resolve::{parse_op_key, Choice, ConflictDetail};
use serde_json::Value;
use std::io::Write;

/// `2026-11-20T05:00:00Z` → `20/11/2026 05:00` (UTC as recorded; informational).
fn when(t: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(d) => d.format("%d/%m/%Y %H:%M").to_string(),
        Err(_) => t.to_owned(),
    }
}

fn household_line(it: &ConflictDetail) -> String {
    match (&it.household_code, &it.head_name) {
        (Some(code), head) => format!(
            "Hộ {code}{}{}",
            head.as_deref()
                .map(|h| format!(" — {h}"))
                .unwrap_or_default(),
            it.village
                .as_deref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default()
        ),
        (None, _) => "Bản ghi không thuộc hộ nào".to_owned(),
    }
}

/// `conflicts [--json]`
pub fn conflicts(args: &Args) -> CmdResult {
    args.only(&["db", "json"])?;
    let ledger = open_set_up(args)?;
    let items = ledger.conflict_details()?;
    if args.flag("json") {
        return print_json(&items);
    }
    let mut out = std::io::stdout().lock();
    if items.is_empty() {
        eprintln!("Không có mục nào cần xem xét.");
        return Ok(());
    }
    let mut last_household: Option<String> = None;
    for it in &items {
        let line = household_line(it);
        if last_household.as_ref() != Some(&line) {
            let _ = writeln!(out, "{line}");
            last_household = Some(line);
        }
        let whose = it
            .member_name
            .as_deref()
            .map(|m| format!("Thành viên {m} · "))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  [{}] {whose}{} — đang hiện: {}",
            it.kind_label, it.field_label, it.current_display
        );
        let _ = writeln!(
            out,
            "    giamngheo resolve {} {} {} --pick … | --value …",
            it.entity, it.row_id, it.field
        );
        for hv in &it.heads {
            let received = hv
                .received_at
                .as_deref()
                .map(|r| format!(", nhận lúc {}", when(r)))
                .unwrap_or_else(|| ", nhập trên máy này".to_owned());
            let _ = writeln!(
                out,
                "    {} “{}” — {}, máy {} ({}, {}{}), lúc {}{}{}",
                hv.key,
                hv.display,
                hv.user_name,
                hv.device.short_code,
                hv.device.role_label,
                hv.authority_label,
                hv.device
                    .commune_code
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default(),
                when(&hv.device_time),
                received,
                if hv.shown { " [đang hiện]" } else { "" }
            );
        }
    }
    eprintln!("{} mục cần xem xét.", items.len());
    Ok(())
}

/// `resolve ENTITY ROW_ID FIELD (--pick ORIGIN:SEQ | --value VALUE) [--note TEXT] [--json]`, or
/// `resolve ENTITY ROW_ID --keep-version ORIGIN:SEQ [--note TEXT] [--json]` (one version of the whole
/// record for every open item it competes in).
pub fn resolve(args: &Args, words: &[&str]) -> CmdResult {
    args.only(&["db", "json", "pick", "value", "note", "keep-version"])?;
    if let Some(version) = args.opt("keep-version") {
        let [entity, row_id] = words else {
            return Err(Failure::Usage(
                "Cách dùng: `giamngheo resolve LOẠI MÃ_BẢN_GHI --keep-version NGUỒN:SỐ` (không kèm tên trường)."
                    .into(),
            ));
        };
        if args.opt("pick").is_some() || args.opt("value").is_some() {
            return Err(UsageError(
                "--keep-version chọn cả một phiên bản: không dùng cùng --pick hay --value.".into(),
            )
            .into());
        }
        let key = parse_op_key(version)?;
        let mut ledger = open_set_up(args)?;
        let res = ledger.resolve_version(entity, row_id, &key, args.opt("note"))?;
        if args.flag("json") {
            print_json(&res)?;
        } else {
            eprintln!(
                "Đã giữ phiên bản {}:{} cho {} trường ({}).{} Còn {} mục cần xem xét.",
                key.0,
                key.1,
                res.fields.len(),
                res.fields.join(", "),
                if res.left_open.is_empty() {
                    String::new()
                } else {
                    format!(
                        " Phiên bản này không có trong {} mục còn lại của bản ghi ({}): hãy chọn từng mục.",
                        res.left_open.len(),
                        res.left_open.join(", ")
                    )
                },
                res.open_items
            );
        }
        return Ok(());
    }
    let [entity, row_id, field] = words else {
        return Err(Failure::Usage(
            "Cách dùng: `giamngheo resolve LOẠI MÃ_BẢN_GHI TRƯỜNG --pick NGUỒN:SỐ` hoặc `--value GIÁ_TRỊ`."
                .into(),
        ));
    };
    let choice = match (args.opt("pick"), args.opt("value")) {
        (Some(k), None) => Choice::Pick(parse_op_key(k)?),
        (None, Some(v)) => Choice::Value(Value::String(v.to_owned())),
        (Some(_), Some(_)) => {
            return Err(UsageError(
                "Chỉ dùng một trong hai: --pick (chọn giá trị đang có) hoặc --value (nhập giá trị mới)."
                    .into(),
            )
            .into())
        }
        (None, None) => {
            return Err(UsageError(
                "Thiếu --pick NGUỒN:SỐ (chọn giá trị đang có, xem `giamngheo conflicts`) hoặc --value GIÁ_TRỊ."
                    .into(),
            )
            .into())
        }
    };
    let mut ledger = open_set_up(args)?;
    let res = ledger.resolve_conflict(entity, row_id, field, &choice, args.opt("note"))?;
    if args.flag("json") {
        print_json(&res)?;
    } else {
        eprintln!(
            "Đã chọn “{}”. Mục đã đóng trên máy này; gói xuất tiếp theo mang quyết định đến các máy khác. Còn {} mục cần xem xét.",
            res.display, res.open_items
        );
    }
    Ok(())
}
