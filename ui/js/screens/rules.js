// @ts-check
/**
 * Rule sets (chuẩn nghèo): the sets this office knows (built in and loaded), and loading an
 * updated rule-set file from the province — pasted or opened — which the core validates and
 * compares with the current version; the office sees the differences before accepting.
 * @module screens/rules
 */
import { h, clear } from '../dom.js';
import { formatDate, formatMoney } from '../lib/format.js';
import { reviewIpc } from '../review-ipc.js';

/** Rule-set files are small (tens of kB); anything far larger is not one. */
const MAX_FILE = 2 * 1024 * 1024;

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  let alive = true;
  const tbody = h('tbody', { id: 'rulesets-rows' });
  const file = /** @type {HTMLInputElement} */ (h('input', { type: 'file', id: 'ruleset-file', 'data-testid': 'ruleset-file', accept: '.json,application/json' }));
  const text = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'ruleset-json', 'data-testid': 'ruleset-json', rows: '8', spellcheck: 'false', placeholder: 'Dán nội dung tệp chuẩn nghèo (JSON) vào đây, hoặc chọn tệp ở trên.' }));
  const previewBtn = h('button', { type: 'button', id: 'ruleset-preview', 'data-testid': 'ruleset-preview', text: 'Kiểm tra và xem thay đổi' });
  const out = h('div', { id: 'ruleset-diff', 'data-testid': 'ruleset-diff' });

  const screen = h('section', { class: 'review rules', id: 'rules', 'data-testid': 'rules' },
    h('div', { class: 'head-line' }, h('a', { href: '#/rounds', text: '‹ Rà soát' }), h('h1', { text: 'Chuẩn nghèo' })),
    h('section', { class: 'panel' },
      h('h2', { text: 'Các chuẩn nghèo đang có' }),
      h('table', { class: 'list compact', 'aria-label': 'Các chuẩn nghèo' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Chuẩn' }), h('th', { class: 'num', text: 'Phiên bản' }), h('th', { text: 'Hiệu lực' }),
          h('th', { text: 'Chuẩn thu nhập (nông thôn / thành thị)' }), h('th', { text: 'Ngưỡng điểm A' }), h('th', { text: 'Chỉ số' }), h('th', { text: 'Căn cứ pháp lý' }))),
        tbody)),
    h('section', { class: 'panel' },
      h('h2', { text: 'Nạp tệp chuẩn nghèo cập nhật' }),
      h('p', { class: 'hint', text: 'Tệp do tỉnh cung cấp. Chương trình kiểm tra tệp và cho xem các thay đổi trước khi nạp; đợt rà soát đã tạo vẫn dùng phiên bản cũ của nó.' }),
      h('div', { class: 'toolbar' }, h('label', { for: 'ruleset-file', text: 'Mở tệp:' }), file),
      text,
      h('div', { class: 'actions' }, previewBtn),
      out));
  root.appendChild(screen);

  async function loadList() {
    try {
      const sets = await reviewIpc.ruleSets();
      if (!alive) return;
      clear(tbody);
      for (const s of sets) {
        tbody.appendChild(h('tr', { 'data-testid': 'ruleset-row', 'data-id': s.id, 'data-version': String(s.version) },
          h('td', {}, h('strong', { text: s.label }), s.label.replace(/–/g, '-') === s.id ? null : h('div', { class: 'hint', text: s.id })),
          h('td', { class: 'num', text: String(s.version) }),
          h('td', { text: `${formatDate(s.valid_from)} – ${formatDate(s.valid_to)}` }),
          h('td', { text: `${formatMoney(s.income_line_rural)} / ${formatMoney(s.income_line_urban)}` }),
          h('td', { text: s.score_a_line_rural !== null ? `≤ ${s.score_a_line_rural} / ≤ ${s.score_a_line_urban}` : 'chưa có' }),
          h('td', { text: `${s.indicators}${s.provisional_indicators ? ` (${s.provisional_indicators} tạm thời)` : ''}` }),
          h('td', { class: 'explain', text: s.legal_basis })));
      }
      screen.setAttribute('data-loaded', 'true');
    } catch (e) {
      if (!alive) return;
      ctx.toast(/** @type {any} */ (e).message, 'error');
    }
  }

  file.addEventListener('change', () => {
    const f = file.files && file.files[0];
    if (!f) return;
    if (f.size > MAX_FILE) { ctx.toast('Tệp quá lớn, không phải tệp chuẩn nghèo.', 'error'); return; }
    const reader = new FileReader();
    reader.onload = () => { text.value = String(reader.result || ''); preview(); };
    reader.onerror = () => ctx.toast('Không đọc được tệp đã chọn.', 'error');
    reader.readAsText(f, 'utf-8');
  });
  previewBtn.addEventListener('click', preview);

  async function preview() {
    const json = text.value;
    clear(out);
    if (!json.trim()) { out.appendChild(h('p', { class: 'msg error', text: 'Chưa có nội dung tệp.' })); return; }
    try {
      const p = await reviewIpc.previewRuleSet(json);
      if (!alive) return;
      drawPreview(p, json);
      out.scrollIntoView({ block: 'start' });
    } catch (e) {
      if (!alive) return;
      out.appendChild(h('div', { class: 'summary error', role: 'alert', 'data-testid': 'ruleset-error', text: /** @type {any} */ (e).message }));
    }
  }

  /** @param {any} p RuleSetPreview @param {string} json */
  function drawPreview(p, json) {
    clear(out);
    const s = p.set;
    out.appendChild(h('p', { 'data-testid': 'ruleset-what' }, h('strong', { text: `${s.label} — phiên bản ${s.version}` }),
      ` (${s.legal_short}; hiệu lực ${formatDate(s.valid_from)} – ${formatDate(s.valid_to)})`));
    if (p.already_known) {
      out.appendChild(h('p', { class: 'hint', 'data-testid': 'ruleset-known', text: 'Phiên bản này đã có trong chương trình; nạp lại không thay đổi gì.' }));
    } else if (!p.current) {
      out.appendChild(h('p', { text: 'Đây là chuẩn nghèo mới, chưa có phiên bản nào trong chương trình.' }));
    } else {
      out.appendChild(h('p', { text: `So với phiên bản ${p.current.version} đang dùng:` }));
    }
    if (p.changes && p.changes.length) {
      out.appendChild(h('ul', { class: 'diff', id: 'ruleset-changes', 'data-testid': 'ruleset-changes' },
        p.changes.map((/** @type {any} */ c) => h('li', { 'data-testid': 'ruleset-change' }, h('code', { text: c.path }), ' — ', c.description))));
    } else if (p.current && !p.already_known) {
      out.appendChild(h('p', { class: 'hint', text: 'Không có thay đổi nào về nội dung.' }));
    }
    const accept = h('button', { type: 'button', class: 'primary', id: 'ruleset-accept', 'data-testid': 'ruleset-accept', text: 'Chấp nhận và nạp' });
    accept.addEventListener('click', async () => {
      accept.setAttribute('disabled', '');
      try {
        const loaded = await reviewIpc.loadRuleSet(json);
        if (!alive) return;
        ctx.toast(`Đã nạp chuẩn nghèo ${loaded.label}, phiên bản ${loaded.version}.`);
        clear(out);
        text.value = '';
        file.value = '';
        loadList();
      } catch (e) {
        if (!alive) return;
        accept.removeAttribute('disabled');
        out.appendChild(h('div', { class: 'summary error', role: 'alert', text: /** @type {any} */ (e).message }));
      }
    });
    out.appendChild(h('div', { class: 'actions' }, accept));
  }

  loadList();
  return () => { alive = false; };
}
