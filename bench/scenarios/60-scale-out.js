'use strict';
// Scale-out: messages/s of window → standardize → pca → k-means at d = 16 with 1 and 2 Node-RED
// instances (separate processes) sharing one stream through Debian's mosquitto ($share/…), models
// shared every second as retained messages; the broker and the publisher run on the same machine
// and are included. BENCH_SCALE_MESSAGES sets the rows published (default 20000).
const mqtt = require('mqtt');
const { Runtime } = require('../../test/support/runtime');
const {
  startMosquitto,
  mqttBrokerNode,
  mqttInNode,
  mqttOutNode,
  shareRouteNode,
} = require('../../test/support/mosquitto');

const D = 16;
const MESSAGES = Number(process.env.BENCH_SCALE_MESSAGES || 20000);
const WINDOW = 10;
const CHUNK = 100;
const BACKLOG = 500;
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function flow(port) {
  const tab = 'bench-scale';
  const nodes = [
    { id: tab, type: 'tab', label: 'scale-out bench' },
    mqttBrokerNode(port),
    mqttInNode({ id: 'data', z: tab, topic: '$share/bench/bench/rows', wires: [['window']] }),
    mqttInNode({ id: 'ping', z: tab, topic: 'bench/ping', datatype: 'utf8', wires: [['pings']] }),
    { id: 'pings', type: 'probe-sink', z: tab, wires: [] },
    {
      id: 'window',
      type: 'ml-window',
      z: tab,
      mode: 'count',
      size: WINDOW,
      step: WINDOW,
      emit: 'samples',
      wires: [['std']],
    },
    { id: 'ctl', type: 'probe-source', z: tab, wires: [['km']] },
    shareRouteNode({ id: 'route', z: tab, sink: 'models' }),
    mqttOutNode({ z: tab }),
    { id: 'models', type: 'probe-sink', z: tab, wires: [] },
  ];
  const learners = [
    ['std', 'ml-standardize', {}, 'pca'],
    ['pca', 'ml-pca', { components: 3 }, 'km'],
    ['km', 'ml-kmeans', { clusters: 4, warmupSamples: 40 }, null],
  ];
  for (const [id, type, settings, next] of learners) {
    nodes.push({
      id,
      type,
      z: tab,
      ...settings,
      shareEvery: 1,
      receiveShares: true,
      sharePrefix: `bench/models/${id}`,
      wires: [next ? [next] : [], ['route']],
    });
    nodes.push(mqttInNode({ id: `${id}-peers`, z: tab, topic: `bench/models/${id}/+/#`, wires: [[id]] }));
  }
  return nodes;
}

/** Rows of a stream with four regimes in 16 correlated features. */
function rows(count) {
  let state = 12345;
  const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, (_, i) => {
    const regime = (i >> 7) & 3;
    const load = random();
    return Array.from({ length: D }, (_, j) => regime * 3 + load * (1 + (j % 4)) + 0.2 * random());
  });
}

/** The k-means samples an instance learned itself. */
async function learned(runtime) {
  const before = runtime.messages('models').length;
  runtime.send('ctl', { export: 'own' });
  const all = await runtime.waitFor('models', before + 1, 30000).catch(() => []);
  const model = all[before];
  return model ? model.payload.n_samples_seen : 0;
}

async function measure(instances) {
  const broker = await startMosquitto();
  const runtimes = [];
  let client;
  try {
    for (let i = 0; i < instances; i++) {
      process.env.STREAM_ML_INSTANCE = `bench-${i + 1}`;
      runtimes.push(await Runtime.start({ flows: flow(broker.port) }));
    }
    delete process.env.STREAM_ML_INSTANCE;
    client = await mqtt.connectAsync(broker.url, { clientId: `stream-ml-bench-${process.pid}` });
    for (let i = 0; runtimes.some((rt) => rt.messages('pings').length === 0); i++) {
      if (i > 200) throw new Error('an instance did not subscribe');
      await client.publishAsync('bench/ping', 'ping', { qos: 1 });
      await wait(100);
    }
    const data = rows(MESSAGES).map((row) => JSON.stringify(row));
    const start = process.hrtime.bigint();
    // mosquitto drops QoS 1 messages beyond 1000 queued for a slow subscriber
    // (max_queued_messages): the publisher keeps at most BACKLOG rows ahead of what was learned.
    let total = 0;
    const progress = async () => {
      const counts = await Promise.all(runtimes.map(learned));
      total = counts.reduce((a, b) => a + b, 0);
      if (process.env.BENCH_SCALE_DEBUG) console.error(counts, Number(process.hrtime.bigint() - start) / 1e9);
    };
    for (let i = 0; i < data.length; i += CHUNK) {
      while (i - total > BACKLOG * instances) await progress();
      await Promise.all(
        data.slice(i, i + CHUNK).map((payload) => client.publishAsync('bench/rows', payload, { qos: 1 })),
      );
    }
    // Every window of every instance has gone through k-means (a part window stays open).
    const expected = MESSAGES - (WINDOW - 1) * instances;
    for (let i = 0; i < 600 && total < expected; i++) {
      await progress();
      if (total < expected) await wait(20);
    }
    if (total < expected) throw new Error(`${instances} instance(s) learned ${total} of ${expected} rows`);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { rate: total / seconds, total, seconds };
  } finally {
    if (client) await client.endAsync();
    await Promise.all(runtimes.map((rt) => rt.cleanup()));
    await broker.stop();
  }
}

module.exports = {
  measure,
  title: `scale-out: window → standardize → pca → k-means, d = ${D}, through mosquitto, 1 and 2 instances`,
  async extra() {
    console.log('| instances | rows learned | seconds | messages/s |');
    console.log('|---:|---:|---:|---:|');
    const one = await measure(1);
    console.log(`| 1 | ${one.total} | ${one.seconds.toFixed(2)} | ${Math.round(one.rate)} |`);
    const two = await measure(2);
    console.log(`| 2 | ${two.total} | ${two.seconds.toFixed(2)} | ${Math.round(two.rate)} |`);
    console.log(`\n2 instances / 1 instance: ${(two.rate / one.rate).toFixed(2)}×`);
  },
};
