'use strict';
// ml-standardize through node-red-node-test-helper: shapes, keys, control messages, warm-up,
// bad input. Persistence and the real runtime are in standardize.runtime.test.js.
const assert = require('node:assert/strict');
const dist = require('./support/dist');
const { helper, load } = require('./support/helper');
const { assertClose } = require('./support/numeric');
const { iris } = require('./support/fixtures');

const standardizeNode = dist('nodes/ml-standardize/ml-standardize');
const { Standardizer } = dist('lib/standardize');
const start = (settings) => load(standardizeNode, 'ml-standardize', settings);

describe('ml-standardize node', () => {
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
  });

  describe('input shapes', () => {
    it('a number in, a number out', async () => {
      const t = await start({ warmupSamples: 2 });
      await t.send({ payload: 1 }, { payload: 3 });
      assert.equal(t.seen.out.length, 1, 'the first sample was dropped during warm-up');
      assert.equal(t.seen.out[0].payload, 1);
      assert.equal(t.seen.completed.length, 2, 'both messages completed');
    });

    it('an array and a typed array give plain arrays', async () => {
      const t = await start({ warmupSamples: 1 });
      await t.send({ payload: [1, 10] }, { payload: new Float64Array([3, 30]) });
      assert.deepEqual(t.seen.out[1].payload, [1, 1]);
      assert.ok(Array.isArray(t.seen.out[1].payload));
    });

    it('an object gives an object of the schema features, extra fields ignored', async () => {
      const t = await start({ warmupSamples: 1 });
      await t.send({ payload: { temp: 20, hum: 40 } }, { payload: { hum: 60, temp: 22, id: 'x' } });
      assert.deepEqual(t.seen.out[1].payload, { temp: 1, hum: 1 });
    });

    it('objects built in a function node (another VM context) are samples too', async () => {
      const vm = require('node:vm');
      const t = await start({ warmupSamples: 1 });
      await t.send(
        { payload: vm.runInNewContext('({ temp: 20, hum: 40 })') },
        { payload: vm.runInNewContext('[{ temp: 22, hum: 60 }]') },
      );
      assert.deepEqual(t.seen.errors, []);
      assert.deepEqual(t.seen.out[1].payload, [{ temp: 1, hum: 1 }]);
      await t.send({ payload: new Date() }, { payload: new Map([['temp', 1]]) });
      assert.match(t.seen.errors[0].error.message, /a Date, not a finite number/);
      assert.match(t.seen.errors[1].error.message, /a Map, not a finite number/);
    });

    it('the Features setting selects and orders named features', async () => {
      const t = await start({ warmupSamples: 1, features: 'hum, temp' });
      await t.send(
        { payload: { temp: 20, hum: 40, noise: 1 } },
        { payload: { temp: 22, hum: 60, noise: 5 } },
      );
      assert.deepEqual(Object.keys(t.seen.out[1].payload), ['hum', 'temp']);
      const [model] = await t.exported();
      assert.deepEqual(model.features, ['hum', 'temp']);
    });

    it('a batch of arrays equals fit_transform (iris Z within 1e-12)', async () => {
      const t = await start();
      await t.send({ payload: iris.X });
      assertClose(t.seen.out[0].payload, iris.scaler.Z, 1e-12, 'Z');
    });

    it('a 6-row batch into a fresh node is fit_transform at once, whatever warmupSamples says', async () => {
      const rows = iris.X.slice(0, 6);
      const t = await start({ warmupSamples: 10 });
      await t.send({ payload: rows });
      assert.equal(t.seen.out.length, 1, 'the batch was transformed');
      const mean = rows[0].map((_, j) => rows.reduce((sum, row) => sum + row[j], 0) / rows.length);
      const std = rows[0].map((_, j) =>
        Math.sqrt(rows.reduce((sum, row) => sum + (row[j] - mean[j]) ** 2, 0) / rows.length),
      );
      const expected = rows.map((row) => row.map((v, j) => (v - mean[j]) / std[j]));
      assertClose(t.seen.out[0].payload, expected, 1e-12, 'Z of the 6 rows');
      // Warm-up still governs single samples: 7 of 10 seen.
      await t.send({ payload: rows[0] });
      assert.equal(t.seen.out.length, 1, 'a single sample still waits for the warm-up');
    });

    it('a batch of objects gives objects', async () => {
      const t = await start();
      const rows = iris.X.map(([a, b, c, d]) => ({ sl: a, sw: b, pl: c, pw: d }));
      await t.send({ payload: rows });
      const out = t.seen.out[0].payload;
      assert.deepEqual(Object.keys(out[0]), ['sl', 'sw', 'pl', 'pw']);
      assertClose(
        out.map((row) => [row.sl, row.sw, row.pl, row.pw]),
        iris.scaler.Z,
        1e-12,
        'Z',
      );
    });

    it('reads and writes another property', async () => {
      const t = await start({ warmupSamples: 1, property: 'data.values' });
      await t.send({ data: { values: [1] } }, { data: { values: [3] }, payload: 'kept' });
      assert.deepEqual(t.seen.out[1].data.values, [1]);
      assert.equal(t.seen.out[1].payload, 'kept');
    });

    it('min-max scaling', async () => {
      const t = await start({ warmupSamples: 1, method: 'minmax' });
      await t.send({ payload: [[0], [10], [5]] });
      assert.deepEqual(t.seen.out[0].payload, [[0], [1], [0.5]]);
    });
  });

  describe('keys', () => {
    it('keeps one model per key', async () => {
      const t = await start({ warmupSamples: 1, keyProperty: 'topic' });
      await t.send(
        { topic: 'a', payload: [0] },
        { topic: 'a', payload: [2] },
        { topic: 'b', payload: [100] },
        { topic: 'b', payload: [300] },
      );
      assert.deepEqual(
        t.seen.out.map((m) => m.payload[0]),
        [0, 1, 0, 1],
      );
      const models = await t.exported();
      assert.deepEqual(
        t.seen.models.map((m) => m.topic),
        ['a', 'b'],
      );
      assert.deepEqual(
        models.map((m) => m.mean[0]),
        [1, 200],
      );
    });

    it('evicts the least recently used key beyond maxKeys, with a warning', async () => {
      const t = await start({ warmupSamples: 1, keyProperty: 'topic', maxKeys: 2 });
      await t.send({ topic: 'a', payload: 1 }, { topic: 'b', payload: 1 }, { topic: 'a', payload: 2 });
      await t.send({ topic: 'c', payload: 1 });
      await t.exported();
      assert.deepEqual(
        t.seen.models.map((m) => m.topic),
        ['a', 'c'],
      );
      const warned = t.node.warn.args.map((a) => String(a[0]));
      assert.ok(
        warned.some((w) => /key "b".*maxKeys \(2\)/.test(w)),
        warned.join('\n'),
      );
    });

    it('a sample without its key is an error', async () => {
      const t = await start({ keyProperty: 'topic' });
      await t.send({ payload: 1 });
      assert.match(t.seen.errors[0].error.message, /msg\.topic is missing/);
    });
  });

  describe('control messages', () => {
    it('msg.reset forgets the key of the message only, or all', async () => {
      const t = await start({ warmupSamples: 1, keyProperty: 'topic' });
      await t.send({ topic: 'a', payload: 1 }, { topic: 'b', payload: 1 }, { topic: 'a', reset: true });
      await t.exported();
      assert.deepEqual(
        t.seen.models.map((m) => m.topic),
        ['b'],
      );
      await t.send({ reset: true });
      assert.equal(t.seen.out.length, 2, 'control-only messages send nothing on output 1');
      await t.send({ export: true });
      assert.equal(t.seen.models.length, 1, 'nothing left to export');
    });

    it('msg.reset with a sample resets first, then learns', async () => {
      const t = await start({ warmupSamples: 1 });
      await t.send({ payload: 100 }, { payload: 5, reset: true });
      const [model] = await t.exported();
      assert.equal(model.n_samples_seen, 1);
      assert.equal(model.mean[0], 5);
    });

    it('msg.learn = false transforms without learning', async () => {
      const t = await start({ warmupSamples: 1 });
      await t.send({ payload: [0] }, { payload: [2] }, { payload: [10], learn: false });
      assert.equal(t.seen.out[2].payload[0], 9);
      const [model] = await t.exported();
      assert.equal(model.n_samples_seen, 2);
    });

    it('msg.model loads a model; exporting gives it back', async () => {
      const source = await start();
      await source.send({ payload: iris.X });
      const [model] = await source.exported();
      await helper.unload();
      const t = await start({ learning: 'off' });
      await t.send({ model });
      await t.send({ payload: iris.X[0] });
      assertClose(t.seen.out[0].payload, iris.scaler.Z[0], 1e-12, 'Z[0]');
      assert.deepEqual(await t.exported(), [model]);
    });

    it('msg.model with msg.peer is combined with the own model, export "own" leaves it out', async () => {
      const t = await start({ warmupSamples: 1 });
      await t.send({ payload: iris.X.slice(0, 75) });
      const peer = new Standardizer({ dimension: 4, features: null });
      peer.learnBatch(iris.X.slice(75));
      const peerModel = peer.toJSON();
      await t.send({ model: peerModel, peer: 'instance-2' });
      await t.send({ model: peerModel, peer: 'instance-2' });
      const [combined] = await t.exported();
      assert.equal(combined.n_samples_seen, 150, 'a republished peer model replaces, never adds');
      assertClose(combined.mean, iris.scaler.mean, 1e-12, 'mean');
      assertClose(combined.var, iris.scaler.var, 1e-12, 'var');
      await t.send({ export: 'own' });
      assert.equal(t.seen.models.at(-1).payload.n_samples_seen, 75);
    });

    it('a peer model of other features is an error and changes nothing', async () => {
      const t = await start({ warmupSamples: 1 });
      await t.send({ payload: [1, 2] });
      const before = await t.exported();
      const other = new Standardizer({ dimension: 3, features: null });
      other.learnOne([1, 2, 3]);
      await t.send({ model: other.toJSON(), peer: 'instance-2' });
      assert.match(t.seen.errors[0].error.message, /3 unnamed\) differ from .*\(2 unnamed\)/);
      assert.deepEqual(await t.exported(), before);
    });

    it('a bad msg.model is an error and changes nothing', async () => {
      const t = await start({ warmupSamples: 1 });
      await t.send({ payload: [1, 2] }, { payload: [3, 4] });
      const before = await t.exported();
      const bad = [
        [{ ...before[0], type: 'ml-pca' }, /type is "ml-pca"/],
        [{ ...before[0], var: [1, 'x'] }, /var\[1\]/],
        ['not a model', /JSON object/],
      ];
      for (const [model, message] of bad) {
        await t.send({ model, payload: [5, 6] });
        assert.match(t.seen.errors.at(-1).error.message, message);
      }
      assert.deepEqual(await t.exported(), before);
      assert.equal(t.seen.out.length, 2);
    });

    it('with learning off and no model, a sample is an error that says to load one', async () => {
      const t = await start({ learning: 'off' });
      await t.send({ payload: 1 });
      assert.match(t.seen.errors[0].error.message, /learning is off.*msg\.model/);
    });
  });

  describe('warm-up', () => {
    it('drops messages until warmupSamples are seen (they still complete)', async () => {
      const t = await start({ warmupSamples: 3 });
      await t.send({ payload: 1 }, { payload: 2 }, { payload: 3 }, { payload: 4 });
      assert.equal(t.seen.out.length, 2);
      assert.equal(t.seen.completed.length, 4);
    });

    it('passes them on unchanged with msg.ready = false', async () => {
      const t = await start({ warmupSamples: 3, whileWarmingUp: 'pass' });
      await t.send({ payload: 1 }, { payload: 2 }, { payload: 3 });
      assert.deepEqual(
        t.seen.out.map((m) => [m.payload, m.ready]),
        [
          [1, false],
          [2, false],
          [Math.sqrt(1.5), undefined],
        ],
      );
    });

    it('learning "warmup" freezes the model after warmupSamples', async () => {
      const t = await start({ warmupSamples: 2, learning: 'warmup' });
      await t.send({ payload: [[0], [2], [100]] }, { payload: 50 });
      const [model] = await t.exported();
      assert.equal(model.n_samples_seen, 2);
      assert.equal(model.mean[0], 1);
      assert.equal(t.seen.out[1].payload, 49);
    });
  });

  describe('bad samples', () => {
    const badSamples = [
      ['a string', '21.5', /is a string \("21\.5"\).*parsed JSON/],
      ['NaN', [1, NaN], /msg\.payload\[1\] is NaN.*finite/],
      ['Infinity', [Infinity, 1], /msg\.payload\[0\] is Infinity/],
      ['null', null, /msg\.payload is null/],
      ['a missing payload', undefined, /msg\.payload is missing/],
      ['a wrong length', [1, 2, 3], /has 3 features but this model has 2/],
      ['an empty batch', [], /empty array/],
      ['a ragged batch', [[1, 2], [3]], /msg\.payload\[1\] has 1 values but msg\.payload\[0\] has 2/],
      [
        'a bad row in a batch',
        [
          [1, 2],
          [3, 'x'],
        ],
        /msg\.payload\[1\]\[1\] is a string/,
      ],
      ['an object for an array model', { a: 1, b: 2 }, /learned from unnamed features/],
      ['a Buffer', Buffer.from('1,2'), /Buffer/],
      ['a boolean', true, /a boolean/],
    ];
    for (const [what, payload, message] of badSamples) {
      it(`${what}: a clear error to Catch, nothing sent, the model unchanged`, async () => {
        const t = await start({ warmupSamples: 1 });
        await t.send({ payload: [1, 2] }, { payload: [3, 5] });
        const before = await t.exported();
        await t.send({ payload });
        assert.equal(t.seen.errors.length, 1);
        assert.match(t.seen.errors[0].error.message, message);
        assert.equal(t.seen.out.length, 2, 'nothing sent');
        assert.deepEqual(await t.exported(), before);
      });
    }

    it('a missing field of a named model', async () => {
      const t = await start({ warmupSamples: 1 });
      await t.send({ payload: { temp: 20, hum: 40 } });
      const before = await t.exported();
      await t.send({ payload: { temp: 21 } });
      assert.match(t.seen.errors[0].error.message, /no field "hum".*temp, hum/);
      await t.send({ payload: { temp: 21, hum: null } });
      assert.match(t.seen.errors[1].error.message, /msg\.payload\.hum is null/);
      assert.deepEqual(await t.exported(), before);
    });

    it('__proto__ and constructor never become features', async () => {
      const t = await start({ warmupSamples: 1 });
      await t.send({ payload: JSON.parse('{"__proto__": 1, "a": 2}') });
      assert.match(t.seen.errors[0].error.message, /"__proto__", which cannot be a feature name/);
      assert.equal({}.a, undefined);
    });

    it('a configuration error is reported at start and on every message', async () => {
      const t = await start({ method: 'robust' });
      await t.send({ payload: 1 });
      assert.match(t.seen.errors[0].error.message, /configuration error: setting "method"/);
    });
  });

  it('shows n in its status', async () => {
    const t = await start({ warmupSamples: 2 });
    await t.send({ payload: 1 }, { payload: 2 }, { payload: 3 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(t.node.status.lastCall.args[0], { fill: 'green', shape: 'dot', text: 'n=3' });
  });
});
