'use strict';
// Streaming k-means (lib/kmeans): scikit-learn parity, k-means++ restarts, drift with forgetting,
// stable indices, re-seeding, degenerate data, model JSON validation and round trips.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { StreamingKMeans, STARVING_FRACTION } = dist('lib/kmeans');
const { minimumCostAssignment } = dist('lib/kmeans');
const { ModelError } = dist('lib/errors');

const iris = require('../../fixtures/iris.json');
const wine = require('../../fixtures/wine.json');

const unnamed = (dimension) => ({ dimension, features: null });

/** Seeded uniform generator (mulberry32) with Box–Muller normals, for reproducible streams. */
function generator(seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

const distance = (a, b) => Math.hypot(...a.map((v, j) => v - b[j]));
const maxAbsDiff = (a, b) => Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i])));

describe('lib/kmeans', () => {
  describe('scikit-learn parity from given centres (kmeans.fixed)', () => {
    for (const [name, data] of [
      ['iris', iris],
      ['wine', wine],
    ]) {
      it(`${name}: centres, labels, distances within 1e-9, inertia and n_iter`, () => {
        const ref = data.kmeans.fixed;
        const X = data.pca['2'].Y;
        const model = new StreamingKMeans(unnamed(2), { k: 3, init: 'given', centers: ref.init });
        const result = model.learnBatch(X);
        assert.ok(maxAbsDiff(model.centers, ref.cluster_centers) < 1e-9);
        assert.deepEqual(Array.from(result.labels), ref.labels);
        assert.ok(
          maxAbsDiff(
            result.distances.map((row) => Array.from(row)),
            ref.distances,
          ) < 1e-9,
        );
        assert.ok(Math.abs(result.inertia - ref.inertia) < 1e-9 * ref.inertia);
        assert.equal(result.nIter, ref.n_iter);
        assert.equal(model.samplesSeen, X.length);
        assert.deepEqual(
          model.counts,
          [0, 1, 2].map((j) => ref.labels.filter((l) => l === j).length),
        );
      });
    }
  });

  describe('k-means++ with restarts', () => {
    for (const [name, data] of [
      ['iris', iris],
      ['wine', wine],
    ]) {
      it(`${name}: best of 10 restarts is within 0.5% of scikit-learn's best of 10`, () => {
        const X = data.pca['2'].Y;
        const model = new StreamingKMeans(unnamed(2), { k: 3, restarts: 10, warmupSamples: X.length });
        const { inertia } = model.learnBatch(X);
        const reference = data.kmeans.kmeanspp_best_of_10.inertia;
        console.log(`      ${name}: inertia ${inertia.toFixed(6)} vs reference ${reference.toFixed(6)}`);
        assert.ok(inertia <= reference * 1.005, `${inertia} vs ${reference}`);
      });
    }

    it('is reproducible: the same seed gives the same centres, streamed or batched', () => {
      const X = iris.pca['2'].Y;
      const batched = new StreamingKMeans(unnamed(2), { k: 3, seed: 7, warmupSamples: X.length });
      batched.learnBatch(X);
      const streamed = new StreamingKMeans(unnamed(2), { k: 3, seed: 7, warmupSamples: X.length });
      X.forEach((row) => streamed.learnOne(row));
      assert.deepEqual(streamed.centers, batched.centers);
      assert.equal(streamed.ready, true);
    });

    it('labels do not permute across restart counts: runs reaching the same optimum agree', () => {
      const X = iris.pca['2'].Y;
      const byInertia = new Map();
      for (let restarts = 1; restarts <= 10; restarts++) {
        const model = new StreamingKMeans(unnamed(2), { k: 3, restarts, warmupSamples: X.length });
        const result = model.learnBatch(X);
        const key = result.inertia.toFixed(9);
        if (!byInertia.has(key)) byInertia.set(key, Array.from(result.labels));
        else assert.deepEqual(Array.from(result.labels), byInertia.get(key), `restarts = ${restarts}`);
      }
      assert.ok(byInertia.size < 10, 'several restart counts reach the same optimum');
    });
  });

  describe('streaming', () => {
    /**
     * Three blobs (σ = 0.5) sliding together by (0.001, 0.0005) per sample; returns the worst
     * distance between a centre and its blob's true position at the end.
     */
    function driftError(halfLife) {
      const random = generator(1234);
      const start = [
        [0, 0],
        [10, 0],
        [0, 10],
      ];
      const velocity = [0.001, 0.0005];
      const model = new StreamingKMeans(unnamed(2), { k: 3, halfLife, warmupSamples: 30 });
      const x = new Float64Array(2);
      const out = new Float64Array(3);
      const steps = 30000;
      for (let t = 0; t < steps; t++) {
        const blob = Math.floor(random.uniform() * 3);
        x[0] = start[blob][0] + velocity[0] * t + 0.5 * random.normal();
        x[1] = start[blob][1] + velocity[1] * t + 0.5 * random.normal();
        model.learnOne(x);
        if (model.ready) model.transform(x, out);
        // Number the clusters after the blobs once, at initialisation; they must then stay put.
        if (t === 29) model.alignTo(start);
      }
      const truth = start.map(([a, b]) => [a + velocity[0] * (steps - 1), b + velocity[1] * (steps - 1)]);
      return Math.max(...model.centers.map((c, j) => distance(c, truth[j])));
    }

    it('with halfLife the centres follow a drift; without it they lag', () => {
      const following = driftError(300);
      const lagging = driftError(0);
      console.log(
        `      drift error: halfLife 300 → ${following.toFixed(3)}, no forgetting → ${lagging.toFixed(3)}`,
      );
      // Expected lag with forgetting ≈ speed × mean age = 0.00112 × 300 / ln 2 ≈ 0.48.
      assert.ok(following < 1, `with forgetting the error is ${following}`);
      assert.ok(lagging > 5, `without forgetting the error is ${lagging}`);
    });

    it('moves the nearest centre as a running mean (exact mean without forgetting)', () => {
      const model = new StreamingKMeans(unnamed(1), {
        k: 2,
        init: 'given',
        centers: [[0], [100]],
      });
      for (const v of [1, 2, 3, 98]) model.learnOne([v]);
      // A given centre counts as one sample at its place.
      assert.deepEqual(model.centers, [[(0 + 1 + 2 + 3) / 4], [(100 + 98) / 2]]);
      assert.deepEqual(model.counts, [3, 1]);
      assert.deepEqual(model.weights, [4, 2]);
    });

    it('forgets with halfLife: every weight halves every halfLife samples', () => {
      const model = new StreamingKMeans(unnamed(1), {
        k: 2,
        init: 'given',
        centers: [[0], [100]],
        halfLife: 2,
      });
      model.learnOne([0]);
      model.learnOne([0]);
      // weights: [1·½ + ... ] — centre 0: (1·2^-½ + 1)·2^-½ + 1, centre 1: 1·2^-1
      const h = Math.SQRT1_2;
      assert.ok(Math.abs(model.weights[0] - ((h + 1) * h + 1)) < 1e-12);
      assert.ok(Math.abs(model.weights[1] - 0.5) < 1e-12);
    });

    it('buffers copies during warm-up, never the caller rows', () => {
      const model = new StreamingKMeans(unnamed(2), { k: 2, warmupSamples: 4 });
      const row = [0, 0];
      for (const v of [0, 0.1, 10, 10.1]) {
        row[0] = v;
        row[1] = v;
        assert.equal(model.learnOne(row), -1);
        row[0] = 1e9; // the caller reuses its array
      }
      assert.equal(model.ready, true);
      const sorted = model.centers.map((c) => c[0]).sort((a, b) => a - b);
      assert.ok(Math.abs(sorted[0] - 0.05) < 1e-12 && Math.abs(sorted[1] - 10.05) < 1e-12, String(sorted));
    });

    it('transform writes distances to every centre and returns the nearest; throws while warming up', () => {
      const model = new StreamingKMeans(unnamed(2), {
        k: 2,
        init: 'given',
        centers: [
          [0, 0],
          [3, 4],
        ],
      });
      const out = [0, 0];
      assert.equal(model.transform([3, 3], out), 1);
      assert.ok(Math.abs(out[0] - Math.hypot(3, 3)) < 1e-15 && out[1] === 1, String(out));
      const warming = new StreamingKMeans(unnamed(2), { k: 2 });
      assert.throws(() => warming.transform([0, 0], out), /warming up \(0\/20 samples\)/);
    });

    it('re-seeds a starving centre by splitting the largest cluster', () => {
      // Blobs A, B, C; then C stops and D appears beside A, so A's centre is dragged between A and D
      // while C's centre starves. After ~10 half-lives C's index is re-seeded from A's split and
      // the two halves separate into A and D. A and B keep their indices.
      const random = generator(99);
      const A = [0, 0];
      const B = [20, 0];
      const C = [0, 20];
      const D = [-8, -8];
      const model = new StreamingKMeans(unnamed(2), {
        k: 3,
        init: 'given',
        centers: [A, B, C],
        halfLife: 50,
      });
      const emit = (blob) =>
        model.learnOne([blob[0] + 0.5 * random.normal(), blob[1] + 0.5 * random.normal()]);
      for (let t = 0; t < 600; t++) emit([A, B, C][t % 3]);
      assert.equal(model.reseeds, 0);
      let reseededAt = -1;
      for (let t = 0; t < 6000; t++) {
        emit([A, B, D][t % 3]);
        if (reseededAt < 0 && model.reseeds > 0) reseededAt = t;
      }
      console.log(
        `      starving centre re-seeded after ${reseededAt} samples (${(reseededAt / 50).toFixed(1)} half-lives)`,
      );
      assert.equal(model.reseeds, 1);
      assert.ok(reseededAt > 0 && reseededAt < 1500, `re-seeded at ${reseededAt}`);
      const [a, b, c] = model.centers;
      assert.ok(distance(a, A) < 0.5, `A: ${a}`);
      assert.ok(distance(b, B) < 0.5, `B: ${b}`);
      assert.ok(distance(c, D) < 0.5, `C's index now holds D: ${c}`);
      assert.ok(STARVING_FRACTION > 0 && STARVING_FRACTION < 0.01);
    });

    it('k larger than the number of distinct points: duplicate centres (as scikit-learn), then split', () => {
      // Defined behaviour: not an error. Like scikit-learn (which only warns), the surplus centre
      // duplicates a point; it has weight 0, so at the next sample it starves and is re-seeded by
      // splitting the heaviest cluster, whose halves then share that cluster's data.
      const model = new StreamingKMeans(unnamed(1), { k: 3, warmupSamples: 6 });
      for (const v of [1, 5, 1, 5, 1, 5]) model.learnOne([v]);
      assert.equal(model.ready, true);
      const values = model.centers.map((c) => c[0]);
      assert.deepEqual([...new Set(values)].sort(), [1, 5], `centres ${values}`);
      assert.equal(Math.min(...model.weights), 0, 'the duplicate has weight 0');
      const out = [0, 0, 0];
      const nearestOne = model.transform([1], out);
      assert.equal(values.indexOf(1), nearestOne, 'ties go to the lowest index');
      const random = generator(5);
      model.learnOne([1]);
      assert.equal(model.reseeds, 1, 're-seeded at the first sample after initialisation');
      for (let t = 0; t < 300; t++) model.learnOne([[1, 5][t % 2] + 0.1 * random.normal()]);
      assert.equal(model.reseeds, 1);
      assert.ok(Math.min(...model.weights) > 0);
      const spread = model.centers.map((c) => c[0]).sort((a, b) => a - b);
      assert.equal(new Set(spread).size, 3, `distinct centres ${spread}`);
      for (const v of [1, 5])
        assert.ok(Math.min(...spread.map((c) => Math.abs(c - v))) < 0.2, String(spread));
    });

    it('a batch on a fresh model with fewer distinct rows than k matches scikit-learn (duplicates)', () => {
      const model = new StreamingKMeans(unnamed(1), { k: 3, warmupSamples: 4 });
      const result = model.learnBatch([[2], [2], [7], [7]]);
      assert.equal(result.inertia, 0);
      assert.deepEqual([...new Set(model.centers.map((c) => c[0]))].sort(), [2, 7]);
      assert.equal(model.samplesSeen, 4);
    });
  });

  describe('batches', () => {
    it('a batch shorter than the warm-up is buffered; the warm-up completes with later rows', () => {
      const X = iris.pca['2'].Y;
      const model = new StreamingKMeans(unnamed(2), { k: 3, warmupSamples: 100 });
      assert.equal(model.learnBatch(X, 0, 60), null);
      assert.equal(model.warmupCount, 60);
      const result = model.learnBatch(X, 60, 150);
      assert.equal(result.labels.length, 90);
      const whole = new StreamingKMeans(unnamed(2), { k: 3, warmupSamples: 100 });
      whole.learnBatch(X);
      assert.deepEqual(model.centers, whole.centers, 'pooled warm-up + batch = one batch');
      assert.equal(model.samplesSeen, 150);
    });

    it('on an existing model: Lloyd with the old centres pinned as weighted points, indices kept', () => {
      const model = StreamingKMeans.load({
        type: 'ml-kmeans',
        version: 1,
        features: null,
        n_features_in: 1,
        n_samples_seen: 4,
        cluster_centers: [[0], [10]],
        counts: [2, 2],
      });
      const result = model.learnBatch([[1], [2], [9], [12], [11]]);
      assert.deepEqual(model.centers, [[(0 * 2 + 1 + 2) / 4], [(10 * 2 + 9 + 12 + 11) / 5]]);
      assert.deepEqual(model.counts, [4, 5]);
      assert.deepEqual(Array.from(result.labels), [0, 0, 1, 1, 1]);
      assert.equal(model.samplesSeen, 9);
    });

    it('on an existing model the batch rows are weighted by forgetting as if learned one by one', () => {
      const base = {
        type: 'ml-kmeans',
        version: 1,
        features: null,
        n_features_in: 1,
        n_samples_seen: 1,
        cluster_centers: [[0], [100]],
        counts: [1, 0],
        cluster_weights: [1, 1],
      };
      const rows = [[1], [2], [3]];
      const batched = StreamingKMeans.load(base, { halfLife: 1 });
      batched.learnBatch(rows);
      const streamed = StreamingKMeans.load(base, { halfLife: 1 });
      rows.forEach((row) => streamed.learnOne(row));
      // With unambiguous assignments the two agree exactly (up to rounding).
      assert.ok(Math.abs(batched.centers[0][0] - streamed.centers[0][0]) < 1e-12);
      assert.ok(Math.abs(batched.weights[0] - streamed.weights[0]) < 1e-12);
      assert.ok(Math.abs(batched.weights[1] - streamed.weights[1]) < 1e-12);
    });

    it('transformBatch labels and measures without learning', () => {
      const model = new StreamingKMeans(unnamed(1), { k: 2, init: 'given', centers: [[0], [10]] });
      const { labels, distances } = model.transformBatch([[1], [8]]);
      assert.deepEqual(Array.from(labels), [0, 1]);
      assert.deepEqual(
        distances.map((d) => Array.from(d)),
        [
          [1, 9],
          [8, 2],
        ],
      );
      assert.equal(model.samplesSeen, 0);
    });
  });

  describe('stable indices', () => {
    it('minimumCostAssignment finds the optimal permutation (vs brute force)', () => {
      const random = generator(3);
      const permutations = (n) =>
        n === 0
          ? [[]]
          : permutations(n - 1).flatMap((p) =>
              Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
            );
      for (let trial = 0; trial < 50; trial++) {
        const n = 1 + (trial % 5);
        const cost = Array.from({ length: n * n }, () => Math.floor(random.uniform() * 10));
        const match = minimumCostAssignment(cost, n);
        const total = (p) => p.reduce((s, j, i) => s + cost[i * n + j], 0);
        const best = Math.min(...permutations(n).map(total));
        assert.equal(total(Array.from(match)), best);
        assert.deepEqual(
          Array.from(match).sort(),
          Array.from({ length: n }, (_, i) => i),
        );
      }
    });

    it('alignTo renumbers the clusters to match reference centres', () => {
      const model = new StreamingKMeans(unnamed(2), {
        k: 3,
        init: 'given',
        centers: [
          [5, 5],
          [0, 0],
          [9, 0],
        ],
      });
      const match = model.alignTo([
        [0.1, 0],
        [9, 0.2],
        [5, 4.8],
      ]);
      assert.deepEqual(match, [1, 2, 0]);
      assert.deepEqual(model.centers, [
        [0, 0],
        [9, 0],
        [5, 5],
      ]);
    });

    it('merge matches centres, keeps the indices of a, and weights by counts', () => {
      const X = iris.pca['2'].Y;
      const a = new StreamingKMeans(unnamed(2), { k: 3, warmupSamples: 75 });
      a.learnBatch(X.filter((_, i) => i % 2 === 0));
      // b learns the other half and is numbered differently.
      const b = new StreamingKMeans(unnamed(2), { k: 3, warmupSamples: 75, seed: 1 });
      b.learnBatch(X.filter((_, i) => i % 2 === 1));
      b.alignTo([a.centers[2], a.centers[0], a.centers[1]]);
      const aBefore = JSON.stringify(a.toJSON());
      const merged = StreamingKMeans.merge(a, b);
      assert.equal(JSON.stringify(a.toJSON()), aBefore, 'inputs unchanged');
      assert.equal(merged.samplesSeen, 150);
      const bIndex = [1, 2, 0]; // a's cluster j is b's cluster bIndex[j]
      merged.centers.forEach((c, j) => {
        const wa = a.weights[j];
        const wb = b.weights[bIndex[j]];
        c.forEach((v, f) => {
          const expected = (wa * a.centers[j][f] + wb * b.centers[bIndex[j]][f]) / (wa + wb);
          assert.ok(Math.abs(v - expected) < 1e-12);
        });
        assert.equal(merged.counts[j], a.counts[j] + b.counts[bIndex[j]]);
        assert.ok(distance(c, a.centers[j]) < 0.3, 'merged cluster j stays near a cluster j');
      });
    });

    it('merge with a model still warming up learns its buffered samples', () => {
      const a = new StreamingKMeans(unnamed(1), { k: 2, init: 'given', centers: [[0], [10]] });
      a.learnOne([0]);
      const b = new StreamingKMeans(unnamed(1), { k: 2, warmupSamples: 10 });
      b.learnOne([1]);
      b.learnOne([9]);
      const merged = StreamingKMeans.merge(a, b);
      assert.equal(merged.samplesSeen, 3);
      assert.deepEqual(merged.counts, [2, 1]);
      const both = StreamingKMeans.merge(b, b);
      assert.equal(both.ready, false);
      assert.equal(both.warmupCount, 4);
      assert.throws(
        () => StreamingKMeans.merge(a, new StreamingKMeans(unnamed(1), { k: 3 })),
        (err) => err instanceof ModelError && /2 and 3 clusters/.test(err.message),
      );
    });
  });

  describe('options', () => {
    const cases = [
      [{ k: 0 }, /k must be an integer ≥ 1/],
      [{ k: 2.5 }, /k must be an integer ≥ 1/],
      [{ init: 'random' }, /init must be "kmeans\+\+" or "given"/],
      [{ init: 'given' }, /centers must be an array of k = 3 rows/],
      [
        {
          init: 'given',
          centers: [
            [0, 0],
            [1, 1],
          ],
        },
        /k = 3 rows.*got 2 rows/,
      ],
      [{ init: 'given', centers: [[0, 0], [1], [2, 2]] }, /centers\[1\] must be an array of 2 numbers/],
      [
        {
          init: 'given',
          centers: [
            [0, 0],
            [1, NaN],
            [2, 2],
          ],
        },
        /centers\[1\]\[1\] must be a finite number/,
      ],
      [{ seed: 1.5 }, /seed must be an integer/],
      [{ restarts: 0 }, /restarts must be an integer ≥ 1/],
      [{ halfLife: -1 }, /halfLife must be a finite number ≥ 0/],
      [{ warmupSamples: 2 }, /warmupSamples \(2\) must be at least k \(3\) and a whole number/],
      [{ tol: -1 }, /tol must be a finite number ≥ 0/],
      [{ maxIter: 0 }, /maxIter must be an integer ≥ 1/],
    ];
    for (const [options, message] of cases) {
      it(`rejects ${JSON.stringify(options)}`, () => {
        assert.throws(
          () => new StreamingKMeans(unnamed(2), options),
          (err) => err instanceof RangeError && message.test(err.message),
        );
      });
    }

    it('defaults: k 3, warm-up 10·k, seed 42, 10 restarts', () => {
      const model = new StreamingKMeans(unnamed(2), { k: 4 });
      assert.equal(model.options.warmupSamples, 40);
      assert.equal(model.options.seed, 42);
      assert.equal(model.options.restarts, 10);
      assert.equal(new StreamingKMeans(unnamed(2)).k, 3);
    });
  });

  describe('model JSON', () => {
    function trained(halfLife = 0) {
      const model = new StreamingKMeans({ dimension: 2, features: ['a', 'b'] }, { k: 3, halfLife });
      iris.pca['2'].Y.slice(0, 100).forEach((row) => model.learnOne(row));
      return model;
    }

    it('has the fields docs/model-json.md lists', () => {
      const json = trained().toJSON();
      assert.equal(json.type, 'ml-kmeans');
      assert.equal(json.version, 1);
      assert.deepEqual(json.features, ['a', 'b']);
      assert.equal(json.n_features_in, 2);
      assert.equal(json.n_samples_seen, 100);
      assert.equal(json.cluster_centers.length, 3);
      assert.equal(
        json.counts.reduce((s, c) => s + c, 0),
        100,
      );
      assert.deepEqual(json.warmup_samples, []);
      assert.equal(json.random_state, 42);
    });

    for (const [label, prepare] of [
      ['mid-warm-up', (m) => iris.pca['2'].Y.slice(0, 17).forEach((row) => m.learnOne(row))],
      ['initialised, with forgetting', (m) => iris.pca['2'].Y.slice(0, 80).forEach((row) => m.learnOne(row))],
    ]) {
      it(`toJSON → load continues identically (${label})`, () => {
        const options = { k: 3, halfLife: 40, seed: 9 };
        const original = new StreamingKMeans(unnamed(2), options);
        prepare(original);
        const restored = StreamingKMeans.load(JSON.parse(JSON.stringify(original.toJSON())), options);
        assert.deepEqual(restored.toJSON(), original.toJSON());
        const X = iris.pca['2'].Y;
        const outA = [0, 0, 0];
        const outB = [0, 0, 0];
        for (let i = 80; i < 150; i++) {
          const row = X[i];
          assert.equal(restored.learnOne(row), original.learnOne(row));
          if (original.ready) {
            assert.equal(restored.transform(row, outB), original.transform(row, outA));
            assert.deepEqual(outB, outA);
          }
        }
        const batchA = original.learnBatch(X, 0, 30);
        const batchB = restored.learnBatch(X, 0, 30);
        assert.deepEqual(batchB, batchA);
        assert.deepEqual(restored.toJSON(), original.toJSON());
      });
    }

    it('load takes the seed of the model (random_state) and checks k against the node', () => {
      const json = new StreamingKMeans(unnamed(2), { k: 3, seed: 5 }).toJSON();
      assert.equal(StreamingKMeans.load(json, { seed: 6 }).toJSON().random_state, 5);
      assert.throws(
        () => StreamingKMeans.load(json, { k: 4 }),
        /model has 3 clusters but this node is set to k = 4/,
      );
    });

    it('loads a model written by hand from scikit-learn attributes', () => {
      const ref = iris.kmeans.fixed;
      const model = StreamingKMeans.load({
        type: 'ml-kmeans',
        version: 1,
        features: null,
        n_features_in: 2,
        n_samples_seen: 150,
        cluster_centers: ref.cluster_centers,
        counts: [0, 1, 2].map((j) => ref.labels.filter((l) => l === j).length),
      });
      const out = [0, 0, 0];
      assert.equal(model.transform(iris.pca['2'].Y[0], out), ref.labels[0]);
      assert.ok(maxAbsDiff([out], [ref.distances[0]]) < 1e-12);
    });

    describe('load rejects each malformed field', () => {
      const good = () => trained().toJSON();
      const warming = () => {
        const m = new StreamingKMeans(unnamed(2), { k: 3 });
        m.learnOne([1, 2]);
        return m.toJSON();
      };
      const cases = [
        ['not an object', () => 'model', /must be a JSON object/],
        ['wrong type', () => ({ ...good(), type: 'ml-pca' }), /type is "ml-pca", expected "ml-kmeans"/],
        ['wrong version', () => ({ ...good(), version: 2 }), /version 2 is not supported/],
        [
          'bad n_features_in',
          () => ({ ...good(), n_features_in: 0 }),
          /n_features_in must be a whole number from 1 to /,
        ],
        ['bad features', () => ({ ...good(), features: ['a'] }), /lists 1 features but n_features_in is 2/],
        [
          'bad n_samples_seen',
          () => ({ ...good(), n_samples_seen: -1 }),
          /n_samples_seen must be a whole number from 0 to /,
        ],
        [
          'centres not an array',
          () => ({ ...good(), cluster_centers: 'x' }),
          /cluster_centers must be an array of centres/,
        ],
        ['no centres', () => ({ ...good(), cluster_centers: [] }), /at least one centre/],
        [
          'n_clusters differs',
          () => ({ ...good(), n_clusters: 4 }),
          /n_clusters is 4 but cluster_centers has 3 rows/,
        ],
        [
          'short centre',
          () => ({ ...good(), cluster_centers: [[0, 0], [1], [2, 2]] }),
          /cluster_centers\[1\] must be an array of 2 numbers/,
        ],
        [
          'NaN centre',
          () => ({
            ...good(),
            cluster_centers: [
              [0, 0],
              [1, null],
              [2, 2],
            ],
          }),
          /cluster_centers\[1\]\[1\] must be a finite number, got null/,
        ],
        ['counts missing', () => ({ ...good(), counts: undefined }), /counts must be an array of 3 integers/],
        [
          'fractional count',
          () => ({ ...good(), counts: [1, 2.5, 3] }),
          /counts\[1\] must be an integer ≥ 0 .*got 2.5$/,
        ],
        ['negative count', () => ({ ...good(), counts: [1, -2, 3] }), /counts\[1\] must be an integer ≥ 0/],
        [
          'counts over n',
          () => ({ ...good(), counts: [100, 1, 0] }),
          /counts add up to 101, more than n_samples_seen \(100\)/,
        ],
        [
          'bad weight',
          () => ({ ...good(), cluster_weights: [1, -1, 1] }),
          /cluster_weights\[1\] must be a number from 0 to \d+, got -1$/,
        ],
        [
          'weights length',
          () => ({ ...good(), cluster_weights: [1] }),
          /cluster_weights must be an array of 3 numbers/,
        ],
        ['bad init', () => ({ ...good(), init: 'random' }), /init must be "kmeans\+\+" or "given"/],
        [
          'bad random_state',
          () => ({ ...good(), random_state: 'x' }),
          /random_state must be a whole number, got "x"$/,
        ],
        [
          'bad n_reseeds',
          () => ({ ...good(), n_reseeds: -1 }),
          /n_reseeds must be a finite number from 0 to \d+, got -1$/,
        ],
        [
          'warm-up left after init',
          () => ({ ...good(), warmup_samples: [[1, 2]] }),
          /warmup_samples must be empty once/,
        ],
        [
          'warm-up not an array',
          () => ({ ...warming(), warmup_samples: 5 }),
          /warmup_samples must be an array of rows/,
        ],
        [
          'warm-up bad row',
          () => ({ ...warming(), warmup_samples: [[1]] }),
          /warmup_samples\[0\] must be an array of 2 numbers/,
        ],
        [
          'warm-up count',
          () => ({ ...warming(), n_samples_seen: 3 }),
          /warmup_samples holds 1 rows but n_samples_seen is 3/,
        ],
        [
          'warm-up without n_clusters',
          () => ({ ...warming(), n_clusters: undefined }),
          /n_clusters must be an integer ≥ 1/,
        ],
        [
          'warm-up with counts',
          () => ({ ...warming(), counts: [0, 0, 0] }),
          /counts must be null while cluster_centers is null/,
        ],
        ['given without centres', () => ({ ...warming(), init: 'given' }), /init "given" has centres/],
      ];
      for (const [label, make, message] of cases) {
        it(label, () => {
          assert.throws(
            () => StreamingKMeans.load(make(), { warmupSamples: 30 }),
            (err) =>
              err instanceof ModelError && message.test(err.message) ? true : assert.fail(err.message),
          );
        });
      }
    });
  });
});
