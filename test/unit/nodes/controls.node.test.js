'use strict';
// What the three learners share, through node-red-node-test-helper: control values (msg.reset,
// msg.learn, msg.export), settings bounded at deploy, one eviction warning per burst, and the
// context entries a removed node leaves behind.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper, load } = require('../../support/helper');

const nodes = {
  'ml-standardize': dist('nodes/ml-standardize/ml-standardize'),
  'ml-pca': dist('nodes/ml-pca/ml-pca'),
  'ml-kmeans': dist('nodes/ml-kmeans/ml-kmeans'),
};
const start = (type, settings) => load(nodes[type], type, settings);

describe('learner nodes: controls, settings, warnings', () => {
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
  });

  describe('control values', () => {
    it('"false" and "true" are read as booleans: learn "false" does not learn, reset "true" resets', async () => {
      const t = await start('ml-standardize', { warmupSamples: 1 });
      await t.send({ payload: 1 }, { payload: 3 }, { payload: 100, learn: 'false' });
      let [model] = await t.exported();
      assert.equal(model.n_samples_seen, 2, 'learn "false" was not learned');
      await t.send({ payload: 5, learn: 'true' });
      [model] = await t.exported();
      assert.equal(model.n_samples_seen, 3);
      await t.send({ reset: 'true' });
      assert.deepEqual(t.seen.errors, [], 'a control-only {reset: "true"} is consumed');
      const before = t.seen.models.length;
      await t.send({ export: 'true' });
      assert.equal(t.seen.models.length, before, 'nothing left to export after reset "true"');
    });

    const bad = [
      ['learn', 0],
      ['learn', null],
      ['learn', 'yes'],
      ['learn', {}],
      ['reset', 1],
      ['reset', 'TRUE'],
      ['reset', []],
      ['export', 'all'],
      ['export', 0],
    ];
    for (const [field, value] of bad) {
      it(`msg.${field} = ${JSON.stringify(value)} is an error naming the field and what it accepts; nothing changes`, async () => {
        const t = await start('ml-standardize', { warmupSamples: 1 });
        await t.send({ payload: 1 }, { payload: 3 });
        const out = t.seen.out.length;
        await t.send({ payload: 100, [field]: value });
        assert.equal(t.seen.errors.length, 1);
        const message = t.seen.errors[0].error.message;
        const allowed =
          field === 'export' ? 'true, false, "true", "false" or "own"' : 'true, false, "true" or "false"';
        assert.ok(message.includes(`msg.${field} must be ${allowed}, got `), message);
        assert.equal(t.seen.out.length, out, 'nothing sent');
        const [model] = await t.exported();
        assert.equal(model.n_samples_seen, 2, 'nothing learned');
      });
    }

    it('export "own" and false are accepted; a control-only message never says msg.payload is missing', async () => {
      const t = await start('ml-standardize', { warmupSamples: 1 });
      await t.send({ payload: 1 }, { export: 'own' }, { export: false }, { learn: false }, { reset: false });
      assert.deepEqual(t.seen.errors, []);
      assert.equal(t.seen.models.length, 1);
    });
  });

  describe('settings bounded at deploy', () => {
    const cases = [
      ['ml-standardize', { maxKeys: 1e12 }, /setting "maxKeys" must be a whole number between 1 and 1000000/],
      ['ml-standardize', { warmupSamples: 1e12 }, /setting "warmupSamples" must be a whole number between 1/],
      ['ml-standardize', { halfLife: 1e300 }, /setting "halfLife" must be a number between 0 and/],
      ['ml-standardize', { store: 'nosuch' }, /setting "store" names the context store "nosuch", which/],
      ['ml-standardize', { property: 'a..b' }, /setting "property" is not a valid msg property/],
      ['ml-standardize', { keyProperty: 'x[' }, /setting "keyProperty" is not a valid msg property/],
      ['ml-pca', { components: 5, features: 'a, b, c' }, /"components" is 5 but Features lists 3/],
      ['ml-pca', { components: 0 }, /setting "components" must be a whole number of components/],
      ['ml-pca', { refitEvery: 1e12 }, /setting "refitEvery" must be a whole number between 1 and/],
      ['ml-pca', { confidence: 2 }, /setting "confidence"/],
      ['ml-kmeans', { clusters: 1e6 }, /setting "clusters" must be a whole number between 1 and 1000/],
      ['ml-kmeans', { k: 1e6 }, /setting "k" must be a whole number between 1 and 1000/],
      ['ml-kmeans', { restarts: 1e6 }, /setting "restarts" must be a whole number between 1 and 100/],
      ['ml-kmeans', { k: 5, warmupSamples: 3 }, /"warmupSamples" \(3\) must be at least k \(5\)/],
      ['ml-pca', { maxDimension: 5000 }, /setting "maxDimension" must be a whole number between 1 and 1024/],
      ['ml-standardize', { maxDimension: 0 }, /setting "maxDimension" must be a whole number between 1 and/],
      [
        'ml-pca',
        { maxDimension: 4, components: 5 },
        /"components" is 5 but samples may have at most maxDimension = 4/,
      ],
      [
        'ml-kmeans',
        { maxDimension: 2, features: 'a, b, c' },
        /Features lists 3 names, more than maxDimension \(2\)/,
      ],
    ];
    for (const [type, settings, message] of cases) {
      it(`${type} ${JSON.stringify(settings)}: red status, and every message fails with the same error`, async () => {
        const t = await start(type, settings);
        const logged = t.node.error.args.map((a) => String(a[0]));
        assert.ok(
          logged.some((m) => message.test(m)),
          logged.join('\n'),
        );
        assert.deepEqual(t.node.status.lastCall.args[0], {
          fill: 'red',
          shape: 'ring',
          text: 'config error',
        });
        await t.send({ payload: [1, 2, 3] }, { payload: [1, 2, 3] });
        assert.equal(t.seen.errors.length, 2);
        for (const { error } of t.seen.errors) assert.match(error.message, message);
        assert.equal(t.seen.out.length, 0);
      });
    }

    it('an empty store, and the default store name, are fine', async () => {
      for (const store of ['', ' ', 'memory']) {
        const t = await start('ml-standardize', { store, warmupSamples: 1 });
        await t.send({ payload: 1 });
        assert.deepEqual(t.seen.errors, [], `store ${JSON.stringify(store)}`);
        await helper.unload();
      }
    });
  });

  describe('maxDimension', () => {
    it('PCA takes at most 128 features by default: a wider sample is a clear error, nothing learned', async () => {
      const t = await start('ml-pca');
      await t.send({ payload: [new Array(129).fill(1), new Array(129).fill(2)] });
      assert.equal(t.seen.errors.length, 1);
      assert.match(t.seen.errors[0].error.message, /129/);
      assert.match(t.seen.errors[0].error.message, /maxDimension/);
      assert.equal(t.seen.out.length, 0);
      await t.send({ export: true });
      assert.equal(t.seen.models.length, 0, 'no model was made');
    });

    it('the setting raises or lowers the bound', async () => {
      const t = await start('ml-standardize', { maxDimension: 3, warmupSamples: 1 });
      await t.send({ payload: [1, 2, 3] }, { reset: true }, { payload: [1, 2, 3, 4] });
      assert.equal(t.seen.out.length, 1);
      assert.equal(t.seen.errors.length, 1);
      assert.match(t.seen.errors[0].error.message, /maxDimension/);
    });
  });

  it('evicting many keys gives one warning per burst, with a count', async () => {
    const t = await start('ml-standardize', { warmupSamples: 1, keyProperty: 'topic', maxKeys: 1 });
    await t.send(...Array.from({ length: 200 }, (_, i) => ({ topic: `t${i}`, payload: i })));
    const warned = t.node.warn.args.map((a) => String(a[0])).filter((w) => /dropped/.test(w));
    assert.equal(warned.length, 1, `${warned.length} warnings`);
    assert.match(warned[0], /dropped the model of key "t0", the least recently used: maxKeys \(1\) reached/);
    // Closing writes the summary of the rest of the burst.
    await t.node.close(false);
    const summary = t.node.warn.args.map((a) => String(a[0])).filter((w) => /dropped/.test(w));
    assert.equal(summary.length, 2);
    assert.match(summary[1], /dropped 198 more least recently used models \(the latest: key "t198"\)/);
  });

  it('a removed node deletes every context entry it wrote', async () => {
    const t = await start('ml-standardize', { warmupSamples: 1, keyProperty: 'topic' });
    await t.send(
      { topic: 'a', payload: 1 },
      { topic: '__proto__', payload: 2 },
      { topic: 'b.c', payload: 3 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const context = t.node.context();
    assert.deepEqual(context.keys().sort(), ['model:__proto__', 'model:a', 'model:b%2ec'].sort());
    await t.node.close(true);
    assert.deepEqual(context.keys(), []);
  });
});
