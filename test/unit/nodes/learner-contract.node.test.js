'use strict';
// The learner contract: one specification that every learner node (ml-standardize, ml-pca,
// ml-kmeans) meets, run against each through node-red-node-test-helper. Bad samples, control
// messages, keys and maxKeys, warm-up, persistence across a redeploy, and export / load / peer.
// What only one node does (its numbers, its own settings) stays in that node's test file.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper, load } = require('../../support/helper');

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

/** Every number in `value` (a model's JSON) is finite: nothing NaN or Infinity was stored. */
function assertFinite(value, path = 'model') {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${path} is ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => assertFinite(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertFinite(v, `${path}.${k}`);
  }
}

const warnings = (t) => t.node.warn.args.map((args) => String(args[0]));
const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries `check` (which asserts) until it passes, for what a timer does: the status line redraws
 * a quarter of a second after a message, models are saved within a second. The last failure is
 * thrown after `ms`.
 */
async function eventually(check, ms = 5000) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await settle(50);
    }
  }
}
const lastStatus = (t) => t.node.status.lastCall.args[0];

/** What the driver of `load` offers, for the nodes of a flow that was redeployed. */
function attach(node) {
  const seen = { out: [], models: [], errors: [], completed: [] };
  for (const id of Object.keys(seen)) helper.getNode(id).on('input', (msg) => seen[id].push(msg));
  return {
    node,
    seen,
    async send(...msgs) {
      const count = seen.errors.length + seen.completed.length + msgs.length;
      for (const msg of msgs) node.receive(msg);
      while (seen.errors.length + seen.completed.length < count) await settle(5);
      return seen;
    },
    async exported() {
      const before = seen.models.length;
      await this.send({ export: true });
      return seen.models.slice(before).map((msg) => msg.payload);
    },
  };
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
    beforeEach(function (done) {
      helper.startServer(done);
    });
    afterEach(async () => {
      await helper.unload();
      await new Promise((resolve) => helper.stopServer(resolve));
    });

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
          assert.deepEqual(t.node.status.lastCall.args[0], {
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
        assert.match(warnings(t).at(-1), /nothing to export: no model has been learned or loaded yet/);
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
        assert.deepEqual(t.node.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'error' });
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
        await eventually(() => assert.equal(lastStatus(t).text, '3 keys, n=9'));
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
          warnings(t).some((w) =>
            /dropped the model of key "b", the least recently used: maxKeys \(2\)/.test(w),
          ),
          warnings(t).join('\n'),
        );
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
          assert.deepEqual(lastStatus(t), { fill: 'yellow', shape: 'dot', text: `warming up 0/${WARMUP}` }),
        );
        await t.send(...samples(ROWS.slice(0, 2)));
        await eventually(() =>
          assert.deepEqual(lastStatus(t), { fill: 'yellow', shape: 'dot', text: `warming up 2/${WARMUP}` }),
        );
        await t.send(...samples(ROWS.slice(2, WARMUP)));
        await eventually(() => assert.equal(lastStatus(t).fill, 'green'));
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
          const flow = helper._redNodes.getFlows().flows;
          await helper.setFlows(flow, 'full');
          const t = attach(helper.getNode('n1'));
          await t.send(...ROWS.map((payload, i) => ({ topic: i % 2 ? 'odd' : 'even', payload })));
          const before = await t.exported();
          await eventually(() =>
            assert.deepEqual(t.node.context().keys().sort(), ['model:even', 'model:odd']),
          );

          await helper.setFlows(flow, 'full');
          const u = attach(helper.getNode('n1'));
          assert.notEqual(u.node, t.node, 'a new node');
          assert.deepEqual(await u.exported(), before);
          await u.send({ topic: 'odd', payload: [5, 5] });
          assert.equal(u.seen.out.length, 1, 'the restored model transforms without a new warm-up');
          assert.deepEqual(warnings(u), []);
        } finally {
          helper.settings({});
        }
      });

      it('a removed node deletes every context entry it wrote', async () => {
        const t = await start({ keyProperty: 'topic' });
        await t.send({ topic: 'a', payload: [1, 2] }, { topic: '__proto__', payload: [1, 2] });
        const context = t.node.context();
        await eventually(() => assert.deepEqual(context.keys().sort(), ['model:__proto__', 'model:a']));
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
        assert.deepEqual(t.node.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'bad model' });
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
