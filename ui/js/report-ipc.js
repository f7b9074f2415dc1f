// @ts-check
/**
 * The reports' and the dashboard's IPC calls (báo cáo, tổng quan), over the `call` seam of
 * ./ipc.js, so that file stays the only one that touches window.__TAURI__. Every function returns
 * a Promise; a rejected promise carries the core's `{kind, message, fields}`.
 * @module report-ipc
 */
import { call, callWithChannel, saveDialog } from './ipc.js';

/**
 * @typedef {{round_id?: string|null, household_id?: string|null, village_id?: string|null, date?: string|null}} ReportParams
 */

export const reportIpc = {
  catalog: () => call('report_catalog'),
  dashboard: () => call('dashboard'),
  /** @param {string} text e.g. "0,44" */
  setPovertyTarget: (text) => call('set_poverty_target', { text }),
  /**
   * @param {string} name @param {ReportParams} params
   * @param {(p: {stage: 'reading'|'rendering', done: number, total: number}) => void} onProgress
   * @returns {Promise<string|null>} the HTML fragment, or null when cancelled
   */
  preview: (name, params, onProgress) =>
    callWithChannel('report_preview', { name, params }, 'on_progress', onProgress),
  /** @param {string} name @param {string} format @returns {Promise<string|null>} */
  exportHook: (name, format) => call('report_export_hook', { name, format }),
  /**
   * @param {string} name @param {ReportParams} params @param {string} format @param {string} path
   * @param {(p: {stage: 'reading'|'rendering', done: number, total: number}) => void} onProgress
   * @returns {Promise<{cancelled: boolean, path: string|null, message: string}>} written, or
   *   cancelled with nothing written
   */
  exportReport: (name, params, format, path, onProgress) =>
    callWithChannel('export_report', { name, params, format, path }, 'on_progress', onProgress),
  cancel: () => call('cancel_report'),
  saveDialog,
};
