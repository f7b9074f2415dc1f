// @ts-check
/**
 * The household register (sổ hộ): one page of households at a time from the core (offset /
 * limit), so it stays fast with tens of thousands of households. Search is debounced and only the
 * newest answer is drawn; the core ignores case and diacritics. Keyboard: `/` search, ↑/↓ move,
 * Enter open, PgUp/PgDn page, Ctrl+N (or Insert) new household.
 * @module screens/register
 */
import { h, clear, select } from '../dom.js';
import { debounce, latestOnly } from '../lib/debounce.js';
import { formatNumber, pageRange } from '../lib/format.js';

const PAGE = 50;
const FLAGS = [
  { code: 'ethnic_minority', label: 'Hộ DTTS' },
  { code: 'no_labour', label: 'Không có khả năng lao động' },
  { code: 'merit', label: 'Có người có công' },
];

/** Kept between visits so going back from a household returns to the same place. */
const memo = { search: '', village_id: '', flags: /** @type {string[]} */ ([]), offset: 0, active: 0 };

/**
 * Vietnamese label and style for the household's class.
 * @param {string|null|undefined} cls
 */
export function classLabel(cls) {
  switch (cls) {
    case 'poor': return { text: 'Hộ nghèo', css: 'poor' };
    case 'near_poor': return { text: 'Hộ cận nghèo', css: 'near' };
    case 'average': return { text: 'Hộ có mức sống trung bình', css: '' };
    case 'not_poor': return { text: 'Không thuộc hộ nghèo, cận nghèo', css: '' };
    case null: case undefined: case '': return { text: 'Chưa rà soát', css: '' };
    default: return { text: cls, css: '' };
  }
}

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  const villages = (ctx.info && ctx.info.villages) || [];
  const search = /** @type {HTMLInputElement} */ (h('input', {
    type: 'search', id: 'register-search', 'data-testid': 'register-search', value: memo.search,
    placeholder: 'Tìm tên, mã hộ, địa chỉ (gõ không dấu được)', title: 'Tìm theo tên chủ hộ hoặc thành viên, mã hộ, địa chỉ; không phân biệt hoa thường và dấu', 'aria-label': 'Tìm hộ', autocomplete: 'off',
  }));
  const village = /** @type {HTMLSelectElement} */ (select({ id: 'register-village', 'data-testid': 'register-village', 'aria-label': 'Lọc theo thôn' },
    villages.map((/** @type {any} */ v) => ({ code: v.id, label: v.name })), memo.village_id, 'Tất cả thôn/xóm'));
  const flagBoxes = FLAGS.map((f) => {
    const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: `flag-${f.code}`, 'data-testid': `flag-${f.code}`, value: f.code, checked: memo.flags.includes(f.code) }));
    return { box, el: h('label', { for: box.id }, box, ' ' + f.label) };
  });
  const count = h('span', { id: 'register-count', 'data-testid': 'register-count', class: 'hint' });
  const prev = h('button', { type: 'button', id: 'page-prev', 'data-testid': 'page-prev', text: '‹ Trang trước' });
  const next = h('button', { type: 'button', id: 'page-next', 'data-testid': 'page-next', text: 'Trang sau ›' });
  const pageInfo = h('span', { id: 'page-info', 'data-testid': 'page-info' });
  const addBtn = h('button', { type: 'button', class: 'primary', id: 'add-household', 'data-testid': 'add-household', text: '+ Thêm hộ' });
  const tbody = h('tbody', { id: 'register-rows' });
  const status = h('div', { class: 'empty', id: 'register-status', hidden: true });
  const table = h('table', { class: 'list', id: 'register-table', 'aria-label': 'Danh sách hộ' },
    h('thead', {}, h('tr', {},
      h('th', { text: 'Mã hộ' }), h('th', { text: 'Chủ hộ' }), h('th', { text: 'Thôn/xóm' }),
      h('th', { class: 'num', text: 'Số nhân khẩu' }), h('th', { text: 'Địa chỉ' }), h('th', { text: 'Phân loại' }))),
    tbody);
  const wrap = h('div', { class: 'table-wrap', tabindex: '-1' }, table, status);

  const screen = h('section', { class: 'register', id: 'register', 'data-testid': 'register' },
    h('div', { class: 'toolbar' },
      h('h1', { text: 'Sổ hộ gia đình' }),
      search, village,
      h('div', { class: 'flags' }, flagBoxes.map((f) => f.el))),
    h('div', { class: 'toolbar' }, addBtn, count,
      h('span', { class: 'hint' }, h('kbd', { text: '/' }), ' tìm · ', h('kbd', { text: '↑' }), h('kbd', { text: '↓' }), ' chọn · ',
        h('kbd', { text: 'Enter' }), ' mở · ', h('kbd', { text: 'PgUp' }), h('kbd', { text: 'PgDn' }), ' trang · ', h('kbd', { text: 'Ctrl+N' }), ' thêm hộ'),
      h('span', { class: 'pager' }, prev, pageInfo, next)),
    wrap);

  /** @type {any[]} */
  let items = [];
  let total = 0;
  let alive = true;
  const latest = latestOnly();

  function query() {
    return {
      search: memo.search.trim() === '' ? null : memo.search.trim(),
      village_id: memo.village_id || null,
      flags: [...memo.flags],
      offset: memo.offset,
      limit: PAGE,
    };
  }

  async function load() {
    let page;
    try {
      page = await latest(ctx.ipc.listHouseholds(query()));
    } catch (e) {
      if (!alive) return;
      status.hidden = false;
      status.textContent = 'Không tải được danh sách: ' + /** @type {any} */ (e).message;
      return;
    }
    if (!page || !alive) return; // a newer request is on its way
    items = page.items;
    total = Number(page.total);
    if (items.length === 0 && memo.offset > 0 && total > 0) {
      memo.offset = Math.max(0, Math.floor((total - 1) / PAGE) * PAGE);
      load();
      return;
    }
    memo.active = Math.min(memo.active, Math.max(0, items.length - 1));
    draw();
  }

  function draw() {
    clear(tbody);
    items.forEach((it, i) => {
      const cls = classLabel(it.class);
      const tags = [];
      if (it.ethnic_minority) tags.push(h('span', { class: 'tag', text: 'DTTS' }));
      if (it.no_labour) tags.push(h('span', { class: 'tag', text: 'Không có LĐ' }));
      if (it.merit) tags.push(h('span', { class: 'tag', text: 'Có công' }));
      const tr = h('tr', { 'data-testid': 'household-row', 'data-id': it.id, 'data-index': String(i), class: i === memo.active ? 'active' : undefined },
        h('td', { 'data-testid': 'household-code', text: it.code }),
        h('td', { 'data-testid': 'household-head', text: it.head_name }),
        h('td', { text: it.village }),
        h('td', { class: 'num', text: formatNumber(it.members) }),
        h('td', { text: it.address }),
        h('td', {}, h('span', { class: 'tag ' + cls.css, text: cls.text }), tags));
      tr.addEventListener('click', () => { memo.active = i; open(); });
      tbody.appendChild(tr);
    });
    status.hidden = items.length > 0;
    status.textContent = total === 0 && (memo.search || memo.village_id || memo.flags.length)
      ? 'Không có hộ nào khớp với điều kiện tìm.'
      : 'Chưa có hộ nào trong sổ. Nhấn “+ Thêm hộ” để bắt đầu.';
    count.textContent = `Tổng cộng ${formatNumber(total)} hộ`;
    pageInfo.textContent = pageRange(memo.offset, items.length, total);
    if (memo.offset <= 0) prev.setAttribute('disabled', ''); else prev.removeAttribute('disabled');
    if (memo.offset + items.length >= total) next.setAttribute('disabled', ''); else next.removeAttribute('disabled');
    screen.setAttribute('data-loaded', 'true');
    const row = tbody.children[memo.active];
    if (row) /** @type {HTMLElement} */ (row).scrollIntoView({ block: 'nearest' });
  }

  function setActive(/** @type {number} */ i) {
    if (!items.length) return;
    const n = Math.max(0, Math.min(items.length - 1, i));
    tbody.children[memo.active]?.classList.remove('active');
    memo.active = n;
    const row = /** @type {HTMLElement} */ (tbody.children[n]);
    row.classList.add('active');
    row.scrollIntoView({ block: 'nearest' });
  }

  function open() {
    const it = items[memo.active];
    if (it) ctx.navigate(`#/household/${encodeURIComponent(it.id)}`);
  }

  function page(/** @type {number} */ dir) {
    const off = memo.offset + dir * PAGE;
    if (off < 0 || off >= total) return;
    memo.offset = off;
    memo.active = dir > 0 ? 0 : PAGE - 1;
    load();
  }

  const searchChanged = debounce(() => { memo.offset = 0; memo.active = 0; load(); }, 200);
  search.addEventListener('input', () => { memo.search = search.value; searchChanged(); });
  village.addEventListener('change', () => { memo.village_id = village.value; memo.offset = 0; memo.active = 0; load(); });
  for (const f of flagBoxes) {
    f.box.addEventListener('change', () => {
      memo.flags = flagBoxes.filter((x) => x.box.checked).map((x) => x.box.value);
      memo.offset = 0; memo.active = 0; load();
    });
  }
  prev.addEventListener('click', () => page(-1));
  next.addEventListener('click', () => page(1));
  addBtn.addEventListener('click', () => ctx.navigate('#/household/new'));

  /** @param {KeyboardEvent} ev */
  function onKey(ev) {
    const t = /** @type {HTMLElement} */ (ev.target);
    const typing = t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
    if (ev.key === '/' && !typing) { ev.preventDefault(); search.focus(); search.select(); return; }
    if ((ev.ctrlKey && (ev.key === 'n' || ev.key === 'N')) || (ev.key === 'Insert' && !typing)) { ev.preventDefault(); ctx.navigate('#/household/new'); return; }
    if (typing && t !== search) return;
    if (ev.key === 'ArrowDown') { ev.preventDefault(); setActive(memo.active + 1); }
    else if (ev.key === 'ArrowUp') { ev.preventDefault(); setActive(memo.active - 1); }
    else if (ev.key === 'PageDown') { ev.preventDefault(); page(1); }
    else if (ev.key === 'PageUp') { ev.preventDefault(); page(-1); }
    else if (ev.key === 'Enter') {
      ev.preventDefault();
      // Enter right after typing: use the newest search first.
      if (t === search) { searchChanged.cancel(); load().then(open); } else open();
    }
  }
  document.addEventListener('keydown', onKey);

  root.appendChild(screen);
  search.focus();
  load();
  return () => { alive = false; searchChanged.cancel(); document.removeEventListener('keydown', onKey); };
}
