import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agreement, classInfo, dateForCore, formatPct, latestVersions, nextToSurvey, readDecimal, readInteger,
  ruleSetFor, surveyStatusLabel, todayIso, transitionLabel,
} from '../../ui/js/lib/review.js';

test('class codes of the core get their Vietnamese labels', () => {
  assert.equal(classInfo('poor').text, 'Hộ nghèo');
  assert.equal(classInfo('near_poor').css, 'near');
  assert.equal(classInfo('average').text, 'Hộ có mức sống trung bình');
  assert.equal(classInfo(null).text, 'Chưa phân loại');
  assert.equal(classInfo('something_new').text, 'something_new');
  assert.equal(surveyStatusLabel('resurvey'), 'Phải rà soát lại');
  assert.equal(surveyStatusLabel(undefined), 'Chưa rà soát');
  assert.equal(transitionLabel('escaped_poverty'), 'Thoát nghèo');
  assert.equal(transitionLabel(null), '');
});

test('typed numbers accept Vietnamese grouping and refuse anything else', () => {
  assert.equal(readInteger('1.500.000'), 1500000);
  assert.equal(readInteger(' 1 500 000 '), 1500000);
  assert.equal(readInteger(''), null);
  assert.ok(Number.isNaN(readInteger('1,5')));
  assert.ok(Number.isNaN(readInteger('12a')));
  assert.equal(readDecimal('24,5'), 24.5);
  assert.equal(readDecimal('30'), 30);
  assert.equal(readDecimal('  '), null);
  assert.ok(Number.isNaN(readDecimal('-3')));
  assert.ok(Number.isNaN(readDecimal('1.2.3')));
});

test('dates go to the core as ISO when readable, as typed otherwise', () => {
  assert.equal(dateForCore('5/10/2026'), '2026-10-05');
  assert.equal(dateForCore('2026-10-05'), '2026-10-05');
  assert.equal(dateForCore('31/02/2026'), '31/02/2026');
  assert.equal(dateForCore(' hôm qua '), 'hôm qua');
  assert.equal(todayIso(new Date(2026, 0, 9)), '2026-01-09');
});

test('meeting agreement: one decimal like the core, half counts as enough', () => {
  assert.deepEqual(agreement(40, 20), { pct: 50, atLeastHalf: true });
  assert.deepEqual(agreement(40, 19), { pct: 47.5, atLeastHalf: false });
  assert.deepEqual(agreement(3, 2), { pct: 66.7, atLeastHalf: true });
  assert.equal(agreement(0, 0), null);
  assert.equal(agreement(null, 3), null);
  assert.equal(agreement(10, Number.NaN), null);
  assert.equal(formatPct(47.5), '47,5 %');
  assert.equal(formatPct(50), '50 %');
});

test('the next household to survey follows the list, wraps, and skips surveyed ones', () => {
  const rows = [
    { household_id: 'a', status: 'surveyed' },
    { household_id: 'b', status: 'pending' },
    { household_id: 'c', status: 'surveyed' },
    { household_id: 'd', status: 'resurvey' },
  ];
  assert.equal(nextToSurvey(rows, 'b'), 'd');
  assert.equal(nextToSurvey(rows, 'd'), 'b');
  assert.equal(nextToSurvey(rows, 'x'), 'b');
  assert.equal(nextToSurvey([{ household_id: 'a', status: 'pending' }], 'a'), null);
  assert.equal(nextToSurvey(rows.map((r) => ({ ...r, status: 'surveyed' })), 'a'), null);
});

test('rule sets: the latest version of each id, and the one valid on a date', () => {
  const sets = [
    { id: '2027-2030', version: 1, valid_from: '2027-01-01', valid_to: '2030-12-31' },
    { id: '2022-2025', version: 1, valid_from: '2022-01-01', valid_to: '2026-12-31' },
    { id: '2022-2025', version: 2, valid_from: '2022-01-01', valid_to: '2026-12-31' },
  ];
  assert.deepEqual(latestVersions(sets).map((s) => `${s.id}@${s.version}`), ['2022-2025@2', '2027-2030@1']);
  assert.equal(ruleSetFor(sets, '2026-10-01')?.id, '2022-2025');
  assert.equal(ruleSetFor(sets, '2027-10-01')?.id, '2027-2030');
  assert.equal(ruleSetFor(sets, '2040-01-01')?.id, '2022-2025');
  assert.equal(ruleSetFor([], '2026-10-01'), null);
});
