// @ts-check
/**
 * Settings (cài đặt): where the data file is, the font size (stored in the ledger's local
 * settings as "font_scale"), the users of this machine and the villages.
 * @module screens/settings
 */
import { h, clear, select } from '../dom.js';
import { field, showIssues } from '../forms.js';
import { tidy } from '../lib/text.js';

const STEP = 0.1;
const MIN = 0.8;
const MAX = 1.6;

/**
 * The next font scale after pressing A− (dir -1) or A+ (dir +1), kept within 80–160 %.
 * @param {number} current
 * @param {number} dir
 */
export function nextScale(current, dir) {
  const v = Math.round((current + dir * STEP) * 10) / 10;
  return Math.min(MAX, Math.max(MIN, v));
}

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  let alive = true;
  const info = ctx.info;
  const scaleOut = h('output', { id: 'font-scale-value', 'data-testid': 'font-scale-value' });
  const smaller = h('button', { type: 'button', id: 'font-smaller', 'data-testid': 'font-smaller', title: 'Chữ nhỏ hơn', text: 'A−' });
  const bigger = h('button', { type: 'button', id: 'font-bigger', 'data-testid': 'font-bigger', title: 'Chữ lớn hơn', text: 'A+' });
  let scale = Number(getComputedStyle(document.documentElement).getPropertyValue('--font-scale')) || 1;
  const showScale = () => { scaleOut.textContent = `${Math.round(scale * 100)} %`; };
  showScale();
  async function change(/** @type {number} */ dir) {
    scale = nextScale(scale, dir);
    ctx.applyFontScale(scale);
    showScale();
    try { await ctx.ipc.setSetting('font_scale', String(scale)); } catch (e) { ctx.toast(/** @type {any} */ (e).message, 'error'); }
  }
  smaller.addEventListener('click', () => change(-1));
  bigger.addEventListener('click', () => change(1));

  const sections = [
    h('h1', { text: 'Cài đặt' }),
    h('section', { class: 'panel' },
      h('h2', { text: 'Cỡ chữ' }),
      h('div', { class: 'font-size' }, smaller, scaleOut, bigger,
        h('span', { class: 'hint', text: 'Áp dụng ngay cho toàn bộ chương trình và được ghi nhớ.' }))),
    h('section', { class: 'panel' },
      h('h2', { text: 'Dữ liệu' }),
      h('dl', { class: 'info' },
        h('dt', { text: 'Tệp cơ sở dữ liệu' }), h('dd', { id: 'db-path', 'data-testid': 'db-path', text: ctx.app ? ctx.app.db_path : '' }),
        h('dt', { text: 'Phiên bản chương trình' }), h('dd', { id: 'app-version', text: ctx.app ? ctx.app.version : '' }),
        info ? [h('dt', { text: 'Đơn vị' }), h('dd', { text: `${info.commune_name} (mã ${info.commune_code}), ${info.province_name}` }),
          h('dt', { text: 'Mã máy' }), h('dd', { text: info.short_code || '' }),
          h('dt', { text: 'Phiên bản lược đồ dữ liệu' }), h('dd', { text: String(info.schema_version ?? '') })] : null)),
  ];

  if (info) {
    const userList = h('ul', { id: 'user-list' });
    const drawUsers = () => {
      clear(userList);
      for (const u of ctx.info.users || []) userList.appendChild(h('li', { text: `${u.name} — ${ctx.label(u.role, 'roles')}${ctx.info.current_user && ctx.info.current_user.id === u.id ? ' (đang dùng)' : ''}` }));
    };
    drawUsers();
    const name = h('input', { type: 'text', id: 'new-user-name', placeholder: 'Họ và tên' });
    const role = select({ id: 'new-user-role' }, ctx.refs.roles || [], 'reviewer');
    const userSummary = h('div', { class: 'summary', hidden: true });
    const userForm = h('form', { id: 'add-user-form', novalidate: true }, userSummary,
      h('div', { class: 'form-grid' }, field('name', 'Người dùng mới', name), field('role', 'Vai trò', role)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'add-user', text: 'Thêm người dùng' })));
    userForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await ctx.ipc.addUser(tidy(/** @type {HTMLInputElement} */ (name).value), /** @type {HTMLSelectElement} */ (role).value);
        /** @type {HTMLInputElement} */ (name).value = '';
        showIssues(userForm, userSummary, []);
        await ctx.reload();
        if (alive) drawUsers();
        ctx.toast('Đã thêm người dùng.');
      } catch (e) {
        const err = /** @type {any} */ (e);
        showIssues(userForm, userSummary, err.fields && err.fields.length ? err.fields : [{ field: '_', message: err.message }]);
      }
    });

    const villageList = h('ul', { id: 'village-list' });
    const drawVillages = () => {
      clear(villageList);
      for (const v of ctx.info.villages || []) villageList.appendChild(h('li', { text: `${v.name} (${ctx.label(v.kind, 'village_kinds')}, mã ${v.code})` }));
    };
    drawVillages();
    const vName = h('input', { type: 'text', id: 'new-village-name', placeholder: 'Tên thôn/xóm' });
    const vKind = select({ id: 'new-village-kind' }, ctx.refs.village_kinds || [], 'thon');
    const vSummary = h('div', { class: 'summary', hidden: true });
    const vForm = h('form', { id: 'add-village-form', novalidate: true }, vSummary,
      h('div', { class: 'form-grid' }, field('name', 'Thôn/xóm mới', vName), field('kind', 'Loại', vKind)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'add-village', text: 'Thêm thôn/xóm' })));
    vForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await ctx.ipc.addVillage({ code: null, name: tidy(/** @type {HTMLInputElement} */ (vName).value), kind: /** @type {HTMLSelectElement} */ (vKind).value });
        /** @type {HTMLInputElement} */ (vName).value = '';
        showIssues(vForm, vSummary, []);
        await ctx.reload();
        if (alive) drawVillages();
        ctx.toast('Đã thêm thôn/xóm.');
      } catch (e) {
        const err = /** @type {any} */ (e);
        showIssues(vForm, vSummary, err.fields && err.fields.length ? err.fields : [{ field: '_', message: err.message }]);
      }
    });
    sections.push(
      h('section', { class: 'panel', id: 'settings-enrolment' }, h('h2', { text: 'Đăng ký thiết bị và khoá' }),
        h('p', { class: 'hint', text: 'Ghim khoá văn phòng, tạo yêu cầu đăng ký, dấu vân tay của máy này; tại văn phòng: cấp chứng thư và đổi khoá.' }),
        h('a', { href: '#/enrolment', id: 'settings-enrolment-link', 'data-testid': 'settings-enrolment-link', text: 'Mở màn hình đăng ký thiết bị…' })),
      h('section', { class: 'panel' }, h('h2', { text: 'Người dùng trên máy này' }), userList, userForm),
      h('section', { class: 'panel' }, h('h2', { text: 'Thôn, xóm, bản, ấp, tổ dân phố' }), villageList, vForm));
  }

  root.appendChild(h('div', { class: 'settings', id: 'settings', 'data-testid': 'settings' }, sections));
  return () => { alive = false; };
}
