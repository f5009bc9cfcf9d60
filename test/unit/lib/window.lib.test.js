'use strict';
const assert = require('node:assert/strict');
const dist = require('../../support/dist');

const { WindowEngine, parseEventTime, topicFeatureName, resolveWindowOptions } = dist('lib/window');
const { parseAggregates, summarize } = dist('lib/aggregate');
const { SampleError, WindowOverflowError } = dist('lib/errors');
const { SampleReader } = dist('lib/samples');

/** Windows without the payload-independent noise, for exact comparison. */
const plain = (windows) => windows.map((w) => ({ ...w }));
function win(start, end, count, value, key = null) {
  return { start, end, count, key, value };
}
function addAll(engine, samples) {
  return samples.flatMap(([time, value, extra]) => plain(engine.add(value, { time, ...extra }).windows));
}
function close(actual, expected, tolerance, label) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${label}: ${actual} vs ${expected}`,
  );
}

// Independent reference statistics, written the obvious way.
const ref = {
  mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  min: (xs) => Math.min(...xs),
  max: (xs) => Math.max(...xs),
  sum: (xs) => xs.reduce((a, b) => a + b, 0),
  count: (xs) => xs.length,
  first: (xs) => xs[0],
  last: (xs) => xs[xs.length - 1],
  std: (xs) => {
    const m = ref.mean(xs);
    return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
  },
  median: (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const k = Math.floor(s.length / 2);
    return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
  },
};
const ALL = ['mean', 'min', 'max', 'std', 'sum', 'count', 'first', 'last', 'median'];

/** A small deterministic generator (mulberry32), so failures reproduce. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('window engine: count windows', () => {
  it('tumbling: emits every size samples as a batch of one-element rows, start/end = first/last time', () => {
    const w = new WindowEngine({ mode: 'count', size: 3 });
    const out = addAll(
      w,
      [1, 2, 3, 4, 5, 6, 7].map((v) => [v * 10, v]),
    );
    assert.deepEqual(out, [win(10, 30, 3, [[1], [2], [3]]), win(40, 60, 3, [[4], [5], [6]])]);
    assert.equal(w.bufferedSamples, 1);
    assert.equal(w.openWindows, 1);
    assert.equal(w.nextDeadline(), null);
    assert.deepEqual(plain(w.flush(80).windows), [win(70, 70, 1, [[7]])]);
    assert.equal(w.bufferedSamples, 0);
    assert.equal(w.openWindows, 0);
  });

  it('sliding: first window at size samples, then the latest size every step (batch node overlap)', () => {
    const w = new WindowEngine({ mode: 'count', size: 4, step: 2 });
    const out = addAll(
      w,
      [1, 2, 3, 4, 5, 6, 7, 8].map((v) => [v, v]),
    );
    assert.deepEqual(out, [
      win(1, 4, 4, [[1], [2], [3], [4]]),
      win(3, 6, 4, [[3], [4], [5], [6]]),
      win(5, 8, 4, [[5], [6], [7], [8]]),
    ]);
    assert.equal(w.bufferedSamples, 2, 'only the overlap is held');
    // Everything held was already emitted: a flush re-sends nothing.
    assert.deepEqual(w.flush().windows, []);
    addAll(w, [
      [9, 9],
      [10, 10],
    ]);
    w.add(11, { time: 11 });
    assert.deepEqual(plain(w.flush().windows), [win(9, 11, 3, [[9], [10], [11]])]);
  });

  it('sliding over many samples matches slices of the whole series (ring wrap-around and growth)', () => {
    for (const [size, step] of [
      [5, 2],
      [7, 3],
      [40, 1],
      [33, 33],
      [20, 7],
    ]) {
      const w = new WindowEngine({ mode: 'count', size, step, emit: 'vector' });
      const series = Array.from({ length: 300 }, (_, i) => i * 1.5);
      const got = series.flatMap((v, i) => plain(w.add(v, { time: i }).windows)).map((x) => x.value);
      const expected = [];
      for (let end = size; end <= series.length; end += step) expected.push(series.slice(end - size, end));
      assert.deepEqual(got, expected, `size ${size} step ${step}`);
    }
  });

  it('a batch is added row by row and can complete several windows', () => {
    const w = new WindowEngine({ mode: 'count', size: 3, step: 1 });
    const out = plain(
      w.add(
        [
          [1, 10],
          [2, 20],
          [3, 30],
          [4, 40],
        ],
        { time: 5 },
      ).windows,
    );
    assert.deepEqual(out, [
      win(5, 5, 3, [
        [1, 10],
        [2, 20],
        [3, 30],
      ]),
      win(5, 5, 3, [
        [2, 20],
        [3, 30],
        [4, 40],
      ]),
    ]);
    assert.equal(w.bufferedSamples, 2);
  });

  it('copies sample values: changing the caller array afterwards changes nothing', () => {
    const w = new WindowEngine({ mode: 'count', size: 2 });
    const a = [1, 2];
    const t = new Float64Array([3, 4]);
    w.add(a, { time: 1 });
    a[0] = 99;
    const out = plain(w.add(t, { time: 2 }).windows);
    t[0] = 99;
    assert.deepEqual(out, [
      win(1, 2, 2, [
        [1, 2],
        [3, 4],
      ]),
    ]);
  });

  it('vector: a window of scalars becomes one sample; arrays are flattened row by row', () => {
    const scalars = new WindowEngine({ mode: 'count', size: 3, emit: 'vector' });
    assert.deepEqual(
      addAll(scalars, [
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
      [win(1, 3, 3, [1, 2, 3])],
    );
    const rows = new WindowEngine({ mode: 'count', size: 2, emit: 'vector' });
    assert.deepEqual(
      addAll(rows, [
        [1, [1, 2]],
        [2, [3, 4]],
      ]),
      [win(1, 2, 2, [1, 2, 3, 4])],
    );
  });

  it('objects: a batch of objects in the first sample field order, or the configured features', () => {
    const w = new WindowEngine({ mode: 'count', size: 2 });
    assert.deepEqual(
      addAll(w, [
        [1, { hum: 40, temp: 20 }],
        [2, { temp: 21, hum: 41, extra: 5 }],
      ]),
      [
        win(1, 2, 2, [
          { hum: 40, temp: 20 },
          { hum: 41, temp: 21 },
        ]),
      ],
    );
    const selected = new WindowEngine({ mode: 'count', size: 1, features: ['temp'] });
    assert.deepEqual(addAll(selected, [[1, { hum: 40, temp: 20 }]]), [win(1, 1, 1, [{ temp: 20 }])]);
  });

  it('groupBy key: independent windows per key, each emitted with its key', () => {
    const w = new WindowEngine({ mode: 'count', size: 2, groupBy: 'key' });
    const out = addAll(w, [
      [1, 1, { key: 'a' }],
      [2, 10, { key: 'b' }],
      [3, 2, { key: 'a' }],
      [4, 20, { key: 7 }],
      [5, 30, { key: 'b' }],
    ]);
    assert.deepEqual(out, [win(1, 3, 2, [[1], [2]], 'a'), win(2, 5, 2, [[10], [30]], 'b')]);
    assert.equal(w.openWindows, 1);
    assert.deepEqual(plain(w.flush().windows), [win(4, 4, 1, [[20]], 7)]);
  });

  it('count windows never close by the clock', () => {
    const w = new WindowEngine({ mode: 'count', size: 2 });
    w.add(1, { time: 0 });
    assert.deepEqual(w.advance(1e12).windows, []);
    assert.equal(w.bufferedSamples, 1);
  });
});

describe('window engine: time windows', () => {
  it('tumbling, arrival time: a window closes when the clock reaches its end', () => {
    const w = new WindowEngine({ mode: 'time', size: 10 });
    assert.equal(w.nextDeadline(), null);
    assert.deepEqual(
      addAll(w, [
        [3, 1],
        [7, 2],
      ]),
      [],
    );
    assert.equal(w.nextDeadline(), 10);
    assert.deepEqual(addAll(w, [[12, 3]]), [win(0, 10, 2, [[1], [2]])], 'the next sample closes it');
    assert.equal(w.nextDeadline(), 20);
    assert.deepEqual(w.advance(19).windows, []);
    assert.deepEqual(plain(w.advance(20).windows), [win(10, 20, 1, [[3]])]);
    assert.equal(w.nextDeadline(), null);
    assert.equal(w.bufferedSamples, 0);
  });

  it('windows are aligned to the epoch, not to the first sample', () => {
    const w = new WindowEngine({ mode: 'time', size: 1000 });
    w.add(5, { time: 1_700_000_000_123 });
    assert.deepEqual(plain(w.advance(1_700_000_001_000).windows), [
      win(1_700_000_000_000, 1_700_000_001_000, 1, [[5]]),
    ]);
  });

  it('hopping: a sample belongs to every window covering it; windows emit in start order', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, step: 5 });
    addAll(w, [
      [1, 1],
      [6, 6],
      [11, 11],
      [16, 16],
    ]);
    // Windows ending by 16 have already gone out with the samples; collect the rest.
    const w2 = new WindowEngine({ mode: 'time', size: 10, step: 5 });
    const out = [
      ...addAll(w2, [
        [1, 1],
        [6, 6],
        [11, 11],
        [16, 16],
      ]),
      ...plain(w2.advance(25).windows),
    ];
    assert.deepEqual(out, [
      win(-5, 5, 1, [[1]]),
      win(0, 10, 2, [[1], [6]]),
      win(5, 15, 2, [[6], [11]]),
      win(10, 20, 2, [[11], [16]]),
      win(15, 25, 1, [[16]]),
    ]);
    assert.equal(w.bufferedSamples, 4 - 2, 'each sample stored once: 11 and 16 still open');
    assert.equal(w.openWindows, 2, '[10,20) and [15,25)');
  });

  it('hopping with a step that does not divide the size (panes of gcd width)', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, step: 4, emit: 'vector' });
    const times = [0, 3, 5, 9, 13, 17, 21];
    const got = [
      ...addAll(
        w,
        times.map((t) => [t, t]),
      ),
      ...plain(w.advance(100).windows),
    ];
    const expected = [];
    for (let start = -8; start <= 20; start += 4) {
      const inside = times.filter((t) => t >= start && t < start + 10);
      if (inside.length > 0) expected.push(win(start, start + 10, inside.length, inside));
    }
    assert.deepEqual(got, expected);
  });

  it('empty windows emit nothing; emitEmpty emits them (count 0) from a key first sample on', () => {
    const w = new WindowEngine({ mode: 'time', size: 10 });
    w.add(1, { time: 1 });
    w.add(2, { time: 35 });
    assert.deepEqual(plain(w.advance(40).windows), [win(30, 40, 1, [[2]])]);

    const e = new WindowEngine({
      mode: 'time',
      size: 10,
      emitEmpty: true,
      emit: 'aggregate',
      aggregates: 'count,mean',
    });
    e.add(1, { time: 1 });
    const first = plain(e.add(2, { time: 35 }).windows);
    assert.deepEqual(first, [
      win(0, 10, 1, { x0_count: 1, x0_mean: 1 }),
      win(10, 20, 0, { x0_count: 0, x0_mean: null }),
      win(20, 30, 0, { x0_count: 0, x0_mean: null }),
    ]);
    assert.equal(e.nextDeadline(), 40);
    assert.deepEqual(plain(e.advance(50).windows), [
      win(30, 40, 1, { x0_count: 1, x0_mean: 2 }),
      win(40, 50, 0, { x0_count: 0, x0_mean: null }),
    ]);
    assert.equal(e.nextDeadline(), 60, 'an idle key keeps its windows going');
    assert.equal(e.openWindows, 1);
  });

  it('arrival time never runs backwards: an earlier clock reading counts as the latest', () => {
    const w = new WindowEngine({ mode: 'time', size: 10 });
    w.add(1, { time: 15 });
    const out = w.add(2, { time: 5 });
    assert.deepEqual(out.late, []);
    assert.deepEqual(plain(w.advance(20).windows), [win(10, 20, 2, [[1], [2]])]);
  });

  it('groupBy key: per-key windows, emitted across keys in the order they close', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, step: 5, groupBy: 'key', emit: 'vector' });
    const early = addAll(w, [
      [1, 1, { key: 'a' }],
      [2, 2, { key: 'b' }],
      [7, 3, { key: 'a' }],
    ]);
    assert.deepEqual(early, [win(-5, 5, 1, [1], 'a'), win(-5, 5, 1, [2], 'b')], 'closed by the clock at 7');
    assert.equal(w.openWindows, 2 + 1, 'a: [0,10) [5,15); b: [0,10)');
    assert.deepEqual(plain(w.advance(10).windows), [win(0, 10, 2, [1, 3], 'a'), win(0, 10, 1, [2], 'b')]);
    assert.deepEqual(plain(w.advance(15).windows), [win(5, 15, 1, [3], 'a')]);
  });

  it('event time: out-of-order within lateness joins its window (in time order); beyond it is reported late', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, time: 'event', lateness: 5 });
    assert.deepEqual(
      addAll(w, [
        [3, 1],
        [12, 2],
        [8, 3],
      ]),
      [],
    );
    assert.equal(w.streamTime, 12);
    assert.equal(w.nextDeadline(), null, 'no timers with event time');
    assert.deepEqual(w.advance(1e15).windows, [], 'the clock does not close event-time windows');
    const closing = w.add(4, { time: 16 });
    assert.deepEqual(plain(closing.windows), [win(0, 10, 2, [[1], [3]])], 'closes at end + lateness');
    const late = w.add(5, { time: 9 });
    assert.deepEqual(late.windows, []);
    assert.deepEqual(late.late, [{ time: 9, key: null, count: 1, closedUpTo: 11, added: false }]);
    assert.equal(w.bufferedSamples, 2, 'a late sample is not stored');
    assert.deepEqual(plain(w.flush().windows), [win(10, 20, 2, [[2], [4]])]);
  });

  it('event time, hopping: a sample missing an already-closed window still joins the open ones, reported', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, step: 5, time: 'event' });
    const first = w.add(1, { time: 12 });
    assert.deepEqual(plain(first.windows), [], 'no earlier window had samples');
    const partial = w.add(2, { time: 8 });
    assert.deepEqual(partial.late, [{ time: 8, key: null, count: 1, closedUpTo: 12, added: true }]);
    assert.deepEqual(plain(w.add(3, { time: 30 }).windows), [
      win(5, 15, 2, [[2], [1]]),
      win(10, 20, 1, [[1]]),
    ]);
  });
});

describe('window engine: session windows', () => {
  it('arrival time: a session closes after gap without samples; start/end = first/last sample time', () => {
    const w = new WindowEngine({ mode: 'session', gap: 10 });
    addAll(w, [
      [0, 1],
      [5, 2],
      [12, 3],
    ]);
    assert.ok(w.nextDeadline() <= 22, 'never later than the real deadline');
    assert.deepEqual(w.advance(21).windows, []);
    assert.equal(w.nextDeadline(), 22);
    assert.deepEqual(plain(w.advance(22).windows), [win(0, 12, 3, [[1], [2], [3]])]);
    assert.equal(w.nextDeadline(), null);
    assert.deepEqual(addAll(w, [[40, 4]]), []);
    assert.equal(w.openWindows, 1);
  });

  it('a sample exactly gap after the last one starts a new session', () => {
    const w = new WindowEngine({ mode: 'session', gap: 10 });
    w.add(1, { time: 0 });
    assert.deepEqual(plain(w.add(2, { time: 10 }).windows), [win(0, 0, 1, [[1]])]);
  });

  it('event time: out-of-order samples merge sessions they bridge', () => {
    const w = new WindowEngine({ mode: 'session', gap: 10, time: 'event', lateness: 100, emit: 'vector' });
    addAll(w, [
      [0, 0],
      [30, 30],
      [15, 15],
    ]);
    assert.equal(w.openWindows, 3);
    w.add(8, { time: 8 });
    assert.equal(w.openWindows, 2, '8 bridges 0 and 15');
    w.add(22, { time: 22 });
    assert.equal(w.openWindows, 1, '22 bridges 15 and 30');
    assert.equal(w.bufferedSamples, 5);
    assert.deepEqual(plain(w.flush().windows), [win(0, 30, 5, [0, 8, 15, 22, 30])]);
  });

  it('event time: a session closes at last + gap + lateness; a sample for a closed one is late', () => {
    const w = new WindowEngine({ mode: 'session', gap: 10, time: 'event', lateness: 5 });
    w.add(1, { time: 0 });
    assert.deepEqual(w.add(2, { time: 9 }).windows, []);
    assert.deepEqual(w.add(6, { time: 23 }).windows, [], 'the session [0, 9] closes at 9 + 10 + 5 = 24');
    assert.deepEqual(plain(w.add(3, { time: 60 }).windows), [
      win(0, 9, 2, [[1], [2]]),
      win(23, 23, 1, [[6]]),
    ]);
    const late = w.add(4, { time: 20 });
    assert.deepEqual(late.late, [{ time: 20, key: null, count: 1, closedUpTo: 55, added: false }]);
    assert.deepEqual(w.add(5, { time: 52 }).late, [], '52 joins the open session at 60');
    assert.deepEqual(plain(w.flush().windows), [win(52, 60, 2, [[5], [3]])]);
  });

  it('random out-of-order event times within lateness give the offline sessions, per key', () => {
    const r = random(11);
    const gap = 10;
    const samples = [];
    for (let i = 0, t = 0; i < 400; i++) {
      t += 1 + Math.floor(r() * 8) + (r() < 0.1 ? 20 : 0);
      samples.push({ t, key: r() < 0.5 ? 'a' : 'b', x: i });
    }
    // Shuffle locally: each sample moves by less than the lateness.
    const arrival = samples.map((s) => ({ ...s, order: s.t + r() * 30 })).sort((p, q) => p.order - q.order);
    const w = new WindowEngine({
      mode: 'session',
      gap,
      time: 'event',
      lateness: 40,
      groupBy: 'key',
      emit: 'vector',
    });
    const got = [];
    for (const s of arrival) {
      const out = w.add(s.x, { time: s.t, key: s.key });
      assert.deepEqual(out.late, []);
      got.push(...plain(out.windows));
    }
    got.push(...plain(w.flush().windows));
    for (const key of ['a', 'b']) {
      const mine = samples.filter((s) => s.key === key);
      const expected = [];
      for (const s of mine) {
        const open = expected[expected.length - 1];
        if (open && s.t - open.end < gap) {
          open.end = s.t;
          open.value.push(s.x);
          open.count++;
        } else expected.push(win(s.t, s.t, 1, [s.x], key));
      }
      assert.deepEqual(
        got.filter((g) => g.key === key),
        expected,
        key,
      );
    }
  });

  it('groupBy key: sessions per key', () => {
    const w = new WindowEngine({ mode: 'session', gap: 10, groupBy: 'key', emit: 'vector' });
    addAll(w, [
      [0, 1, { key: 'a' }],
      [5, 2, { key: 'b' }],
      [8, 3, { key: 'a' }],
    ]);
    assert.equal(w.openWindows, 2);
    assert.deepEqual(
      plain(w.advance(18).windows),
      [win(5, 5, 1, [2], 'b'), win(0, 8, 2, [1, 3], 'a')],
      'b closed at 15, a at 18',
    );
  });
});

describe('window engine: aggregates', () => {
  const rnd = random(42);
  const odd = Array.from({ length: 9 }, () => Math.round(rnd() * 1000) / 10);
  const even = Array.from({ length: 10 }, () => Math.round(rnd() * 1000) / 10 - 30);

  for (const [label, xs] of [
    ['odd count', odd],
    ['even count', even],
  ]) {
    it(`every aggregate of a scalar window equals an independent computation (${label})`, () => {
      const w = new WindowEngine({ mode: 'count', size: xs.length, emit: 'aggregate', aggregates: ALL });
      const out = addAll(
        w,
        xs.map((x, i) => [i, x]),
      );
      assert.equal(out.length, 1);
      for (const name of ALL) close(out[0].value[`x0_${name}`], ref[name](xs), 1e-12, name);
      assert.deepEqual(
        Object.keys(out[0].value),
        ALL.map((n) => `x0_${n}`),
      );
    });
  }

  it('median of an even window is the mean of the two middle values; std is the population one', () => {
    assert.deepEqual(summarize([4, 1, 3, 2], ['median', 'std']), [2.5, Math.sqrt(1.25)]);
    assert.deepEqual(summarize([5, 1, 3], ['median', 'std', 'first', 'last']), [3, Math.sqrt(8 / 3), 5, 3]);
  });

  it('keeps full precision far from zero (offset 1e9)', () => {
    const xs = even.map((x) => x + 1e9);
    const centred = xs.map((x) => x - 1e9);
    const [mean, std] = summarize(xs, ['mean', 'std']);
    close(mean - 1e9, ref.mean(centred), 1e-6, 'mean');
    close(std, ref.std(centred), 1e-9, 'std');
  });

  it('one aggregate keeps the input shape: number, array, object', () => {
    const n = new WindowEngine({ mode: 'count', size: 2, emit: 'aggregate', aggregates: ['mean'] });
    assert.deepEqual(
      addAll(n, [
        [0, 1],
        [1, 2],
      ])[0].value,
      1.5,
    );
    const a = new WindowEngine({ mode: 'count', size: 2, emit: 'aggregate', aggregates: 'max' });
    assert.deepEqual(
      addAll(a, [
        [0, [1, 5]],
        [1, [2, 4]],
      ])[0].value,
      [2, 5],
    );
    const o = new WindowEngine({ mode: 'count', size: 2, emit: 'aggregate' });
    assert.deepEqual(
      addAll(o, [
        [0, { temp: 20, hum: 40 }],
        [1, { temp: 22, hum: 50 }],
      ])[0].value,
      { temp: 21, hum: 45 },
    );
  });

  it('several aggregates give one flat named row, feature-major; unnamed features are x0, x1', () => {
    const rows = [
      [1, 10],
      [3, 30],
      [8, 20],
    ];
    const a = new WindowEngine({
      mode: 'time',
      size: 100,
      emit: 'aggregate',
      aggregates: ['mean', 'max', 'std'],
    });
    rows.forEach((r, i) => a.add(r, { time: i }));
    const value = a.flush().windows[0].value;
    assert.deepEqual(Object.keys(value), ['x0_mean', 'x0_max', 'x0_std', 'x1_mean', 'x1_max', 'x1_std']);
    for (const [j, col] of [rows.map((r) => r[0]), rows.map((r) => r[1])].entries()) {
      close(value[`x${j}_mean`], ref.mean(col), 1e-15, 'mean');
      close(value[`x${j}_max`], ref.max(col), 0, 'max');
      close(value[`x${j}_std`], ref.std(col), 1e-14, 'std');
    }
    const named = new WindowEngine({ mode: 'count', size: 2, emit: 'aggregate', aggregates: 'min,last' });
    assert.deepEqual(
      addAll(named, [
        [0, { temp: 20, hum: 40 }],
        [1, { temp: 22, hum: 30 }],
      ])[0].value,
      {
        temp_min: 20,
        temp_last: 22,
        hum_min: 30,
        hum_last: 30,
      },
    );
  });

  it('aggregates per window match for hopping event-time windows of random data', () => {
    const r = random(7);
    const samples = Array.from({ length: 200 }, (_, i) => [i * 3 + Math.floor(r() * 20), r() * 100]);
    const w = new WindowEngine({
      mode: 'time',
      size: 60,
      step: 20,
      time: 'event',
      lateness: 30,
      emit: 'aggregate',
      aggregates: ALL,
    });
    const got = [];
    for (const [t, x] of samples) {
      const out = w.add(x, { time: t });
      assert.deepEqual(out.late, []);
      got.push(...plain(out.windows));
    }
    got.push(...plain(w.flush().windows));
    const starts = [...new Set(got.map((g) => g.start))];
    assert.equal(starts.length, got.length, 'each window emitted once');
    for (const g of got) {
      const inside = samples
        .map(([t, x], i) => ({ t, x, i }))
        .filter(({ t }) => t >= g.start && t < g.end)
        .sort((p, q) => p.t - q.t || p.i - q.i)
        .map(({ x }) => x);
      assert.equal(g.count, inside.length);
      for (const name of ALL) close(g.value[`x0_${name}`], ref[name](inside), 1e-12, `${g.start} ${name}`);
    }
    const minStart = Math.floor((Math.min(...samples.map((s) => s[0])) - 60) / 20) * 20 + 20;
    assert.equal(got[0].start, minStart);
  });

  it('parseAggregates rejects unknown and repeated names', () => {
    assert.deepEqual(parseAggregates(' mean , max '), ['mean', 'max']);
    assert.throws(() => parseAggregates('mean,avg'), /"avg" is not one of/);
    assert.throws(() => parseAggregates('mean,mean'), /listed twice/);
    assert.throws(() => parseAggregates(''), /at least one/);
  });
});

describe('window engine: align (topics into rows)', () => {
  const features = ['temp', 'hum', 'pressure'];
  const reading = (time, name, value, key) => [time, value, { name, ...(key === undefined ? {} : { key }) }];

  it('three topics in one time window become one row of their last readings', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, groupBy: 'align', features });
    addAll(w, [
      reading(1, 'temp', 20),
      reading(2, 'hum', 40),
      reading(3, 'pressure', 1000),
      reading(5, 'temp', 21),
    ]);
    assert.deepEqual(plain(w.advance(10).windows), [
      { ...win(0, 10, 4, { temp: 21, hum: 40, pressure: 1000 }), filled: [] },
    ]);
  });

  it('missing readings: filled from the last known value and listed; never seen yet: reported incomplete', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, groupBy: 'align', features });
    addAll(w, [reading(1, 'temp', 20), reading(2, 'hum', 40)]);
    const first = w.advance(10);
    assert.deepEqual(first.windows, []);
    assert.deepEqual(first.incomplete, [
      { start: 0, end: 10, count: 2, key: null, missing: ['pressure'], value: { temp: 20, hum: 40 } },
    ]);
    addAll(w, [reading(12, 'pressure', 1000), reading(14, 'temp', 22)]);
    assert.deepEqual(plain(w.advance(20).windows), [
      { ...win(10, 20, 2, { temp: 22, hum: 40, pressure: 1000 }), filled: ['hum'] },
    ]);
    addAll(w, [reading(25, 'hum', 41)]);
    assert.deepEqual(plain(w.advance(30).windows), [
      { ...win(20, 30, 1, { temp: 22, hum: 41, pressure: 1000 }), filled: ['temp', 'pressure'] },
    ]);
  });

  it('aggregates per feature: one keeps {temp, hum}, several give temp_mean, temp_max, …', () => {
    const one = new WindowEngine({
      mode: 'session',
      gap: 5,
      groupBy: 'align',
      emit: 'aggregate',
      aggregates: 'mean',
    });
    addAll(one, [reading(0, 'temp', 20), reading(1, 'hum', 40), reading(2, 'temp', 22)]);
    assert.deepEqual(plain(one.advance(100).windows), [
      { ...win(0, 2, 3, { temp: 21, hum: 40 }), filled: [] },
    ]);

    const several = new WindowEngine({
      mode: 'time',
      size: 10,
      groupBy: 'align',
      features: ['temp', 'hum'],
      emit: 'aggregate',
      aggregates: ['mean', 'max', 'count'],
    });
    const out = [
      ...addAll(several, [
        reading(0, 'temp', 20),
        reading(1, 'hum', 40),
        reading(2, 'temp', 23),
        reading(12, 'temp', 30),
      ]),
      ...plain(several.advance(20).windows),
    ];
    assert.deepEqual(out, [
      {
        ...win(0, 10, 3, {
          temp_mean: 21.5,
          temp_max: 23,
          temp_count: 2,
          hum_mean: 40,
          hum_max: 40,
          hum_count: 1,
        }),
        filled: [],
      },
      {
        ...win(10, 20, 1, {
          temp_mean: 30,
          temp_max: 30,
          temp_count: 1,
          hum_mean: 40,
          hum_max: 40,
          hum_count: 0,
        }),
        filled: ['hum'],
      },
    ]);
  });

  it('with a key, one row per key (machine), each with its own last values', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, groupBy: 'align', features: ['temp', 'hum'] });
    addAll(w, [
      reading(1, 'temp', 20, 'm1'),
      reading(2, 'temp', 30, 'm2'),
      reading(3, 'hum', 40, 'm1'),
      reading(4, 'hum', 50, 'm2'),
    ]);
    assert.deepEqual(plain(w.advance(10).windows), [
      { ...win(0, 10, 2, { temp: 20, hum: 40 }, 'm1'), filled: [] },
      { ...win(0, 10, 2, { temp: 30, hum: 50 }, 'm2'), filled: [] },
    ]);
    w.reset('m1');
    addAll(w, [reading(11, 'temp', 21, 'm1'), reading(12, 'temp', 31, 'm2')]);
    const out = w.advance(20);
    assert.deepEqual(plain(out.windows), [
      { ...win(10, 20, 1, { temp: 31, hum: 50 }, 'm2'), filled: ['hum'] },
    ]);
    assert.deepEqual(
      out.incomplete.map((i) => [i.key, i.missing]),
      [['m1', ['hum']]],
      'm1 was reset',
    );
  });

  it('without configured features, names join in first-seen order', () => {
    const w = new WindowEngine({ mode: 'count', size: 3, groupBy: 'align', emit: 'vector' });
    assert.deepEqual(addAll(w, [reading(0, 'b', 2), reading(1, 'a', 1), reading(2, 'b', 3)]), [
      { ...win(0, 2, 3, [3, 1]), filled: [] },
    ]);
    assert.deepEqual(addAll(w, [reading(3, 'c', 9), reading(4, 'c', 8), reading(5, 'c', 7)]), [
      { ...win(3, 5, 3, [3, 1, 7]), filled: ['b', 'a'] },
    ]);
  });

  it('rejects a reading that is not a finite number, an unknown name, or no name — state unchanged', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, groupBy: 'align', features: ['temp'] });
    w.add(1, { time: 1, name: 'temp' });
    assert.throws(
      () => w.add('21.5', { time: 2, name: 'temp' }),
      (e) => e instanceof SampleError && /string/.test(e.message),
    );
    assert.throws(
      () => w.add(1, { time: 2, name: 'hum' }),
      (e) => e instanceof SampleError && /"hum".*Features/.test(e.message),
    );
    assert.throws(() => w.add(1, { time: 2 }), SampleError);
    assert.throws(() => w.add(1, { time: 2, name: '__proto__' }), SampleError);
    assert.equal(w.bufferedSamples, 1);
  });

  it('topicFeatureName takes the last topic segment', () => {
    assert.equal(topicFeatureName('factory/m1/temp'), 'temp');
    assert.equal(topicFeatureName('temp'), 'temp');
    assert.throws(() => topicFeatureName('factory/m1/'), SampleError);
    assert.throws(() => topicFeatureName(undefined), /missing/);
  });
});

describe('window engine: bad samples, schema and bounds', () => {
  it('a bad sample is a SampleError and changes nothing', () => {
    const w = new WindowEngine({ mode: 'count', size: 3 });
    w.add(1, { time: 1 });
    for (const bad of [NaN, Infinity, '2', null, undefined, [], {}]) {
      assert.throws(() => w.add(bad, { time: 2 }), SampleError, String(bad));
    }
    assert.throws(() => w.add(2, { time: NaN }), SampleError);
    assert.equal(w.bufferedSamples, 1);
    assert.deepEqual(
      addAll(w, [
        [2, 2],
        [3, 3],
      ]),
      [win(1, 3, 3, [[1], [2], [3]])],
    );
  });

  it('a schema different from the open window is a SampleError, state unchanged; a new window may change it', () => {
    const w = new WindowEngine({ mode: 'count', size: 2 });
    w.add([1, 2], { time: 1 });
    assert.throws(
      () => w.add([1, 2, 3], { time: 2 }),
      (e) => e instanceof SampleError && /3 features/.test(e.message),
    );
    assert.throws(() => w.add({ a: 1, b: 2 }, { time: 2 }), SampleError);
    assert.throws(() => w.add(5, { time: 2 }), SampleError);
    assert.equal(w.bufferedSamples, 1);
    w.add([3, 4], { time: 2 });
    assert.deepEqual(
      addAll(w, [
        [3, { a: 1 }],
        [4, { a: 2, b: 3 }],
      ]),
      [win(3, 4, 2, [{ a: 1 }, { a: 2 }])],
    );

    const obj = new WindowEngine({ mode: 'time', size: 10 });
    obj.add({ temp: 1, hum: 2 }, { time: 1 });
    assert.throws(
      () => obj.add({ temp: 1 }, { time: 2 }),
      (e) => /no field "hum"/.test(e.message),
    );
    assert.throws(() => obj.add([1, 2], { time: 2 }), /same form/);
    assert.equal(obj.bufferedSamples, 1);
  });

  it('maxSamples: an add that would exceed it throws and leaves everything unchanged', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, maxSamples: 3 });
    addAll(w, [
      [1, [1]],
      [2, [2]],
    ]);
    assert.throws(() => w.add([[3], [4]], { time: 3 }), WindowOverflowError);
    w.add([3], { time: 3 });
    assert.throws(
      () => w.add([4], { time: 4 }),
      (e) => e instanceof WindowOverflowError && /maxSamples \(3\)/.test(e.message),
    );
    assert.equal(w.bufferedSamples, 3);
    assert.deepEqual(plain(w.advance(10).windows), [win(0, 10, 3, [[1], [2], [3]])]);
    // A sample that closes the full window makes room for itself.
    addAll(w, [
      [11, [1]],
      [12, [2]],
      [13, [3]],
    ]);
    assert.deepEqual(addAll(w, [[25, [4]]]), [win(10, 20, 3, [[1], [2], [3]])]);
  });

  it('maxSamples counts every key; a count window completing frees room', () => {
    const w = new WindowEngine({ mode: 'count', size: 3, groupBy: 'key', maxSamples: 4 });
    addAll(w, [
      [1, 1, { key: 'a' }],
      [2, 2, { key: 'a' }],
      [3, 3, { key: 'b' }],
      [4, 4, { key: 'b' }],
    ]);
    assert.throws(() => w.add(5, { time: 5, key: 'c' }), WindowOverflowError);
    assert.equal(w.bufferedSamples, 4);
    assert.equal(w.openWindows, 2);
    assert.deepEqual(addAll(w, [[6, 6, { key: 'a' }]]), [win(1, 6, 3, [[1], [2], [6]], 'a')]);
    assert.equal(w.bufferedSamples, 2);
  });

  it('event time: a sample that closes full windows is accepted (the buffer never deadlocks)', () => {
    const w = new WindowEngine({ mode: 'session', gap: 10, time: 'event', maxSamples: 2 });
    addAll(w, [
      [0, 1],
      [1, 2],
    ]);
    assert.deepEqual(addAll(w, [[50, 3]]), [win(0, 1, 2, [[1], [2]])]);
    assert.equal(w.bufferedSamples, 1);
  });
});

describe('window engine: control and deadlines', () => {
  it('flush emits every open window of every key, then starts afresh', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, step: 5, groupBy: 'key', emit: 'vector' });
    assert.deepEqual(
      addAll(w, [
        [1, 1, { key: 'a' }],
        [7, 2, { key: 'b' }],
      ]),
      [win(-5, 5, 1, [1], 'a')],
    );
    assert.deepEqual(plain(w.flush(8).windows), [
      win(0, 10, 1, [1], 'a'),
      win(0, 10, 1, [2], 'b'),
      win(5, 15, 1, [2], 'b'),
    ]);
    assert.equal(w.openWindows, 0);
    assert.equal(w.bufferedSamples, 0);
    assert.equal(w.nextDeadline(), null);
  });

  it('reset(key) drops only that key; reset() drops everything', () => {
    const w = new WindowEngine({ mode: 'session', gap: 10, groupBy: 'key' });
    addAll(w, [
      [1, 1, { key: 'a' }],
      [2, 2, { key: 'b' }],
      [3, 3, { key: 'b' }],
    ]);
    w.reset('b');
    assert.equal(w.bufferedSamples, 1);
    assert.equal(w.openWindows, 1);
    assert.deepEqual(plain(w.flush().windows), [win(1, 1, 1, [[1]], 'a')]);
    addAll(w, [
      [4, 1, { key: 'a' }],
      [5, 2, { key: 'b' }],
    ]);
    w.reset();
    assert.equal(w.bufferedSamples, 0);
    assert.deepEqual(w.advance(1000).windows, []);
  });

  it('reset() forgets the stream time, so an event-time replay starts over', () => {
    const w = new WindowEngine({ mode: 'time', size: 10, time: 'event' });
    w.add(1, { time: 100 });
    w.reset();
    assert.deepEqual(w.add(2, { time: 5 }).late, []);
  });

  it('nextDeadline is the earliest close across keys, and null when nothing will close by the clock', () => {
    const w = new WindowEngine({ mode: 'session', gap: 10, groupBy: 'key' });
    w.add(1, { time: 0, key: 'a' });
    w.add(1, { time: 4, key: 'b' });
    assert.equal(w.nextDeadline(), 10);
    w.add(1, { time: 6, key: 'a' });
    assert.ok(w.nextDeadline() <= 14);
    assert.deepEqual(w.advance(10).windows, [], 'an early deadline just finds nothing');
    assert.equal(w.nextDeadline(), 14);
    assert.deepEqual(
      plain(w.advance(14).windows).map((x) => x.key),
      ['b'],
    );
    assert.equal(w.nextDeadline(), 16);
    assert.equal(new WindowEngine({ mode: 'count', size: 2 }).nextDeadline(), null);
  });
});

describe('window engine: options and event times', () => {
  it('rejects invalid settings with the setting named', () => {
    assert.throws(
      () => new WindowEngine({ mode: 'time', size: 10, step: 20 }),
      /step \(20\) must not exceed size/,
    );
    assert.throws(() => new WindowEngine({ mode: 'count', size: 0 }), /size/);
    assert.throws(() => new WindowEngine({ mode: 'session' }), /gap/);
    assert.throws(() => new WindowEngine({ mode: 'count', size: 100, maxSamples: 10 }), /maxSamples/);
    assert.throws(() => new WindowEngine({ mode: 'hop' }), /mode/);
    assert.throws(
      () => new WindowEngine({ mode: 'count', size: 2, emit: 'aggregate', aggregates: 'avg' }),
      /avg/,
    );
    assert.equal(resolveWindowOptions({ mode: 'count', size: 5 }).step, 5);
    assert.equal(
      resolveWindowOptions({ mode: 'time', size: 5, lateness: 9 }).lateness,
      0,
      'arrival time has no lateness',
    );
  });

  it('settings are checked once: an engine built from resolved options uses them as they are', () => {
    const resolved = resolveWindowOptions({ mode: 'time', size: 1000, step: 500, emit: 'aggregate' });
    assert.ok(Object.isFrozen(resolved));
    const engine = new WindowEngine(resolved);
    assert.equal(engine.options, resolved);
    // Anything else (a plain copy too) is resolved, and so checked, by the engine itself.
    const copy = { ...resolved, aggregates: ['mean', 'nonsense'] };
    assert.throws(() => new WindowEngine(copy), /nonsense/);
    const fromPlain = new WindowEngine({ mode: 'count', size: 3 });
    assert.deepEqual(fromPlain.options, resolveWindowOptions({ mode: 'count', size: 3 }));
  });

  it('the shared sample reader speaks of a window or a model, as it is told', () => {
    const schema = { dimension: 2, features: null };
    assert.throws(
      () => new SampleReader(null, { noun: 'window' }).read([1, 2, 3], schema, 'msg.payload'),
      (e) =>
        e instanceof SampleError &&
        /but this window has 2\. Send samples of 2 values, or send msg\.flush or msg\.reset to start new windows\.$/.test(
          e.message,
        ),
    );
    assert.throws(
      () => new SampleReader().read([1, 2, 3], schema, 'msg.payload'),
      (e) =>
        /but this model has 2\. Send samples of 2 values, or send msg\.reset to start a new model\.$/.test(
          e.message,
        ),
    );
    assert.throws(
      () => new SampleReader(null, { noun: 'window' }).read({ a: 1 }, schema, 'msg.payload'),
      /is an object, but this window holds unnamed features \(arrays of 2\)/,
    );
  });

  it('parseEventTime reads ms, ISO strings and Dates, and says what is wrong otherwise', () => {
    assert.equal(parseEventTime(1700000000000, 'msg.ts'), 1700000000000);
    assert.equal(parseEventTime('2024-05-01T12:00:00Z', 'msg.ts'), Date.UTC(2024, 4, 1, 12));
    assert.equal(
      parseEventTime('2024-05-01T12:00:00.250+02:00', 'msg.ts'),
      Date.UTC(2024, 4, 1, 10, 0, 0, 250),
    );
    assert.equal(parseEventTime(new Date(5), 'msg.ts'), 5);
    assert.throws(
      () => parseEventTime('yesterday', 'msg.ts'),
      (e) => e instanceof SampleError && /msg\.ts is "yesterday".*ISO 8601/.test(e.message),
    );
    assert.throws(() => parseEventTime('1700000000000', 'msg.ts'), /as a number, not a string/);
    assert.throws(() => parseEventTime('2024-13-45T99:00:00Z', 'msg.ts'), SampleError);
    assert.throws(() => parseEventTime(undefined, 'msg.ts'), /msg\.ts is missing/);
    assert.throws(() => parseEventTime(NaN, 'msg.ts'), SampleError);
    assert.throws(() => parseEventTime({}, 'msg.ts'), SampleError);
  });
});
