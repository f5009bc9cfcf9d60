'use strict';
// k-means outlier score (lib/kmeans): each cluster's spread (weighted mean squared member
// distance), the score distance / RMS spread, learn-only-normal with relearnAfter, and the
// optional cluster_spreads field of the model JSON.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { StreamingKMeans } = dist('lib/kmeans');
const { ModelError } = dist('lib/errors');

const unnamed = (dimension) => ({ dimension, features: null });

/** Seeded, reproducible near-normals: the sum of 12 uniforms (LCG) minus 6 (mean 0, variance 1). */
function normals(seed) {
  let state = seed >>> 0;
  const uniform = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return () => Array.from({ length: 12 }, uniform).reduce((s, u) => s + u, -6);
}

/** n 2-D samples alternating between clusters at (0, 0) and (10, 10), noise σ. */
function twoModes(n, sigma = 1, seed = 3) {
  const normal = normals(seed);
  return Array.from({ length: n }, (_, i) => {
    const c = (i % 2) * 10;
    return [c + sigma * normal(), c + sigma * normal()];
  });
}

const squared = (a, b) => a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0);
const given = (extra = {}) => ({
  k: 2,
  init: 'given',
  centers: [
    [0, 0],
    [10, 10],
  ],
  ...extra,
});

/** The outlier score of `x` under `model`, as the node computes it. */
function score(model, x) {
  const distances = new Array(model.k);
  const j = model.transform(x, distances);
  return model.outlierScore(j, distances[j]);
}

describe('lib/kmeans outlier score', () => {
  it('a batch fit keeps each cluster’s mean squared member distance (within 1e-12)', () => {
    const X = twoModes(400);
    const model = new StreamingKMeans(unnamed(2), given());
    const { labels } = model.learnBatch(X);
    const { cluster_spreads: spreads, cluster_centers: centres } = model.toJSON();
    for (let j = 0; j < 2; j++) {
      const members = X.filter((_, i) => labels[i] === j);
      const expected = members.reduce((s, x) => s + squared(x, centres[j]), 0) / members.length;
      assert.ok(
        Math.abs(spreads[j] - expected) <= 1e-12 * expected,
        `cluster ${j}: ${spreads[j]} vs ${expected}`,
      );
    }
  });

  it('members score about 1 (RMS); 3 flags under 1 % of them; a new mode scores far above 3', () => {
    const model = new StreamingKMeans(unnamed(2), given());
    for (const x of twoModes(4000)) model.learnOne(x);
    const fresh = twoModes(2000, 1, 99).map((x) => score(model, x));
    const rms = Math.sqrt(fresh.reduce((s, v) => s + v * v, 0) / fresh.length);
    assert.ok(Math.abs(rms - 1) < 0.05, `RMS score of members ${rms}`);
    const flagged = fresh.filter((v) => v > model.options.outlierLimit).length / fresh.length;
    assert.ok(flagged < 0.01, `false alarms ${flagged}`);
    // A new operating mode at (5, 20): nearest centre 11 away, ~8 cluster radii.
    assert.ok(score(model, [5, 20]) > 5, `new mode scores ${score(model, [5, 20])}`);
  });

  it('is null while a cluster has no spread yet (given centres, nothing learned)', () => {
    const model = new StreamingKMeans(unnamed(2), given());
    assert.equal(score(model, [1, 1]), null);
    model.learnOne([1, 1]);
    assert.equal(model.toJSON().cluster_spreads[0], 2, 'the first member sets the spread');
    assert.equal(score(model, [model.centers[0][0], model.centers[0][1]]), 0);
    assert.equal(score(model, [20, 20]), null, 'cluster 1 has no member yet');
  });

  it('with forgetting the spread follows a cluster that widens', () => {
    const model = new StreamingKMeans(unnamed(2), given({ halfLife: 200 }));
    for (const x of twoModes(2000, 1, 4)) model.learnOne(x);
    const before = model.toJSON().cluster_spreads[0];
    for (const x of twoModes(4000, 3, 5)) model.learnOne(x);
    const after = model.toJSON().cluster_spreads[0];
    assert.ok(Math.abs(before - 2) < 0.4, `σ = 1 in 2-D: spread ${before} ≈ 2`);
    assert.ok(Math.abs(after - 18) < 4, `σ = 3 in 2-D: spread ${after} ≈ 18`);
  });

  it('learnOnlyNormal: an outlier burst is scored but not learned (the model JSON is unchanged)', () => {
    const model = new StreamingKMeans(unnamed(2), given({ learnOnlyNormal: true }));
    for (const x of twoModes(1000)) model.learnOne(x);
    const before = JSON.stringify(model.toJSON());
    const burst = twoModes(200, 1, 8).map(([a, b]) => [a + 40, b - 40]);
    for (const x of burst) assert.equal(model.learnOne(x), -1);
    assert.ok(score(model, burst[0]) > 3);
    assert.equal(JSON.stringify(model.toJSON()), before);
    assert.equal(model.outlierRun, 200);
    // The same in one batch.
    assert.ok(model.learnBatch(burst).distances.length === 200);
    assert.equal(JSON.stringify(model.toJSON()), before);
    // Normal samples are learned again.
    model.learnOne([0.1, 0.2]);
    assert.equal(model.samplesSeen, 1001);
    assert.equal(model.outlierRun, 0);
  });

  it('without learnOnlyNormal the same burst moves the model', () => {
    const model = new StreamingKMeans(unnamed(2), given());
    for (const x of twoModes(1000)) model.learnOne(x);
    const before = model.centers;
    for (const x of twoModes(200, 1, 8).map(([a, b]) => [a + 40, b - 40])) model.learnOne(x);
    assert.notDeepEqual(model.centers, before);
  });

  it('relearnAfter: after that many outliers in a row the model learns them again', () => {
    const model = new StreamingKMeans(unnamed(2), given({ learnOnlyNormal: true, relearnAfter: 50 }));
    for (const x of twoModes(1000)) model.learnOne(x);
    const burst = twoModes(300, 1, 8).map(([a, b]) => [a + 40, b - 40]);
    const learned = burst.map((x) => model.learnOne(x) >= 0);
    assert.deepEqual(learned.slice(0, 49), new Array(49).fill(false), 'the first 49 are skipped');
    assert.equal(learned[49], true, 'the 50th is learned');
    assert.ok(model.samplesSeen > 1000);
    const nearest = Math.min(...model.centers.map((c) => squared(c, [40, -40])));
    assert.ok(nearest < squared([10, 10], [40, -40]), 'a centre moved toward the new mode');
  });

  it('cluster_spreads is optional: an older model loads and learns its spreads afresh', () => {
    const model = new StreamingKMeans(unnamed(2), given());
    for (const x of twoModes(500)) model.learnOne(x);
    const json = model.toJSON();
    delete json.cluster_spreads;
    const old = StreamingKMeans.load(json);
    assert.equal(score(old, [0, 0]), null);
    old.learnOne([0.5, 0.5]);
    assert.equal(typeof score(old, [0, 0]), 'number');
    const restored = StreamingKMeans.load(model.toJSON());
    assert.deepEqual(restored.toJSON(), model.toJSON());
  });

  for (const [what, spreads, message] of [
    ['a negative spread', [1, -1], /cluster_spreads\[1\] must be a finite number ≥ 0/],
    ['too few spreads', [1], /cluster_spreads must be null or an array of 2 numbers/],
    ['a string', [1, '2'], /cluster_spreads\[1\]/],
  ]) {
    it(`a model with ${what} in cluster_spreads is a ModelError`, () => {
      const model = new StreamingKMeans(unnamed(2), given());
      model.learnOne([1, 1]);
      const json = { ...model.toJSON(), cluster_spreads: spreads };
      assert.throws(
        () => StreamingKMeans.load(json),
        (err) => err instanceof ModelError && message.test(err.message),
      );
    });
  }

  it('merging pools the spreads about the merged centre, weighted by the clusters’ weights', () => {
    // k-means++ models: every unit of a cluster's weight is a member (given centres start at 1).
    const a = new StreamingKMeans(unnamed(2), { k: 2, warmupSamples: 20 });
    const b = new StreamingKMeans(unnamed(2), { k: 2, warmupSamples: 20, seed: 5 });
    twoModes(600, 1, 21).forEach((x) => a.learnOne(x));
    twoModes(300, 2, 22).forEach((x) => b.learnOne(x));
    const [ja, jb, jm] = [a.toJSON(), b.toJSON(), StreamingKMeans.merge(a, b).toJSON()];
    const match = jb.cluster_centers.map((_, j) =>
      squared(jb.cluster_centers[j], ja.cluster_centers[0]) < 50 ? 0 : 1,
    );
    for (let j = 0; j < 2; j++) {
      const m = match.indexOf(j);
      const [wa, wb] = [ja.cluster_weights[j], jb.cluster_weights[m]];
      const c = jm.cluster_centers[j];
      const expected =
        (wa * (ja.cluster_spreads[j] + squared(ja.cluster_centers[j], c)) +
          wb * (jb.cluster_spreads[m] + squared(jb.cluster_centers[m], c))) /
        (wa + wb);
      assert.ok(Math.abs(jm.cluster_spreads[j] - expected) <= 1e-12 * expected);
    }
  });

  for (const [options, message] of [
    [{ outlierLimit: 0 }, /outlierLimit must be a finite number > 0/],
    [{ learnOnlyNormal: 'yes' }, /learnOnlyNormal must be true or false/],
    [{ relearnAfter: -1 }, /relearnAfter must be an integer ≥ 0/],
  ]) {
    it(`rejects ${JSON.stringify(options)}`, () => {
      assert.throws(
        () => new StreamingKMeans(unnamed(2), options),
        (err) => err instanceof RangeError && message.test(err.message),
      );
    });
  }
});
