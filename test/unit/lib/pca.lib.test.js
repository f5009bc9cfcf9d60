'use strict';
// Streaming PCA against scikit-learn's references (test/fixtures/*.json, copied from
// shared/reference): PCA fitted on the standardized Z, components 2 and 0.95, anomaly_2.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { prng, gaussian } = require('../../support/random');

const { StreamingPCA, PCA_DEFAULTS } = dist('lib/pca');
const { RunningCovariance } = dist('lib/covariance');
const { ModelError } = dist('lib/errors');
const { RowMatrix } = dist('lib/matrix');
const { decayFactor } = dist('lib/moments');

const FIXTURES = {
  iris: require('../../fixtures/iris.json'),
  wine: require('../../fixtures/wine.json'),
};

/** Parity tolerance: 1e-9 relative to the scale of the compared column (the largest |value| in it). */
const PARITY = 1e-9;

const schemaOf = (d) => ({ dimension: d, features: null });

function assertVectorClose(
  actual,
  expected,
  tolerance,
  what,
  scale = Math.max(...Array.from(expected, Math.abs)),
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    assert.ok(
      error <= tolerance * Math.max(scale, Number.MIN_VALUE),
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`,
    );
  }
}

function assertMatrixClose(actual, expected, tolerance, what) {
  assert.equal(actual.length, expected.length, `${what}: rows`);
  expected.forEach((row, i) => assertVectorClose(actual[i], row, tolerance, `${what}[${i}]`));
}

/** Scores of every row, compared column by column with the reference Y. */
function assertScores(pca, Z, Y, what) {
  const k = Y[0].length;
  const out = new Float64Array(k);
  const ours = Z.map((x) => Array.from(pca.transform(x, out)));
  for (let a = 0; a < k; a++) {
    assertVectorClose(
      ours.map((row) => row[a]),
      Y.map((row) => row[a]),
      PARITY,
      `${what} Y[:, ${a}]`,
    );
  }
}

function assertModelMatches(json, reference, what) {
  assert.equal(json.n_components, reference.n_components, `${what}: n_components`);
  assertMatrixClose(json.components, reference.components, PARITY, `${what} components`);
  assertVectorClose(
    json.explained_variance,
    reference.explained_variance,
    PARITY,
    `${what} explained_variance`,
  );
  assertVectorClose(
    json.explained_variance_ratio,
    reference.explained_variance_ratio,
    PARITY,
    `${what} explained_variance_ratio`,
  );
}

const SETTINGS = ['2', '0.95'];

describe('lib/pca: StreamingPCA', () => {
  describe('scikit-learn parity (Z in, PCA fit_transform), tolerance 1e-9 of each column’s scale', () => {
    for (const [name, fixture] of Object.entries(FIXTURES)) {
      const Z = fixture.scaler.Z;
      const d = Z[0].length;
      for (const setting of SETTINGS) {
        const reference = fixture.pca[setting];

        it(`${name}, components ${setting}: a batch gives n_components, components, variances and scores`, () => {
          const pca = new StreamingPCA(schemaOf(d), { components: Number(setting) });
          pca.learnBatch(Z);
          const json = pca.toJSON();
          assertModelMatches(json, reference, `${name}/${setting}`);
          assert.equal(json.n_samples_seen, Z.length);
          assert.equal(pca.nComponents, reference.n_components);
          assertScores(pca, Z, reference.Y, `${name}/${setting}`);
        });

        it(`${name}, components ${setting}: rows one by one, then export, equal the batch reference`, () => {
          const pca = new StreamingPCA(schemaOf(d), { components: Number(setting) });
          for (const row of Z) pca.learnOne(row);
          const json = pca.toJSON();
          assertModelMatches(json, reference, `${name}/${setting} streamed`);
          // Z's mean is rounding noise around 0: compare on the data's scale (unit variance).
          assertVectorClose(json.mean, reference.mean, PARITY, 'mean', 1);
          assertScores(pca, Z, reference.Y, `${name}/${setting} streamed`);
        });

        it(`${name}, components ${setting}: merging models of two halves equals the whole`, () => {
          const half = Math.floor(Z.length / 2);
          const first = new StreamingPCA(schemaOf(d), { components: Number(setting) });
          const second = new StreamingPCA(schemaOf(d), { components: Number(setting) });
          first.learnBatch(Z, 0, half);
          for (let i = half; i < Z.length; i++) second.learnOne(Z[i]);
          const firstBefore = JSON.stringify(first.toJSON());
          const merged = StreamingPCA.merge(first, second);
          assert.equal(JSON.stringify(first.toJSON()), firstBefore, 'merge leaves its inputs unchanged');
          assert.equal(merged.samplesSeen, Z.length);
          assertModelMatches(merged.toJSON(), reference, `${name}/${setting} merged`);
          assertScores(merged, Z, reference.Y, `${name}/${setting} merged`);
        });
      }

      it(`${name}: T², SPE and both limits equal pca.anomaly_2 at 0.95 and 0.99`, () => {
        const reference = fixture.pca.anomaly_2;
        for (const confidence of [0.95, 0.99]) {
          const pca = new StreamingPCA(schemaOf(d), { components: 2, confidence });
          pca.learnBatch(Z);
          const t2 = [];
          const spe = [];
          const into = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
          for (const row of Z) {
            pca.anomaly(row, into);
            t2.push(into.t2);
            spe.push(into.spe);
          }
          assertVectorClose(t2, reference.t2, PARITY, `${name} t2`);
          assertVectorClose(spe, reference.spe, PARITY, `${name} spe`);
          const limits = reference.limits[String(confidence)];
          assertVectorClose([pca.t2Limit], [limits.t2], PARITY, `${name} t2Limit@${confidence}`);
          assertVectorClose([pca.speLimit], [limits.spe], PARITY, `${name} speLimit@${confidence}`);
          assert.equal(into.t2Limit, pca.t2Limit);
          assert.equal(into.anomaly, into.t2 > into.t2Limit || into.spe > into.speLimit);
          // transform with an anomaly object gives the same numbers in the same pass.
          const both = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
          pca.transform(Z[7], new Float64Array(2), both);
          assert.equal(both.t2, t2[7]);
          assert.equal(both.spe, spe[7]);
        }
      });
    }

    it('whiten: scores are scikit-learn’s whitened ones (Y / √explained_variance), inverse undoes them', () => {
      const { Z } = FIXTURES.iris.scaler;
      const reference = FIXTURES.iris.pca['2'];
      const pca = new StreamingPCA(schemaOf(4), { components: 2, whiten: true });
      pca.learnBatch(Z);
      const whitened = reference.Y.map((row) =>
        row.map((v, a) => v / Math.sqrt(reference.explained_variance[a])),
      );
      assertScores(pca, Z, whitened, 'whitened');
      const plain = new StreamingPCA(schemaOf(4), { components: 2 });
      plain.learnBatch(Z);
      const a = pca.inverse(pca.transform(Z[3], [0, 0]), new Float64Array(4));
      const b = plain.inverse(plain.transform(Z[3], [0, 0]), new Float64Array(4));
      assertVectorClose(a, b, 1e-12, 'inverse(whitened) = inverse(plain)');
    });

    it('inverse: with every component kept it reconstructs the sample; otherwise the residual is the SPE', () => {
      const { Z } = FIXTURES.wine.scaler;
      const full = new StreamingPCA(schemaOf(13), { components: 13 });
      full.learnBatch(Z);
      const scores = new Float64Array(13);
      const back = new Float64Array(13);
      for (const row of Z.slice(0, 20)) {
        full.inverse(full.transform(row, scores), back);
        assertVectorClose(back, row, 1e-12, 'reconstruction');
      }
      const two = new StreamingPCA(schemaOf(13), { components: 2 });
      two.learnBatch(Z);
      const row = Z[11];
      two.inverse(two.transform(row, scores), back);
      const residual = row.reduce((sum, v, j) => sum + (v - back[j]) ** 2, 0);
      assertVectorClose([residual], [two.anomaly(row).spe], 1e-12, 'SPE = ‖x − inverse(transform(x))‖²');
    });
  });

  describe('anomaly detection on a synthetic stream', () => {
    /** Six sensors driven by two latent factors plus noise: a typical correlated process. */
    function plant(seed) {
      const normal = gaussian(prng(seed));
      const loadings = [
        [1, 0.2],
        [0.8, -0.5],
        [0.6, 0.9],
        [-0.7, 0.4],
        [0.3, -1],
        [0.9, 0.6],
      ];
      return () => {
        const z1 = normal();
        const z2 = normal();
        return loadings.map(([a, b]) => 10 + a * z1 + b * z2 + 0.1 * normal());
      };
    }

    function rate(pca, rows) {
      const into = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
      return rows.filter((row) => pca.anomaly(row, into).anomaly).length / rows.length;
    }

    it('flags a stuck sensor and a broken correlation, and not most normal data', () => {
      const next = plant(42);
      const pca = new StreamingPCA(schemaOf(6), { components: 2, confidence: 0.99 });
      for (let i = 0; i < 3000; i++) pca.learnOne(next());
      pca.refit();
      // Scored without learning (as msg.learn = false, or learning "warmup" once frozen).
      const normal = Array.from({ length: 2000 }, next);
      const stuckAt = next()[0];
      const stuck = Array.from({ length: 500 }, () => {
        const row = next();
        row[0] = stuckAt;
        return row;
      });
      const broken = Array.from({ length: 500 }, () => {
        const row = next();
        row[1] = 20 - row[1]; // sensor 1 now moves against the factors (wired backwards)
        return row;
      });
      const falseAlarms = rate(pca, normal);
      const stuckFound = rate(pca, stuck);
      const brokenFound = rate(pca, broken);
      const loose = new StreamingPCA(schemaOf(6), { components: 2, confidence: 0.95 });
      loose.learnBatch(Array.from({ length: 3000 }, next));
      const falseAlarms95 = rate(loose, normal);
      const stuckFound95 = rate(loose, stuck);
      const brokenFound95 = rate(loose, broken);
      console.log(
        `      detection (k=2, d=6): normal flagged ${(100 * falseAlarms).toFixed(1)}% at 0.99, ` +
          `${(100 * falseAlarms95).toFixed(1)}% at 0.95; stuck sensor ${(100 * stuckFound).toFixed(1)}%, ` +
          `broken correlation ${(100 * brokenFound).toFixed(1)}% at 0.99 ` +
          `(${(100 * stuckFound95).toFixed(1)}%, ${(100 * brokenFound95).toFixed(1)}% at 0.95)`,
      );
      // Either of two tests at 0.99 flags about 2% of normal data, at 0.95 about 10%.
      assert.ok(falseAlarms < 0.04, `false alarms at 0.99: ${falseAlarms}`);
      assert.ok(falseAlarms95 < 0.14, `false alarms at 0.95: ${falseAlarms95}`);
      // A stuck sensor goes unnoticed while the process happens to sit near where it stuck.
      assert.ok(stuckFound > 0.75, `stuck sensor found: ${stuckFound}`);
      assert.ok(stuckFound95 > stuckFound, 'a lower confidence finds more');
      // Likewise a sensor wired backwards reads right while the factors it follows are near zero.
      assert.ok(brokenFound > 0.75, `broken correlation found: ${brokenFound}`);
    });
  });

  describe('refits, signs and forgetting', () => {
    it('refits on the first sample, when the count doubles, and every refitEvery samples', () => {
      const next = gaussian(prng(3));
      const pca = new StreamingPCA(schemaOf(3), { components: 1, refitEvery: 10 });
      const refits = [];
      let snapshot = null;
      for (let n = 1; n <= 60; n++) {
        pca.learnOne([next(), next(), next()]);
        if (pca.eigenvalues !== snapshot) refits.push(n);
        snapshot = pca.eigenvalues;
      }
      assert.deepEqual(refits, [1, 2, 4, 8, 16, 26, 36, 46, 56]);
      pca.learnBatch([[1, 2, 3]]);
      assert.notEqual(pca.eigenvalues, snapshot, 'a batch refits');
    });

    it('scores keep their sign across refits of a stream (scikit-learn signs at the end)', () => {
      const next = gaussian(prng(7));
      const pca = new StreamingPCA(schemaOf(4), { components: 3, refitEvery: 25 });
      let before = null;
      for (let i = 0; i < 2000; i++) {
        const z = [next(), next(), next()];
        pca.learnOne([3 * z[0] + z[1], 2 * z[1] - z[0], z[2] + 0.5 * z[0], 0.3 * next()]);
        const now = pca.components;
        if (before && i > 20) {
          now.forEach((v, a) => {
            const cosine = v.reduce((s, x, j) => s + x * before[a][j], 0);
            assert.ok(cosine > 0, `component ${a} flipped at sample ${i + 1} (cos ${cosine})`);
          });
        }
        before = now;
      }
      for (const v of pca.components) {
        const pivot = v.reduce((best, x, j) => (Math.abs(x) > Math.abs(v[best]) ? j : best), 0);
        assert.ok(v[pivot] > 0, 'largest entry positive');
      }
    });

    it('keeps the orientation when two entries tie for largest (d = 2, mirrored data)', () => {
      // Mirrored pairs make the covariance symmetric in the two features: the axes are exactly
      // (1, 1)/√2 and (1, −1)/√2, and which entry of the second is "largest" is rounding.
      const next = gaussian(prng(11));
      const pca = new StreamingPCA(schemaOf(2), { components: 2, refitEvery: 2 });
      let sign = null;
      for (let i = 0; i < 400; i++) {
        const a = next();
        const b = 0.5 * a + next();
        pca.learnOne([a, b]);
        pca.learnOne([b, a]);
        if (pca.samplesSeen < 8) continue;
        const second = pca.components[1];
        const now = Math.sign(second[0]);
        if (sign === null) sign = now;
        assert.equal(now, sign, `second component flipped at sample ${pca.samplesSeen}`);
      }
    });

    it('keeps order and orientation within nearly equal eigenvalues', () => {
      // Each (u, v) also comes rotated by 90°, 180° and 270°: the covariance of features 1 and 2 is
      // then isotropic (equal eigenvalues to rounding), so their eigenvectors are arbitrary in the
      // plane and only the tie rule keeps them from jumping between refits.
      const next = gaussian(prng(5));
      const pca = new StreamingPCA(schemaOf(3), { components: 3, refitEvery: 20 });
      let before = null;
      for (let i = 0; i < 750; i++) {
        const w = 5 * next();
        const u = next();
        const v = 0.3 * next();
        for (const [p, q] of [
          [u, v],
          [-v, u],
          [-u, -v],
          [v, -u],
        ]) {
          pca.learnOne([w, p, q]);
        }
        const now = pca.components;
        const values = pca.eigenvalues;
        if (pca.samplesSeen > 100)
          assert.ok(values[1] - values[2] <= 1e-12 * values[1], 'tied by construction');
        if (before && pca.samplesSeen > 100) {
          for (const a of [1, 2]) {
            const cosine = now[a].reduce((s, x, j) => s + x * before[a][j], 0);
            assert.ok(cosine > 0.5, `tied component ${a} jumped at ${pca.samplesSeen} (cos ${cosine})`);
          }
        }
        before = now;
      }
    });

    it('with a half-life, follows a change of correlation; without, it does not', () => {
      const next = gaussian(prng(9));
      const forgetting = new StreamingPCA(schemaOf(3), { components: 1, halfLife: 200 });
      const remembering = new StreamingPCA(schemaOf(3), { components: 1 });
      const feed = (sign) => {
        for (let i = 0; i < 3000; i++) {
          const z = next();
          const row = [z + 0.1 * next(), sign * z + 0.1 * next(), 0.1 * next()];
          forgetting.learnOne(row);
          remembering.learnOne(row);
        }
      };
      feed(1);
      feed(-1);
      const axis = [Math.SQRT1_2, -Math.SQRT1_2, 0];
      const alignment = (pca) => Math.abs(pca.components[0].reduce((s, x, j) => s + x * axis[j], 0));
      assert.ok(alignment(forgetting) > 0.99, `forgetting model follows: ${alignment(forgetting)}`);
      assert.ok(alignment(remembering) < 0.9, `remembering model mixes both: ${alignment(remembering)}`);
      const decay = decayFactor(200);
      const expected = (1 - Math.pow(decay, 6000)) / (1 - decay);
      assertVectorClose([forgetting.sumWeights], [expected], 1e-9, 'sum of weights');
      // n − 1 becomes W − 1 in explained_variance, and the limits use n = W.
      const json = forgetting.toJSON();
      assert.equal(json.sum_weights, forgetting.sumWeights);
      const variance = json.components[0].reduce(
        (s, pi, i) => s + json.components[0].reduce((t, pj, j) => t + pi * pj * json.comoment[i][j], 0),
        0,
      );
      assertVectorClose(
        [json.explained_variance[0]],
        [variance / (json.sum_weights - 1)],
        1e-9,
        'λ = pᵀCp/(W−1)',
      );
    });

    it('a batch with forgetting learns the same statistics as the same rows one by one', () => {
      const next = gaussian(prng(13));
      const rows = Array.from({ length: 300 }, () => [next(), 2 * next() + 1e6, next() - 3]);
      const one = new RunningCovariance(3, decayFactor(50));
      const batch = new RunningCovariance(3, decayFactor(50));
      rows.slice(0, 100).forEach((row) => one.update(row));
      batch.updateBatch(rows, 0, 100);
      rows.slice(100).forEach((row) => one.update(row));
      batch.updateBatch(rows, 100);
      assertVectorClose([batch.weight], [one.weight], 1e-12, 'weight');
      assertVectorClose(batch.mean, one.mean, 1e-12, 'mean');
      assertVectorClose(batch.comoment, one.comoment, 1e-9, 'comoment');
      assert.equal(batch.count, 300);
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) assert.equal(one.comoment[i * 3 + j], one.comoment[j * 3 + i]);
    });
  });

  describe('small and degenerate data', () => {
    it('d = 1: one component, the sample variance, T² from it, SPE exactly 0', () => {
      const values = [3, 5, 4, 8, 10, 2, 6];
      const pca = new StreamingPCA(schemaOf(1), { components: 1 });
      for (const v of values) pca.learnOne([v]);
      const json = pca.toJSON();
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
      assert.deepEqual(json.components, [[1]]);
      assertVectorClose(json.explained_variance, [variance], 1e-14, 'variance');
      assert.deepEqual(json.explained_variance_ratio, [1]);
      const result = pca.anomaly([20]);
      assertVectorClose([result.t2], [(20 - mean) ** 2 / variance], 1e-14, 't2');
      assert.equal(result.spe, 0);
      assert.ok(Number.isFinite(result.speLimit) && Number.isFinite(result.t2Limit));
      assert.equal(result.anomaly, result.t2 > result.t2Limit);
      assertVectorClose(pca.transform([mean + 1], [0]), [1], 1e-14, 'score');
      assert.throws(
        () => new StreamingPCA(schemaOf(1)),
        /components is 2 but the samples have 1 feature: choose at most 1/,
      );
      const fraction = new StreamingPCA(schemaOf(1), { components: 0.95 });
      fraction.learnBatch([[1], [2]]);
      assert.equal(fraction.nComponents, 1);
    });

    it('a constant feature: zero eigenvalue, finite limits, and a move of that feature is an anomaly', () => {
      const next = gaussian(prng(17));
      const pca = new StreamingPCA(schemaOf(3), { components: 0.99 });
      const rows = Array.from({ length: 500 }, () => {
        const z = next();
        return [z, 2 * z + next(), 5];
      });
      pca.learnBatch(rows);
      assert.equal(pca.eigenvalues[2], 0);
      const keep = pca.nComponents;
      assert.ok(keep === 2, `k = ${keep}`);
      const normal = pca.anomaly(rows[10]);
      for (const key of ['t2', 'spe', 't2Limit', 'speLimit']) assert.ok(Number.isFinite(normal[key]), key);
      assert.equal(normal.anomaly, false);
      const moved = pca.anomaly([rows[10][0], rows[10][1], 5.001]);
      assert.equal(moved.anomaly, true);
      assert.ok(moved.spe > moved.speLimit);
      // Keeping the constant direction too: T² uses a floor, never NaN.
      const all = new StreamingPCA(schemaOf(3), { components: 3 });
      all.learnBatch(rows);
      const full = all.anomaly([0, 0, 5.001]);
      assert.ok(Number.isFinite(full.t2) && full.t2 > full.t2Limit && !Number.isNaN(full.spe));
      const whitened = new StreamingPCA(schemaOf(3), { components: 3, whiten: true });
      whitened.learnBatch(rows);
      assert.equal(whitened.transform([0, 0, 6], new Float64Array(3))[2], 0, 'no variance: whitened score 0');
    });

    it('all features constant: nothing is NaN; the same sample is normal, any move is an anomaly', () => {
      const pca = new StreamingPCA(schemaOf(2), { components: 0.9 });
      pca.learnBatch([
        [1, 2],
        [1, 2],
        [1, 2],
      ]);
      const json = pca.toJSON();
      assert.deepEqual(json.explained_variance_ratio, [0]);
      assert.equal(json.n_components, 1);
      const same = pca.anomaly([1, 2]);
      assert.deepEqual([same.t2, same.spe, same.anomaly], [0, 0, false]);
      const moved = pca.anomaly([1, 2.5]);
      assert.equal(moved.anomaly, true);
      assert.ok(!Number.isNaN(moved.t2) && !Number.isNaN(moved.spe));
    });

    it('one sample: a fit exists, the T² limit waits for more samples than components', () => {
      const pca = new StreamingPCA(schemaOf(3), { components: 2 });
      assert.equal(pca.ready, false);
      assert.throws(() => pca.transform([1, 2, 3], [0, 0]), /learned no sample yet/);
      pca.learnOne([1, 2, 3]);
      assert.equal(pca.ready, true);
      assert.equal(pca.t2Limit, Infinity);
      const result = pca.anomaly([1, 2, 3]);
      assert.equal(result.anomaly, false);
      assert.deepEqual(Array.from(pca.transform([1, 2, 3], [9, 9])), [0, 0]);
    });
  });

  describe('options', () => {
    it('merges over the defaults and rejects invalid values with the setting named', () => {
      const pca = new StreamingPCA(schemaOf(4));
      assert.deepEqual({ ...pca.options }, { ...PCA_DEFAULTS });
      const bad = [
        [{ components: 0 }, /components must be a whole number ≥ 1 or a fraction between 0 and 1 .*got 0$/],
        [{ components: 1.5 }, /components must be/],
        [{ components: -0.5 }, /components must be/],
        [{ components: '2' }, /components must be/],
        [{ components: 5 }, /components is 5 but the samples have 4 features: choose at most 4/],
        [{ whiten: 'yes' }, /whiten must be true or false/],
        [{ refitEvery: 0 }, /refitEvery must be an integer ≥ 1/],
        [{ refitEvery: 2.5 }, /refitEvery must be/],
        [{ halfLife: -1 }, /halfLife must be/],
        [{ confidence: 1 }, /confidence must be between 0 and 1/],
        [{ confidence: 0 }, /confidence must be/],
      ];
      for (const [options, message] of bad) {
        assert.throws(() => new StreamingPCA(schemaOf(4), options), message, JSON.stringify(options));
      }
    });
  });

  describe('model JSON', () => {
    function trained(options = {}) {
      const pca = new StreamingPCA(
        { dimension: 4, features: ['a', 'b', 'c', 'd'] },
        { components: 2, ...options },
      );
      pca.learnBatch(FIXTURES.iris.scaler.Z);
      return pca;
    }

    it('has the documented fields, named like scikit-learn’s attributes', () => {
      const json = trained().toJSON();
      assert.deepEqual(Object.keys(json).sort(), [
        'comoment',
        'components',
        'explained_variance',
        'explained_variance_ratio',
        'features',
        'mean',
        'n_components',
        'n_features_in',
        'n_samples_seen',
        'sum_weights',
        'type',
        'version',
      ]);
      assert.equal(json.type, 'ml-pca');
      assert.equal(json.version, 1);
      assert.deepEqual(json.features, ['a', 'b', 'c', 'd']);
      assert.equal(json.sum_weights, 150);
      assert.equal(json.comoment.length, 4);
    });

    it('toJSON → load → toJSON is identical, transforms identically, and both go on learning alike', () => {
      const next = gaussian(prng(21));
      const original = new StreamingPCA(schemaOf(5), { components: 0.9, halfLife: 300, refitEvery: 7 });
      for (let i = 0; i < 500; i++) {
        const z = next();
        original.learnOne([z, z + next(), next(), 0.5 * z, next() * 3]);
      }
      const json = JSON.parse(JSON.stringify(original));
      const loaded = StreamingPCA.load(json, { components: 0.9, halfLife: 300, refitEvery: 7 });
      assert.equal(JSON.stringify(loaded.toJSON()), JSON.stringify(original.toJSON()));
      const probe = [1, -2, 0.5, 3, 1];
      const a = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
      const b = { ...a };
      assert.deepEqual(
        Array.from(loaded.transform(probe, new Float64Array(json.n_components), a)),
        Array.from(original.transform(probe, new Float64Array(json.n_components), b)),
      );
      assert.deepEqual(a, b);
      for (let i = 0; i < 40; i++) {
        const row = [next(), next(), next(), next(), next()];
        original.learnOne(row);
        loaded.learnOne(row);
      }
      assert.equal(JSON.stringify(loaded.toJSON()), JSON.stringify(original.toJSON()));
    });

    it('an empty model exports and loads', () => {
      const empty = new StreamingPCA(schemaOf(3));
      const json = JSON.parse(JSON.stringify(empty));
      assert.equal(json.n_samples_seen, 0);
      assert.equal(json.n_components, 0);
      const loaded = StreamingPCA.load(json);
      assert.equal(loaded.ready, false);
      loaded.learnOne([1, 2, 3]);
      assert.equal(loaded.samplesSeen, 1);
    });

    it('a model from scikit-learn’s attributes (no sum_weights) loads', () => {
      const json = trained().toJSON();
      delete json.sum_weights;
      const loaded = StreamingPCA.load(json, { components: 2 });
      assert.equal(loaded.sumWeights, 150);
    });

    it('load rejects each malformed field with a ModelError naming it, and a model the settings do not fit', () => {
      const good = () => trained().toJSON();
      const cases = [
        ['not an object', () => null, /a model must be a JSON object/],
        ['array', () => [], /a model must be a JSON object/],
        ['type', (m) => ({ ...m, type: 'ml-kmeans' }), /model type is "ml-kmeans", expected "ml-pca"/],
        ['version', (m) => ({ ...m, version: 2 }), /model version 2 is not supported/],
        [
          'n_features_in',
          (m) => ({ ...m, n_features_in: 0 }),
          /n_features_in must be a whole number from 1 to /,
        ],
        ['features', (m) => ({ ...m, features: ['a', 'b'] }), /lists 2 features but n_features_in is 4/],
        [
          'n_samples_seen',
          (m) => ({ ...m, n_samples_seen: -1 }),
          /n_samples_seen must be a whole number from 0 to /,
        ],
        [
          'n_components missing',
          (m) => ({ ...m, n_components: undefined }),
          /n_components must be a finite number/,
        ],
        [
          'n_components fraction',
          (m) => ({ ...m, n_components: 1.5 }),
          /n_components must be a whole number from 1 to/,
        ],
        [
          'n_components too large',
          (m) => ({ ...m, n_components: 5 }),
          /n_components must be a whole number from 1 to/,
        ],
        ['mean length', (m) => ({ ...m, mean: [0, 0] }), /model mean must be an array of 4 numbers/],
        ['mean value', (m) => ({ ...m, mean: [0, 0, 'x', 0] }), /model mean\[2\] must be a finite number/],
        [
          'components rows',
          (m) => ({ ...m, components: [m.components[0]] }),
          /components must be an array of 2 rows/,
        ],
        [
          'components value',
          (m) => ({ ...m, components: [m.components[0], [0, null, 0, 0]] }),
          /components\[1\]\[1\] must be a finite number/,
        ],
        [
          'components length',
          (m) => ({ ...m, components: [m.components[0], [2, 0, 0, 0]] }),
          /components\[1\] must have unit length/,
        ],
        [
          'components not eigenvectors',
          (m) => ({ ...m, components: [m.components[0], [0, 0, 0, 1]] }),
          /components\[1\] is not the eigenvector of its comoment/,
        ],
        [
          'explained_variance length',
          (m) => ({ ...m, explained_variance: [1] }),
          /explained_variance must be an array of 2 numbers/,
        ],
        [
          'explained_variance negative',
          (m) => ({ ...m, explained_variance: [1, -1] }),
          /explained_variance\[1\] is negative/,
        ],
        [
          'explained_variance wrong',
          (m) => ({ ...m, explained_variance: [m.explained_variance[0], 5] }),
          /explained_variance\[1\] \(5\) does not match its comoment/,
        ],
        [
          'ratio',
          (m) => ({ ...m, explained_variance_ratio: [0.5, 1.5] }),
          /explained_variance_ratio\[1\] must be between 0 and 1/,
        ],
        [
          'sum_weights',
          (m) => ({ ...m, sum_weights: 151 }),
          /sum_weights \(151\) must be > 0 and at most n_samples_seen/,
        ],
        ['sum_weights type', (m) => ({ ...m, sum_weights: 'many' }), /sum_weights must be a finite number/],
        [
          'comoment shape',
          (m) => ({ ...m, comoment: m.comoment.slice(1) }),
          /comoment must be an array of 4 rows of 4 numbers/,
        ],
        [
          'comoment value',
          (m) => ({ ...m, comoment: m.comoment.map((r, i) => (i === 1 ? [r[0], Infinity, r[2], r[3]] : r)) }),
          /comoment\[1\]\[1\] must be a finite number/,
        ],
        [
          'comoment asymmetric',
          (m) => ({ ...m, comoment: m.comoment.map((r, i) => (i === 0 ? [r[0], r[1] + 1, r[2], r[3]] : r)) }),
          /comoment is not symmetric: \[0\]\[1\]/,
        ],
        [
          'comoment diagonal',
          (m) => ({
            ...m,
            comoment: m.comoment.map((r, i) => (i === 2 ? r.map((v, j) => (j === 2 ? -v : v)) : r)),
          }),
          /comoment\[2\]\[2\] is negative/,
        ],
        [
          'comoment impossible',
          (m) => {
            const c = m.comoment.map((r) => [...r]);
            c[0][1] = c[1][0] = 1e6;
            return { ...m, comoment: c };
          },
          /comoment\[0\]\[1\] is larger than a co-moment can be/,
        ],
      ];
      for (const [what, change, message] of cases) {
        const json = change(good());
        assert.throws(
          () => StreamingPCA.load(json, { components: 2 }),
          (err) => {
            assert.ok(err instanceof ModelError, `${what}: ${err}`);
            assert.match(err.message, message, what);
            return true;
          },
        );
      }
      assert.throws(
        () => StreamingPCA.load(good(), { components: 3 }),
        /model has 2 components but the components setting \(3\) gives 3/,
      );
      assert.throws(
        () => StreamingPCA.load(good(), { components: 7 }),
        /does not fit these settings: components is 7/,
      );
      assert.throws(() => StreamingPCA.load(good(), { confidence: 2 }), ModelError);
    });

    it('merge rejects models of different features', () => {
      const a = new StreamingPCA({ dimension: 2, features: ['x', 'y'] }, { components: 1 });
      const b = new StreamingPCA({ dimension: 2, features: ['x', 'z'] }, { components: 1 });
      assert.throws(
        () => StreamingPCA.merge(a, b),
        /cannot merge PCA models of different features \(x, y and x, z\)/,
      );
      const empty = StreamingPCA.merge(
        a,
        new StreamingPCA({ dimension: 2, features: ['x', 'y'] }, { components: 1 }),
      );
      assert.equal(empty.ready, false);
    });
  });
});

describe('lib/pca: transformBatch', () => {
  for (const whiten of [false, true]) {
    it(`equals transform row by row, bit for bit (whiten ${whiten})`, () => {
      const { X } = FIXTURES.wine;
      const pca = new StreamingPCA(schemaOf(X[0].length), { components: 3, whiten });
      pca.learnBatch(X);
      const batch = pca.transformBatch(X, 5, 50);
      assert.ok(batch instanceof RowMatrix);
      assert.equal(batch.length, 45);
      assert.equal(batch.columns, 3);
      for (let i = 0; i < batch.length; i++) {
        assert.deepEqual(batch.row(i), pca.transform(X[5 + i], new Float64Array(3)));
      }
      // A matrix in gives the same bits as rows of arrays.
      const matrix = RowMatrix.from(X, X[0].length);
      assert.deepEqual(pca.transformBatch(matrix, 5, 50).values, batch.values);
    });
  }

  it('learns a RowMatrix as the same rows of arrays, bit for bit, over many chunks', () => {
    const next = gaussian(prng(5));
    const rows = Array.from({ length: 3000 }, () => Array.from({ length: 9 }, next));
    for (const halfLife of [0, 400]) {
      const arrays = new StreamingPCA(schemaOf(9), { components: 2, halfLife });
      const matrix = new StreamingPCA(schemaOf(9), { components: 2, halfLife });
      arrays.learnBatch(rows.slice(0, 100));
      matrix.learnBatch(rows.slice(0, 100));
      arrays.learnBatch(rows, 100, 3000);
      matrix.learnBatch(RowMatrix.from(rows, 9), 100, 3000);
      assert.deepEqual(matrix.toJSON(), arrays.toJSON());
      assert.equal(arrays.samplesSeen, 3000);
    }
  });

  it('before any sample it throws like transform', () => {
    assert.throws(() => new StreamingPCA(schemaOf(2)).transformBatch([[1, 2]]), /learned no sample/);
  });
});
