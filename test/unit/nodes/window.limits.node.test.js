'use strict';
// ml-window's limits through node-red-node-test-helper: settings bounded at deploy, event times
// checked for their unit and horizon, forgotten keys told in one warning per burst, values that
// would overflow an aggregate rejected, and messages that speak of windows and never throw. The
// case that once ran out of memory runs the node in a child process with a memory cap and a
// kill timer, so a regression fails the test instead of stopping the suite.
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const sinon = require('sinon');
const dist = require('../../support/dist');
const { helper, useHelper, load } = require('../../support/helper');

const windowNode = dist('nodes/ml-window/ml-window');
const errors = (seen) => seen.errors.map((msg) => msg.error.message);

const start = (settings) => load(windowNode, 'ml-window', settings);

describe('ml-window limits', () => {
  let clock;
  afterEach(() => {
    if (clock) clock.restore();
    clock = undefined;
  });
  useHelper();

  describe('settings bounded at deploy', () => {
    const cases = [
      [
        { mode: 'count', size: 10, maxSamples: 1e12 },
        /setting "maxSamples" must be a whole number between 1 and 10000000/,
      ],
      [
        { mode: 'time', size: 1e15, step: 1 },
        /setting "size" must be a whole number between 1 and 31622400000/,
      ],
      [
        { mode: 'time', size: '3600000', step: '1' },
        /setting "step" must be at least size \/ 1000 \(3600 ms\)/,
      ],
      [
        { mode: 'time', size: 1000, timeProperty: 'ts', lateness: 1e300 },
        /setting "lateness" must be a number between 0 and/,
      ],
      [{ mode: 'session', gap: '1e300' }, /setting "gap" must be a number > 0 and ≤ 31622400000/],
      [
        { mode: 'time', size: 1000, timeProperty: 'ts', horizon: -5 },
        /setting "horizon" must be a number between 1 and/,
      ],
      [
        { mode: 'time', size: 1000, timeProperty: 'ts', lateness: 10_000, horizon: 5000 },
        /setting "horizon" \(5000 ms\) must be at least "lateness" \(10000 ms\)/,
      ],
      [
        { mode: 'count', size: 10, groupBy: 'key', maxKeys: 1e12 },
        /setting "maxKeys" must be a whole number between 1 and 1000000/,
      ],
      [
        { mode: 'count', size: 10, idleTimeout: 'soon' },
        /setting "idleTimeout" must be a number between 0 and/,
      ],
      [
        { mode: 'count', size: 10, maxDimension: 0 },
        /setting "maxDimension" must be a whole number between 1 and 100000/,
      ],
      [
        { mode: 'time', size: 1000, groupBy: 'align', maxFeatures: 1e9 },
        /setting "maxFeatures" must be a whole number between 1 and 10000/,
      ],
    ];
    for (const [settings, message] of cases) {
      it(`${JSON.stringify(settings)}: red status at start, every message fails with the same error`, async () => {
        const t = await start(settings);
        await t.send({ payload: 1, topic: 'a/b', ts: 0 }, { payload: 2, topic: 'a/b', ts: 0 });
        const seen = errors(t.seen);
        assert.equal(seen.length, 2);
        assert.match(seen[0], /configuration error: setting "/);
        assert.deepEqual(t.lastStatus(), { fill: 'red', shape: 'ring', text: 'config error' });
        assert.match(seen[0], message);
        assert.equal(seen[1], seen[0]);
        assert.deepEqual(t.seen.out, []);
      });
    }

    it('defaults need no setting: the new fields may be missing (flows written before them)', async () => {
      const t = await start({ mode: 'count', size: 2, groupBy: 'key' });
      await t.send({ payload: 1, topic: 'a' }, { payload: 2, topic: 'a' });
      assert.deepEqual(errors(t.seen), []);
      assert.equal(t.seen.out.length, 1);
    });
  });

  describe('event time', () => {
    it('nanosecond timestamps are a bad sample that says to divide by 1e6', async () => {
      const t = await start({ mode: 'count', size: 2, timeProperty: 'timestamp' });
      await t.send({ payload: 1, timestamp: 1.7e18 });
      assert.match(
        errors(t.seen)[0],
        /msg\.timestamp is 1700000000000000000, outside the range of dates.*nanoseconds.*divide it by 1e6/,
      );
      assert.deepEqual(t.seen.out, []);
    });

    it('one far-future timestamp is rejected; the samples after it are not late', async () => {
      const t = await start({ mode: 'time', size: 1000, timeProperty: 'timestamp', emit: 'vector' });
      const now = Date.now();
      const base = now - (now % 1000) - 10_000;
      await t.send(
        { payload: 1, timestamp: base },
        { payload: 99, timestamp: now + 365 * 86_400_000 },
        { payload: 2, timestamp: base + 500 },
        { payload: 3, timestamp: base + 1000 },
      );
      const seen = errors(t.seen);
      assert.equal(seen.length, 1);
      assert.match(
        seen[0],
        /msg\.timestamp is \d{4}-.*more than the horizon of 3600000 ms ahead of .*this machine's clock/,
      );
      assert.deepEqual(t.warnings(), [], 'nothing late');
      assert.deepEqual(
        t.seen.out.map((m) => m.payload),
        [[1, 2]],
      );
    });

    it('emitEmpty with event time 0 then now: one warning, no 1.7e9 windows (node in a guarded child)', async function () {
      this.timeout(60_000);
      const script = `
        const { helper, load } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'support', 'helper'))});
        const windowNode = require(${JSON.stringify(path.join(dist.root, 'nodes/ml-window/ml-window'))});
        (async () => {
          await new Promise((resolve) => helper.startServer(resolve));
          const t = await load(windowNode, 'ml-window', {
            mode: 'time', size: 1000, timeProperty: 'timestamp', emitEmpty: true, emit: 'vector',
          });
          const now = Date.now();
          await t.send({ payload: 1, timestamp: 0 }, { payload: 2, timestamp: now });
          const result = { out: t.seen.out.length, warnings: t.warnings(), errors: t.seen.errors.map((m) => m.error.message) };
          await helper.unload();
          await new Promise((resolve) => helper.stopServer(resolve));
          process.stdout.write(JSON.stringify(result));
          process.exit(0);
        })().catch((err) => { process.stdout.write(JSON.stringify({ thrown: String(err) })); process.exit(0); });
      `;
      const out = await new Promise((resolve) => {
        execFile(
          process.execPath,
          ['--max-old-space-size=256', '-e', script],
          { timeout: 45_000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
          (error, stdout, stderr) => {
            if (error) {
              resolve({
                failed: `child ${error.killed ? 'killed by the guard (a hang)' : `exited with ${error.code ?? error.signal}`}: ${String(stderr).slice(0, 200)}`,
              });
            } else resolve(JSON.parse(stdout));
          },
        );
      });
      assert.equal(out.failed, undefined, out.failed);
      assert.equal(out.thrown, undefined, out.thrown);
      assert.deepEqual(out.errors, []);
      assert.equal(out.out, 1, 'the window [0, 1000) with its sample');
      assert.equal(out.warnings.length, 1);
      assert.match(
        out.warnings[0],
        /^skipped \d{10} empty windows from 1970-01-01T00:00:01\.000Z to .*: a gap of more than 1000 empty windows/,
      );
    });
  });

  describe('keys', () => {
    it('1000 topics over maxKeys 10: one warning at once, the rest summed up in one more', async () => {
      const t = await start({ mode: 'count', size: 5, groupBy: 'key', maxKeys: 10 });
      clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const msgs = [];
      for (let i = 0; i < 1000; i++) msgs.push({ payload: i, topic: `sensor/${i}` });
      await t.send(...msgs);
      assert.deepEqual(errors(t.seen), []);
      assert.equal(t.warnings().length, 1);
      assert.match(
        t.warnings()[0],
        /^forgot key "sensor\/0", the least recently used, .*maxKeys \(10\) reached, dropping 1 sample of its open window/,
      );
      clock.tick(10_000);
      assert.equal(t.warnings().length, 2);
      assert.match(t.warnings()[1], /^forgot 989 keys \(e\.g\. "sensor\/1"\)/);
      clock.tick(60_000);
      assert.equal(t.warnings().length, 2, 'no warning without new evictions');
    });

    it('a key that names a huge topic is echoed short in warnings', async () => {
      const t = await start({ mode: 'count', size: 5, groupBy: 'key', maxKeys: 1 });
      const huge = 'k'.repeat(100_000);
      await t.send({ payload: 1, topic: huge }, { payload: 2, topic: 'b' });
      assert.equal(t.warnings().length, 1);
      assert.ok(t.warnings()[0].length < 400, `${t.warnings()[0].length} characters`);
    });

    it('close with a summary pending: the timer is cleared, no warning after close', async () => {
      const t = await start({ mode: 'count', size: 5, groupBy: 'key', maxKeys: 1 });
      clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      await t.send({ payload: 1, topic: 'a' }, { payload: 2, topic: 'b' }, { payload: 3, topic: 'c' });
      assert.equal(t.warnings().length, 1);
      await helper.unload();
      clock.tick(20_000);
      assert.equal(t.warnings().length, 1);
    });
  });

  describe('values and messages', () => {
    it('aggregates of values near 1e30 are finite; a value beyond ±1e30 is a bad sample', async () => {
      const t = await start({ mode: 'count', size: 3, emit: 'aggregate', aggregates: 'sum,std,mean' });
      await t.send({ payload: 1e30 }, { payload: -1e300 }, { payload: -1e30 }, { payload: 1e30 });
      assert.match(errors(t.seen)[0], /msg\.payload is -1e\+300, larger in magnitude than 1e\+30/);
      assert.equal(t.seen.out.length, 1);
      const row = t.seen.out[0].payload;
      assert.ok(Object.values(row).every(Number.isFinite), JSON.stringify(row));
    });

    it('a sample that does not fit the open window speaks of this window', async () => {
      const t = await start({ mode: 'count', size: 3 });
      await t.send({ payload: [1, 2] }, { payload: [1, 2, 3] });
      const [message] = errors(t.seen);
      assert.match(message, /this window has 2/);
      assert.doesNotMatch(message, /model/);
    });

    it('a hostile name value gives the clear message, not what its toJSON/toString throw', async () => {
      const t = await start({ mode: 'time', size: 1000, groupBy: 'align', nameProperty: 'name' });
      const hostile = {
        toJSON() {
          throw new Error('toJSON boom');
        },
        toString() {
          throw new Error('toString boom');
        },
      };
      await t.send({ payload: 1, name: hostile });
      const [message] = errors(t.seen);
      assert.match(message, /msg\.name is .*: aligning needs it to name each reading/);
      assert.doesNotMatch(message, /boom/);
    });
  });
});
