import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemKey, householdTitle, itemTitle, groupByHousehold, headMeta, nextSelection, versionItems } from '../../ui/js/lib/conflicts.js';

/** @param {Partial<import('../../ui/js/lib/conflicts.js').Item>} o */
function item(o) {
  return {
    entity: 'household', row_id: 'h1', field: 'address', kind: 'overlap', kind_label: 'Sửa cùng lúc',
    field_label: 'Địa chỉ', critical: false, household_id: 'h1', household_code: '01234-1-00001',
    head_name: 'Nông Văn Dũng', village: 'Khưa Lốm', member_name: null, current: 'a', current_display: 'a',
    heads: [], input: 'text', options: [], resolvable: true, ...o,
  };
}

test('titles name the household, its head and village, and the member', () => {
  assert.equal(householdTitle(item({})), 'Hộ 01234-1-00001 — Nông Văn Dũng (Khưa Lốm)');
  assert.equal(householdTitle(item({ household_id: null, household_code: null })), 'Bản ghi không thuộc hộ nào');
  assert.equal(itemTitle(item({})), 'Địa chỉ');
  assert.equal(itemTitle(item({ entity: 'member', member_name: 'Nông Thị Hoa', field_label: 'Ngày sinh' })), 'Thành viên Nông Thị Hoa · Ngày sinh');
});

test('items are grouped by household in the core order', () => {
  const groups = groupByHousehold([
    item({ field: 'address' }),
    item({ entity: 'member', row_id: 'm1', field: 'sex' }),
    item({ household_id: 'h2', household_code: '01234-1-00002', head_name: 'Lò Văn A', row_id: 'h2' }),
  ]);
  assert.equal(groups.length, 2);
  assert.equal(groups[0].items.length, 2);
  assert.equal(groups[1].title, 'Hộ 01234-1-00002 — Lò Văn A (Khưa Lốm)');
});

test('the meta line says who, which laptop, office or commune, when written and received', () => {
  const hd = {
    origin: 'ab', seq: 3, key: 'ab:3', value: 'x', display: 'x', user_name: 'Nông Thị Phương',
    device_time: '2026-11-20T05:00:00Z', received_at: '2026-11-21T08:30:00Z',
    device: { node_id: 'ab', short_code: '01234-2', role: 'reviewer', role_label: 'Máy rà soát viên', commune_code: '01234' },
    authority: 1, authority_label: 'Xã', shown: false, reason: null,
  };
  assert.equal(headMeta(hd), 'Nông Thị Phương · máy 01234-2 (Máy rà soát viên, xã 01234) · Xã · ghi lúc 05:00 20/11/2026 · nhận lúc 08:30 21/11/2026');
  assert.match(headMeta({ ...hd, received_at: null }), /nhập trên máy này$/);
});

test('after saving, the next open item is chosen, skipping those that cannot be decided here', () => {
  const a = item({ field: 'address' });
  const b = item({ field: 'note' });
  const c = item({ field: 'merit', kind: 'locked_edit', resolvable: false });
  const d = item({ field: 'no_labour' });
  assert.equal(nextSelection([a, b, c, d], [b, c, d], itemKey(a)), itemKey(b));
  assert.equal(nextSelection([a, b, c, d], [a, c, d], itemKey(b)), itemKey(d));
  assert.equal(nextSelection([a, b, c, d], [a, b, c], itemKey(d)), itemKey(a));
  assert.equal(nextSelection([a, c], [c], itemKey(a)), null);
});

test('the screens this feature touches load as modules (a syntax slip stops the whole app)', async () => {
  for (const m of ['conflicts.js', 'exchange.js', 'household.js']) {
    const mod = await import(`../../ui/js/screens/${m}`);
    assert.equal(typeof mod.mount, 'function', m);
  }
});

test('keeping a whole version covers the items of the same record in which that version competes', () => {
  const hd = (key) => ({ key });
  const a = item({ entity: 'survey', row_id: 's1', field: 'score_a', heads: [hd('x:1'), hd('y:4')] });
  const b = item({ entity: 'survey', row_id: 's1', field: 'class', heads: [hd('x:1'), hd('y:4')] });
  const c = item({ entity: 'survey', row_id: 's1', field: 'reviewer', heads: [hd('x:2'), hd('y:4')] });
  const other = item({ entity: 'survey', row_id: 's2', field: 'class', heads: [hd('x:1'), hd('z:9')] });
  const locked = item({ entity: 'survey', row_id: 's1', field: 'status', kind: 'locked_edit', resolvable: false, heads: [hd('x:1')] });
  const all = [a, b, c, other, locked];
  assert.deepEqual(versionItems(all, a, 'x:1').map((i) => i.field), ['score_a', 'class']);
  assert.deepEqual(versionItems(all, a, 'y:4').map((i) => i.field), ['score_a', 'class', 'reviewer']);
  assert.deepEqual(versionItems(all, other, 'z:9').map((i) => i.field), ['class']);
});
