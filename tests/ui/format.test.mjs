import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumber, formatMoney, formatDate, formatDateTime, parseDate, pageRange } from '../../ui/js/lib/format.js';

test('numbers are grouped with dots the Vietnamese way', () => {
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(999), '999');
  assert.equal(formatNumber(1000), '1.000');
  assert.equal(formatNumber(1234567), '1.234.567');
  assert.equal(formatNumber(-1500), '-1.500');
  assert.equal(formatNumber(12345678901234567890n), '12.345.678.901.234.567.890');
  assert.equal(formatNumber(null), '');
  assert.equal(formatNumber(Number.NaN), '');
});

test('money is integer đồng with the đ sign', () => {
  assert.equal(formatMoney(2500000), '2.500.000 đ');
  assert.equal(formatMoney(undefined), '');
});

test('dates show as dd/mm/yyyy and date-times with the hour first', () => {
  assert.equal(formatDate('2026-03-09'), '09/03/2026');
  assert.equal(formatDate(''), '');
  assert.equal(formatDate('1950'), '1950');
  assert.equal(formatDateTime('2026-11-23T02:05:00Z'), '02:05 23/11/2026');
  assert.equal(formatDateTime('2026-11-23 14:30:12'), '14:30 23/11/2026');
});

test('typed dates are read in Vietnamese order and impossible dates are refused', () => {
  assert.equal(parseDate('9/3/2026'), '2026-03-09');
  assert.equal(parseDate('09-03-2026'), '2026-03-09');
  assert.equal(parseDate('09.03.2026'), '2026-03-09');
  assert.equal(parseDate('2026-3-9'), '2026-03-09');
  assert.equal(parseDate('29/02/2024'), '2024-02-29');
  assert.equal(parseDate('29/02/2025'), null);
  assert.equal(parseDate('31/04/2026'), null);
  assert.equal(parseDate('13/13/2026'), null);
  assert.equal(parseDate('hôm qua'), null);
  assert.equal(parseDate(''), null);
});

test('page range names the shown rows and the total', () => {
  assert.equal(pageRange(0, 50, 1500), '1–50 / 1.500 hộ');
  assert.equal(pageRange(1450, 50, 1500), '1.451–1.500 / 1.500 hộ');
  assert.equal(pageRange(0, 0, 0), '0 / 0 hộ');
});

test('birth is a full date or a year alone, anything else is flagged', async () => {
  const { readBirth } = await import('../../ui/js/lib/format.js');
  assert.deepEqual(readBirth('1948'), { birth_date: null, birth_year: 1948, bad: false });
  assert.deepEqual(readBirth('5/9/1948'), { birth_date: '1948-09-05', birth_year: 1948, bad: false });
  assert.deepEqual(readBirth(''), { birth_date: null, birth_year: null, bad: false });
  assert.equal(readBirth('31/02/1990').bad, true);
  assert.equal(readBirth('năm 48').bad, true);
});
