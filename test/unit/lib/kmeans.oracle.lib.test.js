'use strict';
// ml-kmeans (the mljs package the project was specified with) as an independent oracle for our
// batch Lloyd: from the same initial centres, both reach the same centres and the same labels.
// ml-kmeans stops when no centre moves by more than its tolerance (set to 0 here, so it runs to
// the fixed point); ours with tol = 0 stops when the labels repeat. Both then hold the means of
// the same partition, so the centres agree to rounding: asserted within 1e-12 (absolute, data of
// order 1–1000), labels exactly.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { StreamingKMeans } = dist('lib/kmeans');
const { iris, wine } = require('../../support/fixtures');

const unnamed = (dimension) => ({ dimension, features: null });

/** Seeded normals (LCG + Box–Muller), reproducible. */
function normals(seed) {
  let state = seed >>> 0;
  const uniform = () => ((state = (state * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** n rows of d features around k centres `spread` apart, with unit noise. */
function blobs(n, d, k, spread, seed) {
  const normal = normals(seed);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: d }, (_, f) => ((i % k) * spread * (f % 2 ? 1 : -1)) / Math.sqrt(d) + normal()),
  );
}

const maxAbsDiff = (a, b) => Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i])));

describe('lib/kmeans against ml-kmeans (oracle)', () => {
  let mlKmeans;
  before(async () => {
    // ml-kmeans is an ES module; this package and its tests are CommonJS.
    ({ kmeans: mlKmeans } = await import('ml-kmeans'));
  });

  const cases = [
    ['iris PCA scores, k = 3', () => iris.pca['2'].Y, 3],
    ['wine PCA scores, k = 3', () => wine.pca['2'].Y, 3],
    ['wine PCA scores, k = 5', () => wine.pca['2'].Y, 5],
    ['500 × 6 blobs, k = 4, overlapping', () => blobs(500, 6, 4, 2, 11), 4],
    ['2000 × 16 blobs, k = 3, separated', () => blobs(2000, 16, 3, 8, 5), 3],
  ];
  for (const [name, rows, k] of cases) {
    it(`${name}: same centres (within 1e-12) and labels from the same initial centres`, () => {
      const X = rows();
      // Initial centres: k rows spread over the data (every ⌊n/k⌋-th), the same for both.
      const step = Math.floor(X.length / k);
      const init = Array.from({ length: k }, (_, j) => [...X[j * step]]);
      const oracle = mlKmeans(
        X.map((r) => [...r]),
        k,
        { initialization: init.map((r) => [...r]), tolerance: 0, maxIterations: 1000 },
      );
      const model = new StreamingKMeans(unnamed(X[0].length), { k, init: 'given', centers: init, tol: 0 });
      const result = model.learnBatch(X);
      assert.ok(result.nIter > 1, 'Lloyd moved the centres');
      const diff = maxAbsDiff(model.centers, oracle.centroids);
      assert.ok(diff <= 1e-12, `centres differ by ${diff}`);
      assert.deepEqual(Array.from(result.labels), oracle.clusters);
    });
  }
});
