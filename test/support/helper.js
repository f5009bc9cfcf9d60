'use strict';
// node-red-node-test-helper set up for this package: a flow on one tab with the node under test
// wired to `out` (output 1) and `models` (output 2), a Catch node wired to `errors`, and a
// Complete node wired to `completed`. `run` sends messages and collects what each reached.
const helper = require('node-red-node-test-helper');
const path = require('node:path');

helper.init(require.resolve('node-red'));

const nodesCore = path.dirname(require.resolve('@node-red/nodes/package.json'));
const catchNode = require(path.join(nodesCore, 'core/common/25-catch.js'));
const completeNode = require(path.join(nodesCore, 'core/common/24-complete.js'));

/** A test flow around one node of `type` with `settings`. */
function flowFor(type, settings = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'n1', type, z: 'tab', ...settings, wires: [['out'], ['models']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'models', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: ['n1'], uncaught: false, wires: [['errors']] },
    { id: 'errors', type: 'helper', z: 'tab' },
    { id: 'completer', type: 'complete', z: 'tab', scope: ['n1'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper', z: 'tab' },
  ];
}

/**
 * Loads the flow and returns a driver: `send(...msgs)` sends messages one after another and
 * resolves once every one of them has completed or failed, with what reached each helper.
 * `credentials` are the node's (`{ shareSecret }`).
 */
async function load(nodeModule, type, settings, credentials) {
  await helper.load(
    [nodeModule, catchNode, completeNode],
    flowFor(type, settings),
    credentials ? { n1: credentials } : undefined,
  );
  const node = helper.getNode('n1');
  const seen = { out: [], models: [], errors: [], completed: [] };
  for (const id of Object.keys(seen)) helper.getNode(id).on('input', (msg) => seen[id].push(msg));
  let pending = null;
  const settle = () => {
    if (pending && seen.errors.length + seen.completed.length >= pending.count) {
      const { resolve } = pending;
      pending = null;
      setImmediate(resolve);
    }
  };
  helper.getNode('errors').on('input', settle);
  helper.getNode('completed').on('input', settle);
  return {
    node,
    seen,
    /** Sends each message and waits until all have completed or failed. */
    async send(...msgs) {
      const count = seen.errors.length + seen.completed.length + msgs.length;
      const done = new Promise((resolve) => {
        pending = { count, resolve };
      });
      for (const msg of msgs) node.receive(msg);
      await done;
      return seen;
    },
    /** The current model(s), exported. */
    async exported() {
      const before = seen.models.length;
      await this.send({ export: true });
      return seen.models.slice(before).map((msg) => msg.payload);
    },
  };
}

module.exports = { helper, load };
