// @ts-check
/**
 * The office review screen (xem xét của văn phòng), route #/office-review, reached from the
 * exchange screen. At an office, per commune: households to approve, return for correction
 * (with the reason and the laptop that must fix it) or lock, a whole round to approve or lock,
 * the change requests (commune edits of approved/locked records: accept or refuse), and people
 * who may be the same across communes, side by side, with "Gộp" or "Không phải cùng một người".
 * At a commune: the households the office returned for correction, with the reason, and the
 * people the office marked as duplicates. Every rule and message is the core's; decisions reach
 * the communes in the next return package.
 * @module screens/office-review
 */
import { h, clear, select } from '../dom.js';
import { field, showIssues } from '../forms.js';
import { formatDate, formatDateTime } from '../lib/format.js';
import { exchangeIpc } from '../exchange-ipc.js';
import { officeIpc } from '../office-ipc.js';
import { householdFinder } from '../household-finder.js';

/** @type {Record<string, string>} */
const STATE = { approved: 'Đã duyệt', locked: 'Đã khoá', returned: 'Trả lại để sửa', open: 'Chưa quyết định' };
/** @type {Record<string, string>} */
const FIELD = {
  address: 'Địa chỉ', note: 'Ghi chú', full_name: 'Họ và tên', birth_date: 'Ngày sinh', id_number: 'Số định danh',
  sex: 'Giới tính', relation: 'Quan hệ với chủ hộ', deleted: 'Xoá', household_id: 'Hộ', ethnicity: 'Dân tộc',
  ethnic_minority: 'Hộ DTTS', head_member_id: 'Chủ hộ', status: 'Tình trạng', village_id: 'Thôn/xóm',
};

/** @param {any} v */
function show(v) {
  if (v === null || v === undefined || v === '') return '(trống)';
  if (v === true) return 'có';
  if (v === false) return 'không';
  return String(v);
}

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  let alive = true;
  /** @type {any} */
  let status = null;
  let commune = '';
  /** @param {any} e */
  const fail = (e) => ctx.toast(e && e.message ? e.message : String(e), 'error');

  const body = h('div', { id: 'or-body' });
  root.appendChild(h('div', { class: 'exchange office-review', id: 'office-review', 'data-testid': 'office-review' },
    h('p', {}, h('a', { href: '#/exchange', id: 'or-back', text: '← Trao đổi dữ liệu' })),
    h('h1', { text: 'Xem xét của văn phòng' }),
    body));

  // ----- commune side: the to-do list of households returned for correction ------------------
  async function drawCommune() {
    const [returned, marks, pending] = await Promise.all([officeIpc.returned(), officeIpc.duplicateMarks(), officeIpc.changeRequests()]);
    if (!alive) return;
    const open = returned.filter((/** @type {any} */ r) => r.open);
    body.appendChild(h('section', { class: 'panel', id: 'or-todo', 'data-testid': 'or-todo' },
      h('h2', { text: 'Việc cần sửa (văn phòng trả lại)' }),
      h('p', { class: 'hint', text: open.length ? `${open.length} hộ còn phải sửa. Sửa hồ sơ của hộ rồi xuất gói gửi văn phòng.` : 'Không còn hộ nào phải sửa.' }),
      returned.length === 0 ? h('p', { class: 'empty', text: 'Văn phòng chưa trả lại hộ nào.' }) :
        h('table', { class: 'list' },
          h('thead', {}, h('tr', {}, h('th', { text: 'Hộ' }), h('th', { text: 'Chủ hộ' }), h('th', { text: 'Lý do' }),
            h('th', { text: 'Máy phải sửa' }), h('th', { text: 'Trạng thái' }))),
          h('tbody', {}, returned.map((/** @type {any} */ r) => h('tr', { 'data-testid': 'or-todo-row', 'data-open': r.open ? '1' : '0' },
            h('td', {}, h('a', { href: `#/household/${encodeURIComponent(r.action.household_id)}`, text: r.action.household_code || r.action.household_id })),
            h('td', { text: r.head_name }),
            h('td', { 'data-testid': 'or-todo-reason', text: r.action.reason || '' }),
            h('td', { text: r.action.device_short_code || 'Máy bất kỳ của xã' }),
            h('td', { 'data-testid': 'or-todo-state', text: r.open ? 'Chưa sửa' : 'Đã sửa / đã đóng' })))))));
    body.appendChild(h('section', { class: 'panel', id: 'or-pending', 'data-testid': 'or-pending' },
      h('h2', { text: 'Sửa đổi chờ văn phòng chấp nhận' }),
      h('p', { class: 'hint', text: 'Hồ sơ đã được văn phòng duyệt hoặc khoá: các sửa đổi dưới đây được giữ lại nhưng chưa hiển thị cho đến khi văn phòng chấp nhận.' }),
      pending.length === 0 ? h('p', { class: 'empty', text: 'Không có.' }) :
        h('ul', {}, pending.map((/** @type {any} */ c) => h('li', { 'data-testid': 'or-pending-row',
          text: `Hộ ${c.household_code || c.row_id}: ${Object.entries(c.fields).map(([f, v]) => `${FIELD[f] || f} ${show(/** @type {any} */ (v).current)} → ${show(/** @type {any} */ (v).proposed)}`).join('; ')}` })))));
    body.appendChild(h('section', { class: 'panel', id: 'or-marks', 'data-testid': 'or-marks' },
      h('h2', { text: 'Người được văn phòng đánh dấu trùng' }),
      marks.length === 0 ? h('p', { class: 'empty', text: 'Không có.' }) :
        h('ul', {}, marks.map((/** @type {any} */ m) => {
          /** @param {string|null} name @param {string|null} code @param {string} id */
          const who = (name, code, id) => name ? `${name}${code ? ` (hộ ${code})` : ''}` : `người ở xã khác (mã ${id})`;
          return h('li', { 'data-testid': 'or-mark', text: `${who(m.member_name, m.member_household_code, m.member_id)} được đánh dấu là bản trùng của ${who(m.kept_name, m.kept_household_code, m.duplicate_of)}; bản ghi không bị xoá.` });
        }))));
  }

  // ----- office side ---------------------------------------------------------------------------
  /** @param {any[]} communes */
  function communePicker(communes) {
    const pick = /** @type {HTMLSelectElement} */ (select({ id: 'or-commune', 'data-testid': 'or-commune' },
      communes.map((c) => ({ code: c.commune_code, label: `${c.name || ''} (${c.commune_code})` })), commune, '— chọn xã —'));
    pick.addEventListener('change', () => { commune = pick.value; redraw(); });
    return h('section', { class: 'panel', id: 'or-communes' },
      h('h2', { text: 'Xã' }),
      communes.length === 0 ? h('p', { class: 'empty', text: 'Chưa nhận được dữ liệu của xã nào.' }) : field('commune', 'Chọn xã để xem xét', pick));
  }

  /** @param {any[]} devices */
  function householdForm(devices) {
    const { search, find, pick, run: doFind } = householdFinder(ctx, 'or', () => commune, fail);
    const reason = h('input', { type: 'text', id: 'or-reason', 'data-testid': 'or-reason', autocomplete: 'off' });
    const device = /** @type {HTMLSelectElement} */ (select({ id: 'or-device', 'data-testid': 'or-device' },
      devices.map((d) => ({ code: d.node_id, label: `${d.short_code} (${d.role === 'reviewer' ? 'máy rà soát viên' : 'máy cán bộ xã'})` })), '', 'Máy bất kỳ của xã'));
    const summary = h('div', { class: 'summary', id: 'or-hh-summary', hidden: true });
    const done = h('p', { id: 'or-hh-done', 'data-testid': 'or-hh-done' });
    /** @param {string} label @param {string} id @param {() => Promise<any>} act */
    const button = (label, id, act) => {
      const b = h('button', { type: 'button', id, 'data-testid': id, text: label });
      b.addEventListener('click', async () => {
        done.textContent = '';
        if (!pick.value) {
          showIssues(form, summary, [{ field: 'household', message: 'Hãy chọn hộ.' }], 'Chưa ghi được quyết định.');
          return;
        }
        try {
          const a = await act();
          showIssues(form, summary, [], '');
          done.className = 'summary ok';
          done.textContent = `${label}: hộ ${a.household_code || pick.value}. Xã sẽ nhận quyết định trong gói trả về tiếp theo.`;
          await drawDecisions();
        } catch (e) {
          const err = /** @type {any} */ (e);
          showIssues(form, summary, err.fields && err.fields.length ? err.fields : [{ field: '', message: err.message }], 'Chưa ghi được quyết định.');
        }
      });
      return b;
    };
    const form = h('form', { class: 'panel', id: 'or-household', 'data-testid': 'or-household', novalidate: true },
      h('h2', { text: 'Quyết định cho một hộ' }),
      summary,
      h('div', { class: 'form-col' },
        h('div', { class: 'field' }, h('span', { class: 'label', text: 'Tìm hộ' }), search, find),
        field('household', 'Hộ', pick),
        field('reason', 'Lý do trả lại (bắt buộc khi trả lại)', reason),
        field('device', 'Máy phải sửa', device)),
      h('div', { class: 'actions' },
        button('Duyệt', 'or-approve', () => officeIpc.decide('approve', { household: pick.value })),
        button('Trả lại để sửa', 'or-return', () => officeIpc.returnForCorrection(pick.value, /** @type {HTMLInputElement} */ (reason).value, device.value || null)),
        button('Khoá', 'or-lock', () => officeIpc.decide('lock', { household: pick.value })),
        button('Mở khoá', 'or-unlock', () => officeIpc.decide('unlock', { household: pick.value }))),
      done);
    form.addEventListener('submit', (ev) => ev.preventDefault());
    doFind();
    return form;
  }

  /** @param {any[]} rounds */
  function roundForm(rounds) {
    if (!rounds.length) return h('section', { class: 'panel', id: 'or-round' }, h('h2', { text: 'Cả đợt rà soát của xã' }), h('p', { class: 'empty', text: 'Xã chưa gửi đợt rà soát nào.' }));
    const pick = /** @type {HTMLSelectElement} */ (select({ id: 'or-round-pick', 'data-testid': 'or-round-pick' },
      rounds.map((r) => ({ code: r.id, label: r.title || `Đợt ${r.year}${r.month ? `/${r.month}` : ''}` })), rounds[0].id));
    const out = h('p', { id: 'or-round-done' });
    /** @param {string} label @param {string} id @param {'approve'|'lock'|'unlock'} action */
    const button = (label, id, action) => {
      const b = h('button', { type: 'button', id, 'data-testid': id, text: label });
      b.addEventListener('click', async () => {
        try {
          await officeIpc.decide(action, { round: pick.value });
          out.className = 'summary ok';
          out.textContent = `${label}: ${pick.options[pick.selectedIndex].text}. Mọi sửa đổi sau đó của xã sẽ thành yêu cầu thay đổi.`;
          await drawDecisions();
        } catch (e) { fail(e); }
      });
      return b;
    };
    return h('section', { class: 'panel', id: 'or-round' },
      h('h2', { text: 'Cả đợt rà soát của xã' }),
      field('round', 'Đợt', pick),
      h('div', { class: 'actions' }, button('Duyệt cả đợt', 'or-round-approve', 'approve'), button('Khoá cả đợt', 'or-round-lock', 'lock'), button('Mở khoá cả đợt', 'or-round-unlock', 'unlock')),
      out);
  }

  const decisions = h('section', { class: 'panel', id: 'or-decisions', 'data-testid': 'or-decisions' });
  async function drawDecisions() {
    const [list, returned] = await Promise.all([officeIpc.householdDecisions(commune || null), officeIpc.returned()]);
    if (!alive) return;
    const fixed = new Map(returned.map((/** @type {any} */ r) => [r.action.id, r]));
    clear(decisions);
    decisions.appendChild(h('h2', { text: 'Các hộ đã có quyết định' }));
    decisions.appendChild(list.length === 0 ? h('p', { class: 'empty', text: 'Chưa có quyết định nào cho xã này.' }) :
      h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Hộ' }), h('th', { text: 'Chủ hộ' }), h('th', { text: 'Trạng thái' }), h('th', { text: 'Lý do / máy' }))),
        h('tbody', {}, list.map((/** @type {any} */ d) => {
          const r = d.last && fixed.get(d.last.id);
          const st = d.state === 'returned' && r && !r.open ? 'Trả lại — xã đã sửa' : (STATE[d.state] || d.state);
          return h('tr', { 'data-testid': 'or-decision-row', 'data-state': d.state },
            h('td', { text: d.household_code || d.household_id }), h('td', { text: d.head_name }),
            h('td', { 'data-testid': 'or-decision-state', text: st }),
            h('td', { text: d.last && d.last.reason ? `${d.last.reason}${d.last.device_short_code ? ` (máy ${d.last.device_short_code})` : ''}` : '' }));
        }))));
  }

  const changes = h('section', { class: 'panel', id: 'or-changes', 'data-testid': 'or-changes' });
  async function drawChanges() {
    const list = (await officeIpc.changeRequests()).filter((/** @type {any} */ c) => !commune || c.commune_code === commune);
    if (!alive) return;
    clear(changes);
    changes.appendChild(h('h2', { text: 'Yêu cầu thay đổi hồ sơ đã duyệt/khoá' }));
    changes.appendChild(h('p', { class: 'hint', text: 'Xã đã sửa hồ sơ sau khi văn phòng duyệt hoặc khoá. Bản sửa chưa được hiển thị cho đến khi văn phòng chấp nhận.' }));
    if (!list.length) { changes.appendChild(h('p', { class: 'empty', text: 'Không có yêu cầu nào.' })); return; }
    changes.appendChild(h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, h('th', { text: 'Mã yêu cầu' }), h('th', { text: 'Hộ' }), h('th', { text: 'Thay đổi' }), h('th', { text: 'Thời gian (máy xã)' }), h('th', { text: '' }))),
      h('tbody', {}, list.map((/** @type {any} */ c) => {
        const accept = h('button', { type: 'button', class: 'primary', 'data-testid': 'or-change-accept', text: 'Chấp nhận' });
        const refuse = h('button', { type: 'button', 'data-testid': 'or-change-refuse', text: 'Từ chối' });
        accept.addEventListener('click', async () => {
          try { await officeIpc.decideChange(c.id, true); ctx.toast('Đã chấp nhận; bản sửa được áp dụng như sửa của văn phòng.'); await redrawParts(); } catch (e) { fail(e); }
        });
        refuse.addEventListener('click', async () => {
          try { await officeIpc.decideChange(c.id, false); ctx.toast('Đã từ chối yêu cầu thay đổi.'); await redrawParts(); } catch (e) { fail(e); }
        });
        return h('tr', { 'data-testid': 'or-change-row' },
          h('td', { text: c.short_id }), h('td', { text: c.household_code || c.row_id }),
          h('td', {}, h('ul', {}, Object.entries(c.fields).map(([f, v]) => h('li', { text: `${FIELD[f] || f}: ${show(/** @type {any} */ (v).current)} → ${show(/** @type {any} */ (v).proposed)}` })))),
          h('td', { text: formatDateTime(c.device_time) }),
          h('td', {}, h('div', { class: 'actions' }, accept, refuse)));
      }))));
  }

  const dups = h('section', { class: 'panel', id: 'or-duplicates', 'data-testid': 'or-duplicates' });
  async function drawDuplicates() {
    const all = await officeIpc.duplicates();
    if (!alive) return;
    const list = all.filter((/** @type {any} */ p) => !commune || p.a.commune_code === commune || p.b.commune_code === commune);
    clear(dups);
    dups.appendChild(h('h2', { text: 'Người có thể trùng giữa các xã' }));
    dups.appendChild(h('p', { class: 'hint', text: 'Cùng số định danh là trùng; cùng họ tên (không dấu) và ngày sinh là có thể trùng. Gộp: giữ một bản ghi, bản kia được đánh dấu là bản trùng (không bị xoá).' }));
    if (!list.length) { dups.appendChild(h('p', { class: 'empty', text: 'Không có cặp nào cần xem xét.' })); return; }
    /** @param {any} r */
    const card = (r) => h('dl', { class: 'facts' },
      h('dt', { text: 'Xã' }), h('dd', { text: `${r.commune_name || ''} (${r.commune_code || ''})` }),
      h('dt', { text: 'Thôn/xóm' }), h('dd', { text: r.village || '' }),
      h('dt', { text: 'Mã hộ' }), h('dd', { text: r.household_code || '' }),
      h('dt', { text: 'Chủ hộ' }), h('dd', { text: r.head_name }),
      h('dt', { text: 'Họ và tên' }), h('dd', { 'data-testid': 'or-dup-name', text: r.full_name }),
      h('dt', { text: 'Ngày sinh' }), h('dd', { text: formatDate(r.birth_date) }),
      h('dt', { text: 'Số định danh' }), h('dd', { text: r.id_number || '—' }));
    for (const p of list) {
      const keepA = h('button', { type: 'button', class: 'primary', 'data-testid': 'or-dup-merge', text: 'Gộp, giữ bản bên trái' });
      const keepB = h('button', { type: 'button', 'data-testid': 'or-dup-merge-b', text: 'Gộp, giữ bản bên phải' });
      const distinct = h('button', { type: 'button', 'data-testid': 'or-dup-distinct', text: 'Không phải cùng một người' });
      /** @param {string} keep @param {string} other @param {boolean} merge @param {string} msg */
      const act = (keep, other, merge, msg) => async () => {
        try { await officeIpc.decideDuplicate(keep, other, merge); ctx.toast(msg); await redrawParts(); } catch (e) { fail(e); }
      };
      keepA.addEventListener('click', act(p.a.member_id, p.b.member_id, true, 'Đã gộp; cả hai xã sẽ nhận quyết định.'));
      keepB.addEventListener('click', act(p.b.member_id, p.a.member_id, true, 'Đã gộp; cả hai xã sẽ nhận quyết định.'));
      distinct.addEventListener('click', act(p.a.member_id, p.b.member_id, false, 'Đã ghi nhận: không phải cùng một người.'));
      dups.appendChild(h('div', { class: 'dup-pair', 'data-testid': 'or-dup-pair', 'data-kind': p.kind },
        h('h3', { text: p.kind === 'same_id' ? 'Trùng số định danh' : 'Có thể trùng (cùng tên, cùng ngày sinh)' }),
        h('table', { class: 'list' }, h('tbody', {}, h('tr', {}, h('td', {}, card(p.a)), h('td', {}, card(p.b))))),
        h('div', { class: 'actions' }, keepA, keepB, distinct)));
    }
  }

  async function redrawParts() {
    await Promise.all([drawDecisions(), drawChanges(), drawDuplicates()]);
  }

  async function drawOffice() {
    const communes = await exchangeIpc.consolidated();
    if (!alive) return;
    if (!commune && communes.length === 1) commune = communes[0].commune_code;
    body.appendChild(communePicker(communes));
    if (commune) {
      const devices = (status.devices || []).filter((/** @type {any} */ d) => d.commune_code === commune && d.role !== 'office' && d.cert_serial != null);
      body.appendChild(householdForm(devices));
      body.appendChild(roundForm(await officeIpc.communeRounds(commune)));
      body.appendChild(decisions);
    }
    body.appendChild(changes);
    body.appendChild(dups);
    await redrawParts();
  }

  async function redraw() {
    clear(body);
    try {
      status = await exchangeIpc.status();
      if (!alive) return;
      if (status.role === 'office') await drawOffice();
      else await drawCommune();
    } catch (e) { fail(e); }
  }

  redraw();
  return () => { alive = false; };
}
