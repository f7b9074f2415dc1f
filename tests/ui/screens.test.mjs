import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextScale } from '../../ui/js/screens/settings.js';
import { classLabel } from '../../ui/js/screens/register.js';

test('A+ and A- step the font scale by 10 % within 80–160 %', () => {
  assert.equal(nextScale(1, 1), 1.1);
  assert.equal(nextScale(1.1, -1), 1);
  assert.equal(nextScale(1.6, 1), 1.6);
  assert.equal(nextScale(0.8, -1), 0.8);
  // No floating-point drift after many presses.
  let s = 1;
  for (let i = 0; i < 3; i++) s = nextScale(s, 1);
  assert.equal(s, 1.3);
});

test('household classes get Vietnamese labels; unknown codes are shown as they are', () => {
  assert.equal(classLabel('poor').text, 'Hộ nghèo');
  assert.equal(classLabel('near_poor').text, 'Hộ cận nghèo');
  assert.equal(classLabel(null).text, 'Chưa rà soát');
  assert.equal(classLabel('xyz').text, 'xyz');
});

test('the four class codes of the rules engine all have labels', () => {
  assert.equal(classLabel('average').text, 'Hộ có mức sống trung bình');
  assert.equal(classLabel('not_poor').text, 'Không thuộc hộ nghèo, cận nghèo');
});
