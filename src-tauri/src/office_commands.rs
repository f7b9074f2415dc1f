//! The IPC commands of the office's decisions (quyết định của văn phòng): approve, return for
//! correction, lock/unlock, the households under a decision, the returned-for-correction to-do
//! list, change requests (accept / refuse) and duplicate people (merge / "not the same person").
//! Thin adapters over `giamngheo_core::office` with the same `with_ledger` pattern as
//! `commands`; deliberately no SQL, no rules and no messages of their own.

use giamngheo_core::office::{
    ChangeRequest, CommuneRound, DuplicateMark, DuplicatePair, HouseholdDecision, OfficeAction,
    ReturnedItem,
};
use tauri::State;

use crate::commands::with_ledger;
use crate::error::ShellError;
use crate::state::AppState;

type CmdResult<T> = Result<T, ShellError>;

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|x| !x.trim().is_empty())
}

/// `action`: `approve` | `lock` | `unlock`; `household` (id or code) or `round` (a whole round).
#[tauri::command(rename_all = "snake_case")]
pub async fn office_decide(
    state: State<'_, AppState>,
    action: String,
    household: Option<String>,
    round: Option<String>,
) -> CmdResult<OfficeAction> {
    with_ledger(&state, move |l| {
        let (h, r) = (nonempty(household), nonempty(round));
        match action.as_str() {
            "approve" => l.approve(h.as_deref(), r.as_deref()),
            "lock" => l.lock(h.as_deref(), r.as_deref()),
            "unlock" => l.unlock(h.as_deref(), r.as_deref()),
            other => Err(giamngheo_core::Error::Invalid(format!(
                "Quyết định không hợp lệ: {other}."
            ))),
        }
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn office_return(
    state: State<'_, AppState>,
    household: String,
    reason: String,
    device: Option<String>,
) -> CmdResult<OfficeAction> {
    with_ledger(&state, move |l| {
        l.return_for_correction(&household, &reason, nonempty(device).as_deref())
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn office_household_decisions(
    state: State<'_, AppState>,
    commune: Option<String>,
) -> CmdResult<Vec<HouseholdDecision>> {
    with_ledger(&state, move |l| {
        l.household_decisions(nonempty(commune).as_deref())
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn office_returned(state: State<'_, AppState>) -> CmdResult<Vec<ReturnedItem>> {
    with_ledger(&state, |l| l.returned_for_correction()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn change_requests(state: State<'_, AppState>) -> CmdResult<Vec<ChangeRequest>> {
    with_ledger(&state, |l| l.change_requests()).await
}

/// `accept`: true = apply as an office op; false = refuse (with an optional reason).
#[tauri::command(rename_all = "snake_case")]
pub async fn decide_change(
    state: State<'_, AppState>,
    id: String,
    accept: bool,
    reason: Option<String>,
) -> CmdResult<OfficeAction> {
    with_ledger(&state, move |l| {
        if accept {
            l.accept_change(&id)
        } else {
            l.refuse_change(&id, nonempty(reason).as_deref())
        }
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn duplicate_people(state: State<'_, AppState>) -> CmdResult<Vec<DuplicatePair>> {
    with_ledger(&state, |l| l.duplicate_people()).await
}

/// `merge`: true = keep `keep`, mark `other` as its duplicate; false = not the same person.
#[tauri::command(rename_all = "snake_case")]
pub async fn decide_duplicate(
    state: State<'_, AppState>,
    keep: String,
    other: String,
    merge: bool,
) -> CmdResult<Vec<OfficeAction>> {
    with_ledger(&state, move |l| {
        if merge {
            l.merge_duplicates(&keep, &other)
        } else {
            l.dismiss_duplicates(&keep, &other)
        }
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn duplicate_marks(state: State<'_, AppState>) -> CmdResult<Vec<DuplicateMark>> {
    with_ledger(&state, |l| l.duplicate_marks()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn commune_rounds(
    state: State<'_, AppState>,
    commune: String,
) -> CmdResult<Vec<CommuneRound>> {
    with_ledger(&state, move |l| l.commune_rounds(&commune)).await
}
