'use strict';
// A learner's results take Node-RED's single-wire path when only output 1 is wired (its models
// output left unwired, as the editor saves it): the results still reach output 1, in order and
// each once; wiring output 2 later (a redeploy that rewires) sends exported models there again;
// and output 1 with two wires still reaches both.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper } = require('../../support/helper');

const standardizeNode = dist('nodes/ml-standardize/ml-standardize');

function flow(wires) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'n1', type: 'ml-standardize', z: 'tab', warmupSamples: 1, wires },
    { id: 'a', type: 'helper', z: 'tab' },
    { id: 'b', type: 'helper', z: 'tab' },
    { id: 'models', type: 'helper', z: 'tab' },
  ];
}

/** Messages that reach each helper until `count` reached `until`. */
function collect(ids, until, count) {
  const seen = Object.fromEntries(ids.map((id) => [id, []]));
  const done = new Promise((resolve) => {
    for (const id of ids) {
      helper.getNode(id).on('input', (msg) => {
        seen[id].push(msg);
        if (id === until && seen[id].length === count) setImmediate(resolve);
      });
    }
  });
  return { seen, done };
}

describe('learner outputs: one wire on output 1, models output unwired', () => {
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
  });

  it('every result reaches output 1 once, in order; an export goes nowhere', async () => {
    await helper.load([standardizeNode], flow([['a'], []]));
    const node = helper.getNode('n1');
    assert.equal(node._wire, 'a', "Node-RED's single-wire path is taken");
    const { seen, done } = collect(['a', 'b', 'models'], 'a', 5);
    for (let i = 0; i < 5; i++) node.receive({ payload: [i, 2 * i], seq: i });
    node.receive({ export: true });
    await done;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(
      seen.a.map((msg) => msg.seq),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(seen.a[4].payload.length, 2);
    assert.equal(seen.b.length, 0);
    assert.equal(seen.models.length, 0);
  });

  it('with output 2 wired, results go to output 1 and exported models to output 2', async () => {
    await helper.load([standardizeNode], flow([['a'], ['models']]));
    const node = helper.getNode('n1');
    assert.equal(node._wire, undefined, 'two outputs wired: the general path');
    const { seen, done } = collect(['a', 'models'], 'models', 1);
    node.receive({ payload: [1, 2] });
    node.receive({ payload: [3, 5] });
    node.receive({ export: true });
    await done;
    assert.equal(seen.a.length, 2);
    assert.equal(seen.models[0].payload.n_samples_seen, 2);
  });

  it('two wires on output 1 both receive every result', async () => {
    await helper.load([standardizeNode], flow([['a', 'b'], []]));
    const node = helper.getNode('n1');
    const { seen, done } = collect(['a', 'b'], 'b', 3);
    for (let i = 0; i < 3; i++) node.receive({ payload: [i, 1 - i] });
    await done;
    assert.equal(seen.a.length, 3);
    assert.equal(seen.b.length, 3);
    assert.notEqual(seen.a[0], seen.b[0], 'the second wire receives a copy');
  });

  it('a rewire (output 2 wired later) is followed', async () => {
    await helper.load([standardizeNode], flow([['a'], []]));
    const node = helper.getNode('n1');
    node.updateWires([['a'], ['models']]);
    const { seen, done } = collect(['a', 'models'], 'models', 1);
    node.receive({ payload: [1, 2] });
    node.receive({ export: true });
    await done;
    assert.equal(seen.a.length, 1);
    assert.equal(seen.models.length, 1);
    node.updateWires([['b'], []]);
    const later = collect(['b'], 'b', 1);
    node.receive({ payload: [2, 3] });
    await later.done;
    assert.equal(later.seen.b.length, 1, 'after rewiring to b alone, results reach b');
  });
});
