//! The IPC commands of the enrolment screen (đăng ký thiết bị và khoá): this laptop's stage, reading
//! a keys file to show its fingerprint before pinning, pinning after confirmation, previewing an
//! enrolment request at the office, the device roster, and the office's key rollover. Thin adapters
//! over `giamngheo_core::sync::{enrolment, rollover}`; writing keys files, requests and responses
//! reuses the exchange commands. Deliberately no SQL and no rules.

use std::path::PathBuf;

use giamngheo_core::exchange::KeysFile;
use giamngheo_core::sync::enrolment::{EnrolRequestInfo, EnrolmentState, RosterEntry};
use giamngheo_core::sync::rollover::{KeyGeneration, RolloverResult};
use tauri::State;

use crate::commands::with_ledger;
use crate::error::ShellError;
use crate::state::AppState;

type CmdResult<T> = Result<T, ShellError>;

/// Env var naming the file the enrolment screen picks instead of opening the file dialog (E2E
/// tests: native dialogs cannot be driven by WebDriver). Folders come from
/// `GIAMNGHEO_EXCHANGE_DIR` as on the exchange screen.
pub const PICK_FILE_ENV: &str = "GIAMNGHEO_PICK_FILE";

/// The file preset by `GIAMNGHEO_PICK_FILE`, if any (the UI then skips the file dialog).
#[tauri::command(rename_all = "snake_case")]
pub async fn enrolment_preset_file() -> CmdResult<Option<String>> {
    Ok(std::env::var(PICK_FILE_ENV)
        .ok()
        .filter(|f| !f.trim().is_empty()))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn enrolment_state(state: State<'_, AppState>) -> CmdResult<EnrolmentState> {
    with_ledger(&state, |l| l.enrolment_state()).await
}

fn read_keys(file: &str) -> giamngheo_core::Result<KeysFile> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        giamngheo_core::Error::Io(format!("Không đọc được tệp khoá công khai {file}: {e}"))
    })?;
    KeysFile::from_json(&text)
}

/// Reads and checks a public keys file (nothing stored): its fingerprint is shown to be compared
/// with the paper before pinning.
#[tauri::command(rename_all = "snake_case")]
pub async fn read_keys_file(file: String) -> CmdResult<KeysFile> {
    // A keys file is a few hundred bytes: read on the command's own task.
    read_keys(&file).map_err(ShellError::from)
}

/// Pins the keys file after the person confirmed `fingerprint` matches the paper: the office's
/// keys, or with `as_officer` the commune officer's (reviewer laptops).
#[tauri::command(rename_all = "snake_case")]
pub async fn pin_keys(
    state: State<'_, AppState>,
    file: String,
    as_officer: bool,
    fingerprint: String,
) -> CmdResult<()> {
    with_ledger(&state, move |l| {
        let f = read_keys(&file)?;
        l.pin_keys_confirmed(&f, as_officer, &fingerprint)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn inspect_enrolment_request(
    state: State<'_, AppState>,
    file: String,
) -> CmdResult<EnrolRequestInfo> {
    with_ledger(&state, move |l| {
        l.inspect_enrolment_request(&PathBuf::from(file))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn device_roster(state: State<'_, AppState>) -> CmdResult<Vec<RosterEntry>> {
    with_ledger(&state, |l| l.device_roster()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn office_key_generations(state: State<'_, AppState>) -> CmdResult<Vec<KeyGeneration>> {
    with_ledger(&state, |l| l.office_key_generations()).await
}

/// Office: new keys; the statement signed by the old key travels in the next return packages.
#[tauri::command(rename_all = "snake_case")]
pub async fn rollover_keys(
    state: State<'_, AppState>,
    grace_days: u32,
) -> CmdResult<RolloverResult> {
    with_ledger(&state, move |l| l.rollover_keys(grace_days)).await
}
