// @ts-check
/**
 * The household finder of the office's forms (tìm hộ): a search box, a "Tìm" button (Enter in the
 * box searches too) and a select of up to 50 results, the only one chosen at once. Only the
 * latest search fills the select: an earlier one answering late — the list loaded when the form
 * opens, say — never replaces the results of the search the user asked for afterwards.
 * @module household-finder
 */
import { h, clear, select } from './dom.js';

/**
 * @param {{ipc: {listHouseholds: (q: any) => Promise<{items: any[]}>}}} ctx
 * @param {string} prefix id prefix of the three elements (`or` → #or-hh-search, #or-hh-find, #or-hh-pick)
 * @param {() => string} scope text searched before what is typed (a commune code), or ''
 * @param {(e: any) => void} fail shows a failed search
 */
export function householdFinder(ctx, prefix, scope, fail) {
  const search = /** @type {HTMLInputElement} */ (h('input', { type: 'search', id: `${prefix}-hh-search`, 'data-testid': `${prefix}-hh-search`, placeholder: 'tên chủ hộ hoặc mã hộ', autocomplete: 'off' }));
  const find = h('button', { type: 'button', id: `${prefix}-hh-find`, 'data-testid': `${prefix}-hh-find`, text: 'Tìm' });
  const pick = /** @type {HTMLSelectElement} */ (select({ id: `${prefix}-hh-pick`, 'data-testid': `${prefix}-hh-pick` }, [], '', '— chọn hộ —'));
  let latest = 0;
  async function run() {
    const mine = ++latest;
    try {
      const q = `${scope()} ${search.value.trim()}`.trim();
      const page = await ctx.ipc.listHouseholds({ search: q || null, village_id: null, flags: [], offset: 0, limit: 50 });
      if (mine !== latest) return;
      clear(pick);
      pick.appendChild(h('option', { value: '', text: page.items.length ? '— chọn hộ —' : 'Không tìm thấy hộ nào' }));
      for (const it of page.items) pick.appendChild(h('option', { value: it.id, text: `${it.head_name} — ${it.code || it.id}` }));
      if (page.items.length === 1) pick.value = page.items[0].id;
    } catch (e) {
      if (mine === latest) fail(e);
    }
  }
  find.addEventListener('click', run);
  search.addEventListener('keydown', (ev) => { if (/** @type {KeyboardEvent} */ (ev).key === 'Enter') { ev.preventDefault(); run(); } });
  return { search, find, pick, run };
}
