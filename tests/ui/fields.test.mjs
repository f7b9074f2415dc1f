import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseField, fieldName, groupIssues, placeIssues, hasErrors, memberRow } from '../../ui/js/lib/fields.js';
import { fold, tidy, optional } from '../../ui/js/lib/text.js';

test('field names of the core are split into member index and field', () => {
  assert.deepEqual(parseField('members[1].id_number'), { member: 1, name: 'id_number' });
  assert.deepEqual(parseField('members[12]'), { member: 12, name: '' });
  assert.deepEqual(parseField('address'), { member: null, name: 'address' });
  assert.deepEqual(parseField('members[x].id_number'), { member: null, name: 'members[x].id_number' });
  assert.equal(fieldName(1, 'id_number'), 'members[1].id_number');
  assert.equal(fieldName(null, 'address'), 'address');
  assert.equal(fieldName(3, ''), 'members[3]');
});

test('issues are grouped per field, errors first, duplicates dropped', () => {
  const g = groupIssues([
    { field: 'members[0].id_number', message: 'Giới tính không khớp', severity: 'warning' },
    { field: 'members[0].id_number', message: 'Phải có 12 chữ số' },
    { field: 'members[0].id_number', message: 'Phải có 12 chữ số', severity: 'error' },
    { field: 'address', message: 'Hãy nhập địa chỉ', severity: 'error' },
  ]);
  assert.deepEqual(g.get('members[0].id_number').map((x) => x.severity), ['error', 'warning']);
  assert.equal(g.get('members[0].id_number').length, 2);
  assert.equal(g.get('address')[0].message, 'Hãy nhập địa chỉ');
});

test('messages for fields the form does not show go to the summary', () => {
  const g = groupIssues([{ field: 'address', message: 'a' }, { field: 'members', message: 'Hộ phải có đúng một chủ hộ' }]);
  const { placed, unplaced } = placeIssues(g, new Set(['address']));
  assert.deepEqual([...placed.keys()], ['address']);
  assert.deepEqual(unplaced.map((x) => x.message), ['Hộ phải có đúng một chủ hộ']);
});

test('warnings alone do not block saving', () => {
  assert.equal(hasErrors([{ field: 'a', message: 'x', severity: 'warning' }]), false);
  assert.equal(hasErrors([{ field: 'a', message: 'x', severity: 'error' }]), true);
  assert.equal(hasErrors([{ field: 'a', message: 'x' }]), true);
  assert.equal(hasErrors([]), false);
});

test('member index outside the rows shown is rejected', () => {
  assert.equal(memberRow(1, 2), 1);
  assert.equal(memberRow(2, 2), -1);
  assert.equal(memberRow(-1, 2), -1);
});

test('folding matches the search rules: no case, no diacritics, đ is d', () => {
  assert.equal(fold('Nông Thị Phương'), 'nong thi phuong');
  assert.equal(fold('ĐẶNG Văn Đức'), 'dang van duc');
  assert.equal(tidy('  Nông   Thị  '), 'Nông Thị');
  assert.equal(optional('   '), null);
  assert.equal(optional(' 0123 '), '0123');
});
