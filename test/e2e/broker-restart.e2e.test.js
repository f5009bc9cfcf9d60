'use strict';
// Recovery after a broker restart (docs/scale-out.md, "The broker dies"): mosquitto without
// persistence loses every retained share when it restarts. An instance that learned before the
// restart and then sits idle must still reach an instance started after it: shares go out every
// interval, changed or not, so the newcomer holds every live peer's model after at most two of the
// peer's shares (counted on the broker, not timed).
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { Runtime } = require('../support/runtime');
const {
  startMosquitto,
  mqttBrokerNode,
  mqttInNode,
  mqttOutNode,
  shareRouteNode,
} = require('../support/mosquitto');

const SHARE_EVERY = 1;
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function flow(port) {
  const tab = 'restart';
  return [
    { id: tab, type: 'tab', label: 'broker restart' },
    mqttBrokerNode(port),
    mqttInNode({ id: 'data', z: tab, topic: '$share/learners/rows/+', wires: [['std']] }),
    mqttInNode({ id: 'ping', z: tab, topic: 'stream/ping', datatype: 'utf8', wires: [['pings']] }),
    { id: 'pings', type: 'probe-sink', z: tab, wires: [] },
    { id: 'ctl', type: 'probe-source', z: tab, wires: [['std']] },
    {
      id: 'std',
      type: 'ml-standardize',
      z: tab,
      instance: '',
      shareEvery: SHARE_EVERY,
      receiveShares: true,
      sharePrefix: 'stream-ml/std',
      wires: [[], ['route']],
    },
    mqttInNode({ id: 'peers', z: tab, topic: 'stream-ml/std/+/#', wires: [['std']] }),
    shareRouteNode({ id: 'route', z: tab, sink: 'models' }),
    mqttOutNode({ z: tab }),
    { id: 'models', type: 'probe-sink', z: tab, wires: [] },
    { id: 'catcher', type: 'catch', z: tab, scope: null, uncaught: false, wires: [['errors']] },
    { id: 'errors', type: 'probe-sink', z: tab, wires: [] },
  ];
}

const startInstance = (id, port) => Runtime.startAs(id, { flows: flow(port) });

async function exported(runtime, what = true) {
  const before = runtime.messages('models').length;
  runtime.send('ctl', { export: what });
  const all = await runtime.waitFor('models', before + 1, 10000);
  return all[before].payload;
}

describe('recovery after a broker restart without persistence', function () {
  this.timeout(120000);

  it('an instance started after the restart receives an idle peer within two of its shares', async () => {
    let broker = await startMosquitto();
    const { port } = broker;
    const runtimes = [];
    let client;
    const connect = async () => {
      client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 200 });
      return client;
    };
    /** Pings until every runtime's mqtt in nodes are subscribed. */
    const subscribed = async (rts) => {
      const counts = rts.map((rt) => rt.messages('pings').length);
      for (let i = 0; rts.some((rt, j) => rt.messages('pings').length === counts[j]); i++) {
        if (i > 300) throw new Error('an instance did not subscribe');
        await client.publishAsync('stream/ping', 'ping', { qos: 1 });
        await wait(100);
      }
    };
    try {
      await connect();
      runtimes.push(await startInstance('i1', port));
      await subscribed(runtimes);
      for (let i = 0; i < 50; i++) {
        await client.publishAsync(`rows/m${i % 2}`, JSON.stringify([i, i % 7, Math.sin(i)]), { qos: 1 });
      }
      for (let i = 0; (await exported(runtimes[0], 'own')).n_samples_seen < 50; i++) {
        if (i > 100) throw new Error('i1 did not learn the rows');
        await wait(100);
      }

      // The broker restarts on the same port, without persistence: the retained shares are gone.
      await client.endAsync();
      await broker.stop();
      broker = await startMosquitto({ port });
      await connect();
      await subscribed(runtimes);
      // i1 learns nothing from now on: only its periodic share can reach a newcomer.
      const seen = [];
      await client.subscribeAsync('stream-ml/std/i1/#', { qos: 1 });
      client.on('message', (topic, payload) => seen.push({ topic, n: JSON.parse(payload).n_samples_seen }));

      runtimes.push(await startInstance('i2', port));
      await subscribed([runtimes[1]]);
      const sharesBefore = seen.length;
      let model;
      for (let i = 0; ; i++) {
        model = await exported(runtimes[1]);
        if (model && model.n_samples_seen === 50) break;
        if (i > 200) throw new Error(`i2 never received i1's model: ${JSON.stringify(model)}`);
        await wait(100);
      }
      const shares = seen.length - sharesBefore;
      assert.ok(seen.length >= 1, 'i1 republished its unchanged model after the restart');
      assert.ok(shares <= 2, `i2 agreed only after ${shares} shares of i1`);
      const errors = runtimes.flatMap((rt) => rt.messages('errors'));
      assert.deepEqual(errors, [], JSON.stringify(errors));
      if (process.env.SCALE_OUT_DEBUG) console.error('shares of i1 until i2 agreed:', shares);
    } finally {
      if (client) await client.endAsync();
      await Promise.all(runtimes.map((rt) => rt.cleanup()));
      await broker.stop();
    }
  });
});
