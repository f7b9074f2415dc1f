// @ts-check
/**
 * The enrolment screen's IPC calls (đăng ký thiết bị và khoá), over the same `call` seam as
 * ./ipc.js, plus the native file picker. Writing the keys file, the request and the response
 * reuses the exchange commands. A rejected promise carries the core's `{kind, message, fields}`.
 * @module enrolment-ipc
 */
import { call } from './ipc.js';

/**
 * The file picker of the dialog plugin; resolves with the file or null when cancelled.
 * @param {string} title
 * @param {{name: string, extensions: string[]}[]} filters
 * @returns {Promise<string|null>}
 */
export async function pickFile(title, filters) {
  const tauri = /** @type {any} */ (window).__TAURI__;
  if (!tauri || !tauri.dialog) throw { kind: 'internal', message: 'Không mở được hộp chọn tệp.', fields: [] };
  const r = await tauri.dialog.open({ directory: false, multiple: false, title, filters });
  return typeof r === 'string' ? r : null;
}

export const enrolmentIpc = {
  /** @returns {Promise<string|null>} the file preset by GIAMNGHEO_PICK_FILE (tests), or null */
  presetFile: () => call('enrolment_preset_file'),
  /** @returns {Promise<string|null>} the folder preset by GIAMNGHEO_EXCHANGE_DIR (tests), or null */
  presetDir: () => call('exchange_dir'),
  state: () => call('enrolment_state'),
  /** @param {string} file */
  readKeysFile: (file) => call('read_keys_file', { file }),
  /** @param {string} file @param {boolean} as_officer @param {string} fingerprint */
  pinKeys: (file, as_officer, fingerprint) => call('pin_keys', { file, as_officer, fingerprint }),
  /** @param {string} dir */
  writeKeysFile: (dir) => call('public_keys_file', { dir }),
  /** @param {string} dir */
  writeRequest: (dir) => call('enrolment_request', { dir }),
  /** @param {string} file */
  inspectRequest: (file) => call('inspect_enrolment_request', { file }),
  /** @param {string} file @param {string} fingerprint @param {string} dir */
  accept: (file, fingerprint, dir) => call('accept_enrolment', { file, fingerprint, dir }),
  roster: () => call('device_roster'),
  /** @param {number} grace_days */
  rollover: (grace_days) => call('rollover_keys', { grace_days }),
};
