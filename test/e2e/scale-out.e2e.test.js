'use strict';
// Three Node-RED runtimes, each a separate process with the same flow, share one stream through
// Debian's mosquitto on a random loopback port: the data arrive on a shared subscription
// ($share/learners/…), so each instance sees a part; the learners share their models as retained
// messages and combine them. Checked: once the last shares arrived, every instance's standardize
// and PCA models equal the single-process model of the whole stream within 1e-9, and k-means
// centres and inertia within the bound of docs/scale-out.md. Then one instance is killed with
// SIGKILL mid-stream, publishing goes on, it is started again on the same user directory, and
// every instance converges back to the same model, missing no more samples than the documented
// loss: what the killed instance learned after its last share, plus what was in flight to it.
// On Node-RED 4 (this Node) and Node-RED 5 (Node 22 from the npm package node@22).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const mqtt = require('mqtt');
const { Runtime, makeUserDir } = require('../support/runtime');
const {
  startMosquitto,
  mosquittoVersion,
  mqttBrokerNode,
  mqttInNode,
  mqttOutNode,
  shareRouteNode,
} = require('../support/mosquitto');
const { node22 } = require('../support/node22');
const { nodeRed5 } = require('../support/node-red-5');
const { assertClose } = require('../support/numeric');
const dist = require('../support/dist');

const INSTANCES = ['i1', 'i2', 'i3'];
const SHARE_EVERY = 0.3;
const KMEANS = { k: 3, warmupSamples: 60, seed: 7 };
const PHASES = { exact: 600, killAfter: 300, duringKill: 600, afterRestart: 300 };
/** Messages published per 10 ms: a paced stream, so the killed instance has work in flight. */
const PER_TICK = 4;
const DEVICES = ['d1', 'd2'];
const LEARNERS = { std: 'ml-standardize', pca: 'ml-pca', km: 'ml-kmeans' };
const log = process.env.SCALE_OUT_DEBUG ? (...args) => console.error(...args) : () => {};
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The known stream: three well separated blobs in 3-D, in a seeded random order. */
function stream(count, seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = [
    [0, 0, 0],
    [20, 5, -3],
    [-4, 18, 9],
  ];
  return Array.from({ length: count }, () => {
    const c = centres[Math.floor(random() * 3)];
    return [c[0] + gauss(), c[1] + 2 * gauss(), c[2] + 0.5 * gauss() + 0.3 * gauss()];
  });
}

function flow(port, qos) {
  const tab = 'scale';
  // Clean sessions: with a persistent session mosquitto 2.0 goes on routing a part of the shared
  // subscription to the dead instance's queue, and Node-RED drops what that queue delivers on
  // reconnection, before its mqtt in nodes subscribe again (measured: a third of the stream
  // published while it was down was lost). See docs/scale-out.md.
  const nodes = [
    { id: tab, type: 'tab', label: 'scale out' },
    mqttBrokerNode(port),
    mqttInNode({
      id: 'data',
      z: tab,
      topic: '$share/learners/stream/data/+',
      qos,
      wires: [[...Object.keys(LEARNERS), 'kstd']],
    }),
    mqttInNode({ id: 'ping', z: tab, topic: 'stream/ping', datatype: 'utf8', wires: [['pings']] }),
    { id: 'pings', type: 'probe-sink', z: tab, wires: [] },
    { id: 'ctl', type: 'probe-source', z: tab, wires: [Object.keys(LEARNERS)] },
    // Per-device models (as examples/per-device-models.json): one model per topic, shared per key.
    {
      id: 'kstd',
      type: 'ml-standardize',
      z: tab,
      keyProperty: 'topic',
      instance: '',
      shareEvery: SHARE_EVERY,
      receiveShares: true,
      sharePrefix: 'stream-ml/kstd',
      wires: [[], ['kroute']],
    },
    mqttInNode({ id: 'kstd-peers', z: tab, topic: 'stream-ml/kstd/+/#', wires: [['kstd']] }),
    { id: 'kctl', type: 'probe-source', z: tab, wires: [['kstd']] },
    shareRouteNode({ id: 'kroute', z: tab, sink: 'kmodels' }),
    { id: 'kmodels', type: 'probe-sink', z: tab, wires: [] },
    shareRouteNode({ id: 'route', z: tab, sink: 'models' }),
    mqttOutNode({ z: tab }),
    { id: 'models', type: 'probe-sink', z: tab, wires: [] },
    { id: 'catcher', type: 'catch', z: tab, scope: null, uncaught: false, wires: [['errors']] },
    { id: 'errors', type: 'probe-sink', z: tab, wires: [] },
  ];
  const settings = {
    std: {},
    pca: { components: 2 },
    km: { clusters: KMEANS.k, warmupSamples: KMEANS.warmupSamples, seed: KMEANS.seed },
  };
  for (const [id, type] of Object.entries(LEARNERS)) {
    nodes.push({
      id,
      type,
      z: tab,
      ...settings[id],
      instance: '',
      shareEvery: SHARE_EVERY,
      receiveShares: true,
      sharePrefix: `stream-ml/${id}`,
      wires: [[], ['route']],
    });
    nodes.push(mqttInNode({ id: `${id}-peers`, z: tab, topic: `stream-ml/${id}/+/#`, wires: [[id]] }));
  }
  return nodes;
}

/** Starts an instance whose id comes from env STREAM_ML_INSTANCE (the setting is blank). */
const startInstance = (id, options) => Runtime.startAs(id, options);

/** The models an instance exports now (`what`: true for own ⊕ peers, "own"), by learner id. */
async function exported(runtime, what = true) {
  const before = runtime.messages('models').length;
  runtime.send('ctl', { export: what });
  const all = await runtime.waitFor('models', before + 3, 10000);
  const byType = Object.fromEntries(all.slice(before).map((msg) => [msg.payload.type, msg.payload]));
  return Object.fromEntries(Object.entries(LEARNERS).map(([id, type]) => [id, byType[type]]));
}

/** The per-device models an instance exports now, by key. */
async function exportedKeys(runtime) {
  const before = runtime.messages('kmodels').length;
  runtime.send('kctl', { export: true });
  const all = await runtime.waitFor('kmodels', before + DEVICES.length, 10000);
  return Object.fromEntries(all.slice(before).map((msg) => [msg.topic, msg.payload]));
}

/** Waits until `ready(models of every instance)` holds, polling; returns the models. */
async function until(runtimes, ready, what, ms = 30000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await Promise.all(runtimes.map((rt) => exported(rt)));
    if (ready(last)) return last;
    log(what, JSON.stringify(last.map((m) => Object.values(m).map((x) => x.n_samples_seen))));
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: ${JSON.stringify(last.map((m) => Object.values(m).map((x) => x.n_samples_seen)))}`,
      );
    }
    await wait(300);
  }
}

/** The single-process reference over `rows`, with the compiled lib. */
function reference(rows) {
  const { Standardizer } = dist('lib/standardize');
  const { StreamingPCA } = dist('lib/pca');
  const { StreamingKMeans } = dist('lib/kmeans');
  const schema = { dimension: 3, features: null };
  const std = new Standardizer(schema, {});
  const pca = new StreamingPCA(schema, { components: 2 });
  const km = new StreamingKMeans(schema, {
    k: KMEANS.k,
    warmupSamples: KMEANS.warmupSamples,
    seed: KMEANS.seed,
  });
  for (const row of rows) {
    std.learnOne(row);
    pca.learnOne(row);
    km.learnOne(row);
  }
  return { std: std.toJSON(), pca: pca.toJSON(), km: km.toJSON() };
}

const squared = (a, b) => a.reduce((sum, v, i) => sum + (v - b[i]) ** 2, 0);
const inertia = (rows, centres) =>
  rows.reduce((sum, row) => sum + Math.min(...centres.map((c) => squared(row, c))), 0);

/**
 * K-means bound (docs/scale-out.md): without forgetting a centre is the mean of the samples
 * assigned to it, so merged and single-process centres differ only through samples the two assign
 * differently, m_j of centre j's n_j: ‖Δc_j‖ ≤ (m_j / n_j)·D, D the data's diameter. On blobs
 * separated by far more than their spread no sample is assigned differently: rounding only.
 * @returns the largest centre difference relative to the data's scale, and the inertia's.
 */
function kmeansDifference(rows, merged, single) {
  const scale = Math.max(...rows.flat().map(Math.abs));
  let worst = 0;
  for (const c of single.cluster_centers) {
    const nearest = Math.min(...merged.cluster_centers.map((m) => Math.sqrt(squared(m, c))));
    worst = Math.max(worst, nearest / scale);
  }
  const a = inertia(rows, merged.cluster_centers);
  const b = inertia(rows, single.cluster_centers);
  return { centres: worst, inertia: Math.abs(a - b) / b };
}

const KMEANS_BOUND = 1e-9;

function assertExact(models, rows, at) {
  const want = reference(rows);
  for (const [i, m] of models.entries()) {
    const where = `${at}, ${INSTANCES[i]}`;
    assert.equal(m.std.n_samples_seen, rows.length, `${where}: standardize n`);
    assertClose(m.std.mean, want.std.mean, 1e-9, `${where}: standardize mean`);
    assertClose(m.std.var, want.std.var, 1e-9, `${where}: standardize var`);
    assertClose(m.pca.mean, want.pca.mean, 1e-9, `${where}: PCA mean`);
    assertClose(m.pca.components, want.pca.components, 1e-9, `${where}: PCA components`);
    assertClose(m.pca.explained_variance, want.pca.explained_variance, 1e-9, `${where}: PCA variance`);
    const diff = kmeansDifference(rows, m.km, want.km);
    assert.ok(diff.centres <= KMEANS_BOUND, `${where}: k-means centres differ by ${diff.centres}`);
    assert.ok(diff.inertia <= KMEANS_BOUND, `${where}: k-means inertia differs by ${diff.inertia}`);
  }
}

async function runScaleOut(runtimeOptions, qos) {
  const broker = await startMosquitto();
  const runtimes = [];
  let client;
  const report = {};
  try {
    const dirs = INSTANCES.map(() => makeUserDir());
    // Signed shares (docs/scale-out.md, Trust): a restarted instance then takes back its own
    // retained share when its context store lags behind.
    const credentials = Object.fromEntries(
      ['kstd', ...Object.keys(LEARNERS)].map((id) => [id, { shareSecret: 'e2e' }]),
    );
    const options = (i) => ({
      flows: flow(broker.port, qos),
      credentials,
      userDir: dirs[i],
      ...runtimeOptions,
    });
    runtimes.push(...(await Promise.all(INSTANCES.map((id, i) => startInstance(id, options(i))))));
    client = await mqtt.connectAsync(broker.url, { clientId: `stream-ml-pub-${process.pid}-${Date.now()}` });
    const lastShare = new Map();
    client.on('message', (topic, payload) => {
      const [, learner, instance] = topic.split('/');
      if (learner === 'std' && payload.length > 0) lastShare.set(instance, JSON.parse(payload.toString()));
    });
    await client.subscribeAsync('stream-ml/std/+/#', { qos: 1 });
    const ready = async (rts) => {
      for (let i = 0; rts.some((rt) => rt.messages('pings').length === 0); i++) {
        if (i > 200) throw new Error('an instance did not subscribe');
        await client.publishAsync('stream/ping', 'ping', { qos: 1 });
        await wait(100);
      }
      await wait(300);
    };
    await ready(runtimes);
    log('instances subscribed');
    const rows = stream(PHASES.exact + PHASES.duringKill + PHASES.afterRestart, 11);
    let published = 0;
    const publish = async (count, during) => {
      const end = published + count;
      while (published < end) {
        const batch = [];
        for (let j = 0; j < PER_TICK && published < end; j++) {
          const i = published++;
          batch.push(client.publishAsync(`stream/data/${DEVICES[i % 2]}`, JSON.stringify(rows[i]), { qos }));
        }
        await Promise.all(batch);
        if (during) await during();
        await wait(10);
      }
    };

    // 1. Exactness: every instance's model of the whole stream equals the single-process one.
    await publish(PHASES.exact);
    log('published', published);
    const merged = await until(
      runtimes,
      (ms) => ms.every((m) => Object.values(m).every((x) => x.n_samples_seen === PHASES.exact)),
      'merged models did not reach every sample',
    );
    assertExact(merged, rows.slice(0, PHASES.exact), 'three instances');
    // Per device: every instance's model of each key equals the model of that device's rows.
    const { Standardizer } = dist('lib/standardize');
    let keyed;
    for (let i = 0; ; i++) {
      keyed = await Promise.all(runtimes.map((rt) => exportedKeys(rt)));
      const counts = keyed.flatMap((models) => Object.values(models).map((m) => m.n_samples_seen));
      if (counts.length === INSTANCES.length * DEVICES.length && counts.every((n) => n === PHASES.exact / 2))
        break;
      if (i > 60) throw new Error(`per-device models did not reach every sample: ${counts}`);
      await wait(300);
    }
    for (const [d, device] of DEVICES.entries()) {
      const want = new Standardizer({ dimension: 3, features: null }, {});
      rows.slice(0, PHASES.exact).forEach((row, i) => i % 2 === d && want.learnOne(row));
      for (const [i, models] of keyed.entries()) {
        const model = models[`stream/data/${device}`];
        assert.ok(model, `${INSTANCES[i]} has a model of ${device}`);
        assert.equal(model.n_samples_seen, PHASES.exact / 2, `${INSTANCES[i]} ${device} n`);
        assertClose(model.mean, want.toJSON().mean, 1e-9, `${INSTANCES[i]} ${device} mean`);
        assertClose(model.var, want.toJSON().var, 1e-9, `${INSTANCES[i]} ${device} var`);
      }
    }
    const own = await Promise.all(runtimes.map((rt) => exported(rt, 'own')));
    for (const [i, m] of own.entries()) {
      assert.ok(
        m.std.n_samples_seen > 0 && m.std.n_samples_seen < PHASES.exact,
        `${INSTANCES[i]} learned a part`,
      );
    }
    assert.equal(
      own.reduce((sum, m) => sum + m.std.n_samples_seen, 0),
      PHASES.exact,
      'the parts add up',
    );
    report.parts = own.map((m) => m.std.n_samples_seen);
    const std = merged[0].std;
    const single = reference(rows.slice(0, PHASES.exact));
    report.error = {
      std: Math.max(
        ...std.mean.map((v, j) => Math.abs(v - single.std.mean[j])),
        ...std.var.map((v, j) => Math.abs(v - single.std.var[j]) / single.std.var[j]),
      ),
      pca: Math.max(
        ...merged.map((m) =>
          Math.max(...m.pca.components.flat().map((v, j) => Math.abs(v - single.pca.components.flat()[j]))),
        ),
      ),
      kmeans: Math.max(
        ...merged.map((m) => kmeansDifference(rows.slice(0, PHASES.exact), m.km, single.km).centres),
      ),
    };

    log('exact', report);
    // 2. SIGKILL the second instance mid-stream; publishing goes on.
    let killedAt;
    let sharedBeforeKill;
    await publish(PHASES.duringKill, async () => {
      if (killedAt === undefined && published >= PHASES.exact + PHASES.killAfter) {
        sharedBeforeKill = lastShare.get('i2')?.n_samples_seen ?? 0;
        const ownBefore = (await exported(runtimes[1], 'own')).std.n_samples_seen;
        report.unsharedAtKill = ownBefore - sharedBeforeKill;
        killedAt = published;
        runtimes[1].child.kill('SIGKILL');
      }
    });
    const { child } = runtimes[1];
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve),
    );
    // The survivors keep the killed instance's last share: its contribution does not vanish.
    const survivors = [runtimes[0], runtimes[2]];
    const whileDown = await Promise.all(survivors.map((rt) => exported(rt)));
    for (const m of whileDown)
      assert.ok(m.std.n_samples_seen >= PHASES.exact, 'the survivors kept i2 in their models');

    // 3. Restart it on the same user directory: own model from its context store or its retained
    // share, peers from the retained shares; then more data.
    log('killed at', killedAt);
    const restartedAt = Date.now();
    runtimes[1] = await startInstance('i2', options(1));
    await ready([runtimes[1]]);
    report.restartMs = Date.now() - restartedAt;
    await publish(PHASES.afterRestart);
    const total = published;
    // Per learner: the killed instance's last shares of its three learners may be one tick apart.
    const agree = (ms) =>
      Object.keys(LEARNERS).every((id) =>
        ms.every(
          (m) => m[id].n_samples_seen === ms[0][id].n_samples_seen && m[id].n_samples_seen > total - 200,
        ),
      );
    const counts = (ms) =>
      JSON.stringify(ms.map((m) => Object.keys(LEARNERS).map((id) => m[id].n_samples_seen)));
    let converged = await until(runtimes, agree, 'the instances did not converge back');
    // A share sent just before the agreement may still be on its way: converged is two agreeing
    // reads a second apart that are the same (bounded: 30 s).
    for (let tries = 0; tries < 30; tries++) {
      await wait(1000);
      const again = await until(runtimes, agree, 'the instances did not converge back');
      if (counts(again) === counts(converged)) break;
      converged = again;
    }
    report.recoverMs = Date.now() - restartedAt;
    await wait(1000);
    const settled = await until(runtimes, () => true, '');
    const finalOwn = await Promise.all(runtimes.map((rt) => exported(rt, 'own')));
    for (const id of Object.keys(LEARNERS)) {
      const n = settled[0][id].n_samples_seen;
      assert.equal(n, converged[0][id].n_samples_seen, `${id}: stable once converged`);
      assert.equal(
        n,
        finalOwn.reduce((sum, m) => sum + m[id].n_samples_seen, 0),
        `${id}: every instance holds the same parts, the merged count is the sum of the own counts`,
      );
      for (const [i, m] of settled.entries())
        assert.equal(m[id].n_samples_seen, n, `${INSTANCES[i]} ${id} n`);
    }
    // One cluster numbering: each instance's centre j is nearest to the first instance's centre j.
    const nearest = (c, centres) =>
      centres.reduce((best, o, j) => (squared(c, o) < squared(c, centres[best]) ? j : best), 0);
    for (const [i, m] of settled.entries()) {
      const order = m.km.cluster_centers.map((c) => nearest(c, settled[0].km.cluster_centers));
      assert.deepEqual(
        order,
        order.map((_, j) => j),
        `${INSTANCES[i]}: the same cluster numbering`,
      );
    }
    for (const [i, m] of settled.entries()) {
      assertClose(m.std.mean, settled[0].std.mean, 1e-9, `${INSTANCES[i]}: same standardize model`);
      assertClose(m.std.var, settled[0].std.var, 1e-9, `${INSTANCES[i]}: same standardize variance`);
      assertClose(m.pca.components, settled[0].pca.components, 1e-9, `${INSTANCES[i]}: same PCA model`);
    }
    const n = Math.min(...Object.keys(LEARNERS).map((id) => settled[0][id].n_samples_seen));
    report.lost = total - n;
    report.published = total;
    // Documented loss: what i2 learned after its last share, plus messages in flight to it at the
    // kill (QoS 1: at most mosquitto's in-flight window of 20 unacknowledged messages; QoS 0:
    // what its socket held, a few milliseconds of its share of the stream).
    assert.ok(report.lost >= 0, `more samples than published: ${n} of ${total}`);
    assert.ok(
      report.lost <= report.unsharedAtKill + (qos === 1 ? 20 : 100),
      `lost ${report.lost}: more than the ${report.unsharedAtKill} samples i2 had not shared yet, plus in flight`,
    );
    const errors = runtimes.flatMap((rt) => rt.messages('errors'));
    assert.deepEqual(errors, [], JSON.stringify(errors));
    report.version = runtimes[0].version;
    return report;
  } finally {
    if (client) await client.endAsync();
    // A killed runtime has no exit code (its signal instead): only its directory is left to remove.
    await Promise.all(
      runtimes.map((rt) =>
        rt.child.signalCode ? fs.promises.rm(rt.userDir, { recursive: true, force: true }) : rt.cleanup(),
      ),
    );
    await broker.stop();
  }
}

describe(`several instances share one stream through ${mosquittoVersion()}`, function () {
  this.timeout(180000);

  // Each version once, the loss measured at QoS 1 on Node-RED 4 and at QoS 0 on Node-RED 5.
  it('Node-RED 4, data at QoS 1: exact standardize and PCA, bounded k-means, SIGKILL and restart converge', async () => {
    const report = await runScaleOut({}, 1);
    assert.match(report.version, /^4\./);
    log(JSON.stringify(report));
  });

  it('Node-RED 5 on Node 22, data at QoS 0: the same', async () => {
    const report = await runScaleOut({ nodeRed: nodeRed5(), execPath: node22() }, 0);
    assert.match(report.version, /^5\./);
    log(JSON.stringify(report));
  });
});
