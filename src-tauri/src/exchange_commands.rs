//! The IPC commands of the USB exchange (trao đổi dữ liệu): status and history, export, dry-run
//! and real import (with per-package progress over a `Channel`), the office's consolidated view
//! and corrections, open review items, public keys and enrolment. Thin adapters over
//! `giamngheo_core::sync` with the same `with_ledger` pattern as `commands`; deliberately no SQL,
//! no rules and no messages of its own beyond file I/O around the keys file.

use std::path::PathBuf;

use giamngheo_core::exchange::KeysFile;
use giamngheo_core::sync::{
    CommuneSummary, ConflictItem, EnrolAcceptResult, EnrolRequestResult, ExchangeStatus,
    ExportResult, ImportReport,
};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use crate::commands::with_ledger;
use crate::error::ShellError;
use crate::state::AppState;

type CmdResult<T> = Result<T, ShellError>;

/// Env var naming a folder the exchange screen uses instead of the folder dialog (E2E tests:
/// native dialogs cannot be driven by WebDriver).
pub const EXCHANGE_DIR_ENV: &str = "GIAMNGHEO_EXCHANGE_DIR";

/// The folder preset by `GIAMNGHEO_EXCHANGE_DIR`, if any (the UI then skips the dialog).
#[tauri::command(rename_all = "snake_case")]
pub async fn exchange_dir() -> CmdResult<Option<String>> {
    Ok(std::env::var(EXCHANGE_DIR_ENV)
        .ok()
        .filter(|d| !d.trim().is_empty()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn exchange_status(state: State<'_, AppState>) -> CmdResult<ExchangeStatus> {
    with_ledger(&state, |l| l.exchange_status()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn consolidated_view(state: State<'_, AppState>) -> CmdResult<Vec<CommuneSummary>> {
    with_ledger(&state, |l| l.consolidated_view()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn open_conflicts(state: State<'_, AppState>) -> CmdResult<Vec<ConflictItem>> {
    with_ledger(&state, |l| l.open_conflicts()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_packages(
    state: State<'_, AppState>,
    dir: String,
    to: Option<String>,
) -> CmdResult<Vec<ExportResult>> {
    with_ledger(&state, move |l| {
        l.export(
            &PathBuf::from(dir),
            to.as_deref().filter(|t| !t.trim().is_empty()),
        )
    })
    .await
}

fn to_paths(paths: Vec<String>) -> Vec<PathBuf> {
    paths.into_iter().map(PathBuf::from).collect()
}

#[tauri::command(rename_all = "snake_case")]
pub async fn import_dry_run(
    state: State<'_, AppState>,
    paths: Vec<String>,
) -> CmdResult<Vec<ImportReport>> {
    with_ledger(&state, move |l| l.import_paths(&to_paths(paths), true)).await
}

/// One step of a running import, sent to the UI's progress bar.
#[derive(Debug, Clone, Serialize)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
    pub report: ImportReport,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn import_packages(
    state: State<'_, AppState>,
    paths: Vec<String>,
    on_progress: Channel<ImportProgress>,
) -> CmdResult<Vec<ImportReport>> {
    with_ledger(&state, move |l| {
        l.import_paths_progress(&to_paths(paths), false, &mut |done, total, report| {
            // A closed window only loses the progress display; the import itself goes on.
            let _ = on_progress.send(ImportProgress {
                done,
                total,
                report: report.clone(),
            });
        })
    })
    .await
}

/// The office corrects one field with a mandatory reason; returns the new op as `[origin, seq]`.
#[tauri::command(rename_all = "snake_case")]
pub async fn correct_field(
    state: State<'_, AppState>,
    entity: String,
    row_id: String,
    field: String,
    value: serde_json::Value,
    reason: String,
) -> CmdResult<(String, i64)> {
    with_ledger(&state, move |l| {
        let key = l.correct_field(&entity, &row_id, &field, value, &reason)?;
        Ok((key.0, key.1))
    })
    .await
}

/// Where the public keys file was written and its fingerprint (to read aloud / write on paper).
#[derive(Debug, Clone, Serialize)]
pub struct KeysWritten {
    pub file: String,
    pub fingerprint: String,
    pub short_code: Option<String>,
}

/// Writes this installation's public keys file (`khoa-cong-khai-<mã>.json`) into `dir`.
#[tauri::command(rename_all = "snake_case")]
pub async fn public_keys_file(state: State<'_, AppState>, dir: String) -> CmdResult<KeysWritten> {
    with_ledger(&state, move |l| {
        let f = l.public_keys_file()?;
        let name = format!(
            "khoa-cong-khai-{}.json",
            f.short_code.as_deref().unwrap_or("may")
        );
        let out = PathBuf::from(dir).join(name);
        std::fs::write(&out, f.to_json() + "\n").map_err(|e| {
            giamngheo_core::Error::Io(format!("Không ghi được tệp khoá {}: {e}", out.display()))
        })?;
        Ok(KeysWritten {
            file: out.display().to_string(),
            fingerprint: f.fingerprint,
            short_code: f.short_code,
        })
    })
    .await
}

/// Pins the office's public keys file at a commune installation.
#[tauri::command(rename_all = "snake_case")]
pub async fn pin_office(state: State<'_, AppState>, file: String) -> CmdResult<()> {
    with_ledger(&state, move |l| {
        let text = std::fs::read_to_string(&file).map_err(|e| {
            giamngheo_core::Error::Io(format!("Không đọc được tệp khoá công khai {file}: {e}"))
        })?;
        let f = KeysFile::from_json(&text)?;
        l.pin_office(&f)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn enrolment_request(
    state: State<'_, AppState>,
    dir: String,
) -> CmdResult<EnrolRequestResult> {
    with_ledger(&state, move |l| l.enrolment_request(&PathBuf::from(dir))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn accept_enrolment(
    state: State<'_, AppState>,
    file: String,
    fingerprint: String,
    dir: String,
) -> CmdResult<EnrolAcceptResult> {
    with_ledger(&state, move |l| {
        l.accept_enrolment(&PathBuf::from(file), &fingerprint, &PathBuf::from(dir))
    })
    .await
}
