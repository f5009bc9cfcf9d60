'use strict';
// The window engine's limits: event times within the Date range and a horizon, bounded runs of
// empty windows, bounded keys (maxKeys, idle expiry) and aligned features, bounded settings,
// values that cannot overflow an aggregate, and error messages that echo little of the input.
// A case that once hung or ran out of memory runs in a child process with a memory cap and a
// kill timer, so a regression fails the test instead of stopping the suite.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const dist = require('../../support/dist');

const { WindowEngine, parseEventTime, resolveWindowOptions, topicFeatureName, preview, WINDOW_LIMITS } =
  dist('lib/window');
const { summarize } = dist('lib/aggregate');
const { SampleError } = dist('lib/errors');

/** A wall-clock-like time: 2023-11-14T22:13:20Z. */
const NOW = 1_700_000_000_000;

/**
 * Runs `body` (the statements of an async function that may use `dist(path)` and returns a
 * JSON-able result) in a child process with `memory` MB of heap, killed after `guard` ms. The
 * guard only bounds a regression (a hang); nothing is asserted about the time taken.
 */
function runBounded(body, { guard = 30_000, memory = 192 } = {}) {
  const script =
    `const path = require('node:path');\n` +
    `const dist = (p) => require(path.join(${JSON.stringify(dist.root)}, p));\n` +
    `(async () => {\n${body}\n})().then(\n` +
    `  (result) => process.stdout.write(JSON.stringify({ result })),\n` +
    `  (err) => process.stdout.write(JSON.stringify({ thrown: err.name, message: err.message })),\n` +
    `);\n`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`--max-old-space-size=${memory}`, '-e', script],
      { timeout: guard, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          const how = error.killed
            ? `killed after the ${guard} ms guard (a hang)`
            : `exited with ${error.code ?? error.signal} (out of memory?)`;
          resolve({ failed: `the child ${how}: ${String(stderr).slice(0, 300)}` });
          return;
        }
        resolve(JSON.parse(stdout));
      },
    );
  });
}

describe('window limits: event time', () => {
  it('nanosecond event times (1.7e18) with 100 ms windows are a SampleError naming the unit, never a hang', async function () {
    this.timeout(40_000);
    const out = await runBounded(`
      const { WindowEngine } = dist('lib/window');
      const engine = new WindowEngine({ mode: 'time', size: 100, time: 'event' });
      const errors = [];
      for (const time of [1.7e18, 1.7e18 + 1e9]) {
        try { engine.add(1, { time, timeWhere: 'msg.timestamp' }); } catch (err) { errors.push(err.name + ': ' + err.message); }
      }
      return { errors, buffered: engine.bufferedSamples };
    `);
    assert.equal(out.failed, undefined, out.failed);
    assert.equal(out.result.errors.length, 2);
    for (const message of out.result.errors) {
      assert.match(message, /^SampleError: msg\.timestamp is 17000000\d{11}, outside the range of dates/);
      assert.match(message, /nanoseconds since the epoch .*divide it by 1e6 to get ms/);
    }
    assert.equal(out.result.buffered, 0);
  });

  it('parseEventTime: beyond ±8.64e15 ms is a SampleError that recognises ns and µs epochs', () => {
    assert.throws(
      () => parseEventTime(1.7e18, 'msg.ts'),
      (e) => e instanceof SampleError && /nanoseconds.*divide it by 1e6/.test(e.message),
    );
    assert.throws(
      () => parseEventTime(1.7e19, 'msg.ts'),
      (e) => e instanceof SampleError && /microseconds|nanoseconds/.test(e.message),
    );
    assert.throws(() => parseEventTime(-9e15, 'msg.ts'), /outside the range of dates/);
    assert.equal(parseEventTime(8.64e15, 'msg.ts'), 8.64e15);
  });

  it('horizon: a far-future time is rejected (naming µs when it looks so), so later samples are not late', () => {
    const engine = new WindowEngine({ mode: 'time', size: 1000, time: 'event' });
    const at = (time) => ({ time, now: NOW, timeWhere: 'msg.ts' });
    assert.equal(engine.add(1, at(NOW)).windows.length, 0);
    assert.throws(
      () => engine.add(2, at(NOW * 1000)),
      (e) =>
        e instanceof SampleError && /more than the horizon of 3600000 ms ahead.*microseconds/.test(e.message),
    );
    assert.throws(
      () => engine.add(2, at(NOW + 86_400_000)),
      /ahead of the stream time .* and this machine's clock/,
    );
    assert.equal(engine.streamTime, NOW, 'a rejected time does not move the stream time');
    const next = engine.add(3, at(NOW + 1500));
    assert.deepEqual(next.late, [], 'the next normal sample is not late');
    assert.deepEqual(
      next.windows.map((w) => [w.start, w.count]),
      [[NOW, 1]],
    );
    // Behind the stream time by more than the horizon: an error that says how to replay.
    assert.throws(() => engine.add(4, at(NOW - 7_200_000)), /behind the stream time.*send msg\.reset first/);
    // A source whose clock is behind this machine's may still jump forward past a long silence.
    const replay = new WindowEngine({ mode: 'time', size: 1000, time: 'event' });
    replay.add(1, at(NOW - 10 * 86_400_000));
    assert.equal(replay.add(2, at(NOW - 86_400_000)).windows.length, 1);
  });

  it('emitEmpty: event time 0 then now skips the 1.7e9 empty windows with one report (bounded memory)', async function () {
    this.timeout(40_000);
    const out = await runBounded(`
      const { WindowEngine } = dist('lib/window');
      const engine = new WindowEngine({ mode: 'time', size: 1000, time: 'event', emitEmpty: true });
      const now = ${NOW};
      engine.add(1, { time: 0, now });
      const output = engine.add(2, { time: now, now });
      const later = engine.add(3, { time: now + 3500, now });
      return {
        windows: output.windows.map((w) => [w.start, w.count]),
        skipped: output.skipped,
        later: later.windows.map((w) => [w.start, w.count]),
      };
    `);
    assert.equal(out.failed, undefined, out.failed);
    const { windows, skipped, later } = out.result;
    assert.deepEqual(windows, [[0, 1]]);
    assert.deepEqual(skipped, { windows: NOW / 1000 - 1, gaps: 1, from: 1000, to: NOW, key: null });
    assert.deepEqual(later, [
      [NOW, 1],
      [NOW + 1000, 0],
      [NOW + 2000, 0],
    ]);
  });

  it('emitEmpty on arrival time: a wall-clock jump (1970, then NTP) is skipped, short gaps are still sent', async function () {
    this.timeout(40_000);
    const out = await runBounded(`
      const { WindowEngine } = dist('lib/window');
      const engine = new WindowEngine({ mode: 'time', size: 1000, emitEmpty: true, groupBy: 'key' });
      engine.add(1, { time: 5, key: 'a' });
      const short = engine.advance(500_000);
      engine.add(2, { time: 500_100, key: 'a' });
      const jump = engine.advance(${NOW});
      return { short: short.windows.length, shortSkipped: short.skipped ?? null, jump: jump.windows.length, skipped: jump.skipped };
    `);
    assert.equal(out.failed, undefined, out.failed);
    assert.equal(out.result.short, 500, 'a gap of up to the limit is sent window by window');
    assert.equal(out.result.shortSkipped, null);
    assert.equal(out.result.jump, 1, 'the window holding the sample');
    assert.equal(out.result.skipped.gaps, 1);
    assert.equal(out.result.skipped.windows, NOW / 1000 - 501);
  });

  it('emitEmpty: msg.flush over a long gap (held open by lateness) skips it too', () => {
    const engine = new WindowEngine({
      mode: 'time',
      size: 1000,
      time: 'event',
      emitEmpty: true,
      lateness: 50_000_000,
      horizon: 100_000_000,
    });
    engine.add(1, { time: 0 });
    engine.add(2, { time: 10_000_000 });
    const out = engine.flush();
    assert.deepEqual(
      out.windows.map((w) => [w.start, w.count]),
      [
        [0, 1],
        [10_000_000, 1],
      ],
    );
    assert.equal(out.skipped.windows, 9999);
    assert.ok(WINDOW_LIMITS.emptyWindows < 9999);
  });
});

describe('window limits: keys and aligned features', () => {
  it('maxKeys: a new key beyond it forgets the least recently used, reported once per call', () => {
    const engine = new WindowEngine({ mode: 'count', size: 3, groupBy: 'key', maxKeys: 2 });
    engine.add(1, { time: 0, key: 'a' });
    engine.add(2, { time: 0, key: 'a' });
    engine.add(1, { time: 1, key: 'b' });
    engine.add(3, { time: 2, key: 'a' }); // a is now the most recent
    const out = engine.add(1, { time: 3, key: 'c' });
    assert.deepEqual(out.dropped, [{ reason: 'maxKeys', keys: 1, samples: 1, key: 'b' }]);
    assert.equal(engine.keys, 2);
    assert.equal(engine.bufferedSamples, 1, 'a emitted its window; c holds one');
  });

  it('1e5 one-off keys on count windows stay within maxKeys and never fill maxSamples', () => {
    const engine = new WindowEngine({
      mode: 'count',
      size: 10,
      groupBy: 'key',
      maxKeys: 1000,
      maxSamples: 5000,
    });
    let dropped = 0;
    for (let i = 0; i < 100_000; i++) {
      const out = engine.add(i, { time: i, key: `sensor-${i}` });
      for (const d of out.dropped ?? []) dropped += d.keys;
    }
    assert.equal(engine.keys, 1000);
    assert.equal(engine.bufferedSamples, 1000);
    assert.equal(dropped, 99_000);
  });

  it('idle keys are forgotten: a count window drops its partial window; emitEmpty stops for a silent key', () => {
    const count = new WindowEngine({ mode: 'count', size: 5, groupBy: 'key', idleTimeout: 1000 });
    count.add(1, { time: 0, key: 'a' });
    count.add(2, { time: 10, key: 'a' });
    const out = count.add(3, { time: 2000, key: 'b' });
    assert.deepEqual(out.dropped, [{ reason: 'idle', keys: 1, samples: 2, key: 'a' }]);
    assert.equal(count.bufferedSamples, 1);

    const time = new WindowEngine({
      mode: 'time',
      size: 1000,
      emitEmpty: true,
      groupBy: 'key',
      idleTimeout: 5000,
    });
    const aStarts = [];
    const note = (out) => aStarts.push(...out.windows.filter((w) => w.key === 'a').map((w) => w.start));
    note(time.add(1, { time: 0, key: 'a' }));
    note(time.add(1, { time: 0, key: 'b' }));
    for (let t = 1000; t <= 3000; t += 1000) note(time.add(1, { time: t, key: 'b' }));
    for (let t = 4000; t <= 60_000; t += 1000) note(time.advance(t));
    // At 5000 a has been idle 5000 ms: forgotten after its window [4000, 5000) closed.
    assert.deepEqual(aStarts, [0, 1000, 2000, 3000, 4000]);
    assert.equal(time.keys, 0, 'b too has gone idle');
  });

  it('idle expiry never drops an open time window, even with an idleTimeout shorter than the window', () => {
    const engine = new WindowEngine({ mode: 'time', size: 10_000, groupBy: 'key', idleTimeout: 1000 });
    engine.add(7, { time: 0, key: 'a' });
    engine.add(1, { time: 5000, key: 'b' });
    const out = engine.advance(10_000);
    assert.deepEqual(
      out.windows.map((w) => [w.key, w.count]),
      [
        ['a', 1],
        ['b', 1],
      ],
    );
  });

  it('align without features: names beyond maxFeatures are a SampleError; new names cost O(1) each', () => {
    const engine = new WindowEngine({ mode: 'time', size: 1000, groupBy: 'align', maxFeatures: 100 });
    for (let i = 0; i < 100; i++) engine.add(i, { time: i, name: `f${i}` });
    for (let i = 100; i < 20_000; i++) {
      assert.throws(
        () => engine.add(i, { time: i, name: `f${i}` }),
        (e) => e instanceof SampleError && /more than maxFeatures \(100\)/.test(e.message),
      );
    }
    const out = engine.advance(1000);
    assert.equal(Object.keys(out.windows[0].value).length, 100);
  });

  it('align: an aligner per key is bounded by maxKeys', () => {
    const engine = new WindowEngine({ mode: 'time', size: 1000, groupBy: 'align', maxKeys: 10 });
    for (let i = 0; i < 1000; i++) engine.add(i, { time: i, name: 'temp', key: `m${i}` });
    assert.equal(engine.keys, 10);
  });
});

describe('window limits: settings', () => {
  const invalid = [
    [
      { mode: 'count', size: 10, maxSamples: 1e12 },
      /setting "maxSamples" must be a whole number between 1 and 10000000/,
    ],
    [
      { mode: 'time', size: 1e15, step: 1 },
      /setting "size" must be a whole number between 1 and 31622400000/,
    ],
    [{ mode: 'time', size: 1e9, step: 1 }, /setting "step" must be at least size \/ 1000 \(1000000 ms\)/],
    [
      { mode: 'count', size: 10_000, step: 1, maxSamples: 10_000 },
      /setting "step" must be at least size \/ 1000/,
    ],
    [
      { mode: 'time', size: 1000, time: 'event', lateness: 1e300 },
      /setting "lateness" must be a number between 0/,
    ],
    [{ mode: 'session', gap: 1e300 }, /setting "gap" must be a number between 0/],
    [{ mode: 'time', size: 1000, time: 'event', horizon: 0 }, /setting "horizon" must be/],
    [
      { mode: 'time', size: 1000, time: 'event', lateness: 7_200_000 },
      /setting "horizon" \(3600000 ms\) must be at least "lateness"/,
    ],
    [
      { mode: 'count', size: 10, maxKeys: 1e12 },
      /setting "maxKeys" must be a whole number between 1 and 1000000/,
    ],
    [{ mode: 'count', size: 10, idleTimeout: -1 }, /setting "idleTimeout" must be/],
    [{ mode: 'count', size: 10, maxFeatures: 0 }, /setting "maxFeatures" must be/],
    [
      { mode: 'count', size: 10, groupBy: 'align', features: ['a', 'b', 'c'], maxFeatures: 2 },
      /setting "maxFeatures" \(2\) must be at least the number of features listed \(3\)/,
    ],
  ];
  for (const [options, message] of invalid) {
    it(`rejects ${JSON.stringify(options)}`, () => {
      assert.throws(() => resolveWindowOptions(options), message);
    });
  }

  it('accepts the largest of each bound, with defaults for the new settings', () => {
    const o = resolveWindowOptions({
      mode: 'time',
      size: WINDOW_LIMITS.span,
      step: WINDOW_LIMITS.span / 1000,
    });
    assert.equal(o.size, 31_622_400_000);
    assert.deepEqual(
      [o.horizon, o.maxKeys, o.idleTimeout, o.maxFeatures],
      [3_600_000, 1000, 604_800_000, 100],
    );
  });
});

describe('window limits: values and aggregates', () => {
  it('summarize is overflow-safe: values up to ±1e300 give finite aggregates (std computed scaled)', () => {
    const all = ['mean', 'min', 'max', 'std', 'sum', 'count', 'first', 'last', 'median'];
    const big = [1e300, -1e300, 1e300, 1e300];
    const stats = summarize(big, all);
    for (const v of stats) assert.ok(Number.isFinite(v), `${stats}`);
    assert.equal(stats[4], 2e300);
    assert.ok(Math.abs(stats[3] - Math.sqrt(0.75) * 1e300) < 1e286, `std ${stats[3]}`);
    assert.ok(Math.abs(summarize([1e200, -1e200], ['std'])[0] - 1e200) < 1e186);
    assert.ok(Math.abs(summarize([1e-200, -1e-200], ['std'])[0] - 1e-200) < 1e-214);
    assert.equal(summarize([3, 3, 3], ['std'])[0], 0);
  });

  it('a value beyond ±1e30 (the limit of every node) is a SampleError on every path (first sample, fast path, batch, align)', () => {
    const big = /larger in magnitude than 1e\+30, the largest value this node accepts/;
    const engine = new WindowEngine({ mode: 'count', size: 4, emit: 'aggregate', aggregates: 'sum,std' });
    engine.add(1e30, { time: 0 });
    assert.throws(
      () => engine.add(1.5e308, { time: 1 }),
      (e) => e instanceof SampleError && big.test(e.message),
    );
    assert.throws(() => engine.add(1e300, { time: 1 }), /msg\.payload is 1e\+300, larger in magnitude/);
    assert.throws(() => engine.add([[1], [-1e31]], { time: 1 }), /msg\.payload\[1\]\[0\] is -1e\+31/);
    const arrays = new WindowEngine({ mode: 'count', size: 2 });
    arrays.add([1, 2], { time: 0 });
    assert.throws(() => arrays.add([1, 1e31], { time: 1 }), /msg\.payload\[1\] is 1e\+31/);
    const objects = new WindowEngine({ mode: 'count', size: 2 });
    assert.throws(() => objects.add({ t: 1, h: -1e35 }, { time: 0 }), /msg\.payload\.h is -1e\+35/);
    const align = new WindowEngine({ mode: 'time', size: 10, groupBy: 'align' });
    assert.throws(() => align.add(1e31, { time: 0, name: 'temp' }), big);
    assert.equal(engine.bufferedSamples, 1, 'nothing rejected was added');
    assert.deepEqual(engine.add(1e30, { time: 2 }).windows, []);
    engine.add(1e30, { time: 3 });
    const [w] = engine.add(-1e30, { time: 4 }).windows;
    assert.ok(Object.values(w.value).every(Number.isFinite), JSON.stringify(w.value));
  });

  it('maxDimension: a wider sample is a SampleError; at most 100000', () => {
    const engine = new WindowEngine({ mode: 'count', size: 2, maxDimension: 3 });
    assert.throws(() => engine.add([1, 2, 3, 4], { time: 0 }), /more than maxDimension \(3\)/);
    assert.throws(
      () => resolveWindowOptions({ mode: 'count', size: 2, maxDimension: 1e6 }),
      /setting "maxDimension" must be a whole number between 1 and 100000/,
    );
  });
});

describe('window limits: messages', () => {
  it('a schema different from the open window speaks of this window, not a model', () => {
    const engine = new WindowEngine({ mode: 'count', size: 3 });
    engine.add([1, 2], { time: 0 });
    assert.throws(
      () => engine.add([1, 2, 3], { time: 1 }),
      (e) => /this window has 2/.test(e.message) && !/model/.test(e.message),
    );
    const named = new WindowEngine({ mode: 'count', size: 3 });
    named.add({ t: 1, h: 2 }, { time: 0 });
    assert.throws(
      () => named.add({ t: 1 }, { time: 1 }),
      (e) => /this window's features are t, h/.test(e.message) && !/model/.test(e.message),
    );
  });

  it('a long list of features is cut as every error cuts one: the first ten, then how many in all', () => {
    const features = Array.from({ length: 20 }, (_, j) => `f${j}`);
    const engine = new WindowEngine({ mode: 'count', size: 2, groupBy: 'align', features });
    assert.throws(
      () => engine.add(1, { time: 0, name: 'other' }),
      (e) =>
        e instanceof SampleError &&
        e.message.includes('not one of the features f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, … (20 in all).'),
    );
  });

  it('errors echo at most a few dozen characters of a topic, a name or a key, and no list of 1e5 names', () => {
    const long = 'x'.repeat(1_000_000);
    assert.throws(
      () => topicFeatureName(`${long}/`),
      (e) => e instanceof SampleError && e.message.length < 300,
    );
    const fixed = new WindowEngine({ mode: 'time', size: 10, groupBy: 'align', features: ['temp'] });
    assert.throws(
      () => fixed.add(1, { time: 0, name: long }),
      (e) => e instanceof SampleError && e.message.length < 400,
    );
    const wide = new WindowEngine({ mode: 'count', size: 3, maxDimension: 100_000 });
    const row = {};
    for (let j = 0; j < 100_000; j++) row[`feature${j}`] = j;
    wide.add(row, { time: 0 });
    assert.throws(
      () => wide.add({ feature0: 1 }, { time: 1 }),
      (e) => e instanceof SampleError && e.message.length <= 800 && /has no field "feature1"/.test(e.message),
    );
    const keyed = new WindowEngine({ mode: 'count', size: 3, groupBy: 'key' });
    keyed.add(1, { time: 0, key: long });
    assert.throws(
      () => keyed.add([1, 2], { time: 0, key: long }),
      (e) => e instanceof SampleError && e.message.length < 400,
    );
  });

  it('preview is short and never throws, whatever the value', () => {
    const cyclic = { a: 1 };
    cyclic.self = cyclic;
    const hostile = [
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('trap');
          },
          get() {
            throw new Error('trap');
          },
        },
      ),
      {
        get x() {
          throw new Error('getter');
        },
      },
      Object.create(null),
      {
        toJSON: () => ({}),
        toString: null,
        [Symbol.toPrimitive]: () => {
          throw new Error('p');
        },
      },
      10n ** 400n,
      cyclic,
      new Array(1e6).fill(1.5),
      'y'.repeat(1e6),
      Symbol('s'),
      () => 1,
    ];
    for (const value of hostile) {
      const text = preview(value);
      assert.equal(typeof text, 'string');
      assert.ok(text.length <= 80, text);
    }
    assert.equal(preview([1, 2, 3]), '[1,2,3]');
    assert.equal(preview({ temp: 21.5 }), '{"temp":21.5}');
  });
});
