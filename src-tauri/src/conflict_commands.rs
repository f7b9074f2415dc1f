//! The IPC commands of the conflict review screen (xem xét xung đột): every open review item with
//! its competing values, the items of one household (its badge), one item, and the decision (pick
//! a competing value or type a new one). Thin adapters over `giamngheo_core::resolve` with the
//! same `with_ledger` pattern as `commands`; deliberately no SQL, no rules, no messages of its own.

use giamngheo_core::ledger::OpKey;
use giamngheo_core::resolve::{Choice, ConflictDetail, Resolution, VersionResolution};
use tauri::State;

use crate::commands::with_ledger;
use crate::error::ShellError;
use crate::state::AppState;

type CmdResult<T> = Result<T, ShellError>;

#[tauri::command(rename_all = "snake_case")]
pub async fn conflict_details(state: State<'_, AppState>) -> CmdResult<Vec<ConflictDetail>> {
    with_ledger(&state, |l| l.conflict_details()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn household_conflicts(
    state: State<'_, AppState>,
    household_id: String,
) -> CmdResult<Vec<ConflictDetail>> {
    with_ledger(&state, move |l| l.household_conflicts(&household_id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn conflict_detail(
    state: State<'_, AppState>,
    entity: String,
    row_id: String,
    field: String,
) -> CmdResult<ConflictDetail> {
    with_ledger(&state, move |l| l.conflict_detail(&entity, &row_id, &field)).await
}

/// `pick` = `[origin, seq]` of a competing value, or `value` = the typed value (exactly one).
#[tauri::command(rename_all = "snake_case")]
pub async fn resolve_conflict(
    state: State<'_, AppState>,
    entity: String,
    row_id: String,
    field: String,
    pick: Option<(String, i64)>,
    value: Option<serde_json::Value>,
    note: Option<String>,
) -> CmdResult<Resolution> {
    with_ledger(&state, move |l| {
        let choice = match (pick, value) {
            (Some((o, s)), None) => Choice::Pick(OpKey(o, s)),
            (None, Some(v)) => Choice::Value(v),
            _ => {
                return Err(giamngheo_core::Error::field(
                    "choice",
                    "Hãy chọn một giá trị đang có hoặc nhập giá trị mới.",
                ))
            }
        };
        l.resolve_conflict(&entity, &row_id, &field, &choice, note.as_deref())
    })
    .await
}

/// Keep one competing version (`pick` = `[origin, seq]`) of a whole record for every open item
/// of it in which that version competes.
#[tauri::command(rename_all = "snake_case")]
pub async fn resolve_version(
    state: State<'_, AppState>,
    entity: String,
    row_id: String,
    pick: (String, i64),
    note: Option<String>,
) -> CmdResult<VersionResolution> {
    with_ledger(&state, move |l| {
        l.resolve_version(&entity, &row_id, &OpKey(pick.0, pick.1), note.as_deref())
    })
    .await
}
