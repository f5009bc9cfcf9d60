'use strict';
// The incremental refit of a wide streaming PCA (lib/pca/subspace): its components, variances and
// limits against an exact refit of the same statistics, the exact export, and degenerate data.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { prng, gaussian } = require('../../support/random');

const { StreamingPCA, INCREMENTAL_FROM, contributions, contributionLimits, topFeature } = dist('lib/pca');

/**
 * Agreement with the exact refit, relative: kept eigenvalues, both limits, T² and SPE of a sample,
 * and 1 − cos between each incremental component and the exact one (same sign). The refit stops
 * at a residual of 1e-10 of the largest eigenvalue; on these streams the kept eigenvalues are well
 * separated, so what is left is rounding (about 1e-14 is measured).
 */
const TOLERANCE = 1e-9;

const schemaOf = (d) => ({ dimension: d, features: null });

/** Rows of d correlated sensors driven by three latent factors of decreasing strength, plus noise. */
function sensors(d, seed) {
  const next = gaussian(prng(seed));
  const loadings = Array.from({ length: d }, () => [next(), next(), next()]);
  return () => {
    const z = [3 * next(), 2 * next(), next()];
    return loadings.map((l) => l[0] * z[0] + l[1] * z[1] + l[2] * z[2] + 0.3 * next());
  };
}

/** An exact refit of `pca`'s statistics, oriented like it, leaving `pca` untouched. */
function exactOf(pca) {
  return StreamingPCA.merge(pca, new StreamingPCA(pca.schema, pca.options));
}

function relative(actual, expected) {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), Number.MIN_VALUE);
}

function assertAgrees(pca, exact, probe, where) {
  assert.equal(pca.nComponents, exact.nComponents, `${where}: components kept`);
  const k = pca.nComponents;
  for (let a = 0; a < k; a++) {
    const mine = pca.explainedVariance[a];
    const theirs = exact.explainedVariance[a];
    assert.ok(relative(mine, theirs) <= TOLERANCE, `${where}: λ${a} ${mine} vs exact ${theirs}`);
    const cosine = pca.components[a].reduce((s, x, j) => s + x * exact.components[a][j], 0);
    assert.ok(1 - cosine <= TOLERANCE, `${where}: component ${a} cos ${cosine} with the exact one`);
  }
  assert.equal(pca.t2Limit, exact.t2Limit, `${where}: T² limit`);
  assert.ok(
    relative(pca.speLimit, exact.speLimit) <= TOLERANCE,
    `${where}: SPE limit ${pca.speLimit} vs ${exact.speLimit}`,
  );
  const mine = pca.anomaly(probe);
  const theirs = exact.anomaly(probe);
  assert.ok(relative(mine.t2, theirs.t2) <= TOLERANCE, `${where}: T² ${mine.t2} vs ${theirs.t2}`);
  assert.ok(relative(mine.spe, theirs.spe) <= TOLERANCE, `${where}: SPE ${mine.spe} vs ${theirs.spe}`);
}

function assertFinite(pca, probe, where) {
  const values = [
    ...pca.eigenvalues,
    ...pca.explainedVariance,
    ...pca.explainedVarianceRatio,
    ...pca.components.flatMap((v) => Array.from(v)),
    pca.speLimit,
  ];
  for (const v of values) assert.ok(Number.isFinite(v), `${where}: ${v} in the fit`);
  assert.ok(!Number.isNaN(pca.t2Limit), `${where}: T² limit NaN`);
  for (const v of pca.components) {
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-9, `${where}: component of length ${norm}`);
  }
  const scores = pca.transform(probe, new Float64Array(pca.nComponents), {});
  const anomaly = pca.anomaly(probe);
  for (const v of [...scores, anomaly.t2, anomaly.spe]) {
    assert.ok(Number.isFinite(v), `${where}: score ${v}`);
  }
}

describe('lib/pca: incremental refits of a wide stream', () => {
  it(`applies from ${INCREMENTAL_FROM} features; below, every scheduled refit is exact`, () => {
    const narrow = new StreamingPCA(schemaOf(INCREMENTAL_FROM - 1), { refitEvery: 50 });
    const wide = new StreamingPCA(schemaOf(INCREMENTAL_FROM), { refitEvery: 50 });
    const narrowRow = sensors(INCREMENTAL_FROM - 1, 1);
    const wideRow = sensors(INCREMENTAL_FROM, 1);
    for (let i = 0; i < 300; i++) {
      narrow.learnOne(narrowRow());
      assert.equal(narrow.exact, true);
      wide.learnOne(wideRow());
    }
    assert.equal(wide.exact, false, 'the wide stream refits incrementally');
  });

  for (const [d, components] of [
    [64, 2],
    [128, 2],
    [64, 0.9],
    [48, 3],
  ]) {
    it(`d = ${d}, components ${components}: every refit agrees with the exact one within ${TOLERANCE}`, () => {
      const next = sensors(d, d + 7);
      const pca = new StreamingPCA(schemaOf(d), { components, refitEvery: 250 });
      let snapshot = null;
      let incremental = 0;
      for (let i = 0; i < 3000; i++) {
        pca.learnOne(next());
        if (pca.eigenvalues === snapshot) continue;
        snapshot = pca.eigenvalues;
        if (pca.exact || pca.samplesSeen < 2 * d) continue;
        incremental += 1;
        assertAgrees(pca, exactOf(pca), next(), `sample ${pca.samplesSeen}`);
      }
      assert.ok(incremental >= 10, `${incremental} incremental refits checked`);
    });
  }

  it('an export after incremental refits is the exact fit: it equals a batch of the same rows', () => {
    const d = 64;
    const next = sensors(d, 3);
    const rows = Array.from({ length: 2500 }, next);
    const stream = new StreamingPCA(schemaOf(d), { components: 3, refitEvery: 200 });
    for (const row of rows) stream.learnOne(row);
    assert.equal(stream.exact, false);
    const exported = stream.toJSON();
    assert.equal(stream.exact, true, 'the export refits exactly');
    const batch = new StreamingPCA(schemaOf(d), { components: 3 });
    batch.learnBatch(rows);
    const reference = batch.toJSON();
    assert.equal(exported.n_components, reference.n_components);
    exported.explained_variance.forEach((v, a) =>
      assert.ok(relative(v, reference.explained_variance[a]) <= 1e-9, `explained_variance[${a}]`),
    );
    exported.components.forEach((v, a) => {
      const cosine = v.reduce((s, x, j) => s + x * reference.components[a][j], 0);
      assert.ok(1 - cosine <= 1e-9, `component ${a}: cos ${cosine} (same sign as the batch's)`);
    });
  });

  it('a fraction that needs more components than are tracked falls back to the exact refit', () => {
    // The first 2000 rows have three strong factors; then the noise grows, so 0.9 of the variance
    // needs far more components than the tracked block: that refit is exact, k follows.
    const d = 40;
    const next = sensors(d, 21);
    const noise = gaussian(prng(22));
    const pca = new StreamingPCA(schemaOf(d), { components: 0.9, refitEvery: 200 });
    for (let i = 0; i < 2000; i++) pca.learnOne(next());
    assert.equal(pca.exact, false);
    const before = pca.nComponents;
    for (let i = 0; i < 4000; i++) pca.learnOne(next().map((x) => x + 6 * noise()));
    const exact = exactOf(pca);
    assert.ok(pca.nComponents > before + 8, `${before} → ${pca.nComponents} components`);
    assert.equal(pca.nComponents, exact.nComponents);
    assert.equal(pca.exact, true, 'the refit that needed more components was exact');
  });
});

describe('lib/pca: incremental refits on degenerate data are never NaN', () => {
  const d = 40;
  const cases = {
    'every feature constant': () => () => Array(d).fill(7),
    'all zeros': () => () => Array(d).fill(0),
    'one feature varies': (next) => () => Array.from({ length: d }, (_, j) => (j === 5 ? next() : 1)),
    'all features equal (rank one)': (next) => () => Array(d).fill(next()),
    'two features, each copied twenty times': (next) => () => {
      const a = next();
      const b = next();
      return Array.from({ length: d }, (_, j) => (j % 2 ? a : b));
    },
    'tiny values (1e-150)': (next) => () => Array.from({ length: d }, () => 1e-150 * next()),
    'huge values (1e29)': (next) => () => Array.from({ length: d }, () => 1e29 * next()),
    'isotropic noise (no gap after the kept components)': (next) => () => Array.from({ length: d }, next),
  };
  for (const [name, make] of Object.entries(cases)) {
    for (const components of [2, 0.95]) {
      it(`${name}, components ${components}`, () => {
        const row = make(gaussian(prng(99)));
        const pca = new StreamingPCA(schemaOf(d), { components, refitEvery: 16 });
        for (let i = 0; i < 400; i++) {
          pca.learnOne(row());
          assertFinite(pca, row(), `sample ${i + 1}`);
        }
        const exact = exactOf(pca);
        assert.equal(pca.nComponents, exact.nComponents, 'components kept');
        for (let a = 0; a < pca.nComponents; a++) {
          const scale = Math.max(exact.explainedVariance[0], Number.MIN_VALUE);
          assert.ok(
            Math.abs(pca.explainedVariance[a] - exact.explainedVariance[a]) <= 1e-6 * scale,
            `λ${a}: ${pca.explainedVariance[a]} vs exact ${exact.explainedVariance[a]}`,
          );
        }
      });
    }
  }
});

describe('lib/pca: explanations of a wide stream between exact refits', () => {
  // An incremental fit knows only the leading eigenvectors; the contributions, their limits and
  // the feature to blame take the residual space from the complement of the kept components.
  const d = 48;
  it(`d = ${d}: contributions add up, and limits and top equal those of the exact fit`, () => {
    const row = sensors(d, 5);
    const pca = new StreamingPCA(schemaOf(d), { components: 3, refitEvery: 500 });
    for (let i = 0; i < 2000; i++) pca.learnOne(row());
    // Up to the next refit, so that the fit describes every sample learned, as the exact one does.
    const before = pca.basis;
    for (let i = 0; i < 500 && pca.basis === before; i++) pca.learnOne(row());
    assert.notEqual(pca.basis, before, 'a scheduled refit happened');
    assert.equal(pca.exact, false, 'the last scheduled refit was incremental');
    const exact = exactOf(pca);
    const mine = contributionLimits(pca);
    const theirs = contributionLimits(exact);
    for (let j = 0; j < d; j++) {
      assert.ok(relative(mine.t2[j], theirs.t2[j]) <= 1e-9, `T² limit of feature ${j}`);
      assert.ok(relative(mine.spe[j], theirs.spe[j]) <= 1e-6, `SPE limit of feature ${j}`);
    }
    const faulty = row();
    faulty[7] += 40;
    const anomaly = pca.anomaly(faulty);
    assert.ok(anomaly.spe > anomaly.speLimit, 'the fault is flagged');
    const parts = contributions(pca, faulty);
    const total = (values) => Array.from(values).reduce((s, v) => s + v, 0);
    assert.ok(relative(total(parts.spe), anomaly.spe) <= 1e-9, 'SPE contributions add up');
    assert.ok(relative(total(parts.t2), anomaly.t2) <= 1e-9, 'T² contributions add up');
    assert.equal(topFeature(pca, faulty, anomaly), 7);
    assert.equal(topFeature(exact, faulty, exact.anomaly(faulty)), 7);
  });
});
