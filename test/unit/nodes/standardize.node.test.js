'use strict';
// ml-standardize through node-red-node-test-helper: shapes, scikit-learn's numbers, loading and
// combining models, its own settings. What every learner does (bad samples, control messages,
// keys, warm-up, persistence) is in learner-contract.node.test.js; the real runtime in
// standardize.runtime.test.js.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper, useHelper, load, eventually } = require('../../support/helper');
const { assertClose } = require('../../support/numeric');
const { iris } = require('../../support/fixtures');

const standardizeNode = dist('nodes/ml-standardize/ml-standardize');
const { Standardizer } = dist('lib/standardize');
const start = (settings) => load(standardizeNode, 'ml-standardize', settings);

describe('ml-standardize node', () => {
  useHelper();

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

  describe('loading and combining models', () => {
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
  });

  describe('settings', () => {
    it('a configuration error is reported at start and on every message', async () => {
      const t = await start({ method: 'robust' });
      await t.send({ payload: 1 });
      assert.match(t.seen.errors[0].error.message, /configuration error: setting "method"/);
    });
  });

  it('shows n in its status', async () => {
    const t = await start({ warmupSamples: 2 });
    await t.send({ payload: 1 }, { payload: 2 }, { payload: 3 });
    await eventually(() => assert.deepEqual(t.lastStatus(), { fill: 'green', shape: 'dot', text: 'n=3' }));
  });
});
