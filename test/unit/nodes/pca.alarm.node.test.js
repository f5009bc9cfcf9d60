'use strict';
// ml-pca's alarm in a flow (node-red-node-test-helper): msg.pca.alarm on every scored message,
// alarm starts and ends on the third output, and that output wired back as msg.hold keeps
// ml-standardize upstream and ml-k-means downstream from learning a fault.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper } = require('../../support/helper');
const { gaussian, prng } = require('../../support/random');

const nodes = [
  dist('nodes/ml-standardize/ml-standardize'),
  dist('nodes/ml-pca/ml-pca'),
  dist('nodes/ml-kmeans/ml-kmeans'),
];

/** Four sensors moved by one load, plus noise; `fault` overrides readings. */
function machine(seed) {
  const normal = gaussian(prng(seed));
  return (fault = {}) => {
    const load = normal();
    return {
      temp: 50 + 1.6 * load + 0.3 * normal(),
      current: 10 + 0.9 * load + 0.2 * normal(),
      vib: 2 + 0.25 * load + 0.05 * normal(),
      pressure: 5 + 0.4 * load + 0.05 * normal(),
      ...fault,
    };
  };
}

const flow = [
  { id: 'tab', type: 'tab' },
  { id: 'std', type: 'ml-standardize', z: 'tab', keyProperty: 'topic', wires: [['pca'], ['models']] },
  {
    id: 'pca',
    type: 'ml-pca',
    z: 'tab',
    keyProperty: 'topic',
    learnOnlyNormal: true,
    wires: [['out', 'km'], ['models'], ['alarms', 'std', 'km']],
  },
  {
    id: 'km',
    type: 'ml-kmeans',
    z: 'tab',
    clusters: 2,
    property: 'payload',
    wires: [['clustered'], ['models']],
  },
  { id: 'out', type: 'helper', z: 'tab' },
  { id: 'alarms', type: 'helper', z: 'tab' },
  { id: 'clustered', type: 'helper', z: 'tab' },
  { id: 'models', type: 'helper', z: 'tab' },
  { id: 'catcher', type: 'catch', z: 'tab', uncaught: false, wires: [['errors']] },
  { id: 'errors', type: 'helper', z: 'tab' },
];

describe('ml-pca alarm in a flow', () => {
  let seen;
  beforeEach(async () => {
    await new Promise((resolve) => helper.startServer(resolve));
    await helper.load(nodes, flow);
    seen = { out: [], alarms: [], clustered: [], models: [], errors: [] };
    for (const id of Object.keys(seen)) helper.getNode(id).on('input', (msg) => seen[id].push(msg));
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
  });

  /** Sends one reading and waits until k-means has sent its result (the end of the flow). */
  async function send(payload, topic = 'm1') {
    const before = seen.clustered.length + seen.errors.length;
    helper.getNode('std').receive({ topic, payload });
    for (let i = 0; i < 200 && seen.clustered.length + seen.errors.length === before; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The alarm output's hold messages travel in the same turn; let them land.
    await new Promise((resolve) => setImmediate(resolve));
  }

  async function exported() {
    const before = seen.models.length;
    for (const id of ['std', 'pca', 'km']) helper.getNode(id).receive({ topic: 'm1', export: true });
    await new Promise((resolve) => setImmediate(resolve));
    const [std, pca, km] = seen.models.slice(before).map((m) => m.payload);
    return { std: std.n_samples_seen, pca: pca.n_samples_seen, km: km.n_samples_seen };
  }

  it('a fault is learned by no learner of the flow beyond the samples before its alarm', async () => {
    const next = machine(11);
    for (let i = 0; i < 200; i++) await send(next());
    assert.equal(seen.errors.length, 0, JSON.stringify(seen.errors.map((m) => m.error)));
    // Judged once the model has learned max(warm-up, 10 × 4 features, 50) samples.
    const young = seen.out.map((m) => m.pca).filter((p) => p.n <= 50);
    assert.ok(young.length > 10);
    assert.ok(
      young.every((p) => p.learning === true && p.alarm === false),
      'young: learning, alarm held back',
    );
    assert.ok(
      seen.out
        .map((m) => m.pca)
        .filter((p) => p.n > 51)
        .every((p) => p.learning === false),
    );
    const before = await exported();
    const from = seen.out.length;
    for (let i = 0; i < 40; i++) await send(next({ vib: 0 }));
    const during = seen.out.slice(from).map((m) => m.pca);
    const raisedAt = during.findIndex((p) => p.alarm);
    assert.ok(raisedAt >= 0 && raisedAt <= 3, `raised at ${raisedAt}`);
    assert.equal(during[raisedAt].alarmEvent, 'start');
    assert.ok(during.slice(raisedAt).every((p) => p.alarm));
    const after = await exported();
    // Each learner learned the samples up to the alarm's start at most, none after it.
    for (const name of ['std', 'pca', 'km']) {
      assert.ok(
        after[name] - before[name] <= raisedAt + 1,
        `${name}: ${after[name] - before[name]} fault samples learned`,
      );
    }
    assert.equal(seen.alarms.length, 1);
    const [start] = seen.alarms;
    assert.equal(start.hold, true);
    assert.equal(start.topic, 'm1');
    assert.equal(start.payload, undefined, 'no payload: a learner reads it as a control message');
    assert.deepEqual(
      { on: start.alarm.on, event: start.alarm.event, key: start.alarm.key, top: start.alarm.top },
      { on: true, event: 'start', key: 'm1', top: 'vib' },
    );
    // Normal again: the alarm ends after its hold, and every learner learns again.
    for (let i = 0; i < 60; i++) await send(next());
    assert.equal(seen.alarms.length, 2);
    assert.deepEqual([seen.alarms[1].hold, seen.alarms[1].alarm.event], [false, 'end']);
    const resumed = await exported();
    for (const name of ['std', 'pca', 'km']) assert.ok(resumed[name] > after[name], `${name} learns again`);
    assert.equal(seen.errors.length, 0);
  });

  it('a pca model reset during an alarm still ends the alarm on output 3 with its first result, so nothing stays held', async () => {
    const next = machine(13);
    for (let i = 0; i < 120; i++) await send(next());
    for (let i = 0; i < 5; i++) await send(next({ vib: 0 }));
    assert.deepEqual(
      seen.alarms.map((m) => m.hold),
      [true],
    );
    helper.getNode('pca').receive({ topic: 'm1', reset: true });
    // The end goes out with the new model's first result (after its warm-up of 20).
    for (let i = 0; i < 25; i++) await send(next());
    assert.deepEqual(
      seen.alarms.map((m) => [m.hold, m.alarm.event]),
      [
        [true, 'start'],
        [false, 'end'],
      ],
    );
    assert.equal(seen.errors.length, 0);
  });

  it('a learner without a key stays held while any topic holds it', async () => {
    const next = machine(14);
    for (let i = 0; i < 40; i++) await send(next());
    const km = helper.getNode('km');
    const learned = async () => {
      const before = seen.models.length;
      km.receive({ export: true });
      await new Promise((resolve) => setImmediate(resolve));
      return seen.models[before].payload.n_samples_seen;
    };
    const start = await learned();
    km.receive({ topic: 'm1', hold: true });
    km.receive({ topic: 'm2', hold: true });
    km.receive({ topic: 'm1', hold: false });
    await send(next());
    assert.equal(await learned(), start, 'm2 still holds it');
    km.receive({ topic: 'm2', hold: false });
    await send(next());
    assert.equal(await learned(), start + 1);
    assert.equal(seen.errors.length, 0);
  });

  it('msg.hold is a control: another key keeps learning; a bad value is an error naming it', async () => {
    const next = machine(12);
    for (let i = 0; i < 30; i++) await send(next(), 'm2');
    helper.getNode('std').receive({ topic: 'm1', hold: true });
    await send(next(), 'm1');
    await send(next(), 'm2');
    const n = await new Promise((resolve) => {
      const before = seen.models.length;
      helper.getNode('std').receive({ export: true });
      setImmediate(() => resolve(seen.models.slice(before).map((m) => [m.topic, m.payload.n_samples_seen])));
    });
    // m1 is held from its first sample on, so it never got a model; m2 learned on.
    assert.deepEqual(Object.fromEntries(n), { m2: 31 });
    helper.getNode('std').receive({ topic: 'm1', hold: 'yes' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(String(seen.errors.at(-1).error.message), /msg\.hold must be true, false/);
  });
});
