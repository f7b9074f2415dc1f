// @ts-check
/**
 * The dashboard (tổng quan): households, poor and near-poor counts and rates of the latest
 * decided round, the change since the previous one, the yearly target with its progress (and
 * the input to set it), the three SVG charts drawn by the core, and the table by village.
 * Every number and sentence comes from the core; this screen only lays them out.
 * @module screens/dashboard
 */
import { h, clear } from '../dom.js';
import { formatNumber } from '../lib/format.js';
import { reportIpc } from '../report-ipc.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Parses an SVG document made by the core and returns it as an <svg> node of this document.
 * Scripts, foreign objects and event attributes are dropped, so nothing in it can run.
 * @param {string} text
 * @returns {Element|null}
 */
export function svgNode(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  for (const bad of Array.from(root.querySelectorAll('script, foreignObject, iframe'))) bad.remove();
  for (const el of [root, ...Array.from(root.querySelectorAll('*'))]) {
    for (const a of Array.from(el.attributes)) {
      if (/^on/i.test(a.name) || /href$/i.test(a.name)) el.removeAttribute(a.name);
    }
  }
  return document.importNode(root, true);
}

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  let alive = true;
  const body = h('div', { id: 'dashboard-body', class: 'dash-body' }, h('p', { class: 'loading', text: 'Đang tính số liệu tổng quan…' }));
  const screen = h('section', { class: 'review dashboard', id: 'dashboard', 'data-testid': 'dashboard' },
    h('div', { class: 'head-line' }, h('h1', { text: 'Tổng quan' }), h('span', { class: 'code', id: 'dashboard-round' })),
    body);
  root.appendChild(screen);

  (async () => {
    try {
      const d = await reportIpc.dashboard();
      if (alive) draw(d);
    } catch (e) {
      if (!alive) return;
      clear(body);
      body.appendChild(h('div', { class: 'summary error', role: 'alert', text: /** @type {any} */ (e).message }));
    }
  })();

  /** @param {string} label @param {string} value @param {string} sub @param {string} id */
  function card(label, value, sub, id) {
    return h('div', { class: 'panel stat', id, 'data-testid': id },
      h('div', { class: 'stat-label', text: label }),
      h('div', { class: 'stat-value', text: value }),
      h('div', { class: 'stat-sub', text: sub }));
  }

  /** @param {string} title @param {string} svg @param {string} id */
  function chart(title, svg, id) {
    const node = svgNode(svg);
    return h('figure', { class: 'panel chart', id, 'data-testid': id },
      h('figcaption', { text: title }),
      node || h('p', { class: 'hint', text: 'Không vẽ được biểu đồ.' }));
  }

  /** @param {any} d Dashboard */
  function draw(d) {
    screen.querySelector('#dashboard-round').textContent = d.round_title
      ? `Theo kết quả đã quyết định: ${d.round_title}`
      : 'Chưa có đợt rà soát nào được quyết định.';
    clear(body);
    body.appendChild(h('div', { class: 'stats' },
      card('Số hộ', formatNumber(d.households), `${formatNumber(d.persons)} nhân khẩu`, 'dash-households'),
      card('Hộ nghèo', formatNumber(d.poor), `Tỷ lệ ${d.poverty_rate_text || '—'} · ${formatNumber(d.poor_persons)} nhân khẩu`, 'dash-poor'),
      card('Hộ cận nghèo', formatNumber(d.near_poor), `Tỷ lệ ${d.near_poverty_rate_text || '—'} · ${formatNumber(d.near_poor_persons)} nhân khẩu`, 'dash-near-poor')));
    const change = h('p', { id: 'dash-change', 'data-testid': 'dash-change',
      text: d.change ? d.change.text : 'Chưa có đợt rà soát trước để so sánh.' });
    body.appendChild(h('div', { class: 'panel' }, h('h2', { text: 'Thay đổi so với đợt trước' }), change));
    body.appendChild(targetPanel(d));
    body.appendChild(h('div', { class: 'charts' },
      chart('Hộ thiếu hụt theo chỉ số', d.charts.deprivations, 'chart-deprivations'),
      chart('Tỷ lệ hộ nghèo, cận nghèo theo đơn vị', d.charts.rates_by_unit, 'chart-rates'),
      chart('Xu hướng qua các đợt', d.charts.trend, 'chart-trend')));
    const unitLabel = d.grouping === 'commune' ? 'Xã' : 'Thôn/xóm';
    body.appendChild(h('section', { class: 'panel' },
      h('h2', { text: `Theo ${unitLabel.toLowerCase()}` }),
      h('div', { class: 'table-wrap flat' },
        h('table', { class: 'list compact', id: 'dash-units', 'data-testid': 'dash-units' },
          h('thead', {}, h('tr', {}, [unitLabel, 'Số hộ', 'Nhân khẩu', 'Hộ nghèo', 'Tỷ lệ nghèo', 'Hộ cận nghèo', 'Tỷ lệ cận nghèo']
            .map((t, i) => h('th', { class: i ? 'num' : '', text: t })))),
          h('tbody', {}, d.by_unit.map((/** @type {any} */ u) => h('tr', {},
            h('td', { text: u.label }),
            h('td', { class: 'num', text: formatNumber(u.households) }),
            h('td', { class: 'num', text: formatNumber(u.persons) }),
            h('td', { class: 'num', text: formatNumber(u.poor) }),
            h('td', { class: 'num', text: u.poverty_rate_text }),
            h('td', { class: 'num', text: formatNumber(u.near_poor) }),
            h('td', { class: 'num', text: u.near_poverty_rate_text }))))))));
    screen.setAttribute('data-loaded', 'true');
  }

  /** @param {any} d Dashboard */
  function targetPanel(d) {
    const t = d.target;
    const input = h('input', { type: 'text', id: 'target-input', 'data-testid': 'target-input', inputmode: 'decimal',
      value: t ? t.text.replace('%', '') : '', placeholder: 'ví dụ 0,44', 'aria-label': 'Tỷ lệ hộ nghèo mục tiêu (%)' });
    const save = h('button', { type: 'button', id: 'target-save', 'data-testid': 'target-save', text: 'Lưu mục tiêu' });
    const msg = h('div', { id: 'target-error', role: 'alert' });
    const parts = [h('h2', { text: 'Mục tiêu giảm nghèo trong năm' })];
    if (t) {
      // How far the rate has come down to the target: full when reached.
      const current = typeof d.poverty_rate === 'number' ? d.poverty_rate : null;
      const pct = t.reached ? 100 : current && current > 0 ? Math.max(0, Math.min(100, (t.poverty_rate / current) * 100)) : 0;
      const bar = h('div', { class: 'bar-fill' + (t.reached ? ' done' : '') });
      bar.style.width = `${pct.toFixed(1)}%`;
      parts.push(h('p', { id: 'target-progress', 'data-testid': 'target-progress', text: t.progress_text }),
        h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': pct.toFixed(0) }, bar));
    } else {
      parts.push(h('p', { class: 'hint', id: 'target-progress', text: 'Chưa đặt mục tiêu tỷ lệ hộ nghèo cho năm nay.' }));
    }
    parts.push(h('div', { class: 'inline-form' },
      h('label', { for: 'target-input', text: 'Giảm tỷ lệ hộ nghèo còn (%):' }), input, save, msg));
    save.addEventListener('click', async () => {
      save.setAttribute('disabled', '');
      clear(msg);
      try {
        const nd = await reportIpc.setPovertyTarget(/** @type {HTMLInputElement} */ (input).value);
        if (!alive) return;
        ctx.toast('Đã lưu mục tiêu giảm nghèo.');
        draw(nd);
      } catch (e) {
        if (!alive) return;
        msg.className = 'summary error';
        msg.textContent = /** @type {any} */ (e).message;
      } finally {
        save.removeAttribute('disabled');
      }
    });
    return h('section', { class: 'panel target', id: 'dash-target', 'data-testid': 'dash-target' }, ...parts);
  }

  return () => { alive = false; };
}
