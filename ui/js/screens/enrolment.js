// @ts-check
/**
 * Enrolment and keys (đăng ký thiết bị và khoá), route #/enrolment, without any network.
 * At a commune laptop: pin the office's keys file (or, on a reviewer laptop, the commune
 * officer's) only after the person confirmed its fingerprint against the paper, then write the
 * enrolment request and read this laptop's fingerprint aloud; the stage is shown (not pinned /
 * waiting for the certificate / enrolled) and the response is imported on the exchange screen.
 * At the office: export the public keys file, review a request (role, commune, short code,
 * fingerprint) and accept it only when the typed fingerprint matches, the roster of devices, and
 * the key rollover. Every check and message is the core's; files and folders come from the
 * dialog plugin, or from GIAMNGHEO_PICK_FILE / GIAMNGHEO_EXCHANGE_DIR when set (tests).
 * @module screens/enrolment
 */
import { h, clear } from '../dom.js';
import { field } from '../forms.js';
import { formatDateTime } from '../lib/format.js';
import { pickFolder } from '../ipc.js';
import { enrolmentIpc, pickFile } from '../enrolment-ipc.js';

/** @type {Record<string, string>} */
const ROLE = { office: 'Văn phòng', commune_officer: 'Máy cán bộ xã', reviewer: 'Máy rà soát viên' };

/** @param {string} p */
function baseName(p) {
  return p.split(/[\\/]/).pop() || p;
}

/**
 * A fingerprint as six separate groups, large enough to read aloud.
 * @param {string} fp
 * @param {string} id
 */
function fingerprint(fp, id) {
  const groups = String(fp || '').trim().split(/\s+/).filter(Boolean);
  return h('div', { class: 'fingerprint', id, 'data-testid': id, 'data-value': groups.join(' '), 'aria-label': `Dấu vân tay ${groups.join(' ')}` },
    groups.map((g) => h('span', { text: g })));
}

/**
 * @param {any} s the enrolment state
 */
function stageText(s) {
  switch (s.stage) {
    case 'office': return 'Máy văn phòng — cấp chứng thư cho các máy của xã';
    case 'not_pinned': return 'Chưa ghim khoá của văn phòng';
    case 'waiting': return 'Đã ghim khoá văn phòng — chờ chứng thư';
    case 'enrolled': return `Đã đăng ký (chứng thư số ${s.cert_serial})`;
    default: return s.stage;
  }
}

/**
 * @param {HTMLElement} root
 * @param {import('../app.js').Ctx} ctx
 */
export function mount(root, ctx) {
  let alive = true;
  /** @type {string|null} */
  let presetDir = null;
  /** @type {string|null} */
  let presetFile = null;
  /** @type {any} */
  let state = null;
  /** Messages kept across the redraw that follows an action. */
  const kept = { request: /** @type {any} */ (null), keys: /** @type {any} */ (null), accept: '', rollover: /** @type {any} */ (null) };

  /** @param {any} e */
  const fail = (e) => ctx.toast(e && e.message ? e.message : String(e), 'error');
  /** @param {string} title */
  const folder = async (title) => presetDir || pickFolder(title);
  /** @param {string} title @param {{name: string, extensions: string[]}[]} filters */
  const file = async (title, filters) => presetFile || pickFile(title, filters);

  const body = h('div', { class: 'enrolment', id: 'enrolment', 'data-testid': 'enrolment' });
  root.appendChild(body);

  function drawMe() {
    const s = state;
    return h('section', { class: 'panel', id: 'en-me' },
      h('h2', { text: 'Máy này' }),
      h('p', {}, h('span', { class: `stage ${s.stage}`, id: 'en-stage', 'data-testid': 'en-stage', 'data-stage': s.stage, text: stageText(s) })),
      h('dl', { class: 'facts' },
        h('dt', { text: 'Vai trò' }), h('dd', { text: ROLE[s.role] || s.role }),
        h('dt', { text: 'Mã máy' }), h('dd', { id: 'en-short-code', 'data-testid': 'en-short-code', text: s.short_code }),
        h('dt', { text: s.role === 'office' ? 'Mã tỉnh' : 'Mã xã' }), h('dd', { text: s.commune_code })),
      h('h3', { text: 'Dấu vân tay của máy này' }),
      fingerprint(s.fingerprint, 'en-my-fp'),
      h('p', { class: 'hint', text: 'Sáu nhóm năm chữ số. Đọc từng nhóm khi gọi điện, hoặc chép vào phiếu đăng ký có ký tên, đóng dấu.' }));
  }

  // ---- commune / reviewer laptop ---------------------------------------------------------------

  /**
   * Choose a keys file, show its fingerprint, pin only after "Khớp".
   * @param {boolean} asOfficer
   */
  function pinPanel(asOfficer) {
    const s = state;
    const pinned = asOfficer ? s.officer : s.office;
    const who = asOfficer ? 'cán bộ xã' : 'văn phòng';
    const idp = asOfficer ? 'en-officer' : 'en-office';
    const area = h('div', { id: `${idp}-pin-area` });
    const pick = h('button', { type: 'button', id: `${idp}-pick`, 'data-testid': `${idp}-pick`, class: pinned ? undefined : 'primary', text: pinned ? `Chọn lại tệp khoá của ${who}…` : `Chọn tệp khoá của ${who}…` });
    pick.addEventListener('click', async () => {
      try {
        const f = await file(`Chọn tệp khoá công khai của ${who}`, [{ name: 'Tệp khoá công khai', extensions: ['json'] }]);
        if (!f) return;
        const k = await enrolmentIpc.readKeysFile(f);
        clear(area);
        const yes = h('button', { type: 'button', class: 'primary', id: `${idp}-pin-yes`, 'data-testid': `${idp}-pin-yes`, text: 'Khớp với giấy — ghim khoá' });
        const no = h('button', { type: 'button', id: `${idp}-pin-no`, 'data-testid': `${idp}-pin-no`, text: 'Không khớp — hủy' });
        const box = h('div', { class: 'confirm', id: `${idp}-pin-confirm`, 'data-testid': `${idp}-pin-confirm` },
          h('p', { text: `Tệp ${baseName(f)}${k.short_code ? ` — ${k.short_code}` : ''}${k.province_name ? `, ${k.province_name}` : ''}. Dấu vân tay trong tệp:` }),
          fingerprint(k.fingerprint, `${idp}-pin-fp`),
          h('p', { text: `So từng nhóm với dấu vân tay in trên công văn hoặc phiếu của ${who}. Chỉ ghim khi tất cả sáu nhóm đều khớp.` }),
          h('div', { class: 'actions' }, yes, no));
        area.appendChild(box);
        no.addEventListener('click', () => { clear(area); area.appendChild(h('p', { class: 'summary error', role: 'alert', text: `Chưa ghim: dấu vân tay không khớp. Hãy liên hệ ${who} để lấy đúng tệp khoá.` })); pick.focus(); });
        box.addEventListener('keydown', (ev) => { if (/** @type {KeyboardEvent} */ (ev).key === 'Escape') no.click(); });
        yes.addEventListener('click', async () => {
          try {
            await enrolmentIpc.pinKeys(f, asOfficer, k.fingerprint);
            ctx.toast(`Đã ghim khoá của ${who}.`);
            await refresh();
          } catch (e) { fail(e); }
        });
        // The safe choice has the focus: Enter never pins by accident.
        no.focus();
      } catch (e) { fail(e); }
    });
    return h('section', { class: 'panel', id: `${idp}-panel`, 'data-testid': `${idp}-panel` },
      h('h2', { text: asOfficer ? 'Khoá của máy cán bộ xã' : 'Khoá của văn phòng' }),
      pinned
        ? [h('p', { text: `Đã ghim khoá của ${pinned.short_code}. Dấu vân tay:` }), fingerprint(pinned.fingerprint, `${idp}-fp`)]
        : h('p', { class: 'hint', text: asOfficer
          ? 'Máy rà soát gửi dữ liệu cho máy cán bộ xã: chọn tệp khoá công khai của máy cán bộ xã (chép qua USB).'
          : 'Tệp khoá công khai của văn phòng đi kèm bộ cài hoặc chép qua USB; dấu vân tay của nó in trên công văn.' }),
      h('div', { class: 'actions' }, pick), area);
  }

  function requestPanel() {
    const s = state;
    const out = h('div', { id: 'en-request-result' });
    const btn = h('button', { type: 'button', class: 'primary', id: 'en-request', 'data-testid': 'en-request', text: 'Tạo yêu cầu đăng ký' });
    const show = () => {
      clear(out);
      const r = kept.request;
      if (!r) return;
      out.appendChild(h('p', { class: 'summary ok', id: 'en-request-done', 'data-testid': 'en-request-done', text: `Đã ghi ${baseName(r.file)} vào ${r.dir}. Có thể rút USB an toàn và mang tới văn phòng.` }));
      out.appendChild(h('p', { text: 'Dấu vân tay để đọc cho văn phòng hoặc ghi vào phiếu đăng ký:' }));
      out.appendChild(fingerprint(r.fingerprint, 'en-request-fp'));
    };
    btn.addEventListener('click', async () => {
      try {
        const dir = await folder('Chọn thư mục (trên USB) để ghi yêu cầu đăng ký');
        if (!dir) return;
        btn.setAttribute('disabled', '');
        const r = await enrolmentIpc.writeRequest(dir);
        kept.request = { ...r, dir };
        await refresh();
      } catch (e) { fail(e); } finally { btn.removeAttribute('disabled'); }
    });
    show();
    const written = s.requests_written || [];
    return h('section', { class: 'panel', id: 'en-request-panel', 'data-testid': 'en-request-panel' },
      h('h2', { text: 'Yêu cầu đăng ký' }),
      h('p', { class: 'hint', text: 'Ghi yêu cầu ra USB, mang tới văn phòng cùng phiếu đăng ký có dấu vân tay của máy này. Văn phòng trả lại một gói; nhập gói đó ở màn hình Trao đổi dữ liệu (Nhập gói).' }),
      written.length ? h('p', { class: 'hint', text: `Đã ghi ${written.length} yêu cầu (gần nhất: ${written[written.length - 1]}).` }) : null,
      h('div', { class: 'actions' }, btn,
        h('button', { type: 'button', id: 'en-go-import', 'data-testid': 'en-go-import', text: 'Nhập gói trả lời của văn phòng…', onclick: () => ctx.navigate('#/exchange') })),
      out);
  }

  // ---- office ----------------------------------------------------------------------------------

  function keysPanel() {
    const out = h('div', { id: 'en-keys-result' });
    const btn = h('button', { type: 'button', class: 'primary', id: 'en-export-keys', 'data-testid': 'en-export-keys', text: 'Xuất tệp khoá công khai' });
    const show = () => {
      clear(out);
      const r = kept.keys;
      if (!r) return;
      out.appendChild(h('p', { class: 'summary ok', id: 'en-keys-done', 'data-testid': 'en-keys-done', text: `Đã ghi ${baseName(r.file)}. Gửi tệp này cho các xã (kèm bộ cài hoặc qua USB) và in dấu vân tay dưới đây trên công văn:` }));
      out.appendChild(fingerprint(r.fingerprint, 'en-keys-fp'));
    };
    btn.addEventListener('click', async () => {
      try {
        const dir = await folder('Chọn thư mục để ghi tệp khoá công khai');
        if (!dir) return;
        kept.keys = await enrolmentIpc.writeKeysFile(dir);
        show();
      } catch (e) { fail(e); }
    });
    show();
    const atOffice = state.stage === 'office';
    return h('section', { class: 'panel', id: 'en-keys-panel' },
      h('h2', { text: atOffice ? 'Tệp khoá công khai của văn phòng' : 'Tệp khoá công khai của máy này' }),
      h('p', { class: 'hint', text: atOffice
        ? 'Tệp này không chứa bí mật: các xã ghim nó để kiểm tra gói của văn phòng và mã hoá gói gửi lên.'
        : 'Tệp này không chứa bí mật: máy rà soát của xã ghim nó để gửi dữ liệu cho máy cán bộ xã.' }),
      h('div', { class: 'actions' }, btn), out);
  }

  function reviewPanel() {
    const area = h('div', { id: 'en-review-area' });
    const done = h('div', { id: 'en-accept-result' });
    if (kept.accept) done.appendChild(h('p', { class: 'summary ok', id: 'en-accept-done', 'data-testid': 'en-accept-done', text: kept.accept }));
    const pick = h('button', { type: 'button', class: 'primary', id: 'en-pick-request', 'data-testid': 'en-pick-request', text: 'Chọn tệp yêu cầu đăng ký…' });
    pick.addEventListener('click', async () => {
      try {
        const f = await file('Chọn tệp yêu cầu đăng ký (.hhpkg)', [{ name: 'Gói Sổ Giảm Nghèo', extensions: ['hhpkg'] }]);
        if (!f) return;
        const info = await enrolmentIpc.inspectRequest(f);
        kept.accept = '';
        clear(done);
        drawRequest(f, info);
      } catch (e) { fail(e); }
    });
    /** @param {string} f @param {any} info */
    function drawRequest(f, info) {
      clear(area);
      const fp = h('input', { type: 'text', id: 'en-accept-fp', 'data-testid': 'en-accept-fp', autocomplete: 'off', inputmode: 'numeric', placeholder: '00000 00000 00000 00000 00000 00000' });
      const error = h('p', { class: 'summary error', id: 'en-accept-error', 'data-testid': 'en-accept-error', role: 'alert', hidden: true });
      const form = h('form', { class: 'subform', id: 'en-accept-form', novalidate: true },
        h('dl', { class: 'facts', id: 'en-request-info', 'data-testid': 'en-request-info' },
          h('dt', { text: 'Tệp' }), h('dd', { text: baseName(f) }),
          h('dt', { text: 'Vai trò' }), h('dd', { 'data-testid': 'en-req-role', text: ROLE[info.role] || info.role }),
          h('dt', { text: 'Xã' }), h('dd', { 'data-testid': 'en-req-commune', text: `${info.commune_name ? `${info.commune_name} ` : ''}(mã ${info.commune_code})` }),
          h('dt', { text: 'Mã máy sẽ cấp' }), h('dd', { 'data-testid': 'en-req-short-code', text: info.short_code + (info.already_enrolled ? ' (đã đăng ký; cấp lại chứng thư)' : '') }),
          h('dt', { text: 'Tên thiết bị' }), h('dd', { text: info.device_name }),
          h('dt', { text: 'Dấu vân tay trong yêu cầu' }), h('dd', {}, fingerprint(info.fingerprint, 'en-req-fp'))),
        h('p', { class: 'hint', text: 'Gõ dấu vân tay theo phiếu đăng ký có dấu của xã, hoặc theo lời cán bộ xã đọc qua điện thoại — không chép từ màn hình. Dấu cách không quan trọng.' }),
        field('fingerprint', 'Dấu vân tay xã đọc / ghi trên phiếu', fp, { wide: true }),
        error,
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary', id: 'en-accept', 'data-testid': 'en-accept', text: 'Cấp chứng thư' }),
          h('button', { type: 'button', id: 'en-accept-cancel', text: 'Hủy', onclick: () => clear(area) })));
      form.addEventListener('keydown', (ev) => { if (/** @type {KeyboardEvent} */ (ev).key === 'Escape') clear(area); });
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        error.hidden = true;
        const typed = /** @type {HTMLInputElement} */ (fp).value;
        if (!typed.trim()) {
          error.textContent = 'Hãy gõ dấu vân tay trên phiếu đăng ký trước khi cấp chứng thư.';
          error.hidden = false;
          fp.focus();
          return;
        }
        try {
          const dir = await folder('Chọn thư mục (trên USB) để ghi gói trả lời');
          if (!dir) return;
          const r = await enrolmentIpc.accept(f, typed, dir);
          kept.accept = `Đã cấp chứng thư số ${r.serial} cho máy ${r.short_code} (xã ${r.commune_code}). Gói trả lời: ${baseName(r.file)} trong ${dir} — mang về xã và nhập ở màn hình Trao đổi dữ liệu.`;
          await refresh();
        } catch (e) {
          const err = /** @type {any} */ (e);
          error.textContent = err && err.message ? err.message : String(e);
          error.hidden = false;
          fp.focus();
        }
      });
      area.appendChild(form);
      fp.focus();
    }
    return h('section', { class: 'panel', id: 'en-review-panel', 'data-testid': 'en-review-panel' },
      h('h2', { text: 'Duyệt yêu cầu đăng ký' }),
      h('div', { class: 'actions' }, pick), area, done);
  }

  /** @param {any[]} roster */
  function rosterPanel(roster) {
    return h('section', { class: 'panel', id: 'en-roster-panel' },
      h('h2', { text: 'Các máy đã đăng ký' }),
      roster.length === 0 ? h('p', { class: 'empty', id: 'en-roster-empty', text: 'Chưa có máy nào.' }) :
        h('table', { class: 'list', id: 'en-roster', 'data-testid': 'en-roster' },
          h('thead', {}, h('tr', {}, h('th', { text: 'Mã máy' }), h('th', { text: 'Vai trò' }), h('th', { text: 'Xã' }),
            h('th', { text: 'Dấu vân tay' }), h('th', { text: 'Chứng thư' }), h('th', { text: 'Tình trạng' }))),
          h('tbody', {}, roster.map((r) => h('tr', { 'data-testid': 'en-roster-row', 'data-short-code': r.short_code },
            h('td', { text: r.short_code + (r.is_me ? ' (máy này)' : '') }), h('td', { text: ROLE[r.role] || r.role }),
            h('td', { text: r.commune_code || '' }), h('td', { class: 'mono', text: r.fingerprint || '—' }),
            h('td', { text: r.cert_serial ? `số ${r.cert_serial}` : 'chưa có' }),
            h('td', { 'data-testid': 'en-roster-status', text: r.flagged ? `Bị đánh dấu: ${r.flagged}` : r.revoked_after_seq !== null && r.revoked_after_seq !== undefined ? `Đã thu hồi sau thao tác số ${r.revoked_after_seq}` : 'Đang dùng' }))))));
  }

  function rolloverPanel() {
    const s = state;
    const grace = h('input', { type: 'number', id: 'en-grace-days', 'data-testid': 'en-grace-days', min: '0', max: '3650', value: '90' });
    const area = h('div', { id: 'en-rollover-area' });
    const btn = h('button', { type: 'button', id: 'en-rollover', 'data-testid': 'en-rollover', text: 'Đổi khoá văn phòng…' });
    btn.addEventListener('click', () => {
      clear(area);
      const days = Number(/** @type {HTMLInputElement} */ (grace).value);
      const yes = h('button', { type: 'button', class: 'danger', id: 'en-rollover-yes', 'data-testid': 'en-rollover-yes', text: 'Đổi khoá' });
      const no = h('button', { type: 'button', id: 'en-rollover-no', text: 'Hủy', onclick: () => clear(area) });
      const box = h('div', { class: 'confirm', id: 'en-rollover-confirm' },
        h('p', { text: `Văn phòng sẽ có khoá mới. Các xã nhận khoá mới trong gói trả về tiếp theo (được ký bằng khoá cũ). Gói các xã đã mã hoá bằng khoá cũ được nhận thêm ${days} ngày${days === 0 ? ' — tức là từ chối ngay (dùng khi khoá cũ bị lộ hoặc mất)' : ''}. Sau khi đổi, hãy xuất tệp khoá công khai mới cho các xã cài đặt về sau.` }),
        h('div', { class: 'actions' }, yes, no));
      box.addEventListener('keydown', (ev) => { if (/** @type {KeyboardEvent} */ (ev).key === 'Escape') clear(area); });
      yes.addEventListener('click', async () => {
        try {
          kept.rollover = await enrolmentIpc.rollover(days);
          kept.keys = null;
          await refresh();
        } catch (e) { fail(e); }
      });
      area.appendChild(box);
      no.focus();
    });
    const r = kept.rollover;
    const gens = s.key_generations || [];
    return h('section', { class: 'panel', id: 'en-rollover-panel', 'data-testid': 'en-rollover-panel' },
      h('h2', { text: 'Đổi khoá văn phòng' }),
      h('p', { class: 'hint', text: 'Dùng khi khoá bị lộ, máy văn phòng thay mới hoặc theo định kỳ. Văn phòng giữ khoá cũ trong thời hạn chuyển tiếp để vẫn mở được các gói xã đã gửi.' }),
      h('div', { class: 'form-col' }, field('grace_days', 'Thời hạn chuyển tiếp (ngày)', grace)),
      h('div', { class: 'actions' }, btn), area,
      r ? [h('p', { class: 'summary ok', id: 'en-rollover-done', 'data-testid': 'en-rollover-done', text: `Đã đổi sang khoá thế hệ ${r.serial}. Gói mã hoá bằng khoá cũ được nhận đến ${formatDateTime(r.grace_until)}. Xuất gói trả về cho các xã để gửi khoá mới. Dấu vân tay mới:` }),
        fingerprint(r.fingerprint, 'en-rollover-fp')] : null,
      gens.length ? h('ul', { id: 'en-key-generations' }, gens.map((/** @type {any} */ g) => h('li', {
        text: `Thế hệ ${g.serial}: ${g.fingerprint}${g.current ? ' — đang dùng' : g.grace_until ? ` — nhận gói mã hoá bằng khoá này đến ${formatDateTime(g.grace_until)}` : ''}` }))) : null);
  }

  async function refresh() {
    try {
      state = await enrolmentIpc.state();
      const roster = await enrolmentIpc.roster();
      if (!alive) return;
      clear(body);
      body.appendChild(h('h1', { text: 'Đăng ký thiết bị và khoá' }));
      body.appendChild(drawMe());
      if (state.stage === 'office') {
        body.appendChild(keysPanel());
        body.appendChild(reviewPanel());
        body.appendChild(rosterPanel(roster));
        body.appendChild(rolloverPanel());
      } else {
        body.appendChild(pinPanel(false));
        if (state.role === 'reviewer') body.appendChild(pinPanel(true));
        if (state.stage === 'waiting') body.appendChild(requestPanel());
        if (state.stage === 'enrolled') {
          body.appendChild(h('section', { class: 'panel', id: 'en-enrolled' },
            h('h2', { text: 'Đã đăng ký' }),
            h('p', { text: `Máy ${state.short_code} đã có chứng thư số ${state.cert_serial} của văn phòng và gửi được dữ liệu ở màn hình Trao đổi dữ liệu.` })));
          body.appendChild(keysPanel());
        }
        body.appendChild(rosterPanel(roster));
      }
    } catch (e) { fail(e); }
  }

  (async () => {
    try { [presetDir, presetFile] = await Promise.all([enrolmentIpc.presetDir(), enrolmentIpc.presetFile()]); } catch { presetDir = null; presetFile = null; }
    await refresh();
  })();
  return () => { alive = false; };
}
