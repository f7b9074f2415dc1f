// @ts-check
/**
 * The office's decisions over IPC (quyết định của văn phòng): approve / return / lock a
 * household or a commune's round, change requests, duplicate people, and the commune's
 * returned-for-correction to-do list. Same `call` seam as ./ipc.js; a rejected promise carries
 * the core's `{kind, message, fields}`.
 * @module office-ipc
 */
import { call } from './ipc.js';

export const officeIpc = {
  /**
   * @param {'approve'|'lock'|'unlock'} action
   * @param {{household?: string|null, round?: string|null}} target
   */
  decide: (action, target) => call('office_decide', { action, household: target.household || null, round: target.round || null }),
  /** @param {string} household @param {string} reason @param {string|null} [device] */
  returnForCorrection: (household, reason, device = null) => call('office_return', { household, reason, device }),
  /** @param {string|null} [commune] */
  householdDecisions: (commune = null) => call('office_household_decisions', { commune }),
  returned: () => call('office_returned'),
  changeRequests: () => call('change_requests'),
  /** @param {string} id @param {boolean} accept @param {string|null} [reason] */
  decideChange: (id, accept, reason = null) => call('decide_change', { id, accept, reason }),
  duplicates: () => call('duplicate_people'),
  /** @param {string} keep @param {string} other @param {boolean} merge */
  decideDuplicate: (keep, other, merge) => call('decide_duplicate', { keep, other, merge }),
  duplicateMarks: () => call('duplicate_marks'),
  /** @param {string} commune */
  communeRounds: (commune) => call('commune_rounds', { commune }),
};
