// @ts-check
/**
 * The conflict review screen (xem xét xung đột), routes #/conflicts (every open item),
 * #/conflicts/HOUSEHOLD_ID (one household's items) and #/conflicts/item/ENTITY/ROW/FIELD (every
 * item, that one opened). Items are grouped by household; the open item shows each competing
 * value as a radio option with who / when / which laptop / office or commune, plus "Nhập giá trị
 * khác" with the input the field needs. Enter saves, Esc goes back; after saving, the item
 * disappears and the next one gets focus. Items of other kinds (deleted or locked records,
 * possible duplicates) are listed with their name; they are decided elsewhere. Every check and
 * message is the core's.
 * @module screens/conflicts
 */
import { h, clear, select } from '../dom.js';
import { field, showIssues, focusFirstError } from '../forms.js';
import { conflictIpc } from '../conflict-ipc.js';
import { groupByHousehold, headMeta, itemKey, itemTitle, nextSelection, versionItems } from '../lib/conflicts.js';

const TYPED = '__typed';

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  let alive = true;
  const p = ctx.params;
  const householdId = p[0] && p[0] !== 'item' ? p[0] : null;
  /** @type {string|null} the open item (itemKey) */
  let selected = null;
  /** @type {{entity: string, row_id: string, field: string}|null} */
  const wanted = p[0] === 'item' && p.length >= 4 ? { entity: p[1], row_id: p[2], field: p[3] } : null;
  /** @type {import('../lib/conflicts.js').Item[]} */
  let items = [];
  const back = householdId ? `#/household/${encodeURIComponent(householdId)}` : '#/exchange';

  const list = h('div', { id: 'cf-list', 'data-testid': 'cf-list' }, h('p', { class: 'loading', text: 'Đang tải…' }));
  root.appendChild(h('section', { class: 'conflicts', id: 'conflicts', 'data-testid': 'conflicts' },
    h('div', { class: 'head-line' },
      h('a', { href: back, id: 'cf-back', text: householdId ? '‹ Về hộ' : '‹ Trao đổi dữ liệu' }),
      h('h1', { text: 'Mục cần xem xét' })),
    h('p', { class: 'hint', text: 'Hai máy đã sửa cùng một trường. Chọn giá trị đúng hoặc nhập giá trị khác; quyết định được gửi đến các máy khác trong gói xuất tiếp theo.' }),
    list));

  /** @param {KeyboardEvent} ev */
  function onKey(ev) {
    if (ev.key !== 'Escape' || document.querySelector('dialog[open]')) return;
    ev.preventDefault();
    ctx.navigate(back);
  }
  document.addEventListener('keydown', onKey);

  async function load() {
    const all = await (householdId ? conflictIpc.household(householdId) : conflictIpc.list());
    return /** @type {import('../lib/conflicts.js').Item[]} */ (all);
  }

  function draw() {
    clear(list);
    if (!items.length) {
      list.appendChild(h('p', { class: 'empty', id: 'cf-empty', 'data-testid': 'cf-empty', text: 'Không còn mục nào cần xem xét.' }));
      list.appendChild(h('p', {}, h('a', { href: back, text: householdId ? 'Về hộ' : 'Về màn hình trao đổi dữ liệu' })));
      return;
    }
    list.appendChild(h('p', { class: 'hint', id: 'cf-count', 'data-testid': 'cf-count', text: `${items.length} mục cần xem xét.` }));
    for (const g of groupByHousehold(items)) {
      list.appendChild(h('section', { class: 'panel cf-group', 'data-testid': 'cf-group', 'data-household': g.household_id || '' },
        h('h2', {}, g.household_id
          ? h('a', { href: `#/household/${encodeURIComponent(g.household_id)}`, text: g.title })
          : g.title),
        h('ul', { class: 'cf-items' }, g.items.map((it) => itemRow(it)))));
    }
  }

  /** @param {import('../lib/conflicts.js').Item} it */
  function itemRow(it) {
    const key = itemKey(it);
    const open = key === selected;
    const btn = h('button', {
      type: 'button', class: 'cf-item-btn' + (open ? ' active' : ''), 'aria-expanded': it.resolvable ? String(open) : undefined,
      'data-testid': 'cf-item-open', disabled: !it.resolvable,
    },
    h('span', { class: 'cf-kind', text: it.kind_label }), ' ',
    h('strong', { text: itemTitle(it) }),
    h('span', { class: 'hint', text: it.resolvable ? ` — đang hiện: ${it.current_display}` : ' — văn phòng xử lý mục này' }));
    btn.addEventListener('click', () => { selected = open ? null : key; draw(); focusChooser(); });
    return h('li', {
      class: 'cf-item', 'data-testid': 'cf-item', 'data-entity': it.entity, 'data-row': it.row_id, 'data-field': it.field, 'data-kind': it.kind,
    }, btn, open ? chooser(it) : null);
  }

  /** @param {import('../lib/conflicts.js').Item} it */
  function typedInput(it) {
    const attrs = { id: 'cf-value', 'data-testid': 'cf-value', 'aria-label': `Giá trị khác cho ${it.field_label}` };
    if (it.input === 'code' || it.input === 'bool' || it.input === 'tri') {
      const hasEmpty = it.options.some((o) => o.code === '');
      return select(attrs, it.options.filter((o) => o.code !== ''), '', hasEmpty ? '(trống)' : '— chọn —');
    }
    const placeholder = it.input === 'date' ? 'dd/mm/yyyy' : it.input === 'year' ? 'năm, ví dụ 1978' : '';
    return h('input', { type: 'text', autocomplete: 'off', inputmode: it.input === 'year' ? 'numeric' : undefined, placeholder, ...attrs });
  }

  /** @param {import('../lib/conflicts.js').Item} it */
  function chooser(it) {
    const summary = h('div', { class: 'summary', id: 'cf-summary', 'data-testid': 'cf-summary', hidden: true });
    const name = 'cf-choice';
    const options = it.heads.map((hd, i) => {
      const radio = h('input', { type: 'radio', name, id: `cf-opt-${i}`, value: hd.key, 'data-testid': 'cf-option', 'data-display': hd.display, checked: hd.shown });
      // Rule 9: fields that only make sense together (a survey's answers and its score) are
      // best decided together — one click keeps this version in every item it competes in.
      const together = versionItems(items, it, hd.key);
      const keep = together.length > 1
        ? h('button', { type: 'button', class: 'cf-keep-version', 'data-testid': 'cf-keep-version', text: `Giữ cả phiên bản này cho ${together.length} trường` })
        : null;
      if (keep) keep.addEventListener('click', () => keepVersion(it, hd, together.length));
      return h('div', { class: 'cf-option' + (hd.shown ? ' shown' : '') },
        radio,
        h('label', { for: `cf-opt-${i}` },
          h('strong', { class: 'cf-value-text', text: hd.display }),
          hd.shown ? h('span', { class: 'cf-tag', text: 'đang hiện' }) : null,
          h('br'),
          h('span', { class: 'hint', 'data-testid': 'cf-meta', text: headMeta(hd) }),
          hd.reason ? h('span', { class: 'hint', text: ` · lý do: ${hd.reason}` }) : null),
        keep);
    });
    let typed = null;
    /** @type {HTMLElement|null} */
    let valueInput = null;
    if (it.input !== 'none') {
      valueInput = typedInput(it);
      const radio = h('input', { type: 'radio', name, id: 'cf-opt-typed', value: TYPED, 'data-testid': 'cf-typed' });
      const pickTyped = () => { /** @type {HTMLInputElement} */ (radio).checked = true; };
      valueInput.addEventListener('focus', pickTyped);
      valueInput.addEventListener('input', pickTyped);
      valueInput.addEventListener('change', pickTyped);
      typed = h('div', { class: 'cf-option typed' }, radio,
        h('label', { for: 'cf-opt-typed', text: 'Nhập giá trị khác' }),
        field('value', it.field_label, valueInput));
    }
    const note = h('input', { type: 'text', id: 'cf-note', 'data-testid': 'cf-note', autocomplete: 'off', maxlength: '500' });

    /**
     * @param {import('../lib/conflicts.js').Item} item
     * @param {any} hd the competing value whose whole version is kept
     * @param {number} count
     */
    async function keepVersion(item, hd, count) {
      if (saving) return;
      saving = true;
      try {
        const noteText = /** @type {HTMLInputElement} */ (note).value.trim() || null;
        const res = await conflictIpc.resolveVersion(item.entity, item.row_id, [hd.origin, hd.seq], noteText);
        const rest = res.left_open.length ? ` Còn ${res.left_open.length} trường của bản ghi này phải chọn riêng.` : '';
        ctx.toast(`Đã giữ phiên bản của máy ${hd.device.short_code} cho ${res.fields.length} trường.${rest}`);
        const before = items;
        items = await load();
        if (!alive) return;
        selected = nextSelection(before, items, itemKey(item));
        draw();
        focusChooser();
      } catch (e) {
        const err = /** @type {any} */ (e);
        showIssues(form, summary, [{ field: '', message: err.message, severity: 'error' }], `Chưa giữ được phiên bản (${count} trường).`);
        focusFirstError(form);
      } finally {
        saving = false;
      }
    }
    const save = h('button', { type: 'submit', class: 'primary', id: 'cf-save', 'data-testid': 'cf-save', text: 'Lưu lựa chọn (Enter)' });
    const cancel = h('button', { type: 'button', id: 'cf-cancel', text: 'Quay lại (Esc)' });
    cancel.addEventListener('click', () => ctx.navigate(back));
    const form = h('form', { class: 'cf-form', id: 'cf-form', 'data-testid': 'cf-form', novalidate: true },
      summary,
      h('fieldset', { 'data-field': 'choice' },
        h('legend', { text: `${itemTitle(it)}${it.critical ? ' (trường quan trọng: định danh, điều kiện hoặc thu nhập)' : ''}` }),
        options, typed),
      field('note', 'Ghi chú (không bắt buộc, gửi kèm quyết định)', note, { wide: true }),
      h('div', { class: 'actions' }, save, cancel,
        h('span', { class: 'hint' }, h('kbd', { text: 'Enter' }), ' lưu · ', h('kbd', { text: 'Esc' }), ' quay lại')));

    let saving = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (saving) return;
      const checked = /** @type {HTMLInputElement|null} */ (form.querySelector(`input[name=${name}]:checked`));
      if (!checked) {
        showIssues(form, summary, [{ field: 'choice', message: 'Hãy chọn một giá trị.', severity: 'error' }], 'Chưa lưu được.');
        return;
      }
      const noteText = /** @type {HTMLInputElement} */ (note).value.trim() || null;
      /** @type {{pick?: [string, number]|null, value?: any, note?: string|null}} */
      let choice;
      if (checked.value === TYPED) {
        choice = { value: /** @type {HTMLInputElement} */ (valueInput).value, note: noteText };
      } else {
        const hd = it.heads.find((x) => x.key === checked.value);
        if (!hd) return;
        choice = { pick: [hd.origin, hd.seq], note: noteText };
      }
      saving = true;
      save.setAttribute('disabled', '');
      try {
        const res = await conflictIpc.resolve(it.entity, it.row_id, it.field, choice);
        ctx.toast(`Đã lưu “${it.field_label}”: ${res.display}.`);
        const before = items;
        items = await load();
        if (!alive) return;
        selected = nextSelection(before, items, itemKey(it));
        draw();
        focusChooser();
      } catch (e) {
        const err = /** @type {any} */ (e);
        const issues = err.fields && err.fields.length
          ? err.fields.map((/** @type {any} */ f) => ({ ...f, severity: 'error' }))
          : [{ field: '', message: err.message, severity: 'error' }];
        showIssues(form, summary, issues, 'Chưa lưu được.');
        focusFirstError(form);
      } finally {
        saving = false;
        save.removeAttribute('disabled');
      }
    });
    // Enter saves from a radio or a select too (a text input submits by itself).
    form.addEventListener('keydown', (ev) => {
      const t = /** @type {HTMLElement} */ (ev.target);
      const kev = /** @type {KeyboardEvent} */ (ev);
      if (kev.key === 'Enter' && (t.tagName === 'SELECT' || /** @type {HTMLInputElement} */ (t).type === 'radio')) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    return form;
  }

  function focusChooser() {
    const first = /** @type {HTMLElement|null} */ (list.querySelector('#cf-form input[name=cf-choice]:checked, #cf-form input[name=cf-choice]'));
    if (first) {
      first.focus();
      first.closest('.cf-item')?.scrollIntoView({ block: 'nearest' });
    }
  }

  (async () => {
    try {
      items = await load();
    } catch (e) {
      if (!alive) return;
      clear(list);
      list.appendChild(h('div', { class: 'summary error', role: 'alert', text: /** @type {any} */ (e).message }));
      return;
    }
    if (!alive) return;
    const want = wanted
      ? items.find((i) => i.entity === wanted.entity && i.row_id === wanted.row_id && i.field === wanted.field && i.resolvable)
      : null;
    const first = want || items.find((i) => i.resolvable);
    selected = first ? itemKey(first) : null;
    draw();
    focusChooser();
  })();

  return () => { alive = false; document.removeEventListener('keydown', onKey); };
}
