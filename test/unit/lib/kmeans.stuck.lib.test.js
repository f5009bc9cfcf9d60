'use strict';
// k-means stops as soon as nothing can move: identical warm-up rows (a stuck sensor) are fitted
// without Lloyd, and warm-up rows with no more distinct values than clusters by the first
// k-means++ restart, the other restarts not run (the result is the one all of them give).
const assert = require('node:assert/strict');
const dist = require('../../support/dist');

const lloydModule = dist('lib/kmeans/lloyd');
const { StreamingKMeans } = dist('lib/kmeans');

/** Runs `work` counting the Lloyd runs (one per restart) it makes. */
function countingLloyd(work) {
  const original = lloydModule.lloyd;
  let runs = 0;
  lloydModule.lloyd = function (...args) {
    runs += 1;
    return original.apply(this, args);
  };
  try {
    const result = work();
    return { result, runs };
  } finally {
    lloydModule.lloyd = original;
  }
}

const unnamed = (dimension) => ({ dimension, features: null });

function warmedUp(rows, restarts = 10) {
  const model = new StreamingKMeans(unnamed(rows[0].length), {
    k: 3,
    restarts,
    seed: 42,
    warmupSamples: rows.length,
  });
  for (const row of rows) model.learnOne(row);
  return model;
}

describe('k-means: restarts stop when nothing can move', () => {
  for (const [label, row] of [
    ['exact in binary', Array.from({ length: 16 }, (_, j) => j + 0.5)],
    // A mean of copies of 20.1 is not always 20.1: Lloyd alone would relocate empty clusters back
    // and forth until maxIter.
    ['not exact in binary', Array.from({ length: 16 }, (_, j) => 20 + j / 10)],
  ]) {
    it(`identical warm-up rows (a stuck sensor, ${label}) run no Lloyd at all: every centre on the row`, () => {
      const rows = Array.from({ length: 30 }, () => row);
      const { result: model, runs } = countingLloyd(() => warmedUp(rows));
      assert.equal(runs, 0);
      assert.ok(model.ready);
      const json = model.toJSON();
      for (const centre of json.cluster_centers) assert.deepEqual(centre, row);
      // The next sample that differs is clustered and learned as usual.
      const other = row.map((v) => v + 1);
      assert.equal(model.learnOne(other) >= 0, true);
    });
  }

  it('three distinct values for three clusters: one restart, one centre on each', () => {
    const values = [
      [0, 0],
      [5, 5],
      [9, 1],
    ];
    const rows = Array.from({ length: 30 }, (_, i) => values[i % 3]);
    const { result: model, runs } = countingLloyd(() => warmedUp(rows));
    // k-means++ draws in proportion to the squared distance, so it never picks a value twice.
    assert.equal(runs, 1);
    const centres = model.toJSON().cluster_centers.map((c) => c.join(','));
    assert.deepEqual([...centres].sort(), values.map((v) => v.join(',')).sort());
  });

  it('spread rows still run every restart (the stop is only for a perfect fit)', () => {
    let state = 7;
    const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const rows = Array.from({ length: 60 }, () => [random() * 10, random() * 10]);
    const { runs } = countingLloyd(() => warmedUp(rows));
    assert.equal(runs, 10);
  });
});
