'use strict';
// ml-kmeans through node-red-node-test-helper: scikit-learn parity of a batch, warm-up and
// streaming, output shapes, given centres, its own settings. What every learner does (bad
// samples, control messages, keys, warm-up, persistence) is in learner-contract.node.test.js;
// the math itself in kmeans.lib.test.js.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper, useHelper, load, eventually } = require('../../support/helper');
const { assertClose } = require('../../support/numeric');
const { iris, wine } = require('../../support/fixtures');

const kmeansNode = dist('nodes/ml-kmeans/ml-kmeans');
const start = (settings) => load(kmeansNode, 'ml-kmeans', settings);

/** Settings of a node starting from the reference's given centres. */
const givenFrom = (data) => ({ init: 'given', centers: JSON.stringify(data.kmeans.fixed.init) });
/** Two 2-D centres far apart: samples near 0 go to cluster 0, near 10 to cluster 1. */
const TWO_CENTRES = { k: 2, init: 'given', centers: '[[0, 0], [10, 10]]' };

const euclidean = (a, b) => Math.hypot(...a.map((v, j) => v - b[j]));

describe('ml-kmeans node', () => {
  useHelper();

  describe('batch: scikit-learn parity from given centres (kmeans.fixed)', () => {
    for (const [name, data] of [
      ['iris', iris],
      ['wine', wine],
    ]) {
      it(`${name} PCA scores: distances within 1e-9, labels, centres; payload unchanged`, async () => {
        const ref = data.kmeans.fixed;
        const Y = data.pca['2'].Y;
        const t = await start(givenFrom(data));
        const payload = Y.map((row) => [...row]);
        await t.send({ payload });
        assert.equal(t.seen.errors.length, 0, t.seen.errors.map((e) => e.error.message).join('\n'));
        const msg = t.seen.out[0];
        assert.equal(msg.payload, payload, 'the payload passes through');
        assert.deepEqual(msg.payload, Y, 'and is not modified');
        assert.deepEqual(msg.cluster, ref.labels);
        assert.deepEqual(msg.kmeans.cluster, ref.labels);
        assertClose(msg.kmeans.distances, ref.distances, 1e-9, 'distances');
        assert.ok(msg.kmeans.distances.every((row) => Array.isArray(row) && row.length === 3));
        assert.deepEqual(
          msg.kmeans.distance,
          msg.kmeans.distances.map((row, i) => row[ref.labels[i]]),
        );
        const [model] = await t.exported();
        assertClose(model.cluster_centers, ref.cluster_centers, 1e-9, 'cluster_centers');
        assert.equal(model.n_samples_seen, Y.length);
        assert.equal(model.type, 'ml-kmeans');
        assert.equal(model.version, 1);
      });
    }

    it('a batch of objects gives the same clusters and names the features', async () => {
      const ref = iris.kmeans.fixed;
      const t = await start(givenFrom(iris));
      await t.send({ payload: iris.pca['2'].Y.map(([a, b]) => ({ pc1: a, pc2: b })) });
      assert.deepEqual(t.seen.out[0].cluster, ref.labels);
      assertClose(t.seen.out[0].kmeans.distances, ref.distances, 1e-9, 'distances');
      const [model] = await t.exported();
      assert.deepEqual(model.features, ['pc1', 'pc2']);
    });

    it('k-means++ on a fresh batch: k-means++ with restarts on the whole batch', async () => {
      const t = await start({ warmupSamples: 30 });
      await t.send({ payload: iris.pca['2'].Y });
      const { cluster, kmeans } = t.seen.out[0];
      assert.equal(cluster.length, 150);
      const inertia = kmeans.distance.reduce((sum, d) => sum + d * d, 0);
      const best = iris.kmeans.kmeanspp_best_of_10.inertia;
      assert.ok(inertia <= best * 1.005, `inertia ${inertia} vs scikit-learn's best of 10 ${best}`);
    });
  });

  describe('batch into a fresh node (a batch is fit_transform)', () => {
    const SIX = [
      [0, 0],
      [0.1, 0],
      [10, 10],
      [10.1, 10],
      [20, 0],
      [20.1, 0],
    ];
    const checkPairs = (clusters) => {
      assert.equal(clusters.length, 6);
      assert.equal(clusters[0], clusters[1]);
      assert.equal(clusters[2], clusters[3]);
      assert.equal(clusters[4], clusters[5]);
      assert.equal(new Set(clusters).size, 3);
    };

    it('a 6-row batch with k = 3 is fit_transform at once, whatever warmupSamples says', async () => {
      const t = await start({ warmupSamples: 30 });
      await t.send({ payload: SIX });
      assert.equal(t.seen.out.length, 1, 'the batch was clustered');
      checkPairs(t.seen.out[0].cluster);
      const [model] = await t.exported();
      assert.equal(model.n_samples_seen, 6);
      assert.equal(model.cluster_centers.length, 3);
    });

    it('a batch after a few buffered samples fits the buffer and the batch together', async () => {
      const t = await start({ warmupSamples: 30 });
      await t.send({ payload: [0.05, 0] }, { payload: [10.05, 10] });
      assert.equal(t.seen.out.length, 0, 'single samples wait for the warm-up');
      await t.send({ payload: SIX });
      assert.equal(t.seen.out.length, 1);
      checkPairs(t.seen.out[0].cluster);
      const [model] = await t.exported();
      assert.equal(model.n_samples_seen, 8);
    });

    it('a batch of fewer than k rows waits for the warm-up', async () => {
      const t = await start({ warmupSamples: 30 });
      await t.send({ payload: SIX.slice(0, 2) });
      assert.equal(t.seen.out.length, 0);
      const [model] = await t.exported();
      assert.equal(model.warmup_samples.length, 2);
    });
  });

  describe('streaming', () => {
    it('k-means++ warm-up, then single samples: learn, then transform with the updated centres', async () => {
      const Y = iris.pca['2'].Y;
      const t = await start({ warmupSamples: 30 });
      for (let i = 0; i < 60; i++) await t.send({ payload: Y[i * 2] });
      assert.equal(t.seen.completed.length, 60);
      assert.equal(t.seen.out.length, 31, 'the first 29 samples were dropped while warming up');
      for (const msg of t.seen.out) {
        assert.ok(Number.isInteger(msg.cluster) && msg.cluster >= 0 && msg.cluster < 3);
        assert.equal(msg.kmeans.cluster, msg.cluster);
        assert.ok(Array.isArray(msg.kmeans.distances) && msg.kmeans.distances.length === 3);
        assert.equal(msg.kmeans.distance, Math.min(...msg.kmeans.distances));
        assert.equal(msg.kmeans.distance, msg.kmeans.distances[msg.cluster]);
      }
      const last = t.seen.out.at(-1);
      assert.equal(last.payload, Y[118], 'the payload passes through');
      const [model] = await t.exported();
      assert.equal(model.n_samples_seen, 60);
      assert.equal(model.cluster_centers.length, 3);
      assertClose(
        last.kmeans.distances,
        model.cluster_centers.map((c) => euclidean(Y[118], c)),
        1e-12,
        'distances to the centres after learning the sample',
      );
    });

    it('a number sample (1 feature) gives a number cluster and 1-feature centres', async () => {
      const t = await start({ k: 2, init: 'given', centers: '[[0], [10]]' });
      await t.send({ payload: 1 }, { payload: 9 });
      assert.deepEqual(
        t.seen.out.map((m) => [m.payload, m.cluster]),
        [
          [1, 0],
          [9, 1],
        ],
      );
    });

    it('given centres start as one sample each, so the first samples pull them', async () => {
      const t = await start(TWO_CENTRES);
      await t.send({ payload: [1, 0] });
      assert.equal(t.seen.out[0].cluster, 0);
      assertClose(t.seen.out[0].kmeans.distances, [0.5, Math.hypot(9, 10)], 1e-12, 'distances');
      const [model] = await t.exported();
      assert.deepEqual(model.cluster_centers, [
        [0.5, 0],
        [10, 10],
      ]);
      assert.deepEqual(model.counts, [1, 0]);
    });

    it('halfLife forgets: every sample decays every centre weight', async () => {
      const t = await start({ ...TWO_CENTRES, halfLife: 1 });
      await t.send({ payload: [0, 0] });
      const [model] = await t.exported();
      assert.deepEqual(model.cluster_weights, [1.5, 0.5]);
    });

    it('given centres cluster at once, even with learning off or msg.learn = false', async () => {
      const off = await start({ ...TWO_CENTRES, learning: 'off' });
      await off.send({ payload: [7, 7] }, { payload: [0.5, 0] });
      assert.deepEqual(off.seen.errors, []);
      assert.deepEqual(
        off.seen.out.map((m) => m.cluster),
        [1, 0],
      );
      const [model] = await off.exported();
      assert.equal(model.n_samples_seen, 0, 'nothing learned');
      await helper.unload();
      const t = await start(TWO_CENTRES);
      await t.send({ payload: [7, 7], learn: false });
      assert.equal(t.seen.out[0].cluster, 1);
      assert.equal((await t.exported())[0].n_samples_seen, 0);
    });

    it('msg.learn = false clusters without moving the centres', async () => {
      const t = await start(TWO_CENTRES);
      await t.send({ payload: [1, 1] });
      const before = await t.exported();
      await t.send({ payload: [4, 4], learn: false });
      assert.equal(t.seen.out[1].cluster, 0);
      assertClose(
        t.seen.out[1].kmeans.distances,
        [Math.hypot(3.5, 3.5), Math.hypot(6, 6)],
        1e-12,
        'distances',
      );
      assert.deepEqual(await t.exported(), before);
    });

    it('learning "warmup" freezes the model once warmupSamples are learned', async () => {
      const t = await start({ k: 2, warmupSamples: 4, learning: 'warmup' });
      await t.send(
        {
          payload: [
            [0, 0],
            [0, 1],
            [10, 10],
            [10, 11],
            [50, 50],
          ],
        },
        { payload: [5, 5] },
      );
      const [model] = await t.exported();
      assert.equal(model.n_samples_seen, 4);
      assert.equal(t.seen.out.length, 2);
      assert.equal(t.seen.out[0].cluster.length, 5, 'the whole batch is clustered');
    });
  });

  describe('keys and models', () => {
    it('msg.reset forgets the model of its key; given centres start again', async () => {
      const t = await start({ ...TWO_CENTRES, keyProperty: 'topic' });
      await t.send(
        { topic: 'a', payload: [1, 0] },
        { topic: 'b', payload: [1, 0] },
        { topic: 'a', reset: true },
      );
      await t.exported();
      assert.deepEqual(
        t.seen.models.map((m) => m.topic),
        ['b'],
      );
      await t.send({ topic: 'a', payload: [2, 0] });
      const models = await t.exported();
      assert.deepEqual(models.at(-1).cluster_centers[0], [1, 0]);
    });

    it('export / import round trip via msg.model', async () => {
      const ref = iris.kmeans.fixed;
      const Y = iris.pca['2'].Y;
      const source = await start(givenFrom(iris));
      await source.send({ payload: Y });
      const [model] = await source.exported();
      await helper.unload();

      const t = await start({ learning: 'off' });
      await t.send({ model });
      assert.equal(t.seen.errors.length, 0, t.seen.errors.map((e) => e.error.message).join('\n'));
      assert.equal(t.seen.out.length, 0, 'a control-only message sends nothing');
      await t.send({ payload: Y });
      assert.deepEqual(t.seen.out[0].cluster, ref.labels);
      assertClose(t.seen.out[0].kmeans.distances, ref.distances, 1e-9, 'distances');
      assert.deepEqual(await t.exported(), [model]);
      await helper.unload();

      const more = await start();
      await more.send({ model, payload: Y[0] });
      const [continued] = await more.exported();
      assert.equal(continued.n_samples_seen, 151, 'a loaded model goes on learning');
      assert.equal(more.seen.out[0].cluster, ref.labels[0]);
    });

    it('a model warming up is exported with its buffer and can be loaded to go on', async () => {
      const Y = iris.pca['2'].Y;
      const source = await start({ warmupSamples: 20 });
      await source.send(...Y.slice(0, 10).map((row) => ({ payload: row })));
      const [model] = await source.exported();
      assert.equal(model.cluster_centers, null);
      assert.equal(model.warmup_samples.length, 10);
      await helper.unload();
      const t = await start({ warmupSamples: 20 });
      await t.send({ model }, { payload: Y.slice(10, 20) });
      assert.equal(t.seen.out.length, 1);
      assert.equal(t.seen.out[0].cluster.length, 10);
    });

    it('a model with another k is rejected: error to Catch, nothing changed', async () => {
      const source = await start(givenFrom(iris));
      await source.send({ payload: iris.pca['2'].Y });
      const [threeClusters] = await source.exported();
      await helper.unload();

      const t = await start(TWO_CENTRES);
      await t.send({ payload: [1, 1] });
      const before = await t.exported();
      await t.send({ model: threeClusters, payload: [2, 2] });
      assert.equal(t.seen.errors.length, 1);
      assert.match(t.seen.errors[0].error.message, /3 clusters but this node is set to k = 2/);
      assert.equal(t.seen.out.length, 1, 'nothing sent');
      assert.deepEqual(await t.exported(), before);
    });

    it('a model of other features than the given centres is rejected', async () => {
      const t = await start(TWO_CENTRES);
      const model = {
        type: 'ml-kmeans',
        version: 1,
        features: null,
        n_features_in: 3,
        n_samples_seen: 0,
        n_clusters: 2,
        cluster_centers: [
          [0, 0, 0],
          [1, 1, 1],
        ],
        counts: [0, 0],
      };
      await t.send({ model });
      assert.match(t.seen.errors[0].error.message, /3 features but the given centres .* have 2/);
    });

    it('with learning off, a model still warming up is rejected', async () => {
      const source = await start({ warmupSamples: 20 });
      await source.send({ payload: [1, 2] });
      const [warming] = await source.exported();
      await helper.unload();
      const t = await start({ learning: 'off' });
      await t.send({ model: warming });
      assert.match(t.seen.errors[0].error.message, /still warming up.*learning is off/);
    });
  });

  describe('warm-up', () => {
    it('the default warm-up is 10·k samples', async () => {
      const t = await start({ k: 2 });
      for (let i = 0; i < 20; i++) await t.send({ payload: [i % 2 ? 10 + i : i, 0] });
      assert.equal(t.seen.out.length, 1);
    });
  });

  describe('settings', () => {
    const badSettings = [
      [
        'centers not JSON',
        { init: 'given', centers: '[[0, 0], [1, 1]' },
        /setting "centers" is not valid JSON/,
      ],
      ['centers empty', { init: 'given', centers: '' }, /setting "centers" is empty.*k = 3/],
      [
        'centers not an array',
        { init: 'given', centers: '{"a": 1}' },
        /setting "centers" must be an array of k = 3 rows .*got an object/,
      ],
      [
        'too few centres',
        { init: 'given', centers: '[[0, 0], [1, 1]]' },
        /setting "centers" must be an array of k = 3 rows \(one centre each\) for init "given", got 2 rows/,
      ],
      [
        'a ragged centre',
        { k: 2, init: 'given', centers: '[[0, 0], [1]]' },
        /setting "centers\[1\]" must be an array of 2 numbers \(one per feature\), got an array of 1 item/,
      ],
      [
        'a bad value',
        { k: 2, init: 'given', centers: '[[0, 0], [1, "x"]]' },
        /setting "centers\[1\]\[1\]" must be a finite number, got "x"/,
      ],
      [
        'a row not an array',
        { k: 2, init: 'given', centers: '[[0, 0], 5]' },
        /setting "centers\[1\]" must be an array of 2 numbers \(one per feature\), got 5/,
      ],
      [
        'centres unlike Features',
        { k: 2, init: 'given', centers: '[[0, 0], [1, 1]]', features: 'a, b, c' },
        /setting "centers\[0\]" must be an array of 3 numbers .*\(Features: a, b, c\)/,
      ],
      ['clusters = 0', { clusters: 0 }, /setting "clusters" must be a whole number between 1 and 1000/],
      ['a legacy k = 0', { k: 0 }, /setting "k" must be a whole number between 1 and 1000/],
      ['k not a number', { k: 'three' }, /setting "k"/],
      ['an unknown init', { init: 'random' }, /setting "init" must be one of "kmeans\+\+", "given"/],
      ['restarts = 0', { restarts: 0 }, /setting "restarts"/],
      ['a fractional seed', { seed: 1.5 }, /setting "seed" must be a whole number/],
      [
        'warm-up below k',
        { k: 5, warmupSamples: 3 },
        /setting "warmupSamples" \(3\) must be at least k \(5\) and a whole number: k-means\+\+ picks/,
      ],
    ];
    for (const [what, settings, message] of badSettings) {
      it(`${what}: reported at start (red status) and on every message`, async () => {
        const t = await start(settings);
        const logged = t.errorsLogged();
        assert.ok(
          logged.some((m) => message.test(m)),
          logged.join('\n'),
        );
        assert.deepEqual(t.lastStatus(), {
          fill: 'red',
          shape: 'ring',
          text: 'config error',
        });
        await t.send({ payload: [1, 2] });
        assert.match(t.seen.errors[0].error.message, /configuration error: /);
        assert.match(t.seen.errors[0].error.message, message);
        assert.equal(t.seen.out.length, 0);
      });
    }

    it('centres are ignored when init is k-means++', async () => {
      const t = await start({ init: 'kmeans++', centers: 'not json' });
      assert.equal(t.errorsLogged().length, 0);
    });

    it('a hand-written flow may give centres as an array', async () => {
      const t = await start({ k: 2, init: 'given', centers: [[0], [10]] });
      await t.send({ payload: 8 });
      assert.equal(t.seen.out[0].cluster, 1);
    });
  });

  describe('bad samples', () => {
    it('a first sample of another dimension than the given centres', async () => {
      const t = await start(TWO_CENTRES);
      await t.send({ payload: [1, 2, 3] });
      assert.match(
        t.seen.errors[0].error.message,
        /msg\.payload has 3 features but the given centres .* have 2/,
      );
      assert.equal(t.seen.out.length, 0);
      await t.send({ payload: [1, 2] });
      assert.equal(t.seen.out.length, 1, 'the node goes on with good samples');
      const [model] = await t.exported();
      assert.equal(model.n_samples_seen, 1);
    });
  });

  describe('status', () => {
    it('warming up n/m, then k and n', async () => {
      const t = await start({ k: 2, warmupSamples: 4 });
      await t.send({ payload: [0, 0] }, { payload: [1, 1] });
      await eventually(() =>
        assert.deepEqual(t.lastStatus(), {
          fill: 'yellow',
          shape: 'dot',
          text: 'warming up 2/4',
        }),
      );
      await t.send({ payload: [9, 9] }, { payload: [10, 10] }, { payload: [11, 11] });
      await eventually(() =>
        assert.deepEqual(t.lastStatus(), { fill: 'green', shape: 'dot', text: 'k=2 n=5' }),
      );
    });

    it('given centres are ready at once', async () => {
      const t = await start({ ...givenFrom(iris) });
      await t.send({ payload: iris.pca['2'].Y });
      await eventually(() =>
        assert.deepEqual(t.lastStatus(), { fill: 'green', shape: 'dot', text: 'k=3 n=150' }),
      );
    });
  });
});
