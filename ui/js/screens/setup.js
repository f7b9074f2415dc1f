// @ts-check
/**
 * First run: who this office is (commune or upper-level office), its province and commune,
 * the villages, and the first user. Validation is the core's: its field messages are shown next
 * to the inputs. Deliberately no rules here.
 * @module screens/setup
 */
import { h, select } from '../dom.js';
import { field, showIssues, focusFirstError } from '../forms.js';
import { tidy, optional } from '../lib/text.js';

const KINDS = [{ code: 'commune', label: 'UBND xã' }, { code: 'office', label: 'Cơ quan cấp trên' }];
const AREAS = [{ code: 'rural', label: 'Nông thôn' }, { code: 'urban', label: 'Thành thị' }];

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  const villageKinds = ctx.refs.village_kinds || [];
  const roles = ctx.refs.roles || [];
  const inp = (/** @type {string} */ id, /** @type {Record<string, any>} */ extra = {}) => h('input', { id, type: 'text', autocomplete: 'off', ...extra });

  const kind = select({ id: 'setup-kind' }, KINDS, 'commune');
  const provinceCode = inp('setup-province-code', { inputmode: 'numeric', maxlength: '2', placeholder: 'vd. 10' });
  const provinceName = inp('setup-province-name', { placeholder: 'vd. Lào Cai' });
  const communeCode = inp('setup-commune-code', { inputmode: 'numeric', maxlength: '5', placeholder: '5 chữ số' });
  const communeName = inp('setup-commune-name', { placeholder: 'vd. Xã Bản Lầu' });
  const area = select({ id: 'setup-area' }, AREAS, 'rural');
  const b1 = inp('setup-b1-region', { placeholder: 'để trống nếu không áp dụng' });
  const userName = inp('setup-user-name', { placeholder: 'Họ và tên' });
  const userRole = select({ id: 'setup-user-role' }, roles, 'commune_officer');
  const villageList = h('div', { id: 'setup-villages' });
  const summary = h('div', { class: 'summary', id: 'setup-summary', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'setup-submit', text: 'Lưu và bắt đầu' });

  function addVillageRow(name = '', kindCode = 'thon') {
    const i = villageList.children.length;
    const nameInput = h('input', { type: 'text', class: 'village-name', id: `setup-village-${i}-name`, value: name, placeholder: 'Tên thôn/xóm/bản…' });
    const kindSel = select({ class: 'village-kind', id: `setup-village-${i}-kind` }, villageKinds, kindCode);
    const remove = h('button', { type: 'button', class: 'danger', title: 'Bỏ dòng này', text: 'Bỏ' });
    const row = h('div', { class: 'village-row' },
      field(`villages[${i}].name`, `Thôn/xóm ${i + 1}`, nameInput),
      field(`villages[${i}].kind`, 'Loại', kindSel),
      remove);
    remove.addEventListener('click', () => { row.remove(); });
    villageList.appendChild(row);
    return nameInput;
  }
  addVillageRow();

  const addVillage = h('button', { type: 'button', id: 'setup-add-village', text: '+ Thêm thôn/xóm' });
  addVillage.addEventListener('click', () => addVillageRow().focus());

  const form = h('form', { class: 'setup panel', id: 'setup', 'data-testid': 'setup', novalidate: true },
    h('h1', { text: 'Thiết lập lần đầu' }),
    h('p', { class: 'hint', text: 'Nhập thông tin đơn vị, các thôn/xóm và người sử dụng máy này. Có thể thêm thôn và người dùng sau trong Cài đặt.' }),
    summary,
    h('h2', { text: 'Đơn vị' }),
    h('div', { class: 'form-grid' },
      field('kind', 'Loại đơn vị', kind),
      field('province_code', 'Mã tỉnh', provinceCode),
      field('province_name', 'Tên tỉnh', provinceName),
      field('commune_code', 'Mã xã (5 chữ số)', communeCode),
      field('commune_name', 'Tên xã', communeName),
      field('area', 'Khu vực', area),
      field('b1_region', 'Vùng áp dụng chuẩn B1 (nếu có)', b1)),
    h('h2', { text: 'Thôn, xóm, bản, ấp, tổ dân phố' }),
    h('div', { 'data-field': 'villages' }, villageList),
    addVillage,
    h('h2', { text: 'Người sử dụng' }),
    h('div', { class: 'form-grid' },
      field('user_name', 'Họ và tên', userName),
      field('user_role', 'Vai trò', userRole)),
    h('div', { class: 'actions' }, submit, h('span', { class: 'hint' }, 'Nhấn ', h('kbd', { text: 'Enter' }), ' để lưu.')));

  // Enter in a list box saves too (in text fields the browser already submits).
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && /** @type {HTMLElement} */ (ev.target).tagName === 'SELECT') {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const villages = [];
    for (const row of villageList.querySelectorAll('.village-row')) {
      const n = /** @type {HTMLInputElement} */ (row.querySelector('.village-name'));
      const k = /** @type {HTMLSelectElement} */ (row.querySelector('.village-kind'));
      if (tidy(n.value) === '' && villageList.children.length > 1) continue;
      villages.push({ code: null, name: tidy(n.value), kind: k.value });
    }
    const input = {
      kind: kind.value,
      province_code: tidy(/** @type {HTMLInputElement} */ (provinceCode).value),
      province_name: tidy(/** @type {HTMLInputElement} */ (provinceName).value),
      commune_code: tidy(/** @type {HTMLInputElement} */ (communeCode).value),
      commune_name: tidy(/** @type {HTMLInputElement} */ (communeName).value),
      area: area.value,
      b1_region: optional(/** @type {HTMLInputElement} */ (b1).value),
      villages,
      user_name: tidy(/** @type {HTMLInputElement} */ (userName).value),
      user_role: userRole.value,
    };
    submit.setAttribute('disabled', '');
    try {
      await ctx.ipc.setup(input);
      await ctx.reload();
      ctx.toast(input.kind === 'commune'
        ? 'Đã thiết lập xong. Bắt đầu nhập sổ hộ; để gửi dữ liệu, vào Cài đặt → Đăng ký thiết bị để ghim khoá văn phòng.'
        : 'Đã thiết lập xong. Bắt đầu nhập sổ hộ.');
      ctx.navigate('#/register');
    } catch (e) {
      const err = /** @type {any} */ (e);
      const fields = err.fields && err.fields.length ? err.fields : [{ field: '_', message: err.message }];
      showIssues(form, summary, fields, 'Chưa lưu được: hãy sửa các ô được đánh dấu.');
      focusFirstError(form);
    } finally {
      submit.removeAttribute('disabled');
    }
  });

  root.appendChild(form);
  kind.focus();
  return () => {};
}
