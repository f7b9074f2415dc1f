// @ts-check
/**
 * Debounce: run `fn` once, `ms` after the last call. Used for the register search (150–250 ms)
 * so typing does not send one query per key. The timer functions can be injected for tests.
 * @module debounce
 */

/**
 * @template {any[]} A
 * @param {(...args: A) => void} fn
 * @param {number} ms
 * @param {{setTimeout: (f: () => void, ms: number) => any, clearTimeout: (t: any) => void}} [timers]
 * @returns {((...args: A) => void) & {cancel: () => void, flush: () => void}}
 */
export function debounce(fn, ms, timers = globalThis) {
  /** @type {any} */
  let t = null;
  /** @type {A|null} */
  let pending = null;
  const run = () => {
    t = null;
    const a = pending;
    pending = null;
    if (a) fn(...a);
  };
  const d = /** @type {any} */ ((/** @type {A} */ ...args) => {
    pending = args;
    if (t !== null) timers.clearTimeout(t);
    t = timers.setTimeout(run, ms);
  });
  d.cancel = () => { if (t !== null) timers.clearTimeout(t); t = null; pending = null; };
  d.flush = () => { if (t !== null) { timers.clearTimeout(t); run(); } };
  return d;
}

/**
 * Keeps only the newest of several overlapping async requests: `latest(p)` resolves with p's value
 * only if no later call was made meanwhile, otherwise with `undefined` (stale results are dropped).
 * @returns {<T>(p: Promise<T>) => Promise<T|undefined>}
 */
export function latestOnly() {
  let seq = 0;
  return async (p) => {
    const mine = ++seq;
    const v = await p;
    return mine === seq ? v : undefined;
  };
}
