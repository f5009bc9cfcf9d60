'use strict';
// The modules of nodes/shared on their own: settings, msg properties and control messages, the
// burst report, the status line and the input handler, messages and locales, the model store,
// saved models and persistence. Where a part needs Node-RED (a node, RED.util, a context, the
// i18n catalog) it is the real one, through node-red-node-test-helper or @node-red/util.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const dist = require('../../support/dist');
const { helper } = require('../../support/helper');

const settings = dist('nodes/shared/settings');
const message = dist('nodes/shared/message');
const { readControl } = dist('nodes/shared/control');
const { BurstReport } = dist('nodes/shared/throttle');
const { StatusLine, handleInput } = dist('nodes/shared/status');
const i18n = dist('nodes/shared/i18n');
const { ModelStore, evictionReport } = dist('nodes/shared/learner/model-store');
const { restoreEntries, saveEntry, listProblems } = dist('nodes/shared/learner/saved-models');
const { ModelPersistence } = dist('nodes/shared/learner/persistence');
const { readLearnerSettings, checkFinite, NonFiniteError } = dist('nodes/shared/learner/learner-node');
const { featuresMisfit } = dist('nodes/shared/learner/learner-settings');
const { Standardizer } = dist('lib/standardize');
const { SampleError, ModelError } = dist('lib/errors');

const english = i18n.englishOf('ml-standardize');

/** A model the store can hold: a count that merges by adding. */
const counted = (samplesSeen) => ({ samplesSeen });
const add = (a, b) => counted(a.samplesSeen + b.samplesSeen);

/** Loads a flow of one helper node and returns it with the RED the runtime gives node modules. */
async function realNode() {
  let RED;
  await helper.load(
    (red) => {
      RED = red;
    },
    [{ id: 'n', type: 'helper', name: 'probe' }],
  );
  return { node: helper.getNode('n'), RED };
}

describe('nodes/shared', () => {
  describe('settings', () => {
    it('a blank setting is its default; a number is read from a string', () => {
      for (const blank of [undefined, null, '', '  ']) assert.equal(settings.numberSetting(blank, 'x', 7), 7);
      assert.equal(settings.numberSetting(' 5 ', 'x', 7, { min: 1, max: 10, integer: true }), 5);
      assert.equal(settings.optionalNumberSetting('', 'x'), undefined);
      assert.equal(settings.choiceSetting('', 'mode', ['a', 'b']), 'a');
      assert.equal(settings.booleanSetting('false', 'flag', true), false);
      assert.equal(settings.booleanSetting(undefined, 'flag', true), true);
    });

    it('a setting out of bounds is a SettingError that names it, the bounds and the value', () => {
      const cases = [
        [
          () => settings.numberSetting('11', 'maxKeys', 1, { min: 1, max: 10, integer: true }),
          /"maxKeys" must be a whole number between 1 and 10, got "11"/,
        ],
        [
          () => settings.numberSetting(1.5, 'k', 1, { integer: true, min: 1 }),
          /"k" must be a whole number ≥ 1, got 1\.5/,
        ],
        [() => settings.numberSetting('abc', 'halfLife', 0, { max: 5 }), /"halfLife" must be a number ≤ 5/],
        [
          () => settings.choiceSetting('robust', 'method', ['zscore', 'minmax']),
          /one of "zscore", "minmax", got "robust"/,
        ],
        [() => settings.booleanSetting('yes', 'withMean', true), /"withMean" must be true or false/],
      ];
      for (const [read, text] of cases) {
        assert.throws(read, (err) => err instanceof settings.SettingError && text.test(err.message));
      }
    });

    it("a reader's error text comes from the node's messages when it is given them", () => {
      const t = (key, vars) => `${key} ${JSON.stringify(vars ?? {})}`;
      assert.throws(
        () => settings.numberSetting('0', 'maxKeys', 1, { min: 1, max: 10, integer: true }, t),
        (err) =>
          err.message.startsWith('runtime.settings.number ') &&
          JSON.parse(err.message.slice(err.message.indexOf('{'))).allowed ===
            'runtime.settings.aWholeNumber {} runtime.settings.between {"min":1,"max":10}',
      );
      assert.throws(
        () => settings.choiceSetting('x', 'mode', ['a'], t),
        /^SettingError: runtime\.settings\.choice /,
      );
      assert.throws(
        () => settings.storeSetting(1, undefined, t),
        /^SettingError: runtime\.settings\.storeName /,
      );
    });

    it('a property path drops "msg.", and never names __proto__, constructor or prototype', async () => {
      const { RED } = await realNode();
      const parse = (p) => RED.util.normalisePropertyExpression(p);
      assert.equal(settings.propertySetting('msg.data.values', 'property', 'payload', parse), 'data.values');
      assert.equal(settings.propertySetting('', 'property', 'payload', parse), 'payload');
      for (const bad of ['__proto__', 'a.constructor', 'a[prototype]']) {
        assert.throws(() => settings.propertySetting(bad, 'property', 'payload', parse), /cannot name/);
      }
      assert.throws(
        () => settings.propertySetting('a..b', 'property', 'payload', parse),
        /"property" is not a valid msg property .*"payload" or "data\.values"/,
      );
      await helper.unload();
    });

    it('a store must be one Node-RED has', () => {
      assert.equal(settings.storeSetting('', undefined), undefined);
      assert.equal(settings.storeSetting('memory', undefined), 'memory');
      assert.equal(settings.storeSetting('file', { file: { module: 'localfilesystem' } }), 'file');
      assert.throws(() => settings.storeSetting('file', undefined), /its stores: memory\)/);
    });
  });

  describe('learner settings', () => {
    it('every learner setting has a default', () => {
      assert.deepEqual(readLearnerSettings({}, 'ml-pca'), {
        property: 'payload',
        keyProperty: '',
        features: null,
        maxKeys: 1000,
        learning: 'continuous',
        warmupSamples: undefined,
        whileWarmingUp: 'drop',
        halfLife: 0,
        store: undefined,
        maxDimension: 128,
        sharing: {
          instance: process.env.STREAM_ML_INSTANCE || require('node:os').hostname(),
          shareEvery: 0,
          prefix: 'stream-ml/models',
          peerExpiry: 0,
          receive: false,
        },
      });
    });

    it('more features than maxDimension is a setting error', () => {
      assert.throws(
        () => readLearnerSettings({ features: 'a, b, c', maxDimension: 2 }, 'ml-pca'),
        /Features lists 3 names, more than maxDimension \(2\)/,
      );
    });

    it('a model must name the configured features, in their order', () => {
      const schema = (features) => ({ dimension: 2, features });
      assert.equal(featuresMisfit(null, schema(null), english), undefined);
      assert.equal(featuresMisfit(['a', 'b'], schema(['a', 'b']), english), undefined);
      assert.match(
        featuresMisfit(['a', 'b'], schema(['b', 'a']), english),
        /features \(b, a\) are not the node's Features \(a, b\)/,
      );
      assert.match(featuresMisfit(['a', 'b'], schema(null), english), /\(2 unnamed\)/);
    });

    it('checkFinite lets finite results through and names the first value that is not', () => {
      checkFinite([0, -1e300, 5], 'a score');
      assert.throws(
        () => checkFinite([1, NaN], 'a score'),
        (err) => err instanceof NonFiniteError && err.what === 'a score' && Number.isNaN(err.value),
      );
    });
  });

  describe('msg properties, keys and switches', () => {
    it("reads and writes a plain and a nested property with Node-RED's own rules", async () => {
      const { RED } = await realNode();
      const plain = new message.MessageProperty(RED, 'payload');
      const nested = new message.MessageProperty(RED, 'data["values"]');
      const msg = { payload: 1 };
      assert.equal(plain.get(msg), 1);
      nested.set(msg, [1, 2]);
      assert.deepEqual(msg.data, { values: [1, 2] });
      assert.deepEqual(nested.get(msg), [1, 2]);
      assert.equal(nested.label, 'msg.data["values"]');
      await helper.unload();
    });

    it('a key is a string or a finite number; anything else is a SampleError', async () => {
      const { RED } = await realNode();
      const topic = new message.MessageProperty(RED, 'topic');
      assert.equal(message.readKey(topic, { topic: 'a' }), 'a');
      assert.equal(message.readKey(topic, { topic: 7 }), '7');
      assert.equal(message.readKey(topic, { topic: null }), undefined);
      assert.equal(message.readKey(topic, {}), undefined);
      assert.throws(() => message.readKey(topic, { topic: NaN }), SampleError);
      assert.throws(
        () => message.readKey(topic, { topic: ['a'] }, 'a window'),
        /to pick a window, got an array/,
      );
      await helper.unload();
    });

    it('a switch is a boolean, "true"/"false" or one of its words', () => {
      assert.equal(message.readSwitch({}, 'reset'), undefined);
      assert.equal(message.readSwitch({ reset: 'true' }, 'reset'), true);
      assert.equal(message.readSwitch({ reset: false }, 'reset'), false);
      assert.equal(message.readSwitch({ export: 'own' }, 'export', ['own']), 'own');
      assert.throws(
        () => message.readSwitch({ export: 1 }, 'export', ['own']),
        /msg\.export must be true, false, "true", "false" or "own", got 1/,
      );
    });

    it('control messages: none for a plain sample; peer needs a model; export all or own', () => {
      assert.equal(readControl({ payload: 1 }, english), undefined);
      assert.deepEqual(readControl({ learn: 'false', export: 'own' }, english), {
        reset: false,
        learn: false,
        hold: undefined,
        model: undefined,
        peer: undefined,
        exportWhat: 'own',
      });
      assert.equal(readControl({ export: true }, english).exportWhat, 'all');
      assert.equal(readControl({ hold: 'true' }, english).hold, true);
      assert.throws(() => readControl({ hold: 1 }, english), /msg\.hold must be true, false/);
      assert.throws(() => readControl({ peer: 'b' }, english), /has no msg\.model/);
      assert.throws(() => readControl({ peer: 3, model: {} }, english), /non-empty id/);
    });
  });

  describe('burst report', () => {
    it('logs the first event at once and the rest of the burst as one summary', () => {
      const lines = [];
      const report = new BurstReport(
        (text) => lines.push(text),
        (count, latest) => `${count} more, the latest ${latest}`,
      );
      report.add('first', 'a');
      report.add('second', 'b');
      report.add('third', 'c');
      assert.deepEqual(lines, ['first']);
      report.close();
      assert.deepEqual(lines, ['first', '2 more, the latest c']);
    });

    it('a log that throws never escapes', () => {
      const report = new BurstReport(
        () => {
          throw new Error('log down');
        },
        () => 'summary',
      );
      report.add('x', 'x');
      report.add('y', 'y');
      report.close();
    });
  });

  describe('status line and input handler', () => {
    afterEach(() => helper.unload());

    it('draws the rendered text in green or yellow, and a shortened red ring for an error', async () => {
      const { node } = await realNode();
      let ready = false;
      const status = new StatusLine(node, () => ({ text: 'warming up 1/4', ready }), english);
      status.draw();
      assert.deepEqual(node.status.lastCall.args[0], {
        fill: 'yellow',
        shape: 'dot',
        text: 'warming up 1/4',
      });
      ready = true;
      status.draw();
      assert.equal(node.status.lastCall.args[0].fill, 'green');
      status.error('a very long error text indeed');
      assert.deepEqual(node.status.lastCall.args[0], {
        fill: 'red',
        shape: 'ring',
        text: 'a very long error …',
      });
    });

    it('a render that throws is logged with a red ring, never thrown (it runs from a timer)', async () => {
      const { node } = await realNode();
      const status = new StatusLine(
        node,
        () => {
          throw new Error('broken');
        },
        english,
      );
      status.draw();
      assert.match(String(node.error.lastCall.args[0]), /could not draw the status: broken/);
      assert.deepEqual(node.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'error' });
    });

    it('handleInput: done() when the work goes through, done(err) and a ring naming the error kind when not', async () => {
      const { node } = await realNode();
      const status = new StatusLine(node, () => ({ text: 'ok', ready: true }), english);
      const calls = [];
      const done = (err) => calls.push(err);
      handleInput(status, done, () => {});
      assert.deepEqual(calls, [undefined]);
      const kinds = [
        [new SampleError('x'), 'bad sample'],
        [new ModelError('x'), 'bad model'],
        [new Error('x'), 'error'],
      ];
      for (const [err, text] of kinds) {
        handleInput(status, done, () => {
          throw err;
        });
        assert.equal(calls.at(-1), err);
        assert.equal(node.status.lastCall.args[0].text, text);
      }
      handleInput(status, done, () => {
        throw 'a string';
      });
      assert.ok(calls.at(-1) instanceof Error, 'what is thrown reaches done as an Error');
      status.close();
    });

    it('a setting error: logged, a red ring, and every message fails with it', async () => {
      const { node } = await realNode();
      settings.reportSettingError(node, new settings.SettingError('setting "k" must be…'), english);
      assert.match(String(node.error.firstCall.args[0]), /^configuration error: setting "k"/);
      assert.deepEqual(node.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'config error' });
      node.receive({ payload: 1 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(node.error.callCount, 2, 'the message failed');
      assert.match(String(node.error.lastCall.args[0]), /configuration error: setting "k"/);
    });
  });

  describe('messages and locales', () => {
    it('English messages fill __name__ values; an unknown key shows as itself', () => {
      assert.equal(english('runtime.status.warmingUp', { seen: 3, warmup: 10 }), 'warming up 3/10');
      assert.equal(english('runtime.status.badSample'), 'bad sample');
      assert.equal(english('runtime.no.such.key'), 'runtime.no.such.key');
    });

    it('translator uses RED._, and English where the runtime has no catalog', async () => {
      const { RED } = await realNode();
      // node-red-node-test-helper's RED._ returns the key: the English text is used.
      const t = i18n.translator(RED, 'ml-kmeans');
      assert.equal(t('runtime.status.keys', { keys: 2, samples: 9 }), '2 keys, n=9');
      await helper.unload();
    });

    it("Node-RED's own i18n reads the built catalogs with the same keys and values", async () => {
      const { i18n: runtimeI18n } = require('@node-red/util');
      await runtimeI18n.init({});
      for (const type of ['ml-standardize', 'ml-pca', 'ml-kmeans', 'ml-window']) {
        const namespace = `test/${type}`;
        await runtimeI18n.registerMessageCatalog(
          namespace,
          path.join(dist.root, 'nodes', type, 'locales'),
          `${type}.json`,
        );
        const RED = { _: (key, vars) => runtimeI18n._(`${namespace}:${key}`, vars) };
        const t = i18n.translator(RED, type);
        assert.equal(RED._(`${type}.runtime.status.configError`), 'config error');
        assert.equal(t('runtime.errors.configuration', { message: 'x' }), 'configuration error: x');
        if (type !== 'ml-window') {
          assert.equal(RED._(`${type}.runtime.status.warmingUp`, { seen: 1, warmup: 2 }), 'warming up 1/2');
        }
      }
    });

    it('every message key the shared code uses is in the English locales of the nodes that use it', () => {
      const root = path.join(__dirname, '..', '..', '..', 'nodes');
      const read = (file) =>
        JSON.parse(fs.readFileSync(path.join(root, 'shared', 'locales', 'en-US', file), 'utf8'));
      const merge = (a, b) => {
        const out = { ...a };
        for (const [k, v] of Object.entries(b))
          out[k] = v && typeof v === 'object' && out[k] ? merge(out[k], v) : v;
        return out;
      };
      const catalogs = { node: read('node.json'), learner: merge(read('learner.json'), read('node.json')) };
      const lookup = (catalog, key) => key.split('.').reduce((entry, part) => entry?.[part], catalog);
      const missing = [];
      for (const file of fs.readdirSync(path.join(root, 'shared')).filter((f) => f.endsWith('.ts'))) {
        const source = fs.readFileSync(path.join(root, 'shared', file), 'utf8');
        for (const [, key] of source.matchAll(/'(runtime\.[\w.]+)'/g)) {
          const catalog = /learner|control|persistence|model-store|saved-models|sharing/.test(file)
            ? catalogs.learner
            : catalogs.node;
          if (typeof lookup(catalog, key) !== 'string') missing.push(`${file}: ${key}`);
        }
      }
      assert.deepEqual(missing, []);
      for (const key of ['badSample', 'badModel', 'bufferFull', 'error']) {
        assert.equal(typeof lookup(catalogs.node, `runtime.status.${key}`), 'string', key);
      }
    });
  });

  describe('model store', () => {
    it('evicts the least recently used key; peek does not count as a use', () => {
      const evicted = [];
      const store = new ModelStore(2, add, (key) => evicted.push(key));
      store.obtain('a').own = counted(1);
      store.obtain('b').own = counted(2);
      store.get('a');
      store.peek('b');
      store.obtain('c');
      assert.deepEqual(evicted, ['b']);
      assert.deepEqual(
        [...store].map(([key]) => key),
        ['a', 'c'],
      );
    });

    it("a key transforms with its own model merged with every peer's, recomputed after a change", () => {
      const store = new ModelStore(10, add, () => {});
      const entry = store.obtain('k');
      assert.equal(entry.effective(), undefined);
      entry.peers.set('p', counted(5));
      assert.equal(entry.effective().samplesSeen, 5);
      entry.own = counted(1);
      assert.equal(entry.effective().samplesSeen, 5, 'cached until changed()');
      entry.changed();
      assert.equal(entry.effective().samplesSeen, 6);
    });

    it('a model kept as own meets the peers; kept as a peer, the own model and the other peers', () => {
      const store = new ModelStore(10, add, () => {});
      const entry = store.obtain('k');
      const [own, p, q] = [counted(1), counted(2), counted(3)];
      entry.own = own;
      entry.peers.set('p', p);
      entry.peers.set('q', q);
      assert.deepEqual(entry.partners(undefined), [p, q]);
      assert.deepEqual(entry.partners('p'), [own, q]);
      assert.deepEqual(entry.partners('r'), [own, p, q]);
    });

    it('the eviction report names the first key and counts the rest of the burst', async () => {
      const { node } = await realNode();
      const report = evictionReport(node, 3, english);
      for (const key of ['a', 'b', 'c', 'x'.repeat(50)]) report.add(key);
      report.close();
      const lines = node.warn.args.map((args) => String(args[0]));
      assert.deepEqual(lines, [
        'dropped the model of key "a", the least recently used: maxKeys (3) reached',
        `dropped 3 more least recently used models (the latest: key "${'x'.repeat(40)}…"): maxKeys (3) reached`,
      ]);
      await helper.unload();
    });
  });

  describe('saved models', () => {
    const model = (rows) => {
      const m = new Standardizer({ dimension: 2, features: null });
      for (const row of rows) m.learnOne(row);
      return m;
    };

    it("a key saves its own model and its peers', and nothing when it has none", () => {
      const store = new ModelStore(
        10,
        (a, b) => Standardizer.merge(a, b),
        () => {},
      );
      assert.equal(saveEntry(store.peek('k')), undefined);
      const entry = store.obtain('k');
      assert.equal(saveEntry(entry), undefined);
      entry.own = model([[1, 2]]);
      entry.peers.set('p', model([[3, 4]]));
      const saved = saveEntry(entry);
      assert.equal(saved.own.n_samples_seen, 1);
      assert.deepEqual(
        saved.peers.map(([peer, json]) => [peer, json.n_samples_seen]),
        [['p', 1]],
      );
    });

    it('restoring keeps what loads and fits, and leaves out a whole key with any model that does not', () => {
      const store = new ModelStore(
        10,
        (a, b) => Standardizer.merge(a, b),
        () => {},
      );
      const good = model([[1, 2]]).toJSON();
      const wide = new Standardizer({ dimension: 3, features: null }).toJSON();
      const forgotten = [];
      const { unreadable, misfits } = restoreEntries(
        [
          { key: '', own: good },
          { key: 'broken', own: good, peers: [['p', { type: 'ml-standardize' }]] },
          { key: 'wide', own: wide },
        ],
        ['entry "model:x": not a saved model entry'],
        store,
        {
          load: (json) => Standardizer.load(json),
          misfit: (m) => (m.schema.dimension === 2 ? undefined : 'another dimension'),
        },
        (key) => forgotten.push(key),
      );
      assert.deepEqual(
        [...store].map(([key, entry]) => [key, entry.own.samplesSeen]),
        [['', 1]],
      );
      assert.deepEqual(forgotten, ['broken', 'wide']);
      assert.equal(unreadable.length, 2);
      assert.match(unreadable[1], /^key "broken": /);
      assert.deepEqual(misfits, ['key "wide": another dimension']);
      assert.equal(listProblems(['a', 'b', 'c', 'd', 'e']), 'a; b; c; and 2 more');
    });

    it('persistence writes each key to the node context, reads it back, and removes it all', async () => {
      const { node } = await realNode();
      const saved = { own: model([[1, 2]]).toJSON() };
      const persistence = new ModelPersistence(
        node,
        undefined,
        'ml-standardize',
        (key) => (key === 'k' ? saved : undefined),
        english,
      );
      persistence.changed('k');
      await new Promise((resolve) => persistence.write(resolve));
      assert.deepEqual(node.context().keys(), ['model:k']);

      const again = new ModelPersistence(node, undefined, 'ml-standardize', () => undefined, english);
      const [entries, problems] = await new Promise((resolve, reject) =>
        again.restore((err, e, p) => (err ? reject(err) : resolve([e, p]))),
      );
      assert.deepEqual(problems, []);
      assert.deepEqual(entries, [{ key: 'k', ...saved, peers: [] }]);
      await new Promise((resolve) => again.remove(resolve));
      assert.deepEqual(node.context().keys(), []);
      await helper.unload();
    });
  });
});
