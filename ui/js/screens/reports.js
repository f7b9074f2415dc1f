// @ts-check
/**
 * Reports (báo cáo): the catalogue grouped into lists, forms and statistical reports; the round,
 * village or household a report needs; the A4 print preview of the core's HTML (in a shadow root,
 * so neither the app's styles nor the document's reach each other) with "In"; and the export to
 * Excel, PDF or CSV with a progress bar (reading the data, then writing the file) and "Hủy", which
 * stops either stage and writes no file. Builds and formats nothing itself.
 * @module screens/reports
 */
import { h, clear } from '../dom.js';
import { roundStatusLabel } from '../lib/review.js';
import { reviewIpc } from '../review-ipc.js';
import { reportIpc } from '../report-ipc.js';

const KINDS = [
  { kind: 'list', title: 'Danh sách' },
  { kind: 'form', title: 'Biểu mẫu' },
  { kind: 'report', title: 'Báo cáo thống kê' },
];

const FORMATS = {
  xlsx: { label: 'Xuất Excel', filter: 'Bảng tính Excel' },
  pdf: { label: 'Xuất PDF', filter: 'Tài liệu PDF' },
  csv: { label: 'Xuất CSV', filter: 'Tệp CSV (UTF-8)' },
};

/**
 * Turns the core's HTML fragment into nodes of this document and one constructed style sheet.
 * Inline `style` attributes are applied through the CSSOM (the app's CSP forbids inline styles);
 * scripts and event attributes are dropped.
 * @param {string} fragment
 * @returns {{nodes: Node[], css: string}}
 */
export function parseFragment(fragment) {
  const doc = new DOMParser().parseFromString(`<!DOCTYPE html><html><body>${fragment}</body></html>`, 'text/html');
  let css = '';
  for (const s of Array.from(doc.querySelectorAll('style'))) { css += s.textContent || ''; s.remove(); }
  for (const bad of Array.from(doc.querySelectorAll('script, iframe, object, embed, link, meta'))) bad.remove();
  for (const el of Array.from(doc.body.querySelectorAll('*'))) {
    for (const a of Array.from(el.attributes)) {
      if (/^on/i.test(a.name)) el.removeAttribute(a.name);
      else if (a.name === 'style') { el.setAttribute('data-gn-style', a.value); el.removeAttribute('style'); }
    }
  }
  const nodes = Array.from(doc.body.childNodes).map((n) => {
    const copy = document.importNode(n, true);
    if (copy instanceof Element) {
      const styled = [copy, ...Array.from(copy.querySelectorAll('[data-gn-style]'))];
      for (const el of styled) {
        const v = el.getAttribute('data-gn-style');
        if (v === null) continue;
        /** @type {HTMLElement} */ (el).style.cssText = v;
        el.removeAttribute('data-gn-style');
      }
    }
    return copy;
  });
  return { nodes, css };
}

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  let alive = true;
  /** @type {any[]} */
  let catalogue = [];
  /** @type {any} */
  let current = null;
  let busy = false;
  /** Document-level sheet: print only the preview, on A4. */
  const printSheet = new CSSStyleSheet();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, printSheet];

  const list = h('nav', { class: 'panel report-list', id: 'report-list', 'data-testid': 'report-list', 'aria-label': 'Danh mục báo cáo' },
    h('p', { class: 'loading', text: 'Đang tải danh mục…' }));
  const title = h('h2', { id: 'report-title', text: 'Chọn một báo cáo ở danh mục bên trái' });
  const roundSel = h('select', { id: 'report-round', 'data-testid': 'report-round', 'aria-label': 'Đợt rà soát' },
    h('option', { value: '', text: '— đợt đã quyết định gần nhất —' }));
  const villageSel = h('select', { id: 'report-village', 'data-testid': 'report-village', 'aria-label': 'Thôn/xóm' },
    h('option', { value: '', text: 'Toàn xã' }));
  const householdIn = h('input', { type: 'text', id: 'report-household', 'data-testid': 'report-household', placeholder: 'mã hộ', 'aria-label': 'Mã hộ' });
  const fRound = h('label', { class: 'field-inline' }, 'Đợt: ', roundSel);
  const fVillage = h('label', { class: 'field-inline' }, 'Thôn/xóm: ', villageSel);
  const fHousehold = h('label', { class: 'field-inline' }, h('span', { id: 'report-household-label', text: 'Hộ: ' }), householdIn);
  const previewBtn = h('button', { type: 'button', class: 'primary', id: 'report-preview-btn', 'data-testid': 'report-preview-btn', text: 'Xem trước', disabled: true });
  const printBtn = h('button', { type: 'button', id: 'report-print', 'data-testid': 'report-print', text: 'In', disabled: true });
  const exportBtns = Object.entries(FORMATS).map(([fmt, f]) =>
    h('button', { type: 'button', id: `report-export-${fmt}`, 'data-testid': `report-export-${fmt}`, 'data-format': fmt, text: f.label, disabled: true }));
  const barFill = h('div', { class: 'bar-fill' });
  const progressText = h('span', { id: 'report-progress-text' });
  const cancelBtn = h('button', { type: 'button', id: 'report-cancel', 'data-testid': 'report-cancel', text: 'Hủy' });
  const progress = h('div', { class: 'report-progress', id: 'report-progress', 'data-testid': 'report-progress', hidden: true },
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, barFill), progressText, cancelBtn);
  const status = h('div', { id: 'report-status', 'data-testid': 'report-status', role: 'status' });
  const host = h('div', { class: 'report-preview-host', id: 'report-preview', 'data-testid': 'report-preview' });
  const shadow = host.attachShadow({ mode: 'open' });
  const pane = h('div', { class: 'report-preview-pane' }, host);
  pane.hidden = true;

  const screen = h('section', { class: 'review reports', id: 'reports', 'data-testid': 'reports' },
    h('div', { class: 'head-line' }, h('h1', { text: 'Báo cáo' })),
    h('div', { class: 'reports-grid' },
      list,
      h('div', { class: 'report-main' },
        h('div', { class: 'panel' }, title,
          h('div', { class: 'toolbar' }, fRound, fVillage, fHousehold),
          h('div', { class: 'toolbar actions' }, previewBtn, printBtn, ...exportBtns),
          progress, status),
        pane)));
  root.appendChild(screen);

  (async () => {
    try {
      const [cat, rounds, villages] = await Promise.all([reportIpc.catalog(), reviewIpc.rounds(), ctx.ipc.villages()]);
      if (!alive) return;
      catalogue = cat;
      for (const r of rounds) roundSel.appendChild(h('option', { value: r.id, text: `${r.title} (${roundStatusLabel(r.status)})` }));
      for (const v of villages) villageSel.appendChild(h('option', { value: v.id, text: v.name }));
      drawList();
      const wanted = ctx.params[0] && catalogue.find((r) => r.name === ctx.params[0]);
      pick(wanted || null);
      screen.setAttribute('data-loaded', 'true');
    } catch (e) {
      if (!alive) return;
      clear(list);
      list.appendChild(h('div', { class: 'summary error', role: 'alert', text: /** @type {any} */ (e).message }));
    }
  })();

  function drawList() {
    clear(list);
    for (const k of KINDS) {
      const items = catalogue.filter((r) => r.kind === k.kind);
      if (!items.length) continue;
      list.appendChild(h('h2', { text: k.title }));
      list.appendChild(h('ul', { class: 'plain' }, items.map((r) => h('li', {},
        h('button', { type: 'button', class: 'link report-item', 'data-report': r.name, 'data-testid': `report-${r.name}`,
          text: r.title, onclick: () => pick(r) })))));
    }
  }

  /** @param {any} r ReportInfo or null */
  function pick(r) {
    current = r;
    for (const b of Array.from(list.querySelectorAll('.report-item'))) b.classList.toggle('active', !!r && b.getAttribute('data-report') === r.name);
    title.textContent = r ? r.title : 'Chọn một báo cáo ở danh mục bên trái';
    const needs = r ? r.needs : '';
    fRound.hidden = !(needs === 'round' || needs === 'household');
    fVillage.hidden = needs !== 'round';
    fHousehold.hidden = !(needs === 'household' || needs === 'none');
    /** @type {HTMLElement} */ (screen.querySelector('#report-household-label')).textContent =
      needs === 'none' ? 'Hộ (để trống = mẫu trắng): ' : 'Hộ: ';
    for (const b of [previewBtn, ...exportBtns]) /** @type {HTMLButtonElement} */ (b).disabled = !r || busy;
    /** @type {HTMLButtonElement} */ (printBtn).disabled = true;
    clear(status);
    clear(shadow);
    pane.hidden = true;
    if (r) history.replaceState(null, '', `#/reports/${encodeURIComponent(r.name)}`);
  }

  /** @returns {import('../report-ipc.js').ReportParams} */
  function params() {
    const needs = current ? current.needs : '';
    const v = (/** @type {HTMLInputElement|HTMLSelectElement} */ e) => e.value.trim() || null;
    return {
      round_id: needs === 'round' || needs === 'household' ? v(/** @type {any} */ (roundSel)) : null,
      village_id: needs === 'round' ? v(/** @type {any} */ (villageSel)) : null,
      household_id: needs === 'household' || needs === 'none' ? v(/** @type {any} */ (householdIn)) : null,
      date: null,
    };
  }

  /** @param {string} msg @param {'error'|'ok'|'info'} kind */
  function say(msg, kind) {
    clear(status);
    status.appendChild(h('div', { class: `summary ${kind}`, role: kind === 'error' ? 'alert' : 'status', text: msg }));
  }

  previewBtn.addEventListener('click', async () => {
    if (!current || busy) return;
    const r = current;
    clear(status);
    status.removeAttribute('data-cancelled');
    setBusy(true);
    barFill.style.width = '0%';
    progressText.textContent = 'Đang dựng bản xem trước…';
    try {
      const fragment = await reportIpc.preview(r.name, params(), showProgress);
      if (!alive || current !== r) return;
      if (fragment === null) {
        say('Đã hủy việc dựng bản xem trước.', 'info');
        status.setAttribute('data-cancelled', 'true');
        return;
      }
      const { nodes, css } = parseFragment(fragment);
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(`${css}\n:host { display: block; }\n.gn-doc { box-shadow: 0 1px 6px rgba(0,0,0,.25); }\n@media print { .gn-doc { box-shadow: none; } }`);
      shadow.adoptedStyleSheets = [sheet];
      clear(shadow);
      for (const n of nodes) shadow.appendChild(n);
      const size = r.orientation === 'portrait' ? 'A4 portrait' : 'A4 landscape';
      printSheet.replaceSync(`@media print {
  @page { size: ${size}; margin: 20mm 15mm 20mm 30mm; }
  body * { visibility: hidden !important; }
  #report-preview, #report-preview * { visibility: visible !important; }
  #report-preview { position: absolute; left: 0; top: 0; width: 100%; zoom: 1 !important; }
  .report-preview-pane { overflow: visible !important; background: none !important; }
}`);
      pane.hidden = false;
      fitPreview();
      clear(status);
      /** @type {HTMLButtonElement} */ (printBtn).disabled = false;
      host.setAttribute('data-report', r.name);
    } catch (e) {
      if (alive) say(/** @type {any} */ (e).message, 'error');
    } finally {
      if (alive) setBusy(false);
    }
  });

  /** Progress of a preview or an export: the bar and "Đang đọc dữ liệu: x/y dòng". */
  function showProgress(/** @type {{stage: 'reading'|'rendering', done: number, total: number}} */ p) {
    if (cancelBtn.hasAttribute('disabled')) return; // "Đang hủy…" stays until the end
    const pct = p.total ? Math.round((p.done / p.total) * 100) : 0;
    barFill.style.width = `${pct}%`;
    progress.setAttribute('data-stage', p.stage);
    const n = `${p.done.toLocaleString('vi-VN')}/${p.total.toLocaleString('vi-VN')}`;
    progressText.textContent = p.stage === 'reading' ? `Đang đọc dữ liệu: ${n} dòng` : `Đang ghi tệp: ${n} dòng`;
  }

  /** Scales the A4 page down to the pane's width (the print is always full size). */
  function fitPreview() {
    const page = /** @type {HTMLElement|null} */ (shadow.querySelector('.gn-doc'));
    if (!page || pane.hidden) return;
    host.style.zoom = '1';
    const avail = pane.clientWidth - 32;
    const width = page.offsetWidth;
    if (width > 0 && avail > 0) host.style.zoom = String(Math.min(1, avail / width));
  }
  window.addEventListener('resize', fitPreview);

  printBtn.addEventListener('click', () => window.print());

  cancelBtn.addEventListener('click', async () => {
    cancelBtn.setAttribute('disabled', '');
    progressText.textContent = 'Đang hủy…';
    try { await reportIpc.cancel(); } catch (e) { say(/** @type {any} */ (e).message, 'error'); }
  });

  for (const b of exportBtns) {
    b.addEventListener('click', () => exportAs(/** @type {string} */ (b.getAttribute('data-format'))));
  }

  /** @param {string} fmt */
  async function exportAs(fmt) {
    if (!current || busy) return;
    const r = current;
    clear(status);
    status.removeAttribute('data-written');
    let path;
    try {
      path = await reportIpc.exportHook(r.name, fmt);
      if (!path) {
        path = await reportIpc.saveDialog({
          title: `Lưu ${r.title}`,
          defaultPath: `${r.name}.${fmt}`,
          filters: [{ name: FORMATS[/** @type {'xlsx'|'pdf'|'csv'} */ (fmt)].filter, extensions: [fmt] }],
        });
      }
    } catch (e) {
      say(/** @type {any} */ (e).message, 'error');
      return;
    }
    if (!path) return; // the user closed the dialog
    setBusy(true);
    barFill.style.width = '0%';
    progressText.textContent = 'Đang đọc dữ liệu…';
    status.removeAttribute('data-cancelled');
    try {
      const out = await reportIpc.exportReport(r.name, params(), fmt, path, showProgress);
      if (!alive) return;
      if (out.cancelled) {
        say(out.message, 'info');
        status.setAttribute('data-cancelled', 'true');
        return;
      }
      const written = out.path || '';
      say(`Đã xuất “${r.title}” ra tệp: ${written}`, 'ok');
      status.setAttribute('data-written', written);
    } catch (e) {
      if (alive) say(/** @type {any} */ (e).message, 'error');
    } finally {
      if (alive) setBusy(false);
    }
  }

  /** @param {boolean} on */
  function setBusy(on) {
    busy = on;
    progress.hidden = !on;
    cancelBtn.removeAttribute('disabled');
    for (const b of [previewBtn, ...exportBtns]) /** @type {HTMLButtonElement} */ (b).disabled = on || !current;
  }

  return () => {
    alive = false;
    window.removeEventListener('resize', fitPreview);
    if (busy) reportIpc.cancel().catch(() => {});
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== printSheet);
  };
}
