//! The IPC commands: one thin async adapter per core function. Each one takes the shared
//! ledger on a blocking thread, calls the core and passes its result (or its Vietnamese error as
//! `{kind, message, fields}`) back. Deliberately contains no SQL, no validation and no rules.

use giamngheo_core::register::{
    EventInput, FieldIssue, HistoryEntry, HouseholdDetail, HouseholdInput, HouseholdPage,
    HouseholdQuery, ReferenceLists, SaveOutcome,
};
use giamngheo_core::setup::{Role, SetupInfo, SetupInput, User, Village, VillageInput};
use giamngheo_core::Ledger;
use serde::Serialize;
use tauri::State;

use crate::error::ShellError;
use crate::state::{ensure_open, lock, AppState};

type CmdResult<T> = Result<T, ShellError>;

/// Runs `f` with the open ledger on a blocking thread (SQLite calls are synchronous and must not
/// stall the UI thread or the async runtime).
pub(crate) async fn with_ledger<T, F>(state: &AppState, f: F) -> CmdResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Ledger) -> Result<T, giamngheo_core::Error> + Send + 'static,
{
    let slot = state.slot.clone();
    let path = state.path.clone();
    let demo = state.demo;
    tauri::async_runtime::spawn_blocking(move || {
        let mut guard = lock(&slot);
        let ledger = ensure_open(&mut guard, &path, demo)?;
        f(ledger).map_err(ShellError::from)
    })
    .await
    .map_err(|e| ShellError::internal(&format!("Lỗi nội bộ khi xử lý yêu cầu: {e}")))?
}

/// What the UI needs before anything else: where the data is. Answers at once, without
/// opening the database (the UI shows the path while `open_ledger` runs).
#[derive(Debug, Serialize)]
pub struct AppInfo {
    pub version: String,
    pub db_path: String,
    pub demo: bool,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn app_info(state: State<'_, AppState>) -> CmdResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        db_path: state.path.display().to_string(),
        demo: state.demo,
    })
}

/// Opens the database (and, for the demo, generates the demo commune the first time). Returns
/// the reason when the file cannot be used; the UI then shows only that message.
#[tauri::command(rename_all = "snake_case")]
pub async fn open_ledger(state: State<'_, AppState>) -> CmdResult<Option<ShellError>> {
    Ok(with_ledger(&state, |_| Ok(())).await.err())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn setup_info(state: State<'_, AppState>) -> CmdResult<Option<SetupInfo>> {
    with_ledger(&state, |l| l.setup_info()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn setup(state: State<'_, AppState>, input: SetupInput) -> CmdResult<SetupInfo> {
    with_ledger(&state, move |l| l.setup(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_user(state: State<'_, AppState>, name: String, role: Role) -> CmdResult<User> {
    with_ledger(&state, move |l| l.add_user(&name, role)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_current_user(state: State<'_, AppState>, user_id: String) -> CmdResult<()> {
    with_ledger(&state, move |l| l.set_current_user(&user_id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_village(state: State<'_, AppState>, input: VillageInput) -> CmdResult<Village> {
    with_ledger(&state, move |l| l.add_village(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn villages(state: State<'_, AppState>) -> CmdResult<Vec<Village>> {
    with_ledger(&state, |l| l.villages()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn setting(state: State<'_, AppState>, key: String) -> CmdResult<Option<String>> {
    with_ledger(&state, move |l| l.setting(&key)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_setting(state: State<'_, AppState>, key: String, value: String) -> CmdResult<()> {
    with_ledger(&state, move |l| l.set_setting(&key, &value)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_households(
    state: State<'_, AppState>,
    query: HouseholdQuery,
) -> CmdResult<HouseholdPage> {
    with_ledger(&state, move |l| l.list_households(&query)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn household(state: State<'_, AppState>, id: String) -> CmdResult<HouseholdDetail> {
    with_ledger(&state, move |l| l.household(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn check_household(
    state: State<'_, AppState>,
    input: HouseholdInput,
) -> CmdResult<Vec<FieldIssue>> {
    with_ledger(&state, move |l| Ok(l.check_household(&input))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn save_household(
    state: State<'_, AppState>,
    input: HouseholdInput,
) -> CmdResult<SaveOutcome> {
    with_ledger(&state, move |l| l.save_household(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn record_event(
    state: State<'_, AppState>,
    input: EventInput,
) -> CmdResult<HouseholdDetail> {
    with_ledger(&state, move |l| l.record_event(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn household_history(
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<Vec<HistoryEntry>> {
    with_ledger(&state, move |l| l.household_history(&id)).await
}

/// The code lists (ethnic groups, relations, …) do not need the database.
#[tauri::command(rename_all = "snake_case")]
pub async fn reference_lists() -> CmdResult<ReferenceLists> {
    Ok(giamngheo_core::register::reference_lists())
}
