'use strict';
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { assertClose } = require('../../support/numeric');
const fixtures = require('../../support/fixtures');

const { Standardizer } = dist('lib/standardize');
const { RunningMoments, decayFactor } = dist('lib/moments');
const { ModelError } = dist('lib/errors');
const { RowMatrix } = dist('lib/matrix');

const schemaOf = (X) => ({ dimension: X[0].length, features: null });
const transformAll = (model, X) => X.map((row) => model.transform(row, new Array(row.length)));

for (const name of ['iris', 'wine']) {
  const { X, scaler } = fixtures[name];

  describe(`Standardizer on ${name} (scikit-learn StandardScaler)`, () => {
    it('a batch gives mean, var, scale and Z within 1e-12', () => {
      const model = new Standardizer(schemaOf(X));
      model.learnBatch(X);
      const json = model.toJSON();
      assert.equal(json.n_samples_seen, scaler.n_samples_seen);
      assertClose(json.mean, scaler.mean, 1e-12, 'mean');
      assertClose(json.var, scaler.var, 1e-12, 'var');
      assertClose(json.scale, scaler.scale, 1e-12, 'scale');
      assertClose(transformAll(model, X), scaler.Z, 1e-12, 'Z');
    });

    it('rows one by one give the same model within 1e-12', () => {
      const model = new Standardizer(schemaOf(X));
      for (const row of X) model.learnOne(row);
      const json = model.toJSON();
      assertClose(json.mean, scaler.mean, 1e-12, 'mean');
      assertClose(json.var, scaler.var, 1e-12, 'var');
      assertClose(transformAll(model, X), scaler.Z, 1e-12, 'Z');
    });

    it('keeps full precision on data offset by 1e9', () => {
      const offset = X.map((row) => row.map((v) => v + 1e9));
      // The offset data are themselves rounded (ulp 1.2e-7 at 1e9), so the truth is computed from
      // the rounded values, recentred exactly (x − 1e9 is exact in binary64) before a two-pass.
      const recentred = offset.map((row) => row.map((v) => v - 1e9));
      const truth = new Standardizer(schemaOf(X));
      truth.learnBatch(recentred);
      const expected = truth.toJSON();

      for (const learn of ['batch', 'one by one']) {
        const model = new Standardizer(schemaOf(X));
        if (learn === 'batch') model.learnBatch(offset);
        else for (const row of offset) model.learnOne(row);
        const json = model.toJSON();
        // The mean itself is ~1e9, where one ulp is 1.2e-7: ask for a few ulps (Welford drifts by some).
        assertClose(
          json.mean,
          expected.mean.map((m) => m + 1e9),
          1e-15,
          `${learn}: mean`,
        );
        assertClose(json.var, expected.var, 1e-9, `${learn}: var`);
        assertClose(transformAll(model, offset), transformAll(truth, recentred), 1e-9, `${learn}: Z`);
        // And against scikit-learn on the unrounded data, within what rounding the input allows.
        assertClose(json.var, scaler.var, 1e-6, `${learn}: var vs reference`);
      }
    });

    it('merging models of two halves equals the whole', () => {
      const half = Math.floor(X.length / 2);
      const a = new Standardizer(schemaOf(X));
      const b = new Standardizer(schemaOf(X));
      a.learnBatch(X.slice(0, half));
      for (const row of X.slice(half)) b.learnOne(row);
      const merged = Standardizer.merge(a, b).toJSON();
      assert.equal(merged.n_samples_seen, X.length);
      assertClose(merged.mean, scaler.mean, 1e-12, 'mean');
      assertClose(merged.var, scaler.var, 1e-12, 'var');
      assert.equal(a.samplesSeen, half, 'merge leaves its inputs alone');
    });

    it('round-trips through JSON and goes on learning identically', () => {
      const half = Math.floor(X.length / 2);
      const a = new Standardizer(schemaOf(X));
      a.learnBatch(X.slice(0, half));
      const b = Standardizer.load(JSON.parse(JSON.stringify(a.toJSON())));
      for (const row of X.slice(half)) {
        a.learnOne(row);
        b.learnOne(row);
      }
      // var × sum_weights rebuilds the co-moment to within an ulp.
      const [ja, jb] = [a.toJSON(), b.toJSON()];
      assert.equal(jb.n_samples_seen, ja.n_samples_seen);
      assertClose(jb.mean, ja.mean, 1e-15, 'mean');
      assertClose(jb.var, ja.var, 1e-14, 'var');
    });
  });
}

describe('Standardizer options', () => {
  const X = fixtures.iris.X;

  it('withMean = false and withStd = false behave as in scikit-learn', () => {
    const noMean = new Standardizer(schemaOf(X), { withMean: false });
    noMean.learnBatch(X);
    const { scale, mean } = noMean.toJSON();
    assertClose(
      noMean.transform(X[0], [0, 0, 0, 0]),
      X[0].map((v, j) => v / scale[j]),
      1e-15,
      'x / scale',
    );
    const noStd = new Standardizer(schemaOf(X), { withStd: false });
    noStd.learnBatch(X);
    assertClose(
      noStd.transform(X[0], [0, 0, 0, 0]),
      X[0].map((v, j) => v - mean[j]),
      1e-15,
      'x − mean',
    );
  });

  it('a constant feature gets scale 1 and scales to 0', () => {
    const model = new Standardizer({ dimension: 2, features: null });
    model.learnBatch([
      [5, 1],
      [5, 2],
      [5, 3],
    ]);
    assert.equal(model.toJSON().scale[0], 1);
    assert.deepEqual(model.transform([5, 2], [0, 0]), [0, 0]);
    const constantOffset = new Standardizer({ dimension: 1, features: null });
    for (let i = 0; i < 100; i++) constantOffset.learnOne([0.1 + 1e9]);
    assert.equal(constantOffset.toJSON().scale[0], 1, 'rounding noise is not a variance');
  });

  it('min-max maps the seen range to [0, 1], a constant feature to 0', () => {
    const model = new Standardizer({ dimension: 2, features: null }, { method: 'minmax' });
    model.learnBatch([
      [2, 7],
      [4, 7],
      [10, 7],
    ]);
    assert.deepEqual(model.transform([2, 7], [0, 0]), [0, 0]);
    assert.deepEqual(model.transform([10, 7], [0, 0]), [1, 0]);
    assert.deepEqual(model.transform([6, 7], [0, 0]), [0.5, 0]);
    assert.deepEqual(model.inverse([0.5, 0], [0, 0]), [6, 7]);
  });

  it('rejects a method it does not know', () => {
    assert.throws(() => new Standardizer({ dimension: 1, features: null }, { method: 'robust' }), /zscore/);
  });
});

describe('forgetting (halfLife)', () => {
  it('a sample weighs half after halfLife more samples', () => {
    const halfLife = 10;
    const moments = new RunningMoments(1, decayFactor(halfLife));
    moments.update([100]);
    for (let i = 0; i < halfLife; i++) moments.update([0]);
    // The first sample now weighs 0.5; the others sum the geometric series of the decay.
    const decay = decayFactor(halfLife);
    let others = 0;
    for (let i = 0; i < halfLife; i++) others += Math.pow(decay, i);
    assert.ok(Math.abs(moments.weight - (0.5 + others)) < 1e-12);
    assert.ok(Math.abs(moments.mean(0) - (100 * 0.5) / (0.5 + others)) < 1e-12);
  });

  it('a batch learns exactly as the same rows one by one', () => {
    const rows = fixtures.wine.X;
    const one = new Standardizer(schemaOf(rows), { halfLife: 25 });
    const batch = new Standardizer(schemaOf(rows), { halfLife: 25 });
    one.learnBatch(rows.slice(0, 30));
    batch.learnBatch(rows.slice(0, 30));
    for (const row of rows.slice(30)) one.learnOne(row);
    batch.learnBatch(rows.slice(30));
    const a = one.toJSON();
    const b = batch.toJSON();
    assertClose(b.mean, a.mean, 1e-12, 'mean');
    assertClose(b.var, a.var, 1e-10, 'var');
    assertClose([b.sum_weights], [a.sum_weights], 1e-12, 'weight');
  });

  it('follows a level shift: after 5 half-lives the old level weighs about 3%', () => {
    const model = new Standardizer({ dimension: 1, features: null }, { halfLife: 20 });
    for (let i = 0; i < 1000; i++) model.learnOne([0]);
    for (let i = 0; i < 100; i++) model.learnOne([10]);
    const mean = model.toJSON().mean[0];
    assert.ok(mean > 10 * (1 - 0.035) && mean < 10 * (1 - 0.025), `mean ${mean}`);
    const keeps = new Standardizer({ dimension: 1, features: null });
    for (let i = 0; i < 1000; i++) keeps.learnOne([0]);
    for (let i = 0; i < 100; i++) keeps.learnOne([10]);
    assert.ok(Math.abs(keeps.toJSON().mean[0] - 1000 / 1100) < 1e-12, 'without forgetting the mean lags');
  });

  it('does not underflow on long batches with a short half-life', () => {
    const model = new Standardizer({ dimension: 1, features: null }, { halfLife: 5 });
    const rows = Array.from({ length: 20000 }, (_, i) => [i < 19990 ? 0 : 1]);
    model.learnBatch(rows);
    const { mean } = model.toJSON();
    assert.ok(Number.isFinite(mean[0]) && mean[0] > 0.5, `mean ${mean[0]}`);
  });
});

describe('Standardizer.load', () => {
  const good = () => {
    const model = new Standardizer({ dimension: 2, features: ['temp', 'hum'] });
    model.learnBatch([
      [20, 40],
      [22, 44],
    ]);
    return JSON.parse(JSON.stringify(model.toJSON()));
  };
  const cases = [
    ['a string', () => 'model', /JSON object/],
    ['another type', (m) => ({ ...m, type: 'ml-pca' }), /type is "ml-pca"/],
    ['another version', (m) => ({ ...m, version: 2 }), /version 2/],
    ['a bad n_features_in', (m) => ({ ...m, n_features_in: 0 }), /n_features_in/],
    ['features of the wrong length', (m) => ({ ...m, features: ['temp'] }), /lists 1 features/],
    ['a forbidden feature name', (m) => ({ ...m, features: ['temp', '__proto__'] }), /__proto__/],
    ['a negative n_samples_seen', (m) => ({ ...m, n_samples_seen: -1 }), /n_samples_seen/],
    ['a short mean', (m) => ({ ...m, mean: [1] }), /mean must be an array of 2/],
    ['a NaN in var', (m) => ({ ...m, var: [1, null] }), /var\[1\]/],
    ['a negative variance', (m) => ({ ...m, var: [1, -1] }), /negative/],
    ['min above max', (m) => ({ ...m, data_min: [30, 40] }), /data_min\[0\]/],
    ['too large a weight', (m) => ({ ...m, sum_weights: 5 }), /sum_weights/],
  ];
  for (const [what, corrupt, message] of cases) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => Standardizer.load(corrupt(good())),
        (err) => err instanceof ModelError && message.test(err.message),
      );
    });
  }

  it('reads a model written from scikit-learn attributes without sum_weights', () => {
    const model = good();
    delete model.sum_weights;
    assert.equal(Standardizer.load(model).toJSON().sum_weights, 2);
  });
});

describe('Standardizer batch transform', () => {
  const { X, scaler } = fixtures.wine;
  const settings = [{}, { withMean: false }, { withStd: false }, { method: 'minmax' }];
  for (const options of settings) {
    it(`transformBatch equals transform row by row, bit for bit (${JSON.stringify(options)})`, () => {
      const model = new Standardizer(schemaOf(X), options);
      model.learnBatch(X);
      const batch = model.transformBatch(X, 3, 40);
      assert.ok(batch instanceof RowMatrix);
      assert.equal(batch.length, 37);
      assert.equal(batch.columns, X[0].length);
      batch
        .toArrays()
        .forEach((row, i) => assert.deepEqual(row, model.transform(X[3 + i], new Array(X[0].length))));
      // A matrix in gives the same bits as rows of arrays.
      const matrix = RowMatrix.from(X, X[0].length);
      assert.deepEqual(model.transformBatch(matrix, 3, 40).values, batch.values);
    });
  }

  it('fit then transformBatch is scikit-learn’s fit_transform within 1e-12', () => {
    const model = new Standardizer(schemaOf(X));
    model.learnBatch(X);
    assertClose(model.transformBatch(X).toArrays(), scaler.Z, 1e-12, 'Z');
  });

  it('each sample learned after a transform changes the next transform (no stale scale)', () => {
    const model = new Standardizer({ dimension: 1, features: null });
    model.learnBatch([[0], [2]]);
    assert.deepEqual(model.transform([2], [0]), [1]);
    model.learnOne([4]);
    // mean 2, population std √(8/3)
    assert.equal(model.transform([4], [0])[0], 2 / Math.sqrt(8 / 3));
    model.learnBatch([[2], [2]]);
    assert.equal(model.transformBatch([[4]]).values[0], 2 / Math.sqrt(8 / 5));
  });

  it('learns a RowMatrix as it learns the same rows as arrays, bit for bit, over many chunks', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [Math.sin(i) * 1e3 + 1e9, Math.cos(3 * i), i % 7]);
    for (const halfLife of [0, 50]) {
      const arrays = new Standardizer({ dimension: 3, features: null }, { halfLife });
      const matrix = new Standardizer({ dimension: 3, features: null }, { halfLife });
      arrays.learnBatch(rows, 10, 4990);
      matrix.learnBatch(RowMatrix.from(rows, 3), 10, 4990);
      assert.deepEqual(matrix.toJSON(), arrays.toJSON());
      // Chunks merge by Chan's formula: one by one gives the same numbers to rounding.
      const single = new Standardizer({ dimension: 3, features: null }, { halfLife });
      for (let i = 10; i < 4990; i++) single.learnOne(rows[i]);
      const [a, b] = [arrays.toJSON(), single.toJSON()];
      assertClose(a.mean, b.mean, 1e-12, 'mean');
      assertClose(a.var, b.var, 1e-9, 'var');
      assert.deepEqual(a.data_min, b.data_min);
      assert.deepEqual(a.data_max, b.data_max);
      assert.equal(a.n_samples_seen, 4980);
    }
  });

  it('a batch whose oldest chunks are entirely forgotten still counts them and their min and max', () => {
    const model = new Standardizer({ dimension: 1, features: null }, { halfLife: 1 });
    // Weights 2^-(n-1-i) underflow to 0 for the oldest ~1100 rows, several whole chunks.
    const rows = Array.from({ length: 20000 }, (_, i) => [i === 3 ? -5 : i % 2]);
    model.learnBatch(rows);
    const json = model.toJSON();
    assert.equal(json.n_samples_seen, 20000);
    assert.equal(json.data_min[0], -5);
    assert.ok(Number.isFinite(json.mean[0]) && Number.isFinite(json.var[0]));
    const single = new Standardizer({ dimension: 1, features: null }, { halfLife: 1 });
    for (const row of rows) single.learnOne(row);
    assertClose(json.mean, single.toJSON().mean, 1e-12, 'mean');
  });

  it('a bad row deep in a batch is still named, and nothing is learned', () => {
    const model = new Standardizer({ dimension: 2, features: null });
    const rows = Array.from({ length: 1000 }, (_, i) => [i, 2 * i]);
    rows[777] = [1, Infinity];
    assert.throws(() => model.learnBatch(rows), /batch\[777\]\[1\] is Infinity/);
    rows[777] = [1, 2, 3];
    assert.throws(() => model.learnBatch(rows), /batch\[777\] has 3 values/);
    assert.equal(model.samplesSeen, 0);
  });
});
