// @ts-check
/**
 * The USB exchange screen (trao đổi dữ liệu), route #/exchange. At a commune: this device's
 * short code and enrolment, "Xuất gói" to a folder, "Nhập gói" from a folder (dry run first,
 * then "Áp dụng" with a progress bar and the per-package report), and the package history.
 * At an office additionally: the consolidated view of all communes, the open review items and
 * the "Sửa trường" correction with a mandatory reason. Every check and message is the core's;
 * the folder comes from the dialog plugin, or from GIAMNGHEO_EXCHANGE_DIR when the app was
 * started with it (tests cannot drive a native dialog).
 * @module screens/exchange
 */
import { h, clear, select } from '../dom.js';
import { field, showIssues } from '../forms.js';
import { formatDateTime, formatNumber } from '../lib/format.js';
import { pickFolder } from '../ipc.js';
import { exchangeIpc } from '../exchange-ipc.js';
import { householdFinder } from '../household-finder.js';

/** @type {Record<string, string>} */
const STATUS = { imported: 'Nhận được', duplicate: 'Trùng (đã có)', rejected: 'Từ chối', quarantined: 'Cách ly' };
/** @type {Record<string, string>} */
const ROLE = { office: 'Văn phòng', commune_officer: 'Máy cán bộ xã', reviewer: 'Máy rà soát viên' };
/** @type {Record<string, string>} */
const CONFLICT = { overlap: 'Sửa cùng lúc', delete_vs_edit: 'Sửa bản ghi đã xoá', locked_edit: 'Sửa bản ghi đã khoá', duplicate_person: 'Có thể trùng người' };
/** Household fields an office may correct here (the core checks them again). */
const FIELDS = [
  { code: 'note', label: 'Ghi chú' },
  { code: 'address', label: 'Địa chỉ' },
];

/** @param {number} n */
function size(n) {
  if (n < 1024) return `${formatNumber(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1).replace('.', ',')} KB`;
  return `${(n / 1024 / 1024).toFixed(1).replace('.', ',')} MB`;
}

/** @param {string} p */
function baseName(p) {
  return p.split(/[\\/]/).pop() || p;
}

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  let alive = true;
  /** @type {string|null} */
  let preset = null;
  /** @type {any} */
  let status = null;
  /** The last saved correction, kept across the redraw that follows it. */
  let correctionNote = '';

  /** @param {string} title */
  async function folder(title) {
    if (preset) return preset;
    return pickFolder(title);
  }
  /** @param {any} e */
  const fail = (e) => ctx.toast(e && e.message ? e.message : String(e), 'error');

  const me = h('section', { class: 'panel', id: 'ex-me', 'data-testid': 'ex-me' });
  const exportOut = h('div', { id: 'ex-export-result', 'data-testid': 'ex-export-result' });
  const exportBtn = h('button', { type: 'button', class: 'primary', id: 'ex-export', 'data-testid': 'ex-export', text: 'Xuất gói' });
  const importBtn = h('button', { type: 'button', class: 'primary', id: 'ex-import', 'data-testid': 'ex-import', text: 'Nhập gói' });
  const importOut = h('div', { id: 'ex-import-area', 'data-testid': 'ex-import-area' });
  const office = h('div', { id: 'ex-office' });
  const history = h('section', { class: 'panel', id: 'ex-history', 'data-testid': 'ex-history' });
  root.appendChild(h('div', { class: 'exchange' },
    h('h1', { text: 'Trao đổi dữ liệu' }),
    me,
    h('section', { class: 'panel', id: 'ex-export-panel' },
      h('h2', { text: 'Gửi dữ liệu' }),
      h('p', { class: 'hint', text: 'Cắm USB, bấm "Xuất gói" và chọn thư mục trên USB. Gói được mã hoá và ký; chỉ người nhận mở được.' }),
      h('div', { class: 'actions' }, exportBtn), exportOut),
    h('section', { class: 'panel', id: 'ex-import-panel' },
      h('h2', { text: 'Nhận dữ liệu' }),
      h('p', { class: 'hint', text: 'Chọn thư mục chứa các gói (.hhpkg). Chương trình kiểm tra thử trước; chưa có gì thay đổi cho đến khi bấm "Áp dụng".' }),
      h('div', { class: 'actions' }, importBtn), importOut),
    office,
    history));

  function drawMe() {
    clear(me);
    const s = status;
    me.appendChild(h('h2', { text: 'Máy này' }));
    me.appendChild(h('dl', { class: 'facts' },
      h('dt', { text: 'Mã máy' }), h('dd', { id: 'ex-short-code', 'data-testid': 'ex-short-code', text: s.short_code }),
      h('dt', { text: 'Vai trò' }), h('dd', { text: ROLE[s.role] || s.role }),
      h('dt', { text: 'Mã xã/tỉnh' }), h('dd', { text: s.commune_code }),
      h('dt', { text: 'Đăng ký' }), h('dd', { id: 'ex-enrolled', 'data-testid': 'ex-enrolled', text: s.role === 'office' ? 'Máy văn phòng (cấp chứng thư cho các máy của xã)' : s.enrolled ? 'Đã đăng ký với văn phòng' : 'Chưa đăng ký — chưa gửi được dữ liệu' })));
    me.appendChild(h('p', {}, h('a', { href: '#/enrolment', id: 'ex-enrolment-link', 'data-testid': 'ex-enrolment-link', text: s.role === 'office' ? 'Đăng ký thiết bị, tệp khoá và đổi khoá…' : 'Đăng ký thiết bị và khoá văn phòng…' })));
    if (s.stale_copy) me.appendChild(h('p', { class: 'summary error', role: 'alert', text: s.stale_copy }));
    if (s.office_restored) me.appendChild(h('p', { class: 'summary warn', role: 'alert', id: 'ex-office-restored', text: s.office_restored }));
    me.appendChild(h('p', {}, h('a', { href: '#/office-review', id: 'ex-office-review', 'data-testid': 'ex-office-review',
      text: s.role === 'office' ? 'Xem xét của văn phòng: duyệt, trả lại, khoá, yêu cầu thay đổi, người trùng →' : 'Việc cần sửa do văn phòng trả lại →' })));
    if (!s.enrolled && s.role !== 'office') me.appendChild(enrolRequestForm());
  }

  function enrolRequestForm() {
    const out = h('p', { id: 'ex-enrol-out' });
    const btn = h('button', { type: 'button', id: 'ex-enrol-request', text: 'Tạo yêu cầu đăng ký' });
    btn.addEventListener('click', async () => {
      try {
        const dir = await folder('Chọn thư mục để ghi yêu cầu đăng ký');
        if (!dir) return;
        const r = await exchangeIpc.enrolmentRequest(dir);
        out.textContent = `Đã ghi ${baseName(r.file)} (${size(Number(r.bytes))}). Dấu vân tay để đọc cho văn phòng: ${r.fingerprint}`;
      } catch (e) { fail(e); }
    });
    return h('div', {}, h('div', { class: 'actions' }, btn), out);
  }

  function enrolAcceptForm() {
    const file = h('input', { type: 'text', id: 'ex-accept-file', placeholder: 'đường dẫn tệp yêu cầu .hhpkg', autocomplete: 'off' });
    const fp = h('input', { type: 'text', id: 'ex-accept-fp', placeholder: 'dấu vân tay xã đọc qua điện thoại', autocomplete: 'off' });
    const out = h('p', { id: 'ex-accept-out' });
    const btn = h('button', { type: 'submit', id: 'ex-accept', text: 'Cấp chứng thư' });
    const form = h('form', { class: 'subform', novalidate: true },
      h('h3', { text: 'Cấp chứng thư cho máy của xã' }),
      h('div', { class: 'form-col' }, field('file', 'Tệp yêu cầu', file), field('fingerprint', 'Dấu vân tay', fp)),
      h('div', { class: 'actions' }, btn), out);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const dir = await folder('Chọn thư mục để ghi gói trả lời');
        if (!dir) return;
        const r = await exchangeIpc.acceptEnrolment(/** @type {HTMLInputElement} */ (file).value.trim(), /** @type {HTMLInputElement} */ (fp).value, dir);
        out.textContent = `Đã cấp mã ${r.short_code}; gói trả lời: ${baseName(r.file)}.`;
        await refresh();
      } catch (e) { fail(e); }
    });
    return form;
  }

  exportBtn.addEventListener('click', async () => {
    try {
      const dir = await folder('Chọn thư mục trên USB để ghi gói');
      if (!dir) return;
      exportBtn.setAttribute('disabled', '');
      const res = await exchangeIpc.exportTo(dir);
      clear(exportOut);
      exportOut.appendChild(h('table', { class: 'list', 'aria-label': 'Gói đã xuất' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Tệp' }), h('th', { text: 'Gửi đến' }), h('th', { class: 'num', text: 'Thao tác' }),
          h('th', { class: 'num', text: 'Dung lượng' }), h('th', { text: 'Mã kiểm tra' }))),
        h('tbody', {}, res.map((/** @type {any} */ r) => h('tr', { 'data-testid': 'ex-export-row' },
          h('td', { 'data-testid': 'ex-export-file', text: r.file_name }), h('td', { text: r.receiver }),
          h('td', { class: 'num', text: formatNumber(Number(r.ops)) }), h('td', { class: 'num', text: size(Number(r.bytes)) }),
          h('td', { 'data-testid': 'ex-export-hash', text: r.short_hash }))))));
      exportOut.appendChild(h('p', { class: 'summary ok', id: 'ex-safe', 'data-testid': 'ex-safe', text: `Đã ghi xong ${res.length} gói vào ${dir}. Có thể rút USB an toàn.` }));
      exportOut.scrollIntoView({ block: 'start' });
      await refresh();
    } catch (e) { fail(e); } finally { exportBtn.removeAttribute('disabled'); }
  });

  /**
   * @param {any[]} reports
   * @param {string} id
   */
  function reportTable(reports, id) {
    return h('table', { class: 'list', id, 'data-testid': id },
      h('thead', {}, h('tr', {}, h('th', { text: 'Tệp' }), h('th', { text: 'Trạng thái' }), h('th', { text: 'Lý do' }),
        h('th', { class: 'num', text: 'Thao tác mới' }), h('th', { class: 'num', text: 'Trùng' }), h('th', { class: 'num', text: 'Xung đột' }))),
      h('tbody', {}, reports.map((r) => h('tr', { 'data-testid': `${id}-row`, 'data-status': r.status },
        h('td', { text: baseName(r.file) }), h('td', { 'data-testid': `${id}-status`, text: STATUS[r.status] || r.status }),
        h('td', { text: r.reason || '' }), h('td', { class: 'num', 'data-testid': `${id}-new`, text: formatNumber(Number(r.ops_new)) }),
        h('td', { class: 'num', text: formatNumber(Number(r.ops_duplicate)) }), h('td', { class: 'num', text: formatNumber(Number(r.conflicts)) })))));
  }

  importBtn.addEventListener('click', async () => {
    try {
      const dir = await folder('Chọn thư mục chứa gói cần nhập');
      if (!dir) return;
      importBtn.setAttribute('disabled', '');
      const dry = await exchangeIpc.dryRun([dir]);
      clear(importOut);
      importOut.appendChild(h('h3', { text: 'Kiểm tra thử (chưa thay đổi gì)' }));
      importOut.appendChild(reportTable(dry, 'ex-dry'));
      const usable = dry.some((/** @type {any} */ r) => r.status === 'imported');
      const apply = h('button', { type: 'button', class: 'primary', id: 'ex-apply', 'data-testid': 'ex-apply', text: 'Áp dụng', disabled: !usable });
      const cancel = h('button', { type: 'button', id: 'ex-cancel', text: 'Hủy' });
      cancel.addEventListener('click', () => clear(importOut));
      importOut.appendChild(h('div', { class: 'actions' }, apply, cancel));
      if (!usable) importOut.appendChild(h('p', { class: 'hint', text: 'Không có gói nào nhập được.' }));
      importOut.scrollIntoView({ block: 'start' });
      apply.addEventListener('click', async () => {
        apply.setAttribute('disabled', '');
        cancel.setAttribute('disabled', '');
        const bar = /** @type {HTMLProgressElement} */ (h('progress', { id: 'ex-progress', 'data-testid': 'ex-progress', max: String(dry.length), value: '0' }));
        const label = h('span', { id: 'ex-progress-label', text: `0 / ${dry.length} gói` });
        importOut.appendChild(h('div', { class: 'progress' }, bar, label));
        try {
          const done = await exchangeIpc.importPaths([dir], (p) => {
            bar.max = p.total; bar.value = p.done;
            label.textContent = `${p.done} / ${p.total} gói`;
          });
          importOut.appendChild(h('h3', { text: 'Kết quả nhập' }));
          importOut.appendChild(reportTable(done, 'ex-report'));
          ctx.toast('Đã nhập xong.');
          await refresh();
          importOut.scrollIntoView({ block: 'start' });
        } catch (e) { fail(e); }
      });
    } catch (e) { fail(e); } finally { importBtn.removeAttribute('disabled'); }
  });

  async function drawOffice() {
    clear(office);
    if (status && status.role !== 'office') {
      // A commune laptop: the review items it holds, one link to the review screen.
      const open = await exchangeIpc.conflicts();
      if (alive && open.length) {
        office.appendChild(h('section', { class: 'panel', id: 'ex-conflicts', 'data-testid': 'ex-conflicts' },
          h('h2', { text: 'Mục cần xem xét' }),
          h('p', {}, h('a', { href: '#/conflicts', id: 'ex-conflicts-all', text: `${open.length} mục cần xem xét — xem và xử lý…` }))));
      }
      return;
    }
    if (!status) return;
    const [communes, conflicts] = await Promise.all([exchangeIpc.consolidated(), exchangeIpc.conflicts()]);
    if (!alive) return;
    office.appendChild(h('section', { class: 'panel', id: 'ex-communes', 'data-testid': 'ex-communes' },
      h('h2', { text: 'Tổng hợp các xã' }),
      communes.length === 0 ? h('p', { class: 'empty', text: 'Chưa nhận được dữ liệu của xã nào.' }) :
        h('table', { class: 'list' },
          h('thead', {}, h('tr', {}, h('th', { text: 'Xã' }), h('th', { class: 'num', text: 'Thiết bị' }), h('th', { text: 'Gói gần nhất' }),
            h('th', { class: 'num', text: 'Gói đã nhận' }), h('th', { class: 'num', text: 'Hộ đã rà soát / hộ trong sổ' }), h('th', { class: 'num', text: 'Xung đột mở' }))),
          h('tbody', {}, communes.map((/** @type {any} */ c) => h('tr', { 'data-testid': 'ex-commune-row', 'data-code': c.commune_code },
            h('td', { 'data-testid': 'ex-commune-name', text: `${c.name || ''} (${c.commune_code})` }),
            h('td', { class: 'num', text: `${c.devices}${c.flagged_devices ? ` (${c.flagged_devices} bị đánh dấu)` : ''}` }),
            h('td', { text: c.last_package_at ? formatDateTime(c.last_package_at) : '—' }),
            h('td', { class: 'num', text: formatNumber(Number(c.packages_received)) }),
            h('td', { class: 'num', 'data-testid': 'ex-commune-households', text: `${formatNumber(Number(c.households_reviewed))} / ${formatNumber(Number(c.households))}` }),
            h('td', { class: 'num', 'data-testid': 'ex-commune-conflicts', text: formatNumber(Number(c.open_conflicts)) })))))));
    office.appendChild(h('section', { class: 'panel', id: 'ex-conflicts', 'data-testid': 'ex-conflicts' },
      h('h2', { text: 'Mục cần xem xét' }),
      conflicts.length === 0 ? h('p', { class: 'empty', text: 'Không có mục nào.' }) :
        h('ul', { id: 'ex-conflict-list' }, conflicts.map((/** @type {any} */ c) => h('li', { 'data-testid': 'ex-conflict' },
          h('a', { href: `#/conflicts/item/${[c.entity, c.row_id, c.field].map(encodeURIComponent).join('/')}`, 'data-testid': 'ex-conflict-link', text: `${CONFLICT[c.kind] || c.kind}: ${c.entity} ${c.row_id}, trường ${c.field}` })))),
      conflicts.length ? h('p', {}, h('a', { href: '#/conflicts', id: 'ex-conflicts-all', text: 'Xem và xử lý từng mục…' })) : null));
    office.appendChild(correctionForm());
    office.appendChild(h('section', { class: 'panel', id: 'ex-enrol-accept' }, enrolAcceptForm()));
  }

  function correctionForm() {
    const { search, find, pick } = householdFinder(ctx, 'ex', () => '', fail);
    const fieldSel = /** @type {HTMLSelectElement} */ (select({ id: 'ex-field', 'data-testid': 'ex-field' }, FIELDS, 'note'));
    const value = h('input', { type: 'text', id: 'ex-value', 'data-testid': 'ex-value', autocomplete: 'off' });
    const reason = h('input', { type: 'text', id: 'ex-reason', 'data-testid': 'ex-reason', autocomplete: 'off' });
    const summary = h('div', { class: 'summary', id: 'ex-correct-summary', hidden: true });
    const done = h('p', { id: 'ex-correct-done', 'data-testid': 'ex-correct-done', class: correctionNote ? 'summary ok' : undefined, text: correctionNote });
    const form = h('form', { class: 'panel', id: 'ex-correct', 'data-testid': 'ex-correct', novalidate: true },
      h('h2', { text: 'Sửa trường (kèm lý do)' }),
      h('p', { class: 'hint', text: 'Văn phòng sửa dữ liệu của xã phải ghi lý do; xã nhận bản sửa và lý do trong gói trả về.' }),
      summary,
      h('div', { class: 'form-col' },
        h('div', { class: 'field' }, h('span', { class: 'label', text: 'Tìm hộ' }), search, find),
        field('row_id', 'Hộ', pick), field('field', 'Trường', fieldSel),
        field('value', 'Giá trị mới', value), field('reason', 'Lý do sửa (bắt buộc)', reason)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'ex-correct-submit', 'data-testid': 'ex-correct-submit', text: 'Lưu bản sửa' })),
      done);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      done.textContent = '';
      correctionNote = '';
      if (!pick.value) {
        showIssues(form, summary, [{ field: 'row_id', message: 'Hãy chọn hộ cần sửa.' }], 'Chưa lưu được bản sửa.');
        return;
      }
      try {
        await exchangeIpc.correct('household', pick.value, fieldSel.value, /** @type {HTMLInputElement} */ (value).value, /** @type {HTMLInputElement} */ (reason).value);
        showIssues(form, summary, [], '');
        correctionNote = `Đã lưu bản sửa “${fieldSel.options[fieldSel.selectedIndex].text}” của hộ ${pick.options[pick.selectedIndex].text}. Xuất gói để gửi về xã.`;
        await refresh();
        document.getElementById('ex-correct')?.scrollIntoView({ block: 'start' });
      } catch (e) {
        const err = /** @type {any} */ (e);
        const issues = err.fields && err.fields.length ? err.fields : [{ field: '', message: err.message }];
        showIssues(form, summary, issues, 'Chưa lưu được bản sửa.');
      }
    });
    return form;
  }

  function drawHistory() {
    clear(history);
    const s = status;
    history.appendChild(h('h2', { text: 'Lịch sử gói' }));
    const pendingTo = new Map((s.pending || []).map((/** @type {any} */ p) => [p.short_code, Number(p.ops)]));
    /** @type {HTMLElement[]} */
    const rows = [];
    for (const p of s.sent || []) {
      const waiting = pendingTo.get(p.receiver);
      const state = waiting === 0 ? 'Đã gửi — đã xác nhận' : 'Đã gửi — chờ xác nhận';
      rows.push(h('tr', { 'data-testid': 'ex-history-row', 'data-direction': 'out', 'data-time': p.device_time },
        h('td', { text: formatDateTime(p.device_time) }), h('td', { text: state }), h('td', { text: `${p.sender} → ${p.receiver}` }),
        h('td', { text: p.file_name }), h('td', { class: 'num', text: formatNumber(Number(p.ops)) }), h('td', { text: p.reason || '' })));
    }
    for (const p of s.received || []) {
      rows.push(h('tr', { 'data-testid': 'ex-history-row', 'data-direction': 'in', 'data-time': p.device_time },
        h('td', { text: formatDateTime(p.device_time) }), h('td', { text: `Đã nhận — ${STATUS[p.status] || p.status}` }),
        h('td', { text: `${p.sender} → ${p.receiver}` }), h('td', { text: p.file_name }),
        h('td', { class: 'num', text: formatNumber(Number(p.ops_new)) }), h('td', { text: p.reason || '' })));
    }
    rows.sort((a, b) => (b.getAttribute('data-time') || '').localeCompare(a.getAttribute('data-time') || ''));
    history.appendChild(rows.length === 0 ? h('p', { class: 'empty', text: 'Chưa gửi hay nhận gói nào.' }) :
      h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Thời gian' }), h('th', { text: 'Trạng thái' }), h('th', { text: 'Gửi → nhận' }),
          h('th', { text: 'Tệp' }), h('th', { class: 'num', text: 'Thao tác' }), h('th', { text: 'Ghi chú' }))),
        h('tbody', {}, rows)));
    const waiting = (s.pending || []).filter((/** @type {any} */ p) => Number(p.ops) > 0);
    if (waiting.length) {
      history.appendChild(h('p', { class: 'hint', id: 'ex-pending', text: 'Chờ gửi: ' + waiting.map((/** @type {any} */ p) => `${formatNumber(Number(p.ops))} thao tác cho ${p.short_code}`).join('; ') }));
    }
  }

  async function refresh() {
    try {
      status = await exchangeIpc.status();
      if (!alive) return;
      drawMe();
      drawHistory();
      await drawOffice();
    } catch (e) { fail(e); }
  }

  (async () => {
    try { preset = await exchangeIpc.presetDir(); } catch { preset = null; }
    await refresh();
  })();
  return () => { alive = false; };
}
