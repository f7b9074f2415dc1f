// @ts-check
/**
 * The conflict review's IPC calls (xem xét xung đột), over the same `call` seam as ./ipc.js.
 * Every function returns a Promise; a rejected promise carries the core's `{kind, message, fields}`.
 * @module conflict-ipc
 */
import { call } from './ipc.js';

export const conflictIpc = {
  /** Every open review item with its competing values. */
  list: () => call('conflict_details'),
  /** @param {string} household_id the open items of one household and its members */
  household: (household_id) => call('household_conflicts', { household_id }),
  /** @param {string} entity @param {string} row_id @param {string} field */
  detail: (entity, row_id, field) => call('conflict_detail', { entity, row_id, field }),
  /**
   * Keep a competing value (`pick` = [origin, seq]) or a typed one (`value`); exactly one of them.
   * @param {string} entity @param {string} row_id @param {string} field
   * @param {{pick?: [string, number]|null, value?: any, note?: string|null}} choice
   */
  resolve: (entity, row_id, field, choice) => call('resolve_conflict', {
    entity, row_id, field, pick: choice.pick ?? null, value: choice.value ?? null, note: choice.note ?? null,
  }),
  /**
   * Keep one competing version (`pick` = [origin, seq]) of the whole record for every open item
   * of it in which that version competes (a survey's answers and score stay together).
   * @param {string} entity @param {string} row_id @param {[string, number]} pick @param {string|null} note
   */
  resolveVersion: (entity, row_id, pick, note) => call('resolve_version', { entity, row_id, pick, note }),
};
