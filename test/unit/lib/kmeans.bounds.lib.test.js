'use strict';
// Batch Lloyd skips the rows that Hamerly's bounds keep in their cluster, and reads a RowMatrix in
// place. Neither may change a result: on data full of exact ties (integer grids with repeated rows,
// where bounds meet distances exactly) every fit must end with each row in its nearest centre's
// cluster, ties to the lowest index, as a full comparison puts it, and each centre at the mean of
// its rows; and a RowMatrix must give bit for bit what the same rows as arrays give.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { StreamingKMeans } = dist('lib/kmeans');
const { RowMatrix } = dist('lib/matrix');
const { prng, gaussian } = require('../../support/random');

const unnamed = (dimension) => ({ dimension, features: null });

/** n rows of d small integers (many repeated rows, many rows equidistant from two centres). */
function grid(n, d, seed) {
  const uniform = prng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => Math.floor(uniform() * 5)));
}

/** n rows of d features around 4 centres with unit noise. */
function blobs(n, d, seed) {
  const uniform = prng(seed);
  const normal = gaussian(uniform);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: d }, (_, f) => 6 * ((i + f) % 4) + normal()),
  );
}

/** Nearest centre of each row by comparing every centre, ties to the lowest index. */
function nearest(rows, centers) {
  return rows.map((row) => {
    let best = 0;
    let bestDistance = Infinity;
    centers.forEach((centre, j) => {
      const distance = centre.reduce((sum, c, f) => sum + (row[f] - c) ** 2, 0);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = j;
      }
    });
    return best;
  });
}

describe('lib/kmeans batch Lloyd with bounds', () => {
  const cases = [];
  for (const [d, k] of [
    [1, 2],
    [2, 3],
    [2, 6],
    [3, 4],
    [5, 8],
  ]) {
    for (const seed of [1, 2, 3]) cases.push({ d, k, seed });
  }

  for (const { d, k, seed } of cases) {
    // With a half-life the rows weigh 2^(-age/halfLife): the centres are then weighted means.
    const halfLife = seed === 3 ? 300 : 0;
    it(`ties on an integer grid (d = ${d}, k = ${k}, seed ${seed}, halfLife ${halfLife}): every row in its nearest centre's cluster, centres at their means`, () => {
      const n = 2000;
      const rows = grid(n, d, seed);
      // tol = 0: Lloyd runs until the labels repeat, so the centres are the means of the final labels.
      const options = { k, restarts: 3, seed, tol: 0, warmupSamples: k, halfLife };
      const model = new StreamingKMeans(unnamed(d), options);
      model.learnBatch(rows);
      const json = model.toJSON();
      const labels = nearest(rows, json.cluster_centers);
      const counts = new Array(k).fill(0);
      const weights = new Array(k).fill(0);
      const sums = Array.from({ length: k }, () => new Array(d).fill(0));
      rows.forEach((row, i) => {
        const w = halfLife ? Math.pow(2, -(n - 1 - i) / halfLife) : 1;
        counts[labels[i]] += 1;
        weights[labels[i]] += w;
        row.forEach((v, f) => (sums[labels[i]][f] += w * v));
      });
      assert.deepEqual(json.counts, counts);
      json.cluster_centers.forEach((centre, j) => {
        if (counts[j] === 0) return;
        centre.forEach((c, f) =>
          assert.ok(Math.abs(c - sums[j][f] / weights[j]) <= 1e-12, `centre ${j}[${f}]`),
        );
      });
    });
  }

  for (const [d, halfLife] of [
    [2, 0],
    [6, 0],
    [3, 500],
  ]) {
    it(`a RowMatrix gives bit for bit what rows of arrays give (d = ${d}, halfLife ${halfLife}), fit and learning after it`, () => {
      const rows = blobs(3000, d, 7 + d);
      const matrix = RowMatrix.from(rows, d);
      const before = Float64Array.from(matrix.values);
      const options = { k: 4, restarts: 4, seed: 5, halfLife, learnOnlyNormal: halfLife > 0 };
      const fromArrays = new StreamingKMeans(unnamed(d), options);
      const fromMatrix = new StreamingKMeans(unnamed(d), options);
      for (const [start, end] of [
        [0, 1000],
        [1000, 3000],
      ]) {
        const a = fromArrays.learnBatch(rows, start, end);
        const b = fromMatrix.learnBatch(matrix, start, end);
        assert.deepEqual(Array.from(b.labels), Array.from(a.labels));
        assert.deepEqual(Array.from(b.distanceMatrix), Array.from(a.distanceMatrix));
        assert.equal(b.inertia, a.inertia);
      }
      assert.deepEqual(fromMatrix.toJSON(), fromArrays.toJSON());
      assert.deepEqual(matrix.values, before, 'the caller’s matrix is not written to');
      const t = fromMatrix.transformBatch(matrix, 10, 20);
      assert.deepEqual(Array.from(t.labels), Array.from(fromArrays.transformBatch(rows, 10, 20).labels));
    });
  }
});
