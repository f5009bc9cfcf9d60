'use strict';
// node-red-node-test-helper set up for this package: a flow on one tab with the node under test
// wired to `out` (output 1) and `models` (output 2), a Catch node wired to `errors`, and a
// Complete node wired to `completed`. `useHelper` starts the helper's server once per describe
// and unloads the flow after every test; `load` and `redeploy` give a driver that sends messages,
// collects what reached each helper node and records what the node under test logged.
const helper = require('node-red-node-test-helper');
const path = require('node:path');
const { eventually } = require('./eventually');

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
 * Mocha hooks for the enclosing describe: the helper's server starts once before its tests and
 * stops after them; every test's flow is unloaded after the test. Hooks a file registers after
 * this call run after the unload.
 */
function useHelper() {
  before(() => new Promise((resolve) => helper.startServer(resolve)));
  afterEach(() => {
    loaded = false;
    return helper.unload();
  });
  after(() => new Promise((resolve) => helper.stopServer(resolve)));
}

/**
 * What one node logs and shows, from its start on, also after its flow was unloaded: the calls
 * the helper's spies on Node's prototype saw for `node` so far (they see every node, and only
 * until the unload), then own methods on `node` that note each call and go on to Node's method.
 */
function record(node) {
  const log = { warn: [], error: [], status: [] };
  for (const method of Object.keys(log)) {
    const spied = node[method];
    if (typeof spied.getCalls === 'function') {
      for (const call of spied.getCalls()) if (call.thisValue === node) log[method].push(call.args[0]);
    }
    node[method] = function (...args) {
      log[method].push(args[0]);
      return Object.getPrototypeOf(node)[method].apply(this, args);
    };
    // A test that reads the spy itself (node.warn.args, node.status.lastCall) still finds it.
    if (typeof spied.getCalls === 'function') Object.setPrototypeOf(node[method], spied);
  }
  return {
    /** The texts of node.warn. */
    warnings: () => log.warn.map(String),
    /** The texts of node.error (an error passed to done() is logged through it too). */
    errorsLogged: () => log.error.map(String),
    /** Every status the node set, in order. */
    statuses: () => [...log.status],
    /** The status the node shows now. */
    lastStatus: () => log.status.at(-1),
  };
}

/**
 * A driver for the node `n1` of the loaded flow: `send(...msgs)` sends messages one after another
 * and resolves once every one of them has completed or failed, with what reached each helper;
 * `warnings()`, `errorsLogged()`, `statuses()` and `lastStatus()` tell what it logged and showed.
 */
function drive() {
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
    ...record(node),
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

let loaded = false;

/**
 * Loads the flow around one node of `type` and returns its driver. A second load in one test
 * replaces the first flow (the helper holds one at a time). `credentials` are the node's
 * (`{ shareSecret }`).
 */
async function load(nodeModule, type, settings, credentials) {
  if (loaded) await helper.unload();
  loaded = true;
  await helper.load(
    [nodeModule, catchNode, completeNode],
    flowFor(type, settings),
    credentials ? { n1: credentials } : undefined,
  );
  return drive();
}

/**
 * Deploys the loaded flow again in full (every node closes and starts anew, as a deploy in the
 * editor does) and returns a driver for the new node.
 */
async function redeploy() {
  await helper.setFlows(helper._redNodes.getFlows().flows, 'full');
  return drive();
}

module.exports = { helper, useHelper, load, redeploy, record, eventually };
