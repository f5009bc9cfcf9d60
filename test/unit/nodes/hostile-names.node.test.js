'use strict';
// Field and topic names that would shadow Object.prototype's methods on the objects a node sends
// on (`{toString: 3}` throws wherever downstream code turns it into text): a bad sample, never an
// output field (D18 of the audit).
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper, load } = require('../../support/helper');

const standardize = dist('nodes/ml-standardize/ml-standardize');
const windowNode = dist('nodes/ml-window/ml-window');
const { SampleReader, WindowEngine } = dist('lib/index');
const { parseFeatureList } = dist('lib/samples');

describe('names that shadow Object.prototype methods', () => {
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
  });

  it('ml-standardize: a first sample with a field toString or valueOf is a bad sample; later ones ignore it', async () => {
    const t = await load(standardize, 'ml-standardize', { warmupSamples: 1 });
    await t.send({ payload: { toString: 1, temp: 21 } }, { payload: { valueOf: 2 } });
    assert.equal(t.seen.errors.length, 2);
    assert.match(t.seen.errors[0].error.message, /field named "toString", which cannot be a feature name/);
    assert.match(t.seen.errors[1].error.message, /field named "valueOf", which cannot be a feature name/);
    await t.send({ export: true });
    assert.equal(t.seen.models.length, 0, 'no model was started');
    // Once the schema is fixed, an extra field is ignored as any other: it never reaches the output.
    await t.send({ payload: { temp: 20, hum: 40 } }, { payload: { toString: 1, temp: 21, hum: 41 } });
    assert.equal(t.seen.errors.length, 2);
    assert.deepEqual(
      t.seen.out.map((msg) => Object.keys(msg.payload)),
      [
        ['temp', 'hum'],
        ['temp', 'hum'],
      ],
    );
    assert.equal(typeof String(t.seen.out[1].payload), 'string');
  });

  it('ml-window align: a topic ending in /toString is a bad reading, and no row gets such a field', async () => {
    const t = await load(windowNode, 'ml-window', {
      mode: 'count',
      size: 1,
      groupBy: 'align',
      keyProperty: '',
    });
    await t.send(
      { topic: 'm1/toString', payload: 1 },
      { topic: 'm1/hasOwnProperty', payload: 2 },
      { topic: 'm1/temp', payload: 3 },
    );
    assert.equal(t.seen.errors.length, 2);
    for (const { error } of t.seen.errors)
      assert.match(error.message, /usable feature name|cannot be a feature name/);
    for (const msg of t.seen.out) {
      assert.ok(!Object.prototype.hasOwnProperty.call(msg.payload, 'toString'));
      assert.equal(typeof String(msg.payload), 'string');
    }
  });

  it('lib: the reader and the window engine refuse them; other names pass', () => {
    const reader = new SampleReader(null);
    for (const name of ['toString', 'valueOf', 'toLocaleString', 'isPrototypeOf', '__defineGetter__']) {
      assert.throws(() => reader.read({ [name]: 1 }, null, 'msg.payload'), /cannot be a feature name/, name);
      assert.throws(() => parseFeatureList(`a, ${name}`), /cannot be a feature name/, name);
    }
    assert.equal(reader.read({ tostring: 1, value: 2 }, null, 'msg.payload').dimension, 2);
    assert.throws(
      () => new WindowEngine({ mode: 'count', size: 2, features: ['a', 'valueOf'] }),
      /cannot be a feature name/,
    );
  });
});
