// @ts-check
/**
 * The one seam between the UI and the Rust shell: the ONLY file that touches window.__TAURI__.
 * Every function returns a Promise; a rejected promise carries a {@link CmdError}.
 * @module ipc
 */

/**
 * @typedef {{field: string, message: string}} FieldError
 * @typedef {{kind: string, message: string, fields: FieldError[], path?: string}} CmdError
 */

/**
 * @param {string} cmd
 * @param {Record<string, unknown>} [args]
 * @returns {Promise<any>}
 */
export async function call(cmd, args = {}) {
  const tauri = /** @type {any} */ (window).__TAURI__;
  if (!tauri || !tauri.core) {
    throw { kind: 'internal', message: 'Không kết nối được với chương trình (thiếu cầu nối Tauri).', fields: [] };
  }
  try {
    return await tauri.core.invoke(cmd, args);
  } catch (e) {
    throw normaliseError(e);
  }
}

/**
 * Turns whatever the bridge rejected with into a {@link CmdError}.
 * @param {unknown} e
 * @returns {CmdError}
 */
function normaliseError(e) {
  if (e && typeof e === 'object' && 'message' in e) {
    const o = /** @type {any} */ (e);
    return { kind: String(o.kind || 'internal'), message: String(o.message), fields: Array.isArray(o.fields) ? o.fields : [], path: o.path };
  }
  return { kind: 'internal', message: String(e), fields: [] };
}

// Reports (báo cáo): the save dialog and commands that stream progress over a Channel.
/**
 * The native "save as" dialog; resolves with the chosen path or null when cancelled.
 * @param {{title: string, defaultPath: string, filters: {name: string, extensions: string[]}[]}} options
 * @returns {Promise<string|null>}
 */
export async function saveDialog(options) {
  const tauri = /** @type {any} */ (window).__TAURI__;
  if (!tauri || !tauri.dialog) throw { kind: 'internal', message: 'Không mở được hộp thoại lưu tệp.', fields: [] };
  try {
    return await tauri.dialog.save(options);
  } catch (e) {
    throw normaliseError(e);
  }
}

/**
 * Calls `cmd` with a Channel under `channelArg` whose messages go to `onMessage`.
 * @param {string} cmd
 * @param {Record<string, unknown>} args
 * @param {string} channelArg
 * @param {(msg: any) => void} onMessage
 */
export async function callWithChannel(cmd, args, channelArg, onMessage) {
  const tauri = /** @type {any} */ (window).__TAURI__;
  if (!tauri || !tauri.core || !tauri.core.Channel) {
    throw { kind: 'internal', message: 'Không kết nối được với chương trình (thiếu cầu nối Tauri).', fields: [] };
  }
  const channel = new tauri.core.Channel();
  channel.onmessage = onMessage;
  return call(cmd, { ...args, [channelArg]: channel });
}

export const ipc = {
  /** @returns {Promise<{version: string, db_path: string, demo: boolean}>} */
  appInfo: () => call('app_info'),
  /** Opens the database; resolves with the reason it cannot be used, or null. @returns {Promise<CmdError|null>} */
  openLedger: () => call('open_ledger'),
  setupInfo: () => call('setup_info'),
  /** @param {object} input */
  setup: (input) => call('setup', { input }),
  /** @param {string} name @param {string} role */
  addUser: (name, role) => call('add_user', { name, role }),
  /** @param {string} user_id */
  setCurrentUser: (user_id) => call('set_current_user', { user_id }),
  /** @param {{code: string|null, name: string, kind: string}} input */
  addVillage: (input) => call('add_village', { input }),
  villages: () => call('villages'),
  /** @param {string} key @returns {Promise<string|null>} */
  setting: (key) => call('setting', { key }),
  /** @param {string} key @param {string} value */
  setSetting: (key, value) => call('set_setting', { key, value }),
  /** @param {{search: string|null, village_id: string|null, flags: string[], offset: number, limit: number}} query */
  listHouseholds: (query) => call('list_households', { query }),
  /** @param {string} id */
  household: (id) => call('household', { id }),
  /** @param {object} input */
  checkHousehold: (input) => call('check_household', { input }),
  /** @param {object} input */
  saveHousehold: (input) => call('save_household', { input }),
  /** @param {object} input */
  recordEvent: (input) => call('record_event', { input }),
  /** @param {string} id */
  householdHistory: (id) => call('household_history', { id }),
  referenceLists: () => call('reference_lists'),
};

// USB exchange (trao đổi dữ liệu): the folder picker (progress uses `callWithChannel` above).
/** The folder picker of the dialog plugin; resolves with the folder or null when cancelled. @param {string} title @returns {Promise<string|null>} */
export async function pickFolder(title) {
  const tauri = /** @type {any} */ (window).__TAURI__;
  if (!tauri || !tauri.dialog) throw { kind: 'internal', message: 'Không mở được hộp chọn thư mục.', fields: [] };
  const r = await tauri.dialog.open({ directory: true, multiple: false, title });
  return typeof r === 'string' ? r : null;
}
