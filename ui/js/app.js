// @ts-check
/**
 * Entry module: opens the ledger (or shows why it cannot), then routes between screens by the
 * URL hash. Owns the header (commune name, user picker) and the font scale. Screens live in
 * ./screens/ and export `mount(root, ctx)` returning an unmount function.
 * @module app
 */
import { ipc } from './ipc.js';
import { h, clear } from './dom.js';
import * as setupScreen from './screens/setup.js';
import * as registerScreen from './screens/register.js';
import * as householdScreen from './screens/household.js';
import * as settingsScreen from './screens/settings.js';
// Review round (rà soát) screens: routes #/rounds, #/round/ID, #/survey/ROUND/HOUSEHOLD, #/whatif/ROUND, #/rules.
import * as roundsScreen from './screens/rounds.js';
import * as roundScreen from './screens/round.js';
import * as surveyScreen from './screens/survey.js';
import * as whatifScreen from './screens/whatif.js';
import * as rulesScreen from './screens/rules.js';
// Reports (báo cáo) screens: routes #/dashboard, #/reports, #/reports/NAME.
import * as dashboardScreen from './screens/dashboard.js';
import * as reportsScreen from './screens/reports.js';
const REVIEW_SCREENS = { rounds: roundsScreen, round: roundScreen, survey: surveyScreen, whatif: whatifScreen, rules: rulesScreen };
const REPORT_SCREENS = { dashboard: dashboardScreen, reports: reportsScreen };
// USB exchange (trao đổi dữ liệu): route #/exchange.
import * as exchangeScreen from './screens/exchange.js';
// Conflict review (xem xét xung đột): routes #/conflicts, #/conflicts/HOUSEHOLD, #/conflicts/item/ENTITY/ROW/FIELD.
import * as conflictsScreen from './screens/conflicts.js';
// Enrolment and keys (đăng ký thiết bị và khoá): route #/enrolment.
import * as enrolmentScreen from './screens/enrolment.js';
// Office decisions and the commune's to-do list: route #/office-review (from the exchange screen).
import * as officeReviewScreen from './screens/office-review.js';

/**
 * @typedef {{code: string, label: string}} RefItem
 * @typedef {Record<string, RefItem[]>} Refs
 * @typedef {object} Ctx
 * @property {typeof ipc} ipc
 * @property {any} app     the result of app_info
 * @property {any} info    the result of setup_info (null before setup)
 * @property {Refs} refs   reference lists
 * @property {string[]} params route parameters
 * @property {(hash: string) => void} navigate
 * @property {() => Promise<void>} reload   re-reads setup_info and redraws the header
 * @property {(msg: string, kind?: 'ok'|'error') => void} toast
 * @property {(scale: number) => void} applyFontScale
 * @property {(code: string|null|undefined, list: string) => string} label
 */

const FONT_MIN = 0.8;
const FONT_MAX = 1.6;

/** @type {Ctx} */
const ctx = {
  ipc,
  app: null,
  info: null,
  refs: {},
  params: [],
  navigate: (hash) => { if (location.hash === hash) route(); else location.hash = hash; },
  reload,
  toast,
  applyFontScale,
  label: (code, list) => {
    if (!code) return '';
    const it = (ctx.refs[list] || []).find((x) => x.code === code);
    return it ? it.label : code;
  },
};

/** @type {(() => void) | null} */
let unmount = null;

/** @param {number} scale */
function applyFontScale(scale) {
  const s = Math.min(FONT_MAX, Math.max(FONT_MIN, Number.isFinite(scale) ? scale : 1));
  document.documentElement.style.setProperty('--font-scale', String(s));
}

/** @type {any} */
let toastTimer = null;
/**
 * @param {string} msg
 * @param {'ok'|'error'} [kind]
 */
function toast(msg, kind = 'ok') {
  const el = /** @type {HTMLElement} */ (document.getElementById('toast'));
  el.textContent = msg;
  el.className = 'toast' + (kind === 'error' ? ' error' : '');
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 8000 : 3500);
}

/**
 * Shows the one thing that can be shown when the database is unusable: what happened and where.
 * Nothing else runs, so the file is never touched again in this session.
 * @param {{message: string, path?: string}} err
 * @param {string} path
 */
function showFatal(err, path) {
  const root = /** @type {HTMLElement} */ (document.getElementById('app'));
  clear(root);
  root.appendChild(h('section', { class: 'fatal', id: 'open-error', 'data-testid': 'open-error', role: 'alert' },
    h('h1', { text: 'Không mở được sổ dữ liệu' }),
    h('p', { id: 'open-error-message', text: err.message }),
    h('p', { text: 'Tệp cơ sở dữ liệu:' }),
    h('code', { id: 'open-error-path', text: err.path || path }),
    h('p', { class: 'hint', text: 'Chương trình không thay đổi tệp này. Hãy đóng các chương trình khác đang dùng tệp, kiểm tra đúng tệp của Sổ Giảm Nghèo, hoặc khôi phục từ bản sao lưu, rồi mở lại chương trình.' })));
}

async function reload() {
  ctx.info = await ipc.setupInfo();
  drawHeader();
}

function drawHeader() {
  const header = /** @type {HTMLElement} */ (document.getElementById('app-header'));
  const info = ctx.info;
  header.hidden = !info;
  if (!info) return;
  /** @type {HTMLElement} */ (document.getElementById('commune-name')).textContent =
    `${info.commune_name} · ${info.province_name}`;
  const picker = /** @type {HTMLSelectElement} */ (document.getElementById('user-picker'));
  clear(picker);
  const current = info.current_user ? info.current_user.id : '';
  if (!current) picker.appendChild(h('option', { value: '', selected: true, text: '— chọn người dùng —' }));
  for (const u of info.users || []) {
    picker.appendChild(h('option', { value: u.id, selected: u.id === current, text: `${u.name} (${ctx.label(u.role, 'roles')})` }));
  }
}

async function onPickUser() {
  const picker = /** @type {HTMLSelectElement} */ (document.getElementById('user-picker'));
  if (!picker.value) return;
  try {
    await ipc.setCurrentUser(picker.value);
    await reload();
    toast('Đã đổi người dùng.');
  } catch (e) {
    toast(/** @type {any} */ (e).message, 'error');
  }
}

/** Routes: #/setup, #/register, #/household/new, #/household/ID, #/settings, and the review screens above. */
function route() {
  const root = /** @type {HTMLElement} */ (document.getElementById('app'));
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  let name = parts[0] || 'register';
  if (!ctx.info && name !== 'settings') name = 'setup';
  if (ctx.info && name === 'setup') name = 'register';
  /** @type {Record<string, {mount: (root: HTMLElement, ctx: Ctx) => (() => void)}>} */
  const screens = { setup: setupScreen, register: registerScreen, household: householdScreen, settings: settingsScreen, ...REVIEW_SCREENS, ...REPORT_SCREENS, exchange: exchangeScreen, conflicts: conflictsScreen, enrolment: enrolmentScreen, 'office-review': officeReviewScreen };
  const screen = screens[name] || registerScreen;
  if (unmount) { try { unmount(); } catch { /* a screen failing to clean up must not block navigation */ } }
  clear(root);
  ctx.params = parts.slice(1);
  for (const a of document.querySelectorAll('.nav a')) a.classList.toggle('active', a.getAttribute('href') === `#/${name}`);
  document.getElementById('nav-rounds')?.classList.toggle('active', name in REVIEW_SCREENS);
  unmount = screen.mount(root, ctx);
}

async function boot() {
  try {
    ctx.app = await ipc.appInfo();
  } catch (e) {
    showFatal(/** @type {any} */ (e), '');
    return;
  }
  const loading = document.getElementById('loading');
  if (loading) {
    loading.textContent = ctx.app.demo
      ? `Đang mở xã mẫu (lần đầu chương trình tạo khoảng 1.500 hộ mẫu, có thể mất nửa phút)… ${ctx.app.db_path}`
      : `Đang mở sổ: ${ctx.app.db_path}`;
  }
  let openError;
  try {
    openError = await ipc.openLedger();
  } catch (e) {
    openError = /** @type {any} */ (e);
  }
  if (openError) {
    showFatal(openError, ctx.app.db_path);
    return;
  }
  try {
    ctx.refs = await ipc.referenceLists();
    const scale = await ipc.setting('font_scale');
    if (scale) applyFontScale(Number(scale));
    await reload();
  } catch (e) {
    showFatal(/** @type {any} */ (e), ctx.app.db_path);
    return;
  }
  /** @type {HTMLElement} */ (document.getElementById('user-picker')).addEventListener('change', onPickUser);
  window.addEventListener('hashchange', route);
  route();
}

boot();
