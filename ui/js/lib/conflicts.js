// @ts-check
/**
 * Pure helpers of the conflict review screen (xem xét xung đột): grouping the core's review items
 * by household, the Vietnamese titles of a household and an item, the "who / when / which
 * laptop" line of a competing value, and which item to open after one is saved. No DOM, no IPC:
 * tested with `node --test`.
 * @module lib/conflicts
 */
import { formatDateTime } from './format.js';

/**
 * @typedef {{node_id: string, short_code: string, role: string, role_label: string, commune_code: string|null}} Device
 * @typedef {{origin: string, seq: number, key: string, value: any, display: string, user_name: string,
 *   device_time: string, received_at: string|null, device: Device, authority: number, authority_label: string,
 *   shown: boolean, reason: string|null}} Head
 * @typedef {{entity: string, row_id: string, field: string, kind: string, kind_label: string, field_label: string,
 *   critical: boolean, household_id: string|null, household_code: string|null, head_name: string|null,
 *   village: string|null, member_name: string|null, current: any, current_display: string, heads: Head[],
 *   input: string, options: {code: string, label: string}[], resolvable: boolean}} Item
 */

/**
 * A stable key for one item.
 * @param {{entity: string, row_id: string, field: string, kind: string}} it
 */
export function itemKey(it) {
  return `${it.entity}|${it.row_id}|${it.field}|${it.kind}`;
}

/**
 * "Hộ 01234-1-00001 — Nông Văn Dũng (Khưa Lốm)", or the record kind when it has no household.
 * @param {Item} it
 */
export function householdTitle(it) {
  if (!it.household_code && !it.household_id) return 'Bản ghi không thuộc hộ nào';
  let s = `Hộ ${it.household_code || '(chưa rõ mã)'}`;
  if (it.head_name) s += ` — ${it.head_name}`;
  if (it.village) s += ` (${it.village})`;
  return s;
}

/**
 * "Thành viên Nông Thị Hoa · Ngày sinh", or just the field's label for the household itself.
 * @param {Item} it
 */
export function itemTitle(it) {
  return it.member_name ? `Thành viên ${it.member_name} · ${it.field_label}` : it.field_label;
}

/**
 * Items grouped by household, in the order the core sorted them.
 * @param {Item[]} items
 * @returns {{key: string, title: string, household_id: string|null, items: Item[]}[]}
 */
export function groupByHousehold(items) {
  /** @type {Map<string, {key: string, title: string, household_id: string|null, items: Item[]}>} */
  const groups = new Map();
  for (const it of items) {
    const key = it.household_id || '';
    let g = groups.get(key);
    if (!g) {
      g = { key, title: householdTitle(it), household_id: it.household_id, items: [] };
      groups.set(key, g);
    }
    g.items.push(it);
  }
  return [...groups.values()];
}

/**
 * Who wrote a value, on which laptop, with which authority, when, and when it arrived here.
 * @param {Head} hd
 */
export function headMeta(hd) {
  const where = [hd.device.role_label, hd.device.commune_code ? `xã ${hd.device.commune_code}` : ''].filter(Boolean).join(', ');
  const parts = [
    hd.user_name,
    `máy ${hd.device.short_code}${where ? ` (${where})` : ''}`,
    hd.authority_label,
    `ghi lúc ${formatDateTime(hd.device_time)}`,
    hd.received_at ? `nhận lúc ${formatDateTime(hd.received_at)}` : 'nhập trên máy này',
  ];
  return parts.filter(Boolean).join(' · ');
}

/**
 * After `savedKey` was resolved: the key of the item to open next — the next resolvable item
 * after the saved one's place in the old list, else the first resolvable one, else null.
 * @param {Item[]} before the list when the item was saved
 * @param {Item[]} after  the list re-read after saving
 * @param {string} savedKey
 * @returns {string|null}
 */
export function nextSelection(before, after, savedKey) {
  const open = new Set(after.filter((i) => i.resolvable).map(itemKey));
  const at = before.findIndex((i) => itemKey(i) === savedKey);
  for (let k = at + 1; k < before.length && at >= 0; k++) {
    const key = itemKey(before[k]);
    if (open.has(key)) return key;
  }
  const first = after.find((i) => i.resolvable);
  return first ? itemKey(first) : null;
}

/**
 * The open items of the same record as `it` in which the competing value `headKey`
 * (`ORIGIN:SEQ`) also competes: what "keep this whole version" would decide at once.
 * @param {Item[]} items every item on the screen
 * @param {Item} it the open item
 * @param {string} headKey
 * @returns {Item[]}
 */
export function versionItems(items, it, headKey) {
  return items.filter((x) => x.resolvable && x.kind === 'overlap'
    && x.entity === it.entity && x.row_id === it.row_id
    && x.heads.some((hd) => hd.key === headKey));
}
