'use strict';
// WindowEngine when many windows close at once: iterative, in shares of
// WINDOW_LIMITS.windowsPerCall windows a call (WindowEngine.resume for the rest), none lost; and
// the deploy-time bound on the rate of empty windows.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');

const { WINDOW_LIMITS, WindowEngine } = dist('lib/window');

const T0 = Date.UTC(2026, 0, 1);

/** 1 s windows with empty ones, for 1000 keys that each had a sample at `time`. */
function thousandKeys(time, basis = 'arrival') {
  const engine = new WindowEngine({ mode: 'time', size: 1000, emitEmpty: true, groupBy: 'key', time: basis });
  for (let k = 0; k < 1000; k++) engine.add(k, { time, key: `k${k}` });
  return engine;
}

describe('WindowEngine: closing many windows at once', () => {
  it('no recursion or spread: 300,000 windows closing in one call go out in shares, none lost', () => {
    const engine = thousandKeys(T0);
    let out = engine.advance(T0 + 300_000);
    let windows = out.windows.length;
    const shares = [windows];
    while (engine.catchingUp) {
      out = engine.resume();
      shares.push(out.windows.length);
      windows += out.windows.length;
    }
    assert.equal(windows, 300_000);
    // Keys close halfway when the bound falls within one: every call sends exactly the bound.
    assert.ok(
      shares.every((n, i) => n === WINDOW_LIMITS.windowsPerCall || i === shares.length - 1),
      String(shares.slice(0, 5)),
    );
    assert.equal(shares.length, 300_000 / WINDOW_LIMITS.windowsPerCall);
    assert.equal(engine.bufferedSamples, 0);
  });

  it('a key with a new sample while catching up sends its closed windows first, without the sample', () => {
    const engine = thousandKeys(T0 + 1, 'event');
    const first = engine.add(-1, { time: T0 + 100_000, key: 'k0' });
    assert.ok(engine.catchingUp, 'more than one share closed');
    assert.equal(first.windows.length, WINDOW_LIMITS.windowsPerCall, 'one share (k0 first, in full)');
    // k999 is still queued: its own windows close before its new sample joins a window.
    const own = engine.add(999, { time: T0 + 100_500, key: 'k999' });
    const k999 = own.windows.filter((w) => w.key === 'k999');
    assert.equal(k999.length, 100);
    assert.equal(k999[0].count, 1);
    assert.ok(k999.every((w) => w.end <= T0 + 100_000));
    let total = first.windows.length + own.windows.length;
    while (engine.catchingUp) total += engine.resume().windows.length;
    assert.equal(total, 100_000);
    // Both new samples are in the next window of their key.
    const next = engine.flush();
    assert.deepEqual(
      next.windows.filter((w) => w.count > 0).map((w) => [w.key, w.count]),
      [
        ['k0', 1],
        ['k999', 1],
      ],
    );
  });

  it('emitEmpty is bounded at deploy: maxKeys × 1000 / step ≤ emptyWindowsPerSecond', () => {
    assert.throws(
      () => new WindowEngine({ mode: 'time', size: 1000, emitEmpty: true, groupBy: 'key', maxKeys: 1e6 }),
      /could send 1000000 empty windows a second, more than 10000: lower maxKeys to 10000 or below, or set a step of at least 100000 ms/,
    );
    // Without keys, or without emitEmpty, the same settings stand.
    new WindowEngine({ mode: 'time', size: 1000, emitEmpty: true, maxKeys: 1e6 });
    new WindowEngine({ mode: 'time', size: 1000, groupBy: 'key', maxKeys: 1e6 });
    new WindowEngine({ mode: 'time', size: 100_000, emitEmpty: true, groupBy: 'key', maxKeys: 1e6 });
  });
});
