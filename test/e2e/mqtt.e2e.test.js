'use strict';
// MQTT in → ml-window (align) → ml-standardize → ml-pca → ml-kmeans → MQTT out, through a real
// broker (Debian's mosquitto on a random loopback port) and a real Node-RED runtime: on Node-RED 4
// (this Node) and on Node-RED 5 (Node 22 from the npm package node@22). The test publishes the
// simulator's readings, one number per topic with its event time, and checks every processed
// window that comes back against values computed here: window means by hand, z-scores by hand
// (Welford), PCA and k-means with the compiled lib/ classes run over the same rows.
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { Runtime } = require('../support/runtime');
const { startMosquitto, mosquittoVersion, mqttBrokerNode, mqttInNode } = require('../support/mosquitto');
const { node22 } = require('../support/node22');
const { nodeRed5 } = require('../support/node-red-5');
const { assertClose } = require('../support/numeric');
const dist = require('../support/dist');
const { Simulator } = require('../../demo/simulator');

const FEATURES = ['temp', 'current', 'vib', 'pressure'];
const T0 = 1700000000000;
const WINDOWS = 25;
const PCA_WARMUP = 6;
const KMEANS_WARMUP = 5;

function flow(port) {
  const tab = 'mqtt-tab';
  const learner = { z: tab, keyProperty: 'topic', learning: 'continuous', whileWarmingUp: 'drop', store: '' };
  return [
    { id: tab, type: 'tab', label: 'MQTT end to end' },
    mqttBrokerNode(port, { name: 'mosquitto' }),
    mqttInNode({ id: 'in', z: tab, topic: 'plant/+/+', wires: [['window']] }),
    // Event time from the payload, so the windows do not depend on delivery timing; the key is
    // the topic's parent (plant/m1), the feature name its last segment.
    {
      id: 'window',
      type: 'ml-window',
      z: tab,
      mode: 'time',
      size: 1000,
      step: 1000,
      property: 'payload.v',
      timeProperty: 'payload.t',
      lateness: 300,
      groupBy: 'align',
      keyProperty: 'topic',
      emit: 'aggregate',
      aggregates: 'mean',
      features: FEATURES.join(','),
      maxSamples: 10000,
      wires: [['std']],
    },
    {
      id: 'std',
      type: 'ml-standardize',
      ...learner,
      warmupSamples: 1,
      features: FEATURES.join(','),
      wires: [['pca'], []],
    },
    {
      id: 'pca',
      type: 'ml-pca',
      ...learner,
      components: 2,
      refitEvery: 1,
      confidence: 0.99,
      warmupSamples: PCA_WARMUP,
      wires: [['kmeans'], []],
    },
    {
      id: 'kmeans',
      type: 'ml-kmeans',
      ...learner,
      k: 3,
      init: 'kmeans++',
      seed: 7,
      restarts: 10,
      warmupSamples: KMEANS_WARMUP,
      wires: [['pack'], []],
    },
    {
      id: 'pack',
      type: 'change',
      z: tab,
      rules: [
        {
          t: 'set',
          p: 'payload',
          pt: 'msg',
          to: '{"scores": payload, "pca": pca, "kmeans": kmeans, "cluster": cluster, "window": window}',
          tot: 'jsonata',
        },
        { t: 'set', p: 'topic', pt: 'msg', to: "'results/' & topic", tot: 'jsonata' },
      ],
      wires: [['out']],
    },
    {
      id: 'out',
      type: 'mqtt out',
      z: tab,
      topic: '',
      qos: '1',
      retain: 'false',
      broker: 'broker',
      wires: [],
    },
    { id: 'catcher', type: 'catch', z: tab, scope: null, uncaught: false, wires: [['errors']] },
    { id: 'errors', type: 'probe-sink', z: tab, wires: [] },
  ];
}

/** The readings to publish: two machines of the simulator, with event times, then closers. */
function readings() {
  const sim = new Simulator({
    seed: 3,
    machines: ['m1', 'm2'],
    modeSeconds: [6, 12],
    faultSeconds: [8, 12],
    faultDuration: [2, 3],
    start: T0,
  });
  const out = [];
  while (sim.time < T0 + WINDOWS * 1000) {
    const t = sim.time;
    for (const { topic, payload } of sim.tick()) {
      if (!topic.startsWith('factory/')) continue;
      out.push({ topic: topic.replace(/^factory/, 'plant'), t, v: JSON.parse(payload) });
    }
  }
  // A later reading of every sensor closes the last windows (event time passes end + lateness).
  for (const machine of sim.machines) {
    for (const sensor of FEATURES) out.push({ topic: `plant/${machine}/${sensor}`, t: T0 + 60000, v: 0 });
  }
  return out;
}

/** What the flow must send for `machine`, computed independently of the nodes. */
function expected(all, machine) {
  const { Standardizer } = dist('lib/standardize');
  const { StreamingPCA } = dist('lib/pca');
  const { StreamingKMeans } = dist('lib/kmeans');
  // Window means, by hand.
  const rows = [];
  for (let w = 0; w < WINDOWS; w++) {
    const start = T0 + w * 1000;
    const row = FEATURES.map((sensor) => {
      const values = all
        .filter((r) => r.topic === `plant/${machine}/${sensor}` && r.t >= start && r.t < start + 1000)
        .map((r) => r.v);
      assert.equal(values.length, 4, 'four readings of each sensor per window');
      return values.reduce((a, b) => a + b, 0) / values.length;
    });
    rows.push({ start, row });
  }
  // z-scores by hand (Welford, population variance), and the same with the lib's Standardizer.
  const schema = { dimension: 4, features: FEATURES };
  const scaler = new Standardizer(schema, {});
  const pca = new StreamingPCA(schema, { components: 2, refitEvery: 1, confidence: 0.99 });
  const kmeans = new StreamingKMeans(
    { dimension: 2, features: ['pc1', 'pc2'] },
    { k: 3, warmupSamples: KMEANS_WARMUP, seed: 7, restarts: 10 },
  );
  let n = 0;
  const mean = [0, 0, 0, 0];
  const m2 = [0, 0, 0, 0];
  const out = [];
  for (const { start, row } of rows) {
    n++;
    const z = row.map((x, j) => {
      const delta = x - mean[j];
      mean[j] += delta / n;
      m2[j] += delta * (x - mean[j]);
      const sd = Math.sqrt(m2[j] / n);
      return sd > 0 ? (x - mean[j]) / sd : x - mean[j];
    });
    scaler.learnOne(row);
    assertClose(scaler.transform(row, [0, 0, 0, 0]), z, 1e-9, `z-scores of ${machine} at ${start}`);
    pca.learnOne(z);
    if (pca.samplesSeen < PCA_WARMUP || !pca.ready) continue;
    const anomaly = {};
    const scores = pca.transform(z, [0, 0], anomaly);
    kmeans.learnOne(scores);
    if (!kmeans.ready) continue;
    const distances = [0, 0, 0];
    const cluster = kmeans.transform(scores, distances);
    out.push({ start, row, scores, anomaly: { ...anomaly }, cluster, distances });
  }
  return out;
}

async function runEndToEnd(runtimeOptions) {
  const broker = await startMosquitto();
  let runtime;
  let client;
  try {
    runtime = await Runtime.start({ flows: flow(broker.port), ...runtimeOptions });
    client = mqtt.connect(broker.url, { clientId: `stream-ml-e2e-${process.pid}-${Date.now()}` });
    await new Promise((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    const results = [];
    client.on('message', (topic, payload) => results.push({ topic, ...JSON.parse(payload.toString()) }));
    await client.subscribeAsync('results/#', { qos: 1 });
    // Wait until Node-RED's mqtt in has subscribed: probe with a reading it must reject
    // (a string is a bad sample), which the Catch node reports.
    for (let i = 0; runtime.messages('errors').length === 0; i++) {
      if (i > 100) throw new Error('Node-RED did not subscribe to plant/+/+');
      await client.publishAsync('plant/probe/temp', '"not a number"', { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const probeErrors = runtime.messages('errors').length;
    assert.match(runtime.messages('errors')[0].error.message, /not a finite number|string/i);

    const all = readings();
    for (const r of all) await client.publishAsync(r.topic, JSON.stringify({ t: r.t, v: r.v }), { qos: 1 });
    const want = { m1: expected(all, 'm1'), m2: expected(all, 'm2') };
    const total = want.m1.length + want.m2.length;
    assert.ok(want.m1.length >= 10 && want.m2.length >= 10, 'enough windows get through the warm-ups');
    for (let i = 0; results.length < total; i++) {
      if (i > 200) throw new Error(`received ${results.length} of ${total} results`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(results.length, total, 'one result per window after the warm-ups, no more');
    for (const machine of ['m1', 'm2']) {
      const got = results
        .filter((r) => r.topic === `results/plant/${machine}`)
        .sort((a, b) => a.window.start - b.window.start);
      assert.deepEqual(
        got.map((r) => r.window.start),
        want[machine].map((w) => w.start),
        `${machine}: windows`,
      );
      got.forEach((r, i) => {
        const w = want[machine][i];
        const at = `${machine} window ${i}`;
        const { filled = [], ...window } = r.window;
        assert.deepEqual(
          window,
          { start: w.start, end: w.start + 1000, count: 16, key: `plant/${machine}` },
          at,
        );
        assert.deepEqual(filled, [], `${at}: every feature had readings (none carried forward)`);
        assertClose([r.scores.pc1, r.scores.pc2], w.scores, 1e-9, `${at}: PCA scores`);
        assertClose([r.pca.t2, r.pca.spe], [w.anomaly.t2, w.anomaly.spe], 1e-9, `${at}: T², SPE`);
        assertClose(
          [r.pca.t2Limit, r.pca.speLimit],
          [w.anomaly.t2Limit, w.anomaly.speLimit],
          1e-9,
          `${at}: limits`,
        );
        assert.equal(r.pca.anomaly, w.anomaly.anomaly, `${at}: anomaly flag`);
        assert.equal(r.cluster, w.cluster, `${at}: cluster`);
        assert.equal(r.kmeans.cluster, w.cluster, `${at}: kmeans.cluster`);
        assertClose(r.kmeans.distances, w.distances, 1e-9, `${at}: distances`);
        assert.ok(Math.abs(r.kmeans.distance - w.distances[w.cluster]) <= 1e-9, `${at}: distance`);
      });
      // The simulator's machines switch between three operating modes: more than one cluster shows.
      assert.ok(
        new Set(got.map((r) => r.cluster)).size >= 2,
        `${machine}: clusters ${got.map((r) => r.cluster)}`,
      );
    }
    assert.equal(
      runtime.messages('errors').length,
      probeErrors,
      JSON.stringify(runtime.messages('errors').slice(probeErrors)),
    );
    return runtime.version;
  } finally {
    if (client) await client.endAsync();
    if (runtime) await runtime.cleanup();
    await broker.stop();
  }
}

describe(`MQTT end to end through ${mosquittoVersion()}`, function () {
  this.timeout(240000);

  it('Node-RED 4: readings on plant/<machine>/<sensor> come back as checked windows, scores and clusters', async () => {
    const version = await runEndToEnd({});
    assert.match(version, /^4\./);
  });

  it('Node-RED 5 on Node 22: the package loads and the same flow gives the same numbers', async () => {
    const version = await runEndToEnd({ nodeRed: nodeRed5(), execPath: node22() });
    assert.match(version, /^5\./);
  });
});
