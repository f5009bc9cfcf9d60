'use strict';
// The learner contract: one specification that every learner node (ml-standardize, ml-pca,
// ml-kmeans) meets, run against each through node-red-node-test-helper. Bad samples, control
// messages, keys and maxKeys, settings, warm-up, persistence across a redeploy, and export / load /
// peer; then the settings each learner bounds at deploy.
// What only one node does (its numbers, its own settings) stays in that node's test file.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper, useHelper, load, redeploy, eventually } = require('../../support/helper');

/**
 * Each learner with settings under which it behaves alike: two features, a warm-up of 4 samples,
 * and a model that transforms from the 4th sample on.
 */
const LEARNERS = [
  {
    type: 'ml-standardize',
    module: dist('nodes/ml-standardize/ml-standardize'),
    settings: {},
    /** Models that are JSON objects of this node's kind with one field broken. */
    broken: (model) => [[{ ...model, var: [1, 'x'] }, /var\[1\]/]],
  },
  {
    type: 'ml-pca',
    module: dist('nodes/ml-pca/ml-pca'),
    settings: { components: 1 },
    broken: (model) => [[{ ...model, mean: [1] }, /mean/]],
  },
  {
    type: 'ml-kmeans',
    module: dist('nodes/ml-kmeans/ml-kmeans'),
    settings: { k: 2 },
    broken: (model) => [
      [{ ...model, counts: [1, -1] }, /counts\[1\]/],
      [
        {
          ...model,
          cluster_centers: [
            [0, 0],
            [1, 'x'],
          ],
        },
        /cluster_centers/,
      ],
    ],
  },
];

const WARMUP = 4;
/** Two-feature samples, spread so that every learner has something to learn (two clear groups). */
const ROWS = [
  [1, 2],
  [9, 8],
  [2, 1],
  [8, 9],
  [1.5, 1.5],
  [9, 9.5],
  [0.5, 2.5],
  [10, 8.5],
];
const samples = (rows = ROWS) => rows.map((payload) => ({ payload }));

/** Control values that are not switches: each is an error naming the field and what it accepts. */
const BAD_SWITCHES = [
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

/** Every number in `value` (a model's JSON) is finite: nothing NaN or Infinity was stored. */
function assertFinite(value, path = 'model') {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${path} is ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => assertFinite(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertFinite(v, `${path}.${k}`);
  }
}

for (const learner of LEARNERS) {
  const { type } = learner;
  const start = (settings = {}) =>
    load(learner.module, type, { warmupSamples: WARMUP, ...learner.settings, ...settings });
  /** A node whose model has learned the warm-up and transforms. */
  const warmed = async (settings) => {
    const t = await start(settings);
    await t.send(...samples(ROWS.slice(0, WARMUP)));
    assert.equal(t.seen.out.length, 1, 'the model transforms from the end of the warm-up');
    return t;
  };

  describe(`learner contract: ${type}`, () => {
    useHelper();

    describe('bad samples: a clear error to Catch, nothing sent, the model untouched', () => {
      const badSamples = [
        ['a string', '21.5', /is a string \("21\.5"\).*parsed JSON/],
        ['NaN', [1, NaN], /msg\.payload\[1\] is NaN.*finite/],
        ['Infinity', [Infinity, 1], /msg\.payload\[0\] is Infinity/],
        ['-Infinity', [1, -Infinity], /msg\.payload\[1\] is -Infinity/],
        ['null', null, /msg\.payload is null/],
        ['a missing payload', undefined, /msg\.payload is missing/],
        ['a wrong length', [1, 2, 3], /has 3 features but this model has 2/],
        ['an empty batch', [], /empty array/],
        ['a ragged batch', [[1, 2], [3]], /msg\.payload\[1\] has 1 values but msg\.payload\[0\] has 2/],
        [
          'a bad row in a batch',
          [
            [1, 2],
            [3, 'x'],
          ],
          /msg\.payload\[1\]\[1\] is a string/,
        ],
        ['a batch of the wrong length', [[1, 2, 3]], /has 3 features but this model has 2/],
        ['an object for an array model', { a: 1, b: 2 }, /learned from unnamed features/],
        ['a Buffer', Buffer.from('1,2'), /Buffer/],
        ['a boolean', true, /a boolean/],
      ];
      for (const [what, payload, message] of badSamples) {
        it(`${what}`, async () => {
          const t = await warmed();
          const before = await t.exported();
          assertFinite(before);
          await t.send({ payload });
          assert.equal(t.seen.errors.length, 1);
          assert.match(t.seen.errors[0].error.message, message);
          assert.equal(t.seen.out.length, 1, 'nothing sent');
          assert.deepEqual(await t.exported(), before);
          assert.deepEqual(t.lastStatus(), {
            fill: 'red',
            shape: 'ring',
            text: 'bad sample',
          });
        });
      }

      it('a bad sample while warming up leaves the warm-up as it was', async () => {
        const t = await start();
        await t.send({ payload: [1, 2] });
        const before = await t.exported();
        await t.send({
          payload: [
            [1, 2],
            [3, NaN],
          ],
        });
        assert.match(t.seen.errors[0].error.message, /msg\.payload\[1\]\[1\] is NaN/);
        assert.deepEqual(await t.exported(), before);
      });

      it('a missing or null field of a named model', async () => {
        const t = await start();
        await t.send(...ROWS.slice(0, WARMUP).map(([temp, hum]) => ({ payload: { temp, hum } })));
        const before = await t.exported();
        await t.send({ payload: { temp: 21 } });
        assert.match(t.seen.errors[0].error.message, /no field "hum".*temp, hum/);
        await t.send({ payload: { temp: 21, hum: null } });
        assert.match(t.seen.errors[1].error.message, /msg\.payload\.hum is null/);
        assert.deepEqual(await t.exported(), before);
      });

      it('__proto__ and constructor never become features', async () => {
        const t = await start();
        await t.send({ payload: JSON.parse('{"__proto__": 1, "a": 2}') });
        assert.match(t.seen.errors[0].error.message, /"__proto__", which cannot be a feature name/);
        await t.send({ payload: { constructor: 1, a: 2 } });
        assert.match(t.seen.errors[1].error.message, /"constructor", which cannot be a feature name/);
        assert.equal({}.a, undefined);
        assert.deepEqual(t.seen.models, [], 'no model was made');
      });
    });

    describe('control messages', () => {
      it('msg.reset forgets the key of the message only, or every key', async () => {
        const t = await start({ keyProperty: 'topic' });
        await t.send(
          { topic: 'a', payload: [1, 2] },
          { topic: 'b', payload: [1, 2] },
          { topic: 'a', reset: true },
        );
        await t.exported();
        assert.deepEqual(
          t.seen.models.map((m) => m.topic),
          ['b'],
        );
        await t.send({ reset: true });
        assert.deepEqual(await t.exported(), [], 'nothing left to export');
        assert.match(t.warnings().at(-1), /nothing to export: no model has been learned or loaded yet/);
        assert.equal(t.seen.out.length, 0, 'control-only messages send nothing on output 1');
        assert.equal(t.seen.errors.length, 0);
      });

      it('msg.reset with a sample resets first, then learns the sample', async () => {
        const t = await warmed();
        await t.send({ payload: [5, 5], reset: true });
        const [model] = await t.exported();
        assert.equal(model.n_samples_seen, 1);
      });

      it('msg.learn = false transforms without learning', async () => {
        const t = await warmed();
        const before = await t.exported();
        await t.send({ payload: [5, 5], learn: false }, { payload: [5, 5], learn: 'false' });
        assert.equal(t.seen.out.length, 3, 'both transformed');
        assert.deepEqual(t.seen.out[1].payload, t.seen.out[2].payload);
        assert.deepEqual(await t.exported(), before);
      });

      it('"false" and "true" are read as booleans: learn "false" does not learn, reset "true" resets', async () => {
        const t = await warmed();
        await t.send({ payload: [5, 5], learn: 'false' });
        let [model] = await t.exported();
        assert.equal(model.n_samples_seen, WARMUP, 'learn "false" was not learned');
        await t.send({ payload: [5, 5], learn: 'true' });
        [model] = await t.exported();
        assert.equal(model.n_samples_seen, WARMUP + 1);
        await t.send({ reset: 'true' });
        assert.deepEqual(t.seen.errors, [], 'a control-only {reset: "true"} is consumed');
        const before = t.seen.models.length;
        await t.send({ export: 'true' });
        assert.equal(t.seen.models.length, before, 'nothing left to export after reset "true"');
      });

      for (const [field, value] of BAD_SWITCHES) {
        it(`msg.${field} = ${JSON.stringify(value)} is an error naming the field and what it accepts; nothing changes`, async () => {
          const t = await warmed();
          const before = await t.exported();
          const out = t.seen.out.length;
          await t.send({ payload: [5, 5], [field]: value });
          assert.equal(t.seen.errors.length, 1);
          const message = t.seen.errors[0].error.message;
          const allowed =
            field === 'export' ? 'true, false, "true", "false" or "own"' : 'true, false, "true" or "false"';
          assert.ok(message.includes(`msg.${field} must be ${allowed}, got `), message);
          assert.equal(t.seen.out.length, out, 'nothing sent');
          assert.deepEqual(await t.exported(), before, 'nothing learned');
        });
      }

      it('export "own" and false are accepted; a control-only message never says msg.payload is missing', async () => {
        const t = await warmed();
        await t.send({ export: 'own' }, { export: false }, { learn: false }, { reset: false });
        assert.deepEqual(t.seen.errors, []);
        assert.equal(t.seen.models.length, 1);
      });

      it('a control value that is not a switch is an error naming it; nothing changes', async () => {
        const t = await warmed();
        const before = await t.exported();
        await t.send({ payload: [5, 5], reset: 'yes' }, { learn: 0 }, { export: 'mine' });
        assert.equal(t.seen.errors.length, 3);
        ['msg.reset', 'msg.learn', 'msg.export'].forEach((field, i) =>
          assert.match(
            t.seen.errors[i].error.message,
            new RegExp(`${field.replace('.', '\\.')} must be true, false`),
          ),
        );
        assert.match(t.seen.errors[2].error.message, /or "own", got "mine"/);
        assert.deepEqual(await t.exported(), before);
      });

      it('msg.peer needs a msg.model, and a non-empty name', async () => {
        const t = await warmed();
        const [model] = await t.exported();
        await t.send({ peer: 'other' }, { model, peer: '' });
        assert.match(
          t.seen.errors[0].error.message,
          /msg\.peer names the instance of a model, but the message has no msg\.model/,
        );
        assert.match(t.seen.errors[1].error.message, /msg\.peer must be the non-empty id/);
      });

      it('with learning off and no model, a sample is an error that says to load one', async () => {
        const t = await start({ learning: 'off' });
        await t.send({ payload: [1, 2] });
        assert.match(t.seen.errors[0].error.message, /learning is off.*send a msg\.model first/);
        assert.deepEqual(t.lastStatus(), { fill: 'red', shape: 'ring', text: 'error' });
        assert.deepEqual(await t.exported(), []);
      });
    });

    describe('keys and maxKeys', () => {
      it('keeps one model per key', async () => {
        const t = await start({ keyProperty: 'topic' });
        await t.send(...ROWS.map((payload, i) => ({ topic: i < 5 ? 'a' : 'b', payload })), {
          topic: 7,
          payload: [1, 1],
        });
        const models = await t.exported();
        assert.deepEqual(
          t.seen.models.map((m) => m.topic),
          ['a', 'b', '7'],
        );
        assert.deepEqual(
          models.map((m) => m.n_samples_seen),
          [5, 3, 1],
        );
        assert.equal(t.seen.out.length, 2, 'only key "a" finished its warm-up');
        await eventually(() => assert.equal(t.lastStatus().text, '3 keys, n=9'));
      });

      it('evicts the least recently used key beyond maxKeys, with a warning naming it', async () => {
        const t = await start({ keyProperty: 'topic', maxKeys: 2 });
        await t.send(
          { topic: 'a', payload: [1, 2] },
          { topic: 'b', payload: [1, 2] },
          { topic: 'a', payload: [3, 4] },
        );
        await t.send({ topic: 'c', payload: [1, 2] });
        await t.exported();
        assert.deepEqual(
          t.seen.models.map((m) => m.topic),
          ['a', 'c'],
        );
        assert.ok(
          t
            .warnings()
            .some((w) => /dropped the model of key "b", the least recently used: maxKeys \(2\)/.test(w)),
          t.warnings().join('\n'),
        );
      });

      it('evicting many keys gives one warning per burst, with a count', async () => {
        const t = await start({ keyProperty: 'topic', maxKeys: 1 });
        await t.send(...Array.from({ length: 200 }, (_, i) => ({ topic: `t${i}`, payload: [i, i] })));
        const warned = t.warnings().filter((w) => /dropped/.test(w));
        assert.equal(warned.length, 1, `${warned.length} warnings`);
        assert.match(
          warned[0],
          /dropped the model of key "t0", the least recently used: maxKeys \(1\) reached/,
        );
        // Closing writes the summary of the rest of the burst.
        await t.node.close(false);
        const summary = t.warnings().filter((w) => /dropped/.test(w));
        assert.equal(summary.length, 2);
        assert.match(summary[1], /dropped 198 more least recently used models \(the latest: key "t198"\)/);
      });

      it('a sample or a model without its key is an error; a key must be a string or a number', async () => {
        const source = await warmed();
        const [model] = await source.exported();
        await helper.unload();
        const t = await start({ keyProperty: 'topic' });
        await t.send({ payload: [1, 2] }, { model }, { topic: { a: 1 }, payload: [1, 2] });
        assert.equal(t.seen.errors.length, 3);
        assert.match(
          t.seen.errors[0].error.message,
          /msg\.topic is missing: this node keeps one model per msg\.topic/,
        );
        assert.match(t.seen.errors[1].error.message, /msg\.topic is missing/);
        assert.match(
          t.seen.errors[2].error.message,
          /msg\.topic must be a string or a number to pick a model, got object/,
        );
        assert.deepEqual(await t.exported(), []);
      });
    });

    describe('settings', () => {
      it('an empty store, and the default store name, are fine', async () => {
        for (const store of ['', ' ', 'memory']) {
          const t = await start({ store });
          await t.send({ payload: [1, 2] });
          assert.deepEqual(t.seen.errors, [], `store ${JSON.stringify(store)}`);
          await helper.unload();
        }
      });
    });

    describe('warm-up', () => {
      it('drops messages until warmupSamples are seen; every message completes', async () => {
        const t = await start();
        await t.send(...samples());
        assert.equal(t.seen.out.length, ROWS.length - WARMUP + 1);
        assert.equal(t.seen.completed.length, ROWS.length);
      });

      it('whileWarmingUp "pass" passes them on unchanged with msg.ready = false', async () => {
        const t = await start({ whileWarmingUp: 'pass' });
        await t.send(...samples(ROWS.slice(0, WARMUP)));
        assert.deepEqual(
          t.seen.out.map((m) => m.ready),
          [false, false, false, undefined],
        );
        assert.deepEqual(
          t.seen.out.slice(0, 3).map((m) => m.payload),
          ROWS.slice(0, 3),
        );
      });

      it('shows the warm-up in its status, yellow, then a green status', async () => {
        const t = await start();
        await eventually(() =>
          assert.deepEqual(t.lastStatus(), { fill: 'yellow', shape: 'dot', text: `warming up 0/${WARMUP}` }),
        );
        await t.send(...samples(ROWS.slice(0, 2)));
        await eventually(() =>
          assert.deepEqual(t.lastStatus(), { fill: 'yellow', shape: 'dot', text: `warming up 2/${WARMUP}` }),
        );
        await t.send(...samples(ROWS.slice(2, WARMUP)));
        await eventually(() => assert.equal(t.lastStatus().fill, 'green'));
      });

      it('learning "warmup" freezes the model after warmupSamples', async () => {
        const t = await start({ learning: 'warmup' });
        await t.send(...samples());
        const [model] = await t.exported();
        assert.equal(model.n_samples_seen, WARMUP);
        assert.equal(t.seen.out.length, ROWS.length - WARMUP + 1);
      });
    });

    describe('persistence', () => {
      it('a redeploy restores every key from the node context, each key in an entry of its own', async () => {
        // Node-RED keeps a node's context across a redeploy only when a context store is
        // configured (without one it deletes it as the node closes), so this flow has one.
        helper.settings({ contextStorage: { default: { module: 'memory' } } });
        try {
          await start({ keyProperty: 'topic' });
          await helper._redNodes.loadContextsPlugin();
          const t = await redeploy();
          await t.send(...ROWS.map((payload, i) => ({ topic: i % 2 ? 'odd' : 'even', payload })));
          const before = await t.exported();
          await eventually(() =>
            assert.deepEqual(t.node.context().keys().sort(), ['model:even', 'model:odd']),
          );

          const u = await redeploy();
          assert.notEqual(u.node, t.node, 'a new node');
          assert.deepEqual(await u.exported(), before);
          await u.send({ topic: 'odd', payload: [5, 5] });
          assert.equal(u.seen.out.length, 1, 'the restored model transforms without a new warm-up');
          assert.deepEqual(u.warnings(), []);
        } finally {
          helper.settings({});
        }
      });

      it('a removed node deletes every context entry it wrote', async () => {
        const t = await start({ keyProperty: 'topic' });
        await t.send(
          { topic: 'a', payload: [1, 2] },
          { topic: '__proto__', payload: [1, 2] },
          { topic: 'b.c', payload: [1, 2] },
        );
        const context = t.node.context();
        await eventually(() =>
          assert.deepEqual(context.keys().sort(), ['model:__proto__', 'model:a', 'model:b%2ec'].sort()),
        );
        await t.node.close(true);
        assert.deepEqual(context.keys(), []);
      });
    });

    describe('export, load and peers', () => {
      it('an exported model loads into a node that does not learn, and transforms alike', async () => {
        const source = await warmed();
        await source.send({ payload: [5, 5], learn: false });
        const [model] = await source.exported();
        const expected = source.seen.out[1];
        await helper.unload();

        const t = await start({ learning: 'off' });
        await t.send({ model }, { payload: [5, 5] });
        assert.deepEqual(t.seen.out[0].payload, expected.payload);
        assert.deepEqual(await t.exported(), [model]);
      });

      it('a peer model is combined with the own one; republishing replaces it; export "own" leaves it out', async () => {
        const t = await warmed();
        const [own] = await t.exported();
        await t.send({ model: own, peer: 'instance-2' }, { model: own, peer: 'instance-2' });
        const [combined] = await t.exported();
        assert.equal(combined.n_samples_seen, 2 * WARMUP, 'a republished peer model replaces, never adds');
        assertFinite(combined);
        await t.send({ export: 'own' });
        assert.deepEqual(t.seen.models.at(-1).payload, own);
      });

      it('a peer model of other features is an error and changes nothing', async () => {
        const other = await start();
        await other.send(...ROWS.slice(0, WARMUP).map(([a, b]) => ({ payload: [a, b, a * b] })));
        const [wide] = await other.exported();
        await helper.unload();
        const t = await warmed();
        const before = await t.exported();
        await t.send({ model: wide, peer: 'instance-2' });
        assert.match(t.seen.errors[0].error.message, /3 unnamed\) differ from .*\(2 unnamed\)/);
        assert.deepEqual(await t.exported(), before);
      });

      it('a bad msg.model is an error and changes nothing, nor learns the sample beside it', async () => {
        const t = await warmed();
        const before = await t.exported();
        const bad = [
          [{ ...before[0], type: 'ml-other' }, /type is "ml-other"/],
          ['not a model', /JSON object/],
          ...learner.broken(before[0]),
        ];
        for (const [model, message] of bad) {
          await t.send({ model, payload: [5, 6] });
          assert.match(t.seen.errors.at(-1).error.message, message);
        }
        assert.deepEqual(await t.exported(), before);
        assert.equal(t.seen.out.length, 1);
        assert.deepEqual(t.lastStatus(), { fill: 'red', shape: 'ring', text: 'bad model' });
      });

      it('a model of other features than the Features setting is rejected', async () => {
        const source = await warmed();
        const [model] = await source.exported();
        await helper.unload();
        const t = await start({ features: 'x, y' });
        await t.send({ model });
        assert.match(
          t.seen.errors[0].error.message,
          /features \(2 unnamed\) are not the node's Features \(x, y\)/,
        );
        assert.deepEqual(await t.exported(), []);
      });
    });
  });
}

/** Settings each learner checks at deploy: a red status, and every message fails with the error. */
describe('learner contract: settings', () => {
  const modules = Object.fromEntries(LEARNERS.map((learner) => [learner.type, learner.module]));
  const start = (type, settings) => load(modules[type], type, settings);
  useHelper();

  describe('settings bounded at deploy', () => {
    const cases = [
      ['ml-standardize', { maxKeys: 1e12 }, /setting "maxKeys" must be a whole number between 1 and 1000000/],
      ['ml-standardize', { warmupSamples: 1e12 }, /setting "warmupSamples" must be a whole number between 1/],
      ['ml-standardize', { halfLife: 1e300 }, /setting "halfLife" must be a number between 0 and/],
      ['ml-standardize', { store: 'nosuch' }, /setting "store" names the context store "nosuch", which/],
      ['ml-standardize', { property: 'a..b' }, /setting "property" is not a valid msg property/],
      ['ml-standardize', { keyProperty: 'x[' }, /setting "keyProperty" is not a valid msg property/],
      // Quoted parts name the same properties (D14 of the audit).
      [
        'ml-pca',
        { property: "payload['__proto__']" },
        /setting "property" cannot name "payload\['__proto__'\]"/,
      ],
      ['ml-standardize', { keyProperty: 'topic["constructor"]' }, /setting "keyProperty" cannot name/],
      // Names that would shadow Object.prototype's methods on the objects sent on (D18).
      ['ml-kmeans', { features: 'a, toString' }, /"toString" cannot be a feature name/],
      ['ml-standardize', { features: 'valueOf, b' }, /"valueOf" cannot be a feature name/],
      ['ml-pca', { components: 5, features: 'a, b, c' }, /"components" is 5 but Features lists 3/],
      ['ml-pca', { components: 0 }, /setting "components" must be a whole number of components/],
      ['ml-pca', { refitEvery: 1e12 }, /setting "refitEvery" must be a whole number between 1 and/],
      ['ml-pca', { confidence: 2 }, /setting "confidence"/],
      ['ml-kmeans', { clusters: 1e6 }, /setting "clusters" must be a whole number between 1 and 1000/],
      ['ml-kmeans', { k: 1e6 }, /setting "k" must be a whole number between 1 and 1000/],
      ['ml-kmeans', { restarts: 1e6 }, /setting "restarts" must be a whole number between 1 and 100/],
      ['ml-kmeans', { k: 5, warmupSamples: 3 }, /"warmupSamples" \(3\) must be at least k \(5\)/],
      ['ml-pca', { maxDimension: 5000 }, /setting "maxDimension" must be a whole number between 1 and 160/],
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
        await t.send({ payload: [1, 2, 3] }, { payload: [1, 2, 3] });
        assert.equal(t.seen.errors.length, 2);
        for (const { error } of t.seen.errors) assert.match(error.message, message);
        assert.equal(t.seen.out.length, 0);
      });
    }
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
});
