'use strict';
// Learner persistence in a real Node-RED runtime (child process, localfilesystem context store):
// one context entry per key, keys that are not plain names, the format of version 0.1.0, models too
// large to store, and timers that must never take the runtime down.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Runtime, makeUserDir } = require('../support/runtime');
const { eventually, sleep } = require('../support/eventually');

const flow = (type, extra = {}) => [
  { id: 'tab', type: 'tab', label: 'test' },
  { id: 'src', type: 'probe-source', z: 'tab', wires: [['n1']] },
  { id: 'n1', type, z: 'tab', ...extra, wires: [['out'], ['models']] },
  { id: 'out', type: 'probe-sink', z: 'tab', wires: [] },
  { id: 'models', type: 'probe-sink', z: 'tab', wires: [] },
  { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['errors']] },
  { id: 'errors', type: 'probe-sink', z: 'tab', wires: [] },
];

/** The node's context file as localfilesystem wrote it (`{}` when there is none). */
function contextFile(userDir, nodeId = 'n1', flowId = 'tab') {
  const file = path.join(userDir, 'context', flowId, `${nodeId}.json`);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
}

describe('learner persistence in a real Node-RED runtime', function () {
  this.timeout(120000);
  let runtime;
  afterEach(async () => runtime && runtime.cleanup());

  it('a model whose save fails (PCA poisoned by [1e200, 2, 3]) is reported; Node-RED does not exit', async () => {
    runtime = await Runtime.start({ flows: flow('ml-pca') });
    const rows = Array.from({ length: 30 }, (_, i) => ({ payload: [i % 5, (i * 7) % 3, (i * 3) % 4] }));
    runtime.send('src', ...rows, { payload: [1e200, 2, 3] });
    // The save timer runs within a second of learning; give it time to fire twice.
    await sleep(2500);
    assert.equal(runtime.child.exitCode, null, 'Node-RED is still running');
    runtime.send('src', { payload: [1, 2, 3] }, { export: true });
    await runtime.waitFor('errors', 1);
    const reported = [...runtime.messages('errors').map((m) => m.error.message), ...runtime.warnings('n1')];
    assert.ok(
      reported.some((text) => /1e\+200|magnitude|non-finite|could not save|came out as/i.test(text)),
      reported.join('\n'),
    );
    for (const msg of runtime.messages('out')) {
      // JSON writes NaN and ±Infinity as null; `top` (no statistic over its limit) and
      // `alarmEvent` (the alarm did not change) are the fields that are null by design.
      const numbers =
        JSON.stringify(msg.payload) + JSON.stringify({ ...msg.pca, top: undefined, alarmEvent: undefined });
      assert.doesNotMatch(numbers, /null|NaN|Infinity/, 'nothing non-finite was sent');
    }
    assert.equal(runtime.child.exitCode, null, 'Node-RED is still running');
  });

  it('keys and peers named __proto__, constructor, a.b or x[0] survive a restart, one context entry each', async () => {
    const keys = ['__proto__', 'constructor', 'a.b', 'x[0]', "it's", 'π', ''];
    runtime = await Runtime.start({
      flows: flow('ml-standardize', { keyProperty: 'topic', warmupSamples: 1 }),
    });
    runtime.send(
      'src',
      ...keys.flatMap((topic, i) => [
        { topic, payload: [i, 1] },
        { topic, payload: [i + 2, 3] },
      ]),
    );
    await runtime.waitFor('out', 2 * keys.length);
    // A peer's model named __proto__ too, for one key.
    runtime.send('src', { export: true });
    const first = await runtime.waitFor('models', keys.length);
    const peerModel = { ...first.find((m) => m.topic === 'a.b').payload };
    runtime.send('src', { topic: 'a.b', peer: '__proto__', model: peerModel });
    runtime.send('src', { export: true });
    const before = (await runtime.waitFor('models', 2 * keys.length)).slice(keys.length);
    await runtime.stop();

    const saved = contextFile(runtime.userDir);
    assert.equal(Object.keys(saved).length, keys.length, Object.keys(saved).join(', '));
    assert.ok(!('models' in saved), 'no single entry of all keys');
    assert.ok(
      Object.keys(saved).every((name) => /^model:[A-Za-z0-9_%-]*$/.test(name)),
      Object.keys(saved).join(', '),
    );

    runtime = await Runtime.start({ userDir: runtime.userDir });
    runtime.send('src', { export: true });
    const after = await runtime.waitFor('models', keys.length);
    const byTopic = (list) => Object.fromEntries(list.map((m) => [JSON.stringify(m.topic), m.payload]));
    assert.deepEqual(byTopic(after), byTopic(before));
    assert.equal(after.find((m) => m.topic === 'a.b').payload.n_samples_seen, 4, 'own ⊕ the peer __proto__');
    runtime.send('src', { topic: 'a.b', export: 'own' });
    const [own] = (await runtime.waitFor('models', keys.length + 1)).slice(-1);
    assert.equal(own.payload.n_samples_seen, 2, 'the peer __proto__ came back as a peer');
    assert.deepEqual(runtime.warnings('n1'), []);
  });

  it('reads the single "models" entry of version 0.1.0, then writes one entry per key and deletes it', async () => {
    const userDir = makeUserDir();
    const model = (mean) => ({
      type: 'ml-standardize',
      version: 1,
      features: null,
      n_features_in: 1,
      n_samples_seen: 2,
      mean: [mean],
      var: [1],
      scale: [1],
      data_min: [mean - 1],
      data_max: [mean + 1],
      data_range: [2],
      sum_weights: 2,
    });
    fs.mkdirSync(path.join(userDir, 'context', 'tab'), { recursive: true });
    fs.writeFileSync(
      path.join(userDir, 'context', 'tab', 'n1.json'),
      JSON.stringify({
        models: {
          version: 1,
          type: 'ml-standardize',
          models: { a: { own: model(5) }, b: { own: model(7) } },
        },
      }),
    );
    runtime = await Runtime.start({
      userDir,
      flows: flow('ml-standardize', { keyProperty: 'topic', warmupSamples: 1 }),
    });
    runtime.send('src', { topic: 'a', payload: 6 }, { topic: 'b', payload: 7 });
    const out = await runtime.waitFor('out', 2);
    // a: n = 2, mean 5, var 1, then 6: mean 16/3, var (2 + (6 − 5)(6 − 16/3)) / 3.
    const z = (6 - 16 / 3) / Math.sqrt((2 + (6 - 5) * (6 - 16 / 3)) / 3);
    assert.ok(Math.abs(out[0].payload - z) < 1e-12, `a: ${out[0].payload} ≠ ${z}`);
    assert.equal(out[1].payload, 0, 'b: its own mean');
    await runtime.stop();
    const saved = contextFile(userDir);
    assert.deepEqual(Object.keys(saved).sort(), ['model:a', 'model:b']);

    runtime = await Runtime.start({ userDir });
    runtime.send('src', { export: true });
    const models = await runtime.waitFor('models', 2);
    assert.deepEqual(
      models.map((m) => [m.topic, m.payload.n_samples_seen]),
      [
        ['a', 3],
        ['b', 3],
      ],
    );
    assert.deepEqual(runtime.warnings('n1'), []);
  });

  it('a model too large to store (4e6 features of 17 digits) is reported; Node-RED saves the rest and restarts', async () => {
    const flows = flow('ml-standardize', { keyProperty: 'topic', warmupSamples: 1 });
    // The huge sample is made inside the runtime: a function node between the source and the node.
    flows[1].wires = [['maker']];
    flows.push({
      id: 'maker',
      type: 'function',
      z: 'tab',
      func: 'if (msg.topic === "huge") msg.payload = new Array(4e6).fill(1).map((v, i) => (i * 0.6180339887498949) % 1);\nreturn msg;',
      outputs: 1,
      wires: [['n1']],
    });
    // …and one after it, so that the test process is not sent 4e6 numbers back.
    flows[2].wires = [['shrink'], ['models']];
    flows.push({
      id: 'shrink',
      type: 'function',
      z: 'tab',
      func: 'if (msg.topic === "huge") msg.payload = msg.payload.length;\nreturn msg;',
      outputs: 1,
      wires: [['out']],
    });
    runtime = await Runtime.start({ flows });
    runtime.send(
      'src',
      { topic: 'small', payload: [1, 2] },
      { topic: 'huge' },
      { topic: 'small', payload: [3, 4] },
    );
    await eventually(() => runtime.messages('errors').length + runtime.messages('out').length >= 3, {
      what: 'the three messages',
      timeout: 60000,
      interval: 50,
    });
    await sleep(1500);
    assert.equal(runtime.child.exitCode, null, 'Node-RED is still running');
    await runtime.stop();
    assert.equal(runtime.child.exitCode, 0, 'Node-RED stopped cleanly');
    const reported = [...runtime.messages('errors').map((m) => m.error.message), ...runtime.warnings('n1')];
    assert.ok(
      reported.some((text) => /too large|features|dimension/i.test(text)),
      reported.join('\n'),
    );

    runtime = await Runtime.start({ userDir: runtime.userDir });
    runtime.send('src', { topic: 'small', export: true });
    const [model] = await runtime.waitFor('models', 1);
    assert.equal(model.payload.n_samples_seen, 2, 'the small key was saved');
  });
});
