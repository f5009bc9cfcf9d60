'use strict';
// The limits contract of docs/limits.md, enforced in lib/: the largest accepted magnitude (and
// that nothing overflows at it), the maximum dimension, the bounded k-means warm-up buffer,
// bounded model loads, validation before any change, limits that are never NaN, and error
// messages that describe hostile values safely. Issue 9, defects 1, 5, 7 and 10.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { prng } = require('../../support/random');

const samples = dist('lib/samples');
const { SampleReader, DEFAULT_MAX_DIMENSION, MAX_DIMENSION_SETTING } = samples;
const { MAX_MAGNITUDE } = dist('lib/rows');
const { SampleError, ModelError, describeValue } = dist('lib/errors');
const { Standardizer } = dist('lib/standardize');
const { StreamingPCA, t2Limit } = dist('lib/pca');
const { StreamingKMeans, warmupCapacity, WARMUP_BUFFER_VALUES } = dist('lib/kmeans');

const schemaOf = (d) => ({ dimension: d, features: null });

/** Standard normal draws (Box–Muller) from a seeded uniform source. */
function gaussian(uniform) {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** `count` rows of `d` normal values around 10, seeded. */
function normalRows(count, d, seed = 1) {
  const next = gaussian(prng(seed));
  return Array.from({ length: count }, () => Array.from({ length: d }, () => 10 + next()));
}

/** Every number in a JSON value, walked iteratively. */
function numbersIn(value) {
  const out = [];
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'number') out.push(v);
    else if (v && typeof v === 'object') stack.push(...Object.values(v));
  }
  return out;
}

function assertAllFinite(value, what) {
  for (const v of numbersIn(value)) assert.ok(Number.isFinite(v), `${what}: ${v}`);
}

/** The same model bit for bit: JSON text equal (JSON keeps every double exactly). */
const snapshot = (model) => JSON.stringify(model.toJSON());

const learners = [
  ['standardize', (d) => new Standardizer(schemaOf(d))],
  ['pca', (d) => new StreamingPCA(schemaOf(d), { components: 2 })],
  ['kmeans (ready)', (d) => new StreamingKMeans(schemaOf(d), { k: 3, warmupSamples: 10 })],
  ['kmeans (warming up)', (d) => new StreamingKMeans(schemaOf(d), { k: 3, warmupSamples: 1000 })],
];

describe('lib limits (docs/limits.md)', () => {
  describe('largest accepted magnitude', () => {
    it('the reader accepts ±MAX_MAGNITUDE and rejects the next double, naming field, value and limit', () => {
      assert.equal(MAX_MAGNITUDE, 1e30);
      const reader = new SampleReader();
      assert.deepEqual(
        Array.from(reader.read([MAX_MAGNITUDE, -MAX_MAGNITUDE], null, 'msg.payload').rows[0]),
        [1e30, -1e30],
      );
      const above = 1.0000000000000002e30;
      assert.ok(above > MAX_MAGNITUDE);
      const cases = [
        [[1, above], 'msg.payload[1]'],
        [-above, 'msg.payload'],
        [{ temp: 21, hum: -1e200 }, 'msg.payload.hum'],
        [
          [
            [1, 2],
            [3, 1e200],
          ],
          'msg.payload[1][1]',
        ],
        [[{ a: 1 }, { a: 1e31 }], 'msg.payload[1].a'],
        [Float64Array.of(1, 2e30), 'msg.payload[1]'],
      ];
      for (const [value, field] of cases) {
        assert.throws(
          () => new SampleReader().read(value, null, 'msg.payload'),
          (err) => {
            assert.ok(err instanceof SampleError, String(err));
            assert.ok(err.message.startsWith(`${field} is `), err.message);
            assert.match(err.message, /larger in magnitude than 1e\+30/);
            assert.match(err.message, /Rescale/);
            return true;
          },
        );
      }
    });

    // Issue 9, defect 1: [1e200, 2, 3] after 30 normal rows poisoned the PCA co-moment; the save
    // timer's toJSON then threw and Node-RED exited. Before: learned, toJSON threw/held NaN.
    for (const [name, make] of learners) {
      it(`${name}: [1e200, 2, 3] after 30 normal rows is a SampleError and the model stays bit-identical`, () => {
        const model = make(3);
        for (const row of normalRows(30, 3)) model.learnOne(row);
        const before = snapshot(model);
        assert.throws(() => model.learnOne([1e200, 2, 3]), SampleError);
        assert.equal(snapshot(model), before);
        assert.throws(
          () =>
            model.learnBatch([
              [1, 2, 3],
              [1e200, 2, 3],
            ]),
          SampleError,
        );
        assert.throws(
          () =>
            model.learnBatch([
              [1, 2, 3],
              [NaN, 2, 3],
            ]),
          SampleError,
        );
        assert.throws(() => model.learnOne([1, 2]), SampleError, 'wrong length');
        assert.equal(snapshot(model), before, 'a batch with one bad row changes nothing');
        assertAllFinite(model.toJSON(), name);
      });
    }

    it('nothing overflows at ±MAX_MAGNITUDE: alternating extremes, with and without forgetting', () => {
      const M = MAX_MAGNITUDE;
      const rows = Array.from({ length: 200 }, (_, i) => [i % 2 ? M : -M, i % 3 ? -M : M, (i % 5) - 2, M]);
      for (const halfLife of [0, 3]) {
        const s = new Standardizer(schemaOf(4), { halfLife });
        const p = new StreamingPCA(schemaOf(4), { components: 2, halfLife, refitEvery: 7 });
        const pw = new StreamingPCA(schemaOf(4), { components: 0.5, whiten: true, halfLife });
        const k = new StreamingKMeans(schemaOf(4), { k: 3, warmupSamples: 10, halfLife });
        for (const row of rows) {
          s.learnOne(row);
          p.learnOne(row);
          k.learnOne(row);
        }
        pw.learnBatch(rows);
        p.learnBatch(rows);
        k.learnBatch(rows);
        for (const probe of [
          [M, M, M, M],
          [-M, -M, -M, -M],
          [0, 0, 0, 0],
        ]) {
          assertAllFinite(s.transform(probe, [0, 0, 0, 0]), 'z');
          assertAllFinite(p.anomaly(probe), 'pca anomaly');
          assertAllFinite(Array.from(pw.transform(probe, new Float64Array(4))), 'whitened');
          const distances = new Float64Array(3);
          k.transform(probe, distances);
          assertAllFinite(Array.from(distances), 'distances');
        }
        for (const model of [s, p, pw, k]) assertAllFinite(model.toJSON(), `halfLife ${halfLife}`);
        // Merges add co-moments and counts; still finite, and the merged model loads back.
        assertAllFinite(StreamingPCA.merge(p, p).toJSON(), 'merged pca');
        assertAllFinite(Standardizer.merge(s, s).toJSON(), 'merged standardize');
      }
    });

    it('a model at every load bound (2^53 − 1 samples, extreme co-moment) refits to finite limits', () => {
      const M = MAX_MAGNITUDE;
      const n = Number.MAX_SAFE_INTEGER;
      const p = new StreamingPCA(schemaOf(3), { components: 1 });
      p.learnBatch([
        [M, -M, 0],
        [-M, M, 1],
        [M, M, 2],
        [-M, -M, 3],
      ]);
      const json = p.toJSON();
      // The same covariance over n samples: the co-moment scales with the weight.
      const scale = (n - 1) / (json.sum_weights - 1);
      const big = {
        ...json,
        n_samples_seen: n,
        sum_weights: n,
        comoment: json.comoment.map((row) => row.map((v) => v * scale)),
      };
      const loaded = StreamingPCA.load(big, { components: 1 });
      const out = loaded.toJSON();
      assertAllFinite(out, 'loaded');
      assert.ok(Number.isFinite(loaded.t2Limit) && Number.isFinite(loaded.speLimit));
      assertAllFinite(loaded.anomaly([M, M, M]), 'anomaly');
      // One more sample would exceed the exact count.
      assert.throws(() => loaded.learnOne([0, 0, 0]), /cannot count 1 more/);
      assert.throws(() => StreamingPCA.merge(loaded, loaded), ModelError);
    });
    it('twice the largest covariance a loadable model can carry (W = 1 + ε, co-moment 8e60) refits finite', () => {
      const { RunningCovariance } = dist('lib/covariance');
      for (const d of [3, 64]) {
        const next = prng(d);
        const v = Array.from({ length: d }, () => Array.from({ length: d }, () => next() - 0.5));
        const c = new Float64Array(d * d);
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) c[i * d + j] = v[i].reduce((sum, x, m) => sum + x * v[j][m], 0);
        }
        const largest = Math.max(...Array.from({ length: d }, (_, i) => c[i * d + i]));
        for (let i = 0; i < c.length; i++) c[i] = (c[i] / largest) * 8e60;
        const weight = 1 + 2 ** -52;
        const state = { count: 2, weight, mean: new Float64Array(d).fill(2e30), comoment: c };
        for (const components of [1, 2, 0.9]) {
          const p = new StreamingPCA(schemaOf(d), { components }, RunningCovariance.fromState(state));
          p.refit();
          assert.ok(p.eigenvalues[0] > 1e76, 'covariance entries near 1e76');
          const { t2, spe, speLimit } = p.anomaly(new Array(d).fill(-MAX_MAGNITUDE));
          assertAllFinite({ t2, spe, speLimit, json: p.toJSON() }, `d ${d}, components ${components}`);
        }
      }
    });
  });

  describe('model loads are bounded (every number)', () => {
    const standardizeJSON = () => {
      const s = new Standardizer(schemaOf(2));
      s.learnBatch(normalRows(10, 2));
      return s.toJSON();
    };
    const pcaJSON = () => {
      const p = new StreamingPCA(schemaOf(3), { components: 2 });
      p.learnBatch(normalRows(20, 3));
      return p.toJSON();
    };
    const kmeansJSON = () => {
      const k = new StreamingKMeans(schemaOf(2), { k: 2, warmupSamples: 4 });
      k.learnBatch(normalRows(10, 2));
      return k.toJSON();
    };
    const cases = [
      // Issue 9, defect 7: n_samples_seen 1e300 made the T² limit NaN. Before: accepted.
      [
        'pca n_samples_seen 1e300',
        () => StreamingPCA.load({ ...pcaJSON(), n_samples_seen: 1e300 }),
        /n_samples_seen must be a whole number from 0 to 9007199254740991/,
      ],
      [
        'standardize n_samples_seen 2^53',
        () => Standardizer.load({ ...standardizeJSON(), n_samples_seen: 2 ** 53 }),
        /n_samples_seen/,
      ],
      [
        'standardize mean 1e200',
        () => Standardizer.load({ ...standardizeJSON(), mean: [1e200, 0] }),
        /mean\[0\] is 1e\+200, beyond ±2e\+30/,
      ],
      [
        'standardize var 1e200',
        () => Standardizer.load({ ...standardizeJSON(), var: [1, 1e200] }),
        /var\[1\] is 1e\+200/,
      ],
      [
        'standardize data_max 1e31',
        () => Standardizer.load({ ...standardizeJSON(), data_max: [1e31, 1e31] }),
        /data_max\[0\] is 1e\+31/,
      ],
      [
        'pca mean 1e200',
        () => StreamingPCA.load({ ...pcaJSON(), mean: [0, 1e200, 0] }),
        /mean\[1\] is 1e\+200/,
      ],
      [
        'pca comoment 1e300',
        () => {
          const m = pcaJSON();
          m.comoment[0][0] = 1e300;
          return StreamingPCA.load(m);
        },
        /comoment\[0\]\[0\] is 1e\+300/,
      ],
      [
        'pca n_features_in 1e5',
        () => StreamingPCA.load({ ...pcaJSON(), n_features_in: 1e5 }),
        /n_features_in must be a whole number from 1 to 160/,
      ],
      [
        'kmeans centre 1e200',
        () => {
          const m = kmeansJSON();
          m.cluster_centers[1][0] = 1e200;
          return StreamingKMeans.load(m);
        },
        /cluster_centers\[1\]\[0\] is 1e\+200/,
      ],
      [
        'kmeans weight 1e300',
        () => StreamingKMeans.load({ ...kmeansJSON(), cluster_weights: [1e300, 1] }),
        /cluster_weights\[0\] must be a number from 0 to/,
      ],
      [
        'kmeans count over n',
        () => StreamingKMeans.load({ ...kmeansJSON(), counts: [1e300, 0] }),
        /counts\[0\] must be an integer/,
      ],
      [
        'kmeans n_reseeds 1e300',
        () => StreamingKMeans.load({ ...kmeansJSON(), n_reseeds: 1e300 }),
        /n_reseeds/,
      ],
    ];
    for (const [what, load, message] of cases) {
      it(`${what} is a ModelError naming the field`, () => {
        assert.throws(load, (err) => {
          assert.ok(err instanceof ModelError, String(err));
          assert.match(err.message, message);
          return true;
        });
      });
    }

    it('the exported models load back at the bounds', () => {
      const M = MAX_MAGNITUDE;
      const rows = [
        [M, -M],
        [-M, M],
        [M, M],
        [M, M],
      ];
      const s = new Standardizer(schemaOf(2));
      s.learnBatch(rows);
      assert.equal(snapshot(Standardizer.load(s.toJSON())), snapshot(s));
      const k = new StreamingKMeans(schemaOf(2), { k: 2, warmupSamples: 4 });
      k.learnBatch(rows);
      assert.equal(snapshot(StreamingKMeans.load(k.toJSON(), { warmupSamples: 4 })), snapshot(k));
      const p = new StreamingPCA(schemaOf(2), { components: 1 });
      p.learnBatch(rows);
      assertAllFinite(StreamingPCA.load(p.toJSON(), { components: 1 }).toJSON(), 'pca');
    });
  });

  describe('limit functions are never NaN', () => {
    it('t2Limit over k, n (fractional with forgetting, up to 2^53) and confidence', () => {
      for (const k of [1, 2, 5, 128, 1024]) {
        for (const n of [0, k - 0.5, k, k + 1e-12, k + 0.5, k + 1, 2 * k, 1e6, 1e12, 2 ** 53 - 1]) {
          for (const confidence of [1e-9, 0.5, 0.95, 0.99, 1 - 1e-12]) {
            const limit = t2Limit(k, n, confidence);
            assert.ok(!Number.isNaN(limit), `k=${k} n=${n} c=${confidence}`);
            assert.ok(limit >= 0, `k=${k} n=${n}: ${limit}`);
            if (n > k + 0.4) assert.ok(Number.isFinite(limit), `k=${k} n=${n} c=${confidence}: ${limit}`);
          }
        }
      }
      // Converges on k·F(k, ∞) = χ²_k: 5.991… for k = 2 at 95 %.
      assert.ok(Math.abs(t2Limit(2, 2 ** 53 - 1, 0.95) - 5.991464547107979) < 1e-9);
    });

    it('SPE and T² of tiny, huge and degenerate spectra are finite', () => {
      const cases = [
        [
          [1e-300, 2e-300, 3e-300],
          [4e-300, 1e-300, 0],
        ],
        [
          [1e29, -1e29, 3],
          [-1e29, 1e29, 2],
        ],
        [
          [5, 5, 5],
          [5, 5, 5],
        ],
        [
          [0, 0, 0],
          [1e-320, 0, 0],
        ],
      ];
      for (const [a, b] of cases) {
        for (const components of [1, 2, 3, 0.5]) {
          const p = new StreamingPCA(schemaOf(3), { components });
          p.learnBatch([a, b, a, b, a]);
          for (const probe of [a, b, [1e30, -1e30, 1e30]]) {
            const result = p.anomaly(probe);
            assertAllFinite(result, `${JSON.stringify(a)} components ${components}`);
          }
        }
      }
    });
  });

  describe('maximum dimension', () => {
    it('exports per-node defaults and hard caps', () => {
      for (const type of ['ml-standardize', 'ml-pca', 'ml-kmeans', 'ml-window']) {
        assert.ok(Number.isInteger(DEFAULT_MAX_DIMENSION[type]) && DEFAULT_MAX_DIMENSION[type] >= 2, type);
        assert.ok(DEFAULT_MAX_DIMENSION[type] <= MAX_DIMENSION_SETTING[type], type);
        assert.ok(MAX_DIMENSION_SETTING[type] <= samples.MAX_DIMENSION, type);
      }
      assert.equal(DEFAULT_MAX_DIMENSION['ml-pca'], 128);
      assert.throws(
        () => new SampleReader(null, { maxDimension: 0 }),
        /maxDimension must be a whole number from 1 to/,
      );
      assert.throws(() => new SampleReader(null, { maxDimension: 1e9 }), /maxDimension/);
      assert.throws(() => new SampleReader(['a', 'b', 'c'], { maxDimension: 2 }), /Features lists 3 names/);
      assert.throws(() => samples.checkMaxDimension(2000, MAX_DIMENSION_SETTING['ml-pca']), /from 1 to 160/);
    });

    // Issue 9, defect 5: one batch of d = 2000 blocked ml-pca for 51 s; d = 1e5 gave "Invalid typed
    // array length". Before: the reader had no bound.
    it('a wider sample is a SampleError naming maxDimension, for every shape', () => {
      const reader = new SampleReader(null, { maxDimension: 128 });
      const wide = Array.from({ length: 2000 }, (_, j) => j);
      const object = Object.fromEntries(wide.map((j) => [`f${j}`, j]));
      const cases = [
        [
          wide,
          /^msg\.payload has 2000 features, more than maxDimension \(128\) of this node: .*"maxDimension" setting/,
        ],
        [Float64Array.from(wide), /has 2000 features, more than maxDimension \(128\)/],
        [[wide, wide], /has 2000 features, more than maxDimension \(128\)/],
        [object, /^msg\.payload has more than 128 features, the maxDimension of this node/],
        [[object], /has more than 128 features/],
      ];
      for (const [value, message] of cases) {
        assert.throws(
          () => reader.read(value, null, 'msg.payload'),
          (err) => err instanceof SampleError && message.test(err.message),
        );
      }
      assert.equal(reader.read(wide.slice(0, 128), null, 'msg.payload').dimension, 128);
      // A schema wider than the limit (a loaded model) reads no sample of any shape.
      const names = Object.keys(object);
      assert.throws(
        () => reader.read(object, { dimension: 2000, features: names }, 'msg.payload'),
        /maxDimension \(128\)/,
      );
      assert.throws(
        () => reader.read(wide, { dimension: 2000, features: null }, 'msg.payload'),
        /maxDimension \(128\)/,
      );
      // The PCA default: d = 1e5 is refused before a d × d matrix is ever asked for.
      const pcaReader = new SampleReader(null, { maxDimension: DEFAULT_MAX_DIMENSION['ml-pca'] });
      assert.throws(
        () => pcaReader.read(new Array(1e5).fill(0), null, 'msg.payload'),
        /more than maxDimension \(128\)/,
      );
      // Without options the absolute cap still applies.
      assert.throws(
        () => new SampleReader().read(new Float64Array(200_000), null, 'x'),
        /maxDimension \(100000\)/,
      );
    });
  });

  // Issue 9, defect 5: the warm-up buffer was unbounded and re-saved each second (88 MB after
  // 3e5 samples). Before: 20,000 rows buffered here.
  describe('k-means warm-up buffer', () => {
    it('holds at most warmupCapacity rows, a seeded uniform reservoir, restored bit-identically', () => {
      const d = 16;
      const capacity = warmupCapacity(1e6, 3, d);
      assert.equal(WARMUP_BUFFER_VALUES, 65536);
      assert.equal(capacity, 4096);
      const model = new StreamingKMeans(schemaOf(d), { k: 3, warmupSamples: 1e6 });
      const row = (i) => Array.from({ length: d }, (_, f) => i + f / 100);
      for (let i = 0; i < 20_000; i++) model.learnOne(row(i));
      assert.equal(model.samplesSeen, 20_000);
      assert.equal(model.warmupCount, capacity);
      const json = model.toJSON();
      assert.equal(json.warmup_samples.length, capacity);
      assert.ok(JSON.stringify(json).length < 2e6, 'model JSON stays small');
      // Uniform over the stream: the kept sample numbers average about half the stream.
      const kept = json.warmup_samples.map((r) => r[0]);
      const mean = kept.reduce((a, b) => a + b, 0) / kept.length;
      assert.ok(Math.abs(mean - 10_000) < 500, `mean kept index ${mean}`);
      assert.ok(kept.some((i) => i >= 15_000) && kept.some((i) => i < 4096));
      // Restored, it keeps drawing exactly as the original.
      const restored = StreamingKMeans.load(json, { warmupSamples: 1e6 });
      for (let i = 20_000; i < 21_000; i++) {
        model.learnOne(row(i));
        restored.learnOne(row(i));
      }
      assert.equal(snapshot(restored), snapshot(model));
    });

    it('with forgetting it keeps the newest rows; a model saved with a larger buffer is reduced at load', () => {
      const model = new StreamingKMeans(schemaOf(1000), { k: 2, warmupSamples: 500, halfLife: 10 });
      const capacity = warmupCapacity(500, 2, 1000);
      assert.equal(capacity, 65);
      for (let i = 0; i < 300; i++) model.learnOne(new Array(1000).fill(i));
      assert.deepEqual(
        model.toJSON().warmup_samples.map((r) => r[0]),
        Array.from({ length: capacity }, (_, j) => 300 - capacity + j),
      );
      // A buffer of every sample (as saved before the bound) loads reduced to the capacity.
      const unbounded = {
        ...model.toJSON(),
        halfLife: undefined,
        n_samples_seen: 300,
        warmup_samples: Array.from({ length: 300 }, (_, i) => new Array(1000).fill(i)),
      };
      const loaded = StreamingKMeans.load(unbounded, { warmupSamples: 500 });
      assert.equal(loaded.warmupCount, capacity);
      assert.equal(loaded.samplesSeen, 300);
      assert.throws(
        () =>
          StreamingKMeans.load(
            { ...unbounded, warmup_samples: unbounded.warmup_samples.slice(0, 10) },
            { warmupSamples: 500 },
          ),
        /warmup_samples holds 10 rows but n_samples_seen is 300/,
      );
    });

    it('initialises after warmupSamples samples even when the buffer dropped some', () => {
      const next = gaussian(prng(5));
      const model = new StreamingKMeans(schemaOf(1), { k: 2, warmupSamples: 70_000 });
      for (let i = 0; i < 70_000; i++) {
        assert.equal(model.ready, false);
        model.learnOne([(i % 2 ? 100 : -100) + next()]);
      }
      assert.equal(model.ready, true);
      assert.equal(model.warmupCount, 0);
      const centers = model.centers.map((c) => c[0]).sort((a, b) => a - b);
      assert.ok(Math.abs(centers[0] + 100) < 1 && Math.abs(centers[1] - 100) < 1, String(centers));
    });
  });

  // Issue 9, defect 7: with mean 1e9 and std 0.5, scikit-learn's rounding bound (n·mean·ε)²
  // passes the variance 0.25 at n ≈ 2.3e6, and the feature was scaled by 1. Before: scale 1.
  describe('standardize: a varying feature far from zero is never declared constant', () => {
    it('2.5e6 samples of mean 1e9, std 0.5: scale stays 0.5 and z-scores stay right', () => {
      const next = gaussian(prng(9));
      const model = new Standardizer(schemaOf(1));
      const batch = new Array(10_000);
      for (let chunk = 0; chunk < 250; chunk++) {
        for (let i = 0; i < batch.length; i++) batch[i] = [1e9 + 0.5 * next()];
        model.learnBatch(batch);
      }
      const single = new Standardizer(schemaOf(1));
      for (let i = 0; i < 2.5e6; i++) single.learnOne([1e9 + 0.5 * next()]);
      for (const m of [model, single]) {
        const json = m.toJSON();
        assert.equal(json.n_samples_seen, 2.5e6);
        assert.ok(Math.abs(json.scale[0] - 0.5) < 0.005, `scale ${json.scale[0]}`);
        const z = m.transform([json.mean[0] + 1], [0])[0];
        assert.ok(Math.abs(z - 2) < 0.02, `z ${z}`);
      }
    });

    it('a truly constant feature far from zero is still constant (scale 1)', () => {
      const model = new Standardizer(schemaOf(2));
      for (let i = 0; i < 1000; i++) model.learnOne([1e9 + 0.1, i]);
      assert.equal(model.toJSON().scale[0], 1);
      assert.equal(model.transform([1e9 + 0.1, 0], [0, 0])[0], 0);
    });
  });

  // Issue 9, defect 10.
  describe('error messages describe hostile values safely', () => {
    it('describeValue: bounded, never serialises, never throws', () => {
      let nested = {};
      for (let i = 0; i < 100_000; i++) nested = { a: nested };
      const hostile = new Proxy(
        {},
        {
          getPrototypeOf() {
            throw new Error('trap');
          },
        },
      );
      class Sensor {}
      const cases = [
        [NaN, 'NaN'],
        [-Infinity, '-Infinity'],
        [-0, '-0'],
        [10n ** 30n, 'a BigInt (1000000000000000000000000000000n)'],
        ['x'.repeat(1e6), `"${'x'.repeat(60)}…"`],
        [nested, 'an object'],
        [Object.create(null), 'an object'],
        [[1, 2, 3], 'an array of 3 items'],
        [new Date(0), 'a Date'],
        [new Sensor(), 'a Sensor'],
        [hostile, 'an unreadable value'],
        [Symbol('s'), 'a symbol'],
        [() => 1, 'a function'],
        [true, 'a boolean (true)'],
        [undefined, 'missing'],
        [null, 'null'],
      ];
      for (const [value, text] of cases) assert.equal(describeValue(value), text);
    });

    it('hostile model.type: a ModelError of bounded length (no stack overflow, no BigInt error, no echo)', () => {
      let nested = {};
      for (let i = 0; i < 100_000; i++) nested = { a: nested };
      for (const [type, shown] of [
        [nested, 'an object'],
        [123n, 'a BigInt (123n)'],
        ['t'.repeat(1e6), '"tttt'],
      ]) {
        for (const load of [Standardizer.load, StreamingPCA.load, StreamingKMeans.load]) {
          assert.throws(
            () => load({ type, version: 1 }),
            (err) => {
              assert.ok(err instanceof ModelError, String(err));
              assert.ok(err.message.includes(`model type is ${shown}`), err.message);
              assert.ok(err.message.length < 200, `${err.message.length} characters`);
              return true;
            },
          );
        }
      }
    });

    it('feature names are cut and long lists shortened in messages', () => {
      const long = 'n'.repeat(1e6);
      const reader = new SampleReader([long, 'b']);
      assert.throws(
        () => reader.read({ b: 1 }, null, 'msg.payload'),
        (err) =>
          err instanceof SampleError &&
          err.message.length < 400 &&
          err.message.includes(`"${'n'.repeat(60)}…"`),
      );
      const names = Array.from({ length: 500 }, (_, j) => `f${j}`);
      assert.throws(
        () => new SampleReader(names).read([1, 2], { dimension: 500, features: names }, 'msg.payload'),
        (err) => err.message.includes('f9, … (500 in all)') && err.message.length < 400,
      );
      assert.throws(
        () => samples.parseFeatureList(`${long},${long}`),
        (err) => err.message.length < 200,
      );
    });

    it('NaN in a model is reported as NaN, not null', () => {
      const s = new Standardizer(schemaOf(2));
      s.learnBatch(normalRows(5, 2));
      assert.throws(
        () => Standardizer.load({ ...s.toJSON(), mean: [NaN, 1] }),
        /model mean\[0\] must be a finite number, got NaN$/,
      );
      const p = new StreamingPCA(schemaOf(2), { components: 1 });
      p.learnBatch(normalRows(5, 2));
      assert.throws(
        () => StreamingPCA.load({ ...p.toJSON(), sum_weights: NaN }, { components: 1 }),
        /got NaN/,
      );
      assert.throws(
        () =>
          StreamingKMeans.load({
            type: 'ml-kmeans',
            version: 1,
            n_features_in: 1,
            n_samples_seen: 0,
            cluster_centers: null,
            n_clusters: NaN,
          }),
        /n_clusters must be an integer ≥ 1, got NaN/,
      );
    });

    it('components: 0 says whole number or fraction; an object row says "an object"', () => {
      assert.throws(
        () => new StreamingPCA(schemaOf(3), { components: 0 }),
        /^RangeError: components must be a whole number ≥ 1 or a fraction between 0 and 1 .*got 0$/,
      );
      assert.throws(
        () => new SampleReader().read([[1, 2], { a: 1 }], null, 'msg.payload'),
        /^SampleError: msg\.payload\[1\] is an object, but msg\.payload\[0\] is an array/,
      );
      assert.throws(
        () => new SampleReader().read([1, 'x'.repeat(1e6)], null, 'msg.payload'),
        (err) => err.message.length < 400,
      );
    });
  });
});
