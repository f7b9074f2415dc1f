//! The IPC commands of the review round (đợt rà soát) and of the rule-set files (chuẩn nghèo):
//! one thin async adapter per `giamngheo_core::review` function, with the same `with_ledger`
//! pattern as `commands`. Deliberately contains no SQL, no validation and no rules: every check
//! and every Vietnamese message comes from the core; the few view structs here only reshape what
//! the core returns for the screens.

use giamngheo_core::review::{
    ApplicationInput, CertificateRow, DecisionInput, MeetingInput, RoundDetail, RoundInput,
    RoundSummary, SurveyForm, SurveyInput, SurveyOutcome, SurveyRow, WhatIf,
};
use giamngheo_core::rules::{RuleChange, RuleSet};
use serde::Serialize;
use tauri::State;

use crate::commands::with_ledger;
use crate::error::ShellError;
use crate::state::AppState;

type CmdResult<T> = Result<T, ShellError>;

#[tauri::command(rename_all = "snake_case")]
pub async fn rounds(state: State<'_, AppState>) -> CmdResult<Vec<RoundSummary>> {
    with_ledger(&state, |l| l.rounds()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn round(state: State<'_, AppState>, id: String) -> CmdResult<RoundDetail> {
    with_ledger(&state, move |l| l.round(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_round(state: State<'_, AppState>, input: RoundInput) -> CmdResult<RoundDetail> {
    with_ledger(&state, move |l| l.create_round(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn round_households(
    state: State<'_, AppState>,
    round_id: String,
    village_id: Option<String>,
) -> CmdResult<Vec<SurveyRow>> {
    with_ledger(&state, move |l| {
        l.round_households(&round_id, village_id.as_deref().filter(|v| !v.is_empty()))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_application(
    state: State<'_, AppState>,
    input: ApplicationInput,
) -> CmdResult<RoundDetail> {
    with_ledger(&state, move |l| l.add_application(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn survey_form(
    state: State<'_, AppState>,
    round_id: String,
    household_id: String,
) -> CmdResult<SurveyForm> {
    with_ledger(&state, move |l| l.survey_form(&round_id, &household_id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn preview_survey(
    state: State<'_, AppState>,
    input: SurveyInput,
) -> CmdResult<SurveyOutcome> {
    with_ledger(&state, move |l| l.preview_survey(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn save_survey(
    state: State<'_, AppState>,
    input: SurveyInput,
) -> CmdResult<SurveyOutcome> {
    with_ledger(&state, move |l| l.save_survey(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn record_meeting(
    state: State<'_, AppState>,
    input: MeetingInput,
) -> CmdResult<RoundDetail> {
    with_ledger(&state, move |l| l.record_meeting(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn start_posting(
    state: State<'_, AppState>,
    round_id: String,
    start: String,
) -> CmdResult<RoundDetail> {
    with_ledger(&state, move |l| l.start_posting(&round_id, &start)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_complaint(
    state: State<'_, AppState>,
    round_id: String,
    household_id: String,
    date: String,
    content: String,
) -> CmdResult<RoundDetail> {
    with_ledger(&state, move |l| {
        l.add_complaint(&round_id, &household_id, &date, &content)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn resolve_complaint(
    state: State<'_, AppState>,
    complaint_id: String,
    date: String,
    result: String,
) -> CmdResult<RoundDetail> {
    with_ledger(&state, move |l| {
        l.resolve_complaint(&complaint_id, &date, &result)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn decide_round(
    state: State<'_, AppState>,
    input: DecisionInput,
) -> CmdResult<RoundDetail> {
    with_ledger(&state, move |l| l.decide_round(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn certificates(
    state: State<'_, AppState>,
    round_id: String,
) -> CmdResult<Vec<CertificateRow>> {
    with_ledger(&state, move |l| l.certificates(&round_id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn what_if(
    state: State<'_, AppState>,
    round_id: String,
    rules_id: String,
) -> CmdResult<WhatIf> {
    with_ledger(&state, move |l| l.what_if(&round_id, &rules_id)).await
}

/// An open round that lists a household: what the household screen links to.
#[derive(Debug, Clone, Serialize)]
pub struct HouseholdRound {
    pub round_id: String,
    pub title: String,
    pub status: String,
    /// The household's survey state in that round ("pending", "surveyed", "resurvey").
    pub survey_status: String,
    pub class: Option<String>,
}

/// The open (not yet decided) rounds whose household list (Phụ lục I) has this household.
#[tauri::command(rename_all = "snake_case")]
pub async fn household_rounds(
    state: State<'_, AppState>,
    household_id: String,
) -> CmdResult<Vec<HouseholdRound>> {
    with_ledger(&state, move |l| {
        let village = l.household(&household_id)?.village_id;
        let mut out = Vec::new();
        for r in l.rounds()?.into_iter().filter(|r| !r.locked) {
            let rows = l.round_households(&r.id, Some(&village))?;
            if let Some(row) = rows.into_iter().find(|s| s.household_id == household_id) {
                out.push(HouseholdRound {
                    round_id: r.id.clone(),
                    title: r.title.clone(),
                    status: r.status.clone(),
                    survey_status: row.status,
                    class: row.class,
                });
            }
        }
        Ok(out)
    })
    .await
}

/// One known rule set (chuẩn nghèo) as the lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSetInfo {
    pub id: String,
    pub version: u32,
    pub label: String,
    pub legal_basis: String,
    pub legal_short: String,
    pub valid_from: String,
    pub valid_to: String,
    pub income_line_rural: i64,
    pub income_line_urban: i64,
    pub score_a_line_rural: Option<i64>,
    pub score_a_line_urban: Option<i64>,
    pub has_average_band: bool,
    pub has_b1_table: bool,
    pub indicators: usize,
    pub provisional_indicators: usize,
}

impl RuleSetInfo {
    fn of(s: &RuleSet) -> RuleSetInfo {
        RuleSetInfo {
            id: s.id.clone(),
            version: s.version,
            label: s.label.clone(),
            legal_basis: s.legal_basis.clone(),
            legal_short: s.legal_short.clone(),
            valid_from: s.valid_from.format("%Y-%m-%d").to_string(),
            valid_to: s.valid_to.format("%Y-%m-%d").to_string(),
            income_line_rural: s.income_line.rural,
            income_line_urban: s.income_line.urban,
            score_a_line_rural: s.score_a_line.as_ref().map(|l| l.rural),
            score_a_line_urban: s.score_a_line.as_ref().map(|l| l.urban),
            has_average_band: s.average_band.is_some(),
            has_b1_table: s.b1_table.is_some(),
            indicators: s.indicators.len(),
            provisional_indicators: s.indicators.iter().filter(|i| i.provisional).count(),
        }
    }
}

/// Every rule set this ledger knows (built in and loaded), each version, in id/version order.
#[tauri::command(rename_all = "snake_case")]
pub async fn rule_sets_list(state: State<'_, AppState>) -> CmdResult<Vec<RuleSetInfo>> {
    with_ledger(&state, |l| {
        Ok(l.rule_sets()?
            .all()
            .iter()
            .map(|s| RuleSetInfo::of(s))
            .collect())
    })
    .await
}

/// What loading a rule-set file would do, shown before the office accepts it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSetPreview {
    pub set: RuleSetInfo,
    /// The version it would replace as the latest of its id (None = a new id).
    pub current: Option<RuleSetInfo>,
    /// Differences from `current` (None = a new id: everything is new).
    pub changes: Option<Vec<RuleChange>>,
    /// True when exactly this id and version is already known.
    pub already_known: bool,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn preview_rule_set(
    state: State<'_, AppState>,
    json: String,
) -> CmdResult<RuleSetPreview> {
    with_ledger(&state, move |l| {
        let (set, changes) = l.preview_rule_set(&json)?;
        let sets = l.rule_sets()?;
        Ok(RuleSetPreview {
            current: sets.latest(&set.id).map(|c| RuleSetInfo::of(&c)),
            already_known: sets.get(&set.id, set.version).is_some(),
            set: RuleSetInfo::of(&set),
            changes,
        })
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn load_rule_set(state: State<'_, AppState>, json: String) -> CmdResult<RuleSetInfo> {
    with_ledger(&state, move |l| {
        let set = l.load_rule_set(&json)?;
        Ok(RuleSetInfo::of(&set))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use giamngheo_core::rules::RuleSets;

    #[test]
    fn rule_set_info_shows_lines_dates_and_provisional_indicators() {
        let sets = RuleSets::builtin().expect("built-in rule sets");
        let old = RuleSetInfo::of(&sets.latest("2022-2025").expect("2022-2025"));
        assert_eq!(old.score_a_line_rural, Some(140));
        assert_eq!(old.score_a_line_urban, Some(175));
        assert_eq!(old.valid_from, "2022-01-01");
        assert_eq!(old.valid_to, "2026-12-31");
        assert!(old.has_average_band);
        assert!(
            old.legal_basis.contains("07/2021/NĐ-CP"),
            "{}",
            old.legal_basis
        );
        let new = RuleSetInfo::of(&sets.latest("2027-2030").expect("2027-2030"));
        assert_eq!(new.income_line_rural, 2_200_000);
        assert_eq!(new.income_line_urban, 2_800_000);
        assert_eq!(new.score_a_line_rural, None);
        assert!(!new.has_average_band);
        assert!(new.provisional_indicators > 0);
        let json = serde_json::to_value(&new).expect("serialises");
        assert!(json["score_a_line_rural"].is_null());
    }
}
