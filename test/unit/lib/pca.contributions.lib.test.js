'use strict';
// Contributions to T² and SPE (complete decomposition, Alcala & Qin 2011): they add up to the
// statistics on the reference datasets, match an independent matrix computation, and their
// per-feature limits hold on normal data at the stated confidence.
const assert = require('node:assert/strict');
const { Matrix, EigenvalueDecomposition } = require('ml-matrix');
const dist = require('../../support/dist');
const { prng, gaussian } = require('../../support/random');
const { iris, wine } = require('../../support/fixtures');
const { RowMatrix } = dist('lib/matrix');

const { StreamingPCA, contributions, contributionLimits, topFeature, NormalOnlyPCA } = dist('lib/pca');

const schemaOf = (d) => ({ dimension: d, features: null });
const sum = (values) => Array.from(values).reduce((s, v) => s + v, 0);
const anomalyOf = (pca, x) => pca.anomaly(x, { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false });

/** A six-sensor process driven by two latent factors, plus sensor noise. */
function plant(seed) {
  const normal = gaussian(prng(seed));
  const loadings = [
    [1, 0.2],
    [0.8, -0.5],
    [0.3, 1],
    [-0.6, 0.7],
    [0.5, 0.5],
    [0.9, 0.1],
  ];
  return () => {
    const f = [normal(), normal()];
    return loadings.map(([a, b], j) => 10 + j + 2 * (a * f[0] + b * f[1]) + 0.3 * normal());
  };
}

/** D^{1/2} from ml-matrix's own eigen-decomposition of D = Σ pₐpₐᵀ/λₐ (independent of lib/pca). */
function sqrtD(pca) {
  const d = pca.schema.dimension;
  const D = Matrix.zeros(d, d);
  pca.components.forEach((p, a) => {
    const inverse = 1 / pca.explainedVariance[a];
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) D.set(i, j, D.get(i, j) + p[i] * p[j] * inverse);
  });
  const evd = new EigenvalueDecomposition(D, { assumeSymmetric: true });
  const V = evd.eigenvectorMatrix;
  // D has rank k: its other eigenvalues are rounding noise, whose square roots are not.
  const largest = Math.max(...evd.realEigenvalues);
  const root = evd.realEigenvalues.map((v) => (v > 1e-12 * largest ? Math.sqrt(v) : 0));
  return V.mmul(Matrix.diag(root)).mmul(V.transpose());
}

describe('PCA contributions (complete decomposition)', () => {
  const cases = [];
  for (const [name, data] of [
    ['iris', iris],
    ['wine', wine],
  ]) {
    for (const input of ['X', 'Z']) {
      for (const components of [2, 0.95]) cases.push({ name, data, input, components });
    }
  }

  for (const { name, data, input, components } of cases) {
    it(`${name} ${input}, components ${components}: T² and SPE contributions add up within 1e-12 (relative)`, () => {
      const rows = input === 'X' ? data.X : data.scaler.Z;
      const d = rows[0].length;
      const streamed = new StreamingPCA(schemaOf(d), { components, refitEvery: 7 });
      const batched = new StreamingPCA(schemaOf(d), { components, whiten: true });
      batched.learnBatch(rows);
      let worstT2 = 0;
      let worstSpe = 0;
      for (const [i, row] of rows.entries()) {
        streamed.learnOne(row);
        // The streamed model is scored between refits (live mean, older components) on purpose.
        for (const pca of i % 3 === 0 ? [streamed, batched] : [streamed]) {
          const { t2, spe } = anomalyOf(pca, row);
          const c = contributions(pca, row);
          for (const v of [...c.t2, ...c.spe]) assert.ok(Number.isFinite(v) && v >= 0, `contribution ${v}`);
          worstT2 = Math.max(worstT2, Math.abs(sum(c.t2) - t2) / Math.max(t2, Number.MIN_VALUE));
          worstSpe = Math.max(worstSpe, Math.abs(sum(c.spe) - spe) / Math.max(spe, Number.MIN_VALUE));
        }
      }
      assert.ok(worstT2 <= 1e-12, `T²: worst relative error ${worstT2}`);
      assert.ok(worstSpe <= 1e-12, `SPE: worst relative error ${worstSpe}`);
    });
  }

  it('T² contributions are (ξᵢᵀ D^{1/2} x̃)², D^{1/2} computed independently; SPE ones the squared residuals', () => {
    for (const data of [iris, wine]) {
      const rows = data.scaler.Z;
      const d = rows[0].length;
      const pca = new StreamingPCA(schemaOf(d), { components: 3 });
      pca.learnBatch(rows);
      const root = sqrtD(pca);
      for (const row of rows.slice(0, 40)) {
        const c = contributions(pca, row);
        const centred = Matrix.columnVector(row.map((v, j) => v - pca.mean[j]));
        const expected = root
          .mmul(centred)
          .to1DArray()
          .map((v) => v * v);
        const scale = Math.max(...expected, 1e-300);
        expected.forEach((v, i) => assert.ok(Math.abs(c.t2[i] - v) <= 1e-9 * scale, `T² contribution ${i}`));
        const reconstructed = pca.inverse(pca.transform(row, []), []);
        row.forEach((v, j) => {
          const r = v - reconstructed[j];
          assert.ok(
            Math.abs(c.spe[j] - r * r) <= 1e-9 * Math.max(sum(c.spe), 1e-300),
            `SPE contribution ${j}`,
          );
        });
      }
    }
  });

  it('whitening changes the scores, not the contributions', () => {
    const plain = new StreamingPCA(schemaOf(4), { components: 2 });
    const white = new StreamingPCA(schemaOf(4), { components: 2, whiten: true });
    plain.learnBatch(iris.X);
    white.learnBatch(iris.X);
    const a = contributions(plain, iris.X[7]);
    const b = contributions(white, iris.X[7]);
    assert.deepEqual(Array.from(a.t2), Array.from(b.t2));
    assert.deepEqual(Array.from(a.spe), Array.from(b.spe));
  });

  it('contribution limits: on normal data each feature exceeds its limit about 1 − confidence of the time', () => {
    const next = plant(5);
    const pca = new StreamingPCA(schemaOf(6), { components: 2, confidence: 0.95 });
    pca.learnBatch(Array.from({ length: 5000 }, next));
    const limits = contributionLimits(pca);
    assert.equal(contributionLimits(pca), limits, 'computed once per fit');
    const over = { t2: new Array(6).fill(0), spe: new Array(6).fill(0) };
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const c = contributions(pca, next());
      for (let j = 0; j < 6; j++) {
        if (c.t2[j] > limits.t2[j]) over.t2[j]++;
        if (c.spe[j] > limits.spe[j]) over.spe[j]++;
      }
    }
    for (const what of ['t2', 'spe']) {
      for (let j = 0; j < 6; j++) {
        const rate = over[what][j] / n;
        assert.ok(rate > 0.03 && rate < 0.07, `${what} contribution of feature ${j} over its limit ${rate}`);
        assert.ok(Number.isFinite(limits[what][j]) && limits[what][j] > 0);
      }
    }
  });

  it('top: the faulted feature of the statistic over its limit; -1 when nothing is over', () => {
    const next = plant(11);
    const pca = new StreamingPCA(schemaOf(6), { components: 2, confidence: 0.99 });
    pca.learnBatch(Array.from({ length: 3000 }, next));
    let normalTop = 0;
    for (let i = 0; i < 200; i++) {
      const x = next();
      const a = anomalyOf(pca, x);
      const top = topFeature(pca, x, a);
      if (!a.anomaly) assert.equal(top, -1);
      else normalTop++;
    }
    assert.ok(normalTop < 20, 'few normal samples flagged');
    for (let j = 0; j < 6; j++) {
      let right = 0;
      for (let i = 0; i < 100; i++) {
        const x = next();
        x[j] += 6; // far off the plant's correlations: SPE
        const a = anomalyOf(pca, x);
        assert.ok(a.spe > a.speLimit);
        if (topFeature(pca, x, a) === j) right++;
      }
      assert.ok(right >= 95, `feature ${j} blamed ${right}/100 times`);
    }
  });

  it('top: with a single residual direction every RBC ties, and the largest contribution decides', () => {
    const next = plant(12);
    const pca = new StreamingPCA(schemaOf(3), { components: 2, confidence: 0.99 });
    pca.learnBatch(Array.from({ length: 2000 }, () => next().slice(0, 3)));
    for (let j = 0; j < 3; j++) {
      const x = next().slice(0, 3);
      x[j] += 8;
      const a = anomalyOf(pca, x);
      assert.ok(a.spe > a.speLimit);
      const c = contributions(pca, x);
      const largest = Array.from(c.spe).indexOf(Math.max(...c.spe));
      assert.equal(topFeature(pca, x, a), largest, `fault on ${j}`);
    }
  });

  it('stays finite with a feature that never varies and a move along it', () => {
    const pca = new StreamingPCA(schemaOf(3), { components: 2 });
    pca.learnBatch(Array.from({ length: 50 }, (_, i) => [i, 2 * i + 1, 5]));
    const x = [3, 7, 5 + 1e6];
    const c = contributions(pca, x);
    const a = anomalyOf(pca, x);
    for (const v of [...c.t2, ...c.spe, ...contributionLimits(pca).t2, ...contributionLimits(pca).spe]) {
      assert.ok(Number.isFinite(v), `finite: ${v}`);
    }
    assert.ok(Math.abs(sum(c.t2) - a.t2) <= 1e-12 * a.t2);
    assert.equal(topFeature(pca, x, a), 2);
  });
});

describe('NormalOnlyPCA', () => {
  // An alarm of one sample, no hold: the gate leaves out exactly the samples over a limit.
  const PER_SAMPLE = { span: 1, t2Level: 1, speLevel: 1, hold: 0 };
  const options = (more) => ({
    learnOnlyNormal: true,
    relearnAfter: 0,
    warmup: 20,
    alarm: PER_SAMPLE,
    ...more,
  });

  it('a burst of anomalous samples leaves the model exactly as it was (export equal)', () => {
    const next = plant(21);
    const gated = new NormalOnlyPCA(
      new StreamingPCA(schemaOf(6), { components: 2, confidence: 0.99 }),
      options(),
    );
    for (let i = 0; i < 400; i++) gated.learnOne(next());
    const before = JSON.stringify(gated.toJSON());
    const heldBefore = gated.state.heldBack;
    let held = 0;
    for (let i = 0; i < 50; i++) {
      const x = next();
      x[2] = 0; // stuck
      if (!gated.learnOne(x)) held++;
    }
    assert.equal(held, 50);
    assert.equal(gated.learnBatch(Array.from({ length: 10 }, () => next().map((v) => v * 3))), 0);
    assert.equal(JSON.stringify(gated.toJSON()), before);
    assert.equal(gated.state.alarm.run, 60);
    assert.equal(gated.state.heldBack - heldBefore, 60);
  });

  it('without learnOnlyNormal it learns everything, as the bare model', () => {
    const next = plant(22);
    const rows = Array.from({ length: 300 }, next);
    rows[200] = rows[200].map((v) => v * 5);
    const bare = new StreamingPCA(schemaOf(6), { components: 2 });
    const gated = new NormalOnlyPCA(
      new StreamingPCA(schemaOf(6), { components: 2 }),
      options({ learnOnlyNormal: false }),
    );
    for (const row of rows) {
      bare.learnOne(row);
      assert.equal(gated.learnOne(row), true);
    }
    assert.equal(JSON.stringify(gated.toJSON()), JSON.stringify(bare.toJSON()));
  });

  it('relearnAfter: after that many flagged samples in a row it learns again, until a normal one', () => {
    const next = plant(23);
    const gated = new NormalOnlyPCA(
      new StreamingPCA(schemaOf(6), { components: 2 }),
      options({ relearnAfter: 5 }),
    );
    for (let i = 0; i < 300; i++) gated.learnOne(next());
    const shifted = () => next().map((v, j) => (j === 3 ? v + 30 : v));
    const learned = Array.from({ length: 8 }, () => gated.learnOne(shifted()));
    assert.deepEqual(learned, [false, false, false, false, false, true, true, true]);
    assert.equal(gated.state.relearnStarted, true);
    assert.equal(gated.state.relearning, true);
  });

  it('a RowMatrix batch is judged and learned as the same rows of arrays', () => {
    const next = plant(25);
    const warm = Array.from({ length: 200 }, next);
    const batch = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? next().map((v) => v * 4) : next()));
    const make = () => {
      const gated = new NormalOnlyPCA(new StreamingPCA(schemaOf(6), { components: 2 }), options());
      gated.learnBatch(warm);
      return gated;
    };
    const arrays = make();
    const matrix = make();
    const learned = arrays.learnBatch(batch, 5, 55);
    assert.ok(learned > 0 && learned < 50);
    assert.equal(matrix.learnBatch(RowMatrix.from(batch, 6), 5, 55), learned);
    assert.deepEqual({ ...matrix.state }, { ...arrays.state });
    assert.equal(JSON.stringify(matrix.toJSON()), JSON.stringify(arrays.toJSON()));
  });

  it('a bad row in a batch changes neither the model nor the run', () => {
    const next = plant(24);
    const gated = new NormalOnlyPCA(new StreamingPCA(schemaOf(6), { components: 2 }), options());
    for (let i = 0; i < 100; i++) gated.learnOne(next());
    gated.learnOne(next().map((v) => v * 4));
    const state = { ...gated.state };
    const before = JSON.stringify(gated.toJSON());
    const rows = [next().map((v) => v * 4), [1, 2, NaN, 4, 5, 6]];
    assert.throws(() => gated.learnBatch(rows));
    assert.deepEqual({ ...gated.state }, state);
    assert.equal(JSON.stringify(gated.toJSON()), before);
  });
});
