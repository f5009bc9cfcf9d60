'use strict';
// One cluster numbering over a fleet: k-means nodes that share models (each its own instance id,
// wired as the broker would: every node's shares into every other node) report the same cluster
// index for the same point once they hold the same merged model, and a node that joins later adopts
// the fleet's numbering without changing anyone else's.
const assert = require('node:assert/strict');
const path = require('node:path');
const dist = require('../../support/dist');
const { helper } = require('../../support/helper');

const kmeansNode = dist('nodes/ml-kmeans/ml-kmeans');
const nodesCore = path.dirname(require.resolve('@node-red/nodes/package.json'));
const catchNode = require(path.join(nodesCore, 'core/common/25-catch.js'));
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const CENTRES = [
  [0, 0],
  [10, 0],
  [0, 10],
];

/** Seeded rows around CENTRES, in an order that differs per `seed`. */
function blobs(count, seed) {
  let state = seed >>> 0;
  const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, () => {
    const c = CENTRES[Math.floor(random() * 3)];
    return c.map((v) => v + (random() - 0.5));
  });
}

/** `ids.length` k-means nodes, each one's shares wired into every other one's input. */
function fleet(ids) {
  const nodes = [{ id: 'tab', type: 'tab', label: 'fleet' }];
  for (const [i, id] of ids.entries()) {
    nodes.push({
      // Not the instance id: Node-RED reads a property equal to a node id as a config node link.
      id: `n-${id}`,
      type: 'ml-kmeans',
      z: 'tab',
      clusters: 3,
      warmupSamples: 30,
      // Another seed per instance: k-means++ numbers each instance's clusters its own way.
      seed: 11 + 7 * i,
      instance: id,
      shareEvery: 0.05,
      receiveShares: true,
      wires: [[`${id}-out`], ids.filter((other) => other !== id).map((other) => `n-${other}`)],
    });
    nodes.push({ id: `${id}-out`, type: 'helper', z: 'tab' });
  }
  nodes.push({ id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['errors']] });
  nodes.push({ id: 'errors', type: 'helper', z: 'tab' });
  return nodes;
}

/** The cluster index each node gives each of CENTRES (not learned). */
async function numbering(ids) {
  const result = {};
  for (const id of ids) {
    const out = helper.getNode(`${id}-out`);
    result[id] = [];
    for (const centre of CENTRES) {
      const got = new Promise((resolve) => out.once('input', (msg) => resolve(msg.cluster)));
      helper.getNode(`n-${id}`).receive({ payload: centre, learn: false });
      result[id].push(await got);
    }
  }
  return result;
}

function feed(ids, rows) {
  rows.forEach((payload, i) => helper.getNode(`n-${ids[i % ids.length]}`).receive({ payload }));
}

describe('scale-out: one cluster numbering over a fleet of k-means instances', () => {
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
  });

  it('three instances number clusters alike after merging; a fourth joins and adopts it; nobody renumbers', async () => {
    const ids = ['i1', 'i2', 'i3', 'i4'];
    await helper.load([kmeansNode, catchNode], fleet(ids));
    const errors = [];
    helper.getNode('errors').on('input', (msg) => errors.push(msg.error.message));
    const three = ids.slice(0, 3);
    // Each warms up on its own part first: three numberings of its own.
    for (const [i, id] of three.entries()) feed([id], blobs(40, i + 1));
    const alone = await numbering(three);
    assert.notDeepEqual(alone.i1, alone.i2, 'the seeds number the clusters differently on their own');
    await wait(300);
    feed(three, blobs(300, 9));
    await wait(300);
    const merged = await numbering(three);
    assert.deepEqual(merged.i2, merged.i1, JSON.stringify(merged));
    assert.deepEqual(merged.i3, merged.i1, JSON.stringify(merged));
    // A fourth instance joins: it warms up on its own, then adopts the fleet's numbering.
    feed(['i4'], blobs(40, 4));
    feed(ids, blobs(200, 10));
    await wait(300);
    const joined = await numbering(ids);
    for (const id of ids) assert.deepEqual(joined[id], merged.i1, `${id}: ${JSON.stringify(joined)}`);
    assert.deepEqual(errors, []);
  });
});
