'use strict';
// ml-window through node-red-node-test-helper: every mode and grouping end to end with exact
// windows, the timer (fake clock, and once on real timers), event time with late samples, align,
// aggregates, bad samples, control messages and close. The engine itself is tested in
// window.lib.test.js.
const assert = require('node:assert/strict');
const sinon = require('sinon');
const dist = require('../../support/dist');
const { helper, useHelper, load, eventually } = require('../../support/helper');

const windowNode = dist('nodes/ml-window/ml-window');
const start = (settings) => load(windowNode, 'ml-window', settings);

/** A whole second, so arrival-time windows of 1000 ms start exactly at T0. */
const T0 = 1_700_000_000_000;

/** Lets messages sent from a timer travel through Node-RED (delivery uses setImmediate). */
async function deliver() {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** What a test compares: the payload and msg.window of every message that went out. */
const windows = (seen) => seen.out.map((msg) => ({ payload: msg.payload, ...msg.window }));
const errors = (seen) => seen.errors.map((msg) => msg.error.message);

describe('ml-window node', () => {
  let clock;

  afterEach(() => {
    if (clock) clock.restore();
    clock = undefined;
  });
  useHelper();

  /** Loads the node, then fakes the clock at `now` (the helper needs real timers to load). */
  async function startFaked(settings, now = T0) {
    const t = await start(settings);
    clock = sinon.useFakeTimers({ now, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    return t;
  }

  /** Sends `payloads` one a message, each `every` ms after the previous. */
  async function sendSpaced(t, every, msgs) {
    for (const msg of msgs) {
      await t.send(typeof msg === 'object' && msg !== null && !Array.isArray(msg) ? msg : { payload: msg });
      clock.tick(every);
      await deliver();
    }
  }

  describe('count windows', () => {
    it('tumbling: every size samples, scalars as one-element rows; start/end = first/last arrival', async () => {
      const t = await startFaked({ mode: 'count', size: 3 });
      await sendSpaced(t, 10, [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(windows(t.seen), [
        { payload: [[1], [2], [3]], start: T0, end: T0 + 20, count: 3, key: null },
        { payload: [[4], [5], [6]], start: T0 + 30, end: T0 + 50, count: 3, key: null },
      ]);
      assert.equal(t.seen.completed.length, 7, 'every message completed');
      assert.equal(t.seen.out[0].topic, undefined, 'no topic without a key');
      assert.deepEqual(Object.keys(t.seen.out[0]).sort(), ['_msgid', 'payload', 'window']);
    });

    it('sliding (size 4, step 2): the latest 4 every 2 samples, as the batch node with overlap', async () => {
      const t = await start({ mode: 'count', size: 4, step: 2, emit: 'vector' });
      await t.send(...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((payload) => ({ payload })));
      assert.deepEqual(
        t.seen.out.map((m) => m.payload),
        [
          [1, 2, 3, 4],
          [3, 4, 5, 6],
          [5, 6, 7, 8],
        ],
      );
      assert.deepEqual(
        t.seen.out.map((m) => m.window.count),
        [4, 4, 4],
      );
    });

    it('objects and arrays keep their form; a batch counts row by row', async () => {
      const t = await start({ mode: 'count', size: 2 });
      await t.send({ payload: { temp: 20, hum: 40 } }, { payload: { hum: 41, extra: 1, temp: 21 } });
      assert.deepEqual(t.seen.out[0].payload, [
        { temp: 20, hum: 40 },
        { temp: 21, hum: 41 },
      ]);
      const a = await start({ mode: 'count', size: 2, property: 'data' });
      await a.send(
        {
          data: [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
        },
        { data: [7, 8] },
      );
      assert.deepEqual(
        a.seen.out.map((m) => m.payload),
        [
          [
            [1, 2],
            [3, 4],
          ],
          [
            [5, 6],
            [7, 8],
          ],
        ],
        'read from msg.data, written to msg.payload',
      );
    });

    it('groupBy key (default msg.topic): independent windows per key; msg.topic is the key', async () => {
      const t = await start({ mode: 'count', size: 2, groupBy: 'key', emit: 'vector' });
      await t.send(
        { topic: 'a', payload: 1 },
        { topic: 'b', payload: 10 },
        { topic: 'a', payload: 2 },
        { topic: 'b', payload: 20 },
        { topic: 'a', payload: 3 },
      );
      assert.deepEqual(
        t.seen.out.map((m) => [m.topic, m.window.key, m.payload]),
        [
          ['a', 'a', [1, 2]],
          ['b', 'b', [10, 20]],
        ],
      );
    });

    it('groupBy key on another property; numeric keys become strings', async () => {
      const t = await start({
        mode: 'count',
        size: 2,
        groupBy: 'key',
        keyProperty: 'device.id',
        emit: 'vector',
      });
      await t.send({ device: { id: 7 }, payload: 1 }, { device: { id: '7' }, payload: 2 });
      assert.deepEqual(
        t.seen.out.map((m) => [m.topic, m.payload]),
        [['7', [1, 2]]],
      );
    });
  });

  describe('time windows (fake clock)', () => {
    it('tumbling on arrival time: the timer sends each window at its end; empty windows send nothing', async () => {
      const t = await startFaked({ mode: 'time', size: 1000 });
      await t.send({ payload: 1 });
      clock.tick(400);
      await t.send({ payload: 2 });
      clock.tick(599);
      await deliver();
      assert.equal(t.seen.out.length, 0, 'not before the end');
      clock.tick(1);
      await deliver();
      assert.deepEqual(windows(t.seen), [
        { payload: [[1], [2]], start: T0, end: T0 + 1000, count: 2, key: null },
      ]);
      clock.tick(2500); // two empty windows, then one sample
      await t.send({ payload: 3 });
      clock.tick(1000);
      await deliver();
      assert.deepEqual(windows(t.seen).slice(1), [
        { payload: [[3]], start: T0 + 3000, end: T0 + 4000, count: 1, key: null },
      ]);
      clock.tick(250); // the status redraw
      assert.equal(clock.countTimers(), 0, 'no timer armed with nothing open');
    });

    it('hopping (size 1000, step 500): a sample is in every window covering it', async () => {
      const t = await startFaked({ mode: 'time', size: 1000, step: 500, emit: 'vector' });
      await sendSpaced(t, 300, [1, 2, 3, 4]); // at 0, 300, 600, 900
      clock.tick(1000);
      await deliver();
      assert.deepEqual(windows(t.seen), [
        { payload: [1, 2], start: T0 - 500, end: T0 + 500, count: 2, key: null },
        { payload: [1, 2, 3, 4], start: T0, end: T0 + 1000, count: 4, key: null },
        { payload: [3, 4], start: T0 + 500, end: T0 + 1500, count: 2, key: null },
      ]);
    });

    it('emitEmpty: windows without samples are sent too (count 0)', async () => {
      const t = await startFaked({ mode: 'time', size: 1000, emitEmpty: true, emit: 'vector' });
      await t.send({ payload: 1 });
      clock.tick(3000);
      await deliver();
      assert.deepEqual(
        windows(t.seen).map((w) => [w.start - T0, w.count, w.payload]),
        [
          [0, 1, [1]],
          [1000, 0, []],
          [2000, 0, []],
        ],
      );
    });

    it('groupBy key: per-key windows closed by the same timer, each with its topic', async () => {
      const t = await startFaked({
        mode: 'time',
        size: 1000,
        groupBy: 'key',
        emit: 'aggregate',
        aggregates: 'sum',
      });
      await t.send({ topic: 'a', payload: 1 }, { topic: 'b', payload: 10 }, { topic: 'a', payload: 2 });
      clock.tick(1000);
      await deliver();
      assert.deepEqual(
        t.seen.out.map((m) => [m.topic, m.payload, m.window.count]),
        [
          ['a', 3, 2],
          ['b', 10, 1],
        ],
      );
    });
  });

  describe('session windows (fake clock)', () => {
    it('a session closes gap ms after its last sample; start/end = first/last sample', async () => {
      const t = await startFaked({ mode: 'session', gap: 1000, emit: 'vector' });
      await sendSpaced(t, 500, [1, 2, 3]); // at 0, 500, 1000; clock now +1500
      clock.tick(499);
      await deliver();
      assert.equal(t.seen.out.length, 0, 'the gap has not passed ');
      clock.tick(1);
      await deliver();
      await t.send({ payload: 4 });
      clock.tick(1000);
      await deliver();
      assert.deepEqual(windows(t.seen), [
        { payload: [1, 2, 3], start: T0, end: T0 + 1000, count: 3, key: null },
        { payload: [4], start: T0 + 2000, end: T0 + 2000, count: 1, key: null },
      ]);
      clock.tick(250); // the status redraw
      assert.equal(clock.countTimers(), 0, 'no timer armed with nothing open');
    });

    it('per key: each key has its own sessions', async () => {
      const t = await startFaked({ mode: 'session', gap: 100, groupBy: 'key', emit: 'vector' });
      await t.send({ topic: 'a', payload: 1 });
      clock.tick(50);
      await t.send({ topic: 'b', payload: 2 });
      clock.tick(60); // a closes at 100
      await deliver();
      await t.send({ topic: 'b', payload: 3 });
      clock.tick(200);
      await deliver();
      assert.deepEqual(
        t.seen.out.map((m) => [m.topic, m.payload, m.window.start - T0, m.window.end - T0]),
        [
          ['a', [1], 0, 0],
          ['b', [2, 3], 50, 110],
        ],
      );
    });
  });

  describe('real timers', () => {
    it('a session of three quick samples is sent about gap ms later, and the timer stops', async () => {
      const t = await start({ mode: 'session', gap: 40, emit: 'vector' });
      await t.send({ payload: 1 }, { payload: 2 }, { payload: 3 });
      assert.equal(t.seen.out.length, 0);
      await eventually(() =>
        assert.deepEqual(
          t.seen.out.map((m) => m.payload),
          [[1, 2, 3]],
        ),
      );
      assert.ok(t.seen.out[0].window.end - t.seen.out[0].window.start < 40);
    });

    it('time windows of 30 ms: every sample lands in exactly one window', async () => {
      const t = await start({ mode: 'time', size: 30, emit: 'vector' });
      for (let i = 1; i <= 6; i++) {
        await t.send({ payload: i });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await eventually(() =>
        assert.deepEqual(
          t.seen.out.flatMap((m) => m.payload),
          [1, 2, 3, 4, 5, 6],
        ),
      );
      for (const m of t.seen.out) {
        assert.equal(m.window.end - m.window.start, 30);
        assert.equal(m.window.start % 30, 0, 'aligned to the epoch');
      }
    });
  });

  describe('event time', () => {
    it('out of order within lateness joins its window in time order; a later one is reported with the sample', async () => {
      const t = await startFaked({
        mode: 'time',
        size: 10,
        timeProperty: 'timestamp',
        lateness: 5,
        emit: 'vector',
      });
      const at = (timestamp, payload) => ({ timestamp, payload });
      await t.send(at(1, 1), at(12, 12), at(3, 3));
      assert.equal(t.seen.out.length, 0, 'stream time 12 − lateness 5 < 10');
      await t.send(at(15, 15));
      assert.deepEqual(windows(t.seen), [{ payload: [1, 3], start: 0, end: 10, count: 2, key: null }]);
      await t.send(at(4, 4444));
      assert.equal(t.seen.out.length, 1);
      assert.equal(t.seen.errors.length, 0, 'late is a warning, not an error');
      assert.equal(t.warnings().length, 1);
      assert.match(t.warnings()[0], /late sample at 1970-01-01T00:00:00\.004Z 4444 dropped/);
      assert.match(t.warnings()[0], /lateness 5 ms/);
      clock.tick(100000);
      await deliver();
      assert.equal(t.seen.out.length, 1, 'event time does not move with the clock');
      await t.send({ flush: true });
      assert.deepEqual(windows(t.seen)[1], { payload: [12, 15], start: 10, end: 20, count: 2, key: null });
    });

    it('hopping: a late sample still joins its open windows, with a warning that it missed one', async () => {
      const t = await start({ mode: 'time', size: 10, step: 5, timeProperty: 't', emit: 'vector' });
      await t.send({ t: 1, payload: 1 }, { t: 12, payload: 12 }, { t: 7, payload: 7 }, { flush: true });
      assert.deepEqual(
        windows(t.seen).map((w) => [w.start, w.end, w.payload]),
        [
          [-5, 5, [1]],
          [0, 10, [1]],
          [5, 15, [7, 12]],
          [10, 20, [12]],
        ],
      );
      assert.equal(t.warnings().length, 1);
      assert.match(
        t.warnings()[0],
        /late sample at 1970-01-01T00:00:00\.007Z 7: added to its open windows, but missed/,
      );
    });

    it('ISO strings; sessions merge when an out-of-order sample bridges them', async () => {
      const t = await start({
        mode: 'session',
        gap: 1500,
        timeProperty: 'ts',
        lateness: 2000,
        emit: 'vector',
      });
      const iso = (s) => `2024-05-01T12:00:${String(s).padStart(2, '0')}.000Z`;
      const base = Date.parse(iso(0));
      await t.send(
        { ts: iso(0), payload: 0 },
        { ts: iso(2), payload: 2 }, // a second session (gap 1.5 s)
        { ts: iso(1), payload: 1 }, // bridges both
        { ts: iso(10), payload: 10 }, // stream time 10 s − 2 s closes the merged session (last 2 + 1.5 s)
      );
      assert.deepEqual(windows(t.seen), [
        { payload: [0, 1, 2], start: base, end: base + 2000, count: 3, key: null },
      ]);
    });

    it('a missing or bad time is a bad sample', async () => {
      const t = await start({ mode: 'time', size: 10, timeProperty: 'timestamp' });
      await t.send(
        { payload: 1 },
        { payload: 1, timestamp: '1700000000000' },
        { payload: 1, timestamp: 'noon' },
      );
      const messages = errors(t.seen);
      assert.match(messages[0], /msg\.timestamp is missing, but this window uses event time/);
      assert.match(messages[1], /must be sent as a number, not a string/);
      assert.match(messages[2], /not an ISO 8601 time/);
    });
  });

  describe('align: topics into rows', () => {
    const topic = (name, payload, machine = 'm1') => ({ topic: `factory/${machine}/${name}`, payload });

    it('three topics with missing readings: incomplete windows warn, later gaps are filled and listed', async () => {
      const t = await startFaked({ mode: 'time', size: 1000, groupBy: 'align', features: 'temp, hum, vib' });
      await t.send(topic('temp', 20), topic('hum', 40));
      clock.tick(1000);
      await deliver();
      assert.equal(t.seen.out.length, 0, 'vib has never had a reading');
      assert.equal(t.warnings().length, 1);
      assert.match(t.warnings()[0], /not sent: no reading yet of vib \(had \{"temp":20,"hum":40\}\)/);

      await t.send(topic('vib', 0.5), topic('temp', 21), topic('temp', 22));
      clock.tick(1000);
      await deliver();
      await t.send(topic('hum', 41));
      clock.tick(1000);
      await deliver();
      assert.deepEqual(windows(t.seen), [
        {
          payload: { temp: 22, hum: 40, vib: 0.5 },
          start: T0 + 1000,
          end: T0 + 2000,
          count: 3,
          key: null,
          filled: ['hum'],
        },
        {
          payload: { temp: 22, hum: 41, vib: 0.5 },
          start: T0 + 2000,
          end: T0 + 3000,
          count: 1,
          key: null,
          filled: ['temp', 'vib'],
        },
      ]);
    });

    it('aggregates: one keeps {temp, hum, vib}; several give temp_mean, temp_max, …', async () => {
      const t = await startFaked({ mode: 'time', size: 1000, groupBy: 'align', emit: 'aggregate' });
      await t.send(topic('temp', 20), topic('hum', 40), topic('vib', 1), topic('temp', 24), topic('vib', 2));
      clock.tick(1000);
      await deliver();
      assert.deepEqual(t.seen.out[0].payload, { temp: 22, hum: 40, vib: 1.5 });

      const s = await start({
        mode: 'count',
        size: 4,
        groupBy: 'align',
        emit: 'aggregate',
        aggregates: 'mean, max',
      });
      await s.send(topic('temp', 20), topic('hum', 40), topic('temp', 24), topic('hum', 50));
      assert.deepEqual(s.seen.out[0].payload, { temp_mean: 22, temp_max: 24, hum_mean: 45, hum_max: 50 });
    });

    it('with the topic as key: one row per machine (the topic without its last segment)', async () => {
      const t = await startFaked({
        mode: 'time',
        size: 1000,
        groupBy: 'align',
        keyProperty: 'topic',
        features: 'temp, hum',
        emit: 'vector',
      });
      await t.send(
        topic('temp', 20, 'm1'),
        topic('temp', 30, 'm2'),
        topic('hum', 40, 'm1'),
        topic('hum', 50, 'm2'),
      );
      clock.tick(1000);
      await deliver();
      assert.deepEqual(
        t.seen.out.map((m) => [m.topic, m.window.key, m.payload]),
        [
          ['factory/m1', 'factory/m1', [20, 40]],
          ['factory/m2', 'factory/m2', [30, 50]],
        ],
      );
      // A reset names the machine as the rows' msg.topic shows it; m1 then starts without last values.
      await t.send({ reset: true, topic: 'factory/m1' }, topic('temp', 21, 'm1'), topic('temp', 31, 'm2'));
      clock.tick(1000);
      await deliver();
      assert.deepEqual(
        t.seen.out.slice(2).map((m) => [m.topic, m.payload, m.window.filled]),
        [['factory/m2', [31, 50], ['hum']]],
      );
      assert.match(t.warnings()[0], /of key "factory\/m1" not sent: no reading yet of hum/);
    });

    it('a name property instead of the topic, and a key on another property', async () => {
      const t = await start({
        mode: 'count',
        size: 2,
        groupBy: 'align',
        nameProperty: 'sensor',
        keyProperty: 'machine',
      });
      await t.send(
        { machine: 'A', sensor: 'temp', payload: 1 },
        { machine: 'B', sensor: 'temp', payload: 2 },
        { machine: 'A', sensor: 'hum', payload: 3 },
      );
      assert.deepEqual(
        t.seen.out.map((m) => [m.topic, m.payload]),
        [['A', { temp: 1, hum: 3 }]],
      );
    });

    it('bad readings: a string, no topic, an unknown feature', async () => {
      const t = await start({ mode: 'count', size: 2, groupBy: 'align', features: 'temp,hum' });
      await t.send(
        topic('temp', '21.5'),
        { payload: 1 },
        topic('pressure', 1000),
        topic('temp', 1),
        topic('hum', 2),
      );
      const messages = errors(t.seen);
      assert.match(messages[0], /a string \("21\.5"\): aligning topics needs one finite number/);
      assert.match(messages[1], /msg\.topic is missing/);
      assert.match(messages[2], /"pressure", which is not one of the features temp, hum/);
      assert.deepEqual(t.seen.out[0].payload, { temp: 1, hum: 2 }, 'the bad ones changed nothing');
    });
  });

  describe('aggregates', () => {
    const ref = {
      mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
      min: (xs) => Math.min(...xs),
      max: (xs) => Math.max(...xs),
      std: (xs) => {
        const m = xs.reduce((a, b) => a + b, 0) / xs.length;
        return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
      },
      sum: (xs) => xs.reduce((a, b) => a + b, 0),
      count: (xs) => xs.length,
      first: (xs) => xs[0],
      last: (xs) => xs[xs.length - 1],
      median: (xs) => {
        const s = [...xs].sort((a, b) => a - b);
        const k = Math.floor(s.length / 2);
        return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
      },
    };
    const names = Object.keys(ref);

    it('all nine on a scalar window: one flat row x0_mean, … equal to independent values', async () => {
      const xs = [3.5, -1, 7.25, 2, 2, 10];
      const t = await start({
        mode: 'count',
        size: xs.length,
        emit: 'aggregate',
        aggregates: names.join(','),
      });
      await t.send(...xs.map((payload) => ({ payload })));
      const row = t.seen.out[0].payload;
      assert.deepEqual(
        Object.keys(row),
        names.map((n) => `x0_${n}`),
      );
      for (const n of names) {
        const expected = ref[n](xs);
        assert.ok(Math.abs(row[`x0_${n}`] - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), n);
      }
    });

    it('one aggregate keeps the shape: a number, an array of means, an object of means', async () => {
      const n = await start({ mode: 'count', size: 2, emit: 'aggregate', aggregates: 'median' });
      await n.send({ payload: 1 }, { payload: 4 });
      assert.equal(n.seen.out[0].payload, 2.5);
      const a = await start({ mode: 'count', size: 2, emit: 'aggregate' });
      await a.send({ payload: [1, 10] }, { payload: [3, 30] });
      assert.deepEqual(a.seen.out[0].payload, [2, 20]);
      const o = await start({
        mode: 'count',
        size: 2,
        emit: 'aggregate',
        aggregates: 'std',
        features: 'hum,temp',
      });
      await o.send({ payload: { temp: 1, hum: 10 } }, { payload: { temp: 3, hum: 10 } });
      assert.deepEqual(o.seen.out[0].payload, { hum: 0, temp: 1 });
    });
  });

  describe('bad samples and bounds', () => {
    it('each bad sample goes to Catch with a clear message, sends nothing and changes nothing', async () => {
      const t = await start({ mode: 'count', size: 2, emit: 'vector' });
      await t.send(
        { payload: 1 },
        { payload: '2' },
        { payload: NaN },
        {},
        { payload: [1, 2] },
        { payload: null },
        { payload: 2 },
      );
      const messages = errors(t.seen);
      assert.equal(messages.length, 5);
      assert.match(messages[0], /msg\.payload is a string/);
      assert.match(messages[1], /NaN/);
      assert.match(messages[2], /msg\.payload is missing/);
      assert.match(messages[3], /msg\.payload has 2 features but .* has 1/);
      assert.match(messages[4], /null/);
      assert.deepEqual(
        t.seen.out.map((m) => m.payload),
        [[1, 2]],
      );
    });

    it('overflow: beyond maxSamples is an error that says what to do; the buffer is kept', async () => {
      const t = await startFaked({ mode: 'time', size: 1000, maxSamples: 3, emit: 'vector' });
      await t.send({ payload: 1 }, { payload: 2 }, { payload: 3 }, { payload: 4 });
      assert.equal(t.seen.errors.length, 1);
      assert.match(errors(t.seen)[0], /Window buffer full: .* more than maxSamples \(3\).*Raise maxSamples/);
      clock.tick(1000);
      await deliver();
      assert.deepEqual(t.seen.out[0].payload, [1, 2, 3]);
    });

    it('a configuration error is reported at start and on every message', async () => {
      const t = await start({ mode: 'count', size: 4, step: 5 });
      await t.send({ payload: 1 });
      assert.match(errors(t.seen)[0], /configuration error: step \(5\) must not exceed size \(4\)/);
      const u = await start({ mode: 'time', size: 1000, emit: 'aggregate', aggregates: 'mean,avg' });
      await u.send({ payload: 1 }, { flush: true });
      assert.equal(u.seen.errors.length, 2);
      assert.match(errors(u.seen)[1], /configuration error: Aggregates: "avg" is not one of/);
      const v = await start({ mode: 'hourly' });
      await v.send({ payload: 1 });
      assert.match(errors(v.seen)[0], /configuration error: setting "mode" must be one of/);
    });
  });

  describe('control messages', () => {
    it('msg.flush and msg.reset take "true"/"false"; any other value is an error naming the field', async () => {
      const t = await start({ mode: 'count', size: 5, emit: 'vector' });
      await t.send({ payload: 1 }, { payload: 2 }, { flush: 'false' });
      assert.equal(t.seen.out.length, 0, '"false" does not flush');
      await t.send({ flush: 'true' });
      assert.deepEqual(
        t.seen.out.map((m) => m.payload),
        [[1, 2]],
      );
      await t.send({ payload: 3 }, { reset: 'true' }, { flush: true });
      assert.equal(t.seen.out.length, 1, '"true" reset dropped the open window');
      for (const [field, value] of [
        ['flush', 1],
        ['flush', 'yes'],
        ['reset', null],
        ['reset', {}],
      ]) {
        await t.send({ payload: 4, [field]: value });
        const last = errors(t.seen).at(-1);
        assert.match(last, new RegExp(`msg\\.${field} must be true, false, "true" or "false", got`));
      }
      await t.send({ flush: true });
      assert.equal(t.seen.out.length, 1, 'no sample of a rejected message was added');
    });

    it('msg.flush sends open windows now; with a sample, the sample is in them; control-only is consumed', async () => {
      const t = await start({ mode: 'count', size: 5, emit: 'vector' });
      await t.send({ payload: 1 }, { payload: 2 }, { flush: true });
      assert.deepEqual(
        t.seen.out.map((m) => [m.payload, m.window.count]),
        [[[1, 2], 2]],
      );
      await t.send({ flush: true });
      assert.equal(t.seen.out.length, 1, 'nothing open, nothing sent');
      await t.send({ payload: 3, flush: true });
      assert.deepEqual(t.seen.out[1].payload, [3]);
      assert.equal(t.seen.completed.length, 5, 'control messages complete');
    });

    it('msg.flush closes time windows and stops the timer', async () => {
      const t = await startFaked({ mode: 'time', size: 1000, emit: 'vector' });
      await t.send({ payload: 1 });
      assert.equal(clock.countTimers() > 0, true);
      await t.send({ flush: true });
      assert.deepEqual(windows(t.seen), [{ payload: [1], start: T0, end: T0 + 1000, count: 1, key: null }]);
      clock.tick(250); // the status redraw
      assert.equal(clock.countTimers(), 0);
    });

    it('msg.reset drops open windows; with a key only that key; a reset with a sample starts afresh', async () => {
      const t = await start({ mode: 'count', size: 3, groupBy: 'key', emit: 'vector' });
      await t.send(
        { topic: 'a', payload: 1 },
        { topic: 'b', payload: 10 },
        { reset: true, topic: 'a' },
        { topic: 'a', payload: 2 },
        { topic: 'b', payload: 20 },
        { flush: true },
      );
      assert.deepEqual(t.seen.out.map((m) => [m.topic, m.payload]).sort(), [
        ['a', [2]],
        ['b', [10, 20]],
      ]);
      await t.send({ topic: 'a', payload: 3 }, { topic: 'b', payload: 30 }, { reset: true }, { flush: true });
      assert.equal(t.seen.out.length, 2, 'a reset without a key dropped every key');
      await t.send({ payload: 4 }, { payload: 5, reset: true }, { payload: 6 }, { flush: true });
      assert.deepEqual(t.seen.out[2].payload, [5, 6]);
    });

    it('a reset with a bad sample is an error that drops nothing', async () => {
      const t = await start({ mode: 'count', size: 3, emit: 'vector' });
      await t.send({ payload: 1 }, { payload: 'x', reset: true }, { payload: 2 });
      assert.match(t.seen.errors[0].error.message, /is a string/);
      await t.send({ flush: true });
      assert.deepEqual(t.seen.out[0].payload, [1, 2]);
    });

    it('close with open windows: they are dropped and no timer is left behind', async () => {
      const t = await startFaked({ mode: 'session', gap: 60000, groupBy: 'key' });
      await t.send({ topic: 'a', payload: 1 }, { topic: 'b', payload: 2 });
      assert.ok(clock.countTimers() >= 1, 'the window timer is armed');
      const cleared = sinon.spy(clock, 'clearTimeout');
      await helper.unload();
      assert.ok(cleared.called);
      assert.equal(clock.countTimers(), 0, 'no timer left');
      clock.tick(120000);
      await deliver();
      assert.equal(t.seen.out.length, 0, 'nothing sent after close');
    });
  });

  it('the example flow: its ml-window turns m1/m2 topics into one {temp, hum} mean row per machine', async () => {
    const flow = require('../../../examples/window-align-standardize.json');
    const {
      id: _id,
      z: _z,
      x: _x,
      y: _y,
      wires: _wires,
      ...settings
    } = flow.find((n) => n.type === 'ml-window');
    const t = await startFaked(settings);
    await t.send(
      { topic: 'factory/m1/temp', payload: 20 },
      { topic: 'factory/m2/temp', payload: 30 },
      { topic: 'factory/m1/hum', payload: 40 },
      { topic: 'factory/m1/temp', payload: 22 },
      { topic: 'factory/m2/hum', payload: 60 },
    );
    clock.tick(5000);
    await deliver();
    assert.deepEqual(
      t.seen.out.map((m) => [m.topic, m.payload]),
      [
        ['factory/m1', { temp: 21, hum: 40 }],
        ['factory/m2', { temp: 30, hum: 60 }],
      ],
    );
  });

  it('status: open windows and buffered samples', async () => {
    const t = await startFaked({ mode: 'time', size: 1000, step: 500, groupBy: 'key' });
    await t.send({ topic: 'a', payload: 1 }, { topic: 'b', payload: 2 }, { topic: 'a', payload: 3 });
    clock.tick(250);
    assert.deepEqual(t.statuses().at(-1), { fill: 'green', shape: 'dot', text: '4 open, 3 buf' });
    await t.send({ payload: 'x' });
    assert.deepEqual(t.statuses().at(-1), { fill: 'red', shape: 'ring', text: 'bad sample' });
  });
});
