// @ts-check
/**
 * The review round's and the rule sets' IPC calls (đợt rà soát, chuẩn nghèo), over the same
 * `call` seam as ./ipc.js, so that file stays the only one that touches window.__TAURI__. Every
 * function returns a Promise; a rejected promise carries the core's `{kind, message, fields}`.
 * @module review-ipc
 */
import { call } from './ipc.js';

export const reviewIpc = {
  rounds: () => call('rounds'),
  /** @param {string} id */
  round: (id) => call('round', { id }),
  /** @param {object} input RoundInput */
  createRound: (input) => call('create_round', { input }),
  /** @param {string} round_id @param {string|null} [village_id] */
  roundHouseholds: (round_id, village_id = null) => call('round_households', { round_id, village_id }),
  /** @param {object} input ApplicationInput */
  addApplication: (input) => call('add_application', { input }),
  /** @param {string} round_id @param {string} household_id */
  surveyForm: (round_id, household_id) => call('survey_form', { round_id, household_id }),
  /** @param {object} input SurveyInput */
  previewSurvey: (input) => call('preview_survey', { input }),
  /** @param {object} input SurveyInput */
  saveSurvey: (input) => call('save_survey', { input }),
  /** @param {object} input MeetingInput */
  recordMeeting: (input) => call('record_meeting', { input }),
  /** @param {string} round_id @param {string} start */
  startPosting: (round_id, start) => call('start_posting', { round_id, start }),
  /** @param {string} round_id @param {string} household_id @param {string} date @param {string} content */
  addComplaint: (round_id, household_id, date, content) => call('add_complaint', { round_id, household_id, date, content }),
  /** @param {string} complaint_id @param {string} date @param {string} result */
  resolveComplaint: (complaint_id, date, result) => call('resolve_complaint', { complaint_id, date, result }),
  /** @param {object} input DecisionInput */
  decideRound: (input) => call('decide_round', { input }),
  /** @param {string} round_id */
  certificates: (round_id) => call('certificates', { round_id }),
  /** @param {string} round_id @param {string} rules_id */
  whatIf: (round_id, rules_id) => call('what_if', { round_id, rules_id }),
  /** @param {string} household_id */
  householdRounds: (household_id) => call('household_rounds', { household_id }),
  ruleSets: () => call('rule_sets_list'),
  /** @param {string} json */
  previewRuleSet: (json) => call('preview_rule_set', { json }),
  /** @param {string} json */
  loadRuleSet: (json) => call('load_rule_set', { json }),
};
