// @ts-check
/**
 * The USB exchange's IPC calls (trao đổi dữ liệu), over the same `call` seam as ./ipc.js. Every
 * function returns a Promise; a rejected promise carries the core's `{kind, message, fields}`.
 * @module exchange-ipc
 */
import { call, callWithChannel } from './ipc.js';

export const exchangeIpc = {
  /** @returns {Promise<string|null>} the folder preset by GIAMNGHEO_EXCHANGE_DIR (tests), or null */
  presetDir: () => call('exchange_dir'),
  status: () => call('exchange_status'),
  consolidated: () => call('consolidated_view'),
  conflicts: () => call('open_conflicts'),
  /** @param {string} dir @param {string|null} [to] */
  exportTo: (dir, to = null) => call('export_packages', { dir, to }),
  /** @param {string[]} paths */
  dryRun: (paths) => call('import_dry_run', { paths }),
  /** @param {string[]} paths @param {(p: {done: number, total: number, report: any}) => void} onProgress */
  importPaths: (paths, onProgress) => callWithChannel('import_packages', { paths }, 'on_progress', onProgress),
  /** @param {string} entity @param {string} row_id @param {string} field @param {any} value @param {string} reason */
  correct: (entity, row_id, field, value, reason) => call('correct_field', { entity, row_id, field, value, reason }),
  /** @param {string} dir */
  keysFile: (dir) => call('public_keys_file', { dir }),
  /** @param {string} file */
  pinOffice: (file) => call('pin_office', { file }),
  /** @param {string} dir */
  enrolmentRequest: (dir) => call('enrolment_request', { dir }),
  /** @param {string} file @param {string} fingerprint @param {string} dir */
  acceptEnrolment: (file, fingerprint, dir) => call('accept_enrolment', { file, fingerprint, dir }),
};
