import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debounce, latestOnly } from '../../ui/js/lib/debounce.js';

/** A fake clock so the test does not depend on real time. */
function fakeTimers() {
  let now = 0;
  let id = 0;
  const due = new Map();
  return {
    setTimeout(f, ms) { due.set(++id, { at: now + ms, f }); return id; },
    clearTimeout(t) { due.delete(t); },
    advance(ms) {
      now += ms;
      for (const [k, v] of [...due]) if (v.at <= now) { due.delete(k); v.f(); }
    },
  };
}

test('a burst of calls runs once, with the last arguments, after the quiet period', () => {
  const t = fakeTimers();
  const seen = [];
  const d = debounce((q) => seen.push(q), 200, t);
  d('n'); t.advance(100); d('no'); t.advance(100); d('nong');
  t.advance(199);
  assert.deepEqual(seen, []);
  t.advance(1);
  assert.deepEqual(seen, ['nong']);
  t.advance(1000);
  assert.deepEqual(seen, ['nong']);
});

test('cancel drops the pending call and flush runs it now', () => {
  const t = fakeTimers();
  const seen = [];
  const d = debounce((q) => seen.push(q), 200, t);
  d('a'); d.cancel(); t.advance(500);
  assert.deepEqual(seen, []);
  d('b'); d.flush();
  assert.deepEqual(seen, ['b']);
  t.advance(500);
  assert.deepEqual(seen, ['b']);
});

test('only the newest of overlapping requests is used', async () => {
  const latest = latestOnly();
  let release;
  const slow = new Promise((r) => { release = r; });
  const first = latest(slow);
  const second = latest(Promise.resolve('mới'));
  release('cũ');
  assert.equal(await first, undefined);
  assert.equal(await second, 'mới');
});
